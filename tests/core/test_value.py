"""Tests of the value computations on arrays (retention.core.clv.value)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from retention.core.clv import value
from retention.errors import ColumnTypeError, InvalidParameterError

# --- clv_formula -------------------------------------------------------------------------------------


def test_clv_formula_by_hand() -> None:
    # m r / (1 + d - r): 100 * 0.8 / 0.3, 100 * 0.6 / 0.5, 100 * 0.9 / 0.2.
    assert value.clv_formula(100.0, 0.8, 0.1) == pytest.approx(80 / 0.3, rel=1e-15)
    np.testing.assert_allclose(
        value.clv_formula(100, [0.6, 0.8, 0.9], 0.1), [120.0, 80 / 0.3, 450.0], rtol=1e-14
    )
    assert isinstance(value.clv_formula(1, 0.5, 0), float)
    assert value.clv_formula(1, 0.5, 0) == 1.0  # 0.5 / 0.5
    assert value.clv_formula(30.0, 0.0, 0.1) == 0.0  # gone after the first period
    assert value.clv_formula(30.0, 1.0, 0.1) == pytest.approx(300.0)  # the perpetuity m / d
    assert value.clv_formula(-10.0, 0.5, 0.0) == -10.0  # a loss-making customer


def test_clv_formula_broadcasts() -> None:
    got = value.clv_formula([[10.0], [20.0]], [0.5, 0.75], [0.0, 0.25])
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, [[10.0, 15.0], [20.0, 30.0]])


@given(
    margin=st.floats(-1e6, 1e6),
    retention=st.floats(0, 0.99),
    rate=st.floats(0, 1),
)
def test_clv_formula_is_the_discounted_sum(margin: float, retention: float, rate: float) -> None:
    # The closed form of sum_{t >= 1} m r^t / (1 + d)^t, summed until the terms vanish.
    ratio = retention / (1 + rate)
    terms = ratio ** np.arange(1, 20_000)
    expected = margin * float(terms.sum())
    assert value.clv_formula(margin, retention, rate) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(
    margin=st.floats(-1e6, 1e6),
    retention=st.floats(0, 1, exclude_max=True),
    rate=st.floats(1e-9, 10),
)
# 1 + d - r rounded off the digits of d: 4e-8 relative error here.
@example(margin=1.0, retention=0.999999999, rate=1e-9)
def test_clv_formula_keeps_its_digits(margin: float, retention: float, rate: float) -> None:
    # Against exact rational arithmetic on the same doubles.
    m, r, d = Fraction(margin), Fraction(retention), Fraction(rate)
    expected = float(m * r / (1 + d - r))
    # (abs: subnormal values keep fewer digits)
    assert value.clv_formula(margin, retention, rate) == pytest.approx(
        expected, rel=1e-14, abs=1e-300
    )


@given(retention=st.floats(0, 0.99), low=st.floats(0, 1), high=st.floats(0, 1))
def test_clv_formula_falls_with_the_discount_rate(
    retention: float, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    assert value.clv_formula(1.0, retention, high) <= value.clv_formula(1.0, retention, low)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1.0, 1.2, 0.1), InvalidParameterError, r"'retention' .* \[0, 1\]: Got 1.2"),
        ((1.0, -0.1, 0.1), InvalidParameterError, "'retention'"),
        ((1.0, math.nan, 0.1), InvalidParameterError, "'retention'"),
        ((1.0, [0.5, 2.0], 0.1), InvalidParameterError, r"first at position 1 \(2.0\)"),
        ((1.0, 0.5, -0.01), InvalidParameterError, "'discount_rate' .* >= 0"),
        ((1.0, 0.5, math.inf), InvalidParameterError, "'discount_rate'"),
        ((math.nan, 0.5, 0.1), InvalidParameterError, "'margin' .* finite"),
        ((1.0, 1.0, 0.0), InvalidParameterError, "infinite sum"),
        ((1.0, [0.5, 0.6], [0.1, 0.2, 0.3]), InvalidParameterError, "broadcast"),
        (("1", 0.5, 0.1), ColumnTypeError, "'margin' .* numbers"),
        ((1.0, True, 0.1), ColumnTypeError, "'retention'"),
    ],
)
def test_clv_formula_bad_input(
    args: tuple[object, object, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        value.clv_formula(*args)  # type: ignore[arg-type]


# --- discounted_transactions ------------------------------------------------------------------------------


def test_discounted_transactions_by_hand() -> None:
    # Cumulative 1, 3, 6 transactions at the end of periods 1, 2, 3; rate 0.1 per period.
    table = {0.0: 0.0, 2.0: 1.0, 4.0: 3.0, 6.0: 6.0}
    got = value.discounted_transactions(
        lambda ts: np.array([[table[t], 2 * table[t]] for t in ts]),
        horizon=3,
        step=2.0,
        discount_rate=0.1,
    )
    expected = 1 / 1.1 + 2 / 1.1**2 + 3 / 1.1**3
    np.testing.assert_allclose(got, [expected, 2 * expected], rtol=1e-15)


@given(
    rates=hnp.arrays(np.float64, 3, elements=st.floats(0, 5)),
    horizon=st.integers(1, 40),
    step=st.floats(0.1, 10),
)
def test_discounted_transactions_without_discount_telescopes(
    rates: np.ndarray, horizon: int, step: float
) -> None:
    def cumulative(t: np.ndarray) -> np.ndarray:
        return np.outer(np.sqrt(t), rates)  # concave, like the models' E[Y(t)]

    got = value.discounted_transactions(cumulative, horizon=horizon, step=step, discount_rate=0.0)
    np.testing.assert_allclose(
        got, cumulative(np.array([horizon * step]))[0], rtol=1e-12, atol=1e-12
    )


@given(horizon=st.integers(1, 3000), rate=st.floats(1e-9, 10), step=st.floats(0.01, 10))
# (1 + d) ** k overflowed: OverflowError.
@example(horizon=400, rate=10.0, step=1.0)
def test_discounted_transactions_at_any_rate_and_horizon(
    horizon: int, rate: float, step: float
) -> None:
    # A constant rate of one transaction per unit of time: sum_k step / (1 + d)^k, a geometric sum, against
    # exact rational arithmetic on the same doubles.
    got = value.discounted_transactions(
        lambda t: t[:, None], horizon=horizon, step=step, discount_rate=rate
    )
    assert np.all(np.isfinite(got))
    ratio = 1 / (1 + Fraction(rate))
    expected = Fraction(step) * ratio * (1 - ratio**horizon) / (1 - ratio)
    assert got[0] == pytest.approx(float(expected), rel=1e-12)


def smooth_cumulative(t: np.ndarray) -> np.ndarray:
    """Concave E[Y(t)] of four customers, like the models': mixtures of exponential and power-law decay."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    return np.hstack(
        [
            0.7 * -np.expm1(-0.05 * t) / 0.05,  # constant rate, exponential dropout
            2.0 * np.log1p(t / 3.0),  # Pareto/NBD-like, s = 1
            4.0 * (1.0 - (1.0 + t / 40.0) ** -0.6) / 0.6,  # s = 1.6
            0.3 * np.sqrt(t) + 0.01 * t,  # slow decay, never ending
        ]
    )


def period_by_period(cumulative, horizon: int, step: float, rate: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    k = np.arange(horizon + 1, dtype=np.float64)
    increments = np.diff(cumulative(k * step), axis=0)
    return np.exp(-k[1:] * math.log1p(rate)) @ increments


@given(
    horizon=st.integers(513, 20_000),
    rate=st.floats(1e-6, 3.0),
    step=st.floats(0.05, 50.0),
)
@example(horizon=513, rate=1e-6, step=0.05)  # just past the explicit sum, hardly discounted
@example(horizon=20_000, rate=0.01, step=1.0)  # cut after the discount factor falls by e^-40
def test_discounted_transactions_of_long_horizons_are_the_period_sum(
    horizon: int, rate: float, step: float
) -> None:
    # Beyond 512 periods the sum is taken in bulk (by parts, Gregory's formula and quadrature): within the
    # stated 1e-12 of the explicit sum.
    got = value.discounted_transactions(
        smooth_cumulative, horizon=horizon, step=step, discount_rate=rate
    )
    expected = period_by_period(smooth_cumulative, horizon, step, rate)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


class Budget:
    """A cumulative that counts the values asked of it and refuses to give more than ``limit``."""

    def __init__(self, cumulative, limit: int) -> None:  # type: ignore[no-untyped-def]
        self.cumulative, self.limit, self.used = cumulative, limit, 0

    def __call__(self, t: np.ndarray) -> np.ndarray:
        values = self.cumulative(t)
        self.used += values.size
        if self.used > self.limit:
            msg = f"asked for {self.used} values"
            raise AssertionError(msg)
        return values


@pytest.mark.parametrize("rate", [0.0, 1e-300, 1e-12, 1e-4, 0.1, 3.0])
def test_discounted_transactions_cost_does_not_grow_with_the_horizon(rate: float) -> None:
    # Not a timing: the number of values asked of the model, fewer than 530 per customer whatever the horizon
    # (a million periods asked for a million values, period by period).
    results = {}
    for horizon in (10**3, 10**6, 10**9, 2**53):
        budget = Budget(smooth_cumulative, limit=530 * 4)
        results[horizon] = value.discounted_transactions(
            budget, horizon=horizon, step=1.0, discount_rate=rate
        )
        assert np.all(np.isfinite(results[horizon]))
    if rate >= 1e-4:  # the same cut after the discount factor fell by e^-40
        np.testing.assert_array_equal(results[10**6], results[2**53])
    if rate == 0.0:  # the sum telescopes
        np.testing.assert_array_equal(results[10**9], smooth_cumulative(np.array([1e9]))[0])


@pytest.mark.parametrize("rate", [1e-9, 1e-6, 1e-3, 0.05, 2.0])
@pytest.mark.parametrize("horizon", [10**4, 10**6, 10**12])
def test_discounted_transactions_of_a_constant_rate_at_any_horizon(
    rate: float, horizon: int
) -> None:
    # One transaction per period: the geometric sum (1 - (1 + d)^-H) / d, each step to a few ulp.
    got = value.discounted_transactions(
        lambda t: t[:, None], horizon=horizon, step=1.0, discount_rate=rate
    )
    expected = -math.expm1(-horizon * math.log1p(rate)) / rate
    assert got[0] == pytest.approx(expected, rel=1e-12)


def test_tracking_counts_keep_every_day_exact() -> None:
    # 100,000 customers over 3,000 days: an FFT convolution left 5e-11 instead of 0 at day 0, and errors of
    # 1e-15 of the largest count on every day; the direct sum keeps each day's relative precision.
    rng = np.random.default_rng(0)
    days = np.arange(3000.0)
    expected_by_age = 1.5 * np.log1p(days / 40.0)  # concave, 0 at age 0, like E[X(t)]
    first = rng.integers(0, 2000, 100_000)
    got = value.tracking_counts(first, np.array([5]), np.arange(3000), expected_by_age)
    arrivals = np.bincount(first, minlength=3000)
    exact = [
        math.fsum(arrivals[: e + 1][::-1] * expected_by_age[: e + 1]) for e in (0, 1, 2, 10, 2999)
    ]
    assert got.expected[0] == 0.0
    np.testing.assert_allclose(got.expected[[0, 1, 2, 10, 2999]], exact, rtol=1e-13, atol=0)


# --- historical value and the holdout table ----------------------------------------------------------


def test_historical_value() -> None:
    got = value.historical_value(
        np.array([2, 0, 2, 2]), np.array([10.0, 4.0, -3.0, 1.5]), 4, margin=0.2
    )
    np.testing.assert_allclose(got, [0.8, 0.0, 1.7, 0.0])


@given(
    amounts=st.lists(
        st.sampled_from([1e16, -1e16, 1.0, 5.0, -3.0, 0.1, 0.2, -0.3, 1234.567, 2.0**-30]),
        min_size=1,
        max_size=40,
    ),
    data=st.data(),
)
def test_historical_value_is_exact_and_order_free(
    amounts: list[float], data: st.DataObject
) -> None:
    n = len(amounts)
    customer = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    order = data.draw(st.permutations(range(n)))
    values = np.array(amounts)
    got = value.historical_value(customer, values, 4, margin=1.0)
    shuffled = value.historical_value(customer[order], values[order], 4, margin=1.0)
    np.testing.assert_array_equal(got, shuffled)  # to the last bit
    # Faithfully rounded (within one unit in the last place) of the exact sum of the floats, or, when
    # every amount is a whole number of cents, of the sum of the decimals they print as (group_sums).
    for c in range(4):
        mine = values[customer == c]
        exact = sum((Fraction(v) for v in mine), Fraction(0))
        decimal = sum((Fraction(repr(float(v))) for v in mine), Fraction(0))
        assert any(
            abs(Fraction(got[c]) - total) <= Fraction(math.ulp(float(total)))
            for total in (exact, decimal)
        )


def test_historical_value_of_mixed_magnitudes() -> None:
    # Adding in row order gives 4.0 here; the exact sum is 6.
    got = value.historical_value(np.zeros(4, np.int64), np.array([1e16, 1.0, -1e16, 5.0]), 1)
    np.testing.assert_array_equal(got, [6.0])
    assert 1e16 + 1.0 - 1e16 + 5.0 != 6.0


def test_binned_means_do_not_depend_on_the_order() -> None:
    values = np.array([0.1, 0.2, 0.3, 1e-17, 0.7, 1e16, 1.0, -1e16])
    bins = np.array([0, 0, 0, 0, 1, 2, 2, 2])
    counts, means = value.binned_means(bins, values, 3)
    np.testing.assert_array_equal(counts, [4, 1, 3])
    np.testing.assert_array_equal(means, [0.15, 0.7, 1 / 3])
    order = [7, 3, 5, 1, 0, 6, 2, 4]
    _, again = value.binned_means(bins[order], values[order], 3)
    np.testing.assert_array_equal(again, means)


def test_frequency_bins_and_means() -> None:
    x = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 9.0])
    bins = value.frequency_bins(x, 2)
    np.testing.assert_array_equal(bins, [0, 0, 1, 2, 2, 2])
    counts, means = value.binned_means(bins, np.array([0.0, 1.0, 2.0, 4.0, 5.0, 9.0]), 4)
    np.testing.assert_array_equal(counts, [2, 1, 3, 0])
    np.testing.assert_allclose(means, [0.5, 2.0, 6.0, np.nan])


# --- tracking ------------------------------------------------------------------------------------------


def brute_force_tracking(
    first: np.ndarray, repeat: np.ndarray, at: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One customer and one day at a time."""
    actual = np.array([float(np.sum(repeat <= e)) for e in at])
    expected = np.array([sum(g[e - f] for f in first if f <= e) for e in at], dtype=float)
    return actual, expected


def test_tracking_counts_by_hand() -> None:
    # Customers first buying on days 0, 0 and 2; E[X(d)] = 0, 0.1, 0.3, 0.6, 1.0 for d = 0..4.
    g = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    got = value.tracking_counts(np.array([0, 0, 2]), np.array([1, 3, 3]), np.array([1, 2, 4]), g)
    np.testing.assert_allclose(got.actual, [1.0, 1.0, 3.0])
    # day 1: 2 * 0.1; day 2: 2 * 0.3 + 0; day 4: 2 * 1.0 + 0.3
    np.testing.assert_allclose(got.expected, [0.2, 0.6, 2.3], rtol=1e-12)


@given(
    first=hnp.arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 60)),
    gaps=hnp.arrays(np.int64, st.integers(0, 40), elements=st.integers(1, 60)),
    data=st.data(),
)
def test_tracking_counts_match_brute_force(
    first: np.ndarray, gaps: np.ndarray, data: st.DataObject
) -> None:
    n_days = 130
    g = np.cumsum(data.draw(hnp.arrays(np.float64, n_days, elements=st.floats(0, 1))))
    g[0] = 0.0
    owners = data.draw(hnp.arrays(np.int64, len(gaps), elements=st.integers(0, len(first) - 1)))
    repeat = first[owners] + gaps  # a repeat transaction comes after its customer's first purchase
    at = np.sort(
        data.draw(hnp.arrays(np.int64, st.integers(1, 10), elements=st.integers(0, n_days - 1)))
    )
    got = value.tracking_counts(first, repeat, at, g)
    actual, expected = brute_force_tracking(first, repeat, at, g)
    np.testing.assert_allclose(got.actual, actual)
    np.testing.assert_allclose(got.expected, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("error")
def test_clv_formula_refuses_values_beyond_floats() -> None:
    # 1e308 * r / (1 - r + 0.1) is about 1e309, beyond the largest float: refused, not inf with a warning.
    r = 0.9999999999999999
    with pytest.raises(
        InvalidParameterError, match=r"beyond the largest float .*: margin 1e\+308, retention"
    ):
        value.clv_formula(1e308, r, 0.1)
    with pytest.raises(
        InvalidParameterError,
        match=r"1 value\(s\), the first at position \(0, 1\): margin -1e\+308",
    ):
        value.clv_formula([[1.0, -1e308]], r, 0.1)
    # A customer who never leaves, at a rate near 0: the perpetuity m / d exceeds floats too.
    with pytest.raises(InvalidParameterError, match=r"discount_rate 1e-300\. Pass the margin"):
        value.clv_formula(1e100, 1.0, 1e-300)
    # Up to the largest float the value is computed: m r / (1 - r + d) by hand.
    assert value.clv_formula(1e307, 0.5, 0.0) == 1e307
    assert value.clv_formula(-1e100, 1.0, 1e-200) == pytest.approx(-1e300, rel=1e-15)
