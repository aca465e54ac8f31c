"""The picture of a manager scorecard: each group against the rest of the company, with intervals.

Draws the ``versus_rest`` frame of :func:`retention.scorecard`; never recomputes it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import numpy as np

from retention.errors import ColumnTypeError, InvalidParameterError
from retention.frames.scorecard import Scorecard
from retention.plot._common import (
    check_ax,
    colour,
    empty_axes,
    new_axes,
    percent_formatter,
    set_category_ticks,
)

if TYPE_CHECKING:
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
        If ``measure`` is not a compared figure.

    See Also
    --------
    retention.scorecard : The figures and comparisons drawn here.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import retention as rt
    >>> from retention import plot
    >>> card = rt.scorecard(rt.example_transactions(), "manager")
    >>> ax = plot.scorecard(card, "survival_3")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Avery', 'Blake', 'Casey', 'Drew', 'Emery', 'Finley']
    >>> plt.close(ax.figure)
    """
    func = "plot.scorecard"
    ax = check_ax(ax, func)
    given: object = card
    if not isinstance(given, Scorecard):
        msg = f"The 'card' argument of {func} must be a Scorecard; got {type(given).__name__}. Pass the result of rt.scorecard(tx, by)."
        raise ColumnTypeError(msg)
    if measure not in _MEASURES:
        options = ", ".join(repr(m) for m in _MEASURES)
        msg = f"The 'measure' parameter of {func} must be one of {options}. Got {measure!r}."
        raise InvalidParameterError(msg)
    axes = new_axes(ax)
    name = ", ".join(str(n) for n in card.figures.index.names)
    title = f"{_MEASURES[measure]}: each {name} against the rest of the company"
    xlabel = "group - rest (percentage points)"
    if len(card.figures) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=name)
    rows = card.versus_rest.xs(measure, level="measure")
    estimate = rows["estimate"].to_numpy(dtype=np.float64)
    low = rows["ci_lower"].to_numpy(dtype=np.float64)
    high = rows["ci_upper"].to_numpy(dtype=np.float64)
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
    axes.xaxis.set_major_formatter(percent_formatter())
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(name)
    axes.grid(axis="x", alpha=0.3)
    return axes
