"""Tests of the model value rt.GammaGamma (retention.frames.gamma_gamma)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
)
from retention.frames.schema import MAX_AMOUNT

TRUE = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def spenders() -> pd.DataFrame:
    """Eight customers: two without repeat purchases, six with (frequency, mean repeat spend), r = -0.11."""
    return pd.DataFrame(
        {
            "frequency": [0, 1, 2, 0, 4, 1, 3, 2],
            "recency": [0.0, 3.0, 8.0, 0.0, 20.0, 1.0, 15.0, 9.0],
            "T": [10.0, 12.0, 30.0, 25.0, 30.0, 4.0, 30.0, 30.0],
            "monetary_value": [0.0, 30.0, 35.0, 0.0, 40.0, 45.0, 27.0, 41.0],
        },
        index=pd.Index(list("abcdefgh"), name="customer_id"),
    )


# --- the published fit -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    tx = rt.load_cdnow()
    return rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")


def test_reproduces_fader_hardie_2013(cdnow_summary: pd.DataFrame) -> None:
    # The 946 customers with repeat purchases in the 39-week calibration period; spend = the mean of their
    # repeat transactions, the amounts of one day added up first (rfm_summary with daily merging).
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no correlation warning: r = 0.11
        model = rt.GammaGamma.fit(cdnow_summary)
    assert model.n_customers == 946
    assert {k: round(v, 2) for k, v in model.params.items()} == TRUE
    # The published log-likelihood is that of the mean spend, Jacobian x ** (p x) included.
    assert round(model.loglik, 1) == -4055.9
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    rho = np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1]
    assert round(rho, 2) == 0.11  # the correlation the note reports
    assert round(rt.GammaGamma(**TRUE).mean_spend, 2) == 35.22  # the note's E(Z)


def test_cdnow_matches_lifetimes(cdnow_summary: pd.DataFrame) -> None:
    # lifetimes 0.11.3 GammaGammaFitter with p=6.25, q=3.74, v=15.44,
    # conditional_expected_average_profit on the calibration summary of customers 1, 2, 3, 6, 9, 18, 100.
    peer = [24.659613, 18.916852, 35.218978, 71.471015, 27.288386, 17.679366, 28.962736]
    model = rt.GammaGamma(**TRUE)
    got = model.conditional_expected_spend(cdnow_summary.loc[[1, 2, 3, 6, 9, 18, 100]])
    np.testing.assert_allclose(got.to_numpy(), peer, atol=1e-6)


# --- recovery on simulated data ------------------------------------------------------------------------


def test_recovers_the_simulator_parameters() -> None:
    # rt.simulate_transactions draws every amount from the Gamma-Gamma model with p, q, gamma.
    tx = rt.simulate_transactions(20_000, seed=2, start="2023-01-01", end="2025-12-31")
    summary = rt.rfm_summary(tx, time_unit="W", amount="amount")
    model = rt.GammaGamma.fit(summary)
    errors = model.standard_errors
    for name, value in TRUE.items():
        assert abs(model.params[name] - value) <= 2 * errors[name], name
    table = model.summary()
    assert list(table.columns) == ["estimate", "standard_error", "lower_95", "upper_95"]
    assert (table["lower_95"] < pd.Series(TRUE)).all()
    assert (table["upper_95"] > pd.Series(TRUE)).all()


# --- fit: what it uses and refuses ---------------------------------------------------------------------


def test_fit_leaves_out_customers_without_repeat_purchases() -> None:
    summary = spenders()
    model = rt.GammaGamma.fit(summary)
    assert model.n_customers == 6
    repeat = summary[summary["frequency"] > 0]
    same = rt.GammaGamma.fit(frequency=repeat["frequency"], monetary_value=repeat["monetary_value"])
    assert same.params == pytest.approx(model.params, rel=1e-12)
    assert same.loglik == pytest.approx(model.loglik, rel=1e-12)
    # The monetary value of a customer without repeat purchases is not used.
    changed = summary.assign(
        monetary_value=summary["monetary_value"].where(summary["frequency"] > 0, 99.0)
    )
    assert rt.GammaGamma.fit(changed).params == pytest.approx(model.params, rel=1e-12)


def test_fit_with_weights_equals_repeated_rows() -> None:
    # Forty repeat buyers drawn from the model (p 6.25, q 3.74, gamma 15.44): enough to identify every
    # parameter (spenders() is not: its likelihood still rises at the bound of p), so the fit is interior.
    rng = np.random.default_rng(2)
    frequency = rng.integers(1, 6, 40)
    nu = rng.gamma(3.74, 1 / 15.44, 40)
    spend = rng.gamma(6.25 * frequency, 1 / (nu * frequency))  # the mean of x Gamma(p, nu) amounts
    summary = pd.DataFrame({"frequency": frequency, "monetary_value": spend.round(2)})
    weights = rng.integers(1, 5, 40)
    weighted = rt.GammaGamma.fit(summary, weights=weights)
    assert 1.0 < weighted.params["p"] < 100.0  # an interior fit, away from the bounds
    repeated = summary.iloc[np.repeat(np.arange(len(summary)), weights)]
    plain = rt.GammaGamma.fit(repeated)
    assert weighted.params == pytest.approx(plain.params, rel=1e-6)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-9)
    assert weighted.n_customers == plain.n_customers == int(weights.sum())


def test_fit_is_a_maximum() -> None:
    tx = rt.simulate_transactions(3_000, seed=9)
    summary = rt.rfm_summary(tx, time_unit="W", amount="amount")
    model = rt.GammaGamma.fit(summary)
    repeat = summary[summary["frequency"] > 0]
    from retention.core.clv.fitting import total_loglik

    columns = (repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy())
    assert total_loglik(model._likelihood, list(model.params.values()), columns) == pytest.approx(
        model.loglik, rel=1e-12
    )
    for name in model.params:
        for factor in (0.99, 1.01):
            other = list((model.params | {name: model.params[name] * factor}).values())
            assert total_loglik(model._likelihood, other, columns) < model.loglik


def test_warns_when_frequency_and_spend_are_correlated() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(1, 12, 400).astype(float)
    for sign, shown in ((1, "(Pearson r = 0.63,"), (-1, "(Pearson r = -0.68,")):
        # Gamma-Gamma spend whose customer mean p / nu grows (sign 1) or falls (-1) with frequency.
        nu = rng.gamma(8.0, 1.0 / (15.0 * x**sign))
        spend = rng.gamma(4.0 * x, 1.0 / (nu * x))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rt.GammaGamma.fit(frequency=x, monetary_value=spend)
        assert len(caught) == 1
        assert caught[0].category is RetentionWarning
        assert f"correlated among the customers with repeat purchases {shown}" in str(
            caught[0].message
        )
    # Spend drawn independently of frequency: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rt.GammaGamma.fit(
            frequency=x,
            monetary_value=rng.gamma(4.0 * x, 1.0 / (rng.gamma(8.0, 1 / 15.0, 400) * x)),
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"monetary_value": [0.0, 0.0, 35.0, 0.0, 40.0, 45.0, 27.0, 41.0]}, "must be positive"),
        ({"monetary_value": [0.0, -30.0, 35.0, 0.0, 40.0, 45.0, 27.0, 41.0]}, "index 'b'"),
        ({"monetary_value": [np.nan, 30.0, 35.0, 0.0, 40.0, 45.0, 27.0, 41.0]}, "must be finite"),
        ({"monetary_value": [0.0, 30.0, 35.0, 0.0, np.inf, 45.0, 27.0, 41.0]}, "must be finite"),
        ({"frequency": [0, -1, 2, 0, 4, 1, 3, 2]}, "whole numbers >= 0"),
        ({"frequency": [0, 1.5, 2, 0, 4, 1, 3, 2]}, "whole numbers >= 0"),
    ],
)
def test_bad_values(change: dict[str, list[float]], message: str) -> None:
    summary = spenders().assign(**change)
    with pytest.raises(InvalidValueError, match=message):
        rt.GammaGamma.fit(summary)
    with pytest.raises(InvalidValueError, match=message):
        rt.GammaGamma(**TRUE).conditional_expected_spend(summary)


def test_not_identified_and_too_few() -> None:
    summary = spenders()
    with pytest.raises(
        InvalidValueError, match=r"not identified.* say nothing about what customers spend"
    ):
        rt.GammaGamma.fit(summary.assign(frequency=0))
    with pytest.raises(
        InvalidValueError, match=r"repeat purchases .* than the model has parameters \(3\); got 3"
    ):
        rt.GammaGamma.fit(summary.iloc[:5])
    with pytest.raises(InvalidValueError, match="more customers"):
        rt.GammaGamma.fit(summary.iloc[:0])
    with pytest.raises(InvalidValueError, match="got 1"):
        rt.GammaGamma.fit(frequency=[2, 0, 0, 0, 0], monetary_value=[10.0, 0, 0, 0, 0])


def test_bad_arguments() -> None:
    summary = spenders()
    with pytest.raises(ColumnNotFoundError, match="monetary_value"):
        rt.GammaGamma.fit(summary.drop(columns="monetary_value"))
    with pytest.raises(InvalidParameterError, match="not both"):
        rt.GammaGamma.fit(summary, frequency=[1])
    with pytest.raises(InvalidParameterError, match="'monetary_value' missing"):
        rt.GammaGamma.fit(frequency=[1, 2])
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.GammaGamma.fit(summary.to_dict())  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="one entry per row"):
        rt.GammaGamma.fit(summary, weights=[1, 2])
    for bad in (0.0, -1.0, math.nan, math.inf, "6", True):
        with pytest.raises(InvalidParameterError, match="'q' parameter of GammaGamma"):
            rt.GammaGamma(p=1.0, q=bad, gamma=1.0)  # type: ignore[arg-type]


# --- predictions ---------------------------------------------------------------------------------------


def test_conditional_expected_spend_by_hand() -> None:
    model = rt.GammaGamma(p=2.0, q=3.0, gamma=40.0)  # population mean 2 * 40 / 2 = 40
    got = model.conditional_expected_spend(spenders())
    assert got.name == "conditional_expected_spend"
    assert got.index.equals(spenders().index)
    # (x, zbar) -> p (gamma + x zbar) / (p x + q - 1)
    by_hand = [
        40.0,
        2 * 70 / 4,
        2 * 110 / 6,
        40.0,
        2 * 200 / 10,
        2 * 85 / 4,
        2 * 121 / 8,
        2 * 122 / 6,
    ]
    np.testing.assert_allclose(got.to_numpy(), by_hand, rtol=1e-14)
    arrays = model.conditional_expected_spend(frequency=[0, 1], monetary_value=[0.0, 20.0])
    np.testing.assert_allclose(arrays, [40.0, 30.0])
    assert model.mean_spend == 40.0


def test_infinite_mean_spend_warns() -> None:
    model = rt.GammaGamma(p=0.5, q=0.9, gamma=10.0)
    assert math.isnan(model.mean_spend)
    with pytest.warns(RetentionWarning, match="infinite"):
        got = model.conditional_expected_spend(frequency=[0, 2], monetary_value=[0.0, 10.0])
    assert math.isnan(got[0])
    assert got[1] == pytest.approx(0.5 * 30.0 / 0.9)


@pytest.mark.parametrize("spend", [1e308, 1e200, -1e250])
def test_monetary_values_beyond_the_amount_bound_are_refused(spend: float) -> None:
    # 1e308 overflowed the conditional spend to inf with numpy RuntimeWarnings; transaction tables refuse
    # amounts beyond MAX_AMOUNT, and so does the Gamma-Gamma, by frame, arrays or numbers.
    model = rt.GammaGamma(**TRUE)
    frame = spenders()
    frame.loc["d" if spend < 0 else "e", "monetary_value"] = spend  # d has no repeat purchase
    where = "index 'd'" if spend < 0 else "index 'e'"
    for call in (model.conditional_expected_spend, rt.GammaGamma.fit):
        with pytest.raises(InvalidValueError, match=rf"monetary_value .* at most .*{where}"):
            call(frame)
    x = 0 if spend < 0 else 3
    with pytest.raises(InvalidValueError, match=r"at most .* position \(1, 0\)"):
        model.conditional_expected_spend(frequency=[[2], [x]], monetary_value=[[10.0], [spend]])
    with pytest.raises(InvalidValueError, match=rf"at most .* \(frequency {x}.0"):
        model.conditional_expected_spend(frequency=x, monetary_value=spend)


def test_monetary_values_at_the_amount_bound_give_finite_spend() -> None:
    model = rt.GammaGamma(**TRUE)
    got = model.conditional_expected_spend(
        frequency=[1, 30], monetary_value=[MAX_AMOUNT, MAX_AMOUNT]
    )
    assert np.isfinite(got).all()
    assert got[1] == pytest.approx(6.25 * (15.44 + 30 * MAX_AMOUNT) / (6.25 * 30 + 2.74), rel=1e-12)


# Construction, bad parameters, equality and hashing, pickling: tests/frames/test_models.py.
