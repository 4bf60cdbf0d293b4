"""`country plan` and `country apply`: the rows a country needs, compared with the target.

The desired state is data (`Desired` rows keyed by natural keys, foreign keys as `Ref`s to other
natural keys), so the plan `country plan` prints is exactly what `apply` executes, in one
transaction. Only the rows the country folder declares are compared: rows a migration adds
(roles from a legacy site, say) are not drift. Seeded rows carry negative source ids
(`seed_id`), which never collide with Drupal ids (positive).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Table, and_, select

from pseamigrate.country.spec import ADMIN_ROLE, FOCAL_ROLE, CountrySpec
from pseamigrate.errors import ConfigError

ADMIN_SOURCE_ID = -1  # the administrator membership `apply` creates (Drupal uids are >= 0)


@dataclass(frozen=True)
class Ref:
    """The id of the row of `table` with the natural key `key` (which may hold `Ref`s)."""

    table: str
    key: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Desired:
    """One row the country needs: compared on `values`; `on_insert` only set when created."""

    table: str
    label: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    on_insert: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One planned change: insert a row, or update the named fields of one (never values)."""

    action: str  # insert or update
    table: str
    label: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready data."""
        return {
            "action": self.action,
            "table": self.table,
            "label": self.label,
            "fields": list(self.fields),
        }


def seed_id(kind: str, code: str) -> int:
    """Return the stable negative source id of a seeded row (52 bits of a sha256)."""
    return -int(hashlib.sha256(f"{kind}:{code}".encode()).hexdigest()[:13], 16)


def term_name_key(name: str) -> str:
    """Return the key shared terms merge on: trimmed, inner spaces folded, lower-cased.

    The migration merges the legacy sites' shared terms on the same key, so a seeded
    organisation and the same organisation from a site become one term.
    """
    return " ".join(name.split()).lower()


def _key(**items: Any) -> tuple[tuple[str, Any], ...]:
    return tuple(items.items())


def desired_rows(spec: CountrySpec) -> list[Desired]:
    """Return every row `spec` needs, in an order where references come first."""
    tenant = Ref("tenants", _key(code=spec.code))
    rows = [
        Desired(
            "tenants",
            f"tenant {spec.code}",
            {"code": spec.code},
            {
                "name": spec.name,
                "template": spec.template,
                "template_version": spec.template_version,
            },
        ),
    ]
    rows += [
        Desired(
            "roles", f"role {source}", {"tenant_id": tenant, "source_id": source}, {"name": name}
        )
        for source, name in spec.roles
    ]
    rows += _member_rows(spec, tenant)
    rows += _location_rows(spec, tenant)
    rows += _organisation_rows(spec, tenant)
    return rows


def _member_rows(spec: CountrySpec, tenant: Ref) -> list[Desired]:
    """Return the administrator's and focal points' accounts, memberships and roles."""
    members = [(spec.admin_email, ADMIN_SOURCE_ID, "administrator", ADMIN_ROLE, "administrator")]
    for number, email in enumerate(spec.focal_points, 1):
        source = seed_id("focal_point", email.strip().lower())
        members.append(
            (email, source, f"focal_point_{number}", FOCAL_ROLE, f"focal point {number}")
        )
    rows: list[Desired] = []
    accounts: set[str] = set()
    for email, source, username, role, label in members:
        email_key = email.strip().lower()
        if email_key not in accounts:  # one account per e-mail, as the migration merges them
            accounts.add(email_key)
            rows.append(
                Desired(
                    "accounts",
                    f"{label} account",
                    {"email_key": email_key},
                    {"email": email},
                    {"first_tenant_id": tenant},
                )
            )
        rows += _membership(tenant, email_key, source, username, role, label)
    return rows


def _membership(
    tenant: Ref, email_key: str, source: int, username: str, role: str, label: str
) -> list[Desired]:
    key = {"tenant_id": tenant, "source_id": source}
    account = Ref("accounts", _key(email_key=email_key))
    membership = Ref("memberships", tuple(key.items()))
    role_ref = Ref("roles", _key(tenant_id=tenant, source_id=role))
    return [
        Desired(
            "memberships",
            f"{label} membership",
            key,
            {"account_id": account, "username": username, "active": True},
        ),
        Desired(
            "membership_roles",
            f"{label} role",
            {"tenant_id": tenant, "membership_id": membership, "role_id": role_ref},
        ),
    ]


def _location_rows(spec: CountrySpec, tenant: Ref) -> list[Desired]:
    def ref(code: str) -> Ref:
        return Ref("location_terms", _key(tenant_id=tenant, source_id=seed_id("location", code)))

    return [
        Desired(
            "location_terms",
            f"location {place.code}",
            {"tenant_id": tenant, "source_id": seed_id("location", place.code)},
            {
                "name": place.name,
                "parent_id": ref(place.parent) if place.parent else None,
                "weight": place.weight,
                "extra": {"code": place.code},
            },
        )
        for place in spec.locations
    ]


def _organisation_rows(spec: CountrySpec, tenant: Ref) -> list[Desired]:
    rows = []
    for name in spec.organisations:
        name_key = term_name_key(name)
        rows += [
            Desired(
                "organisation_terms",
                f"organisation {name_key}",
                {"name_key": name_key},
                on_insert={"name": name, "weight": 0},
            ),
            Desired(
                "organisation_term_sources",
                f"organisation link {name_key}",
                {"tenant_id": tenant, "source_id": seed_id("organisation", name_key)},
                {"term_id": Ref("organisation_terms", _key(name_key=name_key))},
            ),
        ]
    return rows


class _Resolver:
    """Looks rows up by natural key in the target (and remembers ids it created)."""

    def __init__(self, conn: Connection, metadata: MetaData) -> None:
        self.conn, self.metadata = conn, metadata

    def table(self, name: str) -> Table:
        if name not in self.metadata.tables:
            raise ConfigError(f"the model has no table {name}: is this the right target?")
        return self.metadata.tables[name]

    def value(self, value: Any) -> Any:
        """Return `value` with a `Ref` replaced by its id (None when the row does not exist)."""
        if isinstance(value, Ref):
            row = self.find(value.table, dict(value.key))
            return None if row is None else row["id"]
        return value

    def find(self, name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """Return the row of `name` with natural key `key`, or None."""
        resolved = {column: self.value(v) for column, v in key.items()}
        if any(v is None for v in resolved.values()):
            return None
        table = self.table(name)
        where = and_(*(table.c[column] == v for column, v in resolved.items()))
        row = self.conn.execute(select(table).where(where)).mappings().first()
        return None if row is None else dict(row)


def _same(have: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(have, bool):
        return bool(have) == bool(want) and have is not None
    return bool(have == want)


def _difference(resolver: _Resolver, row: Desired) -> Change | None:
    existing = resolver.find(row.table, row.key)
    if existing is None:
        return Change("insert", row.table, row.label)
    wanted = {column: resolver.value(v) for column, v in row.values.items()}
    changed = tuple(c for c, v in wanted.items() if not _same(existing.get(c), v))
    return Change("update", row.table, row.label, changed) if changed else None


def plan_country(conn: Connection, metadata: MetaData, spec: CountrySpec) -> list[Change]:
    """Return what `apply` would change for `spec` (empty: the target already matches)."""
    resolver = _Resolver(conn, metadata)
    return [c for row in desired_rows(spec) if (c := _difference(resolver, row)) is not None]


def apply_country(conn: Connection, metadata: MetaData, spec: CountrySpec) -> list[Change]:
    """Insert or update every row that differs, in order; return the changes made."""
    resolver = _Resolver(conn, metadata)
    now = datetime.now().replace(microsecond=0)
    done = []
    for row in desired_rows(spec):
        change = _difference(resolver, row)
        if change is None:
            continue
        _write(resolver, row, change, now)
        done.append(change)
    return done


def _write(resolver: _Resolver, row: Desired, change: Change, now: datetime) -> None:
    table = resolver.table(row.table)
    stamps = _stamp_columns(table, change.action)
    if change.action == "insert":
        values = {**row.key, **row.values, **row.on_insert}
        resolved = {c: resolver.value(v) for c, v in values.items()}
        resolver.conn.execute(table.insert().values(**resolved, **dict.fromkeys(stamps, now)))
        return
    existing = resolver.find(row.table, row.key)
    assert existing is not None
    updates = {c: resolver.value(row.values[c]) for c in change.fields}
    statement = table.update().where(table.c.id == existing["id"])
    resolver.conn.execute(statement.values(**updates, **dict.fromkeys(stamps, now)))


def _stamp_columns(table: Table, action: str) -> Iterable[str]:
    wanted = ("created_at", "imported_at") if action == "insert" else ("updated_at",)
    return [c for c in wanted if c in table.c]
