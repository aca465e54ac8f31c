"""Plots of the library's results: one function per result, drawn with matplotlib.

Each function takes a result the library already returns (a frame such as ``rt.cohort_table(tx)``, or a
fitted model), never the transactions behind it (except ``p_alive_history``, which is about one
customer's purchases), draws it and returns the matplotlib Axes, or the Figure when it draws one panel per
group. Pass ``ax=`` to draw on an Axes of your own. Plots are deterministic, use the colour-blind-safe
Okabe-Ito palette and the viridis colour map, label their axes with units and show shares in percent.
Results broken down by ``by=`` are drawn as one line per group (curves) or one panel per group (heatmaps
and bars). ``ax=`` must be a flat Axes: one of another projection (polar, 3D) is refused
(``retention.errors.InvalidParameterError``).

Missing values (NaN) are left out: a curve skips them, a heatmap leaves their cells blank, a count
label is left blank, and a period of ``period_retention`` with a missing count is not drawn. An infinite
value, which no result of the library holds, cannot be drawn and is refused
(``retention.errors.InvalidValueError``, naming the column and its row).

Texts from the data (group labels and the names of their columns, segments, model names, a customer id)
are drawn as they are, a ``$`` included, never read as mathtext; in the picture they are cut to 30
characters, keeping their start and end, and labels that still read alike are numbered (``" #2"``). The
result keeps them whole. A legend of more than ten groups is laid out in columns.

matplotlib is the ``plot`` extra: ``pip install "retention-metrics[plot]"``. ``import retention`` imports
neither matplotlib nor this module; ``from retention import plot`` (or ``rt.plot``) imports this module but
not matplotlib, and a plot called without matplotlib raises ``retention.errors.MissingDependencyError``.

| Result | Plot |
| --- | --- |
| ``rt.cohort_table`` | ``cohort_heatmap``, ``retention_curves`` |
| ``rt.retention_curve`` | ``retention_curves`` |
| ``rt.period_retention`` | ``period_retention`` |
| ``rt.survival_curve`` | ``survival`` |
| a fitted ``rt.BetaGeo``, ``rt.ParetoNBD``, ... | ``frequency_recency_matrix``, ``p_alive_matrix``, ``p_alive_history`` |
| ``rt.calibration_holdout_table`` | ``calibration_holdout`` |
| ``rt.tracking_table`` | ``tracking`` |
| ``rt.abc_xyz`` | ``abc_curve`` |
| ``rt.abc_xyz_matrix`` | ``abc_xyz_matrix`` |
| ``rt.migration_matrix`` | ``migration`` |
| ``rt.rfm_segments`` | ``rfm_segments`` |
| ``rt.compare_retention`` | ``comparison`` |
| ``rt.campaign_effect`` | ``campaign`` (also ``result.plot()``) |
| ``rt.scorecard`` | ``scorecard`` |
| ``rt.forecast``, ``rt.backtest`` | ``forecast`` (also ``result.plot()`` of a backtest) |

Every plot is drawn from the example data in the docs' gallery, rebuilt with the site.

Examples
--------
The plots are also reached as ``rt.plot``, which imports this module on first use:

>>> import retention as rt
>>> ax = rt.plot.survival(rt.survival_curve(rt.example_transactions()))
>>> ax.get_ylabel()
'share of customers still active'
"""

from __future__ import annotations

from retention.plot.clv import (
    calibration_holdout,
    frequency_recency_matrix,
    p_alive_history,
    p_alive_matrix,
    tracking,
)
from retention.plot.cohorts import cohort_heatmap, period_retention, retention_curves, survival
from retention.plot.compare import campaign, comparison
from retention.plot.forecasting import forecast
from retention.plot.scorecard import scorecard
from retention.plot.segments import abc_curve, abc_xyz_matrix, migration, rfm_segments

__all__ = [
    "abc_curve",
    "abc_xyz_matrix",
    "calibration_holdout",
    "campaign",
    "cohort_heatmap",
    "comparison",
    "forecast",
    "frequency_recency_matrix",
    "migration",
    "p_alive_history",
    "p_alive_matrix",
    "period_retention",
    "retention_curves",
    "rfm_segments",
    "scorecard",
    "survival",
    "tracking",
]
