"""One battery over every public function that reads a transaction table (see tests/registry.py).

As in scikit-learn's `sklearn/metrics/tests/test_common.py`: the registry lists the functions, these tests
check what all of them promise, and the capability flags of each entry say which shared options apply.
"""

from __future__ import annotations

import copy
import functools
import inspect
import operator
import sys
import time
import typing
import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionError,
    RetentionWarning,
)
from retention.frames.schema import OPTION_DOCS, DateLike
from tests.registry import CONTACT_LOGS, REGISTRY, Entry


def _param(entries: list[Entry]) -> Any:
    return pytest.mark.parametrize("entry", entries, ids=[e.name for e in entries])


every = _param(REGISTRY + CONTACT_LOGS)
entries = _param(REGISTRY)
with_amount = _param([e for e in REGISTRY if e.needs_amount])
without_money = _param([e for e in REGISTRY if not e.money])
with_by = _param([e for e in REGISTRY if e.by])
with_lines = _param([e for e in REGISTRY if e.lines])

END = "2024-07-15"  # the last purchase day of sample(), passed where groups are compared


def sample() -> pd.DataFrame:
    """Seven customers over seven months with repeat buyers, a lapse, a return and a same-day duplicate."""
    rows = [
        (1, "2024-01-03", 10.0, "web"),
        (1, "2024-02-14", 12.5, "store"),
        (1, "2024-03-01", 8.0, "web"),
        (1, "2024-05-20", 20.0, "web"),
        (2, "2024-01-15", 30.0, "store"),
        (2, "2024-01-15", 30.0, "web"),
        (2, "2024-04-02", -5.0, "store"),
        (3, "2024-02-01", 15.0, "app"),
        (3, "2024-02-28", 15.0, "web"),
        (3, "2024-06-30", 7.0, "app"),
        (4, "2024-03-10", 50.0, "web"),
        (5, "2024-03-31", 5.0, "store"),
        (5, "2024-04-01", 6.0, "store"),
        (5, "2024-05-05", 7.0, "web"),
        (5, "2024-06-06", 8.0, "web"),
        (6, "2024-05-01", 9.0, "app"),
        (7, "2024-07-15", 11.0, "web"),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "channel"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx.insert(1, "order_id", [f"o{i:02d}" for i in range(len(tx))])
    tx["note"] = "extra"  # an extra column, ignored
    return tx


def values_of(result: Any) -> np.ndarray[Any, Any]:
    return np.asarray(result, dtype=float)


def assert_same(a: Any, b: Any) -> None:
    """Equal results to the last bit; the values of frames and series compared, not their labels."""
    if isinstance(a, pd.DataFrame | pd.Series):
        assert a.shape == b.shape
    np.testing.assert_array_equal(values_of(a), values_of(b))


def assert_identical(a: Any, b: Any) -> None:
    """Equal results to the last bit, labels included."""
    if isinstance(a, pd.DataFrame | pd.Series):
        pd.testing.assert_index_equal(a.index, b.index)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_index_equal(a.columns, b.columns)
    assert_same(a, b)


# --- the basic battery ----------------------------------------------------------------------------------


@every
def test_runs_and_leaves_input_alone(entry: Entry) -> None:
    tx = sample()
    before = copy.deepcopy(tx)
    entry.call(tx)
    if entry.transactions:
        entry.call(tx, order_id="order_id", returns="drop")
    if entry.by:
        entry.call(tx, by="channel")
    pd.testing.assert_frame_equal(tx, before)


@every
def test_row_order_does_not_matter(entry: Entry) -> None:
    tx = sample()
    # Text ids too: the functions that only count code them in the order the rows give.
    for table in (tx, tx.assign(customer_id="c" + tx["customer_id"].astype("str"))):
        shuffled = table.sample(frac=1.0, random_state=7)
        assert_identical(entry.call(table), entry.call(shuffled))
        if entry.by:
            assert_identical(entry.call(table, by="channel"), entry.call(shuffled, by="channel"))


# Amounts as real logs and adversaries have them: two decimals, more decimals, huge values that cancel,
# tiny ones, and a refund cancelling a purchase exactly.
money = st.one_of(
    st.integers(-(10**7), 10**7).map(lambda c: c / 100),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 0.2, 0.3, 1e16, -1e16, 1e-300, 2.0**53, 19.99, -19.99]),
)


@given(
    amounts=st.lists(money, min_size=17, max_size=17),
    cancel=st.lists(st.tuples(st.integers(0, 16), st.integers(0, 16)), max_size=4),
    random=st.randoms(use_true_random=False),
)
@settings(max_examples=10, deadline=None)
def test_row_order_never_changes_a_money_result(
    amounts: list[float], cancel: list[tuple[int, int]], random: Any
) -> None:
    """Every money result is the same to the last bit in any row order, whatever the amounts."""
    values = np.array(amounts)
    for i, j in cancel:  # row j refunds row i: the two cancel exactly
        if i != j:
            values[j] = -values[i]
    tx = sample().assign(amount=values)
    order = list(range(len(tx)))
    random.shuffle(order)
    shuffled = tx.iloc[order]
    for entry in REGISTRY:
        if entry.money:
            with warnings.catch_warnings():  # odd amounts make odd models: warned, in any order
                warnings.simplefilter("ignore", RetentionWarning)
                try:
                    expected = entry.call(tx)
                except RetentionError as e:  # a negative total (abc_xyz), a model that cannot fit:
                    with pytest.raises(type(e)):  # the same error in any order
                        entry.call(shuffled)
                    continue
                assert_identical(expected, entry.call(shuffled))


def test_row_order_with_cancelling_amounts() -> None:
    """The cases of the reliability battery: 1e16 + 1 - 1e16 + 5 and 0.1 + 0.2 - 0.3, in many orders."""
    tx = sample()
    tx.loc[0:3, "amount"] = [1e16, 1.0, -1e16 + 2.0, 5.0]  # customer 1's total is exactly 8
    tx.loc[4:6, "amount"] = [0.1, 0.2, -0.3]
    rng = np.random.default_rng(11)
    for entry in REGISTRY:
        if entry.money:
            try:
                expected = entry.call(tx)
            except InvalidValueError as e:  # refused (a negative total): refused in any order too
                for _ in range(3):
                    with pytest.raises(type(e)):
                        entry.call(tx.iloc[rng.permutation(len(tx))])
                continue
            for _ in range(3):
                assert_identical(expected, entry.call(tx.iloc[rng.permutation(len(tx))]))
            texts = tx.assign(customer_id="c" + tx["customer_id"].astype("str"))
            expected = entry.call(texts)
            for _ in range(3):
                assert_identical(expected, entry.call(texts.iloc[rng.permutation(len(tx))]))


@every
def test_huge_and_string_ids(entry: Entry) -> None:
    tx = sample()
    expected = entry.call(tx)
    # Both renamings keep the ids' order, so per-customer results line up row by row.
    for mapping in (lambda i: 2**63 - 100 + i, lambda i: f"customer-{i:03d}"):
        renamed = tx.assign(customer_id=tx["customer_id"].map(mapping))
        assert_same(expected, entry.call(renamed))


@every
def test_timezone_aware_dates_use_local_time(entry: Entry) -> None:
    tx = sample()
    aware = tx.assign(date=tx["date"].dt.tz_localize("America/New_York"))
    assert_same(entry.call(tx), entry.call(aware))


@every
def test_one_customer_and_one_row(entry: Entry) -> None:
    tx = sample()
    entry.call(tx[tx["customer_id"] == 1])
    entry.call(tx.iloc[[0]])


@every
def test_empty_table(entry: Entry) -> None:
    empty = sample().iloc[0:0]
    result = entry.call(empty)
    if isinstance(result, pd.DataFrame):
        assert len(result) == 0
        assert len(result.columns) > 0 or result.columns.name is not None
    elif isinstance(result, pd.Series):
        # one row per customer (or per period) gives no rows; a summary of the table gives NaN for what
        # no customer defines (scipy's convention for empty input), never a number made up from nothing
        assert len(result) == 0 or result.isna().any(), result
    else:
        assert isinstance(result, float)
        assert np.isnan(result)
    # the same when the columns have no dtype at all (the ids' index then has the ids' dtype)
    assert_same(result, entry.call(pd.DataFrame({"customer_id": [], "date": [], "amount": []})))
    if entry.by:
        grouped = entry.call(empty, by="channel")
        assert len(grouped) == 0


@every
def test_not_a_frame(entry: Entry) -> None:
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        entry.call(sample().to_dict())


@every
def test_missing_column(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="customer_id"):
        entry.call(sample().rename(columns={"customer_id": "customer"}))
    with pytest.raises(ColumnNotFoundError, match="'date'"):
        entry.call(sample().drop(columns="date"))


@every
def test_missing_date(entry: Entry) -> None:
    tx = sample()
    tx.loc[3, "date"] = pd.NaT
    with pytest.raises(InvalidValueError, match="missing dates"):
        entry.call(tx)


@every
def test_unparsable_date(entry: Entry) -> None:
    tx = sample().astype({"date": str})
    tx.loc[3, "date"] = "31/31/2024"
    with pytest.raises(InvalidValueError, match="not dates"):
        entry.call(tx)


@every
def test_mixed_timezones(entry: Entry) -> None:
    tx = sample().astype({"date": object})
    tx.loc[0, "date"] = pd.Timestamp("2024-01-03", tz="UTC")
    tx.loc[1, "date"] = pd.Timestamp("2024-02-14", tz="Asia/Tokyo")
    with pytest.raises(InvalidValueError, match="timezone"):
        entry.call(tx)


@every
def test_wrong_date_type(entry: Entry) -> None:
    tx = sample().assign(date=np.arange(17.0))
    with pytest.raises(ColumnTypeError, match="'date'"):
        entry.call(tx)


# --- the amount column --------------------------------------------------------------------------------


@with_amount
def test_text_amounts(entry: Entry) -> None:
    tx = sample().astype({"amount": str})
    with pytest.raises(ColumnTypeError, match="'amount'"):
        entry.call(tx)


@with_amount
def test_infinite_amounts(entry: Entry) -> None:
    tx = sample()
    tx.loc[2, "amount"] = np.inf
    with pytest.raises(InvalidValueError, match="infinite"):
        entry.call(tx)


@with_amount
def test_amounts_beyond_the_bound_are_refused(entry: Entry) -> None:
    tx = sample()
    tx.loc[2, "amount"] = 1e308  # would overflow totals and averages to inf
    with pytest.raises(InvalidValueError, match=r"beyond \+-1e\+100"):
        entry.call(tx)


@with_amount
def test_no_amount_column_is_refused_where_money_is_needed(entry: Entry) -> None:
    with pytest.raises(
        InvalidParameterError, match=f"'amount' parameter of {entry.function.__name__}"
    ):
        entry.call(sample(), amount=None)


@entries
@pytest.mark.parametrize("end", [20240715, 1.5, np.int64(20240715)])
def test_numbers_are_not_observation_ends(entry: Entry, end: object) -> None:
    # pandas reads a number as nanoseconds since 1970: every row would be dropped.
    with pytest.raises(InvalidParameterError, match=r"'observation_end' parameter.*is a number"):
        entry.call(sample(), observation_end=end)


@every
def test_no_result_depends_on_the_clock(entry: Entry) -> None:
    tx = sample()
    with pytest.raises(InvalidValueError, match="depend on the clock"):
        entry.call(tx.assign(date=tx["date"].dt.strftime("%Y-%m-%d").replace("2024-07-15", "now")))
    if entry.transactions:
        with pytest.raises(InvalidParameterError, match="depend on the clock"):
            entry.call(tx, observation_end="today")
    first = entry.call(tx)
    time.sleep(0.01)  # the clock moves on; the result does not
    assert_identical(first, entry.call(tx))


@with_amount
def test_missing_amount_column(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="amount"):
        entry.call(sample().drop(columns="amount"))


@entries
def test_default_amount_column_is_optional_unless_needed(entry: Entry) -> None:
    tx = sample()
    if not entry.needs_amount:
        # Without an amount column there are no returns: the same as reading no amounts at all.
        positive = tx[tx["amount"] >= 0]
        assert_identical(
            entry.call(positive.drop(columns="amount")), entry.call(positive, amount=None)
        )
    with pytest.raises(ColumnNotFoundError, match="'total'"):
        entry.call(tx, amount="total")  # a column named explicitly must exist


# --- orders and returns ---------------------------------------------------------------------------------


def order_lines(tx: pd.DataFrame) -> pd.DataFrame:
    """Split every order into lines: the same order id, amounts split, later lines later on the day."""
    first = tx.assign(amount=tx["amount"] * 0.25)
    second = tx.assign(amount=tx["amount"] * 0.75, date=tx["date"] + pd.Timedelta(hours=3))
    return pd.concat([second, first], ignore_index=True)


@with_lines
def test_order_lines_count_as_one_order(entry: Entry) -> None:
    tx = sample()
    expected = entry.call(tx, order_id="order_id")
    assert_identical(expected, entry.call(order_lines(tx), order_id="order_id"))
    # Each row is its own order here, so order_id changes nothing.
    assert_identical(entry.call(tx), expected)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),  # customer
            st.integers(0, 150),  # day
            st.integers(-3_000, 20_000),  # amount in cents
            st.integers(1, 3),  # lines in the order
            st.sampled_from(["web", "store", "app"]),
        ),
        min_size=1,
        max_size=25,
    )
)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
def test_splitting_orders_into_lines_changes_nothing(rows: list[tuple[Any, ...]]) -> None:
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "cents", "lines", "channel"])
    orders["order_id"] = np.arange(len(orders))
    orders["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(orders["day"], unit="D")
    orders["amount"] = orders["cents"] / 100
    lines = orders.loc[orders.index.repeat(orders["lines"])].copy()
    line_no = lines.groupby(level=0).cumcount()
    # Amounts split in whole cents; the first line carries the remainder.
    share = (lines["cents"] // lines["lines"]).where(
        line_no > 0, lines["cents"] - (lines["cents"] // lines["lines"]) * (lines["lines"] - 1)
    )
    lines["amount"] = share / 100
    lines["date"] = lines["date"] + pd.to_timedelta(line_no, unit="min")
    for entry in REGISTRY:
        if not entry.lines:
            continue
        try:
            expected = entry.call(orders, order_id="order_id")
        except InvalidValueError:  # refused whatever the lines (a negative total for abc_xyz)
            continue
        assert_identical(expected, entry.call(lines, order_id="order_id"))


@without_money
def test_return_rows_change_no_activity(entry: Entry) -> None:
    tx = sample()
    refund = pd.DataFrame(
        {
            "customer_id": [1, 5, 4],
            "order_id": ["r1", "r2", "r3"],
            "date": pd.to_datetime(["2024-02-14", "2024-06-06", "2024-06-01"]),
            "amount": [-12.5, -3.0, -50.0],
            "channel": ["web"] * 3,
            "note": ["refund"] * 3,
        }
    )
    assert_identical(entry.call(tx), entry.call(pd.concat([tx, refund], ignore_index=True)))


@entries
def test_returns_option(entry: Entry) -> None:
    positive = sample()
    positive = positive[positive["amount"] >= 0]
    assert_identical(entry.call(positive), entry.call(positive, returns="drop"))
    with pytest.raises(InvalidParameterError, match="'returns'"):
        entry.call(positive, returns="keep")


@entries
def test_order_id_errors(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="order_id"):
        entry.call(sample(), order_id="invoice")
    tx = sample()
    tx.loc[2, "order_id"] = None
    with pytest.raises(InvalidValueError, match="missing order ids"):
        entry.call(tx, order_id="order_id")


# --- breakdowns -----------------------------------------------------------------------------------------


def first_purchase_channel(tx: pd.DataFrame) -> pd.Series:
    """Each customer's channel on their first purchase (ties to the first channel in sorted order)."""
    bought = tx[tx["amount"] >= 0] if "amount" in tx else tx
    first = bought.sort_values(["customer_id", "date", "channel"]).drop_duplicates("customer_id")
    return first.set_index("customer_id")["channel"]


def group_part(result: Any, label: Any) -> Any:
    if isinstance(result, pd.Series) and not isinstance(result.index, pd.MultiIndex):
        return result[label]
    outer = result.index.get_level_values(0)
    part = result[outer.isna()] if pd.isna(label) else result[outer == label]
    return part.droplevel(0)


def check_groups(entry: Entry, tx: pd.DataFrame, by: Any, groups: pd.Series) -> None:
    result = entry.call(tx, by=by, observation_end=END)
    labels = sorted(groups.dropna().unique()) + ([np.nan] if groups.isna().any() else [])
    if not isinstance(result.index, pd.MultiIndex):  # one number per group
        assert len(result) == len(labels)
    for label in labels:
        members = groups.index[groups.isna()] if pd.isna(label) else groups.index[groups == label]
        alone = entry.call(tx[tx["customer_id"].isin(members)], observation_end=END)
        part = group_part(result, label)
        if isinstance(alone, float):
            np.testing.assert_array_equal(part, alone)
            continue
        if isinstance(alone, pd.DataFrame) and not part.columns.equals(alone.columns):
            # Tables of periods since acquisition (cohort_table) span the longest group's columns: a
            # group's extra columns are not covered by its data, so NaN.
            extra = part.columns.difference(alone.columns)
            assert part[extra].isna().all().all()
            part = part[alone.columns]
        assert_identical(part, alone)


@with_by
def test_by_equals_each_group_alone(entry: Entry) -> None:
    tx = sample()
    check_groups(entry, tx, "channel", first_purchase_channel(tx))
    # A Series from a CRM, with one customer missing: the missing group is a group of its own.
    managers = pd.Series(
        ["ann", "bob", "ann", "cy", "bob", "cy"], index=[1, 2, 3, 4, 5, 6], name="manager"
    )
    groups = managers.reindex(range(1, 8))
    check_groups(entry, tx, managers, groups)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 8),
            st.integers(0, 196),  # up to END
            # Cents, and amounts that make the exact sums take another method in some groups than in
            # others (a group's numbers must not depend on the other groups' amounts).
            st.one_of(
                st.integers(-2_000, 10_000).map(lambda c: c / 100),
                st.sampled_from([1e16, -1e16, 0.1, 0.2, 1 / 3, 1e-9]),
            ),
            st.sampled_from(["web", "store", "app", None]),
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
def test_by_property(rows: list[tuple[Any, ...]]) -> None:
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "channel"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    if not (tx["amount"] >= 0).any():
        return
    groups = first_purchase_channel(tx.fillna({"channel": "~missing"})).replace("~missing", np.nan)
    for entry in REGISTRY:
        if entry.by:
            with warnings.catch_warnings():
                warnings.simplefilter(
                    "ignore", RetentionWarning
                )  # kpis on rows that look like lines
                try:
                    check_groups(entry, tx, "channel", groups)
                except InvalidValueError:  # refused for the whole table and for a group alike
                    continue


@with_by
def test_by_errors(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="'region'"):
        entry.call(sample(), by="region")
    tx = sample()
    tx["tags"] = [["a"]] * len(tx)
    with pytest.raises(ColumnTypeError, match="'tags'"):
        entry.call(tx, by="tags")
    with pytest.raises(InvalidParameterError, match="'by'"):
        entry.call(tx, by=[])


def test_by_several_columns() -> None:
    tx = sample().assign(region=lambda d: np.where(d["customer_id"] % 2 == 0, "north", "south"))
    result = rt.period_retention(tx, by=["channel", "region"], observation_end=END)
    assert result.index.names == ["channel", "region", "period"]
    part = result.xs(("web", "south"), level=["channel", "region"])
    members = [1, 7]  # web on their first purchase, odd ids
    expected = rt.period_retention(tx[tx["customer_id"].isin(members)], observation_end=END)
    assert_identical(part, expected)


# --- one contract of options ----------------------------------------------------------------------------


def transaction_functions() -> set[str]:
    """Public functions that read a transaction table: they take customer_id, date and observation_end."""
    names = set()
    for name in rt.__all__:
        obj = getattr(rt, name)
        if inspect.isfunction(obj):
            params = inspect.signature(obj).parameters
            if {"customer_id", "date", "observation_end"} <= set(params):
                names.add(name)
    return names


def test_registry_lists_every_transaction_function() -> None:
    assert {e.function.__name__ for e in REGISTRY} == transaction_functions()


SHARED = {
    "customer_id": "customer_id",
    "date": "date",
    "amount": "amount",
    "order_id": None,
    "observation_end": None,
    "returns": "net",
}

# The type of each shared option, the same in every signature (what a type checker tells a caller).
SHARED_TYPES = {
    "customer_id": Hashable,
    "date": Hashable,
    "amount": Hashable | None,
    "order_id": Hashable | None,
    "observation_end": DateLike | None,
    "calibration_end": DateLike | None,
    "returns": str,
    "by": object,
}


@pytest.mark.parametrize("name", sorted(transaction_functions()))
def test_one_contract_of_options(name: str) -> None:
    function = getattr(rt, name)
    params = inspect.signature(function).parameters
    entry = next(e for e in REGISTRY if e.function is function)
    expected = dict(SHARED)
    if entry.by:
        expected["by"] = None
    for option, default in expected.items():
        assert option in params, f"{name} lacks {option}="
        assert params[option].kind is inspect.Parameter.KEYWORD_ONLY, (
            f"{name}: {option} is not keyword-only"
        )
        assert params[option].default == default, (
            f"{name}: {option} defaults to {params[option].default!r}"
        )
    assert ("by" in params) == (entry.by or entry.compares)
    if entry.compares:  # the groups compared are the data, a required argument after the table
        assert list(params)[1] == "by"
        assert params["by"].default is inspect.Parameter.empty
    if "freq" in params:
        assert entry.freq
        assert params["freq"].kind is inspect.Parameter.KEYWORD_ONLY
    doc = inspect.getdoc(function) or ""
    for option in expected:
        text = OPTION_DOCS[option]
        assert text in doc, f"{name} does not document {option} in the shared words"
    assert "as_of" not in params


def public_functions() -> list[tuple[str, Any]]:
    """Every public function of ``retention`` and ``retention.plot``, by its qualified name."""
    found = []
    for module, prefix in ((rt, "rt."), (rt.plot, "rt.plot.")):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found.append((prefix + name, obj))
    return found


@pytest.mark.parametrize(
    ("name", "function"), public_functions(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_shared_options_have_one_type(name: str, function: Any) -> None:
    params = inspect.signature(function).parameters
    names = vars(sys.modules[inspect.unwrap(function).__module__])
    for option, kind in SHARED_TYPES.items():
        if option in params:
            typed = eval(params[option].annotation, names)  # annotations are postponed (text)
            expected = kind
            required = params[option].default is inspect.Parameter.empty
            if required and type(None) in typing.get_args(kind):  # a required option is never None
                expected = functools.reduce(
                    operator.or_, (a for a in typing.get_args(kind) if a is not type(None))
                )
            assert typed == expected, f"{name}: {option} is typed {typed}, not {expected}"


def test_one_keyword_dict_for_every_function() -> None:
    options = {"customer_id": "customer_id", "date": "date", "amount": "amount", "order_id": "order_id",
               "observation_end": END, "returns": "net"}  # fmt: skip
    for entry in REGISTRY:
        entry.call(sample(), **options)


@entries
def test_messages_show_plain_values(entry: Entry) -> None:
    """Values in messages read as the user wrote them: 3, not np.int64(3); nan, not np.float64(nan)."""
    bad_tables = []
    tx = sample()
    tx.loc[2, "amount"] = np.nan
    bad_tables.append((tx, {}))
    tx = sample().astype({"customer_id": float})
    tx.loc[4, "customer_id"] = np.nan
    bad_tables.append((tx, {}))
    tx = sample().assign(order_id=np.arange(17.0))
    tx.loc[5, "order_id"] = np.nan
    bad_tables.append((tx, {"order_id": "order_id"}))
    for table, options in bad_tables:
        with pytest.raises(InvalidValueError) as info:
            entry.call(table, **options)
        assert "np." not in str(info.value)
