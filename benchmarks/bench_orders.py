"""Benchmark: what order_id= and by= cost on a log of order lines with returns.

Run from the project root:

    python benchmarks/bench_orders.py                        # 10M rows, 3 runs per contender
    python benchmarks/bench_orders.py --rows 1000000 --repeats 5
    python benchmarks/bench_orders.py --only by= --profile   # the by= cases, with a cProfile of each call

The data (``make_table``) is a line-item log as shops export it, built with numpy from one seeded
generator: ``--rows`` rows (default 10M) over 2023-01-01 to 2024-12-31, about 2.5 rows per order, one
customer per ten rows (1M customers at 10M rows), 5% of the rows in returns (whole orders of negative lines,
as cancellation invoices are), a ``group`` column with 50 channels ("g00" to "g49"). The rows of an order
share its customer, order id, timestamp and group, and the rows are shuffled.

Each case times one public call with the option against the same call without it, on the same DataFrame:

- ``order_id="order_id"`` on ``rt.kpis``, ``rt.cohort_table(metric="orders")`` and ``rt.rfm_scores``: an
  order is then one (customer, order id) instead of one row;
- ``by="group"`` on ``rt.kpis``, ``rt.cohort_table``, ``rt.period_retention`` and ``rt.rfm_scores``: one
  result per group (each customer in the group of their first purchase).

Before timing, the script checks both results of each case against pandas on the same data (it stops with an
AssertionError otherwise): with ``order_id``, the purchase frequency, the RFM frequency and the orders in the
cohort table count the distinct orders of positive net amount (``groupby`` of customer and order); without
it, the positive rows; with ``by``, each group holds the customers whose first purchase is in it, and the
groups' counts add up to the ungrouped ones. Those calls also warm both sides up. Then it times each
contender (the median of ``--repeats`` calls, ``time.perf_counter`` after ``gc.collect()``, the two
contenders' calls alternating so that a change in the machine's load falls on both) and prints one Markdown
table with their ratio and the issue's target: within 1.5x of the call without the option.

``rt.kpis`` without ``order_id`` warns (``RetentionWarning``) that the log looks like order lines, which is
the point of this data: every timed call runs with that warning silenced, on both sides.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _harness
import numpy as np
import pandas as pd

import retention as rt
from retention.errors import RetentionWarning

SEED = 2024
START = np.datetime64("2023-01-01T00:00:00", "s")
DAYS = 731  # 2023-01-01 to 2024-12-31: the last complete month is 2024-12
ROWS_PER_ORDER = 2.5
ROWS_PER_CUSTOMER = 10
RETURN_SHARE = 0.05  # of the rows
GROUPS = 50
HOME_GROUP = 0.8  # the chance that an order comes through the customer's usual channel
TARGET = 1.5  # with the option / without, at most (issue 9)


# --- data ---------------------------------------------------------------------------------------------------


def make_table(rows: int, seed: int = SEED) -> pd.DataFrame:
    """A shuffled log of ``rows`` order lines: customer_id, order_id, date, amount, group.

    Every customer has a first order at their acquisition time (uniform over the two years) and is never
    returned; the other orders go to customers in proportion to a Gamma(1) buying rate, at a uniform time
    after the first. Orders get one row each plus the remaining rows at random (so 1 + Poisson(1.5) rows,
    2.5 on average). Whole orders other than first orders, drawn at random, become returns until they hold
    5% of the rows. An order's channel is its customer's usual one 80% of the time, else any of the 50;
    usual channels and channels are skewed (channel k weighs 1 / (k + 5)).
    """
    rng = np.random.default_rng(seed)
    customers = max(1, rows // ROWS_PER_CUSTOMER)
    orders = max(customers, round(rows / ROWS_PER_ORDER))
    rows = max(rows, orders)

    # Orders -> customers: the first `customers` orders are the customers' first purchases.
    rate = rng.gamma(1.0, size=customers)
    customer_of_order = np.concatenate(
        [
            np.arange(customers),
            rng.choice(customers, size=orders - customers, p=rate / rate.sum()),
        ]
    )
    # Timestamps in whole seconds: the first order at the acquisition time, the others strictly later.
    span = DAYS * 86_400
    acquired = rng.integers(0, span - 1, size=customers)
    after = acquired[customer_of_order[customers:]]
    second = np.concatenate(
        [
            acquired,
            after + 1 + (rng.random(orders - customers) * (span - 1 - after)).astype(np.int64),
        ]
    )
    # Channels.
    weights = 1.0 / (np.arange(GROUPS) + 5.0)
    weights /= weights.sum()
    home = rng.choice(GROUPS, size=customers, p=weights)
    group_of_order = np.where(
        rng.random(orders) < HOME_GROUP,
        home[customer_of_order],
        rng.choice(GROUPS, size=orders, p=weights),
    )
    # Rows -> orders: one row per order, the rest at random.
    order_of_row = np.concatenate([np.arange(orders), rng.integers(0, orders, size=rows - orders)])
    lines = np.bincount(order_of_row, minlength=orders)
    # Returns: whole orders (not first orders) in random order until they hold 5% of the rows.
    candidates = rng.permutation(np.arange(customers, orders))
    returned = candidates[np.cumsum(lines[candidates]) <= RETURN_SHARE * rows]
    sign = np.ones(orders)
    sign[returned] = -1.0
    # Line amounts: log-normal prices in whole cents, at least 0.01.
    cents = np.maximum(1, np.round(np.exp(rng.normal(7.0, 0.9, size=rows))))
    amount = sign[order_of_row] * cents / 100

    customer_ids = (
        rng.permutation(customers).astype(np.int64) + 1
    )  # dense ids, in no particular order
    order_ids = rng.permutation(orders).astype(np.int64)  # 0..orders-1, in no particular order
    labels = np.array([f"g{k:02d}" for k in range(GROUPS)])
    shuffle = rng.permutation(rows)
    order_of_row = order_of_row[shuffle]
    return pd.DataFrame(
        {
            "customer_id": customer_ids[customer_of_order[order_of_row]],
            "order_id": order_ids[order_of_row],
            "date": (START + second[order_of_row]).astype("datetime64[ns]"),
            "amount": amount[shuffle],
            "group": labels[group_of_order[order_of_row]],
        }
    )


# --- the pandas reference for the checks --------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """What the checks compare with, computed once with pandas on the same table."""

    orders: pd.Series  # distinct orders of positive net amount per customer
    rows: pd.Series  # rows of positive amount per customer
    group: pd.Series  # the group of each customer's first purchase
    orders_in_complete_months: int
    rows_in_complete_months: int

    @classmethod
    def of(cls, tx: pd.DataFrame) -> Reference:
        orders = tx.groupby(["customer_id", "order_id"]).agg(
            amount=("amount", "sum"), date=("date", "min"), group=("group", "first")
        )
        bought = orders[orders["amount"] >= 0]  # a return nets to a negative amount
        first = bought.sort_values("date").groupby(level="customer_id")["group"].first()
        positive = tx[tx["amount"] >= 0]
        last = tx["date"].max()
        month = last.to_period("M")
        if (last + pd.Timedelta(days=1)).to_period("M") == month:
            month -= 1
        end = (month + 1).start_time  # the first moment after the last complete month
        return cls(
            orders=bought.groupby(level="customer_id").size(),
            rows=positive.groupby("customer_id").size(),
            group=first.sort_index(),
            orders_in_complete_months=int((bought["date"] < end).sum()),
            rows_in_complete_months=int((positive["date"] < end).sum()),
        )


def _equal_counts(ours: pd.Series, expected: pd.Series, what: str) -> None:
    pd.testing.assert_series_equal(
        ours.astype(np.int64), expected.astype(np.int64), check_names=False, obj=what
    )


def check_kpis_orders(with_: pd.Series, without: pd.Series, ref: Reference) -> None:
    assert with_["customers"] == len(ref.orders) == without["customers"]
    np.testing.assert_allclose(with_["purchase_frequency"], ref.orders.mean(), rtol=1e-12)
    np.testing.assert_allclose(without["purchase_frequency"], ref.rows.mean(), rtol=1e-12)


def check_cohort_orders(with_: pd.DataFrame, without: pd.DataFrame, ref: Reference) -> None:
    assert np.nansum(with_.to_numpy()) == ref.orders_in_complete_months
    assert np.nansum(without.to_numpy()) == ref.rows_in_complete_months


def check_rfm_orders(with_: pd.DataFrame, without: pd.DataFrame, ref: Reference) -> None:
    _equal_counts(with_["frequency"], ref.orders, "rfm_scores(order_id=...).frequency")
    _equal_counts(without["frequency"], ref.rows, "rfm_scores().frequency")


def check_kpis_by(with_: pd.Series, without: pd.Series, ref: Reference) -> None:
    customers = with_.xs("customers", level="kpi")
    _equal_counts(customers, ref.group.value_counts().sort_index(), "customers by group")
    assert customers.sum() == without["customers"]


def check_cohort_by(with_: pd.DataFrame, without: pd.DataFrame, ref: Reference) -> None:
    sizes = (
        with_[0].groupby(level="group").sum()
    )  # the cohorts' sizes; every month here is complete
    _equal_counts(sizes, ref.group.value_counts().sort_index(), "cohort sizes by group")
    added = with_.groupby(level="cohort").sum(
        min_count=1
    )  # NaN (not observed yet) in every group alike
    pd.testing.assert_frame_equal(added, without, check_names=False, check_exact=True)


def check_period_by(with_: pd.DataFrame, without: pd.DataFrame, ref: Reference) -> None:
    counts = ["customers_start", "new", "reactivated", "retained", "churned", "customers_end"]
    added = with_[counts].groupby(level="period").sum().reindex(without.index, fill_value=0)
    pd.testing.assert_frame_equal(added, without[counts], check_names=False, check_exact=True)
    assert added["new"].sum() == len(ref.group)


def check_rfm_by(with_: pd.DataFrame, without: pd.DataFrame, ref: Reference) -> None:
    groups = with_.index.get_level_values("group")
    ids = with_.index.get_level_values("customer_id")
    pd.testing.assert_series_equal(
        pd.Series(groups, index=ids).sort_index(), ref.group, check_names=False
    )
    # Recency, frequency and monetary are the customer's own; only the scores are within the group.
    values = with_.droplevel("group")[["recency", "frequency", "monetary"]].sort_index()
    pd.testing.assert_frame_equal(values, without[["recency", "frequency", "monetary"]])


# --- cases --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One row of the table: the call with the option, the same call without it, and their check."""

    name: str
    function: Callable[..., Any]
    options: dict[str, Any]
    base: dict[str, Any]
    check: Callable[[Any, Any, Reference], None]


CASES = [
    Case(
        'kpis, order_id="order_id"',
        rt.kpis,
        {"order_id": "order_id"},
        {},
        check_kpis_orders,
    ),
    Case(
        'cohort_table(metric="orders"), order_id="order_id"',
        rt.cohort_table,
        {"metric": "orders", "order_id": "order_id"},
        {"metric": "orders"},
        check_cohort_orders,
    ),
    Case(
        'rfm_scores, order_id="order_id"',
        rt.rfm_scores,
        {"order_id": "order_id"},
        {},
        check_rfm_orders,
    ),
    Case('kpis, by="group"', rt.kpis, {"by": "group"}, {}, check_kpis_by),
    Case('cohort_table, by="group"', rt.cohort_table, {"by": "group"}, {}, check_cohort_by),
    Case('period_retention, by="group"', rt.period_retention, {"by": "group"}, {}, check_period_by),
    Case('rfm_scores, by="group"', rt.rfm_scores, {"by": "group"}, {}, check_rfm_by),
]


def _call(function: Callable[..., Any], tx: pd.DataFrame, options: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        # kpis without order_id says the table looks like order lines: true, and not what is timed.
        warnings.simplefilter("ignore", RetentionWarning)
        return function(tx, **options)


def _warns_of_lines(tx: pd.DataFrame) -> bool:
    """Whether ``rt.kpis`` without ``order_id`` sees order lines in this table (it should)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        rt.kpis(tx)
    return any(issubclass(w.category, RetentionWarning) for w in caught)


def describe(tx: pd.DataFrame) -> str:
    """The table's size in one line: rows, orders, customers, the share of return rows, groups."""
    orders = len(tx[["customer_id", "order_id"]].drop_duplicates())
    returns = float((tx["amount"] < 0).mean())
    return (
        f"{len(tx):,} rows, {orders:,} orders, {tx['customer_id'].nunique():,} customers, "
        f"{returns:.1%} of the rows in returns, {tx['group'].nunique()} groups"
    )


def run(case: Case, tx: pd.DataFrame, ref: Reference, *, repeats: int, profile: bool) -> list[str]:
    """Check and time one case: its table row, then its profiles (``profile``)."""

    def with_option() -> Any:
        return _call(case.function, tx, case.options)

    def without() -> Any:
        return _call(case.function, tx, case.base)

    try:
        result = with_option()
    except (
        TypeError
    ) as e:  # an option not there yet (the API is being extended): a row, not a crash
        print(f"  failed: {type(e).__name__}: {e}", file=sys.stderr)
        return [f"| {case.name} | failed | | | <= {TARGET}x | |"]
    case.check(result, without(), ref)
    del result
    print("  same results as pandas: yes", file=sys.stderr)
    times = _harness.alternating_medians({"with": with_option, "without": without}, repeats)
    t_with, t_without = times["with"], times["without"]
    ratio = t_with / t_without
    print(f"  {t_with:.3f} s with, {t_without:.3f} s without: {ratio:.2f}x", file=sys.stderr)
    met = "yes" if ratio <= TARGET else "**no**"
    out = [
        f"| {case.name} | {t_with:.3f} | {t_without:.3f} | {ratio:.2f}x | <= {TARGET}x | {met} |"
    ]
    if profile:
        out.append(_harness.profile(with_option, f"{case.name}, {len(tx):,} rows"))
        out.append(_harness.profile(without, f"{case.name}, without the option, {len(tx):,} rows"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="order lines in the log")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per contender (median)")
    parser.add_argument(
        "--only", default=None, help="run only the cases whose name contains this text"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one call of each contender of each case"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.rows < 100:
        parser.error("--rows must be at least 100")
    cases = [case for case in CASES if not args.only or args.only in case.name]
    if not cases:
        parser.error(f"no case name contains {args.only!r}")

    about = _harness.machine()
    began = time.perf_counter()
    tx = make_table(args.rows)
    made = time.perf_counter() - began
    shape = describe(tx)
    size = int(tx.memory_usage(deep=True).sum())
    print(f"{shape}; {size / 2**20:.0f} MiB, made in {made:.1f} s", file=sys.stderr)
    assert _warns_of_lines(tx), "rt.kpis should warn that this log holds order lines"
    began = time.perf_counter()
    ref = Reference.of(tx)
    print(f"pandas reference in {time.perf_counter() - began:.1f} s", file=sys.stderr)

    lines = [
        "| case | with (s) | without (s) | with / without | target | met |",
        "|---|---|---|---|---|---|",
    ]
    profiles = []
    for case in cases:
        print(f"running: {case.name}", file=sys.stderr)
        row, *texts = run(case, tx, ref, repeats=args.repeats, profile=args.profile)
        lines.append(row)
        profiles.extend(texts)
        gc.collect()

    print(f"{about}; median of {args.repeats} runs\n\n{shape}\n")
    print("\n".join(lines))
    for text in profiles:
        print(f"\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
