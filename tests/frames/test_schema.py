"""Tests of the one place where transaction tables are checked and reduced."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import re
import warnings
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention
import retention as rt
from retention.core import parallel
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionError,
    RetentionWarning,
)
from retention.frames import schema
from retention.frames.schema import (
    FREQS,
    _text_codes,
    check_freq,
    day_period_codes,
    last_complete_period,
    parse_duration,
    period_codes,
    period_index,
    read_date,
    read_days,
    read_transactions,
    to_day,
)


def tx_of(
    ids: list[object], dates: list[object], amounts: list[object] | None = None
) -> pd.DataFrame:
    data: dict[str, object] = {"customer_id": ids, "date": dates}
    if amounts is not None:
        data["amount"] = amounts
    return pd.DataFrame(data)


def read(tx: pd.DataFrame, **kwargs: object):  # type: ignore[no-untyped-def]
    return read_transactions(tx, func="test", **kwargs)  # type: ignore[arg-type]


# --- periods -----------------------------------------------------------------------------------------------


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2260, 12, 31)),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(FREQS),
)
def test_period_codes_are_pandas_ordinals(dates: list[dt.datetime], freq: str) -> None:
    values = pd.DatetimeIndex(dates).as_unit("ns")
    pandas_freq = "W-SUN" if freq == "W" else freq
    expected = values.to_period(pandas_freq).asi8
    np.testing.assert_array_equal(period_codes(values.to_numpy(), freq), expected)
    np.testing.assert_array_equal(period_index(expected, freq), values.to_period(pandas_freq))


def test_weeks_run_monday_to_sunday() -> None:
    d = np.array(["2024-01-07", "2024-01-08"], dtype="datetime64[ns]")  # a Sunday, then a Monday
    labels = period_index(period_codes(d, "W"), "W")
    assert [str(p) for p in labels] == ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14"]


@pytest.mark.parametrize(
    ("end", "freq", "expected"),
    [
        ("2024-03-31", "M", "2024-03"),
        ("2024-03-30", "M", "2024-02"),
        ("2024-12-31", "Q", "2024Q4"),
        ("2024-12-30", "Q", "2024Q3"),
        ("2024-12-31", "Y", "2024"),
        ("2024-06-30", "Y", "2023"),
        ("2024-01-07", "W", "2024-01-01/2024-01-07"),  # a Sunday closes its week
        ("2024-01-06", "W", "2023-12-25/2023-12-31"),
        ("2024-01-06", "D", "2024-01-06"),
    ],
)
def test_last_complete_period(end: str, freq: str, expected: str) -> None:
    day = int(to_day(np.array([end], dtype="datetime64[D]"))[0])
    assert str(period_index(np.array([last_complete_period(day, freq)]), freq)[0]) == expected


def test_check_freq_aliases_and_errors() -> None:
    aliases = ("d", "W-SUN", "ME", "MS", "QE", "YE", "A")
    assert [check_freq(f, "f") for f in aliases] == ["D", "W", "M", "M", "Q", "Y", "Y"]
    with pytest.raises(InvalidParameterError, match=r"'freq' parameter of cohort_table .* Got 'X'"):
        check_freq("X", "cohort_table")
    with pytest.raises(InvalidParameterError):
        check_freq(3, "f")


@pytest.mark.parametrize(
    ("value", "days"),
    [("90D", 90), ("12W", 84), (30, 30), (pd.Timedelta(days=2), 2), (dt.timedelta(days=7), 7)],
)
def test_parse_duration(value: object, days: int) -> None:
    assert parse_duration(value, "inactive_after", "f") == days


@pytest.mark.parametrize("value", ["0D", "-3D", "12h", "abc", 1.5, True, None, 0])
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="inactive_after"):
        parse_duration(value, "inactive_after", "f")


# --- reading tables ----------------------------------------------------------------------------------------


def test_reduces_to_sorted_codes() -> None:
    tx = tx_of(
        ["b", "a", "b", "c"],
        ["2024-01-03", "2024-01-01", "2024-02-10", "2024-01-05"],
        [5, 10, 7.5, -2],
    )
    t = read(tx, amount="amount")
    # c only returned goods: a return is never a purchase, so c is no customer
    assert list(t.customer_ids) == ["a", "b"]
    assert t.customer_ids.name == "customer_id"
    np.testing.assert_array_equal(t.customer, [1, 0, 1])
    np.testing.assert_array_equal(t.amount, [5.0, 10.0, 7.5])
    assert len(t.return_customer) == 0
    assert t.observation_end == pd.Timestamp("2024-02-10")
    assert t.n_customers == 2
    assert t.n_rows == 3


def test_input_is_not_modified() -> None:
    tx = tx_of([2, 1], ["2024-01-02", "2024-01-01"], [1, 2])
    before = tx.copy(deep=True)
    read(tx, amount="amount", observation_end="2024-01-01")
    pd.testing.assert_frame_equal(tx, before)


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-01-01", "2024-01-02T10:30:00"],
        [dt.date(2024, 1, 1), dt.date(2024, 1, 2)],
        [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, 10, 30)],
        pd.to_datetime(["2024-01-01", "2024-01-02 10:30"], format="ISO8601"),
        np.array(["2024-01-01", "2024-01-02T10:30"], dtype="datetime64[s]"),
    ],
)
def test_accepted_date_types(dates: object) -> None:
    t = read(pd.DataFrame({"customer_id": [1, 2], "date": dates}))
    np.testing.assert_array_equal(t.days, [19723, 19724])


@pytest.mark.parametrize(
    "arrow_type", ["timestamp[ns][pyarrow]", "timestamp[s][pyarrow]", "date32[pyarrow]"]
)
def test_pyarrow_dates_are_read(arrow_type: str) -> None:
    # What parquet files and pandas 3's pyarrow-backed frames give: not "mixed timezones".
    pytest.importorskip("pyarrow")
    dates = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"])).astype(arrow_type)
    t = read(pd.DataFrame({"customer_id": [1, 2], "date": dates}))
    np.testing.assert_array_equal(t.days, [19723, 19724])


@pytest.mark.parametrize("arrow_type", ["timestamp[s][pyarrow]", "date32[pyarrow]"])
def test_pyarrow_dates_outside_the_nanosecond_range_are_read(arrow_type: str) -> None:
    pytest.importorskip("pyarrow")
    dates = pd.Series(["1600-03-01", "2300-03-01"]).astype("datetime64[s]")
    t = read(pd.DataFrame({"customer_id": [1, 2], "date": dates.astype(arrow_type)}))
    np.testing.assert_array_equal(t.days, to_day(dates.to_numpy()))


def test_pyarrow_timestamps_with_a_timezone_are_local_wall_clock() -> None:
    pa = pytest.importorskip("pyarrow")
    utc = pd.Series(pd.to_datetime(["2024-01-31T23:30:00Z"], utc=True))
    berlin = utc.dt.tz_convert("Europe/Berlin").astype(
        pd.ArrowDtype(pa.timestamp("ns", tz="Europe/Berlin"))
    )
    t = read(pd.DataFrame({"customer_id": [1], "date": berlin}))
    assert t.days.tolist() == [19754]  # 1 February in Berlin


def test_timezone_is_local_wall_clock() -> None:
    utc = pd.to_datetime(["2024-01-31T23:30:00Z", "2024-02-01T00:30:00Z"], utc=True)
    berlin = utc.tz_convert("Europe/Berlin")  # 00:30 and 01:30 on 1 February in Berlin
    t_utc = read(pd.DataFrame({"customer_id": [1, 1], "date": utc}))
    t_berlin = read(pd.DataFrame({"customer_id": [1, 1], "date": berlin}))
    assert [str(p) for p in period_index(t_utc.periods("M"), "M")] == ["2024-01", "2024-02"]
    assert [str(p) for p in period_index(t_berlin.periods("M"), "M")] == ["2024-02", "2024-02"]


def test_text_times_with_offsets_that_differ_are_read_as_written() -> None:
    # A shop's export across the change to summer time: +01:00 in winter, +02:00 in summer (Berlin).
    # Each time is read in the wall-clock time written, as a column of one timezone is.
    local = ["2024-03-30T23:30:00", "2024-03-31 23:30", "2024-10-31T00:15:00.5"]
    want_days, want_times = read_days(pd.Series(local), "date", "test", keep_time=True)
    assert want_days.tolist() == [19812, 19813, 20027]
    assert want_times is not None
    offsets = (["+01:00", " +0200", "+01:00"], ["Z", "-05:00", "-0330"])
    for ends in offsets:
        written = pd.Series([time + end for time, end in zip(local, ends, strict=True)])
        for dates in (written, written.astype("category")):
            days, times = read_days(dates, "date", "test", keep_time=True)
            assert days.tolist() == want_days.tolist()
            assert times is not None
            assert times.tolist() == want_times.tolist()
    written = [time + end for time, end in zip(local, offsets[0], strict=True)]
    t = read(pd.DataFrame({"customer_id": [1, 1, 2], "date": written}))
    assert [str(p) for p in period_index(t.periods("M"), "M")] == ["2024-03", "2024-03", "2024-10"]


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-01-01T00:00+01:00", "2024-01-02"],
        ["2024-01-01T00:00+01:00", "2024-01-02T10:00"],
        [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02", tz="Asia/Tokyo")],
    ],
)
def test_mixed_timezones_are_refused(dates: list[object]) -> None:
    with pytest.raises(InvalidValueError, match="timezone"):
        read(pd.DataFrame({"customer_id": [1, 2], "date": dates}))


@pytest.mark.parametrize(
    ("dates", "match"),
    [
        (["2024-01-01", "not a date"], "not dates"),
        (["2024-01-01", None], "missing dates"),
        (pd.to_datetime(["2024-01-01", None]), "missing dates"),
        ([1.0, 2.0], "numbers"),
        (
            pd.period_range("2024-01", periods=2, freq="M"),
            r"periods \(period\[M\]\).*dt\.to_timestamp",
        ),
    ],
)
def test_bad_dates(dates: object, match: str) -> None:
    with pytest.raises(RetentionError, match=match) as info:
        read(pd.DataFrame({"customer_id": [1, 2], "date": dates}))
    assert "'date'" in str(info.value)


@pytest.mark.parametrize(
    ("amounts", "error", "match"),
    [
        (["1", "2"], ColumnTypeError, "must hold numbers"),
        ([1.0, np.inf], InvalidValueError, "infinite"),
        ([1.0, np.nan], InvalidValueError, "missing amounts"),
        (pd.array([1, None], dtype="Int64"), InvalidValueError, "missing amounts"),
        ([True, False], ColumnTypeError, "must hold numbers"),
    ],
)
def test_bad_amounts(amounts: object, error: type[Exception], match: str) -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01"] * 2, "amount": amounts})
    with pytest.raises(error, match=match):
        read(tx, amount="amount")


def test_missing_column_lists_what_exists() -> None:
    tx = pd.DataFrame({"customer": [1], "date": ["2024-01-01"]})
    with pytest.raises(ColumnNotFoundError, match=r"'customer', 'date'.*did you mean 'customer'"):
        read(tx)
    no_amount = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})
    assert read(no_amount, amount="amount").amount is None  # the default name, absent: ignored
    with pytest.raises(ColumnNotFoundError, match="amount"):
        read(no_amount, amount="amount", amount_required=True)
    with pytest.raises(ColumnNotFoundError, match="total"):
        read(no_amount, amount="total")


def test_not_a_frame() -> None:
    with pytest.raises(ColumnTypeError, match="expects a pandas DataFrame"):
        read([("a", "2024-01-01")])  # type: ignore[arg-type]


def test_missing_ids() -> None:
    with pytest.raises(InvalidValueError, match="missing ids"):
        read(tx_of([1, None], ["2024-01-01"] * 2))


@pytest.mark.parametrize(
    "ids",
    [
        [2**63 - 1, 2**63 - 2],
        np.array([2**64 - 1, 7], dtype=np.uint64),
        [2**70, 5],
        pd.Categorical(["y", "x"], categories=["z", "x", "y"]),
        ["b", "a"],
        [dt.date(2024, 1, 1), dt.date(2023, 1, 1)],
    ],
)
def test_id_types(ids: object) -> None:
    t = read(tx_of(ids, ["2024-01-01", "2024-01-02"]))  # type: ignore[arg-type]
    assert t.n_customers == 2
    assert sorted(t.customer_ids.tolist()) == t.customer_ids.tolist() or isinstance(
        t.customer_ids, pd.CategoricalIndex
    )


@given(
    st.sampled_from(["int8", "int32", "int64", "uint16", "uint64"]).flatmap(
        lambda dtype: st.tuples(
            st.just(dtype),
            st.lists(
                st.integers(int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)),
                min_size=1,
                max_size=20,
            ),
            st.integers(0, 3),
        )
    )
)
def test_integer_ids_are_coded_like_factorize(case: tuple[str, list[int], int]) -> None:
    dtype, values, spread = case
    info = np.iinfo(dtype)
    # Narrow ranges take the bitmap path, wide ones pd.factorize; both must give factorize's answer.
    ids = np.array([min(max(v >> (8 * spread), info.min), info.max) for v in values], dtype=dtype)
    t = read(tx_of(ids, ["2024-01-01"] * len(ids)))  # type: ignore[arg-type]
    codes, uniques = pd.factorize(pd.Series(ids), sort=True)
    np.testing.assert_array_equal(t.customer, codes)
    np.testing.assert_array_equal(t.customer_ids.to_numpy(), np.asarray(uniques))
    assert t.customer_ids.dtype == np.dtype(dtype)


def test_reduced_arrays_are_read_only() -> None:
    t = read(tx_of([1, 2], ["2024-01-01", "2024-01-02"], [1.0, 2.0]), amount="amount")
    for array in (t.customer, t.day, t.amount):
        assert array is not None
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_day_period_codes_match_period_codes() -> None:
    days = np.array([18000, 19999, 18000, 20500, 19723], dtype=np.int64)
    for freq in FREQS:
        np.testing.assert_array_equal(
            day_period_codes(days, freq), period_codes(days.astype("datetime64[D]"), freq)
        )
    assert len(day_period_codes(np.empty(0, dtype=np.int64), "M")) == 0


def test_categorical_ids_drop_unused_categories() -> None:
    t = read(tx_of(pd.Categorical(["y", "x"], categories=["z", "x", "y"]), ["2024-01-01"] * 2))  # type: ignore[arg-type]
    assert list(t.customer_ids.categories) == ["x", "y"]


def test_observation_end_drops_later_rows_and_customers() -> None:
    tx = tx_of([3, 1, 2], ["2024-01-10 18:00", "2024-01-01", "2024-01-11"])
    t = read(tx, observation_end="2024-01-10")  # inclusive: the whole of 10 January counts
    assert list(t.customer_ids) == [1, 3]
    np.testing.assert_array_equal(t.customer, [1, 0])
    assert t.observation_end == pd.Timestamp("2024-01-10")
    with pytest.raises(InvalidParameterError, match="observation_end"):
        read(tx, observation_end="someday")
    with pytest.raises(InvalidParameterError, match="observation_end"):
        read(tx, observation_end=pd.NaT)


def test_empty_table() -> None:
    t = read(pd.DataFrame({"customer_id": [], "date": [], "amount": []}), amount="amount")
    assert t.n_rows == 0
    assert t.n_customers == 0
    assert t.end_day is None
    assert t.amount is not None
    assert len(t.amount) == 0


def test_duplicated_and_unsorted_rows_are_kept() -> None:
    tx = tx_of([1, 1, 1], ["2024-01-02", "2024-01-01", "2024-01-02"], [5, 5, 5])
    t = read(tx, amount="amount")
    assert t.n_rows == 3


def test_duplicate_column_names() -> None:
    tx = pd.DataFrame([[1, "2024-01-01", "2024-01-01"]], columns=["customer_id", "date", "date"])
    with pytest.raises(InvalidValueError, match="more than once"):
        read(tx)


# --- orders, returns and groups ------------------------------------------------------------------------


def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "a"],
            "order_id": [7, 7, 8, 7, 9, 10, 11],  # order 7 of a and order 7 of b are two orders
            "date": pd.to_datetime(
                [
                    "2024-01-02 10:00",
                    "2024-01-01 09:00",
                    "2024-01-03",
                    "2024-01-05",
                    "2024-01-06",
                    "2024-01-04",
                    "2024-01-06",
                ],
                format="ISO8601",
            ),
            "amount": [10.0, 5.0, -4.0, 3.0, -8.0, -1.0, 0.0],
            "channel": ["web", "shop", "web", "app", "web", "web", "shop"],
        }
    )


def test_orders_are_customer_and_order_id() -> None:
    t = read(lines(), amount="amount", order_id="order_id")
    assert list(t.customer_ids) == ["a", "b"]  # c only returned goods
    got = sorted(zip(t.customer.tolist(), t.day.tolist(), t.amount.tolist(), strict=True))
    # a/7: two lines, 15, dated by its earliest line; a/11: zero amount, a purchase; b/7: 3.
    assert got == [(0, 19723, 15.0), (0, 19728, 0.0), (1, 19727, 3.0)]
    returned = sorted(zip(t.return_customer.tolist(), t.return_amount.tolist(), strict=True))
    assert returned == [(0, -4.0), (1, -8.0)]
    assert t.end_day == 19728  # the last purchase day


def test_returns_drop_ignores_negative_rows() -> None:
    t = read(lines(), amount="amount", order_id="order_id", returns="drop")
    assert len(t.return_customer) == 0
    assert sorted(t.amount.tolist()) == [0.0, 3.0, 15.0]
    with pytest.raises(InvalidParameterError, match="'returns' parameter of test"):
        read(lines(), returns="ignore")


def test_an_order_netting_below_zero_is_a_return() -> None:
    tx = lines().assign(amount=[10.0, -12.0, 1.0, 3.0, 8.0, 1.0, 2.0])
    t = read(tx, amount="amount", order_id="order_id")
    np.testing.assert_array_equal(t.return_amount, [-2.0])
    assert 19723 not in t.day.tolist()  # a's order 7 is no purchase, so a's first day is 3 January


def test_order_id_errors() -> None:
    tx = lines().astype({"order_id": object})
    tx.loc[2, "order_id"] = None
    with pytest.raises(InvalidValueError, match=r"order_id column\) of test has missing order ids"):
        read(tx, order_id="order_id")
    with pytest.raises(ColumnNotFoundError, match="invoice"):
        read(tx, order_id="invoice")


def test_group_is_the_value_on_the_first_purchase() -> None:
    t = read(lines(), amount="amount", order_id="order_id", by="channel")
    assert t.groups is not None
    # a's first purchase is order 7 on 1 January (shop); b's is order 7 (app). Customers are coded by
    # group, then id, so that each group's customers are one range of codes.
    group_of = dict(zip(t.customer_ids, (t.groups.labels[g] for g in t.groups.codes), strict=True))
    assert group_of == {"a": "shop", "b": "app"}
    assert list(t.customer_ids) == ["b", "a"]
    assert t.groups.labels.name == "channel"
    parts = dict(t.split())
    assert list(parts["shop"].customer_ids) == ["a"]
    assert list(parts["app"].customer_ids) == ["b"]
    np.testing.assert_array_equal(parts["app"].return_amount, [-8.0])


def test_group_ties_go_to_the_first_label() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1], "date": ["2024-01-01", "2024-01-01"], "channel": ["web", "app"]}
    )
    for order in ([0, 1], [1, 0]):
        t = read(tx.iloc[order], by="channel")
        assert t.groups is not None
        assert t.groups.labels[t.groups.codes[0]] == "app"


def test_groups_from_a_series_and_missing_groups() -> None:
    managers = pd.Series({"a": "ann", "x": "bob"}, name="manager")
    t = read(lines(), amount="amount", by=managers)
    assert t.groups is not None
    assert t.groups.labels.name == "manager"
    group_of = dict(zip(t.customer_ids, (t.groups.labels[g] for g in t.groups.codes), strict=True))
    assert group_of["a"] == "ann"
    assert pd.isna(group_of["b"])  # b has no manager: a group of its own
    with pytest.raises(InvalidValueError, match=r"'by' parameter.*customer .* more than once"):
        read(lines(), by=pd.Series(["x", "y"], index=["a", "a"]))


def seven() -> pd.DataFrame:
    """Customers 1 to 7 (integer ids), one purchase each."""
    return pd.DataFrame(
        {"customer_id": range(1, 8), "date": pd.date_range("2024-01-01", periods=7)}
    )


GROUPS = list("abababa")


@pytest.mark.parametrize(
    ("table", "by", "match"),
    [
        (  # text ids in the Series, integer ids in the table
            seven(),
            pd.Series(GROUPS, index=[str(i) for i in range(1, 8)]),
            r"index has dtype (str|object) \(e.g. '1'\) and the customer ids have dtype int64 \(e.g. 1\)"
            r"\. Make the ids the same type, e.g. by.index = by.index.astype\('int64'\)\.$",
        ),
        (  # integer ids in the Series, text ids in the table
            seven().astype({"customer_id": str}),
            pd.Series(GROUPS, index=range(1, 8)),
            r"index has dtype int64 \(e.g. 1\) and the customer ids have dtype (str|object) \(e.g. '1'\)"
            r"\. Make the ids the same type, e.g. by.index = by.index.astype\(str\)\.$",
        ),
        (  # (customer, something) pairs: the customer level is named
            seven(),
            pd.Series(
                GROUPS,
                index=pd.MultiIndex.from_arrays(
                    [list("xyzxyzx"), range(1, 8)], names=["k", "customer_id"]
                ),
            ),
            r"MultiIndex of 2 levels \(e.g. \('x', 1\)\) and the customer ids have dtype int64 \(e.g. 1\)\. "
            r"Index it by customer id alone, e.g. by.index = by.index.get_level_values\('customer_id'\)\.$",
        ),
        (  # no level holds the customer ids
            seven(),
            pd.Series(GROUPS, index=pd.MultiIndex.from_arrays([list("xyzxyzx"), list("1234567")])),
            r"MultiIndex of 2 levels .*\. Index it by customer id alone\.$",
        ),
        (  # integers too large for int64, as Python ints: the fix names their type
            seven().assign(customer_id=pd.Series([i + 10**30 for i in range(1, 8)], dtype=object)),
            pd.Series(GROUPS, index=[str(i + 10**30) for i in range(1, 8)]),
            r"ids have dtype object \(e.g. 10{29}1\)\. .* by.index = by.index.map\(int\)\.$",
        ),
    ],
)
def test_a_by_series_that_matches_no_customer_is_refused(
    table: pd.DataFrame, by: pd.Series, match: str
) -> None:
    # Read as it is, the Series would put every customer in one group of missing labels.
    opening = (
        r"^The 'by' parameter of repeat_purchase_rate is a Series whose index holds none of the "
        r"customer ids, so every customer would be in one group of missing labels: "
    )
    with pytest.raises(InvalidValueError, match=opening + ".*" + match):
        retention.repeat_purchase_rate(table, by=by)
    # A table without rows has no customers to match: the empty result.
    assert len(retention.repeat_purchase_rate(table.iloc[:0], by=by)) == 0


def test_a_by_series_that_matches_some_customers_is_read() -> None:
    by = pd.Series(["ann", "bob"], index=[2, 9], name="manager")
    t = read(seven(), by=by)
    assert t.groups is not None
    group_of = dict(zip(t.customer_ids, t.groups.labels[t.groups.codes], strict=True))
    assert group_of[2] == "ann"
    assert pd.isna(group_of[1])  # no manager: a group of its own
    # Ids of the table's kind that match none of its customers, and customers whose groups are all
    # missing: one group of missing labels, as a partition of a larger table (a cluster reads each on its
    # own) may rightly have, and as the Series says.
    for series in (
        pd.Series([], dtype=object),  # nobody assigned yet
        pd.Series(["ann"], index=[9]),
        pd.Series(["ann"], index=[9.0]),
        pd.Series([None] * 7, index=range(1, 8), dtype=object),
    ):
        t = read(seven(), by=series)
        assert t.groups is not None
        assert len(t.groups.labels) == 1
        assert pd.isna(t.groups.labels[0])


@pytest.mark.parametrize("end", [20231130, 1.5, True, np.int64(5), np.array(20231130)])
def test_numbers_are_not_observation_ends(end: object) -> None:
    with pytest.raises(InvalidParameterError, match="is a number"):
        read(lines(), observation_end=end)


@pytest.mark.parametrize("end", [20231130, 1.5, np.float64(2.0)])
def test_numbers_are_not_dates_anywhere(end: object) -> None:
    # The one reader of date options refuses numbers, which pandas reads as nanoseconds since 1970.
    with pytest.raises(
        InvalidParameterError, match=r"'start' parameter of contact_plan is a number"
    ):
        read_date(end, "start", "contact_plan")


@pytest.mark.parametrize("word", ["now", "today", " Today "])
def test_the_clock_is_never_a_date_option(word: str) -> None:
    with pytest.raises(InvalidParameterError, match="depend on the clock"):
        read(lines(), observation_end=word)


@pytest.mark.parametrize("cells", [["2024-01-01", "now"], ["today", "2024-01-01"]])
def test_the_clock_is_never_a_date_cell(cells: list[str]) -> None:
    # pandas reads "now" and "today" as the current time, which would stretch the table to today.
    with pytest.raises(InvalidValueError, match=r"not dates: 1 row.*depend on the clock"):
        read(pd.DataFrame({"customer_id": [1, 2], "date": cells}))


def test_a_date_column_like_now_is_still_read() -> None:
    # A real timestamp close to the current time is a date, not the word "now".
    now = pd.Timestamp.now().floor("s")
    t = read(pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", now.isoformat()]}))
    assert t.end_day == (now.normalize() - pd.Timestamp("1970-01-01")).days


def test_line_item_warning() -> None:
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 2], "date": ["2024-01-01 10:00"] * 4})
    with pytest.warns(RetentionWarning, match="order_id="):
        read(tx, warn_line_items=True)
    read(tx, warn_line_items=True, order_id="customer_id")  # no warning with order_id
    read(
        tx.assign(date=["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
        warn_line_items=True,
    )


@pytest.mark.parametrize("lines", [True, False])
def test_line_items_of_a_large_table_are_judged_on_a_sample_of_customers(
    monkeypatch: pytest.MonkeyPatch, lines: bool
) -> None:
    # 600 rows, 40 per customer, judged on the customers whose code is a multiple of 8 (at most about 100
    # rows), picked on three threads in blocks of 16 rows. Line items: every 4 rows share one time.
    monkeypatch.setattr(schema, "_LINE_CHECK_ROWS", 100)
    monkeypatch.setattr(schema, "_ROW_BLOCK", 16)
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    monkeypatch.setenv(parallel.THREADS_VARIABLE, "3")
    rows = np.arange(600)
    minutes = rows // 4 if lines else rows
    tx = pd.DataFrame(
        {
            "customer_id": rows // 40,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, "min"),
        }
    )
    for table in (tx, tx.sample(frac=1.0, random_state=1)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            read(table, warn_line_items=True)
        assert any("order_id=" in str(w.message) for w in caught) is lines


@pytest.mark.parametrize("returns", ["net", "drop"])
def test_a_customer_with_returns_only_is_no_customer(returns: str) -> None:
    # Customer 2 only returned goods: dropped with its rows ("drop"), or kept as a return ("net").
    tx = pd.DataFrame(
        {"customer_id": [1, 2, 1], "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
         "amount": [10.0, -5.0, 7.0]}
    )  # fmt: skip
    t = read(tx, amount="amount", returns=returns)
    assert t.n_customers == 1
    assert list(t.customer_ids) == [1]


def test_a_table_of_returns_only_has_no_customers_in_any_group() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"], "amount": [-5.0, -3.0],
         "channel": ["web", "shop"]}
    )  # fmt: skip
    t = read_transactions(tx, amount="amount", by="channel", func="example")
    assert t.n_customers == 0
    assert t.groups is not None
    assert len(t.groups.labels) == 0


# --- text ids coded from their bytes (schema._text_codes) ------------------------------------------------

# Text as real ids have it and beyond: ASCII, accents, symbols outside the BMP, empty ids, ids of 7 to 9 and
# 15 to 17 bytes (word boundaries), prefixes of one another.
id_text = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
        max_size=20,
    ),
    st.sampled_from(
        ["", "C1", "C10", "C100", "a" * 7, "a" * 8, "a" * 9, "b" * 16, "b" * 17, "é", "😀"]
    ),
)


@given(
    st.lists(id_text, min_size=1, max_size=40), st.sampled_from(["str", "large", "small", "object"])
)
def test_text_codes_equal_sorted_factorize(ids: list[str], kind: str) -> None:
    import pyarrow as pa  # the test extra has it

    dtype: object = {
        "str": "str",
        "large": pd.ArrowDtype(pa.large_string()),
        "small": pd.ArrowDtype(pa.string()),
        "object": object,
    }[kind]
    col = pd.Series(ids + ids[::-1], dtype=dtype).iloc[1:]  # a slice: an Arrow offset not at 0
    result = _text_codes(col)
    assert result is not None
    codes, representative = result
    expected_codes, expected_ids = pd.factorize(col, sort=True)
    np.testing.assert_array_equal(codes, expected_codes)
    assert col.take(representative).tolist() == list(expected_ids)


def bucketed() -> Any:
    """Code keys bucket by bucket however few they are (the path of tables of millions of rows)."""
    return patch.object(schema, "_BUCKETED_CODES_MIN", 0)


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 5), min_size=1, max_size=300),
    st.sampled_from([np.int64, np.uint64]),
)
def test_bucketed_codes_match_keys_one_to_one(keys: list[int], dtype: type) -> None:
    values = np.array([k % 2**64 if dtype is np.uint64 else k for k in keys], dtype=dtype)
    with bucketed():
        codes, uniques = schema._hashed_codes(values)
        sorted_codes, n = schema._key_codes(values, in_order=True)
    # Dense codes, one per distinct key: the keys of a code are that code's key.
    assert sorted(set(codes.tolist())) == list(range(len(uniques)))
    np.testing.assert_array_equal(uniques[codes], values)
    assert len(set(uniques.tolist())) == len(uniques)
    expected, expected_uniques = pd.factorize(values, sort=True)
    np.testing.assert_array_equal(sorted_codes, expected)
    assert n == len(expected_uniques)


def check_text_codes(col: pd.Series, in_order: bool) -> None:
    """Code ``col`` bucket by bucket and check the codes against ``pd.factorize(col, sort=True)``."""
    with bucketed():
        result = _text_codes(col, in_order)
    assert result is not None
    codes, representative = result
    expected_codes, expected_ids = pd.factorize(col, sort=True)
    # Each code stands for one id (the one of its representative row), each id has one code.
    assert col.take(representative[codes]).tolist() == col.tolist()
    assert sorted(col.take(representative).tolist()) == list(expected_ids)
    if in_order:
        np.testing.assert_array_equal(codes, expected_codes.astype(np.int64), strict=True)


@given(st.lists(id_text, min_size=1, max_size=40), st.booleans())
def test_text_codes_without_order_match_the_ids(ids: list[str], in_order: bool) -> None:
    check_text_codes(pd.Series(ids + ids[::-1], dtype="str"), in_order)


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(-3, 3)), min_size=1, max_size=40),
    st.booleans(),
)
def test_repeat_buyers_bought_on_two_distinct_days(
    rows: list[tuple[int, int]], daily: bool
) -> None:
    customers, days = zip(*rows, strict=True)
    tx = tx_of(list(customers), [f"2024-03-{10 + d:02d}" for d in days])
    t = read_transactions(tx, func="f")
    if daily:  # computed from the daily activity when that exists, else from first and last days
        t.activity("D")
    expected = tx.groupby("customer_id")["date"].nunique().to_numpy() >= 2
    np.testing.assert_array_equal(t.repeat_buyers(), expected)


@given(
    st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=60),
    st.sampled_from(["int64", "int32", "uint64"]),
    st.booleans(),
)
def test_ids_spread_wide_are_coded_as_pandas_codes_them(
    values: list[int], dtype: str, in_order: bool
) -> None:
    col = pd.Series(
        np.array([v % 2**31 if dtype == "int32" else abs(v) for v in values], dtype=dtype)
    )
    col.iloc[0] = np.iinfo(np.int32).max  # a span too wide for the bitmap of dense ids
    with bucketed():
        codes, ids = schema._read_customers(col, "customer_id", "f", in_order=in_order)
    assert isinstance(ids, pd.Index)
    assert ids.dtype == col.dtype
    assert ids[codes].tolist() == col.tolist()
    if in_order:
        expected_codes, expected_ids = pd.factorize(col, sort=True)
        np.testing.assert_array_equal(codes, expected_codes)
        assert ids.tolist() == expected_ids.tolist()


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 9)), min_size=1, max_size=30))
def test_order_ids_of_any_kind_give_the_same_orders(rows: list[tuple[int, int]]) -> None:
    customers, orders = zip(*rows, strict=True)
    tx = tx_of(list(customers), ["2024-01-01"] * len(rows), [1.0] * len(rows))
    plain = read_transactions(tx.assign(o=list(orders)), order_id="o", amount="amount", func="f")
    with bucketed():
        for kind in (
            [o * 2**40 for o in orders],  # integers spread wide
            [f"order-{o}" for o in orders],  # text
        ):
            t = read_transactions(tx.assign(o=kind), order_id="o", amount="amount", func="f")

            # The same orders (listed in the order of their codes, which is no particular order).
            def orders(r: Any) -> list[tuple[int, int, float]]:
                return sorted(
                    zip(r.customer.tolist(), r.day.tolist(), r.amount.tolist(), strict=True)
                )

            assert orders(t) == orders(plain)


def test_counting_reads_text_ids_without_sorting_them() -> None:
    tx = tx_of(["b", "a", "c", "b"], ["2024-01-01", "2024-01-02", "2024-01-03", "2024-02-01"])
    t = read_transactions(tx, func="f", customer_order=False)
    assert t.n_customers == 3
    ids = t.customer_ids
    assert sorted(ids.tolist()) == ["a", "b", "c"]
    # codes and ids still match: b bought twice
    assert ids[t.customer].tolist() == ["b", "a", "c", "b"]


def test_text_codes_leave_other_columns_to_pandas() -> None:
    assert _text_codes(pd.Series(["a", 1], dtype=object)) is None  # mixed types
    assert _text_codes(pd.Series(["a", b"a"], dtype=object)) is None  # text and bytes: not one id
    assert _text_codes(pd.Series(["a", 2**70], dtype=object)) is None
    assert _text_codes(pd.Series(["a", None], dtype=object)) is None  # missing
    assert _text_codes(pd.Series(["a", "a\x00"])) is None  # a NUL byte: padding would merge them
    assert _text_codes(pd.Series(["a" * 65, "b"])) is None  # longer than 64 bytes
    # ... and pandas codes them as before
    tx = tx_of(["a", "a\x00", "a" * 65], ["2024-01-01"] * 3)
    t = read_transactions(tx, func="f")
    assert t.customer_ids.tolist() == ["a", "a\x00", "a" * 65]


def _lone_surrogates(values: list[str], index: list[int]) -> pd.Series:
    """Text as bytes decoded with errors="surrogateescape" give it: Python strings, which pandas' own
    text type cannot hold."""
    return pd.Series(values, index=index, dtype=object)


@pytest.mark.parametrize(
    ("function", "role"),
    [
        *[(f, r) for f in ("kpis", "cohort_table") for r in ("customer_id", "by", "order_id")],
        ("rfm_summary", "customer_id"),  # it takes no by=
        ("rfm_summary", "order_id"),
    ],
)
def test_a_lone_surrogate_in_text_is_named_with_its_row_and_the_fix(
    function: str, role: str
) -> None:
    index = [10, 11, 12, 13]
    text = _lone_surrogates(["a", "b", "c", "d"], index)
    tx = pd.DataFrame(
        {
            "customer_id": text,
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-05"]),
            "amount": [1.0, 2.0, 3.0, 4.0],
            "channel": text,
            "order": text,
        },
        index=index,
    )
    column = {"customer_id": "customer_id", "by": "channel", "order_id": "order"}[role]
    tx[column] = _lone_surrogates(["a", "b\udcff", "c", "d\udcfe"], index)
    options = {"by": {"by": "channel"}, "order_id": {"order_id": "order"}}.get(role, {})
    call = getattr(retention, function)
    with pytest.raises(InvalidValueError) as caught:
        call(tx, **options)
    message = str(caught.value)
    assert message.startswith(f"Column {column!r} (the {role} column) of {function} holds ")
    assert (
        "'\\udcff' at position 1 of its value at index 11 ('b\\udcff'), which is no character"
        in message
    )
    assert "errors='surrogateescape'" in message
    # The fix the message gives reads the table, and keeps the two values apart.
    fix = message.partition(", e.g. ")[2].partition(" (which")[0]
    fixed = tx.copy()
    exec(fix, {"tx": fixed})  # the message's own code, on a copy
    assert fixed[column].tolist() == ["a", "b\\udcff", "c", "d\\udcfe"]
    plain = tx.assign(**{column: _lone_surrogates(["a", "bx", "c", "dx"], index)})
    np.testing.assert_array_equal(
        np.asarray(call(fixed, **options), dtype=float),
        np.asarray(call(plain, **options), dtype=float),
    )


def _with_transaction_options() -> list[Any]:
    """Every function the sources decorate with ``@transaction_options``, imported."""
    root = Path(retention.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        module = ".".join(("retention", *parts[: -1 if parts[-1] == "__init__" else None]))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            decorators = getattr(node, "decorator_list", [])
            if any(getattr(d, "id", None) == "transaction_options" for d in decorators):
                found.append(getattr(importlib.import_module(module), node.name))
    return found


# Tables that are more than a transaction table have entries of their own (still one each): rfm_scores
# reads a summary too; p_alive_history reads one customer's purchases and names its errors with its options.
OWN_TABLE_ENTRY = {"rfm_scores", "p_alive_history"}
OWN_READING_ERRORS = {"p_alive_history"}


@pytest.mark.parametrize("function", _with_transaction_options(), ids=lambda f: f.__name__)
def test_one_table_entry_and_one_reading_errors_entry(function: Any) -> None:
    doc = inspect.getdoc(function) or ""
    lines = doc.splitlines()
    params = inspect.signature(function).parameters
    table = next(p for p in ("tx", "transactions", "data") if p in params)
    assert sum(line.startswith(f"{table} : ") for line in lines) == 1
    raises = doc.split("\nRaises\n------\n")[1].split("\n\n")[0].splitlines()
    heads = [line.split(", ") for line in raises if not line.startswith(" ")]
    assert sum("ColumnNotFoundError" in head for head in heads) == 1
    assert [line for line in lines if re.fullmatch(r"\s*<[a-z ]+>\s*", line)] == []
    assert (schema.TABLE_DOC in doc) is (function.__name__ not in OWN_TABLE_ENTRY)
    assert (schema.READING_ERRORS_DOC in doc) is (function.__name__ not in OWN_READING_ERRORS)


def test_transaction_options_refuse_entries_missing_or_twice() -> None:
    def twice(tx: Any, *, customer_id: Any = "customer_id") -> None:
        """Do something.

        Parameters
        ----------
        <transaction table>
        tx : pandas.DataFrame
            The table.
        <transaction options>

        Raises
        ------
        <reading errors>
        """

    def without_errors(tx: Any, *, customer_id: Any = "customer_id") -> None:
        """Do something.

        Parameters
        ----------
        <transaction table>
        <transaction options>
        """

    def without_options(tx: Any) -> None:
        """<transaction table>"""

    def without_tx(transactions: Any) -> None:
        """<transaction table>"""

    for function, message in [
        (twice, "documents its table in 2 entries"),
        (without_errors, "the errors of reading it in 0"),
        (without_options, "has no '<transaction options>' line"),
        (without_tx, "documents a table tx, which it does not take"),
    ]:
        with pytest.raises(AssertionError, match=message):
            schema.transaction_options(function)


def test_amounts_are_read_alike_from_contiguous_and_strided_columns() -> None:
    # A frame made from a 2-D array holds its columns strided (a copy is read); a frame of separate
    # columns holds each one contiguous (read in place, read-only). Same amounts, input untouched.
    grid = np.array([[10.5, 1.0], [3.25, 2.0], [-2.0, 3.0], [7.0, 4.0]])
    strided = pd.DataFrame(grid, columns=["amount", "other"], copy=False)
    strided["customer_id"] = [1, 2, 1, 1]
    strided["date"] = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-05", "2024-02-01"])
    contiguous = pd.DataFrame({c: strided[c].to_numpy().copy() for c in strided.columns})
    assert not strided["amount"].to_numpy().flags.c_contiguous
    assert contiguous["amount"].to_numpy().flags.c_contiguous
    before = strided.copy(), contiguous.copy()
    a, b = read(strided, amount="amount"), read(contiguous, amount="amount")
    np.testing.assert_array_equal(a.amount, b.amount, strict=True)
    np.testing.assert_array_equal(a.return_amount, b.return_amount, strict=True)
    assert not b.amount.flags.writeable or not np.shares_memory(b.amount, contiguous["amount"])
    pd.testing.assert_frame_equal(retention.rfm_summary(strided), retention.rfm_summary(contiguous))
    pd.testing.assert_frame_equal(strided, before[0])
    pd.testing.assert_frame_equal(contiguous, before[1])


def test_multiindex_columns_say_so_and_a_whole_column_is_read() -> None:
    table = seven().assign(amount=1.0)
    stacked = table.set_axis(pd.MultiIndex.from_tuples([(c, "x") for c in table.columns]), axis=1)
    with pytest.raises(
        InvalidValueError,
        match=r"^Column 'customer_id' \(the customer_id column\) is the top level of the table's "
        r"MultiIndex columns, with 1 column\(s\) below it\. Flatten the columns, .* e\.g\. \('customer_id', 'x'\)\.$",
    ):
        retention.kpis(stacked)
    whole = {"customer_id": ("customer_id", "x"), "date": ("date", "x"), "amount": ("amount", "x")}
    pd.testing.assert_series_equal(retention.kpis(stacked, **whole), retention.kpis(table))


def test_a_boolean_date_column_is_not_taken_for_epoch_seconds() -> None:
    with pytest.raises(
        ColumnTypeError, match=r"holds booleans \(bool\), not dates\. Pass the column"
    ):
        retention.kpis(seven().assign(date=True))


@pytest.mark.parametrize("role", ["customer_id", "date", "order_id", "by", "by Series"])
@pytest.mark.parametrize("kind", ["list", "struct"])
def test_lists_and_records_are_refused(role: str, kind: str) -> None:
    # Nested pyarrow columns (as parquet files and JSON exports give them) raised pyarrow's own
    # ArrowNotImplementedError from the coding of ids and groups.
    pa = pytest.importorskip("pyarrow")
    if kind == "list":
        nested = pd.Series([[1], [1], [2]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))
    else:
        records = [{"a": 1}, {"a": 1}, {"a": 2}]
        nested = pd.Series(records, dtype=pd.ArrowDtype(pa.struct([("a", pa.int64())])))
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(["2024-01-05"] * 3)})
    options: dict[str, object] = {}
    if role in ("customer_id", "date"):
        tx[role] = nested
    elif role == "by Series":
        options["by"] = nested.rename("tags")
    else:
        tx["nested"] = nested
        options[role] = "nested"
    with pytest.raises(ColumnTypeError, match=r"holds lists or records .* not one value per row"):
        read(tx, **options)


def test_groups_of_booleans_with_missing_labels_sort_whatever_the_order() -> None:
    # pandas leaves True, None, False unsorted in a column of objects when it codes the missing label too:
    # the groups came in the order of the rows.
    days = pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"])
    flags = pd.Series([True, None, False], dtype=object)
    tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": days, "flag": flags})
    for rows in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        groups = rt.repeat_purchase_rate(tx.iloc[rows], by="flag").index
        assert groups[:2].tolist() == [False, True]
        assert pd.isna(groups[2])
    codes, labels = schema.group_codes([flags], ["flag"], "test")
    assert codes.tolist() == [1, 2, 0]
    assert labels[:2].tolist() == [False, True]


@pytest.mark.parametrize(
    "durations",
    [
        pd.to_timedelta([1, 2], unit="D"),
        pd.Series([dt.timedelta(days=1), dt.timedelta(days=2)], dtype=object),
        # DuckDB INTERVAL
        pd.Series([pd.DateOffset(months=1), pd.DateOffset(days=2)], dtype=object),
        "arrow interval",  # pandas' own type tests raised NotImplementedError on it
    ],
)
def test_durations_are_not_dates(durations: Any) -> None:
    # They were "not dates ... convert with pd.to_datetime" (which refuses them), or, for intervals,
    # "mixes timezones" (pandas' message about offsets).
    if isinstance(durations, str):
        pa = pytest.importorskip("pyarrow")
        interval = pd.ArrowDtype(pa.month_day_nano_interval())
        durations = pd.Series([pa.MonthDayNano([1, 2, 3])] * 2, dtype=interval)
    tx = pd.DataFrame({"customer_id": [1, 2], "date": durations})
    with pytest.raises(
        ColumnTypeError,
        match=r"^Column 'date' \(the date column\) of kpis holds durations .* not dates",
    ):
        rt.kpis(tx)


def test_minus_zero_is_zero_as_an_id_and_as_a_group() -> None:
    # -0.0 == 0.0: one customer, one group; the label kept was the first row's, so row order changed it.
    days = pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"])
    tx = pd.DataFrame({"customer_id": [-0.0, 0.0, 2.0], "date": days, "channel": [0.0, -0.0, 1.0]})
    for rows in ([0, 1, 2], [1, 0, 2]):
        ids = np.asarray(rt.rfm_summary(tx.iloc[rows]).index, dtype=float)
        assert ids.tolist() == [0.0, 2.0]
        assert not np.signbit(ids).any()
        groups = np.asarray(rt.repeat_purchase_rate(tx.iloc[rows], by="channel").index, dtype=float)
        assert groups.tolist() == [0.0, 1.0]
        assert not np.signbit(groups).any()


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        ([True, 1, 2], "(True and 1)"),
        ([0, "a", False], "(0 and False)"),
        ([np.True_, 1.0, "b"], "(True and 1.0)"),
        ([1, 1.0, "a"], "(1 and 1.0)"),  # with text, no float reads them all
    ],
)
def test_equal_labels_written_differently_are_refused(labels: list[object], shown: str) -> None:
    # True == 1: one customer (or group), labelled as the first row's, so row order changed the result.
    days = pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"])
    values = pd.Series(labels, dtype=object)
    tx = pd.DataFrame({"customer_id": values, "date": days, "channel": values})
    with pytest.raises(
        ColumnTypeError,
        match=rf"^Column 'customer_id' .* holds labels that are equal but written differently {re.escape(shown)}.*astype\(str\)",
    ):
        rt.rfm_summary(tx)
    ok = tx.assign(customer_id=["x", "y", "z"])
    with pytest.raises(
        ColumnTypeError,
        match=r"'by' parameter of repeat_purchase_rate: column 'channel' holds labels that are equal but written differently",
    ):
        rt.repeat_purchase_rate(ok, by="channel")
    # Labels of mixed kinds that are not equal stay as they are, missing ones too.
    fine = pd.Series([1, "1", None], dtype=object)
    assert len(rt.rfm_summary(tx.assign(customer_id=fine).dropna())) == 2


def test_whole_numbers_and_decimals_are_one_id_whatever_the_order() -> None:
    # 1 and 1.0 in a column of objects (Excel and JSON exports mix them) are one customer, one group;
    # the label kept was the first row's (an int or a float), so row order changed the result.
    days = pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01"])
    tx = pd.DataFrame({"customer_id": pd.Series([1, 1.0, 2], dtype=object), "date": days})
    for rows in ([0, 1, 2], [1, 0, 2]):
        ids = rt.rfm_summary(tx.iloc[rows]).index
        assert ids.dtype == np.float64
        assert ids.tolist() == [1.0, 2.0]
        labels = pd.Series([2, 2.0, None], dtype=object).iloc[rows]
        _, groups = schema.group_codes([labels], ["channel"], "test")
        assert groups.dtype == np.float64
        assert groups[:1].tolist() == [2.0]
    # A whole number that no float holds exactly would merge with its neighbour: refused.
    far = tx.assign(customer_id=pd.Series([12345678901234567, 1.5, 2], dtype=object))
    with pytest.raises(ColumnTypeError, match=r"12345678901234567 is not a float exactly"):
        rt.rfm_summary(far)
