r"""The BG/NBD model (Fader, Hardie & Lee 2005) and its MBG/NBD variant (Batislam, Denizel & Filiztekin 2007).

Why one module of about 800 lines: the likelihood is short; most of the length is the two expectations
over the posterior of $p$ (a series, a connection formula and a quadrature, section "expectations over the
posterior of p") that only this family's predictions read. Unlike the log-2F1 of the Pareto/NBD, which
:mod:`retention.core.clv.special` holds, they are not functions of general use: their arguments are this
model's parameters.

Pure numpy/scipy. A customer buys at the times of a Poisson process with rate $\lambda$ while alive and
drops out, for good, right after a purchase with probability $p$; across customers
$\lambda \sim \mathrm{Gamma}(r, \alpha)$ (shape, rate) and $p \sim \mathrm{Beta}(a, b)$, independently. The
data per customer are $x$ repeat purchases, the time $t_x$ of the last one and the age $T$, all measured
from the first purchase. The MBG/NBD also lets a customer drop out right after the *first* purchase, so a
customer without repeat purchases is not certainly alive.

Both models are one family here: with ``dropout_at_start`` (0 for BG/NBD, 1 for MBG/NBD) written $s$ and
$y = x + s$, a customer survives $y$ dropout chances in $(0, T]$, and

$$
L(r, \alpha, a, b \mid x, t_x, T) = \frac{\Gamma(r + x)\, \alpha^r}{\Gamma(r)}
\left[\frac{B(a, b + y)}{B(a, b)\,(\alpha + T)^{r + x}}
+ [y > 0]\,\frac{B(a + 1, b + y - 1)}{B(a, b)\,(\alpha + t_x)^{r + x}}\right],
$$

(FHL 2005, eq. 6, for $s = 0$; Batislam et al. 2007 for $s = 1$), evaluated in log space with ``gammaln``,
``betaln`` and ``logaddexp``. Terms that depend on $x$ alone are computed once per distinct $x$.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import (
    betainc,
    betaincc,
    betaln,
    digamma,
    expit,
    exprel,
    gammaln,
    gammasgn,
    log_expit,
    xlogy,
)

from retention.core.arrays import BoolArray, FloatArray, IntArray
from retention.core.clv.fitting import Likelihood, compress, distinct_values, halved_and_doubled
from retention.core.clv.special import (
    broadcast_floats,
    log_beta_ratio,
    log_negative_binomial_coefficient,
    log_rising,
    log_trapezoid,
    stirling_remainder,
)

__all__ = [
    "BETA_GEO",
    "MODIFIED_BETA_GEO",
    "PARAMS",
    "BetaGeoData",
    "conditional_expected_purchases",
    "expected_purchases",
    "loglik",
    "loglik_and_gradient",
    "p_alive",
    "prepare",
    "probability_of_purchases",
    "starts",
]


PARAMS: Final = ("r", "alpha", "a", "b")
"""The parameter names, in the order of every parameter vector."""

# Where each method of _posterior_expectation is used: the series for u up to _SERIES_MAX_U when the
# purchases R u expected of a customer who never drops out are at most _SERIES_MAX_MEAN; the connection
# formula for parameters up to _CONNECTION_MAX, where its error estimate is below _CONNECTION_TOL, with the
# factor 1 / (a - 1) cancelled by hand for |a - 1| < _NEAR_ONE; quadrature for the rest.
_SERIES_MAX_U: Final = 10.0
_SERIES_MAX_MEAN: Final = 300.0
_CONNECTION_MAX: Final = 60.0
_CONNECTION_TOL: Final = 1e-13
_NEAR_ONE: Final = 0.25
_QUAD_START: Final = 32  # trapezoid points of the first level ...
_QUAD_LEVELS: Final = 10  # ... and at most this many halvings of the step ...
_QUAD_TOL: Final = 1e-11  # ... until two levels agree to this (relative)
_TAIL: Final = 60.0  # the quadrature range leaves out tails below e^-60 of the peak
_MAX_TERMS: Final = 5000
_ULP: Final = 2.220446049250313e-16
_LOG_TWO_PI: Final = math.log(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class BetaGeoData:
    """Data rows prepared for the log-likelihood: the columns plus the distinct frequencies.

    Attributes
    ----------
    frequency, recency, T : numpy.ndarray
        One entry per row.
    values : numpy.ndarray
        The distinct frequencies.
    index : numpy.ndarray of int64
        Per row, the position of its frequency in ``values``.
    """

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    values: FloatArray
    index: IntArray


def prepare(columns: tuple[FloatArray, ...]) -> BetaGeoData:
    """Prepare ``(frequency, recency, T)`` columns for :func:`loglik`.

    Examples
    --------
    >>> d = prepare((np.array([0.0, 2.0, 2.0]), np.array([0.0, 3.0, 4.0]), np.array([5.0, 5.0, 6.0])))
    >>> d.values, d.index
    (array([0., 2.]), array([0, 1, 1]))
    """
    frequency, recency, T = columns
    values, index = distinct_values(frequency)
    return BetaGeoData(frequency, recency, T, values, index)


def _softplus_and_sigmoid(d: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``log(1 + e**d)`` and ``1 / (1 + e**-d)`` with one exponential; exact to rounding for any d."""
    e = np.exp(np.minimum(d, 30.0))
    # Above 30, log1p(e**30) = 30 to double precision, so the excess adds on linearly.
    return np.log1p(e) + np.maximum(d - 30.0, 0.0), e / (1.0 + e)


def _terms(
    params: FloatArray, data: BetaGeoData, shift: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-row pieces: the log of the first term, the log-ratio D of the second to the first, and logs."""
    r, alpha, a, b = (float(v) for v in params)
    u = data.values
    yu = u + shift
    second = yu > 0
    log_ratio_u = np.full(len(u), -np.inf)
    log_ratio_u[second] = np.log(a) - np.log(b + (yu[second] - 1.0))
    first_u = gammaln(r + u) - gammaln(r) + r * np.log(alpha) + betaln(a, b + yu) - betaln(a, b)
    x, idx = data.frequency, data.index
    rx = r + x
    log_t = np.log(alpha + data.T)
    # log(alpha + T) - log(alpha + t_x), accurate when t_x is close to T.
    gap = np.log1p((data.T - data.recency) / (alpha + data.recency))
    first = first_u[idx] - rx * log_t
    log_ratio = log_ratio_u[idx] + rx * gap
    return first, log_ratio, log_t, gap, rx


def loglik(params: FloatArray, data: BetaGeoData, *, dropout_at_start: bool = False) -> FloatArray:
    """Per-row log-likelihood at ``params = (r, alpha, a, b)`` (see the module docstring).

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.43]), np.array([38.86])))
    >>> loglik(np.array([0.243, 4.414, 0.793, 2.426]), d).round(4)
    array([-9.4586])
    """
    first, log_ratio, _, _, _ = _terms(params, data, int(dropout_at_start))
    return first + _softplus_and_sigmoid(log_ratio)[0]


def loglik_and_gradient(
    params: FloatArray, data: BetaGeoData, *, dropout_at_start: bool = False
) -> tuple[FloatArray, FloatArray]:
    r"""Per-row log-likelihood and its gradient with respect to ``(r, alpha, a, b)``.

    Returns
    -------
    loglik : numpy.ndarray
        One value per row.
    gradient : numpy.ndarray
        Shape ``(4, rows)``: one row per parameter.

    Notes
    -----
    With $w = \sigma(D)$ the share of the second term in the bracket ($D$ its log-ratio to the first) and
    $\psi$ the digamma function:

    $$
    \begin{aligned}
    \partial_r \log L &= \psi(r+x) - \psi(r) + \log\alpha - \log(\alpha+T) + w\,[\log(\alpha+T) - \log(\alpha+t_x)] \\
    \partial_\alpha \log L &= r/\alpha - (r+x)/(\alpha+T) + w\,(r+x)\,[1/(\alpha+T) - 1/(\alpha+t_x)] \\
    \partial_a \log L &= \psi(a+b) - \psi(a+b+y) + w/a \\
    \partial_b \log L &= \psi(b+y) - \psi(b) + \psi(a+b) - \psi(a+b+y) - w/(b+y-1)
    \end{aligned}
    $$

    Examples
    --------
    >>> d = prepare((np.array([2.0]), np.array([30.43]), np.array([38.86])))
    >>> ll, grad = loglik_and_gradient(np.array([0.243, 4.414, 0.793, 2.426]), d)
    >>> grad.T.round(4)
    array([[ 2.6962, -0.0002, -0.2029,  0.0766]])
    """
    r, alpha, a, b = (float(v) for v in params)
    shift = int(dropout_at_start)
    first, log_ratio, log_t, gap, rx = _terms(params, data, shift)
    softplus, w = _softplus_and_sigmoid(log_ratio)
    u, idx = data.values, data.index
    yu = u + shift
    inv_b_u = np.zeros(len(u))
    second = yu > 0
    inv_b_u[second] = 1.0 / (b + (yu[second] - 1.0))
    grad = np.empty((4, len(idx)))
    grad[0] = (digamma(r + u) - digamma(r) + np.log(alpha))[idx] - log_t + w * gap
    inv_t = 1.0 / (alpha + data.T)
    grad[1] = r / alpha - rx * (inv_t + w * (1.0 / (alpha + data.recency) - inv_t))
    grad[2] = (digamma(a + b) - digamma(a + b + yu))[idx] + w / a
    digamma_b = digamma(b + yu) - digamma(b) + digamma(a + b) - digamma(a + b + yu)
    grad[3] = digamma_b[idx] - w * inv_b_u[idx]
    return first + softplus, grad


def starts(columns: tuple[FloatArray, ...], weights: FloatArray) -> list[FloatArray]:
    r"""Deterministic starting values: the mean purchase rate sets the time scale of ``alpha``.

    With $r = 1$ the gamma mean $r/\alpha$ equals the observed repeat purchases per unit of time, so the
    start is right whatever the time unit; the fallbacks halve and double every parameter.

    Examples
    --------
    >>> starts((np.array([1.0, 3.0]), np.array([2.0, 8.0]), np.array([10.0, 10.0])), np.ones(2))[0]
    array([1., 5., 1., 3.])
    """
    frequency, _, T = columns
    purchases = float(np.dot(weights, frequency))
    scale = float(np.dot(weights, T)) / purchases if purchases > 0 else float(np.mean(T))
    guess = np.array([1.0, scale, 1.0, 3.0])
    return halved_and_doubled(guess)


def _likelihood(model: str, *, dropout_at_start: bool) -> Likelihood[BetaGeoData]:
    """Declare the likelihood of one member of the family: the same functions, one ``dropout_at_start``."""
    return Likelihood(
        model=model,
        params=PARAMS,
        prepare=prepare,
        loglik=partial(loglik, dropout_at_start=dropout_at_start),
        starts=starts,
        loglik_and_gradient=partial(loglik_and_gradient, dropout_at_start=dropout_at_start),
    )


BETA_GEO: Final = _likelihood("BetaGeo", dropout_at_start=False)
"""The BG/NBD likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""

MODIFIED_BETA_GEO: Final = _likelihood("ModifiedBetaGeo", dropout_at_start=True)
"""The MBG/NBD likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


# --- expectations over the posterior of p ------------------------------------------------------------
#
# Every look-ahead prediction is one of two expectations over p ~ Beta(a, B) (B = b + y), with the purchase
# rate already integrated out: with u = t / (alpha + T) (or t / alpha for a new customer) and R = r + x,
#
#   G = E[(1 + p u)^-R]           the probability of surviving t more, given alive now, and
#   M = E[(1 - (1 + p u)^-R) / p] the expected purchases in t, given alive now.
#
# Both are Gauss hypergeometric functions, G = 2F1(R, a; a + B; -u) and M = (a + B - 1) / (a - 1) [1 -
# 2F1(R, a - 1; a + B - 1; -u)], which SciPy's hyp2f1 evaluates to NaN, inf or a few correct digits for many
# valid arguments (large parameters, u large, R - a a whole number). They are computed here by one of three
# methods, tried in this order:
#
# 1. u <= _SERIES_MAX_U and a moderate expected count R u: a series of positive terms, summed directly;
# 2. otherwise the connection formula in 1 / (1 + u), accepted where its error estimate is small;
# 3. the rest (large parameters, R - a close to a whole number, ...): quadrature over logit(p).


def _series(R: FloatArray, a: float, B: FloatArray, u: FloatArray, *, mean: bool) -> FloatArray:
    r"""$\log G$ (``mean=False``) or $M$ by the negative-binomial series, whose terms are all positive.

    With $z = u / (1 + u)$, the purchases $N$ in the horizon of a customer who never drops out are
    negative binomial, $P(N = k) = \frac{(R)_k}{k!} (1 - z)^R z^k$, and a customer survives $k$ purchases
    with probability $S_k = E[(1 - p)^k] = (B)_k / (a + B)_k$; so $G = \sum_k P(N = k) S_k$ and
    $M = \sum_k P(N = k) \sum_{j < k} S_j$ (purchase $j + 1$ is made if the first $j$ were survived).
    Beyond the mode of $N$ the terms fall at least geometrically, so the rest of the sum is bounded by the
    last term; converged rows are set aside every four terms.
    """
    n = len(u)
    z = u / (1.0 + u)
    log_first = -R * np.log1p(u)  # log P(N = 0)
    out = np.empty(n)
    idx = np.arange(n)
    r_, z_, b_, ab_ = R.copy(), z.copy(), B.copy(), B + a
    count = np.ones(n)  # P(N = k) / P(N = 0)
    survive = np.ones(n)  # S_k
    made = np.zeros(n)  # sum_{j < k} S_j
    total = np.zeros(n) if mean else np.ones(n)
    work = np.empty(n)
    term = np.empty(n)
    k = 0
    while len(idx):
        for _ in range(4):  # a loop over series terms, each vectorised over the rows
            if mean:
                made += survive
            np.add(r_, k, out=work)
            work *= z_
            count *= work
            count *= 1.0 / (k + 1.0)
            np.add(b_, k, out=work)
            survive *= work
            np.add(ab_, k, out=work)
            survive /= work
            k += 1
            np.multiply(count, made if mean else survive, out=term)
            total += term
        # An upper bound on the ratio of all later terms to the one before.
        rho = z_ * np.maximum((r_ + k) / (k + 1.0), 1.0) * (1.0 + 1.0 / k)
        done = (rho < 1.0) & (term * rho <= 1e-17 * (1.0 - rho) * total)
        if k >= _MAX_TERMS:  # pragma: no cover - the dispatcher keeps the expected count moderate
            done[:] = True
        if np.any(done):
            where = idx[done]
            out[where] = (
                total[done] * np.exp(log_first[where])
                if mean
                else np.log(total[done]) + log_first[where]
            )
            keep = ~done
            idx, r_, z_, b_, ab_ = idx[keep], r_[keep], z_[keep], b_[keep], ab_[keep]
            count, survive, made, total = count[keep], survive[keep], made[keep], total[keep]
            work, term = work[keep], term[keep]
    return out


def _hyp_series(
    p: FloatArray, q: FloatArray, c: FloatArray, x: FloatArray, *, skip_first: bool = False
) -> tuple[FloatArray, FloatArray, BoolArray]:
    r"""$\sum_k \frac{(p)_k (q)_k}{(c)_k\, k!} x^k$ for $0 \le x \le 1/2$, term signs allowed.

    With ``skip_first`` the sum starts at $k = 1$ and $(q)_k$ is read as $(q)_{k-1}$. Returns the sum, the
    sum of the absolute values of the terms (for the error estimate) and whether it converged to a finite
    value. A row stops once no factor changes sign any more, the terms fall by at least 3/4 and the last
    is below $10^{-17}$ of the absolute sum.
    """
    n = len(x)
    total = np.zeros(n)
    size = np.zeros(n)
    good = np.zeros(n, dtype=np.bool_)
    idx = np.arange(n)
    pp, qq, cc, xx = p.copy(), q.copy(), c.copy(), x.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        term = pp * xx / cc if skip_first else np.ones(n)
    start = int(skip_first)
    run, run_size = term.copy(), np.abs(term)
    turn = np.maximum(np.maximum(-pp, -qq), -cc)
    k = start
    while len(idx):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = (pp + k) * (qq + (k - start)) * xx / ((cc + k) * (k + 1.0))
            term = term * ratio
            run = run + term
            run_size = run_size + np.abs(term)
        k += 1
        bad = ~np.isfinite(run_size)
        done = bad | (
            (k > turn + 1.0) & (np.abs(ratio) < 0.75) & (np.abs(term) <= 1e-17 * run_size)
        )
        if k >= _MAX_TERMS:  # pragma: no cover - a guard; x <= 1/2 converges long before
            bad |= ~done
            done[:] = True
        if np.any(done):
            where = idx[done]
            total[where] = run[done]
            size[where] = run_size[done]
            good[where] = ~bad[done]
            keep = ~done
            idx, pp, qq, cc, xx = idx[keep], pp[keep], qq[keep], cc[keep], xx[keep]
            term, run, run_size, turn = term[keep], run[keep], run_size[keep], turn[keep]
    return total, size, good


def _log_gamma_ratio(x: FloatArray, h: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""$\log|\Gamma(x + h) / \Gamma(x)|$, the sign of the ratio and a bound on the error of the log.

    Exact to rounding by :func:`~retention.core.clv.special.log_rising` where both arguments are
    positive; elsewhere a difference of ``gammaln`` values, whose error includes that of rounding the
    arguments (large close to a pole).
    """
    positive = (x > 0.0) & (x + h > 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        high, low = gammaln(x + h), gammaln(x)
        value = np.where(
            positive,
            log_rising(np.where(positive, x, 1.0), np.where(positive, h, 0.0)),
            high - low,
        )
        sign = np.where(positive, 1.0, gammasgn(x + h) * gammasgn(x))
        error = np.where(
            positive,
            4.0 * _ULP * (1.0 + np.abs(value)),
            _ULP * (np.abs(high) + np.abs(low) + 2.0)
            + _ULP * (np.abs(x) + np.abs(h)) * (np.abs(digamma(x + h)) + np.abs(digamma(x))),
        )
    return value, sign, error


def _connection_survival(
    R: FloatArray, a: float, B: FloatArray, u: FloatArray, log1p_u: FloatArray
) -> tuple[FloatArray, BoolArray]:
    r"""$\log G$ by the connection formula, and where it is accurate to ``_CONNECTION_TOL``.

    DLMF 15.8.4 in $\epsilon = 1 / (1 + u)$, applied to the Euler form
    $G = \epsilon^a {}_2F_1(a + B - R, a; a + B; 1 - \epsilon)$:

    $$
    G = \frac{\Gamma(a + B)\,\Gamma(a - R)}{\Gamma(a + B - R)\,\Gamma(a)}\, \epsilon^R
    {}_2F_1(R, B; 1 + R - a; \epsilon)
    + \frac{\Gamma(a + B)\,\Gamma(R - a)}{\Gamma(R)\,\Gamma(B)}\, \epsilon^a
    {}_2F_1(a + B - R, a; 1 + a - R; \epsilon).
    $$

    The two terms can be large and of opposite signs (when $R - a$ is close to a whole number, or
    $\epsilon$ not small); the error estimate adds up the rounding of both.
    """
    log_eps = -log1p_u  # -log(1 + u), also where u is beyond floats (eps is then 0)
    eps = 1.0 / (1.0 + u)
    av = np.full_like(R, a)
    first, first_size, ok1 = _hyp_series(R, B, 1.0 + R - a, eps)
    second, second_size, ok2 = _hyp_series(a + B - R, av, 1.0 + a - R, eps)
    l1, g1, e1 = _log_gamma_ratio(a + B - R, R)
    l2, g2, e2 = _log_gamma_ratio(av, -R)
    l3, g3, e3 = _log_gamma_ratio(B, av)
    l4, g4, e4 = _log_gamma_ratio(R, -av)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m1 = np.exp(l1 + l2 + R * log_eps)
        m2 = np.exp(l3 + l4 + a * log_eps)
        value = g1 * g2 * m1 * first + g3 * g4 * m2 * second
        error = m1 * first_size * (e1 + e2 + _ULP * (3.0 + R * np.abs(log_eps)))
        error += m2 * second_size * (e3 + e4 + _ULP * (3.0 + a * np.abs(log_eps)))
        good = ok1 & ok2 & np.isfinite(value) & np.isfinite(error) & (value > 0.0)
        good &= error <= _CONNECTION_TOL * value
        return np.log(np.where(good, value, 1.0)), good


def _connection_mean(
    R: FloatArray, a: float, B: FloatArray, u: FloatArray, log1p_u: FloatArray
) -> tuple[FloatArray, BoolArray]:
    r"""$M$ by the connection formula, and where it is accurate to ``_CONNECTION_TOL``.

    With $a' = a - 1$ and $c = a + B - 1$, $M = \frac{c}{a'}\,[1 - {}_2F_1(R, a'; c; -u)]$, and DLMF
    15.8.4 as in :func:`_connection_survival` with $a'$ for $a$ gives $M = H - K V - P$ with

    $$
    P = \frac{\Gamma(a + B)\,\Gamma(a - 1 - R)}{\Gamma(a + B - 1 - R)\,\Gamma(a)}\, \epsilon^R
    {}_2F_1(R, B; 2 + R - a; \epsilon), \quad
    K = \frac{\Gamma(a + B)\,\Gamma(R - a')}{\Gamma(R)\,\Gamma(B)}\, \epsilon^{a'}, \quad
    V = \sum_{k \ge 1} \frac{(c - R)_k\, (a)_{k-1}}{(a - R)_k\, k!} \epsilon^k,
    $$

    and $H = (c - K) / a'$: the factors $1 / a'$ of the closed form cancelled by hand, so that nothing is
    $0/0$ at $a = 1$. Close to $a = 1$ ($|a'| < 1/4$) $H$ is written $-c\,Y \frac{e^{a'Y} - 1}{a'Y}$ with
    $Y = [\log\frac{\Gamma(c)}{\Gamma(B)} + \log\frac{\Gamma(R - a')}{\Gamma(R)}] / a' + \log\epsilon$, both
    log-gamma differences from :func:`~retention.core.clv.special.log_rising` (at $a = 1$,
    $Y = \psi(B) - \psi(R) + \log\epsilon$).
    """
    log_eps = -log1p_u  # -log(1 + u), also where u is beyond floats (eps is then 0)
    eps = 1.0 / (1.0 + u)
    shift = a - 1.0
    c = shift + B
    av = np.full_like(R, a)
    first, first_size, ok1 = _hyp_series(R, B, 2.0 + R - a, eps)
    l1, g1, e1 = _log_gamma_ratio(c - R, 1.0 + R)
    l2, g2, e2 = _log_gamma_ratio(av, -1.0 - R)
    l3, g3, e3 = _log_gamma_ratio(B, av)
    l4, g4, e4 = _log_gamma_ratio(R, np.full_like(R, -shift))
    rest, rest_size, ok2 = _hyp_series(c - R, av, a - R, eps, skip_first=True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        m1 = np.exp(l1 + l2 + R * log_eps)
        part = g1 * g2 * m1 * first
        error = m1 * first_size * (e1 + e2 + _ULP * (3.0 + R * np.abs(log_eps)))
        mk = np.exp(l3 + l4 + shift * log_eps)
        k_error = e3 + e4 + _ULP * (3.0 + np.abs(shift * log_eps))
        error += mk * rest_size * (k_error + 3.0 * _ULP)
        usable = np.ones(len(u), dtype=np.bool_)
        if abs(shift) >= _NEAR_ONE:
            head = (c - g3 * g4 * mk) / shift
            error += (_ULP * (np.abs(c) + mk) + mk * k_error) / abs(shift)
        else:
            # log_rising needs positive arguments: B + a' > 0 and R - a' > 0 (else quadrature)
            usable = (c > 0.05) & (R - shift > 0.05)
            bs = np.where(usable, B, 1.0)
            rs = np.where(usable, R, 1.0)
            if shift == 0.0:
                d1, d2 = digamma(bs), digamma(rs)
                y = d1 - d2 + log_eps
                y_error = _ULP * (np.abs(d1) + np.abs(d2) + np.abs(log_eps) + 1.0)
            else:
                q1, q2 = log_rising(bs, shift), log_rising(rs, -shift)
                y = (q1 + q2) / shift + log_eps
                y_error = 4.0 * _ULP * (np.abs(q1) + np.abs(q2)) / abs(shift)
                y_error += _ULP * (np.abs(log_eps) + 1.0)
            head = -np.where(usable, c, 1.0) * y * exprel(shift * y)
            error += np.abs(head) * (4.0 * _ULP + y_error / np.abs(y) * (1.0 + np.abs(shift * y)))
        value = head - g3 * g4 * mk * rest - part
        good = usable & ok1 & ok2 & np.isfinite(value) & np.isfinite(error) & (value > 0.0)
        good &= error <= _CONNECTION_TOL * value
        return np.where(good, value, 0.0), good


# Below this log(p u), (1 - (1 + p u)^-R) / p is R u (1 - p u / 2).
_LOG_TINY: Final = math.log(1e-8)


def _log_factor_beyond_floats(
    log1p_u: FloatArray, log_p: FloatArray, power: FloatArray, *, mean: bool
) -> FloatArray:
    r"""Log of $(1 + p u)^{-R}$, or of $(1 - (1 + p u)^{-R}) / p$, from $\log u$ where $u$ is beyond floats.

    With $\ell = \log(1 + p u)$ (a softplus of $\log p + \log u$), the second is
    $R \ell / p \cdot (1 - e^{-R \ell}) / (R \ell)$; where $p u < 10^{-8}$ (for such $u$, only where $p$
    is tiny) it is $R u (1 - p u / 2)$, as in :func:`_quadrature`.
    """
    log_y = log1p_u + log_p  # log(p u)
    ell = np.logaddexp(0.0, log_y)
    if not mean:
        return np.asarray(-power * ell, dtype=np.float64)
    small = log_y < _LOG_TINY
    safe = np.where(small, 1.0, ell)
    return np.asarray(
        np.where(
            small,
            np.log(power) + log1p_u + np.log1p(-0.5 * np.exp(np.minimum(log_y, _LOG_TINY))),
            np.log(power) + np.log(safe) - log_p + np.log(exprel(-power * safe)),
        ),
        dtype=np.float64,
    )


def _quadrature(
    R: FloatArray, a: float, B: FloatArray, u: FloatArray, log1p_u: FloatArray, *, mean: bool
) -> FloatArray:
    r"""$\log G$ (``mean=False``) or $M$ by the trapezoid rule over $\operatorname{logit}(p)$.

    In $x = \operatorname{logit}(p)$ the density of $p$ is $p^a (1 - p)^B / B(a, B)$, smooth and falling
    at least like $e^{a x}$ and $e^{-B x}$; the integrand is that times $(1 + p u)^{-R}$, or times
    $(1 - (1 + p u)^{-R}) / p$. The substitution $x = x_0 + s \sinh v$ centres it at the mode $x_0$ of
    $p^a (1 - p)^B (1 + p w)^{-\rho}$ ($\rho = R$, $w = u$ for $G$; $\rho = 1$, $w = R u$, the same
    asymptotes, for $M$; a quadratic equation in $p$) with the scale $s \le 1$ of its curvature, and makes
    the long tails of small $a$ or $B$ fall doubly exponentially in $v$. The trapezoid rule on a range
    that holds all but $e^{-60}$ of the tails converges exponentially; the step is halved until two
    steps agree to ``_QUAD_TOL`` (the error of the finer one is then far smaller). The density is taken
    relative to its peak, $\log$ of which comes from Stirling's series, and
    $a \log(p/p^*) + B \log((1-p)/(1-p^*))$ as differences of softplus functions, so that no large terms
    cancel.
    """
    n = len(u)
    rho = np.ones(n) if mean else R
    with np.errstate(
        over="ignore"
    ):  # R u beyond floats (t / alpha near 1e308): w = inf, handled below
        w = R * u if mean else u
    # The mode: q2 s^2 + q1 s + q0 = 0 with q2 = (rho - a - B) w, q1 = (a - rho) w - a - B, q0 = a has one
    # root s = p in (0, 1) (the polynomial is a > 0 at 0 and -B (1 + w) < 0 at 1), the one of the two with
    # the larger denominator. Divided by max(w, 1), so that no coefficient overflows for horizons far
    # beyond the data (w up to 1e308), and taken as -(q1 + root) / (2 q2) where q1 > 0 (then q2 < 0), so
    # that q1 and the root never cancel.
    inverse = 1.0 / np.maximum(w, 1.0)  # 1 / max(w, 1): 0 for w = inf
    share = np.minimum(w, 1.0)  # w / max(w, 1)
    q2 = (rho - a - B) * share
    q1 = (a - rho) * share - (a + B) * inverse
    q0 = a * inverse
    root = np.sqrt(np.maximum(q1 * q1 - 4.0 * q2 * q0, 0.0))
    rising = q1 > 0.0
    sig = np.clip(
        np.where(rising, -(q1 + root), 2.0 * q0) / np.where(rising, 2.0 * q2, root - q1),
        1e-300,
        1 - 1e-16,
    )
    centre = np.log(sig) - np.log1p(-sig)
    slope = sig * (1.0 - sig)
    # (1 + w) p / (1 + w p), written for w > 1 with 1 / w (so that w = inf gives 1)
    tilted = np.where(
        w > 1.0, sig * (inverse + 1.0) / (inverse + sig), (1.0 + share) * sig / (1.0 + share * sig)
    )
    curvature = (a + B - rho) * slope + rho * tilted * (1.0 - tilted)
    scale = np.minimum(1.0, 1.0 / np.sqrt(np.maximum(curvature, 1e-300)))
    # log of the logit-space density at its peak p* = a / (a + B): a log p* + B log(1 - p*) - log B(a, B)
    log_peak = (
        0.5 * (np.log(a * B / (a + B)) - _LOG_TWO_PI)
        - stirling_remainder(np.full(n, a))
        - stirling_remainder(B)
        + stirling_remainder(a + B)
    )
    star = np.log(a) - np.log(B)  # logit(p*)
    offset = centre - star
    lo = -np.arcsinh((_TAIL / a + _TAIL + np.abs(offset)) / scale)
    hi = np.arcsinh((_TAIL / B + _TAIL + np.abs(offset)) / scale)
    star_lo, star_hi = log_expit(star), log_expit(-star)  # log p*, log(1 - p*)

    beyond = np.isinf(u)  # t / (alpha + T) beyond floats: read through log1p_u
    beyond_any = bool(beyond.any())

    def log_integrand(v: FloatArray, rows: IntArray) -> FloatArray:
        d = offset[rows, None] + scale[rows, None] * np.sinh(v)  # x - logit(p*)
        lp, lq = star_lo[rows, None], star_hi[rows, None]
        # log(p / p*) = -log(p* + (1 - p*) e^-d), log((1 - p) / (1 - p*)) = -log(1 - p* + p* e^d)
        log_density = -a * np.logaddexp(lp, lq - d) - B[rows, None] * np.logaddexp(lq, lp + d)
        log_p = log_expit(star[rows, None] + d)
        power = R[rows, None]
        with np.errstate(invalid="ignore"):  # rows of u beyond floats: replaced below
            y = u[rows, None] * np.exp(log_p)  # p u
            if mean:
                # (1 - (1 + y)^-R) / p = R u * (log1p(y) / y) * (1 - e^-l) / l, l = R log1p(y)
                ell = np.log1p(y)
                tiny = y < 1e-8
                ratio = np.where(tiny, 1.0 - 0.5 * y, ell / np.where(tiny, 1.0, y))
                # as a sum of logs: R u alone may be beyond floats
                factor = (
                    np.log(power) + np.log(u[rows, None]) + np.log(ratio * exprel(-power * ell))
                )
            else:
                factor = -power * np.log1p(y)
        if beyond_any:
            big = _log_factor_beyond_floats(log1p_u[rows, None], log_p, power, mean=mean)
            factor = np.where(beyond[rows, None], big, factor)
        return np.asarray(log_density + factor + np.log(scale[rows, None] * np.cosh(v)))

    # The exponent holds terms up to about a + B + R in size, so levels agree only to that many ulps: with
    # a and b in the millions (a fit that drifts to the limit of a fixed dropout probability) a tolerance
    # below that would halve the step to the last level and take seconds.
    tol = np.maximum(_QUAD_TOL, _ULP * (a + B + R))
    log_value = log_peak + log_trapezoid(
        log_integrand, lo, hi, points=_QUAD_START, levels=_QUAD_LEVELS, tol=tol
    )
    return np.exp(log_value) if mean else log_value


def _horizon(t: FloatArray, scale: FloatArray | np.float64) -> tuple[FloatArray, FloatArray]:
    r"""$u = t / \text{scale}$ and $\log(1 + u)$, the log also where $u$ itself is beyond floats.

    A horizon $t$ of 1e300 at $\alpha = 10^{-10}$ makes $u$ infinite, while the predictions stay finite
    numbers (for $a < 1$ the expected purchases grow like $u^{1 - a}$): they read $u$ through its log there.

    Examples
    --------
    >>> u, log1p_u = _horizon(np.array([3.0, 1e300]), np.float64(1e-10))
    >>> u, log1p_u.round(2)
    (array([3.e+10,    inf]), array([ 24.12, 713.8 ]))
    """
    with np.errstate(over="ignore"):
        u = np.asarray(t / scale, dtype=np.float64)
    log1p_u = np.asarray(np.log1p(u), dtype=np.float64)
    beyond = np.isinf(u)
    if beyond.any():
        tt, ss = np.broadcast_arrays(t, scale)
        log1p_u = np.where(beyond, np.log(tt) - np.log(ss), log1p_u)
    return u, log1p_u


def _posterior_expectation(
    R: ArrayLike,
    a: float,
    B: ArrayLike,
    u: ArrayLike,
    *,
    mean: bool,
    log1p_u: ArrayLike | None = None,
) -> FloatArray:
    r"""$\log G$ (``mean=False``) or $M$ (see the comment above :func:`_series`), broadcast and flattened.

    ``log1p_u`` is $\log(1 + u)$ (by default from ``u``): given where ``u`` is infinite (see :func:`_horizon`).
    Each distinct row $(R, B, u)$ is computed once: customers of the same frequency and age share it (1M
    simulated customers hold 17,070 distinct pairs), and every method computes a row on its own, so the
    result is the same to the last bit.
    """
    logs = np.log1p(np.asarray(u, dtype=np.float64)) if log1p_u is None else log1p_u
    rr, bb, uu, lu = (v.ravel() for v in broadcast_floats(R, B, u, logs))
    rows = compress([rr, bb, uu, lu])
    if len(rows.weights) == len(uu):  # no row twice: computed as they are
        return _expectation_rows(rr, bb, uu, lu, a, mean=mean)
    rd, bd, ud, ld = rows.columns
    return _expectation_rows(rd, bd, ud, ld, a, mean=mean)[rows.inverse]


def _expectation_rows(
    rr: FloatArray, bb: FloatArray, uu: FloatArray, lu: FloatArray, a: float, *, mean: bool
) -> FloatArray:
    """:func:`_posterior_expectation` of flat rows: each by the first method that is accurate for it."""
    out = np.empty(len(uu))
    with np.errstate(over="ignore"):  # R u beyond floats is not cheap
        cheap = (uu <= _SERIES_MAX_U) & (rr * uu <= _SERIES_MAX_MEAN)
    connection = (uu > 1.0) & ((uu > _SERIES_MAX_U) | ~cheap)
    connection &= (np.maximum(rr, bb) <= _CONNECTION_MAX) & (a <= _CONNECTION_MAX)
    rest = ~connection
    if np.any(connection):
        method = _connection_mean if mean else _connection_survival
        value, good = method(rr[connection], a, bb[connection], uu[connection], lu[connection])
        where = np.flatnonzero(connection)
        out[where[good]] = value[good]
        rest[where[~good]] = True
    series = rest & cheap
    if np.any(series):
        out[series] = _series(rr[series], a, bb[series], uu[series], mean=mean)
    hard = rest & ~cheap
    if np.any(hard):
        out[hard] = _quadrature(rr[hard], a, bb[hard], uu[hard], lu[hard], mean=mean)
    return out


def p_alive(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: ArrayLike = 0.0,
    dropout_at_start: bool = False,
) -> FloatArray:
    r"""Probability that a customer is alive at $T + t$, given $x$, $t_x$ and $T$.

    Notes
    -----
    At $T$ (FHL 2005, eq. 12; Batislam et al. 2007 for $s = 1$):

    $$
    P(\text{alive at } T) = \left[1 + [y > 0]\,\frac{a}{b + y - 1}
    \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}\right]^{-1}.
    $$

    Given alive at $T$, the posterior is $\lambda \sim \mathrm{Gamma}(r + x, \alpha + T)$ and
    $p \sim \mathrm{Beta}(a, b + y)$, independent; dropouts then arrive at rate $\lambda p$ (a Poisson
    stream of purchases, each fatal with probability $p$), so
    $P(\text{alive at } T + t \mid \text{alive at } T, \lambda, p) = e^{-\lambda p t}$. Averaging over the
    posterior with Euler's integral and Pfaff's transformation, with $z = t / (\alpha + T + t)$:

    $$
    \frac{P(\text{alive at } T + t)}{P(\text{alive at } T)}
    = E\!\left[\Big(1 + \tfrac{p\,t}{\alpha + T}\Big)^{-(r + x)}\right]
    = (1 - z)^{a}\, {}_2F_1(a + b + s - r,\, a;\, a + b + y;\, z).
    $$

    The expectation is summed as a series of positive terms, or by the connection formula in $1 - z$, or by
    quadrature over $p$, whichever is accurate to about $10^{-13}$ for the row (see
    :func:`_posterior_expectation`); SciPy's ``hyp2f1`` returns NaN, inf or few correct digits for many
    of these arguments (heavy buyers, large $a$, long horizons, $r + x - a$ a whole number).

    Examples
    --------
    >>> p_alive([0, 2], [0.0, 30.43], [38.86, 38.86], r=0.243, alpha=4.414, a=0.793, b=2.426).round(4)
    array([1.    , 0.7266])
    """
    x = np.asarray(frequency, dtype=np.float64)
    tx = np.asarray(recency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    s = int(dropout_at_start)
    y = x + s
    second = y > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where(
            second,
            np.log(a)
            - np.log(np.where(second, b + (y - 1.0), 1.0))
            + (r + x) * np.log1p((age - tx) / (alpha + tx)),
            -np.inf,
        )
    alive = expit(-log_ratio)
    later = np.asarray(t, dtype=np.float64)
    if not np.any(later > 0):
        return np.asarray(alive * np.ones_like(later), dtype=np.float64)
    u, log1p_u = _horizon(later, alpha + age)
    shape = np.broadcast_shapes(x.shape, u.shape)
    log_factor = _posterior_expectation(r + x, a, b + y, u, mean=False, log1p_u=log1p_u).reshape(
        shape
    )
    return np.asarray(alive * np.exp(log_factor), dtype=np.float64)


def expected_purchases(
    t: ArrayLike, *, r: float, alpha: float, a: float, b: float, dropout_at_start: bool = False
) -> FloatArray:
    r"""Compute the expected repeat purchases in $(0, t]$ of a new customer, $E[X(t)]$.

    Notes
    -----
    BG/NBD (FHL 2005, eq. 9):
    $E[X(t)] = \frac{a + b - 1}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
    {}_2F_1\!\left(r, b; a + b - 1; \frac{t}{\alpha + t}\right)\right]$.
    MBG/NBD (Batislam et al. 2007): $\frac{b}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
    {}_2F_1\!\left(r, b + 1; a + b; \frac{t}{\alpha + t}\right)\right]$, the BG/NBD value with $b + 1$ for
    $b$ times the probability $b / (a + b)$ of surviving the first purchase. Both are
    $E[(1 - (1 + p\,t/\alpha)^{-r}) / p]$ over $p \sim \mathrm{Beta}(a, b + s)$ (times $b / (a + b)$ for
    $s = 1$), continuous at $a = 1$ where the closed form is $0/0$; it is evaluated without that singularity
    and without SciPy's ``hyp2f1`` (see :func:`_posterior_expectation`).

    Examples
    --------
    >>> expected_purchases([0.0, 39.0, 78.0], r=0.243, alpha=4.414, a=0.793, b=2.426).round(4)
    array([0.    , 1.1967, 1.8605])
    """
    time = np.asarray(t, dtype=np.float64)
    s = float(dropout_at_start)
    u, log1p_u = _horizon(time, np.float64(alpha))
    value = _posterior_expectation(r, a, b + s, u, mean=True, log1p_u=log1p_u).reshape(time.shape)
    if dropout_at_start:
        value = b / (a + b) * value
    return np.asarray(np.where(time > 0, value, 0.0), dtype=np.float64)


def conditional_expected_purchases(
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    dropout_at_start: bool = False,
) -> FloatArray:
    r"""Compute the expected purchases in $(T, T + t]$ of a customer with history $(x, t_x, T)$.

    Notes
    -----
    FHL 2005, eq. 10 (Batislam et al. 2007 for $s = 1$): $P(\text{alive at } T)$ times the expected purchases
    of a customer alive at $T$ with posterior $\lambda \sim \mathrm{Gamma}(r + x, \alpha + T)$,
    $p \sim \mathrm{Beta}(a, b + y)$:

    $$
    E[Y(t) \mid x, t_x, T] = \frac{\frac{a + b + y - 1}{a - 1}\left[1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
    {}_2F_1\!\left(r + x, b + y; a + b + y - 1; \frac{t}{\alpha + T + t}\right)\right]}
    {1 + [y > 0]\, \frac{a}{b + y - 1} \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}}.
    $$

    The numerator is $E[(1 - (1 + p\,u)^{-(r + x)}) / p]$ with $u = t / (\alpha + T)$ over
    $p \sim \mathrm{Beta}(a, b + y)$, evaluated as in :func:`expected_purchases`.

    Examples
    --------
    >>> conditional_expected_purchases(39.0, [0, 2], [0.0, 30.43], [38.86, 38.86],
    ...                                r=0.243, alpha=4.414, a=0.793, b=2.426).round(4)
    array([0.1951, 1.226 ])
    """
    x = np.asarray(frequency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    s = float(dropout_at_start)
    alive = p_alive(x, recency, age, r=r, alpha=alpha, a=a, b=b, dropout_at_start=dropout_at_start)
    horizon = np.asarray(t, dtype=np.float64)
    u, log1p_u = _horizon(horizon, alpha + age)
    shape = np.broadcast_shapes(x.shape, u.shape)
    given_alive = _posterior_expectation(
        r + x, a, b + x + s, u, mean=True, log1p_u=log1p_u
    ).reshape(shape)
    return np.asarray(np.where(horizon > 0, alive * given_alive, 0.0), dtype=np.float64)


def probability_of_purchases(
    n: ArrayLike,
    t: ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    dropout_at_start: bool = False,
) -> FloatArray:
    r"""Probability that a new customer makes exactly $n$ repeat purchases in $(0, t]$.

    Notes
    -----
    FHL 2005, eq. 8 (Batislam et al. 2007 for $s = 1$), with $y = n + s$: either the customer is alive at
    $t$ after $n$ purchases, or dropped out at the $n$-th purchase (the first one, at time 0, for
    $n = 0$ in the MBG/NBD), which happened before $t$:

    $$
    P(X(t) = n) = \frac{B(a, b + y)}{B(a, b)}\, \mathrm{NB}(n; r, \tfrac{\alpha}{\alpha + t})
    + [y > 0]\,\frac{B(a + 1, b + y - 1)}{B(a, b)}\, P(N(t) \ge n),
    $$

    where $\mathrm{NB}(n; r, q) = \frac{\Gamma(r + n)}{\Gamma(r)\, n!} q^r (1 - q)^n$ is the number of
    purchases $N(t)$ of a customer who never drops out, and
    $P(N(t) \ge n) = I_{t / (\alpha + t)}(n, r)$ is a regularised incomplete beta function (1 for
    $n = 0$), evaluated as $1 - I_{\alpha / (\alpha + t)}(r, n)$ when $t > \alpha$ (where
    $1 - t/(\alpha + t)$ would lose digits). The beta ratios come from
    :func:`~retention.core.clv.special.log_beta_ratio`, which keeps their digits for large $a$ and $b$.

    Examples
    --------
    >>> probability_of_purchases([0, 1, 2], 39.0, r=0.243, alpha=4.414, a=0.793, b=2.426).round(4)
    array([0.5738, 0.1994, 0.0854])
    """
    k = np.asarray(n, dtype=np.float64)
    time = np.asarray(t, dtype=np.float64)
    y = k + float(dropout_at_start)
    q = time / (alpha + time)
    log_nb = (
        log_negative_binomial_coefficient(r, k) + r * np.log(alpha / (alpha + time)) + xlogy(k, q)
    )
    # B(a, b + y) / B(a, b) and B(a + 1, b + y - 1) / B(a, b) = a / (a + b) B(a + 1, b + y - 1) / B(a + 1, b)
    alive = np.exp(log_beta_ratio(a, b, y) + log_nb)
    second = y > 0
    rest = alpha / (alpha + time)  # 1 - q, exact also when q is close to 1
    n_safe = np.maximum(k, 1.0)
    reached = np.where(
        k > 0, np.where(q <= 0.5, betainc(n_safe, r, q), betaincc(r, n_safe, rest)), 1.0
    )
    log_dropped = math.log(a / (a + b)) + log_beta_ratio(a + 1.0, b, np.where(second, y - 1.0, 0.0))
    dropped = np.where(second, np.exp(log_dropped) * reached, 0.0)
    return np.asarray(alive + dropped, dtype=np.float64)
