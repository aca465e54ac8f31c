"""Tests of the model value rt.BetaGeoBetaBinom (retention.frames.bgbb)."""

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

DONATIONS = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def patterns() -> pd.DataFrame:
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


# --- the published fit ----------------------------------------------------------------------------------


@pytest.fixture
def donations() -> pd.DataFrame:
    return rt.load_donations()


def test_reproduces_fader_hardie_shang_2010(donations: pd.DataFrame) -> None:
    model = rt.BetaGeoBetaBinom.fit(
        frequency=donations["frequency"],
        recency=donations["recency"],
        n_periods=donations["periods"],
        weights=donations["weights"],
    )
    assert {name: round(value, 3) for name, value in model.params.items()} == DONATIONS
    assert round(model.loglik, 1) == -33225.6
    assert model.n_customers == 11104
    frame = donations.rename(columns={"periods": "n_periods"})
    assert rt.BetaGeoBetaBinom.fit(frame, weights=frame["weights"]) == model


def test_fit_is_a_maximum(donations: pd.DataFrame) -> None:
    from retention.core.clv.fitting import total_loglik

    model = rt.BetaGeoBetaBinom.fit(
        frequency=donations["frequency"],
        recency=donations["recency"],
        n_periods=donations["periods"],
        weights=donations["weights"],
    )
    columns = tuple(donations[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    for name in model.params:
        for factor in (0.99, 1.01):
            params = model.params | {name: model.params[name] * factor}
            ll = total_loglik(
                model._likelihood, list(params.values()), columns, donations["weights"]
            )
            assert ll < model.loglik


# --- input -------------------------------------------------------------------------------------------


def test_frame_arrays_and_repeated_rows_give_the_same_fit() -> None:
    data = patterns()
    from_frame = rt.BetaGeoBetaBinom.fit(data, weights=data["donors"])
    from_arrays = rt.BetaGeoBetaBinom.fit(
        frequency=data["frequency"].to_numpy(),
        recency=data["recency"].tolist(),
        n_periods=np.full(len(data), 4),
        weights=data["donors"].to_numpy(),
    )
    assert from_frame == from_arrays
    repeated = rt.BetaGeoBetaBinom.fit(data.loc[data.index.repeat(data["donors"])])
    for name in from_frame.params:
        assert repeated.params[name] == pytest.approx(from_frame.params[name], rel=1e-8)
    assert repeated.loglik == pytest.approx(from_frame.loglik, rel=1e-12)
    assert repeated.n_customers == from_frame.n_customers == 9999  # 10,000 expected, rounded


def test_reads_a_yearly_rfm_summary() -> None:
    # Donors acquired in 2015 who can give once a year in 2016-2021: simulate the BG/BB process, write the
    # gifts as dated transactions, and summarise them by year. T is then the number of opportunities.
    rng = np.random.default_rng(12)
    n, years = 6000, 6
    p = rng.beta(DONATIONS["alpha"], DONATIONS["beta"], n)
    death = rng.geometric(rng.beta(DONATIONS["gamma"], DONATIONS["delta"], n))
    year = np.arange(1, years + 1)
    gives = (rng.random((n, years)) < p[:, None]) & (year[None, :] < death[:, None])
    donor, which = np.nonzero(gives)
    tx = pd.DataFrame(
        {
            "customer_id": np.concatenate([np.arange(n), donor]),
            "date": pd.to_datetime(
                np.concatenate([np.full(n, 2015), 2015 + year[which]]).astype(str)
            )
            + pd.Timedelta(days=40),
        }
    )
    summary = rt.rfm_summary(tx, freq="Y", observation_end="2021-12-31")
    x = gives.sum(axis=1)
    tx_expected = np.where(x > 0, years - np.argmax(gives[:, ::-1], axis=1), 0)
    np.testing.assert_array_equal(summary["frequency"], x)
    np.testing.assert_array_equal(summary["recency"], tx_expected)
    np.testing.assert_array_equal(summary["T"], np.full(n, years))
    model = rt.BetaGeoBetaBinom.fit(summary)
    same = rt.BetaGeoBetaBinom.fit(frequency=x, recency=tx_expected, n_periods=np.full(n, years))
    assert model == same
    for name, truth in DONATIONS.items():
        assert abs(model.params[name] - truth) < 3 * model.standard_errors[name], name
    alive = model.p_alive(summary)
    assert isinstance(alive, pd.Series)
    pd.testing.assert_index_equal(alive.index, summary.index)


# --- predictions ---------------------------------------------------------------------------------------


def test_predictions_on_a_frame_are_labelled_series() -> None:
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    data = patterns()
    for name, result in (
        ("p_alive", m.p_alive(data)),
        ("conditional_expected_purchases", m.conditional_expected_purchases(data, 5)),
        (
            "discounted_expected_residual_transactions",
            m.discounted_expected_residual_transactions(data, discount_rate=0.1),
        ),
    ):
        assert isinstance(result, pd.Series)
        assert result.name == name
        pd.testing.assert_index_equal(result.index, data.index)
        arrays = m.p_alive(
            frequency=data["frequency"], recency=data["recency"], n_periods=data["n_periods"]
        )
        assert isinstance(arrays, np.ndarray)
    np.testing.assert_array_equal(
        m.p_alive(data).to_numpy(),
        m.p_alive(
            frequency=data["frequency"], recency=data["recency"], n_periods=data["n_periods"]
        ),
    )


def test_predictions_by_hand() -> None:
    m = rt.BetaGeoBetaBinom(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
    # p, theta uniform. One opportunity, one purchase: L = 1/4 (alive and bought); alive at 2 as well:
    # E[p] E[(1 - theta)^2] = 1/2 * 1/3, so P(alive at 2) = (1/6) / (1/4) = 2/3.
    assert m.p_alive(frequency=[1], recency=[1], n_periods=[1])[0] == pytest.approx(
        2 / 3, rel=1e-14
    )
    # No purchase at one opportunity: L = 3/4; alive at 2 with no purchase: E[1 - p] E[(1 - theta)^2] = 1/6.
    assert m.p_alive(frequency=[0], recency=[0], n_periods=[1])[0] == pytest.approx(
        2 / 9, rel=1e-14
    )
    # A new customer: E[X(1)] = E[p] E[1 - theta] = 1/4; E[X(2)] = 1/4 + E[p] E[(1 - theta)^2] = 1/4 + 1/6.
    np.testing.assert_allclose(m.expected_purchases([0, 1, 2]), [0, 1 / 4, 5 / 12], rtol=1e-13)
    # P(X(1) = 0) = 3/4, P(X(1) = 1) = 1/4.
    np.testing.assert_allclose(
        m.probability_of_purchases([0, 1, 2], 1), [3 / 4, 1 / 4, 0], rtol=1e-14
    )
    # After one purchase at one opportunity: E[p^2] E[(1 - theta)^2] / L = (1/3)(1/3)/(1/4) = 4/9 next time.
    got = m.conditional_expected_purchases(t=1, frequency=[1], recency=[1], n_periods=[1])[0]
    assert got == pytest.approx(4 / 9, rel=1e-13)


def test_scalar_and_array_returns() -> None:
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    assert isinstance(m.expected_purchases(6), float)
    assert m.expected_purchases(0) == 0.0
    assert m.expected_purchases([1, 2]).shape == (2,)
    assert isinstance(m.probability_of_purchases(2, 6), float)
    probs = m.probability_of_purchases(np.arange(7), 6)
    assert probs.shape == (7,)
    assert probs.sum() == pytest.approx(1.0, rel=1e-12)


# Construction, bad parameters, keyword-only parameters, equality and hashing: tests/frames/test_models.py.


# --- bad input -----------------------------------------------------------------------------------------


def _arrays(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "frequency": [1, 0, 2, 3, 1],
        "recency": [3, 0, 5, 4, 1],
        "n_periods": [6, 6, 6, 6, 6],
    }
    return base | changes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"frequency": [4, 0, 2, 3, 1]},
            "frequency passed to .* must not exceed recency: 1 customer, the first at position 0 \\(frequency 4.0, recency 3.0\\)",
        ),
        (
            {"recency": [3, 0, 7, 4, 1]},
            "recency passed to .* must not exceed n_periods: 1 customer, the first at position 2",
        ),
        ({"recency": [3, 2, 5, 4, 1]}, "must be 0 for customers without repeat transactions"),
        (
            {"frequency": [1.5, 0, 2, 3, 1]},
            "frequency passed to .* must be finite whole numbers >= 0",
        ),
        ({"recency": [3, 0, 5, 4.5, 1]}, "recency passed to .* must be finite whole numbers >= 0"),
        (
            {"n_periods": [6, 6, -6, 6, 6]},
            "n_periods passed to .* must be finite whole numbers >= 0",
        ),
        (
            {"n_periods": [6, np.nan, 6, 6, 6]},
            "n_periods passed to .* must be finite whole numbers",
        ),
    ],
)
def test_bad_customers_raise_clear_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        rt.BetaGeoBetaBinom.fit(**_arrays(**changes))  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=message):
        rt.BetaGeoBetaBinom(**DONATIONS).p_alive(**_arrays(**changes))  # type: ignore[arg-type]


def test_bad_values_in_a_frame_are_named_by_index() -> None:
    data = patterns()
    data.loc["c", "recency"] = 5
    with pytest.raises(
        InvalidValueError, match=r"the first at index 'c' \(recency 5.0, n_periods 4.0\)"
    ):
        rt.BetaGeoBetaBinom.fit(data)
    summary = patterns().rename(columns={"n_periods": "T"})
    summary.loc["d", "T"] = 1
    with pytest.raises(
        InvalidValueError, match="must not exceed T: 1 customer, the first at index 'd'"
    ):
        rt.BetaGeoBetaBinom.fit(summary)


def test_not_identified_and_too_few() -> None:
    with pytest.raises(
        InvalidValueError, match="not identified: no customer has a repeat purchase"
    ):
        rt.BetaGeoBetaBinom.fit(frequency=[0] * 10, recency=[0] * 10, n_periods=[5] * 10)
    with pytest.raises(
        InvalidValueError, match=r"needs more customers than the model has parameters \(4\)"
    ):
        rt.BetaGeoBetaBinom.fit(frequency=[1, 2], recency=[1, 3], n_periods=[4, 4])


def test_frame_problems() -> None:
    data = patterns()
    with pytest.raises(ColumnNotFoundError, match="no 'n_periods' column"):
        rt.BetaGeoBetaBinom.fit(data.drop(columns="n_periods"))
    with pytest.raises(ColumnTypeError, match=r"'recency' values passed to .* must be numbers"):
        rt.BetaGeoBetaBinom.fit(data.astype({"recency": str}))
    with pytest.raises(InvalidParameterError, match="either a summary frame or the arrays"):
        rt.BetaGeoBetaBinom.fit(data, frequency=data["frequency"])
    with pytest.raises(InvalidValueError, match=r"weights passed to .* must be finite and >= 0"):
        rt.BetaGeoBetaBinom.fit(data, weights=-data["donors"])


@pytest.mark.parametrize("bad", [-1, 1.5, math.nan, "5", None])
def test_bad_horizons_and_counts(bad: object) -> None:
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.conditional_expected_purchases(patterns(), bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'t' parameter of"):
        m.probability_of_purchases(1, bad)  # type: ignore[arg-type]
    if bad is not None:
        with pytest.raises(InvalidParameterError, match=r"'t' parameter of .*expected_purchases"):
            m.expected_purchases(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="'n' parameter of"):
            m.probability_of_purchases(bad, 6)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [-0.1, math.inf, "10%", True])
def test_bad_discount_rates(rate: object) -> None:
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    with pytest.raises(
        InvalidParameterError, match="'discount_rate' parameter of BetaGeoBetaBinom"
    ):
        m.discounted_expected_residual_transactions(patterns(), discount_rate=rate)  # type: ignore[arg-type]


def test_empty_customers_predict_empty() -> None:
    empty = rt.rfm_summary(pd.DataFrame({"customer_id": [], "date": []}), freq="Y")
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    for result in (
        m.p_alive(empty),
        m.conditional_expected_purchases(empty, 3),
        m.discounted_expected_residual_transactions(empty, discount_rate=0.1),
    ):
        assert isinstance(result, pd.Series)
        assert len(result) == 0
    with pytest.raises(InvalidValueError, match="needs more customers"):
        rt.BetaGeoBetaBinom.fit(empty)


def test_histories_too_long_for_memory_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # n_periods=10**8 made numpy raise its _ArrayMemoryError: the likelihood tabulates every opportunity
    # up to the longest history. The tables are sized before they are allocated, against this machine's
    # memory (set to 1 GiB here), and the message names the column to change.
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 30)
    m = rt.BetaGeoBetaBinom(**DONATIONS)
    long = {"frequency": [0, 6, 3], "recency": [0, 6, 3], "n_periods": [10**8, 6, 6]}
    message = r"BetaGeoBetaBinom\.{}: .*4 rows of 100,000,001 opportunities.*memory.*\(n_periods\)"
    for method, call in (
        ("p_alive", lambda: m.p_alive(**long)),
        ("conditional_expected_purchases", lambda: m.conditional_expected_purchases(t=5, **long)),
        (
            "discounted_expected_residual_transactions",
            lambda: m.discounted_expected_residual_transactions(**long, discount_rate=0.1),
        ),
        ("fit", lambda: rt.BetaGeoBetaBinom.fit(**long)),
    ):
        with pytest.raises(InvalidParameterError, match=message.format(method)):
            call()
    # A summary's T is named as T.
    summary = pd.DataFrame({"frequency": [0, 6, 3], "recency": [0, 6, 3], "T": [10**8, 6, 6]})
    with pytest.raises(InvalidParameterError, match=r"memory.* \(T\)"):
        m.p_alive(summary)
    # The flat sums of probability_of_purchases: t - n terms for each n.
    with pytest.raises(InvalidParameterError, match=r"probability_of_purchases.*memory.*smaller t"):
        m.probability_of_purchases([0, 1, 2], 10**8)
    # Long but affordable histories still work.
    assert 0 < m.p_alive(frequency=3, recency=3, n_periods=10**5) < 1


def test_tracking_table_refuses_the_bgbb_by_name() -> None:
    # Its horizons are opportunities, not time: the tracking check's fractional ages are not its to read.
    with pytest.raises(
        ColumnTypeError, match=r"'model' argument of tracking_table .* BetaGeoBetaBinom"
    ):
        rt.tracking_table(
            rt.BetaGeoBetaBinom(**DONATIONS), rt.example_transactions(), time_unit="M", freq="M"
        )
