"""Attachments encrypted at rest (issue #30 S4), on real MariaDB servers: with a `files_key` the
migration seals every copy, a canary file is absent from every byte of the store, a re-run
rewrites nothing, verify and `files cat` catch a tampered copy, `files export` gives back the
plaintext byte for byte, and `encryption status` FAILs on one plaintext file in the target's
or the test target's store."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import Settings, load_settings
from pseamigrate.demo import TARGET_DATABASE, prepare_target
from pseamigrate.encryption.base import Outcome
from pseamigrate.encryption.filestore import FILES_KEY, StoreSpec, create_files_key, store_checks
from pseamigrate.encryption.sealed import is_sealed
from pseamigrate.encryption.setup import key_dir
from pseamigrate.errors import RefusedForSafety
from pseamigrate.migrate.run import MigrationReport, migrate
from pseamigrate.migrate.steps import Options
from pseamigrate.servers import LocalServer, running_server
from pseamigrate.target.model import load_model
from pseamigrate.verify.reconcile import VerifyOptions, verify
from tests.migrate.helpers import Project

CANARY = b"PSEA-CANARY-7f3a91-statement-of-the-survivor "
runner = CliRunner()


def _sealed_project(project: Project, test_store: Path | None = None) -> Path:
    """Write a copy of the project file whose target (and test target) seal their files."""
    key = project.path.parent / "keys" / "files.key"
    if not key.exists():
        create_files_key(key)
    path = project.path.with_name("sealed.yaml")
    text_ = project.path.read_text(encoding="utf-8") + f"  files_key: {key}\n"
    if test_store is not None:
        variable = f"PM_{project.name.upper()}_TARGET"  # a test target only for its store
        text_ += (
            f"test_target:\n  connection: {{url_env: {variable}}}\n"
            f"  files_dir: {test_store}\n  files_key: {key}\n"
        )
    path.write_text(text_, encoding="utf-8")
    return path


def _migrate(settings: Settings) -> MigrationReport:
    report = migrate(settings, ["iraq"], Options(allow_plaintext=True))
    assert report.failed_rows() == 0
    return report


def _plant_canary(project: Project) -> tuple[str, bytes]:
    """Overwrite the iraq site's largest file with canary bytes of the same size; return its
    Drupal URI and the new body."""
    files = [p for p in project.files["iraq"].rglob("*") if p.is_file()]
    largest = max(files, key=lambda p: p.stat().st_size)
    size = largest.stat().st_size
    assert size >= len(CANARY)
    body = (CANARY * (size // len(CANARY) + 1))[:size]
    largest.write_bytes(body)
    folder, *rest = largest.relative_to(project.files["iraq"]).parts
    scheme = "private" if folder == "private" else "public"
    return f"{scheme}://{'/'.join(rest)}", body


def _file_id(project: Project, uri: str) -> int:
    engine = create_engine(project.target)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM files WHERE uri = :u"), {"u": uri}).scalar()
    engine.dispose()
    assert found is not None
    return int(found)


def _snapshot(store: Path) -> dict[Path, tuple[int, int, int]]:
    return {
        p: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
        for p in store.rglob("*")
        if p.is_file()
    }


def test_a_canary_file_is_absent_from_every_byte_of_the_store_and_a_rerun_rewrites_nothing(
    one_project: Project,
) -> None:
    uri, body = _plant_canary(one_project)
    settings = load_settings(_sealed_project(one_project))
    _migrate(settings)
    stored = [p for p in one_project.store.rglob("*") if p.is_file()]
    assert len(stored) > 1 and all(is_sealed(p) for p in stored)
    assert not any(CANARY in p.read_bytes() for p in stored)
    spec = StoreSpec("target", one_project.store, settings.target_files_key)
    assert [c.outcome for c in store_checks(spec)] == [Outcome.PASS, Outcome.PASS]
    before = _snapshot(one_project.store)
    again = _migrate(settings)
    assert _snapshot(one_project.store) == before  # no file rewritten (same inode and mtime)
    files_step = next(s for s in again.sites[0].steps if s.kind == "files")
    assert files_step.counts.inserted == files_step.counts.updated == 0
    result = runner.invoke(
        app, ["--config", str(settings.path), "files", "cat", str(_file_id(one_project, uri))]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == body
    by_uri = ["files", "cat", "--site", "iraq", "--uri", uri]
    result = runner.invoke(app, ["--config", str(settings.path), *by_uri])
    assert result.exit_code == 0 and result.stdout_bytes == body


def test_verify_and_cat_catch_a_tampered_copy(one_project: Project) -> None:
    uri, _ = _plant_canary(one_project)
    settings = load_settings(_sealed_project(one_project))
    _migrate(settings)
    clean = verify(settings, ["iraq"], VerifyOptions(allow_plaintext=True))
    assert clean.mismatched() == 0
    scheme, _, rest = uri.partition("://")
    copy = one_project.store / "iraq" / {"public": "files", "private": "private"}[scheme] / rest
    damaged = bytearray(copy.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01  # one bit in the ciphertext
    copy.write_bytes(bytes(damaged))
    found = verify(settings, ["iraq"], VerifyOptions(allow_plaintext=True))
    problems = [m.problem for e in found.sites[0].entities for m in e.mismatches]
    assert problems == ["store copy fails authentication"]
    result = runner.invoke(
        app, ["--config", str(settings.path), "files", "cat", str(_file_id(one_project, uri))]
    )
    assert result.exit_code == 3 and "fails authentication" in result.stderr
    assert len(result.stdout_bytes) < len(damaged)  # nothing past the damaged chunk comes out


def test_export_gives_back_every_file_byte_for_byte_and_never_into_a_store(
    one_project: Project, tmp_path: Path
) -> None:
    settings = load_settings(_sealed_project(one_project))
    _migrate(settings)
    config = ["--config", str(settings.path), "files", "export"]
    into_store = runner.invoke(app, [*config, "--all", str(one_project.store / "out")])
    assert into_store.exit_code == 4 and "plaintext never goes there" in into_store.stderr
    dest = tmp_path / "out" / "export"  # neither exists: every folder made 0700 (#30 lows)
    result = runner.invoke(app, [*config, "iraq", str(dest), "--json"])
    assert result.exit_code == 0, result.stderr
    folders = [dest.parent, *(p for p in dest.rglob("*") if p.is_dir())]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    exported = json.loads(result.stdout)
    engine = create_engine(one_project.target)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT uri, sha256 FROM files WHERE sha256 IS NOT NULL AND tenant_id = ("
                "SELECT id FROM tenants WHERE code = 'iraq')"
            )
        ).all()
    engine.dispose()
    assert exported["files"] == len(rows) > 0 and exported["tampered"] == 0
    for uri, digest in rows:
        scheme, _, rest = str(uri).partition("://")
        out = dest / "iraq" / {"public": "files", "private": "private"}[scheme] / rest
        assert hashlib.sha256(out.read_bytes()).hexdigest() == digest


def test_encryption_status_fails_on_a_plaintext_file_in_the_target_or_test_target_store(
    one_project: Project, tmp_path: Path
) -> None:
    test_store = tmp_path / "test-store"
    settings = load_settings(_sealed_project(one_project, test_store))
    _migrate(settings)

    def store_outcomes() -> dict[str, str]:
        result = runner.invoke(
            app, ["--config", str(settings.path), "encryption", "status", "--json"]
        )
        checks = json.loads(result.stdout)["checks"]
        return {c["name"]: c["outcome"] for c in checks if c["name"].startswith("file store")}

    assert store_outcomes() == {
        "file store (target) master key": "PASS",
        "file store (target)": "PASS",
        "file store (test target) master key": "PASS",
        "file store (test target)": "PASS",
    }
    (one_project.store / "iraq" / "files" / "dropped.pdf").write_bytes(CANARY)
    (test_store / "iraq" / "files").mkdir(parents=True)
    (test_store / "iraq" / "files" / "placeholder.pdf").write_bytes(b"%PDF plain")
    outcomes = store_outcomes()
    assert outcomes["file store (target)"] == outcomes["file store (test target)"] == "FAIL"
    encrypted = runner.invoke(app, ["--config", str(settings.path), "files", "encrypt-store"])
    assert encrypted.exit_code == 0 and "sealed 1 files" in encrypted.stdout
    assert store_outcomes()["file store (target)"] == "PASS"


def test_without_a_files_key_attachments_need_their_own_recorded_opt_in(
    one_project: Project,
) -> None:
    """No `files_key`: the store's gate FAILs; `--allow-plaintext-target` alone no longer copies
    attachments unencrypted (#30 lows): the run is refused before it writes anything, naming
    `--allow-plaintext-files`; with it they are copied as they are, said and recorded."""
    spec = StoreSpec("target", one_project.store, None)
    assert store_checks(spec)[0].outcome is Outcome.FAIL
    with pytest.raises(RefusedForSafety, match="--allow-plaintext-files"):
        one_project.migrate(["iraq"], allow_plaintext_files=False)
    config = ["--config", str(one_project.path), "migrate", "iraq", "--allow-plaintext-target"]
    refused = runner.invoke(app, config)
    assert refused.exit_code == 4 and "--allow-plaintext-files" in refused.stderr
    assert one_project.count("pm_runs") == one_project.count("files") == 0
    assert not any(p.is_file() for p in one_project.store.rglob("*"))
    copied = runner.invoke(app, [*config, "--allow-plaintext-files"])
    assert copied.exit_code == 0, copied.stderr
    assert "attachments copied unencrypted (--allow-plaintext-files" in copied.stderr
    stored = [p for p in one_project.store.rglob("*") if p.is_file()]
    assert stored and not any(is_sealed(p) for p in stored)
    said = "WHERE source_entity = 'run' AND message LIKE '%--allow-plaintext-files%'"
    assert one_project.count("pm_messages", said) == 1


@pytest.fixture(scope="module")
def encrypted_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A MariaDB server set up by `encryption setup` (files.key included) and enabled, whose
    target database has the schema: the migration's database gate passes there."""
    with running_server("mariadb", tmp_path_factory.mktemp("sealedtarget")) as server:
        prepare_target(server, load_model(), lambda _message: None)
        yield server


def test_the_migration_gate_refuses_a_plaintext_store_until_encrypt_store_seals_it(
    one_project: Project,
    encrypted_target: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = encrypted_target.url(TARGET_DATABASE)
    monkeypatch.setenv("PM_SEALED_TARGET", url.render_as_string(hide_password=False))
    store = tmp_path / "store"
    (store / "iraq" / "files").mkdir(parents=True)
    (store / "iraq" / "files" / "copied-by-an-old-version.pdf").write_bytes(CANARY * 10)
    key = key_dir(encrypted_target) / FILES_KEY  # written by `encryption setup`
    sites = one_project.path.read_text(encoding="utf-8").split("\ntarget:")[0]
    path = tmp_path / "encrypted.yaml"
    path.write_text(
        f"{sites}\ntarget:\n  connection: {{url_env: PM_SEALED_TARGET}}\n"
        f"  files_dir: {store}\n  files_key: {key}\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    with pytest.raises(RefusedForSafety, match=r"file store .*1 of 1 files are not sealed"):
        migrate(settings, ["iraq"], Options())
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM files")).scalar() == 0  # nothing written
    engine.dispose()
    sealed = runner.invoke(app, ["--config", str(path), "files", "encrypt-store"])
    assert sealed.exit_code == 0, sealed.stderr
    report = migrate(settings, ["iraq"], Options())
    assert report.failed_rows() == 0 and not report.sites[0].allowed_plaintext
    stored = [p for p in store.rglob("*") if p.is_file()]
    assert len(stored) > 1 and all(is_sealed(p) for p in stored)
    assert not any(CANARY in p.read_bytes() for p in stored)


def test_a_parallel_run_seals_the_files_of_every_site(one_project: Project) -> None:
    """The worker processes get the store's key file too (migrate/parallel.py)."""
    settings = load_settings(_sealed_project(one_project))
    report = migrate(settings, [], Options(allow_plaintext=True, jobs=2))
    assert report.failed_rows() == 0 and len(report.sites) == 4
    stored = [p for p in one_project.store.rglob("*") if p.is_file()]
    assert {p.relative_to(one_project.store).parts[0] for p in stored} == set(settings.sites)
    assert all(is_sealed(p) for p in stored)
