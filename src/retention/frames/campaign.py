"""Measuring a campaign: ``rt.campaign_effect`` and the random hold-out ``rt.holdout_split``.

Why one module of about 1,200 lines: ``campaign_effect`` is one function with one result
(:class:`CampaignEffect`) whose six tables (shares, means, difference-in-differences, balance, sizes, sample
ratio) are read from the same windows, groups and codes; splitting them would pass those private arrays
between modules. ``holdout_split`` makes the groups that ``campaign_effect`` reads and shares its reading of
ids and strata; its docstring is most of its length.

The adapter reads the transaction table once with :func:`retention.frames.schema.read_transactions`, turns
the contacted customers (and the comparison group) into customer codes and contact days, and calls the
numerics of :mod:`retention.core.campaign` (windows around the contact, Welch's test), of
:mod:`retention.core.stats` (Newcombe's interval, restricted mean survival time) and of
:mod:`retention.core.compare` (the two-proportion test). Nothing loops over customers or rows.

It works in two steps, so that a table on a cluster is read where it is: :func:`campaign_part_of` keeps
one row per customer of either group (the windows around the contact: counts and exact sums of that
customer's rows alone) with the counts that add up over customers (listed ids found, customers whose first
purchase is not before their contact); :func:`campaign_effect_from_part` checks the lists against the whole table,
warns, and computes every figure, interval and curve from those rows in customer order, as the
bootstrap needs them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core import campaign as _campaign
from retention.core import stats as _stats
from retention.core.caller import warn_at_caller
from retention.core.cohorts import kaplan_meier, median_time
from retention.errors import (
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    RetentionWarning,
    column_not_found,
    plain_value,
)
from retention.frames.cohorts import kaplan_meier_frame
from retention.frames.compare import frames_html, frames_text, share_difference
from retention.frames.options import (
    ALPHA,
    Days,
    Flag,
    Given,
    Interval,
    Seed,
    check_one_dimensional,
    declare,
)
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    Duration,
    Transactions,
    keyed_values,
    read_date,
    read_days,
    transaction_options,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CampaignEffect", "HoldoutSplit", "campaign_effect", "holdout_split"]

_HOLDOUT_SPLIT: Final = declare(
    "holdout_split",
    customers=Given("customer ids (a list, an Index, a Series), read by _id_index"),
    share=Interval(
        "real",
        0,
        1,
        closed="neither",
        what="a number strictly between 0 and 1 (0.1 keeps 10% of the customers out)",
        finite_what="a finite number strictly between 0 and 1 (0.1 keeps 10% of the customers out)",
    ),
    seed=Seed(),
    strata=Given("a Series mapping customer id to stratum, read by _strata"),
)
_CAMPAIGN_EFFECT: Final = declare(
    "campaign_effect",
    treated=Given("customer ids, a frame of ids and contact dates, or a holdout_split result"),
    start=Given("a date, read by schema.read_date"),
    horizon=Days(),
    control=Given("customer ids or a frame of ids and contact dates, read by _listed"),
    pre_period=Days(none=True),
    randomized=Flag(none=True),
    alpha=ALPHA,
    bootstrap=Interval(
        "integer",
        100,
        1_000_000,
        none=True,
        what="the number of resamples, a whole number from 100 to 1,000,000 (2,000 or more for 95% intervals), or None for Welch's intervals",
    ),
    seed=Seed(),
)

GROUPS: Final = ("treated", "control")
_SHARE, _REVENUE, _ORDERS, _DAYS = (
    "repurchase_share",
    "revenue_per_customer",
    "orders_per_customer",
    "days_to_next_purchase",
)


# --- the random hold-out --------------------------------------------------------------------------------


class HoldoutSplit(NamedTuple):
    """The result of :func:`holdout_split`: a tuple ``(treated, holdout)`` of customer ids.

    Passed as the ``treated`` argument of :func:`campaign_effect`, it sets both groups and tells that the
    assignment was random (so no warning that the difference is not causal).
    """

    treated: pd.Index
    """The customers to contact, in sorted order."""
    holdout: pd.Index
    """The customers kept out of the campaign (the control group), in sorted order."""


def _share_fraction(share: object, func: str) -> Fraction:
    value = _HOLDOUT_SPLIT.check("share", share, func=func)
    # The share as written (its shortest decimal), so that 10% of 25 is exactly 2.5.
    return Fraction(repr(value))


def _id_index(values: object, name: str, func: str) -> pd.Index:
    """Read customer ids (a list, array, Index or Series of ids) as an Index, without missing values."""
    check_one_dimensional(
        values,
        name,
        func,
        what="a sequence of customer ids",
        fix="Pass a list, array, pandas Index or Series of customer ids.",
    )
    # tupleize_cols=False: ids that are tuples stay one id each (object dtype), not a MultiIndex.
    ids: pd.Index = pd.Index(
        cast("Any", values.to_numpy() if isinstance(values, pd.Series) else values),
        tupleize_cols=False,
    )
    missing = np.asarray(ids.isna())
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        msg = f"The {name!r} argument of {func} holds {int(missing.sum())} missing ids, the first at position {first}. Drop them first."
        raise InvalidValueError(msg)
    return ids


def _strata(strata: object, ids: pd.Index, func: str) -> tuple[NDArray[np.int64], int]:
    """Each customer's stratum code (a missing segment is a stratum of its own), and the count."""
    if strata is None:
        return np.zeros(len(ids), dtype=np.int64), 1 if len(ids) else 0
    if not isinstance(strata, pd.Series):
        msg = f"The 'strata' parameter of {func} must be a pandas Series mapping customer id to segment; got {type(strata).__name__}."
        raise ColumnTypeError(msg)
    outcome = "one stratum of missing segments (a split without strata)"
    looked_up = keyed_values(strata, ids, name="strata", func=func, one="segment", outcome=outcome)
    codes, uniques = pd.factorize(looked_up, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def holdout_split(
    customers: object, share: float = 0.1, *, seed: object = None, strata: pd.Series | None = None
) -> HoldoutSplit:
    r"""Split customers at random into those to contact and a hold-out that is not contacted.

    A random hold-out is what makes the difference between contacted and not contacted customers the
    effect of the campaign: chance alone decides who is held out, so the two groups differ before the
    contact only by chance. Pass the result to :func:`campaign_effect` as ``treated``.

    Parameters
    ----------
    customers : list, numpy array, pandas Index or Series of customer ids
        The customers the campaign is meant for (a Series: its values). Each id once; any order (the
        result does not depend on it).
    share : float, default 0.1
        The share held out, strictly between 0 and 1.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The random seed: the same seed and customers give the same split, on every numpy version. None
        draws fresh entropy (a split that cannot be repeated: pass a seed and write it down).
    strata : pandas.Series, optional
        Customer id -> segment (an RFM segment, a channel, a manager). The hold-out is drawn within each
        segment, so every segment is held out at ``share``. Customers missing from ``strata`` (or with a
        missing segment) form a stratum of their own.

    Returns
    -------
    HoldoutSplit
        A tuple ``(treated, holdout)`` of pandas Indexes of customer ids, each sorted.

    Raises
    ------
    ColumnTypeError
        If ``customers`` is not a sequence of ids, or ``strata`` is not a Series.
    InvalidValueError
        If ``customers`` holds missing or repeated ids, or ids of types that do not sort.
    InvalidParameterError
        If ``share`` or ``seed`` is not accepted.

    See Also
    --------
    campaign_effect : Measure the campaign with the hold-out as its control group.

    Notes
    -----
    In each stratum of $n$ customers, exactly $\lfloor s\,n + 1/2 \rfloor$ are held out (the share $s$
    times the size, rounded half up, computed on the share as written: 10% of 25 is 2.5, so 3 are held
    out). So the hold-out share of a small stratum can differ from $s$ (10% of 4 customers is 0.4: none);
    the numbers per stratum are exact and known in advance, which a coin flip per customer would not give.
    Within a stratum the customers with the smallest random keys (64 random bits each, from the raw
    ``PCG64`` stream, drawn for the customers in sorted id order) are held out.

    Examples
    --------
    >>> import retention as rt
    >>> contact, holdout = rt.holdout_split(range(1, 21), share=0.25, seed=7)
    >>> len(contact), len(holdout)
    (15, 5)
    >>> holdout.equals(rt.holdout_split(list(range(20, 0, -1)), share=0.25, seed=7).holdout)
    True
    >>> segments = pd.Series(["gold"] * 4 + ["new"] * 16, index=range(1, 21))
    >>> split = rt.holdout_split(range(1, 21), share=0.25, seed=7, strata=segments)
    >>> segments[split.holdout].value_counts().sort_index()
    gold    1
    new     4
    Name: count, dtype: int64
    """
    func = "holdout_split"
    fraction = _share_fraction(share, func)
    ids = _id_index(customers, "customers", func)
    if ids.has_duplicates:
        dup = ids[ids.duplicated()][0]
        msg = f"The 'customers' argument of {func} lists customer {plain_value(dup)!r} more than once. Pass each id once (e.g. pd.unique(ids))."
        raise InvalidValueError(msg)
    try:
        ids = ids.sort_values()
    except TypeError as e:
        msg = f"The 'customers' argument of {func} mixes id types that cannot be sorted. Make them one type, e.g. pd.Index(ids).astype(str)."
        raise InvalidValueError(msg) from e
    keys = np.asarray(_HOLDOUT_SPLIT.check("seed", seed).random_raw(len(ids)), dtype=np.uint64)
    stratum, n_strata = _strata(strata, ids, func)
    sizes = np.bincount(stratum, minlength=n_strata).astype(np.int64)
    counts = _campaign.holdout_counts(sizes, fraction.numerator, fraction.denominator)
    held = _campaign.holdout_mask(stratum, keys, counts)
    return HoldoutSplit(treated=ids[~held], holdout=ids[held])


# --- the result -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignEffect:
    """The result of :func:`campaign_effect`: frames of figures, differences and checks, and the settings.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per group (index ``group``: ``"treated"``, ``"control"``): the figures after the contact.
    differences : pandas.DataFrame
        One row per measure (index ``measure``): treated minus control after the contact, with interval
        and p-value.
    did : pandas.DataFrame
        One row per measure: the difference-in-differences (change from the window before the contact to
        the window after, treated minus control), with interval and p-value.
    balance : pandas.DataFrame
        One row per measure: the groups before the contact (over ``pre_period`` days), their difference
        with interval and p-value, and the standardized difference.
    sizes : pandas.DataFrame
        One row per group: the ids listed, those that never bought, those not yet customers at their
        contact, the customers analysed and those observed for the whole horizon.
    sample_ratio : pandas.DataFrame
        One row: the chi-square test of the analysed group sizes against the listed ones (NaN when the
        control group was not listed).
    curves : pandas.DataFrame
        The Kaplan-Meier curves of the days from the contact to the next purchase (index ``group``,
        ``days``; the columns of :func:`survival_curve`).
    start : pandas.Timestamp
        The campaign start.
    horizon, pre_period : int
        The window after the contact and the window before it (balance check), in days.
    randomized : bool
        Whether the groups were assigned at random (then the difference is the campaign's effect).
    alpha : float
        1 minus the coverage of the intervals.
    """

    groups: pd.DataFrame
    differences: pd.DataFrame
    did: pd.DataFrame
    balance: pd.DataFrame
    sizes: pd.DataFrame
    sample_ratio: pd.DataFrame
    curves: pd.DataFrame
    start: pd.Timestamp
    horizon: int
    pre_period: int
    randomized: bool
    alpha: float

    def _head(self) -> str:
        n_t, n_c = (int(v) for v in self.groups["customers"])
        design = (
            "random assignment: the difference is the campaign's effect"
            if self.randomized
            else "not randomized: an association, not necessarily the campaign's effect"
        )
        return (
            f"CampaignEffect: {n_t} treated vs {n_c} control customers; start {self.start.date()}; "
            f"{self.horizon} days after the contact, {self.pre_period} before; {design}; "
            f"{100 * (1 - self.alpha):g}% intervals"
        )

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        shown = ["customers", "observed", _SHARE, _ORDERS] + (
            [_REVENUE] if _REVENUE in self.groups else []
        )
        return [
            ("Groups (after the contact)", self.groups[[*shown, "median_days_to_next_purchase"]]),
            ("Differences (treated - control)", self.differences.drop(columns="method")),
            ("Difference in differences", self.did),
            (f"Balance ({self.pre_period} days before the contact)", self.balance),
            ("Sizes", self.sizes),
        ]

    def __repr__(self) -> str:
        return frames_text(self._head(), self._frames())

    def _repr_html_(self) -> str:
        return frames_html(self._head(), self._frames())

    def plot(self, **kwargs: Any) -> Figure | Axes:
        """Draw the result with :func:`retention.plot.campaign` (keywords are passed on)."""
        from retention.plot import campaign  # noqa: PLC0415  # matplotlib only when plotting

        return campaign(self, **kwargs)


# --- reading the groups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listed:
    """A group as passed: its ids, and per id its contact day (None: the campaign start)."""

    ids: pd.Index
    days: NDArray[np.int64] | None


def _listed(
    value: object, name: str, *, customer_id: Hashable, date: Hashable, func: str
) -> _Listed:
    """Read ``treated`` or ``control``: ids, or a frame of customer and contact date (earliest per id)."""
    if not isinstance(value, pd.DataFrame):
        ids = _id_index(value, name, func)
        return _Listed(ids.unique() if ids.has_duplicates else ids, None)
    for column, role in ((customer_id, "customer_id"), (date, "date")):
        if column not in value.columns:
            error = column_not_found(column, role, value.columns)
            msg = f"The {name!r} frame of {func}: {error} (a frame of {name} customers needs a customer column and a contact date column, named like those of the transactions)."
            raise type(error)(msg)
    ids = _id_index(value[customer_id], name, func)
    days, _ = read_days(value[date], date, func)
    codes, uniques = pd.factorize(ids)
    first = np.full(len(uniques), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(
        first, np.asarray(codes, dtype=np.int64), days
    )  # a customer counts from the first contact
    return _Listed(pd.Index(uniques, tupleize_cols=False), first)


def _codes(listed: _Listed, t: Transactions, name: str, func: str) -> NDArray[np.int64]:
    """Each listed id's customer code in the table (-1: no purchase up to the observation end)."""
    try:
        codes = t.customer_ids.get_indexer(listed.ids)
    except (TypeError, ValueError, pd.errors.InvalidIndexError) as e:  # pragma: no cover - odd ids
        msg = f"The {name!r} ids of {func} cannot be matched with the table's customer ids ({e}). Pass ids of the same type."
        raise InvalidValueError(msg) from e
    return np.asarray(codes, dtype=np.int64)


def _check_found(listed: _Listed, found: int, part: CampaignPart, name: str, func: str) -> None:
    """Refuse a list of which no id is a customer of the table (ids of another type, say)."""
    if len(listed.ids) and part.n_customers and not found:
        example = plain_value(listed.ids[0])
        table_example = plain_value(part.first_id)
        msg = (
            f"None of the {len(listed.ids):,} ids in {name!r} of {func} is a customer of the table (with a "
            f"purchase up to the observation end): e.g. {example!r} ({type(example).__name__}), while "
            f"the table's ids are like {table_example!r} ({type(table_example).__name__}). Pass the ids "
            "as the table writes them (the same type), or check the observation end."
        )
        raise InvalidValueError(msg)


def _contact_days(listed: _Listed, start_day: int) -> NDArray[np.int64]:
    """Each listed id's contact day: ``start`` for ids, the frame's dates."""
    if listed.days is None:
        return np.full(len(listed.ids), start_day, dtype=np.int64)
    return listed.days


def _check_contact_days(listed: _Listed, end_day: int | None, name: str, func: str) -> None:
    """Refuse contact dates after the observation end."""
    if listed.days is None:
        return
    if end_day is not None and len(listed.days) and int(listed.days.max()) > end_day:
        late = int(np.argmax(listed.days))
        msg = (
            f"The {name!r} frame of {func} has contact dates after the observation end "
            f"({np.datetime64(end_day, 'D')}), e.g. customer {plain_value(listed.ids[late])!r} on "
            f"{np.datetime64(int(listed.days[late]), 'D')}: nothing after them is observed. Drop those "
            "contacts or pass a later observation_end."
        )
        raise InvalidParameterError(msg)


def _randomized(value: object, func: str) -> bool | None:
    flag: bool | None = _CAMPAIGN_EFFECT.check("randomized", value, func=func)
    return flag


# --- the measures ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Windows:
    """Per customer code: orders, revenue and first purchase around the contact day."""

    post_orders: NDArray[np.int64]
    pre_orders: NDArray[np.int64]  # over pre_period
    # over the horizon's length before the contact, for the difference in differences
    base_orders: NDArray[np.int64]
    post_revenue: NDArray[np.float64] | None
    pre_revenue: NDArray[np.float64] | None
    base_revenue: NDArray[np.float64] | None
    next_day: NDArray[np.int64]


def _windows(
    t: Transactions, member: NDArray[np.bool_], ref: NDArray[np.int64], horizon: int, pre: int
) -> _Windows:
    n = t.n_customers
    customer = t.customer
    keep = member[customer]
    c = customer[keep]
    rel = t.day[keep] - ref[c]
    counts = _campaign.window_counts
    post_revenue = pre_revenue = base_revenue = None
    if t.has_amounts:
        net_customer, net_day, net_amount = t.net()
        kept = member[net_customer]
        nc = net_customer[kept]
        net_rel = net_day[kept] - ref[nc]
        amounts = net_amount[kept]
        post_revenue = _campaign.window_sums(nc, net_rel, amounts, n, lo=1, hi=horizon)
        pre_revenue = _campaign.window_sums(nc, net_rel, amounts, n, lo=-pre, hi=-1)
        base_revenue = _campaign.window_sums(nc, net_rel, amounts, n, lo=-horizon, hi=-1)
    return _Windows(
        post_orders=counts(c, rel, n, 1, horizon),
        pre_orders=counts(c, rel, n, -pre, -1),
        base_orders=counts(c, rel, n, -horizon, -1),
        post_revenue=post_revenue,
        pre_revenue=pre_revenue,
        base_revenue=base_revenue,
        next_day=_campaign.first_after(c, rel, n),
    )


def _share_row(
    x: NDArray[np.bool_], y: NDArray[np.bool_], alpha: float
) -> tuple[float, float, float, float, float, float, float]:
    """Shares of two groups, their difference, Newcombe interval and two-proportion p-value."""
    n_1, n_0 = float(len(x)), float(len(y))
    s_1, s_0 = float(np.count_nonzero(x)), float(np.count_nonzero(y))
    p_1 = s_1 / n_1 if n_1 else math.nan
    p_0 = s_0 / n_0 if n_0 else math.nan
    _, low, high, p = share_difference(
        (np.array([s_1]), np.array([n_1])), (np.array([s_0]), np.array([n_0])), alpha
    )
    return p_1, p_0, p_1 - p_0, math.nan, float(low[0]), float(high[0]), float(p[0])


@dataclass(frozen=True)
class _MeanTest:
    """How differences of means are tested: Welch's t, or the percentile bootstrap."""

    alpha: float
    n_resamples: int | None = None
    bits: np.random.BitGenerator | None = None

    @property
    def method(self) -> str:
        return "welch" if self.n_resamples is None else "bootstrap"

    def __call__(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> _campaign.WelchTest:
        if self.n_resamples is None or self.bits is None:
            return _campaign.welch_test(x, y, self.alpha)
        return _campaign.bootstrap_test(
            x, y, self.alpha, n_resamples=self.n_resamples, bits=self.bits
        )


def _mean_row(
    x: NDArray[np.float64], y: NDArray[np.float64], test: _MeanTest
) -> tuple[float, float, float, float, float, float, float]:
    r = test(x, y)
    return r.mean_1, r.mean_0, r.estimate, r.standard_error, r.ci_lower, r.ci_upper, r.p_value


def _mean_test(alpha: float, bootstrap: object, seed: object, func: str) -> _MeanTest:
    resamples = _CAMPAIGN_EFFECT.check("bootstrap", bootstrap, func=func)
    if resamples is None:
        return _MeanTest(alpha)
    return _MeanTest(alpha, resamples, _CAMPAIGN_EFFECT.check("seed", seed, func=func))


def _frame(rows: Mapping[str, Sequence[float]], columns: list[str]) -> pd.DataFrame:
    index = pd.Index(list(rows), name="measure")
    values = np.array([rows[k] for k in rows], dtype=np.float64).reshape(len(rows), len(columns))
    return pd.DataFrame(values, index=index, columns=columns)


def _next_purchase(
    w: _Windows, codes: NDArray[np.int64], ref: NDArray[np.int64], end_day: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Days from the contact to the next purchase, censored at the observation end."""
    nxt = w.next_day[codes]
    event = nxt != _campaign.NO_PURCHASE
    duration = np.where(event, nxt, end_day - ref[codes])
    return duration.astype(np.int64), event


def _reaches(duration: NDArray[np.int64], event: NDArray[np.bool_], tau: int) -> bool:
    """Whether the Kaplan-Meier curve is known up to ``tau`` (its last time reaches it, or it hits 0)."""
    if len(duration) == 0:
        return False
    last = int(duration.max())
    return last >= tau or bool(event[duration == last].all())


def _sample_ratio(listed: NDArray[np.float64], analysed: NDArray[np.int64]) -> pd.DataFrame:
    statistic, p_value = math.nan, math.nan
    if not np.isnan(listed).any() and listed.sum() > 0:
        statistic, _, p_value = _campaign.sample_ratio_test(analysed, listed / listed.sum())
    return pd.DataFrame(
        {
            "expected_control_share": [
                float(listed[1] / listed.sum())
                if not np.isnan(listed).any() and listed.sum()
                else math.nan
            ],
            "control_share": [float(analysed[1] / analysed.sum()) if analysed.sum() else math.nan],
            "statistic": [statistic],
            "df": np.array([1], dtype=np.int64),
            "p_value": [p_value],
        },
        index=pd.Index(["sample ratio"], name="test"),
    )


def _check_lists(treated: _Listed, control: _Listed | None, n_customers: int, func: str) -> None:
    """Refuse an empty ``treated`` (in a table with customers) and a control that overlaps it."""
    if len(treated.ids) == 0 and n_customers:
        msg = f"The 'treated' argument of {func} holds no customers. Pass the ids of the customers contacted."
        raise InvalidParameterError(msg)
    if control is not None:
        overlap = control.ids.isin(treated.ids)
        if overlap.any():
            first = plain_value(control.ids[np.flatnonzero(overlap)[0]])
            msg = f"The 'control' group of {func} shares {int(overlap.sum()):,} customers with 'treated', e.g. {first!r}: a customer is either contacted or not. Remove them from one of the groups."
            raise InvalidValueError(msg)


def _assign(
    t: Transactions, treated: _Listed, control: _Listed | None, start_day: int, func: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Assign each customer code a group (0 treated, 1 control, -1 neither) and a reference day.

    Also returns, per group, the listed ids that are customers of the table.
    """
    n = t.n_customers
    group = np.full(n, -1, dtype=np.int64)
    ref = np.zeros(n, dtype=np.int64)
    found = np.zeros(2, dtype=np.int64)
    for g, (name, spec) in enumerate((("treated", treated), ("control", control))):
        if spec is None:  # the default control: every other customer with a purchase before start
            others = (group == -1) & (t.activity("D").first_period < start_day)
            group[others] = 1
            ref[others] = start_day
            continue
        codes = _codes(spec, t, name, func)
        hit = codes >= 0
        found[g] = int(np.count_nonzero(hit))
        group[codes[hit]] = g
        ref[codes[hit]] = _contact_days(spec, start_day)[hit]
    return group, ref, found


def _never_bought(
    part: CampaignPart, groups: _Groups, func: str
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Per group, the listed ids that never bought, and the number listed (NaN for the default control).

    Checks each list against the whole table (some id of it is a customer; no contact after the end)
    and warns about ids that never bought.
    """
    never = np.zeros(2, dtype=np.int64)
    listed = np.array([len(groups.treated.ids), math.nan], dtype=np.float64)
    for g, (name, spec) in enumerate((("treated", groups.treated), ("control", groups.control))):
        if spec is None:
            continue
        _check_found(spec, int(part.found[g]), part, name, func)
        _check_contact_days(spec, part.end_day, name, func)
        never[g] = len(spec.ids) - int(part.found[g])
        listed[g] = len(spec.ids)
    if part.n_customers and (never > 0).any():
        g = int(np.flatnonzero(never)[0])
        msg = f"{func}: {int(never[g]):,} of the {GROUPS[g]} ids never bought (no purchase up to the observation end); they are left out (see .sizes)."
        warn_at_caller(msg, RetentionWarning)
    return never, listed


def _warn(sizes: pd.DataFrame, assigned: bool | None, func: str) -> None:
    """Warn about empty groups, and that a difference without random assignment is not causal."""
    empty = [g for g in GROUPS if sizes.loc[g, "customers"] == 0]
    if empty:
        msg = f"{func}: the {' and the '.join(empty)} group{'s have' if len(empty) > 1 else ' has'} no customers (see .sizes); {'their' if len(empty) > 1 else 'its'} figures and the differences are NaN."
        warn_at_caller(msg, RetentionWarning)
    if assigned is None:
        msg = (
            f"{func}: the groups were not assigned at random (or it is not known), so the difference "
            "is an association, not necessarily the campaign's effect: contacted customers may differ "
            "from the others before the contact (see .balance and .did). For a causal estimate, hold "
            "out customers at random with rt.holdout_split and pass the split as 'treated'; pass "
            "randomized=True for a random hold-out drawn elsewhere, or randomized=False to say that it "
            "was not random."
        )
        warn_at_caller(msg, RetentionWarning)


@transaction_options
def campaign_effect(
    tx: pd.DataFrame,
    treated: object,
    *,
    start: DateLike,
    horizon: Duration = "90D",
    control: object = None,
    pre_period: Duration | None = None,
    randomized: bool | None = None,
    alpha: float = 0.05,
    bootstrap: int | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
) -> CampaignEffect:
    r"""Measure a campaign: how much more the contacted customers bought again than a comparison group.

    For the customers contacted (``treated``) and a comparison group (``control``): the share who bought
    again within ``horizon`` days of the contact, orders and revenue per customer in that window and the
    days to the next purchase; the differences with confidence intervals; the same measures before the
    contact as a balance check; a difference-in-differences estimate; and the group sizes with a
    sample-ratio test.

    Parameters
    ----------
    <transaction table>
    treated : ids, pandas.DataFrame or HoldoutSplit
        The customers contacted: a list, array, pandas Index or Series of customer ids (all contacted on
        ``start``), or, for a campaign whose contacts are spread over time, a DataFrame with the
        ``customer_id`` and ``date`` columns (named like the transactions') giving each customer's
        contact date (a customer listed several times counts from the first contact). A
        :func:`holdout_split` result sets both groups: its ``treated`` and, as the control, its
        ``holdout``.
    start : date-like
        The campaign start: the contact day of customers given as ids, and the day the default control
        group is measured from. On or before the observation end.
    horizon : int, str or timedelta, default "90D"
        The window after the contact: purchases strictly after the contact day, up to and including day
        contact + ``horizon``.
    control : ids or pandas.DataFrame, optional
        The comparison group, in the forms ``treated`` takes (ids are measured from ``start``; a frame
        gives each customer a reference date, such as the date a held-out customer would have been
        contacted). Default: every other customer with a purchase before ``start``. Must not share a
        customer with ``treated``.
    pre_period : int, str or timedelta, optional
        The length of the window before the contact for the balance check. Default: ``horizon``. (The
        difference in differences always uses a window as long as ``horizon``.)
    randomized : bool, optional
        Whether the customers were assigned to the groups at random. None (default): random only when
        ``treated`` is a :func:`holdout_split` result; otherwise a warning says that the difference is
        not causal. False: not random, said in the result without a warning. True: you assert random
        assignment (a hold-out drawn elsewhere).
    alpha : float, default 0.05
        1 minus the coverage of the intervals (0.05 gives 95% intervals).
    bootstrap : int, optional
        Give the differences of means (orders, revenue, and the changes of the difference in
        differences) percentile bootstrap intervals from this many resamples (100 to 1,000,000; 2,000 or
        more for 95% intervals) instead of Welch's. None (default): Welch's.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The seed of the bootstrap: the same seed gives the same intervals. None draws fresh entropy.
    <transaction options>

    Returns
    -------
    CampaignEffect
        ``.groups``, one row per group (``treated``, ``control``): ``customers`` (analysed: with a
        purchase before their contact day), ``observed`` (of them, those whose whole window after the
        contact lies on or before the observation end), ``repurchased`` and ``repurchase_share`` (of the
        observed, those with a purchase in the window), ``orders_per_customer`` and
        ``revenue_per_customer`` (over the observed; revenue net of returns, only when the table has
        amounts), ``median_days_to_next_purchase`` and ``days_to_next_purchase`` (the Kaplan-Meier
        median, and the restricted mean up to ``horizon`` with its standard error
        ``days_to_next_purchase_se``: the mean days to the next purchase, a customer who does not buy
        within the horizon counting as ``horizon`` days).

        ``.differences``, one row per measure (index ``measure``: ``repurchase_share``,
        ``orders_per_customer``, ``revenue_per_customer``, ``days_to_next_purchase``): ``treated``,
        ``control``, ``estimate`` (treated minus control), ``standard_error``, ``ci_lower``,
        ``ci_upper``, ``p_value`` and ``method`` (``"newcombe"``, ``"welch"`` or ``"bootstrap"``,
        ``"rmst"``).

        ``.did``, one row per measure (the first three): ``treated_change`` and ``control_change`` (the
        mean change per observed customer from the ``horizon`` days before the contact to the
        ``horizon`` days after), ``estimate`` (their difference), ``standard_error``, ``ci_lower``,
        ``ci_upper``, ``p_value``.

        ``.balance``, one row per measure (the first three) over the ``pre_period`` days before the
        contact, for all analysed customers: ``treated``, ``control``, ``estimate``,
        ``standard_error``, ``ci_lower``, ``ci_upper``, ``p_value`` and ``standardized_difference``.

        ``.sizes``, one row per group: ``listed`` (distinct ids passed; NaN for the default control),
        ``never_bought`` (listed ids without a purchase up to the observation end), ``not_yet_customer``
        (whose first purchase is on or after their contact day), ``customers`` and ``observed``.

        ``.sample_ratio``: the designed and the analysed control share and the chi-square test of one
        against the other (NaN without a listed control).

        ``.curves``: the Kaplan-Meier curves of the days to the next purchase, index (``group``,
        ``days``).

        A group without customers gives NaN figures and differences; so does a table without purchases.
        Every figure of a window that no customer of a group is observed for is NaN (never 0).

    Raises
    ------
    InvalidParameterError
        If ``start`` is after the observation end, a contact date is, ``control`` is given together with
        a :func:`holdout_split` result, ``treated`` is empty, or an option is not accepted.
    InvalidValueError
        If none of the ``treated`` (or listed ``control``) ids is a customer of the table (ids of another
        type, say), ``control`` shares customers with ``treated``, or ids are missing.
    <reading errors>
        Also if ``treated`` or ``control`` has an unusable type or lacks a column.

    Warns
    -----
    RetentionWarning
        When the assignment is not known to be random (``randomized=None`` without a hold-out): the
        difference is then not the effect of the campaign. Also when listed ids never bought (they are
        left out), and when a group has no customers.

    See Also
    --------
    holdout_split : Draw the random hold-out that makes the difference causal.
    compare_retention : Compare the retention of groups over their whole lifetimes.
    retention.stats.newcombe_interval : The interval of a difference of shares.

    Notes
    -----
    Each customer's window after the contact is the ``horizon`` days after the contact day $c$,
    $[c + 1, c + h]$; the window before is $[c - p, c - 1]$ (``pre_period`` $p$). Purchases on the
    contact day itself are in neither: they may be the purchase that triggered the contact. A customer
    is analysed when they bought before $c$, and observed for the horizon when $c + h$ is on or before
    the observation end. Orders count orders; revenue is net of returns dated in the window, summed
    exactly.

    **Shares**: the difference's interval is Newcombe's hybrid score interval (method 10 of Newcombe
    1998, :func:`retention.stats.newcombe_interval`), its p-value that of the pooled two-proportion z
    test. **Means** (orders, revenue): Welch's t interval and test, whose
    $\text{se} = \sqrt{s_1^2/n_1 + s_0^2/n_0}$ and Satterthwaite degrees of freedom allow unequal
    variances and group sizes (a hold-out is usually much smaller); by the central limit theorem it
    holds for the skewed amounts of revenue once groups have a few hundred customers. With ``bootstrap``
    the interval is instead the percentile interval of the differences of the means of resamples of
    each group (exact sums; :func:`retention.core.campaign.bootstrap_test`), which makes no normal
    approximation but needs as many customers to represent the skew. **Days to the
    next purchase**: the restricted mean survival time up to ``horizon`` of the Kaplan-Meier curve from
    the contact day (censored at the observation end) and its Greenwood-type standard error
    (:func:`retention.stats.rmst`); NaN when a curve ends, censored, before ``horizon``.

    **Difference in differences**: per observed customer, the measure in the ``horizon`` days after the
    contact minus that in the ``horizon`` days before (for the share: bought after minus bought before,
    -1, 0 or 1); the estimate is the treated mean change minus the control mean change, with Welch's
    interval on the changes. It removes a difference the groups had before the contact, assuming they
    would have changed alike without it (parallel trends).

    **Balance**: the standardized difference $(\bar x_1 - \bar x_0) / \sqrt{(s_1^2 + s_0^2)/2}$; values
    beyond about 0.1 mean that the groups differed before the contact (Austin 2009), and the difference
    after it then mixes the campaign with that.

    **Sample ratio**: with listed groups, Pearson's chi-square test of the analysed sizes against the
    listed shares; a small p-value says customers were lost unevenly between the groups.

    **Causality**: only a random assignment makes the groups alike before the contact, apart from
    chance; contacted customers chosen by a rule (recent buyers, big spenders) differ from the others
    anyway, and the difference mixes the campaign with that selection.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    .. [2] Welch, B. L. (1947). The generalization of "Student's" problem when several different
       population variances are involved. Biometrika, 34(1-2), 28-35.
    .. [3] Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
       covariates between treatment groups in propensity-score matched samples. Statistics in
       Medicine, 28(25), 3083-3107.
    .. [4] Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled Experiments. Cambridge
       University Press, chapter 21 (sample ratio mismatch).

    Examples
    --------
    >>> import pandas as pd
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3, 3, 4, 4, 4],
    ...     "date": ["2024-01-05", "2024-02-10", "2024-01-20", "2024-03-15", "2024-01-02",
    ...              "2024-02-20", "2024-01-25", "2024-02-03", "2024-04-30"],
    ...     "amount": [10.0, 20.0, 15.0, 30.0, 12.0, 8.0, 5.0, 5.0, 40.0],
    ... })
    >>> result = rt.campaign_effect(tx, [1, 2], start="2024-02-01", horizon="30D", randomized=True)
    >>> result.groups[["customers", "observed", "repurchase_share", "revenue_per_customer"]]
             customers  observed  repurchase_share  revenue_per_customer
    group
    treated          2         2               0.5                  10.0
    control          2         2               1.0                   6.5
    >>> result.differences.loc["repurchase_share", ["estimate", "ci_lower", "ci_upper"]].round(4)
    estimate   -0.5000
    ci_lower   -0.9055
    ci_upper    0.2726
    Name: repurchase_share, dtype: float64
    """
    setup = _setup(
        {
            "treated": treated,
            "start": start,
            "horizon": horizon,
            "control": control,
            "pre_period": pre_period,
            "randomized": randomized,
            "alpha": alpha,
            "bootstrap": bootstrap,
            "seed": seed,
            "customer_id": customer_id,
            "date": date,
        }
    )
    t = read_with_options(tx, locals(), func=setup.func)
    groups = _groups(setup, t.end_day)
    return _effect(_part(t, setup, groups), setup, groups)


@dataclass(frozen=True)
class _Setup:
    """The options of campaign_effect, checked before the table is read (a hold-out split unpacked)."""

    func: str
    horizon: int
    pre: int
    test: _MeanTest
    assigned: bool | None
    treated: object
    control: object
    start: object
    customer_id: Hashable
    date: Hashable


def _setup(options: Mapping[str, Any]) -> _Setup:
    func = "campaign_effect"
    horizon_days = _CAMPAIGN_EFFECT.check("horizon", options.get("horizon", "90D"))
    pre_days = _CAMPAIGN_EFFECT.check("pre_period", options.get("pre_period"))
    pre_days = horizon_days if pre_days is None else pre_days
    level = _CAMPAIGN_EFFECT.check("alpha", options.get("alpha", 0.05))
    test = _mean_test(level, options.get("bootstrap"), options.get("seed"), func)
    assigned = _randomized(options.get("randomized"), func)
    treated, control = options["treated"], options.get("control")
    if isinstance(treated, HoldoutSplit):
        if control is not None:
            msg = f"The 'control' parameter of {func} must be None when 'treated' is a holdout_split result: its hold-out is the control group. Pass control=None, or pass split.treated as 'treated'."
            raise InvalidParameterError(msg)
        split: HoldoutSplit = treated
        treated, control = split.treated, split.holdout
        if assigned is None:
            assigned = True
    return _Setup(
        func,
        horizon_days,
        pre_days,
        test,
        assigned,
        treated,
        control,
        options["start"],
        options.get("customer_id", "customer_id"),
        options.get("date", "date"),
    )


@dataclass(frozen=True)
class _Groups:
    """The campaign start and the groups as listed (read once the observation end is known)."""

    start_day: int
    treated: _Listed
    control: _Listed | None


def _groups(setup: _Setup, end_day: int | None) -> _Groups:
    func = setup.func
    start_day = read_date(setup.start, "start", func)
    if end_day is not None and start_day > end_day:
        msg = (
            f"The 'start' parameter of {func} ({np.datetime64(start_day, 'D')}) is after the observation "
            f"end ({np.datetime64(end_day, 'D')}): nothing after the contact is observed. Pass the date "
            "the campaign started, or a later observation_end."
        )
        raise InvalidParameterError(msg)
    customer_id, date = setup.customer_id, setup.date
    treated = _listed(setup.treated, "treated", customer_id=customer_id, date=date, func=func)
    control = (
        _listed(setup.control, "control", customer_id=customer_id, date=date, func=func)
        if setup.control is not None
        else None
    )
    return _Groups(start_day, treated, control)


# The per-customer columns of a CampaignPart: group, contact day, windows (revenue with amounts).
_PART_COUNTS: Final = ("group", "ref", "post_orders", "pre_orders", "base_orders", "next_day")
_PART_SUMS: Final = ("post_revenue", "pre_revenue", "base_revenue")


@dataclass(frozen=True)
class CampaignPart:
    """What :func:`campaign_effect` reads of a table: its customers in the groups, and counts that add up.

    The result of a table is :func:`campaign_effect_from_part` of :func:`campaign_part_of`; for a table
    split by customer (the partitions of a cluster), the parts' rows put together in customer order and
    their counts added make the whole table's part.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per customer of either group who bought before their contact day (index: customer id,
        sorted): ``group`` (0 treated, 1 control), ``ref`` (the contact day), the orders after the
        contact, over ``pre_period`` before it and over the horizon's length before it
        (``post_orders``, ``pre_orders``, ``base_orders``), ``next_day`` (days to the next purchase,
        :data:`retention.core.campaign.NO_PURCHASE` without one) and, with amounts, the revenue of the
        three windows (``post_revenue``, ``pre_revenue``, ``base_revenue``, exact sums).
    found : numpy.ndarray of int64
        Per group, the listed ids that are customers of the table.
    not_yet : numpy.ndarray of int64
        Per group, the customers whose first purchase is on or after their contact day.
    n_customers : int
        The customers of the table.
    first_id : object
        The table's first customer id (for messages; None without customers).
    end_day : int or None
        The observation end (days since 1970-01-01; None without purchases).
    """

    rows: pd.DataFrame
    found: NDArray[np.int64]
    not_yet: NDArray[np.int64]
    n_customers: int
    first_id: object
    end_day: int | None


def campaign_part_of(t: Transactions, options: Mapping[str, Any]) -> CampaignPart:
    """Read a table's part of a campaign: the customers of the groups, with their windows.

    ``options`` are the arguments of :func:`campaign_effect` but the table, by name. Only what depends on
    the table's own customers is read here (a list with no customer of the table is checked later,
    against the whole table, by :func:`campaign_effect_from_part`).
    """
    setup = _setup(options)
    return _part(t, setup, _groups(setup, t.end_day))


def campaign_effect_from_part(part: CampaignPart, options: Mapping[str, Any]) -> CampaignEffect:
    """Finish :func:`campaign_effect` from the whole table's part, with the options it was read with.

    For a table split by customer, ``part`` is the parts' rows put together in customer order, their
    counts added. The lists are checked against the whole table here, and the warnings are raised here.
    """
    setup = _setup(options)
    return _effect(part, setup, _groups(setup, part.end_day))


def _part(t: Transactions, setup: _Setup, groups: _Groups) -> CampaignPart:
    group, ref, found = _assign(t, groups.treated, groups.control, groups.start_day, setup.func)
    n = t.n_customers
    first_purchase = t.activity("D").first_period if n else np.empty(0, dtype=np.int64)
    eligible = first_purchase < ref
    member = (group >= 0) & eligible
    not_yet = np.array(
        [int(np.count_nonzero((group == g) & ~eligible)) for g in (0, 1)], dtype=np.int64
    )
    w = _windows(t, member, ref, setup.horizon, setup.pre)
    keep = np.flatnonzero(member)
    values = (group, ref, w.post_orders, w.pre_orders, w.base_orders, w.next_day)
    columns: dict[str, NDArray[Any]] = {
        name: v[keep] for name, v in zip(_PART_COUNTS, values, strict=True)
    }
    if w.post_revenue is not None:
        sums = (w.post_revenue, w.pre_revenue, w.base_revenue)
        columns |= {
            name: v[keep] for name, v in zip(_PART_SUMS, sums, strict=True) if v is not None
        }
    return CampaignPart(
        rows=pd.DataFrame(columns, index=t.customer_ids[keep]),
        found=found,
        not_yet=not_yet,
        n_customers=n,
        first_id=t.customer_ids[0] if n else None,
        end_day=t.end_day,
    )


def _effect(part: CampaignPart, setup: _Setup, groups: _Groups) -> CampaignEffect:
    func, horizon_days = setup.func, setup.horizon
    _check_lists(groups.treated, groups.control, part.n_customers, func)
    never, listed = _never_bought(part, groups, func)
    rows = part.rows
    group, ref = (rows[name].to_numpy(dtype=np.int64) for name in ("group", "ref"))
    has_money = _PART_SUMS[0] in rows.columns
    money = [rows[name].to_numpy(dtype=np.float64) if has_money else None for name in _PART_SUMS]
    post, pre, base = (rows[name].to_numpy(dtype=np.int64) for name in _PART_COUNTS[2:5])
    w = _Windows(
        post_orders=post,
        pre_orders=pre,
        base_orders=base,
        post_revenue=money[0],
        pre_revenue=money[1],
        base_revenue=money[2],
        next_day=rows["next_day"].to_numpy(dtype=np.int64),
    )
    end = part.end_day if part.end_day is not None else 0
    observed = ref + horizon_days <= end
    members = [np.flatnonzero(group == g) for g in (0, 1)]
    seen = [np.flatnonzero(observed & (group == g)) for g in (0, 1)]
    sizes = pd.DataFrame(
        {
            "listed": listed,
            "never_bought": never,
            "not_yet_customer": part.not_yet,
            "customers": np.array([len(m) for m in members], dtype=np.int64),
            "observed": np.array([len(s) for s in seen], dtype=np.int64),
        },
        index=pd.Index(list(GROUPS), name="group"),
    )
    _warn(sizes, setup.assigned, func)

    test = setup.test
    figures, differences, curves = _after(
        w, members, seen, ref=ref, end=end, horizon=horizon_days, test=test, has_money=has_money
    )
    did = _did(w, seen, test, has_money)
    balance = _balance(w, members, test, has_money)
    return CampaignEffect(
        groups=figures,
        differences=differences,
        did=did,
        balance=balance,
        sizes=sizes,
        sample_ratio=_sample_ratio(listed, sizes["customers"].to_numpy()),
        curves=curves,
        start=pd.Timestamp(np.datetime64(groups.start_day, "D")),
        horizon=horizon_days,
        pre_period=setup.pre,
        randomized=bool(setup.assigned),
        alpha=test.alpha,
    )


_ROW_COLUMNS: Final = [
    "treated",
    "control",
    "estimate",
    "standard_error",
    "ci_lower",
    "ci_upper",
    "p_value",
]


def _after(
    w: _Windows,
    members: list[NDArray[np.int64]],
    seen: list[NDArray[np.int64]],
    *,
    ref: NDArray[np.int64],
    end: int,
    horizon: int,
    test: _MeanTest,
    has_money: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Compute the figures after the contact per group, their differences and the next-purchase curves."""
    alpha = test.alpha
    bought = [w.post_orders[s] > 0 for s in seen]
    orders = [w.post_orders[s].astype(np.float64) for s in seen]
    columns: dict[str, list[float]] = {
        "customers": [len(m) for m in members],
        "observed": [len(s) for s in seen],
        "repurchased": [int(np.count_nonzero(b)) for b in bought],
    }
    rows = {_SHARE: _share_row(bought[0], bought[1], alpha)}
    rows[_ORDERS] = _mean_row(orders[0], orders[1], test)
    if has_money:
        assert w.post_revenue is not None
        revenue = [w.post_revenue[s] for s in seen]
        rows[_REVENUE] = _mean_row(revenue[0], revenue[1], test)
    durations = [_next_purchase(w, m, ref, end) for m in members]
    frames = []
    medians, means, errors = [], [], []
    for duration, event in durations:  # two groups
        km = kaplan_meier(duration, event)
        frames.append(kaplan_meier_frame(km, pd.Index(km.time, name="days")))
        medians.append(median_time(km.time, km.survival))
        if _reaches(duration, event, horizon):
            estimate, se = _stats.rmst(duration.astype(np.float64), event, float(horizon))
        else:
            estimate, se = math.nan, math.nan
        means.append(estimate)
        errors.append(se)
    d_row = (means[0], means[1], means[0] - means[1], math.nan, math.nan, math.nan, math.nan)
    if not (math.isnan(means[0]) or math.isnan(means[1])):
        both = np.concatenate([durations[0][0], durations[1][0]]).astype(np.float64)
        events = np.concatenate([durations[0][1], durations[1][1]])
        code = np.concatenate(
            [np.ones(len(durations[0][0]), np.int64), np.zeros(len(durations[1][0]), np.int64)]
        )
        r = _stats.rmst_difference(both, events, code, float(horizon), alpha=alpha)
        d_row = (
            means[0],
            means[1],
            r.estimate,
            r.standard_error,
            r.ci_lower,
            r.ci_upper,
            r.p_value,
        )
    rows[_DAYS] = d_row
    columns["repurchase_share"] = [rows[_SHARE][0], rows[_SHARE][1]]
    columns["orders_per_customer"] = [rows[_ORDERS][0], rows[_ORDERS][1]]
    if has_money:
        columns["revenue_per_customer"] = [rows[_REVENUE][0], rows[_REVENUE][1]]
    columns["median_days_to_next_purchase"] = medians
    columns["days_to_next_purchase"] = means
    columns["days_to_next_purchase_se"] = errors
    groups = pd.DataFrame(columns, index=pd.Index(list(GROUPS), name="group"))
    groups = groups.astype({"customers": np.int64, "observed": np.int64, "repurchased": np.int64})
    order = [_SHARE, _ORDERS] + ([_REVENUE] if has_money else []) + [_DAYS]
    differences = _frame({k: rows[k] for k in order}, _ROW_COLUMNS)
    methods = {_SHARE: "newcombe", _ORDERS: test.method, _REVENUE: test.method, _DAYS: "rmst"}
    differences["method"] = [methods[k] for k in order]
    curves = pd.concat(frames, keys=list(GROUPS), names=["group", "days"])
    return groups, differences, curves


def _did(
    w: _Windows, seen: list[NDArray[np.int64]], test: _MeanTest, has_money: bool
) -> pd.DataFrame:
    change = {
        _SHARE: [
            (w.post_orders[s] > 0).astype(np.float64) - (w.base_orders[s] > 0).astype(np.float64)
            for s in seen
        ],
        _ORDERS: [(w.post_orders[s] - w.base_orders[s]).astype(np.float64) for s in seen],
    }
    if has_money:
        assert w.post_revenue is not None
        assert w.base_revenue is not None
        change[_REVENUE] = [w.post_revenue[s] - w.base_revenue[s] for s in seen]
    rows = {k: _mean_row(v[0], v[1], test) for k, v in change.items()}
    return _frame(rows, ["treated_change", "control_change", *_ROW_COLUMNS[2:]])


def _balance(
    w: _Windows, members: list[NDArray[np.int64]], test: _MeanTest, has_money: bool
) -> pd.DataFrame:
    before = {
        _SHARE: [(w.pre_orders[m] > 0).astype(np.float64) for m in members],
        _ORDERS: [w.pre_orders[m].astype(np.float64) for m in members],
    }
    if has_money:
        assert w.pre_revenue is not None
        before[_REVENUE] = [w.pre_revenue[m] for m in members]
    rows = {_SHARE: _share_row(before[_SHARE][0] > 0, before[_SHARE][1] > 0, test.alpha)}
    rows |= {k: _mean_row(v[0], v[1], test) for k, v in before.items() if k != _SHARE}
    frame = _frame(rows, _ROW_COLUMNS)
    frame["standardized_difference"] = [
        _campaign.standardized_difference(v[0], v[1]) for v in before.values()
    ]
    return frame
