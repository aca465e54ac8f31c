"""One battery over every public function that reads a transaction table (see tests/registry.py).

As in scikit-learn's `sklearn/metrics/tests/test_common.py`: the registry lists the functions, these tests
check what all of them promise.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from retention.errors import ColumnNotFoundError, ColumnTypeError, InvalidValueError
from tests.registry import REGISTRY, Entry

ids = [e.name for e in REGISTRY]
entries = pytest.mark.parametrize("entry", REGISTRY, ids=ids)
with_amount = pytest.mark.parametrize(
    "entry",
    [e for e in REGISTRY if e.needs_amount],
    ids=[e.name for e in REGISTRY if e.needs_amount],
)


def sample() -> pd.DataFrame:
    """Seven customers over seven months with repeat buyers, a lapse, a return and a same-day duplicate."""
    rows = [
        (1, "2024-01-03", 10.0),
        (1, "2024-02-14", 12.5),
        (1, "2024-03-01", 8.0),
        (1, "2024-05-20", 20.0),
        (2, "2024-01-15", 30.0),
        (2, "2024-01-15", 30.0),
        (2, "2024-04-02", -5.0),
        (3, "2024-02-01", 15.0),
        (3, "2024-02-28", 15.0),
        (3, "2024-06-30", 7.0),
        (4, "2024-03-10", 50.0),
        (5, "2024-03-31", 5.0),
        (5, "2024-04-01", 6.0),
        (5, "2024-05-05", 7.0),
        (5, "2024-06-06", 8.0),
        (6, "2024-05-01", 9.0),
        (7, "2024-07-15", 11.0),
    ]
    tx = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    tx["date"] = pd.to_datetime(tx["date"])
    tx["channel"] = "web"  # an extra column, ignored
    return tx


def assert_same(a: Any, b: Any) -> None:
    """Equal results; the values of frames and series compared, not their labels."""
    if isinstance(a, pd.DataFrame | pd.Series):
        np.testing.assert_allclose(
            np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, equal_nan=True
        )
        assert a.shape == b.shape
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, equal_nan=True)


@entries
def test_runs_and_leaves_input_alone(entry: Entry) -> None:
    tx = sample()
    before = copy.deepcopy(tx)
    entry.call(tx)
    pd.testing.assert_frame_equal(tx, before)


@entries
def test_row_order_does_not_matter(entry: Entry) -> None:
    tx = sample()
    shuffled = tx.sample(frac=1.0, random_state=7)
    expected, got = entry.call(tx), entry.call(shuffled)
    if isinstance(expected, pd.DataFrame | pd.Series):
        pd.testing.assert_index_equal(expected.index, got.index)
    assert_same(expected, got)


@entries
def test_huge_and_string_ids(entry: Entry) -> None:
    tx = sample()
    expected = entry.call(tx)
    # Both renamings keep the ids' order, so per-customer results line up row by row.
    for mapping in (lambda i: 2**63 - 100 + i, lambda i: f"customer-{i:03d}"):
        renamed = tx.assign(customer_id=tx["customer_id"].map(mapping))
        assert_same(expected, entry.call(renamed))


@entries
def test_timezone_aware_dates_use_local_time(entry: Entry) -> None:
    tx = sample()
    aware = tx.assign(date=tx["date"].dt.tz_localize("America/New_York"))
    assert_same(entry.call(tx), entry.call(aware))


@entries
def test_one_customer_and_one_row(entry: Entry) -> None:
    tx = sample()
    entry.call(tx[tx["customer_id"] == 1])
    entry.call(tx.iloc[[0]])


@entries
def test_empty_table(entry: Entry) -> None:
    empty = sample().iloc[0:0]
    result = entry.call(empty)
    if isinstance(result, pd.DataFrame):
        assert len(result) == 0
        assert len(result.columns) > 0 or result.columns.name is not None
    elif isinstance(result, float):
        assert np.isnan(result)
    # also when the columns have no dtype at all
    entry.call(pd.DataFrame({"customer_id": [], "date": [], "amount": []}))


@entries
def test_not_a_frame(entry: Entry) -> None:
    with pytest.raises(ColumnTypeError, match="DataFrame"):
        entry.call(sample().to_dict())


@entries
def test_missing_column(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="customer_id"):
        entry.call(sample().rename(columns={"customer_id": "customer"}))
    with pytest.raises(ColumnNotFoundError, match="'date'"):
        entry.call(sample().drop(columns="date"))


@entries
def test_missing_date(entry: Entry) -> None:
    tx = sample()
    tx.loc[3, "date"] = pd.NaT
    with pytest.raises(InvalidValueError, match="missing dates"):
        entry.call(tx)


@entries
def test_unparsable_date(entry: Entry) -> None:
    tx = sample().astype({"date": str})
    tx.loc[3, "date"] = "31/31/2024"
    with pytest.raises(InvalidValueError, match="not dates"):
        entry.call(tx)


@entries
def test_mixed_timezones(entry: Entry) -> None:
    tx = sample().astype({"date": object})
    tx.loc[0, "date"] = pd.Timestamp("2024-01-03", tz="UTC")
    tx.loc[1, "date"] = pd.Timestamp("2024-02-14", tz="Asia/Tokyo")
    with pytest.raises(InvalidValueError, match="timezone"):
        entry.call(tx)


@entries
def test_wrong_date_type(entry: Entry) -> None:
    tx = sample().assign(date=np.arange(17.0))
    with pytest.raises(ColumnTypeError, match="'date'"):
        entry.call(tx)


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
def test_missing_amount_column(entry: Entry) -> None:
    with pytest.raises(ColumnNotFoundError, match="amount"):
        entry.call(sample().drop(columns="amount"))


def test_registry_is_not_empty() -> None:
    assert len(REGISTRY) >= 5
