"""Dask and PySpark tables: the work runs on the workers, only tallies come back, results equal pandas.

The clusters are real: a ``distributed.LocalCluster`` of two worker processes and a ``local[2]`` Spark
session, both bound to 127.0.0.1 and started once per test session (fixtures in tests/conftest.py). Every
function of the registry (tests/registry.py) runs on each, with the shared options, and either returns
exactly what it returns for the pandas table (same labels, same values to the last bit) or, for the
functions that do not run on a cluster yet, raises a clear error.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import ColumnTypeError, InvalidValueError, RetentionWarning
from retention.frames import distributed
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
    "abc_xyz",
    "abc_xyz_orders_weekly_computed",
    "rfm_scores",
    "rfm_scores_cut_points",
    "historical_value",
    "historical_value_margin",
    "customer_features",
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
    got, expected = rt.report(table).footer, rt.report(_twin(tx, table)).footer
    assert got == expected
    assert dict(got)["data range"] == "2024-01-03 to 2024-07-15"


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


def test_a_calibration_end_for_rfm_summary_is_refused_clearly(
    on_cluster: Callable[[pd.DataFrame], Any],
) -> None:
    with pytest.raises(ColumnTypeError, match=r"calibration_end.*toPandas"):
        rt.rfm_summary(on_cluster(sample()), calibration_end="2024-04-30")


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


def test_only_tallies_reach_the_driver(
    on_cluster: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    original = distributed._raise_and_warn

    def spy(results: Any) -> None:
        seen.extend(results)
        original(results)

    monkeypatch.setattr(distributed, "_raise_and_warn", spy)
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
    on_cluster: Callable[[pd.DataFrame], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    pids: list[int] = []
    original = distributed._raise_and_warn

    def spy(results: Any) -> None:  # what comes back, before the driver puts it together
        for r in results:
            pids.append(r.pid)
            if r.rows is not None:
                sizes.append(len(r.rows))
            sizes.extend(len(frame) for tally in r.tallies.values() for frame in tally)
        original(results)

    monkeypatch.setattr(distributed, "_raise_and_warn", spy)
    tx = rt.simulate_transactions(n_customers=500, seed=4)
    table = on_cluster(tx)
    for function in (rt.rfm_summary, rt.historical_value, rt.rfm_scores):
        sizes.clear()
        function(table)
        assert sum(sizes) == tx["customer_id"].nunique() < len(tx)
    assert pids
    assert os.getpid() not in pids


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
    parts = [f.copy() for f in frames]
    got = distributed._in_customer_order(parts)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == {"unit": "D"}
    assert parts == []  # released
    by_group = [f.set_index("b", append=True).swaplevel()["a"] for f in frames]
    expected_series = pd.concat(by_group).sort_index(kind="stable")
    pd.testing.assert_series_equal(distributed._in_customer_order(by_group), expected_series)


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
