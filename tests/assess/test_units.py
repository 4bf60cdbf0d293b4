"""Pure parts of assess and its helpers: normalised e-mails, capped ids, charsets, mapping fate,
files_dir checks, and `make_engine` with a string URL (docs/inspect.md's example)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from pseamigrate.assess.fate import MappingView
from pseamigrate.assess.findings import MAX_IDS, capped
from pseamigrate.assess.identities import Identities, identity_findings, normalise
from pseamigrate.config import ConnectionSpec, SiteSettings
from pseamigrate.db import make_engine
from pseamigrate.drupal.facts import charset_of
from pseamigrate.mapping.load import load_mapping
from pseamigrate.resources import MAPPINGS_DIR
from pseamigrate.servers import LocalServer
from pseamigrate.sitefiles import check_files_dir, local_file
from pseamigrate.target.model import load_model


def test_mail_normalised_up_to_case_and_spaces() -> None:
    assert normalise("  Synthetic.Person.1@Example.ORG ") == "synthetic.person.1@example.org"
    assert normalise("a b@x.org") == "ab@x.org"


def test_findings_carry_every_id() -> None:
    assert capped(range(100)) == tuple(range(100)) and MAX_IDS == 20
    assert capped([3, 1]) == (3, 1)


def test_charset_of_collations() -> None:
    assert charset_of("utf8_general_ci") == "utf8mb3"
    assert charset_of("utf8mb3_general_ci") == "utf8mb3"
    assert charset_of("latin1_swedish_ci") == "latin1"
    assert charset_of("utf8mb4_0900_ai_ci") == "utf8mb4"


def test_identities_merge_across_sites_and_flag_one_site_twice() -> None:
    ids = Identities()
    ids.add("demo", 5, "a.person@example.org")
    ids.add("iraq", 7, " A.Person@Example.org ")
    ids.add("iraq", 8, "other@example.org")
    ids.add("iraq", 9, "OTHER@example.org")
    ids.add("drc", 2, None)
    found = {f.check: f for f in identity_findings(ids)}
    assert found["shared_identity"].ids == ("demo:5+iraq:7",)
    assert found["mail_case_or_spaces"].count == 2
    assert (found["same_mail_on_one_site"].site, found["same_mail_on_one_site"].ids) == (
        "iraq",
        ("iraq:8+iraq:9",),
    )
    assert found["no_mail"].ids == (2,)
    text_out = repr(list(identity_findings(ids)))
    assert "example.org" not in text_out


def test_fate_follows_the_shipped_mapping_and_the_model() -> None:
    view = MappingView(load_mapping(MAPPINGS_DIR / "sites" / "drc.yaml"), load_model())
    ref = view.fate("node", "referral", "field_complaint_ref")
    assert (ref.kind, ref.table, ref.column) == ("column", "referrals", "complaint_id")
    assert ref.step("lookup") is not None
    narrative = view.fate("node", "complaint", "field_narrative")
    assert (narrative.sql_type, narrative.capacity) == ("LONGTEXT", 4_294_967_295)
    assert view.fate("node", "complaint", "field_old_case_number").kind == "extra"
    assert view.fate("node", "complaint", "field_nowhere").kind == "unmapped"
    assert "vocabulary location" in view.fate("taxonomy_term", "location", "field_code").text
    phone = view.fate("user", "user", "field_phone")  # the run keeps account fields (#22)
    assert phone.migrated and "kept in the account's extra" in phone.text
    assert MappingView(None, load_model()).fate("node", "complaint", "x").kind == "none"


def test_files_dir_checks(tmp_path: Path) -> None:
    def site(files_dir: str | None) -> SiteSettings:
        return SiteSettings("s", "t", ConnectionSpec(url_env="X"), files_dir=files_dir)

    (tmp_path / "files" / "a").mkdir(parents=True)
    (tmp_path / "files" / "a" / "b.pdf").write_bytes(b"%PDF")
    status = check_files_dir(site(str(tmp_path)), None)
    assert status.ok and status.missing_subfolders == ("private",)
    assert local_file(tmp_path, "public://a/b.pdf") == tmp_path / "files" / "a" / "b.pdf"
    assert local_file(tmp_path, "private://x.pdf") is None
    assert local_file(tmp_path, "public://../../etc/passwd") is None  # never outside files_dir
    assert not check_files_dir(site(str(tmp_path / "nope")), None).ok
    relative = check_files_dir(site("files/.."), tmp_path / "pseamigrate.yaml")
    assert relative.ok and relative.path == str(tmp_path / "files" / "..")
    assert not check_files_dir(site(str(tmp_path / "files" / "a")), None).ok  # no subfolders
    assert check_files_dir(site("ssh://host/srv"), None).reason == "remote, not checked"


def test_make_engine_takes_a_string_url(mariadb_server: LocalServer) -> None:
    engine = make_engine(f"mysql://root@127.0.0.1:{mariadb_server.port}/mysql")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT DATABASE()")).scalar() == "mysql"
    finally:
        engine.dispose()
