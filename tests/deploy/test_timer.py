"""The health timer's files (#11): systemd units where systemd runs, a cron file elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.deploy.timer import health_command, plan_timer
from pseamigrate.errors import UsageProblem


def test_systemd_units_run_health_every_few_minutes(tmp_path: Path) -> None:
    command = health_command("pseamigrate", Path("/etc/p.yaml"), None, Path("/var/p.prom"))
    plan = plan_timer(command, 10, tmp_path, tmp_path / "cron", use_systemd=True)
    assert plan.kind == "systemd"
    service = plan.files[tmp_path / "pseamigrate-health.service"]
    assert f"ExecStart={command}\n" in service and "SuccessExitStatus=1 2" in service
    assert "OnUnitActiveSec=10min" in plan.files[tmp_path / "pseamigrate-health.timer"]
    assert ("systemctl", "enable", "--now", "pseamigrate-health.timer") in plan.commands


def test_cron_without_systemd(tmp_path: Path) -> None:
    plan = plan_timer("pseamigrate health", 5, tmp_path, tmp_path / "c", use_systemd=False)
    assert plan.kind == "cron" and not plan.commands
    assert plan.files[tmp_path / "c"].splitlines()[-1].startswith("*/5 * * * * root ")


def test_every_must_fit_an_hour(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem):
        plan_timer("x", 90, tmp_path, tmp_path / "c", use_systemd=False)
