"""Tests of the BG/BB math (retention.core.clv.bgbb).

The likelihood is checked by hand and against one-dimensional integrals over the beta mixing
distributions (the individual-level likelihood is a sum of products of a function of p and a function of
theta); the distribution of purchases against the likelihood of the purchase patterns; the predictions
against integrals, direct sums and Monte-Carlo simulation of the buying process; the fit against simulated
data.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, special

from retention.core.clv import bgbb
from retention.core.clv.fitting import fit_likelihood, total_loglik
from tests.core.test_sbg import log_derivative

Array = NDArray[np.float64]
DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

positive = st.floats(0.1, 10.0)
params_strategy = st.tuples(positive, positive, positive, positive)


def simulate(
    n_customers: int, n: int, params: dict[str, float], *, seed: int
) -> tuple[Array, Array, Array]:
    """Purchases at opportunities 1..n: dead from opportunity D ~ Geometric(theta) on, buying w.p. p."""
    rng = np.random.default_rng(seed)
    p = rng.beta(params["alpha"], params["beta"], n_customers)
    theta = rng.beta(params["gamma"], params["delta"], n_customers)
    death = rng.geometric(theta)  # alive at opportunity t iff t < death: P = (1 - theta)^t
    t = np.arange(1, n + 1)
    buys = (rng.random((n_customers, n)) < p[:, None]) & (t[None, :] < death[:, None])
    x = buys.sum(axis=1)
    tx = np.where(x > 0, n - np.argmax(buys[:, ::-1], axis=1), 0)
    return x.astype(float), tx.astype(float), buys


def beta_mean(func, a: float, b: float) -> float:  # type: ignore[no-untyped-def]
    """E[func(u)] for u ~ Beta(a, b) by quadrature (the weight takes the density's endpoint powers)."""
    value, _ = integrate.quad(
        func, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-12, limit=200
    )
    return value / special.beta(a, b)


def likelihood_by_quadrature(x: int, tx: int, n: int, params: dict[str, float]) -> float:
    """FHS 2010 eq. 3 averaged over p and theta, each product term as a product of 1-D integrals."""
    a, b, g, d = params.values()
    total = beta_mean(lambda p: p**x * (1 - p) ** (n - x), a, b) * beta_mean(
        lambda th: (1 - th) ** n, g, d
    )
    for i in range(n - tx):
        total += beta_mean(lambda p, i=i: p**x * (1 - p) ** (tx - x + i), a, b) * beta_mean(
            lambda th, i=i: th * (1 - th) ** (tx + i), g, d
        )
    return total


def patterns(n: int) -> tuple[Array, Array, Array]:
    """Every (x, t_x) with n opportunities, and how many purchase strings show each, C(t_x - 1, x - 1)."""
    pairs = [(0, 0)] + [(x, t) for t in range(1, n + 1) for x in range(1, t + 1)]
    x = np.array([p[0] for p in pairs], dtype=float)
    tx = np.array([p[1] for p in pairs], dtype=float)
    strings = np.where(x > 0, special.comb(tx - 1, x - 1), 1.0)
    return x, tx, strings


def evaluate(params: dict[str, float], x: Array, tx: Array, n: Array | float) -> Array:
    n_arr = np.broadcast_to(np.asarray(n, dtype=float), x.shape)
    return bgbb.BETA_GEO_BETA_BINOM.evaluate(list(params.values()), (x, tx, n_arr))


# --- likelihood -------------------------------------------------------------------------------------


def test_loglik_by_hand() -> None:
    # alpha = beta = gamma = delta = 1: p and theta uniform. One opportunity: buys iff alive and buying,
    # E[p] E[1 - theta] = 1/4; no purchase: 3/4. Two opportunities, bought at 1 only: alive at both and
    # p (1 - p): 1/6 * 1/3, or died at the start of opportunity 2: E[p] E[theta (1 - theta)] = 1/2 * 1/6.
    ones = dict.fromkeys(DONATIONS, 1.0)
    got = np.exp(evaluate(ones, np.array([1.0, 0.0, 1.0]), np.array([1.0, 0.0, 1.0]), [1, 1, 2]))
    np.testing.assert_allclose(got, [1 / 4, 3 / 4, 1 / 18 + 1 / 12], rtol=1e-14)


def test_customer_without_opportunities_adds_nothing() -> None:
    assert evaluate(DONATIONS, np.zeros(1), np.zeros(1), 0.0)[0] == pytest.approx(0.0, abs=1e-14)


@pytest.mark.parametrize(
    "params",
    [DONATIONS, {"alpha": 0.3, "beta": 2.5, "gamma": 4.0, "delta": 0.4}],
    ids=["donations", "other"],
)
@pytest.mark.parametrize("row", [(0, 0, 6), (3, 5, 6), (6, 6, 6), (1, 1, 9), (2, 4, 12)])
def test_loglik_equals_integrals_of_the_individual_likelihood(
    params: dict[str, float], row: tuple[int, int, int]
) -> None:
    x, tx, n = row
    expected = likelihood_by_quadrature(x, tx, n, params)
    got = evaluate(params, np.array([float(x)]), np.array([float(tx)]), float(n))[0]
    assert got == pytest.approx(math.log(expected), rel=1e-9)


@given(params=params_strategy, n=st.integers(0, 12))
def test_pattern_probabilities_add_up_to_one(
    params: tuple[float, float, float, float], n: int
) -> None:
    x, tx, strings = patterns(n)
    probs = strings * np.exp(evaluate(dict(zip(DONATIONS, params, strict=True)), x, tx, n))
    assert probs.sum() == pytest.approx(1.0, rel=1e-10)


@given(params=params_strategy, n=st.integers(1, 60), data=st.data())
def test_gradient_matches_differences(
    params: tuple[float, float, float, float], n: int, data: st.DataObject
) -> None:
    tx = data.draw(st.integers(0, n))
    x = data.draw(st.integers(1, tx)) if tx > 0 else 0
    prepared = bgbb.prepare((np.array([float(x)]), np.array([float(tx)]), np.array([float(n)])))
    theta = np.array(params)
    _, grad = bgbb.loglik_and_gradient(theta, prepared)
    for j in range(4):
        numeric = log_derivative(lambda p: float(bgbb.loglik(p, prepared)[0]), theta, j)
        assert grad[j, 0] * theta[j] == pytest.approx(numeric, rel=1e-7, abs=1e-8)


def test_many_opportunities_stay_finite() -> None:
    x = np.array([0.0, 1500.0, 3.0, 2000.0])
    tx = np.array([0.0, 1999.0, 10.0, 2000.0])
    n = np.full(4, 2000.0)
    ll = evaluate(DONATIONS, x, tx, n)
    assert np.all(np.isfinite(ll))
    _, grad = bgbb.loglik_and_gradient(np.array(list(DONATIONS.values())), bgbb.prepare((x, tx, n)))
    assert np.all(np.isfinite(grad))
    alive = bgbb.p_alive(x, tx, n, **DONATIONS)
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[2] < 1e-9  # 3 purchases in the first 10 of 2000 opportunities: gone long ago
    assert alive[3] > 0.99  # a purchase at every opportunity: still there
    dert = bgbb.discounted_expected_residual_transactions(x, tx, n, discount_rate=0.01, **DONATIONS)
    assert np.all(np.isfinite(dert))
    assert np.all(dert >= 0)


# --- predictions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        DONATIONS,
        {
            "alpha": 2.0,
            "beta": 3.0,
            "gamma": 1.0,
            "delta": 2.5,
        },  # gamma = 1: the closed form is 0/0
        {"alpha": 2.0, "beta": 3.0, "gamma": 1.00001, "delta": 2.5},
        {"alpha": 2.0, "beta": 3.0, "gamma": 0.9995, "delta": 2.5},
        {"alpha": 2.0, "beta": 3.0, "gamma": 1.002, "delta": 2.5},  # just past the series
        {"alpha": 0.5, "beta": 0.5, "gamma": 5.0, "delta": 40.0},
    ],
)
@pytest.mark.parametrize("n", [0, 1, 6, 50, 1000])
def test_expected_purchases_equal_the_direct_sum(params: dict[str, float], n: int) -> None:
    a, b, g, d = params.values()
    t = np.arange(1, n + 1)
    expected = a / (a + b) * np.exp(special.betaln(g, d + t) - special.betaln(g, d)).sum()
    assert bgbb.expected_purchases(n, **params) == pytest.approx(expected, rel=1e-11, abs=1e-300)


@given(params=params_strategy, n=st.integers(0, 40))
def test_distribution_of_purchases(params: tuple[float, float, float, float], n: int) -> None:
    named = dict(zip(DONATIONS, params, strict=True))
    probs = bgbb.probability_of_purchases(np.arange(n + 3), n, **named)
    assert probs.sum() == pytest.approx(1.0, rel=1e-10)
    assert np.all(probs[n + 1 :] == 0.0)
    mean = float(np.dot(np.arange(n + 3), probs))
    assert mean == pytest.approx(float(bgbb.expected_purchases(n, **named)), rel=1e-9, abs=1e-12)
    # P(X(n) = x) is the likelihood of the patterns with x purchases, times their strings.
    x, tx, strings = patterns(n)
    by_pattern = np.bincount(
        x.astype(int), weights=strings * np.exp(evaluate(named, x, tx, n)), minlength=n + 1
    )
    np.testing.assert_allclose(probs[: n + 1], by_pattern, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(
    "params", [DONATIONS, {"alpha": 0.4, "beta": 2.0, "gamma": 3.0, "delta": 0.5}]
)
@pytest.mark.parametrize("row", [(0, 0, 6), (3, 5, 6), (6, 6, 6), (2, 2, 10)])
def test_posterior_predictions_equal_integrals(
    params: dict[str, float], row: tuple[int, int, int]
) -> None:
    a, b, g, d = params.values()
    x, tx, n = row
    likelihood = likelihood_by_quadrature(x, tx, n, params)
    buying = beta_mean(lambda p: p ** (x + 1) * (1 - p) ** (n - x), a, b)
    alive_now = beta_mean(lambda p: p**x * (1 - p) ** (n - x), a, b)
    alive_next = beta_mean(lambda th: (1 - th) ** (n + 1), g, d)
    future = beta_mean(lambda th: sum((1 - th) ** (n + k) for k in range(1, 6)), g, d)
    args = (np.array([float(x)]), np.array([float(tx)]), np.array([float(n)]))
    assert bgbb.p_alive(*args, **params)[0] == pytest.approx(
        alive_now * alive_next / likelihood, rel=1e-9
    )
    got = bgbb.conditional_expected_purchases(5, *args, **params)[0]
    assert got == pytest.approx(buying * future / likelihood, rel=1e-9)


def test_a_new_customer_predicts_like_the_population() -> None:
    # Nothing observed yet (n = 0): P(alive at 1) = E[1 - theta], and the conditional expectation is E[X(n)].
    zero = np.zeros(1)
    alive = bgbb.p_alive(zero, zero, zero, **DONATIONS)[0]
    d, g = DONATIONS["delta"], DONATIONS["gamma"]
    assert alive == pytest.approx(d / (g + d), rel=1e-14)
    conditional = bgbb.conditional_expected_purchases(7, zero, zero, zero, **DONATIONS)[0]
    assert conditional == pytest.approx(float(bgbb.expected_purchases(7, **DONATIONS)), rel=1e-12)


@given(
    params=params_strategy,
    d=st.floats(0.01, 2.0),
    n=st.integers(0, 30),
    data=st.data(),
)
def test_dert_equals_the_truncated_discounted_sum(
    params: tuple[float, float, float, float], d: float, n: int, data: st.DataObject
) -> None:
    named = dict(zip(DONATIONS, params, strict=True))
    _, _, g, dl = params
    tx = data.draw(st.integers(0, n))
    x = data.draw(st.integers(1, tx)) if tx > 0 else 0
    args = (np.array([float(x)]), np.array([float(tx)]), np.array([float(n)]))
    # The transaction expected at opportunity n + k: the one at n + 1 (the conditional expectation over one
    # opportunity) times the posterior survival ratio E[(1 - theta)^(n + k)] / E[(1 - theta)^(n + 1)].
    first = bgbb.conditional_expected_purchases(1, *args, **named)[0]
    k = np.arange(1, math.ceil(40.0 / math.log1p(d)) + 2, dtype=float)
    ratio = np.exp(special.betaln(g, dl + n + k) - special.betaln(g, dl + n + 1))
    expected = first * float(np.dot(ratio, (1.0 + d) ** -k))
    got = bgbb.discounted_expected_residual_transactions(*args, discount_rate=d, **named)[0]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)
    # The same increments from the cumulative expectation, at a few horizons.
    for horizon in (2, 5, 17):
        cumulative = bgbb.conditional_expected_purchases(horizon, *args, **named)[0]
        assert cumulative == pytest.approx(first * ratio[:horizon].sum(), rel=1e-9, abs=1e-300)


def test_dert_without_discounting_is_all_future_purchases() -> None:
    # gamma > 1: finite; the limit of the conditional expectation as the horizon grows.
    params = {"alpha": 1.2, "beta": 0.8, "gamma": 2.5, "delta": 3.0}
    args = (np.array([2.0]), np.array([4.0]), np.array([5.0]))
    got = bgbb.discounted_expected_residual_transactions(*args, discount_rate=0.0, **params)[0]
    far = bgbb.conditional_expected_purchases(10**7, *args, **params)[0]
    assert got == pytest.approx(far, rel=1e-6)
    # gamma <= 1: infinite, also for a customer whose P(alive) underflows (3 purchases, then 1990 silent).
    endless = bgbb.discounted_expected_residual_transactions(
        [2, 3], [4, 10], [5, 2000], discount_rate=0.0, **DONATIONS
    )
    np.testing.assert_array_equal(endless, [math.inf, math.inf])


@given(params=params_strategy, n=st.integers(0, 30), data=st.data())
def test_p_alive_is_a_probability(
    params: tuple[float, float, float, float], n: int, data: st.DataObject
) -> None:
    tx = data.draw(st.integers(0, n))
    x = data.draw(st.integers(1, tx)) if tx > 0 else 0
    alive = bgbb.p_alive([x], [tx], [n], **dict(zip(DONATIONS, params, strict=True)))[0]
    assert 0.0 <= alive <= 1.0


def test_predictions_match_simulation() -> None:
    n_customers, n, later = 200_000, 6, 5
    x_all, tx_all, buys = simulate(n_customers, n + later, DONATIONS, seed=7)
    # New customers: purchases in the first n opportunities.
    first = buys[:, :n].sum(axis=1)
    predicted = float(bgbb.expected_purchases(n, **DONATIONS))
    assert abs(first.mean() - predicted) < 4 * first.std() / math.sqrt(n_customers)
    probs = bgbb.probability_of_purchases(np.arange(n + 1), n, **DONATIONS)
    shares = np.bincount(first, minlength=n + 1) / n_customers
    assert np.all(np.abs(shares - probs) < 4 * np.sqrt(probs * (1 - probs) / n_customers))
    # Given the calibration pattern, the purchases at the next `later` opportunities.
    x = buys[:, :n].sum(axis=1)
    tx = np.where(x > 0, n - np.argmax(buys[:, :n][:, ::-1], axis=1), 0)
    holdout = buys[:, n:].sum(axis=1)
    for pattern in [(0, 0), (1, 1), (3, 5), (6, 6)]:
        group = (x == pattern[0]) & (tx == pattern[1])
        size = int(group.sum())
        assert size > 1000
        expected = bgbb.conditional_expected_purchases(
            later, [pattern[0]], [pattern[1]], [n], **DONATIONS
        )[0]
        actual = holdout[group]
        assert abs(actual.mean() - expected) < 4 * actual.std() / math.sqrt(size), pattern
    del x_all, tx_all


# --- the fit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "n", "seed"),
    [
        (DONATIONS, 6, 1),
        ({"alpha": 0.5, "beta": 3.0, "gamma": 1.5, "delta": 8.0}, 12, 2),
        ({"alpha": 3.0, "beta": 1.0, "gamma": 0.3, "delta": 4.0}, 20, 3),
    ],
)
def test_parameters_recovered_from_simulated_customers(
    params: dict[str, float], n: int, seed: int
) -> None:
    x, tx, _ = simulate(20_000, n, params, seed=seed)
    result = fit_likelihood(bgbb.BETA_GEO_BETA_BINOM, (x, tx, np.full(len(x), float(n))))
    truth = np.array(list(params.values()))
    assert np.all(np.abs(result.params - truth) < 3 * result.standard_errors), (
        result.params,
        result.standard_errors,
    )


def test_mixed_numbers_of_opportunities() -> None:
    # Two cohorts observed for 8 and 4 opportunities, fitted together.
    a_x, a_tx, _ = simulate(8000, 8, DONATIONS, seed=21)
    b_x, b_tx, _ = simulate(8000, 4, DONATIONS, seed=22)
    x, tx = np.concatenate([a_x, b_x]), np.concatenate([a_tx, b_tx])
    n = np.concatenate([np.full(8000, 8.0), np.full(8000, 4.0)])
    result = fit_likelihood(bgbb.BETA_GEO_BETA_BINOM, (x, tx, n))
    truth = np.array(list(DONATIONS.values()))
    assert np.all(np.abs(result.params - truth) < 3 * result.standard_errors)
    for j in range(4):
        for factor in (0.99, 1.01):
            params = result.params.copy()
            params[j] *= factor
            assert total_loglik(bgbb.BETA_GEO_BETA_BINOM, params, (x, tx, n)) < result.loglik


def test_patterns_with_weights_equal_one_row_per_customer() -> None:
    x, tx, _ = simulate(3000, 5, DONATIONS, seed=9)
    n = np.full(len(x), 5.0)
    per_customer = fit_likelihood(bgbb.BETA_GEO_BETA_BINOM, (x, tx, n))
    keys, counts = np.unique(np.column_stack([x, tx]), axis=0, return_counts=True)
    grouped = fit_likelihood(
        bgbb.BETA_GEO_BETA_BINOM, (keys[:, 0], keys[:, 1], np.full(len(keys), 5.0)), counts
    )
    np.testing.assert_allclose(per_customer.params, grouped.params, rtol=1e-8)
    assert per_customer.loglik == pytest.approx(grouped.loglik, rel=1e-12)
    assert per_customer.loglik == pytest.approx(
        total_loglik(bgbb.BETA_GEO_BETA_BINOM, per_customer.params, (x, tx, n)), rel=1e-12
    )


# --- the log-gamma increments behind the expected purchases --------------------------------------------


@given(x=st.floats(0.01, 1e6), k=st.integers(1, 30))
def test_log_rising_equals_a_sum_of_logs_at_whole_steps(x: float, k: int) -> None:
    expected = math.fsum(math.log(x + j) for j in range(k))
    got = bgbb._log_rising(np.array([x]), float(k))[0]
    assert got == pytest.approx(expected, rel=1e-13)


@given(x=st.floats(0.01, 1e6), h=st.floats(1e-9, 1e-5))
def test_log_rising_keeps_its_digits_for_small_steps(x: float, h: float) -> None:
    # Taylor: h psi(x) + h^2/2 psi'(x) + h^3/6 psi''(x), exact to about h^4 psi'''(x) relative to h psi(x).
    for step in (h, -h):
        taylor = sum(
            step ** (j + 1) / math.factorial(j + 1) * special.polygamma(j, x) for j in range(3)
        )
        assert bgbb._log_rising(np.array([x]), step)[0] == pytest.approx(taylor, rel=1e-12)


@pytest.mark.parametrize("beta", [2.9404280644082278e-08, 1e-12])
@pytest.mark.parametrize("row", [(9, 9, 9), (3, 3, 4), (2, 5, 8)])
def test_predictions_keep_their_digits_for_a_tiny_beta(
    beta: float, row: tuple[int, int, int]
) -> None:
    # beta + n - x summed left to right lost beta's digits to the whole n (B(a + x, beta + 0) came out
    # off by 3e-8 relative at beta = 3e-8): every sum of a parameter and a whole count adds the count
    # first. Against FHS 2010 eqs. 5, 6, 11 and 13 in mpmath.
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    params = {"alpha": 4.235979754981126, "beta": beta, "gamma": 3.1e-8, "delta": 0.0248}
    a, b, g, d = (mp.mpf(v) for v in params.values())
    x, tx, n = row
    later = 26
    B = mp.beta
    likelihood = B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d) + mp.fsum(
        B(a + x, b + tx - x + i) / B(a, b) * B(g + 1, d + tx + i) / B(g, d) for i in range(n - tx)
    )
    alive = B(a + x, b + n - x) / B(a, b) * B(g, d + n + 1) / B(g, d) / likelihood
    buying = B(a + x + 1, b + n - x) / B(a, b) * B(g, d + n) / B(g, d) / likelihood
    future = buying * mp.fsum(B(g, d + n + t) / B(g, d + n) for t in range(1, later + 1))
    args = (np.array([float(x)]), np.array([float(tx)]), np.array([float(n)]))
    assert bgbb.p_alive(*args, **params)[0] == pytest.approx(float(alive), rel=1e-13)
    got = bgbb.conditional_expected_purchases(later, *args, **params)[0]
    assert got == pytest.approx(float(future), rel=1e-13)
    assert got <= later
    chance = mp.binomial(n, x) * B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d) + mp.fsum(
        mp.binomial(i, x) * B(a + x, b + i - x) / B(a, b) * B(g + 1, d + i) / B(g, d)
        for i in range(x, n)
    )
    assert bgbb.probability_of_purchases([x], n, **params)[0] == pytest.approx(
        float(chance), rel=1e-13
    )
