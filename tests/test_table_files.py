"""Tests of reading transaction files for the command (retention.table_files).

The command's own tests (tests/test_cli.py) run every format and failure end to end; these check the
reader's contract directly.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from retention.table_files import Columns, ReadError, read_table, sniff_separator

COLUMNS = Columns(
    required=("customer_id", "date"), amount="amount", date="date", ids=("customer_id",)
)
TEXT = "customer_id;date;amount\n1;2024-01-02;3,5\n2;2024-01-05;4\n"


def _read(path: Path, **options: object) -> pd.DataFrame:
    settings = {"sep": None, "decimal": ",", "encoding": None, **options}
    return read_table(str(path), COLUMNS, **settings).frame  # type: ignore[arg-type]


def test_reads_plain_and_compressed_csv_alike(tmp_path: Path) -> None:
    plain, packed = tmp_path / "orders.csv", tmp_path / "orders.csv.gz"
    plain.write_text(TEXT, encoding="utf-8")
    packed.write_bytes(gzip.compress(TEXT.encode()))
    expected = pd.DataFrame(
        {"customer_id": ["1", "2"], "date": ["2024-01-02", "2024-01-05"], "amount": [3.5, 4.0]}
    )
    pd.testing.assert_frame_equal(_read(plain), expected)
    pd.testing.assert_frame_equal(_read(packed), expected)


def test_rows_are_numbered_as_lines_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(TEXT, encoding="utf-8")
    table = read_table(str(path), COLUMNS, sep=None, decimal=",", encoding=None)
    assert table.where(0) == "line 2"  # line 1 is the header


def test_sniffs_the_separator_that_splits_every_row_alike() -> None:
    assert sniff_separator(["a;b", "1;2,5"], ",") == ";"
    assert sniff_separator(["a,b", "1,2.5"], ".") == ","


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"", {}, "the file is empty"),
        (TEXT.encode(), {"sep": ",", "decimal": ","}, "--sep and --decimal cannot both be ','"),
        (b"PAR1\x15\x04\x00\x00 and more binary", {}, "a parquet file"),
    ],
)
def test_refusals_name_the_file_and_the_fix(
    tmp_path: Path, content: bytes, options: dict[str, object], message: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        _read(path, **options)


def test_a_folder_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="is a folder; give a CSV, parquet or Excel file"):
        _read(tmp_path)


@pytest.mark.parametrize("encoding", ["rot13", "quopri", "zlib_codec", "undefined"])
def test_codecs_that_are_no_text_encoding_are_refused(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(
        ReadError, match=rf"^--encoding '{encoding}' is not a text encoding; give one"
    ):
        _read(path, encoding=encoding)


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(ReadError, match=r"^--encoding 'klingon' is not an encoding Python knows"):
        _read(path, encoding="klingon")


def test_ids_are_text_as_written_and_other_columns_are_typed(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id;date;amount;n\n007;2024-01-02;3,5;7\n7;2024-01-05;4;8\n;2024-01-06;1;9\n"
    )
    frame = _read(path)
    assert frame["customer_id"].tolist()[:2] == ["007", "7"]
    assert frame["customer_id"].isna().tolist() == [False, False, True]
    assert frame["n"].tolist() == [7, 8, 9]  # a column not named as ids keeps its numbers


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["01000", "1000", "01000"], ["01000", "1000", "01000"]),  # postal codes keep their zeros
        (["1", "01", ""], ["1", "01", None]),  # as numbers, 1 and 01 would be one group
        (["+1", "1", "2"], ["+1", "1", "2"]),
        (["1.50", "1.5", "2"], ["1.50", "1.5", "2"]),
        (["North", "2", "10"], ["North", "2", "10"]),
        (["2", "10", "-3"], [2, 10, -3]),  # written as numbers: numbers, sorted as numbers
        (["1.5", "", "2.25"], [1.5, None, 2.25]),
    ],
)
def test_group_columns_are_numbers_only_when_written_as_numbers(
    labels: list[str], expected: list[object], tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    rows = [f"c{i};2024-01-0{i + 1};1;{g}\n" for i, g in enumerate(labels)]
    path.write_text("customer_id;date;amount;zip\n" + "".join(rows))
    columns = Columns(
        required=("customer_id", "date", "zip"),
        amount="amount",
        date="date",
        ids=("customer_id",),
        groups=("zip",),
    )
    frame = read_table(str(path), columns, sep=None, decimal=",", encoding=None).frame
    got = [None if pd.isna(v) else v for v in frame["zip"]]
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]


@pytest.mark.parametrize("line", ["sep=;", '"sep=;"', "sep=;;;", "sep=\t"])
def test_an_excel_separator_line_names_the_separator(line: str, tmp_path: Path) -> None:
    # Excel writes "sep=;" above the header of a CSV file it should open with that separator.
    sep = line.strip('"')[4]
    path = tmp_path / "orders.csv"
    path.write_text(line + "\n" + TEXT.replace(";", sep), encoding="utf-8")
    frame = _read(path)
    assert frame.columns.tolist() == ["customer_id", "date", "amount"]
    assert frame["amount"].tolist() == [3.5, 4.0]
    # Rows are numbered as lines of the file: the first row is on line 3.
    table = read_table(str(path), COLUMNS, sep=None, decimal=",", encoding=None)
    assert table.where(0) == "line 3"
    # A separator given with --sep wins; the line is still not a row.
    assert _read(path, sep=sep).equals(frame)


def test_a_separator_line_naming_the_decimal_mark_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("sep=,\ncustomer_id,date,amount\n1,2024-01-02,3.5\n", encoding="utf-8")
    with pytest.raises(
        ReadError,
        match=r"its first line says that ',' separates its columns, and --decimal , says it is the decimal mark",
    ):
        _read(path)
