"""Tests of the model value rt.ParetoNBD (retention.frames.pareto_nbd)."""

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
from tests.core.test_pareto_nbd import simulate

CDNOW = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


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
    # As in the published analyses: same-day purchases merged, times in weeks, calibration to 1997-09-30
    # (39 weeks).
    return rt.rfm_summary(rt.load_cdnow(), time_unit="W", calibration_end="1997-09-30")


def test_pareto_nbd_reproduces_the_published_fit(cdnow_summary: pd.DataFrame) -> None:
    assert len(cdnow_summary) == 2357
    assert cdnow_summary["frequency"].sum() == 2457
    model = rt.ParetoNBD.fit(cdnow_summary)
    got = {name: round(value, 3) for name, value in model.params.items()}
    assert got == CDNOW
    assert round(model.loglik, 1) == -9595.0
    assert model.n_customers == 2357


def test_cdnow_fit_is_a_maximum(cdnow_summary: pd.DataFrame) -> None:
    from retention.core.clv.fitting import total_loglik

    model = rt.ParetoNBD.fit(cdnow_summary)
    columns = tuple(cdnow_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    assert total_loglik(model._likelihood, list(model.params.values()), columns) == pytest.approx(
        model.loglik, rel=1e-12
    )
    for name in model.params:
        for factor in (0.99, 1.01):
            params = model.params | {name: model.params[name] * factor}
            assert total_loglik(model._likelihood, list(params.values()), columns) < model.loglik
    assert all(v > 0 for v in model.standard_errors.values())


# --- the value: construction, parameters, table ------------------------------------------------------


# Construction, bad parameters, keyword-only parameters, equality and hashing: tests/frames/test_models.py.


def test_fit_table_and_weights() -> None:
    data = patterns()
    weighted = rt.ParetoNBD.fit(data, weights=data["customers"])
    assert weighted.n_customers == 1080
    repeated = rt.ParetoNBD.fit(data.loc[data.index.repeat(data["customers"])])
    for name in weighted.params:
        assert weighted.params[name] == pytest.approx(repeated.params[name], rel=1e-8)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)
    table = weighted.summary()
    np.testing.assert_allclose(
        table["lower_95"] * table["upper_95"], table["estimate"] ** 2, rtol=1e-12
    )
    from_arrays = rt.ParetoNBD.fit(
        frequency=data["frequency"].to_numpy(),
        recency=data["recency"].tolist(),
        T=data["T"].to_numpy(),
        weights=data["customers"].to_numpy(),
    )
    assert from_arrays == weighted


def test_parameters_recovered_from_a_simulated_summary() -> None:
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.9, "beta": 15.0}
    n = 20_000
    x, tx, T, _, _ = simulate(n, truth, np.random.default_rng(1).uniform(26.0, 104.0, n), seed=2)
    summary = pd.DataFrame(
        {"frequency": x.astype(np.int64), "recency": tx, "T": T},
        index=pd.RangeIndex(n, name="customer_id"),
    )
    model = rt.ParetoNBD.fit(summary)
    for name, value in truth.items():
        assert abs(model.params[name] - value) < 3 * model.standard_errors[name], name


def test_fits_a_summary_of_simulated_transactions() -> None:
    # The library's simulator follows the BG/NBD process, not the Pareto/NBD; the fit must still succeed
    # without tuning and predict the calibration purchases of the cohort.
    tx = rt.simulate_transactions(5000, start="2023-01-01", end="2024-12-31", seed=21)
    summary = rt.rfm_summary(tx, time_unit="W")
    model = rt.ParetoNBD.fit(summary)
    assert math.isfinite(model.loglik)
    assert all(math.isfinite(v) and v > 0 for v in model.standard_errors.values())


# --- predictions: frames and arrays ---------------------------------------------------------------------


def test_predictions_on_a_frame_are_labelled_series() -> None:
    m = rt.ParetoNBD(**CDNOW)
    data = patterns()
    for name, result in (
        ("p_alive", m.p_alive(data)),
        ("p_alive", m.p_alive(data, t=10.0)),
        ("conditional_expected_purchases", m.conditional_expected_purchases(data, 10.0)),
        (
            "discounted_expected_residual_transactions",
            m.discounted_expected_residual_transactions(data, continuous_discount_rate=0.0027),
        ),
    ):
        assert isinstance(result, pd.Series)
        assert result.name == name
        pd.testing.assert_index_equal(result.index, data.index)
    arrays = {c: data[c].to_numpy() for c in ("frequency", "recency", "T")}
    array_result = m.p_alive(**arrays)
    assert isinstance(array_result, np.ndarray)
    np.testing.assert_array_equal(array_result, m.p_alive(data).to_numpy())


def test_predictions_by_hand() -> None:
    m = rt.ParetoNBD(**CDNOW)
    r, alpha, s, beta = CDNOW.values()
    # A customer who has just bought (t_x = T) is alive; looking ahead t, they survive with
    # probability ((beta + T) / (beta + T + t)) ** s.
    assert m.p_alive(frequency=[3], recency=[20.0], T=[20.0])[0] == pytest.approx(1.0, rel=1e-14)
    later = m.p_alive(frequency=[3], recency=[20.0], T=[20.0], t=10.0)[0]
    assert later == pytest.approx(((beta + 20) / (beta + 30)) ** s, rel=1e-14)
    # SMC 1987 / FH 2005 eq. 27
    expected = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + 52.0)) ** (s - 1))
    assert m.expected_purchases(52.0) == pytest.approx(expected, rel=1e-13)
    # ... times P(alive) for a customer (FH 2005 eq. 41), here certainly alive
    cond = m.conditional_expected_purchases(t=52.0, frequency=[3], recency=[20.0], T=[20.0])[0]
    by_hand = (
        (r + 3)
        * (beta + 20)
        / ((alpha + 20) * (s - 1))
        * (1 - ((beta + 20) / (beta + 72)) ** (s - 1))
    )
    assert cond == pytest.approx(by_hand, rel=1e-13)


def test_scalar_and_array_returns() -> None:
    m = rt.ParetoNBD(**CDNOW)
    assert isinstance(m.expected_purchases(10.0), float)
    assert m.expected_purchases(0) == 0.0
    values = m.expected_purchases([1.0, 10.0])
    assert isinstance(values, np.ndarray)
    assert values.shape == (2,)
    assert isinstance(m.probability_of_purchases(2, 10.0), float)
    assert m.probability_of_purchases(np.arange(3), 10.0).shape == (3,)
    assert m.probability_of_purchases(0, 0.0) == pytest.approx(1.0, rel=1e-15)


def test_dert_conversion_from_an_annual_rate() -> None:
    m = rt.ParetoNBD(**CDNOW)
    data = patterns()
    weekly = m.discounted_expected_residual_transactions(
        data, continuous_discount_rate=math.log(1.15) / 52
    )
    daily = rt.ParetoNBD(
        r=CDNOW["r"], alpha=CDNOW["alpha"] * 7, s=CDNOW["s"], beta=CDNOW["beta"] * 7
    )
    days = data.assign(recency=data["recency"] * 7, T=data["T"] * 7)
    # The same customers and rate, with times in days: the same present value.
    np.testing.assert_allclose(
        daily.discounted_expected_residual_transactions(
            days, continuous_discount_rate=math.log(1.15) / 364
        ),
        weekly,
        rtol=1e-10,
    )
    assert (
        weekly < m.discounted_expected_residual_transactions(data, continuous_discount_rate=0.001)
    ).all()


# --- bad input --------------------------------------------------------------------------------------------


def _arrays(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "frequency": [1, 0, 2],
        "recency": [3.0, 0.0, 5.0],
        "T": [10.0, 8.0, 6.0],
    }
    return base | changes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"frequency": [-1, 0, 2]}, "frequency passed to .*must not be negative"),
        ({"frequency": [1, np.nan, 2]}, "frequency passed to .*must be finite"),
        ({"T": [np.inf, 8.0, 6.0]}, "T passed to .*must be finite"),
        ({"frequency": [1.5, 0, 2]}, "must be whole numbers"),
        ({"recency": [3.0, 0.0, 7.0]}, "must not exceed T: 1 customer, the first at position 2"),
        ({"T": [10.0, -1.0, 6.0]}, "T passed to .*must not be negative"),
        ({"recency": [0.0, 0.0, 5.0], "T": [0.0, 8.0, 6.0]}, "T passed to .*must be positive"),
    ],
)
def test_bad_customers_raise_clear_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        rt.ParetoNBD.fit(**_arrays(**changes))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=message):
        rt.ParetoNBD(**CDNOW).p_alive(**_arrays(**changes))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=message):
        rt.ParetoNBD(**CDNOW).discounted_expected_residual_transactions(
            **_arrays(**changes),  # type: ignore[arg-type]
            continuous_discount_rate=0.01,
        )


def test_not_identified_and_too_few_customers() -> None:
    with pytest.raises(InvalidValueError, match="the model is not identified"):
        rt.ParetoNBD.fit(frequency=[0] * 10, recency=[0.0] * 10, T=[5.0] * 10)
    with pytest.raises(
        InvalidValueError, match="needs more customers than the model has parameters"
    ):
        rt.ParetoNBD.fit(frequency=[1], recency=[1.0], T=[5.0])
    empty = rt.rfm_summary(pd.DataFrame({"customer_id": [], "date": []}))
    with pytest.raises(InvalidValueError, match="needs more customers"):
        rt.ParetoNBD.fit(empty)
    assert len(rt.ParetoNBD(**CDNOW).p_alive(empty)) == 0


def test_summary_and_column_errors() -> None:
    data = patterns()
    with pytest.raises(InvalidParameterError, match="either a summary frame or the arrays"):
        rt.ParetoNBD.fit(data, frequency=data["frequency"])
    with pytest.raises(ColumnNotFoundError, match=r"no 'recency' column.*did you mean 'recncy'"):
        rt.ParetoNBD.fit(data.rename(columns={"recency": "recncy"}))
    with pytest.raises(ColumnTypeError, match=r"'T' values passed to .* must be numbers"):
        rt.ParetoNBD(**CDNOW).p_alive(data.astype({"T": str}))


@pytest.mark.parametrize("t", [-1.0, math.nan, "soon"])
def test_bad_times(t: object) -> None:
    m = rt.ParetoNBD(**CDNOW)
    with pytest.raises(InvalidParameterError, match=r"'t' parameter of ParetoNBD\.p_alive"):
        m.p_alive(patterns(), t=t)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.conditional_expected_purchases(patterns(), t)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.expected_purchases(t)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'n' parameter of"):
        m.probability_of_purchases(1.5, 10.0)


@pytest.mark.parametrize("rate", [-0.01, math.inf, math.nan, "5%", None, True])
def test_bad_discount_rates(rate: object) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"'continuous_discount_rate' parameter of ParetoNBD\.discounted_expected_residual_transactions.*"
        "continuously compounded",
    ):
        rt.ParetoNBD(**CDNOW).discounted_expected_residual_transactions(
            patterns(),
            continuous_discount_rate=rate,  # type: ignore[arg-type]
        )
