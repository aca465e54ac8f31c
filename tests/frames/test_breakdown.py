"""Breakdowns (by=): the customers' groups, the labels of per-customer results, the one-pass KPIs.

The groups are checked against pandas (sort by time and label, take the first purchase); the labels against
pandas' own MultiIndex.from_arrays; the one-pass KPIs against the per-group computation they replace.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import retention as rt
from retention.errors import RetentionWarning
from retention.frames import kpis as kpis_module
from retention.frames.breakdown import (
    _stack,
    breakdown,
    by_group,
    customer_index,
    group_ranges,
)
from retention.frames.schema import Transactions, _group_first, read_transactions

CHANNELS = ["web", "app", "shop", None]


def group_of(t: Transactions) -> dict[Any, Any]:
    assert t.groups is not None
    labels = t.groups.labels
    return {c: labels[g] for c, g in zip(t.customer_ids, t.groups.codes, strict=True)}


def expected_groups(
    tx: pd.DataFrame, *, order_id: str | None, end: str | None, returns: str
) -> dict[Any, Any]:
    """Each customer's channel on the first purchase, by pandas: the DESIGN's rule written out."""
    rows = tx[tx["amount"] >= 0] if returns == "drop" else tx
    rows = rows.assign(day=rows["date"].dt.normalize())
    keys = ["customer_id", order_id] if order_id else None
    if keys:
        orders = rows.groupby(keys)
        net, day = orders["amount"].transform("sum"), orders["day"].transform("min")
    else:
        net, day = rows["amount"], rows["day"]
    bought = net >= 0
    last = pd.Timestamp(end) if end is not None else day[bought].max()
    purchases = rows[bought & (day <= last)]
    # Earliest exact time first; at the same time the first label in sorted order, a missing one last.
    ordered = purchases.sort_values(["customer_id", "date", "channel"], na_position="last")
    first = ordered.groupby("customer_id").head(1)
    return dict(zip(first["customer_id"], first["channel"], strict=True))


def same_groups(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert got.keys() == expected.keys()
    for customer, label in expected.items():
        assert (pd.isna(label) and pd.isna(got[customer])) or got[customer] == label, customer


row = st.tuples(
    st.integers(1, 6),  # customer
    st.integers(0, 9),  # day
    st.integers(0, 2),  # hour: rows of one customer often share their exact time
    st.sampled_from([-5.0, -2.5, 0.0, 3.0, 7.5]),
    st.sampled_from(CHANNELS),
    st.integers(1, 3),  # order id
)


def log_of(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The table of rows drawn from ``row``, with their exact times in ``date``."""
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "hour", "amount", "channel", "order_id"])
    tx["date"] = (
        pd.Timestamp("2024-01-01")
        + pd.to_timedelta(tx["day"], unit="D")
        + pd.to_timedelta(tx["hour"], unit="h")
    )
    return tx


@given(
    st.lists(row, min_size=1, max_size=25),
    st.sampled_from([None, "order_id"]),
    st.sampled_from([None, "2024-01-04"]),
    st.sampled_from(["net", "drop"]),
)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_group_is_the_channel_of_the_first_purchase(
    rows: list[tuple[Any, ...]], order_id: str | None, end: str | None, returns: str
) -> None:
    tx = log_of(rows)
    expected = expected_groups(tx, order_id=order_id, end=end, returns=returns)
    t = read_transactions(
        tx,
        amount="amount",
        order_id=order_id,
        observation_end=end,
        returns=returns,
        by="channel",
        func="test",
    )
    same_groups(group_of(t), expected)


def test_returns_never_set_the_group() -> None:
    # 1 returned goods through the app before buying on the web; 2 bought on the web and returned through
    # the app at the same moment; 3 returned only (not a customer).
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 10:00",
                    "2024-01-02 09:00",
                    "2024-01-02 09:00",
                    "2024-01-01 00:00",
                ]
            ),
            "amount": [-5.0, 10.0, 4.0, -4.0, -1.0],
            "channel": ["app", "web", "web", "app", "app"],
        }
    )
    for returns in ("net", "drop"):
        t = read_transactions(tx, amount="amount", returns=returns, by="channel", func="test")
        assert group_of(t) == {1: "web", 2: "web"}
        assert t.groups is not None
        assert list(t.groups.labels) == ["web"]  # no customer is in "app"


def test_rows_after_the_observation_end_never_set_the_group() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2024-01-05", "2024-01-02", "2024-01-09"]),
            "channel": ["app", "web", "shop"],
        }
    )
    t = read_transactions(tx, observation_end="2024-01-03", by="channel", func="test")
    assert group_of(t) == {1: "web"}


# First days that move log_of's rows (ten days from 2024-01-01) by whole days: out of the range of
# nanosecond timestamps (1677-09-22 to 2262-04-11), and across either end of it.
MOVED_STARTS = ["2024-01-01", "1600-03-01", "2300-01-01", "2262-04-05", "1677-09-15"]


def without_dates(result: Any) -> tuple[pd.Index, np.ndarray[Any, Any]]:
    """The labels of a result but its dates (the "period" level), and its numbers."""
    index = result.index
    if "period" in index.names:
        index = index.droplevel("period")
    return index, np.asarray(result, dtype=float)


BY_RESULTS = {
    "repeat_purchase_rate": lambda tx, by: rt.repeat_purchase_rate(tx, by=by),
    "period_retention": lambda tx, by: rt.period_retention(tx, freq="D", by=by),
    "survival_curve": lambda tx, by: rt.survival_curve(tx, inactive_after="3D", by=by),
    "time_to_second_purchase": lambda tx, by: rt.time_to_second_purchase(tx, by=by),
}


@given(
    st.lists(row, min_size=1, max_size=25),
    st.sampled_from(MOVED_STARTS),
    st.sampled_from(["s", "ms", "us"]),
    st.sampled_from(["channel", ["channel", "hour"]]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_moving_every_date_by_whole_days_changes_no_breakdown(
    rows: list[tuple[Any, ...]], start: str, unit: str, by: Any
) -> None:
    # The group is the value on the first purchase, found by exact time: a time past 2262 (or before 1677)
    # must not wrap around to another one as nanoseconds do.
    tx = log_of(rows)
    moved = tx.assign(
        date=tx["date"].astype(f"datetime64[{unit}]")
        + (pd.Timestamp(start) - pd.Timestamp("2024-01-01"))
    )
    assert (moved["date"] - tx["date"]).dt.total_seconds().mod(86_400).eq(0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        for name, function in BY_RESULTS.items():
            got, expected = without_dates(function(moved, by)), without_dates(function(tx, by))
            pd.testing.assert_index_equal(got[0], expected[0], obj=name)
            np.testing.assert_array_equal(got[1], expected[1], err_msg=name)


def sample() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame(
        {
            "customer_id": rng.integers(1, 60, n),
            "date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
            + pd.to_timedelta(rng.integers(0, 24, n), unit="h"),
            "amount": rng.choice([-3.0, 1.25, 10.0, 99.99], n),
            "channel": rng.choice(["web", "app", "shop", None], n),
            "region": rng.choice([1, 2], n),
        }
    )


@pytest.mark.parametrize("by", ["channel", ["channel", "region"], "region"])
def test_customer_index_is_the_stacked_index(by: Any) -> None:
    t = read_transactions(sample(), amount="amount", by=by, func="test")
    assert t.groups is not None
    parts = t.split()
    # What by_group makes of per-customer results: pandas' from_arrays over the stacked labels and ids.
    stacked = _stack(
        [pd.Series(0, index=part.customer_ids) for _, part in parts], t.groups.labels, None
    ).index
    got = customer_index(t)
    pd.testing.assert_index_equal(got, stacked, exact=True)
    for ours, theirs in zip(got.levels, stacked.levels, strict=True):
        pd.testing.assert_index_equal(ours, theirs, exact=True)
    assert [hi - lo for lo, hi in group_ranges(t)] == [part.n_customers for _, part in parts]


def test_per_customer_results_are_labelled_from_codes() -> None:
    t = read_transactions(sample(), amount="amount", by="channel", func="test")
    assert t.groups is not None

    def compute(part: Transactions) -> pd.DataFrame:
        frame = pd.DataFrame({"n": np.arange(part.n_customers)}, index=part.customer_ids)
        frame.attrs["note"] = "kept"
        return frame

    got = breakdown(t, compute, name="test")
    expected = by_group([compute(part) for _, part in t.split()], t.groups.labels, name="test")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == {"note": "kept"}


@pytest.mark.parametrize("first", ["revenue", "n_rows"])
def test_parts_count_their_own_purchases_and_revenue(first: str) -> None:
    tx = sample()
    t = read_transactions(tx, amount="amount", by="channel", func="test")
    parts = t.split()
    if first == "revenue":  # the purchases' groups are made first, then counted
        revenues = [part.revenue() for _, part in parts]
        sizes = [part.n_rows for _, part in parts]
    else:
        sizes = [part.n_rows for _, part in parts]
        revenues = [part.revenue() for _, part in parts]
    for (_, part), size, revenue in zip(parts, sizes, revenues, strict=True):
        alone = read_transactions(
            tx[tx["customer_id"].isin(part.customer_ids)], amount="amount", func="test"
        )
        assert size == alone.n_rows
        assert revenue == alone.revenue()  # exact sums: to the last bit


def per_group_kpis(t: Transactions, freq: str) -> pd.Series:
    return breakdown(t, lambda part: kpis_module._kpis_of(part, freq), name="kpis")


@pytest.mark.parametrize("freq", ["D", "W", "M", "Q", "Y"])
@pytest.mark.parametrize("end", [None, "2023-06-15", "2024-05-20"])
def test_kpis_in_one_pass_equal_the_kpis_of_each_part(
    freq: str, end: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = sample()
    # A group of customers who all came in the last, incomplete, period: its period KPIs are NaN.
    first = tx.groupby("customer_id")["date"].transform("min")
    cut = pd.Timestamp(end) if end is not None else tx["date"].max()
    tx["cohort"] = np.where(first >= cut - pd.Timedelta(days=3), "late", "early")
    for by in ("channel", ["channel", "region"], "cohort"):
        for table in (tx, tx.drop(columns="amount")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RetentionWarning)
                got = rt.kpis(table, by=by, freq=freq, observation_end=end)
                with monkeypatch.context() as m:
                    m.setattr(kpis_module, "_kpis_by_group", per_group_kpis)
                    expected = rt.kpis(table, by=by, freq=freq, observation_end=end)
            pd.testing.assert_series_equal(got, expected, check_exact=True)
            assert got.attrs == expected.attrs


@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=40),
    st.sampled_from([40, 10_000, 700_000_000, 2**40, -5]),
)
def test_smallest_value_per_key_in_any_width(keys: list[int], scale: int) -> None:
    # Values narrow enough for one byte, two, four, and values that need all eight (or are negative).
    key = np.array(keys, dtype=np.int64)
    values = (np.arange(len(keys), dtype=np.int64) * 5 % 7) * scale  # up to 6 * scale
    present = np.unique(key)
    got = _group_first(key, values, 5)[present]
    expected = pd.Series(values).groupby(key).min().to_numpy()
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64
