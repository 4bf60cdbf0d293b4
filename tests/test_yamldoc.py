"""The one unknown-key check shared by the project file, the mappings and the model."""

from __future__ import annotations

from pseamigrate.yamldoc import Problem, parse_located, unknown_keys


def test_unknown_keys_of_a_located_document_name_file_line_and_path() -> None:
    doc = parse_located(
        "sites:\n  iraq:\n    tenant: iq\n    conection: {}\n    x-note: 1\n", "p.yaml"
    )
    found = unknown_keys(doc["sites"]["iraq"], {"tenant", "connection"}, "sites.iraq")
    assert found == [
        Problem(
            "p.yaml",
            4,
            "sites.iraq.conection",
            "unknown key 'conection' (known: connection, tenant)",
        )
    ]


def test_unknown_keys_of_a_plain_dict_have_no_line() -> None:
    (problem,) = unknown_keys({"targt": {}, "sites": {}}, {"sites", "target"})
    assert (problem.file, problem.line, problem.path) == ("", 0, "targt")
