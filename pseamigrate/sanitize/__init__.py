"""The sanitized test instance: a copy of the target that carries no survivor's data (#12)."""
