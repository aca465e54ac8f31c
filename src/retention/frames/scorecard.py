"""The manager scorecard: one row of figures per group, their ranks, and each group against the rest.

The adapter reads the transaction table once, with the groups of ``by``
(:func:`retention.frames.schema.read_transactions`); the figures come from the functions that define them,
run on the shared table and its parts (:func:`~retention.frames.rates.period_retention_of`,
:func:`~retention.frames.rates.repeat_purchase_rate_of`, the lifetimes and Kaplan-Meier curves of
``survival_curve``, the exact revenue of the table), the complaints are read as ``customer_features``
reads them and the contact compliance is :func:`~retention.frames.contacts.contact_compliance`'s. The
comparison of a group with the rest of the company uses the formulas of ``compare_retention``. The loops
are over groups, never over customers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import compare as _compare
from retention.core import stats as _stats
from retention.core.cohorts import kaplan_meier, lifetimes
from retention.core.rates import ratio
from retention.errors import ColumnTypeError, InvalidParameterError
from retention.frames.contacts import contact_compliance
from retention.frames.events import read_events, resolved_flags
from retention.frames.options import ALPHA, Days, Frequency, Given, Options, declare
from retention.frames.rates import period_retention_of, repeat_purchase_rate_of
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Duration,
    Transactions,
    transaction_options,
)

__all__ = ["Scorecard", "scorecard"]

_SCORECARD: Final = declare(
    "scorecard",
    by=Given("the groups to score: column label(s) or a Series, read by read_transactions"),
    freq=Frequency(),
    complaints=Given("a table of complaints, read by read_events"),
    plan=Given("a contact plan as rt.contact_plan makes, read by contact_compliance"),
    done=Given("the contacts made, read by contact_compliance"),
    resolved=Given("the column of resolved flags of the complaints table"),
    inactive_after=Days(),
    alpha=ALPHA,
    adjust=Options(*_compare.ADJUSTMENTS),
)

SURVIVAL_PERIODS: Final = (3, 12)
"""The ages, in periods of ``freq``, at which the scorecard reads survival."""

# The mean length of a period in days (the Gregorian year is 365.2425 days), to turn periods into days.
_PERIOD_DAYS: Final = {"D": 1.0, "W": 7.0, "M": 365.2425 / 12, "Q": 365.2425 / 4, "Y": 365.2425}

# Figures where a lower value is better (rank 1 is the lowest); every other figure ranks highest first.
_LOWER_IS_BETTER: Final = frozenset({"churned_customers", "churn_rate", "complaints_open"})
# Figures without a better direction: the planned contacts are a workload set by the plan, not a result.
_UNRANKED: Final = frozenset({"contacts_planned"})

# The retention figures compared with the rest of the company, in the order of ``versus_rest``.
_COMPARED: Final = ("churn_rate", "survival_3", "survival_12", "repeat_purchase_rate")
_VERSUS_COLUMNS: Final = (
    "value",
    "rest",
    "estimate",
    "ci_lower",
    "ci_upper",
    "p_value",
    "p_adjusted",
)
_GROUP_COLUMN: Final = "__scorecard_group__"


@dataclass(frozen=True)
class Scorecard:
    """The result of :func:`scorecard`: the figures, their ranks and each group against the rest.

    Attributes
    ----------
    figures : pandas.DataFrame
        One row per group (index named like ``by``), one column per figure (see :func:`scorecard`,
        Returns).
    ranks : pandas.DataFrame
        The same shape: each figure's rank among the groups (Int64; 1 is the best, ties share the best
        rank, a missing figure has no rank).
    versus_rest : pandas.DataFrame
        One row per group and retention figure (index: the group level(s) and ``measure``): the group's
        ``value``, the ``rest`` of the company's, their difference ``estimate`` (group minus rest),
        ``ci_lower``, ``ci_upper``, ``p_value`` and ``p_adjusted``.
    freq : str
        The period.
    period : str
        The last complete period, whose counts and rates the figures show ("" when there is none).
    horizons : tuple of int
        The days at which ``survival_3`` and ``survival_12`` are read.
    alpha : float
        1 minus the coverage of the intervals.
    adjust : str or None
        The multiple-comparison adjustment of ``p_adjusted``.
    """

    figures: pd.DataFrame
    ranks: pd.DataFrame
    versus_rest: pd.DataFrame
    freq: str
    period: str
    horizons: tuple[int, ...]
    alpha: float
    adjust: str | None

    def _head(self) -> str:
        n = len(self.figures)
        name = ", ".join(str(v) for v in self.figures.index.names)
        period = self.period or "none"
        return (
            f"Scorecard by {name}: {n} group{'s' if n != 1 else ''}; last complete period {period} "
            f"(freq {self.freq!r}); survival at {SURVIVAL_PERIODS[0]} and {SURVIVAL_PERIODS[1]} periods "
            f"= {self.horizons[0]} and {self.horizons[1]} days; each group against the rest of the "
            f"company with {1 - self.alpha:.0%} intervals, p-values adjusted: {self.adjust or 'none'}"
        )

    def _figure_table(self) -> pd.DataFrame:
        """One row per figure, one column per group: "value (rank)"."""
        cells = {}
        for name in self.figures.columns:
            values, ranks = self.figures[name], self.ranks[name]
            cells[name] = [
                f"{_format(name, v)} ({r})" if not pd.isna(r) else _format(name, v)
                for v, r in zip(values, ranks, strict=True)
            ]
        table = pd.DataFrame(cells, index=self.figures.index).T
        table.index.name = "figure"
        return table

    def _versus_table(self) -> pd.DataFrame:
        """Group minus rest as "estimate [low, high]", one row per group, one column per figure."""
        v = self.versus_rest

        def cell(row: pd.Series) -> str:
            if math.isnan(row["estimate"]):
                return "n/a"
            if math.isnan(row["ci_lower"]):
                return f"{row['estimate']:+.3f}"
            return f"{row['estimate']:+.3f} [{row['ci_lower']:+.3f}, {row['ci_upper']:+.3f}]"

        if len(v) == 0:
            return pd.DataFrame(index=self.figures.index, columns=list(_COMPARED))
        # versus_rest is group-major, one row per compared figure: one row per group here.
        cells = v.apply(cell, axis=1).to_numpy().reshape(len(self.figures), len(_COMPARED))
        return pd.DataFrame(cells, index=self.figures.index, columns=list(_COMPARED))

    def __repr__(self) -> str:
        with pd.option_context("display.width", 120, "display.max_columns", 12):
            return (
                f"{self._head()}\n\nFigures (rank among the groups, 1 = best)\n"
                f"{self._figure_table().to_string()}\n\n"
                f"Against the rest of the company: group - rest [interval]\n"
                f"{self._versus_table().to_string()}"
            )

    def _repr_html_(self) -> str:
        return (
            f"<div><p><b>{self._head()}</b></p><p>Figures (rank among the groups, 1 = best)</p>"
            f"{self._figure_table().to_html()}"
            f"<p>Against the rest of the company: group - rest [interval]</p>"
            f"{self._versus_table().to_html()}</div>"
        )


_SHARES: Final = frozenset(
    {"crr", "churn_rate", "survival_3", "survival_12", "repeat_purchase_rate", "contact_compliance"}
)


def _format(name: str, value: Any) -> str:
    """Format a figure as the repr shows it: shares to 3 decimals, money to 2 with separators, counts whole."""
    if value is pd.NA or math.isnan(float(value)):
        return "-"
    number = float(value)
    if name in _SHARES:
        return f"{number:.3f}"
    if name.startswith("revenue"):
        return f"{number:,.2f}"
    return f"{number:,.0f}"


@transaction_options
def scorecard(
    tx: pd.DataFrame,
    by: object,
    *,
    freq: str = "M",
    complaints: pd.DataFrame | None = None,
    plan: pd.DataFrame | None = None,
    done: pd.DataFrame | None = None,
    resolved: Hashable | None = "resolved",
    inactive_after: Duration = "90D",
    alpha: float = 0.05,
    adjust: str | None = "holm",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
) -> Scorecard:
    r"""Score each manager (or channel, store): retention, revenue, complaints and contacts, ranked.

    One row per group with the figures a retention review asks for, each figure's rank among the
    groups, and each group's retention figures against the rest of the company with intervals, so that
    a manager with few customers is not ranked last on noise alone.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase, or per order line with ``order_id``. Not modified; row order does not
        matter.
    by : column label, list of column labels or pandas.Series
        The groups scored, as ``by=`` takes them: a column such as ``"manager"`` (each customer's value
        on their first purchase), several columns, or a Series mapping customer id to group (the
        assignment from a CRM). A missing group is a group of its own.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        The period of the counts and rates, and of the survival ages (3 and 12 periods).
    complaints : pandas.DataFrame, optional
        One row per complaint, with the customer id and date columns (named as in ``tx``) and optionally
        the ``resolved`` column, read as :func:`customer_features` reads it. Not modified.
    plan, done : pandas.DataFrame, optional
        The planned contacts (as :func:`contact_plan` returns them) and the contact log (with the
        customer id and date columns named as in ``tx``), given together; the compliance is
        :func:`contact_compliance`'s, with each customer credited to their group. Not modified.
    resolved : column label or None, default "resolved"
        The column of ``complaints`` that marks resolved complaints, as in :func:`customer_features`:
        without a column of the default name, or with None, every complaint counts as open.
    inactive_after : int or str or timedelta, default "90D"
        A customer who makes no purchase for more than this many days has lapsed (as in
        :func:`survival_curve`).
    alpha : float, default 0.05
        1 minus the coverage of the intervals of the differences (0.05 gives 95% intervals).
    adjust : {"holm", "bonferroni", None}, default "holm"
        How ``p_adjusted`` corrects for the number of groups compared: within each figure, over the
        groups.
    <transaction options>

    Returns
    -------
    Scorecard
        ``.figures``: one row per group (index named like ``by``), with the columns

        - ``customers``: customers with a purchase up to the observation end (int64);
        - ``active_customers``, ``new_customers``, ``churned_customers`` (Int64), ``crr`` and
          ``churn_rate``: of the last complete period, as :func:`period_retention` counts them (a
          group without customers before that period has counts 0 and NaN rates; no complete period
          at all gives NA);
        - ``survival_3``, ``survival_12``: the Kaplan-Meier survival 3 and 12 periods after the first
          purchase, read at ``.horizons`` days as :func:`compare_retention` reads it;
        - ``revenue`` (net of returns, summed exactly) and ``revenue_per_customer`` (NaN without an
          amount column);
        - ``repeat_purchase_rate``: see :func:`repeat_purchase_rate`;
        - with ``complaints``: ``complaints_open`` and ``complaints_resolved`` (int64), the complaints
          up to the observation end of the group's customers;
        - with ``plan`` and ``done``: ``contacts_planned``, ``contacts_met`` (int64) and
          ``contact_compliance`` (met / planned; NaN without planned contacts).

        ``.ranks``: each figure's rank among the groups (Int64, 1 the best: the highest value, except
        for ``churned_customers``, ``churn_rate`` and ``complaints_open``, where the lowest;
        ``contacts_planned``, a workload set by the plan, is not ranked).

        ``.versus_rest``: per group and figure (``measure``: ``churn_rate``, ``survival_3``,
        ``survival_12``, ``repeat_purchase_rate``), the group's ``value``, the ``rest``'s, the
        difference ``estimate`` (group minus rest), ``ci_lower``, ``ci_upper``, ``p_value`` and
        ``p_adjusted``.

    Raises
    ------
    InvalidParameterError
        If ``by`` is None, ``plan`` comes without ``done`` or the other way round, or an option is not
        accepted.
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        If a table is not a DataFrame, lacks a column (``by`` included), or holds unusable values (see
        :func:`customer_features` for the complaints and :func:`contact_compliance` for the contacts).

    See Also
    --------
    compare_retention : Differences between groups with intervals and tests.
    kpis : The same counts and rates for the whole company.
    contact_compliance : Planned against made contacts.

    Notes
    -----
    **A group against the rest.** Each group is compared with all other customers together, the
    comparison a manager is judged by ("are my customers kept better than the company's?").

    - ``churn_rate`` $= C / S$ is a share of the customers active in the period before: the difference
      of the group's and the rest's has Newcombe's hybrid score interval [1]_ and the pooled
      two-proportion z test's p-value, as :func:`compare_retention` gives them for shares;
      ``repeat_purchase_rate`` (the share of customers with two or more purchase days) likewise.
    - ``survival_3`` and ``survival_12``: the difference of the Kaplan-Meier survivals with the
      delta-method interval $\hat S_g - \hat S_r \pm z_{1-\alpha/2}\sqrt{\hat V_g + \hat V_r}$ from
      Greenwood's variances [2]_, exactly as :func:`compare_retention` compares two groups.
    - ``crr`` $= (E - N) / S$ is not compared: it counts reactivated customers, who are not among the
      $S$ it divides by, so it is no share of one set of customers and a binomial interval would not
      hold. Its complement for the customers who were there, the churn rate, carries the comparison.

    ``p_adjusted`` corrects, within each figure, for the number of groups compared (Holm [3]_ or
    Bonferroni). Counts and revenue have no interval: they are what happened, not estimates.

    **Periods in days.** The survival ages are $3L$ and $12L$ days rounded, with $L$ the mean length
    of a period: 1, 7, 365.2425 / 12, 365.2425 / 4 and 365.2425 days; 91 and 365 days for months.

    **The groups are required.** ``by`` has no default (not even ``"manager"``): a table's extra columns
    are read only when named, and the groups scored are the data of the call, as in
    :func:`compare_retention`.

    **Ranks** order the groups on each figure, ties sharing the best rank (1, 1, 3). A rank is a
    position, not a verdict: read it with ``versus_rest``, whose intervals say whether the gap is
    more than noise.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    .. [2] Klein, J. P. and Moeschberger, M. L. (2003). Survival Analysis: Techniques for Censored and
       Truncated Data, 2nd ed., Springer, section 7.8.
    .. [3] Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
       Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 6],
    ...     "date": ["2024-01-05", "2024-02-10", "2024-01-20", "2024-03-15", "2024-02-01",
    ...              "2024-03-20", "2024-01-10", "2024-02-20", "2024-02-25", "2024-03-05"],
    ...     "amount": [10.0, 20.0, 5.0, 5.0, 30.0, 10.0, 8.0, 12.0, 60.0, 15.0],
    ...     "manager": ["ann"] * 6 + ["bob"] * 4,
    ... })
    >>> card = rt.scorecard(tx, "manager", observation_end="2024-03-31")
    >>> card.period
    '2024-03'
    >>> card.figures[["customers", "active_customers", "churned_customers", "churn_rate", "revenue"]]
             customers  active_customers  churned_customers  churn_rate  revenue
    manager
    ann              3                 2                  1         0.5     80.0
    bob              3                 1                  2         1.0     95.0
    >>> card.ranks[["churn_rate", "revenue"]]
             churn_rate  revenue
    manager
    ann               1        2
    bob               2        1

    Ann lost one of the two customers active in February, Bob both of his. With two customers each,
    the interval of the difference from the rest of the company is wide:

    >>> card.versus_rest.loc[("ann", "churn_rate"), ["value", "rest", "estimate", "ci_lower",
    ...                                              "ci_upper"]].round(3)
    value       0.500
    rest        1.000
    estimate   -0.500
    ci_lower   -0.905
    ci_upper    0.273
    Name: (ann, churn_rate), dtype: float64
    """
    func = "scorecard"
    if by is None:
        msg = f"The 'by' parameter of {func} names the groups to score; got None. Pass a column label such as 'manager', a list of labels or a Series mapping customer id to group."
        raise InvalidParameterError(msg)
    freq = _SCORECARD.check("freq", freq)
    inactive = _SCORECARD.check("inactive_after", inactive_after)
    level = _SCORECARD.check("alpha", alpha)
    _SCORECARD.check("adjust", adjust)
    if (plan is None) != (done is None):
        given, missing = ("plan", "done") if done is None else ("done", "plan")
        msg = f"The {missing!r} parameter of {func} is missing: contact compliance compares the planned contacts (plan=) with the contacts made (done=), so pass both, or neither. Got {given}= alone."
        raise InvalidParameterError(msg)
    t = read_with_options(tx, locals(), func=func)
    assert t.groups is not None  # read with by
    labels, codes = t.groups.labels, t.groups.codes
    k = len(labels)
    parts = [part for _, part in t.split()]
    sizes = np.bincount(codes, minlength=k).astype(np.int64)
    horizons = np.array([round(n * _PERIOD_DAYS[freq]) for n in SURVIVAL_PERIODS], dtype=np.int64)

    columns: dict[str, Any] = {"customers": sizes}
    period, churn = _period_figures(t, parts, freq, columns)
    survival = _survival_figures(t, sizes, inactive, horizons)
    columns["survival_3"], columns["survival_12"] = survival.value[:, 0], survival.value[:, 1]
    if t.has_amounts:
        revenue = np.array([part.revenue() for part in parts], dtype=np.float64)
    else:
        revenue = np.full(k, np.nan)
    columns["revenue"] = revenue
    columns["revenue_per_customer"] = np.asarray(ratio(revenue, sizes), dtype=np.float64)
    columns["repeat_purchase_rate"] = np.array(
        [repeat_purchase_rate_of(part) for part in parts], dtype=np.float64
    )
    if complaints is not None:
        columns |= _complaint_counts(
            complaints, t, resolved, customer_id=customer_id, date=date, func=func
        )
    if plan is not None and done is not None:
        columns |= _compliance(plan, done, t, customer_id=customer_id, date=date, func=func)
    figures = pd.DataFrame(columns, index=labels)

    repeaters = _repeaters(t, k)
    versus = _versus_rest(
        labels,
        churn=churn,
        survival=survival,
        repeat=(repeaters, sizes.astype(np.float64)),
        alpha=level,
        adjust=adjust,
    )
    return Scorecard(
        figures=figures,
        ranks=_ranks(figures),
        versus_rest=versus,
        freq=freq,
        period=period,
        horizons=tuple(int(h) for h in horizons),
        alpha=level,
        adjust=adjust,
    )


def _period_figures(
    t: Transactions, parts: list[Transactions], freq: str, columns: dict[str, Any]
) -> tuple[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Add the counts and rates of the last complete period; return it and the churn counts.

    The churn counts are ``(churned, customers_start)`` per group, as floats, for the comparison.
    """
    k = len(parts)
    whole = period_retention_of(t, freq)
    count_names = {
        "active_customers": "customers_end",
        "new_customers": "new",
        "churned_customers": "churned",
    }
    if len(whole) == 0:  # no complete period: nothing to count
        for name in count_names:
            columns[name] = pd.array([pd.NA] * k, dtype="Int64")
        columns["crr"], columns["churn_rate"] = np.full(k, np.nan), np.full(k, np.nan)
        return "", (np.full(k, np.nan), np.full(k, np.nan))
    period = whole.index[-1]
    # Each group's table ends at the same last complete period; a group whose first purchase comes
    # later has no row there: nobody of it was active, so its counts are 0 and its rates NaN.
    rows = [
        frame.loc[period] if period in frame.index else None
        for frame in (period_retention_of(part, freq) for part in parts)
    ]

    def column(name: str, fill: float) -> NDArray[Any]:
        return np.array([fill if r is None else r[name] for r in rows], dtype=np.float64)

    for name, source in count_names.items():
        columns[name] = pd.array(column(source, 0).astype(np.int64), dtype="Int64")
    columns["crr"] = column("crr", np.nan)
    columns["churn_rate"] = column("churn_rate", np.nan)
    return str(period), (column("churned", 0), column("customers_start", 0))


@dataclass(frozen=True)
class _Survival:
    """Per group and horizon: survival and Greenwood variance of the group and of the rest."""

    value: NDArray[np.float64]
    variance: NDArray[np.float64]
    rest: NDArray[np.float64]
    rest_variance: NDArray[np.float64]


def _survival_figures(
    t: Transactions,
    sizes: NDArray[np.int64],
    inactive: int,
    horizons: NDArray[np.int64],
) -> _Survival:
    """Kaplan-Meier survival at the horizons of each group and of the rest (lifetimes derived once)."""
    k, h = len(sizes), len(horizons)
    value, variance, rest, rest_variance = (np.full((k, h), np.nan) for _ in range(4))
    if k == 0 or t.end_day is None:
        return _Survival(value, variance, rest, rest_variance)
    duration, observed = lifetimes(t.activity("D"), t.end_day, inactive)
    bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    for g in range(k):  # groups, not customers
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        mine = kaplan_meier(duration[lo:hi], observed[lo:hi])
        others = kaplan_meier(
            np.concatenate([duration[:lo], duration[hi:]]),
            np.concatenate([observed[:lo], observed[hi:]]),
        )
        value[g], _, _, variance[g] = _compare.survival_at_horizons(mine, horizons)
        rest[g], _, _, rest_variance[g] = _compare.survival_at_horizons(others, horizons)
    return _Survival(value, variance, rest, rest_variance)


def _repeaters(t: Transactions, k: int) -> NDArray[np.float64]:
    """Per group, the customers with two or more purchase days."""
    assert t.groups is not None  # read with by
    repeat = np.diff(t.activity("D").start) >= 2
    return np.bincount(t.groups.codes[repeat], minlength=k).astype(np.float64)


def _complaint_counts(
    complaints: object,
    t: Transactions,
    resolved: Hashable | None,
    *,
    customer_id: Hashable,
    date: Hashable,
    func: str,
) -> dict[str, NDArray[np.int64]]:
    """Per group, the open and the resolved complaints of its customers, up to the observation end."""
    assert t.groups is not None  # read with by
    k = len(t.groups.labels)
    code, in_time, table, _ = read_events(
        complaints,
        "complaints",
        t.customer_ids,
        t.end_day,
        customer_id=customer_id,
        date=date,
        caller=func,
    )
    flags = resolved_flags(table, resolved, func)
    keep = in_time & (code >= 0)
    group = t.groups.codes[code[keep]]
    done = flags[keep] if flags is not None else np.zeros(len(group), dtype=np.bool_)
    return {
        "complaints_open": np.bincount(group[~done], minlength=k).astype(np.int64),
        "complaints_resolved": np.bincount(group[done], minlength=k).astype(np.int64),
    }


def _compliance(
    plan: object,
    done: object,
    t: Transactions,
    *,
    customer_id: Hashable,
    date: Hashable,
    func: str,
) -> dict[str, NDArray[Any]]:
    """Per group, the planned and met contacts of its customers, by :func:`contact_compliance`."""
    assert t.groups is not None  # read with by
    k = len(t.groups.labels)
    if not isinstance(plan, pd.DataFrame):
        msg = f"The 'plan' parameter of {func} must be a pandas DataFrame of planned contacts (as rt.contact_plan returns it). Got {type(plan).__name__}."
        raise ColumnTypeError(msg)
    owner = None
    if "customer_id" in plan.columns:
        # Each planned customer's group, as the owner contact_compliance credits; unknown: none.
        position = t.customer_ids.get_indexer(pd.Index(plan["customer_id"]))
        group = np.where(position >= 0, t.groups.codes[np.maximum(position, 0)], -1)
        owner = pd.array(group, dtype="Int64")
        owner[group < 0] = pd.NA
    planned = plan.assign(**{_GROUP_COLUMN: owner}) if owner is not None else plan
    table = contact_compliance(
        planned,
        done,  # type: ignore[arg-type]  # contact_compliance checks it
        owner=_GROUP_COLUMN if owner is not None else None,
        customer_id=customer_id,
        date=date,
    )
    rows = table.reindex(pd.Index(range(k), dtype=object))
    return {
        "contacts_planned": rows["planned"].fillna(0).to_numpy(dtype=np.int64),
        "contacts_met": rows["met"].fillna(0).to_numpy(dtype=np.int64),
        "contact_compliance": rows["compliance"].to_numpy(dtype=np.float64),
    }


def _ranks(figures: pd.DataFrame) -> pd.DataFrame:
    """Rank every figure among the groups: 1 the best, ties sharing the best rank, NaN unranked."""
    ranks = {
        name: figures[name]
        .astype("float64")
        .rank(method="min", ascending=name in _LOWER_IS_BETTER, na_option="keep")
        .astype("Int64")
        for name in figures.columns
    }
    for name in _UNRANKED & set(ranks):
        ranks[name] = pd.Series(pd.NA, index=figures.index, dtype="Int64")
    return pd.DataFrame(ranks, index=figures.index)


def _versus_rest(
    labels: pd.Index,
    *,
    churn: tuple[NDArray[np.float64], NDArray[np.float64]],
    survival: _Survival,
    repeat: tuple[NDArray[np.float64], NDArray[np.float64]],
    alpha: float,
    adjust: str | None,
) -> pd.DataFrame:
    """Each group against the rest of the company, per compared figure."""
    k = len(labels)
    blocks = [_share_difference(*churn, alpha)]
    for j in range(survival.value.shape[1]):
        s_g, s_r = survival.value[:, j], survival.rest[:, j]
        estimate = s_g - s_r
        se = np.sqrt(survival.variance[:, j] + survival.rest_variance[:, j])
        low, high, p = _compare.difference_test(estimate, se, alpha)
        low, high = _compare.clip_to_differences_of_shares(low, high)
        blocks.append(
            {
                "value": s_g,
                "rest": s_r,
                "estimate": estimate,
                "ci_lower": low,
                "ci_upper": high,
                "p_value": p,
            }
        )
    blocks.append(_share_difference(*repeat, alpha))
    m = len(blocks)
    stacked = {c: np.stack([b[c] for b in blocks], axis=1) for c in blocks[0]}  # groups x figures
    family = np.tile(np.arange(m, dtype=np.int64), k)
    p_flat = stacked["p_value"].ravel()
    columns = {c: v.ravel() for c, v in stacked.items()}
    columns["p_adjusted"] = _compare.adjust_p_values(p_flat, family, adjust)
    at = np.repeat(np.arange(k, dtype=np.int64), m)
    group = labels.take(at)
    levels = [group.get_level_values(i) for i in range(group.nlevels)]
    measure = pd.CategoricalIndex(
        pd.Categorical.from_codes(family, categories=pd.Index(list(_COMPARED)), ordered=True),
        name="measure",
    )
    index = pd.MultiIndex.from_arrays([*levels, measure], names=[*labels.names, "measure"])
    return pd.DataFrame({c: columns[c] for c in _VERSUS_COLUMNS}, index=index)


def _share_difference(
    x: NDArray[np.float64], n: NDArray[np.float64], alpha: float
) -> dict[str, NDArray[np.float64]]:
    """Compare a share of each group with the rest's: Newcombe's interval, the two-proportion z test."""
    x_rest, n_rest = x.sum() - x, n.sum() - n
    usable = (n > 0) & (n_rest > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value, rest = x / n, x_rest / n_rest
    value[n == 0] = np.nan
    rest[n_rest == 0] = np.nan
    estimate, low, high = (np.full(len(x), np.nan) for _ in range(3))
    estimate[usable] = value[usable] - rest[usable]
    low[usable], high[usable] = _stats.newcombe_interval(
        x[usable], n[usable], x_rest[usable], n_rest[usable], alpha
    )
    p = _compare.proportion_test(x, n, x_rest, n_rest)
    return {"value": value, "rest": rest, "estimate": estimate, "ci_lower": low, "ci_upper": high,
            "p_value": p}  # fmt: skip
