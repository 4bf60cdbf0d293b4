"""verify on real servers: a clean migration reconciles; each kind of damage is caught (#10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.verify import results as r
from pseamigrate.verify.reconcile import VerifyOptions, verify
from tests.migrate.helpers import Project
from tests.verify import damage
from tests.verify.conftest import IGNORED_FIELD

runner = CliRunner()


def _cli(project: Project, *args: str) -> Any:
    return runner.invoke(
        app, ["--config", str(project.path), "verify", "--allow-plaintext-target", *args]
    )


def test_a_clean_migration_reconciles(migrated: Project, tmp_path: Path) -> None:
    result = verify(migrated.settings(), [], VerifyOptions(allow_plaintext=True, sample=3))
    data = result.as_dict()
    mismatched = [
        (s["site"], e["entity"]) for s in data["sites"] for e in s["entities"] if e["mismatches"]
    ]
    assert mismatched == []
    assert [t for s in data["sites"] for t in s["tables"] if t["unexplained"]] == []
    assert data["ok"] and data["encryption"]["allowed_plaintext_target"]
    for site in data["sites"]:
        assert site["last_run_id"] and site["mapping_digest"] == site["last_run_mapping_digest"]
        complaints = next(e for e in site["entities"] if e["entity"] == "complaint")
        assert complaints["source"] == complaints["target"] == complaints["compared"] > 0
        assert complaints["checksum"] == "ok" and len(complaints["sample"]) == 3
    cli = _cli(migrated, "--json", str(tmp_path / "clean.json"))
    assert cli.exit_code == 0, cli.output
    assert json.loads((tmp_path / "clean.json").read_text())["ok"] is True


def _entity(data: dict[str, Any], site: str, entity: str) -> dict[str, Any]:
    found = next(s for s in data["sites"] if s["site"] == site)
    return next(e for e in found["entities"] if e["entity"] == entity)


def test_each_damage_is_caught_with_its_source_ids(migrated: Project, tmp_path: Path) -> None:
    p = migrated
    expected = {
        ("demo", "complaint"): {
            damage.delete_target_row(p, "demo", "complaints"): "missing in the target"
        },
        ("iraq", "referral"): {damage.flip_published(p, "iraq", "referrals"): "fields differ"},
        ("drc", "awareness_session"): {
            damage.remove_child(p, "drc", "awareness_session_topics"): "fields differ"
        },
        ("syria", "files"): {damage.alter_stored_file(p, "syria"): "store copy differs"},
        ("demo", "referral revisions"): {
            damage.delete_revision(p, "demo", "referral_revisions"): "missing in the target"
        },
    }
    new_nid, new_vid = damage.copy_node(p.sources["iraq"], "complaint")
    damage.change_ignored_field(p.sources["drc"], IGNORED_FIELD)
    cli = _cli(p, "--json", str(tmp_path / "v.json"), "--html", str(tmp_path / "v.html"))
    assert cli.exit_code == 3, cli.output
    data = json.loads((tmp_path / "v.json").read_text())
    found = {
        (s["site"], e["entity"]): {m["source_id"]: m["problem"] for m in e["mismatches"]}
        for s in data["sites"]
        for e in s["entities"]
        if e["mismatches"]
    }
    assert found == expected
    assert _entity(data, "iraq", "referral")["mismatches"][0]["fields"] == ["published"]
    child = _entity(data, "drc", "awareness_session")["mismatches"][0]["fields"]
    assert child == ["children:awareness_session_topics"]
    new = _entity(data, "iraq", "complaint")
    assert new["explanations"] == {r.NOT_YET: [new_nid]} and new["mismatched"] == 0
    assert new["source"] == new["target"] + 1
    assert _entity(data, "iraq", "complaint revisions")["explanations"] == {r.NOT_YET: [new_vid]}
    assert _entity(data, "drc", "complaint")["explanations"] == {}
    for (site, entity), ids in expected.items():
        for sid in ids:
            assert f"mismatch {site} {entity} {sid}:" in cli.output
    assert f"iraq complaint: {r.NOT_YET} (1): {new_nid}" in cli.output
