"""new -> plan (3) -> apply -> plan (0) on MariaDB and MySQL 9.7; a hand edit is drift (#11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.country.helpers import (
    ADMIN,
    PLAIN,
    cli,
    execute,
    new_country,
    scalar,
    target_with_schema,
)


def test_new_plan_apply_plan_then_drift(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = target_with_schema(any_db)
    focal = f"focal_points=fp1@example.org, {ADMIN}"  # the administrator is a focal point too
    new_country(monkeypatch, tmp_path, "iq", "Iraq", "organisations=UNHCR,WFP", focal)
    root = ["--root", str(tmp_path)]

    code, out, err = cli(monkeypatch, url, "country", "plan", "iq", *root)
    assert code == 3, err
    assert "insert tenants: tenant iq" in out and "insert location_terms: location IQ-BG-K" in out
    assert ADMIN not in out + err and "fp1@" not in out + err  # e-mails are never printed
    assert scalar(url, "SELECT COUNT(*) FROM tenants") == 0  # plan writes nothing

    code, out, err = cli(monkeypatch, url, "country", "apply", "iq", *root, PLAIN, "--json")
    assert code == 0, err
    applied = json.loads(out)
    # tenant, roles, administrator (account, membership, role), two focal points (one new
    # account; memberships and roles), locations, organisations (term and link each)
    assert applied["applied"] and len(applied["changes"]) == 1 + 6 + 3 + 5 + 3 + 4
    assert scalar(url, "SELECT COUNT(*) FROM accounts") == 2
    assert (
        scalar(
            url,
            "SELECT COUNT(*) FROM membership_roles mr JOIN roles r ON r.id = mr.role_id "
            "WHERE r.source_id = 'psea_focal_point'",
        )
        == 2
    )

    code, out, err = cli(monkeypatch, url, "country", "plan", "iq", *root)
    assert code == 0, err
    assert "nothing to change" in out
    assert scalar(url, "SELECT template_version FROM tenants WHERE code = 'iq'") == "1.0.0"
    assert scalar(
        url,
        "SELECT p.source_id FROM location_terms c JOIN location_terms p ON c.parent_id = p.id "
        "WHERE c.name = 'Karkh'",
    ) == scalar(url, "SELECT source_id FROM location_terms WHERE name = 'Baghdad'")
    assert scalar(url, "SELECT password_hash FROM accounts") is None  # no password anywhere

    execute(url, "UPDATE roles SET name = 'Boss' WHERE source_id = 'administrator'")
    execute(url, "DELETE FROM location_terms WHERE name = 'Nineveh'")
    code, out, err = cli(monkeypatch, url, "country", "plan", "iq", *root, "--json")
    assert code == 3
    drift = {(c["action"], c["label"], tuple(c["fields"])) for c in json.loads(out)["changes"]}
    assert drift == {("update", "role administrator", ("name",)), ("insert", "location IQ-NI", ())}

    assert cli(monkeypatch, url, "country", "apply", "iq", *root, PLAIN)[0] == 0
    assert cli(monkeypatch, url, "country", "plan", "iq", *root)[0] == 0


def test_list_shows_tenants_versions_and_counts(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = target_with_schema(any_db)
    for code, name in (("iq", "Iraq"), ("cd", "DRC")):
        new_country(monkeypatch, tmp_path, code, name)
        assert (
            cli(monkeypatch, url, "country", "apply", code, "--root", str(tmp_path), PLAIN)[0] == 0
        )
    code, out, err = cli(monkeypatch, url, "country", "list", "--json")
    assert code == 0, err
    tenants = {t["code"]: t for t in json.loads(out)}
    assert set(tenants) == {"iq", "cd"}
    assert tenants["cd"]["template"] == "crp" and tenants["cd"]["template_version"] == "1.0.0"
    assert tenants["cd"]["rows"] == {
        "roles": 6,
        "memberships": 1,
        "membership_roles": 1,
        "location_terms": 3,
    }
    # one account per e-mail across tenants: the second country reuses the first's account
    assert scalar(url, "SELECT COUNT(*) FROM accounts") == 1
    assert scalar(url, "SELECT COUNT(DISTINCT account_id) FROM memberships") == 1


def test_plan_without_schema_says_what_to_do(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_country(monkeypatch, tmp_path, "iq", "Iraq")
    code, _out, err = cli(monkeypatch, any_db, "country", "plan", "iq", "--root", str(tmp_path))
    assert code == 1
    assert "schema create" in err


def test_apply_refuses_a_plaintext_target(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = target_with_schema(any_db)
    new_country(monkeypatch, tmp_path, "iq", "Iraq")
    code, _out, err = cli(monkeypatch, url, "country", "apply", "iq", "--root", str(tmp_path))
    assert code == 4
    assert "encryption" in err
    assert scalar(url, "SELECT COUNT(*) FROM tenants") == 0
