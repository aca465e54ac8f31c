"""Tests of retention.core.campaign: windows and sums against pandas, Welch's test against statsmodels and
scipy, the sample-ratio test against scipy, and the hold-out's exact counts."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import stdtr
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from retention.core import campaign as c

rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-40, 40), st.integers(-5_000, 20_000)),
    min_size=0,
    max_size=40,
)


@given(rows=rows, lo=st.integers(-40, 0), width=st.integers(0, 40))
@settings(max_examples=60, deadline=None)
def test_windows_match_pandas(rows: list[tuple[int, int, int]], lo: int, width: int) -> None:
    frame = pd.DataFrame(rows, columns=["customer", "rel", "cents"], dtype=np.int64)
    customer = frame["customer"].to_numpy(np.int64)
    rel = frame["rel"].to_numpy(np.int64)
    amount = frame["cents"].to_numpy(np.int64) / 100
    hi = lo + width
    inside = frame[(frame["rel"] >= lo) & (frame["rel"] <= hi)]
    counts = inside.groupby("customer").size().reindex(range(6), fill_value=0)
    np.testing.assert_array_equal(c.window_counts(customer, rel, 6, lo, hi), counts.to_numpy())
    cents = inside.groupby("customer")["cents"].sum().reindex(range(6), fill_value=0)
    np.testing.assert_array_equal(
        c.window_sums(customer, rel, amount, 6, lo=lo, hi=hi), cents.to_numpy() / 100
    )
    after = frame[frame["rel"] >= 1].groupby("customer")["rel"].min()
    expected = np.full(6, c.NO_PURCHASE, dtype=np.int64)
    expected[after.index.to_numpy(np.int64)] = after.to_numpy(np.int64)
    np.testing.assert_array_equal(c.first_after(customer, rel, 6), expected)


values = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=2, max_size=30)


@given(x=values, y=values, alpha=st.sampled_from([0.01, 0.05, 0.2]))
@settings(max_examples=80, deadline=None)
def test_welch_matches_statsmodels_and_scipy(x: list[float], y: list[float], alpha: float) -> None:
    a, b = np.array(x), np.array(y)
    r = c.welch_test(a, b, alpha)
    assert r.estimate == pytest.approx(a.mean() - b.mean(), abs=1e-9)
    if not (np.ptp(a) > 1e-6 or np.ptp(b) > 1e-6):
        return  # (nearly) constant groups: statsmodels divides by (nearly) 0
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    low, high = cm.tconfint_diff(alpha=alpha, usevar="unequal")
    assert r.standard_error == pytest.approx(cm.std_meandiff_separatevar, rel=1e-9)
    assert r.ci_lower == pytest.approx(low, rel=1e-9, abs=1e-9)
    assert r.ci_upper == pytest.approx(high, rel=1e-9, abs=1e-9)
    _, p_value, df = cm.ttest_ind(usevar="unequal")
    assert r.df == pytest.approx(df, rel=1e-9)
    assert r.p_value == pytest.approx(p_value, rel=1e-7, abs=1e-300)


def test_welch_degenerate_cases() -> None:
    r = c.welch_test(np.array([1.0]), np.array([1.0, 2.0]), 0.05)
    assert r.estimate == -0.5
    assert math.isnan(r.standard_error)
    assert math.isnan(r.ci_lower)
    assert math.isnan(r.p_value)
    r = c.welch_test(np.array([2.0, 2.0]), np.array([1.0, 1.0]), 0.05)
    assert (r.standard_error, r.ci_lower, r.ci_upper) == (0.0, 1.0, 1.0)
    assert math.isnan(r.p_value)
    r = c.welch_test(np.empty(0), np.array([1.0, 2.0]), 0.05)
    assert math.isnan(r.mean_1)
    assert math.isnan(r.estimate)


def test_welch_is_exact_in_any_order() -> None:
    x = np.array([1e16, 1.0, -1e16, 0.1, 0.2, 0.3, 19.99])
    y = np.array([0.3, -0.1, 2.5, 7.0])
    first = c.welch_test(x, y, 0.05)
    rng = np.random.default_rng(1)
    for _ in range(10):
        assert c.welch_test(rng.permutation(x), rng.permutation(y), 0.05) == first
    assert first.mean_1 == pytest.approx((1.0 + 0.6 + 19.99) / 7, rel=1e-15)


def test_standardized_difference_by_hand() -> None:
    # means 2 and 4/3, variances 1 and 1/3
    value = c.standardized_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]))
    assert value == pytest.approx((2 - 4 / 3) / math.sqrt((1 + 1 / 3) / 2))
    assert math.isnan(c.standardized_difference(np.ones(3), np.ones(4)))


@given(
    counts=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    share=st.floats(0.01, 0.99),
)
def test_sample_ratio_matches_scipy(counts: tuple[int, int], share: float) -> None:
    observed = np.array(counts, dtype=np.int64)
    statistic, df, p = c.sample_ratio_test(observed, np.array([1 - share, share]))
    assert df == 1
    if observed.sum() == 0:
        assert math.isnan(statistic)
        assert math.isnan(p)
        return
    expected = stats.chisquare(observed, f_exp=observed.sum() * np.array([1 - share, share]))
    assert statistic == pytest.approx(expected.statistic, rel=1e-9, abs=1e-9)
    assert p == pytest.approx(expected.pvalue, rel=1e-7, abs=1e-300)


@pytest.mark.filterwarnings("error")  # no 0 / 0 on the way
def test_sample_ratio_with_a_group_of_designed_share_zero() -> None:
    # An empty control list: the control's designed share is 0. It takes no part while it is empty;
    # two groups are left to compare, or nothing is (NaN); customers in it are a certain mismatch.
    assert all(map(math.isnan, c.sample_ratio_test(np.array([5, 0]), np.array([1.0, 0.0]))[::2]))
    assert c.sample_ratio_test(np.array([5, 1]), np.array([1.0, 0.0])) == (math.inf, 1, 0.0)
    three = c.sample_ratio_test(np.array([5, 3, 0]), np.array([0.5, 0.5, 0.0]))
    assert three == c.sample_ratio_test(np.array([5, 3]), np.array([0.5, 0.5]))


def test_holdout_counts_round_half_up_exactly() -> None:
    # 10% of 5, 15, 25, 35: 0.5, 1.5, 2.5, 3.5 -> 1, 2, 3, 4 (in floats, 0.1 * 35 = 3.5000000000000004
    # and 0.1 * 25 = 2.5 exactly; the exact rule gives the same answer for both).
    np.testing.assert_array_equal(
        c.holdout_counts(np.array([5, 15, 25, 35, 0, 9]), 1, 10), [1, 2, 3, 4, 0, 1]
    )
    # 1/3 of 3 customers is 1, of 2 is 0.67 -> 1, of 1 is 0.33 -> 0.
    np.testing.assert_array_equal(c.holdout_counts(np.array([3, 2, 1]), 1, 3), [1, 1, 0])


def test_holdout_counts_of_any_share_are_exact() -> None:
    # Past int64, the counts are computed in Python ints: no overflow, no wrap-around.
    sizes = np.array([5 * 10**18, 5 * 10**18 - 1, 10**18, 0])
    # 1e-19 of 5e18 is 0.5 exactly -> 1; of 5e18 - 1 just below 0.5 -> 0.
    np.testing.assert_array_equal(c.holdout_counts(sizes, 1, 10**19), [1, 0, 0, 0])
    for denominator in (10**18, 10**20, 10**300):  # shares 1e-18, 1e-20, 1e-300
        expected = [(2 * int(n) + denominator) // (2 * denominator) for n in sizes]
        np.testing.assert_array_equal(c.holdout_counts(sizes, 1, denominator), expected)
    # 0.30000000000000004 as written: 7500000000000001 / 25000000000000000; 2 * 1000 * 7.5e15 fits, but
    # 2 * 10**6 * 7.5e15 does not (it wrapped around to a negative count).
    share = Fraction("0.30000000000000004")
    sizes = np.array([1000, 10**6, 3 * 10**18])
    expected = [math.floor(share * int(n) + Fraction(1, 2)) for n in sizes]
    counts = c.holdout_counts(sizes, share.numerator, share.denominator)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(c.holdout_counts(sizes, 1, 10), [100, 100_000, 3 * 10**17])


@given(
    strata=st.lists(st.integers(0, 3), min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
    share=st.sampled_from([(1, 10), (1, 2), (1, 3), (9, 10)]),
)
@settings(max_examples=60, deadline=None)
def test_holdout_mask_takes_the_smallest_keys_per_stratum(
    strata: list[int], seed: int, share: tuple[int, int]
) -> None:
    stratum = np.array(strata, dtype=np.int64)
    stratum = np.unique(stratum, return_inverse=True)[1].astype(np.int64)  # dense codes
    key = np.random.default_rng(seed).integers(0, 2**63, len(stratum)).astype(np.uint64)
    counts = c.holdout_counts(np.bincount(stratum).astype(np.int64), *share)
    mask = c.holdout_mask(stratum, key, counts)
    frame = pd.DataFrame({"s": stratum, "key": key.astype(np.float64), "pos": np.arange(len(key))})
    ranked = frame.sort_values(["s", "key", "pos"]).groupby("s").cumcount()
    expected = ranked.sort_index().to_numpy() < counts[stratum]
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(np.bincount(stratum[mask], minlength=len(counts)), counts)


def test_bootstrap_of_a_two_point_group_by_hand() -> None:
    # Resampled means of [0, 1]: 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4; the control is constant.
    r = c.bootstrap_test(
        np.array([0.0, 1.0]), np.array([3.0, 3.0]), 0.05, n_resamples=4000, bits=np.random.PCG64(2)
    )
    assert (r.estimate, r.ci_lower, r.ci_upper) == (-2.5, -3.0, -2.0)
    assert math.isnan(r.df)
    assert r.standard_error == pytest.approx(math.sqrt(1 / 8), rel=0.05)  # sd of the resampled mean
    assert r.p_value == 0.0  # no resample reaches 0


def test_bootstrap_is_seeded_and_matches_welch_on_large_normal_samples() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(1.0, 2.0, 3000), rng.normal(0.8, 1.0, 2000)
    a = c.bootstrap_test(x, y, 0.05, n_resamples=2000, bits=np.random.PCG64(9))

    def limits(r: c.WelchTest) -> tuple[float, float, float]:
        return r.ci_lower, r.ci_upper, r.standard_error

    same = c.bootstrap_test(x, y, 0.05, n_resamples=2000, bits=np.random.PCG64(9))
    other = c.bootstrap_test(x, y, 0.05, n_resamples=2000, bits=np.random.PCG64(10))
    assert limits(a) == limits(same)
    assert limits(a) != limits(other)
    w = c.welch_test(x, y, 0.05)
    # Monte Carlo error of a 2.5% quantile of 2,000 resamples: well within 10% of the half-width.
    half = w.ci_upper - w.estimate
    assert abs(a.ci_lower - w.ci_lower) < 0.1 * half
    assert abs(a.ci_upper - w.ci_upper) < 0.1 * half
    assert a.standard_error == pytest.approx(w.standard_error, rel=0.1)


@pytest.mark.parametrize("alpha", [0.05, 1e-17, 1e-100])
def test_welch_interval_of_a_tiny_alpha_is_finite(alpha: float) -> None:
    # The t quantile is taken at alpha / 2: 1 - alpha / 2 rounds to 1 below alpha = 1.1e-16 (an inf half-width).
    r = c.welch_test(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 0.0, 1.0]), alpha)
    half = r.ci_upper - r.estimate
    assert math.isfinite(half)
    assert stdtr(r.df, -half / r.standard_error) == pytest.approx(alpha / 2, rel=1e-9)
