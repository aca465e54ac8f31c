"""Tests of rfm_summary (retention.frames.summary)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import InvalidParameterError


def table() -> pd.DataFrame:
    """Three customers; customer 1 buys twice on 1 January (one transaction)."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-01",
                    "2024-01-15",
                    "2024-02-12",
                    "2024-01-08",
                    "2024-01-29",
                    "2024-03-04",
                ]
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 8.0, 12.0, 14.0],
        }
    )


def test_daily_summary_by_hand() -> None:
    got = rt.rfm_summary(table(), amount="amount")
    # Observation end = last purchase, 2024-03-04. Customer 1: days 0, 14, 42 -> 2 repeats, recency 42,
    # T 63 (1 Jan to 4 Mar); repeat spend 20 and 30. Customer 2: T 56. Customer 3: 29 Jan -> 4 Mar = 35.
    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 1],
            "recency": [42.0, 0.0, 35.0],
            "T": [63.0, 56.0, 35.0],
            "monetary_value": [25.0, 0.0, 14.0],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    pd.testing.assert_frame_equal(got, expected)


def test_weekly_periods_and_units() -> None:
    # Weeks (Monday to Sunday): customer 1 buys in the weeks of 1 Jan, 15 Jan and 12 Feb; the observation
    # end 4 Mar starts its own week. In weeks: recency 6, T 9; in days between week starts: 42, 63.
    weekly = rt.rfm_summary(table(), freq="W")
    np.testing.assert_array_equal(weekly["frequency"], [2, 0, 1])
    np.testing.assert_array_equal(weekly["recency"], [6.0, 0.0, 5.0])
    np.testing.assert_array_equal(weekly["T"], [9.0, 8.0, 5.0])
    in_days = rt.rfm_summary(table(), freq="W", time_unit="D")
    np.testing.assert_array_equal(in_days["T"], [63.0, 56.0, 35.0])
    assert list(weekly.columns) == ["frequency", "recency", "T"]


def test_monthly_periods_and_units() -> None:
    # Months: customer 1 buys in Jan and Feb -> 1 repeat, recency 1 month, T 2 (Jan to Mar).
    monthly = rt.rfm_summary(table(), freq="M", amount="amount")
    np.testing.assert_array_equal(monthly["frequency"], [1, 0, 1])
    np.testing.assert_array_equal(monthly["recency"], [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(monthly["T"], [2.0, 2.0, 2.0])
    # January's three purchases (10 + 5 + 20) are one transaction; February's 30 is the repeat.
    np.testing.assert_array_equal(monthly["monetary_value"], [30.0, 0.0, 14.0])
    quarters = rt.rfm_summary(table(), freq="M", time_unit="Q")
    np.testing.assert_allclose(quarters["T"], [2 / 3, 2 / 3, 2 / 3])
    # Days measured in months use the mean month of 365.2425 / 12 days.
    months = rt.rfm_summary(table(), time_unit="M")
    np.testing.assert_allclose(months["T"], np.array([63.0, 56.0, 35.0]) / (365.2425 / 12))


def test_observation_end_drops_later_purchases_and_sets_T() -> None:
    got = rt.rfm_summary(table(), observation_end="2024-02-01", time_unit="W")
    # Customer 3 (29 Jan) stays, their 4 March purchase goes; customer 1 keeps 1 and 15 January.
    np.testing.assert_array_equal(got["frequency"], [1, 0, 0])
    np.testing.assert_allclose(got["T"], np.array([31.0, 24.0, 3.0]) / 7)


def test_calibration_and_holdout_by_hand() -> None:
    got = rt.rfm_summary(table(), time_unit="W", calibration_end="2024-02-05", amount="amount")
    expected = pd.DataFrame(
        {
            "frequency": [1, 0, 0],
            "recency": [2.0, 0.0, 0.0],
            "T": [5.0, 4.0, 1.0],
            "monetary_value": [20.0, 0.0, 0.0],
            "frequency_holdout": [1, 0, 1],
            "monetary_value_holdout": [30.0, 0.0, 14.0],
            "duration_holdout": [4.0, 4.0, 4.0],
        },
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    pd.testing.assert_frame_equal(got, expected)


def test_holdout_spend_adds_one_period_first_and_late_customers_are_left_out() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b"],
            "date": ["2024-01-01", "2024-01-10", "2024-01-10", "2024-01-20", "2024-01-15"],
            "amount": [1.0, 4.0, 6.0, 5.0, 3.0],
        }
    )
    got = rt.rfm_summary(tx, calibration_end="2024-01-05", amount="amount")
    # "b" first buys after the calibration end: not in the summary.
    assert list(got.index) == ["a"]
    # Holdout: 10 January (4 + 6 = 10) and 20 January (5) -> 2 transactions of mean 7.5.
    assert got.loc["a", "frequency_holdout"] == 2
    assert got.loc["a", "monetary_value_holdout"] == 7.5
    assert got.loc["a", "duration_holdout"] == 15.0


@pytest.mark.parametrize("cut", ["2023-12-31", "2024-03-04", "2024-06-01"])
def test_calibration_end_outside_the_data_raises(cut: str) -> None:
    with pytest.raises(
        InvalidParameterError, match="'calibration_end' parameter of rfm_summary must fall within"
    ):
        rt.rfm_summary(table(), calibration_end=cut)


def test_calibration_end_on_an_empty_table_raises() -> None:
    with pytest.raises(InvalidParameterError, match="no purchases"):
        rt.rfm_summary(table().iloc[0:0], calibration_end="2024-01-01")


def test_calibration_end_must_be_a_date() -> None:
    with pytest.raises(
        InvalidParameterError, match="'calibration_end' parameter of rfm_summary is not a date"
    ):
        rt.rfm_summary(table(), calibration_end="soon")


def test_bad_time_unit_names_the_parameter() -> None:
    with pytest.raises(
        InvalidParameterError, match="The 'time_unit' parameter of rfm_summary must be one of"
    ):
        rt.rfm_summary(table(), time_unit="fortnight")


def test_empty_table_gives_typed_empty_frame() -> None:
    got = rt.rfm_summary(table().iloc[0:0], amount="amount")
    assert list(got.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert got.dtypes["frequency"] == np.int64
    assert got.dtypes["T"] == np.float64
    assert got.index.name == "customer_id"
    assert len(got) == 0


# --- the published CDNOW summary -----------------------------------------------------------------------


def test_cdnow_summary_matches_the_published_one(shared_data: Path) -> None:
    tx = pd.read_csv(shared_data / "cdnow_sample.csv")
    summary = rt.rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    assert len(summary) == 2357
    assert summary["frequency"].sum() == 2457
    one = summary.loc[1]
    assert (one["frequency"], round(one["recency"], 2), round(one["T"], 2)) == (2, 30.43, 38.86)
    # The calibration split gives the same calibration columns.
    split = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")
    pd.testing.assert_frame_equal(split[["frequency", "recency", "T"]], summary)
    assert split["duration_holdout"].iloc[0] == 39.0  # 1 Oct 1997 to 30 Jun 1998: 273 days


def test_cdnow_holdout_matches_a_direct_count(shared_data: Path) -> None:
    tx = pd.read_csv(shared_data / "cdnow_sample.csv", parse_dates=["date"])
    split = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")
    later = tx[tx["date"] > "1997-09-30"]
    per_day = later.groupby(["customer_id", "date"])["amount"].sum()
    count = per_day.groupby(level="customer_id").size().reindex(split.index, fill_value=0)
    spend = per_day.groupby(level="customer_id").mean().reindex(split.index, fill_value=0.0)
    np.testing.assert_array_equal(split["frequency_holdout"], count)
    np.testing.assert_allclose(split["monetary_value_holdout"], spend, rtol=1e-12)
    # Gamma-Gamma's input (Fader & Hardie 2013): 946 customers with repeat purchases in calibration.
    assert int((split["frequency"] > 0).sum()) == 946


# --- properties ------------------------------------------------------------------------------------------

rows = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 120), st.integers(1, 500)), min_size=1, max_size=40
)


def _frame(data: list[tuple[int, int, int]]) -> pd.DataFrame:
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "customer_id": [d[0] for d in data],
            "date": [start + pd.Timedelta(days=d[1]) for d in data],
            "amount": [float(d[2]) for d in data],
        }
    )


def _direct(tx: pd.DataFrame, freq: str, days_per_unit: float | None) -> pd.DataFrame:
    """The definitions written plainly with pandas periods (weeks in pandas' W-SUN)."""
    pandas_freq = "W-SUN" if freq == "W" else freq
    periods = tx["date"].dt.to_period(pandas_freq)
    end = tx["date"].max().to_period(pandas_freq)
    out = {}
    for customer, group in periods.groupby(tx["customer_id"]):
        distinct = sorted(set(group))
        first, last = distinct[0], distinct[-1]
        if days_per_unit is None:  # whole periods
            recency, age = (last - first).n, (end - first).n
        else:
            recency = (last.start_time - first.start_time).days / days_per_unit
            age = (end.start_time - first.start_time).days / days_per_unit
        out[customer] = (len(distinct) - 1, float(recency), float(age))
    return pd.DataFrame.from_dict(out, orient="index", columns=["frequency", "recency", "T"])


@given(
    rows,
    st.sampled_from(
        [("D", None, None), ("D", "W", 7.0), ("W", None, None), ("M", None, None), ("M", "D", 1.0)]
    ),
)
def test_summary_matches_the_plain_definition(
    data: list[tuple[int, int, int]], case: tuple[str, str | None, float | None]
) -> None:
    freq, unit, days = case
    tx = _frame(data)
    got = rt.rfm_summary(tx, freq=freq, time_unit=unit)
    expected = _direct(tx, freq, days)
    np.testing.assert_array_equal(got["frequency"], expected["frequency"])
    np.testing.assert_allclose(got["recency"], expected["recency"], rtol=1e-12)
    np.testing.assert_allclose(got["T"], expected["T"], rtol=1e-12)


@given(rows, st.randoms(use_true_random=False), st.lists(st.integers(0, 39), max_size=10))
def test_invariant_to_row_order_and_same_day_duplicates(data, rnd, picks) -> None:  # type: ignore[no-untyped-def]
    tx = _frame(data)
    base = rt.rfm_summary(tx, time_unit="W", amount="amount")
    shuffled = tx.sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    # Exactly equal, monetary value included: spend is summed independently of the row order.
    pd.testing.assert_frame_equal(
        rt.rfm_summary(shuffled, time_unit="W", amount="amount"), base, check_exact=True
    )
    duplicated = pd.concat([tx, tx.iloc[[i % len(tx) for i in picks]]])
    again = rt.rfm_summary(duplicated, time_unit="W", amount="amount")
    pd.testing.assert_frame_equal(
        again[["frequency", "recency", "T"]], base[["frequency", "recency", "T"]]
    )
