"""Reading on several threads gives the table read on one, to the last bit.

The passes of the reader that run on threads (``core.parallel``) are forced onto three threads and onto
blocks of a few rows, then checked against pandas (the first purchase's group, by the rule written out in
``test_breakdown``) and against the same reading on one thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention.core import parallel
from retention.frames import schema
from retention.frames.schema import Transactions, read_transactions
from tests.frames.test_breakdown import expected_groups, group_of, log_of, row, same_groups
from tests.frames.test_schema import check_text_codes, id_text


@pytest.fixture(scope="module")
def small_blocks() -> Iterator[None]:
    """Blocks of eight rows (two for the quarter-size blocks), on three threads, for any table."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "_ROW_BLOCK", 8)
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        yield


def arrays(t: Transactions) -> list[np.ndarray[Any, Any]]:
    assert t.groups is not None
    return [t.customer, t.day, t.return_customer, t.return_day, t.groups.codes]


@given(
    st.lists(row, min_size=1, max_size=40),
    st.sampled_from([None, "order_id"]),
    st.sampled_from([None, "2024-01-04"]),
    st.sampled_from(["net", "drop"]),
)
@settings(
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_threads_read_the_groups_and_codes_of_one_thread(
    small_blocks: None,
    rows: list[tuple[Any, ...]],
    order_id: str | None,
    end: str | None,
    returns: str,
) -> None:
    tx = log_of(rows)
    options: dict[str, Any] = {
        "amount": "amount",
        "order_id": order_id,
        "observation_end": end,
        "returns": returns,
        "by": "channel",
        "func": "test",
    }
    many = read_transactions(tx, **options)
    same_groups(group_of(many), expected_groups(tx, order_id=order_id, end=end, returns=returns))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(parallel.THREADS_VARIABLE, "1")
        one = read_transactions(tx, **options)
    for a, b in zip(arrays(many), arrays(one), strict=True):
        np.testing.assert_array_equal(a, b, strict=True)
    assert many.customer_ids.equals(one.customer_ids)


@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 5), min_size=1, max_size=300))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_threads_code_keys_as_one_thread(small_blocks: None, keys: list[int]) -> None:
    values = np.array(keys, dtype=np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "_BUCKETED_CODES_MIN", 0)
        codes, uniques = schema._hashed_codes(values)
        patch.setenv(parallel.THREADS_VARIABLE, "1")
        one_codes, one_uniques = schema._hashed_codes(values)
    np.testing.assert_array_equal(uniques[codes], values)
    np.testing.assert_array_equal(codes, one_codes, strict=True)
    np.testing.assert_array_equal(uniques, one_uniques, strict=True)


@given(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 5), min_size=1, max_size=300))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_threads_code_keys_in_sorted_order_as_pandas(small_blocks: None, keys: list[int]) -> None:
    values = np.array(keys, dtype=np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "_BUCKETED_CODES_MIN", 0)
        codes, uniques = schema._integer_codes(values, in_order=True)
    expected_codes, expected_uniques = pd.factorize(values, sort=True)
    np.testing.assert_array_equal(codes, expected_codes.astype(np.int64), strict=True)
    np.testing.assert_array_equal(uniques, expected_uniques, strict=True)


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=300),
    st.sampled_from([-(2**63), -7, 0, 2**40]),
    st.sampled_from([np.int64, np.uint64, np.int32]),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_threads_code_dense_integer_ids_as_pandas(
    small_blocks: None, offsets: list[int], low: int, dtype: Any
) -> None:
    # Ids in a narrow range (some with gaps, some without), anywhere in the type's range.
    start = max(low, np.iinfo(dtype).min) if low < 0 else min(low, np.iinfo(dtype).max - 40)
    ids = pd.Series((np.array(offsets, dtype=object) + start).astype(dtype))
    dense = schema._dense_integer_codes(ids)
    assert dense is not None
    expected_codes, expected_uniques = pd.factorize(ids.to_numpy(), sort=True)
    np.testing.assert_array_equal(dense[0], expected_codes.astype(np.int64), strict=True)
    np.testing.assert_array_equal(dense[1], expected_uniques, strict=True)


@given(st.lists(id_text, min_size=1, max_size=60), st.booleans())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_threads_code_text_ids_as_pandas(
    small_blocks: None, ids: list[str], in_order: bool
) -> None:
    # Each block of eight ids reads its words on its own thread; a slice: an Arrow offset not at 0.
    check_text_codes(pd.Series(ids + ids[::-1], dtype="str").iloc[1:], in_order)
