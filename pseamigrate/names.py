"""The one rule and the one quoting helper for names put into SQL (#30 item 4).

Table, column, database and account names and tenant codes read from a site or a project file
are plain identifiers: letters, digits and `_`, 1 to 64 characters. `check_name` refuses
anything else with `UnsafeIdentifier` (exit 4) and `quote_name` quotes only what it accepted:
a hostile site's field table named with a backquote and a UNION is a blocker, never SQL, and a
tenant code such as `../escaped` never becomes a folder, a schema or an account name.

Names the server itself lists (the tables `encryption` must reach, whatever an operator called
them) go through `quote_listed_name`, which doubles backquotes instead.
"""

from __future__ import annotations

import re

from pseamigrate.errors import UnsafeIdentifier

IDENTIFIER = re.compile(r"[A-Za-z0-9_]{1,64}")


def is_name(name: object) -> bool:
    """Tell whether `name` is a plain identifier (`[A-Za-z0-9_]`, 1-64 characters)."""
    return isinstance(name, str) and IDENTIFIER.fullmatch(name) is not None


def check_name(name: str, what: str = "a table or column name") -> str:
    """Return `name` when it is a plain identifier; raise `UnsafeIdentifier` otherwise."""
    if not is_name(name):
        raise UnsafeIdentifier(what, str(name))
    return name


def quote_name(name: str, what: str = "a table or column name") -> str:
    """Quote an identifier from a site, a project file or our model (refused unless plain)."""
    return f"`{check_name(name, what)}`"


def quote_listed_name(name: str) -> str:
    """Quote a name the server itself listed (information_schema), inner backquotes doubled."""
    return "`" + name.replace("`", "``") + "`"


# A client host part of an account: a name, an address or a pattern (`%`, `10.0.%`).
HOST_PATTERN = re.compile(r"[A-Za-z0-9_.%:-]{1,255}")


def check_tenant_code(code: object, where: str = "the tenant code") -> str:
    """Return a tenant code that is a plain identifier; raise `UnsafeIdentifier` otherwise.

    The same rule for a project file's `sites.<name>.tenant`, `country new`, `country grant`
    and every other place a code arrives: a code names folders, schemas and accounts."""
    return check_name(str(code), where)


def quote_account(user: str, host: str) -> str:
    """Return the account `'user'@'host'` for CREATE/ALTER USER and GRANT: the user must be a
    plain identifier and the host a name, address or pattern; nothing is spliced unchecked."""
    check_name(user, "an account name")
    if not HOST_PATTERN.fullmatch(host):
        raise UnsafeIdentifier("an account's client host", host)
    return f"'{user}'@'{host}'"
