r"""Log-gamma differences that keep their digits, and the one adaptive quadrature, shared by the model modules.

Pure numpy/scipy. ``gammaln(x + h) - gammaln(x)`` loses the digits of $\log\Gamma(x)$ when the difference is
small next to it (about 7,000 ulp at $x = 1000$ and small $h$); the functions here difference Stirling's
series term by term instead. :func:`log_trapezoid` integrates the smooth, fast-falling integrands that the
closed forms cannot reach, one integral per row.

**The function** $H(b, c, z) = {}_2F_1(1, b; c; z)$, $0 < b < c$, $0 \le z < 1$, is computed in
:func:`log_hyp1`, with its derivatives in $b$, $c$ and $z$ (so the gradient of the Pareto/NBD
likelihood is analytic), by one of three methods, each where it converges fast:

- the power series, summed with the derivative series alongside, when it converges within about 60
  terms: always for $z \le 1/2$, and near $z = 1$ when $c - b$ is large (light buyers when
  $\alpha < \beta$);
- near $z = 1$ with $b(1 - z) < 1/2$ and $c - b < 10$, where the fraction below is slow: the connection
  formula to $1 - z$ (DLMF 15.8.4), whose two terms are singular where $c - b$ is a whole number; there the
  value and the derivatives are interpolated in $c - b$ (eight Chebyshev nodes across the singular point);
- otherwise Gauss's continued fraction for ${}_2F_1(1, b; c; z)$, evaluated by the modified Lentz algorithm
  with forward-mode derivatives: it converges where the series is slow (large $b$ near $z = 1$, heavy
  buyers).

Accuracy against mpmath at 40 digits (the test suite checks it): about $10^{-13}$ relative in the value
and $10^{-10}$ in the derivatives over $b \le 5000$, $c - b \in [0.01, 30]$, $1 - z \ge 10^{-12}$.
SciPy's ``hyp2f1`` returns ``inf`` or ``nan`` for many of these arguments (large $b$ close to $z = 1$).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from retention.core.arrays import FloatArray, IntArray

__all__ = [
    "CHEBYSHEV_NODES",
    "broadcast_floats",
    "chebyshev_weights",
    "digamma_difference",
    "log_beta",
    "log_beta_ratio",
    "log_hyp1",
    "log_hyp1_rows",
    "log_negative_binomial_coefficient",
    "log_rising",
    "log_trapezoid",
    "stirling_remainder",
]


_STIRLING_FROM: Final = 12.0  # from here on five terms of Stirling's series are exact to rounding
_REMAINDER_FROM: Final = 15.0
_DIGAMMA_FROM: Final = (
    20.0  # from here on six terms of the asymptotic series of psi are exact to rounding
)
_HALF_LOG_TWO_PI: Final = 0.5 * math.log(2.0 * math.pi)

# log 2F1: the series, the connection formula and the continued fraction (see the module docstring)
_TOLERANCE: Final = 1e-16  # relative size of the first neglected term of a series or fraction
_SERIES_MAX_Z: Final = 0.5
_SERIES_TERMS: Final = 60.0
_CONNECTION_MAX_B_EPS: Final = 0.5
_CONNECTION_MAX_D: Final = 10.0
_MAX_FRACTION_TERMS: Final = 20_000
_MAX_CONNECTION_TERMS: Final = 200
_TINY: Final = 1e-300

CHEBYSHEV_NODES: Final = np.cos((2.0 * np.arange(8) + 1.0) * np.pi / 16.0)
"""Eight Chebyshev nodes on [-1, 1], for interpolating a closed form across a point where it is singular."""


def broadcast_floats(*values: ArrayLike) -> tuple[FloatArray, ...]:
    """Turn the arguments into float64 arrays of their common broadcast shape, in the order given.

    The first step of the functions here and of the models' predictions, which take scalars and arrays
    alike. The inputs are not modified; an argument that is broadcast comes back as a read-only view.

    Examples
    --------
    >>> broadcast_floats(2, [0.5, 1.5])
    (array([2., 2.]), array([0.5, 1.5]))
    """
    return tuple(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values)))


def log_rising(x: ArrayLike, h: ArrayLike) -> FloatArray:
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
    xs, hs = broadcast_floats(x, h)
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


def log_negative_binomial_coefficient(r: ArrayLike, n: ArrayLike) -> FloatArray:
    r"""$\log\frac{\Gamma(r + n)}{\Gamma(r)\, n!}$ for $r > 0$, $n \ge 0$, without the cancellation of ``gammaln``.

    The coefficient of $P(N = n)$ for a negative binomial count. The larger of $r$ and $n + 1$ is shifted by
    the smaller one with :func:`log_rising`: $\log\frac{\Gamma(r + n)}{\Gamma(r)} - \log n!$ for $n < r$,
    $\log\frac{\Gamma(n + 1 + (r - 1))}{\Gamma(n + 1)} - \log\Gamma(r)$ otherwise.

    Examples
    --------
    >>> log_negative_binomial_coefficient(np.array([3.0]), np.array([2.0]))  # log(3 * 4 / 2)
    array([1.79175947])
    """
    rr, nn = broadcast_floats(r, n)
    few = nn < rr
    by_n = log_rising(rr, np.where(few, nn, 0.0)) - gammaln(nn + 1.0)
    by_r = log_rising(nn + 1.0, np.where(few, 0.0, rr - 1.0)) - gammaln(rr)
    return np.asarray(np.where(few, by_n, by_r), dtype=np.float64)


def stirling_remainder(x: ArrayLike) -> FloatArray:
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


def log_beta(a: ArrayLike, b: ArrayLike) -> FloatArray:
    r"""$\log B(a, b)$ for $a, b > 0$, with the error of the result's size rather than of $\log\Gamma(a + b)$.

    $\log\Gamma(s) - \log\frac{\Gamma(s + l)}{\Gamma(l)}$ with $s \le l$ the smaller and larger argument, the
    ratio from :func:`log_rising` (``betaln`` loses $10^{-12}$ at $B(1, 903) = 1/903$).

    Examples
    --------
    >>> log_beta(np.array([1.0]), np.array([903.0]))  # -log(903)
    array([-6.80572255])
    """
    aa, bb = broadcast_floats(a, b)
    small, large = np.minimum(aa, bb), np.maximum(aa, bb)
    return np.asarray(gammaln(small) - log_rising(large, small), dtype=np.float64)


def log_beta_ratio(a: ArrayLike, b: ArrayLike, t: ArrayLike) -> FloatArray:
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
    aa, bb, tt = broadcast_floats(a, b, t)
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


def _remainder_step(y: FloatArray, h: FloatArray) -> FloatArray:
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


def digamma_difference(x: ArrayLike, h: ArrayLike) -> FloatArray:
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
    xs, hs = broadcast_floats(x, h)
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
    log_integrand: Callable[[FloatArray, IntArray], FloatArray],
    lo: FloatArray,
    hi: FloatArray,
    *,
    points: int,
    levels: int,
    tol: float | FloatArray,
) -> FloatArray:
    r"""$\log \int_{lo_i}^{hi_i} e^{f_i(w)}\, dw$ for every row $i$, by the trapezoid rule in log space.

    ``log_integrand(w, rows)`` returns $f_i(w)$ for the rows ``rows`` at the points ``w`` (one row of points
    per entry of ``rows``). The first level has ``points`` intervals; the step is then halved (the new
    midpoints only) until two levels agree to ``tol`` (relative; a number, or one per row), at most
    ``levels`` times, rows that agree being set aside. A row's ``tol`` should not be below the relative
    rounding error of its integrand: $f_i$ made of terms as large as $L$ is off by about $L$ ulps, so that
    levels differ by that much however fine (the caller passes $\max(\text{tol}, L \cdot 2^{-52})$). The integrand is scaled by its largest value at the first level, so it may be far
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
    rows: IntArray = np.arange(len(lo))
    tols = np.broadcast_to(np.asarray(tol, dtype=np.float64), lo.shape)
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
        done = np.abs(refined - estimate[rows]) <= tols[rows] * refined
        estimate[rows] = refined
        rows = rows[~done]
        if len(rows) == 0:
            break
    return np.asarray(top + np.log(estimate), dtype=np.float64)


def chebyshev_weights(u: ArrayLike) -> FloatArray:
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


# --- log 2F1(1, b; c; z) and its derivatives -----------------------------------------------------------


def _series(b: FloatArray, c: FloatArray, z: FloatArray, *, gradient: bool) -> FloatArray:
    """Sum the power series of ``H`` (and of its derivatives) until each row's remainder is negligible.

    Term ``k + 1`` is ``z (b + k) / (c + k)`` times term ``k``; the ratio grows towards ``z``, so the rest of
    the series after a term is at most that term times ``z / (1 - z)``. Converged rows are set aside every
    few terms, so a row costs what its own terms cost.
    """
    n = len(z)
    rows = 4 if gradient else 1
    out = np.empty((rows, n))
    idx = np.arange(n)
    zz = z.copy()
    excess = z / (1.0 - z)
    term = np.ones(n)
    total = np.ones(n)
    bk = b.copy()  # b + k
    ck = c.copy()
    work = np.empty(n)
    # with the gradient: sums over j < k of 1 / (b + j) and 1 / (c + j) (d log T_k / db, -d log T_k / dc),
    # and the derivative series of b, c and z
    acc = np.zeros((5, n)) if gradient else np.zeros((0, n))
    k = 0
    while len(idx):
        np.multiply(term, bk, out=term)
        np.divide(term, ck, out=term)  # T_{k+1} / z
        if gradient:
            np.multiply(term, k + 1.0, out=work)
            acc[4] += work
        np.multiply(term, zz, out=term)  # T_{k+1}
        total += term
        if gradient:
            np.divide(1.0, bk, out=work)
            acc[0] += work
            np.divide(1.0, ck, out=work)
            acc[1] += work
            np.multiply(term, acc[0], out=work)
            acc[2] += work
            np.multiply(term, acc[1], out=work)
            acc[3] += work
        bk += 1.0
        ck += 1.0
        k += 1
        if k % 4 == 0:
            size = k + 3.0 + (acc[0] + acc[1] if gradient else 0.0)
            # (the cap is never reached: the dispatcher sends rows here only if ~60 terms suffice)
            done = (term * excess * size <= 1e-17 * total) | (k >= _MAX_FRACTION_TERMS)
            if np.any(done):
                where = idx[done]
                out[0, where] = np.log(total[done])
                if gradient:
                    out[1, where] = acc[2, done] / total[done]
                    out[2, where] = -acc[3, done] / total[done]
                    out[3, where] = acc[4, done] / total[done]
                keep = ~done
                idx, zz, excess, term, total = (
                    idx[keep],
                    zz[keep],
                    excess[keep],
                    term[keep],
                    total[keep],
                )
                bk, ck, acc, work = bk[keep], ck[keep], acc[:, keep], work[keep]
    return out


def _fraction(b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    r"""Evaluate ``log H`` with its derivatives by Gauss's continued fraction (modified Lentz).

    With $g = c - 1$ (DLMF 15.7.5 with the first parameter 0):
    $g / H = g - \frac{u_1 z}{g + 1 -} \frac{u_2 z}{g + 2 -} \cdots$, $u_{2j+1} = (b + j)(g + j)$,
    $u_{2j} = j (g - b + j)$. Lentz's $C$ and $D$ are carried as ``(4, n)`` arrays: the value and its
    derivatives in $(b, c, z)$ (forward mode), so each factor's log-derivative adds up like its log.
    """
    n = len(z)
    out = np.empty((4, n))
    idx = np.arange(n)
    a, g, zz = b.copy(), c - 1.0, z.copy()
    # log f and its derivatives, with f = g / H; Lentz's C (starts at g) and D (starts at 0)
    logf = np.array([np.log(g), np.zeros(n), 1.0 / g, np.zeros(n)])
    cur = np.array([g, np.zeros(n), np.ones(n), np.zeros(n)])
    dd = np.zeros((4, n))
    unit_c = np.array([0.0, 1.0, 0.0])[:, np.newaxis]  # d b_k / d(b, c, z)
    k = 0
    while len(idx):
        k += 1
        j = k // 2
        if k % 2:
            u = (a + j) * (g + j)
            du = np.array([g + j, a + j, np.zeros_like(a)])
        else:
            u = j * (g - a + j)
            du = np.array([np.full_like(a, -float(j)), np.full_like(a, float(j)), np.zeros_like(a)])
        ak = -u * zz
        dak = -du * zz
        dak[2] = -u
        bk = g + k
        den = bk + ak * dd[0]
        dden = unit_c + dak * dd[0] + ak * dd[1:]
        den = np.where(den == 0.0, _TINY, den)
        dd[0] = 1.0 / den
        dd[1:] = -dden * dd[0] ** 2
        inv = 1.0 / cur[0]
        new = bk + ak * inv
        cur[1:] = unit_c + dak * inv - ak * cur[1:] * inv**2
        cur[0] = np.where(new == 0.0, _TINY, new)
        delta = cur[0] * dd[0]
        steps = cur[1:] / cur[0] - dden / den
        logf[0] += np.log(np.abs(delta))
        logf[1:] += steps
        done = (np.abs(delta - 1.0) <= _TOLERANCE) & (
            np.abs(steps).sum(axis=0) <= _TOLERANCE * (1.0 + np.abs(logf[1:]).sum(axis=0))
        )
        if k >= _MAX_FRACTION_TERMS:
            done[:] = True
        if np.any(done):
            out[0, idx[done]] = np.log(g[done]) - logf[0, done]
            out[1:3, idx[done]] = -logf[1:3, done]
            out[2, idx[done]] += 1.0 / g[done]
            out[3, idx[done]] = -logf[3, done]
            keep = ~done
            idx, a, g, zz = idx[keep], a[keep], g[keep], zz[keep]
            logf, cur, dd = logf[:, keep], cur[:, keep], dd[:, keep]
    return out


def _connection_terms(b: FloatArray, c: FloatArray, z: FloatArray, eps: FloatArray) -> FloatArray:
    r"""``H`` and its derivatives (not logs) by the connection formula; ``d = c - b`` not a whole number.

    $H = \frac{c - 1}{d - 1} \sum_k \frac{(b)_k}{(2 - d)_k} \epsilon^k
    + \epsilon^{d - 1} z^{1 - c} \frac{\Gamma(c)\, \Gamma(1 - d)}{\Gamma(b)}$ with $\epsilon = 1 - z$
    (DLMF 15.8.4 with $a = 1$; the second hypergeometric function there is $(1 - \epsilon)^{1 - c}$).
    """
    d = c - b
    n = len(z)
    term = np.ones(n)
    total = np.ones(n)
    hb = np.zeros(n)
    hc = np.zeros(n)
    sb = np.zeros(n)
    sc = np.zeros(n)
    sz = np.zeros(n)
    for k in range(_MAX_CONNECTION_TERMS):  # a loop over series terms, vectorised over the rows
        q = 1.0 / (2.0 - d + k)
        hb += 1.0 / (b + k) - q
        hc += q
        term = term * (b + k) * q * eps
        total += term
        sb += term * hb
        sc += term * hc
        sz -= term * (k + 1.0) / eps
        # The terms shrink from the start only once the factors 2 - d + k are positive (k > d - 2).
        small = np.abs(term) * (k + 2.0 + np.abs(hb) + np.abs(hc)) <= _TOLERANCE * np.abs(total)
        if np.all(small & (k + 2.0 > d)):
            break
    lead = (c - 1.0) / (d - 1.0)
    first = lead * total
    first_b = first / (d - 1.0) + lead * sb
    first_c = first * (1.0 / (c - 1.0) - 1.0 / (d - 1.0)) + lead * sc
    first_z = lead * sz
    x = 1.0 - d
    sign = np.where(x > 0, 1.0, np.where(np.ceil(-x) % 2 == 0, 1.0, -1.0))  # the sign of Gamma(x)
    log_eps = np.log(eps)
    log_z = np.log1p(-eps)
    second = sign * np.exp((d - 1.0) * log_eps - (c - 1.0) * log_z + log_rising(b, d) + gammaln(x))
    second_b = second * (-log_eps + digamma(x) - digamma(b))
    second_c = second * (log_eps - log_z + digamma(c) - digamma(x))
    second_z = second * (-(d - 1.0) / eps + (1.0 - c) / z)
    return np.array([first + second, first_b + second_b, first_c + second_c, first_z + second_z])


def _connection(b: FloatArray, c: FloatArray, z: FloatArray, eps: FloatArray) -> FloatArray:
    """``log H`` and its derivatives by the connection formula, interpolated across whole ``c - b``.

    Within ``gap`` of a whole number the two terms are huge and of opposite sign; there the value and the
    derivatives are interpolated in ``d`` through eight Chebyshev nodes spread over ``d +- gap``, where the
    cancellation costs at most three digits. The gap shrinks with ``log(1 / eps)`` because the function
    varies in ``d`` like ``eps ** d``.
    """
    d = c - b
    whole = np.round(d)
    gap = np.minimum(0.03, 0.15 / -np.log(eps))
    near = np.abs(d - whole) < gap
    res = _connection_terms(b, np.where(near, b + whole + 0.5, c), z, eps)
    if np.any(near):
        bn, zn, en = b[near], z[near], eps[near]
        wn, gn = whole[near], gap[near]
        u = (d[near] - wn) / gn
        acc = np.zeros((4, len(bn)))
        weights = chebyshev_weights(u)
        for node, weight in zip(
            CHEBYSHEV_NODES, weights, strict=True
        ):  # eight interpolation points
            acc += weight * _connection_terms(bn, bn + wn + node * gn, zn, en)
        res[:, near] = acc
    h = res[0]
    return np.array([np.log(h), res[1] / h, res[2] / h, res[3] / h])


def log_hyp1(b: ArrayLike, c: ArrayLike, z: ArrayLike, eps: ArrayLike | None = None) -> FloatArray:
    r"""Compute $\log {}_2F_1(1, b; c; z)$ for $0 < b < c$, $0 \le z < 1$, with its derivatives.

    Parameters
    ----------
    b, c, z : array-like
        The parameters and the argument (broadcast together).
    eps : array-like, optional
        $1 - z$, when the caller knows it more accurately than ``1 - z`` (near $z = 1$).

    Returns
    -------
    numpy.ndarray
        Shape ``(4, n)``: $\log H$ and its partial derivatives in $b$, $c$ and $z$, flattened.

    Notes
    -----
    $H = E[1 / (1 - zU)]$ for $U \sim \mathrm{Beta}(b, c - b)$, so $1 \le H \le 1 / (1 - z)$. See the
    module docstring for the three methods and their accuracy.

    Examples
    --------
    >>> log_hyp1(2.0, 3.0, 0.5)[0].round(8)  # 2F1(1, 2; 3; z) = -2 (z + log(1 - z)) / z**2
    array([0.43513875])
    >>> log_hyp1(3000.0, 3001.6, 0.9999)[0].round(8)  # where scipy's hyp2f1 returns inf
    array([7.78084998])
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in (b, c, z)]
    arrays.append(1.0 - arrays[2] if eps is None else np.asarray(eps, dtype=np.float64))
    bb, cc, zz, ee = (v.ravel() for v in np.broadcast_arrays(*arrays))
    return log_hyp1_rows(bb, cc, zz, ee, gradient=True)


def log_hyp1_rows(
    b: FloatArray, c: FloatArray, z: FloatArray, eps: FloatArray, *, gradient: bool
) -> FloatArray:
    """Compute :func:`log_hyp1` on flat float arrays, the value alone (shape ``(1, n)``) or with derivatives.

    Each row goes to the series, the fraction or the connection formula; ``eps`` is $1 - z$. With
    ``gradient=True`` the shape is ``(4, n)``, as for :func:`log_hyp1`.
    """
    rows = 4 if gradient else 1
    out = np.empty((rows, len(z)))
    # The series when it converges within about 60 terms: always for z <= 1/2, and near z = 1 when c - b is
    # large, since the terms first fall like the ratio z (b + k) / (c + k) (bound by log-gamma values).
    series = z <= _SERIES_MAX_Z
    near = ~series
    if np.any(near):
        bn, cn, zn = b[near], c[near], z[near]
        log_term = (
            _SERIES_TERMS * np.log(zn)
            + gammaln(bn + _SERIES_TERMS)
            - gammaln(bn)
            - gammaln(cn + _SERIES_TERMS)
            + gammaln(cn)
        )
        series[near] = log_term + np.log(zn / eps[near]) < np.log(1e-17)
    if np.any(series):
        out[:, series] = _series(b[series], c[series], z[series], gradient=gradient)
    if not np.all(series):
        connection = ~series & (b * eps < _CONNECTION_MAX_B_EPS) & (c - b < _CONNECTION_MAX_D)
        fraction = ~series & ~connection
        if np.any(fraction):
            out[:, fraction] = _fraction(b[fraction], c[fraction], z[fraction])[:rows]
        if np.any(connection):
            m = connection
            out[:, m] = _connection(b[m], c[m], z[m], eps[m])[:rows]
    return out
