"""Tests of customer_features (retention.frames.features) and of its reading of event tables."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
)
from tests.exact import exact_total
from tests.frames.customer_tables import (
    complaints,
    order_lines,
    refusals,
    shop,
    transactions,
)


def test_customer_features_by_hand() -> None:
    tx, c, r = shop(), complaints(), refusals()
    saved = [copy.deepcopy(x) for x in (tx, c, r)]
    features = rt.customer_features(tx, observation_end="2024-05-31", complaints=c, refusals=r)
    # dee's first purchase is after the observation end: not a customer yet. zed never bought: left
    # out. ann's complaint of 06-01 and cy's refusal of 06-02 come after the observation end: ignored.
    expected = pd.DataFrame(
        {
            "days_since_last_purchase": [11, 142, 3],
            "tenure_days": [91, 142, 59],
            "orders": [2, 1, 3],
            "revenue": [120.0, 20.0, 45.0],
            "average_order_value": [60.0, 20.0, 15.0],
            "complaints": [1, 0, 2],
            "open_complaints": [1, 0, 1],
            "refused": [False, True, False],
        },
        index=pd.Index(["ann", "bob", "cy"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(features, expected)
    for before, after in zip(saved, (tx, c, r), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_customer_features_observation_end_defaults_to_the_last_purchase() -> None:
    features = rt.customer_features(shop(), complaints=complaints(), refusals=refusals())
    # the last purchase is dee's on 2024-06-05
    assert features.index.tolist() == ["ann", "bob", "cy", "dee"]
    assert features["days_since_last_purchase"].tolist() == [16, 147, 8, 0]
    assert features["tenure_days"].tolist() == [96, 147, 64, 0]
    assert features["complaints"].tolist() == [2, 0, 2, 0]
    assert features["open_complaints"].tolist() == [2, 0, 1, 0]
    assert features["refused"].tolist() == [False, True, True, False]


def test_customer_features_without_optional_tables_or_amounts() -> None:
    features = rt.customer_features(shop(), observation_end="2024-05-31", amount=None)
    assert features.columns.tolist() == [
        "days_since_last_purchase",
        "tenure_days",
        "orders",
        "complaints",
        "open_complaints",
        "refused",
    ]
    assert features["complaints"].sum() == 0
    assert not features["refused"].any()


def test_customer_features_resolved_column() -> None:
    no_flag = complaints().drop(columns="resolved")
    features = rt.customer_features(shop(), observation_end="2024-05-31", complaints=no_flag)
    assert features["open_complaints"].tolist() == [1, 0, 2]  # every complaint open
    features = rt.customer_features(
        shop(), observation_end="2024-05-31", complaints=complaints(), resolved=None
    )
    assert features["open_complaints"].tolist() == [1, 0, 2]
    renamed = complaints().rename(columns={"resolved": "closed"})
    features = rt.customer_features(
        shop(), observation_end="2024-05-31", complaints=renamed, resolved="closed"
    )
    assert features["open_complaints"].tolist() == [1, 0, 1]
    nullable = complaints().astype({"resolved": "boolean"})
    features = rt.customer_features(shop(), observation_end="2024-05-31", complaints=nullable)
    assert features["open_complaints"].tolist() == [1, 0, 1]


def test_customer_features_bad_event_tables() -> None:
    tx = shop()
    with pytest.raises(ColumnNotFoundError, match=r"'closed'.*resolved=None"):
        rt.customer_features(tx, complaints=complaints(), resolved="closed")
    with pytest.raises(ColumnTypeError, match=r"'resolved' .*True/False.*astype\(bool\)"):
        rt.customer_features(tx, complaints=complaints().astype({"resolved": int}))
    flags = complaints().astype({"resolved": "boolean"})
    flags.loc[1, "resolved"] = pd.NA
    with pytest.raises(InvalidValueError, match="missing values"):
        rt.customer_features(tx, complaints=flags)
    with pytest.raises(
        ColumnNotFoundError, match="complaints table passed to customer_features lacks"
    ):
        rt.customer_features(tx, complaints=complaints().drop(columns="date"))
    bad_date = complaints().astype({"date": str})
    bad_date.loc[0, "date"] = "yesterday"
    with pytest.raises(InvalidValueError, match=r"customer_features \(the complaints table\)"):
        rt.customer_features(tx, complaints=bad_date)
    with pytest.raises(ColumnTypeError, match=r"refusals table \(int64\).*different kinds"):
        rt.customer_features(tx, refusals=refusals().assign(customer_id=[1, 2]))
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.customer_features(tx, refusals=[("bob", "2024-01-01")])  # type: ignore[arg-type]


def test_customer_features_categorical_ids_match_plain_ones() -> None:
    tx = shop().astype({"customer_id": "category"})
    features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints())
    assert features["complaints"].tolist() == [1, 0, 2]
    numbers = shop().assign(
        customer_id=lambda t: t["customer_id"].map({"ann": 1, "bob": 2, "cy": 3, "dee": 4})
    )
    events = refusals().assign(customer_id=[2, 3])
    features = rt.customer_features(numbers.astype({"customer_id": "category"}), refusals=events)
    assert features["refused"].tolist() == [False, True, True, False]


def test_customer_features_empty_event_tables_and_empty_transactions() -> None:
    empty_events = pd.DataFrame({"customer_id": [], "date": []})
    features = rt.customer_features(shop(), complaints=empty_events, refusals=empty_events)
    assert features["complaints"].sum() == 0
    empty = rt.customer_features(shop().iloc[0:0], complaints=complaints(), refusals=refusals())
    assert len(empty) == 0
    assert empty["refused"].dtype == bool


@given(tx=transactions(), seed=st.integers(0, 2**32 - 1))
def test_customer_features_properties(tx: pd.DataFrame, seed: int) -> None:
    events = tx.sample(frac=0.5, random_state=seed % 2**31)[["customer_id", "date"]]
    features = rt.customer_features(tx, complaints=events, refusals=events.iloc[:2])
    assert (features["days_since_last_purchase"] <= features["tenure_days"]).all()
    assert (features["days_since_last_purchase"] >= 0).all()
    # Returns (negative amounts) are not orders, and people who only returned goods are not customers;
    # nothing happens after the observation end, the last purchase day.
    purchase = tx["amount"] >= 0
    end = tx.loc[purchase, "date"].max()
    kept = tx[(tx["date"] <= end) & tx["customer_id"].isin(tx.loc[purchase, "customer_id"])]
    assert features["orders"].sum() == (kept["amount"] >= 0).sum()
    listed = events["customer_id"].isin(features.index) & (events["date"] <= end)
    assert features["complaints"].sum() == listed.sum()
    # Revenue is net of returns, summed exactly.
    revenue = kept.groupby("customer_id")["amount"].agg(lambda a: exact_total(a.tolist()))
    pd.testing.assert_series_equal(
        features["revenue"], revenue.rename("revenue"), check_exact=True, check_index_type=False
    )
    shuffled = rt.customer_features(
        tx.sample(frac=1.0, random_state=seed % 2**31 + 1),
        complaints=events.iloc[::-1],
        refusals=events.iloc[:2],
    )
    pd.testing.assert_frame_equal(shuffled, features)


def test_customer_features_count_orders_and_net_returns_by_hand() -> None:
    features = rt.customer_features(
        order_lines(), order_id="order_id", observation_end="2024-03-31"
    )
    expected = pd.DataFrame(
        {
            "days_since_last_purchase": [50, 71, 1, 16],
            "tenure_days": [86, 71, 59, 16],
            "orders": [2, 1, 2, 1],
            "revenue": [60.0, 300.0, 0.0, 15.0],
            "average_order_value": [30.0, 300.0, 0.0, 15.0],
            "complaints": [0, 0, 0, 0],
            "open_complaints": [0, 0, 0, 0],
            "refused": [False] * 4,
        },
        index=pd.Index([1, 2, 3, 5], name="customer_id"),
    )
    pd.testing.assert_frame_equal(features, expected)
    lines = rt.customer_features(order_lines(), observation_end="2024-03-31")
    assert lines["orders"].tolist() == [3, 2, 3, 1]
    assert lines["average_order_value"].tolist() == [20.0, 150.0, 0.0, 15.0]
    # A table without an amount column: no returns can be told, no revenue.
    plain = rt.customer_features(order_lines().drop(columns="amount"), order_id="order_id")
    assert "revenue" not in plain.columns
    assert plain["orders"].tolist() == [3, 1, 3, 1, 1]  # r1 .. r3 are orders now
