"""retention: customer-retention metrics on a numpy core with a pandas adapter.

Import it as ``import retention as rt``; every public function lives at the top level. Each name is imported
on first use (PEP 562), so ``import retention`` itself is instant and costs nothing for the parts a program
never touches: ``rt.cohort_table`` imports the cohort module (and pandas, numpy and scipy.special) the first
time it is looked up, and :mod:`retention.plot` (``rt.plot``) imports matplotlib only then.
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from collections.abc import Callable

    from retention import errors, stats
    from retention import plot as plot
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
    from retention.frames.campaign import (
        CampaignEffect,
        HoldoutSplit,
        campaign_effect,
        holdout_split,
    )
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


# The public modules; and where each public name is defined.
_MODULES: Final = frozenset({"errors", "stats", "plot"})
_WHERE: Final[dict[str, str]] = {
    "Backtest": "retention.frames.forecast",
    "BetaGeo": "retention.frames.beta_geo",
    "BetaGeoBetaBinom": "retention.frames.bgbb",
    "CampaignEffect": "retention.frames.campaign",
    "GammaGamma": "retention.frames.gamma_gamma",
    "HoldoutSplit": "retention.frames.campaign",
    "ModifiedBetaGeo": "retention.frames.beta_geo",
    "ParetoNBD": "retention.frames.pareto_nbd",
    "Report": "retention.report",
    "RetentionComparison": "retention.frames.compare",
    "Scorecard": "retention.frames.scorecard",
    "ShiftedBetaGeometric": "retention.frames.sbg",
    "abc": "retention.frames.classify",
    "abc_xyz": "retention.frames.classify",
    "abc_xyz_matrix": "retention.frames.classify",
    "average_order_value": "retention.frames.rates",
    "backtest": "retention.frames.forecast",
    "calibration_holdout_table": "retention.frames.value",
    "campaign_effect": "retention.frames.campaign",
    "clv_formula": "retention.core.clv.value",
    "cohort_table": "retention.frames.cohorts",
    "compare_retention": "retention.frames.compare",
    "complaint_outcomes": "retention.frames.complaints",
    "contact_compliance": "retention.frames.contacts",
    "contact_plan": "retention.frames.contacts",
    "crr": "retention.core.rates",
    "customer_features": "retention.frames.features",
    "customer_lifetime_value": "retention.frames.value",
    "default_contact_cadence": "retention.frames.contacts",
    "errors": "retention.errors",
    "example_transactions": "retention.datasets",
    "forecast": "retention.frames.forecast",
    "forecast_customers": "retention.frames.forecast",
    "historical_value": "retention.frames.value",
    "holdout_split": "retention.frames.campaign",
    "kpis": "retention.frames.kpis",
    "load_cdnow": "retention.datasets",
    "load_donations": "retention.datasets",
    "load_sbg_survival": "retention.datasets",
    "median_lifetime": "retention.frames.cohorts",
    "migration_matrix": "retention.frames.migration",
    "period_retention": "retention.frames.rates",
    "purchase_frequency": "retention.frames.rates",
    "repeat_purchase_rate": "retention.frames.rates",
    "report": "retention.report",
    "retention_curve": "retention.frames.cohorts",
    "rfm_scores": "retention.frames.rfm",
    "rfm_segment_map": "retention.frames.rfm",
    "rfm_segments": "retention.frames.rfm",
    "rfm_summary": "retention.frames.summary",
    "rule_segments": "retention.frames.segments",
    "scorecard": "retention.frames.scorecard",
    "segment": "retention.frames.segments",
    "segment_history": "retention.frames.migration",
    "simulate_transactions": "retention.datasets",
    "stats": "retention.stats",
    "survival_at": "retention.frames.cohorts",
    "survival_curve": "retention.frames.cohorts",
    "time_to_second_purchase": "retention.frames.rates",
    "tracking_table": "retention.frames.value",
    "working_segment_rules": "retention.frames.segments",
    "working_segments": "retention.frames.segments",
    "xyz": "retention.frames.classify",
    "plot": "retention.plot",
}


def __getattr__(name: str) -> object:
    """Import a public name on first use and keep it, as ``from retention... import name`` would."""
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'retention' has no attribute {name!r}"
        raise AttributeError(msg)
    imported = importlib.import_module(module)
    value = imported if name in _MODULES else getattr(imported, name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The package, whose public name ``report`` is the function, not the module that defines it."""

    def __setattr__(self, name: str, value: object) -> None:
        # Importing the module retention.report binds it as the package's attribute `report`, which
        # would hide the function; the module stays in sys.modules for `from retention.report import`.
        if isinstance(value, types.ModuleType) and name in _WHERE and name not in _MODULES:
            return
        super().__setattr__(name, value)

    def __reduce__(self) -> "tuple[Callable[[str], types.ModuleType], tuple[str]]":
        # Pickled by name, as a plain module is: a function sent to Dask or Spark workers that uses
        # ``rt.`` (a segmenter) imports the package there.
        return importlib.import_module, (self.__name__,)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    """List the public names too, before their first use."""
    return sorted(set(globals()) | set(_WHERE))
