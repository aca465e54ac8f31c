"""Did resolving the complaint keep the customer? ``rt.complaint_outcomes``.

The adapter reads the transaction table once with :func:`retention.frames.schema.read_transactions` and the
complaints table with the reader of ``customer_features`` (:func:`retention.frames.events.read_complaints`).
It then moves each complaining customer's clock to the day of their first complaint: their purchase days
after that day, with the complaint day as day 0, form a small table of (customer, day) pairs, one row per
distinct day, which :func:`retention.frames.compare.compare_retention` compares by group. So every number,
interval and test is the one ``compare_retention`` gives; only the origin of the clock differs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import compare as _compare
from retention.core.caller import warn_at_caller
from retention.errors import InvalidParameterError
from retention.frames.compare import RetentionComparison, _weightings, compare_retention
from retention.frames.events import read_complaints
from retention.frames.options import ALPHA, Days, Given, Options, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Duration,
    Transactions,
    transaction_options,
)

__all__ = ["COMPLAINT_GROUPS", "complaint_outcomes"]

COMPLAINT_GROUPS: Final = ("no complaint", "resolved", "unresolved")
_COMPLAINT_OUTCOMES: Final = declare(
    "complaint_outcomes",
    complaints=Given(
        "a table of complaints (customer, date, resolved flag), read by read_complaints"
    ),
    resolved=Given("the column of resolved flags of the complaints table"),
    horizons=Days(many=True),
    inactive_after=Days(),
    control=Options(
        *COMPLAINT_GROUPS, None, what=f"one of {', '.join(map(repr, COMPLAINT_GROUPS))} or None"
    ),
    tau=Days(none=True),
    weightings=Given(
        "one of the log-rank weightings or ('fleming-harrington', p, q), read by _weightings"
    ),
    alpha=ALPHA,
    adjust=Options(*_compare.ADJUSTMENTS),
)
"""The groups of :func:`complaint_outcomes`, in the order of its results (sorted)."""

_NO_COMPLAINT: Final = np.iinfo(np.int64).max


@transaction_options
def complaint_outcomes(
    tx: pd.DataFrame,
    complaints: pd.DataFrame,
    *,
    resolved: Hashable = "resolved",
    horizons: Duration | Sequence[Duration] = ("30D", "90D", "365D"),
    inactive_after: Duration = "90D",
    control: str | None = "unresolved",
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
    r"""Did resolving the complaint keep the customer? Retention after a complaint, resolved or not.

    Compares three groups of customers: those whose first complaint was ``"resolved"``, those whose
    first complaint was not (``"unresolved"``), and those who never complained (``"no complaint"``),
    with the figures, differences and tests of :func:`compare_retention`. For a customer who complained,
    time runs from the day of the first complaint: survival at 90 days is the share still buying 90
    days after the complaint, the repurchase share the share who bought again within the horizon.

    Parameters
    ----------
    <transaction table>
    complaints : pandas.DataFrame
        One row per complaint, with the customer id and date columns (named as in ``tx``) and the
        ``resolved`` column (True/False), read as :func:`customer_features` reads it. Not modified.
    resolved : column label, default "resolved"
        The column of ``complaints`` that marks resolved complaints. It must exist: without it there
        is nothing to compare.
    horizons : int, str, timedelta or a sequence of them, default ("30D", "90D", "365D")
        Days since the complaint (or, without one, since the first purchase) at which survival and the
        repurchase share are compared.
    inactive_after : int or str or timedelta, default "90D"
        A customer who makes no purchase for more than this many days has lapsed (as in
        :func:`survival_curve`).
    control : {"unresolved", "resolved", "no complaint"} or None, default "unresolved"
        The group the others are compared with. The default makes ``.differences`` read "resolved
        minus unresolved": what resolving was worth. None compares every pair.
    tau : int, str or timedelta, optional
        The RMST horizon in days, as in :func:`compare_retention`.
    weightings : {None, "wilcoxon", "tarone-ware", "peto", "fleming-harrington"} or tuple, optional
        The log-rank test's weighting, as in :func:`compare_retention`.
    alpha : float, default 0.05
        1 minus the coverage of the intervals of the differences.
    adjust : {"holm", "bonferroni", None}, default "holm"
        The multiple-comparison adjustment of ``p_adjusted``.
    <transaction options>

    Returns
    -------
    RetentionComparison
        As :func:`compare_retention` returns it, with the groups ``"no complaint"``, ``"resolved"`` and
        ``"unresolved"`` (those that have customers) in an index named ``"complaint"``.

    Raises
    ------
    <reading errors>
        The same errors for ``complaints``: if it lacks a column, ``resolved`` included, its ``resolved``
        column holds anything but True/False or a missing flag, or its customer ids are of another kind
        (numbers against text) than those of ``tx``.
    InvalidParameterError
        If ``resolved`` is None, ``control`` is not one of the groups with customers, or another option
        is not accepted.

    Warns
    -----
    RetentionWarning
        When two groups' survival curves cross (see :func:`compare_retention`).

    See Also
    --------
    compare_retention : The comparison, for groups that share the clock of the first purchase.
    customer_features : Counts complaints, open and all, per customer.

    Notes
    -----
    **Why a function of its own, not an option of** :func:`compare_retention`. The groups are not a
    property of the customer on their first purchase (what ``by=`` means everywhere) and the clock does
    not start at the first purchase: both come from a second table. An option would give ``by`` two
    meanings; a function with the complaints table as its data keeps ``by`` one thing and returns the
    same result type, so everything that reads a comparison reads this one.

    **The clock.** A customer who complained, on or before the observation end, is measured from the
    day of their first complaint $c$: their purchase days after $c$, with $c$ itself as day 0, make the
    customer's activity, and lifetime, censoring and the second-purchase gap follow as
    :func:`survival_curve` and :func:`compare_retention` define them on it. So a customer lapses when
    more than ``inactive_after`` days pass after the complaint without a purchase, and a purchase on the
    day of the complaint does not count as coming back. Customers without a complaint are measured from
    their first purchase, as :func:`survival_curve` measures everyone: a reference for retention in
    general, on another clock. The comparison the question asks for is resolved against unresolved,
    where both clocks start at a complaint.

    **The groups.** A customer's group is the ``resolved`` flag of their first complaint; when they
    made several complaints on that day, "resolved" only if all of them are. Later complaints change
    neither the group nor the clock. Complaints after the observation end, and complaints of people
    without a purchase up to it, are left out, as in :func:`customer_features`. The flag is read as the
    table has it now, so a complaint resolved after the observation end counts as resolved.

    **Not causal.** The complaints that get resolved may differ from the others (easier problems,
    calmer customers, better managers). A difference here is an association; to measure what resolving
    is worth, resolve a random share of complaints first (see ``rt.holdout_split``).

    Examples
    --------
    Six customers; four complained in March, two of those complaints were resolved:

    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 6],
    ...     "date": ["2024-01-10", "2024-03-20", "2024-05-01", "2024-02-01", "2024-04-15",
    ...              "2024-06-10", "2024-01-05", "2024-03-02", "2024-02-20", "2024-01-15",
    ...              "2024-02-10", "2024-01-20", "2024-06-01"],
    ... })
    >>> complaints = pd.DataFrame({
    ...     "customer_id": [1, 2, 3, 4],
    ...     "date": ["2024-03-01", "2024-03-05", "2024-03-01", "2024-03-03"],
    ...     "resolved": [True, True, False, False],
    ... })
    >>> result = rt.complaint_outcomes(tx, complaints, horizons=["30D", "60D"],
    ...                                inactive_after="60D", observation_end="2024-06-30")
    >>> result.groups[["customers", "survival_60D", "observed_60D", "repurchase_60D"]]
                  customers  survival_60D  observed_60D  repurchase_60D
    complaint
    no complaint          2           0.0             2             0.5
    resolved              2           1.0             2             1.0
    unresolved            2           0.0             2             0.5

    Both resolved customers bought again within 60 days of their complaint and were still buying 60
    days on; of the unresolved, customer 3 bought once more, the next day, and customer 4 never again.
    The difference in the repurchase share, with its Newcombe interval (two customers a group: wide):

    >>> result.differences.loc[("resolved", "unresolved", "repurchase_share", 60),
    ...                        ["estimate", "ci_lower", "ci_upper"]].round(3)
    estimate    0.500
    ci_lower   -0.273
    ci_upper    0.905
    Name: (resolved, unresolved, repurchase_share, 60), dtype: float64
    """
    func = "complaint_outcomes"
    # The options are checked here, so that their messages name this function.
    _COMPLAINT_OUTCOMES.check("horizons", horizons)
    _COMPLAINT_OUTCOMES.check("inactive_after", inactive_after)
    _weightings(weightings, func)
    _COMPLAINT_OUTCOMES.check("alpha", alpha)
    _COMPLAINT_OUTCOMES.check("adjust", adjust)
    _COMPLAINT_OUTCOMES.check("tau", tau)
    _COMPLAINT_OUTCOMES.check("control", control)
    if resolved is None:
        msg = f"The 'resolved' parameter of {func} must name the complaints table's column of resolved flags; got None. Without it there is nothing to compare."
        raise InvalidParameterError(msg)
    t = read_with_options(tx, locals(), func=func)
    derived = complaint_table(
        t, complaints, resolved=resolved, customer_id=customer_id, date=date, func=func
    )
    end = None if t.end_day is None else np.datetime64(t.end_day, "D")
    return as_complaint_outcomes(
        lambda: compare_retention(
            derived,
            "complaint",
            horizons=horizons,
            inactive_after=inactive_after,
            control=control if t.n_customers else None,  # no customers: the empty result
            tau=tau,
            weightings=weightings,
            alpha=alpha,
            adjust=adjust,
            amount=None,
            observation_end=end,
        ),
        func,
    )


def complaint_table(
    t: Transactions,
    complaints: object,
    *,
    resolved: Hashable,
    customer_id: Hashable,
    date: Hashable,
    func: str,
) -> pd.DataFrame:
    """Build the table :func:`complaint_outcomes` compares: each customer's clock start and later days.

    One row per (customer, day) with the columns ``customer_id``, ``date`` and ``complaint`` (the group of
    :data:`COMPLAINT_GROUPS`). It depends on each customer's own rows and complaints alone, so the tables
    of disjoint sets of customers (the partitions of a cluster) compare as the whole one.
    """
    code, day, flags = read_complaints(
        complaints,
        t,
        resolved,
        customer_id=customer_id,
        date=date,
        caller=func,
        resolved_fix=f"{func} compares resolved and unresolved complaints: pass the column of resolved flags (True/False) with resolved=...",
    )
    assert flags is not None  # the column is required
    customer, origin, group = _complaint_clock(code, day, flags, t.activity("D"))
    labels = np.array(COMPLAINT_GROUPS, dtype=object)
    # Whole days, which pandas stores as seconds (refusing, not wrapping, a day beyond their range): a
    # cast to nanoseconds would wrap around, silently, for a date before 1677-09-22 or after 2262-04-11.
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": origin.astype("datetime64[D]"),
            "complaint": labels[group],
        }
    )


def as_complaint_outcomes(
    compare: Callable[[], RetentionComparison], func: str
) -> RetentionComparison:
    """Run the comparison of complaint groups with its errors and warnings naming ``func``."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compare()
    except InvalidParameterError as e:  # tau past a curve, or a control without customers
        raise InvalidParameterError(str(e).replace("compare_retention", func)) from e
    for warning in caught:
        text = str(warning.message).replace("compare_retention", func)
        warn_at_caller(text, warning.category)
    return result


def _complaint_clock(
    code: NDArray[np.int64], day: NDArray[np.int64], flag: NDArray[np.bool_], act: Any
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per (customer, day) pair of the derived table: the customer, the day and the customer's group.

    ``code``, ``day`` and ``flag`` are the complaints kept (customer code, day, resolved); ``act`` the
    distinct purchase days of every customer. A complaining customer's pairs are their first complaint
    day and their purchase days after it; everybody else's are their purchase days. Groups are
    positions in :data:`COMPLAINT_GROUPS`.
    """
    n = act.n_customers
    first = np.full(n, _NO_COMPLAINT, dtype=np.int64)
    np.minimum.at(first, code, day)
    complained = first != _NO_COMPLAINT
    open_first = np.zeros(n, dtype=np.bool_)
    open_first[code[(day == first[code]) & ~flag]] = True
    group = np.where(complained, np.where(open_first, 2, 1), 0).astype(np.int64)
    pair_customer: NDArray[np.int64] = act.customer
    pair_day: NDArray[np.int64] = act.period
    after = ~complained[pair_customer] | (pair_day > first[pair_customer])
    who = np.flatnonzero(complained).astype(np.int64)
    customer = np.concatenate([pair_customer[after], who])
    origin = np.concatenate([pair_day[after], first[who]])
    return customer, origin, group[customer]
