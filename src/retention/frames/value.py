"""Customer value and model checks on frames: CLV from fitted models, historical value, holdout tables.

Thin adapters over :mod:`retention.core.clv.value`: read a summary (through
:mod:`retention.frames.summary_schema`) or a transaction table (through
:func:`~retention.frames.schema.read_transactions`) once, call the models and the core, label the result.
Definitions and a worked example are on the "Customer value" page of the docs.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Final, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.arrays import FloatArray as Array
from retention.core.clv import value as core
from retention.core.clv.fitting import compress
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    check_size,
    plain_value,
)
from retention.frames.bgbb import BetaGeoBetaBinom
from retention.frames.breakdown import breakdown
from retention.frames.gamma_gamma import check_monetary_value
from retention.frames.options import BY, Frequency, Given, Interval, check_freq, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    MAX_AMOUNT,
    PERIOD_DAYS,
    DateLike,
    Transactions,
    last_complete_period,
    period_codes,
    period_index,
    period_start_days,
    read_cutoff,
    transaction_options,
)
from retention.frames.summary_schema import (
    Customers,
    check_frequency_recency_n_periods,
    check_frequency_recency_T,
    check_frequency_spend,
    check_holdout,
    read_customers,
    summary_frame,
)

__all__ = [
    "SpendModel",
    "TransactionModel",
    "calibration_holdout_table",
    "customer_lifetime_value",
    "historical_value",
    "tracking_table",
]


# A margin is a factor on money: beyond the bound on amounts it is no margin, and its products with
# amounts (totals, expected spend) would overflow to infinity.
_MARGIN: Final = Interval(
    "real",
    -MAX_AMOUNT,
    MAX_AMOUNT,
    what=f"a number from -{MAX_AMOUNT:.0e} to {MAX_AMOUNT:.0e}, the bound on amounts (the share of "
    "revenue that is profit, such as 0.3)",
    finite_what="a finite number (the share of revenue that is profit, such as 0.3)",
)
_STEP: Final = Interval(
    "real",
    0,
    None,
    closed="neither",
    what="a period such as 'M', or a positive length in the models' time unit",
)
_MODEL: Final = Given("a fitted model, checked for the method the function calls")
_SUMMARY: Final = Given("a summary frame as rt.rfm_summary makes, read by summary_schema")
_CLV: Final = declare(
    "customer_lifetime_value",
    horizon=Interval("integer", 1, None),
    freq=Given(f"a period (Frequency, with time_unit) or a length: {_STEP.describe()}"),
    discount_rate=Interval("real", 0, None, what="a finite number >= 0 (0.01 for 1% a period)"),
    time_unit=Given("a period (Frequency), needed only with a period as freq"),
    margin=_MARGIN,
    transaction_model=_MODEL,
    spend_model=_MODEL,
    summary=_SUMMARY,
)
_HISTORICAL: Final = declare("historical_value", margin=_MARGIN, by=BY)
# rt.clv_formula is the core function itself (arrays in, arrays out): it checks its arrays where it reads them.
_FORMULA: Final = Given("numbers or arrays that broadcast, checked by core.clv.value.clv_formula")
declare("clv_formula", margin=_FORMULA, retention=_FORMULA, discount_rate=_FORMULA)
_HOLDOUT: Final = declare(
    "calibration_holdout_table",
    max_frequency=Interval("integer", 1, None),
    model=_MODEL,
    summary=_SUMMARY,
)
_TRACKING: Final = declare(
    "tracking_table",
    time_unit=Frequency(),
    freq=Frequency(),
    calibration_end=Given("a date, read by schema.read_cutoff"),
    model=_MODEL,
)
_MAX_HORIZON: Final = 2**53  # periods: whole numbers up to here are exact as floats
# calibration_holdout_table: bytes a row of the table takes while it is made (measured: 127, the labels'
# Python strings included).
_BYTES_PER_BIN: Final = 128


class TransactionModel(Protocol):
    """A model of the number of transactions: ``rt.BetaGeo``, ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD``."""

    def conditional_expected_purchases(
        self, *, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Array:
        """Predict the transactions of each customer in ``(T, T + t]``; ``t`` broadcasts with the customers."""
        ...


class SpendModel(Protocol):
    """A model of spend per transaction: ``rt.GammaGamma``."""

    def conditional_expected_spend(
        self, *, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> Array:
        """Predict the spend per future transaction of each customer."""
        ...


class NewCustomerModel(Protocol):
    """A model that predicts the repeat transactions of a new customer, ``expected_purchases(t)``."""

    def expected_purchases(self, t: Array) -> Array:
        """Predict the repeat transactions of a new customer within ``t`` of the first purchase."""
        ...


def _check_continuous(model: object, role: str, func: str, instead: str) -> None:
    """Refuse a BG/BB where a model of transactions in continuous time is needed.

    ``instead`` says what the BG/BB gives in its place.
    """
    if isinstance(model, BetaGeoBetaBinom):
        msg = (
            f"The {role!r} argument of {func} must be a model of transactions in continuous time: "
            "rt.BetaGeo, rt.ModifiedBetaGeo or rt.ParetoNBD. Got BetaGeoBetaBinom, a model of discrete "
            f"transaction opportunities, {instead}."
        )
        raise ColumnTypeError(msg)


def _check_model(model: object, method: str, role: str, example: str, func: str) -> None:
    if not callable(getattr(model, method, None)):
        msg = f"The {role!r} argument of {func} must be a model with a {method}() method, such as {example}. Got {type(model).__name__}."
        raise ColumnTypeError(msg)


def _step(freq: object, time_unit: object, func: str) -> float:
    """Return the length of one discounting period in the models' time unit."""
    if isinstance(freq, str):
        period = check_freq(freq, func)
        if time_unit is None:
            msg = (
                f"The 'time_unit' parameter of {func} is needed with freq={freq!r}: the unit of recency and T "
                "in the summary the models were fitted on ('W' for rt.rfm_summary(..., time_unit='W'), 'D' "
                "for the default daily summary). Or pass freq as a number of those units."
            )
            raise InvalidParameterError(msg)
        unit = check_freq(time_unit, func, name="time_unit")
        return PERIOD_DAYS[period] / PERIOD_DAYS[unit]
    if time_unit is not None:
        msg = f"The 'time_unit' parameter of {func} applies only when freq is a period such as 'M'; freq={plain_value(freq)!r} is already a length in the models' time unit. Drop time_unit."
        raise InvalidParameterError(msg)
    step: float = _STEP.check(freq, "freq", func)
    return step


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    summary: pd.DataFrame,
    *,
    horizon: int,
    freq: str | float,
    discount_rate: float,
    time_unit: str | None = None,
    margin: float = 1.0,
) -> pd.Series:
    r"""Compute each customer's discounted expected value over the next ``horizon`` periods.

    Parameters
    ----------
    transaction_model : model
        A fitted model of the number of transactions in continuous time (``rt.BetaGeo``,
        ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD``): anything with
        ``conditional_expected_purchases(t=, frequency=, recency=, T=)`` whose ``t`` broadcasts with the
        customers' arrays, as the library's models do (a column of times against a row of customers).
        Not ``rt.BetaGeoBetaBinom``, which counts discrete opportunities (see Raises).
    spend_model : model
        A fitted model of spend per transaction (``rt.GammaGamma``): anything with
        ``conditional_expected_spend(frequency=, monetary_value=)``.
    summary : pandas.DataFrame or a table of another engine
        One row per customer with ``frequency``, ``recency``, ``T`` and ``monetary_value``, as made by
        ``rt.rfm_summary(tx, time_unit=..., amount=...)``, in the time unit the models were fitted in.
    horizon : int
        The number $H$ of periods to add up, from 1 to $2^{53}$. The time it takes does not grow with it
        (see Notes).
    freq : {"D", "W", "M", "Q", "Y"} or float
        The length of one period: a period string (then ``time_unit`` is needed), or a positive number
        of the models' time units.
    discount_rate : float
        The discount rate $d$ per period (per month for ``freq="M"``), >= 0.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The unit of ``recency`` and ``T`` in the summary the models were fitted on; needed when ``freq``
        is a string.
    margin : float, default 1.0
        The share of the spend that is profit (or any factor up to ``retention.frames.schema.MAX_AMOUNT``
        in absolute value, the bound on amounts: the result is linear in it).

    Returns
    -------
    pandas.Series
        Named ``clv``, on the summary's index.

    Raises
    ------
    ColumnTypeError
        If a model lacks the method it needs, the summary is not a DataFrame, or the transaction model is
        an ``rt.BetaGeoBetaBinom``: its value over every future opportunity is
        ``model.discounted_expected_residual_transactions(summary, discount_rate=d)`` times the spend
        model's ``conditional_expected_spend(summary)`` times the margin.
    InvalidParameterError
        If ``horizon``, ``freq``, ``time_unit``, ``discount_rate`` or ``margin`` is not accepted.
    InvalidValueError, ColumnNotFoundError
        If the summary lacks a column or breaks the rules of the summary columns; a ``monetary_value``
        beyond ``retention.frames.schema.MAX_AMOUNT`` (the bound on amounts of every function that reads
        transactions) is refused.

    See Also
    --------
    retention.clv_formula : The simple formula with a constant retention rate.
    retention.GammaGamma : The spend model.
    retention.BetaGeo : A transaction model.

    Notes
    -----
    With $\Delta$ the period length in the models' time unit, $E[Y_i(t)]$ the expected transactions of
    customer $i$ in $(T_i, T_i + t]$ (``conditional_expected_purchases``) and $\hat z_i$ the expected spend
    per transaction (``conditional_expected_spend``):

    $$
    \mathrm{CLV}_i = \sum_{k=1}^{H} \frac{m\, \hat z_i\, \big(E[Y_i(k\Delta)] - E[Y_i((k-1)\Delta)]\big)}{(1 + d)^k},
    $$

    the value of the transactions of period $k$ discounted from the end of that period, as in
    ``lifetimes``. Spend and the number of transactions are independent given the data (the
    Gamma-Gamma assumption), so the expected value is the product (Fader, Hardie & Lee 2005b).

    **Units.** The models know nothing of calendars: their time unit is that of ``recency`` and ``T``.
    With ``freq="M", time_unit="W"`` a period is $\Delta = (365.2425 / 12) / 7 = 4.348$ weeks, and
    ``horizon=12, discount_rate=0.01`` is one year discounted at 1% a month. Periods have their mean
    length (a month is 30.436875 days; 12 months make exactly one year). ``freq=4.345`` sets $\Delta$
    directly. ``lifetimes.utils.customer_lifetime_value`` takes monthly periods of 30 days (4.345 weeks).

    **Long horizons.** The expected transactions are computed once per distinct
    ``(frequency, recency, T)``, for many periods in one call of the model. A horizon of up to 512
    periods is the sum above, period by period. A longer one takes periods 1 to 63 one by one and the
    rest by summation by parts, Gregory's end corrections and Gauss-Legendre quadrature over whole
    periods, cut where the discount factor has fallen by $e^{-40}$ after period 64
    (:func:`retention.core.clv.value.discounted_transactions` gives the formulas): fewer than 530
    evaluations per customer, whatever the horizon, so ``horizon=10**6`` with ``freq="D"`` takes as long as
    ``horizon=10**4``. Its relative error is below $10^{-12}$ (against the explicit sum, within
    $2 \cdot 10^{-14}$ for the BG/NBD, MBG/NBD and Pareto/NBD from daily to yearly periods); with
    ``discount_rate=0`` the sum telescopes to $m \hat z_i E[Y_i(H\Delta)]$, exactly.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005b). RFM and CLV: using iso-value curves for
    customer base analysis. *Journal of Marketing Research* 42(4), 415-430.

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", amount="amount")
    >>> purchases = rt.BetaGeo.fit(summary)
    >>> spend = rt.GammaGamma.fit(summary)
    >>> clv = rt.customer_lifetime_value(purchases, spend, summary, horizon=12, freq="M",
    ...                                  time_unit="W", discount_rate=0.01)
    >>> clv.head(3).round(2)
    customer_id
    1     4.13
    2     4.21
    3    45.92
    Name: clv, dtype: float64
    >>> round(clv.sum())
    88453

    A long horizon costs no more than a short one; with discounting, the value stops growing:

    >>> daily = {"freq": "D", "time_unit": "W", "discount_rate": 0.0003}  # 0.03% a day, about 11.6% a year
    >>> for days in (10**4, 10**6, 10**9):
    ...     clv = rt.customer_lifetime_value(purchases, spend, summary.head(3), horizon=days, **daily)
    ...     print(clv.round(2).tolist())
    [25.47, 23.08, 210.48]
    [26.04, 23.49, 213.3]
    [26.04, 23.49, 213.3]
    """
    func = "customer_lifetime_value"
    _check_model(
        transaction_model, "conditional_expected_purchases", "transaction_model", "rt.BetaGeo", func
    )
    _check_model(spend_model, "conditional_expected_spend", "spend_model", "rt.GammaGamma", func)
    _check_continuous(
        transaction_model,
        "transaction_model",
        func,
        "whose value over every future opportunity (discounted per opportunity) is "
        "transaction_model.discounted_expected_residual_transactions(summary, discount_rate=d) * "
        "spend_model.conditional_expected_spend(summary) * margin",
    )
    periods = _CLV.check("horizon", horizon)
    if periods > _MAX_HORIZON:
        msg = (
            f"The 'horizon' parameter of {func} must be a whole number of periods from 1 to 2**53 "
            f"({_MAX_HORIZON:,}). Got {periods:,}. With a positive discount_rate the value stops "
            "changing long before (see the Notes); pass a smaller horizon."
        )
        raise InvalidParameterError(msg)
    step = _step(freq, time_unit, func)
    # The sum reads a few periods past the horizon (the end corrections of long horizons).
    if not math.isfinite(float(periods + 16) * step):
        msg = (
            f"The 'horizon' and 'freq' parameters of {func} give a time beyond float64: {periods:,} "
            f"periods of {step:g} time units. Pass a shorter horizon or a shorter period."
        )
        raise InvalidParameterError(msg)
    rate = _CLV.check("discount_rate", discount_rate)
    factor = _CLV.check("margin", margin)
    summary = summary_frame(summary, func, maker="rt.rfm_summary(tx, amount=...)")
    names: dict[str, object] = dict.fromkeys(("frequency", "recency", "T", "monetary_value"))
    data = read_customers(summary, names, func=func)
    x, recency, age, spend = data.columns
    check_frequency_recency_T(Customers((x, recency, age), data.index), func=func)
    check_monetary_value(
        check_frequency_spend(Customers((x, spend), data.index), func=func), func=func
    )

    rows = compress((x, recency, age))
    ux, urec, uage = rows.columns

    def cumulative(times: Array) -> Array:
        # A column of times against a row of customers: one call of the model for many periods.
        values = transaction_model.conditional_expected_purchases(
            t=times[:, None], frequency=ux, recency=urec, T=uage
        )
        return np.asarray(values, dtype=np.float64).reshape(len(times), len(ux))

    transactions = core.discounted_transactions(
        cumulative, horizon=periods, step=step, discount_rate=rate
    )
    expected_spend = np.asarray(
        spend_model.conditional_expected_spend(frequency=x, monetary_value=spend),
        dtype=np.float64,
    )
    values = factor * expected_spend * transactions[rows.inverse]
    return pd.Series(values, index=summary.index, name="clv")


@transaction_options
def historical_value(
    tx: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
    margin: float = 1.0,
) -> pd.Series:
    r"""Compute the value each customer has brought so far: margin times their revenue net of returns.

    Parameters
    ----------
    <transaction table>
    <transaction options>
    margin : float, default 1.0
        The share of revenue that is profit (any factor up to ``retention.frames.schema.MAX_AMOUNT`` in
        absolute value, the bound on amounts).

    Returns
    -------
    pandas.Series
        Named ``historical_value``, indexed by customer id (sorted), one entry per customer with a
        purchase up to the observation end. With ``by``, the group is the outer index level.

    Raises
    ------
    InvalidParameterError
        If ``margin``, ``observation_end``, ``returns`` or ``by`` is not accepted.
    <reading errors>
        The amount column must exist.

    See Also
    --------
    retention.customer_lifetime_value : The expected value to come.

    Notes
    -----
    $\mathrm{HV}_i = m \sum_{j} a_{ij}$, the sum of all amounts $a_{ij}$ of customer $i$ up to the
    observation end, first purchase included, with returns netted out: a return (an order of negative
    amount) subtracts from its customer's revenue, and can make it negative. Returns of people without
    a purchase belong to no customer and count nowhere; ``returns="drop"`` leaves every return out.
    Orders (``order_id``) change nothing here, as an order's amount is the sum of its rows. The sum is
    exact, so the order of the rows never changes a bit of the result. Undiscounted: it is what was
    received.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 1, 2], "amount": [10.0, 4.0, 6.0, -1.0],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-02-01",
    ...                                            "2024-01-20"])})
    >>> rt.historical_value(tx, margin=0.5)
    customer_id
    1    8.0
    2    1.5
    Name: historical_value, dtype: float64

    By a customer attribute (here from a CRM):

    >>> managers = pd.Series(["ann", "bob"], index=[1, 2], name="manager")
    >>> rt.historical_value(tx, by=managers)
    manager  customer_id
    ann      1              16.0
    bob      2               3.0
    Name: historical_value, dtype: float64
    """
    func = "historical_value"
    factor = _HISTORICAL.check("margin", margin)
    t = read_with_options(tx, locals(), func=func, amount_required=True)
    return breakdown(t, lambda part: historical_value_of(part, factor), name=func)


def historical_value_of(t: Transactions, margin: float) -> pd.Series:
    """:func:`historical_value` of a table already read with amounts (``margin`` already checked)."""
    (values,) = t.per_customer(
        ("historical_value", margin), lambda whole: _values(whole, margin=margin)
    )
    return pd.Series(values, index=t.customer_ids, name="historical_value")


def _values(t: Transactions, *, margin: float) -> tuple[NDArray[np.float64]]:
    """Per customer, the margin times the revenue net of returns."""
    customer, _, amounts = t.net()
    return (core.historical_value(customer, amounts, t.n_customers, margin=margin),)


def _check_whole_durations(duration: Array, index: pd.Index | None, func: str) -> None:
    """Refuse holdout lengths that are not whole numbers of opportunities (for the BG/BB)."""
    bad = duration != np.round(duration)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = f"index {plain_value(index[first])!r}" if index is not None else f"position {first}"
        msg = (
            f"The duration_holdout passed to {func} with a BetaGeoBetaBinom must be whole numbers of "
            f"transaction opportunities: {int(bad.sum())} customer(s), the first at {where} "
            f"(duration_holdout {duration[first].item()!r}). Make the summary with one opportunity per "
            "period, rt.rfm_summary(tx, freq=P, time_unit=P, calibration_end=...), and end the "
            "calibration and the observation on the last day of a period."
        )
        raise InvalidValueError(msg)


def calibration_holdout_table(
    model: TransactionModel | BetaGeoBetaBinom, summary: pd.DataFrame, *, max_frequency: int = 7
) -> pd.DataFrame:
    r"""Compare predicted and actual holdout transactions, by the customers' calibration frequency.

    Parameters
    ----------
    model : model
        A transaction model fitted on the calibration part (``rt.BetaGeo``, ``rt.ModifiedBetaGeo``,
        ``rt.ParetoNBD`` or ``rt.BetaGeoBetaBinom``).
    summary : pandas.DataFrame or a table of another engine
        ``rt.rfm_summary(tx, calibration_end=..., time_unit=...)``: the columns ``frequency``, ``recency``,
        ``T``, ``frequency_holdout`` and ``duration_holdout``, in the model's time unit. For the BG/BB,
        in opportunities: ``rt.rfm_summary(tx, freq=P, time_unit=P, calibration_end=...)``, or
        ``n_periods`` instead of ``T``; ``duration_holdout`` must then be whole numbers.
    max_frequency : int, default 7
        Customers with this many calibration transactions or more share the last bin, labelled
        ``"7+"``.

    Returns
    -------
    pandas.DataFrame
        Index ``frequency``: the bins ``"0"``, ``"1"``, ..., ``"7+"`` (strings, in order). Columns:
        ``customers`` (int64, how many are in the bin), ``actual`` (their mean number of holdout
        transactions, ``frequency_holdout``) and ``expected`` (the mean predicted by the model). The means
        are NaN in an empty bin.

    Raises
    ------
    ColumnTypeError
        If ``model`` lacks ``conditional_expected_purchases`` or the summary is not a DataFrame.
    InvalidParameterError
        If ``max_frequency`` is not a whole number >= 1, or the table of ``max_frequency + 1`` rows would
        not fit in this machine's memory (checked before anything is allocated).
    ColumnNotFoundError, InvalidValueError
        If the summary lacks the holdout columns (make it with ``calibration_end=``) or breaks their rules.

    See Also
    --------
    tracking_table : The same check over calendar time.

    Notes
    -----
    The conditional-expectation check of Fader, Hardie & Lee (2005, Figure 4): for each customer the
    model predicts $E[Y(\tau) \mid x, t_x, T]$, the transactions in the holdout of length
    $\tau$ = ``duration_holdout`` given the calibration history; the table averages predictions and
    actual holdout transactions over the customers of each calibration frequency $x$. A model that
    describes the data follows the actual means in every bin, including the regression to the mean of the
    heavy buyers. For the BG/BB the prediction is $E[X(n, n + n^*) \mid x, t_x, n]$ with $n^*$ =
    ``duration_holdout`` opportunities (Fader, Hardie & Shang 2010, eq. 13).

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
    alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
    Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a discrete-time
    noncontractual setting. *Marketing Science* 29(6), 1086-1108.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> summary = rt.rfm_summary(tx, time_unit="W", calibration_end="2024-06-30")
    >>> model = rt.BetaGeo.fit(summary)
    >>> rt.calibration_holdout_table(model, summary, max_frequency=4).round(3)
               customers  actual  expected
    frequency
    0               1302   0.256     0.256
    1                443   0.521     0.446
    2                176   0.767     0.735
    3                100   0.880     1.030
    4+               219   2.096     2.331
    """
    func = "calibration_holdout_table"
    _check_model(model, "conditional_expected_purchases", "model", "rt.BetaGeo", func)
    cap = _HOLDOUT.check("max_frequency", max_frequency)
    check_size(
        cap + 1,
        itemsize=_BYTES_PER_BIN,
        what="the table's rows (one per calibration frequency up to max_frequency)",
        fix="Pass a smaller max_frequency=: the customers with that many calibration transactions or "
        "more share the last row.",
        func=func,
    )
    summary = summary_frame(summary, func, maker="rt.rfm_summary(tx, calibration_end=...)")
    opportunities = isinstance(model, BetaGeoBetaBinom)
    # The BG/BB counts opportunities: n_periods, or T as rt.rfm_summary(tx, freq=...) makes it.
    periods = "n_periods" if opportunities and "n_periods" in summary.columns else "T"
    names: dict[str, object] = dict.fromkeys(
        ("frequency", "recency", periods, "frequency_holdout", "duration_holdout")
    )
    data = read_customers(summary, names, func=func)
    x, recency, age, actual, duration = data.columns
    history = Customers((x, recency, age), data.index)
    if opportunities:
        check_frequency_recency_n_periods(history, func=func, periods=periods)
    else:
        check_frequency_recency_T(history, func=func)
    check_holdout(Customers((actual, duration), data.index), func=func)
    if opportunities:
        _check_whole_durations(duration, data.index, func)

    expected = np.empty(len(x))
    # rt.rfm_summary gives every customer the same holdout length; group by it in case it varies.
    lengths, which = np.unique(duration, return_inverse=True)
    for j, length in enumerate(lengths):  # one call per distinct holdout length, not per customer
        rows = which == j
        if isinstance(model, BetaGeoBetaBinom):
            expected[rows] = model.conditional_expected_purchases(
                t=int(length), frequency=x[rows], recency=recency[rows], n_periods=age[rows]
            )
        else:
            expected[rows] = model.conditional_expected_purchases(
                t=float(length), frequency=x[rows], recency=recency[rows], T=age[rows]
            )
    bins = core.frequency_bins(x, cap)
    counts, actual_mean = core.binned_means(bins, actual, cap + 1)
    _, expected_mean = core.binned_means(bins, expected, cap + 1)
    labels = [str(k) for k in range(cap)] + [f"{cap}+"]
    return pd.DataFrame(
        {"customers": counts.astype(np.int64), "actual": actual_mean, "expected": expected_mean},
        index=pd.Index(labels, name="frequency", dtype="str"),
    )


@transaction_options
def tracking_table(
    model: NewCustomerModel,
    tx: pd.DataFrame,
    *,
    time_unit: str,
    freq: str = "W",
    calibration_end: DateLike | None = None,
    observation_end: DateLike | None = None,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    returns: str = "net",
) -> pd.DataFrame:
    r"""Compare expected and actual repeat transactions of the customer base, period by period.

    Parameters
    ----------
    model : model
        A fitted transaction model with ``expected_purchases(t)`` (``rt.BetaGeo``, ``rt.ParetoNBD``, ...).
    <transaction table>
        The purchases of the calibration span and of the holdout together, in one table.
    time_unit : {"D", "W", "M", "Q", "Y"}
        The model's time unit: that of ``recency`` and ``T`` in the summary it was fitted on.
    freq : {"D", "W", "M", "Q", "Y"}, default "W"
        The periods of the table (weeks run Monday to Sunday).
    calibration_end : date-like, optional
        Only customers whose first purchase is on or before this day are tracked (the cohort the model
        was fitted on, as in ``rt.rfm_summary(..., calibration_end=...)``); their purchases are tracked
        to the observation end. None tracks every customer.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (a PeriodIndex): from the period of the cohort's first purchase to the last
        period that the data cover completely (the period holding the observation end only if the end is
        its last day). Columns: ``actual`` and ``expected`` (repeat transactions in the period),
        ``actual_cumulative`` and ``expected_cumulative`` (since the start).

    Raises
    ------
    ColumnTypeError
        If ``model`` lacks ``expected_purchases``, or is an ``rt.BetaGeoBetaBinom`` (discrete
        opportunities, not time).
    InvalidParameterError
        If ``time_unit``, ``freq``, ``calibration_end``, ``observation_end`` or ``returns`` is not
        accepted.
    <reading errors>

    See Also
    --------
    calibration_holdout_table : The check customer by customer, by calibration frequency.

    Notes
    -----
    The tracking check of Fader, Hardie & Lee (2005, Figures 2 and 3). A repeat transaction is a day with
    a purchase after the customer's first purchase day (purchases of one day merged, as
    ``rt.rfm_summary(freq="D")`` counts them). With $f_i$ the first purchase day of customer $i$ and $e$
    the last day of a period, the expected cumulative repeat transactions are

    $$
    \sum_{i:\, f_i \le e} E[X(e - f_i)],
    $$

    where $E[X(t)]$ is the model's ``expected_purchases`` and $e - f_i$ is in days converted to the
    model's unit (weeks are 7 days; a month 30.436875). Time is measured as in ``rt.rfm_summary``,
    where $T$ is the observation end day minus the first purchase day, so at the calibration end the
    expected cumulative count is $\sum_i E[X(T_i)]$ over the calibration summary (``lifetimes``'
    ``expected_cumulative_transactions`` measures to the day after, one day more). The sum over customers
    is a convolution of the number of first purchases per day with $E[X(\cdot)]$: one call of the
    model, no loop over customers or periods.

    **Orders and returns.** A transaction is a day with a purchase, so several orders (or order lines)
    of one day are one transaction, with or without ``order_id``; with it, an order's day is the earliest
    day of its rows. A return (an order of negative amount) is never a transaction: it is not a repeat
    transaction, not a first purchase (a customer with returns only is not tracked) and does not move the
    default observation end, the last purchase day. The amount column is read only to recognise returns.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
    alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

    Examples
    --------
    Fit on the calibration period (to 30 June), then track the whole log month by month, with the same
    calibration end:

    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> cut = "2024-06-30"
    >>> model = rt.BetaGeo.fit(rt.rfm_summary(tx, time_unit="W", calibration_end=cut))
    >>> table = rt.tracking_table(model, tx, time_unit="W", freq="M", calibration_end=cut)
    >>> table.tail(3).round(1)
             actual  expected  actual_cumulative  expected_cumulative
    period
    2024-10   201.0     206.3             3628.0               3608.7
    2024-11   187.0     190.6             3815.0               3799.4
    2024-12   183.0     188.8             3998.0               3988.2
    """
    func = "tracking_table"
    _check_model(model, "expected_purchases", "model", "rt.BetaGeo", func)
    _check_continuous(
        model,
        "model",
        func,
        "whose expected repeat transactions of a new customer after n opportunities are "
        "model.expected_purchases(n), n a whole number",
    )
    unit = _TRACKING.check("time_unit", time_unit)
    period = _TRACKING.check("freq", freq)
    t = read_with_options(tx, locals(), func=func)
    cut = (
        read_cutoff(calibration_end, t, name="calibration_end", func=func)
        if calibration_end is not None
        else None
    )
    if t.n_rows == 0 or t.end_day is None:
        return _empty_tracking(period)
    # The distinct (customer, day) pairs are the transactions, purchases of one day merged.
    first_days, repeat_days = tracking_days(t, cut)
    return tracking_of(first_days, repeat_days, t.end_day, model, unit=unit, freq=period)


def tracking_days(t: Transactions, cut: int | None) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return the first purchase days of the cohort (acquired by ``cut``) and their repeat days.

    Days of distinct (customer, day) pairs, purchases of one day merged. They depend on each customer's
    own rows alone: those of disjoint sets of customers (the partitions of a cluster) put together are the
    whole table's.
    """
    pairs = t.activity("D")
    first = pairs.first_period
    cohort = first <= cut if cut is not None else np.ones(len(first), dtype=np.bool_)
    repeat = (pairs.period != first[pairs.customer]) & cohort[pairs.customer]
    return first[cohort], pairs.period[repeat]


def tracking_of(
    first_days: NDArray[np.int64],
    repeat_days: NDArray[np.int64],
    end_day: int,
    model: NewCustomerModel,
    *,
    unit: str,
    freq: str,
) -> pd.DataFrame:
    """:func:`tracking_table` of the cohort's first purchase days and repeat days (in any order)."""
    if not len(first_days):
        return _empty_tracking(freq)
    origin = int(first_days.min())
    first_code = int(period_codes(np.array([origin], dtype="datetime64[D]"), freq)[0])
    last_code = last_complete_period(end_day, freq)
    if last_code < first_code:
        return _empty_tracking(freq)
    codes = np.arange(first_code, last_code + 1, dtype=np.int64)
    ends = period_start_days(codes + 1, freq) - 1 - origin
    ages = np.arange(int(ends[-1]) + 1, dtype=np.float64) / (PERIOD_DAYS[unit] / PERIOD_DAYS["D"])
    expected_by_age = np.asarray(model.expected_purchases(ages), dtype=np.float64)
    counts = core.tracking_counts(first_days - origin, repeat_days - origin, ends, expected_by_age)
    return pd.DataFrame(
        {
            "actual": np.diff(counts.actual, prepend=0.0),
            "expected": np.diff(counts.expected, prepend=0.0),
            "actual_cumulative": counts.actual,
            "expected_cumulative": counts.expected,
        },
        index=period_index(codes, freq, name="period"),
    )


def _empty_tracking(freq: str) -> pd.DataFrame:
    index = period_index(np.empty(0, dtype=np.int64), freq, name="period")
    columns = ("actual", "expected", "actual_cumulative", "expected_cumulative")
    return pd.DataFrame({c: np.empty(0) for c in columns}, index=index)
