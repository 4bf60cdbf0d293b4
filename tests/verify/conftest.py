"""Migrated projects for the verify tests: the four sample sites, a target, one clean run."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.servers import LocalServer
from tests.migrate.helpers import Project, make_project

# The DRC clone's old case number is deliberately not migrated in these tests (an `ignore:`
# with a reason), so a change to it in the source must not count as a mismatch.
IGNORED_FIELD = "field_old_case_number"


def ignore_old_case_number(project: Project) -> None:
    """Edit the project's DRC mapping: the old case number is ignored on purpose."""
    path = project.path.parent / "mappings" / "sites" / "drc.yaml"
    shipped = path.read_text("utf-8")
    mapped = f"      extra/old_case_number: {IGNORED_FIELD}\n"
    assert mapped in shipped  # the rest of the shipped mapping (its dates' time zone) stays
    ignored = f"    ignore:\n      {IGNORED_FIELD}: superseded by the case code\n"
    path.write_text(
        shipped.replace(mapped, "").replace("    process:\n", ignored + "    process:\n"), "utf-8"
    )


@pytest.fixture(
    scope="module",
    params=[("mariadb", "d7"), ("mariadb", "d8"), ("mysql", "d7"), ("mysql", "d8")],
    ids="-".join,
)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The four sample sites in one layout on one server, migrated once (per module)."""
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    module = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:8]
    name = f"v{module}_{flavor[:2]}{layout}"
    project = make_project(
        server,
        tmp_path_factory.mktemp(name),
        name,
        layout,
        sites=request.getfixturevalue("sample_sites"),
    )
    ignore_old_case_number(project)
    report = project.migrate()
    assert report.failed_rows() == 0
    return project


def workdir(project: Project) -> Path:
    """Return the folder holding the project file."""
    return project.path.parent
