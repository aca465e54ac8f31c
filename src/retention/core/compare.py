r"""The numerics of group comparisons beyond :mod:`retention.core.stats`.

Survival at fixed horizons and its difference, repurchase shares within a horizon, adjusted p-values and
crossing curves.

Pure numpy and scipy, on arrays already checked by :mod:`retention.frames.compare`. Kaplan-Meier curves
are those of :func:`retention.core.cohorts.kaplan_meier`; nothing loops over customers or times (the
loops are over groups, pairs of groups and horizons).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from retention.core.activity import Activity
from retention.core.cohorts import KaplanMeier, step_at

__all__ = [
    "ADJUSTMENTS",
    "MIN_AT_RISK_TO_CROSS",
    "NO_SECOND",
    "adjust_p_values",
    "clip_to_differences_of_shares",
    "curves_cross",
    "difference_test",
    "greenwood_variance",
    "proportion_test",
    "repurchase_counts",
    "second_purchase_gaps",
    "survival_at_horizons",
    "two_sided_z",
]

ADJUSTMENTS: Final = ("holm", "bonferroni", None)
"""The accepted multiple-comparison adjustments (None: no adjustment)."""

MIN_AT_RISK_TO_CROSS: Final = 10
"""Curves are compared for crossing only at times where both groups have at least this many at risk."""


def greenwood_variance(km: KaplanMeier) -> NDArray[np.float64]:
    r"""Greenwood's variance of $\hat S$ at each time of the curve: $\hat S^2 \sum d_i / (n_i (n_i - d_i))$.

    0 where the curve has reached 0 (nobody is left at risk).

    Examples
    --------
    >>> from retention.core.cohorts import kaplan_meier
    >>> km = kaplan_meier(np.array([1, 2, 3, 4]), np.array([True, True, False, True]))
    >>> greenwood_variance(km).round(6)
    array([0.046875, 0.0625  , 0.0625  , 0.      ])
    """
    alive = km.at_risk > km.events
    terms = np.zeros(len(km.time), dtype=np.float64)
    n = km.at_risk[alive].astype(np.float64)
    d = km.events[alive].astype(np.float64)
    terms[alive] = d / (n * (n - d))
    return np.asarray(km.survival**2 * np.cumsum(terms), dtype=np.float64)


def survival_at_horizons(
    km: KaplanMeier, horizons: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Read a Kaplan-Meier curve at whole-day horizons: survival, its interval and Greenwood variance.

    The survival is :func:`~retention.core.cohorts.step_at` (what ``rt.survival_at`` reads); the interval
    is the curve's own at the last time at or before the horizon (NaN before the first time, where the
    survival is 1, and wherever the curve's is); the variance is 0 before the first time. A curve without
    customers gives NaN everywhere.

    Examples
    --------
    >>> from retention.core.cohorts import kaplan_meier
    >>> km = kaplan_meier(np.array([1, 2, 3, 4]), np.array([True, True, False, True]))
    >>> s, low, high, var = survival_at_horizons(km, np.array([0, 2, 9]))
    >>> s, var.round(4)
    (array([1. , 0.5, 0. ]), array([0.    , 0.0625, 0.    ]))
    """
    survival = step_at(km.time, km.survival, horizons)
    if len(km.time) == 0:
        nan = np.full(len(horizons), np.nan)
        return survival, nan, nan.copy(), nan.copy()
    position = np.searchsorted(km.time, horizons, side="right") - 1
    before = position < 0
    at = np.maximum(position, 0)
    low = np.where(before, np.nan, km.ci_lower[at])
    high = np.where(before, np.nan, km.ci_upper[at])
    variance = np.where(before, 0.0, greenwood_variance(km)[at])
    return survival, low, high, variance


def two_sided_z(alpha: float) -> float:
    r"""Return the standard normal quantile of ``1 - alpha / 2``: the half-width of a two-sided interval.

    The one place the intervals and tests of level ``alpha`` take their critical value from. Taken as
    $-\Phi^{-1}(\alpha / 2)$, so that a tiny ``alpha`` keeps its quantile (``1 - alpha / 2`` rounds to 1,
    whose quantile is inf, below ``alpha`` = 1.1e-16).

    Examples
    --------
    >>> round(two_sided_z(0.05), 4)
    1.96
    >>> round(two_sided_z(1e-300), 2)
    37.07
    """
    return float(-ndtri(alpha / 2.0))


def difference_test(
    estimate: NDArray[np.float64], standard_error: NDArray[np.float64], alpha: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Normal-approximation interval and two-sided p-value of differences: $\hat\delta \pm z\,\text{se}$.

    The p-value is $2\,\Phi(-|\hat\delta| / \text{se})$, NaN where the standard error is 0 or NaN.

    Examples
    --------
    >>> low, high, p = difference_test(np.array([2.0, 0.0]), np.array([0.5, 0.0]), 0.05)
    >>> low.round(2), high.round(2), p.round(6)
    (array([1.02, 0.  ]), array([2.98, 0.  ]), array([6.3e-05,     nan]))
    """
    half = two_sided_z(alpha) * standard_error
    positive = standard_error > 0
    p = np.full(len(estimate), np.nan)
    p[positive] = 2.0 * ndtr(-np.abs(estimate[positive]) / standard_error[positive])
    return estimate - half, estimate + half, p


def clip_to_differences_of_shares(
    low: NDArray[np.float64], high: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Clip an interval of a difference of two shares to [-1, 1], where such a difference lies.

    A normal-approximation interval can reach past it for small groups; NaN stays NaN.

    Examples
    --------
    >>> clip_to_differences_of_shares(np.array([-1.2, 0.1, np.nan]), np.array([0.3, 1.4, np.nan]))
    (array([-1. ,  0.1,  nan]), array([0.3, 1. , nan]))
    """
    return np.maximum(low, -1.0), np.minimum(high, 1.0)


NO_SECOND: Final = np.iinfo(np.int64).max
"""The gap of a customer who bought on one day only (:func:`second_purchase_gaps`)."""


def second_purchase_gaps(act: Activity) -> NDArray[np.int64]:
    """Per customer, days from the first to the second purchase day; :data:`NO_SECOND` for one day only.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> gaps = second_purchase_gaps(activity(np.array([0, 0, 0, 1]), np.array([3, 3, 10, 5]), 2))
    >>> gaps[0], gaps[1] == NO_SECOND
    (np.int64(7), np.True_)
    """
    start = act.start[:-1]
    repeat = act.start[1:] - start >= 2
    gap = np.full(act.n_customers, NO_SECOND, dtype=np.int64)
    second = start[repeat] + 1
    gap[repeat] = act.period[second] - act.period[second - 1]
    return gap


def repurchase_counts(
    first_day: NDArray[np.int64],
    gap: NDArray[np.int64],
    group: NDArray[np.int64],
    n_groups: int,
    *,
    end_day: int,
    horizons: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per group and horizon: customers observed for the whole horizon, and those of them who bought again.

    A customer is observed for horizon ``h`` when ``first_day + h <= end_day``, and bought again within it
    when the second purchase day is at most ``h`` days after the first (``gap <= h``; :data:`NO_SECOND`
    never is). ``horizons`` must be ascending.

    Returns
    -------
    observed, repurchased : numpy.ndarray of int64, shape (n_groups, len(horizons))

    Notes
    -----
    One pass over the customers: each gets the number of horizons it is observed for (``level``) and the
    first horizon its second purchase falls within (``back``), and one :func:`numpy.bincount` counts the
    (group, level, back) cells; the rest is sums over that small table.

    Examples
    --------
    >>> observed, again = repurchase_counts(
    ...     np.array([0, 0, 50, 0]), np.array([10, NO_SECOND, 5, 40]), np.array([0, 0, 0, 1]), 2,
    ...     end_day=60, horizons=np.array([30, 60]))
    >>> observed, again
    (array([[2, 2],
           [1, 1]]), array([[1, 1],
           [0, 1]]))
    """
    h = len(horizons)
    width = h + 1
    cell = group * width
    cell += np.searchsorted(horizons, end_day - first_day, side="right")  # level
    cell *= width
    cell += np.searchsorted(horizons, gap, side="left")  # back
    table = np.bincount(cell, minlength=n_groups * width * width).reshape(n_groups, width, width)
    # Observed for horizon j: level > j. Bought again within it as well: back <= j.
    by_level = table.sum(axis=2)
    observed = np.cumsum(by_level[:, ::-1], axis=1)[:, ::-1][:, 1:]
    within = np.cumsum(table, axis=2)  # [g, level, b]: back <= b
    from_level = np.cumsum(within[:, ::-1, :], axis=1)[:, ::-1, :]  # level >= l
    j = np.arange(h)
    again = from_level[:, j + 1, j]
    return observed.astype(np.int64), again.astype(np.int64)


def proportion_test(
    successes_1: NDArray[np.float64],
    n_1: NDArray[np.float64],
    successes_0: NDArray[np.float64],
    n_0: NDArray[np.float64],
) -> NDArray[np.float64]:
    r"""Two-sided p-value of the pooled two-proportion z (score) test of $p_1 = p_0$.

    $z = (\hat p_1 - \hat p_0) / \sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_0)}$ with the pooled share
    $\bar p$; NaN when a group has no one or the pooled share is 0 or 1.

    Examples
    --------
    >>> proportion_test(np.array([56.0]), np.array([70.0]), np.array([48.0]), np.array([80.0])).round(5)
    array([0.00805])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (successes_1 + successes_0) / (n_1 + n_0)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_1 + 1.0 / n_0))
        z = (successes_1 / n_1 - successes_0 / n_0) / se
    usable = (n_1 > 0) & (n_0 > 0) & (se > 0)
    p = np.full(len(z), np.nan)
    p[usable] = 2.0 * ndtr(-np.abs(z[usable]))
    return p


def adjust_p_values(
    p_value: NDArray[np.float64], family: NDArray[np.int64], method: str | None
) -> NDArray[np.float64]:
    r"""Adjust p-values for multiple comparisons within each family (Holm or Bonferroni).

    NaN p-values are not comparisons: they stay NaN and do not count in their family's size $m$.
    Bonferroni: $\min(1, m\,p)$. Holm (1979): with the family's p-values sorted,
    $p_{(i)}^{adj} = \max_{j \le i} \min(1, (m - j + 1)\,p_{(j)})$.

    Examples
    --------
    >>> adjust_p_values(np.array([0.01, 0.04, 0.03, 0.5]), np.array([0, 0, 0, 1]), "holm")
    array([0.03, 0.06, 0.06, 0.5 ])
    >>> adjust_p_values(np.array([0.01, 0.04, 0.03, 0.5]), np.array([0, 0, 0, 1]), "bonferroni")
    array([0.03, 0.12, 0.09, 0.5 ])
    """
    adjusted = p_value.astype(np.float64, copy=True)
    if method is None or len(p_value) == 0:
        return adjusted
    known = ~np.isnan(p_value)
    idx = np.flatnonzero(known)
    fam, p = family[idx], p_value[idx]
    # Sort by family, then p-value (ties by position, so the result never depends on row order of ties).
    order = np.lexsort((idx, p, fam))
    fam_s, p_s = fam[order], p[order]
    size = np.bincount(fam_s, minlength=int(family.max()) + 1 if len(family) else 0)
    m = size[fam_s].astype(np.float64)
    if method == "bonferroni":
        out = np.minimum(1.0, m * p_s)
    else:
        starts = np.concatenate(([0], np.cumsum(size)))[fam_s]
        rank = np.arange(len(p_s)) - starts  # 0-based rank within the family
        scaled = np.minimum(1.0, (m - rank) * p_s)
        out = scaled.copy()
        for f in np.unique(fam_s):  # a few families (measures x horizons)
            block = fam_s == f
            out[block] = np.maximum.accumulate(scaled[block])
    result = np.empty(len(idx), dtype=np.float64)
    result[order] = out
    adjusted[idx] = result
    return adjusted


def curves_cross(a: KaplanMeier, b: KaplanMeier, *, alpha: float = 0.05) -> bool:
    r"""Whether two Kaplan-Meier curves cross: each is significantly above the other at some time.

    At every time of either curve where both groups still have at least :data:`MIN_AT_RISK_TO_CROSS`
    customers at risk, $z(t) = (\hat S_a(t) - \hat S_b(t)) / \sqrt{V_a(t) + V_b(t)}$ with Greenwood
    variances; the curves cross when $z > z_{1-\alpha/2}$ at one such time and $z < -z_{1-\alpha/2}$ at
    another. (A pointwise screen, not a test: it flags the cases where the log-rank test, which sums the
    differences over time, can miss a real difference.)

    Examples
    --------
    >>> from retention.core.cohorts import kaplan_meier
    >>> early = kaplan_meier(np.repeat([1, 100], 50), np.ones(100, dtype=bool))
    >>> late = kaplan_meier(np.repeat([60, 200], [80, 20]), np.ones(100, dtype=bool))
    >>> curves_cross(early, late), curves_cross(early, early)
    (True, False)
    """
    if len(a.time) == 0 or len(b.time) == 0:
        return False
    times = np.union1d(a.time, b.time)

    def read(km: KaplanMeier) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
        position = np.searchsorted(km.time, times, side="right") - 1
        at = np.maximum(position, 0)
        s = np.where(position >= 0, km.survival[at], 1.0)
        v = np.where(position >= 0, greenwood_variance(km)[at], 0.0)
        # at risk just after t: those with a time > t
        later = np.searchsorted(km.time, times, side="right")
        n = np.concatenate((km.at_risk, [0]))[later]
        return s, v, n

    s_a, v_a, n_a = read(a)
    s_b, v_b, n_b = read(b)
    se = np.sqrt(v_a + v_b)
    usable = (n_a >= MIN_AT_RISK_TO_CROSS) & (n_b >= MIN_AT_RISK_TO_CROSS) & (se > 0)
    if not usable.any():
        return False
    z = (s_a[usable] - s_b[usable]) / se[usable]
    cut = two_sided_z(alpha)
    return bool((z > cut).any() and (z < -cut).any())
