"""Passes over the rows of a large table, block by block, on several threads.

numpy releases the interpreter lock in its inner loops (gathers and scatters by index arrays,
comparisons, ``flatnonzero``, sorts, ``bincount``; not the indexed ``np.minimum.at`` and its kin,
measured here), so the blocks of one pass run in parallel on threads of one process, with no copy of the
data. :func:`map_blocks` runs a function on each block of ``range(n)`` and returns the results in block
order, whatever the order in which the threads finish: a pass whose blocks each write their own part of
the output, or return their own piece, gives the same result, to the last bit, on one thread or many.
:func:`argsort` sorts on threads, range of values by range of values; :func:`bincount` counts run by run
of rows and adds the counts; :func:`concurrently` runs two independent computations at once (one of them
reading text through pyarrow, say, which also works without the lock). Tables below :data:`MIN_ROWS` rows
run on the calling thread alone (the pool's overhead would cost more than it saves).

The number of threads is :func:`thread_count`: the environment variable ``RETENTION_NUM_THREADS`` when it
is set (as ``OMP_NUM_THREADS`` and ``POLARS_MAX_THREADS`` are), else the processors this process may use.
Set it to 1 where the processes of a cluster already share the machine's cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

import numpy as np
from numpy.typing import NDArray

from retention.core.arrays import readable
from retention.errors import InvalidParameterError

__all__ = [
    "MIN_ROWS",
    "THREADS_VARIABLE",
    "argsort",
    "bincount",
    "concurrently",
    "map_blocks",
    "map_ranges",
    "map_runs",
    "min_max",
    "take",
    "thread_count",
    "threads_for",
]

T = TypeVar("T")
U = TypeVar("U")

THREADS_VARIABLE: Final = "RETENTION_NUM_THREADS"
"""The environment variable that sets how many threads a pass may use."""

MIN_ROWS: Final = 1 << 21
"""Passes over fewer rows than this run on the calling thread."""

# Values of one or two bytes are counted this many at a time (numpy's copy of them to intp stays small).
_NARROW_SLICE: Final = 1 << 18
# Rows per block of take: the shifted indices of a block stay in the processor's caches.
_GATHER_ROWS: Final = 1 << 18
_MIN_MAX_ROWS: Final = 1 << 20  # rows per block of min_max
_PREFIX: Final = "retention-pass"  # the names of the pools' threads
_pools: dict[int, ThreadPoolExecutor] = {}


def _forget_pools() -> None:
    """Drop the pools in a child process: a fork copies the pools but not their threads."""
    _pools.clear()


if hasattr(os, "register_at_fork"):  # a forked child starts its own pools on first use
    os.register_at_fork(after_in_child=_forget_pools)


def thread_count() -> int:
    """Return how many threads a pass over many rows may use.

    Returns
    -------
    int
        ``RETENTION_NUM_THREADS`` when set, else the number of processors this process may run on.

    Raises
    ------
    InvalidParameterError
        If ``RETENTION_NUM_THREADS`` is set to anything but a whole number of at least 1.

    Examples
    --------
    >>> import os
    >>> os.environ["RETENTION_NUM_THREADS"] = "1"
    >>> thread_count()
    1
    >>> del os.environ["RETENTION_NUM_THREADS"]
    """
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            msg = f"The environment variable {THREADS_VARIABLE} must be a whole number of threads, at least 1. Got {value!r}. Set it to 1 to run every pass on one thread, or unset it to use every processor."
            raise InvalidParameterError(msg)
        return int(value)
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def threads_for(n: int) -> int:
    """Return how many threads a pass over ``n`` rows uses: one below :data:`MIN_ROWS` rows.

    Examples
    --------
    >>> threads_for(10)
    1
    """
    return thread_count() if n >= MIN_ROWS else 1


def _pool(threads: int) -> ThreadPoolExecutor:
    """Return the process's pool of ``threads`` threads, started on first use."""
    pool = _pools.get(threads)
    if pool is None:
        pool = _pools.setdefault(
            threads, ThreadPoolExecutor(max_workers=threads, thread_name_prefix=_PREFIX)
        )
    return pool


def map_ranges(
    function: Callable[[int, int], T], bounds: Sequence[tuple[int, int]], *, rows: int
) -> list[T]:
    """Run ``function(lo, hi)`` on each range of ``bounds`` and return the results in their order.

    Parameters
    ----------
    function : callable
        Called with the bounds of one range. It must write nothing that another range reads or writes.
    bounds : sequence of (int, int)
        The ranges, of rows or of anything else (buckets of rows, say).
    rows : int
        How many rows the ranges hold together; with fewer than :data:`MIN_ROWS`, every range runs on
        the calling thread.

    Returns
    -------
    list
        One result per range, in the order of ``bounds``.

    Examples
    --------
    >>> map_ranges(lambda lo, hi: list(range(lo, hi)), [(0, 2), (5, 6)], rows=3)
    [[0, 1], [5]]
    """
    threads = min(threads_for(rows), len(bounds))
    if threads <= 1 or threading.current_thread().name.startswith(_PREFIX):
        # One thread, or already on one of the pool's: a pass inside a pass runs where it is (waiting for
        # the pool from one of its own threads could wait forever).
        return [function(lo, hi) for lo, hi in bounds]
    return list(_pool(threads).map(lambda b: function(*b), bounds))


def map_blocks(function: Callable[[int, int], T], n: int, *, block: int) -> list[T]:
    """Run ``function(lo, hi)`` on each block of ``range(n)`` and return the results in block order.

    Parameters
    ----------
    function : callable
        Called with the bounds of one block; blocks are ``block`` long (the last one shorter). It must
        write nothing that another block reads or writes.
    n : int
        The number of rows; with fewer than :data:`MIN_ROWS`, every block runs on the calling thread.
    block : int
        The length of a block, at least 1.

    Returns
    -------
    list
        One result per block, in the order of the blocks.

    Examples
    --------
    >>> map_blocks(lambda lo, hi: hi - lo, 10, block=4)
    [4, 4, 2]
    """
    return map_ranges(function, [(lo, min(lo + block, n)) for lo in range(0, n, block)], rows=n)


def map_runs(function: Callable[[int, int], T], n: int) -> list[T]:
    """Run ``function(lo, hi)`` on one run of ``range(n)`` per thread (:func:`threads_for`), in order.

    For a pass whose runs each need scratch space or a table of their own: as few runs as threads.

    Examples
    --------
    >>> map_runs(lambda lo, hi: hi - lo, 10)
    [10]
    >>> map_runs(lambda lo, hi: hi - lo, 0)
    []
    """
    return map_blocks(function, n, block=max(1, -(-n // threads_for(n))))


def min_max(values: NDArray[np.integer[Any]]) -> tuple[int, int]:
    """Return the lowest and the highest of integers (not empty), found block by block on threads.

    Examples
    --------
    >>> min_max(np.array([4, -2, 9]))
    (-2, 9)
    """
    bounds = map_blocks(
        lambda lo, hi: (int(values[lo:hi].min()), int(values[lo:hi].max())),
        len(values),
        block=_MIN_MAX_ROWS,
    )
    return min(low for low, _ in bounds), max(high for _, high in bounds)


def take(
    values: NDArray[Any],
    indices: NDArray[np.integer[Any]],
    *,
    start: int = 0,
    out: NDArray[Any] | None = None,
) -> NDArray[Any]:
    """Return ``values[indices - start]``, gathered block by block on threads, as a new array or ``out``.

    For a per-row lookup in a table (each row's customer or day): the gather is a copy, the same on any
    number of threads. The indices must be in range (``start`` to ``start + len(values) - 1``): they are
    not checked. ``start``: the index of ``values[0]`` (the table's lowest day, say), so that no
    shifted copy of the indices is made. ``out``: an array as long as ``indices`` (a scratch array of
    the caller's) to write into, not overlapping them.

    Examples
    --------
    >>> take(np.array([10, 20, 30]), np.array([7, 5, 7]), start=5)
    array([30, 10, 30])
    """
    result = np.empty(len(indices), dtype=values.dtype) if out is None else out
    indices = readable(indices)

    def gather(lo: int, hi: int) -> None:
        at = indices[lo:hi]
        # mode="clip" (a no-op for indices in range): for the default "raise", numpy writes into a
        # buffer and copies it to ``out``.
        np.take(values, at - start if start else at, out=result[lo:hi], mode="clip")

    map_blocks(gather, len(indices), block=_GATHER_ROWS)
    return result


def bincount(
    values: NDArray[np.integer[Any]],
    *,
    minlength: int,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[Any]:
    """:func:`numpy.bincount` on threads: each thread counts a run of rows, and the counts are added.

    Counts are integers, so the result is numpy's to the last bit on any number of threads. With
    ``weights``, each bin's total is the sum of the runs' totals: the caller passes only weights whose
    partial sums are exact in any order (whole cents, the slices of one level of
    :func:`retention.core.sums.group_sums`), for which it is numpy's result too.

    Parameters
    ----------
    values : numpy.ndarray of int
        Non-negative bin numbers.
    minlength : int
        At least this many bins.
    weights : numpy.ndarray of float64, optional
        Per value, its weight.

    Returns
    -------
    numpy.ndarray
        int64 counts, or float64 totals with ``weights``.

    Examples
    --------
    >>> bincount(np.array([0, 2, 2]), minlength=4)
    array([1, 0, 2, 0])
    """
    n = len(values)
    values = readable(values)
    weights = None if weights is None else readable(weights)
    threads = threads_for(n)
    if n == 0 or threads <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return _bincount_run(values, weights, minlength)

    def count(lo: int, hi: int) -> NDArray[Any]:
        part = None if weights is None else weights[lo:hi]
        return _bincount_run(values[lo:hi], part, minlength)

    return _added(map_runs(count, n))


def _bincount_run(
    values: NDArray[np.integer[Any]], weights: NDArray[np.float64] | None, minlength: int
) -> NDArray[Any]:
    """:func:`numpy.bincount` of one run of rows.

    numpy first copies values of another type than ``intp`` into a new ``intp`` array (eight bytes a
    row); values of one or two bytes, whose counts are short, are counted a slice at a time instead.
    """
    if values.dtype.itemsize > 2 or len(values) <= _NARROW_SLICE:
        return np.bincount(values, weights=weights, minlength=minlength)
    parts = [
        np.bincount(
            values[lo : lo + _NARROW_SLICE],
            weights=None if weights is None else weights[lo : lo + _NARROW_SLICE],
            minlength=minlength,
        )
        for lo in range(0, len(values), _NARROW_SLICE)
    ]
    return _added(parts)


def _added(parts: list[NDArray[Any]]) -> NDArray[Any]:
    """Add counts (or exact totals) of different lengths into the longest of them, which is returned.

    The parts are new arrays of one type, made for this sum: the longest is added into, not a new table.
    """
    longest = max(range(len(parts)), key=lambda k: len(parts[k]))
    total = parts[longest]
    for k, part in enumerate(parts):
        if k != longest:
            total[: len(part)] += part
    return total


def concurrently(first: Callable[[], T], second: Callable[[], U], *, rows: int) -> tuple[T, U]:
    """Run two independent computations at once: ``first`` on a pool thread, ``second`` on this one.

    For two steps of one computation that read the same arrays and write nothing the other reads: the
    results are those of running them one after the other, in any order, to the last bit. Only worth it
    when both spend their time in code that releases the interpreter lock (numpy's inner loops,
    pyarrow's kernels).

    Parameters
    ----------
    first, second : callable
        Called without arguments.
    rows : int
        How many rows the two read; with fewer than :data:`MIN_ROWS`, or on one thread (or from a pool
        thread), ``first`` runs, then ``second``, on the calling thread.

    Returns
    -------
    tuple
        ``(first(), second())``. An exception of either is raised here (``first``'s when both raise).

    Examples
    --------
    >>> concurrently(lambda: 1, lambda: "two", rows=10)
    (1, 'two')
    """
    if threads_for(rows) <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return first(), second()
    future = _pool(threads_for(rows)).submit(first)
    try:
        other = second()
    except BaseException:
        future.result()  # its exception, if any, first; else the one of second
        raise
    return future.result(), other


# Keys sampled to choose the pivots of argsort: enough for parts within a few percent of equal sizes.
_PIVOT_SAMPLE: Final = 4096


def argsort(keys: NDArray[Any]) -> NDArray[np.intp]:
    """Return ``np.argsort(keys, kind="stable")``, sorted on several threads.

    The keys are split at pivots taken from a sample of them into ranges of values, two per thread, and
    each range is sorted on its own: equal keys fall in one range, in their order, so the result is the
    stable argsort itself, to the last position, on one thread or many.

    Parameters
    ----------
    keys : numpy.ndarray
        One-dimensional, of a numeric type without NaN (codes, integer keys).

    Returns
    -------
    numpy.ndarray of intp
        The positions of the keys in ascending order of the keys, equal keys in their order.

    Examples
    --------
    >>> argsort(np.array([3, 1, 2, 1]))
    array([1, 3, 2, 0])
    """
    n = len(keys)
    threads = threads_for(n)
    if n < 2 or threads <= 1 or threading.current_thread().name.startswith(_PREFIX):
        return np.argsort(keys, kind="stable")
    parts = min(2 * threads, 256)  # numbered in one byte
    sample = np.sort(keys[:: max(1, n // _PIVOT_SAMPLE)])
    pivots = sample[(np.arange(1, parts) * len(sample)) // parts]
    # The part of each key, ascending in the key; a radix sort on that byte groups them.
    part = np.searchsorted(pivots, keys, side="right").astype(np.uint8)
    by_part = np.argsort(part, kind="stable")
    edges = np.zeros(parts + 1, dtype=np.int64)
    np.cumsum(np.bincount(part, minlength=parts), out=edges[1:])
    del part

    def sort(lo: int, hi: int) -> NDArray[np.intp]:
        mine = by_part[edges[lo] : edges[hi]]
        return mine[np.argsort(keys[mine], kind="stable")]

    return np.concatenate(map_ranges(sort, [(p, p + 1) for p in range(parts)], rows=n))
