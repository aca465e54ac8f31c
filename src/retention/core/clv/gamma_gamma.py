r"""The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

Pure numpy/scipy. The amount $z$ of each transaction of a customer is $\mathrm{Gamma}(p, \nu)$ (shape $p$,
rate $\nu$, so the customer's mean amount is $p/\nu$); across customers $\nu \sim \mathrm{Gamma}(q, \gamma)$
(shape $q$, rate $\gamma$). The data per customer are the number $x \ge 1$ of (repeat) transactions and
their mean amount $\bar z$, which given $\nu$ is $\mathrm{Gamma}(p x, \nu x)$. Integrating $\nu$ out
(Fader & Hardie 2013, eq. 3):

$$
f(\bar z \mid p, q, \gamma; x) = \frac{\Gamma(p x + q)}{\Gamma(p x)\, \Gamma(q)}
\frac{\gamma^q\, \bar z^{\,p x - 1}\, x^{p x}}{(\gamma + x \bar z)^{p x + q}},
$$

evaluated in log space as
$\log\Gamma(px+q) - \log\Gamma(px) - \log\Gamma(q) - px\,[\log(\gamma + s) - \log s]
- q\,[\log(\gamma + s) - \log\gamma] - \log\bar z$ with $s = x\bar z$: the log-gamma terms once per
distinct $x$, the larger of $px$ and $q$ shifted by the smaller one with
:func:`~retention.core.clv.special.log_rising` (a difference of ``gammaln`` values loses their digits,
$10^{-9}$ at $px = 10^6$), and per row the two brackets,
$\log(1 + \gamma/s)$ and $\log(1 + s/\gamma)$: the one that can be small (multiplied by $p x$ or $q$, it
must keep its digits) with ``log1p``, the other as it plus $\log(s/\gamma)$. The digamma differences of
the gradient are taken the same way (:func:`~retention.core.clv.special.digamma_difference`).

The factor $x^{px}$ is the Jacobian of the mean $\bar z = (\text{total})/x$; it depends on $p$, so it is
part of the likelihood, not a constant: dropping it changes the estimates. The published log-likelihood
(-4055.9 on the CDNOW sample) is this density of the *mean*; the density of the *total* $x\bar z$ differs
from it by the constant $-\sum_i \log x_i$.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from retention.core.arrays import FloatArray, IntArray
from retention.core.clv.fitting import Likelihood, distinct_values
from retention.core.clv.special import broadcast_floats, digamma_difference, log_rising

__all__ = [
    "CORRELATION_THRESHOLD",
    "GAMMA_GAMMA",
    "PARAMS",
    "GammaGammaData",
    "conditional_expected_spend",
    "loglik",
    "loglik_and_gradient",
    "mean_spend",
    "prepare",
    "spend_correlation",
    "starts",
]


PARAMS: Final = ("p", "q", "gamma")
"""The parameter names, in the order of every parameter vector."""

CORRELATION_THRESHOLD: Final = 0.3
"""Largest absolute Pearson correlation of frequency and mean spend accepted without a warning."""


@dataclass(frozen=True, slots=True)
class GammaGammaData:
    r"""Data rows prepared for the log-likelihood.

    Attributes
    ----------
    frequency : numpy.ndarray
        The number of transactions $x \ge 1$ of each row.
    total : numpy.ndarray
        $x \bar z$, the total amount of each row.
    log_total : numpy.ndarray
        $\log(x \bar z)$.
    log_spend : numpy.ndarray
        $\log \bar z$.
    values : numpy.ndarray
        The distinct frequencies.
    index : numpy.ndarray of int64
        Per row, the position of its frequency in ``values``.
    """

    frequency: FloatArray
    total: FloatArray
    log_total: FloatArray
    log_spend: FloatArray
    values: FloatArray
    index: IntArray


def prepare(columns: tuple[FloatArray, ...]) -> GammaGammaData:
    """Prepare ``(frequency, monetary_value)`` columns (frequency >= 1, spend > 0) for :func:`loglik`.

    Examples
    --------
    >>> d = prepare((np.array([1.0, 3.0, 1.0]), np.array([10.0, 20.0, 30.0])))
    >>> d.total, d.values, d.index
    (array([10., 60., 30.]), array([1., 3.]), array([0, 1, 0]))
    """
    frequency, spend = columns
    values, index = distinct_values(frequency)
    log_spend = np.log(spend)
    return GammaGammaData(
        frequency=frequency,
        total=frequency * spend,
        log_total=np.log(frequency) + log_spend,
        log_spend=log_spend,
        values=values,
        index=index,
    )


def _log_gamma_terms(px: FloatArray, q: float) -> FloatArray:
    """``gammaln(px + q) - gammaln(px) - gammaln(q)``, the larger argument shifted by the smaller one."""
    qs = np.full_like(px, q)
    small, large = np.minimum(px, qs), np.maximum(px, qs)
    return np.asarray(log_rising(large, small) - gammaln(small), dtype=np.float64)


def _log_ratios(data: GammaGammaData, gamma: float) -> tuple[FloatArray, FloatArray]:
    """``log((gamma + s) / s)`` and ``log((gamma + s) / gamma)`` per row, each exact when small.

    The one of the two that can be small (the first when ``s > gamma``, the second when ``s < gamma``) is a
    ``log1p``; the other is it plus ``log(s / gamma)``, a sum without cancellation.
    """
    s = data.total
    log_ratio = data.log_total - math.log(gamma)  # log(s / gamma)
    above = s >= gamma
    with np.errstate(divide="ignore"):
        small = np.log1p(np.where(above, gamma / s, s / gamma))
    log_share = np.where(above, small, small - log_ratio)
    log_growth = np.where(above, small + log_ratio, small)
    return log_share, log_growth


def loglik(params: FloatArray, data: GammaGammaData) -> FloatArray:
    r"""Per-row log-likelihood of the mean spend at ``params = (p, q, gamma)`` (module docstring).

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.0])))
    >>> loglik(np.array([6.25, 3.74, 15.44]), d).round(4)
    array([-3.847])
    """
    p, q, gamma = (float(v) for v in params)
    u = data.values
    constant_u = _log_gamma_terms(p * u, q)
    log_share, log_growth = _log_ratios(data, gamma)
    ll: FloatArray = constant_u[data.index] - p * data.frequency * log_share - q * log_growth
    return ll - data.log_spend


def loglik_and_gradient(params: FloatArray, data: GammaGammaData) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and its gradient with respect to ``(p, q, gamma)``.

    Returns
    -------
    loglik : numpy.ndarray
        One value per row.
    gradient : numpy.ndarray
        Shape ``(3, rows)``: one row per parameter.

    Notes
    -----
    With $\psi$ the digamma function and $s = x \bar z$ the total amount:

    $$
    \begin{aligned}
    \partial_p \log f &= x\,[\psi(px + q) - \psi(px) - \log(1 + \gamma / s)] \\
    \partial_q \log f &= \psi(px + q) - \psi(q) - \log(1 + s / \gamma) \\
    \partial_\gamma \log f &= q / \gamma - (px + q) / (\gamma + s)
    \end{aligned}
    $$

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.0])))
    >>> ll, grad = loglik_and_gradient(np.array([6.25, 3.74, 15.44]), d)
    >>> grad.T.round(4)
    array([[ 0.0844, -0.0095,  0.027 ]])
    """
    p, q, gamma = (float(v) for v in params)
    u, idx, x, s = data.values, data.index, data.frequency, data.total
    pu = p * u
    constant_u = _log_gamma_terms(pu, q)
    log_share, log_growth = _log_ratios(data, gamma)
    ll = constant_u[idx] - p * x * log_share - q * log_growth - data.log_spend
    grad = np.empty((3, len(idx)))
    grad[0] = x * (digamma_difference(pu, q)[idx] - log_share)
    grad[1] = digamma_difference(np.full_like(pu, q), pu)[idx] - log_growth
    grad[2] = (q * s - gamma * p * x) / (gamma * (gamma + s))  # q / gamma - (p x + q) / (gamma + s)
    return ll, grad


def starts(columns: tuple[FloatArray, ...], weights: FloatArray) -> list[FloatArray]:
    r"""Deterministic starting values: the mean spend sets the money scale of ``gamma``.

    The population mean spend is $p\gamma / (q - 1)$, so with $p = 1$, $q = 3$ the start
    $\gamma = 2\,\bar m$ matches the observed mean whatever the currency; the fallbacks move $p$ and $q$
    (a tighter and a looser spread) with $\gamma$ keeping the same mean.

    Examples
    --------
    >>> starts((np.array([1.0, 3.0]), np.array([10.0, 30.0])), np.ones(2))[0]
    array([ 1.,  3., 40.])
    """
    _, spend = columns
    mean = float(np.dot(weights, spend) / weights.sum())
    return [
        np.array([1.0, 3.0, 2.0 * mean]),
        np.array([5.0, 3.0, 0.4 * mean]),
        np.array([0.5, 6.0, 10.0 * mean]),
    ]


GAMMA_GAMMA: Final = Likelihood(
    model="GammaGamma",
    params=PARAMS,
    prepare=prepare,
    loglik=loglik,
    starts=starts,
    loglik_and_gradient=loglik_and_gradient,
)
"""The Gamma-Gamma likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


def mean_spend(*, p: float, q: float, gamma: float) -> float:
    r"""Compute the population mean spend per transaction, $E[Z] = p\gamma / (q - 1)$; NaN if $q \le 1$.

    For $q \le 1$ the mean of $1/\nu$ under $\nu \sim \mathrm{Gamma}(q, \gamma)$ is infinite, so the
    population has no finite mean spend.

    Examples
    --------
    >>> round(mean_spend(p=6.25, q=3.74, gamma=15.44), 2)
    35.22
    >>> mean_spend(p=1.0, q=0.9, gamma=1.0)
    nan
    """
    return p * gamma / (q - 1.0) if q > 1.0 else math.nan


def conditional_expected_spend(
    frequency: ArrayLike, monetary_value: ArrayLike, *, p: float, q: float, gamma: float
) -> FloatArray:
    r"""Predict the spend per transaction of a customer with $x$ transactions of mean amount $\bar z$.

    Notes
    -----
    Given the data, $\nu \sim \mathrm{Gamma}(q + p x, \gamma + x \bar z)$, so (Fader & Hardie 2013,
    eq. 5) $E[Z \mid x, \bar z] = E[p / \nu] = \frac{p (\gamma + x \bar z)}{p x + q - 1}$, a weighted
    mean of the population mean and the customer's own mean:

    $$
    E[Z \mid x, \bar z] = \frac{q - 1}{p x + q - 1} \frac{p \gamma}{q - 1}
    + \frac{p x}{p x + q - 1}\, \bar z .
    $$

    For $x = 0$ this is the population mean $p\gamma / (q - 1)$ whatever $\bar z$. It is finite only when
    $p x + q > 1$; elsewhere the result is NaN. Where $\gamma + x \bar z$ or $p x$ overflows (a huge
    frequency or spend), the weighted form is used, $\frac{p\gamma}{p x + q - 1} + \bar z \big/
    \big(1 + \frac{q - 1}{p x}\big)$, which stays finite: the mean is never $\infty$ for finite data.

    Examples
    --------
    >>> conditional_expected_spend([0, 2, 10], [0.0, 30.0, 30.0], p=6.25, q=3.74, gamma=15.44).round(2)
    array([35.22, 30.94, 30.22])
    >>> conditional_expected_spend([1e300], [1e100], p=6.25, q=3.74, gamma=15.44)  # no overflow
    array([1.e+100])
    """
    x, spend = broadcast_floats(frequency, monetary_value)
    z = np.where(x > 0, spend, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        denominator = p * x + (q - 1.0)
        value = p * (gamma + x * z) / denominator
        lost = ~np.isfinite(value) & (denominator > 0)
        if lost.any():
            xs, zs, ds = x[lost], z[lost], denominator[lost]
            value[lost] = p * gamma / ds + zs / (1.0 + (q - 1.0) / (p * xs))
    return np.asarray(np.where(denominator > 0, value, np.nan), dtype=np.float64)


def spend_correlation(frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike) -> float:
    r"""Weighted Pearson correlation of frequency and mean spend; NaN for fewer than 3 rows or no spread.

    The Gamma-Gamma model assumes that spend per transaction is independent of the number of
    transactions; Fader & Hardie (2013) check it with this correlation (0.11 on the CDNOW sample).

    Examples
    --------
    >>> round(spend_correlation([1, 2, 3, 4], [10.0, 12.0, 9.0, 11.0], [1, 1, 1, 1]), 4)
    0.0
    >>> spend_correlation([1, 1, 1], [10.0, 12.0, 9.0], [1, 1, 1])
    nan
    """
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if np.count_nonzero(w) < 3 or total <= 0:
        return math.nan
    dx = x - np.dot(w, x) / total
    dm = m - np.dot(w, m) / total
    sxx, smm, sxm = float(np.dot(w, dx * dx)), float(np.dot(w, dm * dm)), float(np.dot(w, dx * dm))
    if sxx <= 0 or smm <= 0:
        return math.nan
    return sxm / math.sqrt(sxx * smm)
