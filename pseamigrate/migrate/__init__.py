"""The migrate run: a checked site, its planned steps, batches written with the ledger, rollback."""
