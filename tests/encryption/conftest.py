"""Per-module encrypted servers: these tests restart and reconfigure them, so they are private."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from enc_helpers import encrypted_server

from pseamigrate.servers import LocalServer


@pytest.fixture(scope="module", params=["mysql", "mariadb"])
def enc_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalServer]:
    """A fresh server per flavor and module, taken through setup -> restart -> enable."""
    yield from encrypted_server(request.param, tmp_path_factory.mktemp(f"enc-{request.param}"))
