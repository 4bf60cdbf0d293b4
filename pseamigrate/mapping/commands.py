"""`pseamigrate mappings scaffold|check|validate`: mappings against the live sites.

The live part goes through the reader (`pseamigrate.drupal.open_site`); everything else works on
a `SiteModel`, so the checks are testable without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pseamigrate.config import SiteSettings
from pseamigrate.drupal.model import SiteModel
from pseamigrate.errors import ConfigError, MappingError, RefusedForSafety, UsageProblem
from pseamigrate.mapping.check import check_findings, review_warnings
from pseamigrate.mapping.load import load_mapping
from pseamigrate.mapping.scaffold import UNMAPPED_MODES, Scaffold, ValueCounts, scaffold
from pseamigrate.target.model import CanonicalModel, load_model
from pseamigrate.yamldoc import Problem

# What a check covered, from least to most: the file alone (`--offline`, or the site could not
# be reached), the file against the site's content model, or every row through the run's
# transforms (the default: `pseamigrate.migrate.rehearse`).
FILE_ONLY, CONTENT_MODEL, ROWS = "file", "content model", "rows"


@dataclass(frozen=True)
class RowFailures:
    """Source rows the run would fail for one reason in one step, with every source id."""

    step: str  # the run's step label: "complaint", "complaint revisions", "complaint notes"…
    entity: str  # the ledger's source entity: node:complaint, node_revision:complaint…
    column: str  # the column the reason names ("" when the row's parent failed)
    reason: str  # as the run words it, without ids or values
    ids: tuple[str, ...]


@dataclass(frozen=True)
class SiteCheck:
    """The outcome of checking one site's mapping: its file, every problem and every warning,
    what the check covered (`scope`) and, when it ran the transforms, every failing row."""

    site: str
    mapping: str
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    scope: str = CONTENT_MODEL
    rows: int = 0  # source rows run through the transforms (scope ROWS)
    failures: tuple[RowFailures, ...] = ()
    note: str = ""  # why the check covered less than the rows (offline, unreachable)

    def passed(self, strict: bool = False) -> bool:
        """Tell whether the mapping passes (`strict`: warnings count as failures too)."""
        return not self.problems and not self.failures and not (strict and self.warnings)

    def failed_rows(self) -> int:
        """Return how many distinct rows would fail (a row may fail for several reasons)."""
        return len({(f.entity, i) for f in self.failures for i in f.ids})


def read_site_model(site: SiteSettings) -> SiteModel:
    """Introspect a live legacy site through the reader (read-only)."""
    return read_site(site)[0]


def read_site(site: SiteSettings) -> tuple[SiteModel, dict[tuple[str, str], dict[str, int]]]:
    """Introspect a live legacy site and count the values its nodes hold in each list field
    (current revisions; "" for none): the scaffold writes decisions with their row counts."""
    from pseamigrate.db import connection, reading
    from pseamigrate.drupal import open_site

    what = f"site {site.name!r}"
    with (
        connection(reading(site.connection.resolve()), what) as conn,
        open_site(conn, site.table_prefix, where=what) as opened,
    ):
        model: SiteModel = opened.model
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for bundle in model.bundles.values():
            listed = [
                f.field_name
                for f in bundle.fields
                if not f.deleted and _is_list(model, f.entity_type, f.field_name)
            ]
            if listed:
                _count_values(opened.iter_entities(bundle.name), bundle.name, listed, counts)
        return model, counts


def _is_list(model: SiteModel, entity_type: str, field: str) -> bool:
    storage = model.fields.get((entity_type, field))
    return storage is not None and bool(storage.allowed_values)


def _count_values(
    batches: Any, bundle: str, fields: list[str], counts: dict[tuple[str, str], dict[str, int]]
) -> None:
    for batch in batches:
        for record in batch:
            for field in fields:
                held = counts.setdefault((bundle, field), {})
                deltas = record.fields.get(field) or ()
                values = [str(d.get("value")) for d in deltas if d.get("value") not in (None, "")]
                for value in values or [""]:
                    held[value] = held.get(value, 0) + 1


def scaffold_path(site: SiteSettings, output: Path | None, force: bool = False) -> Path:
    """Return where the scaffold goes; refuse to overwrite an existing file without `force`."""
    path = output or site.mapping
    if path is None:
        raise ConfigError(f"site {site.name!r} has no 'mapping:' path in the project file; pass -o")
    if path.exists() and not force:
        raise RefusedForSafety(f"{path} exists; pass --force to overwrite it")
    return path


def scaffold_text(
    site: SiteSettings,
    site_model: SiteModel,
    model: CanonicalModel | None = None,
    unmapped: str = "todo",
    counts: ValueCounts | None = None,
) -> Scaffold:
    """Return the first mapping of a site with its counts (see `pseamigrate.mapping.scaffold`)."""
    if unmapped not in UNMAPPED_MODES:
        raise UsageProblem(f"--unmapped must be one of {', '.join(UNMAPPED_MODES)}")
    canonical = model or load_model()
    return scaffold(site_model, canonical, site.name, site.tenant, unmapped, counts)


def check_file(path: Path, site_model: SiteModel, model: CanonicalModel | None = None) -> SiteCheck:
    """Load one mapping file and check it against a site model."""
    try:
        mapping = load_mapping(path)
    except MappingError as exc:
        return SiteCheck("", str(path), _problems(exc))
    findings = check_findings(mapping, site_model, model)
    return SiteCheck(mapping.site, str(path), tuple(findings.problems), tuple(findings.warnings))


def validate_files(paths: list[Path]) -> list[SiteCheck]:
    """Load mapping files without a site: syntax, keys, steps and callbacks; review notes."""
    results = []
    for path in paths:
        try:
            mapping = load_mapping(path)
            results.append(SiteCheck(mapping.site, str(path), (), tuple(review_warnings(mapping))))
        except MappingError as exc:
            results.append(SiteCheck("", str(path), _problems(exc)))
    return results


def _problems(exc: MappingError) -> tuple[Problem, ...]:
    return tuple(p for p in exc.problems if isinstance(p, Problem))


def scaffold_site(
    site: SiteSettings,
    output: Path | None = None,
    model: CanonicalModel | None = None,
    force: bool = False,
    dry_run: bool = False,
    unmapped: str = "todo",
) -> tuple[Path, Scaffold]:
    """Write a site's first mapping (unless `dry_run`); return its path and the scaffold.

    Refuses an existing file before reading the site, unless `force` (a dry run writes nothing,
    so it never refuses). `unmapped` is `todo` or `extra` (`pseamigrate.mapping.scaffold`).
    """
    if unmapped not in UNMAPPED_MODES:
        raise UsageProblem(f"--unmapped must be one of {', '.join(UNMAPPED_MODES)}")
    path = scaffold_path(site, output, force or dry_run)
    site_model, counts = read_site(site)
    written = scaffold_text(site, site_model, model, unmapped, counts)
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(written.text, encoding="utf-8")
    return path, written
