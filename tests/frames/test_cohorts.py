"""Tests of the cohort and survival adapters: hand-computed tables, a slow reference, and properties."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionError,
)

nan = np.nan

# Monthly example. The default observation end is 2024-04-02, so April is incomplete: customer e (acquired
# in April) is left out, d's April purchase counts only in rolling tables, and March is the last period.
TX = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "b", "c", "d", "d", "e"],
        "date": [
            "2024-01-10",
            "2024-01-20",
            "2024-03-05",
            "2024-01-31",
            "2024-02-01",
            "2024-02-01",  # a duplicate row: one more order, the same active customer
            "2024-02-15",
            "2024-02-28",
            "2024-04-02",
            "2024-04-01",
        ],
        "amount": [10.0, 5.0, 20.0, 7.0, 3.0, 3.0, 100.0, 1.0, 50.0, 8.0],
    }
)


def _frame(rows: list[list[float]], cohorts: list[str], freq: str = "M") -> pd.DataFrame:
    columns = pd.Index(np.arange(len(rows[0]), dtype=np.int64), name="periods_since")
    index = pd.PeriodIndex(cohorts, freq=freq, name="cohort")
    return pd.DataFrame(np.array(rows, dtype=np.float64), index=index, columns=columns)


@pytest.mark.parametrize(
    ("metric", "kind", "rows"),
    [
        ("customers", "classic", [[2, 1, 1], [2, 0, nan]]),
        ("customers", "rolling", [[2, 2, 1], [2, 1, nan]]),
        ("orders", "classic", [[3, 2, 1], [2, 0, nan]]),
        ("orders", "rolling", [[6, 3, 1], [3, 1, nan]]),
        ("revenue", "classic", [[22, 6, 20], [101, 0, nan]]),
        ("revenue", "rolling", [[48, 26, 20], [151, 50, nan]]),
    ],
)
def test_cohort_table_by_hand(metric: str, kind: str, rows: list[list[float]]) -> None:
    result = rt.cohort_table(TX, metric=metric, kind=kind)
    pd.testing.assert_frame_equal(result, _frame(rows, ["2024-01", "2024-02"]))


@pytest.mark.parametrize(
    ("metric", "kind", "rows"),
    [
        ("customers", "classic", [[1, 0.5, 0.5], [1, 0, nan]]),
        ("customers", "rolling", [[1, 1, 0.5], [1, 0.5, nan]]),
        ("orders", "classic", [[1.5, 1, 0.5], [1, 0, nan]]),
        ("revenue", "classic", [[11, 3, 10], [50.5, 0, nan]]),
        ("revenue", "rolling", [[24, 13, 10], [75.5, 25, nan]]),
    ],
)
def test_cohort_table_normalized_by_hand(metric: str, kind: str, rows: list[list[float]]) -> None:
    result = rt.cohort_table(TX, metric=metric, kind=kind, normalize=True)
    pd.testing.assert_frame_equal(result, _frame(rows, ["2024-01", "2024-02"]))


def test_observation_end_on_last_day_completes_the_period() -> None:
    # April is now complete: e's cohort appears, March has no cohort (no row), cells up to April exist.
    result = rt.cohort_table(TX, observation_end="2024-04-30")
    expected = _frame(
        [[2, 1, 1, 0], [2, 0, 1, nan], [1, nan, nan, nan]], ["2024-01", "2024-02", "2024-04"]
    )
    pd.testing.assert_frame_equal(result, expected)


def test_observation_end_after_last_purchase_adds_observed_empty_periods() -> None:
    # Nobody bought in May, but May was observed: its cells are 0, not NaN.
    result = rt.cohort_table(TX, observation_end="2024-05-31")
    expected = _frame(
        [[2, 1, 1, 0, 0], [2, 0, 1, 0, nan], [1, 0, nan, nan, nan]],
        ["2024-01", "2024-02", "2024-04"],
    )
    pd.testing.assert_frame_equal(result, expected)


def test_observation_end_drops_later_purchases() -> None:
    # Ending on 2024-03-31 drops d's and e's April purchases: d's rolling count no longer reaches March.
    result = rt.cohort_table(TX, kind="rolling", observation_end="2024-03-31")
    pd.testing.assert_frame_equal(result, _frame([[2, 2, 1], [2, 0, nan]], ["2024-01", "2024-02"]))


def test_only_incomplete_period_gives_empty_table() -> None:
    tx = TX[TX["customer_id"] == "e"]
    result = rt.cohort_table(tx)
    assert result.shape == (0, 0)
    assert result.index.name == "cohort"
    assert result.columns.name == "periods_since"


@pytest.mark.parametrize("metric", ["customers", "orders", "revenue"])
def test_empty_table(metric: str) -> None:
    tx = pd.DataFrame({"customer_id": [], "date": [], "amount": []})
    result = rt.cohort_table(tx, metric=metric, freq="W")
    assert result.shape == (0, 0)
    assert isinstance(result.index, pd.PeriodIndex)
    assert result.index.name == "cohort"
    assert result.index.freqstr == "W-SUN"
    assert result.columns.name == "periods_since"
    assert result.columns.dtype == np.int64
    curve = rt.retention_curve(tx)
    assert list(curve.columns) == ["cohorts", "customers", "active", "retention"]
    assert curve.index.name == "periods_since"
    assert len(curve) == 0
    survival = rt.survival_curve(tx)
    assert list(survival.columns) == [
        "at_risk",
        "events",
        "censored",
        "survival",
        "ci_lower",
        "ci_upper",
    ]
    assert survival.index.name == "time"
    assert survival.index.dtype == np.int64
    assert len(survival) == 0


WEEKLY = pd.DataFrame(
    {
        "customer_id": ["x", "x", "y", "y", "z"],
        # weeks run Monday to Sunday: 2024-01-01 is a Monday
        "date": ["2024-01-07", "2024-01-08", "2024-01-03", "2024-01-17", "2024-01-09"],
    }
)


def test_weekly_by_hand() -> None:
    result = rt.cohort_table(WEEKLY, freq="W", observation_end="2024-01-21")  # a Sunday: complete
    expected = _frame([[2, 1, 1], [1, 0, nan]], ["2024-01-01", "2024-01-08"], freq="W-SUN")
    pd.testing.assert_frame_equal(result, expected)
    assert str(result.index[0]) == "2024-01-01/2024-01-07"
    # ending on Saturday leaves the third week incomplete: its cells are NaN (y's purchase is not seen)
    saturday = rt.cohort_table(WEEKLY, freq="W", observation_end="2024-01-20")
    pd.testing.assert_frame_equal(
        saturday, _frame([[2, 1], [1, nan]], ["2024-01-01", "2024-01-08"], freq="W-SUN")
    )


def test_quarterly_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "date": ["2023-03-31", "2023-04-01", "2023-05-15", "2023-12-31"],
        }
    )
    # The last purchase is on the last day of Q4, so Q4 is complete by default.
    result = rt.cohort_table(tx, freq="QE")
    pd.testing.assert_frame_equal(
        result, _frame([[1, 1, 0, 0], [1, 0, 1, nan]], ["2023Q1", "2023Q2"], freq="Q-DEC")
    )


def test_retention_curve_by_hand() -> None:
    classic = rt.retention_curve(TX)
    expected = pd.DataFrame(
        {
            "cohorts": np.array([2, 2, 1], dtype=np.int64),
            "customers": np.array([4, 4, 2], dtype=np.int64),
            "active": np.array([4, 1, 1], dtype=np.int64),
            "retention": [1.0, 0.25, 0.5],
        },
        index=pd.Index(np.arange(3, dtype=np.int64), name="periods_since"),
    )
    pd.testing.assert_frame_equal(classic, expected)
    rolling = rt.retention_curve(TX, kind="rolling")
    assert_array_equal(rolling["active"], [4, 3, 1])
    assert_allclose(rolling["retention"], [1.0, 0.75, 0.5])


def test_retention_curve_is_size_weighted_mean_of_reached_cohorts() -> None:
    table = rt.cohort_table(TX, observation_end="2024-04-30", normalize=True)
    sizes = rt.cohort_table(TX, observation_end="2024-04-30")[0]
    curve = rt.retention_curve(TX, observation_end="2024-04-30")
    for k in table.columns:
        reached = table[k].notna()
        expected = (table.loc[reached, k] * sizes[reached]).sum() / sizes[reached].sum()
        assert curve.loc[k, "retention"] == pytest.approx(expected)
        assert curve.loc[k, "cohorts"] == reached.sum()


# Survival example: inactive after 10 days, observation end 2024-03-01 (day 60 counting 2024-01-01 as 0).
SURVIVAL_DAYS = {
    "A": [0, 5, 10],  # event at 10 (50 silent days before the end)
    "B": [0, 10, 21, 25],  # a gap of exactly 10 is no lapse, 11 is: event at 10
    "C": [3],  # event at 0
    "D": [40, 45, 55],  # 5 days before the end: censored at 15
    "E": [50],  # exactly 10 days before the end: event at 0
    "F": [51, 52],  # censored at 1
    "G": [20, 30],  # event at 10
    "H": [30, 45],  # a gap of 15 ends the first spell at once: event at 0
}


def _survival_tx() -> pd.DataFrame:
    ids = [c for c, days in SURVIVAL_DAYS.items() for _ in days]
    days = [d for v in SURVIVAL_DAYS.values() for d in v]
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    return pd.DataFrame({"customer_id": ids, "date": dates})


def test_survival_curve_by_hand() -> None:
    curve = rt.survival_curve(_survival_tx(), inactive_after="10D", observation_end="2024-03-01")
    assert curve.index.name == "time"
    assert_array_equal(curve.index, [0, 1, 10, 15])
    assert curve.index.dtype == np.int64
    assert_array_equal(curve["at_risk"], [8, 5, 4, 1])
    assert_array_equal(curve["events"], [3, 0, 3, 0])
    assert_array_equal(curve["censored"], [0, 1, 0, 1])
    for column in ["at_risk", "events", "censored"]:
        assert curve[column].dtype == np.int64
    # S(0) = 1 - 3/8; S(10) = 5/8 * (1 - 3/4)
    assert_allclose(curve["survival"], [0.625, 0.625, 0.15625, 0.15625], rtol=1e-15)
    assert_allclose(curve["ci_lower"], [0.229333, 0.229333, 0.00788073, 0.00788073], rtol=1e-5)
    assert_allclose(curve["ci_upper"], [0.860698, 0.860698, 0.490927, 0.490927], rtol=1e-5)
    # an int is days too
    pd.testing.assert_frame_equal(
        curve, rt.survival_curve(_survival_tx(), inactive_after=10, observation_end="2024-03-01")
    )


def test_survival_at_and_median_by_hand() -> None:
    curve = rt.survival_curve(_survival_tx(), inactive_after="10D", observation_end="2024-03-01")
    at = rt.survival_at(curve, [0, 9, 10, "10D", "2W", 400])
    assert at.name == "survival"
    assert list(at.index) == [0, 9, 10, "10D", "2W", 400]
    assert_allclose(at, [0.625, 0.625, 0.15625, 0.15625, 0.15625, 0.15625])
    assert rt.median_lifetime(curve) == 10.0
    single = rt.survival_at(curve, "30D")
    assert list(single.index) == ["30D"]
    assert_allclose(rt.survival_at(curve, np.array([1, 12])), [0.625, 0.15625])


def test_survival_at_before_first_time_is_one() -> None:
    curve = pd.DataFrame({"survival": [0.8, 0.3]}, index=pd.Index([5, 9], name="time"))
    assert_allclose(rt.survival_at(curve, [0, 4, 5, 9]), [1.0, 1.0, 0.8, 0.3])
    assert math.isnan(rt.median_lifetime(curve.iloc[:1]))
    assert rt.median_lifetime(curve) == 9.0


@pytest.mark.parametrize(
    ("curve", "error", "match"),
    [
        ([0.5, 0.2], ColumnTypeError, "must be a DataFrame"),
        (pd.DataFrame({"surv": [0.5]}), ColumnNotFoundError, "no 'survival' column"),
        (pd.DataFrame({"survival": [0.5]}, index=["a"]), ColumnTypeError, "whole days"),
        (pd.DataFrame({"survival": [0.5, 0.4]}, index=[3, 3]), InvalidValueError, "increasing"),
        (pd.DataFrame({"survival": [0.5, 0.6]}, index=[1, 2]), InvalidValueError, "non-increasing"),
        (pd.DataFrame({"survival": [1.5]}, index=[1]), InvalidValueError, r"\[0, 1\]"),
        (pd.DataFrame({"survival": [nan]}, index=[1]), InvalidValueError, "NaN"),
        (pd.DataFrame({"survival": ["x"]}, index=[1]), ColumnTypeError, "numbers"),
    ],
)
def test_bad_curve(curve: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        rt.survival_at(curve, [1])  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        rt.median_lifetime(curve)  # type: ignore[arg-type]


@pytest.mark.parametrize("times", [[-1], ["abc"], [1.5], [True], ["12h"], np.array([-3])])
def test_bad_times(times: object) -> None:
    curve = pd.DataFrame({"survival": [0.5]}, index=pd.Index([1], name="time"))
    with pytest.raises(InvalidParameterError, match="'times' parameter of survival_at"):
        rt.survival_at(curve, times)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "sales"}, "'metric' parameter of cohort_table must be one of"),
        ({"kind": "cumulative"}, "'kind' parameter of cohort_table must be one of"),
        ({"freq": "H"}, "'freq' parameter of cohort_table"),
        ({"normalize": "yes"}, "'normalize' parameter of cohort_table must be True or False"),
        ({"observation_end": "not a date"}, "observation_end"),
    ],
)
def test_cohort_table_bad_parameters(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        rt.cohort_table(TX, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0D", -5, "12h", "soon", 2.5])
def test_survival_curve_bad_inactive_after(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="inactive_after"):
        rt.survival_curve(TX, inactive_after=value)  # type: ignore[arg-type]


def test_revenue_needs_amount_column_but_customers_does_not() -> None:
    with pytest.raises(ColumnNotFoundError, match="amount"):
        rt.cohort_table(TX.drop(columns="amount"), metric="revenue")
    pd.testing.assert_frame_equal(rt.cohort_table(TX.drop(columns="amount")), rt.cohort_table(TX))


def test_other_column_names() -> None:
    renamed = TX.rename(columns={"customer_id": "who", "date": "when", "amount": "paid"})
    result = rt.cohort_table(
        renamed, metric="revenue", customer_id="who", date="when", amount="paid"
    )
    pd.testing.assert_frame_equal(result, rt.cohort_table(TX, metric="revenue"))


def test_timezone_aware_dates_use_local_calendar() -> None:
    # 23:30 in Berlin on 31 January is January there (22:30 UTC is January too; 00:30 UTC would not be)
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "date": pd.to_datetime(["2024-01-31 23:30", "2024-02-29 12:00"]).tz_localize(
                "Europe/Berlin"
            ),
        }
    )
    result = rt.cohort_table(tx, observation_end="2024-02-29")
    pd.testing.assert_frame_equal(result, _frame([[1, 1]], ["2024-01"]))


# ---------------------------------------------------------------------------------------------------------
# A slow reference implementation with pandas Periods and Python loops, written from the definitions.


def _last_complete(end: pd.Timestamp, freq: str) -> pd.Period:
    period = end.to_period(freq)
    return period if (end + pd.Timedelta(days=1)).to_period(freq) != period else period - 1


def reference_table(
    tx: pd.DataFrame, freq: str, metric: str, kind: str, end: str | None = None
) -> pd.DataFrame:
    dates = pd.to_datetime(tx["date"]).dt.normalize()
    stop = dates.max() if end is None else pd.Timestamp(end)
    rows = [
        (c, d.to_period(freq), a)
        for c, d, a in zip(tx["customer_id"], dates, tx["amount"], strict=True)
        if d <= stop
    ]
    last = _last_complete(stop, freq)
    first: dict[Hashable, pd.Period] = {}
    for c, p, _ in rows:
        first[c] = min(first.get(c, p), p)
    cohorts = sorted({p for p in first.values() if p <= last})
    width = (last - cohorts[0]).n + 1 if cohorts else 0
    out = np.full((len(cohorts), width), nan)
    for r, cohort in enumerate(cohorts):
        members = {c for c, p in first.items() if p == cohort}
        for k in range(width):
            if cohort + k > last:
                continue
            target = cohort + k
            hits = [
                (c, a)
                for c, p, a in rows
                if c in members and (p == target if kind == "classic" else p >= target)
            ]
            if metric == "customers":
                out[r, k] = len({c for c, _ in hits})
            elif metric == "orders":
                out[r, k] = len(hits)
            else:
                out[r, k] = sum(a for _, a in hits)
    pandas_freq = "W-SUN" if freq == "W" else freq
    return pd.DataFrame(
        out,
        index=pd.PeriodIndex(cohorts, freq=pandas_freq, name="cohort"),
        columns=pd.Index(np.arange(width, dtype=np.int64), name="periods_since"),
    )


@st.composite
def transactions(draw: st.DrawFn, max_days: int = 400) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    ids = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, max_days), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n))
    amounts = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n))
    dates = (
        pd.Timestamp("2023-01-01")
        + pd.to_timedelta(days, unit="D")
        + pd.to_timedelta(hours, unit="h")
    )
    return pd.DataFrame(
        {"customer_id": ids, "date": dates, "amount": np.array(amounts, dtype=np.float64)}
    )


@given(
    transactions(),
    st.sampled_from(["W", "M", "Q", "Y"]),
    st.sampled_from(["customers", "orders", "revenue"]),
    st.sampled_from(["classic", "rolling"]),
    st.one_of(st.none(), st.sampled_from(["2023-06-30", "2023-09-15", "2023-12-31", "2024-02-29"])),
)
def test_matches_reference(
    tx: pd.DataFrame, freq: str, metric: str, kind: str, end: str | None
) -> None:
    result = rt.cohort_table(tx, freq=freq, metric=metric, kind=kind, observation_end=end)
    expected = reference_table(tx, freq, metric, kind, end)
    if len(expected) == 0:
        assert result.shape == (0, 0)
    else:
        pd.testing.assert_frame_equal(result, expected)


@given(transactions(max_days=60), st.sampled_from(["customers", "orders"]))
def test_daily_matches_reference(tx: pd.DataFrame, metric: str) -> None:
    result = rt.cohort_table(tx, freq="D", metric=metric, kind="rolling")
    expected = reference_table(tx, "D", metric, "rolling")
    if len(expected) == 0:
        assert result.shape == (0, 0)
    else:
        pd.testing.assert_frame_equal(result, expected)


@given(transactions(), st.sampled_from(["W", "M", "Q"]))
def test_classic_normalized_customers_are_shares(tx: pd.DataFrame, freq: str) -> None:
    table = rt.cohort_table(tx, freq=freq, normalize=True)
    values = table.to_numpy()
    observed = ~np.isnan(values)
    assert ((values[observed] >= 0) & (values[observed] <= 1)).all()
    if len(table):
        assert (table[0] == 1.0).all()


@given(
    transactions(),
    st.sampled_from(["W", "M", "Q"]),
    st.sampled_from(["customers", "orders", "revenue"]),
)
def test_rolling_dominates_classic_and_does_not_increase(
    tx: pd.DataFrame, freq: str, metric: str
) -> None:
    classic = rt.cohort_table(tx, freq=freq, metric=metric).to_numpy()
    rolling = rt.cohort_table(tx, freq=freq, metric=metric, kind="rolling").to_numpy()
    assert_array_equal(np.isnan(classic), np.isnan(rolling))
    observed = ~np.isnan(classic)
    assert (rolling[observed] >= classic[observed]).all()  # amounts are non-negative here
    with np.errstate(invalid="ignore"):
        steps = np.diff(rolling, axis=1)
    assert (steps[~np.isnan(steps)] <= 0).all()


@given(transactions(), st.sampled_from(["W", "M", "Q", "Y"]))
def test_cohort_sizes_count_customers_acquired_in_complete_periods(
    tx: pd.DataFrame, freq: str
) -> None:
    table = rt.cohort_table(tx, freq=freq)
    first = tx.groupby("customer_id")["date"].min().dt.to_period(freq)
    last = _last_complete(tx["date"].max().normalize(), freq)
    expected = int((first <= last).sum())
    assert (table[0].sum() if len(table) else 0) == expected
    curve = rt.retention_curve(tx, freq=freq)
    assert (curve["customers"].iloc[0] if len(curve) else 0) == expected


@given(transactions(), st.sampled_from(["W", "M", "Q", "Y"]))
def test_complete_observation_counts_every_order_and_amount(tx: pd.DataFrame, freq: str) -> None:
    pandas_freq = "W-SUN" if freq == "W" else freq
    end = tx["date"].max().to_period(pandas_freq).end_time.normalize()
    orders = rt.cohort_table(tx, freq=freq, metric="orders", observation_end=end)
    revenue = rt.cohort_table(tx, freq=freq, metric="revenue", observation_end=end)
    assert np.nansum(orders.to_numpy()) == len(tx)
    assert np.nansum(revenue.to_numpy()) == pytest.approx(tx["amount"].sum())
    assert np.nansum(rt.cohort_table(tx, freq=freq, observation_end=end).to_numpy()) == len(
        tx.assign(p=tx["date"].dt.to_period(pandas_freq))[["customer_id", "p"]].drop_duplicates()
    )


@given(
    tx=transactions(),
    perm=st.permutations(range(8)),
    naming=st.sampled_from(["str", "huge", "negative"]),
    rnd=st.randoms(use_true_random=False),
    metric=st.sampled_from(["customers", "orders", "revenue"]),
    kind=st.sampled_from(["classic", "rolling"]),
)
def test_invariant_to_row_order_and_id_names(
    *, tx: pd.DataFrame, perm: list[int], naming: str, rnd: random.Random, metric: str, kind: str
) -> None:
    ids = {
        "str": [f"customer-{p}" for p in perm],
        "huge": [2**63 - 5 + p for p in perm],  # straddles 2**63: unsigned 64-bit ids
        "negative": [-(2**62) * (p % 2) - p for p in perm],
    }[naming]
    renamed = tx.assign(customer_id=[ids[c] for c in tx["customer_id"]])
    order = list(range(len(tx)))
    rnd.shuffle(order)
    shuffled = renamed.iloc[order].reset_index(drop=True)
    expected = rt.cohort_table(tx, metric=metric, kind=kind)
    pd.testing.assert_frame_equal(rt.cohort_table(shuffled, metric=metric, kind=kind), expected)
    pd.testing.assert_frame_equal(
        rt.retention_curve(shuffled, kind=kind), rt.retention_curve(tx, kind=kind)
    )
    pd.testing.assert_frame_equal(
        rt.survival_curve(shuffled, inactive_after=30), rt.survival_curve(tx, inactive_after=30)
    )


@given(transactions(), st.sampled_from([0.5, 3.0, 1e6]))
def test_scaled_amounts(tx: pd.DataFrame, factor: float) -> None:
    scaled = tx.assign(amount=tx["amount"] * factor)
    pd.testing.assert_frame_equal(rt.cohort_table(scaled), rt.cohort_table(tx))
    pd.testing.assert_frame_equal(
        rt.cohort_table(scaled, metric="revenue"), rt.cohort_table(tx, metric="revenue") * factor
    )


def reference_lifetimes(tx: pd.DataFrame, inactive_after: int) -> tuple[list[int], list[bool]]:
    end = tx["date"].max().normalize()
    durations, events = [], []
    for _, group in tx.groupby("customer_id"):
        days = sorted(set(group["date"].dt.normalize()))
        stop = len(days) - 1
        for i in range(len(days) - 1):
            if (days[i + 1] - days[i]).days > inactive_after:
                stop = i
                break
        durations.append((days[stop] - days[0]).days)
        events.append(stop < len(days) - 1 or (end - days[-1]).days >= inactive_after)
    return durations, events


@given(transactions(max_days=200), st.integers(1, 60))
def test_survival_curve_matches_reference_lifetimes(tx: pd.DataFrame, inactive_after: int) -> None:
    from scipy import stats

    curve = rt.survival_curve(tx, inactive_after=inactive_after)
    durations, events = reference_lifetimes(tx, inactive_after)
    d = np.array(durations)
    e = np.array(events)
    assert_array_equal(curve.index, np.unique(d))
    assert_array_equal(curve["events"], [int(e[d == t].sum()) for t in curve.index])
    assert_array_equal(curve["censored"], [int((~e[d == t]).sum()) for t in curve.index])
    assert_array_equal(curve["at_risk"], [int((d >= t).sum()) for t in curve.index])
    sf = stats.ecdf(stats.CensoredData(uncensored=d[e], right=d[~e])).sf
    assert_allclose(curve["survival"], sf.evaluate(curve.index.to_numpy()), rtol=1e-12, atol=1e-15)


@given(transactions(), st.integers(1, 120))
def test_survival_curve_properties(tx: pd.DataFrame, inactive_after: int) -> None:
    curve = rt.survival_curve(tx, inactive_after=inactive_after)
    s = curve["survival"].to_numpy()
    assert (np.diff(s) <= 0).all()
    assert ((s >= 0) & (s <= 1)).all()
    assert s[0] <= 1
    assert s[0] == pytest.approx(1 - curve["events"].iloc[0] / curve["at_risk"].iloc[0])
    assert curve["at_risk"].iloc[0] == tx["customer_id"].nunique()
    low, high = curve["ci_lower"].to_numpy(), curve["ci_upper"].to_numpy()
    defined = ~np.isnan(low)
    assert (low[defined] <= s[defined]).all()
    assert (s[defined] <= high[defined]).all()
    assert_array_equal(defined, (s > 0) & (s < 1))


def test_errors_are_retention_errors() -> None:
    with pytest.raises(RetentionError):
        rt.cohort_table("not a frame")  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match="customer_id"):
        rt.survival_curve(TX.drop(columns="customer_id"))


# --- orders, returns and groups ------------------------------------------------------------------------


def order_lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 1],
            "invoice": ["A", "A", "B", "R", "C", "C", "D", "E", "F"],
            "date": pd.to_datetime(
                [
                    "2024-01-05",
                    "2024-01-05",
                    "2024-02-10",
                    "2024-03-11",
                    "2024-02-20",
                    "2024-02-20",
                    "2024-03-03",
                    "2024-03-04",
                    "2023-12-30",
                ],
            ),
            # A = 30 (two lines); B = 20; R: a refund in March; C = 25 - 5; D = 10; E: 3 only returns;
            # F: a refund of 1 dated before 1's first purchase (counts in 1's period 0).
            "amount": [10.0, 20.0, 20.0, -8.0, 25.0, -5.0, 10.0, -4.0, -1.0],
            "channel": ["web", "web", "shop", "shop", "shop", "shop", "web", "web", "app"],
        }
    )


def test_orders_and_revenue_with_returns_by_hand() -> None:
    tx = order_lines()
    end = "2024-03-31"
    orders = rt.cohort_table(tx, metric="orders", order_id="invoice", observation_end=end)
    np.testing.assert_array_equal(orders.to_numpy(), [[1.0, 1.0, 0.0], [1.0, 1.0, np.nan]])
    lines = rt.cohort_table(tx, metric="orders", observation_end=end)  # every positive line
    np.testing.assert_array_equal(lines.to_numpy(), [[2.0, 1.0, 0.0], [1.0, 1.0, np.nan]])
    revenue = rt.cohort_table(tx, metric="revenue", order_id="invoice", observation_end=end)
    # January cohort (1): 30 - 1 in January, 20 in February, -8 in March; February cohort (2): 20, 10.
    np.testing.assert_array_equal(revenue.to_numpy(), [[29.0, 20.0, -8.0], [20.0, 10.0, np.nan]])
    gross = rt.cohort_table(
        tx, metric="revenue", order_id="invoice", returns="drop", observation_end=end
    )
    np.testing.assert_array_equal(gross.to_numpy(), [[30.0, 20.0, 0.0], [25.0, 10.0, np.nan]])
    customers = rt.cohort_table(
        tx, observation_end=end
    )  # 3 is no customer; refunds are no activity
    np.testing.assert_array_equal(customers.to_numpy(), [[1.0, 1.0, 0.0], [1.0, 1.0, np.nan]])


def test_grouped_survival_at_and_median_lifetime() -> None:
    tx = order_lines()
    curve = rt.survival_curve(tx, inactive_after="30D", by="channel", observation_end="2024-03-31")
    assert curve.index.names == ["channel", "time"]
    at = rt.survival_at(curve, ["10D", 40])
    medians = rt.median_lifetime(curve)
    assert medians.name == "median_lifetime"
    for channel in ("shop", "web"):
        members = {"web": [1], "shop": [2]}[channel]
        alone = rt.survival_curve(
            tx[tx["customer_id"].isin(members)], inactive_after="30D", observation_end="2024-03-31"
        )
        pd.testing.assert_frame_equal(curve.xs(channel, level="channel"), alone)
        np.testing.assert_array_equal(
            at.xs(channel, level="channel").to_numpy(),
            rt.survival_at(alone, ["10D", 40]).to_numpy(),
        )
        assert medians[channel] == rt.median_lifetime(alone) or (
            np.isnan(medians[channel]) and np.isnan(rt.median_lifetime(alone))
        )


@pytest.mark.parametrize("columns", [["group"], ["group", "channel"]])
def test_survival_at_and_median_lifetime_keep_tuple_group_labels_whole(columns: list[str]) -> None:
    # survival_curve takes tuples as group labels; reading its curve must keep each one whole, in
    # one level of tuples, and give the numbers of the same groups labelled by strings.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4, 5, 5, 6],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-20",
                    "2024-01-05",
                    "2024-01-02",
                    "2024-03-01",
                    "2024-02-01",
                    "2024-01-10",
                    "2024-01-30",
                    "2024-03-15",
                ]
            ),
            "channel": ["web", "web", "shop", "web", "web", "shop", "shop", "web", "web"],
        }
    )
    pairs = tx["customer_id"].map(
        {1: ("a", 1), 2: ("a", 1), 3: ("b", 2), 4: ("b", 2), 5: ("c",), 6: ("c",)}
    )
    as_tuples = tx.assign(group=pairs)
    as_text = tx.assign(group=pairs.map(str))
    curves = [
        rt.survival_curve(t, inactive_after="30D", by=columns, observation_end="2024-03-31")
        for t in (as_tuples, as_text)
    ]
    for read in (lambda c: rt.survival_at(c, ["10D", 40]), rt.median_lifetime):
        got, expected = read(curves[0]), read(curves[1])
        assert got.index.nlevels == expected.index.nlevels
        assert got.index.names == expected.index.names
        labels = got.index.get_level_values("group")
        assert set(labels) == {("a", 1), ("b", 2), ("c",)}
        assert labels.map(str).tolist() == expected.index.get_level_values("group").tolist()
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


@pytest.mark.parametrize(
    ("times", "match"),
    [
        (1.5, "not a duration"),
        (None, "not a duration"),
        (np.timedelta64(36, "h"), "whole number of days"),
        (10**30, "in range"),
        (np.array([1, 2**63], dtype=np.uint64), "from 0 to 106,751"),
        (-1, "in range"),
    ],
)
def test_survival_at_refuses_times_that_are_not_days(times: object, match: str) -> None:
    curve = rt.survival_curve(rt.example_transactions())
    with pytest.raises(InvalidParameterError, match=match):
        rt.survival_at(curve, times)  # type: ignore[arg-type]  # the point: wrong types


def test_survival_at_reads_numpy_durations_as_durations() -> None:
    curve = rt.survival_curve(rt.example_transactions())
    by_days = rt.survival_at(curve, [1, 2]).to_numpy()
    by_hours = rt.survival_at(curve, np.array([24, 48], dtype="timedelta64[h]")).to_numpy()
    np.testing.assert_array_equal(by_hours, by_days)
    assert rt.survival_at(curve, np.timedelta64(2, "D")).iloc[0] == by_days[1]


def test_survival_of_no_customers_is_undefined() -> None:
    curve = rt.survival_curve(rt.example_transactions().iloc[:0])
    assert np.isnan(rt.survival_at(curve, [0, 30]).to_numpy()).all()


@pytest.mark.parametrize("inactive_after", [10**9, 1.5, "36h", 0])
def test_inactive_after_must_be_whole_days_in_range(inactive_after: object) -> None:
    with pytest.raises(InvalidParameterError, match="inactive_after"):
        rt.survival_curve(rt.example_transactions(), inactive_after=inactive_after)  # type: ignore[arg-type]


def test_a_daily_table_to_the_year_9999_is_refused_before_allocating() -> None:
    with pytest.raises(InvalidParameterError, match=r"cohorts x 2,9\d\d,\d\d\d periods.*freq='W'"):
        rt.cohort_table(rt.example_transactions(), freq="D", observation_end="9999-12-31")
