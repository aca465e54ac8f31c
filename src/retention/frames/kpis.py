"""The headline retention KPIs of a transaction log, in one call (what the ``retention kpis`` command prints)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from retention.frames.cohorts import retention_curve_of
from retention.frames.rates import (
    average_order_value_of,
    period_retention_of,
    purchase_frequency_of,
    repeat_purchase_rate_of,
)
from retention.frames.schema import check_freq, read_transactions

__all__ = ["KPI_NAMES", "kpis"]

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


def kpis(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    customer_id: Any = "customer_id",
    date: Any = "date",
    amount: Any = "amount",
    observation_end: object = None,
) -> pd.Series:
    """Compute the headline retention KPIs of a transaction log.

    Parameters
    ----------
    tx : pandas.DataFrame
        One row per purchase. Not modified.
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        The period of the period KPIs and of the cohort retention horizons.
    customer_id, date : column label
        The customer id and purchase date columns.
    amount : column label or None, default "amount"
        The amount column; with None the money KPIs are NaN.
    observation_end : date-like, optional
        The last day observed (inclusive); defaults to the day of the last purchase.

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
        - ``revenue_per_customer``: total amount / customers;
        - ``cohort_retention_1``, ``cohort_retention_3``, ``cohort_retention_12``: the classic retention
          curve (:func:`retention_curve`) 1, 3 and 12 periods after acquisition; NaN when no cohort has
          reached that age yet.

        ``Series.attrs`` holds ``observation_end``, ``freq`` and ``period`` (the last complete period).

    Raises
    ------
    ColumnNotFoundError, ColumnTypeError, InvalidValueError, InvalidParameterError
        For a table or option that cannot be used (see :func:`period_retention`).

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
    freq = check_freq(freq, func)
    # The table is read and checked once; every KPI is computed from the same arrays.
    t = read_transactions(
        tx,
        customer_id=customer_id,
        date=date,
        amount=amount,
        observation_end=observation_end,
        func=func,
    )
    periods = period_retention_of(t, freq)
    last = periods.iloc[-1] if len(periods) else None
    curve = retention_curve_of(t, freq, "classic")

    def at_age(k: int) -> float:
        return float(curve["retention"].get(k, np.nan)) if len(curve) else np.nan

    values: dict[str, float] = {
        "customers": float(t.n_customers),
        "active_customers": float(last["customers_end"]) if last is not None else np.nan,
        "new_customers": float(last["new"]) if last is not None else np.nan,
        "retention_rate": float(last["retention_rate"]) if last is not None else np.nan,
        "crr": float(last["crr"]) if last is not None else np.nan,
        "churn_rate": float(last["churn_rate"]) if last is not None else np.nan,
        "repeat_purchase_rate": repeat_purchase_rate_of(t),
        "purchase_frequency": purchase_frequency_of(t),
        "average_order_value": average_order_value_of(t) if amount is not None else np.nan,
        "revenue_per_customer": (
            float(t.amount.sum()) / t.n_customers
            if t.amount is not None and t.n_customers
            else np.nan
        ),
    }
    for k in _COHORT_HORIZONS:
        values[f"cohort_retention_{k}"] = at_age(k)
    result = pd.Series(values, dtype=float, name="value").rename_axis("kpi")
    result.attrs.update(
        {
            "observation_end": str(t.observation_end.date())
            if t.observation_end is not None
            else "",
            "freq": freq,
            "period": str(periods.index[-1]) if len(periods) else "",
        }
    )
    return result
