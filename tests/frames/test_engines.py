"""Transaction tables from polars, pyarrow and DuckDB give the results of the same table in pandas.

Every function of the registry (tests/registry.py) runs on each engine's copy of the common test table, with
the shared options, and must return exactly what it returns for the pandas table: same labels, same values
to the last bit.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingDependencyError,
)
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
    return _relation(_arrow(tx))


def _relation(table: Any) -> Any:
    """A DuckDB relation over an Arrow table."""
    connection = duckdb.connect()
    connection.register("tx_view", table)
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


SUMMARY_ENGINES = ("polars", "polars_lazy", "pyarrow", "duckdb")
_PLAN = {"periods": 3, "freq": "M", "time_unit": "W", "n_draws": 20}
_VALUE = {"horizon": 12, "freq": 4.0, "discount_rate": 0.01}


@pytest.fixture(scope="module")
def pandas_summaries() -> dict[str, Any]:
    """The summaries in pandas, the models fitted on them and what they give (once for every engine)."""
    tx = rt.simulate_transactions(n_customers=200, seed=1)
    summary = rt.rfm_summary(tx, time_unit="W")
    calibration = rt.rfm_summary(tx, time_unit="W", calibration_end="2023-09-30")
    periods = rt.rfm_summary(tx, freq="M")
    purchases, spend = rt.BetaGeo.fit(summary), rt.GammaGamma.fit(summary[summary["frequency"] > 0])
    return {
        "summary": summary,
        "calibration": calibration,
        "periods": periods,
        "purchases": purchases,
        "spend": spend,
        "donations": rt.BetaGeoBetaBinom.fit(periods),
        "p_alive": purchases.p_alive(summary, t=4.0),
        "conditional": purchases.conditional_expected_purchases(summary, 13.0),
        "mean_spend": spend.conditional_expected_spend(summary),
        "value": rt.customer_lifetime_value(purchases, spend, summary, **_VALUE),
        "forecast": rt.forecast(purchases, summary, **_PLAN),
        "table": rt.calibration_holdout_table(purchases, calibration),
    }


@pytest.mark.parametrize("engine", SUMMARY_ENGINES)
def test_models_read_summaries_of_every_engine(
    engine: str, pandas_summaries: dict[str, Any]
) -> None:
    # A summary made or stored in polars, Arrow or DuckDB: the models, the value and the forecast read it
    # as its pandas twin, its customer_id column labelling the results.
    expected = pandas_summaries
    purchases, spend = expected["purchases"], expected["spend"]
    frame = ENGINES[engine](expected["summary"].reset_index())
    assert rt.BetaGeo.fit(frame) == purchases
    assert_identical(purchases.p_alive(frame, t=4.0), expected["p_alive"])
    # The customers first, then the horizon, as for pandas (not the order of the last release).
    assert_identical(purchases.conditional_expected_purchases(frame, 13.0), expected["conditional"])
    assert_identical(spend.conditional_expected_spend(frame), expected["mean_spend"])
    assert_identical(
        rt.customer_lifetime_value(purchases, spend, frame, **_VALUE), expected["value"]
    )
    assert_identical(rt.forecast(purchases, frame, **_PLAN), expected["forecast"])
    calibration = ENGINES[engine](expected["calibration"].reset_index())
    assert_identical(rt.calibration_holdout_table(purchases, calibration), expected["table"])
    # The BG/BB reads the periods of rt.rfm_summary(tx, freq=...) as its opportunities, in T.
    periods = ENGINES[engine](expected["periods"].reset_index())
    assert rt.BetaGeoBetaBinom.fit(periods) == expected["donations"]


def test_arrow_tables_from_pandas_read_their_index_as_columns() -> None:
    # pa.Table.from_pandas and parquet files that pandas wrote keep the index as a column with pandas
    # metadata; the metadata made it an index again, out of the reader's sight ("no customer_id
    # column", or a raw KeyError for a summary). It is a column of the table: read as one.
    tx = sample()
    indexed = pa.Table.from_pandas(tx.set_index("customer_id"))
    assert "customer_id" in indexed.column_names
    assert_identical(rt.kpis(indexed), rt.kpis(tx))
    # The metadata's types are kept: nullable groups are the labels pandas gives.
    tiers = pd.array([1, None, 2] * (len(tx) // 3) + [1] * (len(tx) % 3), dtype="Int64")
    typed = tx.assign(tier=tiers, flag=pd.array(tiers > 1, dtype="boolean"))
    for by in ("tier", "flag"):
        expected = rt.repeat_purchase_rate(typed, by=by)
        assert expected.index.dtype != object
        table = pa.Table.from_pandas(typed.set_index("customer_id"))
        assert_identical(rt.repeat_purchase_rate(table, by=by), expected)
    summary = rt.rfm_summary(tx)
    assert_identical(rt.rfm_scores(pa.Table.from_pandas(summary)), rt.rfm_scores(summary))


def test_missing_column_names_the_engine_columns() -> None:
    frame = _polars(sample()).rename({"customer_id": "customer"})
    with pytest.raises(ColumnNotFoundError, match="customer_id") as info:
        rt.kpis(frame)
    assert "customer" in str(info.value)


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(
    "options", [{"amount": "amt"}, {"by": "chanel"}, {"order_id": "oid"}, {"by": ["channel", "x"]}]
)
def test_a_misspelt_column_is_refused_as_in_pandas(engine: str, options: dict[str, Any]) -> None:
    # The engines read the named columns only: the message listed those, without the hint.
    tx = sample()
    with pytest.raises(ColumnNotFoundError) as expected:
        rt.kpis(tx, **options)
    assert "'note'" in str(expected.value)  # pandas names every column, read or not
    with pytest.raises(ColumnNotFoundError) as got:
        rt.kpis(ENGINES[engine](tx), **options)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_integer_groups_with_missing_labels_stay_integers(engine: str) -> None:
    # Arrow hands integers with nulls to pandas as floats: labels beyond 2**53 merged into one group.
    tx = sample()
    big = 2**60
    stores = [big + 1 + i % 2 if i % 5 else None for i in range(len(tx))]
    typed = tx.assign(store=pd.array(stores, dtype="Int64"))
    expected = rt.repeat_purchase_rate(_pandas_twin(engine, typed), by="store")
    assert len(expected) == 3
    got = rt.repeat_purchase_rate(ENGINES[engine](typed), by="store")
    assert_identical(got, expected)


def test_a_label_of_another_type_is_named_with_its_type() -> None:
    # Arrow and polars name columns by text: date=0 for a column that came from pandas as 0 is refused
    # with a message that said the table had '0' and asked "did you mean '0'?".
    tx = sample().rename(columns={"date": 0})
    assert_identical(rt.kpis(tx, date=0), rt.kpis(sample()))
    frame = _polars(tx.rename(columns=str))
    with pytest.raises(
        ColumnNotFoundError,
        match=r"^Column 0 \(the date column\) .* the table's column is '0' \(str\), not 0 \(int\)\.",
    ) as info:
        rt.kpis(frame, date=0)
    assert "did you mean" not in str(info.value)
    assert_identical(rt.kpis(frame, date="0"), rt.kpis(sample()))


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


def _shop(ids: list[str]) -> pd.DataFrame:
    """A small log whose ids and channels first appear out of sorted order."""
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.date_range("2024-01-01", periods=n, freq="9D"),
            "amount": [float(10 + 7 * i % 23) for i in range(n)],
            "channel": [("web", "app", "store")[i % 3] for i in range(n)],
        }
    )


def test_categorical_ids_and_groups_sort_by_value() -> None:
    # Arrow dictionaries list their values in the order met; unordered, they sort by value (as in polars).
    tx = _shop(["c9", "c10", "c2", "c9", "c1", "c10", "c2", "c30", "c1", "c9"])
    twin = tx.assign(
        customer_id=tx["customer_id"].astype("category"), channel=tx["channel"].astype("category")
    )
    categorical = pl.from_pandas(tx).with_columns(
        pl.col("customer_id").cast(pl.Categorical), pl.col("channel").cast(pl.Categorical)
    )
    chunked = pa.concat_tables(
        [
            pa.table({c: pa.array(tx[c].iloc[lo : lo + 3]) for c in tx.columns}).set_column(
                0, "customer_id", pa.array(tx["customer_id"].iloc[lo : lo + 3]).dictionary_encode()
            )
            for lo in range(0, len(tx), 3)
        ]
    )
    for table in (categorical, chunked):
        assert_identical(rt.rfm_summary(table), rt.rfm_summary(twin))
    assert_identical(
        rt.period_retention(categorical, by="channel"), rt.period_retention(twin, by="channel")
    )
    # An Enum keeps its declared order, as an ordered pandas Categorical does.
    order = ["web", "store", "app"]
    enum = pl.from_pandas(tx).with_columns(pl.col("channel").cast(pl.Enum(order)))
    ordered = tx.assign(channel=pd.Categorical(tx["channel"], categories=order, ordered=True))
    assert_identical(rt.kpis(enum, by="channel"), rt.kpis(ordered, by="channel"))


def test_decimal_amounts_are_read_exactly() -> None:
    # DECIMAL is what databases and parquet files hold money in. Arrow's own cast to float64 is one unit in
    # the last place off for 0.35, 0.41, ...: each amount must be the float nearest to the decimal.
    cents = [35, 41, 47, 57, 69, -35, 12345, 100, 41]
    tx = _shop([f"c{i % 4}" for i in range(len(cents))]).assign(
        amount=[float(Decimal(c).scaleb(-2)) for c in cents]
    )
    decimals = pa.array([Decimal(c).scaleb(-2) for c in cents], pa.decimal128(38, 2))
    table = pa.Table.from_pandas(tx.drop(columns="amount"), preserve_index=False).append_column(
        "amount", decimals
    )
    arrow_backed = tx.assign(
        amount=pd.Series(pd.arrays.ArrowExtensionArray(decimals))
    )  # pandas too
    for frame in (table, pl.from_arrow(table), _relation(table), arrow_backed):
        assert_identical(rt.rfm_summary(frame), rt.rfm_summary(tx))
        pd.testing.assert_frame_equal(rt.abc_xyz(frame), rt.abc_xyz(tx), check_exact=True)
        assert_identical(rt.kpis(frame), rt.kpis(tx))
    missing = table.set_column(
        3, "amount", pa.array([None, *decimals.to_pylist()[1:]], decimals.type)
    )
    with pytest.raises(InvalidValueError, match=r"'amount'.*missing amounts"):
        rt.kpis(missing)


def _decimal_summary() -> tuple[pd.DataFrame, Any]:
    """A weekly summary as floats, and the same as an Arrow table with DECIMAL columns: the numbers of a
    simulated one in whole hundredths."""
    simulated = rt.rfm_summary(rt.simulate_transactions(n_customers=200, seed=1), time_unit="W")
    scales = {"frequency": 0, "recency": 2, "T": 2, "monetary_value": 2}
    units = {
        k: [int(v) for v in np.round(simulated[k].to_numpy() * 10**e)] for k, e in scales.items()
    }
    ids = simulated.index.to_numpy()
    summary = pd.DataFrame(
        {k: [float(Decimal(v).scaleb(-scales[k])) for v in values] for k, values in units.items()},
        index=pd.Index(ids, name="customer_id"),
    )
    table = pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            **{
                k: pa.array(
                    [Decimal(v).scaleb(-scales[k]) for v in values], pa.decimal128(18, scales[k])
                )
                for k, values in units.items()
            },
        }
    )
    return summary, table


def test_a_summary_with_decimal_columns_is_read_exactly() -> None:
    # DuckDB and parquet keep money (and often times) as DECIMAL: each value is read as the float nearest
    # to it, so that the models give what the same summary typed as floats gives, to the last bit.
    summary, table = _decimal_summary()
    cast = table["monetary_value"].cast(pa.float64()).to_numpy()
    assert (cast != summary["monetary_value"].to_numpy()).any()  # Arrow's own cast would be off
    repeat = summary[summary["frequency"] > 0]
    purchases, spend = rt.BetaGeo.fit(summary), rt.GammaGamma.fit(repeat)
    options = {"horizon": 12, "freq": 4.0, "discount_rate": 0.01}
    clv = rt.customer_lifetime_value(purchases, spend, summary, **options)
    arrow_backed = (  # pandas too
        table.drop_columns("customer_id")
        .to_pandas(types_mapper=pd.ArrowDtype)
        .set_axis(summary.index)
    )
    for frame in (table, pl.from_arrow(table), _relation(table), arrow_backed):
        # A function that reads engines reads the summary whole, its decimals Arrow-backed ...
        assert_identical(rt.rfm_scores(frame), rt.rfm_scores(summary))
        read = frame if frame is arrow_backed else to_pandas(frame, {}, whole=True, func="test")
        assert read["monetary_value"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
        # ... and the models read those columns exactly.
        assert rt.BetaGeo.fit(read).params == purchases.params
        assert rt.GammaGamma.fit(read[read["frequency"] > 0]).params == spend.params
        pd.testing.assert_series_equal(
            rt.customer_lifetime_value(purchases, spend, read, **options), clv, check_exact=True
        )


def test_128_bit_integer_ids_are_integers() -> None:
    # DuckDB's HUGEINT and polars' Int128 ids: read as the integers they are, as pandas holds them.
    tx = _shop(["3", "1", "2", "3", "1"]).assign(
        customer_id=lambda t: t["customer_id"].astype("int64")
    )
    connection = duckdb.connect()
    connection.register("tx_view", pa.Table.from_pandas(tx, preserve_index=False))
    hugeint = connection.sql(
        "select customer_id::HUGEINT as customer_id, date, amount from tx_view"
    )
    int128 = pl.from_pandas(tx).with_columns(pl.col("customer_id").cast(pl.Int128))
    for frame in (hugeint, int128):
        assert_identical(rt.rfm_summary(frame), rt.rfm_summary(tx))
    by = tx.assign(channel=tx["customer_id"] * 10)
    grouped = pl.from_pandas(by).with_columns(pl.col("channel").cast(pl.Int128))
    assert_identical(rt.kpis(grouped, by="channel"), rt.kpis(by, by="channel"))


def test_nested_columns_named_as_options_are_refused() -> None:
    tx = sample()
    table = pa.Table.from_pandas(
        tx, preserve_index=False
    )  # with pandas' metadata: order_id was text
    lists = table.set_column(1, "order_id", pa.array([[o] for o in tx["order_id"]]))
    with pytest.raises(
        ColumnTypeError, match=r"'order_id' \(the order_id column\) of kpis holds lists"
    ):
        rt.kpis(lists, order_id="order_id")
    structs = pl.from_pandas(tx).with_columns(pl.struct("channel", "note").alias("channel"))
    with pytest.raises(ColumnTypeError, match=r"'channel' \(the by column\) of kpis holds structs"):
        rt.kpis(structs, by="channel")
    # Columns that no option names may hold anything.
    assert_identical(rt.kpis(lists), rt.kpis(tx))


def test_duplicate_column_names_in_arrow_tables() -> None:
    # As in pandas: a duplicated column that no option names is ignored; a named one is refused.
    tx = sample()
    table = pa.Table.from_pandas(tx, preserve_index=False)
    extra = table.append_column("note", table.column("note"))
    assert_identical(rt.cohort_table(extra), rt.cohort_table(tx))
    twice = table.append_column("amount", table.column("amount"))
    with pytest.raises(InvalidValueError, match=r"'amount' .* appears more than once"):
        rt.kpis(twice)
