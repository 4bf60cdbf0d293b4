"""Load YAML keeping the line of every key and item, so problems can say where they are.

`load_located(path)` returns plain dicts and lists, subclassed to remember lines:
`LocDict.line` is the line of the mapping, `LocDict.key_line(key)` the line of one key;
`LocList.item_line(i)` the line of one item. Duplicate keys are reported, not silently merged.
Used by the project file, the canonical model and the site mappings (docs/mappings.md). Aliases
share one object, and every walk here visits each object once, so an alias bomb ("billion
laughs") stays small.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_NAME = re.compile(r"[\w.-]{1,64}")
# A note (`x-…` key) with such a name is refused: it would invite a secret into the file.
_SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|credential|auth(?!or)|api.?key|private.?key", re.IGNORECASE
)


@dataclass(frozen=True)
class Problem:
    """One problem in a YAML document: file, line, dotted path and message (never a data value)."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class LocDict(dict[Any, Any]):
    """A dict that remembers its own line and each key's line (1-based)."""

    line: int = 0
    file: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}
        self.files: dict[Any, str] = {}  # set when merged from another file (includes)
        self.duplicates: list[tuple[Any, int]] = []

    def key_line(self, key: Any) -> int:
        """Return the line of `key`, or of the mapping itself if the key is absent."""
        return self.lines.get(key, self.line)

    def key_file(self, key: Any) -> str:
        """Return the file `key` came from (differs from `file` after an include)."""
        return self.files.get(key, self.file)


class LocList(list[Any]):
    """A list that remembers its own line and each item's line (1-based)."""

    line: int = 0
    file: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []

    def item_line(self, index: int) -> int:
        """Return the line of item `index`."""
        return self.lines[index] if index < len(self.lines) else self.line


class _Loader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences remember where they start."""

    source_name = ""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.line, result.file = node.start_mark.line + 1, loader.source_name
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicates.append((key, line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocList:
    result = LocList()
    result.line, result.file = node.start_mark.line + 1, loader.source_name
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


def _construct_number(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """Keep `0_11` or `12_17` as text: YAML 1.1 would read them as numbers (9 and 1217)."""
    if "_" in str(node.value):
        return str(node.value)
    if node.tag.endswith(":int"):
        return loader.construct_yaml_int(node)
    return loader.construct_yaml_float(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_number)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_number)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(Exception):
    """A YAML document that does not parse; carries the `Problem` saying where."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def parse_located(text: str, name: str) -> Any:
    """Parse YAML text into `LocDict`/`LocList`/scalars; raise `YamlSyntaxError` with its line."""
    loader = _Loader(text)
    loader.source_name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = f" (column {mark.column + 1})" if mark else ""
        reason = f"{exc.problem or 'invalid YAML'}{column}"
        raise YamlSyntaxError(Problem(name, line, "", f"YAML syntax error: {reason}")) from None
    except yaml.YAMLError:
        raise YamlSyntaxError(Problem(name, 1, "", "YAML syntax error")) from None
    except RecursionError:  # PyYAML composes recursively; thousands of nested brackets
        raise YamlSyntaxError(Problem(name, 1, "", "YAML nested too deeply")) from None
    finally:
        loader.dispose()


def load_located(path: Path) -> Any:
    """Read and parse one YAML file keeping lines (see `parse_located`)."""
    return parse_located(path.read_text(encoding="utf-8"), str(path))


def duplicate_problems(doc: Any, path: str = "") -> list[Problem]:
    """Report every duplicate key anywhere in a located document (each object visited once)."""
    problems = [
        Problem(node.file, line, _join(where, key), "duplicate key")
        for node, where in located_mappings(doc, path)
        for key, line in node.duplicates
    ]
    return sorted(problems, key=lambda problem: (problem.file, problem.line))


def secret_looking(key: Any) -> bool:
    """Tell whether a note key (`x-password`, `x-api-token`) names something secret."""
    return str(key).startswith("x-") and _SECRET_NAME.search(str(key)) is not None


def secret_note_problems(doc: Any, path: str = "") -> list[Problem]:
    """Report every note (`x-…` key) with a secret-looking name anywhere in a document."""
    problems = [
        Problem(node.file, node.key_line(key), _join(where, key), "notes must not hold secrets")
        for node, where in located_mappings(doc, path)
        for key in node
        if secret_looking(key)
    ]
    return sorted(problems, key=lambda problem: (problem.file, problem.line))


def located_mappings(doc: Any, path: str = "") -> list[tuple[LocDict, str]]:
    """Return each mapping of a document once with its path, however often aliases reuse it."""
    found: list[tuple[LocDict, str]] = []
    seen: set[int] = set()
    todo: list[tuple[Any, str]] = [(doc, path)]
    while todo:
        node, where = todo.pop()
        if not isinstance(node, LocDict | LocList) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, LocDict):
            found.append((node, where))
            todo.extend((value, _join(where, key)) for key, value in node.items())
        else:
            todo.extend((item, f"{where}[{index}]") for index, item in enumerate(node))
    return found


def shown(value: Any) -> str:
    """Return a key or name from a file for a message, or say it is none: a message must not
    carry arbitrary file content (an `include:` of the wrong file would print its lines)."""
    text = str(value)
    return text if _NAME.fullmatch(text) else "(not a name)"


def unknown_keys(doc: Mapping[Any, Any], known: Collection[str], path: str = "") -> list[Problem]:
    """Report every key of `doc` that is not in `known`, with its dotted path under `path`.

    The one unknown-key check of every YAML document (project file, mappings, model): keys
    starting with `x-` are notes for humans; file and line come from a located `LocDict` (a plain
    dict, e.g. the project file's, gives none)."""
    problems = []
    for key in doc:
        if key in known or str(key).startswith("x-"):
            continue
        message = f"unknown key '{shown(key)}' (known: {', '.join(sorted(known))})"
        file, line = (doc.key_file(key), doc.key_line(key)) if isinstance(doc, LocDict) else ("", 0)
        problems.append(Problem(file, line, _join(path, key), message))
    return problems


def _join(path: str, key: Any) -> str:
    return f"{path}.{shown(key)}" if path else shown(key)
