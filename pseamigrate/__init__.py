"""pseamigrate: move legacy Drupal PSEA sites into one encrypted, multi-tenant database."""

__version__ = "0.1.0"
