"""Period retention and purchase statistics of a transaction table.

A thin adapter: each function reads the table once with
:func:`~retention.frames.schema.read_transactions`, hands arrays to
:mod:`retention.core.rates` and labels the result. Definitions and a worked example are on the
"Retention rates" page of the docs (``docs/definitions/rates.md``).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.activity import Activity
from retention.core.rates import (
    PeriodCounts,
    period_counts,
    ratio,
    second_purchase_summary,
)
from retention.frames.breakdown import breakdown
from retention.frames.options import BY, Frequency, Given, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Transactions,
    last_complete_period,
    period_index,
    transaction_options,
)

__all__ = [
    "average_order_value",
    "period_retention",
    "purchase_frequency",
    "repeat_purchase_rate",
    "time_to_second_purchase",
]

_PERIOD_RETENTION: Final = declare("period_retention", freq=Frequency(), by=BY)
declare("average_order_value", by=BY)
declare("purchase_frequency", by=BY)
declare("repeat_purchase_rate", by=BY)
declare("time_to_second_purchase", by=BY)
# rt.crr is the core function itself (numbers in, numbers out): it checks its counts where it reads them.
_COUNTS: Final = Given("customer counts (numbers or arrays), checked by core.rates.crr")
declare("crr", customers_start=_COUNTS, customers_end=_COUNTS, new_customers=_COUNTS)

_COUNT_COLUMNS: Final = (
    "customers_start",
    "new",
    "reactivated",
    "retained",
    "churned",
    "customers_end",
)
_RATE_COLUMNS: Final = ("retention_rate", "crr", "churn_rate")

_SECOND_PURCHASE_INDEX: Final = (
    "customers",
    "returned",
    "share_returned",
    "mean_days",
    "q25_days",
    "median_days",
    "q75_days",
)


def _activity(t: Transactions, freq: str) -> Activity:
    """Distinct (customer, period) pairs; with ``freq="D"``, each customer's distinct purchase days."""
    return t.activity(freq)


@transaction_options
def period_retention(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> pd.DataFrame:
    r"""Count starting, new, reactivated, retained and churned customers, and their rates, per period.

    A customer is *active* in a period when they made at least one purchase in it. Every period is
    compared with the one before it.

    Parameters
    ----------
    <transaction table>
    freq : {"M", "D", "W", "Q", "Y"}, default "M"
        The period length (pandas aliases such as ``"ME"`` are accepted). Weeks run Monday to Sunday.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index: a ``PeriodIndex`` named ``"period"`` with every complete period from the first period
        with a purchase to the last complete one, including periods without any purchase. Columns:
        ``customers_start``, ``new``, ``reactivated``, ``retained``, ``churned``, ``customers_end``
        (int64) and ``retention_rate``, ``crr``, ``churn_rate`` (float64, NaN where
        ``customers_start`` is 0, as in the first period). An empty table, or one whose purchases all
        fall in the incomplete last period, gives a frame with these columns and no rows.

    Raises
    ------
    InvalidParameterError
        If ``freq`` or ``observation_end`` is not accepted.
    <reading errors>

    See Also
    --------
    retention.retention_rate : The CRR formula on counts.
    retention.cohort_table : Retention by acquisition cohort.

    Notes
    -----
    For period $t$, with $A_t$ the customers active in $t$:

    - ``customers_start`` $S_t = |A_{t-1}|$, ``customers_end`` $E_t = |A_t|$;
    - ``new`` $N_t$: customers whose first purchase ever falls in $t$;
    - ``retained`` $R_t = |A_t \cap A_{t-1}|$; ``churned`` $C_t = |A_{t-1} \setminus A_t|$;
    - ``reactivated`` $V_t$: active in $t$, not in $t - 1$, and not new.

    So $E_t = N_t + R_t + V_t$, $S_t = R_t + C_t$ and $S_t = E_{t-1}$. The rates are
    ``retention_rate`` $= R_t / S_t$, ``churn_rate`` $= C_t / S_t$ (they add up to 1) and
    ``crr`` $= (E_t - N_t) / S_t = (R_t + V_t) / S_t$, the customer retention rate, which also
    counts reactivated customers as retained and can therefore exceed 1.

    The period that contains the observation end is complete only if the observation end is its
    last day. An incomplete last period would show too few active customers and too much churn, so
    it is left out; with the default observation end (the last purchase day) this is usually the
    period of the last purchase.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["A", "B", "C", "A", "D", "A", "B", "E"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-01-31", "2024-02-10",
    ...                             "2024-02-01", "2024-03-15", "2024-03-02", "2024-03-28"]),
    ... })
    >>> table = rt.period_retention(tx, observation_end="2024-03-31")
    >>> table.iloc[:, :6]
             customers_start  new  reactivated  retained  churned  customers_end
    period
    2024-01                0    3            0         0        0              3
    2024-02                3    1            0         1        2              2
    2024-03                2    1            1         1        1              3
    >>> table[["retention_rate", "crr", "churn_rate"]].round(3)
             retention_rate    crr  churn_rate
    period
    2024-01             NaN    NaN         NaN
    2024-02           0.333  0.333       0.667
    2024-03           0.500  1.000       0.500

    Without ``observation_end`` the data end on 28 March, so March is incomplete and left out:

    >>> rt.period_retention(tx).index
    PeriodIndex(['2024-01', '2024-02'], dtype='period[M]', name='period')
    """
    func = "period_retention"
    freq = _PERIOD_RETENTION.check("freq", freq)
    t = read_with_options(tx, locals(), func=func, customer_order=False)
    return breakdown(t, lambda part: period_retention_of(part, freq), name=func)


def period_retention_of(t: Transactions, freq: str) -> pd.DataFrame:
    """:func:`period_retention` of a table already read (``freq`` already checked)."""
    first, counts = period_counts_of(t, freq)
    return period_retention_from_counts(counts, first, freq)


def period_counts_of(t: Transactions, freq: str) -> tuple[int, PeriodCounts]:
    """Count a table's customers per period, from its first active period to the last complete one.

    Returns the code of the first period and the counts (empty when no period is complete).
    """
    act = _activity(t, freq)
    if len(act.period) and t.end_day is not None:
        first = int(act.period.min())
        last = max(last_complete_period(t.end_day, freq), first - 1)
    else:
        first, last = 0, -1
    return first, period_counts(act, first, last)


def period_retention_from_counts(counts: PeriodCounts, first: int, freq: str) -> pd.DataFrame:
    """Label period counts starting at period code ``first`` as :func:`period_retention` does."""
    columns: dict[str, np.ndarray[Any, Any]] = {
        name: getattr(counts, name).astype(np.int64, copy=False) for name in _COUNT_COLUMNS
    }
    columns.update({name: getattr(counts, name) for name in _RATE_COLUMNS})
    periods = np.arange(first, first + len(counts.new), dtype=np.int64)
    return pd.DataFrame(columns, index=period_index(periods, freq, name="period"))


@transaction_options
def repeat_purchase_rate(
    tx: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> float | pd.Series:
    r"""Compute the share of customers who bought on two or more distinct days.

    Parameters
    ----------
    <transaction table>
    <transaction options>

    Returns
    -------
    float or pandas.Series
        A share in $[0, 1]$; NaN for a table without purchases. With ``by``, a Series of them indexed by
        group.

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date.
    <reading errors>

    See Also
    --------
    time_to_second_purchase : How long the repeat buyers took to come back.

    Notes
    -----
    $$\text{repeat purchase rate} = \frac{|\{c : d_c \ge 2\}|}{|\{c\}|},$$

    with $d_c$ the number of distinct calendar days on which customer $c$ bought. Several purchases
    on one day count as one visit, so they do not make a repeat buyer.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-03", "2024-01-03",
    ...                             "2024-01-04"]),
    ... })
    >>> rt.repeat_purchase_rate(tx)  # customer 2's two purchases fall on one day: one visit
    0.3333333333333333
    """
    t = read_with_options(tx, locals(), func="repeat_purchase_rate", customer_order=False)
    return breakdown(t, repeat_purchase_rate_of, name="repeat_purchase_rate")


def repeat_purchase_rate_of(t: Transactions) -> float:
    """:func:`repeat_purchase_rate` of a table already read."""
    return ratio(int(np.count_nonzero(t.repeat_buyers())), t.n_customers)


@transaction_options
def purchase_frequency(
    tx: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> float | pd.Series:
    r"""Compute the number of orders per customer.

    Parameters
    ----------
    <transaction table>
    <transaction options>

    Returns
    -------
    float or pandas.Series
        At least 1; NaN for a table without purchases. With ``by``, a Series of them indexed by group.

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date.
    <reading errors>

    See Also
    --------
    average_order_value : Amount per purchase.
    repeat_purchase_rate : Share of customers who came back on another day.

    Notes
    -----
    $$\text{purchase frequency} = \frac{\text{orders}}{\text{customers}},$$

    where an order is a row, or one (customer, order id) with ``order_id``: two identical rows
    without ``order_id`` count as two orders (pass ``order_id`` for a log of order lines). A row or
    order with a negative amount is a return, not an order; a customer who only returned goods is
    not a customer.

    Examples
    --------
    A log of order lines: customer 1's order ``a`` has two lines.

    >>> import retention as rt
    >>> lines = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "order_id": ["a", "a", "b", "c"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-09", "2024-01-03"]),
    ... })
    >>> rt.purchase_frequency(lines)  # every row counts as an order
    2.0
    >>> rt.purchase_frequency(lines, order_id="order_id")  # orders a, b and c of 2 customers
    1.5
    """
    t = read_with_options(tx, locals(), func="purchase_frequency", customer_order=False)
    return breakdown(t, purchase_frequency_of, name="purchase_frequency")


def purchase_frequency_of(t: Transactions) -> float:
    """:func:`purchase_frequency` of a table already read."""
    return ratio(t.n_rows, t.n_customers)


@transaction_options
def average_order_value(
    tx: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> float | pd.Series:
    r"""Compute the average amount per purchase (average order value, AOV).

    Parameters
    ----------
    <transaction table>
    <transaction options>

    Returns
    -------
    float or pandas.Series
        NaN for a table without purchases. With ``by``, a Series of them indexed by group.

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date.
    <reading errors>
        Missing or infinite amounts are unusable values.

    See Also
    --------
    purchase_frequency : Purchases per customer.

    Notes
    -----
    $$\text{AOV} = \frac{\text{revenue}}{\text{orders}},$$

    with revenue the sum of the amounts of the orders *net of returns* (a return subtracts its
    amount but is not an order) and orders counted as in :func:`purchase_frequency`. So
    ``average_order_value * purchase_frequency`` is the revenue per customer. With
    ``returns="drop"`` returns are ignored and the result is gross. The sum is exact
    (:func:`retention.core.sums.group_sums`), so row order never changes the result.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-03", "2024-01-03"]),
    ...     "amount": [30.0, 50.0, 60.0, -20.0],
    ... })
    >>> rt.average_order_value(tx)  # (30 + 50 + 60 - 20) over 3 orders
    40.0
    >>> rt.average_order_value(tx, returns="drop")
    46.666666666666664
    """
    t = read_with_options(
        tx, locals(), func="average_order_value", amount_required=True, customer_order=False
    )
    return breakdown(t, average_order_value_of, name="average_order_value")


def average_order_value_of(t: Transactions) -> float:
    """:func:`average_order_value` of a table read with its amounts: revenue net of returns per order."""
    if not t.has_amounts:
        return np.nan
    return ratio(t.revenue(), t.n_rows)


@transaction_options
def time_to_second_purchase(
    tx: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
) -> pd.Series:
    r"""Summarise how many customers came back for a second purchase day, and after how long.

    Parameters
    ----------
    <transaction table>
    <transaction options>

    Returns
    -------
    pandas.Series of float64
        Named ``"time_to_second_purchase"``, with an index named ``"statistic"``:

        - ``customers``: customers with a purchase;
        - ``returned``: customers who bought again on a later calendar day;
        - ``share_returned``: ``returned / customers`` (NaN without customers);
        - ``mean_days``, ``q25_days``, ``median_days``, ``q75_days``: the mean and quartiles of the
          days from the first to the second purchase day, over the customers who returned (NaN if
          none did).

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date.
    <reading errors>

    See Also
    --------
    repeat_purchase_rate : The same share of returning customers, as one number.

    Notes
    -----
    A customer's second purchase is their first purchase on a calendar day after their first
    purchase day; more purchases on the first day do not count. For a customer who returned,

    $$g_c = \text{second purchase day}_c - \text{first purchase day}_c \quad (\text{days} \ge 1),$$

    and the statistics are the mean and the 25 %, 50 % and 75 % quantiles of $g_c$ (linear
    interpolation) *among the customers who returned*. The data are right-censored: a customer
    who first bought shortly before the observation end may still come back later. So
    ``share_returned`` is a lower bound of the share that will eventually return, and the
    statistics of the days lean towards short gaps; use
    :func:`retention.survival_curve` for an estimate that accounts for censoring.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-03", "2024-01-03",
    ...                             "2024-01-04", "2024-01-08"]),
    ... })
    >>> rt.time_to_second_purchase(tx)
    statistic
    customers         3.000000
    returned          2.000000
    share_returned    0.666667
    mean_days         6.000000
    q25_days          5.000000
    median_days       6.000000
    q75_days          7.000000
    Name: time_to_second_purchase, dtype: float64
    """
    t = read_with_options(tx, locals(), func="time_to_second_purchase", customer_order=False)
    return breakdown(t, _second_purchase, name="time_to_second_purchase")


def _second_purchase(t: Transactions) -> pd.Series:
    return second_purchase_series(second_purchase_summary(_activity(t, "D")))


def second_purchase_series(summary: NDArray[np.float64]) -> pd.Series:
    """Label the seven numbers of the core's summary as :func:`time_to_second_purchase` does."""
    index = pd.Index(_SECOND_PURCHASE_INDEX, name="statistic")
    return pd.Series(summary, index=index, name="time_to_second_purchase")
