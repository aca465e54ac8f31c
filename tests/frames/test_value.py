"""Tests of customer value and the model checks on frames (retention.frames.value)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import integrate, special

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
)
from retention.frames.schema import MAX_AMOUNT
from tests.lines import orders_frame, split_into_lines

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def customers() -> pd.DataFrame:
    """Six CDNOW-like customers (times in weeks) with their mean repeat spend."""
    return pd.DataFrame(
        {
            "frequency": [0, 2, 7, 1, 1, 30],
            "recency": [0.0, 30.43, 29.43, 1.71, 1.71, 38.0],
            "T": [38.86, 38.86, 38.86, 38.86, 20.0, 38.86],
            "monetary_value": [0.0, 22.35, 73.74, 11.77, 40.0, 15.0],
        },
        index=pd.Index([11, 12, 13, 14, 15, 16], name="customer_id"),
    )


class UnitSpend:
    """A spend model that predicts 1 per transaction, so CLV is the discounted number of transactions."""

    def conditional_expected_spend(self, *, frequency: Any, monetary_value: Any) -> np.ndarray:
        return np.ones(len(np.asarray(frequency)))


@pytest.fixture(scope="module")
def cdnow() -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = rt.load_cdnow()
    summary = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")
    return tx, summary


# --- customer_lifetime_value ---------------------------------------------------------------------------


def test_clv_matches_lifetimes_on_cdnow(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    # lifetimes 0.11.3: GammaGammaFitter(p=6.25, q=3.74, v=15.44).customer_lifetime_value(BetaGeoFitter
    # with r=0.243, alpha=4.414, a=0.793, b=2.426, ..., time=12, discount_rate=0.01, freq="W") on the
    # calibration summary: 12 months of 4.345 weeks at 1% a month.
    peer = {
        1: 36.285702,
        2: 4.641031,
        3: 8.369491,
        6: 283.570303,
        9: 43.373842,
        18: 6.349369,
        100: 21.900958,
    }
    _, summary = cdnow
    got = rt.customer_lifetime_value(
        rt.BetaGeo(**BG),
        rt.GammaGamma(**GG),
        summary.loc[list(peer)],
        horizon=12,
        freq=4.345,
        discount_rate=0.01,
    )
    np.testing.assert_allclose(got.to_numpy(), list(peer.values()), atol=2e-6)


def test_clv_without_discount_is_spend_times_expected_purchases() -> None:
    summary = customers()
    purchases, spend = rt.BetaGeo(**BG), rt.GammaGamma(**GG)
    got = rt.customer_lifetime_value(
        purchases,
        spend,
        summary,
        horizon=12,
        freq="M",
        time_unit="W",
        discount_rate=0.0,
        margin=0.3,
    )
    weeks = 365.2425 / 7  # 12 months of 365.2425 / 12 days
    expected = (
        0.3
        * spend.conditional_expected_spend(summary)
        * purchases.conditional_expected_purchases(summary, weeks)
    )
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert got.name == "clv"
    assert got.index.equals(summary.index)


def _gamma_mean(h: Any, k: float) -> float:
    """E[h(y)] for y ~ Gamma(k, 1) by quadrature (y = v ** (1/k) removes the singularity when k < 1)."""
    if k < 1:

        def f(v: float) -> float:
            return float(h(v ** (1 / k)) * math.exp(-(v ** (1 / k))) / math.gamma(k + 1))

        cuts = [0.0, 1.0, 50.0**k, math.inf]
    else:

        def f(v: float) -> float:
            return (
                float(h(v) * math.exp((k - 1) * math.log(v) - v - math.lgamma(k))) if v > 0 else 0.0
            )

        cuts = [0.0, k, k + 10 * math.sqrt(k) + 10, math.inf]
    pieces = itertools.pairwise(cuts)
    return sum(integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-11, limit=200)[0] for lo, hi in pieces)


def bg_dert(x: float, tx: float, T: float, delta: float) -> float:
    """Discounted expected residual transactions of the BG/NBD by 2-D quadrature of the posterior.

    Alive at T, the customer has lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x), buys at rate lambda
    and leaves at each purchase with probability p, so is alive at T + s with probability exp(-lambda p s):
    the discounted purchases are int exp(-delta s) lambda exp(-lambda p s) ds = lambda / (lambda p + delta).
    """
    r, alpha, a, b = BG.values()
    k, rate, beta = r + x, alpha + T, b + x
    alive = 1.0 if x == 0 else 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))

    def outer(u: float) -> float:
        p = u ** (1 / a)  # removes the p ** (a - 1) of the beta density
        inner = _gamma_mean(lambda y: (y / rate) / (y / rate * p + delta), k)
        return inner * (1 - p) ** (beta - 1)

    value = integrate.quad(outer, 0, 1, epsabs=0, epsrel=1e-10, limit=200)[0]
    return alive * value / (a * math.exp(special.betaln(a, beta)))


def test_clv_tends_to_the_continuously_discounted_value() -> None:
    # Daily periods (1/7 week) at a continuous rate delta per week: (1 + d) = exp(delta / 7). Over 600
    # weeks (exp(-30) of the value is left), the sum discounts each day's purchases from its end, so it
    # brackets the continuous DERT: sum <= DERT <= exp(delta / 7) * sum. The middle of the bracket is
    # within (delta / 7) ** 2 of the DERT.
    summary = customers()
    delta, step = 0.05, 1 / 7
    got = rt.customer_lifetime_value(
        rt.BetaGeo(**BG),
        UnitSpend(),
        summary,
        horizon=round(600 / step),
        freq=step,
        discount_rate=math.exp(delta * step) - 1,
    ).to_numpy()
    dert = np.array([bg_dert(x, tx, T, delta) for x, tx, T, _ in summary.itertuples(index=False)])
    assert np.all(got <= dert * (1 + 1e-9))
    assert np.all(dert <= got * math.exp(delta * step) * (1 + 1e-9))
    np.testing.assert_allclose(got * math.exp(delta * step / 2), dert, rtol=(delta * step) ** 2)


def test_clv_of_pareto_nbd_tends_to_its_dert() -> None:
    model = rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    summary = customers()
    delta, step = 0.05, 1 / 7
    got = rt.customer_lifetime_value(
        model,
        UnitSpend(),
        summary,
        horizon=round(600 / step),
        freq=step,
        discount_rate=math.exp(delta * step) - 1,
    ).to_numpy()
    dert = np.asarray(
        model.discounted_expected_residual_transactions(summary, continuous_discount_rate=delta),
        dtype=float,
    )
    assert np.all(got <= dert * (1 + 1e-9))
    assert np.all(dert <= got * math.exp(delta * step) * (1 + 1e-9))
    np.testing.assert_allclose(got * math.exp(delta * step / 2), dert, rtol=(delta * step) ** 2)


@pytest.mark.parametrize(
    ("freq", "time_unit", "step"),
    [
        ("M", "W", 365.2425 / 12 / 7),
        ("W", "D", 7.0),
        ("Y", "M", 12.0),
        ("Q", "M", 3.0),
        ("D", "W", 1 / 7),
        ("ME", "D", 365.2425 / 12),
    ],
)
def test_clv_period_units(freq: str, time_unit: str, step: float) -> None:
    summary = customers()
    args = (rt.BetaGeo(**BG), rt.GammaGamma(**GG), summary)
    by_name = rt.customer_lifetime_value(
        *args, horizon=5, freq=freq, time_unit=time_unit, discount_rate=0.02
    )
    by_length = rt.customer_lifetime_value(*args, horizon=5, freq=step, discount_rate=0.02)
    pd.testing.assert_series_equal(by_name, by_length, rtol=1e-12)


def test_clv_works_with_the_mbg_nbd_and_compression_changes_nothing() -> None:
    summary = pd.concat([customers(), customers().set_axis(range(20, 26))])  # every customer twice
    model, spend = rt.ModifiedBetaGeo(**BG), rt.GammaGamma(**GG)
    got = rt.customer_lifetime_value(model, spend, summary, horizon=3, freq=4.0, discount_rate=0.1)
    # Customer by customer, period by period, without grouping identical customers.
    expected = []
    for _, row in summary.iterrows():
        one = row.to_frame().T
        cumulative = [0.0] + [
            float(model.conditional_expected_purchases(one, 4.0 * k).iloc[0]) for k in (1, 2, 3)
        ]
        increments = np.diff(cumulative) / 1.1 ** np.arange(1, 4)
        expected.append(float(spend.conditional_expected_spend(one).iloc[0]) * increments.sum())
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)


def test_clv_of_an_empty_summary() -> None:
    got = rt.customer_lifetime_value(
        rt.BetaGeo(**BG),
        rt.GammaGamma(**GG),
        customers().iloc[:0],
        horizon=3,
        freq=4.0,
        discount_rate=0.1,
    )
    assert len(got) == 0
    assert got.name == "clv"


@given(
    low=st.floats(0, 0.5),
    high=st.floats(0, 0.5),
    horizon=st.integers(1, 15),
    extra=st.integers(0, 15),
    margin=st.floats(0.01, 100),
)
def test_clv_properties(low: float, high: float, horizon: int, extra: int, margin: float) -> None:
    low, high = sorted((low, high))
    summary = customers()
    args = (rt.BetaGeo(**BG), rt.GammaGamma(**GG), summary)

    def clv(rate: float, periods: int, m: float = 1.0) -> np.ndarray:
        return rt.customer_lifetime_value(
            *args, horizon=periods, freq="M", time_unit="W", discount_rate=rate, margin=m
        ).to_numpy()

    base = clv(low, horizon)
    assert np.all(base >= 0)
    assert np.all(clv(high, horizon) <= base * (1 + 1e-12))  # non-increasing in the discount rate
    assert np.all(clv(low, horizon + extra) >= base * (1 - 1e-12))  # non-decreasing in the horizon
    np.testing.assert_allclose(clv(low, horizon, margin), margin * base, rtol=1e-12)  # linear


def test_clv_bad_arguments() -> None:
    summary = customers()
    bg, gg = rt.BetaGeo(**BG), rt.GammaGamma(**GG)
    ok: dict[str, Any] = {"horizon": 12, "freq": "M", "time_unit": "W", "discount_rate": 0.01}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"time_unit": None}, "'time_unit' parameter .* is needed"),
        ({"freq": 4.3}, "applies only when freq is a period"),
        ({"freq": "X"}, "'freq' parameter .* must be one of"),
        ({"time_unit": "fortnight"}, "'time_unit' parameter"),
        ({"freq": 0.0, "time_unit": None}, "'freq' parameter .* positive"),
        ({"freq": -1.0, "time_unit": None}, "'freq'"),
        ({"horizon": 0}, "'horizon' parameter .* whole number >= 1"),
        ({"horizon": 2.5}, "'horizon'"),
        ({"horizon": True}, "'horizon'"),
        ({"discount_rate": -0.01}, "'discount_rate' parameter .* >= 0"),
        ({"discount_rate": math.nan}, "'discount_rate'"),
        ({"discount_rate": "1%"}, "'discount_rate'"),
        ({"margin": math.inf}, "'margin'"),
        ({"margin": 1e101}, r"'margin' parameter .* from -1e\+100 to 1e\+100"),
    ]
    for change, message in cases:
        with pytest.raises(InvalidParameterError, match=message):
            rt.customer_lifetime_value(bg, gg, summary, **(ok | change))
    with pytest.raises(
        ColumnTypeError, match=r"'transaction_model' argument .* conditional_expected_purchases"
    ):
        rt.customer_lifetime_value(gg, bg, summary, **ok)  # type: ignore[arg-type]
    with pytest.raises(
        ColumnTypeError, match=r"'spend_model' argument .* conditional_expected_spend"
    ):
        rt.customer_lifetime_value(bg, bg, summary, **ok)  # type: ignore[arg-type]
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        rt.customer_lifetime_value(bg, gg, summary.to_dict(), **ok)  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match="monetary_value"):
        rt.customer_lifetime_value(bg, gg, summary.drop(columns="monetary_value"), **ok)
    with pytest.raises(InvalidValueError, match=r"recency .* must not exceed T"):
        rt.customer_lifetime_value(bg, gg, summary.assign(recency=50.0), **ok)
    with pytest.raises(InvalidValueError, match=r"monetary_value .* must be positive"):
        rt.customer_lifetime_value(bg, gg, summary.assign(monetary_value=0.0), **ok)


class CountedModel:
    """A transaction model that counts the values asked of it and refuses to give more than ``limit``."""

    def __init__(self, model: Any, limit: int) -> None:
        self.model, self.limit, self.used = model, limit, 0

    def conditional_expected_purchases(self, t: Any, **customers: Any) -> np.ndarray:
        values = np.asarray(self.model.conditional_expected_purchases(t=t, **customers))
        self.used += values.size
        if self.used > self.limit:
            msg = f"asked for {self.used} values"
            raise AssertionError(msg)
        return values


def explicit_clv(
    model: Any, summary: pd.DataFrame, horizon: int, step: float, rate: float
) -> np.ndarray:
    """The CLV sum period by period, every period asked of the model (times x customers at once)."""
    k = np.arange(horizon + 1, dtype=np.float64)
    columns = {c: summary[c].to_numpy() for c in ("frequency", "recency", "T")}
    cumulative = model.conditional_expected_purchases(t=(k * step)[:, None], **columns)
    transactions = np.exp(-k[1:] * math.log1p(rate)) @ np.diff(cumulative, axis=0)
    spend = rt.GammaGamma(**GG).conditional_expected_spend(summary).to_numpy()
    return spend * transactions


@pytest.mark.parametrize(
    "model",
    [
        rt.BetaGeo(**BG),
        rt.ModifiedBetaGeo(**BG),
        rt.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    ],
    ids=["BG/NBD", "MBG/NBD", "Pareto/NBD"],
)
@pytest.mark.parametrize(
    ("horizon", "step", "rate"),
    [
        (600, 1 / 7, 3e-4),
        (2000, 1 / 7, 1e-5),
        (1500, 1.0, 0.002),
        (800, 52.0, 0.1),
        (5000, 4.345, 0.3),
    ],
)
def test_clv_of_long_horizons_is_the_period_sum(
    model: Any, horizon: int, step: float, rate: float
) -> None:
    # Beyond 512 periods the sum is taken in bulk: within the documented 1e-12 of the explicit sum.
    summary = customers()
    got = rt.customer_lifetime_value(
        model, rt.GammaGamma(**GG), summary, horizon=horizon, freq=step, discount_rate=rate
    )
    np.testing.assert_allclose(
        got.to_numpy(), explicit_clv(model, summary, horizon, step, rate), rtol=1e-12
    )


def test_clv_cost_does_not_grow_with_the_horizon() -> None:
    # Daily periods over a million days took minutes, one call of the model per day. Not a timing: the
    # values asked of the model, fewer than 530 per customer for any horizon (benchmarks/bench_clv.py
    # times it).
    summary = customers()
    spend = rt.GammaGamma(**GG)
    daily = {"freq": "D", "time_unit": "W", "discount_rate": 0.0003}
    values = {}
    for days in (10**4, 10**6, 10**9):
        counted = CountedModel(rt.BetaGeo(**BG), limit=530 * len(summary))
        values[days] = rt.customer_lifetime_value(counted, spend, summary, horizon=days, **daily)
    pd.testing.assert_series_equal(values[10**6], values[10**9])  # cut where (1 + d)^-k < e^-40
    assert (values[10**4] < values[10**6]).all()


def test_clv_of_a_long_horizon_brackets_the_continuously_discounted_value() -> None:
    # As test_clv_tends_to_the_continuously_discounted_value, with a horizon of a million days: what is
    # left after 600 weeks is too small to move the bracket.
    summary = customers()
    delta, step = 0.05, 1 / 7
    got = rt.customer_lifetime_value(
        CountedModel(rt.BetaGeo(**BG), limit=530 * len(summary)),
        UnitSpend(),
        summary,
        horizon=10**6,
        freq=step,
        discount_rate=math.exp(delta * step) - 1,
    ).to_numpy()
    dert = np.array([bg_dert(x, tx, T, delta) for x, tx, T, _ in summary.itertuples(index=False)])
    assert np.all(got <= dert * (1 + 1e-9))
    assert np.all(dert <= got * math.exp(delta * step) * (1 + 1e-9))
    np.testing.assert_allclose(got * math.exp(delta * step / 2), dert, rtol=(delta * step) ** 2)


def test_clv_without_discount_over_any_horizon_is_one_prediction() -> None:
    summary = customers()
    model, spend = rt.BetaGeo(**BG), rt.GammaGamma(**GG)
    counted = CountedModel(model, limit=len(summary))  # one time: the sum telescopes
    got = rt.customer_lifetime_value(
        counted, spend, summary, horizon=10**12, freq=1.0, discount_rate=0.0
    )
    expected = spend.conditional_expected_spend(summary) * model.conditional_expected_purchases(
        summary, 1e12
    )
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-15)


def test_clv_horizon_beyond_two_to_the_53_is_refused() -> None:
    # Refused before the model is asked for anything (the sum used to run period by period, for ever).
    args = (CountedModel(rt.BetaGeo(**BG), limit=0), rt.GammaGamma(**GG), customers())
    with pytest.raises(InvalidParameterError, match=r"'horizon' parameter .* from 1 to 2\*\*53"):
        rt.customer_lifetime_value(*args, horizon=2**53 + 1, freq=1.0, discount_rate=0.01)
    with pytest.raises(InvalidParameterError, match="'horizon'"):
        rt.customer_lifetime_value(*args, horizon=10**400, freq=1.0, discount_rate=0.0)
    with pytest.raises(InvalidParameterError, match=r"'horizon' and 'freq' .* beyond float64"):
        rt.customer_lifetime_value(*args, horizon=12, freq=1e308, discount_rate=0.01)


def test_clv_refuses_the_bgbb_and_says_which_models_it_takes() -> None:
    bgbb = rt.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    summary = customers().assign(recency=[0.0, 30.0, 29.0, 2.0, 2.0, 38.0], T=39.0)
    message = (
        r"'transaction_model' argument of customer_lifetime_value .* rt.BetaGeo, rt.ModifiedBetaGeo or "
        r"rt.ParetoNBD\. Got BetaGeoBetaBinom.*discounted_expected_residual_transactions"
    )
    with pytest.raises(ColumnTypeError, match=message):
        rt.customer_lifetime_value(
            bgbb, rt.GammaGamma(**GG), summary, horizon=12, freq=1.0, discount_rate=0.01
        )


@pytest.mark.parametrize(("customer", "spend"), [(13, 1e308), (13, 1e200), (11, -1e300)])
def test_clv_refuses_monetary_values_beyond_the_amount_bound(customer: int, spend: float) -> None:
    # 1e308 overflowed the Gamma-Gamma posterior to inf, with numpy RuntimeWarnings. (Customer 11 has no
    # repeat purchase: its monetary value is not used, but is no amount either.)
    summary = customers()
    summary.loc[customer, "monetary_value"] = spend
    message = rf"monetary_value .* customer_lifetime_value .* at most .*index {customer}"
    with pytest.raises(InvalidValueError, match=message):
        rt.customer_lifetime_value(
            rt.BetaGeo(**BG), rt.GammaGamma(**GG), summary, horizon=3, freq=1.0, discount_rate=0.1
        )


def test_clv_at_the_amount_bound_is_finite() -> None:
    summary = customers()
    summary.loc[13, "monetary_value"] = MAX_AMOUNT
    got = rt.customer_lifetime_value(
        rt.BetaGeo(**BG), rt.GammaGamma(**GG), summary, horizon=3, freq=1.0, discount_rate=0.1
    )
    assert np.isfinite(got).all()


# --- historical_value -----------------------------------------------------------------------------------


def purchases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["b", "a", "b", "c", "b", "a"],
            "date": pd.to_datetime(
                ["2024-01-02", "2024-01-05", "2024-01-09", "2024-02-01", "2024-03-01", "2024-03-02"]
            ),
            "amount": [10.0, 25.0, -4.0, 7.5, 20.0, 5.0],
        }
    )


def test_historical_value_by_hand() -> None:
    got = rt.historical_value(purchases())
    expected = pd.Series(
        [30.0, 26.0, 7.5],
        index=pd.Index(["a", "b", "c"], name="customer_id"),
        name="historical_value",
    )
    pd.testing.assert_series_equal(got, expected, check_index_type=False)
    # Up to 2024-02-01, at a 40% margin: a 25 * 0.4, b (10 - 4) * 0.4, c 7.5 * 0.4.
    early = rt.historical_value(purchases(), observation_end="2024-02-01", margin=0.4)
    np.testing.assert_allclose(early.to_numpy(), [10.0, 2.4, 3.0])
    # Other column names.
    renamed = purchases().rename(columns={"customer_id": "who", "date": "when", "amount": "paid"})
    same = rt.historical_value(renamed, customer_id="who", date="when", amount="paid")
    np.testing.assert_allclose(same.to_numpy(), got.to_numpy())
    assert same.index.name == "who"


def test_historical_value_bad_margin_and_empty() -> None:
    for bad in (math.nan, "0.3", None):
        with pytest.raises(InvalidParameterError, match="'margin' parameter of historical_value"):
            rt.historical_value(purchases(), margin=bad)  # type: ignore[arg-type]
    empty = rt.historical_value(purchases().iloc[:0])
    assert len(empty) == 0
    assert empty.name == "historical_value"


def order_log() -> pd.DataFrame:
    """Order lines with returns (amounts in whole cents).

    a: order A1 of two lines (15.50) on 2 Jan, A2 (20) on 10 Feb, A3 of two lines on 5 Mar netting to
    -3 (a return as a whole), and a return of 100 on 5 Apr, after the last purchase. b: order B1 of two
    lines on 15 and 16 Jan (10, dated 15 Jan) and a return B2 of 4 on 1 Mar. c: a return only. e: one
    order of 8 on 31 Mar, the last purchase.
    """
    rows = [
        ("a", "A1", "2024-01-02", 10.00),
        ("a", "A1", "2024-01-02", 5.50),
        ("a", "A2", "2024-02-10", 20.00),
        ("b", "B1", "2024-01-15", 7.25),
        ("b", "B1", "2024-01-16", 2.75),
        ("b", "B2", "2024-03-01", -4.00),
        ("c", "C1", "2024-02-01", -30.00),
        ("a", "A3", "2024-03-05", 12.00),
        ("a", "A3", "2024-03-05", -15.00),
        ("e", "E1", "2024-03-31", 8.00),
        ("a", "A4", "2024-04-05", -100.00),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "amount"])
    return tx.assign(date=pd.to_datetime(tx["date"]))


def test_historical_value_of_orders_and_returns_by_hand() -> None:
    tx = order_log()
    index = pd.Index(["a", "b", "e"], name="customer_id")
    # a: 15.50 + 20 - 3; b: 10 - 4; e: 8. c only returned goods: not a customer. a's return of 5 April
    # is after the last purchase (31 March), the observation end.
    net = pd.Series([32.5, 6.0, 8.0], index=index, name="historical_value")
    pd.testing.assert_series_equal(rt.historical_value(tx, order_id="order_id"), net)
    # Revenue is the same whether rows or orders: an order's amount is the sum of its rows.
    pd.testing.assert_series_equal(rt.historical_value(tx), net)
    # "drop" ignores the rows of negative amount: A3 is then a purchase of 12.
    dropped = rt.historical_value(tx, order_id="order_id", returns="drop", margin=0.5)
    np.testing.assert_array_equal(dropped.to_numpy(), [23.75, 5.0, 4.0])
    # Up to 1 March: A1 + A2 for a, B1 - B2 for b; e has not bought yet.
    early = rt.historical_value(tx, order_id="order_id", observation_end="2024-03-01")
    assert list(early.index) == ["a", "b"]
    np.testing.assert_array_equal(early.to_numpy(), [35.5, 6.0])
    # A later observation end takes a's return of 5 April.
    late = rt.historical_value(tx, order_id="order_id", observation_end="2024-04-30")
    np.testing.assert_array_equal(late.to_numpy(), [-67.5, 6.0, 8.0])


def test_historical_value_by_groups() -> None:
    tx = order_log().assign(
        channel=["web", "web", "shop", "shop", "web", "web", "app", "web", "web", "app", "web"]
    )
    managers = pd.Series(["ann", "bob", "ann"], index=["a", "b", "e"], name="manager")
    got = rt.historical_value(tx, order_id="order_id", by=managers)
    expected_index = pd.MultiIndex.from_tuples(
        [("ann", "a"), ("ann", "e"), ("bob", "b")], names=["manager", "customer_id"]
    )
    pd.testing.assert_series_equal(
        got, pd.Series([32.5, 8.0, 6.0], index=expected_index, name="historical_value")
    )
    # By column: each customer's channel on their first purchase (b's B1 starts on the "shop" line; the
    # return of c, in "app", makes no group).
    by_channel = rt.historical_value(tx, order_id="order_id", by="channel")
    assert list(by_channel.index) == [("app", "e"), ("shop", "b"), ("web", "a")]
    np.testing.assert_array_equal(by_channel.to_numpy(), [8.0, 6.0, 32.5])


def test_historical_value_needs_the_amount_column() -> None:
    with pytest.raises(ColumnNotFoundError, match="amount"):
        rt.historical_value(order_log().drop(columns="amount"))
    with pytest.raises(InvalidParameterError, match="'returns'"):
        rt.historical_value(order_log(), returns="keep")


def test_historical_value_sums_exactly_in_any_order() -> None:
    # 1e16 + 1 - 1e16 + 5 is 6; adding in row order gives 4, 5, 6 or 8 depending on the order.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(["2024-01-01"] * 7),
            "amount": [1e16, 1.0, -1e16, 5.0, 0.1, 0.2, 0.3],
        }
    )
    for order in itertools.permutations(range(4)):
        got = rt.historical_value(tx.iloc[[*order, 4, 5, 6]])
        np.testing.assert_array_equal(got.to_numpy(), [6.0, 0.6])


# Rows of (customer, day, amount in cents, lines in the order).
order_rows = st.lists(
    st.tuples(
        st.integers(1, 6), st.integers(0, 90), st.integers(-5_000, 50_000), st.integers(1, 3)
    ),
    min_size=1,
    max_size=30,
)


@given(order_rows)
def test_historical_value_of_orders_split_into_lines(rows: list[tuple[int, int, int, int]]) -> None:
    orders = orders_frame(rows)  # returns alone included: no customers, in lines or not
    for returns in ("net", "drop"):
        expected = rt.historical_value(orders, order_id="order_id", returns=returns)
        got = rt.historical_value(split_into_lines(orders), order_id="order_id", returns=returns)
        pd.testing.assert_series_equal(got, expected, check_exact=True)


@given(order_rows, st.data())
def test_a_return_lowers_its_customer_by_its_amount(
    rows: list[tuple[int, int, int, int]], data: st.DataObject
) -> None:
    orders = orders_frame(rows)
    bought = orders[orders["amount"] >= 0]
    assume(not bought.empty)
    end = bought["date"].max()
    base = rt.historical_value(orders, order_id="order_id")
    who = data.draw(st.sampled_from(sorted(bought["customer_id"].unique())))
    cents = data.draw(st.integers(1, 100_000))
    day = data.draw(st.integers(0, int((end - pd.Timestamp("2024-01-01")).days)))
    refund = pd.DataFrame(
        {
            "customer_id": [who],
            "day": [day],
            "cents": [-cents],
            "lines": [1],
            "order_id": [10_000],
            "date": [pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)],
            "amount": [-cents / 100],
        }
    )
    got = rt.historical_value(pd.concat([orders, refund]), order_id="order_id")
    # Whole cents add exactly: the customer's new total is the decimal total less the refund.
    kept = orders[(orders["date"] <= end) & orders["customer_id"].isin(bought["customer_id"])]
    total_cents = kept.groupby("customer_id")["cents"].sum()
    expected = (
        (total_cents - pd.Series({who: cents})).reindex(total_cents.index).fillna(total_cents)
    )
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy() / 100)
    np.testing.assert_array_equal(
        got.drop(who).to_numpy(), base.drop(who).to_numpy()
    )  # nobody else changes
    assert got.index.equals(base.index)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 8),
            st.integers(0, 60),
            st.sampled_from([1e16, -1e16, 1.0, 5.0, -3.0, 0.1, 0.2, -0.3, 1234.56]),
            st.sampled_from(["web", "shop", None]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
def test_historical_value_row_order_and_groups(rows: list[tuple[Any, ...]], rnd: Any) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "channel"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    assume((tx["amount"] >= 0).any())
    order = list(range(len(tx)))
    rnd.shuffle(order)
    base = rt.historical_value(tx)
    pd.testing.assert_series_equal(rt.historical_value(tx.iloc[order]), base, check_exact=True)
    # by=: each group's part equals the function on that group's customers alone, to the last bit.
    end = tx.loc[tx["amount"] >= 0, "date"].max()
    grouped = rt.historical_value(tx, by="channel", observation_end=end)
    pd.testing.assert_series_equal(
        rt.historical_value(tx.iloc[order], by="channel", observation_end=end),
        grouped,
        check_exact=True,
    )
    first = (
        tx[tx["amount"] >= 0]
        .sort_values(["customer_id", "date", "channel"], na_position="last")
        .drop_duplicates("customer_id")
        .set_index("customer_id")["channel"]
    )
    assert len(grouped) == len(base)
    for label in grouped.index.get_level_values(0).unique():
        members = first.index[first.isna()] if pd.isna(label) else first.index[first == label]
        alone = rt.historical_value(tx[tx["customer_id"].isin(members)], observation_end=end)
        outer = grouped.index.get_level_values(0)
        part = grouped[outer.isna() if pd.isna(label) else outer == label].droplevel(0)
        pd.testing.assert_series_equal(part, alone, check_exact=True)


# --- calibration_holdout_table ----------------------------------------------------------------------


def holdout_summary() -> pd.DataFrame:
    return customers().assign(frequency_holdout=[0, 1, 4, 0, 2, 20], duration_holdout=39.0)


def test_calibration_holdout_table_by_direct_computation() -> None:
    summary = holdout_summary()
    model = rt.BetaGeo(**BG)
    got = rt.calibration_holdout_table(model, summary, max_frequency=2)
    assert list(got.index) == ["0", "1", "2+"]
    assert got.index.name == "frequency"
    assert list(got.columns) == ["customers", "actual", "expected"]
    np.testing.assert_array_equal(got["customers"], [1, 2, 3])
    np.testing.assert_allclose(got["actual"], [0.0, 1.0, 25 / 3])
    predicted = model.conditional_expected_purchases(summary, 39.0).to_numpy()
    np.testing.assert_allclose(
        got["expected"],
        [predicted[0], predicted[[3, 4]].mean(), predicted[[1, 2, 5]].mean()],
        rtol=1e-14,
    )
    # Empty bins have no mean.
    wide = rt.calibration_holdout_table(model, summary)
    assert list(wide.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    np.testing.assert_array_equal(wide["customers"], [1, 2, 1, 0, 0, 0, 0, 2])
    assert wide.loc["3":"6", ["actual", "expected"]].isna().all().all()


def test_calibration_holdout_table_with_varying_holdout_lengths() -> None:
    summary = holdout_summary().assign(duration_holdout=[39.0, 10.0, 39.0, 10.0, 39.0, 39.0])
    model = rt.BetaGeo(**BG)
    got = rt.calibration_holdout_table(model, summary, max_frequency=1)
    each = np.array(
        [
            model.conditional_expected_purchases(row.to_frame().T, d).iloc[0]
            for d, (_, row) in zip(summary["duration_holdout"], summary.iterrows(), strict=True)
        ]
    )
    np.testing.assert_allclose(got["expected"], [each[0], each[1:].mean()], rtol=1e-14)


def test_calibration_holdout_table_reproduces_cdnow(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    # Fader, Hardie & Lee (2005), Figure 4, with the published parameters. The paper shows the numbers as
    # a plot only; these are lifetimes 0.11.3's: conditional_expected_number_of_purchases_up_to_time(39,
    # ...) of BetaGeoFitter(r=0.243, alpha=4.414, a=0.793, b=2.426) averaged by calibration frequency.
    _, summary = cdnow
    got = rt.calibration_holdout_table(rt.BetaGeo(**BG), summary)
    np.testing.assert_array_equal(got["customers"], [1411, 439, 214, 100, 62, 38, 29, 64])
    np.testing.assert_allclose(
        got["actual"],
        [0.236712, 0.697039, 1.392523, 1.56, 2.532258, 2.947368, 3.862069, 6.359375],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        got["expected"],
        [0.225451, 0.523176, 1.04417, 1.520293, 2.163875, 2.653832, 3.503991, 6.157072],
        atol=1e-6,
    )


def test_calibration_holdout_table_bad_input() -> None:
    model = rt.BetaGeo(**BG)
    with pytest.raises(ColumnNotFoundError, match="frequency_holdout"):
        rt.calibration_holdout_table(model, customers())
    for bad in (0, -1, 2.0, True):
        with pytest.raises(InvalidParameterError, match="'max_frequency'"):
            rt.calibration_holdout_table(model, holdout_summary(), max_frequency=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"frequency_holdout .* whole numbers"):
        rt.calibration_holdout_table(model, holdout_summary().assign(frequency_holdout=-1))
    with pytest.raises(InvalidValueError, match=r"duration_holdout .* finite"):
        rt.calibration_holdout_table(model, holdout_summary().assign(duration_holdout=math.nan))
    with pytest.raises(ColumnTypeError, match="'model' argument"):
        rt.calibration_holdout_table(rt.GammaGamma(**GG), holdout_summary())  # type: ignore[arg-type]


BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def opportunity_summary() -> pd.DataFrame:
    """Six customers counted in opportunities (whole numbers), with a holdout of 5 opportunities."""
    return pd.DataFrame(
        {
            "frequency": [0, 1, 6, 3, 2, 5],
            "recency": [0, 5, 6, 3, 6, 6],
            "T": [6, 6, 6, 6, 8, 8],
            "frequency_holdout": [0, 1, 4, 0, 2, 3],
            "duration_holdout": 5.0,
        },
        index=pd.Index([11, 12, 13, 14, 15, 16], name="customer_id"),
    )


def test_calibration_holdout_table_of_the_bgbb_by_direct_computation() -> None:
    # It took only models with T=: the BG/BB raised a TypeError about T. Its holdout prediction is
    # E[X(n, n + n*)] with n = T opportunities and n* = duration_holdout (FHS 2010, eq. 13).
    summary = opportunity_summary()
    model = rt.BetaGeoBetaBinom(**BGBB)
    got = rt.calibration_holdout_table(model, summary, max_frequency=3)
    predicted = model.conditional_expected_purchases(
        t=5,
        frequency=summary["frequency"],
        recency=summary["recency"],
        n_periods=summary["T"],
    )
    np.testing.assert_array_equal(got["customers"], [1, 1, 1, 3])
    np.testing.assert_allclose(got["actual"], [0.0, 1.0, 2.0, 7 / 3])
    np.testing.assert_allclose(
        got["expected"],
        [predicted[0], predicted[1], predicted[4], predicted[[2, 3, 5]].mean()],
        rtol=1e-14,
    )
    # n_periods instead of T, as the BG/BB reads it, gives the same table.
    renamed = summary.rename(columns={"T": "n_periods"})
    pd.testing.assert_frame_equal(
        rt.calibration_holdout_table(model, renamed, max_frequency=3), got
    )


def test_calibration_holdout_table_of_the_bgbb_needs_whole_opportunities() -> None:
    model = rt.BetaGeoBetaBinom(**BGBB)
    halves = opportunity_summary().assign(duration_holdout=[5.0, 5.0, 4.5, 5.0, 5.0, 5.0])
    with pytest.raises(InvalidValueError, match=r"duration_holdout .* whole numbers .* index 13"):
        rt.calibration_holdout_table(model, halves)
    weeks = opportunity_summary().assign(T=6.5)
    with pytest.raises(InvalidValueError, match=r"T passed to calibration_holdout_table .* whole"):
        rt.calibration_holdout_table(model, weeks)


def test_calibration_holdout_table_too_large_for_memory_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # max_frequency=10**9 made numpy raise its _ArrayMemoryError (or swap): a table of 10**9 rows is
    # refused before anything is allocated, against this machine's memory (set to 8 GiB here).
    monkeypatch.setattr("retention.errors._memory_bytes", lambda: 1 << 33)
    model = rt.BetaGeo(**BG)
    for cap in (10**9, 10**30):
        with pytest.raises(
            InvalidParameterError, match=r"max_frequency.*memory|memory.*max_frequency"
        ):
            rt.calibration_holdout_table(model, holdout_summary(), max_frequency=cap)
    small = rt.calibration_holdout_table(model, holdout_summary(), max_frequency=1000)
    assert len(small) == 1001


# --- tracking_table ---------------------------------------------------------------------------------


class HalfPerWeek:
    """A new customer makes 0.5 repeat purchases a week: E[X(t)] = t / 2."""

    def expected_purchases(self, t: Any) -> np.ndarray:
        return np.asarray(t, dtype=float) / 2


def tracked() -> pd.DataFrame:
    """a: first Mon 1 Jan 2024, then twice on 3 Jan and on 10 Jan; b: 8 Jan, 9 Jan; c: 16 Jan, 17 Jan."""
    rows = [
        ("a", "2024-01-01"),
        ("a", "2024-01-03"),
        ("a", "2024-01-03"),
        ("a", "2024-01-10"),
        ("b", "2024-01-08"),
        ("b", "2024-01-09"),
        ("c", "2024-01-16"),
        ("c", "2024-01-17"),
        ("c", "2024-01-21"),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "date"]).assign(
        date=lambda f: pd.to_datetime(f["date"])
    )


def test_tracking_table_by_hand() -> None:
    got = rt.tracking_table(HalfPerWeek(), tracked(), time_unit="W", calibration_end="2024-01-14")
    assert list(got.index.astype(str)) == [
        "2024-01-01/2024-01-07",
        "2024-01-08/2024-01-14",
        "2024-01-15/2024-01-21",
    ]
    assert got.index.name == "period"
    # Repeat transactions (days): a on 3 Jan (two purchases, one day) and 10 Jan, b on 9 Jan; c came after
    # the calibration end and is not tracked.
    np.testing.assert_array_equal(got["actual"], [1, 2, 0])
    np.testing.assert_array_equal(got["actual_cumulative"], [1, 3, 3])
    # End of week 1 (7 Jan): a is 6 days old, 6/7 week; week 2: a 13 days, b 6; week 3: a 20, b 13.
    expected_cumulative = [0.5 * 6 / 7, 0.5 * (13 + 6) / 7, 0.5 * (20 + 13) / 7]
    np.testing.assert_allclose(got["expected_cumulative"], expected_cumulative, rtol=1e-14)
    np.testing.assert_allclose(
        got["expected"], np.diff(expected_cumulative, prepend=0.0), rtol=1e-13
    )
    # Without a calibration end, c counts too: 17 Jan and 21 Jan, and 5 days at the end of week 3.
    everyone = rt.tracking_table(HalfPerWeek(), tracked(), time_unit="D")
    np.testing.assert_array_equal(everyone["actual"], [1, 2, 2])
    np.testing.assert_allclose(everyone["expected_cumulative"], [3.0, 9.5, 19.0], rtol=1e-14)


def tracked_orders() -> pd.DataFrame:
    """tracked() as orders with returns.

    a's order of 3 Jan gets a second line on 4 Jan; b returns goods on 12 Jan; z, who never bought,
    returns goods on 2 Jan; c returns goods on Sunday 28 Jan, after the last purchase (21 Jan).
    """
    tx = tracked().assign(order_id=[f"o{i}" for i in range(9)], amount=10.0)
    extra = pd.DataFrame(
        {
            "customer_id": ["a", "b", "z", "c"],
            "date": pd.to_datetime(["2024-01-04", "2024-01-12", "2024-01-02", "2024-01-28"]),
            "order_id": ["o1", "r1", "r2", "r3"],
            "amount": [5.0, -3.0, -10.0, -2.0],
        }
    )
    return pd.concat([tx, extra], ignore_index=True)


def test_tracking_table_of_orders_and_returns_by_hand() -> None:
    tx = tracked_orders()
    expected = rt.tracking_table(
        HalfPerWeek(), tracked(), time_unit="W", calibration_end="2024-01-14"
    )
    # With order_id the 4 Jan line belongs to the order of 3 Jan, so no repeat transaction is added;
    # the returns are no transactions, z is no customer, and the observation end stays 21 Jan.
    got = rt.tracking_table(
        HalfPerWeek(), tx, time_unit="W", calibration_end="2024-01-14", order_id="order_id"
    )
    pd.testing.assert_frame_equal(got, expected)
    # Without order_id the 4 Jan line is a purchase on a day of its own: one more repeat in week 1.
    rows = rt.tracking_table(HalfPerWeek(), tx, time_unit="W", calibration_end="2024-01-14")
    np.testing.assert_array_equal(rows["actual"], [2, 2, 0])
    np.testing.assert_array_equal(rows["expected_cumulative"], expected["expected_cumulative"])
    # returns="drop" gives the same table: the returns were no transactions anyway.
    dropped = rt.tracking_table(
        HalfPerWeek(),
        tx,
        time_unit="W",
        calibration_end="2024-01-14",
        order_id="order_id",
        returns="drop",
    )
    pd.testing.assert_frame_equal(dropped, expected)
    # amount=None reads no amounts, so every row is a purchase: z joins the cohort on 2 Jan, b buys
    # again on 12 Jan and the data end on Sunday 28 Jan, which completes a fourth week.
    blind = rt.tracking_table(
        HalfPerWeek(), tx, time_unit="W", calibration_end="2024-01-14", amount=None
    )
    assert len(blind) == 4
    np.testing.assert_array_equal(blind["actual"], [2, 3, 0, 0])


def test_tracking_table_drops_the_incomplete_last_period() -> None:
    got = rt.tracking_table(HalfPerWeek(), tracked(), time_unit="W", observation_end="2024-01-20")
    assert len(got) == 2
    got = rt.tracking_table(HalfPerWeek(), tracked(), time_unit="W", freq="M")
    assert len(got) == 0  # January 2024 ends after the last purchase
    assert list(got.columns) == ["actual", "expected", "actual_cumulative", "expected_cumulative"]


def test_tracking_table_agrees_with_the_summary() -> None:
    # At the calibration end the cumulative counts are the calibration summary's: actual = sum of
    # frequency, expected = sum of E[X(T)]; at the end, actual adds the holdout transactions.
    tx = rt.example_transactions()
    summary = rt.rfm_summary(tx, time_unit="W", calibration_end="2024-06-30")
    model = rt.BetaGeo.fit(summary)
    got = rt.tracking_table(model, tx, time_unit="W", freq="M", calibration_end="2024-06-30")
    june = got.loc[pd.Period("2024-06", "M")]
    assert june["actual_cumulative"] == summary["frequency"].sum()
    assert june["expected_cumulative"] == pytest.approx(
        model.expected_purchases(summary["T"].to_numpy()).sum(), rel=1e-12
    )
    assert got["actual"].sum() == summary["frequency"].sum() + summary["frequency_holdout"].sum()
    # Customer by customer, period by period.
    first = tx.groupby("customer_id")["date"].min()
    first = first[first <= "2024-06-30"]
    for period in got.index[::5]:
        end = period.end_time.normalize()
        ages = (end - first[first <= end]).dt.days.to_numpy() / 7
        assert got.loc[period, "expected_cumulative"] == pytest.approx(
            model.expected_purchases(ages).sum(), rel=1e-10
        )


def test_tracking_table_on_cdnow(
    cdnow: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tx, summary = cdnow
    model = rt.BetaGeo(**BG)
    got = rt.tracking_table(model, tx, time_unit="W", freq="D", calibration_end="1997-09-30")
    assert got.index[0] == pd.Period("1997-01-01", "D")
    assert got.index[-1] == pd.Period("1998-06-30", "D")
    at_calibration_end = got.loc[pd.Period("1997-09-30", "D")]
    assert at_calibration_end["actual_cumulative"] == 2457  # the repeat transactions of the paper
    assert at_calibration_end["expected_cumulative"] == pytest.approx(
        model.expected_purchases(summary["T"].to_numpy()).sum(), rel=1e-12
    )
    assert got["actual"].sum() == 2457 + summary["frequency_holdout"].sum()


def test_tracking_table_bad_input() -> None:
    with pytest.raises(ColumnTypeError, match="expected_purchases"):
        rt.tracking_table(rt.GammaGamma(**GG), tracked(), time_unit="W")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'time_unit'"):
        rt.tracking_table(HalfPerWeek(), tracked(), time_unit="fortnight")
    with pytest.raises(InvalidParameterError, match="'freq'"):
        rt.tracking_table(HalfPerWeek(), tracked(), time_unit="W", freq="H")
    with pytest.raises(InvalidParameterError, match=r"'calibration_end' .* within the data"):
        rt.tracking_table(HalfPerWeek(), tracked(), time_unit="W", calibration_end="2025-01-01")
    empty = rt.tracking_table(HalfPerWeek(), tracked().iloc[:0], time_unit="W")
    assert len(empty) == 0


def test_calibration_holdout_table_does_not_depend_on_the_order_of_the_summary() -> None:
    # The expected holdout purchases per bin are exact sums of the predictions: any row order, same bits.
    summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", calibration_end="2024-06-30")
    model = rt.BetaGeo.fit(summary)
    expected = rt.calibration_holdout_table(model, summary)
    rng = np.random.default_rng(3)
    for _ in range(3):
        shuffled = summary.iloc[rng.permutation(len(summary))]
        pd.testing.assert_frame_equal(
            rt.calibration_holdout_table(model, shuffled), expected, check_exact=True
        )


@pytest.mark.filterwarnings("error")
def test_margin_beyond_the_bound_on_amounts_is_refused() -> None:
    # A margin is a factor on money: beyond MAX_AMOUNT (1e100) it is refused, as such amounts are, and the
    # products with amounts cannot overflow.
    message = r"'margin' parameter of historical_value must be a number from -1e\+100 to 1e\+100"
    for bad in (1e308, -1e101):
        with pytest.raises(InvalidParameterError, match=message):
            rt.historical_value(purchases(), margin=bad)
    # At the bound: margin times the revenue, by hand (a 25, b 10 - 4, c 7.5 up to 2024-02-01).
    got = rt.historical_value(purchases(), observation_end="2024-02-01", margin=-1e100)
    np.testing.assert_allclose(got.to_numpy(), [-25e100, -6e100, -7.5e100], rtol=1e-15)
