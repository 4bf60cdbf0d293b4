"""`scaffold --unmapped extra` on Drupal core's own databases, whose content the model has no place
for: every bundle (and every vocabulary the model lacks) is ignored with the reason, and `check`
passes with a warning for each (#9 item 1)."""

from __future__ import annotations

import json
import re
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
from tests.mapping.lossless import MESSAGE, assert_lossless

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
    assert f"{target}: 0 problem(s), {warned} warning(s) (--strict)" in strict.stdout


# A model that gives core's content types a place, with every kind of mismatch on purpose: several
# values for one column, a free-text field and an integer into date columns, a term field that
# also points at a vocabulary the model lacks, a link into an integer column, a list into a coded
# column that knows none of its values, a file child table, a child that cannot take its field.
CORE_MODEL = """\
version: 1
vocabularies:
  tags: {scope: shared, from: [tags]}
entities:
  article:
    table: articles
    columns:
      body: {type: text, sensitivity: sensitive}
      tags_id: {type: term, vocabulary: tags, from: field_tags}
      image_id: {type: file, from: field_image}
      reference_id: {type: ref, entity: article, from: [field_reference, field_test_8]}
      checkbox: {type: boolean, sensitivity: public, from: field_checkbox}
      link: {type: integer, sensitivity: public, from: field_link}
  test_content_type:
    table: test_contents
    columns:
      counted_on: {type: date, sensitivity: date, from: [field_integer, field_test_23]}
      written_on: {type: date, sensitivity: date, from: [field_text, field_test_19]}
      happened_on: {type: date, sensitivity: date, from: [field_date, field_test_3]}
      colour:
        type: string
        length: 16
        values: [red, green]
        sensitivity: public
        from: [field_text_list, field_test_16]
      email: {type: string, sensitivity: personal, from: [field_email, field_test_4]}
      term_id: {type: term, vocabulary: tags, from: [field_term_reference, field_test_11]}
    children:
      files:
        table: test_files
        from: [field_file, field_test_9]
        columns:
          file_id: {type: file, required: true}
          description: {type: string, sensitivity: sensitive}
      phones:
        table: test_phones
        from: [field_telephone, field_test_7]
        columns:
          number: {type: string, sensitivity: personal}
"""


@pytest.mark.parametrize("dump", ["d7", "d10"])
def test_core_content_through_a_lossless_scaffold_loses_nothing(
    dump: str, drupal_core: dict[str, URL], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = drupal_core[dump]
    monkeypatch.setenv("PSEA_CORE_SITE", url.render_as_string(hide_password=False))
    model, target = tmp_path / "model.yaml", tmp_path / "core.yaml"
    model.write_text(CORE_MODEL, encoding="utf-8")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  core:\n    tenant: core\n    connection: {url_env: PSEA_CORE_SITE}\n"
        f"    mapping: {target}\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "mappings"]
    scaffold = ["scaffold", "core", "--unmapped", "extra", "--model", str(model)]
    assert runner.invoke(app, [*args, *scaffold]).exit_code == 0
    check = runner.invoke(app, [*args, "check", "--model", str(model)])
    assert check.exit_code == 0, check.stderr
    assert "ok  " in check.stdout and "warning: " in check.stdout
    mapping = load_mapping(target)
    assert {e.bundle for e in mapping.entities} == {"article", "test_content_type"}
    checked, messages = assert_lossless(url, mapping)
    assert checked >= 20
    assert all(MESSAGE.fullmatch(m) for m in messages), messages


@pytest.mark.parametrize("dump", ["d7", "d10"])
@pytest.mark.parametrize("with_model", [False, True], ids=["shipped-model", "core-model"])
def test_the_default_scaffold_of_core_writes_nothing_check_rejects_but_its_todos(
    dump: str,
    with_model: bool,
    drupal_core: dict[str, URL],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--unmapped todo` on Drupal core's databases: what fits goes in, what does not (several
    values for one column, a term of a vocabulary the model lacks, text into an integer…) is a
    TODO ignore saying why; so every problem `check` then finds is a TODO the summary counted."""
    url = drupal_core[dump]
    monkeypatch.setenv("PSEA_CORE_SITE", url.render_as_string(hide_password=False))
    model, target = tmp_path / "model.yaml", tmp_path / "core.yaml"
    model.write_text(CORE_MODEL, encoding="utf-8")
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  core:\n    tenant: core\n    connection: {url_env: PSEA_CORE_SITE}\n"
        f"    mapping: {target}\n",
        encoding="utf-8",
    )
    args = ["--config", str(config), "mappings"]
    models = ["--model", str(model)] if with_model else []
    scaffold = runner.invoke(app, [*args, "scaffold", "core", *models])
    assert scaffold.exit_code == 0, scaffold.stderr
    check = runner.invoke(app, [*args, "check", "--json", *models])
    assert check.exit_code == 1, check.stdout + check.stderr
    (result,) = json.loads(check.stdout)
    problems = result["problems"]
    assert [p for p in problems if "TODO" not in p["message"]] == []
    todos = re.search(r"(\d+) TODO\(s\) to resolve, (\d+) decision", scaffold.stderr)
    assert todos is not None and int(todos.group(1)) == len(problems) > 0
    if with_model:  # core's content types are mapped: fields went in, and misfits were named
        mapping = load_mapping(target)
        assert {e.bundle for e in mapping.entities} == {"article", "test_content_type"}
        reasons = [i.reason for e in mapping.entities for i in e.ignore]
        assert any(r.startswith("TODO: ") and "not in the model" not in r for r in reasons)
