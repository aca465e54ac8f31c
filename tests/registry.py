"""The registry of public functions that read a transaction table.

`tests/frames/test_common.py` runs one battery over every entry: bad input raises an error from
`retention.errors` (among it numbers and "now"/"today" as dates, amounts beyond the bound, no amount column
where money is needed), the input is never modified, row order never changes the result (to the last bit,
with cancelling and mixed-magnitude amounts drawn by hypothesis), no result depends on the clock, an empty
table gives an empty result, one customer, huge integer ids and timezone-aware dates work; and, by capability, the shared
options: `order_id` (orders made of several rows), `returns`, `by` and the amount column. Every public
function that reads transactions must be listed (a test checks the set against `rt.__all__`).
"""

from __future__ import annotations

import html
import importlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

import retention as rt
from retention.frames.engines import to_pandas


def _codes(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as their codes, so that results compare as numbers."""
    return frame.apply(lambda c: c.cat.codes if c.dtype == "category" else c)


def _comparison(result: Any) -> pd.Series:
    """The numbers of a compare_retention result (groups, differences, test) as one Series."""
    frames = (result.groups, result.differences, result.test)
    return pd.Series(np.concatenate([f.to_numpy(dtype=float).ravel() for f in frames]))


def _as_pandas(tx: Any) -> Any:
    """A table of another engine (polars, pyarrow, DuckDB, Dask, Spark) as pandas, to derive other
    arguments from (the tests' small tables: collecting a cluster's is fine here)."""
    module = type(tx).__module__.partition(".")[0]
    if module == "dask":
        return tx.compute()
    if module == "pyspark":
        return tx.toArrow().to_pandas()
    return to_pandas(tx, {}, every_column=True, func="registry")


def _event_table(tx: Any) -> Any:
    """The table as an event table (a contact log): in pandas for a cluster's table, whose functions
    read event tables whole, from pandas; as it is for the other engines."""
    return _as_pandas(tx) if type(tx).__module__.partition(".")[0] in ("dask", "pyspark") else tx


def _complaints_of(tx: Any, customer_id: Any) -> Any:
    """The table itself as a complaints table, resolved for every other customer id in sorted order."""
    tx = _as_pandas(tx)
    if not isinstance(tx, pd.DataFrame) or customer_id not in tx.columns:
        return tx
    rank = tx[customer_id].rank(method="dense").to_numpy()
    return tx.assign(resolved=rank % 2 == 0)


def _scorecard(result: Any) -> pd.Series:
    """The numbers of a scorecard (figures, ranks, differences from the rest) as one Series."""
    frames = (result.figures, result.ranks, result.versus_rest)
    return pd.Series(
        np.concatenate([f.to_numpy(dtype=float, na_value=np.nan).ravel() for f in frames])
    )


def _campaign(tx: Any, **options: Any) -> pd.Series:
    """campaign_effect with every other customer (in id order) contacted on 2024-04-01, observed up to
    2024-07-15 unless the test says otherwise; the numbers of every frame of the result as one Series.
    Its warnings (ids that only returned goods, an empty group in a one-customer table) are tested in
    tests/frames/test_campaign.py."""
    ids = pd.Index([])
    table = _as_pandas(tx)
    if isinstance(table, pd.DataFrame) and "customer_id" in table.columns:
        ids = pd.Index(pd.unique(table["customer_id"])).sort_values()[::2]
    options.setdefault("observation_end", "2024-07-15")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rt.errors.RetentionWarning)
        result = rt.campaign_effect(tx, ids, start="2024-04-01", randomized=True, **options)
    frames = (result.groups, result.differences.drop(columns="method"), result.did,
              result.balance, result.sizes, result.sample_ratio, result.curves)  # fmt: skip
    return pd.Series(np.concatenate([f.to_numpy(dtype=float).ravel() for f in frames]))


def _report_unrendered(tx: Any, **options: Any) -> pd.Series:
    """rt.report with every chart drawn on its figure but not rendered to PNG; the page's KPIs.

    The battery compares the KPIs, which stand for the page. Rendering the six PNGs (layout, Agg, PNG) took
    nine tenths of a report's time and was compared with nothing; the drawing code still runs here. The
    rendered pages are tested in tests/test_report.py, on random small tables too
    (test_any_small_table_is_a_whole_page).
    """
    module = importlib.import_module("retention.report")

    def drawn(draw: Callable[[Any], object], *, alt: str, size: tuple[float, float]) -> str:
        draw(module._figure(size).add_subplot())
        return f'<img alt="{html.escape(alt, quote=True)}">'

    with mock.patch.object(module, "_image", drawn):
        return rt.report(tx, **options).kpis


@dataclass(frozen=True)
class Entry:
    """One public function and how to call it on a transaction table.

    ``call(tx, **options)`` runs the function on a table with the columns `customer_id`, `date`,
    `amount`, `order_id` and `channel`, passing the shared options through. The flags say which shared
    options it takes, and so which common tests apply.
    """

    name: str
    function: Callable[..., Any]
    call: Callable[..., Any]
    needs_amount: bool = False  # the amount column must exist
    money: bool = False  # the result depends on amounts (revenue net of returns)
    by: bool = False  # takes by=
    compares: bool = (
        False  # by is its required second argument: the groups it compares (not a breakdown)
    )
    freq: bool = False  # takes freq=
    transactions: bool = True  # reads a transaction log (False: another log read the same way)
    lines: bool = (
        True  # order lines count as one order (False when the table is also read as events)
    )


def _entry(name: str, function: Callable[..., Any], *, fixed: dict[str, Any] | None = None, post: Callable[[Any], Any] | None = None, **flags: Any) -> Entry:  # fmt: skip
    fixed = fixed or {}

    def call(tx: Any, **options: Any) -> Any:
        result = function(tx, **fixed, **options)
        return post(result) if post is not None else result

    return Entry(name, function, call, **flags)


REGISTRY: list[Entry] = [
    # rates (frames/rates.py)
    _entry("period_retention", rt.period_retention, by=True, freq=True),
    _entry("period_retention_weekly", rt.period_retention, fixed={"freq": "W"}, by=True, freq=True),
    _entry("repeat_purchase_rate", rt.repeat_purchase_rate, by=True),
    _entry("purchase_frequency", rt.purchase_frequency, by=True),
    _entry("average_order_value", rt.average_order_value, needs_amount=True, money=True, by=True),
    _entry("time_to_second_purchase", rt.time_to_second_purchase, by=True),
    # cohorts and survival (frames/cohorts.py)
    _entry("cohort_table", rt.cohort_table, by=True, freq=True),
    _entry(
        "cohort_table_weekly_orders",
        rt.cohort_table,
        fixed={"freq": "W", "metric": "orders"},
        by=True,
        freq=True,
    ),
    _entry(
        "cohort_table_revenue_rolling",
        rt.cohort_table,
        fixed={"metric": "revenue", "kind": "rolling", "normalize": True},
        needs_amount=True,
        money=True,
        by=True,
        freq=True,
    ),
    _entry("retention_curve", rt.retention_curve, by=True, freq=True),
    _entry(
        "retention_curve_rolling", rt.retention_curve, fixed={"kind": "rolling"}, by=True, freq=True
    ),
    _entry("survival_curve", rt.survival_curve, by=True),
    # group comparisons (frames/compare.py): by is the data argument, the channel column (an empty
    # Series of groups for a table without it); all three frames' numbers compared
    Entry(
        "compare_retention",
        rt.compare_retention,
        lambda tx, **options: _comparison(
            rt.compare_retention(
                tx,
                pd.Series([], dtype=object, name="channel")
                if isinstance(tx, pd.DataFrame) and "channel" not in tx.columns
                else "channel",
                **options,
            )
        ),
        compares=True,
    ),
    # campaigns (frames/campaign.py): the contacted customers are the data, a required argument
    Entry("campaign_effect", rt.campaign_effect, _campaign, money=True),
    # complaints (frames/complaints.py): the table itself as the complaints, half of them resolved
    Entry(
        "complaint_outcomes",
        rt.complaint_outcomes,
        lambda tx, **options: _comparison(
            rt.complaint_outcomes(
                tx, _complaints_of(tx, options.get("customer_id", "customer_id")), **options
            )
        ),
        lines=False,  # every row of the complaints table is a complaint
    ),
    # the scorecard (frames/scorecard.py): by is the data argument, as for compare_retention; the table
    # itself as the complaints, the contact plan and the contact log
    Entry(
        "scorecard",
        rt.scorecard,
        lambda tx, **options: _scorecard(
            rt.scorecard(
                tx,
                pd.Series([], dtype=object, name="channel")
                if isinstance(tx, pd.DataFrame) and "channel" not in tx.columns
                else "channel",
                complaints=_complaints_of(tx, options.get("customer_id", "customer_id")),
                plan=_as_pandas(tx).rename(columns={"date": "due"})
                if hasattr(_as_pandas(tx), "rename")
                else tx,
                done=_event_table(tx),
                **options,
            )
        ),
        money=True,
        compares=True,
        freq=True,
        lines=False,  # the contact log and the complaints are read row by row
    ),
    # kpis (frames/kpis.py)
    _entry("kpis", rt.kpis, money=True, by=True, freq=True),
    # lifetime value (frames/summary.py, frames/value.py)
    _entry("rfm_summary", rt.rfm_summary, money=True, freq=True),
    _entry("historical_value", rt.historical_value, needs_amount=True, money=True, by=True),
    _entry(
        "historical_value_margin",
        rt.historical_value,
        fixed={"margin": 0.3},
        needs_amount=True,
        money=True,
        by=True,
    ),
    Entry(  # the model comes first
        "tracking_table",
        rt.tracking_table,
        lambda tx, **options: rt.tracking_table(
            rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
            tx,
            time_unit="W",
            freq="D",
            **options,
        ),
        freq=True,
    ),
    # forecasts (frames/forecast.py): the model's parameters given (no fit on seven customers), a holdout
    # from May to July unless the test sets the observation end; the per-period table compared
    Entry(
        "backtest",
        rt.backtest,
        lambda tx, **options: (
            rt.backtest(
                tx,
                model=rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
                calibration_end="2024-04-30",
                freq="M",
                spend=False,
                n_draws=0,
                **({"observation_end": "2024-07-31"} | options),
            ).table
        ),
        freq=True,
    ),
    Entry(
        "backtest_revenue",
        rt.backtest,
        lambda tx, **options: (
            rt.backtest(
                tx,
                model=rt.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
                calibration_end="2024-04-30",
                freq="M",
                spend=rt.GammaGamma(p=6.25, q=3.74, gamma=15.44),
                n_draws=0,
                **({"observation_end": "2024-07-31"} | options),
            ).table
        ),
        needs_amount=True,
        money=True,
        freq=True,
    ),
    # ABC / XYZ classification (frames/classify.py); classes compared as category codes
    _entry("abc_xyz", rt.abc_xyz, post=_codes, needs_amount=True, money=True, by=True, freq=True),
    _entry(
        "abc_xyz_orders_weekly_computed",
        rt.abc_xyz,
        fixed={"freq": "W", "metric": "orders", "abc_method": "computed"},
        post=_codes,
        by=True,
        freq=True,
    ),
    # RFM scores and customer features (frames/rfm.py, frames/features.py)
    _entry("rfm_scores", rt.rfm_scores, post=_codes, needs_amount=True, money=True, by=True),
    _entry(
        "rfm_scores_cut_points",
        rt.rfm_scores,
        fixed={"bins": 4, "cut_points": {"recency": [7, 30, 90]}},
        post=_codes,
        needs_amount=True,
        money=True,
        by=True,
    ),
    _entry("customer_features", rt.customer_features, money=True),
    Entry(  # the table itself as the complaints and refusals tables
        "customer_features_events",
        rt.customer_features,
        lambda tx, **options: rt.customer_features(tx, complaints=tx, refusals=tx, **options),
        money=True,
        lines=False,  # every row of the complaints table is a complaint
    ),
    # segment migration (frames/migration.py)
    Entry(  # the segmenter is told the same options, as the docs advise; it is per customer
        "segment_history_orders_so_far",
        rt.segment_history,
        lambda tx, **options: rt.segment_history(
            tx,
            segmenter=lambda t, as_of: rt.customer_features(
                t, **(options | {"observation_end": as_of})
            )["orders"].clip(upper=2),
            per_customer=True,
            **options,
        ).set_index(["period", "before", "after"])["customers"],
        freq=True,
    ),
    # the HTML report (report.py): its KPIs stand for the page, whose text the tests of report.py check
    Entry("report", rt.report, _report_unrendered, money=True, by=True, freq=True),
]
"""Every public function that reads transactions, some with several sets of options."""


CONTACT_LOGS: list[Entry] = [
    Entry(  # every purchase is both a planned and a logged contact; the total row
        "contact_compliance",
        rt.contact_compliance,
        lambda tx, **options: rt.contact_compliance(
            tx.rename(columns={"date": "due"}) if hasattr(tx, "rename") else tx, tx, **options
        ).loc["(all)"],
        transactions=False,
    ),
]
"""Functions that read another log (contacts) through the same reader: the basic battery only."""
