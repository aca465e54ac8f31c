r"""The BG/BB model of repeat buying at discrete opportunities (Fader, Hardie & Shang 2010).

Pure numpy/scipy. After a first purchase at opportunity 0, a customer has transaction opportunities
$1, 2, \dots, n$ (years with a fund drive, weekly issues, ...). At the start of each opportunity a living
customer dies, for good, with probability $\theta$; a customer alive at an opportunity buys with
probability $p$. Across customers $p \sim \mathrm{Beta}(\alpha, \beta)$ and
$\theta \sim \mathrm{Beta}(\gamma, \delta)$, independently. The data of a customer are $x$ transactions
in opportunities $1, \dots, n$, the last at opportunity $t_x$ ($t_x = 0$ when $x = 0$).

Either the customer is alive at opportunity $n$, or they died at the start of opportunity
$t_x + i + 1$ for some $i = 0, \dots, n - t_x - 1$, so (FHS 2010, eq. 5)

$$
L(\alpha, \beta, \gamma, \delta \mid x, t_x, n)
= \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)} \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
+ \sum_{i=0}^{n - t_x - 1} \frac{B(\alpha + x, \beta + t_x - x + i)}{B(\alpha, \beta)}
\frac{B(\gamma + 1, \delta + t_x + i)}{B(\gamma, \delta)}.
$$

It is evaluated in log space: every term is a sum of log-gamma values at $\alpha + j$, $\beta + j$,
$\alpha + \beta + j$, $\delta + j$ and $\gamma + \delta + j$ for whole $j \le n$, tabulated once per
evaluation. A term of the sum depends on $x$ and $k = t_x + i$ only, so the terms are tabulated once per
distinct $x$ and $k$, each row of that table is turned into tail sums (:func:`_log_tail_sums`), and a
customer's sum over $k = t_x, \dots, n - 1$ is the difference of two tail sums: the work grows with the
number of distinct frequencies times the longest history, not with the customers or their terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, exprel, gammaln, polygamma

from retention.core.arrays import FloatArray, IntArray
from retention.core.clv.fitting import Likelihood, compress, distinct_values, halved_and_doubled
from retention.core.clv.sbg import discounted_expected_lifetime
from retention.core.clv.special import broadcast_floats
from retention.core.clv.special import log_rising as _log_rising

__all__ = [
    "BETA_GEO_BETA_BINOM",
    "PARAMS",
    "BetaGeoBetaBinomData",
    "conditional_expected_purchases",
    "discounted_expected_residual_transactions",
    "expected_purchases",
    "loglik",
    "loglik_and_gradient",
    "p_alive",
    "prepare",
    "probability_of_purchases",
    "starts",
]


PARAMS: Final = ("alpha", "beta", "gamma", "delta")
"""The parameter names, in the order of every parameter vector."""

# Below this distance of gamma from 1 the expected purchases use the Taylor series in gamma - 1 (two terms:
# the error is of order (gamma - 1) ** 2) rather than a division by gamma - 1.
_SERIES_GAP: Final = 1e-6
# A tail sum this far below its row's largest term is summed in log space (see _log_tail_sums).
_TINY_TAIL: Final = 1e-280


@dataclass(frozen=True, slots=True)
class BetaGeoBetaBinomData:
    """Rows prepared for the log-likelihood: integer columns and the distinct frequencies.

    Attributes
    ----------
    x, tx, n : numpy.ndarray of int64
        Frequency, recency and number of opportunities of each row.
    values : numpy.ndarray of int64
        The distinct frequencies.
    index : numpy.ndarray of int64
        Per row, the position of its frequency in ``values``.
    size : int
        The length of the tables over opportunities, ``max(n) + 1``.
    """

    x: IntArray
    tx: IntArray
    n: IntArray
    values: IntArray
    index: IntArray
    size: int


def prepare(columns: tuple[FloatArray, ...]) -> BetaGeoBetaBinomData:
    """Prepare ``(frequency, recency, n_periods)`` columns (whole numbers, checked) for :func:`loglik`.

    Examples
    --------
    >>> d = prepare((np.array([0.0, 2.0, 2.0]), np.array([0.0, 3.0, 4.0]), np.array([4.0, 4.0, 4.0])))
    >>> d.values, d.index, d.size
    (array([0, 2]), array([0, 1, 1]), 5)
    """
    x, tx, n = (np.rint(c).astype(np.int64) for c in columns)
    values, index = distinct_values(x)
    size = int(n.max()) + 1 if len(n) else 1
    return BetaGeoBetaBinomData(x, tx, n, values, index, size)


def _log_tail_sums(log_terms: FloatArray) -> FloatArray:
    """``out[:, k] = log(sum(exp(log_terms[:, k:])))`` along each row (a reversed log-cumsum-exp).

    Summed in linear scale relative to each row's largest term (a plain cumulative sum, exact to a few
    ulp per term), except for rows where a tail falls below ``_TINY_TAIL`` of that term, where scaling
    would lose it to underflow: those are summed with ``logaddexp``, slower but exact at any scale.
    """
    finite = log_terms > -np.inf
    top = np.max(log_terms, axis=1, initial=-np.inf)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore"):
        scaled = np.exp(log_terms - top[:, None])
    linear = np.cumsum(scaled[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore"):
        tails = np.log(linear) + top[:, None]
    lost = np.any(finite & (linear < _TINY_TAIL), axis=1)
    if lost.any():
        # An empty tail is logaddexp(-inf, -inf): NaN, read as -inf.
        with np.errstate(invalid="ignore"):
            exact = np.logaddexp.accumulate(log_terms[lost, ::-1], axis=1)[:, ::-1]
        tails[lost] = np.where(np.isnan(exact), -np.inf, exact)
    return np.asarray(tails, dtype=np.float64)


def _log_range_sums(tails: FloatArray, data: BetaGeoBetaBinomData) -> FloatArray:
    r"""Per row, $\log \sum_{k = t_x}^{n - 1}$ of the terms whose tail sums are ``tails`` (-inf if none).

    The difference of two tail sums, taken in log space as $a + \log(1 - e^{b - a})$: the terms are
    positive, so it loses at most the digits of the ratio of the tail beyond $n$ to the range.
    """
    a = tails[data.index, data.tx]
    b = tails[data.index, data.n]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = a + np.log1p(-np.exp(b - a))
    return np.asarray(np.where((data.tx < data.n) & (a > -np.inf), out, -np.inf), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Terms:
    loglik: FloatArray
    first: FloatArray  # log of the "alive at n" term, without the row constant
    rest: FloatArray  # log of the sum over the death times, without the row constant (-inf if none)
    log_total: FloatArray  # log of first + sum, without the row constant
    log_terms: FloatArray  # the terms of the sum, one row per distinct frequency, one column per k


def _terms(params: FloatArray, data: BetaGeoBetaBinomData) -> _Terms:
    alpha, beta, gamma, delta = (float(v) for v in params)
    size = data.size
    j = np.arange(size, dtype=np.float64)
    lg_b = gammaln(beta + j)
    lg_ab = gammaln(alpha + beta + j)
    lg_d = gammaln(delta + j)
    lg_gd = gammaln(gamma + delta + j)
    x, n = data.x, data.n
    # B(alpha + x, beta + m) = Gamma(alpha + x) Gamma(beta + m) / Gamma(alpha + beta + x + m): the factor
    # Gamma(alpha + x) is common to every term of a row and goes into the row constant.
    first = lg_b[n - x] - lg_ab[n] + float(gammaln(gamma)) + lg_d[n] - lg_gd[n]
    # The term of a death at the start of opportunity k + 1 (alive up to k, the last purchase at t_x <= k)
    # depends on x and k only, so it is tabulated once per distinct x and k = 0, ..., max(n) - 1; a row adds
    # up its range k = t_x, ..., n - 1, the difference of two tail sums of its table row.
    k = np.arange(size)
    m = k[None, :] - data.values[:, None]
    inside = (m >= 0) & (k[None, :] < size - 1)
    k1 = np.minimum(k + 1, size - 1)
    by_k = lg_d[k] - lg_gd[k1] - lg_ab[k] + float(gammaln(gamma + 1.0))
    log_terms = np.where(inside, lg_b[np.maximum(m, 0)] + by_k[None, :], -np.inf)
    rest = _log_range_sums(_log_tail_sums(log_terms), data)
    log_total = np.logaddexp(first, rest)
    constant = (
        gammaln(alpha + x.astype(np.float64))
        - float(betaln(alpha, beta))
        - float(betaln(gamma, delta))
    )
    return _Terms(
        np.asarray(constant + log_total, dtype=np.float64), first, rest, log_total, log_terms
    )


def loglik(params: FloatArray, data: BetaGeoBetaBinomData) -> FloatArray:
    """Per-row log-likelihood at ``params = (alpha, beta, gamma, delta)`` (see the module docstring).

    Examples
    --------
    >>> d = prepare((np.array([0.0, 3.0]), np.array([0.0, 5.0]), np.array([6.0, 6.0])))
    >>> loglik(np.array([1.204, 0.750, 0.657, 2.783]), d).round(4)
    array([-1.1673, -5.6159])
    """
    return _terms(params, data).loglik


def loglik_and_gradient(
    params: FloatArray, data: BetaGeoBetaBinomData
) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and its gradient with respect to ``(alpha, beta, gamma, delta)``.

    Returns
    -------
    loglik : numpy.ndarray
        One value per row.
    gradient : numpy.ndarray
        Shape ``(4, rows)``.

    Notes
    -----
    Each term of $L$ is a product of beta functions, so its log has the derivatives
    $\partial_a \log B(a, b) = \psi(a) - \psi(a + b)$; the derivative of $\log L$ is the average of the
    terms' derivatives weighted by their shares of $L$. Over the sum's range the weighted sums of the
    digamma values ($\psi(\beta + k - x)$, $\psi(\alpha + \beta + k)$, $\psi(\delta + k)$,
    $\psi(\gamma + \delta + k + 1)$, each minus its value at $k = 0$ so that it is $\ge 0$) are tail
    sums in log space like the likelihood's.

    Examples
    --------
    >>> d = prepare((np.array([0.0, 3.0]), np.array([0.0, 5.0]), np.array([6.0, 6.0])))
    >>> ll, grad = loglik_and_gradient(np.array([1.204, 0.750, 0.657, 2.783]), d)
    >>> grad.T.round(4)
    array([[-0.3912,  0.4111,  0.8613, -0.1858],
           [ 0.0049,  0.6129, -0.8402,  0.1511]])
    """
    alpha, beta, gamma, delta = (float(v) for v in params)
    terms = _terms(params, data)
    size = data.size
    j = np.arange(size, dtype=np.float64)
    psi_a, psi_b, psi_g, psi_d = (float(v) for v in digamma([alpha, beta, gamma, delta]))
    psi_ab = float(digamma(alpha + beta))
    psi_gd = float(digamma(gamma + delta))
    # Shifted to be >= 0 (digamma increases), so that their weighted sums are sums of positive terms.
    ps_b = digamma(beta + j) - psi_b
    ps_ab = digamma(alpha + beta + j) - psi_ab
    ps_d = digamma(delta + j) - psi_d
    ps_gd = digamma(gamma + delta + j) - psi_gd
    k = np.arange(size)
    m = np.maximum(k[None, :] - data.values[:, None], 0)
    k1 = np.minimum(k + 1, size - 1)
    x, n = data.x, data.n
    has_rest = data.tx < data.n
    w_first = np.exp(terms.first - terms.log_total)
    w_rest = np.exp(terms.rest - terms.log_total)  # 0 for rows without a range (rest = -inf)

    def mean_over_range(shifted: FloatArray) -> FloatArray:
        """Average ``shifted`` (a table like the terms') over each row's range, weighted by the terms."""
        with np.errstate(divide="ignore"):
            log_weighted = terms.log_terms + np.log(shifted)
        sums = _log_range_sums(_log_tail_sums(log_weighted), data)
        with np.errstate(invalid="ignore"):  # rows without a range: -inf - -inf, replaced by 0
            mean = np.exp(sums - terms.rest)
        return np.asarray(np.where(has_rest, mean, 0.0), dtype=np.float64)

    mean_b = mean_over_range(ps_b[m])
    mean_ab = mean_over_range(np.broadcast_to(ps_ab[k], m.shape))
    mean_d = mean_over_range(np.broadcast_to(ps_d[k], m.shape))
    mean_gd = mean_over_range(np.broadcast_to(ps_gd[k1], m.shape))
    grad = np.empty((4, len(x)))
    # With shares w of the terms adding up to 1, the constants psi(alpha + beta) and psi(gamma + delta)
    # of the shifted tables cancel against those of -log B(alpha, beta) and -log B(gamma, delta).
    grad[0] = (
        digamma(alpha + x.astype(np.float64)) - psi_a - (w_first * ps_ab[n] + w_rest * mean_ab)
    )
    grad[1] = w_first * (ps_b[n - x] - ps_ab[n]) + w_rest * (mean_b - mean_ab)
    grad[2] = -psi_g + psi_gd + w_first * (psi_g - psi_gd - ps_gd[n])
    grad[2] += w_rest * (float(digamma(gamma + 1.0)) - psi_gd - mean_gd)
    grad[3] = w_first * (ps_d[n] - ps_gd[n]) + w_rest * (mean_d - mean_gd)
    return terms.loglik, grad


def starts(columns: tuple[FloatArray, ...], weights: FloatArray) -> list[FloatArray]:
    r"""Deterministic starting values: $\beta$ from the share of opportunities with a purchase.

    With $\alpha = 1$ the mean of $p$ is $1 / (1 + \beta)$; it is set to the share of opportunities with a
    purchase, $\sum x / \sum n$, and $\gamma = 1$, $\delta = 3$ (a mean death probability of 1/4). The
    fallbacks halve and double every parameter.

    Examples
    --------
    >>> starts((np.array([0.0, 3.0]), np.array([0.0, 5.0]), np.array([6.0, 6.0])), np.ones(2))[0]
    array([1., 3., 1., 3.])
    """
    frequency, _, n = columns
    opportunities = float(np.dot(weights, n))
    share = float(np.dot(weights, frequency)) / opportunities if opportunities > 0 else 0.5
    share = min(max(share, 0.05), 0.95)
    guess = np.array([1.0, (1.0 - share) / share, 1.0, 3.0])
    return halved_and_doubled(guess)


BETA_GEO_BETA_BINOM: Final = Likelihood(
    model="BetaGeoBetaBinom",
    params=PARAMS,
    prepare=prepare,
    loglik=loglik,
    starts=starts,
    loglik_and_gradient=loglik_and_gradient,
)
"""The BG/BB likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


# --- predictions -------------------------------------------------------------------------------------


def _survival_sum(gamma: float, delta: ArrayLike, m: ArrayLike) -> FloatArray:
    r"""$\sum_{t=1}^{m} B(\gamma, \delta + t) / B(\gamma, \delta)$: expected opportunities survived of the next $m$.

    The closed form (FHS 2010, eqs. 7 and 13) is
    $\frac{\delta}{\gamma - 1}\Big[1 - \frac{\Gamma(\gamma + \delta)\,\Gamma(1 + \delta + m)}
    {\Gamma(\gamma + \delta + m)\,\Gamma(1 + \delta)}\Big] = -\delta K\, \frac{e^{hK} - 1}{hK}$ with
    $h = \gamma - 1$ and $hK = D(1 + \delta) - D(1 + \delta + m)$, $D(x) = \log\Gamma(x + h) - \log\Gamma(x)$
    (:func:`~retention.core.clv.special.log_rising`). Written so, it keeps its digits as
    $\gamma \to 1$; within $10^{-6}$ of $\gamma = 1$, $K = \Delta\psi + \tfrac{h}{2}\Delta\psi'$ (the Taylor series in $h$), exact at
    $\gamma = 1$ where the sum is $\delta[\psi(1 + \delta + m) - \psi(1 + \delta)]$.
    """
    d, steps = broadcast_floats(delta, m)
    h = gamma - 1.0
    low, high = 1.0 + d, 1.0 + d + steps
    if abs(h) < _SERIES_GAP:
        k = digamma(low) - digamma(high) + h / 2.0 * (polygamma(1, low) - polygamma(1, high))
    else:
        k = (_log_rising(low, h) - _log_rising(high, h)) / h
    return np.asarray(-d * k * exprel(h * k), dtype=np.float64)


def _distinct(
    frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
) -> tuple[BetaGeoBetaBinomData, IntArray]:
    """Prepare the distinct customer rows once, with the map back to every customer."""
    packed = compress([frequency, recency, n_periods])
    return prepare(packed.columns), packed.inverse


def p_alive(
    frequency: ArrayLike,
    recency: ArrayLike,
    n_periods: ArrayLike,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
) -> FloatArray:
    r"""Probability that a customer with history $(x, t_x, n)$ is alive at opportunity $n + 1$.

    Notes
    -----
    FHS 2010, eq. 11:
    $P(\text{alive at } n + 1 \mid x, t_x, n) = \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
    \frac{B(\gamma, \delta + n + 1)}{B(\gamma, \delta)} \Big/ L(\alpha, \beta, \gamma, \delta \mid x, t_x, n)$.

    Examples
    --------
    >>> p_alive([0, 6, 3], [0, 6, 3], [6, 6, 6], alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).round(4)
    array([0.108 , 0.9304, 0.095 ])
    """
    data, inverse = _distinct(frequency, recency, n_periods)
    x, n = data.x.astype(np.float64), data.n.astype(np.float64)
    log_alive = (
        betaln(alpha + x, beta + (n - x))
        - betaln(alpha, beta)
        + betaln(gamma, delta + n + 1.0)
        - betaln(gamma, delta)
    )
    value = np.exp(log_alive - loglik(np.array([alpha, beta, gamma, delta]), data))
    return np.asarray(np.minimum(value, 1.0)[inverse], dtype=np.float64)


def expected_purchases(
    n: ArrayLike, *, alpha: float, beta: float, gamma: float, delta: float
) -> FloatArray:
    r"""Compute the expected transactions of a new customer in the next $n$ opportunities, $E[X(n)]$.

    Notes
    -----
    FHS 2010, eq. 7: the customer buys at opportunity $t$ if alive then (probability
    $E[(1 - \theta)^t]$) and buying (mean $\alpha / (\alpha + \beta)$), so

    $$
    E[X(n)] = \frac{\alpha}{\alpha + \beta} \sum_{t=1}^{n} \frac{B(\gamma, \delta + t)}{B(\gamma, \delta)}
    = \frac{\alpha}{\alpha + \beta} \frac{\delta}{\gamma - 1}
    \left[1 - \frac{\Gamma(\gamma + \delta)}{\Gamma(\gamma + \delta + n)}
    \frac{\Gamma(1 + \delta + n)}{\Gamma(1 + \delta)}\right],
    $$

    continuous at $\gamma = 1$ (see :func:`_survival_sum`).

    Examples
    --------
    >>> expected_purchases([1, 6, 11], alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).round(4)
    array([0.4985, 2.2196, 3.3876])
    """
    steps = np.asarray(n, dtype=np.float64)
    return np.asarray(alpha / (alpha + beta) * _survival_sum(gamma, delta, steps), dtype=np.float64)


def _log_buying_and_alive(
    data: BetaGeoBetaBinomData, params: FloatArray, *, later: float
) -> FloatArray:
    r"""Log of the posterior weight of buying at opportunity $n + \text{later}$ while alive there.

    That is $\log E[p\,(1 - \theta)^{n + \text{later}} \mid \text{history}]$: the joint term
    $B(\alpha + x + 1, \beta + n - x) B(\gamma, \delta + n + \text{later})$ over the normalisers and $L$.
    """
    alpha, beta, gamma, delta = (float(v) for v in params)
    x, n = data.x.astype(np.float64), data.n.astype(np.float64)
    log_buy = betaln(alpha + x + 1.0, beta + (n - x)) - betaln(alpha, beta)
    log_alive = betaln(gamma, delta + n + later) - betaln(gamma, delta)
    return np.asarray(log_buy + log_alive - loglik(params, data), dtype=np.float64)


def conditional_expected_purchases(
    n_future: float,
    frequency: ArrayLike,
    recency: ArrayLike,
    n_periods: ArrayLike,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
) -> FloatArray:
    r"""Compute the expected transactions at opportunities $n + 1, \dots, n + n^*$ given a history $(x, t_x, n)$.

    Notes
    -----
    FHS 2010, eq. 13:

    $$
    E[X(n, n + n^*) \mid x, t_x, n] = \frac{1}{L}\,
    \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}\,
    \frac{\delta}{\gamma - 1} \frac{\Gamma(\gamma + \delta)}{\Gamma(1 + \delta)}
    \left[\frac{\Gamma(1 + \delta + n)}{\Gamma(\gamma + \delta + n)}
    - \frac{\Gamma(1 + \delta + n + n^*)}{\Gamma(\gamma + \delta + n + n^*)}\right],
    $$

    evaluated as $\frac{1}{L} \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}
    \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)} \sum_{t=1}^{n^*}
    \frac{B(\gamma, \delta + n + t)}{B(\gamma, \delta + n)}$ (see :func:`_survival_sum`).

    Examples
    --------
    >>> conditional_expected_purchases(5, [0, 6, 3], [0, 6, 3], [6, 6, 6],
    ...                                alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).round(4)
    array([0.0728, 3.7521, 0.2235])
    """
    params = np.array([alpha, beta, gamma, delta])
    data, inverse = _distinct(frequency, recency, n_periods)
    weight = np.exp(_log_buying_and_alive(data, params, later=0.0))
    value = weight * _survival_sum(gamma, delta + data.n.astype(np.float64), float(n_future))
    return np.asarray(value[inverse], dtype=np.float64)


def discounted_expected_residual_transactions(
    frequency: ArrayLike,
    recency: ArrayLike,
    n_periods: ArrayLike,
    *,
    discount_rate: float,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
) -> FloatArray:
    r"""Present value, at opportunity $n$, of the expected transactions at opportunities $n + 1, n + 2, \dots$.

    Notes
    -----
    A transaction at opportunity $n + k$ is discounted by $(1 + d)^{-k}$. FHS 2010, eq. 14:

    $$
    \mathrm{DERT}(d \mid x, t_x, n) = \frac{1}{L}\,
    \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}\,
    \frac{B(\gamma, \delta + n + 1)}{B(\gamma, \delta)\,(1 + d)}\,
    {}_2F_1\!\left(1, \delta + n + 1; \gamma + \delta + n + 1; \tfrac{1}{1 + d}\right),
    $$

    with the hypergeometric factor evaluated by Gauss's continued fraction
    (:func:`retention.core.clv.sbg.discounted_expected_lifetime`). At $d = 0$ it is the expected number of
    all future transactions, infinite for $\gamma \le 1$.

    Examples
    --------
    >>> discounted_expected_residual_transactions([0, 6, 3], [0, 6, 3], [6, 6, 6], discount_rate=0.1,
    ...     alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).round(4)
    array([0.1146, 5.9087, 0.352 ])
    """
    params = np.array([alpha, beta, gamma, delta])
    data, inverse = _distinct(frequency, recency, n_periods)
    weight = np.exp(_log_buying_and_alive(data, params, later=1.0))
    annuity = discounted_expected_lifetime(
        discount_rate, alpha=gamma, beta=delta + data.n.astype(np.float64) + 1.0
    )
    # An infinite annuity (d = 0, gamma <= 1) stays infinite even where the weight underflows to 0.
    value = np.where(np.isinf(annuity), np.inf, weight * np.where(np.isinf(annuity), 0.0, annuity))
    value = value / (1.0 + discount_rate)
    return np.asarray(value[inverse], dtype=np.float64)


def probability_of_purchases(
    x: ArrayLike, n: int, *, alpha: float, beta: float, gamma: float, delta: float
) -> FloatArray:
    r"""Probability that a new customer makes exactly $x$ transactions in the next $n$ opportunities.

    Notes
    -----
    FHS 2010, eq. 6: alive at all $n$ opportunities, or dead from opportunity $i + 1$ on:

    $$
    P(X(n) = x) = \binom{n}{x} \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
    \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
    + \sum_{i=x}^{n-1} \binom{i}{x} \frac{B(\alpha + x, \beta + i - x)}{B(\alpha, \beta)}
    \frac{B(\gamma + 1, \delta + i)}{B(\gamma, \delta)},
    $$

    0 for $x > n$; the probabilities add up to 1 over $x = 0, \dots, n$.

    Examples
    --------
    >>> probability_of_purchases([0, 1, 6], 6, alpha=1.204, beta=0.750, gamma=0.657, delta=2.783).round(4)
    array([0.3112, 0.1701, 0.1128])
    """
    counts = np.asarray(x, dtype=np.float64)
    shape = counts.shape
    xs = counts.ravel()
    horizon = float(n)
    possible = xs <= horizon
    xv = np.where(possible, xs, 0.0)
    normaliser = float(betaln(alpha, beta) + betaln(gamma, delta))

    def log_choose(top: FloatArray, bottom: FloatArray) -> FloatArray:
        return np.asarray(gammaln(top + 1.0) - gammaln(bottom + 1.0) - gammaln(top - bottom + 1.0))

    first = (
        log_choose(np.full(xv.shape, horizon), xv)
        + betaln(alpha + xv, beta + (horizon - xv))
        + betaln(gamma, delta + horizon)
        - normaliser
    )
    # The terms i = x, ..., n - 1 of every x, laid out flat.
    count = np.where(possible, horizon - xv, 0.0).astype(np.int64)
    owner = np.repeat(np.arange(len(xs)), count)
    start = np.cumsum(count) - count
    xo = xv[owner]
    i = (np.arange(len(owner)) - np.repeat(start, count)).astype(np.float64) + xo
    flat = (
        log_choose(i, xo)
        + betaln(alpha + xo, beta + (i - xo))
        + betaln(gamma + 1.0, delta + i)
        - normaliser
    )
    total = np.exp(first) + np.bincount(owner, weights=np.exp(flat), minlength=len(xs))
    return np.asarray(np.where(possible, total, 0.0).reshape(shape), dtype=np.float64)
