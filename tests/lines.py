"""Order lines for the tests: orders with amounts in whole cents, split into several rows each.

Splitting an order into lines (same order id, amounts split, later lines later on the same day) must change
no result of a function called with ``order_id``; these helpers make such tables for the property tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def orders_frame(rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """One row per order, with an order id and amounts in whole cents."""
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "cents", "lines"])
    return orders.assign(
        order_id=np.arange(len(orders)),
        date=pd.Timestamp("2024-01-01") + pd.to_timedelta(orders["day"], unit="D"),
        amount=orders["cents"] / 100,
    )


def split_into_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """Every order as ``lines`` rows: the same order id, its cents split, later lines later on the day.

    The lines of a return are all negative (so that ``returns="drop"`` drops the whole order).
    """
    orders = orders.assign(
        lines=orders["lines"].where(
            orders["cents"] >= 0, orders["lines"].clip(upper=-orders["cents"])
        )
    )
    lines = orders.loc[orders.index.repeat(orders["lines"])].copy()
    line_no = lines.groupby(level=0).cumcount()
    # Rounded toward zero, so that the first line (which takes the rest) has the sign of the order: floor
    # division would make it 0 for -4 cents in 3 lines (-2, -2 and 0), a zero line that is a purchase.
    part = np.sign(lines["cents"]) * (lines["cents"].abs() // lines["lines"])
    lines["amount"] = part.where(line_no > 0, lines["cents"] - part * (lines["lines"] - 1)) / 100
    lines["date"] = lines["date"] + pd.to_timedelta(line_no * 7, unit="min")
    return lines.iloc[::-1].reset_index(drop=True)
