"""Rendering for `deploy`: recipes, the dry-run plan, and the closing verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pseamigrate.console import out, print_json, print_table, verdict

if TYPE_CHECKING:
    from pseamigrate.deploy.commands import DeployResult
    from pseamigrate.deploy.fetch import FetchReport
    from pseamigrate.deploy.recipes import Recipe


def show_recipes(recipes: Sequence[Recipe], json_out: bool) -> None:
    """List the recipes: name, version, summary and parameters (* required)."""
    if json_out:
        print_json(
            [
                {
                    "name": r.name,
                    "version": r.version,
                    "summary": r.summary,
                    "params": [vars(p) for p in r.params],
                    "secrets": list(r.secrets),
                }
                for r in recipes
            ]
        )
        return
    rows = [
        (
            r.name,
            r.version,
            r.summary,
            ", ".join(p.name + ("*" if p.required else "") for p in r.params),
            ", ".join(r.secrets) or "-",
        )
        for r in recipes
    ]
    print_table("Recipes (* required)", ["name", "version", "summary", "params", "secrets"], rows)


def show_result(result: DeployResult, json_out: bool) -> None:
    """Print the plan's commands on a dry run, else the verdict of the run."""
    if json_out:
        print_json(result.plan.as_dict() | {"host": result.host, "ran": result.ran})
        return
    if result.ran is None:
        for name, value in result.plan.env.items():
            out.print(f"# env {name}={value}", soft_wrap=True)
        for name in result.plan.secrets:
            out.print(f"# secret {name} (from the environment or a prompt)", soft_wrap=True)
        for step in result.plan.steps:
            out.print(f"# {step.number}. {step.name}", soft_wrap=True)
            if step.unless:
                out.print(f"#    unless: {step.unless}", soft_wrap=True)
            out.print(step.command, soft_wrap=True)
        return
    skipped = len(result.plan.steps) - result.ran
    verdict(
        f"recipe {result.plan.recipe} done on {result.host}: {result.ran} step(s) ran, "
        f"{skipped} already done",
        True,
    )


def show_fetch(report: FetchReport) -> None:
    """Print what `fetch-files` copied: counts and bytes, never file names."""
    skipped = f", {report.skipped} links or special files skipped" if report.skipped else ""
    verdict(
        f"copied {report.files} files ({report.bytes} bytes){skipped}; "
        f"sha256 manifest {report.manifest}",
        True,
    )
