"""The manager scorecard: one row of figures per group, their ranks, and each group against the rest.

Why one module of about 900 lines: ``scorecard`` is one function with one result (:class:`Scorecard`), and
its two steps share private layouts: the sparse (group, day) lifetime cells that
:func:`scorecard_counts_of` makes, :func:`scorecard_counts_sum` adds and :func:`scorecard_from_counts`
turns into the curves of each group and of the rest, and the per-group counts of the last period. Split,
those layouts would pass between modules. The statistics are :mod:`retention.frames.compare`'s, imported;
the function's docstring and the text form of the result (figures with ranks, differences with
intervals) are about a third of the length.

The adapter reads the transaction table once, with the groups of ``by``
(:func:`retention.frames.schema.read_transactions`), and works in two steps, as DESIGN.md's
customer-decomposable metrics do. :func:`scorecard_counts_of` counts, per group, what adds up over
customers: the customers and repeat customers, the counts of the last complete period as
:func:`~retention.frames.rates.period_counts_of` makes them, the Kaplan-Meier counts of the lifetimes of
``survival_curve`` by day, the exact partial sums of the revenue, the complaints (read as
``customer_features`` reads them) and the groups of the planned customers. :func:`scorecard_from_counts`
finishes: rates, the Kaplan-Meier curves of each group and of the rest (all customers' counts minus the
group's), the contact compliance of :func:`~retention.frames.contacts.contact_compliance`, the ranks and
the comparison of a group with the rest of the company with the formulas of ``compare_retention``. A
table on a cluster is counted partition by partition and added with :func:`scorecard_counts_sum`. The
loops are over groups, never over customers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import compare as _compare
from retention.core.cohorts import kaplan_meier_of_counts, lifetimes
from retention.core.rates import PeriodCounts, ratio
from retention.core.sums import (
    Partials,
    add_partials,
    partial_sums,
    scatter_partials,
    sums_of_partials,
)
from retention.errors import ColumnTypeError, InvalidParameterError
from retention.frames.breakdown import index_levels
from retention.frames.compare import share_difference, survival_difference
from retention.frames.contacts import contact_compliance
from retention.frames.events import read_complaints
from retention.frames.options import ALPHA, Days, Frequency, Given, Options, declare
from retention.frames.rates import period_counts_of
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    PERIOD_DAYS,
    DateLike,
    Duration,
    Transactions,
    period_index,
    transaction_options,
)

__all__ = ["Scorecard", "scorecard"]

_SCORECARD: Final = declare(
    "scorecard",
    by=Given("the groups to score: column label(s) or a Series, read by read_transactions"),
    freq=Frequency(),
    complaints=Given("a table of complaints, read by read_complaints"),
    plan=Given("a contact plan as rt.contact_plan makes, read by contact_compliance"),
    done=Given("the contacts made, read by contact_compliance"),
    resolved=Given("the column of resolved flags of the complaints table"),
    inactive_after=Days(),
    alpha=ALPHA,
    adjust=Options(*_compare.ADJUSTMENTS),
)

SURVIVAL_PERIODS: Final = (3, 12)
"""The ages, in periods of ``freq``, at which the scorecard reads survival."""

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
    <transaction table>
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
    <reading errors>
        The same errors if ``by`` names a missing column, or the complaints or contacts cannot be read
        (see :func:`customer_features` for the complaints and :func:`contact_compliance` for the
        contacts).

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
    options = {
        "freq": freq,
        "inactive_after": inactive,
        "complaints": complaints,
        "plan": plan,
        "done": done,
        "resolved": resolved,
        "alpha": level,
        "adjust": adjust,
        "customer_id": customer_id,
        "date": date,
    }
    return scorecard_from_counts(scorecard_counts_of(t, options), options)


_PERIOD_FIELDS: Final = tuple(f.name for f in fields(PeriodCounts))


@dataclass(frozen=True)
class ScorecardCounts:
    """What a scorecard is made of: counts and exact sums per group, which add up over customers.

    The scorecard of a table is :func:`scorecard_from_counts` of :func:`scorecard_counts_of`; the counts
    of disjoint sets of customers (the partitions of a cluster) add up with
    :func:`scorecard_counts_sum`, so their scorecard is the whole table's, to the last bit.

    Attributes
    ----------
    labels : pandas.Index
        The groups (rows of every array below).
    customers, repeaters : numpy.ndarray of int64
        Per group, the customers, and those with two or more purchase days.
    period : int or None
        The code of the last complete period (None: no complete period).
    last_period : numpy.ndarray of int64
        Per group (rows) and field of :class:`~retention.core.rates.PeriodCounts` (columns), the counts
        of the last complete period (0 for a group whose first purchase comes later).
    lifetimes : numpy.ndarray of int64
        The Kaplan-Meier counts, one column per (group, day) with customers, sorted: rows group code,
        days, the customers whose first active spell lasted that many days, and those of them whose
        spell ended (observed churn). Sparse, so that many groups over many days stay small.
    revenue : Partials or None
        Per group, the exact partial sums of the revenue net of returns (None without amounts).
    complaints : numpy.ndarray of int64 or None
        With a complaints table: per group, the open (row 0) and resolved (row 1) complaints.
    owners : pandas.Series or None
        With a contact plan that names customers: the group code of each planned customer with a purchase,
        by customer id.
    end_day : int or None
        The observation end (days since 1970-01-01; None without purchases).
    """

    labels: pd.Index
    customers: NDArray[np.int64]
    repeaters: NDArray[np.int64]
    period: int | None
    last_period: NDArray[np.int64]
    lifetimes: NDArray[np.int64]
    revenue: Partials | None
    complaints: NDArray[np.int64] | None
    owners: pd.Series | None
    end_day: int | None


def scorecard_counts_of(t: Transactions, options: Mapping[str, Any]) -> ScorecardCounts:
    """Count a table read with the groups of ``by`` for :func:`scorecard` (options already checked).

    Parameters
    ----------
    t : Transactions
        Read with ``by``.
    options : Mapping of str to object
        ``freq``, ``inactive_after`` (days), ``complaints``, ``resolved``, ``plan``, ``customer_id`` and
        ``date``, as :func:`scorecard` takes them.

    Returns
    -------
    ScorecardCounts
    """
    func = "scorecard"
    assert t.groups is not None  # read with by
    labels, codes = t.groups.labels, t.groups.codes
    k = len(labels)
    period, last = _last_period_counts(t, _SCORECARD.check("freq", options["freq"]))
    lives = _lifetime_counts(t, _SCORECARD.check("inactive_after", options["inactive_after"]))
    revenue = None
    if t.has_amounts and t.amount is not None:
        revenue = partial_sums(
            [(codes[t.customer], t.amount), (codes[t.return_customer], t.return_amount)], k
        )
    repeat = np.diff(t.activity("D").start) >= 2
    complaints = options.get("complaints")
    plan = options.get("plan")
    return ScorecardCounts(
        labels=labels,
        customers=np.bincount(codes, minlength=k).astype(np.int64),
        repeaters=np.bincount(codes[repeat], minlength=k).astype(np.int64),
        period=period,
        last_period=last,
        lifetimes=lives,
        revenue=revenue,
        complaints=(
            _complaint_counts(
                complaints,
                t,
                options.get("resolved", "resolved"),
                customer_id=options.get("customer_id", "customer_id"),
                date=options.get("date", "date"),
                func=func,
            )
            if complaints is not None
            else None
        ),
        owners=_owners(plan, t, func) if plan is not None else None,
        end_day=t.end_day,
    )


def scorecard_counts_sum(parts: Sequence[ScorecardCounts]) -> ScorecardCounts:
    """Add the counts of disjoint sets of customers, group by group (groups sorted as ``by`` sorts them).

    Parameters
    ----------
    parts : sequence of ScorecardCounts
        At least one; each part's groups are its own (a group may be missing from a part).

    Returns
    -------
    ScorecardCounts
    """
    first = parts[0]
    labels = first.labels.append([p.labels for p in parts[1:]]).unique().sort_values()
    k = len(labels)
    customers, repeaters = np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
    last = np.zeros((k, len(_PERIOD_FIELDS)), dtype=np.int64)
    lives = []
    complaints = np.zeros((2, k), dtype=np.int64) if first.complaints is not None else None
    revenue: Partials | None = None
    owners: list[pd.Series] = []
    for p in parts:  # the parts (partitions), not the customers
        at = labels.get_indexer(p.labels)
        customers[at] += p.customers
        repeaters[at] += p.repeaters
        last[at] += p.last_period
        lives.append(np.vstack([at[p.lifetimes[0]], p.lifetimes[1:]]))
        if complaints is not None and p.complaints is not None:
            complaints[:, at] += p.complaints
        if p.revenue is not None:
            spread = scatter_partials(p.revenue, at, k)
            revenue = spread if revenue is None else add_partials(revenue, spread)
        if p.owners is not None:
            owners.append(pd.Series(at[p.owners.to_numpy()], index=p.owners.index))
    periods = [p.period for p in parts if p.period is not None]
    ends = [p.end_day for p in parts if p.end_day is not None]
    return ScorecardCounts(
        labels=labels,
        customers=customers,
        repeaters=repeaters,
        period=periods[0] if periods else None,
        last_period=last,
        lifetimes=_lifetime_cells(np.concatenate(lives, axis=1)),
        revenue=revenue,
        complaints=complaints,
        owners=pd.concat(owners) if owners else None,
        end_day=ends[0] if ends else None,
    )


def scorecard_from_counts(counts: ScorecardCounts, options: Mapping[str, Any]) -> Scorecard:
    """Finish a scorecard from its counts: figures, ranks and each group against the rest.

    Parameters
    ----------
    counts : ScorecardCounts
        Of the whole table (:func:`scorecard_counts_of`, or :func:`scorecard_counts_sum` of its parts).
    options : Mapping of str to object
        ``freq``, ``alpha``, ``adjust``, ``plan``, ``done``, ``customer_id`` and ``date``, as
        :func:`scorecard` takes them.

    Returns
    -------
    Scorecard
    """
    func = "scorecard"
    freq = _SCORECARD.check("freq", options["freq"])
    level = _SCORECARD.check("alpha", options["alpha"])
    adjust = _SCORECARD.check("adjust", options["adjust"])
    labels, sizes = counts.labels, counts.customers
    k = len(labels)
    horizons = np.array([round(n * PERIOD_DAYS[freq]) for n in SURVIVAL_PERIODS], dtype=np.int64)

    columns: dict[str, Any] = {"customers": sizes}
    period, churn = _period_figures(counts, freq, columns)
    survival = _survival_figures(counts, horizons)
    columns["survival_3"], columns["survival_12"] = survival.value[:, 0], survival.value[:, 1]
    if counts.revenue is not None:
        revenue = sums_of_partials(counts.revenue).astype(np.float64)
    else:
        revenue = np.full(k, np.nan)
    columns["revenue"] = revenue
    columns["revenue_per_customer"] = np.asarray(ratio(revenue, sizes), dtype=np.float64)
    columns["repeat_purchase_rate"] = np.asarray(ratio(counts.repeaters, sizes), dtype=np.float64)
    if counts.complaints is not None:
        columns["complaints_open"] = counts.complaints[0]
        columns["complaints_resolved"] = counts.complaints[1]
    plan, done = options.get("plan"), options.get("done")
    if plan is not None and done is not None:
        columns |= _compliance(
            plan,
            done,
            counts.owners,
            k,
            customer_id=options.get("customer_id", "customer_id"),
            date=options.get("date", "date"),
            func=func,
        )
    figures = pd.DataFrame(columns, index=labels)

    versus = _versus_rest(
        labels,
        churn=churn,
        survival=survival,
        repeat=(counts.repeaters.astype(np.float64), sizes.astype(np.float64)),
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


def _last_period_counts(t: Transactions, freq: str) -> tuple[int | None, NDArray[np.int64]]:
    """Per group, the counts of the last complete period, as :func:`period_retention` counts them.

    Each group's counts end at the same last complete period; a group whose first purchase comes
    later has none there: nobody of it was active, so its counts are 0.
    """
    assert t.groups is not None  # read with by
    last = np.zeros((len(t.groups.labels), len(_PERIOD_FIELDS)), dtype=np.int64)
    period = None
    for g, (_, part) in enumerate(t.split()):  # groups, not customers
        first, counts = period_counts_of(part, freq)
        if len(counts.new):
            period = first + len(counts.new) - 1
            last[g] = [getattr(counts, name)[-1] for name in _PERIOD_FIELDS]
    return period, last


def _period_figures(
    counts: ScorecardCounts, freq: str, columns: dict[str, Any]
) -> tuple[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Add the counts and rates of the last complete period; return it and the churn counts.

    The churn counts are ``(churned, customers_start)`` per group, as floats, for the comparison.
    """
    k = len(counts.labels)
    count_names = {
        "active_customers": "customers_end",
        "new_customers": "new",
        "churned_customers": "churned",
    }
    if counts.period is None:  # no complete period: nothing to count
        for name in count_names:
            columns[name] = pd.array([pd.NA] * k, dtype="Int64")
        columns["crr"], columns["churn_rate"] = np.full(k, np.nan), np.full(k, np.nan)
        return "", (np.full(k, np.nan), np.full(k, np.nan))
    last = PeriodCounts(*(counts.last_period[:, j] for j in range(len(_PERIOD_FIELDS))))
    for name, source in count_names.items():
        columns[name] = pd.array(getattr(last, source), dtype="Int64")
    columns["crr"] = last.crr
    columns["churn_rate"] = last.churn_rate
    period = period_index(np.array([counts.period], dtype=np.int64), freq)[0]
    churned = last.churned.astype(np.float64)
    return str(period), (churned, last.customers_start.astype(np.float64))


@dataclass(frozen=True)
class _Survival:
    """Per group and horizon: survival and Greenwood variance of the group and of the rest."""

    value: NDArray[np.float64]
    variance: NDArray[np.float64]
    rest: NDArray[np.float64]
    rest_variance: NDArray[np.float64]


def _lifetime_counts(t: Transactions, inactive: int) -> NDArray[np.int64]:
    """Count the customers and the lapsed per group and day (the lifetimes of :class:`ScorecardCounts`)."""
    assert t.groups is not None  # read with by
    if t.end_day is None or t.n_customers == 0:
        return np.zeros((4, 0), dtype=np.int64)
    duration, observed = lifetimes(t.activity("D"), t.end_day, inactive)
    ones = np.ones(len(duration), dtype=np.int64)
    return _lifetime_cells(np.stack([t.groups.codes, duration, ones, observed.astype(np.int64)]))


def _lifetime_cells(cells: NDArray[np.int64]) -> NDArray[np.int64]:
    """Add up the counts (rows 2 and 3) of equal (group, day) columns; sort the columns by both."""
    group, day = cells[0], cells[1]
    width = int(day.max()) + 1 if cells.shape[1] else 1
    key, at = np.unique(group * width + day, return_inverse=True)
    out = np.zeros((4, len(key)), dtype=np.int64)
    out[0], out[1] = key // width, key % width
    np.add.at(out[2], at, cells[2])
    np.add.at(out[3], at, cells[3])
    return out


def _survival_figures(counts: ScorecardCounts, horizons: NDArray[np.int64]) -> _Survival:
    """Kaplan-Meier survival at the horizons of each group and of the rest.

    The counts of the rest are all the customers' minus the group's.
    """
    k, h = len(counts.labels), len(horizons)
    value, variance, rest, rest_variance = (np.full((k, h), np.nan) for _ in range(4))
    if k == 0 or counts.end_day is None:
        return _Survival(value, variance, rest, rest_variance)
    group, day, lives, lapsed = counts.lifetimes
    days = int(day.max()) + 1 if len(day) else 0
    all_lives, all_lapsed = np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64)
    np.add.at(all_lives, day, lives)
    np.add.at(all_lapsed, day, lapsed)
    bounds = np.searchsorted(group, np.arange(k + 1))
    for g in range(k):  # groups, not customers
        at = slice(int(bounds[g]), int(bounds[g + 1]))
        my_lives, my_lapsed = np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64)
        my_lives[day[at]], my_lapsed[day[at]] = lives[at], lapsed[at]
        mine = kaplan_meier_of_counts(my_lives, my_lapsed)
        others = kaplan_meier_of_counts(all_lives - my_lives, all_lapsed - my_lapsed)
        value[g], _, _, variance[g] = _compare.survival_at_horizons(mine, horizons)
        rest[g], _, _, rest_variance[g] = _compare.survival_at_horizons(others, horizons)
    return _Survival(value, variance, rest, rest_variance)


def _complaint_counts(
    complaints: object,
    t: Transactions,
    resolved: Hashable | None,
    *,
    customer_id: Hashable,
    date: Hashable,
    func: str,
) -> NDArray[np.int64]:
    """Per group, the open (row 0) and the resolved (row 1) complaints of its customers, up to the end."""
    assert t.groups is not None  # read with by
    k = len(t.groups.labels)
    code, _, flags = read_complaints(
        complaints, t, resolved, customer_id=customer_id, date=date, caller=func
    )
    group = t.groups.codes[code]
    done = flags if flags is not None else np.zeros(len(group), dtype=np.bool_)
    return np.stack(
        [np.bincount(group[~done], minlength=k), np.bincount(group[done], minlength=k)]
    ).astype(np.int64)


def _plan_table(plan: object, func: str) -> pd.DataFrame:
    if not isinstance(plan, pd.DataFrame):
        msg = f"The 'plan' parameter of {func} must be a pandas DataFrame of planned contacts (as rt.contact_plan returns it). Got {type(plan).__name__}."
        raise ColumnTypeError(msg)
    return plan


def _owners(plan: object, t: Transactions, func: str) -> pd.Series | None:
    """Each planned customer's group code, by id (customers without a purchase left out)."""
    assert t.groups is not None  # read with by
    table = _plan_table(plan, func)
    if "customer_id" not in table.columns:
        return None
    ids = pd.Index(table["customer_id"]).unique()
    position = np.asarray(t.customer_ids.get_indexer(ids), dtype=np.int64)
    found = position >= 0
    return pd.Series(t.groups.codes[position[found]], index=ids[found])


def _compliance(
    plan: object,
    done: object,
    owners: pd.Series | None,
    k: int,
    *,
    customer_id: Hashable,
    date: Hashable,
    func: str,
) -> dict[str, NDArray[Any]]:
    """Per group, the planned and met contacts of its customers, by :func:`contact_compliance`."""
    table = _plan_table(plan, func)
    owner = None
    if owners is not None:
        # Each planned customer's group, as the owner contact_compliance credits; unknown: none.
        position = np.asarray(
            owners.index.get_indexer(pd.Index(table["customer_id"])), dtype=np.int64
        )
        group = np.full(len(position), -1, dtype=np.int64)
        found = position >= 0
        group[found] = owners.to_numpy(dtype=np.int64)[position[found]]
        owner = pd.array(group, dtype="Int64")
        owner[~found] = pd.NA
    planned = table.assign(**{_GROUP_COLUMN: owner}) if owner is not None else table
    result = contact_compliance(
        planned,
        done,  # type: ignore[arg-type]  # contact_compliance checks it
        owner=_GROUP_COLUMN if owner is not None else None,
        customer_id=customer_id,
        date=date,
    )
    rows = result.reindex(pd.Index(range(k), dtype=object))
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
        estimate, _, low, high, p = survival_difference(
            (s_g, survival.variance[:, j]), (s_r, survival.rest_variance[:, j]), alpha
        )
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
    measure = pd.CategoricalIndex(
        pd.Categorical.from_codes(family, categories=pd.Index(list(_COMPARED)), ordered=True),
        name="measure",
    )
    index = pd.MultiIndex.from_arrays(
        [*index_levels(group), measure], names=[*labels.names, "measure"]
    )
    return pd.DataFrame({c: columns[c] for c in _VERSUS_COLUMNS}, index=index)


def _share_difference(
    x: NDArray[np.float64], n: NDArray[np.float64], alpha: float
) -> dict[str, NDArray[np.float64]]:
    """Compare a share of each group with the rest's: Newcombe's interval, the two-proportion z test."""
    x_rest, n_rest = x.sum() - x, n.sum() - n
    with np.errstate(divide="ignore", invalid="ignore"):
        value, rest = x / n, x_rest / n_rest
    value[n == 0] = np.nan
    rest[n_rest == 0] = np.nan
    estimate, low, high, p = share_difference((x, n), (x_rest, n_rest), alpha)
    return {"value": value, "rest": rest, "estimate": estimate, "ci_lower": low, "ci_upper": high,
            "p_value": p}  # fmt: skip
