"""The sanitized test instance on real MariaDB servers (#12): nothing of production survives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.config import load_settings
from pseamigrate.demo import TARGET_DATABASE, prepare_target
from pseamigrate.encryption.filestore import FILES_KEY, create_files_key
from pseamigrate.encryption.sealed import is_sealed
from pseamigrate.sanitize.check import check_sanitized
from pseamigrate.sanitize.rules import Rules
from pseamigrate.sanitize.run import KEY_ENV, sanitize
from pseamigrate.servers import LocalServer, running_server
from pseamigrate.target.model import load_model
from pseamigrate.target.schema import build_metadata
from pseamigrate.target.sensitivity import classify
from tests.migrate.helpers import Project, make_project
from tests.sites import SiteCache

runner = CliRunner()
KEY = "a test pseudonym key, long enough"
HIDDEN = {"personal", "email", "sensitive", "password", "filename", "uri"}


@pytest.fixture(scope="module")
def encrypted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A MariaDB server whose `pseamigrate_target` is encrypted with the schema: the test target."""
    with running_server("mariadb", tmp_path_factory.mktemp("testtarget")) as server:
        prepare_target(server, load_model(), lambda _message: None)
        yield server


@pytest.fixture(scope="module")
def migrated(
    mariadb_server: LocalServer, tmp_path_factory: pytest.TempPathFactory, sample_sites: SiteCache
) -> Project:
    """The four sample sites migrated into a (plaintext) target on the session server."""
    workdir = tmp_path_factory.mktemp("sanitize")
    project = make_project(mariadb_server, workdir, "sanitize", "d7", sites=sample_sites)
    assert project.migrate().failed_rows() == 0
    return project


def _with_test_target(
    project: Project, url: URL, name: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    variable = f"PM_TEST_TARGET_{name.upper()}"
    monkeypatch.setenv(variable, url.render_as_string(hide_password=False))
    path = project.path.with_name(f"{name}.yaml")
    store = project.path.parent / f"test-store-{name}"
    key = project.path.parent / "test-keys" / FILES_KEY  # seals the test store (issue #30 S4)
    if not key.exists():
        create_files_key(key)
    path.write_text(
        project.path.read_text(encoding="utf-8")
        + f"test_target:\n  connection: {{url_env: {variable}}}\n  files_dir: {store}\n"
        + f"  files_key: {key}\n",
        encoding="utf-8",
    )
    return path


def test_sanitize_refuses_without_a_key_or_into_the_target_or_a_plaintext_copy(
    migrated: Project, encrypted_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _with_test_target(migrated, encrypted_server.url(TARGET_DATABASE), "good", monkeypatch)
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = runner.invoke(app, ["--config", str(good), "sanitize"])
    assert result.exit_code == 4 and "no pseudonym key" in result.stderr
    monkeypatch.setenv(KEY_ENV, KEY)
    same = _with_test_target(migrated, migrated.target, "same", monkeypatch)
    result = runner.invoke(app, ["--config", str(same), "sanitize"])
    assert result.exit_code == 4 and "is the target itself" in result.stderr
    plain_db = "sanitize_plain"
    engine = create_engine(migrated.server.url())
    with engine.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {plain_db}"))
        conn.execute(text(f"CREATE DATABASE {plain_db}"))
    engine.dispose()
    plain = _with_test_target(migrated, migrated.server.url(plain_db), "plain", monkeypatch)
    result = runner.invoke(app, ["--config", str(plain), "sanitize"])
    assert result.exit_code == 4, result.stderr
    assert KEY not in result.stdout + result.stderr


def _values(url: URL, hidden_only: bool, ledger: bool = True) -> list[str]:
    """Every text value of the target's hidden columns (or of every column)."""
    model = load_model()
    metadata = build_metadata(model)
    kinds = classify(metadata, model)
    engine = create_engine(url)
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if not ledger and table.name.startswith("pm_"):
                continue
            for column, kind in kinds[table.name].items():
                if hidden_only and kind not in HIDDEN:
                    continue
                query = text(f"SELECT `{column}` FROM `{table.name}` WHERE `{column}` IS NOT NULL")
                found += [str(v) for v in conn.execute(query).scalars()]
    engine.dispose()
    return found


def test_nothing_personal_or_sensitive_reaches_the_test_target(
    migrated: Project, encrypted_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    path = _with_test_target(migrated, encrypted_server.url(TARGET_DATABASE), "full", monkeypatch)
    result = runner.invoke(app, ["--config", str(path), "sanitize"])
    assert result.exit_code == 0, result.stderr
    placeholders = [p for p in (path.parent / "test-store-full").rglob("*") if p.is_file()]
    assert placeholders and all(is_sealed(p) for p in placeholders)  # issue #30 S4
    settings = load_settings(path)
    check = check_sanitized(settings)
    assert check.ok, check.problems
    assert check.rows["complaints"][0] == check.rows["complaints"][1] > 0
    secrets = {v for v in _values(migrated.target, hidden_only=True) if len(v) >= 6}
    assert secrets
    copied = _values(encrypted_server.url(TARGET_DATABASE), hidden_only=False)
    leaked = {s for s in secrets for c in copied if s in c}
    assert leaked == set()
    emails = _values(encrypted_server.url(TARGET_DATABASE), hidden_only=False)
    assert any(v.endswith("@example.invalid") for v in emails)
    result = runner.invoke(app, ["--config", str(path), "sanitize", "--check"])
    assert result.exit_code == 0 and "the test target is sanitized" in result.stdout
    result = runner.invoke(app, ["--config", str(path), "verify", "--sanitized", "--json"])
    assert result.exit_code == 0 and '"ok": true' in result.stdout
    first = migrated.scalar("SELECT MIN(id) FROM accounts")
    email = migrated.scalar(f"SELECT email FROM accounts WHERE id = {first}")
    engine = create_engine(encrypted_server.url(TARGET_DATABASE))  # a leak planted on purpose
    with engine.begin() as conn:
        conn.execute(text("UPDATE accounts SET email = :e WHERE id = :i"), {"e": email, "i": first})
    engine.dispose()
    result = runner.invoke(app, ["--config", str(path), "verify", "--sanitized"])
    assert result.exit_code == 3 and "accounts.email: 1 values equal production's" in result.stdout


def test_arabic_stays_arabic_and_the_same_key_gives_the_same_tables(
    migrated: Project, encrypted_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _with_test_target(migrated, encrypted_server.url(TARGET_DATABASE), "det", monkeypatch)
    settings = load_settings(path)
    sanitize(settings, KEY.encode())
    first = _checksums(encrypted_server.url(TARGET_DATABASE))
    arabic = re.compile("[\u0600-\u06ff]")
    source = _narratives(migrated.target)
    copy = _narratives(encrypted_server.url(TARGET_DATABASE))
    written_in_arabic = [k for k, v in source.items() if v and arabic.search(v)]
    assert written_in_arabic
    for key in written_in_arabic:
        assert copy[key] != source[key] and len(copy[key]) == len(source[key])
        assert [bool(arabic.match(c)) for c in copy[key]] == [
            bool(arabic.match(c)) for c in source[key]
        ]
    sanitize(settings, KEY.encode())
    assert _checksums(encrypted_server.url(TARGET_DATABASE)) == first
    sanitize(settings, b"another key, also long enough")
    assert _checksums(encrypted_server.url(TARGET_DATABASE)) != first


def _narratives(url: URL) -> dict[int, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, narrative FROM complaints")).all())
    engine.dispose()
    return rows


def _checksums(url: URL) -> dict[str, int]:
    engine = create_engine(url)
    names = [t.name for t in build_metadata(load_model()).sorted_tables if t.name != "pm_locks"]
    with engine.connect() as conn:
        rows = conn.execute(text(f"CHECKSUM TABLE {', '.join(names)}")).all()
    engine.dispose()
    return {str(name): int(value or 0) for name, value in rows}


def test_the_rules_keep_merges_lined_up_and_never_return_the_input() -> None:
    rules = Rules(KEY.encode())
    assert rules.apply("email", " Amina@Example.ORG ", 1) == rules.apply(
        "email", "amina@example.org", 2
    )
    assert rules.apply("personal", "amina", 1) == rules.apply("personal", "amina", 2)
    assert rules.placeholder("a") != "a" and len(rules.placeholder("سلام")) == 4
    assert rules.apply("password", "$S$Dxyz", 1).startswith("!sanitized!")
    assert rules.days("iraq") != 0 and rules.days("iraq") == Rules(KEY.encode()).days("iraq")
    assert Rules(b"another key, also long enough").apply("personal", "amina", 1) != rules.apply(
        "personal", "amina", 1
    )


def test_every_column_of_the_schema_is_classified_and_a_new_one_must_be(tmp_path: Path) -> None:
    from pseamigrate.errors import ModelError
    from pseamigrate.resources import DEFAULT_MODEL

    model = load_model()
    kinds = classify(build_metadata(model), model)
    for table in build_metadata(model).sorted_tables:
        assert set(kinds[table.name]) == {c.name for c in table.columns}, table.name
    bare = DEFAULT_MODEL.read_text(encoding="utf-8").replace(
        "      narrative:\n        type: text\n        sensitivity: sensitive\n",
        "      narrative:\n        type: text\n",
    )
    path = tmp_path / "model.yaml"
    path.write_text(bare, encoding="utf-8")
    with pytest.raises(ModelError, match="entities.complaint.columns.narrative: no sensitivity"):
        load_model(path)


def test_migrate_sanitize_goes_straight_from_the_sites_into_the_test_target(
    migrated: Project, encrypted_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pseamigrate.db import make_engine
    from pseamigrate.target.commands import create_schema

    engine = create_engine(encrypted_server.url())
    with engine.begin() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS straight"))
        conn.execute(text("CREATE DATABASE straight CHARACTER SET utf8mb4"))
    engine.dispose()
    target = make_engine(encrypted_server.url("straight"))
    with target.connect() as schema_conn:
        create_schema(schema_conn)
    target.dispose()
    path = _with_test_target(migrated, encrypted_server.url("straight"), "straight", monkeypatch)
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = runner.invoke(app, ["--config", str(path), "migrate", "--sanitize"])
    assert result.exit_code == 4 and "no pseudonym key" in result.stderr
    monkeypatch.setenv(KEY_ENV, KEY)
    result = runner.invoke(app, ["--config", str(path), "migrate", "--sanitize"])
    assert result.exit_code == 0, result.stderr
    for table in ("complaints", "memberships", "accounts", "files", "complaint_revisions"):
        assert _count(encrypted_server.url("straight"), table) == migrated.count(table), table
    # The test target's ledger describes its own run (who ran it): only data rows are compared.
    secrets = {v for v in _values(migrated.target, True, ledger=False) if len(v) >= 6}
    copied = _values(encrypted_server.url("straight"), hidden_only=False)
    assert {s for s in secrets for c in copied if s in c} == set()
    store = path.parent / "test-store-straight"
    stored = [p for p in store.rglob("*") if p.is_file()]
    assert stored and all(p.stat().st_size < 1024 for p in stored)  # placeholders only
    assert all(is_sealed(p) for p in stored)  # and sealed like the target's (issue #30 S4)


def _count(url: URL, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = int(conn.execute(text(f"SELECT COUNT(*) FROM `{table}`")).scalar_one())
    engine.dispose()
    return found
