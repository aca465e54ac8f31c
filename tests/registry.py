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
    # customer value and model checks (frames/value.py)
    Entry("historical_value", rt.historical_value, needs_amount=True),
    Entry(
        "historical_value_margin",
        lambda tx: rt.historical_value(tx, margin=0.3, observation_end="2024-06-30"),
        needs_amount=True,
    ),
    Entry(
        "tracking_table",
        lambda tx: rt.tracking_table(
            rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426), tx, time_unit="W", freq="D"
        ),
    ),
    # ABC / XYZ classification (frames/classify.py); classes compared as category codes
    Entry(
        "abc_xyz",
        lambda tx: rt.abc_xyz(tx).apply(lambda c: c.cat.codes if c.dtype == "category" else c),
        needs_amount=True,
    ),
    Entry(
        "abc_xyz_orders_weekly_computed",
        lambda tx: rt.abc_xyz(tx, freq="W", value="orders", abc_method="computed").apply(
            lambda c: c.cat.codes if c.dtype == "category" else c
        ),
    ),
    # RFM scores and customer features (frames/segments.py); rfm_score compared by its digits
    Entry("rfm_scores", rt.rfm_scores, needs_amount=True),
    Entry(
        "rfm_scores_cut_points",
        lambda tx: rt.rfm_scores(tx, bins=4, cut_points={"recency": [7, 30, 90]}),
        needs_amount=True,
    ),
    Entry("customer_features", rt.customer_features, needs_amount=True),
    Entry(  # the table itself as the complaints and refusals tables
        "customer_features_events",
        lambda tx: rt.customer_features(tx, complaints=tx, refusals=tx),
        needs_amount=True,
    ),
    # segment migration and contact plans (frames/migration.py, frames/contacts.py)
    Entry(
        "segment_history_orders_so_far",
        lambda tx: rt.segment_history(
            tx, segmenter=lambda t, as_of: t.groupby("customer_id").size().clip(upper=2)
        ).set_index(["period", "before", "after"])["customers"],
    ),
    Entry(
        "segment_history_working_segments",
        lambda tx: rt.segment_history(
            tx,
            segmenter=lambda t, as_of: rt.working_segments(rt.customer_features(t, as_of=as_of)),
            amount="amount",
        ).set_index(["period", "before", "after"])["customers"],
        needs_amount=True,
    ),
    Entry(  # every purchase is both a planned and a logged contact; the total row
        "contact_compliance",
        lambda tx: rt.contact_compliance(
            tx.rename(columns={"date": "due"}) if hasattr(tx, "rename") else tx, tx
        ).loc["(all)"],
    ),
]
