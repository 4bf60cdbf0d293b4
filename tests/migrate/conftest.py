"""Projects of four built sample sites and a target, one per server flavor and layout."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pseamigrate.migrate.run import MigrationReport
from pseamigrate.servers import LocalServer
from tests.migrate.helpers import Project, make_project, reset_target

FLAVORS_AND_LAYOUTS = [("mariadb", "d7"), ("mariadb", "d8"), ("mysql", "d7"), ("mysql", "d8")]


@dataclass
class Migrated:
    """A project whose four sites were migrated once, and the report of that run."""

    project: Project
    report: MigrationReport


@pytest.fixture(scope="module", params=FLAVORS_AND_LAYOUTS, ids="-".join)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The four sample sites in one layout on one server, and a target, once per module."""
    return _module_project(request, tmp_path_factory, "m")


@pytest.fixture(scope="module", params=FLAVORS_AND_LAYOUTS, ids="-".join)
def migrated_once(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Migrated:
    """Like `built`, in a target of its own, migrated once for the module's tests that only read
    what a first run wrote (a test that writes more must leave it as a re-run would)."""
    project = _module_project(request, tmp_path_factory, "o")
    report = project.migrate()
    assert report.failed_rows() == 0, [s.counts.failures for r in report.sites for s in r.steps]
    return Migrated(project, report)


def _module_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, kind: str
) -> Project:
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    module = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:10]
    name = f"{kind}{module}_{flavor[:2]}{layout}"
    return make_project(
        server,
        tmp_path_factory.mktemp(name),
        name,
        layout,
        sites=request.getfixturevalue("sample_sites"),
    )


@pytest.fixture
def project(built: Project) -> Iterator[Project]:
    """The module's project with an empty target for each test."""
    reset_target(built)
    yield built


@pytest.fixture(scope="module")
def mariadb_project(
    mariadb_server: LocalServer,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Project:
    """The four sample sites (Drupal 7) and a target on MariaDB only, once per module."""
    module = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:10]
    name = f"s{module}"
    return make_project(
        mariadb_server,
        tmp_path_factory.mktemp(name),
        name,
        "d7",
        sites=request.getfixturevalue("sample_sites"),
    )


@pytest.fixture
def one_project(mariadb_project: Project) -> Iterator[Project]:
    """The MariaDB project with an empty target for each test."""
    reset_target(mariadb_project)
    yield mariadb_project


def workdir_of(project: Project) -> Path:
    """Return the folder holding the project file."""
    return project.path.parent
