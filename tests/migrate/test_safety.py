"""Bad input and crash safety of the migrate run, on real MariaDB servers (#9)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.drupal import open_site
from pseamigrate.errors import TargetLost
from pseamigrate.servers import running_server
from tests.migrate.helpers import Project, canonical_dump, hold_lock, reset_target

runner = CliRunner()


def _cli(project: Project, *args: str) -> object:
    return runner.invoke(app, ["--config", str(project.path), *args])


def _utc_in(minutes: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=minutes)


def test_a_plaintext_target_is_refused_and_nothing_is_written(one_project: Project) -> None:
    result = _cli(one_project, "migrate", "demo")
    assert result.exit_code == 4, result.stderr
    assert "not encrypted" in result.stderr or "no keyring" in result.stderr
    assert one_project.count("pm_runs") == 0 and one_project.count("complaints") == 0


def test_a_second_run_is_refused_while_a_live_process_holds_the_lock(one_project: Project) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        hold_lock(one_project, socket.gethostname(), holder.pid, _utc_in(5))
        result = _cli(
            one_project, "migrate", "demo", "--allow-plaintext-target", "--allow-plaintext-files"
        )
        assert result.exit_code == 4
        assert f"pid {holder.pid}" in result.stderr and "holds the lock" in result.stderr
        assert one_project.count("complaints") == 0
    finally:
        holder.kill()
        holder.wait()
    result = _cli(
        one_project, "migrate", "demo", "--allow-plaintext-target", "--allow-plaintext-files"
    )
    assert result.exit_code == 0, result.stderr  # its holder is gone: taken over at once
    assert one_project.count("pm_locks") == 0


def test_a_lock_from_another_host_waits_for_its_expiry(one_project: Project) -> None:
    hold_lock(one_project, "elsewhere.example", 4242, _utc_in(5))
    assert (
        _cli(
            one_project, "migrate", "demo", "--allow-plaintext-target", "--allow-plaintext-files"
        ).exit_code
        == 4
    )
    hold_lock(one_project, "elsewhere.example", 4242, _utc_in(-1))
    assert (
        _cli(
            one_project, "migrate", "demo", "--allow-plaintext-target", "--allow-plaintext-files"
        ).exit_code
        == 0
    )


def test_a_files_dir_that_does_not_exist_stops_before_writing(one_project: Project) -> None:
    text_ = one_project.path.read_text(encoding="utf-8")
    broken = one_project.path.with_name("broken.yaml")
    broken.write_text(
        text_.replace(str(one_project.files["demo"]), "/nonexistent/psea-files"), "utf-8"
    )
    result = runner.invoke(
        app,
        ["--config", str(broken), "migrate", "--allow-plaintext-target", "--allow-plaintext-files"],
    )
    assert result.exit_code == 1
    assert "files_dir /nonexistent/psea-files does not exist" in result.stderr
    assert one_project.count("pm_runs") == 0


def test_a_reference_to_a_missing_row_keeps_the_row_and_says_so(one_project: Project) -> None:
    source = create_engine(one_project.sources["demo"])
    with open_site(source) as site:
        storage = next(s for (e, n), s in site.model.fields.items() if n == "field_complaint_ref")
        table = storage.data_table
        column = f"field_complaint_ref_{storage.columns[0]}"
    with source.begin() as conn:
        nid, old = conn.execute(text(f"SELECT entity_id, `{column}` FROM `{table}` LIMIT 1")).one()
        conn.execute(text(f"UPDATE `{table}` SET `{column}` = 999999 WHERE entity_id = {nid}"))
    try:
        report = one_project.migrate(["demo"])
    finally:
        with source.begin() as conn:
            conn.execute(text(f"UPDATE `{table}` SET `{column}` = {old} WHERE entity_id = {nid}"))
        source.dispose()
    assert report.failed_rows() == 0
    row = one_project.scalar(
        f"SELECT CONCAT(IFNULL(complaint_id, 'NULL'), ' ', JSON_EXTRACT(extra, "
        f"'$.complaint_id_source_id')) FROM referrals WHERE source_id = {nid}"
    )
    assert row == 'NULL "999999"'
    said = one_project.count(
        "pm_messages",
        f"WHERE source_entity = 'node:referral' AND source_id = '{nid}' "
        "AND message LIKE 'complaint_id: complaint 999999 not in the target%'",
    )
    assert said == 1


def test_editing_a_mapping_updates_exactly_the_affected_rows(one_project: Project) -> None:
    one_project.migrate(["demo"])
    affected = one_project.count("complaints", "WHERE survivor_sex = 'female'")
    assert affected > 0
    mapping = Path(str(one_project.settings().site("demo").mapping))
    template = mapping.parent.parent / "shared" / "crp-template.yaml"
    original = template.read_text(encoding="utf-8")
    template.write_text(
        original.replace("map: {female: female, male: male", "map: {female: other, male: male"),
        encoding="utf-8",
    )
    try:
        report = one_project.migrate(["demo"])
    finally:
        template.write_text(original, encoding="utf-8")
    steps = {step.label: step.counts for step in report.sites[0].steps}
    assert steps["complaint"].updated == affected
    assert steps["complaint"].inserted == 0
    for label in ("accounts", "files", "referral", "awareness_session", "terms location"):
        assert steps[label].updated == 0, label
    assert one_project.count("complaints", "WHERE survivor_sex = 'female'") == 0


def test_kill_9_at_three_moments_then_a_run_equals_a_clean_run(one_project: Project) -> None:
    one_project.migrate()
    clean = canonical_dump(one_project.target)
    total = one_project.count("pm_id_map")
    reset_target(one_project)
    for share in (0.1, 0.45, 0.8):
        _kill_when(one_project, int(total * share))
    assert one_project.count("pm_id_map") < total
    stale = one_project.count("pm_runs", "WHERE status = 'running'")
    assert stale >= 1  # the killed runs left their rows…
    report = one_project.migrate()
    assert report.failed_rows() == 0
    assert one_project.count("pm_runs", "WHERE status = 'running'") == 0  # …closed on takeover
    assert canonical_dump(one_project.target) == clean


def _kill_when(project: Project, rows: int) -> None:
    """Start `pseamigrate migrate` in a process and SIGKILL it once the ledger holds `rows`."""
    command = [sys.executable, "-m", "pseamigrate", "--config", str(project.path), "migrate"]
    process = subprocess.Popen(
        [*command, "--allow-plaintext-target", "--allow-plaintext-files", "--batch-size", "10"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if project.count("pm_id_map") >= rows:
                break
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def test_a_target_lost_mid_run_stops_cleanly_and_the_next_run_completes(
    one_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_project.migrate(["demo"])
    clean = canonical_dump(one_project.target)
    with running_server("mariadb", tmp_path / "target") as server:
        _admin_on(server, "CREATE DATABASE lost CHARACTER SET utf8mb4")
        url = server.url("lost")
        variable = f"PM_{one_project.name.upper()}_TARGET"  # as make_project named it
        monkeypatch.setenv(variable, url.render_as_string(hide_password=False))
        from pseamigrate.db import make_engine
        from pseamigrate.migrate.run import migrate
        from pseamigrate.migrate.steps import Options
        from pseamigrate.target.commands import create_schema

        engine = make_engine(url)
        with engine.connect() as schema_conn:
            create_schema(schema_conn)
        engine.dispose()
        settings = one_project.settings()
        stopped = []

        def stop_mid_run(site: str, step: str, done: int, total: int | None) -> None:
            if step == "complaint" and not stopped:
                stopped.append(step)
                server.stop()

        with pytest.raises(TargetLost) as lost:
            migrate(
                settings,
                ["demo"],
                Options(allow_plaintext=True, batch_size=5, allow_plaintext_files=True),
                on_progress=stop_mid_run,
            )
        assert "run again to resume" in str(lost.value)
        server.start()
        report = migrate(
            settings, ["demo"], Options(allow_plaintext=True, allow_plaintext_files=True)
        )
        assert report.failed_rows() == 0
        assert canonical_dump(url) == clean


def _admin_on(server: object, sql: str) -> None:
    engine = create_engine(server.url())  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text(sql))
    engine.dispose()


def test_a_batch_written_again_after_a_lost_answer_is_unchanged_not_doubled(
    one_project: Project,
) -> None:
    """A first run skips the id map query while the id map holds nothing of a step's entity;
    a batch retried after its connection was lost (it may have committed) asks again."""
    from pseamigrate.db import make_engine
    from pseamigrate.migrate.items import Item
    from pseamigrate.migrate.lookups import IdMaps
    from pseamigrate.migrate.write import BatchWriter, Target
    from pseamigrate.target import model as cm
    from pseamigrate.target.ledger import Ledger
    from pseamigrate.target.schema import build_metadata

    one_project.migrate(["demo"])
    metadata = build_metadata(cm.load_model())
    ledger = Ledger(metadata)
    engine = make_engine(one_project.target)
    try:
        with engine.connect() as conn:
            tenant = int(conn.execute(text("SELECT id FROM tenants WHERE code = 'demo'")).scalar())
            run = int(conn.execute(text("SELECT MAX(id) FROM pm_runs")).scalar())
            conn.rollback()  # end the reads' transaction; each batch has its own
            target = Target(metadata, ledger, tenant, run, IdMaps({}, lambda _: {}), False)
            writer = BatchWriter(target, "role")

            def batch() -> list[Item]:
                return [
                    Item(
                        "role:test",
                        f"t{i}",
                        "roles",
                        values={
                            "tenant_id": tenant,
                            "source_id": f"t{i}",
                            "name": f"test role {i}",
                        },
                    )
                    for i in range(3)
                ]

            with conn.begin():
                first = writer.write(conn, batch())
            assert (first.read, first.inserted) == (3, 3)
            writer.recheck_ledger()  # as StepRunner._commit does after a lost connection
            with conn.begin():
                again = writer.write(conn, batch())
            assert (again.inserted, again.unchanged) == (0, 3)
            count = "SELECT COUNT(*) FROM roles WHERE source_id LIKE 't%'"
            assert conn.execute(text(count)).scalar() == 3
    finally:
        engine.dispose()
