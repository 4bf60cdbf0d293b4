"""The demo leaves no server behind: not when it finishes, not after Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from pseamigrate.cli import app


def processes_under(directory: Path) -> list[int]:
    """Return the pids of live processes whose command line mentions `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if str(directory) in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_demo_reaches_a_server_and_stops_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--flavor", "mariadb", "--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "Sample sites on mariadb" in result.stdout
    for site in ("demo", "iraq", "drc", "syria"):
        assert f"building {site} (d7)" in result.stderr
    assert processes_under(tmp_path) == []


def test_ctrl_c_stops_the_servers(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "pseamigrate", "demo", "--flavor", "mariadb", "--flavor", "mysql"]
        + ["--workdir", str(tmp_path)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    assert demo.stderr is not None
    for line in demo.stderr:
        if "starting a throwaway mysql server" in line:
            break
    time.sleep(3)  # in the middle of initialising or starting MySQL
    os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    rest = demo.stderr.read()
    demo.stderr.close()
    assert demo.wait(60) == 130
    assert "interrupted" in rest
    assert "Traceback" not in rest
    deadline = time.monotonic() + 20
    while processes_under(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_under(tmp_path) == []
