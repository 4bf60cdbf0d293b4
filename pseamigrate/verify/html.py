"""The HTML QA report of `verify`: one self-contained page (no external assets, no script).

The same tables as the terminal, a per-tenant chart of source vs target rows as inline SVG,
the mapping digests, run ids, server versions and the encryption checks. Rendered by Jinja2
with autoescaping from `verify/templates/report.html.j2`; it carries ids, names of fields and
entities, counts and hashes only.
"""

from __future__ import annotations

from typing import Any

import jinja2

from pseamigrate.verify.report import summary_rows
from pseamigrate.verify.results import LISTED, PENDING, Reconciliation, SiteCheck

BAR_WIDTH = 360  # pixels of the longest bar in a tenant's chart
ROW_HEIGHT = 22


def render_html(result: Reconciliation) -> str:
    """Return the report as one HTML document."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pseamigrate.verify", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        result=result.as_dict(),
        rows=summary_rows(result),
        charts=[chart(site) for site in result.sites],
        listed=LISTED,
        pending=[site.pending_line() for site in result.sites if site.state() == PENDING],
    )


def chart(site: SiteCheck) -> dict[str, Any]:
    """Return the bars of one tenant's chart: per entity, source and target rows."""
    largest = max([1] + [max(e.source, e.target) for e in site.entities])
    bars = []
    for index, e in enumerate(site.entities):
        bars.append(
            {
                "entity": e.entity,
                "y": index * ROW_HEIGHT * 2,
                "source": e.source,
                "target": e.target,
                "source_width": round(BAR_WIDTH * e.source / largest),
                "target_width": round(BAR_WIDTH * e.target / largest),
                "bad": bool(e.mismatches),
            }
        )
    return {
        "site": site.site,
        "bars": bars,
        "height": max(1, len(bars)) * ROW_HEIGHT * 2,
        "row": ROW_HEIGHT,
    }
