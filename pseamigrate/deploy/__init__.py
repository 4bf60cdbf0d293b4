"""Operations: deploy recipes over SSH (Fabric) and health monitoring of a target (issue #11)."""
