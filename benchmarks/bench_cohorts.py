"""Benchmark: cohort_table and period_retention against idiomatic pandas and a numpy floor.

Run from the project root:

    python benchmarks/bench_cohorts.py                      # 1M and 10M rows, 5 runs each
    python benchmarks/bench_cohorts.py --rows 1000000 --repeats 7
    python benchmarks/bench_cohorts.py --rows 10000000 --profile   # also cProfile our calls

For each table size it simulates monthly-relevant data over two years (2023-01-01 to 2024-12-31, so the last
purchase is on 2024-12-31 and all 24 months are complete) with ``rt.simulate_transactions``, then for each
function:

- checks that our result, the pandas baseline's and the numpy floor's are the same numbers (it stops with an
  AssertionError otherwise, so the comparison is honest);
- times the three (median of ``--repeats`` runs, each on the DataFrame or the arrays taken from it);
- measures the peak memory of one more call of each with ``tracemalloc`` (numpy and pandas report their
  buffers to it), as a multiple of the input frame's memory.

and prints one Markdown table. The three contenders:

ours
    ``rt.cohort_table(tx)`` (metric customers, classic, monthly) and ``rt.period_retention(tx)`` (monthly):
    the full public call on the DataFrame, checks included.
pandas
    What a pandas user would write: ``to_period``, ``groupby`` and ``nunique``/``unstack`` for the cohort
    table; ``drop_duplicates`` + ``groupby().shift()`` + ``groupby().agg()`` for period retention.
floor
    The least numpy work that gives the same numbers from the raw column arrays (``to_numpy()``, zero-copy):
    day numbers by integer division of the datetime64 values, months by a lookup table of the few hundred
    days, one sort of ``customer * months + month`` keys to get the distinct (customer, month) pairs, and
    ``bincount``. It assumes nothing about the customer ids beyond int64 (no dense-id shortcut) and checks
    nothing.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

import _harness
import numpy as np
import pandas as pd

import retention as rt

START, END = "2023-01-01", "2024-12-31"
SEED = 2024
NS_PER_DAY = 86_400 * 10**9


# --- data ---------------------------------------------------------------------------------------------------


def make_table(rows: int) -> pd.DataFrame:
    """About ``rows`` transactions: the customer count is scaled from a pilot draw's rows per customer."""
    pilot = rt.simulate_transactions(200_000, start=START, end=END, seed=SEED + 1)
    per_customer = len(pilot) / 200_000
    return rt.simulate_transactions(round(rows / per_customer), start=START, end=END, seed=SEED)


# --- pandas baselines ---------------------------------------------------------------------------------------


def _last_complete_month(dates: pd.Series) -> pd.Period:
    """The month of the last purchase if the last purchase is on its last day, else the month before."""
    last = dates.max()
    month = last.to_period("M")
    return month if (last + pd.Timedelta(days=1)).to_period("M") != month else month - 1


def pandas_cohort_table(tx: pd.DataFrame) -> pd.DataFrame:
    df = tx[["customer_id"]].copy()
    df["period"] = tx["date"].dt.to_period("M")
    df["cohort"] = df.groupby("customer_id")["period"].transform("min")
    last = _last_complete_month(tx["date"])
    df = df[df["cohort"] <= last]
    df["periods_since"] = (df["period"].dt.year - df["cohort"].dt.year) * 12 + (
        df["period"].dt.month - df["cohort"].dt.month
    )
    counts = df.groupby(["cohort", "periods_since"])["customer_id"].nunique()
    table = counts.unstack(fill_value=0)  # noqa: PD010 - the idiom this baseline stands for
    table = table.astype(np.float64)
    # Cells after the last complete month are unknown, not 0.
    k = table.columns.to_numpy()
    age = np.array([(last - c).n for c in table.index])
    table = table.where(k[None, :] <= age[:, None])
    table = table.loc[:, k <= age.max()]
    table.columns = table.columns.astype(np.int64)
    return table


def pandas_period_retention(tx: pd.DataFrame) -> pd.DataFrame:
    act = pd.DataFrame({"customer_id": tx["customer_id"], "period": tx["date"].dt.to_period("M")})
    act = act.drop_duplicates()
    act["month"] = act["period"].dt.year * 12 + act["period"].dt.month
    act = act.sort_values(["customer_id", "month"])
    previous = act.groupby("customer_id")["month"].shift()
    act["new"] = previous.isna()
    act["retained"] = act["month"] - previous == 1
    table = act.groupby("period").agg(
        customers_end=("customer_id", "size"), new=("new", "sum"), retained=("retained", "sum")
    )
    last = _last_complete_month(tx["date"])
    periods = pd.period_range(table.index.min(), last, freq="M", name="period")
    table = table.reindex(periods, fill_value=0).astype(np.int64)
    table["customers_start"] = table["customers_end"].shift(fill_value=0)
    table["reactivated"] = table["customers_end"] - table["new"] - table["retained"]
    table["churned"] = table["customers_start"] - table["retained"]
    start = table["customers_start"].where(table["customers_start"] > 0)
    table["retention_rate"] = table["retained"] / start
    table["crr"] = (table["customers_end"] - table["new"]) / start
    table["churn_rate"] = table["churned"] / start
    columns = ["customers_start", "new", "reactivated", "retained", "churned", "customers_end"]
    return table[[*columns, "retention_rate", "crr", "churn_rate"]]


# --- numpy floors -------------------------------------------------------------------------------------------


def _pairs(
    ids: np.ndarray, dates: np.ndarray, *, dense: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Distinct (customer, month) pairs sorted by customer then month; months from 0; the last complete one.

    ``dense=True`` takes the shortcut that this data allows and a hand-written script would take: the ids
    minus the smallest id are small integers, so they index a customer x month bitmap directly (no sort, no
    hash). ``dense=False`` assumes only int64 ids and sorts ``customer * months + month`` keys.
    """
    day = dates.view(np.int64) // NS_PER_DAY
    low, high = int(day.min()), int(day.max())
    calendar = (
        np.arange(low, high + 2).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    )
    origin = int(calendar[0])
    month_of_day = calendar - origin
    last = (
        int(month_of_day[-2]) if month_of_day[-1] != month_of_day[-2] else int(month_of_day[-2]) - 1
    )
    span = int(month_of_day[-2]) + 1
    smallest = ids.min()
    key = (ids - smallest) * span + month_of_day[day - low]
    if dense:
        cells = (int(ids.max()) - int(smallest) + 1) * span
        if cells > max(1 << 27, 4 * len(key)):
            msg = "the ids are not dense enough for the bitmap floor"
            raise ValueError(msg)
        marks = np.zeros(cells, dtype=bool)
        marks[key] = True
        distinct = np.flatnonzero(marks)
    else:
        key.sort()
        keep = np.empty(len(key), dtype=bool)
        keep[0] = True
        np.not_equal(key[1:], key[:-1], out=keep[1:])
        distinct = key[keep]
    customer, month = np.divmod(distinct, span)
    return customer, month, last, origin


def floor_cohort_table(
    ids: np.ndarray, dates: np.ndarray, *, dense: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Cohort month codes and the cohort x periods-since matrix (NaN when censored)."""
    customer, month, last, origin = _pairs(ids, dates, dense=dense)
    first = np.empty(len(customer), dtype=bool)
    first[0] = True
    np.not_equal(customer[1:], customer[:-1], out=first[1:])
    cohort = month[np.maximum.accumulate(np.where(first, np.arange(len(month)), 0))]
    size = last + 1
    keep = cohort <= last
    counts = np.bincount(cohort[keep] * size + (month - cohort)[keep], minlength=size * size)
    table = counts.reshape(size, size).astype(np.float64)
    age = last - np.arange(size)
    table[np.arange(size)[None, :] > age[:, None]] = np.nan
    acquired = np.bincount(cohort[first & keep], minlength=size) > 0
    return np.flatnonzero(acquired) + origin, table[acquired]


def floor_period_retention(ids: np.ndarray, dates: np.ndarray, *, dense: bool = True) -> np.ndarray:
    """The nine columns of period_retention as one float matrix (months from the first to the last complete)."""
    customer, month, last, _ = _pairs(ids, dates, dense=dense)
    same = np.zeros(len(customer), dtype=bool)
    same[1:] = customer[1:] == customer[:-1]
    retained = np.zeros(len(customer), dtype=bool)
    retained[1:] = same[1:] & (month[1:] - month[:-1] == 1)
    size = last + 1
    end = np.bincount(month, minlength=size)[:size]
    new = np.bincount(month[~same], minlength=size)[:size]
    kept = np.bincount(month[retained], minlength=size)[:size]
    start = np.concatenate([[0], end[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = [kept / start, (end - new) / start, (start - kept) / start]
    counts = [start, new, end - new - kept, kept, start - kept, end]
    return np.column_stack([*counts, *rates]).astype(np.float64)


# --- checks -------------------------------------------------------------------------------------------------


def check_cohort_table(tx: pd.DataFrame) -> None:
    ours = rt.cohort_table(tx)
    baseline = pandas_cohort_table(tx)
    pd.testing.assert_frame_equal(ours, baseline, check_names=False, check_exact=True)
    assert ours.index.name == "cohort"
    assert ours.columns.name == "periods_since"
    for dense in (True, False):
        cohorts, table = floor_cohort_table(
            tx["customer_id"].to_numpy(), tx["date"].to_numpy(), dense=dense
        )
        np.testing.assert_array_equal(ours.index.asi8, cohorts)
        np.testing.assert_array_equal(ours.to_numpy(), table[:, : ours.shape[1]])


def check_period_retention(tx: pd.DataFrame) -> None:
    ours = rt.period_retention(tx)
    baseline = pandas_period_retention(tx)
    pd.testing.assert_frame_equal(ours, baseline, check_names=False, check_freq=False, rtol=1e-12)
    assert ours.index.name == "period"
    for dense in (True, False):
        floor = floor_period_retention(
            tx["customer_id"].to_numpy(), tx["date"].to_numpy(), dense=dense
        )
        np.testing.assert_allclose(ours.to_numpy(dtype=np.float64), floor, rtol=1e-12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per contender (median)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our calls at the largest size"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    lines = [
        "| rows | customers | function | ours (s) | pandas (s) | floor (s) | floor, any ids (s) "
        "| pandas / ours | ours / floor | ours / floor, any ids | peak / input: ours | pandas | floor |",
        "|" + "---|" * 13,
    ]
    profiles = []
    about = _harness.machine()
    for rows in args.rows:
        began = time.perf_counter()
        tx = make_table(rows)
        made = time.perf_counter() - began
        ids, dates = tx["customer_id"].to_numpy(), tx["date"].to_numpy()
        size = int(tx.memory_usage(deep=True).sum())
        customers = int(tx["customer_id"].nunique())
        print(
            f"{len(tx):,} rows, {customers:,} customers, {size / 2**20:.0f} MiB, simulated in {made:.1f} s",
            file=sys.stderr,
        )
        cases = [
            (
                "cohort_table",
                check_cohort_table,
                rt.cohort_table,
                pandas_cohort_table,
                floor_cohort_table,
            ),
            (
                "period_retention",
                check_period_retention,
                rt.period_retention,
                pandas_period_retention,
                floor_period_retention,
            ),
        ]
        for name, check, ours_function, pandas_function, floor_function in cases:
            check(tx)

            def ours(f: Callable[..., Any] = ours_function, tx: pd.DataFrame = tx) -> Any:
                return f(tx)

            def baseline(f: Callable[..., Any] = pandas_function, tx: pd.DataFrame = tx) -> Any:
                return f(tx)

            def floor(
                f: Callable[..., Any] = floor_function, ids: Any = ids, dates: Any = dates
            ) -> Any:
                return f(ids, dates, dense=True)

            def floor_any(
                f: Callable[..., Any] = floor_function, ids: Any = ids, dates: Any = dates
            ) -> Any:
                return f(ids, dates, dense=False)

            t_ours = _harness.median_time(ours, args.repeats)
            t_pandas = _harness.median_time(baseline, args.repeats)
            t_floor = _harness.median_time(floor, args.repeats)
            t_any = _harness.median_time(floor_any, args.repeats)
            m_ours, m_pandas, m_floor = (
                _harness.peak_memory(f) / size for f in (ours, baseline, floor)
            )
            lines.append(
                f"| {len(tx):,} | {customers:,} | {name} | {t_ours:.3f} | {t_pandas:.3f} | {t_floor:.3f} "
                f"| {t_any:.3f} | {t_pandas / t_ours:.1f}x | {t_ours / t_floor:.2f}x | {t_ours / t_any:.2f}x "
                f"| {m_ours:.2f} | {m_pandas:.2f} | {m_floor:.2f} |"
            )
            print(f"  {name}: done", file=sys.stderr)
            if args.profile and rows == max(args.rows):
                profiles.append(_harness.profile(ours, f"rt.{name}, {len(tx):,} rows"))
        del tx, ids, dates
        gc.collect()

    print(f"{about}; median of {args.repeats} runs; input = the frame's memory_usage(deep=True)\n")
    print("\n".join(lines))
    for text in profiles:
        print(f"\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
