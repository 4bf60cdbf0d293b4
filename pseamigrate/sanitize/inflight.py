"""`migrate --sanitize`: rows sanitized on their way from the legacy sites to the test target,
for a test instance built without a production copy. The same rules as `sanitize`."""

from __future__ import annotations

from typing import Any

from pseamigrate.migrate.items import Item
from pseamigrate.sanitize.rules import Rules, placeholder_file


class InFlight:
    """An `ItemFilter` (migrate/items.py) applying each column's rule before the write."""

    def __init__(self, rules: Rules, kinds: dict[str, dict[str, str]]) -> None:
        self.rules, self.kinds = rules, kinds

    def item(self, item: Item) -> None:
        """Sanitize an item's values, its child rows and the keys accounts merge on."""
        owner = item.values.get("tenant_id")
        item.values = self._row(item.table, item.values, owner)
        for child in item.children:
            child.rows = [self._row(child.table, row, owner) for row in child.rows]
        if item.inputs.get("email_key") is not None:
            pseudonym = self.rules.apply("email", item.inputs["email_key"], owner)
            item.inputs = {**item.inputs, "email_key": pseudonym, "email": pseudonym}

    def file(self, uri: str) -> tuple[str, bytes]:
        """Return the pseudonymous uri and a placeholder of the same type."""
        return str(self.rules.apply("uri", uri, None)), placeholder_file(uri)

    def _row(self, table: str, row: dict[str, Any], owner: Any) -> dict[str, Any]:
        kinds = self.kinds.get(table, {})
        return {
            name: self.rules.apply(kinds.get(name, "sensitive"), v, owner)
            for name, v in row.items()
        }
