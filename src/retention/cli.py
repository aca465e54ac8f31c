"""The ``retention`` command: retention KPIs of a transaction file, for reports and CI pipelines.

Usage::

    retention kpis PATH [--customer COL] [--date COL] [--amount COL] [--freq M] [--as-of DATE]
                        [--format table|json|csv] [--fail-under NAME=VALUE ...]
    retention kpis --example

Exit status: 0 when every KPI is at or above its floor, 1 when one falls short (each is named on stderr),
2 for bad usage, a file that cannot be read or data that cannot be used (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from retention import __version__
from retention.datasets import example_transactions
from retention.errors import MissingDependencyError, RetentionError
from retention.frames.kpis import KPI_NAMES, kpis

__all__ = ["main"]

_PARQUET_SUFFIXES = (".parquet", ".pq")


class _UsageError(Exception):
    """Bad command-line input that argparse cannot see (a KPI floor that names no KPI, say)."""


def _read_table(path: str, date: str) -> pd.DataFrame:
    file = Path(path)
    if not file.exists():
        msg = f"no such file: {path}"
        raise _UsageError(msg)
    if file.is_dir():
        msg = f"{path} is a folder; give a CSV or parquet file"
        raise _UsageError(msg)
    if file.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            import pyarrow  # noqa: F401, PLC0415  # optional extra: imported only when a parquet file is read
        except ImportError as e:
            msg = "reading parquet needs pyarrow: pip install 'retention-metrics[parquet]'"
            raise MissingDependencyError(msg) from e
        return pd.read_parquet(file)
    try:
        # Dates stay text here; the library's one schema check parses and validates them.
        return pd.read_csv(file, dtype={date: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        msg = f"cannot read {path} as CSV: {str(e).splitlines()[0]}"
        raise _UsageError(msg) from e


def _floors(items: Sequence[str]) -> dict[str, float]:
    floors: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in KPI_NAMES:
            known = ", ".join(KPI_NAMES)
            msg = f"--fail-under takes NAME=VALUE with NAME one of: {known}. Got {item!r}."
            raise _UsageError(msg)
        try:
            floors[name] = float(value)
        except ValueError as e:
            msg = f"--fail-under {item!r}: {value!r} is not a number"
            raise _UsageError(msg) from e
    return floors


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4f}"


def _render(values: pd.Series, fmt: str) -> str:
    header = {k: str(v) for k, v in values.attrs.items()}
    if fmt == "json":
        payload = {
            **header,
            "kpis": {k: (None if math.isnan(v) else float(v)) for k, v in values.items()},
        }
        return json.dumps(payload, indent=2)
    if fmt == "csv":
        lines = ["kpi,value"] + [
            f"{k},{'' if math.isnan(v) else repr(float(v))}" for k, v in values.items()
        ]
        return "\n".join(lines)
    width = max(len(str(k)) for k in values.index)
    lines = [f"{k}: {v}" for k, v in header.items()]
    lines += [f"{k!s:<{width}}  {_format_value(float(v)):>14}" for k, v in values.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention",
        description="Customer-retention metrics from a transaction log (CSV or parquet).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    k = commands.add_parser(
        "kpis",
        help="print the retention KPIs of a transaction file",
        description=(
            "Print the retention KPIs of a transaction file: one row per purchase with a customer id, a "
            "date and an amount. Exit status 1 when a KPI is under its --fail-under floor, 2 on bad input."
        ),
    )
    source = k.add_mutually_exclusive_group(required=True)
    source.add_argument("path", nargs="?", help="CSV or parquet file of transactions")
    source.add_argument("--example", action="store_true", help="use the built-in example data")
    k.add_argument("--customer", default="customer_id", metavar="COL", help="customer id column")
    k.add_argument("--date", default="date", metavar="COL", help="purchase date column")
    k.add_argument("--amount", default="amount", metavar="COL", help="amount column")
    k.add_argument("--freq", default="M", help="period: D, W, M, Q or Y (default M)")
    k.add_argument(
        "--as-of", default=None, metavar="DATE", help="observation end (default: last purchase day)"
    )
    k.add_argument(
        "--format", default="table", choices=("table", "json", "csv"), help="output format"
    )
    k.add_argument(
        "--fail-under",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="exit with status 1 if KPI NAME is under VALUE (or undefined); repeatable",
    )
    return parser


def _kpis_command(args: argparse.Namespace) -> int:
    floors = _floors(args.fail_under)
    tx = example_transactions() if args.example else _read_table(args.path, args.date)
    values = kpis(
        tx,
        freq=args.freq,
        customer_id=args.customer,
        date=args.date,
        amount=args.amount,
        observation_end=args.as_of,
    )
    print(_render(values, args.format))
    failed = 0
    for name, floor in floors.items():
        value = float(values[name])
        if math.isnan(value):
            print(
                f"retention: KPI {name} is undefined (n/a), so it cannot meet its floor {floor:g}",
                file=sys.stderr,
            )
            failed += 1
        elif value < floor:
            print(
                f"retention: KPI {name} = {value:.4g} is under its floor {floor:g}", file=sys.stderr
            )
            failed += 1
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``retention`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 success, 1 a KPI under its floor, 2 bad input.

    Examples
    --------
    >>> main(["kpis", "--example", "--format", "csv", "--fail-under", "customers=1"])  # doctest: +ELLIPSIS
    kpi,value
    customers,...
    0
    """
    args = _parser().parse_args(argv)
    try:
        return _kpis_command(args)
    except (RetentionError, _UsageError, OSError) as e:
        print(f"retention: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
