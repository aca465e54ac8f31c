"""Who was active when: the distinct (customer, period) pairs that every period metric counts.

Pure numpy. Customers are integer codes ``0 .. n_customers - 1`` and periods integer codes (any origin); the
adapter makes both. This is the one place where a transaction log becomes activity, so that rates, cohorts
and survival curves agree on what "active in a period" means: at least one purchase in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Activity",
    "activity",
    "customer_periods",
    "first_of_pair",
    "first_periods",
    "last_periods",
    "period_bounds",
]

# Above this many cells a dense customer x period bitmap costs more than sorting the keys.
_DENSE_LIMIT = 1 << 27
# Cells of the (customer, period) key space that first_of_pair handles at a time: a scratch table of this
# many row numbers stays in the processor's caches.
_BLOCK_CELLS = 1 << 20
# Unsorted purchases are grouped into at most this many blocks with an 8-bit radix sort, the blocks growing
# up to _LARGE_BLOCK_CELLS; beyond that into more blocks with a 16-bit one (a slower pass).
_BYTE_BLOCKS = 1 << 8
_LARGE_BLOCK_CELLS = 1 << 24


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


def activity(customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int) -> Activity:
    """Reduce per-purchase codes to the distinct (customer, period) pairs.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``. Every code must occur at least once.
    period : numpy.ndarray of int64
        Per purchase, a period code.
    n_customers : int
        Number of customer codes.

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
    origin = int(period.min())
    span = int(period.max()) - origin + 1
    key = customer * span + (period - origin)
    cells = n_customers * span
    if cells <= max(_DENSE_LIMIT, 4 * len(key)):
        marks = np.zeros(cells, dtype=np.bool_)
        marks[key] = True
        keys = np.flatnonzero(marks).astype(np.int64, copy=False)
    else:
        # Sort and drop repeats: np.unique's hash path is several times slower on int64 keys (numpy 2.4).
        keys = np.sort(key)
        keep = np.empty(len(keys), dtype=np.bool_)
        keep[0] = True
        np.not_equal(keys[1:], keys[:-1], out=keep[1:])
        keys = keys[keep]
    pair_customer, offset = np.divmod(keys, span)
    pair_period = offset + origin
    counts = np.bincount(pair_customer, minlength=n_customers)
    start = np.zeros(n_customers + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    first_period = pair_period[start[:-1]]
    return Activity(pair_customer, pair_period, first_period, start)


def first_of_pair(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.bool_]:
    """Mark one purchase of every distinct (customer, period) pair, in linear time.

    The counting half of :func:`activity` without its sorting: the marked rows are the transactions (the
    purchases of one customer in one period counted once), so ``np.bincount(customer[mark])`` gives each
    customer's number of active periods.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``.
    period : numpy.ndarray of int64
        Per purchase, a period code.
    n_customers : int
        Number of customer codes.

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
    sort on a one- or two-byte block number.

    Examples
    --------
    >>> mark = first_of_pair(np.array([1, 0, 1, 1]), np.array([5, 3, 5, 6]), 2)
    >>> int(mark.sum()), np.bincount(np.array([1, 0, 1, 1])[mark])
    (3, array([1, 2]))
    """
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    if len(customer) == 0:
        return np.zeros(0, dtype=np.bool_)
    _, offset, span = _offsets(period, n_customers)
    return _mark_pairs(customer, period, offset, span, n_customers)


def customer_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per customer: the number of distinct periods with a purchase, the first and the last of them.

    :func:`first_of_pair` and :func:`period_bounds` in one pass that shares their offsets.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``. Every code must occur at least once.
    period : numpy.ndarray of int64
        Per purchase, a period code.
    n_customers : int
        Number of customer codes.

    Returns
    -------
    tuple of numpy.ndarray of int64
        Active periods, first period and last period, per customer code.

    Examples
    --------
    >>> customer_periods(np.array([1, 0, 1, 1]), np.array([5, 3, 5, 6]), 2)
    (array([1, 2]), array([3, 5]), array([3, 6]))
    """
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    if len(customer) == 0:
        zeros = np.zeros(n_customers, dtype=np.int64)
        return zeros, zeros.copy(), zeros.copy()
    offsets = _offsets(period, n_customers)
    first = _extreme(np.minimum, customer, offsets, n_customers)
    last = _extreme(np.maximum, customer, offsets, n_customers)
    # Purchases less the repeats within a period (few, so the second count is cheap).
    repeated = ~_mark_pairs(customer, period, offsets[1], offsets[2], n_customers)
    active = np.bincount(customer, minlength=n_customers)
    active -= np.bincount(customer[repeated], minlength=n_customers)
    return active.astype(np.int64, copy=False), first, last


def _mark_pairs(
    customer: NDArray[np.int64],
    period: NDArray[np.int64],
    offset: NDArray[np.int32] | NDArray[np.int64],
    span: int,
    n_customers: int,
) -> NDArray[np.bool_]:
    """first_of_pair on the offsets of ``period`` from its minimum (sized by ``_offsets``); uses them up."""
    n = len(customer)
    cells = n_customers * span
    key_type = offset.dtype
    if bool(np.all(period[1:] >= period[:-1])):
        # Period-major cells: each block is a run of whole periods, a contiguous slice of the rows.
        per_block = max(1, _BLOCK_CELLS // max(n_customers, 1))
        block_cells = per_block * n_customers
        edges = np.searchsorted(offset, np.arange(0, span + per_block, per_block))
        offset *= n_customers
        np.add(offset, customer, out=offset, casting="unsafe")
        return _mark_blocks(offset, edges, block_cells)
    np.add(offset, np.multiply(customer, span, dtype=key_type, casting="unsafe"), out=offset)
    if bool(np.all(customer[1:] >= customer[:-1])):
        per_block = max(1, _BLOCK_CELLS // span)
        block_cells = per_block * span
        edges = np.searchsorted(customer, np.arange(0, n_customers + per_block, per_block))
        return _mark_blocks(offset, edges, block_cells)
    # Any other order: group the rows by block (customer-major cells) with a stable radix sort, on one
    # byte while the blocks that makes stay moderate, else on two.
    n_blocks = -(-cells // _BLOCK_CELLS)
    if n_blocks > _BYTE_BLOCKS and cells <= _BYTE_BLOCKS * _LARGE_BLOCK_CELLS:
        n_blocks = _BYTE_BLOCKS
    one_byte = n_blocks <= _BYTE_BLOCKS
    per_block = max(1, -(-n_customers // min(n_blocks, 1 << 16)))
    block = (customer // per_block).astype(np.uint8 if one_byte else np.uint16)
    order = np.argsort(block, kind="stable")
    key = offset[order]
    edges = np.zeros(n_customers // per_block + 2, dtype=np.intp)
    np.cumsum(np.bincount(block, minlength=len(edges) - 1), out=edges[1:])
    mark = np.empty(n, dtype=np.bool_)
    mark[order] = _mark_blocks(key, edges, per_block * span)
    return mark


def _mark_blocks(
    key: NDArray[np.int32] | NDArray[np.int64], edges: NDArray[np.intp], block_cells: int
) -> NDArray[np.bool_]:
    """First-of-pair marks for keys grouped into blocks of ``block_cells`` cells at ``edges``."""
    mark = np.empty(len(key), dtype=np.bool_)
    sizes = np.diff(edges)
    largest = int(sizes.max())
    # Row numbers within a block: small, reused by every block.
    row = np.arange(largest, dtype=np.int32 if largest < 2**31 else np.int64)
    scratch = np.empty(min(block_cells, int(key.max()) + 1), dtype=row.dtype)
    for b in np.flatnonzero(sizes):
        lo, hi = int(edges[b]), int(edges[b + 1])
        cell = key[lo:hi] - int(b) * block_cells
        rows = row[: hi - lo]
        scratch[cell] = rows
        np.equal(scratch[cell], rows, out=mark[lo:hi])
    return mark


def first_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.int64]:
    """Per customer, the first period with a purchase.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``. Every code must occur at least once.
    period : numpy.ndarray of int64
        Per purchase, a period code (days, months, ...).
    n_customers : int
        Number of customer codes.

    Returns
    -------
    numpy.ndarray of int64
        The earliest period per customer code.

    See Also
    --------
    period_bounds : The first and the last period per customer, together.

    Notes
    -----
    One indexed minimum (:meth:`numpy.ufunc.at`) over the purchases, on 32-bit offsets from the earliest
    period when they fit: numpy runs those several times faster than 64-bit ones.

    Examples
    --------
    >>> first_periods(np.array([1, 0, 1, 1]), np.array([9, 3, 4, 7]), 2)
    array([3, 4])
    """
    offsets = _offsets(period)
    return _extreme(np.minimum, customer, offsets, n_customers)


def last_periods(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> NDArray[np.int64]:
    """Per customer, the last period with a purchase; see :func:`first_periods`.

    Examples
    --------
    >>> last_periods(np.array([1, 0, 1, 1]), np.array([9, 3, 4, 7]), 2)
    array([3, 9])
    """
    offsets = _offsets(period)
    return _extreme(np.maximum, customer, offsets, n_customers)


def period_bounds(
    customer: NDArray[np.int64], period: NDArray[np.int64], n_customers: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per customer, the first and the last period with a purchase; see :func:`first_periods`.

    Examples
    --------
    >>> period_bounds(np.array([1, 0, 1, 1]), np.array([9, 3, 4, 7]), 2)
    (array([3, 4]), array([3, 9]))
    """
    offsets = _offsets(period)
    return (
        _extreme(np.minimum, customer, offsets, n_customers),
        _extreme(np.maximum, customer, offsets, n_customers),
    )


def _offsets(
    period: NDArray[np.int64], n_customers: int = 1
) -> tuple[int, NDArray[np.int32] | NDArray[np.int64], int]:
    """Return the earliest period, each period's offset from it and the span.

    The offsets are 32-bit when every cell number ``customer * span + offset`` fits: half the memory
    traffic, and numpy's indexed min / max run several times faster on them.
    """
    period = np.asarray(period, dtype=np.int64)
    if len(period) == 0:
        return 0, np.empty(0, dtype=np.int64), 1
    origin = int(period.min())
    span = int(period.max()) - origin + 1
    small = np.int32 if max(n_customers, 1) * span < 2**31 else np.int64
    return origin, np.subtract(period, np.int64(origin), dtype=small, casting="unsafe"), span


def _extreme(
    reduce: np.ufunc,
    customer: NDArray[np.int64],
    offsets: tuple[int, NDArray[np.int32] | NDArray[np.int64], int],
    n_customers: int,
) -> NDArray[np.int64]:
    origin, offset, span = offsets
    out = np.full(n_customers, span if reduce is np.minimum else 0, dtype=offset.dtype)
    reduce.at(out, np.asarray(customer, dtype=np.int64), offset)
    result = out.astype(np.int64)
    result += origin
    return result
