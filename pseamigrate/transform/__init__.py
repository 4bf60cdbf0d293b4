"""Pure transformations of source values: process steps and named callbacks (no I/O)."""
