"""Cohort counts and Kaplan-Meier survival of customer lifetimes, from integer codes.

Pure numpy and scipy. Customers are integer codes ``0 .. n_customers - 1`` and periods integer codes; the
adapter (:mod:`retention.frames.cohorts`) makes both and labels the results.

Cohort tables are counted in one pass: each purchase (or each distinct customer-period pair) is given the
flat cell number ``row * width + k``, where ``row`` is the rank of its customer's acquisition cohort and ``k``
the periods since acquisition, and :func:`numpy.bincount` counts or sums the cells. Rolling ("on or after")
tables are reverse cumulative sums along each row. Cells that the data do not cover completely are set to
NaN at the end, never left at 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from retention.core.activity import Activity, first_periods
from retention.core.parallel import map_runs, take
from retention.core.sums import (
    Partials,
    add_partials,
    group_sums,
    partial_sums,
    scatter_partials,
    sums_of_partials,
    take_partials,
)
from retention.errors import InvalidParameterError, check_size

__all__ = [
    "CohortCounts",
    "CohortSums",
    "KaplanMeier",
    "cohort_counts_sum",
    "cohort_customers",
    "cohort_sum_partials",
    "cohort_sums",
    "cohort_sums_sum",
    "cohort_table_of_sums",
    "kaplan_meier",
    "kaplan_meier_of_counts",
    "lifetimes",
    "median_time",
    "retention_by_period",
    "step_at",
]

_MAX_CELLS: Final = 1 << 28
"""Refuse cohort grids larger than this many cells (2 GiB of float64, twenty times a daily table of ten
years) on any machine: beyond it pandas cannot usefully lay the table out."""
# Pairs whose cells are made and counted at a time (at least as many as the grid's cells).
_GRID_ROWS: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class CohortCounts:
    """A cohort table as arrays.

    Attributes
    ----------
    cohort : numpy.ndarray of int64
        Period codes of the cohorts, ascending: every period up to ``last_period`` in which at least one
        customer made a first purchase.
    size : numpy.ndarray of int64
        Customers acquired in each cohort.
    cells : numpy.ndarray of float64, shape (len(cohort), last_period - cohort[0] + 1)
        ``cells[r, k]`` is the count or sum for cohort ``r`` and ``k`` periods since acquisition; NaN
        where ``cohort[r] + k > last_period`` (not completely observed).
    last_period : int
        The code of the last completely observed period.
    """

    cohort: NDArray[np.int64]
    size: NDArray[np.int64]
    cells: NDArray[np.float64]
    last_period: int


def cohort_counts_sum(a: CohortCounts, b: CohortCounts) -> CohortCounts:
    """Add the cohort tables of two disjoint sets of customers observed up to the same period.

    Counts (customers, orders) add up exactly; the cells that are not completely observed stay NaN.

    Parameters
    ----------
    a, b : CohortCounts
        Tables with the same ``last_period``.

    Returns
    -------
    CohortCounts
        The table of both sets of customers: the union of the cohorts, sizes and cells added.

    Examples
    --------
    >>> nan = np.nan
    >>> a = CohortCounts(np.array([0]), np.array([2]), np.array([[2.0, 1.0]]), 1)
    >>> b = CohortCounts(np.array([1]), np.array([3]), np.array([[3.0]]), 1)
    >>> c = cohort_counts_sum(a, b)
    >>> c.cohort, c.size, c.cells
    (array([0, 1]), array([2, 3]), array([[ 2.,  1.],
           [ 3., nan]]))
    """
    if a.last_period != b.last_period:  # pragma: no cover - internal misuse
        msg = "cohort tables observed up to different periods do not add up"
        raise AssertionError(msg)
    cohort = np.union1d(a.cohort, b.cohort).astype(np.int64, copy=False)
    width = a.last_period - int(cohort[0]) + 1 if len(cohort) else 0
    size = np.zeros(len(cohort), dtype=np.int64)
    cells = np.zeros((len(cohort), width), dtype=np.float64)
    for part in (a, b):
        rows = np.searchsorted(cohort, part.cohort)
        size[rows] += part.size
        cells[rows, : part.cells.shape[1]] += np.nan_to_num(part.cells, nan=0.0)
    cells[cohort[:, None] + np.arange(width) > a.last_period] = np.nan
    return CohortCounts(cohort, size, cells, a.last_period)


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A Kaplan-Meier survival curve as arrays, one entry per distinct time.

    Attributes
    ----------
    time : numpy.ndarray of int64
        The distinct event or censoring times, ascending.
    at_risk, events, censored : numpy.ndarray of int64
        Subjects whose time is at least ``time``; events at ``time``; censored at ``time``.
    survival : numpy.ndarray of float64
        The estimate of ``S(time) = P(T > time)``.
    ci_lower, ci_upper : numpy.ndarray of float64
        The pointwise confidence interval (Greenwood variance, log(-log) transform); NaN where the
        transform is undefined (``survival`` 0 or 1).
    """

    time: NDArray[np.int64]
    at_risk: NDArray[np.int64]
    events: NDArray[np.int64]
    censored: NDArray[np.int64]
    survival: NDArray[np.float64]
    ci_lower: NDArray[np.float64]
    ci_upper: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where each customer's counts go: a cohort row and a column origin in a flat bincount."""

    cohort: NDArray[np.int64]  # cohort codes kept (acquired no later than the last complete period)
    size: NDArray[np.int64]
    # per customer: row * width - first period, so that a purchase's cell is base + period
    base: NDArray[np.int64]
    width: int  # columns counted: every k up to the last period seen, complete or not
    n_rows: int  # kept rows plus one row for customers acquired after the last complete period

    @property
    def n_cells(self) -> int:
        """Cells of the flat bincount, ``n_rows * width``."""
        return self.n_rows * self.width

    def cell(self, customer: NDArray[np.int64], period: NDArray[np.int64]) -> NDArray[np.int64]:
        """Each purchase's cell: its customer's ``base`` plus its period."""
        cell = take(self.base, customer)
        cell += period
        return cell

    def counts(self, customer: NDArray[np.int64], period: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return the ``bincount`` of the cells of :meth:`cell`, without an array of every cell.

        Run by run of rows on threads, each run's cells made a block at a time in a scratch array of its
        own and counted there (blocks at least as long as the table of counts, so that counting a block
        costs about its rows); the runs' counts, integers, are added.
        """
        n_cells = self.n_cells
        step = max(_GRID_ROWS, n_cells)

        def count(start: int, stop: int) -> NDArray[np.int64]:
            total = np.zeros(n_cells, dtype=np.int64)
            cell = np.empty(min(step, stop - start), dtype=np.int64)
            for lo in range(start, stop, step):
                hi = min(lo + step, stop)
                own = take(self.base, customer[lo:hi], out=cell[: hi - lo])
                own += period[lo:hi]
                total += np.bincount(own, minlength=n_cells)
            return total

        runs = map_runs(count, len(customer))
        total = runs[0] if runs else np.zeros(n_cells, dtype=np.int64)
        for run in runs[1:]:
            total += run
        return total


def _empty(last_period: int) -> CohortCounts:
    empty = np.empty(0, dtype=np.int64)
    return CohortCounts(empty, empty, np.empty((0, 0), dtype=np.float64), last_period)


def _grid(first: NDArray[np.int64], last_period: int, period: NDArray[np.int64]) -> _Grid | None:
    """Lay out the cohort rows of customers ``first`` acquired, ``period`` the periods of their purchases.

    None when there are no customers or purchases, or no cohort was acquired in a complete period.
    """
    if len(first) == 0 or len(period) == 0:
        return None
    origin = int(first.min())
    if origin > last_period:
        return None
    # Rows are the cohorts that exist (a gap between cohorts costs no memory); customers acquired after the
    # last complete period share one extra row that is dropped at the end.
    offset = first - origin
    per_period = np.bincount(offset, minlength=last_period - origin + 1)
    kept = per_period[: last_period - origin + 1]
    present = np.flatnonzero(kept)
    rank = np.full(len(per_period), len(present), dtype=np.int64)
    rank[present] = np.arange(len(present), dtype=np.int64)
    width = max(int(period.max()), last_period) - origin + 1
    n_rows = len(present) + 1
    # The grid, its shares and the labelled table: about three values per cell. A fixed limit too, so
    # that a table pandas cannot lay out (millions of period columns) is refused on any machine.
    fix = "Use a longer period (freq='W', 'M', 'Q') or an earlier observation_end."
    what = f"the cohort table's {n_rows:,} cohorts x {width:,} periods"
    check_size(n_rows * width, itemsize=24, what=what, fix=fix, func="cohort_table")
    if n_rows * width > _MAX_CELLS:
        msg = f"cohort_table: {what} are more than {_MAX_CELLS:,} cells. {fix}"
        raise InvalidParameterError(msg)
    base = rank[offset] * width - first
    return _Grid(present + origin, kept[present], base, width, n_rows)


def _finish(
    grid: _Grid, counts: NDArray[np.int64] | NDArray[np.float64], last_period: int, *, rolling: bool
) -> CohortCounts:
    """Shape the flat counts, apply the rolling sum and censor the cells not completely observed."""
    table = counts.reshape(grid.n_rows, grid.width)[:-1]
    if rolling:
        # On or after period k: everything counted at k or later, including the incomplete trailing
        # period.
        table = np.cumsum(table[:, ::-1], axis=1)[:, ::-1]  # type: ignore[assignment]  # same dtype
    n_cols = last_period - int(grid.cohort[0]) + 1
    values = table[:, :n_cols].astype(np.float64)  # a fresh array: safe to write NaN into
    values[grid.cohort[:, None] + np.arange(n_cols) > last_period] = np.nan
    return CohortCounts(grid.cohort, grid.size, values, last_period)


def cohort_customers(act: Activity, last_period: int, *, rolling: bool) -> CohortCounts:
    """Count the customers of each acquisition cohort who are active k periods after acquisition.

    Parameters
    ----------
    act : Activity
        The distinct (customer, period) pairs from :func:`retention.core.activity.activity`.
    last_period : int
        Code of the last completely observed period. Cohorts acquired later are left out; cells after it
        are NaN.
    rolling : bool
        False (classic): active in exactly period ``cohort + k``. True (rolling): active in period
        ``cohort + k`` or any later observed period, which is the same as ``k <= last active period -
        cohort``.

    Returns
    -------
    CohortCounts
        Distinct customers per cell, as float (NaN marks censored cells).

    Notes
    -----
    Classic counts bincount the pairs; rolling counts bincount each customer once, at ``k = last active
    period - cohort``, and take the reverse cumulative sum along the row.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 1, 1, 2]), np.array([0, 2, 0, 1, 1]), 3)
    >>> c = cohort_customers(act, 2, rolling=False)
    >>> c.cohort, c.size
    (array([0, 1]), array([2, 1]))
    >>> c.cells
    array([[ 2.,  1.,  1.],
           [ 1.,  0., nan]])
    >>> cohort_customers(act, 2, rolling=True).cells
    array([[ 2.,  2.,  1.],
           [ 1.,  0., nan]])
    """
    grid = _grid(act.first_period, last_period, act.period)
    if grid is None:
        return _empty(last_period)
    if rolling:
        # Each customer once, in the cell of their last active period.
        cell = grid.base + act.period[act.start[1:] - 1]
    else:
        return _finish(grid, grid.counts(act.customer, act.period), last_period, rolling=rolling)
    return _finish(grid, np.bincount(cell, minlength=grid.n_cells), last_period, rolling=rolling)


def cohort_sums(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    n_customers: int,
    last_period: int,
    *,
    rolling: bool,
    weights: NDArray[np.float64] | None = None,
    first_period: NDArray[np.int64] | None = None,
) -> CohortCounts:
    """Count (or sum the weights of) the purchases of each cohort k periods after acquisition.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``; every code occurs.
    period : numpy.ndarray of int64
        Per purchase, a period code.
    n_customers : int
        Number of customer codes.
    last_period : int
        Code of the last completely observed period.
    rolling : bool
        False: purchases in exactly period ``cohort + k``. True: in period ``cohort + k`` or later
        (including the incomplete trailing period).
    weights : numpy.ndarray of float64 or None
        Per purchase, the amount to add up, exactly and in any order
        (:func:`retention.core.sums.group_sums`); None counts purchases.
    first_period : numpy.ndarray of int64 or None
        Per customer, the acquisition period, when the rows are not only purchases (returns, which
        never acquire a customer); by default each customer's first period in ``period``. Rows dated
        before their customer's acquisition count in period 0 of the cohort.

    Returns
    -------
    CohortCounts
        Purchases (or amounts) per cell, as float (NaN marks censored cells).

    Examples
    --------
    >>> c = cohort_sums(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), 2, 1, rolling=False)
    >>> c.cohort, c.size
    (array([0, 1]), array([1, 1]))
    >>> c.cells
    array([[ 2.,  1.],
           [ 1., nan]])
    """
    cells = _cells(customer, period, n_customers, last_period, first_period)
    if cells is None:
        return _empty(last_period)
    grid, cell = cells
    if weights is None:
        counts = np.bincount(cell, minlength=grid.n_cells).astype(np.float64)
    else:
        counts = group_sums(cell, weights, grid.n_cells)
    return _finish(grid, counts, last_period, rolling=rolling)


def _cells(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    n_customers: int,
    last_period: int,
    first_period: NDArray[np.int64] | None,
) -> tuple[_Grid, NDArray[np.int64]] | None:
    """Lay out the grid and find each purchase's cell; None when no cohort is complete."""
    # The acquisition period is each customer's first period.
    first = first_periods(customer, period, n_customers) if first_period is None else first_period
    grid = _grid(first, last_period, period)
    if grid is None:
        return None
    if first_period is not None:
        period = np.maximum(period, take(first, customer))
    return grid, grid.cell(customer, period)


@dataclass(frozen=True, slots=True)
class CohortSums:
    """Exact partial sums of a cohort table of amounts, which add up over disjoint sets of customers.

    Attributes
    ----------
    cohort, size : numpy.ndarray of int64
        As in :class:`CohortCounts`: the cohorts acquired up to ``last_period`` and their customers.
    width : int
        Columns: periods since acquisition 0 .. width - 1 (complete or not).
    sums : Partials
        Per cell (row-major, ``len(cohort) x width``), the exact partial sums of the amounts.
    last_period : int
        The code of the last completely observed period.
    """

    cohort: NDArray[np.int64]
    size: NDArray[np.int64]
    width: int
    sums: Partials
    last_period: int


def cohort_sum_partials(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    n_customers: int,
    last_period: int,
    *,
    weights: NDArray[np.float64],
    first_period: NDArray[np.int64] | None = None,
) -> CohortSums | None:
    """Sum the amounts per cohort and period as :func:`cohort_sums` does, as exact partial sums.

    Parameters
    ----------
    customer, period, n_customers, last_period, weights, first_period
        As for :func:`cohort_sums`.

    Returns
    -------
    CohortSums or None
        None when no cohort is completely observed.

    Examples
    --------
    >>> a = cohort_sum_partials(np.array([0, 0]), np.array([0, 1]), 1, 1, weights=np.array([1.5, 2.0]))
    >>> b = cohort_sum_partials(np.array([0]), np.array([1]), 1, 1, weights=np.array([4.0]))
    >>> cohort_table_of_sums(cohort_sums_sum(a, b), rolling=False).cells
    array([[1.5, 2. ],
           [4. , nan]])
    """
    cells = _cells(customer, period, n_customers, last_period, first_period)
    if cells is None:
        return None
    grid, cell = cells
    sums = partial_sums([(cell, weights)], grid.n_cells)
    kept = np.arange((grid.n_rows - 1) * grid.width, dtype=np.int64)  # not the late customers' row
    sums = take_partials(sums, kept)
    return CohortSums(grid.cohort, grid.size, grid.width, sums, last_period)


def cohort_sums_sum(a: CohortSums, b: CohortSums) -> CohortSums:
    """Add the cohort sums of two disjoint sets of customers observed up to the same period.

    Parameters
    ----------
    a, b : CohortSums
        The sums of each set, with the same ``last_period``; their cohorts and widths may differ.

    Returns
    -------
    CohortSums
        The cohorts of either set: their sizes added, and their cells added cell by cell, exactly
        (:func:`~retention.core.sums.add_partials`).

    Examples
    --------
    See :func:`cohort_sum_partials`.
    """
    cohort = np.union1d(a.cohort, b.cohort).astype(np.int64, copy=False)
    width = max(a.width + int(a.cohort[0]), b.width + int(b.cohort[0])) - int(cohort[0])
    size = np.zeros(len(cohort), dtype=np.int64)
    total: Partials | None = None
    for part in (a, b):
        rows = np.searchsorted(cohort, part.cohort)
        size[rows] += part.size
        positions = (rows[:, None] * width + np.arange(part.width)).ravel()
        placed = scatter_partials(part.sums, positions, len(cohort) * width)
        total = placed if total is None else add_partials(total, placed)
    assert total is not None
    return CohortSums(cohort, size, width, total, a.last_period)


def cohort_table_of_sums(sums: CohortSums, *, rolling: bool) -> CohortCounts:
    """Finish cohort sums into the cohort table :func:`cohort_sums` gives for the same amounts.

    Parameters
    ----------
    sums : CohortSums
    rolling : bool
        As for :func:`cohort_sums`.

    Returns
    -------
    CohortCounts

    Examples
    --------
    See :func:`cohort_sum_partials`.
    """
    n_rows = len(sums.cohort) + 1  # the grid's last row (the late customers') is dropped by _finish
    counts = np.zeros(n_rows * sums.width, dtype=np.float64)
    counts[: (n_rows - 1) * sums.width] = sums_of_partials(sums.sums)
    grid = _Grid(sums.cohort, sums.size, np.empty(0, dtype=np.int64), sums.width, n_rows)
    return _finish(grid, counts, sums.last_period, rolling=rolling)


def retention_by_period(
    counts: CohortCounts,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Pool the cohorts that reached each period since acquisition.

    Parameters
    ----------
    counts : CohortCounts
        Customer counts from :func:`cohort_customers` (not normalised).

    Returns
    -------
    cohorts, customers, active : numpy.ndarray of int64
        Per ``k``: the cohorts with ``cohort + k <= last_period``, their total size and their active
        customers. ``active / customers`` is the size-weighted mean of those cohorts' retention.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 1, 1, 2]), np.array([0, 2, 0, 1, 1]), 3)
    >>> retention_by_period(cohort_customers(act, 2, rolling=False))
    (array([2, 2, 1]), array([3, 3, 2]), array([3, 1, 1]))
    """
    n_cols = counts.cells.shape[1]
    reached = counts.cohort[:, None] + np.arange(n_cols) <= counts.last_period
    cohorts = reached.sum(axis=0, dtype=np.int64)
    customers = (reached * counts.size[:, None]).sum(axis=0, dtype=np.int64)
    active = np.where(reached, counts.cells, 0.0).sum(axis=0)
    return cohorts, customers, np.rint(active).astype(np.int64)


def lifetimes(
    act: Activity, end_day: int, inactive_after: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Each customer's lifetime in days and whether its end was observed.

    Parameters
    ----------
    act : Activity
        The distinct (customer, day) pairs, made with day codes (days since any origin).
    end_day : int
        The observation end (inclusive), as a day code.
    inactive_after : int
        Days without a purchase after which a customer counts as lapsed (at least 1).

    Returns
    -------
    duration : numpy.ndarray of int64
        Per customer, days from the first purchase to the last purchase of the first active spell.
    observed : numpy.ndarray of bool
        Per customer, True when the spell ended (a gap longer than ``inactive_after`` days followed, or
        at least ``inactive_after`` days passed between its last purchase and ``end_day``); False when
        the customer may still be active (censored).

    Notes
    -----
    A spell stops at purchase ``i`` when the next purchase day is more than ``inactive_after`` days
    later. For the customer's last purchase the "next purchase" is at the earliest ``end_day + 1``, so
    the spell is known to have stopped when ``end_day + 1 - day > inactive_after``. Each customer's
    first stop is found with :func:`numpy.minimum.reduceat` over candidate positions.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 0, 1, 1]), np.array([0, 5, 20, 10, 14]), 2)
    >>> lifetimes(act, end_day=20, inactive_after=10)
    (array([5, 4]), array([ True, False]))
    """
    if act.n_customers == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
    day = act.period
    n_pairs = len(day)
    first_pair = act.start[:-1]
    last_pair = act.start[1:] - 1
    gap = np.empty(n_pairs, dtype=np.int64)
    np.subtract(day[1:], day[:-1], out=gap[:-1])
    gap[last_pair] = end_day + 1 - day[last_pair]
    lapsed = gap > inactive_after
    stop = lapsed.copy()
    stop[last_pair] = True
    candidate = np.where(stop, np.arange(n_pairs, dtype=np.int64), n_pairs)
    spell_end = np.minimum.reduceat(candidate, first_pair)
    duration = day[spell_end] - day[first_pair]
    return duration, lapsed[spell_end]


def kaplan_meier(
    duration: NDArray[np.int64], observed: NDArray[np.bool_], *, confidence: float = 0.95
) -> KaplanMeier:
    r"""Kaplan-Meier estimate of the survival function, with Greenwood log(-log) intervals.

    Parameters
    ----------
    duration : numpy.ndarray of int64
        Non-negative whole times (days).
    observed : numpy.ndarray of bool
        True for an event, False for a right-censored time.
    confidence : float
        Coverage of the pointwise interval.

    Returns
    -------
    KaplanMeier
        One entry per distinct time in ``duration``.

    Notes
    -----
    With $n_i$ at risk and $d_i$ events at time $t_i$,

    $$
    \hat S(t) = \prod_{t_i \le t} \Bigl(1 - \frac{d_i}{n_i}\Bigr), \qquad
    \sigma^2(t) = \sum_{t_i \le t} \frac{d_i}{n_i (n_i - d_i)}
    $$

    (Greenwood's sum for $\operatorname{Var}\log \hat S$). The interval is symmetric on
    $\log(-\log \hat S)$, whose standard error is $\sigma / |\log \hat S|$, which gives
    $\hat S^{\exp(\pm z\,\sigma / \log \hat S)}$ with $z$ the normal quantile.

    Examples
    --------
    >>> km = kaplan_meier(np.array([1, 2, 2, 3]), np.array([True, True, False, True]))
    >>> km.time, km.at_risk, km.events, km.censored
    (array([1, 2, 3]), array([4, 3, 1]), array([1, 1, 1]), array([0, 1, 0]))
    >>> km.survival
    array([0.75, 0.5 , 0.  ])
    """
    if len(duration) == 0:
        empty = np.empty(0, dtype=np.int64)
        return kaplan_meier_of_counts(empty, empty, confidence=confidence)
    # Times are whole days, so a bincount over 0 .. max is a linear-time group-by.
    total = np.bincount(duration)
    event_total = np.bincount(duration[observed], minlength=len(total))
    return kaplan_meier_of_counts(total, event_total, confidence=confidence)


def kaplan_meier_of_counts(
    total: NDArray[np.int64], event_total: NDArray[np.int64], *, confidence: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier estimate from the number of subjects and of events at each whole time.

    The counts of disjoint sets of subjects add up, so the estimate of a table split into parts (the
    partitions of a cluster) is this function of the sums of the parts' counts.

    Parameters
    ----------
    total : numpy.ndarray of int64
        ``total[t]``: subjects whose time is ``t`` (0, 1, ...; zeros allowed).
    event_total : numpy.ndarray of int64
        ``event_total[t]``: those of them whose time ends in an event. The same length as ``total``.
    confidence : float
        Coverage of the pointwise interval.

    Returns
    -------
    KaplanMeier
        As :func:`kaplan_meier` of the subjects the counts describe.

    Examples
    --------
    >>> km = kaplan_meier_of_counts(np.array([0, 1, 2, 1]), np.array([0, 1, 1, 1]))
    >>> km.time, km.at_risk, km.survival
    (array([1, 2, 3]), array([4, 3, 1]), array([0.75, 0.5 , 0.  ]))
    """
    if not np.any(total):
        empty_i = np.empty(0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        return KaplanMeier(empty_i, empty_i, empty_i, empty_i, empty_f, empty_f, empty_f)
    time = np.flatnonzero(total).astype(np.int64, copy=False)
    count = total[time].astype(np.int64, copy=False)
    events = event_total[time].astype(np.int64, copy=False)
    censored = count - events
    at_risk = np.cumsum(count[::-1])[::-1]
    survival = np.cumprod(1.0 - events / at_risk, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        log_s = np.log(survival)
        spread = ndtri(0.5 + confidence / 2) * np.sqrt(greenwood) / log_s
        ci_lower = survival ** np.exp(-spread)
        ci_upper = survival ** np.exp(spread)
    undefined = (survival <= 0.0) | (survival >= 1.0)
    ci_lower[undefined] = np.nan
    ci_upper[undefined] = np.nan
    return KaplanMeier(time, at_risk, events, censored, survival, ci_lower, ci_upper)


def step_at(
    time: NDArray[np.int64], survival: NDArray[np.float64], at: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Read a right-continuous step function: the value at the last ``time <= at``, 1.0 before the first.

    A curve without times (no customers) has no value: NaN everywhere.

    Examples
    --------
    >>> step_at(np.array([2, 5]), np.array([0.8, 0.4]), np.array([0, 2, 4, 9]))
    array([1. , 0.8, 0.8, 0.4])
    >>> step_at(np.array([], dtype=np.int64), np.array([]), np.array([0, 30]))
    array([nan, nan])
    """
    if len(time) == 0:
        return np.full(len(at), np.nan)
    position = np.searchsorted(time, at, side="right") - 1
    return np.where(position >= 0, survival[np.maximum(position, 0)], 1.0)


def median_time(time: NDArray[np.int64], survival: NDArray[np.float64]) -> float:
    """Return the smallest time with ``survival <= 0.5``; NaN when the curve never gets there.

    Examples
    --------
    >>> median_time(np.array([1, 3, 7]), np.array([0.9, 0.5, 0.2]))
    3.0
    >>> median_time(np.array([1, 3]), np.array([0.9, 0.6]))
    nan
    """
    below = np.flatnonzero(survival <= 0.5)
    return float(time[below[0]]) if len(below) else float("nan")
