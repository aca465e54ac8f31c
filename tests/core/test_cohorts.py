"""Tests of retention.core.cohorts: hand-computed counts, lifetimes and Kaplan-Meier, plus properties."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from retention.core import cohorts as cohorts_module
from retention.core import parallel
from retention.core.activity import activity
from retention.core.cohorts import (
    cohort_customers,
    cohort_sum_partials,
    cohort_sums,
    cohort_sums_sum,
    cohort_table_of_sums,
    kaplan_meier,
    lifetimes,
    median_time,
    retention_by_period,
    step_at,
)
from retention.errors import InvalidParameterError

nan = np.nan

# Purchases (customer, period): customer 0 is acquired in period 10 and buys again in 12; customer 1 in
# 10 and 11; customer 2 in 11 (twice) and 13; customer 3 only in 13; nobody is acquired in period 12.
CUSTOMER = np.array([0, 0, 1, 1, 2, 2, 2, 3])
PERIOD = np.array([10, 12, 10, 11, 11, 11, 13, 13])
AMOUNT = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])


def test_customers_classic_by_hand() -> None:
    act = activity(CUSTOMER, PERIOD, 4)
    c = cohort_customers(act, 13, rolling=False)
    assert_array_equal(c.cohort, [10, 11, 13])  # no row for period 12: nobody was acquired then
    assert_array_equal(c.size, [2, 1, 1])
    assert_array_equal(
        c.cells,
        [
            [2, 1, 1, 0],
            [1, 0, 1, nan],
            [1, nan, nan, nan],
        ],
    )
    assert c.last_period == 13


def test_customers_rolling_by_hand() -> None:
    # last active period: customer 0 -> 12, 1 -> 11, 2 -> 13, 3 -> 13
    c = cohort_customers(activity(CUSTOMER, PERIOD, 4), 13, rolling=True)
    assert_array_equal(
        c.cells,
        [
            [2, 2, 1, 0],
            [1, 1, 1, nan],
            [1, nan, nan, nan],
        ],
    )


def test_incomplete_trailing_period_censors_and_drops_its_cohort() -> None:
    # Period 13 is not complete: customer 3's cohort is left out, cells in 13 are NaN, but the rolling
    # count still sees customer 2's purchase in 13.
    act = activity(CUSTOMER, PERIOD, 4)
    classic = cohort_customers(act, 12, rolling=False)
    assert_array_equal(classic.cohort, [10, 11])
    assert_array_equal(classic.cells, [[2, 1, 1], [1, 0, nan]])
    rolling = cohort_customers(act, 12, rolling=True)
    assert_array_equal(rolling.cells, [[2, 2, 1], [1, 1, nan]])


def test_last_period_after_last_purchase() -> None:
    c = cohort_sums(CUSTOMER, PERIOD, 4, 14, rolling=True)
    assert_array_equal(c.cells, [[4, 2, 1, 0, 0], [3, 1, 1, 0, nan], [1, 0, nan, nan, nan]])


def test_orders_and_revenue_by_hand() -> None:
    orders = cohort_sums(CUSTOMER, PERIOD, 4, 13, rolling=False)
    assert_array_equal(orders.size, [2, 1, 1])
    assert_array_equal(orders.cells, [[2, 1, 1, 0], [2, 0, 1, nan], [1, nan, nan, nan]])
    rolling = cohort_sums(CUSTOMER, PERIOD, 4, 13, rolling=True)
    assert_array_equal(rolling.cells, [[4, 2, 1, 0], [3, 1, 1, nan], [1, nan, nan, nan]])
    revenue = cohort_sums(CUSTOMER, PERIOD, 4, 13, rolling=False, weights=AMOUNT)
    assert_array_equal(revenue.cells, [[5, 8, 2, 0], [48, 0, 64, nan], [128, nan, nan, nan]])
    revenue_rolling = cohort_sums(CUSTOMER, PERIOD, 4, 12, rolling=True, weights=AMOUNT)
    # period 13 is incomplete: its cohort is dropped, but its purchases count towards earlier k
    assert_array_equal(revenue_rolling.cells, [[15, 10, 2], [112, 64, nan]])


def test_no_complete_cohort_gives_empty_counts() -> None:
    c = cohort_customers(activity(CUSTOMER, PERIOD, 4), 9, rolling=False)
    assert c.cells.shape == (0, 0)
    assert len(c.cohort) == 0
    assert cohort_sums(CUSTOMER, PERIOD, 4, 9, rolling=True).cells.shape == (0, 0)
    empty = np.empty(0, dtype=np.int64)
    assert cohort_sums(empty, empty, 0, 9, rolling=False).cells.shape == (0, 0)
    assert cohort_customers(activity(empty, empty, 0), 9, rolling=True).cells.shape == (0, 0)


def test_grid_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # 20,000 cohorts x 20,000 periods: more than 2**28 cells, refused on any machine.
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 50)
    customer = np.arange(20_000)
    period = np.arange(20_000)
    with pytest.raises(InvalidParameterError, match="more than 268,435,456 cells"):
        cohort_sums(customer, period, 20_000, 20_000, rolling=False)
    # Against this machine's memory first, before allocating anything.
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 16)
    with pytest.raises(InvalidParameterError, match="more than this machine's memory"):
        cohort_customers(activity(customer[:200], period[:200], 200), 200, rolling=False)


def test_retention_by_period_by_hand() -> None:
    c = cohort_customers(activity(CUSTOMER, PERIOD, 4), 13, rolling=False)
    cohorts, customers, active = retention_by_period(c)
    assert_array_equal(cohorts, [3, 2, 2, 1])
    assert_array_equal(customers, [4, 3, 3, 2])
    assert_array_equal(active, [4, 1, 2, 0])


def test_lifetimes_by_hand() -> None:
    # inactive_after = 10 days, observation end day 60.
    days = {
        0: [0, 5, 10],  # gaps 5, 5; 50 days of silence before the end: event at 10
        1: [0, 10, 21, 25],  # gap of exactly 10 is no lapse; 11 is: event at 10
        2: [3],  # one purchase, lapsed: event at 0
        3: [40, 45, 55],  # last purchase 5 days before the end: censored at 15
        4: [
            50
        ],  # exactly 10 days before the end: the next purchase would be a gap of 11: event at 0
        5: [51, 52],  # censored at 1
    }
    customer = np.repeat(list(days), [len(v) for v in days.values()])
    day = np.concatenate(list(days.values()))
    duration, observed = lifetimes(activity(customer, day, 6), end_day=60, inactive_after=10)
    assert_array_equal(duration, [10, 10, 0, 15, 0, 1])
    assert_array_equal(observed, [True, True, True, False, True, False])


def test_lifetimes_merge_same_day_purchases_and_ignore_order() -> None:
    customer = np.array([0, 0, 0, 1])
    day = np.array([7, 0, 0, 3])
    duration, observed = lifetimes(activity(customer, day, 2), end_day=7, inactive_after=5)
    assert_array_equal(duration, [0, 0])  # spell of customer 0 ends at day 0 (gap 7 > 5)
    assert_array_equal(observed, [True, False])


def test_kaplan_meier_by_hand() -> None:
    duration = np.array([10, 10, 0, 15, 0, 1, 10, 0])
    observed = np.array([True, True, True, False, True, False, True, True])
    km = kaplan_meier(duration, observed)
    assert_array_equal(km.time, [0, 1, 10, 15])
    assert_array_equal(km.at_risk, [8, 5, 4, 1])
    assert_array_equal(km.events, [3, 0, 3, 0])
    assert_array_equal(km.censored, [0, 1, 0, 1])
    assert_allclose(km.survival, [5 / 8, 5 / 8, 5 / 32, 5 / 32], rtol=1e-15)


def test_greenwood_log_log_interval_by_hand() -> None:
    duration = np.array([10, 10, 0, 15, 0, 1, 10, 0])
    observed = np.array([True, True, True, False, True, False, True, True])
    km = kaplan_meier(duration, observed)
    # Greenwood sums: 3 / (8 * 5) after t = 0, plus 3 / (4 * 1) after t = 10.
    z = 1.959963984540054
    expected_low, expected_high = [], []
    for s, var in [
        (5 / 8, 3 / 40),
        (5 / 8, 3 / 40),
        (5 / 32, 3 / 40 + 3 / 4),
        (5 / 32, 3 / 40 + 3 / 4),
    ]:
        theta = math.log(-math.log(s))
        se = math.sqrt(var) / abs(math.log(s))
        expected_low.append(math.exp(-math.exp(theta + z * se)))
        expected_high.append(math.exp(-math.exp(theta - z * se)))
    assert_allclose(km.ci_lower, expected_low, rtol=1e-12)
    assert_allclose(km.ci_upper, expected_high, rtol=1e-12)
    # the same numbers to 6 digits, worked out once on paper / a calculator
    assert_allclose(km.ci_lower, [0.229333, 0.229333, 0.00788073, 0.00788073], rtol=1e-5)
    assert_allclose(km.ci_upper, [0.860698, 0.860698, 0.490927, 0.490927], rtol=1e-5)


def test_interval_undefined_at_one_and_zero() -> None:
    km = kaplan_meier(np.array([0, 1, 2]), np.array([False, True, True]))
    assert_allclose(km.survival, [1.0, 0.5, 0.0])
    assert np.isnan(km.ci_lower[[0, 2]]).all()
    assert np.isnan(km.ci_upper[[0, 2]]).all()
    assert not np.isnan(km.ci_lower[1])


def test_kaplan_meier_empty() -> None:
    km = kaplan_meier(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_))
    assert len(km.time) == len(km.survival) == len(km.ci_upper) == 0


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_kaplan_meier_matches_scipy_ecdf(data: list[tuple[int, bool]]) -> None:
    duration = np.array([d for d, _ in data], dtype=np.int64)
    observed = np.array([e for _, e in data], dtype=np.bool_)
    km = kaplan_meier(duration, observed)
    reference = stats.ecdf(
        stats.CensoredData(uncensored=duration[observed], right=duration[~observed])
    ).sf
    # scipy evaluates the step function anywhere: compare at every distinct time
    assert_allclose(km.survival, reference.evaluate(km.time), rtol=1e-12, atol=1e-15)
    if observed.any():
        with warnings.catch_warnings():
            # scipy warns that the interval is undefined where S is 0 or 1; those times are skipped
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = reference.confidence_interval(method="log-log")
            low, high = ci.low.evaluate(km.time), ci.high.evaluate(km.time)
        defined = (km.survival > 0) & (km.survival < 1)
        assert_allclose(km.ci_lower[defined], low[defined], rtol=1e-9)
        assert_allclose(km.ci_upper[defined], high[defined], rtol=1e-9)


@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=50))
def test_kaplan_meier_properties(data: list[tuple[int, bool]]) -> None:
    duration = np.array([d for d, _ in data], dtype=np.int64)
    observed = np.array([e for _, e in data], dtype=np.bool_)
    km = kaplan_meier(duration, observed)
    assert (np.diff(km.survival) <= 0).all()
    assert ((km.survival >= 0) & (km.survival <= 1)).all()
    assert km.survival[0] == pytest.approx(1 - km.events[0] / km.at_risk[0])
    assert km.at_risk[0] == len(duration)
    assert (km.events + km.censored).sum() == len(duration)
    defined = ~np.isnan(km.ci_lower)
    assert (km.ci_lower[defined] <= km.survival[defined] + 1e-15).all()
    assert (km.ci_upper[defined] >= km.survival[defined] - 1e-15).all()


def test_step_at_and_median_time() -> None:
    time = np.array([2, 5, 9])
    survival = np.array([0.8, 0.5, 0.1])
    assert_array_equal(
        step_at(time, survival, np.array([0, 1, 2, 4, 5, 8, 9, 100])),
        [1.0, 1.0, 0.8, 0.8, 0.5, 0.5, 0.1, 0.1],
    )
    # No customers, no curve: survival is undefined, not 1.
    assert_array_equal(step_at(time[:0], survival[:0], np.array([0, 3])), [np.nan, np.nan])
    assert median_time(time, survival) == 5.0
    assert math.isnan(median_time(time, np.array([0.9, 0.8, 0.6])))


# --- cohort sums of disjoint sets of customers (the partitions of a cluster) -----------------------------


@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 7),  # customer
            st.integers(0, 9),  # period
            st.one_of(
                st.integers(-(10**6), 10**6).map(lambda c: c / 100),
                st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
            ),
        ),
        min_size=1,
        max_size=40,
    ),
    last=st.integers(0, 9),
    parts=st.integers(1, 3),
    rolling=st.booleans(),
)
def test_cohort_sums_of_parts_add_up_to_the_whole(
    rows: list[tuple[int, int, float]], last: int, parts: int, rolling: bool
) -> None:
    customer = np.array([r[0] for r in rows], dtype=np.int64)
    period = np.array([r[1] for r in rows], dtype=np.int64)
    weights = np.array([r[2] for r in rows], dtype=np.float64)
    ids, customer = np.unique(customer, return_inverse=True)
    whole = cohort_sums(customer, period, len(ids), last, rolling=rolling, weights=weights)
    total = None
    for k in range(parts):  # customers split by id, each part coded on its own
        mine = ids[customer] % parts == k
        part_ids, part_customer = np.unique(customer[mine], return_inverse=True)
        sums = cohort_sum_partials(
            part_customer, period[mine], len(part_ids), last, weights=weights[mine]
        )
        if sums is not None:
            total = sums if total is None else cohort_sums_sum(total, sums)
    if total is None:
        assert len(whole.cohort) == 0
        return
    got = cohort_table_of_sums(total, rolling=rolling)
    np.testing.assert_array_equal(got.cohort, whole.cohort)
    np.testing.assert_array_equal(got.size, whole.size)
    np.testing.assert_array_equal(got.cells, whole.cells)


@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12)), min_size=1, max_size=80),
    last=st.integers(0, 14),
    block=st.sampled_from([1, 3, 1 << 16]),
)
def test_grid_counts_are_the_bincount_of_the_cells(
    rows: list[tuple[int, int]], last: int, block: int
) -> None:
    # Made block by block (blocks of at least the grid's cells; here down to 1 row) on 3 threads.
    customer = np.array([c for c, _ in rows], dtype=np.int64)
    period = np.array([p for _, p in rows], dtype=np.int64)
    n = int(customer.max()) + 1
    customer, period = (
        np.concatenate([customer, np.arange(n)]),
        np.concatenate([period, np.zeros(n, np.int64)]),
    )
    act = activity(customer, period, n)
    grid = cohorts_module._grid(act.first_period, last, act.period)
    if grid is None:
        return
    expected = np.bincount(grid.cell(act.customer, act.period), minlength=grid.n_cells)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cohorts_module, "_GRID_ROWS", block)
        patch.setattr(parallel, "MIN_ROWS", 0)
        patch.setenv(parallel.THREADS_VARIABLE, "3")
        got = grid.counts(act.customer, act.period)
    assert_array_equal(got, expected, strict=True)
