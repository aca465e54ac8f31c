"""The headline retention KPIs of a transaction log, in one call (what the ``retention kpis`` command prints)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.rates import PeriodCounts, ratio
from retention.frames.breakdown import breakdown, by_group, group_ranges
from retention.frames.cohorts import retention_curve_of
from retention.frames.options import BY, Frequency, declare
from retention.frames.rates import (
    period_retention_of,
    repeat_purchase_rate_of,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
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
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    order_id: Any = None,
    observation_end: object = None,
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
    of the classic retention curve at the horizons and of the repeat buyers, divided the same way. The
    counts are one :func:`numpy.bincount` by group each instead of a period table and a cohort table per
    group; the totals (orders, revenue) are the whole table's by group.
    """
    assert t.groups is not None  # only called with by=
    assert t.end_day is not None  # a table with customers has an observation end
    parts = t.split()
    k = len(parts)
    group = t.groups.codes  # per customer
    act = t.activity(freq)
    last = last_complete_period(t.end_day, freq)
    customer, period = act.customer, act.period

    def by_group_of(pairs: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(group[customer[pairs]], minlength=k)

    # The last complete period (period_counts' rules): a pair follows on from the pair before it when that
    # is the same customer's previous period.
    at_last = period == last
    follows = np.zeros(len(period), dtype=np.bool_)
    follows[1:] = (customer[1:] == customer[:-1]) & (period[1:] - period[:-1] == 1)
    end = by_group_of(at_last)
    retained = by_group_of(at_last & follows)
    start = by_group_of(period == last - 1)
    new = np.bincount(group[act.first_period == last], minlength=k)
    counts = PeriodCounts(
        customers_start=start,
        new=new,
        reactivated=end - new - retained,
        retained=retained,
        churned=start - retained,
        customers_end=end,
    )
    rates = {name: getattr(counts, name) for name in ("retention_rate", "crr", "churn_rate")}
    # A group's period table is empty when all its customers came after the last complete period.
    starts = np.array([lo for lo, _ in group_ranges(t)], dtype=np.intp)
    origin = np.minimum.reduceat(act.first_period, starts)
    # The classic retention curve at each horizon h: pairs h periods after acquisition, observed, among
    # the customers acquired at least h periods before the end (retention_curve's counts).
    age = period - np.repeat(act.first_period, act.periods_active)
    observed = period <= last
    curve = {}
    for h in _COHORT_HORIZONS:
        reached = np.bincount(group[act.first_period <= last - h], minlength=k)
        active = by_group_of(observed & (age == h))
        curve[h] = (reached, active / np.maximum(reached, 1))
    repeaters = np.bincount(group[t.repeat_buyers()], minlength=k)
    repeat_rate = np.asarray(ratio(repeaters, np.bincount(group, minlength=k)), dtype=np.float64)
    results = []
    for g, (_, part) in enumerate(parts):
        # The group's last row of period_retention (none when its table is empty): all kpis reads.
        shown = np.array([last] if origin[g] <= last else [], dtype=np.int64)
        row = slice(g, g + len(shown))
        periods = pd.DataFrame(
            {
                "customers_end": end[row],
                "new": new[row],
                **{name: value[row] for name, value in rates.items()},
            },
            index=period_index(shown, freq, name="period"),
        )
        ages = [h for h in _COHORT_HORIZONS if curve[h][0][g] > 0]
        retention = pd.DataFrame(
            {"retention": [curve[h][1][g] for h in ages]}, index=pd.Index(ages, dtype=np.int64)
        )
        revenue = part.revenue() if part.has_amounts else None  # first: it counts the orders too
        results.append(
            kpis_from_parts(
                periods,
                retention,
                float(repeat_rate[g]),
                n_orders=part.n_rows,
                n_customers=part.n_customers,
                revenue=revenue,
                observation_end=t.observation_end,
                freq=freq,
            )
        )
    result = by_group(results, t.groups.labels, name="kpis")
    assert isinstance(result, pd.Series)  # a Series per group gives a Series
    return result


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

    def at_age(k: int) -> float:
        return float(curve["retention"].get(k, np.nan)) if len(curve) else np.nan

    values: dict[str, float] = {
        "customers": float(n_customers),
        "active_customers": float(last["customers_end"]) if last is not None else np.nan,
        "new_customers": float(last["new"]) if last is not None else np.nan,
        "retention_rate": float(last["retention_rate"]) if last is not None else np.nan,
        "crr": float(last["crr"]) if last is not None else np.nan,
        "churn_rate": float(last["churn_rate"]) if last is not None else np.nan,
        "repeat_purchase_rate": repeat_rate,
        "purchase_frequency": ratio(n_orders, n_customers),
        "average_order_value": ratio(revenue, n_orders) if revenue is not None else np.nan,
        "revenue_per_customer": ratio(revenue, n_customers) if revenue is not None else np.nan,
    }
    for k in _COHORT_HORIZONS:
        values[f"cohort_retention_{k}"] = at_age(k)
    result = pd.Series(values, dtype=float, name="value").rename_axis("kpi")
    result.attrs.update(
        {
            "observation_end": str(observation_end.date()) if observation_end is not None else "",
            "freq": freq,
            "period": str(periods.index[-1]) if len(periods) else "",
        }
    )
    return result
