"""Cohort tables, retention curves and Kaplan-Meier survival of customer lifetimes.

The adapter for :mod:`retention.core.cohorts`: it reads the transaction table once with
:func:`retention.frames.schema.read_transactions`, turns dates into integer period or day codes, calls the
core and labels the arrays. The definitions, with formulas, are on the "Cohorts and survival" page of the
docs (``docs/definitions/cohorts.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.activity import first_periods
from retention.core.cohorts import (
    CohortCounts,
    CohortSums,
    KaplanMeier,
    cohort_customers,
    cohort_sum_partials,
    cohort_sums,
    kaplan_meier,
    lifetimes,
    median_time,
    retention_by_period,
    step_at,
)
from retention.errors import InvalidParameterError, plain_value
from retention.frames.breakdown import breakdown, by_group, group_parts
from retention.frames.options import (
    BY,
    MAX_DAYS,
    Days,
    Flag,
    Frequency,
    Given,
    Options,
    declare,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Duration,
    Transactions,
    day_period_codes,
    last_complete_period,
    period_index,
    transaction_options,
)
from retention.frames.summary_schema import read_curve

__all__ = ["cohort_table", "median_lifetime", "retention_curve", "survival_at", "survival_curve"]

_METRICS: Final = ("customers", "orders", "revenue")
_KINDS: Final = ("classic", "rolling")
_COHORT_TABLE: Final = declare(
    "cohort_table",
    freq=Frequency(),
    metric=Options(*_METRICS),
    kind=Options(*_KINDS),
    normalize=Flag(),
    by=BY,
)
_RETENTION_CURVE: Final = declare("retention_curve", freq=Frequency(), kind=Options(*_KINDS), by=BY)
_SURVIVAL_CURVE: Final = declare("survival_curve", inactive_after=Days(), by=BY)
_SURVIVAL_AT: Final = declare(
    "survival_at",
    curve=Given("a survival_curve result, read by summary_schema.read_curve"),
    times=Days(allow_zero=True),
)
_CURVE_COLUMNS: Final = ("at_risk", "events", "censored", "survival", "ci_lower", "ci_upper")


def _cohort_frame(
    values: NDArray[np.float64], cohort: NDArray[np.int64], freq: str
) -> pd.DataFrame:
    columns = pd.Index(np.arange(values.shape[1], dtype=np.int64), name="periods_since")
    return pd.DataFrame(values, index=period_index(cohort, freq, name="cohort"), columns=columns)


def cohort_counts_of(t: Transactions, freq: str, metric: str, kind: str) -> CohortCounts | None:
    """Count with the core for a checked table; None when it has no purchases."""
    # No customers is no purchases (a customer is someone with a purchase), and a part of a breakdown
    # knows its customers without counting its purchases.
    if t.end_day is None or t.n_customers == 0:
        return None
    last = last_complete_period(t.end_day, freq)
    rolling = kind == "rolling"
    if metric == "customers":
        return cohort_customers(t.activity(freq), last, rolling=rolling)
    period = t.periods(freq)
    if metric == "orders":
        return cohort_sums(t.customer, period, t.n_customers, last, rolling=rolling)
    customer, periods, amount, first = _revenue_rows(t, freq)
    return cohort_sums(
        customer, periods, t.n_customers, last, rolling=rolling, weights=amount, first_period=first
    )


def _revenue_rows(
    t: Transactions, freq: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Purchases and returns: customer, period, amount; and each customer's acquisition period.

    Revenue is net of returns: a return counts for its customer's cohort, in the period it happens.
    """
    period = t.periods(freq)
    customer, day, amount = t.net()
    periods = day_period_codes(day, freq) if len(t.return_customer) else period
    return customer, periods, amount, first_periods(t.customer, period, t.n_customers)


def cohort_revenue_sums_of(t: Transactions, freq: str) -> CohortSums | None:
    """Sum :func:`cohort_table`'s revenue cells of a table already read, as exact partial sums.

    They add up over disjoint sets of customers (the partitions of a cluster); None without a complete
    cohort.
    """
    if t.end_day is None or t.n_rows == 0:
        return None
    customer, periods, amount, first = _revenue_rows(t, freq)
    last = last_complete_period(t.end_day, freq)
    return cohort_sum_partials(
        customer, periods, t.n_customers, last, weights=amount, first_period=first
    )


@transaction_options
def cohort_table(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    metric: str = "customers",
    kind: str = "classic",
    normalize: bool = False,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> pd.DataFrame:
    r"""Acquisition cohorts by periods since acquisition: active customers, orders or revenue.

    Parameters
    ----------
    <transaction table>
    freq : {"M", "W", "Q", "Y", "D"}, default "M"
        The period length (pandas aliases such as ``"ME"`` or ``"QS"`` are accepted). Weeks run Monday to
        Sunday.
    metric : {"customers", "orders", "revenue"}, default "customers"
        What each cell holds: distinct active customers, orders (rows, or distinct order ids with
        ``order_id``; returns are not orders), or revenue: the sum of the amounts net of returns, a
        return counting in the period it happens (in period 0 if it predates the first purchase).
    kind : {"classic", "rolling"}, default "classic"
        ``"classic"``: activity in exactly period ``cohort + k``. ``"rolling"`` ("on or after"): customers
        active in period ``cohort + k`` or any later observed period; for orders and revenue, the total
        over periods ``cohort + k`` and later.
    normalize : bool, default False
        Divide each row by its cohort size: customers become shares of the cohort (column 0 of the classic
        table is 1.0), orders and revenue become values per acquired customer. The same option as
        ``normalize`` of :func:`~retention.migration_matrix` (False counts, True shares); a cohort table
        has one denominator, the cohort size, so it takes no string naming one.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index ``cohort``: the period of each customer's first purchase (a :class:`pandas.PeriodIndex`;
        only periods in which someone was acquired). Columns ``periods_since``: ``0, 1, 2, ...`` (int64).
        Values are float: a cell the data do not completely cover is NaN, never 0. An empty table gives an
        empty frame with the same index and column names.

    Raises
    ------
    InvalidParameterError
        If ``freq``, ``metric``, ``kind``, ``normalize`` or ``observation_end`` is not accepted.
    <reading errors>

    See Also
    --------
    retention_curve : The cohorts pooled into one curve.
    survival_curve : Kaplan-Meier survival of customer lifetimes.

    Notes
    -----
    With $A_i$ the acquisition period of customer $i$, $P_i$ the set of periods in
    which it bought and $N_c = |\{i : A_i = c\}|$ the cohort size, the customers metric is

    $$
    \text{classic}_{c,k} = |\{i : A_i = c,\ c + k \in P_i\}|, \qquad
    \text{rolling}_{c,k} = |\{i : A_i = c,\ \max P_i \ge c + k\}|
    $$

    and orders and revenue add up purchases in period $c + k$ (classic) or in periods
    $\ge c + k$ (rolling). ``normalize`` divides row $c$ by $N_c$.

    Censoring: let $L$ be the last complete period (the period holding ``observation_end`` counts
    only when ``observation_end`` is its last day). Cells with $c + k > L$ are NaN, and cohorts
    acquired after $L$ are left out. Rolling counts still use purchases in the incomplete trailing
    period, because that activity was observed.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3, 3, 4],
    ...     "date": ["2024-01-05", "2024-02-10", "2024-02-11", "2024-01-20", "2024-03-02",
    ...              "2024-02-14", "2024-03-20", "2024-03-30"],
    ...     "amount": [10.0, 20.0, 5.0, 15.0, 30.0, 40.0, 25.0, 50.0],
    ... })
    >>> rt.cohort_table(tx, observation_end="2024-03-31")
    periods_since    0    1    2
    cohort
    2024-01        2.0  1.0  1.0
    2024-02        1.0  1.0  NaN
    2024-03        1.0  NaN  NaN
    >>> rt.cohort_table(tx, kind="rolling", normalize=True, observation_end="2024-03-31")
    periods_since    0    1    2
    cohort
    2024-01        1.0  1.0  0.5
    2024-02        1.0  1.0  NaN
    2024-03        1.0  NaN  NaN
    >>> rt.cohort_table(tx, metric="revenue")  # March is incomplete: its cohort and cells are left out
    periods_since     0     1
    cohort
    2024-01        25.0  25.0
    2024-02        40.0   NaN
    """
    func = "cohort_table"
    freq = _COHORT_TABLE.check("freq", freq)
    _COHORT_TABLE.check("metric", metric)
    _COHORT_TABLE.check("kind", kind)
    _COHORT_TABLE.check("normalize", normalize)
    t = read_with_options(
        tx, locals(), func=func, amount_required=metric == "revenue", customer_order=False
    )
    return breakdown(
        t, lambda part: cohort_table_of(part, freq, metric, kind, normalize), name=func
    )


def cohort_table_of(
    t: Transactions, freq: str, metric: str, kind: str, normalize: bool
) -> pd.DataFrame:
    """:func:`cohort_table` of a table already read (options already checked)."""
    return cohort_table_from_counts(cohort_counts_of(t, freq, metric, kind), freq, normalize)


def cohort_table_from_counts(
    counts: CohortCounts | None, freq: str, normalize: bool
) -> pd.DataFrame:
    """Label the core's cohort counts (None: no purchases) as :func:`cohort_table` does."""
    if counts is None:
        return _cohort_frame(np.empty((0, 0)), np.empty(0, dtype=np.int64), freq)
    table = counts.cells
    if normalize:
        table /= counts.size[:, None]  # the core's fresh array; every kept cohort has a customer
    return _cohort_frame(table, counts.cohort, freq)


@transaction_options
def retention_curve(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    kind: str = "classic",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> pd.DataFrame:
    r"""Retention by periods since acquisition, pooled over the cohorts that reached each period.

    Parameters
    ----------
    <transaction table>
    freq : {"M", "W", "Q", "Y", "D"}, default "M"
        The period length.
    kind : {"classic", "rolling"}, default "classic"
        Active in exactly period ``cohort + k``, or in that period or any later one (see
        :func:`cohort_table`).
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index ``periods_since`` (``0, 1, ...``, int64). Columns: ``cohorts`` (cohorts that completely
        observed period ``k``), ``customers`` (their total size), ``active`` (their customers active at
        ``k``), all int64, and ``retention`` = ``active / customers`` (float).

    Raises
    ------
    InvalidParameterError
        If ``freq``, ``kind`` or ``observation_end`` is not accepted.
    <reading errors>

    See Also
    --------
    cohort_table : The per-cohort table this curve pools.
    survival_curve : Retention as the survival of customer lifetimes, in days.

    Notes
    -----
    With $C_k = \{c : c + k \le L\}$ the cohorts that reached period $k$,

    $$
    r_k = \frac{\sum_{c \in C_k} \text{active}_{c,k}}{\sum_{c \in C_k} N_c}
    = \sum_{c \in C_k} \frac{N_c}{\sum_{c' \in C_k} N_{c'}}
    \cdot \frac{\text{active}_{c,k}}{N_c},
    $$

    the size-weighted mean of the normalised cohort curves. Only cohorts that reached $k$ enter,
    so late periods rest on fewer, older cohorts (see the ``cohorts`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3, 4],
    ...     "date": ["2024-01-05", "2024-03-02", "2024-01-20", "2024-02-14", "2024-03-20",
    ...              "2024-03-30"],
    ... })
    >>> rt.retention_curve(tx, observation_end="2024-03-31")
                   cohorts  customers  active  retention
    periods_since
    0                    3          4       4   1.000000
    1                    2          3       1   0.333333
    2                    1          2       1   0.500000

    Customer 1 skipped February but came back in March: ``"rolling"`` counts them as retained at
    period 1 too.

    >>> rt.retention_curve(tx, kind="rolling", observation_end="2024-03-31")
                   cohorts  customers  active  retention
    periods_since
    0                    3          4       4   1.000000
    1                    2          3       2   0.666667
    2                    1          2       1   0.500000
    """
    func = "retention_curve"
    freq = _RETENTION_CURVE.check("freq", freq)
    _RETENTION_CURVE.check("kind", kind)
    t = read_with_options(tx, locals(), func=func, customer_order=False)
    return breakdown(t, lambda part: retention_curve_of(part, freq, kind), name=func)


def retention_curve_of(t: Transactions, freq: str, kind: str) -> pd.DataFrame:
    """:func:`retention_curve` of a table already read (options already checked)."""
    return retention_curve_from_counts(cohort_counts_of(t, freq, "customers", kind))


def retention_curve_from_counts(counts: CohortCounts | None) -> pd.DataFrame:
    """Label the retention curve of the core's cohort counts (None: no purchases)."""
    if counts is None:
        empty = np.empty(0, dtype=np.int64)
        cohorts, customers, active = empty, empty, empty
    else:
        cohorts, customers, active = retention_by_period(counts)
    return pd.DataFrame(
        {
            "cohorts": cohorts,
            "customers": customers,
            "active": active,
            # every reached period has at least the oldest cohort, so customers > 0
            "retention": active / np.maximum(customers, 1),
        },
        index=pd.Index(np.arange(len(cohorts), dtype=np.int64), name="periods_since"),
    )


@transaction_options
def survival_curve(
    tx: pd.DataFrame,
    *,
    inactive_after: Duration = "90D",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> pd.DataFrame:
    r"""Kaplan-Meier estimate of how long customers stay active, with 95% confidence intervals.

    Parameters
    ----------
    <transaction table>
    inactive_after : int or str or timedelta, default "90D"
        A customer who makes no purchase for more than this many days has lapsed. An int is days; strings
        such as ``"90D"`` or ``"12W"`` and timedeltas must be whole days. The default is longer than the
        ``"30D"`` of :func:`~retention.working_segments` on purpose: here a lapse ends a lifetime, so it
        must outlast the ordinary gap between purchases (a quarter, the usual definition of a lapsed
        retail customer); there it only triggers the next contact of a monthly plan.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index ``time``: days (int64), the distinct event and censoring times in increasing order. Columns
        ``at_risk`` (lifetimes at least ``time``), ``events`` (lifetimes ending at ``time``), ``censored``
        (censored at ``time``), all int64; ``survival`` (the estimate of
        $S(t) = P(\text{lifetime} > t)$), ``ci_lower`` and ``ci_upper`` (float; NaN where the
        interval is undefined, i.e. where ``survival`` is 1 or 0).

    Raises
    ------
    InvalidParameterError
        If ``inactive_after`` or ``observation_end`` is not accepted.
    <reading errors>

    See Also
    --------
    survival_at : Read the curve at given times (1-, 3-, 12-month retention).
    median_lifetime : The median lifetime.
    cohort_table : Retention by calendar period of acquisition.

    Notes
    -----
    **Lifetime.** A customer's lifetime is the time in days from the first purchase to the last purchase
    of the first active spell. The spell ends at the first gap between consecutive purchase days longer
    than ``inactive_after``, or at the last purchase if at least ``inactive_after`` days pass between it
    and the observation end; in those cases the lifetime is observed (an event). Otherwise (the last
    purchase lies within ``inactive_after`` days of the observation end, and no earlier gap was longer) the
    customer is censored at the time from the first to the last purchase, a known lower bound of the
    lifetime. A one-time buyer who lapsed has lifetime 0.

    **Kaplan-Meier.** With $n_i$ at risk and $d_i$ events at time $t_i$,

    $$
    \hat S(t) = \prod_{t_i \le t} \Bigl(1 - \frac{d_i}{n_i}\Bigr), \qquad
    \sigma^2(t) = \sum_{t_i \le t} \frac{d_i}{n_i (n_i - d_i)}
    $$

    (Greenwood), and the 95% interval is symmetric on $\log(-\log \hat S)$:
    $\hat S(t)^{\exp(\pm 1.96\, \sigma(t) / \log \hat S(t))}$, as in lifelines' default.
    lifelines reports 1.0 and 0.0 where this is undefined; this function reports NaN.

    References
    ----------
    .. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete observations.
       Journal of the American Statistical Association, 53(282), 457-481.
    .. [2] Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and Medical
       Subjects, 33, 1-26.
    .. [3] Kalbfleisch, J. D. and Prentice, R. L. (2002). The Statistical Analysis of Failure Time Data,
       2nd ed., section 1.4 (the log(-log) interval).

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3, 3, 3, 4],
    ...     "date": ["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-01", "2024-01-21",
    ...              "2024-03-01", "2024-02-20"],
    ... })
    >>> rt.survival_curve(tx, inactive_after="30D", observation_end="2024-03-10")
          at_risk  events  censored  survival  ci_lower  ci_upper
    time
    0           4       1         1     0.750  0.127947  0.960549
    10          2       1         0     0.375  0.010971  0.808001
    20          1       1         0     0.000       NaN       NaN
    """
    func = "survival_curve"
    inactive = _SURVIVAL_CURVE.check("inactive_after", inactive_after)
    t = read_with_options(tx, locals(), func=func, customer_order=False)
    return breakdown(t, lambda part: _survival(part, inactive), name=func)


def _survival(t: Transactions, inactive: int) -> pd.DataFrame:
    if t.end_day is None or t.n_rows == 0:
        duration = np.empty(0, dtype=np.int64)
        observed = np.empty(0, dtype=np.bool_)
    else:
        duration, observed = lifetimes(t.activity("D"), t.end_day, inactive)
    km = kaplan_meier(duration, observed)
    return kaplan_meier_frame(km, pd.Index(km.time, name="time"))


def kaplan_meier_frame(km: KaplanMeier, time: pd.Index) -> pd.DataFrame:
    """Label a Kaplan-Meier estimate as :func:`survival_curve` does: one row per ``time``, the same columns.

    Examples
    --------
    >>> km = kaplan_meier(np.array([0, 10, 20]), np.array([True, False, True]))
    >>> kaplan_meier_frame(km, pd.Index(km.time, name="time"))["survival"].tolist()
    [0.6666666666666667, 0.6666666666666667, 0.0]
    """
    return pd.DataFrame(
        {
            "at_risk": km.at_risk,
            "events": km.events,
            "censored": km.censored,
            "survival": km.survival,
            "ci_lower": km.ci_lower,
            "ci_upper": km.ci_upper,
        },
        index=time,
    )


def _per_group(curve: object, one: Callable[[pd.DataFrame], Any]) -> pd.Series | None:
    """Apply ``one`` to each group of a grouped survival curve (``by=``); None for a plain curve.

    Series results gain the group level(s) in front of their index; floats become a Series by group.
    """
    if not (isinstance(curve, pd.DataFrame) and isinstance(curve.index, pd.MultiIndex)):
        return None
    keys, results = [], []
    for key, part in group_parts(curve):
        keys.append(key)
        results.append(one(part))
    names = curve.index.names[:-1]
    if len(names) == 1:
        # Each key is the tuple of one label, which may itself be a tuple: keep it whole, one level.
        groups = pd.Index([k[0] for k in keys], name=names[0], tupleize_cols=False)
    else:
        groups = pd.MultiIndex.from_tuples(keys, names=names)
    result = by_group(results, groups, name="value")
    assert isinstance(result, pd.Series)  # one reads a series or a number off each group's curve
    return result


def _days(value: object, func: str) -> int:
    days: int = _SURVIVAL_AT.check("times", value, func=func)
    return days


def survival_at(
    curve: pd.DataFrame, times: Duration | Sequence[Duration] | NDArray[np.integer]
) -> pd.Series:
    r"""Read the survival probability off a :func:`survival_curve` result at given times.

    This is how short-, mid- and long-term retention are read: ``survival_at(curve, ["30D", "91D",
    "365D"])`` gives the share of customers expected to still be active 1, 3 and 12 months after their
    first purchase.

    Parameters
    ----------
    curve : pandas.DataFrame
        A result of :func:`survival_curve` (index ``time`` in days, a ``survival`` column).
    times : int, str, timedelta, or a sequence of them
        Times since the first purchase: an int is days; strings and timedeltas (numpy's too) must be
        whole days (``"30D"``, ``"13W"``; write months as days, e.g. ``"91D"``), up to 106,751.

    Returns
    -------
    pandas.Series
        Named ``survival``, indexed by ``times`` as given: the value of the step function at each time,
        i.e. the survival at the last curve time at or before it, and 1.0 before the first curve time;
        NaN for a curve without customers (its survival is undefined).
        For a curve broken down by group (``survival_curve(..., by=...)``), the groups are the outer
        index level(s); ``.unstack()`` makes a table of groups by times.

    Raises
    ------
    ColumnTypeError, ColumnNotFoundError, InvalidValueError
        If ``curve`` is not a survival curve.
    InvalidParameterError
        If a time is negative or not a whole number of days.

    See Also
    --------
    survival_curve : Makes the curve.
    median_lifetime : The time at which the curve reaches 0.5.

    Notes
    -----
    $\hat S(t) = \hat S(t_j)$ with $t_j$ the largest curve time $\le t$. Past the
    last curve time the last value is held; if that time is censored the true survival may be lower,
    so check that the curve reaches the times you read.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> curve = pd.DataFrame({"survival": [0.75, 0.375, 0.0]},
    ...                      index=pd.Index([0, 10, 20], name="time"))
    >>> rt.survival_at(curve, ["5D", 10, "2W"])
    5D     0.750
    10     0.375
    2W     0.375
    Name: survival, dtype: float64
    """
    func = "survival_at"
    grouped = _per_group(curve, lambda one: survival_at(one, times))
    if grouped is not None:
        return grouped
    time, survival = read_curve(curve, func)
    if isinstance(times, np.ndarray) and times.dtype.kind in "iu" and times.ndim == 1:
        # Whole days (numpy's timedelta64 arrays, an integer kind too, go through parse_duration).
        outside = (times < 0) | (times > MAX_DAYS)
        if outside.any():
            msg = (
                f"The 'times' parameter of {func} must hold days from 0 to {MAX_DAYS:,}. Got "
                f"{plain_value(times[outside][0])!r}."
            )
            raise InvalidParameterError(msg)
        at = times.astype(np.int64)
        labels: list[object] = list(times)
    else:
        labels = (
            list(cast("Iterable[object]", times)) if pd.api.types.is_list_like(times) else [times]
        )
        at = np.array([_days(value, func) for value in labels], dtype=np.int64)
    return pd.Series(step_at(time, survival, at), index=pd.Index(labels), name="survival")


def median_lifetime(curve: pd.DataFrame) -> float:
    r"""Median customer lifetime in days, read off a :func:`survival_curve` result.

    Parameters
    ----------
    curve : pandas.DataFrame
        A result of :func:`survival_curve`.

    Returns
    -------
    float or pandas.Series
        The smallest time (days) with survival at or below 0.5; NaN when the curve never gets there (more
        than half of the customers are still active, or censored, at the last time). For a curve broken
        down by group, a Series named ``median_lifetime`` indexed by group.

    Raises
    ------
    ColumnTypeError, ColumnNotFoundError, InvalidValueError
        If ``curve`` is not a survival curve.

    See Also
    --------
    survival_curve : Makes the curve.
    survival_at : Read the curve at given times.

    Notes
    -----
    $\hat t_{0.5} = \min\{t_i : \hat S(t_i) \le 0.5\}$, the definition lifelines uses.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> curve = pd.DataFrame({"survival": [0.9, 0.5, 0.2]},
    ...                      index=pd.Index([0, 30, 60], name="time"))
    >>> rt.median_lifetime(curve)  # the first time at which survival is 0.5 or less
    30.0

    A curve that stays above 0.5 (most customers still active at its last time) has no median:

    >>> rt.median_lifetime(curve.loc[:0])
    nan
    """
    grouped = _per_group(curve, median_lifetime)
    if grouped is not None:
        grouped.name = "median_lifetime"
        return grouped  # type: ignore[return-value]  # a Series by group for a grouped curve
    time, survival = read_curve(curve, "median_lifetime")
    return median_time(time, survival)
