"""Tests of the migration counts (retention.core.migration)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.core.migration import migration_counts, shares_of_rows, shares_of_total
from retention.errors import InvalidValueError


def test_counts_by_hand() -> None:
    # customers: 0 stays in 0, 0 -> 1, 0 -> 1, 1 -> 0, 2 -> 2
    before = np.array([0, 0, 0, 1, 2])
    after = np.array([0, 1, 1, 0, 2])
    expected = np.array([[1, 2, 0], [1, 0, 0], [0, 0, 1]])
    got = migration_counts(before, after, 3, 3)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64


def test_counts_keep_empty_rows_and_columns() -> None:
    got = migration_counts(np.array([1]), np.array([0]), 3, 2)
    np.testing.assert_array_equal(got, [[0, 0], [1, 0], [0, 0]])


def test_no_customers() -> None:
    empty = np.empty(0, dtype=np.int64)
    np.testing.assert_array_equal(migration_counts(empty, empty, 2, 2), np.zeros((2, 2)))


def test_bad_codes() -> None:
    with pytest.raises(InvalidValueError, match="same length"):
        migration_counts(np.array([0, 1]), np.array([0]), 2, 2)
    with pytest.raises(InvalidValueError, match=r"'after' codes must lie in 0 \.\. 1"):
        migration_counts(np.array([0, 1]), np.array([0, 2]), 2, 2)
    with pytest.raises(InvalidValueError, match="'before' codes"):
        migration_counts(np.array([-1]), np.array([0]), 2, 2)


def test_shares_by_hand() -> None:
    counts = np.array([[1, 3], [0, 0], [2, 2]])
    rows = shares_of_rows(counts)
    np.testing.assert_array_equal(rows, [[0.25, 0.75], [np.nan, np.nan], [0.5, 0.5]])
    np.testing.assert_array_equal(shares_of_total(counts), [[0.125, 0.375], [0, 0], [0.25, 0.25]])
    assert np.isnan(shares_of_total(np.zeros((2, 2), dtype=np.int64))).all()


codes = st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
    )
)


@given(codes)
def test_margins_and_shares(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, pairs = case
    before = np.array([b for b, _ in pairs], dtype=np.int64)
    after = np.array([a for _, a in pairs], dtype=np.int64)
    kept_before, kept_after = before.copy(), after.copy()
    counts = migration_counts(before, after, n, n)
    assert counts.sum() == len(pairs)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(before, minlength=n))
    np.testing.assert_array_equal(counts.sum(axis=0), np.bincount(after, minlength=n))
    rows = shares_of_rows(counts)
    filled = counts.sum(axis=1) > 0
    np.testing.assert_allclose(rows[filled].sum(axis=1), 1.0, rtol=1e-12)
    assert np.isnan(rows[~filled]).all()
    if len(pairs):
        np.testing.assert_allclose(shares_of_total(counts).sum(), 1.0, rtol=1e-12)
    # the order of the customers does not matter, and the inputs are left alone
    flip = np.arange(len(pairs))[::-1]
    np.testing.assert_array_equal(migration_counts(before[flip], after[flip], n, n), counts)
    np.testing.assert_array_equal(before, kept_before)
    np.testing.assert_array_equal(after, kept_after)
