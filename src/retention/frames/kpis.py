"""The headline retention KPIs of a transaction log, in one call (what the ``retention kpis`` command prints)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from retention.core.rates import ratio
from retention.frames.breakdown import breakdown
from retention.frames.cohorts import retention_curve_of
from retention.frames.rates import (
    average_order_value_of,
    period_retention_of,
    purchase_frequency_of,
    repeat_purchase_rate_of,
)
from retention.frames.schema import (
    Transactions,
    check_freq,
    read_transactions,
    transaction_options,
)

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
    tx : pandas.DataFrame
        One row per purchase, or per order line with ``order_id``. Not modified.
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
        order_id=order_id,
        observation_end=observation_end,
        returns=returns,
        by=by,
        warn_line_items=True,
        func=func,
    )
    result = breakdown(t, lambda part: _kpis_of(part, freq), name=func)
    assert isinstance(result, pd.Series)  # _kpis_of returns a Series
    return result


def _kpis_of(t: Transactions, freq: str) -> pd.Series:
    """:func:`kpis` of a table already read."""
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
        "average_order_value": average_order_value_of(t),
        "revenue_per_customer": (ratio(t.revenue(), t.n_customers) if t.has_amounts else np.nan),
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
