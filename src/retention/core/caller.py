"""Warnings reported at the user's line: the first frame outside the ``retention`` package.

A warning raised deep inside the library (the fitting routine under a model's ``fit``, an old option name
read by a private helper) should name the line that called the library, as ``warnings.warn`` does for
``stacklevel=2`` from a public function. The depth differs from path to path, so a fixed ``stacklevel``
points into the library on some of them; :func:`warn_at_caller` skips every frame of the package instead
(``skip_file_prefixes`` on Python 3.12+, the same walk by hand on 3.11).
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["PACKAGE_DIRECTORY", "warn_at_caller"]

PACKAGE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
"""The directory of the ``retention`` package, with a trailing separator."""


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """Warn with ``category``, reported at the first line outside the ``retention`` package.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type of Warning
        Its class, e.g. :class:`~retention.errors.RetentionWarning` or :class:`DeprecationWarning`.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("look here", UserWarning)
    >>> caught[0].filename.startswith(PACKAGE_DIRECTORY)  # this doctest's own line, not the library
    False
    """
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(PACKAGE_DIRECTORY,))
        return
    frame = sys._getframe(1)
    level = 2  # 1 is the line above, 2 the caller of warn_at_caller
    while frame.f_back is not None and frame.f_code.co_filename.startswith(PACKAGE_DIRECTORY):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
