"""Who was active when: the distinct (customer, period) pairs that every period metric counts.

Pure numpy. Customers are integer codes ``0 .. n_customers - 1`` and periods integer codes (any origin); the
adapter makes both. This is the one place where a transaction log becomes activity, so that rates, cohorts
and survival curves agree on what "active in a period" means: at least one purchase in it.

Why one module of about 900 lines: the public functions are short; more than half of the length is one
private pass, which marks the first purchase of each (customer, period) pair of a log in any order on
threads and takes each customer's first and last period in the same pass (``_Log`` to the end). It is what
:func:`first_of_pair`, :func:`customer_periods`, :func:`first_periods`, :func:`last_periods` and
:func:`period_bounds` share; split off, it would be imported across modules by its private names.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from retention.core.arrays import narrowest_unsigned
from retention.core.parallel import (
    bincount,
    concurrently,
    map_blocks,
    map_ranges,
    map_runs,
    min_max,
    take,
    threads_for,
)

__all__ = [
    "Activity",
    "activity",
    "customer_periods",
    "first_of_pair",
    "first_periods",
    "last_periods",
    "pair_cells",
    "period_bounds",
    "repeat_customers",
    "run_starts",
]

# Above this many cells a dense customer x period bitmap costs more than sorting the keys.
_DENSE_LIMIT = 1 << 27
_NARROW_LIMIT = 1 << 32  # pair keys below this are sorted as 32-bit integers
# Cells of the (customer, period) key space that first_of_pair handles at a time: a scratch table of this
# many row numbers stays in the processor's caches.
_BLOCK_CELLS = 1 << 20
# Unsorted purchases are grouped into at most this many blocks with an 8-bit radix sort, the blocks growing
# up to _LARGE_BLOCK_CELLS; beyond that into more blocks with a 16-bit one (a slower pass).
_BYTE_BLOCKS = 1 << 8
_LARGE_BLOCK_CELLS = 1 << 24
# Rows (or cells) per block of a pass on threads.
_ROW_BLOCK = 1 << 20
# The scratch tables of the threads that mark pairs take at most this many bytes together.
_SCRATCH_BYTES = 1 << 28
# Purchases sorted by period with at least this many per period on average are counted one period at a
# time (each step vectorised over the period's purchases): no cell numbers and no indexed min / max. Below
# a few hundred per period the per-period overhead costs more than it saves.
_ROWS_PER_PERIOD = 1024
# Cell numbers of unsorted rows are made this many rows at a time (the temporaries stay in the caches).
_CELL_ROWS = 1 << 14
# Unsorted rows are sorted by block in pieces of about this many rows (the sort's temporaries are a
# piece's) while the marking visits at most _PIECE_VISITS (block, piece) pairs, one step of Python each.
_PIECE_ROWS = 1 << 20
_PIECE_VISITS = 1 << 14
# Sortedness is checked this many rows at a time, stopping at the first descent.
_CHECK_ROWS = 1 << 20


@dataclass(frozen=True, slots=True)
class Activity:
    """Distinct (customer, period) pairs, sorted by customer, then period.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Customer code of each pair.
    period : numpy.ndarray of int64
        Period code of each pair.
    first_period : numpy.ndarray of int64
        Per customer code, the first period with activity (the acquisition period).
    start : numpy.ndarray of int64
        Per customer code, the index in ``customer`` / ``period`` where that customer's pairs begin; the
        customer's pairs are ``start[c]:start[c + 1]`` with ``start`` one longer than the customers.
    """

    customer: NDArray[np.int64]
    period: NDArray[np.int64]
    first_period: NDArray[np.int64]
    start: NDArray[np.int64]

    @property
    def n_customers(self) -> int:
        """Number of customers (codes ``0 .. n_customers - 1``)."""
        return len(self.first_period)

    @property
    def periods_active(self) -> NDArray[np.int64]:
        """Per customer code, the number of distinct periods with activity."""
        return np.diff(self.start)


def activity(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    n_customers: int,
    *,
    lookup: tuple[NDArray[np.int64], int] | None = None,
) -> Activity:
    """Reduce per-purchase codes to the distinct (customer, period) pairs.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``. Every code must occur at least once.
    period : numpy.ndarray of int64
        Per purchase, a period code; with ``lookup``, a day.
    n_customers : int
        Number of customer codes.
    lookup : (numpy.ndarray of int64, int), optional
        ``(table, start)``: the period code of day ``d`` is ``table[d - start]``, the table non-decreasing
        and covering every day given. The codes are looked up a block of rows at a time where they are
        needed, without a table-sized array of them.

    Returns
    -------
    Activity
        The sorted distinct pairs, with each customer's first period.

    Notes
    -----
    With ``n`` purchases, ``m`` customers and ``p`` periods the pairs are found by marking a dense
    ``m x p`` bitmap when it is small (linear time) and by sorting ``customer * p + period`` otherwise.

    Examples
    --------
    >>> a = activity(np.array([1, 0, 1, 1]), np.array([5, 3, 3, 5]), 2)
    >>> a.customer, a.period, a.first_period
    (array([0, 1, 1]), array([3, 3, 5]), array([3, 3]))
    """
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    if len(period) == 0:
        empty = np.empty(0, dtype=np.int64)
        return Activity(
            empty, empty, np.empty(n_customers, np.int64), np.zeros(n_customers + 1, np.int64)
        )
    origin, latest = min_max(period)
    if lookup is not None:
        # A non-decreasing table: the codes of the earliest and the latest day are the bounds.
        table, first_day = lookup
        origin, latest = int(table[origin - first_day]), int(table[latest - first_day])
    span = latest - origin + 1
    cells = n_customers * span
    if cells <= max(_DENSE_LIMIT, 4 * len(period)):
        keys = _set_cells(customer, period, origin, span, cells, lookup=lookup)
    else:
        if lookup is not None:
            period = take(lookup[0], period, start=lookup[1])
        key = _pair_keys(customer, period, origin, span)
        # Sort and drop repeats: np.unique's hash path is several times slower on int64 keys (numpy 2.4).
        # Keys that fit in 32 bits are sorted as such: numpy's vectorised sort of 32-bit integers is
        # several times faster than of 64-bit ones (daily activity of millions of customers fits).
        narrow = key.astype(np.uint32) if cells <= _NARROW_LIMIT else key
        ordered = np.sort(narrow)
        keys = ordered[run_starts(ordered)].astype(np.int64, copy=False)
    # The customer and period of each pair, block by block on threads; the keys become the periods.
    pair_customer = np.empty(len(keys), dtype=np.int64)

    def split(lo: int, hi: int) -> None:
        np.floor_divide(keys[lo:hi], span, out=pair_customer[lo:hi])
        keys[lo:hi] -= pair_customer[lo:hi] * span

    map_blocks(split, len(keys), block=_ROW_BLOCK)
    pair_period = keys
    pair_period += origin  # in place: the offsets are this call's own
    counts = np.bincount(pair_customer, minlength=n_customers)
    start = np.zeros(n_customers + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    first_period = pair_period[start[:-1]]
    return Activity(pair_customer, pair_period, first_period, start)


def _set_cells(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    origin: int,
    span: int,
    cells: int,
    *,
    lookup: tuple[NDArray[np.int64], int] | None = None,
) -> NDArray[np.int64]:
    """Return the distinct cells (see :func:`pair_cells`), ascending: marked in a bitmap, then read back.

    Both passes run on threads: the purchases run by run of rows, each run's cells made a few thousand
    at a time in a scratch array of its own (no table-sized array of cells; every write sets a cell to
    True, so the threads may share the bitmap and the result does not depend on their timing), then the
    bitmap range by range of cells, each range's cells found on their own and put one after the other.
    ``lookup``: as for :func:`activity`.
    """
    marks = np.zeros(cells, dtype=np.bool_)

    def mark(start: int, stop: int) -> None:
        key = np.empty(min(stop - start, _CELL_ROWS), dtype=np.int64)
        code = np.empty(len(key) if lookup is not None else 0, dtype=np.int64)
        for lo in range(start, stop, _CELL_ROWS):
            hi = min(lo + _CELL_ROWS, stop)
            own = period[lo:hi]
            if lookup is not None:  # the block's period codes, looked up in the table of days
                own = take(lookup[0], own, start=lookup[1], out=code[: hi - lo])
            _keys_into(key[: hi - lo], customer[lo:hi], own, origin, span)
            marks[key[: hi - lo]] = True

    map_runs(mark, len(customer))
    # The marked cells of each range counted first, so that each range writes its own part of the result
    # (no pieces put together afterwards: a second result-sized array).
    block = max(_ROW_BLOCK, -(-cells // (4 * threads_for(cells))))
    counts = map_blocks(lambda lo, hi: int(np.count_nonzero(marks[lo:hi])), cells, block=block)
    at = np.cumsum([0, *counts]).tolist()
    keys = np.empty(at[-1], dtype=np.int64)

    def found(lo: int, hi: int) -> None:
        out = keys[at[lo // block] : at[lo // block + 1]]
        out[:] = np.flatnonzero(marks[lo:hi])
        out += lo

    map_blocks(found, cells, block=block)
    return keys


def pair_cells(
    customer: NDArray[np.int64], period: NDArray[np.int64]
) -> tuple[NDArray[np.int64], int, int]:
    """Return each purchase's cell in the customer x period key space: a number for its pair.

    Parameters
    ----------
    customer, period : numpy.ndarray of int64
        Per purchase, a customer code and a period code (not empty).

    Returns
    -------
    key : numpy.ndarray of int64
        Per purchase, ``customer * span + period - origin``: ordered by customer, then period, one key per
        distinct pair; ``key // span`` is the customer.
    origin, span : int
        The earliest period and the number of periods from it to the latest.

    Examples
    --------
    >>> pair_cells(np.array([1, 0, 1]), np.array([5, 3, 3]))
    (array([5, 0, 3]), 3, 3)
    """
    # Block by block on threads: the bounds, then the keys (one table-sized array, each block's three
    # steps done while the block is in the processor's caches).
    origin, latest = min_max(period)
    span = latest - origin + 1
    return _pair_keys(customer, period, origin, span), origin, span


def _pair_keys(
    customer: NDArray[np.int64], period: NDArray[np.int64], origin: int, span: int
) -> NDArray[np.int64]:
    """Return the cells of :func:`pair_cells` as one array, made block by block on threads."""
    key = np.empty(len(customer), dtype=np.int64)
    map_blocks(
        lambda lo, hi: _keys_into(key[lo:hi], customer[lo:hi], period[lo:hi], origin, span),
        len(customer),
        block=_ROW_BLOCK,
    )
    return key


def _keys_into(
    out: NDArray[np.int64],
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    origin: int,
    span: int,
) -> None:
    """Write ``customer * span + period - origin`` into ``out``."""
    np.multiply(customer, span, out=out)
    out += period
    out -= origin


def run_starts(ordered: NDArray[Any]) -> NDArray[np.bool_]:
    """Mark the first value of each run of equal values in a sorted array (not empty).

    Examples
    --------
    >>> run_starts(np.array([2, 2, 5, 7, 7]))
    array([ True, False,  True,  True, False])
    """
    start = np.empty(len(ordered), dtype=np.bool_)
    start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    return start


def first_of_pair(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.bool_]:
    """Mark one purchase of every distinct (customer, period) pair, in linear time.

    The counting half of :func:`activity` without its sorting: the marked rows are the transactions (the
    purchases of one customer in one period counted once), so ``np.bincount(customer[mark])`` gives each
    customer's number of active periods.

    Parameters
    ----------
    customer, period, n_customers
        Per purchase, a customer code in ``0 .. n_customers - 1`` and a period code, as for
        :func:`activity`.

    Returns
    -------
    numpy.ndarray of bool
        Per purchase, True for exactly one purchase of each distinct pair. Which purchase of a pair is
        marked is unspecified; the marked pairs are not.

    Notes
    -----
    Every pair has a cell ``customer * p + period`` in a key space of ``m x p`` cells (``m`` customers,
    ``p`` periods). The space is cut into blocks of about a million cells (up to 16 million when the rows
    must be grouped first, so that one byte numbers the blocks); within a block each purchase
    writes its row number into its cell of a scratch table, and a purchase is marked when its cell still
    holds its own number after all have written. Only cells that were written are read, so the table is
    never cleared and the work is linear in the purchases. Purchases sorted by period or by customer (as
    logs usually are) fall into blocks in order; others are first grouped by block with a stable radix
    sort on a one- or two-byte block number. Purchases sorted by period, with a thousand or more per
    period, are taken one period at a time, the customer code itself being the cell.

    Examples
    --------
    >>> mark = first_of_pair(np.array([1, 0, 1, 1]), np.array([5, 3, 5, 6]), 2)
    >>> int(mark.sum()), np.bincount(np.array([1, 0, 1, 1])[mark])
    (3, array([1, 2]))
    """
    log = _log(customer, period, n_customers)
    return _marks(log)


def customer_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per customer: the number of distinct periods with a purchase, the first and the last of them.

    :func:`first_of_pair` and :func:`period_bounds` in one call that looks at the order of the purchases
    once.

    Parameters
    ----------
    customer, period, n_customers
        As for :func:`activity`: every customer code occurs.

    Returns
    -------
    tuple of numpy.ndarray of int64
        Active periods, first period and last period, per customer code.

    Examples
    --------
    >>> customer_periods(np.array([1, 0, 1, 1]), np.array([5, 3, 5, 6]), 2)
    (array([1, 2]), array([3, 5]), array([3, 6]))
    """
    log = _log(customer, period, n_customers)
    if len(log.period) and log.layout == "":
        # In no useful order: the bounds are found block by block while the pairs are marked.
        repeated, first, last = _marks_and_bounds(log)
    else:
        first, last = _bounds(log)
        # Purchases less the repeats within a period (few, so the second count is cheap).
        repeated = _marks(log)
    np.logical_not(repeated, out=repeated)
    active = bincount(log.customer, minlength=n_customers)
    active -= np.bincount(log.customer[repeated], minlength=n_customers)
    return active.astype(np.int64, copy=False), first, last


def first_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.int64]:
    """Per customer, the first period with a purchase.

    Parameters
    ----------
    customer, period, n_customers
        As for :func:`activity`: every customer code occurs; the period codes may count days, months, ...

    Returns
    -------
    numpy.ndarray of int64
        The earliest period per customer code.

    See Also
    --------
    period_bounds : The first and the last period per customer, together.

    Notes
    -----
    Purchases sorted by customer are reduced customer by customer (:meth:`numpy.ufunc.reduceat`);
    purchases sorted by period, with a thousand or more per period, by writing each period's code over its
    customers, from the last period back to the first; others by one indexed minimum
    (:meth:`numpy.ufunc.at`). The work is on 32-bit offsets from the earliest period when they fit: numpy
    runs those several times faster than 64-bit ones.

    Examples
    --------
    >>> first_periods(np.array([1, 0, 1, 1]), np.array([9, 3, 4, 7]), 2)
    array([3, 4])
    """
    return _bound(_log(customer, period, n_customers), np.minimum)


def last_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.int64]:
    """Per customer, the last period with a purchase; see :func:`first_periods`.

    Examples
    --------
    >>> last_periods(np.array([1, 0, 1, 1]), np.array([9, 3, 4, 7]), 2)
    array([3, 9])
    """
    return _bound(_log(customer, period, n_customers), np.maximum)


def period_bounds(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per customer, the first and the last period with a purchase; see :func:`first_periods`.

    Examples
    --------
    Customer 1 bought in one period only, which is both its first and its last:

    >>> period_bounds(np.array([0, 1, 0]), np.array([8, 5, 2]), 2)
    (array([2, 5]), array([8, 5]))
    """
    log = _log(customer, period, n_customers)
    return _bounds(log)


def repeat_customers(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.bool_]:
    """Per customer, whether they bought in two or more distinct periods.

    Parameters
    ----------
    customer, period, n_customers
        As for :func:`activity`: every customer code occurs.

    Returns
    -------
    numpy.ndarray of bool
        One entry per customer code.

    Notes
    -----
    Each customer's entry of a table first takes the period of one of their purchases (written by the
    rows block by block on threads: whichever write lands last, it is one of that customer's periods);
    then a customer is a repeat customer exactly when one of their purchases is in another period than
    that one, whatever it is. So the result does not depend on the threads' timing, and needs neither a
    sort nor an indexed minimum and maximum, which numpy runs holding the interpreter lock. The table
    holds offsets from the earliest period in the narrowest type that fits (16 bits for days over 179
    years): a quarter of the memory of 64-bit periods, looked up at random.

    Examples
    --------
    >>> repeat_customers(np.array([0, 1, 0, 2, 2]), np.array([5, 7, 5, 1, 9]), 3)
    array([False, False,  True])
    """
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    repeat = np.zeros(n_customers, dtype=np.bool_)
    if len(period) == 0:
        return repeat
    origin = int(period.min())
    narrow = narrowest_unsigned(int(period.max()) - origin) or np.int64
    seen = np.zeros(n_customers, dtype=narrow)

    def offsets(lo: int, hi: int) -> NDArray[Any]:
        return np.subtract(period[lo:hi], np.int64(origin), dtype=narrow, casting="unsafe")

    def write(lo: int, hi: int) -> None:
        seen[customer[lo:hi]] = offsets(lo, hi)

    def compare(lo: int, hi: int) -> None:
        own = customer[lo:hi]
        other = np.take(seen, own) != offsets(lo, hi)
        repeat[own[other]] = True  # every write is True: the threads may share the table

    map_blocks(write, len(customer), block=_ROW_BLOCK)
    map_blocks(compare, len(customer), block=_ROW_BLOCK)
    return repeat


@dataclass(frozen=True, slots=True)
class _Log:
    """Purchase codes, with what marking pairs and finding bounds need to know about their order."""

    customer: NDArray[np.int64]
    period: NDArray[np.int64]
    n_customers: int
    origin: int  # the earliest period
    span: int  # periods from the earliest to the latest
    layout: str  # "period" or "customer" when the purchases are sorted by that code, else ""
    # For purchases sorted by period with many per period: where each period's purchases begin and end.
    edges: list[int] | None

    @property
    def small(self) -> type[np.signedinteger[Any]]:
        """int32 when every cell number ``customer * span + offset`` fits in it, else int64."""
        return np.int32 if max(self.n_customers, 1) * self.span < 2**31 else np.int64

    def offsets(self) -> NDArray[np.int32] | NDArray[np.int64]:
        """Return each period's offset from the earliest, a new array of :attr:`small` integers.

        The 32-bit offsets halve the memory traffic, and numpy's indexed min / max run several times
        faster on them.
        """
        return np.subtract(self.period, np.int64(self.origin), dtype=self.small, casting="unsafe")

    def narrow_offsets(self) -> NDArray[np.unsignedinteger[Any]] | NDArray[np.int64]:
        """Return each period's offset from the earliest in the narrowest type that holds ``span``.

        For the first and last period per customer, which never form cell numbers: a table of 16-bit
        offsets (daily periods over up to 179 years) takes a quarter of the memory of 64-bit ones, and
        numpy's indexed min / max over millions of customers run about three times faster on it.
        """
        narrow = narrowest_unsigned(self.span)
        if narrow is None:
            return self.period - np.int64(self.origin)
        return np.subtract(self.period, np.int64(self.origin), dtype=narrow, casting="unsafe")


def _log(customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int) -> _Log:
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    if len(period) == 0:
        return _Log(customer, period, n_customers, 0, 1, "", None)
    if _is_sorted(period):
        layout = "period"
        origin, latest = int(period[0]), int(period[-1])
    else:
        layout = "customer" if _is_sorted(customer) else ""
        origin, latest = min_max(period)
    span = latest - origin + 1
    edges = None
    if layout == "period" and len(period) >= _ROWS_PER_PERIOD * span:
        bounds = np.arange(origin, latest + 2, dtype=np.int64)
        edges = np.searchsorted(period, bounds).tolist()
    return _Log(customer, period, n_customers, origin, span, layout, edges)


def _is_sorted(values: NDArray[np.int64]) -> bool:
    """Whether ``values`` never decrease; checked in chunks, stopping at the first descent."""
    steps = len(values) - 1
    rises = np.empty(min(max(steps, 0), _CHECK_ROWS), dtype=np.bool_)
    for lo in range(0, steps, _CHECK_ROWS):
        hi = min(lo + _CHECK_ROWS, steps)
        chunk = rises[: hi - lo]
        np.greater_equal(values[lo + 1 : hi + 1], values[lo:hi], out=chunk)
        if not chunk.all():
            return False
    return True


def _marks(log: _Log) -> NDArray[np.bool_]:
    """first_of_pair of a log."""
    n = len(log.customer)
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    if log.edges is not None:
        # One period at a time: the customer code is the cell.
        return _marked(log.customer, np.array(log.edges, dtype=np.intp), 0, log.n_customers)
    customer, span, n_customers = log.customer, log.span, log.n_customers
    cells = n_customers * span
    if log.layout == "":
        return _marks_unsorted(log)
    if log.layout == "customer":
        per_block = max(1, _BLOCK_CELLS // span)
        block_cells = per_block * span
        edges = np.searchsorted(customer, np.arange(0, n_customers + per_block, per_block))
        return _marked(_cells(log, 0, n), edges, block_cells, min(block_cells, cells))
    # Period-major cells: each block is a run of whole periods, a contiguous slice of the rows.
    offset = log.offsets()
    per_block = max(1, _BLOCK_CELLS // max(n_customers, 1))
    block_cells = per_block * n_customers
    edges = np.searchsorted(offset, np.arange(0, span + per_block, per_block))
    offset *= n_customers
    np.add(offset, customer, out=offset, casting="unsafe")
    return _marked(offset, edges, block_cells, min(block_cells, cells))


def _cells(log: _Log, lo: int, hi: int) -> NDArray[np.signedinteger[Any]]:
    """Return the customer-major cells ``customer * span + offset`` of rows ``lo:hi``, as :attr:`_Log.small`.

    Made a few thousand rows at a time, so that no temporary of the rows' size is needed.
    """
    key = np.empty(hi - lo, dtype=log.small)
    part = np.empty(min(hi - lo, _CELL_ROWS), dtype=log.small)
    origin = np.int64(log.origin)
    for a in range(lo, hi, _CELL_ROWS):
        b = min(a + _CELL_ROWS, hi)
        out, scratch = key[a - lo : b - lo], part[: b - a]
        np.multiply(log.customer[a:b], log.span, out=out, casting="unsafe")
        np.subtract(log.period[a:b], origin, out=scratch, casting="unsafe")
        out += scratch
    return key


def _marks_and_bounds(log: _Log) -> tuple[NDArray[np.bool_], NDArray[np.int64], NDArray[np.int64]]:
    """first_of_pair of a log in no useful order, and each customer's first and last period.

    The bounds are taken block by block of customers as the pairs are marked: each block's indexed
    minimum and maximum write a table of a few thousand customers, which stays in the processor's caches
    (one over all the customers misses them on nearly every row).
    """
    narrow = narrowest_unsigned(log.span) or np.int64  # span itself fits: the minimum's start
    lowest = np.full(log.n_customers, log.span, dtype=narrow)
    highest = np.zeros(log.n_customers, dtype=narrow)
    mark = _marks_unsorted(log, (lowest, highest))
    first, last = lowest.astype(np.int64), highest.astype(np.int64)
    first += log.origin
    last += log.origin
    return mark, first, last


def _marks_unsorted(
    log: _Log, bounds: tuple[NDArray[Any], NDArray[Any]] | None = None
) -> NDArray[np.bool_]:
    """first_of_pair of a log in no useful order; with ``bounds``, also its customers' bounds.

    With ``bounds`` (two tables, of the lowest and of the highest period offset per customer), each
    customer's offsets lower and raise its entries (see :class:`_Bounds`).

    The rows are grouped by block (customer-major cells) with a stable radix sort, on one byte while the
    blocks that makes stay moderate, else on two. The rows are sorted a piece at a time (pieces of about
    :data:`_PIECE_ROWS` rows, several per thread, as many as keep the marking's loop over blocks and
    pieces short), so a block's rows are the pieces' runs of that block, in row order. A piece keeps its
    rows' cells relative to their block and its sort order, both in the narrowest type that holds them:
    eight bytes a row with 32-bit ones, where cells and order as 64-bit indices took sixteen, and the
    sort's temporaries are a piece's, not a thread's share of the rows.
    """
    customer, span, n_customers, n = log.customer, log.span, log.n_customers, len(log.customer)
    cells = n_customers * span
    n_blocks = -(-cells // _BLOCK_CELLS)
    if n_blocks > _BYTE_BLOCKS and cells <= _BYTE_BLOCKS * _LARGE_BLOCK_CELLS:
        n_blocks = _BYTE_BLOCKS
    one_byte = n_blocks <= _BYTE_BLOCKS
    per_block = max(1, -(-n_customers // min(n_blocks, 1 << 16)))
    n_edges = n_customers // per_block + 2
    block_cells = per_block * span
    key_type = narrowest_unsigned(block_cells - 1) or np.int64
    threads = threads_for(n)
    n_pieces = max(threads, min(-(-n // _PIECE_ROWS), _PIECE_VISITS // n_edges))
    mark = np.empty(n, dtype=np.bool_)

    def chunk(lo: int, hi: int) -> _Piece:
        block: NDArray[np.unsignedinteger[Any]] = np.empty(
            hi - lo, dtype=np.uint8 if one_byte else np.uint16
        )
        np.floor_divide(customer[lo:hi], per_block, out=block, casting="unsafe")
        order = np.argsort(block, kind="stable")
        edges = np.zeros(n_edges, dtype=np.intp)
        np.cumsum(bincount(block, minlength=n_edges - 1), out=edges[1:])
        key = np.take(
            _block_cells(log, lo, hi, block, per_block=per_block, key_type=key_type), order
        )
        narrow = narrowest_unsigned(max(hi - lo - 1, 0))
        return _Piece(key, edges, order if narrow is None else order.astype(narrow), mark[lo:hi])

    pieces = map_blocks(chunk, n, block=max(1, -(-n // n_pieces)))
    by_customer = None if bounds is None else _Bounds(*bounds, span, per_block)
    _mark_blocks(pieces, 0, min(block_cells, cells), by_customer)
    return mark


def _block_cells(
    log: _Log,
    lo: int,
    hi: int,
    block: NDArray[np.unsignedinteger[Any]],
    *,
    per_block: int,
    key_type: type[np.integer[Any]],
) -> NDArray[np.integer[Any]]:
    """Return the cells of rows ``lo:hi`` relative to their block, as ``key_type``.

    Row ``i`` of customer ``c`` in block ``block[i]`` (customers ``block[i] * per_block`` onwards) has the
    cell ``(c - block[i] * per_block) * span + offset``. Made a few thousand rows at a time in 64-bit
    temporaries that stay in the caches, then stored narrow.
    """
    key = np.empty(hi - lo, dtype=key_type)
    part = np.empty(min(hi - lo, _CELL_ROWS), dtype=np.int64)
    origin, span, size = np.int64(log.origin), np.int64(log.span), np.int64(per_block)
    for a in range(lo, hi, _CELL_ROWS):
        b = min(a + _CELL_ROWS, hi)
        scratch = part[: b - a]
        np.multiply(block[a - lo : b - lo], size, out=scratch)
        np.subtract(log.customer[a:b], scratch, out=scratch)
        scratch *= span
        scratch += log.period[a:b]
        np.subtract(scratch, origin, out=key[a - lo : b - lo], casting="unsafe")
    return key


def _marked(
    key: NDArray[np.signedinteger[Any]], edges: NDArray[np.intp], block_cells: int, table_cells: int
) -> NDArray[np.bool_]:
    """First-of-pair marks of keys in row order grouped into blocks at ``edges`` (see _mark_blocks)."""
    mark = np.empty(len(key), dtype=np.bool_)
    _mark_blocks([_Piece(key, edges, None, mark)], block_cells, table_cells)
    return mark


@dataclass(frozen=True, slots=True)
class _Piece:
    """Keys grouped by block (block ``b`` at ``edges[b]:edges[b + 1]``) and where their marks go.

    ``order`` None: the marks are ``out`` in the keys' order; else key ``i`` is row ``order[i]`` of
    ``out``.
    """

    key: NDArray[np.integer[Any]]
    edges: NDArray[np.intp]
    order: NDArray[np.integer[Any]] | None
    out: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Per customer, the lowest and the highest period offset, found while customer-major cells are marked.

    Block ``b`` of the marking holds the customers ``b * per_block`` onwards; a cell's customer within its
    block is ``cell // span`` and its offset ``cell % span``.
    """

    lowest: NDArray[Any]
    highest: NDArray[Any]
    span: int
    per_block: int

    def take(
        self, b: int, cell: NDArray[np.integer[Any]], scratch: tuple[NDArray[Any], ...]
    ) -> None:
        """Lower and raise the bounds of block ``b``'s customers by its cells ``cell`` (block-relative).

        ``scratch``: from :meth:`scratch`, at least as long as ``cell``: the customer and the offset of
        each cell are written there, not into new arrays (see :func:`_mark_blocks`).
        """
        n = len(cell)
        who, product, offset = (a[:n] for a in scratch)
        np.floor_divide(cell, self.span, out=who)
        np.multiply(who, self.span, out=product)
        # Below span: fits the bounds' type.
        np.subtract(cell, product, out=offset, casting="unsafe")
        lo = b * self.per_block
        np.minimum.at(self.lowest[lo : lo + self.per_block], who, offset)
        np.maximum.at(self.highest[lo : lo + self.per_block], who, offset)

    def scratch(self, n: int) -> tuple[NDArray[Any], ...]:
        """Return the arrays :meth:`take` writes into, for blocks of up to ``n`` cells."""
        return (np.empty(n, np.intp), np.empty(n, np.intp), np.empty(n, self.lowest.dtype))


def _mark_blocks(
    pieces: list[_Piece], block_cells: int, table_cells: int, bounds: _Bounds | None = None
) -> None:
    """First-of-pair marks for keys grouped into blocks of ``block_cells`` cells, written to the pieces.

    Block ``b`` holds cells ``b * block_cells`` onwards (with ``block_cells`` 0 every block's keys are its
    cells) and is made of each piece's keys of that block, one piece after the other. The scratch table
    has ``table_cells`` cells. With ``bounds`` (customer-major cells), each block's cells also lower and
    raise its customers' bounds: a minimum and a maximum, the same in any order and on any thread.
    """
    rows_of = [len(piece.key) for piece in pieces]
    n = sum(rows_of)
    sizes = np.diff(pieces[0].edges)  # rows per block, over the pieces
    for piece in pieces[1:]:
        sizes += np.diff(piece.edges)
    largest = int(sizes.max())
    # Row numbers within a block, in the narrowest type that holds them (a block of up to 65,536 rows has a
    # 16-bit scratch table, half the memory of a 32-bit one): small, reused by every block.
    row = np.arange(largest, dtype=narrowest_unsigned(max(largest - 1, 0)) or np.int64)
    # Runs of whole blocks of about equal rows, one per thread, each with a scratch table of its own
    # (as many threads as the scratch budget allows); every block writes its own rows of the marks, so
    # the marks are the same on one thread or many.
    threads = min(threads_for(n), max(1, _SCRATCH_BYTES // max(table_cells * row.itemsize, 1)))
    starts = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    cuts = np.searchsorted(starts, np.linspace(0, n, threads + 1), side="right") - 1
    cuts[0], cuts[-1] = 0, len(sizes)
    runs = [(a, b) for a, b in itertools.pairwise(np.unique(cuts).tolist()) if b > a]
    # The marks in the keys' order: the output itself where the keys are in row order.
    marked = [
        p.out if p.order is None else np.empty(k, dtype=np.bool_)
        for k, p in zip(rows_of, pieces, strict=True)
    ]

    def run(first: int, last: int) -> None:
        scratch = np.empty(table_cells, dtype=row.dtype)
        # Every block's temporaries are written into these, made once per run: blocks of tens of
        # thousands of rows making their own arrays had glibc map and unmap fresh memory on nearly every
        # block (about a hundred page faults each). ``local``: the block's cells, block-relative, as
        # indices (32-bit keys widened here once, not again by every indexing); ``seen``: the row numbers
        # read back from the table.
        local = np.empty(largest, dtype=np.intp)
        seen = np.empty(largest, dtype=row.dtype)
        bounded = None if bounds is None else (bounds, bounds.scratch(largest))
        for b in (np.flatnonzero(sizes[first:last]) + first).tolist():
            # The block's keys, piece after piece, numbered from 0 on: the last write of a cell is its
            # last row, which alone finds its own number there.
            written = []
            at = 0
            for k, piece in enumerate(pieces):
                lo, hi = int(piece.edges[b]), int(piece.edges[b + 1])
                if hi > lo:
                    cell = piece.key[lo:hi]
                    if block_cells:
                        cell = np.subtract(cell, b * block_cells, out=local[at : at + hi - lo])
                    elif cell.dtype != np.intp:
                        cell = local[at : at + hi - lo]
                        np.copyto(cell, piece.key[lo:hi])
                    scratch[cell] = row[at : at + hi - lo]
                    written.append((k, cell, lo, hi, at))
                    if bounded is not None:
                        bounded[0].take(b, cell, bounded[1])
                    at += hi - lo
            for k, cell, lo, hi, at in written:
                back = take(scratch, cell, out=seen[: hi - lo])
                np.equal(back, row[at : at + hi - lo], out=marked[k][lo:hi])

    map_ranges(run, runs, rows=n)

    # The marks of the pieces in sorted order go back to their rows, piece by piece on threads.
    def scatter(k: int, _: int) -> None:
        piece = pieces[k]
        if piece.order is not None:
            piece.out[piece.order] = marked[k]

    map_ranges(scatter, [(k, k + 1) for k in range(len(pieces))], rows=n)


def _bounds(log: _Log) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per customer, the first and the last period of a log: the two at once on two threads.

    The writes of each period over its customers (rows sorted by period) and the reductions of each
    customer's run (rows sorted by customer) release the interpreter lock; the indexed min / max of other
    orders does not, and the two then run in turn.
    """
    # In no useful order both read the same narrow offsets: made once.
    offset = log.narrow_offsets() if log.edges is None and log.layout != "customer" else None
    return concurrently(
        lambda: _bound(log, np.minimum, offset),
        lambda: _bound(log, np.maximum, offset),
        rows=len(log.period),
    )


def _bound(
    log: _Log,
    reduce: np.ufunc,
    offset: NDArray[np.unsignedinteger[Any]] | NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Per customer, the first (``np.minimum``) or the last (``np.maximum``) period of a log.

    ``offset``: the log's :meth:`_Log.narrow_offsets`, when already made.
    """
    if len(log.period) == 0:
        return np.zeros(log.n_customers, dtype=np.int64)
    if log.edges is not None:
        # Each period's offset written over its customers, in time order for the last period and
        # backwards for the first: the final write to a customer is the bound. The table is of the
        # narrowest type that holds the offsets: a 16-bit one (days over 179 years) takes three times
        # less time to write over than a 32-bit one, at millions of customers.
        out = np.zeros(log.n_customers, dtype=narrowest_unsigned(log.span) or np.int64)
        edges = log.edges
        order = range(log.span - 1, -1, -1) if reduce is np.minimum else range(log.span)
        for k in order:
            if edges[k + 1] > edges[k]:
                out[log.customer[edges[k] : edges[k + 1]]] = k
    elif log.layout == "customer":
        # Every code occurs, so each customer's purchases are one non-empty run.
        starts = np.searchsorted(log.customer, np.arange(log.n_customers, dtype=np.int64))
        out = reduce.reduceat(log.narrow_offsets(), starts)
    else:
        if offset is None:
            offset = log.narrow_offsets()
        # span - 1 at most: span itself fits the type too
        out = np.full(log.n_customers, log.span if reduce is np.minimum else 0, dtype=offset.dtype)
        reduce.at(out, log.customer, offset)
    result = out.astype(np.int64)
    result += log.origin
    return result
