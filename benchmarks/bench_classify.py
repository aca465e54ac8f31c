"""Benchmark: abc_xyz against an idiomatic pandas implementation.

Run from the project root:

    python benchmarks/bench_classify.py                           # 1M customers (~10M rows), 3 runs
    python benchmarks/bench_classify.py --customers 100000 1000000 --repeats 5
    python benchmarks/bench_classify.py --profile                 # also cProfile our call

For each size it simulates about 10 purchases per customer over two years (2023-01-01 to 2024-12-31, so the
last purchase is on 2024-12-31 and all 24 months are complete) with ``rt.simulate_transactions`` (customers
acquired uniformly over the window, purchase rates Gamma(r=2, alpha=5) a week, dropout Beta(1, 9)), with the
amounts in whole cents (see ``make_table``), then:

- checks that ours and the pandas baseline give the same table (values and shares to 1e-12, the coefficient
  of variation to 1e-9, the number of periods and the three class columns exactly); it stops with an
  AssertionError otherwise, so the comparison is honest;
- times both, the median of ``--repeats`` runs (``time.perf_counter`` after ``gc.collect()``);

and prints one Markdown table. The contenders, on the same DataFrame:

ours
    ``rt.abc_xyz(tx)``: monthly, value = amount, the default limits (ABC 80/95% of value, XYZ 0.1/0.25); the
    full public call, input checks included.
pandas
    What a pandas user would write: ``groupby("customer_id").amount.sum()``, ``sort_values``, ``cumsum``,
    the tie groups with ``groupby(value).transform``, ``pd.cut`` for the ABC classes; ``dt.to_period("M")``,
    ``groupby([customer, period]).sum().unstack(fill_value=0)`` for the customer x month grid, NaN before
    each customer's first month (``where``), ``std(ddof=0) / mean`` across the months and ``pd.cut`` for
    the XYZ classes.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from typing import Any

import _harness
import numpy as np
import pandas as pd

import retention as rt

START, END = "2023-01-01", "2024-12-31"
SEED = 2024
# About 10 purchases per customer: higher purchase rates and fewer dropouts than the defaults.
PROCESS = {"r": 2.0, "alpha": 5.0, "a": 1.0, "b": 9.0}
ABC_LIMITS = (0.8, 0.95)
XYZ_LIMITS = (0.1, 0.25)


def make_table(customers: int) -> pd.DataFrame:
    tx = rt.simulate_transactions(customers, start=START, end=END, seed=SEED, **PROCESS)
    # Whole cents: both sides then add exactly, so their tie groups, and so their classes, can be compared
    # exactly (with amounts such as 12.34, pandas' compensated sums and ours differ in the last bits).
    tx["amount"] = (tx["amount"] * 100).round()
    return tx


# --- the pandas baseline ------------------------------------------------------------------------------------


def pandas_abc_xyz(tx: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    # ABC: rank by value; a customer is A while the customers ahead of them hold less than 80% of the value
    # (so the one who crosses 80% is A), and a tie group takes the class of its first member.
    value = tx.groupby("customer_id")["amount"].sum()
    total = value.sum()
    ranked = value.sort_values(ascending=False)
    running = ranked.cumsum()
    ahead = running.shift(fill_value=0.0).groupby(ranked).transform("min")
    abc = pd.cut(ahead / total, [-np.inf, *ABC_LIMITS, np.inf], right=False, labels=["A", "B", "C"])
    cumulative_share = running.groupby(ranked).transform("max") / total

    # XYZ: the customer x month grid from the first month with a purchase to the last complete month.
    period = tx["date"].dt.to_period(freq)
    end = tx["date"].max()
    last = end.to_period(freq)
    if (end + pd.Timedelta(days=1)).to_period(freq) == last:
        last -= 1
    grid = tx.groupby(["customer_id", period])["amount"].sum().unstack(fill_value=0.0)  # noqa: PD010 - the idiom
    grid = grid.reindex(
        columns=pd.period_range(grid.columns.min(), last, freq=freq), fill_value=0.0
    )
    first = period.groupby(tx["customer_id"]).min()
    grid = grid.where(grid.columns.asi8[None, :] >= pd.PeriodIndex(first).asi8[:, None])
    periods = grid.notna().sum(axis=1)
    mean = grid.mean(axis=1)
    cv = (grid.std(axis=1, ddof=0) / mean).where((periods >= 2) & (mean > 0))
    xyz = pd.cut(cv, [-np.inf, *XYZ_LIMITS, np.inf], labels=["X", "Y", "Z"]).fillna("Z")

    result = pd.DataFrame(
        {
            "value": value,
            "share": value / total,
            "cumulative_share": cumulative_share,
            "abc": abc,
            "periods": periods,
            "cv": cv,
            "xyz": xyz,
        }
    )
    result["abc_xyz"] = result["abc"].astype(str) + result["xyz"].astype(str)
    return result


def check(tx: pd.DataFrame) -> None:
    ours = rt.abc_xyz(tx)
    baseline = pandas_abc_xyz(tx)
    pd.testing.assert_index_equal(ours.index, baseline.index, check_names=False)
    for column, rtol in (
        ("value", 1e-12),
        ("share", 1e-12),
        ("cumulative_share", 1e-12),
        ("cv", 1e-9),
    ):
        np.testing.assert_allclose(ours[column], baseline[column], rtol=rtol, err_msg=column)
    np.testing.assert_array_equal(ours["periods"], baseline["periods"])
    for column in ("abc", "xyz", "abc_xyz"):
        np.testing.assert_array_equal(
            ours[column].astype(str), baseline[column].astype(str), err_msg=column
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per contender (median)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our call at the largest size"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    lines = [
        "| rows | customers | ours (s) | pandas (s) | pandas / ours |",
        "|---|---|---|---|---|",
    ]
    profiles = []
    about = _harness.machine()
    for customers in args.customers:
        began = time.perf_counter()
        tx = make_table(customers)
        print(
            f"{len(tx):,} rows, {customers:,} customers, simulated in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
        )
        check(tx)
        print("  same results: yes", file=sys.stderr)

        def ours(tx: pd.DataFrame = tx) -> Any:
            return rt.abc_xyz(tx)

        def baseline(tx: pd.DataFrame = tx) -> Any:
            return pandas_abc_xyz(tx)

        t_ours = _harness.median_time(ours, args.repeats)
        t_pandas = _harness.median_time(baseline, args.repeats)
        lines.append(
            f"| {len(tx):,} | {customers:,} | {t_ours:.3f} | {t_pandas:.3f} | {t_pandas / t_ours:.1f}x |"
        )
        if args.profile and customers == max(args.customers):
            profiles.append(_harness.profile(ours, f"rt.abc_xyz, {len(tx):,} rows"))
        del tx
        gc.collect()

    print(f"{about}; median of {args.repeats} runs\n")
    print("\n".join(lines))
    for text in profiles:
        print(f"\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
