"""The library side of `pseamigrate inspect` and `pseamigrate diff`: connect, read, report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pseamigrate.config import Settings
from pseamigrate.db import connect_checked, where
from pseamigrate.drupal.facts import site_facts
from pseamigrate.drupal.read import DrupalSite, open_site
from pseamigrate.drupal.report import diff_data, inspect_data
from pseamigrate.errors import UsageProblem

Say = Callable[[str], None]


def inspect_site(settings: Settings, name: str, say: Say | None = None) -> dict[str, Any]:
    """Connect to a site named in the project file and describe its content model with counts."""
    settings.require_file()
    site_settings = settings.site(name)
    url = site_settings.connection.resolve()
    engine = connect_checked(url, f"site {name!r}")
    try:
        if say:
            say(f"reading site {name!r} at {where(url)}")
        with open_site(
            engine, site_settings.table_prefix, where=f"site {name!r} at {where(url)}"
        ) as site:
            return {"site": name, **describe(site)}
    finally:
        engine.dispose()


def describe(site: DrupalSite) -> dict[str, Any]:
    """Build the inspect data of an opened site."""
    facts = site_facts(site.source, site.model.layout)
    return inspect_data(site.model, site.counts(), site.latin1_tables(), facts)


def diff_sites(settings: Settings, names: list[str], say: Say | None = None) -> dict[str, Any]:
    """Inspect each named site and return the drift matrix between them."""
    if len(set(names)) < 2:
        raise UsageProblem("diff needs at least two different sites")
    return diff_data({name: inspect_site(settings, name, say) for name in names})
