"""Site mappings: YAML in Drupal Migrate's vocabulary, loaded, checked and scaffolded."""
