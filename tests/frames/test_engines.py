"""Transaction tables from polars, pyarrow and DuckDB give the results of the same table in pandas.

Every function of the registry (tests/registry.py) runs on each engine's copy of the common test table, with
the shared options, and must return exactly what it returns for the pandas table: same labels, same values
to the last bit.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import retention as rt
from retention.errors import ColumnNotFoundError, ColumnTypeError, MissingDependencyError
from retention.frames.engines import engine_of, native_columns, to_pandas
from tests.frames.test_common import assert_identical, sample
from tests.registry import REGISTRY, Entry

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")


def _polars(tx: pd.DataFrame) -> Any:
    return pl.from_pandas(tx)


def _polars_dates(tx: pd.DataFrame) -> Any:
    """Dates as polars Date (no time of day) and string customer ids."""
    return pl.from_pandas(tx).with_columns(
        pl.col("date").dt.date(), pl.col("customer_id").cast(pl.String)
    )


def _lazy(tx: pd.DataFrame) -> Any:
    return pl.from_pandas(tx).lazy()


def _arrow(tx: pd.DataFrame) -> Any:
    return pa.Table.from_pandas(tx, preserve_index=False)


def _duckdb(tx: pd.DataFrame) -> Any:
    connection = duckdb.connect()
    connection.register("tx_view", pa.Table.from_pandas(tx, preserve_index=False))
    return connection.sql("select * from tx_view")


ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "polars": _polars,
    "polars_dates_string_ids": _polars_dates,
    "polars_lazy": _lazy,
    "pyarrow": _arrow,
    "duckdb": _duckdb,
}


def _pandas_twin(name: str, tx: pd.DataFrame) -> pd.DataFrame:
    """The pandas table that an engine's copy stands for."""
    if name == "polars_dates_string_ids":
        return tx.assign(date=tx["date"].dt.normalize(), customer_id=tx["customer_id"].astype(str))
    return tx


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("entry", REGISTRY, ids=[e.name for e in REGISTRY])
def test_every_function_reads_every_engine(entry: Entry, engine: str) -> None:
    tx = _pandas_twin(engine, sample())
    make = ENGINES[engine]
    assert_identical(entry.call(make(tx)), entry.call(tx))
    if entry.transactions:
        options = {"order_id": "order_id", "returns": "drop"}
        assert_identical(entry.call(make(tx), **options), entry.call(tx, **options))
    if entry.by:
        assert_identical(entry.call(make(tx), by="channel"), entry.call(tx, by="channel"))


def test_example_data_in_polars_equals_pandas() -> None:
    tx = rt.example_transactions()
    frame = pl.from_pandas(tx)
    pd.testing.assert_frame_equal(
        rt.period_retention(frame, by="manager"), rt.period_retention(tx, by="manager")
    )
    pd.testing.assert_frame_equal(rt.rfm_summary(frame), rt.rfm_summary(tx))
    pd.testing.assert_series_equal(rt.kpis(frame), rt.kpis(tx))


def test_only_the_named_columns_are_read() -> None:
    # A column whose computation fails: collecting it would raise, so the projection must leave it out.
    frame = _lazy(sample()).with_columns(broken=pl.lit("x").str.to_integer(strict=True))
    with pytest.raises(pl.exceptions.ComputeError):
        frame.collect()
    assert_identical(rt.cohort_table(frame), rt.cohort_table(sample()))
    read = to_pandas(
        _arrow(sample()),
        {"customer_id": "customer_id", "date": "date", "amount": "amount", "by": ["channel"]},
        func="f",
    )
    assert isinstance(read, pd.DataFrame)
    assert read.columns.tolist() == ["customer_id", "date", "amount", "channel"]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_a_segmenter_sees_every_column(engine: str) -> None:
    # segment_history hands the rows to user code, which may read any column (here: channel).
    tx = _pandas_twin(engine, sample())

    def by_channel(t: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        return t.groupby("customer_id")["channel"].max()

    expected = rt.segment_history(tx, segmenter=by_channel)
    assert expected["customers"].sum() > 0
    got = rt.segment_history(ENGINES[engine](tx), segmenter=by_channel)
    pd.testing.assert_frame_equal(got, expected)


def test_an_rfm_summary_from_polars_is_read_whole() -> None:
    # A summary has no date column: read whole, its customer column as the index pandas summaries have.
    summary = rt.rfm_summary(sample())
    frame = pl.from_pandas(summary.reset_index())
    assert_identical(rt.rfm_scores(frame), rt.rfm_scores(summary))


def test_missing_column_names_the_engine_columns() -> None:
    frame = _polars(sample()).rename({"customer_id": "customer"})
    with pytest.raises(ColumnNotFoundError, match="customer_id") as info:
        rt.kpis(frame)
    assert "customer" in str(info.value)


def test_engine_of_does_not_import_engines() -> None:
    assert engine_of(pd.DataFrame()) is None
    assert engine_of(_polars(sample())) == "polars"
    assert engine_of(_arrow(sample())) == "pyarrow"
    assert engine_of([1, 2]) is None
    assert native_columns(_lazy(sample()), "f")[:2] == ["customer_id", "order_id"]
    code = (
        "import retention, sys; "
        "print(sorted(m for m in ('narwhals', 'polars', 'duckdb', 'dask', 'pyspark') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_arrow_array_is_not_a_table() -> None:
    with pytest.raises(ColumnTypeError, match="cannot read a pyarrow"):
        rt.kpis(pa.array([1, 2, 3]))


def test_missing_narwhals_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "narwhals", None)  # makes `import narwhals` fail
    with pytest.raises(MissingDependencyError, match=r"retention-metrics\[polars\]"):
        rt.kpis(_polars(sample()))


def test_customer_features_reads_event_tables_from_engines() -> None:
    tx = sample()
    complaints = pd.DataFrame(
        {
            "customer_id": [1, 3],
            "date": pd.to_datetime(["2024-02-01", "2024-03-01"]),
            "resolved": [True, False],
        }
    )
    expected = rt.customer_features(tx, complaints=complaints)
    got = rt.customer_features(_polars(tx), complaints=pl.from_pandas(complaints))
    pd.testing.assert_frame_equal(got, expected)


def test_warnings_name_the_callers_line() -> None:
    # The engines wrapper adds a frame: warnings must still point at the line that called the library.
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(["2024-01-01 10:00"] * 3 + ["2024-02-01 09:00"] * 3),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    for table in (tx, _polars(tx)):
        with pytest.warns(rt.errors.RetentionWarning, match="order_id") as caught:
            rt.kpis(table)
        assert caught[0].filename == __file__
