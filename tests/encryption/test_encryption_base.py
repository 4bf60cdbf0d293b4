"""The pieces MySQL and MariaDB share (encryption/base.py), as strings: no server needed."""

from __future__ import annotations

from pseamigrate.encryption.base import (
    Outcome,
    Statement,
    TableState,
    alter_tables,
    keyring_check,
    missing_schema,
    plaintext_innodb,
)

TABLES = [
    TableState("done", "InnoDB", True, "key id 1"),
    TableState("plain", "InnoDB", False),
    TableState("odd`name", "InnoDB", False),
    TableState("legacy", "MyISAM", False),
]


def test_only_plaintext_innodb_tables_are_rebuilt() -> None:
    assert [t.name for t in plaintext_innodb(TABLES)] == ["plain", "odd`name"]


def test_alter_tables_quotes_names_and_labels_each_table() -> None:
    plan = alter_tables("psea", plaintext_innodb(TABLES), "ENCRYPTED = YES")
    assert plan == [
        Statement("ALTER TABLE `psea`.`plain` ENCRYPTED = YES", "table psea.plain", "plain"),
        Statement(
            "ALTER TABLE `psea`.`odd``name` ENCRYPTED = YES", "table psea.odd`name", "odd`name"
        ),
    ]


def test_keyring_check_passes_only_with_an_active_keyring() -> None:
    assert keyring_check("file_key_management", "none").outcome is Outcome.PASS
    missing = keyring_check(None, "no encryption plugin active")
    assert (missing.outcome, missing.detail, missing.cis) == (
        Outcome.FAIL,
        "no encryption plugin active",
        "4.10",
    )


def test_a_missing_schema_is_one_failed_check() -> None:
    [check] = missing_schema("psea")
    assert (check.name, check.outcome, check.detail) == (
        "schema psea",
        Outcome.FAIL,
        "does not exist",
    )
