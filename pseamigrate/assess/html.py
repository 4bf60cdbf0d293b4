"""Render an `Assessment` as one self-contained HTML page (no external assets, no JavaScript).

The template is package data (`assess/templates/assess.html.j2`); autoescaping is on, so any
name read from a site prints as text.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import jinja2

from pseamigrate import __version__
from pseamigrate.assess.findings import SEVERITIES, Assessment
from pseamigrate.errors import PseamigrateError


def render_html(assessment: Assessment, generated: dt.datetime | None = None) -> str:
    """Return the report as an HTML document."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pseamigrate.assess", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
    )
    moment = generated or dt.datetime.now(dt.UTC)
    report = assessment.as_dict()
    try:
        return env.get_template("assess.html.j2").render(
            report=report,
            matrix=summary_matrix(report),
            severities=SEVERITIES,
            generated=moment.strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
        )
    except jinja2.TemplateError as exc:
        raise PseamigrateError(f"template assess.html.j2 failed: {exc}") from None


def summary_matrix(report: dict[str, Any]) -> dict[str, Any]:
    """Return the site x check matrix at the top of the page (#24 item 2): per cell the rows
    found and the worst severity among that check's findings at that site."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    checks = sorted({f["check"] for site in report["sites"] for f in site["findings"]})
    rows = []
    for site in report["sites"]:
        cells: list[dict[str, Any] | None] = []
        for check in checks:
            found = [f for f in site["findings"] if f["check"] == check]
            worst = min((f["severity"] for f in found), key=rank.__getitem__, default="")
            cells.append(
                {"count": sum(f["count"] for f in found), "severity": worst} if found else None
            )
        rows.append({"site": site["site"], "cells": cells})
    return {"checks": checks, "rows": rows}


def write_html(assessment: Assessment, path: Path) -> Path:
    """Write the HTML report to `path` (whole, or not at all), readable by its owner only
    (0600): it names sites, fields and user ids."""
    text = render_html(assessment)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(fd, 0o600)  # whatever the umask
            handle.write(text)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PseamigrateError(f"cannot write {path}: {exc.strerror}") from None
    return path
