"""The recipe runner on this machine (`--host local`, invoke): order, stop at the first failure,
environment and secrets, timeouts, and the minimal environment steps get (#11)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pseamigrate.deploy.recipes import PlannedStep, RecipePlan
from pseamigrate.deploy.run import LocalRunner, StepFailed, run_recipe


def _plan(*commands: str, timeout: int = 30, env: dict[str, str] | None = None) -> RecipePlan:
    steps = tuple(
        PlannedStep(n, f"step {n}", command, timeout=timeout)
        for n, command in enumerate(commands, 1)
    )
    return RecipePlan("test", "1", steps, env or {}, ("PSEA_TEST_SECRET",))


def _run(plan: RecipePlan, secret: str = "s3cret value") -> list[str]:
    said: list[str] = []
    runner = LocalRunner()
    try:
        run_recipe(plan, runner, {"PSEA_TEST_SECRET": secret}, said.append)
    finally:
        runner.close()
    assert not runner.private.exists()  # the secrets file goes with the private folder
    return said


def test_steps_run_in_order_and_the_first_failure_stops_the_recipe(tmp_path: Path) -> None:
    log, after = tmp_path / "log", tmp_path / "after"
    plan = _plan(f"echo one >> {log}", "echo oops >&2; exit 7", f"touch {after}")
    with pytest.raises(StepFailed) as caught:
        _run(plan)
    assert str(caught.value) == "recipe test stopped at step 2/3 'step 2': exit 7:\noops"
    assert log.read_text() == "one\n" and not after.exists()


def test_env_and_secrets_reach_the_step_and_nothing_else_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSEA_LEAK", "from the operator's shell")
    out = tmp_path / "env"
    plan = _plan(f"env > {shlex.quote(str(out))}", env={"PSEA_TARGET_URL": "mysql://x@h/d"})
    said = _run(plan)
    seen = out.read_text()
    assert "PSEA_TEST_SECRET=s3cret value" in seen and "PSEA_TARGET_URL=mysql://x@h/d" in seen
    assert "PSEA_LEAK" not in seen
    assert not any("s3cret" in line for line in said)


def test_a_step_that_hangs_is_stopped_at_its_timeout() -> None:
    with pytest.raises(StepFailed, match="step 1/1 'step 1': exit 124:\nno result within 1 s"):
        _run(_plan("sleep 20", timeout=1))


def test_unless_skips_a_step_already_done(tmp_path: Path) -> None:
    marker = tmp_path / "done"
    marker.touch()
    step = PlannedStep(1, "make", f"rm {marker}", unless=f"test -e {marker}")
    said = _run(RecipePlan("test", "1", (step,)))
    assert "  skipped (already done)" in said and marker.exists()
