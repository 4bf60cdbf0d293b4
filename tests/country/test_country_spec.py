"""A hand-edited country folder with mistakes gets a clear message naming file and key (#11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.country.plan import desired_rows, seed_id, term_name_key
from pseamigrate.country.spec import load_country
from pseamigrate.errors import ConfigError
from tests.country.helpers import ADMIN, new_country


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    new_country(monkeypatch, tmp_path, "iq", "Iraq", "focal_points=fp@example.org")
    return tmp_path / "countries" / "iq"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_rendered_folder_loads(folder: Path) -> None:
    spec = load_country(folder)
    assert spec.admin_email == ADMIN  # read from $PSEA_ADMIN_EMAIL, which the file only names
    assert ADMIN not in (folder / "country.yaml").read_text()  # #24 item 10: no e-mail in YAML
    assert spec.code == "iq" and spec.template == "crp" and spec.template_version == "1.0.0"
    assert [p.code for p in spec.locations] == ["IQ-BG", "IQ-NI", "IQ-BG-K"]
    assert spec.focal_points == ("fp@example.org",)
    assert stat_mode(folder) == 0o700


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("country.yaml", 'code: "iq"', 'code: "cd"', "code: must be the folder's name 'iq'"),
        (
            "country.yaml",
            'email_env: "PSEA_ADMIN_EMAIL"',
            'email: "country.admin@example.org"',
            "administrator.email: an e-mail never goes in YAML",
        ),
        ("country.yaml", 'email_env: "PSEA_ADMIN_EMAIL"', "email_env: x", "email_env: required"),
        ("country.yaml", '"PSEA_ADMIN_EMAIL"', '"PSEA_UNSET_EMAIL"', "set $PSEA_UNSET_EMAIL"),
        ("country.yaml", 'focal_points: ["fp@example.org"]', "focal_points: [x]", "focal_points"),
        (
            "roles.yaml",
            "- {id: administrator, name: Administrator}",
            "",
            "must include 'administrator'",
        ),
        (
            "roles.yaml",
            "- {id: psea_focal_point, name: PSEA focal point}",
            "",
            "'psea_focal_point'",
        ),
        (
            "vocabularies.yaml",
            'parent: "IQ-BG"',
            'parent: "IQ-ZZ"',
            "parent 'IQ-ZZ' does not exist",
        ),
        ("vocabularies.yaml", 'code: "IQ-NI"', 'code: "IQ-BG"', "a code appears twice"),
        ("vocabularies.yaml", "organisation: []", "organisation: [1]", "organisation: must be"),
        ("country.yaml", "name:", "name: [", "not valid YAML"),
    ],
)
def test_mistakes_name_the_file_and_key(
    folder: Path, file: str, old: str, new: str, message: str
) -> None:
    _edit(folder / file, old, new)
    with pytest.raises(ConfigError) as caught:
        load_country(folder)
    assert file in str(caught.value) and message in str(caught.value)
    assert "country.admin@example.org" not in str(caught.value)


def test_seed_ids_are_negative_and_stable() -> None:
    assert seed_id("location", "IQ-BG") == seed_id("location", "IQ-BG") < 0
    assert seed_id("location", "IQ-BG") != seed_id("location", "IQ-NI")
    assert term_name_key("  Save the   Children ") == "save the children"


def test_desired_rows_put_references_first(folder: Path) -> None:
    order = [row.table for row in desired_rows(load_country(folder))]
    assert order[0] == "tenants"
    assert order.index("accounts") < order.index("memberships") < order.index("membership_roles")
    assert max(i for i, t in enumerate(order) if t == "roles") < order.index("membership_roles")
