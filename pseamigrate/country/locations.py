"""The locations CSV of a new country: `code,name,parent_code`, a hierarchy by code.

Every problem is reported at once, each with its row number (the header is row 1), and never
with the place's name: codes only.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.errors import ProblemsError, UsageProblem

COLUMNS = ["code", "name", "parent_code"]
LOCATION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Location:
    """One place: its code, its name and its parent's code ("" for a top-level place)."""

    code: str
    name: str
    parent_code: str
    row: int


class LocationsError(ProblemsError):
    """A locations CSV with problems, one `file:row N: message` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("locations file", problems)


def read_locations(path: Path) -> list[Location]:
    """Read and validate a locations CSV; parents come before their children in the result."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise UsageProblem(f"cannot read locations file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageProblem(f"locations file {path} is not UTF-8 text") from None
    if not rows or [c.strip() for c in rows[0]] != COLUMNS:
        raise LocationsError([f"{path}:row 1: the header must be {','.join(COLUMNS)}"])
    problems: list[str] = []
    places = _parse_rows(path, rows[1:], problems)
    _check_parents(path, places, problems)
    if problems:
        raise LocationsError(problems)
    return _parents_first(places)


def _parse_rows(path: Path, rows: list[list[str]], problems: list[str]) -> list[Location]:
    places: list[Location] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:row {number}"
        if len(row) != len(COLUMNS):
            problems.append(f"{where}: {len(row)} columns, expected {len(COLUMNS)}")
            continue
        code, name, parent = (cell.strip() for cell in row)
        if not LOCATION_CODE.match(code):
            problems.append(f"{where}: code must be 1-64 letters, digits, _ . or -")
        elif code in seen:
            problems.append(f"{where}: code {code!r} repeats row {seen[code]}")
        if not name or len(name) > 255:
            problems.append(f"{where}: name must be 1-255 characters")
        seen.setdefault(code, number)
        places.append(Location(code, name, parent, number))
    return places


def _check_parents(path: Path, places: list[Location], problems: list[str]) -> None:
    codes = {place.code for place in places}
    for place in places:
        if place.parent_code and place.parent_code not in codes:
            problems.append(
                f"{path}:row {place.row}: parent_code {place.parent_code!r} does not exist"
            )
        elif place.parent_code == place.code:
            problems.append(f"{path}:row {place.row}: a place cannot be its own parent")
    by_code = {place.code: place for place in places}
    for place in places:
        if place.parent_code != place.code and _in_cycle(place, by_code):
            problems.append(f"{path}:row {place.row}: {place.code!r} is its own ancestor")


def _in_cycle(place: Location, by_code: dict[str, Location]) -> bool:
    seen = {place.code}
    current = by_code.get(place.parent_code)
    while current is not None:
        if current.code in seen:
            return current.code == place.code
        seen.add(current.code)
        current = by_code.get(current.parent_code)
    return False


def _parents_first(places: list[Location]) -> list[Location]:
    """Order places so each parent precedes its children, keeping file order otherwise."""
    placed: set[str] = set()
    ordered: list[Location] = []
    pending = list(places)
    while pending:
        ready = [p for p in pending if not p.parent_code or p.parent_code in placed]
        ordered += ready
        placed |= {p.code for p in ready}
        pending = [p for p in pending if p.code not in placed]
    return ordered
