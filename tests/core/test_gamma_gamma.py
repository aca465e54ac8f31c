"""Tests of the Gamma-Gamma math (retention.core.clv.gamma_gamma).

The closed forms are checked against what they are the closed forms of: the likelihood of the mean spend
against numerical integration of the individual-level density over the gamma mixing distribution, the
conditional expected spend against the posterior mean computed by quadrature, the gradient against
central differences, and the fit against data drawn from the model itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from retention.core.clv import gamma_gamma as gg
from retention.core.clv.fitting import fit_likelihood, total_loglik

CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PARAMS = [(6.25, 3.74, 15.44), (0.8, 1.5, 3.0), (25.0, 12.0, 200.0)]
DATA = [(1, 10.0), (2, 30.0), (7, 73.74), (40, 5.5)]


def mean_spend_density(zbar: float, x: int, p: float, q: float, gamma: float) -> float:
    """f(zbar | x) = integral over nu of Gamma(zbar; shape p x, rate nu x) Gamma(nu; shape q, rate gamma)."""

    def integrand(log_nu: float) -> float:
        nu = math.exp(log_nu)
        given = stats.gamma.pdf(zbar, p * x, scale=1.0 / (nu * x))
        return float(given * stats.gamma.pdf(nu, q, scale=1.0 / gamma) * nu)

    # Integrate over log(nu) around the posterior mode, where all the mass is.
    centre = math.log((p * x + q - 1) / (gamma + x * zbar))
    value, _ = integrate.quad(
        integrand, centre - 12, centre + 12, limit=200, epsabs=0, epsrel=1e-11
    )
    return value


def test_loglik_by_hand() -> None:
    # x = 2, mean 30, the published parameters: the formula of the note, term by term.
    p, q, g, x, z = 6.25, 3.74, 15.44, 2.0, 30.0
    by_hand = (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(g)
        + (p * x - 1) * math.log(z)
        + p * x * math.log(x)
        - (p * x + q) * math.log(g + x * z)
    )
    got = gg.loglik(np.array([p, q, g]), gg.prepare((np.array([x]), np.array([z]))))
    assert got[0] == pytest.approx(by_hand, rel=1e-13)
    assert got[0] == pytest.approx(-3.847047925622718, rel=1e-12)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "zbar"), DATA)
def test_loglik_is_the_mixture_density(
    params: tuple[float, float, float], x: int, zbar: float
) -> None:
    p, q, g = params
    expected = math.log(mean_spend_density(zbar, x, p, q, g))
    got = gg.loglik(np.array(params), gg.prepare((np.array([float(x)]), np.array([zbar]))))
    assert got[0] == pytest.approx(expected, abs=1e-8)


def test_jacobian_is_part_of_the_likelihood() -> None:
    # The density of the total x * zbar differs from the density of the mean by -log(x) per customer, a
    # constant; dropping x ** (p x) instead changes the likelihood's shape in p, so the maximum moves.
    x = np.array([1.0, 2.0, 5.0, 5.0])
    z = np.array([10.0, 20.0, 30.0, 12.0])
    data = gg.prepare((x, z))
    for params in PARAMS:
        p, q, g = params
        total = x * z
        # Compound gamma density of the total: Gamma(p x, nu) mixed over nu ~ Gamma(q, gamma).
        log_total_density = (
            np.array([math.lgamma(p * xi + q) - math.lgamma(p * xi) - math.lgamma(q) for xi in x])
            + q * math.log(g)
            + (p * x - 1) * np.log(total)
            - (p * x + q) * np.log(g + total)
        )
        np.testing.assert_allclose(
            gg.loglik(np.array(params), data), log_total_density + np.log(x), rtol=1e-12
        )


@pytest.mark.parametrize("params", PARAMS)
def test_gradient_matches_differences(params: tuple[float, float, float]) -> None:
    x = np.array([1.0, 1.0, 2.0, 7.0, 40.0])
    z = np.array([3.0, 300.0, 30.0, 73.74, 5.5])
    data = gg.prepare((x, z))
    theta = np.array(params)
    _, grad = gg.loglik_and_gradient(theta, data)
    for j in range(3):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric = (gg.loglik(up, data) - gg.loglik(down, data)) / (2 * h)
        np.testing.assert_allclose(grad[j], numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gg.loglik_and_gradient(theta, data)[0], gg.loglik(theta, data))


def posterior_mean_spend(x: int, zbar: float, p: float, q: float, gamma: float) -> float:
    """E[p / nu | x, zbar] by quadrature of the posterior of nu (prior Gamma(q, gamma)), over log(nu)."""

    def weight(log_nu: float) -> float:
        nu = math.exp(log_nu)
        given = stats.gamma.pdf(zbar, p * x, scale=1.0 / (nu * x))
        return float(given * stats.gamma.pdf(nu, q, scale=1.0 / gamma) * nu)

    centre = math.log((p * x + q - 1) / (gamma + x * zbar))
    width = 1 / math.sqrt(p * x + q)  # about the posterior's sd of log(nu)
    # Pieces that follow the peak; the lower tail decays only like nu ** (p x + q - 1), so it goes far.
    cuts = [centre - 60, *(centre + k * width for k in (-10, -3, -1, 1, 3, 10)), centre + 12]
    pieces = list(itertools.pairwise(cuts))

    def total(f: Callable[[float], float]) -> float:
        return sum(
            integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-12)[0] for lo, hi in pieces
        )

    return total(lambda v: p * math.exp(-v) * weight(v)) / total(weight)


# (p, q, gamma, x, zbar) with a large shape p x, where gammaln(p x + q) - gammaln(p x) lost digits: the log-
# likelihood was off by 1e-9 (7e-7 at p = 1.2e7, enough to stop the fit of a small sample early) and the
# gradient in p by 2e-8 relative.
LARGE_SHAPES = [
    (777.98, 115.54, 0.35046, 869.0, 583256.6),
    (233.55, 0.0019480, 0.015465, 81.0, 12577.85),
    (131.78, 0.011933, 0.71015, 55.0, 8479.745),
    (1.1862e7, 28.329, 7.7266e-5, 4.0, 40.0),
    (0.003, 178.39, 446.93, 6.0, 0.001285),
    (1e3, 1e-3, 1e3, 1000.0, 1e6),
]


@pytest.mark.parametrize("case", LARGE_SHAPES)
def test_loglik_and_gradient_against_mpmath_for_large_shapes(case: tuple[float, ...]) -> None:
    mp = pytest.importorskip("mpmath")
    p, q, gamma, x, zbar = case

    def log_density(pp, qq, gg_):  # type: ignore[no-untyped-def]
        xx, zz = mp.mpf(x), mp.mpf(zbar)  # every product exact
        px = pp * xx
        return (
            mp.loggamma(px + qq)
            - mp.loggamma(px)
            - mp.loggamma(qq)
            + qq * mp.log(gg_)
            + (px - 1) * mp.log(zz)
            + px * mp.log(xx)
            - (px + qq) * mp.log(gg_ + xx * zz)
        )

    data = gg.prepare((np.array([x]), np.array([zbar])))
    ll, grad = gg.loglik_and_gradient(np.array([p, q, gamma]), data)
    with mp.workdps(50):
        expected = float(log_density(mp.mpf(p), mp.mpf(q), mp.mpf(gamma)))
        slopes = [
            float(mp.diff(lambda v: log_density(v, mp.mpf(q), mp.mpf(gamma)), mp.mpf(p))),
            float(mp.diff(lambda v: log_density(mp.mpf(p), v, mp.mpf(gamma)), mp.mpf(q))),
            float(mp.diff(lambda v: log_density(mp.mpf(p), mp.mpf(q), v), mp.mpf(gamma))),
        ]
    assert ll[0] == pytest.approx(expected, rel=1e-14, abs=1e-13)
    assert gg.loglik(np.array([p, q, gamma]), data)[0] == pytest.approx(
        expected, rel=1e-14, abs=1e-13
    )
    np.testing.assert_allclose(grad[:, 0], slopes, rtol=1e-10)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "zbar"), DATA)
def test_conditional_expected_spend_is_the_posterior_mean(
    params: tuple[float, float, float], x: int, zbar: float
) -> None:
    p, q, g = params
    got = gg.conditional_expected_spend([x], [zbar], p=p, q=q, gamma=g)[0]
    assert got == pytest.approx(posterior_mean_spend(x, zbar, p, q, g), rel=1e-7)


def test_conditional_expected_spend_by_hand() -> None:
    # x = 2, mean 30: 6.25 * (15.44 + 60) / (12.5 + 2.74) = 471.5 / 15.24.
    got = gg.conditional_expected_spend([0, 2], [123.0, 30.0], **CDNOW)
    np.testing.assert_allclose(got, [6.25 * 15.44 / 2.74, 471.5 / 15.24], rtol=1e-14)


def test_conditional_expected_spend_does_not_overflow() -> None:
    # gamma + x zbar overflowed to inf (a RuntimeWarning, an error under pytest) for huge frequencies or
    # spend; the weighted form p gamma / (p x + q - 1) + zbar / (1 + (q - 1) / (p x)) stays finite.
    got = gg.conditional_expected_spend(
        [1e300, 2.0, 1e308, 5.0], [1e100, 1e308, 1e10, 10.0], p=6.25, q=3.74, gamma=15.44
    )
    assert got[0] == pytest.approx(1e100, rel=1e-12)
    assert got[1] == pytest.approx(1e308 / (12.5 + 2.74) * 12.5, rel=1e-12)
    assert got[2] == pytest.approx(1e10, rel=1e-12)
    assert got[3] == pytest.approx(6.25 * (15.44 + 50.0) / (31.25 + 2.74), rel=1e-15)


def test_mean_spend_undefined_for_q_at_most_one() -> None:
    assert gg.mean_spend(p=2.0, q=3.0, gamma=4.0) == 4.0
    assert math.isnan(gg.mean_spend(p=2.0, q=1.0, gamma=4.0))
    got = gg.conditional_expected_spend([0, 1, 3], [0.0, 10.0, 10.0], p=0.1, q=0.85, gamma=4.0)
    # x = 0: q <= 1, infinite; x = 1: p + q = 0.95 <= 1, infinite; x = 3: 0.3 + 0.85 > 1, finite.
    assert np.isnan(got[:2]).all()
    assert got[2] == pytest.approx(0.1 * (4.0 + 30.0) / 0.15)


@given(
    p=st.floats(0.1, 50),
    q=st.floats(1.01, 50),
    gamma=st.floats(0.01, 1e4),
    x=st.integers(1, 500),
    zbar=st.floats(0.01, 1e4),
)
def test_conditional_spend_is_between_population_and_own_mean(
    p: float, q: float, gamma: float, x: int, zbar: float
) -> None:
    got = gg.conditional_expected_spend([x], [zbar], p=p, q=q, gamma=gamma)[0]
    population = gg.mean_spend(p=p, q=q, gamma=gamma)
    low, high = min(population, zbar), max(population, zbar)
    assert low * (1 - 1e-12) <= got <= high * (1 + 1e-12)
    # More transactions move the prediction towards the customer's own mean.
    more = gg.conditional_expected_spend([x + 1], [zbar], p=p, q=q, gamma=gamma)[0]
    assert abs(more - zbar) <= abs(got - zbar) * (1 + 1e-12) + 1e-12 * zbar


def test_spend_correlation() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    m = np.array([10.0, 14.0, 11.0, 20.0, 18.0])
    assert gg.spend_correlation(x, m, np.ones(5)) == pytest.approx(np.corrcoef(x, m)[0, 1])
    # A weight counts the row that many times.
    w = np.array([1.0, 3.0, 1.0, 2.0, 1.0])
    repeated = np.repeat(np.arange(5), w.astype(int))
    assert gg.spend_correlation(x, m, w) == pytest.approx(
        np.corrcoef(x[repeated], m[repeated])[0, 1]
    )
    assert math.isnan(gg.spend_correlation(x[:2], m[:2], np.ones(2)))
    assert math.isnan(gg.spend_correlation(np.ones(5), m, np.ones(5)))


def simulate(n: int, p: float, q: float, gamma: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, zbar) from the model: nu ~ Gamma(q, gamma), zbar | nu ~ Gamma(p x, nu x)."""
    rng = np.random.default_rng(seed)
    x = rng.geometric(0.3, n).astype(float)  # 1, 2, ... transactions
    nu = rng.gamma(q, 1.0 / gamma, n)
    zbar = rng.gamma(p * x, 1.0 / (nu * x))
    return x, zbar


@pytest.mark.parametrize("params", PARAMS)
def test_fit_recovers_parameters(params: tuple[float, float, float]) -> None:
    x, z = simulate(20_000, *params, seed=11)
    result = fit_likelihood(gg.GAMMA_GAMMA, (x, z))
    errors = result.standard_errors
    assert np.all(np.isfinite(errors))
    assert np.all(np.abs(result.params - np.array(params)) <= 3 * errors)


def test_fit_is_a_maximum_and_weights_equal_repetition() -> None:
    x, z = simulate(2_000, *PARAMS[0], seed=3)
    result = fit_likelihood(gg.GAMMA_GAMMA, (x, z))
    for j in range(3):
        for factor in (0.98, 1.02):
            other = result.params.copy()
            other[j] *= factor
            assert total_loglik(gg.GAMMA_GAMMA, other, (x, z)) < result.loglik
    # The same customers written once with a weight of 3 give the same fit as written three times.
    tripled = fit_likelihood(gg.GAMMA_GAMMA, (np.tile(x, 3), np.tile(z, 3)))
    weighted = fit_likelihood(gg.GAMMA_GAMMA, (x, z), np.full(len(x), 3.0))
    np.testing.assert_allclose(weighted.params, tripled.params, rtol=1e-6)
    assert weighted.loglik == pytest.approx(tripled.loglik, rel=1e-12)
    assert weighted.loglik == pytest.approx(3 * result.loglik, rel=1e-9)


def test_starts_scale_with_the_currency() -> None:
    x, z = simulate(500, *PARAMS[0], seed=5)
    cents = gg.starts((x, z * 100), np.ones(len(x)))
    dollars = gg.starts((x, z), np.ones(len(x)))
    for a, b in zip(cents, dollars, strict=True):
        np.testing.assert_allclose(a[:2], b[:2])
        assert a[2] == pytest.approx(100 * b[2])
    # Fitting in cents gives gamma in cents and the same shape parameters.
    in_cents = fit_likelihood(gg.GAMMA_GAMMA, (x, z * 100)).params
    in_dollars = fit_likelihood(gg.GAMMA_GAMMA, (x, z)).params
    np.testing.assert_allclose(in_cents / [1, 1, 100], in_dollars, rtol=1e-5)


def test_conditional_expected_spend_keeps_its_digits_for_q_close_to_one() -> None:
    # p x + q - 1 summed left to right lost p x's digits to q (1e-16 / (p x) relative): q - 1 first.
    # Against the posterior mean p (gamma + x zbar) / (p x + q - 1) of the same floats in mpmath.
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    p, q, g, x, zbar = 3e-13, 1.0 + 2.0**-30, 8.0, 3.0, 16.0
    got = gg.conditional_expected_spend([x], [zbar], p=p, q=q, gamma=g)[0]
    P, Q = mp.mpf(p), mp.mpf(q)
    expected = P * (g + x * zbar) / (P * x + Q - 1)
    assert got == pytest.approx(float(expected), rel=1e-14)
