"""The per-customer RFM summary that every customer-base model reads.

A thin adapter: :func:`rfm_summary` reads the table once with
:func:`~retention.frames.schema.read_transactions`, counts with :mod:`retention.core.clv.summary` and turns
period codes into times in the chosen unit. Definitions, and where they differ from the ``lifetimes``
package, are on the "Lifetime value" page of the docs.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.clv.summary import Returns, holdout_counts, repeat_counts
from retention.frames.options import Frequency, Given, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    PERIOD_DAYS,
    DateLike,
    Transactions,
    day_period_codes,
    period_codes,
    period_start_days,
    read_cutoff,
    transaction_options,
)

__all__ = ["rfm_summary"]

_FUNC: Final = "rfm_summary"
_RFM_SUMMARY: Final = declare(
    "rfm_summary",
    freq=Frequency(),
    time_unit=Frequency(none=True),
    calibration_end=Given("a date, read by schema.read_cutoff"),
)
# Mean lengths in days, for times measured in a unit that is not a whole number of the periods.
_MONTHS: Final = {"M": 1, "Q": 3, "Y": 12}
_COLUMNS: Final = ("frequency", "recency", "T")
_MONEY: Final = ("monetary_value",)
_HOLDOUT: Final = ("frequency_holdout", "duration_holdout")
_HOLDOUT_MONEY: Final = ("monetary_value_holdout",)


def _elapsed(
    start: NDArray[np.int64], stop: NDArray[np.int64], freq: str, unit: str
) -> NDArray[np.float64]:
    """Time from the start of period ``start`` to the start of period ``stop``, in ``unit``."""
    if freq in _MONTHS and unit in _MONTHS:
        # Calendar months are exact: 3 months are 1 quarter whatever their days.
        return ((stop - start) * _MONTHS[freq] / _MONTHS[unit]).astype(np.float64)
    if freq != "D":
        start, stop = period_start_days(start, freq), period_start_days(stop, freq)
    # Whole days, exact in float64; subtracting in integers straight into the float output saves a pass.
    days = np.empty(np.broadcast_shapes(start.shape, stop.shape), dtype=np.float64)
    np.subtract(stop, start, out=days, casting="unsafe")
    days /= PERIOD_DAYS[unit]
    return days


def _day_period(day: int, freq: str) -> NDArray[np.int64]:
    return period_codes(np.array([day], dtype="datetime64[D]"), freq)


@transaction_options
def rfm_summary(
    tx: pd.DataFrame,
    *,
    freq: str = "D",
    time_unit: str | None = None,
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    returns: str = "net",
) -> pd.DataFrame:
    r"""Summarise each customer's purchases as frequency, recency, age and mean spend.

    The input of the customer-base models (:class:`~retention.BetaGeo` and the others): one row per
    customer with the same meaning as ``lifetimes.utils.summary_data_from_transaction_data``, so that
    code and results carry over.

    Parameters
    ----------
    <transaction table>
    freq : {"D", "W", "M", "Q", "Y"}, default "D"
        The period within which purchases are merged into one transaction (pandas aliases are accepted).
        Weeks run Monday to Sunday.
    time_unit : {"D", "W", "M", "Q", "Y"} or None, default None
        The unit of ``recency``, ``T`` and ``duration_holdout``; defaults to ``freq``. ``freq="D",
        time_unit="W"`` merges purchases by day and measures times in weeks (days / 7), as in the papers.
    calibration_end : date-like, optional
        Split the data: the summary describes purchases up to this day (inclusive), with ``T`` measured
        to it, and the holdout columns describe the purchases after it, up to the observation end.
        Customers whose first purchase is after it are left out. It must be on or after the first purchase
        and before the observation end.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index: the customer ids in sorted order, named like the ``customer_id`` column. Columns:

        - ``frequency`` (int64): repeat transactions, the distinct periods with a purchase after the
          first one;
        - ``recency`` (float64): time from the first to the last transaction (0 without repeats);
        - ``T`` (float64): time from the first transaction to the observation (or calibration) end;
        - ``monetary_value`` (float64, when an amount column is read): the mean net spend per repeat
          transaction (see Notes); 0 where ``frequency`` is 0;
        - with ``calibration_end``: ``frequency_holdout`` (int64, distinct periods with a purchase after
          the calibration end), ``monetary_value_holdout`` (float64, when an amount column is read: the
          net spend of the holdout per holdout transaction, 0 without any) and ``duration_holdout``
          (float64, the length of the holdout span).

        An empty table gives these columns and no rows. ``recency`` and ``frequency`` are the models'
        measures (Fader, Hardie & Lee 2005), not the RFM ones of :func:`~retention.rfm_scores`, whose
        ``recency`` is the time from the last purchase to the observation end (``T - recency`` here) and
        whose ``frequency`` counts all orders (here: repeat purchases).

    Raises
    ------
    InvalidParameterError
        If ``freq``, ``time_unit``, ``observation_end``, ``calibration_end`` or ``returns`` is not
        accepted, including a calibration end outside the data.
    <reading errors>

    See Also
    --------
    retention.BetaGeo : The BG/NBD model, fitted to this summary.
    retention.GammaGamma : The spend model, fitted to ``frequency`` and ``monetary_value``.

    Notes
    -----
    Times are measured between the starts of periods, as in ``lifetimes``: with $p_1$ the first period
    with a purchase, $p_x$ the last and $p_E$ the period holding the observation end,
    ``recency`` $= p_x - p_1$ and ``T`` $= p_E - p_1$, converted to ``time_unit``. When the unit is the
    period, or both are calendar months, quarters or years, the conversion is exact (whole months); when
    it is finer it is exact too (days, or weeks of 7 days); otherwise day counts are divided by the mean
    length of the unit (30.436875 days for a month, 365.2425 for a year).

    ``duration_holdout`` $= p_E - p_C$ with $p_C$ the period holding the calibration end. With periods
    longer than a day, a period that spans the calibration end counts in both parts if the customer bought
    in both.

    **Orders and returns.** Transactions are periods with a purchase, so several orders (or order lines)
    in one period are one transaction, with or without ``order_id``; with it, an order's day is the
    earliest day of its rows and its amount the sum of its rows. A return (an order of negative amount)
    is never a transaction: it makes no period active, is never a first purchase and a customer with
    returns only is not in the summary; the default observation end is the last *purchase* day. Returns
    subtract from the spend of the period in which they happen, so that customer $i$'s
    ``monetary_value`` is

    $$
    m_i = \frac{1}{x_i} \Big( \sum_{j:\, p(j) > p_1} a_{ij} + \sum_{k:\, p(k) > p_1} r_{ik} \Big),
    $$

    with $a_{ij}$ the amounts of the purchases and $r_{ik} < 0$ those of the returns, $p(\cdot)$ their
    periods and $x_i$ = ``frequency`` (0 where $x_i = 0$). So a return in a later period without a
    purchase still subtracts (the spend of that period is negative), and a return in the first period,
    or before it, changes nothing: it subtracts from the first period's spend, which the monetary value
    leaves out like ``lifetimes``. With ``calibration_end`` a return belongs to the part in which it
    happens: on or before the calibration end it counts towards ``monetary_value``, after it towards
    ``monetary_value_holdout`` (every return of the holdout counts there). The net spend can be 0 or
    negative, which the Gamma-Gamma model refuses; ``returns="drop"`` ignores the returns and keeps the
    spend of the purchases.

    Differences from ``lifetimes``: times are given in any unit by ``time_unit`` (instead of
    ``freq_multiplier``), the calibration columns keep their plain names (``frequency``, not
    ``frequency_cal``) so that a model reads them directly, ``monetary_value_holdout`` adds the amounts
    of one period first, like ``monetary_value`` (lifetimes averages single purchases there), and
    returns are not transactions (lifetimes counts a refund as a purchase).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
    alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). RFM and CLV: using iso-value curves for
    customer base analysis. *Journal of Marketing Research* 42(4), 415-430. (Recency, frequency and
    monetary value as what the models read of each customer's history.)

    Examples
    --------
    Customer 1 buys twice on 1 January: one transaction, the first; its two repeat transactions are on
    15 January and 12 February.

    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 3, 3],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-12",
    ...                             "2024-01-08", "2024-01-29", "2024-03-04"]),
    ...     "amount": [10.0, 5.0, 20.0, 30.0, 8.0, 12.0, 14.0],
    ... })
    >>> rt.rfm_summary(tx, time_unit="W")
                 frequency  recency     T  monetary_value
    customer_id
    1                    2      6.0   9.0            25.0
    2                    0      0.0   8.0             0.0
    3                    1      5.0   5.0            14.0
    >>> rt.rfm_summary(tx, time_unit="W", calibration_end="2024-02-05", amount=None)
                 frequency  recency    T  frequency_holdout  duration_holdout
    customer_id
    1                    1      2.0  5.0                  1               4.0
    2                    0      0.0  4.0                  0               4.0
    3                    0      0.0  1.0                  1               4.0

    Customer 1 returns goods worth 10 on 19 February; customer 4, who never bought, returns goods on
    5 March, after the last purchase:

    >>> refunds = pd.DataFrame({"customer_id": [1, 4], "amount": [-10.0, -5.0],
    ...                         "date": pd.to_datetime(["2024-02-19", "2024-03-05"])})
    >>> rt.rfm_summary(pd.concat([tx, refunds]), time_unit="W")
                 frequency  recency     T  monetary_value
    customer_id
    1                    2      6.0   9.0            20.0
    2                    0      0.0   8.0             0.0
    3                    1      5.0   5.0            14.0

    Customer 1's repeat spend is 20 + 30 - 10 = 40 over two repeat transactions. Customer 4 is not a
    customer, and the observation end stays the last purchase day, 4 March.
    """
    freq = _RFM_SUMMARY.check("freq", freq)
    unit = _RFM_SUMMARY.check("time_unit", time_unit) or freq
    t = read_with_options(tx, locals(), func=_FUNC)
    with_money = t.amount is not None
    columns = list(_COLUMNS) + (list(_MONEY) if with_money else [])
    cut: int | None = None
    if calibration_end is not None:
        cut = read_cutoff(calibration_end, t, name="calibration_end", func=_FUNC)
        holdout_columns = ["frequency_holdout"]
        holdout_columns += list(_HOLDOUT_MONEY) if with_money else []
        columns += [*holdout_columns, "duration_holdout"]
    if t.n_rows == 0 or t.end_day is None:
        return _empty(t.customer_ids, columns)

    periods = t.periods(freq)
    customer = t.customer
    amounts = t.amount
    ids = t.customer_ids
    back = _returns(t, freq) if with_money else None
    end_day = t.end_day if cut is None else cut
    held = None
    if cut is not None:
        calibration = t.days <= cut
        # Customers first seen after the calibration end are not in the summary.
        present = np.zeros(t.n_customers, dtype=np.bool_)
        present[customer[calibration]] = True
        remap = np.cumsum(present, dtype=np.int64) - 1
        remap[~present] = -1
        n_present = int(np.count_nonzero(present))
        later = ~calibration & present[customer]
        held_back = None
        if back is not None:
            back_calibration = t.return_day <= cut
            held_back = _kept(back, ~back_calibration, remap)
            back = _kept(back, back_calibration, remap)
        held = holdout_counts(
            remap[customer[later]],
            periods[later],
            n_present,
            amount=amounts[later] if amounts is not None else None,
            returns=held_back,
        )
        customer, periods = remap[customer[calibration]], periods[calibration]
        amounts = amounts[calibration] if amounts is not None else None
        ids = ids[present]

    counts = repeat_counts(customer, periods, len(ids), amount=amounts, returns=back)
    end_period = _day_period(end_day, freq)
    data: dict[str, NDArray[Any]] = {
        "frequency": counts.frequency,
        "recency": _elapsed(counts.first_period, counts.last_period, freq, unit),
        "T": _elapsed(counts.first_period, np.broadcast_to(end_period, len(ids)), freq, unit),
    }
    if counts.monetary_value is not None:
        data["monetary_value"] = counts.monetary_value
    if held is not None:
        data["frequency_holdout"] = held.frequency
        if held.monetary_value is not None:
            data["monetary_value_holdout"] = held.monetary_value
        duration = _elapsed(end_period, _day_period(t.end_day, freq), freq, unit)
        data["duration_holdout"] = np.full(len(ids), duration[0], dtype=np.float64)
    # Every array in data is new and owned here: the frame may keep them without a copy.
    return pd.DataFrame(data, index=ids, columns=columns, copy=False)


def _returns(t: Transactions, freq: str) -> Returns:
    """Return the customers' returns with the period codes of their days."""
    period = t.return_day if freq == "D" else day_period_codes(t.return_day, freq)
    return Returns(t.return_customer, period, t.return_amount)


def _kept(back: Returns, keep: NDArray[np.bool_], remap: NDArray[np.int64]) -> Returns:
    """Keep the returns marked by ``keep`` of the customers that ``remap`` keeps, with their new codes."""
    customer = remap[back.customer]
    keep = keep & (customer >= 0)
    return Returns(customer[keep], back.period[keep], back.amount[keep])


def _empty(ids: pd.Index, columns: list[str]) -> pd.DataFrame:
    integer = {"frequency", "frequency_holdout"}
    data = {
        name: np.empty(0, dtype=np.int64 if name in integer else np.float64) for name in columns
    }
    return pd.DataFrame(data, index=ids[:0], columns=columns)
