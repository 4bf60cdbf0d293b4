"""The health report as data (#11): Nagios verdict and summary, Prometheus textfile."""

from __future__ import annotations

from pathlib import Path

from pseamigrate.deploy.health import HealthReport, Metric, prometheus_text, write_prometheus
from pseamigrate.encryption.base import Check, Outcome


def _report(*outcomes: Outcome) -> HealthReport:
    checks = [Check(f"check {n}", outcome, "detail") for n, outcome in enumerate(outcomes)]
    return HealthReport("127.0.0.1:3306/psea", checks)


def test_the_worst_outcome_decides_the_exit_code_and_leads_the_summary() -> None:
    assert _report(Outcome.PASS, Outcome.PASS).exit_code == 0
    assert _report(Outcome.PASS, Outcome.WARN).exit_code == 1
    report = _report(Outcome.WARN, Outcome.FAIL, Outcome.PASS)
    assert report.exit_code == 2
    assert report.summary() == (
        "PSEAMIGRATE CRITICAL - 2 of 3 checks not OK: check 1, check 0 | critical=1 warning=1"
    )


def test_prometheus_textfile_escapes_labels_and_is_written_whole(tmp_path: Path) -> None:
    report = HealthReport("t", [Check('table "x"\\y', Outcome.WARN, "d")])
    report.metrics += [
        Metric("pseamigrate_last_run_age_seconds", 60, (("tenant", "iq"),)),
        Metric("pseamigrate_last_run_age_seconds", 7200, (("tenant", "cd"),)),
    ]
    text = prometheus_text(report)
    assert 'pseamigrate_check_status{check="table \\"x\\"\\\\y"} 1\n' in text
    assert text.count("# TYPE pseamigrate_last_run_age_seconds gauge") == 1
    assert 'pseamigrate_last_run_age_seconds{tenant="cd"} 7200\n' in text
    path = tmp_path / "psea.prom"
    write_prometheus(report, path)
    assert path.read_text() == text and list(tmp_path.iterdir()) == [path]
