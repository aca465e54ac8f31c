"""The base of every customer-base model value (``rt.BetaGeo``, ``rt.ParetoNBD``, ...).

Why here: a model's methods take a summary *frame* and return Series labelled by customer, so the classes
are part of the pandas adapter (:mod:`retention.frames`), while everything numeric (log-likelihoods,
predictions, the fitting routine) lives in :mod:`retention.core.clv` as functions of arrays. A model class
is thin: it checks inputs (through :mod:`retention.frames.summary_schema`), calls the core and labels the
result.

A model is a small immutable value (a frozen dataclass): its fields are the parameters, named as in the
papers, so ``rt.BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4)`` is a model with known parameters, and
``rt.BetaGeo.fit(summary)`` returns a new value that also carries the fit (log-likelihood, covariance).
Equality and hashing look at the parameters only.

How a model plugs in (see :mod:`retention.frames.beta_geo` for a complete one)::

    @dataclass(frozen=True, kw_only=True)
    class ParetoNBD(FrequencyRecencyModel):
        r: float
        alpha: float
        s: float
        beta: float
        _likelihood: ClassVar[Likelihood[Any]] = pareto_nbd.PARETO_NBD  # the core's declaration

        def p_alive(self, summary=None, *, frequency=None, recency=None, T=None, t=0.0):
            later = check_times(t, "t", "ParetoNBD.p_alive")
            data = self._customers(summary, frequency, recency, T, "p_alive", t=later)
            values = pareto_nbd.p_alive(*data.columns, **self.params, t=data.horizons[0])
            return data.label(values, "p_alive")

**Shapes.** Predictions broadcast like numpy ufuncs: the customers' arrays and the horizons (``t``, ``n``,
``n_future`` ...) may be numbers, 0-d arrays, lists or arrays of any shapes that broadcast together.
``_customers`` broadcasts and flattens them once (:func:`~retention.frames.summary_schema.read_customers`),
the core computes on 1-D arrays, and ``data.label`` gives the result back: a Series on the customer index
for a summary frame, an array of the broadcast shape for arrays, a float when every argument is a number.
Methods without customers do the same with :meth:`CustomerModel._broadcast` and
:func:`~retention.frames.summary_schema.shaped`. Fitting reads one-dimensional columns only.

:class:`FrequencyRecencyModel` supplies ``fit`` for models of ``(frequency, recency, T)``; a model of other
data (Gamma-Gamma, sBG, BG/BB) subclasses :class:`CustomerModel` and writes its own ``fit`` that checks its
columns and calls :meth:`CustomerModel._fit_columns`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.core.clv.fitting import FitResult, Likelihood, fit_likelihood
from retention.errors import InvalidParameterError, plain_value
from retention.frames.summary_schema import (
    Customers,
    broadcast_arguments,
    check_fittable,
    check_frequency_recency_T,
    check_weights,
    read_customers,
)

__all__ = ["CustomerModel", "FrequencyRecencyModel"]


@dataclass(frozen=True, kw_only=True)
class CustomerModel:
    """Base of the model values: parameters, fit statistics and the parameter table.

    Subclasses declare their parameters as float fields (in the order of ``_likelihood.params``) and set
    ``_likelihood`` to the core's :class:`~retention.core.clv.fitting.Likelihood`.
    """

    _likelihood: ClassVar[Likelihood[Any]]
    _fit: FitResult | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in self._likelihood.params:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(
                value, int | float | np.integer | np.floating
            ):
                msg = f"The {name!r} parameter of {type(self).__name__} must be a positive number. Got {plain_value(value)!r}."
                raise InvalidParameterError(msg)
            number = float(value)
            if not (math.isfinite(number) and number > 0):
                msg = f"The {name!r} parameter of {type(self).__name__} must be a positive finite number. Got {plain_value(value)!r}."
                raise InvalidParameterError(msg)
            object.__setattr__(self, name, number)

    @property
    def params(self) -> dict[str, float]:
        """The parameters by name, in the papers' order."""
        return {name: float(getattr(self, name)) for name in self._likelihood.params}

    @property
    def loglik(self) -> float:
        """The log-likelihood at the fit; NaN for a model built from known parameters."""
        return self._fit.loglik if self._fit is not None else math.nan

    @property
    def n_customers(self) -> float:
        """The number of customers fitted (the sum of the weights); 0 for known parameters."""
        return self._fit.n_customers if self._fit is not None else 0.0

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters (delta method from the log scale); NaN when not fitted."""
        if self._fit is None:
            return dict.fromkeys(self._likelihood.params, math.nan)
        errors = self._fit.standard_errors
        return {name: float(v) for name, v in zip(self._likelihood.params, errors, strict=True)}

    @property
    def covariance(self) -> pd.DataFrame:
        """The covariance matrix of the parameter estimates (all NaN when not fitted)."""
        names = pd.Index(self._likelihood.params, name="parameter")
        k = len(names)
        values = self._fit.covariance if self._fit is not None else np.full((k, k), np.nan)
        return pd.DataFrame(values, index=names, columns=names.rename(None))

    def summary(self) -> pd.DataFrame:
        r"""Tabulate the estimate, standard error and 95% interval of each parameter.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``estimate``, ``standard_error``, ``lower_95``, ``upper_95``.
            The interval is $\exp(\log\hat\theta \pm 1.96\, \mathrm{se}(\log\hat\theta))$: the
            fit works on the log scale, where the likelihood is closer to normal, so the interval is not
            symmetric about the estimate and never includes 0 or negative values. The standard error is
            $\hat\theta\, \mathrm{se}(\log\hat\theta)$ (delta method). All NaN except the estimate for
            a model built from known parameters.
        """
        names = pd.Index(self._likelihood.params, name="parameter")
        estimate = np.array(list(self.params.values()))
        if self._fit is not None:
            lower, upper = self._fit.intervals()
            errors = self._fit.standard_errors
        else:
            lower = upper = errors = np.full(len(names), np.nan)
        return pd.DataFrame(
            {"estimate": estimate, "standard_error": errors, "lower_95": lower, "upper_95": upper},
            index=names,
        )

    def _broadcast(
        self, method: str, **arguments: NDArray[np.float64]
    ) -> tuple[tuple[int, ...], tuple[NDArray[np.float64], ...]]:
        """Broadcast a prediction's checked arguments together and flatten them (numpy's rules).

        Returns the broadcast shape, to give the result back with
        :func:`~retention.frames.summary_schema.shaped`, and the flat arrays in the order given.
        """
        return broadcast_arguments(arguments, func=f"{type(self).__name__}.{method}")

    @classmethod
    def _fit_columns(
        cls, columns: tuple[np.ndarray[Any, Any], ...], weights: np.ndarray[Any, Any] | None
    ) -> Self:
        """Fit the model's likelihood to checked columns and return the fitted value."""
        result = fit_likelihood(cls._likelihood, columns, weights)
        model = cls(**dict(zip(cls._likelihood.params, map(float, result.params), strict=True)))
        object.__setattr__(model, "_fit", result)
        return model


@dataclass(frozen=True, kw_only=True)
class FrequencyRecencyModel(CustomerModel):
    """Base of the models of ``(frequency, recency, T)``: the fit and the reading of customers."""

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame, optional
            One row per customer with the columns ``frequency``, ``recency`` and ``T``, as made by
            :func:`~retention.rfm_summary` (other columns are ignored).
        frequency, recency, T : array-like, optional
            The same columns as arrays, instead of ``summary``.
        weights : array-like, optional
            How many customers each row stands for (for data already grouped by pattern); one per row.

        Returns
        -------
        Self
            A new model value with the estimates and the fit statistics (``loglik``,
            ``standard_errors``, ``summary()``).

        Raises
        ------
        InvalidValueError
            If the data break the rules of :mod:`retention.frames.summary_schema`, there are too few
            customers, or no customer has a repeat purchase (the model is not identified).
        ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the summary or the arrays cannot be read.
        ConvergenceError
            If the optimiser does not converge; the message says what was tried.

        Warns
        -----
        RetentionWarning
            If a parameter ends on the bound of its search range (not identified by the data).

        Notes
        -----
        One routine fits every model (:func:`retention.core.clv.fitting.fit_likelihood`): identical
        customers are grouped, the log-likelihood is maximised over the log parameters with L-BFGS-B and
        the analytic gradient and polished with Newton steps, and standard errors come from the Hessian.
        """
        func = f"{cls.__name__}.fit"
        data = cls._read(summary, frequency, recency, T, func)
        w = check_weights(weights, len(data), func=func)
        check_fittable(data.columns[0], w, n_params=len(cls._likelihood.params), func=func)
        return cls._fit_columns(data.columns, w)

    @classmethod
    def _read(
        cls,
        summary: object,
        frequency: object,
        recency: object,
        T: object,
        func: str,
        *,
        predict: bool = False,
        horizons: Mapping[str, NDArray[np.float64]] | None = None,
    ) -> Customers:
        arrays = {"frequency": frequency, "recency": recency, "T": T}
        customers = read_customers(summary, arrays, func=func, predict=predict, horizons=horizons)
        return check_frequency_recency_T(customers, func=func)

    def _customers(
        self,
        summary: object,
        frequency: object,
        recency: object,
        T: object,
        method: str,
        **horizons: NDArray[np.float64],
    ) -> Customers:
        """Read and check the customers passed to a prediction method, broadcast with ``horizons``.

        The arrays and the (checked) horizons broadcast together; see
        :func:`~retention.frames.summary_schema.read_customers`. ``data.label`` gives the result the
        shape of the input: a Series for a frame, the broadcast shape for arrays, a float for numbers.
        """
        func = f"{type(self).__name__}.{method}"
        return self._read(summary, frequency, recency, T, func, predict=True, horizons=horizons)
