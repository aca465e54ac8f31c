"""retention.plot: every plot on the example data draws exactly the numbers of the result it is given.

Each test reads the data back from the matplotlib artists (line y-data, image arrays, bar heights, band
limits, texts) and compares them with the result frame; groups from ``by=`` give one artist or panel per
group; empty results give a labelled empty Axes. The root conftest.py closes the figures after every test.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("matplotlib")

import matplotlib.cbook  # after the importorskip
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.text
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mpl_toolkits.axisartist import Axes as ArtistAxes

import retention as rt
from retention import plot
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    MissingDependencyError,
)

ROOT = Path(__file__).resolve().parents[1]
CAL_END = "2024-06-30"


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return rt.example_transactions()


@pytest.fixture(scope="module")
def empty(tx: pd.DataFrame) -> pd.DataFrame:
    return tx.iloc[:0]


@pytest.fixture(scope="module")
def summary(tx: pd.DataFrame) -> pd.DataFrame:
    return rt.rfm_summary(tx, time_unit="W")


@pytest.fixture(scope="module")
def model(summary: pd.DataFrame) -> rt.BetaGeo:
    return rt.BetaGeo.fit(summary)


@pytest.fixture(scope="module")
def calibration(tx: pd.DataFrame) -> pd.DataFrame:
    return rt.rfm_summary(tx, time_unit="W", calibration_end=CAL_END)


@pytest.fixture(scope="module")
def fitted(calibration: pd.DataFrame) -> dict[str, Any]:
    return {"BG/NBD": rt.BetaGeo.fit(calibration), "Pareto/NBD": rt.ParetoNBD.fit(calibration)}


def floats(values: Any) -> np.ndarray:
    """An artist's data (or a column) as floats, masked values as NaN."""
    return np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)


def assert_same(drawn: Any, expected: Any) -> None:
    np.testing.assert_array_equal(floats(drawn), floats(expected))


def panels(fig: Figure) -> list[Axes]:
    """The panels of a faceted figure, without the colour bars and twin axes."""
    return [a for a in fig.axes if a.get_title() and a.get_label() != "<colorbar>"]


def assert_empty(ax: Axes) -> None:
    assert not ax.get_lines()
    assert not ax.images
    assert not ax.containers
    assert [t.get_text() for t in ax.texts] == ["no data"]
    assert ax.get_title()
    assert ax.get_xlabel()
    assert ax.get_ylabel()


# --- import and dependency ---------------------------------------------------------------------------------


def test_import_retention_does_not_import_matplotlib() -> None:
    code = (
        "import sys, retention, retention.plot; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "assert retention.plot is sys.modules['retention.plot']"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_rt_plot_is_the_module() -> None:
    assert rt.plot is plot
    with pytest.raises(AttributeError, match="no attribute 'plots'"):
        _ = rt.plots  # type: ignore[attr-defined]


CALLS: dict[str, Callable[[], Any]] = {
    "abc_curve": lambda: plot.abc_curve(None),  # type: ignore[arg-type]
    "abc_xyz_matrix": lambda: plot.abc_xyz_matrix(None),  # type: ignore[arg-type]
    "calibration_holdout": lambda: plot.calibration_holdout(None),  # type: ignore[arg-type]
    "campaign": lambda: plot.campaign(None),  # type: ignore[arg-type]
    "cohort_heatmap": lambda: plot.cohort_heatmap(None),  # type: ignore[arg-type]
    "comparison": lambda: plot.comparison(None),  # type: ignore[arg-type]
    "forecast": lambda: plot.forecast(None),
    "frequency_recency_matrix": lambda: plot.frequency_recency_matrix(None),
    "migration": lambda: plot.migration(None),  # type: ignore[arg-type]
    "p_alive_history": lambda: plot.p_alive_history(None, None, time_unit="W"),  # type: ignore[arg-type]
    "p_alive_matrix": lambda: plot.p_alive_matrix(None),
    "period_retention": lambda: plot.period_retention(None),  # type: ignore[arg-type]
    "retention_curves": lambda: plot.retention_curves(None),  # type: ignore[arg-type]
    "rfm_segments": lambda: plot.rfm_segments(None),  # type: ignore[arg-type]
    "scorecard": lambda: plot.scorecard(None),  # type: ignore[arg-type]
    "survival": lambda: plot.survival(None),  # type: ignore[arg-type]
    "tracking": lambda: plot.tracking(None),  # type: ignore[arg-type]
}


def test_calls_cover_every_plot() -> None:
    assert set(CALLS) == set(plot.__all__)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_missing_matplotlib_names_the_extra(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import matplotlib` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(
        MissingDependencyError, match=re.escape('pip install "retention-metrics[plot]"')
    ):
        CALLS[name]()
    with pytest.raises(ImportError, match=f"plot.{name} needs matplotlib"):
        CALLS[name]()


# --- cohorts -----------------------------------------------------------------------------------------------


def test_cohort_heatmap_draws_the_table(tx: pd.DataFrame) -> None:
    table = rt.cohort_table(tx, normalize=True)
    ax = plot.cohort_heatmap(table)
    assert isinstance(ax, Axes)
    (image,) = ax.images
    assert_same(image.get_array(), table)
    assert np.ma.getmaskarray(image.get_array()).sum() == table.isna().to_numpy().sum()  # blank NaN
    assert ax.get_title() == "Share of each cohort active"
    assert ax.get_xlabel() == "months since acquisition"
    assert not ax.texts  # 24 x 24 cells: too many to write in
    assert image.norm.vmax == np.nanmax(table.to_numpy()[:, 1:])
    colorbar = image.colorbar
    assert colorbar is not None
    assert colorbar.ax.get_ylabel() == "share of the cohort"


def test_cohort_heatmap_annotates_a_small_table(tx: pd.DataFrame) -> None:
    table = rt.cohort_table(tx, freq="Q")  # counts
    ax = plot.cohort_heatmap(table)
    assert_same(ax.images[0].get_array(), table)
    values = table.to_numpy()
    finite = values[np.isfinite(values)]
    assert [t.get_text() for t in ax.texts] == [f"{v:,.0f}" for v in finite]
    assert ax.get_title() == "Cohort table"
    assert ax.get_xlabel() == "quarters since acquisition"
    shares = plot.cohort_heatmap(rt.cohort_table(tx, freq="Q", normalize=True))
    assert shares.texts[0].get_text() == "100%"


def test_cohort_heatmap_by_group_draws_a_panel_per_group(tx: pd.DataFrame) -> None:
    table = rt.cohort_table(tx, freq="Q", normalize=True, by="channel")
    fig = plot.cohort_heatmap(table)
    assert isinstance(fig, Figure)
    drawn = panels(fig)
    assert [a.get_title() for a in drawn] == [f"channel = {c}" for c in ("app", "store", "web")]
    for ax, channel in zip(drawn, ("app", "store", "web"), strict=True):
        assert_same(ax.images[0].get_array(), table.xs(channel, level="channel"))
    with pytest.raises(InvalidParameterError, match=r"one panel per group.*xs\("):
        plot.cohort_heatmap(table, ax=plt.subplots()[1])


def test_cohort_heatmap_refuses_other_results(tx: pd.DataFrame) -> None:
    with pytest.raises(
        ColumnTypeError, match=r"cohort_table.*must be a DataFrame.*rt\.cohort_table"
    ):
        plot.cohort_heatmap(rt.cohort_table(tx).iloc[0])  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match=r"named 'cohort'.*rt\.cohort_table\(tx\)"):
        plot.cohort_heatmap(rt.period_retention(tx))
    with pytest.raises(ColumnTypeError, match="'ax' parameter"):
        plot.cohort_heatmap(rt.cohort_table(tx), ax="left")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("draw", "make", "column", "maker"),
    [
        (plot.cohort_heatmap, rt.cohort_table, 0, "rt.cohort_table(tx)"),
        (plot.retention_curves, rt.retention_curve, "retention", "rt.retention_curve"),
        (plot.period_retention, rt.period_retention, "crr", "rt.period_retention(tx)"),
        (plot.survival, rt.survival_curve, "survival", "rt.survival_curve(tx)"),
        (plot.abc_curve, rt.abc_xyz, "cumulative_share", "rt.abc_xyz(tx)"),
    ],
)
def test_results_with_text_for_numbers_are_refused(
    tx: pd.DataFrame, draw: Callable[..., Any], make: Callable[..., Any], column: Any, maker: str
) -> None:
    result = make(tx)
    result[column] = result[column].astype(str)
    with pytest.raises(
        ColumnTypeError, match=rf"'{column}' column .* must hold numbers.*{re.escape(maker)}"
    ):
        draw(result)


def test_retention_curves_draws_the_curve(tx: pd.DataFrame) -> None:
    curve = rt.retention_curve(tx)
    ax = plot.retention_curves(curve)
    (line,) = ax.get_lines()
    assert_same(line.get_xdata(), curve.index)
    assert_same(line.get_ydata(), curve["retention"])


def test_retention_curves_one_line_per_group(tx: pd.DataFrame) -> None:
    curve = rt.retention_curve(tx, by="channel")
    ax = plot.retention_curves(curve)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["app", "store", "web"]
    for line in lines:
        part = curve.xs(line.get_label(), level="channel")
        assert_same(line.get_ydata(), part["retention"])
    assert ax.get_legend().get_title().get_text() == "channel"


def test_retention_curves_of_a_cohort_table(tx: pd.DataFrame) -> None:
    table = rt.cohort_table(tx, freq="Q", normalize=True)
    ax = plot.retention_curves(table)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [str(p) for p in table.index]
    for line, (_, row) in zip(lines, table.iterrows(), strict=True):
        assert_same(line.get_xdata(), table.columns)
        assert_same(line.get_ydata(), row)
    fig = plot.retention_curves(rt.cohort_table(tx, freq="Q", normalize=True, by="channel"))
    assert isinstance(fig, Figure)
    assert len(panels(fig)) == 3


def test_period_retention_stacks_the_counts(tx: pd.DataFrame) -> None:
    table = rt.period_retention(tx)
    ax = plot.period_retention(table)
    retained, reactivated, new = ax.containers
    assert [c.get_label() for c in ax.containers] == ["retained", "reactivated", "new"]
    assert_same([bar.get_height() for bar in retained], table["retained"])
    assert_same([bar.get_height() for bar in reactivated], table["reactivated"])
    assert_same([bar.get_height() for bar in new], table["new"])
    assert_same([bar.get_y() for bar in new], table["retained"] + table["reactivated"])
    tops = [bar.get_y() + bar.get_height() for bar in new]
    assert_same(tops, table["customers_end"])  # the bars add up to the active customers
    (rates,) = [a for a in ax.figure.axes if a is not ax]
    crr, churn = rates.get_lines()
    assert (crr.get_label(), churn.get_label()) == ("CRR", "churn rate")
    assert_same(crr.get_ydata(), table["crr"])
    assert_same(churn.get_ydata(), table["churn_rate"])


def test_period_retention_by_group(tx: pd.DataFrame) -> None:
    table = rt.period_retention(tx, freq="Q", by="channel")
    fig = plot.period_retention(table)
    assert isinstance(fig, Figure)
    bars = [a for a in fig.axes if a.containers]
    assert len(bars) == 3
    for ax, channel in zip(bars, ("app", "store", "web"), strict=True):
        assert ax.get_title() == f"channel = {channel}"
        heights = [bar.get_height() for bar in ax.containers[2]]
        assert_same(heights, table.xs(channel, level="channel")["new"])


def test_survival_draws_curve_band_censoring_and_at_risk(tx: pd.DataFrame) -> None:
    curve = rt.survival_curve(tx)
    ax = plot.survival(curve)
    step, ticks = ax.get_lines()
    assert step.get_drawstyle() == "steps-post"
    assert_same(step.get_xdata(), curve.index)
    assert_same(step.get_ydata(), curve["survival"])
    censored = curve[curve["censored"] > 0]
    assert ticks.get_marker() == "|"
    assert_same(ticks.get_xdata(), censored.index)
    assert_same(ticks.get_ydata(), censored["survival"])
    (band,) = ax.collections
    vertices = np.concatenate([path.vertices for path in band.get_paths()])
    limits = pd.concat([curve["ci_lower"], curve["ci_upper"]]).dropna()
    np.testing.assert_array_equal(np.unique(vertices[:, 1]), np.unique(limits))
    assert vertices[:, 0].max() == curve.index.max()
    counts = [t for t in ax.texts if t.get_gid() == "at_risk:survival"]
    # Customers with a lifetime of at least `tick` days: at_risk at the first curve time from the tick on.
    later = [curve.loc[curve.index >= tick, "at_risk"] for tick in ax.get_xticks()]
    expected = [part.iloc[0] if len(part) else 0 for part in later]
    assert [t.get_text() for t in counts] == [f"{int(n):,}" for n in expected]
    assert counts[0].get_text() == "3,000"  # everybody is at risk on day 0
    assert ax.get_ylabel() == "share of customers still active"


def test_survival_one_curve_per_group(tx: pd.DataFrame) -> None:
    curve = rt.survival_curve(tx, by="channel")
    ax = plot.survival(curve)
    steps = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in steps] == ["app", "store", "web"]
    for line in steps:
        assert_same(line.get_ydata(), curve.xs(line.get_label(), level="channel")["survival"])
    assert len(ax.collections) == 3  # a band per group
    rows = {t.get_gid() for t in ax.texts if t.get_gid()}
    assert rows == {"at_risk:app", "at_risk:store", "at_risk:web"}


def test_survival_starts_at_one() -> None:
    curve = pd.DataFrame(
        {
            "at_risk": [4, 2],
            "events": [1, 2],
            "censored": [1, 0],
            "survival": [0.75, 0.0],
            "ci_lower": [0.1, np.nan],
            "ci_upper": [0.9, np.nan],
        },
        index=pd.Index([5, 12], name="time"),
    )
    ax = plot.survival(curve)
    step = ax.get_lines()[0]
    assert_same(step.get_xdata(), [0, 5, 12])
    assert_same(step.get_ydata(), [1.0, 0.75, 0.0])


# --- models -----------------------------------------------------------------------------------------------


def test_frequency_recency_matrix_holds_the_predictions(
    model: rt.BetaGeo, summary: pd.DataFrame
) -> None:
    ax = plot.frequency_recency_matrix(model, summary, t=52, time_unit="W")
    values = floats(ax.images[0].get_array())
    top_f, top_r = int(summary["frequency"].max()), summary["T"].max()
    assert values.shape == (top_f + 1, int(np.floor(top_r)) + 1)
    f, r = np.indices(values.shape)
    valid = (f == 0) == (r == 0)
    expected = model.conditional_expected_purchases(
        t=52.0, frequency=f[valid], recency=r[valid], T=top_r
    )
    np.testing.assert_array_equal(values[valid], expected)
    assert np.isnan(values[~valid]).all()  # no customer has them
    assert ax.get_xlabel() == "recency: first to last purchase (weeks)"
    assert "next 52 weeks" in ax.get_title()


def test_matrices_read_summaries_of_other_engines(model: rt.BetaGeo, summary: pd.DataFrame) -> None:
    pa = pytest.importorskip("pyarrow")
    expected = plot.frequency_recency_matrix(model, summary, t=52, time_unit="W")
    table = pa.Table.from_pandas(summary)  # as pandas writes it: the index a column
    got = plot.frequency_recency_matrix(model, table, t=52, time_unit="W")
    assert_same(floats(got.images[0].get_array()), floats(expected.images[0].get_array()))


def test_p_alive_matrix_holds_p_alive(model: rt.BetaGeo) -> None:
    ax = plot.p_alive_matrix(model, max_frequency=10, max_recency=30, T=40)
    values = floats(ax.images[0].get_array())
    assert values.shape == (11, 31)
    f, r = np.indices(values.shape)
    valid = (f == 0) == (r == 0)
    np.testing.assert_array_equal(
        values[valid], model.p_alive(frequency=f[valid], recency=r[valid], T=40.0)
    )
    assert ax.images[0].norm.vmax == 1.0


def test_matrices_of_the_discrete_time_model() -> None:
    bgbb = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    ax = plot.frequency_recency_matrix(bgbb, max_frequency=6, max_recency=6, t=5)
    values = floats(ax.images[0].get_array())
    f, r = np.indices(values.shape)
    valid = ((f == 0) == (r == 0)) & (f <= r)
    np.testing.assert_array_equal(
        values[valid],
        bgbb.conditional_expected_purchases(t=5, frequency=f[valid], recency=r[valid], n_periods=6),
    )
    assert np.isnan(values[~valid]).all()
    assert ax.get_xlabel() == "recency: first to last purchase (opportunities)"
    donations = rt.load_donations().rename(columns={"periods": "n_periods"})
    alive = plot.p_alive_matrix(bgbb, donations)
    assert alive.images[0].get_array().shape == (7, 7)


def test_matrices_refuse_bad_input(model: rt.BetaGeo) -> None:
    with pytest.raises(InvalidParameterError, match=r"summary=.*max_frequency= and max_recency="):
        plot.p_alive_matrix(model)
    with pytest.raises(ColumnTypeError, match=r"transaction model.*rt\.BetaGeo\.fit"):
        plot.p_alive_matrix(
            rt.GammaGamma(p=6.25, q=3.74, gamma=15.44), max_frequency=2, max_recency=2
        )
    with pytest.raises(InvalidParameterError, match=r"'max_frequency'.*whole number"):
        plot.p_alive_matrix(model, max_frequency=2.5, max_recency=2)  # type: ignore[arg-type]
    # A grid too large to draw says its size in short, not in the hundreds of digits of a huge int.
    with pytest.raises(
        InvalidParameterError, match=r"would draw 2,003,001 cells \(max_frequency 2000,"
    ):
        plot.p_alive_matrix(model, max_frequency=2000, max_recency=1000)
    with pytest.raises(InvalidParameterError, match=r"would draw [0-9.]+e\+302 cells") as caught:
        plot.p_alive_matrix(model, max_frequency=10**300, max_recency=730)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("name", plot.__all__)
def test_shared_docstring_entries_are_written_in(name: str) -> None:
    # The matrices' shared entries (<grid options>, <matrix raises>) and the transaction options of
    # p_alive_history are written into the docstrings at import: no marker line is left.
    doc = getattr(plot, name).__doc__
    assert not re.search(r"^\s*<[a-z ]+>\s*$", doc, flags=re.MULTILINE)
    if name.endswith("_matrix") and name != "abc_xyz_matrix":
        assert "    max_recency : float, optional\n" in doc
        assert "    InvalidParameterError\n        If neither ``summary``" in doc


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"max_recency": float("inf")},
            r"'max_recency' parameter .* positive finite number. Got inf",
        ),
        ({"T": 0}, r"'T' parameter .* positive finite number. Got 0"),
        ({"t": "x"}, r"'t' parameter .* positive finite number. Got 'x'"),
        ({"max_frequency": -1}, r"'max_frequency' parameter .* whole number >= 0. Got -1"),
    ],
)
def test_matrices_refuse_bad_sizes(
    model: rt.BetaGeo, options: dict[str, object], message: str
) -> None:
    sizes: dict[str, Any] = {"max_frequency": 2, "max_recency": 3, **options}
    with pytest.raises(InvalidParameterError, match=message):
        plot.frequency_recency_matrix(model, **sizes)


def test_p_alive_history_follows_the_summary(tx: pd.DataFrame, model: rt.BetaGeo) -> None:
    one = tx[tx["customer_id"] == 3]
    ax = plot.p_alive_history(model, one, time_unit="W", observation_end="2024-12-31")
    line = ax.get_lines()[0]
    days = np.asarray(line.get_xdata(), dtype="datetime64[D]")
    purchases = np.unique(one["date"].to_numpy().astype("datetime64[D]"))
    assert days[0] == purchases[0]
    assert days[-1] == np.datetime64("2024-12-31")
    assert np.all(np.diff(days) == np.timedelta64(1, "D"))
    y = floats(line.get_ydata())
    for day in [purchases[0], purchases[2], purchases[2] + 10, days[-1]]:
        history = rt.rfm_summary(one, time_unit="W", observation_end=str(day))
        position = int((day - days[0]) / np.timedelta64(1, "D"))
        assert y[position] == pytest.approx(model.p_alive(history).iloc[0], rel=1e-12)
    (marks,) = ax.collections
    assert len(marks.get_segments()) == len(purchases)  # a dashed line at each purchase day


def test_p_alive_history_refuses_several_customers(tx: pd.DataFrame, model: rt.BetaGeo) -> None:
    with pytest.raises(
        InvalidValueError, match=r"one customer.*3,000 customers.*tx\[tx\['customer_id'\] == 1\]"
    ):
        plot.p_alive_history(model, tx, time_unit="W")
    bgbb = rt.BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.8)
    with pytest.raises(
        ColumnTypeError, match=re.escape("rt.BetaGeo, rt.ModifiedBetaGeo or rt.ParetoNBD")
    ):
        plot.p_alive_history(bgbb, tx, time_unit="W")


def test_calibration_holdout_draws_actual_and_expected(
    fitted: dict[str, Any], calibration: pd.DataFrame
) -> None:
    table = rt.calibration_holdout_table(fitted["BG/NBD"], calibration)
    ax = plot.calibration_holdout(table)
    actual, expected = ax.get_lines()
    assert (actual.get_label(), expected.get_label()) == ("actual", "expected")
    assert_same(actual.get_ydata(), table["actual"])
    assert_same(expected.get_ydata(), table["expected"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [f"{b}\n{n:,}" for b, n in zip(table.index, table["customers"], strict=True)]


def test_calibration_holdout_overlays_models(
    fitted: dict[str, Any], calibration: pd.DataFrame
) -> None:
    tables = {name: rt.calibration_holdout_table(m, calibration) for name, m in fitted.items()}
    ax = plot.calibration_holdout(tables)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["actual", "BG/NBD", "Pareto/NBD"]
    for line in lines[1:]:
        assert_same(line.get_ydata(), tables[line.get_label()]["expected"])
    shorter = {
        "a": tables["BG/NBD"],
        "b": rt.calibration_holdout_table(fitted["BG/NBD"], calibration, max_frequency=3),
    }
    with pytest.raises(InvalidValueError, match="same customers"):
        plot.calibration_holdout(shorter)


def test_tracking_draws_cumulative_and_incremental(
    tx: pd.DataFrame, fitted: dict[str, Any]
) -> None:
    table = rt.tracking_table(
        fitted["BG/NBD"], tx, time_unit="W", freq="M", calibration_end=CAL_END
    )
    ax = plot.tracking(table, calibration_end=CAL_END)
    actual, expected, end = ax.get_lines()
    ends = table.index.end_time.normalize().to_numpy().astype("datetime64[D]")
    np.testing.assert_array_equal(np.asarray(actual.get_xdata(), dtype="datetime64[D]"), ends)
    assert_same(actual.get_ydata(), table["actual_cumulative"])
    assert_same(expected.get_ydata(), table["expected_cumulative"])
    assert end.get_label() == "calibration end"
    assert end.get_xdata()[0] == mdates.date2num(np.datetime64(CAL_END))
    incremental = plot.tracking(table, kind="incremental")
    actual, expected = incremental.get_lines()
    assert_same(actual.get_ydata(), table["actual"])
    assert_same(expected.get_ydata(), table["expected"])
    assert incremental.get_title() == "Tracking: repeat transactions per month"


def test_tracking_overlays_models(tx: pd.DataFrame, fitted: dict[str, Any]) -> None:
    tables = {
        name: rt.tracking_table(m, tx, time_unit="W", freq="M", calibration_end=CAL_END)
        for name, m in fitted.items()
    }
    ax = plot.tracking(tables)
    assert [line.get_label() for line in ax.get_lines()] == ["actual", "BG/NBD", "Pareto/NBD"]
    for line in ax.get_lines()[1:]:
        assert_same(line.get_ydata(), tables[line.get_label()]["expected_cumulative"])
    with pytest.raises(InvalidParameterError, match=re.escape("'kind' parameter of plot.tracking")):
        plot.tracking(tables, kind="total")
    with pytest.raises(ColumnNotFoundError, match=r"rt\.tracking_table"):
        plot.tracking(rt.period_retention(tx))


# --- classes and segments ---------------------------------------------------------------------------------


def test_abc_curve_draws_the_ranking_and_bands(tx: pd.DataFrame) -> None:
    result = rt.abc_xyz(tx)
    ax = plot.abc_curve(result)
    (curve,) = [line for line in ax.get_lines() if line.get_label() == "customers"]
    n = len(result)
    assert_same(curve.get_xdata(), np.r_[0.0, np.arange(1, n + 1) / n])
    assert_same(curve.get_ydata(), np.r_[0.0, np.sort(result["cumulative_share"].to_numpy())])
    bands = ax.patches
    assert [b.get_label() for b in bands] == ["_band A", "_band B", "_band C"]
    shares = result["abc"].value_counts(sort=False).reindex(["A", "B", "C"]).to_numpy() / n
    widths = np.array([b.get_width() for b in bands])
    np.testing.assert_allclose(widths, shares, rtol=1e-12)
    value = result.groupby("abc", observed=False)["share"].sum()
    assert f"{value['A']:.0%} of value" in ax.texts[0].get_text()


def test_abc_curve_one_line_per_group(tx: pd.DataFrame) -> None:
    result = rt.abc_xyz(tx, by="channel")
    ax = plot.abc_curve(result)
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["app", "store", "web"]
    for line in lines:
        part = result.xs(line.get_label(), level="channel")
        assert_same(line.get_ydata()[1:], np.sort(part["cumulative_share"].to_numpy()))
    assert not ax.patches


def test_abc_xyz_matrix_heatmap(tx: pd.DataFrame) -> None:
    matrix = rt.abc_xyz_matrix(tx)
    ax = plot.abc_xyz_matrix(matrix)
    assert_same(ax.images[0].get_array(), matrix["value_share"])
    first = ax.texts[0].get_text()
    assert (
        first
        == f"{matrix['value_share'].iloc[0, 0]:.0%}\n{matrix['customers'].iloc[0, 0]:,} customers"
    )
    counts = plot.abc_xyz_matrix(matrix, measure="customers")
    assert_same(counts.images[0].get_array(), matrix["customers"])
    with pytest.raises(InvalidParameterError, match="'measure' parameter"):
        plot.abc_xyz_matrix(matrix, measure="revenue")
    with pytest.raises(ColumnNotFoundError, match=r"rt\.abc_xyz_matrix"):
        plot.abc_xyz_matrix(rt.cohort_table(tx))


def test_abc_xyz_matrix_by_group(tx: pd.DataFrame) -> None:
    matrix = rt.abc_xyz_matrix(tx, by="manager")
    fig = plot.abc_xyz_matrix(matrix)
    assert isinstance(fig, Figure)
    drawn = [a for a in fig.axes if a.images]
    managers = list(matrix.index.get_level_values("manager").unique())
    assert len(drawn) == len(managers) == 6
    for ax, manager in zip(drawn, managers, strict=True):
        assert ax.get_title() == f"manager = {manager}"
        assert_same(ax.images[0].get_array(), matrix.xs(manager, level="manager")["value_share"])


def test_migration_heatmap(tx: pd.DataFrame) -> None:
    before = rt.working_segments(rt.customer_features(tx, observation_end="2024-03-31"))
    after = rt.working_segments(rt.customer_features(tx, observation_end="2024-06-30"))
    counts = rt.migration_matrix(before, after)
    ax = plot.migration(counts)
    assert_same(ax.images[0].get_array(), counts)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(counts.index)
    assert ax.get_title() == "Segment migration: customers"
    shares = rt.migration_matrix(before, after, normalize="index")
    ax = plot.migration(shares)
    assert_same(ax.images[0].get_array(), shares)
    assert ax.images[0].colorbar is not None
    assert ax.images[0].colorbar.ax.get_ylabel() == "share"
    with pytest.raises(ColumnNotFoundError, match=r"named 'before'.*rt\.migration_matrix"):
        plot.migration(rt.cohort_table(tx))


def test_rfm_segments_bars(tx: pd.DataFrame) -> None:
    scores = rt.rfm_scores(tx)
    segments = rt.rfm_segments(scores)
    ax = plot.rfm_segments(segments, scores)
    customers, revenue = ax.containers
    categories = list(segments.cat.categories)
    counts = segments.value_counts(sort=False).reindex(categories).to_numpy()
    money = scores["monetary"].groupby(segments, observed=False).sum().reindex(categories)
    np.testing.assert_allclose(
        [b.get_width() for b in customers], counts / len(segments), rtol=1e-12
    )
    np.testing.assert_allclose(
        [b.get_width() for b in revenue], money / scores["monetary"].sum(), rtol=1e-12
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == categories
    only = plot.rfm_segments(segments)
    assert len(only.containers) == 1
    with pytest.raises(InvalidValueError, match="index of 'segments'"):
        plot.rfm_segments(segments, scores.iloc[::-1])
    with pytest.raises(ColumnTypeError, match=r"rt\.rfm_segments\(scores\)"):
        plot.rfm_segments(scores)  # type: ignore[arg-type]


def test_rfm_segments_by_group(tx: pd.DataFrame) -> None:
    scores = rt.rfm_scores(tx, by="channel")
    segments = rt.rfm_segments(scores)
    fig = plot.rfm_segments(segments, scores)
    assert isinstance(fig, Figure)
    drawn = [a for a in fig.axes if a.containers]
    assert [a.get_title() for a in drawn] == [f"channel = {c}" for c in ("app", "store", "web")]
    for ax, channel in zip(drawn, ("app", "store", "web"), strict=True):
        part = segments.xs(channel, level="channel")
        counts = part.value_counts(sort=False).reindex(part.cat.categories).to_numpy()
        np.testing.assert_allclose([b.get_width() for b in ax.containers[0]], counts / len(part))


# --- shared behaviour --------------------------------------------------------------------------------------


def test_one_figure_per_plot(tx: pd.DataFrame) -> None:
    before = len(plt.get_fignums())
    ax = plot.survival(rt.survival_curve(tx))
    assert len(plt.get_fignums()) == before + 1
    fig = plot.cohort_heatmap(rt.cohort_table(tx, freq="Q", by="channel"))
    assert len(plt.get_fignums()) == before + 2
    plt.close(ax.figure)
    plt.close(fig)  # type: ignore[arg-type]
    assert len(plt.get_fignums()) == before


def test_ax_is_drawn_on_and_returned(tx: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    figures = plt.get_fignums()
    assert plot.survival(rt.survival_curve(tx), ax=ax) is ax
    assert plot.abc_curve(rt.abc_xyz(tx), ax=ax) is ax
    assert plot.cohort_heatmap(rt.cohort_table(tx, freq="Q"), ax=ax) is ax
    assert plt.get_fignums() == figures  # nothing else was opened
    assert ax.figure is fig


def test_plots_are_deterministic(tx: pd.DataFrame) -> None:
    def png(draw: Callable[[], Axes | Figure]) -> bytes:
        drawn = draw()
        fig = drawn if isinstance(drawn, Figure) else drawn.figure
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(fig)  # type: ignore[arg-type]
        return buffer.getvalue()

    curve = rt.survival_curve(tx, by="channel")
    assert png(lambda: plot.survival(curve)) == png(lambda: plot.survival(curve))
    result = rt.abc_xyz(tx)
    assert png(lambda: plot.abc_curve(result)) == png(lambda: plot.abc_curve(result))


def empty_results(tx: pd.DataFrame, fitted: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    e = tx.iloc[:0]
    return {
        "cohort_heatmap": lambda: plot.cohort_heatmap(rt.cohort_table(e)),
        "cohort_heatmap by": lambda: plot.cohort_heatmap(rt.cohort_table(e, by="channel")),
        "retention_curves": lambda: plot.retention_curves(rt.retention_curve(e)),
        "retention_curves by": lambda: plot.retention_curves(rt.retention_curve(e, by="channel")),
        "retention_curves cohorts": lambda: plot.retention_curves(rt.cohort_table(e)),
        "period_retention": lambda: plot.period_retention(rt.period_retention(e)),
        "survival": lambda: plot.survival(rt.survival_curve(e)),
        "survival by": lambda: plot.survival(rt.survival_curve(e, by="channel")),
        "p_alive_matrix": lambda: plot.p_alive_matrix(fitted["BG/NBD"], rt.rfm_summary(e)),
        "p_alive_history": lambda: plot.p_alive_history(fitted["BG/NBD"], e, time_unit="W"),
        "tracking": lambda: plot.tracking(rt.tracking_table(fitted["BG/NBD"], e, time_unit="W")),
        "abc_curve": lambda: plot.abc_curve(rt.abc_xyz(e)),
        "abc_xyz_matrix": lambda: plot.abc_xyz_matrix(rt.abc_xyz_matrix(rt.abc_xyz(e))),
        "rfm_segments": lambda: plot.rfm_segments(rt.rfm_segments(rt.rfm_scores(e))),
    }


def test_empty_results_give_labelled_empty_axes(tx: pd.DataFrame, fitted: dict[str, Any]) -> None:
    for name, draw in empty_results(tx, fitted).items():
        ax = draw()
        assert isinstance(ax, Axes), name
        assert_empty(ax)
        plt.close(ax.figure)


def test_gallery_shows_every_plot() -> None:
    page = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    for name in plot.__all__:
        assert f"plot.{name}(" in page, f"docs/gallery.md does not show plot.{name}"


# --- results edited by hand, and Axes of other kinds ------------------------------------------------------


@pytest.fixture(scope="module")
def drawings(
    tx: pd.DataFrame, model: rt.BetaGeo, summary: pd.DataFrame, fitted: dict[str, Any]
) -> dict[str, Callable[[Any], Any]]:
    """Every plot that takes ``ax=``, drawing a result of the example data on the Axes it is given."""
    calibration = rt.rfm_summary(tx, time_unit="W", calibration_end=CAL_END)
    scores = rt.rfm_scores(tx)
    march = rt.working_segments(rt.customer_features(tx, observation_end="2024-03-31"))
    june = rt.working_segments(rt.customer_features(tx, observation_end="2024-06-30"))
    holdout = rt.calibration_holdout_table(fitted["BG/NBD"], calibration)
    tracked = rt.tracking_table(fitted["BG/NBD"], tx, time_unit="W", calibration_end=CAL_END)
    backtest = rt.backtest(tx, calibration_end=CAL_END, freq="M", n_draws=20)
    one = tx[tx["customer_id"] == 3]
    return {
        "abc_curve": lambda ax: plot.abc_curve(rt.abc_xyz(tx), ax=ax),
        "abc_xyz_matrix": lambda ax: plot.abc_xyz_matrix(rt.abc_xyz_matrix(tx), ax=ax),
        "calibration_holdout": lambda ax: plot.calibration_holdout(holdout, ax=ax),
        "cohort_heatmap": lambda ax: plot.cohort_heatmap(rt.cohort_table(tx, freq="Q"), ax=ax),
        "forecast": lambda ax: plot.forecast(backtest, ax=ax),
        "frequency_recency_matrix": lambda ax: plot.frequency_recency_matrix(model, summary, ax=ax),
        "migration": lambda ax: plot.migration(rt.migration_matrix(march, june), ax=ax),
        "p_alive_history": lambda ax: plot.p_alive_history(model, one, time_unit="W", ax=ax),
        "p_alive_matrix": lambda ax: plot.p_alive_matrix(model, summary, ax=ax),
        "period_retention": lambda ax: plot.period_retention(rt.period_retention(tx), ax=ax),
        "retention_curves": lambda ax: plot.retention_curves(rt.retention_curve(tx), ax=ax),
        "rfm_segments": lambda ax: plot.rfm_segments(rt.rfm_segments(scores), scores, ax=ax),
        "scorecard": lambda ax: plot.scorecard(rt.scorecard(tx, "manager"), ax=ax),
        "survival": lambda ax: plot.survival(rt.survival_curve(tx), ax=ax),
        "tracking": lambda ax: plot.tracking(tracked, ax=ax),
    }


def test_drawings_cover_every_plot_with_ax(drawings: dict[str, Callable[[Any], Any]]) -> None:
    with_ax = {n for n in plot.__all__ if "ax" in inspect.signature(getattr(plot, n)).parameters}
    assert set(drawings) == with_ax


@pytest.mark.parametrize("projection", ["polar", "3d"])
def test_axes_that_are_not_flat_are_refused(
    drawings: dict[str, Callable[[Any], Any]], projection: str
) -> None:
    for name, draw in drawings.items():
        ax = plt.figure().add_subplot(projection=projection)
        with pytest.raises(
            InvalidParameterError,
            match=rf"'ax' parameter of plot\.{name} must be a flat .*got a '{projection}' Axes",
        ):
            draw(ax)
        assert not ax.has_data(), name  # refused before drawing anything
        plt.close(ax.figure)


def test_flat_axes_of_other_classes_are_drawn_on(drawings: dict[str, Callable[[Any], Any]]) -> None:
    ax = plt.figure().add_subplot(axes_class=ArtistAxes)
    assert drawings["survival"](ax) is ax


def _edited(frame: pd.DataFrame, column: Any, value: float, row: int | None = None) -> pd.DataFrame:
    """A copy of a result with ``value`` in one row of a column (every row when ``row`` is None)."""
    edited = frame.astype({column: np.float64})
    if row is None:
        edited[column] = value
    else:
        edited.iloc[row, edited.columns.get_loc(column)] = value
    return edited


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize(
    ("draw", "make", "column", "argument"),
    [
        (plot.cohort_heatmap, lambda tx: rt.cohort_table(tx, freq="Q"), 1, "cohort_table"),
        (plot.retention_curves, rt.retention_curve, "retention", "data"),
        (plot.period_retention, rt.period_retention, "new", "period_retention"),
        (plot.period_retention, rt.period_retention, "crr", "period_retention"),
        (plot.survival, rt.survival_curve, "at_risk", "survival_curve"),
        (plot.abc_curve, rt.abc_xyz, "cumulative_share", "abc_xyz"),
        (plot.abc_xyz_matrix, rt.abc_xyz_matrix, ("customers", "Z"), "abc_xyz_matrix"),
        (
            lambda scores: plot.rfm_segments(rt.rfm_segments(scores), scores),
            rt.rfm_scores,
            "monetary",
            "scores",
        ),
    ],
)
def test_infinite_values_are_refused_naming_the_column(
    tx: pd.DataFrame,
    *,
    draw: Callable[..., Any],
    make: Callable[..., Any],
    column: Any,
    argument: str,
    value: float,
) -> None:
    result = _edited(make(tx), column, value, row=1)
    with pytest.raises(
        InvalidValueError,
        match=rf"{re.escape(repr(str(column)))} column of the '{argument}' argument .* infinite",
    ):
        draw(result)


def test_infinite_values_of_model_checks_are_refused(
    tx: pd.DataFrame, model: rt.BetaGeo, summary: pd.DataFrame, fitted: dict[str, Any]
) -> None:
    calibration = rt.rfm_summary(tx, time_unit="W", calibration_end=CAL_END)
    holdout = rt.calibration_holdout_table(fitted["BG/NBD"], calibration)
    with pytest.raises(
        InvalidValueError, match=r"'customers' column .* infinite value \(inf in row 2\)"
    ):
        plot.calibration_holdout(_edited(holdout, "customers", np.inf, row=2))
    tracked = rt.tracking_table(fitted["BG/NBD"], tx, time_unit="W", calibration_end=CAL_END)
    with pytest.raises(InvalidValueError, match="'expected' column of the 'tracking_table'"):
        plot.tracking(_edited(tracked, "expected", -np.inf, row=3), kind="incremental")
    with pytest.raises(InvalidValueError, match="'T' column of the 'summary' argument"):
        plot.p_alive_matrix(model, _edited(summary, "T", np.inf, row=0))
    backtest = rt.backtest(tx, calibration_end=CAL_END, freq="M", n_draws=20)
    edited = dataclasses.replace(backtest, table=_edited(backtest.table, "actual", np.inf, row=0))
    with pytest.raises(InvalidValueError, match="'actual' column of the 'result' argument"):
        plot.forecast(edited)


def test_period_retention_leaves_out_periods_with_a_missing_count(tx: pd.DataFrame) -> None:
    table = rt.period_retention(tx, freq="Q")
    edited = _edited(table, "reactivated", np.nan, row=2)
    edited["crr"] = np.nan  # an all-NaN rate column: a line without points
    ax = plot.period_retention(edited)
    complete = np.arange(len(table)) != 2
    for bars, column in zip(ax.containers, ("retained", "reactivated", "new"), strict=True):
        expected = table[column].to_numpy(dtype=np.float64)
        expected[~complete] = np.nan  # the whole stack of that period, not only its missing part
        assert_same([bar.get_height() for bar in bars], expected)
    assert ax.get_ylim() == (0.0, float(table["customers_end"][complete].max()) * 1.3)
    (rates,) = [a for a in ax.figure.axes if a is not ax]
    crr, churn = rates.get_lines()
    assert np.isnan(floats(crr.get_ydata())).all()
    assert_same(churn.get_ydata(), table["churn_rate"])
    nothing = plot.period_retention(_edited(table, "new", np.nan))
    assert all(np.isnan(bar.get_height()) for bars in nothing.containers for bar in bars)
    assert nothing.get_ylim() == (0.0, 1.3)


def test_missing_counts_are_left_blank(tx: pd.DataFrame, fitted: dict[str, Any]) -> None:
    calibration = rt.rfm_summary(tx, time_unit="W", calibration_end=CAL_END)
    holdout = rt.calibration_holdout_table(fitted["BG/NBD"], calibration)
    ax = plot.calibration_holdout(_edited(holdout, "customers", np.nan, row=1))
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[1] == str(holdout.index[1])
    assert labels[2] == f"{holdout.index[2]}\n{holdout['customers'].iloc[2]:,}"

    matrix = rt.abc_xyz_matrix(tx)
    ax = plot.abc_xyz_matrix(_edited(matrix, ("customers", "X"), np.nan, row=0))
    share = matrix["value_share"]
    assert ax.texts[0].get_text() == f"{share.iloc[0, 0]:.0%}"
    assert (
        ax.texts[1].get_text()
        == f"{share.iloc[0, 1]:.0%}\n{matrix['customers'].iloc[0, 1]:,} customers"
    )
    counts = plot.abc_xyz_matrix(_edited(matrix, ("customers", "X"), np.nan), measure="customers")
    assert_same(
        counts.images[0].get_array(), _edited(matrix, ("customers", "X"), np.nan)["customers"]
    )
    assert (
        counts.texts[0].get_text() == f"{matrix['customers'].iloc[0, 1]:,}"
    )  # the NaN cell is blank

    curve = rt.survival_curve(tx)
    edited = _edited(_edited(curve, "at_risk", np.nan), "censored", np.nan, row=0)
    ax = plot.survival(edited)
    assert {t.get_text() for t in ax.texts if t.get_gid() == "at_risk:survival"} == {""}
    censored = curve[(curve["censored"] > 0) & (np.arange(len(curve)) != 0)]
    assert_same(ax.get_lines()[1].get_xdata(), censored.index)


def test_a_summary_without_frequencies_needs_the_grid_size(
    model: rt.BetaGeo, summary: pd.DataFrame
) -> None:
    unknown = _edited(summary, "frequency", np.nan)
    with pytest.raises(
        InvalidValueError, match=r"'frequency' column of the 'summary' .* no number.*max_frequency="
    ):
        plot.p_alive_matrix(model, unknown)
    ax = plot.p_alive_matrix(model, unknown, max_frequency=3)
    assert ax.images[0].get_array().shape[0] == 4


# --- properties ---------------------------------------------------------------------------------------------

purchases = st.lists(
    st.tuples(
        st.integers(1, 12), st.integers(0, 400), st.integers(1, 9_999).map(lambda c: c / 100)
    ),
    min_size=1,
    max_size=60,
)


@given(rows=purchases)
@settings(max_examples=25, deadline=None)
def test_any_cohort_table_and_curve_are_drawn_as_they_are(
    rows: list[tuple[int, int, float]],
) -> None:
    """On any log, the heatmap's image is the cohort table and the retention line is the curve."""
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx.pop("day"), unit="D")
    table = rt.cohort_table(tx, normalize=True, observation_end="2025-03-31")
    curve = rt.retention_curve(tx, observation_end="2025-03-31")
    try:
        ax = plot.cohort_heatmap(table)
        if len(table):
            assert_same(ax.images[0].get_array(), table)
        else:
            assert not ax.images
        line_ax = plot.retention_curves(curve)
        if len(curve):
            np.testing.assert_array_equal(
                line_ax.lines[0].get_ydata(), curve["retention"].to_numpy(dtype=float)
            )
    finally:
        plt.close("all")


# --- texts from the data: drawn as they are, cut to fit -----------------------------------------------------

# Every plot that writes texts from the data (group labels and the names of their columns, segment and model
# names, a customer id) is drawn with such texts below; the others write none.
WITHOUT_DATA_TEXT = {
    "campaign": "its groups are 'treated' and 'control', its rows and measures the library's own",
    "forecast": "its lines are the library's baselines, its x ticks periods",
    "frequency_recency_matrix": "numbers only",
    "p_alive_matrix": "numbers only",
}
DOLLARS = "$\\nosuch$ "  # mathtext (two $) with a command matplotlib does not know
LONG = ("customers acquired through the " * 10)[:281] + " via the "  # 290 characters, then the ends


@pytest.fixture(scope="module")
def text_drawings(
    tx: pd.DataFrame, model: rt.BetaGeo, fitted: dict[str, Any]
) -> dict[str, Callable[[str], Any]]:
    """Every plot that writes texts from the data, drawing the example with ``prefix`` before each of them.

    The channels and managers become ``prefix + "web"`` and so on, the columns ``prefix + "channel"`` and
    ``prefix + "manager"``; the segments, the models' names and the customer id get the prefix too.
    """

    def data(prefix: str) -> tuple[pd.DataFrame, str, str]:
        channel, manager = prefix + "channel", prefix + "manager"
        texts = tx.assign(
            channel=prefix + tx["channel"].astype(object),
            manager=prefix + tx["manager"].astype(object),
        ).rename(columns={"channel": channel, "manager": manager})
        return texts, channel, manager

    def renamed(segments: pd.Series, prefix: str) -> pd.Series:
        return segments.cat.rename_categories([prefix + str(c) for c in segments.cat.categories])

    calibration = rt.rfm_summary(tx, time_unit="W", calibration_end=CAL_END)
    holdout = rt.calibration_holdout_table(fitted["BG/NBD"], calibration)
    tracked = rt.tracking_table(fitted["BG/NBD"], tx, time_unit="W", calibration_end=CAL_END)
    march = rt.working_segments(rt.customer_features(tx, observation_end="2024-03-31"))
    june = rt.working_segments(rt.customer_features(tx, observation_end="2024-06-30"))
    one = tx[tx["customer_id"] == 3]

    def segments(prefix: str) -> Any:
        texts, channel, _ = data(prefix)
        scores = rt.rfm_scores(texts, by=channel)
        return plot.rfm_segments(renamed(rt.rfm_segments(scores), prefix), scores)

    def models(prefix: str) -> dict[str, pd.DataFrame]:
        return {prefix + "BG/NBD": holdout, prefix + "again": holdout}

    return {
        "abc_curve": lambda p: plot.abc_curve(rt.abc_xyz(data(p)[0], by=data(p)[1])),
        "abc_xyz_matrix": lambda p: plot.abc_xyz_matrix(
            rt.abc_xyz_matrix(data(p)[0], by=data(p)[1])
        ),
        "calibration_holdout": lambda p: plot.calibration_holdout(models(p)),
        "cohort_heatmap": lambda p: plot.cohort_heatmap(
            rt.cohort_table(data(p)[0], freq="Q", by=data(p)[1])
        ),
        "comparison": lambda p: plot.comparison(
            rt.compare_retention(data(p)[0], data(p)[1], control=p + "web")
        ),
        "migration": lambda p: plot.migration(
            rt.migration_matrix(renamed(march, p), renamed(june, p))
        ),
        "p_alive_history": lambda p: plot.p_alive_history(
            model, one.assign(customer_id=p + "3"), time_unit="W"
        ),
        "period_retention": lambda p: plot.period_retention(
            rt.period_retention(data(p)[0], freq="Q", by=data(p)[1])
        ),
        "retention_curves": lambda p: plot.retention_curves(
            rt.retention_curve(data(p)[0], by=data(p)[1])
        ),
        "rfm_segments": segments,
        "scorecard": lambda p: plot.scorecard(rt.scorecard(data(p)[0], data(p)[2])),
        "survival": lambda p: plot.survival(rt.survival_curve(data(p)[0], by=data(p)[1])),
        "tracking": lambda p: plot.tracking({p + "BG/NBD": tracked, p + "again": tracked}),
    }


TEXT_PLOTS = sorted(set(plot.__all__) - set(WITHOUT_DATA_TEXT))


def test_text_drawings_cover_every_plot_with_texts_from_the_data(
    text_drawings: dict[str, Callable[[str], Any]],
) -> None:
    assert set(WITHOUT_DATA_TEXT) <= set(plot.__all__)
    assert set(text_drawings) == set(TEXT_PLOTS)


def drawn_texts(drawn: Axes | Figure) -> list[str]:
    """Draw the figure (which parses mathtext and makes the layout) and return every text in it."""
    fig = drawn if isinstance(drawn, Figure) else drawn.figure
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


@pytest.mark.parametrize("name", TEXT_PLOTS)
def test_a_dollar_in_the_data_is_drawn_as_it_is(
    text_drawings: dict[str, Callable[[str], Any]], name: str
) -> None:
    # matplotlib read "$...$" in a label as mathtext: a raw ValueError for a word that is no command of
    # it (and other texts than the data's where it parsed).
    texts = drawn_texts(text_drawings[name](DOLLARS))
    assert not [t for t in texts if matplotlib.cbook.is_math_text(t)]
    assert any("\\$\\nosuch\\$ " in t for t in texts)  # an escaped $ is drawn as a $


@pytest.mark.parametrize("name", TEXT_PLOTS)
def test_long_texts_are_cut_in_the_picture(
    text_drawings: dict[str, Callable[[str], Any]], name: str
) -> None:
    # Texts of 300 characters left the axes no room: matplotlib warned "constrained_layout not applied"
    # (an error here) or drew them past the figure's edge. The picture cuts them, keeping both ends.
    texts = drawn_texts(text_drawings[name](LONG))
    assert not [t for t in texts if LONG in t]
    assert any(LONG[:5] in t and "\N{HORIZONTAL ELLIPSIS}" in t for t in texts)


# Plots that draw one line per group, with a legend of the groups.
LEGEND_PLOTS = {
    "abc_curve": lambda tx: plot.abc_curve(rt.abc_xyz(tx, by="group")),
    "retention_curves": lambda tx: plot.retention_curves(rt.retention_curve(tx, by="group")),
    "survival": lambda tx: plot.survival(rt.survival_curve(tx, by="group")),
}


def test_legend_plots_cover_every_legend_of_groups() -> None:
    legends = {n for n in plot.__all__ if "group_legend(" in inspect.getsource(getattr(plot, n))}
    assert set(LEGEND_PLOTS) == legends


@pytest.mark.parametrize("name", sorted(LEGEND_PLOTS))
def test_many_groups_are_drawn_with_room_for_the_axes(tx: pd.DataFrame, name: str) -> None:
    # Fifty groups: the legend (and the numbers at risk, a row per group) left the axes no room, and
    # matplotlib warned "constrained_layout not applied" (an error here).
    customers = np.sort(tx["customer_id"].unique())
    group = pd.Series([f"group {k % 50:02d}" for k in range(len(customers))], index=customers)
    ax = LEGEND_PLOTS[name](tx.assign(group=tx["customer_id"].map(group)))
    ax.figure.canvas.draw()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"group {k:02d}" for k in range(50)]
