"""Tests of rt.scorecard: a hand-computed table for every figure, each group's row against the functions
run on that group's customers alone, the comparison with the rest against compare_retention and an
independent Newcombe interval, and bad input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)

END = "2024-06-30"


def hand_table() -> pd.DataFrame:
    """Six customers, two managers; the last complete month is June 2024 (observation end 30 June).

    ann: 1 buys Jan 1, Mar 1, May 15, Jun 10; 2 buys Feb 1, May 20; 3 is new on Jun 5.
    bob: 4 buys Jan 10, returns 15 on Jan 20, comes back Jun 25; 5 buys Jan 5, Feb 10, Mar 1;
    6 buys May 1 and Jun 20.
    """
    rows = [
        (1, "2024-01-01", 100.0, "ann"),
        (1, "2024-03-01", 50.0, "ann"),
        (1, "2024-05-15", 20.0, "ann"),
        (1, "2024-06-10", 30.0, "ann"),
        (2, "2024-02-01", 40.0, "ann"),
        (2, "2024-05-20", 10.0, "ann"),
        (3, "2024-06-05", 25.0, "ann"),
        (4, "2024-01-10", 60.0, "bob"),
        (4, "2024-01-20", -15.0, "bob"),
        (4, "2024-06-25", 15.0, "bob"),
        (5, "2024-01-05", 80.0, "bob"),
        (5, "2024-02-10", 20.0, "bob"),
        (5, "2024-03-01", 5.0, "bob"),
        (6, "2024-05-01", 10.0, "bob"),
        (6, "2024-06-20", 10.0, "bob"),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "manager"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def hand_complaints() -> pd.DataFrame:
    """ann's customer 2: one resolved, one open; bob's 5: one resolved; an unknown customer and a
    complaint after the observation end, both left out."""
    return pd.DataFrame(
        {
            "customer_id": [2, 2, 5, 9, 1],
            "date": pd.to_datetime(
                ["2024-03-01", "2024-04-01", "2024-02-01", "2024-03-01", "2024-07-05"]
            ),
            "resolved": [True, False, True, False, False],
        }
    )


def hand_contacts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ann: 3 planned (customers 1, 1, 2), 1 met; bob: 1 planned (customer 4), met 19 days late."""
    plan = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 4, 7],
            "due": pd.to_datetime(
                ["2024-06-01", "2024-06-15", "2024-06-01", "2024-06-01", "2024-06-01"]
            ),
        }
    )
    done = pd.DataFrame(
        {
            "customer_id": [1, 4, 7],
            "date": pd.to_datetime(["2024-06-03", "2024-06-20", "2024-06-01"]),
        }
    )
    return plan, done


def hand_card() -> rt.Scorecard:
    plan, done = hand_contacts()
    return rt.scorecard(
        hand_table(),
        "manager",
        complaints=hand_complaints(),
        plan=plan,
        done=done,
        observation_end=END,
    )


def wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson's score interval, written out (Newcombe 1998, method 3)."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def newcombe(
    x1: float, n1: float, x0: float, n0: float, alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p0 (Newcombe 1998, method 10), written out."""
    z = norm.ppf(1 - alpha / 2)
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson(x1, n1, z)
    l0, u0 = wilson(x0, n0, z)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p0 - l0) ** 2
    )


# --- hand-computed --------------------------------------------------------------------------------------


def test_hand_computed_counts_and_money() -> None:
    card = hand_card()
    f = card.figures
    assert card.period == "2024-06"
    assert card.freq == "M"
    assert card.horizons == (91, 365)
    assert list(f.index) == ["ann", "bob"]
    assert f.index.name == "manager"
    assert list(f["customers"]) == [3, 3]
    # June: ann had 1 and 2 active in May; 1 stays, 2 churns, 3 is new. bob had 6 in May; 6 stays and
    # 4 comes back (reactivated), so the CRR counts 2 customers retained of 1: 2.0.
    assert list(f["active_customers"]) == [2, 2]
    assert list(f["new_customers"]) == [1, 0]
    assert list(f["churned_customers"]) == [1, 0]
    assert list(f["crr"]) == [0.5, 2.0]
    assert list(f["churn_rate"]) == [0.5, 0.0]
    # Revenue net of the return: ann 100 + 50 + 20 + 30 + 40 + 10 + 25, bob 60 - 15 + 15 + 105 + 20.
    assert list(f["revenue"]) == [275.0, 185.0]
    assert list(f["revenue_per_customer"]) == [275.0 / 3, 185.0 / 3]
    # Two purchase days or more: ann 1 and 2 of 3, bob all three.
    assert list(f["repeat_purchase_rate"]) == [2 / 3, 1.0]
    assert list(f["complaints_open"]) == [1, 0]
    assert list(f["complaints_resolved"]) == [1, 1]
    assert list(f["contacts_planned"]) == [3, 1]
    assert list(f["contacts_met"]) == [1, 0]
    assert list(f["contact_compliance"]) == [1 / 3, 0.0]


def test_hand_computed_survival() -> None:
    # Lifetimes with inactive_after 90 days, end 30 June: ann 1 censored at 161 days, 2 lapsed at 0
    # (109 days to the next purchase), 3 censored at 0; bob 4 lapsed at 0 (167 days), 5 lapsed at 55,
    # 6 censored at 50. ann: S = 2/3 from day 0 on. bob: 2/3 from day 0, 0 from day 55.
    f = hand_card().figures
    s = 1 - 1 / 3  # the Kaplan-Meier factor at day 0
    assert list(f["survival_3"]) == [s, 0.0]
    assert list(f["survival_12"]) == [s, 0.0]


def test_hand_computed_ranks() -> None:
    r = hand_card().ranks
    expected = {
        "customers": [1, 1],  # ties share the best rank
        "active_customers": [1, 1],
        "new_customers": [1, 2],
        "churned_customers": [2, 1],  # fewer is better
        "crr": [2, 1],
        "churn_rate": [2, 1],  # lower is better
        "survival_3": [1, 2],
        "survival_12": [1, 2],
        "revenue": [1, 2],
        "revenue_per_customer": [1, 2],
        "repeat_purchase_rate": [2, 1],
        "complaints_open": [2, 1],  # fewer is better
        "complaints_resolved": [1, 1],
        "contacts_met": [1, 2],
        "contact_compliance": [1, 2],
    }
    assert list(r.columns.drop("contacts_planned")) == list(expected)
    for name, ranks in expected.items():
        assert list(r[name]) == ranks, name
    assert r["contacts_planned"].isna().all()  # a workload, not a result
    assert str(r["crr"].dtype) == "Int64"


def test_hand_computed_versus_rest() -> None:
    v = hand_card().versus_rest
    assert v.index.names == ["manager", "measure"]
    # With two groups the rest of ann is bob. Churn: ann 1 of 2, bob 0 of 1.
    row = v.loc[("ann", "churn_rate")]
    assert (row["value"], row["rest"], row["estimate"]) == (0.5, 0.0, 0.5)
    low, high = newcombe(1, 2, 0, 1)
    np.testing.assert_allclose([row["ci_lower"], row["ci_upper"]], [low, high], rtol=1e-12)
    # Repeat purchase: ann 2 of 3, bob 3 of 3.
    row = v.loc[("bob", "repeat_purchase_rate")]
    assert row["estimate"] == 1.0 - 2 / 3
    low, high = newcombe(3, 3, 2, 3)
    np.testing.assert_allclose([row["ci_lower"], row["ci_upper"]], [low, high], rtol=1e-12)
    # Survival at 91 days: 2/3 against 0; Greenwood's variance of ann's 2/3 (3 at risk, 1 event) is
    # (2/3)^2 / (3 * 2) = 2/27, and bob's curve is 0 there, with variance 0 as compare_retention has it.
    row = v.loc[("ann", "survival_3")]
    s = 1 - 1 / 3
    assert row["estimate"] == s
    z = norm.ppf(0.975)
    se = math.sqrt(s**2 / (3 * 2))
    # The normal interval, clipped to [-1, 1] where differences of shares lie (its upper end is 1.2).
    np.testing.assert_allclose(
        [row["ci_lower"], row["ci_upper"]], [s - z * se, min(s + z * se, 1.0)], rtol=1e-12
    )
    # One comparison per group: Holm over the two groups of each figure.
    churn = v.xs("churn_rate", level="measure")
    p = churn["p_value"].to_numpy()
    assert p[0] == p[1]  # the same two groups, the other way round
    np.testing.assert_allclose(churn["p_adjusted"], np.minimum(1.0, 2 * p), rtol=1e-12)


def test_periods_in_days() -> None:
    tx = hand_table()
    for freq, days in {"D": (3, 12), "W": (21, 84), "Q": (274, 1096), "Y": (1096, 4383)}.items():
        assert rt.scorecard(tx, "manager", freq=freq).horizons == days


def test_group_without_customers_before_the_period() -> None:
    """A group whose first purchase falls after the last complete period counted nobody in it."""
    tx = hand_table()
    late = pd.DataFrame(
        {
            "customer_id": [8],
            "date": pd.to_datetime(["2024-07-02"]),
            "amount": [5.0],
            "manager": ["cy"],
        }
    )
    card = rt.scorecard(
        pd.concat([tx, late], ignore_index=True), "manager", observation_end="2024-07-10"
    )
    assert card.period == "2024-06"
    row = card.figures.astype("float64").loc["cy"]
    assert (row["active_customers"], row["new_customers"], row["churned_customers"]) == (0, 0, 0)
    assert math.isnan(row["crr"])
    assert math.isnan(row["churn_rate"])
    assert pd.isna(card.ranks.loc["cy", "crr"])


def test_no_complete_period_and_no_amounts() -> None:
    tx = hand_table()
    card = rt.scorecard(tx[tx["date"] >= "2024-06-01"], "manager", amount=None)
    assert card.period == ""
    assert card.figures["active_customers"].isna().all()
    assert card.figures["crr"].isna().all()
    assert card.figures["revenue"].isna().all()
    assert "complaints_open" not in card.figures
    assert "contact_compliance" not in card.figures


def test_single_group_and_empty_table() -> None:
    tx = hand_table().assign(manager="ann")
    card = rt.scorecard(tx, "manager", observation_end=END)
    assert card.figures["customers"].tolist() == [6]
    assert card.versus_rest["estimate"].isna().all()  # nobody to compare with
    empty = rt.scorecard(hand_table().iloc[:0], "manager")
    assert len(empty.figures) == 0
    assert len(empty.versus_rest) == 0
    repr(empty)


def test_missing_groups_are_a_group() -> None:
    managers = pd.Series(["ann", "ann", None, "bob", "bob"], index=[1, 2, 3, 4, 5], name="manager")
    card = rt.scorecard(hand_table(), managers, observation_end=END)
    assert card.figures["customers"].tolist() == [2, 2, 2]  # 3 unassigned, 6 not in the Series
    assert pd.isna(card.figures.index[-1])
    assert "Against the rest" in repr(card)


def test_repr() -> None:
    card = hand_card()
    text = repr(card)
    assert text.startswith("Scorecard by manager: 2 groups; last complete period 2024-06")
    assert "275.00 (1)" in text  # ann's revenue and its rank
    assert "+0.500 [" in text  # ann's churn against the rest
    html = card._repr_html_()
    assert html.startswith("<div>")
    assert "Against the rest" in html


# --- each group alone; the rest against compare_retention --------------------------------------------


def group_alone(tx: pd.DataFrame, members: Any, **options: Any) -> pd.DataFrame:
    return tx[tx["customer_id"].isin(members)]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 12),  # customer
            st.integers(0, 400),  # day
            st.integers(-2_000, 10_000).map(lambda c: c / 100),  # amount
        ),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.tuples(st.integers(1, 13), st.integers(0, 420), st.booleans()), max_size=8),
)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_each_row_is_the_group_alone(
    rows: list[tuple[int, int, float]], events: list[tuple[int, int, bool]]
) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    if not (tx["amount"] >= 0).any():
        return
    managers = pd.Series(np.array(["ann", "bob", "cy"])[np.arange(1, 13) % 3], index=range(1, 13))
    complaints = pd.DataFrame(events, columns=["customer_id", "day", "resolved"])
    complaints = complaints.astype({"customer_id": np.int64, "day": np.int64, "resolved": bool})
    complaints["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(complaints["day"], unit="D")
    end = "2025-02-04"  # day 400
    card = rt.scorecard(
        tx, managers, freq="W", complaints=complaints, inactive_after="30D", observation_end=end
    )
    features = rt.customer_features(tx, complaints=complaints, observation_end=end)
    figures = card.figures.astype("float64")  # NA counts (no complete period) as NaN
    for label in figures.index:
        members = managers.index[managers == label]
        alone = group_alone(tx, members)
        row = figures.loc[label]
        customers = alone.loc[alone["amount"] >= 0, "customer_id"].unique()
        assert row["customers"] == len(customers)
        # Revenue net of returns, of customers (returns of people who never bought are left out);
        # whole cents add exactly, as integers.
        cents = (alone.loc[alone["customer_id"].isin(customers), "amount"] * 100).round()
        assert row["revenue"] == int(cents.sum()) / 100
        assert row["repeat_purchase_rate"] == rt.repeat_purchase_rate(alone, observation_end=end)
        curve = rt.survival_curve(alone, inactive_after="30D", observation_end=end)
        np.testing.assert_array_equal(
            [row["survival_3"], row["survival_12"]], rt.survival_at(curve, [21, 84]).to_numpy()
        )
        periods = rt.period_retention(alone, freq="W", observation_end=end)
        if card.period and pd.Period(card.period, "W") in periods.index:
            last = periods.loc[pd.Period(card.period, "W")]
            assert row["active_customers"] == last["customers_end"]
            assert row["churned_customers"] == last["churned"]
            np.testing.assert_array_equal(
                [row["crr"], row["churn_rate"]], [last["crr"], last["churn_rate"]]
            )
        mine = features[features.index.isin(members)]
        assert row["complaints_open"] == mine["open_complaints"].sum()
        assert row["complaints_resolved"] == (mine["complaints"] - mine["open_complaints"]).sum()


@given(
    st.lists(
        st.tuples(st.integers(1, 15), st.integers(0, 500)),
        min_size=2,
        max_size=45,
    )
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rest_equals_compare_retention(rows: list[tuple[int, int]]) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day"])
    tx["date"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(tx["day"], unit="D")
    managers = pd.Series(np.array(["ann", "bob", "cy"])[np.arange(1, 16) % 3], index=range(1, 16))
    card = rt.scorecard(tx, managers, inactive_after="60D", adjust=None)
    for label in card.figures.index:
        split = pd.Series(np.where(managers == label, "group", "rest"), index=managers.index)
        if (split[tx["customer_id"].unique()] == "rest").sum() == 0:
            continue
        comparison = rt.compare_retention(
            tx, split, horizons=list(card.horizons), inactive_after="60D", control="rest",
            adjust=None,
        )  # fmt: skip
        for measure, days in zip(("survival_3", "survival_12"), card.horizons, strict=True):
            theirs = comparison.differences.loc[("group", "rest", "survival", days)]
            ours = card.versus_rest.loc[(label, measure)]
            np.testing.assert_array_equal(
                ours[["estimate", "ci_lower", "ci_upper", "p_value"]].to_numpy(dtype=float),
                theirs[["estimate", "ci_lower", "ci_upper", "p_value"]].to_numpy(dtype=float),
            )


def test_churn_against_the_rest_uses_the_period_counts() -> None:
    tx = rt.example_transactions()
    card = rt.scorecard(tx, "manager")
    periods = rt.period_retention(tx, by="manager").xs(pd.Period(card.period, "M"), level="period")
    total = periods[["churned", "customers_start"]].sum()
    for label, row in periods.iterrows():
        x, n = row["churned"], row["customers_start"]
        low, high = newcombe(x, n, total["churned"] - x, total["customers_start"] - n)
        ours = card.versus_rest.loc[(label, "churn_rate")]
        np.testing.assert_allclose([ours["ci_lower"], ours["ci_upper"]], [low, high], rtol=1e-12)
        assert ours["value"] == x / n
    kpis = rt.kpis(tx, by="manager")
    np.testing.assert_array_equal(
        card.figures["active_customers"].to_numpy(dtype=float),
        kpis.xs("active_customers", level="kpi").to_numpy(),
    )


def test_compliance_equals_contact_compliance() -> None:
    tx = hand_table()
    plan, done = hand_contacts()
    owners = plan.merge(
        tx.drop_duplicates("customer_id")[["customer_id", "manager"]], on="customer_id", how="left"
    )
    expected = rt.contact_compliance(owners, done, owner="manager")
    card = hand_card()
    for label in ("ann", "bob"):
        assert card.figures.loc[label, "contacts_planned"] == expected.loc[label, "planned"]
        assert card.figures.loc[label, "contacts_met"] == expected.loc[label, "met"]
        assert card.figures.loc[label, "contact_compliance"] == expected.loc[label, "compliance"]


# --- bad input ------------------------------------------------------------------------------------------


def test_missing_by_column() -> None:
    with pytest.raises(ColumnNotFoundError, match="'region'"):
        rt.scorecard(hand_table(), "region")
    with pytest.raises(InvalidParameterError, match="'by' parameter of scorecard"):
        rt.scorecard(hand_table(), None)


def test_plan_without_done() -> None:
    plan, done = hand_contacts()
    with pytest.raises(InvalidParameterError, match="'done' parameter of scorecard is missing"):
        rt.scorecard(hand_table(), "manager", plan=plan)
    with pytest.raises(InvalidParameterError, match="'plan' parameter of scorecard is missing"):
        rt.scorecard(hand_table(), "manager", done=done)
    with pytest.raises(ColumnTypeError, match="'plan' parameter of scorecard"):
        rt.scorecard(hand_table(), "manager", plan=plan.to_dict(), done=done)
    with pytest.raises(ColumnNotFoundError, match="due"):
        rt.scorecard(hand_table(), "manager", plan=plan.drop(columns="due"), done=done)


def test_bad_complaints() -> None:
    complaints = hand_complaints()
    with pytest.raises(ColumnTypeError, match=r"'resolved'.*True/False"):
        rt.scorecard(hand_table(), "manager", complaints=complaints.astype({"resolved": str}))
    with pytest.raises(InvalidValueError, match=r"'resolved'.*missing values"):
        rt.scorecard(
            hand_table(),
            "manager",
            complaints=complaints.assign(
                resolved=pd.array([True, None, True, False, False], dtype="boolean")
            ),
        )
    with pytest.raises(ColumnNotFoundError, match="'fixed'"):
        rt.scorecard(hand_table(), "manager", complaints=complaints, resolved="fixed")
    with pytest.raises(ColumnNotFoundError, match="complaints table passed to scorecard"):
        rt.scorecard(hand_table(), "manager", complaints=complaints.drop(columns="date"))
    with pytest.raises(ColumnTypeError, match="different kinds"):
        rt.scorecard(hand_table(), "manager", complaints=complaints.astype({"customer_id": str}))
    # Without the default resolved column every complaint is open, as in customer_features.
    card = rt.scorecard(
        hand_table(), "manager", complaints=complaints.drop(columns="resolved"), observation_end=END
    )
    assert card.figures["complaints_open"].tolist() == [2, 1]
    assert card.figures["complaints_resolved"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"freq": "fortnight"}, "'freq' parameter of scorecard"),
        ({"alpha": 1.5}, "'alpha' parameter of scorecard"),
        ({"adjust": "sidak"}, "'adjust' parameter of scorecard"),
        ({"inactive_after": "-3D"}, "'inactive_after' parameter of scorecard"),
    ],
)
def test_bad_options(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        rt.scorecard(hand_table(), "manager", **options)


def test_several_columns() -> None:
    tx = hand_table().assign(region=lambda d: np.where(d["customer_id"] <= 4, "north", "south"))
    card = rt.scorecard(tx, ["manager", "region"], observation_end=END)
    assert card.figures.index.names == ["manager", "region"]
    assert card.versus_rest.index.names == ["manager", "region", "measure"]
    assert card.figures["customers"].tolist() == [3, 1, 2]
    assert "Scorecard by manager, region: 3 groups" in repr(card)
