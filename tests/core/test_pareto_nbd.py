"""Tests of the Pareto/NBD math (retention.core.clv.pareto_nbd).

Every closed form is checked against something computed another way: the hypergeometric function against
mpmath at 40 digits (when mpmath is installed) and against quadrature of its Euler integral; the likelihood
and the conditional predictions against numerical integration of the individual-level model over the two
gamma distributions; DERT against integration of the discounted stream of expected transactions; the
predictions against Monte-Carlo simulation of the buying process; the gradient against differences.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, special

from retention.core.clv import pareto_nbd as pn
from retention.core.clv.fitting import compress, fit_likelihood, total_loglik

Array = NDArray[np.float64]
CDNOW = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
SPEC = pn.PARETO_NBD


def simulate(
    n: int, params: dict[str, float], T: Array | float, *, seed: int
) -> tuple[Array, Array, Array, Array, Array]:
    """The Pareto/NBD process, observed up to T: (x, t_x, T) per customer, and (lambda, mu).

    lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), lifetime ~ Exp(mu); purchases are a Poisson process
    with rate lambda while alive. Given N purchases in the observed life span, their times are uniform,
    so the last one is the span times the largest of N uniforms, a Beta(N, 1).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    life = rng.exponential(1.0 / mu)
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    span = np.minimum(life, age)
    x = rng.poisson(lam * span)
    tx = np.where(x > 0, span * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x.astype(float), tx, age, lam, mu


def mix(func, r: float, alpha: float, s: float, beta: float, *, tilt: float = 0.0) -> float:  # type: ignore[no-untyped-def]
    """E[func(lambda, mu) e^{-(lambda + mu) tilt}] over Gamma(r, alpha) x Gamma(s, beta) by 2-D quadrature.

    The factor e^{-(lambda + mu) tilt} is taken into the gamma densities (their rates become alpha + tilt
    and beta + tilt), so that the integrand has its bulk where quad looks; the substitutions
    lambda = v ** (1/r), mu = w ** (1/s) remove the singularities of the densities at 0.
    """
    rate_l, rate_m = alpha + tilt, beta + tilt

    def integrand(w: float, v: float) -> float:
        lam = v ** (1 / r)
        mu = w ** (1 / s)
        return float(func(lam, mu) * math.exp(-rate_l * lam - rate_m * mu))

    value, _ = integrate.dblquad(integrand, 0, np.inf, 0, np.inf, epsabs=0, epsrel=1e-11)
    return value * alpha**r / special.gamma(r + 1) * beta**s / special.gamma(s + 1)


def evidence(params: dict[str, float], x: float, tx: float, T: float) -> float:
    """L(x, t_x, T) = E[lambda^x e^{-(lambda + mu) T}] + E[lambda^x mu / (lambda + mu) (e^{-(lambda + mu) t_x}
    - e^{-(lambda + mu) T})]: alive at T, or died in (t_x, T], mixed over the two gamma distributions."""
    alive = mix(lambda lam, mu: lam**x, **params, tilt=T)
    dead = mix(
        lambda lam, mu: lam**x * mu / (lam + mu) * -math.expm1(-(lam + mu) * (T - tx)),
        **params,
        tilt=tx,
    )
    return alive + dead


def loglik_by_integral(params: dict[str, float], x: float, tx: float, T: float) -> float:
    """log L from L = C [(a + T)^-(r+x) (b + T)^-s + s int_{t_x}^T (a + u)^-(r+x) (b + u)^-(s+1) du].

    The 1-D integral (Fader & Hardie 2005, before their hypergeometric closed form) is taken by quad,
    relative to its value at t_x so that nothing underflows for heavy buyers.
    """
    r, alpha, s, beta = params.values()
    p = r + x
    base = -p * math.log(alpha + tx) - s * math.log(beta + tx)

    def relative(u: float) -> float:
        return math.exp(-p * math.log(alpha + u) - (s + 1) * math.log(beta + u) - base)

    scale = (alpha + tx) / p  # where the integrand has fallen by 1/e for heavy buyers
    pieces = [tx, min(T, tx + scale), min(T, tx + 10 * scale), min(T, tx + 100 * scale), T]
    part = sum(
        integrate.quad(relative, lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]
        for lo, hi in itertools.pairwise(pieces)
        if hi > lo
    )
    alive = -p * math.log(alpha + T) - s * math.log(beta + T) - base
    const = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    return float(const + base + math.log(math.exp(alive) + s * part))


ROWS = [(0.0, 0.0, 10.0), (3.0, 7.5, 10.0), (1.0, 0.5, 40.0), (6.0, 30.0, 31.0)]
PARAM_SETS = [
    {"r": 1.3, "alpha": 3.0, "s": 1.5, "beta": 2.5},  # alpha > beta
    {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 16.0},  # alpha < beta
    {"r": 0.8, "alpha": 5.0, "s": 1.0, "beta": 5.0},  # alpha = beta, s = 1
]


# --- the hypergeometric function ----------------------------------------------------------------------


def _euler_integral(b: float, c: float, z: float) -> float:
    """2F1(1, b; c; z) = E[1 / (1 - z U)], U ~ Beta(b, c - b), by quadrature.

    In W = 1 - U ~ Beta(d, b), d = c - b, it is E[1 / (eps + z W)] with eps = 1 - z. quad's algebraic
    weight takes W ** (d - 1) on the first piece and (1 - W) ** (b - 1) on the last; the integrand bends at
    the scales eps and 1 / b, which are break points.
    """
    d, eps = c - b, 1.0 - z
    split = min(0.5, 50.0 / b)
    edges = sorted({0.0, split} | {p for p in (eps, 1.0 / b, 10.0 / b) if 0 < p < split})
    opts = {"epsrel": 1e-13, "limit": 400}
    total = integrate.quad(
        lambda w: (1.0 - w) ** (b - 1) / (eps + z * w),
        edges[0],
        edges[1],
        weight="alg",
        wvar=(d - 1, 0),
        epsabs=0,
        **opts,
    )[0]
    for lo, hi in itertools.pairwise(edges[1:]):
        total += integrate.quad(
            lambda w: w ** (d - 1) * (1.0 - w) ** (b - 1) / (eps + z * w), lo, hi, epsabs=0, **opts
        )[0]
    if split == 0.5:  # otherwise the rest weighs less than (1 - 50 / b) ** (b - 1) < e**-49
        total += integrate.quad(
            lambda w: w ** (d - 1) / (eps + z * w),
            split,
            1.0,
            weight="alg",
            wvar=(0, b - 1),
            epsabs=0,
            **opts,
        )[0]
    return float(total / special.beta(b, d))


@pytest.mark.parametrize(
    ("b", "c", "z"),
    [
        (2.0, 3.0, 0.5),  # closed form -2 (z + log(1 - z)) / z**2
        (0.6, 2.2, 0.1),  # the series
        (3000.0, 3001.6, 0.9999),  # the continued fraction; scipy's hyp2f1 returns inf here
        (1.3, 101.3, 0.95),  # the series, near z = 1 with c - b large
        (0.3, 2.8, 0.999),  # the connection formula
        (0.3, 2.3, 0.999),  # ... at a whole c - b
    ],
)
def test_log_hyp1_equals_the_euler_integral(b: float, c: float, z: float) -> None:
    got = pn.log_hyp1(b, c, z)[0, 0]
    assert got == pytest.approx(math.log(_euler_integral(b, c, z)), rel=1e-10, abs=1e-12)


def test_log_hyp1_closed_form() -> None:
    z = 0.5
    assert pn.log_hyp1(2.0, 3.0, z)[0, 0] == pytest.approx(
        math.log(-2 * (z + math.log1p(-z)) / z**2), rel=1e-14
    )


def test_log_hyp1_is_finite_where_scipy_fails() -> None:
    b, c, z = (
        np.array([171.7, 5706.0, 2188.0]),
        np.array([171.8, 5706.03, 2194.0]),
        np.array([0.9999991, 0.99999998, 0.99995]),
    )
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(special.hyp2f1(1.0, b, c, z)))
    got = pn.log_hyp1(b, c, z)
    assert np.all(np.isfinite(got))
    assert np.all(got[0] <= -np.log1p(-z) + 1e-12)  # H <= 1 / (1 - z)


def test_log_hyp1_against_mpmath_on_a_wide_grid() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(1)
    n = 300
    b = 10 ** rng.uniform(-2, 3.7, n)
    d = 10 ** rng.uniform(-2, 1.5, n)
    d[:60] = np.round(d[:60]) + 10 ** rng.uniform(-8, -1.5, 60) * rng.choice([-1, 1], 60)
    d = np.maximum(d, 1e-3)
    b = np.maximum(b, 1.001 - d)  # c > 1, as in every use (c - 1 = r + s + x)
    eps = 10 ** rng.uniform(-12, 0, n)
    eps[: n // 4] = rng.uniform(0.4, 1.0, n // 4)
    z = 1.0 - eps
    got = pn.log_hyp1(b, b + d, z, eps)

    def reference(bb: float, cc: float, ee: float) -> list[float]:
        big_b, big_c, big_z = mp.mpf(bb), mp.mpf(cc), 1 - mp.mpf(ee)

        def f(x: object, y: object, w: object) -> object:
            return mp.log(mp.hyp2f1(1, x, y, w))

        return [
            float(f(big_b, big_c, big_z)),
            float(mp.diff(lambda t: f(t, big_c, big_z), big_b)),
            float(mp.diff(lambda t: f(big_b, t, big_z), big_c)),
            float(mp.diff(lambda t: f(big_b, big_c, t), big_z)),
        ]

    ref = np.array([reference(*v) for v in zip(b, b + d, eps, strict=True)]).T
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-12, atol=1e-12)
    for i in (1, 2, 3):
        np.testing.assert_allclose(got[i], ref[i], rtol=1e-8)


# --- likelihood ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize("row", ROWS)
def test_loglik_equals_integral_of_individual_likelihood(
    params: dict[str, float], row: tuple[float, float, float]
) -> None:
    x, tx, T = row
    expected = evidence(params, x, tx, T)
    got = SPEC.evaluate(list(params.values()), ([x], [tx], [T]))[0]
    assert got == pytest.approx(math.log(expected), rel=1e-8)


def test_loglik_by_hand_fader_hardie() -> None:
    # FH 2005 eq. 18-20 with scipy's hyp2f1 (safe at these values), for x=2, t_x=30.43, T=38.86, alpha < beta.
    r, alpha, s, beta = CDNOW.values()
    x, tx, T = 2, 30.43, 38.86

    def term(t: float) -> float:
        z = (beta - alpha) / (beta + t)
        return float(special.hyp2f1(r + s + x, r + x, r + s + x + 1, z) / (beta + t) ** (r + s + x))

    a0 = term(tx) - term(T)
    front = special.gamma(r + x) * alpha**r * beta**s / special.gamma(r)
    expected = front * (1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / (r + s + x) * a0)
    got = SPEC.evaluate([r, alpha, s, beta], ([x], [tx], [T]))[0]
    assert got == pytest.approx(math.log(expected), rel=1e-13)


def test_customer_seen_only_at_the_end_adds_nothing() -> None:
    got = SPEC.evaluate(list(CDNOW.values()), ([0.0], [0.0], [0.0]))
    assert got[0] == pytest.approx(0.0, abs=1e-15)


HEAVY_PARAMS = [
    CDNOW,
    # lifetimes returns nan for the row (300, 20, 300) here
    {"r": 0.5, "alpha": 1e4, "s": 0.5, "beta": 1.0},
    {"r": 2.0, "alpha": 300.0, "s": 0.5, "beta": 0.5},
    {"r": 0.5, "alpha": 0.3, "s": 0.6, "beta": 3000.0},
]
HEAVY_ROWS = [
    (300.0, 20.0, 300.0),
    (500.0, 99.0, 100.0),
    (2000.0, 150.0, 400.0),
    (5000.0, 399.9, 400.0),
]


@pytest.mark.parametrize("params", HEAVY_PARAMS)
def test_heavy_buyers_have_finite_accurate_likelihood(params: dict[str, float]) -> None:
    x, tx, T = (np.array(v) for v in zip(*HEAVY_ROWS, strict=True))
    got = SPEC.evaluate(list(params.values()), (x, tx, T))
    assert np.all(np.isfinite(got))
    expected = [loglik_by_integral(params, *row) for row in HEAVY_ROWS]
    np.testing.assert_allclose(got, expected, rtol=1e-11)
    _, grad = pn.loglik_and_gradient(np.array(list(params.values())), pn.prepare((x, tx, T)))
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("params", HEAVY_PARAMS)
def test_heavy_buyers_against_mpmath(params: dict[str, float]) -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    r, alpha, s, beta = (mp.mpf(v) for v in params.values())

    def fader_hardie(x: float, tx: float, T: float) -> float:
        # FH 2005 eq. 18-20 at 60 digits, where their difference of hypergeometric terms is harmless.
        xm, txm, tm = mp.mpf(x), mp.mpf(tx), mp.mpf(T)
        big, small, b2 = (alpha, beta, s + 1) if alpha >= beta else (beta, alpha, r + xm)

        def term(t: object) -> object:
            return mp.hyp2f1(r + s + xm, b2, r + s + xm + 1, (big - small) / (big + t)) / (
                big + t
            ) ** (r + s + xm)

        a0 = term(txm) - term(tm)
        front = mp.gamma(r + xm) * alpha**r * beta**s / mp.gamma(r)
        inner = 1 / ((alpha + tm) ** (r + xm) * (beta + tm) ** s) + s / (r + s + xm) * a0
        return float(mp.log(front * inner))

    x, tx, T = (np.array(v) for v in zip(*HEAVY_ROWS, strict=True))
    got = SPEC.evaluate(list(params.values()), (x, tx, T))
    np.testing.assert_allclose(got, [fader_hardie(*row) for row in HEAVY_ROWS], rtol=1e-13)


@given(
    params=st.tuples(
        st.floats(0.05, 5.0), st.floats(0.1, 100.0), st.floats(0.05, 5.0), st.floats(0.1, 100.0)
    ),
    x=st.integers(0, 300),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 300.0),
)
def test_gradient_matches_differences(
    params: tuple[float, float, float, float], x: int, share: float, T: float
) -> None:
    tx = share * T if x > 0 else 0.0
    data = pn.prepare((np.array([float(x)]), np.array([tx]), np.array([T])))
    theta = np.array(params)
    _, grad = pn.loglik_and_gradient(theta, data)
    for j in range(4):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric = (pn.loglik(up, data) - pn.loglik(down, data)) / (2 * h)
        # compared per unit of log parameter, as the optimiser sees it
        assert grad[j, 0] * theta[j] == pytest.approx(numeric[0] * theta[j], rel=1e-5, abs=1e-6)


def test_rows_in_any_order_give_the_same_loglik() -> None:
    x, tx, T, _, _ = simulate(500, CDNOW, np.random.default_rng(2).uniform(5, 60, 500), seed=3)
    theta = np.array(list(CDNOW.values()))
    forward = pn.loglik(theta, pn.prepare((x, tx, T)))
    order = np.random.default_rng(4).permutation(500)
    shuffled = pn.loglik(theta, pn.prepare((x[order], tx[order], T[order])))
    np.testing.assert_array_equal(shuffled, forward[order])  # to the last bit, as every result


def test_compressing_identical_customers_keeps_the_loglik() -> None:
    rng = np.random.default_rng(6)
    x, tx, T, _, _ = simulate(2000, CDNOW, rng.integers(10, 40, 2000) / 1.0, seed=7)
    tx = np.floor(tx)  # whole weeks, so many customers share a row
    packed = compress((x, tx, T))
    assert len(packed.weights) < 1000
    theta = list(CDNOW.values())
    full = total_loglik(SPEC, theta, (x, tx, T))
    assert total_loglik(SPEC, theta, packed.columns, packed.weights) == pytest.approx(
        full, rel=1e-13
    )


# --- predictions against integration -------------------------------------------------------------------


@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize(
    ("row", "t"), [((3.0, 7.5, 10.0), 6.0), ((1.0, 0.5, 40.0), 25.0), ((0.0, 0.0, 20.0), 12.0)]
)
def test_conditional_predictions_equal_posterior_integrals(
    params: dict[str, float], row: tuple[float, float, float], t: float
) -> None:
    x, tx, T = row
    delta = 0.01
    total = evidence(params, x, tx, T)

    def alive_then(func):  # type: ignore[no-untyped-def]
        return mix(lambda lam, mu: lam**x * func(lam, mu), **params, tilt=T) / total

    now = alive_then(lambda lam, mu: 1.0)
    later = alive_then(lambda lam, mu: math.exp(-mu * t))
    # Expected purchases in (T, T + t] while alive: lambda (1 - e^{-mu t}) / mu.
    purchases = alive_then(lambda lam, mu: lam * -math.expm1(-mu * t) / mu)
    # Discounted purchases for ever: lambda int e^{-(delta + mu) u} du = lambda / (delta + mu).
    dert = alive_then(lambda lam, mu: lam / (delta + mu))
    cols = ([x], [tx], [T])
    assert pn.p_alive(*cols, **params)[0] == pytest.approx(now, rel=1e-8)
    assert pn.p_alive(*cols, **params, t=t)[0] == pytest.approx(later, rel=1e-8)
    assert pn.conditional_expected_purchases(t, *cols, **params)[0] == pytest.approx(
        purchases, rel=1e-8
    )
    got = pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=delta)[0]
    assert got == pytest.approx(dert, rel=1e-8)


@pytest.mark.parametrize("params", [*PARAM_SETS, {"r": 0.5, "alpha": 4.0, "s": 2.5, "beta": 9.0}])
@pytest.mark.parametrize("delta", [1e-4, 0.0027, 0.05, 0.5, 3.0])
def test_dert_equals_the_discounted_stream_of_expected_transactions(
    params: dict[str, float], delta: float
) -> None:
    # DERT = int_0^inf e^{-delta u} dE[Y(u)] = delta int_0^inf e^{-delta u} E[Y(u)] du (by parts), with
    # E[Y(u)] the conditional expected purchases: the stream's present value by quadrature.
    x, tx, T = 4.0, 20.0, 30.0

    def discounted(u: float) -> float:
        y = pn.conditional_expected_purchases(u, [x], [tx], [T], **params)[0]
        return float(math.exp(-delta * u) * y)

    value = sum(
        integrate.quad(discounted, lo / delta, hi / delta, epsabs=0, epsrel=1e-12, limit=400)[0]
        for lo, hi in ((0, 1), (1, 10), (10, 100), (100, np.inf))
    )
    got = pn.discounted_expected_residual_transactions(
        [x], [tx], [T], **params, discount_rate=delta
    )
    assert got[0] == pytest.approx(delta * value, rel=1e-9)


def test_dert_without_discounting() -> None:
    params = {"r": 0.5, "alpha": 4.0, "s": 2.5, "beta": 9.0}
    cols = ([4.0], [20.0], [30.0])
    undiscounted = pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=0.0)[
        0
    ]
    # all future purchases: the limit of the conditional expectation as t grows (s > 1)
    assert undiscounted == pytest.approx(
        pn.conditional_expected_purchases(1e15, *cols, **params)[0], rel=1e-9
    )
    assert undiscounted == pytest.approx(
        pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=1e-12)[0],
        rel=1e-9,
    )
    assert math.isinf(
        pn.discounted_expected_residual_transactions(*cols, **CDNOW, discount_rate=0.0)[0]
    )


def test_dert_against_mpmath_hyperu() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    # FHL 2005 ("RFM and CLV") closed form, at 30 digits, over the range where scipy's hyperu loses digits
    r, alpha, s, beta = CDNOW.values()
    x, tx, T = 2.0, 30.43, 38.86
    log_l = SPEC.evaluate([r, alpha, s, beta], ([x], [tx], [T]))[0]
    for delta in (1e-5, 0.0027, 0.2, 0.5, 3.0):
        u = mp.hyperu(s, s, delta * (beta + T))
        log_front = (
            r * math.log(alpha)
            + s * math.log(beta)
            + (s - 1) * math.log(delta)
            + special.gammaln(r + x + 1)
            - special.gammaln(r)
            - (r + x + 1) * math.log(alpha + T)
        )
        expected = float(mp.exp(mp.mpf(log_front) - mp.mpf(log_l)) * u)
        got = pn.discounted_expected_residual_transactions(
            [x], [tx], [T], **CDNOW, discount_rate=delta
        )
        assert got[0] == pytest.approx(expected, rel=1e-12)


def test_scaled_hyperu_against_mpmath() -> None:
    # z^s U(s, s, z), the heart of DERT, at 40 digits: both methods, whole and fractional s, tiny to large z
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    z = np.array([1e-12, 1e-6, 1e-3, 0.1, 0.5, 0.999, 1.0, 3.0, 30.0, 1e3])
    for s in (0.01, 0.606, 1.0, 1.001, 1.999, 2.0, 4.0, 7.3, 29.5, 30.0, 31.0, 60.0, 120.0):
        got = pn._scaled_hyperu(s, z)
        expected = [float(mp.power(v, s) * mp.hyperu(s, s, v)) for v in z]
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"s = {s}")


@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize("t", [0.5, 20.0, 300.0])
def test_expected_purchases_equal_integral(params: dict[str, float], t: float) -> None:
    # E[X(t)] = E[lambda] int_0^t E[e^{-mu u}] du, the survival of a Gamma(s, beta) dropout rate
    survival, _ = integrate.quad(
        lambda u: (params["beta"] / (params["beta"] + u)) ** params["s"],
        0,
        t,
        epsabs=0,
        epsrel=1e-13,
    )
    expected = params["r"] / params["alpha"] * survival
    assert pn.expected_purchases(t, **params) == pytest.approx(expected, rel=1e-11)


def test_probabilities_against_fader_hardie_with_mpmath() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 150

    def fader_hardie(n: int, t: float, params: dict[str, float]) -> float:
        # FH (2020) closed form, at 150 digits: its difference B1 - sum B2 cancels up to 100 of them here.
        r, alpha, s, beta, t = (mp.mpf(v) for v in (*params.values(), t))
        big, small = max(alpha, beta), min(alpha, beta)
        b2 = s + 1 if alpha >= beta else r + n
        first = (
            mp.gamma(r + n)
            / (mp.gamma(r) * mp.factorial(n))
            * (alpha / (alpha + t)) ** r
            * (t / (alpha + t)) ** n
            * (beta / (beta + t)) ** s
        )
        b1 = mp.hyp2f1(r + s, b2, r + s + n + 1, (big - small) / big) / big ** (r + s)
        b2_sum = mp.fsum(
            mp.gamma(r + s + i)
            / (mp.gamma(r + s) * mp.factorial(i))
            * t**i
            * mp.hyp2f1(r + s + i, b2, r + s + n + 1, (big - small) / (big + t))
            / (big + t) ** (r + s + i)
            for i in range(n + 1)
        )
        front = alpha**r * beta**s * mp.beta(r + n, s + 1) / mp.beta(r, s)
        return float(first + front * (b1 - b2_sum))

    for params in (CDNOW, *PARAM_SETS, {"r": 0.5, "alpha": 40.0, "s": 0.7, "beta": 2.0}):
        for t in (0.3, 39.0, 200.0):
            n = np.array([0, 1, 2, 5, 20, 60])
            got = pn.probability_of_purchases(n, t, **params)
            expected = [fader_hardie(int(k), t, params) for k in n]
            np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-300)


@given(
    params=st.fixed_dictionaries(
        {
            "r": st.floats(0.1, 3.0),
            "alpha": st.floats(1.0, 30.0),
            "s": st.floats(0.1, 3.0),
            "beta": st.floats(1.0, 30.0),
        }
    ),
    t=st.floats(0.0, 60.0),
)
def test_probabilities_of_purchases_sum_to_one_with_the_expected_mean(
    params: dict[str, float], t: float
) -> None:
    n = np.arange(4000)
    probs = pn.probability_of_purchases(n, t, **params)
    assert np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    mean = pn.expected_purchases(t, **params)
    assert float(n @ probs) == pytest.approx(mean, rel=1e-8, abs=1e-10)


def test_probabilities_stay_accurate_in_the_tail() -> None:
    # Short time, many purchases: tiny probabilities that Fader and Hardie's difference would lose,
    # against the 1-D integral of the death term (quad) plus the alive term.
    r, alpha, s, beta = CDNOW.values()
    t = 2.0
    for n in (10, 40):

        def death(tau: float, n: int = n) -> float:
            return (
                float(
                    math.exp(
                        special.gammaln(r + n)
                        - special.gammaln(r)
                        - special.gammaln(n + 1)
                        + r * math.log(alpha)
                        + s * math.log(beta)
                        + math.log(s)
                        + n * math.log(tau)
                        - (r + n) * math.log(alpha + tau)
                        - (s + 1) * math.log(beta + tau)
                    )
                )
                if tau > 0
                else 0.0
            )

        dead, _ = integrate.quad(death, 0, t, epsabs=0, epsrel=1e-13)
        alive = math.exp(
            special.gammaln(r + n)
            - special.gammaln(r)
            - special.gammaln(n + 1)
            + r * math.log(alpha / (alpha + t))
            + n * math.log(t / (alpha + t))
            + s * math.log(beta / (beta + t))
        )
        got = pn.probability_of_purchases(n, t, **CDNOW)
        assert got == pytest.approx(alive + dead, rel=1e-11)
    assert got < 1e-30  # n = 40: far below the rounding error of B1 - sum B2


def _mp_probability(n: float, t: float, params: dict[str, float]) -> float:
    """P(X(t) = n) at 30 digits: the alive term plus the death integral over y = log(tau).

    The integrand of the death term, exp(phi(y)) with phi(y) = (n + 1) y - (r + n) log(alpha + e^y)
    - (s + 1) log(beta + e^y) + const, is log-concave: phi'(y) = 0 is a quadratic in u = e^y, whose
    positive root is the peak (or log t, if later). The integral runs, in 40 pieces, between the points on
    each side where phi is 90 below its peak (found by bisection), or log t.
    """
    mp = pytest.importorskip("mpmath")
    with mp.workdps(30):
        r_, a_, s_, b_ = (mp.mpf(params[k]) for k in ("r", "alpha", "s", "beta"))
        n_, t_ = mp.mpf(n), mp.mpf(t)
        log_count = mp.loggamma(r_ + n_) - mp.loggamma(r_) - mp.loggamma(n_ + 1)
        alive = mp.exp(
            log_count
            + r_ * mp.log(a_ / (a_ + t_))
            + n_ * mp.log(t_ / (a_ + t_))
            + s_ * mp.log(b_ / (b_ + t_))
        )

        def phi(y):  # type: ignore[no-untyped-def]
            return (
                log_count
                + mp.log(s_)
                + s_ * mp.log(b_)
                + r_ * mp.log(a_)
                + (n_ + 1) * y
                - (r_ + n_) * mp.log(a_ + mp.exp(y))
                - (s_ + 1) * mp.log(b_ + mp.exp(y))
            )

        top = mp.log(t_)
        # phi'(y) = 0  <=>  -(r + s) u^2 + B u + (n + 1) alpha beta = 0
        linear = (n_ + 1) * (a_ + b_) - (r_ + n_) * b_ - (s_ + 1) * a_
        root = (linear + mp.sqrt(linear**2 + 4 * (r_ + s_) * (n_ + 1) * a_ * b_)) / (2 * (r_ + s_))
        middle = min(mp.log(root), top)
        peak = phi(middle)

        def edge(step):  # type: ignore[no-untyped-def]
            inside, outside = middle, middle + step
            while phi(outside) - peak > -90:
                step *= 2
                outside = middle + step
            for _ in range(60):
                half = (inside + outside) / 2
                inside, outside = (half, outside) if phi(half) - peak > -90 else (inside, half)
            return outside

        lo = edge(mp.mpf(-1))
        hi = min(edge(mp.mpf(1)), top) if middle < top else top
        pieces = sorted({middle, *(lo + (hi - lo) * k / 40 for k in range(41))})
        dead = mp.quad(lambda y: mp.exp(phi(y) - peak), pieces)
        return float(alive + mp.exp(peak) * dead)


@pytest.mark.parametrize(
    ("n", "t", "params"),
    [
        # alpha >> beta or beta >> alpha: the series had hit its cap of 200,000 terms (36% and 100% off)
        (0, 1365.8, {"r": 0.0031922, "alpha": 99.052, "s": 52.795, "beta": 0.027303}),
        (8, 10.016, {"r": 0.82227, "alpha": 217.23, "s": 402.03, "beta": 0.14021}),
        (13, 0.015745, {"r": 1.5594, "alpha": 75.764, "s": 959.54, "beta": 0.12686}),
        (0, 774.86, {"r": 35.294, "alpha": 1.1928, "s": 375.51, "beta": 0.0024917}),
        (63, 495.15, {"r": 0.012522, "alpha": 599.95, "s": 63.900, "beta": 0.77190}),
        (2, 39.0, {"r": 0.5, "alpha": 1e3, "s": 0.5, "beta": 1e-3}),
        (2, 39.0, {"r": 0.5, "alpha": 1e-3, "s": 0.5, "beta": 1e3}),
        (500, 1e4, {"r": 1e3, "alpha": 1e3, "s": 1e3, "beta": 1e-3}),
        (0, 1e-3, {"r": 1e-3, "alpha": 1e-3, "s": 1e-3, "beta": 1e3}),
        # the series
        (5, 39.0, CDNOW),
        (30, 300.0, {"r": 2.0, "alpha": 10.0, "s": 3.0, "beta": 30.0}),
    ],
)
def test_probabilities_against_mpmath_when_alpha_and_beta_are_far_apart(
    n: int, t: float, params: dict[str, float]
) -> None:
    got = pn.probability_of_purchases([n], [t], **params)[0]
    assert got == pytest.approx(_mp_probability(n, t, params), rel=1e-12, abs=1e-300)


@given(
    params=st.fixed_dictionaries({k: st.floats(1e-3, 1e3) for k in ("r", "alpha", "s", "beta")}),
    t=st.floats(1e-3, 1e4),
)
@example(params={"r": 0.0031922, "alpha": 99.052, "s": 52.795, "beta": 0.027303}, t=1365.8)
def test_probabilities_of_purchases_are_probabilities_anywhere(
    params: dict[str, float], t: float
) -> None:
    # The purchases in (0, t] are at most those of a customer who never dies, NB(r, alpha / (alpha + t)):
    # so P(X(t) = 0) >= (alpha / (alpha + t))^r, and the probabilities of 0..n add up to at most 1.
    n = np.arange(60)
    probs = pn.probability_of_purchases(n, t, **params)
    assert np.all(probs >= 0)
    assert probs.sum() <= 1 + 1e-12
    r, alpha = params["r"], params["alpha"]
    assert probs[0] >= math.exp(-r * math.log1p(t / alpha)) * (1 - 1e-12)


# --- predictions against simulation ---------------------------------------------------------------------


def test_new_customer_predictions_match_simulation() -> None:
    n, t = 400_000, 39.0
    x, _, _, _, _ = simulate(n, CDNOW, t, seed=11)
    mean = pn.expected_purchases(t, **CDNOW)
    assert abs(x.mean() - mean) < 4 * x.std() / math.sqrt(n)
    probs = pn.probability_of_purchases(np.arange(8), t, **CDNOW)
    observed = np.bincount(x.astype(np.int64), minlength=8)[:8] / n
    np.testing.assert_array_less(np.abs(observed - probs), 4 * np.sqrt(probs * (1 - probs) / n))


def test_conditional_predictions_match_simulation() -> None:
    # Draw (lambda, mu) from the prior, weight each draw by its likelihood of the observed history, draw
    # whether it is alive at T, then run the process forward: a Monte-Carlo estimate of the posterior.
    params = {"r": 0.8, "alpha": 6.0, "s": 0.9, "beta": 12.0}
    x, tx, T, t, delta = 3, 12.0, 30.0, 20.0, 0.02
    n = 400_000
    rng = np.random.default_rng(5)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1 / params["beta"], n)
    rate = lam + mu
    alive_weight = lam**x * np.exp(-rate * T)
    dead_weight = lam**x * mu / rate * (np.exp(-rate * tx) - np.exp(-rate * T))
    total = alive_weight + dead_weight
    weight = total / total.sum()
    alive = rng.random(n) < alive_weight / total
    life = rng.exponential(1 / mu)  # remaining life after T (memoryless)
    bought = np.where(alive, rng.poisson(lam * np.minimum(life, t)), 0)
    still_alive = alive & (life > t)
    # the expected discounted purchases given (lambda, mu), for the ones alive at T
    discounted = np.where(alive, lam / (delta + mu), 0.0)

    def check(values: Array, predicted: float) -> None:
        mean = float(weight @ values)
        se = math.sqrt(float(weight**2 @ (values - mean) ** 2))
        assert abs(mean - predicted) < 4 * se

    cols = ([x], [tx], [T])
    check(alive.astype(float), pn.p_alive(*cols, **params)[0])
    check(still_alive.astype(float), pn.p_alive(*cols, **params, t=t)[0])
    check(bought.astype(float), pn.conditional_expected_purchases(t, *cols, **params)[0])
    check(
        discounted,
        pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=delta)[0],
    )


def test_heavy_buyer_predictions_are_finite_and_consistent() -> None:
    x = np.array([300.0, 2000.0, 5000.0])
    tx = np.array([99.0, 399.5, 50.0])
    T = np.array([100.0, 400.0, 400.0])
    for params in HEAVY_PARAMS:
        alive = pn.p_alive(x, tx, T, **params)
        assert np.all((alive >= 0) & (alive <= 1))
        future = pn.conditional_expected_purchases(52.0, x, tx, T, **params)
        dert = pn.discounted_expected_residual_transactions(
            x, tx, T, **params, discount_rate=0.0027
        )
        assert np.all(np.isfinite(future) & (future >= 0) & np.isfinite(dert) & (dert >= 0))
        # P(alive) is the alive term of the likelihood, C (alpha + T)^-(r+x) (beta + T)^-s, over the
        # whole, here from the quadrature of loglik_by_integral.
        r, alpha, s, beta = params.values()
        log_alive = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * math.log(alpha)
            + s * math.log(beta)
            - (r + x) * np.log(alpha + T)
            - s * np.log(beta + T)
        )
        log_l = [loglik_by_integral(params, *row) for row in zip(x, tx, T, strict=True)]
        np.testing.assert_allclose(alive, np.exp(log_alive - log_l), rtol=1e-9, atol=1e-300)
    # 5000 purchases in 50 weeks, then 350 weeks of silence: gone
    assert pn.p_alive(x, tx, T, **CDNOW)[2] < 1e-100


# --- fitting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "truth",
    [
        {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7},
        {"r": 0.3, "alpha": 5.0, "s": 1.5, "beta": 10.0},
        {"r": 1.2, "alpha": 2.0, "s": 0.4, "beta": 60.0},
    ],
)
def test_parameters_are_recovered_from_simulated_data(truth: dict[str, float]) -> None:
    n = 20_000
    T = np.random.default_rng(3).uniform(20.0, 80.0, n)
    x, tx, age, _, _ = simulate(n, truth, T, seed=4)
    result = fit_likelihood(SPEC, (x, tx, age))
    for value, se, true in zip(result.params, result.standard_errors, truth.values(), strict=True):
        assert abs(value - true) < 3 * se


def test_fits_a_large_simulated_base_without_tuning() -> None:
    # 300,000 customers acquired over a year, observed daily for two years, times in weeks: what
    # rfm_summary would give.
    truth = {"r": 0.4, "alpha": 6.0, "s": 0.8, "beta": 20.0}
    n = 300_000
    T = np.random.default_rng(12).integers(365, 730, n) / 7.0
    x, tx, age, _, _ = simulate(n, truth, T, seed=13)
    tx = np.floor(tx * 7.0) / 7.0
    result = fit_likelihood(SPEC, (x, tx, age))
    assert result.n_rows < n
    for value, se, true in zip(result.params, result.standard_errors, truth.values(), strict=True):
        assert abs(value - true) < 3 * se + 0.002 * true  # the day grid shifts recency by < 1 day


@pytest.fixture(scope="module")
def fitted() -> tuple[Array, tuple[Array, Array, Array]]:
    n = 3000
    x, tx, T, _, _ = simulate(n, CDNOW, np.random.default_rng(8).uniform(10.0, 60.0, n), seed=9)
    return fit_likelihood(SPEC, (x, tx, T)).params, (x, tx, T)


@given(
    st.lists(st.floats(0.5, 2.0), min_size=4, max_size=4).filter(
        lambda f: max(abs(v - 1) for v in f) > 1e-3
    )
)
def test_loglik_at_the_fit_beats_perturbed_parameters(
    fitted: tuple[Array, tuple[Array, Array, Array]], factors: list[float]
) -> None:
    params, data = fitted
    best = total_loglik(SPEC, params, data)
    assert best >= total_loglik(SPEC, params * np.array(factors), data)


def test_starting_values() -> None:
    starts = pn.starts(
        (np.array([1.0, 3.0]), np.array([2.0, 8.0]), np.array([10.0, 10.0])), np.ones(2)
    )
    np.testing.assert_array_equal(starts[0], [1.0, 5.0, 1.0, 10.0])
    np.testing.assert_array_equal(starts[1], starts[0] / 2)
    np.testing.assert_array_equal(starts[2], starts[0] * 2)


# --- properties -----------------------------------------------------------------------------------------

params_strategy = st.fixed_dictionaries(
    {
        "r": st.floats(0.05, 5.0),
        "alpha": st.floats(0.1, 100.0),
        "s": st.floats(0.05, 5.0),
        "beta": st.floats(0.1, 100.0),
    }
)


@given(
    params=params_strategy,
    x=st.integers(0, 500),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.1, 500.0),
    extra=st.floats(0.0, 300.0),
    t=st.floats(0.0, 100.0),
)
def test_p_alive_is_a_probability_that_decays_with_age(
    *, params: dict[str, float], x: int, share: float, T: float, extra: float, t: float
) -> None:
    tx = share * T if x > 0 else 0.0
    now = pn.p_alive([x, x], [tx, tx], [T, T + extra], **params)
    assert np.all((now >= 0) & (now <= 1))
    assert now[1] <= now[0] * (1 + 1e-12)
    later = pn.p_alive([x], [tx], [T], **params, t=t)[0]
    assert 0 <= later <= now[0] * (1 + 1e-12)


@given(params=params_strategy, t1=st.floats(0.0, 500.0), t2=st.floats(0.0, 500.0))
def test_expected_purchases_grow_with_time(params: dict[str, float], t1: float, t2: float) -> None:
    lo, hi = sorted((t1, t2))
    values = pn.expected_purchases([lo, hi], **params)
    assert values[0] >= 0
    assert values[1] >= values[0] * (1 - 1e-12)


@given(
    params=params_strategy,
    x=st.integers(0, 100),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.1, 100.0),
    t1=st.floats(0.0, 100.0),
    t2=st.floats(0.0, 100.0),
)
def test_conditional_expected_purchases_grow_with_time(
    *, params: dict[str, float], x: int, share: float, T: float, t1: float, t2: float
) -> None:
    tx = share * T if x > 0 else 0.0
    lo, hi = sorted((t1, t2))
    values = pn.conditional_expected_purchases(
        np.array([lo, hi]), [x, x], [tx, tx], [T, T], **params
    )
    assert values[0] >= 0
    assert values[1] >= values[0] * (1 - 1e-12)


@given(
    params=params_strategy,
    x=st.integers(0, 100),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.1, 100.0),
    d1=st.floats(1e-6, 1.0),
    d2=st.floats(1e-6, 1.0),
)
# scipy's hyperu returned NaN here (s >= 2, small discount rate), before it was replaced.
@example(
    params={"r": 1.0, "alpha": 1.0, "s": 4.0, "beta": 1.0}, x=0, share=0.0, T=1.0, d1=1.0, d2=1e-6
)
def test_dert_falls_with_the_discount_rate(
    *, params: dict[str, float], x: int, share: float, T: float, d1: float, d2: float
) -> None:
    tx = share * T if x > 0 else 0.0
    lo, hi = sorted((d1, d2))
    cols = ([x], [tx], [T])
    low = pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=lo)[0]
    high = pn.discounted_expected_residual_transactions(*cols, **params, discount_rate=hi)[0]
    assert 0 <= high <= low * (1 + 1e-12)


@pytest.mark.parametrize("s", [1e6, 1e8])
def test_dert_with_a_huge_dropout_shape_takes_no_step_per_unit_of_s(
    s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The recurrence of the scaled U(s, s, z) takes ceil(s) steps: it serves s up to 30 only. With a
    # larger s (a fit may end at 1e8, its bound) it ran ceil(s) steps over no rows: seconds per call.
    steps: list[int] = []
    recurrence = pn._scaled_hyperu_recurrence

    def counted(shape: float, z: NDArray[np.float64]) -> NDArray[np.float64]:
        steps.append(math.ceil(shape))
        return recurrence(shape, z)

    monkeypatch.setattr(pn, "_scaled_hyperu_recurrence", counted)
    params = {"r": 0.55, "alpha": 10.58, "s": s, "beta": 11.67}
    value = pn.discounted_expected_residual_transactions(
        [1.0], [1.0], [2.0], **params, discount_rate=0.01
    )
    assert steps == []
    assert value[0] == 0.0  # dropout rate of mean s / beta: dead long before T, to double precision


@given(
    x=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    ages=st.lists(st.sampled_from([0.5, 3.0, 40.0, 1e5]), min_size=1, max_size=12),
    t=st.sampled_from([0.7, 39.0, 1e4]),
)
def test_shared_pairs_give_each_customer_its_own_value_to_the_bit(
    x: list[int], ages: list[float], t: float
) -> None:
    # The shares of P(alive) are computed once per distinct (x, t_x) and (x, T): each customer's value
    # is the one it has computed alone.
    n = min(len(x), len(ages))
    freq = np.array(x[:n], dtype=float)
    T = np.array(ages[:n])
    tx = np.where(freq > 0, T / 2, 0.0)
    named = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    together = pn.conditional_expected_purchases(t, freq, tx, T, **named)
    alive = pn.p_alive(freq, tx, T, **named)
    for i in range(n):
        one = (freq[i : i + 1], tx[i : i + 1], T[i : i + 1])
        assert together[i] == pn.conditional_expected_purchases(t, *one, **named)[0]
        assert alive[i] == pn.p_alive(*one, **named)[0]
