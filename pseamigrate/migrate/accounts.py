"""Users as accounts (one per person across tenants, merged by normalised e-mail) and
memberships (one per tenant, with the tenant's roles)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from pseamigrate.drupal.model import EntityRecord
from pseamigrate.migrate.items import Child, Item
from pseamigrate.migrate.produce import Scope, unix_time
from pseamigrate.migrate.values import plain_json
from pseamigrate.migrate.write import BatchWriter
from pseamigrate.target import writer
from pseamigrate.target.ledger import MapEntry, now

USER_COLUMNS = {"uid", "name", "pass", "mail", "status", "created", "login", "roles", "bundle"}
USER_COLUMNS |= {"default_langcode"}
# The ledger's source entity of the accounts a run created (source id: the user's uid).
ACCOUNT_ENTITY = "account"


def email_key(mail: Any) -> str | None:
    """Return the merge key of an e-mail: trimmed and lower-cased (None when empty)."""
    key = str(mail or "").strip().lower()
    return key or None


def user_item(record: EntityRecord, scope: Scope) -> Item:
    """Build one membership item; its account and roles are resolved when it is written."""
    base = record.base
    extra: dict[str, Any] = {k: v for k, v in base.items() if k not in USER_COLUMNS}
    fields = {name: [dict(v) for v in values] for name, values in record.fields.items()}
    if fields:
        extra["fields"] = fields
    values = {
        "tenant_id": scope.tenant_id,
        "source_id": record.id,
        "username": str(base.get("name") or ""),
        "active": bool(int(base.get("status") or 0)),
        "password_hash": base.get("pass") or None,
        "created_at": unix_time(base.get("created")),
        "last_login_at": unix_time(base.get("login")),
        "extra": plain_json(extra) if extra else None,
    }
    item = Item("user", str(record.id), "memberships", values)
    roles = sorted(str(role) for role in base.get("roles") or ())
    mail = str(base.get("mail") or "").strip()
    item.inputs = {"email_key": email_key(mail), "email": mail, "roles": roles}
    if item.inputs["email_key"] is None:
        item.warn("no e-mail: the membership has no account to merge into")
    return item


class MembershipWriter(BatchWriter):
    """Resolves accounts (creating the missing ones) and roles before memberships are written."""

    def prepare(self, conn: Connection, items: list[Item]) -> None:
        """Give each membership its account id and its role rows."""
        accounts = self._accounts(conn, items)
        roles = self._roles(conn, sorted({r for item in items for r in item.inputs["roles"]}))
        for item in items:
            key = item.inputs["email_key"]
            item.values["account_id"] = accounts.get(key) if key else None
            rows = [
                {"tenant_id": self.target.tenant_id, "role_id": roles[r]}
                for r in item.inputs["roles"]
            ]
            item.children = [Child("membership_roles", "membership_id", rows)]
        self._report_merges(conn, items)

    def _accounts(self, conn: Connection, items: list[Item]) -> dict[str, int]:
        table = self.target.table("accounts")
        wanted: dict[str, Item] = {}
        for item in items:
            key = item.inputs["email_key"]
            if key and key not in wanted:
                wanted[key] = item
        found = self._account_ids(conn, list(wanted))
        stamp = now()
        rows = [
            {
                "email_key": key,
                "email": str(item.inputs["email"]),
                "password_hash": item.values["password_hash"],
                "first_tenant_id": self.target.tenant_id,
                "created_at": item.values["created_at"],
                "imported_at": stamp,
            }
            for key, item in wanted.items()
            if key not in found
        ]
        writer.insert_rows(conn, table, rows)
        created = self._account_ids(conn, [row["email_key"] for row in rows])
        self._record_created(conn, {wanted[key].source_id: i for key, i in created.items()})
        found.update(created)
        return found

    def _record_created(self, conn: Connection, by_user: dict[str, int]) -> None:
        """Write in the ledger that this tenant's run created these accounts (source uid of the
        user that brought it → account id): rollback deletes an account only with such an
        entry, never one another tenant or a person made."""
        t = self.target
        entries = [
            MapEntry(ACCOUNT_ENTITY, uid, "accounts", i, None, "imported")
            for uid, i in sorted(by_user.items())
        ]
        t.ledger.record(conn, t.tenant_id, t.run_id, entries)

    def _account_ids(self, conn: Connection, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        table = self.target.table("accounts")
        query = select(table.c.email_key, table.c.id).where(table.c.email_key.in_(keys))
        return {str(row[0]): int(row[1]) for row in conn.execute(query)}

    def _roles(self, conn: Connection, names: list[str]) -> dict[str, int]:
        """Find or create this tenant's roles by name; new ones go into the id map."""
        table = self.target.table("roles")
        t = self.target
        found = writer.ids_by_key(conn, table, "source_id", t.tenant_id, names)
        missing = [n for n in names if n not in found]
        stamp = now()
        rows = [
            {"tenant_id": t.tenant_id, "source_id": n, "name": n, "imported_at": stamp}
            for n in missing
        ]
        writer.insert_rows(conn, table, rows)
        created = writer.ids_by_key(conn, table, "source_id", t.tenant_id, missing)
        t.ledger.record(
            conn,
            t.tenant_id,
            t.run_id,
            [MapEntry("role", n, "roles", i, None, "imported") for n, i in created.items()],
        )
        return {**found, **created}

    def _report_merges(self, conn: Connection, items: list[Item]) -> None:
        """Say when an account merges memberships of other tenants whose user names differ."""
        memberships = self.target.table("memberships")
        by_account = {
            item.values["account_id"]: item for item in items if item.values.get("account_id")
        }
        if not by_account:
            return
        c = memberships.c
        query = select(c.account_id, c.tenant_id, c.source_id, c.username).where(
            c.account_id.in_(list(by_account)), c.tenant_id != self.target.tenant_id
        )
        for row in conn.execute(query):
            item = by_account[row.account_id]
            how = (
                "user names differ" if row.username != item.values["username"] else "same user name"
            )
            item.messages.append(
                (
                    "info",
                    f"merged by e-mail with tenant {row.tenant_id} uid {row.source_id} ({how})",
                )
            )
