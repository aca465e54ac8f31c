"""Tests of ABC and XYZ classification on arrays (retention.core.classify)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from retention.core import classify
from retention.core.classify import (
    ComputedLimits,
    abc_codes,
    abc_thresholds,
    coefficient_of_variation,
    computed_abc_limits,
    period_cv,
    value_shares,
    xyz_codes,
    xyz_thresholds,
)
from retention.errors import ColumnTypeError, InvalidParameterError, InvalidValueError

A, B, C = 0, 1, 2
METHODS = ("cumulative", "count", "computed")

# --- ABC: hand-computed tables ------------------------------------------------------------------


def test_cumulative_rule_by_hand() -> None:
    # Total 100. Ahead of each customer: 0, 40, 65, 80, 90, 95, 98 (% of the value).
    # A while < 80: the customer with 15 brings the cumulative share to exactly 80% and is A.
    # B while < 95: 10 (80 ahead) and 5 (90 ahead). C: 3 (95 ahead, not < 95) and 2.
    values = [40, 25, 15, 10, 5, 3, 2]
    np.testing.assert_array_equal(abc_codes(values), [A, A, A, B, B, C, C])


def test_the_customer_who_crosses_the_limit_is_in_the_higher_class() -> None:
    # Ahead: 0, 50, 70, 85, 95. The 15 crosses 80% (70 -> 85) and is A; the 10 crosses 95% (85 -> 95,
    # reaching it exactly) and is B; 95% is ahead of the 5: C.
    np.testing.assert_array_equal(abc_codes([50, 20, 15, 10, 5]), [A, A, A, B, C])
    # A dominant customer: A is never empty when some value is positive.
    np.testing.assert_array_equal(abc_codes([90, 5, 5]), [A, B, B])
    np.testing.assert_array_equal(abc_codes([5, 95]), [C, A])  # 95% ahead of the 5: C


def test_order_of_customers_does_not_matter() -> None:
    np.testing.assert_array_equal(abc_codes([2, 40, 10, 3, 25, 5, 15]), [C, A, B, C, A, B, A])


def test_ties_take_the_class_of_their_first_member() -> None:
    # Three customers of 30 straddle the 80% limit (cumulative 30, 60, 90): all A.
    np.testing.assert_array_equal(abc_codes([30, 10, 30, 30]), [A, B, A, A])
    # Two of 5 straddle 95% (cumulative 95, 100), 90 ahead of both: both B.
    np.testing.assert_array_equal(abc_codes([5, 90, 5]), [B, A, B])
    # count: three of 5 with 20% = 1 customer for A: the tie makes all three A.
    np.testing.assert_array_equal(abc_codes([5, 1, 5, 5, 1], method="count"), [A, C, A, A, C])


def test_custom_thresholds() -> None:
    # 70/90: ahead 0, 40, 65 (< 70: A), 80 (< 90: B), 90, 95, 98 (C).
    np.testing.assert_array_equal(
        abc_codes([40, 25, 15, 10, 5, 3, 2], thresholds=(0.7, 0.9)), [A, A, A, B, C, C, C]
    )
    # t1 = t2: no B.
    np.testing.assert_array_equal(
        abc_codes([40, 25, 15, 10, 5, 3, 2], thresholds=(0.8, 0.8)), [A, A, A, C, C, C, C]
    )
    # t2 = 1: everyone with a positive value is A or B.
    np.testing.assert_array_equal(
        abc_codes([60, 30, 9, 1, 0], thresholds=(0.5, 1)), [A, B, B, B, C]
    )


def test_count_rule_by_hand() -> None:
    # 7 customers, top 20% = 1.4 customers: 2 customers (0 and 1 ahead < 1.4) are A; top 50% = 3.5:
    # 2 more (2 and 3 ahead) are B; 3 are C.
    values = [40, 25, 15, 10, 5, 3, 2]
    np.testing.assert_array_equal(abc_codes(values, method="count"), [A, A, B, B, C, C, C])
    # 10 customers: exactly 2 are A and 3 are B with the default (0.2, 0.5).
    codes = abc_codes(np.arange(10, 0, -1), method="count")
    np.testing.assert_array_equal(codes, [A] * 2 + [B] * 3 + [C] * 5)


def test_zero_values_are_c_and_all_zero_is_all_c() -> None:
    np.testing.assert_array_equal(abc_codes([10, 0, 0]), [A, C, C])
    np.testing.assert_array_equal(abc_codes([10, 0, 0], thresholds=(0.5, 1.0)), [A, C, C])
    for method in METHODS:
        np.testing.assert_array_equal(abc_codes([0, 0, 0], method=method), [C, C, C])
        assert abc_codes([], method=method).shape == (0,)
        np.testing.assert_array_equal(abc_codes([7.5], method=method), [A])
    assert abc_codes([]).dtype == np.int8


def test_computed_limits_by_hand() -> None:
    # Sorted 50 20 10 10 5 5, total 100: y = .5 .7 .8 .9 .95 1 at effort k/6.
    # Distance^2 to (0, 1): k=1 .0278+.25 = .278; k=2 .111+.09 = .201; k=3 .25+.04 = .29 -> Pareto 2.
    # Mean 16.7: two values >= mean -> break-even 2. A: the top 2.
    # Distance^2 to (2/6, 1): k=2 0+.09 = .09; k=3 .0278+.04 = .068; k=4 .111+.01 = .121 -> 3.
    values = [50, 20, 10, 10, 5, 5]
    assert computed_abc_limits(values) == ComputedLimits(2, 2, 3, 2, 3)
    # The two 10s straddle the B/C limit (ranks 3 and 4): both B.
    np.testing.assert_array_equal(abc_codes(values, method="computed"), [A, A, B, B, C, C])


def test_computed_limits_when_break_even_comes_first() -> None:
    # Sorted 40 15 15 10 10 10, total 100, mean 16.7: break-even 1.
    # y = .4 .55 .7 .8 .9 1: distance^2 to (0, 1): k=1 .0278+.36 = .388; k=2 .111+.2025 = .314;
    # k=3 .25+.09 = .34 -> Pareto 2. A = min(2, 1) = 1 customer.
    # Submarginal: closest to (max(2, 1)/6, 1): k=2 .2025; k=3 .0278+.09 = .118; k=4 .111+.04 = .151 -> 3.
    values = [10, 15, 40, 10, 15, 10]
    assert computed_abc_limits(values) == ComputedLimits(2, 1, 3, 1, 3)
    np.testing.assert_array_equal(abc_codes(values, method="computed"), [C, B, A, C, B, C])


def test_computed_limits_when_pareto_comes_first() -> None:
    # Sorted 10 9 8 1 1 1, total 30, mean 5: break-even 3. y = .333 .633 .9 .933 .967 1:
    # Pareto: k=1 .0278+.444 = .472; k=2 .111+.134 = .245; k=3 .25+.01 = .26 -> 2. A: the top 2.
    # Closest to (3/6, 1): k=2 .0278+.134 = .162; k=3 0+.01 = .01; k=4 .0278+.0044 = .032 -> 3.
    values = [1, 10, 1, 9, 8, 1]
    assert computed_abc_limits(values) == ComputedLimits(2, 3, 3, 2, 3)
    np.testing.assert_array_equal(abc_codes(values, method="computed"), [C, A, C, A, B, C])


def test_computed_limits_of_equal_values_and_edge_cases() -> None:
    # Equal values: every value is the mean, the slope is 1 everywhere: break-even n (the rightmost).
    assert computed_abc_limits([3, 3, 3, 3]).break_even == 4
    np.testing.assert_array_equal(abc_codes([3, 3, 3, 3], method="computed"), [A] * 4)
    assert computed_abc_limits([]) == ComputedLimits(0, 0, 0, 0, 0)
    assert computed_abc_limits([0, 0]) == ComputedLimits(0, 0, 0, 0, 0)
    # Zeros add effort and no yield: they are never inside A or B.
    assert computed_abc_limits([10, 0, 0]) == ComputedLimits(1, 1, 1, 1, 1)


def test_values_equal_but_for_rounding_error_are_ties() -> None:
    # 0.1 + 0.2 is 0.30000000000000004: compared bit for bit it would be ahead of 0.3, which would then
    # have 97% ahead (C) while 0.1 + 0.2 has 94% (B). To 12 significant digits they are a tie: both B.
    np.testing.assert_array_equal(abc_codes([0.1 + 0.2, 0.3, 9.4]), [B, B, A])
    np.testing.assert_array_equal(abc_codes([0.3, 9.4, 0.1 + 0.2]), [B, A, B])
    _, cumulative = value_shares([0.1 + 0.2, 0.3, 9.4])
    assert cumulative[0] == cumulative[1]
    assert classify.round_significant(0.1 + 0.2) == classify.round_significant(0.3)


def test_abc_leaves_its_input_alone() -> None:
    values = np.array([3.0, 1.0, 2.0])
    for method in METHODS:
        abc_codes(values, method=method)
        value_shares(values)
    np.testing.assert_array_equal(values, [3.0, 1.0, 2.0])


# --- ABC: shares ---------------------------------------------------------------------------------


def test_value_shares_by_hand() -> None:
    share, cumulative = value_shares([10, 50, 20, 20])
    np.testing.assert_allclose(share, [0.1, 0.5, 0.2, 0.2], rtol=1e-15)
    # The two 20s share a cumulative share: everything at least 20 is 90%.
    np.testing.assert_allclose(cumulative, [1.0, 0.5, 0.9, 0.9], rtol=1e-15)
    share, cumulative = value_shares([0, 0])
    assert np.isnan(share).all()
    assert np.isnan(cumulative).all()
    assert value_shares([])[0].shape == (0,)


# --- ABC: bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        ([1.0, -2.0], InvalidValueError, "negative: 1 value, the first at position 1"),
        ([1.0, np.nan], InvalidValueError, "missing"),
        ([np.inf, 1.0], InvalidValueError, "finite"),
        ([1e308] * 5 + [1.0], InvalidValueError, r"adds up to more than a float64 holds .*1e\+308"),
        (["a", "b"], ColumnTypeError, "numbers"),
        ([True, False], ColumnTypeError, "numbers"),
        ([[1.0, 2.0]], ColumnTypeError, "one-dimensional"),
        (3.0, ColumnTypeError, "one-dimensional"),
    ],
)
def test_abc_refuses_bad_values(values: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        abc_codes(values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("thresholds", "method", "match"),
    [
        ((0.9, 0.8), "cumulative", "0 <= t1 <= t2 <= 1"),
        ((0.8, 1.2), "cumulative", "0 <= t1 <= t2 <= 1"),
        ((-0.1, 0.5), "count", "0 <= t1 <= t2 <= 1"),
        ((0.8, np.nan), "cumulative", "0 <= t1 <= t2 <= 1"),
        ((0.8,), "cumulative", "pair of numbers"),
        ((0.2, 0.5, 0.9), "cumulative", "pair of numbers"),
        ("0.8", "cumulative", "pair of numbers"),
        ((True, 0.9), "cumulative", "pair of numbers"),
        (0.8, "cumulative", "pair of numbers"),
        ((0.8, 0.95), "computed", "must be None with method='computed'"),
        (
            None,
            "pareto",
            "'method' parameter of abc must be one of 'cumulative', 'count', 'computed'",
        ),
    ],
)
def test_abc_refuses_bad_options(thresholds: object, method: str, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        abc_codes([1.0, 2.0], thresholds=thresholds, method=method)  # type: ignore[arg-type]


def test_abc_thresholds_defaults_and_names() -> None:
    assert abc_thresholds(None, "cumulative") == (0.8, 0.95)
    assert abc_thresholds(None, "count") == (0.2, 0.5)
    assert abc_thresholds(None, "computed") is None
    assert abc_thresholds(np.array([0.5, 0.75]), "count") == (0.5, 0.75)
    with pytest.raises(InvalidParameterError, match="'thresholds_abc' parameter of abc_xyz"):
        abc_thresholds((2, 3), "count", func="abc_xyz", name="thresholds_abc")


def test_thresholds_too_large_for_a_float() -> None:
    # float(10**400) overflows: the pair is refused as out of range, the int shown short.
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'thresholds' parameter of abc must satisfy 0 <= t1 <= t2 <= 1\. Got \(0\.8, 1e\+400\)\. ",
    ):
        abc_thresholds((0.8, 10**400), "cumulative")
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'thresholds' parameter of xyz must satisfy 0 <= t1 <= t2\. Got \(-1e\+400, 1\)\. ",
    ):
        xyz_thresholds((-(10**400), 1))
    with pytest.raises(InvalidParameterError, match=r"Got \(0\.9, 0\.1\)\."):
        xyz_thresholds((np.float64(0.9), np.float64(0.1)))


# --- ABC: properties -----------------------------------------------------------------------------

whole_values = hnp.arrays(np.float64, st.integers(0, 60), elements=st.integers(0, 1000).map(float))
any_values = hnp.arrays(
    np.float64,
    st.integers(0, 60),
    elements=st.floats(0, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
methods = st.sampled_from(METHODS)


@given(any_values, methods)
def test_every_customer_gets_exactly_one_class(values: np.ndarray, method: str) -> None:
    codes = abc_codes(values, method=method)
    assert codes.shape == values.shape
    assert np.isin(codes, [A, B, C]).all()


@given(any_values, methods)
def test_abc_is_monotone_in_value_and_ties_agree(values: np.ndarray, method: str) -> None:
    codes = abc_codes(values, method=method)
    larger = values[:, None] > values[None, :]
    # A larger value never gets a lower class (a larger code).
    assert not (larger & (codes[:, None] > codes[None, :])).any()
    equal = values[:, None] == values[None, :]
    assert not (equal & (codes[:, None] != codes[None, :])).any()


@given(any_values, methods, st.randoms(use_true_random=False))
def test_abc_ignores_row_order(values: np.ndarray, method: str, random: object) -> None:
    perm = np.arange(len(values))
    random.shuffle(perm)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(
        abc_codes(values, method=method)[perm], abc_codes(values[perm], method=method)
    )


@given(whole_values, methods, st.integers(1, 10_000))
def test_abc_ignores_a_positive_scale_factor(values: np.ndarray, method: str, factor: int) -> None:
    # Whole numbers times a whole factor: every sum is exact, so every share is the same float.
    np.testing.assert_array_equal(
        abc_codes(values, method=method), abc_codes(values * factor, method=method)
    )


@given(any_values, methods, st.integers(-20, 20))
def test_abc_ignores_a_power_of_two_scale(values: np.ndarray, method: str, power: int) -> None:
    # Scaling by 2^k is exact in floating point, so the classes cannot change.
    np.testing.assert_array_equal(
        abc_codes(values, method=method), abc_codes(values * 2.0**power, method=method)
    )


@given(whole_values, st.floats(0, 1), st.floats(0, 1))
def test_a_is_the_smallest_top_group_that_reaches_t1(
    values: np.ndarray, x: float, y: float
) -> None:
    t1, t2 = sorted((x, y))
    codes = abc_codes(values, thresholds=(t1, t2))
    total = Fraction(int(values.sum()))
    if total == 0:
        assert (codes == C).all()
        return
    for code, limit in ((A, t1), (B, t2)):
        inside = values[codes <= code]
        held = Fraction(int(inside.sum()))
        # The group holds at least the limit (or is everyone with a positive value) ...
        assert held >= Fraction(limit) * total or held == total
        # ... and without its smallest tie group it would hold less.
        if len(inside):
            smaller = Fraction(int(inside[inside > inside.min()].sum()))
            assert smaller < Fraction(limit) * total


@given(whole_values, st.floats(0, 1), st.floats(0, 1))
def test_count_a_is_the_top_share_of_customers_rounded_up(
    values: np.ndarray, x: float, y: float
) -> None:
    t1, t2 = sorted((x, y))
    codes = abc_codes(values, method="count", thresholds=(t1, t2))
    n = len(values)
    for code, limit in ((A, t1), (B, t2)):
        inside = values[codes <= code]
        if n == 0 or values.sum() == 0:
            break
        assert len(inside) >= math.ceil(limit * n) or len(inside) == n
        if len(inside):
            assert (inside > inside.min()).sum() < limit * n


@given(whole_values)
def test_computed_classes_follow_the_limits(values: np.ndarray) -> None:
    limits = computed_abc_limits(values)
    codes = abc_codes(values, method="computed")
    assert limits.a <= limits.ab <= len(values)
    if values.sum() == 0:
        assert (codes == C).all()
        return
    assert limits.a == min(limits.pareto, limits.break_even) >= 1
    # Ties may pull customers up into a class, never down.
    assert (codes == A).sum() >= limits.a
    assert (codes <= B).sum() >= limits.ab
    assert (codes == A).sum() - limits.a < (values == values[codes == A].min()).sum()


@given(any_values)
def test_shares_sum_to_one(values: np.ndarray) -> None:
    share, cumulative = value_shares(values)
    if len(values) == 0 or values.sum() == 0:
        return
    assert math.fsum(share) == pytest.approx(1.0, rel=1e-12)
    assert cumulative.max() == 1.0
    assert (cumulative >= share * (1 - 1e-12)).all()
    # The ranking order: a larger value never has a larger cumulative share.
    larger = values[:, None] > values[None, :]
    assert not (larger & (cumulative[:, None] > cumulative[None, :])).any()


# --- XYZ -----------------------------------------------------------------------------------------


def test_xyz_codes_by_hand() -> None:
    cv = [0.0, 0.1, 0.1000001, 0.25, 0.26, 5.0, np.nan]
    np.testing.assert_array_equal(xyz_codes(cv), [0, 0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(xyz_codes(cv, thresholds=(0.5, 1.0)), [0, 0, 0, 0, 0, 2, 2])


def test_a_cv_on_a_limit_on_paper_is_on_the_limit() -> None:
    # 0.9 and 1.1: mean 1, sigma 0.1, so the CV is 0.1, computed as 0.10000000000000003. It is X.
    cv = coefficient_of_variation([[0.9, 1.1]])
    assert cv[0] > 0.1
    np.testing.assert_array_equal(xyz_codes(cv), [0])


@pytest.mark.parametrize("thresholds", [(0.3, 0.2), (-1, 1), (0.1, np.inf), ("a", "b"), 0.5])
def test_xyz_codes_refuse_bad_thresholds(thresholds: object) -> None:
    with pytest.raises(InvalidParameterError, match="'thresholds' parameter of xyz"):
        xyz_codes([0.5], thresholds=thresholds)  # type: ignore[arg-type]


def test_coefficient_of_variation_by_hand() -> None:
    matrix = [
        [np.nan, 10.0, 10.0, 10.0],  # constant: 0
        [4.0, 0.0, 4.0, 0.0],  # mean 2, deviations +-2: sigma 2, CV 1
        [np.nan, 6.0, 0.0, 0.0],  # mean 2, sigma sqrt((16 + 4 + 4) / 3) = 2.828: CV 1.414
        [np.nan, np.nan, np.nan, 5.0],  # one observed period: NaN
        [np.nan, 0.0, 0.0, 0.0],  # mean 0: NaN
        [np.nan, np.nan, np.nan, np.nan],  # nothing observed: NaN
        [3.0, -1.0, 0.0, 0.0],  # mean 0.5: sigma sqrt((6.25 + 2.25 + 0.25 + 0.25) / 4) = 1.5: CV 3
        [-3.0, 1.0, np.nan, np.nan],  # mean -1: NaN
    ]
    cv = coefficient_of_variation(matrix)
    np.testing.assert_allclose(
        cv, [0.0, 1.0, math.sqrt(2), np.nan, np.nan, np.nan, 3.0, np.nan], rtol=1e-14
    )
    # min_periods = 1 defines the one-period CV (0); 4 leaves only the full rows.
    assert coefficient_of_variation(matrix, min_periods=1)[3] == 0.0
    np.testing.assert_array_equal(
        ~np.isnan(coefficient_of_variation(matrix, min_periods=4)),
        [False, True, False, False, False, False, True, False],
    )


def test_coefficient_of_variation_has_no_cancellation() -> None:
    # A one-pass formula (mean of squares minus square of mean) loses every digit here.
    big = 1e9
    matrix = np.array([[big + 1, big - 1, big + 1, big - 1]])
    np.testing.assert_allclose(coefficient_of_variation(matrix), [1 / big], rtol=1e-6)
    cv, _ = period_cv(
        np.zeros(4, dtype=np.int64), np.arange(4, dtype=np.int64), matrix[0], 1, last_period=3
    )
    np.testing.assert_allclose(cv, [1 / big], rtol=1e-6)


@pytest.mark.parametrize(
    ("matrix", "error", "match"),
    [
        ([1.0, 2.0], ColumnTypeError, "two-dimensional"),
        ([["a", "b"]], ColumnTypeError, "numbers"),
        ([[1.0, np.inf]], InvalidValueError, "finite: 1 value, the first at position \\(0, 1\\)"),
    ],
)
def test_coefficient_of_variation_refuses_bad_input(
    matrix: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        coefficient_of_variation(matrix)  # type: ignore[arg-type]


@pytest.mark.parametrize("min_periods", [0, -1, 1.5, True, "2"])
def test_min_periods_must_be_a_whole_number(min_periods: object) -> None:
    with pytest.raises(InvalidParameterError, match="'min_periods' parameter of xyz"):
        coefficient_of_variation([[1.0, 2.0]], min_periods=min_periods)  # type: ignore[arg-type]


matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 12), st.integers(1, 10)),
    elements=st.floats(0, 1e4, allow_nan=False, allow_subnormal=False),
)


def _with_history(matrix: np.ndarray, starts: list[int]) -> np.ndarray:
    """NaN before each row's first observed period."""
    out = matrix.copy()
    for row, start in enumerate(starts[: len(out)]):
        out[row, : start % (out.shape[1] + 1)] = np.nan
    return out


@given(matrices, st.lists(st.integers(0, 10), min_size=12, max_size=12))
def test_cv_matches_numpy_population_std_over_mean(matrix: np.ndarray, starts: list[int]) -> None:
    m = _with_history(matrix, starts)
    cv = coefficient_of_variation(m, min_periods=2)
    observed = (~np.isnan(m)).sum(axis=1)
    for row in range(len(m)):
        values = m[row][~np.isnan(m[row])]
        if observed[row] < 2 or values.mean() <= 0:
            assert np.isnan(cv[row])
        else:
            # numpy's std squares the values, which underflows for tiny ones: scale first (the CV
            # does not depend on the scale).
            scaled = values / np.abs(values).max()
            assert cv[row] == pytest.approx(scaled.std() / scaled.mean(), rel=1e-9, abs=1e-12)


@given(matrices, st.lists(st.integers(0, 10), min_size=12, max_size=12), st.integers(-30, 30))
def test_xyz_ignores_scaling_a_customers_values(
    matrix: np.ndarray, starts: list[int], power: int
) -> None:
    m = _with_history(matrix, starts)
    scaled = m.copy()
    scaled[0] *= 2.0**power  # one customer, scaled exactly
    np.testing.assert_array_equal(coefficient_of_variation(m), coefficient_of_variation(scaled))
    scaled[-1] *= 3.7  # another customer, any positive factor: the CV agrees to rounding
    np.testing.assert_allclose(
        coefficient_of_variation(m), coefficient_of_variation(scaled), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_array_equal(
        xyz_codes(coefficient_of_variation(m)),
        xyz_codes(coefficient_of_variation(m * 2.0**power)),
    )


# --- XYZ from purchases --------------------------------------------------------------------------


def test_period_cv_by_hand() -> None:
    # Customer 0: 2 + 2 in period 3, 4 in period 5; periods 3..6 -> 4, 0, 4, 0: CV 1.
    # Customer 1: 7 in period 4; periods 4..6 -> 7, 0, 0: CV sqrt(2).
    # Customer 2: only in period 7, after the last period: no periods, NaN.
    # Customer 3: 5 in period 6: one period, NaN.
    # Customer 4: +3 and -3 in period 4, 6 in period 5: 0, 6, 0 -> CV sqrt(2).
    customer = np.array([0, 0, 0, 1, 2, 3, 4, 4, 4])
    period = np.array([3, 3, 5, 4, 7, 6, 4, 4, 5])
    value = np.array([2.0, 2.0, 4.0, 7.0, 9.0, 5.0, 3.0, -3.0, 6.0])
    cv, periods = period_cv(customer, period, value, 5, last_period=6)
    np.testing.assert_allclose(cv, [1.0, math.sqrt(2), np.nan, np.nan, math.sqrt(2)], rtol=1e-14)
    np.testing.assert_array_equal(periods, [4, 3, 0, 1, 3])
    # Counting purchases instead: customer 0 -> 2, 0, 1, 0 (mean 0.75, sigma 0.829).
    cv, _ = period_cv(customer, period, None, 5, last_period=6)
    assert cv[0] == pytest.approx(math.sqrt(0.6875) / 0.75, rel=1e-14)
    assert cv[4] == pytest.approx(math.sqrt(2 / 3), rel=1e-14)  # 2, 1, 0: mean 1, sigma sqrt(2/3)
    empty = np.empty(0, dtype=np.int64)
    cv, periods = period_cv(empty, empty, np.empty(0), 2, last_period=0)
    assert np.isnan(cv).all()
    np.testing.assert_array_equal(periods, [0, 0])


purchases = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 11), st.integers(-5, 100)),
    min_size=1,
    max_size=60,
)


def _dense_reference(
    rows: list[tuple[int, int, int]], last_period: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, and the customers x periods matrix built cell by cell with NaN before each first purchase."""
    used = sorted({c for c, _, _ in rows})
    code = {c: i for i, c in enumerate(used)}
    customer = np.array([code[c] for c, _, _ in rows])
    period = np.array([p for _, p, _ in rows])
    value = np.array([float(v) for _, _, v in rows])
    matrix = np.zeros((len(used), last_period + 1))
    for c, p, v in zip(customer, period, value, strict=True):
        if p <= last_period:
            matrix[c, p] += v
    first = [period[customer == c].min() for c in range(len(used))]
    for c, f in enumerate(first):
        matrix[c, : min(f, last_period + 1)] = np.nan
    return customer, period, matrix


@given(purchases, st.integers(0, 12), st.integers(1, 3))
def test_period_cv_matches_the_dense_matrix(
    rows: list[tuple[int, int, int]], last_period: int, min_periods: int
) -> None:
    customer, period, matrix = _dense_reference(rows, last_period)
    value = np.array([float(v) for _, _, v in rows])
    n = int(customer.max()) + 1
    cv, periods = period_cv(
        customer, period, value, n, last_period=last_period, min_periods=min_periods
    )
    expected = coefficient_of_variation(matrix, min_periods=min_periods)
    np.testing.assert_allclose(cv, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(periods, (~np.isnan(matrix)).sum(axis=1))


@given(purchases, st.integers(0, 12))
def test_period_cv_without_the_dense_grid(rows: list[tuple[int, int, int]], last: int) -> None:
    customer, period, _ = _dense_reference(rows, last)
    value = np.array([float(v) for _, _, v in rows])
    n = int(customer.max()) + 1
    expected = period_cv(customer, period, value, n, last_period=last)
    saved = classify._DENSE_LIMIT, classify._DENSE_CELLS_PER_ROW
    try:
        # No grid is small enough: every purchase finds its pair by binary search.
        classify._DENSE_LIMIT, classify._DENSE_CELLS_PER_ROW = 0, 0  # type: ignore[misc]
        got = period_cv(customer, period, value, n, last_period=last)
    finally:
        classify._DENSE_LIMIT, classify._DENSE_CELLS_PER_ROW = saved  # type: ignore[misc]
    np.testing.assert_array_equal(got[0], expected[0])  # the same sums in the same order
    np.testing.assert_array_equal(got[1], expected[1])


def test_period_cv_searches_when_the_grid_is_sparse(monkeypatch: pytest.MonkeyPatch) -> None:
    # 3 customers over 1000 periods with 6 purchases: 3000 cells > 2 per purchase.
    monkeypatch.setattr(classify, "_DENSE_LIMIT", 0)
    customer = np.array([0, 0, 1, 2, 2, 2])
    period = np.array([0, 999, 500, 998, 999, 999])
    value = np.array([1.0, 1.0, 3.0, 2.0, 1.0, 1.0])
    cv, periods = period_cv(customer, period, value, 3, last_period=999)
    np.testing.assert_array_equal(periods, [1000, 500, 2])
    # Customer 0: two 1s in 1000 periods: mean 0.002, sigma sqrt(0.002 * 0.998).
    assert cv[0] == pytest.approx(math.sqrt(0.002 * 0.998) / 0.002, rel=1e-12)
    assert cv[2] == 0.0  # 2, 2


@pytest.mark.parametrize("scale", [1e-170, 1e-300, 1e170, 1e300])
def test_cv_of_tiny_and_huge_values_is_the_cv_of_ordinary_ones(scale: float) -> None:
    # Squaring these values would underflow to 0 or overflow to inf; the CV does not depend on the scale.
    expected = coefficient_of_variation([[4.0, 0.0, 4.0, 0.0], [np.nan, 1.0, 2.0, 3.0]])
    got = coefficient_of_variation(
        [[4 * scale, 0.0, 4 * scale, 0.0], [np.nan, scale, 2 * scale, 3 * scale]]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    customer = np.array([0, 0, 1, 1, 1])
    period = np.array([3, 5, 4, 5, 6])
    value = np.array([4.0, 4.0, 1.0, 2.0, 3.0])
    plain, _ = period_cv(customer, period, value, 2, last_period=6)
    np.testing.assert_allclose(plain, expected, rtol=1e-12)
    mixed = value.copy()
    mixed[:2] *= scale  # one customer at the extreme scale, the other ordinary
    scaled, _ = period_cv(customer, period, mixed, 2, last_period=6)
    np.testing.assert_allclose(scaled, expected, rtol=1e-12)


def test_period_cv_with_returns_and_first_periods_by_hand() -> None:
    # Customer 0 bought in periods 3 and 5; a return of 2 in period 4 and one of 1 in period 2, before
    # the first purchase, which counts in period 3: 10 - 1, -2, 6, 0 over periods 3 to 6.
    # Customer 1 bought 4 in period 5 and returned 4 in period 7, after the last period: 4, 0.
    customer = np.array([0, 0, 1, 0, 0, 1])
    period = np.array([3, 5, 5, 4, 2, 7])
    value = np.array([10.0, 6.0, 4.0, -2.0, -1.0, -4.0])
    first = np.array([3, 5])
    cv, periods = period_cv(customer, period, value, 2, last_period=6, first_period=first)
    months = np.array([9.0, -2.0, 6.0, 0.0])
    np.testing.assert_allclose(cv, [months.std() / months.mean(), 1.0], rtol=1e-14)
    np.testing.assert_array_equal(periods, [4, 2])


def test_period_cv_sums_exactly() -> None:
    # 1e16 + 1 - 1e16 in one period is 1, not 0 (what adding in row order gives): periods 1, 5.
    cv, _ = period_cv(
        np.zeros(4, dtype=np.int64),
        np.array([0, 0, 0, 1]),
        np.array([1e16, 1.0, -1e16, 5.0]),
        1,
        last_period=1,
    )
    assert cv[0] == pytest.approx(2 / 3, rel=1e-15)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.integers(0, 8),
            st.sampled_from([1e16, -1e16, 0.1, 1 / 3, -2.5e-7, 12345.678, 3.0, 1e-300]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_period_cv_does_not_depend_on_the_row_order_to_the_last_bit(
    rows: list[tuple[int, int, float]], random: object
) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]

    def run(r: list[tuple[int, int, float]]) -> tuple[np.ndarray, np.ndarray]:
        customer = np.array([c for c, _, _ in r], dtype=np.int64)
        return period_cv(
            customer,
            np.array([p for _, p, _ in r], dtype=np.int64),
            np.array([v for _, _, v in r]),
            5,
            last_period=6,
            first_period=np.zeros(5, dtype=np.int64),
        )

    a, b = run(rows), run(shuffled)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_period_cv_of_a_mean_that_almost_cancels_is_infinite_not_a_warning() -> None:
    # -1e16 + 1e-300 in one month and 1e16 in the next: a positive mean of about 1.4e-301 over 7 months
    # against a spread of 5e15. The CV's limit is inf (class Z); no overflow warning escapes.
    cv, periods = period_cv(
        np.zeros(3, dtype=np.int64),
        np.array([0, 0, 1]),
        np.array([-1e16, 1e-300, 1e16]),
        1,
        last_period=6,
        first_period=np.zeros(1, dtype=np.int64),
    )
    assert periods.tolist() == [7]
    assert cv.tolist() == [np.inf]
    assert xyz_codes(cv, thresholds=(0.1, 0.25), func="abc_xyz").tolist() == [2]
