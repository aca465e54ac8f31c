"""Tests of rt.kpis on a table computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.frames.kpis import KPI_NAMES


@pytest.fixture
def tx() -> pd.DataFrame:
    # Jan: 1 and 2 are new. Feb: 1 stays, 3 is new, 2 lapses. Mar: 1 stays, 2 comes back, 3 lapses.
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 1],
            "date": [
                "2024-01-05",
                "2024-02-10",
                "2024-01-20",
                "2024-03-03",
                "2024-02-02",
                "2024-03-30",
            ],
            "amount": [10.0, 20.0, 5.0, 5.0, 8.0, 12.0],
        }
    )


def test_hand_computed(tx: pd.DataFrame) -> None:
    k = rt.kpis(tx, observation_end="2024-03-31")
    expected = {
        "customers": 3,
        "active_customers": 2,  # 1 and 2 in March
        "new_customers": 0,
        "retention_rate": 1 / 2,  # of February's 1 and 3, only 1 stays
        "crr": (2 - 0) / 2,  # (E - N) / S counts the reactivated customer 2 as retained
        "churn_rate": 1 / 2,
        "repeat_purchase_rate": 2 / 3,
        "purchase_frequency": 6 / 3,
        "average_order_value": 60 / 6,
        "revenue_per_customer": 60 / 3,
        "cohort_retention_1": (1 + 0)
        / (2 + 1),  # January cohort {1, 2}: 1 in Feb; February cohort {3}: none in Mar
        "cohort_retention_3": np.nan,  # no cohort is three months old by March
        "cohort_retention_12": np.nan,
    }
    assert list(k.index) == list(KPI_NAMES)
    assert k.index.name == "kpi"
    np.testing.assert_allclose(k.to_numpy(), [expected[n] for n in KPI_NAMES], rtol=1e-12)
    assert k.attrs == {"observation_end": "2024-03-31", "freq": "M", "period": "2024-03"}


def test_incomplete_month_is_not_reported(tx: pd.DataFrame) -> None:
    # Without the observation end the data stop on 30 March, so March is incomplete: February is reported.
    k = rt.kpis(tx)
    assert k.attrs["period"] == "2024-02"
    assert k["active_customers"] == 2
    assert k["new_customers"] == 1


def test_without_amounts(tx: pd.DataFrame) -> None:
    k = rt.kpis(tx.drop(columns="amount"), amount=None, observation_end="2024-03-31")
    assert np.isnan(k["average_order_value"])
    assert np.isnan(k["revenue_per_customer"])
    assert k["customers"] == 3


def test_empty_table_gives_undefined_kpis() -> None:
    k = rt.kpis(pd.DataFrame({"customer_id": [], "date": [], "amount": []}))
    assert k["customers"] == 0
    assert k.drop("customers").isna().all()
    assert k.attrs["period"] == ""


def test_quarterly(tx: pd.DataFrame) -> None:
    k = rt.kpis(tx, freq="Q", observation_end="2024-03-31")
    assert k.attrs["period"] == "2024Q1"
    assert k["new_customers"] == 3
    assert np.isnan(k["crr"])  # nobody was active before the first quarter


def order_lines() -> pd.DataFrame:
    """Order lines: invoice A (two lines) and C (a line and a returned line), a cancellation, a refund."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2, 3],
            "invoice": ["A", "A", "B", "B-x", "C", "C", "D", "E"],
            "date": pd.to_datetime(
                [
                    "2024-01-05 10:00",
                    "2024-01-05 10:00",
                    "2024-02-10 12:00",
                    "2024-02-11 09:00",
                    "2024-01-20 15:00",
                    "2024-01-20 15:00",
                    "2024-03-03 11:00",
                    "2024-03-04 08:00",
                ]
            ),
            # A = 30; B = 20 then cancelled (-20); C = 25 - 5 = 20; D = 10; E: 3 only returned goods.
            "amount": [10.0, 20.0, 20.0, -20.0, 25.0, -5.0, 10.0, -4.0],
        }
    )


def test_orders_and_returns_by_hand() -> None:
    k = rt.kpis(order_lines(), order_id="invoice", observation_end="2024-03-31")
    assert k["customers"] == 2  # 3 is not a customer
    assert k["purchase_frequency"] == 4 / 2  # A, B; C, D
    assert k["average_order_value"] == (30 + 20 - 20 + 20 + 10) / 4  # net revenue per order
    assert k["revenue_per_customer"] == 60 / 2
    assert k["repeat_purchase_rate"] == 1.0
    # March: 2 is back (reactivated); February's only active customer (1) churned.
    assert k["active_customers"] == 1
    assert k["crr"] == 1.0
    assert k["churn_rate"] == 1.0
    # Without order_id each line with a positive amount is an order: 5 orders.
    lines = rt.kpis(order_lines(), observation_end="2024-03-31")
    assert lines["purchase_frequency"] == 5 / 2
    assert lines["revenue_per_customer"] == 60 / 2
    # Dropping returns: revenue is gross.
    gross = rt.kpis(order_lines(), order_id="invoice", returns="drop", observation_end="2024-03-31")
    assert gross["revenue_per_customer"] == (30 + 20 + 25 + 10) / 2


def test_line_items_without_order_id_warn() -> None:
    tx = order_lines().assign(
        date=lambda d: d["date"].where(d["invoice"] != "B", d["date"].iloc[0])
    )
    with pytest.warns(rt.errors.RetentionWarning, match="order_id="):
        rt.kpis(tx.assign(date=pd.Timestamp("2024-01-05 10:00")))
    rt.kpis(tx.assign(date=pd.Timestamp("2024-01-05 10:00")), order_id="invoice")  # no warning


def test_kpis_by_group() -> None:
    tx = order_lines().assign(channel=["web", "web", "shop", "shop", "shop", "web", "web", "web"])
    k = rt.kpis(tx, order_id="invoice", by="channel", observation_end="2024-03-31")
    assert k.index.names == ["channel", "kpi"]
    assert sorted(k.index.get_level_values("channel").unique()) == ["shop", "web"]
    # 1's first purchase is A (web), 2's is C (both lines at the same time: shop before web).
    assert k[("web", "customers")] == 1
    assert k[("shop", "customers")] == 1
    alone = rt.kpis(tx[tx["customer_id"] == 2], order_id="invoice", observation_end="2024-03-31")
    np.testing.assert_array_equal(k.loc["shop"].to_numpy(), alone.to_numpy())
    assert k.attrs["observation_end"] == "2024-03-31"


def test_kpis_by_group_name_the_period_of_the_groups_that_have_one() -> None:
    # Group "a" (first in order) came in the incomplete last month: it has no complete period; "z"'s
    # period KPIs are of February, and the result says so whatever the order of the groups.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-10", "2024-03-12"]),
            "amount": [1.0, 2.0, 3.0, 4.0],
            "g": ["z", "z", "a", "a"],
        }
    )
    k = rt.kpis(tx, by="g")
    assert np.isnan(k[("a", "active_customers")])
    assert k[("z", "active_customers")] == 1
    assert k.attrs == {"observation_end": "2024-03-12", "freq": "M", "period": "2024-02"}
    # Each group alone, observed as long as the whole table.
    assert rt.kpis(tx[tx["g"] == "z"], observation_end="2024-03-12").attrs == k.attrs
    assert rt.kpis(tx[tx["g"] == "a"], observation_end="2024-03-12").attrs["period"] == ""
