"""Tests of rt.campaign_effect and rt.holdout_split: a hand-computed table for every number, the intervals
against statsmodels, bad input, and simulations with a known effect (the simulator's campaign option)."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
)

# --- the hand-computed table ------------------------------------------------------------------------------
# Start 2024-02-01 (contact day c), horizon 30 days: after = 02-02 .. 03-02, before = 01-02 .. 01-31.
# Observation end 2024-03-31 (c + 59).
#   treated 1: 01-10 (10) | 02-05 (20), 02-20 (5), return 02-25 (-5): after 2 orders, 20; next in 4 days
#   treated 2: 01-20 (15) | 03-15 (30), outside the window: after 0; next in 43 days
#   treated 3: 01-01 (50, before the window before), 02-01 (7, the contact day: in neither window);
#              no purchase after: censored at 59 days
#   control 4: 01-15 (8), 01-25 (4) | 02-10 (6): next in 9 days
#   control 5: 01-05 (9): censored at 59 days
#   control 6: 01-31 (3, day c - 1) | 03-02 (11, day c + 30, the window's last day): next in 30 days
#   7 bought first on 02-15, 8 on 02-01 (the start): neither was a customer before the start.
ROWS = [
    (1, "2024-01-10", 10.0),
    (1, "2024-02-05", 20.0),
    (1, "2024-02-20", 5.0),
    (1, "2024-02-25", -5.0),
    (2, "2024-01-20", 15.0),
    (2, "2024-03-15", 30.0),
    (3, "2024-01-01", 50.0),
    (3, "2024-02-01", 7.0),
    (4, "2024-01-15", 8.0),
    (4, "2024-01-25", 4.0),
    (4, "2024-02-10", 6.0),
    (5, "2024-01-05", 9.0),
    (6, "2024-01-31", 3.0),
    (6, "2024-03-02", 11.0),
    (7, "2024-02-15", 25.0),
    (8, "2024-02-01", 12.0),
]
END = "2024-03-31"
START = "2024-02-01"


def small() -> pd.DataFrame:
    tx = pd.DataFrame(ROWS, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    return tx


def run(tx: pd.DataFrame | None = None, treated: Any = (1, 2, 3), **options: Any) -> Any:
    settings = {"start": START, "horizon": "30D", "observation_end": END, "randomized": True}
    return rt.campaign_effect(small() if tx is None else tx, list(treated), **(settings | options))


# Per customer, by hand: (after: bought, orders, revenue), (before: bought, orders, revenue)
AFTER = {"treated": ([1, 0, 0], [2, 0, 0], [20.0, 0.0, 0.0]), "control": ([1, 0, 1], [1, 0, 1], [6.0, 0.0, 11.0])}  # fmt: skip
BEFORE = {"treated": ([1, 1, 0], [1, 1, 0], [10.0, 15.0, 0.0]), "control": ([1, 1, 1], [2, 1, 1], [12.0, 9.0, 3.0])}  # fmt: skip


def test_hand_computed_groups() -> None:
    g = run().groups
    assert list(g.index) == ["treated", "control"]
    assert list(g["customers"]) == [3, 3]
    assert list(g["observed"]) == [3, 3]
    assert list(g["repurchased"]) == [1, 2]
    np.testing.assert_allclose(g["repurchase_share"], [1 / 3, 2 / 3])
    np.testing.assert_allclose(g["orders_per_customer"], [2 / 3, 2 / 3])
    np.testing.assert_allclose(g["revenue_per_customer"], [20 / 3, 17 / 3])
    # Days to the next purchase: treated 4, 43 (events), 59 (censored); control 9, 30, 59 (censored).
    np.testing.assert_array_equal(g["median_days_to_next_purchase"], [43.0, 30.0])
    # Area under S up to 30: treated 4 * 1 + 26 * 2/3; control 9 * 1 + 21 * 2/3.
    np.testing.assert_allclose(g["days_to_next_purchase"], [4 + 26 * 2 / 3, 9 + 21 * 2 / 3])
    # Greenwood-type variance: A_j^2 d_j / (n_j (n_j - d_j)) over the event times before 30.
    se_t = math.sqrt((26 * 2 / 3) ** 2 / (3 * 2))
    se_c = math.sqrt((21 * 2 / 3) ** 2 / (3 * 2))
    np.testing.assert_allclose(g["days_to_next_purchase_se"], [se_t, se_c])


def test_hand_computed_curves() -> None:
    curves = run().curves
    treated = curves.loc["treated"]
    assert list(treated.index) == [4, 43, 59]
    assert list(treated["at_risk"]) == [3, 2, 1]
    assert list(treated["events"]) == [1, 1, 0]
    np.testing.assert_allclose(treated["survival"], [2 / 3, 1 / 3, 1 / 3])
    assert list(curves.loc["control"].index) == [9, 30, 59]


def test_differences_against_statsmodels() -> None:
    d = run().differences
    assert list(d.index) == [
        "repurchase_share",
        "orders_per_customer",
        "revenue_per_customer",
        "days_to_next_purchase",
    ]
    assert list(d["method"]) == ["newcombe", "welch", "welch", "rmst"]
    share = d.loc["repurchase_share"]
    low, high = confint_proportions_2indep(1, 3, 2, 3, method="newcomb", compare="diff")
    np.testing.assert_allclose([share["ci_lower"], share["ci_upper"]], [low, high], rtol=1e-12)
    assert share["estimate"] == pytest.approx(-1 / 3)
    z = (1 / 3 - 2 / 3) / math.sqrt(0.5 * 0.5 * (2 / 3))  # pooled two-proportion z
    assert share["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    for measure, k in (("orders_per_customer", 1), ("revenue_per_customer", 2)):
        x, y = np.array(AFTER["treated"][k], float), np.array(AFTER["control"][k], float)
        cm = CompareMeans(DescrStatsW(x), DescrStatsW(y))
        row = d.loc[measure]
        np.testing.assert_allclose(
            [row["ci_lower"], row["ci_upper"]], cm.tconfint_diff(usevar="unequal"), rtol=1e-12
        )
        _, p, _ = cm.ttest_ind(usevar="unequal")
        assert row["p_value"] == pytest.approx(p, rel=1e-12)
        assert row["standard_error"] == pytest.approx(cm.std_meandiff_separatevar, rel=1e-12)
        assert row["estimate"] == pytest.approx(x.mean() - y.mean())
    days = d.loc["days_to_next_purchase"]
    se = math.hypot((26 * 2 / 3) / math.sqrt(6), (21 * 2 / 3) / math.sqrt(6))
    assert days["estimate"] == pytest.approx((4 + 26 * 2 / 3) - (9 + 21 * 2 / 3))
    assert days["standard_error"] == pytest.approx(se)
    assert days["ci_lower"] == pytest.approx(days["estimate"] - stats.norm.ppf(0.975) * se)


def test_difference_in_differences_by_hand() -> None:
    did = run().did
    assert list(did.index) == ["repurchase_share", "orders_per_customer", "revenue_per_customer"]
    for measure, k in (("repurchase_share", 0), ("orders_per_customer", 1), ("revenue_per_customer", 2)):  # fmt: skip
        change = {g: np.array(AFTER[g][k], float) - np.array(BEFORE[g][k], float) for g in AFTER}
        row = did.loc[measure]
        assert row["treated_change"] == pytest.approx(change["treated"].mean())
        assert row["control_change"] == pytest.approx(change["control"].mean())
        cm = CompareMeans(DescrStatsW(change["treated"]), DescrStatsW(change["control"]))
        np.testing.assert_allclose(
            [row["ci_lower"], row["ci_upper"]], cm.tconfint_diff(usevar="unequal"), rtol=1e-12
        )
    # By hand: shares -1/3 - (-1/3) = 0, orders 0 - (-2/3), revenue -5/3 - (-7/3).
    np.testing.assert_allclose(did["estimate"], [0.0, 2 / 3, 2 / 3], atol=1e-12)


def test_balance_by_hand() -> None:
    b = run().balance
    np.testing.assert_allclose(b["treated"], [2 / 3, 2 / 3, 25 / 3])
    np.testing.assert_allclose(b["control"], [1.0, 4 / 3, 8.0])
    low, high = confint_proportions_2indep(2, 3, 3, 3, method="newcomb", compare="diff")
    np.testing.assert_allclose(b.loc["repurchase_share", ["ci_lower", "ci_upper"]], [low, high])
    # Standardized difference of orders: (2/3 - 4/3) / sqrt((1/3 + 1/3) / 2).
    assert b.loc["orders_per_customer", "standardized_difference"] == pytest.approx(
        (2 / 3 - 4 / 3) / math.sqrt(1 / 3)
    )
    longer = run(pre_period="60D").balance  # customer 3's purchase of 01-01 is 31 days before
    np.testing.assert_allclose(longer["treated"], [1.0, 1.0, 25.0])


def test_sizes_and_sample_ratio() -> None:
    with pytest.warns(RetentionWarning, match="1 of the treated ids never bought"):
        r = run(treated=[1, 2, 3, 7, 99], control=[4, 5, 6, 8])
    s = r.sizes
    assert s.loc["treated"].tolist() == [5, 1, 1, 3, 3]  # 99 never bought, 7 first bought after
    assert s.loc["control"].tolist() == [4, 0, 1, 3, 3]  # 8 first bought on the start day
    ratio = r.sample_ratio.iloc[0]
    expected = stats.chisquare([3, 3], f_exp=[6 * 5 / 9, 6 * 4 / 9])
    assert ratio["statistic"] == pytest.approx(expected.statistic)
    assert ratio["p_value"] == pytest.approx(expected.pvalue)
    assert ratio["expected_control_share"] == pytest.approx(4 / 9)
    default = run().sample_ratio.iloc[0]  # the default control is not listed: no test
    assert math.isnan(default["p_value"])
    assert math.isnan(run().sizes.loc["control", "listed"])


def test_ids_that_never_bought_are_left_out_with_a_warning() -> None:
    with pytest.warns(RetentionWarning, match="1 of the treated ids never bought"):
        r = rt.campaign_effect(
            small(), [1, 2, 3, 99], start=START, horizon="30D", randomized=True,
            observation_end=END,
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = run()
    pd.testing.assert_frame_equal(r.groups, expected.groups)


def test_staggered_contacts() -> None:
    # Customer 1 contacted on 02-04 (after: 02-05, 02-20, return 02-25 .. 03-05), 2 on 02-01.
    contacts = pd.DataFrame(
        {
            "customer_id": [1, 2, 1],
            "date": pd.to_datetime(["2024-02-04", "2024-02-01", "2024-02-10"]),
        }
    )
    r = rt.campaign_effect(
        small(), contacts, start=START, horizon="30D", randomized=True, observation_end=END,
        control=[4, 5, 6],
    )  # fmt: skip
    g = r.groups.loc["treated"]
    assert g["customers"] == 2
    assert g["repurchased"] == 1
    assert g["revenue_per_customer"] == pytest.approx(20 / 2)
    # Customer 1's next purchase is 1 day after their first contact (02-04, the earliest of the two).
    assert list(r.curves.loc["treated"].index) == [1, 43]


def test_staggered_control_dates_and_partly_observed_windows() -> None:
    control = pd.DataFrame({"customer_id": [4, 5, 6], "date": pd.to_datetime(["2024-03-20"] * 3)})
    r = run(control=control)
    # Their window (03-21 .. 04-19) ends after the observation end: nobody observed, figures NaN.
    assert r.groups.loc["control", "observed"] == 0
    assert math.isnan(r.groups.loc["control", "repurchase_share"])
    assert math.isnan(r.differences.loc["repurchase_share", "estimate"])
    # The curve to the next purchase is censored at 11 days for all three.
    assert list(r.curves.loc["control"].index) == [11]
    assert math.isnan(r.groups.loc["control", "days_to_next_purchase"])


def test_without_amounts_there_is_no_revenue() -> None:
    r = run(amount=None)
    assert "revenue_per_customer" not in r.groups
    assert "revenue_per_customer" not in r.differences.index
    assert "revenue_per_customer" not in r.balance.index
    # Without amounts the return of 02-25 is an order too.
    assert r.groups.loc["treated", "orders_per_customer"] == pytest.approx(3 / 3)


def test_repr_and_html() -> None:
    r = run()
    text = repr(r)
    assert "3 treated vs 3 control customers" in text
    assert "random assignment" in text
    assert "Difference in differences" in text
    assert "<table" in r._repr_html_()
    assert "not randomized" in repr(run(randomized=False))


# --- randomization and its warning ------------------------------------------------------------------------


def test_warns_unless_assignment_is_known_to_be_random() -> None:
    with pytest.warns(RetentionWarning, match="not assigned at random"):
        r = rt.campaign_effect(small(), [1, 2, 3], start=START, observation_end=END)
    assert not r.randomized
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not run(randomized=False).randomized
        assert run(randomized=True).randomized


def test_holdout_split_sets_both_groups_and_says_random() -> None:
    split = rt.HoldoutSplit(treated=pd.Index([1, 2, 3]), holdout=pd.Index([4, 5, 6]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = rt.campaign_effect(small(), split, start=START, horizon="30D", observation_end=END)
    assert r.randomized
    pd.testing.assert_frame_equal(r.groups, run(control=[4, 5, 6]).groups)
    with pytest.raises(InvalidParameterError, match="'control' parameter"):
        rt.campaign_effect(small(), split, start=START, control=[4])


# --- bad input --------------------------------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(InvalidValueError, match="None of the 2 ids in 'treated'"):
        run(treated=["1", "2"])  # text ids for a table of integer ids
    with pytest.raises(
        InvalidParameterError, match=r"'start' parameter.*after the observation end"
    ):
        run(start="2024-04-01")
    with pytest.raises(InvalidValueError, match="shares 1 customers with 'treated'"):
        run(control=[3, 4])
    with pytest.raises(InvalidParameterError, match=r"'treated' argument.*no customers"):
        run(treated=[])
    with pytest.raises(ColumnTypeError, match="'treated' argument"):
        rt.campaign_effect(small(), "1", start=START)
    with pytest.raises(InvalidValueError, match="missing ids"):
        run(treated=[1.0, np.nan])
    late = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-05-01"])})
    with pytest.raises(InvalidParameterError, match="contact dates after the observation end"):
        rt.campaign_effect(small(), late, start=START, observation_end=END)
    with pytest.raises(ColumnNotFoundError, match="'treated' frame"):
        rt.campaign_effect(small(), pd.DataFrame({"customer_id": [1]}), start=START)
    with pytest.raises(InvalidParameterError, match="'randomized'"):
        run(randomized="yes")
    with pytest.raises(InvalidParameterError, match="'horizon'"):
        run(horizon="0D")
    with pytest.raises(InvalidParameterError, match="'alpha'"):
        run(alpha=1.5)
    with pytest.raises(InvalidParameterError, match=r"'start' parameter.*not a date"):
        run(start="soon")


def test_ids_in_any_sequence_and_a_control_of_strangers() -> None:
    expected = run().groups
    for ids in (
        np.array([3, 1, 2]),
        pd.Index([1, 2, 3]),
        pd.Series([2, 3, 1], index=[9, 8, 7]),
        [1, 1, 2, 3],
    ):
        pd.testing.assert_frame_equal(
            rt.campaign_effect(
                small(), ids, start=START, horizon="30D", observation_end=END, randomized=True
            ).groups,
            expected,
        )
    with pytest.raises(InvalidValueError, match="None of the 2 ids in 'control'"):
        run(control=[100, 101])


@pytest.mark.parametrize("wrap", [list, pd.Series, pd.Index, pd.MultiIndex.from_tuples])
def test_ids_that_are_tuples_are_one_id_each(wrap: Any) -> None:
    # Customer ids may be tuples: each is one id, in a list of ids as in the table.
    tx = small().assign(customer_id=lambda d: [(i, "x") for i in d["customer_id"]])
    ids = [(1, "x"), (2, "x"), (3, "x")]
    treated = pd.Index(ids, tupleize_cols=False) if wrap is pd.Index else wrap(ids)
    expected = run()
    got = rt.campaign_effect(
        tx, treated, start=START, horizon="30D", observation_end=END, randomized=True
    )
    for name in ("groups", "differences", "did", "balance", "sizes"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
    contacts = pd.DataFrame({"customer_id": ids, "date": [START] * 3})
    by_frame = rt.campaign_effect(
        tx, contacts, start=START, horizon="30D", observation_end=END, randomized=True
    )
    pd.testing.assert_frame_equal(by_frame.groups, expected.groups)


def test_holdout_split_of_ids_that_are_tuples() -> None:
    ids = [(i, "x") for i in range(1, 21)]
    split = rt.holdout_split(ids, share=0.25, seed=7)
    plain = rt.holdout_split(range(1, 21), share=0.25, seed=7)
    for got, expected in zip(split, plain, strict=True):
        assert got.dtype == object
        assert got.tolist() == [(i, "x") for i in expected]


def test_the_difference_in_differences_ignores_pre_period() -> None:
    pd.testing.assert_frame_equal(run(pre_period="60D").did, run().did)


def test_an_empty_control_group_gives_nan_differences_with_a_warning() -> None:
    with pytest.warns(RetentionWarning, match="control group has no customers"):
        r = run(treated=[1, 2, 3, 4, 5, 6])
    assert r.groups.loc["control", "customers"] == 0
    assert r.differences["estimate"].isna().all()


def test_a_table_without_purchases_gives_an_empty_result() -> None:
    empty = small().iloc[0:0]
    with pytest.warns(RetentionWarning, match="no customers"):
        r = rt.campaign_effect(empty, [1], start=START, randomized=True)
    assert r.sizes["customers"].tolist() == [0, 0]
    assert r.differences["estimate"].isna().all()


@given(seed=st.integers(0, 2**32 - 1), swap=st.booleans())
@settings(max_examples=20, deadline=None)
def test_row_order_and_id_order_never_change_a_result(seed: int, swap: bool) -> None:
    tx = small()
    shuffled = tx.sample(frac=1.0, random_state=seed % (2**32))
    treated = [3, 1, 2] if swap else [1, 2, 3]
    a, b = run(), run(shuffled, treated=treated)
    for name in ("groups", "differences", "did", "balance", "sizes", "curves"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


# --- holdout_split ----------------------------------------------------------------------------------------


def test_holdout_split_exact_shares_per_stratum() -> None:
    ids = pd.Index(range(100, 160))
    strata = pd.Series(["a"] * 25 + ["b"] * 31 + ["c"] * 4, index=ids)
    split = rt.holdout_split(ids, share=0.1, seed=3, strata=strata)
    counts = strata[split.holdout].value_counts()
    # 2.5 -> 3, 3.1 -> 3, 0.4 -> 0
    assert counts.to_dict() == {"a": 3, "b": 3}
    assert split.treated.union(split.holdout).equals(ids)
    assert split.treated.intersection(split.holdout).empty
    assert split.treated.is_monotonic_increasing
    assert split.holdout.is_monotonic_increasing


def test_holdout_split_is_deterministic_and_order_free() -> None:
    ids = [f"c{i:03d}" for i in range(200)]
    a = rt.holdout_split(ids, share=0.3, seed=11)
    b = rt.holdout_split(pd.Series(ids[::-1]), share=0.3, seed=11)
    assert a.holdout.equals(b.holdout)
    assert len(a.holdout) == 60
    assert not a.holdout.equals(rt.holdout_split(ids, share=0.3, seed=12).holdout)


def test_holdout_split_is_uniform() -> None:
    # Over 400 seeds, each of 10 customers is held out (share 0.2: 2 of 10) about 80 times.
    counts = np.zeros(10)
    for seed in range(400):
        counts[rt.holdout_split(range(10), share=0.2, seed=seed).holdout.to_numpy()] += 1
    result = stats.chisquare(counts)
    assert result.pvalue > 1e-4


def test_holdout_split_errors() -> None:
    with pytest.raises(InvalidParameterError, match="'share'"):
        rt.holdout_split([1, 2], share=1.0)
    with pytest.raises(InvalidValueError, match="more than once"):
        rt.holdout_split([1, 2, 2])
    with pytest.raises(InvalidParameterError, match="'seed'"):
        rt.holdout_split([1, 2], seed=-1)
    with pytest.raises(ColumnTypeError, match="'strata'"):
        rt.holdout_split([1, 2], strata={1: "a"})  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match=r"'strata'.*customer 1 more than once"):
        rt.holdout_split([1, 2], strata=pd.Series(["a", "b", "c"], index=[1, 1, 2]))
    with pytest.raises(  # text ids against numbers: the split would not be stratified at all
        InvalidValueError,
        match=r"'strata' parameter of holdout_split is a Series whose index holds none of the customer ids.*"
        r"one stratum of missing segments .* strata\.index = strata\.index\.astype\('int64'\)\.$",
    ):
        rt.holdout_split([1, 2, 3], strata=pd.Series(["a", "b", "a"], index=["1", "2", "3"]))
    with pytest.raises(InvalidValueError, match="cannot be sorted"):
        rt.holdout_split([1, "a"])


# --- simulations ------------------------------------------------------------------------------------------


def simulated(lift: float, seed: int, n: int = 4000) -> tuple[pd.DataFrame, rt.HoldoutSplit]:
    split = rt.holdout_split(range(1, n + 1), share=0.5, seed=seed)
    tx = rt.simulate_transactions(
        n, seed=seed, start="2023-01-01", end="2024-09-30", treated=split.treated.to_numpy(),
        treatment_start="2024-06-01", lift=lift,
    )  # fmt: skip
    return tx, split


def test_no_effect_intervals_cover_zero_at_the_nominal_rate() -> None:
    # One population, 300 random hold-outs of it, no campaign: each interval covers 0 with
    # probability 0.95; the count of covers lies within 4 binomial standard deviations.
    tx = rt.simulate_transactions(3000, seed=5, start="2023-01-01", end="2024-09-30")
    reps = 300
    covered = {"repurchase_share": 0, "orders_per_customer": 0, "revenue_per_customer": 0}
    for seed in range(reps):
        split = rt.holdout_split(range(1, 3001), share=0.5, seed=seed)
        d = rt.campaign_effect(tx, split, start="2024-06-01").differences
        for measure in covered:
            covered[measure] += bool(d.loc[measure, "ci_lower"] <= 0 <= d.loc[measure, "ci_upper"])
    band = 4 * math.sqrt(reps * 0.95 * 0.05)
    for measure, count in covered.items():
        assert abs(count - 0.95 * reps) <= band, (measure, count)


def test_a_known_lift_is_recovered() -> None:
    tx, split = simulated(lift=1.0, seed=21)
    without, _ = simulated(lift=0.0, seed=21)
    r = rt.campaign_effect(tx, split, start="2024-06-01")
    # The truth for the treated: the same customers without the campaign (the simulator draws the
    # campaign's purchases on top of the same log), measured the same way.
    counterfactual = rt.campaign_effect(without, split, start="2024-06-01")
    treated_with = r.groups.loc["treated"]
    treated_without = counterfactual.groups.loc["treated"]
    for measure in ("orders_per_customer", "repurchase_share"):
        truth = treated_with[measure] - treated_without[measure]
        row = r.differences.loc[measure]
        se = (row["ci_upper"] - row["ci_lower"]) / (2 * stats.norm.ppf(0.975))
        assert truth > 4 * se  # a real effect, so the test can fail
        assert abs(row["estimate"] - truth) < 4 * se, (measure, row["estimate"], truth)
        did = r.did.loc[measure]
        assert abs(did["estimate"] - truth) < 4 * did["standard_error"]
    # Before the campaign the groups are alike: the balance intervals hold 0 or nearly.
    assert (r.balance["standardized_difference"].abs() < 0.15).all()


def exact_bootstrap_quantiles(x: list[float], y: list[float], alpha: float) -> tuple[float, float]:
    """The alpha/2 and 1 - alpha/2 quantiles of the exact bootstrap distribution of mean(x*) - mean(y*)."""
    from itertools import product

    def means(values: list[float]) -> dict[float, float]:
        out: dict[float, float] = {}
        n = len(values)
        for draw in product(values, repeat=n):
            m = round(sum(draw) / n, 12)
            out[m] = out.get(m, 0.0) + 1.0 / n**n
        return out

    diffs: dict[float, float] = {}
    for a, p in means(x).items():
        for b, q in means(y).items():
            d = round(a - b, 12)
            diffs[d] = diffs.get(d, 0.0) + p * q
    values = sorted(diffs)
    cdf = np.cumsum([diffs[v] for v in values])
    low = values[int(np.searchsorted(cdf, alpha / 2))]
    high = values[int(np.searchsorted(cdf, 1 - alpha / 2))]
    return low, high


def test_bootstrap_intervals_match_the_exact_bootstrap_distribution() -> None:
    r = run(bootstrap=20_000, seed=5)
    assert r.differences.loc["orders_per_customer", "method"] == "bootstrap"
    assert r.differences.loc["repurchase_share", "method"] == "newcombe"
    for measure, k in (("orders_per_customer", 1), ("revenue_per_customer", 2)):
        low, high = exact_bootstrap_quantiles(AFTER["treated"][k], AFTER["control"][k], 0.05)
        row = r.differences.loc[measure]
        assert row["ci_lower"] == pytest.approx(low)
        assert row["ci_upper"] == pytest.approx(high)
    again = run(bootstrap=20_000, seed=5)
    pd.testing.assert_frame_equal(r.differences, again.differences)
    pd.testing.assert_frame_equal(r.did, again.did)
    with pytest.raises(InvalidParameterError, match="'bootstrap' parameter"):
        run(bootstrap=10)
    with pytest.raises(InvalidParameterError, match="'seed' parameter"):
        run(bootstrap=1000, seed="x")


@given(
    labels=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=80),
    share=st.sampled_from([0.05, 0.1, 0.25, 0.5, 0.9]),
    seed=st.integers(0, 2**32 - 1),
    order=st.randoms(use_true_random=False),
)
@settings(max_examples=40, deadline=None)
def test_holdout_split_property(labels: list[str], share: float, seed: int, order: Any) -> None:
    ids = pd.Index(range(1, len(labels) + 1))
    strata = pd.Series(labels, index=ids)
    split = rt.holdout_split(ids, share=share, seed=seed, strata=strata)
    # A partition of the customers ...
    assert split.treated.union(split.holdout).equals(ids)
    assert split.treated.intersection(split.holdout).empty
    # ... holding out share x size of each stratum, rounded half up on the share as written ...
    fraction = Fraction(repr(share))
    for label, size in strata.value_counts().items():
        expected = math.floor(fraction * size + Fraction(1, 2))
        assert int((strata[split.holdout] == label).sum()) == expected
    # ... whatever the order the customers come in.
    shuffled = list(ids)
    order.shuffle(shuffled)
    again = rt.holdout_split(shuffled, share=share, seed=seed, strata=strata)
    assert again.holdout.equals(split.holdout)


def test_holdout_split_of_tiny_and_long_shares() -> None:
    # A share's exact decimal may need a denominator past int64 (1e-20) or a numerator of 17 digits
    # (0.30000000000000004): the counts stay exact, rounded half up, with no OverflowError.
    ids = list(range(1000))
    for share, expected in (
        (1e-18, 0),
        (1e-20, 0),
        (1e-300, 0),
        (0.1, 100),
        (0.30000000000000004, 300),
    ):
        split = rt.holdout_split(ids, share=share, seed=5)
        assert len(split.holdout) == expected, share
        assert len(split.treated) == 1000 - expected
    with pytest.raises(
        InvalidParameterError, match=r"'share' parameter of holdout_split .* Got 1e\+400\."
    ):
        rt.holdout_split(ids, share=10**400)
