"""Rendering for the country command group (codes, counts and field names; never values)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pseamigrate.console import info, out, print_json, print_table, verdict

if TYPE_CHECKING:
    from pseamigrate.country.commands import CountryPlan, TenantSummary
    from pseamigrate.country.grant import GrantPlan
    from pseamigrate.country.template import Template


def show_templates(templates: Sequence[Template], json_out: bool) -> None:
    """Render `country list-templates`: name, version, summary and input names."""
    if json_out:
        print_json([t.as_dict() for t in templates])
        return
    rows = [
        (
            t.name,
            t.version,
            t.summary,
            ", ".join(i.name + ("*" if i.required else "") for i in t.inputs),
        )
        for t in templates
    ]
    print_table(
        "Country templates (* required input)", ["name", "version", "summary", "inputs"], rows
    )


def show_new(code: str, files: Sequence[Path]) -> None:
    """Render `country new`: the files written, then the next step."""
    for path in files:
        out.print(f"wrote {path}", soft_wrap=True)
    info(f"review them, then: pseamigrate country plan {code}")


def show_plan(plan: CountryPlan, json_out: bool) -> None:
    """Render `country plan|apply`: one line per change (table, row label, changed fields)."""
    if json_out:
        print_json(plan.as_dict())
        return
    if not plan.changes:
        verdict(f"country {plan.code}: the target matches, nothing to change", True)
        return
    for change in plan.changes:
        fields = f" ({', '.join(change.fields)})" if change.fields else ""
        out.print(f"  {change.action} {change.table}: {change.label}{fields}", soft_wrap=True)
    done = "applied" if plan.applied else "would apply"
    verdict(f"country {plan.code}: {done} {len(plan.changes)} change(s)", plan.applied)


def show_tenants(tenants: Sequence[TenantSummary], json_out: bool) -> None:
    """Render `country list`: one row per tenant with its total rows and the main counts."""
    if json_out:
        print_json([t.as_dict() for t in tenants])
        return
    rows = [
        (
            t.code,
            t.name,
            t.template or "-",
            t.template_version or "-",
            t.rows.get("roles", 0),
            t.rows.get("memberships", 0),
            sum(t.rows.values()),
        )
        for t in tenants
    ]
    columns = ["code", "name", "template", "version", "roles", "members", "rows"]
    print_table("Tenants", columns, rows)


def show_grant(plan: GrantPlan, option_file: Path, *, applied: bool, sql: bool) -> None:
    """Render `country grant`: the statements (with --sql) or a summary; never the password."""
    from pseamigrate.country.grant import shown_sql

    if sql:
        for step in plan.steps:
            out.print(f"{shown_sql(step)};", soft_wrap=True)
        return
    if not applied:
        for step in plan.steps:
            out.print(f"would run: {step.label}", soft_wrap=True)
        return
    out.print(f"account {plan.account}: {len(plan.views)} views in schema {plan.schema}")
    if plan.password_kept:
        verdict(f"password kept from {option_file} (--rotate-password sets a new one)", True)
    else:
        verdict(f"new password; credentials written to {option_file} (0600)", True)
