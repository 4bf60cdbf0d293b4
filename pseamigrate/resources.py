"""Files the package ships and reads at run time (package data, `importlib.resources`).

The canonical model, the shipped mappings and template, the country templates and the recipes
live in `pseamigrate/data/`, so they are found alike from a checkout and from an installed
wheel. A project may point at its own model or mappings instead (see docs/configuration.md).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Return the path of a shipped data file or folder (`data_path("mappings", "model.yaml")`).

    Wheels are installed unpacked, so the package data is a real directory on disk."""
    return Path(str(files("pseamigrate").joinpath("data", *parts)))


MAPPINGS_DIR = data_path("mappings")
DEFAULT_MODEL = MAPPINGS_DIR / "model.yaml"
COUNTRY_TEMPLATES_DIR = data_path("country_templates")
RECIPES_DIR = data_path("recipes")
