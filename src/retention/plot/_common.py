"""What every plot shares: the lazy matplotlib import, the palette, input checks, facets and heatmaps.

Not public. matplotlib is imported on first use, never when :mod:`retention.plot` is imported, so that
``import retention`` and the API docs work without it; a call without it raises
:class:`~retention.errors.MissingDependencyError` naming the extra to install.
"""

from __future__ import annotations

import importlib
import math
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    MissingDependencyError,
    plain_value,
)
from retention.frames.breakdown import group_label, group_parts

_Table = TypeVar("_Table", pd.DataFrame, pd.Series)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage
    from matplotlib.ticker import Formatter

__all__ = [
    "OKABE_ITO",
    "PICTURE_LABEL_CHARS",
    "UNITS",
    "check_ax",
    "check_instance",
    "check_numeric",
    "check_result",
    "colour",
    "column_values",
    "concise_dates",
    "count_text",
    "draw_heatmap",
    "empty_axes",
    "estimate_and_interval",
    "facet_axes",
    "faceted",
    "group_label",
    "group_legend",
    "group_names",
    "group_title",
    "heatmap_image",
    "index_level",
    "label_axes",
    "line_chart_axes",
    "new_axes",
    "percent_axis",
    "percent_formatter",
    "period_labels",
    "period_unit",
    "picture_label",
    "picture_labels",
    "picture_text",
    "pyplot",
    "require_matplotlib",
    "set_category_ticks",
    "split_groups",
    "step_with_band",
    "ticker",
]

EXTRA: Final = "retention-metrics[plot]"

OKABE_ITO: Final = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The Okabe-Ito palette: eight colours that stay distinct under the common colour-vision deficiencies."""

HEATMAP_CMAP: Final = "viridis"  # perceptually uniform and readable with colour-vision deficiencies
MAX_TICK_LABELS: Final = 24
LEGEND_ROWS: Final = 10  # a legend of more groups is laid out in columns, to fit beside the lines
ANNOTATE_CELLS: Final = 150  # heatmaps with at most this many cells write their values in the cells
NO_DATA: Final = "no data"

UNITS: Final = {
    "D": "days",
    "W": "weeks",
    "M": "months",
    "Q": "quarters",
    "Y": "years",
    "A": "years",
}
"""A period length in words, by the first letter of its frequency string."""
_UNIT: Final = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "A": "year"}
PICTURE_LABEL_CHARS: Final = 30
"""A label from the data is cut to this many characters in a picture (the result keeps it whole).

A label of hundreds of characters in a legend, a tick, a panel title or beside the numbers at risk would
leave the axes no room (matplotlib's "constrained_layout not applied") or run past the figure's edge.
"""


def require_matplotlib(func: str) -> None:
    """Import matplotlib, or raise the error that says how to install it.

    Raises
    ------
    MissingDependencyError
        If matplotlib cannot be imported.
    """
    try:
        importlib.import_module("matplotlib")
    except ImportError as e:
        msg = (
            f"{func} needs matplotlib, which is not installed. Install the plot extra: "
            f'pip install "{EXTRA}".'
        )
        raise MissingDependencyError(msg) from e


def pyplot() -> Any:
    """Return :mod:`matplotlib.pyplot`, imported on first use (call :func:`require_matplotlib` first)."""
    return importlib.import_module("matplotlib.pyplot")


def ticker() -> Any:
    """Return :mod:`matplotlib.ticker`, imported on first use."""
    return importlib.import_module("matplotlib.ticker")


def concise_dates(ax: Axes) -> None:
    """Label a date x axis with matplotlib's concise labels (years once, then months)."""
    dates = importlib.import_module("matplotlib.dates")
    locator = dates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))


def percent_formatter() -> Formatter:
    """Return a tick formatter that shows shares (0 to 1) as percentages."""
    formatter: Formatter = ticker().PercentFormatter(xmax=1.0, decimals=0)
    return formatter


def percent_axis(ax: Axes, axis: Literal["x", "y"], *, top: float | None = None) -> None:
    """Show the shares (0 to 1) of one axis in percent; with ``top``, limit it to 0 .. ``top``."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(percent_formatter())
    if top is not None:
        (ax.set_xlim if axis == "x" else ax.set_ylim)(0.0, top)


def colour(k: int) -> str:
    """Return the ``k``-th colour of the palette (it repeats after eight)."""
    return OKABE_ITO[k % len(OKABE_ITO)]


# --- axes -------------------------------------------------------------------------------------------------


def check_ax(ax: object, func: str) -> Axes | None:
    """Return ``ax`` if it is None or a flat matplotlib Axes; refuse anything else.

    Every plot function starts here, so this is also where a missing matplotlib is reported
    (:func:`require_matplotlib`). The plots draw in x and y, so an Axes of another projection (polar,
    3D, a map) is refused before anything is drawn on it, rather than failing half-way in matplotlib or
    drawing a picture in the wrong coordinates.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    ColumnTypeError
        If ``ax`` is neither None nor a matplotlib Axes.
    InvalidParameterError
        If ``ax`` is an Axes of another projection than the flat ("rectilinear") one.
    """
    require_matplotlib(func)
    if ax is None:
        return None
    axes_class = importlib.import_module("matplotlib.axes").Axes
    if not isinstance(ax, axes_class):
        msg = (
            f"The 'ax' parameter of {func} must be a matplotlib Axes (such as plt.subplots()[1]) or None; "
            f"got {type(ax).__name__}. Leave it None to draw on a new figure."
        )
        raise ColumnTypeError(msg)
    projection = getattr(ax, "name", None)
    if projection != "rectilinear":
        msg = (
            f"The 'ax' parameter of {func} must be a flat (rectilinear) Axes; got a {projection!r} Axes. "
            "Pass one made without projection= (such as plt.subplots()[1]), or leave it None to draw on a "
            "new figure."
        )
        raise InvalidParameterError(msg)
    result: Axes = ax
    return result


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.5)) -> Axes:
    """Return ``ax``, or the Axes of a new figure (constrained layout, so labels below are not cut)."""
    if ax is not None:
        return ax
    _, created = pyplot().subplots(figsize=figsize, layout="constrained")
    result: Axes = created
    return result


def facet_axes(
    n: int,
    *,
    ax: Axes | None,
    func: str,
    names: Sequence[Hashable],
    example: str,
    panel: tuple[float, float] = (6.0, 4.0),
) -> tuple[Figure, list[Axes]]:
    """Make a figure with one panel per group (two panels a row); refuse a single ``ax``."""
    if ax is not None:
        by = ", ".join(repr(str(name)) for name in names)
        msg = (
            f"{func} draws a result broken down by {by} as one panel per group, so it cannot draw on the one "
            f"Axes passed as ax=. Leave ax=None, or pick one group first: {example}."
        )
        raise InvalidParameterError(msg)
    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, grid = pyplot().subplots(
        nrows,
        ncols,
        figsize=(panel[0] * ncols, panel[1] * nrows),
        layout="constrained",
        squeeze=False,
    )
    axes: list[Axes] = list(grid.flat)
    for extra in axes[n:]:
        extra.remove()
    figure: Figure = fig
    return figure, axes[:n]


def label_axes(
    ax: Axes, *, title: str, xlabel: str, ylabel: str, grid: Literal["both", "x"] | None = None
) -> Axes:
    """Set the title and the axis labels of a plot, and a light grid on ``grid`` ("both", "x") if given."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid is not None:
        ax.grid(axis=grid, alpha=0.3)
    return ax


def line_chart_axes(ax: Axes, *, title: str, xlabel: str, ylabel: str) -> Axes:
    """Finish a chart of lines of amounts: the y axis from 0, the legend, the labels and a grid."""
    ax.set_ylim(bottom=0.0)
    ax.legend(fontsize="small")
    return label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel, grid="both")


def empty_axes(ax: Axes, *, title: str, xlabel: str, ylabel: str) -> Axes:
    """Label an Axes and say that there is nothing to draw (an empty result)."""
    label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
    ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", color="0.45")
    return ax


# --- texts from the data -----------------------------------------------------------------------------------


def picture_text(text: object) -> str:
    r"""Write a text from the data for matplotlib so that it is drawn as it is: every ``$`` escaped.

    matplotlib reads a text with two unescaped ``$`` as mathtext: it draws another text than the data
    hold (``"$5 and $6"`` in italics, without the ``$``), or fails when the figure is drawn, with a bare
    ``ValueError``, on a backslash word that is no command of it (``"$\nosuch$"``). It draws an escaped
    ``\$`` as a ``$``. Every text that the data (or the caller's names) put in a picture goes through
    here, or through :func:`picture_labels`; texts of the library's own never hold a ``$``.
    """
    return str(text).replace("$", r"\$")


def picture_labels(texts: Sequence[object], *, limit: int = PICTURE_LABEL_CHARS) -> list[str]:
    r"""Write labels from the data for a picture: cut to ``limit`` characters, still distinct, ``$`` as is.

    Parameters
    ----------
    texts : sequence
        The labels, in the order they are drawn (their ``str``); the result they come from keeps them
        whole.
    limit : int, default :data:`PICTURE_LABEL_CHARS`
        The most characters a label keeps in the picture.

    Returns
    -------
    list of str
        One label per text. A text longer than ``limit`` keeps its start and its end around an ellipsis
        (labels often differ at one end only: "customers of the web channel"). Labels that would still
        read alike are told apart by their number in the list, ``" #k"`` (counted from 1), within
        ``limit``. Each label is then written by :func:`picture_text`, so that matplotlib draws its
        ``$`` as it is rather than reading ``$...$`` as mathtext.

    Examples
    --------
    >>> picture_labels(["web", "$5 off"])
    ['web', '\\$5 off']
    >>> picture_labels(["customers of the app channel", "customers of the web channel"], limit=24)
    ['customers of…app channel', 'customers of…web channel']
    >>> picture_labels(["first web shop", "first app shop", "short"], limit=12)
    ['firs…shop #1', 'firs…shop #2', 'short']
    """
    whole = [str(t) for t in texts]

    def cut(text: str, keep: int) -> str:
        if len(text) <= keep:
            return text
        head = keep // 2
        tail = keep - 1 - head
        return f"{text[:head].rstrip()}\N{HORIZONTAL ELLIPSIS}{text[len(text) - tail :].lstrip()}"

    short = [cut(t, limit) for t in whole]
    # Counted in one pass: a heatmap may have 10^5 labels.
    repeated = {s for s, n in Counter(short).items() if n > 1}
    if repeated:
        short = [
            f"{cut(t, limit - len(f' #{k + 1}'))} #{k + 1}" if s in repeated else s
            for k, (t, s) in enumerate(zip(whole, short, strict=True))
        ]
    return [picture_text(s) for s in short]


def picture_label(text: object) -> str:
    """Write one text from the data for a picture (a column name, a customer id): :func:`picture_labels`."""
    return picture_labels([text])[0]


def group_names(names: Sequence[Hashable]) -> str:
    """Return the names of the group levels of a breakdown as one label: ``"channel, region"``."""
    return ", ".join(str(n) for n in names)


def group_legend(ax: Axes, names: Sequence[Hashable], **options: Any) -> None:
    """Add the legend of one line per group, titled by the group levels (``options`` go to ``legend``).

    The title is written for the picture (:func:`picture_label`); the lines' labels are those of
    :func:`split_groups`, written already. More than :data:`LEGEND_ROWS` groups are laid out in
    columns: one column of them would be taller than the axes.
    """
    _, labels = ax.get_legend_handles_labels()
    ncols = max(1, math.ceil(len(labels) / LEGEND_ROWS))
    ax.legend(title=picture_label(group_names(names)), ncols=ncols, **options)


def step_with_band(
    ax: Axes,
    time: NDArray[np.int64],
    values: NDArray[np.float64],
    band: tuple[NDArray[np.float64], NDArray[np.float64]],
    *,
    start: float,
    colour: str,
    label: str,
) -> None:
    """Draw a Kaplan-Meier-type step curve and its band (``label`` "_band"), in one colour.

    A curve whose first time is after day 0 starts on day 0 at ``start`` (1 for survival, 0 for its
    complement); the band is drawn at the curve's own times only.
    """
    x, y = time, values
    if len(time) and time[0] > 0:
        x, y = np.concatenate([[0], time]), np.concatenate([[start], values])
    ax.step(x, y, where="post", color=colour, linewidth=1.6, label=label)
    ax.fill_between(
        time, band[0], band[1], step="post", color=colour, alpha=0.2, linewidth=0, label="_band"
    )


# --- reading results --------------------------------------------------------------------------------------


def _listed(names: Iterable[object]) -> str:
    shown = ", ".join(repr(str(n)) for n in names)
    return shown or "none"


def check_result(
    data: object,
    *,
    func: str,
    argument: str,
    maker: str,
    columns: Sequence[str] = (),
    index: str | None = None,
    column_index: str | None = None,
    numeric: Sequence[Hashable] | Literal["all"] = (),
) -> pd.DataFrame:
    """Check that ``data`` is a result frame of ``maker``: its type, columns, index names and numbers.

    Parameters
    ----------
    data : object
        What the caller passed.
    func : str
        The plot function, named in messages (``"plot.survival"``).
    argument : str
        The name of its parameter.
    maker : str
        The call that makes the expected result (``"rt.survival_curve(tx)"``).
    columns : sequence of str
        Columns the frame must have.
    index : str, optional
        The name of the innermost index level (the group levels of ``by=`` come before it).
    column_index : str, optional
        The name of the columns' index.
    numeric : sequence of labels or "all", optional
        Columns that must hold numbers, finite or missing (:func:`check_numeric`); "all" for every
        column.

    Returns
    -------
    pandas.DataFrame
        ``data``, unchanged.

    Raises
    ------
    ColumnTypeError
        If ``data`` is not a DataFrame, or a ``numeric`` column does not hold numbers.
    ColumnNotFoundError
        If a column or an index name is missing.
    InvalidValueError
        If a ``numeric`` column holds an infinite value.
    """
    fix = f"Pass the DataFrame returned by {maker}."
    if not isinstance(data, pd.DataFrame):
        msg = f"The {argument!r} argument of {func} must be a DataFrame; got {type(data).__name__}. {fix}"
        raise ColumnTypeError(msg)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        msg = (
            f"The {argument!r} argument of {func} has no {missing[0]!r} column (it has: "
            f"{_listed(data.columns)}), so it is not a result of {maker}. {fix}"
        )
        raise ColumnNotFoundError(msg)
    if index is not None and data.index.names[-1] != index:
        msg = (
            f"The index of the {argument!r} argument of {func} must be named {index!r} (its last level, "
            f"after any by= groups); it is named {_listed(data.index.names)}. {fix}"
        )
        raise ColumnNotFoundError(msg)
    if column_index is not None and data.columns.name != column_index:
        msg = (
            f"The columns of the {argument!r} argument of {func} must be named {column_index!r}; they are "
            f"named {data.columns.name!r}. {fix}"
        )
        raise ColumnNotFoundError(msg)
    if len(numeric):
        names = None if numeric == "all" else numeric
        check_numeric(data, names, func=func, argument=argument, maker=maker)
    return data


def _row_label(label: object) -> str:
    """Write a row label for a message: ``2024Q1``, or ``web, 2024Q1`` under the group levels of ``by=``."""
    parts = label if isinstance(label, tuple) else (label,)
    return ", ".join(str(plain_value(part)) for part in parts)


def check_instance(value: object, kind: type, *, func: str, argument: str, maker: str) -> None:
    """Refuse a result that is not a ``kind`` (a result object of the library, such as a Scorecard)."""
    if not isinstance(value, kind):
        msg = f"The {argument!r} argument of {func} must be a {kind.__name__}; got {type(value).__name__}. Pass the result of {maker}."
        raise ColumnTypeError(msg)


def check_numeric(
    frame: pd.DataFrame, columns: Sequence[Hashable] | None, *, func: str, argument: str, maker: str
) -> None:
    """Refuse columns that do not hold numbers or hold an infinite one (every column if ``columns`` is None).

    A missing value (NaN) is allowed: it is what a result holds where a number is undefined (a period the
    data do not cover, a rate without customers), and every plot leaves it out. An infinite value is never
    in a result of the library and cannot be drawn (nor scale an axis), so it is refused, naming the
    column and its first row.

    Raises
    ------
    ColumnTypeError
        If a column does not hold numbers.
    InvalidValueError
        If a column holds an infinite value.
    """
    # Whole-table operations, not a loop over columns: a cohort table of daily periods over centuries
    # (a placeholder date such as 9999-12-31) has 10^5 columns or more.
    names = list(frame.columns) if columns is None else list(columns)
    part = frame if columns is None else frame[names]
    dtypes = list(part.dtypes)
    numeric = {
        d: not pd.api.types.is_bool_dtype(d) and pd.api.types.is_numeric_dtype(d)
        for d in set(dtypes)
    }
    for name, dtype in zip(names, dtypes, strict=True):
        if not numeric[dtype]:
            msg = (
                f"The {str(name)!r} column of the {argument!r} argument of {func} must hold numbers; it "
                f"has dtype {dtype}. Pass the DataFrame returned by {maker}."
            )
            raise ColumnTypeError(msg)
    if not names:
        return
    infinite = np.isinf(part.to_numpy(dtype=np.float64, na_value=np.nan))
    having = np.flatnonzero(infinite.any(axis=0))
    if having.size:
        column = int(having[0])
        first = int(np.flatnonzero(infinite[:, column])[0])
        value = column_values(frame, names[column])[first]
        msg = (
            f"The {str(names[column])!r} column of the {argument!r} argument of {func} holds an infinite "
            f"value ({value} in row {_row_label(frame.index[first])}), which a plot cannot draw. "
            f"Pass the DataFrame returned by {maker}, or set values that are not known to NaN (they "
            "are left out)."
        )
        raise InvalidValueError(msg)


def column_values(frame: pd.DataFrame, column: Hashable) -> NDArray[np.float64]:
    """Return a column as float numbers, missing values as NaN."""
    values: NDArray[np.float64] = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def count_text(value: float) -> str:
    """Write a count for a label: ``"1,234"``; ``""`` for a missing one (NaN), which is left out.

    A count that is not a whole number (a result edited by hand) is written as it is, not rounded.
    """
    if math.isnan(value):
        return ""
    if value == round(value):
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def estimate_and_interval(
    frame: pd.DataFrame,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Return the ``estimate``, ``ci_lower`` and ``ci_upper`` columns of a frame of differences."""
    return (
        column_values(frame, "estimate"),
        column_values(frame, "ci_lower"),
        column_values(frame, "ci_upper"),
    )


def index_level(data: pd.DataFrame | pd.Series, level: int = -1) -> pd.Index:
    """Return the values of one index level (the index itself when it has one level)."""
    index = data.index
    if isinstance(index, pd.MultiIndex):
        return index.get_level_values(level)
    return index


def split_groups(
    data: _Table, *, inner: int = 1
) -> tuple[list[Hashable], list[tuple[str, _Table]]] | None:
    """Split a result broken down by ``by=`` into its groups; None for a result without groups.

    Returns the names of the group levels and, per group in the order of the result, a label
    (:func:`group_label`: ``"web"``, or ``"web / north"`` for several levels) written for the picture
    (:func:`picture_labels`: cut short, still distinct, ``$`` drawn as is) and the group's part without
    the group levels.
    """
    index = data.index
    if not isinstance(index, pd.MultiIndex) or index.nlevels <= inner:
        return None
    names: list[Hashable] = list(index.names[: index.nlevels - inner])
    parts = group_parts(data, inner=inner)
    labels = picture_labels([group_label(key) for key, _ in parts])
    return names, [(label, part) for label, (_, part) in zip(labels, parts, strict=True)]


def group_title(names: Sequence[Hashable], label: str) -> str:
    r"""Return a panel title for one group: ``"channel = web"`` (``label`` as :func:`split_groups` wrote it).

    A title longer than a label goes on two lines, ``"channel =\nweb"``: on one, it would run into the
    next panel's.
    """
    name = picture_label(group_names(names))
    if len(name) + len(label) > PICTURE_LABEL_CHARS:
        return f"{name} =\n{label}"
    return f"{name} = {label}"


def faceted(
    data: pd.DataFrame,
    ax: Axes | None,
    draw: Callable[[pd.DataFrame, Axes], Axes],
    *,
    func: str,
    example: str,
    title: str,
    figsize: tuple[float, float] = (7.0, 4.5),
    panel: tuple[float, float] = (6.0, 4.0),
) -> Axes | Figure:
    """Draw a result on ``ax``, or one panel per group for a result broken down by ``by=``.

    ``draw`` draws one result without group levels on one Axes; ``example`` shows how to pick one group
    (said when a single ``ax`` is passed for several groups); ``title`` heads a figure of panels.
    """
    groups = split_groups(data)
    if groups is None or not groups[1]:
        inner = data.droplevel(list(range(data.index.nlevels - 1))) if groups else data
        return draw(inner, new_axes(ax, figsize=figsize))
    names, parts = groups
    fig, axes = facet_axes(len(parts), ax=ax, func=func, names=names, example=example, panel=panel)
    for (label, part), one in zip(parts, axes, strict=True):
        draw(part, one)
        one.set_title(group_title(names, label))
    fig.suptitle(title)
    return fig


def period_unit(index: pd.Index, *, plural: bool = True) -> str | None:
    """Return the period length of a PeriodIndex in words (``"months"``); None for another index."""
    if not isinstance(index, pd.PeriodIndex):
        return None
    letter = str(index.freqstr)[0].upper()
    return (UNITS if plural else _UNIT).get(letter)


def period_labels(index: pd.Index) -> list[str]:
    """Tick labels for periods: ``"2024-03"``, ``"2024Q1"``; a week by its first day."""
    if isinstance(index, pd.PeriodIndex) and str(index.freqstr).upper().startswith("W"):
        return [str(p.start_time.date()) for p in index]
    return [str(p) for p in index]


def set_category_ticks(ax: Axes, axis: str, labels: Sequence[str]) -> None:
    """Label the positions ``0 .. n - 1`` of an axis, at most :data:`MAX_TICK_LABELS` of them.

    The labels are written for the picture (:func:`picture_labels`); long x labels that would not fit
    side by side are turned upright.
    """
    n = len(labels)
    step = max(1, math.ceil(n / MAX_TICK_LABELS))
    positions = list(range(0, n, step))
    written = picture_labels(labels)
    shown = [written[k] for k in positions]
    if axis == "x":
        longest = max((len(label) for label in shown), default=0)
        ax.set_xticks(positions, shown, rotation=90 if len(shown) * longest > 60 else 0)
    else:
        ax.set_yticks(positions, shown)


# --- heatmaps ---------------------------------------------------------------------------------------------


def _cell_text(value: float, percent: bool, integers: bool) -> str:
    if percent:
        return f"{value:.0%}"
    if integers:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def heatmap_image(
    ax: Axes,
    values: NDArray[np.float64],
    *,
    vmin: float,
    vmax: float | None,
    colorbar_label: str,
    percent: bool,
    **placement: Any,
) -> AxesImage:
    """Draw a matrix as an image in the heatmap colours, NaN cells blank, with its colour bar.

    ``placement`` goes to ``imshow`` (``origin``, ``extent``); the colour bar shows percentages when
    ``percent``.
    """
    cmap = pyplot().get_cmap(HEATMAP_CMAP).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    image: AxesImage = ax.imshow(
        np.ma.masked_invalid(values),
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        **placement,
    )
    ax.figure.colorbar(
        image, ax=ax, label=colorbar_label, format=percent_formatter() if percent else None
    )
    return image


def draw_heatmap(
    ax: Axes,
    values: NDArray[np.float64],
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    percent: bool,
    annotate: bool | None,
    colorbar_label: str,
    vmax: float | None = None,
    extra_text: NDArray[np.str_] | None = None,
) -> AxesImage:
    """Draw a matrix as an image: NaN cells blank, values in the cells when the matrix is small.

    The image holds ``values`` as given (``image.get_array()``), with NaN masked. ``extra_text`` adds a
    line under each cell's value (none where it is ``""``).
    """
    finite = values[np.isfinite(values)]
    low = float(min(0.0, finite.min())) if finite.size else 0.0
    high = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if not high > low:
        high = low + 1.0
    image = heatmap_image(
        ax, values, vmin=low, vmax=high, colorbar_label=colorbar_label, percent=percent
    )
    set_category_ticks(ax, "x", columns)
    set_category_ticks(ax, "y", rows)
    if annotate is None:
        annotate = values.size <= ANNOTATE_CELLS
    if annotate:
        integers = bool(np.all(finite == np.round(finite)))
        rgba = np.asarray(image.to_rgba(np.ma.masked_invalid(values)), dtype=np.float64)
        light = rgba[..., :3] @ np.array([0.299, 0.587, 0.114]) > 0.5  # black ink on light cells
        for (i, j), value in np.ndenumerate(values):
            if not np.isfinite(value):
                continue
            ink = "black" if light[i, j] else "white"
            text = _cell_text(float(value), percent, integers)
            if extra_text is not None and extra_text[i, j]:
                text += f"\n{extra_text[i, j]}"
            ax.text(j, i, text, ha="center", va="center", color=ink, fontsize="small")
    return image
