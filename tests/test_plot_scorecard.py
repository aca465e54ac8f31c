"""retention.plot.scorecard draws exactly the differences of the card's versus_rest frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import matplotlib.pyplot as plt  # after the importorskip
from matplotlib.colors import to_hex

import retention as rt
from retention import plot
from retention.errors import ColumnTypeError, InvalidParameterError


@pytest.fixture(scope="module")
def card() -> rt.Scorecard:
    return rt.scorecard(rt.example_transactions(), "manager")


@pytest.mark.parametrize(
    "measure", ["survival_3", "survival_12", "churn_rate", "repeat_purchase_rate"]
)
def test_draws_the_differences(card: rt.Scorecard, measure: str) -> None:
    ax = plot.scorecard(card, measure)
    rows = card.versus_rest.xs(measure, level="measure")
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    intervals = [line for line in ax.get_lines() if line.get_linewidth() == 2]  # not the 0 line
    np.testing.assert_array_equal([d.get_xdata()[0] for d in dots], rows["estimate"].to_numpy())
    np.testing.assert_array_equal([d.get_ydata()[0] for d in dots], np.arange(len(rows)))
    np.testing.assert_array_equal(
        [line.get_xdata() for line in intervals], rows[["ci_lower", "ci_upper"]].to_numpy()
    )
    # Vermillion where the interval excludes 0, grey where it covers it.
    excludes = (rows["ci_lower"] > 0) | (rows["ci_upper"] < 0)
    colours = [to_hex(d.get_color()) for d in dots]
    assert colours == ["#d55e00" if e else "#737373" for e in excludes]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(card.figures.index)
    assert ax.get_xlabel() == "group - rest (percentage points)"


def test_a_group_without_a_difference_keeps_its_row() -> None:
    tx = rt.example_transactions().assign(manager="everyone")
    ax = plot.scorecard(rt.scorecard(tx, "manager"))
    assert [line for line in ax.get_lines() if line.get_marker() == "o"] == []
    assert [t.get_text() for t in ax.get_yticklabels()] == ["everyone"]


def test_empty_card_and_own_axes() -> None:
    empty = rt.scorecard(rt.example_transactions().iloc[:0], "manager")
    _, own = plt.subplots()
    ax = plot.scorecard(empty, ax=own)
    assert ax is own
    assert any(t.get_text() == "no data" for t in ax.texts)


def test_bad_input(card: rt.Scorecard) -> None:
    with pytest.raises(ColumnTypeError, match="Scorecard"):
        plot.scorecard(card.figures)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'measure' parameter of plot\.scorecard"):
        plot.scorecard(card, "crr")
    with pytest.raises(ColumnTypeError, match="'ax' parameter"):
        plot.scorecard(card, ax=pd.DataFrame())  # type: ignore[arg-type]
