"""One opened site as the checks see it: its reader, SQL source, facts and mapping view."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pseamigrate.assess.fate import Fate, MappingView
from pseamigrate.assess.rows import RowPass
from pseamigrate.assess.tables import FieldTable
from pseamigrate.drupal.facts import SiteFacts
from pseamigrate.drupal.model import Bundle, SiteModel
from pseamigrate.drupal.read import DrupalSite
from pseamigrate.drupal.source import Source


@dataclass(frozen=True)
class SiteContext:
    """What every check of one site needs."""

    name: str
    site: DrupalSite
    facts: SiteFacts
    view: MappingView
    rows: RowPass | None = None  # check's row pass, when the site has a mapping that loads

    @property
    def source(self) -> Source:
        """Return the site's SQL view."""
        return self.site.source

    @property
    def model(self) -> SiteModel:
        """Return the site's content model."""
        return self.site.model

    @property
    def layout(self) -> str:
        """Return d7 or d8."""
        return self.site.model.layout

    def bundles(self) -> Iterator[Bundle]:
        """Yield the bundles of every entity type (node types first)."""
        by_type = dict(self.model.entity_bundles) or {"node": self.model.bundles}
        for entity_type in sorted(by_type, key=lambda t: (t != "node", t)):
            yield from by_type[entity_type].values()

    def field_tables(self, entity_types: tuple[str, ...] = ()) -> Iterator[FieldTable]:
        """Yield each live field of each bundle whose table exists."""
        for bundle in self.bundles():
            if entity_types and bundle.entity_type not in entity_types:
                continue
            for instance in bundle.fields:
                storage = self.model.fields.get((bundle.entity_type, instance.field_name))
                if instance.deleted or storage is None or storage.deleted:
                    continue
                table = FieldTable(self.source, storage, bundle.name, self.layout)
                if table.exists():
                    yield table

    def fate(self, table: FieldTable) -> Fate:
        """Return what the mapping does with a field table's values."""
        return self.view.fate(table.storage.entity_type, table.bundle, table.storage.name)


def subject(table: FieldTable) -> str:
    """Name a bundle's field for people: `referral.field_complaint_ref`, `user:user.field_x`."""
    kind = table.storage.entity_type
    owner = table.bundle if kind == "node" else f"{kind}:{table.bundle}"
    return f"{owner}.{table.storage.name}"
