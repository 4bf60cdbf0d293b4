"""A real OpenSSH server for the deploy tests: Debian's sshd on a loopback port, with a generated
host key and client key (authorized_keys), for the user running the tests (#11)."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pseamigrate.servers.instance import free_port

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SSHServer:
    """Where the test sshd listens and the files a client needs to reach it."""

    port: int
    user: str
    identity: Path
    known_hosts: Path

    @property
    def host(self) -> str:
        """Return `--host` for this server: user@127.0.0.1:port."""
        return f"{self.user}@127.0.0.1:{self.port}"

    def deploy_args(self) -> list[str]:
        """Return the `deploy` options that reach this server."""
        return [
            "--host",
            self.host,
            "--identity",
            str(self.identity),
            "--known-hosts",
            str(self.known_hosts),
        ]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _config(folder: Path, port: int, user: str) -> Path:
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        f"AllowUsers {user}\nSubsystem sftp internal-sftp\n"
    )
    return config


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text()[-800:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("sshd did not listen within 20 s")


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """Start sshd (privilege separation directory created as Debian's service would)."""
    folder = tmp_path_factory.mktemp("sshd")
    host_pub = _keygen(folder / "host_key")
    client_pub = _keygen(folder / "client_key")
    (folder / "authorized_keys").write_text(client_pub + "\n")
    (folder / "authorized_keys").chmod(0o600)
    port, user = free_port(), getpass.getuser()
    config = _config(folder, port, user)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    subprocess.run([SSHD, "-t", "-f", str(config)], check=True)
    log = folder / "sshd.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=out)
    try:
        _wait_for(port, process, log)
        known = folder / "known_hosts"
        known.write_text(f"[127.0.0.1]:{port} {' '.join(host_pub.split()[:2])}\n")
        yield SSHServer(port, user, folder / "client_key", known)
    finally:
        process.terminate()
        process.wait(10)
