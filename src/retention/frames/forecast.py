r"""Sales forecasts of the customer base and their backtest, on frames.

Why one module of about 1,300 lines: ``backtest`` refits a model on the calibration part and runs the very
computation of ``forecast`` (the calendar grid, the summary reader, the plan of new customers, ``_compute``)
on the holdout, so that a backtest measures the forecast users get; the two share every private step, and
half of the length is the docstrings of the three public functions.

Thin adapters over :mod:`retention.core.clv.forecast`: read a summary (through
:mod:`retention.frames.summary_schema`) or a transaction table (through
:func:`~retention.frames.schema.read_transactions`), turn the calendar into window bounds in the model's
time unit, call the core and label the result. The "Forecasting sales" page of the docs has the formulas
and a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from retention.core.arrays import FloatArray as Array
from retention.core.arrays import IntArray as Index
from retention.core.clv import forecast as core
from retention.core.clv import gamma_gamma as gg
from retention.core.sums import (
    Partials,
    add_partials,
    group_sums,
    partial_sums,
    scatter_partials,
    sums_of_partials,
    take_partials,
)
from retention.core.tally import Histogram
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    as_float,
    check_size,
    plain_value,
    shown_value,
)
from retention.frames.beta_geo import BetaGeo, ModifiedBetaGeo
from retention.frames.bgbb import BetaGeoBetaBinom
from retention.frames.gamma_gamma import GammaGamma, check_monetary_value
from retention.frames.options import (
    Frequency,
    Given,
    Interval,
    check_freq,
    declare,
    is_number,
    is_whole,
)
from retention.frames.pareto_nbd import ParetoNBD
from retention.frames.reading import shared_options
from retention.frames.schema import (
    PERIOD_DAYS,
    Cutoff,
    DateLike,
    Transactions,
    check_cutoff,
    day_period_codes,
    last_complete_period,
    period_index,
    period_start_days,
    read_date,
    read_transactions,
    transaction_options,
)
from retention.frames.summary import rfm_summary
from retention.frames.summary_schema import (
    Customers,
    check_frequency_recency_n_periods,
    check_frequency_recency_T,
    check_frequency_spend,
    read_customers,
    summary_frame,
)

__all__ = ["Backtest", "backtest", "forecast", "forecast_customers"]


_MODELS: Final[dict[type, str]] = {
    BetaGeo: "bg_nbd",
    ModifiedBetaGeo: "mbg_nbd",
    ParetoNBD: "pareto_nbd",
    BetaGeoBetaBinom: "bg_bb",
}
_BY_NAME: Final[dict[str, type]] = {
    "bg_nbd": BetaGeo,
    "mbg_nbd": ModifiedBetaGeo,
    "pareto_nbd": ParetoNBD,
}
_SEASON: Final = {"D": 7, "W": 52, "M": 12, "Q": 4, "Y": 1}
_BASELINES: Final = ("naive", "seasonal_naive", "mean")
_DEFAULT_SEED: Final = 0
_MAX_PERIODS: Final = 100_000
_MODEL_TEXT: Final = "rt.BetaGeo, rt.ModifiedBetaGeo, rt.ParetoNBD or rt.BetaGeoBetaBinom"


# --- options ----------------------------------------------------------------------------------------------


def _kind(model: object, func: str) -> str:
    kind = _MODELS.get(type(model))
    if kind is None:
        msg = f"The 'transaction_model' argument of {func} must be a model of the library: {_MODEL_TEXT} (fitted, or built from known parameters). Got {type(model).__name__}."
        raise ColumnTypeError(msg)
    return kind


_MODEL: Final = Given("a model of the library, checked by _kind / _model_of")
_PERIODS: Final = Interval(
    "integer", 1, _MAX_PERIODS, what=f"a whole number of periods from 1 to {_MAX_PERIODS:,}"
)
_INTERVAL: Final = Interval(
    "real",
    0,
    1,
    closed="neither",
    none=True,
    what="a probability between 0 and 1 (0.9 for a 90% interval), or None for point forecasts",
)
_DRAWS: Final = Interval("integer", 0, None)
_SEED: Final = Interval("integer", 0, None, none=True, what="a whole number >= 0, or None (seed 0)")
_START: Final = Given("a date (the first forecast period), read by schema.read_date")
_TIME_UNIT: Final = Given("a period (Frequency), needed with a model of continuous time")
_SPEND_MODEL: Final = Given("an rt.GammaGamma or None, checked by _check_spend_model")
# The options forecast and forecast_customers share.
_FORECAST_SHARED: Final = {
    "transaction_model": _MODEL,
    "summary": Given("a summary frame as rt.rfm_summary makes, read by summary_schema"),
    "periods": _PERIODS,
    "freq": Frequency(),
    "time_unit": _TIME_UNIT,
    "start": _START,
    "spend_model": _SPEND_MODEL,
}
_FORECAST: Final = declare(
    "forecast",
    **_FORECAST_SHARED,
    new_customers=Given("a number >= 0 or a Series per forecast period, read by _plan"),
    interval=_INTERVAL,
    n_draws=_DRAWS,
    seed=_SEED,
)
_FORECAST_CUSTOMERS: Final = declare("forecast_customers", **_FORECAST_SHARED)
_BACKTEST: Final = declare(
    "backtest",
    model=_MODEL,
    calibration_end=Given("a date, read by schema.read_date"),
    freq=Frequency(),
    time_unit=Frequency(),
    spend=Given("True, False or an rt.GammaGamma, checked by _check_baselines_and_spend"),
    baselines=Given("names of baselines, checked by _check_baselines_and_spend"),
    interval=_INTERVAL,
    n_draws=_DRAWS,
    seed=_SEED,
)


def _seed(seed: int | None) -> int:
    return _DEFAULT_SEED if seed is None else seed


# --- the calendar -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Grid:
    """Forecast windows: labels, bounds in steps after the observation end, a step in model units."""

    index: pd.Index
    bounds: Index
    step: float


def _grid(
    kind: str, periods: int, freq: str, *, time_unit: str | None, start: object, func: str
) -> _Grid:
    if kind == "bg_bb":
        if time_unit is not None and time_unit != freq:
            msg = f"The 'time_unit' parameter of {func} must equal freq for a BetaGeoBetaBinom, whose time unit is one transaction opportunity per period (the summary of rt.rfm_summary(tx, freq=P, time_unit=P)). Got freq={freq!r}, time_unit={time_unit!r}."
            raise InvalidParameterError(msg)
        bounds = np.arange(periods + 1, dtype=np.int64)
        index: pd.Index
        if start is None:
            index = pd.RangeIndex(1, periods + 1, name="period")
        else:
            first = int(day_period_codes(np.array([read_date(start, "start", func)]), freq)[0])
            index = period_index(np.arange(first, first + periods), freq, name="period")
        return _Grid(index, bounds, 1.0)
    if time_unit is None:
        msg = f"The 'time_unit' parameter of {func} is needed: the unit of recency and T in the summary the model was fitted on ('W' for rt.rfm_summary(tx, time_unit='W'), 'D' for the default daily summary)."
        raise InvalidParameterError(msg)
    unit = check_freq(time_unit, func, name="time_unit")
    step = 1.0 / PERIOD_DAYS[unit]
    if start is None:
        ends = np.rint(np.arange(periods + 1) * PERIOD_DAYS[freq]).astype(np.int64)
        return _Grid(pd.RangeIndex(1, periods + 1, name="period"), ends, step)
    day = read_date(start, "start", func)
    first = int(day_period_codes(np.array([day], dtype=np.int64), freq)[0])
    codes = np.arange(first, first + periods, dtype=np.int64)
    ends = period_start_days(codes + 1, freq) - day
    bounds = np.concatenate([[0], ends]).astype(np.int64)
    return _Grid(period_index(codes, freq, name="period"), bounds, step)


# --- reading the summary and the plan ---------------------------------------------------------------------


def _read_summary(
    kind: str, summary: object, spend_model: GammaGamma | None, func: str
) -> tuple[Customers, Array | None]:
    summary = summary_frame(summary, func, maker="rt.rfm_summary")
    periods = "n_periods" if kind == "bg_bb" and "n_periods" in summary.columns else "T"
    names: dict[str, object] = dict.fromkeys(("frequency", "recency", periods))
    if spend_model is not None:
        if "monetary_value" not in summary.columns:
            msg = f"The summary passed to {func} with a spend_model must have a 'monetary_value' column (the mean amount of the repeat transactions): make it with rt.rfm_summary(tx, amount=...), or drop spend_model for orders only. Columns: {list(summary.columns)}."
            raise InvalidValueError(msg)
        names["monetary_value"] = None
    data = read_customers(summary, names, func=func)
    history = Customers(data.columns[:3], data.index)
    if kind == "bg_bb":
        check_frequency_recency_n_periods(history, func=func, periods=periods)
    else:
        check_frequency_recency_T(history, func=func)
    spend = None
    if spend_model is not None:
        x, money = data.columns[0], data.columns[3]
        check_monetary_value(
            check_frequency_spend(Customers((x, money), data.index), func=func), func=func
        )
        spend = gg.conditional_expected_spend(x, money, **spend_model.params)
        if not (np.isfinite(spend).all() and math.isfinite(spend_model.mean_spend)):
            msg = (
                f"The 'spend_model' argument of {func} has an infinite mean spend (q = "
                f"{spend_model.q:.4g} <= 1): the expected spend of customers without repeat purchases, "
                "and of new customers, is infinite. Fit the spend model on more data, or forecast orders "
                "only (no spend_model)."
            )
            raise InvalidParameterError(msg)
    return history, spend


def _check_spend_model(spend_model: object, func: str) -> GammaGamma | None:
    if spend_model is None or isinstance(spend_model, GammaGamma):
        return spend_model
    msg = f"The 'spend_model' argument of {func} must be an rt.GammaGamma (fitted, or from known parameters), or None for orders only. Got {type(spend_model).__name__}."
    raise ColumnTypeError(msg)


def _plan(new_customers: object, index: pd.Index, func: str) -> Array:
    """Planned acquisitions per period: a number for every period, or a Series by period."""
    k = len(index)
    if new_customers is None:
        return np.zeros(k)
    fix = "Pass a number of new customers per period (>= 0), or a Series of them indexed by the forecast's periods."
    if isinstance(new_customers, pd.Series):
        labels = new_customers.index
        if isinstance(index, pd.PeriodIndex) and not isinstance(labels, pd.PeriodIndex):
            try:
                labels = pd.PeriodIndex(labels, freq=index.freq)
            except (ValueError, TypeError) as e:
                msg = f"The 'new_customers' Series passed to {func} must be indexed by the forecast's periods ({index[0]} ...). {fix}"
                raise InvalidParameterError(msg) from e
        if not labels.isin(index).all() or labels.has_duplicates:
            msg = f"The 'new_customers' Series passed to {func} has periods that are not forecast (or repeated): the forecast's periods are {index[0]} to {index[-1]}. {fix}"
            raise InvalidParameterError(msg)
        raw = pd.Series(new_customers.to_numpy(), index=labels)
        try:
            values = pd.to_numeric(raw, errors="coerce")
        except OverflowError:  # Python ints too large for a float: infinite, refused below
            values = pd.to_numeric(
                raw.map(lambda v: as_float(v) if is_whole(v) else v), errors="coerce"
            )
        plan = values.reindex(index, fill_value=0.0).to_numpy(dtype=np.float64)
        shown: object = new_customers
    else:
        if not is_number(new_customers):
            msg = f"The 'new_customers' parameter of {func} must be a number or a Series. Got {type(new_customers).__name__}. {fix}"
            raise InvalidParameterError(msg)
        # An int too large for a float is infinite here: refused below, as an infinite number is.
        plan = np.full(k, as_float(new_customers))
        shown = new_customers
    bad = ~(np.isfinite(plan) & (plan >= 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"The 'new_customers' parameter of {func} must be finite and >= 0 in every period: {int(bad.sum())} period(s), the first {index[first]} ({shown_value(plan[first] if isinstance(shown, pd.Series) else shown)}). Got {shown_value(shown) if not isinstance(shown, pd.Series) else 'a Series'}. {fix}"
        raise InvalidParameterError(msg)
    return plan


def _arrivals(plan: Array, bounds: Index) -> Array:
    """Spread each period's acquisitions evenly over its steps (days), from step 0."""
    n_steps = int(bounds[-1])
    lengths = np.diff(bounds)
    arrivals = np.zeros(n_steps)
    which = np.repeat(np.arange(len(plan)), lengths)
    arrivals[int(bounds[0]) :] = (plan / np.maximum(lengths, 1))[which]
    return arrivals


# --- the computation shared by forecast and backtest ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
    """The columns of a forecast (``total``) and of its existing customers alone (``existing``)."""

    total: dict[str, Array]
    existing: dict[str, Array]
    method: str


def _log_covariance(model: Any) -> Array | None:
    fit = getattr(model, "_fit", None)
    if fit is None:
        return None
    cov = np.asarray(fit.log_covariance, dtype=np.float64)
    return None if not np.isfinite(cov).any() else cov


def _columns(
    means: Array,
    bounds: tuple[Array, Array] | None,
    firsts: Array,
    *,
    mean_spend: float,
    money: bool,
) -> dict[str, Array]:
    """Label a forecast's four means (orders, cumulative, revenue, cumulative) and their bounds."""
    k = len(firsts)
    cum_firsts = np.cumsum(firsts)
    shift = np.concatenate([firsts, cum_firsts, mean_spend * firsts, mean_spend * cum_firsts])
    values = means + shift
    lower = upper = None
    if bounds is not None:
        lower, upper = bounds[0] + shift, bounds[1] + shift
    names = ["orders", "orders_cumulative"] + (["revenue", "revenue_cumulative"] if money else [])
    columns: dict[str, Array] = {}
    for i, name in enumerate(names):
        part = slice(i * k, (i + 1) * k)
        columns[name] = values[part]
        if lower is not None and upper is not None:
            low, high = lower[part], upper[part]
            if name.endswith("_cumulative"):
                # A cumulative total never falls from one period to the next, so neither do its quantiles;
                # the simulated ones, each period's with noise of its own, may. Sorted over the periods (the
                # monotone rearrangement of Chernozhukov, Fernandez-Val & Galichon 2009, which brings
                # estimates of a rising curve no farther from it), each bound rises with the horizon.
                low, high = np.sort(low), np.sort(high)
            columns[f"{name}_lower"], columns[f"{name}_upper"] = low, high
    return columns


def _compute(
    kind: str,
    model: Any,
    existing: core.Existing,
    grid: _Grid,
    *,
    arrivals: Array,
    firsts: Array,
    mean_spend: float,
    money: bool,
    level: float | None,
    n_draws: int,
    seed: int,
    func: str,
) -> _Result:
    """Forecast the existing customers and the total with new ones, with intervals from the same draws."""
    names = list(model.params)
    estimate = np.array([model.params[n] for n in names])
    times = grid.bounds.astype(np.float64) * grid.step
    has_new = bool(arrivals.any())
    k = len(grid.bounds) - 1

    def parts(params: Array, variance: bool) -> tuple[core.Moments, core.Moments]:
        values = dict(zip(names, map(float, params), strict=True))
        old = core.existing_moments(kind, values, existing, times, variance=variance, money=money)
        if not has_new:
            return old, old
        new = core.new_moments(
            kind, values, arrivals, grid.bounds, step=grid.step, mean_spend=mean_spend,
            variance=variance,
        )  # fmt: skip
        both = core.Moments(*(a + b for a, b in zip(_fields(old), _fields(new), strict=True)))
        return old, both

    def stacked(old: core.Moments, both: core.Moments, which: str) -> Array:
        first, second = (old.means(), both.means()) if which == "means" else (
            old.variances(), both.variances()
        )  # fmt: skip
        return np.concatenate([first, second]) if has_new else first

    def evaluate(params: Array) -> Array:
        return stacked(*parts(params, False), "means")

    old_point, point = parts(estimate, level is not None)
    means = stacked(old_point, point, "means")
    method = "none"
    bounds: tuple[Array, Array] | None = None
    if level is not None:
        rng = np.random.default_rng(seed)
        cov = _log_covariance(model)
        draws = None
        if cov is not None and n_draws > 0:
            check_size(
                2 * core.simulated_values(n_draws, len(means)),
                what="the simulated totals behind the intervals (draws x periods)",
                fix="Forecast fewer periods, or longer ones (freq=), or pass fewer n_draws= or interval=None.",
                func=func,
            )
            work = n_draws * (len(existing.group_x) * (k + 1) + len(existing.x) + k * 8)
            exact = work <= core.EXACT_DRAW_CELLS
            method = "exact" if exact else "linearised"
            draws = core.draw_totals(
                evaluate, estimate, cov, n_draws=n_draws, rng=rng, exact=exact, base=means
            )
        variances = stacked(old_point, point, "variances")
        bounds = core.interval_bounds(means, variances, draws, level=level, rng=rng)
    size = 4 * k
    old_bounds = total_bounds = None
    if bounds is not None:
        old_bounds = (bounds[0][:size], bounds[1][:size])
        total_bounds = (bounds[0][-size:], bounds[1][-size:])
    old_columns = _columns(
        means[:size], old_bounds, np.zeros(k), mean_spend=mean_spend, money=money
    )
    total = _columns(means[-size:], total_bounds, firsts, mean_spend=mean_spend, money=money)
    columns = {
        "existing_orders": old_point.orders,
        "new_first_orders": firsts,
        "new_repeat_orders": point.orders - old_point.orders,
        **total,
    }
    return _Result(columns, old_columns, method)


def _fields(m: core.Moments) -> tuple[Array, ...]:
    return (
        m.orders,
        m.orders_cumulative,
        m.revenue,
        m.revenue_cumulative,
        m.orders_var,
        m.orders_cumulative_var,
        m.revenue_var,
        m.revenue_cumulative_var,
    )


def _frame(result: _Result, index: pd.Index, level: float | None) -> pd.DataFrame:
    frame = pd.DataFrame(result.total, index=index)
    frame.attrs = {"interval": level, "parameter_draws": result.method}
    return frame


# --- rt.forecast ------------------------------------------------------------------------------------------


def forecast(
    transaction_model: BetaGeo | ModifiedBetaGeo | ParetoNBD | BetaGeoBetaBinom,
    summary: pd.DataFrame,
    *,
    periods: int,
    freq: str,
    time_unit: str | None = None,
    start: object = None,
    spend_model: GammaGamma | None = None,
    new_customers: float | pd.Series | None = None,
    interval: float | None = 0.9,
    n_draws: int = 1000,
    seed: int | None = None,
) -> pd.DataFrame:
    r"""Forecast the orders (and revenue) of the customer base, period by period, with an interval.

    Parameters
    ----------
    transaction_model : model
        ``rt.BetaGeo``, ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD`` (continuous time) or
        ``rt.BetaGeoBetaBinom`` (one transaction opportunity per period), fitted on ``summary`` (for the
        parameter uncertainty) or built from known parameters.
    summary : pandas.DataFrame or a table of another engine
        One row per existing customer: ``frequency``, ``recency``, ``T`` (or ``n_periods`` for the
        BG/BB) and, with a spend model, ``monetary_value``, as made by ``rt.rfm_summary``. May be empty
        (new customers only).
    periods : int
        The number $K$ of periods to forecast, >= 1.
    freq : {"D", "W", "M", "Q", "Y"}
        The length of a period. For the BG/BB, the period of one opportunity.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The unit of ``recency`` and ``T`` in the summary (``rt.rfm_summary(..., time_unit=...)``); needed
        for the continuous-time models. For the BG/BB it must be None or ``freq``.
    start : date-like, optional
        The first day of the forecast: the day after the summary's observation end. Periods are then
        calendar periods (a PeriodIndex), the first from ``start`` to the end of its period (pass the
        first day of a period for whole periods). None: periods of the mean length (a month is
        30.436875 days, rounded to whole days at the bounds), labelled 1 to $K$.
    spend_model : rt.GammaGamma, optional
        Adds revenue: each existing customer's conditional expected spend per transaction, the
        population mean spend for new customers.
    new_customers : float or pandas.Series, optional
        Planned acquisitions per period: a number for every period, or a Series indexed by the forecast's
        periods (missing periods: 0). Each is a first order in its period, spread evenly over the
        period's days; their repeat orders follow the model's $E[X(t)]$.
    interval : float or None, default 0.9
        The probability of the interval; None for point forecasts only.
    n_draws : int, default 1000
        Draws of the parameters (0: count noise only).
    seed : int, optional
        The seed of the draws; None uses seed 0, so the same call gives the same interval.

    Returns
    -------
    pandas.DataFrame
        One row per period (index ``period``), columns ``existing_orders`` (expected repeat orders of
        the customers of the summary), ``new_first_orders``, ``new_repeat_orders``, ``orders`` (their
        sum), ``orders_lower``, ``orders_upper``, ``orders_cumulative`` and its bounds, and with a spend
        model the same for ``revenue``. Bounds are left out when ``interval`` is None. ``attrs`` records
        the interval and how the parameter draws were evaluated (``"exact"``, ``"linearised"`` or
        ``"none"``).

    Raises
    ------
    ColumnTypeError
        If a model is not one of those listed or the summary is not a DataFrame.
    InvalidParameterError
        If ``periods`` <= 0, ``freq``, ``time_unit``, ``start``, ``interval``, ``n_draws``, ``seed`` is
        not accepted, ``new_customers`` is negative, not finite, or labelled by other periods, or the
        spend model's mean spend is infinite ($q \le 1$).
    InvalidValueError, ColumnNotFoundError
        If the summary breaks the rules of its columns, or a spend model is given without a
        ``monetary_value`` column.

    See Also
    --------
    forecast_customers : The per-customer table behind it.
    backtest : Fit, forecast a holdout and compare with naive forecasts.
    retention.tracking_table : The same expectation over past periods.

    Notes
    -----
    With $t_k$ the end of period $k$ after the observation end (in the model's time unit), existing
    customers contribute $\sum_i E[Y_i(t_k) \mid x_i, t_{x,i}, T_i] - E[Y_i(t_{k-1}) \mid \ldots]$
    (Fader, Hardie & Lee 2005, eq. 10; Fader & Hardie 2005, eq. 41; Fader, Hardie & Shang 2010,
    eq. 13), and a cohort of $n$ new customers acquired on day $f$ contributes $n$ first orders and
    $n\,E[X(e - f)]$ repeat orders by day $e$ (Fader, Hardie & Lee 2005, eq. 9): the computation of
    ``rt.tracking_table`` (:func:`retention.core.clv.forecast.cohort_expected`). Revenue multiplies by
    the Gamma-Gamma conditional spend (Fader, Hardie & Lee 2005b).

    **The interval** covers two sources of error. Parameter uncertainty: $\log\theta \sim
    N(\log\hat\theta, \Sigma)$ with $\Sigma$ the fit's covariance of the log-parameters, ``n_draws``
    draws from ``seed``, each evaluated exactly while draws times model evaluations stay below
    $2 \cdot 10^6$, else through the first-order expansion around $\hat\theta$ (the delta method;
    ``attrs["parameter_draws"]`` says which). Count noise: customers' counts are independent; each is
    Poisson given its alive state at the window's start and its purchase rate drawn from its posterior,
    an approximation that leaves out dropout inside the window (details on the "Forecasting sales"
    page), added as normal noise to each draw's total (without draws, the bounds are the normal
    quantiles of the total: exact, nothing simulated). Not covered: the model being wrong, changes in
    the business, the spend model's parameter uncertainty and the spread of single order amounts. A
    model built from known parameters has no parameter uncertainty.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy way: an
    alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
    Fader, P. S. and Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
    expressions. Fader, P. S., Hardie, B. G. S. and Shang, J. (2010). Customer-base analysis in a
    discrete-time noncontractual setting. *Marketing Science* 29(6), 1086-1108.

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", amount="amount")
    >>> model = rt.BetaGeo.fit(summary)
    >>> result = rt.forecast(model, summary, periods=3, freq="M", time_unit="W", start="2025-01-01",
    ...                      spend_model=rt.GammaGamma.fit(summary), new_customers=100, seed=1)
    >>> result[["orders", "orders_lower", "orders_upper", "revenue"]].round(0)
             orders  orders_lower  orders_upper  revenue
    period
    2025-01   418.0         385.0         452.0  14207.0
    2025-02   389.0         355.0         422.0  13261.0
    2025-03   422.0         387.0         458.0  14418.0
    """
    func = "forecast"
    kind = _kind(transaction_model, func)
    spend_model = _check_spend_model(spend_model, func)
    k = _FORECAST.check("periods", periods)
    period = _FORECAST.check("freq", freq)
    level = _FORECAST.check("interval", interval)
    draws = _FORECAST.check("n_draws", n_draws)
    rng_seed = _seed(_FORECAST.check("seed", seed))
    grid = _grid(kind, k, period, time_unit=time_unit, start=start, func=func)
    history, spend = _read_summary(kind, summary, spend_model, func)
    plan = _plan(new_customers, grid.index, func)
    check_size(
        int(grid.bounds[-1]) * k if plan.any() else 0,
        what="the table of new customers' windows (periods x days)",
        fix="Forecast fewer periods, or longer ones.",
        func=func,
    )
    x, tx, T = history.columns
    existing = core.prepare_existing(x, tx, T, spend)
    arrivals = plan.copy() if kind == "bg_bb" else _arrivals(plan, grid.bounds)
    mean_spend = spend_model.mean_spend if spend_model is not None else 1.0
    result = _compute(
        kind,
        transaction_model,
        existing,
        grid,
        arrivals=arrivals,
        firsts=plan,
        mean_spend=mean_spend,
        money=spend_model is not None,
        level=level,
        n_draws=draws,
        seed=rng_seed,
        func=func,
    )
    return _frame(result, grid.index, level)


def forecast_customers(
    transaction_model: BetaGeo | ModifiedBetaGeo | ParetoNBD | BetaGeoBetaBinom,
    summary: pd.DataFrame,
    *,
    periods: int,
    freq: str,
    time_unit: str | None = None,
    start: object = None,
    spend_model: GammaGamma | None = None,
) -> pd.DataFrame:
    r"""Tabulate each customer's expected orders (and revenue) over the forecast horizon, for targeting.

    Parameters
    ----------
    transaction_model, summary, periods, freq, time_unit, start, spend_model
        As in :func:`forecast`.

    Returns
    -------
    pandas.DataFrame
        On the summary's index: ``p_alive`` (at the observation end; at the next opportunity for the
        BG/BB), ``expected_orders`` over the horizon, and with a spend model ``expected_spend`` (per
        order) and ``expected_revenue``. Summed over customers, ``expected_orders`` is the total of
        ``forecast(...)["existing_orders"]``.

    Raises
    ------
    ColumnTypeError, InvalidParameterError, InvalidValueError, ColumnNotFoundError
        As in :func:`forecast`.

    See Also
    --------
    forecast : The totals per period, with new customers and an interval.

    Notes
    -----
    ``expected_orders`` is $E[Y_i(t_K)] - E[Y_i(t_0)]$, the model's conditional expectation over the
    horizon (Fader, Hardie & Lee 2005, eq. 10, and its counterparts in the other models).

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", amount="amount")
    >>> table = rt.forecast_customers(rt.BetaGeo.fit(summary), summary, periods=12, freq="M",
    ...                               time_unit="W", spend_model=rt.GammaGamma.fit(summary))
    >>> table.sort_values("expected_revenue", ascending=False).head(3).round(2)
                 p_alive  expected_orders  expected_spend  expected_revenue
    customer_id
    1748            0.94             9.19          121.24           1114.50
    2412            0.93            22.21           48.71           1081.76
    1351            0.93            12.20           77.01            939.58
    """
    func = "forecast_customers"
    kind = _kind(transaction_model, func)
    spend_model = _check_spend_model(spend_model, func)
    k = _FORECAST_CUSTOMERS.check("periods", periods)
    period = _FORECAST_CUSTOMERS.check("freq", freq)
    grid = _grid(kind, k, period, time_unit=time_unit, start=start, func=func)
    history, spend = _read_summary(kind, summary, spend_model, func)
    x, tx, T = history.columns
    existing = core.prepare_existing(x, tx, T, spend)
    times = grid.bounds.astype(np.float64) * grid.step
    alive, orders = core.customer_totals(
        kind, transaction_model.params, existing, float(times[0]), float(times[-1])
    )
    data: dict[str, Array] = {"p_alive": alive, "expected_orders": orders}
    if spend is not None:
        data["expected_spend"] = spend
        data["expected_revenue"] = orders * spend
    return pd.DataFrame(data, index=history.index)


# --- rt.backtest ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Backtest:
    r"""The result of :func:`backtest`: the per-period table, the error summary and the models.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per holdout period: ``actual`` (repeat transactions of the calibration customers),
        ``forecast``, ``lower``, ``upper`` and one column per baseline; with spend, the same for revenue
        (``revenue_actual``, ``revenue_forecast``, ...); ``all_orders`` (the transactions of every
        customer, first purchases and new customers included) with ``all_orders_forecast`` and so on,
        and ``new_customers``.
    errors : pandas.DataFrame
        Index (``measure``, ``forecast``), measures ``orders``, ``revenue`` (with spend) and
        ``all_orders``: ``mae``, ``wape``, ``bias``, ``coverage`` and ``cumulative_error`` for the model
        and each baseline.
    skill : pandas.Series
        Per measure, $1 - \mathrm{MAE}_\text{model} / \min_b \mathrm{MAE}_b$: above 0 when the model
        beats the best baseline.
    model, spend_model : model
        The fitted (or given) models.
    interval : float or None
        The interval's probability.
    """

    table: pd.DataFrame
    errors: pd.DataFrame
    skill: pd.Series
    model: Any = None
    spend_model: Any = None
    interval: float | None = None
    calibration_end: pd.Timestamp | None = None
    baselines: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        lines = [
            f"Backtest of {type(self.model).__name__} from {self.calibration_end.date() if self.calibration_end is not None else '-'}: {len(self.table)} holdout period(s)",
        ]
        for measure, value in self.skill.items():
            verdict = "beats" if value > 0 else "does not beat"
            lines.append(
                f"{measure}: skill {value:.3f} (the model {verdict} the best baseline in MAE)"
            )
        lines.append(self.errors.round(3).to_string())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html  # noqa: PLC0415

        head = html.escape(repr(self).splitlines()[0])
        skills = "".join(
            f"<li>{html.escape(str(m))}: skill {v:.3f}</li>" for m, v in self.skill.items()
        )
        return (
            f"<div><p>{head}</p><ul>{skills}</ul>{self.errors.round(3).to_html()}"
            f"{self.table.round(2).to_html()}</div>"
        )

    def plot(self, **kwargs: Any) -> Any:
        """Draw the holdout actual against the forecast and its interval (``retention.plot.forecast``)."""
        from retention.plot.forecasting import forecast as draw  # noqa: PLC0415

        return draw(self, **kwargs)


def _baseline(name: str, history: Array, codes: Index, target: Index, freq: str) -> Array:
    """Forecast the periods ``target`` naively from the values ``history`` of the periods ``codes``."""
    h = len(target)
    if len(history) == 0:
        return np.full(h, np.nan)
    if name == "naive":
        return np.full(h, history[-1])
    if name == "mean":
        total = float(group_sums(np.zeros(len(history), dtype=np.int64), history, 1)[0])
        return np.full(h, total / len(history))
    season = _SEASON[freq]
    last = int(codes[-1])
    back = target - season * np.ceil((target - last) / season).astype(np.int64)
    where = back - int(codes[0])
    ok = where >= 0
    out = np.full(h, np.nan)
    out[ok] = history[where[ok]]
    return out


def _errors(
    actual: Array, forecasts: dict[str, Array], lower: Array | None, upper: Array | None
) -> pd.DataFrame:
    rows = {}
    total = float(actual.sum())
    for name, f in forecasts.items():
        if np.isnan(f).any():
            rows[name] = dict.fromkeys(
                ("mae", "wape", "bias", "coverage", "cumulative_error"), math.nan
            )
            continue
        err = f - actual
        coverage = math.nan
        if name == "model" and lower is not None and upper is not None:
            coverage = float(np.mean((actual >= lower) & (actual <= upper)))
        with np.errstate(over="ignore"):  # amounts of a few ulps: the ratio is beyond floats, inf
            wape = float(np.abs(err).sum() / total) if total > 0 else math.nan
        rows[name] = {
            "mae": float(np.mean(np.abs(err))),
            "wape": wape,
            "bias": float(np.mean(err)),
            "coverage": coverage,
            "cumulative_error": float(err.sum()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "forecast"
    return frame


def _model_of(model: object, func: str) -> tuple[str, type | None, Any]:
    if isinstance(model, str):
        if model not in _BY_NAME:
            msg = f"The 'model' parameter of {func} must be one of {list(_BY_NAME)}, or a model value such as rt.BetaGeo(...). Got {model!r}."
            raise InvalidParameterError(msg)
        return model, _BY_NAME[model], None
    kind = _MODELS.get(type(model))
    if kind is None or kind == "bg_bb":
        msg = f"The 'model' parameter of {func} must be one of {list(_BY_NAME)}, or a model value such as rt.BetaGeo(...). Got {type(model).__name__}."
        raise InvalidParameterError(msg)
    return kind, None, model


@transaction_options
def backtest(
    tx: pd.DataFrame,
    *,
    model: str | BetaGeo | ModifiedBetaGeo | ParetoNBD = "bg_nbd",
    calibration_end: DateLike,
    observation_end: DateLike | None = None,
    freq: str = "W",
    time_unit: str = "W",
    spend: bool | GammaGamma = True,
    baselines: Sequence[str] = _BASELINES,
    interval: float | None = 0.9,
    n_draws: int = 1000,
    seed: int | None = None,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    returns: str = "net",
) -> Backtest:
    r"""Fit on a calibration span, forecast the holdout period by period and compare with naive forecasts.

    Parameters
    ----------
    <transaction table>
        The purchases of the calibration span and of the holdout together, in one table.
    model : {"bg_nbd", "pareto_nbd", "mbg_nbd"} or model, default "bg_nbd"
        The model to fit on the calibration summary, or a model value to use as it is (no fit).
    calibration_end : date-like
        The last day of the calibration span (inclusive).
    freq : {"D", "W", "M", "Q", "Y"}, default "W"
        The periods of the holdout: whole periods after ``calibration_end`` up to the last complete one.
    time_unit : {"D", "W", "M", "Q", "Y"}, default "W"
        The unit of the calibration summary the model is fitted on.
    spend : bool or rt.GammaGamma, default True
        Also forecast revenue, with a Gamma-Gamma fitted on the calibration summary (or the one given).
    baselines : sequence of {"naive", "seasonal_naive", "mean"}
        The naive forecasts of each holdout period from the calibration periods' actual values: the
        last one, the one a season before (52 weeks, 12 months, 4 quarters, 7 days, 1 year; NaN without
        that much history), their mean.
    interval, n_draws, seed
        As in :func:`forecast`.
    <transaction options>

    Returns
    -------
    Backtest
        ``.table`` (per holdout period), ``.errors`` (the error summary), ``.skill``, ``.plot()``.

    Raises
    ------
    InvalidParameterError
        If ``calibration_end`` is before the first purchase or not before the observation end, the
        holdout is shorter than one whole period, or an option is not accepted.
    <reading errors>
    ConvergenceError
        If a model cannot be fitted on the calibration span.

    See Also
    --------
    forecast : The forecast itself.
    retention.tracking_table : The tracking check over calibration and holdout.

    Notes
    -----
    **Actual orders.** The model counts repeat transactions as ``rt.rfm_summary`` does: days with a
    purchase after the first purchase day, several orders of one day merged. ``actual`` counts exactly
    those of the calibration customers in each holdout period. ``all_orders`` counts the transactions of
    every customer the same way (a first purchase day is one), and ``new_customers`` the customers whose
    first purchase falls in the period; ``all_orders_forecast`` is the model's forecast of the whole
    business with those acquisitions (day by day) as the plan of new customers, so it checks the
    forecast of new customers' repeat purchases too, given the acquisitions. The calibration summary is
    ``rt.rfm_summary(tx, calibration_end=..., time_unit=...)``.

    **Errors.** Over the $H$ holdout periods with actual $a_h$ and forecast $f_h$: MAE
    $\frac{1}{H}\sum |f_h - a_h|$, WAPE $\sum |f_h - a_h| / \sum a_h$, bias $\frac{1}{H}\sum (f_h - a_h)$,
    coverage the share of periods with $a_h$ inside the interval, cumulative error $\sum (f_h - a_h)$.
    Skill $1 - \mathrm{MAE}/\min_b \mathrm{MAE}_b$ over the baselines $b$ (Hyndman & Koehler 2006 on
    scaled errors).

    References
    ----------
    Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast accuracy.
    *International Journal of Forecasting* 22(4), 679-688.

    Examples
    --------
    >>> import retention as rt
    >>> result = rt.backtest(rt.example_transactions(), calibration_end="2024-06-30", freq="M", seed=1)
    >>> result.table[["actual", "forecast", "lower", "upper", "naive"]].round(1)
             actual  forecast  lower  upper  naive
    period
    2024-07   237.0     246.7  217.0  277.0  231.0
    2024-08   220.0     230.3  200.6  260.9  231.0
    2024-09   218.0     210.4  181.8  239.6  231.0
    2024-10   201.0     206.6  178.2  236.1  231.0
    2024-11   187.0     191.0  163.2  219.7  231.0
    2024-12   183.0     189.2  160.2  217.9  231.0
    >>> result.errors.loc["orders"].round(2)
                      mae  wape   bias  coverage  cumulative_error
    forecast
    model            7.22  0.03   4.69       1.0             28.11
    naive           25.33  0.12  23.33       NaN            140.00
    seasonal_naive  46.00  0.22 -42.67       NaN           -256.00
    mean            54.78  0.26 -54.78       NaN           -328.67
    >>> round(float(result.skill["orders"]), 2)  # 1 - 7.22 / 25.33: the model beats the naive forecast
    0.71
    """
    func = "backtest"
    checked = backtest_options(locals())
    options = shared_options(locals())  # the transaction options, passed on to rfm_summary too
    t = read_transactions(tx, func=func, amount_required=checked.money, **options)
    if t.n_rows == 0 or t.end_day is None:
        return _empty_backtest(checked.period, checked.chosen, checked.money, checked.level)
    periods = holdout_periods(
        int(t.days.min()), int(t.end_day), calibration_end, checked.period, func
    )
    tally = holdout_tally(t, periods[0], checked.period, periods[1], money=checked.money)
    return backtest_of(tx, tally, periods, checked, options)


@dataclass(frozen=True)
class BacktestOptions:
    """The checked options of :func:`backtest`."""

    kind: str
    cls: Any
    given: Any
    spend: Any
    period: str
    unit: str
    level: float | None
    draws: int
    seed: int
    chosen: tuple[str, ...]

    @property
    def money(self) -> bool:
        """Whether revenue is forecast too."""
        return self.spend is not False


def backtest_options(arguments: Mapping[str, Any]) -> BacktestOptions:
    """Check the options of :func:`backtest` among its arguments by name."""
    func = "backtest"
    spend = arguments.get("spend", True)
    calibration_end = arguments.get("calibration_end")
    if calibration_end is None:
        msg = f"The 'calibration_end' parameter of {func} is needed: the last day of the calibration span, such as '2024-06-30'. Got None."
        raise InvalidParameterError(msg)
    read_date(calibration_end, "calibration_end", func)  # a date, whatever the table holds
    kind, cls, given = _model_of(arguments.get("model", "bg_nbd"), func)
    period = _BACKTEST.check("freq", arguments.get("freq", "W"))
    unit = _BACKTEST.check("time_unit", arguments.get("time_unit", "W"))
    level = _BACKTEST.check("interval", arguments.get("interval", 0.9))
    draws = _BACKTEST.check("n_draws", arguments.get("n_draws", 1000))
    rng_seed = _seed(_BACKTEST.check("seed", arguments.get("seed")))
    chosen = _check_baselines_and_spend(arguments.get("baselines", _BASELINES), spend, func)
    return BacktestOptions(kind, cls, given, spend, period, unit, level, draws, rng_seed, chosen)


def backtest_of(
    tx: Any,
    tally: HoldoutTally,
    periods: tuple[int, Index, Index],
    checked: BacktestOptions,
    options: Mapping[str, Any],
    *,
    summary: pd.DataFrame | None = None,
) -> Backtest:
    """:func:`backtest` of a table's holdout tally, with the model fitted on its calibration summary.

    ``periods`` are those of :func:`holdout_periods` (the calibration end checked against the whole
    table), ``options`` the transaction options. The summary is ``rt.rfm_summary`` of ``tx`` unless
    given (a cluster makes it in the pass that makes the tally, and only the summary comes here).
    """
    func = "backtest"
    cut, codes, bounds = periods
    kind, spend, period, unit = checked.kind, checked.spend, checked.period, checked.unit
    money = checked.money
    held = holdout_of(tally, cut, period, codes, money=money, n_days=int(bounds[-1]))
    if summary is None:
        # A day checked against the whole table, which read_cutoff takes as it is: passed through the
        # public option (typed for what users pass).
        end = cast("DateLike", Cutoff(cut))
        summary = rfm_summary(tx, time_unit=unit, calibration_end=end, **options)
    fit_model = checked.given if checked.given is not None else checked.cls.fit(summary)
    spend_model: GammaGamma | None = None
    if isinstance(spend, GammaGamma):
        spend_model = spend
    elif spend:
        spend_model = GammaGamma.fit(summary)
    history, z = _read_summary(kind, summary, spend_model, func)
    x, tx_, T = history.columns
    existing = core.prepare_existing(x, tx_, T, z)

    grid = _Grid(period_index(codes, period, name="period"), bounds, 1.0 / PERIOD_DAYS[unit])
    mean_spend = spend_model.mean_spend if spend_model is not None else 1.0
    # One forecast, one set of draws: the calibration customers alone, and the whole business with the
    # holdout's actual acquisitions (day by day) as the plan of new customers.
    result = _compute(
        kind, fit_model, existing, grid, arrivals=held.arrivals, firsts=held.new_customers,
        mean_spend=mean_spend, money=money, level=checked.level, n_draws=checked.draws,
        seed=checked.seed, func=func,
    )  # fmt: skip
    chosen = checked.chosen
    table: dict[str, Array] = {}
    errors: dict[str, pd.DataFrame] = {}
    shared = (result.existing, chosen, held, period)
    _measure(
        table, errors, "orders", actual=held.orders, history=held.history_orders, shared=shared
    )
    if money:
        _measure(
            table,
            errors,
            "revenue",
            actual=held.revenue,
            history=held.history_revenue,
            shared=shared,
        )
    shared = (result.total, chosen, held, period)
    _measure(table, errors, "all_orders", actual=held.all_orders, history=held.history_all, shared=shared)  # fmt: skip
    table["new_customers"] = held.new_customers
    summary_frame = pd.concat(errors, names=["measure", "forecast"])
    skill = pd.Series(
        {m: _skill(frame) for m, frame in errors.items()}, name="skill", dtype=np.float64
    )
    skill.index.name = "measure"
    return Backtest(
        table=pd.DataFrame(table, index=grid.index),
        errors=summary_frame,
        skill=skill,
        model=fit_model,
        spend_model=spend_model,
        interval=checked.level,
        calibration_end=pd.Timestamp(np.datetime64(cut, "D")),
        baselines=chosen,
    )


def _check_baselines_and_spend(baselines: object, spend: object, func: str) -> tuple[str, ...]:
    """Check the baselines' names and the spend option; return the baselines as a tuple."""
    chosen = (baselines,) if isinstance(baselines, str) else tuple(baselines)  # type: ignore[arg-type]
    for name in chosen:
        if name not in _BASELINES:
            msg = f"The 'baselines' parameter of {func} must list names from {list(_BASELINES)}. Got {name!r}."
            raise InvalidParameterError(msg)
    if not isinstance(spend, bool | GammaGamma):
        msg = f"The 'spend' parameter of {func} must be True, False or an rt.GammaGamma. Got {type(spend).__name__}."
        raise InvalidParameterError(msg)
    return chosen


def holdout_periods(
    first_day: int, end_day: int, calibration_end: object, period: str, func: str
) -> tuple[int, Index, Index]:
    """Return the calibration end day, the whole holdout periods' codes and their bounds in days.

    ``first_day`` and ``end_day`` are the table's first purchase day and observation end.
    """
    if read_date(calibration_end, "calibration_end", func) < first_day:
        msg = (
            f"The data passed to {func} have no purchase on or before calibration_end "
            f"({plain_value(calibration_end)!r}): the first purchase is on {np.datetime64(first_day, 'D')}. "
            "Pass a later calibration_end: the model is fitted on the purchases up to it."
        )
        raise InvalidValueError(msg)
    day = read_date(calibration_end, "calibration_end", func)
    cut = check_cutoff(day, calibration_end, first_day, end_day, name="calibration_end", func=func)
    first_code, last_code = holdout_range(cut, end_day, period)
    if last_code < first_code:
        msg = (
            f"The holdout of {func} is shorter than one whole period (freq={period!r}): from the day after "
            f"calibration_end ({np.datetime64(cut + 1, 'D')}) to the observation end "
            f"({np.datetime64(end_day, 'D')}). Pass an earlier calibration_end, a later observation_end "
            "or a shorter freq."
        )
        raise InvalidParameterError(msg)
    codes = np.arange(first_code, last_code + 1, dtype=np.int64)
    starts = period_start_days(codes, period)
    ends = period_start_days(codes + 1, period)
    bounds = (np.concatenate([[starts[0]], ends]) - (cut + 1)).astype(np.int64)
    return cut, codes, bounds


def holdout_range(cut: int, end_day: int, period: str) -> tuple[int, int]:
    """Return the codes of the first and last whole holdout period (last < first when there is none)."""
    first_code = int(day_period_codes(np.array([cut + 1], dtype=np.int64), period)[0])
    if int(period_start_days(np.array([first_code]), period)[0]) < cut + 1:
        first_code += 1  # the holdout starts with the first whole period
    return first_code, last_complete_period(end_day, period)


@dataclass(frozen=True, slots=True)
class _Holdout:
    """Actual values per holdout period, and the calibration periods' values for the baselines."""

    codes: Index
    history_codes: Index
    orders: Array
    history_orders: Array
    all_orders: Array
    history_all: Array
    new_customers: Array
    arrivals: Array
    revenue: Array
    history_revenue: Array


def _counts(codes: Index, lo: int, hi: int) -> Array:
    """How many of ``codes`` fall on each period ``lo .. hi``."""
    inside = codes[(codes >= lo) & (codes <= hi)] - lo
    return np.bincount(inside, minlength=max(hi - lo + 1, 0)).astype(np.float64)


@dataclass(frozen=True)
class HoldoutTally:
    """What :func:`backtest` counts of a table: histograms and exact partial sums.

    They add up over disjoint sets of customers (the partitions of a cluster).

    Attributes
    ----------
    cohort_first : int or None
        The earliest first purchase day of the customers acquired by the calibration end.
    repeat, every, before : Histogram
        Period codes of the (customer, day) pairs: the cohort's repeat purchases, all, those on or before
        the calibration end.
    firsts : Histogram
        Every customer's first purchase day.
    revenue : Partials or None
        The cohort's revenue after the calibration end per holdout period (None without amounts).
    history : tuple of (int, Partials) or None
        The cohort's repeat revenue up to the calibration end per period, from the period code given.
    """

    cohort_first: int | None
    repeat: Histogram
    every: Histogram
    before: Histogram
    firsts: Histogram
    revenue: Partials | None
    history: tuple[int, Partials] | None

    def __add__(self, other: HoldoutTally) -> HoldoutTally:
        """Add the tallies of two disjoint sets of customers."""
        firsts = [f for f in (self.cohort_first, other.cohort_first) if f is not None]
        revenue = self.revenue
        if other.revenue is not None:
            revenue = other.revenue if revenue is None else add_partials(revenue, other.revenue)
        return HoldoutTally(
            min(firsts) if firsts else None,
            self.repeat + other.repeat,
            self.every + other.every,
            self.before + other.before,
            self.firsts + other.firsts,
            revenue,
            _add_from(self.history, other.history),
        )


def _add_from(
    a: tuple[int, Partials] | None, b: tuple[int, Partials] | None
) -> tuple[int, Partials] | None:
    """Add partial sums per period code that start at different codes (and end at the same one)."""
    if a is None or b is None:
        return a if b is None else b
    start = min(a[0], b[0])
    n = max(a[0] + len(a[1].count), b[0] + len(b[1].count)) - start
    placed = [scatter_partials(p, np.arange(len(p.count)) + (s - start), n) for s, p in (a, b)]
    return start, add_partials(placed[0], placed[1])


def holdout_tally(
    t: Transactions, cut: int, period: str, codes: Index, *, money: bool
) -> HoldoutTally:
    """Count what :func:`backtest` compares with its forecasts, for a table already read."""
    pairs = t.activity("D")
    cohort = pairs.first_period <= cut
    day_code = day_period_codes(pairs.period, period)
    repeat = (pairs.period != pairs.first_period[pairs.customer]) & cohort[pairs.customer]
    revenue = history = None
    if money and len(codes):
        lo, hi = int(codes[0]), int(codes[-1])
        hist_hi = last_complete_period(cut, period)
        customer, day, amounts = t.net()
        code = day_period_codes(day, period)
        keep = cohort[customer] & (day > cut) & (code >= lo) & (code <= hi)
        revenue = partial_sums([(code[keep] - lo, amounts[keep])], hi - lo + 1)
        # Calibration revenue of repeat transactions: days after the customer's first purchase day.
        before = cohort[customer] & (day <= cut) & (day != pairs.first_period[customer])
        keep = before & (code <= hist_hi)
        if keep.any():
            start = int(code[keep].min())
            history = (
                start,
                partial_sums([(code[keep] - start, amounts[keep])], hist_hi - start + 1),
            )
    return HoldoutTally(
        int(pairs.first_period[cohort].min()) if cohort.any() else None,
        Histogram.of(day_code[repeat]),
        Histogram.of(day_code),
        Histogram.of(day_code[pairs.period <= cut]),
        Histogram.of(pairs.first_period),
        revenue,
        history,
    )


def holdout_of(
    tally: HoldoutTally, cut: int, period: str, codes: Index, *, money: bool, n_days: int
) -> _Holdout:
    """Count per period the calibration customers' repeat transactions, everyone's, new customers."""
    lo, hi = int(codes[0]), int(codes[-1])
    assert tally.cohort_first is not None  # the calibration end is on or after the first purchase
    hist_lo = int(day_period_codes(np.array([tally.cohort_first], dtype=np.int64), period)[0])
    hist_hi = last_complete_period(cut, period)
    history_codes = np.arange(hist_lo, hist_hi + 1, dtype=np.int64)
    revenue = history_revenue = np.zeros(0)
    if money:
        revenue = (
            sums_of_partials(tally.revenue) if tally.revenue is not None else np.zeros(len(codes))
        )
        history_revenue = np.zeros(len(history_codes))
        if tally.history is not None:
            # Periods from the cohort's first one (returns dated before a first purchase are left out).
            start, sums = tally.history
            at = np.arange(len(sums.count), dtype=np.int64) + (start - hist_lo)
            inside = at >= 0
            placed = scatter_partials(take_partials(sums, inside), at[inside], len(history_codes))
            history_revenue = sums_of_partials(placed)
    repeat = tally.repeat.values()
    firsts = tally.firsts.values()
    return _Holdout(
        codes=codes,
        history_codes=history_codes,
        orders=_counts(repeat, lo, hi),
        history_orders=_counts(repeat, hist_lo, hist_hi),
        all_orders=_counts(tally.every.values(), lo, hi),
        history_all=_counts(tally.before.values(), hist_lo, hist_hi),
        new_customers=_counts(day_period_codes(firsts, period), lo, hi),
        arrivals=_counts(firsts - (cut + 1), 0, n_days - 1),
        revenue=revenue,
        history_revenue=history_revenue,
    )


def _measure(
    table: dict[str, Array],
    errors: dict[str, pd.DataFrame],
    measure: str,
    *,
    actual: Array,
    history: Array,
    shared: tuple[dict[str, Array], tuple[str, ...], _Holdout, str],
) -> None:
    """Add a measure's actual, forecast, interval and baselines to the table, and its errors.

    ``orders``: columns ``actual``, ``forecast``, ...; ``revenue``: ``revenue_actual``, ...;
    ``all_orders``: ``all_orders`` (actual), ``all_orders_forecast``, ....
    """
    columns, chosen, held, period = shared
    prefix = "" if measure == "orders" else f"{measure}_"
    key = "revenue" if measure == "revenue" else "orders"
    table["all_orders" if measure == "all_orders" else f"{prefix}actual"] = actual
    table[f"{prefix}forecast"] = columns[key]
    lower, upper = columns.get(f"{key}_lower"), columns.get(f"{key}_upper")
    if lower is not None and upper is not None:
        table[f"{prefix}lower"], table[f"{prefix}upper"] = lower, upper
    forecasts = {"model": columns[key]}
    for name in chosen:
        forecasts[name] = _baseline(name, history, held.history_codes, held.codes, period)
        table[f"{prefix}{name}"] = forecasts[name]
    errors[measure] = _errors(actual, forecasts, lower, upper)


def _skill(frame: pd.DataFrame) -> float:
    baseline = frame["mae"].drop("model").dropna()
    if baseline.empty or not baseline.min() > 0:
        return math.nan
    with np.errstate(over="ignore"):  # errors of a few ulps against larger ones: -inf
        return float(1.0 - frame.loc["model", "mae"] / baseline.min())


def _empty_backtest(
    freq: str, chosen: tuple[str, ...], money: bool, level: float | None
) -> Backtest:
    bounds = ["lower", "upper"] if level is not None else []
    columns = ["actual", "forecast", *bounds, *chosen]
    if money:
        columns += [f"revenue_{c}" for c in ("actual", "forecast", *bounds, *chosen)]
    columns += ["all_orders", *(f"all_orders_{c}" for c in ("forecast", *bounds, *chosen))]
    columns += ["new_customers"]
    index = period_index(np.empty(0, dtype=np.int64), freq, name="period")
    table = pd.DataFrame({c: np.empty(0) for c in columns}, index=index)
    errors = pd.DataFrame(
        {c: np.empty(0) for c in ("mae", "wape", "bias", "coverage", "cumulative_error")},
        index=pd.MultiIndex.from_arrays([[], []], names=["measure", "forecast"]),
    )
    return Backtest(
        table, errors, pd.Series(dtype=np.float64, name="skill"), interval=level, baselines=chosen
    )
