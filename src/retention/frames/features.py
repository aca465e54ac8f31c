"""Customer features: the facts that segmentation rules read, one row per customer on one day.

A thin adapter: :func:`customer_features` reads the transaction table once with
:func:`~retention.frames.schema.read_transactions`, the complaints and refusals tables with
:func:`~retention.frames.events.read_events`, and counts per customer with :mod:`retention.core.segments`.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import pandas as pd

from retention.core.segments import (
    customer_totals,
)
from retention.frames.events import read_complaints, read_events
from retention.frames.options import Given, declare
from retention.frames.reading import read_with_options
from retention.frames.schema import (
    DateLike,
    transaction_options,
)

__all__ = ["customer_features"]

declare(
    "customer_features",
    complaints=Given(
        "a table of complaints (customer, date, resolved flag), read by read_complaints"
    ),
    refusals=Given("a table of refusals (customer, date), read by read_events"),
    resolved=Given("the column of resolved flags of the complaints table"),
)

_FEATURES: Final = (
    "days_since_last_purchase",
    "tenure_days",
    "orders",
    "revenue",
    "average_order_value",
    "complaints",
    "open_complaints",
    "refused",
)


@transaction_options
def customer_features(
    tx: pd.DataFrame,
    *,
    complaints: pd.DataFrame | None = None,
    refusals: pd.DataFrame | None = None,
    resolved: Any = "resolved",
    customer_id: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    order_id: Hashable | None = None,
    observation_end: DateLike | None = None,
    returns: str = "net",
) -> pd.DataFrame:
    """Collect the facts that segmentation rules read: one row per customer, on one day.

    Parameters
    ----------
    <transaction table>
    complaints : pandas.DataFrame, optional
        One row per complaint, with the columns ``customer_id`` and ``date`` (named as in ``tx``) and
        optionally ``resolved`` (True/False). Not modified.
    refusals : pandas.DataFrame, optional
        One row per refusal of further business (an unsubscription, a closed account), with the columns
        ``customer_id`` and ``date``. Not modified.
    resolved : column label or None, default "resolved"
        The column of ``complaints`` that marks resolved complaints. If the table has no column of the
        default name, or with ``resolved=None``, every complaint counts as open; a column named otherwise
        must exist.
    <transaction options>

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), with columns

        - ``days_since_last_purchase``: days from the last purchase to the observation end (int64);
        - ``tenure_days``: days from the first purchase to the observation end (int64);
        - ``orders``: the number of orders (int64);
        - ``revenue``: the revenue net of returns (float64), and ``average_order_value``:
          revenue / orders (only when the table has amounts);
        - ``complaints`` and ``open_complaints``: the complaints on or before the observation end, all
          and not resolved (int64; 0 without a complaints table);
        - ``refused``: True if the customer refused further business on or before the observation end
          (bool; False without a refusals table).

        The observation end is the day the features describe: purchases, returns, complaints and
        refusals after it are ignored, and customers whose first purchase comes later are not listed.

    Raises
    ------
    InvalidParameterError
        If ``observation_end`` is not a date or ``returns`` is not accepted.
    <reading errors>
        The same errors if the complaints or refusals table cannot be read (the messages name it), the
        ``resolved`` column holds anything but True/False, or the customer ids of an event table are of
        another kind (numbers against text) than those of ``tx``.

    See Also
    --------
    retention.working_segments : The working segments of these features.
    retention.rule_segments : Segment by your own rules.

    Notes
    -----
    **Orders and returns.** ``orders`` counts orders: rows, or distinct order ids with ``order_id`` (the
    lines of one invoice are one order, dated by its earliest line). An order of negative amount is a
    return: it is not an order, not a purchase (it moves neither ``days_since_last_purchase`` nor
    ``tenure_days``), and a customer who only returned goods is not listed; it lowers ``revenue``, which
    is the sum of the order amounts minus the returns, summed exactly. So ``average_order_value`` is the
    revenue net of returns per order. ``returns="drop"`` ignores rows of negative amount instead.

    Complaints and refusals of people who never bought (up to the observation end) are left out: the
    features describe customers. The ``resolved`` flag is read as the table has it today; a complaint
    resolved after the observation end counts as resolved, so to look back in time keep one table per day
    or filter it first. Without the optional tables the counts are 0 and ``refused`` is False: no event
    recorded.

    Examples
    --------
    >>> import retention as rt
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "bob", "cy", "cy", "cy"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-05-20", "2024-01-10",
    ...                             "2024-04-02", "2024-04-30", "2024-05-28"]),
    ...     "amount": [50.0, 70.0, 20.0, 10.0, 15.0, 20.0],
    ... })
    >>> complaints = pd.DataFrame({"customer_id": ["cy", "cy"],
    ...                            "date": pd.to_datetime(["2024-04-03", "2024-05-29"]),
    ...                            "resolved": [True, False]})
    >>> refusals = pd.DataFrame({"customer_id": ["bob"], "date": pd.to_datetime(["2024-02-01"])})
    >>> features = rt.customer_features(tx, observation_end="2024-05-31", complaints=complaints,
    ...                                 refusals=refusals)
    >>> features[["days_since_last_purchase", "tenure_days", "orders"]]
                 days_since_last_purchase  tenure_days  orders
    customer_id
    ann                                11           91       2
    bob                               142          142       1
    cy                                  3           59       3
    >>> features[["revenue", "average_order_value"]]
                 revenue  average_order_value
    customer_id
    ann            120.0                 60.0
    bob             20.0                 20.0
    cy              45.0                 15.0
    >>> features[["complaints", "open_complaints", "refused"]]
                 complaints  open_complaints  refused
    customer_id
    ann                   0                0    False
    bob                   0                0     True
    cy                    2                1    False

    Order lines and a return: ann's invoice ``i1`` has two lines, and she returns 25 a week later:

    >>> lines = pd.DataFrame({
    ...     "customer_id": ["ann", "ann", "ann", "ann"],
    ...     "invoice": ["i1", "i1", "i2", "r1"],
    ...     "date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-05-20", "2024-05-27"]),
    ...     "amount": [30.0, 20.0, 70.0, -25.0],
    ... })
    >>> lined = rt.customer_features(lines, order_id="invoice", observation_end="2024-05-31")
    >>> lined[["days_since_last_purchase", "tenure_days", "orders"]]
                 days_since_last_purchase  tenure_days  orders
    customer_id
    ann                                11           91       2
    >>> lined[["revenue", "average_order_value"]]
                 revenue  average_order_value
    customer_id
    ann             95.0                 47.5
    """
    func = "customer_features"
    t = read_with_options(tx, locals(), func=func)
    n = t.n_customers
    totals = customer_totals(
        t.customer,
        t.day,
        t.amount,
        n,
        return_customer=t.return_customer,
        return_amount=t.return_amount,
    )
    end = t.end_day if t.end_day is not None else 0
    columns: dict[str, Any] = {
        "days_since_last_purchase": end - totals.last_day,
        "tenure_days": end - totals.first_day if totals.first_day is not None else 0,
        "orders": totals.orders,
    }
    if totals.revenue is not None:
        columns["revenue"] = totals.revenue
        with np.errstate(invalid="ignore", divide="ignore"):  # no customer has 0 orders; n may be 0
            columns["average_order_value"] = totals.revenue / totals.orders
    complaint_count = np.zeros(n, dtype=np.int64)
    open_count = np.zeros(n, dtype=np.int64)
    if complaints is not None:
        code, _, flags = read_complaints(
            complaints, t, resolved, customer_id=customer_id, date=date
        )
        complaint_count = np.bincount(code, minlength=n).astype(np.int64, copy=False)
        if flags is None:
            open_count = complaint_count.copy()
        else:
            open_count = np.bincount(code[~flags], minlength=n).astype(np.int64, copy=False)
    refused = np.zeros(n, dtype=np.bool_)
    if refusals is not None:
        code, in_time, _, _ = read_events(
            refusals, "refusals", t.customer_ids, t.end_day, customer_id=customer_id, date=date
        )
        refused[code[in_time & (code >= 0)]] = True
    columns["complaints"] = complaint_count
    columns["open_complaints"] = open_count
    columns["refused"] = refused
    return pd.DataFrame(columns, index=t.customer_ids)
