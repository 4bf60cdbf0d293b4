"""What `pseamigrate deploy` and `pseamigrate server …` call; the CLI parses and renders."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.deploy.recipes import RecipePlan, load_recipe, plan_recipe
from pseamigrate.deploy.run import Say, open_runner, parse_host, run_recipe
from pseamigrate.errors import UsageProblem


@dataclass(frozen=True)
class DeployResult:
    """What a deploy ran (or, on a dry run, would run)."""

    plan: RecipePlan
    host: str
    ran: int | None  # None on a dry run


def read_secrets(names: tuple[str, ...], prompt: Callable[[str], str]) -> dict[str, str]:
    """Return each secret from the environment, else from `prompt` (never from argv)."""
    values = {}
    for name in names:
        value = os.environ.get(name) or prompt(f"{name} (not set in the environment)")
        if not value:
            raise UsageProblem(f"the recipe needs {name}: set it in the environment")
        values[name] = value
    return values


def deploy(
    recipe: str,
    host: str,
    sets: Mapping[str, str],
    *,
    dry_run: bool = False,
    identity: Path | None = None,
    known_hosts: Path | None = None,
    say: Say = lambda _line: None,
    prompt: Callable[[str], str] | None = None,
) -> DeployResult:
    """Render `recipe` with `sets` and run it on `host`, stopping at the first failed step."""
    target = parse_host(host)
    plan = plan_recipe(load_recipe(recipe), sets)
    if dry_run:
        return DeployResult(plan, str(target), None)
    from pseamigrate.config import password_prompt

    secrets = read_secrets(plan.secrets, prompt or password_prompt)
    runner = open_runner(target, identity, known_hosts)
    try:
        return DeployResult(plan, str(target), run_recipe(plan, runner, secrets, say))
    finally:
        runner.close()
