"""Retention, churn and repeat-purchase formulas.

Pure numpy. The counting functions read an :class:`~retention.core.activity.Activity` (the
distinct (customer, period) pairs) so that every period metric agrees on what "active in a period"
means; the rate functions take plain counts. Undefined ratios (a zero denominator) are NaN, never a
warning or a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from retention.core.activity import Activity
from retention.core.parallel import map_blocks
from retention.core.sums import group_sums
from retention.errors import ColumnTypeError, InvalidValueError

__all__ = [
    "PeriodCounts",
    "crr",
    "gap_summary",
    "mean_amount",
    "period_counts",
    "ratio",
    "second_purchase_days",
    "second_purchase_summary",
]

# Pairs per block of period_counts' pass on threads.
_PAIR_BLOCK = 1 << 20


def _first(mask: NDArray[np.bool_], shown: NDArray[np.generic]) -> str:
    """Describe the offending entries of an argument for an error message."""
    if shown.ndim == 0:
        return f"Got {shown.item()!r}"
    n = int(mask.sum())
    position = tuple(int(i) for i in np.argwhere(mask)[0])
    where = position[0] if len(position) == 1 else position
    value = shown[position]
    if isinstance(value, np.generic):
        value = value.item()
    return f"{n} value{'s' if n != 1 else ''}, the first at position {where} ({value!r})"


def _counts(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Check that ``value`` holds counts (finite whole numbers >= 0); return them as floats."""
    raw = np.asarray(value)
    head = f"The {name!r} argument of crr"
    fix = f"Pass whole numbers of customers >= 0 as {name}."
    if raw.dtype.kind not in "iufO":
        msg = f"{head} must hold counts; it has dtype {raw.dtype}. {fix}"
        raise ColumnTypeError(msg)
    try:
        values = raw.astype(np.float64)
    except OverflowError as e:
        msg = f"{head} holds a number too large to be a count. {fix}"
        raise InvalidValueError(msg) from e
    except (TypeError, ValueError) as e:
        msg = f"{head} must hold counts; it holds values that are not numbers. {fix}"
        raise ColumnTypeError(msg) from e
    checks = (
        (~np.isfinite(values), "must be finite (not NaN or infinite)"),
        (values < 0, "must not be negative"),
        (values != np.floor(values), "must be whole numbers"),
    )
    for bad, what in checks:
        # NaN and infinity are caught by the first check, so the later ones compare finite values only.
        if bad.any():
            msg = f"{head} {what}: {_first(bad, raw)}. {fix}"
            raise InvalidValueError(msg)
    return values


@overload
def ratio(numerator: float, denominator: float) -> float: ...
@overload
def ratio(numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64] | float: ...
def ratio(numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64] | float:
    """Divide, giving NaN where the denominator is 0.

    Parameters
    ----------
    numerator, denominator : float or array_like
        Broadcast against each other.

    Returns
    -------
    float or numpy.ndarray of float64
        A float when both arguments are scalars, otherwise an array.

    Examples
    --------
    >>> ratio(np.array([1, 3, 2]), np.array([2, 0, 0]))
    array([0.5, nan, nan])
    >>> ratio(0, 0)
    nan
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    if out.ndim == 0:
        return float(out)
    return out


@overload
def crr(*, customers_start: float, customers_end: float, new_customers: float) -> float: ...
@overload
def crr(
    *, customers_start: ArrayLike, customers_end: ArrayLike, new_customers: ArrayLike
) -> NDArray[np.float64] | float: ...
def crr(
    *, customers_start: ArrayLike, customers_end: ArrayLike, new_customers: ArrayLike
) -> NDArray[np.float64] | float:
    r"""Compute the customer retention rate (CRR): customers at the end who are not new, per start.

    The function and the ``crr`` column of :func:`retention.period_retention` share the name; the
    ``retention_rate`` column there is another idea, the share ``retained / S`` of the starting customers
    who stayed.

    Parameters
    ----------
    customers_start : int or array_like of int
        ``S``, the customers at the start of the period (those active in the previous period).
    customers_end : int or array_like of int
        ``E``, the customers at the end of the period (those active in it).
    new_customers : int or array_like of int
        ``N``, the customers acquired during the period; part of ``E``, so ``N <= E``.

    Returns
    -------
    float or numpy.ndarray of float64
        ``(E - N) / S``: a float when all three arguments are scalars, otherwise an array of their
        broadcast shape. NaN where ``S = 0`` (undefined without customers at the start).

    Raises
    ------
    ColumnTypeError
        If an argument does not hold numbers (text, booleans).
    InvalidValueError
        If an argument is not a count (negative, NaN, infinite or not a whole number), if
        ``new_customers`` exceeds ``customers_end``, or if the shapes do not broadcast.

    See Also
    --------
    retention.period_retention : ``S``, ``E``, ``N`` and this rate per period of a transaction table.

    Notes
    -----
    The customer retention rate is

    $$\mathrm{CRR} = \frac{E - N}{S}.$$

    $E - N$ counts every customer of the period who is not new, so it includes customers who come
    back after a gap (reactivated customers) as well as those also active in the previous period. With
    reactivation, $E - N$ can exceed $S$ and the rate can exceed 1; ``retained / S`` from
    :func:`retention.period_retention` is the share of the starting customers who stayed (at most 1).

    References
    ----------
    .. [1] The usual practitioner definition, ``((E - N) / S) x 100`` per cent, found throughout
       retention-analytics and customer-success material rather than in one original paper; e.g.
       "Customer retention rate", Piwik PRO Glossary,
       https://piwik.pro/glossary/customer-retention-rate/

    Examples
    --------
    >>> crr(customers_start=200, customers_end=210, new_customers=30)
    0.9
    >>> crr(customers_start=[100, 0], customers_end=[90, 5], new_customers=[10, 5])
    array([0.8, nan])
    """
    start = _counts(customers_start, "customers_start")
    end = _counts(customers_end, "customers_end")
    new = _counts(new_customers, "new_customers")
    try:
        start, end, new = np.broadcast_arrays(start, end, new)
    except ValueError as e:
        msg = (
            "The arguments of crr must have shapes that broadcast together. Got "
            f"customers_start {start.shape}, customers_end {end.shape}, new_customers {new.shape}."
        )
        raise InvalidValueError(msg) from e
    too_many = new > end
    if too_many.any():
        where = _first(too_many, np.asarray(new, dtype=np.int64))
        msg = (
            "The 'new_customers' argument of crr must not exceed customers_end (new "
            f"customers are among the customers at the end): {where}. Check which count you passed as "
            "new_customers."
        )
        raise InvalidValueError(msg)
    return ratio(end - new, start)


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """Per period, who stayed, who came, who left; made by :func:`period_counts`.

    Every attribute is an int64 array with one entry per period of the range.

    Attributes
    ----------
    customers_start : numpy.ndarray of int64
        Customers active in the previous period.
    new : numpy.ndarray of int64
        Customers whose first period ever is this one.
    reactivated : numpy.ndarray of int64
        Customers active now, not in the previous period, and not new.
    retained : numpy.ndarray of int64
        Customers active now and in the previous period.
    churned : numpy.ndarray of int64
        Customers active in the previous period, not now.
    customers_end : numpy.ndarray of int64
        Customers active now.
    """

    customers_start: NDArray[np.int64]
    new: NDArray[np.int64]
    reactivated: NDArray[np.int64]
    retained: NDArray[np.int64]
    churned: NDArray[np.int64]
    customers_end: NDArray[np.int64]

    @property
    def retention_rate(self) -> NDArray[np.float64]:
        """``retained / customers_start``; NaN where no customers start."""
        return np.asarray(ratio(self.retained, self.customers_start), dtype=np.float64)

    @property
    def crr(self) -> NDArray[np.float64]:
        """``(customers_end - new) / customers_start``, the CRR; NaN where none start."""
        return np.asarray(
            crr(
                customers_start=self.customers_start,
                customers_end=self.customers_end,
                new_customers=self.new,
            ),
            dtype=np.float64,
        )

    @property
    def churn_rate(self) -> NDArray[np.float64]:
        """``churned / customers_start``; NaN where no customers start."""
        return np.asarray(ratio(self.churned, self.customers_start), dtype=np.float64)


def period_counts(act: Activity, first_period: int, last_period: int) -> PeriodCounts:
    """Count starting, new, reactivated, retained, churned and ending customers per period.

    Parameters
    ----------
    act : Activity
        The distinct (customer, period) pairs of *all* the data, so that "new" means a first
        period ever.
    first_period, last_period : int
        The period codes of the range, inclusive; periods without activity get zero counts. An
        empty range (``last_period < first_period``) gives empty arrays.

    Returns
    -------
    PeriodCounts
        One entry per period ``first_period .. last_period``.

    Notes
    -----
    The pairs are sorted by customer, then period, so a pair $(c, p)$ is retained exactly when the
    pair before it is $(c, p - 1)$, new when the pair before it belongs to another customer, and
    reactivated otherwise. A pair $(c, p)$ counts as churned in $p + 1$ when the pair after it is
    not $(c, p + 1)$. All the counts come from one :func:`numpy.bincount` of cells (period, state,
    whether the next period is active), on threads block by block of pairs; nothing loops over periods or
    customers. Hence ``customers_end = new + retained + reactivated`` and ``customers_start =
    retained + churned``, with ``customers_start`` the previous period's ``customers_end``.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 2, 1]), 3)
    >>> c = period_counts(act, 0, 2)
    >>> c.customers_start, c.new, c.retained
    (array([0, 2, 2]), array([2, 1, 0]), array([0, 1, 0]))
    >>> c.reactivated, c.churned, c.customers_end
    (array([0, 0, 1]), array([0, 1, 2]), array([2, 2, 1]))
    """
    n = max(int(last_period) - int(first_period) + 1, 0)
    customer, period = act.customer, act.period
    pairs = len(period)
    # Slot 0 is the period before the range (its actives are the first period's starting customers), slot
    # k the period first_period - 1 + k; pairs outside the range go to two extra slots, -1 and n + 1, left
    # out at the end. Each pair falls in one cell (slot, state, ends) with state 0 new, 1 reactivated,
    # 2 retained, and ends 1 when the customer is not active in the next period: one bincount of the
    # cells per block of pairs, the blocks' counts added (integers: the same on any number of threads).
    shift = int(first_period) - 2

    def cells(lo: int, hi: int) -> NDArray[np.int64]:
        a, b = max(lo - 1, 0), min(hi + 1, pairs)
        c, p = customer[a:b], period[a:b]
        k = b - a
        # link[j]: the pair at local position j - 1 is (c, q) and the one at j is (c, ...) / (c, q + 1);
        # link 0 and link k stand for "no pair there".
        same = np.zeros(k + 1, dtype=np.bool_)
        np.equal(c[1:], c[:-1], out=same[1:k])
        follows = same.copy()
        follows[1:k] &= (p[1:] - p[:-1]) == 1
        own = slice(lo - a, lo - a + hi - lo)
        cell = np.clip(p[own] - shift, 0, n + 2)
        cell *= 6
        cell += 2 * (same[own].view(np.int8) + follows[own].view(np.int8))
        cell += ~follows[lo - a + 1 : lo - a + 1 + hi - lo]
        return np.bincount(cell, minlength=(n + 3) * 6)

    blocks = map_blocks(cells, pairs, block=_PAIR_BLOCK) if pairs else []
    total = np.zeros((n + 3) * 6, dtype=np.int64)
    for counts in blocks:
        total += counts
    table = total.reshape(n + 3, 3, 2)[1 : n + 2]
    active = table.sum(axis=(1, 2))
    by_state = table.sum(axis=2)
    return PeriodCounts(
        customers_start=active[:-1],
        new=by_state[1:, 0],
        reactivated=by_state[1:, 1],
        retained=by_state[1:, 2],
        churned=table[:-1, :, 1].sum(axis=1),
        customers_end=active[1:],
    )


def mean_amount(amounts: NDArray[np.float64]) -> float:
    """Return the mean of the amounts (NaN for none), summed exactly so that row order never matters.

    The sum is :func:`retention.core.sums.group_sums` over one group: it does not depend on the order of
    the amounts (numpy's pairwise sum does).

    Examples
    --------
    >>> mean_amount(np.array([0.1, 0.2, -0.3, 10.0]))
    2.5
    """
    amounts = np.asarray(amounts, dtype=np.float64).ravel()
    total = group_sums(np.zeros(len(amounts), dtype=np.int64), amounts, 1)[0]
    return ratio(float(total), len(amounts))


def second_purchase_days(act: Activity) -> NDArray[np.int64]:
    """Days from each customer's first to second purchase day, for customers with two or more days.

    Parameters
    ----------
    act : Activity
        Distinct (customer, day) pairs, with periods as day codes.

    Returns
    -------
    numpy.ndarray of int64
        One gap per returning customer, in customer-code order.

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 0, 1, 2, 2]), np.array([3, 10, 8, 4, 7, 9]), 3)
    >>> second_purchase_days(act)
    array([5, 2])
    """
    begin = act.start[:-1]
    returned = np.diff(act.start) >= 2
    first = begin[returned]
    return (act.period[first + 1] - act.period[first]).astype(np.int64, copy=False)


def second_purchase_summary(act: Activity) -> NDArray[np.float64]:
    """Summary of the time to a second purchase day.

    Parameters
    ----------
    act : Activity
        As for :func:`second_purchase_days`.

    Returns
    -------
    numpy.ndarray of float64
        Seven numbers: customers, customers who returned, their share, and the mean, 25th
        percentile, median and 75th percentile of :func:`second_purchase_days` over the customers
        who returned (linear interpolation, numpy's default; NaN when nobody returned).

    Examples
    --------
    >>> from retention.core.activity import activity
    >>> act = activity(np.array([0, 0, 1, 2, 2]), np.array([3, 7, 4, 1, 3]), 3)
    >>> second_purchase_summary(act)
    array([3.        , 2.        , 0.66666667, 3.        , 2.5       ,
           3.        , 3.5       ])
    """
    return gap_summary(act.n_customers, second_purchase_days(act))


def gap_summary(customers: int, gaps: NDArray[np.int64]) -> NDArray[np.float64]:
    """Summarise the time to a second purchase from the customers and the gaps of those who returned.

    Parameters
    ----------
    customers : int
        Customers, returning or not.
    gaps : numpy.ndarray of int64
        Days from first to second purchase day, one per returning customer, in any order.

    Returns
    -------
    numpy.ndarray of float64
        The seven numbers of :func:`second_purchase_summary`.

    Examples
    --------
    When nobody returned, the share is 0 and the times are NaN:

    >>> gap_summary(4, np.array([], dtype=np.int64))
    array([ 4.,  0.,  0., nan, nan, nan, nan])
    """
    returned = len(gaps)
    if returned:
        mean = float(gaps.mean())
        q25, median, q75 = np.quantile(gaps, [0.25, 0.5, 0.75])
    else:
        mean = q25 = median = q75 = np.nan
    share = ratio(returned, customers)
    return np.array([customers, returned, share, mean, q25, median, q75], dtype=np.float64)
