"""The `pseamigrate` command line: parse, make one library call, render.

No SQL and no business rules live here. Typed errors from the library are turned into a
message on stderr and an exit code in exactly one place, `_Group.invoke`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

# typer >= 0.29 vendors click; its usage error is only reachable here.
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from pseamigrate import __version__, console
from pseamigrate.errors import EXIT_FAILED, EXIT_USAGE, PseamigrateError


class _Group(TyperGroup):
    """Turns `PseamigrateError` into `Error: …` on stderr and its exit code (C2 in STYLE.md)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            _usage_error(exc)
        except PseamigrateError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            console.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.error("interrupted")
            raise typer.Exit(130) from None


def _usage_error(exc: UsageError) -> None:
    """Print a usage error on one line (click prints four) and exit 2."""
    command = exc.ctx.command_path if exc.ctx else "pseamigrate"
    console.error(f"{exc.format_message()} (see '{command} --help')")
    raise typer.Exit(EXIT_USAGE)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals would print passwords and rows
    help="Move legacy Drupal PSEA reporting sites into one encrypted, multi-tenant database.",
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Project file (default: $PSEAMIGRATE_CONFIG, then ./pseamigrate.yaml).",
        dir_okay=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        console.out.print(f"pseamigrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config: ConfigOption = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    ctx.obj = {"debug": debug, "config": config}


def _settings(ctx: typer.Context) -> Any:
    from pseamigrate.config import load_settings

    return load_settings(ctx.obj["config"])


@app.command()
def sites(ctx: typer.Context) -> None:
    """List the legacy sites and the target named in the project file (no secrets shown).

    Example: pseamigrate --config pseamigrate.yaml sites
    """
    settings = _settings(ctx)
    rows = [
        (s.name, s.tenant, s.connection.describe(), s.table_prefix or "-", s.mapping or "-")
        for s in settings.sites.values()
    ]
    console.print_table(
        f"Sites in {settings.path}", ["site", "tenant", "credentials", "prefix", "mapping"], rows
    )
    if settings.target is not None:
        console.out.print(f"target: credentials from {settings.target.describe()}")


@app.command()
def ping(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Sites to check (default: every site and the target)."),
    ] = None,
) -> None:
    """Check that each legacy site (and the target) can be reached with its credentials.

    Example: pseamigrate ping iraq drc
    """
    from pseamigrate.connections import ping_all

    for result in ping_all(_settings(ctx), names or []):
        console.out.print(f"[green]ok[/green]  {result.name}: {result.where} ({result.version})")


@app.command()
def demo(
    flavor: Annotated[
        list[str] | None,
        typer.Option(help="Server to start: mariadb, mysql (repeatable; default mariadb)."),
    ] = None,
    layout: Annotated[
        list[str] | None,
        typer.Option(help="Drupal layout to build: d7, d8 (repeatable; default d7)."),
    ] = None,
    scale: Annotated[
        float, typer.Option(help="Size of each site (1.0: a few hundred nodes).")
    ] = 1.0,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where the throwaway servers live (default: a temporary directory)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Build the four sample CRP sites on a throwaway server and show what each holds.

    Counts only (never content). Example: pseamigrate demo --layout d7 --layout d8
    """
    from pseamigrate.demo import run_demo
    from pseamigrate.sample import LAYOUTS

    layouts = tuple(layout or ["d7"])
    for name in layouts:
        if name not in LAYOUTS:
            raise UsageError(f"unknown layout {name!r} (choose from {', '.join(LAYOUTS)})")
    built = list(run_demo(flavor or ["mariadb"], workdir, console.info, layouts, scale))
    if as_json:
        console.print_json([_demo_json(b) for b in built])
        return
    for key in dict.fromkeys((b.flavor, b.version, b.layout) for b in built):
        rows = [_demo_row(b) for b in built if (b.flavor, b.version, b.layout) == key]
        console.print_table(
            f"Sample sites on {key[0]} {key[1]}, layout {key[2]}",
            ["site", "drupal", "complaints", "referrals", "sessions", "revisions", "users"]
            + ["blocked", "terms", "files", "missing", "field rows"],
            rows,
        )


def _demo_row(built: Any) -> list[Any]:
    """Turn one built site's report into a table row of counts."""
    expected = built.report.expected
    bundles = expected["bundles"]
    users = expected["users"]
    return [
        built.report.site,
        expected["drupal_version"],
        bundles["complaint"]["count"],
        bundles["referral"]["count"],
        bundles["awareness_session"]["count"],
        sum(b["revisions"] for b in bundles.values()),
        users["total"],
        users["blocked"],
        sum(v["terms"] for v in expected["vocabularies"].values()),
        expected["files"]["total"],
        len(built.report.missing_files),
        built.report.field_values,
    ]


def _demo_json(built: Any) -> dict[str, Any]:
    """Describe one built site for --json (counts and drift, no content)."""
    report = built.report
    return {
        "flavor": built.flavor,
        "layout": built.layout,
        "database": built.database,
        "site": report.site,
        "expected": report.expected,
        "drift": report.drift,
        "missing_files": len(report.missing_files),
    }


# --- Drupal sites: inspect and diff (#4) -------------------------------------------------------

InspectJsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON (shape: docs/inspect.md).")
]


@app.command()
def inspect(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="A site name from the project file.")],
    json_out: InspectJsonFlag = False,
) -> None:
    """Describe a legacy site's content model with counts (read-only, no content shown).

    Example: pseamigrate inspect iraq --json
    """
    from pseamigrate.drupal.service import inspect_site

    data = inspect_site(_settings(ctx), site, say=None if json_out else console.info)
    console.show_inspect(data, json_out=json_out)


@app.command()
def diff(
    ctx: typer.Context,
    sites: Annotated[list[str], typer.Argument(help="Two or more site names to compare.")],
    json_out: InspectJsonFlag = False,
) -> None:
    """Show the drift between sites: bundles, fields, types, cardinality, list values.

    Example: pseamigrate diff demo iraq drc syria --json
    """
    from pseamigrate.drupal.service import diff_sites

    data = diff_sites(_settings(ctx), sites, say=None if json_out else console.info)
    console.show_diff(data, json_out=json_out)


# --- encryption at rest (#6) -------------------------------------------------------------
encryption_app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    help="Encryption at rest: check, configure, enable, rotate and back up keys.",
)
app.add_typer(encryption_app, name="encryption")

UrlEnvOption = Annotated[
    str | None,
    typer.Option(
        "--url-env",
        metavar="VAR",
        help="Environment variable holding the database URL (default: the project file's target).",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DryRunFlag = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
]
SqlFlag = Annotated[
    bool, typer.Option("--sql", help="Print the SQL for a DBA instead of running it.")
]
BasedirOption = Annotated[
    Path, typer.Option("--basedir", help="Local server directory (holds my.cnf, data/, keys/).")
]


def _target_url(ctx: typer.Context, url_env: str | None) -> Any:
    from pseamigrate.config import ConnectionSpec
    from pseamigrate.errors import ConfigError

    if url_env:
        return ConnectionSpec(url_env=url_env).resolve()
    settings = _settings(ctx)
    if settings.path is None:
        raise ConfigError("no project file: pass --config, or name a URL variable with --url-env")
    return settings.target_connection().resolve()


@encryption_app.command("status")
def encryption_status(
    ctx: typer.Context, url_env: UrlEnvOption = None, json_out: JsonFlag = False
) -> None:
    """Check that the target is encrypted at rest; exit 0 only when every check passes (else 3).

    Example: pseamigrate encryption status --url-env PSEA_TARGET_URL --json
    """
    from pseamigrate.encryption.commands import encryption_status as status
    from pseamigrate.encryption.commands import raise_if_failed

    report = status(_target_url(ctx, url_env))
    if json_out:
        console.print_json(report.as_dict())
    else:
        rows = [(c.name, c.outcome.value, c.detail, c.cis or "-") for c in report.checks]
        title = f"Encryption at rest: {report.flavor} {report.version} at {report.where}"
        console.print_table(title, ["check", "result", "detail", "CIS"], rows)
    raise_if_failed(report)


@encryption_app.command("setup")
def encryption_setup(
    basedir: BasedirOption,
    keyring: Annotated[
        str, typer.Option(help="MySQL: component (8.0.24+) or plugin (8.0 only).")
    ] = "component",
    file_key: Annotated[
        bool, typer.Option(help="MariaDB: encrypt the key file with a file key.")
    ] = True,
    dry_run: DryRunFlag = False,
) -> None:
    """Write the keyring / key files and my.cnf settings for a local server (owner-only modes).

    Example: pseamigrate encryption setup --basedir /srv/psea-db --dry-run
    """
    from pseamigrate.encryption.setup import apply_setup, plan_setup
    from pseamigrate.servers import existing_server

    server = existing_server(basedir)
    plan = plan_setup(server, keyring, file_key)
    if dry_run:
        for planned in plan.files:
            console.out.print(
                f"# {planned.path} (0600)\n{planned.shown()}", markup=False, soft_wrap=True
            )
        console.out.print(
            f"# {server.config_path} additions\n{plan.cnf_text}", markup=False, soft_wrap=True
        )
        return
    apply_setup(server, plan, console.info)
    console.info("restart the server to load the keyring, then run `pseamigrate encryption enable`")


@encryption_app.command("enable")
def encryption_enable(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    sql: SqlFlag = False,
    dry_run: DryRunFlag = False,
    purge_binlogs: Annotated[
        bool, typer.Option(help="Also purge binary logs written before binlog encryption.")
    ] = False,
) -> None:
    """Encrypt the system tablespace, logs and every table of the target (idempotent).

    Example: pseamigrate encryption enable --sql > encrypt.sql
    """
    from pseamigrate.encryption.commands import enable_encryption

    url = _target_url(ctx, url_env)
    plan = enable_encryption(url, sql or dry_run, console.info, purge_binlogs)
    for step in plan.statements if (sql or dry_run) else []:
        console.out.print(
            f"{step.sql};" if sql else f"would run: {step.label}", markup=False, soft_wrap=True
        )
    for note in plan.notes:
        console.info(f"note: {note}")
    if not (sql or dry_run):
        console.info(f"done: {len(plan.statements)} statements run")


@encryption_app.command("rotate")
def encryption_rotate(
    ctx: typer.Context,
    url_env: UrlEnvOption = None,
    basedir: Annotated[
        Path | None, typer.Option(help="MariaDB: add a new key id to this local server's key file.")
    ] = None,
    sql: SqlFlag = False,
    dry_run: DryRunFlag = False,
) -> None:
    """Rotate keys: MySQL master key; MariaDB re-keys tables to the default key id.

    Example: pseamigrate encryption rotate --basedir /srv/psea-db   # MariaDB step 1, then restart
    """
    if basedir is not None:
        from pseamigrate.encryption.backup import new_mariadb_key
        from pseamigrate.servers import existing_server

        key_id = new_mariadb_key(existing_server(basedir), dry_run=sql or dry_run)
        done = "would add" if sql or dry_run else "added"
        console.info(f"{done} key id {key_id} as the default: restart, then `encryption rotate`")
        return
    from pseamigrate.encryption.commands import rotate_keys

    plan = rotate_keys(_target_url(ctx, url_env), dry_run=sql or dry_run, on_step=console.info)
    for step in plan if (sql or dry_run) else []:
        console.out.print(
            f"{step.sql};" if sql else f"would run: {step.label}", markup=False, soft_wrap=True
        )


@encryption_app.command("backup-key")
def encryption_backup_key(
    dest: Annotated[Path, typer.Argument(help="Directory for the copy (created 0700).")],
    basedir: BasedirOption,
    verify: Annotated[
        bool, typer.Option(help="Prove the copy opens the data (server stopped).")
    ] = True,
    dry_run: DryRunFlag = False,
) -> None:
    """Copy the key files owner-only, then prove they open the data in a scratch copy.

    Example: pseamigrate encryption backup-key /root/psea-keys-2026-11 --basedir /srv/psea-db
    """
    from pseamigrate.encryption.backup import backup_and_verify
    from pseamigrate.servers import existing_server

    report = backup_and_verify(existing_server(basedir), dest, verify, dry_run)
    for path in report.files:
        done = "would copy" if dry_run else "copied"
        console.out.print(f"{done} {path.name} -> {path} (0600)", markup=False, soft_wrap=True)
    if report.verified_tables is not None:
        tables = report.verified_tables
        console.out.print(f"verified: the backup opened {tables} encrypted tables", markup=False)


# --- schema and mappings (#5) -------------------------------------------------------------------

schema_app = typer.Typer(cls=_Group, no_args_is_help=True, help="The consolidated target schema.")
app.add_typer(schema_app, name="schema")

TargetUrlEnvOption = Annotated[
    str | None,
    typer.Option(
        "--url-env",
        help="Environment variable holding the target URL (instead of the project file's target).",
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", help="Canonical model file (default: mappings/model.yaml).", dir_okay=False
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SqlOption = Annotated[
    bool, typer.Option("--sql", help="Also print each change's SQL (with --dry-run: for a DBA).")
]


def _model(path: Path | None) -> Any:
    from pseamigrate.target.model import load_model

    return load_model(path)


def _schema_write(
    ctx: typer.Context,
    url_env: str | None,
    model: Path | None,
    action: str,
    dry_run: bool,
    json_out: bool,
    sql: bool = False,
) -> None:
    from pseamigrate.target import commands

    canonical = _model(model)
    url = commands.target_url(_settings(ctx), url_env)
    run = commands.create_schema if action == "create" else commands.upgrade_schema
    result = commands.with_engine(url, lambda engine: run(engine, canonical, dry_run))
    console.show_schema_result(result, action, json_out, sql)


@schema_app.command("create")
def schema_create(
    ctx: typer.Context,
    url_env: TargetUrlEnvOption = None,
    model: ModelOption = None,
    dry_run: DryRunOption = False,
    json_out: JsonOption = False,
    sql: SqlOption = False,
) -> None:
    """Create the target tables in an empty database (refuses one holding anything else).

    Example: pseamigrate schema create --url-env PSEA_TARGET_URL --dry-run
    """
    _schema_write(ctx, url_env, model, "create", dry_run, json_out, sql)


@schema_app.command("upgrade")
def schema_upgrade(
    ctx: typer.Context,
    url_env: TargetUrlEnvOption = None,
    model: ModelOption = None,
    dry_run: DryRunOption = False,
    json_out: JsonOption = False,
    sql: SqlOption = False,
) -> None:
    """Add the model's missing tables, columns and indexes; never drop (exit 3 if it would).

    Example: pseamigrate schema upgrade --dry-run
    """
    _schema_write(ctx, url_env, model, "upgrade", dry_run, json_out, sql)


@schema_app.command("show")
def schema_show(
    ctx: typer.Context,
    url_env: TargetUrlEnvOption = None,
    model: ModelOption = None,
    sql: Annotated[bool, typer.Option("--sql", help="Print the DDL the model creates.")] = False,
    from_model: Annotated[
        bool, typer.Option("--from-model", help="Show the model's schema; connect to nothing.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Print the logical schema of the target (types as MySQL and MariaDB both read them).

    Example: pseamigrate schema show --url-env PSEA_TARGET_URL --json
    """
    from pseamigrate.target import commands, logical

    canonical = _model(model)
    if sql:
        console.out.print(commands.schema_ddl(canonical), markup=False, end="")
        return
    if from_model:
        schema = commands.show_schema(None, canonical)
    else:
        engine = commands.open_target(commands.target_url(_settings(ctx), url_env))
        try:
            schema = commands.show_schema(engine)
        finally:
            engine.dispose()
    if json_out:
        console.print_json(logical.as_json(schema))
    else:
        console.print_lines(logical.render(schema))


@schema_app.command("docs")
def schema_docs(
    model: ModelOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Where to write (default docs/schema.md).", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write docs/schema.md from the canonical model.

    Example: pseamigrate schema docs -o docs/schema.md
    """
    from pseamigrate.target.commands import DOCS_PATH
    from pseamigrate.target.docs import render_schema_docs

    path = output or DOCS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_schema_docs(_model(model)), encoding="utf-8")
    console.info(f"wrote {path}")


mappings_app = typer.Typer(cls=_Group, no_args_is_help=True, help="Per-site YAML mappings.")
app.add_typer(mappings_app, name="mappings")


@mappings_app.command("scaffold")
def mappings_scaffold(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="Site name from the project file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead.", dir_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    model: ModelOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the mapping instead of writing it.")
    ] = False,
) -> None:
    """Write a first mapping for SITE from its live content model (then edit every TODO).

    Example: pseamigrate mappings scaffold iraq -o mappings/sites/iraq.yaml
    """
    from pseamigrate.mapping import commands

    site_settings = _settings(ctx).site(site)
    path = commands.scaffold_path(site_settings, output, force or dry_run)
    site_model = commands.read_site_model(site_settings)
    text = commands.scaffold_text(site_settings, site_model, _model(model))
    if dry_run:
        console.out.print(text, markup=False, end="")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    console.info(f"wrote {path}: {text.count('TODO')} TODO(s) to resolve")


@mappings_app.command("check")
def mappings_check(
    ctx: typer.Context,
    sites: Annotated[list[str] | None, typer.Argument(help="Sites (default: all).")] = None,
    model: ModelOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check each site's mapping against the live site: every field mapped or ignored, types fit.

    Example: pseamigrate mappings check iraq drc
    """
    from pseamigrate.mapping import commands

    results = commands.check_sites(_settings(ctx), sites or [], _model(model))
    console.show_mapping_checks(results, json_out)
    if any(result.problems for result in results):
        raise typer.Exit(EXIT_FAILED)


@mappings_app.command("validate")
def mappings_validate(
    files: Annotated[list[Path], typer.Argument(help="Mapping files.", dir_okay=False)],
    json_out: JsonOption = False,
) -> None:
    """Load mapping files without a site: YAML syntax, keys, process steps and callbacks.

    Example: pseamigrate mappings validate mappings/sites/*.yaml
    """
    from pseamigrate.mapping import commands

    results = commands.validate_files(files)
    console.show_mapping_checks(results, json_out)
    if any(result.problems for result in results):
        raise typer.Exit(EXIT_FAILED)


# --- end of schema and mappings (#5) ------------------------------------------------------------


def main() -> None:
    """Run the CLI (the `pseamigrate` entry point)."""
    try:
        app()
    except PseamigrateError as exc:  # raised outside a command, e.g. in a callback
        console.error(str(exc))
        raise SystemExit(EXIT_FAILED) from None
