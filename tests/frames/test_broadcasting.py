"""Predictions broadcast like numpy ufuncs (issue 9): every prediction method of every model.

Each method is declared once in the model registry (``tests/frames/model_registry.py``) with three valid
values per argument, chosen so that *every* combination of them is a valid customer (``recency <= T`` for
all pairs, and so on). The tests then call
the method with numbers, 0-d arrays, lists, 1-D arrays and grids, and compare with an independent loop over
single-number calls. Fitting is not touched: it still takes one-dimensional columns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import retention as rt
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionError,
)
from tests.frames.model_registry import (
    AGE,
    BB_FREQUENCY,
    BB_PERIODS,
    BB_RECENCY,
    CDNOW_BG,
    CDNOW_PARETO,
    DONATIONS,
    FREQUENCY,
    RECENCY,
    Method,
    all_methods,
)

METHODS = all_methods()
EVERY_METHOD = pytest.mark.parametrize("method", METHODS, ids=[m.id for m in METHODS])
SEVERAL_ARGUMENTS = [m for m in METHODS if len(m.args) > 1]


def _loop(method: Method, index_arrays: dict[str, np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    """Evaluate entry by entry with single-number calls: the reference for broadcasting."""
    names = list(index_arrays)
    grids = np.broadcast_arrays(*index_arrays.values())
    out = np.empty(grids[0].shape if grids else ())
    for position in np.ndindex(out.shape):
        out[position] = method.at({n: int(g[position]) for n, g in zip(names, grids, strict=True)})
    return out


def _same(got: object, expected: object) -> None:
    """Equal to rounding: some cores (the BG/BB likelihood) sum the terms of all rows in one flat layout,
    so an entry computed among others can differ from the same entry alone in the last bit."""
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-13, atol=0)


def _values(method: Method, index_arrays: dict[str, np.ndarray[Any, Any]]) -> dict[str, Any]:
    return {n: np.asarray(method.args[n])[k] for n, k in index_arrays.items()}


# --- numbers, 0-d arrays, lists ----------------------------------------------------------------------


@EVERY_METHOD
@pytest.mark.parametrize("k", [0, 1, 2])
def test_numbers_give_a_float_equal_to_the_entry_of_the_array_result(
    method: Method, k: int
) -> None:
    scalar = method.at(dict.fromkeys(method.args, k))
    whole = method(**{n: np.asarray(v) for n, v in method.args.items()})
    assert isinstance(whole, np.ndarray)
    assert whole.shape == (3,)
    _same(scalar, whole[k])


@EVERY_METHOD
def test_zero_dimensional_arrays_act_as_numbers(method: Method) -> None:
    zero_d = method(**{n: np.asarray(v[1]) for n, v in method.args.items()})
    numpy_scalars = method(**{n: np.float64(v[1]) for n, v in method.args.items()})
    assert type(zero_d) is float
    assert type(numpy_scalars) is float
    assert zero_d == numpy_scalars
    _same(zero_d, method.at(dict.fromkeys(method.args, 1)))


@EVERY_METHOD
def test_lists_equal_arrays(method: Method) -> None:
    from_lists = method(**{n: list(v) for n, v in method.args.items()})
    from_arrays = method(**{n: np.asarray(v, dtype=np.float64) for n, v in method.args.items()})
    np.testing.assert_array_equal(from_lists, from_arrays)
    nested = method(**{n: [[x] for x in v] for n, v in method.args.items()})
    assert nested.shape == (3, 1)
    np.testing.assert_array_equal(nested[:, 0], from_arrays)


@pytest.mark.parametrize("method", SEVERAL_ARGUMENTS, ids=[m.id for m in SEVERAL_ARGUMENTS])
def test_numbers_broadcast_with_arrays(method: Method) -> None:
    for name in method.args:  # one argument an array, the others numbers
        indices = {n: (np.arange(3) if n == name else np.asarray(1)) for n in method.args}
        got = method(**_values(method, indices))
        assert got.shape == (3,)
        _same(got, _loop(method, indices))


# --- grids ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", SEVERAL_ARGUMENTS, ids=[m.id for m in SEVERAL_ARGUMENTS])
def test_a_column_against_rows_gives_the_grid_of_every_combination(method: Method) -> None:
    for column in method.args:  # each argument in turn as the column, the others as rows
        indices = {
            n: (np.arange(3)[:, None] if n == column else np.array([2, 0, 1])) for n in method.args
        }
        got = method(**_values(method, indices))
        assert got.shape == (3, 3)
        _same(got, _loop(method, indices))


@EVERY_METHOD
def test_higher_dimensions_keep_their_shape(method: Method) -> None:
    names = list(method.args)
    indices = {n: np.arange(3).reshape((3,) + (1,) * i) for i, n in enumerate(names)}
    got = method(**_values(method, indices))
    assert got.shape == (3,) * len(names)
    _same(got, _loop(method, indices))


def test_the_issue_example_returns_a_float() -> None:
    m = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    got = m.conditional_expected_purchases(t=52, frequency=26, recency=30.86, T=31)
    assert type(got) is float
    one = m.conditional_expected_purchases(t=52, frequency=[26], recency=[30.86], T=[31])
    assert got == one[0]
    grid = m.conditional_expected_purchases(
        t=52, frequency=np.array([[0], [2], [26]]), recency=np.array([0.0, 0.0, 0.0]), T=31
    )
    assert grid.shape == (3, 3)


# --- the property -------------------------------------------------------------------------------------


@given(data=st.data())
@pytest.mark.parametrize("method", METHODS, ids=[m.id for m in METHODS])
def test_broadcasting_equals_elementwise_evaluation(method: Method, data: st.DataObject) -> None:
    names = list(method.args)
    shapes = data.draw(
        mutually_broadcastable_shapes(num_shapes=len(names), max_dims=3, max_side=3), label="shapes"
    )
    indices: dict[str, np.ndarray[Any, Any]] = {}
    for name, shape in zip(names, shapes.input_shapes, strict=True):
        flat = data.draw(
            st.lists(st.integers(0, 2), min_size=math.prod(shape), max_size=math.prod(shape)),
            label=name,
        )
        indices[name] = np.asarray(flat, dtype=np.int64).reshape(shape)
    got = method(**_values(method, indices))
    expected = _loop(method, indices)
    if shapes.result_shape == ():
        assert type(got) is float
    else:
        assert isinstance(got, np.ndarray)
        assert got.shape == shapes.result_shape
    _same(got, expected)


# --- shapes that do not broadcast -----------------------------------------------------------------------


@pytest.mark.parametrize("method", SEVERAL_ARGUMENTS, ids=[m.id for m in SEVERAL_ARGUMENTS])
def test_shapes_that_do_not_broadcast_are_refused(method: Method) -> None:
    first, second, *rest = method.args
    values = {
        first: method.args[first],
        second: method.args[second][:2],
        **{n: method.args[n][0] for n in rest},
    }
    pattern = (
        rf"The arguments passed to {method.id} must broadcast together like numpy arrays.*"
        rf"got shapes (?=[^.]*\b{first} \(3,\))(?=[^.]*\b{second} \(2,\))"
    )
    with pytest.raises(InvalidValueError, match=pattern):
        method(**values)
    grid = {**values, second: [method.args[second][:2]] * 2}  # (2, 2) against (3,)
    with pytest.raises(InvalidValueError, match=rf"{second} \(2, 2\)"):
        method(**grid)


@pytest.mark.parametrize("method", METHODS, ids=[m.id for m in METHODS])
def test_values_that_are_no_array_of_numbers_are_refused_by_name(method: Method) -> None:
    # Each argument in turn: ragged lists (numpy refuses them), text, booleans; the others valid.
    for name in method.args:
        for bad in ([[1.0, 2.0], [1.0]], ["a", "b", "c"], [True, False, True]):
            values = {n: v for n, v in method.args.items() if n != name}
            with pytest.raises(RetentionError, match=rf"'{name}' (values|parameter) ") as caught:
                method(**values, **{name: bad})
            assert isinstance(caught.value, ColumnTypeError | InvalidParameterError)


@pytest.mark.parametrize("model", [rt.BetaGeo, rt.ModifiedBetaGeo, rt.ParetoNBD])
def test_the_horizon_is_named_among_the_shapes(model: Any) -> None:
    params = CDNOW_PARETO if model is rt.ParetoNBD else CDNOW_BG
    with pytest.raises(
        InvalidValueError, match=r"got shapes frequency \(3,\), recency \(3,\), T \(3,\), t \(2,\)"
    ):
        model(**params).conditional_expected_purchases(
            t=[13.0, 26.0], frequency=FREQUENCY, recency=RECENCY, T=AGE
        )


# --- a summary frame ----------------------------------------------------------------------------------


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {"frequency": FREQUENCY, "recency": RECENCY, "T": AGE},
        index=pd.Index([622, 623, 624], name="customer_id"),
    )


def test_a_summary_with_a_column_twice_is_refused() -> None:
    twice = pd.concat([_summary(), _summary()[["T"]]], axis=1)
    with pytest.raises(InvalidValueError, match=r"has the column 'T' more than once\. Rename"):
        rt.BetaGeo(**CDNOW_BG).p_alive(twice)


@pytest.mark.parametrize("model", [rt.BetaGeo, rt.ModifiedBetaGeo, rt.ParetoNBD])
def test_a_summary_gives_a_series_by_customer_and_needs_a_single_horizon(model: Any) -> None:
    m = model(**(CDNOW_PARETO if model is rt.ParetoNBD else CDNOW_BG))
    summary = _summary()
    for horizon in (26, np.float64(26.0), np.asarray(26)):
        got = m.conditional_expected_purchases(summary, horizon)
        assert isinstance(got, pd.Series)
        assert got.index.equals(summary.index)
        np.testing.assert_array_equal(
            got.to_numpy(),
            m.conditional_expected_purchases(t=26, frequency=FREQUENCY, recency=RECENCY, T=AGE),
        )
    with pytest.raises(
        InvalidParameterError,
        match=r"The 't' parameter of .*conditional_expected_purchases must be a single number when a "
        r"summary frame is passed .* got shape \(2,\)\. .*frequency=summary\['frequency'\]\.to_numpy\(\)\[:, None\]",
    ):
        m.conditional_expected_purchases(summary, [13, 26])
    with pytest.raises(
        InvalidParameterError, match=r"'t' parameter of .*p_alive must be a single number"
    ):
        m.p_alive(summary, t=[0.0])
    assert isinstance(m.p_alive(summary, t=13.0), pd.Series)


def test_a_bgbb_summary_needs_a_single_horizon() -> None:
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    summary = pd.DataFrame({"frequency": BB_FREQUENCY, "recency": BB_RECENCY, "T": BB_PERIODS})
    got = m.conditional_expected_purchases(summary, 5)
    assert isinstance(got, pd.Series)
    with pytest.raises(InvalidParameterError, match=r"'t' parameter .* single number .*\(3,\)"):
        m.conditional_expected_purchases(summary, [1, 2, 5])  # type: ignore[call-overload]


# --- checks on broadcast arrays -----------------------------------------------------------------------


def test_rules_are_checked_entry_by_entry_after_broadcasting() -> None:
    m = rt.BetaGeo(**CDNOW_BG)
    with pytest.raises(
        InvalidValueError,
        match=r"must not exceed T: 2 customers, the first at position \(0, 1\) \(recency 40\.0, T 38\.0\)",
    ):
        m.p_alive(frequency=[[1], [2]], recency=[5.0, 40.0], T=38.0)
    with pytest.raises(
        InvalidValueError, match=r"must not exceed T: 1 customer \(recency 6\.0, T 5\.0\)\."
    ):
        m.p_alive(frequency=1, recency=6.0, T=5.0)
    with pytest.raises(
        InvalidValueError,
        match=r"must be 0 for customers without repeat purchases \(frequency 0\): 1 customer, the "
        r"first at position \(1, 0\) \(frequency 0\.0, recency 3\.0, T 10\.0\)",
    ):
        m.conditional_expected_purchases(
            t=10.0, frequency=[[1], [0]], recency=[3.0, 0.0], T=[[10.0]]
        )
    with pytest.raises(InvalidValueError, match=r"frequency passed to .* must be whole numbers"):
        m.p_alive(frequency=np.full((2, 2), 1.5), recency=1.0, T=2.0)
    with pytest.raises(
        InvalidValueError, match=r"monetary_value passed to .* must be positive .* position 2"
    ):
        rt.GammaGamma(p=6.25, q=3.74, gamma=15.44).conditional_expected_spend(
            frequency=[0, 0, 2], monetary_value=-1.0
        )
    with pytest.raises(InvalidValueError, match=r"frequency passed to .* must not exceed recency"):
        rt.BetaGeoBetaBinom(**DONATIONS).p_alive(frequency=[[4], [1]], recency=3, n_periods=6)


def test_messages_show_plain_values() -> None:
    m = rt.BetaGeo(**CDNOW_BG)
    summary = _summary()
    summary.loc[623, "recency"] = 50.0
    with pytest.raises(
        InvalidValueError, match=r"the first at index 623 \(recency 50\.0, T 38\.86\)"
    ):
        m.p_alive(summary)
    with pytest.raises(InvalidParameterError, match=r"must be finite and >= 0\. Got -3\.$"):
        m.expected_purchases(np.int64(-3))
    with pytest.raises(InvalidParameterError, match=r"Got -52 at position \(1, 0\)\.$"):
        m.expected_purchases([[0], [-52]])
    with pytest.raises(InvalidParameterError, match=r"Got nan at position 1\.$"):
        m.conditional_expected_purchases(t=np.array([1.0, np.nan]), frequency=1, recency=1.0, T=2.0)
    with pytest.raises(
        InvalidParameterError, match=r"'n' parameter .* whole numbers >= 0\. Got 1\.5\.$"
    ):
        m.probability_of_purchases(np.float64(1.5), 10.0)
    with pytest.raises(InvalidParameterError, match=r"must be numbers .* Got 'soon'\.$"):
        m.expected_purchases(np.str_("soon"))
    with pytest.raises(InvalidParameterError, match=r"Got -1\.0\.$"):
        rt.BetaGeo(r=np.float64(-1.0), alpha=1.0, a=1.0, b=1.0)
    with pytest.raises(InvalidParameterError, match=r"Got -1\.$"):
        rt.BetaGeoBetaBinom(**DONATIONS).discounted_expected_residual_transactions(
            frequency=1,
            recency=1,
            n_periods=2,
            discount_rate=np.int64(-1),  # type: ignore[call-overload]
        )
    sbg = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    with pytest.raises(InvalidParameterError, match=r"whole numbers >= 1: .* Got 0\.$"):
        sbg.retention_rate(np.array([[2], [0]]))
    counts = pd.DataFrame(
        [[100, 60, 70]], index=pd.Index([2020]), columns=pd.Index([0, 1, 2], dtype=np.int64)
    )
    with pytest.raises(
        InvalidValueError, match=r"cohort 2020 has 60 at period 1 and 70 at period 2"
    ):
        rt.ShiftedBetaGeometric.fit(counts)
    shuffled = counts.set_axis(pd.Index([1, 0, 2], dtype=np.int64), axis=1)
    with pytest.raises(InvalidValueError, match=r"got \[1, 0, 2\]"):
        rt.ShiftedBetaGeometric.fit(shuffled)


# --- empty input --------------------------------------------------------------------------------------


def test_empty_arrays_give_empty_results_of_the_broadcast_shape() -> None:
    m = rt.BetaGeo(**CDNOW_BG)
    got = m.p_alive(frequency=[], recency=[], T=[])
    assert got.shape == (0,)
    got = m.conditional_expected_purchases(t=np.zeros((2, 1)), frequency=[], recency=[], T=[])
    assert got.shape == (2, 0)
    assert rt.BetaGeoBetaBinom(**DONATIONS).probability_of_purchases([], 3).shape == (0,)


# --- fitting is unchanged -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [rt.BetaGeo, rt.ModifiedBetaGeo, rt.ParetoNBD])
def test_fit_still_takes_one_dimensional_columns_of_one_length(model: Any) -> None:
    with pytest.raises(
        InvalidValueError,
        match="one entry per customer each; got lengths frequency 3, recency 3, T 2",
    ):
        model.fit(frequency=[1, 0, 2], recency=[3.0, 0.0, 5.0], T=[10.0, 8.0])
    with pytest.raises(InvalidValueError, match=r"'frequency' values .* must be one-dimensional"):
        model.fit(frequency=[[1, 0, 2]], recency=[3.0, 0.0, 5.0], T=[10.0, 8.0, 6.0])
    with pytest.raises(InvalidValueError, match=r"must be one-dimensional .* got shape \(\)"):
        model.fit(frequency=1, recency=[3.0], T=[10.0])
    params = CDNOW_PARETO if model is rt.ParetoNBD else CDNOW_BG
    with pytest.raises(
        InvalidValueError,
        match=r"must broadcast together .* frequency \(3,\), recency \(3,\), T \(2,\)",
    ):
        model(**params).p_alive(frequency=[1, 0, 2], recency=[3.0, 0.0, 5.0], T=[10.0, 8.0])


def test_bgbb_and_gamma_gamma_fit_still_take_one_dimensional_columns() -> None:
    with pytest.raises(
        InvalidValueError,
        match="one entry per customer each; got lengths frequency 5, recency 5, n_periods 2",
    ):
        rt.BetaGeoBetaBinom.fit(
            frequency=[1, 0, 2, 3, 1], recency=[3, 0, 5, 4, 1], n_periods=[6, 6]
        )
    with pytest.raises(
        InvalidValueError,
        match=r"broadcast together .* frequency \(5,\), recency \(5,\), n_periods \(2,\)",
    ):
        rt.BetaGeoBetaBinom(**DONATIONS).p_alive(
            frequency=[1, 0, 2, 3, 1], recency=[3, 0, 5, 4, 1], n_periods=[6, 6]
        )
    with pytest.raises(InvalidValueError, match="one-dimensional"):
        rt.GammaGamma.fit(frequency=[[1, 2, 3, 4, 5]], monetary_value=[[1.0, 2.0, 3.0, 4.0, 5.0]])


def test_arguments_are_not_modified() -> None:
    frequency = np.array([[1.0], [2.0]])
    recency = np.array([0.5, 10.0])
    before = frequency.copy(), recency.copy()
    rt.ParetoNBD(**CDNOW_PARETO).conditional_expected_purchases(
        t=26.0, frequency=frequency, recency=recency, T=40.0
    )
    np.testing.assert_array_equal(frequency, before[0])
    np.testing.assert_array_equal(recency, before[1])


def test_value_functions_that_call_the_models_still_work() -> None:
    # customer_lifetime_value calls conditional_expected_purchases(t=..., frequency=..., ...) with 1-D arrays.
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", amount="amount")
    clv = rt.customer_lifetime_value(
        rt.BetaGeo(**CDNOW_BG),
        rt.GammaGamma(p=6.25, q=3.74, gamma=15.44),
        summary,
        horizon=3,
        freq="M",
        time_unit="W",
        discount_rate=0.01,
    )
    assert isinstance(clv, pd.Series)
    assert clv.index.equals(summary.index)
