"""Contact plans per segment, and how well a log of contacts kept to them.

A thin adapter over :mod:`retention.core.contacts`: the segment labels are checked by
:func:`retention.frames.summary_schema.check_segments`, the plan and the contact log are event tables (a
customer id and a date per row) and are read by :func:`~retention.frames.schema.read_transactions`, like
every other table. The guide is ``docs/migration-and-contacts.md``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retention.core.contacts import compliance_counts, contact_schedule, match_contacts
from retention.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidParameterError,
    InvalidValueError,
    check_size,
    column_not_found,
    plain_value,
)
from retention.frames.options import MAX_DAYS, Days, Flag, Frequency, Given, Interval, declare
from retention.frames.schema import (
    Transactions,
    keyed_values,
    period_codes,
    period_start_days,
    read_date,
    read_transactions,
)
from retention.frames.summary_schema import check_segments

__all__ = ["contact_compliance", "contact_plan", "default_contact_cadence"]

_CADENCE_COLUMNS: Final = ("segment", "contacts_per_month", "goals")
_PLAN_COLUMNS: Final = ("customer_id", "segment", "due", "goal")
_MONTHS: Final = {"M": 1, "Q": 3, "Y": 12}
ALL: Final = "(all)"
"""Label of the total row of :func:`contact_compliance`."""
_CONTACT_PLAN: Final = declare(
    "contact_plan",
    cadence=Given("a cadence table as rt.default_contact_cadence makes, read by _read_cadence"),
    start=Given("a date, read by schema.read_date"),
    periods=Interval("integer", 1, None),
    freq=Frequency(
        among=tuple(_MONTHS),
        why="the cadence counts contacts per month, which do not divide into days or weeks",
    ),
)
_CONTACT_COMPLIANCE: Final = declare(
    "contact_compliance",
    owner=Given(
        "a column label of plan or done, or a Series keyed by customer id, read by _owners"
    ),
    by_segment=Flag(),
    tolerance=Days(),
)
UNASSIGNED: Final = "(unassigned)"
"""Owner of the customers whose owner is not known."""

# The default cadence; see default_contact_cadence for the reasons.
_DEFAULT_CADENCE: Final[tuple[tuple[str, int, tuple[str, ...]], ...]] = (
    ("loyal", 4, ("feedback", "service", "extra sale", "referral request", "news of offers")),
    ("new", 2, ("feedback", "service", "extra sale")),
    ("dissatisfied", 4, ("feedback", "cause of the complaint", "gift", "fix")),
    ("refused", 1, ("feedback", "cause of the complaint", "gift", "fix")),
    ("inactive", 1, ("feedback", "gift", "extra sale")),
    ("other", 1, ("feedback", "extra sale")),
)


def default_contact_cadence() -> pd.DataFrame:
    """Return the default contact cadence: how often to contact each working segment, and why.

    Returns
    -------
    pandas.DataFrame
        A new table (change it freely) with one row per segment and the columns ``segment`` (str),
        ``contacts_per_month`` (int64) and ``goals`` (a tuple of str per row: the goals that the
        segment's contacts cycle through, in order).

    See Also
    --------
    retention.contact_plan : Plans the contacts with this cadence.

    Notes
    -----
    | segment      | per month | goals, in order                                                 |
    |--------------|-----------|-----------------------------------------------------------------|
    | loyal        | 4         | feedback, service, extra sale, referral request, news of offers |
    | new          | 2         | feedback, service, extra sale                                   |
    | dissatisfied | 4         | feedback, cause of the complaint, gift, fix                     |
    | refused      | 1         | feedback, cause of the complaint, gift, fix                     |
    | inactive     | 1         | feedback, gift, extra sale                                      |
    | other        | 1         | feedback, extra sale                                            |

    Every segment is contacted at least once a month. Loyal customers are contacted three to five
    times a month; the default is the middle, four, about weekly. New customers (one
    purchase so far) get two: how did the first purchase go, help with it, then the offer of a second
    purchase, which is the hardest one to win. A dissatisfied customer has an open complaint and is
    called weekly until it is fixed, so the four goals fit in one month; a customer who refused further
    business is asked once a month, with the same goals. Inactive customers get a monthly reminder.
    ``other`` is the default label of ``rt.working_segments``: one-time buyers past ``new_within`` but
    not yet inactive (nobody, with its defaults); they are asked how the purchase went and offered a
    second one, once a month. The rows are exactly the segments ``rt.working_segments`` can return.

    Examples
    --------
    >>> import retention as rt
    >>> rt.default_contact_cadence()[["segment", "contacts_per_month"]]
            segment  contacts_per_month
    0         loyal                   4
    1           new                   2
    2  dissatisfied                   4
    3       refused                   1
    4      inactive                   1
    5         other                   1
    """
    goal_column = np.empty(len(_DEFAULT_CADENCE), dtype=object)
    goal_column[:] = [goals for _, _, goals in _DEFAULT_CADENCE]
    return pd.DataFrame(
        {
            "segment": pd.array([segment for segment, _, _ in _DEFAULT_CADENCE], dtype="str"),
            "contacts_per_month": np.array([n for _, n, _ in _DEFAULT_CADENCE], dtype=np.int64),
            "goals": goal_column,
        }
    )


def _read_cadence(
    cadence: object, func: str
) -> tuple[pd.Index, NDArray[np.int64], list[tuple[str, ...]]]:
    """Check a cadence table (or mapping); return its segments, contacts per month and goals."""
    if cadence is None:
        cadence = default_contact_cadence()
    elif isinstance(cadence, Mapping):
        try:
            rows = [(segment, n, goals) for segment, (n, goals) in cadence.items()]
        except (TypeError, ValueError) as e:
            msg = (
                f"The 'cadence' parameter of {func} maps each segment to a pair (contacts_per_month, "
                "goals), e.g. {'loyal': (4, ['feedback', 'extra sale'])}; one value is not such a pair."
            )
            raise InvalidParameterError(msg) from e
        cadence = pd.DataFrame(rows, columns=list(_CADENCE_COLUMNS))
    if not isinstance(cadence, pd.DataFrame):
        msg = (
            f"The 'cadence' parameter of {func} must be a DataFrame with the columns segment, "
            f"contacts_per_month, goals (see rt.default_contact_cadence()) or a dict; got "
            f"{type(cadence).__name__}."
        )
        raise ColumnTypeError(msg)
    for column in _CADENCE_COLUMNS:
        if column not in cadence.columns:
            raise column_not_found(column, column, cadence.columns)
    segments = pd.Index(cadence["segment"].to_numpy())
    if segments.hasnans or not segments.is_unique:
        msg = (
            f"The 'segment' column of the cadence of {func} must name each segment once, with no missing "
            f"value; got {list(segments)}."
        )
        raise InvalidValueError(msg)
    counts = cadence["contacts_per_month"]
    values = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values >= 1) & (values == np.round(values)))
    if pd.api.types.is_bool_dtype(counts.dtype) or bad.any():
        where = np.flatnonzero(bad)[0] if bad.any() else 0
        shown = counts.iloc[where]
        shown = plain_value(shown)
        msg = (
            f"The 'contacts_per_month' column of the cadence of {func} must hold whole numbers >= 1 "
            f"(every segment is contacted at least once a month); segment {segments[where]!r} has "
            f"{shown!r}. To contact a segment less often, leave its customers out of the plan."
        )
        raise InvalidValueError(msg)
    goals: list[tuple[str, ...]] = []
    for segment, value in zip(segments, cadence["goals"], strict=True):
        listed = (value,) if isinstance(value, str) else value
        if (
            not isinstance(listed, Sequence)
            or len(listed) == 0
            or not all(isinstance(g, str) for g in listed)
        ):
            msg = (
                f"The 'goals' of segment {segment!r} in the cadence of {func} must be a non-empty list "
                f"of strings, e.g. ['feedback', 'extra sale']; got {value!r}."
            )
            raise InvalidValueError(msg)
        goals.append(tuple(listed))
    return segments, values.astype(np.int64), goals


def contact_plan(
    segments: pd.Series,
    *,
    cadence: pd.DataFrame | Mapping[Any, tuple[int, Sequence[str]]] | None = None,
    start: object,
    periods: int = 1,
    freq: str = "M",
) -> pd.DataFrame:
    r"""Plan the contacts due to every customer, with the goal of each, from the customer's segment.

    Parameters
    ----------
    segments : pandas.Series
        Segment labels indexed by customer id (one row per customer), e.g. the result of
        ``rt.working_segments``. Not modified.
    cadence : pandas.DataFrame or dict, optional
        How often to contact each segment and why: a table with the columns ``segment``,
        ``contacts_per_month`` (whole numbers >= 1) and ``goals`` (a list of strings per row), as
        :func:`default_contact_cadence` returns, or a dict
        ``{segment: (contacts_per_month, [goal, ...])}``. Defaults to :func:`default_contact_cadence`.
    start : date-like
        The first day of the plan (a time of day is ignored). Required: a plan never starts "today"
        by default.
    periods : int, default 1
        Number of calendar periods planned, counting the one that contains ``start``.
    freq : {"M", "Q", "Y"}, default "M"
        The planning period. A quarter gets three months' contacts and a year twelve, spread over the
        whole period.

    Returns
    -------
    pandas.DataFrame
        One row per planned contact, sorted by customer id, then due date, with the columns
        ``customer_id``, ``segment`` (the input's dtype, so a categorical stays one), ``due``
        (datetime64[ns], midnight) and ``goal`` (str).

    Raises
    ------
    ColumnTypeError
        If ``segments`` is not a Series, its ids cannot be sorted, or ``cadence`` is neither a table nor
        a dict.
    InvalidValueError
        If a customer id is missing or repeated, a label is missing, a segment has no cadence, or the
        cadence has a count that is not a whole number >= 1 or an empty list of goals.
    InvalidParameterError
        If ``start``, ``periods`` or ``freq`` is not accepted.
    ColumnNotFoundError
        If the cadence table lacks a column.

    See Also
    --------
    retention.default_contact_cadence : The default cadence, as a table.
    retention.contact_compliance : Compares a plan with the contacts made.

    Notes
    -----
    A customer of a segment with $n$ contacts a month gets exactly $n$ contacts in every month of the
    plan ($3n$ in a quarter, $12n$ in a year). The period is cut into $n$ equal slots and each contact is
    due on the first day of its slot: with a period of $L$ days starting on day $d_0$, contact
    $i = 0, \dots, n - 1$ is due on day $d_0 + \lfloor i L / n \rfloor$. Four contacts in a 31-day month
    fall on the 1st, 8th, 16th and 24th; one falls on the 1st. When ``start`` is not the first day of its
    period the first period runs from ``start`` to its end, still with $n$ contacts, so no contact is due
    before ``start``.

    Goals cycle through the segment's list in order over the whole plan: the $k$-th contact of a
    customer ($k = 0, 1, \dots$) has goal number $k \bmod g$ of the $g$ goals, so a loyal customer
    with four contacts a month and five goals starts the second month with "news of offers".

    A segment without a cadence row is an error that names it, rather than a silent default: add a
    row for it, or leave its customers out of ``segments``.

    Examples
    --------
    >>> import retention as rt
    >>> segments = pd.Series(["loyal", "inactive", "new"], index=[101, 102, 103])
    >>> rt.contact_plan(segments, start="2024-07-01")
       customer_id   segment        due              goal
    0          101     loyal 2024-07-01          feedback
    1          101     loyal 2024-07-08           service
    2          101     loyal 2024-07-16        extra sale
    3          101     loyal 2024-07-24  referral request
    4          102  inactive 2024-07-01          feedback
    5          103       new 2024-07-01          feedback
    6          103       new 2024-07-16           service
    """
    func = "contact_plan"
    segments = check_segments(segments, f"The 'segments' argument of {func}")
    freq = _CONTACT_PLAN.check("freq", freq)
    periods = _CONTACT_PLAN.check("periods", periods)
    start_day = read_date(start, "start", func)
    cadence_segments, per_month, goals = _read_cadence(cadence, func)

    try:
        by_id = np.asarray(segments.index.argsort(), dtype=np.int64)
    except TypeError as e:
        kinds = sorted({type(v).__name__ for v in segments.index})
        msg = (
            f"The customer ids of the 'segments' argument of {func} mix types that cannot be sorted "
            f"({', '.join(kinds)}). Make them one type, e.g. segments.index.astype(str)."
        )
        raise ColumnTypeError(msg) from e
    row_of = cadence_segments.get_indexer(pd.Index(segments.to_numpy()))
    if (row_of < 0).any():
        unknown = pd.Series(segments.to_numpy()[row_of < 0]).value_counts(sort=False)
        listed = ", ".join(
            f"{label!r} ({n} customer{'s' if n != 1 else ''})" for label, n in unknown.items()
        )
        msg = (
            f"{func} has no cadence for the segments {listed}; the cadence has "
            f"{', '.join(repr(s) for s in cadence_segments)}. Add a row for each (see "
            "rt.default_contact_cadence()), or leave those customers out."
        )
        raise InvalidValueError(msg)

    first = int(period_codes(np.array([start_day], dtype="datetime64[D]"), freq)[0])
    _check_plan_size(start_day, first, int(periods), per_month[row_of], freq=freq, func=func)
    codes = np.arange(first, first + int(periods), dtype=np.int64)
    first_day = period_start_days(codes, freq)
    first_day[0] = start_day
    n_days = period_start_days(codes + 1, freq) - first_day

    row_sorted = row_of[by_id]
    schedule = contact_schedule(per_month[row_sorted] * _MONTHS[freq], first_day, n_days)
    n_goals = np.array([len(g) for g in goals], dtype=np.int64)
    goal_start = np.cumsum(n_goals) - n_goals
    all_goals = pd.array([goal for listed in goals for goal in listed], dtype="str")
    row = row_sorted[schedule.customer]
    goal = all_goals.take(goal_start[row] + schedule.number % n_goals[row])

    position = by_id[schedule.customer]
    return pd.DataFrame(
        {
            "customer_id": segments.index.take(position),
            "segment": segments.array.take(position),
            "due": schedule.due.astype("datetime64[D]").astype("datetime64[ns]"),
            "goal": goal,
        },
        columns=list(_PLAN_COLUMNS),
    )


def _check_plan_size(
    start_day: int, first: int, periods: int, per_month: NDArray[np.int64], *, freq: str, func: str
) -> None:
    """Refuse, before allocating, a plan outside the dates pandas holds or that cannot fit in memory."""
    # The first whole day of datetime64[ns] is 1677-09-22: due dates before it would wrap around.
    if start_day < -MAX_DAYS:
        msg = (
            f"The 'start' parameter of {func} is {np.datetime64(start_day, 'D')}: the plan would start "
            "before 1677-09-22, the first date pandas holds. Start the plan on that day or later."
        )
        raise InvalidParameterError(msg)
    end_day = (
        int(period_start_days(np.array([first + periods], dtype=np.int64), freq)[0])
        if periods <= MAX_DAYS
        else MAX_DAYS + 1
    )
    if end_day > MAX_DAYS:  # the last day of datetime64[ns], 2262-04-11
        msg = (
            f"The 'periods' parameter of {func} is {periods:,}: the plan would end after 2262-04-11, the "
            "last date pandas holds. Plan fewer periods (a plan is redone as customers move)."
        )
        raise InvalidParameterError(msg)
    contacts = int(per_month.sum()) * _MONTHS[freq] * periods
    # Per contact: its customer, due day, number, cadence row, goal and id positions (int64 each).
    check_size(
        contacts,
        itemsize=48,
        what=f"a plan of {periods:,} periods for {len(per_month):,} customers",
        fix="Pass fewer periods=, or plan a part of the customers at a time.",
        func=func,
    )


def _per_customer(
    values: pd.Series, customer: NDArray[np.int64], n_customers: int, what: str, func: str
) -> tuple[NDArray[np.int64], list[Any]]:
    """Code a per-row attribute of the plan that must be one value per customer.

    Returns, per customer, the code of the value (sorted order; a categorical in category order) and
    the labels; missing values become :data:`UNASSIGNED`.
    """
    codes, labels = _factorize(values, what, func)
    low = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n_customers, -1, dtype=np.int64)
    np.minimum.at(low, customer, codes)
    np.maximum.at(high, customer, codes)
    if (low != high).any():
        c = int(np.flatnonzero(low != high)[0])
        msg = (
            f"The plan given to {func} has more than one {what} for one customer (customer code {c}: "
            f"{labels[low[c]]!r} and {labels[high[c]]!r}). Give each customer one {what}."
        )
        raise InvalidValueError(msg)
    return low, labels


def _factorize(values: pd.Series, what: str, func: str) -> tuple[NDArray[np.int64], list[Any]]:
    """Sorted codes of a column; missing values get the last code, labelled :data:`UNASSIGNED`."""
    try:
        raw, uniques = pd.factorize(values, sort=True)
    except TypeError as e:
        if "unhashable" in str(e):
            msg = f"The {what} column given to {func} holds values that cannot be grouped ({str(e).splitlines()[0]}). Convert them, e.g. .astype(str)."
        else:
            msg = f"The {what} column given to {func} mixes types that cannot be sorted. Make them one type, e.g. .astype(str)."
        raise ColumnTypeError(msg) from e
    labels = list(uniques)
    codes = raw.astype(np.int64)
    if (codes < 0).any():
        codes[codes < 0] = len(labels)
        labels.append(UNASSIGNED)
    return codes, labels


def contact_compliance(
    plan: pd.DataFrame,
    done: pd.DataFrame,
    *,
    owner: Any = None,
    by_segment: bool = False,
    tolerance: object = "7D",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
) -> pd.DataFrame:
    r"""Compare planned contacts with the contacts made: how many were met, overall and by owner.

    Parameters
    ----------
    plan : pandas.DataFrame
        Planned contacts, as :func:`contact_plan` returns them: the columns ``customer_id`` and ``due``,
        plus ``segment`` for ``by_segment`` and, optionally, the ``owner`` column. Not modified.
    done : pandas.DataFrame
        The contact log, one row per contact made: a customer id and a date column, optionally a goal
        and an owner column (such as ``"manager"``). Other columns are ignored. Not modified.
    owner : column label or pandas.Series, optional
        Who is responsible for each customer (a manager): the label of a column, taken from ``plan``
        when it has the column (one owner per customer), otherwise from ``done`` (see Notes); or a
        Series mapping customer id to owner (the assignment itself, as ``by=`` takes one elsewhere;
        customers it does not list are ``"(unassigned)"``). None reports only the total.
    by_segment : bool, default False
        Also break the counts down by the plan's ``segment`` column (one segment per customer).
    tolerance : str, int or Timedelta, default "7D"
        How far from its due date a contact may fall and still meet it, in whole days (at least one).
    customer_id, date : column label, default "customer_id", "date"
        The columns of ``done`` holding the customer id and the contact date.

    Returns
    -------
    pandas.DataFrame
        One row per owner (sorted, ``"(unassigned)"`` last), per segment, or per (owner, segment) pair,
        as asked, then a total row ``"(all)"``; without ``owner`` and ``by_segment`` only the total, in
        an index named ``"group"``. The owner level is named after the column, or the Series' name
        (``"owner"`` when it has none). Columns: ``planned``, ``done``, ``met`` (int64) and ``compliance``
        (float64, ``met / planned``, in [0, 1]; NaN for an empty plan).

    Raises
    ------
    ColumnNotFoundError, ColumnTypeError, InvalidValueError
        If ``plan`` or ``done`` cannot be read (see
        :func:`~retention.frames.schema.read_transactions`), lacks the ``owner`` or ``segment`` column,
        or gives a customer two owners or two segments; if an ``owner`` Series lists a customer twice,
        or its index holds none of the plan's customers and is of another type (text ids against
        numbers).
    InvalidParameterError
        If ``tolerance`` is not a positive number of days.

    See Also
    --------
    retention.contact_plan : Makes the plan.

    Notes
    -----
    **Matching.** A logged contact meets a planned contact of the same customer when it falls within
    ``tolerance`` days of the due date, before or after. Each logged contact meets at most one planned
    contact and each planned contact is met at most once: a customer's planned contacts are taken in
    due order, each taking the earliest logged contact within its window that has not met an earlier
    one. Because all windows have the same width, this meets as many planned contacts as possible.
    The goal of a logged contact is not compared: any contact in the window counts.

    **Counts.** ``planned`` is the number of planned contacts, ``met`` those met, ``compliance``
    $=$ ``met`` $/$ ``planned``. ``done`` counts the logged contacts of the plan's customers that fall
    within the plan's window, from ``tolerance`` before the first due date to ``tolerance`` after the
    last. It is never below ``met`` (a met contact is one of them) and exceeds it by the contacts that met
    no planned contact.

    **Owners.** When ``plan`` has the owner column, each customer's owner is read there. Otherwise
    a customer's owner is the owner of their latest logged contact (of the latest day, the one that
    sorts last), and customers with no logged contact are ``"(unassigned)"``; so are missing owners.
    To credit managers for the customers assigned to them, pass the assignment itself, a Series
    indexed by customer id (see the second example).

    Examples
    --------
    >>> import retention as rt
    >>> plan = rt.contact_plan(pd.Series(["loyal", "inactive"], index=[1, 2]), start="2024-07-01")
    >>> done = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": pd.to_datetime(["2024-07-02", "2024-07-03", "2024-07-30", "2024-07-20"]),
    ...     "manager": ["ann", "ann", "ann", "bob"],
    ... })
    >>> rt.contact_compliance(plan, done, owner="manager")
             planned  done  met  compliance
    manager
    ann            4     3    3        0.75
    bob            1     1    0        0.00
    (all)          5     4    3        0.60
    >>> assigned = pd.Series(["ann", "ann"], index=[1, 2], name="manager")
    >>> rt.contact_compliance(plan, done, owner=assigned)
             planned  done  met  compliance
    manager
    ann            5     4    3        0.60
    (all)          5     4    3        0.60
    """
    func = "contact_compliance"
    by_segment = _CONTACT_COMPLIANCE.check("by_segment", by_segment)
    tol = _CONTACT_COMPLIANCE.check("tolerance", tolerance)
    logged = read_transactions(done, customer_id=customer_id, date=date, func=func)
    planned = read_transactions(plan, customer_id="customer_id", date="due", func=func)
    n_customers = planned.n_customers

    # Customers of the log, in the plan's codes (-1: not in the plan, so not counted).
    in_plan = planned.customer_ids.get_indexer(logged.customer_ids)
    logged_customer = in_plan[logged.customer].astype(np.int64, copy=False)
    counted = logged_customer >= 0
    if planned.n_rows:
        counted &= (logged.day >= int(planned.day.min()) - tol) & (
            logged.day <= int(planned.day.max()) + tol
        )
    met = match_contacts(
        planned.customer, planned.day, logged_customer[counted], logged.day[counted], tol
    )

    group = np.zeros(n_customers, dtype=np.int64)
    levels: list[tuple[Any, list[Any]]] = []
    if owner is not None:
        owner_code, owner_labels = _owners(
            plan,
            done,
            owner,
            planned=planned,
            logged=logged,
            logged_customer=logged_customer,
            func=func,
        )
        group = owner_code
        levels.append((_owner_name(owner), owner_labels))
    if by_segment:
        if "segment" not in plan.columns:
            raise column_not_found("segment", "segment", plan.columns)
        segment_code, segment_labels = _per_customer(
            plan["segment"], planned.customer, n_customers, "segment", func
        )
        group = group * len(segment_labels) + segment_code
        levels.append(("segment", segment_labels))

    sizes = [len(labels) for _, labels in levels]
    n_groups = int(np.prod(sizes)) if levels else 1
    counts = compliance_counts(
        group[planned.customer], met, group[logged_customer[counted]], n_groups
    )
    # Only groups that have customers in the plan, then the total.
    kept = (
        np.flatnonzero(np.bincount(group, minlength=n_groups) > 0)
        if levels
        else np.empty(0, dtype=np.int64)
    )
    keep = np.append(kept, n_groups).astype(np.int64)
    table = pd.DataFrame(
        {
            "planned": counts.planned[keep],
            "done": counts.done[keep],
            "met": counts.met[keep],
            "compliance": counts.compliance[keep],
        }
    )
    table.index = _group_index(keep[:-1], levels)
    return table


def _owners(
    plan: pd.DataFrame,
    done: pd.DataFrame,
    owner: Any,
    *,
    planned: Transactions,
    logged: Transactions,
    logged_customer: NDArray[np.int64],
    func: str,
) -> tuple[NDArray[np.int64], list[Any]]:
    """Per customer of the plan, the code of their owner, and the owner labels."""
    if isinstance(owner, pd.Series):
        values = keyed_values(
            owner,
            planned.customer_ids,
            name="owner",
            func=func,
            one="owner",
            outcome=f"the owner {UNASSIGNED!r}",
        )
        return _factorize(values, "owner", func)
    try:
        hash(owner)
    except TypeError as e:
        got = f"a value of type {type(owner).__name__}" if hasattr(owner, "shape") else repr(owner)
        msg = (
            f"The 'owner' parameter of {func} must be a column label of the plan or of done (such as "
            f"'manager'), or a Series of owners indexed by customer id. Got {got}."
        )
        raise InvalidParameterError(msg) from e
    n_customers = planned.n_customers
    if owner in plan.columns:
        return _per_customer(plan[owner], planned.customer, n_customers, "owner", func)
    if owner not in done.columns:
        msg = (
            f"Column {owner!r} (the owner column) of {func} is in neither the plan nor done. The plan "
            f"has: {', '.join(repr(str(c)) for c in plan.columns)}; done has: "
            f"{', '.join(repr(str(c)) for c in done.columns)}. Pass the right name with owner=..."
        )
        raise ColumnNotFoundError(msg)
    # read_transactions kept every row of done (no observation end), so rows line up with the codes.
    codes, labels = _factorize(done[owner], "owner", func)
    if UNASSIGNED not in labels:
        labels.append(UNASSIGNED)
    unassigned = labels.index(UNASSIGNED)
    result = np.full(n_customers, unassigned, dtype=np.int64)
    mine = np.flatnonzero(logged_customer >= 0)
    if len(mine):
        # The latest contact of each customer, ties to the owner that sorts last: the largest
        # (day, owner) pair, as one key per row and a running maximum per customer (no sort).
        days = logged.day[mine]
        first_day = int(days.min())
        rank = (days - first_day) * len(labels) + codes[mine]
        best = np.full(n_customers, -1, dtype=np.int64)
        np.maximum.at(best, logged_customer[mine], rank)
        seen = best >= 0
        result[seen] = best[seen] % len(labels)
    return result, labels


def _owner_name(owner: Any) -> Any:
    """Name the owner level of the table: the column's label, or the Series' name ("owner")."""
    if isinstance(owner, pd.Series):
        return owner.name if owner.name is not None else "owner"
    return owner


def _group_index(groups: NDArray[np.int64], levels: list[tuple[Any, list[Any]]]) -> pd.Index:
    """Label the rows of the compliance table: the groups kept, then the total row."""
    if not levels:
        return pd.Index([ALL], name="group")
    if len(levels) == 1:
        name, labels = levels[0]
        return pd.Index([*(labels[g] for g in groups), ALL], name=name)
    (owner_name, owners), (segment_name, segments) = levels
    owner_of, segment_of = np.divmod(groups, len(segments))
    pairs = [(owners[o], segments[s]) for o, s in zip(owner_of, segment_of, strict=True)]
    return pd.MultiIndex.from_tuples([*pairs, (ALL, ALL)], names=[owner_name, segment_name])
