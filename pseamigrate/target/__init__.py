"""The consolidated multi-tenant target: the canonical model and the schema made from it."""
