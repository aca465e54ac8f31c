"""Tests of the `retention` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from retention.cli import main
from retention.frames.kpis import KPI_NAMES


def write_csv(tmp_path: Path) -> Path:
    tx = pd.DataFrame(
        {
            "client": [1, 1, 2, 2, 3, 1],
            "when": [
                "2024-01-05",
                "2024-02-10",
                "2024-01-20",
                "2024-03-03",
                "2024-02-02",
                "2024-03-30",
            ],
            "total": [10.0, 20.0, 5.0, 5.0, 8.0, 12.0],
        }
    )
    path = tmp_path / "orders.csv"
    tx.to_csv(path, index=False)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_example_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["kpis", "--example"], capsys)
    assert status == 0
    assert err == ""
    for name in KPI_NAMES:
        assert name in out
    assert "observation_end: 2024-12-" in out


def test_json_and_csv_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    columns = [
        "--customer",
        "client",
        "--date",
        "when",
        "--amount",
        "total",
        "--as-of",
        "2024-03-31",
    ]
    status, out, _ = run(["kpis", str(path), *columns, "--format", "json"], capsys)
    assert status == 0
    payload = json.loads(out)
    assert payload["observation_end"] == "2024-03-31"
    assert payload["period"] == "2024-03"
    values = payload["kpis"]
    assert list(values) == list(KPI_NAMES)
    assert values["customers"] == 3
    assert values["revenue_per_customer"] == pytest.approx(60 / 3)
    status, out, _ = run(["kpis", str(path), *columns, "--format", "csv"], capsys)
    rows = dict(line.split(",") for line in out.strip().splitlines()[1:])
    for name, value in values.items():
        assert (rows[name] == "") if value is None else float(rows[name]) == pytest.approx(value)


def test_fail_under(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    columns = ["--customer", "client", "--date", "when", "--amount", "total"]
    status, _, err = run(["kpis", str(path), *columns, "--fail-under", "customers=4"], capsys)
    assert status == 1
    assert "customers = 3 is under its floor 4" in err
    status, _, err = run(["kpis", str(path), *columns, "--fail-under", "customers=3"], capsys)
    assert status == 0
    assert err == ""
    # a KPI that is not defined for these data cannot pass a floor
    status, _, err = run(
        ["kpis", str(path), *columns, "--fail-under", "cohort_retention_12=0.1"], capsys
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
    ],
)
def test_bad_usage_is_one_line_and_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(args, capsys)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path)
    status, _, err = run(["kpis", str(path)], capsys)
    assert status == 2
    assert "'customer_id'" in err
    assert "'client', 'when', 'total'" in err
    assert err.count("\n") == 1


def test_bad_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,date,amount\n1,2024-01-01,3\n2,yesterday,4\n")
    status, _, err = run(["kpis", str(path)], capsys)
    assert status == 2
    assert "not dates" in err


def test_argparse_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["kpis"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["kpis", "--example", "--format", "xml"])
    assert info.value.code == 2


def test_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    csv = write_csv(tmp_path)
    path = tmp_path / "orders.parquet"
    pd.read_csv(csv, parse_dates=["when"]).to_parquet(path)
    columns = ["--customer", "client", "--date", "when", "--amount", "total", "--format", "csv"]
    status, out, _ = run(["kpis", str(path), *columns], capsys)
    assert status == 0
    assert "customers,3" in out


def test_parquet_without_pyarrow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    status, _, err = run(["kpis", str(path)], capsys)
    assert status == 2
    assert "retention-metrics[parquet]" in err


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
