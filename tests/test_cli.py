"""Tests of the `retention` command."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import stat
import subprocess
import sys
import tarfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import numpy as np
import pandas as pd
import pytest

import retention.cli
import retention.frames.kpis
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
        (
            ["kpis", "--example", "--fail-under", "customers=nan"],
            "--fail-under 'customers=nan': the floor must be a finite number",
        ),
        (["kpis", "--example", "--fail-under", "crr=inf"], "--fail-under 'crr=inf'"),
        (["kpis", "--example", "--fail-under", "crr=-inf"], "--fail-under 'crr=-inf'"),
        (["kpis", "--example", "--fail-under", "crr=1e999"], "e.g. --fail-under crr=0.5"),
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


@pytest.mark.parametrize(
    "encoding", ["rot13", "quopri", "zlib_codec", "base64", "hex", "bz2", "uu", "undefined"]
)
def test_codecs_that_are_no_text_encoding_are_refused(
    encoding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Python's registry holds them too: text to text, bytes to bytes, or no decoding at all.
    message = (
        f"--encoding {encoding!r} is not a text encoding; give one such as utf-8, cp1252 or latin-1"
    )
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--encoding", encoding], capsys)
    assert_one_line_error(status, err, message)
    # up front: also when no file is read
    status, _, err = run(["kpis", "--example", "--encoding", encoding], capsys)
    assert_one_line_error(status, err, message)


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


@pytest.mark.parametrize("suffix", [".csv.tar", ".csv.tar.gz", ".csv.tar.bz2", ".csv.tar.xz"])
def test_tar_archive(suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A tar archive (compressed or not) is read as the file it holds, after a folder entry.
    expected = reference(tmp_path, capsys)
    member = tmp_path / "orders.csv"
    orders().to_csv(member, sep=";", index=False)
    path = tmp_path / f"orders{suffix}"
    mode = "w" if suffix.endswith(".tar") else f"w:{suffix.rsplit('.', 1)[1]}"
    with tarfile.open(path, mode) as archive:
        folder = tarfile.TarInfo("data")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        archive.add(member, arcname="data/orders.csv")
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


def test_zstd_needs_zstandard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # .zst needs the zstandard package (as pandas does): without it, one line saying how to get it.
    monkeypatch.setitem(sys.modules, "zstandard", None)
    path = tmp_path / "orders.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, "needs the zstandard package: pip install zstandard")


def archive(path: Path, files: dict[str, bytes], folders: tuple[str, ...] = ()) -> Path:
    """A zip or tar archive (by the name's suffix) of ``files`` by name, after ``folders`` entries."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as z:
            for folder in folders:
                z.writestr(zipfile.ZipInfo(folder + "/"), b"")
            for name, data in files.items():
                z.writestr(name, data)
        return path
    with tarfile.open(path, "w:gz" if path.suffix == ".gz" else "w") as t:
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            t.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("suffix", [".csv.zip", ".csv.tar", ".csv.tar.gz"])
def test_archives_of_a_folder_and_of_macos(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder zipped with its one CSV, as macOS's Finder makes it (a __MACOSX/ copy of the file's
    # attributes, a .DS_Store), is read as that CSV; several data files, or none, are one line each.
    expected = reference(tmp_path, capsys)
    data = orders().to_csv(index=False).encode()
    finder = {"export/orders.csv": data, "export/.DS_Store": b"\x00\x00\x00\x01Bud1",
              "__MACOSX/export/._orders.csv": b"\x00\x05\x16\x07"}  # fmt: skip
    path = archive(tmp_path / f"export{suffix}", finder, folders=("export", "__MACOSX"))
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    two = archive(tmp_path / f"two{suffix}", {"a.csv": data, "b.csv": data, "._a.csv": b"x"})
    status, _, err = run(["kpis", str(two), *COLUMNS], capsys)
    assert_one_line_error(status, err, "the archive holds 2 files (a.csv, b.csv); extract the one")
    empty = archive(tmp_path / f"empty{suffix}", {"__MACOSX/._a.csv": b"x"}, folders=("data",))
    status, _, err = run(["kpis", str(empty), *COLUMNS], capsys)
    assert_one_line_error(status, err, "the archive holds no file")


def test_utf32_and_nul_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = reference(tmp_path, capsys)
    path = tmp_path / "orders32.csv"
    path.write_bytes(orders().to_csv(index=False).encode("utf-32"))  # with its byte-order mark
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    path = tmp_path / "nul.csv"
    path.write_bytes(orders().to_csv(index=False).encode() + b"1,2024-03-01,2\x00,x\n")
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, "it holds NUL characters")


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


def test_times_with_summer_and_winter_offsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An export from a shop in Berlin: +01:00 in winter, +02:00 from the end of March. Each time is read
    # in the wall-clock time written, so the KPIs are those of the dates without their offsets.
    expected = reference(tmp_path, capsys)
    when = pd.to_datetime(orders()["when"])
    offsets = np.where(when >= pd.Timestamp("2024-03-31"), "+02:00", "+01:00")
    tx = orders().assign(when=when.dt.strftime("%Y-%m-%dT%H:%M:%S") + offsets)
    assert tx["when"].str[-6:].nunique() == 2  # both offsets are in the file
    path = tmp_path / "berlin.csv"
    tx.to_csv(path, index=False)
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
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


@pytest.mark.parametrize(("fmt", "field"), [("%d.%d.%Y", "%d"), ("%c %Y", "%Y")])
def test_date_format_that_gives_a_field_twice(
    fmt: str, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # strptime cannot compile such a format (a regular expression error, not a ValueError)
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--date-format", fmt], capsys)
    assert_one_line_error(
        status,
        err,
        f"--date-format {fmt!r}: it gives the field {field} twice; give each field once",
    )


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


def patched_zip(path: Path, *, flag: int = 0, method: int | None = None) -> Path:
    """A zip archive of one CSV file with its headers patched: an encryption flag, a compression method."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("orders.csv", orders().to_csv(index=False))
    data = bytearray(path.read_bytes())
    # (signature, offset of the flags, offset of the method) of the local and the central header
    for signature, flags, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        data[at + flags] |= flag
        if method is not None:
            data[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def parquet(path: Path) -> Path:
    orders().to_parquet(path)
    return path


def workbook(path: Path) -> Path:
    orders().to_excel(path, index=False)
    return path


def edited_workbook(path: Path, part: str, edit: Callable[[bytes], bytes]) -> Path:
    """A workbook of `orders()` whose `part` is rewritten by `edit`."""
    good = workbook(path.with_name("good.xlsx"))
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            archive.writestr(name, edit(data) if name == part else data)
    return path


def truncated(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return path


def parquet_with_damaged_pandas_metadata(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(orders())
    metadata = json.loads(table.schema.metadata[b"pandas"])
    del metadata["index_columns"][0]["stop"]  # a RangeIndex without its end
    pq.write_table(table.replace_schema_metadata({b"pandas": json.dumps(metadata)}), path)
    return path


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def shared_string_out_of_range(sheet: bytes) -> bytes:
    head, _, _ = sheet.partition(b"<sheetData>")
    return (
        head
        + b'<sheetData><row r="1"><c r="A1" t="s"><v>12345</v></c></row></sheetData></worksheet>'
    )


# More ways reading can fail, built by functions: a file and the message it must give.
BUILT: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "CSV named .parquet": lambda t: (
        written(t / "orders.parquet", orders().to_csv(index=False).encode()),
        "it is not a parquet file but text; if it is CSV, rename it to .csv",
    ),
    "truncated parquet": lambda t: (
        truncated(parquet(t / "cut.parquet")),
        "the file is truncated or damaged",
    ),
    "parquet with damaged pandas metadata": lambda t: (
        parquet_with_damaged_pandas_metadata(t / "meta.parquet"),
        "the pandas metadata stored in it",
    ),
    "parquet named .csv": lambda t: (
        parquet(t / "orders.csv"),
        "it is not CSV text but a parquet file; rename it to .parquet",
    ),
    "gzip named .csv": lambda t: (
        written(t / "orders.csv", gzip.compress(orders().to_csv(index=False).encode())),
        "it is not CSV text but gzip-compressed data; add .gz to its name",
    ),
    "CSV named .xlsx": lambda t: (
        written(t / "orders.xlsx", orders().to_csv(index=False).encode()),
        "it is not an .xlsx workbook but text; if it is CSV, rename it to .csv",
    ),
    "empty xlsx": lambda t: (written(t / "empty.xlsx", b""), "the file is empty (0 bytes)"),
    "password-protected workbook": lambda t: (
        written(t / "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        "a password-protected workbook; save it from Excel as .xlsx without a password",
    ),
    "truncated xlsx": lambda t: (
        truncated(workbook(t / "cut.xlsx")),
        "the workbook is damaged, or not an .xlsx workbook",
    ),
    "xlsx with a shared string that is not there": lambda t: (  # openpyxl: IndexError
        edited_workbook(t / "strings.xlsx", "xl/worksheets/sheet1.xml", shared_string_out_of_range),
        "the workbook is damaged",
    ),
    "xlsx with an attribute openpyxl does not know": lambda t: (  # openpyxl: TypeError
        edited_workbook(
            t / "attribute.xlsx",
            "[Content_Types].xml",
            lambda xml: xml.replace(b"<Override PartName=", b"<Override PartNom="),
        ),
        "the workbook is damaged",
    ),
    "encrypted zip": lambda t: (
        patched_zip(t / "locked.csv.zip", flag=0x1),
        "the zip archive is encrypted (password-protected); extract orders.csv",
    ),
    "zip of a method Python lacks": lambda t: (
        patched_zip(t / "ppmd.csv.zip", method=98),  # PPMd
        "a version or compression method that Python cannot read",
    ),
}


def needs_readers(case: str) -> None:
    if "parquet" in case:
        pytest.importorskip("pyarrow")
    if "xlsx" in case or "workbook" in case:
        pytest.importorskip("openpyxl")


def broken(tmp_path: Path, case: str) -> tuple[Path, str]:
    """The file of a case of BROKEN or BUILT, and the message it must give."""
    needs_readers(case)
    return BUILT[case](tmp_path) if case in BUILT else broken_files(tmp_path)[case]


@pytest.mark.parametrize("case", BROKEN + list(BUILT))
def test_read_errors_are_one_line_and_status_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, message = broken(tmp_path, case)
    status, _, err = run(["kpis", str(path), *COLUMNS], capsys)
    assert_one_line_error(status, err, message)
    assert str(path) in err or "compressed" in message


@contextmanager
def no_hang(seconds: int = 10) -> Iterator[None]:
    """Fail the test, instead of waiting forever, when the command blocks (on a FIFO, say)."""
    if not hasattr(signal, "SIGALRM"):  # Windows, which has no FIFOs to block on either
        yield
        return

    def blocked(signum: int, frame: FrameType | None) -> None:
        # pytest's failure is no Exception: the command cannot catch it and report an error instead.
        pytest.fail(f"the command blocked for {seconds} s")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_status(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command as its entry point does: argparse's errors exit through SystemExit."""
    code: object
    try:
        with no_hang():
            code = main(args)
    except SystemExit as e:
        code = e.code
    assert isinstance(code, int)
    out, err = capsys.readouterr()
    return code, out, err


def fifo(tmp_path: Path) -> list[str]:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes (os.mkfifo) on this platform")
    path = tmp_path / "orders.csv"
    os.mkfifo(path)  # no writer: opening it for reading would wait forever
    return ["kpis", str(path), *COLUMNS]


def device(tmp_path: Path) -> list[str]:
    if not os.path.exists(os.devnull) or not stat.S_ISCHR(os.stat(os.devnull).st_mode):
        pytest.skip(f"{os.devnull} is no character device here")
    return ["kpis", os.devnull]


def broken_case(case: str) -> Callable[[Path], list[str]]:
    return lambda t: ["kpis", str(broken(t, case)[0]), *COLUMNS]


def floor(value: str) -> Callable[[Path], list[str]]:
    return lambda t: ["kpis", str(write_csv(t)), *COLUMNS, "--fail-under", f"customers={value}"]


# The exit statuses, one row per class of outcome: (what happens, arguments, status, what stderr says).
# 0: computed, every floor met; 1: a floor missed, and nothing else; 2: bad options or input, one line.
EXIT_STATUS: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("good run", floor("3"), 0, ""),
    ("good run without floors", lambda t: ["kpis", str(write_csv(t)), *COLUMNS], 0, ""),
    ("floor missed", floor("4"), 1, "retention: KPI customers = 3 is under its floor 4"),
    (
        "floor of an undefined KPI",
        lambda t: ["kpis", str(write_csv(t)), *COLUMNS, "--fail-under", "cohort_retention_12=0.1"],
        1,
        "retention: KPI cohort_retention_12 is undefined (n/a)",
    ),
    ("option argparse refuses", lambda t: ["kpis", "--example", "--format", "xml"], 2, "'xml'"),
    ("no file and no --example", lambda t: ["kpis"], 2, "--example"),
    ("no command", lambda t: [], 2, "required: COMMAND"),
    ("floor of no KPI", lambda t: ["kpis", "--example", "--fail-under", "nope=1"], 2, "nope=1"),
    ("floor that is no number", floor("many"), 2, "'many' is not a number"),
    ("floor nan", floor("nan"), 2, "--fail-under 'customers=nan': the floor must be a finite"),
    ("floor inf", floor("inf"), 2, "--fail-under 'customers=inf': the floor must be a finite"),
    ("floor -inf", floor("-inf"), 2, "--fail-under 'customers=-inf': the floor must be a finite"),
    ("option the library refuses", lambda t: ["kpis", "--example", "--freq", "X"], 2, "'freq'"),
    ("no such file", lambda t: ["kpis", str(t / "nope.csv")], 2, "no such file"),
    ("folder", lambda t: ["kpis", str(t)], 2, "is a folder"),
    ("named pipe", fifo, 2, "is a named pipe (FIFO), not a regular file"),
    ("device", device, 2, "is a device, not a regular file"),
    ("empty file", broken_case("empty"), 2, "the file is empty"),
    ("ragged CSV", broken_case("ragged"), 2, "Expected 4 fields"),
    ("damaged gzip", broken_case("truncated gzip"), 2, "the compressed file is damaged"),
    ("encrypted zip", broken_case("encrypted zip"), 2, "encrypted"),
    ("mislabelled CSV", broken_case("parquet named .csv"), 2, "rename it to .parquet"),
    ("CSV named .parquet", broken_case("CSV named .parquet"), 2, "rename it to .csv"),
    ("zero-byte parquet", broken_case("empty parquet file"), 2, "as parquet"),
    ("truncated parquet", broken_case("truncated parquet"), 2, "truncated"),
    ("damaged parquet", broken_case("corrupt parquet"), 2, "the file is damaged"),
    (
        "parquet with damaged pandas metadata",
        broken_case("parquet with damaged pandas metadata"),
        2,
        "pandas metadata",
    ),
    ("CSV named .xlsx", broken_case("CSV named .xlsx"), 2, "rename it to .csv"),
    ("truncated xlsx", broken_case("truncated xlsx"), 2, "the workbook is damaged"),
    (
        "damaged workbook",
        broken_case("xlsx with a shared string that is not there"),
        2,
        "the workbook is damaged",
    ),
    ("missing column", lambda t: ["kpis", str(write_csv(t))], 2, "'customer_id'"),
    (
        "bad date",
        lambda t: ["kpis", str(write_csv(t)), *COLUMNS, "--date-format", "%d.%m.%Y"],
        2,
        "does not match --date-format",
    ),
]


@pytest.mark.parametrize("case", EXIT_STATUS, ids=[case[0] for case in EXIT_STATUS])
def test_exit_status(
    case: tuple[str, Callable[[Path], list[str]], int, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, args, status, message = case
    needs_readers(name)
    got, out, err = run_status(args(tmp_path), capsys)
    assert got == status, err
    assert "Traceback" not in err
    if status == 0:
        assert err == ""
        assert "customers" in out
    elif status == 1:
        # a floor missed: the KPIs are printed, and stderr names each KPI under its floor
        assert "customers" in out
        assert len(err.splitlines()) == 1
        assert err.startswith(message)
    else:
        assert out == ""
        assert err.startswith("retention: error: ")
        assert err.count("\n") == 1
        assert err.endswith("\n")
        assert message in err


def test_exit_statuses_are_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["kpis", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 0
        out = capsys.readouterr().out
        epilog = out[out.index("exit status:") :].splitlines()
        assert [line.split()[0] for line in epilog[1:] if line[:3].strip()] == ["0", "1", "2", "3"]
        assert "--fail-under floor" in out
        assert "never a traceback" in out
        assert "- reads CSV text from standard input" in " ".join(out.split()) or args == ["--help"]


@pytest.mark.parametrize("command", ["kpis", "report"])
def test_a_bug_is_status_3_with_its_traceback(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Neither 1 (a missed floor) nor 2 (bad input): an unexpected error says it is one, for a report.
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(retention.cli, f"_{command}_command", broken)
    args = [command, "--example"] + (
        ["-o", str(tmp_path / "r.html")] if command == "report" else []
    )
    assert main(args) == 3
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("retention: internal error: ZeroDivisionError: division by zero (a bug")
    assert "Traceback" in err


def test_argparse_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["kpis", "--example", "--returns", "keep"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "retention: error: argument --returns: invalid choice: 'keep' (choose from 'net', 'drop'); "
        "see retention kpis --help\n"
    )


def test_fifo_is_refused_before_it_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = fifo(tmp_path)
    opened: list[object] = []
    real_open = Path.open

    def recording_open(self: Path, *a: object, **k: object) -> object:
        opened.append(self)
        return real_open(self, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", recording_open)
    status, _, err = run_status(args, capsys)
    assert_one_line_error(status, err, f"cannot read {args[1]}: it is a named pipe (FIFO)")
    assert f"cat {args[1]} | retention kpis -" in err
    assert opened == []


class FakeStdin(io.TextIOWrapper):
    def __init__(self, data: bytes, *, tty: bool = False) -> None:
        super().__init__(io.BytesIO(data))
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("compress", [False, True])
def test_stdin(
    compress: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = reference(tmp_path, capsys)
    data = orders().to_csv(sep=";", index=False).encode()
    monkeypatch.setattr(sys, "stdin", FakeStdin(gzip.compress(data) if compress else data))
    status, out, err = run(["kpis", "-", *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected


@pytest.mark.parametrize(
    ("data", "tty", "message"),
    [
        (b"", True, "cannot read standard input (-): it is a terminal, not data"),
        (b"PAR1\x15\x04\x15\x00PAR1", False, "it is a parquet file, not CSV text"),
        (b"", False, "cannot read standard input: the file is empty"),
        (
            b"client,when,total\n1,2024-01-01,\xff\n",
            False,
            "cannot read standard input: it is not utf-8",
        ),
    ],
)
def test_stdin_errors(
    data: bytes,
    tty: bool,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(data, tty=tty))
    status, _, err = run(["kpis", "-", *COLUMNS], capsys)
    assert_one_line_error(status, err, message)


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
    # the ids written as 1.0, 2.0 (the holes made them floats) are read as written; the KPIs are
    # those of the rows kept
    assert csv_values(out) == expected


@pytest.mark.parametrize(
    "ids",
    [
        ["007", "7", "07"],  # leading zeros: as numbers, all three would be customer 7
        ["12345678901234567", "12345678901234568", ""],  # as floats (the hole), one customer
        ["1", "1.0", "1e0"],  # as numbers, one customer
    ],
)
def test_ids_are_read_as_written(
    ids: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ids.csv"
    rows = [f"{c},2024-01-0{i + 1},{i + 1},{c}\n" for i, c in enumerate(ids)]
    path.write_text("customer_id,date,amount,order_id\n" + "".join(rows))
    kept = [c for c in ids if c]
    status, out, _ = run(["kpis", str(path), "--drop-missing-ids", "--format", "json"], capsys)
    assert status == 0
    assert json.loads(out)["kpis"]["customers"] == len(kept)
    # Order ids too: one customer's orders, each its own.
    rows = [f"c,2024-01-0{i + 1},{i + 1},{o}\n" for i, o in enumerate(kept)]
    path.write_text("customer_id,date,amount,order_id\n" + "".join(rows))
    status, out, _ = run(["kpis", str(path), "--order-id", "order_id", "--format", "json"], capsys)
    assert status == 0
    assert json.loads(out)["kpis"]["purchase_frequency"] == len(kept)
    pytest.importorskip("openpyxl")
    workbook = tmp_path / "ids.xlsx"  # text cells that look like numbers
    pd.DataFrame(
        {"customer_id": kept, "date": pd.date_range("2024-01-01", periods=len(kept)), "amount": 1.0}
    ).to_excel(workbook, index=False)
    status, out, _ = run(["kpis", str(workbook), "--format", "json"], capsys)
    assert status == 0
    assert json.loads(out)["kpis"]["customers"] == len(kept)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_column_named_twice_is_refused(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Readers keep the first of two 'amount' columns and rename the other (or refuse the file as
    # damaged): which one holds the amounts is not clear.
    path = tmp_path / f"twice{suffix}"
    names = ["customer_id", "date", "amount", "amount"]
    if suffix == ".csv":
        path.write_text(",".join(names) + "\n1,2024-01-01,10,99\n2,2024-01-02,10,99\n")
    elif suffix == ".xlsx":
        pytest.importorskip("openpyxl")
        frame = pd.DataFrame([[1, "2024-01-01", 10.0, 99.0]], columns=names)
        frame.to_excel(path, index=False)
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        arrays = [pa.array([1]), pa.array(["2024-01-01"]), pa.array([10.0]), pa.array([99.0])]
        pq.write_table(pa.table(arrays, names=names), path)
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "it has 2 columns named 'amount' (columns 3, 4); rename")
    # A column the command does not use may be named twice, and 'amount.1' is a name of its own.
    path = tmp_path / "other.csv"
    path.write_text("customer_id,date,amount,note,note,amount.1\n1,2024-01-01,10,a,b,99\n")
    status, out, err = run(["kpis", str(path), "--format", "json"], capsys)
    assert (status, err) == (0, "")
    assert json.loads(out)["kpis"]["revenue_per_customer"] == 10.0


def test_rows_ending_in_a_separator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Some exports end every data row, but not the header, with a separator: the rows were read
    # one column to the right, under the first column made the index ("'5' is not a date").
    expected = reference(tmp_path, capsys)
    path = tmp_path / "trailing.csv"
    lines = orders().to_csv(index=False).splitlines()
    path.write_text("\n".join([lines[0], *(line + "," for line in lines[1:])]) + "\n")
    status, out, err = run(["kpis", str(path), *COLUMNS, "--format", "csv"], capsys)
    assert (status, err) == (0, "")
    assert csv_values(out) == expected
    # Extra fields that hold something are refused, not dropped.
    path.write_text("customer_id,date,amount\n1,2024-01-31,5,7\n2,2024-01-31,5,\n")
    status, _, err = run(["kpis", str(path)], capsys)
    assert_one_line_error(status, err, "more fields than its header line names")


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
    # The command imports kpis from its module when it runs (not when it starts): patched there.
    real = retention.frames.kpis.kpis

    def warning_kpis(tx: pd.DataFrame, **options: object) -> pd.Series:
        for message in messages:
            warnings.warn(message, stacklevel=2)
        return real(tx, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(retention.frames.kpis, "kpis", warning_kpis)


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


def test_by_labels_are_read_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Postal codes: as numbers, 01000 and 1000 would be one group named 1000.
    path = tmp_path / "zips.csv"
    path.write_text(
        "customer_id,date,amount,zip\n1,2024-01-05,10,01000\n2,2024-01-06,20,1000\n"
        "3,2024-01-07,30,01000\n"
    )
    status, out, _ = run(["kpis", str(path), "--by", "zip", "--format", "json"], capsys)
    assert status == 0
    groups = json.loads(out)["groups"]
    assert [(g["group"]["zip"], g["kpis"]["customers"]) for g in groups] == [
        ("01000", 2),
        ("1000", 1),
    ]


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


def no_purchases(tmp_path: Path, rows: str) -> list[str]:
    path = tmp_path / "no_purchases.csv"
    path.write_text(f"client,when,total,country\n{rows}", encoding="utf-8")
    return ["kpis", str(path), *COLUMNS]


# no rows at all, or only returns (never a purchase): no customers, so no groups
NO_PURCHASES = ["", "1,2024-01-05,-10,UK\n2,2024-02-01,-5,DE\n"]


@pytest.mark.parametrize("rows", NO_PURCHASES)
def test_by_without_groups(rows: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*no_purchases(tmp_path, rows), "--by", "country"]
    status, out, err = run([*args, "--format", "json"], capsys)
    assert (status, err) == (0, "")
    assert json.loads(out)["groups"] == []
    status, out, err = run([*args, "--format", "csv"], capsys)
    assert (status, err, out) == (0, "", "country,kpi,value,observation_end,freq,period\n")
    status, out, err = run(args, capsys)
    assert (status, err) == (0, "")
    # the header, then where the blocks of the groups would be, what there is instead
    assert out.splitlines() == [
        "observation_end: ",
        "freq: M",
        "period: ",
        "",
        "(no groups by country: no customer made a purchase)",
    ]
    status, out, _ = run([*args, "--by", "client"], capsys)
    assert status == 0
    assert out.splitlines()[-1] == "(no groups by country, client: no customer made a purchase)"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("rows", NO_PURCHASES)
def test_fail_under_by_without_groups(
    rows: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As without --by, where these KPIs are undefined: a breakdown with no group defines none of them.
    args = [*no_purchases(tmp_path, rows), "--format", fmt]
    floors = ["--fail-under", "retention_rate=0.5", "--fail-under", "customers=1"]
    status, _, _ = run([*args, *floors], capsys)
    assert status == 1  # without --by
    status, _, err = run([*args, "--by", "country", *floors], capsys)
    assert status == 1
    assert err.splitlines() == [
        "retention: KPI retention_rate is undefined (n/a) with no groups by country, so it cannot meet its floor 0.5",
        "retention: KPI customers is undefined (n/a) with no groups by country, so it cannot meet its floor 1",
    ]


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


def test_report_command_reads_like_kpis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import retention as rt

    path = tmp_path / "german.csv"
    frame = orders()
    german = frame.assign(
        when=pd.to_datetime(frame["when"]).dt.strftime("%d.%m.%Y"),
        total=frame["total"].map(lambda x: f"{x}".replace(".", ",")),
    )
    german.to_csv(path, sep=";", index=False)
    out_file = tmp_path / "report.html"
    options = [*COLUMNS, "--by", "country", "--freq", "W", "--date-format", "%d.%m.%Y"]
    status, out, err = run(
        ["report", str(path), "-o", str(out_file), "--decimal", ",", *options], capsys
    )
    assert status == 0
    assert out == ""
    assert err.splitlines() == [f"retention: wrote {out_file} ({out_file.stat().st_size:,} bytes)"]
    expected = rt.report(
        frame.assign(when=pd.to_datetime(frame["when"])),
        customer_id="client",
        date="when",
        amount="total",
        by="country",
        freq="W",
    )
    assert out_file.read_text(encoding="utf-8") == expected.to_html()


def test_report_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path)
    missing = tmp_path / "no" / "report.html"
    status, _, err = run(["report", str(path), "-o", str(missing), *COLUMNS], capsys)
    assert status == 2
    assert err.splitlines() == [
        f"retention: error: cannot write {missing}: the folder {missing.parent} does not exist; "
        "create it or give another -o path"
    ]
    status, _, err = run(["report", str(path), "-o", str(tmp_path), *COLUMNS], capsys)  # a folder
    assert status == 2
    (line,) = err.splitlines()  # the system's words: "Is a directory" on Linux
    assert line.startswith(f"retention: error: cannot write {tmp_path}: ")
    target = tmp_path / "report.html"
    status, _, err = run(["report", str(path), "-o", str(target)], capsys)  # no column options
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "'customer_id'" in err
    assert not target.exists()
    with pytest.raises(SystemExit) as stopped:
        main(["report", str(path), "-o", str(target), "--fail-under", "crr=0.5"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --fail-under" in capsys.readouterr().err


def test_report_command_with_many_groups_says_nothing_more(tmp_path: Path) -> None:
    # A real process, with Python's default warning filters: fifty groups leaked matplotlib's
    # "constrained_layout not applied" warning (the survival chart's legend left the axes no room).
    import retention as rt

    example = rt.example_transactions()
    path = tmp_path / "orders.csv"
    example.assign(region=(example["customer_id"] % 50).map("region {:02d}".format)).to_csv(
        path, index=False
    )
    target = tmp_path / "report.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "retention.cli",
            "report",
            str(path),
            "-o",
            str(target),
            "--by",
            "region",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"retention: wrote {target} ({target.stat().st_size:,} bytes)"
    ]
    assert "The chart draws the 8 largest of the 50 groups" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "options", "says"),
    [
        ("customer_id,when,amount\n1,2024-01-01,10\n", [], "Pass the right name with --date COL."),
        ("customer_id,date,amount\n1,2024-01-01,10\n", ["--by", "chan"], "with --by COL."),
        (
            "customer_id,date,amount\n1,31.01.2024,10\n",
            [],
            "Pass the right column with --date COL. Or give their format with --date-format",
        ),
        (
            "customer_id,date,amount,o\n1,2024-01-01,10,\n",
            ["--order-id", "o"],
            "the first at line 2 (value nan). Drop or fill those rows, or leave out --order-id",
        ),
        (
            "customer_id,date,amount\n1,2024-01-01,10\n2,2024-01-02,$5\n3,2024-01-03,1 000\n",
            [],
            "column 'amount' (the amounts) must hold numbers: '$5' at line 3 (and 1 more row) is not one",
        ),
        (
            "customer_id,date,amount\n1,2024-01-01T10:00+01:00,10\n2,2024-01-02,5\n",
            [],
            "Write them all in one timezone, or all with a UTC offset.",
        ),
    ],
)
def test_errors_say_the_commands_options(
    text: str, options: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The library's fixes are Python (date=..., pd.to_datetime(tx['date']), amount=None, index 0): the
    # command says its own options, and rows by their line in the file.
    path = tmp_path / "messy.csv"
    path.write_text(text)
    status, _, err = run(["kpis", str(path), *options], capsys)
    assert_one_line_error(status, err, says)
    for python in ("pd.", "tx[", "=None", "=...", "at index"):
        assert python not in err


def test_decimal_comma_on_a_file_of_commas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The decimal mark is never the separator: the header was one column, and the message was about a
    # missing column named 'client,when,total,country'.
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path), *COLUMNS, "--decimal", ","], capsys)
    assert_one_line_error(status, err, "',' separates its columns, and --decimal , says it is the")
    assert "leave out --decimal" in err
    # A file of semicolons with decimal commas is read, as before.
    german = tmp_path / "german.csv"
    orders().to_csv(german, sep=";", decimal=",", index=False)
    status, _, err = run(["kpis", str(german), *COLUMNS, "--decimal", ","], capsys)
    assert (status, err) == (0, "")
