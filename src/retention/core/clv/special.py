r"""Log-gamma differences that keep their digits, and the one adaptive quadrature, shared by the model modules.

Pure numpy/scipy. ``gammaln(x + h) - gammaln(x)`` loses the digits of $\log\Gamma(x)$ when the difference is
small next to it (about 7,000 ulp at $x = 1000$ and small $h$); the functions here difference Stirling's
series term by term instead. :func:`log_trapezoid` integrates the smooth, fast-falling integrands that the
closed forms cannot reach, one integral per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

__all__ = [
    "CHEBYSHEV_NODES",
    "chebyshev_weights",
    "digamma_difference",
    "log_beta",
    "log_beta_ratio",
    "log_negative_binomial_coefficient",
    "log_rising",
    "log_trapezoid",
    "stirling_remainder",
]

Array = NDArray[np.float64]
Index = NDArray[np.intp]

_STIRLING_FROM: Final = 12.0  # from here on five terms of Stirling's series are exact to rounding
_REMAINDER_FROM: Final = 15.0
_DIGAMMA_FROM: Final = (
    20.0  # from here on six terms of the asymptotic series of psi are exact to rounding
)
_HALF_LOG_TWO_PI: Final = 0.5 * math.log(2.0 * math.pi)

CHEBYSHEV_NODES: Final = np.cos((2.0 * np.arange(8) + 1.0) * np.pi / 16.0)
"""Eight Chebyshev nodes on [-1, 1], for interpolating a closed form across a point where it is singular."""


def log_rising(x: ArrayLike, h: ArrayLike) -> Array:
    r"""$\log\Gamma(x + h) - \log\Gamma(x)$ to nearly full relative precision, for $x > 0$, $x + h > 0$.

    For $x \ge 12$ Stirling's series is differenced term by term,
    $(x - \tfrac12)\log(1 + h/x) + h \log(x + h) - h + c(x + h) - c(x)$ with
    $c(y) = \frac{1}{12y} - \frac{1}{360y^3} + \frac{1}{1260y^5} - \frac{1}{1680y^7} + \frac{1}{1188y^9}$
    (truncation error below $10^{-15} |h|$) and each $y^{-k}$ difference factored exactly; smaller $x$ are
    shifted up with $\Gamma(y + 1) = y\,\Gamma(y)$.

    Examples
    --------
    >>> log_rising(np.array([3.0, 1000.0]), np.array([2.0, 1e-9]))  # log(3 * 4), 1e-9 psi(1000)
    array([2.48490665e+00, 6.90725520e-09])
    """
    xs, hs = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(h, dtype=np.float64))
    shift = np.maximum(np.ceil(_STIRLING_FROM - xs), 0.0)
    y = xs + shift
    # c(y + h) - c(y), with a - b = -h a b (a = 1/(y + h), b = 1/y) taken out of every a**k - b**k so
    # that no two nearly equal numbers are subtracted.
    difference = _remainder_step(y, hs)
    value = (y - 0.5) * np.log1p(hs / y) + hs * np.log(y + hs) - hs + difference
    steps = int(shift.max()) if shift.size else 0
    for j in range(steps):  # at most 12 steps down, all values at once
        down = shift > j
        value = value - np.where(down, np.log1p(hs / np.where(down, xs + j, 1.0)), 0.0)
    return np.asarray(value, dtype=np.float64)


def log_negative_binomial_coefficient(r: ArrayLike, n: ArrayLike) -> Array:
    r"""$\log\frac{\Gamma(r + n)}{\Gamma(r)\, n!}$ for $r > 0$, $n \ge 0$, without the cancellation of ``gammaln``.

    The coefficient of $P(N = n)$ for a negative binomial count. The larger of $r$ and $n + 1$ is shifted by
    the smaller one with :func:`log_rising`: $\log\frac{\Gamma(r + n)}{\Gamma(r)} - \log n!$ for $n < r$,
    $\log\frac{\Gamma(n + 1 + (r - 1))}{\Gamma(n + 1)} - \log\Gamma(r)$ otherwise.

    Examples
    --------
    >>> log_negative_binomial_coefficient(np.array([3.0]), np.array([2.0]))  # log(3 * 4 / 2)
    array([1.79175947])
    """
    rr, nn = np.broadcast_arrays(np.asarray(r, dtype=np.float64), np.asarray(n, dtype=np.float64))
    few = nn < rr
    by_n = log_rising(rr, np.where(few, nn, 0.0)) - gammaln(nn + 1.0)
    by_r = log_rising(nn + 1.0, np.where(few, 0.0, rr - 1.0)) - gammaln(rr)
    return np.asarray(np.where(few, by_n, by_r), dtype=np.float64)


def stirling_remainder(x: ArrayLike) -> Array:
    r"""$\log\Gamma(x) - (x - \tfrac12)\log x + x - \tfrac12\log(2\pi)$, for $x > 0$, to about $10^{-14}$.

    The part of $\log\Gamma$ that Stirling's formula leaves out: $\frac{1}{12x} - \frac{1}{360x^3} + \cdots$
    (five terms, from $x = 15$ on), else ``gammaln`` minus the formula, whose values are small there.

    Examples
    --------
    >>> stirling_remainder(np.array([1.0, 100.0])).round(12)  # 1 - log(2 pi) / 2, about 1 / 1200
    array([0.08106147, 0.00083333])
    """
    xs = np.asarray(x, dtype=np.float64)
    out = np.empty(xs.shape)
    big = xs >= _REMAINDER_FROM
    v = xs[big]
    w = 1.0 / (v * v)
    out[big] = (
        1.0 / 12.0 - w * (1.0 / 360.0 - w * (1.0 / 1260.0 - w * (1.0 / 1680.0 - w / 1188.0)))
    ) / v
    v = xs[~big]
    out[~big] = gammaln(v) - (v - 0.5) * np.log(v) + v - _HALF_LOG_TWO_PI
    return out


def log_beta(a: ArrayLike, b: ArrayLike) -> Array:
    r"""$\log B(a, b)$ for $a, b > 0$, with the error of the result's size rather than of $\log\Gamma(a + b)$.

    $\log\Gamma(s) - \log\frac{\Gamma(s + l)}{\Gamma(l)}$ with $s \le l$ the smaller and larger argument, the
    ratio from :func:`log_rising` (``betaln`` loses $10^{-12}$ at $B(1, 903) = 1/903$).

    Examples
    --------
    >>> log_beta(np.array([1.0]), np.array([903.0]))  # -log(903)
    array([-6.80572255])
    """
    aa, bb = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    small, large = np.minimum(aa, bb), np.maximum(aa, bb)
    return np.asarray(gammaln(small) - log_rising(large, small), dtype=np.float64)


def log_beta_ratio(a: ArrayLike, b: ArrayLike, t: ArrayLike) -> Array:
    r"""$\log B(a, b + t) - \log B(a, b)$ to nearly full relative precision, for $a, b > 0$, $t \ge 0$.

    The log of $E[(1 - p)^t]$ for $p \sim \mathrm{Beta}(a, b)$, a survival probability: the second
    difference $\log\Gamma(b + t) - \log\Gamma(b) - \log\Gamma(b + a + t) + \log\Gamma(b + a)$. A difference of
    ``betaln`` values (or of two first differences) loses the digits of its terms, which can be far larger
    than the result (about $-at/b$ for large $b$). Here, after shifting $b$ up to $y \ge 12$ with
    $\Gamma(x + 1) = x\,\Gamma(x)$ (which adds $-\log(1 + \frac{at}{(b + j)(b + a + t + j)})$ per step), the
    second difference of Stirling's $(x - \tfrac12)\log x - x$ is written as
    $(y - \tfrac12)\log(1 + \frac{at}{y(y + a + t)}) - a\log(1 + \frac{t}{y + a}) - t\log(1 + \frac{a}{y + t})$,
    terms of the size of the result, and that of the remainder $c$ of :func:`log_rising` as the difference
    of two factored first differences.

    Examples
    --------
    >>> round(float(log_beta_ratio(2.0, 3.0, 1.0)), 12)  # log(B(2, 4) / B(2, 3)) = log(3 / 5)
    -0.510825623766
    """
    aa, bb, tt = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, t)))
    shift = np.maximum(np.ceil(_STIRLING_FROM - bb), 0.0)
    y = bb + shift
    value = (
        (y - 0.5) * np.log1p(aa * tt / (y * (y + aa + tt)))
        - aa * np.log1p(tt / (y + aa))
        - tt * np.log1p(aa / (y + tt))
        + _remainder_step(y, tt)
        - _remainder_step(y + aa, tt)
    )
    steps = int(shift.max()) if shift.size else 0
    for j in range(steps):  # at most 12 steps down, all values at once
        down = shift > j
        base = np.where(down, bb + j, 1.0)
        value = value - np.where(down, np.log1p(aa * tt / (base * (base + aa + tt))), 0.0)
    return np.asarray(value, dtype=np.float64)


def _remainder_step(y: Array, h: Array) -> Array:
    """c(y + h) - c(y) for the remainder c of Stirling's series (see :func:`log_rising`), factored."""
    a = 1.0 / (y + h)
    b = 1.0 / y
    a2, b2, ab = a * a, b * b, a * b
    power3 = a2 + ab + b2
    power5 = a2 * a2 + ab * power3 + b2 * b2
    power7 = a2 * a2 * a2 + ab * power5 + b2 * b2 * b2
    power9 = a2 * a2 * a2 * a2 + ab * power7 + b2 * b2 * b2 * b2
    return np.asarray(
        -h
        * ab
        * (1.0 / 12.0 - power3 / 360.0 + power5 / 1260.0 - power7 / 1680.0 + power9 / 1188.0)
    )


def digamma_difference(x: ArrayLike, h: ArrayLike) -> Array:
    r"""$\psi(x + h) - \psi(x)$ to nearly full relative precision, for $x > 0$, $x + h > 0$.

    ``digamma(x + h) - digamma(x)`` loses the digits of $\psi(x)$ when the difference is small. Here $x$ is
    shifted up to $\min(y, y + h) \ge 20$ with $\psi(x + 1) = \psi(x) + 1/x$, which adds the terms
    $h / ((x + j)(x + j + h))$, and the asymptotic series
    $\psi(y) = \log y - \frac{1}{2y} - \frac{1}{12y^2} + \frac{1}{120y^4} - \frac{1}{252y^6} + \frac{1}{240y^8}$
    is differenced term by term, with $a - b = -h a b$ ($a = 1/(y + h)$, $b = 1/y$) taken out of every
    $a^k - b^k$.

    Examples
    --------
    >>> float(digamma_difference(1.0, 1.0))  # psi(2) - psi(1) = 1
    1.0
    """
    xs, hs = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(h, dtype=np.float64))
    shift = np.maximum(np.ceil(_DIGAMMA_FROM - np.minimum(xs, xs + hs)), 0.0)
    y = xs + shift
    a = 1.0 / (y + hs)
    b = 1.0 / y
    a2, b2, ab = a * a, b * b, a * b
    power1 = a + b
    power3 = power1 * (a2 + b2)
    power5 = a2 * a2 * a + ab * (a2 * a + a2 * b + a * b2 + b2 * b) + b2 * b2 * b
    power7 = (a2 * a2 * a2 * a + b2 * b2 * b2 * b) + ab * power5
    hab = hs * ab
    value = np.log1p(hs / y) + hab * (
        0.5 + power1 / 12.0 - power3 / 120.0 + power5 / 252.0 - power7 / 240.0
    )
    steps = int(shift.max()) if shift.size else 0
    for j in range(steps):  # a loop over the shift steps, all values at once
        down = shift > j
        base = np.where(down, xs + j, 1.0)
        value = value + np.where(down, hs / (base * (base + hs)), 0.0)
    return np.asarray(value, dtype=np.float64)


def log_trapezoid(
    log_integrand: Callable[[Array, Index], Array],
    lo: Array,
    hi: Array,
    *,
    points: int,
    levels: int,
    tol: float,
) -> Array:
    r"""$\log \int_{lo_i}^{hi_i} e^{f_i(w)}\, dw$ for every row $i$, by the trapezoid rule in log space.

    ``log_integrand(w, rows)`` returns $f_i(w)$ for the rows ``rows`` at the points ``w`` (one row of points
    per entry of ``rows``). The first level has ``points`` intervals; the step is then halved (the new
    midpoints only) until two levels agree to ``tol`` (relative), at most ``levels`` times, rows that agree
    being set aside. The integrand is scaled by its largest value at the first level, so it may be far
    beyond the range of floating point. For integrands that are smooth and negligible at both ends the
    trapezoid rule converges exponentially fast.

    Examples
    --------
    >>> log_value = log_trapezoid(lambda w, rows: -0.5 * w * w, np.array([-40.0]), np.array([40.0]),
    ...                           points=32, levels=10, tol=1e-13)
    >>> bool(np.isclose(np.exp(log_value[0]), np.sqrt(2 * np.pi), rtol=1e-13))
    True
    """
    count = points
    width = hi - lo
    rows: Index = np.arange(len(lo))
    values = log_integrand(lo[:, None] + width[:, None] * np.linspace(0.0, 1.0, count + 1), rows)
    top = values.max(axis=1)
    weights = np.exp(values - top[:, None])
    total = weights.sum(axis=1) - 0.5 * (weights[:, 0] + weights[:, -1])
    estimate = total * width / count
    for _ in range(levels):  # halve the step: a loop over levels, vectorised over the rows
        middle = (np.arange(count) + 0.5) / count
        values = log_integrand(lo[rows, None] + width[rows, None] * middle, rows)
        total[rows] += np.exp(values - top[rows, None]).sum(axis=1)
        count *= 2
        refined = total[rows] * width[rows] / count
        done = np.abs(refined - estimate[rows]) <= tol * refined
        estimate[rows] = refined
        rows = rows[~done]
        if len(rows) == 0:
            break
    return np.asarray(top + np.log(estimate), dtype=np.float64)


def chebyshev_weights(u: ArrayLike) -> Array:
    r"""Lagrange weights of the :data:`CHEBYSHEV_NODES` at the points ``u`` in $[-1, 1]$.

    The interpolating polynomial through values $f_i$ at the nodes is $\sum_i w_i(u) f_i$ with
    $w_i(u) = \prod_{j \ne i} (u - u_j) / (u_i - u_j)$. Returns shape ``(8,) + u.shape``.

    Examples
    --------
    >>> w = chebyshev_weights(np.array([0.3]))
    >>> bool(np.isclose((w[:, 0] * CHEBYSHEV_NODES**3).sum(), 0.3**3))  # exact for polynomials of degree 7
    True
    """
    points = np.asarray(u, dtype=np.float64)
    weights = np.ones((len(CHEBYSHEV_NODES), *points.shape))
    for i, node in enumerate(
        CHEBYSHEV_NODES
    ):  # eight nodes: a loop over interpolation points, not rows
        for other in np.delete(CHEBYSHEV_NODES, i):
            weights[i] *= (points - other) / (node - other)
    return weights
