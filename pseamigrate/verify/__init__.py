"""`pseamigrate verify`: reconcile every site against the target (issue #10)."""
