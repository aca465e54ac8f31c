"""Tests of `rt.report`: the self-contained HTML retention report, also as opened in headless Chromium."""

from __future__ import annotations

import base64
import html
import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retention as rt
from retention.errors import (
    ColumnNotFoundError,
    InvalidParameterError,
    InvalidValueError,
    MissingDependencyError,
    RetentionWarning,
)
from retention.frames.kpis import KPI_NAMES
from retention.report import KPI_LABELS, _table_facts

CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not found (CI installs Debian's chromium package)"
)
SECTIONS = [
    "kpis",
    "period-retention",
    "cohorts",
    "survival",
    "working-segments",
    "rfm-segments",
    "abc-xyz",
    "top-customers",
    "forecast",
]
IMAGE = re.compile(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')
SCRIPT_ID = "<script>alert('x')</script>"
SHOT_HEIGHT = 7200  # pixels: the example report, top to bottom, in a window 1200 pixels wide


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return rt.example_transactions()


@pytest.fixture(scope="module")
def page(example: pd.DataFrame) -> str:
    return rt.report(example).to_html()


class _Page(HTMLParser):
    """What the tests read from a page: section ids, KPI cells, images, scripts and outside links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.kpis: list[tuple[str, int, str, str]] = []  # (kpi, column, data-value, shown text)
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.links: list[str] = []  # src and href values that are not data URIs or anchors
        self._kpi: tuple[str, int, str] | None = None
        self._text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag == "section":
            self.sections.append(a["id"])
        if tag == "span" and "data-kpi" in a:
            self._kpi = (a["data-kpi"], int(a["data-column"]), a["data-value"])
            self._text = []
        if tag == "img":
            self.images.append(a["src"])
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("data:", "#")):
                self.links.append(a[key])

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._kpi is not None:
            self.kpis.append((*self._kpi, "".join(self._text)))
            self._kpi = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._kpi is not None:
            self._text.append(data)


def parse(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    parser.close()
    return parser


def decode_png(src: str) -> np.ndarray:
    import matplotlib.image

    assert src.startswith("data:image/png;base64,")
    data = base64.b64decode(src.split(",", 1)[1], validate=True)
    return np.asarray(matplotlib.image.imread(io.BytesIO(data), format="png"))


def shown_number(text: str) -> float:
    """Read a number as the page writes it: ``3,000``, ``26.73%``, ``33.72``; ``n/a`` is NaN."""
    if text == "n/a":
        return float("nan")
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


def check_kpis(found: _Page, expected: pd.Series, column: int) -> None:
    cells = {k: (value, text) for k, c, value, text in found.kpis if c == column}
    assert list(cells) == list(KPI_NAMES)
    for name in KPI_NAMES:
        value, text = cells[name]
        want = float(expected[name])
        if np.isnan(want):
            assert value == "nan"
            assert text == "n/a"
            continue
        assert float(value) == want, name  # the exact value, written with repr
        kind = KPI_LABELS[name][1]
        shown = shown_number(text)
        # The shown value is the KPI rounded to what is written: 0 decimals, 2 decimals, 2 of a percent.
        tolerance = {"count": 0.5, "number": 0.005, "share": 0.00005}[kind]
        # Plus the error of reading the text back as a float (66,249.62 for 66249.625: 0.005 and 5e-12).
        assert abs(shown - want) <= tolerance + 4 * np.spacing(abs(want)), (name, text, want)


# --- headless Chromium ---------------------------------------------------------------------------------


def chromium(
    page: Path, profile: Path, *extra: str, height: int = 2400
) -> subprocess.CompletedProcess[str]:
    """Open a page in headless Chromium, isolated: its own profile, no host names resolved, no services.

    Nothing listens (no remote debugging port); host names resolve to nothing, so a page that needed
    the network would fail to load what it asks for.
    """
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        f"--window-size=1200,{height}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return subprocess.run(
        [CHROMIUM, *flags, *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def console_messages(stderr: str) -> list[str]:
    """The page's console messages and uncaught errors in Chromium's log (the page has no scripts)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def open_page(text: str, tmp_path: Path, name: str) -> tuple[str, str]:
    """Open a page in Chromium; return the DOM after loading and the log."""
    path = tmp_path / f"{name}.html"
    path.write_text(text, encoding="utf-8")
    run = chromium(path, tmp_path / f"profile-{name}", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr


@needs_chromium
def test_console_check_sees_errors(tmp_path: Path) -> None:
    """The console check of the tests below can fail: a page that logs an error is caught."""
    dom, log = open_page(
        "<!DOCTYPE html><p>x</p><script>console.error('boom')</script>", tmp_path, "bad"
    )
    assert "<p>x</p>" in dom
    assert any("boom" in line for line in console_messages(log))


@needs_chromium
def test_example_report_in_chromium(example: pd.DataFrame, page: str, tmp_path: Path) -> None:
    dom, log = open_page(page, tmp_path, "report")
    assert console_messages(log) == []
    found = parse(dom)
    assert found.sections == SECTIONS  # the whole page was loaded and laid out
    assert "script" not in found.tags
    assert found.links == []
    check_kpis(found, rt.kpis(example), 0)
    # Every image of the page as the browser holds it decodes, and is a picture, not a blank.
    assert len(found.images) == 6
    for src in found.images:
        pixels = decode_png(src)
        assert pixels.shape[0] > 100
        assert pixels.shape[1] > 100
        assert pixels[..., :3].std() > 0.01
    # The screenshot, kept for people to look at (CI uploads CI_ARTIFACTS).
    shot = tmp_path / "report.png"
    # The whole page in one picture: a window as tall as the page.
    run = chromium(
        tmp_path / "report.html",
        tmp_path / "profile-shot",
        f"--screenshot={shot}",
        height=SHOT_HEIGHT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    pixels = decode_png("data:image/png;base64," + base64.b64encode(shot.read_bytes()).decode())
    assert pixels.shape[:2] == (SHOT_HEIGHT, 1200)
    assert pixels[..., :3].std() > 0.01
    if artifacts := os.environ.get("CI_ARTIFACTS"):
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / "report.png")


@needs_chromium
@pytest.mark.parametrize("case", ["empty", "one customer", "script id"])
def test_small_and_hostile_reports_in_chromium(
    example: pd.DataFrame, tmp_path: Path, case: str
) -> None:
    tx = {"empty": example.iloc[:0], "one customer": example[example["customer_id"] == 3]}.get(
        case, hostile(example)
    )
    dom, log = open_page(rt.report(tx).to_html(), tmp_path, case.replace(" ", "-"))
    assert console_messages(log) == []
    found = parse(dom)
    assert found.sections == SECTIONS
    assert "script" not in found.tags
    for src in found.images:
        decode_png(src)
    if case == "script id":
        assert SCRIPT_ID in "".join(found.text)


# --- the page itself -------------------------------------------------------------------------------------


def test_images_decode_and_nothing_is_fetched(page: str) -> None:
    found = parse(page)
    assert found.sections == SECTIONS
    assert found.links == []  # no stylesheet, script, font or image from elsewhere
    assert "script" not in found.tags
    assert "link" not in found.tags
    assert re.search(r"https?://", page) is None
    assert len(found.images) == len(IMAGE.findall(page)) == 6
    for src in found.images:
        assert decode_png(src).ndim == 3


def test_kpis_in_the_page_equal_rt_kpis(example: pd.DataFrame, page: str) -> None:
    check_kpis(parse(page), rt.kpis(example), 0)


def test_kpis_per_group(example: pd.DataFrame) -> None:
    made = rt.report(example, by="channel", freq="Q")
    found = parse(made.to_html())
    check_kpis(found, rt.kpis(example, freq="Q"), 0)
    grouped = rt.kpis(example, freq="Q", by="channel")
    for k, group in enumerate(["app", "store", "web"], start=1):
        check_kpis(found, grouped.xs(group, level="channel"), k)
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", made.sections[0].body)
    assert header is not None
    assert re.findall(r"<th>(.*?)</th>", header.group(1)) == [
        "KPI",
        "all customers",
        "app",
        "store",
        "web",
    ]
    survival = made.sections[SECTIONS.index("survival")].body
    assert all(f"<td>{g}</td>" in survival for g in ("app", "store", "web"))


def test_many_groups_and_daily_periods(example: pd.DataFrame) -> None:
    """Eighteen groups and 730 daily periods still make a page (pytest turns any warning into an error)."""
    made = rt.report(example, by=["channel", "manager"], freq="D")
    found = parse(made.to_html())
    assert found.sections == SECTIONS
    grouped = rt.kpis(example, freq="D", by=["channel", "manager"])
    groups = grouped.index.droplevel(-1).unique()
    assert len(groups) > 6  # survival curves drawn without the numbers at risk
    check_kpis(found, rt.kpis(example, freq="D"), 0)
    for k, group in enumerate(groups, start=1):
        check_kpis(found, grouped.loc[group], k)
    for src in found.images:
        decode_png(src)


def test_the_period_chart_draws_the_last_periods_only(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An observation end centuries after the data would draw a bar per period for minutes: the chart
    # draws the last CHART_PERIODS, and says so.
    drawn: list[pd.DataFrame] = []
    draw = rt.plot.period_retention
    monkeypatch.setattr(
        sys.modules["retention.report"], "CHART_PERIODS", 10
    )  # rt.report: the function
    monkeypatch.setattr(rt.plot, "period_retention", lambda r, **k: drawn.append(r) or draw(r, **k))
    page = rt.report(example).to_html()
    periods = rt.period_retention(example)
    pd.testing.assert_frame_equal(drawn[0], periods.tail(10))
    assert f"The chart shows the last 10 of {len(periods)} periods." in page


def test_size_of_the_example_report(page: str) -> None:
    assert len(page.encode("utf-8")) < 3_000_000


def test_same_input_same_bytes(example: pd.DataFrame, page: str) -> None:
    assert rt.report(example).to_html() == page
    shuffled = example.sample(frac=1.0, random_state=1)
    assert rt.report(shuffled).to_html() == page  # row order never changes a result


def test_footer_states_the_data_not_the_clock(example: pd.DataFrame) -> None:
    made = rt.report(example, freq="W", observation_end="2024-06-30")
    footer = dict(made.footer)
    assert footer["data range"] == "2023-01-01 to 2024-12-31"
    assert footer["observation end"] == "2024-06-30"
    assert footer["observation_end"] == "2024-06-30"
    assert footer["period"] == "W (last complete: 2024-06-24/2024-06-30)"
    assert footer["made with"] == f"retention {rt.__version__}"
    assert str(pd.Timestamp.now().year + 1) not in made.to_html()


def test_footer_reads_a_categorical_date_column(example: pd.DataFrame) -> None:
    # Every function reads a categorical date column; the footer's range must too.
    some = example[example["customer_id"] <= 40]
    days = some["date"].dt.normalize()
    expected = f"{days.min():%Y-%m-%d} to {days.max():%Y-%m-%d}"
    made = rt.report(some.assign(date=some["date"].astype("category")))
    assert dict(made.footer)["data range"] == expected


@pytest.mark.parametrize(
    "dates",
    [
        pd.Series(pd.to_datetime(["2024-03-05 10:00", "2024-01-03 00:00"])).astype("category"),
        pd.Series(["2024-03-05", "2024-01-03T23:00"]).astype("category"),
        # Text sorts otherwise than the dates it holds: "2024-1-3" after "2024-02-01".
        pd.Series(["2024-02-01", "2024-1-3", "2024-03-05"], dtype=object),
        pd.Series(["2024-02-01", "2024-1-3", "2024-03-05"], dtype="string[pyarrow]"),
        pd.Series([pd.Timestamp("2024-03-05 10:00"), "2024-01-03", "2024-02-01"], dtype=object),
        # Wall-clock time of the timezone, as the library reads it.
        pd.Series(["2024-03-05T08:00+09:00", "2024-01-03T23:30+09:00"]).astype("category"),
    ],
)
def test_footer_range_is_of_the_dates_as_the_library_reads_them(dates: pd.Series) -> None:
    facts = _table_facts(pd.DataFrame({"when": dates}), "when")
    assert facts == (len(dates), "2024-01-03 to 2024-03-05")


def test_forecast_in_the_page_equals_rt_forecast(example: pd.DataFrame, page: str) -> None:
    # The same models, fitted the same way, give the same forecast: the page shows it to two decimals.
    summary = rt.rfm_summary(example, time_unit="W")
    expected = rt.forecast(
        rt.BetaGeo.fit(summary),
        summary,
        periods=12,
        freq="M",
        time_unit="W",
        start="2025-01-01",
        spend_model=rt.GammaGamma.fit(summary),
        interval=0.9,
        seed=0,
    )
    section = page[page.index('<section id="forecast"') :]
    rows = re.findall(r"<tr><td>(\d{4}-\d{2})</td>((?:<td>[^<]*</td>)+)</tr>", section)
    assert [p for p, _ in rows] == [str(p) for p in expected.index]
    columns = [
        "orders",
        "orders_lower",
        "orders_upper",
        "revenue",
        "revenue_lower",
        "revenue_upper",
    ]
    for (_, cells), (_, want) in zip(rows, expected[columns].iterrows(), strict=True):
        shown = [shown_number(c) for c in re.findall(r"<td>([^<]*)</td>", cells)]
        np.testing.assert_allclose(shown, want.to_numpy(), atol=0.005 + 1e-9, rtol=0)


def test_an_infinite_mean_spend_forecasts_orders_only(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spend model with q <= 1 (its mean spend is infinite), as small or odd data can give.
    infinite = rt.GammaGamma(p=6.0, q=0.7, gamma=15.0)
    monkeypatch.setattr(rt.GammaGamma, "fit", classmethod(lambda cls, *a, **k: infinite))
    body = rt.report(example).sections[SECTIONS.index("forecast")].body
    assert "Revenue is not forecast" in body
    assert "orders, high" in body
    assert "revenue, high" not in body


@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 9),  # customer
            st.integers(0, 420),  # day
            st.one_of(  # amounts as real logs and adversaries have them, returns among them
                st.integers(-5_000, 20_000).map(lambda c: c / 100),
                st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
                st.sampled_from([0.0, 1e16, -1e16, 1e-300, 2.0**53, 0.1]),
            ),
            st.sampled_from(["web", "store", "<i>app</i>", "$x$", None]),
        ),
        min_size=1,
        max_size=40,
    ),
    by=st.sampled_from([None, "channel"]),
    freq=st.sampled_from(["M", "W"]),
)
@settings(max_examples=12, deadline=None)
def test_any_small_table_is_a_whole_page(
    rows: list[tuple[int, int, float, str | None]], by: str | None, freq: str
) -> None:
    """Every section, every chart rendered to a PNG that decodes, no warning (warnings are errors here),
    and the KPIs of rt.kpis: whatever the table. The common battery (tests/registry.py) runs the report
    with its charts drawn but not rendered; the rendering of odd tables is tested here."""
    tx = pd.DataFrame(rows, columns=["customer_id", "day", "amount", "channel"])
    tx["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["day"], unit="D")
    page = rt.report(tx, by=by, freq=freq).to_html()
    found = parse(page)
    assert found.sections == SECTIONS
    with warnings.catch_warnings():  # the page shows the library's warnings as notes
        warnings.simplefilter("ignore", RetentionWarning)
        expected = rt.kpis(tx, freq=freq)
    check_kpis(found, expected, 0)
    assert len(found.images) == len(IMAGE.findall(page))  # every picture a PNG ...
    if expected["customers"] > 0:  # ... at least the period, cohort and survival charts
        assert len(found.images) >= 3
    for src in found.images:
        assert decode_png(src).ndim == 3


def test_empty_table_is_a_page_that_says_so(example: pd.DataFrame) -> None:
    made = rt.report(example.iloc[:0])
    found = parse(made.to_html())
    assert found.sections == SECTIONS
    assert found.images == []
    text = " ".join(found.text)
    assert "The table has no purchases" in text
    assert "No periods: the table has no purchases." in text
    assert "No predicted values: the models cannot be fitted" in text
    assert dict(made.footer)["data range"] == "no purchases"
    check_kpis(found, rt.kpis(example.iloc[:0]), 0)


def test_a_placeholder_date_far_ahead_is_a_whole_page() -> None:
    # 9999-12-31 for "no date" is common in exports: the default observation end is then 8,000 years
    # on, the cohort table has about 96,000 monthly columns, and the page was never drawn (a check of
    # the labels and of the columns took quadratic time, or a loop over the columns).
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-03-01", "9999-12-31"]),
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    made = rt.report(tx)
    found = parse(made.to_html())
    assert found.sections == SECTIONS
    assert dict(made.footer)["data range"] == "2024-01-05 to 9999-12-31"
    check_kpis(found, rt.kpis(tx), 0)


def test_one_customer_is_a_page_that_says_what_is_missing(example: pd.DataFrame) -> None:
    one = example[example["customer_id"] == 3]
    made = rt.report(one)
    found = parse(made.to_html())
    assert found.sections == SECTIONS
    text = " ".join(found.text)
    assert "The table has one customer" in text
    assert "No predicted values: the models cannot be fitted to these data" in text
    assert len(found.images) == 5  # no forecast chart
    check_kpis(found, rt.kpis(one), 0)


def test_returns_exceeding_purchases_leave_the_abc_section_out(example: pd.DataFrame) -> None:
    # A customer whose returns exceed their purchases in the window (bought before it, returned in it):
    # rt.abc_xyz refuses a negative share of the revenue; the page says so and shows everything else.
    first = example["customer_id"].iloc[0]
    tx = pd.concat(
        [example, pd.DataFrame({"customer_id": [first], "date": [example["date"].max()],
                                "amount": [-1e6], "channel": ["web"], "manager": ["ann"]})],
        ignore_index=True,
    )  # fmt: skip
    with pytest.raises(InvalidValueError, match="negative revenue"):
        rt.abc_xyz(tx)
    made = rt.report(tx)
    found = parse(made.to_html())
    assert found.sections == SECTIONS
    body = made.sections[SECTIONS.index("abc-xyz")].body
    assert "No ABC/XYZ matrix: abc_xyz needs a non-negative value per customer" in body
    assert f"customer {first}" in body
    assert "returns=&#x27;drop&#x27;" in body
    assert made.notes[0].startswith("No ABC/XYZ matrix: abc_xyz needs")  # listed at the top too
    assert html.escape(made.notes[0], quote=True) in body
    assert len(found.images) == 5  # every chart but the matrix
    # returns="drop" leaves the refund out: the matrix is back.
    assert "No ABC/XYZ matrix" not in rt.report(tx, returns="drop").to_html()


def test_without_amounts_the_money_sections_say_so(example: pd.DataFrame) -> None:
    made = rt.report(example.drop(columns="amount"))
    for anchor in ("rfm-segments", "abc-xyz", "top-customers"):
        body = made.sections[SECTIONS.index(anchor)].body
        assert "needs amounts" in body
    # The forecast of orders needs no money: its chart and table stay, without revenue.
    forecast_body = made.sections[SECTIONS.index("forecast")].body
    assert "orders, high" in forecast_body
    assert "revenue" not in forecast_body
    assert len(parse(made.to_html()).images) == 4


def hostile(example: pd.DataFrame) -> pd.DataFrame:
    """The example with string ids, the best customer's id a script, and a group label in markup."""
    best = rt.report(example, top=1).sections[SECTIONS.index("top-customers")].body
    top = re.search(r"<tbody><tr><td>(\d+)</td>", best)
    assert top is not None
    ids = example["customer_id"].astype(str).replace(top.group(1), SCRIPT_ID)
    channel = example["channel"].replace("web", "<i>web</i>")
    return example.assign(customer_id=ids, channel=channel)


def test_user_data_are_text_not_markup(example: pd.DataFrame) -> None:
    tx = hostile(example).rename(columns={"customer_id": "<b>client</b>"})
    made = rt.report(tx, customer_id="<b>client</b>", by="channel")
    page = made.to_html()
    found = parse(page)
    assert "script" not in found.tags
    assert "b" not in found.tags
    assert "i" not in found.tags
    text = "".join(found.text)
    assert SCRIPT_ID in text
    assert "<b>client</b>" in text
    assert "<i>web</i>" in text
    assert html.escape(SCRIPT_ID) in page


def test_save_and_notebook(example: pd.DataFrame, page: str, tmp_path: Path) -> None:
    made = rt.report(example)
    path = made.save(tmp_path / "r.html")
    assert path == tmp_path / "r.html"
    assert path.read_bytes() == page.encode("utf-8")
    shown = made._repr_html_()
    match = re.fullmatch(
        r'<iframe srcdoc="(.*?)" style="[^"]*" title="[^"]*"></iframe>', shown, re.S
    )
    assert match is not None
    assert html.unescape(match.group(1)) == page


def test_a_title_that_cannot_be_saved_is_refused(example: pd.DataFrame) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"'title' .* '\\ud800' at position 1, .* surrogate"
    ):
        rt.report(example, title="a\ud800b")


def objects(values: pd.Series) -> pd.Series:
    """The values as object categories: a lone surrogate fits no pyarrow string column."""
    categories = pd.Index(sorted(set(values), key=str), dtype=object)
    return pd.Series(
        pd.Categorical(values, categories=categories), index=values.index, name=values.name
    )


def renamed(tx: pd.DataFrame, old: str, new: str) -> pd.DataFrame:
    """The table with a column renamed, its column labels objects (for a name pyarrow cannot hold)."""
    out = tx.copy()
    out.columns = pd.Index([new if c == old else c for c in tx.columns], dtype=object)
    return out


LONE = "\udcff"  # a byte that is not UTF-8, as errors="surrogateescape" reads it


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        (
            "group label",
            InvalidValueError,
            r"group label 'w\\udcffeb' of the by column 'channel' holds '\\udcff' at position 1, .* surrogate.* Replace it .* 'w\?eb'",
        ),
        (
            "label of a second column",
            InvalidValueError,
            r"group label 'A\\udcffvery' of the by column 'manager' holds",
        ),
        (
            "label of a by Series",
            InvalidValueError,
            r"group label 'w\\udcffeb' of the by= Series holds",
        ),
        (
            "name of a by Series",
            InvalidParameterError,
            r"name of the by= Series, 's\\udcff', holds '\\udcff' at position 1, .* by\.rename\('s\?'\)",
        ),
        (
            "by column",
            InvalidParameterError,
            r"'by' parameter of report \(the column 'ch\\udcff'\) holds '\\udcff' at position 2, .* 'ch\?'",
        ),
        (
            "customer_id column",
            InvalidParameterError,
            r"'customer_id' parameter of report \(the column 'c\\udcff'\) holds",
        ),
        (
            "amount column",
            InvalidParameterError,
            r"'amount' parameter of report \(the column 'a\\udcff'\) holds",
        ),
        (
            "customer id",
            InvalidValueError,
            r"id 'x\\udcff' of the customer_id column 'customer_id' holds .* 'x\?'",
        ),
    ],
)
def test_data_that_cannot_be_saved_are_refused(
    example: pd.DataFrame, tmp_path: Path, case: str, error: type[Exception], message: str
) -> None:
    # Saving the page failed with a bare UnicodeEncodeError (or drawing it with matplotlib's TypeError):
    # every text from the data is refused as the title is, naming its column and the fix.
    channel = objects(example["channel"].astype(object).replace("web", f"w{LONE}eb"))
    first = example.groupby("customer_id")["channel"].first()
    series = objects(first.astype(object).replace("web", f"w{LONE}eb"))
    ids = example["customer_id"].astype(object)
    options: dict[str, object] = {}
    if case == "group label":
        tx, options["by"] = example.assign(channel=channel), "channel"
    elif case == "label of a second column":
        manager = objects(example["manager"].astype(object).replace("Avery", f"A{LONE}very"))
        tx, options["by"] = example.assign(manager=manager), ["channel", "manager"]
    elif case == "label of a by Series":
        tx, options["by"] = example, series
    elif case == "name of a by Series":
        tx, options["by"] = example, first.rename(f"s{LONE}")
    elif case == "by column":
        tx, options["by"] = renamed(example, "channel", f"ch{LONE}"), f"ch{LONE}"
    elif case == "customer_id column":
        tx, options["customer_id"] = renamed(example, "customer_id", f"c{LONE}"), f"c{LONE}"
    elif case == "amount column":
        tx, options["amount"] = renamed(example, "amount", f"a{LONE}"), f"a{LONE}"
    else:  # an id among ints, as a column of mixed ids holds it
        tx, options["top"] = example.assign(customer_id=ids.where(ids != 3, f"x{LONE}")), 3000
    with pytest.raises(error, match=message):
        rt.report(tx, **options).save(tmp_path / "r.html")  # type: ignore[arg-type]


def test_only_the_ids_the_page_lists_are_checked(example: pd.DataFrame, tmp_path: Path) -> None:
    ids = example["customer_id"].astype(object)
    tx = example.assign(customer_id=ids.where(ids != 3, f"x{LONE}"))
    page = rt.report(tx, top=1)
    assert f"x{LONE}" not in page.to_html()
    page.save(tmp_path / "r.html")  # the customer with the bad id is not among those listed


def blocks(example: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The first customers of the example in groups of 1, 2, 3, ... customers, labelled in order."""
    sizes = np.arange(1, len(labels) + 1)
    customers = np.sort(example["customer_id"].unique())[: sizes.sum()]
    group = pd.Series(np.repeat(labels, sizes), index=customers)
    some = example[example["customer_id"].isin(customers)]
    return some.assign(group=some["customer_id"].map(group))


def drawn_survival(monkeypatch: pytest.MonkeyPatch) -> list[tuple[pd.DataFrame, list[str]]]:
    """Record what the report's survival chart is given, and the labels of its legend."""
    drawn: list[tuple[pd.DataFrame, list[str]]] = []
    draw = rt.plot.survival

    def record(curve: pd.DataFrame, **options: object) -> object:
        ax = draw(curve, **options)  # type: ignore[arg-type]
        drawn.append((curve, [t.get_text() for t in ax.get_legend().get_texts()]))
        return ax

    monkeypatch.setattr(rt.plot, "survival", record)
    return drawn


def test_many_groups_draw_the_largest_curves(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fifty groups: the legend left the axes no room (matplotlib warned "constrained_layout not
    # applied", an error under pytest) and the palette's eight colours repeated.
    drawn = drawn_survival(monkeypatch)
    labels = [f"group {k:02d}" for k in range(50)]
    made = rt.report(blocks(example, labels), by="group")
    section = made.sections[SECTIONS.index("survival")].body
    assert (
        "The chart draws the 8 largest of the 50 groups; the table below lists them all." in section
    )
    assert all(f"<td>{g}</td>" in section for g in labels)
    ((curve, legend),) = drawn
    assert legend == labels[-8:]  # the largest groups, the last ones here
    assert curve.index.get_level_values(0).unique().tolist() == labels[-8:]
    (image,) = IMAGE.findall(section)
    assert decode_png(f"data:image/png;base64,{image}").ndim == 3


def test_long_labels_are_cut_in_the_pictures_only(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Labels of 300 characters beside the numbers at risk left the axes no room (matplotlib's
    # "constrained_layout not applied"); they are cut in the picture, whole in the tables.
    drawn = drawn_survival(monkeypatch)
    words = ("the app channel", "the store channel", "the web channel")
    labels = [("customers acquired through " * 12)[:285] + w for w in words]
    made = rt.report(blocks(example, labels), by="group")
    ((_, legend),) = drawn
    assert legend == [  # the start and the end of each, where they differ
        "customers acqui\N{HORIZONTAL ELLIPSIS}he app channel",
        "customers acqui\N{HORIZONTAL ELLIPSIS}store channel",
        "customers acqui\N{HORIZONTAL ELLIPSIS}he web channel",
    ]
    survival = made.sections[SECTIONS.index("survival")].body
    assert all(f"<td>{g}</td>" in survival for g in labels)
    header = made.sections[0].body
    assert all(f"<th>{g}</th>" in header for g in labels)


def test_labels_that_read_alike_when_cut_are_numbered(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = drawn_survival(monkeypatch)
    # Labels that differ in the middle only: cut, they would read alike (and be drawn as one group).
    labels = [f"{'x' * 150}{k}{'x' * 150}" for k in "ab"] + ["yes"]
    rt.report(blocks(example, labels), by="group")
    ((curve, legend),) = drawn
    assert legend == [
        f"{'x' * 13}\N{HORIZONTAL ELLIPSIS}{'x' * 13} #1",
        f"{'x' * 13}\N{HORIZONTAL ELLIPSIS}{'x' * 13} #2",
        "yes",
    ]
    assert curve.index.get_level_values(0).nunique() == 3


def test_a_dollar_in_a_label_is_drawn_as_it_is(
    example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # matplotlib read "$...$" as mathtext and failed on a word that is no command of it (ValueError).
    drawn = drawn_survival(monkeypatch)
    labels = ["$5 off", "$\\nosuch$ deal"]
    made = rt.report(blocks(example, labels), by="group")
    ((_, legend),) = drawn
    assert legend == ["\\$5 off", "\\$\\nosuch\\$ deal"]  # an escaped $ is drawn as a $
    survival = made.sections[SECTIONS.index("survival")].body
    assert all(f"<td>{g}</td>" in survival for g in labels)


def test_bad_options(example: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="'top' parameter of report"):
        rt.report(example, top=0)
    with pytest.raises(InvalidParameterError, match="'title' parameter of report"):
        rt.report(example, title=3)  # type: ignore[arg-type]
    with pytest.raises(ColumnNotFoundError, match="client"):
        rt.report(example, customer_id="client")


def test_without_matplotlib(example: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"retention-metrics\[plot\]"):
        rt.report(example)


def test_import_retention_does_not_import_matplotlib() -> None:
    code = "import retention, sys; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
