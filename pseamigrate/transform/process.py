"""Run process steps on one source row: pure functions, no I/O (the ledger lookup is injected).

A source row maps property names to values: base properties (`nid`, `title`, `created`…) and,
per field, the field's main value (a list for multi-value fields); `field/column` reads another
storage column. `transform_row` returns the destination columns, with `extra/…` keys gathered in
`extra` and child tables (sub_process) as lists of dicts.

A step whose `on_error`/`unmatched` option is `extra` never fails on a value it cannot convert:
the destination is left empty, the value as read from the source is kept in the row's `extra`
under the source field's short name (`extra_key`), and a message naming the field (never the
value) is added to the row's `Context.messages`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from pseamigrate.errors import UnmappedValue
from pseamigrate.mapping.model import (
    EXTRA_PREFIX,
    EntityMapping,
    ProcessField,
    Step,
    extra_key,
    split_source,
)
from pseamigrate.memo import IdentityCache
from pseamigrate.transform.callbacks import CALLBACKS

Lookup = Callable[[str, Any], "int | None"]  # (entity or vocabulary, source id) → target id


class SkipRow(Exception):
    """`skip_on_empty` with `method: row`: the whole row is not migrated."""

    def __init__(self, where: str, message: str = "") -> None:
        self.where, self.message = where, message
        super().__init__(f"{where}: {message or 'skipped: empty value'}")


class PipelineFailed(ValueError):
    """A step raised on a value: names the destination and the error's kind, never the value."""

    def __init__(self, destination: str, error: Exception) -> None:
        self.destination, self.kind = destination, type(error).__name__
        super().__init__(f"{destination}: {self.kind}")


class _StopPipeline(Exception):
    """`skip_on_empty` with `method: process`: the destination is left unset."""


class _Unconverted(Exception):
    """A step could not convert a value and its options say to keep it in `extra`."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


@dataclass(frozen=True)
class Context:
    """What steps may need besides the row: the ledger lookup (injected, so tests need no DB).

    The engine makes one per row. `messages` collects what steps report about the row (field
    names and problems, never values); `kept` holds the values steps could not convert, by
    `extra` key, until `transform_row` moves them into the row's `extra`; `prefix` is put in
    front of those keys inside a `sub_process` (`attachments/0/…`).
    """

    lookup: Lookup = field(default=lambda _kind, _source_id: None)
    messages: list[str] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)
    prefix: str = ""

    def warn(self, message: str) -> None:
        """Record a message about the current row (no data values in it)."""
        self.messages.append(message)


def read_source(row: Mapping[str, Any], source: str) -> Any:
    """Return `row[source]`; `field/column` reads one storage column of every delta."""
    name, column = split_source(source)
    if column is None:
        return row.get(name)
    values = [delta.get(column) for delta in row.get(f"{name}/*") or []]
    return values[0] if len(values) == 1 else (values or None)


def run_pipeline(
    pf: ProcessField, row: Mapping[str, Any], ctx: Context | None = None
) -> tuple[bool, Any]:
    """Run one destination's steps; return (True, value), or (False, None) if skipped."""
    ctx = ctx or Context()
    value: Any = None
    source, raw = pf.destination, None
    try:
        for step in pf.steps:
            if step.source is not None:
                source, value = step.source, read_source(row, step.source)
                raw = value
            value = STEPS[step.plugin](step, value, row, ctx)
    except _StopPipeline:
        return False, None
    except _Unconverted as exc:
        key = ctx.prefix + extra_key(source)
        ctx.kept[key] = raw
        ctx.warn(f"{ctx.prefix}{source}: {exc.problem}; kept in extra/{key}")
        return True, None
    return True, value


def transform_row(
    em: EntityMapping, row: Mapping[str, Any], ctx: Context | None = None
) -> dict[str, Any]:
    """Return the destination values of one source row; raise `SkipRow` to drop it."""
    ctx = ctx or Context()
    ctx.kept.clear()  # values kept by an earlier row's steps are that row's, not this one's
    result: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for pf in em.process:
        try:
            done, value = run_pipeline(pf, row, ctx)
        except (ValueError, TypeError, OverflowError) as exc:
            if isinstance(exc, PipelineFailed):
                raise
            raise PipelineFailed(pf.destination, exc) from exc
        if not done:
            continue
        if pf.destination.startswith(EXTRA_PREFIX):
            if value is not None:  # `extra` holds what a country has, not empty keys
                extra[pf.destination[len(EXTRA_PREFIX) :]] = value
        else:
            result[pf.destination] = value
    for key, value in ctx.kept.items():  # a mapped extra/<key> of the same name wins
        if value is not None:
            extra.setdefault(key, value)
    ctx.kept.clear()
    if extra:
        result["extra"] = extra
    return result


def _get(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    return value


def _static_map(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    if isinstance(value, list):
        return [_static_map(step, item, row, ctx) for item in value]
    table = _text_keyed(step.options["map"])
    if value is not None and str(value) in table:
        return table[str(value)]
    if "default_value" in step.options:
        return step.options["default_value"]
    unmatched = step.options.get("unmatched", "fail")
    if step.options.get("bypass") or unmatched == "bypass" or value is None:
        return value
    if unmatched == "extra":
        raise _Unconverted("value has no match in the map")
    raise UnmappedValue(f"{step.where.file}:{step.where.line}: {step.where.path}")


def _text_keys(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key): target for key, target in dict(mapping).items()}


# A map's table with text keys, built once per map, not per value (a profile of `migrate` put
# that at 1%).
_text_keyed: IdentityCache[Mapping[Any, Any], dict[str, Any]] = IdentityCache(_text_keys)


def _default_value(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    empty = value is None if step.options.get("strict") else value in (None, "", [], 0, False)
    return step.options["default_value"] if empty else value


def _skip_on_empty(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    if value not in (None, "", [], ()):
        return value
    if step.options.get("method") == "process":
        raise _StopPipeline()
    raise SkipRow(step.where.path, str(step.options.get("message", "")))


def _sub_process(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    name = split_source(step.source or "")[0]
    deltas = row.get(f"{name}/*") or []
    items = []
    for delta, item in enumerate(deltas):
        child: dict[str, Any] = {"delta": delta}
        inner_ctx = replace(ctx, prefix=f"{ctx.prefix}{extra_key(name)}/{delta}/")
        for inner in step.process:
            done, result = run_pipeline(inner, item, inner_ctx)
            if done:
                child[inner.destination] = result
        items.append(child)
    return items


def _format_date(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    if value in (None, ""):
        return None
    options = step.options
    source_tz = ZoneInfo(str(options.get("from_timezone", "UTC")))
    try:
        moment = parse_any(value, options["from_format"], source_tz)
    except (ValueError, TypeError, OverflowError, OSError):
        if options.get("on_error") == "extra":
            raise _Unconverted("value does not parse as a date") from None
        raise
    moment = moment.astimezone(ZoneInfo(str(options.get("to_timezone", "UTC"))))
    return format_php_date(moment, str(options.get("to_format", "Y-m-d H:i:s")))


def _lookup(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    kind = str(step.options.get("vocabulary") or step.options.get("entity"))
    if isinstance(value, list):
        return [ctx.lookup(kind, item) for item in value if item is not None]
    return None if value is None else ctx.lookup(kind, value)


def _callback(step: Step, value: Any, row: Mapping[str, Any], ctx: Context) -> Any:
    return CALLBACKS[str(step.options["callable"])].function(value)


STEPS: dict[str, Callable[[Step, Any, Mapping[str, Any], Context], Any]] = {
    "get": _get,
    "static_map": _static_map,
    "default_value": _default_value,
    "skip_on_empty": _skip_on_empty,
    "sub_process": _sub_process,
    "format_date": _format_date,
    "lookup": _lookup,
    "callback": _callback,
}

# PHP date() format characters (the ones Drupal uses) and their strftime equivalents.
_PHP = {"Y": "%Y", "y": "%y", "m": "%m", "n": "%m", "d": "%d", "j": "%d", "H": "%H"}
_PHP |= {"G": "%H", "i": "%M", "s": "%S", "D": "%a", "M": "%b", "F": "%B", "l": "%A"}


@functools.lru_cache(maxsize=256)
def _strftime_pattern(php: str) -> str:
    out, escaped = [], False
    for char in php:
        if escaped:
            out.append("%%" if char == "%" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(_PHP.get(char, "%%" if char == "%" else char))
    return "".join(out)


def parse_any(value: Any, formats: Any, tz: ZoneInfo) -> dt.datetime:
    """Parse with the first matching format (one or a list); dates from the driver pass as is."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    candidates = [formats] if isinstance(formats, str) else list(formats)
    for php_format in candidates[:-1]:
        try:
            return parse_php_date(value, str(php_format), tz)
        except ValueError:
            continue
    return parse_php_date(value, str(candidates[-1]), tz)


def parse_php_date(value: Any, php_format: str, tz: ZoneInfo) -> dt.datetime:
    """Parse a date written in a PHP `date()` format (`U` is a Unix timestamp)."""
    if php_format == "U":  # the epoch plus seconds: fromtimestamp's result, in half the time
        return _EPOCH + dt.timedelta(seconds=int(value))
    parsed = dt.datetime.strptime(str(value), _strftime_pattern(php_format))
    return parsed.replace(tzinfo=tz)


def format_php_date(moment: dt.datetime, php_format: str) -> str | int:
    """Format a datetime in a PHP `date()` format (`U` gives a Unix timestamp)."""
    if php_format == "U":
        return int(moment.timestamp())
    pattern = _strftime_pattern(php_format)
    iso = _ISO_PREFIXES.get(pattern)
    if iso is not None and moment.year >= 1000:  # strftime writes years below 1000 unpadded
        return moment.isoformat(iso[0])[: iso[1]]
    return moment.strftime(pattern)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# strftime patterns that are a prefix of `isoformat(sep)` (separator, length): `strftime` costs
# about four times as much, and a profile of `migrate` put it at 2%.
_ISO_PREFIXES = {
    "%Y-%m-%d %H:%M:%S": (" ", 19),
    "%Y-%m-%dT%H:%M:%S": ("T", 19),
    "%Y-%m-%d %H:%M": (" ", 16),
    "%Y-%m-%d": (" ", 10),
}
