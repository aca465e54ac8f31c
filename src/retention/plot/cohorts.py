"""Plots of cohorts, period retention and survival.

The pictures of the results of :mod:`retention.frames.cohorts` and :mod:`retention.frames.rates`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.plot._common import (
    check_ax,
    check_result,
    colour,
    column_values,
    count_text,
    draw_heatmap,
    empty_axes,
    faceted,
    group_legend,
    index_level,
    label_axes,
    new_axes,
    percent_axis,
    period_labels,
    period_unit,
    picture_labels,
    pyplot,
    set_category_ticks,
    split_groups,
    step_with_band,
    ticker,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["cohort_heatmap", "period_retention", "retention_curves", "survival"]

_SURVIVAL_COLUMNS: Final = ("at_risk", "events", "censored", "survival", "ci_lower", "ci_upper")
_CURVE_COLUMNS: Final = ("cohorts", "customers", "active", "retention")
_STACK: Final = (("retained", "retained"), ("reactivated", "reactivated"), ("new", "new"))
_RATES: Final = (("crr", "CRR", "black"), ("churn_rate", "churn rate", "#CC79A7"))
_MAX_COHORT_LEGEND: Final = 12
_RETENTION_TITLE: Final = "Retention by periods since acquisition"
_SHARE_ACTIVE: Final = "share of the cohort active"
_BY_EXAMPLE: Final = "table.xs('web', level='channel')"  # how to pick one group of a breakdown


def _check_cohort_table(data: object, *, func: str, argument: str, maker: str) -> pd.DataFrame:
    """Refuse anything but a cohort table: cohorts down (with any ``by=`` levels), periods since across."""
    return check_result(
        data,
        func=func,
        argument=argument,
        maker=maker,
        index="cohort",
        column_index="periods_since",
        numeric="all",
    )


def _since_acquisition(index: pd.Index) -> str:
    """Return the x label of the periods of a cohort table: ``"months since acquisition"``."""
    return f"{period_unit(index) or 'periods'} since acquisition"


def _is_share_table(values: NDArray[np.float64]) -> bool:
    """Whether a cohort table holds shares of the cohort (``normalize=True`` on customers)."""
    finite = values[np.isfinite(values)]
    if values.shape[0] == 0 or values.shape[1] == 0 or finite.size == 0:
        return False
    return bool(np.all(values[:, 0] == 1.0) and finite.min() >= 0.0 and finite.max() <= 1.0)


def cohort_heatmap(
    cohort_table: pd.DataFrame,
    *,
    percent: bool | None = None,
    annotate: bool | None = None,
    ax: Axes | None = None,
) -> Axes | Figure:
    """Draw a cohort table as a heatmap: cohorts down, periods since acquisition across.

    Parameters
    ----------
    cohort_table : pandas.DataFrame
        A result of :func:`retention.cohort_table`: shares (``normalize=True``) or counts, customers,
        orders or revenue, with or without ``by=``. Not modified.
    percent : bool, optional
        Show values as percentages. None (the default) does when the table holds shares of the cohort
        (column 0 all 1 and every value between 0 and 1, as ``normalize=True`` on customers gives).
    annotate : bool, optional
        Write the value in each cell. None (the default) does for tables of at most 150 cells.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None. Not with a table broken down by ``by=``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes; for a table broken down by ``by=``, a Figure with one panel per group.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``cohort_table`` is not a result of :func:`retention.cohort_table`.
    InvalidValueError
        If the table holds an infinite value (a missing value, NaN, is a blank cell).
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D), or ``ax`` is given with a table broken down
        by ``by=``.

    See Also
    --------
    retention_curves : The rows of the table as lines.

    Notes
    -----
    The image holds the table's values as they are; cells the data do not cover (NaN) are blank. The
    colour scale runs from 0 to the largest value after period 0, so that period 0 (all 100% in a table of
    shares, the cohort sizes in counts) does not wash out the differences between later periods; period 0
    shows in the top colour.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> ax = rt.plot.cohort_heatmap(rt.cohort_table(tx, freq="Q", normalize=True))
    >>> ax.get_title(), ax.get_xlabel()
    ('Share of each cohort active', 'quarters since acquisition')
    """
    func = "plot.cohort_heatmap"
    ax = check_ax(ax, func)
    table = _check_cohort_table(
        cohort_table, func=func, argument="cohort_table", maker="rt.cohort_table(tx)"
    )
    whole = table.to_numpy(dtype=np.float64, na_value=np.nan)
    shares = _is_share_table(whole) if percent is None else percent
    # One colour scale for every panel, from 0 to the largest value after period 0.
    later = whole[:, 1:]
    top = float(np.nanmax(later)) if np.isfinite(later).any() else None

    def draw(part: pd.DataFrame, axes: Axes) -> Axes:
        values = part.to_numpy(dtype=np.float64, na_value=np.nan)
        xlabel = _since_acquisition(part.index)
        ylabel = f"cohort ({period_unit(part.index, plural=False) or 'period'} of first purchase)"
        title = "Share of each cohort active" if shares else "Cohort table"
        if values.size == 0:
            return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
        draw_heatmap(
            axes,
            values,
            rows=period_labels(part.index),
            columns=[str(c) for c in part.columns],
            percent=shares,
            annotate=annotate,
            colorbar_label="share of the cohort" if shares else "value",
            vmax=top if top is not None and top > 0 else None,
        )
        return label_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)

    return faceted(
        table,
        ax,
        draw,
        func=func,
        example=_BY_EXAMPLE,
        title="Share of each cohort active" if shares else "Cohort table",
    )


def _curve_lines(axes: Axes, part: pd.DataFrame, label: str, k: int) -> None:
    x = index_level(part).to_numpy(dtype=np.int64)
    y = column_values(part, "retention")
    axes.plot(x, y, marker="o", markersize=3, color=colour(k), label=label)


def _label_retention_axes(axes: Axes, *, xlabel: str, shares: bool) -> None:
    label_axes(
        axes,
        title=_RETENTION_TITLE,
        xlabel=xlabel,
        ylabel=_SHARE_ACTIVE if shares else "value",
        grid="both",
    )
    if shares:
        percent_axis(axes, "y", top=1.02)


def _cohort_lines(part: pd.DataFrame, axes: Axes) -> Axes:
    """One line per cohort of a cohort table, coloured from the oldest (dark) to the newest (light)."""
    values = part.to_numpy(dtype=np.float64, na_value=np.nan)
    shares = _is_share_table(values)
    xlabel = _since_acquisition(part.index)
    if values.size == 0:
        return empty_axes(axes, title=_RETENTION_TITLE, xlabel=xlabel, ylabel=_SHARE_ACTIVE)
    cmap = pyplot().get_cmap("viridis")
    x = np.asarray(part.columns, dtype=np.int64)
    labels = picture_labels(period_labels(part.index))
    n = len(labels)
    lines = []
    for k in range(n):
        (line,) = axes.plot(
            x, values[k], color=cmap(0.9 * k / max(n - 1, 1)), linewidth=1.2, label=labels[k]
        )
        lines.append(line)
    shown = lines if n <= _MAX_COHORT_LEGEND else [lines[0], lines[-1]]
    axes.legend(handles=shown, title="cohort", fontsize="small")
    _label_retention_axes(axes, xlabel=xlabel, shares=shares)
    return axes


def retention_curves(data: pd.DataFrame, *, ax: Axes | None = None) -> Axes | Figure:
    """Draw retention by periods since acquisition: the pooled curve, or one line per cohort.

    Parameters
    ----------
    data : pandas.DataFrame
        A result of :func:`retention.retention_curve` (one line, its ``retention`` column; with ``by=``,
        one line per group) or of :func:`retention.cohort_table` (one line per cohort, best with
        ``normalize=True``; with ``by=``, one panel per group). Not modified.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None. Not with a cohort table broken down by ``by=``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes; for a cohort table broken down by ``by=``, a Figure with one panel per group.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``data`` is neither a retention curve nor a cohort table.
    InvalidValueError
        If ``data`` holds an infinite value (a missing value, NaN, is left out of its line).
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D), or ``ax`` is given with a cohort table
        broken down by ``by=``.

    See Also
    --------
    cohort_heatmap : The cohort table as a heatmap.
    survival : Retention as the survival of lifetimes, in days.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> ax = rt.plot.retention_curves(rt.retention_curve(tx, by="channel"))
    >>> [line.get_label() for line in ax.get_lines()]
    ['app', 'store', 'web']
    """
    func = "plot.retention_curves"
    ax = check_ax(ax, func)
    maker = "rt.retention_curve(tx) or rt.cohort_table(tx, normalize=True)"
    if isinstance(data, pd.DataFrame) and data.columns.name == "periods_since":
        table = _check_cohort_table(data, func=func, argument="data", maker=maker)
        return faceted(
            table, ax, _cohort_lines, func=func, example=_BY_EXAMPLE, title=_RETENTION_TITLE
        )
    curve = check_result(
        data,
        func=func,
        argument="data",
        maker=maker,
        columns=_CURVE_COLUMNS,
        index="periods_since",
        numeric=["retention"],
    )
    axes = new_axes(ax)
    xlabel = "periods since acquisition"
    if len(curve) == 0:
        return empty_axes(axes, title=_RETENTION_TITLE, xlabel=xlabel, ylabel=_SHARE_ACTIVE)
    groups = split_groups(curve)
    if groups is None:
        _curve_lines(axes, curve, "retention", 0)
    else:
        names, parts = groups
        for k, (label, part) in enumerate(parts):
            _curve_lines(axes, part, label, k)
        group_legend(axes, names)
    _label_retention_axes(axes, xlabel=xlabel, shares=True)
    return axes


def _period_bars(part: pd.DataFrame, axes: Axes) -> Axes:
    """Stacked retained / reactivated / new bars and the CRR and churn lines on a second y axis."""
    unit = period_unit(part.index, plural=False)
    xlabel = f"period ({unit})" if unit else "period"
    title = "Active customers per period, and retention"
    if len(part) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel="active customers")
    x = np.arange(len(part))
    counts = part[[column for column, _ in _STACK]].to_numpy(dtype=np.float64, na_value=np.nan)
    # A period with a missing count is left out whole: a part of its stack would understate its total.
    counts[np.isnan(counts).any(axis=1)] = np.nan
    bottom = np.zeros(len(part))
    for k, (_, label) in enumerate(_STACK):
        axes.bar(x, counts[:, k], bottom=bottom, color=colour(k), width=0.8, label=label)
        bottom = bottom + counts[:, k]
    rates = axes.twinx()
    for column, label, col in _RATES:
        y = column_values(part, column)
        rates.plot(x, y, color=col, marker="o", markersize=3, linewidth=1.5, label=label)
    # Head room above the bars and the lines for the legend.
    totals = bottom[np.isfinite(bottom)]
    axes.set_ylim(0.0, max(float(totals.max()) if totals.size else 0.0, 1.0) * 1.3)
    drawn = part[["crr", "churn_rate"]].to_numpy(dtype=np.float64, na_value=np.nan)
    finite = drawn[np.isfinite(drawn)]
    rates.set_ylim(0.0, max(1.0, float(finite.max()) if finite.size else 1.0) * 1.3)
    percent_axis(rates, "y")
    rates.set_ylabel("CRR and churn rate")
    set_category_ticks(axes, "x", period_labels(part.index))
    axes.set_xlim(-0.6, len(part) - 0.4)
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = rates.get_legend_handles_labels()
    axes.legend(
        handles + more_handles, labels + more_labels, loc="upper left", fontsize="small", ncols=2
    )
    return label_axes(axes, title=title, xlabel=xlabel, ylabel="active customers")


def period_retention(period_retention: pd.DataFrame, *, ax: Axes | None = None) -> Axes | Figure:
    """Draw active customers per period as stacked retained, reactivated and new bars, with CRR and churn.

    Parameters
    ----------
    period_retention : pandas.DataFrame
        A result of :func:`retention.period_retention`, with or without ``by=``. Not modified.
    ax : matplotlib.axes.Axes, optional
        The Axes for the bars; a new figure when None. The rates go on a second y axis that shares its
        x axis (``ax.figure.axes``). Not with a result broken down by ``by=``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes of the bars; for a result broken down by ``by=``, a Figure with one panel per group.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``period_retention`` is not a result of :func:`retention.period_retention`.
    InvalidValueError
        If a count or a rate drawn holds an infinite value.
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D), or ``ax`` is given with a result broken down
        by ``by=``.

    Notes
    -----
    The bars of a period add up to ``customers_end`` (retained + reactivated + new); the lines are the
    ``crr`` and ``churn_rate`` columns, which are undefined (not drawn) in the first period. A period with
    a missing (NaN) retained, reactivated or new count is not drawn: part of its stack would understate
    its total.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> ax = rt.plot.period_retention(rt.period_retention(tx, freq="Q"))
    >>> [bars.get_label() for bars in ax.containers]
    ['retained', 'reactivated', 'new']
    """
    func = "plot.period_retention"
    ax = check_ax(ax, func)
    columns = [c for c, _ in _STACK] + [c for c, _, _ in _RATES]
    table = check_result(
        period_retention,
        func=func,
        argument="period_retention",
        maker="rt.period_retention(tx)",
        columns=columns,
        index="period",
        numeric=columns,
    )
    return faceted(
        table,
        ax,
        _period_bars,
        func=func,
        example=_BY_EXAMPLE,
        title="Active customers per period, and retention",
    )


def _at_risk_ticks(axes: Axes, last: int) -> NDArray[np.int64]:
    """Whole-day tick positions from 0 to the last time, set on the x axis."""
    locator = ticker().MaxNLocator(nbins=6, integer=True, min_n_ticks=2)
    values = np.asarray(locator.tick_values(0, max(last, 1)), dtype=np.float64)
    ticks = values[(values >= 0) & (values <= max(last, 1))].astype(np.int64)
    axes.set_xticks(ticks)
    axes.set_xlim(-0.01 * max(last, 1), max(last, 1) * 1.02)
    return ticks


def at_risk_counts(part: pd.DataFrame, ticks: NDArray[np.int64]) -> NDArray[np.float64]:
    """Return the customers at risk at each tick: ``at_risk`` at the first curve time at or after it.

    A lifetime at least ``tick`` long is at least as long as the next time on the curve, because no
    lifetime ends or is censored in between; so the count is read off the curve, not recomputed. A
    missing ``at_risk`` stays missing (NaN).
    """
    time = index_level(part).to_numpy(dtype=np.int64)
    at_risk = column_values(part, "at_risk")
    position = np.searchsorted(time, ticks, side="left")
    padded = np.concatenate([at_risk, np.zeros(1)])  # 0 past the last time
    counts: NDArray[np.float64] = padded[position]
    return counts


def _survival_group(axes: Axes, part: pd.DataFrame, label: str, k: int) -> None:
    time = index_level(part).to_numpy(dtype=np.int64)
    values = column_values(part, "survival")
    band = (column_values(part, "ci_lower"), column_values(part, "ci_upper"))
    censored = column_values(part, "censored") > 0  # a missing count: no tick
    col = colour(k)
    step_with_band(axes, time, values, band, start=1.0, colour=col, label=label)
    axes.plot(
        time[censored],
        values[censored],
        linestyle="none",
        marker="|",
        markersize=6,
        color=col,
        label="_censored",
    )


def survival(survival_curve: pd.DataFrame, *, at_risk: bool = True, ax: Axes | None = None) -> Axes:
    """Draw Kaplan-Meier survival curves with their 95% band, censoring ticks and the numbers at risk.

    Parameters
    ----------
    survival_curve : pandas.DataFrame
        A result of :func:`retention.survival_curve`; with ``by=``, one curve per group. Not modified.
    at_risk : bool, default True
        Write the number of customers at risk at each x tick under the axis, one row per group.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: per group a step line (``survival``), a band (``ci_lower`` to ``ci_upper``, not drawn
        where they are NaN) and the censoring ticks (marker ``|`` at the times with ``censored > 0``).

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``survival_curve`` is not a result of :func:`retention.survival_curve`.
    InvalidValueError
        If a column holds an infinite value (a missing value, NaN, is left out; a missing ``at_risk``
        leaves its number blank).
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D).

    See Also
    --------
    retention_curves : Retention by calendar periods since acquisition.

    Notes
    -----
    The number at risk at day $t$ is the ``at_risk`` of the first curve time at or after $t$ (0 past
    the last): the customers whose lifetime is at least $t$ days. A curve whose first time is after day
    0 starts at 1 on day 0.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> ax = rt.plot.survival(rt.survival_curve(tx, by="channel"))
    >>> ax.get_legend().get_title().get_text(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('channel', ['app', 'store', 'web'])
    """
    func = "plot.survival"
    ax = check_ax(ax, func)
    curve = check_result(
        survival_curve,
        func=func,
        argument="survival_curve",
        maker="rt.survival_curve(tx)",
        columns=_SURVIVAL_COLUMNS,
        index="time",
        numeric=_SURVIVAL_COLUMNS,
    )
    groups = split_groups(curve)
    rows = len(groups[1]) if groups is not None else 1
    # A figure of its own grows with the rows of numbers at risk under the axis.
    height = 5.0 + (_AT_RISK_ROW / 72.0 * rows if at_risk else 0.0)
    axes = new_axes(ax, figsize=(7.0, height))
    title = "Customer survival (Kaplan-Meier, 95% interval)"
    xlabel = "days since first purchase"
    ylabel = "share of customers still active"
    if len(curve) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    names: list[Hashable] = []
    parts: list[tuple[str, pd.DataFrame]]
    if groups is None:
        parts = [("survival", curve)]
    else:
        names, parts = groups
    for k, (label, part) in enumerate(parts):
        _survival_group(axes, part, label, k)
    if groups is not None:
        group_legend(axes, names)
    last = int(index_level(curve).max())
    ticks = _at_risk_ticks(axes, last)
    percent_axis(axes, "y", top=1.02)
    label_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel, grid="both")
    if at_risk:
        _at_risk_table(axes, parts, ticks, grouped=groups is not None)
    return axes


_AT_RISK_TOP: Final = 32.0  # points below the axis: under the tick labels and the x label
_AT_RISK_ROW: Final = 12.0


def _at_risk_table(
    axes: Axes, parts: list[tuple[str, pd.DataFrame]], ticks: NDArray[np.int64], *, grouped: bool
) -> None:
    """Write the numbers at risk at the ticks under the x axis, one row per group, labelled on the left."""
    axes.annotate(
        "at risk",
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(-28.0, -_AT_RISK_TOP),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize="small",
        fontweight="bold",
        annotation_clip=False,
    )
    for row, (label, part) in enumerate(parts):
        offset = -(_AT_RISK_TOP + _AT_RISK_ROW * (row + 1))
        col = colour(row) if grouped else "black"
        axes.annotate(
            label if grouped else "customers",
            xy=(0.0, 0.0),
            xycoords="axes fraction",
            xytext=(-28.0, offset),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize="small",
            color=col,
            annotation_clip=False,
        )
        for tick, count in zip(ticks, at_risk_counts(part, ticks), strict=True):
            text = axes.annotate(
                count_text(float(count)),
                xy=(float(tick), 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(0.0, offset),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize="small",
                color=col,
                annotation_clip=False,
            )
            text.set_gid(f"at_risk:{label}")
