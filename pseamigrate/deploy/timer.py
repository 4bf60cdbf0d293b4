"""Run `pseamigrate health` every few minutes: a systemd timer, or cron where systemd is not
running (containers, minimal hosts). The files are plans first, so `--dry-run` shows them."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pseamigrate.errors import PseamigrateError, UsageProblem

UNIT = "pseamigrate-health"
SYSTEMD_RUNNING = Path("/run/systemd/system")  # what sd_booted() checks


@dataclass(frozen=True)
class TimerPlan:
    """The files that schedule the health check, and the commands that activate them."""

    kind: str  # systemd or cron
    files: dict[Path, str]
    commands: tuple[tuple[str, ...], ...]


def health_command(pseamigrate: str, config: Path, basedir: Path | None, prometheus: Path) -> str:
    """Return the health command line the timer runs (no secret: the project file names them)."""
    argv = [pseamigrate, "--config", str(config), "health", "--prometheus", str(prometheus)]
    if basedir is not None:
        argv += ["--basedir", str(basedir)]
    return shlex.join(argv)


def plan_timer(
    command: str, every_minutes: int, unit_dir: Path, cron_file: Path, use_systemd: bool | None
) -> TimerPlan:
    """Return the systemd units (when systemd runs, or `use_systemd`) or the cron file."""
    if not 1 <= every_minutes <= 59:
        raise UsageProblem("--every must be 1-59 minutes")
    systemd = SYSTEMD_RUNNING.is_dir() if use_systemd is None else use_systemd
    if not systemd:
        line = f"*/{every_minutes} * * * * root {command} >/dev/null 2>&1\n"
        return TimerPlan(
            "cron", {cron_file: f"# pseamigrate health (docs/operations.md)\n{line}"}, ()
        )
    service = (
        f"[Unit]\nDescription=pseamigrate health check\n\n[Service]\nType=oneshot\n"
        f"ExecStart={command}\nSuccessExitStatus=1 2\n"
    )
    timer = (
        f"[Unit]\nDescription=pseamigrate health check every {every_minutes} min\n\n"
        f"[Timer]\nOnBootSec=2min\nOnUnitActiveSec={every_minutes}min\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    files = {unit_dir / f"{UNIT}.service": service, unit_dir / f"{UNIT}.timer": timer}
    commands = (("systemctl", "daemon-reload"), ("systemctl", "enable", "--now", f"{UNIT}.timer"))
    return TimerPlan("systemd", files, commands)


def install_timer(plan: TimerPlan) -> None:
    """Write the plan's files (0644) and run its commands."""
    for path, content in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        path.chmod(0o644)
    for argv in plan.commands:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PseamigrateError(f"{' '.join(argv)} failed: {done.stderr.strip()[-200:]}")
