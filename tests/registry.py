"""The registry of public functions that read a transaction table.

`tests/frames/test_common.py` runs one battery over every entry: bad input raises an error from
`retention.errors`, the input is never modified, row order never changes the result, an empty table gives an
empty result, and one customer, huge integer ids and timezone-aware dates work. Add every new public function
that takes a transaction table here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import retention as rt


@dataclass(frozen=True)
class Entry:
    """One public function and how to call it on a transaction table."""

    name: str
    call: Callable[..., Any]  # call(tx) -> result, with the columns `customer_id`, `date`, `amount`
    needs_amount: bool = False


REGISTRY: list[Entry] = [
    # rates (frames/rates.py)
    Entry("period_retention", rt.period_retention),
    Entry("period_retention_weekly", lambda tx: rt.period_retention(tx, freq="W")),
    Entry("repeat_purchase_rate", rt.repeat_purchase_rate),
    Entry("purchase_frequency", rt.purchase_frequency),
    Entry("average_order_value", rt.average_order_value, needs_amount=True),
    Entry("time_to_second_purchase", rt.time_to_second_purchase),
    # cohorts and survival (frames/cohorts.py)
    Entry("cohort_table", rt.cohort_table),
    Entry("cohort_table_weekly_orders", lambda tx: rt.cohort_table(tx, freq="W", metric="orders")),
    Entry(
        "cohort_table_revenue_rolling",
        lambda tx: rt.cohort_table(tx, metric="revenue", kind="rolling", normalize=True),
        needs_amount=True,
    ),
    Entry("retention_curve", rt.retention_curve),
    Entry("retention_curve_rolling", lambda tx: rt.retention_curve(tx, kind="rolling")),
    Entry("survival_curve", rt.survival_curve),
    # kpis (frames/kpis.py)
    Entry("kpis", rt.kpis, needs_amount=True),
    # lifetime value (frames/summary.py)
    Entry("rfm_summary", lambda tx: rt.rfm_summary(tx, amount="amount"), needs_amount=True),
]
