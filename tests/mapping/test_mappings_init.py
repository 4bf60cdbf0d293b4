"""`mappings init` (#24 item 11): operators edit copies in their project, never the package's."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import load_settings
from pseamigrate.resources import MAPPINGS_DIR

runner = CliRunner()

PROJECT = """\
# our project
sites:
  demo:
    tenant: demo
    connection: {url_env: PSEA_DEMO_URL}
"""


def _init(config: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--config", str(config), "mappings", "init", *args])
    return result.exit_code, result.stdout, result.stderr


def test_init_copies_the_shipped_mappings_and_names_them(tmp_path: Path) -> None:
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(PROJECT)
    code, out, _ = _init(config, "--dry-run")
    assert code == 0 and "would copy" in out and not (tmp_path / "mappings").exists()
    assert config.read_text() == PROJECT
    code, out, err = _init(config)
    assert code == 0, err
    shipped = sorted(p.relative_to(MAPPINGS_DIR) for p in MAPPINGS_DIR.rglob("*.yaml"))
    copied = sorted(
        p.relative_to(tmp_path / "mappings") for p in (tmp_path / "mappings").rglob("*")
    )
    assert {"sites/demo.yaml", "shared/crp-template.yaml"} <= {str(p) for p in copied}
    assert set(copied) - {Path("sites"), Path("shared")} == set(shipped) - {Path("model.yaml")}
    assert config.read_text() == PROJECT + 'mappings: "mappings"\n'  # comments kept
    site = load_settings(config).site("demo")
    assert site.mapping == tmp_path / "mappings" / "sites" / "demo.yaml"  # the copy is read
    validated = runner.invoke(app, ["mappings", "validate", str(site.mapping)])
    assert validated.exit_code == 0, validated.output  # its include resolves inside the copy
    code, _, err = _init(config)
    assert code == 2 and "is not an empty folder: nothing is overwritten" in err


def test_init_refuses_when_the_project_names_other_mappings(tmp_path: Path) -> None:
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(PROJECT + "mappings: ours\n")
    code, _, err = _init(config, "elsewhere")
    assert code == 2 and "already names mappings" in err
    assert not (tmp_path / "elsewhere").exists()
