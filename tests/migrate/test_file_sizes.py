"""A file whose size on disk differs from its row's `file_managed.filesize` is not copied, and
the run says so (#30 low: a 3 GB sparse file whose row said 10 bytes was copied)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from pseamigrate.target.store import relative_path
from tests.migrate.helpers import Project


def test_a_file_larger_on_disk_than_its_row_says_is_not_copied(one_project: Project) -> None:
    project = one_project
    engine = create_engine(project.sources["iraq"])
    try:
        with engine.begin() as conn:
            fid, uri, size = conn.execute(
                text("SELECT fid, uri, filesize FROM file_managed ORDER BY fid LIMIT 1")
            ).one()
            conn.execute(text("UPDATE file_managed SET filesize = 10 WHERE fid = :f"), {"f": fid})
    finally:
        engine.dispose()
    on_disk = project.files["iraq"] / str(uri).replace("public://", "public/", 1)
    if not on_disk.is_file():
        on_disk = project.files["iraq"] / str(uri).replace("://", "/", 1)
    assert on_disk.is_file() and on_disk.stat().st_size == size != 10
    try:
        project.migrate(["iraq"])
        relative = relative_path(str(uri))
        assert relative is not None
        stored = project.store / "iraq" / relative
        assert not stored.exists(), "the file was copied although its size differs"
        row = f"WHERE source_id = {int(fid)} AND size IS NULL AND sha256 IS NULL"
        assert project.count("files", row) == 1
        said = project.count(
            "pm_messages",
            "WHERE message LIKE '%size on disk differs from file_managed.filesize%'",
        )
        assert said == 1
        copied = [p for p in (project.store / "iraq").rglob("*") if p.is_file()]
        assert copied  # the other files are copied as before
    finally:
        engine = create_engine(project.sources["iraq"])
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE file_managed SET filesize = :s WHERE fid = :f"), {"s": size, "f": fid}
            )
        engine.dispose()
