"""The options and arguments several commands share, each defined once (CONTRIBUTING.md).

A flag keeps the same name, meaning and help text in every command that takes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Project file (default: $PSEAMIGRATE_CONFIG, then ./pseamigrate.yaml).",
        dir_okay=False,
    ),
]
SiteArgument = Annotated[str, typer.Argument(help="A site name from the project file.")]
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON instead of tables.")
]
DryRunFlag = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
]
SqlFlag = Annotated[
    bool,
    typer.Option(
        "--sql",
        help="Print the SQL for a DBA (encryption runs none of it; schema runs it unless "
        "--dry-run).",
    ),
]
UrlEnvOption = Annotated[
    str | None,
    typer.Option(
        "--url-env",
        metavar="VAR",
        help="Environment variable holding the target database URL "
        "(default: the project file's target).",
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="Canonical model file (default: the project file's model:, else the shipped one).",
        dir_okay=False,
    ),
]
BasedirOption = Annotated[
    Path, typer.Option("--basedir", help="Local server directory (holds my.cnf, data/, keys/).")
]
AllowPlaintextFlag = Annotated[
    bool,
    typer.Option(
        "--allow-plaintext-target",
        help="Work on a target that is not encrypted at rest (recorded in pm_runs or the report).",
    ),
]
AllowPlaintextFilesFlag = Annotated[
    bool,
    typer.Option(
        "--allow-plaintext-files",
        help="With --allow-plaintext-target and no files_key: copy attachments into the store "
        "unencrypted (refused otherwise; recorded in the run's messages).",
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Sites worked on at once, each in its own process (1: one after another).",
    ),
]
DEFAULT_JOBS = 4  # the four legacy sites at once; more processes than cores still overlap waits


def _progress_mode(value: str) -> str:
    from pseamigrate.console.progress import MODES

    if value not in MODES:
        raise typer.BadParameter(f"choose from {', '.join(MODES)}")
    return value


ProgressMode = Annotated[
    str,
    typer.Option(
        "--progress",
        callback=_progress_mode,
        help="auto (bars on a terminal, else heartbeat lines), bar, plain (a line every "
        "--progress-every seconds on stderr) or off.",
    ),
]
ProgressEvery = Annotated[
    float,
    typer.Option("--progress-every", min=0.1, help="Seconds between heartbeat lines (plain)."),
]
