"""The picture of a manager scorecard: each group against the rest of the company, with intervals.

Draws the ``versus_rest`` frame of :func:`retention.scorecard`; never recomputes it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, cast

import numpy as np

from retention.frames.options import check_option
from retention.frames.scorecard import Scorecard
from retention.plot._common import (
    check_ax,
    check_instance,
    colour,
    empty_axes,
    estimate_and_interval,
    group_names,
    label_axes,
    new_axes,
    percent_axis,
    picture_label,
    set_category_ticks,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["scorecard"]

_MEASURES: Final = {
    "churn_rate": "churn rate",
    "survival_3": "survival at 3 periods",
    "survival_12": "survival at 12 periods",
    "repeat_purchase_rate": "repeat-purchase rate",
}
_OUTSIDE: Final = 3  # vermillion: the interval excludes 0
_INSIDE: Final = "0.45"  # grey: the interval covers 0


def scorecard(card: Scorecard, measure: str = "survival_3", *, ax: Axes | None = None) -> Axes:
    """Draw each group's difference from the rest of the company on one retention figure, with intervals.

    Parameters
    ----------
    card : Scorecard
        A result of :func:`retention.scorecard`. Not modified.
    measure : {"survival_3", "survival_12", "churn_rate", "repeat_purchase_rate"}, default "survival_3"
        The figure compared (a ``measure`` of ``card.versus_rest``).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One row per group (in the card's order, top to bottom): a dot at the difference (group minus
        rest, in percentage points) and a line over its interval, in vermillion where the interval
        excludes 0 and grey where it covers 0; a vertical line at 0. A group without a difference (no
        rest, or nobody at risk) keeps its row, without a dot.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError
        If ``card`` is not a Scorecard or ``ax`` not an Axes.
    InvalidParameterError
        If ``measure`` is not a compared figure, or ``ax`` is an Axes of another projection (polar, 3D).

    See Also
    --------
    retention.scorecard : The figures and comparisons drawn here.

    Examples
    --------
    >>> import retention as rt
    >>> card = rt.scorecard(rt.example_transactions(), "manager")
    >>> ax = rt.plot.scorecard(card, "survival_3")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Avery', 'Blake', 'Casey', 'Drew', 'Emery', 'Finley']
    """
    func = "plot.scorecard"
    ax = check_ax(ax, func)
    check_instance(card, Scorecard, func=func, argument="card", maker="rt.scorecard(tx, by)")
    check_option("measure", measure, tuple(_MEASURES), func)
    axes = new_axes(ax)
    name = picture_label(group_names(card.figures.index.names))
    title = f"{_MEASURES[measure]}: each {name} against the rest of the company"
    xlabel = "group - rest (percentage points)"
    if len(card.figures) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=name)
    # A level of a frame's rows, taken with xs, is a frame (the stubs say frame or Series).
    rows = cast("pd.DataFrame", card.versus_rest.xs(measure, level="measure"))
    estimate, low, high = estimate_and_interval(rows)
    y = np.arange(len(rows), dtype=np.float64)
    for i in range(len(rows)):  # groups, a handful
        if math.isnan(estimate[i]):
            continue
        outside = low[i] > 0 or high[i] < 0
        shade = colour(_OUTSIDE) if outside else _INSIDE
        if not (math.isnan(low[i]) or math.isnan(high[i])):
            axes.plot([low[i], high[i]], [y[i], y[i]], color=shade, linewidth=2)
        axes.plot([estimate[i]], [y[i]], "o", color=shade)
    axes.axvline(0.0, color="black", linewidth=0.8)
    labels = [str(label) for label in card.figures.index]
    set_category_ticks(axes, "y", labels)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # the first group on top
    percent_axis(axes, "x")
    return label_axes(axes, title=title, xlabel=xlabel, ylabel=name, grid="x")
