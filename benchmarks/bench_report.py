"""Benchmark: how long `rt.report` takes to make the HTML retention report of a large transaction log.

Run from the project root:

    python benchmarks/bench_report.py                      # about 1M rows, median of 3 runs
    python benchmarks/bench_report.py --customers 1000000 --repeats 1   # about 10M rows
    python benchmarks/bench_report.py --profile            # also cProfile one report

The data come from ``rt.simulate_transactions`` over 2023-01-01 to 2024-12-31 with a buying rate and a
dropout chosen so that the customers make about ten purchases each (100,000 customers, about 1M rows), and a
``channel`` column among three, each customer's own (seeded), for the ``by=`` case.

Each case is one public call, ``rt.report(tx, ...).to_html()``: every section computed from the
transactions (KPIs, period retention, cohorts, survival, working segments, RFM, ABC/XYZ, BG/NBD and
Gamma-Gamma fits and the CLV of every customer), the five charts drawn and encoded as PNG, the page written.
The target (issue 14) is under 30 s for 1M rows. Before timing, the script checks that the page's KPIs are
those of ``rt.kpis`` and that two runs give the same bytes (an AssertionError otherwise), then prints one
Markdown table: the median seconds of ``--repeats`` runs, the page's size, and whether the target is met.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings

import _harness
import numpy as np
import pandas as pd

import retention as rt
from retention.errors import RetentionWarning

START, END = "2023-01-01", "2024-12-31"
SEED = 2024
TARGET = 30.0  # seconds for 1M rows
# BG/NBD parameters giving about ten purchases per customer over the two years (100k customers -> ~1M rows).
BUYING = {"r": 0.93, "alpha": 2.0, "a": 0.5, "b": 2.5}
CHANNELS = np.array(["app", "store", "web"])


def make_table(customers: int) -> pd.DataFrame:
    tx = rt.simulate_transactions(customers, start=START, end=END, seed=SEED, **BUYING)
    rng = np.random.default_rng(SEED)
    own = CHANNELS[rng.integers(0, len(CHANNELS), size=customers)]
    codes = pd.factorize(tx["customer_id"], sort=True)[0]
    return tx.assign(channel=own[codes])


def page(tx: pd.DataFrame, options: dict[str, object]) -> str:
    with warnings.catch_warnings():
        # The page shows the library's warnings; nothing to print here.
        warnings.simplefilter("ignore", RetentionWarning)
        return rt.report(tx, **options).to_html()


def check(tx: pd.DataFrame, options: dict[str, object]) -> None:
    """Assert that the page shows the KPIs of rt.kpis and that it is the same bytes twice."""
    first = page(tx, options)
    assert page(tx, options) == first, "two reports of the same data differ"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        kpis = rt.kpis(tx)
    shown = dict(re.findall(r'data-kpi="(\w+)" data-column="0" data-value="([^"]+)"', first))
    for name, value in kpis.items():
        assert float(shown[str(name)]) == float(value) or (np.isnan(value) and shown[name] == "nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile one report")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    about = _harness.machine()
    began = time.perf_counter()
    tx = make_table(args.customers)
    customers = tx["customer_id"].nunique()
    print(
        f"{len(tx):,} rows, {customers:,} customers, simulated in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    cases: list[tuple[str, dict[str, object]]] = [
        ("rt.report(tx)", {}),
        ('rt.report(tx, by="channel")', {"by": "channel"}),
    ]
    rows = []
    for name, options in cases:
        check(tx, options)
        seconds = _harness.median_time(lambda options=options: page(tx, options), args.repeats)
        size = len(page(tx, options).encode("utf-8"))
        # The target is for 1M rows; for other sizes it scales with the rows.
        target = TARGET * len(tx) / 1_000_000
        rows.append((name, seconds, size, target))
    print(
        f"{about}; median of {args.repeats} runs. Pages checked: KPIs equal rt.kpis, same bytes twice.\n"
    )
    print("| case | rows | customers | report + to_html (s) | page (KiB) | target (s) | met |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, size, target in rows:
        met = "yes" if seconds < target else "**no**"
        print(
            f"| `{name}` | {len(tx):,} | {customers:,} | {seconds:.2f} | {size / 1024:,.0f} | "
            f"< {target:.0f} | {met} |"
        )
    if args.profile:
        print(f"\n{_harness.profile(lambda: page(tx, {}), f'rt.report, {len(tx):,} rows')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
