"""Transaction tables from other dataframe engines: polars, pyarrow and DuckDB, read as pandas columns.

Every public function that reads transactions accepts, besides a pandas DataFrame, a polars DataFrame or
LazyFrame, a pyarrow Table or a DuckDB relation. Only the columns that the options name (``customer_id``,
``date``, ``amount``, ``order_id`` and the ``by`` columns) are read: a lazy frame (polars LazyFrame, DuckDB
relation) runs the projection in its engine and collects only those columns, which go to pandas through
Arrow (zero-copy for numbers and times without missing values; text stays Arrow-backed). The rest of the
library then reads them as it reads any pandas table, so the results are those of the same table in pandas.

The engines are read through narwhals, imported on first use, as are the engines themselves: ``import
retention`` imports none of them. A frame is recognised by the module its type comes from, so that an engine
that is not installed is never imported to test a value.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import ColumnTypeError, MissingDependencyError

__all__ = ["ENGINES", "decimal_floats", "engine_of", "native_columns", "reads_engines", "to_pandas"]

# The engines read on one machine: the top-level module of the frame's type, and the extra that installs
# what reading it needs (narwhals with the engine).
ENGINES: Final = {"polars": "polars", "pyarrow": "parquet", "duckdb": "duckdb"}

# Engines that hold data on a cluster: collecting their rows to this process is what the library must not
# do, so they are refused with a message rather than read.
_DISTRIBUTED: Final = {"dask": "Dask", "pyspark": "PySpark"}

# The parameters of a public function that hold the transaction table, and those that name its columns.
_TABLE_PARAMETERS: Final = ("tx", "transactions", "data")
# Other tables a function reads with the same options (customer_features' complaints and refusals, the
# scorecard's contact plan and log): small tables, read whole.
_EVENT_TABLES: Final = ("complaints", "refusals", "plan", "done")
# Parameters that take user code which receives the rows of the table (every column is read for it).
_USER_CODE_PARAMETERS: Final = ("segmenter",)
_COLUMN_OPTIONS: Final = ("customer_id", "date", "amount", "order_id")

F = TypeVar("F", bound=Callable[..., Any])


def engine_of(value: object) -> str | None:
    """Return the engine a dataframe comes from (``"polars"``, ``"pyarrow"``, ...), or None.

    pandas objects, and anything that is not a dataframe, give None: they need no conversion. The test reads the module of the value's type, so
    that no engine is imported to answer it.

    Examples
    --------
    >>> import pandas as pd
    >>> engine_of(pd.DataFrame()) is None
    True
    """
    root = type(value).__module__.partition(".")[0]
    if root in ENGINES or root in _DISTRIBUTED:
        return root
    return None


def _narwhals(engine: str, func: str) -> Any:
    try:
        return importlib.import_module("narwhals")
    except ImportError as e:
        extra = ENGINES.get(engine, engine)
        msg = f"{func} reads {engine} tables through narwhals, which is not installed. Install it with pip install 'retention-metrics[{extra}]'."
        raise MissingDependencyError(msg) from e


def _frame(tx: object, engine: str, func: str) -> Any:
    """Wrap a native table in a narwhals frame (eager or lazy)."""
    if engine in _DISTRIBUTED:
        name = _DISTRIBUTED[engine]
        msg = (
            f"{func} does not read {name} DataFrames yet: that would collect the raw log to this process. "
            f"Compute the columns it needs first (customer_id, date, amount, order_id), "
            f"e.g. tx[[...]].compute() for Dask or tx.select(...).toPandas() for PySpark, if they fit in memory."
        )
        raise ColumnTypeError(msg)
    nw = _narwhals(engine, func)
    try:
        return nw.from_native(tx)
    except TypeError as e:
        msg = f"{func} cannot read a {type(tx).__module__}.{type(tx).__name__} as a table of transactions: pass a pandas, polars or pyarrow DataFrame, a polars LazyFrame or a DuckDB relation."
        raise ColumnTypeError(msg) from e


def native_columns(tx: object, func: str) -> list[object]:
    """Return the column names of a table of any engine this library reads (pandas included).

    Examples
    --------
    >>> import pandas as pd
    >>> native_columns(pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]}), "f")
    ['customer_id', 'date']
    """
    engine = engine_of(tx)
    if engine is None:
        return list(tx.columns) if isinstance(tx, pd.DataFrame) else []
    frame = _frame(tx, engine, func)
    return list(frame.collect_schema().names())


def _named(options: dict[str, Any]) -> set[object]:
    """Return the column labels that the options name."""
    named: set[object] = set()
    for option in _COLUMN_OPTIONS:
        value = options.get(option)
        if value is not None and not isinstance(value, (list, tuple, pd.Series)):
            named.add(value)
    by = options.get("by")
    if isinstance(by, (list, tuple)):
        named.update(b for b in by if not isinstance(b, (list, tuple, pd.Series)))
    elif by is not None and not isinstance(by, pd.Series):
        named.add(by)
    return named


def _wanted(names: Sequence[object], options: dict[str, Any]) -> list[object]:
    """Return the columns of the table that the options name, in table order."""
    named = _named(options)
    return [n for n in names if n in named]


def _lacks_a_named_column(names: Sequence[object], options: dict[str, Any]) -> bool:
    """Tell whether the table lacks a column the options name (but the default ``"amount"``).

    The reader then refuses the call naming the missing column; handed the table's column names, it
    lists them all (with its "did you mean" hint), as it does for a pandas table. A table without the
    default amount column is read without amounts, as in pandas.
    """
    present = set(names)
    optional = "amount" if options.get("amount", "amount") == "amount" else None
    return any(n not in present and n != optional for n in _named(options))


def to_pandas(
    tx: object,
    options: dict[str, Any],
    *,
    whole: bool = False,
    every_column: bool = False,
    func: str,
) -> object:
    """Read a table of another engine as a pandas DataFrame of the columns the options name.

    A pandas DataFrame (and anything that is not a dataframe, for the caller's own type check) is returned
    as it is. Types pandas would read otherwise than the engine means them are handed over as the engine
    means them: unordered categoricals with their categories sorted, decimal amounts (and every decimal
    column of a summary) Arrow-backed (read exactly, by :func:`decimal_floats`), integer decimals and
    128-bit integers named as ids or groups as int64 when they fit. A
    pyarrow table with duplicate column names is read as pandas reads one.

    A table that lacks the customer or date column is returned with all its columns when ``whole`` (a
    table of another kind, such as an RFM summary: indexed by its customer column if it has one, as the
    library's per-customer tables are), else as an empty frame with its column names, so that the
    reader's error lists them.

    Parameters
    ----------
    tx : object
        The table: pandas, polars (DataFrame or LazyFrame), pyarrow Table or DuckDB relation.
    options : dict
        The function's options: ``customer_id``, ``date``, ``amount``, ``order_id`` and ``by``.
    whole : bool, default False
        Read every column when the table is not a transaction table.
    every_column : bool, default False
        Read every column (a small table of events with columns of its own).
    func : str
        The public function, named in errors.

    Returns
    -------
    object
        ``tx`` itself, or a pandas DataFrame with the named columns.

    Raises
    ------
    MissingDependencyError
        If narwhals is not installed.
    ColumnTypeError
        If the table is a Dask or PySpark DataFrame, or a type narwhals does not read, or a column that the
        options name holds lists, structs or maps.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"], "note": ["x", "y"]})
    >>> to_pandas(table, {"customer_id": "customer_id", "date": "date"}, func="f").columns.tolist()
    ['customer_id', 'date']
    """
    engine = engine_of(tx)
    if engine is None:
        return tx
    key_columns = (options.get("customer_id", "customer_id"), options.get("date", "date"))
    if engine == "pyarrow" and _has_duplicates(tx):
        # narwhals refuses a table with duplicate names; the projection is made by position here, and a
        # named column that is duplicated reaches the reader twice, which refuses it as it does in pandas.
        arrow: Any = tx
        names = list(arrow.column_names)
        columns = _columns(names, options, key_columns, whole=whole, every_column=every_column)
        if columns is None:
            return pd.DataFrame(columns=pd.Index(names, dtype=object))
        kept = set(columns)
        table = arrow.select([i for i, n in enumerate(names) if n in kept])
    else:
        frame = _frame(tx, engine, func)
        schema = frame.collect_schema()
        names = list(schema.names())
        columns = _columns(names, options, key_columns, whole=whole, every_column=every_column)
        if columns is None:
            return pd.DataFrame(columns=pd.Index(names, dtype=object))
        frame = frame.select(columns)
        if engine == "polars":
            # polars hands 128-bit integers to Arrow in a format pyarrow does not read: as decimals of
            # scale 0 (DuckDB's own HUGEINT export), read as integers below.
            nw = _narwhals(engine, func)
            wide = [c for c in columns if schema[c] in (nw.Int128, nw.UInt128)]
            if wide:
                frame = frame.with_columns(nw.col(c).cast(nw.Decimal()) for c in wide)
        if hasattr(frame, "collect"):  # a lazy frame: the engine runs the projection
            frame = frame.collect()
        table = frame.to_arrow()
    customer = key_columns[0]
    # A per-customer table (an RFM summary), read whole: it has a customer column and no dates.
    summary = whole and columns == names and customer in names and key_columns[1] not in names
    table, apart = _arrow_columns(table, options, func, summary=summary)
    # Dates as datetime64 (not Python date objects); text and other types as pandas reads Arrow.
    names = list(table.column_names)
    result = table.to_pandas(date_as_object=False, split_blocks=True, self_destruct=True)
    assert isinstance(result, pd.DataFrame)
    result = _index_as_columns(result, names)
    for position, name, values in apart:  # in their places
        result.insert(position, name, values, allow_duplicates=True)
    _sort_categories(result)
    if summary:
        # A per-customer table (an RFM summary): engines have no index, so the customer column is one.
        index = pd.Index(result.pop(customer), name=customer)
        result.index = index
    return result


def _index_as_columns(frame: pd.DataFrame, names: list[object]) -> pd.DataFrame:
    """Put back as columns, in the table's order, the columns that pandas metadata made the index.

    A table made from pandas (``pa.Table.from_pandas``, a parquet file that pandas wrote) keeps the frame's
    index as columns, with metadata that makes them an index again; they are columns of the table (its
    ``column_names`` list them), so they are read as columns. The metadata's types (``Int64``,
    ``boolean`` ...) are kept. An unnamed index, or a range that no column holds, stays as it was.
    """
    levels = [
        n for n in frame.index.names if n is not None and n in names and n not in frame.columns
    ]
    if not levels:
        return frame
    frame = frame.reset_index(levels)
    return frame[[n for n in names if n in frame.columns]]


def _has_duplicates(table: Any) -> bool:
    names = list(getattr(table, "column_names", ()))
    return len(set(names)) != len(names)


def _columns(
    names: list[object],
    options: dict[str, Any],
    key_columns: tuple[object, object],
    *,
    whole: bool,
    every_column: bool,
) -> list[object] | None:
    """Return the columns to read, or None for a table to hand over empty (it lacks a key column)."""
    if every_column:
        return names
    if not all(c in names for c in key_columns):
        return names if whole else None
    if _lacks_a_named_column(names, options):
        return None
    return _wanted(names, options)


# Arrow types that hold several values per row, and what to call them in a message.
_NESTED: Final = (
    ("is_list", "lists"),
    ("is_large_list", "lists"),
    ("is_fixed_size_list", "lists"),
    ("is_list_view", "lists"),
    ("is_large_list_view", "lists"),
    ("is_struct", "structs"),
    ("is_map", "maps"),
    ("is_union", "unions"),
)


def _roles(options: dict[str, Any]) -> dict[object, str]:
    """Return the role of each column the options name (``customer_id``, ..., ``by``)."""
    roles: dict[object, str] = {}
    by = options.get("by")
    for b in by if isinstance(by, (list, tuple)) else [by]:
        if b is not None and not isinstance(b, (list, tuple, pd.Series)):
            roles[b] = "by"
    for option in _COLUMN_OPTIONS:
        value = options.get(option)
        if value is not None and not isinstance(value, (list, tuple, pd.Series)):
            roles[value] = option
    return roles


def _arrow_columns(
    table: Any, options: dict[str, Any], func: str, *, summary: bool = False
) -> tuple[Any, list[tuple[int, object, pd.Series]]]:
    """Check the named columns of an Arrow table and prepare them for pandas.

    Returns the table without the columns that pandas would read otherwise than they are meant, and
    those columns (position, name, pandas Series), read apart:

    - the decimal amount column: pandas would make Python Decimal objects of it, which the amount reader
      refuses; as an Arrow-backed column it is read exactly (see :func:`decimal_floats`). For a
      ``summary`` (a per-customer table, read whole), so is every decimal column not named as an id or
      group: frequencies, times and money values, read by :mod:`retention.frames.summary_schema`;
    - integer group columns (``by``) with missing values: pandas would make floats of them (so that
      labels beyond 2**53 merged); they are read as pandas' nullable integers (``Int64`` ...).

    Integer decimals (DuckDB's HUGEINT, polars' Int128) named as ids or groups are read as int64 when they
    fit, as pandas holds such ids.
    """
    pa = importlib.import_module("pyarrow")
    roles = _roles(options)
    apart: list[tuple[int, object, pd.Series]] = []

    def take(position: int, values: pd.Series) -> None:
        nonlocal table
        apart.append((position, table.schema.field(position).name, values))
        table = table.remove_column(position)

    def exact(position: int) -> pd.Series:
        return pd.Series(pd.arrays.ArrowExtensionArray(table.column(position)), copy=False)

    for position in reversed(range(table.num_columns)):
        field = table.schema.field(position)
        role = roles.get(field.name)
        if role is None:
            if summary and pa.types.is_decimal(field.type):
                take(position, exact(position))
            continue
        kind = next((k for test, k in _NESTED if getattr(pa.types, test)(field.type)), None)
        if kind is not None:
            msg = (
                f"Column {field.name!r} (the {role} column) of {func} holds {kind} ({field.type}), not single "
                f"values. Pass a column with one value per row (explode or unnest it first), or name another column."
            )
            raise ColumnTypeError(msg)
        if pa.types.is_decimal(field.type):
            if role == "amount":
                take(position, exact(position))
                continue
            if field.type.scale != 0:
                continue
            try:
                whole_numbers = table.column(position).cast(pa.int64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue  # beyond 64 bits: read as Python Decimal objects
            table = table.set_column(position, field.name, whole_numbers)
        column = table.column(position)
        if role == "by" and pa.types.is_integer(column.type) and column.null_count:
            take(position, column.to_pandas(types_mapper=_nullable_integers(pa).get))
    return table, apart[::-1]


def _nullable_integers(pa: Any) -> dict[Any, Any]:
    """Map each Arrow integer type to pandas' nullable integer type."""
    return {
        getattr(pa, f"{sign}int{bits}")(): pd.api.types.pandas_dtype(f"{sign.upper()}Int{bits}")
        for sign in ("", "u")
        for bits in (8, 16, 32, 64)
    }


def decimal_floats(col: pd.Series) -> NDArray[np.float64] | None:
    """Return a column of decimals as the nearest float64 values (missing ones NaN), else None.

    The one reader of decimal numbers (DECIMAL, as databases and parquet files hold money): the amounts of
    transaction tables and the columns of per-customer summaries, Arrow-backed (as :func:`to_pandas`
    hands decimals over, and pandas reads them with ``dtype_backend="pyarrow"``). Arrow's own cast from
    decimal to float64 is off by one unit in the last place for about one value in ten (it scales in
    floating point); the decimal text, exact, parsed by Arrow's correctly rounded reader, gives the
    nearest float64, as ``float(Decimal(...))`` and the same numbers typed as floats do.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> cents = pa.array([Decimal("0.35"), None], pa.decimal128(18, 2))
    >>> decimal_floats(pd.Series(pd.arrays.ArrowExtensionArray(cents))).tolist()
    [0.35, nan]
    >>> cents.cast(pa.float64()).to_pylist()[0]  # Arrow's own cast
    0.35000000000000003
    >>> decimal_floats(pd.Series([0.35])) is None
    True
    """
    dtype = col.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return None
    pa = importlib.import_module("pyarrow")  # an ArrowDtype column: pyarrow is installed
    if not pa.types.is_decimal(dtype.pyarrow_dtype):
        return None
    text = pa.array(col.array).cast(pa.string())
    values: NDArray[np.float64] = np.asarray(
        text.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    return values


def _sort_categories(frame: pd.DataFrame) -> None:
    """Put the categories of unordered categorical columns in sorted order, in place.

    An Arrow dictionary (a polars Categorical, a DuckDB or pyarrow dictionary) lists its values in the
    order they were met, which pandas would take as the order of the ids and groups; unordered, they sort
    by value, as in polars and as ``astype("category")`` makes them in pandas. Ordered ones (a polars
    Enum) keep their declared order.
    """
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        dtype = values.dtype
        if not isinstance(dtype, pd.CategoricalDtype) or dtype.ordered:
            continue
        categories = dtype.categories
        if categories.is_monotonic_increasing:
            continue
        try:
            ordered = categories.sort_values()
        except TypeError:  # values of mixed types, which have no order: as they are
            continue
        frame.isetitem(position, values.cat.reorder_categories(ordered).array)


def _on_cluster(
    function: Callable[..., Any],
    bound: inspect.BoundArguments,
    *,
    table: str,
    events: list[str],
    engine: str,
) -> Any:
    """Run a function on a Dask or PySpark table where the data is (see :mod:`.distributed`)."""
    # Imported on first use: it imports the modules of the functions it runs.
    distributed = importlib.import_module("retention.frames.distributed")

    for t in events:
        if engine_of(bound.arguments.get(t)) is not None:
            msg = (
                f"{function.__name__} reads its '{t}' table whole: pass it as a pandas DataFrame "
                f"(e.g. {t}.compute() for Dask or {t}.toPandas() for PySpark) next to the {_DISTRIBUTED[engine]} "
                f"transaction table."
            )
            raise ColumnTypeError(msg)
    bound.apply_defaults()
    options: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:  # old spellings of options, passed on as given
            options.update(value)
        elif name != table:
            options[name] = value
    tx = bound.arguments[table]
    names = list(tx.columns)
    columns = _wanted(names, options)
    return distributed.run(
        function, tx, engine=engine, options=options, columns=columns, table=table
    )


def reads_engines(function: F) -> F:
    """Let a function that reads a pandas transaction table read the tables of the other engines too.

    The table is the parameter ``tx`` (or ``transactions``; ``data`` for functions that read summaries
    as well); the tables of events it also reads (complaints, refusals, a contact plan and log) are read
    too, whole. A table of
    another engine is read with :func:`to_pandas` before the call; pandas tables go through untouched.

    Examples
    --------
    >>> import pyarrow as pa
    >>> @reads_engines
    ... def n_rows(tx, *, customer_id="customer_id", date="date"):
    ...     return len(tx), type(tx).__name__
    >>> n_rows(pa.table({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"]}))
    (2, 'DataFrame')
    """
    signature = inspect.signature(function)
    table = next(p for p in _TABLE_PARAMETERS if p in signature.parameters)
    whole = table == "data"
    # A function that hands the table's rows to user code (segment_history's segmenter) reads every
    # column: that code may read any of them.
    to_user = any(p in signature.parameters for p in _USER_CODE_PARAMETERS)
    events = [p for p in _EVENT_TABLES if p in signature.parameters]
    name = function.__name__

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return function(*args, **kwargs)  # let the function report its own call error
        native = [t for t in (table, *events) if engine_of(bound.arguments.get(t)) is not None]
        if not native:
            return function(*args, **kwargs)
        engine = engine_of(bound.arguments.get(table))
        if engine in _DISTRIBUTED:
            return _on_cluster(function, bound, table=table, events=events, engine=engine)
        options = {
            p.name: bound.arguments.get(p.name, p.default)
            for p in signature.parameters.values()
            if p.name in (*_COLUMN_OPTIONS, "by")
        }
        for t in native:
            bound.arguments[t] = to_pandas(
                bound.arguments[t],
                options,
                whole=whole,
                every_column=t != table or to_user,
                func=name,
            )
        return function(*bound.args, **bound.kwargs)

    return wrapper  # type: ignore[return-value]
