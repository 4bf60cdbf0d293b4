"""verify on real servers: a clean migration reconciles; each kind of damage is caught (#10)."""

from __future__ import annotations

import json
from pathlib import Path

from pseamigrate.verify.reconcile import VerifyOptions, verify
from tests.migrate.helpers import Project


def test_a_clean_migration_reconciles(migrated: Project) -> None:
    result = verify(migrated.settings(), [], VerifyOptions(allow_plaintext=True, sample=3))
    data = result.as_dict()
    problems = {
        (s["site"], e["entity"]): e["mismatches"][:3]
        for s in data["sites"]
        for e in s["entities"]
        if e["mismatches"]
    }
    assert problems == {}
    assert [t for s in data["sites"] for t in s["tables"] if t["unexplained"]] == []
    assert result.mismatched() == 0
    Path("/tmp/verify_clean.json").write_text(json.dumps(data, indent=1))
