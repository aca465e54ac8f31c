"""Plots of classes and segments.

The pictures of the results of :mod:`retention.frames.classify`, :mod:`retention.frames.migration` and
:mod:`retention.frames.rfm`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from retention.core.sums import group_sums
from retention.errors import ColumnNotFoundError, ColumnTypeError, InvalidValueError
from retention.frames.schema import check_option
from retention.plot._common import (
    check_ax,
    check_numeric,
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
    picture_labels,
    split_groups,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["abc_curve", "abc_xyz_matrix", "migration", "rfm_segments"]

_ABC: Final = ("A", "B", "C")
_MEASURES: Final = ("customers", "customer_share", "value", "value_share")
_MEASURE_TITLES: Final = {
    "customers": "Customers",
    "customer_share": "Share of customers",
    "value": "Value",
    "value_share": "Share of value",
}


# --- ABC curve --------------------------------------------------------------------------------------------


def _ranked(part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the customer share, cumulative value share and class of each customer, ranked by value."""
    cumulative = column_values(part, "cumulative_share")
    order = np.argsort(cumulative, kind="stable")
    n = len(cumulative)
    x = np.arange(1, n + 1, dtype=np.float64) / n
    classes = np.asarray(part["abc"].astype(object).to_numpy())[order]
    return x, cumulative[order], classes


def _abc_bands(axes: Axes, part: pd.DataFrame, x: np.ndarray, classes: np.ndarray) -> None:
    """Shade the customer-share range of each class and say how much value it brings."""
    share = column_values(part, "share")
    labels = np.asarray(part["abc"].astype(object).to_numpy())
    for k, name in enumerate(_ABC):
        where = np.flatnonzero(classes == name)
        if not len(where):
            continue
        left = 0.0 if where[0] == 0 else float(x[where[0] - 1])
        right = float(x[where[-1]])
        axes.axvspan(left, right, color=colour(k), alpha=0.12, linewidth=0, label=f"_band {name}")
        value = float(np.nansum(share[labels == name]))
        customers = len(where) / len(x)
        axes.text(
            (left + right) / 2,
            0.04,
            f"{name}\n{customers:.0%} of customers\n{value:.0%} of value",
            ha="center",
            va="bottom",
            fontsize="small",
            color="0.2",
        )


def abc_curve(abc_xyz: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw the ABC (Pareto) curve: the cumulative share of value against the share of customers.

    Parameters
    ----------
    abc_xyz : pandas.DataFrame
        A result of :func:`retention.abc_xyz` (its ``cumulative_share``, ``share`` and ``abc`` columns);
        with ``by=``, one curve per group. Not modified.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: per group, a line from (0, 0) through one point per customer, ranked by value; without
        groups, the customer-share ranges of the classes A, B and C shaded and labelled with their shares
        of customers and of value.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``abc_xyz`` is not a result of :func:`retention.abc_xyz`.
    InvalidValueError
        If ``share`` or ``cumulative_share`` holds an infinite value.
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D).

    See Also
    --------
    abc_xyz_matrix : Customers and value in the nine ABC / XYZ cells.

    Notes
    -----
    Customer $k$ of $n$ in the ranking sits at $x = k / n$ and $y$ = its ``cumulative_share``, the share
    of the value brought by the customers worth at least as much (ties share a point's height). The dashed
    diagonal is a customer base where everybody is worth the same.

    Examples
    --------
    >>> import retention as rt
    >>> ax = rt.plot.abc_curve(rt.abc_xyz(rt.example_transactions()))
    >>> ax.get_xlabel()
    'share of customers, ranked by value'
    """
    func = "plot.abc_curve"
    ax = check_ax(ax, func)
    result = check_result(
        abc_xyz,
        func=func,
        argument="abc_xyz",
        maker="rt.abc_xyz(tx)",
        columns=("value", "share", "cumulative_share", "abc"),
        numeric=("share", "cumulative_share"),
    )
    axes = new_axes(ax, figsize=(7.0, 5.0))
    title = "ABC curve: cumulative share of value"
    xlabel = "share of customers, ranked by value"
    ylabel = "cumulative share of value"
    if len(result) == 0 or not np.isfinite(result["cumulative_share"].to_numpy(np.float64)).any():
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    groups = split_groups(result)
    axes.plot([0.0, 1.0], [0.0, 1.0], color="0.6", linestyle="--", linewidth=1.0, label="_equal")
    if groups is None:
        x, y, classes = _ranked(result)
        axes.plot(np.r_[0.0, x], np.r_[0.0, y], color="black", linewidth=1.8, label="customers")
        _abc_bands(axes, result, x, classes)
    else:
        names, parts = groups
        for k, (label, part) in enumerate(parts):
            x, y, _ = _ranked(part)
            axes.plot(np.r_[0.0, x], np.r_[0.0, y], color=colour(k), linewidth=1.6, label=label)
        group_legend(axes, names, loc="lower right")
    percent_axis(axes, "x", top=1.0)
    percent_axis(axes, "y", top=1.02)
    return label_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel, grid="both")


# --- heatmaps of classes and moves ------------------------------------------------------------------------


def abc_xyz_matrix(
    abc_xyz_matrix: pd.DataFrame, *, measure: str = "value_share", ax: Axes | None = None
) -> Axes | Figure:
    """Draw the nine ABC / XYZ cells as a heatmap, each with its value and number of customers.

    Parameters
    ----------
    abc_xyz_matrix : pandas.DataFrame
        A result of :func:`retention.abc_xyz_matrix`, with or without ``by=``. Not modified.
    measure : {"value_share", "value", "customers", "customer_share"}, default "value_share"
        The measure that colours the cells (``abc_xyz_matrix[measure]``).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None. Not with a result broken down by ``by=``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes (ABC down, XYZ across); for a result broken down by ``by=``, a Figure with one panel
        per group.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``abc_xyz_matrix`` is not a result of :func:`retention.abc_xyz_matrix`.
    InvalidParameterError
        If ``measure`` is not accepted, ``ax`` is an Axes of another projection (polar, 3D), or ``ax`` is
        given with a result broken down by ``by=``.
    InvalidValueError
        If the matrix holds an infinite value (a missing value, NaN, is a blank cell; a missing number
        of customers is left out of its cell).

    See Also
    --------
    abc_curve : The ABC curve behind the rows.

    Examples
    --------
    >>> import retention as rt
    >>> ax = rt.plot.abc_xyz_matrix(rt.abc_xyz_matrix(rt.example_transactions()))
    >>> ax.images[0].get_array().shape
    (3, 3)
    """
    func = "plot.abc_xyz_matrix"
    ax = check_ax(ax, func)
    check_option("measure", measure, _MEASURES, func)
    maker = "rt.abc_xyz_matrix(tx)"
    matrix = check_result(
        abc_xyz_matrix, func=func, argument="abc_xyz_matrix", maker=maker, index="abc"
    )
    if not isinstance(matrix.columns, pd.MultiIndex) or measure not in matrix.columns.levels[0]:
        msg = (
            f"The 'abc_xyz_matrix' argument of {func} has no {measure!r} measure in its columns (they are "
            f"{list(matrix.columns)[:4]!r}...), so it is not a result of {maker}. Pass the DataFrame "
            f"returned by {maker}."
        )
        raise ColumnNotFoundError(msg)
    check_numeric(matrix, None, func=func, argument="abc_xyz_matrix", maker=maker)
    title = f"{_MEASURE_TITLES[measure]} by ABC / XYZ class"
    xlabel = "XYZ: regularity of purchases (X steadiest)"
    ylabel = "ABC: value (A highest)"
    percent = measure.endswith("share")

    def draw(part: pd.DataFrame, axes: Axes) -> Axes:
        customers = part["customers"].to_numpy(dtype=np.float64, na_value=np.nan)
        values = column_values(part, measure)
        drawn = values[np.isfinite(values)]
        if not np.nansum(customers) > 0 and not np.any(drawn != 0):
            return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
        # Nine cells; a cell whose number of customers is missing shows its value alone.
        counts = np.array(
            [
                [f"{count_text(c)} customers" if np.isfinite(c) else "" for c in row]
                for row in customers
            ]
        )
        draw_heatmap(
            axes,
            values,
            rows=[str(r) for r in index_level(part)],
            columns=[str(c) for c in part[measure].columns],
            percent=percent,
            annotate=True,
            colorbar_label=_MEASURE_TITLES[measure].lower(),
            extra_text=None if measure == "customers" else counts,
        )
        return label_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)

    return faceted(
        matrix,
        ax,
        draw,
        func=func,
        example="matrix.xs('Avery', level='manager')",
        title=title,
        figsize=(6.0, 4.5),
        panel=(5.5, 4.0),
    )


def migration(
    migration_matrix: pd.DataFrame, *, annotate: bool | None = None, ax: Axes | None = None
) -> Axes:
    """Draw a segment migration matrix as a heatmap: segments before down, segments after across.

    Parameters
    ----------
    migration_matrix : pandas.DataFrame
        A result of :func:`retention.migration_matrix`: counts, or shares with ``normalize=``. Not
        modified.
    annotate : bool, optional
        Write the value in each cell. None (the default) does for matrices of at most 150 cells.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with the matrix as an image (``"(new)"`` the last row, ``"(gone)"`` the last column).

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``migration_matrix`` is not a result of :func:`retention.migration_matrix`.
    InvalidValueError
        If the matrix holds an infinite value (a missing value, NaN, is a blank cell).
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D).

    Notes
    -----
    A matrix of floats (``normalize="index"`` or ``"all"``) is shown in percent, one of integers as
    counts. The diagonal holds the customers who stayed in their segment.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> march = rt.working_segments(rt.customer_features(tx, observation_end="2024-03-31"))
    >>> june = rt.working_segments(rt.customer_features(tx, observation_end="2024-06-30"))
    >>> ax = rt.plot.migration(rt.migration_matrix(march, june))
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('segment before', 'segment after')
    """
    func = "plot.migration"
    ax = check_ax(ax, func)
    matrix = check_result(
        migration_matrix,
        func=func,
        argument="migration_matrix",
        maker="rt.migration_matrix(before, after)",
        index="before",
        column_index="after",
        numeric="all",
    )
    axes = new_axes(ax, figsize=(7.0, 5.5))
    values = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
    shares = any(pd.api.types.is_float_dtype(dtype) for dtype in matrix.dtypes)
    title = "Segment migration" + (": shares" if shares else ": customers")
    xlabel, ylabel = "segment after", "segment before"
    if values.size == 0 or not np.nansum(np.abs(values)) > 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    draw_heatmap(
        axes,
        values,
        rows=[str(r) for r in matrix.index],
        columns=[str(c) for c in matrix.columns],
        percent=shares,
        annotate=annotate,
        colorbar_label="share" if shares else "customers",
    )
    axes.tick_params(axis="x", labelrotation=30)
    return label_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)


# --- RFM segments -----------------------------------------------------------------------------------------


def _segment_bars(part: pd.DataFrame, axes: Axes, categories: list[object]) -> Axes:
    """Horizontal bars of each segment's share of the customers and of the revenue."""
    title = "RFM segments: customers and revenue"
    xlabel = "share of all customers / of all revenue"
    if len(part) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel="segment")
    labels = part["segment"].astype(object).to_numpy()
    counts = np.array([np.count_nonzero(labels == c) for c in categories], dtype=np.float64)
    y = np.arange(len(categories), dtype=np.float64)
    with_revenue = "monetary" in part.columns
    height = 0.4 if with_revenue else 0.8
    bars = axes.barh(
        y - (height / 2 if with_revenue else 0.0),
        counts / len(part),
        height=height,
        color=colour(0),
        label="customers",
    )
    axes.bar_label(bars, labels=[f"{int(c):,}" for c in counts], padding=2, fontsize="x-small")
    if with_revenue:
        money = column_values(part, "monetary")
        known = np.isfinite(money)  # exact, order-independent sums of the scores' revenue
        code = pd.Index(categories).get_indexer(pd.Index(labels))
        named = known & (code >= 0)
        sums = group_sums(code[named].astype(np.int64), money[named], len(categories))
        total = float(group_sums(np.zeros(int(known.sum()), dtype=np.int64), money[known], 1)[0])
        revenue = axes.barh(
            y + height / 2,
            sums / total if total else np.zeros(len(categories)),
            height=height,
            color=colour(1),
            label="revenue",
        )
        axes.bar_label(revenue, labels=[f"{s:,.0f}" for s in sums], padding=2, fontsize="x-small")
    axes.set_yticks(y, picture_labels(categories))
    axes.invert_yaxis()
    percent_axis(axes, "x")
    axes.margins(x=0.15)
    axes.legend(loc="lower right", fontsize="small")
    return label_axes(axes, title=title, xlabel=xlabel, ylabel="segment", grid="x")


def rfm_segments(
    segments: pd.Series, scores: pd.DataFrame | None = None, *, ax: Axes | None = None
) -> Axes | Figure:
    """Draw each RFM segment's share of the customers and, with the scores, of the revenue.

    Parameters
    ----------
    segments : pandas.Series
        A result of :func:`retention.rfm_segments` (a segment per customer), with or without ``by=`` in
        the scores. Not modified.
    scores : pandas.DataFrame, optional
        The :func:`retention.rfm_scores` result the segments were named from: its ``monetary`` column
        (revenue net of returns) gives the revenue bars. Same index as ``segments``.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None. Not with segments broken down by ``by=``.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes: one row per segment (in the segment map's order, empty segments included), a bar of its
        share of the customers and, with ``scores``, one of its share of the revenue, each labelled with
        the count or amount. For segments broken down by ``by=``, a Figure with one panel per group.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If ``segments`` is not a Series of segments or ``scores`` lacks ``monetary``.
    InvalidValueError
        If ``scores`` is not indexed like ``segments``, or its ``monetary`` column holds an infinite
        value.
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D), or ``ax`` is given with segments broken down
        by ``by=``.

    Examples
    --------
    >>> import retention as rt
    >>> scores = rt.rfm_scores(rt.example_transactions())
    >>> ax = rt.plot.rfm_segments(rt.rfm_segments(scores), scores)
    >>> [bars.get_label() for bars in ax.containers]
    ['customers', 'revenue']
    """
    func = "plot.rfm_segments"
    ax = check_ax(ax, func)
    given: object = segments
    if not isinstance(given, pd.Series):
        msg = (
            f"The 'segments' argument of {func} must be a Series of segment labels; got "
            f"{type(given).__name__}. Pass the Series returned by rt.rfm_segments(scores)."
        )
        raise ColumnTypeError(msg)
    frame = pd.DataFrame({"segment": segments})
    if scores is not None:
        scores = check_result(
            scores,
            func=func,
            argument="scores",
            maker="rt.rfm_scores(tx)",
            columns=("monetary",),
            numeric=("monetary",),
        )
        if not scores.index.equals(segments.index):
            msg = (
                f"The 'scores' argument of {func} must have the index of 'segments' (one row per customer, "
                "in the same order). Pass the scores the segments were named from: "
                "rt.rfm_segments(scores), scores."
            )
            raise InvalidValueError(msg)
        frame["monetary"] = scores["monetary"].to_numpy()
    if isinstance(segments.dtype, pd.CategoricalDtype):
        categories = list(segments.cat.categories)
    else:
        categories = sorted(pd.unique(segments.dropna()).tolist(), key=str)
    return faceted(
        frame,
        ax,
        lambda part, axes: _segment_bars(part, axes, categories),
        func=func,
        example="segments.xs('web', level='channel')",
        title="RFM segments: customers and revenue",
        figsize=(7.5, 5.5),
        panel=(7.0, 5.0),
    )
