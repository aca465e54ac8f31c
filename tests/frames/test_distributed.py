"""Dask and PySpark tables: the work runs on the workers, only tallies come back, results equal pandas.

The clusters are real: a ``distributed.LocalCluster`` of two worker processes and a ``local[2]`` Spark
session, both bound to 127.0.0.1 and started once per test session (fixtures in tests/conftest.py). Every
function of the registry (tests/registry.py) runs on each, with the shared options, and either returns
exactly what it returns for the pandas table (same labels, same values to the last bit) or, for the
functions that do not run on a cluster yet, raises a clear error.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import ColumnTypeError, InvalidValueError, RetentionWarning
from retention.frames import distributed
from retention.frames.forecast import HoldoutTally
from tests.frames.test_common import assert_identical, sample
from tests.registry import REGISTRY, Entry

# The registry entries that run on a cluster; the others must refuse clearly (and this set must grow).
ON_CLUSTERS = {
    "period_retention",
    "period_retention_weekly",
    "repeat_purchase_rate",
    "purchase_frequency",
    "average_order_value",
    "time_to_second_purchase",
    "cohort_table",
    "cohort_table_weekly_orders",
    "cohort_table_revenue_rolling",
    "retention_curve",
    "retention_curve_rolling",
    "survival_curve",
    "kpis",
    "rfm_summary",
    "report",
    "compare_retention",
    "tracking_table",
    "complaint_outcomes",
    "segment_history_orders_so_far",
    "abc_xyz",
    "abc_xyz_orders_weekly_computed",
    "rfm_scores",
    "rfm_scores_cut_points",
    "historical_value",
    "historical_value_margin",
    "customer_features",
    "scorecard",
    "campaign_effect",
    "backtest",
    "backtest_revenue",
}

CLUSTERS = ("dask", "spark")


@pytest.fixture(params=CLUSTERS)
def on_cluster(request: pytest.FixtureRequest) -> Callable[[pd.DataFrame], Any]:
    """A function that puts a pandas table on the cluster of the test's parameter."""
    return request.getfixturevalue(f"{request.param}_table")  # type: ignore[no-any-return]


def _twin(tx: pd.DataFrame, table: Any) -> pd.DataFrame:
    """The pandas table a cluster's table stands for: Dask holds text as its own string type."""
    if hasattr(table, "_meta"):
        return tx.astype(table._meta.dtypes.to_dict())
    return tx


def _call(entry: Entry, tx: Any, **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        return entry.call(tx, **options)


@pytest.mark.parametrize("entry", REGISTRY, ids=[e.name for e in REGISTRY])
def test_every_function_on_every_cluster(
    entry: Entry, on_cluster: Callable[[pd.DataFrame], Any]
) -> None:
    table = on_cluster(sample())
    tx = _twin(sample(), table)
    if entry.name not in ON_CLUSTERS:
        with pytest.raises(ColumnTypeError, match=r"(Dask|PySpark)"):
            _call(entry, table)
        return
    assert_identical(_call(entry, table), _call(entry, tx))
    if entry.name == "report":  # a dozen cluster jobs a call: the options are those of the others
        return
    options = {"order_id": "order_id", "returns": "drop"}
    assert_identical(_call(entry, table, **options), _call(entry, tx, **options))
    assert_identical(
        _call(entry, table, order_id="order_id"), _call(entry, tx, order_id="order_id")
    )
    if entry.by:
        assert_identical(_call(entry, table, by="channel"), _call(entry, tx, by="channel"))


def test_event_tables_in_pandas_go_to_the_workers(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = sample()
    complaints = pd.DataFrame(
        {
            "customer_id": [1, 3],
            "date": pd.to_datetime(["2024-02-01", "2024-03-01"]),
            "resolved": [True, False],
        }
    )
    table = on_cluster(tx)
    got = rt.customer_features(table, complaints=complaints, refusals=complaints.iloc[:1])
    expected = rt.customer_features(
        _twin(tx, table), complaints=complaints, refusals=complaints.iloc[:1]
    )
    assert_identical(got, expected)
    with pytest.raises(ColumnTypeError, match="complaints"):
        rt.customer_features(table, complaints=on_cluster(complaints))


def test_old_spellings_warn_once(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = sample()
    table = on_cluster(tx)
    with pytest.warns(DeprecationWarning, match="thresholds_xyz") as caught:
        got = rt.abc_xyz(table, thresholds_xyz=(0.2, 0.5))
    assert len([w for w in caught if "thresholds_xyz" in str(w.message)]) == 1
    expected = rt.abc_xyz(_twin(tx, table), xyz_thresholds=(0.2, 0.5))
    pd.testing.assert_frame_equal(got, expected)


def test_the_report_footer_counts_on_the_cluster(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = sample()
    table = on_cluster(tx)
    # The observation end is found by one pass over the table (rt.kpis's), not again by every section.
    with mock.patch.object(distributed, "_whole_span", wraps=distributed._whole_span) as spans:
        got = rt.report(table, by="channel")
    assert spans.call_count == 1
    expected = rt.report(_twin(tx, table), by="channel")
    assert got.footer == expected.footer
    assert dict(got.footer)["data range"] == "2024-01-03 to 2024-07-15"
    pd.testing.assert_series_equal(got.kpis, expected.kpis)


def test_tracking_with_a_calibration_end(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = rt.simulate_transactions(n_customers=300, seed=5)
    table = on_cluster(tx)
    tx = _twin(tx, table)
    model = rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    options = {"time_unit": "W", "freq": "W", "calibration_end": "2023-06-30"}
    assert_identical(
        rt.tracking_table(model, table, **options), rt.tracking_table(model, tx, **options)
    )
    late = {**options, "calibration_end": "2031-01-01"}
    with pytest.raises(rt.errors.InvalidParameterError) as expected:
        rt.tracking_table(model, tx, **late)
    with pytest.raises(rt.errors.InvalidParameterError) as got:
        rt.tracking_table(model, table, **late)
    assert str(got.value) == str(expected.value)


def test_every_plan_is_in_the_registry() -> None:
    names = {e.function.__name__ for e in REGISTRY if e.name in ON_CLUSTERS}
    assert names == set(distributed.PLANS)


def test_simulated_log_with_many_partitions(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = rt.simulate_transactions(n_customers=400, seed=7)
    tx["channel"] = np.where(tx["customer_id"].to_numpy() % 3 == 0, "web", "shop")
    table = on_cluster(tx)
    tx = _twin(tx, table)
    for function, options in [
        (rt.period_retention, {"by": "channel"}),
        (rt.cohort_table, {"freq": "W", "normalize": True}),
        (rt.survival_curve, {"inactive_after": "60D"}),
        (rt.kpis, {"by": "channel"}),
        (rt.rfm_summary, {"freq": "W"}),
        (rt.time_to_second_purchase, {}),
    ]:
        assert_identical(function(table, **options), function(tx, **options))


def test_dates_as_text_and_returns_at_the_end(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    # Text dates: the last purchase day is found by the workers; a return after the last purchase.
    tx = sample()
    tx.loc[len(tx)] = [4, "o99", pd.Timestamp("2024-07-20"), -10.0, "web", "extra"]
    tx = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d %H:%M"))
    table = on_cluster(tx)
    tx = _twin(tx, table)
    for function in (rt.period_retention, rt.kpis, rt.rfm_summary, rt.survival_curve):
        assert_identical(function(table), function(tx))
    dated = _twin(sample(), on_cluster(sample()))
    dated.loc[len(dated)] = [4, "o99", pd.Timestamp("2024-07-20"), -10.0, "web", "extra"]
    assert_identical(rt.kpis(on_cluster(dated)), rt.kpis(dated))  # in the engine's aggregate


def test_string_ids_and_an_observation_end(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = sample().assign(customer_id=lambda d: "C" + d["customer_id"].astype(str))
    table = on_cluster(tx)
    tx = _twin(tx, table)
    for function in (rt.rfm_summary, rt.period_retention, rt.kpis):
        assert_identical(
            function(table, observation_end="2024-05-31"),
            function(tx, observation_end="2024-05-31"),
        )


@pytest.fixture
def sent_back(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the partitions send back to the driver, as it arrives, for the test to look at."""
    seen: list[Any] = []
    original = distributed._raise_and_warn

    def spy(results: Any) -> None:
        seen.extend(copy.copy(r) for r in results)  # the driver lets go of the rows it has placed
        original(results)

    monkeypatch.setattr(distributed, "_raise_and_warn", spy)
    return seen


def test_only_tallies_reach_the_driver(
    on_cluster: Callable[[pd.DataFrame], Any], sent_back: list[Any]
) -> None:
    seen = sent_back
    sizes = []
    for n in (1_000, 10_000):
        seen.clear()
        tx = rt.simulate_transactions(n_customers=n, seed=3)
        table = on_cluster(tx)
        rt.cohort_table(table)
        rt.kpis(table)
        assert seen
        assert all(r.pid != os.getpid() for r in seen)  # computed in worker processes
        assert sum(r.n_rows for r in seen if r.end_day is None) == 2 * len(tx)  # every row, there
        assert all(r.rows is None for r in seen)
        sizes.append((len(tx), sum(len(pickle.dumps(r.tallies)) for r in seen)))
    (small_rows, small_back), (large_rows, large_back) = sizes
    assert large_rows > 8 * small_rows
    # Counts by period and cohort come back, whose size does not grow with the rows.
    assert large_back < 1.5 * small_back


def test_per_customer_functions_send_back_one_row_per_customer(
    on_cluster: Callable[[pd.DataFrame], Any], sent_back: list[Any]
) -> None:
    tx = rt.simulate_transactions(n_customers=500, seed=4)
    table = on_cluster(tx)
    for function in (rt.rfm_summary, rt.historical_value, rt.rfm_scores):
        sent_back.clear()
        function(table)  # what comes back, before the driver puts it together:
        rows = sum(len(r.rows) for r in sent_back if r.rows is not None)
        rows += sum(
            len(frame) for r in sent_back for tally in r.tallies.values() for frame in tally
        )
        assert rows == tx["customer_id"].nunique() < len(tx)
        assert sent_back
        assert os.getpid() not in {r.pid for r in sent_back}


def test_a_bad_value_raises_the_pandas_error(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = sample().assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))
    tx.loc[3, "date"] = "not a date"
    with pytest.raises(InvalidValueError, match="not dates") as expected:
        rt.period_retention(tx)
    with pytest.raises(InvalidValueError, match="not dates") as got:
        rt.period_retention(on_cluster(tx))
    assert str(got.value) == str(expected.value)


def test_an_option_error_is_raised_before_any_work(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    with pytest.raises(rt.errors.InvalidParameterError, match="freq"):
        rt.period_retention(on_cluster(sample()), freq="fortnight")
    with pytest.raises(rt.errors.ColumnNotFoundError, match="customer"):
        rt.kpis(on_cluster(sample()), customer_id="customer")


def test_revenue_cohorts_of_amounts_with_many_decimals(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    # Amounts that are not whole cents: the cells are exact sums, whatever the partitions add up.
    tx = rt.simulate_transactions(n_customers=300, seed=11)
    tx["amount"] = tx["amount"] / 3 + 1e-9
    table = on_cluster(tx)
    for kind in ("classic", "rolling"):
        options = {"metric": "revenue", "kind": kind, "freq": "W"}
        assert_identical(rt.cohort_table(table, **options), rt.cohort_table(tx, **options))


def test_line_item_warning_comes_back_once(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(["2024-01-01 10:00"] * 3 + ["2024-02-01 09:00"] * 3),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    with pytest.warns(RetentionWarning, match="order_id") as caught:
        rt.kpis(on_cluster(tx))
    assert len([w for w in caught if "order_id" in str(w.message)]) == 1


def _same_scorecard(got: Any, expected: Any) -> None:
    for name in ("figures", "ranks", "versus_rest"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=True)
    for name in ("period", "horizons", "freq"):
        assert getattr(got, name) == getattr(expected, name)


def _managed(n_customers: int, seed: int) -> pd.DataFrame:
    """A simulated log with a manager (missing for a third of the customers) and a region per customer."""
    tx = rt.simulate_transactions(n_customers=n_customers, seed=seed)
    ids = tx["customer_id"].to_numpy()
    manager = pd.Series(np.where(ids % 3 == 0, "ann", "bob"), dtype=object)
    tx["manager"] = manager.where(ids % 3 != 2)
    tx["region"] = np.where(ids % 2 == 0, "north", "south")
    return tx


def test_scorecard_by_groups_with_event_tables(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = _managed(300, 8)
    table = on_cluster(tx)
    tx = _twin(tx, table)
    firsts = tx.sort_values("date").drop_duplicates("customer_id")
    complaints = firsts.loc[firsts["customer_id"] % 5 == 0, ["customer_id", "date"]].assign(
        resolved=lambda d: d["customer_id"] % 2 == 0
    )
    plan = firsts[["customer_id", "date"]].rename(columns={"date": "due"}).iloc[::2]
    done = tx.loc[tx["customer_id"] % 4 != 1, ["customer_id", "date"]]
    crm = pd.Series(
        np.where(np.arange(1, 321) % 4 == 0, "key", "other"), index=np.arange(1, 321), name="crm"
    )  # customers 301-320 never bought
    events = {"complaints": complaints, "plan": plan, "done": done}
    for by, options in [
        ("manager", events),
        (["manager", "region"], {"complaints": complaints, "freq": "Q", "adjust": "bonferroni"}),
        (crm, {"plan": plan, "done": done, "inactive_after": "60D", "returns": "drop"}),
        ("region", {"observation_end": "2023-01-20", **events}),  # no complete month
    ]:
        _same_scorecard(rt.scorecard(table, by, **options), rt.scorecard(tx, by, **options))


def _same_campaign(got: Any, expected: Any) -> None:
    for name in ("groups", "differences", "did", "balance", "sizes", "sample_ratio", "curves"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=True)
    for name in ("start", "horizon", "pre_period", "randomized", "alpha"):
        assert getattr(got, name) == getattr(expected, name)


def test_campaign_effect_on_clusters(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    tx = rt.simulate_transactions(n_customers=300, seed=9)
    table = on_cluster(tx)
    tx = _twin(tx, table)
    ids = np.sort(tx["customer_id"].unique())
    contacts = pd.DataFrame(
        {
            "customer_id": np.repeat(ids[::3], 2),  # each contacted twice: from the first contact
            "date": pd.Timestamp("2024-03-01")
            + pd.to_timedelta(np.arange(2 * len(ids[::3])) % 40, unit="D"),
        }
    )
    start = {"start": "2024-03-01", "randomized": False}
    for treated, options in [
        (contacts, {**start, "control": ids[1::3], "bootstrap": 200, "seed": 1}),
        (rt.holdout_split(ids[:200], share=0.3, seed=2), {"start": "2024-06-01", "horizon": 60}),
        (list(ids[::2]), {**start, "pre_period": "30D", "order_id": None, "returns": "drop"}),
        (list(ids[::2]), {**start, "amount": None, "observation_end": "2024-04-15"}),
    ]:
        with warnings.catch_warnings():  # ids that never bought: tested below
            warnings.simplefilter("ignore", RetentionWarning)
            got = rt.campaign_effect(table, treated, **options)
            expected = rt.campaign_effect(tx, treated, **options)
        _same_campaign(got, expected)


def test_campaign_effect_checks_the_lists_against_the_whole_table(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = sample()
    table = on_cluster(tx)
    tx = _twin(tx, table)
    # Ids that never bought: one warning, as for the pandas table, with the same sizes.
    options = {"start": "2024-04-01", "randomized": True, "observation_end": "2024-07-15"}
    with pytest.warns(RetentionWarning, match="never bought") as caught:
        got = rt.campaign_effect(table, [1, 3, 99], **options)
    assert len([w for w in caught if "never bought" in str(w.message)]) == 1
    with pytest.warns(RetentionWarning, match="never bought"):
        expected = rt.campaign_effect(tx, [1, 3, 99], **options)
    pd.testing.assert_frame_equal(got.sizes, expected.sizes, check_exact=True)
    # No id a customer of any partition: the pandas error, naming the table's first id.
    for treated in (["1", "3"], pd.DataFrame({"customer_id": [1], "date": ["2024-08-01"]})):
        with pytest.raises(rt.errors.RetentionError) as wanted:
            rt.campaign_effect(tx, treated, **options)
        with pytest.raises(type(wanted.value)) as raised:
            rt.campaign_effect(table, treated, **options)
        assert str(raised.value) == str(wanted.value)
    # The contacts as a cluster's table: refused, with the fix.
    contacts = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-04-01"])})
    with pytest.raises(ColumnTypeError, match=r"'treated' as a cluster's DataFrame.*pandas"):
        rt.campaign_effect(table, on_cluster(contacts), **options)


def test_scorecard_and_campaign_send_back_tallies_and_group_rows(
    on_cluster: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []  # what the driver's finishing receives from the partitions
    placed: list[Any] = []  # and the rows placed as they arrived
    finish = distributed._finish

    def spy(plan: Any, results: list[Any], *rest: Any, **named: Any) -> Any:
        seen.extend(results)
        placed.append(named.get("rows"))
        return finish(plan, results, *rest, **named)

    monkeypatch.setattr(distributed, "_finish", spy)
    for n in (1_000, 10_000):
        tx = rt.simulate_transactions(n_customers=n, seed=3)
        tx["team"] = tx["customer_id"] % 3
        table = on_cluster(tx)
        seen.clear()
        rt.scorecard(table, "team")
        assert seen
        assert all(r.pid != os.getpid() for r in seen)  # computed in worker processes
        # Counts per group, and per group and day of lifetime: bounded by those, not by the rows.
        days = (tx["date"].max() - tx["date"].min()).days + 1
        counts = [c for r in seen for parts in r.tallies.values() for c in parts]
        assert counts
        assert all(len(c.customers) <= 3 and c.lifetimes.shape[1] <= 3 * days for c in counts)
        seen.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RetentionWarning)
            effect = rt.campaign_effect(table, np.arange(1, n + 1, 4), start="2024-06-01")
        # The counts come with the tallies; the rows (one per customer in a group) apart, placed.
        assert all(
            len(part.rows) == 0 for r in seen for parts in r.tallies.values() for part in parts
        )
        rows = placed[-1]
        assert len(rows) == effect.groups["customers"].sum() < len(tx)
        assert rows.index.is_monotonic_increasing


def test_scorecard_and_campaign_with_empty_partitions(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    # Three customers over up to eight partitions: most partitions hold nobody, or one group only.
    tx = sample()
    tx = tx[tx["customer_id"].isin([1, 3, 5])].reset_index(drop=True)
    table = on_cluster(tx)
    if hasattr(table, "npartitions"):  # Dask: eight partitions, and eight after the shuffle
        table = table.repartition(npartitions=8)
    tx = _twin(tx, table)
    complaints = pd.DataFrame({"customer_id": [3, 3], "date": pd.to_datetime(["2024-03-01"] * 2)})
    _same_scorecard(
        rt.scorecard(table, "channel", complaints=complaints),
        rt.scorecard(tx, "channel", complaints=complaints),
    )
    options = {"start": "2024-04-01", "randomized": True}
    got = rt.campaign_effect(table, [5], **options)
    _same_campaign(got, rt.campaign_effect(tx, [5], **options))


def test_rows_put_in_customer_order_as_pandas_sorts_them() -> None:
    rng = np.random.default_rng(1)
    ids = rng.permutation(60)
    frames = [
        pd.DataFrame(
            {"a": rng.random(20), "b": pd.Categorical(rng.choice(["x", "y"], 20)), "c": ids[k::3]},
            index=pd.Index(ids[k::3], name="customer_id"),
        )
        for k in range(3)
    ]
    for f in frames:
        f.attrs["unit"] = "D"
    expected = pd.concat(frames).sort_index(kind="stable")
    got = _placed_in([0, 1, 2], frames)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == {"unit": "D"}
    by_group = [f.set_index("b", append=True).swaplevel()["a"] for f in frames]
    expected_series = pd.concat(by_group).sort_index(kind="stable")
    pd.testing.assert_series_equal(_placed_in([2, 0, 1], by_group), expected_series)
    # A column of another type in one partition (floats among ints) is put together as pandas does.
    mixed = [frames[0].assign(c=frames[0]["c"].astype(float)), *frames[1:]]
    pd.testing.assert_frame_equal(
        _placed_in([1, 2, 0], mixed), pd.concat(mixed).sort_index(kind="stable")
    )


def _placed_in(order: list[int], frames: list[pd.DataFrame | pd.Series]) -> Any:
    """Place the frames' rows as the driver does: heads first, then the rows in the given order."""
    sent = [distributed._Columns.of(f) for f in frames]
    heads: list[distributed._Columns | None] = [p.head() for p in sent]
    arrived: list[distributed._Columns] = []

    def parts() -> Any:
        for k in order:
            # Every partition that arrived before has been placed and released.
            assert all(p.arrays == [] and p.index is None for p in arrived)
            assert all(h is None or h.index is None for h in heads)  # the ids were read first
            arrived.append(sent[k])
            yield k, sent[k]

    got = distributed._placed(heads, parts())
    assert all(p.arrays == [] for p in arrived)
    return got


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 1, 0, 2], [2, 3, 1, 0]])
def test_rows_placed_as_they_arrive_in_any_order(order: list[int]) -> None:
    rng = np.random.default_rng(2)
    ids = rng.permutation(90)
    parts = [ids[:30], ids[30:75], ids[75:75], ids[75:]]  # one partition without rows
    for key in (lambda i: i, lambda i: "C" + pd.Series(i).astype(str).str.zfill(3).to_numpy()):
        frames = [
            pd.DataFrame(
                {"x": rng.random(len(p)), "n": p * 2, "flag": p % 3 == 0},
                index=pd.Index(key(p), name="customer_id"),
            )
            for p in parts
        ]
        expected = pd.concat(frames).sort_index()
        pd.testing.assert_frame_equal(_placed_in(order, frames), expected)
        # A Series with two levels (group, customer), as historical_value(by=...) sends back.
        series = [f.set_index(f["n"] % 4, append=True).swaplevel()["x"] for f in frames]
        pd.testing.assert_series_equal(
            _placed_in(order, series), pd.concat(series).sort_index(kind="stable")
        )
    # Repeated ids (a customer in several groups) and a column of another type in one partition.
    frames = [
        pd.DataFrame(
            {"g": np.full(len(p), k), "x": p.astype(float if k == 1 else int)}, index=p % 40
        )
        for k, p in enumerate(parts)
    ]
    got = _placed_in(order, frames)
    expected = pd.concat(frames).sort_index(kind="stable")
    assert got.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(
        got.reset_index().sort_values(["index", "g", "x"], ignore_index=True),
        expected.reset_index().sort_values(["index", "g", "x"], ignore_index=True),
    )


def test_per_customer_rows_are_placed_one_partition_at_a_time(
    on_cluster: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    arrivals: list[int] = []
    in_process: list[int] = []
    original = distributed._placed

    def spy(heads: list[Any], parts: Any) -> Any:
        if not inspect.isgenerator(parts):  # rows in this process already (tallies)
            in_process.append(len(heads))
            return original(heads, parts)
        # Fetched from the cluster as the driver asks.
        assert all(h is None or h.arrays == [] for h in heads)  # ids and types first, no values
        arrived: list[Any] = []

        def watched() -> Any:
            for k, part in parts:
                assert all(p.arrays == [] for p in arrived)  # the ones before: placed, released
                arrived.append(part)
                yield k, part

        result = original(heads, watched())
        arrivals.append(len(arrived))
        return result

    monkeypatch.setattr(distributed, "_placed", spy)
    tx = rt.simulate_transactions(n_customers=300, seed=5)
    tx["channel"] = np.where(pd.factorize(tx["customer_id"])[0] % 3 == 0, "shop", "web")
    table = on_cluster(tx)
    tx = _twin(tx, table)
    # Per-customer functions, and those with a global step after one row per customer (without by).
    for function in (rt.rfm_summary, rt.customer_features, rt.rfm_scores, rt.abc_xyz):
        pd.testing.assert_frame_equal(function(table), function(tx), check_exact=True)
    assert_identical(
        rt.historical_value(table, by="channel"), rt.historical_value(tx, by="channel")
    )
    # Each customer's lifetime, group by group (placed by group and id), with the groups' tallies.
    compare = next(e for e in REGISTRY if e.name == "compare_retention")
    assert_identical(_call(compare, table), _call(compare, tx))
    assert len(arrivals) == 6
    assert min(arrivals) > 1
    assert not in_process
    # With by, each group's rows, placed by group and customer, each group finished on its own.
    for function in (rt.rfm_scores, rt.abc_xyz):
        pd.testing.assert_frame_equal(
            function(table, by="channel"), function(tx, by="channel"), check_exact=True
        )
    assert len(arrivals) == 8
    assert not in_process
    # With by of two columns too: indexed by both labels and customer.
    tx["team"] = pd.factorize(tx["customer_id"])[0] % 2
    table = on_cluster(tx)
    tx = _twin(tx, table)
    by = ["channel", "team"]
    pd.testing.assert_frame_equal(
        rt.rfm_scores(table, by=by), rt.rfm_scores(tx, by=by), check_exact=True
    )
    assert len(arrivals) == 9
    assert not in_process
    if hasattr(table, "sparkSession"):  # what Spark stored for the driver to read twice is let go
        assert table.sparkSession.sparkContext._jsc.getPersistentRDDs().isEmpty()


def test_lifetimes_in_another_order_are_put_group_by_group() -> None:
    tx = sample()
    options = {"horizons": (30, 60), "inactive_after": "60D"}
    t = rt.frames.schema.read_transactions(tx, by="channel", func="compare_retention")
    (lives,) = distributed._lives_tally(t, options)
    parts, rows = distributed._lives_rows(tx, [lives], options)
    expected = distributed._compare_finish((parts, rows), options)
    # The same rows in customer order (groups interleaved): sorted group by group before comparing.
    shuffled = rows.iloc[np.lexsort((rows.index.codes[0], rows.index.get_level_values(1)))]
    assert not shuffled.index.is_monotonic_increasing
    got = distributed._compare_finish((parts, shuffled), options)
    pd.testing.assert_frame_equal(got.groups, expected.groups, check_exact=True)
    assert lives.rows is not None  # the partition's own tally is left as it was
    assert parts[0].rows is None


def test_dask_without_a_cluster_uses_its_local_scheduler() -> None:
    # In a fresh interpreter: no distributed client, so Dask's threads run the partitions in-process.
    pytest.importorskip("dask.dataframe")
    code = """
import warnings
import dask.dataframe as dd
import pandas as pd
import retention as rt
from tests.frames.test_common import assert_identical, sample
tx = sample()
table = dd.from_pandas(tx, npartitions=3, sort=False)
tx = tx.astype(table._meta.dtypes.to_dict())
with warnings.catch_warnings():
    warnings.simplefilter("ignore", rt.errors.RetentionWarning)
    for function in (rt.kpis, rt.rfm_summary, rt.cohort_table):
        assert_identical(function(table), function(tx))
print("ok")
"""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _same_error(call: Callable[[Any], Any], table: Any, tx: pd.DataFrame) -> None:
    """The call raises on the cluster's table the error (type and message) it raises on the pandas one."""
    with pytest.raises(rt.errors.RetentionError) as expected:
        call(tx)
    with pytest.raises(rt.errors.RetentionError) as got:
        call(table)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)


def test_rfm_summary_with_a_calibration_end(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    # On 2024-01-03, the first purchase: most partitions have none on or before it, the table has one.
    tx = sample()
    table = on_cluster(tx)
    tx = _twin(tx, table)
    for cut in ("2024-01-03", "2024-04-30"):
        for options in (
            {},
            {"order_id": "order_id"},
            {"order_id": "order_id", "returns": "drop", "time_unit": "W"},
            {"returns": "drop", "freq": "W"},
            {"amount": None, "observation_end": "2024-05-31"},
        ):
            assert_identical(
                rt.rfm_summary(table, calibration_end=cut, **options),
                rt.rfm_summary(tx, calibration_end=cut, **options),
            )


def test_rfm_summary_with_a_calibration_end_on_many_partitions(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = rt.simulate_transactions(n_customers=400, seed=7)
    tx.loc[len(tx)] = [3, pd.Timestamp("2024-12-31"), -20.0]  # a return, in the holdout
    table = on_cluster(tx)
    tx = _twin(tx, table)
    options = {"calibration_end": "2023-03-31", "time_unit": "W"}
    assert_identical(rt.rfm_summary(table, **options), rt.rfm_summary(tx, **options))
    # Text dates: the first purchase day is found by the workers, as the observation end is.
    text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    table = on_cluster(text)
    text = _twin(text, table)
    assert_identical(rt.rfm_summary(table, **options), rt.rfm_summary(text, **options))


def test_rfm_summary_with_a_bad_calibration_end_raises_the_pandas_error(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = sample()
    text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    only_returns = tx.assign(amount=-tx["amount"].abs())
    for frame, cut, options in [
        (tx, "2024-01-02", {}),  # before the first purchase
        (tx, "2024-07-15", {}),  # not before the observation end
        (tx, "2024-06-01", {"observation_end": "2024-05-31"}),
        (tx, "2024-01-01", {"observation_end": "2023-12-31"}),  # no purchase up to the end
        (tx, "2024-01-02", {"order_id": "order_id"}),  # found by the workers
        (text, "2024-07-20", {}),  # found by the workers
        (only_returns, "2024-03-01", {}),  # no purchase at all
        (tx, "a month ago", {}),
    ]:
        table = on_cluster(frame)
        _same_error(
            lambda t, cut=cut, options=options: rt.rfm_summary(t, calibration_end=cut, **options),
            table,
            _twin(frame, table),
        )


def test_backtest_of_a_fitted_model(on_cluster: Callable[[pd.DataFrame], Any]) -> None:
    # The model and the Gamma-Gamma are fitted on the driver, on the summary made on the cluster.
    tx = rt.simulate_transactions(n_customers=300, seed=5)
    tx["amount"] = tx["amount"] / 3 + 1e-9  # revenue partial sums that must add up exactly
    table = on_cluster(tx)
    tx = _twin(tx, table)
    options = {"calibration_end": "2023-12-31", "freq": "M", "seed": 1, "n_draws": 100}
    got, expected = rt.backtest(table, **options), rt.backtest(tx, **options)
    assert_identical(got.table, expected.table)
    assert_identical(got.errors, expected.errors)
    assert_identical(got.skill, expected.skill)
    assert got.model.params == expected.model.params
    assert got.spend_model.params == expected.spend_model.params
    assert got.calibration_end == expected.calibration_end
    # Text dates and order ids: the first purchase and the observation end found by the workers.
    text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"), order_id=np.arange(len(tx)) // 2)
    table = on_cluster(text)
    text = _twin(text, table)
    options = {**options, "order_id": "order_id", "freq": "W", "spend": False}
    assert_identical(rt.backtest(table, **options).table, rt.backtest(text, **options).table)


def test_backtest_with_a_bad_calibration_end_raises_the_pandas_error(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = sample()
    table = on_cluster(tx)
    twin = _twin(tx, table)
    for cut in ("2023-12-31", "2024-07-01", "2024-07-15", "2024-08-01", "soon", None):
        _same_error(lambda t, cut=cut: rt.backtest(t, calibration_end=cut, freq="M"), table, twin)
    # Without purchases, the empty backtest of pandas (whatever the calibration end).
    only_returns = tx.assign(amount=-tx["amount"].abs())
    table = on_cluster(only_returns)
    got = rt.backtest(table, calibration_end="2024-04-30")
    expected = rt.backtest(_twin(only_returns, table), calibration_end="2024-04-30")
    assert_identical(got.table, expected.table)
    assert_identical(got.errors, expected.errors)


def _counted(run: Callable[..., Any], passes: list[str], name: str, tx: Any, work: Any) -> Any:
    if work.shuffle:
        passes.append(name)
    return run(tx, work)


def test_backtest_brings_back_tallies_and_the_summary_only(
    on_cluster: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    rows: list[int] = []
    original = distributed._raise_and_warn

    def spy(results: Any) -> None:  # what comes back, before the driver puts the rows together
        seen.extend(results)
        rows.extend(len(r.rows) for r in results if r.rows is not None)
        original(results)

    monkeypatch.setattr(distributed, "_raise_and_warn", spy)
    passes: list[str] = []  # the passes over the table that move rows by customer
    for name in ("_dask_rows", "_spark_rows", "_dask_run", "_spark_run"):
        run = getattr(distributed, name)
        shuffled = functools.partial(_counted, run, passes, name)
        monkeypatch.setattr(distributed, name, shuffled)
    # Seed 1: a table whose BG/NBD fit is identified (seed 4's drifts to the limit of a fixed dropout
    # probability, a and b in the millions, where whether the Hessian comes out positive definite, and so
    # whether the fit warns, is decided by rounding).
    tx = rt.simulate_transactions(n_customers=500, seed=1)
    table = on_cluster(tx)
    rt.backtest(table, calibration_end="2023-12-31", freq="M", n_draws=0)
    # One pass brings back the tallies and the calibration summary (and one finds the first and last day).
    assert len(passes) == 1
    assert passes[0].endswith("_rows")
    assert seen
    assert all(r.pid != os.getpid() for r in seen)
    tallies = [t for r in seen for t in r.tallies.values()]
    assert tallies
    assert all(isinstance(t, HoldoutTally) for t in tallies)
    # Besides the tallies, the calibration summary: one row per customer of the calibration span.
    calibration = tx.loc[tx["date"] <= "2023-12-31", "customer_id"].nunique()
    assert sum(rows) == calibration < len(tx)


def _working_segments(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return rt.working_segments(rt.customer_features(t, observation_end=as_of))


def _many_partitions(table: Any) -> Any:
    """The table in eight partitions on Dask (Spark's are set by its shuffle partitions)."""
    return table.repartition(npartitions=8) if hasattr(table, "npartitions") else table


@pytest.fixture
def eight_spark_partitions(spark_session: Any) -> Any:
    """Spark's shuffle into eight partitions for the test (three otherwise)."""
    conf = spark_session.conf
    before = conf.get("spark.sql.shuffle.partitions")
    conf.set("spark.sql.shuffle.partitions", "8")
    yield
    conf.set("spark.sql.shuffle.partitions", before)


def test_segment_history_needs_a_per_customer_segmenter(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    table = on_cluster(sample())
    with pytest.raises(rt.errors.InvalidParameterError, match="per_customer=True") as info:
        rt.segment_history(table, segmenter=_working_segments)
    message = str(info.value)
    assert "'per_customer'" in message
    assert "partition by partition" in message  # why
    assert "into pandas" in message  # the other fix
    with pytest.raises(rt.errors.InvalidParameterError, match=r"'per_customer' parameter .* True"):
        rt.segment_history(table, segmenter=_working_segments, per_customer="yes")


@pytest.mark.usefixtures("eight_spark_partitions")
def test_segment_history_with_the_working_segments_on_many_partitions(
    on_cluster: Callable[[pd.DataFrame], Any], sent_back: list[Any]
) -> None:
    tx = rt.simulate_transactions(n_customers=400, seed=7)
    refunds = tx.sample(n=30, random_state=2).assign(amount=lambda d: -d["amount"])
    tx = pd.concat([tx, refunds], ignore_index=True)
    table = _many_partitions(on_cluster(tx))
    tx = _twin(tx, table)
    for options in (
        {"freq": "Q"},
        {"freq": "M", "returns": "drop"},
        {"freq": "W", "observation_end": "2023-06-30"},
    ):
        sent_back.clear()
        got = rt.segment_history(table, segmenter=_working_segments, per_customer=True, **options)
        expected = rt.segment_history(tx, segmenter=_working_segments, **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert expected["customers"].sum() > 0
        tallies = [t for r in sent_back for t in r.tallies.values()]
        assert len(tallies) > 2  # segmented on several partitions, by the workers
        assert all(r.pid != os.getpid() and r.rows is None for r in sent_back)
    # Text dates: the first purchase and the observation end found by the workers.
    text = tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d"))
    table = _many_partitions(on_cluster(text))
    text = _twin(text, table)
    options = {"freq": "Q", "segmenter": _working_segments}
    pd.testing.assert_frame_equal(
        rt.segment_history(table, per_customer=True, **options),
        rt.segment_history(text, **options),
        check_exact=True,
    )


@pytest.mark.usefixtures("eight_spark_partitions")
def test_segment_history_with_a_segmenter_reading_another_column(
    on_cluster: Callable[[pd.DataFrame], Any], sent_back: list[Any]
) -> None:
    # Seven customers on eight partitions: some partitions have no rows up to the first month's end,
    # and are not segmented then (the segmenter refuses an empty table).
    def channel_so_far(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        assert len(t)
        assert t["date"].max() <= as_of
        web = (t["channel"] == "web").groupby(t["customer_id"]).any()
        return web.map({True: "web", False: "elsewhere"}).astype(object)

    tx = sample()
    table = _many_partitions(on_cluster(tx))
    tx = _twin(tx, table)
    for options in ({}, {"order_id": "order_id", "returns": "drop"}, {"freq": "W"}):
        got = rt.segment_history(table, segmenter=channel_so_far, per_customer=True, **options)
        expected = rt.segment_history(tx, segmenter=channel_so_far, **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert set(expected["after"].cat.categories) == {"elsewhere", "web", "(gone)"}
    firsts = [t.segments[0] for r in sent_back for t in r.tallies.values()]
    assert None in firsts
    assert any(first is not None for first in firsts)


def test_dask_sends_the_options_once(dask_client: Any) -> None:
    import dask.dataframe as dd

    tx = sample()
    table = dd.from_pandas(tx, npartitions=3, sort=False)
    big = np.arange(200_000)  # 1.6 MB of options, say a long list of ids
    work = distributed._Pass(
        ["customer_id", "date"], "customer_id", distributed._Job("kpis", {"ids": big}, "end"), True
    )
    jobs = distributed._dask_jobs(table, work, dask_client)
    graph = jobs[0].__dask_graph__()
    # The partitions' tasks refer to the job by its key; it is on the cluster once, not in each task.
    assert len(pickle.dumps(dict(graph))) < big.nbytes / 4
    results = distributed._dask_gather(dask_client.compute(jobs))
    assert all(r.error is None and r.pid != os.getpid() for r in results)
    assert sum(r.n_rows for r in results) == len(tx)


def test_global_steps_by_a_column_with_missing_labels(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    tx = rt.simulate_transactions(n_customers=200, seed=6)
    code = pd.factorize(tx["customer_id"])[0]
    tx["channel"] = np.where(code % 3 == 0, "shop", np.where(code % 3 == 1, "web", None))
    tx["team"] = np.where(code % 4 == 0, np.nan, code % 2)
    table = on_cluster(tx)
    tx = _twin(tx, table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        for function in (rt.rfm_scores, rt.abc_xyz):
            for by in ("channel", ["channel", "team"], ["team", "channel"]):
                expected = function(tx, by=by)
                assert expected.index.get_level_values(0).isna().any()  # a group without a label
                pd.testing.assert_frame_equal(function(table, by=by), expected, check_exact=True)


def test_each_group_of_the_placed_rows_is_finished_on_its_own() -> None:
    rows = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0]},
        index=pd.MultiIndex.from_arrays([["a", "a", "c"], [1, 5, 2]], names=[None, "customer_id"]),
    )
    seen: list[pd.DataFrame] = []

    def finish(group: pd.DataFrame, options: Any) -> pd.DataFrame:
        seen.append(group)
        return group.assign(n=len(group))

    plan = distributed.Plan(rows_finish=finish)
    labels = pd.Index(["a", "b", "c"], name="channel")
    got = distributed._finish_groups(plan, rows, labels, {}, "rfm_scores", nothing=None)
    # Each group's rows by customer id alone; a group listed without rows here finishes empty.
    assert [list(g.index) for g in seen] == [[1, 5], [], [2]]
    assert all(g.index.name == "customer_id" for g in seen)
    assert list(got["n"]) == [2, 2, 1]
    assert list(got.index.get_level_values("channel")) == ["a", "a", "c"]


def test_groups_of_two_labels_are_finished_on_their_own() -> None:
    index = pd.MultiIndex.from_arrays(
        [["a", "a", "a", None, None], [1.0, 1.0, 2.0, np.nan, 2.0], [7, 9, 3, 4, 5]],
        names=["channel", "team", "customer_id"],
    )
    rows = pd.DataFrame({"x": np.arange(5.0)}, index=index).iloc[[3, 4, 0, 1, 2]]
    seen: list[list[int]] = []

    def finish(group: pd.DataFrame, options: Any) -> pd.DataFrame:
        seen.append(list(group.index))
        return group

    plan = distributed.Plan(rows_finish=finish)
    labels = pd.MultiIndex.from_tuples(
        [("a", 1.0), ("a", 2.0), ("a", 3.0), (None, 2.0), (None, np.nan)], names=["channel", "team"]
    )
    placed = _placed_in([0], [rows])  # as the driver places them: group by group
    got = distributed._finish_groups(plan, placed, labels, {}, "rfm_scores", nothing=None)
    # Missing labels match missing labels; ("a", 3.0) has no rows here.
    assert seen == [[7, 9], [3], [], [5], [4]]
    assert list(got["x"]) == [0.0, 1.0, 2.0, 4.0, 3.0]


def test_rows_split_into_pieces_of_a_few_bytes() -> None:
    rng = np.random.default_rng(3)
    ids = rng.permutation(1000)
    index = pd.MultiIndex.from_arrays([ids % 3, ids], names=["team", "customer_id"])
    rows = pd.DataFrame({"x": rng.random(1000), "n": ids * 2}, index=index)
    whole = distributed._Columns.of(rows)
    pieces = whole.pieces(1024)
    assert len(pieces) > 10
    assert sum(p.n_rows for p in pieces) == 1000
    # Each piece holds its own rows only: pickled, a small part of the whole.
    assert max(len(pickle.dumps(p)) for p in pieces) < len(pickle.dumps(whole)) / 10
    got = _placed_in(list(range(len(pieces)))[::-1], [_frame_of(p) for p in pieces])
    pd.testing.assert_frame_equal(got, rows.sort_index())
    assert whole.pieces(10**9) == [whole]


def _frame_of(part: distributed._Columns) -> pd.DataFrame:
    assert part.columns is not None
    return pd.DataFrame(dict(zip(part.columns, part.arrays, strict=True)), index=part.index)


def test_fetch_groups_cut_large_partitions_into_runs_of_pieces() -> None:
    pieces = [(4, (0, 0), 3), (1, (2, 0), 6), (1, (2, 1), 6), (1, (5, 0), 20), (1, (5, 1), 1)]
    pieces += [(1, (5, 2), 1), (7, (9, 0), 10)]
    groups = distributed._fetch_groups(pieces, 10)
    assert groups == [
        (1, frozenset({(2, 0)})),
        (1, frozenset({(2, 1)})),
        (1, frozenset({(5, 0)})),  # larger than the limit: alone
        (1, frozenset({(5, 1), (5, 2)})),
        (4, None),  # the whole partition
        (7, None),  # exactly the limit
    ]
    # Every piece in exactly one group; no group of several pieces over the limit.
    fetched = [
        key
        for index, keys in groups
        for p, key, _ in pieces
        if p == index and (keys is None or key in keys)
    ]
    assert sorted(fetched) == sorted(key for _, key, _ in pieces)
    size = {key: s for _, key, s in pieces}
    assert all(
        keys is None or len(keys) == 1 or sum(size[k] for k in keys) <= 10 for _, keys in groups
    )
    assert distributed._fetch_groups([], 10) == []
    select = distributed._pieces_of(frozenset({(2, 1)}))
    assert list(select([(2, 0, b"h", b"a", 1), (2, 1, b"h", b"b", 1)])) == [(2, 1, b"b")]
    assert list(distributed._pieces_of(None)([(2, 0, b"h", b"a", 1)])) == [(2, 0, b"a")]


def test_heads_come_back_with_their_partition_only_within_the_limit() -> None:
    # Stored rows: (bucket, piece, head, rows, size). Within the limit, a partition's heads come back
    # with it; past it, none of them (the driver fetches them in groups), with their sizes.
    stored = [(3, 0, b"aaaa", b"r", 9), (3, 1, b"bb", b"s", 8), (6, 0, b"ccc", b"t", 7)]
    within = list(distributed._heads_within(9)(2, iter(stored)))
    assert within == [(2, 3, 0, b"aaaa", 9, 4), (2, 3, 1, b"bb", 8, 2), (2, 6, 0, b"ccc", 7, 3)]
    past = list(distributed._heads_within(8)(2, iter(stored)))
    assert past == [(2, 3, 0, None, 9, 4), (2, 3, 1, None, 8, 2), (2, 6, 0, None, 7, 3)]
    first = list(distributed._heads_within(3)(5, iter(stored[:2])))  # the first head alone is over
    assert first == [(5, 3, 0, None, 9, 4), (5, 3, 1, None, 8, 2)]
    assert list(distributed._heads_within(3)(0, iter([]))) == []
    heads = distributed._pieces_of(frozenset({(3, 1)}), heads=True)
    assert list(heads(iter(stored))) == [(3, 1, b"bb")]


def test_spark_sends_rows_back_in_small_pieces(
    spark_table: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pieces of 512 bytes (a few rows each): the rows of each bucket come back as many small values,
    # fetched a few pieces per job (a bucket's partition in several jobs); the heads of a partition, more
    # than 2 KiB of them, also come back in several jobs.
    monkeypatch.setattr(distributed, "_PIECE_BYTES", 512)
    monkeypatch.setattr(distributed, "_FETCH_BYTES", 2048)
    heads: list[int] = []
    groups: list[int] = []
    late: list[int] = []
    original = distributed._placed
    original_groups = distributed._fetch_groups

    def spy(found: list[Any], parts: Any) -> Any:
        heads.append(len(found))
        return original(found, parts)

    def spy_groups(pieces: Any, limit: int) -> Any:
        # Called for the heads fetched late, then for the rows.
        cut = original_groups(pieces, limit)
        (groups if len(late) > len(groups) else late).append(
            len(cut) - len({index for index, _ in cut})
        )
        return cut

    monkeypatch.setattr(distributed, "_placed", spy)
    monkeypatch.setattr(distributed, "_fetch_groups", spy_groups)
    tx = rt.simulate_transactions(n_customers=300, seed=5)
    tx["channel"] = np.where(pd.factorize(tx["customer_id"])[0] % 3 == 0, "shop", "web")
    table = spark_table(tx)
    tx = _twin(tx, table)
    pd.testing.assert_frame_equal(rt.rfm_summary(table), rt.rfm_summary(tx), check_exact=True)
    pd.testing.assert_frame_equal(
        rt.rfm_scores(table, by="channel"), rt.rfm_scores(tx, by="channel"), check_exact=True
    )
    compare = next(e for e in REGISTRY if e.name == "compare_retention")
    assert_identical(_call(compare, table), _call(compare, tx))
    assert len(heads) == 3
    assert min(heads) > 3 * 5  # three buckets, each in several pieces
    assert len(groups) == len(late) == 3
    assert min(groups) > 3  # each partition fetched in several jobs
    assert min(late) > 0  # each partition's heads too
    assert table.sparkSession.sparkContext._jsc.getPersistentRDDs().isEmpty()
