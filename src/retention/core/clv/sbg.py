r"""The shifted-beta-geometric (sBG) model of contract renewal (Fader & Hardie 2007, 2010).

Pure numpy/scipy. A customer acquired at period 0 renews at the end of each period with a constant
probability $1 - \theta$ and, once gone, never comes back; across customers $\theta \sim \mathrm{Beta}(\alpha,
\beta)$. The lifetime $T \in \{1, 2, \dots\}$ is the number of periods the customer pays for (periods
$0, \dots, T - 1$), so a customer still active at period $t$ has $T > t$:

$$
P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)}, \qquad
S(t) = P(T > t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)}
$$

(Fader & Hardie 2007, eqs. 5 and 6). The data of a cohort are the numbers $n_0, n_1, \dots, n_k$ still
active at periods $0, \dots, k$: $n_{t-1} - n_t$ customers churned at $t$ and $n_k$ are still there, so

$$
\log L = \sum_{t=1}^{k} (n_{t-1} - n_t) \log P(T = t) + n_k \log S(k),
$$

which :func:`survival_rows` writes as weighted rows ``(t, still_active)`` for the shared fitting routine;
several cohorts (of different ages) simply contribute more rows. The ratios of beta functions are evaluated
as $\log S(t) = \log B(\alpha, \beta + t) - \log B(\alpha, \beta)$ by
:func:`~retention.core.clv.special.log_beta_ratio` and
$\log P(T = t) = \log\frac{\alpha}{\alpha + \beta} + \log\frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha + 1, \beta)}$,
which keep their digits for long lifetimes (a difference of ``betaln`` values loses about $10^{-11}$ at
$t = 10^4$).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, gammasgn, xlogy

from retention.core.arrays import BoolArray, FloatArray
from retention.core.clv.fitting import Likelihood, halved_and_doubled
from retention.core.clv.special import (
    CHEBYSHEV_NODES,
    chebyshev_weights,
    digamma_difference,
    log_beta_ratio,
    log_rising,
)

__all__ = [
    "PARAMS",
    "SHIFTED_BETA_GEOMETRIC",
    "SurvivalData",
    "churn_probability",
    "constant_churn_loglik",
    "discounted_expected_lifetime",
    "discounted_expected_residual_lifetime",
    "expected_lifetime",
    "loglik",
    "loglik_and_gradient",
    "prepare",
    "retention_rate",
    "starts",
    "survival",
    "survival_rows",
]


PARAMS: Final = ("alpha", "beta")
"""The parameter names, in the order of every parameter vector."""

_TINY: Final = 1e-300  # Lentz's guard against a zero denominator
_CF_TOLERANCE: Final = 1e-16
# DEL by the connection formula where 1 - z = d / (1 + d) is at most this and beta (1 - z) at most ...
_CONNECTION_MAX_EPS: Final = 0.1
_CONNECTION_MAX_TERMS: Final = (
    50.0  # ... this (the series then needs few terms), if accurate to ...
)
_CONNECTION_TOL: Final = 1e-13  # ... this by its error estimate; else the continued fraction
_ULP: Final = 2.220446049250313e-16


@dataclass(frozen=True, slots=True)
class SurvivalData:
    """Rows prepared for the log-likelihood.

    Attributes
    ----------
    t : numpy.ndarray
        The period of each row: when the customers churned, or the last period they were seen active.
    active : numpy.ndarray of bool
        True for customers still active at ``t`` (censored), False for customers who churned at ``t``.
    """

    t: FloatArray
    active: BoolArray


def survival_rows(active: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Turn survival counts per cohort and period into weighted likelihood rows.

    Parameters
    ----------
    active : array-like, 2-D
        ``active[i, t]``: customers of cohort ``i`` still active at period ``t``; NaN for periods not
        observed yet, after the observed ones. Already checked: whole numbers, non-increasing along each row,
        a positive first column.

    Returns
    -------
    t : numpy.ndarray
        The period of each row.
    still_active : numpy.ndarray
        1.0 for the customers still active at their cohort's last observed period (censored), 0.0 for
        those who churned at ``t``.
    weights : numpy.ndarray
        How many customers each row stands for. Rows of zero weight are kept (the fitting routine drops them).

    Examples
    --------
    >>> t, still, w = survival_rows([[1000.0, 631.0, 468.0], [500.0, 300.0, np.nan]])
    >>> t, still, w
    (array([1., 2., 1., 2., 1.]), array([0., 0., 0., 1., 1.]), array([369., 163., 200., 468., 300.]))
    """
    counts = np.atleast_2d(np.asarray(active, dtype=np.float64))
    n_cohorts, n_periods = counts.shape
    observed = np.isfinite(counts)
    # The last observed period of each cohort (NaNs come only at the end).
    last = observed.sum(axis=1) - 1
    churned = counts[:, :-1] - counts[:, 1:]  # NaN where period t + 1 is not observed
    period = np.broadcast_to(np.arange(1, n_periods, dtype=np.float64), churned.shape)
    seen = np.isfinite(churned)
    t = np.concatenate([period[seen], last.astype(np.float64)])
    still = np.concatenate([np.zeros(int(seen.sum())), np.ones(n_cohorts)])
    weights = np.concatenate([churned[seen], counts[np.arange(n_cohorts), last]])
    return t, still, weights


def prepare(columns: tuple[FloatArray, ...]) -> SurvivalData:
    """Prepare ``(t, still_active)`` columns for :func:`loglik`.

    Examples
    --------
    >>> prepare((np.array([1.0, 2.0]), np.array([0.0, 1.0])))
    SurvivalData(t=array([1., 2.]), active=array([False,  True]))
    """
    t, still = columns
    return SurvivalData(t, still > 0)


def loglik(params: FloatArray, data: SurvivalData) -> FloatArray:
    r"""Per-row log-likelihood at ``params = (alpha, beta)``: $\log S(t)$ or $\log P(T = t)$.

    Examples
    --------
    >>> d = prepare((np.array([1.0, 7.0]), np.array([0.0, 1.0])))
    >>> loglik(np.array([0.704, 1.182]), d).round(4)
    array([-0.9854, -1.4311])
    """
    alpha, beta = (float(v) for v in params)
    t = data.t
    # Churn rows have t >= 1; the where() keeps t - 1 >= 0 in the unused branch of censored rows.
    churn = math.log(alpha / (alpha + beta)) + log_beta_ratio(
        alpha + 1.0, beta, np.where(data.active, 1.0, t) - 1.0
    )
    alive = log_beta_ratio(alpha, beta, t)
    return np.asarray(np.where(data.active, alive, churn), dtype=np.float64)


def loglik_and_gradient(params: FloatArray, data: SurvivalData) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and its gradient with respect to ``(alpha, beta)``.

    Returns
    -------
    loglik : numpy.ndarray
        One value per row.
    gradient : numpy.ndarray
        Shape ``(2, rows)``.

    Notes
    -----
    With $\psi$ the digamma function and $c = \psi(\alpha + \beta)$:

    $$
    \begin{aligned}
    \partial_\alpha \log P(T = t) &= \psi(\alpha + 1) - \psi(\alpha) + c - \psi(\alpha + \beta + t), &
    \partial_\beta \log P(T = t) &= \psi(\beta + t - 1) - \psi(\beta) + c - \psi(\alpha + \beta + t), \\
    \partial_\alpha \log S(t) &= c - \psi(\alpha + \beta + t), &
    \partial_\beta \log S(t) &= \psi(\beta + t) - \psi(\beta) + c - \psi(\alpha + \beta + t).
    \end{aligned}
    $$

    Examples
    --------
    >>> d = prepare((np.array([1.0, 7.0]), np.array([0.0, 1.0])))
    >>> ll, grad = loglik_and_gradient(np.array([0.704, 1.182]), d)
    >>> grad.round(4)
    array([[ 0.8902, -1.7806],
           [-0.5302,  0.571 ]])
    """
    alpha, beta = (float(v) for v in params)
    t = data.t
    active = data.active
    common = -digamma_difference(alpha + beta, t)
    grad = np.empty((2, len(t)))
    # psi(alpha + 1) - psi(alpha) = 1 / alpha
    grad[0] = common + np.where(active, 0.0, 1.0 / alpha)
    grad[1] = common + digamma_difference(beta, t - np.where(active, 0.0, 1.0))
    return loglik(params, data), grad


def starts(columns: tuple[FloatArray, ...], weights: FloatArray) -> list[FloatArray]:
    r"""Deterministic starting values: $\alpha = 1$ and $\beta$ matching the first period's churn.

    $P(T = 1) = \alpha / (\alpha + \beta)$, so with $\alpha = 1$ the observed share churning at period 1,
    $c_1$, gives $\beta = (1 - c_1) / c_1$; the fallbacks halve and double both.

    Examples
    --------
    >>> t, still, w = survival_rows([[1000.0, 631.0, 468.0]])
    >>> starts((t, still), w)[0].round(3)
    array([1.   , 1.71])
    """
    t, still = columns
    at_risk = float(weights[t >= 1].sum())
    churned = float(weights[(t == 1) & (still == 0)].sum())
    share = min(max(churned / at_risk if at_risk > 0 else 0.5, 0.01), 0.99)
    guess = np.array([1.0, (1.0 - share) / share])
    return halved_and_doubled(guess)


def constant_churn_loglik(
    t: FloatArray, still_active: FloatArray, weights: FloatArray
) -> tuple[float, float]:
    r"""Fit the model without heterogeneity (one churn probability for all) to the same rows.

    The sBG tends to it as $\alpha, \beta \to \infty$ with $\alpha / (\alpha + \beta)$ fixed, so when
    the sBG does no better the data do not identify $\alpha$ and $\beta$ separately. With $C$ customers
    churned and $E$ renewal decisions observed (a customer who churned at $t$ or was last seen at $t$
    made $t$), the estimate is $\hat\theta = C / E$ and $\log L = C \log\hat\theta + (E - C)
    \log(1 - \hat\theta)$.

    Returns
    -------
    theta : float
        The churn probability per period.
    loglik : float
        The log-likelihood at it.

    Examples
    --------
    >>> t, still, w = survival_rows([[1000.0, 500.0, 250.0]])
    >>> constant_churn_loglik(t, still, w)
    (0.5, -1039.7207...)
    """
    churned = float(weights[still_active == 0].sum())
    decisions = float(np.dot(weights, t))
    theta = churned / decisions if decisions > 0 else 0.0
    loglik = xlogy(churned, theta) + xlogy(decisions - churned, 1.0 - theta)
    return theta, float(loglik)


SHIFTED_BETA_GEOMETRIC: Final = Likelihood(
    model="ShiftedBetaGeometric",
    params=PARAMS,
    prepare=prepare,
    loglik=loglik,
    starts=starts,
    loglik_and_gradient=loglik_and_gradient,
)
"""The sBG likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


# --- predictions -------------------------------------------------------------------------------------


def survival(t: ArrayLike, *, alpha: float, beta: float) -> FloatArray:
    r"""Probability that a new customer is still active at period $t$: $S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)$.

    Examples
    --------
    >>> survival([0, 1, 7], alpha=0.704, beta=1.182).round(4)
    array([1.    , 0.6267, 0.2391])
    """
    time = np.asarray(t, dtype=np.float64)
    return np.asarray(np.exp(log_beta_ratio(alpha, beta, time)), dtype=np.float64)


def retention_rate(t: ArrayLike, *, alpha: float, beta: float) -> FloatArray:
    r"""Share of the customers active at period $t - 1$ who renew for period $t$ ($t \ge 1$).

    Notes
    -----
    Fader & Hardie 2007, eq. 8: $r(t) = S(t) / S(t - 1) = (\beta + t - 1) / (\alpha + \beta + t - 1)$,
    increasing in $t$: the customers who churn easily leave first.

    Examples
    --------
    >>> retention_rate([1, 2, 12], alpha=0.704, beta=1.182).round(4)
    array([0.6267, 0.7561, 0.9454])
    """
    time = np.asarray(t, dtype=np.float64)
    return np.asarray((beta + (time - 1.0)) / (alpha + beta + (time - 1.0)), dtype=np.float64)


def churn_probability(t: ArrayLike, *, alpha: float, beta: float) -> FloatArray:
    r"""Probability that a new customer churns at period $t$ ($t \ge 1$): $P(T = t) = S(t - 1) - S(t)$.

    Examples
    --------
    >>> churn_probability([1, 2], alpha=0.704, beta=1.182).round(4)
    array([0.3733, 0.1529])
    """
    time = np.asarray(t, dtype=np.float64)
    log_p = math.log(alpha / (alpha + beta)) + log_beta_ratio(alpha + 1.0, beta, time - 1.0)
    return np.asarray(np.exp(log_p), dtype=np.float64)


def expected_lifetime(*, alpha: float, beta: float) -> float:
    r"""Compute the expected number of periods a new customer stays, $E[T] = (\alpha + \beta - 1)/(\alpha - 1)$.

    Infinite for $\alpha \le 1$: the mean of $1/\theta$ diverges when many customers have a churn
    probability close to 0.

    Examples
    --------
    >>> expected_lifetime(alpha=3.0, beta=4.0), expected_lifetime(alpha=0.704, beta=1.182)
    (3.0, inf)
    """
    if alpha <= 1.0:
        return math.inf
    return 1.0 + beta / (
        alpha - 1.0
    )  # (alpha + beta - 1) / (alpha - 1), without cancelling alpha - 1


def _geometric_sum_cf(a: FloatArray, b: FloatArray, z: float) -> FloatArray:
    r"""${}_2F_1(1, b; a + b; z)$ for $0 \le z < 1$ by Gauss's continued fraction (modified Lentz).

    With $A = a + b - 1$ and $q = 1 - a$ this is the continued fraction of the incomplete beta function
    $B_z(A, q) = z^A (1 - z)^q / A \cdot {}_2F_1(A + q, 1; A + 1; z)$, whose partial numerators are
    $-\frac{(A + m)(b + m) z}{(A + 2m)(A + 2m + 1)}$ and $\frac{m (q - m) z}{(A + 2m - 1)(A + 2m)}$. For
    $a, b > 0$ all are negative and the fraction converges for every $z < 1$, in about
    $7 / \sqrt{1 - z}$ steps at worst, with no cancellation. SciPy's ``hyp2f1`` returns NaN or wrong
    values here once $b$ is in the hundreds and $z$ close to 1 (a long-lived customer, a small discount
    rate), which is why it is not used.
    """
    big_a = (a - 1.0) + b
    q = 1.0 - a
    c = np.ones_like(big_a)
    d = 1.0 - b * z / (big_a + 1.0)
    d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    todo = np.ones(big_a.shape, dtype=np.bool_)
    steps = 1000 + int(20.0 / math.sqrt(1.0 - z))
    for m in range(1, steps):  # a loop over the fraction's levels, vectorised over the values
        m2 = 2.0 * m
        # Ratios of like sizes, divided one at a time: for b near the largest float (a customer with
        # 1e300 renewals) no product overflows, and the first coefficient underflows to its limit 0.
        for coefficient in (
            m * (q - m) * z / (big_a + m2 - 1.0) / (big_a + m2),
            -((big_a + m) / (big_a + m2)) * ((b + m) / (big_a + m2 + 1.0)) * z,
        ):
            d = 1.0 + coefficient * d
            d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = 1.0 + coefficient / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            step = d * c
            h = np.where(todo, h * step, h)
        todo &= np.abs(step - 1.0) > _CF_TOLERANCE
        if not todo.any():
            break
    return h


def _connection_terms(
    alpha: float, b: FloatArray, d: float, tol: float
) -> tuple[FloatArray, BoolArray]:
    r"""${}_2F_1(1, b; \alpha + b; z)$, $z = 1/(1 + d)$, by the connection formula; and where it is accurate.

    DLMF 15.8.4 in $\epsilon = 1 - z = d / (1 + d)$, with ${}_2F_1(c - 1, \alpha; \alpha; \epsilon)
    = (1 - \epsilon)^{1 - c}$ for the second term ($c = \alpha + b$):

    $$
    \frac{\alpha + b - 1}{\alpha - 1} \sum_{k \ge 0} \frac{(b)_k}{(2 - \alpha)_k} \epsilon^k
    + \epsilon^{\alpha - 1} z^{1 - \alpha - b} \frac{\Gamma(\alpha + b)\, \Gamma(1 - \alpha)}{\Gamma(b)}.
    $$

    For small $d$, where the continued fraction needs about $7 / \sqrt{\epsilon}$ steps and adds up their
    rounding, the series needs a few. Close to a whole $\alpha$ the two terms are large and of opposite
    signs; the rows whose error estimate exceeds ``tol`` are flagged (see
    :func:`_geometric_sum_connection` for whole $\alpha$).
    """
    eps = d / (1.0 + d)
    log_eps, log_z = math.log(eps), -math.log1p(d)
    n = len(b)
    total = np.ones(n)
    size = np.ones(n)
    term = np.ones(n)
    c2 = 2.0 - alpha
    k = 0
    # no factor changes sign after k > alpha - 2; then the terms fall by b eps / k < 1 at most
    while True:  # a loop over series terms, vectorised over the values of b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            term = term * (b + k) * eps / (c2 + k)
        k += 1
        total = total + term
        size = size + np.abs(term)
        if (k > alpha and k > 2.0 * _CONNECTION_MAX_TERMS) or k > 4000:
            break
        if k > alpha and np.all(~np.isfinite(size) | (np.abs(term) <= 1e-17 * size)):
            break
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first = 1.0 + b / (alpha - 1.0)
        log_gamma = log_rising(b, np.full(n, alpha)) + float(gammaln(1.0 - alpha))
        magnitude = np.exp((alpha - 1.0) * log_eps + (1.0 - alpha - b) * log_z + log_gamma)
        second = float(gammasgn(1.0 - alpha)) * magnitude
        value = first * total + second
        # (both terms see the same rounded alpha, so its rounding is no error of the sum)
        gamma_error = _ULP * (
            4.0 * (1.0 + np.abs(log_gamma))
            + abs(float(gammaln(1.0 - alpha)))
            + abs((alpha - 1.0) * log_eps)
            + np.abs((1.0 - alpha - b) * log_z)
        )
        error = _ULP * 8.0 * np.abs(first) * size + magnitude * gamma_error
        good = np.isfinite(value) & np.isfinite(error) & (value > 0.0)
        good &= error <= tol * value
    return np.where(good, value, 0.0), good


def _geometric_sum_connection(
    alpha: float, b: FloatArray, d: float
) -> tuple[FloatArray, BoolArray]:
    r""":func:`_connection_terms`, interpolated in ``alpha`` across whole numbers, where it is singular.

    Within ``gap`` of a whole $\alpha \ge 1$ the value is the interpolating polynomial through eight
    Chebyshev nodes on $\alpha \pm$ ``gap``, where the terms cancel at most 1.5 digits; the value varies in
    $\alpha$ like $\epsilon^{\alpha}$, so the gap shrinks with $\log(1 / \epsilon)$. A row is accepted when
    its error estimate is below ``_CONNECTION_TOL``, or below that of the continued fraction (about
    $10^{-16} / \epsilon$: it adds up the rounding of its $7 / \sqrt{\epsilon}$ steps).
    """
    whole = float(round(alpha))
    gap = min(0.03, 0.15 / math.log1p(1.0 / d))
    tol = max(_CONNECTION_TOL, _ULP * (1.0 + d) / d)
    if whole < 1.0 or abs(alpha - whole) >= gap:
        return _connection_terms(alpha, b, d, tol)
    u = (alpha - whole) / gap
    value = np.zeros(len(b))
    good = np.ones(len(b), dtype=np.bool_)
    weights = chebyshev_weights(u)
    for node, weight in zip(CHEBYSHEV_NODES, weights, strict=True):  # eight interpolation points
        at_node, ok = _connection_terms(whole + gap * float(node), b, d, tol / 4.0)
        value += weight * at_node
        good &= ok
    return np.where(good, value, 0.0), good


def discounted_expected_lifetime(
    discount_rate: float, *, alpha: float, beta: ArrayLike
) -> FloatArray:
    r"""Discounted expected lifetime of a new customer, $\mathrm{DEL}(d) = \sum_{t \ge 0} S(t) / (1 + d)^t$.

    The expected present value, at acquisition, of one unit paid at the start of every period the
    customer is active (the first one, at period 0, certainly).

    Notes
    -----
    Fader & Hardie 2010, eq. 5:
    $\mathrm{DEL}(d) = {}_2F_1\!\left(1, \beta; \alpha + \beta; \tfrac{1}{1 + d}\right)$, evaluated by
    Gauss's continued fraction (see :func:`_geometric_sum_cf`), or for small $d$ (where the fraction needs
    thousands of steps and adds up their rounding) by the connection formula in $d / (1 + d)$ (see
    :func:`_geometric_sum_connection`) wherever that is accurate. At $d = 0$ it is $E[T]$:
    $(\alpha + \beta - 1)/(\alpha - 1)$, infinite for $\alpha \le 1$. ``beta`` may be an array (the
    residual lifetimes use $\beta + n$).

    Examples
    --------
    >>> discounted_expected_lifetime(0.1, alpha=0.704, beta=1.182).round(4)
    np.float64(3.6951)
    """
    b = np.asarray(beta, dtype=np.float64)
    if discount_rate == 0.0:
        if alpha <= 1.0:
            return np.full(b.shape, math.inf)
        return np.asarray(1.0 + b / (alpha - 1.0), dtype=np.float64)
    z = 1.0 / (1.0 + discount_rate)
    values, inverse = np.unique(b, return_inverse=True)
    out = np.empty(values.shape)
    eps = discount_rate / (1.0 + discount_rate)
    rest = np.ones(values.shape, dtype=np.bool_)
    if eps <= _CONNECTION_MAX_EPS:
        near = np.flatnonzero(values * eps <= _CONNECTION_MAX_TERMS)
        if len(near):
            value, good = _geometric_sum_connection(float(alpha), values[near], discount_rate)
            out[near[good]] = value[good]
            rest[near[good]] = False
    if np.any(rest):
        out[rest] = _geometric_sum_cf(np.full(int(rest.sum()), float(alpha)), values[rest], z)
    return np.asarray(out[inverse].reshape(b.shape), dtype=np.float64)


def discounted_expected_residual_lifetime(
    renewals: ArrayLike, discount_rate: float, *, alpha: float, beta: float
) -> FloatArray:
    r"""Discounted expected residual lifetime of a customer who has renewed $n$ times.

    The customer is active at period $n$ (acquired at 0, renewed at $1, \dots, n$), and we stand at the
    end of period $n$: the value is the expected present value of one unit paid at each *future* renewal,
    the next one (for period $n + 1$) paid now and undiscounted, the one after discounted once, and so on.

    Notes
    -----
    Fader & Hardie 2010, eq. 6 (their "$n - 1$ renewals" is our $n$): the posterior of $\theta$ given
    $n$ renewals is $\mathrm{Beta}(\alpha, \beta + n)$, so

    $$
    \mathrm{DERL}(d \mid n) = \sum_{k \ge 1} \frac{S(n + k)}{S(n)} \frac{1}{(1 + d)^{k - 1}}
    = \frac{\beta + n}{\alpha + \beta + n}\,
    {}_2F_1\!\left(1, \beta + n + 1; \alpha + \beta + n + 1; \tfrac{1}{1 + d}\right).
    $$

    With this timing $\mathrm{DEL}(d) = 1 + \mathrm{DERL}(d \mid 0) / (1 + d)$.

    Examples
    --------
    >>> discounted_expected_residual_lifetime([0, 4], 0.1, alpha=0.704, beta=1.182).round(4)
    array([2.9647, 5.8944])
    """
    n = np.asarray(renewals, dtype=np.float64)
    renew = (beta + n) / (alpha + beta + n)
    rest = discounted_expected_lifetime(discount_rate, alpha=alpha, beta=beta + n + 1.0)
    return np.asarray(renew * rest, dtype=np.float64)
