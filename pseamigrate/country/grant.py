"""`country grant`: a tenant's runtime account that reaches only its own tenant's rows.

Neither MySQL nor MariaDB has row-level security, so each tenant gets its own schema
(`<target>_<code>`, also the account's name, so a test and a production target can share
a server) of views over the target's tables, named like them: a view of a tenant table
keeps the rows with the tenant's fixed id and carries `WITH CASCADED CHECK OPTION`, so an
insert or update cannot move a row to another tenant. The account is granted privileges on
those views only (`SQL SECURITY DEFINER`: the views read the tables with their creator's
rights), never on the target schema itself; the ledger (`pm_*`) gets no view at all.

- tenant tables (`tenant_id`): SELECT, DELETE, and INSERT and UPDATE of named columns only, on
  `WHERE tenant_id = N`: never `id` (rows get fresh ids, so no ODKU or REPLACE can name another
  tenant's row), `tenant_id` only on INSERT (the check option holds it to N), and never
  `memberships.account_id` (#30 S1-S3);
- `tenants`: SELECT of its own row; `accounts`: SELECT of its members' accounts;
- shared vocabularies (no `tenant_id`, e.g. `organisation_terms`): SELECT;
- no view has a `password_hash`; `accounts` shows only `id`, `email_key` and `email`;
- `link_account(membership_id, email)`: a `SQL SECURITY DEFINER` procedure in the tenant's
  schema, the tenant id written into it like the views', that links one of the tenant's
  memberships to the account with that e-mail (created when missing) and returns nothing.

The password is generated here, bound as a parameter (never in the SQL text a plan shows) and
written only to the option file (0600); `--dry-run` shows the statements with `<password>`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from pseamigrate.config import read_option_file
from pseamigrate.db import connection
from pseamigrate.encryption.keys import write_secret
from pseamigrate.errors import ConfigError, RefusedForSafety, UsageProblem
from pseamigrate.names import check_tenant_code, quote_account, quote_name
from pseamigrate.target.init import COLLATION  # e-mails compare as the target stores them
from pseamigrate.target.tenant_accounts import REFUSED, ROUTINE, routine_available

READ = "SELECT"
LEDGER_PREFIX = "pm_"
HIDDEN = {"password_hash"}  # in no view: a hash is an offline attack on a person's password
# Which country met the person first, and since when the account exists: after `link_account`
# an old stamp would tell that another country knows that e-mail.
HIDDEN_IN = {"accounts": {"first_tenant_id", "created_at", "imported_at", "updated_at"}}
NEVER_INSERTED = {"id"}  # the server numbers rows: a tenant never names an id
NEVER_UPDATED = {"id", "tenant_id"}
LINKED_ONLY = {"memberships": {"account_id"}}  # set by `link_account` only
LINK_ROUTINE = "link_account"


@dataclass(frozen=True)
class GrantStep:
    """One statement of a grant plan; `secret` statements take the password as :password."""

    sql: str
    label: str
    secret: bool = False


@dataclass(frozen=True)
class GrantPlan:
    """The account, its schema of views, and every statement that sets them up."""

    code: str
    tenant_id: int
    account: str
    client_host: str
    schema: str
    steps: tuple[GrantStep, ...]
    views: dict[str, str]  # view name -> privileges granted
    password_kept: bool = False  # the option file's password was set again, not a new one


def tenant_schema(database: str, code: str) -> str:
    """Return the name of the schema holding the tenant's views."""
    name = f"{database}_{code}"
    if len(name) > 64:
        raise UsageProblem(f"schema name {name!r} is longer than 64 characters")
    return name


def _columns(conn: Connection, database: str) -> dict[str, list[str]]:
    rows = conn.execute(
        text(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c "
            "JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
            "AND t.TABLE_NAME = c.TABLE_NAME "
            "WHERE c.TABLE_SCHEMA = :db AND t.TABLE_TYPE = 'BASE TABLE' "
            "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
        ),
        {"db": database},
    )
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), []).append(str(column))
    return tables


def _write_privileges(table: str, columns: list[str]) -> str:
    """SELECT, DELETE, and INSERT and UPDATE of the columns a tenant may set (never `id`)."""
    linked = LINKED_ONLY.get(table, set())
    inserted = [c for c in columns if c not in NEVER_INSERTED | linked]
    updated = [c for c in columns if c not in NEVER_UPDATED | linked]
    return (
        f"SELECT, DELETE, INSERT ({', '.join(quote_name(c) for c in inserted)}), "
        f"UPDATE ({', '.join(quote_name(c) for c in updated)})"
    )


def _view(
    source: str, target: str, table: str, columns: list[str], tenant_id: int
) -> tuple[str, str] | None:
    """Return (SQL, privileges) of the tenant's view of `table`, or None when it gets none."""
    if table.startswith(LEDGER_PREFIX):
        return None
    hidden = HIDDEN | HIDDEN_IN.get(table, set())
    columns = [c for c in columns if c not in hidden]
    select = ", ".join(quote_name(c) for c in columns)
    base = f"{quote_name(source)}.{quote_name(table)}"
    head = f"CREATE OR REPLACE SQL SECURITY DEFINER VIEW {quote_name(target)}.{quote_name(table)}"
    if "tenant_id" in columns:
        where = f"WHERE tenant_id = {tenant_id} WITH CASCADED CHECK OPTION"
        return f"{head} AS SELECT {select} FROM {base} {where}", _write_privileges(table, columns)
    if table == "tenants":
        return f"{head} AS SELECT {select} FROM {base} WHERE id = {tenant_id}", READ
    if table == "accounts":
        members = f"{quote_name(source)}.memberships"
        where = f"WHERE id IN (SELECT account_id FROM {members} WHERE tenant_id = {tenant_id})"
        return f"{head} AS SELECT {select} FROM {base} {where}", READ
    if table.endswith("_terms"):
        return f"{head} AS SELECT {select} FROM {base}", READ
    return None


def plan_grant(conn: Connection, database: str, code: str, client_host: str) -> GrantPlan:
    """Return the statements that (re)create the tenant's views, account and grants."""
    tenant_id = conn.execute(
        text("SELECT id FROM tenants WHERE code = :code"), {"code": code}
    ).scalar()
    if tenant_id is None:
        raise ConfigError(f"no tenant {code!r} in the target: run `pseamigrate country apply`")
    schema = tenant_schema(database, check_tenant_code(code))
    if len(schema) > 32:
        raise UsageProblem(f"account name {schema!r} is longer than 32 characters")
    account = quote_account(schema, client_host)
    steps = [GrantStep(f"CREATE DATABASE IF NOT EXISTS {quote_name(schema)}", f"schema {schema}")]
    views: dict[str, str] = {}
    for table, columns in _columns(conn, database).items():
        made = _view(database, schema, table, columns, int(tenant_id))
        if made is not None:
            steps.append(GrantStep(made[0], f"view {schema}.{table}"))
            views[table] = made[1]
    steps += _link_routine_steps(database, schema, int(tenant_id))
    steps += _account_steps(account, schema, client_host, views, routine_available(conn))
    return GrantPlan(code, int(tenant_id), account, client_host, schema, tuple(steps), views)


def _link_routine_steps(source: str, schema: str, tenant_id: int) -> list[GrantStep]:
    """(Re)create `link_account`: the one way a tenant ties a membership to an account.

    The tenant names an e-mail it already knows; the routine finds (or creates) the account by
    its normalised e-mail and sets the membership's `account_id` only when the membership is
    the tenant's own. It returns nothing, so another tenant's data never comes out of it; the
    tenant id is a literal here, as in the views, and only this tenant may execute it."""
    routine = f"{quote_name(schema)}.{quote_name(LINK_ROUTINE)}"
    accounts = f"{quote_name(source)}.accounts"
    memberships = f"{quote_name(source)}.memberships"
    body = f"""CREATE PROCEDURE {routine}
  (IN membership BIGINT, IN address VARCHAR(254) CHARACTER SET utf8mb4)
MODIFIES SQL DATA SQL SECURITY DEFINER
BEGIN
  DECLARE address_key VARCHAR(254) CHARACTER SET utf8mb4 COLLATE {COLLATION}
    DEFAULT LOWER(TRIM(address));
  DECLARE found BIGINT DEFAULT NULL;
  IF address_key = '' OR NOT EXISTS (SELECT 1 FROM {memberships}
      WHERE tenant_id = {tenant_id} AND id = membership) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no such membership, or no e-mail';
  END IF;
  SELECT id INTO found FROM {accounts} WHERE email_key = address_key;
  IF found IS NULL THEN
    INSERT INTO {accounts} (email_key, email, first_tenant_id, imported_at)
      VALUES (address_key, TRIM(address), {tenant_id}, UTC_TIMESTAMP());
    SET found = LAST_INSERT_ID();
  END IF;
  UPDATE {memberships} SET account_id = found WHERE tenant_id = {tenant_id} AND id = membership;
END"""
    return [
        GrantStep(
            f"DROP PROCEDURE IF EXISTS {routine}", f"earlier routine {schema}.{LINK_ROUTINE}"
        ),
        GrantStep(body, f"routine {schema}.{LINK_ROUTINE}"),
    ]


def _account_steps(
    account: str, schema: str, host: str, views: dict[str, str], via_routine: bool
) -> list[GrantStep]:
    """The account's own steps (created, password set, earlier grants revoked), then grants.

    `schema` is also the account's user name; it and `host` passed `quote_account`."""
    if via_routine:  # the administrator's routine: the caller needs no CREATE USER (#30 S10)
        steps = [
            GrantStep(
                f"CALL {ROUTINE}('{schema}', '{host}', :password)",
                f"account {account} (created or rotated by {ROUTINE})",
                secret=True,
            )
        ]
    else:  # no routine installed: an administrator's own connection does it directly
        steps = _direct_account_steps(account)
    for view, privileges in views.items():
        target = f"{quote_name(schema)}.{quote_name(view)}"
        steps.append(
            GrantStep(
                f"GRANT {privileges} ON {target} TO {account}", f"{privileges} on {schema}.{view}"
            )
        )
    routine = f"{quote_name(schema)}.{quote_name(LINK_ROUTINE)}"
    steps.append(
        GrantStep(
            f"GRANT EXECUTE ON PROCEDURE {routine} TO {account}",
            f"EXECUTE on {schema}.{LINK_ROUTINE}",
        )
    )
    return steps


def _direct_account_steps(account: str) -> list[GrantStep]:
    return [
        GrantStep(
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY :password",
            f"account {account}",
            secret=True,
        ),
        GrantStep(
            f"ALTER USER {account} IDENTIFIED BY :password",
            f"password of {account} (rotated)",
            secret=True,
        ),
        GrantStep(
            f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {account}", f"earlier grants of {account}"
        ),
    ]


def shown_sql(step: GrantStep) -> str:
    """Return a step's SQL as a plan may show it (the password as a placeholder)."""
    return step.sql.replace(":password", "'<password>'")


def _run_step(conn: Connection, step: GrantStep, password: str) -> None:
    try:
        conn.execute(text(step.sql), {"password": password} if step.secret else {})
    except DBAPIError as exc:
        code, message = (exc.orig.args + (0, ""))[:2] if exc.orig is not None else (0, "")
        if code == REFUSED:  # the routine's own words: no secret, no value in them
            raise RefusedForSafety(f"{step.label}: {message}") from None
        raise


def option_file_text(url: URL, plan: GrantPlan, password: str) -> str:
    """Return the MySQL option file the tenant's application reads (`[client]`)."""
    lines = [
        "# pseamigrate country grant: the runtime account of one tenant. Keep this file 0600.",
        "[client]",
        f"user={plan.schema}",
        f"password={password}",
        f"host={url.host or '127.0.0.1'}",
        *([f"port={url.port}"] if url.port else []),
        f"database={plan.schema}",
    ]
    return "\n".join(lines) + "\n"


def grant_tenant(
    url: URL,
    code: str,
    option_file: Path,
    client_host: str = "%",
    dry_run: bool = False,
    rotate_password: bool = False,
) -> GrantPlan:
    """Create the tenant's account and views (again: grants and views are renewed); write its
    option file (0600).

    The password in an existing option file of this account is kept, so a re-run (a recipe run
    twice) never breaks the running application's login; `rotate_password` sets a new one and
    rewrites the file in the same step (#24 item 8)."""
    if not url.database:
        raise ConfigError("the target URL names no database")
    if "'" in client_host or "\\" in client_host:
        raise UsageProblem("--client-host must be a host name, address or pattern")
    check_tenant_code(code)  # before anything is looked up: a code is put into names
    with connection(url, begin=True) as conn:
        plan = plan_grant(conn, url.database, code, client_host)
        kept = None if rotate_password else kept_password(option_file, plan.schema)
        plan = replace(plan, password_kept=kept is not None)
        if dry_run:
            return plan
        password = kept or secrets.token_urlsafe(24)
        for step in plan.steps:
            _run_step(conn, step, password)
    # Written after the commit: a failed grant leaves the old file (and password) working.
    write_secret(option_file, option_file_text(url, plan, password).encode())
    return plan


def kept_password(option_file: Path, user: str) -> str | None:
    """Return the password an earlier grant wrote for `user`, or None (no file, another user).

    A file others may read is refused by the reader, as everywhere (#30)."""
    if not option_file.exists():
        return None
    client = read_option_file(option_file, "client")
    if client.get("user") != user or not client.get("password"):
        return None
    return client["password"]
