"""Per-customer frequency, recency and monetary value from integer codes: the counting behind ``rfm_summary``.

Pure numpy. Customers are codes ``0 .. n_customers - 1`` and periods integer codes (any origin), made by the
adapter. Purchases in the same period are one transaction; the distinct (customer, period) pairs are marked by
:func:`retention.core.activity.first_of_pair`, next to the library's one definition of "active in a period".
Returns (:class:`Returns`) are never transactions: they only subtract from the spend of the period where they
happen. Times are returned as period codes: turning them into a time unit is the adapter's job, which knows
the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.core.activity import customer_periods, first_of_pair
from retention.core.arrays import FloatArray, IntArray, narrowest_unsigned
from retention.core.parallel import map_blocks, take
from retention.core.sums import Piece, group_sums_of

__all__ = ["HoldoutCounts", "RepeatCounts", "Returns", "holdout_counts", "repeat_counts"]

# Rows per block of a pass on threads.
_ROW_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Returns:
    """Returns (refunds, cancellations) of the customers: money back, never a transaction.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Per return, a customer code (of a customer with a purchase).
    period : numpy.ndarray of int64
        Per return, the code of the period in which it happened.
    amount : numpy.ndarray of float64
        Per return, its amount (below 0).
    """

    customer: IntArray
    period: IntArray
    amount: FloatArray

    def __len__(self) -> int:
        return len(self.customer)


@dataclass(frozen=True, slots=True)
class RepeatCounts:
    """Per customer code: repeat transactions, first and last period, mean repeat spend.

    Attributes
    ----------
    frequency : numpy.ndarray of int64
        Distinct periods with a purchase after the first one.
    first_period, last_period : numpy.ndarray of int64
        The codes of the first and of the last period with a purchase.
    monetary_value : numpy.ndarray of float64 or None
        The net spend of the periods after the first (same-period amounts added first, returns
        subtracted) divided by ``frequency``; 0 where ``frequency`` is 0. None when no amounts were given.
    """

    frequency: IntArray
    first_period: IntArray
    last_period: IntArray
    monetary_value: FloatArray | None


@dataclass(frozen=True, slots=True)
class HoldoutCounts:
    """Per customer code: transactions in a later span and their mean amount.

    Attributes
    ----------
    frequency : numpy.ndarray of int64
        Distinct periods with a purchase (every one counts: there is no "first" purchase in a holdout).
    monetary_value : numpy.ndarray of float64 or None
        The net spend of the span (every return in it subtracted) divided by ``frequency``; 0 where
        ``frequency`` is 0.
    """

    frequency: IntArray
    monetary_value: FloatArray | None


def _spend_per_transaction(
    customer: IntArray,
    amount: FloatArray,
    returns: Returns | None,
    count: IntArray,
    n_customers: int,
    *,
    overwrite: bool = False,
) -> FloatArray:
    """Per customer code, the amounts plus the returns, summed exactly and in any order, over ``count``.

    0 where ``count`` is 0. The sums are :func:`retention.core.sums.group_sums_of` of the purchases and
    the returns as two pieces, without a table-sized copy of the two put together. ``overwrite``: the
    amounts and the returns' amounts are this module's own scratch arrays, which the sums may overwrite.
    """
    pieces: list[Piece] = [(customer, amount)]
    if returns is not None and len(returns):
        pieces.append((returns.customer, returns.amount))
    total = group_sums_of(pieces, n_customers, overwrite=overwrite)
    none = count == 0
    np.divide(total, count, out=total, where=~none)
    total[none] = 0.0
    return total


def _after_first(
    customer: IntArray,
    period: IntArray,
    amount: FloatArray,
    first_period: IntArray,
    last_period: IntArray,
) -> FloatArray:
    """Per purchase, its amount when it is after its customer's first period, else 0.

    A zero adds nothing to an exact sum, so the customers' sums of these are the sums of their purchases
    after the first period, without taking those purchases out of the table (two table-sized copies).
    Block by block of rows on threads, each block writing its own rows: each purchase's period is compared
    with its customer's first as offsets from the earliest first period, in the narrowest type that holds
    them, so that the table of first periods looked up at random is a quarter of the size.
    """
    origin = int(first_period.min()) if len(first_period) else 0
    narrow = narrowest_unsigned(int(last_period.max()) - origin) if len(last_period) else None
    firsts = (
        first_period
        if narrow is None
        else np.subtract(first_period, np.int64(origin), dtype=narrow, casting="unsafe")
    )
    shift = 0 if narrow is None else origin
    out = np.zeros(len(amount), dtype=np.float64)

    def fill(lo: int, hi: int) -> None:
        own = np.subtract(period[lo:hi], np.int64(shift), dtype=firsts.dtype, casting="unsafe")
        later = take(firsts, customer[lo:hi]) != own
        np.copyto(out[lo:hi], amount[lo:hi], where=later)

    map_blocks(fill, len(customer), block=_ROW_BLOCK)
    return out


def repeat_counts(
    customer: IntArray,
    period: IntArray,
    n_customers: int,
    *,
    amount: FloatArray | None = None,
    returns: Returns | None = None,
) -> RepeatCounts:
    r"""Count repeat transactions per customer.

    Parameters
    ----------
    customer : numpy.ndarray of int64
        Per purchase, a customer code in ``0 .. n_customers - 1``; every code must occur.
    period : numpy.ndarray of int64
        Per purchase, a period code.
    n_customers : int
        Number of customer codes.
    amount : numpy.ndarray of float64 or None
        Per purchase, the amount.
    returns : Returns or None
        The customers' returns, which subtract from the spend of their period; used with ``amount``.

    Returns
    -------
    RepeatCounts
        One entry per customer code.

    Notes
    -----
    With $P_i$ the distinct periods in which customer $i$ bought, $x_i = |P_i| - 1$, the first and last
    periods are $\min P_i$ and $\max P_i$, and the monetary value is
    $(\text{net spend in the periods after } \min P_i) / x_i$: the mean spend per repeat transaction, 0
    when $x_i = 0$. Returns never make a period: a return after $\min P_i$ subtracts from the net spend
    (also in a period without a purchase), a return in the first period or before it subtracts from spend
    that is not counted, so it changes nothing. Spend is summed with
    :func:`retention.core.sums.group_sums`, exactly and independently of the order of the purchases.

    Examples
    --------
    >>> c = repeat_counts(np.array([0, 0, 0, 1, 0]), np.array([3, 3, 7, 5, 9]), 2,
    ...                   amount=np.array([1.0, 2.0, 10.0, 4.0, 20.0]))
    >>> c.frequency, c.first_period, c.last_period, c.monetary_value
    (array([2, 0]), array([3, 5]), array([9, 5]), array([15.,  0.]))

    A return of 6 in period 9 and one of 1 in the first period 3:

    >>> back = Returns(np.array([0, 0]), np.array([9, 3]), np.array([-6.0, -1.0]))
    >>> repeat_counts(np.array([0, 0, 0, 1, 0]), np.array([3, 3, 7, 5, 9]), 2,
    ...               amount=np.array([1.0, 2.0, 10.0, 4.0, 20.0]), returns=back).monetary_value
    array([12.,  0.])
    """
    customer = np.asarray(customer, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    frequency, first_period, last_period = customer_periods(customer, period, n_customers)
    frequency -= 1  # repeat transactions: the active periods after the first
    monetary: FloatArray | None = None
    if amount is not None:
        # The net spend in the periods after the first: the returns before them change nothing.
        spend = _after_first(customer, period, amount, first_period, last_period)
        counted = returns
        if returns is not None and len(returns):
            back = returns.period > first_period[returns.customer]
            counted = Returns(returns.customer[back], returns.period[back], returns.amount[back])
        # The spend and the kept returns are new arrays made here: the sums may round them in place.
        monetary = _spend_per_transaction(
            customer, spend, counted, frequency, n_customers, overwrite=True
        )
    return RepeatCounts(frequency, first_period, last_period, monetary)


def holdout_counts(
    customer: IntArray,
    period: IntArray,
    n_customers: int,
    *,
    amount: FloatArray | None = None,
    returns: Returns | None = None,
) -> HoldoutCounts:
    """Count transactions per customer in a span where not every customer buys.

    Parameters
    ----------
    customer, period, n_customers, amount
        As for :func:`repeat_counts`, except that customer codes may be missing: customers without a
        purchase in the span.
    returns : Returns or None
        The customers' returns in the span; every one subtracts from the spend (there is no first
        purchase in a holdout). Used with ``amount``.

    Returns
    -------
    HoldoutCounts
        One entry per customer code; 0 for customers without a purchase.

    Examples
    --------
    >>> c = holdout_counts(np.array([2, 2, 2]), np.array([8, 8, 9]), 3, amount=np.array([1.0, 2.0, 5.0]))
    >>> c.frequency, c.monetary_value
    (array([0, 0, 2]), array([0., 0., 4.]))
    """
    customer = np.asarray(customer, dtype=np.int64)
    mark = first_of_pair(customer, period, n_customers)
    frequency = np.bincount(customer[mark], minlength=n_customers)
    monetary: FloatArray | None = None
    if amount is not None:
        monetary = _spend_per_transaction(customer, amount, returns, frequency, n_customers)
    return HoldoutCounts(frequency, monetary)
