"""Breakdowns (``by=``): run one computation on each group's customers and label the results by group.

:func:`~retention.frames.schema.read_transactions` assigns every customer to one group and codes the
customers group by group, so that each group's customers are one range of codes. This module runs the same
function on each group's part of the table (:meth:`~retention.frames.schema.Transactions.split`) and puts
the groups in front of the result's index, so that each group's rows equal the function run on that
group's customers alone. The parts take slices of what the whole table computes once (its activity, its
per-customer measures, its revenue by group), so a part costs little more than its own labels. The loop is
over groups (tens), never over customers or rows.

Per-customer results (one row per customer, indexed by the part's customer ids) are labelled from codes:
:func:`customer_index` builds the index of all groups at once without hashing or sorting the ids again.
Metrics that can count every group in one pass over the whole table use :func:`group_ranges` (each
group's range of customer codes), :func:`customer_index` and :func:`by_group` directly: ``kpis`` counts
its periods, cohorts and repeat buyers with the group as one more key, ``rfm_scores`` scores the whole
table's measures within each group's range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from itertools import pairwise
from typing import Any, TypeVar, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.frames.schema import Transactions

__all__ = [
    "breakdown",
    "by_group",
    "by_group_rows",
    "customer_index",
    "group_attrs",
    "group_label",
    "group_parts",
    "group_ranges",
    "index_levels",
    "is_missing_label",
]

_Result = TypeVar("_Result", pd.DataFrame, pd.Series)


def index_levels(index: pd.Index) -> list[pd.Index]:
    """Return the levels of an index as a list: one Index per level, the index itself when it is flat.

    Examples
    --------
    >>> levels = index_levels(pd.MultiIndex.from_tuples([("ann", 1), ("bob", 2)], names=["manager", "id"]))
    >>> [(level.name, level.tolist()) for level in levels]
    [('manager', ['ann', 'bob']), ('id', [1, 2])]
    >>> flat = pd.Index(["web", "shop"], name="channel")
    >>> index_levels(flat)[0] is flat
    True
    """
    return [index.get_level_values(k) for k in range(index.nlevels)]


def is_missing_label(value: object) -> bool:
    """Whether a group label is missing (None, NaN, NaT or NA): the group of the customers without one.

    Examples
    --------
    >>> [is_missing_label(v) for v in ("web", None, float("nan"), pd.NaT, pd.NA, 0)]
    [False, True, True, True, True, False]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(float(value))


def group_label(key: object) -> str:
    """Write the key of a group as text: ``"web"``, ``"web / north"`` for several levels, ``"(missing)"``.

    The one spelling of group labels in pictures and in the report's tables.

    Examples
    --------
    >>> group_label(("web", float("nan")))
    'web / (missing)'
    """
    if is_missing_label(key):
        return "(missing)"
    if isinstance(key, tuple):
        return " / ".join(group_label(part) for part in key)
    return str(key)


def _group_levels(labels: pd.Index, sizes: list[int]) -> list[pd.Index]:
    """Return the group label(s) of every result row, one Index per group level."""
    positions = np.repeat(np.arange(len(labels), dtype=np.int64), sizes)
    return [level.take(positions) for level in index_levels(labels)]


def _stack(pieces: list[Any], labels: pd.Index, empty: Any) -> Any:
    """Concatenate per-group frames or series and put the groups in front of their index."""
    if pieces:
        combined = pd.concat(pieces) if len(pieces) > 1 else pieces[0].copy()
        return by_group_rows(combined, labels, [len(p) for p in pieces])
    # No customers, so no groups: the empty result with the group level(s) in front.
    return by_group_rows(empty.iloc[:0].copy(), labels[:0], [])


def group_attrs(attrs: list[dict[Any, Any]]) -> dict[Any, Any]:
    """Return the ``attrs`` of a breakdown's result from those of its groups' results (at least one).

    The first group's, except that an entry empty there (None or ``""``, as the last complete period of
    a group without one) takes the first value another group has: the groups share the table's
    observation end and periods, so an entry that is set is the same in every group that has it.

    Examples
    --------
    >>> group_attrs([{"freq": "M", "period": ""}, {"freq": "M", "period": "2024-02"}])
    {'freq': 'M', 'period': '2024-02'}
    """
    merged = dict(attrs[0])
    for other in attrs[1:]:
        for key, value in other.items():
            if key not in merged or _is_empty(merged[key]):
                merged[key] = value
    return merged


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value)


def by_group_rows(combined: _Result, labels: pd.Index, sizes: list[int]) -> _Result:
    """Put the groups in front of the index of the groups' results, already one after the other.

    Parameters
    ----------
    combined : pandas.DataFrame or pandas.Series
        The rows of every group's result, group after group in the order of ``labels``. Its index is
        replaced (the object is modified: pass one of your own).
    labels : pandas.Index
        The groups (a :class:`pandas.MultiIndex` for several columns), named.
    sizes : list of int
        The number of rows of each group.

    Returns
    -------
    pandas.DataFrame or pandas.Series
        ``combined``, as :func:`by_group` shapes the results of a breakdown.

    Examples
    --------
    >>> rows = pd.Series([1.0, 2.0, 3.0], index=pd.Index(["a", "b", "a"], name="x"))
    >>> by_group_rows(rows, pd.Index(["shop", "web"], name="channel"), [2, 1])
    channel  x
    shop     a    1.0
             b    2.0
    web      a    3.0
    dtype: float64
    """
    inner: pd.Index = combined.index
    combined.index = pd.MultiIndex.from_arrays(
        [*_group_levels(labels, sizes), *index_levels(inner)], names=[*labels.names, *inner.names]
    )
    return combined


def group_ranges(t: Transactions) -> list[tuple[int, int]]:
    """Return each group's range of customer codes, ``(start, stop)``, in the order of the labels.

    Parameters
    ----------
    t : Transactions
        A table read with ``by``.

    Returns
    -------
    list of tuple of int
        A per-customer array of the whole table holds group ``g``'s customers at
        ``start:stop`` of its ``g``-th pair (the customers are coded group by group).

    Raises
    ------
    AssertionError
        If ``t`` was read without ``by`` (an internal misuse).

    See Also
    --------
    customer_index : The index of a per-customer result of all groups.

    Examples
    --------
    >>> from retention.frames.schema import read_transactions
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2024-01-01"] * 3,
    ...                    "channel": ["web", "shop", "web"]})
    >>> group_ranges(read_transactions(tx, by="channel", func="example"))
    [(0, 1), (1, 3)]
    """
    assert t.groups is not None  # only tables read with by= have groups
    bounds = t._bounds().tolist()
    return list(pairwise(bounds))


def _label_codes(labels: pd.Index, codes: NDArray[np.int64]) -> tuple[list[pd.Index], list[Any]]:
    """Return the levels and codes that :meth:`pandas.MultiIndex.from_arrays` makes of ``labels.take(codes)``.

    ``from_arrays`` reads each level as a :class:`pandas.Categorical` (sorted categories, -1 for a missing
    label). The categories of the few labels are those of the long column, since every label occurs in it
    (a label no customer has is dropped when the table is read) and in the same first-seen order (the
    codes never decrease): so the labels are categorised once, not the long column.
    """
    levels: list[pd.Index] = []
    level_codes: list[Any] = []
    for value in index_levels(labels):
        categorical = pd.Categorical(value)
        levels.append(categorical.categories)
        level_codes.append(np.asarray(categorical.codes).take(codes))
    return levels, level_codes


def customer_index(t: Transactions) -> pd.MultiIndex:
    """Return the index of a per-customer result of a breakdown: the group level(s), then the customer id.

    One row per customer code, in code order (group by group, ids sorted within a group): the index that
    :func:`by_group` gives the per-group results indexed by each part's customer ids, built from codes so
    that a million ids are not hashed and sorted again.

    Parameters
    ----------
    t : Transactions
        A table read with ``by``.

    Returns
    -------
    pandas.MultiIndex
        Named like the ``by`` column(s), then like the customer id column.

    Raises
    ------
    AssertionError
        If ``t`` was read without ``by`` (an internal misuse).

    See Also
    --------
    group_ranges : Each group's range of customer codes.

    Examples
    --------
    >>> from retention.frames.schema import read_transactions
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2024-01-01"] * 3,
    ...                    "channel": ["web", "shop", "web"]})
    >>> customer_index(read_transactions(tx, by="channel", func="example")).tolist()
    [('shop', 2), ('web', 1), ('web', 3)]
    """
    groups = t.groups
    assert groups is not None  # read with by=
    assert groups.order is not None  # set when the customers were coded by group
    levels, codes = _label_codes(groups.labels, groups.codes)
    ids = t.customer_ids
    order = groups.order
    # The ids in sorted order (the level that from_arrays would make): customer j is at order[j].
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order), dtype=np.int64)
    all_levels: list[Any] = [*levels, ids.take(inverse)]
    all_codes: list[Any] = [*codes, order]
    return pd.MultiIndex(
        levels=all_levels,
        codes=all_codes,
        names=[*groups.labels.names, ids.name],
        verify_integrity=False,
    )


def _per_customer(results: list[Any], parts: list[tuple[object, Transactions]]) -> bool:
    """Whether every result is a frame or series indexed by its part's own customer ids."""
    return bool(results) and all(
        isinstance(r, pd.DataFrame | pd.Series) and r.index is part.customer_ids
        for r, (_, part) in zip(results, parts, strict=True)
    )


@overload
def breakdown(
    t: Transactions, compute: Callable[[Transactions], pd.DataFrame], *, name: str
) -> pd.DataFrame: ...
@overload
def breakdown(
    t: Transactions, compute: Callable[[Transactions], pd.Series], *, name: str
) -> pd.Series: ...
@overload
def breakdown(
    t: Transactions, compute: Callable[[Transactions], float], *, name: str
) -> float | pd.Series: ...
def breakdown(
    t: Transactions, compute: Callable[[Transactions], Any], *, name: str
) -> pd.DataFrame | pd.Series | float:
    """Run ``compute`` on the whole table, or on each group's part when ``t`` has groups.

    Parameters
    ----------
    t : Transactions
        A table read by :func:`~retention.frames.schema.read_transactions`, with or without ``by``.
    compute : callable
        ``compute(table) -> DataFrame, Series or float``: the function's work on a table already read.
    name : str
        The name of the Series of per-group floats.

    Returns
    -------
    pandas.DataFrame, pandas.Series or float
        ``compute(t)`` without groups. With groups: frames and series gain the group level(s) in front of
        their index; floats become a Series indexed by group. ``attrs`` of the first group's result are
        kept.

    See Also
    --------
    by_group : How the per-group results are labelled.

    Notes
    -----
    Results indexed by their part's customer ids (one row per customer) are put together without their
    indexes and labelled by :func:`customer_index`: the same index, made from codes.

    Examples
    --------
    >>> from retention.frames.schema import read_transactions
    >>> tx = pd.DataFrame({"customer_id": [1, 2, 3], "date": ["2024-01-01"] * 3,
    ...                    "channel": ["web", "shop", "web"]})
    >>> t = read_transactions(tx, by="channel", func="example")
    >>> breakdown(t, lambda part: float(part.n_customers), name="customers")
    channel
    shop    1.0
    web     2.0
    Name: customers, dtype: float64
    """
    if t.groups is None:
        result: pd.DataFrame | pd.Series | float = compute(t)
        return result
    parts = t.split()
    results = [compute(part) for _, part in parts]
    if len(results) > 1 and _per_customer(results, parts) and t.groups.order is not None:
        combined: pd.DataFrame | pd.Series = pd.concat(results, ignore_index=True)
        combined.index = customer_index(t)
        combined.attrs = dict(results[0].attrs)
        return combined
    return by_group(results, t.groups.labels, name=name, empty=None if results else compute(t))


def by_group(
    results: list[Any], labels: pd.Index, *, name: str, empty: object = None
) -> pd.DataFrame | pd.Series:
    """Label per-group results by their groups: the one way a breakdown's result is shaped.

    Parameters
    ----------
    results : list
        One result per group, in the order of ``labels``: all frames, all series or all floats.
    labels : pandas.Index
        The groups (a :class:`pandas.MultiIndex` for several columns), named.
    name : str
        The name of the Series of per-group floats.
    empty : object, optional
        The result of the whole (empty) table, to shape the result when there are no groups.

    Returns
    -------
    pandas.DataFrame or pandas.Series
        Frames and series gain the group level(s) in front of their index (``attrs`` of the first
        kept); floats become a Series indexed by group.

    Examples
    --------
    >>> by_group([1.0, 2.0], pd.Index(["shop", "web"], name="channel"), name="customers")
    channel
    shop    1.0
    web     2.0
    Name: customers, dtype: float64
    """
    sample = results[0] if results else empty
    if isinstance(sample, pd.DataFrame | pd.Series):
        out: pd.DataFrame | pd.Series = _stack(results, labels, sample)
        out.attrs = group_attrs([r.attrs for r in results] or [sample.attrs])
        return out
    return pd.Series(np.asarray(results, dtype=np.float64), index=labels, name=name)


def group_parts(result: _Result, *, inner: int = 1) -> list[tuple[Any, _Result]]:
    """Split a result of a breakdown into its groups: the inverse of :func:`by_group`.

    Parameters
    ----------
    result : pandas.DataFrame or pandas.Series
        A result with the group level(s) in front of ``inner`` last index levels.
    inner : int, default 1
        How many index levels each group's part keeps.

    Returns
    -------
    list of (key, part)
        Per group, in the order of the rows: its key as :meth:`pandas.DataFrame.groupby` gives it for a
        list of levels (a tuple of labels) and its rows without the group levels.

    Examples
    --------
    >>> rows = pd.Series([1.0, 2.0], index=pd.Index(["a", "b"], name="x"))
    >>> result = by_group([rows, rows], pd.Index(["shop", "web"], name="channel"), name="v")
    >>> [(key, part.tolist()) for key, part in group_parts(result)]
    [(('shop',), [1.0, 2.0]), (('web',), [1.0, 2.0])]
    """
    outer: list[Hashable] = list(range(result.index.nlevels - inner))
    groups = result.groupby(level=outer, sort=False, dropna=False)
    return [(key, part.droplevel(outer)) for key, part in groups]
