"""Projects of four built sample sites and a target, one per server flavor and layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pseamigrate.servers import LocalServer
from tests.migrate.helpers import Project, make_project, reset_target


@pytest.fixture(
    scope="module",
    params=[("mariadb", "d7"), ("mariadb", "d8"), ("mysql", "d7"), ("mysql", "d8")],
    ids="-".join,
)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The four sample sites in one layout on one server, and a target, once per module."""
    flavor, layout = request.param
    server: LocalServer = request.getfixturevalue(f"{flavor}_server")
    module = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:10]
    name = f"m{module}_{flavor[:2]}{layout}"
    return make_project(server, tmp_path_factory.mktemp(name), name, layout)


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
    return make_project(mariadb_server, tmp_path_factory.mktemp(name), name, "d7")


@pytest.fixture
def one_project(mariadb_project: Project) -> Iterator[Project]:
    """The MariaDB project with an empty target for each test."""
    reset_target(mariadb_project)
    yield mariadb_project


def workdir_of(project: Project) -> Path:
    """Return the folder holding the project file."""
    return project.path.parent
