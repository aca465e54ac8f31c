"""Benchmark: rfm_summary, cohort_table, period_retention and kpis against polars and DuckDB (issue 10).

Run from the project root:

    python benchmarks/bench_engines.py                          # 10M rows, 3.4M customers, 5 runs
    python benchmarks/bench_engines.py --rows 1000000 --customers 340000
    python benchmarks/bench_engines.py --only rfm_summary --layouts shuffled/str --repeat 7

The data (``make_log``) is a purchase log built with numpy from one seeded generator: ``--rows`` rows
(default 10M) of ``--customers`` customers (default 3.4M, every one of whom occurs) over three years,
2022-01-01 to 2024-12-31, with a time of day to the second. Every customer's first purchase is at a
uniform time over the three years; the other rows go to customers in proportion to a Gamma(1) buying rate,
at a uniform time between the first purchase and the end. Amounts are log-normal prices in whole cents
(two decimals, at least 0.01); there are no returns. The same log is laid out four ways: rows in date
order or shuffled, times integer ids (1 to customers, in no particular order) or string ids ("C" and the
integer id: pandas 3's default ``str`` dtype, Arrow-backed). For string ids the table has one more
column: ours on the same ids as pandas ``object`` strings, as pandas 2 (and environments pinned to it by
lifelines) reads them.

Contenders, each on its own native frame built once from the same arrays, outside the timing:

ours
    The public call on the pandas DataFrame (``customer_id`` int64 or str, ``date`` datetime64[ns],
    ``amount`` float64), checks included: ``rt.rfm_summary(tx, freq="D",
    time_unit="D")``, ``rt.cohort_table(tx)`` (monthly, active customers), ``rt.period_retention(tx)``
    (monthly) and ``rt.kpis(tx)`` (monthly). Rows marked "polars input" are the same calls on the polars
    DataFrame (the library reads polars through ``retention.frames.engines``), for the shuffled layouts.
    Most of our passes run on one thread; those that use threads (``retention.core.parallel``: coding
    text ids) use ``RETENTION_NUM_THREADS`` or all cores, and the table says how many.
polars
    An idiomatic lazy query on a ``polars.DataFrame`` of the same columns, ending in ``.collect()`` (the
    result is a materialised polars DataFrame); the last complete month is read first with one
    ``select(max(date))``. polars uses its thread pool (all cores).
DuckDB
    One SQL query on the Arrow table of the polars frame, registered once with ``con.register`` (DuckDB
    scans Arrow without copying), materialised with ``.to_arrow_table()``. DuckDB uses its default
    number of threads (all cores).

The peers compute the same results as ours, by the definitions in the docstrings and in
``docs/definitions/*.md``, with the observation end at the last purchase day and the last complete month
the month of that day if it is the month's last day, else the month before:

- ``rfm_summary``: per customer, sorted by id: ``frequency`` the distinct purchase days after the first,
  ``recency`` and ``T`` the days from the first purchase day to the last one and to the observation end,
  ``monetary_value`` the spend on the days after the first divided by ``frequency`` (0 without repeats).
- ``cohort_table``: active customers per (cohort, months since acquisition) up to the last complete
  month, as rows ``(cohort, periods_since, customers)`` sorted by both: the peers stop at the long form
  (no pivot to ours' wide table with NaN cells; zero cells are absent rows).
- ``period_retention``: per month from the first with a purchase to the last complete one, sorted:
  ``customers_start``, ``new``, ``reactivated``, ``retained``, ``churned``, ``customers_end`` and the
  three rates (undefined where ``customers_start`` is 0).
- ``kpis``: all thirteen figures of ``rt.kpis`` as one row: customers; active and new customers,
  retention rate, CRR and churn rate of the last complete month; repeat purchase rate (customers whose
  first and last purchase days differ); purchase frequency, average order value and revenue per customer
  (every row is an order); classic cohort retention 1, 3 and 12 months after acquisition.

Before timing, every contender runs on a 100,000-row log of the same kind (in every layout) and its result
is compared with ours (counts and days exactly, money and rates to 1e-9 relative; ours on object strings
and on polars input exactly); at full size the first, untimed call of each contender (its warm-up) is
compared the same way. A disagreement prints a line starting "DISAGREES" (and the run goes on). A time
is the median of ``--repeat`` timed calls (``time.perf_counter`` after ``gc.collect()``), the contenders
taking turns (``_harness.alternating_medians``: round r times each contender once, the order rotated by
one each round), so that a change in the machine's load over the minutes of a case falls on every
contender alike: on this shared virtual machine the same call moves by a third between runs. Each timed
call comes right after an untimed call of the same contender: on this virtual machine, memory a process
frees goes back to the host within seconds (the balloon driver's free page reporting), and the next
process to touch fresh memory waits for the host (about 2 ms per MB, measured). The peers' allocators
keep what they free; numpy hands large arrays back at once. Without the warm-up, ours paid for the
peers' previous calls (a call right after DuckDB's took up to three times as long).

The last two rows are start-up times (measured before the cases, while this process is small):
``python -c "import retention"`` against ``python -c "import pandas"``, and ``retention --help``, each the
median of 5 fresh processes (wall time, the interpreter's own start-up included on both sides).

Targets (issue 10): with string ids, ours at most the time of the faster peer (<= 1.0x); with integer ids,
at least 3x faster than both (<= 0.33x); the same with polars input (against the faster peer too, not
only polars); ``import retention`` within 1.5x of ``import pandas``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _harness
import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

import retention as rt
from retention.core.parallel import thread_count

SEED = 2024
START = np.datetime64("2022-01-01T00:00:00", "s")
DAYS = 1096  # 2022-01-01 to 2024-12-31
CHECK_ROWS = 100_000
RTOL = 1e-9  # money and rates: the peers add floats in their own order, ours adds exactly
TARGET = {"str": 1.0, "int": 0.33}  # ours / the faster peer, at most (issue 10)
IMPORT_TARGET = 1.5  # import retention / import pandas, at most
LAYOUTS = ("sorted/int", "shuffled/int", "sorted/str", "shuffled/str")


# --- data ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Log:
    """A purchase log as arrays, in generation order: customer codes, seconds from START, cents."""

    customer: np.ndarray
    seconds: np.ndarray
    cents: np.ndarray
    ids: np.ndarray  # the integer id of each customer code
    labels: pa.Array  # the string id of each customer code ("C" and the integer id)


def make_log(rows: int, customers: int, seed: int = SEED) -> Log:
    """``rows`` purchases of ``customers`` customers (each at least once) over 2022-2024."""
    rng = np.random.default_rng(seed)
    customers = max(1, min(customers, rows))
    rate = rng.gamma(1.0, size=customers)
    repeat = rng.choice(customers, size=rows - customers, p=rate / rate.sum())
    span = DAYS * 86_400
    acquired = rng.integers(0, span, size=customers)
    after = acquired[repeat]
    later = after + (rng.random(len(repeat)) * (span - after)).astype(np.int64)
    cents = np.maximum(1, np.round(np.exp(rng.normal(7.0, 0.9, size=rows)))).astype(np.int64)
    ids = rng.permutation(customers).astype(np.int64) + 1  # dense ids, in no particular order
    labels = pc.binary_join_element_wise("C", pc.cast(pa.array(ids), pa.string()), "")
    return Log(
        customer=np.concatenate([np.arange(customers), repeat]),
        seconds=np.concatenate([acquired, later]),
        cents=cents,
        ids=ids,
        labels=labels,
    )


@dataclass
class Frames:
    """One layout of a log in every contender's native form."""

    layout: str
    pandas: pd.DataFrame
    objects: pd.DataFrame | None  # the same with object string ids (string layouts only)
    polars: pl.DataFrame
    duckdb: duckdb.DuckDBPyConnection  # with the polars frame's Arrow table registered as "tx"


def make_frames(log: Log, layout: str, seed: int = SEED) -> Frames:
    """The log in ``layout`` ("sorted" or "shuffled" rows, "int" or "str" ids) for every contender."""
    order_name, id_kind = layout.split("/")
    if order_name == "sorted":
        order = np.argsort(log.seconds, kind="stable")
    else:
        order = np.random.default_rng(seed + 1).permutation(len(log.seconds))
    code = log.customer[order]
    date = (START + log.seconds[order]).astype("datetime64[ns]")
    amount = log.cents[order] / 100
    if id_kind == "int":
        ids: Any = log.ids[code]
        customer_pd: Any = ids
        customer_pl: Any = pl.Series("customer_id", ids)
    else:
        ids = log.labels.take(pa.array(code))
        customer_pd = pd.Series(ids, dtype="str")
        customer_pl = pl.Series("customer_id", ids)
    frame = pd.DataFrame({"customer_id": customer_pd, "date": date, "amount": amount})
    objects = None
    if id_kind == "str":
        objects = frame.assign(
            customer_id=pd.Series(frame["customer_id"].to_numpy(dtype=object), dtype=object)
        )
    polars_frame = pl.DataFrame([customer_pl, pl.Series("date", date), pl.Series("amount", amount)])
    con = duckdb.connect()
    con.register("tx", polars_frame.to_arrow())
    return Frames(layout, frame, objects, polars_frame, con)


# --- the polars peer ----------------------------------------------------------------------------------------


def _month(column: pl.Expr) -> pl.Expr:
    """Months since year 0 (``year * 12 + month - 1``), the peers' month code."""
    return column.dt.year().cast(pl.Int64) * 12 + column.dt.month().cast(pl.Int64) - 1


def _last_complete_month(end: dt.datetime | dt.date) -> int:
    """The month code of the last complete month when the observation end is the day ``end``."""
    month = end.year * 12 + end.month - 1
    return month if (end + dt.timedelta(days=1)).month != end.month else month - 1


def polars_rfm_summary(tx: pl.DataFrame) -> pl.DataFrame:
    # Spend per (customer, day) first, as lifetimes does; the first day's spend is left out of the mean.
    # (Faster here than one group-by with n_unique() and a filtered sum.)
    daily = (
        tx.lazy()
        .group_by("customer_id", day=pl.col("date").dt.date())
        .agg(spend=pl.col("amount").sum())
    )
    per_customer = daily.group_by("customer_id").agg(
        first=pl.col("day").min(),
        last=pl.col("day").max(),
        days=pl.len(),
        repeat_spend=pl.col("spend").sum() - pl.col("spend").get(pl.col("day").arg_min()),
    )
    frequency = pl.col("days") - 1
    return (
        per_customer.select(
            "customer_id",
            frequency=frequency.cast(pl.Int64),
            recency=(pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64),
            T=(pl.col("last").max() - pl.col("first")).dt.total_days().cast(pl.Float64),
            monetary_value=pl.when(frequency > 0)
            .then(pl.col("repeat_spend") / frequency)
            .otherwise(0.0),
        )
        .sort("customer_id")
        .collect()
    )


def polars_cohort_table(tx: pl.DataFrame) -> pl.DataFrame:
    last = _last_complete_month(tx.select(pl.col("date").max()).item())
    return (
        tx.lazy()
        .select("customer_id", month=_month(pl.col("date")))
        .unique()
        .with_columns(cohort=pl.col("month").min().over("customer_id"))
        .filter(pl.col("month") <= last)
        .group_by("cohort", periods_since=pl.col("month") - pl.col("cohort"))
        .agg(customers=pl.len())
        .sort("cohort", "periods_since")
        .collect()
    )


def polars_period_retention(tx: pl.DataFrame) -> pl.DataFrame:
    last = _last_complete_month(tx.select(pl.col("date").max()).item())
    pairs = tx.lazy().select("customer_id", month=_month(pl.col("date"))).unique()
    active = pairs.group_by("month").agg(customers_end=pl.len())
    new = (
        pairs.group_by("customer_id").agg(pl.col("month").min()).group_by("month").agg(new=pl.len())
    )
    retained = (
        pairs.join(pairs.with_columns(pl.col("month") + 1), on=["customer_id", "month"], how="semi")
        .group_by("month")
        .agg(retained=pl.len())
    )
    months = active.select(pl.int_range(pl.col("month").min(), last + 1).alias("month"))
    start = pl.col("customers_start")
    rate = pl.when(start > 0)
    return (
        months.join(active, on="month", how="left")
        .join(new, on="month", how="left")
        .join(retained, on="month", how="left")
        .fill_null(0)
        .sort("month")
        .with_columns(customers_start=pl.col("customers_end").shift(1, fill_value=0))
        .select(
            "month",
            "customers_start",
            "new",
            reactivated=pl.col("customers_end") - pl.col("new") - pl.col("retained"),
            retained="retained",
            churned=start - pl.col("retained"),
            customers_end="customers_end",
            retention_rate=rate.then(pl.col("retained") / start),
            crr=rate.then((pl.col("customers_end") - pl.col("new")) / start),
            churn_rate=rate.then((start - pl.col("retained")) / start),
        )
        .collect()
    )


def polars_kpis(tx: pl.DataFrame) -> pl.DataFrame:
    last = _last_complete_month(tx.select(pl.col("date").max()).item())
    lazy = tx.lazy()
    customers = lazy.group_by("customer_id").agg(
        cohort=_month(pl.col("date").min()),
        repeat=pl.col("date").min().dt.date() != pl.col("date").max().dt.date(),
    )
    pairs = lazy.select("customer_id", month=_month(pl.col("date"))).unique()
    now, before = pl.col("now"), pl.col("before")
    period = (
        pairs.filter(pl.col("month").is_between(last - 1, last))
        .group_by("customer_id")
        .agg(now=(pl.col("month") == last).any(), before=(pl.col("month") == last - 1).any())
        .join(customers, on="customer_id")
        .select(
            active_customers=now.sum(),
            new_customers=(now & (pl.col("cohort") == last)).sum(),
            start=before.sum(),
            retained=(now & before).sum(),
        )
    )
    ages = [1, 3, 12]
    cells = (
        pairs.filter(pl.col("month") <= last)
        .join(customers, on="customer_id")
        .select((pl.col("month") == pl.col("cohort") + k).sum().alias(f"active_{k}") for k in ages)
    )
    totals = customers.select(
        customers=pl.len(),
        repeaters=pl.col("repeat").sum(),
        **{f"size_{k}": (pl.col("cohort") <= last - k).sum() for k in ages},
    )
    rows = lazy.select(orders=pl.len(), revenue=pl.col("amount").sum())
    figures = pl.concat(pl.collect_all([period, cells, totals, rows]), how="horizontal")
    start, n = pl.col("start"), pl.col("customers")
    rate = pl.when(start > 0)
    return figures.select(
        customers=n.cast(pl.Float64),
        active_customers=pl.col("active_customers").cast(pl.Float64),
        new_customers=pl.col("new_customers").cast(pl.Float64),
        retention_rate=rate.then(pl.col("retained") / start),
        crr=rate.then((pl.col("active_customers") - pl.col("new_customers")) / start),
        churn_rate=rate.then((start - pl.col("retained")) / start),
        repeat_purchase_rate=pl.col("repeaters") / n,
        purchase_frequency=pl.col("orders") / n,
        average_order_value=pl.col("revenue") / pl.col("orders"),
        revenue_per_customer=pl.col("revenue") / n,
        **{
            f"cohort_retention_{k}": pl.when(pl.col(f"size_{k}") > 0).then(
                pl.col(f"active_{k}") / pl.col(f"size_{k}")
            )
            for k in ages
        },
    )


# --- the DuckDB peer ----------------------------------------------------------------------------------------

# The observation end (the last purchase day) and the last complete month, as CTEs every query starts with.
_SQL_END = """
WITH e AS (SELECT CAST(max(date) AS DATE) AS d FROM tx),
l AS (
    SELECT year(d) * 12 + month(d) - 1 - CASE WHEN last_day(d) = d THEN 0 ELSE 1 END AS last, d
    FROM e
)"""

SQL_RFM = """
WITH d AS (
    SELECT customer_id, CAST(date AS DATE) AS day, sum(amount) AS spend FROM tx GROUP BY ALL
), c AS (
    SELECT customer_id, min(day) AS first, max(day) AS last, count(*) AS days,
           sum(spend) - arg_min(spend, day) AS repeat_spend
    FROM d GROUP BY customer_id
)
SELECT customer_id,
       days - 1 AS frequency,
       CAST(last - first AS DOUBLE) AS recency,
       CAST((SELECT max(last) FROM c) - first AS DOUBLE) AS T,
       CASE WHEN days > 1 THEN repeat_spend / (days - 1) ELSE 0.0 END AS monetary_value
FROM c ORDER BY customer_id
"""

SQL_COHORTS = (
    _SQL_END
    + """,
p AS (SELECT DISTINCT customer_id, year(date) * 12 + month(date) - 1 AS month FROM tx),
c AS (SELECT customer_id, min(month) AS cohort FROM p GROUP BY customer_id)
SELECT cohort, month - cohort AS periods_since, count(*) AS customers
FROM p JOIN c USING (customer_id)
WHERE month <= (SELECT last FROM l)
GROUP BY ALL ORDER BY ALL
"""
)

SQL_PERIODS = (
    _SQL_END
    + """,
p AS (SELECT DISTINCT customer_id, year(date) * 12 + month(date) - 1 AS month FROM tx),
active AS (SELECT month, count(*) AS customers_end FROM p GROUP BY month),
new AS (
    SELECT month, count(*) AS new
    FROM (SELECT min(month) AS month FROM p GROUP BY customer_id) GROUP BY month
),
kept AS (
    SELECT a.month, count(*) AS retained
    FROM p AS a JOIN p AS b ON a.customer_id = b.customer_id AND a.month = b.month + 1
    GROUP BY a.month
),
months AS (
    SELECT range AS month FROM range((SELECT min(month) FROM p), (SELECT last FROM l) + 1)
),
t AS (
    SELECT month,
           coalesce(customers_end, 0) AS customers_end,
           coalesce(new, 0) AS new,
           coalesce(retained, 0) AS retained
    FROM months LEFT JOIN active USING (month) LEFT JOIN new USING (month)
         LEFT JOIN kept USING (month)
),
s AS (
    SELECT *, coalesce(lag(customers_end) OVER (ORDER BY month), 0) AS customers_start FROM t
)
SELECT month, customers_start, new, customers_end - new - retained AS reactivated, retained,
       customers_start - retained AS churned, customers_end,
       retained / nullif(customers_start, 0) AS retention_rate,
       (customers_end - new) / nullif(customers_start, 0) AS crr,
       (customers_start - retained) / nullif(customers_start, 0) AS churn_rate
FROM s ORDER BY month
"""
)

SQL_KPIS = (
    _SQL_END
    + """,
c AS (
    SELECT customer_id,
           year(min(date)) * 12 + month(min(date)) - 1 AS cohort,
           CAST(min(date) AS DATE) <> CAST(max(date) AS DATE) AS repeat
    FROM tx GROUP BY customer_id
),
p AS (SELECT DISTINCT customer_id, year(date) * 12 + month(date) - 1 AS month FROM tx),
lp AS (
    SELECT customer_id, bool_or(month = last) AS now, bool_or(month = last - 1) AS before
    FROM p, l WHERE month BETWEEN last - 1 AND last GROUP BY customer_id
),
period AS (
    SELECT count(*) FILTER (now) AS active, count(*) FILTER (now AND cohort = last) AS new,
           count(*) FILTER (before) AS start, count(*) FILTER (now AND before) AS retained
    FROM lp JOIN c USING (customer_id), l
),
cells AS (
    SELECT count(*) FILTER (month = cohort + 1) AS a1, count(*) FILTER (month = cohort + 3) AS a3,
           count(*) FILTER (month = cohort + 12) AS a12
    FROM p JOIN c USING (customer_id), l WHERE month <= last
),
sizes AS (
    SELECT count(*) AS customers, count(*) FILTER (repeat) AS repeaters,
           count(*) FILTER (cohort <= last - 1) AS n1, count(*) FILTER (cohort <= last - 3) AS n3,
           count(*) FILTER (cohort <= last - 12) AS n12
    FROM c, l
),
rows AS (SELECT count(*) AS orders, sum(amount) AS revenue FROM tx)
SELECT CAST(customers AS DOUBLE) AS customers,
       CAST(active AS DOUBLE) AS active_customers,
       CAST(new AS DOUBLE) AS new_customers,
       retained / nullif(start, 0) AS retention_rate,
       (active - new) / nullif(start, 0) AS crr,
       (start - retained) / nullif(start, 0) AS churn_rate,
       repeaters / customers AS repeat_purchase_rate,
       orders / customers AS purchase_frequency,
       revenue / orders AS average_order_value,
       revenue / customers AS revenue_per_customer,
       a1 / nullif(n1, 0) AS cohort_retention_1,
       a3 / nullif(n3, 0) AS cohort_retention_3,
       a12 / nullif(n12, 0) AS cohort_retention_12
FROM period, cells, sizes, rows
"""
)


def duckdb_query(sql: str) -> Callable[[duckdb.DuckDBPyConnection], pa.Table]:
    def run(con: duckdb.DuckDBPyConnection) -> pa.Table:
        return con.sql(sql).to_arrow_table()

    return run


# --- agreement ----------------------------------------------------------------------------------------------

MONTH_ORIGIN = (
    1970 * 12
)  # pandas' monthly period ordinals count from 1970-01; the peers' from year 0


def _pandas(result: Any) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    return frame


def canonical(case: str, result: Any) -> pd.DataFrame:
    """A result of ours or of a peer as one plain DataFrame, to compare."""
    if isinstance(result, pd.Series):  # ours: kpis
        return result.to_frame().T.reset_index(drop=True)
    frame = _pandas(result)
    if case == "rfm_summary" and frame.index.name == "customer_id":  # ours
        frame = frame.reset_index()
    elif case == "cohort_table" and frame.columns.name == "periods_since":  # ours: the wide table
        frame = frame.reset_index().melt(
            id_vars="cohort", var_name="periods_since", value_name="customers"
        )
        frame = frame.sort_values(["cohort", "periods_since"], kind="stable")
        frame = frame[frame["customers"].notna() & (frame["customers"] != 0)]
        frame = frame.assign(cohort=frame["cohort"].array.asi8 + MONTH_ORIGIN)
    elif case == "period_retention" and frame.index.name == "period":  # ours
        frame = frame.reset_index().rename(columns={"period": "month"})
        frame = frame.assign(month=frame["month"].array.asi8 + MONTH_ORIGIN)
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column != "customer_id":
            frame[column] = frame[column].astype(np.float64)  # nulls (undefined rates) become NaN
    return frame


def disagreement(case: str, ours: Any, theirs: Any, *, exact: bool = False) -> str:
    """Empty if the two results agree (money and rates to ``RTOL`` unless ``exact``), else why not."""
    a, b = canonical(case, ours), canonical(case, theirs)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return (
            f"columns {list(b.columns)} and {len(b)} rows, ours {list(a.columns)} and {len(a)} rows"
        )
    problems = []
    for column in a.columns:
        x, y = a[column].to_numpy(), b[column].to_numpy()
        if column == "customer_id":
            same = np.asarray(x == y)
        elif exact or column in ("frequency", "recency", "T", "cohort", "periods_since", "month"):
            same = (x == y) | (np.isnan(x) & np.isnan(y))
        else:
            same = np.isclose(x, y, rtol=RTOL, atol=0.0, equal_nan=True)
        if not same.all():
            at = int(np.flatnonzero(~same)[0])
            problems.append(
                f"{column} differs in {int((~same).sum()):,} rows (row {at}: {y[at]!r}, ours {x[at]!r})"
            )
    return "; ".join(problems)


# --- cases --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One function: our call and the two peers' queries."""

    name: str
    ours: Callable[[Any], Any]
    polars: Callable[[pl.DataFrame], Any]
    duckdb: Callable[[duckdb.DuckDBPyConnection], Any]


CASES = [
    Case(
        "rfm_summary",
        lambda tx: rt.rfm_summary(tx, freq="D", time_unit="D"),
        polars_rfm_summary,
        duckdb_query(SQL_RFM),
    ),
    Case("cohort_table", rt.cohort_table, polars_cohort_table, duckdb_query(SQL_COHORTS)),
    Case(
        "period_retention",
        rt.period_retention,
        polars_period_retention,
        duckdb_query(SQL_PERIODS),
    ),
    Case("kpis", rt.kpis, polars_kpis, duckdb_query(SQL_KPIS)),
]


def contenders(case: Case, frames: Frames) -> dict[str, Callable[[], Any]]:
    """The calls of one case on one layout, by column: ours, object ids, polars input, the peers."""
    calls: dict[str, Callable[[], Any]] = {"ours": lambda: case.ours(frames.pandas)}
    if frames.objects is not None:
        objects = frames.objects
        calls["object ids"] = lambda: case.ours(objects)
    if frames.layout.startswith("shuffled"):
        calls["polars input"] = lambda: case.ours(frames.polars)
    calls["polars"] = lambda: case.polars(frames.polars)
    calls["DuckDB"] = lambda: case.duckdb(frames.duckdb)
    return calls


def check(case: Case, calls: dict[str, Callable[[], Any]], where: str) -> list[str]:
    """Run every contender once and compare it with ours; the lines saying who disagrees."""
    ours = calls["ours"]()
    lines = []
    for name, call in calls.items():
        if name == "ours":
            continue
        why = disagreement(case.name, ours, call(), exact=name in ("object ids", "polars input"))
        if why:
            lines.append(f"DISAGREES: {name} on {case.name}, {where}: {why}")
    return lines


# --- start-up -----------------------------------------------------------------------------------------------


def startup_time(command: list[str], runs: int = 5) -> float:
    """The median wall time of ``runs`` fresh processes running ``command``."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def startup_rows() -> list[str]:
    python = sys.executable
    t_pandas = startup_time([python, "-c", "import pandas"])
    t_ours = startup_time([python, "-c", "import retention"])
    script = Path(python).with_name("retention")
    command = [str(script)] if script.exists() else [python, "-m", "retention"]
    t_help = startup_time([*command, "--help"])
    ratio = t_ours / t_pandas
    met = "yes" if ratio <= IMPORT_TARGET else "**no**"
    return [
        _row(
            "import retention",
            f"fresh process, vs import pandas ({t_pandas:.3f} s)",
            f"{t_ours:.3f}",
            "",
            "",
            f"{ratio:.2f}x import pandas",
            f"<= {IMPORT_TARGET}x",
            met,
            "",
            "",
        ),
        _row("retention --help", "fresh process", f"{t_help:.3f}", *[""] * 7),
    ]


# --- main ---------------------------------------------------------------------------------------------------


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def table_rows(case: Case, layout: str, times: dict[str, float]) -> list[str]:
    """The table's rows of one case and layout: ours on pandas, then ours on polars input."""
    ids = layout.split("/")[1]
    target = TARGET[ids]
    faster = min(times["polars"], times["DuckDB"])
    objects = times.get("object ids")
    rows = []
    for name, label in (("ours", layout), ("polars input", f"{layout}, polars input")):
        if name not in times:
            continue
        ratio = times[name] / faster
        extra = ["", ""]
        if name == "ours":
            extra = (
                ["n/a", "n/a"]
                if objects is None
                else [f"{objects:.3f}", f"{objects / faster:.2f}x"]
            )
        rows.append(
            _row(
                case.name,
                label,
                f"{times[name]:.3f}",
                f"{times['polars']:.3f}",
                f"{times['DuckDB']:.3f}",
                f"{ratio:.2f}x",
                f"<= {target}x",
                "yes" if ratio <= target else "**no**",
                *extra,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the log")
    parser.add_argument("--customers", type=int, default=3_400_000, help="customers in the log")
    parser.add_argument(
        "--repeat", "--repeats", type=int, default=5, help="timed calls per contender (median)"
    )
    parser.add_argument("--only", default=None, help="only the cases whose name contains this text")
    parser.add_argument(
        "--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS), help="the layouts to time"
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up times")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.rows < 1 or args.customers < 1:
        parser.error("--repeat, --rows and --customers must be at least 1")
    cases = [c for c in CASES if args.only is None or args.only in c.name]

    about = _harness.machine()
    threads = duckdb.sql("SELECT current_setting('threads')").fetchall()[0]
    print(
        f"polars {pl.__version__} ({pl.thread_pool_size()} threads), DuckDB {duckdb.__version__} "
        f"({threads[0] if threads else '?'} threads), pyarrow {pa.__version__}",
        file=sys.stderr,
    )

    # Agreement on a small log, every layout, before any timing.
    problems = []
    sample = make_log(CHECK_ROWS, max(1, round(CHECK_ROWS * args.customers / args.rows)), SEED + 7)
    for layout in args.layouts:
        frames = make_frames(sample, layout)
        for case in cases:
            problems += check(
                case, contenders(case, frames), f"{layout}, {CHECK_ROWS:,}-row sample"
            )
        frames.duckdb.close()
    print(
        "\n".join(problems)
        or f"agreement: every contender agrees with ours on the {CHECK_ROWS:,}-row sample",
        file=sys.stderr,
    )

    # Start-up times first, while this process holds little memory; printed at the end of the table.
    startup = [] if args.no_startup else startup_rows()

    began = time.perf_counter()
    log = make_log(args.rows, args.customers)
    customers = len(log.ids)
    print(
        f"{args.rows:,} rows, {customers:,} customers, made in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    lines = []
    for layout in args.layouts:
        frames = make_frames(log, layout)
        for case in cases:
            calls = contenders(case, frames)
            problems += check(case, calls, f"{layout}, {args.rows:,} rows")  # also the warm-up
            times = _harness.alternating_medians(calls, args.repeat, warm=True)
            print(
                f"  {time.strftime('%H:%M:%S')} {case.name}, {layout}: "
                + ", ".join(f"{name} {t:.3f} s" for name, t in times.items()),
                file=sys.stderr,
            )
            lines += table_rows(case, layout, times)
        frames.duckdb.close()
        del frames
        gc.collect()
    lines += startup

    ours_threads = thread_count()
    print(
        f"{about}; polars {pl.__version__} ({pl.thread_pool_size()} threads), DuckDB "
        f"{duckdb.__version__} ({threads[0] if threads else '?'} threads), pyarrow {pa.__version__}; "
        f"ours {ours_threads} threads at most; {args.rows:,} rows, {customers:,} customers, median of {args.repeat} "
        "runs\n"
    )
    cores = f"{pl.thread_pool_size()} threads", f"{threads[0] if threads else '?'} threads"
    print(
        f"| case | layout | ours, {ours_threads} threads at most (s) | polars, {cores[0]} (s) | DuckDB, {cores[1]} (s) "
        "| ours / faster peer | target | met | ours, object ids (s) | object / faster peer |"
    )
    print("|" + "---|" * 10)
    print("\n".join(lines))
    print(
        "\n"
        + (
            "\n".join(problems)
            or "Every peer, and ours on object ids and on polars input, agreed with ours."
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
