"""phpdata: PHP-serialized blobs to plain Python values."""

from __future__ import annotations

import phpserialize
import pytest

from pseamigrate.drupal import phpdata
from pseamigrate.errors import CorruptSerializedData


def test_lists_become_lists_and_bytes_become_str() -> None:
    blob = phpserialize.dumps({0: b"a", 1: b"b", 2: {b"k": 1}})
    assert phpdata.loads(blob) == ["a", "b", {"k": 1}]


def test_associative_arrays_keep_keys_as_str() -> None:
    blob = phpserialize.dumps({b"value": b"x", 3: True, 5: None, b"f": 1.5})
    assert phpdata.loads(blob) == {"value": "x", "3": True, "5": None, "f": 1.5}


def test_int_keys_not_starting_at_zero_are_not_a_list() -> None:
    # allowed values keyed 1, 2 are PHP's associative array, not a list
    assert phpdata.loads(phpserialize.dumps({1: b"one", 2: b"two"})) == {"1": "one", "2": "two"}


def test_utf8_text_and_str_input() -> None:
    blob = phpserialize.dumps({b"label": "Réclamation عربي".encode()})
    assert phpdata.loads(blob.decode("utf-8")) == {"label": "Réclamation عربي"}


def test_php_objects_become_dicts() -> None:
    blob = b'O:8:"stdClass":2:{s:1:"a";i:1;s:1:"b";a:1:{i:0;s:1:"x";}}'
    assert phpdata.loads(blob) == {"a": 1, "b": ["x"]}


def test_none_is_none() -> None:
    assert phpdata.loads(None) is None


@pytest.mark.parametrize(
    "blob",
    [b'a:2:{s:5:"label";s:20:"Secret survivor name', b"x:1:{}", b'a:1:{s:3:"abc"', b""],
)
def test_corrupt_blobs_raise_a_typed_error_without_the_data(blob: bytes) -> None:
    with pytest.raises(CorruptSerializedData) as caught:
        phpdata.loads(blob)
    assert "corrupt PHP-serialized data" in str(caught.value)
    assert "Secret" not in str(caught.value)
    assert "survivor" not in str(caught.value)
