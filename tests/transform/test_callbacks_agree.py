"""The mapping language's callback declarations and the transform's implementations agree."""

from __future__ import annotations

from pseamigrate.mapping.model import CALLBACK_RETURNS
from pseamigrate.target.model import COLUMN_TYPES
from pseamigrate.transform.callbacks import CALLBACKS


def test_every_declared_callback_is_implemented_with_the_declared_type() -> None:
    implemented = {name: callback.returns for name, callback in CALLBACKS.items()}
    assert implemented == CALLBACK_RETURNS


def test_declared_types_are_model_column_types_or_any() -> None:
    assert set(CALLBACK_RETURNS.values()) <= COLUMN_TYPES | {"any"}


def test_implementations_are_callable_with_one_value() -> None:
    assert all(callable(callback.function) for callback in CALLBACKS.values())
    assert CALLBACKS["to_int"].function("12") == 12
