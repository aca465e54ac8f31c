"""Tests of the model value rt.ShiftedBetaGeometric (retention.frames.sbg)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.core.clv import sbg as core
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
)

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


# --- the published fits ---------------------------------------------------------------------------------


@pytest.fixture
def survival() -> pd.DataFrame:
    return rt.load_sbg_survival()


@pytest.mark.parametrize(
    ("column", "params", "loglik"),
    [
        ("regular", {"alpha": 0.704, "beta": 1.182}, -1680.3),
        ("high_end", {"alpha": 0.668, "beta": 3.806}, -1611.2),
    ],
)
def test_reproduces_fader_hardie_2007(
    survival: pd.DataFrame, column: str, params: dict[str, float], loglik: float
) -> None:
    model = rt.ShiftedBetaGeometric.fit(survival.loc[0:7, column])
    assert {name: round(value, 3) for name, value in model.params.items()} == params
    assert round(model.loglik, 1) == loglik
    assert model.n_customers == 1000


@pytest.mark.parametrize(
    ("column", "projected"),
    [
        ("regular", [220.1, 204.4, 191.2, 179.9, 170.0]),
        ("high_end", [460.4, 435.8, 414.2, 395.1, 378.0]),
    ],
)
def test_projection_of_years_8_to_12(
    survival: pd.DataFrame, column: str, projected: list[float]
) -> None:
    # Fitted on years 0-7 and projected to years 8-12, against the survivors the paper held out. The
    # expected values were computed separately (a direct scipy.optimize fit of the same likelihood); the
    # actual survivors are 223, 207, 194, 183, 173 (regular) and 468, 445, 427, 409, 394 (high end).
    model = rt.ShiftedBetaGeometric.fit(survival.loc[0:7, column])
    years = np.arange(8, 13)
    predicted = 1000 * model.survival(years)
    np.testing.assert_array_equal(predicted.round(1), projected)
    actual = survival.loc[8:12, column].to_numpy()
    # The paper's point: heterogeneity, not a constant churn probability, explains the rising retention.
    # The constant-churn model fitted to the same years is further off in every projected year.
    t, still, w = core.survival_rows(np.asarray([survival.loc[0:7, column]], dtype=float))
    theta, _ = core.constant_churn_loglik(t, still, w)
    constant = 1000 * (1 - theta) ** years
    assert np.all(np.abs(predicted - actual) < np.abs(constant - actual))


# --- input: arrays, frames, cohort tables --------------------------------------------------------------


def test_one_cohort_in_every_shape_gives_the_same_fit() -> None:
    reference = rt.ShiftedBetaGeometric.fit(REGULAR)
    for shape in (
        np.array(REGULAR),
        np.array([REGULAR], dtype=float),
        pd.Series(REGULAR),
        pd.DataFrame([REGULAR]),
        [float(v) for v in REGULAR],
    ):
        assert rt.ShiftedBetaGeometric.fit(shape) == reference  # type: ignore[arg-type]


def test_several_cohorts_add_their_likelihoods() -> None:
    both = rt.ShiftedBetaGeometric.fit([REGULAR, HIGH_END])
    ragged = rt.ShiftedBetaGeometric.fit([REGULAR, [*HIGH_END[:4], np.nan, np.nan, np.nan, np.nan]])
    assert both.n_customers == ragged.n_customers == 2000
    params = list(both.params.values())
    t, still, w = core.survival_rows(np.array([REGULAR, HIGH_END], dtype=float))
    from retention.core.clv.fitting import total_loglik

    separate = sum(
        total_loglik(core.SHIFTED_BETA_GEOMETRIC, params, cols, weights)
        for cols, weights in (
            (core.survival_rows([REGULAR])[:2], core.survival_rows([REGULAR])[2]),
            (core.survival_rows([HIGH_END])[:2], core.survival_rows([HIGH_END])[2]),
        )
    )
    assert both.loglik == pytest.approx(separate, rel=1e-12)
    assert both.loglik == pytest.approx(
        total_loglik(core.SHIFTED_BETA_GEOMETRIC, params, (t, still), w), rel=1e-12
    )
    assert ragged != both


def subscriptions(n: int, months: int, alpha: float, beta: float, seed: int) -> pd.DataFrame:
    """Monthly payments of subscribers acquired over the first six months, drawn from the sBG process."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 6, n)
    lifetime = rng.geometric(rng.beta(alpha, beta, n))
    paid = np.minimum(lifetime, months - start)  # payments seen before the observation end
    customer = np.repeat(np.arange(n), paid)
    offset = np.arange(len(customer)) - np.repeat(np.cumsum(paid) - paid, paid)
    month = pd.period_range("2022-01", periods=months, freq="M")[start[customer] + offset]
    day = pd.to_timedelta(rng.integers(0, 28, len(customer)), unit="D")
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": month.to_timestamp() + day,
            "lifetime": lifetime[customer],
            "start": start[customer],
        }
    )


def test_rolling_cohort_table_gives_the_survivors() -> None:
    # One payment per month while subscribed: the rolling cohort table counts the customers of each
    # acquisition month still paying k months later, NaN where not yet observed.
    months = 18
    tx = subscriptions(4000, months, alpha=0.9, beta=3.0, seed=4)
    table = rt.cohort_table(tx, freq="M", kind="rolling", observation_end="2023-06-30")
    customers = tx.drop_duplicates("customer_id")
    expected = np.full((6, months), np.nan)
    for cohort in range(6):  # six cohorts: direct counts of lifetime > t
        life = customers.loc[customers["start"] == cohort, "lifetime"].to_numpy()
        ages = np.arange(months - cohort)
        expected[cohort, : months - cohort] = (life[:, None] > ages[None, :]).sum(axis=0)
    np.testing.assert_array_equal(table.to_numpy(), expected)
    from_table = rt.ShiftedBetaGeometric.fit(table)
    assert from_table == rt.ShiftedBetaGeometric.fit(expected)
    for name, truth in (("alpha", 0.9), ("beta", 3.0)):
        assert abs(from_table.params[name] - truth) < 3 * from_table.standard_errors[name]


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("active", "message"),
    [
        ([1000, 631, 640], "must not increase .* row 0 has 631 at period 1 and 640 at period 2"),
        ([1000, -5, -6], "must not be negative: row 0 has -5 at period 1"),
        ([1000, 631.5, 468], "must be whole numbers of customers: row 0 has 631.5 at period 1"),
        ([1.0, 0.631, 0.468], "must be whole numbers .*Pass counts, not shares"),
        ([0, 0, 0], "must have customers at period 0: row 0 has 0.0"),
        ([[1000, 600, 400], [np.nan, 5, 2]], "must have customers at period 0: row 1 has nan"),
        ([1000, np.nan, 400], "NaN only after the last observed period.*NaN at period 1"),
        ([1000, np.inf, 400], "must be finite: row 0 has inf at period 1"),
        # Ints too large for a float are infinite, not an OverflowError.
        ([1000, 10**400, 400], "must be finite: row 0 has inf at period 1"),
        ([[1000, 600], [500, -(10**400)]], "must be finite: row 1 has -inf at period 1"),
        (pd.Series([10**400, 600]), "must be finite: row 0 has inf at period 0"),
        ([], "got no survival counts"),
        (np.ones((2, 2, 2)), "must be 1-D .* or 2-D"),
        ([[1000, 600, 400], [500, 300]], "rectangular array: pad .* with NaN"),
        ([1000, 600, 600, 600], None),  # fine: churn only at the first period
    ],
)
def test_bad_survival_counts(active: object, message: str | None) -> None:
    if message is None:
        with pytest.warns(
            RetentionWarning
        ):  # one period of churn, then none: no heterogeneity to see
            rt.ShiftedBetaGeometric.fit(active)  # type: ignore[arg-type]
        return
    with pytest.raises(InvalidValueError, match=message):
        rt.ShiftedBetaGeometric.fit(active)  # type: ignore[arg-type]


def test_bad_values_in_a_frame_are_named_by_cohort_and_column() -> None:
    frame = pd.DataFrame(
        [[100, 60, 70], [50, 30, np.nan]], index=pd.Index(["2020", "2021"], name="cohort")
    )
    with pytest.raises(
        InvalidValueError, match="cohort '2020' has 60 at period 1 and 70 at period 2"
    ):
        rt.ShiftedBetaGeometric.fit(frame)
    shuffled = pd.DataFrame([[100, 60, 40]], columns=[1, 0, 2])
    with pytest.raises(InvalidValueError, match=r"must be 0, 1, 2, ... in order; got \[1, 0, 2\]"):
        rt.ShiftedBetaGeometric.fit(shuffled)
    named = pd.DataFrame([REGULAR], columns=[f"year {t}" for t in range(len(REGULAR))])
    assert rt.ShiftedBetaGeometric.fit(named) == rt.ShiftedBetaGeometric.fit(REGULAR)


@pytest.mark.parametrize(
    "active",
    [["1000", "600"], [True, False], pd.DataFrame({"0": ["a"], "1": ["b"]}), [1000, None, "x"]],
)
def test_counts_that_are_not_numbers(active: object) -> None:
    with pytest.raises(ColumnTypeError, match=r"survival counts passed to .* must be numbers"):
        rt.ShiftedBetaGeometric.fit(active)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("active", "message"),
    [
        ([1000, 1000, 1000], "no customer churned"),
        ([[1000, 600], [800, 500]], "needs a cohort observed at periods 0, 1 and 2"),
        (
            [1000, 0, 0],
            "needs a cohort observed at periods 0, 1 and 2 with customers left at period 1",
        ),
        ([2, 1, 0], "needs more customers than the model has parameters \\(2\\)"),
        ([1000], "the model is not identified"),
    ],
)
def test_counts_that_cannot_identify_the_model(active: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        rt.ShiftedBetaGeometric.fit(active)  # type: ignore[arg-type]


def test_constant_retention_warns_that_only_the_ratio_is_identified() -> None:
    with pytest.warns(
        RetentionWarning, match=r"retention does not rise over time .*\(0.4997 per period\)"
    ):
        model = rt.ShiftedBetaGeometric.fit([1000, 500, 250, 125, 63])
    # The predictions are those of the constant churn probability all the same.
    np.testing.assert_allclose(model.retention_rate([1, 2, 3]), 0.5, rtol=1e-2)


def test_input_is_not_modified() -> None:
    frame = pd.DataFrame([REGULAR, [*HIGH_END[:5], np.nan, np.nan, np.nan]])
    before = frame.copy()
    array = np.array(REGULAR, dtype=float)
    rt.ShiftedBetaGeometric.fit(frame)
    rt.ShiftedBetaGeometric.fit(array)
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(array, REGULAR)


# --- the value and its predictions -------------------------------------------------------------------


# Construction, bad parameters, keyword-only parameters, equality and hashing: tests/frames/test_models.py.


def test_predictions_by_hand() -> None:
    m = rt.ShiftedBetaGeometric(alpha=1.0, beta=2.0)
    # theta ~ Beta(1, 2): S(1) = 2/3, S(2) = 1/2; r(1) = 2/3, r(2) = 3/4; P(T = 1) = 1/3, P(T = 2) = 1/6.
    np.testing.assert_allclose(m.survival([0, 1, 2]), [1, 2 / 3, 1 / 2], rtol=1e-14)
    np.testing.assert_allclose(m.retention_rate([1, 2]), [2 / 3, 3 / 4], rtol=1e-14)
    np.testing.assert_allclose(m.churn_probability([1, 2]), [1 / 3, 1 / 6], rtol=1e-14)
    assert m.expected_lifetime() == math.inf  # alpha = 1: E[1 / theta] diverges
    assert rt.ShiftedBetaGeometric(alpha=3.0, beta=4.0).expected_lifetime() == 3.0
    # DEL = sum_t S(t) (1 + d)^-t with S(t) = E[(1 - theta)^t] = 2 / (t + 2) for Beta(1, 2).
    t = np.arange(0, 3000)
    direct = float(np.sum(2.0 / (t + 2) * 1.1**-t))
    assert m.discounted_expected_lifetime(discount_rate=0.1) == pytest.approx(direct, rel=1e-12)
    derl = m.discounted_expected_residual_lifetime(0, discount_rate=0.1)
    assert derl == pytest.approx((direct - 1) * 1.1, rel=1e-12)


def test_scalar_and_array_returns() -> None:
    m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    assert isinstance(m.survival(3), float)
    assert isinstance(m.retention_rate(3), float)
    assert isinstance(m.churn_probability(3), float)
    assert isinstance(m.discounted_expected_residual_lifetime(3, discount_rate=0.1), float)
    assert isinstance(m.discounted_expected_lifetime(discount_rate=0.1), float)
    assert m.survival(np.arange(4)).shape == (4,)
    assert m.discounted_expected_residual_lifetime([1, 2], discount_rate=0.1).shape == (2,)


@pytest.mark.parametrize("t", [-1, 1.5, math.nan, "3"])
def test_bad_periods(t: object) -> None:
    m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    with pytest.raises(
        InvalidParameterError, match=r"'t' parameter of ShiftedBetaGeometric.survival"
    ):
        m.survival(t)  # type: ignore[arg-type]


def test_rates_need_a_previous_period() -> None:
    m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    with pytest.raises(InvalidParameterError, match="retention_rate must be whole numbers >= 1"):
        m.retention_rate(0)
    with pytest.raises(InvalidParameterError, match="churn_probability must be whole numbers >= 1"):
        m.churn_probability([0, 1])


@pytest.mark.parametrize("rate", [-0.1, math.inf, "10%", None, True])
def test_bad_discount_rates(rate: object) -> None:
    m = rt.ShiftedBetaGeometric(alpha=0.704, beta=1.182)
    with pytest.raises(
        InvalidParameterError, match="'discount_rate' parameter of ShiftedBetaGeometric"
    ):
        m.discounted_expected_lifetime(discount_rate=rate)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'discount_rate' parameter of"):
        m.discounted_expected_residual_lifetime(2, discount_rate=rate)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'renewals' parameter of"):
        m.discounted_expected_residual_lifetime(-1, discount_rate=0.1)


@pytest.mark.filterwarnings("error")
def test_constant_churn_summary_and_huge_renewals_without_runtime_warnings() -> None:
    # Halving cohorts: the fit warns that alpha and beta are not identified (its RetentionWarning); the
    # summary's bounds then lie beyond floats (exp(+-1.96 se_log), se_log in the thousands): 0 and inf.
    with pytest.warns(RetentionWarning, match="retention does not rise"):
        m = rt.ShiftedBetaGeometric.fit([1024, 512, 256, 128, 64, 32, 16])
    table = m.summary()
    assert (table["lower_95"] == 0.0).all()
    assert (table["upper_95"] == math.inf).all()
    # A customer with 1e300 renewals never leaves: 1 + 1 / 1.1 + 1 / 1.1^2 + ... = 11.
    derl = rt.ShiftedBetaGeometric(alpha=0.5, beta=0.5).discounted_expected_residual_lifetime(
        1e300, discount_rate=0.1
    )
    assert derl == pytest.approx(11.0, rel=1e-15, abs=0)
