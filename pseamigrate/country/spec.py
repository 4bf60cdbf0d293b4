"""Read a rendered country folder (`countries/CODE/`) into what the target should hold.

The folder is the operator's to review and edit; `plan` and `apply` read it as it is now. The
messages name files and keys, never the values (e-mails, names).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pseamigrate.config import is_env_name
from pseamigrate.country.template import CODE_RE, EMAIL_RE
from pseamigrate.errors import ConfigError, UsageProblem
from pseamigrate.names import check_tenant_code

ADMIN_ROLE = "administrator"
FOCAL_ROLE = "psea_focal_point"


@dataclass(frozen=True)
class Place:
    """One seeded location."""

    code: str
    name: str
    parent: str
    weight: int


@dataclass(frozen=True)
class CountrySpec:
    """What `country apply` makes the target hold for one tenant."""

    code: str
    name: str
    template: str
    template_version: str
    admin_email: str
    focal_points: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (source id, name)
    locations: tuple[Place, ...]
    organisations: tuple[str, ...]
    folder: Path


def country_dir(root: Path, code: str) -> Path:
    """Return `root/countries/CODE`, refusing a code that is not one (no path tricks)."""
    check_tenant_code(code)  # the rule every tenant code meets; the template's is stricter
    if not CODE_RE.match(code):
        raise UsageProblem(f"{code!r} is not a tenant code (2-16 lower-case letters, digits, _)")
    return root / "countries" / code


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        raise ConfigError(f"{path} is missing: run `pseamigrate country new` first") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: must be a mapping")
    return doc


def _need(doc: dict[str, Any], key: str, path: Path, kind: type = str) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or (kind is str and not value):
        raise ConfigError(f"{path}: {key}: required ({kind.__name__})")
    return value


def load_country(folder: Path) -> CountrySpec:
    """Read `country.yaml`, `roles.yaml` and `vocabularies.yaml` of a country folder."""
    country = _load(folder / "country.yaml")
    path = folder / "country.yaml"
    code = _need(country, "code", path)
    if code != folder.name:
        raise ConfigError(f"{path}: code: must be the folder's name {folder.name!r}")
    email = _admin_email(_need(country, "administrator", path, dict), path)
    roles = _roles(folder / "roles.yaml")
    focal_points = _focal_points(country, path)
    if focal_points and FOCAL_ROLE not in {source for source, _name in roles}:
        raise ConfigError(f"{folder / 'roles.yaml'}: roles: must include {FOCAL_ROLE!r}")
    return CountrySpec(
        code=code,
        name=_need(country, "name", path),
        template=_need(country, "template", path),
        template_version=str(country.get("template_version", "")),
        admin_email=email,
        focal_points=focal_points,
        roles=roles,
        locations=_places(folder / "vocabularies.yaml"),
        organisations=_organisations(folder / "vocabularies.yaml"),
        folder=folder,
    )


def _admin_email(admin: dict[str, Any], path: Path) -> str:
    """Read the administrator's e-mail from the variable `email_env` names (#24 item 10)."""
    if "email" in admin:
        raise ConfigError(
            f"{path}: administrator.email: an e-mail never goes in YAML; put it in an environment "
            "variable and name it with email_env (e.g. email_env: PSEA_ADMIN_EMAIL)"
        )
    name = admin.get("email_env")
    if not isinstance(name, str) or not is_env_name(name):
        raise ConfigError(f"{path}: administrator.email_env: required, e.g. PSEA_ADMIN_EMAIL")
    email = os.environ.get(name, "")
    if not email:
        raise ConfigError(f"{path}: administrator.email_env: set ${name} to the e-mail")
    if not EMAIL_RE.match(email):
        raise ConfigError(f"{path}: administrator.email_env: ${name} is not an e-mail address")
    return email


def _focal_points(country: dict[str, Any], path: Path) -> tuple[str, ...]:
    emails = country.get("focal_points") or []
    if not isinstance(emails, list) or not all(EMAIL_RE.match(str(e)) for e in emails):
        raise ConfigError(f"{path}: focal_points: must be a list of e-mail addresses")
    return tuple(str(e) for e in emails)


def _roles(path: Path) -> tuple[tuple[str, str], ...]:
    roles = _need(_load(path), "roles", path, list)
    pairs = []
    for number, role in enumerate(roles):
        if not isinstance(role, dict) or not role.get("id") or not role.get("name"):
            raise ConfigError(f"{path}: roles[{number}]: needs 'id' and 'name'")
        pairs.append((str(role["id"]), str(role["name"])))
    if ADMIN_ROLE not in {source for source, _name in pairs}:
        raise ConfigError(f"{path}: roles: must include {ADMIN_ROLE!r}")
    return tuple(pairs)


def _places(path: Path) -> tuple[Place, ...]:
    doc = _load(path)
    places = []
    for number, item in enumerate(doc.get("location") or []):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            raise ConfigError(f"{path}: location[{number}]: needs 'code' and 'name'")
        parent = str(item.get("parent") or "")
        places.append(
            Place(str(item["code"]), str(item["name"]), parent, int(item.get("weight", 0)))
        )
    codes = {place.code for place in places}
    if len(codes) != len(places):
        raise ConfigError(f"{path}: location: a code appears twice")
    for number, place in enumerate(places):
        if place.parent and place.parent not in codes:
            raise ConfigError(f"{path}: location[{number}]: parent {place.parent!r} does not exist")
    return _parents_first(places, path)


def _parents_first(places: list[Place], path: Path) -> tuple[Place, ...]:
    placed: set[str] = set()
    ordered: list[Place] = []
    while len(ordered) < len(places):
        ready = [p for p in places if p.code not in placed and (not p.parent or p.parent in placed)]
        if not ready:
            raise ConfigError(f"{path}: location: the parents form a cycle")
        ordered += ready
        placed |= {p.code for p in ready}
    return tuple(ordered)


def _organisations(path: Path) -> tuple[str, ...]:
    names = _load(path).get("organisation") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f"{path}: organisation: must be a list of names")
    return tuple(name.strip() for name in names)
