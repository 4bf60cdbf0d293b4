"""Recipes as data (#11): shipped recipes load, parameters are checked, values are quoted."""

from __future__ import annotations

import json
import shlex

import pytest

from pseamigrate.deploy.recipes import list_recipes, load_recipe, plan_recipe
from pseamigrate.deploy.run import parse_host
from pseamigrate.errors import UsageProblem
from tests.country.helpers import cli


def test_shipped_recipes_load_and_render_with_their_required_params() -> None:
    names = {recipe.name for recipe in list_recipes()}
    assert {"provision-target", "new-country", "backup"} <= names
    for recipe in list_recipes():
        given = {p.name: "x" for p in recipe.params if p.required}
        plan = plan_recipe(recipe, given)
        assert plan.steps and all(step.command for step in plan.steps), recipe.name
        assert recipe.summary and recipe.version


def test_values_are_shell_quoted_so_a_parameter_cannot_inject_a_command() -> None:
    plan = plan_recipe(
        load_recipe("new-country"),
        {"code": "iq", "name": "Iraq; rm -rf /", "root": "/srv/p q", "option_file": "/o"},
    )
    words = shlex.split(plan.steps[0].command)
    assert "name=Iraq; rm -rf /" in words and "/srv/p q" in words
    assert "--locations" not in words  # an empty optional value leaves its option out


def test_parameter_problems_are_reported_at_once() -> None:
    with pytest.raises(UsageProblem) as caught:
        plan_recipe(load_recipe("provision-target"), {"flavor": "oracle", "colour": "red"})
    message = str(caught.value)
    assert "colour: unknown parameter" in message
    assert "basedir: required" in message
    assert "flavor: must be one of mariadb, mysql" in message


def test_unknown_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _out, err = cli(monkeypatch, None, "deploy", "nope", "--dry-run")
    assert code == 2 and "unknown recipe 'nope' (known: backup, health-timer, new-country" in err


def test_dry_run_lists_commands_and_secret_names_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSEA_BACKUP_PASSPHRASE", "pass-Zq81-never-shown")
    args = ["deploy", "backup", "--host", "root@db.invalid:2222", "--dry-run", "--json"]
    args += ["--set", "basedir=/srv/db", "--set", "dest=/b"]
    code, out, err = cli(monkeypatch, None, *args)
    assert code == 0, err
    plan = json.loads(out)
    assert plan["host"] == "root@db.invalid:2222" and plan["ran"] is None
    assert plan["secrets"] == ["PSEA_BACKUP_PASSPHRASE"]
    assert [s["name"] for s in plan["steps"]][:2] == ["dump", "restore check"]
    assert "pass-Zq81-never-shown" not in out + err


@pytest.mark.parametrize(
    ("text", "user", "host", "port"),
    [
        ("root@db1:2222", "root", "db1", 2222),
        ("db1", None, "db1", 22),
        ("a@10.0.0.5", "a", "10.0.0.5", 22),
    ],
)
def test_parse_host(text: str, user: str | None, host: str, port: int) -> None:
    parsed = parse_host(text)
    assert (parsed.user, parsed.host, parsed.port) == (user, host, port)


@pytest.mark.parametrize("text", ["root@", "a b@c", "root@db:99999"])
def test_bad_host_is_a_usage_problem(text: str) -> None:
    with pytest.raises(UsageProblem):
        parse_host(text)
