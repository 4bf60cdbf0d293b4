"""A stable digest of a mapping: what `pm_runs` records, to tell which mapping a run used."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pseamigrate.mapping.model import SiteMapping

PLACES = ("where", "file")  # where a value was written, not what it says


def mapping_digest(mapping: SiteMapping) -> str:
    """Return the sha256 of the mapping's content (file names and line numbers left out)."""
    encoded = json.dumps(_plain(mapping), sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in PLACES
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def basis_digest(mapping_digest_: str, model: Any, site: Any, version: str) -> str:
    """Return the digest of everything that shapes a site's target rows besides its rows: the
    mapping, the canonical model (its file's place left out), the site's content model (its
    fields, its time zone) and the tool's version. A delta run is only allowed while the last
    completed run had the same (migrate/marks.py)."""
    shape = {k: v for k, v in _plain(model).items() if k != "path"}
    encoded = json.dumps(
        [mapping_digest_, shape, _plain(site), version], sort_keys=True, default=str
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
