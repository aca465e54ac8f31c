"""The ``retention`` command: retention KPIs and the HTML report of a transaction file.

Usage::

    retention kpis PATH [--customer COL] [--date COL] [--amount COL] [--order-id COL] [--by COL ...]
                        [--freq M] [--observation-end DATE] [--returns net|drop] [--drop-missing-ids]
                        [--sep SEP] [--decimal CHAR] [--encoding NAME] [--date-format FORMAT]
                        [--format table|json|csv] [--fail-under NAME=VALUE ...]
    retention kpis --example [...]
    retention kpis - [...] < orders.csv
    retention report PATH -o FILE.html [--title TEXT] [the reading options of kpis ...]

PATH is a CSV file (any separator: ``,`` ``;`` tab or ``|`` is recognised from the file unless ``--sep``
is given), optionally compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``, ``.zst``, ``.tar``), a parquet file
(``.parquet``, ``.pq``; extra ``parquet``) or an Excel workbook (``.xlsx``, ``.xlsm``; extra ``excel``; the
first sheet is read). Only regular files are read: a named pipe, a device or a folder is refused before it
is opened (opening a pipe without a writer would wait forever). ``-`` reads CSV text from standard input,
plain or compressed with gzip, bzip2, xz or zstd (recognised from its first bytes). ``--as-of`` is another
name of ``--observation-end``.

Standard error carries one line per note (``retention: dropped N rows without a customer id``), per warning
(``retention: warning: ...``) and per KPI under its floor; an error is one line (``retention: error: ...``).

Exit status: 0 when every KPI is at or above its floor, 1 when one falls short (each is named on stderr),
2 for bad usage, a file that cannot be read or data that cannot be used (one line on stderr, no traceback).
Status 1 never means anything but a missed floor, so that a CI job can tell a bad KPI from a broken input.
3 is an unexpected error, a bug of this package or of one it uses: one line, then the traceback to report.
``retention report`` writes the page of :func:`retention.report` and exits with 0, or 2 or 3 as above.

This module parses the command line and prints the results; :mod:`retention.table_files` reads the file.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, cast

from retention import __version__
from retention.errors import (
    RetentionError,
    RetentionWarning,
)
from retention.table_files import (
    SEPARATOR_NAMES,
    Columns,
    ReadError,
    Table,
    first_line,
    one_line,
    read_table,
    sniff_separator,
    text_codec,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# numpy, pandas and the library's functions are imported where they are used, after the arguments are
# read: `retention --help` and a usage error then answer at once, without loading them.

__all__ = ["main"]

# tests/test_cli.py checks the separator sniffer where it checks the command.
_sniff_separator = sniff_separator


class _UsageError(Exception):
    """Bad command-line input that argparse cannot see (a KPI floor that names no KPI, say)."""


_EXIT_STATUS: Final = """exit status:
  0  the KPIs were computed and every --fail-under floor is met
  1  a KPI is under its --fail-under floor, or undefined, in at least one group
     (and nothing else: a broken input is never 1)
  2  bad options, or a file that cannot be read or used: one line on stderr
     (retention: error: ...), never a traceback
  3  an unexpected error (a bug): one line on stderr (retention: internal error: ...),
     then the traceback to report"""

_REPORT_EXIT_STATUS: Final = """exit status:
  0  the report was written
  2  bad options, or a file that cannot be read or used, or matplotlib missing:
     one line on stderr (retention: error: ...), never a traceback
  3  an unexpected error (a bug): one line on stderr (retention: internal error: ...),
     then the traceback to report"""


def _separator(value: str | None) -> str | None:
    if value is None:
        return None
    sep = SEPARATOR_NAMES.get(value.lower(), value)
    if len(sep) != 1 or sep in '"\r\n':
        msg = f"--sep takes one character (or 'tab'). Got {value!r}."
        raise _UsageError(msg)
    return sep


def _check_text_options(args: argparse.Namespace) -> None:
    """Check the options of reading text files, whatever is read (so that a typo shows at once)."""
    _separator(args.sep)
    if len(args.decimal) != 1 or args.decimal in '"\r\n':
        msg = f"--decimal takes one character, e.g. ','. Got {args.decimal!r}."
        raise _UsageError(msg)
    if args.encoding is not None:
        text_codec(args.encoding)


# ---------------------------------------------------------------------------------- preparing rows


def _drop_missing_ids(tx: pd.DataFrame, column: str) -> tuple[pd.DataFrame, int]:
    """Drop the rows without a customer id; the library then names any other problem."""
    import pandas as pd

    if column not in tx.columns or isinstance(tx[column], pd.DataFrame):
        return tx, 0  # a missing or duplicated column: the library's error says so
    missing = tx[column].isna().to_numpy()
    dropped = int(missing.sum())
    return (tx.loc[~missing] if dropped else tx), dropped


def _first_bad_cell(col: pd.Series, bad: np.ndarray[Any, Any], table: Table) -> str:
    """Say the first cell marked ``bad``, where it is in the file, and how many more there are."""
    import numpy as np

    first = int(np.flatnonzero(bad)[0])
    more = int(bad.sum()) - 1
    rest = f" (and {more:,} more row{'s' if more != 1 else ''})" if more else ""
    return f"{col.iloc[first]!r} at {table.where(col.index[first])}{rest}"


def _parse_dates(tx: pd.DataFrame, column: str, fmt: str, table: Table) -> pd.DataFrame:
    """Parse the date column with a strptime format; the first value that does not match is an error."""
    import pandas as pd

    if column not in tx.columns or isinstance(tx[column], pd.DataFrame):
        return tx  # the library names the missing column
    col = tx[column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return tx  # already dates (parquet, Excel date cells): there is nothing to parse
    try:
        parsed = pd.to_datetime(col, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError) as e:
        msg = f"cannot parse column {column!r} with --date-format {fmt!r}: {first_line(e)}"
        raise ReadError(msg) from e
    except re.error as e:
        # strptime compiles the format into a regular expression with one named group per field, so a
        # field given twice ('%d %d', or %d next to %c, which holds it) cannot be compiled.
        field = re.search(r"group name '(\w+)'", str(e))
        what = f"it gives the field %{field[1]} twice" if field else first_line(e)
        msg = f"cannot parse column {column!r} with --date-format {fmt!r}: {what}; give each field once, e.g. --date-format '%d.%m.%Y'"
        raise ReadError(msg) from e
    # Missing dates stay missing: the library names them as such.
    bad = (parsed.isna() & col.notna()).to_numpy()
    if bad.any():
        msg = f"column {column!r} does not match --date-format {fmt!r}: {_first_bad_cell(col, bad, table)}"
        raise ReadError(msg)
    return tx.assign(**{column: parsed})


def _last_purchase(tx: pd.DataFrame, date: str, amount: str) -> pd.Timestamp | None:
    """Return the day of the last purchase (a row not of negative amount), or None if unknown."""
    import pandas as pd

    if date not in tx.columns or isinstance(tx[date], pd.DataFrame):
        return None
    col = tx[date]
    if amount in tx.columns and not isinstance(tx[amount], pd.DataFrame):
        amounts = tx[amount]
        if pd.api.types.is_numeric_dtype(amounts.dtype) and not pd.api.types.is_bool_dtype(
            amounts.dtype
        ):
            col = col[(amounts >= 0).to_numpy()]
    if not pd.api.types.is_datetime64_any_dtype(col.dtype):
        # Text dates, parsed as the library parses them; each distinct value once.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                col = pd.Series(pd.to_datetime(col.dropna().unique(), format="ISO8601"))
            except (ValueError, TypeError, OverflowError):
                return None
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_localize(None)  # local wall-clock time, as the library reads it
    last = col.max()
    return None if pd.isna(last) else pd.Timestamp(last).normalize()


# ------------------------------------------------------------------------------------------ output


def _floors(items: Sequence[str]) -> dict[str, float]:
    """Read the ``--fail-under NAME=VALUE`` floors: a KPI name and a finite number each.

    A floor of NaN could never be missed (no comparison with NaN is true) and one of infinity never met
    (or, at minus infinity, never missed), so the check would be a no-op or always fail: refused.

    Examples
    --------
    >>> _floors(["crr=0.4", " customers = 1e3"])
    {'crr': 0.4, 'customers': 1000.0}
    >>> _floors(["crr=nan"])
    Traceback (most recent call last):
    ...
    retention.cli._UsageError: --fail-under 'crr=nan': the floor must be a finite number, and nan is not one (no KPI is ever under nan, so the check could never fail). Give a number, e.g. --fail-under crr=0.5.
    """
    from retention.frames.kpis import KPI_NAMES

    floors: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in KPI_NAMES:
            known = ", ".join(KPI_NAMES)
            msg = f"--fail-under takes NAME=VALUE with NAME one of: {known}. Got {item!r}."
            raise _UsageError(msg)
        try:
            floor = float(value)
        except ValueError as e:
            msg = f"--fail-under {item!r}: {value!r} is not a number"
            raise _UsageError(msg) from e
        if not math.isfinite(floor):
            if math.isnan(floor):
                why = "no KPI is ever under nan, so the check could never fail"
            elif floor > 0:
                why = "no KPI reaches it, so the check would always fail"
            else:
                why = "every KPI is above it, so the check could never fail"
            msg = f"--fail-under {item!r}: the floor must be a finite number, and {value.strip()} is not one ({why}). Give a number, e.g. --fail-under {name}=0.5."
            raise _UsageError(msg)
        floors[name] = floor
    return floors


_Group = tuple[tuple[object, ...], dict[str, float]]


def _groups(values: pd.Series) -> tuple[list[str], list[_Group]]:
    """Return the group columns, and per group (in the library's order) its labels and its KPIs.

    Without a breakdown there is one group with no labels. A missing label becomes None.
    """
    from retention.frames.breakdown import is_missing_label

    if values.index.nlevels == 1:
        return [], [((), {str(k): float(v) for k, v in values.items()})]
    names = [str(n) for n in values.index.names[:-1]]
    groups: dict[tuple[object, ...], dict[str, float]] = {}
    for key, value in values.items():
        parts = cast(tuple[object, ...], key)  # MultiIndex keys are tuples
        label = tuple(None if is_missing_label(v) else v for v in parts[:-1])
        groups.setdefault(label, {})[str(parts[-1])] = float(value)
    return names, list(groups.items())


def _label_text(value: object) -> str:
    return "(missing)" if value is None else str(value)


def _group_text(names: Sequence[str], labels: Sequence[object]) -> str:
    return ", ".join(f"{n}={_label_text(v)}" for n, v in zip(names, labels, strict=True))


def _json_label(value: object) -> object:
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)  # dates, periods, ...


def _json_value(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4f}"


def _render(values: pd.Series, fmt: str) -> str:
    header = {str(k): str(v) for k, v in values.attrs.items()}
    names, groups = _groups(values)
    if fmt == "json":
        if not names:
            payload: dict[str, object] = {
                **header,
                "kpis": {k: _json_value(v) for k, v in groups[0][1].items()},
            }
        else:
            payload = {
                **header,
                "by": names,
                "groups": [
                    {
                        "group": {n: _json_label(v) for n, v in zip(names, labels, strict=True)},
                        "kpis": {k: _json_value(v) for k, v in kpis_.items()},
                    }
                    for labels, kpis_ in groups
                ],
            }
        return json.dumps(payload, indent=2)
    if fmt == "csv":
        # One tidy table: the group columns, the KPI and its value, then the header values repeated on
        # every row, so that the file loads as it is and still says what it measured.
        out = _Lines()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*names, "kpi", "value", *header])
        for labels, kpis_ in groups:
            cells = ["" if v is None else str(v) for v in labels]
            for k, v in kpis_.items():
                writer.writerow([*cells, k, "" if math.isnan(v) else repr(v), *header.values()])
        return "".join(out.parts).rstrip("\n")
    width = max((len(k) for _, kpis_ in groups for k in kpis_), default=0)
    lines = [f"{k}: {v}" for k, v in header.items()]
    if names and not groups:  # no customers, so no groups: said where the blocks would be
        lines += ["", f"(no groups by {', '.join(names)}: no customer made a purchase)"]
    for labels, kpis_ in groups:
        indent = ""
        if names:
            lines += ["", _group_text(names, labels)]
            indent = "  "
        lines += [f"{indent}{k:<{width}}  {_format_value(v):>14}" for k, v in kpis_.items()]
    return "\n".join(lines)


class _Lines:
    """A minimal text sink for csv.writer."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)


# ----------------------------------------------------------------------------------------- command


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` on one line, with where to find the usage, and exit with status 2."""
        self.exit(2, f"retention: error: {one_line(message)}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="retention",
        description="Customer-retention metrics from a transaction log (CSV, parquet or Excel).",
        epilog=_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    k = commands.add_parser(
        "kpis",
        help="print the retention KPIs of a transaction file",
        description=(
            "Print the retention KPIs of a transaction file: one row per purchase (or order\n"
            "line) with a customer id, a date and an amount."
        ),
        epilog=_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_table_options(k, what="KPIs")
    k.add_argument(
        "--format", default="table", choices=("table", "json", "csv"), help="output format"
    )
    k.add_argument(
        "--fail-under",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="exit with status 1 if KPI NAME is under VALUE (or undefined), in any group (or --by finds no group); repeatable",
    )
    r = commands.add_parser(
        "report",
        help="write the retention report of a transaction file: one self-contained HTML page",
        description=(
            "Write the retention report of a transaction file (KPIs, period retention, cohorts,\n"
            "survival, segments, ABC/XYZ, top customers by predicted value) as one HTML file that\n"
            "opens in any browser without network access. Needs matplotlib (the plot extra)."
        ),
        epilog=_REPORT_EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.html",
        help="the HTML file to write (replaced if it exists)",
    )
    r.add_argument("--title", default="Retention report", help="the page's title")
    _add_table_options(r, what="report")
    return parser


def _add_table_options(command: argparse.ArgumentParser, *, what: str) -> None:
    """Add the options of reading a transaction file, shared by every subcommand."""
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "path",
        nargs="?",
        help="CSV file (optionally .gz, .bz2, .xz, .zip, .zst), parquet (.parquet, .pq) or .xlsx; "
        "- reads CSV text from standard input",
    )
    source.add_argument("--example", action="store_true", help="use the built-in example data")
    columns = command.add_argument_group("columns")
    columns.add_argument(
        "--customer", default="customer_id", metavar="COL", help="customer id column"
    )
    columns.add_argument("--date", default="date", metavar="COL", help="purchase date column")
    columns.add_argument(
        "--date-format",
        default=None,
        metavar="FORMAT",
        help="strptime format of text dates, e.g. %%d.%%m.%%Y (default: ISO 8601, parsed by the library)",
    )
    columns.add_argument(
        "--amount", default="amount", metavar="COL", help="amount column (used when present)"
    )
    columns.add_argument(
        "--order-id",
        default=None,
        metavar="COL",
        help="order (invoice) id column, for files with one row per order line",
    )
    columns.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="COL",
        help=f"break the {what} down by this column (each customer's value on their first purchase); repeatable",
    )
    kpi = command.add_argument_group(what)
    kpi.add_argument("--freq", default="M", help="period: D, W, M, Q or Y (default M)")
    kpi.add_argument(
        "--observation-end",
        "--as-of",
        dest="observation_end",
        default=None,
        metavar="DATE",
        help="last day observed, inclusive (default: the last purchase day)",
    )
    kpi.add_argument(
        "--returns",
        default="net",
        choices=("net", "drop"),
        help="rows of negative amount: returns netted against revenue (net, default) or ignored (drop)",
    )
    kpi.add_argument(
        "--drop-missing-ids",
        action="store_true",
        help="drop rows without a customer id (their count is printed on stderr) instead of failing",
    )
    reading = command.add_argument_group("CSV files")
    reading.add_argument(
        "--sep",
        default=None,
        metavar="SEP",
        help="separator: one character or 'tab' (default: recognised from the file among , ; tab |)",
    )
    reading.add_argument(
        "--decimal", default=".", metavar="CHAR", help="decimal mark of numbers (default .)"
    )
    reading.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="text encoding (default utf-8, with or without a byte-order mark)",
    )


def _load(args: argparse.Namespace) -> Table:
    from retention.datasets import example_transactions

    if args.example:
        return Table(example_transactions(), "row", 1)
    columns = Columns(
        required=(args.customer, args.date, *([args.order_id] if args.order_id else []), *args.by),
        amount=args.amount,
        date=args.date,
        ids=(args.customer, *([args.order_id] if args.order_id else [])),
        groups=tuple(args.by),
    )
    return read_table(
        args.path,
        columns,
        sep=_separator(args.sep),
        decimal=args.decimal,
        encoding=args.encoding,
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the library's options from the command's; of the optional ones, those not at their defaults."""
    options: dict[str, Any] = {
        "freq": args.freq,
        "customer_id": args.customer,
        "date": args.date,
        "amount": args.amount,
        "observation_end": args.observation_end,
    }
    if args.order_id is not None:
        options["order_id"] = args.order_id
    if args.returns != "net":
        options["returns"] = args.returns
    if args.by:
        options["by"] = args.by[0] if len(args.by) == 1 else list(args.by)
    return options


def _compute(tx: pd.DataFrame, args: argparse.Namespace) -> tuple[pd.Series, list[str]]:
    """Run ``rt.kpis``; return its result and its RetentionWarnings, one line each."""
    from retention.frames.kpis import kpis

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        values = kpis(tx, **_options(args))
    lines: list[str] = []
    for w in caught:
        if issubclass(w.category, RetentionWarning):
            line = f"retention: warning: {one_line(w.message)}"
            if line not in lines:  # the same warning for every group is said once
                lines.append(line)
        else:  # not ours to reword: let Python's filters decide what to do with it
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return values, lines


def _print_output(text: str) -> None:
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # The reader went away (`retention kpis ... | head`). Later writes go nowhere, and the floors
        # still decide the exit status.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


# The library's fixes in the command's words: its parameters are the command's options here.
_OPTIONS: Final = {
    "customer_id": "--customer",
    "date": "--date",
    "amount": "--amount",
    "order_id": "--order-id",
    "by": "--by",
}
_PYTHON_FIXES: Final = (
    # (what the library says, what the command says instead)
    (r"Convert it with pd\.to_datetime\(tx\[[^]]*\]\) or pass", "Pass"),
    (r" ?Or pass amount=None to read no amounts \(no row is then a return\)\.", ""),
    (r"pass order_id=None to count every row as an order", "leave out --order-id to count every row as an order"),
    (r"If they are epoch seconds, convert with pd\.to_datetime\([^)]*\)\.", "Write them as dates, e.g. 2024-12-31, or give their format with --date-format."),
    (r"Convert them to one timezone first, e\.g\. pd\.to_datetime\(.*\)\.(?=$| )", "Write them all in one timezone, or all with a UTC offset."),
    (r"\b(customer_id|date|amount|order_id|by)=\.\.\.", lambda m: f"{_OPTIONS[m[1]]} COL."),
    (r"\bor pass by=None\b", "or leave out --by"),
)  # fmt: skip


def _with_command_hint(
    error: RetentionError, args: argparse.Namespace, tx: pd.DataFrame, table: Table
) -> RetentionError:
    """Return the library's error in the command's words, with the command's own way out where there is one.

    Its parameters are said as the command's options (``date=...`` as ``--date COL``), the fixes that
    only Python can apply are left out or said for a file, and a row is said as the file numbers it
    (``line 7``), not by its position in the table (``index 5``).
    """
    text = str(error)
    if "(the amount column)" in text and "must hold numbers" in text:
        found = _first_bad_amount(tx, args.amount, table)
        if found is not None:
            return type(error)(found)
    for pattern, replacement in _PYTHON_FIXES:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\bat index (\d+)\b", lambda m: f"at {table.where(int(m[1]))}", text)
    if not args.drop_missing_ids and "(the customer_id column)" in text and "missing" in text:
        text = f"{text} Or pass --drop-missing-ids to drop them."
    if args.date_format is None and "(the date column)" in text and "not dates" in text:
        text = (
            f"{text} Or give their format with --date-format, e.g. --date-format '%d.%m.%Y %H:%M'."
        )
    return type(error)(text)


def _first_bad_amount(tx: pd.DataFrame, column: str, table: Table) -> str | None:
    """Say which cell of an amount column of text is not a number, and where, or return None.

    The library says only that the column does not hold numbers; here the file is at hand.
    """
    import pandas as pd

    col = tx.get(column)
    if not isinstance(col, pd.Series) or pd.api.types.is_numeric_dtype(col.dtype):
        return None
    bad = (pd.to_numeric(col, errors="coerce").isna() & col.notna()).to_numpy()
    if not bad.any():
        return None
    return (
        f"column {column!r} (the amounts) must hold numbers: {_first_bad_cell(col, bad, table)} is not "
        "one; write plain numbers (12.50, or 12,50 with --decimal ,) without currency signs or separators "
        "of thousands, or give the right column with --amount COL"
    )


def _prepared(args: argparse.Namespace) -> tuple[pd.DataFrame, Table, list[str]]:
    """Read the table and apply --drop-missing-ids and --date-format; return it, as read, and the notes.

    The notes are printed once the results are computed, so that an error stays one line.
    """
    _check_text_options(args)
    table = _load(args)
    tx = table.frame
    notes: list[str] = []
    if args.drop_missing_ids:
        tx, dropped = _drop_missing_ids(tx, args.customer)
        if dropped:
            rows = "row" if dropped == 1 else "rows"
            notes.append(f"retention: dropped {dropped:,} {rows} without a customer id")
    if args.date_format is not None:
        tx = _parse_dates(tx, args.date, args.date_format, table)
    return tx, table, notes


def _late_end_notes(
    tx: pd.DataFrame, args: argparse.Namespace, observation_end: object
) -> list[str]:
    """Warn when --observation-end lies after the last purchase (those days count as without purchases)."""
    import pandas as pd

    if args.observation_end is None or not observation_end:
        return []
    last = _last_purchase(tx, args.date, args.amount)
    end = pd.Timestamp(str(observation_end))
    if last is None or end <= last:
        return []
    days = (end - last).days
    return [
        f"retention: warning: the observation end {end:%Y-%m-%d} is {days:,} day"
        f"{'s' if days != 1 else ''} after the last purchase ({last:%Y-%m-%d}); those days "
        "count as observed days without purchases"
    ]


def _kpis_command(args: argparse.Namespace) -> int:
    floors = _floors(args.fail_under)
    tx, table, notes = _prepared(args)
    try:
        values, warned = _compute(tx, args)
    except RetentionError as e:
        raise _with_command_hint(e, args, tx, table) from e
    notes += warned
    notes += _late_end_notes(tx, args, values.attrs.get("observation_end"))
    for line in notes:
        print(line, file=sys.stderr)
    _print_output(_render(values, args.format))
    missed = _missed_floors(values, floors)
    for line in missed:
        print(line, file=sys.stderr)
    return 1 if missed else 0


def _missed_floors(values: pd.Series, floors: dict[str, float]) -> list[str]:
    """Return one line per KPI and group under its floor, or undefined there.

    A breakdown without groups (no customer made a purchase) defines no KPI, so it meets no floor: data
    that miss a floor without ``--by`` (where every KPI but the count of customers is undefined) do not
    meet it with ``--by`` because no group is left to miss it.
    """
    names, groups = _groups(values)
    if names and not groups:
        by = ", ".join(names)
        return [
            f"retention: KPI {name} is undefined (n/a) with no groups by {by}, so it cannot meet its floor {floor:g}"
            for name, floor in floors.items()
        ]
    lines: list[str] = []
    for labels, kpis_ in groups:
        where = f" in group {_group_text(names, labels)}" if names else ""
        for name, floor in floors.items():
            value = kpis_.get(name, math.nan)
            if math.isnan(value):
                lines.append(
                    f"retention: KPI {name} is undefined (n/a){where}, so it cannot meet its floor {floor:g}"
                )
            elif value < floor:
                lines.append(
                    f"retention: KPI {name} = {value:.4g} is under its floor {floor:g}{where}"
                )
    return lines


def _report_command(args: argparse.Namespace) -> int:
    from retention.report import report

    output = Path(args.output)
    if not output.parent.is_dir():  # said before the report is computed, not after
        msg = f"cannot write {output}: the folder {output.parent} does not exist; create it or give another -o path"
        raise _UsageError(msg)
    tx, table, notes = _prepared(args)
    try:
        page = report(tx, title=args.title, **_options(args))
    except RetentionError as e:
        raise _with_command_hint(e, args, tx, table) from e
    notes += _late_end_notes(tx, args, page.kpis.attrs.get("observation_end"))
    try:
        path = page.save(output)
    except OSError as e:
        msg = f"cannot write {output}: {e.strerror or first_line(e)}"
        raise _UsageError(msg) from e
    for line in notes:
        print(line, file=sys.stderr)
    size = path.stat().st_size
    print(f"retention: wrote {path} ({size:,} bytes)", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``retention`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 when the KPIs were computed and every ``--fail-under`` floor is met; 1 when a
        KPI is under its floor (or undefined), and for nothing else; 2 for bad options or a file that
        cannot be read or used, with one line on stderr and no traceback; 3 for an unexpected error (a
        bug), with one line and then the traceback. (Errors of the options that argparse checks exit with
        status 2 too, through ``SystemExit``.)

    Examples
    --------
    >>> main(["kpis", "--example", "--format", "csv", "--fail-under", "customers=1"])  # doctest: +ELLIPSIS
    kpi,value,observation_end,freq,period
    customers,...,2024-12-31,M,2024-12
    ...
    0
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return _report_command(args)
        return _kpis_command(args)
    except (RetentionError, _UsageError, ReadError, OSError) as e:
        print(f"retention: error: {one_line(e)}", file=sys.stderr)
        return 2
    except (
        Exception
    ) as e:  # a bug, never bad input: not 1 (a missed floor) nor 2, and worth a report
        print(
            f"retention: internal error: {type(e).__name__}: {one_line(e)} (a bug: please report it, "
            "with the traceback below)",
            file=sys.stderr,
        )
        traceback.print_exc(file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
