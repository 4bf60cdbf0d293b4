"""The library side of `pseamigrate inspect` and `pseamigrate diff`: connect, read, report."""

from __future__ import annotations

from collections.abc import Callable

from pseamigrate.config import Settings
from pseamigrate.db import connection, reading, where
from pseamigrate.drupal.facts import site_facts
from pseamigrate.drupal.read import DrupalSite, open_site
from pseamigrate.drupal.report import diff_data, inspect_data
from pseamigrate.drupal.shapes import DiffData, InspectData, SiteInspectData
from pseamigrate.errors import UsageProblem

Say = Callable[[str], None]


def inspect_site(settings: Settings, name: str, say: Say | None = None) -> SiteInspectData:
    """Connect to a site named in the project file and describe its content model with counts."""
    settings.require_file()
    site_settings = settings.site(name)
    url = reading(site_settings.connection.resolve())
    with connection(url, f"site {name!r}") as conn:
        if say:
            say(f"reading site {name!r} at {where(url)}")
        prefix, at = site_settings.table_prefix, f"site {name!r} at {where(url)}"
        with open_site(conn, prefix, where=at) as site:
            return {"site": name, **describe(site)}


def describe(site: DrupalSite) -> InspectData:
    """Build the inspect data of an opened site."""
    facts = site_facts(site.source, site.model.layout)
    return inspect_data(site.model, site.counts(), site.latin1_tables(), facts)


def diff_sites(settings: Settings, names: list[str], say: Say | None = None) -> DiffData:
    """Inspect each named site and return the drift matrix between them."""
    if len(set(names)) < 2:
        raise UsageProblem("diff needs at least two different sites")
    return diff_data({name: inspect_site(settings, name, say) for name in names})
