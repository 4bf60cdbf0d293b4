"""Load YAML keeping the line of every key and item, so problems can say where they are.

`load_located(path)` returns plain dicts and lists, subclassed to remember lines:
`LocDict.line` is the line of the mapping, `LocDict.key_line(key)` the line of one key;
`LocList.item_line(i)` the line of one item. Duplicate keys are reported, not silently merged.
Used by the project file, the canonical model and the site mappings (docs/mappings.md).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


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
        reason = exc.problem or "invalid YAML"
        raise YamlSyntaxError(Problem(name, line, "", f"YAML syntax error: {reason}")) from None
    except yaml.YAMLError:
        raise YamlSyntaxError(Problem(name, 1, "", "YAML syntax error")) from None
    finally:
        loader.dispose()


def load_located(path: Path) -> Any:
    """Read and parse one YAML file keeping lines (see `parse_located`)."""
    return parse_located(path.read_text(encoding="utf-8"), str(path))


def duplicate_problems(doc: Any, path: str = "") -> list[Problem]:
    """Report every duplicate key anywhere in a located document."""
    problems: list[Problem] = []
    if isinstance(doc, LocDict):
        for key, line in doc.duplicates:
            problems.append(Problem(doc.file, line, _join(path, key), "duplicate key"))
        for key, value in doc.items():
            problems.extend(duplicate_problems(value, _join(path, key)))
    elif isinstance(doc, LocList):
        for index, item in enumerate(doc):
            problems.extend(duplicate_problems(item, f"{path}[{index}]"))
    return problems


def unknown_keys(doc: Mapping[Any, Any], known: Collection[str], path: str = "") -> list[Problem]:
    """Report every key of `doc` that is not in `known`, with its dotted path under `path`.

    The one unknown-key check of every YAML document (project file, mappings, model): keys
    starting with `x-` are notes for humans; file and line come from a located `LocDict` (a plain
    dict, e.g. the project file's, gives none)."""
    problems = []
    for key in doc:
        if key in known or str(key).startswith("x-"):
            continue
        message = f"unknown key {key!r} (known: {', '.join(sorted(known))})"
        file, line = (doc.key_file(key), doc.key_line(key)) if isinstance(doc, LocDict) else ("", 0)
        problems.append(Problem(file, line, _join(path, key), message))
    return problems


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
