"""Rendering for the drupal command group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pseamigrate.console import out, print_json, print_table

if TYPE_CHECKING:
    from pseamigrate.drupal.shapes import (
        DiffData,
        DiffRow,
        DiffValue,
        FieldData,
        SiteInspectData,
        TimeZoneData,
    )


def show_inspect(data: SiteInspectData, *, json_out: bool) -> None:
    """Render `pseamigrate inspect` data: JSON, or tables of bundles, fields and counts."""
    if json_out:
        print_json(data)
        return
    out.print(
        f"site {data['site']}: Drupal {data['drupal_version']} ({data['layout']}), "
        f"prefix {data['table_prefix'] or '-'}",
        soft_wrap=True,
    )
    out.print(timezone_line(data["timezone"]), soft_wrap=True)
    bundles = data["bundles"]
    print_table(
        "Content types",
        ["type", "label", "nodes", "published", "unpublished", "revisions", "comments"]
        + ["fields", "deleted fields"],
        [
            (
                name,
                b["label"],
                b["count"],
                b["published"],
                b["count"] - b["published"],
                b["revisions"],
                b["comments"],
                len(b["fields"]),
                len(b["deleted_fields"]),
            )
            for name, b in bundles.items()
        ],
    )
    for name, bundle in bundles.items():
        _show_fields(f"{name} ({bundle['label']})", bundle["fields"])
    vocabularies = [(n, v["terms"], len(v["fields"])) for n, v in data["vocabularies"].items()]
    print_table("Vocabularies", ["vocabulary", "terms", "fields"], vocabularies)
    users, files = data["users"], data["files"]
    out.print(
        f"users: {users['total']} ({users['active']} active, {users['blocked']} blocked); "
        f"files: {files['total']}"
    )
    _show_notes(data)


def timezone_line(zone: TimeZoneData) -> str:
    """Say the site's time zone, where it comes from, or why UTC is used."""
    if zone["note"]:
        return f"time zone: {zone['name']} ({zone['note']})"
    return f"time zone: {zone['name']} ({zone['setting']}): Unix-time dates become dates in it"


def _show_fields(bundle: str, fields: dict[str, FieldData]) -> None:
    """Print one content type's fields: type, cardinality, required, list size, target."""
    rows = [
        (
            field,
            f["type"] + ("" if f["known_type"] else " (unknown)"),
            "unlimited" if f["cardinality"] == -1 else f["cardinality"],
            "yes" if f["required"] else "",
            len(f["allowed_values"]) or "",
            f["target_type"] or "",
        )
        for field, f in fields.items()
    ]
    columns = ["field", "field type", "cardinality", "required", "list values", "target"]
    print_table(f"Fields of {bundle}", columns, rows)


def _show_notes(data: SiteInspectData) -> None:
    for name, bundle in data["bundles"].items():
        if bundle["deleted_fields"]:
            rows = bundle.get("deleted_field_rows", {})
            named = [f"{f} ({rows.get(f, 0)} rows)" for f in bundle["deleted_fields"]]
            out.print(f"{name}: deleted in Drupal, data may remain: {', '.join(named)}")
    for unknown in data["unknown_field_types"]:
        out.print(f"unknown field type {unknown['type']}: {', '.join(unknown['fields'])}")
    if data["latin1_tables"]:
        out.print(f"latin1 tables (text re-decoded where UTF-8): {len(data['latin1_tables'])}")
    for problem in data["problems"]:
        out.print(
            f"problem {problem['table']} {problem['row']} {problem['field']}: {problem['message']}"
        )


def show_diff(data: DiffData, *, json_out: bool) -> None:
    """Render `pseamigrate diff` data: JSON, or one matrix row per difference."""
    if json_out:
        print_json(data)
        return
    sites = data["sites"]
    if not data["differences"]:
        out.print(f"no differences between {', '.join(sites)}")
        return
    rows = [
        (
            row["kind"],
            row["bundle"] or "",
            row["field"] or "",
            row["property"],
            *(_diff_cell(row, site) for site in sites),
        )
        for row in data["differences"]
    ]
    print_table(
        f"Drift between {', '.join(sites)}", ["kind", "bundle", "field", "what", *sites], rows
    )


def _diff_cell(row: DiffRow, site: str) -> str:
    """Show list values as their count plus the keys only some sites have."""
    if site not in row["values"]:
        return "-"
    value = row["values"][site]
    if "only_in" in row and isinstance(value, list):
        extra = " ".join(f"+{key}" for key in row["only_in"].get(site, []))
        return f"{len(value)} values {extra}".strip()
    return _cell(row["values"][site])


def _cell(value: DiffValue) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
