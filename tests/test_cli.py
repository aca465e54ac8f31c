"""Tests of the `retention` command."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import retention.cli
from retention.cli import _sniff_separator, main
from retention.errors import RetentionWarning
from retention.frames.kpis import KPI_NAMES

COLUMNS = ["--customer", "client", "--date", "when", "--amount", "total"]


def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client": [1, 1, 2, 2, 3, 1],
            "when": [
                "2024-01-05",
                "2024-02-10",
                "2024-01-20",
                "2024-03-03",
                "2024-02-02",
                "2024-03-31",
            ],
            "total": [10.0, 20.0, 5.0, 5.0, 8.0, 12.5],
            "country": ["UK", "UK", "DE", "DE", None, "UK"],
        }
    )


def write_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    orders().to_csv(path, index=False)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def csv_values(out: str) -> dict[str, str]:
    """KPI -> value of an ungrouped CSV output."""
    return {row["kpi"]: row["value"] for row in csv.DictReader(io.StringIO(out))}


def reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The KPIs of `orders()` read from a plain CSV: what every other way of reading must give."""
    status, out, err = run(["kpis", str(write_csv(tmp_path)), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    return csv_values(out)


def assert_one_line_error(status: int, err: str, message: str) -> None:
    assert status == 2
    assert err.startswith("retention: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert err.endswith("\n")
    assert "Traceback" not in err


# ------------------------------------------------------------------------------------------ basics


def test_example_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["kpis", "--example"], capsys)
    assert status == 0
    assert err == ""
    for name in KPI_NAMES:
        assert name in out
    assert "observation_end: 2024-12-" in out


def test_json_and_csv_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    columns = [*COLUMNS, "--observation-end", "2024-03-31"]
    status, out, _ = run(["kpis", str(path), *columns, "--format", "json"], capsys)
    assert status == 0
    payload = json.loads(out)
    assert list(payload) == ["observation_end", "freq", "period", "kpis"]
    assert payload["observation_end"] == "2024-03-31"
    assert payload["freq"] == "M"
    assert payload["period"] == "2024-03"
    values = payload["kpis"]
    assert list(values) == list(KPI_NAMES)
    assert values["customers"] == 3
    assert values["revenue_per_customer"] == pytest.approx(60.5 / 3)
    status, out, _ = run(["kpis", str(path), *columns, "--format", "csv"], capsys)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["kpi"] for r in rows] == list(KPI_NAMES)
    for row in rows:
        value = values[row["kpi"]]
        assert (row["value"] == "") if value is None else float(row["value"]) == value


def test_csv_carries_the_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    args = ["kpis", str(path), *COLUMNS, "--as-of", "2024-03-31", "--format", "csv"]
    status, out, _ = run(args, capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "kpi,value,observation_end,freq,period"
    assert lines[1] == "customers,3.0,2024-03-31,M,2024-03"
    table = pd.read_csv(io.StringIO(out))
    assert table.shape == (len(KPI_NAMES), 5)
    assert set(table["observation_end"]) == {"2024-03-31"}
    assert set(table["freq"]) == {"M"}
    assert set(table["period"]) == {"2024-03"}
    assert pd.api.types.is_float_dtype(table["value"])


def test_as_of_is_observation_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    outputs = []
    for option in ("--as-of", "--observation-end"):
        status, out, _ = run(
            ["kpis", str(path), *COLUMNS, option, "2024-04-30", "--format", "json"], capsys
        )
        assert status == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["observation_end"] == "2024-04-30"


def test_fail_under(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--fail-under", "customers=4"], capsys)
    assert status == 1
    assert "customers = 3 is under its floor 4" in err
    status, _, err = run(["kpis", str(path), *COLUMNS, "--fail-under", "customers=3"], capsys)
    assert status == 0
    assert err == ""
    # a KPI that is not defined for these data cannot pass a floor
    status, _, err = run(
        ["kpis", str(path), *COLUMNS, "--fail-under", "cohort_retention_12=0.1"], capsys
    )
    assert status == 1
    assert "undefined" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpis", "missing.csv"], "no such file"),
        (["kpis", "--example", "--fail-under", "crr"], "NAME=VALUE"),
        (["kpis", "--example", "--fail-under", "nope=1"], "NAME one of"),
        (["kpis", "--example", "--fail-under", "crr=high"], "not a number"),
        (["kpis", "--example", "--freq", "fortnight"], "'freq'"),
        (["kpis", "--example", "--as-of", "someday"], "observation_end"),
        (["kpis", "--example", "--observation-end", "someday"], "observation_end"),
        (["kpis", "--example", "--by", "nope"], "'nope'"),
        (["kpis", "--example", "--order-id", "nope"], "'nope'"),
        (["kpis", "--example", "--sep", "ab"], "--sep takes one character"),
        (["kpis", "--example", "--decimal", ",,"], "--decimal takes one character"),
        (["kpis", "--example", "--encoding", "klingon"], "--encoding 'klingon'"),
    ],
)
def test_bad_usage_is_one_line_and_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(args, capsys)
    assert_one_line_error(status, err, message)


def test_bad_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "'customer_id'")
    assert "'client', 'when', 'total', 'country'" in err


def test_bad_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,date,amount\n1,2024-01-01,3\n2,yesterday,4\n")
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "not dates")


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["kpis"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["kpis", "--example", "--format", "xml"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["kpis", "--example", "--returns", "keep"])
    assert info.value.code == 2


# ----------------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separator_is_sniffed(sep: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / "sep.txt"
    orders().to_csv(path, sep=sep, index=False)
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    # naming it gives the same, and `tab` names a tab
    named = "tab" if sep == "\t" else sep
    status, out, _ = run(["kpis", str(path), *COLUMNS, "--sep", named, "--format", "csv"], capsys)
    assert status == 0
    assert csv_values(out) == expected


def test_semicolon_and_decimal_comma(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A German export: `;` between fields, `,` in numbers, day.month.year dates, quoted text with `;`.
    expected = reference(tmp_path, capsys)
    path = tmp_path / "export.csv"
    text = orders().to_csv(sep=";", decimal=",", index=False)
    text = text.replace("2024-01-05", "05.01.2024").replace("UK", '"U;K"')
    for iso, german in [
        ("2024-02-10", "10.02.2024"),
        ("2024-01-20", "20.01.2024"),
        ("2024-03-03", "03.03.2024"),
        ("2024-02-02", "02.02.2024"),
        ("2024-03-31", "31.03.2024"),
    ]:
        text = text.replace(iso, german)
    assert "12,5" in text
    path.write_text(text, encoding="utf-8")
    args = ["kpis", str(path), *COLUMNS, "--decimal", ",", "--date-format", "%d.%m.%Y"]
    status, out, err = run([*args, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    status, out, _ = run([*args, "--by", "country", "--format", "json"], capsys)
    assert status == 0
    groups = [g["group"]["country"] for g in json.loads(out)["groups"]]
    assert "U;K" in groups


def test_sniffer_is_deterministic_and_respects_quotes() -> None:
    assert _sniff_separator(["a;b;c", "1;2,5;x", "2;3,5;y"], ".") == ";"
    assert _sniff_separator(["a,b,c", "1,2;5,x"], ".") == ","
    assert _sniff_separator(['"a;1","b","c"', '"x;y",2,3'], ".") == ","
    assert _sniff_separator(["a\tb c\td", "1\t2\t3"], ".") == "\t"
    assert _sniff_separator(["a|b", "1|2"], ".") == "|"
    # a header that splits on two candidates: the data rows decide
    assert _sniff_separator(["a,b;c,d", "1;2;3", "4;5;6"], ".") == ","
    assert _sniff_separator(["a,b;c", "1,2;3", "4,5;6"], ".") == ","
    # the decimal mark is never the separator; a single column falls back to the first candidate
    assert _sniff_separator(["a,b;c", "1,5;2"], ",") == ";"
    assert _sniff_separator(["amount"], ".") == ","
    assert _sniff_separator(["amount"], ",") == ";"


def test_utf8_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / "excel-export.csv"
    orders().to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    for extra in ([], ["--encoding", "utf-8"], ["--encoding", "UTF8"]):
        status, out, err = run(["kpis", str(path), *COLUMNS, *extra, "--format", "csv"], capsys)
        assert (status, err) == (0, "")
        assert csv_values(out) == expected


def test_utf16_with_bom_is_recognised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / "unicode-text.txt"
    orders().to_csv(path, sep="\t", index=False, encoding="utf-16")
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


def test_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.csv"
    tx = orders().assign(country=["Österreich", "Österreich", "Dänemark", "Dänemark", None, "Ö"])
    tx.to_csv(path, index=False, encoding="cp1252")
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, "is not utf-8 text (byte 0xd6")
    assert "--encoding" in err
    status, out, err = run(
        [
            "kpis",
            str(path),
            *COLUMNS,
            "--encoding",
            "cp1252",
            "--by",
            "country",
            "--format",
            "json",
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    # a customer's group is their country on their first purchase
    assert {g["group"]["country"] for g in json.loads(out)["groups"]} == {
        "Dänemark",
        "Österreich",
        None,
    }


def test_bad_byte_after_the_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The sample that the separator is sniffed on is clean; the parser meets the bad byte later.
    rows = "".join(f"{i},2024-01-{1 + i % 28:02d},1.5,x\n" for i in range(5000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"client,when,total,note\n" + rows.encode() + b"1,2024-02-01,1,M\xfcller\n")
    assert path.stat().st_size > 1 << 16
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, "is not utf-8 text")


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".tsv.gz"])
def test_compressed(suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / f"orders{suffix}"
    orders().to_csv(path, sep="\t" if ".tsv" in suffix else ";", index=False)
    assert b"client" not in path.read_bytes()  # really compressed
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


def test_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    expected = reference(tmp_path, capsys)
    for name, frame in [
        ("dates.parquet", orders().assign(when=pd.to_datetime(orders()["when"]))),
        ("text.pq", orders()),  # dates stored as text are parsed by the library
    ]:
        path = tmp_path / name
        frame.to_parquet(path)
        status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
        assert (status, err) == (0, "")
        assert csv_values(out) == expected


def test_parquet_missing_column_lists_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "orders.parquet"
    orders().to_parquet(path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--by", "region"], capsys)
    assert_one_line_error(status, err, "'region'")
    assert "'client', 'when', 'total', 'country'" in err


def test_parquet_without_pyarrow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "retention-metrics[parquet]")


def test_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openpyxl")
    expected = reference(tmp_path, capsys)
    path = tmp_path / "orders.xlsx"
    orders().assign(when=pd.to_datetime(orders()["when"])).to_excel(path, index=False)
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


def test_xlsx_text_dates_with_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openpyxl")
    expected = reference(tmp_path, capsys)
    tx = orders().assign(when=pd.to_datetime(orders()["when"]).dt.strftime("%d/%m/%Y"))
    path = tmp_path / "orders.xlsx"
    tx.to_excel(path, index=False)
    args = ["kpis", str(path), *COLUMNS, "--date-format", "%d/%m/%Y", "--format", "csv"]
    status, out, err = run(args, capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    tx.loc[3, "when"] = "3 March"
    tx.to_excel(path, index=False)
    status, _, err = run(args, capsys)
    # the header is row 1 of the sheet, so the fourth data row is row 5
    assert_one_line_error(status, err, "'3 March' at row 5")


def test_xlsx_without_openpyxl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes `import openpyxl` fail
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "retention-metrics[excel]")


def test_date_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    tx = orders().assign(when=pd.to_datetime(orders()["when"]).dt.strftime("%m/%d/%Y %H:%M"))
    path = tmp_path / "us.csv"
    tx.to_csv(path, index=False)
    args = ["kpis", str(path), *COLUMNS, "--date-format", "%m/%d/%Y %H:%M", "--format", "csv"]
    status, out, err = run(args, capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


def test_date_format_names_the_first_bad_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "de.csv"
    path.write_text(
        "client;when;total\n1;05.01.2024;1\n2;2024-01-06;2\n3;31.02.2024;3\n4;;4\n5;07.01.2024;5\n"
    )
    status, _, err = run(["kpis", str(path), *COLUMNS, "--date-format", "%d.%m.%Y"], capsys)
    # line 1 is the header; 31 February is no date either; the missing one is the library's to name
    assert_one_line_error(
        status,
        err,
        "column 'when' does not match --date-format '%d.%m.%Y': '2024-01-06' at line 3 (and 1 more row)",
    )


def test_date_format_missing_dates_are_the_librarys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "de.csv"
    path.write_text("client;when;total\n1;05.01.2024;1\n4;;4\n")
    status, _, err = run(["kpis", str(path), *COLUMNS, "--date-format", "%d.%m.%Y"], capsys)
    assert_one_line_error(status, err, "missing dates")


def test_date_format_that_is_no_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--date-format", "%Q"], capsys)
    assert_one_line_error(status, err, "--date-format '%Q'")


def test_date_format_leaves_real_dates_alone(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["kpis", "--example", "--date-format", "%d.%m.%Y"], capsys)
    assert status == 0
    assert "observation_end: 2024-12-" in out


def broken_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """A file for each way reading can fail, with the message it must give."""
    good = orders().to_csv(index=False).encode()
    files: dict[str, tuple[str, bytes, str]] = {
        "empty": ("empty.csv", b"", "the file is empty"),
        "blank lines": ("blank.csv", b"\n \n\n", "the file is empty"),
        "only a BOM": ("bom.csv", b"\xef\xbb\xbf", "the file is empty"),
        "ragged": ("ragged.csv", good + b"1,2024-04-01,3,UK,extra\n", "Expected 4 fields"),
        "not gzip": ("orders.csv.gz", good, "the compressed file is damaged"),
        "truncated gzip": ("cut.csv.gz", b"", "the compressed file is damaged"),
        "not bz2": ("orders.csv.bz2", good, "the compressed file is damaged"),
        "not xz": ("orders.csv.xz", good, "the compressed file is damaged"),
        "not zip": ("orders.csv.zip", good, "the compressed file is damaged"),
        "corrupt parquet": ("orders.parquet", b"PAR1 not really PAR1", "as parquet"),
        "empty parquet file": ("empty.pq", b"", "as parquet"),
        "corrupt xlsx": ("orders.xlsx", b"not a zip", "not an .xlsx workbook"),
        "zip that is no workbook": ("archive.xlsx", b"", "not an .xlsx workbook"),
        "old Excel": ("orders.xls", good, "save it as .xlsx or CSV"),
        "compressed parquet": ("orders.parquet.gz", good, "decompress it first"),
    }
    out: dict[str, tuple[Path, str]] = {}
    for key, (name, data, message) in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        out[key] = (path, message)
    cut = tmp_path / "cut.csv.gz"
    orders().to_csv(cut, index=False)
    cut.write_bytes(cut.read_bytes()[:30])
    with zipfile.ZipFile(tmp_path / "archive.xlsx", "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out


BROKEN = [
    "empty",
    "blank lines",
    "only a BOM",
    "ragged",
    "not gzip",
    "truncated gzip",
    "not bz2",
    "not xz",
    "not zip",
    "corrupt parquet",
    "empty parquet file",
    "corrupt xlsx",
    "zip that is no workbook",
    "old Excel",
    "compressed parquet",
]


@pytest.mark.parametrize("case", BROKEN)
def test_read_errors_are_one_line_and_status_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "parquet" in case:
        pytest.importorskip("pyarrow")
    if "xlsx" in case or "workbook" in case:
        pytest.importorskip("openpyxl")
    path, message = broken_files(tmp_path)[case]
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, message)
    assert str(path) in err or "compressed" in message


def test_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["kpis", str(tmp_path)], capsys)
    assert_one_line_error(status, err, "is a folder")


def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
        assert_one_line_error(status, err, "Permission denied")
    finally:
        path.chmod(0o644)


def test_sep_and_decimal_cannot_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--sep", ",", "--decimal", ","], capsys)
    assert_one_line_error(status, err, "--sep and --decimal cannot both be ','")


# ----------------------------------------------------------------------------- rows and warnings


def test_drop_missing_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / "holes.csv"
    tx = pd.concat([orders(), orders().iloc[:3].assign(client=None)], ignore_index=True)
    tx.to_csv(path, index=False)
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, "missing ids")
    assert "--drop-missing-ids" in err
    status, out, err = run(
        ["kpis", str(path), *COLUMNS, "--drop-missing-ids", "--format", "csv"], capsys
    )
    assert status == 0
    assert err == "retention: dropped 3 rows without a customer id\n"
    # customer ids read as floats because of the holes; the KPIs are those of the rows kept
    assert csv_values(out) == expected


def test_drop_missing_ids_counts_with_separators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "many.csv"
    n = 1234
    tx = pd.DataFrame(
        {
            "client": [None] * n + [1, 2],
            "when": ["2024-01-01"] * n + ["2024-01-02", "2024-01-03"],
            "total": 1.0,
        }
    )
    tx.to_csv(path, index=False)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--drop-missing-ids"], capsys)
    assert status == 0
    assert err == "retention: dropped 1,234 rows without a customer id\n"


def test_drop_missing_ids_with_nothing_to_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(["kpis", str(write_csv(tmp_path)), *COLUMNS, "--drop-missing-ids"], capsys)
    assert (status, err) == (0, "")


def test_observation_end_after_the_last_purchase(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path)  # the last purchase is on 2024-03-31
    status, _, err = run(["kpis", str(path), *COLUMNS, "--as-of", "2024-04-30"], capsys)
    assert status == 0
    assert err.count("\n") == 1
    assert err.startswith("retention: warning: the observation end 2024-04-30 is 30 days after")
    assert "(2024-03-31)" in err
    status, _, err = run(["kpis", str(path), *COLUMNS, "--as-of", "2024-04-01"], capsys)
    assert err == (
        "retention: warning: the observation end 2024-04-01 is 1 day after the last purchase "
        "(2024-03-31); those days count as observed days without purchases\n"
    )
    for end in ("2024-03-31", "2024-03-15"):
        status, _, err = run(["kpis", str(path), *COLUMNS, "--as-of", end], capsys)
        assert (status, err) == (0, "")


def test_observation_end_warning_ignores_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "returns.csv"
    tx = pd.concat(
        [orders(), pd.DataFrame({"client": [1], "when": ["2024-04-10"], "total": [-12.5]})]
    )
    tx.to_csv(path, index=False)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--as-of", "2024-04-30"], capsys)
    assert status == 0
    assert "is 30 days after the last purchase (2024-03-31)" in err


def fake_kpis_warning(monkeypatch: pytest.MonkeyPatch, *messages: Warning) -> None:
    real = retention.cli.kpis

    def warning_kpis(tx: pd.DataFrame, **options: object) -> pd.Series:
        for message in messages:
            warnings.warn(message, stacklevel=2)
        return real(tx, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(retention.cli, "kpis", warning_kpis)


def test_retention_warnings_are_one_line_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_kpis_warning(
        monkeypatch,
        RetentionWarning("first: something\nto know"),
        RetentionWarning("second"),
        RetentionWarning("first: something\nto know"),  # said once
    )
    status, out, err = run(["kpis", "--example"], capsys)
    assert status == 0
    assert err == "retention: warning: first: something to know\nretention: warning: second\n"
    assert "customers" in out


def test_other_warnings_are_left_to_python(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_kpis_warning(monkeypatch, FutureWarning("pandas will change"))
    with pytest.warns(FutureWarning, match="pandas will change"):
        status, _, err = run(["kpis", "--example"], capsys)
    assert status == 0
    assert "retention: warning" not in err


def line_items(tmp_path: Path) -> Path:
    # Three orders of two lines each, and one of one line: every line of an order has its timestamp.
    path = tmp_path / "lines.csv"
    path.write_text(
        "invoice,client,when,total\n"
        "A1,1,2024-01-05 10:00,5\nA1,1,2024-01-05 10:00,5\n"
        "A2,1,2024-02-10 11:00,10\nA2,1,2024-02-10 11:00,10\n"
        "B1,2,2024-01-20 09:30,2.5\nB1,2,2024-01-20 09:30,2.5\n"
        "C1,3,2024-02-02 12:00,8\n"
    )
    return path


def test_line_item_warning_from_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = line_items(tmp_path)
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "json"], capsys)
    assert status == 0
    assert err.count("\n") == 1
    assert err.startswith("retention: warning: ")
    assert "--order-id" in err
    assert "Warning" not in err  # no Python warning header
    assert json.loads(out)["kpis"]["purchase_frequency"] == pytest.approx(7 / 3)
    status, out, err = run(
        ["kpis", str(path), *COLUMNS, "--order-id", "invoice", "--format", "json"], capsys
    )
    assert (status, err) == (0, "")
    values = json.loads(out)["kpis"]
    assert values["purchase_frequency"] == pytest.approx(4 / 3)
    assert values["average_order_value"] == pytest.approx(43 / 4)


def test_returns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "returns.csv"
    tx = pd.concat(
        [orders(), pd.DataFrame({"client": [1], "when": ["2024-03-31"], "total": [-20.5]})]
    )
    tx.to_csv(path, index=False)
    values = {}
    for returns in ("net", "drop"):
        status, out, _ = run(
            ["kpis", str(path), *COLUMNS, "--returns", returns, "--format", "json"], capsys
        )
        assert status == 0
        values[returns] = json.loads(out)["kpis"]
    assert values["drop"]["revenue_per_customer"] == pytest.approx(60.5 / 3)
    assert values["net"]["revenue_per_customer"] == pytest.approx(40 / 3)
    assert values["net"]["customers"] == values["drop"]["customers"] == 3


# ------------------------------------------------------------------------------------- breakdowns


def by_country(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = write_csv(tmp_path)
    args = ["kpis", str(path), *COLUMNS, "--as-of", "2024-03-31", "--by", "country"]
    status, out, err = run([*args, "--format", fmt], capsys)
    assert (status, err) == (0, "")
    return out


def test_by_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = by_country(tmp_path, "table", capsys)
    lines = out.splitlines()
    assert lines[:3] == ["observation_end: 2024-03-31", "freq: M", "period: 2024-03"]
    headers = [line for line in lines if line.startswith("country=")]
    assert headers == ["country=DE", "country=UK", "country=(missing)"]
    block = lines[lines.index("country=UK") + 1 : lines.index("country=(missing)") - 1]
    assert [line.split()[0] for line in block] == list(KPI_NAMES)
    assert block[0].split()[1] == "1"  # customer 1 is the UK


def test_by_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = json.loads(by_country(tmp_path, "json", capsys))
    assert list(payload) == ["observation_end", "freq", "period", "by", "groups"]
    assert payload["observation_end"] == "2024-03-31"
    assert payload["by"] == ["country"]
    groups = payload["groups"]
    assert [g["group"] for g in groups] == [
        {"country": "DE"},
        {"country": "UK"},
        {"country": None},
    ]
    for g in groups:
        assert list(g) == ["group", "kpis"]
        assert list(g["kpis"]) == list(KPI_NAMES)
        assert g["kpis"]["customers"] == 1
    assert groups[1]["kpis"]["revenue_per_customer"] == pytest.approx(42.5)


def test_by_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = by_country(tmp_path, "csv", capsys)
    assert out.splitlines()[0] == "country,kpi,value,observation_end,freq,period"
    table = pd.read_csv(io.StringIO(out), keep_default_na=False)
    assert len(table) == 3 * len(KPI_NAMES)
    assert list(table["country"].unique()) == ["DE", "UK", ""]  # the missing group is empty
    uk = table[table["country"] == "UK"].set_index("kpi")["value"]
    assert list(uk.index) == list(KPI_NAMES)
    assert uk["revenue_per_customer"] == "42.5"
    assert set(table["observation_end"]) == {"2024-03-31"}


def test_by_two_columns(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["kpis", "--example", "--by", "channel", "--by", "manager"]
    status, out, _ = run([*args, "--format", "json"], capsys)
    assert status == 0
    payload = json.loads(out)
    assert payload["by"] == ["channel", "manager"]
    first = payload["groups"][0]["group"]
    assert list(first) == ["channel", "manager"]
    total = sum(g["kpis"]["customers"] for g in payload["groups"])
    status, out, _ = run(["kpis", "--example", "--format", "json"], capsys)
    assert total == json.loads(out)["kpis"]["customers"]
    status, out, _ = run([*args, "--format", "csv"], capsys)
    assert out.splitlines()[0] == "channel,manager,kpi,value,observation_end,freq,period"
    status, out, _ = run(args, capsys)
    assert f"channel={first['channel']}, manager={first['manager']}" in out


def test_fail_under_by_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    args = ["kpis", str(path), *COLUMNS, "--as-of", "2024-03-31", "--by", "country"]
    status, _, err = run([*args, "--fail-under", "revenue_per_customer=10"], capsys)
    assert status == 1
    assert err.splitlines() == [
        "retention: KPI revenue_per_customer = 8 is under its floor 10 in group country=(missing)"
    ]
    status, _, err = run([*args, "--fail-under", "revenue_per_customer=8"], capsys)
    assert (status, err) == (0, "")


# -------------------------------------------------------------------------------------- processes


def test_module_entry_point_has_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "retention", "kpis", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("retention: error: no such file")
    assert "Traceback" not in done.stderr


def test_real_process_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 this gzip stops here")
    done = subprocess.run(
        [sys.executable, "-m", "retention.cli", "kpis", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("retention: error: cannot read")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_real_process_with_a_closed_pipe() -> None:
    # `retention kpis ... | head -1`: the reader is gone; no error, and the floors still decide.
    floor = ["--example", "--fail-under", "customers=1e9"]
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "retention.cli", "kpis", *floor],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["retention: KPI customers = 3000 is under its floor 1e+09"]


def test_dates_in_another_format_point_at_date_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "german.csv"
    path.write_text(
        "customer_id;date;amount\n1;31.01.2024;10,5\n2;01.02.2024;3\n", encoding="utf-8"
    )
    status, _, err = run(["kpis", str(path)], capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert "--date-format" in err
    assert "You might want to try" not in err
    status, out, _ = run(["kpis", str(path), "--date-format", "%d.%m.%Y", "--decimal", ","], capsys)
    assert status == 0
    assert "customers" in out
