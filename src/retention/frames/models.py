"""The base of every customer-base model value (``rt.BetaGeo``, ``rt.ParetoNBD``, ...): all the plumbing.

Why here: a model's methods take a summary *frame* and return Series labelled by customer, so the classes
are part of the pandas adapter (:mod:`retention.frames`), while everything numeric (log-likelihoods,
predictions, the fitting routine) lives in :mod:`retention.core.clv` as functions of arrays.

A model is a small immutable value (a frozen dataclass): its fields are the parameters, named as in the
papers, so ``rt.BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4)`` is a model with known parameters, and
``rt.BetaGeo.fit(summary)`` returns a new value that also carries the fit (log-likelihood, covariance).
Equality and hashing look at the parameters only.

**What a model declares, and what it gets.** A model class declares

- its parameters, as float fields, and ``_likelihood``, the core's
  :class:`~retention.core.clv.fitting.Likelihood` (parameter names, bounds, log-likelihood);
- for a model of a per-customer summary (:class:`SummaryModel`): ``_columns``, the summary columns it reads
  in the core's order, and ``_check_customers``, the rules of :mod:`retention.frames.summary_schema` they
  obey;
- its predictions, each a few lines that call the core through :meth:`SummaryModel._predict` (customers and
  horizons) or :meth:`CustomerModel._shaped` (horizons only);
- the parts of its docstrings that are its own.

The base gives it the check of the parameters, ``params``, ``loglik``, ``standard_errors``,
``n_customers``, ``covariance``, ``summary()``, equality and hashing, ``fit`` (reading the summary or the
arrays, the weights, the shared fitting routine) and the docstring sections every model shares, written
once here and put in at class creation (as scipy.stats injects its shared parameter docs and lifelines'
``_update_docstrings`` does): a line ``<model sections>`` in a class docstring becomes the Parameters,
Attributes and Raises sections, and a model's ``_docs`` fill the markers of the docstrings it inherits.
The entries that every prediction about known customers shares (the lines ``<summary>``, ``<customer
arrays>``, ``<prediction returns>``, ``<prediction raises>``, ``<horizon first>``) are written once too,
worded for the model's columns and the method's arguments (:class:`SummaryModel`).
The models of ``(frequency, recency, T)`` (:class:`FrequencyRecencyModel`) share their four predictions
outright and only declare the core module that computes them. The page "Writing a model" of the docs
shows a whole model in 23 lines.

**Shapes.** Predictions broadcast like numpy ufuncs: the customers' arrays and the horizons (``t``, ``n``
...) may be numbers, 0-d arrays, lists or arrays of any shapes that broadcast together. They are broadcast
and flattened once (:func:`~retention.frames.summary_schema.read_customers`), the core computes on 1-D
arrays, and the result comes back as a Series on the customer index for a summary frame, an array of the
broadcast shape for arrays, a float when every argument is a number. Fitting reads one-dimensional columns
only.

**One name and one order per idea.** Every prediction about known customers takes the customers first
(a summary frame, or the columns as keyword arrays), then its horizon ``t`` where it has one
(``p_alive(summary, t)``, ``conditional_expected_purchases(summary, t)``); options such as a discount
rate are keyword-only. (Customers first because some predictions have no horizon or an optional one:
``p_alive(summary)``, DERT, spend; with the horizon first, ``p_alive(summary, t=...)`` could not have
kept working.) Predictions about a new customer take the horizon alone: ``expected_purchases(t)``.
``probability_of_purchases(n, t)`` is the probability of ``n`` purchases in time ``t`` in every model,
and ``discount_rate`` is a discrete rate per period everywhere (``continuous_discount_rate`` where the
papers discount continuously: the Pareto/NBD DERT).
"""

from __future__ import annotations

import inspect
import math
import textwrap
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Self, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from retention.core.arrays import FloatArray as Array
from retention.core.clv.fitting import FitResult, Likelihood, fit_likelihood
from retention.frames.engines import engine_of
from retention.frames.options import MODEL_PARAMETER
from retention.frames.summary_schema import (
    Customers,
    broadcast_arguments,
    check_count,
    check_fittable,
    check_frequency_recency_T,
    check_times,
    check_weights,
    read_customers,
    shaped,
    summary_frame,
)

__all__ = [
    "REQUIRED",
    "CustomerModel",
    "FrequencyRecencyModel",
    "NotGiven",
    "SummaryModel",
    "customers_first",
    "model_doctests",
]

Prediction = pd.Series | Array | float

# The sections every model's class docstring shares, put where the line "<model sections>" stands.
_SECTIONS = """\
Parameters
----------
<names> : float
    The parameters, positive and finite (keyword-only).
    <parameters>

Attributes
----------
params : dict
    The parameters by name.
loglik : float
    The log-likelihood of the fit (NaN for known parameters).
standard_errors : dict
    Standard errors of the estimates (NaN for known parameters).
n_customers : float
    <n_customers>
<extra attributes>

Raises
------
InvalidParameterError
    If a parameter is not a positive finite number."""


def _fill(template: str, fields: Mapping[str, str]) -> str:
    """Put ``fields`` into a docstring: a line holding only ``<name>`` becomes the (indented) text.

    Elsewhere ``<name>`` is replaced inline. A field that is empty removes its line. Markers without a
    field are left as they are (a base class's own docstring keeps them).
    """
    lines: list[str] = []
    for line in template.splitlines():
        key = line.strip()
        if key.startswith("<") and key.endswith(">") and key[1:-1] in fields:
            indent = line[: len(line) - len(line.lstrip())]
            text = fields[key[1:-1]]
            lines.extend(indent + row if row else "" for row in text.splitlines())
            continue
        filled = line
        for name, text in fields.items():
            filled = filled.replace(f"<{name}>", text)
        lines.append(filled)
    return "\n".join(lines) + ("\n" if template.endswith("\n") else "")


# The entries that the predictions about known customers share, put where a line holds only the marker:
# worded for the model's columns (SummaryModel's ``_columns`` and the notes beside it) and the method's
# name and arguments, so that every such docstring says them in the same words.
_PREDICTION_ENTRIES: Final[Mapping[str, str]] = {
    "summary": """\
summary : pandas.DataFrame or a table of another engine, optional
    One row per customer with {listed}{columns_note}; of polars, pyarrow or DuckDB, its \
``customer_id`` column (if any) labels the result.""",
    "customer arrays": """\
{names} : {column_type} or array-like, optional
    The same as numbers or arrays, instead of ``summary``. They broadcast together{with_t} like the \
arguments of a numpy ufunc: any shapes that broadcast.""",
    "prediction returns": """\
Returns
-------
pandas.Series, numpy.ndarray or float
    A Series named ``{method}`` on the summary's index; for arrays, an array of their broadcast \
shape; a float when {all_numbers}.""",
    "prediction raises": """\
Raises
------
InvalidValueError, ColumnNotFoundError, ColumnTypeError, InvalidParameterError
    If the customers{or_argument} cannot be used, or the arrays do not broadcast together{refused}.""",
    "horizon first": """\
TypeError
    If ``t`` is not given.

Warns
-----
DeprecationWarning
    For the order of earlier releases, the horizon first: ``(t, summary)`` or
    ``(t, frequency=...)`` (same result).""",
}


def _listed(names: tuple[str, ...]) -> str:
    """List names as docstrings do: ``("a", "b", "c")`` -> "``a``, ``b`` and ``c``"."""
    quoted = [f"``{name}``" for name in names]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _wrapped(entry: str) -> str:
    """Wrap the long description lines of a docstring entry (to 94 characters after the indent)."""
    lines: list[str] = []
    for line in entry.splitlines():
        if line.startswith("    ") and len(line) > 98:
            lines.extend("    " + row for row in textwrap.wrap(line.strip(), 94))
        else:
            lines.append(line)
    return "\n".join(lines)


def _dedent(text: str) -> str:
    """Dedent a docstring fragment written as an indented triple-quoted string (one line: as it is)."""
    return textwrap.dedent(text).strip("\n") if "\n" in text else text


def _copy_with_doc(function: Callable[..., Any], owner: type, doc: str) -> Callable[..., Any]:
    """Return a copy of ``function`` that belongs to ``owner`` and has the docstring ``doc``."""
    copy = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__annotations__ = dict(function.__annotations__)
    copy.__qualname__ = f"{owner.__qualname__}.{function.__name__}"
    copy.__module__ = owner.__module__
    copy.__doc__ = doc
    return copy


def model_doctests(*classes: type) -> dict[str, str]:
    """Collect the docstrings that the base wrote into ``classes``, for a module's ``__test__``.

    doctest finds a module's own functions only; the methods a model inherits with its own docstring are
    copies of the base's functions, so each model module lists them with
    ``__test__ = model_doctests(Model)``.

    Examples
    --------
    >>> import retention as rt
    >>> sorted(model_doctests(rt.BetaGeo))[:2]
    ['FrequencyRecencyModel.fit', '_BetaGeoFamily.conditional_expected_purchases']
    """
    tests: dict[str, str] = {}
    for cls in classes:
        for klass in cls.__mro__:
            for name in klass.__dict__.get("_documented", ()):
                member = klass.__dict__[name]
                function = member.__func__ if isinstance(member, classmethod) else member
                tests[f"{klass.__name__}.{name}"] = function.__doc__ or ""
    return tests


@dataclass(frozen=True, kw_only=True)
class CustomerModel:
    """Base of the model values: parameters, fit statistics, the parameter table and shared docstrings.

    Subclasses declare their parameters as float fields (in the order of ``_likelihood.params``) and set
    ``_likelihood`` to the core's :class:`~retention.core.clv.fitting.Likelihood`.
    """

    _likelihood: ClassVar[Likelihood[Any]]
    # Docstring parts of this model: marker name -> text, or method name -> {marker: text}.
    _docs: ClassVar[Mapping[str, Any]] = {}
    _n_customers_doc: ClassVar[str] = "The number of customers fitted (the sum of the weights)."
    _documented: ClassVar[tuple[str, ...]] = ()  # the methods given their own docstring here
    _fit: FitResult | None = field(default=None, init=False, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        docs = cls.__dict__.get("_docs", {})
        if cls.__doc__ and "<model sections>" in cls.__doc__:
            fields = {
                "names": ", ".join(cls._likelihood.params),
                "parameters": _dedent(docs.get("parameters", "")),
                "n_customers": cls._n_customers_doc,
                "extra attributes": _dedent(docs.get("extra attributes", "")),
            }
            cls.__doc__ = _fill(cls.__doc__, {"model sections": _fill(_SECTIONS, fields)})
        documented: list[str] = []
        for name, fields in docs.items():
            if not isinstance(fields, Mapping):
                continue
            member = next(k.__dict__[name] for k in cls.__mro__ if name in k.__dict__)
            wrapped = isinstance(member, classmethod)
            function = member.__func__ if wrapped else member
            text = {key: _dedent(value) for key, value in fields.items()}
            copy = _copy_with_doc(function, cls, _fill(function.__doc__ or "", text))
            setattr(cls, name, classmethod(copy) if wrapped else copy)
            documented.append(name)
        cls._documented = tuple(documented)

    def __post_init__(self) -> None:
        for name in self._likelihood.params:
            number = MODEL_PARAMETER.check(getattr(self, name), name, type(self).__name__)
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

    def _func(self, method: str) -> str:
        """How messages name a method: ``"BetaGeo.p_alive"``."""
        return f"{type(self).__name__}.{method}"

    def _broadcast(
        self, method: str, **arguments: Array
    ) -> tuple[tuple[int, ...], tuple[Array, ...]]:
        """Broadcast a prediction's checked arguments together and flatten them (numpy's rules).

        Returns the broadcast shape, to give the result back with
        :func:`~retention.frames.summary_schema.shaped`, and the flat arrays in the order given.
        """
        return broadcast_arguments(arguments, func=self._func(method))

    def _shaped(
        self, method: str, compute: Callable[..., ArrayLike], **arguments: Array
    ) -> float | Array:
        """Run a prediction without customers: broadcast the checked ``arguments``, compute, reshape.

        ``compute`` takes the flat arguments in the order given; the result has their broadcast shape (a
        float when all are numbers).
        """
        shape, flat = self._broadcast(method, **arguments)
        return shaped(compute(*flat), shape)

    @classmethod
    def _fit_columns(cls, columns: tuple[Array, ...], weights: Array | None) -> Self:
        """Fit the model's likelihood to checked columns and return the fitted value."""
        result = fit_likelihood(cls._likelihood, columns, weights)
        model = cls(**dict(zip(cls._likelihood.params, map(float, result.params), strict=True)))
        object.__setattr__(model, "_fit", result)
        return model


@dataclass(frozen=True, kw_only=True)
class SummaryModel(CustomerModel):
    """Base of the models of a per-customer summary: reading it, ``fit`` and the predictions' plumbing.

    Subclasses declare ``_columns``, the summary columns the core reads (in its order), and
    ``_check_customers``, which applies their rules.
    """

    _columns: ClassVar[tuple[str, ...]]
    # What repeat purchases tell the model, for the error of data without any (check_fittable).
    _learns: ClassVar[str] = "how often customers buy or when they drop out"
    # How the predictions' docstrings speak of the columns (the entries of _PREDICTION_ENTRIES): their
    # type, a note after their names in ``summary``'s entry, and what else a prediction refuses.
    _column_type: ClassVar[str] = "float"
    _columns_note: ClassVar[str] = ""
    _refused_note: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The shared entries of the predictions the class defines, before the base fills its markers.
        for member in list(cls.__dict__.values()):
            doc = getattr(member, "__doc__", None) if callable(member) else None
            if doc and any(f"<{marker}>" in doc for marker in _PREDICTION_ENTRIES):
                member.__doc__ = _fill(doc, cls._prediction_entries(member))
        super().__init_subclass__(**kwargs)

    @classmethod
    def _prediction_entries(cls, method: Callable[..., Any]) -> dict[str, str]:
        """Word the entries of :data:`_PREDICTION_ENTRIES` for this model and ``method``."""
        arguments = inspect.signature(method).parameters
        horizon = "t" in arguments
        rate = any(name.endswith("discount_rate") for name in arguments)
        words = {
            "listed": _listed(cls._columns),
            "columns_note": cls._columns_note,
            "names": ", ".join(cls._columns),
            "column_type": cls._column_type,
            "with_t": " (and with ``t``)" if horizon else "",
            "method": method.__name__,
            "all_numbers": "both arguments are numbers"
            if len(cls._columns) == 2
            else "every argument is a number",
            "or_argument": " or ``t``" if horizon else " or the rate" if rate else "",
            "refused": cls._refused_note,
        }
        return {
            key: _wrapped(entry.format_map(words)) for key, entry in _PREDICTION_ENTRIES.items()
        }

    @classmethod
    def _check_customers(cls, customers: Customers, func: str, names: tuple[str, ...]) -> Customers:
        """Apply the model's rules to the columns read, named ``names`` (summary_schema's checks)."""
        return customers

    @classmethod
    def _names(cls, summary: object) -> tuple[str, ...]:
        """Name the columns to read from ``summary``: ``_columns``, unless a model reads another name too."""
        return cls._columns

    @classmethod
    def _read(
        cls,
        summary: object,
        columns: Mapping[str, object],
        func: str,
        horizons: Mapping[str, Array] | None = None,
    ) -> Customers:
        """Read and check the model's columns from ``summary`` or the keyword arrays ``columns``.

        Without ``horizons`` to fit (one-dimensional columns); with them, even none, to predict.
        """
        unknown = [name for name in columns if name not in cls._columns]
        if unknown:
            msg = f"{func}() got an unexpected keyword argument {unknown[0]!r}; the columns are {', '.join(cls._columns)}."
            raise TypeError(msg)
        if engine_of(summary) is not None:  # read once here: the model may pick its columns by name
            summary = summary_frame(summary, func)
        names = cls._names(summary)
        arrays = {name: columns.get(own) for name, own in zip(names, cls._columns, strict=True)}
        predict = horizons is not None
        customers = read_customers(summary, arrays, func=func, predict=predict, horizons=horizons)
        return cls._check_customers(customers, func, names)

    @classmethod
    def fit(
        cls,
        summary: pd.DataFrame | None = None,
        *,
        weights: ArrayLike | None = None,
        **columns: ArrayLike | None,
    ) -> Self:
        """Estimate the parameters by maximum likelihood.

        Parameters
        ----------
        summary : pandas.DataFrame or a table of another engine, optional
            One row per customer (or per purchase pattern, with ``weights``) with the columns
            <columns>, as made by :func:`~retention.rfm_summary`<summary note>. Other columns are ignored.
        weights : array-like, optional
            How many customers each row stands for (for data already grouped by pattern); one per row.
        **columns : array-like, optional
            The same columns as keyword arrays, by name, instead of ``summary``.

        Returns
        -------
        Self
            A new model value with the estimates and the fit statistics (``loglik``,
            ``standard_errors``, ``summary()``).

        Raises
        ------
        InvalidValueError
            If the data break the model's rules (<rules>), there are too few customers<not identified>.
        ColumnNotFoundError, ColumnTypeError, InvalidParameterError
            If the summary or the arrays cannot be read<read errors>.
        ConvergenceError
            If the optimiser does not converge; the message says what was tried.
        TypeError
            If a keyword names no column of the model.

        Warns
        -----
        RetentionWarning
            If a parameter ends on the bound of its search range (not identified by the data)<warns>.

        <fit notes>
        """
        func = f"{cls.__name__}.fit"
        data = cls._read(summary, columns, func)
        w = check_weights(weights, len(data), func=func)
        n_params = len(cls._likelihood.params)
        check_fittable(data.columns[0], w, n_params=n_params, func=func, learns=cls._learns)
        return cls._fit_checked(data, w, func)

    @classmethod
    def _fit_checked(cls, data: Customers, weights: Array | None, func: str) -> Self:
        """Fit checked columns; a model that fits a part of them (Gamma-Gamma) overrides this."""
        return cls._fit_columns(data.columns, weights)

    def _predict(
        self,
        method: str,
        summary: object,
        columns: Mapping[str, object],
        compute: Callable[[Customers], Array],
        **horizons: Array,
    ) -> Prediction:
        """Run a prediction on customers: read them, broadcast with ``horizons``, compute and label.

        The result is a Series named ``method`` on the summary's index, an array of the broadcast shape
        for arrays, or a float when every argument is a number (:meth:`Customers.label`).
        """
        func = self._func(method)
        data = self._read(summary, columns, func, horizons)
        return data.label(compute(data), method)


class NotGiven:
    """The default of an argument that must be given, where None is a bad value refused as such."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return self.label


REQUIRED: Final = NotGiven("<required>")


def _is_table(value: object) -> bool:
    """Tell a summary (a DataFrame of pandas or of another engine) from a horizon."""
    return isinstance(value, pd.DataFrame) or engine_of(value) is not None


def customers_first(summary: Any, t: Any, func: str) -> tuple[Any, Any]:
    """Read ``(summary, t)`` of a prediction, accepting the spelling before the customers came first.

    Until this release ``conditional_expected_purchases`` took the horizon first (``(t, summary)``,
    ``(t, frequency=...)``); those calls still work for one release, with a DeprecationWarning.

    Examples
    --------
    >>> customers_first(None, 39.0, "BetaGeo.conditional_expected_purchases")
    (None, 39.0)
    """
    old = summary is not None and not _is_table(summary)
    if old and (t is REQUIRED or _is_table(t)):
        msg = (
            f"{func}(t, summary) is deprecated: every prediction takes the customers first, then the "
            f"horizon. Write {func}(summary, t), or {func}(t=..., frequency=..., ...) with arrays. The "
            "old order will stop working in the next release."
        )
        warnings.warn(msg, DeprecationWarning, stacklevel=3)
        summary, t = (None if t is REQUIRED else t), summary
    if t is REQUIRED:
        msg = f"{func}() missing 1 required argument: 't' (the horizon)."
        raise TypeError(msg)
    return summary, t


# The fit's docstring for the models of (frequency, recency, T).
FREQUENCY_RECENCY_FIT: Mapping[str, str] = {
    "columns": "``frequency``, ``recency`` and ``T``",
    "summary note": "",
    "rules": "those of :func:`~retention.frames.summary_schema.check_frequency_recency_T`",
    "not identified": ", or no customer has a repeat purchase (the model is not identified)",
    "read errors": "",
    "warns": "",
    "fit notes": """
        Notes
        -----
        One routine fits every model (:func:`retention.core.clv.fitting.fit_likelihood`): identical
        customers are grouped, the log-likelihood is maximised over the log parameters with L-BFGS-B and
        the analytic gradient and polished with Newton steps, and standard errors come from the Hessian.
        """,
}


@dataclass(frozen=True, kw_only=True)
class FrequencyRecencyModel(SummaryModel):
    """Base of the models of ``(frequency, recency, T)``: their four predictions, written once.

    A subclass declares ``_core``, the core module with ``p_alive``, ``expected_purchases``,
    ``conditional_expected_purchases`` and ``probability_of_purchases`` (arrays in, arrays out), and
    ``_core_options``, keyword arguments those take besides the parameters; its ``_docs`` give each
    prediction its Notes and Examples.
    """

    _columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")
    _docs: ClassVar[Mapping[str, Any]] = {"fit": FREQUENCY_RECENCY_FIT}
    _core: ClassVar[types.ModuleType]
    _core_options: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def _check_customers(cls, customers: Customers, func: str, names: tuple[str, ...]) -> Customers:
        return check_frequency_recency_T(customers, func=func)

    def _core_call(self, name: str, *arrays: Array, **options: Any) -> Array:
        """Call the core's ``name`` with the parameters and the model's options."""
        values = getattr(self._core, name)(*arrays, **self.params, **self._core_options, **options)
        return np.asarray(values, dtype=np.float64)

    @overload
    def p_alive(self, summary: pd.DataFrame, t: float = 0.0) -> pd.Series: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        t: float = 0.0,
        *,
        frequency: float,
        recency: float,
        T: float,
    ) -> float: ...
    @overload
    def p_alive(
        self,
        summary: None = None,
        t: ArrayLike = 0.0,
        *,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
    ) -> Array: ...
    def p_alive(
        self,
        summary: pd.DataFrame | None = None,
        t: ArrayLike = 0.0,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> Prediction:
        r"""Probability that each customer is still alive at $T$, or $t$ time units later.

        Parameters
        ----------
        summary : pandas.DataFrame or a table of another engine, optional
            One row per customer with ``frequency``, ``recency`` and ``T`` (from
            :func:`~retention.rfm_summary`).
        t : float or array-like, default 0
            How far after $T$ (in the unit of ``T``): 0 gives $P(\text{alive at } T)$, the usual "P(alive)";
            $t > 0$ gives the probability of being alive at $T + t$ given the history up to $T$, whatever
            happens in between. Broadcasts with the customers' arrays; a single number with ``summary``.
        <customer arrays>

        <prediction returns>

        <prediction raises>

        <p_alive notes>
        """
        later = check_times(t, "t", self._func("p_alive"))
        columns = {"frequency": frequency, "recency": recency, "T": T}
        return self._predict(
            "p_alive",
            summary,
            columns,
            lambda data: self._core_call("p_alive", *data.columns, t=data.horizons[0]),
            t=later,
        )

    @overload
    def expected_purchases(self, t: float) -> float: ...
    @overload
    def expected_purchases(self, t: ArrayLike) -> Array: ...
    def expected_purchases(self, t: ArrayLike) -> float | Array:
        r"""Predict the repeat purchases of a new customer within $t$ of the first purchase, $E[X(t)]$.

        Parameters
        ----------
        t : float or array-like
            Times since the first purchase, in the unit of ``T`` in the fitted data; any shape.

        Returns
        -------
        float or numpy.ndarray
            One value per time, in the shape of ``t``; a float for a number.

        Raises
        ------
        InvalidParameterError
            If a time is negative or not finite.

        <expected_purchases notes>
        """
        times = check_times(t, "t", self._func("expected_purchases"))
        compute = lambda flat: self._core_call("expected_purchases", flat)  # noqa: E731
        return self._shaped("expected_purchases", compute, t=times)

    @overload
    def conditional_expected_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series: ...
    @overload
    def conditional_expected_purchases(
        self,
        summary: None = None,
        *,
        t: float,
        frequency: float,
        recency: float,
        T: float,
    ) -> float: ...
    @overload
    def conditional_expected_purchases(
        self,
        summary: None = None,
        *,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
    ) -> Array: ...
    def conditional_expected_purchases(
        self,
        summary: pd.DataFrame | None = None,
        t: ArrayLike | NotGiven = REQUIRED,
        *,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> Prediction:
        r"""Predict the purchases of each customer in the next $t$ time units, given their history.

        Parameters
        ----------
        <summary>
        t : float or array-like
            The horizon after $T$, in the unit of ``T`` (required). Broadcasts with the customers' arrays; a
            single number with ``summary``.
        <customer arrays>

        <prediction returns>

        <prediction raises>
        <horizon first>

        <conditional_expected_purchases notes>
        """
        method = "conditional_expected_purchases"
        customers, given = customers_first(summary, t, self._func(method))
        horizon = check_times(given, "t", self._func(method))
        columns = {"frequency": frequency, "recency": recency, "T": T}
        return self._predict(
            method,
            customers,
            columns,
            lambda data: self._core_call(method, data.horizons[0], *data.columns),
            t=horizon,
        )

    @overload
    def probability_of_purchases(self, n: int, t: float) -> float: ...
    @overload
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> Array: ...
    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> float | Array:
        r"""Probability that a new customer makes exactly $n$ repeat purchases within $t$, $P(X(t) = n)$.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of repeat purchases, >= 0.
        t : float or array-like
            Time since the first purchase, in the unit of ``T``. ``n`` and ``t`` broadcast together like
            the arguments of a numpy ufunc.

        Returns
        -------
        float or numpy.ndarray
            One probability per entry of the broadcast ``n`` and ``t`` (a float for numbers); over
            ``n = 0, 1, 2, ...`` they add up to 1.

        Raises
        ------
        InvalidParameterError
            If ``n`` is not whole and >= 0, or ``t`` is negative or not finite.
        InvalidValueError
            If ``n`` and ``t`` do not broadcast together.

        <probability_of_purchases notes>
        """
        method = "probability_of_purchases"
        counts = check_count(n, "n", self._func(method))
        times = check_times(t, "t", self._func(method))
        compute = lambda flat_n, flat_t: self._core_call(method, flat_n, flat_t)  # noqa: E731
        return self._shaped(method, compute, n=counts, t=times)
