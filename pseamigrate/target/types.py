"""Column types the target shares between its tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.dialects.mysql import LONGTEXT
from sqlalchemy.types import TypeEngine


def long_text() -> TypeEngine[Any]:
    """Return LONGTEXT on MySQL/MariaDB: Drupal's text columns are longtext (up to 4 GB), and
    a narrative must arrive whole, where TEXT would stop at 64 KB."""
    return Text().with_variant(LONGTEXT(), "mysql", "mariadb")
