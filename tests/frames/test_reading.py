"""Tests of the reader of the shared options (retention.frames.reading)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.errors import ColumnNotFoundError, InvalidParameterError
from retention.frames.reading import read_with_options, shared_options
from retention.frames.schema import OPTION_DOCS, read_transactions

SHARED = list(OPTION_DOCS)


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "buyer": ["b", "a", "b", "c", "a", "c"],
            "day": pd.to_datetime(
                ["2024-01-03", "2024-01-01", "2024-02-10", "2024-02-11", "2024-03-01", "2024-03-05"]
            ),
            "value": [10.0, 5.0, -3.0, 7.0, 2.5, -7.0],
            "order": [1, 2, 3, 4, 5, 6],
            "channel": ["web", "shop", "web", "web", "shop", "web"],
        }
    )


@given(
    st.dictionaries(
        st.sampled_from([*SHARED, "tx", "freq", "func", "margin", "kind"]),
        st.integers(),
        max_size=12,
    )
)
def test_shared_options_are_exactly_the_shared_names(arguments: dict[str, Any]) -> None:
    picked = shared_options(arguments)
    assert picked == {k: v for k, v in arguments.items() if k in OPTION_DOCS}
    assert list(picked) == [name for name in SHARED if name in arguments]  # signature order


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"observation_end": "2024-02-10"},
        {"returns": "drop"},
        {"order_id": "order", "by": "channel"},
        {"amount": None},
    ],
)
def test_reads_as_the_options_written_out(options: dict[str, Any]) -> None:
    tx = _table()
    given_options = {"customer_id": "buyer", "date": "day", "amount": "value", **options}

    def public(
        tx: pd.DataFrame,
        *,
        customer_id: Any = "customer_id",
        date: Any = "date",
        amount: Any = "amount",
        order_id: Any = None,
        observation_end: object = None,
        returns: str = "net",
        by: object = None,
        freq: str = "M",
    ) -> Any:
        unrelated = "not an option"  # bound after locals(): never read
        t = read_with_options(tx, locals(), func="public")
        assert unrelated
        return t

    got = public(tx, **given_options)
    expected = read_transactions(tx, **given_options, func="public")
    for name in ("customer", "day", "n_customers", "end_day"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert list(got.customer_ids) == list(expected.customer_ids)
    assert (got.groups is None) == (expected.groups is None)


def test_an_option_the_function_lacks_keeps_the_readers_default() -> None:
    tx = _table().rename(columns={"buyer": "customer_id", "day": "date", "value": "amount"})

    def without_by(tx: pd.DataFrame, *, customer_id: Any = "customer_id") -> Any:
        return read_with_options(tx, locals(), func="without_by")

    t = without_by(tx)
    assert t.groups is None
    assert t.amount is None  # read_transactions' own default: no amounts


def test_flags_and_errors_pass_through() -> None:
    tx = _table()
    options = {"customer_id": "buyer", "date": "day", "amount": None}
    with pytest.raises(InvalidParameterError, match="The 'amount' parameter of f must name"):
        read_with_options(tx, options, func="f", amount_required=True)
    with pytest.raises(ColumnNotFoundError, match="missing"):
        read_with_options(tx, {**options, "customer_id": "missing"}, func="f")
