"""Read legacy Drupal 7 and 8+ databases: introspection and streaming readers (read-only).

Entry point: `open_site(engine_or_conn, table_prefix="")` (see `pseamigrate.drupal.read`).
"""

from pseamigrate.drupal.read import DrupalSite, open_site

__all__ = ["DrupalSite", "open_site"]
