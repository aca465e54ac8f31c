"""retention: customer-retention metrics on a numpy core with a pandas adapter.

Import it as ``import retention as rt``; every public function lives at the top level.
"""

from retention import errors
from retention.core.rates import retention_rate
from retention.datasets import example_transactions, simulate_transactions
from retention.frames.beta_geo import BetaGeo, ModifiedBetaGeo
from retention.frames.cohorts import (
    cohort_table,
    median_lifetime,
    retention_curve,
    survival_at,
    survival_curve,
)
from retention.frames.kpis import kpis
from retention.frames.rates import (
    average_order_value,
    period_retention,
    purchase_frequency,
    repeat_purchase_rate,
    time_to_second_purchase,
)
from retention.frames.summary import rfm_summary

__version__ = "0.1.0"

__all__ = [
    "BetaGeo",
    "ModifiedBetaGeo",
    "average_order_value",
    "cohort_table",
    "errors",
    "example_transactions",
    "kpis",
    "median_lifetime",
    "period_retention",
    "purchase_frequency",
    "repeat_purchase_rate",
    "retention_curve",
    "retention_rate",
    "rfm_summary",
    "simulate_transactions",
    "survival_at",
    "survival_curve",
    "time_to_second_purchase",
]
