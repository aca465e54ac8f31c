"""rt.forecast, rt.forecast_customers and rt.backtest: against lifetimes, the models' own formulas and simulation."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import retention as rt
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
)

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL (2005), CDNOW
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # Fader & Hardie (2013), CDNOW
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

# lifetimes 0.11.3, expected_cumulative_transactions(BetaGeoFitter with params_ = BG, the CDNOW sample's
# customer_id and date, t=539, freq="D", freq_multiplier=7)["predicted"]: week j's value is measured at
# 1997-01-01 + 7 (j + 1) days (made with /work/main/.venv-peers, lifetimes' own interpreter).
LIFETIMES_PREDICTED = [4.412418089743077, 17.2685390742964, 38.638753226591305, 69.0513928812074, 108.7651250290291, 158.2591224712981, 216.0879415096977, 282.2426882907843, 357.0219723372211, 440.1105888367891, 530.4134876696896, 626.8519715719957, 723.6338006523109, 816.661969760314, 906.3417475024723, 993.0044448198089, 1076.9262699845626, 1158.341118995358, 1237.4496128348048, 1314.4256914076561, 1389.4215519470988, 1462.571428608987, 1533.9945387292662, 1603.7974159510898, 1672.075783302115, 1738.916075147347, 1804.396687110367, 1868.5890124252096, 1931.5583086188017, 1993.3644279565888, 2054.0624374370113, 2113.7031484516924, 2172.3335719701295, 2229.997311870387, 2286.7349065490607, 2342.5841270118003, 2397.5802381316344, 2451.7562285656118, 2505.1430138667647, 2557.769616562972, 2609.663326355727, 2660.849843088505, 2711.3534047225785, 2761.1969022190065, 2810.4019829449853, 2858.9891439893545, 2906.9778165769353, 2954.386442607696, 3001.2325442085707, 3047.532787068894, 3093.3030382310258, 3138.558418923032, 3183.3133529475667, 3227.581611079004, 3271.376351866889, 3314.7101591975716, 3357.595076925455, 3400.0426408504177, 3442.0639082873786, 3483.6694854473417, 3524.8695528258686, 3565.673888774435, 3606.0918914120357, 3646.132599018396, 3685.80470903621, 3725.116595797147, 3764.076327075389, 3802.691679562577, 3840.9701533492052, 3878.9189854896936, 3916.5451627213165, 3953.8554334009023, 3990.8563187175214, 4027.554123234319, 4063.954944808168, 4100.064683931479, 4135.88905253704]  # fmt: skip
LIFETIMES_ACTUAL = [0, 19, 42, 81, 119, 192, 261, 351, 428, 504, 610, 733, 828, 914, 1005, 1078, 1149, 1222, 1286, 1359, 1414, 1484, 1517, 1573, 1672, 1746, 1800, 1840, 1885, 1973, 2032, 2069, 2132, 2192, 2239, 2290, 2342, 2395, 2457, 2507, 2563, 2612, 2671, 2718, 2803, 2864, 2923, 2968, 3038, 3104, 3153, 3183, 3234, 3276, 3329, 3357, 3404, 3444, 3490, 3533, 3598, 3677, 3727, 3786, 3844, 3879, 3915, 3962, 3991, 4035, 4077, 4112, 4141, 4183, 4231, 4279, 4311]  # fmt: skip
WEEK_DAYS = pd.PeriodIndex(
    pd.Timestamp("1997-01-01") + pd.to_timedelta(7 * np.arange(1, 78), unit="D"), freq="D"
)
EMPTY = pd.DataFrame({"frequency": [], "recency": [], "T": []})


@pytest.fixture(scope="module")
def cdnow() -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = rt.load_cdnow(kind="sample")
    summary = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")
    return tx, summary


def first_purchases(tx: pd.DataFrame) -> pd.Series:
    """The customers' first purchases per day, as a plan of new customers by day."""
    counts = tx.groupby("customer_id")["date"].min().value_counts().sort_index()
    counts.index = pd.PeriodIndex(counts.index, freq="D")
    return counts


# --- the tracking expectation: lifetimes, tracking_table and the forecast of new customers -----------------


def test_tracking_expectation_equals_lifetimes_frozen(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tx, _ = cdnow
    model = rt.BetaGeo(**BG)
    tracking = rt.tracking_table(model, tx, time_unit="W", freq="D")
    assert_allclose(tracking.loc[WEEK_DAYS, "expected_cumulative"], LIFETIMES_PREDICTED, rtol=1e-12)
    # lifetimes counts a day's actual transactions into the week that ends the day before.
    actual = tracking["actual_cumulative"].shift(1, fill_value=0.0)
    assert_array_equal(actual.loc[WEEK_DAYS], LIFETIMES_ACTUAL)
    # The forecast's new customers are the same computation: each day's first purchases as a plan.
    plan = first_purchases(tx)
    days = len(tracking)
    result = rt.forecast(
        model, EMPTY, periods=days, freq="D", time_unit="W", start="1997-01-01",
        new_customers=plan, interval=None,
    )  # fmt: skip
    repeat = result["new_repeat_orders"].cumsum()
    assert_allclose(repeat.loc[WEEK_DAYS], LIFETIMES_PREDICTED, rtol=1e-12)
    # The same numbers to rounding (the forecast adds up its per-period differences again).
    assert_allclose(repeat.to_numpy(), tracking["expected_cumulative"].to_numpy(), rtol=1e-14)
    assert_array_equal(result["new_first_orders"].loc[plan.index], plan.to_numpy(dtype=float))


@pytest.mark.filterwarnings("ignore")  # lifetimes uses pandas idioms that warn
def test_tracking_expectation_equals_lifetimes_live(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    pytest.importorskip("lifetimes")
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import expected_cumulative_transactions

    tx, _ = cdnow
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(BG)
    theirs = expected_cumulative_transactions(
        fitter, tx, "date", "customer_id", t=539, freq="D", freq_multiplier=7
    )
    tracking = rt.tracking_table(rt.BetaGeo(**BG), tx, time_unit="W", freq="D")
    assert_allclose(tracking.loc[WEEK_DAYS, "expected_cumulative"], theirs["predicted"], rtol=1e-12)


# --- the conditional forecast ---------------------------------------------------------------------------


def test_holdout_forecast_is_the_sum_of_conditional_increments(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, summary = cdnow
    model = rt.BetaGeo(**BG)
    result = rt.forecast(model, summary, periods=39, freq="W", time_unit="W", interval=None)
    cumulative = np.array(
        [model.conditional_expected_purchases(summary, float(k)).sum() for k in range(40)]
    )
    assert_allclose(result["existing_orders"], np.diff(cumulative), rtol=1e-11)
    assert_allclose(result["orders_cumulative"], cumulative[1:], rtol=1e-11)
    assert result["orders"].sum() == pytest.approx(result["orders_cumulative"].iloc[-1], rel=1e-12)
    per_customer = rt.forecast_customers(model, summary, periods=39, freq="W", time_unit="W")
    assert per_customer["expected_orders"].sum() == pytest.approx(cumulative[-1], rel=1e-11)
    assert_allclose(per_customer["expected_orders"], model.conditional_expected_purchases(summary, 39.0), rtol=1e-11)  # fmt: skip
    assert_allclose(per_customer["p_alive"], model.p_alive(summary), rtol=1e-14)


def test_revenue_is_the_sum_of_spend_times_orders(cdnow: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, summary = cdnow
    model, spend = rt.BetaGeo(**BG), rt.GammaGamma(**GG)
    result = rt.forecast(
        model, summary, periods=13, freq="W", time_unit="W", spend_model=spend,
        new_customers=10, interval=None,
    )  # fmt: skip
    z = spend.conditional_expected_spend(summary)
    week = [model.conditional_expected_purchases(summary, float(k)) for k in (2, 3)]
    expected = ((week[1] - week[0]) * z).sum() + spend.mean_spend * (
        10 + result["new_repeat_orders"].iloc[2]
    )
    assert result["revenue"].iloc[2] == pytest.approx(expected, rel=1e-11)
    table = rt.forecast_customers(model, summary, periods=13, freq="W", time_unit="W", spend_model=spend)  # fmt: skip
    assert_allclose(table["expected_revenue"], table["expected_orders"] * z, rtol=1e-15)


@pytest.mark.parametrize(
    ("model", "time_unit"),
    [
        (rt.ModifiedBetaGeo(**BG), "W"),
        (rt.ParetoNBD(**PARETO), "W"),
        (rt.BetaGeoBetaBinom(**BGBB), "M"),
    ],
)
def test_every_model(model: Any, time_unit: str) -> None:
    tx = rt.example_transactions()
    if time_unit == "M":
        summary = rt.rfm_summary(tx, freq="M", time_unit="M")
    else:
        summary = rt.rfm_summary(tx, time_unit="W")
    result = rt.forecast(model, summary, periods=6, freq="M", time_unit=time_unit, seed=2)
    horizons = [0, 6] if time_unit == "M" else [0.0, float(np.rint(6 * 365.2425 / 12)) / 7]
    total = [model.conditional_expected_purchases(summary, h).sum() for h in horizons]
    assert result["existing_orders"].sum() == pytest.approx(total[1] - total[0], rel=1e-10)
    assert np.all(result["orders_lower"] <= result["orders"])
    assert np.all(result["orders"] <= result["orders_upper"])


def test_calendar_periods_from_a_start_day() -> None:
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W")
    model = rt.BetaGeo(**BG)
    result = rt.forecast(model, summary, periods=2, freq="M", time_unit="W", start="2025-01-15", interval=None)  # fmt: skip
    assert list(result.index) == [pd.Period("2025-01", "M"), pd.Period("2025-02", "M")]
    # January from the 15th: 17 days; February: 28 more.
    weeks = np.array([0.0, 17.0, 45.0]) / 7
    total = [model.conditional_expected_purchases(summary, w).sum() for w in weeks]
    assert_allclose(result["existing_orders"], np.diff(total), rtol=1e-11)


def test_new_customers_of_the_bgbb_by_hand() -> None:
    model = rt.BetaGeoBetaBinom(**BGBB)
    plan = pd.Series([100.0, 50.0], index=[1, 3])
    result = rt.forecast(model, EMPTY, periods=3, freq="M", new_customers=plan, interval=None)
    ex = model.expected_purchases(np.arange(3))
    assert_allclose(result["new_first_orders"], [100.0, 0.0, 50.0])
    assert_allclose(
        result["new_repeat_orders"].cumsum(), [0.0, 100 * ex[1], 100 * ex[2]], rtol=1e-13
    )


# --- properties -------------------------------------------------------------------------------------------


summaries = st.lists(
    st.tuples(st.integers(0, 12), st.floats(0.0, 1.0), st.floats(1.0, 60.0)),
    min_size=1,
    max_size=30,
).map(
    lambda rows: pd.DataFrame(
        {
            "frequency": [x for x, _, _ in rows],
            "recency": [share * T if x > 0 else 0.0 for x, share, T in rows],
            "T": [T for _, _, T in rows],
        }
    )
)


@given(summaries, st.randoms(use_true_random=False), st.floats(0.0, 50.0))
@settings(max_examples=20, deadline=None)
def test_forecast_properties(summary: pd.DataFrame, random: Any, new: float) -> None:
    model = rt.BetaGeo(**BG)
    options = {"periods": 5, "freq": "W", "time_unit": "W", "new_customers": new, "n_draws": 50}
    result = rt.forecast(model, summary, **options)
    numbers = result.to_numpy()
    assert np.all(numbers >= 0)
    assert np.all(np.diff(result["orders_cumulative"]) >= 0)
    assert_allclose(result["orders"].cumsum(), result["orders_cumulative"], rtol=1e-12, atol=1e-12)
    assert np.all(result["orders_lower"] <= result["orders"])
    assert np.all(result["orders"] <= result["orders_upper"])
    order = list(range(len(summary)))
    random.shuffle(order)
    shuffled = rt.forecast(model, summary.iloc[order], **options)
    pd.testing.assert_frame_equal(result, shuffled, check_exact=True)


def test_interval_of_a_fitted_model_contains_the_mean() -> None:
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        model = rt.BetaGeo.fit(summary)
    result = rt.forecast(model, summary, periods=12, freq="M", time_unit="W", seed=4)
    assert result.attrs["parameter_draws"] in {"exact", "linearised"}
    for column in ("orders", "orders_cumulative"):
        assert np.all(result[f"{column}_lower"] < result[column])
        assert np.all(result[column] < result[f"{column}_upper"])
    # The same seed, the same interval; the parameter draws widen it over noise alone.
    again = rt.forecast(model, summary, periods=12, freq="M", time_unit="W", seed=4)
    pd.testing.assert_frame_equal(result, again, check_exact=True)
    noise = rt.forecast(model, summary, periods=12, freq="M", time_unit="W", seed=4, n_draws=0)
    wide = result["orders_cumulative_upper"] - result["orders_cumulative_lower"]
    narrow = noise["orders_cumulative_upper"] - noise["orders_cumulative_lower"]
    assert wide.iloc[-1] > narrow.iloc[-1]


def test_intervals_larger_than_the_memory_are_refused_before_drawing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 4,000 simulated totals (the draws, each with noise) of 4 columns x 50 periods: 12.8 MB.
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W").head(300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        model = rt.BetaGeo.fit(summary)
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 23)
    with pytest.raises(
        InvalidParameterError,
        match=r"^forecast: the simulated totals behind the intervals .* pass fewer n_draws= or interval=None",
    ):
        rt.forecast(model, summary, periods=50, freq="W", time_unit="W")
    # Without an interval, or without draws, nothing is simulated: the same call runs.
    plain = rt.forecast(model, summary, periods=50, freq="W", time_unit="W", interval=None)
    normal = rt.forecast(model, summary, periods=50, freq="W", time_unit="W", n_draws=0)
    assert_array_equal(plain["orders"], normal["orders"])


# --- simulation -------------------------------------------------------------------------------------------


def test_interval_covers_simulated_totals_at_the_nominal_rate() -> None:
    """20 logs simulated from known BG/NBD parameters: fitted, forecast over the next quarter.

    Each log gives one independent check (the quarter's total inside the 90% interval or not): the count
    of hits is Binomial(20, 0.9) if the interval is right; 13 or fewer has probability 0.2%.
    """
    hits, error, variance = 0, 0.0, 0.0
    for seed in range(20):
        tx = rt.simulate_transactions(300, start="2023-01-01", end="2023-12-31", seed=seed, **BG)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RetentionWarning)
            result = rt.backtest(
                tx, calibration_end="2023-09-30", observation_end="2023-12-31", freq="Q",
                spend=False, n_draws=50, seed=seed, baselines=(),
            )  # fmt: skip
        row = result.table.iloc[0]
        hits += int(row["lower"] <= row["actual"] <= row["upper"])
        error += row["forecast"] - row["actual"]
        variance += ((row["upper"] - row["lower"]) / (2 * 1.6449)) ** 2  # the interval's own spread
    assert 14 <= hits <= 20
    # The mean error is near 0: the summed error within 3 standard deviations of the summed spread.
    assert abs(error) < 3.0 * np.sqrt(variance)


# --- backtest ---------------------------------------------------------------------------------------------


def test_backtest_by_hand() -> None:
    tx = rt.example_transactions()
    result = rt.backtest(tx, calibration_end="2024-06-30", freq="M", seed=1)
    summary = rt.rfm_summary(tx, time_unit="W", calibration_end="2024-06-30", amount="amount")
    table = result.table
    # Actual: the calibration customers' holdout repeat transactions, as the summary counts them.
    assert table["actual"].sum() == summary["frequency_holdout"].sum()
    # The forecast is rt.forecast of the fitted model from the day after the calibration end.
    again = rt.forecast(
        result.model, summary, periods=len(table), freq="M", time_unit="W", start="2024-07-01",
        spend_model=result.spend_model, seed=1,
    )  # fmt: skip
    assert_allclose(table["forecast"], again["orders"], rtol=1e-14)
    assert_allclose(table["revenue_forecast"], again["revenue"], rtol=1e-14)
    # Baselines from the calibration months' repeat transactions.
    tracking = rt.tracking_table(result.model, tx, time_unit="W", freq="M", calibration_end="2024-06-30")  # fmt: skip
    history = tracking.loc[: pd.Period("2024-06", "M"), "actual"]
    assert_allclose(table["naive"], history.iloc[-1])
    assert_allclose(table["mean"], history.mean(), rtol=1e-14)
    months = [pd.Period(p, "M") - 12 for p in table.index]
    expected_seasonal = [history.get(m, np.nan) for m in months]
    assert_allclose(table["seasonal_naive"], expected_seasonal)
    # Everyone's transactions (days with a purchase) and the new customers of each month.
    bought = tx[tx["amount"] >= 0].assign(day=lambda d: d["date"].dt.normalize())
    days = bought.drop_duplicates(["customer_id", "day"])
    per_month = days.groupby(days["day"].dt.to_period("M")).size()
    assert_array_equal(table["all_orders"], per_month.loc[table.index])
    first = bought.groupby("customer_id")["day"].min()
    new = first.dt.to_period("M").value_counts()
    assert_array_equal(table["new_customers"], new.reindex(table.index, fill_value=0))
    # The whole business: the existing customers' forecast plus the new customers, day by day.
    arrivals = first[first > "2024-06-30"]
    ages = []
    for period in table.index:
        start, end = period.start_time.normalize(), period.end_time.normalize()
        acquired = arrivals[arrivals <= end]
        high = (end - acquired).dt.days.to_numpy() / 7
        low = np.maximum((start - pd.Timedelta(days=1) - acquired).dt.days.to_numpy(), 0) / 7
        ages.append(
            (result.model.expected_purchases(high) - result.model.expected_purchases(low)).sum()
        )
    expected_all = table["forecast"] + table["new_customers"] + np.array(ages)
    assert_allclose(table["all_orders_forecast"], expected_all, rtol=1e-12)
    assert set(result.errors.index.get_level_values("measure")) == {
        "orders",
        "revenue",
        "all_orders",
    }
    # The error summary.
    errors = result.errors.loc["orders"]
    err = table["forecast"] - table["actual"]
    assert errors.loc["model", "mae"] == pytest.approx(err.abs().mean(), rel=1e-14)
    assert errors.loc["model", "wape"] == pytest.approx(err.abs().sum() / table["actual"].sum())
    assert errors.loc["model", "bias"] == pytest.approx(err.mean())
    assert errors.loc["model", "cumulative_error"] == pytest.approx(err.sum())
    inside = (table["lower"] <= table["actual"]) & (table["actual"] <= table["upper"])
    assert errors.loc["model", "coverage"] == inside.mean()
    best = errors.drop("model")["mae"].min()
    assert result.skill["orders"] == pytest.approx(1 - errors.loc["model", "mae"] / best)
    assert "skill" in repr(result)
    assert "<table" in result._repr_html_()


def test_backtest_revenue_actual() -> None:
    tx = rt.example_transactions()
    result = rt.backtest(tx, calibration_end="2024-06-30", freq="Q", n_draws=0)
    first = tx.groupby("customer_id")["date"].transform("min")
    holdout = tx[(tx["date"] > "2024-06-30") & (first <= "2024-06-30")]
    by_quarter = holdout.groupby(holdout["date"].dt.to_period("Q"))["amount"].sum()
    assert_allclose(result.table["revenue_actual"], by_quarter.loc[result.table.index], rtol=1e-12)


@pytest.mark.parametrize("model", ["pareto_nbd", "mbg_nbd"])
def test_backtest_of_other_models(model: str) -> None:
    tx = rt.example_transactions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        result = rt.backtest(tx, model=model, calibration_end="2024-06-30", freq="Q", n_draws=0)
    summary = rt.rfm_summary(tx, time_unit="W", calibration_end="2024-06-30")
    cls = {"pareto_nbd": rt.ParetoNBD, "mbg_nbd": rt.ModifiedBetaGeo}[model]
    assert isinstance(result.model, cls)
    # Two whole quarters of 92 days each: the model's conditional expectation over them.
    total = result.model.conditional_expected_purchases(summary, 184 / 7).sum()
    assert result.table["forecast"].sum() == pytest.approx(total, rel=1e-10)
    assert result.table["actual"].sum() == summary["frequency_holdout"].sum()


def test_backtest_of_an_empty_table_and_without_interval() -> None:
    empty = rt.backtest(rt.example_transactions().iloc[:0], calibration_end="2024-06-30")
    assert len(empty.table) == 0
    assert "lower" in empty.table.columns
    assert len(empty.errors) == 0
    plain = rt.backtest(rt.example_transactions(), calibration_end="2024-06-30", freq="Q", interval=None, spend=False)  # fmt: skip
    assert "lower" not in plain.table.columns
    assert plain.errors["coverage"].isna().all()


def test_plot_draws_the_table() -> None:
    pytest.importorskip("matplotlib")  # the root conftest draws off screen and closes the figures
    from retention import plot

    result = rt.backtest(
        rt.example_transactions(), calibration_end="2024-06-30", freq="M", n_draws=50
    )
    ax = result.plot()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert_allclose(lines["actual"].get_ydata(), result.table["actual"])
    assert_allclose(lines["forecast"].get_ydata(), result.table["forecast"])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.max(), result.table["upper"].max())
    assert np.isclose(band.min(), result.table["lower"].min())
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W")
    frame = rt.forecast(rt.BetaGeo(**BG), summary, periods=4, freq="M", time_unit="W")
    ax = plot.forecast(frame, cumulative=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert_allclose(lines["forecast"].get_ydata(), frame["orders_cumulative"])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.max(), frame["orders_cumulative_upper"].max())
    # An empty result is an empty labelled Axes; a wrong argument or measure a clear error.
    empty = rt.backtest(rt.example_transactions().iloc[:0], calibration_end="2024-06-30")
    ax = plot.forecast(empty)
    assert ax.get_lines() == []
    assert ax.get_ylabel()
    with pytest.raises(ColumnTypeError, match=r"rt\.forecast"):
        plot.forecast([1, 2, 3])
    with pytest.raises(InvalidParameterError, match="'measure'"):
        plot.forecast(frame, measure="profit")


# --- bad input --------------------------------------------------------------------------------------------


def test_bad_input() -> None:
    tx = rt.example_transactions()
    summary = rt.rfm_summary(tx, time_unit="W")
    model = rt.BetaGeo(**BG)
    with pytest.raises(InvalidParameterError, match="shorter than one whole period"):
        rt.backtest(tx, calibration_end="2024-12-20", freq="M")
    with pytest.raises(InvalidValueError, match="no purchase on or before calibration_end"):
        rt.backtest(tx, calibration_end="2020-01-01")
    for periods in (0, -3, 2.5, True):
        with pytest.raises(InvalidParameterError, match="'periods'"):
            rt.forecast(model, summary, periods=periods, freq="W", time_unit="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="'monetary_value'"):
        rt.forecast(model, summary.drop(columns="monetary_value", errors="ignore"), periods=3,
                    freq="W", time_unit="W", spend_model=rt.GammaGamma(**GG))  # fmt: skip
    with pytest.raises(InvalidParameterError, match=r"'new_customers'.*>= 0"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", new_customers=-1)
    with pytest.raises(InvalidParameterError, match="'new_customers'"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", new_customers=pd.Series([5.0, -2.0], index=[1, 2]))  # fmt: skip
    with pytest.raises(InvalidParameterError, match="not forecast"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", new_customers=pd.Series([5.0], index=[7]))  # fmt: skip
    with pytest.raises(ColumnTypeError, match="transaction_model"):
        rt.forecast(rt.GammaGamma(**GG), summary, periods=3, freq="W", time_unit="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'time_unit'"):
        rt.forecast(model, summary, periods=3, freq="W")
    with pytest.raises(InvalidParameterError, match="'interval'"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", interval=1.5)
    with pytest.raises(InvalidParameterError, match="'model'"):
        rt.backtest(tx, model="sbg", calibration_end="2024-06-30")
    for value in (42, rt.BetaGeoBetaBinom(**BGBB)):  # not a model of continuous time
        with pytest.raises(InvalidParameterError, match=rf"'model'.*Got {type(value).__name__}"):
            rt.backtest(tx, model=value, calibration_end="2024-06-30")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'calibration_end'.*needed"):
        rt.backtest(tx, calibration_end=None)  # type: ignore[arg-type]
    with pytest.raises(ColumnTypeError, match=r"summary.*got list"):
        rt.forecast(model, [1, 2], periods=3, freq="W", time_unit="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'baselines'"):
        rt.backtest(tx, calibration_end="2024-06-30", baselines=("drift",))
    with pytest.raises(InvalidParameterError, match="'spend'"):
        rt.backtest(tx, calibration_end="2024-06-30", spend="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'seed'"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", seed=-1)
    with pytest.raises(InvalidParameterError, match="'n_draws'"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", n_draws=-5)
    with pytest.raises(InvalidParameterError, match="'new_customers'"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", new_customers="many")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="infinite mean spend"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", spend_model=rt.GammaGamma(p=6.25, q=0.8, gamma=15.44))  # fmt: skip
    with pytest.raises(ColumnTypeError, match="spend_model"):
        rt.forecast(model, summary, periods=3, freq="W", time_unit="W", spend_model=model)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"'time_unit'.*BetaGeoBetaBinom"):
        rt.forecast(rt.BetaGeoBetaBinom(**BGBB), summary, periods=3, freq="M", time_unit="W")


def test_cumulative_bounds_never_fall() -> None:
    # Seven customers over 17 days: the fit drifts to a and b in the millions and the simulated quantiles of
    # the cumulative orders, each period with its own noise, fell from one period to the next for some
    # seeds (26.87 then 26.06). A cumulative total never falls, nor do its quantiles: the bounds are sorted.
    days = pd.date_range("2024-03-01", periods=17, freq="D")
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 5, 5, 6, 7, 7],
                       "date": days, "amount": np.arange(1.0, 18.0)})  # fmt: skip
    summary = rt.rfm_summary(tx, time_unit="W")
    model = rt.BetaGeo.fit(summary)
    for seed in range(5):
        f = rt.forecast(model, summary, periods=6, freq="M", time_unit="W", n_draws=200, seed=seed,
                        spend_model=rt.GammaGamma(**GG))  # fmt: skip
        for column in ("orders_cumulative", "revenue_cumulative"):
            for bound in ("lower", "upper"):
                values = f[f"{column}_{bound}"].to_numpy()
                assert (np.diff(values) >= 0).all(), (seed, column, bound, values)
            assert (f[f"{column}_lower"] <= f[f"{column}_upper"]).all()


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_errors_of_amounts_of_a_few_ulps_are_infinite_not_a_warning() -> None:
    tx = rt.example_transactions()
    tiny = tx.assign(amount=tx["amount"].abs() * 5e-324)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        result = rt.backtest(
            tiny, calibration_end="2024-06-30", freq="M", spend=rt.GammaGamma(**GG)
        )
    revenue = result.errors.loc["revenue"]
    assert revenue.loc["model", "wape"] == math.inf
    assert math.isfinite(revenue.loc["naive", "wape"])


def test_new_customers_too_large_for_a_float_are_refused_by_name() -> None:
    # float(10**400) overflows: such a plan is refused as an infinite one is, the int shown short.
    model = rt.BetaGeo(**BG)
    options: dict[str, Any] = {"periods": 3, "freq": "M", "time_unit": "W", "interval": None}
    for plan, shown in ((10**400, "1e+400"), (-(10**400), "-1e+400")):
        with pytest.raises(InvalidParameterError) as info:
            rt.forecast(model, EMPTY, new_customers=plan, **options)
        message = str(info.value)
        assert message.startswith(
            "The 'new_customers' parameter of forecast must be finite and >= 0"
        )
        assert f"3 period(s), the first 1 ({shown}). Got {shown}." in message, message
    series = pd.Series([5, 10**400], index=[1, 2])
    with pytest.raises(
        InvalidParameterError, match=r"1 period\(s\), the first 2 \(inf\)\. Got a Series"
    ):
        rt.forecast(model, EMPTY, new_customers=series, **options)
