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


# --- Hostile blobs (#15): limits, references ----------------------------------------------------


def test_deep_nesting_is_a_clear_error_not_a_recursion_error() -> None:
    blob = b"a:1:{i:0;" * 5000 + b"N;" + b"}" * 5000  # 45 KB, deeper than Python's stack
    with pytest.raises(
        CorruptSerializedData, match=f"deeper than the limit of {phpdata.MAX_DEPTH}"
    ):
        phpdata.loads(blob)


def test_nesting_up_to_the_limit_decodes() -> None:
    depth = phpdata.MAX_DEPTH
    value = phpdata.loads(b"a:1:{i:0;" * depth + b"i:7;" + b"}" * depth)
    for _ in range(depth):
        value = value[0]
    assert value == 7


def test_a_blob_over_the_size_limit_is_refused_before_decoding() -> None:
    blob = b's:%d:"%s";' % (phpdata.MAX_BYTES, b"x" * phpdata.MAX_BYTES)
    with pytest.raises(CorruptSerializedData, match=f"limit of {phpdata.MAX_BYTES} bytes"):
        phpdata.loads(blob)


def test_too_many_values_is_refused() -> None:
    count = phpdata.MAX_VALUES + 1
    blob = b"a:%d:{" % count + b"".join(b"i:%d;i:0;" % i for i in range(count)) + b"}"
    assert len(blob) < phpdata.MAX_BYTES
    with pytest.raises(CorruptSerializedData, match=f"limit of {phpdata.MAX_VALUES}"):
        phpdata.loads(blob)


def test_references_resolve_to_the_earlier_value() -> None:
    # PHP: $o = new stdClass; $o->x = 5; serialize([$o, $o, &$a, &$a]) with $a = "v"
    blob = b'a:4:{i:0;O:8:"stdClass":1:{s:1:"x";i:5;}i:1;r:2;i:2;s:1:"v";i:3;R:5;}'
    assert phpdata.loads(blob) == [{"x": 5}, {"x": 5}, "v", "v"]


def test_a_reference_bomb_is_bounded() -> None:
    # level d (slot d) holds level d + 1 and a reference to it: 2**40 values if expanded
    blob = b"a:2:{i:0;i:1;i:1;i:1;}"
    for depth in range(40, 0, -1):
        blob = b"a:2:{i:0;" + blob + b"i:1;r:%d;}" % (depth + 1)
    with pytest.raises(CorruptSerializedData, match=f"limit of {phpdata.MAX_VALUES}"):
        phpdata.loads(blob)


@pytest.mark.parametrize("blob", [b"a:1:{i:0;R:1;}", b"a:1:{i:0;r:1;}", b"a:1:{i:0;r:9;}"])
def test_cycles_and_dangling_references_are_clear_errors(blob: bytes) -> None:
    with pytest.raises(CorruptSerializedData, match="reference"):
        phpdata.loads(blob)


@pytest.mark.parametrize(
    ("blob", "value"),
    [
        (b"b:1;", True),
        (b"i:-12;", -12),
        (b"d:0.5;", 0.5),
        (b"d:-INF;", float("-inf")),
        (b'E:11:"Suit:Hearts";', "Suit:Hearts"),
        (b"a:0:{}", {}),
    ],
)
def test_scalars_and_enums(blob: bytes, value: object) -> None:
    assert phpdata.loads(blob) == value
