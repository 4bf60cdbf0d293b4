"""Indicators (#29): the numbers QA leads and managers know, computed over the target.

`spec.py` reads the declarative indicator set (package data `data/indicators/crp.yaml`),
`compute.py` runs one grouped query per indicator per tenant and across tenants, and
`suppress.py` (pure) hides small cells and enough others that no hidden cell can be recovered
from the published totals. Counts and dimension labels only ever leave this package.
"""
