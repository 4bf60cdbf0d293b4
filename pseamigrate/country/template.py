"""Country templates shipped in `pseamigrate/data/country_templates/`, and their typed inputs.

A template is a folder with a `README.md` (first line: the summary), a versioned
`template.yaml` declaring its inputs (type, required or default, optional environment
variable) and `files/*.j2`. Inputs come from `--set key=value`, then the declared environment
variable, then the default; every problem is reported at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pseamigrate.errors import ConfigError, UsageProblem
from pseamigrate.resources import COUNTRY_TEMPLATES_DIR

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,15}$")
EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
INPUT_KEYS = {"type", "required", "default", "env", "help", "choices"}


@dataclass(frozen=True)
class Input:
    """One declared input of a template."""

    name: str
    type: str
    required: bool = False
    default: Any = None
    env: str | None = None
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A country template: name, version, summary, inputs and the folder of its files."""

    name: str
    version: str
    summary: str
    inputs: tuple[Input, ...]
    path: Path

    @property
    def files_dir(self) -> Path:
        """Return the folder of the `*.j2` files this template renders."""
        return self.path / "files"

    def as_dict(self) -> dict[str, Any]:
        """Return the template as JSON-ready data (for `list-templates --json`)."""
        inputs = [
            {k: v for k, v in vars(i).items() if v not in (None, (), "")} for i in self.inputs
        ]
        return {
            "name": self.name,
            "version": self.version,
            "summary": self.summary,
            "inputs": inputs,
        }


def list_templates(root: Path = COUNTRY_TEMPLATES_DIR) -> list[Template]:
    """Return every template shipped under `root`, by name."""
    return [load_template(p.name, root) for p in sorted(root.iterdir()) if _is_template(p)]


def _is_template(path: Path) -> bool:
    return path.is_dir() and (path / "template.yaml").is_file()


def load_template(name: str, root: Path = COUNTRY_TEMPLATES_DIR) -> Template:
    """Load the template `name`, or raise `UsageProblem` naming the known ones."""
    path = root / name
    if not re.fullmatch(r"[a-z0-9_-]+", name) or not _is_template(path):
        known = ", ".join(p.name for p in sorted(root.iterdir()) if _is_template(p))
        raise UsageProblem(f"unknown country template {name!r} (known: {known or 'none'})")
    where = path / "template.yaml"
    try:
        doc = yaml.safe_load(where.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise ConfigError(f"{where}: not valid YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), dict):
        raise ConfigError(f"{where}: needs 'template', 'version' and an 'inputs' mapping")
    inputs = tuple(_input(str(k), v, where) for k, v in doc["inputs"].items())
    readme = path / "README.md"
    summary = readme.read_text(encoding="utf-8").splitlines()[0] if readme.is_file() else ""
    return Template(
        str(doc.get("template", name)), str(doc.get("version", "")), summary, inputs, path
    )


def _input(name: str, doc: Any, where: Path) -> Input:
    if not isinstance(doc, dict) or set(doc) - INPUT_KEYS or doc.get("type") not in COERCE:
        raise ConfigError(
            f"{where}: inputs.{name}: needs a 'type' ({', '.join(sorted(COERCE))}) and only "
            f"the keys {', '.join(sorted(INPUT_KEYS))}"
        )
    return Input(
        name=name,
        type=str(doc["type"]),
        required=bool(doc.get("required", False)),
        default=doc.get("default"),
        env=doc.get("env"),
        help=str(doc.get("help", "")),
        choices=tuple(str(c) for c in doc.get("choices", ())),
    )


def resolve_inputs(
    template: Template, given: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return every input's value: given (`--set`), else its environment variable, else its
    default; raise `UsageProblem` listing every missing, unknown or malformed one."""
    env = os.environ if environ is None else environ
    known = {i.name for i in template.inputs}
    problems = [
        f"{key}: unknown input (known: {', '.join(sorted(known))})"
        for key in given
        if key not in known
    ]
    values: dict[str, Any] = {}
    for spec in template.inputs:
        raw = given.get(spec.name)
        if raw is None and spec.env and env.get(spec.env):
            raw = env[spec.env]
        if raw is None:
            if spec.required:
                where = f" or ${spec.env}" if spec.env else ""
                problems.append(f"{spec.name}: required (--set {spec.name}=…{where})")
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = COERCE[spec.type](raw, spec)
        except ValueError as exc:
            problems.append(f"{spec.name}: {exc}")
    if problems:
        raise UsageProblem(f"template {template.name}: " + "; ".join(problems))
    return values


def _items(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        return [str(item).strip() for item in raw if str(item).strip()]
    return [item.strip() for item in str(raw).split(",") if item.strip()]


def _code(raw: Any, _spec: Input) -> str:
    if not CODE_RE.match(str(raw)):
        raise ValueError("must be 2-16 lower-case letters, digits or _, starting with a letter")
    return str(raw)


def _string(raw: Any, _spec: Input) -> str:
    value = str(raw).strip()
    if not value or len(value) > 255:
        raise ValueError("must be 1-255 characters")
    return value


def _choice(raw: Any, spec: Input) -> str:
    if str(raw) not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}")
    return str(raw)


def _timezone(raw: Any, _spec: Input) -> str:
    try:
        ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known IANA time zone (e.g. Asia/Baghdad)") from None
    return str(raw)


def _email(raw: Any, _spec: Input) -> str:
    value = str(raw).strip()
    if not EMAIL_RE.match(value):
        raise ValueError("not an e-mail address")  # the value itself is never echoed
    return value


def _email_list(raw: Any, spec: Input) -> list[str]:
    return [_email(item, spec) for item in _items(raw)]


def _list(raw: Any, _spec: Input) -> list[str]:
    return _items(raw)


def _locations(raw: Any, _spec: Input) -> Any:
    if not isinstance(raw, list):
        raise ValueError("given with --locations FILE.csv, not --set")
    return raw


COERCE: dict[str, Callable[[Any, Input], Any]] = {
    "code": _code,
    "string": _string,
    "choice": _choice,
    "timezone": _timezone,
    "email": _email,
    "email_list": _email_list,
    "list": _list,
    "locations": _locations,
}
