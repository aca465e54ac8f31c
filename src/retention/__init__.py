"""retention: customer-retention metrics on a numpy core with a pandas adapter.

Import it as ``import retention as rt``; every public function lives at the top level. The plots are in
:mod:`retention.plot` (``rt.plot``, imported on first use, so that ``import retention`` needs no matplotlib).
"""

from typing import TYPE_CHECKING

from retention import errors, stats
from retention.core.clv.value import clv_formula
from retention.core.rates import crr
from retention.datasets import (
    example_transactions,
    load_cdnow,
    load_donations,
    load_sbg_survival,
    simulate_transactions,
)
from retention.frames.beta_geo import BetaGeo, ModifiedBetaGeo
from retention.frames.bgbb import BetaGeoBetaBinom
from retention.frames.campaign import CampaignEffect, HoldoutSplit, campaign_effect, holdout_split
from retention.frames.classify import abc, abc_xyz, abc_xyz_matrix, xyz
from retention.frames.cohorts import (
    cohort_table,
    median_lifetime,
    retention_curve,
    survival_at,
    survival_curve,
)
from retention.frames.compare import RetentionComparison, compare_retention
from retention.frames.complaints import complaint_outcomes
from retention.frames.contacts import contact_compliance, contact_plan, default_contact_cadence
from retention.frames.features import customer_features
from retention.frames.forecast import Backtest, backtest, forecast, forecast_customers
from retention.frames.gamma_gamma import GammaGamma
from retention.frames.kpis import kpis
from retention.frames.migration import migration_matrix, segment_history
from retention.frames.pareto_nbd import ParetoNBD
from retention.frames.rates import (
    average_order_value,
    period_retention,
    purchase_frequency,
    repeat_purchase_rate,
    time_to_second_purchase,
)
from retention.frames.rfm import rfm_scores, rfm_segment_map, rfm_segments
from retention.frames.sbg import ShiftedBetaGeometric
from retention.frames.scorecard import Scorecard, scorecard
from retention.frames.segments import (
    rule_segments,
    segment,
    working_segment_rules,
    working_segments,
)
from retention.frames.summary import rfm_summary
from retention.frames.value import (
    calibration_holdout_table,
    customer_lifetime_value,
    historical_value,
    tracking_table,
)
from retention.report import Report, report

if TYPE_CHECKING:
    from retention import plot as plot

__version__ = "0.1.0"

__all__ = [
    "Backtest",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "CampaignEffect",
    "GammaGamma",
    "HoldoutSplit",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "Report",
    "RetentionComparison",
    "Scorecard",
    "ShiftedBetaGeometric",
    "abc",
    "abc_xyz",
    "abc_xyz_matrix",
    "average_order_value",
    "backtest",
    "calibration_holdout_table",
    "campaign_effect",
    "clv_formula",
    "cohort_table",
    "compare_retention",
    "complaint_outcomes",
    "contact_compliance",
    "contact_plan",
    "crr",
    "customer_features",
    "customer_lifetime_value",
    "default_contact_cadence",
    "errors",
    "example_transactions",
    "forecast",
    "forecast_customers",
    "historical_value",
    "holdout_split",
    "kpis",
    "load_cdnow",
    "load_donations",
    "load_sbg_survival",
    "median_lifetime",
    "migration_matrix",
    "period_retention",
    "purchase_frequency",
    "repeat_purchase_rate",
    "report",
    "retention_curve",
    "rfm_scores",
    "rfm_segment_map",
    "rfm_segments",
    "rfm_summary",
    "rule_segments",
    "scorecard",
    "segment",
    "segment_history",
    "simulate_transactions",
    "stats",
    "survival_at",
    "survival_curve",
    "time_to_second_purchase",
    "tracking_table",
    "working_segment_rules",
    "working_segments",
    "xyz",
]


def __getattr__(name: str) -> object:
    """Import :mod:`retention.plot` on first use of ``rt.plot``."""
    if name == "plot":
        import importlib  # noqa: PLC0415  # only when rt.plot is used

        return importlib.import_module("retention.plot")
    msg = f"module 'retention' has no attribute {name!r}"
    raise AttributeError(msg)
