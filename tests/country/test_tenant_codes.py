"""Tenant codes meet one rule wherever they come from (#30 S9): a project file's
`sites.<name>.tenant`, `country new` and `country grant`. A code names the file store's folder,
the tenant's schema and its account, so `../escaped` or a quote is refused, never spliced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from pseamigrate.config import load_settings
from pseamigrate.errors import ConfigError
from tests.country.helpers import cli, execute, scalar, target_with_schema

# Closes the account's quoted user name and comments out `IDENTIFIED BY :password`: before the
# fix, `country grant` created `<db>_x'@'%'` with no password at all.
INJECTED = "x'@'%'#"


def _project(tmp_path: Path, tenant: str) -> Path:
    project = tmp_path / "pseamigrate.yaml"
    project.write_text(
        f"sites:\n  s:\n    tenant: {tenant!r}\n    connection: {{url_env: PSEA_S_URL}}\n"
        "target:\n  connection: {url_env: PSEA_T_URL}\n  files_dir: store\n"
    )
    return project


@pytest.mark.parametrize("tenant", ["../escaped", "a/b", "iq x", "x'@'%'#", "é"])
def test_a_project_file_tenant_code_outside_the_rule_is_refused(
    tmp_path: Path, tenant: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_project(tmp_path, tenant))
    assert "sites.s.tenant: only letters, digits and _ are allowed" in str(caught.value)


def test_a_plain_project_file_tenant_code_loads(tmp_path: Path) -> None:
    assert load_settings(_project(tmp_path, "iq_2")).site("s").tenant == "iq_2"


def test_country_new_refuses_a_code_outside_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _out, err = cli(
        monkeypatch,
        None,
        "country",
        "new",
        "../escaped",
        "--set",
        "name=X",
        "--root",
        str(tmp_path),
    )
    assert code == 4
    assert "the tenant code holds characters other than letters, digits and _" in err
    assert not any(tmp_path.rglob("*.yaml"))


@pytest.fixture
def _drop_injected(any_db: URL) -> Iterator[None]:
    yield
    name = f"{any_db.database}_x"
    execute(any_db, f"DROP USER IF EXISTS '{name}'@'%'")
    hostile_schema = f"{any_db.database}_{INJECTED}".replace("`", "``")
    execute(any_db, f"DROP DATABASE IF EXISTS `{hostile_schema}`")


@pytest.mark.usefixtures("_drop_injected")
def test_country_grant_never_splices_a_code_into_create_user(
    any_db: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_with_schema(any_db)
    # A tenant row written before codes were checked (a project file's code, a hand insert).
    execute(
        any_db,
        "INSERT INTO tenants (code, name, created_at) VALUES ('x''@''%''#', 'Injected', NOW())",
    )
    option_file = tmp_path / "x.cnf"
    code, _out, err = cli(
        monkeypatch, any_db, "country", "grant", INJECTED, "--option-file", str(option_file)
    )
    assert code == 4, err
    assert "the tenant code holds characters other than letters, digits and _" in err
    account = f"{any_db.database}_x"
    made = scalar(any_db, f"SELECT COUNT(*) FROM mysql.user WHERE user = '{account}'")
    assert made == 0, "an account was created from an injected tenant code"
    assert not option_file.exists()


def test_an_account_name_is_built_by_the_helper() -> None:
    from pseamigrate.errors import UnsafeIdentifier
    from pseamigrate.names import quote_account

    assert quote_account("psea_iq", "%") == "'psea_iq'@'%'"
    assert quote_account("psea_iq", "10.0.%") == "'psea_iq'@'10.0.%'"
    for user, host in (("a'b", "%"), ("psea_iq", "x' IDENTIFIED BY 'p"), ("a b", "%")):
        with pytest.raises(UnsafeIdentifier):
            quote_account(user, host)
