"""Tests of the retention, churn and repeat-purchase formulas (retention.core.rates)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention.core import parallel, rates
from retention.core.activity import activity
from retention.core.rates import (
    crr,
    mean_amount,
    period_counts,
    ratio,
    second_purchase_days,
    second_purchase_summary,
)
from retention.errors import ColumnTypeError, InvalidValueError

ARGS = ("customers_start", "customers_end", "new_customers")


def rate(start: object, end: object, new: object) -> object:
    return crr(customers_start=start, customers_end=end, new_customers=new)  # type: ignore[arg-type]


def test_crr_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        crr(200, 210, 30)  # type: ignore[misc]


# --- crr ----------------------------------------------------------------------------


def test_crr_scalars_give_a_float() -> None:
    # (210 - 30) / 200
    result = rate(200, 210, 30)
    assert type(result) is float
    assert result == 0.9
    assert type(rate(np.int64(4), np.int64(3), np.int64(1))) is float
    assert rate(4, 3, 1) == 0.5


def test_crr_arrays_broadcast() -> None:
    result = rate([100, 50, 4], [90, 50, 14], 10)
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, [0.8, 0.8, 1.0])
    grid = rate(np.array([[10], [20]]), np.array([12, 15]), 2)
    np.testing.assert_array_equal(grid, [[1.0, 1.3], [0.5, 0.65]])


def test_crr_without_start_is_nan_without_warning() -> None:
    # pytest turns warnings into errors, so a RuntimeWarning from 0 / 0 or 5 / 0 would fail here.
    assert np.isnan(rate(0, 0, 0))
    assert np.isnan(rate(0, 5, 2))  # reactivated customers but nobody at the start
    np.testing.assert_array_equal(rate([0, 2], [5, 2], [5, 1]), [np.nan, 0.5])


def test_crr_can_exceed_one_with_reactivation() -> None:
    # 2 customers at the start, 4 at the end of whom 1 is new: 3 came back, 1 of them reactivated.
    assert rate(2, 4, 1) == 1.5


@pytest.mark.parametrize(
    ("args", "name", "what"),
    [
        ((-1, 2, 1), "customers_start", "negative"),
        ((5, -2, 0), "customers_end", "negative"),
        ((5, 3, -1), "new_customers", "negative"),
        ((1.5, 2, 1), "customers_start", "whole numbers"),
        ((5, [2, 2.25], 1), "customers_end", "whole numbers"),
        ((np.nan, 2, 1), "customers_start", "finite"),
        ((5, np.inf, 1), "customers_end", "finite"),
        ((5, 3, [0, np.nan]), "new_customers", "finite"),
        ((5, 3, [0, None]), "new_customers", "finite"),
        ((5, 3, 4), "new_customers", "must not exceed customers_end"),
        (([5, 5], [3, 3], [1, 4]), "new_customers", "position 1"),
        ((10**400, 3, 1), "customers_start", "too large"),
    ],
)
def test_crr_refuses_non_counts(args: tuple[object, ...], name: str, what: str) -> None:
    with pytest.raises(InvalidValueError, match=name) as info:
        crr(**dict(zip(ARGS, args, strict=True)))  # type: ignore[arg-type]
    assert what in str(info.value)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("10", 5, 1), "customers_start"),
        ((10, True, 1), "customers_end"),
        ((10, 5, [1, "x"]), "new_customers"),
    ],
)
def test_crr_refuses_non_numbers(args: tuple[object, ...], name: str) -> None:
    with pytest.raises(ColumnTypeError, match=name):
        crr(**dict(zip(ARGS, args, strict=True)))  # type: ignore[arg-type]


def test_crr_refuses_shapes_that_do_not_broadcast() -> None:
    with pytest.raises(InvalidValueError, match="broadcast"):
        rate([1, 2], [1, 2, 3], 0)


def test_crr_does_not_modify_its_arguments() -> None:
    start, end, new = np.array([4, 0]), np.array([3, 1]), np.array([1, 1])
    rate(start, end, new)
    np.testing.assert_array_equal(start, [4, 0])
    np.testing.assert_array_equal(end, [3, 1])
    np.testing.assert_array_equal(new, [1, 1])


counts = st.integers(0, 10**6)


@st.composite
def valid_counts(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    rows = draw(
        st.lists(st.tuples(counts, counts, counts), min_size=1, max_size=30).map(
            lambda xs: [(s, max(e, n), min(e, n)) for s, e, n in xs]
        )
    )
    start, end, new = (list(col) for col in zip(*rows, strict=True))
    return start, end, new


@given(valid_counts())
def test_crr_is_end_minus_new_over_start(data: tuple[list[int], ...]) -> None:
    start, end, new = data
    result = rate(start, end, new)
    assert isinstance(result, np.ndarray)
    for s, e, n, r in zip(start, end, new, result, strict=True):
        if s == 0:
            assert np.isnan(r)
        else:
            assert r == (e - n) / s
            assert r >= 0


@given(valid_counts(), st.integers(1, 1000), st.data())
def test_crr_raises_when_new_exceeds_end(
    data: tuple[list[int], ...], excess: int, pick: st.DataObject
) -> None:
    start, end, new = data
    i = pick.draw(st.integers(0, len(end) - 1))
    new = list(new)
    new[i] = end[i] + excess
    with pytest.raises(InvalidValueError, match="new_customers"):
        rate(start, end, new)


# --- ratio, mean_amount --------------------------------------------------------


def test_ratio() -> None:
    assert ratio(3, 4) == 0.75
    assert np.isnan(ratio(0, 0))
    np.testing.assert_array_equal(ratio([1, 2], [0, 4]), [np.nan, 0.5])


def test_mean_amount_is_exact_and_order_free() -> None:
    # Naive left-to-right summation gives 1e16 + 1 + 1 - 1e16 = 0 (or 2); the exact sum is 2.
    amounts = np.array([1e16, 1.0, 1.0, -1e16])
    assert mean_amount(amounts) == 0.5
    assert mean_amount(amounts[::-1]) == 0.5
    assert mean_amount(np.array([30.0, 50.0, 60.0, -20.0])) == 30.0
    assert np.isnan(mean_amount(np.array([])))


# --- period_counts -----------------------------------------------------------------------------


def counts_of(
    customers: list[int], periods: list[int], first: int, last: int
) -> dict[str, list[int]]:
    act = activity(np.array(customers), np.array(periods), max(customers, default=-1) + 1)
    c = period_counts(act, first, last)
    names = ("customers_start", "new", "reactivated", "retained", "churned", "customers_end")
    return {name: getattr(c, name).tolist() for name in names}


def test_period_counts_by_hand() -> None:
    # The worked example of the docs: periods 0, 1, 2 (Jan, Feb, Mar); customers A..E = 0..4.
    # A: 0 1 2   B: 0 . 2   C: 0 . .   D: . 1 .   E: . . 2
    customers = [0, 0, 0, 1, 1, 2, 3, 4]
    periods = [0, 1, 2, 0, 2, 0, 1, 2]
    assert counts_of(customers, periods, 0, 2) == {
        "customers_start": [0, 3, 2],
        "new": [3, 1, 1],
        "reactivated": [0, 0, 1],
        "retained": [0, 1, 1],
        "churned": [0, 2, 1],
        "customers_end": [3, 2, 3],
    }


def test_period_counts_with_a_gap_and_periods_outside_the_range() -> None:
    # Customer 0 buys in 10 and 13; customer 1 in 10, 11 and 20 (after the range); customer 2 only in 20.
    customers = [0, 0, 1, 1, 1, 2]
    periods = [10, 13, 10, 11, 20, 20]
    assert counts_of(customers, periods, 10, 14) == {
        "customers_start": [0, 2, 1, 0, 1],
        "new": [2, 0, 0, 0, 0],
        "reactivated": [0, 0, 0, 1, 0],
        "retained": [0, 1, 0, 0, 0],
        "churned": [0, 1, 1, 0, 1],
        "customers_end": [2, 1, 0, 1, 0],
    }
    # A range that starts after the first period: period 10 only feeds the start of 11.
    assert counts_of(customers, periods, 11, 13) == {
        "customers_start": [2, 1, 0],
        "new": [0, 0, 0],
        "reactivated": [0, 0, 1],
        "retained": [1, 0, 0],
        "churned": [1, 1, 0],
        "customers_end": [1, 0, 1],
    }


def test_period_counts_of_an_empty_range_or_no_activity() -> None:
    names = ("customers_start", "new", "reactivated", "retained", "churned", "customers_end")
    empty: dict[str, list[int]] = {name: [] for name in names}
    assert counts_of([0, 1], [5, 6], 7, 6) == empty
    assert counts_of([0, 1], [5, 6], 9, 2) == empty
    assert counts_of([], [], 0, -1) == empty
    assert counts_of([], [], 3, 4)["customers_start"] == [0, 0]


def test_period_counts_rates() -> None:
    act = activity(np.array([0, 0, 0, 1, 1, 2, 3, 4]), np.array([0, 1, 2, 0, 2, 0, 1, 2]), 5)
    c = period_counts(act, 0, 2)
    np.testing.assert_array_equal(c.retention_rate, [np.nan, 1 / 3, 0.5])
    np.testing.assert_array_equal(c.crr, [np.nan, 1 / 3, 1.0])
    np.testing.assert_array_equal(c.churn_rate, [np.nan, 2 / 3, 0.5])


@st.composite
def activity_data(draw: st.DrawFn) -> tuple[list[int], list[int], int, int]:
    n = draw(st.integers(0, 60))
    customers = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    # Codes 0..n-1 must all occur: relabel the customers that occur by rank.
    ranks = {c: i for i, c in enumerate(sorted(set(customers)))}
    customers = [ranks[c] for c in customers]
    periods = draw(st.lists(st.integers(-3, 12), min_size=n, max_size=n))
    first = draw(st.integers(-5, 14))
    last = draw(st.integers(first - 2, 16))
    return customers, periods, first, last


def reference_counts(
    customers: list[int], periods: list[int], first: int, last: int
) -> dict[str, list[int]]:
    """Set-based definitions, one period at a time."""
    active: dict[int, set[int]] = {}
    for c, p in zip(customers, periods, strict=True):
        active.setdefault(p, set()).add(c)
    first_ever = {
        c: min(p for cc, p in zip(customers, periods, strict=True) if cc == c) for c in customers
    }
    out: dict[str, list[int]] = {
        k: []
        for k in ("customers_start", "new", "reactivated", "retained", "churned", "customers_end")
    }
    for p in range(first, last + 1):
        now, before = active.get(p, set()), active.get(p - 1, set())
        new = {c for c in now if first_ever[c] == p}
        out["customers_start"].append(len(before))
        out["new"].append(len(new))
        out["reactivated"].append(len(now - before - new))
        out["retained"].append(len(now & before))
        out["churned"].append(len(before - now))
        out["customers_end"].append(len(now))
    return out


@given(activity_data())
def test_period_counts_match_the_set_definitions(
    data: tuple[list[int], list[int], int, int],
) -> None:
    customers, periods, first, last = data
    got = counts_of(customers, periods, first, last)
    assert got == reference_counts(customers, periods, first, last)
    # The identities, stated once more so that a failure names them.
    e, n, r, v = (
        np.array(got[k], dtype=np.int64)
        for k in ("customers_end", "new", "retained", "reactivated")
    )
    s, ch = (
        np.array(got["customers_start"], dtype=np.int64),
        np.array(got["churned"], dtype=np.int64),
    )
    np.testing.assert_array_equal(e, n + r + v)
    np.testing.assert_array_equal(s, r + ch)
    np.testing.assert_array_equal(s[1:], e[:-1])


@given(activity_data(), st.integers(1, 4))
def test_period_counts_on_threads_in_blocks_of_a_few_pairs(
    data: tuple[list[int], list[int], int, int], block: int
) -> None:
    customers, periods, first, last = data
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rates, "_PAIR_BLOCK", block)
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = counts_of(customers, periods, first, last)
    assert got == reference_counts(customers, periods, first, last)


@given(activity_data())
def test_period_count_rates_lie_in_the_unit_interval(
    data: tuple[list[int], list[int], int, int],
) -> None:
    customers, periods, first, last = data
    act = activity(np.array(customers), np.array(periods), max(customers, default=-1) + 1)
    c = period_counts(act, first, last)
    for rate in (c.retention_rate, c.churn_rate):
        defined = rate[c.customers_start > 0]
        assert ((defined >= 0) & (defined <= 1)).all()
        assert np.isnan(rate[c.customers_start == 0]).all()
    both = c.customers_start > 0
    np.testing.assert_allclose(c.retention_rate[both] + c.churn_rate[both], 1.0, rtol=0, atol=1e-15)


# --- second purchase ---------------------------------------------------------------------------


def test_second_purchase_by_hand() -> None:
    # Day codes: customer 0 buys on days 3, 3, 10 (gap 7); customer 1 only on day 5; customer 2 on 8 and
    # 9 (gap 1, later purchases ignored); customer 3 on 1, 41 (gap 40).
    act = activity(
        np.array([0, 0, 0, 1, 2, 2, 2, 3, 3]), np.array([3, 3, 10, 5, 9, 8, 30, 41, 1]), 4
    )
    np.testing.assert_array_equal(second_purchase_days(act), [7, 1, 40])
    # gaps sorted 1, 7, 40: mean 16, q25 = 1 + 0.5 * 6 = 4, median 7, q75 = 7 + 0.5 * 33 = 23.5
    np.testing.assert_array_equal(second_purchase_summary(act), [4, 3, 0.75, 16, 4, 7, 23.5])


def test_second_purchase_without_returners() -> None:
    act = activity(np.array([0, 1, 1]), np.array([3, 4, 4]), 2)
    assert len(second_purchase_days(act)) == 0
    np.testing.assert_array_equal(
        second_purchase_summary(act), [2, 0, 0, np.nan, np.nan, np.nan, np.nan]
    )
    empty = activity(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 0)
    np.testing.assert_array_equal(
        second_purchase_summary(empty), [0, 0, np.nan, np.nan, np.nan, np.nan, np.nan]
    )
