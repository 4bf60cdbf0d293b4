"""Deploy recipes (`pseamigrate/data/recipes/*.yaml`): ordered shell steps with parameters.

A recipe declares its parameters (required, default, choices), the environment of every step
(rendered, not secret), the names of its secrets (read here from the environment or a prompt,
never argv, and sent to the host only in an owner-only file that each step sources), and its
steps: `name`, `run` (a Jinja2 template; every `{{ value }}` is shell-quoted), optionally
`unless` (a command; exit 0 skips the step), `ok_codes` and `timeout` (seconds). `plan_recipe`
renders everything first, so `--dry-run` prints exactly the commands a run executes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from pseamigrate.errors import ConfigError, UsageProblem
from pseamigrate.resources import RECIPES_DIR

RECIPE_KEYS = {"recipe", "version", "summary", "params", "env", "secrets", "steps"}
STEP_KEYS = {"name", "run", "unless", "ok_codes", "timeout"}
STEP_TIMEOUT = 1800  # seconds a step may take unless it says otherwise
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Param:
    """One parameter of a recipe (`--set name=value`)."""

    name: str
    required: bool = False
    default: str | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Recipe:
    """A recipe as its YAML file declares it (templates not yet rendered)."""

    name: str
    version: str
    summary: str
    params: tuple[Param, ...]
    env: dict[str, str]
    secrets: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class PlannedStep:
    """One rendered step: what runs on the host, and when it counts as done."""

    number: int
    name: str
    command: str
    unless: str = ""
    ok_codes: tuple[int, ...] = (0,)
    timeout: int = STEP_TIMEOUT


@dataclass(frozen=True)
class RecipePlan:
    """A recipe rendered with its parameters: the commands a run executes, in order."""

    recipe: str
    version: str
    steps: tuple[PlannedStep, ...]
    env: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data (secret names only, never values)."""
        steps = [vars(step) | {"ok_codes": list(step.ok_codes)} for step in self.steps]
        return {
            "recipe": self.recipe,
            "version": self.version,
            "env": self.env,
            "secrets": list(self.secrets),
            "steps": steps,
        }


def list_recipes(root: Path = RECIPES_DIR) -> list[Recipe]:
    """Return every recipe shipped under `root`, by name."""
    return [load_recipe(path.stem, root) for path in sorted(root.glob("*.yaml"))]


def load_recipe(name: str, root: Path = RECIPES_DIR) -> Recipe:
    """Load the recipe `name`, or raise `UsageProblem` naming the known ones."""
    path = root / f"{name}.yaml"
    if not re.fullmatch(r"[a-z0-9-]+", name) or not path.is_file():
        known = ", ".join(p.stem for p in sorted(root.glob("*.yaml")))
        raise UsageProblem(f"unknown recipe {name!r} (known: {known or 'none'})")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        raise ConfigError(f"{path}: not valid YAML") from None
    if (
        not isinstance(doc, dict)
        or set(doc) - RECIPE_KEYS
        or not isinstance(doc.get("steps"), list)
    ):
        raise ConfigError(
            f"{path}: needs 'steps' and only the keys {', '.join(sorted(RECIPE_KEYS))}"
        )
    return Recipe(
        name=name,
        version=str(doc.get("version", "")),
        summary=str(doc.get("summary", "")),
        params=tuple(_param(str(k), v, path) for k, v in (doc.get("params") or {}).items()),
        env={str(k): str(v) for k, v in (doc.get("env") or {}).items()},
        secrets=tuple(str(s) for s in doc.get("secrets") or ()),
        steps=tuple(_step(number, step, path) for number, step in enumerate(doc["steps"], 1)),
    )


def _param(name: str, doc: Any, path: Path) -> Param:
    doc = doc or {}
    if not isinstance(doc, dict) or set(doc) - {"required", "default", "choices", "help"}:
        raise ConfigError(f"{path}: params.{name}: only required, default, choices, help")
    default = doc.get("default")
    return Param(
        name,
        bool(doc.get("required", False)),
        None if default is None else str(default),
        tuple(str(c) for c in doc.get("choices", ())),
        str(doc.get("help", "")),
    )


def _step(number: int, doc: Any, path: Path) -> dict[str, Any]:
    if (
        not isinstance(doc, dict)
        or set(doc) - STEP_KEYS
        or not doc.get("name")
        or not doc.get("run")
    ):
        raise ConfigError(
            f"{path}: steps[{number}]: needs 'name' and 'run' (and only "
            f"{', '.join(sorted(STEP_KEYS))})"
        )
    return dict(doc)


def resolve_params(recipe: Recipe, given: Mapping[str, str]) -> dict[str, str]:
    """Return every parameter's value; raise `UsageProblem` listing every problem at once."""
    known = {p.name for p in recipe.params}
    problems = [
        f"{k}: unknown parameter (known: {', '.join(sorted(known))})"
        for k in given
        if k not in known
    ]
    values: dict[str, str] = {}
    for param in recipe.params:
        value = given.get(param.name, param.default)
        if value is None:
            problems.append(f"{param.name}: required (--set {param.name}=…)")
        elif param.choices and value not in param.choices:
            problems.append(f"{param.name}: must be one of {', '.join(param.choices)}")
        else:
            values[param.name] = value
    if problems:
        raise UsageProblem(f"recipe {recipe.name}: " + "; ".join(problems))
    return values


def _shell_quote(value: Any) -> Any:
    """Quote what a `{{ }}` prints for the shell (jinja2 `finalize`); literal text is kept."""
    return shlex.quote(str(value))


def plan_recipe(recipe: Recipe, given: Mapping[str, str]) -> RecipePlan:
    """Render the recipe's environment and steps with its parameters."""
    values = resolve_params(recipe, given)
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    shell = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, finalize=_shell_quote
    )
    try:
        env = {k: plain.from_string(v).render(**values) for k, v in recipe.env.items()}
        steps = tuple(
            _render_step(shell, number, step, values) for number, step in enumerate(recipe.steps, 1)
        )
    except jinja2.TemplateError as exc:
        raise ConfigError(f"recipe {recipe.name}: {exc}") from None
    bad = [name for name in [*env, *recipe.secrets] if not ENV_NAME.match(name)]
    if bad:
        raise ConfigError(f"recipe {recipe.name}: not environment variable names: {', '.join(bad)}")
    return RecipePlan(recipe.name, recipe.version, steps, env, recipe.secrets)


def _render_step(
    shell: jinja2.Environment, number: int, step: dict[str, Any], values: dict[str, str]
) -> PlannedStep:
    def render(template: str) -> str:
        return shell.from_string(template).render(**values).strip()

    unless = render(step["unless"]) if step.get("unless") else ""
    codes = tuple(int(c) for c in step.get("ok_codes", (0,)))
    timeout = int(step.get("timeout", STEP_TIMEOUT))
    return PlannedStep(number, str(step["name"]), render(step["run"]), unless, codes, timeout)
