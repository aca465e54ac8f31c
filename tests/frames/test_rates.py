"""Tests of period retention and the purchase statistics (retention.frames.rates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import InvalidParameterError
from tests.exact import exact_total

COUNTS = ["customers_start", "new", "reactivated", "retained", "churned", "customers_end"]
RATES = ["retention_rate", "crr", "churn_rate"]
STATISTICS = [
    "customers",
    "returned",
    "share_returned",
    "mean_days",
    "q25_days",
    "median_days",
    "q75_days",
]


def tx_of(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = ["customer_id", "date", "amount"][: len(rows[0])] if rows else ["customer_id", "date"]
    tx = pd.DataFrame(rows, columns=columns)
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def expected_frame(
    periods: list[str], freq: str, counts: dict[str, list[int]], rates: dict[str, list[float]]
) -> pd.DataFrame:
    index = pd.PeriodIndex(periods, freq=freq, name="period")
    data: dict[str, Any] = {k: np.array(counts[k], dtype=np.int64) for k in COUNTS}
    data.update({k: np.array(rates[k], dtype=np.float64) for k in RATES})
    return pd.DataFrame(data, index=index)


def assert_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    # Rates are checked to 1e-15: each is one division of the hand-written counts.
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-15, atol=0)


# --- the worked example of docs/definitions/rates.md ------------------------------------------


def docs_example() -> pd.DataFrame:
    """The table of docs/definitions/rates.md: 5 customers over January-March 2024."""
    return tx_of(
        [
            ("A", "2024-01-05", 20.0),
            ("A", "2024-02-10", 30.0),
            ("A", "2024-03-15", 25.0),
            ("B", "2024-01-20", 50.0),
            ("B", "2024-03-02", 40.0),
            ("C", "2024-01-31", 10.0),
            ("D", "2024-02-01", 60.0),
            ("D", "2024-02-01", -20.0),
            ("E", "2024-03-28", 55.0),
        ]
    )


def test_docs_example_period_retention() -> None:
    got = rt.period_retention(docs_example(), observation_end="2024-03-31")
    expected = expected_frame(
        ["2024-01", "2024-02", "2024-03"],
        "M",
        {
            "customers_start": [0, 3, 2],
            "new": [3, 1, 1],
            "reactivated": [0, 0, 1],
            "retained": [0, 1, 1],
            "churned": [0, 2, 1],
            "customers_end": [3, 2, 3],
        },
        {
            "retention_rate": [np.nan, 1 / 3, 1 / 2],
            "crr": [np.nan, 1 / 3, 2 / 2],
            "churn_rate": [np.nan, 2 / 3, 1 / 2],
        },
    )
    assert_table(got, expected)


def test_docs_example_incomplete_march_is_left_out() -> None:
    # The data end on 28 March, so March is incomplete unless observation_end says otherwise.
    full = rt.period_retention(docs_example(), observation_end="2024-03-31")
    assert_table(rt.period_retention(docs_example()), full.iloc[:2])
    assert_table(rt.period_retention(docs_example(), observation_end="2024-03-30"), full.iloc[:2])


def test_docs_example_scalar_metrics() -> None:
    tx = docs_example()
    # Repeat buyers on two or more distinct days: A (3 days) and B (2); D's two rows share one day.
    assert rt.repeat_purchase_rate(tx) == 2 / 5
    # 8 orders (D's -20 is a return, not an order), 5 customers.
    assert rt.purchase_frequency(tx) == 8 / 5
    # Revenue net of the return, 20 + 30 + 25 + 50 + 40 + 10 + 60 - 20 + 55 = 270, over 8 orders.
    assert rt.average_order_value(tx) == 270 / 8
    # returns="drop" ignores the return: 290 over the same 8 orders.
    assert rt.average_order_value(tx, returns="drop") == 290 / 8


def test_docs_example_time_to_second_purchase() -> None:
    # A: 5 Jan -> 10 Feb = 36 days; B: 20 Jan -> 2 Mar 2024 = 11 + 29 + 2 = 42 days.
    got = rt.time_to_second_purchase(docs_example())
    expected = pd.Series(
        [5.0, 2.0, 0.4, 39.0, 37.5, 39.0, 40.5],
        index=pd.Index(STATISTICS, name="statistic"),
        name="time_to_second_purchase",
    )
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def test_docs_example_observation_end_drops_later_purchases() -> None:
    tx = docs_example()
    end = "2024-02-29"
    # Kept: A (5 Jan, 10 Feb), B (20 Jan), C (31 Jan), D (an order and a return on 1 Feb); E is not a
    # customer yet.
    assert rt.repeat_purchase_rate(tx, observation_end=end) == 1 / 4
    assert rt.purchase_frequency(tx, observation_end=end) == 5 / 4
    assert rt.average_order_value(tx, observation_end=end) == (20 + 30 + 50 + 10 + 60 - 20) / 5
    got = rt.time_to_second_purchase(tx, observation_end=end)
    np.testing.assert_array_equal(got.to_numpy(), [4, 1, 0.25, 36, 36, 36, 36])


# --- period_retention by hand ------------------------------------------------------------------


def gap_example() -> pd.DataFrame:
    return tx_of(
        [
            (1, "2024-01-10"),
            (1, "2024-04-05"),  # back after a gap: reactivated in April
            (2, "2024-01-15"),
            (2, "2024-02-03"),
            (3, "2024-04-20"),  # acquired in the last complete period
            (4, "2024-05-02"),  # in May, the incomplete trailing period
        ]
    )


def test_gap_period_reactivation_and_new_customer_in_last_complete_period() -> None:
    got = rt.period_retention(gap_example())  # observation end 2 May: May is incomplete
    expected = expected_frame(
        ["2024-01", "2024-02", "2024-03", "2024-04"],
        "M",
        {
            "customers_start": [0, 2, 1, 0],
            "new": [2, 0, 0, 1],
            "reactivated": [0, 0, 0, 1],
            "retained": [0, 1, 0, 0],
            "churned": [0, 1, 1, 0],
            "customers_end": [2, 1, 0, 2],
        },
        {
            "retention_rate": [np.nan, 1 / 2, 0.0, np.nan],
            "crr": [np.nan, 1 / 2, 0.0, np.nan],
            "churn_rate": [np.nan, 1 / 2, 1.0, np.nan],
        },
    )
    assert_table(got, expected)
    # Ending the observation on 30 April keeps April and makes customer 4 not yet a customer.
    assert_table(rt.period_retention(gap_example(), observation_end="2024-04-30"), expected)


def test_observation_end_after_the_data_adds_complete_empty_periods() -> None:
    got = rt.period_retention(gap_example(), observation_end="2024-06-30")
    assert list(got.index.astype(str)) == [f"2024-0{m}" for m in range(1, 7)]
    may, june = got.loc["2024-05"], got.loc["2024-06"]
    # May: 1 and 3 leave, 4 arrives. June: nobody buys, 4 leaves.
    assert may[COUNTS].tolist() == [2, 1, 0, 0, 2, 1]
    assert june[COUNTS].tolist() == [1, 0, 0, 0, 1, 0]
    assert may["crr"] == 0.0
    assert june["churn_rate"] == 1.0


def test_crr_exceeds_one_with_reactivation() -> None:
    tx = tx_of(
        [
            (1, "2024-01-03"),
            (2, "2024-01-04"),
            (1, "2024-02-05"),
            (1, "2024-03-06"),
            (2, "2024-03-07"),  # 2 comes back in March
            (3, "2024-03-08"),
        ]
    )
    march = rt.period_retention(tx, observation_end="2024-03-31").loc["2024-03"]
    # S = 1 (customer 1), E = 3, N = 1 (customer 3): CRR = (3 - 1) / 1 = 2, retention rate = 1 / 1.
    assert march[COUNTS].tolist() == [1, 1, 1, 1, 0, 3]
    assert march["crr"] == 2.0
    assert march["retention_rate"] == 1.0
    assert march["churn_rate"] == 0.0


def test_weekly_periods_run_monday_to_sunday() -> None:
    # 2024-01-01 is a Monday: weeks 1-7, 8-14, 15-21 January.
    tx = tx_of(
        [
            (1, "2024-01-02"),
            (1, "2024-01-09"),
            (2, "2024-01-07"),  # Sunday: still week 1
            (2, "2024-01-15"),
            (3, "2024-01-08"),  # Monday: week 2
        ]
    )
    weeks = ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14", "2024-01-15/2024-01-21"]
    expected = expected_frame(
        weeks,
        "W-SUN",
        {
            "customers_start": [0, 2, 2],
            "new": [2, 1, 0],
            "reactivated": [0, 0, 1],
            "retained": [0, 1, 0],
            "churned": [0, 1, 2],
            "customers_end": [2, 2, 1],
        },
        {
            "retention_rate": [np.nan, 1 / 2, 0.0],
            "crr": [np.nan, 1 / 2, 1 / 2],
            "churn_rate": [np.nan, 1 / 2, 1.0],
        },
    )
    assert_table(rt.period_retention(tx, freq="W", observation_end="2024-01-21"), expected)
    # Saturday 20 January: the third week is incomplete.
    assert_table(rt.period_retention(tx, freq="W", observation_end="2024-01-20"), expected.iloc[:2])


def test_quarterly_periods() -> None:
    tx = tx_of(
        [
            (1, "2023-02-10"),
            (1, "2023-08-01"),
            (2, "2023-03-31"),
            (2, "2023-04-01"),
            (2, "2023-12-31"),
            (3, "2023-11-15"),
            (4, "2024-01-02"),  # 2024Q1 is incomplete (the data end on 2 January)
        ]
    )
    expected = expected_frame(
        ["2023Q1", "2023Q2", "2023Q3", "2023Q4"],
        "Q-DEC",
        {
            "customers_start": [0, 2, 1, 1],
            "new": [2, 0, 0, 1],
            "reactivated": [0, 0, 1, 1],
            "retained": [0, 1, 0, 0],
            "churned": [0, 1, 1, 1],
            "customers_end": [2, 1, 1, 2],
        },
        {
            "retention_rate": [np.nan, 1 / 2, 0.0, 0.0],
            "crr": [np.nan, 1 / 2, 1.0, 1.0],
            "churn_rate": [np.nan, 1 / 2, 1.0, 1.0],
        },
    )
    assert_table(rt.period_retention(tx, freq="Q"), expected)
    assert_table(rt.period_retention(tx, freq="QE"), expected)


def test_other_column_names() -> None:
    tx = docs_example().rename(columns={"customer_id": "who", "date": "when"})
    got = rt.period_retention(tx, customer_id="who", date="when", observation_end="2024-03-31")
    assert got["customers_end"].tolist() == [3, 2, 3]


def test_empty_results_keep_their_shape() -> None:
    empty = docs_example().iloc[0:0]
    for result in (
        rt.period_retention(empty),
        # every purchase falls in the incomplete March
        rt.period_retention(docs_example().iloc[[8]]),
        # the observation ends before the first purchase
        rt.period_retention(docs_example(), observation_end="2023-12-31"),
    ):
        assert list(result.columns) == COUNTS + RATES
        assert len(result) == 0
        assert isinstance(result.index, pd.PeriodIndex)
        assert result.index.name == "period"
        assert result.index.freqstr == "M"
        assert (result.dtypes[COUNTS] == np.int64).all()
        assert (result.dtypes[RATES] == np.float64).all()


def test_empty_scalar_metrics() -> None:
    empty = docs_example().iloc[0:0]
    for value in (
        rt.repeat_purchase_rate(empty),
        rt.purchase_frequency(empty),
        rt.average_order_value(empty),
    ):
        assert isinstance(value, float)
        assert np.isnan(value)
    summary = rt.time_to_second_purchase(empty)
    np.testing.assert_array_equal(
        summary.to_numpy(), [0, 0, np.nan, np.nan, np.nan, np.nan, np.nan]
    )


def test_bad_freq() -> None:
    with pytest.raises(InvalidParameterError, match="'freq' parameter of period_retention"):
        rt.period_retention(docs_example(), freq="H")


def test_purchases_on_one_day_are_not_a_return() -> None:
    tx = tx_of(
        [
            (1, "2024-01-01 09:00"),
            (1, "2024-01-01 18:00"),  # same day: not a second purchase
            (1, "2024-01-02 08:00"),  # next calendar day, less than 24 hours later: the second
            (2, "2024-01-05 10:00"),
            (2, "2024-01-05 10:00"),  # a duplicated row
        ]
    )
    got = rt.time_to_second_purchase(tx)
    np.testing.assert_array_equal(got.to_numpy(), [2, 1, 0.5, 1, 1, 1, 1])
    assert rt.repeat_purchase_rate(tx) == 0.5
    # Every row is a purchase, duplicates included.
    assert rt.purchase_frequency(tx) == 5 / 2


def test_time_to_second_purchase_when_nobody_returned() -> None:
    tx = tx_of([(1, "2024-01-01"), (2, "2024-01-05"), (2, "2024-01-05")])
    got = rt.time_to_second_purchase(tx)
    assert got.name == "time_to_second_purchase"
    assert got.index.name == "statistic"
    assert got.index.tolist() == STATISTICS
    np.testing.assert_array_equal(got.to_numpy(), [2, 0, 0.0, np.nan, np.nan, np.nan, np.nan])


def test_average_order_value_is_net_of_returns_per_order() -> None:
    tx = tx_of([(1, "2024-01-01", 100.0), (1, "2024-01-03", -100.0), (2, "2024-01-04", 50.0)])
    # (100 - 100 + 50) over 2 orders: the return is not an order
    assert rt.average_order_value(tx) == 50 / 2
    assert rt.average_order_value(tx.rename(columns={"amount": "net"}), amount="net") == 50 / 2
    assert rt.average_order_value(tx, returns="drop") == 150 / 2
    assert rt.purchase_frequency(tx) == 2 / 2


def test_order_lines_and_returns_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 3],
            "invoice": ["A", "A", "B", "C", "D", "D", "E"],
            "date": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 10:00",
                    "2024-01-05",
                    "2024-01-04",
                    "2024-01-02",
                    "2024-01-03",
                    "2024-01-04",
                ],
                format="ISO8601",
            ),
            # A: two lines, 30; B: one line, 20; C: a cancellation, -20; D: a line and a returned
            # line netting 5; E: a customer who only returned goods (not a customer).
            "amount": [10.0, 20.0, 20.0, -20.0, 15.0, -10.0, -7.0],
        }
    )
    assert rt.purchase_frequency(tx, order_id="invoice") == 3 / 2  # A, B; D
    assert rt.average_order_value(tx, order_id="invoice") == (30 + 20 - 20 + 5) / 3
    assert rt.repeat_purchase_rate(tx, order_id="invoice") == 1 / 2
    # Without order_id every row is an order: customer 1 has 3 purchase rows, 2 has 1 (and a return).
    assert rt.purchase_frequency(tx) == 4 / 2
    assert rt.average_order_value(tx) == (10 + 20 + 20 - 20 + 15 - 10) / 4
    # D's date is its earliest row: 2 January; the returned line on 3 January is no visit.
    got = rt.time_to_second_purchase(tx, order_id="invoice")
    np.testing.assert_array_equal(got.to_numpy(), [2, 1, 0.5, 4, 4, 4, 4])
    # A return after the last purchase day falls after the default observation end.
    late = tx.assign(date=tx["date"].where(tx["invoice"] != "C", pd.Timestamp("2024-01-09")))
    assert rt.average_order_value(late, order_id="invoice") == (30 + 20 + 5) / 3
    assert rt.average_order_value(late, order_id="invoice", observation_end="2024-01-09") == 35 / 3


# --- properties on random tables ---------------------------------------------------------------

START = pd.Timestamp("2023-01-01")


@st.composite
def tables(draw: st.DrawFn, max_rows: int = 40) -> pd.DataFrame:
    """Purchases of customers 0..20 within about a year, at any hour, with amounts in cents."""
    n = draw(st.integers(0, max_rows))
    customers = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 380), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 23), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(-5_000, 50_000), min_size=n, max_size=n))
    dates = START + pd.to_timedelta(np.array(days) * 24 + np.array(hours), unit="h")
    return pd.DataFrame(
        {
            "customer_id": np.array(customers, dtype=np.int64),
            "date": dates,
            "amount": np.array(cents, dtype=np.float64) / 100,
        }
    )


freqs = st.sampled_from(["D", "W", "M", "Q", "Y"])
ends = st.one_of(st.none(), st.integers(-10, 420).map(lambda d: START + pd.Timedelta(days=d)))


def reference_period_retention(
    tx: pd.DataFrame, freq: str, observation_end: pd.Timestamp | None
) -> pd.DataFrame:
    """The definitions, one period at a time with Python sets, from pandas' own periods."""
    pandas_freq = {"W": "W-SUN", "Q": "Q-DEC", "Y": "Y-DEC"}.get(freq, freq)
    tx = tx[tx["amount"] >= 0]  # returns are never activity
    if observation_end is not None:
        tx = tx[tx["date"].dt.normalize() <= observation_end]
    if len(tx) == 0:
        return pd.DataFrame()
    end = observation_end if observation_end is not None else tx["date"].max().normalize()
    periods = tx["date"].dt.to_period(pandas_freq)
    end_period = end.to_period(pandas_freq)
    complete = (end + pd.Timedelta(days=1)).to_period(pandas_freq) != end_period
    last = end_period if complete else end_period - 1
    active: dict[pd.Period, set[int]] = {}
    for c, p in zip(tx["customer_id"], periods, strict=True):
        active.setdefault(p, set()).add(c)
    first_ever = periods.groupby(tx["customer_id"].to_numpy()).min()
    rows = []
    p = periods.min()
    while p <= last:
        now, before = active.get(p, set()), active.get(p - 1, set())
        new = {c for c in now if first_ever[c] == p}
        reactivated = now - before - new
        rows.append(
            (
                p,
                len(before),
                len(new),
                len(reactivated),
                len(now & before),
                len(before - now),
                len(now),
            )
        )
        p += 1
    return pd.DataFrame(rows, columns=["period", *COUNTS]).set_index("period")


@given(tables(), freqs, ends)
def test_period_retention_matches_the_set_definitions(
    tx: pd.DataFrame, freq: str, end: pd.Timestamp | None
) -> None:
    got = rt.period_retention(tx, freq=freq, observation_end=end)
    expected = reference_period_retention(tx, freq, end)
    assert len(got) == len(expected)
    if len(expected):
        assert got.index.equals(pd.PeriodIndex(expected.index, name="period"))
        np.testing.assert_array_equal(got[COUNTS].to_numpy(), expected[COUNTS].to_numpy())


@given(tables(), freqs, ends)
def test_period_retention_identities_and_bounds(
    tx: pd.DataFrame, freq: str, end: pd.Timestamp | None
) -> None:
    got = rt.period_retention(tx, freq=freq, observation_end=end)
    assert list(got.columns) == COUNTS + RATES
    s, n, v, r, c, e = (got[k].to_numpy() for k in COUNTS)
    np.testing.assert_array_equal(e, n + r + v)
    np.testing.assert_array_equal(s, r + c)
    np.testing.assert_array_equal(s[1:], e[:-1])
    if len(got):
        assert s[0] == 0  # the first period with data has nobody before it
        assert (np.diff(got.index.asi8) == 1).all()  # no period skipped
    started = s > 0
    for name in ("retention_rate", "churn_rate"):
        rate = got[name].to_numpy()
        assert ((rate[started] >= 0) & (rate[started] <= 1)).all()
        assert np.isnan(rate[~started]).all()
    crr = got["crr"].to_numpy()
    assert np.isnan(crr[~started]).all()
    np.testing.assert_array_equal(crr[started], (e[started] - n[started]) / s[started])
    np.testing.assert_array_equal(
        got["retention_rate"].to_numpy()[started], r[started] / s[started]
    )


def all_results(tx: pd.DataFrame, freq: str = "M") -> list[Any]:
    return [
        rt.period_retention(tx, freq=freq),
        rt.repeat_purchase_rate(tx),
        rt.purchase_frequency(tx),
        rt.average_order_value(tx),
        rt.time_to_second_purchase(tx),
    ]


def assert_identical(a: list[Any], b: list[Any]) -> None:
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    for x, y in zip(a[1:4], b[1:4], strict=True):
        assert x == y or (np.isnan(x) and np.isnan(y))
    pd.testing.assert_series_equal(a[4], b[4], check_exact=True)


@given(tables(), freqs, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(tx: pd.DataFrame, freq: str, random: Any) -> None:
    order = list(range(len(tx)))
    random.shuffle(order)
    assert_identical(all_results(tx, freq), all_results(tx.iloc[order], freq))


@given(tables(), st.permutations(range(21)), st.sampled_from(["int", "str", "int64", "uint64"]))
def test_renaming_customers_does_not_matter(tx: pd.DataFrame, perm: list[int], kind: str) -> None:
    # A bijection of the ids that also scrambles their order.
    codes = np.array(perm, dtype=np.int64)[tx["customer_id"].to_numpy()]
    renamed: Any
    if kind == "int":
        renamed = codes * 7 + 1000
    elif kind == "str":
        renamed = pd.array([f"customer-{c}" for c in codes], dtype="str")
    elif kind == "int64":
        renamed = (2**63 - 1) - codes  # the largest int64 values
    else:
        renamed = np.uint64(2**63) + codes.astype(np.uint64)  # just above the int64 range
    other = tx.assign(customer_id=renamed)
    assert_identical(all_results(tx), all_results(other))


@given(tables(), st.integers(-6, 6))
def test_average_order_value_scales_with_the_amounts(tx: pd.DataFrame, power: int) -> None:
    # Scaling by a power of two is exact in floating point. The total is exact either way, but amounts in
    # whole cents are read as decimals and scaled ones may not be whole cents: compare each with its own
    # exact total rather than with each other.
    factor = 2.0**power
    scaled = tx.assign(amount=tx["amount"] * factor)
    aov = rt.average_order_value(tx)
    kept, returned = purchases_and_returns(tx, None)
    if np.isnan(aov):
        assert np.isnan(rt.average_order_value(scaled))
    else:
        net = pd.concat([kept["amount"], returned["amount"]])
        assert aov == exact_total(net) / len(kept)
        assert rt.average_order_value(scaled) == exact_total(net * factor) / len(kept)
        assert rt.average_order_value(scaled) == pytest.approx(aov * factor, rel=2**-50)


def purchases_and_returns(
    tx: pd.DataFrame, end: pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The purchases up to the observation end, and the returns of their customers up to it."""
    bought = tx[tx["amount"] >= 0]
    if end is None:
        end = bought["date"].max().normalize() if len(bought) else pd.Timestamp.min
    kept = bought[bought["date"].dt.normalize() <= end]
    returned = tx[(tx["amount"] < 0) & (tx["date"].dt.normalize() <= end)]
    return kept, returned[returned["customer_id"].isin(kept["customer_id"])]


@given(tables(), ends)
def test_scalar_metrics_match_their_definitions(tx: pd.DataFrame, end: pd.Timestamp | None) -> None:
    kept, returned = purchases_and_returns(tx, end)
    days = kept.assign(day=kept["date"].dt.normalize()).groupby("customer_id")["day"]
    distinct_days = days.nunique()
    repeat = rt.repeat_purchase_rate(tx, observation_end=end)
    frequency = rt.purchase_frequency(tx, observation_end=end)
    aov = rt.average_order_value(tx, observation_end=end)
    summary = rt.time_to_second_purchase(tx, observation_end=end)
    if len(kept) == 0:
        assert np.isnan([repeat, frequency, aov]).all()
        assert summary["customers"] == 0
        assert np.isnan(summary["share_returned"])
        return
    assert repeat == (distinct_days >= 2).sum() / len(distinct_days)
    assert frequency == len(kept) / kept["customer_id"].nunique()
    assert aov == exact_total(pd.concat([kept["amount"], returned["amount"]])) / len(kept)
    assert 0 <= repeat <= 1
    assert 0 <= summary["share_returned"] <= 1
    assert summary["share_returned"] == repeat
    gaps = []
    for _, purchase_days in days:
        distinct = sorted(set(purchase_days))
        if len(distinct) >= 2:
            gaps.append((distinct[1] - distinct[0]).days)
    assert summary["customers"] == len(distinct_days)
    assert summary["returned"] == len(gaps)
    if gaps:
        assert all(g >= 1 for g in gaps)
        assert summary["mean_days"] == np.mean(gaps)  # a mean of small integers: exact
        np.testing.assert_array_equal(
            summary[["q25_days", "median_days", "q75_days"]].to_numpy(),
            np.quantile(gaps, [0.25, 0.5, 0.75]),
        )
    else:
        assert summary[["mean_days", "q25_days", "median_days", "q75_days"]].isna().all()


def test_dates_as_strings_and_python_dates() -> None:
    tx = docs_example()
    as_text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    as_dates = tx.assign(date=[d.date() for d in tx["date"]])
    expected = rt.period_retention(tx, observation_end=dt.date(2024, 3, 31))
    for other in (as_text, as_dates):
        assert_table(rt.period_retention(other, observation_end="2024-03-31"), expected)
