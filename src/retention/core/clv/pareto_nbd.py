r"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), evaluated in log space.

Pure numpy/scipy. While alive, a customer buys at the times of a Poisson process with rate $\lambda$; the
lifetime, measured from the first purchase, is exponential with rate $\mu$. Across customers
$\lambda \sim \mathrm{Gamma}(r, \alpha)$ and $\mu \sim \mathrm{Gamma}(s, \beta)$ (shape, rate),
independently. The data per customer are $x$ repeat purchases, the time $t_x$ of the last one and the age
$T$, all measured from the first purchase.

**Likelihood.** Given $(\lambda, \mu)$ the customer is either alive at $T$, or died at some
$\tau \in (t_x, T]$, so $L = \lambda^x e^{-(\lambda + \mu)T} + \lambda^x \mu \int_{t_x}^T
e^{-(\lambda + \mu)\tau} d\tau = \lambda^x \frac{\mu}{\lambda + \mu} e^{-(\lambda + \mu)t_x}
+ \lambda^x \frac{\lambda}{\lambda + \mu} e^{-(\lambda + \mu)T}$: a sum of two *positive* terms. Mixed
over the gamma distributions, $E[\lambda^x e^{-(\lambda + \mu)t}]$ tilts $\lambda$ to
$\mathrm{Gamma}(r + x, \alpha + t)$ and $\mu$ to $\mathrm{Gamma}(s, \beta + t)$, so

$$
L(r, \alpha, s, \beta \mid x, t_x, T) = \frac{\Gamma(r + x)\, \alpha^r \beta^s}{\Gamma(r)}
\left[\frac{m_\mu(t_x)}{(\alpha + t_x)^{r + x} (\beta + t_x)^s}
+ \frac{m_\lambda(T)}{(\alpha + T)^{r + x} (\beta + T)^s}\right],
$$

with $m_\mu(t) = E[\mu / (\lambda + \mu)]$ and $m_\lambda(t) = 1 - m_\mu(t)$ under the tilted gammas at
$t$. This is Fader & Hardie's (2005, eq. 18-20) expression with their difference $A_0$ of two
hypergeometric terms rearranged into two positive terms: with $q = s$, $p = r + x$, $P = \alpha + t$,
$Q = \beta + t$, and $\mathrm{B} \sim \mathrm{Beta}(q, p)$, $E[\mu / (\lambda + \mu)]
= E[\mathrm{B} P / (Q + \mathrm{B}(P - Q))]$, which by Euler's integral is

$$
m_\mu(t) = \frac{s}{r + s + x} \times \begin{cases}
{}_2F_1\!\left(1, r + x; r + s + x + 1; \frac{\alpha - \beta}{\alpha + t}\right) & \alpha \ge \beta, \\
\frac{\alpha + t}{\beta + t}\, {}_2F_1\!\left(1, s + 1; r + s + x + 1; \frac{\beta - \alpha}{\beta + t}\right)
& \alpha < \beta,
\end{cases}
$$

and $m_\lambda$ the same with the roles of $(r + x, \alpha)$ and $(s, \beta)$ swapped. These are the
Fader-Hardie hypergeometric terms after Euler's transformation
${}_2F_1(a, b; c; z) = (1 - z)^{c - a - b} {}_2F_1(c - a, c - b; c; z)$ (their first parameter
$r + s + x$ becomes 1), so the argument is in $[0, 1)$, every term of the series is positive and the
value lies between 1 and $1 / (1 - z)$: no overflow, whatever $x$ and $T$. The whole log-likelihood is
a log-sum-exp of two logs.

**The function** $H(b, c, z) = {}_2F_1(1, b; c; z)$ is computed, with its derivatives in $b$, $c$ and
$z$ (so the gradient of the likelihood is analytic), by :func:`retention.core.clv.special.log_hyp1`, finite
and accurate where SciPy's ``hyp2f1`` returns ``inf`` or ``nan`` (large $b$ close to $z = 1$); the
docstring of :mod:`retention.core.clv.special` describes its three methods and their accuracy.

**Predictions** (Fader & Hardie 2005; Fader, Hardie & Lee 2005 for DERT) are in the functions' notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betainc, digamma, exp1, gammaincc, gammaln, log_expit, xlogy

from retention.core.arrays import FloatArray, IntArray
from retention.core.clv.fitting import Likelihood, compress, distinct_values, halved_and_doubled
from retention.core.clv.special import (
    broadcast_floats,
    log_beta,
    log_hyp1,
    log_hyp1_rows,
    log_negative_binomial_coefficient,
    log_trapezoid,
)

__all__ = [
    "PARAMS",
    "PARETO_NBD",
    "ParetoNBDData",
    "conditional_expected_purchases",
    "discounted_expected_residual_transactions",
    "expected_purchases",
    "log_hyp1",
    "loglik",
    "loglik_and_gradient",
    "p_alive",
    "prepare",
    "probability_of_purchases",
    "starts",
]


PARAMS: Final = ("r", "alpha", "s", "beta")
"""The parameter names, in the order of every parameter vector."""

_TOLERANCE: Final = 1e-16  # relative size of the first neglected term of a series or fraction
_MAX_PMF_TERMS: Final = 100  # beyond (alpha and beta far apart, or large s): quadrature
_PMF_QUAD_START: Final = 64
_PMF_QUAD_LEVELS: Final = 12
_PMF_QUAD_TOL: Final = (
    1e-11  # relative change between trapezoid levels at which the finer is accepted
)
_PMF_TAIL: Final = 45.0
_HYPERU_MAX_Z: Final = 1.0  # below: an incomplete gamma recurrence; above: a continued fraction
_RECURRENCE_MAX_S: Final = 30.0  # beyond: the continued fraction converges quickly for any z
_TINY: Final = 1e-300


# --- the shares E[mu / (lambda + mu)] --------------------------------------------------------------------


def _log_share(
    p: FloatArray, big_p: FloatArray, q: FloatArray, big_q: FloatArray, *, gradient: bool
) -> FloatArray:
    r"""$\log E[Y / (X + Y)]$ for $X \sim \mathrm{Gamma}(p, P)$, $Y \sim \mathrm{Gamma}(q, Q)$, with gradient.

    Returns shape ``(5, n)`` (value, then derivatives in $p$, $P$, $q$, $Q$) or ``(1, n)``.

    $= \frac{q}{p + q} H(p, p + q + 1, 1 - Q/P)$ for $P \ge Q$ and
    $\frac{P}{Q} \frac{q}{p + q} H(q + 1, p + q + 1, 1 - P/Q)$ for $P < Q$ (module docstring).
    """
    first = big_p >= big_q
    ratio = np.where(first, big_q / big_p, big_p / big_q)  # 1 - z, exact
    z = np.where(first, (big_p - big_q) / big_p, (big_q - big_p) / big_q)
    b = np.where(first, p, q + 1.0)
    c = p + q + 1.0
    hyp = log_hyp1_rows(b, c, z, ratio, gradient=gradient)
    log_pq = np.log(p + q)
    value = np.log(q) - log_pq + hyp[0] + np.where(first, 0.0, np.log(big_p) - np.log(big_q))
    if not gradient:
        return np.asarray(value, dtype=np.float64)[np.newaxis]
    hb, hc, hz = hyp[1], hyp[2], hyp[3]
    inv_pq = 1.0 / (p + q)
    out = np.empty((5, len(z)))
    out[0] = value
    out[1] = -inv_pq + hc + np.where(first, hb, 0.0)
    out[3] = 1.0 / q - inv_pq + hc + np.where(first, 0.0, hb)
    # dz/dP and dz/dQ in the two cases
    out[2] = np.where(first, hz * big_q / (big_p * big_p), 1.0 / big_p - hz / big_q)
    out[4] = np.where(first, -hz / big_p, -1.0 / big_q + hz * big_p / (big_q * big_q))
    return out


# --- data and likelihood --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParetoNBDData:
    """Data rows prepared for the log-likelihood.

    The hypergeometric terms depend on ``(x, t_x)`` and on ``(x, T)`` only, so they are computed once per
    distinct pair; the pairs are sorted by time so that the series sees decreasing arguments.

    Attributes
    ----------
    frequency, recency, T : numpy.ndarray
        One entry per row.
    values, index : numpy.ndarray
        The distinct frequencies, and per row the position of its frequency in ``values``.
    recency_pairs, age_pairs : tuple of numpy.ndarray
        The distinct ``(x, t_x)`` and ``(x, T)`` pairs, sorted by time.
    recency_index, age_index : numpy.ndarray
        Per row, the position of its pair.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    values: FloatArray
    index: IntArray
    recency_pairs: tuple[FloatArray, FloatArray]
    recency_index: IntArray
    age_pairs: tuple[FloatArray, FloatArray]
    age_index: IntArray


def _pairs(x: FloatArray, t: FloatArray) -> tuple[tuple[FloatArray, FloatArray], IntArray]:
    """Distinct ``(x, t)`` pairs sorted by ``t`` (then ``x``), and the pair of each row."""
    packed = compress((t, x))
    ts, xs = packed.columns
    return (xs, ts), packed.inverse


def prepare(columns: tuple[FloatArray, ...]) -> ParetoNBDData:
    """Prepare ``(frequency, recency, T)`` columns for :func:`loglik`.

    Examples
    --------
    >>> d = prepare((np.array([0.0, 2.0, 2.0]), np.array([0.0, 3.0, 3.0]), np.array([5.0, 5.0, 6.0])))
    >>> d.recency_pairs, d.recency_index
    ((array([0., 2.]), array([0., 3.])), array([0, 1, 1]))
    >>> d.age_pairs, d.age_index
    ((array([0., 2., 2.]), array([5., 5., 6.])), array([0, 1, 2]))
    """
    frequency, recency, T = (np.asarray(c, dtype=np.float64) for c in columns)
    values, index = distinct_values(frequency)
    recency_pairs, recency_index = _pairs(frequency, recency)
    age_pairs, age_index = _pairs(frequency, T)
    return ParetoNBDData(
        frequency,
        recency,
        T,
        values,
        index,
        recency_pairs,
        recency_index,
        age_pairs,
        age_index,
    )


def _log_terms(
    params: FloatArray, data: ParetoNBDData, *, gradient: bool
) -> tuple[
    FloatArray, FloatArray, FloatArray, FloatArray | None, FloatArray | None, FloatArray | None
]:
    r"""Compute the two log terms per row, the per-frequency constant and, optionally, their gradients.

    ``first`` (died after the last purchase) $= \log m_\mu(t_x) - (r + x)\log(\alpha + t_x)
    - s \log(\beta + t_x)$ on the ``(x, t_x)`` pairs; ``second`` (alive at $T$) the same with
    $m_\lambda(T)$ on the ``(x, T)`` pairs; ``const`` $= \log\Gamma(r + x) - \log\Gamma(r) + r\log\alpha
    + s \log\beta$ on the distinct frequencies. Gradients are ``(4, pairs)`` arrays in ``PARAMS`` order.
    """
    r, alpha, s, beta = (float(v) for v in params)
    xr, tr = data.recency_pairs
    xa, ta = data.age_pairs
    a_r, b_r = alpha + tr, beta + tr
    a_a, b_a = alpha + ta, beta + ta
    log_ar, log_br = np.log(a_r), np.log(b_r)
    log_aa, log_ba = np.log(a_a), np.log(b_a)
    # E[mu / (lambda + mu)] at t_x: X = lambda ~ Gamma(r + x, alpha + t_x), Y = mu ~ Gamma(s, beta + t_x)
    dead = _log_share(r + xr, a_r, np.full_like(tr, s), b_r, gradient=gradient)
    # E[lambda / (lambda + mu)] at T: the roles swapped
    alive = _log_share(np.full_like(ta, s), b_a, r + xa, a_a, gradient=gradient)
    first = dead[0] - (r + xr) * log_ar - s * log_br
    second = alive[0] - (r + xa) * log_aa - s * log_ba
    u = data.values
    const = gammaln(r + u) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    if not gradient:
        return first, second, const, None, None, None
    g_first = np.empty((4, len(tr)))
    g_first[0] = dead[1] - log_ar
    g_first[1] = dead[2] - (r + xr) / a_r
    g_first[2] = dead[3] - log_br
    g_first[3] = dead[4] - s / b_r
    g_second = np.empty((4, len(ta)))
    g_second[0] = alive[3] - log_aa
    g_second[1] = alive[4] - (r + xa) / a_a
    g_second[2] = alive[1] - log_ba
    g_second[3] = alive[2] - s / b_a
    g_const = np.empty((4, len(u)))
    g_const[0] = digamma(r + u) - digamma(r) + np.log(alpha)
    g_const[1] = r / alpha
    g_const[2] = np.log(beta)
    g_const[3] = s / beta
    return first, second, const, g_first, g_second, g_const


def loglik(params: FloatArray, data: ParetoNBDData) -> FloatArray:
    """Per-row log-likelihood at ``params = (r, alpha, s, beta)`` (see the module docstring).

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.43]), np.array([38.86])))
    >>> loglik(np.array([0.553, 10.578, 0.606, 11.669]), d).round(4)
    array([-9.5543])
    """
    first, second, const, _, _, _ = _log_terms(params, data, gradient=False)
    return np.asarray(
        const[data.index] + np.logaddexp(first[data.recency_index], second[data.age_index])
    )


def loglik_and_gradient(params: FloatArray, data: ParetoNBDData) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and its gradient with respect to ``(r, alpha, s, beta)``.

    Returns
    -------
    loglik : numpy.ndarray
        One value per row.
    gradient : numpy.ndarray
        Shape ``(4, rows)``: one row per parameter.

    Notes
    -----
    With $\ell = c(x) + \log(e^{A} + e^{B})$ and $w = \sigma(A - B)$ the share of the first term,
    $\nabla \ell = \nabla c + w \nabla A + (1 - w) \nabla B$. The derivatives of the hypergeometric terms
    in their parameters come from :func:`log_hyp1` (series and continued fraction differentiated term by
    term), so the gradient is analytic, not a difference quotient.

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.43]), np.array([38.86])))
    >>> ll, grad = loglik_and_gradient(np.array([0.553, 10.578, 0.606, 11.669]), d)
    >>> grad.T.round(4)
    array([[ 0.9237, -0.0001, -1.2366,  0.0369]])
    """
    first, second, const, g_first, g_second, g_const = _log_terms(params, data, gradient=True)
    if g_first is None or g_second is None or g_const is None:  # pragma: no cover - typing only
        msg = "gradient terms missing"
        raise AssertionError(msg)
    a = first[data.recency_index]
    b = second[data.age_index]
    ll = const[data.index] + np.logaddexp(a, b)
    with np.errstate(over="ignore"):
        w = 1.0 / (1.0 + np.exp(b - a))
    grad = (
        g_const[:, data.index]
        + w * g_first[:, data.recency_index]
        + (1.0 - w) * g_second[:, data.age_index]
    )
    return np.asarray(ll), np.asarray(grad)


def starts(columns: tuple[FloatArray, ...], weights: FloatArray) -> list[FloatArray]:
    r"""Deterministic starting values: the mean purchase rate and the mean age set the time scales.

    With $r = s = 1$, $\alpha$ is the observed time per repeat purchase (so $r / \alpha$ is the mean
    purchase rate) and $\beta$ the mean age $T$ (a mean lifetime of the order of the observation); the
    fallbacks halve and double every parameter.

    Examples
    --------
    >>> starts((np.array([1.0, 3.0]), np.array([2.0, 8.0]), np.array([10.0, 10.0])), np.ones(2))[0]
    array([ 1.,  5.,  1., 10.])
    """
    frequency, _, T = columns
    total = float(weights.sum())
    purchases = float(np.dot(weights, frequency))
    age = float(np.dot(weights, T)) / total if total > 0 else 1.0
    age = age if age > 0 else 1.0
    scale = float(np.dot(weights, T)) / purchases if purchases > 0 else age
    guess = np.array([1.0, scale, 1.0, age])
    return halved_and_doubled(guess)


PARETO_NBD: Final = Likelihood(
    model="ParetoNBD",
    params=PARAMS,
    prepare=prepare,
    loglik=loglik,
    starts=starts,
    loglik_and_gradient=loglik_and_gradient,
)
"""The Pareto/NBD likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


# --- predictions ------------------------------------------------------------------------------------------


def _log_p_alive(
    x: FloatArray, tx: FloatArray, age: FloatArray, *, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    r"""$\log P(\text{alive at } T) = -\log\big(e^{D} m_\mu(t_x) + m_\lambda(T)\big)$, flat rows.

    As in the likelihood (:class:`ParetoNBDData`), the two shares depend on ``(x, t_x)`` and on ``(x, T)``
    only, and are computed once per distinct pair (customers share them: 1M simulated customers hold
    17,070 distinct ``(x, T)``); each row of a share is computed on its own, so the result is the same to
    the last bit.
    """
    shape = x.shape
    x, tx, age = x.ravel(), tx.ravel(), age.ravel()
    (xd, td), at_recency = _pairs(x, tx)
    log_dead = _log_share(r + xd, alpha + td, np.full_like(xd, s), beta + td, gradient=False)[0]
    (xa, ta), at_age = _pairs(x, age)
    log_alive = _log_share(np.full_like(xa, s), beta + ta, r + xa, alpha + ta, gradient=False)[0]
    log_dead, log_alive = log_dead[at_recency], log_alive[at_age]
    # D = log of the ratio of the tilting weights at t_x and at T, >= 0; log1p keeps t_x close to T exact.
    gap = age - tx
    d = (r + x) * np.log1p(gap / (alpha + tx)) + s * np.log1p(gap / (beta + tx))
    return np.asarray(-np.logaddexp(d + log_dead, log_alive)).reshape(shape)


def p_alive(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    t: ArrayLike = 0.0,
) -> FloatArray:
    r"""Probability that a customer is alive at $T + t$, given $x$, $t_x$ and $T$.

    Notes
    -----
    At $T$ (Fader & Hardie 2005, eq. 36, rearranged into positive terms): the alive term of the
    likelihood over the whole,

    $$
    P(\text{alive at } T) = \left[\left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}
    \left(\frac{\beta + T}{\beta + t_x}\right)^{s} m_\mu(t_x) + m_\lambda(T)\right]^{-1}.
    $$

    Given alive at $T$, $\mu \sim \mathrm{Gamma}(s, \beta + T)$, so surviving $t$ more has probability
    $E[e^{-\mu t}] = \left(\frac{\beta + T}{\beta + T + t}\right)^s$, and
    $P(\text{alive at } T + t) = P(\text{alive at } T) \left(\frac{\beta + T}{\beta + T + t}\right)^s$.

    Examples
    --------
    >>> p_alive([0, 2], [0.0, 30.43], [38.86, 38.86], r=0.553, alpha=10.578, s=0.606, beta=11.669).round(4)
    array([0.2953, 0.8692])
    """
    x, tx, age = broadcast_floats(frequency, recency, T)
    log_alive = _log_p_alive(x, tx, age, r=r, alpha=alpha, s=s, beta=beta)
    later = np.asarray(t, dtype=np.float64)
    log_alive = log_alive - s * np.log1p(later / (beta + age))
    return np.asarray(np.minimum(np.exp(log_alive), 1.0))


def _mean_purchases(
    shape: ArrayLike, rate: ArrayLike, s: float, scale: ArrayLike, t: ArrayLike
) -> FloatArray:
    r"""$\frac{\text{shape}}{\text{rate}}\, \text{scale}\, \frac{1 - (\text{scale} / (\text{scale} + t))^{s - 1}}{s - 1}$.

    The expected purchases in $t$ of a customer alive at the start with $\lambda \sim
    \mathrm{Gamma}(\text{shape}, \text{rate})$ and $\mu \sim \mathrm{Gamma}(s, \text{scale})$:
    $E[\lambda] \int_0^t E[e^{-\mu u}] du$. With $L = \log(1 + t / \text{scale})$ and $v = (s - 1) L$ the
    last factor is $\text{scale} \cdot L \cdot (1 - e^{-v}) / v$, which stays exact at $s = 1$
    ($\text{scale} \cdot L$) and for small $t$.
    """
    big_l = np.log1p(np.asarray(t, dtype=np.float64) / np.asarray(scale, dtype=np.float64))
    v = (s - 1.0) * big_l
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(v == 0.0, 1.0, -np.expm1(-v) / v)
    return np.asarray(np.asarray(shape) / np.asarray(rate) * np.asarray(scale) * big_l * factor)


def expected_purchases(
    t: ArrayLike, *, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    r"""Compute the expected repeat purchases in $(0, t]$ of a new customer, $E[X(t)]$.

    Notes
    -----
    Schmittlein, Morrison & Colombo (1987); Fader & Hardie (2005, eq. 27):

    $$
    E[X(t)] = \frac{r \beta}{\alpha (s - 1)}\left[1 - \left(\frac{\beta}{\beta + t}\right)^{s - 1}\right],
    $$

    $\frac{r\beta}{\alpha} \log(1 + t/\beta)$ at $s = 1$ (evaluated without the $0/0$ there).

    Examples
    --------
    >>> expected_purchases([0.0, 39.0, 78.0], r=0.553, alpha=10.578, s=0.606, beta=11.669).round(4)
    array([0.    , 1.213 , 1.9094])
    """
    time = np.asarray(t, dtype=np.float64)
    return _mean_purchases(r, alpha, s, beta, time)


def conditional_expected_purchases(
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
) -> FloatArray:
    r"""Compute the expected purchases in $(T, T + t]$ of a customer with history $(x, t_x, T)$.

    Notes
    -----
    Fader & Hardie (2005, eq. 41): $P(\text{alive at } T)$ times the expected purchases of a customer
    alive at $T$, whose posterior is $\lambda \sim \mathrm{Gamma}(r + x, \alpha + T)$,
    $\mu \sim \mathrm{Gamma}(s, \beta + T)$:

    $$
    E[Y(t) \mid x, t_x, T] = P(\text{alive at } T)\, \frac{(r + x)(\beta + T)}{(\alpha + T)(s - 1)}
    \left[1 - \left(\frac{\beta + T}{\beta + T + t}\right)^{s - 1}\right].
    $$

    Examples
    --------
    >>> conditional_expected_purchases(39.0, [0, 2], [0.0, 30.43], [38.86, 38.86],
    ...                                r=0.553, alpha=10.578, s=0.606, beta=11.669).round(4)
    array([0.1071, 1.4551])
    """
    x, tx, age = broadcast_floats(frequency, recency, T)
    alive = np.exp(_log_p_alive(x, tx, age, r=r, alpha=alpha, s=s, beta=beta))
    return np.asarray(alive * _mean_purchases(r + x, alpha + age, s, beta + age, t))


def _scaled_hyperu(s: float, z: FloatArray) -> FloatArray:
    r"""$z^s U(s, s, z)$ for $z > 0$: an incomplete gamma recurrence below 1, a continued fraction above.

    $z^s U(s, s, z) = z^s e^z \Gamma(1 - s, z) = z\, g(1 - s)$ with $g(a) = z^{-a} e^z \Gamma(a, z)$.

    - $z < 1$ (and $s$ up to 30): $g$ at $a_0 = \lceil s \rceil - s \in [0, 1)$ from scipy's regularised
      incomplete gamma function (its exponential integral when $a_0 = 0$), then down to $a = 1 - s$ by
      $g(a) = (z\, g(a + 1) - 1) / a$, from $\Gamma(a + 1, z) = a \Gamma(a, z) + z^a e^{-z}$; each step scales
      an error by $z / |a| < 1$ once $|a| \ge 1$, so the recurrence is stable.
    - otherwise: Legendre's continued fraction for the incomplete gamma function,
      $z / (z + s - \frac{1 \cdot s}{z + s + 2 -} \frac{2 (s + 1)}{z + s + 4 -} \cdots)$, which needs about
      100 terms at $z = 1$, fewer for larger $z$ or $s$.

    scipy's ``hyperu`` is not used: it loses up to eight digits for $z$ between 3 and 30 and returns NaN
    for small $z$ once $s \ge 2$.
    """
    out = np.empty(z.shape)
    low = z < _HYPERU_MAX_Z
    if s > _RECURRENCE_MAX_S:
        low[:] = False
    if low.any():  # the recurrence takes ceil(s) steps: never called for s beyond _RECURRENCE_MAX_S
        out[low] = _scaled_hyperu_recurrence(s, z[low])
    zz = z[~low]
    f = zz + s
    cur = f.copy()
    dd = np.zeros_like(zz)
    for k in range(1, 1000):  # a loop over fraction terms, vectorised over the rows
        ak = -k * (k - 1.0 + s)
        bk = zz + 2.0 * k + s
        dd = bk + ak * dd
        dd = 1.0 / np.where(dd == 0.0, _TINY, dd)
        cur = bk + ak / cur
        cur = np.where(cur == 0.0, _TINY, cur)
        delta = cur * dd
        f = f * delta
        if np.all(np.abs(delta - 1.0) <= _TOLERANCE):
            break
    out[~low] = zz / f
    return out


def _scaled_hyperu_recurrence(s: float, z: FloatArray) -> FloatArray:
    r"""$z g(1 - s)$ for $0 < z < 1$ and $s \le$ ``_RECURRENCE_MAX_S``; see :func:`_scaled_hyperu`."""
    steps = math.ceil(s) - 1
    a = float(math.ceil(s) - s)
    if a == 0.0:
        g = np.exp(z) * exp1(z)
    else:
        g = np.exp(z - a * np.log(z) + gammaln(a)) * gammaincc(a, z)
    for _ in range(steps):  # a loop over whole steps of s (at most 30), vectorised over the rows
        a -= 1.0
        g = (z * g - 1.0) / a
    return np.asarray(z * g)


def discounted_expected_residual_transactions(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    discount_rate: float,
) -> FloatArray:
    r"""Compute the discounted expected residual transactions (DERT) of each customer after $T$.

    Notes
    -----
    With continuous discounting at rate $\delta$ per unit of time (Fader, Hardie & Lee 2005, "RFM and
    CLV"): $\mathrm{DERT} = E\left[\int_T^\infty \lambda\, e^{-\delta (\tau - T)}
    [\text{alive at } \tau]\, d\tau \,\middle|\, x, t_x, T\right]
    = P(\text{alive at } T)\, \frac{r + x}{\alpha + T}\, E\left[\frac{1}{\delta + \mu}\right]$ with
    $\mu \sim \mathrm{Gamma}(s, \beta + T)$, and
    $E[1 / (\delta + \mu)] = (\beta + T)^s \delta^{s - 1} U(s, s; \delta(\beta + T))$, $U$ the confluent
    hypergeometric function of the second kind (Tricomi's $\Psi$):

    $$
    \mathrm{DERT}(\delta \mid r, \alpha, s, \beta, x, t_x, T) =
    \frac{\alpha^r \beta^s \delta^{s - 1}\, \Gamma(r + x + 1)\, U(s, s; \delta(\beta + T))}
    {\Gamma(r)\, (\alpha + T)^{r + x + 1}\, L(r, \alpha, s, \beta \mid x, t_x, T)}.
    $$

    At $\delta = 0$ it is the expected number of all future transactions: $P(\text{alive})
    \frac{(r + x)(\beta + T)}{(\alpha + T)(s - 1)}$ for $s > 1$, infinite for $s \le 1$.

    Examples
    --------
    >>> discounted_expected_residual_transactions([0, 2], [0.0, 30.43], [38.86, 38.86], r=0.553,
    ...     alpha=10.578, s=0.606, beta=11.669, discount_rate=0.0027).round(3)
    array([0.477, 6.484])
    """
    x, tx, age = broadcast_floats(frequency, recency, T)
    alive = np.exp(_log_p_alive(x, tx, age, r=r, alpha=alpha, s=s, beta=beta))
    rate = (r + x) / (alpha + age)
    scale = beta + age
    if discount_rate == 0.0:
        lifetime = scale / (s - 1.0) if s > 1.0 else np.full(scale.shape, np.inf)
        return np.asarray(alive * rate * lifetime)
    z = np.asarray(discount_rate * scale, dtype=np.float64)
    flat = _scaled_hyperu(s, z.ravel()).reshape(z.shape)
    return np.asarray(alive * rate * flat / discount_rate)


def _death_by_quadrature(
    n: FloatArray,
    t: FloatArray,
    log_count: FloatArray,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
) -> FloatArray:
    r"""Compute the death term of :func:`probability_of_purchases` by the trapezoid rule.

    $\frac{s\, \beta^s \alpha^r\, \Gamma(r + n)}{\Gamma(r)\, n!} \int_0^t \frac{\tau^n\, d\tau}{(\alpha + \tau)^{r + n}
    (\beta + \tau)^{s + 1}}$ with $\tau = t\,\sigma(w)$, $\sigma$ the logistic function: the integrand in
    $w$, $n \log\frac{\tau}{\alpha + \tau} - r \log(1 + \tfrac{\tau}{\alpha}) - s \log(1 + \tfrac{\tau}{\beta})
    + \log\frac{\tau}{\beta + \tau} + \log(1 - \sigma)$ in log space, is smooth and falls like $e^{(n + 1) w}$ on
    the left (below $\tau \approx \min(\alpha, \beta)$) and like $e^{-w}$ on the right, so the trapezoid
    rule over a range that leaves out less than $e^{-45}$ converges exponentially. Entries with $t = 0$ are 0.
    """
    out = np.zeros(len(t))
    rows = np.flatnonzero(t > 0)
    if len(rows) == 0:
        return out
    tt, nn, lc = t[rows], n[rows], log_count[rows]
    log_t, log_a, log_b = np.log(tt), math.log(alpha), math.log(beta)
    # logit of min(alpha, beta, t / 2) / t, where the integrand stops rising like e^{(n + 1) w}
    log_corner = np.minimum(min(log_a, log_b) - log_t, -math.log(2.0))
    lo = log_corner - np.log1p(-np.exp(log_corner)) - _PMF_TAIL / (nn + 1.0) - 5.0
    hi = np.full(len(rows), _PMF_TAIL)

    def log_integrand(w: FloatArray, idx: IntArray) -> FloatArray:
        log_tau = log_t[idx, None] + log_expit(w)
        da, db = log_tau - log_a, log_tau - log_b
        value = (
            nn[idx, None] * log_expit(da)
            + r * log_expit(-da)
            + s * log_expit(-db)
            + log_expit(db)
            + log_expit(-w)
        )
        return np.asarray(value)

    log_death = log_trapezoid(
        log_integrand, lo, hi, points=_PMF_QUAD_START, levels=_PMF_QUAD_LEVELS, tol=_PMF_QUAD_TOL
    )
    out[rows] = np.exp(lc + math.log(s) + log_death)
    return out


def probability_of_purchases(
    n: ArrayLike, t: ArrayLike, *, r: float, alpha: float, s: float, beta: float
) -> FloatArray:
    r"""Probability that a new customer makes exactly $n$ repeat purchases in $(0, t]$.

    Notes
    -----
    Either the customer is alive at $t$ after $n$ purchases, or dies at some $\tau < t$ after $n$
    purchases (Fader & Hardie 2005; 2020):

    $$
    P(X(t) = n) = \frac{\Gamma(r + n)}{\Gamma(r)\, n!} \left(\frac{\alpha}{\alpha + t}\right)^r
    \left(\frac{t}{\alpha + t}\right)^n \left(\frac{\beta}{\beta + t}\right)^s
    + \frac{s\, \beta^s \alpha^r\, \Gamma(r + n)}{\Gamma(r)\, n!}
    \int_0^t \frac{\tau^n\, d\tau}{(\alpha + \tau)^{r + n} (\beta + \tau)^{s + 1}}.
    $$

    Fader and Hardie write the integral as a difference $B_1 - \sum_{i=0}^n B_{2,i}$ of Gauss
    hypergeometric terms, which loses every digit when the probability is small next to $B_1$ (short $t$,
    large $n$). Here it is a series of *positive* terms instead: with $u_t = t / (\alpha + t)$ and
    $B_u(a, b)$ the incomplete beta function,

    $$
    \int_0^t \cdots = \begin{cases}
    \alpha^{-r-s} \sum_{k \ge 0} \frac{(s + 1)_k}{k!} \left(\frac{\alpha - \beta}{\alpha}\right)^k
    B_{u_t}(n + 1, r + s + k) & \alpha \ge \beta, \\
    \alpha^{1-r} \beta^{-s-1} \sum_{k \ge 0} \frac{(s + 1)_k}{k!} \left(\frac{\beta - \alpha}{\beta}\right)^k
    B_{u_t}(n + 1 + k, r + s) & \alpha < \beta,
    \end{cases}
    $$

    from $\tau = \alpha u / (1 - u)$ and the binomial series of the remaining factor. The terms fall at least
    geometrically, by $\rho = |\alpha - \beta| / \max(\alpha, \beta)$, after a rise to about
    $k = s\rho / (1 - \rho)$. When that takes more than 100 terms ($\alpha$ and $\beta$ far apart, or large
    $s$), the integral is instead taken by the trapezoid rule in $w$, $\tau = t / (1 + e^{-w})$, where the
    integrand is smooth and falls exponentially at both ends; the step is halved until two levels agree.

    Examples
    --------
    >>> probability_of_purchases([0, 1, 2], 39.0, r=0.553, alpha=10.578, s=0.606, beta=11.669).round(4)
    array([0.5936, 0.1656, 0.0825])
    """
    k_n, time = broadcast_floats(n, t)
    shape = k_n.shape
    k_n, time = k_n.ravel(), time.ravel()
    log_count = log_negative_binomial_coefficient(r, k_n)
    alive = np.exp(
        log_count
        + r * np.log(alpha / (alpha + time))
        + xlogy(k_n, time / (alpha + time))
        + s * np.log(beta / (beta + time))
    )
    u_t = time / (alpha + time)
    if alpha >= beta:
        ratio = (alpha - beta) / alpha
        log_front = np.log(s) + s * np.log(beta / alpha) + log_count
    else:
        ratio = (beta - alpha) / beta
        log_front = np.log(s) + np.log(alpha / beta) + log_count
    if (s + 1.0) * ratio / (1.0 - ratio) + 45.0 / (1.0 - ratio) > _MAX_PMF_TERMS:
        total = _death_by_quadrature(k_n, time, log_count, r=r, alpha=alpha, s=s, beta=beta)
        return np.asarray(alive + total).reshape(shape)
    total = np.zeros_like(time)
    active = np.arange(len(time))  # the entries whose series has not converged yet
    first = k_n + 1.0
    log_coef = 0.0  # log((s + 1)_k / k! * ratio ** k)
    for k in range(4 * _MAX_PMF_TERMS):  # a loop over series terms, vectorised over n and t
        a_par = first[active] if alpha >= beta else first[active] + k
        b_par = r + s + k if alpha >= beta else r + s
        with np.errstate(divide="ignore"):
            term = np.exp(log_front[active] + log_coef + log_beta(a_par, b_par)) * betainc(
                a_par, b_par, u_t[active]
            )
        total[active] += term
        # Each later term is at most `shrink` times the one before (the incomplete beta functions fall).
        shrink = ratio * (s + 2.0 + k) / (k + 2.0)
        if shrink < 1.0:
            active = active[term * shrink / (1.0 - shrink) > _TOLERANCE * total[active]]
            if len(active) == 0:
                break
        log_coef += np.log(s + 1.0 + k) - np.log(k + 1.0) + np.log(ratio)
    if len(active):  # pragma: no cover - the estimate of the terms needed is generous
        total[active] = _death_by_quadrature(
            k_n[active], time[active], log_count[active], r=r, alpha=alpha, s=s, beta=beta
        )
    return np.asarray(alive + total).reshape(shape)
