"""The health report as data (#11): Nagios verdict and summary, Prometheus textfile."""

from __future__ import annotations

from pathlib import Path

from pseamigrate.deploy.health import (
    HealthReport,
    Metric,
    Perf,
    prometheus_text,
    write_prometheus,
)
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
        "PSEAMIGRATE CRITICAL - 2 of 3 checks not OK: check 1, check 0 "
        "| critical=1;;;0 warning=1;;;0"
    )


def test_prometheus_textfile_escapes_labels_and_is_written_whole(tmp_path: Path) -> None:
    report = HealthReport("t", [Check('table "x"\\y', Outcome.WARN, "d")])
    report.metrics += [
        Metric("pseamigrate_last_run_timestamp_seconds", 1765000000.25, (("tenant", "iq"),)),
        Metric("pseamigrate_last_run_timestamp_seconds", 1765007200, (("tenant", "cd"),)),
    ]
    text = prometheus_text(report)
    assert 'pseamigrate_check_status{check="table \\"x\\"\\\\y"} 1\n' in text
    assert text.count("# TYPE pseamigrate_last_run_timestamp_seconds gauge") == 1
    assert text.count("# HELP pseamigrate_last_run_timestamp_seconds ") == 1
    # exact values: no 6-significant-digit rounding of a Unix time
    assert 'pseamigrate_last_run_timestamp_seconds{tenant="iq"} 1765000000.25\n' in text
    assert 'pseamigrate_last_run_timestamp_seconds{tenant="cd"} 1765007200\n' in text
    path = tmp_path / "psea.prom"
    write_prometheus(report, path)
    assert path.read_text() == text and list(tmp_path.iterdir()) == [path]


def test_perfdata_is_nagios_shaped() -> None:
    assert str(Perf("backup_age", 3600, "s", "93600", "259200", "0")) == (
        "backup_age=3600s;93600;259200;0"
    )
    assert str(Perf("datadir_free", 45.25, "%", "15:", "5:", "0", "100")) == (
        "datadir_free=45.25%;15:;5:;0;100"
    )
    assert str(Perf("critical", 0, low="0")) == "critical=0;;;0"
