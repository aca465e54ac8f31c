"""Tests of rt.BetaGeo and rt.ModifiedBetaGeo (retention.frames.beta_geo): what is particular to them.

What every model shares (construction, bad parameters, keyword-only parameters, equality and hashing,
pickling, broadcasting) is tested once for all models from the model registry, in test_models.py and
test_broadcasting.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)

MODELS = pytest.mark.parametrize(
    "model", [rt.BetaGeo, rt.ModifiedBetaGeo], ids=["BetaGeo", "ModifiedBetaGeo"]
)
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def patterns() -> pd.DataFrame:
    """Ten purchase patterns and how many customers show each, indexed by a made-up id."""
    return pd.DataFrame(
        {
            "frequency": [0, 0, 1, 1, 2, 3, 5, 1, 0, 2],
            "recency": [0.0, 0.0, 5.0, 30.0, 20.0, 33.0, 36.0, 2.0, 0.0, 10.0],
            "T": [38.0, 20.0, 38.0, 38.0, 38.0, 38.0, 38.0, 25.0, 30.0, 30.0],
            "customers": [500, 200, 80, 60, 40, 30, 20, 30, 100, 20],
        },
        index=pd.Index(list("abcdefghij"), name="customer_id"),
    )


# --- the published fit -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return rt.rfm_summary(rt.load_cdnow(), time_unit="W", calibration_end="1997-09-30")


def test_bg_nbd_reproduces_fader_hardie_lee_2005(cdnow_summary: pd.DataFrame) -> None:
    model = rt.BetaGeo.fit(cdnow_summary)
    got = {name: round(value, 3) for name, value in model.params.items()}
    assert got == CDNOW
    assert round(model.loglik, 1) == -9582.4
    assert model.n_customers == 2357


def test_mbg_nbd_fits_cdnow(cdnow_summary: pd.DataFrame) -> None:
    model = rt.ModifiedBetaGeo.fit(cdnow_summary)
    # No published value on these data: check it is a maximum and close to the BG/NBD fit in likelihood.
    assert abs(model.loglik - rt.BetaGeo.fit(cdnow_summary).loglik) < 5
    for name in model.params:
        for factor in (0.99, 1.01):
            params = model.params | {name: model.params[name] * factor}
            other = rt.ModifiedBetaGeo(**params)
            assert _loglik(other, cdnow_summary) < model.loglik


def _loglik(model: rt.BetaGeo, summary: pd.DataFrame) -> float:
    from retention.core.clv.fitting import total_loglik

    columns = tuple(summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    return total_loglik(model._likelihood, list(model.params.values()), columns)


# --- the fit: table and intervals ------------------------------------------------------------------


@MODELS
def test_fit_table_and_intervals(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    m = model.fit(data, weights=data["customers"])
    assert m.n_customers == 1080
    table = m.summary()
    se = np.array(list(m.standard_errors.values()))
    np.testing.assert_array_equal(table["standard_error"], se)
    estimate = table["estimate"].to_numpy()
    # The interval is symmetric on the log scale: lower * upper = estimate ** 2.
    np.testing.assert_allclose(table["lower_95"] * table["upper_95"], estimate**2, rtol=1e-12)
    np.testing.assert_allclose(
        np.log(table["upper_95"] / estimate), 1.959963984540054 * se / estimate, rtol=1e-12
    )
    cov = m.covariance
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), se, rtol=1e-12)
    assert list(cov.index) == list(cov.columns) == ["r", "alpha", "a", "b"]


@MODELS
def test_weights_equal_repeated_customers(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    weighted = model.fit(data, weights=data["customers"])
    repeated = model.fit(data.loc[data.index.repeat(data["customers"])])
    for name in weighted.params:
        assert weighted.params[name] == pytest.approx(repeated.params[name], rel=1e-8)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)


@MODELS
def test_frame_and_arrays_give_the_same_fit(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    from_frame = model.fit(data, weights=data["customers"])
    from_arrays = model.fit(
        frequency=data["frequency"].to_numpy(),
        recency=data["recency"].tolist(),
        T=data["T"].to_numpy(),
        weights=data["customers"].to_numpy(),
    )
    assert from_frame == from_arrays


def test_parameters_recovered_from_simulated_transactions() -> None:
    # The simulator's own parameters are per week; purchases are dated by day, and the few purchases of one
    # customer on one day become one transaction.
    truth = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    tx = rt.simulate_transactions(5000, start="2023-01-01", end="2024-12-31", seed=21, **truth)
    model = rt.BetaGeo.fit(rt.rfm_summary(tx, time_unit="W"))
    for name, value in truth.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors[name], name


def test_expected_purchases_match_simulated_cohort() -> None:
    # One cohort starting on 1 January 2024; count the repeat purchases in the first 52 weeks (364 days):
    # dates are whole days, so purchases at continuous times in [0, 364) have dates before day 364.
    params = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
    n = 40_000
    tx = rt.simulate_transactions(
        n, start="2024-01-01", end="2025-12-31", seed=3, acquisition="start", **params
    )
    within = tx[tx["date"] < pd.Timestamp("2024-01-01") + pd.Timedelta(days=364)]
    repeats = within.groupby("customer_id").size() - 1
    repeats = repeats.reindex(tx["customer_id"].unique(), fill_value=0)
    predicted = rt.BetaGeo(**params).expected_purchases(52.0)
    assert abs(repeats.mean() - predicted) < 4 * repeats.std() / math.sqrt(n)


# --- predictions: frames and arrays ---------------------------------------------------------------------


@MODELS
def test_predictions_on_a_frame_are_labelled_series(model: type[rt.BetaGeo]) -> None:
    m = model(**CDNOW)
    data = patterns()
    for name, result in (
        ("p_alive", m.p_alive(data)),
        ("p_alive", m.p_alive(data, t=10.0)),
        ("conditional_expected_purchases", m.conditional_expected_purchases(data, 10.0)),
    ):
        assert isinstance(result, pd.Series)
        assert result.name == name
        pd.testing.assert_index_equal(result.index, data.index)
    arrays = {
        "frequency": data["frequency"].to_numpy(),
        "recency": data["recency"].to_numpy(),
        "T": data["T"].to_numpy(),
    }
    array_result = m.p_alive(**arrays)
    assert isinstance(array_result, np.ndarray)
    np.testing.assert_array_equal(array_result, m.p_alive(data).to_numpy())


def test_bg_nbd_predictions_by_hand() -> None:
    m = rt.BetaGeo(**CDNOW)
    r, alpha, a, b = CDNOW.values()
    # FHL 2005 eq. 12 for x = 2, t_x = 30.43, T = 38.86.
    expected = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    got = m.p_alive(frequency=[2], recency=[30.43], T=[38.86])
    assert got[0] == pytest.approx(expected, rel=1e-13)
    assert m.p_alive(frequency=[0], recency=[0.0], T=[38.86])[0] == 1.0
    # MBG/NBD: a customer without repeat purchases is not certainly alive.
    mbg = rt.ModifiedBetaGeo(**CDNOW).p_alive(frequency=[0], recency=[0.0], T=[38.86])[0]
    assert mbg == pytest.approx(1 / (1 + a / b * ((alpha + 38.86) / alpha) ** r), rel=1e-13)


@MODELS
def test_scalar_and_array_returns(model: type[rt.BetaGeo]) -> None:
    m = model(**CDNOW)
    assert isinstance(m.expected_purchases(10.0), float)
    assert m.expected_purchases(0) == 0.0
    values = m.expected_purchases([1.0, 10.0])
    assert isinstance(values, np.ndarray)
    assert values.shape == (2,)
    assert isinstance(m.probability_of_purchases(2, 10.0), float)
    probs = m.probability_of_purchases(np.arange(3), 10.0)
    assert probs.shape == (3,)
    assert m.probability_of_purchases(0, 0.0) == pytest.approx(1.0, rel=1e-15)


# --- bad input --------------------------------------------------------------------------------------------


def _arrays(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "frequency": [1, 0, 2],
        "recency": [3.0, 0.0, 5.0],
        "T": [10.0, 8.0, 6.0],
    }
    return base | changes


@MODELS
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"frequency": [-1, 0, 2]},
            "frequency passed to .*must not be negative: 1 customer, the first at position 0",
        ),
        ({"frequency": [1, np.nan, 2]}, "frequency passed to .*must be finite"),
        ({"recency": [np.inf, 0.0, 5.0]}, "recency passed to .*must be finite"),
        ({"frequency": [1.5, 0, 2]}, "must be whole numbers"),
        (
            {"recency": [3.0, 0.0, 7.0]},
            "must not exceed T: 1 customer, the first at position 2 \\(recency 7.0, T 6.0\\)",
        ),
        ({"T": [10.0, -1.0, 6.0]}, "T passed to .*must not be negative"),
        (
            {"recency": [3.0, 1.0, 5.0]},
            "recency passed to .*must be 0 for customers without repeat purchases",
        ),
        (
            {"recency": [0.0, 0.0, 5.0], "T": [0.0, 8.0, 6.0]},
            "T passed to .*must be positive for customers with repeat purchases",
        ),
    ],
)
def test_bad_customers_raise_clear_errors(
    model: type[rt.BetaGeo], changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        model.fit(**_arrays(**changes))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=message):
        model(**CDNOW).p_alive(**_arrays(**changes))  # type: ignore[arg-type]


@MODELS
def test_bad_values_in_a_frame_are_named_by_index(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    data.loc["c", "recency"] = 50.0
    with pytest.raises(
        InvalidValueError, match=r"the first at index 'c' \(recency 50\.0, T 38\.0\)"
    ):
        model.fit(data)


@MODELS
def test_not_identified_without_repeat_purchases(model: type[rt.BetaGeo]) -> None:
    with pytest.raises(
        InvalidValueError, match="the model is not identified: no customer has a repeat purchase"
    ):
        model.fit(frequency=[0] * 10, recency=[0.0] * 10, T=[5.0] * 10)


@MODELS
@pytest.mark.parametrize("n", [0, 1, 4])
def test_too_few_customers(model: type[rt.BetaGeo], n: int) -> None:
    with pytest.raises(
        InvalidValueError, match="needs more customers than the model has parameters \\(4\\)"
    ):
        model.fit(frequency=[1] * n, recency=[1.0] * n, T=[5.0] * n)


@MODELS
def test_bad_weights(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    with pytest.raises(InvalidValueError, match=r"weights passed to .* must be finite and >= 0"):
        model.fit(data, weights=-data["customers"])
    with pytest.raises(InvalidValueError, match="one entry per row \\(10\\); got 3"):
        model.fit(data, weights=[1, 2, 3])


@MODELS
def test_summary_and_arrays_are_exclusive(model: type[rt.BetaGeo]) -> None:
    data = patterns()
    with pytest.raises(InvalidParameterError, match="either a summary frame or the arrays"):
        model.fit(data, frequency=data["frequency"])
    with pytest.raises(InvalidParameterError, match="'recency', 'T' missing"):
        model(**CDNOW).p_alive(frequency=[1])  # type: ignore[call-overload]
    with pytest.raises(
        ColumnTypeError, match=r"must be a DataFrame \(pandas, polars, pyarrow or DuckDB\)"
    ):
        model.fit(data.to_dict())  # type: ignore[arg-type]


@MODELS
def test_missing_and_text_columns(model: type[rt.BetaGeo]) -> None:
    renamed = patterns().rename(columns={"recency": "recncy"})
    with pytest.raises(ColumnNotFoundError, match=r"no 'recency' column.*did you mean 'recncy'"):
        model.fit(renamed)
    text = patterns().astype({"T": str})
    with pytest.raises(ColumnTypeError, match=r"'T' values passed to .* must be numbers"):
        model(**CDNOW).p_alive(text)


@MODELS
@pytest.mark.parametrize("t", [-1.0, math.nan, "soon"])
def test_bad_times(model: type[rt.BetaGeo], t: object) -> None:
    m = model(**CDNOW)
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.p_alive(patterns(), t=t)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.conditional_expected_purchases(patterns(), t)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.expected_purchases(t)  # type: ignore[arg-type]


@MODELS
def test_bad_counts(model: type[rt.BetaGeo]) -> None:
    m = model(**CDNOW)
    with pytest.raises(InvalidParameterError, match=r"'n' parameter of .* whole numbers"):
        m.probability_of_purchases(1.5, 10.0)
    with pytest.raises(InvalidParameterError, match="'n' parameter of"):
        m.probability_of_purchases(-1, 10.0)


@MODELS
def test_empty_customers_predict_empty(model: type[rt.BetaGeo]) -> None:
    empty = rt.rfm_summary(pd.DataFrame({"customer_id": [], "date": []}))
    result = model(**CDNOW).p_alive(empty)
    assert isinstance(result, pd.Series)
    assert len(result) == 0
    with pytest.raises(InvalidValueError, match="needs more customers"):
        model.fit(empty)
