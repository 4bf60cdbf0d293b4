"""The canonical multi-tenant model (`pseamigrate/data/mappings/model.yaml`) as frozen dataclasses.

The model names the consolidated entities (complaint, referral, awareness session…), their
columns and multi-value children, and the vocabularies (shared across tenants and merged by name,
or per tenant with hierarchy). `pseamigrate.target.schema` turns it into tables; the mappings
check their destinations against it. Every problem in the file is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pseamigrate.errors import ModelError
from pseamigrate.resources import DEFAULT_MODEL
from pseamigrate.yamldoc import (
    LocDict,
    Problem,
    YamlSyntaxError,
    duplicate_problems,
    load_located,
    unknown_keys,
)

MODEL_VERSION = 1

SCALAR_TYPES = {"string", "text", "integer", "boolean", "date", "datetime", "json"}
REFERENCE_TYPES = {"term", "ref", "file", "member"}  # stored as a BIGINT foreign key
COLUMN_TYPES = SCALAR_TYPES | REFERENCE_TYPES
COLUMN_KEYS = {
    "type",
    "length",
    "values",
    "vocabulary",
    "entity",
    "required",
    "from",
    "description",
    "sensitivity",
}
# What a column holds, for the sanitized test instance (see target/sensitivity.py): public
# values are copied, personal ones pseudonymised, sensitive text replaced, dates shifted.
SENSITIVITIES = {"public", "personal", "sensitive", "date"}
ENTITY_KEYS = {"table", "description", "columns", "children", "revisions", "notes"}
CHILD_KEYS = {"table", "description", "columns", "from"}
REVISION_KEYS = {"table", "track"}
NOTES_KEYS = {"table", "description"}
VOCAB_KEYS = {"scope", "hierarchy", "description", "from"}
TOP_KEYS = {"version", "vocabularies", "entities", "description"}


@dataclass(frozen=True)
class Column:
    """One column of an entity or child table, in logical terms."""

    name: str
    type: str
    length: int = 255
    values: tuple[str, ...] = ()  # the allowed values of a coded list, empty if free
    vocabulary: str | None = None  # for type term
    entity: str | None = None  # for type ref
    required: bool = False
    hints: tuple[str, ...] = ()  # Drupal field names the scaffold maps here (`from:`)
    description: str = ""
    sensitivity: str = "public"  # references are always public: they hold target ids


@dataclass(frozen=True)
class Child:
    """A multi-value field kept as a child table (one row per value, with its delta)."""

    name: str
    table: str
    columns: tuple[Column, ...]
    hints: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Revisions:
    """The revision (audit) table of an entity and the columns each revision records."""

    table: str
    track: tuple[str, ...]


@dataclass(frozen=True)
class Notes:
    """The notes table of an entity: Drupal comments on its nodes (on complaints, case notes)."""

    table: str
    description: str = ""


@dataclass(frozen=True)
class Entity:
    """A consolidated entity (one table, its children and optional revision history)."""

    name: str
    table: str
    columns: tuple[Column, ...]
    children: tuple[Child, ...] = ()
    revisions: Revisions | None = None
    description: str = ""
    notes: Notes | None = None

    def column(self, name: str) -> Column | None:
        """Return the named column, or None."""
        return next((c for c in self.columns if c.name == name), None)

    def child(self, name: str) -> Child | None:
        """Return the named child table, or None."""
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True)
class Vocabulary:
    """A vocabulary: `shared` terms are merged by name across tenants, `tenant` ones are not."""

    name: str
    scope: str  # "shared" | "tenant"
    hierarchy: bool = False
    hints: tuple[str, ...] = ()
    description: str = ""

    @property
    def table(self) -> str:
        """Return the table holding the terms."""
        return f"{self.name}_terms"


@dataclass(frozen=True)
class CanonicalModel:
    """The whole canonical model."""

    version: int
    entities: Mapping[str, Entity]
    vocabularies: Mapping[str, Vocabulary]
    path: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def load_model(path: Path | None = None) -> CanonicalModel:
    """Load and validate the canonical model; raise `ModelError` listing every problem."""
    path = path or DEFAULT_MODEL
    try:
        doc = load_located(path)
    except OSError as exc:
        raise ModelError([Problem(str(path), 1, "", f"cannot read: {exc.strerror}")]) from None
    except YamlSyntaxError as exc:
        raise ModelError([exc.problem]) from None
    problems = duplicate_problems(doc)
    model = parse_model(doc, str(path), problems)
    if problems:
        raise ModelError(problems)
    return model


def parse_model(doc: Any, name: str, problems: list[Problem]) -> CanonicalModel:
    """Turn a located document into a `CanonicalModel`, appending problems as found."""
    if not isinstance(doc, LocDict):
        problems.append(Problem(name, 1, "", "the model must be a mapping"))
        return CanonicalModel(MODEL_VERSION, {}, {}, name)
    problems.extend(unknown_keys(doc, TOP_KEYS, ""))
    if doc.get("version") != MODEL_VERSION:
        problems.append(_at(doc, "version", "version", f"must be {MODEL_VERSION}"))
    vocabularies = {
        str(key): _vocabulary(str(key), value, f"vocabularies.{key}", problems)
        for key, value in _sections(doc, "vocabularies", "", problems)
    }
    entities = {
        str(key): _entity(str(key), value, f"entities.{key}", problems)
        for key, value in _sections(doc, "entities", "", problems)
    }
    model = CanonicalModel(MODEL_VERSION, entities, vocabularies, name)
    _check_references(model, doc, problems)
    return model


def _vocabulary(name: str, doc: LocDict, path: str, problems: list[Problem]) -> Vocabulary:
    problems.extend(unknown_keys(doc, VOCAB_KEYS, path))
    scope = str(doc.get("scope", ""))
    if scope not in ("shared", "tenant"):
        problems.append(_at(doc, "scope", f"{path}.scope", "must be 'shared' or 'tenant'"))
    return Vocabulary(
        name, scope, bool(doc.get("hierarchy", False)), _hints(doc), str(doc.get("description", ""))
    )


def _entity(name: str, doc: LocDict, path: str, problems: list[Problem]) -> Entity:
    problems.extend(unknown_keys(doc, ENTITY_KEYS, path))
    columns = _columns(doc, path, problems)
    children = tuple(
        _child(name, str(key), value, f"{path}.children.{key}", problems)
        for key, value in _sections(doc, "children", path, problems)
    )
    revisions = None
    if "revisions" in doc:
        rev = doc["revisions"]
        if isinstance(rev, LocDict):
            problems.extend(unknown_keys(rev, REVISION_KEYS, f"{path}.revisions"))
            track = tuple(str(t) for t in rev.get("track") or ())
            revisions = Revisions(str(rev.get("table", f"{name}_revisions")), track)
        else:
            problems.append(_at(doc, "revisions", f"{path}.revisions", "must be a mapping"))
    table = str(doc.get("table", f"{name}s"))
    description = str(doc.get("description", ""))
    notes = _notes(name, doc, path, problems)
    return Entity(name, table, columns, children, revisions, description, notes)


def _notes(entity: str, doc: LocDict, path: str, problems: list[Problem]) -> Notes | None:
    if "notes" not in doc:
        return None
    notes = doc["notes"]
    if not isinstance(notes, LocDict):
        problems.append(_at(doc, "notes", f"{path}.notes", "must be a mapping"))
        return None
    problems.extend(unknown_keys(notes, NOTES_KEYS, f"{path}.notes"))
    table = str(notes.get("table", f"{entity}_notes"))
    return Notes(table, str(notes.get("description", "")))


def _child(entity: str, name: str, doc: LocDict, path: str, problems: list[Problem]) -> Child:
    problems.extend(unknown_keys(doc, CHILD_KEYS, path))
    table = str(doc.get("table", f"{entity}_{name}"))
    columns = _columns(doc, path, problems)
    return Child(name, table, columns, _hints(doc), str(doc.get("description", "")))


def _columns(doc: LocDict, path: str, problems: list[Problem]) -> tuple[Column, ...]:
    columns = _mapping(doc, "columns", problems, path)
    result = []
    for key, value in columns.items():
        if str(key).startswith("x-"):
            continue
        if isinstance(value, str):  # shorthand: `code: string`
            value = _shorthand(columns, key, value)
        if not isinstance(value, LocDict):
            where = f"{path}.columns.{key}"
            message = "must be a type name or a mapping"
            problems.append(Problem(columns.file, columns.key_line(key), where, message))
            continue
        result.append(_column(str(key), value, f"{path}.columns.{key}", problems))
    return tuple(result)


def _shorthand(parent: LocDict, key: Any, kind: str) -> LocDict:
    doc = LocDict()
    doc.file, doc.line = parent.file, parent.key_line(key)
    doc["type"] = kind
    doc.lines["type"] = doc.line
    return doc


def _sections(doc: LocDict, key: str, path: str, problems: list[Problem]) -> list[tuple[Any, Any]]:
    """Return the (name, mapping) items under `key`, reporting items that are not mappings."""
    section = _mapping(doc, key, problems, path)
    result = []
    for name, value in section.items():
        if str(name).startswith("x-"):
            continue
        if isinstance(value, LocDict):
            result.append((name, value))
        else:
            where = f"{path}.{key}.{name}" if path else f"{key}.{name}"
            problems.append(
                Problem(section.file, section.key_line(name), where, "must be a mapping")
            )
    return result


def _column(name: str, doc: LocDict, path: str, problems: list[Problem]) -> Column:
    problems.extend(unknown_keys(doc, COLUMN_KEYS, path))
    kind = str(doc.get("type", ""))
    if kind not in COLUMN_TYPES:
        known = ", ".join(sorted(COLUMN_TYPES))
        problems.append(_at(doc, "type", f"{path}.type", f"unknown type {kind!r} (known: {known})"))
    if kind in REFERENCE_TYPES and not name.endswith("_id"):
        problems.append(_at(doc, "type", path, f"a {kind} column's name must end in _id"))
    sensitivity = _sensitivity(doc, kind, path, problems)
    return Column(
        name=name,
        type=kind,
        length=int(doc.get("length", 255)),
        values=tuple(str(v) for v in doc.get("values") or ()),
        vocabulary=doc.get("vocabulary"),
        entity=doc.get("entity"),
        required=bool(doc.get("required", False)),
        hints=_hints(doc),
        description=str(doc.get("description", "")),
        sensitivity=sensitivity,
    )


def _sensitivity(doc: LocDict, kind: str, path: str, problems: list[Problem]) -> str:
    """Every scalar column says what it holds; an unclassified one is an error."""
    value = doc.get("sensitivity")
    if value is None:
        if kind in REFERENCE_TYPES:
            return "public"
        known = ", ".join(sorted(SENSITIVITIES))
        problems.append(Problem(doc.file, doc.line, path, f"no sensitivity (one of: {known})"))
        return "sensitive"
    if str(value) not in SENSITIVITIES:
        known = ", ".join(sorted(SENSITIVITIES))
        message = f"unknown sensitivity {value!r} (known: {known})"
        problems.append(_at(doc, "sensitivity", f"{path}.sensitivity", message))
        return "sensitive"
    return str(value)


def _check_references(model: CanonicalModel, doc: LocDict, problems: list[Problem]) -> None:
    for entity in model.entities.values():
        tables = [(entity.columns, f"entities.{entity.name}")] + [
            (c.columns, f"entities.{entity.name}.children.{c.name}") for c in entity.children
        ]
        for columns, path in tables:
            for column in columns:
                _check_column_target(model, column, f"{path}.columns.{column.name}", doc, problems)
        if entity.revisions:
            for name in entity.revisions.track:
                if entity.column(name) is None:
                    where = f"entities.{entity.name}.revisions.track"
                    problems.append(Problem(doc.file, doc.line, where, f"no column {name!r}"))


def _check_column_target(
    model: CanonicalModel, column: Column, path: str, doc: LocDict, problems: list[Problem]
) -> None:
    if column.type == "term" and column.vocabulary not in model.vocabularies:
        message = f"unknown vocabulary {column.vocabulary!r}"
        problems.append(Problem(doc.file, _line_of(doc, path), path, message))
    if column.type == "ref" and column.entity not in model.entities:
        message = f"unknown entity {column.entity!r}"
        problems.append(Problem(doc.file, _line_of(doc, path), path, message))


def _line_of(doc: LocDict, path: str) -> int:
    node: Any = doc
    line = doc.line
    for part in path.split("."):
        if not isinstance(node, LocDict) or part not in node:
            break
        line, node = node.key_line(part), node[part]
    return line


def _hints(doc: LocDict) -> tuple[str, ...]:
    value = doc.get("from")
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def _mapping(doc: LocDict, key: str, problems: list[Problem], path: str = "") -> LocDict:
    value = doc.get(key)
    if value is None:
        return LocDict()
    if not isinstance(value, LocDict):
        problems.append(_at(doc, key, f"{path}.{key}" if path else key, "must be a mapping"))
        return LocDict()
    return value


def _at(doc: LocDict, key: str, path: str, message: str) -> Problem:
    return Problem(doc.file, doc.key_line(key), path, message)
