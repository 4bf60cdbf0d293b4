"""Read legacy Drupal 7 and 8+ databases: introspection and streaming readers (read-only)."""
