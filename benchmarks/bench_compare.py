"""Benchmark: `rt.compare_retention` of 10 groups against one `rt.survival_curve` on the same rows.

Run from the project root:

    python benchmarks/bench_compare.py                       # 10M rows, median of 3 runs
    python benchmarks/bench_compare.py --rows 1000000 --repeats 5
    python benchmarks/bench_compare.py --profile             # also a cProfile of compare_retention

The data (``make_table``) are built with numpy from one seeded generator: customers with a first purchase
day uniform over 2023-01-01 to 2024-12-31, 1 + geometric(0.3) purchases (about 3.3 on average) at
exponential gaps of 60 days on average, purchases after 2024-12-31 dropped, so that ``--rows`` rows (default
10M, about 3M customers) remain; each customer has one of ten groups ("g0" to "g9"), and the rows are
shuffled. Columns: ``customer_id`` (int64), ``date`` (datetime64[ns]), ``group`` (object).

Cases, each one public call on the same DataFrame:

- ``rt.survival_curve(tx)``: the Kaplan-Meier curve of all customers, the baseline;
- ``rt.survival_curve(tx, by="group")``: the ten curves, for reference;
- ``rt.compare_retention(tx, "group")``: per-group survival at 30, 90 and 365 days, median lifetime, RMST,
  repurchase shares, the 45 pairwise differences with Holm-adjusted p-values and the 10-group log-rank
  test. The issue's target: within 2x of the baseline.

Before timing, the script checks that ``compare_retention``'s survival at the horizons equals
``rt.survival_at(rt.survival_curve(tx, by="group"), ...)`` and that its groups' customers add up to the
baseline curve's customers (an AssertionError otherwise); those calls also warm up. Times are the median of
``--repeats`` calls, ``time.perf_counter`` after ``gc.collect()``, the cases' calls alternating so that a
change in the machine's load falls on all of them (see ``benchmarks/README.md``). Crossing
curves would warn (``RetentionWarning``); every call runs with that warning silenced.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any

import _harness
import numpy as np
import pandas as pd

import retention as rt
from retention.errors import RetentionWarning

SEED = 2024
START = np.datetime64("2023-01-01", "D")
DAYS = 731  # 2023-01-01 to 2024-12-31
GROUPS = 10
TARGET = 2.0  # compare_retention / survival_curve
HORIZONS = ["30D", "90D", "365D"]


def make_table(rows: int) -> pd.DataFrame:
    """About ``rows`` purchases of customers in ten groups (see the module docstring)."""
    rng = np.random.default_rng(SEED)
    customers = int(rows / 2.2)  # the purchases per customer left after dropping those past the end
    count = rng.geometric(0.3, customers)
    first = rng.integers(0, DAYS, customers)
    customer = np.repeat(np.arange(customers, dtype=np.int64), count)
    gap = np.ceil(rng.exponential(60.0, len(customer))).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(count)[:-1]))
    gap[starts] = 0
    # Days since the first purchase: the running sum of gaps within each customer.
    total = np.cumsum(gap)
    day = np.repeat(first, count) + total - np.repeat(total[starts], count)
    keep = day < DAYS
    customer, day = customer[keep][:rows], day[keep][:rows]
    order = rng.permutation(len(customer))
    group = np.array([f"g{g}" for g in range(GROUPS)], dtype=object)[
        rng.integers(0, GROUPS, customers)
    ]
    return pd.DataFrame(
        {
            "customer_id": customer[order],
            "date": (START + day[order]).astype("datetime64[ns]"),
            "group": group[customer[order]],
        }
    )


def quiet(call: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetentionWarning)
        return call()


def check(tx: pd.DataFrame) -> None:
    """Assert that compare_retention reads the same curves as survival_curve."""
    result = quiet(lambda: rt.compare_retention(tx, "group"))
    curves = rt.survival_curve(tx, by="group")
    at = rt.survival_at(curves, HORIZONS).unstack()  # noqa: PD010 - as survival_at documents
    for h in HORIZONS:
        np.testing.assert_array_equal(result.groups[f"survival_{h}"], at[h].to_numpy())
    whole = rt.survival_curve(tx)
    assert result.groups["customers"].sum() == whole["at_risk"].iloc[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile one compare_retention")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.rows < 1000:
        parser.error("--repeats must be at least 1 and --rows at least 1000")

    about = _harness.machine()
    began = time.perf_counter()
    tx = make_table(args.rows)
    customers = tx["customer_id"].nunique()
    print(
        f"{len(tx):,} rows, {customers:,} customers, built in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    check(tx)
    cases: list[tuple[str, Any]] = [
        ("rt.survival_curve(tx)", lambda: rt.survival_curve(tx)),
        ('rt.survival_curve(tx, by="group")', lambda: rt.survival_curve(tx, by="group")),
        ('rt.compare_retention(tx, "group")', lambda: rt.compare_retention(tx, "group")),
    ]
    seconds = _harness.alternating_medians(
        {name: lambda c=call: quiet(c) for name, call in cases}, args.repeats
    )
    baseline = seconds[cases[0][0]]
    print(
        f"{about}; median of {args.repeats} runs. Checked: survival at {', '.join(HORIZONS)} equals "
        "survival_at(survival_curve(by=)); the groups' customers add up.\n"
    )
    print("| case | rows | customers | seconds | / survival_curve | target | met |")
    print("|---|---|---|---|---|---|---|")
    for name, _ in cases:
        ratio = seconds[name] / baseline
        target, met = (
            ("", "")
            if "compare" not in name
            else (f"< {TARGET:.0f}x", "yes" if ratio < TARGET else "**no**")
        )
        print(
            f"| `{name}` | {len(tx):,} | {customers:,} | {seconds[name]:.2f} | {ratio:.2f}x | "
            f"{target} | {met} |"
        )
    if args.profile:
        title = f"rt.compare_retention, {len(tx):,} rows"
        print(f"\n{_harness.profile(lambda: quiet(cases[2][1]), title)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
