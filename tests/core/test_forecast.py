"""The core of sales forecasts: checked against per-customer sums by the models' own formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from retention.core.clv import beta_geo, bgbb, pareto_nbd
from retention.core.clv import forecast as core

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def customers(seed: int, n: int = 60, *, whole: bool = False) -> tuple[np.ndarray, ...]:
    """Random histories; whole numbers of opportunities when ``whole`` (for the BG/BB)."""
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 40, n).astype(float) if whole else rng.uniform(0.5, 39.0, n)
    x = np.minimum(rng.poisson(2.0, n), T.astype(int)).astype(float)
    share = rng.uniform(0.0, 1.0, n)
    tx = np.where(x > 0, np.maximum(np.round(share * T) if whole else share * T, x), 0.0)
    tx = np.minimum(tx, T)
    return x, tx, T


def by_hand(kind: str, params: dict[str, float], t: np.ndarray, history: tuple[np.ndarray, ...]) -> np.ndarray:  # fmt: skip
    """Per time, the sum over customers of the model's conditional expectation (one call per time)."""
    x, tx, T = history
    rows = []
    for time in t:
        if kind == "bg_bb":
            values = bgbb.conditional_expected_purchases(time, x, tx, T, **params)
        elif kind == "pareto_nbd":
            values = pareto_nbd.conditional_expected_purchases(time, x, tx, T, **params)
        else:
            values = beta_geo.conditional_expected_purchases(
                time, x, tx, T, **params, dropout_at_start=kind == "mbg_nbd"
            )
        rows.append(values.sum())
    return np.array(rows)


@pytest.mark.parametrize(
    ("kind", "params"),
    [("bg_nbd", BG), ("mbg_nbd", BG), ("pareto_nbd", PARETO), ("bg_bb", BGBB)],
)
def test_existing_orders_are_the_sum_of_conditional_increments(
    kind: str, params: dict[str, float]
) -> None:
    whole = kind == "bg_bb"
    x, tx, T = customers(3, whole=whole)
    times = np.array([0.0, 1.0, 4.0, 9.0, 20.0]) if whole else np.array([0.0, 1.5, 4.0, 13.0, 39.0])
    totals = core.existing_moments(kind, params, core.prepare_existing(x, tx, T), times)
    cumulative = by_hand(kind, params, times, (x, tx, T))
    assert_allclose(totals.orders, np.diff(cumulative), rtol=1e-11)
    assert_allclose(totals.orders_cumulative, cumulative[1:] - cumulative[0], rtol=1e-11)
    # Revenue: each customer's expected transactions times their spend.
    spend = np.linspace(5.0, 50.0, len(x))
    money = core.existing_moments(kind, params, core.prepare_existing(x, tx, T, spend), times)
    per_customer = []
    for time in times[[0, -1]]:
        if kind == "bg_bb":
            per_customer.append(bgbb.conditional_expected_purchases(time, x, tx, T, **params))
        elif kind == "pareto_nbd":
            per_customer.append(pareto_nbd.conditional_expected_purchases(time, x, tx, T, **params))
        else:
            per_customer.append(
                beta_geo.conditional_expected_purchases(
                    time, x, tx, T, **params, dropout_at_start=kind == "mbg_nbd"
                )
            )
    assert money.revenue_cumulative[-1] == pytest.approx(
        ((per_customer[1] - per_customer[0]) * spend).sum(), rel=1e-11
    )


def test_single_customer_variance_by_hand() -> None:
    # One BG/NBD customer: m + m^2 ((1 + 1/(r + x)) / pi - 1), pi = P(alive at T + t_{k-1}).
    x, tx, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
    times = np.array([0.0, 4.0, 8.0])
    got = core.existing_moments("bg_nbd", BG, core.prepare_existing(x, tx, T), times)
    cumulative = np.array(
        [beta_geo.conditional_expected_purchases(t, x, tx, T, **BG)[0] for t in times]
    )
    m = np.diff(cumulative)
    pi = np.array([beta_geo.p_alive(x, tx, T, **BG, t=t)[0] for t in times[:-1]])
    kappa = 1.0 / (BG["r"] + 2.0)
    assert_allclose(got.orders_var, m + m**2 * ((1.0 + kappa) / pi - 1.0), rtol=1e-10)
    assert np.all(got.orders_var > got.orders)  # more spread than Poisson


def test_cohort_expected_is_the_double_sum() -> None:
    rng = np.random.default_rng(5)
    arrivals = rng.poisson(3.0, 40).astype(float)
    g = beta_geo.expected_purchases(np.arange(40) / 7.0, **BG)
    direct = np.array([sum(arrivals[f] * g[e - f] for f in range(e + 1)) for e in range(40)])
    assert_allclose(core.cohort_expected(arrivals, g), direct, rtol=1e-13)


@pytest.mark.parametrize("cells", [1, 50, 10**9])
def test_new_customers_variance_in_blocks_of_windows(
    cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The variance of the new customers' orders is added over a window x step grid made a block of
    # windows at a time (memory bounded on long horizons): the same sums to the last bit for any block.
    arrivals = np.array([5.0] * 30 + [0.0] * 10 + [2.0] * 50)
    bounds = np.array([0, 7, 30, 31, 60, 90])
    whole = core.new_moments("bg_nbd", BG, arrivals, bounds, step=1 / 7, mean_spend=3.0)
    monkeypatch.setattr(core, "_WINDOW_CELLS", cells)
    blocks = core.new_moments("bg_nbd", BG, arrivals, bounds, step=1 / 7, mean_spend=3.0)
    for name in ("orders_var", "orders_cumulative_var", "revenue_var", "revenue_cumulative_var"):
        assert_array_equal(getattr(blocks, name), getattr(whole, name))
    assert np.all(whole.orders_var > 0)


def test_cohort_expected_by_fft_beyond_the_direct_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Past DIRECT_MAX_DAYS steps the convolution is an FFT's: the same values up to errors of the size of
    # the largest value times the rounding of a double.
    rng = np.random.default_rng(6)
    arrivals = rng.poisson(3.0, 300).astype(float)
    g = beta_geo.expected_purchases(np.arange(300) / 7.0, **BG)
    direct = core.cohort_expected(arrivals, g)
    monkeypatch.setattr(core, "DIRECT_MAX_DAYS", 100)
    by_fft = core.cohort_expected(arrivals, g)
    assert not np.array_equal(by_fft, direct)  # the other route was taken
    assert_allclose(by_fft, direct, rtol=0, atol=1e-12 * direct.max())


@pytest.mark.parametrize(("kind", "params"), [("bg_nbd", BG), ("pareto_nbd", PARETO)])
def test_new_customers_by_hand(kind: str, params: dict[str, float]) -> None:
    # Planned arrivals per day; windows of a week; each arrival's E[X] at the window's ends.
    arrivals = np.array([5.0] * 7 + [0.0] * 7 + [2.0] * 7)
    bounds = np.array([0, 7, 14, 21])
    step = 1 / 7
    got = core.new_moments(kind, params, arrivals, bounds, step=step, mean_spend=10.0)
    ex = pareto_nbd.expected_purchases if kind == "pareto_nbd" else beta_geo.expected_purchases

    def cumulative(end_day: int) -> float:
        days = np.arange(end_day + 1)
        return float((arrivals[days] * ex((end_day - days) * step, **params)).sum())

    expected = np.diff([0.0] + [cumulative(int(b) - 1) for b in bounds[1:]])
    assert_allclose(got.orders, expected, rtol=1e-12)
    assert_allclose(got.revenue, 10.0 * expected, rtol=1e-12)
    assert_allclose(np.cumsum(got.orders), got.orders_cumulative, rtol=1e-12)
    assert np.all(got.orders_var >= got.orders)


def test_new_customers_of_the_bgbb_by_hand() -> None:
    arrivals = np.array([10.0, 0.0, 4.0])
    got = core.new_moments("bg_bb", BGBB, arrivals, np.arange(4), step=1.0, mean_spend=1.0)
    ex = bgbb.expected_purchases(np.arange(3.0), **BGBB)
    # A customer acquired in period k has E[X(j - k)] repeat transactions by the end of period j.
    cumulative = [10 * ex[0], 10 * ex[1], 10 * ex[2] + 4 * ex[0]]
    assert_allclose(got.orders_cumulative, cumulative, rtol=1e-13)


def test_linearised_draws_agree_with_exact_ones_for_small_spreads() -> None:
    x, tx, T = customers(8)
    existing = core.prepare_existing(x, tx, T)
    times = np.array([0.0, 4.0, 8.0])
    names = list(BG)

    def evaluate(p: np.ndarray) -> np.ndarray:
        values = dict(zip(names, map(float, p), strict=True))
        return core.existing_moments("bg_nbd", values, existing, times, variance=False).means()

    estimate = np.array(list(BG.values()))
    cov = np.diag([0.01, 0.02, 0.01, 0.02]) ** 2
    exact = core.draw_totals(
        evaluate, estimate, cov, n_draws=50, rng=np.random.default_rng(1), exact=True
    )
    linear = core.draw_totals(
        evaluate, estimate, cov, n_draws=50, rng=np.random.default_rng(1), exact=False
    )
    scale = np.abs(exact).max(axis=0) + 1e-300
    assert np.max(np.abs(exact - linear) / scale) < 2e-3
    # No parameter uncertainty: every draw is the estimate.
    fixed = core.draw_totals(
        evaluate, estimate, np.zeros((4, 4)), n_draws=3, rng=np.random.default_rng(0), exact=True
    )
    assert_allclose(fixed, np.broadcast_to(evaluate(estimate), fixed.shape), rtol=1e-15)


def test_interval_bounds_of_a_known_normal() -> None:
    lower, upper = core.interval_bounds(
        np.array([1000.0, 0.0]), np.array([100.0, 0.0]), None, level=0.9,
        rng=np.random.default_rng(3),
    )  # fmt: skip
    # Without draws the totals are normal: the bounds are its exact quantiles, nothing simulated.
    z = 1.6448536269514722  # the 95% quantile of N(0, 1) (Abramowitz & Stegun 26.2; scipy.stats.norm.ppf)
    assert lower[0] == pytest.approx(1000 - z * 10, rel=1e-15)
    assert upper[0] == pytest.approx(1000 + z * 10, rel=1e-15)
    assert lower[1] == upper[1] == 0.0
    # Floored at 0, as counts are.
    low, high = core.interval_bounds(
        np.array([1.0]), np.array([4.0]), None, level=0.9, rng=np.random.default_rng(3)
    )
    assert low[0] == 0.0
    assert high[0] == pytest.approx(1.0 + 2.0 * z, rel=1e-15)


@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None)
def test_customer_order_changes_no_bit(seed: int, random: object) -> None:
    x, tx, T = customers(seed, n=25)
    spend = np.random.default_rng(seed).uniform(1.0, 100.0, 25)
    order = list(range(25))
    random.shuffle(order)  # type: ignore[attr-defined]
    times = np.array([0.0, 2.0, 6.0])
    a = core.existing_moments("bg_nbd", BG, core.prepare_existing(x, tx, T, spend), times)
    b = core.existing_moments(
        "bg_nbd", BG, core.prepare_existing(x[order], tx[order], T[order], spend[order]), times
    )
    assert_array_equal(a.means(), b.means())
    assert_array_equal(a.variances(), b.variances())
    assert np.all(a.means() >= 0)
    assert np.all(np.diff(a.orders_cumulative) >= 0)


def test_bgbb_rate_dispersion_keeps_its_digits_for_a_tiny_beta() -> None:
    # Var/mean^2 of p ~ Beta(alpha + x, beta + n - x) is b / (a (a + b + 1)); beta + n - x summed left to
    # right lost beta's digits to n (b = (beta + 9) - 9).
    params = {"alpha": 4.2, "beta": 3e-8, "gamma": 0.5, "delta": 2.0}
    got = core.rate_dispersion("bg_bb", params, np.array([9.0, 3.0]), np.array([9.0, 9.0]))
    a, b = 4.2 + np.array([9.0, 3.0]), 3e-8 + np.array([0.0, 6.0])
    assert_allclose(got, b / (a * (a + b + 1.0)), rtol=1e-15)
