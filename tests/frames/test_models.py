"""The common model tests, driven by the model registry (tests/frames/model_registry.py).

Every model value (``rt.BetaGeo``, ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD``, ``rt.GammaGamma``,
``rt.BetaGeoBetaBinom``, ``rt.ShiftedBetaGeometric``) gets these checks from its one registry entry:
construction from known parameters, bad parameter values, keyword-only parameters, immutability, equality
and hashing by the parameters, pickling, the docstring sections the base writes, the plumbing of the base
(``fit`` reads only the model's columns), and the spellings of earlier releases, which still work with a
DeprecationWarning and give the same result. Broadcasting is in test_broadcasting.py, from the same
registry; what is particular to a model is in its own module.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import InvalidParameterError
from retention.frames.models import CustomerModel, SummaryModel
from tests.frames.model_registry import (
    CDNOW_BG,
    CDNOW_PARETO,
    DONATIONS,
    MODELS,
    ModelCase,
    all_methods,
    donor_patterns,
    ten_patterns,
)

EVERY_MODEL = pytest.mark.parametrize("case", MODELS, ids=[c.id for c in MODELS])
BAD_VALUES = [-1.0, 0.0, math.nan, math.inf, "1", True, None]


@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    """Each model fitted once to its small data set."""
    return {case.id: case.fit(case.model) for case in MODELS}


# --- construction ----------------------------------------------------------------------------------------


def test_the_registry_lists_every_model() -> None:
    public = {
        name
        for name in rt.__all__
        if isinstance(getattr(rt, name), type) and issubclass(getattr(rt, name), CustomerModel)
    }
    assert public == {case.id for case in MODELS}


@EVERY_MODEL
def test_known_parameters(case: ModelCase) -> None:
    m = case.known()
    assert m.params == case.params
    assert list(m.params) == list(case.model._likelihood.params)
    assert math.isnan(m.loglik)
    assert m.n_customers == 0
    assert list(m.standard_errors) == list(case.params)
    assert all(math.isnan(v) for v in m.standard_errors.values())
    table = m.summary()
    assert list(table.columns) == ["estimate", "standard_error", "lower_95", "upper_95"]
    assert list(table.index) == list(case.params)
    assert table.index.name == "parameter"
    np.testing.assert_array_equal(table["estimate"], list(case.params.values()))
    assert table[["standard_error", "lower_95", "upper_95"]].isna().all().all()
    assert m.covariance.isna().all().all()
    assert list(m.covariance.index) == list(m.covariance.columns) == list(case.params)
    assert repr(m) == case.repr


@EVERY_MODEL
def test_parameters_are_stored_as_floats(case: ModelCase) -> None:
    m = case.model(**{name: np.int64(2) for name in case.params})
    assert all(type(getattr(m, name)) is float for name in case.params)
    assert m == case.model(**dict.fromkeys(case.params, 2.0))


@EVERY_MODEL
@pytest.mark.parametrize("bad", BAD_VALUES)
def test_bad_parameter_values(case: ModelCase, bad: object) -> None:
    for name in case.params:
        with pytest.raises(
            InvalidParameterError, match=f"The '{name}' parameter of {case.id} must be a positive"
        ):
            case.model(**(case.params | {name: bad}))


@EVERY_MODEL
def test_parameters_are_keyword_only(case: ModelCase) -> None:
    with pytest.raises(TypeError):
        case.model(*case.params.values())
    with pytest.raises(TypeError):
        case.model(**dict(list(case.params.items())[1:]))  # one missing


# --- a value: immutable, equal by parameters, picklable ----------------------------------------------------


@EVERY_MODEL
def test_is_immutable_and_compares_by_parameters(case: ModelCase, fitted: dict[str, Any]) -> None:
    m = case.known()
    for name in case.params:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(m, name, 1.0)
    assert m == case.known()
    assert hash(m) == hash(case.known())
    fit = fitted[case.id]
    assert fit == case.model(**fit.params)  # the fit statistics do not take part
    assert hash(fit) == hash(case.model(**fit.params))
    assert m != fit
    other = next(c for c in MODELS if c.model is not case.model)
    assert m != other.known()


@EVERY_MODEL
def test_pickling_keeps_the_value_and_the_fit(case: ModelCase, fitted: dict[str, Any]) -> None:
    for m in (case.known(), fitted[case.id]):
        copy = pickle.loads(pickle.dumps(m))
        assert copy == m
        assert type(copy) is type(m)
        assert copy.loglik == m.loglik or math.isnan(m.loglik)
        assert copy.n_customers == m.n_customers
        pd.testing.assert_frame_equal(copy.summary(), m.summary())


def test_pickled_models_predict_the_same() -> None:
    for method in all_methods():
        copy = pickle.loads(pickle.dumps(method.model))
        values = {n: list(v) for n, v in method.args.items()}
        positional = [values.pop(n) for n in method.positional]
        got = getattr(copy, method.name)(*positional, **values, **method.fixed)
        np.testing.assert_array_equal(got, method(**{n: list(v) for n, v in method.args.items()}))


@EVERY_MODEL
def test_fitted_models_carry_their_fit(case: ModelCase, fitted: dict[str, Any]) -> None:
    m = fitted[case.id]
    assert math.isfinite(m.loglik)
    assert m.n_customers > 0
    se = np.array(list(m.standard_errors.values()))
    assert np.isfinite(se).all()
    np.testing.assert_allclose(np.sqrt(np.diag(m.covariance)), se, rtol=1e-12)


# --- the plumbing of the base ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", [c for c in MODELS if c.columns], ids=[c.id for c in MODELS if c.columns]
)
def test_fit_reads_the_declared_columns_and_no_other_keyword(case: ModelCase) -> None:
    assert issubclass(case.model, SummaryModel)
    assert case.model._columns == case.columns
    with pytest.raises(
        TypeError, match=rf"{case.id}\.fit\(\) got an unexpected keyword argument 'x'"
    ):
        case.model.fit(x=[1.0])
    signature = inspect.signature(case.model.fit)
    kinds = {p.name: p.kind for p in signature.parameters.values()}
    assert kinds["summary"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert kinds["weights"] is inspect.Parameter.KEYWORD_ONLY


@EVERY_MODEL
def test_customers_and_options_are_keyword_only(case: ModelCase) -> None:
    """Customers' columns and options (rates) are keyword-only; only summary and horizons are positional."""
    positional_names = {"self", "summary", "t", "n", "renewals", "active"}
    for name, member in inspect.getmembers(case.model, callable):
        if name.startswith("_") or name in {"fit"}:
            continue
        for p in inspect.signature(member).parameters.values():
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
                assert p.name in positional_names, f"{case.id}.{name}: {p.name}"


@EVERY_MODEL
def test_docstrings_have_the_shared_sections(case: ModelCase) -> None:
    doc = case.model.__doc__ or ""
    for section in ("Parameters", "Attributes", "Raises", "See Also", "Notes", "Examples"):
        assert f"\n    {section}\n    {'-' * len(section)}\n" in doc, section
    for attribute in (
        "params : dict",
        "loglik : float",
        "standard_errors : dict",
        "n_customers : float",
    ):
        assert f"\n    {attribute}\n" in doc
    assert "InvalidParameterError\n        If a parameter is not a positive finite number." in doc
    for name, member in inspect.getmembers(case.model, callable):
        if name.startswith("_"):
            continue
        text = member.__doc__ or ""
        # No marker left unfilled: every "<...>" line of a base docstring got the model's text.
        assert not [line for line in text.splitlines() if line.strip().startswith("<")], name
        if name in {"fit", "p_alive", "conditional_expected_purchases", "probability_of_purchases"}:
            assert "Notes\n        -----" in text, name


# --- one name and one order per idea ----------------------------------------------------------------------


def test_probability_of_purchases_is_n_purchases_in_time_t_in_every_model() -> None:
    for model, params, t in (
        (rt.BetaGeo, CDNOW_BG, 6.0),
        (rt.ParetoNBD, CDNOW_PARETO, 6.0),
        (rt.BetaGeoBetaBinom, DONATIONS, 6),
    ):
        m = model(**params)
        assert list(inspect.signature(m.probability_of_purchases).parameters) == ["n", "t"]
        probs = m.probability_of_purchases(np.arange(7), t)
        assert probs.sum() == pytest.approx(1.0, rel=1e-9) or model is not rt.BetaGeoBetaBinom
        np.testing.assert_array_equal(probs, m.probability_of_purchases(n=np.arange(7), t=t))
    # BG/BB: no more than t purchases in t opportunities.
    assert rt.BetaGeoBetaBinom(**DONATIONS).probability_of_purchases(7, 6) == 0.0


def test_predictions_take_the_customers_first_then_the_horizon() -> None:
    for m, summary in (
        (rt.BetaGeo(**CDNOW_BG), ten_patterns()),
        (rt.ParetoNBD(**CDNOW_PARETO), ten_patterns()),
        (rt.BetaGeoBetaBinom(**DONATIONS), donor_patterns()),
    ):
        for method in ("p_alive", "conditional_expected_purchases"):
            names = list(inspect.signature(getattr(m, method)).parameters)
            if "t" in names:
                assert names[:2] == ["summary", "t"], method
        positional = m.conditional_expected_purchases(summary, 4)
        keywords = m.conditional_expected_purchases(summary=summary, t=4)
        pd.testing.assert_series_equal(positional, keywords)
    m = rt.BetaGeo(**CDNOW_BG)
    pd.testing.assert_series_equal(m.p_alive(ten_patterns(), 4.0), m.p_alive(ten_patterns(), t=4.0))


def test_a_missing_horizon_is_named() -> None:
    with pytest.raises(TypeError, match=r"missing 1 required argument: 't'"):
        rt.BetaGeo(**CDNOW_BG).conditional_expected_purchases(ten_patterns())
    with pytest.raises(TypeError, match=r"missing 1 required argument: 't'"):
        rt.BetaGeoBetaBinom(**DONATIONS).conditional_expected_purchases(
            frequency=1, recency=1, n_periods=2
        )


# --- the spellings of earlier releases: a DeprecationWarning, the same result ---------------------------


def _old(call: Any) -> Any:
    with pytest.warns(DeprecationWarning, match="deprecated") as record:
        result = call()
    assert len(record) == 1
    assert record[0].filename == __file__  # the warning points at the caller's line
    return result


@pytest.mark.parametrize(
    ("model", "summary", "t"),
    [
        (rt.BetaGeo(**CDNOW_BG), ten_patterns(), 39.0),
        (rt.ModifiedBetaGeo(**CDNOW_BG), ten_patterns(), 39.0),
        (rt.ParetoNBD(**CDNOW_PARETO), ten_patterns(), 39.0),
        (rt.BetaGeoBetaBinom(**DONATIONS), donor_patterns(), 5),
    ],
    ids=["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom"],
)
def test_the_horizon_first_still_works_with_a_warning(model: Any, summary: Any, t: Any) -> None:
    new = model.conditional_expected_purchases(summary, t)
    old = _old(lambda: model.conditional_expected_purchases(t, summary))
    pd.testing.assert_series_equal(old, new)
    columns = {name: summary[name].to_numpy() for name in model._columns}
    new_arrays = model.conditional_expected_purchases(t=[[t], [1]], **columns)
    old_arrays = _old(lambda: model.conditional_expected_purchases([[t], [1]], **columns))
    np.testing.assert_array_equal(old_arrays, new_arrays)
    np.testing.assert_array_equal(new_arrays[0], new.to_numpy())


def test_the_continuous_rate_of_pareto_nbd_dert_has_its_own_name() -> None:
    m = rt.ParetoNBD(**CDNOW_PARETO)
    rate = math.log(1.15) / 52
    new = m.discounted_expected_residual_transactions(ten_patterns(), continuous_discount_rate=rate)
    old = _old(
        lambda: m.discounted_expected_residual_transactions(ten_patterns(), discount_rate=rate)
    )
    pd.testing.assert_series_equal(old, new)
    with pytest.raises(TypeError, match="not both"):
        m.discounted_expected_residual_transactions(
            ten_patterns(), continuous_discount_rate=rate, discount_rate=rate
        )
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument"):
        m.discounted_expected_residual_transactions(ten_patterns())  # type: ignore[call-overload]


def test_new_spellings_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = rt.ParetoNBD(**CDNOW_PARETO)
        m.conditional_expected_purchases(ten_patterns(), 10.0)
        m.conditional_expected_purchases(t=10.0, frequency=1, recency=2.0, T=3.0)
        m.discounted_expected_residual_transactions(ten_patterns(), continuous_discount_rate=0.01)
        m.p_alive(ten_patterns())
