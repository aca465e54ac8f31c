r"""The BG/NBD model (Fader, Hardie & Lee 2005) and its MBG/NBD variant (Batislam, Denizel & Filiztekin 2007).

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

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1, xlogy

from retention.core.clv.fitting import Likelihood

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

Array = NDArray[np.float64]

PARAMS: Final = ("r", "alpha", "a", "b")
"""The parameter names, in the order of every parameter vector."""

# Removable singularities of the closed forms (a = 1, and a + b = 1 for a new BG/NBD customer) are stepped
# around: the value there is the mean of the values this far on either side (error of order _NUDGE ** 2).
_NUDGE: Final = 1e-4
_EXCESS_GAP: Final = 1e-5
_MAX_TERMS: Final = 400


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

    frequency: Array
    recency: Array
    T: Array
    values: Array
    index: NDArray[np.int64]


def prepare(columns: tuple[Array, ...]) -> BetaGeoData:
    """Prepare ``(frequency, recency, T)`` columns for :func:`loglik`.

    Examples
    --------
    >>> d = prepare((np.array([0.0, 2.0, 2.0]), np.array([0.0, 3.0, 4.0]), np.array([5.0, 5.0, 6.0])))
    >>> d.values, d.index
    (array([0., 2.]), array([0, 1, 1]))
    """
    frequency, recency, T = columns
    if len(frequency) and np.all(frequency[1:] >= frequency[:-1]):
        # Compressed rows come sorted by frequency: no need to sort again.
        change = np.empty(len(frequency), dtype=np.bool_)
        change[0] = True
        np.not_equal(frequency[1:], frequency[:-1], out=change[1:])
        values = frequency[change]
        index = np.cumsum(change) - 1
    else:
        values, index = np.unique(frequency, return_inverse=True)
    return BetaGeoData(frequency, recency, T, values, index.astype(np.int64, copy=False))


def _softplus_and_sigmoid(d: Array) -> tuple[Array, Array]:
    """``log(1 + e**d)`` and ``1 / (1 + e**-d)`` with one exponential; exact to rounding for any d."""
    e = np.exp(np.minimum(d, 30.0))
    # Above 30, log1p(e**30) = 30 to double precision, so the excess adds on linearly.
    return np.log1p(e) + np.maximum(d - 30.0, 0.0), e / (1.0 + e)


def _terms(
    params: Array, data: BetaGeoData, shift: int
) -> tuple[Array, Array, Array, Array, Array]:
    """Per-row pieces: the log of the first term, the log-ratio D of the second to the first, and logs."""
    r, alpha, a, b = (float(v) for v in params)
    u = data.values
    yu = u + shift
    second = yu > 0
    log_ratio_u = np.full(len(u), -np.inf)
    log_ratio_u[second] = np.log(a) - np.log(b + yu[second] - 1.0)
    first_u = gammaln(r + u) - gammaln(r) + r * np.log(alpha) + betaln(a, b + yu) - betaln(a, b)
    x, idx = data.frequency, data.index
    rx = r + x
    log_t = np.log(alpha + data.T)
    # log(alpha + T) - log(alpha + t_x), accurate when t_x is close to T.
    gap = np.log1p((data.T - data.recency) / (alpha + data.recency))
    first = first_u[idx] - rx * log_t
    log_ratio = log_ratio_u[idx] + rx * gap
    return first, log_ratio, log_t, gap, rx


def loglik(params: Array, data: BetaGeoData, *, dropout_at_start: bool = False) -> Array:
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
    params: Array, data: BetaGeoData, *, dropout_at_start: bool = False
) -> tuple[Array, Array]:
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
    inv_b_u[second] = 1.0 / (b + yu[second] - 1.0)
    grad = np.empty((4, len(idx)))
    grad[0] = (digamma(r + u) - digamma(r) + np.log(alpha))[idx] - log_t + w * gap
    inv_t = 1.0 / (alpha + data.T)
    grad[1] = r / alpha - rx * (inv_t + w * (1.0 / (alpha + data.recency) - inv_t))
    grad[2] = (digamma(a + b) - digamma(a + b + yu))[idx] + w / a
    digamma_b = digamma(b + yu) - digamma(b) + digamma(a + b) - digamma(a + b + yu)
    grad[3] = digamma_b[idx] - w * inv_b_u[idx]
    return first + softplus, grad


def starts(columns: tuple[Array, ...], weights: Array) -> list[Array]:
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
    return [guess, guess * 0.5, guess * 2.0]


def _loglik_bg(params: Array, data: BetaGeoData) -> Array:
    return loglik(params, data)


def _gradient_bg(params: Array, data: BetaGeoData) -> tuple[Array, Array]:
    return loglik_and_gradient(params, data)


def _loglik_mbg(params: Array, data: BetaGeoData) -> Array:
    return loglik(params, data, dropout_at_start=True)


def _gradient_mbg(params: Array, data: BetaGeoData) -> tuple[Array, Array]:
    return loglik_and_gradient(params, data, dropout_at_start=True)


BETA_GEO: Final = Likelihood(
    model="BetaGeo",
    params=PARAMS,
    prepare=prepare,
    loglik=_loglik_bg,
    starts=starts,
    loglik_and_gradient=_gradient_bg,
)
"""The BG/NBD likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""

MODIFIED_BETA_GEO: Final = Likelihood(
    model="ModifiedBetaGeo",
    params=PARAMS,
    prepare=prepare,
    loglik=_loglik_mbg,
    starts=starts,
    loglik_and_gradient=_gradient_mbg,
)
"""The MBG/NBD likelihood for :func:`~retention.core.clv.fitting.fit_likelihood`."""


def _hyp2f1(a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike) -> Array:
    """Gauss's hypergeometric function, stepping around scipy's trouble spot.

    For $z$ near 1 scipy transforms to $1 - z$, which is singular when $c - a - b$ is an integer (it returns
    NaN there) and loses digits close to one. Within ``_EXCESS_GAP`` of an integer the value is interpolated
    linearly in $a$ between the two points at that distance, where scipy is accurate; the function is
    smooth in $a$, so the error is of order ``_EXCESS_GAP ** 2``.
    """
    a_, b_, c_, z_ = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    excess = c_ - a_ - b_
    nearest = np.round(excess)
    near = np.abs(excess - nearest) < _EXCESS_GAP
    value = np.asarray(hyp2f1(a_, b_, c_, z_), dtype=np.float64)
    if np.any(near):
        below = nearest[near] - _EXCESS_GAP  # the excess at the two points, on either side
        above = nearest[near] + _EXCESS_GAP
        base = c_[near] - b_[near]
        lo = hyp2f1(base - below, b_[near], c_[near], z_[near])
        hi = hyp2f1(base - above, b_[near], c_[near], z_[near])
        weight = (excess[near] - below) / (above - below)
        value[near] = (1.0 - weight) * lo + weight * hi
    return value


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
) -> Array:
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
            - np.log(np.where(second, b + y - 1.0, 1.0))
            + (r + x) * np.log1p((age - tx) / (alpha + tx)),
            -np.inf,
        )
    alive = expit(-log_ratio)
    later = np.asarray(t, dtype=np.float64)
    if not np.any(later > 0):
        return np.asarray(alive * np.ones_like(later), dtype=np.float64)
    z = later / (alpha + age + later)
    factor = np.exp(a * np.log1p(-z)) * _hyp2f1(a + b + s - r, a, a + b + y, z)
    return np.asarray(alive * factor, dtype=np.float64)


def _mean_purchases_given_alive(
    r: ArrayLike, alpha: ArrayLike, a: float, beta: ArrayLike, t: ArrayLike
) -> Array:
    r"""$E[(1 - e^{-\lambda p t}) / p]$ for $\lambda \sim \mathrm{Gamma}(r, \alpha)$, $p \sim \mathrm{Beta}(a, \beta)$.

    The expected purchases in $t$ of a customer alive at the start (FHL 2005, eqs. 7-9):
    $\frac{c}{a - 1}\big[1 - (\frac{\alpha}{\alpha + t})^{r} {}_2F_1(r, \beta; c; z)\big]$ with
    $c = a + \beta - 1$ and $z = t / (\alpha + t)$, written with Euler's transformation as
    $\frac{c}{a - 1}\big[1 - (1 - z)^{a - 1}\, {}_2F_1(A, a - 1; c; z)\big]$, $A = c - r$, whose
    parameters stay moderate for heavy buyers (large $r$ and $\beta$).

    For $z \le 1/2$ the bracket is summed as a series with the factors $a - 1$ and $c$ cancelled by hand,
    which is exact at $a = 1$ and $c = 0$ (where the closed form is $0/0$) and keeps every digit for small
    $t$, where the closed form is a difference of two numbers close to 1: with $L = -\log(1 - z)$,

    $$
    E = c\,L\,\frac{1 - e^{-(a-1)L}}{(a-1)L} - e^{-(a-1)L} \sum_{k \ge 1}
    \frac{(A)_k\, (a)_{k-1}}{(c+1)_{k-1}\, k!} z^k.
    $$

    For $z > 1/2$ the closed form is used, stepped around $a = 1$ and $c = 0$ (the mean of the values
    ``_NUDGE`` to either side).
    """
    r_, alpha_, beta_, t_ = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (r, alpha, beta, t))
    )
    z = t_ / (alpha_ + t_)
    out = np.empty(z.shape, dtype=np.float64)
    small = z <= 0.5
    if np.any(small):
        out[small] = _series_form(r_[small], a, beta_[small], z[small])
    large = ~small
    if np.any(large):
        out[large] = _closed_form(r_[large], a, beta_[large], z[large])
    return out


def _series_form(r: Array, a: float, beta: Array, z: Array) -> Array:
    """Sum the series of :func:`_mean_purchases_given_alive`, for ``z <= 1/2`` (terms at least halve)."""
    c = a + beta - 1.0
    big_a = c - r
    log_rest = -np.log1p(-z)
    shrink = (a - 1.0) * log_rest
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(shrink == 0.0, 1.0, -np.expm1(-shrink) / shrink)
    term = big_a * z
    total = term.copy()
    for k in range(1, _MAX_TERMS):  # a loop over series terms, each vectorised over all customers
        term = term * (big_a + k) * (a + k - 1.0) * z / ((c + k) * (k + 1.0))
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return np.asarray(c * log_rest * ratio - np.exp(-shrink) * total, dtype=np.float64)


def _closed_form(r: Array, a: float, beta: Array, z: Array) -> Array:
    """Evaluate the closed form of :func:`_mean_purchases_given_alive`, for ``z > 1/2``."""

    def plain(shape: float, beta_v: Array) -> Array:
        c = shape + beta_v - 1.0
        hyp = _hyp2f1(c - r, shape - 1.0, c, z)
        return np.asarray(c / (shape - 1.0) * (1.0 - np.exp((shape - 1.0) * np.log1p(-z)) * hyp))

    def regular_in_c(shape: float) -> Array:
        c = shape + beta - 1.0
        near = np.abs(c) < _NUDGE
        if not np.any(near):
            return plain(shape, beta)
        # The exact value at the near points is replaced below; evaluate it somewhere harmless.
        exact = plain(shape, np.where(near, beta + 1.0, beta))
        below = plain(shape, beta - _NUDGE * near)
        above = plain(shape, beta + _NUDGE * near)
        return np.asarray(np.where(near, (below + above) / 2.0, exact))

    if abs(a - 1.0) >= _NUDGE:
        return regular_in_c(a)
    # At a = 1 both factors vanish together; interpolate linearly in a across the gap.
    lo, hi = 1.0 - _NUDGE, 1.0 + _NUDGE
    weight = (a - lo) / (hi - lo)
    return (1.0 - weight) * regular_in_c(lo) + weight * regular_in_c(hi)


def expected_purchases(
    t: ArrayLike, *, r: float, alpha: float, a: float, b: float, dropout_at_start: bool = False
) -> Array:
    r"""Compute the expected repeat purchases in $(0, t]$ of a new customer, $E[X(t)]$.

    Notes
    -----
    BG/NBD (FHL 2005, eq. 9):
    $E[X(t)] = \frac{a + b - 1}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
    {}_2F_1\!\left(r, b; a + b - 1; \frac{t}{\alpha + t}\right)\right]$.
    MBG/NBD (Batislam et al. 2007): $\frac{b}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
    {}_2F_1\!\left(r, b + 1; a + b; \frac{t}{\alpha + t}\right)\right]$, the BG/NBD value with $b + 1$ for
    $b$ times the probability $b / (a + b)$ of surviving the first purchase. Both are continuous at $a = 1$,
    where the closed form is $0/0$; see :func:`_mean_purchases_given_alive` for how it is evaluated there.

    Examples
    --------
    >>> expected_purchases([0.0, 39.0, 78.0], r=0.243, alpha=4.414, a=0.793, b=2.426).round(4)
    array([0.    , 1.1967, 1.8605])
    """
    time = np.asarray(t, dtype=np.float64)
    if dropout_at_start:
        value = b / (a + b) * _mean_purchases_given_alive(r, alpha, a, b + 1.0, time)
    else:
        value = _mean_purchases_given_alive(r, alpha, a, b, time)
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
) -> Array:
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
    given_alive = _mean_purchases_given_alive(r + x, alpha + age, a, b + x + s, horizon)
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
) -> Array:
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
    $n = 0$).

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
        gammaln(r + k)
        - gammaln(r)
        - gammaln(k + 1.0)
        + r * np.log(alpha / (alpha + time))
        + xlogy(k, q)
    )
    alive = np.exp(betaln(a, b + y) - betaln(a, b) + log_nb)
    second = y > 0
    b_safe = np.where(second, b + y - 1.0, 1.0)
    reached = np.where(k > 0, betainc(np.maximum(k, 1.0), r, q), 1.0)
    dropped = np.where(second, np.exp(betaln(a + 1.0, b_safe) - betaln(a, b)) * reached, 0.0)
    return np.asarray(alive + dropped, dtype=np.float64)
