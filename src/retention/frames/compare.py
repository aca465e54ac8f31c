"""Comparing the retention of groups of customers: ``rt.compare_retention``.

The adapter reads the transaction table once with :func:`retention.frames.schema.read_transactions` (with
the groups of ``by``), derives each customer's lifetime exactly as ``rt.survival_curve`` does
(:func:`retention.core.cohorts.lifetimes`), and calls the statistics of :mod:`retention.core.stats` and
:mod:`retention.core.compare`. The loops are over groups and pairs of groups, never over customers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import compare as _compare
from retention.core import stats as _stats
from retention.core.caller import warn_at_caller
from retention.core.cohorts import KaplanMeier, kaplan_meier, lifetimes, median_time
from retention.errors import InvalidParameterError, RetentionWarning, plain_value
from retention.frames.breakdown import is_missing_label
from retention.frames.options import (
    ALPHA,
    BY,
    Days,
    Given,
    Interval,
    Options,
    check_option,
    declare,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Duration,
    Transactions,
    transaction_options,
)

__all__ = ["RetentionComparison", "compare_retention"]

_EXPONENT: Final = Interval(
    "real",
    None,
    None,
    what="a number >= 0 (a Fleming-Harrington exponent)",
    finite_what="a finite number >= 0 (a Fleming-Harrington exponent)",
)
_COMPARE_RETENTION: Final = declare(
    "compare_retention",
    by=BY,
    horizons=Days(many=True),
    inactive_after=Days(),
    control=Given("a group label of by, or None, found by _control"),
    tau=Days(none=True),
    weightings=Given(
        "one of the log-rank weightings or ('fleming-harrington', p, q), read by _weightings"
    ),
    alpha=ALPHA,
    adjust=Options(*_compare.ADJUSTMENTS),
)

_MEASURES: Final = ("survival", "repurchase_share", "rmst")
_DIFFERENCE_COLUMNS: Final = (
    "estimate",
    "standard_error",
    "ci_lower",
    "ci_upper",
    "p_value",
    "p_adjusted",
)
_TEST_COLUMNS: Final = ("statistic", "df", "p_value", "curves_cross")


@dataclass(frozen=True)
class RetentionComparison:
    """The result of :func:`compare_retention`: three frames and the settings that made them.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per group (index: the group labels, named like ``by``): customers, median lifetime, RMST
        and its standard error, and per horizon the survival with its interval and the repurchase share
        with its interval (see :func:`compare_retention`, Returns).
    differences : pandas.DataFrame
        One row per comparison, measure and horizon (index ``group``, ``reference``, ``measure``,
        ``days``): ``estimate`` (group minus reference), ``standard_error``, ``ci_lower``, ``ci_upper``,
        ``p_value`` and ``p_adjusted``.
    test : pandas.DataFrame
        One row (index ``test``: the weighting used): the k-group log-rank ``statistic``, ``df``,
        ``p_value`` and ``curves_cross`` (whether two groups' survival curves cross).
    control : object
        The control group, or None when every pair was compared.
    tau : float
        The RMST horizon in days (NaN when it could not be set: no group reaches a day past 0).
    horizons : tuple of int
        The horizons in days.
    adjust : str or None
        The multiple-comparison adjustment of ``p_adjusted``.
    """

    groups: pd.DataFrame
    differences: pd.DataFrame
    test: pd.DataFrame
    control: object
    tau: float
    horizons: tuple[int, ...]
    adjust: str | None

    def _summary(self) -> tuple[str, pd.DataFrame, pd.DataFrame]:
        n = len(self.groups)
        compared = "all pairs" if self.control is None else f"against {self.control!r}"
        tau = "n/a" if math.isnan(self.tau) else f"{self.tau:g} days"
        head = (
            f"RetentionComparison: {n} group{'s' if n != 1 else ''} ({compared}); "
            f"horizons {', '.join(f'{h}D' for h in self.horizons)}; RMST up to {tau}; "
            f"p-values adjusted: {self.adjust or 'none'}"
        )
        shown = ["customers", "median_lifetime", "rmst"] + [
            f"{m}_{h}D" for h in self.horizons for m in ("survival", "repurchase")
        ]
        groups = self.groups[shown]
        differences = self.differences[["estimate", "ci_lower", "ci_upper", "p_adjusted"]]
        return head, groups, differences

    def _frames(self) -> tuple[str, list[tuple[str, pd.DataFrame]]]:
        head, groups, differences = self._summary()
        frames = [
            ("Groups", groups),
            ("Differences (group - reference)", differences),
            ("Log-rank test", self.test),
        ]
        return head, frames

    def __repr__(self) -> str:
        return frames_text(*self._frames())

    def _repr_html_(self) -> str:
        return frames_html(*self._frames())


def frames_text(head: str, frames: Sequence[tuple[str, pd.DataFrame]]) -> str:
    """Write a result as text: its head line, then each frame under its title (4 significant digits)."""
    parts = [head]
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        for title, frame in frames:
            parts.append(f"{title}\n{frame.to_string(float_format='{:.4g}'.format)}")
    return "\n\n".join(parts)


def frames_html(head: str, frames: Sequence[tuple[str, pd.DataFrame]]) -> str:
    """Write a result as HTML for a notebook: as :func:`frames_text` does, with a table per frame."""
    fmt = "{:.4g}".format
    body = "".join(f"<p>{title}</p>{frame.to_html(float_format=fmt)}" for title, frame in frames)
    return f"<div><p><b>{head}</b></p>{body}</div>"


def _horizons(horizons: object, func: str) -> NDArray[np.int64]:
    days = _COMPARE_RETENTION.check("horizons", horizons, func=func)
    return np.unique(np.asarray(days, dtype=np.int64))


def _weightings(weightings: object, func: str) -> tuple[str | None, float, float, str]:
    """Return the weighting, the Fleming-Harrington exponents and the name of the test."""
    if isinstance(weightings, tuple):
        if len(weightings) != 3 or weightings[0] != "fleming-harrington":
            msg = f"The 'weightings' parameter of {func} takes a tuple only as ('fleming-harrington', p, q). Got {weightings!r}."
            raise InvalidParameterError(msg)
        p = _EXPONENT.check(weightings[1], "weightings", func)
        q = _EXPONENT.check(weightings[2], "weightings", func)
        if p < 0 or q < 0:
            msg = f"The 'weightings' parameter of {func}: the exponents p and q must be >= 0. Got {weightings!r}."
            raise InvalidParameterError(msg)
        return "fleming-harrington", p, q, f"fleming-harrington(p={p:g}, q={q:g})"
    name = cast("str | None", check_option("weightings", weightings, _stats.WEIGHTINGS, func))
    if name == "fleming-harrington":  # G(0, 0): the plain log-rank weights
        return name, 0.0, 0.0, "fleming-harrington(p=0, q=0)"
    return name, 0.0, 0.0, name or "log-rank"


def _control(control: object, labels: pd.Index, func: str) -> int | None:
    if control is None:
        return None
    hits = [
        i
        for i, label in enumerate(labels)
        if label == control or (is_missing_label(label) and is_missing_label(control))
    ]
    if not hits:
        shown = ", ".join(repr(plain_value(v)) for v in labels[:10]) + (
            ", ..." if len(labels) > 10 else ""
        )
        msg = f"The 'control' parameter of {func} must be one of the groups that have customers ({shown or 'none'}). Got {plain_value(control)!r}. Pass one of them, or control=None to compare every pair."
        raise InvalidParameterError(msg)
    return hits[0]


def _label_index(labels: pd.Index, positions: NDArray[np.int64], name: str) -> pd.Index:
    """Group labels at ``positions`` as one index level (tuples for several ``by`` columns)."""
    if isinstance(labels, pd.MultiIndex):
        values = np.empty(len(positions), dtype=object)
        values[:] = [labels[int(i)] for i in positions]
        return pd.Index(values, dtype=object, name=name, tupleize_cols=False)
    return labels.take(positions).rename(name)


def _groups_frame(
    labels: pd.Index,
    horizons: NDArray[np.int64],
    columns: dict[str, NDArray[Any]],
) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=labels)
    if len(labels) == 0:
        frame = frame.astype({"customers": np.int64})
    return frame


def _empty_differences(labels: pd.Index) -> pd.DataFrame:
    empty = np.empty(0, dtype=np.int64)
    index = pd.MultiIndex.from_arrays(
        [
            _label_index(labels, empty, "group"),
            _label_index(labels, empty, "reference"),
            pd.CategoricalIndex(
                pd.Categorical([], categories=list(_MEASURES), ordered=True), name="measure"
            ),
            pd.Index(empty, name="days"),
        ]
    )
    return pd.DataFrame({c: np.empty(0) for c in _DIFFERENCE_COLUMNS}, index=index)


@transaction_options
def compare_retention(
    tx: pd.DataFrame,
    by: object,
    *,
    horizons: Duration | Sequence[Duration] = ("30D", "90D", "365D"),
    inactive_after: Duration = "90D",
    control: object = None,
    tau: Duration | None = None,
    weightings: str | tuple[str, float, float] | None = None,
    alpha: float = 0.05,
    adjust: str | None = "holm",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
) -> RetentionComparison:
    r"""Compare the retention of groups of customers: per-group figures, differences with intervals, tests.

    Does the web channel keep customers longer than the store? ``compare_retention(tx, "channel")``
    answers with each group's survival at fixed horizons, its restricted mean survival time (RMST) and its
    repurchase shares, the differences between groups with confidence intervals and adjusted p-values,
    and the k-group log-rank test.

    Parameters
    ----------
    <transaction table>
    by : column label, list of column labels or pandas.Series
        The groups to compare, as ``by=`` of the other functions takes them: a column (each customer's
        value on their first purchase), several columns, or a Series mapping customer id to group. A
        missing group is a group of its own. Only labels that have customers are groups.
    horizons : int, str, timedelta or a sequence of them, default ("30D", "90D", "365D")
        Days since the first purchase at which survival and the repurchase share are compared.
    inactive_after : int or str or timedelta, default "90D"
        A customer who makes no purchase for more than this many days has lapsed (as in
        :func:`survival_curve`).
    control : object, optional
        The group the others are compared with. None compares every pair (the later group in sorted
        order minus the earlier).
    tau : int, str or timedelta, optional
        The RMST horizon in days. Default: the largest time every group reaches (the smallest of the
        groups' longest lifetimes). A ``tau`` beyond a group's last lifetime, when that lifetime is
        censored, is refused: the group's curve is not known there.
    weightings : {None, "wilcoxon", "tarone-ware", "peto", "fleming-harrington"} or tuple, optional
        The log-rank test's weighting (see :func:`retention.stats.logrank_test`); the tuple
        ``("fleming-harrington", p, q)`` sets the Fleming-Harrington exponents.
    alpha : float, default 0.05
        1 minus the coverage of the intervals of the differences (0.05 gives 95% intervals). The per-group
        survival intervals are always 95%, as :func:`survival_curve` gives them.
    adjust : {"holm", "bonferroni", None}, default "holm"
        How ``p_adjusted`` corrects for the number of comparisons: within each measure and horizon, over
        the pairs compared.
    <transaction options>

    Returns
    -------
    RetentionComparison
        ``.groups``: one row per group (index named like ``by``). Columns ``customers`` (int64),
        ``median_lifetime`` (days; NaN when the curve stays above 0.5), ``rmst`` and ``rmst_se`` (days,
        up to ``tau``), and per horizon ``h`` (e.g. ``30D``): ``survival_30D``, ``survival_30D_lower``,
        ``survival_30D_upper`` (the Kaplan-Meier survival and its 95% interval, as
        ``rt.survival_at(rt.survival_curve(tx, by=by), ...)`` reads them); ``observed_30D`` (customers
        whose first purchase is at least 30 days before the observation end), ``repurchased_30D`` (of
        them, those whose second purchase day came within 30 days of the first), ``repurchase_30D`` (the
        share; NaN with nobody observed) and its Wilson interval ``repurchase_30D_lower`` and
        ``repurchase_30D_upper``.

        ``.differences``: index ``group``, ``reference`` (the control, or the earlier group of a pair),
        ``measure`` (``"survival"``, ``"repurchase_share"``, ``"rmst"``) and ``days`` (the horizon, or
        ``tau`` for RMST; -1 when no group reaches a day past 0, and then the RMST is NaN); columns ``estimate`` (group minus reference), ``standard_error`` (NaN for
        shares), ``ci_lower``, ``ci_upper``, ``p_value`` and ``p_adjusted``.

        ``.test``: one row, the k-group log-rank test: ``statistic``, ``df``, ``p_value`` and
        ``curves_cross``.

        With a single group there is nothing to compare: ``.differences`` is empty and the test has
        ``df`` 0 and NaN statistic and p-value. A table without customers gives empty frames.

    Raises
    ------
    InvalidParameterError
        If ``by`` is None, ``control`` is not a group with customers, or an option is not accepted.
    <reading errors>

    Warns
    -----
    RetentionWarning
        When two groups' survival curves cross: the log-rank test then has little power. Compare the RMST
        and the survival at fixed horizons instead.

    See Also
    --------
    survival_curve : The Kaplan-Meier curves compared here.
    retention.stats.logrank_test, retention.stats.rmst_difference, retention.stats.newcombe_interval :
        The statistics, for durations you bring yourself.

    Notes
    -----
    Lifetimes (durations and censoring) are those of :func:`survival_curve`.

    **Survival at a horizon.** $\hat S_g(h)$ with Greenwood's variance
    $\hat V_g(h) = \hat S_g(h)^2 \sum_{t_i \le h} d_i / (n_i (n_i - d_i))$. The difference uses the delta
    method on the difference itself (Klein and Moeschberger 2003, section 7.8):
    $\hat S_g(h) - \hat S_r(h) \pm z_{1-\alpha/2} \sqrt{\hat V_g(h) + \hat V_r(h)}$, with the p-value
    of the same z, the interval clipped to [-1, 1]; not the complementary log-log scale, whose intervals
    are for one curve (those are the per-group intervals). The p-value is NaN when both variances are 0.

    **RMST** up to $\tau$ and its standard error from the Greenwood-type variance of the integral are
    :func:`retention.stats.rmst`'s; the difference's standard error is
    $\sqrt{\text{se}_g^2 + \text{se}_r^2}$, as in :func:`retention.stats.rmst_difference`.

    **Repurchase share** within $h$: over the customers observed for the whole horizon (first purchase
    at least $h$ days before the observation end), the share whose second purchase day is at most
    $h$ days after the first. The difference's interval is Newcombe's hybrid score interval
    (:func:`retention.stats.newcombe_interval`), its p-value that of the pooled two-proportion z test.

    **Adjusted p-values.** Within each measure and horizon, over the comparisons (pairs, or groups
    against the control): Holm's step-down method or Bonferroni's.

    **Log-rank test** of all groups at once (:func:`retention.stats.logrank_test`). ``curves_cross`` is
    True when, for some pair, each curve is significantly above the other (pointwise 95%) at some time
    where both groups have at least 10 customers at risk. The log-rank test sums the differences over
    time, so crossing curves can cancel and hide a real difference.

    References
    ----------
    .. [1] Klein, J. P. and Moeschberger, M. L. (2003). Survival Analysis: Techniques for Censored and
       Truncated Data, 2nd ed., Springer, sections 4.5, 7.3 and 7.8.
    .. [2] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    .. [3] Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
       Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3, 3, 4, 5, 5],
    ...     "date": ["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-01", "2024-01-21",
    ...              "2024-03-01", "2024-02-20", "2024-01-05", "2024-01-25"],
    ...     "channel": ["web", "web", "store", "web", "web", "web", "store", "store", "store"],
    ... })
    >>> result = rt.compare_retention(tx, "channel", horizons=["10D", "30D"], inactive_after="30D",
    ...                               observation_end="2024-03-10")
    >>> result.groups[["customers", "rmst", "survival_10D", "repurchase_30D"]]
             customers       rmst  survival_10D  repurchase_30D
    channel
    store            3  13.333333      0.666667             0.5
    web              2  15.000000      0.500000             1.0
    >>> result.differences.loc[("web", "store", "rmst"), ["estimate", "p_value"]].round(4)
          estimate  p_value
    days
    20      1.6667   0.7974
    >>> result.test
              statistic  df   p_value  curves_cross
    test
    log-rank   0.009615   1  0.921886         False
    """
    func = "compare_retention"
    if by is None:
        msg = f"The 'by' parameter of {func} names the groups to compare; got None. Pass a column label, a list of labels or a Series mapping customer id to group."
        raise InvalidParameterError(msg)
    checked = compare_options(locals(), func=func)
    t = read_with_options(tx, locals(), func=func)
    assert t.groups is not None  # read with by
    labels = t.groups.labels
    return compare_lifetimes(
        labels, _lifetimes(t.groups.codes, len(labels), t, checked.inactive), checked
    )


@dataclass(frozen=True)
class CompareOptions:
    """The checked options of :func:`compare_retention` (and of the functions built on it)."""

    days: NDArray[np.int64]
    inactive: int
    weighting: tuple[str | None, float, float]
    test_name: str
    level: float
    adjust: str | None
    tau_days: int | None
    tau: object
    control: object
    func: str


def compare_options(
    arguments: Mapping[str, Any], *, func: str = "compare_retention"
) -> CompareOptions:
    """Check the options of :func:`compare_retention` among its arguments by name."""
    days = _horizons(arguments.get("horizons", ("30D", "90D", "365D")), func)
    inactive = _COMPARE_RETENTION.check("inactive_after", arguments.get("inactive_after", "90D"))
    kind, p_exp, q_exp, test_name = _weightings(arguments.get("weightings"), func)
    level = _COMPARE_RETENTION.check("alpha", arguments.get("alpha", 0.05))
    adjust = arguments.get("adjust", "holm")
    _COMPARE_RETENTION.check("adjust", adjust)
    tau = arguments.get("tau")
    tau_days = _COMPARE_RETENTION.check("tau", tau)
    return CompareOptions(
        days,
        inactive,
        (kind, p_exp, q_exp),
        test_name,
        level,
        adjust,
        tau_days,
        tau,
        arguments.get("control"),
        func,
    )


def compare_lifetimes(
    labels: pd.Index, life: _Lifetimes, options: CompareOptions
) -> RetentionComparison:
    """:func:`compare_retention` of the customers' lifetimes, coded group by group (options checked).

    A customer's lifetime depends on that customer's rows alone, so the lifetimes of disjoint sets of
    customers (the partitions of a cluster), put in the same order, compare as the whole table.
    """
    func, days, level, adjust = options.func, options.days, options.level, options.adjust
    control_at = _control(options.control, labels, func)
    # Customers are coded group by group, so each group's lifetimes are one slice.
    curves = [
        kaplan_meier(life.duration[part], life.observed[part]) for part in life.parts
    ]  # groups, not customers
    horizon = _rmst_horizon(curves, options.tau_days, options.tau, labels, func)
    figures = _figures(curves, life, days, horizon, level)
    groups = pd.DataFrame(figures.columns, index=labels)

    # The pairs compared: group minus reference.
    k = len(labels)
    if control_at is None:
        first, second = np.triu_indices(k, 1)
        pair_group, pair_ref = second.astype(np.int64), first.astype(np.int64)
    else:
        pair_group = np.array([g for g in range(k) if g != control_at], dtype=np.int64)
        pair_ref = np.full(len(pair_group), control_at, dtype=np.int64)
    differences = _differences(
        labels,
        days,
        pair_group,
        pair_ref,
        survival=(figures.survival, figures.variance),
        shares=(figures.repurchased, figures.observed),
        rmst=(figures.rmst, figures.rmst_se, horizon),
        alpha=level,
        adjust=adjust,
    )
    test = _test(
        curves, life, labels, weighting=options.weighting, name=options.test_name, func=func
    )
    return RetentionComparison(
        groups=groups,
        differences=differences,
        test=test,
        control=None if control_at is None else plain_value(labels[control_at]),
        tau=horizon,
        horizons=tuple(int(d) for d in days),
        adjust=adjust,
    )


@dataclass(frozen=True)
class _Lifetimes:
    """Per customer (coded group by group): lifetime, event flag, first purchase day, second-purchase gap."""

    duration: NDArray[np.int64]
    observed: NDArray[np.bool_]
    first_day: NDArray[np.int64]
    gap: NDArray[np.int64]
    end_day: int
    group: NDArray[np.int64]
    sizes: NDArray[np.int64]
    parts: list[slice]


def _lifetimes(group: NDArray[np.int64], k: int, t: Transactions, inactive: int) -> _Lifetimes:
    """Derive every customer's lifetime as ``survival_curve`` does, once for the whole table."""
    if k == 0 or t.end_day is None:
        empty = np.empty(0, dtype=np.int64)
        duration, observed, first_day, gap, end_day = empty, np.empty(0, np.bool_), empty, empty, 0
    else:
        act = t.activity("D")
        duration, observed = lifetimes(act, t.end_day, inactive)
        first_day, gap, end_day = act.first_period, _compare.second_purchase_gaps(act), t.end_day
    sizes = np.bincount(group, minlength=k).astype(np.int64)
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    parts = [slice(int(bounds[g]), int(bounds[g + 1])) for g in range(k)]
    return _Lifetimes(duration, observed, first_day, gap, end_day, group, sizes, parts)


def _rmst_horizon(
    curves: list[KaplanMeier], tau_days: int | None, tau: object, labels: pd.Index, func: str
) -> float:
    """Return tau: as given, if every group's curve is known up to it; else the largest time all reach."""
    if not curves:
        return math.nan
    last = np.array([int(c.time[-1]) for c in curves], dtype=np.int64)
    if tau_days is None:
        return float(last.min()) if last.min() > 0 else math.nan
    # A curve that reaches 0 is known (0) past its last time.
    reaches_zero = np.array([bool(c.survival[-1] == 0.0) for c in curves], dtype=np.bool_)
    limit = np.where(reaches_zero, np.iinfo(np.int64).max, last)
    short = np.flatnonzero(tau_days > limit)
    if len(short):
        g = int(short[0])
        msg = f"The 'tau' parameter of {func} must be at most {int(last[g])} days: the survival curve of group {plain_value(labels[g])!r} ends there with a censored lifetime, so its area beyond is not known. Got {plain_value(tau)!r}. Pass a smaller tau, or leave it None (the largest time every group reaches)."
        raise InvalidParameterError(msg)
    return float(tau_days)


@dataclass(frozen=True)
class _Figures:
    """The per-group numbers: the columns of ``.groups`` and the arrays the differences need."""

    columns: dict[str, NDArray[Any]]
    survival: NDArray[np.float64]  # groups x horizons
    variance: NDArray[np.float64]
    repurchased: NDArray[np.float64]
    observed: NDArray[np.float64]
    rmst: NDArray[np.float64]
    rmst_se: NDArray[np.float64]


def _figures(
    curves: list[KaplanMeier],
    life: _Lifetimes,
    days: NDArray[np.int64],
    horizon: float,
    alpha: float,
) -> _Figures:
    k, h = len(curves), len(days)
    survival, low, high, variance = (np.empty((k, h)) for _ in range(4))
    rmst, rmst_se = np.full(k, np.nan), np.full(k, np.nan)
    median = np.empty(k)
    for g, curve in enumerate(curves):  # groups, not customers
        survival[g], low[g], high[g], variance[g] = _compare.survival_at_horizons(curve, days)
        median[g] = median_time(curve.time, curve.survival)
        if not math.isnan(horizon):
            part = life.parts[g]
            rmst[g], rmst_se[g] = _stats.rmst(
                life.duration[part].astype(np.float64), life.observed[part], horizon
            )
    seen, again = _compare.repurchase_counts(
        life.first_day, life.gap, life.group, k, end_day=life.end_day, horizons=days
    )
    seen_f, again_f = seen.astype(np.float64), again.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = again_f / seen_f
        w_low, w_high = _stats.wilson_interval(again_f, seen_f, alpha)
    w_low[seen == 0] = np.nan
    w_high[seen == 0] = np.nan
    columns: dict[str, NDArray[Any]] = {
        "customers": life.sizes,
        "median_lifetime": median,
        "rmst": rmst,
        "rmst_se": rmst_se,
    }
    for j, d in enumerate(days):
        columns |= {
            f"survival_{d}D": survival[:, j],
            f"survival_{d}D_lower": low[:, j],
            f"survival_{d}D_upper": high[:, j],
            f"observed_{d}D": seen[:, j],
            f"repurchased_{d}D": again[:, j],
            f"repurchase_{d}D": share[:, j],
            f"repurchase_{d}D_lower": w_low[:, j],
            f"repurchase_{d}D_upper": w_high[:, j],
        }
    return _Figures(columns, survival, variance, again_f, seen_f, rmst, rmst_se)


def _test(
    curves: list[KaplanMeier],
    life: _Lifetimes,
    labels: pd.Index,
    *,
    weighting: tuple[str | None, float, float],
    name: str,
    func: str,
) -> pd.DataFrame:
    """Run the k-group log-rank test, as a one-row frame; warn when two groups' curves cross."""
    k = len(curves)
    crossing: list[tuple[int, int]] = []
    statistic, df, p_value = math.nan, 0, math.nan
    if k >= 2:
        a, b = np.triu_indices(k, 1)
        crossing = [
            (int(i), int(j))
            for i, j in zip(a, b, strict=True)  # pairs of groups
            if _compare.curves_cross(curves[i], curves[j])
        ]
        kind, p, q = weighting
        result = _stats.logrank(
            life.duration.astype(np.float64),
            life.observed,
            life.group,
            k,
            weightings=kind,
            p=p,
            q=q,
        )
        statistic, df, p_value = result.statistic, result.df, result.p_value
    if crossing:
        i, j = crossing[0]
        n = len(crossing) - 1
        more = f" (and {n} more pair{'s' if n > 1 else ''})" if n else ""
        msg = (
            f"{func}: the survival curves of groups {plain_value(labels[i])!r} and "
            f"{plain_value(labels[j])!r}{more} cross: each is significantly above the other at some "
            "time. The log-rank test sums the differences over time, so it has little power here; "
            "compare the RMST (.differences, measure 'rmst') and the survival at fixed horizons instead."
        )
        warn_at_caller(msg, RetentionWarning)
    return pd.DataFrame(
        {
            "statistic": [statistic],
            "df": np.array([df], dtype=np.int64),
            "p_value": [p_value],
            "curves_cross": [bool(crossing)],
        },
        index=pd.Index([name], name="test"),
    )


def _differences(
    labels: pd.Index,
    days: NDArray[np.int64],
    pair_group: NDArray[np.int64],
    pair_ref: NDArray[np.int64],
    *,
    survival: tuple[NDArray[np.float64], NDArray[np.float64]],
    shares: tuple[NDArray[np.float64], NDArray[np.float64]],
    rmst: tuple[NDArray[np.float64], NDArray[np.float64], float],
    alpha: float,
    adjust: str | None,
) -> pd.DataFrame:
    """Build the differences frame: per pair, survival and repurchase share per horizon, then RMST."""
    n_pairs, h = len(pair_group), len(days)
    if n_pairs == 0:
        return _empty_differences(labels)
    s, v = survival
    # (horizon, pair) blocks, flattened horizon-major.
    s_est, s_se, s_low, s_high, s_p = survival_difference(
        (s[pair_group].T.ravel(), v[pair_group].T.ravel()),
        (s[pair_ref].T.ravel(), v[pair_ref].T.ravel()),
        alpha,
    )
    x, n = shares
    r_est, r_low, r_high, r_p = share_difference(
        (x[pair_group].T.ravel(), n[pair_group].T.ravel()),
        (x[pair_ref].T.ravel(), n[pair_ref].T.ravel()),
        alpha,
    )

    est, se, tau = rmst
    m_est = est[pair_group] - est[pair_ref]
    m_se = np.hypot(se[pair_group], se[pair_ref])
    m_low, m_high, m_p = _compare.difference_test(m_est, m_se, alpha)

    estimate = np.concatenate([s_est, r_est, m_est])
    p_value = np.concatenate([s_p, r_p, m_p])
    family = np.concatenate(
        [np.repeat(np.arange(h), n_pairs), h + np.repeat(np.arange(h), n_pairs), [2 * h] * n_pairs]
    ).astype(np.int64)
    adjusted = _compare.adjust_p_values(p_value, family, adjust)
    row_group = np.tile(pair_group, 2 * h + 1)
    row_ref = np.tile(pair_ref, 2 * h + 1)
    measure = np.repeat(np.arange(3), [h * n_pairs, h * n_pairs, n_pairs])
    tau_day = -1 if math.isnan(tau) else int(tau)
    row_days = np.concatenate([np.repeat(days, n_pairs)] * 2 + [np.full(n_pairs, tau_day)])
    # Rows by group, reference, measure, horizon: a sorted index, so that .loc finds rows fast.
    order = np.lexsort((row_days, measure, row_ref, row_group))
    index = pd.MultiIndex.from_arrays(
        [
            _label_index(labels, row_group[order], "group"),
            _label_index(labels, row_ref[order], "reference"),
            pd.CategoricalIndex(
                pd.Categorical.from_codes(
                    measure[order], categories=pd.Index(list(_MEASURES)), ordered=True
                ),
                name="measure",
            ),
            pd.Index(row_days[order], name="days"),
        ]
    )
    columns = {
        "estimate": estimate,
        "standard_error": np.concatenate([s_se, np.full(len(r_est), np.nan), m_se]),
        "ci_lower": np.concatenate([s_low, r_low, m_low]),
        "ci_upper": np.concatenate([s_high, r_high, m_high]),
        "p_value": p_value,
        "p_adjusted": adjusted,
    }
    return pd.DataFrame({name: values[order] for name, values in columns.items()}, index=index)


def survival_difference(
    group: tuple[NDArray[np.float64], NDArray[np.float64]],
    reference: tuple[NDArray[np.float64], NDArray[np.float64]],
    alpha: float,
) -> tuple[NDArray[np.float64], ...]:
    """Compare Kaplan-Meier survivals, each given with its Greenwood variance: group minus reference.

    Returns the estimate, its standard error, the delta-method interval (clipped to [-1, 1]) and the
    p-value of the z test, elementwise.
    """
    (s_1, v_1), (s_0, v_0) = group, reference
    estimate = s_1 - s_0
    se = np.sqrt(v_1 + v_0)
    low, high, p = _compare.difference_test(estimate, se, alpha)
    low, high = _compare.clip_to_differences_of_shares(low, high)
    return estimate, se, low, high, p


def share_difference(
    group: tuple[NDArray[np.float64], NDArray[np.float64]],
    reference: tuple[NDArray[np.float64], NDArray[np.float64]],
    alpha: float,
) -> tuple[NDArray[np.float64], ...]:
    """Compare shares ``x / n`` of independent sets of customers: group minus reference, elementwise.

    Returns the estimate and Newcombe's hybrid score interval (NaN where either ``n`` is 0) and the
    p-value of the pooled two-proportion z test.
    """
    (x_1, n_1), (x_0, n_0) = group, reference
    usable = (n_1 > 0) & (n_0 > 0)
    estimate, low, high = (np.full(len(x_1), np.nan) for _ in range(3))
    estimate[usable] = x_1[usable] / n_1[usable] - x_0[usable] / n_0[usable]
    low[usable], high[usable] = _stats.newcombe_interval(
        x_1[usable], n_1[usable], x_0[usable], n_0[usable], alpha
    )
    return estimate, low, high, _compare.proportion_test(x_1, n_1, x_0, n_0)
