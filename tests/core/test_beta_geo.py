"""Tests of the BG/NBD and MBG/NBD math (retention.core.clv.beta_geo).

Every closed form is checked against something computed another way: the likelihood and the conditional
predictions against numerical integration of the individual-level model over the mixing distributions,
the predictions against Monte-Carlo simulation of the buying process, the gradient against differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
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
