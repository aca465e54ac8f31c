"""The model registry: every model value, declared once, drives the common model tests.

As ``tests/registry.py`` lists the functions that read transactions for ``test_common.py``, this lists the
model classes (``rt.BetaGeo`` ...) for ``tests/frames/test_models.py`` (construction, bad parameters,
keyword-only parameters, equality and hashing, pickling, the shared docstring sections, the spellings of
earlier releases) and ``tests/frames/test_broadcasting.py`` (every prediction method against an
independent loop of single-number calls). A new model adds one :class:`ModelCase` and its
:class:`Method` entries here; the model's own test module keeps only what is particular to it (the
published fits, the formulas by hand).

Each method is declared with three valid values per argument, chosen so that *every* combination of them
is a valid customer (``recency <= T`` for all pairs, and so on).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import retention as rt

CDNOW_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
CDNOW_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

# Customers of (frequency, recency, T): any frequency with any (recency, T) pair is valid.
FREQUENCY = [1.0, 2.0, 26.0]
RECENCY = [0.5, 10.0, 30.43]
AGE = [31.0, 38.86, 40.0]
# BG/BB customers: frequency <= recency <= n_periods for every combination.
BB_FREQUENCY = [1, 2, 3]
BB_RECENCY = [3, 4, 6]
BB_PERIODS = [6, 7, 10]


@dataclass(frozen=True)
class Method:
    """One prediction method, its arguments in call order and three valid values for each."""

    model: Any
    name: str
    args: Mapping[str, Sequence[float]]
    positional: tuple[str, ...] = ()
    fixed: dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{type(self.model).__name__}.{self.name}"

    def __call__(self, **values: Any) -> Any:
        args = [values.pop(name) for name in self.positional]
        return getattr(self.model, self.name)(*args, **values, **self.fixed)

    def at(self, picks: dict[str, int]) -> float:
        """The prediction for one combination of values, by index, from a single-number call."""
        result = self(**{name: self.args[name][k] for name, k in picks.items()})
        assert type(result) is float
        return float(result)


def frequency_recency_methods(model: Any) -> list[Method]:
    customers = {"frequency": FREQUENCY, "recency": RECENCY, "T": AGE}
    methods = [
        Method(model, "p_alive", {**customers, "t": [0.0, 13.0, 52.0]}),
        Method(model, "conditional_expected_purchases", {"t": [1.0, 26.0, 52.5], **customers}),
        Method(model, "expected_purchases", {"t": [0.0, 13.0, 52.0]}, positional=("t",)),
        Method(
            model,
            "probability_of_purchases",
            {"n": [0, 1, 3], "t": [1.0, 13.0, 52.0]},
            positional=("n", "t"),
        ),
    ]
    if isinstance(model, rt.ParetoNBD):
        methods.append(
            Method(
                model,
                "discounted_expected_residual_transactions",
                customers,
                fixed={"continuous_discount_rate": math.log(1.15) / 52},
            )
        )
    return methods


def all_methods() -> list[Method]:
    """Every prediction method of every model, with valid values for its arguments."""
    bb_customers = {"frequency": BB_FREQUENCY, "recency": BB_RECENCY, "n_periods": BB_PERIODS}
    bgbb = rt.BetaGeoBetaBinom(**DONATIONS)
    sbg = rt.ShiftedBetaGeometric(**SBG)
    return [
        *frequency_recency_methods(rt.BetaGeo(**CDNOW_BG)),
        *frequency_recency_methods(rt.ModifiedBetaGeo(**CDNOW_MBG)),
        *frequency_recency_methods(rt.ParetoNBD(**CDNOW_PARETO)),
        Method(
            rt.GammaGamma(**GAMMA_GAMMA),
            "conditional_expected_spend",
            {"frequency": [0, 1, 4], "monetary_value": [5.0, 20.0, 35.5]},
        ),
        Method(bgbb, "p_alive", bb_customers),
        Method(bgbb, "expected_purchases", {"t": [0, 1, 11]}, positional=("t",)),
        Method(bgbb, "conditional_expected_purchases", {"t": [0, 1, 5], **bb_customers}),
        Method(
            bgbb,
            "discounted_expected_residual_transactions",
            bb_customers,
            fixed={"discount_rate": 0.1},
        ),
        Method(
            bgbb,
            "probability_of_purchases",
            {"n": [0, 1, 6], "t": [0, 3, 6]},
            positional=("n", "t"),
        ),
        Method(sbg, "survival", {"t": [0, 1, 7]}, positional=("t",)),
        Method(sbg, "retention_rate", {"t": [1, 2, 12]}, positional=("t",)),
        Method(sbg, "churn_probability", {"t": [1, 2, 5]}, positional=("t",)),
        Method(
            sbg,
            "discounted_expected_residual_lifetime",
            {"renewals": [0, 4, 10]},
            positional=("renewals",),
            fixed={"discount_rate": 0.1},
        ),
    ]


def ten_patterns() -> pd.DataFrame:
    """Ten purchase patterns of (frequency, recency, T) and how many customers show each."""
    return pd.DataFrame(
        {
            "frequency": [0, 0, 1, 1, 2, 3, 5, 1, 0, 2],
            "recency": [0.0, 0.0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0.0, 10.0],
            "T": [38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0],
            "customers": [500, 200, 80, 60, 40, 30, 20, 30, 100, 20],
        },
        index=pd.Index(list("abcdefghij"), name="customer_id"),
    )


def donor_patterns() -> pd.DataFrame:
    """The expected pattern counts of 10,000 donors over 4 opportunities under the donation estimates."""
    return pd.DataFrame(
        {
            "frequency": [0, 1, 1, 2, 1, 2, 3, 1, 2, 3, 4],
            "recency": [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4],
            "n_periods": 4,
            "donors": [3308, 1120, 382, 604, 252, 443, 537, 209, 503, 921, 1720],
        },
        index=pd.Index(list("abcdefghijk"), name="pattern"),
    )


def _fit_frequency_recency(model: Any) -> Any:
    data = ten_patterns()
    return model.fit(data, weights=data["customers"])


def _fit_gamma_gamma(model: Any) -> Any:
    return model.fit(rt.rfm_summary(rt.example_transactions(), time_unit="W", amount="amount"))


def _fit_bgbb(model: Any) -> Any:
    data = donor_patterns()
    return model.fit(data, weights=data["donors"])


def _fit_sbg(model: Any) -> Any:
    return model.fit([1000, 631, 468, 382, 326, 289, 262, 241])  # Fader & Hardie (2007), regular


@dataclass(frozen=True)
class ModelCase:
    """One model class: published parameters, its repr with them, and how to fit it to small data."""

    model: Any
    params: dict[str, float]
    repr: str
    fit: Callable[[Any], Any]
    columns: tuple[str, ...] = ()  # the summary columns it reads (none for the sBG)

    @property
    def id(self) -> str:
        return str(self.model.__name__)

    def known(self) -> Any:
        return self.model(**self.params)


GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
SBG = {"alpha": 0.704, "beta": 1.182}
FREQUENCY_RECENCY = ("frequency", "recency", "T")

MODELS: list[ModelCase] = [
    ModelCase(
        rt.BetaGeo,
        CDNOW_BG,
        "BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)",
        _fit_frequency_recency,
        FREQUENCY_RECENCY,
    ),
    ModelCase(
        rt.ModifiedBetaGeo,
        CDNOW_BG,
        "ModifiedBetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)",
        _fit_frequency_recency,
        FREQUENCY_RECENCY,
    ),
    ModelCase(
        rt.ParetoNBD,
        CDNOW_PARETO,
        "ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)",
        _fit_frequency_recency,
        FREQUENCY_RECENCY,
    ),
    ModelCase(
        rt.GammaGamma,
        GAMMA_GAMMA,
        "GammaGamma(p=6.25, q=3.74, gamma=15.44)",
        _fit_gamma_gamma,
        ("frequency", "monetary_value"),
    ),
    ModelCase(
        rt.BetaGeoBetaBinom,
        DONATIONS,
        "BetaGeoBetaBinom(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)",
        _fit_bgbb,
        ("frequency", "recency", "n_periods"),
    ),
    ModelCase(
        rt.ShiftedBetaGeometric, SBG, "ShiftedBetaGeometric(alpha=0.704, beta=1.182)", _fit_sbg
    ),
]
