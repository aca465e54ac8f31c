"""Benchmark: cohort_table, period_retention, kpis and rfm_summary on Dask and Spark clusters (issue 10).

Run from the project root:

    python benchmarks/bench_distributed.py                           # 50M rows, both engines, 1 and 2 workers
    python benchmarks/bench_distributed.py --rows 10000000 --repeat 3
    python benchmarks/bench_distributed.py --rows 1000000 --engines dask --workers 2 --only kpis

What is measured: the library's functions on a Dask DataFrame and on a PySpark DataFrame read from parquet,
where the work runs on the cluster's workers and only the tallies (or one row per customer) come back to
this process (the *driver*; see ``src/retention/frames/distributed.py``), against the same computation
written as plain Dask or Spark DataFrame code (a group-by) whose result is collected to the driver as
pandas.

Data. The purchase log of ``bench_engines.make_log`` (one seeded numpy generator): ``--rows`` purchases
(default 50M) of ``--customers`` customers (default rows / 3, every one of whom occurs) over 2022-01-01 to
2024-12-31 with a time of day to the second, amounts in whole cents, integer ids (1 to customers, in no
particular order), no returns. The rows are shuffled (one seeded permutation) and written once, before
any timing, to ``--files`` parquet files (default 16) in a temporary folder: ``customer_id`` int64,
``date`` timestamp[us] (no time zone), ``amount`` float64. Both engines read the folder lazily on every
call (``dd.read_parquet(folder)``: one partition per file; ``spark.read.parquet(folder)``), so every time
includes reading the parquet files, for ours and for the peer alike.

Engines and sizes, one after the other, each started fresh and bound to 127.0.0.1 only:

Dask
    ``distributed.LocalCluster(n_workers=W, threads_per_worker=1, processes=True, host="127.0.0.1")``
    without dashboards, for W in ``--workers`` (default 1 and 2); the default shuffle (p2p).
Spark
    ``SparkSession`` with master ``local[W]``, ``spark.driver.host`` and ``spark.driver.bindAddress``
    127.0.0.1 (and ``SPARK_LOCAL_IP``), the UI off, session time zone UTC, Arrow transfers to pandas on,
    ``spark.driver.memory`` 4g (local mode runs the executors in the driver's JVM) and
    ``spark.sql.shuffle.partitions`` = ``--files`` (the library partitions by that many customer buckets).

Each worker has one core (``threads_per_worker=1``, ``local[W]``), so the script sets
``RETENTION_NUM_THREADS=1`` (unless it is set already) before starting the clusters, which inherit it: our
passes on the workers run on one thread, as the peers' tasks do (docs/engines.md, "Threads").

Contenders, each called on the same lazy frame:

ours
    ``rt.cohort_table(tx)`` (monthly, active customers), ``rt.period_retention(tx)`` (monthly),
    ``rt.kpis(tx)`` (monthly) and ``rt.rfm_summary(tx, freq="D", time_unit="D")``: the public calls,
    option checks and the pre-pass for the observation end included.
peer
    The same result written in the engine's own DataFrame API, ending in ``.compute()`` (Dask) or
    ``.toPandas()`` (Spark), with a first small aggregate for the last purchase date as ours has:
    cohort_table, the distinct (customer, month) pairs, each customer's first month joined back, customers
    counted per (cohort, months since) up to the last complete month (long form, not pivoted);
    period_retention, the pairs counted per month, first months counted per month, pairs joined to the
    pairs of the month before (retained) counted per month, then the nine columns finished in pandas;
    kpis, the thirteen figures of ``rt.kpis`` from per-customer first/last dates, the pairs and row totals;
    rfm_summary, spend per (customer, day), then per customer the first and last day, the number of days
    and the spend after the first day, then frequency, recency, T and monetary value, sorted by customer
    on the driver. The peers compute what the polars and DuckDB peers of ``bench_engines.py`` compute, and
    are compared with ours by its ``disagreement``.

Agreement. On each engine and size, before timing: every case on a 100,000-row log of the same kind (in
4 files) is run by ours and by the peer and compared (counts and days exactly, money and rates to 1e-9
relative), and ours on the cluster is compared with ours on the same table in pandas (exactly). At full
size the first, untimed call of each contender (its warm-up) is compared the same way. A disagreement
prints a line starting "DISAGREES" (and the run goes on); a call that raises prints "FAILED" with whose
call it was and the error.

Columns. ``ours s`` and ``peer s``: the median of ``--repeat`` calls (``_harness.median_time``:
``time.perf_counter`` after ``gc.collect()``), wall time seen by the driver. ``ours MiB`` and ``peer MiB``:
the ``tracemalloc`` peak in the driver process during the warm-up call (``_harness.peak_memory``; numpy,
pandas and pickle report their buffers to it; the JVM's heap, Arrow's memory pool and the workers are not
in it). Next to them, what the driver must hold at least: ``tallies MiB``, the partitions' tallies (for
the counting functions: the pickled size of one partition's tally on the check sample, which spans the
same 36 months, times the number of partitions), and ``1 row/customer MiB``, the customers times the
bytes of one row of ``rt.rfm_summary``'s result (index included): what per-customer functions bring back.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import logging
import os
import pickle
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from bench_engines import START, Log, _last_complete_month, disagreement, make_log

import retention as rt
from retention.core.parallel import THREADS_VARIABLE
from retention.frames.distributed import PLANS
from retention.frames.schema import read_transactions

SEED = 2024
CHECK_ROWS = 100_000
CHECK_FILES = 4
AGES = (1, 3, 12)  # the months after acquisition of kpis' cohort retention figures
HOST = "127.0.0.1"


# --- data -------------------------------------------------------------------------------------------------


def write_log(log: Log, folder: Path, files: int, seed: int = SEED) -> int:
    """Write the log's rows, shuffled, to ``files`` parquet files in ``folder``; return the row count."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = len(log.seconds)
    order = np.random.default_rng(seed + 1).permutation(rows)
    bounds = np.linspace(0, rows, files + 1).astype(np.int64)
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        take = order[lo:hi]
        table = pa.table(
            {
                "customer_id": pa.array(log.ids[log.customer[take]]),
                "date": pa.array((START + log.seconds[take]).astype("datetime64[us]")),
                "amount": pa.array(log.cents[take] / 100),
            }
        )
        pq.write_table(table, folder / f"part-{i:03d}.parquet")
    return rows


# --- peers: shared finishing on the driver (small inputs) ---------------------------------------------------


def period_frame(active: pd.Series, new: pd.Series, retained: pd.Series, last: int) -> pd.DataFrame:
    """The nine columns of period_retention from customers active, new and retained per month code."""
    months = pd.RangeIndex(int(active.index.min()), last + 1, name="month")
    end, first, kept = (
        s.reindex(months, fill_value=0).astype(np.int64) for s in (active, new, retained)
    )
    start = end.shift(1, fill_value=0)
    denominator = start.where(start > 0).astype(np.float64)
    return pd.DataFrame(
        {
            "month": months.to_numpy(),
            "customers_start": start.to_numpy(),
            "new": first.to_numpy(),
            "reactivated": (end - first - kept).to_numpy(),
            "retained": kept.to_numpy(),
            "churned": (start - kept).to_numpy(),
            "customers_end": end.to_numpy(),
            "retention_rate": (kept / denominator).to_numpy(),
            "crr": ((end - first) / denominator).to_numpy(),
            "churn_rate": ((start - kept) / denominator).to_numpy(),
        }
    )


def kpi_frame(f: Mapping[str, Any]) -> pd.DataFrame:
    """The thirteen figures of rt.kpis as one row, from the counts and totals in ``f``."""
    n, start = float(f["customers"]), float(f["start"])

    def rate(numerator: float, denominator: float) -> float:
        return numerator / denominator if denominator > 0 else np.nan

    row = {
        "customers": n,
        "active_customers": float(f["active"]),
        "new_customers": float(f["new"]),
        "retention_rate": rate(float(f["retained"]), start),
        "crr": rate(float(f["active"]) - float(f["new"]), start),
        "churn_rate": rate(start - float(f["retained"]), start),
        "repeat_purchase_rate": float(f["repeaters"]) / n,
        "purchase_frequency": float(f["orders"]) / n,
        "average_order_value": float(f["revenue"]) / float(f["orders"]),
        "revenue_per_customer": float(f["revenue"]) / n,
        **{
            f"cohort_retention_{k}": rate(float(f[f"active_{k}"]), float(f[f"size_{k}"]))
            for k in AGES
        },
    }
    return pd.DataFrame([row])


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


# --- the Dask peer ----------------------------------------------------------------------------------------


def _dask_month(date: Any) -> Any:
    return date.dt.year.astype("int64") * 12 + date.dt.month.astype("int64") - 1


def _dask_pairs(tx: Any) -> Any:
    """The distinct (customer, month code) pairs."""
    return tx[["customer_id"]].assign(month=_dask_month(tx["date"])).drop_duplicates()


def _dask_last(tx: Any) -> int:
    return _last_complete_month(tx["date"].max().compute())


def dask_cohort_table(tx: Any) -> pd.DataFrame:
    last = _dask_last(tx)
    pairs = _dask_pairs(tx)
    cohort = pairs.groupby("customer_id")["month"].min().rename("cohort").to_frame()
    cells = pairs.merge(cohort, left_on="customer_id", right_index=True)
    cells = cells[cells["month"] <= last]
    counts = (
        cells.assign(periods_since=cells["month"] - cells["cohort"])
        .groupby(["cohort", "periods_since"])
        .size()
        .compute()
    )
    return _sorted(counts.rename("customers").reset_index(), ["cohort", "periods_since"])


def dask_period_retention(tx: Any) -> pd.DataFrame:
    import dask

    last = _dask_last(tx)
    pairs = _dask_pairs(tx)
    active = pairs.groupby("month").size()
    new = pairs.groupby("customer_id")["month"].min().to_frame().groupby("month").size()
    before = pairs.assign(month=pairs["month"] + 1)
    retained = pairs.merge(before, on=["customer_id", "month"]).groupby("month").size()
    active, new, retained = dask.compute(active, new, retained)
    return period_frame(active, new, retained, last)


def dask_kpis(tx: Any) -> pd.DataFrame:
    import dask

    last = _dask_last(tx)
    dates = tx.groupby("customer_id")["date"].agg(["min", "max"])
    customers = dates.assign(
        cohort=_dask_month(dates["min"]),
        repeat=dates["min"].dt.floor("D") != dates["max"].dt.floor("D"),
    )[["cohort", "repeat"]]
    pairs = _dask_pairs(tx)
    recent = pairs[(pairs["month"] >= last - 1) & (pairs["month"] <= last)]
    recent = (
        recent.assign(now=recent["month"] == last, before=recent["month"] == last - 1)
        .groupby("customer_id")[["now", "before"]]
        .max()
        .join(customers[["cohort"]])
    )
    now, before = recent["now"], recent["before"]
    cells = pairs[pairs["month"] <= last].merge(
        customers[["cohort"]], left_on="customer_id", right_index=True
    )
    (figures,) = dask.compute(
        {
            "active": now.sum(),
            "new": (now & (recent["cohort"] == last)).sum(),
            "start": before.sum(),
            "retained": (now & before).sum(),
            **{f"active_{k}": (cells["month"] == cells["cohort"] + k).sum() for k in AGES},
            "customers": customers["repeat"].count(),
            "repeaters": customers["repeat"].sum(),
            **{f"size_{k}": (customers["cohort"] <= last - k).sum() for k in AGES},
            "orders": tx["amount"].count(),
            "revenue": tx["amount"].sum(),
        }
    )
    return kpi_frame(figures)


def dask_rfm_summary(tx: Any) -> pd.DataFrame:
    end = tx["date"].max().compute().floor("D")
    daily = (
        tx.assign(day=tx["date"].dt.floor("D"))
        .groupby(["customer_id", "day"])["amount"]
        .sum()
        .reset_index()
    )
    per = daily.groupby("customer_id").agg({"day": ["min", "max", "count"], "amount": "sum"})
    per.columns = ["first", "last", "days", "spend"]
    firsts = daily.merge(per[["first"]], left_on="customer_id", right_index=True)
    firsts = firsts[firsts["day"] == firsts["first"]][["customer_id", "amount"]]
    per = per.reset_index().merge(firsts, on="customer_id")
    frequency = per["days"] - 1
    summary = per.assign(
        frequency=frequency.astype("int64"),
        recency=(per["last"] - per["first"]).dt.days.astype("float64"),
        T=(end - per["first"]).dt.days.astype("float64"),
        monetary_value=((per["spend"] - per["amount"]) / frequency).where(frequency > 0, 0.0),
    )[["customer_id", "frequency", "recency", "T", "monetary_value"]]
    return _sorted(summary.compute(), ["customer_id"])


# --- the Spark peer ---------------------------------------------------------------------------------------


def _spark_month(column: Any) -> Any:
    from pyspark.sql import functions as F

    return F.year(column) * 12 + F.month(column) - 1


def _spark_pairs(tx: Any) -> Any:
    from pyspark.sql import functions as F

    return tx.select("customer_id", _spark_month(F.col("date")).alias("month")).distinct()


def _spark_last(tx: Any) -> int:
    from pyspark.sql import functions as F

    return _last_complete_month(tx.agg(F.max("date")).first()[0])


def spark_cohort_table(tx: Any) -> pd.DataFrame:
    from pyspark.sql import functions as F

    last = _spark_last(tx)
    pairs = _spark_pairs(tx)
    cohort = pairs.groupBy("customer_id").agg(F.min("month").alias("cohort"))
    counts = (
        pairs.join(cohort, "customer_id")
        .where(F.col("month") <= last)
        .groupBy("cohort", (F.col("month") - F.col("cohort")).alias("periods_since"))
        .agg(F.count("*").alias("customers"))
        .toPandas()
    )
    return _sorted(counts, ["cohort", "periods_since"])


def spark_period_retention(tx: Any) -> pd.DataFrame:
    from pyspark.sql import functions as F

    last = _spark_last(tx)
    pairs = _spark_pairs(tx)
    active = pairs.groupBy("month").agg(F.count("*").alias("active"))
    new = (
        pairs.groupBy("customer_id")
        .agg(F.min("month").alias("month"))
        .groupBy("month")
        .agg(F.count("*").alias("new"))
    )
    before = pairs.select("customer_id", (F.col("month") + 1).alias("month"))
    retained = (
        pairs.join(before, ["customer_id", "month"])
        .groupBy("month")
        .agg(F.count("*").alias("retained"))
    )
    counts = (
        active.join(new, "month", "left").join(retained, "month", "left").toPandas()
    ).set_index("month")
    counts = counts.fillna(0).astype(np.int64)
    return period_frame(counts["active"], counts["new"], counts["retained"], last)


def spark_kpis(tx: Any) -> pd.DataFrame:
    from pyspark.sql import functions as F

    last = _spark_last(tx)
    month, cohort = F.col("month"), F.col("cohort")

    def count_of(condition: Any) -> Any:
        return F.sum(condition.cast("long"))

    customers = (
        tx.groupBy("customer_id")
        .agg(F.min("date").alias("first"), F.max("date").alias("latest"))
        .select(
            "customer_id",
            _spark_month(F.col("first")).alias("cohort"),
            (F.to_date("first") != F.to_date("latest")).alias("repeat"),
        )
    )
    pairs = _spark_pairs(tx)
    recent = (
        pairs.where(month.between(last - 1, last))
        .groupBy("customer_id")
        .agg(F.max(month == last).alias("now"), F.max(month == last - 1).alias("before"))
        .join(customers, "customer_id")
    )
    now, before = F.col("now"), F.col("before")
    period = recent.agg(
        count_of(now).alias("active"),
        count_of(now & (cohort == last)).alias("new"),
        count_of(before).alias("start"),
        count_of(now & before).alias("retained"),
    )
    cells = (
        pairs.where(month <= last)
        .join(customers, "customer_id")
        .agg(*(count_of(month == cohort + k).alias(f"active_{k}") for k in AGES))
    )
    totals = customers.agg(
        F.count("*").alias("customers"),
        count_of(F.col("repeat")).alias("repeaters"),
        *(count_of(cohort <= last - k).alias(f"size_{k}") for k in AGES),
    )
    rows = tx.agg(F.count("*").alias("orders"), F.sum("amount").alias("revenue"))
    figures = period.crossJoin(cells).crossJoin(totals).crossJoin(rows).toPandas()
    return kpi_frame(figures.iloc[0].to_dict())


def spark_rfm_summary(tx: Any) -> pd.DataFrame:
    from pyspark.sql import functions as F

    end = tx.agg(F.max(F.to_date("date"))).first()[0]
    daily = tx.groupBy("customer_id", F.to_date("date").alias("day")).agg(
        F.sum("amount").alias("spend")
    )
    per = daily.groupBy("customer_id").agg(
        F.min("day").alias("first"),
        F.max("day").alias("last"),
        F.count("*").alias("days"),
        (F.sum("spend") - F.min_by("spend", "day")).alias("repeat_spend"),
    )
    frequency = F.col("days") - 1
    summary = per.select(
        "customer_id",
        frequency.cast("long").alias("frequency"),
        F.datediff("last", "first").cast("double").alias("recency"),
        F.datediff(F.lit(end), F.col("first")).cast("double").alias("T"),
        F.when(frequency > 0, F.col("repeat_spend") / frequency)
        .otherwise(0.0)
        .alias("monetary_value"),
    )
    return _sorted(summary.toPandas(), ["customer_id"])


# --- cases ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One function: our call, the peers by engine, the options of its tally."""

    name: str
    ours: Callable[[Any], Any]
    peers: Mapping[str, Callable[[Any], pd.DataFrame]]


CASES = [
    Case(
        "cohort_table",
        rt.cohort_table,
        {"dask": dask_cohort_table, "spark": spark_cohort_table},
    ),
    Case(
        "period_retention",
        rt.period_retention,
        {"dask": dask_period_retention, "spark": spark_period_retention},
    ),
    Case("kpis", rt.kpis, {"dask": dask_kpis, "spark": spark_kpis}),
    Case(
        "rfm_summary",
        lambda tx: rt.rfm_summary(tx, freq="D", time_unit="D"),
        {"dask": dask_rfm_summary, "spark": spark_rfm_summary},
    ),
]


def tally_bytes(case: Case, sample: pd.DataFrame, partitions: int) -> int | None:
    """The pickled size of one partition's tally on ``sample``, times ``partitions`` (None: per customer)."""
    plan = PLANS[case.name]
    if plan.per_customer or plan.tally is None:
        return None
    t = read_transactions(sample, amount="amount", func=case.name)
    return len(pickle.dumps(plan.tally(t, {"freq": "M"}))) * partitions


def customer_row_bytes(sample: pd.DataFrame) -> float:
    """The bytes of one row of rt.rfm_summary's result (index included)."""
    summary = rt.rfm_summary(sample, freq="D", time_unit="D")
    return float(summary.memory_usage(index=True, deep=True).sum()) / len(summary)


# --- clusters ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_cluster(workers: int) -> Iterator[Callable[[Path], Any]]:
    """A Dask LocalCluster of ``workers`` processes on 127.0.0.1; yields a parquet folder reader."""
    import dask.dataframe as dd
    import distributed

    logging.getLogger("distributed").setLevel(logging.ERROR)  # a line per p2p shuffle otherwise
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host=HOST,
        dashboard_address=None,
        worker_dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield lambda folder: dd.read_parquet(str(folder))
    finally:
        client.close()
        cluster.close()


@contextlib.contextmanager
def spark_session(workers: int, partitions: int) -> Iterator[Callable[[Path], Any]]:
    """A local[workers] Spark session bound to 127.0.0.1; yields a parquet folder reader."""
    os.environ["SPARK_LOCAL_IP"] = HOST
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{workers}]")
        .appName("retention-bench")
        .config("spark.driver.host", HOST)
        .config("spark.driver.bindAddress", HOST)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield lambda folder: spark.read.parquet(str(folder))
    finally:
        spark.stop()


# --- main -------------------------------------------------------------------------------------------------


def traced(call: Callable[[], Any]) -> tuple[Any, int]:
    """The result of one call and the tracemalloc peak of the driver during it (bytes)."""
    box: list[Any] = []
    peak = _harness.peak_memory(lambda: box.append(call()))
    return box[0], peak


def compare(case: Case, ours: Any, theirs: Any, reference: Any, where: str) -> list[str]:
    """The lines saying who disagrees: the peer with ours, ours with ours on pandas (exactly)."""
    lines = []
    why = disagreement(case.name, ours, theirs)
    if why:
        lines.append(f"DISAGREES: peer on {case.name}, {where}: {why}")
    if reference is not None:
        why = disagreement(case.name, ours, reference, exact=True)
        if why:
            lines.append(
                f"DISAGREES: ours on the cluster and on pandas on {case.name}, {where}: {why}"
            )
    return lines


def check_sample(
    cases: list[Case], engine: str, open_table: Callable[[Path], Any], folder: Path, where: str
) -> list[str]:
    """Run every case on the small log: ours against the peer and against ours on pandas."""
    sample = pd.read_parquet(folder)
    tx = open_table(folder)
    lines = []
    for case in cases:
        try:
            lines += compare(case, case.ours(tx), case.peers[engine](tx), case.ours(sample), where)
        except Exception as e:  # a failure is a result to report, not the end of the run
            lines.append(f"FAILED: {case.name}, {where}: {type(e).__name__}: {e}")
    return lines


@dataclass(frozen=True)
class Sizes:
    """What the table reports besides times: the log's size and the driver's lower bounds (bytes)."""

    rows: int
    customers: int
    files: int
    tallies: Mapping[str, int | None]
    customer_rows: float


def time_case(
    case: Case, engine: str, tx: Any, where: str, repeat: int
) -> tuple[list[str], list[str]]:
    """Warm up ours and the peer under tracemalloc, compare them, time both; the cells and problems."""
    peer = case.peers[engine]
    who = "ours"  # whose call is running, for the line of a failure
    try:
        ours, ours_peak = traced(lambda: case.ours(tx))
        who = "peer"
        theirs, peer_peak = traced(lambda: peer(tx))
        who = "the comparison"
        problems = compare(case, ours, theirs, None, where)
        del ours, theirs
        who = "ours"
        t_ours = _harness.median_time(lambda: case.ours(tx), repeat)
        who = "peer"
        t_peer = _harness.median_time(lambda: peer(tx), repeat)
    except Exception as e:  # a failure is a result to report; the run goes on with the next case
        return [], [f"FAILED ({who}): {case.name}, {where}: {type(e).__name__}: {e}"]
    cells = [
        f"{t_ours:.2f}",
        f"{t_peer:.2f}",
        f"{t_peer / t_ours:.2f}x",
        f"{ours_peak / 2**20:.1f}",
        f"{peer_peak / 2**20:.1f}",
    ]
    return cells, problems


def run_engine(
    engine: str,
    workers: int,
    *,
    cases: list[Case],
    folders: tuple[Path, Path],
    sizes: Sizes,
    repeat: int,
) -> tuple[list[str], list[str]]:
    """Start one cluster, check every case on the sample, time every case; the table rows, problems."""
    sample_folder, folder = folders
    cluster = dask_cluster(workers) if engine == "dask" else spark_session(workers, sizes.files)
    label = f"{engine}, {workers} worker{'s' if workers > 1 else ''}"
    lines = []
    with cluster as open_table:
        problems = check_sample(cases, engine, open_table, sample_folder, f"{label}, sample")
        tx = open_table(folder)
        for case in cases:
            cells, found = time_case(case, engine, tx, f"{label}, {sizes.rows:,} rows", repeat)
            problems += found
            print(
                f"  {time.strftime('%H:%M:%S')} {case.name}, {label}: {cells or found}",
                file=sys.stderr,
            )
            if cells:
                tally = sizes.tallies[case.name]
                lines.append(
                    _row(
                        case.name,
                        engine,
                        str(workers),
                        *cells,
                        "rows" if tally is None else f"{tally / 2**20:.2f}",
                        f"{sizes.customer_rows / 2**20:.1f}",
                    )
                )
    return lines, problems


def make_data(tmp: Path, rows: int, customers: int, files: int, cases: list[Case]) -> Sizes:
    """Write the check sample and the log to parquet under ``tmp``; measure the driver's bounds."""
    began = time.perf_counter()
    small = make_log(CHECK_ROWS, max(1, round(CHECK_ROWS * customers / rows)), SEED + 7)
    write_log(small, tmp / "sample", CHECK_FILES)
    sample = pd.read_parquet(tmp / "sample")
    row_bytes = customer_row_bytes(sample)
    log = make_log(rows, customers)
    n_customers = len(log.ids)
    write_log(log, tmp / "log", files)
    del log
    gc.collect()
    size = sum(p.stat().st_size for p in (tmp / "log").iterdir())
    print(
        f"{rows:,} rows, {n_customers:,} customers, {files} parquet files "
        f"({size / 2**20:.0f} MiB), made in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return Sizes(
        rows=rows,
        customers=n_customers,
        files=files,
        tallies={c.name: tally_bytes(c, sample, files) for c in cases},
        customer_rows=row_bytes * n_customers,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="rows of the log")
    parser.add_argument(
        "--customers", type=int, default=None, help="customers in the log (default rows / 3)"
    )
    parser.add_argument(
        "--repeat", "--repeats", type=int, default=5, help="timed calls per contender (median)"
    )
    parser.add_argument("--only", default=None, help="only the cases whose name contains this text")
    parser.add_argument("--engines", default="dask,spark", help="comma-separated: dask, spark")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--files", type=int, default=16, help="parquet files (and partitions)")
    args = parser.parse_args(argv)
    customers = args.customers if args.customers is not None else max(1, args.rows // 3)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.repeat < 1 or args.rows < 1 or customers < 1 or args.files < 1 or min(workers) < 1:
        parser.error("--repeat, --rows, --customers, --files and --workers must be at least 1")
    if not set(engines) <= {"dask", "spark"}:
        parser.error("--engines takes dask, spark or both")
    cases = [c for c in CASES if args.only is None or args.only in c.name]
    warnings.simplefilter("ignore")  # pyspark on pandas 3 and the like: not failures
    os.environ.setdefault(THREADS_VARIABLE, "1")  # one core per worker: inherited by the clusters

    about = _harness.machine()
    lines: list[str] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_distributed_") as tmp:
        sizes = make_data(Path(tmp), args.rows, customers, args.files, cases)
        for engine in engines:
            for w in workers:
                found = run_engine(
                    engine,
                    w,
                    cases=cases,
                    folders=(Path(tmp) / "sample", Path(tmp) / "log"),
                    sizes=sizes,
                    repeat=args.repeat,
                )
                lines += found[0]
                problems += found[1]

    quick = (
        f" (--repeat {args.repeat}: a quicker run than the default 5)" if args.repeat < 5 else ""
    )
    print(
        f"{about}; {_versions(engines)}; {sizes.rows:,} rows, {sizes.customers:,} customers in "
        f"{sizes.files} parquet files; median of {args.repeat} calls{quick}\n"
    )
    print(
        "| case | engine | workers | ours (s) | peer (s) | peer / ours | ours, driver peak (MiB) "
        "| peer, driver peak (MiB) | tallies (MiB) | 1 row/customer (MiB) |"
    )
    print("|" + "---|" * 10)
    print("\n".join(lines))
    print(
        "\n"
        + (
            "\n".join(problems)
            or "Every peer agreed with ours, and ours on the clusters with ours on pandas."
        )
    )
    return 0


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _versions(engines: list[str]) -> str:
    parts = [f"pyarrow {pa.__version__}"]
    if "dask" in engines:
        import dask
        import distributed

        parts.insert(0, f"dask {dask.__version__}, distributed {distributed.__version__}")
    if "spark" in engines:
        import pyspark

        parts.insert(0, f"pyspark {pyspark.__version__}")
    return ", ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
