"""Render a country template into `countries/CODE/` (Jinja2, `StrictUndefined`).

Rendering happens in memory first: every file must render and parse as YAML before anything is
written, and an existing destination is refused, so a failed `country new` leaves nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import yaml

from pseamigrate.country.locations import Location
from pseamigrate.country.template import Template
from pseamigrate.errors import ConfigError, RefusedForSafety

COUNTRIES_DIR = "countries"


def _yaml_value(value: Any) -> str:
    """Render a value as a YAML flow scalar or list (JSON is valid YAML, and always quoted)."""
    return json.dumps(value, ensure_ascii=False)


def environment(template: Template) -> jinja2.Environment:
    """Return the Jinja2 environment of `template`: strict, no HTML escaping, a `yaml` filter."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.files_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML files, not HTML
    )
    env.filters["yaml"] = _yaml_value
    return env


def render_files(template: Template, values: dict[str, Any]) -> dict[Path, str]:
    """Render every `*.j2` of the template; return relative path -> text, each valid YAML."""
    env = environment(template)
    context = {
        **values,
        "template": {"name": template.name, "version": template.version},
        # The variable each input was read from: a file names it instead of holding a personal
        # value such as the administrator's e-mail (docs/operations.md: never in YAML).
        "env": {item.name: item.env for item in template.inputs if item.env},
    }
    rendered: dict[Path, str] = {}
    for source in sorted(template.files_dir.rglob("*.j2")):
        relative = source.relative_to(template.files_dir)
        try:
            text = env.get_template(relative.as_posix()).render(**context)
        except jinja2.TemplateError as exc:
            raise ConfigError(f"template {template.name}: {relative}: {exc}") from None
        try:
            yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(
                f"template {template.name}: {relative} renders invalid YAML"
            ) from None
        rendered[relative.with_suffix("")] = text
    return rendered


def location_values(locations: list[Location]) -> list[dict[str, str]]:
    """Return the locations as the plain values templates iterate over."""
    return [{"code": p.code, "name": p.name, "parent_code": p.parent_code} for p in locations]


def write_country(dest: Path, files: dict[Path, str]) -> list[Path]:
    """Write the rendered files into `dest`, which must not exist; all or nothing."""
    if dest.exists():
        raise RefusedForSafety(f"{dest} already exists: refusing to overwrite a country's files")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        for relative, text in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_text(text, encoding="utf-8")
        staging.chmod(0o700)  # the files name people by e-mail: owner-only
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [dest / relative for relative in files]
