"""Contact plans: when each contact is due, and which planned contacts a log of contacts met.

Pure numpy. Customers, segments and groups are integer codes and dates are days since 1970-01-01; the
adapter (:mod:`retention.frames.contacts`) reads the segment labels, the cadence table and the contact
log and labels the result. Two pieces of arithmetic live here because they must not loop over customers:
spreading every customer's contacts through each period with :func:`numpy.repeat`, and matching planned
with logged contacts one round per contact rank (see :func:`match_contacts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ComplianceCounts",
    "Schedule",
    "compliance_counts",
    "contact_schedule",
    "match_contacts",
]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Planned contacts, sorted by customer, then due day.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Per contact, the customer's position in the input.
    due : numpy.ndarray of int64
        Per contact, the day it is due (days since 1970-01-01).
    number : numpy.ndarray of int64
        Per contact, its number in the customer's plan: 0, 1, 2, ... in due order.
    """

    customer: NDArray[np.int64]
    due: NDArray[np.int64]
    number: NDArray[np.int64]


def contact_schedule(
    per_period: NDArray[np.int64], first_day: NDArray[np.int64], n_days: NDArray[np.int64]
) -> Schedule:
    r"""Spread each customer's contacts evenly through every period.

    Parameters
    ----------
    per_period : numpy.ndarray of int64
        Per customer, the number of contacts in each period (at least 1).
    first_day : numpy.ndarray of int64
        Per period, its first day (days since 1970-01-01).
    n_days : numpy.ndarray of int64
        Per period, its length in days (at least 1).

    Returns
    -------
    Schedule
        ``per_period.sum() * len(first_day)`` contacts.

    Notes
    -----
    A period of $L$ days starting on day $d_0$ with $n$ contacts is cut into $n$ equal slots and contact
    $i = 0, \dots, n - 1$ is due on the first day of its slot, $d_0 + \lfloor i L / n \rfloor$: one contact
    a month is due on the first, four in a 31-day month on the 1st, 8th, 16th and 24th. Every customer gets
    exactly ``per_period`` contacts in every period; with more contacts than days some share a day.

    Examples
    --------
    >>> s = contact_schedule(np.array([1, 4]), np.array([0]), np.array([31]))
    >>> s.customer, s.due, s.number
    (array([0, 1, 1, 1, 1]), array([ 0,  0,  7, 15, 23]), array([0, 0, 1, 2, 3]))
    """
    per_period = np.asarray(per_period, dtype=np.int64)
    first_day = np.asarray(first_day, dtype=np.int64)
    n_days = np.asarray(n_days, dtype=np.int64)
    total = per_period * len(first_day)
    customer = np.repeat(np.arange(len(per_period), dtype=np.int64), total)
    starts = np.cumsum(total) - total
    number = np.arange(int(total.sum()), dtype=np.int64) - np.repeat(starts, total)
    n = per_period[customer]
    period, slot = np.divmod(number, n)
    due = first_day[period] + slot * n_days[period] // n
    return Schedule(customer=customer, due=due, number=number)


def match_contacts(
    plan_customer: NDArray[np.int64],
    plan_day: NDArray[np.int64],
    done_customer: NDArray[np.int64],
    done_day: NDArray[np.int64],
    tolerance: int,
) -> NDArray[np.bool_]:
    r"""Mark the planned contacts that a logged contact met, each logged contact meeting at most one.

    Parameters
    ----------
    plan_customer, plan_day : numpy.ndarray of int64
        Per planned contact, the customer code and the due day.
    done_customer, done_day : numpy.ndarray of int64
        Per logged contact, the customer code (in the same codes as ``plan_customer``) and the day.
    tolerance : int
        The largest distance in days between a due day and a contact that meets it.

    Returns
    -------
    numpy.ndarray of bool
        Per planned contact, in input order, whether it was met.

    Notes
    -----
    A logged contact on day $l$ can meet a planned contact of the same customer due on day $p$ when
    $|l - p| \le$ ``tolerance``. Each customer's planned contacts are taken in due order and each takes
    the earliest logged contact that can meet it and has not met an earlier one. Because every window
    has the same width, the windows sorted by due day are also sorted by their right ends, and this
    greedy rule meets as many planned contacts as any matching can: it is Glover's rule for a convex
    bipartite graph [1]_ (the property test checks it against Hopcroft-Karp).

    The greedy step runs for all customers at once: round $r$ handles every customer's $r$-th planned
    contact with one :func:`numpy.searchsorted` over the logged contacts sorted by (customer, day), and
    a pointer per customer to the first logged contact not yet used or passed. The rounds loop over
    contact ranks (at most the largest number of planned contacts of one customer), never over customers.

    References
    ----------
    .. [1] F. Glover, "Maximum matching in a convex bipartite graph", Naval Research Logistics
       Quarterly 14(3), 313-316 (1967).

    Examples
    --------
    Two contacts due on days 10 and 12 and one logged on day 11: only one is met.

    >>> match_contacts(np.array([0, 0]), np.array([10, 12]), np.array([0]), np.array([11]), 7)
    array([ True, False])
    """
    plan_customer = np.asarray(plan_customer, dtype=np.int64)
    plan_day = np.asarray(plan_day, dtype=np.int64)
    done_customer = np.asarray(done_customer, dtype=np.int64)
    done_day = np.asarray(done_day, dtype=np.int64)
    met = np.zeros(len(plan_customer), dtype=np.bool_)
    if len(plan_customer) == 0 or len(done_customer) == 0:
        return met
    n_customers = int(max(plan_customer.max(), done_customer.max())) + 1
    # One key per contact, customer-major and day-minor, all non-negative: a single sort orders a table
    # by (customer, day), and a search for (customer, first day of a window) lands in that customer's run.
    low = int(min(plan_day.min(), done_day.min())) - tolerance
    width = int(max(plan_day.max(), done_day.max())) + tolerance - low + 1

    by_plan = np.argsort(plan_customer * width + (plan_day - low), kind="stable")
    customer, due = plan_customer[by_plan], plan_day[by_plan]
    n_planned = np.bincount(customer, minlength=n_customers)
    plan_start = np.cumsum(n_planned) - n_planned

    done_key = done_customer * width + (done_day - low)
    by_done = np.argsort(done_key, kind="stable")
    key = done_key[by_done]
    logged = done_day[by_done]
    n_logged = np.bincount(done_customer, minlength=n_customers)
    logged_end = np.cumsum(n_logged)

    pointer = logged_end - n_logged  # per customer: first logged contact neither used nor passed
    # Customers by number of planned contacts, most first: round r touches a prefix of them.
    busiest = np.argsort(-n_planned, kind="stable")
    still = np.cumsum(np.bincount(n_planned, minlength=1)[::-1])[
        ::-1
    ]  # customers with >= r contacts
    met_sorted = np.zeros(len(customer), dtype=np.bool_)
    for rank in range(int(n_planned.max())):  # contact ranks, not customers
        who = busiest[: still[rank + 1]]
        position = plan_start[who] + rank
        p = due[position]
        earliest = np.searchsorted(key, who * width + (p - tolerance - low), side="left")
        candidate = np.maximum(earliest, pointer[who])
        available = candidate < logged_end[who]
        ok = available.copy()
        ok[available] = logged[candidate[available]] <= p[available] + tolerance
        met_sorted[position] = ok
        pointer[who] = candidate + ok
    met[by_plan] = met_sorted
    return met


@dataclass(frozen=True, slots=True)
class ComplianceCounts:
    """Planned, logged and met contacts per group, with the grand total last.

    Attributes
    ----------
    planned, done, met : numpy.ndarray of int64
        Per group, then for all groups together.
    compliance : numpy.ndarray of float64
        ``met / planned``; NaN where nothing was planned.
    """

    planned: NDArray[np.int64]
    done: NDArray[np.int64]
    met: NDArray[np.int64]
    compliance: NDArray[np.float64]


def compliance_counts(
    plan_group: NDArray[np.int64],
    met: NDArray[np.bool_],
    done_group: NDArray[np.int64],
    n_groups: int,
) -> ComplianceCounts:
    r"""Count planned, logged and met contacts per group and overall.

    Parameters
    ----------
    plan_group : numpy.ndarray of int64
        Per planned contact, its group in ``0 .. n_groups - 1``.
    met : numpy.ndarray of bool
        Per planned contact, whether it was met (from :func:`match_contacts`).
    done_group : numpy.ndarray of int64
        Per logged contact that counts, its group.
    n_groups : int
        Number of groups.

    Returns
    -------
    ComplianceCounts
        Arrays of length ``n_groups + 1``; the last entry is the total.

    Notes
    -----
    ``compliance`` $= \text{met} / \text{planned}$, which lies in $[0, 1]$ because a planned contact is
    met at most once.

    Examples
    --------
    >>> c = compliance_counts(np.array([0, 0, 1]), np.array([True, False, True]), np.array([0, 1, 1]), 2)
    >>> c.planned, c.done, c.met, c.compliance
    (array([2, 1, 3]), array([1, 2, 3]), array([1, 1, 2]), array([0.5       , 1.        , 0.66666667]))
    """

    def with_total(values: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.append(values, values.sum()).astype(np.int64)

    planned = with_total(np.bincount(plan_group, minlength=n_groups))
    done = with_total(np.bincount(done_group, minlength=n_groups))
    met_count = with_total(
        np.bincount(plan_group, weights=met, minlength=n_groups).astype(np.int64)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        compliance = met_count / planned
    return ComplianceCounts(planned=planned, done=done, met=met_count, compliance=compliance)
