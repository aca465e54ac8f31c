"""Reading a transaction file for the ``retention`` command: CSV text, parquet, Excel and standard input.

Split from :mod:`retention.cli`, which parses the command line and prints the results: this module only
turns a path (or ``-``) into a pandas table and says in one line why a file cannot be read. A CSV file's
separator and encoding are recognised from its first 64 KiB, compressed files by their suffix or, on
standard input, by their first bytes; parquet reads only the columns the command uses; only regular files
are opened. Every failure is a :class:`ReadError` whose message names the file and what to do.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import importlib
import io
import lzma
import os
import re
import stat
import sys
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Final, Literal, NamedTuple, Protocol, cast

if TYPE_CHECKING:
    import pandas as pd

from retention.errors import (
    MissingDependencyError,
)

__all__ = [
    "SEPARATOR_NAMES",
    "STDIN",
    "Columns",
    "ReadError",
    "Table",
    "first_line",
    "one_line",
    "read_table",
    "sniff_separator",
    "text_codec",
]

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
# Excel's first line naming the separator: sep=; (quoted, or followed by more separators, as re-saved).
_SEPARATOR_LINE: Final = re.compile(r'"?sep=([^"\r\n])"?\1*')
SEPARATOR_NAMES: Final = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
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
STDIN: Final = "standard input"


class ReadError(Exception):
    """A file that cannot be read as a transaction table."""


@dataclass(frozen=True, slots=True)
class Columns:
    """The columns the command uses: the ones it needs and the amount column, used when present.

    ``ids`` are the columns of identifiers (customer and order ids), read from text as the text they
    are: as numbers, ``007`` and ``7`` would be one customer, and ids beyond 2**53 in a column with an
    empty cell would be rounded to floats and merged. ``groups`` are the columns of a breakdown
    (``--by``): read from text as numbers only when every label is written as its number is (``1``,
    ``-2``, ``1.5``), so that postal codes keep their zeros and ``01`` and ``1`` stay two groups, while
    a column of levels 1 to 12 still sorts as numbers.
    """

    required: tuple[str, ...]
    amount: str
    date: str
    ids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def duplicated(self, available: Sequence[object]) -> str | None:
        """Return the first column the command uses that the header names more than once, or None."""
        names = list(available)
        for column in (*self.required, self.amount):
            if names.count(column) > 1:
                return column
        return None

    def to_read(self, available: Sequence[object]) -> list[str] | None:
        """Return the columns worth reading, or None (all) when a required one is missing.

        Reading every column then lets the library's error list what the file has.
        """
        names = set(available)
        if not all(c in names for c in self.required):
            return None
        wanted = {*self.required, self.amount}
        return [str(c) for c in available if c in wanted]


@dataclass(frozen=True, slots=True)
class _Csv:
    """How to read CSV text: the separator and encoding (None: recognised from the text), the decimal mark."""

    sep: str | None
    decimal: str
    encoding: str | None


class Table(NamedTuple):
    """A table read from a file, and how its rows are numbered for messages."""

    frame: pd.DataFrame
    unit: str  # "line" for text files, "row" for sheets and parquet
    first: int  # the number of the first data row

    def where(self, label: object) -> str:
        """Say where a row stands in the file: ``"line 7"`` (a row label read from the file) or ``"row 'x'"``."""
        import numpy as np  # after the arguments are read (see retention.cli)

        # Rows keep the labels they were read with (0, 1, ...), also after rows are dropped.
        if isinstance(label, int | np.integer):
            return f"{self.unit} {int(label) + self.first}"
        return f"row {label!r}"


def one_line(text: object) -> str:
    """Join the non-empty lines of a text into one line, for a one-line message on stderr."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def first_line(error: BaseException) -> str:
    """Return the first non-empty line of an error's message (its type's name when there is none)."""
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
        raise ReadError(msg) from e
    except OSError as e:  # a folder on the way that cannot be searched, a loop of links, ...
        msg = f"cannot read {path}: {e.strerror or first_line(e)}"
        raise ReadError(msg) from e
    if stat.S_ISDIR(mode):
        msg = f"{path} is a folder; give a CSV, parquet or Excel file"
        raise ReadError(msg)
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
        raise ReadError(msg)


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
    import pandas as pd

    try:
        yield
    except UnicodeDecodeError as e:
        byte = e.object[e.start : e.start + 1].hex() if e.object else "?"
        name = encoding or e.encoding
        name = "utf-8" if name == "utf-8-sig" else name
        msg = f"cannot read {path}: it is not {name} text (byte 0x{byte} cannot be decoded). Pass its encoding, e.g. --encoding cp1252 or --encoding latin-1."
        raise ReadError(msg) from e
    except pd.errors.EmptyDataError as e:
        msg = f"cannot read {path}: the file is empty (no header line)"
        raise ReadError(msg) from e
    except _DECOMPRESSION_ERRORS as e:
        msg = f"cannot read {path}: the compressed file is damaged ({first_line(e)})"
        raise ReadError(msg) from e
    except (ValueError, OSError) as e:
        # pandas' ParserError is a ValueError; gzip's BadGzipFile and pyarrow's IO errors are OSErrors.
        msg = f"cannot read {path} as {what}: {first_line(e)}"
        raise ReadError(msg) from e


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
                msg = f"cannot read {name}: the compressed file is damaged ({first_line(e)})"
                raise ReadError(msg) from e
            except NotImplementedError as e:  # zipfile's word for a zip version or method it lacks
                msg = f"cannot read {name}: the zip archive uses a version or compression method that Python cannot read ({first_line(e)}); extract its file and give that, or zip it again"
                raise ReadError(msg) from e
    return data[:_SAMPLE_BYTES], len(data) <= _SAMPLE_BYTES


class _Stream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _decompressed_head(raw: BinaryIO, name: str, compression: _Compression, size: int) -> bytes:
    with ExitStack() as stack:
        stream = _decompressed(raw, name, compression, stack)
        chunks: list[bytes] = []
        while sum(map(len, chunks)) < size and (chunk := stream.read(size)):
            chunks.append(chunk)
        return b"".join(chunks)


def _decompressed(raw: BinaryIO, name: str, compression: _Compression, stack: ExitStack) -> _Stream:
    """Open the decompressed bytes of ``raw`` (an archive's one file), closed with ``stack``.

    The one opener of compressed input: the sample that the separator and the encoding are judged on and
    the parser read the same bytes.
    """
    if compression == "gzip":
        return stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    if compression == "bz2":
        return stack.enter_context(bz2.BZ2File(raw, "rb"))
    if compression == "xz":
        return stack.enter_context(lzma.LZMAFile(raw, "rb"))
    if compression == "zip":
        archive = stack.enter_context(zipfile.ZipFile(raw))
        entry = _archive_file(name, [m.filename for m in archive.infolist() if not m.is_dir()])
        member = archive.getinfo(entry)
        if member.flag_bits & 0x1:
            # zipfile would ask for a password (RuntimeError): say so, and what to do.
            msg = f"cannot read {name}: the zip archive is encrypted (password-protected); extract {entry} from it and give that file"
            raise ReadError(msg)
        return stack.enter_context(archive.open(member))
    if compression == "tar":
        tar = stack.enter_context(tarfile.open(fileobj=raw, mode="r:*"))  # noqa: SIM115 - the stack closes it
        files = {m.name: m for m in tar if m.isfile()}
        extracted = tar.extractfile(files[_archive_file(name, list(files))])
        assert extracted is not None  # a regular file's member always has its bytes
        return stack.enter_context(extracted)
    # zstd, whose module pandas needs as well
    try:
        zstandard = importlib.import_module("zstandard")
    except ImportError as e:
        msg = "reading .zst files needs the zstandard package: pip install zstandard"
        raise MissingDependencyError(msg) from e
    return cast("_Stream", stack.enter_context(zstandard.ZstdDecompressor().stream_reader(raw)))


def _archive_file(name: str, files: list[str]) -> str:
    """Return the one data file of an archive, passing over what operating systems add to archives.

    macOS adds ``__MACOSX/`` copies of each file's attributes (``._orders.csv``) and ``.DS_Store`` files
    to the archives it makes; they are not data. Folders are left out by the caller.
    """
    data = [f for f in files if not _is_system_entry(f)]
    if len(data) == 1:
        return data[0]
    if not data:
        msg = f"cannot read {name}: the archive holds no file"
        raise ReadError(msg)
    listed = ", ".join(data[:3]) + (", ..." if len(data) > 3 else "")
    msg = f"cannot read {name}: the archive holds {len(data)} files ({listed}); extract the one to read and give that file"
    raise ReadError(msg)


def _is_system_entry(path: str) -> bool:
    """Whether an archive's entry is a file an operating system adds (``__MACOSX/``, ``._x``, ``.DS_Store``)."""
    parts = PurePosixPath(path).parts
    base = parts[-1] if parts else ""
    return "__MACOSX" in parts or base.startswith("._") or base in (".DS_Store", "Thumbs.db")


def text_codec(name: str) -> codecs.CodecInfo:
    """Return the codec that ``--encoding NAME`` names, refusing a name that is no text encoding.

    Python's codec registry also holds codecs that do not turn bytes into text (``rot13`` turns text into
    text; ``base64``, ``hex``, ``quopri``, ``uu``, ``zlib`` and ``bz2`` turn bytes into bytes) and
    ``undefined``, which decodes nothing: none can read a file, and each would fail mid-read with an error
    that does not name the option.

    Examples
    --------
    >>> text_codec("UTF8").name
    'utf-8'
    >>> text_codec("rot13")
    Traceback (most recent call last):
    ...
    retention.table_files.ReadError: --encoding 'rot13' is not a text encoding; give one such as utf-8, cp1252 or latin-1
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError) as e:  # ValueError: a NUL in the name
        msg = f"--encoding {name!r} is not an encoding Python knows; try utf-8, cp1252 or latin-1"
        raise ReadError(msg) from e
    if not info._is_text_encoding or info.name == "undefined":
        msg = (
            f"--encoding {name!r} is not a text encoding; give one such as utf-8, cp1252 or latin-1"
        )
        raise ReadError(msg)
    return info


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


def sniff_separator(lines: Sequence[str], decimal: str) -> str:
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


def _refuse_decimal_separator(name: str, text: str, sep: str, decimal: str) -> None:
    """Refuse a file that only the decimal mark splits into columns (``--decimal ,`` on a file of commas).

    The decimal mark is never taken for the separator; without this, the header would be read as one
    column and the message would be about a missing column named like the whole header line.
    """
    if decimal not in _SEPARATORS:
        return
    if len(_csv_header(text, sep)) < 2 and len(_csv_header(text, decimal)) >= 2:
        msg = f"cannot read {name}: {decimal!r} separates its columns, and --decimal {decimal} says it is the decimal mark; leave out --decimal (a file separated by {decimal!r} writes decimals with '.'), or give the separator with --sep"
        raise ReadError(msg)


def _read_csv(
    source: Path | bytes,
    name: str,
    compression: _Compression | None,
    columns: Columns,
    settings: _Csv,
) -> Table:
    import pandas as pd

    sep, decimal, encoding = settings.sep, settings.decimal, settings.encoding
    with _reading(name, "CSV", encoding):
        head, whole = _head(source, name, compression)
        if compression is None and (found := _binary_kind(head)) is not None:
            what, fix, _ = found
            msg = f"cannot read {name}: it is not CSV text but {what}; {fix}"
            raise ReadError(msg)
        codec = _encoding(encoding, head)
        text = codecs.getincrementaldecoder(codec)().decode(head, final=whole)
    lines = text.splitlines()
    if not whole and len(lines) > 1:
        lines.pop()  # the sample may end in the middle of a line
    lines = lines[:_SAMPLE_LINES]
    if not any(line.strip() for line in lines):
        msg = f"cannot read {name}: the file is empty (no header line)"
        raise ReadError(msg)
    if "\x00" in text:
        codec_name = "utf-8" if codec == "utf-8-sig" else codec
        msg = f"cannot read {name}: it is not {codec_name} text (it holds NUL characters: a binary file, or UTF-16 text without a byte-order mark, which --encoding utf-16 reads)"
        raise ReadError(msg)
    sep, text, hinted = _choose_separator(name, text, lines, sep, decimal)
    shown = "tab" if sep == "\t" else repr(sep)
    with _reading(name, f"CSV with separator {shown}", encoding), ExitStack() as stack:
        data: Path | BinaryIO = source if isinstance(source, Path) else io.BytesIO(source)
        if compression is not None:  # the bytes the sample was taken from (an archive's one file)
            raw = stack.enter_context(_open(source))
            data = cast("BinaryIO", _decompressed(raw, name, compression, stack))  # read as a file
        # Every column is read, so that the parser checks that each row has as many fields as the header
        # (with usecols it would not). Dates stay text: the library's one schema check parses and
        # validates them; ids stay text too (see Columns). The whole file is typed at once
        # (low_memory=False), so that a column cannot come out half numbers and half text, as order ids
        # like 489434 and C489449 would. index_col=False: rows that end in a separator the header does
        # not (as some exports write them) are read as they stand, not shifted one column to the right
        # under the first column made the index; extra fields that are not empty are refused below.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            try:
                frame = pd.read_csv(
                    data,
                    sep=sep,
                    decimal=decimal,
                    encoding=codec,
                    compression=None,
                    dtype=dict.fromkeys((columns.date, *columns.ids, *columns.groups), str),
                    index_col=False,
                    low_memory=False,
                    skiprows=1 if hinted else None,
                )
            except pd.errors.ParserWarning as e:
                msg = f"cannot read {name}: its rows have more fields than its header line names ({shown} separates them), and the extra fields are not empty; name every column in the header line, or give the right separator with --sep"
                raise ReadError(msg) from e
    if _mangled(frame.columns, columns):
        _refuse_duplicates(name, _csv_header(text, sep), columns)
    for group in dict.fromkeys(columns.groups):
        if group in frame.columns:
            frame[group] = _group_labels(frame[group])
    # Line 1 is the header (line 2 when line 1 is the separator line): the first row is on the next.
    return Table(frame, "line", 3 if hinted else 2)


def _choose_separator(
    name: str, text: str, lines: list[str], sep: str | None, decimal: str
) -> tuple[str, str, bool]:
    """Return the separator, the sample without a first line ``sep=;``, and whether it had one.

    The separator is the one given (``--sep``), else the one such a line names, else the one recognised.
    """
    hint = _separator_line(lines)
    hinted = hint is not None
    if hinted:  # the rest is read as if the line were not there
        lines = lines[1:]
        text = "".join(text.splitlines(keepends=True)[1:])
        if sep is None and hint == decimal:
            msg = f"cannot read {name}: its first line says that {hint!r} separates its columns, and --decimal {decimal} says it is the decimal mark; leave out --decimal, or give the separator with --sep"
            raise ReadError(msg)
        sep = sep or hint
    if sep is None:
        sep = sniff_separator(lines, decimal)
        _refuse_decimal_separator(name, text, sep, decimal)
    elif sep == decimal:
        msg = f"--sep and --decimal cannot both be {sep!r}"
        raise ReadError(msg)  # said as the command's usage errors are: one line, status 2
    return sep, text, hinted


def _separator_line(lines: Sequence[str]) -> str | None:
    """Return the separator that a first line like ``sep=;`` names (Excel writes it), or None.

    Excel writes such a line at the top of CSV files it should open with a given separator; the line
    may be quoted, and a workbook saved again may add separators after it (``sep=;;;``).
    """
    if not lines:
        return None
    found = _SEPARATOR_LINE.fullmatch(lines[0].strip(" "))  # not a tab: sep=<tab> names one
    return None if found is None else found.group(1)


def _group_labels(values: pd.Series) -> pd.Series:
    """Type a breakdown column read as text: numbers when every label is written as its number is.

    ``1``, ``2`` and ``10`` are numbers (so that they sort as numbers, and come out as pandas would have
    read them); ``01``, ``+1``, ``1.50`` or ``1e3`` anywhere keep the whole column text, as written.
    """
    import pandas as pd

    given = values.dropna()
    try:
        numbers = pd.to_numeric(given)
    except (ValueError, TypeError):  # a label that is no number: text
        return values
    if not numbers.astype(str).equals(given):
        return values
    return numbers.reindex(values.index)  # the missing labels NaN again (integers then floats)


def _mangled(names: Iterable[object], columns: Columns) -> bool:
    """Whether the reader may have renamed a used column's second copy (``amount`` -> ``amount.1``)."""
    present = set(names)
    return any(f"{c}.1" in present for c in (*columns.required, columns.amount))


def _csv_header(text: str, sep: str) -> list[str]:
    """Return the header line's names as written, from the decoded sample of a CSV file."""
    rows = (row for row in csv.reader(io.StringIO(text), delimiter=sep) if row)
    return next(rows, [])


def _refuse_duplicates(path: str, header: Sequence[object], columns: Columns) -> None:
    """Refuse a file whose header names a column the command uses more than once.

    Readers keep the first and rename the others (pandas: ``amount.1``), or refuse with a message about
    a damaged file (pyarrow): neither says that it is not clear which one to read.
    """
    column = columns.duplicated(header)
    if column is None:
        return
    places = [str(i + 1) for i, n in enumerate(header) if n == column]
    msg = f"cannot read {path}: it has {len(places)} columns named {column!r} (columns {', '.join(places)}); rename all but one, so that it is clear which to read"
    raise ReadError(msg)


def _binary_tail(file: Path, path: str, what: str, magic: bytes, expected: str) -> bytes:
    """Check that a binary file begins with ``magic``; return its last four bytes.

    An empty file, or one of another format (named by its first bytes), is refused; ``what`` is the format
    in messages (``"parquet"``), ``expected`` what the file should be (``"a parquet file"``). The tail is
    empty when the file is shorter than eight bytes.
    """
    with _reading(path, what), file.open("rb") as raw:
        head = raw.read(_SAMPLE_BYTES)
        tail = b""
        if len(head) >= 8:
            raw.seek(-4, os.SEEK_END)
            tail = raw.read(4)
    if not head:
        msg = f"cannot read {path} as {what}: the file is empty (0 bytes)"
        raise ReadError(msg)
    if not head.startswith(magic):
        msg = f"cannot read {path} as {what}: {_not_a(head, expected)}"
        raise ReadError(msg)
    return tail


def _read_parquet(file: Path, path: str, columns: Columns) -> pd.DataFrame:
    import pandas as pd

    try:
        # pyarrow first: `import pyarrow.parquet` alone succeeds from a cache when pyarrow was hidden.
        import pyarrow  # optional extra: imported only when a parquet file is read
        import pyarrow.parquet as pq
    except ImportError as e:
        msg = "reading parquet needs pyarrow: pip install 'retention-metrics[parquet]'"
        raise MissingDependencyError(msg) from e
    # A parquet file begins and ends with PAR1 (PARE: an encrypted footer, which pyarrow names itself).
    tail = _binary_tail(file, path, "parquet", b"PAR1", "a parquet file")
    if tail not in (b"PAR1", b"PARE"):
        msg = f"cannot read {path} as parquet: the file is truncated or damaged (it begins as parquet but does not end with the parquet marker PAR1); copy or write it again"
        raise ReadError(msg)
    with _reading(path, "parquet"):
        try:
            schema = pq.read_schema(file)
            _refuse_duplicates(path, schema.names, columns)
            try:
                return pd.read_parquet(
                    file, engine="pyarrow", columns=columns.to_read(schema.names)
                )
            except pyarrow.ArrowException:
                raise  # ArrowKeyError and ArrowTypeError are KeyError and TypeError too
            except _PANDAS_METADATA_ERRORS as e:
                if b"pandas" not in (schema.metadata or {}):
                    raise  # not the metadata's doing: a fault to see, not to reword
                msg = f"cannot read {path} as parquet: the pandas metadata stored in it (the index and dtypes of the frame it was written from) is damaged ({type(e).__name__}: {first_line(e)}); write the file again"
                raise ReadError(msg) from e
        # ArrowInvalid, ArrowNotImplementedError, ...; and pyarrow's OSErrors for damaged files
        except (pyarrow.ArrowException, OSError) as e:
            if _is_system_error(e):
                raise  # said as it is: a permission, a disk
            msg = f"{first_line(e)}; the file is damaged, or holds what pyarrow cannot read: write it again, or export the data as CSV"
            raise ValueError(msg) from e


def _read_excel(file: Path, path: str, columns: Columns) -> pd.DataFrame:
    import pandas as pd

    try:
        # An optional extra, imported only when a workbook is read (and untyped: hence import_module).
        # The package first: its submodule alone is found in the cache when the package was hidden.
        importlib.import_module("openpyxl")
        exceptions = importlib.import_module("openpyxl.utils.exceptions")
    except ImportError as e:
        msg = "reading Excel workbooks needs openpyxl: pip install 'retention-metrics[excel]'"
        raise MissingDependencyError(msg) from e
    # An .xlsx workbook is a zip archive.
    _binary_tail(file, path, "an Excel workbook", b"PK", "an .xlsx workbook")
    with _reading(path, "an Excel workbook"), warnings.catch_warnings():
        # openpyxl warns about styles and data validation it does not read; none of it matters here.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        try:
            # Text cells that look like numbers would be read as numbers ("007" as 7): ids stay text.
            frame = pd.read_excel(
                file, sheet_name=0, engine="openpyxl", dtype=dict.fromkeys(columns.ids, str)
            )
            if _mangled(frame.columns, columns):  # the header as written, read again to see
                header = pd.read_excel(file, sheet_name=0, engine="openpyxl", header=None, nrows=1)
                _refuse_duplicates(path, header.iloc[0].tolist() if len(header) else [], columns)
        except (
            ValueError,
            OSError,
            *_WORKBOOK_ERRORS,
            exceptions.InvalidFileException,
        ) as e:
            if _is_system_error(e):
                raise  # said as it is: a permission, a disk
            msg = f"the workbook is damaged, or not an .xlsx workbook ({first_line(e)}); open it in Excel and save it again as .xlsx, or as CSV"
            raise ValueError(msg) from e
    return frame


def _read_stdin() -> tuple[bytes, _Compression | None]:
    """Read all of standard input; return it and the compression that its first bytes announce."""
    stream = sys.stdin
    if stream is None:
        msg = "cannot read standard input (-): there is none; give a file's path"
        raise ReadError(msg)
    if stream.isatty():
        # Waiting for someone to type a transaction log is never what was meant.
        msg = "cannot read standard input (-): it is a terminal, not data; pipe CSV text into it (retention kpis - < orders.csv) or give a file's path"
        raise ReadError(msg)
    data = stream.buffer.read()
    found = _binary_kind(data[:_SAMPLE_BYTES])
    if found is None:
        return data, None
    what, _, compression = found
    if compression is None:
        msg = f"cannot read standard input (-): it is {what}, not CSV text; - reads CSV text (plain, gzip, bzip2, xz or zstd): give the file's path instead"
        raise ReadError(msg)
    return data, compression


def read_table(
    path: str,
    columns: Columns,
    *,
    sep: str | None,
    decimal: str,
    encoding: str | None,
) -> Table:
    """Read a transaction file, or CSV text from standard input (``path`` is ``-``), as a pandas table.

    Parameters
    ----------
    path : str
        The file's path, or ``-`` for standard input.
    columns : Columns
        The columns the command uses (parquet reads only those).
    sep, decimal, encoding : str or None
        The CSV separator (None: recognised from the file), decimal mark and encoding (None: recognised).

    Returns
    -------
    Table
        The table and how its rows are numbered in messages.

    Raises
    ------
    ReadError
        If the file cannot be read (or ``sep`` and ``decimal`` are the same character, or ``encoding`` is
        not a text encoding); the message names it and says what to do.
    """
    if encoding is not None:
        text_codec(encoding)  # refused before the file is opened, not halfway through reading it
    settings = _Csv(sep, decimal, encoding)
    if path == "-":
        data, compression = _read_stdin()
        table, path = _read_csv(data, STDIN, compression, columns, settings), STDIN
    else:
        table = _read_file(path, columns, settings)
    if table.frame.shape[1] == 0:
        msg = f"cannot read {path}: the file has no columns"
        raise ReadError(msg)
    return table


def _read_file(path: str, columns: Columns, settings: _Csv) -> Table:
    _check_regular_file(path)
    file = Path(path)
    suffix, compression = _kind_of(file)
    if suffix in _PARQUET_SUFFIXES + _EXCEL_SUFFIXES and compression is not None:
        msg = (
            f"cannot read {path}: compressed {suffix} files are not supported; decompress it first"
        )
        raise ReadError(msg)
    if suffix in _OTHER_SPREADSHEETS:
        msg = f"cannot read {path}: {suffix} workbooks are not supported; save it as .xlsx or CSV"
        raise ReadError(msg)
    if suffix in _PARQUET_SUFFIXES:
        return Table(_read_parquet(file, path, columns), "row", 1)
    if suffix in _EXCEL_SUFFIXES:
        return Table(_read_excel(file, path, columns), "row", 2)  # row 1 of the sheet is the header
    return _read_csv(file, path, compression, columns, settings)
