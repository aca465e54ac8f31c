"""The one-command retention report: one self-contained HTML page for people who do not run Python.

Why one module of about 900 lines: it is one page, and each of its sections (KPIs, period retention,
cohorts, survival, segments, RFM, ABC, model fits, top customers, forecast) is a short function that reads
the same options, draws through the same figure helpers and escapes through the same table writer; none is a
concept of its own outside the page.

:func:`report` computes the library's headline results on a transaction table and returns a
:class:`Report`; ``Report.to_html()`` gives the page, ``Report.save(path)`` writes it and a notebook shows
it through ``_repr_html_``. The command ``retention report PATH -o report.html`` does the same from a file.

The page needs nothing when it is opened: the styles are inline, the pictures are PNG data URIs drawn by
:mod:`retention.plot` on figures of matplotlib's Agg canvas (never pyplot's, so a notebook's figures and
backend are left alone), and there is no JavaScript. Every text that comes from the data (customer ids,
column names, group labels, messages) is escaped with :func:`html.escape`; one that holds a lone
surrogate, which a UTF-8 page cannot hold, is refused as the title is (``_saveable``). The same table
and options give the same bytes: the page states the data's date range, never the time it was made.

matplotlib (the ``plot`` extra) is imported when a report is made, never by ``import retention``.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import numpy as np
import pandas as pd

from retention.core.sums import group_sums
from retention.errors import (
    ConvergenceError,
    InvalidParameterError,
    InvalidValueError,
    MissingDependencyError,
    RetentionWarning,
)
from retention.frames.beta_geo import BetaGeo
from retention.frames.breakdown import group_label, group_parts
from retention.frames.classify import abc_xyz, abc_xyz_matrix
from retention.frames.cohorts import cohort_table, survival_at, survival_curve
from retention.frames.distributed import DISTRIBUTED, rows_and_dates
from retention.frames.engines import engine_of
from retention.frames.features import customer_features
from retention.frames.forecast import forecast
from retention.frames.gamma_gamma import GammaGamma
from retention.frames.kpis import KPI_NAMES, kpis
from retention.frames.options import BY, Given, Interval, declare
from retention.frames.rates import period_retention
from retention.frames.reading import shared_options
from retention.frames.rfm import rfm_scores, rfm_segments
from retention.frames.schema import DateLike, read_days, transaction_options
from retention.frames.segments import working_segments
from retention.frames.summary import rfm_summary
from retention.frames.value import customer_lifetime_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Report", "report"]

_REPORT: Final = declare(
    "report",
    freq=Given("a period (Frequency), checked by the functions the report calls"),
    by=BY,
    title=Given("a string, checked here"),
    top=Interval("integer", 1, None, what="a whole number >= 1 (the customers listed)"),
)

_T = TypeVar("_T")

EXTRA: Final = "retention-metrics[plot]"
DPI: Final = 96
SURVIVAL_DAYS: Final = (30, 91, 365)
"""Short-, mid- and long-term retention: the share of customers still active after these many days."""
CLV_HORIZON: Final = 12  # months of predicted value
CLV_DISCOUNT: Final = 0.01  # per month
TABLE_PERIODS: Final = 12  # the last periods listed under the period retention chart
# The period retention chart draws at most this many periods, the last ones (one bar each: an observation
# end centuries after the data would otherwise draw a hundred thousand bars, for minutes).
CHART_PERIODS: Final = 1000
FORECAST_PERIODS: Final = 12  # periods of the sales forecast
FORECAST_INTERVAL: Final = 0.9
MAX_AT_RISK_ROWS: Final = 6  # survival curves of more groups are drawn without the numbers at risk
# The survival chart draws at most this many groups, the largest: the palette's colours, so that no two
# curves share one (and a legend of fifty entries does not crowd out the axes). The table lists them all.
MAX_CURVES: Final = 8

KPI_LABELS: Final = {
    "customers": ("Customers", "count"),
    "active_customers": ("Active customers in the period", "count"),
    "new_customers": ("New customers in the period", "count"),
    "retention_rate": ("Retention rate", "share"),
    "crr": ("Customer retention rate (CRR)", "share"),
    "churn_rate": ("Churn rate", "share"),
    "repeat_purchase_rate": ("Repeat-purchase rate", "share"),
    "purchase_frequency": ("Orders per customer", "number"),
    "average_order_value": ("Average order value", "number"),
    "revenue_per_customer": ("Revenue per customer", "number"),
    "cohort_retention_1": ("Cohort retention after 1 period", "share"),
    "cohort_retention_3": ("Cohort retention after 3 periods", "share"),
    "cohort_retention_12": ("Cohort retention after 12 periods", "share"),
}
"""Each KPI of :func:`retention.kpis`: its label in the page and how its value is written."""

_COLUMN_OPTIONS: Final = ("customer_id", "date", "amount", "order_id")  # the options naming columns

_FREQ_WORDS: Final = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}

_STYLE: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;
color:#1d1d1f;background:#f5f6f8;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px}
header h1{margin:0 0 4px;font-size:1.8em}
header p{margin:0;color:#555}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:18px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 10px;font-size:1.25em}
p.lead{color:#444;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{padding:4px 10px;border-bottom:1px solid #e4e4e8;text-align:right}
th:first-child,td:first-child{text-align:left}
thead th{background:#f0f1f4}
td{font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:8px 0}
.note{background:#fff7e0;border-left:4px solid #e69f00;padding:8px 12px;margin:8px 0}
.missing{background:#fdecea;border-left:4px solid #d55e00;padding:8px 12px;margin:8px 0}
.bar{display:inline-block;height:.8em;background:#0072b2;vertical-align:middle}
footer{color:#555;font-size:.85em;margin:24px 0}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
footer dt{font-weight:600}
footer dd{margin:0}
"""


# --- the page -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the page: its anchor, its heading and its body (HTML, already escaped)."""

    anchor: str
    title: str
    body: str


@dataclass(frozen=True, eq=False)  # compared by identity: its KPIs are a Series
class Report:
    """A retention report: the sections of the page, its footer and the KPIs it shows.

    Made by :func:`report`; not meant to be built by hand. The page is the same bytes for the same
    table and options.

    Attributes
    ----------
    title : str
        The page's title.
    sections : tuple of Section
        The sections, in page order; each body is HTML whose data are escaped.
    footer : tuple of (str, str)
        The footer's entries: the data's date range, the options and the library version.
    kpis : pandas.Series
        The result of :func:`retention.kpis` shown in the KPI section.
    notes : tuple of str
        What is missing from the report and why (an empty table, too few customers for a model fit).

    Examples
    --------
    >>> import retention as rt
    >>> page = rt.report(rt.example_transactions())
    >>> page.to_html().startswith("<!DOCTYPE html>")
    True
    >>> [s.anchor for s in page.sections]  # doctest: +NORMALIZE_WHITESPACE
    ['kpis', 'period-retention', 'cohorts', 'survival', 'working-segments', 'rfm-segments', 'abc-xyz',
     'top-customers', 'forecast']
    """

    title: str
    sections: tuple[Section, ...]
    footer: tuple[tuple[str, str], ...]
    kpis: pd.Series = field(repr=False)
    notes: tuple[str, ...] = ()

    def to_html(self) -> str:
        """Return the page: one self-contained HTML document (inline styles and images, no scripts).

        Returns
        -------
        str
            The HTML document.
        """
        e = html.escape
        toc = "".join(f'<li><a href="#{s.anchor}">{e(s.title)}</a></li>' for s in self.sections)
        notes = "".join(f'<p class="missing">{e(n)}</p>' for n in self.notes)
        body = "\n".join(
            f'<section id="{s.anchor}">\n<h2>{e(s.title)}</h2>\n{s.body}\n</section>'
            for s in self.sections
        )
        footer = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in self.footer)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{e(self.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"<header>\n<h1>{e(self.title)}</h1>\n<p>{e(self._subtitle())}</p>\n</header>\n"
            f"{notes}\n<nav><ul>{toc}</ul></nav>\n{body}\n"
            f"<footer>\n<dl>{footer}</dl>\n</footer>\n</main>\n</body>\n</html>\n"
        )

    def _subtitle(self) -> str:
        entries = dict(self.footer)
        dates = entries.get("data range", "no purchases")
        where = "No purchases in the data" if dates == "no purchases" else f"Data from {dates}"
        return f"{where}; {entries.get('data', '')}".rstrip("; ")

    def save(self, path: str | Path) -> Path:
        """Write the page to a file (UTF-8) and return its path.

        Parameters
        ----------
        path : str or pathlib.Path
            Where to write; an existing file is replaced.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        target = Path(path)
        target.write_text(self.to_html(), encoding="utf-8", newline="\n")
        return target

    def _repr_html_(self) -> str:
        # The page in an iframe, so that its styles do not leak into the notebook around it.
        return (
            f'<iframe srcdoc="{html.escape(self.to_html(), quote=True)}" '
            'style="width:100%;height:720px;border:1px solid #ddd" '
            f'title="{html.escape(self.title, quote=True)}"></iframe>'
        )


# --- formatting -----------------------------------------------------------------------------------------


def _number(value: float, kind: str) -> str:
    """Write a value for people: ``3,000``, ``26.73%``, ``33.72``; ``n/a`` when undefined."""
    if not math.isfinite(value):
        return "n/a"
    if kind == "share":
        return f"{value:.2%}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _saveable(
    text: str,
    what: str,
    fix: str,
    error: type[InvalidParameterError | InvalidValueError] = InvalidValueError,
) -> str:
    """Return ``text``, or refuse it when it holds a lone surrogate, which the UTF-8 page cannot hold.

    The one check of every text that the caller or the data put in the page (the title, the names of
    the columns, the group labels, the customer ids listed): a lone surrogate, as from bytes decoded
    with ``errors="surrogateescape"``, is no character, so saving the page would fail with a bare
    ``UnicodeEncodeError`` (and matplotlib cannot draw it). ``what`` names the text and opens the
    message, ``fix`` closes it.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        msg = (
            f"{what} holds {text[e.start : e.end]!r} at position {e.start}, which is no character (a "
            "lone surrogate, as from bytes decoded with errors='surrogateescape') and cannot be saved "
            f"in the page. {fix}"
        )
        raise error(msg) from e
    return text


def _replaced(text: str) -> str:
    """Return the text with each lone surrogate replaced by ``?``, as the messages of `_saveable` suggest."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _check_texts(func: str, reading: dict[str, Any], by: object, values: pd.Series) -> None:
    """Refuse, before anything is drawn, a column name or group label that the page cannot hold.

    ``values`` is the result of :func:`retention.kpis` with ``by``: its outer index levels are the
    groups, named by their columns. The customer ids the page lists are checked where they are listed.
    """
    for name in _COLUMN_OPTIONS:
        text = _options_text(name, reading[name])
        fix = f"Rename the column (to {_replaced(text)!r}, say) and pass its new name."
        what = f"The {name!r} parameter of {func} (the column {text!r})"
        _saveable(text, what, fix, InvalidParameterError)
    series = isinstance(by, pd.Series)
    for level in range(values.index.nlevels - 1):
        column = values.index.names[level]
        text = str(column)
        if series:
            fix = f"Rename it first, e.g. by.rename({_replaced(text)!r})."
            _saveable(text, f"The name of the by= Series, {text!r},", fix, InvalidParameterError)
            where = "the by= Series"
        else:
            fix = f"Rename the column (to {_replaced(text)!r}, say) and pass its new name."
            _saveable(
                text,
                f"The 'by' parameter of {func} (the column {text!r})",
                fix,
                InvalidParameterError,
            )
            where = f"the by column {text!r}"
        for label in values.index.get_level_values(level).unique():
            shown = group_label(label)
            fix = (
                f"Replace it in the data first, e.g. by {_replaced(shown)!r} "
                "(label.encode('utf-8', 'replace').decode())."
            )
            _saveable(shown, f"The group label {shown!r} of {where}", fix)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    """Write an HTML table; cells are escaped unless ``raw`` (then the caller escaped them)."""

    def cell(text: str) -> str:
        return text if raw else html.escape(text)

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _missing(text: str) -> str:
    return f'<p class="missing">{html.escape(text)}</p>'


def _lead(text: str) -> str:
    return f'<p class="lead">{html.escape(text)}</p>'


def _warned(caught: Sequence[warnings.WarningMessage]) -> str:
    """Write the library's warnings met while computing a section as notes (each once)."""
    seen: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if issubclass(w.category, RetentionWarning) and text not in seen:
            seen.append(text)
    return "".join(_note(f"Warning: {t}") for t in seen)


def _quiet(call: Callable[[], _T]) -> tuple[_T, str]:
    """Run ``call`` with the library's warnings recorded; return its result and the warnings as notes.

    Other warnings are passed on to Python's filters.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RetentionWarning)
        result = call()
    for w in caught:
        if not issubclass(w.category, RetentionWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return result, _warned(caught)


# --- pictures -------------------------------------------------------------------------------------------


def _matplotlib() -> Any:
    try:
        return importlib.import_module("matplotlib")
    except ImportError as e:
        msg = f'rt.report draws its charts with matplotlib, which is not installed. Install the plot extra: pip install "{EXTRA}".'
        raise MissingDependencyError(msg) from e


def _figure(size: tuple[float, float]) -> Figure:
    """Make a figure on matplotlib's Agg canvas, outside pyplot (no backend or notebook state is touched)."""
    _matplotlib()
    figure_module = importlib.import_module("matplotlib.figure")
    agg = importlib.import_module("matplotlib.backends.backend_agg")
    figure: Figure = figure_module.Figure(figsize=size, layout="constrained")
    agg.FigureCanvasAgg(figure)
    return figure


def _image(draw: Callable[[Axes], object], *, alt: str, size: tuple[float, float]) -> str:
    """Draw on a new Agg figure and return it as an ``<img>`` with a PNG data URI."""
    figure = _figure(size)
    draw(figure.add_subplot())
    buffer = io.BytesIO()
    # No metadata: the PNG bytes depend on the picture alone (the same table gives the same page).
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:image/png;base64,{data}">'


def _plot() -> Any:
    _matplotlib()
    return importlib.import_module("retention.plot")


# --- sections -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    """The options every section reads the table with."""

    reading: dict[str, Any]  # customer_id, date, amount, order_id, observation_end, returns
    freq: str
    by: object
    has_amount: bool


def _kpi_section(values: pd.Series, overall: pd.Series | None, freq: str) -> Section:
    """Show the KPIs of the last complete period, overall and per group."""
    period = str(values.attrs.get("period") or "")
    end = str(values.attrs.get("observation_end") or "")
    unit = _FREQ_WORDS.get(freq, freq)
    if period and end:
        text = (
            f"The last complete {unit} is {period}; the observation ends on {end}. Rates of that "
            f"{unit}, counts and averages over all the data."
        )
    else:
        text = f"No complete {unit} is observed: the data have no purchases."
    lead = _lead(text)
    columns: list[tuple[str, pd.Series]]
    if overall is None:
        columns = [("value", values)]
    else:
        columns = [("all customers", overall)]
        columns += [(group_label(key), part) for key, part in group_parts(values)]
    header = ["KPI", *[name for name, _ in columns]]
    rows = []
    for name in KPI_NAMES:
        label, kind = KPI_LABELS[name]
        cells = [html.escape(label)]
        for k, (_, part) in enumerate(columns):
            value = float(part.get(name, math.nan))
            cells.append(
                f'<span class="kpi" data-kpi="{name}" data-column="{k}" data-value="{value!r}">'
                f"{html.escape(_number(value, kind))}</span>"
            )
        rows.append(cells)
    return Section("kpis", "Key figures", lead + _table(header, rows, raw=True))


def _period_section(tx: pd.DataFrame, o: _Options) -> Section:
    result, notes = _quiet(lambda: period_retention(tx, freq=o.freq, **o.reading))
    title = "Period retention"
    if len(result) == 0:
        return Section(
            "period-retention", title, _missing("No periods: the table has no purchases.")
        )
    plot = _plot()
    shown = result.tail(CHART_PERIODS)
    if len(shown) < len(result):
        notes += _note(f"The chart shows the last {CHART_PERIODS:,} of {len(result):,} periods.")
    image = _image(
        lambda ax: plot.period_retention(shown, ax=ax), alt="period retention", size=(9.0, 4.5)
    )
    last = result.tail(TABLE_PERIODS)
    counts = ["customers_start", "new", "retained", "reactivated", "churned", "customers_end"]
    rates = ["crr", "churn_rate"]
    rows = [
        [
            group_label(p),
            *[_number(float(row[c]), "count") for c in counts],
            *[_number(float(row[c]), "share") for c in rates],
        ]
        for p, row in last.iterrows()
    ]
    table = _table(["period", *counts, *rates], rows)
    lead = _lead(
        "Customers at the start of each period, the new, retained and reactivated customers, and the "
        "customer retention rate (CRR). The table lists the last periods."
    )
    return Section("period-retention", title, lead + notes + image + table)


def _cohort_section(tx: pd.DataFrame, o: _Options) -> Section:
    table, notes = _quiet(lambda: cohort_table(tx, freq=o.freq, normalize=True, **o.reading))
    title = "Cohorts"
    if table.size == 0:
        return Section("cohorts", title, _missing("No cohorts: the table has no purchases."))
    plot = _plot()
    rows, columns = table.shape
    size = (min(5.0 + 0.3 * columns, 11.0), min(3.0 + 0.22 * rows, 8.0))
    image = _image(lambda ax: plot.cohort_heatmap(table, ax=ax), alt="cohort heatmap", size=size)
    lead = _lead(
        "The share of each cohort (customers by the period of their first purchase) active in each "
        "period after it. Blank cells are periods the data do not fully cover."
    )
    return Section("cohorts", title, lead + notes + image)


def _survival_section(tx: pd.DataFrame, o: _Options) -> Section:
    curve, notes = _quiet(lambda: survival_curve(tx, by=o.by, **o.reading))
    title = "Survival and short-, mid- and long-term retention"
    if len(curve) == 0:
        return Section(
            "survival", title, _missing("No survival curve: the table has no purchases.")
        )
    plot = _plot()
    drawn, groups = _drawn_curves(curve)
    if groups > MAX_CURVES:
        notes += _note(
            f"The chart draws the {MAX_CURVES} largest of the {groups:,} groups; the table below lists "
            "them all."
        )
    shown = min(groups, MAX_CURVES)
    # The numbers at risk go under the axis, one row per group: with many groups, the table below says it.
    at_risk = shown <= MAX_AT_RISK_ROWS
    height = 5.0 + (0.2 * shown if at_risk else 0.0)
    image = _image(
        lambda ax: plot.survival(drawn, at_risk=at_risk, ax=ax),
        alt="survival curves",
        size=(8.0, height),
    )
    at = survival_at(curve, [f"{d}D" for d in SURVIVAL_DAYS])
    header = ["group", *[f"after {d} days" for d in SURVIVAL_DAYS]]
    rows: list[list[str]] = []
    if at.index.nlevels == 1:
        rows.append(["all customers", *[_number(float(v), "share") for v in at.to_numpy()]])
    else:
        for key, part in group_parts(at):
            rows.append([group_label(key), *[_number(float(v), "share") for v in part.to_numpy()]])
    lead = _lead(
        "Kaplan-Meier estimate of the share of customers still active (a customer is lost after 90 days "
        "without a purchase) by days since their first purchase, with its 95% interval; the table reads "
        "it at 30, 91 and 365 days."
    )
    return Section("survival", title, lead + notes + image + _table(header, rows))


def _drawn_curves(curve: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Return the survival curves the chart draws, and the number of groups.

    Without groups, the curve itself. With groups, the rows of the :data:`MAX_CURVES` largest (by
    customers, ties in the order of the curve), in the order of the curve. The chart writes their labels
    for the picture as every plot does (``retention.plot._common.picture_labels``: cut short, still
    distinct, ``$`` drawn as is); the table under it shows them whole.
    """
    if curve.index.nlevels == 1:
        return curve, 1
    parts = group_parts(curve)
    # The number at risk at a group's first time is its customers: each group starts on day 0 or later.
    sizes = np.array([float(part["at_risk"].max()) for _, part in parts])
    chosen = np.sort(np.argsort(-sizes, kind="stable")[:MAX_CURVES])
    outer = list(range(curve.index.nlevels - 1))
    group = curve.groupby(level=outer, sort=False, dropna=False).ngroup().to_numpy()
    return curve[np.isin(group, chosen)], len(parts)


def _bars(counts: pd.Series, extra: dict[str, pd.Series] | None = None) -> str:
    """Write a table of counts and shares with a bar per row (plain CSS, no picture needed)."""
    total = float(counts.sum())
    extra = extra or {}
    rows = []
    for name, count in counts.items():
        share = float(count) / total if total else math.nan
        width = 0.0 if math.isnan(share) else round(240 * share, 1)
        cells = [
            html.escape(group_label(name)),
            html.escape(_number(float(count), "count")),
            html.escape(_number(share, "share")),
            *[
                html.escape(_number(float(col.get(name, math.nan)), "number"))
                for col in extra.values()
            ],
            f'<span class="bar" style="width:{width}px"></span>',
        ]
        rows.append(cells)
    return _table(["segment", "customers", "share", *extra, ""], rows, raw=True)


def _working_section(tx: pd.DataFrame, o: _Options) -> Section:
    reading = dict(o.reading)
    segments, notes = _quiet(lambda: working_segments(customer_features(tx, **reading)))
    title = "Working segments"
    lead = _lead(
        "Customers by the first rule they meet (rt.working_segment_rules): refused contact, "
        "dissatisfied, inactive for 30 days, new, loyal, other."
    )
    if len(segments) == 0:
        return Section("working-segments", title, lead + _missing("No customers to segment."))
    counts = segments.value_counts(sort=False)
    return Section("working-segments", title, lead + notes + _bars(counts))


def _rfm_section(tx: pd.DataFrame, o: _Options) -> Section:
    title = "RFM segments"
    if not o.has_amount:
        return Section("rfm-segments", title, _missing(_no_amount(o)))
    scores, notes = _quiet(lambda: rfm_scores(tx, **o.reading))
    lead = _lead(
        "Customers scored 1 to 5 on recency, frequency and monetary value, named by the standard RFM "
        "segment map (rt.rfm_segment_map)."
    )
    if len(scores) == 0:
        return Section("rfm-segments", title, lead + _missing("No customers to score."))
    named = rfm_segments(scores)
    plot = _plot()
    image = _image(
        lambda ax: plot.rfm_segments(named, scores, ax=ax), alt="RFM segments", size=(8.0, 5.5)
    )
    counts = named.value_counts(sort=False)
    # Each segment's revenue: the exact, order-independent sum of its customers' monetary values.
    segment = pd.Index(counts.index).get_indexer(pd.Index(named.to_numpy()))
    kept = segment >= 0
    revenue = pd.Series(
        group_sums(
            segment[kept].astype(np.int64),
            scores["monetary"].to_numpy(dtype=np.float64)[kept],
            len(counts),
        ),
        index=counts.index,
    )
    return Section(
        "rfm-segments", title, lead + notes + image + _bars(counts, {"revenue": revenue})
    )


def _abc_section(tx: pd.DataFrame, o: _Options) -> tuple[Section, str | None]:
    """Classify the customers ABC/XYZ; a note (also returned) when negative net revenues stop it."""
    title = "ABC/XYZ matrix"
    if not o.has_amount:
        return Section("abc-xyz", title, _missing(_no_amount(o))), None
    lead = _lead(
        "ABC: customers by their share of the revenue (A the top 80%, B the next 15%, C the rest); "
        f"XYZ: by how steadily they buy from {_FREQ_WORDS.get(o.freq, o.freq)} to "
        f"{_FREQ_WORDS.get(o.freq, o.freq)} (X steady, Z erratic)."
    )
    try:
        classes, notes = _quiet(lambda: abc_xyz(tx, freq=o.freq, **o.reading))
    # Customers whose returns exceed their purchases: a share of the revenue means nothing.
    except InvalidValueError as e:
        why = f"No ABC/XYZ matrix: {' '.join(str(e).split())}"
        return Section("abc-xyz", title, lead + _missing(why)), why
    if len(classes) == 0:
        return Section("abc-xyz", title, lead + _missing("No customers to classify.")), None
    matrix = abc_xyz_matrix(classes)
    plot = _plot()
    image = _image(
        lambda ax: plot.abc_xyz_matrix(matrix, ax=ax), alt="ABC/XYZ matrix", size=(6.5, 4.5)
    )
    counts = matrix["customers"]
    rows = [
        [group_label(abc), *[_number(float(v), "count") for v in counts.loc[abc].to_numpy()]]
        for abc in counts.index
    ]
    table = _table(["customers", *[group_label(c) for c in counts.columns]], rows)
    return Section("abc-xyz", title, lead + notes + image + table), None


def _no_amount(o: _Options) -> str:
    column = o.reading.get("amount")
    return (
        f"This section needs amounts, and the table has no amount column {group_label(column)!r}. "
        "Name it with amount= (or --amount)."
    )


@dataclass(frozen=True, slots=True)
class _Fits:
    """The models of the last two sections, fitted once on a weekly RFM summary."""

    summary: pd.DataFrame
    purchases: BetaGeo | None  # None: no fit (``failure`` says why)
    spend: GammaGamma | None  # None: no amounts, or no fit
    notes: str  # the warnings of the summary and the fits, as notes
    failure: str | None  # why the purchase model (or, with amounts, the spend model) has no fit


def _fit(tx: pd.DataFrame, o: _Options) -> _Fits:
    """Fit BG/NBD (and, with amounts, Gamma-Gamma) to the weekly RFM summary of the table."""
    summary, notes = _quiet(lambda: rfm_summary(tx, time_unit="W", **o.reading))
    try:
        purchases, purchase_notes = _quiet(lambda: BetaGeo.fit(summary))
    except (ConvergenceError, InvalidValueError) as e:
        why = " ".join(str(e).split())
        text = f"No predicted values: the models cannot be fitted to these data ({why})"
        return _Fits(summary, None, None, notes, text)
    if not o.has_amount:
        return _Fits(summary, purchases, None, notes + purchase_notes, None)
    try:
        spend, spend_notes = _quiet(lambda: GammaGamma.fit(summary))
    except (ConvergenceError, InvalidValueError) as e:
        why = " ".join(str(e).split())
        text = f"No predicted values: the spend model cannot be fitted to these data ({why})"
        return _Fits(summary, purchases, None, notes + purchase_notes, text)
    return _Fits(summary, purchases, spend, notes + purchase_notes + spend_notes, None)


def _top_section(fits: _Fits, o: _Options, top: int) -> tuple[Section, str | None]:
    """List the top customers by predicted value; a note (also returned) when the models cannot be fitted."""
    title = "Top customers by predicted value"
    lead = _lead(
        f"Expected value of each customer's purchases in the next {CLV_HORIZON} months, discounted at "
        f"{CLV_DISCOUNT:.0%} a month: BG/NBD for the number of purchases, Gamma-Gamma for their value "
        "(rt.customer_lifetime_value), fitted on weekly RFM summaries."
    )
    if not o.has_amount:
        return Section("top-customers", title, lead + _missing(_no_amount(o))), None
    purchases, spend, summary = fits.purchases, fits.spend, fits.summary
    if purchases is None or spend is None:
        assert fits.failure is not None  # set whenever a model is missing
        body = lead + fits.notes + _missing(fits.failure)
        return Section("top-customers", title, body), fits.failure
    value, clv_notes = _quiet(
        lambda: customer_lifetime_value(
            purchases,
            spend,
            summary,
            horizon=CLV_HORIZON,
            freq="M",
            time_unit="W",
            discount_rate=CLV_DISCOUNT,
        )
    )
    # The predictions' warnings (a spend model whose mean is infinite, say) become notes of the page.
    (alive, expected_spend), prediction_notes = _quiet(
        lambda: (purchases.p_alive(summary), spend.conditional_expected_spend(summary))
    )
    frame = pd.DataFrame(
        {
            "repeat": summary["frequency"],
            "p_alive": alive,
            "spend": expected_spend,
            "clv": value,
        }
    )
    # Ties keep the customers' order, so the same data give the same list.
    best = frame.sort_values("clv", ascending=False, kind="stable").head(top)
    column = group_label(o.reading["customer_id"])

    def listed(customer: object) -> str:  # the ids listed are the only ones the page holds
        text = group_label(customer)
        fix = (
            f"Replace it in the data first, e.g. by {_replaced(text)!r} "
            "(id.encode('utf-8', 'replace').decode())."
        )
        return _saveable(text, f"The id {text!r} of the customer_id column {column!r}", fix)

    rows = [
        [
            listed(customer),
            _number(float(row["repeat"]), "count"),
            _number(float(row["p_alive"]), "share"),
            _number(float(row["spend"]), "number"),
            _number(float(row["clv"]), "number"),
        ]
        for customer, row in best.iterrows()
    ]
    header = [
        group_label(summary.index.name or "customer"),
        "repeat purchases",
        "P(alive)",
        "expected spend per order",
        f"value, next {CLV_HORIZON} months",
    ]
    table = _table(header, rows)
    if prediction_notes and prediction_notes in clv_notes:
        prediction_notes = ""  # the value's computation already noted the same
    body = lead + fits.notes + clv_notes + prediction_notes + table
    return Section("top-customers", title, body), None


def _forecast_section(fits: _Fits, o: _Options, end: object) -> Section:
    """Forecast the existing customers' orders (and revenue) for the next periods, with the interval."""
    title = "Sales forecast"
    unit = _FREQ_WORDS.get(o.freq, o.freq)
    lead = _lead(
        f"Expected repeat orders of the existing customers in each of the next {FORECAST_PERIODS} "
        f"{unit}s{', and their revenue' if fits.spend is not None else ''}, with a "
        f"{FORECAST_INTERVAL:.0%} interval (parameter uncertainty and purchase-count noise): the BG/NBD "
        "model of the section above (rt.forecast). New customers are not included. The first period "
        "starts the day after the observation end."
    )
    purchases = fits.purchases
    if purchases is None or end is None:
        why = fits.failure or "No forecast: the table has no purchases."
        return Section("forecast", title, lead + fits.notes + _missing(why))
    start = pd.Timestamp(str(end)) + pd.Timedelta(days=1)
    spend, spend_note = fits.spend, ""
    if spend is not None and not math.isfinite(spend.mean_spend):
        spend = None  # the mean spend per order is infinite (q <= 1): no revenue to forecast
        spend_note = _note(
            "Revenue is not forecast: the spend model fitted to these data has an infinite mean spend "
            "per order (q <= 1), so only orders are. More customers with repeat purchases, or "
            "returns='drop', may give a model with a finite mean."
        )
    result, notes = _quiet(
        lambda: forecast(
            purchases,
            fits.summary,
            periods=FORECAST_PERIODS,
            freq=o.freq,
            time_unit="W",
            start=start,
            spend_model=spend,
            interval=FORECAST_INTERVAL,
            seed=0,
        )
    )
    plot = _plot()
    image = _image(lambda ax: plot.forecast(result, ax=ax), alt="sales forecast", size=(8.0, 4.0))
    measures = ["orders", "revenue"] if spend is not None else ["orders"]
    header = ["period"]
    for m in measures:
        header += [m, f"{m}, low", f"{m}, high"]
    rows = [
        [
            group_label(p),
            *[
                _number(float(row[c]), "number")
                for m in measures
                for c in (m, f"{m}_lower", f"{m}_upper")
            ],
        ]
        for p, row in result.iterrows()
    ]
    return Section("forecast", title, lead + notes + spend_note + image + _table(header, rows))


def _table_facts(tx: Any, date: Hashable) -> tuple[int, str]:
    """Count the table's rows and describe its range of dates, for the footer."""
    engine = engine_of(tx)
    if engine in DISTRIBUTED:  # one job on the cluster: the rows stay there
        n_rows, first, last = rows_and_dates(tx, engine, date)
        return n_rows, _range_text(first, last)
    if date not in tx.columns or len(tx) == 0:
        return len(tx), "no purchases"
    column = tx[date]  # one column: rt.kpis has read it
    if isinstance(column, pd.Series):
        # Read by the library's one date reader, as rt.kpis read it: the min of a column's raw values
        # is undefined for an unordered categorical and is not the first date for mixed text and times.
        days, _ = read_days(column, date, "report")
        first, last = (str(np.datetime64(int(day), "D")) for day in (days.min(), days.max()))
        return len(tx), f"{first} to {last}"
    return len(tx), _range_text(column.min(), column.max())


def _range_text(first: Any, last: Any) -> str:
    """Describe the first and last date as the library reads them (text as ISO 8601, wall-clock time)."""
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return "no purchases"
    try:
        ends = [pd.Timestamp(pd.to_datetime(v, format="ISO8601")) for v in (first, last)]
    except (ValueError, TypeError, OverflowError):
        return "n/a"  # the library read them; a page is no place to fail on a date
    ends = [e.tz_localize(None) if e.tzinfo is not None else e for e in ends]
    return f"{ends[0]:%Y-%m-%d} to {ends[1]:%Y-%m-%d}"


def _with_end(reading: dict[str, Any], values: pd.Series) -> dict[str, Any]:
    """Return the reading options with the observation end that :func:`kpis` found, when none was given.

    The default end is the day of the table's last purchase, the same for every group and every function
    that reads the table with these options; a table without purchases keeps None.
    """
    found = values.attrs.get("observation_end")
    if reading.get("observation_end") is not None or not found:
        return reading
    return {**reading, "observation_end": pd.Timestamp(found)}


def _options_text(name: str, value: object) -> str:
    if isinstance(value, pd.Series):
        return f"a Series named {group_label(value.name)!r}"
    if isinstance(value, list | tuple):
        return ", ".join(group_label(v) for v in value) or "none"
    return "none" if value is None else group_label(value)


@transaction_options
def report(
    tx: pd.DataFrame,
    *,
    freq: str = "M",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
    by: object = None,
    title: str = "Retention report",
    top: int = 20,
) -> Report:
    """Make the retention report of a transaction table: one self-contained HTML page.

    Parameters
    ----------
    <transaction table>
    freq : {"D", "W", "M", "Q", "Y"}, default "M"
        The period of the KPIs, period retention, cohorts and the XYZ classes.
    <transaction options>
    title : str, default "Retention report"
        The page's title.
    top : int, default 20
        How many customers the table of predicted value lists.

    Returns
    -------
    Report
        The page: ``.to_html()`` returns it, ``.save(path)`` writes it; a notebook shows it.

    Raises
    ------
    MissingDependencyError
        If matplotlib (the ``plot`` extra) is not installed.
    InvalidParameterError
        If ``title`` is not a string, ``top`` is not a whole number >= 1, or a shared option is not
        accepted (the errors of :func:`retention.kpis`); or if ``title``, or the name of a column that
        the options give (``by`` too, or the name of a ``by`` Series), holds a lone surrogate (as from
        bytes decoded with ``errors="surrogateescape"``), which the UTF-8 page cannot hold.
    InvalidValueError
        If a group label of ``by``, or the id of a customer the page lists, holds a lone surrogate.
    <reading errors>

    See Also
    --------
    retention.kpis : The key figures alone.
    retention.plot : The charts, one function per result.

    Notes
    -----
    The sections, in order: the KPIs of the last complete period (:func:`retention.kpis`, per group
    with ``by``); period retention (:func:`retention.period_retention`); the cohort heatmap
    (:func:`retention.cohort_table`, shares); survival curves (:func:`retention.survival_curve`, per
    group with ``by``) and the share still active after 30, 91 and 365 days
    (:func:`retention.survival_at`); working segments (:func:`retention.customer_features` and
    :func:`retention.working_segments`); RFM segments (:func:`retention.rfm_scores`,
    :func:`retention.rfm_segments`); the ABC/XYZ matrix (:func:`retention.abc_xyz_matrix`); and the top
    customers by their value over the next 12 months (BG/NBD and Gamma-Gamma fitted on a weekly
    :func:`retention.rfm_summary`, :func:`retention.customer_lifetime_value` at 1% a month); and the
    sales forecast of the existing customers' repeat orders (and revenue) for the next 12 periods with
    a 90% interval (:func:`retention.forecast` with the same models, seed 0). When the models cannot be
    fitted (too few customers, no repeat purchases, no convergence), or customers whose returns exceed
    their purchases leave no share of the revenue to classify by, the sections say so instead, and so
    does the list of what is missing at the top of the page. Sections that need money say so when the
    table has no amount column. The library's warnings are shown as notes in the section they concern.

    The footer states the data's date range, the options and the library version; nothing in the page
    depends on the clock, so the same table and options give the same bytes.

    Examples
    --------
    >>> import retention as rt
    >>> page = rt.report(rt.example_transactions(), by="channel")
    >>> page.kpis.loc[("web", "customers")]
    np.float64(1511.0)
    >>> "<img" in page.to_html()
    True
    """
    func = "report"
    given: object = title  # typed as str, but a caller's value may be anything
    if not isinstance(given, str):
        msg = f"The 'title' parameter of {func} must be a string. Got {title!r}."
        raise InvalidParameterError(msg)
    _saveable(
        given,
        f"The 'title' parameter of {func}",
        "Remove it, e.g. title.encode('utf-8', 'replace').decode().",
        InvalidParameterError,
    )
    _REPORT.check("top", top)
    # The shared options but by, which each section takes or leaves (kpis and survival run per group).
    reading = {name: v for name, v in shared_options(locals()).items() if name != "by"}
    # rt.kpis reads the table and the options first: bad input stops here with the library's error.
    values, kpi_notes = _quiet(lambda: kpis(tx, freq=freq, by=by, **reading))
    # The texts the data put in the page, refused now rather than when the page is saved.
    _check_texts(func, reading, by, values)
    # Every section reads the table up to the observation end rt.kpis found (the same day each would find
    # again: on a cluster, a pass over the whole table each).
    sections_reading = _with_end(reading, values)
    overall = None if by is None else _quiet(lambda: kpis(tx, freq=freq, **sections_reading))[0]
    _matplotlib()
    has_amount = amount is not None and amount in tx.columns
    o = _Options(reading=sections_reading, freq=freq, by=by, has_amount=has_amount)
    customers = int(values.get("customers", 0)) if overall is None else int(overall["customers"])
    notes: list[str] = []
    if customers == 0:
        notes.append(
            "The table has no purchases, so there is nothing to measure: every section below is empty."
        )
    elif customers == 1:
        notes.append(
            "The table has one customer: rates are those of that customer, and the models of predicted "
            "value need more customers."
        )
    kpi = _kpi_section(values, overall, freq)
    kpi = Section(kpi.anchor, kpi.title, kpi.body + kpi_notes)
    abc_section, abc_note = _abc_section(tx, o)
    if abc_note is not None:
        notes.append(abc_note)
    fits = _fit(tx, o)
    top_section, fit_note = _top_section(fits, o, int(top))
    if fit_note is not None and customers > 1:
        notes.append(fit_note)
    sections = (
        kpi,
        _period_section(tx, o),
        _cohort_section(tx, o),
        _survival_section(tx, o),
        _working_section(tx, o),
        _rfm_section(tx, o),
        abc_section,
        top_section,
        _forecast_section(fits, o, values.attrs.get("observation_end")),
    )
    version = importlib.import_module("retention").__version__
    n_rows, data_range = _table_facts(tx, date)
    footer = (
        ("data range", data_range),
        (
            "data",
            f"{n_rows:,} rows, {customers:,} customer{'s' if customers != 1 else ''}",
        ),
        ("observation end", str(values.attrs.get("observation_end") or "n/a")),
        ("period", f"{freq} (last complete: {values.attrs.get('period') or 'n/a'})"),
        *[(name, _options_text(name, value)) for name, value in reading.items()],
        ("by", _options_text("by", by)),
        ("made with", f"retention {version}"),
    )
    return Report(title=title, sections=sections, footer=footer, kpis=values, notes=tuple(notes))
