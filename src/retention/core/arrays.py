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

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["BoolArray", "FloatArray", "IntArray"]

FloatArray: TypeAlias = NDArray[np.float64]
"""A float64 array: amounts, rates, probabilities, model parameters, log-likelihoods."""

IntArray: TypeAlias = NDArray[np.int64]
"""An int64 array: customer, day, period and group codes, counts, and positions into other arrays."""

BoolArray: TypeAlias = NDArray[np.bool_]
"""A boolean array: a mask, one flag per entry."""
