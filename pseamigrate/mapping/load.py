"""Load a site mapping file into `SiteMapping`, reporting every problem with file, line and path.

Unknown keys are errors (a typo never silently drops a field); keys starting with `x-` are notes.
`include:` names shared files (relative to this one) merged underneath: the local value wins,
and a destination's pipeline is replaced as a whole. An included file must lie inside the
mappings root (`mapping_roots`), symlinks resolved: a mapping cannot make the loader read, and
print lines of, any other file. `version:` must be known; older versions
are upgraded one step at a time by `UPGRADES`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pseamigrate.errors import MappingError
from pseamigrate.mapping.model import (
    CALLBACK_RETURNS,
    COMMON_OPTIONS,
    FALLBACK_OPTIONS,
    MAPPING_VERSION,
    STEP_OPTIONS,
    EntityMapping,
    Ignored,
    ProcessField,
    SiteMapping,
    Step,
    VocabularyMapping,
    Where,
)
from pseamigrate.mapping.zones import TIMEZONE_OPTIONS, is_zone, zone_shown
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.yamldoc import (
    LocDict,
    LocList,
    Problem,
    YamlSyntaxError,
    duplicate_problems,
    load_located,
    secret_note_problems,
    shown,
    unknown_keys,
)

TOP_KEYS = {"version", "site", "tenant", "include", "vocabularies", "ignore", "entities"}
ENTITY_KEYS = {"source", "destination", "process", "ignore"}
IGNORE_KEYS = {"bundles", "vocabularies"}
# One function per old version, turning a document of version N into version N + 1.
UPGRADES: dict[int, Callable[[LocDict], LocDict]] = {}


class _Problems(list[Problem]):
    """Collects problems; `at` records one at a key of a located mapping. Also carries the
    folders includes may come from (`roots`)."""

    def __init__(self, roots: tuple[Path, ...] = ()) -> None:
        super().__init__()
        self.roots = roots

    def at(self, doc: LocDict, key: Any, path: str, message: str) -> None:
        self.append(Problem(doc.key_file(key), doc.key_line(key), path, message))


def mapping_roots(path: Path) -> tuple[Path, ...]:
    """Return the folders a mapping's includes may come from: its mappings folder (the parent
    of a `sites/` folder, as in `mappings/sites/iraq.yaml`, else its own folder) and the shipped
    mappings (`pseamigrate/data/mappings`)."""
    here = path.resolve().parent
    return (here.parent if here.name == "sites" else here, MAPPINGS_DIR.resolve())


def load_mapping(path: Path) -> SiteMapping:
    """Load a mapping with its includes; raise `MappingError` listing every problem."""
    problems = _Problems(roots=mapping_roots(path))
    doc = _read(path, problems, seen=())
    mapping = parse_mapping(doc, str(path), problems) if doc is not None else None
    if problems or mapping is None:
        raise MappingError(problems)
    return mapping


def _read(path: Path, problems: _Problems, seen: tuple[Path, ...]) -> LocDict | None:
    try:
        doc = load_located(path)
    except OSError as exc:
        problems.append(Problem(str(path), 1, "", f"cannot read: {exc.strerror}"))
        return None
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
        return None
    problems.extend(duplicate_problems(doc) + secret_note_problems(doc))
    if not isinstance(doc, LocDict):
        problems.append(Problem(str(path), 1, "", "a mapping file must be a YAML mapping"))
        return None
    return _with_includes(path, doc, problems, (*seen, path.resolve()))


def _with_includes(
    path: Path, doc: LocDict, problems: _Problems, seen: tuple[Path, ...]
) -> LocDict:
    includes = doc.get("include") or []
    includes = [includes] if isinstance(includes, str) else includes
    merged = LocDict()
    merged.file, merged.line = doc.file, doc.line
    for index, name in enumerate(includes):
        target = (path.parent / str(name)).resolve()
        where, line = f"include[{index}]", _include_line(doc, index)
        if not isinstance(name, str) or not any(target.is_relative_to(r) for r in problems.roots):
            roots = " or ".join(str(root) for root in problems.roots)
            problems.append(Problem(doc.file, line, where, f"must name a file inside {roots}"))
            continue
        if target in seen or not target.is_file():
            why = "includes itself" if target in seen else "is not a readable file"
            problems.append(Problem(doc.file, line, where, f"{name} {why}"))
            continue
        base = _read(target, problems, seen)
        if base is not None:
            merged = _merge(merged, base, "")
    return _merge(merged, doc, "")


def _include_line(doc: LocDict, index: int) -> int:
    """Return the line of include number `index` (of `include:` itself for a single name)."""
    items = doc.get("include")
    return items.item_line(index) if isinstance(items, LocList) else doc.key_line("include")


def _merge(base: LocDict, local: LocDict, path: str) -> LocDict:
    """Merge `local` over `base`; a process entry (a pipeline) is replaced, not merged, and a
    key `local` sets to null (`~`) drops what `base` says there (a site's clone renamed it)."""
    result = LocDict()
    result.file, result.line = local.file, local.line
    for source in (base, local):
        for key, value in source.items():
            if key == "include":
                continue
            old = result.get(key)
            if value is None and source is local and key in result:
                del result[key]
                continue
            key_path = f"{path}.{key}" if path else str(key)
            replace = path.endswith(".process") or not isinstance(old, LocDict)
            if isinstance(value, LocDict) and isinstance(old, LocDict) and not replace:
                value = _merge(old, value, key_path)
            result[key] = value
            result.lines[key], result.files[key] = source.key_line(key), source.key_file(key)
    return result


def parse_mapping(doc: LocDict, name: str, problems: _Problems) -> SiteMapping:
    """Turn a merged, located document into a `SiteMapping`, collecting problems."""
    problems.extend(unknown_keys(doc, TOP_KEYS, ""))
    version = doc.get("version")
    while isinstance(version, int) and version in UPGRADES:
        doc, version = UPGRADES[version](doc), version + 1
    if version != MAPPING_VERSION:
        problems.at(doc, "version", "version", f"must be {MAPPING_VERSION} (got {version!r})")
    for key in ("site", "tenant"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.at(doc, key, key, "required: a non-empty name")
    ignore = _section(doc, "ignore", "ignore", problems)
    problems.extend(unknown_keys(ignore, IGNORE_KEYS, "ignore"))
    entities = tuple(
        _entity(str(key), value, where, problems)
        for key, value, where in _items(doc, "entities", "entities", problems)
    )
    vocabularies = tuple(
        VocabularyMapping(str(key), str(value), _where(section, key, f"vocabularies.{key}"))
        for section in [_section(doc, "vocabularies", "vocabularies", problems)]
        for key, value in _notes_dropped(section)
        if _is_name(section, key, value, f"vocabularies.{key}", problems)
    )
    return SiteMapping(
        file=name,
        version=MAPPING_VERSION,
        site=str(doc.get("site", "")),
        tenant=str(doc.get("tenant", "")),
        entities=entities,
        vocabularies=vocabularies,
        ignore_bundles=_ignored(ignore, "bundles", "ignore.bundles", problems),
        ignore_vocabularies=_ignored(ignore, "vocabularies", "ignore.vocabularies", problems),
        where=Where(name, 1, ""),
    )


def _entity(name: str, doc: LocDict, where: Where, problems: _Problems) -> EntityMapping:
    path = where.path
    problems.extend(unknown_keys(doc, ENTITY_KEYS, path))
    source = _section(doc, "source", f"{path}.source", problems)
    problems.extend(unknown_keys(source, {"bundle", "entity_type"}, f"{path}.source"))
    destination = _section(doc, "destination", f"{path}.destination", problems)
    problems.extend(unknown_keys(destination, {"entity"}, f"{path}.destination"))
    for section, key in ((source, "bundle"), (destination, "entity")):
        if not isinstance(section.get(key), str):
            at = f"{path}.{'source' if section is source else 'destination'}.{key}"
            problems.at(section if section else doc, key, at, "required: a name")
    process = _process(_section(doc, "process", f"{path}.process", problems), path, problems)
    return EntityMapping(
        name=name,
        bundle=str(source.get("bundle", "")),
        destination=str(destination.get("entity", "")),
        process=process,
        ignore=_ignored(doc, "ignore", f"{path}.ignore", problems),
        where=where,
        entity_type=str(source.get("entity_type", "node")),
    )


def _process(section: LocDict, path: str, problems: _Problems) -> tuple[ProcessField, ...]:
    fields = []
    for destination, value in _notes_dropped(section):
        where = _where(section, destination, f"{path}.process.{destination}")
        steps = _pipeline(section, destination, value, where.path, problems)
        fields.append(ProcessField(str(destination), steps, where))
    return tuple(fields)


def _pipeline(
    parent: LocDict, key: Any, value: Any, path: str, problems: _Problems
) -> tuple[Step, ...]:
    if isinstance(value, str):  # shorthand: `code: field_code` is a get
        return (Step("get", _where(parent, key, path), source=value),)
    if isinstance(value, LocDict):
        return (_step(value, path, problems),)
    if isinstance(value, LocList) and value and all(isinstance(v, LocDict) for v in value):
        return tuple(_step(item, f"{path}[{i}]", problems) for i, item in enumerate(value))
    problems.at(parent, key, path, "must be a source name, a step, or a list of steps")
    return ()


def _step(doc: LocDict, path: str, problems: _Problems) -> Step:
    plugin = str(doc.get("plugin", ""))
    where = Where(doc.file, doc.line, path)
    if plugin not in STEP_OPTIONS:
        known = ", ".join(sorted(STEP_OPTIONS))
        message = f"unknown process step '{shown(plugin)}' ({known})"
        problems.at(doc, "plugin", f"{path}.plugin", message)
        return Step(plugin, where)
    allowed, required = STEP_OPTIONS[plugin]
    problems.extend(unknown_keys(doc, allowed | COMMON_OPTIONS, path))
    for option in sorted(required - set(doc)):
        problems.at(doc, "plugin", f"{path}.{option}", f"{plugin} needs '{option}'")
    _step_specifics(plugin, doc, path, problems)
    options = {k: v for k, v in doc.items() if k not in ("plugin", "source", "process")}
    source = doc.get("source")
    sub: tuple[ProcessField, ...] = ()
    if plugin == "sub_process" and isinstance(doc.get("process"), LocDict):
        sub = _process(doc["process"], path, problems)
    return Step(plugin, where, str(source) if source is not None else None, options, sub)


def _step_specifics(plugin: str, doc: LocDict, path: str, problems: _Problems) -> None:
    if plugin == "callback" and "callable" in doc and doc["callable"] not in CALLBACK_RETURNS:
        known = ", ".join(sorted(CALLBACK_RETURNS))
        message = f"unknown callback '{shown(doc['callable'])}' (registered: {known})"
        problems.at(doc, "callable", f"{path}.callable", message)
    if plugin == "lookup" and ("entity" in doc) == ("vocabulary" in doc):
        problems.at(doc, "plugin", path, "lookup needs exactly one of 'entity' or 'vocabulary'")
    if plugin == "static_map" and "map" in doc and not isinstance(doc["map"], LocDict):
        problems.at(doc, "map", f"{path}.map", "must be a mapping of source value to value")
    if plugin == "skip_on_empty" and doc.get("method", "row") not in ("row", "process"):
        problems.at(doc, "method", f"{path}.method", "must be 'row' or 'process'")
    if plugin == "sub_process" and "process" in doc and not isinstance(doc["process"], LocDict):
        problems.at(doc, "process", f"{path}.process", "must be a mapping of column to steps")
    if plugin == "format_date":
        _timezones(doc, path, problems)
    _fallback_and_review(plugin, doc, path, problems)


def _timezones(doc: LocDict, path: str, problems: _Problems) -> None:
    """A time zone must be a name this machine knows (a typo would fail every row)."""
    for option in TIMEZONE_OPTIONS:
        if option in doc and not is_zone(doc[option]):
            message = (
                f"unknown time zone '{zone_shown(doc[option])}' (a name such as UTC, Asia/Baghdad)"
            )
            problems.at(doc, option, f"{path}.{option}", message)


def _fallback_and_review(plugin: str, doc: LocDict, path: str, problems: _Problems) -> None:
    option, choices = FALLBACK_OPTIONS.get(plugin, ("", ()))
    if option in doc and doc[option] not in choices:
        message = f"must be one of {', '.join(choices)} (got {doc[option]!r})"
        problems.at(doc, option, f"{path}.{option}", message)
    if "review" in doc and (not isinstance(doc["review"], str) or not doc["review"].strip()):
        problems.at(doc, "review", f"{path}.review", "must say what to review")


def _ignored(doc: LocDict, key: str, path: str, problems: _Problems) -> tuple[Ignored, ...]:
    section = _section(doc, key, path, problems)
    result = []
    for name, reason in _notes_dropped(section):
        if not isinstance(reason, str) or not reason.strip():
            problems.at(section, name, f"{path}.{name}", "an ignored item needs a reason")
            reason = ""
        result.append(Ignored(str(name), str(reason), _where(section, name, f"{path}.{name}")))
    return tuple(result)


def _items(
    doc: LocDict, key: str, path: str, problems: _Problems
) -> list[tuple[Any, LocDict, Where]]:
    section = _section(doc, key, path, problems)
    result = []
    for name, value in _notes_dropped(section):
        if isinstance(value, LocDict):
            result.append((name, value, _where(section, name, f"{path}.{name}")))
        else:
            problems.at(section, name, f"{path}.{name}", "must be a mapping")
    return result


def _section(doc: LocDict, key: str, path: str, problems: _Problems) -> LocDict:
    value = doc.get(key)
    if isinstance(value, LocDict):
        return value
    if value is not None:
        problems.at(doc, key, path, "must be a mapping")
    empty = LocDict()
    empty.file, empty.line = doc.key_file(key), doc.key_line(key)
    return empty


def _is_name(doc: LocDict, key: Any, value: Any, path: str, problems: _Problems) -> bool:
    if isinstance(value, str) and value:
        return True
    problems.at(doc, key, path, "must name a vocabulary of the model")
    return False


def _where(doc: LocDict, key: Any, path: str) -> Where:
    return Where(doc.key_file(key), doc.key_line(key), path)


def _notes_dropped(section: LocDict) -> list[tuple[Any, Any]]:
    """Return the items of a section without the `x-…` notes."""
    return [(key, value) for key, value in section.items() if not str(key).startswith("x-")]
