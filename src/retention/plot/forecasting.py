"""Plots of sales forecasts (``rt.forecast``) and their backtests (``rt.backtest``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retention.errors import ColumnNotFoundError, ColumnTypeError, InvalidParameterError
from retention.plot._common import (
    check_ax,
    check_numeric,
    colour,
    column_values,
    empty_axes,
    line_chart_axes,
    new_axes,
    period_labels,
    period_unit,
    set_category_ticks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["forecast"]

_MEASURES = ("orders", "revenue")


def forecast(
    result: Any,
    *,
    measure: str = "orders",
    cumulative: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Draw a forecast with its interval; for a backtest, against the actual values and the baselines.

    Parameters
    ----------
    result : pandas.DataFrame or retention.Backtest
        What :func:`retention.forecast` or :func:`retention.backtest` returned. Not modified.
    measure : {"orders", "revenue"}, default "orders"
        Which forecast to draw (revenue needs a spend model).
    cumulative : bool, default False
        Draw running totals instead of the values of each period. A forecast's cumulative interval is
        its own (``orders_cumulative_lower`` ...); a backtest has per-period intervals only, so its
        cumulative plot has no band.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The forecast as a line labelled ``"forecast"`` with the interval as a shaded band; for a
        backtest, the actual values as a black line labelled ``"actual"`` and each baseline dotted.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``result`` is not a forecast or a backtest, or lacks the measure's columns.
    InvalidParameterError
        If ``measure`` is not accepted, or ``ax`` is an Axes of another projection (polar, 3D).
    InvalidValueError
        If a column drawn holds an infinite value (a missing value, NaN, is left out).

    See Also
    --------
    tracking : Actual against expected over calibration and holdout.

    Examples
    --------
    >>> import retention as rt
    >>> result = rt.backtest(rt.example_transactions(), calibration_end="2024-06-30", freq="M",
    ...                      n_draws=100)
    >>> ax = rt.plot.forecast(result)
    >>> [line.get_label() for line in ax.get_lines()]
    ['forecast', 'actual', 'naive', 'seasonal_naive', 'mean']
    """
    func = "plot.forecast"
    ax = check_ax(ax, func)
    if measure not in _MEASURES:
        msg = (
            f"The 'measure' parameter of {func} must be one of {list(_MEASURES)}. Got {measure!r}."
        )
        raise InvalidParameterError(msg)
    table = getattr(result, "table", None)
    backtest = isinstance(table, pd.DataFrame)
    frame = table if backtest else result
    if not isinstance(frame, pd.DataFrame):
        msg = f"The 'result' argument of {func} must be what rt.forecast or rt.backtest returned. Got {type(result).__name__}."
        raise ColumnTypeError(msg)
    if backtest:
        prefix = "" if measure == "orders" else "revenue_"
        mean, low, high = (
            ("forecast", "lower", "upper")
            if measure == "orders"
            else ("revenue_forecast", "revenue_lower", "revenue_upper")
        )
    else:
        prefix = ""
        suffix = "_cumulative" if cumulative else ""
        mean, low, high = (measure + suffix, f"{measure}{suffix}_lower", f"{measure}{suffix}_upper")
    if mean not in frame.columns:
        msg = f"The 'result' argument of {func} has no {mean!r} column: {list(frame.columns)}. Revenue needs a spend model."
        raise ColumnNotFoundError(msg)
    actual = "actual" if measure == "orders" else "revenue_actual"
    baselines = [prefix + name for name in getattr(result, "baselines", ())] if backtest else []
    band = low in frame.columns and high in frame.columns and not (backtest and cumulative)
    drawn = [mean, *([low, high] if band else []), *([actual, *baselines] if backtest else [])]
    check_numeric(
        frame,
        [column for column in drawn if column in frame.columns],
        func=func,
        argument="result",
        maker="rt.backtest(tx, ...) (its table)" if backtest else "rt.forecast(...)",
    )
    unit = period_unit(frame.index, plural=False) or "period"
    what = "repeat orders of existing customers" if backtest and measure == "orders" else measure
    title = f"Forecast: {what}" + (" (cumulative)" if cumulative else f" per {unit}")
    axes = new_axes(ax, figsize=(8.0, 4.5))
    if len(frame) == 0:
        return empty_axes(axes, title=title, xlabel=unit, ylabel=what)
    x = np.arange(len(frame), dtype=np.float64)

    def series(column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        values = column_values(frame, column)
        return np.cumsum(values) if cumulative and backtest else values

    axes.plot(x, series(mean), color=colour(0), linewidth=1.8, label="forecast")
    if band:
        level = getattr(result, "interval", None) or frame.attrs.get("interval")
        label = f"{level:.0%} interval" if isinstance(level, float) else "interval"
        axes.fill_between(
            x,
            column_values(frame, low),
            column_values(frame, high),
            color=colour(0),
            alpha=0.2,
            label=label,
        )
    if backtest:
        axes.plot(x, series(actual), color="black", linewidth=1.8, label="actual")
        for k, name in enumerate(getattr(result, "baselines", ())):
            column = prefix + name
            if column in frame.columns:
                axes.plot(
                    x, series(column), color=colour(k + 1), linestyle=":", linewidth=1.4, label=name
                )
    set_category_ticks(axes, "x", period_labels(frame.index))
    return line_chart_axes(axes, title=title, xlabel=unit, ylabel=what)
