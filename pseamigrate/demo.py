"""The end-to-end demo behind `pseamigrate demo` (the README's first command).

For now it starts throwaway servers and proves they answer; later issues grow it into
build sample sites → inspect → migrate → verify.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine

from pseamigrate.db import server_version
from pseamigrate.servers import running_server


def run_demo(flavors: list[str], workdir: Path | None, say: Callable[[str], None]) -> Iterator[str]:
    """Start each flavor's throwaway server, report its version, and stop it."""
    with tempfile.TemporaryDirectory(prefix="pseamigrate-demo-") as scratch:
        base = workdir or Path(scratch)
        for flavor in flavors:
            say(f"starting a throwaway {flavor} server under {base / flavor}")
            with running_server(flavor, base / flavor) as server:  # type: ignore[arg-type]
                engine = create_engine(server.url())
                try:
                    with engine.connect() as conn:
                        version = server_version(conn)
                finally:
                    engine.dispose()
                yield f"{flavor}: reachable at 127.0.0.1:{server.port}, version {version}"
            say(f"stopped the {flavor} server")
