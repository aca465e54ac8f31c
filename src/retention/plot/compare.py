"""Plots of comparisons: ``comparison`` for ``rt.compare_retention`` and ``campaign`` for ``rt.campaign_effect``.

Both draw the numbers of the result they are given, never recomputing them: each difference as a point
(the estimate) on a horizontal line (its interval), with a vertical line at 0, one panel per unit of
measurement (shares, orders, money, days), because a difference in days and one in percentage points do
not share an axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from retention.frames.campaign import CampaignEffect
from retention.frames.compare import RetentionComparison
from retention.plot._common import (
    PICTURE_LABEL_CHARS,
    check_instance,
    colour,
    column_values,
    empty_axes,
    estimate_and_interval,
    group_label,
    label_axes,
    percent_axis,
    picture_labels,
    pyplot,
    require_matplotlib,
    step_with_band,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["campaign", "comparison"]

_SHARES: Final = frozenset({"survival", "repurchase_share"})
_COMPARISON_TITLES: Final = {
    "survival": "Survival at the horizon",
    "repurchase_share": "Share who bought again within the horizon",
    "rmst": "Restricted mean survival time",
}
_CAMPAIGN_TITLES: Final = {
    "repurchase_share": "Share who bought again",
    "orders_per_customer": "Orders per customer",
    "revenue_per_customer": "Revenue per customer",
    "days_to_next_purchase": "Days to the next purchase",
}
_CAMPAIGN_UNITS: Final = {
    "repurchase_share": "difference (percentage points)",
    "orders_per_customer": "difference (orders per customer)",
    "revenue_per_customer": "difference (revenue per customer)",
    "days_to_next_purchase": "difference (days, up to the horizon)",
}


def _forest(
    axes: Axes,
    labels: Sequence[str],
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    colours: Sequence[str],
    title: str,
    xlabel: str,
    share: bool,
) -> None:
    """Draw estimates (points) with their intervals (lines), top to bottom, and a line at 0."""
    y = -np.arange(len(labels), dtype=np.float64)
    axes.axvline(0.0, color="0.45", linewidth=1.0, linestyle="--", label="_zero")
    axes.hlines(y, low, high, colors=list(colours), linewidth=2.2, label="interval")
    axes.scatter(estimate, y, color=list(colours), zorder=3, s=36, label="estimate")
    axes.set_yticks(y, list(labels))
    axes.set_ylim(y.min() - 0.6 if len(y) else -0.6, 0.6)
    label_axes(axes, title=title, xlabel=xlabel, ylabel="", grid="x")
    if share:
        percent_axis(axes, "x")


def comparison(result: RetentionComparison) -> Figure:
    """Draw the differences of a group comparison with their intervals: one panel per measure.

    Parameters
    ----------
    result : RetentionComparison
        A result of :func:`retention.compare_retention`. Not modified.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per measure of ``result.differences`` (survival at the horizons, repurchase shares,
        RMST), each titled by the measure; per comparison and horizon a row labelled
        ``"group - reference, h days"`` with a point at ``estimate`` (a scatter, in the rows' order top
        to bottom) and a line from ``ci_lower`` to ``ci_upper`` (a line collection), and a dashed line at
        0. A result without differences (a single group) gives one labelled empty panel.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError
        If ``result`` is not a :class:`retention.RetentionComparison`.

    See Also
    --------
    survival : The Kaplan-Meier curves of the groups.

    Examples
    --------
    >>> import retention as rt
    >>> result = rt.compare_retention(rt.example_transactions(), "channel", control="web")
    >>> fig = rt.plot.comparison(result)
    >>> [ax.get_title() for ax in fig.axes]
    ['Survival at the horizon', 'Share who bought again within the horizon', 'Restricted mean survival time']
    """
    func = "plot.comparison"
    require_matplotlib(func)
    check_instance(
        result,
        RetentionComparison,
        func=func,
        argument="result",
        maker="rt.compare_retention(tx, by)",
    )
    differences = result.differences
    measure_of_row = differences.index.get_level_values("measure")
    measures = [m for m in _COMPARISON_TITLES if (measure_of_row == m).any()]
    # One colour per comparison (group, reference), the same in every panel.
    pairs = list(
        dict.fromkeys(
            zip(
                differences.index.get_level_values("group"),
                differences.index.get_level_values("reference"),
                strict=True,
            )
        )
    )
    # The groups' labels, written for the picture once for all panels: a row names two groups, so each
    # keeps half a label's characters (with the horizon, a row of a whole label each left no room).
    groups = list(dict.fromkeys(label for pair in pairs for label in pair))
    written = picture_labels([group_label(g) for g in groups], limit=PICTURE_LABEL_CHARS // 2)
    shown = dict(zip(groups, written, strict=True))
    # Panels widen with the rows' labels (" - " and ", 365 days" besides the groups), so that the axes
    # and their titles keep room.
    longest = max((len(shown[g]) + len(shown[r]) for g, r in pairs), default=0) + 14
    panel = max(5.0, 3.0 + 0.075 * longest)
    width = max(len(measures), 1)
    fig, grid = pyplot().subplots(
        1, width, figsize=(panel * width, 4.5), layout="constrained", squeeze=False
    )
    figure: Figure = fig
    panels: list[Axes] = list(grid.flat)
    if not measures:
        empty_axes(
            panels[0],
            title="Differences between groups",
            xlabel="difference (group - reference)",
            ylabel="comparison",
        )
        return figure
    for axes, measure in zip(panels, measures, strict=True):
        part = differences[measure_of_row == measure]
        rows = list(
            zip(
                part.index.get_level_values("group"),
                part.index.get_level_values("reference"),
                part.index.get_level_values("days"),
                strict=True,
            )
        )
        labels = [
            f"{shown[g]} - {shown[r]}, {d} days" if d >= 0 else f"{shown[g]} - {shown[r]}"
            for g, r, d in rows
        ]
        colours = [colour(pairs.index((g, r))) for g, r, _ in rows]
        estimate, low, high = estimate_and_interval(part)
        share = measure in _SHARES
        _forest(
            axes,
            labels,
            estimate,
            low,
            high,
            colours=colours,
            title=_COMPARISON_TITLES[measure],
            xlabel="difference (percentage points)" if share else "difference (days)",
            share=share,
        )
    return figure


def campaign(result: CampaignEffect) -> Figure:
    """Draw a campaign's effect: repurchase curves since the contact, and every difference with its interval.

    Parameters
    ----------
    result : CampaignEffect
        A result of :func:`retention.campaign_effect`. Not modified.

    Returns
    -------
    matplotlib.figure.Figure
        The top panel (title "Bought again since the contact") draws per group the share who bought
        again by each day since the contact, ``1 - survival`` of ``result.curves`` (a step line
        starting at 0 on day 0, labelled ``treated`` or ``control``), its 95% band, and a dotted line at
        the horizon. Below, one panel per measure of ``result.differences``, titled by the measure, with
        up to three rows: ``after`` (``.differences``), ``diff-in-diff`` (``.did``) and ``before`` (the
        balance check, ``.balance``), each a point at ``estimate`` (a scatter) and a line from
        ``ci_lower`` to ``ci_upper`` (a line collection), and a dashed line at 0.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError
        If ``result`` is not a :class:`retention.CampaignEffect`.

    See Also
    --------
    comparison : The differences of :func:`retention.compare_retention`.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> split = rt.holdout_split(tx["customer_id"].unique(), share=0.2, seed=1)
    >>> fig = rt.plot.campaign(rt.campaign_effect(tx, split, start="2024-06-01"))
    >>> [ax.get_title() for ax in fig.axes][:2]
    ['Bought again since the contact', 'Share who bought again']
    """
    func = "plot.campaign"
    require_matplotlib(func)
    maker = "rt.campaign_effect(tx, treated, start=...)"
    check_instance(result, CampaignEffect, func=func, argument="result", maker=maker)
    measures = list(result.differences.index)
    fig = pyplot().figure(figsize=(3.6 * len(measures), 7.5), layout="constrained")
    mosaic = [["curve"] * len(measures), measures]
    named = fig.subplot_mosaic(mosaic, height_ratios=[1.3, 1.0])
    curve_axes: Axes = named["curve"]
    for k, group in enumerate(("treated", "control")):
        curves = result.curves
        part = curves[curves.index.get_level_values("group") == group].droplevel("group")
        days = part.index.to_numpy(dtype=np.int64)
        bought = 1.0 - column_values(part, "survival")
        band = (1.0 - column_values(part, "ci_upper"), 1.0 - column_values(part, "ci_lower"))
        step_with_band(curve_axes, days, bought, band, start=0.0, colour=colour(k), label=group)
    curve_axes.axvline(result.horizon, color="0.3", linestyle=":", linewidth=1.2, label="_horizon")
    label_axes(
        curve_axes,
        title="Bought again since the contact",
        xlabel="days since the contact",
        ylabel="share who bought again (Kaplan-Meier)",
        grid="both",
    )
    percent_axis(curve_axes, "y")
    curve_axes.set_ylim(bottom=0.0)
    curve_axes.legend()
    for measure in measures:
        rows = [("after", result.differences)]
        if measure in result.did.index:
            rows.append(("diff-in-diff", result.did))
        if measure in result.balance.index:
            rows.append(("before", result.balance))
        frame = pd.DataFrame(
            [f.loc[measure, ["estimate", "ci_lower", "ci_upper"]] for _, f in rows],
            index=[label for label, _ in rows],
        )
        estimate, low, high = estimate_and_interval(frame)
        share = measure == "repurchase_share"
        _forest(
            named[measure],
            list(frame.index),
            estimate,
            low,
            high,
            colours=[colour(0), colour(2), colour(5)][: len(rows)],
            title=_CAMPAIGN_TITLES.get(measure, measure),
            xlabel=_CAMPAIGN_UNITS.get(measure, "difference"),
            share=share,
        )
    figure: Figure = fig
    return figure
