"""retention.plot.comparison and retention.plot.campaign draw exactly the numbers of the result they get.

As in tests/test_plot.py: the data are read back from the matplotlib artists (scatter offsets, line
collection segments, step lines, bands) and compared with the result's frames.
"""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import matplotlib.pyplot as plt  # after the importorskip
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure

import retention as rt
from retention import plot
from retention.errors import ColumnTypeError, MissingDependencyError


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return rt.example_transactions()


@pytest.fixture(scope="module")
def effect(tx: pd.DataFrame) -> rt.CampaignEffect:
    split = rt.holdout_split(tx["customer_id"].unique(), share=0.3, seed=4)
    return rt.campaign_effect(tx, split, start="2024-05-01", horizon="60D")


def drawn_intervals(ax: Axes) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The estimates, interval ends and row labels of a forest panel, top row first."""
    points = next(c for c in ax.collections if isinstance(c, PathCollection))
    lines = next(c for c in ax.collections if isinstance(c, LineCollection))
    offsets = np.asarray(points.get_offsets(), dtype=float)
    segments = [np.asarray(s, dtype=float) for s in lines.get_segments()]
    np.testing.assert_array_equal(offsets[:, 1], [s[0, 1] for s in segments])  # rows line up
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return offsets[:, 0], np.array([s[0, 0] for s in segments]), np.array([s[1, 0] for s in segments]), labels  # fmt: skip


def test_comparison_draws_every_difference(tx: pd.DataFrame) -> None:
    result = rt.compare_retention(tx, "channel", control="web", horizons=["30D", "90D"])
    fig = plot.comparison(result)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Survival at the horizon",
        "Share who bought again within the horizon",
        "Restricted mean survival time",
    ]
    for ax, measure in zip(fig.axes, ("survival", "repurchase_share", "rmst"), strict=True):
        part = result.differences.xs(measure, level="measure")
        estimate, low, high, labels = drawn_intervals(ax)
        np.testing.assert_array_equal(estimate, part["estimate"].to_numpy())
        np.testing.assert_array_equal(low, part["ci_lower"].to_numpy())
        np.testing.assert_array_equal(high, part["ci_upper"].to_numpy())
        groups = part.index.get_level_values("group")
        assert all(label.startswith(f"{g} - web") for label, g in zip(labels, groups, strict=True))
        zero = [line for line in ax.get_lines() if line.get_label() == "_zero"]
        assert len(zero) == 1
        assert list(zero[0].get_xdata()) == [0.0, 0.0]


def test_comparison_of_a_single_group_is_an_empty_panel(tx: pd.DataFrame) -> None:
    result = rt.compare_retention(tx[tx["channel"] == "web"], "channel")
    fig = plot.comparison(result)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts] == ["no data"]
    assert ax.get_title()
    assert ax.get_xlabel()


def test_campaign_draws_the_curves(effect: rt.CampaignEffect) -> None:
    fig = plot.campaign(effect)
    curve_ax = fig.axes[0]
    assert curve_ax.get_title() == "Bought again since the contact"
    lines = {line.get_label(): line for line in curve_ax.get_lines()}
    for group in ("treated", "control"):
        part = effect.curves.xs(group, level="group")
        line = lines[group]
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        days = part.index.to_numpy()
        if days[0] > 0:  # the curve starts at 0 on the contact day
            assert (x[0], y[0]) == (0.0, 0.0)
            x, y = x[1:], y[1:]
        np.testing.assert_array_equal(x, days)
        np.testing.assert_array_equal(y, 1.0 - part["survival"].to_numpy())
    horizon = [line for line in curve_ax.get_lines() if line.get_label() == "_horizon"]
    assert list(horizon[0].get_xdata()) == [effect.horizon, effect.horizon]
    # The bands: 1 - ci_upper to 1 - ci_lower.
    bands = [c for c in curve_ax.collections if c.get_label() == "_band"]
    assert len(bands) == 2
    treated = effect.curves.xs("treated", level="group")
    vertices = bands[0].get_paths()[0].vertices
    top = np.nanmax(vertices[:, 1])
    assert top == pytest.approx(np.nanmax(1.0 - treated["ci_lower"].to_numpy()))


def test_campaign_draws_every_difference(effect: rt.CampaignEffect) -> None:
    fig = plot.campaign(effect)
    panels = fig.axes[1:]
    assert [ax.get_title() for ax in panels] == [
        "Share who bought again",
        "Orders per customer",
        "Revenue per customer",
        "Days to the next purchase",
    ]
    for ax, measure in zip(panels, effect.differences.index, strict=True):
        estimate, low, high, labels = drawn_intervals(ax)
        frames = {"after": effect.differences, "diff-in-diff": effect.did, "before": effect.balance}
        expected = [label for label, f in frames.items() if measure in f.index]
        assert labels == expected
        for k, label in enumerate(labels):
            row = frames[label].loc[measure]
            assert estimate[k] == row["estimate"]
            assert low[k] == row["ci_lower"]
            assert high[k] == row["ci_upper"]


def test_campaign_with_an_empty_group(tx: pd.DataFrame) -> None:
    everybody = tx.loc[tx["date"] < "2024-05-01", "customer_id"].unique()
    with pytest.warns(rt.errors.RetentionWarning, match="control group has no customers"):
        effect = rt.campaign_effect(tx, everybody, start="2024-05-01", randomized=False)
    fig = plot.campaign(effect)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels[:2] == ["treated", "control"]
    control = fig.axes[0].get_lines()[1]
    assert len(control.get_xdata()) == 0
    points = next(c for c in fig.axes[1].collections if isinstance(c, PathCollection))
    assert np.isnan(np.ma.filled(np.ma.asarray(points.get_offsets(), dtype=float), np.nan)).all()


def test_result_plot_hook(effect: rt.CampaignEffect) -> None:
    fig = effect.plot()
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title() == "Bought again since the contact"


def test_plots_refuse_other_results(effect: rt.CampaignEffect) -> None:
    with pytest.raises(ColumnTypeError, match="CampaignEffect"):
        plot.campaign(effect.groups)  # type: ignore[arg-type]
    with pytest.raises(ColumnTypeError, match="RetentionComparison"):
        plot.comparison(effect)  # type: ignore[arg-type]


def test_plots_are_deterministic(effect: rt.CampaignEffect) -> None:
    def png(fig: Figure) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(fig)
        return buffer.getvalue()

    assert png(plot.campaign(effect)) == png(plot.campaign(effect))


@pytest.mark.parametrize("name", ["campaign", "comparison"])
def test_missing_matplotlib_names_the_extra(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=f"plot.{name} needs matplotlib"):
        getattr(plot, name)(None)
