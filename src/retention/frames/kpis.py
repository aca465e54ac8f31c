"""The headline retention KPIs of a transaction log, in one call (what the ``retention kpis`` command prints)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.rates import PeriodCounts, ratio
from retention.frames.breakdown import breakdown, by_group_rows, group_ranges
from retention.frames.cohorts import retention_curve_of
from retention.frames.options import BY, Frequency, declare
from retention.frames.rates import (
    period_retention_of,
    repeat_purchase_rate_of,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Transactions,
    last_complete_period,
    period_index,
    transaction_options,
)

__all__ = ["KPI_NAMES", "kpis"]

_KPIS: Final = declare("kpis", freq=Frequency(), by=BY)

KPI_NAMES: Final = (
    "customers",
    "active_customers",
    "new_customers",
    "retention_rate",
    "crr",
    "churn_rate",
    "repeat_purchase_rate",
    "purchase_frequency",
    "average_order_value",
    "revenue_per_customer",
    "cohort_retention_1",
    "cohort_retention_3",
    "cohort_retention_12",
)
"""The KPIs :func:`kpis` returns, in order."""

_COHORT_HORIZONS: Final = (1, 3, 12)


@transaction_options
def kpis(
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
) -> pd.Series:
    """Compute the headline retention KPIs of a transaction log.

    Parameters
    ----------
    <transaction table>
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        The period of the period KPIs and of the cohort retention horizons.
    <transaction options>

    Returns
    -------
    pandas.Series
        Float values indexed by KPI name (index named ``"kpi"``), in this order:

        - ``customers``: customers with a purchase up to the observation end;
        - ``active_customers``, ``new_customers``: customers active, and acquired, in the last complete
          period;
        - ``retention_rate``, ``crr``, ``churn_rate``: of the last complete period (see
          :func:`period_retention`);
        - ``repeat_purchase_rate``, ``purchase_frequency``, ``average_order_value``: see those functions;
        - ``revenue_per_customer``: revenue net of returns / customers;
        - ``cohort_retention_1``, ``cohort_retention_3``, ``cohort_retention_12``: the classic retention
          curve (:func:`retention_curve`) 1, 3 and 12 periods after acquisition; NaN when no cohort has
          reached that age yet.

        ``Series.attrs`` holds ``observation_end``, ``freq`` and ``period`` (the last complete period).
        Without an amount column the money KPIs are NaN. With ``by``, the groups are the outer index
        level(s) and ``kpi`` the inner one.

    Warns
    -----
    RetentionWarning
        When no ``order_id`` is given and most rows share their customer and exact timestamp with
        another row: that is what a log of order *lines* looks like, where every line would count as
        an order. Pass ``order_id=`` (``--order-id`` on the command line).

    Raises
    ------
    InvalidParameterError
        If an option is not accepted (see :func:`period_retention`).
    <reading errors>

    See Also
    --------
    period_retention, retention_curve, repeat_purchase_rate

    Examples
    --------
    >>> import retention as rt
    >>> k = rt.kpis(rt.example_transactions())
    >>> k.attrs["period"]
    '2024-12'
    >>> k[["customers", "active_customers", "crr", "churn_rate"]].round(3)
    kpi
    customers           3000.000
    active_customers     347.000
    crr                    0.664
    churn_rate             0.733
    Name: value, dtype: float64
    """
    func = "kpis"
    freq = _KPIS.check("freq", freq)
    # The table is read and checked once; every KPI is computed from the same arrays.
    t = read_with_options(tx, locals(), func=func, warn_line_items=True, customer_order=False)
    if t.groups is not None and t.n_customers:
        return _kpis_by_group(t, freq)
    result = breakdown(t, lambda part: _kpis_of(part, freq), name=func)
    assert isinstance(result, pd.Series)  # _kpis_of returns a Series
    return result


def _kpis_of(t: Transactions, freq: str) -> pd.Series:
    """:func:`kpis` of a table already read."""
    return kpis_from_parts(
        period_retention_of(t, freq),
        retention_curve_of(t, freq, "classic"),
        repeat_purchase_rate_of(t),
        n_orders=t.n_rows,
        n_customers=t.n_customers,
        revenue=t.revenue() if t.has_amounts else None,
        observation_end=t.observation_end,
        freq=freq,
    )


def _kpis_by_group(t: Transactions, freq: str) -> pd.Series:
    """:func:`kpis` of every group of a table read with ``by``, counted in one pass over the whole table.

    Each group's numbers are those :func:`_kpis_of` gives on the group's part alone, to the last bit: the
    same integer counts of the last complete period (:func:`~retention.core.rates.period_counts` there),
    of the classic retention curve at the horizons and of the repeat buyers, divided the same way
    (:func:`_kpi_rows`). Customers are coded group by group, so each group's customers, and their
    (customer, period) pairs, are one range: a count by group is a count in each range, found by a
    binary search of the range bounds among the positions counted, instead of a period table and a
    cohort table per group; the totals (orders, revenue) are the whole table's by group.
    """
    assert t.groups is not None  # only called with by=
    assert t.end_day is not None  # a table with customers has an observation end
    parts = t.split()
    bounds = np.array([0] + [hi for _, hi in group_ranges(t)], dtype=np.int64)
    act = t.activity(freq)
    pair_bounds = act.start[bounds]  # each group's pairs
    last = last_complete_period(t.end_day, freq)
    customer, period = act.customer, act.period

    def per_group(mask: NDArray[np.bool_], edges: NDArray[np.int64]) -> NDArray[np.int64]:
        """How many positions of ``mask`` are set in each group's range ``edges[g]:edges[g + 1]``."""
        return np.diff(np.searchsorted(np.flatnonzero(mask), edges)).astype(np.int64)

    # The last complete period (period_counts' rules): a pair follows on from the pair before it when that
    # is the same customer's previous period.
    at_last = period == last
    follows = np.zeros(len(period), dtype=np.bool_)
    follows[1:] = (customer[1:] == customer[:-1]) & (period[1:] - period[:-1] == 1)
    end = per_group(at_last, pair_bounds)
    retained = per_group(at_last & follows, pair_bounds)
    start = per_group(period == last - 1, pair_bounds)
    new = per_group(act.first_period == last, bounds)
    counts = PeriodCounts(
        customers_start=start,
        new=new,
        reactivated=end - new - retained,
        retained=retained,
        churned=start - retained,
        customers_end=end,
    )
    # A group's period table is empty when all its customers came after the last complete period.
    origin = np.minimum.reduceat(act.first_period, bounds[:-1])
    has_period = origin <= last

    def in_period(values: NDArray[Any]) -> NDArray[np.float64]:
        return np.where(has_period, np.asarray(values, dtype=np.float64), np.nan)

    # The classic retention curve at each horizon h: pairs h periods after acquisition, observed, among
    # the customers acquired at least h periods before the end (retention_curve's counts).
    age = period - np.repeat(act.first_period, act.periods_active)
    observed = period <= last
    curve = []
    for h in _COHORT_HORIZONS:
        reached = per_group(act.first_period <= last - h, bounds)
        active = per_group(observed & (age == h), pair_bounds)
        curve.append(np.where(reached > 0, active / np.maximum(reached, 1), np.nan))
    n_customers = np.diff(bounds)
    repeaters = per_group(t.repeat_buyers(), bounds)
    # The revenue first: it counts the orders by group too.
    revenue = np.array([part.revenue() for _, part in parts]) if t.has_amounts else None
    rows = _kpi_rows(
        n_customers=n_customers,
        active=in_period(end),
        new=in_period(new),
        retention_rate=in_period(counts.retention_rate),
        crr=in_period(counts.crr),
        churn_rate=in_period(counts.churn_rate),
        repeat_rate=np.asarray(ratio(repeaters, n_customers), dtype=np.float64),
        n_orders=np.array([part.n_rows for _, part in parts], dtype=np.int64),
        revenue=revenue,
        curve=curve,
    )
    k = len(parts)
    values = pd.Series(
        rows.ravel(), index=pd.Index(list(KPI_NAMES) * k, name="kpi"), name="value", dtype=float
    )
    result = by_group_rows(values, t.groups.labels, [len(KPI_NAMES)] * k)
    # The attributes as by_group merges the groups' (breakdown.group_attrs): the last complete period
    # when any group has one.
    shown = [last] if has_period.any() else []
    result.attrs.update(
        _kpi_attrs(t.observation_end, freq, period_index(np.array(shown, dtype=np.int64), freq))
    )
    assert isinstance(result, pd.Series)
    return result


def _kpi_rows(
    *,
    n_customers: NDArray[np.int64],
    active: NDArray[np.float64],
    new: NDArray[np.float64],
    retention_rate: NDArray[np.float64],
    crr: NDArray[np.float64],
    churn_rate: NDArray[np.float64],
    repeat_rate: NDArray[np.float64],
    n_orders: NDArray[np.int64],
    revenue: NDArray[np.float64] | None,
    curve: list[NDArray[np.float64]],
) -> NDArray[np.float64]:
    """Per table (a row), its KPIs in the order of :data:`KPI_NAMES`, from one value per table of each part.

    The period values are NaN for a table without a complete period, ``curve`` holds the retention at
    each of ``_COHORT_HORIZONS`` (NaN where no cohort reached it), ``revenue`` is None for tables read
    without amounts. The one computation of the KPIs from their parts, for one table or for many groups.
    """
    nan = np.full(len(n_customers), np.nan)
    columns = [
        np.asarray(n_customers, dtype=np.float64),
        active,
        new,
        retention_rate,
        crr,
        churn_rate,
        repeat_rate,
        np.asarray(ratio(n_orders, n_customers), dtype=np.float64),
        np.asarray(ratio(revenue, n_orders), dtype=np.float64) if revenue is not None else nan,
        np.asarray(ratio(revenue, n_customers), dtype=np.float64) if revenue is not None else nan,
        *curve,
    ]
    return np.stack(columns, axis=1)


def _kpi_attrs(
    observation_end: pd.Timestamp | None, freq: str, periods: pd.PeriodIndex | pd.Index
) -> dict[str, str]:
    """Return the ``attrs`` of a KPI Series: the observation end, the period, the last complete one."""
    return {
        "observation_end": str(observation_end.date()) if observation_end is not None else "",
        "freq": freq,
        "period": str(periods[-1]) if len(periods) else "",
    }


def kpis_from_parts(
    periods: pd.DataFrame,
    curve: pd.DataFrame,
    repeat_rate: float,
    *,
    n_orders: int,
    n_customers: int,
    revenue: float | None,
    observation_end: pd.Timestamp | None,
    freq: str,
) -> pd.Series:
    """:func:`kpis` from the period retention, the retention curve and the totals of a table.

    ``revenue`` is None for a table read without amounts. A table split into parts (the partitions of a
    cluster) gives the same Series from its parts' added counts.
    """
    last = periods.iloc[-1] if len(periods) else None

    def at_last(column: str) -> NDArray[np.float64]:
        return np.array([float(last[column]) if last is not None else np.nan])

    def at_age(k: int) -> NDArray[np.float64]:
        return np.array([float(curve["retention"].get(k, np.nan)) if len(curve) else np.nan])

    rows = _kpi_rows(
        n_customers=np.array([n_customers], dtype=np.int64),
        active=at_last("customers_end"),
        new=at_last("new"),
        retention_rate=at_last("retention_rate"),
        crr=at_last("crr"),
        churn_rate=at_last("churn_rate"),
        repeat_rate=np.array([repeat_rate], dtype=np.float64),
        n_orders=np.array([n_orders], dtype=np.int64),
        revenue=np.array([revenue], dtype=np.float64) if revenue is not None else None,
        curve=[at_age(k) for k in _COHORT_HORIZONS],
    )
    result = pd.Series(rows[0], index=pd.Index(KPI_NAMES, name="kpi"), name="value", dtype=float)
    result.attrs.update(_kpi_attrs(observation_end, freq, periods.index))
    return result
