r"""The numerics of campaign evaluation: per-customer windows around a contact, Welch's test, hold-outs.

Pure numpy and scipy, on arrays already checked by :mod:`retention.frames.campaign`. Days are integers
relative to each customer's contact day (``rel = day - contact_day``); a window ``[lo, hi]`` holds the
purchases with ``lo <= rel <= hi``. Sums of money go through :func:`retention.core.sums.group_sums`, so no
result depends on the order of the rows. Nothing loops over customers or rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.special import chdtrc, stdtr, stdtrit  # scipy.stats' t and chi2, without importing it

from retention.core.sums import group_sums, group_sums_of

__all__ = [
    "NO_PURCHASE",
    "WelchTest",
    "bootstrap_test",
    "first_after",
    "holdout_counts",
    "holdout_mask",
    "sample_ratio_test",
    "standardized_difference",
    "welch_test",
    "window_counts",
    "window_sums",
]

NO_PURCHASE = np.iinfo(np.int64).max
"""The :func:`first_after` of a customer without a purchase after the contact day."""


def window_counts(
    customer: NDArray[np.int64], rel: NDArray[np.int64], n: int, lo: int, hi: int
) -> NDArray[np.int64]:
    """Count each customer's rows with ``lo <= rel <= hi``.

    Examples
    --------
    >>> window_counts(np.array([0, 0, 1, 1]), np.array([-3, 2, 5, 1]), 3, 1, 4)
    array([1, 1, 0])
    """
    inside = (rel >= lo) & (rel <= hi)
    return np.bincount(customer[inside], minlength=n).astype(np.int64, copy=False)


def window_sums(
    customer: NDArray[np.int64],
    rel: NDArray[np.int64],
    amount: NDArray[np.float64],
    n: int,
    *,
    lo: int,
    hi: int,
) -> NDArray[np.float64]:
    """Sum each customer's amounts with ``lo <= rel <= hi``, exactly (:func:`~retention.core.sums.group_sums`).

    Examples
    --------
    >>> window_sums(np.array([0, 0, 1]), np.array([1, 2, 9]), np.array([0.1, 0.2, 5.0]), 2, lo=1, hi=4)
    array([0.3, 0. ])
    """
    inside = (rel >= lo) & (rel <= hi)
    return group_sums(customer[inside], amount[inside], n)


def first_after(customer: NDArray[np.int64], rel: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Per customer, the smallest ``rel`` >= 1 (days from the contact to the next purchase).

    :data:`NO_PURCHASE` for a customer without a row after the contact day.

    Examples
    --------
    >>> first_after(np.array([0, 0, 0, 1]), np.array([-2, 7, 3, 0]), 2).tolist() == [3, NO_PURCHASE]
    True
    """
    out = np.full(n, NO_PURCHASE, dtype=np.int64)
    after = rel >= 1
    np.minimum.at(out, customer[after], rel[after])
    return out


def _mean_and_variance(x: NDArray[np.float64]) -> tuple[float, float]:
    """Mean and unbiased variance from exact sums (NaN variance below two values)."""
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    mean = float(group_sums_of([(None, x)], 1)[0]) / n
    if n < 2:
        return mean, float("nan")
    deviation = x - mean
    return mean, float(group_sums_of([(None, deviation * deviation)], 1)[0]) / (n - 1)


@dataclass(frozen=True, slots=True)
class WelchTest:
    r"""The result of :func:`welch_test`: mean of group 1 minus mean of group 0.

    Attributes
    ----------
    mean_1, mean_0 : float
        The two means.
    estimate, standard_error : float
        ``mean_1 - mean_0`` and $\sqrt{s_1^2 / n_1 + s_0^2 / n_0}$.
    df : float
        The Welch-Satterthwaite degrees of freedom.
    ci_lower, ci_upper, p_value : float
        The t interval and two-sided p-value; NaN p-value when the standard error is 0.
    """

    mean_1: float
    mean_0: float
    estimate: float
    standard_error: float
    df: float
    ci_lower: float
    ci_upper: float
    p_value: float


def _means(x_1: NDArray[np.float64], x_0: NDArray[np.float64]) -> tuple[WelchTest, float, float]:
    """Both means and their difference, NaN for the rest of the result, and both variances.

    The result as it stands is the one of a group with fewer than two values.
    """
    mean_1, var_1 = _mean_and_variance(x_1)
    mean_0, var_0 = _mean_and_variance(x_0)
    nan = float("nan")
    return WelchTest(mean_1, mean_0, mean_1 - mean_0, nan, nan, nan, nan, nan), var_1, var_0


def welch_test(x_1: NDArray[np.float64], x_0: NDArray[np.float64], alpha: float) -> WelchTest:
    r"""Welch's unequal-variance t interval and test for the difference of two means.

    Notes
    -----
    With means $\bar x_i$, unbiased variances $s_i^2$ and sizes $n_i$ (Welch 1947),
    $\text{se} = \sqrt{s_1^2/n_1 + s_0^2/n_0}$ and
    $\nu = \text{se}^4 / \bigl((s_1^2/n_1)^2/(n_1 - 1) + (s_0^2/n_0)^2/(n_0 - 1)\bigr)$; the interval is
    $\bar x_1 - \bar x_0 \pm t_{\nu, 1-\alpha/2}\,\text{se}$ and the p-value
    $2\,P(T_\nu > |\bar x_1 - \bar x_0| / \text{se})$. Every sum is exact
    (:func:`~retention.core.sums.group_sums`), so the order of the values never matters. A group with
    fewer than two values gives NaN for everything but the means; two constant groups give a standard
    error of 0, the interval ``[estimate, estimate]`` and a NaN p-value.

    Examples
    --------
    >>> r = welch_test(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 0.0, 1.0]), 0.05)
    >>> round(r.estimate, 4), round(r.standard_error, 4), round(r.df, 3)
    (2.1667, 0.7265, 4.349)
    """
    means, var_1, var_0 = _means(x_1, x_0)
    if len(x_1) < 2 or len(x_0) < 2:
        return means
    estimate = means.estimate
    a, b = var_1 / len(x_1), var_0 / len(x_0)
    se2 = a + b
    se = float(np.sqrt(se2))
    if se2 == 0.0:
        return replace(means, standard_error=0.0, ci_lower=estimate, ci_upper=estimate)
    # Scaled by the larger term, so that tiny variances cannot underflow to 0 / 0.
    big = max(a, b)
    r_a, r_b = a / big, b / big
    df = (r_a + r_b) ** 2 / (r_a * r_a / (len(x_1) - 1) + r_b * r_b / (len(x_0) - 1))
    half = (
        float(-stdtrit(df, alpha / 2.0)) * se
    )  # not of 1 - alpha / 2, which rounds to 1 for a tiny alpha
    p_value = float(2.0 * stdtr(df, -abs(estimate) / se))
    return replace(
        means,
        standard_error=se,
        df=df,
        ci_lower=estimate - half,
        ci_upper=estimate + half,
        p_value=p_value,
    )


# Resampled values handled at a time by the bootstrap (the temporaries of one block stay small).
_BOOTSTRAP_BLOCK = 1 << 22


def _resampled_means(
    x: NDArray[np.float64], n_resamples: int, bits: np.random.BitGenerator
) -> NDArray[np.float64]:
    """Means of ``n_resamples`` resamples of ``x`` with replacement, exact sums, in blocks."""
    n = len(x)
    means = np.empty(n_resamples, dtype=np.float64)
    per_block = max(1, _BOOTSTRAP_BLOCK // max(n, 1))
    for lo in range(0, n_resamples, per_block):  # blocks of resamples, not customers
        k = min(per_block, n_resamples - lo)
        raw = np.asarray(bits.random_raw(k * n), dtype=np.uint64)
        # The top 53 bits as a uniform on [0, 1), scaled to a position: unbiased to 2**-53 * n.
        position = ((raw >> np.uint64(11)).astype(np.float64) * 2.0**-53 * n).astype(np.int64)
        replicate = np.repeat(np.arange(k, dtype=np.int64), n)
        means[lo : lo + k] = group_sums(replicate, x[position], k) / n
    return means


def bootstrap_test(
    x_1: NDArray[np.float64],
    x_0: NDArray[np.float64],
    alpha: float,
    *,
    n_resamples: int,
    bits: np.random.BitGenerator,
) -> WelchTest:
    r"""Compute the percentile bootstrap interval and test for the difference of two means.

    Each group is resampled with replacement on its own (``n_resamples`` times, from the raw stream of
    ``bits``, group 1 first); $\delta^*_b = \bar x^*_{1,b} - \bar x^*_{0,b}$.

    Notes
    -----
    The interval is the $\alpha/2$ and $1 - \alpha/2$ quantiles of the $\delta^*_b$ (linear
    interpolation between order statistics, numpy's default), the standard error their standard
    deviation, and the p-value $\min\bigl(1, 2 \min(\#\{\delta^*_b \le 0\}, \#\{\delta^*_b \ge 0\}) /
    B\bigr)$, the smallest $\alpha$ whose percentile interval excludes 0 (Efron and Tibshirani 1993,
    chapters 13 and 15). ``df`` is NaN. Fewer than two values in a group give NaN, as
    :func:`welch_test` does.

    Examples
    --------
    >>> r = bootstrap_test(np.array([0.0, 1.0]), np.array([0.0, 0.0]), 0.05, n_resamples=400,
    ...                    bits=np.random.PCG64(1))
    >>> r.estimate, r.ci_lower, r.ci_upper
    (0.5, 0.0, 1.0)
    """
    means, _, _ = _means(x_1, x_0)
    if len(x_1) < 2 or len(x_0) < 2:
        return means
    delta = _resampled_means(x_1, n_resamples, bits) - _resampled_means(x_0, n_resamples, bits)
    low, high = np.quantile(delta, [alpha / 2.0, 1.0 - alpha / 2.0])
    below, above = int(np.count_nonzero(delta <= 0.0)), int(np.count_nonzero(delta >= 0.0))
    p_value = min(1.0, 2.0 * min(below, above) / n_resamples)
    se = float(np.std(delta, ddof=1)) if n_resamples > 1 else float("nan")
    return replace(
        means, standard_error=se, ci_lower=float(low), ci_upper=float(high), p_value=p_value
    )


def standardized_difference(x_1: NDArray[np.float64], x_0: NDArray[np.float64]) -> float:
    r"""Compute the standardized mean difference $(\bar x_1 - \bar x_0) / \sqrt{(s_1^2 + s_0^2) / 2}$.

    The usual balance statistic (Austin 2009): above about 0.1 in absolute value the groups differ
    before the contact. NaN when it is not defined (a group with fewer than two values, or both
    constant).

    Examples
    --------
    >>> round(standardized_difference(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])), 4)
    0.8165
    """
    mean_1, var_1 = _mean_and_variance(x_1)
    mean_0, var_0 = _mean_and_variance(x_0)
    pooled = (var_1 + var_0) / 2.0
    if not pooled > 0.0:
        return float("nan")
    return float((mean_1 - mean_0) / np.sqrt(pooled))


def sample_ratio_test(
    observed: NDArray[np.int64], expected_share: NDArray[np.float64]
) -> tuple[float, int, float]:
    r"""Pearson's chi-square goodness-of-fit test of group sizes against their designed shares.

    A sample-ratio mismatch (a small p-value) says that the customers analysed are not split between the
    groups as assigned: some were lost or added unevenly, and the comparison may be biased.

    Returns
    -------
    statistic, df, p_value : float, int, float
        $\sum_g (o_g - e_g)^2 / e_g$ with $e_g = N \pi_g$, ``df`` the number of groups minus 1; NaN when
        nobody is analysed or fewer than two groups have a designed share (nothing to compare). A group
        of designed share 0 takes no part, unless it has customers: then the mismatch is certain
        (an infinite statistic, p-value 0).

    Examples
    --------
    >>> statistic, df, p = sample_ratio_test(np.array([880, 120]), np.array([0.9, 0.1]))
    >>> round(statistic, 4), df, round(p, 5)
    (4.4444, 1, 0.03501)
    """
    total = float(observed.sum())
    df = len(observed) - 1
    designed = expected_share > 0.0
    if (observed[~designed] > 0).any():
        return float("inf"), df, 0.0
    if total == 0.0 or np.count_nonzero(designed) < 2:
        return float("nan"), df, float("nan")
    observed, expected_share = observed[designed], expected_share[designed]
    df = len(observed) - 1
    expected = total * expected_share
    statistic = float((((observed - expected) ** 2) / expected).sum())
    return statistic, df, float(chdtrc(df, statistic))


def holdout_counts(sizes: NDArray[np.int64], numerator: int, denominator: int) -> NDArray[np.int64]:
    r"""Per stratum, the hold-out size: ``share * size`` rounded half up, in exact integer arithmetic.

    ``share = numerator / denominator`` (the share as written, a decimal), so that 10% of 25 customers is
    exactly 2.5, rounded to 3, never 2 through a float that lands just below 2.5.

    Any share in (0, 1) works: when ``2 * (size * numerator + denominator)`` would pass int64 (a share of
    ``1e-20`` has the denominator ``10**20``; ``0.30000000000000004`` a numerator of 17 digits), the
    counts are computed in Python ints, exactly, instead of wrapping around.

    Examples
    --------
    >>> holdout_counts(np.array([25, 10, 4, 0]), 1, 10)
    array([3, 1, 0, 0])
    >>> holdout_counts(np.array([25, 10**18]), 1, 10**20)
    array([0, 0])
    """
    top = int(sizes.max(initial=0))
    if 2 * (top * numerator + denominator) <= np.iinfo(np.int64).max:
        counts: NDArray[np.int64] = (2 * sizes * numerator + denominator) // (2 * denominator)
        return counts
    # Python ints (one per stratum, not per customer); each count is at most its size, so fits int64.
    exact = (2 * sizes.astype(object) * numerator + denominator) // (2 * denominator)
    return np.asarray(exact, dtype=np.int64)


def holdout_mask(
    stratum: NDArray[np.int64], key: NDArray[np.uint64], counts: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Pick, in each stratum, the ``counts[s]`` members with the smallest random ``key``.

    Ties of the keys (rare with 64 random bits) go to the earlier position.

    Examples
    --------
    >>> holdout_mask(np.array([0, 0, 0, 1, 1]), np.array([5, 1, 3, 2, 9], dtype=np.uint64), np.array([2, 1]))
    array([False,  True,  True,  True, False])
    """
    n = len(stratum)
    order = np.lexsort((np.arange(n), key, stratum))
    sizes = np.bincount(stratum, minlength=len(counts))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64) - starts[stratum[order]]
    return rank < counts[stratum]
