"""Run a rendered recipe on a host: over SSH with Fabric, or on this machine (`--host local`,
bash through `subprocess`: invoke's local runner leaves a pipe open per command).

Each step runs as its own shell command with only the recipe's environment (exported inline,
not secret) and its secrets (sourced from an owner-only file in a private temporary directory
that is removed at the end). Host keys are checked against a known_hosts file (unknown keys
are refused, never added), and a host that does not answer fails within `CONNECT_TIMEOUT`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pseamigrate.deploy.recipes import PlannedStep, RecipePlan
from pseamigrate.errors import ConnectionFailed, PseamigrateError, UsageProblem

CONNECT_TIMEOUT = 10  # seconds: TCP connect, SSH banner and authentication each
HOST_RE = re.compile(
    r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.:_-]+?)(?::(?P<port>\d+))?$"
)
LOCAL_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "USER", "LOGNAME", "TMPDIR")
Say = Callable[[str], None]
TIMED_OUT = 124  # the exit code coreutils' timeout(1) uses


@dataclass(frozen=True)
class Host:
    """Where a recipe runs: `user@host[:port]`, or this machine (`local`)."""

    host: str
    user: str | None = None
    port: int = 22

    @property
    def local(self) -> bool:
        return self.host == "local"

    def __str__(self) -> str:
        if self.local:
            return "local"
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"


def parse_host(text: str) -> Host:
    """Parse `--host user@host[:port]` (or `local`), or raise `UsageProblem`."""
    if text == "local":
        return Host("local")
    match = HOST_RE.match(text)
    if not match:
        raise UsageProblem(f"--host must look like user@host[:port] or local, got {text!r}")
    port = int(match["port"] or 22)
    if not 0 < port < 65536:
        raise UsageProblem(f"--host: port {port} is out of range")
    return Host(match["host"], match["user"], port)


@dataclass(frozen=True)
class CommandResult:
    """What one command did: exit code and the tail of its output (for failure messages)."""

    code: int
    tail: str


class Runner(Protocol):
    """Runs shell commands on one host and holds the recipe's private directory there."""

    def run(self, command: str, timeout: int = 60) -> CommandResult: ...

    def put_private(self, name: str, content: str) -> str: ...

    def close(self) -> None: ...


def _tail(stdout: str, stderr: str) -> str:
    lines = (stderr.strip() or stdout.strip()).splitlines()
    return "\n".join(lines[-3:])


class LocalRunner:
    """Runs steps on this machine (bash, as Fabric's local runner would), minimal environment."""

    def __init__(self) -> None:
        self.private = Path(tempfile.mkdtemp(prefix="pseamigrate-recipe-"))  # 0700
        self.env = {k: os.environ[k] for k in LOCAL_ENV if k in os.environ}

    def run(self, command: str, timeout: int = 60) -> CommandResult:
        # Its own process group, so a timeout stops the whole step, not only its shell.
        with subprocess.Popen(
            ["bash", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            start_new_session=True,
        ) as process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return CommandResult(TIMED_OUT, f"no result within {timeout} s (stopped)")
        return CommandResult(process.returncode, _tail(stdout, stderr))

    def put_private(self, name: str, content: str) -> str:
        path = self.private / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        return str(path)

    def close(self) -> None:
        shutil.rmtree(self.private, ignore_errors=True)


def ssh_connect(host: Host, identity: Path | None, known_hosts: Path | None) -> Any:
    """Return an open Fabric `Connection` to `host`; unknown host keys are refused.

    Raises `ConnectionFailed` (refused, timed out, host key, authentication) within about
    `CONNECT_TIMEOUT` seconds per phase.
    """
    from fabric import Connection
    from paramiko import RejectPolicy

    kwargs: dict[str, Any] = {"banner_timeout": CONNECT_TIMEOUT, "auth_timeout": CONNECT_TIMEOUT}
    if identity is not None:
        kwargs |= {"key_filename": str(identity), "look_for_keys": False, "allow_agent": False}
    conn = Connection(
        host.host,
        user=host.user,
        port=host.port,
        connect_timeout=CONNECT_TIMEOUT,
        connect_kwargs=kwargs,
    )
    conn.client.set_missing_host_key_policy(RejectPolicy())
    hosts_file = known_hosts or Path("~/.ssh/known_hosts").expanduser()
    if hosts_file.is_file():
        conn.client.load_host_keys(str(hosts_file))
    try:
        conn.open()
    except Exception as exc:  # noqa: BLE001 - socket, SSH and auth errors all mean "cannot"
        conn.close()
        raise ConnectionFailed("the host", str(host), _ssh_reason(exc)) from None
    return conn


class SSHRunner:
    """Runs steps on a host over SSH with Fabric."""

    def __init__(self, host: Host, identity: Path | None, known_hosts: Path | None) -> None:
        self.host = host
        self.conn = ssh_connect(host, identity, known_hosts)
        made = self.conn.run(
            "umask 077 && mktemp -d /tmp/pseamigrate-recipe-XXXXXXXX",
            hide=True,
            warn=True,
            in_stream=False,
            timeout=CONNECT_TIMEOUT * 3,
        )
        lines = made.stdout.strip().splitlines()  # stdout only: a login banner may use stderr
        if made.exited != 0 or not lines:
            raise PseamigrateError(
                f"cannot make a private directory on {host}: {made.stderr[-200:]}"
            )
        self.private = lines[-1]

    def run(self, command: str, timeout: int = 60) -> CommandResult:
        from invoke.exceptions import CommandTimedOut

        try:
            result = self.conn.run(command, hide=True, warn=True, in_stream=False, timeout=timeout)
        except CommandTimedOut:
            return CommandResult(TIMED_OUT, f"no result within {timeout} s (stopped)")
        return CommandResult(int(result.exited), _tail(result.stdout, result.stderr))

    def put_private(self, name: str, content: str) -> str:
        path = f"{self.private}/{name}"
        try:
            with self.conn.sftp().open(path, "w") as handle:
                handle.chmod(0o600)
                handle.write(content)
        except Exception as exc:  # noqa: BLE001 - SSH and SFTP errors alike
            raise PseamigrateError(
                f"cannot copy the recipe's secrets to {self.host} over SFTP: {_ssh_reason(exc)}"
            ) from None
        return path

    def close(self) -> None:
        if getattr(self, "private", ""):
            self.run(f"rm -rf {shlex.quote(self.private)}")
        self.conn.close()


def _ssh_reason(exc: Exception) -> str:
    """Say why SSH failed in one line (refused, timed out, host key, authentication)."""
    name = type(exc).__name__
    known = {
        "NoValidConnectionsError": "connection refused (is sshd running on that port?)",
        "TimeoutError": f"no answer within {CONNECT_TIMEOUT}s",
        "timeout": f"no answer within {CONNECT_TIMEOUT}s",
        "AuthenticationException": "authentication failed (check --identity and the user)",
        "SSHException": f"SSH failed: {str(exc).splitlines()[0] if str(exc) else name}",
        "gaierror": "unknown host name",
    }
    return known.get(name, f"{name}: {str(exc).splitlines()[0] if str(exc) else ''}".strip(": "))


def open_runner(
    host: Host, identity: Path | None = None, known_hosts: Path | None = None
) -> Runner:
    """Return the runner for `host` (connected, with its private directory made)."""
    if host.local:
        return LocalRunner()
    return SSHRunner(host, identity, known_hosts)


class StepFailed(PseamigrateError):
    """A recipe step exited with a code it does not accept; the recipe stopped there."""


def _env_file(values: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())


def run_recipe(plan: RecipePlan, runner: Runner, secrets: dict[str, str], say: Say) -> int:
    """Run every step in order, stopping at the first failure; return the steps run."""
    prefix = _env_file(plan.env).replace("\n", " && ") if plan.env else ""
    if secrets:
        path = runner.put_private("secrets.env", _env_file(secrets))
        prefix = f". {shlex.quote(path)} && {prefix}"
    total, ran = len(plan.steps), 0
    for step in plan.steps:
        say(f"[{step.number}/{total}] {step.name}: {step.command}")
        if step.unless and runner.run(f"{prefix}{step.unless}", step.timeout).code == 0:
            say("  skipped (already done)")
            continue
        started = time.monotonic()
        outcome = runner.run(f"{prefix}{step.command}", step.timeout)
        if outcome.code not in step.ok_codes:
            raise StepFailed(_failure(plan, step, outcome))
        say(f"  ok ({time.monotonic() - started:.1f} s)")
        ran += 1
    return ran


def _failure(plan: RecipePlan, step: PlannedStep, outcome: CommandResult) -> str:
    where = f"recipe {plan.recipe} stopped at step {step.number}/{len(plan.steps)} {step.name!r}"
    detail = f":\n{outcome.tail}" if outcome.tail else ""
    return f"{where}: exit {outcome.code}{detail}"
