r"""The statistics of comparisons: log-rank tests, restricted mean survival time, proportion intervals.

The k-group log-rank test and its weighted variants, the restricted mean survival time (RMST) with its
standard error, and the Newcombe interval for a difference of two proportions. Pure numpy and scipy, with
inputs already checked (the public adapter is :mod:`retention.stats`). Durations are non-negative floats,
events booleans, groups dense codes ``0 .. n_groups - 1``.

Every function sorts the durations once (:func:`numpy.unique`), turning them into rank codes of the distinct
times; counts per distinct time (and group) are then one :func:`numpy.bincount` and a reverse cumulative
sum, and the Kaplan-Meier curve is the library's one implementation,
:func:`retention.core.cohorts.kaplan_meier`, run on those rank codes (Kaplan-Meier depends only on the order
of the times). Nothing loops over subjects or times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import chdtrc

from retention.core.cohorts import KaplanMeier, kaplan_meier
from retention.core.compare import difference_test, two_sided_z
from retention.errors import check_size

__all__ = [
    "WEIGHTINGS",
    "LogrankTest",
    "RmstDifference",
    "km_on_times",
    "logrank",
    "newcombe_interval",
    "rmst",
    "rmst_difference",
    "time_codes",
    "wilson_interval",
]

WEIGHTINGS: Final = (None, "wilcoxon", "tarone-ware", "peto", "fleming-harrington")
"""The weightings of the log-rank family, as :func:`logrank` spells them (None: the plain log-rank test)."""


@dataclass(frozen=True, slots=True)
class LogrankTest:
    r"""The result of :func:`logrank`.

    Attributes
    ----------
    statistic : float
        The chi-square statistic $Z^\top V^{-1} Z$ (0 or more).
    df : int
        Degrees of freedom: the number of groups minus one, not counting a group that carries no
        information (nobody of it at risk at an event time that informs the test); 0 when no event
        informs the test (then the statistic is 0 and the p-value 1).
    p_value : float
        $P(\chi^2_{df} \ge \text{statistic})$.
    observed, expected : numpy.ndarray of float64
        Per group, the weighted observed events $\sum_j w_j d_{jg}$ and their expectation under the
        null hypothesis $\sum_j w_j d_j n_{jg} / n_j$.
    """

    statistic: float
    df: int
    p_value: float
    observed: NDArray[np.float64]
    expected: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RmstDifference:
    r"""The result of :func:`rmst_difference`: RMST of group 1 minus RMST of group 0.

    Attributes
    ----------
    estimate, standard_error : float
        The difference and its standard error $\sqrt{\operatorname{Var}_1 + \operatorname{Var}_0}$.
    ci_lower, ci_upper : float
        The normal-approximation interval $\text{estimate} \pm z_{1-\alpha/2}\,\text{se}$.
    p_value : float
        Two-sided, $2\,\Phi(-\lvert \text{estimate} \rvert / \text{se})$; NaN when the standard
        error is 0.
    """

    estimate: float
    standard_error: float
    ci_lower: float
    ci_upper: float
    p_value: float


def time_codes(duration: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return the distinct times, ascending, and each duration's rank among them.

    Examples
    --------
    >>> time_codes(np.array([2.5, 1.0, 2.5, 7.0]))
    (array([1. , 2.5, 7. ]), array([1, 0, 1, 2]))
    """
    # Whole days (the usual case) take a linear-time count instead of a sort; the result is the same.
    if len(duration) and float(duration.max()) <= max(4 * len(duration), 1 << 16):
        whole = duration.astype(np.int64)
        if np.array_equal(whole, duration):
            present = np.bincount(whole) > 0
            rank = np.cumsum(present, dtype=np.int64) - 1
            return np.flatnonzero(present).astype(np.float64), rank[whole]
    times, code = np.unique(duration, return_inverse=True)
    return times, code.reshape(-1).astype(np.int64, copy=False)


def km_on_times(
    duration: NDArray[np.float64], observed: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], KaplanMeier]:
    """Kaplan-Meier of any non-negative durations: the distinct times and the curve on their rank codes.

    Returns
    -------
    times : numpy.ndarray of float64
        The distinct durations, ascending; ``times[km.time]`` are the curve's times.
    km : KaplanMeier
        :func:`retention.core.cohorts.kaplan_meier` of the rank codes (``km.time`` is ``0 .. len(times) -
        1``); every other number is the same as on the durations themselves.

    Examples
    --------
    >>> times, km = km_on_times(np.array([1.5, 2.0, 2.0, 3.25]), np.array([True, True, False, True]))
    >>> times[km.time], km.survival
    (array([1.5 , 2.  , 3.25]), array([0.75, 0.5 , 0.  ]))
    """
    times, code = time_codes(duration)
    return times, kaplan_meier(code, observed)


def _weights(
    weightings: str | None,
    *,
    at_risk: NDArray[np.float64],
    deaths: NDArray[np.float64],
    km_left: NDArray[np.float64],
    p: float,
    q: float,
) -> NDArray[np.float64]:
    """Return the weight of each event time for the chosen member of the log-rank family."""
    if weightings is None:
        return np.ones_like(at_risk)
    if weightings == "wilcoxon":  # Gehan-Breslow: the number at risk
        return at_risk.copy()
    if weightings == "tarone-ware":
        return np.asarray(np.sqrt(at_risk), dtype=np.float64)
    if weightings == "peto":  # Peto-Peto: the modified survival estimate at t_j itself
        return np.cumprod(1.0 - deaths / (at_risk + 1.0), dtype=np.float64)
    # Fleming-Harrington G(p, q): the pooled Kaplan-Meier curve just before t_j.
    return np.asarray(km_left**p * (1.0 - km_left) ** q, dtype=np.float64)


def logrank(
    duration: NDArray[np.float64],
    observed: NDArray[np.bool_],
    group: NDArray[np.int64],
    n_groups: int,
    *,
    weightings: str | None = None,
    p: float = 0.0,
    q: float = 0.0,
) -> LogrankTest:
    r"""Run the k-group (weighted) log-rank test of equal survival curves.

    Parameters
    ----------
    duration : numpy.ndarray of float64
        Non-negative times.
    observed : numpy.ndarray of bool
        True for an event, False for a right-censored time.
    group : numpy.ndarray of int64
        Group codes ``0 .. n_groups - 1``.
    n_groups : int
        Number of groups (at least 2).
    weightings : {None, "wilcoxon", "tarone-ware", "peto", "fleming-harrington"}
        The weight $w_j$ of event time $t_j$: 1; $n_j$; $\sqrt{n_j}$; $\tilde S(t_j) = \prod_{t_i \le
        t_j} (1 - d_i / (n_i + 1))$; $\hat S(t_j-)^p\,(1 - \hat S(t_j-))^q$ with $\hat S$ the pooled
        Kaplan-Meier curve.
    p, q : float
        The Fleming-Harrington exponents (ignored by the other weightings).

    Returns
    -------
    LogrankTest

    Notes
    -----
    At each distinct event time $t_j$, with $n_{jg}$ at risk and $d_{jg}$ events in group $g$ and
    $n_j$, $d_j$ in all groups,

    $$
    Z_g = \sum_j w_j \Bigl(d_{jg} - d_j \frac{n_{jg}}{n_j}\Bigr), \qquad
    V_{gh} = \sum_j w_j^2 \, \frac{d_j (n_j - d_j)}{n_j - 1}\,
        \frac{n_{jg}}{n_j} \Bigl(\delta_{gh} - \frac{n_{jh}}{n_j}\Bigr)
    $$

    (the hypergeometric covariance, 0 where $n_j = 1$). The statistic is $Z^\top V^{-1} Z$ over all groups
    but one (the $k$ components sum to 0), compared with $\chi^2_{k-1}$. A group of which nobody is at
    risk at an informative event time (one with $n_j > 1$ and $d_j < n_j$) has a zero row in $V$ and
    $Z_g = 0$; it is left out, and the degrees of freedom are the rank of $V$ (as with a generalized
    inverse). With no informative event the statistic is 0, ``df`` 0 and the p-value 1. See Klein and
    Moeschberger (2003), section 7.3, for the test and its weights; they are those of lifelines'
    ``multivariate_logrank_test``.

    Examples
    --------
    >>> t = logrank(np.array([1.0, 2, 3, 4, 5, 6]), np.ones(6, dtype=bool), np.array([0, 0, 0, 1, 1, 1]), 2)
    >>> round(t.statistic, 6), t.df, round(t.p_value, 6)
    (5.051661, 1, 0.024602)
    """
    times, code = time_codes(duration)
    m = len(times)
    k = n_groups
    check_size(
        max(m * k, k * k),
        what=f"the log-rank table of {m:,} distinct times x {k:,} groups",
        fix="Pass fewer groups, or durations with fewer distinct values (whole days, say).",
        func="logrank_test",
    )
    cell = code * k + group
    size = m * k
    count = np.bincount(cell, minlength=size).reshape(m, k)
    dead = np.bincount(cell[observed], minlength=size).reshape(m, k)
    # At risk at t_j: everybody whose time is t_j or later.
    at_risk_g = np.cumsum(count[::-1], axis=0)[::-1].astype(np.float64)
    events = dead.sum(axis=1)
    keep = events > 0
    n_g = at_risk_g[keep]
    d_g = dead[keep].astype(np.float64)
    n = n_g.sum(axis=1)
    d = d_g.sum(axis=1)
    if weightings == "fleming-harrington":
        km = kaplan_meier(code, observed)
        left = np.concatenate(([1.0], km.survival[:-1]))[keep]
    else:
        left = np.empty(0)
    w = _weights(weightings, at_risk=n, deaths=d, km_left=left, p=p, q=q)
    observed_g = w @ d_g
    # d n_g / n, multiplied first: exact where all at risk have the event (d = n), so that such a time
    # adds exactly 0 to Z.
    expected_g = w @ (d[:, None] * n_g / n[:, None])
    z = observed_g - expected_g
    # d (n - d) / (n - 1) is 0 when n = 1 (then d = n); avoid 0 / 0.
    spread = np.where(n > 1, d * (n - d) / np.maximum(n - 1.0, 1.0), 0.0)
    f = w * w * spread
    share = n_g / n[:, None]
    v = np.diag(f @ share) - share.T @ (f[:, None] * share)
    # A group nobody of which is at risk at an informative event time has a zero row in V and Z_g = 0:
    # it carries no information. The other groups all meet at the first time that informs about any of
    # them, so V restricted to them has rank (their number - 1) and dropping one leaves it positive
    # definite: the statistic is unique, whichever group is dropped.
    informative = np.flatnonzero(np.diag(v) > 0)
    df = max(len(informative) - 1, 0)
    if df == 0:
        return LogrankTest(0.0, 0, 1.0, observed_g, expected_g)
    kept = informative[:-1]
    head = z[kept]
    block = v[np.ix_(kept, kept)]
    try:
        statistic = float(head @ np.linalg.solve(block, head))
    except np.linalg.LinAlgError:  # pragma: no cover - singular only through rounding
        statistic = float(head @ np.linalg.pinv(block, hermitian=True) @ head)
    statistic = max(statistic, 0.0)  # a quadratic form in a PSD matrix: below 0 only by rounding
    return LogrankTest(statistic, df, float(chdtrc(df, statistic)), observed_g, expected_g)


def _areas(
    times: NDArray[np.float64], survival: NDArray[np.float64], tau: float
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Cut the area under the step curve on [0, tau] into pieces: before the first time, then from each."""
    before = times < tau
    edges = np.concatenate(([0.0], times[before], [tau]))
    values = np.concatenate(([1.0], survival[before]))
    return before, values * np.diff(edges)


def rmst(
    duration: NDArray[np.float64], observed: NDArray[np.bool_], tau: float
) -> tuple[float, float]:
    r"""Estimate the restricted mean survival time up to ``tau``, with its standard error.

    Parameters
    ----------
    duration : numpy.ndarray of float64
        Non-negative times (at least one).
    observed : numpy.ndarray of bool
        True for an event, False for a right-censored time.
    tau : float
        The horizon, > 0. Past the last time the curve's last value is held (the public function refuses
        such a ``tau``).

    Returns
    -------
    estimate, standard_error : float

    Notes
    -----
    The estimate is the area under the Kaplan-Meier step curve, $\hat\mu_\tau = \int_0^\tau \hat S(t)\,dt$.
    Its variance is the Greenwood-type variance of that integral (Klein and Moeschberger 2003, section
    4.5),

    $$
    \widehat{\operatorname{Var}}(\hat\mu_\tau) = \sum_{t_j < \tau} A_j^2 \frac{d_j}{n_j (n_j - d_j)},
    \qquad A_j = \int_{t_j}^{\tau} \hat S(t)\,dt,
    $$

    over the event times $t_j$, with a term of 0 where $n_j = d_j$ (then $A_j = 0$). Both are computed
    with the times in units of a power of two near $\tau$, so that they are finite whenever the result
    is (the standard error is infinite only where it exceeds the largest float). It is *not* the
    variance of the truncated lifetime $\min(T, \tau)$, which is what lifelines' ``return_variance``
    gives (lifelines issue #1682).

    Examples
    --------
    >>> estimate, se = rmst(np.array([1.0, 2, 3, 4]), np.array([True, True, False, True]), 4.0)
    >>> estimate, round(se, 6)
    (2.75, 0.649519)
    """
    times, km = km_on_times(duration, observed)
    # In units of a power of two near tau (exact): the areas are at most 2 and their squares cannot
    # overflow or underflow, whatever the scale of the times; the results scale back linearly.
    unit = math.ldexp(1.0, math.frexp(tau)[1] - 1)
    before, areas = _areas(np.minimum(times, tau) / unit, km.survival, tau / unit)
    # A_j: the area from t_j to tau, the sum of the pieces from t_j on.
    tail = np.cumsum(areas[::-1])[::-1][1:]
    d = km.events[before].astype(np.float64)
    n = km.at_risk[before].astype(np.float64)
    alive = n > d
    terms = np.zeros_like(d)
    terms[alive] = tail[alive] ** 2 * d[alive] / (n[alive] * (n[alive] - d[alive]))
    return float(areas.sum()) * unit, float(np.sqrt(terms.sum())) * unit


def rmst_difference(
    duration: NDArray[np.float64],
    observed: NDArray[np.bool_],
    group: NDArray[np.int64],
    tau: float,
    *,
    alpha: float = 0.05,
) -> RmstDifference:
    r"""Estimate RMST of group 1 minus RMST of group 0, with its standard error, interval and p-value.

    Parameters
    ----------
    duration, observed : numpy.ndarray
        As for :func:`rmst`.
    group : numpy.ndarray of int64
        0 or 1 per duration; both groups occur.
    tau : float
        The horizon.
    alpha : float
        1 minus the interval's coverage.

    Returns
    -------
    RmstDifference

    Notes
    -----
    The two estimates are independent, so $\operatorname{se} = \sqrt{\operatorname{se}_1^2 +
    \operatorname{se}_0^2}$; the interval and the test use the normal approximation.

    Examples
    --------
    >>> r = rmst_difference(np.array([1.0, 2, 3, 4]), np.ones(4, dtype=bool), np.array([0, 0, 1, 1]), 4.0)
    >>> r.estimate, r.standard_error
    (2.0, 0.5)
    """
    first = group == 0
    est_0, se_0 = rmst(duration[first], observed[first], tau)
    est_1, se_1 = rmst(duration[~first], observed[~first], tau)
    estimate = est_1 - est_0
    se = float(np.hypot(se_1, se_0))
    low, high, p_value = difference_test(np.array([estimate]), np.array([se]), alpha)
    return RmstDifference(estimate, se, float(low[0]), float(high[0]), float(p_value[0]))


def wilson_interval(
    successes: NDArray[np.float64], n: NDArray[np.float64], alpha: float = 0.05
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Compute Wilson's score interval for a proportion, elementwise (without continuity correction).

    Notes
    -----
    With $\hat p = x / n$ and $z = z_{1 - \alpha/2}$ (Newcombe 1998a, method 3),

    $$
    \frac{2 n \hat p + z^2 \pm z \sqrt{z^2 + 4 n \hat p (1 - \hat p)}}{2 (n + z^2)};
    $$

    the limit is exactly 0 when $x = 0$ and exactly 1 when $x = n$. It is computed in $\hat p$,
    $\hat q = (n - x) / n$ and $w = z^2 / n$, so that no count up to the largest float overflows; with
    $r = \min(\hat p, \hat q)$, $A = r + w / 2$ and $B = \sqrt{w}\sqrt{w + 4 \hat p \hat q} / 2$, the
    limits of the share nearer its edge are $r^2 / (A + B)$ (as $(A - B)(A + B) = r^2 (1 + w)$) and
    $(A + B) / (1 + w)$, and those of the other share 1 minus them: no difference of nearly equal
    numbers, so even a tiny share keeps its digits. Where $z$ is infinite (an ``alpha`` whose quantile
    is beyond floats) the interval is the limit of the formula as $z$ grows, $[0, 1]$.

    Examples
    --------
    >>> low, high = wilson_interval(np.array([15.0, 0.0]), np.array([148.0, 20.0]))
    >>> low.round(4), high.round(4)
    (array([0.0624, 0.    ]), array([0.1605, 0.1611]))
    """
    z = two_sided_z(alpha)
    if math.isinf(z):  # the limit as z grows: (x + z^2 / 2 -+ z^2 / 2) / z^2
        shape = np.broadcast_shapes(np.shape(successes), np.shape(n))
        return np.zeros(shape), np.ones(shape)
    p = successes / n
    q = (n - successes) / n
    w = z * z / n
    near = np.minimum(p, q)
    half = 0.5 * np.sqrt(w) * np.sqrt(w + 4.0 * p * q)  # two roots: w * w could underflow
    outer = near + 0.5 * w + half
    inner_limit = near * (near / outer)
    outer_limit = outer / (1.0 + w)
    low = np.where(p <= q, inner_limit, 1.0 - outer_limit)
    high = np.where(p <= q, outer_limit, 1.0 - inner_limit)
    return low, high


def newcombe_interval(
    successes_1: NDArray[np.float64],
    n_1: NDArray[np.float64],
    successes_2: NDArray[np.float64],
    n_2: NDArray[np.float64],
    alpha: float = 0.05,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Compute Newcombe's hybrid score interval for $p_1 - p_2$, elementwise.

    Notes
    -----
    From the Wilson intervals $(l_i, u_i)$ of $\hat p_i = x_i / n_i$ (Newcombe 1998b, method 10),

    $$
    \Bigl(\hat p_1 - \hat p_2 - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\;
          \hat p_1 - \hat p_2 + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}\Bigr).
    $$

    Examples
    --------
    >>> low, high = newcombe_interval(np.array([56.0]), np.array([70.0]), np.array([48.0]), np.array([80.0]))
    >>> low.round(4), high.round(4)
    (array([0.0524]), array([0.3339]))
    """
    p_1 = successes_1 / n_1
    p_2 = successes_2 / n_2
    l_1, u_1 = wilson_interval(successes_1, n_1, alpha)
    l_2, u_2 = wilson_interval(successes_2, n_2, alpha)
    delta = p_1 - p_2
    # hypot: the squares of tiny distances (counts in the billions) neither underflow nor lose digits.
    low = delta - np.hypot(p_1 - l_1, u_2 - p_2)
    high = delta + np.hypot(u_1 - p_1, p_2 - l_2)
    return low, high
