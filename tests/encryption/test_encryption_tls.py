"""TLS (issue #15 item 2): `encryption setup --tls` makes a TLS-only server; a client without TLS
is refused, one with the CA from the project file verifies the server, one with another CA does
not. The policy for non-local servers is checked without a network (no remote server here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pymysql
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from pseamigrate.config import load_settings
from pseamigrate.db import connection, reading
from pseamigrate.encryption.setup import apply_setup, key_dir, plan_setup
from pseamigrate.encryption.tls import make_server_certificates
from pseamigrate.errors import ConnectionFailed
from pseamigrate.servers import running_server
from tests.encryption.enc_helpers import run_cli

REFUSAL = {"mysql": 3159, "mariadb": 1045}
DRIVERS: list[Callable[[URL], URL]] = [lambda url: url, reading]


def _project(tmp_path: Path, **connection: str) -> Path:
    lines = "".join(f"    {key}: {value}\n" for key, value in connection.items())
    config = tmp_path / "pseamigrate.yaml"
    config.write_text(f"target:\n  connection:\n    url_env: PSEA_TLS_URL\n{lines}")
    return config


@pytest.mark.parametrize("flavor", ["mysql", "mariadb"])
def test_a_tls_only_server_refuses_plaintext_and_the_ca_verifies_it(
    flavor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_server(flavor, tmp_path / flavor) as server:  # type: ignore[arg-type]
        apply_setup(server, plan_setup(server, tls=()))
        server.restart()  # ready over the socket: TCP now needs TLS
        ca = key_dir(server) / "tls" / "ca.pem"
        url = server.url("mysql").render_as_string(hide_password=False)
        monkeypatch.setenv("PSEA_TLS_URL", url)

        with pytest.raises(pymysql.err.OperationalError) as refused:
            pymysql.connect(host="127.0.0.1", port=server.port, user="root", ssl_disabled=True)
        # MySQL says why (3159); MariaDB answers "access denied" for the same root@127.0.0.1
        # that connects below with TLS, so the transport is what it refuses.
        assert refused.value.args[0] == REFUSAL[flavor], refused.value.args
        other = tmp_path / "other-ca.pem"
        other.write_bytes(make_server_certificates().ca_cert)
        for driver in DRIVERS:  # PyMySQL, and mysqlclient as legacy sites are read
            _check_transport(tmp_path, flavor, ca, other, driver)

        result = run_cli(
            "--config", str(_project(tmp_path, ssl_ca=str(ca))), "encryption", "status", "--json"
        )
        checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
        assert checks["require_secure_transport"]["outcome"] == "PASS"
        assert checks["require_secure_transport"]["detail"].startswith("ON")
        assert checks["TLS private key"]["outcome"] == "PASS"
        assert "server-key.pem" in checks["TLS private key"]["detail"]


def _check_transport(
    tmp_path: Path, flavor: str, ca: Path, other: Path, driver: Callable[[URL], URL]
) -> None:
    """tls: off is refused by a TLS-only server; the right CA verifies it, another does not."""
    off = driver(load_settings(_project(tmp_path, tls="off")).target_connection().resolve())
    with (
        pytest.raises(ConnectionFailed, match=f"MySQL error {REFUSAL[flavor]}"),
        connection(off, "the target"),
    ):
        pass

    spec = load_settings(_project(tmp_path, ssl_ca=str(ca))).target_connection()
    with connection(driver(spec.resolve()), "the target") as conn:
        cipher = conn.execute(text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()[1]
    assert cipher  # encrypted, and the certificate and host name were verified

    wrong = load_settings(_project(tmp_path, ssl_ca=str(other))).target_connection()
    with (
        pytest.raises(ConnectionFailed, match="(?i)certificate verify failed"),
        connection(driver(wrong.resolve()), "the target"),
    ):
        pass
