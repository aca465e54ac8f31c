"""Breakdowns (``by=``): run one computation on each group's customers and label the results by group.

:func:`~retention.frames.schema.read_transactions` assigns every customer to one group; this module runs the
same function on each group's part of the table (:meth:`~retention.frames.schema.Transactions.split`) and
puts the groups in front of the result's index, so that each group's rows equal the function run on that
group's customers alone. The loop is over groups (tens), never over customers or rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, overload

import numpy as np
import pandas as pd

from retention.frames.schema import Transactions

__all__ = ["breakdown", "by_group"]


def _group_levels(labels: pd.Index, sizes: list[int]) -> list[pd.Index]:
    """Return the group label(s) of every result row, one Index per group level."""
    positions = np.repeat(np.arange(len(labels), dtype=np.int64), sizes)
    if isinstance(labels, pd.MultiIndex):
        return [labels.get_level_values(k).take(positions) for k in range(labels.nlevels)]
    return [labels.take(positions)]


def _stack(pieces: list[Any], labels: pd.Index, empty: Any) -> Any:
    """Concatenate per-group frames or series and put the groups in front of their index."""
    if pieces:
        sizes = [len(p) for p in pieces]
        combined = pd.concat(pieces) if len(pieces) > 1 else pieces[0].copy()
        levels = _group_levels(labels, sizes)
    else:  # no customers, so no groups: the empty result with the group level(s) in front
        combined = empty.iloc[:0].copy()
        levels = _group_levels(labels[:0], [])
    inner = combined.index
    inner_levels = (
        [inner.get_level_values(k) for k in range(inner.nlevels)]
        if isinstance(inner, pd.MultiIndex)
        else [inner]
    )
    combined.index = pd.MultiIndex.from_arrays(
        [*levels, *inner_levels], names=[*labels.names, *inner.names]
    )
    return combined


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
    results = [compute(part) for _, part in t.split()]
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
        out.attrs = dict(sample.attrs)
        return out
    return pd.Series(np.asarray(results, dtype=np.float64), index=labels, name=name)
