"""Plots of the customer-base models and their checks.

The pictures of fitted models (``rt.BetaGeo``, ``rt.ParetoNBD``, ...) and of the results of
:mod:`retention.frames.value`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    plain_value,
    shown_value,
)
from retention.frames.bgbb import BetaGeoBetaBinom
from retention.frames.models import FrequencyRecencyModel, _fill
from retention.frames.options import Interval
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    PERIOD_DAYS,
    DateLike,
    check_freq,
    check_option,
    read_date,
    transaction_options,
)
from retention.frames.summary_schema import summary_frame
from retention.plot._common import (
    UNITS,
    check_ax,
    check_result,
    colour,
    column_values,
    concise_dates,
    count_text,
    empty_axes,
    heatmap_image,
    label_axes,
    line_chart_axes,
    new_axes,
    percent_axis,
    period_unit,
    picture_label,
    picture_labels,
    set_category_ticks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "calibration_holdout",
    "frequency_recency_matrix",
    "p_alive_history",
    "p_alive_matrix",
    "tracking",
]

_HOLDOUT_COLUMNS: Final = ("customers", "actual", "expected")
_TRACKING_COLUMNS: Final = ("actual", "expected", "actual_cumulative", "expected_cumulative")
_MODELS: Final = "rt.BetaGeo, rt.ModifiedBetaGeo, rt.ParetoNBD or rt.BetaGeoBetaBinom"
_MAX_CELLS: Final = 1_000_000
_COUNT: Final = Interval("integer", 0, None)  # a whole number >= 0: max_frequency
_POSITIVE: Final = Interval("real", 0, None, closed="neither", what="a positive finite number")

# The docstring entries the two matrices share, written where their docstrings have the line
# "<grid options>" or "<matrix raises>" (with :func:`retention.frames.models._fill`).
_MATRIX_DOCS: Final = {
    "grid options": """max_frequency : int, optional
    The largest frequency drawn (instead of the summary's).
max_recency : float, optional
    The largest recency drawn (instead of the summary's).""",
    "matrix raises": """MissingDependencyError
    If matplotlib is not installed.
ColumnTypeError
    If ``model`` is not a transaction model, or ``summary`` not a summary.
InvalidParameterError
    If neither ``summary`` nor ``max_frequency`` and ``max_recency`` are given, a value is out of
    range, or ``ax`` is an Axes of another projection (polar, 3D).
InvalidValueError
    If a column of ``summary`` holds an infinite value, or its ``frequency`` (or age) column no number
    at all when ``max_frequency`` (or ``max_recency``) is not given.""",
}

F = TypeVar("F", bound=Callable[..., Any])


def _matrix_docs(function: F) -> F:
    """Write the entries of :data:`_MATRIX_DOCS` into the docstring of a matrix plot."""
    function.__doc__ = _fill(function.__doc__ or "", _MATRIX_DOCS)
    return function


# --- the frequency / recency matrices ---------------------------------------------------------------------


def _check_model(model: object, func: str, *, discrete: bool = True) -> None:
    allowed: tuple[type, ...] = (
        (FrequencyRecencyModel, BetaGeoBetaBinom) if discrete else (FrequencyRecencyModel,)
    )
    if not isinstance(model, allowed):
        names = _MODELS if discrete else "rt.BetaGeo, rt.ModifiedBetaGeo or rt.ParetoNBD"
        msg = (
            f"The 'model' argument of {func} must be a transaction model ({names}), such as "
            f"rt.BetaGeo.fit(rt.rfm_summary(tx, time_unit='W')); got {type(model).__name__}."
        )
        raise ColumnTypeError(msg)


def _unit_words(time_unit: str | None, func: str, *, discrete: bool) -> str:
    if discrete:
        return "opportunities"
    if time_unit is None:
        return "time units"
    return UNITS[check_freq(time_unit, func, name="time_unit")]


def _largest(summary: pd.DataFrame, column: str, option: str, func: str) -> float:
    """Return the largest value of a summary's column (checked finite or missing), which sizes the grid."""
    values = column_values(summary, column)
    known = values[~np.isnan(values)]
    if known.size == 0:
        msg = (
            f"The {column!r} column of the 'summary' argument of {func} holds no number (all missing), so "
            f"it cannot size the grid. Pass the summary the model was fitted on, or {option}=."
        )
        raise InvalidValueError(msg)
    return float(known.max())


def _grid(
    *,
    model: object,
    summary: pd.DataFrame | None,
    max_frequency: int | None,
    max_recency: float | None,
    T: float | None,
    func: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.bool_]] | None:
    """Return the frequency (rows) by recency (columns) grid, the age ``T`` and the cells customers can have.

    None when the summary has no customers.
    """
    discrete = isinstance(model, BetaGeoBetaBinom)
    if summary is not None:
        summary = summary_frame(summary, func, maker="rt.rfm_summary(tx, time_unit=...)")
        age = "n_periods" if discrete and "n_periods" in summary.columns else "T"
        summary = check_result(
            summary,
            func=func,
            argument="summary",
            maker="rt.rfm_summary(tx, time_unit=...)",
            columns=("frequency", age),
            numeric=("frequency", age),
        )
        if len(summary) == 0:
            return None
        if max_frequency is None:
            max_frequency = int(_largest(summary, "frequency", "max_frequency", func))
        if max_recency is None:
            max_recency = _largest(summary, age, "max_recency", func)
    if max_frequency is None or max_recency is None:
        msg = (
            f"{func} needs the size of the grid: pass the summary the model was fitted on (summary=...), or "
            "max_frequency= and max_recency=."
        )
        raise InvalidParameterError(msg)
    top_f: int = _COUNT.check(max_frequency, "max_frequency", func)
    top_r: float = _POSITIVE.check(max_recency, "max_recency", func)
    age_value: float = top_r if T is None else _POSITIVE.check(T, "T", func)
    cells = (top_f + 1) * (math.floor(top_r) + 1)
    if cells > _MAX_CELLS:
        many = f"{cells:,}" if cells < 10**20 else shown_value(cells)  # not hundreds of digits
        msg = f"{func} would draw {many} cells (max_frequency {shown_value(top_f)}, max_recency {top_r:g}); at most {_MAX_CELLS:,} are drawn. Pass smaller max_frequency= or max_recency=."
        raise InvalidParameterError(msg)
    frequency = np.arange(top_f + 1, dtype=np.float64)[:, None]
    recency = np.arange(math.floor(top_r) + 1, dtype=np.float64)[None, :]
    frequency, recency = np.broadcast_arrays(frequency, recency)
    # The cells a customer can have: recency 0 exactly without repeat purchases, never beyond T, and for
    # the BG/BB at most one transaction per opportunity.
    valid = (recency <= age_value) & ((frequency == 0) == (recency == 0))
    if discrete:
        valid &= frequency <= recency
    return frequency, recency, age_value, valid


def _matrix(
    model: Any,
    summary: pd.DataFrame | None,
    *,
    max_frequency: int | None,
    max_recency: float | None,
    T: float | None,
    time_unit: str | None,
    ax: Axes | None,
    func: str,
    what: str,
    t: float | None = None,
) -> Axes:
    ax = check_ax(ax, func)
    _check_model(model, func)
    discrete = isinstance(model, BetaGeoBetaBinom)
    unit = _unit_words(time_unit, func, discrete=discrete)
    if what == "purchases":
        horizon: float = _POSITIVE.check(t, "t", func)
        if discrete and horizon != round(horizon):
            msg = f"The 't' parameter of {func} must be a whole number of opportunities for a BetaGeoBetaBinom. Got {t!r}."
            raise InvalidParameterError(msg)
        title = f"Expected purchases in the next {horizon:g} {unit}"
        bar_label = "expected purchases"
    else:
        title = "Probability that a customer is alive"
        bar_label = "P(alive)"
    xlabel = f"recency: first to last purchase ({unit})"
    ylabel = "frequency: repeat purchases"
    axes = new_axes(ax, figsize=(7.0, 5.0))
    grid = _grid(
        model=model,
        summary=summary,
        max_frequency=max_frequency,
        max_recency=max_recency,
        T=T,
        func=func,
    )
    if grid is None:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    frequency, recency, age, valid = grid
    values = np.full(frequency.shape, np.nan)
    periods = {"n_periods" if discrete else "T": age}
    if what == "purchases":
        horizon_arg: float | int = int(horizon) if discrete else horizon
        values[valid] = model.conditional_expected_purchases(
            t=horizon_arg, frequency=frequency[valid], recency=recency[valid], **periods
        )
    else:
        values[valid] = model.p_alive(frequency=frequency[valid], recency=recency[valid], **periods)
    rows, columns = int(frequency.shape[0]), int(frequency.shape[1])
    heatmap_image(
        axes,
        values,
        vmin=0.0,
        vmax=1.0 if what == "alive" else None,
        colorbar_label=bar_label,
        percent=what == "alive",
        origin="lower",
        extent=(-0.5, columns - 0.5, -0.5, rows - 0.5),
    )
    label_axes(
        axes,
        title=f"{title}\n(customers observed for {age:.4g} {unit})",
        xlabel=xlabel,
        ylabel=ylabel,
    )
    axes.title.set_fontsize("medium")
    return axes


@_matrix_docs
def frequency_recency_matrix(
    model: FrequencyRecencyModel | BetaGeoBetaBinom,
    summary: pd.DataFrame | None = None,
    *,
    t: float = 1.0,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
    time_unit: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    r"""Draw the purchases a model expects in the next ``t``, by a customer's frequency and recency.

    Parameters
    ----------
    model : model
        A fitted transaction model: ``rt.BetaGeo``, ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD`` or
        ``rt.BetaGeoBetaBinom`` (then in opportunities).
    summary : pandas.DataFrame or a table of another engine, optional
        The summary the model was fitted on (:func:`retention.rfm_summary`); it sets the grid: frequency up
        to its largest ``frequency``, recency up to its largest ``T``.
    t : float, default 1
        The horizon, in the model's time unit (whole opportunities for the BG/BB).
    <grid options>
    T : float, optional
        The customers' age, the time from their first purchase to the end of the observation; defaults to
        ``max_recency``, so the matrix shows customers observed for the whole period.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The model's time unit, for the labels (``"W"`` for a model fitted on ``time_unit="W"``).
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with the matrix as an image (frequency up, recency across, ``origin="lower"``).

    Raises
    ------
    <matrix raises>

    See Also
    --------
    p_alive_matrix : The probability of being alive on the same grid.

    Notes
    -----
    The cell of frequency $x$ and recency $t_x$ is
    ``model.conditional_expected_purchases(t=t, frequency=x, recency=t_x, T=T)``, at whole recencies
    $0, 1, \dots$. Cells no customer can have are blank: a positive recency without repeat purchases, a
    repeat purchase at recency 0, recency beyond $T$ (and for the BG/BB more transactions than
    opportunities). As in ``lifetimes``' ``plot_frequency_recency_matrix``.

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W")
    >>> model = rt.BetaGeo.fit(summary)
    >>> ax = rt.plot.frequency_recency_matrix(model, max_frequency=20, max_recency=104, t=52, time_unit="W")
    >>> ax.images[0].get_array().shape
    (21, 105)
    """
    return _matrix(
        model,
        summary,
        max_frequency=max_frequency,
        max_recency=max_recency,
        T=T,
        time_unit=time_unit,
        ax=ax,
        func="plot.frequency_recency_matrix",
        what="purchases",
        t=t,
    )


@_matrix_docs
def p_alive_matrix(
    model: FrequencyRecencyModel | BetaGeoBetaBinom,
    summary: pd.DataFrame | None = None,
    *,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    T: float | None = None,
    time_unit: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    r"""Draw the probability that a customer is alive, by frequency and recency.

    Parameters
    ----------
    model : model
        A fitted transaction model: ``rt.BetaGeo``, ``rt.ModifiedBetaGeo``, ``rt.ParetoNBD`` or
        ``rt.BetaGeoBetaBinom`` (then in opportunities; the probability of being alive at the next one).
    summary : pandas.DataFrame or a table of another engine, optional
        The summary the model was fitted on; it sets the grid (see :func:`frequency_recency_matrix`).
    <grid options>
    T : float, optional
        The customers' age; defaults to ``max_recency``.
    time_unit : {"D", "W", "M", "Q", "Y"}, optional
        The model's time unit, for the labels.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with the matrix as an image (frequency up, recency across).

    Raises
    ------
    <matrix raises>

    See Also
    --------
    frequency_recency_matrix : The expected purchases on the same grid.
    p_alive_history : P(alive) of one customer over time.

    Notes
    -----
    The cell of frequency $x$ and recency $t_x$ is ``model.p_alive(frequency=x, recency=t_x, T=T)``;
    impossible cells are blank (see :func:`frequency_recency_matrix`). A customer who bought often and
    long ago (top left) is probably gone; one who bought recently (right) is probably alive.

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W")
    >>> ax = rt.plot.p_alive_matrix(rt.BetaGeo.fit(summary), summary, time_unit="W")
    >>> ax.get_xlabel()
    'recency: first to last purchase (weeks)'
    """
    return _matrix(
        model,
        summary,
        max_frequency=max_frequency,
        max_recency=max_recency,
        T=T,
        time_unit=time_unit,
        ax=ax,
        func="plot.p_alive_matrix",
        what="alive",
    )


# --- P(alive) of one customer -----------------------------------------------------------------------------


@transaction_options
def p_alive_history(
    model: FrequencyRecencyModel,
    transactions: pd.DataFrame,
    *,
    time_unit: str,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    ax: Axes | None = None,
) -> Axes:
    r"""Draw how one customer's probability of being alive moved, day by day, with their purchases.

    Parameters
    ----------
    model : model
        A fitted continuous-time model: ``rt.BetaGeo``, ``rt.ModifiedBetaGeo`` or ``rt.ParetoNBD``.
    transactions : pandas.DataFrame
        The purchases of one customer (``tx[tx["customer_id"] == 42]``). Not modified.
    time_unit : {"D", "W", "M", "Q", "Y"}
        The model's time unit: that of ``recency`` and ``T`` in the summary it was fitted on.
    <transaction options>
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: a line of P(alive) at the end of every day from the first purchase to the observation
        end, and a dashed vertical line at each purchase day.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError
        If ``model`` is not a continuous-time transaction model.
    InvalidValueError
        If the table holds more than one customer.
    InvalidParameterError, ColumnNotFoundError
        If an option is not accepted, the table cannot be read, or ``ax`` is an Axes of another projection
        (polar, 3D).

    See Also
    --------
    p_alive_matrix : P(alive) over the whole grid of frequency and recency.

    Notes
    -----
    On day $d$ the customer's history is what :func:`retention.rfm_summary` (``freq="D"``) would give
    with the observation ending on $d$: the repeat purchase days up to $d$, the recency and
    $T = d - $ the first purchase day, in ``time_unit``; the line is ``model.p_alive`` of that history.
    It falls while the customer is silent and jumps back at each purchase. As ``lifetimes``'
    ``plot_history_alive``.

    Pass the ``observation_end`` of the data the model was fitted on: by default it is the last purchase
    day of the table passed, here the customer's own last purchase, and the line stops there.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> model = rt.BetaGeo.fit(rt.rfm_summary(tx, time_unit="W"))
    >>> one = tx[tx["customer_id"] == 3]
    >>> ax = rt.plot.p_alive_history(model, one, time_unit="W", observation_end="2024-12-31")
    >>> ax.get_title()
    'P(alive) of customer 3'
    """
    func = "plot.p_alive_history"
    ax = check_ax(ax, func)
    _check_model(model, func, discrete=False)
    unit = check_freq(time_unit, func, name="time_unit")
    t = read_with_options(transactions, locals(), func=func)
    axes = new_axes(ax)
    if t.n_customers == 0 or t.end_day is None:
        return empty_axes(axes, title="P(alive)", xlabel="date", ylabel="P(alive)")
    if t.n_customers > 1:
        first = ", ".join(repr(plain_value(c)) for c in t.customer_ids[:3])
        msg = (
            f"The 'transactions' argument of {func} must hold the purchases of one customer; it holds "
            f"{t.n_customers:,} customers ({first}, ...). Pass one customer's rows, such as "
            f"tx[tx[{customer_id!r}] == {plain_value(t.customer_ids[0])!r}]."
        )
        raise InvalidValueError(msg)
    days = np.unique(t.day)
    start = int(days[0])
    grid = np.arange(start, t.end_day + 1, dtype=np.int64)
    seen = np.searchsorted(days, grid, side="right")  # purchase days on or before each day
    scale = PERIOD_DAYS[unit]
    frequency = (seen - 1).astype(np.float64)
    recency = (days[seen - 1] - start) / scale
    age = (grid - start) / scale
    fitted: Any = model  # every model class defines p_alive; their base does not declare it
    values = fitted.p_alive(frequency=frequency, recency=recency, T=age)
    dates = grid.astype("datetime64[D]")
    axes.plot(dates, values, color=colour(0), linewidth=1.6, label="P(alive)")
    axes.vlines(
        days.astype("datetime64[D]"),
        0.0,
        1.0,
        colors="0.55",
        linestyles="dashed",
        linewidth=0.8,
        label="purchase",
    )
    concise_dates(axes)
    percent_axis(axes, "y", top=1.05)
    axes.legend(loc="lower left", fontsize="small")
    title = f"P(alive) of customer {picture_label(plain_value(t.customer_ids[0]))}"
    return label_axes(axes, title=title, xlabel="date", ylabel="P(alive)", grid="both")


# --- model checks -----------------------------------------------------------------------------------------


def _tables(
    data: object, *, func: str, argument: str, maker: str, columns: tuple[str, ...], index: str
) -> list[tuple[str, pd.DataFrame]]:
    """One table, or a mapping of model names to tables (several models overlaid), checked."""
    items: list[tuple[str, object]]
    if isinstance(data, Mapping):
        items = [(str(name), table) for name, table in data.items()]
        if not items:
            msg = f"The {argument!r} argument of {func} is an empty mapping. Pass {maker}, or a dict of model names to such tables."
            raise InvalidValueError(msg)
    else:
        items = [("expected", data)]
    tables = []
    for name, table in items:
        frame = check_result(
            table,
            func=func,
            argument=argument,
            maker=maker,
            columns=columns,
            index=index,
            numeric=columns,
        )
        tables.append((name, frame))
    first = tables[0][1]
    for name, frame in tables[1:]:
        same_index = frame.index.equals(first.index)
        if not same_index or not np.array_equal(
            frame["actual"].to_numpy(dtype=np.float64),
            first["actual"].to_numpy(dtype=np.float64),
            equal_nan=True,
        ):
            msg = (
                f"The tables passed to {func} must describe the same customers: the table of {name!r} has "
                f"other {'rows' if not same_index else 'actual values'} than that of {tables[0][0]!r}. Make "
                "every model's table from the same data and options."
            )
            raise InvalidValueError(msg)
    return tables


def _actual_and_expected(
    axes: Axes,
    x: NDArray[Any],
    tables: list[tuple[str, pd.DataFrame]],
    *,
    suffix: str,
    actual_style: Mapping[str, Any],
    expected_style: Mapping[str, Any],
) -> None:
    """Draw the actual values (a solid black line) and each model's expected values (a dashed line)."""
    actual = column_values(tables[0][1], "actual" + suffix)
    axes.plot(x, actual, color="black", linewidth=1.8, label="actual", **actual_style)
    # The caller's names of the models, as the legend shows them.
    names = picture_labels([name for name, _ in tables])
    for k, ((_, frame), name) in enumerate(zip(tables, names, strict=True)):
        expected = column_values(frame, "expected" + suffix)
        axes.plot(x, expected, color=colour(k), linestyle="--", label=name, **expected_style)


def calibration_holdout(
    calibration_holdout_table: pd.DataFrame | Mapping[str, pd.DataFrame], *, ax: Axes | None = None
) -> Axes:
    """Draw actual and expected holdout purchases by calibration frequency, for one model or several.

    Parameters
    ----------
    calibration_holdout_table : pandas.DataFrame or mapping of str to DataFrame
        A result of :func:`retention.calibration_holdout_table`, or a dict of model names to such
        results (made from the same summary) to overlay the models. Not modified.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the ``actual`` means as a solid black line, each model's ``expected`` means as a dashed
        line, at the bins ``0, 1, ..., 7+`` (the number of customers in each bin under its label).

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If a table is not a result of :func:`retention.calibration_holdout_table`.
    InvalidValueError
        If the tables of several models do not describe the same customers, or a table holds an
        infinite value (a missing value, NaN, is left out; a missing ``customers`` leaves the bin's
        count blank).
    InvalidParameterError
        If ``ax`` is an Axes of another projection (polar, 3D).

    See Also
    --------
    tracking : The same check over calendar time.

    Examples
    --------
    >>> import retention as rt
    >>> summary = rt.rfm_summary(rt.example_transactions(), time_unit="W", calibration_end="2024-06-30")
    >>> tables = {name: rt.calibration_holdout_table(model.fit(summary), summary)
    ...           for name, model in [("BG/NBD", rt.BetaGeo), ("Pareto/NBD", rt.ParetoNBD)]}
    >>> ax = rt.plot.calibration_holdout(tables)
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'BG/NBD', 'Pareto/NBD']
    """
    func = "plot.calibration_holdout"
    ax = check_ax(ax, func)
    tables = _tables(
        calibration_holdout_table,
        func=func,
        argument="calibration_holdout_table",
        maker="rt.calibration_holdout_table(model, summary)",
        columns=_HOLDOUT_COLUMNS,
        index="frequency",
    )
    axes = new_axes(ax)
    title = "Calibration vs holdout: purchases in the holdout period"
    xlabel = "repeat purchases in the calibration period (customers below)"
    ylabel = "mean purchases per customer in the holdout"
    first = tables[0][1]
    if len(first) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    _actual_and_expected(
        axes,
        np.arange(len(first)),
        tables,
        suffix="",
        actual_style={"marker": "o"},
        expected_style={"marker": "s", "markersize": 4, "linewidth": 1.5},
    )
    counts = column_values(first, "customers")
    # A bin whose number of customers is missing is labelled by the bin alone.
    labels = [
        "\n".join(filter(None, (str(b), count_text(float(n)))))
        for b, n in zip(first.index, counts, strict=True)
    ]
    set_category_ticks(axes, "x", labels)
    return line_chart_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)


def _period_ends(index: pd.PeriodIndex) -> NDArray[np.datetime64]:
    """Return the last day of each period."""
    ends: NDArray[np.datetime64] = index.end_time.normalize().to_numpy().astype("datetime64[D]")
    return ends


def tracking(
    tracking_table: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    kind: str = "cumulative",
    calibration_end: DateLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw actual against expected repeat transactions over time, cumulative or per period.

    Parameters
    ----------
    tracking_table : pandas.DataFrame or mapping of str to DataFrame
        A result of :func:`retention.tracking_table`, or a dict of model names to such results (made from
        the same transactions and options) to overlay the models. Not modified.
    kind : {"cumulative", "incremental"}, default "cumulative"
        Draw the running totals (``actual_cumulative``, ``expected_cumulative``) or the transactions of
        each period (``actual``, ``expected``).
    calibration_end : date-like, optional
        Mark the end of the calibration period (the ``calibration_end`` of the summary the models were
        fitted on) with a vertical line.
    ax : matplotlib.axes.Axes, optional
        The Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the actual values as a solid black line and each model's expected values as a dashed
        line, at the last day of each period.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError, ColumnNotFoundError
        If a table is not a result of :func:`retention.tracking_table`.
    InvalidParameterError
        If ``kind`` or ``calibration_end`` is not accepted, or ``ax`` is an Axes of another projection
        (polar, 3D).
    InvalidValueError
        If the tables of several models do not describe the same transactions, or a table holds an
        infinite value (a missing value, NaN, is left out).

    See Also
    --------
    calibration_holdout : The check by the customers' calibration frequency.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> model = rt.BetaGeo.fit(rt.rfm_summary(tx, time_unit="W", calibration_end="2024-06-30"))
    >>> table = rt.tracking_table(model, tx, time_unit="W", calibration_end="2024-06-30")
    >>> ax = rt.plot.tracking(table, calibration_end="2024-06-30")
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'expected', 'calibration end']
    """
    func = "plot.tracking"
    ax = check_ax(ax, func)
    check_option("kind", kind, ("cumulative", "incremental"), func)
    end = None if calibration_end is None else read_date(calibration_end, "calibration_end", func)
    tables = _tables(
        tracking_table,
        func=func,
        argument="tracking_table",
        maker="rt.tracking_table(model, tx, time_unit=...)",
        columns=_TRACKING_COLUMNS,
        index="period",
    )
    first = tables[0][1]
    if not isinstance(first.index, pd.PeriodIndex):
        msg = f"The index of the 'tracking_table' argument of {func} must be a PeriodIndex named 'period'; it is a {type(first.index).__name__}. Pass the DataFrame returned by rt.tracking_table(model, tx, time_unit=...)."
        raise ColumnTypeError(msg)
    unit = period_unit(first.index, plural=False) or "period"
    cumulative = kind == "cumulative"
    title = (
        "Tracking: cumulative repeat transactions"
        if cumulative
        else f"Tracking: repeat transactions per {unit}"
    )
    xlabel = f"end of {unit}"
    ylabel = "repeat transactions" + (" (cumulative)" if cumulative else "")
    axes = new_axes(ax, figsize=(8.0, 4.5))
    if len(first) == 0:
        return empty_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
    _actual_and_expected(
        axes,
        _period_ends(first.index),
        tables,
        suffix="_cumulative" if cumulative else "",
        actual_style={},
        expected_style={"linewidth": 1.6},
    )
    if end is not None:
        at = float(importlib.import_module("matplotlib.dates").date2num(np.datetime64(end, "D")))
        axes.axvline(at, color="0.4", linestyle=":", linewidth=1.2, label="calibration end")
    concise_dates(axes)
    return line_chart_axes(axes, title=title, xlabel=xlabel, ylabel=ylabel)
