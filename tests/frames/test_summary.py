"""Tests of rfm_summary (retention.frames.summary)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import InvalidParameterError
from tests.lines import orders_frame, split_into_lines


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
    # The table has an amount column, so the default amount="amount" adds the mean repeat spend;
    # amount=None leaves it out.
    assert list(weekly.columns) == ["frequency", "recency", "T", "monetary_value"]
    no_money = rt.rfm_summary(table(), freq="W", amount=None)
    assert list(no_money.columns) == ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(no_money, weekly[["frequency", "recency", "T"]])


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


def test_cdnow_summary_matches_the_published_one() -> None:
    tx = rt.load_cdnow()
    summary = rt.rfm_summary(tx, time_unit="W", observation_end="1997-09-30")
    assert len(summary) == 2357
    assert summary["frequency"].sum() == 2457
    one = summary.loc[1]
    assert (one["frequency"], round(one["recency"], 2), round(one["T"], 2)) == (2, 30.43, 38.86)
    # The calibration split gives the same calibration columns.
    split = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")
    pd.testing.assert_frame_equal(split[["frequency", "recency", "T", "monetary_value"]], summary)
    assert split["duration_holdout"].iloc[0] == 39.0  # 1 Oct 1997 to 30 Jun 1998: 273 days


def test_cdnow_holdout_matches_a_direct_count() -> None:
    tx = rt.load_cdnow()
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


# --- orders and returns ------------------------------------------------------------------------------------


def order_log() -> pd.DataFrame:
    """Orders of several lines, and returns.

    Customer 1: order o1 of two lines on 1 Jan (15), o2 with lines on 15 and 16 Jan (24, dated 15 Jan),
    o3 on 12 Feb (30); returns of 5 on 1 Jan (the first day), of 6 on 20 Jan (a day without a purchase)
    and of 100 on 10 Mar (after the last purchase). Customer 2: o4 on 8 Jan (8); returns of 8 on 1 Feb
    and of 1 on 25 Feb. Customer 3: o5 on 29 Jan (12), o6 on 20 Feb whose lines net to -6 (a return as a
    whole), o7 on 4 Mar (14), the last purchase. Customer 4 only returns goods.
    """
    rows = [
        (1, "o1", "2024-01-01", 10.0),
        (1, "o1", "2024-01-01", 5.0),
        (1, "o2", "2024-01-15", 20.0),
        (1, "o2", "2024-01-16", 4.0),
        (1, "r0", "2024-01-01", -5.0),
        (1, "r1", "2024-01-20", -6.0),
        (1, "o3", "2024-02-12", 30.0),
        (1, "r5", "2024-03-10", -100.0),
        (2, "o4", "2024-01-08", 8.0),
        (2, "r2", "2024-02-01", -8.0),
        (2, "r3", "2024-02-25", -1.0),
        (3, "o5", "2024-01-29", 12.0),
        (3, "o6", "2024-02-20", 10.0),
        (3, "o6", "2024-02-20", -16.0),
        (3, "o7", "2024-03-04", 14.0),
        (4, "r4", "2024-02-05", -9.0),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    return tx.assign(date=pd.to_datetime(tx["date"]))


def summary_frame(columns: dict[str, list[float]]) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=pd.Index([1, 2, 3], name="customer_id"))
    for name in ("frequency", "frequency_holdout"):
        if name in frame:
            frame[name] = frame[name].astype(np.int64)
    return frame.astype({c: float for c in frame if not c.startswith("frequency")})


def test_summary_of_orders_and_returns_by_hand() -> None:
    got = rt.rfm_summary(order_log(), order_id="order_id")
    # Observation end: the last purchase, 4 Mar (day 63); the return of 10 Mar is later. Customer 1
    # bought on days 0, 14 and 42: repeat spend 24 + 30, less the return of 20 Jan (day 19, after the
    # first day); the return on the first day subtracts from the first day's spend, which is left out.
    # Customer 2: no repeat, so 0 whatever the returns. Customer 3: days 28 and 63; the order of 20 Feb
    # is a return of 6, which subtracts from the repeat spend 14. Customer 4 is no customer.
    expected = summary_frame(
        {
            "frequency": [2, 0, 1],
            "recency": [42.0, 0.0, 35.0],
            "T": [63.0, 56.0, 35.0],
            "monetary_value": [(24 + 30 - 6) / 2, 0.0, 14 - 6],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_summary_of_order_lines_without_order_id() -> None:
    got = rt.rfm_summary(order_log())
    # Every row is an order: customer 1's line of 16 Jan is a purchase on a day of its own, and
    # customer 3's two lines of 20 Feb are a purchase of 10 and a return of 16.
    expected = summary_frame(
        {
            "frequency": [3, 0, 2],
            "recency": [42.0, 0.0, 35.0],
            "T": [63.0, 56.0, 35.0],
            "monetary_value": [(20 + 4 + 30 - 6) / 3, 0.0, (10 - 16 + 14) / 2],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_summary_with_returns_dropped() -> None:
    got = rt.rfm_summary(order_log(), order_id="order_id", returns="drop")
    # The negative rows are gone before orders are made: o6 is a purchase of 10 on 20 Feb.
    expected = summary_frame(
        {
            "frequency": [2, 0, 2],
            "recency": [42.0, 0.0, 35.0],
            "T": [63.0, 56.0, 35.0],
            "monetary_value": [(24 + 30) / 2, 0.0, (10 + 14) / 2],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def test_summary_of_orders_and_returns_with_calibration_end() -> None:
    got = rt.rfm_summary(order_log(), order_id="order_id", calibration_end="2024-02-05")
    # Calibration up to 5 Feb (customer 4's return that day makes no customer). Customer 1: days 0 and
    # 14, repeat spend 24 - 6; holdout o3 (30); the return of 10 Mar is after the observation end.
    # Customer 2: the return of 1 Feb is in calibration, the one of 25 Feb in the holdout, where the
    # customer did not buy: 0. Customer 3: holdout o7 (14) less the return o6 (6).
    expected = summary_frame(
        {
            "frequency": [1, 0, 0],
            "recency": [14.0, 0.0, 0.0],
            "T": [35.0, 28.0, 7.0],
            "monetary_value": [18.0, 0.0, 0.0],
            "frequency_holdout": [1, 0, 1],
            "monetary_value_holdout": [30.0, 0.0, 8.0],
            "duration_holdout": [28.0, 28.0, 28.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected)
    # Weekly periods: customer 3's holdout return (week of 19 Feb) still subtracts from the holdout.
    weekly = rt.rfm_summary(
        order_log(), freq="W", order_id="order_id", calibration_end="2024-02-05"
    )
    np.testing.assert_array_equal(weekly["monetary_value_holdout"], [30.0, 0.0, 8.0])


def test_return_in_the_first_period_or_before_changes_nothing() -> None:
    tx = order_log()
    base = rt.rfm_summary(tx, freq="W", order_id="order_id")
    early = pd.DataFrame(
        {
            "customer_id": [3, 3],
            "order_id": ["x1", "x2"],
            "date": pd.to_datetime(
                ["2024-01-31", "2023-12-01"]
            ),  # first week of customer 3; before
            "amount": [-7.0, -2.0],
        }
    )
    got = rt.rfm_summary(pd.concat([tx, early]), freq="W", order_id="order_id")
    pd.testing.assert_frame_equal(got, base)


def test_non_positive_net_spend_and_the_gamma_gamma_model() -> None:
    # Customer 2 returns more than the repeat purchase: a negative monetary value, which the spend model
    # refuses; returns="drop" keeps the spend of the purchases.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 2, 3, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-02-01",
                    "2024-01-02",
                    "2024-01-20",
                    "2024-01-25",
                    "2024-01-03",
                    "2024-02-20",
                ]
            ),
            "amount": [10.0, 20.0, 15.0, 10.0, -12.0, 5.0, 7.0],
        }
    )
    net = rt.rfm_summary(tx)
    np.testing.assert_array_equal(net["monetary_value"], [20.0, -2.0, 7.0])
    dropped = rt.rfm_summary(tx, returns="drop")
    np.testing.assert_array_equal(dropped["monetary_value"], [20.0, 10.0, 7.0])
    pd.testing.assert_frame_equal(
        net[["frequency", "recency", "T"]], dropped[["frequency", "recency", "T"]]
    )


# Rows of (customer, day, amount in cents, lines in the order).
order_rows = st.lists(
    st.tuples(
        st.integers(1, 6), st.integers(0, 120), st.integers(-5_000, 50_000), st.integers(1, 3)
    ),
    min_size=1,
    max_size=30,
)
summary_options = st.sampled_from(
    [{"freq": "D"}, {"freq": "W", "time_unit": "D"}, {"freq": "M"}, {"freq": "D", "time_unit": "W"}]
)


def middle_of(tx: pd.DataFrame) -> pd.Timestamp | None:
    """A calibration end within the purchases, or None when they span a single day."""
    days = tx.loc[tx["amount"] >= 0, "date"]
    if days.min() == days.max():
        return None
    return days.min() + (days.max() - days.min()) / 2


@given(order_rows, summary_options)
def test_summary_of_orders_split_into_lines(
    rows: list[tuple[int, int, int, int]], options: dict[str, str]
) -> None:
    orders = orders_frame(rows)
    if not (orders["amount"] >= 0).any():
        return
    lines = split_into_lines(orders)
    for returns in ("net", "drop"):
        expected = rt.rfm_summary(orders, order_id="order_id", returns=returns, **options)
        got = rt.rfm_summary(lines, order_id="order_id", returns=returns, **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    cut = middle_of(orders)
    if cut is not None:
        expected = rt.rfm_summary(orders, order_id="order_id", calibration_end=cut, **options)
        got = rt.rfm_summary(lines, order_id="order_id", calibration_end=cut, **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


@given(order_rows, summary_options, st.data())
def test_a_return_changes_no_activity_and_lowers_the_spend(
    rows: list[tuple[int, int, int, int]], options: dict[str, str], data: st.DataObject
) -> None:
    orders = orders_frame(rows)
    bought = orders[orders["amount"] >= 0]
    if bought.empty:
        return
    end = bought["date"].max()
    who = data.draw(st.sampled_from(sorted(bought["customer_id"].unique())))
    cents = data.draw(st.integers(1, 100_000))
    day = data.draw(st.integers(0, int((end - pd.Timestamp("2024-01-01")).days)))
    date = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)
    refund = pd.DataFrame(
        {"customer_id": [who], "order_id": [10_000], "date": [date], "amount": [-cents / 100]}
    )
    base = rt.rfm_summary(orders, order_id="order_id", **options)
    got = rt.rfm_summary(pd.concat([orders, refund]), order_id="order_id", **options)
    activity = ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(got[activity], base[activity], check_exact=True)
    # The net repeat spend falls by the refund when it comes after the customer's first period.
    pandas_freq = {"D": "D", "W": "W-SUN", "M": "M"}[options["freq"]]
    first = bought.loc[bought["customer_id"] == who, "date"].min().to_period(pandas_freq)
    x = base.loc[who, "frequency"]
    before = base.loc[who, "monetary_value"] * x
    after = got.loc[who, "monetary_value"] * x
    lowered = -cents / 100 if x > 0 and date.to_period(pandas_freq) > first else 0.0
    assert after == pytest.approx(before + lowered, rel=1e-12, abs=1e-9)
    others = got.index != who
    pd.testing.assert_frame_equal(got[others], base[others], check_exact=True)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.integers(0, 40),
            st.sampled_from([1e16, -1e16, 1.0, 5.0, -3.0, 0.1, 0.2, -0.3, 1234.56]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
def test_row_order_never_changes_a_bit(rows: list[tuple[int, int, float]], rnd) -> None:  # type: ignore[no-untyped-def]
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    if not (tx["amount"] >= 0).any():
        return
    order = list(range(len(tx)))
    rnd.shuffle(order)
    for options in ({"freq": "D"}, {"freq": "W"}):
        base = rt.rfm_summary(tx, **options)
        pd.testing.assert_frame_equal(
            rt.rfm_summary(tx.iloc[order], **options), base, check_exact=True
        )
        cut = middle_of(tx)
        if cut is not None:
            split = rt.rfm_summary(tx, calibration_end=cut, **options)
            again = rt.rfm_summary(tx.iloc[order], calibration_end=cut, **options)
            pd.testing.assert_frame_equal(again, split, check_exact=True)


def test_mixed_magnitudes_add_exactly() -> None:
    # Repeat spend 1e16 + 1 - 1e16 + 5 = 6 over one repeat day, in every order of the rows.
    tx = pd.DataFrame(
        {
            "customer_id": [1] * 5,
            "date": pd.to_datetime(["2024-01-01"] + ["2024-01-05"] * 4),
            "amount": [3.0, 1e16, 1.0, -1e16, 5.0],
        }
    )
    for order in itertools.permutations(range(1, 5)):
        got = rt.rfm_summary(tx.iloc[[0, *order]])
        assert got.loc[1, "monetary_value"] == 6.0
