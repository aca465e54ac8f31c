r"""The one maximum-likelihood routine that fits every customer-base model.

Pure numpy/scipy. A model declares a :class:`Likelihood`: its parameter names, a vectorised log-likelihood
per data row (and, where the literature gives it, the gradient), a ``prepare`` step that turns the data
columns into whatever the log-likelihood reads, and deterministic starting values. :func:`fit_likelihood`
does the rest, the same way for every model:

1. **Compression.** Customers with identical data rows (the same frequency, recency and T, say) contribute
   identical terms, so the rows are reduced to the distinct ones with a count each (:func:`compress`) and the
   log-likelihood is a weighted sum over those. On real data this shrinks the work by one to two orders of
   magnitude and changes nothing else.
2. **Log scale.** Every parameter is positive; the optimiser works on $\theta = \log$ parameter inside a
   box (``Likelihood.bounds``), which removes the positivity constraint and makes the problem scale-free.
3. **Optimiser.** L-BFGS-B (:func:`scipy.optimize.minimize`) on the mean negative log-likelihood with the
   analytic gradient (central differences of the log-likelihood when a model has none), then up to a few
   Newton steps with the Hessian to polish the optimum to machine precision.
4. **Starting values with a fallback.** The model's starts are tried in order, then all parameters equal
   to 1; the first start that converges wins. A start has converged when the largest component of the
   projected gradient of the mean negative log-likelihood (in log parameters) is below
   ``GRADIENT_TOLERANCE``. If none does, :class:`~retention.errors.ConvergenceError` says what was tried
   and what to try.
5. **Standard errors.** The Hessian $H$ of the negative log-likelihood in the log parameters is computed by
   central differences of the gradient (once, where L-BFGS-B stops, and reused by the Newton polish);
   $H^{-1}$ is the covariance of the log parameters and the delta method gives the covariance of the
   parameters, $D H^{-1} D$ with $D = \mathrm{diag}(\text{params})$, which at the optimum equals the
   inverse Hessian in the natural parameters. A parameter that ends on its bound gets a
   :class:`~retention.errors.RetentionWarning` that names it, and a NaN standard error.

How a new model plugs in: write ``prepare``, ``loglik`` (and ``loglik_and_gradient`` if you can) and
``starts`` in its module, build one ``Likelihood(model="ParetoNBD", params=(...), ...)`` constant, and call
``fit_likelihood(THAT_CONSTANT, (column, column, ...), weights)``. The data columns must already be checked
(finite; the frames layer does it in :mod:`retention.frames.summary_schema`). Two helpers serve every
model: :func:`distinct_values` for the terms of ``prepare`` that depend on one column (the frequency), and
:func:`halved_and_doubled` for the fallbacks of ``starts``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from retention.core.arrays import BoolArray, FloatArray, IntArray
from retention.core.caller import warn_at_caller
from retention.errors import ConvergenceError, RetentionWarning

__all__ = [
    "GRADIENT_TOLERANCE",
    "SEARCH_BOX",
    "Compressed",
    "FitResult",
    "Likelihood",
    "compress",
    "distinct_values",
    "fit_likelihood",
    "halved_and_doubled",
    "total_loglik",
]

Data = TypeVar("Data")
Scalar = TypeVar("Scalar", np.float64, np.int64)


GRADIENT_TOLERANCE: Final = 1e-5
"""Largest projected-gradient component (mean negative log-likelihood, log parameters) accepted as converged."""

_GRADIENT_STEP: Final = 1e-6  # central differences of the log-likelihood: about eps ** (1/3)
_HESSIAN_STEP: Final = 1e-5  # central differences of an analytic gradient
_HESSIAN_STEP_NUMERIC: Final = 1e-4  # ... of a gradient that is itself a difference quotient
_NEWTON_STEPS: Final = 6
_MAX_ITERATIONS: Final = 1000
_Z_95: Final = 1.959963984540054


SEARCH_BOX: Final = (1e-8, 1e8)
"""The box, on the natural scale, that every parameter is searched in unless a model says otherwise."""


@dataclass(frozen=True, slots=True)
class Likelihood(Generic[Data]):
    """What a model declares so that :func:`fit_likelihood` can fit it.

    Attributes
    ----------
    model : str
        The name used in messages, e.g. ``"BetaGeo"``.
    params : tuple of str
        The parameter names, in the order of every parameter vector.
    prepare : callable
        ``prepare(columns) -> data``: turn the (compressed) data columns, a tuple of float arrays of equal
        length, into what the log-likelihood reads. Called once per fit, so precompute here.
    loglik : callable
        ``loglik(params, data) -> array``: the log-likelihood of each row at the (natural, positive)
        parameter vector ``params``.
    starts : callable
        ``starts(columns, weights) -> list of arrays``: deterministic starting parameter vectors (natural
        scale), best guess first.
    loglik_and_gradient : callable or None
        ``loglik_and_gradient(params, data) -> (array, array)``: the per-row log-likelihood and its
        gradient with respect to the natural parameters, shape ``(len(params), rows)`` (one row per
        parameter, so that each is written contiguously). None to use central differences of ``loglik``.
    bounds : tuple of float
        The box, on the natural scale, that every parameter is searched in.
    """

    model: str
    params: tuple[str, ...]
    prepare: Callable[[tuple[FloatArray, ...]], Data]
    loglik: Callable[[FloatArray, Data], FloatArray]
    starts: Callable[[tuple[FloatArray, ...], FloatArray], list[FloatArray]]
    loglik_and_gradient: Callable[[FloatArray, Data], tuple[FloatArray, FloatArray]] | None = None
    bounds: tuple[float, float] = SEARCH_BOX

    def evaluate(self, params: ArrayLike, columns: Sequence[ArrayLike]) -> FloatArray:
        """Per-row log-likelihood at ``params`` of uncompressed ``columns`` (for checks and callers).

        Examples
        --------
        >>> from retention.core.clv.beta_geo import BETA_GEO
        >>> BETA_GEO.evaluate([0.243, 4.414, 0.793, 2.426], ([0.0], [0.0], [38.86])).round(4)
        array([-0.5547])
        """
        cols = tuple(np.asarray(c, dtype=np.float64) for c in columns)
        return self.loglik(np.asarray(params, dtype=np.float64), self.prepare(cols))


@dataclass(frozen=True, slots=True)
class Compressed:
    """Distinct data rows with their total weight; the rows come in lexicographic order.

    Attributes
    ----------
    columns : tuple of numpy.ndarray
        The distinct rows, one array per column.
    weights : numpy.ndarray
        The total weight (number of customers, unless weights were given) of each distinct row.
    inverse : numpy.ndarray of int64
        For each input row, the index of its distinct row: ``columns[j][inverse]`` rebuilds column ``j``.
    """

    columns: tuple[FloatArray, ...]
    weights: FloatArray
    inverse: IntArray


@dataclass(frozen=True, slots=True)
class FitResult:
    """The outcome of :func:`fit_likelihood`.

    Attributes
    ----------
    params : numpy.ndarray
        The maximum-likelihood estimates, natural scale.
    log_covariance : numpy.ndarray
        The covariance matrix of the log parameters, the inverse Hessian of the negative log-likelihood in
        the log parameters; NaN in the rows and columns of a parameter on its bound, all NaN when the
        Hessian is not positive definite.
    loglik : float
        The (weighted) log-likelihood at ``params``.
    n_customers : float
        The total weight: the number of customers when no weights were given.
    n_rows : int
        The number of distinct data rows the likelihood was summed over.
    n_evaluations : int
        Evaluations of the log-likelihood (with gradient) used by the optimiser.
    start : numpy.ndarray
        The starting vector that converged.
    at_bound : tuple of str
        The parameters that ended on the search box.
    """

    params: FloatArray
    log_covariance: FloatArray
    loglik: float
    n_customers: float
    n_rows: int
    n_evaluations: int
    start: FloatArray
    at_bound: tuple[str, ...] = field(default=())

    @property
    def standard_errors(self) -> FloatArray:
        """Delta-method standard errors on the natural scale: params times the log-scale standard errors."""
        return self.params * np.sqrt(np.diag(self.log_covariance))

    @property
    def covariance(self) -> FloatArray:
        """Delta-method covariance matrix on the natural scale, ``D @ log_covariance @ D``."""
        return self.log_covariance * np.outer(self.params, self.params)

    def intervals(self, z: float = _Z_95) -> tuple[FloatArray, FloatArray]:
        """Lower and upper limits ``exp(log(params) -/+ z * se_log)``; 95% by default.

        The interval is symmetric on the log scale, so it stays positive. Computed on the log scale, so
        that a limit is finite whenever it is a float: an upper limit beyond the largest float (a
        parameter not identified by the data, with a huge log-scale standard error) is inf, and a lower
        one below the smallest float 0.
        """
        se_log = np.sqrt(np.diag(self.log_covariance))
        log_params = np.log(self.params)
        with np.errstate(over="ignore"):  # exp beyond the largest float: inf, as documented
            return np.exp(log_params - z * se_log), np.exp(log_params + z * se_log)


def compress(columns: Sequence[ArrayLike], weights: ArrayLike | None = None) -> Compressed:
    """Reduce data rows to the distinct rows with the total weight of each.

    The same result as ``np.unique(np.column_stack(columns), axis=0, return_inverse=True,
    return_counts=True)`` (with the counts replaced by summed weights when weights are given), several times
    faster: one ``lexsort`` of the columns, then a scan for the rows that differ from their predecessor.

    Parameters
    ----------
    columns : sequence of array-like
        One 1-D array per column, all of the same length, finite.
    weights : array-like or None
        One non-negative weight per row; None counts each row once.

    Returns
    -------
    Compressed
        The distinct rows (lexicographic order: first column first), their weights and the inverse index.

    Examples
    --------
    >>> c = compress([[2, 0, 2, 0], [1.5, 0, 1.5, 0]])
    >>> c.columns, c.weights, c.inverse
    ((array([0., 2.]), array([0. , 1.5])), array([2., 2.]), array([1, 0, 1, 0]))
    """
    cols = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    n = len(cols[0]) if cols else 0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if n == 0:
        return Compressed(tuple(cols), np.empty(0), np.empty(0, dtype=np.int64))
    order = np.lexsort(cols[::-1])  # lexsort's last key is the primary one
    ordered = [c[order] for c in cols]
    change = np.zeros(n, dtype=np.bool_)
    change[0] = True
    for c in ordered:
        change[1:] |= c[1:] != c[:-1]
    group = np.cumsum(change) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    totals = np.bincount(group, weights=w[order], minlength=int(group[-1]) + 1).astype(np.float64)
    return Compressed(tuple(c[change] for c in ordered), totals, inverse)


def distinct_values(values: NDArray[Scalar]) -> tuple[NDArray[Scalar], IntArray]:
    """Find the sorted distinct values of a column and, per entry, the position of its value among them.

    The same result as ``np.unique(values, return_inverse=True)``, the positions as int64. A column that is
    already sorted, as the first column of :func:`compress`'s rows is, is only scanned, not sorted again.
    The models' ``prepare`` steps use it to compute the terms that depend on the frequency alone once per
    distinct frequency.

    Examples
    --------
    >>> distinct_values(np.array([0.0, 2.0, 2.0, 5.0]))
    (array([0., 2., 5.]), array([0, 1, 1, 2]))
    >>> distinct_values(np.array([3, 1, 3]))
    (array([1, 3]), array([1, 0, 1]))
    """
    if len(values) and np.all(values[1:] >= values[:-1]):
        change = np.empty(len(values), dtype=np.bool_)
        change[0] = True
        np.not_equal(values[1:], values[:-1], out=change[1:])
        distinct, index = values[change], np.cumsum(change) - 1
    else:
        distinct, index = np.unique(values, return_inverse=True)
    return distinct, index.astype(np.int64, copy=False)


def halved_and_doubled(guess: FloatArray) -> list[FloatArray]:
    """Return a model's best starting vector followed by the usual fallbacks: all halved, all doubled.

    The parameters are searched on the log scale, so the fallbacks step ``log 2`` down and up from the guess
    in every direction at once; a model's ``starts`` returns this when its guess sets only the scales.

    Examples
    --------
    >>> halved_and_doubled(np.array([1.0, 4.0]))
    [array([1., 4.]), array([0.5, 2. ]), array([2., 8.])]
    """
    return [guess, guess * 0.5, guess * 2.0]


def total_loglik(
    spec: Likelihood[Data],
    params: ArrayLike,
    columns: Sequence[ArrayLike],
    weights: ArrayLike | None = None,
) -> float:
    """Sum the weighted log-likelihood of data rows at ``params``, without compression.

    Examples
    --------
    >>> from retention.core.clv.beta_geo import BETA_GEO
    >>> round(total_loglik(BETA_GEO, [0.243, 4.414, 0.793, 2.426], ([0, 0], [0, 0], [38.86, 38.86])), 4)
    -1.1094
    """
    per_row = spec.evaluate(params, columns)
    if weights is None:
        return float(per_row.sum())
    return float(np.dot(np.asarray(weights, dtype=np.float64), per_row))


class _Objective(Generic[Data]):
    """Mean negative log-likelihood of the compressed rows as a function of the log parameters."""

    def __init__(self, spec: Likelihood[Data], data: Data, weights: FloatArray) -> None:
        self.spec = spec
        self.data = data
        self.weights = weights
        self.total = float(weights.sum())
        self.evaluations = 0

    def value(self, theta: FloatArray) -> float:
        self.evaluations += 1
        with np.errstate(all="ignore"):
            ll = self.spec.loglik(np.exp(theta), self.data)
            f = -float(np.dot(self.weights, ll)) / self.total
        return f if math.isfinite(f) else math.inf

    def value_and_gradient(self, theta: FloatArray) -> tuple[float, FloatArray]:
        if self.spec.loglik_and_gradient is None:
            return self.value(theta), self._numeric_gradient(theta)
        self.evaluations += 1
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            ll, grad = self.spec.loglik_and_gradient(params, self.data)
            f = -float(np.dot(self.weights, ll)) / self.total
            g = -(grad @ self.weights) * params / self.total
        if not (math.isfinite(f) and np.all(np.isfinite(g))):
            return math.inf, np.zeros_like(theta)
        return f, g

    def gradient(self, theta: FloatArray) -> FloatArray:
        return self.value_and_gradient(theta)[1]

    def _numeric_gradient(self, theta: FloatArray) -> FloatArray:
        g = np.empty_like(theta)
        for j in range(len(theta)):  # one pair of evaluations per parameter, not per row
            step = np.zeros_like(theta)
            step[j] = _GRADIENT_STEP
            g[j] = (self.value(theta + step) - self.value(theta - step)) / (2 * _GRADIENT_STEP)
        return g if np.all(np.isfinite(g)) else np.zeros_like(theta)

    def hessian(self, theta: FloatArray) -> FloatArray:
        h = _HESSIAN_STEP if self.spec.loglik_and_gradient is not None else _HESSIAN_STEP_NUMERIC
        k = len(theta)
        hess = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = h
            hess[:, j] = (self.gradient(theta + step) - self.gradient(theta - step)) / (2 * h)
        return (hess + hess.T) / 2


@dataclass(frozen=True, slots=True)
class _Attempt:
    start: FloatArray
    theta: FloatArray
    value: float
    gradient: float
    message: str
    hessian: FloatArray | None = None  # of the mean objective, at (or a Newton step from) theta


def _projected(g: FloatArray, theta: FloatArray, lower: float, upper: float) -> FloatArray:
    """Drop the gradient components that push against an active bound."""
    pg = g.copy()
    pg[(theta <= lower) & (g > 0)] = 0.0
    pg[(theta >= upper) & (g < 0)] = 0.0
    return pg


def _polish(
    objective: _Objective[Data], theta: FloatArray, lower: float, upper: float
) -> tuple[FloatArray, float, FloatArray, FloatArray | None]:
    """Take a few Newton steps on the free parameters, each kept only if it does not make things worse.

    The Hessian is computed once and reused while each step at least halves the gradient (near the
    optimum it does), so polishing usually costs one Hessian, which the standard errors reuse.
    """
    f, g = objective.value_and_gradient(theta)
    hess: FloatArray | None = None
    for _ in range(_NEWTON_STEPS):
        free = (theta > lower) & (theta < upper)
        if not free.any() or np.max(np.abs(g[free])) < 1e-12:
            break
        if hess is None:
            hess = objective.hessian(theta)
        try:
            chol = np.linalg.cholesky(hess[np.ix_(free, free)])
        except np.linalg.LinAlgError:
            break
        step = np.zeros_like(theta)
        step[free] = -np.linalg.solve(chol.T, np.linalg.solve(chol, g[free]))
        candidate = np.clip(theta + step, lower, upper)
        f_new, g_new = objective.value_and_gradient(candidate)
        if not f_new <= f + 1e-15 * abs(f):
            break
        if np.max(np.abs(g_new[free])) > 0.5 * np.max(np.abs(g[free])):
            hess = None  # slow progress: the next step gets a fresh Hessian
        theta, f, g = candidate, f_new, g_new
    return theta, f, g, hess


def _fmt(values: FloatArray, names: tuple[str, ...]) -> str:
    return ", ".join(f"{n}={v:.4g}" for n, v in zip(names, values, strict=True))


def _optimise(
    spec: Likelihood[Data],
    objective: _Objective[Data],
    starts: list[FloatArray],
    lower: float,
    upper: float,
) -> _Attempt:
    """Run L-BFGS-B and the Newton polish from each start until one converges."""
    # Imported on the first fit: scipy.optimize would double the import time of the package.
    from scipy.optimize import minimize  # noqa: PLC0415

    attempts: list[_Attempt] = []
    for start in starts:
        theta0 = np.clip(np.log(start), lower, upper)
        if not math.isfinite(objective.value(theta0)):
            attempts.append(
                _Attempt(start, theta0, math.inf, math.inf, "log-likelihood not finite")
            )
            continue
        res = minimize(
            objective.value_and_gradient,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(lower, upper)] * len(theta0),
            options={"maxiter": _MAX_ITERATIONS, "ftol": 1e-11, "gtol": 1e-7, "maxls": 50},
        )
        theta, f, g, hess = _polish(objective, np.asarray(res.x, dtype=np.float64), lower, upper)
        worst = float(np.max(np.abs(_projected(g, theta, lower, upper))))
        attempt = _Attempt(start, theta, f, worst, str(res.message), hess)
        attempts.append(attempt)
        if math.isfinite(f) and worst <= GRADIENT_TOLERANCE:
            return attempt
    tried = "; ".join(
        f"({_fmt(a.start, spec.params)}) -> {a.message}, largest gradient {a.gradient:.2g}"
        for a in attempts
    )
    msg = (
        f"{spec.model}.fit did not converge. Tried L-BFGS-B on the log parameters from "
        f"{len(attempts)} starting points: {tried}. Check the data: recency and T should be in a time "
        "unit where T is of order 1 to 1000 (rfm_summary(..., time_unit='W') for weeks), frequency "
        "should count repeat purchases, and a few extreme customers can be capped or dropped; "
        "compare with fewer customers to find the ones that break the fit."
    )
    raise ConvergenceError(msg)


def _log_covariance(
    spec: Likelihood[Data],
    objective: _Objective[Data],
    best: _Attempt,
    free: BoolArray,
) -> FloatArray:
    """Invert the Hessian of the free log parameters; warn about bounds and flat directions."""
    theta = best.theta
    k = len(theta)
    log_cov = np.full((k, k), np.nan)
    if free.any():
        mean_hessian = best.hessian if best.hessian is not None else objective.hessian(theta)
        hess = mean_hessian[np.ix_(free, free)] * objective.total
        try:
            np.linalg.cholesky(hess)
            log_cov[np.ix_(free, free)] = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            msg = (
                f"{spec.model}.fit: the Hessian of the log-likelihood is not positive definite at the "
                "estimate, so the likelihood is flat in some direction and the standard errors are NaN. "
                "The data may be too few or too uniform to identify every parameter."
            )
            # at the user's line, however many frames (frames -> models -> fitting) lie between
            warn_at_caller(msg, RetentionWarning)
    for name, value, fixed in zip(spec.params, np.exp(theta), ~free, strict=True):
        if fixed:
            msg = (
                f"{spec.model}.fit: the parameter {name!r} ended on the bound {value:.3g} of its search "
                "range, so the data do not identify it (the fit is a limiting case of the model); its "
                "standard error is NaN. Check that the data show what the parameter describes."
            )
            # at the user's line, however many frames (frames -> models -> fitting) lie between
            warn_at_caller(msg, RetentionWarning)
    return log_cov


def fit_likelihood(
    spec: Likelihood[Data],
    columns: Sequence[ArrayLike],
    weights: ArrayLike | None = None,
) -> FitResult:
    """Maximise a model's log-likelihood: compression, log scale, L-BFGS-B, Newton polish, Hessian.

    Parameters
    ----------
    spec : Likelihood
        The model.
    columns : sequence of array-like
        The data, one array per column (already checked by the caller).
    weights : array-like or None
        A non-negative weight per row (e.g. how many customers share it); None counts each row once.

    Returns
    -------
    FitResult
        Estimates, covariance, log-likelihood and diagnostics.

    Raises
    ------
    ConvergenceError
        If no starting value leads to a point where the gradient vanishes.

    Warns
    -----
    RetentionWarning
        If a parameter ends on the search box (it is not identified by the data), or if the Hessian is not
        positive definite (the standard errors are then NaN).

    Notes
    -----
    See the module docstring for the steps. The objective is the mean, not the sum, of the negative
    log-likelihood so that the tolerances mean the same for 100 and for 10 million customers.

    Examples
    --------
    >>> from retention.core.clv.beta_geo import BETA_GEO
    >>> x = [0, 0, 1, 1, 2, 3, 5, 1, 0, 2]  # ten purchase patterns ...
    >>> tx = [0, 0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0, 10.0]
    >>> T = [38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0]
    >>> n = [500, 200, 80, 60, 40, 30, 20, 30, 100, 20]  # ... and how many customers show each
    >>> result = fit_likelihood(BETA_GEO, (x, tx, T), n)
    >>> result.params.round(3), round(result.loglik, 2), result.n_customers
    (array([ 0.289, 17.16 ,  0.325,  0.749]), -2447.25, 1080.0)
    >>> result.standard_errors.round(3)
    array([0.047, 4.055, 0.246, 0.562])
    """
    cols = tuple(np.asarray(c, dtype=np.float64) for c in columns)
    packed = compress(cols, weights)
    # Rows of weight 0 contribute nothing; dropping them keeps starting values and precomputations honest.
    keep = packed.weights > 0
    data_cols = tuple(c[keep] for c in packed.columns)
    w = packed.weights[keep]
    data = spec.prepare(data_cols)
    objective = _Objective(spec, data, w)
    lower, upper = math.log(spec.bounds[0]), math.log(spec.bounds[1])
    k = len(spec.params)

    starts = [np.asarray(s, dtype=np.float64) for s in spec.starts(data_cols, w)]
    if not any(np.allclose(s, 1.0) for s in starts):
        starts.append(np.ones(k))
    best = _optimise(spec, objective, starts, lower, upper)
    theta = best.theta
    params = np.exp(theta)
    on_bound = (theta <= lower + 1e-9) | (theta >= upper - 1e-9)
    at_bound = tuple(name for name, hit in zip(spec.params, on_bound, strict=True) if hit)
    log_cov = _log_covariance(spec, objective, best, ~on_bound)
    with np.errstate(all="ignore"):
        loglik = float(np.dot(w, spec.loglik(params, data)))
    return FitResult(
        params=params,
        log_covariance=log_cov,
        loglik=loglik,
        n_customers=objective.total,
        n_rows=len(w),
        n_evaluations=objective.evaluations,
        start=best.start,
        at_bound=at_bound,
    )
