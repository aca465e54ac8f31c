"""Tests of the RFM counting (retention.core.clv.summary)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.core import activity, parallel
from retention.core.clv import summary
from retention.core.clv.summary import Returns, holdout_counts, repeat_counts


def test_repeat_counts_by_hand() -> None:
    # customer 0: periods 3, 3, 7, 9 -> 2 repeats (7, 9); spend per period 3, 10, 20 -> repeats' mean 15
    # customer 1: period 5 only -> 0 repeats, monetary 0
    # customer 2: periods 4, 6, 6 -> 1 repeat; period 6 spends 2 + 5 = 7
    customer = np.array([0, 0, 0, 1, 0, 2, 2, 2])
    period = np.array([3, 3, 7, 5, 9, 4, 6, 6])
    amount = np.array([1.0, 2.0, 10.0, 4.0, 20.0, 9.0, 2.0, 5.0])
    c = repeat_counts(customer, period, 3, amount=amount)
    np.testing.assert_array_equal(c.frequency, [2, 0, 1])
    np.testing.assert_array_equal(c.first_period, [3, 5, 4])
    np.testing.assert_array_equal(c.last_period, [9, 5, 6])
    assert c.monetary_value is not None
    np.testing.assert_array_equal(c.monetary_value, [15.0, 0.0, 7.0])


def test_repeat_counts_without_amounts_or_customers() -> None:
    c = repeat_counts(np.array([1, 0]), np.array([2, 2]), 2)
    assert c.monetary_value is None
    np.testing.assert_array_equal(c.frequency, [0, 0])
    empty = repeat_counts(np.empty(0, np.int64), np.empty(0, np.int64), 0, amount=np.empty(0))
    assert len(empty.frequency) == len(empty.last_period) == 0


def test_holdout_counts_by_hand() -> None:
    # customer 1 never buys in the holdout; customer 0 twice in period 8 (one transaction) and once in 9
    c = holdout_counts(
        np.array([0, 2, 0, 0]), np.array([8, 8, 8, 9]), 3, amount=np.array([1.0, 4.0, 2.0, 5.0])
    )
    np.testing.assert_array_equal(c.frequency, [2, 0, 1])
    assert c.monetary_value is not None
    np.testing.assert_array_equal(c.monetary_value, [4.0, 0.0, 4.0])


def test_returns_subtract_from_the_spend_of_their_period() -> None:
    # The purchases of test_repeat_counts_by_hand. Customer 0: a return of 4 in period 7 (a repeat
    # period), of 6 in period 8 (no purchase there: still subtracts), of 1 in the first period 3 and of 2
    # in period 1, before the first: neither counts. Customer 1 (no repeat): 0 whatever the returns.
    # Customer 2: a return of 3 in period 6.
    customer = np.array([0, 0, 0, 1, 0, 2, 2, 2])
    period = np.array([3, 3, 7, 5, 9, 4, 6, 6])
    amount = np.array([1.0, 2.0, 10.0, 4.0, 20.0, 9.0, 2.0, 5.0])
    back = Returns(
        np.array([0, 0, 0, 0, 1, 2]),
        np.array([7, 8, 3, 1, 9, 6]),
        np.array([-4.0, -6.0, -1.0, -2.0, -50.0, -3.0]),
    )
    c = repeat_counts(customer, period, 3, amount=amount, returns=back)
    np.testing.assert_array_equal(c.frequency, [2, 0, 1])  # returns are never transactions
    np.testing.assert_array_equal(c.first_period, [3, 5, 4])
    np.testing.assert_array_equal(c.last_period, [9, 5, 6])
    assert c.monetary_value is not None
    np.testing.assert_array_equal(c.monetary_value, [(10 + 20 - 4 - 6) / 2, 0.0, 7 - 3])
    # Without amounts the returns are not looked at.
    assert repeat_counts(customer, period, 3, returns=back).monetary_value is None


def test_holdout_returns_all_subtract() -> None:
    back = Returns(np.array([0, 1, 0]), np.array([8, 9, 20]), np.array([-1.0, -3.0, -0.5]))
    c = holdout_counts(
        np.array([0, 2, 0, 0]),
        np.array([8, 8, 8, 9]),
        3,
        amount=np.array([1.0, 4.0, 2.0, 5.0]),
        returns=back,
    )
    np.testing.assert_array_equal(c.frequency, [2, 0, 1])
    assert c.monetary_value is not None
    # Customer 0: (1 + 2 + 5 - 1 - 0.5) / 2; customer 1 returned without buying: 0.
    np.testing.assert_array_equal(c.monetary_value, [3.25, 0.0, 4.0])


def test_spend_is_exact_in_any_order() -> None:
    # 1e16 + 1 - 1e16 + 5 = 6, with the return among the purchases of the repeat period.
    customer = np.array([0, 0, 0, 0])
    period = np.array([1, 2, 2, 2])
    amount = np.array([7.0, 1e16, 1.0, 5.0])
    back = Returns(np.array([0]), np.array([2]), np.array([-1e16]))
    for order in ([0, 1, 2, 3], [0, 3, 2, 1], [2, 0, 3, 1]):
        c = repeat_counts(customer[order], period[order], 1, amount=amount[order], returns=back)
        assert c.monetary_value is not None
        assert c.monetary_value[0] == 6.0


transactions = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 12), st.integers(-20, 200)), min_size=1, max_size=60
)


def _codes(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    customer = np.array([r[0] for r in rows])
    _, compact = np.unique(customer, return_inverse=True)
    return (
        compact.astype(np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.float64),
        int(compact.max()) + 1,
    )


@given(transactions, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rows: list[tuple[int, int, int]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    customer, period, amount, n = _codes(rows)
    a = repeat_counts(customer, period, n, amount=amount)
    customer, period, amount, n = _codes(shuffled)
    b = repeat_counts(customer, period, n, amount=amount)
    np.testing.assert_array_equal(a.frequency, b.frequency)
    np.testing.assert_array_equal(a.first_period, b.first_period)
    np.testing.assert_array_equal(a.last_period, b.last_period)
    assert a.monetary_value is not None
    assert b.monetary_value is not None
    np.testing.assert_array_equal(a.monetary_value, b.monetary_value)  # exact sums: to the last bit


@given(transactions, st.lists(st.integers(0, 59), max_size=20))
def test_same_period_duplicates_change_only_the_spend(
    rows: list[tuple[int, int, int]], picks: list[int]
) -> None:
    duplicated = rows + [rows[i % len(rows)] for i in picks]
    customer, period, amount, n = _codes(rows)
    a = repeat_counts(customer, period, n, amount=amount)
    customer, period, amount, n = _codes(duplicated)
    b = repeat_counts(customer, period, n, amount=amount)
    np.testing.assert_array_equal(a.frequency, b.frequency)
    np.testing.assert_array_equal(a.first_period, b.first_period)
    np.testing.assert_array_equal(a.last_period, b.last_period)


@given(transactions)
def test_counts_match_a_direct_count(rows: list[tuple[int, int, int]]) -> None:
    customer, period, amount, n = _codes(rows)
    c = repeat_counts(customer, period, n, amount=amount)
    for i in range(n):  # the plain definition, one customer at a time
        mine = customer == i
        periods = sorted(set(period[mine].tolist()))
        assert c.frequency[i] == len(periods) - 1
        assert c.first_period[i] == periods[0]
        assert c.last_period[i] == periods[-1]
        repeat_spend = amount[mine & (period != periods[0])].sum()
        expected = repeat_spend / (len(periods) - 1) if len(periods) > 1 else 0.0
        assert c.monetary_value is not None
        assert np.isclose(c.monetary_value[i], expected, rtol=1e-12, atol=1e-12)


@given(transactions, st.integers(1, 5), st.sampled_from([0, 19_000, 2**40]))
def test_counts_on_threads_in_blocks_of_a_few_rows_are_those_of_one_thread(
    rows: list[tuple[int, int, int]], block: int, origin: int
) -> None:
    # Periods far from 0 (days since 1970, or beyond 32 bits) are compared as narrow offsets or as they are.
    customer, period, amount, n = _codes(rows)
    period += origin
    one = repeat_counts(customer, period, n, amount=amount)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summary, "_ROW_BLOCK", block)
        patch.setattr(activity, "_ROW_BLOCK", block)
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        many = repeat_counts(customer, period, n, amount=amount)
    for name in ("frequency", "first_period", "last_period", "monetary_value"):
        np.testing.assert_array_equal(getattr(many, name), getattr(one, name), strict=True)
