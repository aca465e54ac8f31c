"""Tests of the BG/NBD and MBG/NBD math (retention.core.clv.beta_geo).

Every closed form is checked against something computed another way: the likelihood and the conditional
predictions against numerical integration of the individual-level model over the mixing distributions,
the predictions against Monte-Carlo simulation of the buying process, the gradient against differences.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import integrate, special

from retention.core.clv import beta_geo as bg
from retention.core.clv.fitting import fit_likelihood, total_loglik

Array = NDArray[np.float64]
MODELS = pytest.mark.parametrize("mbg", [False, True], ids=["BG/NBD", "MBG/NBD"])
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def simulate(
    n: int, params: dict[str, float], T: Array, *, mbg: bool, seed: int
) -> tuple[Array, Array, Array, Array, Array]:
    """The generating process in continuous time: (x, t_x, T) per customer, and (lambda, p)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    purchases = rng.poisson(lam * age)  # events of the purchase process up to T, ignoring dropout
    # The purchase after which the customer drops out: 1, 2, ... (BG/NBD); 0 = the first one (MBG/NBD).
    death = rng.geometric(p) - (1 if mbg else 0)
    x = np.minimum(purchases, death)
    tx = np.zeros(n)
    some = x > 0
    # The x-th of `purchases` uniform event times in (0, T] is T times a Beta(x, purchases - x + 1).
    tx[some] = age[some] * rng.beta(x[some], purchases[some] - x[some] + 1)
    return x.astype(float), tx, age, lam, p


def individual_likelihood(
    lam: float, p: float, x: float, tx: float, T: float, *, mbg: bool
) -> tuple[float, float]:
    """L(x, t_x, T | lambda, p) split into (alive at T, dropped out after the last purchase)."""
    s = 1 if mbg else 0
    alive = (1 - p) ** (x + s) * lam**x * math.exp(-lam * T)
    dead = p * (1 - p) ** (x + s - 1) * lam**x * math.exp(-lam * tx) if x + s > 0 else 0.0
    return alive, dead


def mix(func, r: float, alpha: float, a: float, b: float) -> float:  # type: ignore[no-untyped-def]
    """E[func(lambda, p)] over Gamma(r, alpha) x Beta(a, b) by 2-D quadrature.

    The substitutions lambda = v ** (1/r), p = q ** (1/a) remove the singularities of the densities at 0.
    """

    def integrand(q: float, v: float) -> float:
        lam = v ** (1 / r)
        p = q ** (1 / a)
        return float(func(lam, p) * math.exp(-alpha * lam) * (1 - p) ** (b - 1))

    value, _ = integrate.dblquad(integrand, 0, np.inf, 0, 1, epsabs=1e-13, epsrel=1e-10)
    return value * alpha**r / (special.gamma(r) * r) / (a * special.beta(a, b))


ROWS = [(0.0, 0.0, 10.0), (3.0, 7.5, 10.0), (1.0, 0.5, 40.0)]
PARAM_SETS = [
    {"r": 1.3, "alpha": 3.0, "a": 1.5, "b": 2.5},
    {"r": 0.6, "alpha": 8.0, "a": 0.8, "b": 1.6},
]


# --- likelihood ------------------------------------------------------------------------------------


@MODELS
@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize("row", ROWS)
def test_loglik_equals_integral_of_individual_likelihood(
    mbg: bool, params: dict[str, float], row: tuple[float, float, float]
) -> None:
    x, tx, T = row
    expected = mix(lambda lam, p: sum(individual_likelihood(lam, p, x, tx, T, mbg=mbg)), **params)
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    got = spec.evaluate(list(params.values()), ([x], [tx], [T]))[0]
    assert got == pytest.approx(math.log(expected), rel=1e-8)


def test_loglik_by_hand() -> None:
    # FHL 2005 eq. 6 for x=2, t_x=30.43, T=38.86 at the CDNOW estimates, term by term.
    r, alpha, a, b = CDNOW.values()
    x, tx, T = 2, 30.43, 38.86
    common = special.gamma(r + x) * alpha**r / special.gamma(r)
    first = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + T) ** (r + x)
    second = special.beta(a + 1, b + x - 1) / special.beta(a, b) * common / (alpha + tx) ** (r + x)
    got = bg.BETA_GEO.evaluate([r, alpha, a, b], ([x], [tx], [T]))[0]
    assert got == pytest.approx(math.log(first + second), rel=1e-13)


@MODELS
def test_customer_seen_only_at_the_end_adds_nothing(mbg: bool) -> None:
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    got = spec.evaluate(list(CDNOW.values()), ([0.0], [0.0], [0.0]))
    assert got[0] == pytest.approx(0.0, abs=1e-15)


@MODELS
@given(
    params=st.tuples(
        st.floats(0.05, 5.0), st.floats(0.1, 50.0), st.floats(0.05, 5.0), st.floats(0.05, 5.0)
    ),
    x=st.integers(0, 40),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 200.0),
)
def test_gradient_matches_differences(
    mbg: bool, params: tuple[float, float, float, float], x: int, share: float, T: float
) -> None:
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    tx = share * T if x > 0 else 0.0
    data = spec.prepare((np.array([float(x)]), np.array([tx]), np.array([T])))
    theta = np.array(params)
    _, grad = bg.loglik_and_gradient(theta, data, dropout_at_start=mbg)
    for j in range(4):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric = (
            bg.loglik(up, data, dropout_at_start=mbg) - bg.loglik(down, data, dropout_at_start=mbg)
        ) / (2 * h)
        assert grad[j, 0] * theta[j] == pytest.approx(numeric[0] * theta[j], rel=1e-5, abs=1e-6)


@MODELS
def test_heavy_buyers_stay_finite(mbg: bool) -> None:
    x = np.array([300.0, 2000.0, 5000.0])
    tx = np.array([99.0, 199.5, 50.0])
    T = np.array([100.0, 200.0, 400.0])
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    ll = spec.evaluate(list(CDNOW.values()), (x, tx, T))
    assert np.all(np.isfinite(ll))
    _, grad = bg.loglik_and_gradient(
        np.array(list(CDNOW.values())), spec.prepare((x, tx, T)), dropout_at_start=mbg
    )
    assert np.all(np.isfinite(grad))
    alive = bg.p_alive(x, tx, T, **CDNOW, dropout_at_start=mbg)
    assert np.all((alive >= 0) & (alive <= 1))
    assert alive[2] < 1e-100  # 5000 purchases, then silence for 350 time units: certainly gone
    future = bg.conditional_expected_purchases(10.0, x, tx, T, **CDNOW, dropout_at_start=mbg)
    assert np.all(np.isfinite(future))
    assert np.all(future >= 0)


# --- predictions against integration -----------------------------------------------------------------


def _mean_purchases_by_quadrature(
    r: float, alpha: float, a: float, b: float, t: float, *, mbg: bool
) -> float:
    """E[(1 - p)^s / p * (1 - E[e^{-lambda p t}])] over p ~ Beta(a, b), with the gamma Laplace transform."""
    s = 1 if mbg else 0

    def integrand(p: float) -> float:
        # (1 - (1 + p t / alpha) ** -r) / p, written to stay accurate for small p.
        per_p = -math.expm1(-r * math.log1p(p * t / alpha)) / p
        return (1 - p) ** s * per_p * p ** (a - 1) * (1 - p) ** (b - 1) / special.beta(a, b)

    value, _ = integrate.quad(integrand, 0, 1, epsabs=1e-13, epsrel=1e-11, limit=200)
    return value


EXPECTATION_CASES = [
    (0.243, 4.414, 0.793, 2.426),
    (1.5, 2.0, 2.5, 3.0),
    (0.5, 10.0, 1.0, 2.0),  # a = 1: the closed form is 0/0
    (0.5, 10.0, 1.00005, 2.0),  # inside the interpolated gap
    (0.5, 10.0, 0.9999, 2.0),  # on its edge
    (0.7, 3.0, 1.2, 1.8),  # a + b ... fine; the next one has a + b = 1
    (0.7, 3.0, 1.5, 1.5),
]


@MODELS
@pytest.mark.parametrize("params", EXPECTATION_CASES)
@pytest.mark.parametrize("t", [0.5, 20.0, 300.0])
def test_expected_purchases_equals_integral(
    mbg: bool, params: tuple[float, float, float, float], t: float
) -> None:
    r, alpha, a, b = params
    expected = _mean_purchases_by_quadrature(r, alpha, a, b, t, mbg=mbg)
    got = bg.expected_purchases(t, r=r, alpha=alpha, a=a, b=b, dropout_at_start=mbg)
    assert got == pytest.approx(expected, rel=1e-7)


@MODELS
@given(
    params=st.tuples(
        st.floats(0.05, 5.0), st.floats(0.5, 50.0), st.floats(0.05, 5.0), st.floats(0.05, 5.0)
    ),
    # Not subnormal times: quad cannot integrate values of order 1e-310 to 12 digits.
    t=st.one_of(st.just(0.0), st.floats(1e-9, 200.0)),
)
def test_expected_purchases_equal_integral_anywhere(
    mbg: bool, params: tuple[float, float, float, float], t: float
) -> None:
    r, alpha, a, b = params
    s = 1 if mbg else 0

    def smooth_part(p: float) -> float:
        return (
            (1 - p) ** s * -math.expm1(-r * math.log1p(p * t / alpha)) / p
            if p > 0
            else r * t / alpha
        )

    # quad's algebraic weight takes the Beta density's singular factors p^(a-1) and (1-p)^(b-1), one on
    # each side of the split at the scale alpha / t where the integrand bends.
    split = min(0.5, max(alpha / max(t, 1e-300), 1e-6))
    left, _ = integrate.quad(
        lambda p: smooth_part(p) * (1 - p) ** (b - 1),
        0,
        split,
        weight="alg",
        wvar=(a - 1, 0),
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    right, _ = integrate.quad(
        lambda p: smooth_part(p) * p ** (a - 1),
        split,
        1,
        weight="alg",
        wvar=(0, b - 1),
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    expected = (left + right) / special.beta(a, b)
    got = bg.expected_purchases(t, r=r, alpha=alpha, a=a, b=b, dropout_at_start=mbg)
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-300)


def _beta_mean(func, a: float, b: float, scale: float) -> float:  # type: ignore[no-untyped-def]
    """E[func(p)] for p ~ Beta(a, b) by quadrature, split at ``scale`` where func bends."""
    split = min(0.5, max(scale, 1e-6))
    left, _ = integrate.quad(
        lambda p: func(p) * (1 - p) ** (b - 1),
        0,
        split,
        weight="alg",
        wvar=(a - 1, 0),
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    right, _ = integrate.quad(
        lambda p: func(p) * p ** (a - 1),
        split,
        1,
        weight="alg",
        wvar=(0, b - 1),
        epsabs=0,
        epsrel=1e-12,
        limit=200,
    )
    return (left + right) / special.beta(a, b)


@MODELS
@given(
    params=st.tuples(
        st.floats(0.05, 5.0), st.floats(0.5, 50.0), st.floats(0.05, 5.0), st.floats(0.05, 5.0)
    ),
    x=st.integers(0, 60),
    T=st.floats(0.5, 100.0),
    t=st.floats(1e-6, 200.0),
)
def test_conditional_predictions_equal_integrals_anywhere(
    mbg: bool, *, params: tuple[float, float, float, float], x: int, T: float, t: float
) -> None:
    # With t_x = T, P(alive at T) = 1 / (1 + [y > 0] a / (b + y - 1)) by eq. 12; given alive,
    # lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + y), so the predictions are 1-D integrals over p.
    r, alpha, a, b = params
    y = x + (1 if mbg else 0)
    alive = 1 / (1 + a / (b + y - 1)) if y > 0 else 1.0
    shape, rate = r + x, alpha + T
    purchases = _beta_mean(
        lambda p: -math.expm1(-shape * math.log1p(p * t / rate)) / p if p > 0 else shape * t / rate,
        a,
        b + y,
        rate / t,
    )
    surviving = _beta_mean(
        lambda p: math.exp(-shape * math.log1p(p * t / rate)), a, b + y, rate / t
    )
    named = {"r": r, "alpha": alpha, "a": a, "b": b}
    got_alive = bg.p_alive([x], [T], [T], **named, dropout_at_start=mbg)[0]
    assert got_alive == pytest.approx(alive, rel=1e-12)
    got = bg.conditional_expected_purchases(t, [x], [T], [T], **named, dropout_at_start=mbg)[0]
    assert got == pytest.approx(alive * purchases, rel=1e-7)
    later = bg.p_alive([x], [T], [T], **named, t=t, dropout_at_start=mbg)[0]
    assert later == pytest.approx(alive * surviving, rel=1e-7)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (0.3, 0.7), (0.25, 0.75)])
def test_expected_purchases_when_a_plus_b_is_one(a: float, b: float) -> None:
    # The BG/NBD closed form has the hypergeometric parameter c = a + b - 1 = 0 here.
    expected = _mean_purchases_by_quadrature(0.8, 5.0, a, b, 12.0, mbg=False)
    got = bg.expected_purchases(12.0, r=0.8, alpha=5.0, a=a, b=b)
    assert got == pytest.approx(expected, rel=1e-7)


# --- predictions against mpmath where SciPy's hyp2f1 fails -----------------------------------------------

# (r, alpha, a, b, x, T, t): parameters in [1e-3, 1e3], up to 1000 purchases, T and t up to 1e4. The first
# ones came from a scan of that range, where the closed forms through scipy.special.hyp2f1 gave NaN, inf or
# wrong values (up to 1e-8 relative even with small parameters, close to whole-number c - a - b).
WIDE_CASES = [
    (2.925, 4.106, 595.03, 0.0027139, 0.0, 0.52056, 12.4417),  # was NaN
    (962.19, 767.38, 12.979, 7.9938, 13.0, 65.937, 112.31),  # E[X(t)] was -7.9e23, E[Y(t)] negative
    (0.010932, 3.2981, 562.93, 19.910, 31.0, 26.329, 446.86),  # was NaN
    (0.10653, 0.22372, 219.61, 0.023065, 0.0, 23.031, 673.77),  # was NaN
    (0.0012, 388.52, 0.0844, 114.10, 151.0, 5414.3, 2.7862),  # small r: 1e-11 lost to cancellation
    (0.2, 1.0, 1.2, 0.0022, 0.0, 0.001, 7e6),  # r + x - a whole, t / (alpha + T) large: 1e-8
    (1.0, 1.0, 1.0, 1.0, 5.0, 10.0, 1e4),  # whole-number parameters: every closed form singular
    (0.5, 10.0, 1.0, 2.0, 0.0, 1e4, 1e4),  # a = 1
    (0.3, 2.0, 0.4, 0.6, 0.0, 5.0, 300.0),  # a + b = 1
    (0.243, 4.414, 0.793, 2.426, 0.0, 38.86, 1e4),  # CDNOW, a long horizon
    (0.243, 4.414, 0.793, 2.426, 30.0, 38.86, 39.0),
    (3.0, 0.01, 0.05, 800.0, 1000.0, 1e4, 1e4),  # a heavy buyer
    (1e3, 1e-3, 1e3, 1e3, 1000.0, 1e-3, 1e4),
    (1e-3, 1e3, 1e-3, 1e-3, 0.0, 1e-3, 1e-3),
    (1e-3, 1e-3, 1e3, 1e-3, 1000.0, 1e4, 1.0),
    (50.0, 0.5, 1e-3, 1e3, 7.0, 0.2, 300.0),
    (1e3, 1e3, 0.5, 1e-3, 0.0, 1e4, 1e4),
    (0.7, 0.05, 30.0, 0.2, 20.0, 3.0, 2.0),
    (5.0, 100.0, 900.0, 3.0, 500.0, 100.0, 300.0),
]


def _mp_series(R: float, a: float, B: float, u: float, *, mean: bool) -> float:
    """G = E[(1 + p u)^-R] or M = E[(1 - (1 + p u)^-R) / p], p ~ Beta(a, B), by a series of positive terms.

    The purchases N of a customer who never drops out are NB(R, 1 / (1 + u)); the k-th is made if the
    customer survived k - 1, with probability (B)_{k-1} / (a + B)_{k-1}; so G = sum_k P(N = k) S_k and
    M = sum_k P(N = k) sum_{j < k} S_j. At 30 digits, where it needs fewer than about 10^4 terms.
    """
    mp = pytest.importorskip("mpmath")
    with mp.workdps(30):
        rr, aa, bb, uu = (mp.mpf(v) for v in (R, a, B, u))
        z = uu / (1 + uu)
        count, survive, made = mp.mpf(1), mp.mpf(1), mp.mpf(0)
        total = mp.mpf(0) if mean else mp.mpf(1)
        k = 0
        while True:
            made += survive
            count *= (rr + k) * z / (k + 1)
            survive *= (bb + k) / (aa + bb + k)
            k += 1
            term = count * (made if mean else survive)
            total += term
            if k > rr * z / (1 - z) + 10 and term < total * mp.mpf(10) ** -28:
                return float(total * (1 + uu) ** -rr)


def _mp_survival(R: float, a: float, B: float, u: float) -> float:
    """E[(1 + p u)^-R] over p ~ Beta(a, B) = 2F1(R, a; a + B; -u).

    By the series where it is short: mpmath's hyp2f1 is off by orders of magnitude at some arguments
    (3e67 instead of 0.9988 at R = 0.001, a = 900, B = 2000, u = 8).
    """
    if R * u <= 5000 and u <= 1000:
        return _mp_series(R, a, B, u, mean=False)
    mp = pytest.importorskip("mpmath")
    with mp.workdps(50):
        return float(mp.hyp2f1(R, a, a + B, -u))


def _mp_mean(R: float, a: float, B: float, u: float) -> float:
    """E[(1 - (1 + p u)^-R) / p] over p ~ Beta(a, B) = (a + B - 1) / (a - 1) [1 - 2F1(R, a - 1; a + B - 1; -u)].

    By the series where it is short; at a = 1 or a + B = 1, where the closed form is 0/0,
    R u 3F2(1, R + 1, a; 2, a + B; -u).
    """
    if R * u <= 5000 and u <= 1000:
        return _mp_series(R, a, B, u, mean=True)
    mp = pytest.importorskip("mpmath")
    with mp.workdps(50):
        if a == 1.0 or a + B == 1.0:
            return float(R * u * mp.hyp3f2(1, R + 1, a, 2, a + B, -u))
        aa = mp.mpf(a)
        return float((aa + B - 1) / (aa - 1) * (1 - mp.hyp2f1(R, aa - 1, aa + B - 1, -u)))


@pytest.mark.filterwarnings("error")  # no overflow on the way
@pytest.mark.parametrize(
    ("r", "alpha", "a", "b", "t"),
    [
        (1000.0, 1e-3, 5.0, 3.0, 1e300),
        (1000.0, 1e-8, 1e8, 1.0, 1e300),  # was NaN: (r + x) t / alpha is beyond floats
        (2000.0, 1e-5, 0.5, 2.0, 1e300),
        (1500.0, 1e-4, 2.0, 0.5, 1e250),
    ],
)
def test_expected_purchases_where_r_t_over_alpha_is_beyond_floats(
    r: float, alpha: float, a: float, b: float, t: float
) -> None:
    expected = _mp_mean(r, a, b, t / alpha)
    assert bg.expected_purchases(t, r=r, alpha=alpha, a=a, b=b) == pytest.approx(
        expected, rel=1e-12
    )


@pytest.mark.filterwarnings("error")  # no overflow on the way
@pytest.mark.parametrize("b", [2.426, 5e4])  # the connection formula; b beyond it: quadrature
@pytest.mark.parametrize("t", [1e30, 1e100, 1e300])
@pytest.mark.parametrize(("x", "T"), [(0.0, 5.0), (30.0, 38.86)])
def test_horizons_far_beyond_the_data_against_mpmath(
    b: float, t: float, x: float, T: float
) -> None:
    r, alpha, a = 0.243, 4.414, 0.793
    named = {"r": r, "alpha": alpha, "a": a, "b": b}
    alive = 1 / (1 + a / (b + x - 1)) if x > 0 else 1.0
    u = t / (alpha + T)
    later = bg.p_alive([x], [T], [T], **named, t=t)[0]
    assert later == pytest.approx(alive * _mp_survival(r + x, a, b + x, u), rel=1e-12)
    future = bg.conditional_expected_purchases(t, [x], [T], [T], **named)[0]
    assert future == pytest.approx(alive * _mp_mean(r + x, a, b + x, u), rel=1e-12)


@pytest.mark.parametrize(("x", "T", "t"), [(3.0, 2.0, 26.0), (0.0, 0.5, 26.0), (1.0, 1.7, 100.0)])
def test_huge_a_and_b_by_quadrature_to_their_rounding(
    x: float, T: float, t: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fit that drifts towards a fixed dropout probability (a and b in the tens of millions, 7 customers
    # over 17 days): the integrand's exponent holds terms of that size, so it is rounded to about
    # (a + b) ulps and the quadrature stops once two levels agree to that, not at its last level (which
    # took a forecast's 1000 draws 30 s). As accurate as mpmath to that rounding.
    r, alpha, a, b = 2.17, 0.516, 1.2569e7, 1.85e7
    levels: list[int] = []
    trapezoid = bg.log_trapezoid

    def counted(f: Any, lo: Any, hi: Any, **options: Any) -> Any:
        calls = [0]

        def counting(w: Any, rows: Any) -> Any:
            calls[0] += 1
            return f(w, rows)

        out = trapezoid(counting, lo, hi, **options)
        levels.append(calls[0] - 1)
        return out

    monkeypatch.setattr(bg, "log_trapezoid", counted)
    named = {"r": r, "alpha": alpha, "a": a, "b": b}
    alive = 1 / (1 + a / (b + x - 1)) if x > 0 else 1.0
    u = t / (alpha + T)
    rounding = 2.0 * np.finfo(float).eps * (a + b + r + x)
    later = bg.p_alive([x], [T], [T], **named, t=t)[0]
    assert later == pytest.approx(alive * _mp_survival(r + x, a, b + x, u), rel=rounding)
    future = bg.conditional_expected_purchases(t, [x], [T], [T], **named)[0]
    assert future == pytest.approx(alive * _mp_mean(r + x, a, b + x, u), rel=rounding)
    assert levels  # by quadrature
    assert max(levels) <= 4  # halvings of the step, of at most bg._QUAD_LEVELS (10)


@MODELS
@pytest.mark.parametrize("case", WIDE_CASES)
def test_predictions_against_mpmath_on_a_wide_range(mbg: bool, case: tuple[float, ...]) -> None:
    # With t_x = T, P(alive at T) = 1 / (1 + [y > 0] a / (b + y - 1)); given alive, the look-ahead and the
    # expected purchases are expectations over p ~ Beta(a, b + y) with lambda integrated out.
    r, alpha, a, b, x, T, t = case
    named = {"r": r, "alpha": alpha, "a": a, "b": b, "dropout_at_start": mbg}
    s = 1.0 if mbg else 0.0
    y = x + s
    alive = 1 / (1 + a / (b + y - 1)) if y > 0 else 1.0
    u = t / (alpha + T)
    later = bg.p_alive([x], [T], [T], **named, t=t)[0]
    assert later == pytest.approx(alive * _mp_survival(r + x, a, b + y, u), rel=1e-12, abs=1e-300)
    future = bg.conditional_expected_purchases(t, [x], [T], [T], **named)[0]
    assert future == pytest.approx(alive * _mp_mean(r + x, a, b + y, u), rel=1e-12, abs=1e-300)
    new = bg.expected_purchases(t, **named)
    expected = _mp_mean(r, a, b + s, t / alpha) * (b / (a + b) if mbg else 1.0)
    assert new == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_posterior_expectations_against_mpmath_on_a_grid() -> None:
    # Every method of _posterior_expectation (series, connection formula, quadrature), over a grid of
    # shapes R = r + x, a, B = b + y and horizons u = t / (alpha + T) from 1e-6 to 1e7 (without R u above
    # 5000 at u below 1000, where mpmath takes seconds; WIDE_CASES has such cases).
    pytest.importorskip("mpmath")
    grid = np.array(
        list(
            itertools.product(
                [1e-3, 0.3, 40.0, 1500.0],
                [1e-3, 0.8, 1.0, 7.0, 900.0],
                [1e-3, 0.6, 2000.0],
                [1e-6, 0.7, 8.0, 1e7],
            )
        )
    )
    grid = grid[(grid[:, 0] * grid[:, 3] <= 5000) | (grid[:, 3] > 1000)]
    for a in np.unique(grid[:, 1]):
        rows = grid[grid[:, 1] == a]
        R, B, u = rows[:, 0], rows[:, 2], rows[:, 3]
        log_g = bg._posterior_expectation(R, float(a), B, u, mean=False)
        mean = bg._posterior_expectation(R, float(a), B, u, mean=True)
        for i in range(len(rows)):
            expected_g = _mp_survival(R[i], a, B[i], u[i])
            assert math.exp(log_g[i]) == pytest.approx(expected_g, rel=1e-12, abs=1e-300), rows[i]
            expected_m = _mp_mean(R[i], a, B[i], u[i])
            assert mean[i] == pytest.approx(expected_m, rel=1e-12, abs=1e-300), rows[i]


wide_params = st.fixed_dictionaries({k: st.floats(1e-3, 1e3) for k in ("r", "alpha", "a", "b")})


@MODELS
@given(
    params=wide_params,
    x=st.integers(0, 1000),
    share=st.floats(0.0, 1.0),
    T=st.floats(1e-3, 1e4),
    t=st.one_of(
        st.just(0.0), st.floats(1e-200, 1e4)
    ),  # no subnormal results: the bounds are relative
)
@example(
    params={"r": 2.925, "alpha": 4.106, "a": 595.03, "b": 0.0027139},
    x=0,
    share=0.0,
    T=0.52056,
    t=12.4417,
)  # NaN from scipy's hyp2f1
@example(
    params={"r": 962.19, "alpha": 767.38, "a": 12.979, "b": 7.9938},
    x=13,
    share=0.135,
    T=65.937,
    t=112.31,
)  # E[X(t)] was -7.9e23
def test_predictions_are_finite_and_in_range_anywhere(
    mbg: bool, *, params: dict[str, float], x: int, share: float, T: float, t: float
) -> None:
    tx = share * T if x > 0 else 0.0
    r, alpha = params["r"], params["alpha"]
    now = bg.p_alive([x], [tx], [T], **params, dropout_at_start=mbg)[0]
    later = bg.p_alive([x], [tx], [T], **params, t=t, dropout_at_start=mbg)[0]
    assert 0 <= later <= now * (1 + 1e-12)
    # (1 - (1 + p u)^-R) / p <= R u: at most the purchases of a customer who never drops out
    future = bg.conditional_expected_purchases(t, [x], [tx], [T], **params, dropout_at_start=mbg)[0]
    assert 0 <= future <= now * (r + x) * t / (alpha + T) * (1 + 1e-12)
    new = bg.expected_purchases(t, **params, dropout_at_start=mbg)
    assert 0 <= new <= r * t / alpha * (1 + 1e-12)


@MODELS
@pytest.mark.parametrize(
    ("params", "n", "t"),
    [
        # P(X(0) = 0) of the MBG/NBD was 1 + 1.8e-12: the beta ratios b / (a + b) and a / (a + b) from
        # differences of betaln values
        ({"r": 0.0016683, "alpha": 283.52, "a": 558.14, "b": 814.72}, 0, 0.0),
        ({"r": 431.14, "alpha": 64.575, "a": 1.1563, "b": 691.12}, 0, 0.0),
        # I_q(n, r) with q = t / (alpha + t) close to 1: 2e-11 lost in 1 - q
        ({"r": 0.0024962, "alpha": 0.0017756, "a": 2.0720, "b": 0.012677}, 1, 6233.7),
        ({"r": 0.015778, "alpha": 0.0016086, "a": 835.99, "b": 80.231}, 4, 256.04),
        ({"r": 1e3, "alpha": 1e-3, "a": 1e-3, "b": 1e3}, 700, 1e4),
        (CDNOW, 3, 39.0),
    ],
)
def test_probability_of_purchases_against_mpmath(
    mbg: bool, params: dict[str, float], n: int, t: float
) -> None:
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        r, alpha, a, b = (mp.mpf(params[k]) for k in ("r", "alpha", "a", "b"))
        y = n + (1 if mbg else 0)
        q = t / (alpha + t)
        nb = mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)) * (1 - q) ** r * q**n
        reached = mp.betainc(n, r, 0, q, regularized=True) if n > 0 else 1
        expected = mp.beta(a, b + y) / mp.beta(a, b) * nb
        if y > 0:
            expected += mp.beta(a + 1, b + y - 1) / mp.beta(a, b) * reached
    got = bg.probability_of_purchases([n], t, **params, dropout_at_start=mbg)[0]
    assert got == pytest.approx(float(expected), rel=1e-13, abs=1e-300)
    assert got <= 1.0


CONDITIONAL_CASES = [
    ({"r": 1.3, "alpha": 3.0, "a": 1.5, "b": 2.5}, (3.0, 7.5, 10.0), 6.0),
    ({"r": 0.6, "alpha": 8.0, "a": 0.8, "b": 1.6}, (1.0, 0.5, 40.0), 25.0),
    ({"r": 0.6, "alpha": 8.0, "a": 0.8, "b": 1.6}, (0.0, 0.0, 20.0), 25.0),
]


@MODELS
@pytest.mark.parametrize(("params", "row", "t"), CONDITIONAL_CASES)
def test_conditional_predictions_equal_posterior_integrals(
    mbg: bool, params: dict[str, float], row: tuple[float, float, float], t: float
) -> None:
    x, tx, T = row
    s = 1 if mbg else 0
    evidence = mix(lambda lam, p: sum(individual_likelihood(lam, p, x, tx, T, mbg=mbg)), **params)

    def alive_then(func):  # type: ignore[no-untyped-def]
        return mix(
            lambda lam, p: individual_likelihood(lam, p, x, tx, T, mbg=mbg)[0] * func(lam, p),
            **params,
        )

    p_alive_now = alive_then(lambda lam, p: 1.0) / evidence
    # Alive at T + t: no dropout among the purchases in (T, T + t], a Poisson stream of rate lambda p.
    p_alive_later = alive_then(lambda lam, p: math.exp(-lam * p * t)) / evidence
    # Expected purchases while alive, each ending life with probability p: (1 - e^{-lambda p t}) / p.
    purchases = alive_then(lambda lam, p: -math.expm1(-lam * p * t) / p) / evidence
    got = bg.p_alive([x], [tx], [T], **params, dropout_at_start=mbg)[0]
    assert got == pytest.approx(p_alive_now, rel=1e-7)
    later = bg.p_alive([x], [tx], [T], **params, t=t, dropout_at_start=mbg)[0]
    assert later == pytest.approx(p_alive_later, rel=1e-7)
    expected = bg.conditional_expected_purchases(t, [x], [tx], [T], **params, dropout_at_start=mbg)[
        0
    ]
    assert expected == pytest.approx(purchases, rel=1e-7)
    del s


# --- predictions against simulation -------------------------------------------------------------------


@MODELS
def test_new_customer_predictions_match_simulation(mbg: bool) -> None:
    n, t = 400_000, 39.0
    x, _, _, _, _ = simulate(n, CDNOW, np.full(n, t), mbg=mbg, seed=11)
    mean = bg.expected_purchases(t, **CDNOW, dropout_at_start=mbg)
    assert abs(x.mean() - mean) < 4 * x.std() / math.sqrt(n)
    probs = bg.probability_of_purchases(np.arange(6), t, **CDNOW, dropout_at_start=mbg)
    observed = np.bincount(x.astype(np.int64), minlength=6)[:6] / n
    np.testing.assert_array_less(np.abs(observed - probs), 4 * np.sqrt(probs * (1 - probs) / n))


@MODELS
def test_conditional_predictions_match_simulation(mbg: bool) -> None:
    # Draw (lambda, p) from the prior, weight each draw by its likelihood of the observed history, then run
    # the buying process forward from T: a Monte-Carlo estimate of the posterior predictions.
    params = {"r": 0.8, "alpha": 6.0, "a": 0.9, "b": 2.0}
    x, tx, T, t = 2, 12.0, 30.0, 20.0
    n = 400_000
    rng = np.random.default_rng(5)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    s = 1 if mbg else 0
    alive_weight = (1 - p) ** (x + s) * lam**x * np.exp(-lam * T)
    dead_weight = p * (1 - p) ** (x + s - 1) * lam**x * np.exp(-lam * tx)
    alive = rng.random(n) < alive_weight / (alive_weight + dead_weight)
    weight = (alive_weight + dead_weight) / (alive_weight + dead_weight).sum()
    future = rng.poisson(lam * t)
    death = rng.geometric(p)  # the purchase after T that ends the customer
    bought = np.where(alive, np.minimum(future, death), 0)
    still_alive = alive & (future < death)

    def check(values: Array, predicted: float) -> None:
        mean = float(weight @ values)
        se = math.sqrt(float(weight**2 @ (values - mean) ** 2))
        assert abs(mean - predicted) < 4 * se

    check(alive.astype(float), bg.p_alive([x], [tx], [T], **params, dropout_at_start=mbg)[0])
    check(
        still_alive.astype(float),
        bg.p_alive([x], [tx], [T], **params, t=t, dropout_at_start=mbg)[0],
    )
    check(
        bought.astype(float),
        bg.conditional_expected_purchases(t, [x], [tx], [T], **params, dropout_at_start=mbg)[0],
    )


# --- fitting -----------------------------------------------------------------------------------------


@MODELS
def test_parameters_are_recovered_from_simulated_data(mbg: bool) -> None:
    truth = {"r": 0.4, "alpha": 5.0, "a": 0.9, "b": 3.0}
    n = 20_000
    T = np.random.default_rng(3).uniform(20.0, 80.0, n)
    x, tx, age, _, _ = simulate(n, truth, T, mbg=mbg, seed=4)
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    result = fit_likelihood(spec, (x, tx, age))
    for value, se, true in zip(result.params, result.standard_errors, truth.values(), strict=True):
        assert abs(value - true) < 3 * se


@pytest.fixture(scope="module")
def fitted() -> tuple[Array, tuple[Array, Array, Array]]:
    n = 3000
    x, tx, T, _, _ = simulate(
        n, CDNOW, np.random.default_rng(8).uniform(10.0, 60.0, n), mbg=False, seed=9
    )
    return fit_likelihood(bg.BETA_GEO, (x, tx, T)).params, (x, tx, T)


@given(
    st.lists(st.floats(0.5, 2.0), min_size=4, max_size=4).filter(
        lambda f: max(abs(v - 1) for v in f) > 1e-3
    )
)
def test_loglik_at_the_fit_beats_perturbed_parameters(
    fitted: tuple[Array, tuple[Array, Array, Array]], factors: list[float]
) -> None:
    params, data = fitted
    best = total_loglik(bg.BETA_GEO, params, data)
    assert best >= total_loglik(bg.BETA_GEO, params * np.array(factors), data)


# --- properties ---------------------------------------------------------------------------------------

params_strategy = st.fixed_dictionaries(
    {
        "r": st.floats(0.05, 5.0),
        "alpha": st.floats(0.1, 50.0),
        "a": st.floats(0.05, 5.0),
        "b": st.floats(0.05, 5.0),
    }
)


@MODELS
@given(
    params=params_strategy,
    x=st.integers(0, 50),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.1, 300.0),
    extra=st.floats(0.0, 300.0),
    t=st.floats(0.0, 100.0),
)
def test_p_alive_is_a_probability_that_decays_with_age(
    mbg: bool, *, params: dict[str, float], x: int, share: float, T: float, extra: float, t: float
) -> None:
    tx = share * T if x > 0 else 0.0
    now = bg.p_alive([x, x], [tx, tx], [T, T + extra], **params, dropout_at_start=mbg)
    assert np.all((now >= 0) & (now <= 1))
    assert now[1] <= now[0] * (1 + 1e-12)
    later = bg.p_alive([x], [tx], [T], **params, t=t, dropout_at_start=mbg)[0]
    assert 0 <= later <= now[0] * (1 + 1e-10)


@MODELS
@given(params=params_strategy, t1=st.floats(0.0, 200.0), t2=st.floats(0.0, 200.0))
def test_expected_purchases_grow_with_time(
    mbg: bool, params: dict[str, float], t1: float, t2: float
) -> None:
    lo, hi = sorted((t1, t2))
    values = bg.expected_purchases([lo, hi], **params, dropout_at_start=mbg)
    assert values[0] >= 0
    assert values[1] >= values[0] * (1 - 1e-9) - 1e-12


@MODELS
@given(
    params=params_strategy,
    x=st.integers(0, 30),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.1, 100.0),
    t1=st.floats(0.0, 100.0),
    t2=st.floats(0.0, 100.0),
)
def test_conditional_expected_purchases_grow_with_time(
    mbg: bool, *, params: dict[str, float], x: int, share: float, T: float, t1: float, t2: float
) -> None:
    tx = share * T if x > 0 else 0.0
    lo, hi = sorted((t1, t2))
    values = bg.conditional_expected_purchases(
        np.array([lo, hi]), [x, x], [tx, tx], [T, T], **params, dropout_at_start=mbg
    )
    assert values[0] >= 0
    assert values[1] >= values[0] * (1 - 1e-9) - 1e-12


@MODELS
@given(
    params=st.fixed_dictionaries(
        {
            "r": st.floats(0.1, 3.0),
            "alpha": st.floats(1.0, 20.0),
            "a": st.floats(0.2, 5.0),
            "b": st.floats(0.2, 5.0),
        }
    ),
    t=st.floats(0.0, 50.0),
)
def test_probabilities_of_purchases_sum_to_one_with_the_expected_mean(
    mbg: bool, params: dict[str, float], t: float
) -> None:
    n = np.arange(5000)
    probs = bg.probability_of_purchases(n, t, **params, dropout_at_start=mbg)
    assert np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    mean = bg.expected_purchases(t, **params, dropout_at_start=mbg)
    assert float(n @ probs) == pytest.approx(mean, rel=1e-7, abs=1e-9)


@MODELS
@pytest.mark.parametrize("b", [3e-8, 1e-12])
def test_loglik_and_p_alive_keep_their_digits_for_a_tiny_b(mbg: bool, b: float) -> None:
    # b + y - 1 summed left to right lost b's digits to the whole y (at y = 1, (b + 1) - 1 is off by
    # 1e-16 / b relative): the count is reduced first. FHL 2005 eq. 6 and its P(alive) in mpmath.
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": b}
    r, alpha, a, bb = (mp.mpf(v) for v in params.values())
    x, tx, T = (0, 0.0, 38.86) if mbg else (1, 30.43, 38.86)
    y = x + (1 if mbg else 0)
    common = mp.gamma(r + x) * alpha**r / mp.gamma(r)
    first = mp.beta(a, bb + y) / mp.beta(a, bb) * common / (alpha + T) ** (r + x)
    second = mp.beta(a + 1, bb + y - 1) / mp.beta(a, bb) * common / (alpha + mp.mpf(tx)) ** (r + x)
    spec = bg.MODIFIED_BETA_GEO if mbg else bg.BETA_GEO
    got = spec.evaluate(list(params.values()), ([x], [tx], [T]))[0]
    assert got == pytest.approx(float(mp.log(first + second)), rel=1e-13)
    alive = bg.p_alive([x], [tx], [T], **params, dropout_at_start=mbg)[0]
    assert alive == pytest.approx(float(first / (first + second)), rel=1e-13)


@pytest.mark.filterwarnings("error")  # no overflow on the way
@MODELS
@pytest.mark.parametrize("b", [2.426, 5e4])  # the connection formula; b beyond it: quadrature
@pytest.mark.parametrize(("a", "alpha", "t"), [(0.793, 1e-10, 1e300), (2.5, 1e-300, 1e308)])
def test_predictions_where_the_horizon_over_alpha_is_beyond_floats(
    mbg: bool, b: float, a: float, alpha: float, t: float
) -> None:
    # u = t / alpha above 1.8e308 was infinite (an overflow warning, then inf or NaN), while the
    # expected purchases stay finite (for a < 1 they grow like u^(1 - a): 7e64 at u = 1e310). Read
    # through log u. Against 2F1 in mpmath at the exact u.
    mp = pytest.importorskip("mpmath")
    r = 0.243
    s = 1.0 if mbg else 0.0
    u = mp.mpf(t) / mp.mpf(alpha)
    named = {"r": r, "alpha": alpha, "a": a, "b": b, "dropout_at_start": mbg}
    share = b / (a + b) if mbg else 1.0
    new = bg.expected_purchases(t, **named)
    assert new == pytest.approx(share * _mp_mean(r, a, b + s, u), rel=1e-12)
    # A customer seen only at 0 (x = t_x = T = 0) is a new one (alive at 0 with probability b / (a + b)
    # under the MBG/NBD): the same u.
    zero = [0.0]
    future = bg.conditional_expected_purchases(t, zero, zero, zero, **named)[0]
    assert future == pytest.approx(new, rel=1e-12)
    later = bg.p_alive(zero, zero, zero, **named, t=t)[0]
    assert later == pytest.approx(share * _mp_survival(r, a, b + s, u), rel=1e-12)


@MODELS
@given(
    x=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    ages=st.lists(st.sampled_from([0.5, 3.0, 40.0, 1e5]), min_size=1, max_size=12),
    t=st.sampled_from([0.7, 39.0, 1e4, 1e300]),
)
def test_shared_rows_give_each_customer_its_own_value_to_the_bit(
    mbg: bool, x: list[int], ages: list[float], t: float
) -> None:
    # Customers of the same frequency and age share the look-ahead, computed once per distinct row:
    # each customer's value is the one it has computed alone.
    n = min(len(x), len(ages))
    freq = np.array(x[:n], dtype=float)
    T = np.array(ages[:n])
    tx = np.where(freq > 0, T / 2, 0.0)
    named = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "dropout_at_start": mbg}
    together = bg.conditional_expected_purchases(t, freq, tx, T, **named)
    later = bg.p_alive(freq, tx, T, **named, t=t)
    for i in range(n):
        one = (freq[i : i + 1], tx[i : i + 1], T[i : i + 1])
        assert together[i] == bg.conditional_expected_purchases(t, *one, **named)[0]
        assert later[i] == bg.p_alive(*one, **named, t=t)[0]
