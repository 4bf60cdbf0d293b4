"""A hostile site cannot inject SQL into `assess` through the table names it stores (#30 S7).

The site plants a Drupal 7 field whose stored table name (`field_config.data`, the fallback
`FIELD_LOAD_CURRENT` name) closes the identifier and appends a UNION that reads another
database's `users`. Before the one quoting helper refused such names, `assess` wrapped the
name in bare backquotes and the other database's user ids came out in the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import phpserialize
import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from pseamigrate.cli import app
from pseamigrate.servers.instance import LocalServer
from tests.drupal.helpers import query, run

runner = CliRunner()
# Ids another country's database holds: none of them may reach the hostile site's report.
OTHER_UIDS = (424242, 434343, 444444)


def _other_database(server: LocalServer, make_db: Callable[[LocalServer], URL]) -> URL:
    url = make_db(server)
    run(
        url,
        "CREATE TABLE users (uid INT PRIMARY KEY, name VARCHAR(60))",
        "INSERT INTO users VALUES (424242, 'not a date'), (434343, 'x'), (444444, 'y')",
    )
    return url


def _plant_hostile_field(site: URL, other: str) -> str:
    """Add a text field `field_event_date` to `article` whose table name is an injection."""
    hostile = f"x` UNION SELECT uid,0,1,name FROM {other}.users#"
    assert len(hostile) <= 64  # a real table name: the server accepts it
    data = phpserialize.dumps(
        {
            "settings": {},
            "storage": {"details": {"sql": {"FIELD_LOAD_CURRENT": {hostile: {}}}}},
        }
    ).decode()
    columns = (
        "entity_type VARCHAR(128), bundle VARCHAR(128), deleted TINYINT, entity_id INT, "
        "revision_id INT, language VARCHAR(32), delta INT, "
        "field_event_date_value VARCHAR(255) CHARACTER SET ascii"
    )
    run(
        site,
        f"CREATE TABLE `{hostile.replace('`', '``')}` ({columns})",
        f"CREATE TABLE x ({columns})",
        "INSERT INTO field_config (field_name, type, module, active, storage_type, "
        "storage_module, storage_active, locked, data, cardinality, translatable, deleted) "
        "VALUES ('field_event_date', 'text', 'text', 1, 'field_sql_storage', "
        "'field_sql_storage', 1, 0, :data, 1, 0, 0)",
        "INSERT INTO field_config_instance (field_id, field_name, entity_type, bundle, data, "
        "deleted) SELECT id, 'field_event_date', 'node', 'article', :instance, 0 "
        "FROM field_config WHERE field_name = 'field_event_date'",
        params={"data": data, "instance": phpserialize.dumps({"label": "d"}).decode()},
    )
    return hostile


def test_a_table_name_that_injects_sql_is_refused_and_leaks_nothing(
    mariadb_server: LocalServer,
    make_db: Callable[[LocalServer], URL],
    drupal_copy: Callable[[str], URL],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = drupal_copy("d7")
    other = _other_database(mariadb_server, make_db)
    assert other.database is not None
    _plant_hostile_field(site, other.database)
    assert query(site, "SELECT COUNT(*) FROM node WHERE type = 'article'")[0][0] > 0

    monkeypatch.setenv("PSEA_HOSTILE_URL", site.render_as_string(hide_password=False))
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(
        "sites:\n  hostile:\n    tenant: h\n    connection: {url_env: PSEA_HOSTILE_URL}\n"
    )
    result = runner.invoke(app, ["--config", str(config), "assess", "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception

    assert result.stdout, result.output
    report = json.loads(result.stdout)
    leaked = [uid for uid in OTHER_UIDS if str(uid) in result.stdout]
    assert leaked == [], "another database's rows reached the report"
    findings = report["sites"][0]["findings"]
    refused = [f for f in findings if f["severity"] == "blocker" and "refused" in f["message"]]
    assert refused, findings
    assert "letters, digits and _" in refused[0]["message"]
    assert "UNION" not in result.stdout  # the name itself is not repeated


@pytest.mark.parametrize("name", ["with`tick", "a b", "x-y", "", "é", "n" * 65, "a;b", "a.b"])
def test_the_quoting_helper_refuses_names_outside_the_plain_set(name: str) -> None:
    from pseamigrate.db import quote_name
    from pseamigrate.errors import UnsafeIdentifier

    with pytest.raises(UnsafeIdentifier, match="letters, digits and _"):
        quote_name(name)


def test_the_quoting_helper_quotes_plain_names() -> None:
    from pseamigrate.db import quote_name

    assert quote_name("field_data_body") == "`field_data_body`"
    assert quote_name("n" * 64) == f"`{'n' * 64}`"
