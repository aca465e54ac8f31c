"""Tests of the shared maximum-likelihood routine (retention.core.clv.fitting)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

import retention as rt
from retention.core.clv.beta_geo import BETA_GEO
from retention.core.clv.fitting import (
    GRADIENT_TOLERANCE,
    FitResult,
    Likelihood,
    compress,
    distinct_values,
    fit_likelihood,
    halved_and_doubled,
    total_loglik,
)
from retention.errors import ConvergenceError, RetentionWarning

Array = NDArray[np.float64]


# --- a model with a closed-form answer: exponential durations --------------------------------------
# log f(d) = log(lam) - lam * d; the MLE is n / sum(d) and its standard error lam / sqrt(n).


def _prepare(columns: tuple[Array, ...]) -> Array:
    return columns[0]


def _exp_loglik(params: Array, data: Array) -> Array:
    return np.log(params[0]) - params[0] * data


def _exp_gradient(params: Array, data: Array) -> tuple[Array, Array]:
    return _exp_loglik(params, data), (1.0 / params[0] - data)[np.newaxis, :]


def _exp_starts(columns: tuple[Array, ...], weights: Array) -> list[Array]:
    return [np.array([3.0])]


EXPONENTIAL = Likelihood(
    model="Exponential",
    params=("lam",),
    prepare=_prepare,
    loglik=_exp_loglik,
    starts=_exp_starts,
    loglik_and_gradient=_exp_gradient,
)
EXPONENTIAL_NUMERIC = Likelihood(
    model="Exponential", params=("lam",), prepare=_prepare, loglik=_exp_loglik, starts=_exp_starts
)

DURATIONS = np.array([0.5, 1.5, 2.0, 0.25, 0.75, 3.0, 1.0, 1.0])  # sum 10, n 8


# The Hessian is taken where L-BFGS-B stops, a Newton step (of order its gradient tolerance, 1e-7) from
# the optimum, and by differences of the analytic gradient; with a difference-quotient gradient it is
# accurate to about eps ** (1/3) ~ 1e-5.
@pytest.mark.parametrize(
    ("spec", "hessian_rtol"),
    [(EXPONENTIAL, 1e-7), (EXPONENTIAL_NUMERIC, 1e-5)],
    ids=["analytic", "numeric"],
)
def test_exponential_mle_and_standard_error(spec: Likelihood[Array], hessian_rtol: float) -> None:
    result = fit_likelihood(spec, (DURATIONS,))
    lam = 8 / 10.0
    assert result.params[0] == pytest.approx(lam, rel=1e-9)
    assert result.loglik == pytest.approx(8 * math.log(lam) - lam * 10.0, rel=1e-12)
    # Observed information n / lam**2, so se = lam / sqrt(n); on the log scale 1 / sqrt(n).
    assert result.standard_errors[0] == pytest.approx(lam / math.sqrt(8), rel=hessian_rtol)
    assert result.log_covariance[0, 0] == pytest.approx(1 / 8, rel=hessian_rtol)
    lower, upper = result.intervals()
    z = 1.959963984540054
    assert lower[0] == pytest.approx(lam * math.exp(-z / math.sqrt(8)), rel=hessian_rtol)
    assert upper[0] == pytest.approx(lam * math.exp(z / math.sqrt(8)), rel=hessian_rtol)
    assert result.n_customers == 8
    assert result.n_rows == 7  # the two durations of 1.0 are one row of weight 2
    assert result.at_bound == ()


def test_weights_are_repeated_rows() -> None:
    values = np.array([0.5, 2.0, 1.0])
    weights = np.array([3.0, 1.0, 2.0])
    weighted = fit_likelihood(EXPONENTIAL, (values,), weights)
    repeated = fit_likelihood(EXPONENTIAL, (np.repeat(values, [3, 1, 2]),))
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-10)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)
    np.testing.assert_allclose(weighted.standard_errors, repeated.standard_errors, rtol=1e-6)
    assert weighted.n_customers == 6


def test_rows_of_weight_zero_are_ignored() -> None:
    with_zero = fit_likelihood(EXPONENTIAL, ([0.5, 100.0, 1.0],), [1.0, 0.0, 1.0])
    without = fit_likelihood(EXPONENTIAL, ([0.5, 1.0],))
    np.testing.assert_allclose(with_zero.params, without.params, rtol=1e-10)


# --- failures and warnings ----------------------------------------------------------------------------


def _never_finite(params: Array, data: Array) -> Array:
    return np.full(len(data), np.nan)


def test_no_finite_start_raises_convergence_error_that_says_what_was_tried() -> None:
    spec = Likelihood(
        model="Broken", params=("lam",), prepare=_prepare, loglik=_never_finite, starts=_exp_starts
    )
    with pytest.raises(ConvergenceError, match=r"Broken\.fit did not converge") as info:
        fit_likelihood(spec, (DURATIONS,))
    message = str(info.value)
    assert "2 starting points" in message  # the model's start and the all-ones fallback
    assert "lam=3" in message
    assert "lam=1" in message
    assert "time_unit" in message


def _ever_increasing(params: Array, data: Array) -> Array:
    # The likelihood grows without bound in lam: the optimum is on the search box.
    return np.log(params[0]) + 0.0 * data


def test_parameter_on_bound_warns_by_name_and_has_nan_error() -> None:
    spec = Likelihood(
        model="Unbounded",
        params=("lam",),
        prepare=_prepare,
        loglik=_ever_increasing,
        starts=_exp_starts,
    )
    with pytest.warns(RetentionWarning, match="'lam' ended on the bound 1e\\+08"):
        result = fit_likelihood(spec, (DURATIONS,))
    assert result.at_bound == ("lam",)
    assert result.params[0] == pytest.approx(1e8)
    assert np.isnan(result.standard_errors[0])


def _flat_in_second(params: Array, data: Array) -> Array:
    return np.log(params[0]) - params[0] * data + 0.0 * params[1]


def _two_starts(columns: tuple[Array, ...], weights: Array) -> list[Array]:
    return [np.array([3.0, 2.0])]


def test_flat_direction_warns_and_gives_nan_errors() -> None:
    spec = Likelihood(
        model="Flat",
        params=("lam", "nuisance"),
        prepare=_prepare,
        loglik=_flat_in_second,
        starts=_two_starts,
    )
    with pytest.warns(RetentionWarning, match="not positive definite"):
        result = fit_likelihood(spec, (DURATIONS,))
    assert result.params[0] == pytest.approx(0.8, rel=1e-7)
    assert np.all(np.isnan(result.standard_errors))


def test_warnings_name_the_callers_line() -> None:
    """A fitting warning points at the user's call, not into the library, however deep the call."""
    spec = Likelihood(
        model="Flat",
        params=("lam", "nuisance"),
        prepare=_prepare,
        loglik=_flat_in_second,
        starts=_two_starts,
    )
    with pytest.warns(RetentionWarning, match="not positive definite") as record:
        fit_likelihood(spec, (DURATIONS,))
    assert [w.filename for w in record] == [__file__]
    # through the model classes: frames -> model base -> core model -> fitting, still this file
    summary = pd.DataFrame(
        {
            "frequency": [0, 0, 0, 1, 0, 0],
            "recency": [0, 0, 0, 5.0, 0, 0],
            "T": [10.0, 20, 30, 40, 50, 60],
        }
    )
    for model in (rt.BetaGeo, rt.ParetoNBD):
        line = inspect.currentframe().f_lineno + 2  # type: ignore[union-attr]
        with pytest.warns(RetentionWarning, match="not positive definite") as record:
            model.fit(summary)
        assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def test_bg_nbd_fit_converges_below_the_tolerance() -> None:
    x = np.array([0, 0, 1, 1, 2, 3, 5, 1, 0, 2], dtype=float)
    tx = np.array([0, 0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0, 10.0])
    T = np.array([38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0])
    n = np.array([500, 200, 80, 60, 40, 30, 20, 30, 100, 20], dtype=float)
    result = fit_likelihood(BETA_GEO, (x, tx, T), n)
    # At the optimum the analytic gradient of the mean log-likelihood (log parameters) vanishes.
    ll, grad = BETA_GEO.loglik_and_gradient(result.params, BETA_GEO.prepare((x, tx, T)))  # type: ignore[misc]
    mean_grad = (grad @ n) * result.params / n.sum()
    assert np.max(np.abs(mean_grad)) < GRADIENT_TOLERANCE
    assert result.loglik == pytest.approx(float(ll @ n), rel=1e-12)
    # The covariance is the inverse of the observed information: check against a direct Hessian.
    k = 4
    step = 1e-4
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        up = total_loglik(BETA_GEO, result.params * np.exp(e), (x, tx, T), n)
        down = total_loglik(BETA_GEO, result.params * np.exp(-e), (x, tx, T), n)
        for i in range(k):
            f = np.zeros(k)
            f[i] = step
            upup = total_loglik(BETA_GEO, result.params * np.exp(e + f), (x, tx, T), n)
            downdown = total_loglik(BETA_GEO, result.params * np.exp(-e - f), (x, tx, T), n)
            updown = total_loglik(BETA_GEO, result.params * np.exp(e - f), (x, tx, T), n)
            downup = total_loglik(BETA_GEO, result.params * np.exp(-e + f), (x, tx, T), n)
            hess[i, j] = -(upup - updown - downup + downdown) / (4 * step * step)
        del up, down
    np.testing.assert_allclose(np.linalg.inv(hess), result.log_covariance, rtol=1e-4)


# --- compression ------------------------------------------------------------------------------------


def test_compress_by_hand() -> None:
    c = compress([[2, 0, 2, 1, 0], [1.5, 0, 1.5, 0, 0]], [1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(c.columns[0], [0, 1, 2])
    np.testing.assert_array_equal(c.columns[1], [0, 0, 1.5])
    np.testing.assert_array_equal(c.weights, [7.0, 4.0, 4.0])
    np.testing.assert_array_equal(c.inverse, [2, 0, 2, 1, 0])


def test_compress_empty() -> None:
    c = compress([np.empty(0), np.empty(0)])
    assert len(c.weights) == 0
    assert len(c.columns) == 2


def test_compress_treats_minus_zero_as_zero() -> None:
    c = compress([[0.0, -0.0]])
    np.testing.assert_array_equal(c.weights, [2.0])


columns_strategy = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.5, 1.25, 7.0]), min_size=n, max_size=n),
        st.lists(st.integers(-2, 2), min_size=n, max_size=n),
    )
)


@given(columns_strategy)
def test_compress_matches_numpy_unique(cols: tuple[list[int], list[float], list[int]]) -> None:
    arrays = [np.asarray(c, dtype=np.float64) for c in cols]
    c = compress(arrays)
    rows, inverse, counts = np.unique(
        np.column_stack(arrays), axis=0, return_inverse=True, return_counts=True
    )
    for j in range(3):
        np.testing.assert_array_equal(c.columns[j], rows[:, j])
    np.testing.assert_array_equal(c.inverse, inverse.ravel())
    np.testing.assert_array_equal(c.weights, counts)


@given(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, 40.0]), max_size=50), st.booleans())
def test_distinct_values_matches_numpy_unique(values: list[float], presorted: bool) -> None:
    column = np.sort(np.asarray(values)) if presorted else np.asarray(values)
    distinct, index = distinct_values(column)
    expected, inverse = np.unique(column, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(index, inverse)
    assert index.dtype == np.int64
    np.testing.assert_array_equal(distinct[index], column)  # the map back rebuilds the column


def test_distinct_values_of_whole_numbers_keep_their_type() -> None:
    distinct, index = distinct_values(np.array([4, 0, 4, 2], dtype=np.int64))
    assert distinct.dtype == np.int64
    np.testing.assert_array_equal(distinct, [0, 2, 4])
    np.testing.assert_array_equal(index, [2, 0, 2, 1])


def test_halved_and_doubled_keeps_the_guess_first() -> None:
    guess = np.array([1.0, 6.0, 0.5])
    starts = halved_and_doubled(guess)
    np.testing.assert_array_equal(starts[0], guess)
    np.testing.assert_array_equal(starts[1], [0.5, 3.0, 0.25])
    np.testing.assert_array_equal(starts[2], [2.0, 12.0, 1.0])


summary_strategy = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.3, 0.6, 1.0]), min_size=n, max_size=n),
        st.lists(st.sampled_from([1.0, 2.0, 5.0]), min_size=n, max_size=n),
        st.lists(st.integers(1, 5), min_size=n, max_size=n),
    )
)


@given(
    summary_strategy,
    st.tuples(
        st.floats(0.05, 5.0), st.floats(0.1, 20.0), st.floats(0.05, 5.0), st.floats(0.05, 5.0)
    ),
)
def test_compressing_identical_customers_keeps_the_loglik(
    data: tuple[list[int], list[float], list[float], list[int]],
    params: tuple[float, float, float, float],
) -> None:
    x = np.asarray(data[0], dtype=float)
    T = np.asarray(data[2])
    tx = np.where(x > 0, np.asarray(data[1]) * T, 0.0)
    repeats = np.asarray(data[3])
    # Every customer repeated: the plain sum over all rows against the weighted sum over distinct rows.
    rows = (np.repeat(x, repeats), np.repeat(tx, repeats), np.repeat(T, repeats))
    plain = float(BETA_GEO.evaluate(params, rows).sum())
    packed = compress(rows)
    weighted = total_loglik(BETA_GEO, params, packed.columns, packed.weights)
    assert weighted == pytest.approx(plain, rel=1e-12, abs=1e-9)


@pytest.mark.filterwarnings("error")
def test_intervals_beyond_floats_without_overflow() -> None:
    # Log-scale standard errors of 7016 (the sBG fit to constant churn: alpha and beta not identified), of
    # 720 / z (exp(z se) = e^720 overflows, but times 1e-8 the limit is a float) and of 0.1.
    mp = pytest.importorskip("mpmath")
    z = 1.959963984540054
    params = np.array([443673.97, 1e-8, 0.5])
    variance = np.array([7016.0, 720.0 / z, 0.1]) ** 2
    result = FitResult(
        params=params,
        log_covariance=np.diag(variance),
        loglik=0.0,
        n_customers=1.0,
        n_rows=1,
        n_evaluations=1,
        start=np.zeros(3),
    )
    lower, upper = result.intervals()
    # e^(+-13751) times 4e5: beyond the largest float, and below the smallest one.
    assert (upper[0], lower[0]) == (math.inf, 0.0)
    with mp.workdps(40):
        se = [mp.sqrt(mp.mpf(v)) for v in variance[1:]]
        expected_lower = [
            float(mp.mpf(p) * mp.exp(-z * s)) for p, s in zip(params[1:], se, strict=True)
        ]
        expected_upper = [
            float(mp.mpf(p) * mp.exp(z * s)) for p, s in zip(params[1:], se, strict=True)
        ]
    np.testing.assert_allclose(lower[1:], expected_lower, rtol=1e-12)
    np.testing.assert_allclose(upper[1:], expected_upper, rtol=1e-12)
    assert 4.9e304 < upper[1] < 5e304  # e^720 1e-8 = 10^(720 / ln 10 - 8)
