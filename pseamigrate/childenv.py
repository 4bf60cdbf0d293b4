"""Child processes: the environment they get (a short allow-list, never the toolkit's own), and
whether a process still lives.

pseamigrate's environment holds secrets (`url_env`/`password_env` name variables holding URLs
with passwords). Database servers, their install tools, ssh and Fabric run with only what they
need, so `/proc/<pid>/environ` of a child shows no secret.
"""

from __future__ import annotations

import os

# Kept from our environment when set: where programs are, language, home, time zone.
KEPT = ("PATH", "LANG", "LC_ALL", "HOME", "TZ")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def child_env(**extra: str) -> dict[str, str]:
    """Return a minimal environment for a child process, plus `extra` (which wins)."""
    env = {name: os.environ[name] for name in KEPT if name in os.environ}
    env.setdefault("PATH", DEFAULT_PATH)
    env.update(extra)
    return env


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this pid exists on this host (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
