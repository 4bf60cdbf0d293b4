"""The project file: shape, validation with every problem at once, and secrets kept out of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseamigrate.config import ConnectionSpec, find_config, load_settings, read_option_file
from pseamigrate.db import where
from pseamigrate.errors import ConfigError, UnknownSite

PROJECT = """\
# pseamigrate.yaml
sites:
  iraq:
    tenant: iq
    connection: {url_env: PSEA_IRAQ_URL}
    table_prefix: ""
    mapping: mappings/sites/iraq.yaml
    files_dir: /srv/psea/iraq/files
  drc:
    tenant: cd
    connection: {option_file: OPTFILE, group: drc}
    table_prefix: "d7_"
target:
  connection: {url_env: PSEA_TARGET_URL}
"""


def write_project(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pseamigrate.yaml"
    path.write_text(text.replace("OPTFILE", str(tmp_path / "my.cnf")))
    return path


def test_the_documented_shape_loads(tmp_path: Path) -> None:
    settings = load_settings(write_project(tmp_path, PROJECT))
    assert sorted(settings.sites) == ["drc", "iraq"]
    iraq = settings.site("iraq")
    assert iraq.tenant == "iq"
    assert iraq.connection.url_env == "PSEA_IRAQ_URL"
    assert iraq.mapping == tmp_path / "mappings/sites/iraq.yaml"
    assert iraq.files_dir == "/srv/psea/iraq/files"
    assert settings.site("drc").table_prefix == "d7_"
    assert settings.target_connection().url_env == "PSEA_TARGET_URL"


def test_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSEA_X", "mysql://migrator:s3cret-pw@db.example:3307/psea_iraq")
    url = ConnectionSpec(url_env="PSEA_X").resolve()
    assert url.drivername == "mysql+pymysql"
    assert url.password == "s3cret-pw"
    assert "s3cret-pw" not in where(url)
    assert "s3cret-pw" not in repr(url)
    assert where(url) == "db.example:3307/psea_iraq"


def test_missing_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSEA_NOPE", raising=False)
    with pytest.raises(ConfigError, match="PSEA_NOPE is not set"):
        ConnectionSpec(url_env="PSEA_NOPE").resolve()


def test_option_file_group_gives_the_url(tmp_path: Path) -> None:
    option_file = tmp_path / "my.cnf"
    option_file.write_text(
        "[client]\nuser=nobody\n[drc]\nuser=reader\npassword='pa ss'\n"
        "host=10.0.0.5\nport=3308\ndatabase=psea_drc\n"
    )
    option_file.chmod(0o600)  # it holds a password: only the owner may read it
    url = ConnectionSpec(option_file=option_file, group="drc").resolve()
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "reader",
        "pa ss",
        "10.0.0.5",
        3308,
        "psea_drc",
    )
    assert read_option_file(option_file, "client") == {"user": "nobody"}


def test_password_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    option_file = tmp_path / "my.cnf"
    option_file.write_text("[client]\nuser=reader\nhost=127.0.0.1\n")
    monkeypatch.setenv("PSEA_PW", "from-env")
    url = ConnectionSpec(option_file=option_file, password_env="PSEA_PW").resolve()
    assert url.password == "from-env"


def test_missing_option_group_is_named(tmp_path: Path) -> None:
    option_file = tmp_path / "my.cnf"
    option_file.write_text("[client]\nuser=x\n")
    with pytest.raises(ConfigError, match=r"has no \[syria\] group"):
        ConnectionSpec(option_file=option_file, group="syria").resolve()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_project(
        tmp_path,
        "sites:\n"
        "  iraq:\n"
        "    tenant: iq\n"
        "    conection: {url_env: X}\n"
        "  drc:\n"
        "    connection: {url_env: Y, password: hunter2}\n"
        "targt: {}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "sites.iraq.conection: unknown key" in message
    assert "sites.iraq.connection: required" in message
    assert "sites.drc.tenant: required" in message
    assert f"{path}:6: sites.drc.connection.password: secrets never go here" in message
    assert "targt: unknown key" in message
    assert "hunter2" not in message
    assert message.count(str(path)) == 5


def test_x_keys_are_allowed_for_notes(tmp_path: Path) -> None:
    text = PROJECT.replace("    tenant: iq\n", "    tenant: iq\n    x-owner: ICT Erbil\n")
    assert load_settings(write_project(tmp_path, text)).site("iraq").tenant == "iq"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write_project(tmp_path, "sites:\n  iraq: {tenant: iq\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    # the parser's own reason, its line and column (issue #24 item 6), and never the text
    assert str(caught.value).startswith(f"{path}:3: YAML syntax error: ")
    assert "(column " in str(caught.value)
    assert "iraq" not in str(caught.value).replace(str(path), "")


def test_a_duplicated_site_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    second = "  iraq:\n    tenant: iq2\n    connection: {url_env: PSEA_OTHER}\ntarget:\n"
    text = PROJECT.replace("target:\n", second, 1)
    assert text.count("\n  iraq:\n") == 2, "the duplicate must be a second key under sites"
    with pytest.raises(ConfigError) as caught:
        load_settings(write_project(tmp_path, text))
    assert "sites.iraq: duplicate key" in str(caught.value)


@pytest.mark.parametrize("key", ["password", "url", "token"])
def test_a_secret_anywhere_in_the_project_file_is_refused(tmp_path: Path, key: str) -> None:
    text = PROJECT.replace("    tenant: iq\n", f"    tenant: iq\n    {key}: hunter2-value\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(write_project(tmp_path, text))
    message = str(caught.value)
    assert f"sites.iraq.{key}: secrets never go here: use url_env or an option file" in message
    assert "hunter2" not in message


def test_unknown_site_lists_the_known(tmp_path: Path) -> None:
    settings = load_settings(write_project(tmp_path, PROJECT))
    with pytest.raises(UnknownSite, match="known sites: drc, iraq"):
        settings.site("syria")


def test_config_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PSEAMIGRATE_CONFIG", raising=False)
    assert find_config(None) is None
    (tmp_path / "pseamigrate.yaml").write_text("sites: {}\n")
    assert find_config(None) == Path("pseamigrate.yaml")
    monkeypatch.setenv("PSEAMIGRATE_CONFIG", "/elsewhere.yaml")
    assert find_config(None) == Path("/elsewhere.yaml")
    assert find_config(Path("explicit.yaml")) == Path("explicit.yaml")


def test_engine_errors_never_carry_row_values(any_db: object) -> None:
    """A failing statement's message must not echo the values bound to it."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from pseamigrate.db import make_engine

    engine = make_engine(any_db)  # type: ignore[arg-type]
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY, narrative TEXT)"))
            conn.execute(text("INSERT INTO t VALUES (1, :n)"), {"n": "SURVIVOR-NARRATIVE-1"})
            conn.execute(text("INSERT INTO t VALUES (1, :n)"), {"n": "SURVIVOR-NARRATIVE-2"})
    finally:
        engine.dispose()
    assert "Duplicate entry" in str(caught.value)
    assert "SURVIVOR-NARRATIVE" not in str(caught.value)


def test_password_prompt_asks_and_never_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pseamigrate.config as config

    path = write_project(
        tmp_path,
        "sites:\n  iraq:\n    tenant: iq\n"
        "    connection: {url_env: PSEA_IRAQ_URL, password_prompt: true}\n",
    )
    monkeypatch.setenv("PSEA_IRAQ_URL", "mysql://reader@127.0.0.1:3307/psea")
    questions: list[str] = []
    monkeypatch.setattr(config, "password_prompt", lambda q: questions.append(q) or "typed-pw")
    spec = load_settings(path).site("iraq").connection
    assert spec.resolve().password == "typed-pw"
    assert questions == ["password for $PSEA_IRAQ_URL"]
    assert "typed-pw" not in repr(spec)


def test_password_prompt_without_a_terminal_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    monkeypatch.setenv("PSEA_X", "mysql://reader@127.0.0.1/psea")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(ConfigError, match="needs a terminal; use password_env"):
        ConnectionSpec(url_env="PSEA_X", password_prompt=True).resolve()


def test_require_file_says_how_to_name_one() -> None:
    from pseamigrate.config import Settings

    with pytest.raises(ConfigError, match=r"^no project file: pass --config or set \$PSEAMIG"):
        Settings(path=None).require_file()
    with pytest.raises(ConfigError, match=r"CONFIG or pass --url-env$"):
        Settings(path=None).require_file(or_else="pass --url-env")
    assert Settings(path=Path("p.yaml")).require_file() == Path("p.yaml")


# --- Secret hygiene and hostile values (#15) ---------------------------------------------------

URL_WITH_PASSWORD = "mysql://migrator:pw-Kx81-leak@db.example/psea"


@pytest.mark.parametrize("key", ["url_env", "password_env"])
@pytest.mark.parametrize("value", [URL_WITH_PASSWORD, "pw-Kx81-leak", "psea_url", "1ABC"])
def test_env_keys_take_only_variable_names_and_never_echo(
    tmp_path: Path, key: str, value: str
) -> None:
    extra = "" if key == "url_env" else ", url_env: PSEA_IRAQ_URL"
    text = f"sites:\n  iraq:\n    tenant: iq\n    connection: {{{key}: '{value}'{extra}}}\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write_project(tmp_path, text))
    message = str(caught.value)
    assert f"sites.iraq.connection.{key}: must be the name of an environment variable" in message
    assert value not in message
    assert "pw-Kx81-leak" not in message


def test_a_url_given_as_a_variable_name_is_refused_in_code_too() -> None:
    with pytest.raises(ConfigError) as caught:
        ConnectionSpec(url_env=URL_WITH_PASSWORD)
    assert "pw-Kx81-leak" not in str(caught.value)
    with pytest.raises(ConfigError):
        ConnectionSpec(option_file=Path("my.cnf"), password_env="hunter2!")


@pytest.mark.parametrize("note", ["x-password", "x-db-secret", "x-api-token", "x-Auth", "x-pwd"])
def test_notes_with_secret_looking_names_are_refused(tmp_path: Path, note: str) -> None:
    text = PROJECT.replace(
        "    tenant: iq\n",
        f"    tenant: iq\n    x-owner: ICT\n    x-author: Jo\n    {note}: hunter2-value\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(write_project(tmp_path, text))
    message = str(caught.value)
    assert f"sites.iraq.{note}: notes must not hold secrets" in message
    assert "hunter2-value" not in message
    assert "x-owner" not in message and "x-author" not in message  # innocent notes stay


def test_unknown_keys_that_are_not_names_are_not_echoed(tmp_path: Path) -> None:
    text = PROJECT.replace("sites:\n", "'root:$6$salt$hash:19000:0:99999:7:::': 1\nsites:\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(write_project(tmp_path, text))
    assert "(not a name): unknown key" in str(caught.value)
    assert "$6$" not in str(caught.value)


@pytest.mark.parametrize("prefix", ["crp`", "d7_; DROP TABLE x", "a-b", "é_"])
def test_table_prefix_must_be_letters_digits_underscore(tmp_path: Path, prefix: str) -> None:
    text = PROJECT.replace('table_prefix: "d7_"', f"table_prefix: '{prefix}'")
    with pytest.raises(ConfigError, match=r"sites.drc.table_prefix: only letters, digits and _"):
        load_settings(write_project(tmp_path, text))


def test_timeouts_override_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = PROJECT.replace(
        "{url_env: PSEA_IRAQ_URL}", "{url_env: PSEA_IRAQ_URL, connect_timeout: 3, read_timeout: 90}"
    )
    monkeypatch.setenv("PSEA_IRAQ_URL", "mysql://r@db.example/psea")
    url = load_settings(write_project(tmp_path, text)).site("iraq").connection.resolve()
    assert (url.query["connect_timeout"], url.query["read_timeout"]) == ("3", "90")
    assert "write_timeout" not in url.query  # db.TIMEOUTS fills it in make_engine
    bad = PROJECT.replace("{url_env: PSEA_IRAQ_URL}", "{url_env: PSEA_IRAQ_URL, read_timeout: 0}")
    with pytest.raises(ConfigError, match="read_timeout: must be whole seconds"):
        load_settings(write_project(tmp_path, bad))


def test_a_deeply_nested_project_file_is_a_message(tmp_path: Path) -> None:
    path = write_project(tmp_path, "x-deep: " + "[" * 20000 + "]" * 20000 + "\n")
    with pytest.raises(ConfigError, match="YAML nested too deeply"):
        load_settings(path)
