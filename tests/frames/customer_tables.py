"""Transaction, complaint and order tables shared by the tests of RFM scores, customer features and segments.

tests/frames/test_rfm.py, test_features.py and test_segments.py mirror retention/frames/rfm.py, features.py
and segments.py; the tables they all read are made here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def transactions(draw: st.DrawFn) -> pd.DataFrame:
    """Up to 40 purchases of up to 8 customers within 90 days; amounts that tie and round awkwardly."""
    n = draw(st.integers(1, 40))
    customer = draw(hnp.arrays(np.int64, n, elements=st.integers(1, 8)))
    day = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 90)))
    amount = draw(
        hnp.arrays(
            np.float64, n, elements=st.sampled_from([0.1, 0.2, 0.3, 0.6, 1.0, 2.5, 10.0, -3.0])
        )
    )
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
            "amount": amount,
        }
    )


def shop() -> pd.DataFrame:
    rows = [
        ("ann", "2024-03-01", 50.0),
        ("ann", "2024-05-20", 70.0),
        ("bob", "2024-01-10", 20.0),
        ("cy", "2024-04-02", 10.0),
        ("cy", "2024-04-30", 15.0),
        ("cy", "2024-05-28", 20.0),
        ("dee", "2024-06-05", 30.0),  # after the observation end in most tests
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def complaints() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["cy", "cy", "ann", "ann", "zed"],
            "date": pd.to_datetime(
                ["2024-04-03", "2024-05-29", "2024-03-02", "2024-06-01", "2024-05-01"]
            ),
            "resolved": [True, False, False, False, False],
        }
    )


def refusals() -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["bob", "cy"], "date": pd.to_datetime(["2024-02-01", "2024-06-02"])}
    )


def order_lines() -> pd.DataFrame:
    """Order lines and returns of five people in the first quarter of 2024 (numbers in the tests)."""
    rows = [
        (1, "o1", "2024-01-05", 40.0),
        (1, "o1", "2024-01-05", 10.0),
        (1, "o2", "2024-02-10", 25.0),
        (1, "r1", "2024-03-01", -15.0),
        (2, "o3", "2024-01-20", 100.0),
        (2, "o3", "2024-01-21", 200.0),  # a line a day later: the order is dated by its first line
        (3, "o4", "2024-02-01", 20.0),
        (3, "o5", "2024-03-30", 20.0),
        (3, "o5", "2024-03-30", 5.0),
        (3, "r2", "2024-03-31", -45.0),  # the return is the last event: not a purchase
        (4, "r3", "2024-02-01", -10.0),  # only a return: not a customer
        (5, "o6", "2024-03-15", 15.0),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


@st.composite
def orders(draw: st.DrawFn) -> list[tuple[int, int, int, int, int, int]]:
    """Orders in cents of up to 6 customers within 90 days: purchases and returns, 1 to 3 lines each."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(1, 6),  # customer
                st.integers(0, 90),  # day
                st.one_of(st.integers(1, 50_000), st.integers(-30_000, -1)),  # cents
                st.integers(1, 3),  # lines
                st.integers(-20_000, 20_000),  # moved from the first line to the last
                st.integers(0, 5),  # days from the first line to the others
            ),
            min_size=1,
            max_size=30,
        )
    )


START = pd.Timestamp("2024-01-01")


def one_row_per_order(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [o[0] for o in orders],
            "order_id": [f"o{k}" for k in range(len(orders))],
            "date": [START + pd.Timedelta(days=o[1]) for o in orders],
            "amount": [o[2] / 100 for o in orders],
        }
    )


def lines_of_orders(orders: list[tuple[int, int, int, int, int, int]]) -> pd.DataFrame:
    """The same orders as lines whose amounts add up to the order's, dated on or after the order."""
    rows = []
    for k, (customer, day, cents, lines, moved, later) in enumerate(orders):
        parts = [cents // lines] * (lines - 1) + [cents - (lines - 1) * (cents // lines)]
        if lines > 1:
            parts[0] += moved
            parts[-1] -= moved
        for j, part in enumerate(parts):
            rows.append(
                (
                    customer,
                    f"o{k}",
                    START + pd.Timedelta(days=day + (later if j else 0)),
                    part / 100,
                )
            )
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    return tx.iloc[::-1].reset_index(drop=True)
