"""The HTML QA report of `verify`: one self-contained page (no external assets, no script).

Made to be signed (issue #24 item 1): provenance (version, operator, project file and its
sha256, every database's host:port/database and server version, mapping digests, run ids), an
entity x site grid coloured by verdict whose cells link to their differences, the sampled
rows, the encryption checks, the digests, and a sign-off block; print CSS for A4 portrait.
Rendered by Jinja2 with autoescaping from `verify/templates/report.html.j2`; it carries ids,
names of fields and entities, counts and hashes only.
"""

from __future__ import annotations

from typing import Any

import jinja2

from pseamigrate.verify.results import LISTED, PENDING, Reconciliation


def render_html(result: Reconciliation) -> str:
    """Return the report as one HTML document."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pseamigrate.verify", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    data = result.as_dict()
    anchors = difference_anchors(data)
    return template.render(
        result=data,
        grid=grid(data, anchors),
        anchors=anchors,
        listed=LISTED,
        pending=[site.pending_line() for site in result.sites if site.state() == PENDING],
    )


def has_differences(entity: dict[str, Any]) -> bool:
    """Tell whether an entity has something a reviewer must read: mismatches or explanations."""
    return bool(entity["mismatched"] or entity["explained"])


def difference_anchors(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Return the page anchor of each (site, entity) with differences (ids safe for HTML)."""
    return {
        (site["site"], entity["entity"]): f"d{number}-{index}"
        for number, site in enumerate(data["sites"])
        for index, entity in enumerate(site["entities"])
        if has_differences(entity)
    }


def grid(data: dict[str, Any], anchors: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """Return the entity x site grid: one row per entity (first-seen order), a cell per site.

    Entities down and sites across keep the grid one screen wide whatever the number of
    entities; a site without that entity gets an empty cell."""
    entities = list(dict.fromkeys(e["entity"] for s in data["sites"] for e in s["entities"]))
    rows = []
    for name in entities:
        cells = []
        for site in data["sites"]:
            entity = next((e for e in site["entities"] if e["entity"] == name), None)
            cells.append(None if entity is None else _cell(site["site"], entity, anchors))
        rows.append({"entity": name, "cells": cells})
    return rows


def _cell(site: str, entity: dict[str, Any], anchors: dict[tuple[str, str], str]) -> dict[str, Any]:
    sample = entity["sample"]
    return {
        "state": entity["state"],
        "source": entity["source"],
        "target": entity["target"],
        "anchor": anchors.get((site, entity["entity"]), ""),
        "sampled": len(sample),
        "sample_differs": sum(1 for row in sample if row["differing_fields"]),
    }
