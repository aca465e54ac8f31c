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
``retention report`` writes the page of :func:`retention.report` and exits with 0, or 2 as above.
"""

from __future__ import annotations

import argparse
import bz2
import codecs
import csv
import gzip
import importlib
import io
import json
import lzma
import math
import os
import stat
import sys
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, NamedTuple, NoReturn, Protocol, cast

import numpy as np
import pandas as pd

from retention import __version__
from retention.datasets import example_transactions
from retention.errors import (
    InvalidValueError,
    MissingDependencyError,
    RetentionError,
    RetentionWarning,
)
from retention.frames.kpis import KPI_NAMES, kpis
from retention.report import report

__all__ = ["main"]

_PARQUET_SUFFIXES: Final = (".parquet", ".pq")
_EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
_OTHER_SPREADSHEETS: Final = (".xls", ".xlsb", ".ods", ".numbers")
# The suffixes that pandas infers a compression from, with pandas' names for them.
_Compression = Literal["gzip", "bz2", "xz", "zip", "zstd", "tar"]  # pandas' names
_COMPRESSIONS: Final[dict[str, _Compression]] = {
    ".gz": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zip": "zip",
    ".zst": "zstd",
    ".tar": "tar",
}
# The separators recognised in a CSV file, in the order that breaks ties.
_SEPARATORS: Final = (",", ";", "\t", "|")
_SEPARATOR_NAMES: Final = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_SAMPLE_BYTES: Final = 1 << 16  # the separator and the encoding are judged on the first 64 KiB
_SAMPLE_LINES: Final = 50
# What a broken compressed file raises while it is being read (beyond OSError and ValueError).
_DECOMPRESSION_ERRORS: Final = (
    gzip.BadGzipFile,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zipfile.BadZipFile,
    tarfile.TarError,
)
# What openpyxl raises, beyond ValueError and OSError, for a file that is not a sound .xlsx workbook:
# not a zip archive, or an encrypted one (RuntimeError) or one of a zip version or method that Python
# cannot read (NotImplementedError); a missing part (KeyError); XML that does not parse (SyntaxError: the
# parse errors of ElementTree and lxml), or that parses into attributes or references the workbook's
# model does not know (TypeError: an unexpected keyword; IndexError: a shared string that is not there).
_WORKBOOK_ERRORS: Final = (
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
    KeyError,
    SyntaxError,
    TypeError,
    IndexError,
)
# What pyarrow's conversion to pandas raises when the pandas metadata stored in a parquet file (its index
# and dtypes) is damaged; the data themselves are then read fine, but not the way pandas wrote them.
_PANDAS_METADATA_ERRORS: Final = (KeyError, TypeError, IndexError, AttributeError)
# The first bytes of the binary formats that turn up under another format's name: what each is, what to
# do, and, for a compressed stream, pandas' name of its compression (standard input is read by these).
_MAGIC: Final[tuple[tuple[bytes, str, str, _Compression | None], ...]] = (
    (b"PAR1", "a parquet file", "rename it to .parquet", None),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old .xls workbook or a password-protected workbook",
        "save it from Excel as .xlsx without a password, or as CSV",
        None,
    ),
    (
        b"PK\x03\x04",
        "a zip archive",
        "rename it to .xlsx if it is a workbook, or to .csv.zip if it holds one CSV file",
        None,
    ),
    (b"PK\x05\x06", "an empty zip archive", "give the file that holds the transactions", None),
    (b"\x1f\x8b", "gzip-compressed data", "add .gz to its name if it holds CSV text", "gzip"),
    (b"BZh", "bzip2-compressed data", "add .bz2 to its name if it holds CSV text", "bz2"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "add .xz to its name if it holds CSV text", "xz"),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed data",
        "add .zst to its name if it holds CSV text",
        "zstd",
    ),
)
# The bytes that text never holds: the control characters but tab and the line breaks.
_CONTROL_BYTES: Final = bytes([*range(0x09), *range(0x0E, 0x20)])
_STDIN: Final = "standard input"
_EXIT_STATUS: Final = """exit status:
  0  the KPIs were computed and every --fail-under floor is met
  1  a KPI is under its --fail-under floor, or undefined, in at least one group
     (and nothing else: a broken input is never 1)
  2  bad options, or a file that cannot be read or used: one line on stderr
     (retention: error: ...), never a traceback"""

_REPORT_EXIT_STATUS: Final = """exit status:
  0  the report was written
  2  bad options, or a file that cannot be read or used, or matplotlib missing:
     one line on stderr (retention: error: ...), never a traceback"""


class _UsageError(Exception):
    """Bad command-line input that argparse cannot see (a KPI floor that names no KPI, say)."""


class _ReadError(Exception):
    """A file that cannot be read as a transaction table."""


@dataclass(frozen=True, slots=True)
class _Columns:
    """The columns the command uses: the ones it needs and the amount column, used when present."""

    required: tuple[str, ...]
    amount: str
    date: str

    def to_read(self, available: Sequence[object]) -> list[str] | None:
        """Return the columns worth reading, or None (all) when a required one is missing.

        Reading every column then lets the library's error list what the file has.
        """
        names = set(available)
        if not all(c in names for c in self.required):
            return None
        wanted = {*self.required, self.amount}
        return [str(c) for c in available if c in wanted]


class _Table(NamedTuple):
    """A table read from a file, and how its rows are numbered for messages."""

    frame: pd.DataFrame
    unit: str  # "line" for text files, "row" for sheets and parquet
    first: int  # the number of the first data row

    def where(self, label: object) -> str:
        # Rows keep the labels they were read with (0, 1, ...), also after rows are dropped.
        if isinstance(label, int | np.integer):
            return f"{self.unit} {int(label) + self.first}"
        return f"row {label!r}"


def _one_line(text: object) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


# --------------------------------------------------------------------------------------------- reading


def _kind_of(file: Path) -> tuple[str, _Compression | None]:
    """Return the format suffix of a file and the compression its name announces, as pandas infers it."""
    suffixes = [s.lower() for s in file.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        compression = _COMPRESSIONS[suffixes.pop()]
        if suffixes and suffixes[-1] == ".tar":
            compression = "tar"  # .tar.gz, .tar.bz2, .tar.xz
            suffixes.pop()
    return (suffixes[-1] if suffixes else ""), compression


def _check_regular_file(path: str) -> None:
    """Refuse, before opening it, anything but a regular file (or a link to one).

    Opening a named pipe (FIFO) without a writer waits forever, and a device can be read forever; a folder
    cannot be read at all. Checked with ``stat``, which opens nothing.
    """
    try:
        mode = os.stat(path).st_mode
    # ValueError: a NUL in the path, which no file's name holds
    except (FileNotFoundError, NotADirectoryError, ValueError) as e:
        msg = f"no such file: {path}"
        raise _ReadError(msg) from e
    except OSError as e:  # a folder on the way that cannot be searched, a loop of links, ...
        msg = f"cannot read {path}: {e.strerror or _first_line(e)}"
        raise _ReadError(msg) from e
    if stat.S_ISDIR(mode):
        msg = f"{path} is a folder; give a CSV, parquet or Excel file"
        raise _ReadError(msg)
    if not stat.S_ISREG(mode):
        example = ""
        if stat.S_ISFIFO(mode):
            kind = "a named pipe (FIFO)"
            example = f" (e.g. cat {path} | retention kpis -)"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = "a device"
        elif stat.S_ISSOCK(mode):
            kind = "a socket"
        else:
            kind = "a special file"
        msg = f"cannot read {path}: it is {kind}, not a regular file. Give a file, or pipe CSV text into standard input with -{example}"
        raise _ReadError(msg)


def _is_system_error(error: BaseException) -> bool:
    """Return whether an error is the system's (a permission, a disk), not a reader's verdict on a file.

    pyarrow and openpyxl raise OSErrors without an error number for files they cannot make sense of.
    """
    return isinstance(error, OSError) and error.errno is not None


def _is_text(head: bytes) -> bool:
    """Return whether the first bytes of a file hold no control bytes other than tab and line breaks."""
    return len(head.translate(None, _CONTROL_BYTES)) == len(head)


def _binary_kind(head: bytes) -> tuple[str, str, _Compression | None] | None:
    r"""Recognise a binary format by its first bytes: return what it is, what to do, and its compression.

    The compression is pandas' name for it, or None for a format that is not a compressed stream. The
    magic bytes ``PAR1`` and ``BZh`` could begin a line of text, so a head without control bytes is text.

    Examples
    --------
    >>> _binary_kind(b"PAR1\x15\x04\x15")[0]
    'a parquet file'
    >>> _binary_kind(b"\x1f\x8b\x08\x00")[2]
    'gzip'
    >>> _binary_kind(b"PAR1,date,amount\n") is None
    True
    """
    if _is_text(head):
        return None
    for magic, what, fix, compression in _MAGIC:
        if head.startswith(magic):
            if magic == b"PK\x03\x04" and b"xl/" in head:
                return "an Excel workbook", "rename it to .xlsx", None
            return what, fix, compression
    return None


def _not_a(head: bytes, expected: str) -> str:
    """Say what a file that is not ``expected`` holds instead, and what to do: the end of a message."""
    found = _binary_kind(head)
    if found is not None:
        what, fix, _ = found
        return f"it is not {expected} but {what}; {fix}"
    if _is_text(head):
        return f"it is not {expected} but text; if it is CSV, rename it to .csv"
    return f"it is not {expected}, nor a format the command knows: the file is damaged or of another kind"


@contextmanager
def _reading(path: str, what: str, encoding: str | None = None) -> Iterator[None]:
    """Turn what a reader raises for a bad file into one line naming the file."""
    try:
        yield
    except UnicodeDecodeError as e:
        byte = e.object[e.start : e.start + 1].hex() if e.object else "?"
        name = encoding or e.encoding
        name = "utf-8" if name == "utf-8-sig" else name
        msg = f"cannot read {path}: it is not {name} text (byte 0x{byte} cannot be decoded). Pass its encoding, e.g. --encoding cp1252 or --encoding latin-1."
        raise _ReadError(msg) from e
    except pd.errors.EmptyDataError as e:
        msg = f"cannot read {path}: the file is empty (no header line)"
        raise _ReadError(msg) from e
    except _DECOMPRESSION_ERRORS as e:
        msg = f"cannot read {path}: the compressed file is damaged ({_first_line(e)})"
        raise _ReadError(msg) from e
    except (ValueError, OSError) as e:
        # pandas' ParserError is a ValueError; gzip's BadGzipFile and pyarrow's IO errors are OSErrors.
        msg = f"cannot read {path} as {what}: {_first_line(e)}"
        raise _ReadError(msg) from e


def _open(source: Path | bytes) -> BinaryIO:
    """Open a file, or the bytes read from standard input, for reading bytes."""
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _head(source: Path | bytes, name: str, compression: _Compression | None) -> tuple[bytes, bool]:
    """Return the first bytes of a file, decompressed, and whether that is all of it."""
    size = _SAMPLE_BYTES + 1
    # Opening is one step (a missing permission is an OSError of its own), decompressing another.
    with _open(source) as raw:
        if compression is None:
            data = raw.read(size)
        else:
            try:
                data = _decompressed_head(raw, name, compression, size)
            except (OSError, *_DECOMPRESSION_ERRORS) as e:
                msg = f"cannot read {name}: the compressed file is damaged ({_first_line(e)})"
                raise _ReadError(msg) from e
            except NotImplementedError as e:  # zipfile's word for a zip version or method it lacks
                msg = f"cannot read {name}: the zip archive uses a version or compression method that Python cannot read ({_first_line(e)}); extract its file and give that, or zip it again"
                raise _ReadError(msg) from e
    return data[:_SAMPLE_BYTES], len(data) <= _SAMPLE_BYTES


class _Stream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _decompressed_head(raw: BinaryIO, name: str, compression: _Compression, size: int) -> bytes:
    with ExitStack() as stack:
        stream: _Stream | None = None
        if compression == "gzip":
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
        elif compression == "bz2":
            stream = stack.enter_context(bz2.BZ2File(raw, "rb"))
        elif compression == "xz":
            stream = stack.enter_context(lzma.LZMAFile(raw, "rb"))
        elif compression == "zip":
            archive = stack.enter_context(zipfile.ZipFile(raw))
            members = [m for m in archive.infolist() if not m.is_dir()]
            if members and members[0].flag_bits & 0x1:
                # zipfile would ask for a password (RuntimeError): say so, and what to do.
                msg = f"cannot read {name}: the zip archive is encrypted (password-protected); extract {members[0].filename} from it and give that file"
                raise _ReadError(msg)
            stream = stack.enter_context(archive.open(members[0])) if members else None
        elif compression == "tar":
            tar = stack.enter_context(tarfile.open(fileobj=raw, mode="r:*"))
            member = next((m for m in tar if m.isfile()), None)
            extracted = tar.extractfile(member) if member is not None else None
            stream = stack.enter_context(extracted) if extracted is not None else None
        else:  # zstd, whose module pandas needs as well
            try:
                zstandard = importlib.import_module("zstandard")
            except ImportError as e:
                msg = "reading .zst files needs the zstandard package: pip install zstandard"
                raise MissingDependencyError(msg) from e
            stream = stack.enter_context(zstandard.ZstdDecompressor().stream_reader(raw))
        if stream is None:
            return b""  # an archive without a file: pandas says so when it reads it
        chunks: list[bytes] = []
        while sum(map(len, chunks)) < size and (chunk := stream.read(size)):
            chunks.append(chunk)
        return b"".join(chunks)


def _encoding(given: str | None, head: bytes) -> str:
    """Return the codec to read a text file with: a UTF-8 byte-order mark is skipped, UTF-16/32 seen."""
    if given is None:
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        return "utf-8-sig"
    # utf-8-sig reads plain UTF-8 too, and drops the byte-order mark that Excel writes.
    return "utf-8-sig" if codecs.lookup(given).name == "utf-8" else given


def _sniff_separator(lines: Sequence[str], decimal: str) -> str:
    """Pick the separator that splits the header into most columns, the data rows agreeing.

    Each candidate splits the sample with the csv module (quotes respected). A candidate must give the
    header at least two fields; among those, the one under which most data rows have as many fields as the
    header wins, then the one with more fields, then the first of ``_SEPARATORS``. The decimal mark is never
    the separator. Deterministic: the same sample always gives the same answer.
    """
    candidates = [s for s in _SEPARATORS if s != decimal]
    best, best_score = candidates[0], (-1, 0)
    for sep in candidates:
        try:
            rows = [row for row in csv.reader(lines, delimiter=sep) if row]
        except csv.Error:
            continue  # the sample cannot be split this way
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(row) == width for row in rows[1:]), width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _read_csv(
    source: Path | bytes,
    name: str,
    compression: _Compression | None,
    columns: _Columns,
    *,
    sep: str | None,
    decimal: str,
    encoding: str | None,
) -> pd.DataFrame:
    with _reading(name, "CSV", encoding):
        head, whole = _head(source, name, compression)
        if compression is None and (found := _binary_kind(head)) is not None:
            what, fix, _ = found
            msg = f"cannot read {name}: it is not CSV text but {what}; {fix}"
            raise _ReadError(msg)
        codec = _encoding(encoding, head)
        text = codecs.getincrementaldecoder(codec)().decode(head, final=whole)
    lines = text.splitlines()
    if not whole and len(lines) > 1:
        lines.pop()  # the sample may end in the middle of a line
    lines = lines[:_SAMPLE_LINES]
    if not any(line.strip() for line in lines):
        msg = f"cannot read {name}: the file is empty (no header line)"
        raise _ReadError(msg)
    if "\x00" in text:
        codec_name = "utf-8" if codec == "utf-8-sig" else codec
        msg = f"cannot read {name}: it is not {codec_name} text (it holds NUL characters: a binary file, or UTF-16 text without a byte-order mark, which --encoding utf-16 reads)"
        raise _ReadError(msg)
    if sep is None:
        sep = _sniff_separator(lines, decimal)
    elif sep == decimal:
        msg = f"--sep and --decimal cannot both be {sep!r}"
        raise _UsageError(msg)
    shown = "tab" if sep == "\t" else repr(sep)
    with _reading(name, f"CSV with separator {shown}", encoding):
        # Every column is read, so that the parser checks that each row has as many fields as the header
        # (with usecols it would not). Dates stay text: the library's one schema check parses and
        # validates them. The whole file is typed at once (low_memory=False), so that a column cannot
        # come out half numbers and half text, as order ids like 489434 and C489449 would.
        return pd.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source),
            sep=sep,
            decimal=decimal,
            encoding=codec,
            # A file's compression is inferred from its name, as _kind_of does; standard input's was
            # recognised from its first bytes.
            compression="infer" if isinstance(source, Path) else compression,
            dtype={columns.date: str},
            low_memory=False,
        )


def _file_ends(file: Path, path: str, what: str) -> tuple[bytes, bytes]:
    """Return the first bytes of a file and its last four (empty when the file is shorter than eight)."""
    with _reading(path, what), file.open("rb") as raw:
        head = raw.read(_SAMPLE_BYTES)
        tail = b""
        if len(head) >= 8:
            raw.seek(-4, os.SEEK_END)
            tail = raw.read(4)
    return head, tail


def _read_parquet(file: Path, path: str, columns: _Columns) -> pd.DataFrame:
    try:
        # pyarrow first: `import pyarrow.parquet` alone succeeds from a cache when pyarrow was hidden.
        import pyarrow  # noqa: PLC0415  # optional extra: imported only when a parquet file is read
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError as e:
        msg = "reading parquet needs pyarrow: pip install 'retention-metrics[parquet]'"
        raise MissingDependencyError(msg) from e
    # A parquet file begins and ends with PAR1 (PARE: an encrypted footer, which pyarrow names itself).
    head, tail = _file_ends(file, path, "parquet")
    if not head:
        msg = f"cannot read {path} as parquet: the file is empty (0 bytes)"
        raise _ReadError(msg)
    if not head.startswith(b"PAR1"):
        msg = f"cannot read {path} as parquet: {_not_a(head, 'a parquet file')}"
        raise _ReadError(msg)
    if tail not in (b"PAR1", b"PARE"):
        msg = f"cannot read {path} as parquet: the file is truncated or damaged (it begins as parquet but does not end with the parquet marker PAR1); copy or write it again"
        raise _ReadError(msg)
    with _reading(path, "parquet"):
        try:
            schema = pq.read_schema(file)
            try:
                return pd.read_parquet(
                    file, engine="pyarrow", columns=columns.to_read(schema.names)
                )
            except pyarrow.ArrowException:
                raise  # ArrowKeyError and ArrowTypeError are KeyError and TypeError too
            except _PANDAS_METADATA_ERRORS as e:
                if b"pandas" not in (schema.metadata or {}):
                    raise  # not the metadata's doing: a fault to see, not to reword
                msg = f"cannot read {path} as parquet: the pandas metadata stored in it (the index and dtypes of the frame it was written from) is damaged ({type(e).__name__}: {_first_line(e)}); write the file again"
                raise _ReadError(msg) from e
        # ArrowInvalid, ArrowNotImplementedError, ...; and pyarrow's OSErrors for damaged files
        except (pyarrow.ArrowException, OSError) as e:
            if _is_system_error(e):
                raise  # said as it is: a permission, a disk
            msg = f"{_first_line(e)}; the file is damaged, or holds what pyarrow cannot read: write it again, or export the data as CSV"
            raise ValueError(msg) from e


def _read_excel(file: Path, path: str) -> pd.DataFrame:
    try:
        # An optional extra, imported only when a workbook is read (and untyped: hence import_module).
        # The package first: its submodule alone is found in the cache when the package was hidden.
        importlib.import_module("openpyxl")
        exceptions = importlib.import_module("openpyxl.utils.exceptions")
    except ImportError as e:
        msg = "reading Excel workbooks needs openpyxl: pip install 'retention-metrics[excel]'"
        raise MissingDependencyError(msg) from e
    head, _ = _file_ends(file, path, "an Excel workbook")
    if not head:
        msg = f"cannot read {path} as an Excel workbook: the file is empty (0 bytes)"
        raise _ReadError(msg)
    if not head.startswith(b"PK"):  # an .xlsx workbook is a zip archive
        msg = f"cannot read {path} as an Excel workbook: {_not_a(head, 'an .xlsx workbook')}"
        raise _ReadError(msg)
    with _reading(path, "an Excel workbook"), warnings.catch_warnings():
        # openpyxl warns about styles and data validation it does not read; none of it matters here.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            return pd.read_excel(file, sheet_name=0, engine="openpyxl")
        except (
            ValueError,
            OSError,
            *_WORKBOOK_ERRORS,
            exceptions.InvalidFileException,
        ) as e:
            if _is_system_error(e):
                raise  # said as it is: a permission, a disk
            msg = f"the workbook is damaged, or not an .xlsx workbook ({_first_line(e)}); open it in Excel and save it again as .xlsx, or as CSV"
            raise ValueError(msg) from e


def _read_stdin() -> tuple[bytes, _Compression | None]:
    """Read all of standard input; return it and the compression that its first bytes announce."""
    stream = sys.stdin
    if stream is None:
        msg = "cannot read standard input (-): there is none; give a file's path"
        raise _ReadError(msg)
    if stream.isatty():
        # Waiting for someone to type a transaction log is never what was meant.
        msg = "cannot read standard input (-): it is a terminal, not data; pipe CSV text into it (retention kpis - < orders.csv) or give a file's path"
        raise _ReadError(msg)
    data = stream.buffer.read()
    found = _binary_kind(data[:_SAMPLE_BYTES])
    if found is None:
        return data, None
    what, _, compression = found
    if compression is None:
        msg = f"cannot read standard input (-): it is {what}, not CSV text; - reads CSV text (plain, gzip, bzip2, xz or zstd): give the file's path instead"
        raise _ReadError(msg)
    return data, compression


def _read_table(
    path: str,
    columns: _Columns,
    *,
    sep: str | None,
    decimal: str,
    encoding: str | None,
) -> _Table:
    if path == "-":
        data, compression = _read_stdin()
        frame = _read_csv(
            data, _STDIN, compression, columns, sep=sep, decimal=decimal, encoding=encoding
        )
        table, path = _Table(frame, "line", 2), _STDIN
    else:
        table = _read_file(path, columns, sep=sep, decimal=decimal, encoding=encoding)
    if table.frame.shape[1] == 0:
        msg = f"cannot read {path}: the file has no columns"
        raise _ReadError(msg)
    return table


def _read_file(
    path: str,
    columns: _Columns,
    *,
    sep: str | None,
    decimal: str,
    encoding: str | None,
) -> _Table:
    _check_regular_file(path)
    file = Path(path)
    suffix, compression = _kind_of(file)
    if suffix in _PARQUET_SUFFIXES + _EXCEL_SUFFIXES and compression is not None:
        msg = (
            f"cannot read {path}: compressed {suffix} files are not supported; decompress it first"
        )
        raise _ReadError(msg)
    if suffix in _OTHER_SPREADSHEETS:
        msg = f"cannot read {path}: {suffix} workbooks are not supported; save it as .xlsx or CSV"
        raise _ReadError(msg)
    if suffix in _PARQUET_SUFFIXES:
        return _Table(_read_parquet(file, path, columns), "row", 1)
    if suffix in _EXCEL_SUFFIXES:
        return _Table(_read_excel(file, path), "row", 2)  # row 1 of the sheet is the header
    frame = _read_csv(file, path, compression, columns, sep=sep, decimal=decimal, encoding=encoding)
    return _Table(frame, "line", 2)  # line 1 is the header


def _separator(value: str | None) -> str | None:
    if value is None:
        return None
    sep = _SEPARATOR_NAMES.get(value.lower(), value)
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
        try:
            codecs.lookup(args.encoding)
        except LookupError as e:
            msg = f"--encoding {args.encoding!r} is not an encoding Python knows; try utf-8, cp1252 or latin-1"
            raise _UsageError(msg) from e


# ---------------------------------------------------------------------------------- preparing rows


def _drop_missing_ids(tx: pd.DataFrame, column: str) -> tuple[pd.DataFrame, int]:
    """Drop the rows without a customer id; the library then names any other problem."""
    if column not in tx.columns or isinstance(tx[column], pd.DataFrame):
        return tx, 0  # a missing or duplicated column: the library's error says so
    missing = tx[column].isna().to_numpy()
    dropped = int(missing.sum())
    return (tx.loc[~missing] if dropped else tx), dropped


def _parse_dates(tx: pd.DataFrame, column: str, fmt: str, table: _Table) -> pd.DataFrame:
    """Parse the date column with a strptime format; the first value that does not match is an error."""
    if column not in tx.columns or isinstance(tx[column], pd.DataFrame):
        return tx  # the library names the missing column
    col = tx[column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return tx  # already dates (parquet, Excel date cells): there is nothing to parse
    try:
        parsed = pd.to_datetime(col, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError) as e:
        msg = f"cannot parse column {column!r} with --date-format {fmt!r}: {_first_line(e)}"
        raise _ReadError(msg) from e
    # Missing dates stay missing: the library names them as such.
    bad = (parsed.isna() & col.notna()).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        more = int(bad.sum()) - 1
        rest = f" (and {more:,} more row{'s' if more != 1 else ''})" if more else ""
        msg = (
            f"column {column!r} does not match --date-format {fmt!r}: {col.iloc[first]!r} at "
            f"{table.where(col.index[first])}{rest}"
        )
        raise _ReadError(msg)
    return tx.assign(**{column: parsed})


def _last_purchase(tx: pd.DataFrame, date: str, amount: str) -> pd.Timestamp | None:
    """Return the day of the last purchase (a row not of negative amount), or None if unknown."""
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


def _is_missing(value: object) -> bool:
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return value is None or value is pd.NaT or value is pd.NA


def _groups(values: pd.Series) -> tuple[list[str], list[_Group]]:
    """Return the group columns, and per group (in the library's order) its labels and its KPIs.

    Without a breakdown there is one group with no labels. A missing label becomes None.
    """
    if values.index.nlevels == 1:
        return [], [((), {str(k): float(v) for k, v in values.items()})]
    names = [str(n) for n in values.index.names[:-1]]
    groups: dict[tuple[object, ...], dict[str, float]] = {}
    for key, value in values.items():
        parts = cast(tuple[object, ...], key)  # MultiIndex keys are tuples
        label = tuple(None if _is_missing(v) else v for v in parts[:-1])
        groups.setdefault(label, {})[str(parts[-1])] = float(value)
    return names, list(groups.items())


def _label_text(value: object) -> str:
    return "(missing)" if value is None else str(value)


def _group_text(names: Sequence[str], labels: Sequence[object]) -> str:
    return ", ".join(f"{n}={_label_text(v)}" for n, v in zip(names, labels, strict=True))


def _json_label(value: object) -> object:
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
    width = max(len(k) for _, kpis_ in groups for k in kpis_)
    lines = [f"{k}: {v}" for k, v in header.items()]
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
        self.exit(2, f"retention: error: {_one_line(message)}; see {self.prog} --help\n")


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
        help="exit with status 1 if KPI NAME is under VALUE (or undefined), in any group; repeatable",
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


def _load(args: argparse.Namespace) -> _Table:
    if args.example:
        return _Table(example_transactions(), "row", 1)
    columns = _Columns(
        required=(args.customer, args.date, *([args.order_id] if args.order_id else []), *args.by),
        amount=args.amount,
        date=args.date,
    )
    return _read_table(
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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        values = kpis(tx, **_options(args))
    lines: list[str] = []
    for w in caught:
        if issubclass(w.category, RetentionWarning):
            line = f"retention: warning: {_one_line(w.message)}"
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


def _with_command_hint(error: InvalidValueError, args: argparse.Namespace) -> InvalidValueError:
    """Return the library's error with the command's own way out, where there is one."""
    text = str(error)
    if not args.drop_missing_ids and "(the customer_id column)" in text and "missing" in text:
        return InvalidValueError(f"{text} Or pass --drop-missing-ids to drop them.")
    if args.date_format is None and "(the date column)" in text and "not dates" in text:
        hint = "Or give their format with --date-format, e.g. --date-format '%d.%m.%Y %H:%M'."
        return InvalidValueError(f"{text} {hint}")
    return error


def _prepared(args: argparse.Namespace) -> tuple[pd.DataFrame, list[str]]:
    """Read the table and apply --drop-missing-ids and --date-format; return it and the notes to print.

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
    return tx, notes


def _late_end_notes(
    tx: pd.DataFrame, args: argparse.Namespace, observation_end: object
) -> list[str]:
    """Warn when --observation-end lies after the last purchase (those days count as without purchases)."""
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
    tx, notes = _prepared(args)
    try:
        values, warned = _compute(tx, args)
    except InvalidValueError as e:
        raise _with_command_hint(e, args) from e
    notes += warned
    notes += _late_end_notes(tx, args, values.attrs.get("observation_end"))
    for line in notes:
        print(line, file=sys.stderr)
    _print_output(_render(values, args.format))
    names, groups = _groups(values)
    failed = 0
    for labels, kpis_ in groups:
        where = f" in group {_group_text(names, labels)}" if names else ""
        for name, floor in floors.items():
            value = kpis_.get(name, math.nan)
            if math.isnan(value):
                print(
                    f"retention: KPI {name} is undefined (n/a){where}, so it cannot meet its floor {floor:g}",
                    file=sys.stderr,
                )
                failed += 1
            elif value < floor:
                print(
                    f"retention: KPI {name} = {value:.4g} is under its floor {floor:g}{where}",
                    file=sys.stderr,
                )
                failed += 1
    return 1 if failed else 0


def _report_command(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if not output.parent.is_dir():  # said before the report is computed, not after
        msg = f"cannot write {output}: the folder {output.parent} does not exist; create it or give another -o path"
        raise _UsageError(msg)
    tx, notes = _prepared(args)
    try:
        page = report(tx, title=args.title, **_options(args))
    except InvalidValueError as e:
        raise _with_command_hint(e, args) from e
    notes += _late_end_notes(tx, args, page.kpis.attrs.get("observation_end"))
    try:
        path = page.save(output)
    except OSError as e:
        msg = f"cannot write {output}: {e.strerror or _first_line(e)}"
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
        cannot be read or used, with one line on stderr and no traceback. (Errors of the options that
        argparse checks exit with status 2 too, through ``SystemExit``.)

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
    except (RetentionError, _UsageError, _ReadError, OSError) as e:
        print(f"retention: error: {_one_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
