"""One function per `pseamigrate country` command; the CLI parses, calls one, renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, func, inspect, select
from sqlalchemy.engine import URL

from pseamigrate.country.locations import read_locations
from pseamigrate.country.plan import Change, apply_country, plan_country
from pseamigrate.country.render import location_values, render_files, write_country
from pseamigrate.country.spec import country_dir, load_country
from pseamigrate.country.template import load_template, resolve_inputs
from pseamigrate.db import connection
from pseamigrate.encryption import require_encrypted_target
from pseamigrate.errors import ConfigError, UsageProblem
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """Turn `--set key=value` arguments into a dict (the last one of a key wins)."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageProblem(f"--set needs key=value, got {key.strip() or pair!r}")
        values[key.strip()] = value
    return values


def new_country(
    root: Path, code: str, template: str, sets: Mapping[str, str], locations: Path | None
) -> list[Path]:
    """Render `template` for `code` into `root/countries/CODE/`; return the files written."""
    chosen = load_template(template)
    dest = country_dir(root, code)
    if dest.exists():  # checked again when writing; this one comes before any input problem
        write_country(dest, {})
    given: dict[str, Any] = {**sets, "code": code}
    if locations is not None:
        given["locations"] = location_values(read_locations(locations))
    values = resolve_inputs(chosen, given)
    return write_country(dest, render_files(chosen, values))


@dataclass(frozen=True)
class CountryPlan:
    """What `country plan` found (or `apply` did) for one tenant."""

    code: str
    changes: list[Change] = field(default_factory=list)
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data."""
        return {
            "code": self.code,
            "applied": self.applied,
            "changes": [c.as_dict() for c in self.changes],
        }


def _metadata(conn: Connection) -> MetaData:
    if not inspect(conn).has_table("tenants"):
        raise ConfigError("the target has no tenants table: run `pseamigrate schema create` first")
    return build_metadata(load_model())


def plan(url: URL, root: Path, code: str) -> CountryPlan:
    """Compare the country folder with the target; change nothing."""
    spec = load_country(country_dir(root, code))
    with connection(url) as conn:
        return CountryPlan(code, plan_country(conn, _metadata(conn), spec))


def apply(
    url: URL, root: Path, code: str, dry_run: bool = False, allow_plaintext: bool = False
) -> CountryPlan:
    """Make the target hold what the country folder says, in one transaction (idempotent).

    Like the migration, it refuses (exit 4) to write e-mails into a target that is not
    encrypted at rest, unless `allow_plaintext` (a test target, knowingly).
    """
    if dry_run:
        return plan(url, root, code)
    spec = load_country(country_dir(root, code))
    with connection(url, begin=True) as conn:
        metadata = _metadata(conn)
        if not allow_plaintext:
            require_encrypted_target(conn, str(url.database))
        return CountryPlan(code, apply_country(conn, metadata, spec), applied=True)


@dataclass(frozen=True)
class TenantSummary:
    """One tenant for `country list`: code, name, template and its rows per table."""

    id: int
    code: str
    name: str
    template: str
    template_version: str
    rows: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return dict(vars(self))


def list_tenants(url: URL) -> list[TenantSummary]:
    """Return every tenant of the target with its row count per tenant table (ledger aside)."""
    with connection(url) as conn:
        metadata = _metadata(conn)
        tenants = metadata.tables["tenants"]
        counts: dict[int, dict[str, int]] = {}
        for table in metadata.sorted_tables:
            if "tenant_id" not in table.c or table.name.startswith("pm_"):
                continue
            query = select(table.c.tenant_id, func.count()).group_by(table.c.tenant_id)
            for tenant_id, count in conn.execute(query):
                if tenant_id is not None:
                    counts.setdefault(int(tenant_id), {})[table.name] = int(count)
        rows = conn.execute(select(tenants).order_by(tenants.c.code)).mappings()
        return [
            TenantSummary(
                r["id"],
                r["code"],
                r["name"],
                r["template"] or "",
                r["template_version"] or "",
                counts.get(r["id"], {}),
            )
            for r in rows
        ]
