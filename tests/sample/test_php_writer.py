"""The generator's own PHP serialize() writer (#25): byte for byte phpserialize's output (the
package stays a dev dependency as this independent check), read back by the reader, bounded."""

from __future__ import annotations

from typing import Any

import phpserialize
import pytest

from pseamigrate.drupal import phpdata
from pseamigrate.sample.php import MAX_DEPTH, PhpObject, dumps

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**40,
    1.5,
    -0.1,
    1e300,
    "",
    "Réclamation عربي 😀",
    b"\x00raw\xff",
    [],
    {},
    [1, "a", None, [True, 2.5]],
    {"b": 1, "a": {"nested": [1, 2]}, 3: "three", 0: False, None: "none"},
    (1, 2, 3),
    {"\x00*\x00protected": "x", 1.9: "float key", True: "bool key"},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_writer_writes_what_phpserialize_writes(value: Any) -> None:
    assert dumps(value) == phpserialize.dumps(value)


def test_objects_are_written_as_phpserialize_writes_them() -> None:
    properties = {"language": "en", "weight": 0, "enabled": True, "items": {"a": [1]}}
    ours = dumps({"x": PhpObject("Drupal\\field\\Entity\\FieldConfig", properties)})
    theirs = phpserialize.dumps(
        {"x": phpserialize.phpobject(b"Drupal\\field\\Entity\\FieldConfig", properties)}
    )
    assert ours == theirs
    assert ours.startswith(b'a:1:{s:1:"x";O:31:"Drupal\\field\\Entity\\FieldConfig":4:{')


def test_the_reader_reads_what_the_writer_wrote() -> None:
    value = {"settings": {"allowed_values": ["open", "closed"]}, "label": "Catégorie", "n": 3}
    assert phpdata.loads(dumps(value)) == value


def test_a_value_that_holds_itself_is_refused_not_recursed_forever() -> None:
    nested: list[Any] = []
    nested.append(nested)
    with pytest.raises(ValueError, match=f"deeper than the limit of {MAX_DEPTH}"):
        dumps(nested)


def test_values_php_has_no_form_for_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot serialize a set"):
        dumps({1, 2})
    with pytest.raises(TypeError, match="as a PHP array key"):
        dumps({(1, 2): "tuple key"})
