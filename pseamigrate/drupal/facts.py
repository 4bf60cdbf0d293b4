"""Site-wide facts a migration depends on: table charsets, languages, roles, enabled modules.

Shared by `inspect`/`diff` (report.py) and `assess` (pseamigrate/assess/). Names and counts
only: module, role and language names are configuration, never content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pseamigrate.drupal import phpdata
from pseamigrate.drupal.model import SiteTimeZone
from pseamigrate.drupal.source import Source
from pseamigrate.errors import CorruptSerializedData

LEGACY_CHARSETS = ("utf8mb3", "latin1")  # what a utf8mb4 target must convert from


@dataclass(frozen=True)
class SiteFacts:
    """Charsets of the site's tables, its languages, roles and enabled modules."""

    charsets: dict[str, list[str]]  # charset → tables (without prefix) declaring it
    default_language: str
    languages: dict[str, int]  # language code of nodes → nodes
    roles: dict[str, int]  # role name (7) or id (8+) → users holding it
    modules: list[str] = field(default_factory=list)


def site_facts(source: Source, layout: str) -> SiteFacts:
    """Read the facts of an opened site (`layout` d7 or d8)."""
    d7 = layout == "d7"
    return SiteFacts(
        charsets=table_charsets(source),
        default_language=_default_language_d7(source) if d7 else _default_language_d8(source),
        languages=_languages(source, "node" if d7 else "node_field_data", d7),
        roles=_roles_d7(source) if d7 else _roles_d8(source),
        modules=_modules_d7(source) if d7 else _modules_d8(source),
    )


def charset_of(collation_or_charset: str) -> str:
    """Return the character set a collation belongs to (`utf8_general_ci` → utf8mb3)."""
    name = collation_or_charset.split("_")[0]
    return "utf8mb3" if name == "utf8" else name


def table_charsets(source: Source) -> dict[str, list[str]]:
    """Map each charset to the site's tables whose default or text columns declare it."""
    rows = source.rows(
        "SELECT t.TABLE_NAME AS t, t.TABLE_COLLATION AS c FROM information_schema.TABLES t "
        "WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' UNION "
        "SELECT c.TABLE_NAME, c.CHARACTER_SET_NAME FROM information_schema.COLUMNS c "
        "WHERE c.TABLE_SCHEMA = DATABASE() AND c.CHARACTER_SET_NAME IS NOT NULL"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        table, value = str(row["t"]), row["c"]
        if value and table.startswith(source.prefix):
            found.setdefault(charset_of(str(value)), set()).add(table[len(source.prefix) :])
    return {name: sorted(tables) for name, tables in sorted(found.items())}


def _variable(source: Source, name: str) -> Any:
    if not source.has("variable"):
        return None
    blob = source.scalar(f"SELECT value FROM {source.q('variable')} WHERE name = :n", {"n": name})
    try:
        return phpdata.loads(blob) if blob is not None else None
    except CorruptSerializedData:
        return None


def _config(source: Source, name: str) -> Any:
    sql = f"SELECT data FROM {source.q('config')} WHERE collection = '' AND name = :n"
    blob = source.scalar(sql, {"n": name})
    try:
        return phpdata.loads(blob) if blob is not None else None
    except CorruptSerializedData:
        return None


# Where each layout keeps the site's time zone (what the site shows dates in).
TIMEZONE_SETTINGS = {
    "d7": "variable date_default_timezone",
    "d8": "config system.date timezone.default",
}


def site_timezone(source: Source, layout: str) -> SiteTimeZone:
    """Read the site's own time zone (`layout` d7 or d8); UTC with a note when it has none."""
    setting = TIMEZONE_SETTINGS.get(layout, TIMEZONE_SETTINGS["d8"])
    name = _timezone_d7(source) if layout == "d7" else _timezone_d8(source)
    if not name:
        return SiteTimeZone(note=f"the site sets no time zone ({setting}): dates are read in UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        note = f"{setting} names no zone this machine knows: dates are read in UTC"
        return SiteTimeZone(note=note)
    return SiteTimeZone(name, setting)


def _timezone_d7(source: Source) -> str:
    value = _variable(source, "date_default_timezone")
    return value.strip() if isinstance(value, str) else ""


def _timezone_d8(source: Source) -> str:
    if not source.has("config"):
        return ""
    value = _config(source, "system.date")
    zone = value.get("timezone") if isinstance(value, dict) else None
    name = zone.get("default") if isinstance(zone, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _default_language_d7(source: Source) -> str:
    value = _variable(source, "language_default")
    return str(value.get("language", "en")) if isinstance(value, dict) else "en"


def _default_language_d8(source: Source) -> str:
    value = _config(source, "system.site")
    return str(value.get("default_langcode", "en")) if isinstance(value, dict) else "en"


def _languages(source: Source, table: str, d7: bool) -> dict[str, int]:
    column = "language" if d7 else "langcode"
    rows = source.rows(f"SELECT {column} AS l, COUNT(*) AS n FROM {source.q(table)} GROUP BY l")
    return {str(row["l"]): int(row["n"]) for row in rows}


def _roles_d7(source: Source) -> dict[str, int]:
    if not source.has("role"):
        return {}
    joined = source.has("users_roles")
    users = f"LEFT JOIN {source.q('users_roles')} ur ON ur.rid = r.rid" if joined else ""
    sql = (
        f"SELECT r.name AS name, {'COUNT(ur.uid)' if joined else '0'} AS n "
        f"FROM {source.q('role')} r {users} GROUP BY r.rid, r.name"
    )
    rows = source.rows(sql, table=source.name("role"))  # names may be latin1: repaired
    return {str(row["name"]): int(row["n"]) for row in rows}


def _roles_d8(source: Source) -> dict[str, int]:
    names = source.rows(
        f"SELECT name FROM {source.q('config')} WHERE collection = '' AND name LIKE 'user.role.%'"
    )
    roles = {str(row["name"])[len("user.role.") :]: 0 for row in names}
    if source.has("user__roles"):
        rows = source.rows(
            f"SELECT roles_target_id AS r, COUNT(*) AS n FROM {source.q('user__roles')} "
            "GROUP BY roles_target_id"
        )
        roles |= {str(row["r"]): int(row["n"]) for row in rows}
    return roles


def _modules_d7(source: Source) -> list[str]:
    rows = source.rows(
        f"SELECT name FROM {source.q('system')} WHERE type = 'module' AND status = 1"
    )
    return sorted(str(row["name"]) for row in rows)


def _modules_d8(source: Source) -> list[str]:
    value = _config(source, "core.extension")
    modules = value.get("module") if isinstance(value, dict) else None
    return sorted(str(name) for name in modules) if isinstance(modules, dict) else []
