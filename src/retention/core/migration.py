"""Segment migration: how many customers moved from each segment to each other one.

Pure numpy. Segments and customers are integer codes; the adapter (:mod:`retention.frames.migration`)
factorises the labels of both snapshots jointly, adds the codes for customers seen in only one snapshot
("(new)" and "(gone)"), calls :func:`migration_counts` and labels the table.

DESIGN.md lists migration matrices under ``core/segments.py``. Migration is its own concept: it
needs only two arrays of segment codes, whoever made the segments (RFM, business rules, ABC/XYZ or a
user's own labels), and it knows nothing of how segments are scored. It therefore lives in its own module,
which also let two people build segments and migrations at the same time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from retention.errors import InvalidValueError

__all__ = ["migration_counts", "shares_of_rows", "shares_of_total"]


def migration_counts(
    before: NDArray[np.int64], after: NDArray[np.int64], n_before: int, n_after: int
) -> NDArray[np.int64]:
    """Count the customers in each (segment before, segment after) cell.

    Parameters
    ----------
    before : numpy.ndarray of int64
        Per customer, the code of the segment at the first date, in ``0 .. n_before - 1``.
    after : numpy.ndarray of int64
        Per customer, the code of the segment at the later date, in ``0 .. n_after - 1``; as long as
        ``before``.
    n_before, n_after : int
        Number of segment codes on each side (rows and columns of the table, empty ones included).

    Returns
    -------
    numpy.ndarray of int64, shape (n_before, n_after)
        ``counts[i, j]``: the number of customers with ``before == i`` and ``after == j``.

    Raises
    ------
    InvalidValueError
        If the arrays differ in length or hold a code outside their range.

    Notes
    -----
    One :func:`numpy.bincount` over the cell number ``before * n_after + after``: linear in the number of
    customers, with no sort. The table sums to the number of customers; row ``i`` sums to the customers
    in segment ``i`` before, column ``j`` to those in segment ``j`` after.

    Examples
    --------
    >>> migration_counts(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3, 2)
    array([[1, 1],
           [0, 1],
           [0, 1]])
    """
    before = np.asarray(before, dtype=np.int64)
    after = np.asarray(after, dtype=np.int64)
    if before.shape != after.shape or before.ndim != 1:
        msg = f"before and after must be 1-d arrays of the same length; got shapes {before.shape} and {after.shape}."
        raise InvalidValueError(msg)
    for name, codes, n in (("before", before, n_before), ("after", after, n_after)):
        if len(codes) and (int(codes.min()) < 0 or int(codes.max()) >= n):
            msg = f"The {name!r} codes must lie in 0 .. {n - 1}; got values from {int(codes.min())} to {int(codes.max())}."
            raise InvalidValueError(msg)
    cells = np.bincount(before * n_after + after, minlength=n_before * n_after)
    return cells.astype(np.int64, copy=False).reshape(n_before, n_after)


def shares_of_rows(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """Divide every row of a count table by its sum.

    Parameters
    ----------
    counts : numpy.ndarray, shape (n_rows, n_columns)
        Counts, as from :func:`migration_counts`.

    Returns
    -------
    numpy.ndarray of float64
        ``counts[i, j] / counts[i].sum()``: the share of the customers of segment ``i`` who moved to ``j``.
        Each row sums to 1, except a row with no customers, which is all NaN (a share of nobody is
        undefined).

    Examples
    --------
    >>> shares_of_rows(np.array([[1, 3], [0, 0]]))
    array([[0.25, 0.75],
           [ nan,  nan]])
    """
    table = np.asarray(counts, dtype=np.float64)
    return _shares(table, table.sum(axis=1, keepdims=True))


def shares_of_total(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    """Divide a count table by its grand total, as :func:`shares_of_rows` divides by each row's sum.

    The result sums to 1; it is all NaN when the table is empty (no customers).

    Examples
    --------
    >>> shares_of_total(np.array([[1, 3], [0, 4]]))
    array([[0.125, 0.375],
           [0.   , 0.5  ]])
    """
    table = np.asarray(counts, dtype=np.float64)
    return _shares(table, table.sum())


def _shares(
    counts: NDArray[np.float64], totals: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """Divide ``counts`` by ``totals``, NaN where a total is 0 (a share of nobody is undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        shares: NDArray[np.float64] = counts / totals
    return shares
