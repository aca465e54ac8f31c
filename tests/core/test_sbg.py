"""Tests of the shifted-beta-geometric math (retention.core.clv.sbg).

The likelihood and the survival function are checked against integrals over the beta mixing distribution,
the value formulas (DEL, DERL) against direct truncated sums of discounted survival probabilities, the
gradient against differences, and the fit against data simulated from the generating process.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, special

from retention.core.clv import sbg
from retention.core.clv.fitting import fit_likelihood, total_loglik

Array = NDArray[np.float64]
REGULAR = {"alpha": 0.704, "beta": 1.182}

positive = st.floats(0.05, 20.0)


def simulate_cohorts(
    sizes: list[int], ages: list[int], alpha: float, beta: float, *, seed: int
) -> Array:
    """Survivors of cohorts drawn from the sBG process; NaN past each cohort's age (ragged cohorts)."""
    rng = np.random.default_rng(seed)
    width = max(ages) + 1
    out = np.full((len(sizes), width), np.nan)
    for i, (size, age) in enumerate(zip(sizes, ages, strict=True)):  # a handful of cohorts
        theta = rng.beta(alpha, beta, size)
        lifetime = rng.geometric(
            theta
        )  # the period of churn: 1, 2, ... (trials to the first success)
        periods = np.arange(age + 1)
        out[i, : age + 1] = (lifetime[:, None] > periods[None, :]).sum(axis=0)
    return out


def beta_mean(func, a: float, b: float) -> float:  # type: ignore[no-untyped-def]
    """E[func(theta)] for theta ~ Beta(a, b), quad's algebraic weight taking the density's endpoints."""
    value, _ = integrate.quad(
        func, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-12, limit=200
    )
    return value / special.beta(a, b)


# --- the data rows and the likelihood --------------------------------------------------------------


def test_survival_rows_by_hand() -> None:
    t, still, w = sbg.survival_rows([[1000.0, 631.0, 468.0], [500.0, 300.0, np.nan]])
    # Churned: 369 at 1 and 163 at 2 (cohort 0), 200 at 1 (cohort 1); censored: 468 at 2, 300 at 1.
    np.testing.assert_array_equal(t, [1, 2, 1, 2, 1])
    np.testing.assert_array_equal(still, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(w, [369, 163, 200, 468, 300])


def test_a_cohort_seen_only_at_acquisition_adds_nothing() -> None:
    t, still, _ = sbg.survival_rows([[70.0, np.nan, np.nan]])
    np.testing.assert_array_equal(t, [0])
    np.testing.assert_array_equal(still, [1])
    ll = sbg.SHIFTED_BETA_GEOMETRIC.evaluate([0.5, 2.0], (t, still))
    assert ll[0] == pytest.approx(0.0, abs=1e-15)


def test_loglik_by_hand() -> None:
    # theta ~ Beta(1, 2): P(T = 1) = E[theta] = 1/3, P(T = 2) = E[theta (1 - theta)] = 1/3 - 1/6 = 1/6,
    # S(2) = E[(1 - theta)^2] = 1 - 2/3 + 1/6 = 1/2. The cohort 10, 6, 4: 4 churn at 1, 2 at 2, 4 remain.
    t, still, w = sbg.survival_rows([[10.0, 6.0, 4.0]])
    got = total_loglik(sbg.SHIFTED_BETA_GEOMETRIC, [1.0, 2.0], (t, still), w)
    expected = 4 * math.log(1 / 3) + 2 * math.log(1 / 6) + 4 * math.log(1 / 2)
    assert got == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.3, 8.0), (4.0, 0.6)])
@pytest.mark.parametrize("t", [1, 2, 7, 30])
def test_probabilities_equal_integrals_over_theta(alpha: float, beta: float, t: int) -> None:
    churn = beta_mean(lambda th: th * (1 - th) ** (t - 1), alpha, beta)
    alive = beta_mean(lambda th: (1 - th) ** t, alpha, beta)
    assert sbg.churn_probability(t, alpha=alpha, beta=beta) == pytest.approx(churn, rel=1e-10)
    assert sbg.survival(t, alpha=alpha, beta=beta) == pytest.approx(alive, rel=1e-10)
    rows = (np.array([t, t], dtype=float), np.array([0.0, 1.0]))
    ll = sbg.SHIFTED_BETA_GEOMETRIC.evaluate([alpha, beta], rows)
    np.testing.assert_allclose(ll, np.log([churn, alive]), rtol=1e-10)


def log_derivative(func, theta: Array, j: int) -> float:  # type: ignore[no-untyped-def]
    """d func / d log(theta_j) by the five-point stencil with step 1e-3 in log theta_j.

    Truncation error about h^4 / 30 times the fifth derivative (1e-13 for derivatives of order 1),
    rounding error about 1.5 eps |func| / h (3e-13 |func|): far below the tolerances used.
    """
    h = 1e-3
    values = []
    for step in (-2, -1, 1, 2):
        p = theta.copy()
        p[j] = theta[j] * math.exp(step * h)
        values.append(func(p))
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)


@pytest.mark.parametrize(
    ("alpha", "beta"),
    [
        (6.6339, 0.041564),
        (0.0012565, 75.792),
        (0.011322, 151.03),
        (1e3, 1e-3),
        (1e-3, 1e3),
        (0.704, 1.182),
    ],
)
def test_probabilities_against_mpmath_for_long_lifetimes(alpha: float, beta: float) -> None:
    # S(t) = B(alpha, beta + t) / B(alpha, beta) and P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) up
    # to t = 10^4, where a difference of betaln values lost up to 3e-11; and the log-likelihood rows.
    mp = pytest.importorskip("mpmath")
    t = np.array([1.0, 2.0, 10.0, 300.0, 1000.0, 10_000.0])
    with mp.workdps(40):
        a, b = mp.mpf(alpha), mp.mpf(beta)
        survive = [mp.log(mp.beta(a, b + float(v)) / mp.beta(a, b)) for v in t]
        churn = [mp.log(mp.beta(a + 1, b + float(v) - 1) / mp.beta(a, b)) for v in t]
    # (atol: subnormal values keep fewer digits)
    np.testing.assert_allclose(
        sbg.survival(t, alpha=alpha, beta=beta),
        [float(mp.exp(v)) for v in survive],
        rtol=1e-13,
        atol=1e-300,
    )
    np.testing.assert_allclose(
        sbg.churn_probability(t, alpha=alpha, beta=beta),
        [float(mp.exp(v)) for v in churn],
        rtol=1e-13,
        atol=1e-300,
    )
    rows = np.concatenate([t, t])
    active = np.concatenate([np.ones(len(t)), np.zeros(len(t))])
    got = sbg.loglik(np.array([alpha, beta]), sbg.prepare((rows, active)))
    expected = [float(v) for v in survive + churn]
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-14)


@given(alpha=positive, beta=positive, t=st.integers(1, 500), active=st.booleans())
def test_gradient_matches_differences(alpha: float, beta: float, t: int, active: bool) -> None:
    data = sbg.prepare((np.array([float(t)]), np.array([float(active)])))
    theta = np.array([alpha, beta])
    _, grad = sbg.loglik_and_gradient(theta, data)
    for j in range(2):
        numeric = log_derivative(lambda p: float(sbg.loglik(p, data)[0]), theta, j)
        assert grad[j, 0] * theta[j] == pytest.approx(numeric, rel=1e-7, abs=1e-8)


# --- predictions ------------------------------------------------------------------------------------


@given(alpha=positive, beta=positive)
def test_survival_is_a_non_increasing_probability(alpha: float, beta: float) -> None:
    s = sbg.survival(np.arange(200), alpha=alpha, beta=beta)
    assert s[0] == 1.0
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 0)


@given(alpha=positive, beta=positive)
def test_retention_rises_and_chains_into_survival(alpha: float, beta: float) -> None:
    t = np.arange(1, 200)
    rate = sbg.retention_rate(t, alpha=alpha, beta=beta)
    assert np.all(np.diff(rate) > 0)  # heterogeneity: the easily lost leave first
    assert np.all((rate > 0) & (rate < 1))
    s = sbg.survival(t, alpha=alpha, beta=beta)
    np.testing.assert_allclose(np.cumprod(rate), s, rtol=1e-9)


@given(alpha=positive, beta=positive, horizon=st.integers(1, 300))
def test_churn_probabilities_and_survivors_add_up_to_one(
    alpha: float, beta: float, horizon: int
) -> None:
    t = np.arange(1, horizon + 1)
    churn = sbg.churn_probability(t, alpha=alpha, beta=beta)
    survivors = sbg.survival(horizon, alpha=alpha, beta=beta)
    assert churn.sum() + survivors == pytest.approx(1.0, rel=1e-12)
    before = sbg.survival(t - 1, alpha=alpha, beta=beta)
    np.testing.assert_allclose(churn, before - sbg.survival(t, alpha=alpha, beta=beta), atol=1e-14)


@pytest.mark.parametrize(("alpha", "beta"), [(3.0, 4.0), (1.5, 0.5), (12.0, 30.0)])
def test_expected_lifetime_is_the_mean_of_one_over_theta(alpha: float, beta: float) -> None:
    # E[1 / theta]: the weight theta^(alpha - 2) (1 - theta)^(beta - 1) takes the 1 / theta.
    value, _ = integrate.quad(
        lambda th: 1.0, 0, 1, weight="alg", wvar=(alpha - 2, beta - 1), epsabs=0, epsrel=1e-12
    )
    expected = value / special.beta(alpha, beta)
    assert sbg.expected_lifetime(alpha=alpha, beta=beta) == pytest.approx(expected, rel=1e-9)
    assert sbg.expected_lifetime(alpha=3.0, beta=4.0) == 3.0  # (3 + 4 - 1) / (3 - 1), by hand
    assert sbg.expected_lifetime(alpha=1.0, beta=4.0) == math.inf


def discounted_sum(alpha: float, beta: float, d: float, start: int = 0) -> float:
    """sum_{k >= 0} S(start + k) / S(start) / (1 + d)^k, truncated where the terms are below 1e-18."""
    terms = math.ceil(42.0 / math.log1p(d)) + 1
    t = np.arange(start, start + terms, dtype=float)
    log_s = special.betaln(alpha, beta + t) - special.betaln(alpha, beta + start)
    return float(np.exp(log_s - (t - start) * math.log1p(d)).sum())


@given(alpha=positive, beta=positive, d=st.floats(0.005, 2.0))
def test_discounted_expected_lifetime_equals_the_truncated_sum(
    alpha: float, beta: float, d: float
) -> None:
    got = sbg.discounted_expected_lifetime(d, alpha=alpha, beta=beta)
    assert got == pytest.approx(discounted_sum(alpha, beta, d), rel=1e-10)


@given(alpha=positive, beta=positive, d=st.floats(0.005, 2.0), n=st.integers(0, 300))
def test_residual_lifetime_equals_the_truncated_sum(
    alpha: float, beta: float, d: float, n: int
) -> None:
    # Active at n: the renewals at n + 1, n + 2, ... are paid at the end of period n and later, the first
    # undiscounted: sum_{k >= 1} S(n + k) / S(n) / (1 + d)^(k - 1).
    expected = (discounted_sum(alpha, beta, d, start=n) - 1.0) * (1.0 + d)
    got = sbg.discounted_expected_residual_lifetime(n, d, alpha=alpha, beta=beta)
    assert got == pytest.approx(expected, rel=1e-9)


@given(alpha=positive, beta=positive, d=st.floats(0.001, 5.0))
def test_lifetime_is_one_plus_the_discounted_residual_at_zero_renewals(
    alpha: float, beta: float, d: float
) -> None:
    whole = sbg.discounted_expected_lifetime(d, alpha=alpha, beta=beta)
    residual = sbg.discounted_expected_residual_lifetime(0, d, alpha=alpha, beta=beta)
    assert whole == pytest.approx(1.0 + residual / (1.0 + d), rel=1e-12)


@pytest.mark.parametrize(
    ("alpha", "beta", "d"),
    [
        (0.05, 1000.5, 1e-3),
        (1.0, 1e4, 0.01),
        (2.0, 1000.5, 0.1),
        (7.0, 1e5, 1e-3),
        (0.3, 2.0, 1e-4),
    ],
)
def test_continued_fraction_where_scipy_hyp2f1_breaks_down(
    alpha: float, beta: float, d: float
) -> None:
    # Large beta (a customer with many renewals) and a small rate: scipy's hyp2f1(1, b; a + b; z) returns
    # NaN here (scipy 1.17). The sum is summed directly instead.
    got = sbg.discounted_expected_lifetime(d, alpha=alpha, beta=beta)
    assert got == pytest.approx(discounted_sum(alpha, beta, d), rel=1e-9)


@pytest.mark.parametrize("alpha", [0.05, 0.704, 1.0, 1.1, 2.0, 3.7, 30.0])
@pytest.mark.parametrize("d", [1e-9, 1e-6, 1e-4])
def test_discounted_expected_lifetime_against_mpmath_at_small_rates(alpha: float, d: float) -> None:
    # The continued fraction needs about 7 / sqrt(d) steps here and added up their rounding: 4e-8 relative
    # error and 6 seconds at d = 1e-9, alpha = 0.5; the connection formula in d / (1 + d) takes a few terms.
    # (Around d = 1e-4 either method carries about 2e-12.)
    mp = pytest.importorskip("mpmath")
    beta = np.array([1.182, 10.0, 1000.0, 3e4])
    got = sbg.discounted_expected_lifetime(d, alpha=alpha, beta=beta)
    with mp.workdps(40):
        z = 1 / (1 + mp.mpf(d))
        expected = [float(mp.hyp2f1(1, b, alpha + mp.mpf(b), z)) for b in beta]
    np.testing.assert_allclose(got, expected, rtol=5e-12)


def test_discounting_limits() -> None:
    # No discounting: the expected lifetime (finite for alpha > 1), and (beta + n) / (alpha - 1) periods
    # to come after n renewals, the posterior mean of (1 - theta) / theta.
    assert sbg.discounted_expected_lifetime(0.0, alpha=3.0, beta=4.0) == pytest.approx(3.0)
    assert sbg.discounted_expected_lifetime(0.0, alpha=0.7, beta=4.0) == math.inf
    got = sbg.discounted_expected_residual_lifetime([0, 5], 0.0, alpha=3.0, beta=4.0)
    np.testing.assert_allclose(got, [4 / 2, 9 / 2], rtol=1e-14)
    # Heavy discounting: only the certain first period counts.
    assert sbg.discounted_expected_lifetime(1e9, alpha=3.0, beta=4.0) == pytest.approx(1.0)
    # Vectorised over beta, equal to scalar calls.
    many = sbg.discounted_expected_lifetime(0.1, alpha=0.7, beta=[1.0, 5.0, 1.0])
    one = sbg.discounted_expected_lifetime(0.1, alpha=0.7, beta=5.0)
    assert many[1] == one
    assert many[0] == many[2]


@given(alpha=positive, beta=positive, d=st.floats(0.01, 1.0))
def test_residual_lifetime_grows_with_renewals(alpha: float, beta: float, d: float) -> None:
    values = sbg.discounted_expected_residual_lifetime(np.arange(50), d, alpha=alpha, beta=beta)
    assert np.all(np.diff(values) > 0)


# --- the fit ----------------------------------------------------------------------------------------


def fit(counts: Array):  # type: ignore[no-untyped-def]
    t, still, w = sbg.survival_rows(counts)
    return fit_likelihood(sbg.SHIFTED_BETA_GEOMETRIC, (t, still), w)


@pytest.mark.parametrize(("alpha", "beta", "seed"), [(0.7, 1.2, 1), (0.67, 3.8, 2), (2.5, 10.0, 3)])
def test_parameters_recovered_from_simulated_cohorts(alpha: float, beta: float, seed: int) -> None:
    counts = simulate_cohorts([6000, 5000, 4000], [10, 7, 4], alpha, beta, seed=seed)
    result = fit(counts)
    for value, truth, se in zip(result.params, (alpha, beta), result.standard_errors, strict=True):
        assert abs(value - truth) < 3 * se


def test_loglik_at_the_fit_beats_perturbed_parameters() -> None:
    counts = simulate_cohorts([3000, 2000], [8, 5], 0.9, 2.0, seed=11)
    result = fit(counts)
    t, still, w = sbg.survival_rows(counts)
    for j in range(2):
        for factor in (0.99, 1.01):
            params = result.params.copy()
            params[j] *= factor
            assert total_loglik(sbg.SHIFTED_BETA_GEOMETRIC, params, (t, still), w) < result.loglik


def test_one_row_per_customer_gives_the_same_fit() -> None:
    counts = simulate_cohorts([300, 200], [6, 4], 0.8, 2.5, seed=5)
    t, still, w = sbg.survival_rows(counts)
    keep = w > 0
    per_customer = (
        np.repeat(t[keep], w[keep].astype(int)),
        np.repeat(still[keep], w[keep].astype(int)),
    )
    grouped = fit_likelihood(sbg.SHIFTED_BETA_GEOMETRIC, (t, still), w)
    expanded = fit_likelihood(sbg.SHIFTED_BETA_GEOMETRIC, per_customer)
    np.testing.assert_allclose(grouped.params, expanded.params, rtol=1e-8)
    assert grouped.loglik == pytest.approx(expanded.loglik, rel=1e-12)
    assert expanded.n_rows == grouped.n_rows


def test_constant_churn_by_hand() -> None:
    # 1000 -> 600 -> 360: 400 + 240 churned in 1000 + 600 decisions; theta = 0.4.
    t, still, w = sbg.survival_rows([[1000.0, 600.0, 360.0]])
    theta, ll = sbg.constant_churn_loglik(t, still, w)
    assert theta == pytest.approx(0.4, rel=1e-15)
    assert ll == pytest.approx(640 * math.log(0.4) + 960 * math.log(0.6), rel=1e-14)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(("alpha", "beta"), [(0.5, 0.5), (3.0, 4.0)])
@pytest.mark.parametrize("renewals", [1e20, 1e155, 1e160, 1e300, 1.7e308])
@pytest.mark.parametrize("d", [0.1, 1.0])
def test_residual_lifetime_of_customers_with_huge_renewals(
    alpha: float, beta: float, renewals: float, d: float
) -> None:
    # After n renewals theta's posterior is Beta(alpha, beta + n): as n grows the customer never leaves
    # and DERL tends to sum_k (1 + d)^-k = (1 + d) / d. Against the sum of S(n + k) / S(n) (1 + d)^(1 - k),
    # term by term in 40 digits (products in beta + n overflowed the continued fraction from n ~ 1e154).
    mp = pytest.importorskip("mpmath")
    got = sbg.discounted_expected_residual_lifetime([renewals], d, alpha=alpha, beta=beta)
    with mp.workdps(40):
        b, z = mp.mpf(beta) + mp.mpf(renewals), 1 / (1 + mp.mpf(d))
        total, ratio, k = mp.mpf(0), mp.mpf(1), 0
        while True:
            ratio *= (b + k) / (alpha + b + k)
            term = ratio * z**k
            total += term
            k += 1
            if term < total * mp.mpf(10) ** -30:
                break
    assert got[0] == pytest.approx(float(total), rel=1e-14, abs=0)


@pytest.mark.parametrize("beta", [1e-12, 3e-8])
def test_retention_rate_keeps_its_digits_for_a_tiny_beta(beta: float) -> None:
    # (beta + t - 1) summed left to right gave (beta + 1) - 1 at t = 1: beta off by 1e-4 relative at
    # beta = 1e-12. Fader & Hardie 2007, eq. 8, with the count reduced first.
    alpha = 0.704
    t = np.array([1.0, 2.0, 7.0])
    got = sbg.retention_rate(t, alpha=alpha, beta=beta)
    expected = [(beta + k - 1) / (alpha + beta + k - 1) for k in (0.0 + 1.0, 2.0, 7.0)]
    expected[0] = beta / (alpha + beta)
    np.testing.assert_allclose(got, expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("alpha", "beta"), [(1.0 + 2.0**-33, 1e-12), (1.0 + 1e-9, 3e-8), (1e6, 0.5)]
)
def test_expected_lifetime_keeps_its_digits_for_alpha_close_to_one(
    alpha: float, beta: float
) -> None:
    # (alpha + beta - 1) / (alpha - 1) = 1 + beta / (alpha - 1): summed left to right, alpha + beta lost
    # beta's digits before alpha - 1 cancelled (1e-6 relative at alpha = 1 + 2**-33, beta = 1e-12).
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    expected = float((mp.mpf(alpha) + mp.mpf(beta) - 1) / (mp.mpf(alpha) - 1))
    assert sbg.expected_lifetime(alpha=alpha, beta=beta) == pytest.approx(expected, rel=1e-15)
    got = sbg.discounted_expected_lifetime(0.0, alpha=alpha, beta=beta)
    assert float(got) == pytest.approx(expected, rel=1e-15)
