"""`scaffold --unmapped extra` on Drupal core's own databases, whose content the model has no place
for: every bundle (and every vocabulary the model lacks) is ignored with the reason, and `check`
passes with a warning for each (#9 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.db import make_engine
from pseamigrate.drupal import open_site
from pseamigrate.drupal.model import SiteModel
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.scaffold import REVIEW_BUNDLE, REVIEW_VOCABULARY

runner = CliRunner()


def _site_model(url: URL) -> SiteModel:
    engine = make_engine(url)
    try:
        with open_site(engine) as site:
            model: SiteModel = site.model
            return model
    finally:
        engine.dispose()


@pytest.mark.parametrize("dump", ["d7", "d10"])
def test_core_sites_scaffold_to_ignored_bundles_and_pass_check(
    dump: str, drupal_core: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = drupal_core[dump]
    monkeypatch.setenv("PSEA_CORE_SITE", url.render_as_string(hide_password=False))
    target = tmp_path / "core.yaml"
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  core:\n    tenant: core\n    connection: {url_env: PSEA_CORE_SITE}\n"
        f"    mapping: {target}\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "mappings"]
    scaffold = runner.invoke(app, [*args, "scaffold", "core", "--unmapped", "extra"])
    assert scaffold.exit_code == 0, scaffold.stderr
    site = _site_model(url)
    mapping = load_mapping(target)
    assert site.bundles, "the core site has content types"
    assert mapping.entities == ()
    assert {(i.name, i.reason) for i in mapping.ignore_bundles} == {
        (name, REVIEW_BUNDLE) for name in site.bundles
    }
    mapped = {v.source for v in mapping.vocabularies}
    assert {(i.name, i.reason) for i in mapping.ignore_vocabularies} == {
        (name, REVIEW_VOCABULARY) for name in site.vocabularies if name not in mapped
    }
    check = runner.invoke(app, [*args, "check", "--json"])
    assert check.exit_code == 0, check.stdout + check.stderr
    assert '"ok": true' in check.stdout
    assert check.stdout.count('"message": "to review: no entity of the model matches') == len(
        site.bundles
    )
    strict = runner.invoke(app, [*args, "check", "--strict"])
    assert strict.exit_code == 1
    warned = len(site.bundles) + len(site.vocabularies) - len(mapped)
    assert f"{target}: 0 problem(s), {warned} warning(s) (--strict)" in strict.stderr
