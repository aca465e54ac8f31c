"""Tests of rt.compare_retention: hand-computed numbers, agreement with survival_curve and rt.stats, bad
input, a simulation under no difference, and invariance to row order and to the names of the groups."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special
from statsmodels.stats.multitest import multipletests

import retention as rt
from retention.core.compare import adjust_p_values, two_sided_z
from retention.errors import InvalidParameterError, RetentionWarning

HORIZONS = ["30D", "90D", "365D"]
DATES = ["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-01", "2024-01-21", "2024-03-01"]
DATES += ["2024-02-20", "2024-01-05", "2024-01-25"]


def small() -> pd.DataFrame:
    """Five customers in two channels; lifetimes with inactive_after 30 days, end 2024-03-10 (day 69):

    web: 1 (days 0, 10: lapsed, 10), 3 (days 0, 20, 60: the gap of 40 ends the spell, 20);
    store: 2 (day 0: lapsed, 0), 4 (day 50: censored, 0), 5 (days 4, 24: lapsed, 20).
    """
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 3, 4, 5, 5],
            "date": pd.to_datetime(DATES),
            "channel": ["web", "web", "store", "web", "web", "web", "store", "store", "store"],
        }
    )


def run_small(**options: Any) -> rt.RetentionComparison:
    settings = {
        "horizons": ["10D", "30D"],
        "inactive_after": "30D",
        "observation_end": "2024-03-10",
    }
    return rt.compare_retention(small(), "channel", **(settings | options))


# --- hand-computed --------------------------------------------------------------------------------------


def test_hand_computed_groups() -> None:
    g = run_small().groups
    assert list(g.index) == ["store", "web"]
    assert g.index.name == "channel"
    assert list(g["customers"]) == [3, 2]
    # store: lifetimes 0 (event), 0 (censored), 20 (event): S = 2/3 from day 0, 0 from day 20.
    # web: 10, 20 (both events): S = 1/2 from day 10, 0 from day 20.
    np.testing.assert_allclose(g["survival_10D"], [2 / 3, 1 / 2])
    np.testing.assert_allclose(g["survival_30D"], [0.0, 0.0])
    np.testing.assert_array_equal(g["median_lifetime"], [20.0, 10.0])
    # tau = the largest time both groups reach = 20; RMST = area under each curve on [0, 20].
    np.testing.assert_allclose(g["rmst"], [20 * 2 / 3, 10 + 10 / 2])
    # Observed for 30 days: first purchase on or before day 39 (store: 2 and 5; web: 1 and 3).
    np.testing.assert_array_equal(g["observed_30D"], [2, 2])
    np.testing.assert_array_equal(g["repurchased_30D"], [1, 2])  # 5 after 20 days; 1 and 3
    np.testing.assert_array_equal(g["observed_10D"], [3, 2])
    np.testing.assert_array_equal(g["repurchased_10D"], [0, 1])  # only customer 1, after 10 days
    np.testing.assert_allclose(g["repurchase_30D"], [0.5, 1.0])


def test_hand_computed_differences() -> None:
    d = run_small().differences
    assert d.index.names == ["group", "reference", "measure", "days"]
    s = d.loc[("web", "store", "survival", 10)]
    assert s["estimate"] == pytest.approx(1 / 2 - 2 / 3)
    # Greenwood: store S(10)^2 * 1/(3*2), web S(10)^2 * 1/(2*1)
    se = math.sqrt((2 / 3) ** 2 / 6 + (1 / 2) ** 2 / 2)
    assert s["standard_error"] == pytest.approx(se)
    # The normal interval, -1.04 at its lower end here, clipped to [-1, 1] where differences of shares lie.
    assert s["estimate"] - 1.959963984540054 * se < -1.0
    assert s["ci_lower"] == -1.0
    assert s["ci_upper"] == pytest.approx(s["estimate"] + 1.959963984540054 * se)
    r = d.loc[("web", "store", "rmst", 20)]
    assert r["estimate"] == pytest.approx(15 - 40 / 3)
    share = d.loc[("web", "store", "repurchase_share", 30)]
    assert share["estimate"] == 0.5
    low, high = rt.stats.newcombe_interval(2, 2, 1, 2)
    assert (share["ci_lower"], share["ci_upper"]) == (low, high)
    # With one comparison the adjusted p-value is the p-value.
    np.testing.assert_array_equal(d["p_adjusted"], d["p_value"])


def test_hand_computed_test_and_repr() -> None:
    result = run_small()
    durations = [0, 0, 20, 10, 20]
    events = [1, 0, 1, 1, 1]
    groups = ["store", "store", "store", "web", "web"]
    expected = rt.stats.logrank_test(durations, events, groups)
    row = result.test.iloc[0]
    assert result.test.index[0] == "log-rank"
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["df"] == expected.df
    assert row["p_value"] == pytest.approx(expected.p_value)
    assert not row["curves_cross"]
    text = repr(result)
    for part in ("2 groups", "Log-rank test", "rmst"):
        assert part in text
    assert "<table" in result._repr_html_()


# --- agreement with survival_curve and rt.stats on the example data ---------------------------------------


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return rt.example_transactions()


@pytest.fixture(scope="module")
def by_channel(example: pd.DataFrame) -> rt.RetentionComparison:
    return rt.compare_retention(example, "channel")


def durations_of(curve: pd.DataFrame) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The lifetimes behind a survival curve: each time repeated by its events and censored counts."""
    time = curve.index.to_numpy()
    duration = np.concatenate(
        [np.repeat(time, curve["events"]), np.repeat(time, curve["censored"])]
    )
    event = np.concatenate([np.ones(curve["events"].sum()), np.zeros(curve["censored"].sum())])
    return duration, event


def test_survival_equals_survival_curve(example: pd.DataFrame, by_channel: Any) -> None:
    curve = rt.survival_curve(example, by="channel")
    at = rt.survival_at(curve, HORIZONS).unstack()  # noqa: PD010 - the idiom survival_at documents
    g = by_channel.groups
    for h in HORIZONS:
        np.testing.assert_array_equal(g[f"survival_{h}"], at[h].reindex(g.index))
    np.testing.assert_array_equal(g["median_lifetime"], rt.median_lifetime(curve).reindex(g.index))
    for label in g.index:
        part = curve.loc[label]
        for h in HORIZONS:
            days = int(h[:-1])
            row = part[part.index <= days].iloc[-1] if (part.index <= days).any() else None
            low = g.loc[label, f"survival_{h}_lower"]
            if row is None:
                assert np.isnan(low)
            else:
                np.testing.assert_array_equal(
                    [low, g.loc[label, f"survival_{h}_upper"]], [row["ci_lower"], row["ci_upper"]]
                )
        assert g.loc[label, "customers"] == part["at_risk"].iloc[0]


def test_statistics_equal_rt_stats(example: pd.DataFrame, by_channel: Any) -> None:
    curve = rt.survival_curve(example, by="channel")
    g = by_channel.groups
    tau = by_channel.tau
    parts = {label: durations_of(curve.loc[label]) for label in g.index}
    assert tau == min(d.max() for d, _ in parts.values())
    for label, (duration, event) in parts.items():
        expected = rt.stats.rmst(duration, event, tau)
        assert g.loc[label, "rmst"] == pytest.approx(expected.estimate, rel=1e-12)
        assert g.loc[label, "rmst_se"] == pytest.approx(expected.standard_error, rel=1e-12)
    duration = np.concatenate([parts[label][0] for label in g.index])
    event = np.concatenate([parts[label][1] for label in g.index])
    labels = np.repeat(g.index.to_numpy(), [len(parts[label][0]) for label in g.index])
    test = rt.stats.logrank_test(duration, event, labels)
    assert by_channel.test["statistic"].iloc[0] == pytest.approx(test.statistic, rel=1e-12)
    assert by_channel.test["df"].iloc[0] == test.df
    pair = np.isin(labels, ["app", "web"])
    diff = rt.stats.rmst_difference(duration[pair], event[pair], labels[pair], tau)
    row = by_channel.differences.loc[("web", "app", "rmst", int(tau))]
    assert (diff.group, diff.reference) == ("web", "app")
    for column in ("estimate", "standard_error", "ci_lower", "ci_upper", "p_value"):
        assert row[column] == pytest.approx(getattr(diff, column), rel=1e-12)
    # The Newcombe interval of the repurchase shares, from the per-group counts.
    for h in HORIZONS:
        share = by_channel.differences.loc[("web", "app", "repurchase_share", int(h[:-1]))]
        low, high = rt.stats.newcombe_interval(
            g.loc["web", f"repurchased_{h}"],
            g.loc["web", f"observed_{h}"],
            g.loc["app", f"repurchased_{h}"],
            g.loc["app", f"observed_{h}"],
        )
        assert (share["ci_lower"], share["ci_upper"]) == pytest.approx((low, high), rel=1e-12)


def test_repurchase_share_by_hand(example: pd.DataFrame, by_channel: Any) -> None:
    """The share who bought again within h days, over those whose first purchase is h days before the end."""
    days = example.assign(day=example["date"].dt.normalize()).drop_duplicates(
        ["customer_id", "day"]
    )
    days = days.sort_values(["customer_id", "day"])
    first = days.groupby("customer_id")["day"].first()
    second = (
        days.groupby("customer_id")["day"]
        .nth(1)
        .set_axis(days.groupby("customer_id").nth(1)["customer_id"])
    )
    channel = (
        example.sort_values(["customer_id", "date", "channel"])
        .groupby("customer_id")["channel"]
        .first()
    )
    end = example["date"].max().normalize()
    for h in HORIZONS:
        span = pd.Timedelta(h)
        seen = first[first + span <= end].index
        again = (second.reindex(seen) - first.reindex(seen)) <= span
        observed = channel.reindex(seen).value_counts()
        repurchased = channel.reindex(seen)[again.to_numpy()].value_counts()
        g = by_channel.groups
        np.testing.assert_array_equal(g[f"observed_{h}"], observed.reindex(g.index))
        np.testing.assert_array_equal(g[f"repurchased_{h}"], repurchased.reindex(g.index))


def test_adjusted_p_values_equal_statsmodels() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, 12)
    family = np.repeat([0, 1, 2], 4)
    for ours, theirs in (("holm", "holm"), ("bonferroni", "bonferroni")):
        adjusted = adjust_p_values(p, family, ours)
        for f in range(3):
            expected = multipletests(p[family == f], method=theirs)[1]
            np.testing.assert_allclose(adjusted[family == f], expected, rtol=1e-12)
    np.testing.assert_array_equal(adjust_p_values(p, family, None), p)
    with_nan = np.array([0.01, np.nan, 0.04])
    np.testing.assert_allclose(
        adjust_p_values(with_nan, np.zeros(3, dtype=np.int64), "holm"), [0.02, np.nan, 0.04]
    )


def test_control_compares_each_group_with_it(example: pd.DataFrame) -> None:
    result = rt.compare_retention(example, "channel", control="store", adjust="bonferroni")
    d = result.differences
    assert set(d.index.get_level_values("reference")) == {"store"}
    assert set(d.index.get_level_values("group")) == {"app", "web"}
    assert result.control == "store"
    # Two comparisons per family: Bonferroni doubles each p-value.
    np.testing.assert_allclose(d["p_adjusted"], np.minimum(1.0, 2 * d["p_value"]))
    # app - store is the negative of store - app in the all-pairs result.
    pairs = rt.compare_retention(example, "channel").differences
    np.testing.assert_allclose(
        d.xs(("app", "store"), level=["group", "reference"])["estimate"],
        -pairs.xs(("store", "app"), level=["group", "reference"])["estimate"],
    )


def test_weightings_and_tau(example: pd.DataFrame) -> None:
    curve = rt.survival_curve(example, by="channel")
    parts = {label: durations_of(curve.loc[label]) for label in ["app", "store", "web"]}
    duration = np.concatenate([d for d, _ in parts.values()])
    event = np.concatenate([e for _, e in parts.values()])
    labels = np.repeat(list(parts), [len(d) for d, _ in parts.values()])
    for weightings, p, q in (
        ("wilcoxon", 0, 0),
        ("peto", 0, 0),
        (("fleming-harrington", 1, 0.5), 1, 0.5),
    ):
        result = rt.compare_retention(example, "channel", weightings=weightings)
        name = weightings if isinstance(weightings, str) else "fleming-harrington"
        expected = rt.stats.logrank_test(duration, event, labels, weightings=name, p=p, q=q)
        assert result.test["statistic"].iloc[0] == pytest.approx(expected.statistic, rel=1e-12)
    # The name alone is G(0, 0): the plain log-rank test.
    plain = rt.compare_retention(example, "channel", weightings="fleming-harrington").test.iloc[0]
    logrank = rt.stats.logrank_test(duration, event, labels)
    assert plain["statistic"] == pytest.approx(logrank.statistic, rel=1e-12)
    assert plain.name == "fleming-harrington(p=0, q=0)"
    result = rt.compare_retention(example, "channel", tau="100D")
    assert result.tau == 100
    assert result.groups.loc["web", "rmst"] == pytest.approx(
        rt.stats.rmst(*parts["web"], 100).estimate
    )


def test_groups_of_several_columns_are_tuples(example: pd.DataFrame) -> None:
    # Two columns: each group is a (channel, manager) pair, in the groups' and the differences' labels,
    # with the figures of that pair's customers alone.
    result = rt.compare_retention(example, ["channel", "manager"], control=("web", "Emery"))
    pairs = list(result.groups.index)
    assert ("web", "Emery") in pairs
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert set(result.differences.index.get_level_values("reference")) == {("web", "Emery")}
    assert set(result.differences.index.get_level_values("group")) == set(pairs) - {
        ("web", "Emery")
    }
    first = example.sort_values("date").drop_duplicates("customer_id")
    members = first.loc[(first["channel"] == "app") & (first["manager"] == "Finley"), "customer_id"]
    alone = rt.compare_retention(
        example[example["customer_id"].isin(members)].assign(g="x"),
        "g",
        observation_end=example["date"].max(),
    )
    assert result.groups.loc[("app", "Finley"), "customers"] == alone.groups.loc["x", "customers"]
    assert (
        result.groups.loc[("app", "Finley"), "survival_90D"]
        == alone.groups.loc["x", "survival_90D"]
    )


def test_crossing_curves_warn() -> None:
    # "a": half buy once, the rest stay 180 days. "b": everybody stays 60 days, a fifth 240 days. So "b"
    # is above "a" at first (1 against 1/2), below it from day 60 (1/5 against 1/2).
    rows = []
    for i in range(100):
        rows += [(i, d, "a") for d in (range(0, 181, 30) if i >= 50 else [0])]
    for i in range(100, 200):
        rows += [(i, d, "b") for d in range(0, 241 if i >= 180 else 61, 30)]
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "group"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    with pytest.warns(RetentionWarning, match=r"cross.*RMST"):
        result = rt.compare_retention(
            tx, "group", inactive_after="40D", observation_end="2025-06-01"
        )
    assert result.test["curves_cross"].iloc[0]


# --- bad input ----------------------------------------------------------------------------------------


def test_control_that_is_not_a_group() -> None:
    with pytest.raises(InvalidParameterError, match=r"'control'.*'store', 'web'.*Got 'shop'"):
        run_small(control="shop")


def test_a_label_without_customers_is_no_group() -> None:
    tx = small().astype({"channel": pd.CategoricalDtype(["app", "store", "web"])})
    result = rt.compare_retention(tx, "channel", observation_end="2024-03-10")
    assert list(result.groups.index) == ["store", "web"]
    with pytest.raises(InvalidParameterError, match=r"'control'.*groups that have customers"):
        rt.compare_retention(tx, "channel", control="app")
    # A Series naming a group nobody in the table has: the same.
    crm = pd.Series(["x", "y", "x", "y", "x", "z"], index=[1, 2, 3, 4, 5, 99], name="manager")
    result = rt.compare_retention(small(), crm)
    assert list(result.groups.index) == ["x", "y"]


def test_a_single_group_is_an_empty_comparison() -> None:
    tx = small()
    result = rt.compare_retention(tx[tx["channel"] == "web"], "channel")
    assert len(result.groups) == 1
    assert len(result.differences) == 0
    assert result.differences.index.names == ["group", "reference", "measure", "days"]
    assert result.test["df"].iloc[0] == 0
    assert np.isnan(result.test["p_value"].iloc[0])
    repr(result)


def test_no_customers_is_an_empty_result() -> None:
    empty = small().iloc[:0]
    result = rt.compare_retention(empty, "channel")
    assert len(result.groups) == 0
    assert len(result.differences) == 0
    assert "survival_30D" in result.groups.columns
    assert math.isnan(result.tau)
    repr(result)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"adjust": "fdr"}, "'adjust'"),
        ({"horizons": []}, "'horizons'"),
        ({"horizons": ["0D"]}, "'horizons'"),
        ({"horizons": "1.5D"}, "'horizons'"),
        ({"alpha": 1.5}, "'alpha'"),
        ({"weightings": "gehan"}, "'weightings'"),
        ({"weightings": ("peto", 1, 0)}, "'weightings'"),
        ({"weightings": ("fleming-harrington", -1, 0)}, "'weightings'"),
        # With the end on day 24 every group's last lifetime (20 days) is censored.
        ({"tau": "30D", "observation_end": "2024-01-25"}, r"'tau'.*at most 20 days.*'store'"),
        ({"inactive_after": 0}, "'inactive_after'"),
    ],
)
def test_bad_options(options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        run_small(**options)


def test_by_is_required() -> None:
    with pytest.raises(InvalidParameterError, match="'by' parameter of compare_retention"):
        rt.compare_retention(small(), None)


# --- no difference: the tests reject at about the nominal rate ------------------------------------------


def simulated(rng: np.random.Generator, n: int = 120) -> pd.DataFrame:
    """Customers in three groups drawn alike: first day in 0..300, 1 + geometric purchases, exponential gaps."""
    first = rng.integers(0, 300, n)
    count = rng.geometric(0.35, n)
    customer = np.repeat(np.arange(n), count)
    start = np.repeat(first, count)
    gaps = np.ceil(rng.exponential(45.0, len(customer))).astype(int)
    gaps[np.r_[0, np.cumsum(count)[:-1]]] = 0  # the first purchase is on the first day
    offset = pd.Series(gaps).groupby(customer).cumsum().to_numpy()
    group = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "customer_id": customer,
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(start + offset, unit="D"),
            "group": np.array(["a", "b", "c"])[group[customer]],
        }
    )


def test_no_difference_rejects_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(20240601)
    runs = 300
    logrank = 0
    family_rejections: dict[Any, int] = {}
    for _ in range(runs):
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", RetentionWarning
            )  # crossing by chance is no failure here
            result = rt.compare_retention(
                simulated(rng), "group", horizons=["30D", "90D"], observation_end="2024-06-30"
            )
        logrank += bool(result.test["p_value"].iloc[0] < 0.05)
        d = result.differences.reset_index()
        # One family per measure and horizon; the RMST's horizon (tau) varies from table to table.
        d.loc[d["measure"] == "rmst", "days"] = 0
        rejected = (d["p_adjusted"] < 0.05).groupby([d["measure"].astype(str), d["days"]]).any()
        for key, value in rejected.items():
            family_rejections[key] = family_rejections.get(key, 0) + int(value)
    # Binomial band: 300 draws at 5% have sd 1.26%; 3.5 sd either side.
    sd = math.sqrt(0.05 * 0.95 / runs)
    assert 0.05 - 3.5 * sd <= logrank / runs <= 0.05 + 3.5 * sd
    # Holm keeps the family-wise rate (any of the three pairs rejected) at or below 5%.
    assert len(family_rejections) == 5  # survival and share at 30 and 90 days, RMST
    for key, count in family_rejections.items():
        assert count / runs <= 0.05 + 3.5 * sd, key


# --- invariance -----------------------------------------------------------------------------------------


rows = st.lists(
    st.tuples(st.integers(1, 30), st.integers(0, 300), st.sampled_from(["a", "b", "c"])),
    min_size=2,
    max_size=60,
)


def table(data: list[tuple[int, int, str]]) -> pd.DataFrame:
    tx = pd.DataFrame(data, columns=["customer_id", "day", "group"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    return tx


def frames(result: rt.RetentionComparison) -> list[pd.DataFrame]:
    return [result.groups, result.differences, result.test]


@given(data=rows, random=st.randoms(use_true_random=False))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_row_order_never_changes_the_result(data: list[tuple[int, int, str]], random: Any) -> None:
    tx = table(data)
    order = list(range(len(tx)))
    random.shuffle(order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        a = rt.compare_retention(tx, "group", horizons=["30D", "90D"])
        b = rt.compare_retention(tx.iloc[order], "group", horizons=["30D", "90D"])
    for x, y in zip(frames(a), frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y, check_exact=True)


@given(data=rows)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_renaming_groups_changes_only_the_labels(data: list[tuple[int, int, str]]) -> None:
    tx = table(data)
    # One label per customer: rows at the same first time with different labels go to the first label in
    # sorted order, which a renaming that reverses the order changes (a different grouping, not a bug).
    tx["group"] = tx.groupby("customer_id")["group"].transform("first")
    names = {"a": "zeta", "b": "alpha", "c": "mid"}  # reverses the sorted order of a and b
    renamed = tx.assign(group=tx["group"].map(names))
    groups = (
        tx.sort_values(["customer_id", "date", "group"]).groupby("customer_id")["group"].first()
    )
    control = groups.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        a = rt.compare_retention(tx, "group", horizons=["30D", "90D"], control=control)
        b = rt.compare_retention(renamed, "group", horizons=["30D", "90D"], control=names[control])
    pd.testing.assert_frame_equal(a.groups.rename(index=names).sort_index(), b.groups.sort_index())
    expected = a.differences.rename(index=names, level="group").rename(
        index=names, level="reference"
    )
    pd.testing.assert_frame_equal(expected.sort_index(), b.differences.sort_index(), rtol=1e-12)
    assert a.test["df"].iloc[0] == b.test["df"].iloc[0]
    np.testing.assert_allclose(a.test["statistic"], b.test["statistic"], rtol=1e-9, atol=1e-12)


@given(data=rows)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_differences_of_shares_stay_between_minus_one_and_one(
    data: list[tuple[int, int, str]],
) -> None:
    # Survival and repurchase shares lie in [0, 1], so their differences and intervals lie in [-1, 1],
    # even for the tiny groups where a normal interval reaches past it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        result = rt.compare_retention(table(data), "group", horizons=["30D", "90D"], alpha=0.01)
    shares = result.differences[result.differences.index.get_level_values("measure") != "rmst"]
    bounds = shares[["estimate", "ci_lower", "ci_upper"]].to_numpy(dtype=float)
    assert not (bounds[~np.isnan(bounds)] < -1.0).any()
    assert not (bounds[~np.isnan(bounds)] > 1.0).any()


def test_a_normal_interval_of_a_survival_difference_is_clipped() -> None:
    from retention.core.compare import clip_to_differences_of_shares, difference_test

    low, high, _ = difference_test(np.array([0.5]), np.array([0.354]), 0.05)
    assert high[0] > 1.0  # the normal interval reaches past 1 ...
    low, high = clip_to_differences_of_shares(low, high)
    assert (low[0], high[0]) == (
        pytest.approx(0.5 - 1.959964 * 0.354, abs=1e-6),
        1.0,
    )  # ... clipped


@pytest.mark.parametrize("alpha", [0.05, 1e-10, 1e-17, 1e-300])
def test_the_critical_value_of_a_tiny_alpha_is_finite(alpha: float) -> None:
    # 1 - alpha / 2 rounds to 1 below alpha = 1.1e-16, whose quantile is inf: z is taken from alpha / 2.
    z = two_sided_z(alpha)
    assert math.isfinite(z)
    assert special.ndtr(-z) == pytest.approx(alpha / 2, rel=1e-13)
