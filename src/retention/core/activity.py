"""Who was active when: the distinct (customer, period) pairs that every period metric counts.

Pure numpy. Customers are integer codes ``0 .. n_customers - 1`` and periods integer codes (any origin); the
adapter makes both. This is the one place where a transaction log becomes activity, so that rates, cohorts
and survival curves agree on what "active in a period" means: at least one purchase in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Activity", "activity"]

# Above this many cells a dense customer x period bitmap costs more than sorting the keys.
_DENSE_LIMIT = 1 << 27


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
