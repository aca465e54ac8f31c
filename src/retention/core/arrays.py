"""The numpy array types that the core reads and returns, named once for every module.

The core is numpy in, numpy out (see the house style): one-dimensional arrays, one entry per customer,
purchase, period or data row, of three element types. Import these names rather than spelling
``NDArray[...]`` out again, so that a signature says which of the three it means.

- :data:`FloatArray`: amounts, rates, probabilities, model parameters and log-likelihoods; float64.
- :data:`IntArray`: codes (customer, day, period, group), counts and positions into other arrays; int64.
- :data:`BoolArray`: masks, one flag per entry.

Examples
--------
>>> import numpy as np
>>> def share(mask: BoolArray) -> FloatArray:
...     return np.cumsum(mask) / np.arange(1, len(mask) + 1)
>>> share(np.array([True, False, True, True]))
array([1.        , 0.5       , 0.66666667, 0.75      ])
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "IntArray", "narrowest_unsigned", "readable"]

FloatArray: TypeAlias = NDArray[np.float64]
"""A float64 array: amounts, rates, probabilities, model parameters, log-likelihoods."""

IntArray: TypeAlias = NDArray[np.int64]
"""An int64 array: customer, day, period and group codes, counts, and positions into other arrays."""

BoolArray: TypeAlias = NDArray[np.bool_]
"""A boolean array: a mask, one flag per entry."""


def narrowest_unsigned(top: int) -> type[np.unsignedinteger[Any]] | None:
    """Return the narrowest of uint8, uint16 and uint32 that holds ``0 .. top``; None when none does.

    Offsets, codes and days stored this narrow make the random-access passes over millions of customers
    (gathers, indexed min / max) read a half to an eighth of the memory, and run that much faster.

    Examples
    --------
    >>> narrowest_unsigned(255), narrowest_unsigned(1096), narrowest_unsigned(2**40)
    (<class 'numpy.uint8'>, <class 'numpy.uint16'>, None)
    """
    for narrow in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(narrow).max:
            return narrow
    return None


class _Alias:
    """The memory of a read-only array, described to numpy as writeable (see :func:`readable`)."""

    __slots__ = ("__array_interface__", "array")

    def __init__(self, array: NDArray[Any]) -> None:
        self.array = array  # kept alive for as long as the alias is
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface


def readable(array: NDArray[Any]) -> NDArray[Any]:
    """Return ``array`` as numpy's take and bincount read it without a copy: for passing to them only.

    :func:`numpy.take` (its indices) and :func:`numpy.bincount` (its values and weights) ask for
    contiguous *writeable* arrays, so they copy a read-only one first, eight bytes a row, though they only
    read it. The tables the adapters read are read-only (nothing may change a user's columns or a cached
    table); this returns a view of the same memory flagged writeable, through the array interface, for a
    contiguous read-only array, and the array itself otherwise. Never write into the result.

    Examples
    --------
    >>> codes = np.array([0, 2, 2])
    >>> codes.flags.writeable = False
    >>> view = readable(codes)
    >>> np.shares_memory(view, codes), np.bincount(view).tolist()
    (True, [1, 0, 2])
    """
    if array.flags.writeable or not array.flags.c_contiguous:
        return array
    return np.asarray(_Alias(array))
