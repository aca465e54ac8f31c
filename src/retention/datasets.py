"""Data: simulated transaction logs, the built-in example and the published data sets.

Why one module of about 950 lines: the project's design gives the library's data one module, so that
``rt.simulate_transactions``, ``rt.example_transactions`` and the ``rt.load_*`` readers are found together;
the simulator, with its campaign option and its version-proof random variates, is two thirds of it, and the
loaders of the published data sets share nothing with it but that place.

:func:`simulate_transactions` draws customers from the generating process of the BG/NBD model (Fader, Hardie &
Lee 2005) for *when* they buy and of the Gamma-Gamma model (Fader & Hardie 2013) for *how much*; the models
that the library fits are therefore exactly right for its output, which makes it the reference data for tests
and benchmarks. :func:`example_transactions` is a fixed draw of it that the README and the docs use.

:func:`load_cdnow`, :func:`load_donations` and :func:`load_sbg_survival` read the real data sets of the
papers whose published estimates the library reproduces. The files ship inside the package, in
``retention/data`` with their source and licence in its README, so the tests that check published results
run from any clone.

Reproducibility: every random number comes from the raw 64-bit output of numpy's ``PCG64`` bit generator,
whose stream numpy guarantees across versions, turned into uniforms with one fixed formula; the gamma,
normal, exponential and geometric variates are made from those uniforms here (Marsaglia & Tsang's method,
Box-Muller, inversion) rather than by ``numpy.random.Generator`` methods, whose algorithms numpy may change
between versions (NEP 19). The same seed therefore gives the same table on every numpy version and platform,
up to last-bit differences of ``log``/``cos`` between math libraries, which would have to fall exactly on a
day or cent boundary to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retention.errors import InvalidParameterError, check_size
from retention.frames.options import Given, Options, declare, is_number, is_whole
from retention.frames.options import Seed as SeedOption

__all__ = [
    "example_transactions",
    "load_cdnow",
    "load_donations",
    "load_sbg_survival",
    "simulate_transactions",
]

Seed: TypeAlias = int | np.integer | np.random.SeedSequence | np.random.Generator | None
Acquisition: TypeAlias = Literal["uniform", "start"] | Sequence[object] | ArrayLike

_FUNC: Final = "simulate_transactions"
_DAYS_PER_WEEK: Final = 7.0
# Repeat purchases allowed before dropout are geometric and unbounded when p is tiny; only those before the
# window end are ever used, so a cap that no window can reach keeps the count an exact integer.
_K_CAP: Final = float(2**53)
# Every model parameter lies in [1e-100, 1e100]: far beyond any real customer base, and inside it every
# rate, ratio and gamma variate of the simulation is a finite float64 (tried: alpha below 1e-17 made rates
# whose expected counts overflowed int64, shapes below 1e-308 and values near 1.8e308 overflowed).
_PARAMETER_MIN: Final = 1e-100
_PARAMETER_MAX: Final = 1e100
# Bytes the simulation takes per customer (with its first purchase) and per repeat purchase, at its peak:
# 187 and 128 measured with tracemalloc.
_BYTES_PER_CUSTOMER: Final = 192
_BYTES_PER_PURCHASE: Final = 128
_AMOUNT_MIN: Final = 0.01
_AMOUNT_MAX: Final = 1e12
_EXAMPLE_SEED: Final = 20240101
_EXAMPLE_CHANNELS: Final = ("web", "store", "app")
_EXAMPLE_CHANNEL_CUTS: Final = (0.5, 0.8)  # web below 0.5, store below 0.8, app above: 50/30/20%
# The managers come from a stream of their own, so adding them changed no other column of the example.
_EXAMPLE_MANAGER_SEED: Final = 20240102
_EXAMPLE_MANAGERS: Final = ("Avery", "Blake", "Casey", "Drew", "Emery", "Finley")
_CDNOW_KINDS: Final = ("sample", "master")
_LOAD_CDNOW: Final = declare("load_cdnow", kind=Options(*_CDNOW_KINDS))
_MODEL_PARAMETER: Final = Given(
    "a positive finite number within the simulable range, checked by _positive"
)
_SIMULATE: Final = declare(
    "simulate_transactions",
    start=Given("a date, read by _day"),
    end=Given("a date after start, read by _day"),
    seed=SeedOption(),
    r=_MODEL_PARAMETER,
    alpha=_MODEL_PARAMETER,
    a=_MODEL_PARAMETER,
    b=_MODEL_PARAMETER,
    p=_MODEL_PARAMETER,
    q=_MODEL_PARAMETER,
    gamma=_MODEL_PARAMETER,
    acquisition=Given("'uniform', 'start' or one date per customer, read by _acquisition_days"),
    id_start=Given("an int such that every id fits int64, checked here"),
    treated=Given("customer ids to treat, read by _treatment"),
    treatment_start=Given("a date, read by _treatment"),
    lift=Given("a finite number >= 0 (0.5 raises the purchase rate by half), read by _treatment"),
)


class _Uniforms:
    """Uniform variates on (0, 1] made from the raw 64-bit output of a bit generator.

    ``(x >> 11) + 1`` scaled by ``2**-53`` uses the top 53 bits of each raw word, so every value is an exact
    multiple of ``2**-53`` in (0, 1]: never 0, so logarithms are finite. The raw stream of ``PCG64`` is the
    one part of ``numpy.random`` whose output numpy promises never to change.
    """

    def __init__(self, bit_generator: np.random.BitGenerator) -> None:
        self._bit_generator = bit_generator

    def uniform(self, n: int) -> NDArray[np.float64]:
        """Draw ``n`` uniforms on (0, 1]."""
        raw = np.asarray(self._bit_generator.random_raw(n), dtype=np.uint64)
        top = (raw >> np.uint64(11)) + np.uint64(1)
        return top.astype(np.float64) * 2.0**-53

    def normal(self, n: int) -> NDArray[np.float64]:
        """Draw ``n`` standard normals (Box-Muller, both members of each pair)."""
        half = (n + 1) // 2
        radius = np.sqrt(-2.0 * np.log(self.uniform(half)))
        angle = 2.0 * np.pi * self.uniform(half)
        return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:n]

    def exponential(self, n: int) -> NDArray[np.float64]:
        """Draw ``n`` standard exponentials by inversion."""
        return -np.log(self.uniform(n))

    def log_gamma(self, shape: float, n: int) -> NDArray[np.float64]:
        """Draw the logarithms of ``n`` Gamma(``shape``, rate 1) variates.

        Marsaglia & Tsang (2000), an exact rejection method, run as rounds over the still-rejected draws (a
        loop over rounds, not over draws: more than 95% are accepted in each). A shape below 1 uses
        Gamma(k) = Gamma(k + 1) * U^(1/k). Logarithms are returned so that tiny variates (shape 0.01 gives
        values below 1e-300) do not underflow to 0 in ratios.
        """
        boosted = shape < 1.0
        k = shape + 1.0 if boosted else shape
        d = k - 1.0 / 3.0
        c = 1.0 / np.sqrt(9.0 * d)
        out = np.empty(n, dtype=np.float64)
        todo = np.arange(n)
        while todo.size:
            x = self.normal(todo.size)
            log_u = np.log(self.uniform(todo.size))
            v = (1.0 + c * x) ** 3
            positive = v > 0.0
            log_v = np.log(np.where(positive, v, 1.0))
            accept = positive & (log_u < 0.5 * x * x + d - d * v + d * log_v)
            out[todo[accept]] = np.log(d) + log_v[accept]
            todo = todo[~accept]
        if boosted:
            out += np.log(self.uniform(n)) / shape
        return out


def _positive(name: str, value: object, model: str) -> float:
    number = float(value) if is_number(value) else np.nan
    if not (np.isfinite(number) and number > 0.0):
        msg = f"The {name!r} parameter of {_FUNC} ({model}) must be a finite number > 0. Got {value!r}."
        raise InvalidParameterError(msg)
    if not _PARAMETER_MIN <= number <= _PARAMETER_MAX:
        msg = (
            f"The {name!r} parameter of {_FUNC} ({model}) must be between {_PARAMETER_MIN:.0e} and "
            f"{_PARAMETER_MAX:.0e}. Got {value!r}. Beyond that range the draws (purchase rates of "
            "r / alpha a week, dropout probabilities from a and b, amounts from p, q and gamma) under- or "
            "overflow float64 and cannot be simulated. Pass a value within the range: alpha is per week "
            "and gamma in the currency of the amounts, so change the units rather than the process."
        )
        raise InvalidParameterError(msg)
    return number


def _day(name: str, value: object) -> np.datetime64:
    if isinstance(
        value, int | float | np.number
    ):  # pandas would read a number as nanoseconds since 1970
        msg = f"The {name!r} parameter of {_FUNC} is not a date. Got {value!r}. Pass a date such as '2024-12-31'."
        raise InvalidParameterError(msg)
    try:
        parsed: object = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as e:
        msg = f"The {name!r} parameter of {_FUNC} is not a date. Got {value!r}. Pass a date such as '2024-12-31'."
        raise InvalidParameterError(msg) from e
    if not isinstance(parsed, pd.Timestamp):  # NaT
        msg = (
            f"The {name!r} parameter of {_FUNC} is missing (NaT). Pass a date such as '2024-12-31'."
        )
        raise InvalidParameterError(msg)
    # The local calendar day, for naive and tz-aware dates alike.
    return np.datetime64(parsed.date(), "D")


def _acquisition_days(
    acquisition: object, n: int, first: np.datetime64, last: np.datetime64, uniforms: _Uniforms
) -> NDArray[np.float64]:
    """Per customer, the time of the first purchase in days after midnight of ``first``, sorted if random."""
    window = float((last - first).astype(np.int64) + 1)
    if isinstance(acquisition, str):  # "uniform" or "start", checked by the caller
        if acquisition == "uniform":
            # 1 - U is uniform on [0, 1): the acquisition instant is uniform over the whole days of the window.
            return np.sort((1.0 - uniforms.uniform(n)) * window)
        return np.zeros(n, dtype=np.float64)
    try:
        dates = pd.to_datetime(pd.Series(np.asarray(acquisition, dtype=object)), format="ISO8601")
        if isinstance(dates.dtype, pd.DatetimeTZDtype):
            dates = dates.dt.tz_localize(None)
        days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    except (TypeError, ValueError, OverflowError) as e:
        msg = (
            f"The 'acquisition' parameter of {_FUNC} must be 'uniform', 'start' or one date per customer; "
            f"its values are not dates ({str(e).splitlines()[0]}). Pass e.g. pd.date_range(...) or a list of "
            "'2024-01-31' strings."
        )
        raise InvalidParameterError(msg) from e
    if days.shape != (n,):
        msg = f"The 'acquisition' parameter of {_FUNC} must hold one date per customer ({n}). Got {days.size}."
        raise InvalidParameterError(msg)
    if np.isnat(days).any() or (days < first).any() or (days > last).any():
        msg = (
            f"The 'acquisition' dates of {_FUNC} must lie between start ({first}) and end ({last}) "
            "and must not be missing. Move them into the window or widen it."
        )
        raise InvalidParameterError(msg)
    return (days - first).astype(np.int64).astype(np.float64)


def _repeat_purchases(
    rate: NDArray[np.float64],
    allowed: NDArray[np.int64],
    horizon: NDArray[np.float64],
    uniforms: _Uniforms,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Draw the times of the repeat purchases of each customer, in days after the first purchase.

    Customer ``i`` buys at the arrival times of a Poisson process with rate ``rate[i]`` (per day) and stops
    after ``allowed[i]`` repeat purchases (dropout) or at ``horizon[i]`` (the window end), whichever comes
    first. Exponential gaps are drawn in batches: each round gives every unfinished customer as many gaps as
    the process is likely to need for the time left (mean + 2 sd + 1, never more than the purchases still
    allowed), lays them end to end with one cumulative sum, and keeps those before the horizon. A customer
    is finished once a gap crosses the horizon or the allowed purchases are used. Unused gaps are discarded,
    which does not change the law of the used ones, so the process is exact; a handful of rounds suffice.

    Returns the customer index and the time of each repeat purchase, customers in increasing order within
    a round and times increasing per customer across rounds.
    """
    n = len(rate)
    elapsed = np.zeros(n, dtype=np.float64)
    left = allowed.copy()
    active = np.flatnonzero(left > 0)
    owners: list[NDArray[np.int64]] = []
    times: list[NDArray[np.float64]] = []
    kept_so_far = 0
    while active.size:
        remaining = horizon[active] - elapsed[active]
        # In floats, capped by the purchases still allowed (< 2**53) before the cast: a huge rate gives an
        # infinite mean, which as an integer would wrap around.
        with np.errstate(over="ignore", invalid="ignore"):
            mean = rate[active] * remaining
            wanted = np.ceil(mean + 2.0 * np.sqrt(mean)) + 1.0
        batch = np.fmin(left[active].astype(np.float64), wanted).astype(np.int64)
        check_size(
            kept_so_far + n + int(batch.sum()),
            itemsize=_BYTES_PER_PURCHASE,
            what="the simulated purchases",
            fix=(
                "With these parameters the customers buy very often before they drop out: pass fewer "
                "n_customers=, a shorter window (start=, end=), a lower purchase rate (a smaller r or a "
                "larger alpha: r / alpha purchases a week) or an earlier dropout (a larger a or smaller b)."
            ),
            func=_FUNC,
        )
        local = np.repeat(np.arange(active.size), batch)
        # A rate of 0 (a gamma draw that underflowed) gives inf or nan gaps, handled by fmin below.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gaps = uniforms.exponential(local.size) / rate[active][local]
        # A gap longer than the time left ends that customer whatever its length; capping it (fmin also
        # replaces nan) keeps the one cumulative sum below, which runs across customers, small and precise.
        gaps = np.fmin(gaps, remaining[local] + 1.0)
        total = np.cumsum(gaps)
        first = np.cumsum(batch) - batch
        since = total - np.repeat(total[first] - gaps[first], batch)
        when = elapsed[active][local] + since
        inside = when < horizon[active][local]
        kept = np.bincount(local[inside], minlength=active.size)
        kept_so_far += int(kept.sum())
        owners.append(active[local[inside]])
        times.append(when[inside])
        left[active] -= kept
        ongoing = kept == batch
        elapsed[active[ongoing]] = when[(first + batch - 1)[ongoing]]
        active = active[ongoing & (left[active] > 0)]
    if not owners:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    return np.concatenate(owners), np.concatenate(times)


def simulate_transactions(
    n_customers: int,
    *,
    start: object = "2023-01-01",
    end: object = "2024-12-31",
    seed: Seed = None,
    r: float = 0.25,
    alpha: float = 4.0,
    a: float = 0.8,
    b: float = 2.5,
    p: float = 6.25,
    q: float = 3.74,
    gamma: float = 15.44,
    acquisition: Acquisition = "uniform",
    id_start: int = 1,
    treated: ArrayLike | None = None,
    treatment_start: object = None,
    lift: float = 0.0,
) -> pd.DataFrame:
    r"""Simulate a transaction log from the BG/NBD buying process with Gamma-Gamma spend.

    Each customer makes a first purchase (the acquisition) in the window, then repeat purchases as in the
    BG/NBD model until they drop out or the window ends; each purchase has a Gamma-Gamma amount.

    Parameters
    ----------
    n_customers : int
        Number of customers (every one makes at least the first purchase). 0 gives an empty table.
    start, end : date-like, default "2023-01-01", "2024-12-31"
        First and last calendar day of the window, both inclusive (a time of day is ignored). Purchases are
        observed until the end of day ``end``; ``end`` must be after ``start``.
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The random seed. The same seed gives the same table; a Generator is used (and advanced) through its
        bit generator. None draws fresh entropy.
    r, alpha : float, default 0.25, 4.0
        Shape and rate of the gamma distribution of the purchase rates $\lambda$, **in purchases per week**
        (mean $r/\alpha$ = 0.0625 a week, about 3 a year while active). Every model parameter (``r``,
        ``alpha``, ``a``, ``b``, ``p``, ``q``, ``gamma``) must lie in $[10^{-100}, 10^{100}]$.
    a, b : float, default 0.8, 2.5
        Shape parameters of the beta distribution of the dropout probabilities $p$ (mean $a/(a+b)$ = 0.24).
    p, q, gamma : float, default 6.25, 3.74, 15.44
        The Gamma-Gamma spend model: amounts are Gamma($p$, rate $\nu$) with $\nu$ ~ Gamma($q$, rate
        $\gamma$) per customer; the mean amount is $p\gamma/(q-1)$ (35.22 with the defaults, which are the
        CDNOW estimates of Fader & Hardie 2013).
    acquisition : "uniform", "start" or sequence of dates, default "uniform"
        When each customer's first purchase happens. ``"uniform"``: at an instant uniform over the whole
        window, customers numbered in order of acquisition. ``"start"``: all at midnight of ``start``, one
        cohort as in the CDNOW data. A sequence: one date per customer in ``[start, end]``, at midnight.
    id_start : int, default 1
        The id of the first customer; ids are consecutive.
    treated : array-like of int, optional
        Customer ids (from ``id_start`` on) whose purchase rate a campaign raises from
        ``treatment_start`` on, by the factor ``1 + lift``: the data of a campaign whose true effect is
        known. Needs ``treatment_start``. None (the default) simulates no campaign.
    treatment_start : date-like, optional
        The day the raised rate starts (from its midnight), within ``[start, end]``; only with
        ``treated``.
    lift : float, default 0.0
        The relative increase of the treated customers' purchase rate (0.5: half as many purchases
        again per unit of time while active), at least 0; only with ``treated``.

    Returns
    -------
    pandas.DataFrame
        One row per purchase, sorted by ``date`` then ``customer_id``, with columns ``customer_id`` (int64),
        ``date`` (datetime64[ns], midnight of the purchase day) and ``amount`` (float64, rounded to cents,
        at least 0.01).

    Raises
    ------
    InvalidParameterError
        If ``n_customers`` is not a non-negative integer, a model parameter is not a number in
        $[10^{-100}, 10^{100}]$, ``start`` or ``end`` is not a date or ``end`` is not after ``start``,
        ``acquisition`` or ``seed`` is not of an accepted form, or the ids would overflow int64. Also,
        before anything is allocated, if the log would not fit in this machine's memory: too many
        customers (about 190 bytes each), or, checked round by round as the purchases are drawn, too
        many purchases (about 130 bytes each); the message says which option to change. Also if
        ``treated``, ``treatment_start`` or ``lift`` is not accepted (ids outside the simulated ones, a
        start outside the window, a negative lift, or one of them without ``treated``).

    See Also
    --------
    example_transactions : A fixed draw with 3,000 customers.

    Notes
    -----
    Customer $i$ draws $\lambda_i \sim \mathrm{Gamma}(r, \alpha)$ (rate $\alpha$, per week),
    $p_i \sim \mathrm{Beta}(a, b)$ and $\nu_i \sim \mathrm{Gamma}(q, \gamma)$. After the first purchase,
    and after every later one, the customer drops out with probability $p_i$; while active, purchases
    arrive as a Poisson process with rate $\lambda_i$. So the number of repeat purchases the customer
    would make in unlimited time is geometric, $P(K_i = k) = p_i (1 - p_i)^k$ for $k = 0, 1, \ldots$,
    and the purchases observed are the first $\min(K_i, N_i)$ arrivals, $N_i$ being the number of
    arrivals before the window ends. Every purchase has an amount $z \sim \mathrm{Gamma}(p, \nu_i)$.

    For customers acquired at time 0, the expected number of repeat purchases by time $t$ (weeks) is
    (Fader, Hardie & Lee 2005, eq. 9)

    $$E[X(t)] = \frac{a + b - 1}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
    {}_2F_1\!\left(r, b; a + b - 1; \frac{t}{\alpha + t}\right)\right],$$

    2.41 over two years with the defaults; the mean amount is $E[z] = p\gamma / (q - 1)$
    (Fader & Hardie 2013). Purchase instants are continuous; the ``date`` column is the purchase day, so
    a customer can buy twice on one day (rare with the defaults), and daily summaries such as
    ``rfm_summary`` merge such purchases, as the published CDNOW analyses do.

    **A campaign** (``treated``): from ``treatment_start`` on, the treated customers' purchases arrive
    at rate $(1 + \text{lift})\lambda_i$. They are drawn as the purchases without a campaign plus those
    of an independent Poisson process of rate $\text{lift}\cdot\lambda_i$ from ``treatment_start`` (a
    superposition), of which the first $K_i$ repeat purchases are kept, so a customer who buys faster
    also drops out sooner, as the BG/NBD process says. The extra purchases and their amounts are drawn
    after everything else, from the same stream, so the table is the one without a campaign (same seed)
    plus the treated customers' extra purchases, minus those of their later purchases that the earlier
    dropout removes: every other customer's rows, and the treated customers' rows before
    ``treatment_start``, are identical. So the counterfactual of each treated customer is known, and
    with it the true effect of the campaign.

    The process is drawn without any loop over customers or purchases. The variates are made from the
    raw output of numpy's ``PCG64`` bit generator (see the module notes), so a seed gives the same table on
    every numpy version.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your Customers" the Easy Way: An
       Alternative to the Pareto/NBD Model. Marketing Science, 24(2), 275-284.
    .. [2] Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
       http://www.brucehardie.com/notes/025/
    .. [3] Marsaglia, G., & Tsang, W. W. (2000). A Simple Method for Generating Gamma Variables. ACM
       Transactions on Mathematical Software, 26(3), 363-372.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.simulate_transactions(1000, seed=42)
    >>> tx.head(3)
       customer_id       date  amount
    0            1 2023-01-01   41.12
    1            2 2023-01-01   20.05
    2            3 2023-01-02    6.40
    >>> len(tx), tx["customer_id"].nunique()
    (2583, 1000)
    >>> cohort = rt.simulate_transactions(5, seed=1, acquisition="start", start="2024-01-01", end="2024-03-31")
    >>> cohort.groupby("customer_id")["date"].min().unique()
    <DatetimeArray>
    ['2024-01-01 00:00:00']
    Length: 1, dtype: datetime64[ns]

    A campaign that doubles the purchase rate of customers 1 to 500 from 1 July 2024 adds purchases
    only to them, and only from then on:

    >>> campaign = rt.simulate_transactions(1000, seed=42, treated=range(1, 501),
    ...                                     treatment_start="2024-07-01", lift=1.0)
    >>> before = campaign[campaign["date"] < "2024-07-01"]
    >>> before.reset_index(drop=True).equals(tx[tx["date"] < "2024-07-01"].reset_index(drop=True))
    True
    >>> others = campaign[campaign["customer_id"] > 500]
    >>> others.reset_index(drop=True).equals(tx[tx["customer_id"] > 500].reset_index(drop=True))
    True
    """
    if not is_whole(n_customers) or n_customers < 0:
        msg = (
            f"The 'n_customers' parameter of {_FUNC} must be an integer >= 0. Got {n_customers!r}."
        )
        raise InvalidParameterError(msg)
    n = int(n_customers)
    check_size(
        n,
        itemsize=_BYTES_PER_CUSTOMER,
        what="the simulated customers (each with a first purchase)",
        fix="Pass a smaller n_customers=.",
        func=_FUNC,
    )
    first = _day("start", start)
    last = _day("end", end)
    if last <= first:
        msg = f"The 'end' parameter of {_FUNC} ({last}) must be after 'start' ({first}). Swap them or widen the window."
        raise InvalidParameterError(msg)
    r_, alpha_ = _positive("r", r, "BG/NBD"), _positive("alpha", alpha, "BG/NBD")
    a_, b_ = _positive("a", a, "BG/NBD"), _positive("b", b, "BG/NBD")
    p_, q_, gamma_ = (
        _positive("p", p, "Gamma-Gamma"),
        _positive("q", q, "Gamma-Gamma"),
        _positive("gamma", gamma, "Gamma-Gamma"),
    )
    if not is_whole(id_start):
        msg = f"The 'id_start' parameter of {_FUNC} must be an integer. Got {id_start!r}."
        raise InvalidParameterError(msg)
    info = np.iinfo(np.int64)
    if not info.min <= int(id_start) <= info.max - max(n - 1, 0):
        msg = f"The 'id_start' parameter of {_FUNC} would give ids outside int64. Got {id_start!r}."
        raise InvalidParameterError(msg)
    if isinstance(acquisition, str) and acquisition not in ("uniform", "start"):
        msg = (
            f"The 'acquisition' parameter of {_FUNC} must be 'uniform', 'start' or one date per customer. "
            f"Got {acquisition!r}."
        )
        raise InvalidParameterError(msg)
    campaign = _treatment(
        treated, treatment_start, lift, n=n, id_start=int(id_start), first=first, last=last
    )
    uniforms = _Uniforms(_SIMULATE.check("seed", seed))

    acquired = _acquisition_days(acquisition, n, first, last, uniforms)
    window = float((last - first).astype(np.int64) + 1)
    horizon = window - acquired
    rate = np.exp(uniforms.log_gamma(r_, n)) / (alpha_ * _DAYS_PER_WEEK)
    log_x, log_y = uniforms.log_gamma(a_, n), uniforms.log_gamma(b_, n)
    # Beta(a, b) as X / (X + Y) = 1 / (1 + Y / X), from the logarithms so that tiny X and Y cannot give 0 / 0.
    with np.errstate(over="ignore"):
        dropout = 1.0 / (1.0 + np.exp(log_y - log_x))
    # Dropout is possible after each *repeat* purchase, not after the first (the BG/NBD likelihood of a
    # customer without repeat purchases is exp(-lambda T)): the repeat purchases made before dropping out
    # number K >= 1 with P(K = k) = p (1 - p)^(k - 1), drawn by inversion.
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 1.0 + np.floor(np.log(uniforms.uniform(n)) / np.log1p(-dropout))
    allowed = np.where(np.isnan(k) | (k > _K_CAP), _K_CAP, k).astype(np.int64)
    log_nu = uniforms.log_gamma(q_, n) - np.log(gamma_)

    owner, since = _repeat_purchases(rate, allowed, horizon, uniforms)
    customer = np.concatenate([np.arange(n, dtype=np.int64), owner])
    day = np.floor(np.concatenate([acquired, acquired[owner] + since])).astype(np.int64)
    # acquired + since < window holds exactly; the clip only guards against the sum rounding up to it.
    np.minimum(day, int(window) - 1, out=day)
    # Rows that tie on (day, customer) are indistinguishable until amounts are drawn, so sorting the
    # combined key (by any algorithm) fixes the row order on every machine.
    key = day * max(n, 1) + customer
    key.sort()
    day, customer = np.divmod(key, max(n, 1))

    with np.errstate(over="ignore"):
        amount = np.exp(uniforms.log_gamma(p_, len(key)) - log_nu[customer])
    amount = np.clip(np.round(amount, 2), _AMOUNT_MIN, _AMOUNT_MAX)
    if campaign is not None:
        day, customer, amount = _campaign_purchases(
            campaign,
            _Drawn(day, customer, amount, owner, since, acquired, horizon, rate, allowed, log_nu),
            p_,
            int(window),
            uniforms,
        )
    dates = (first + day.astype("timedelta64[D]")).astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "customer_id": customer + np.int64(id_start),
            "date": dates,
            "amount": amount.astype(np.float64, copy=False),
        }
    )


@dataclass(frozen=True)
class _Campaign:
    """The treated customers (positions 0 .. n - 1), the treatment start (days after ``start``), the lift."""

    treated: NDArray[np.bool_]
    offset: float
    lift: float


@dataclass(frozen=True)
class _Drawn:
    """The simulation without a campaign: the sorted rows and the per-customer draws behind them."""

    day: NDArray[np.int64]
    customer: NDArray[np.int64]
    amount: NDArray[np.float64]
    owner: NDArray[np.int64]  # per repeat purchase (unsorted), the customer
    since: NDArray[np.float64]  # and its time after the first purchase, in days
    acquired: NDArray[np.float64]
    horizon: NDArray[np.float64]
    rate: NDArray[np.float64]
    allowed: NDArray[np.int64]
    log_nu: NDArray[np.float64]


def _treatment(
    treated: object,
    treatment_start: object,
    lift: object,
    *,
    n: int,
    id_start: int,
    first: np.datetime64,
    last: np.datetime64,
) -> _Campaign | None:
    """Check the campaign options; None when there is no campaign."""
    if treated is None:
        if treatment_start is not None or not (isinstance(lift, int | float) and lift == 0):
            msg = f"The 'treatment_start' and 'lift' parameters of {_FUNC} need 'treated', the ids of the customers whose purchase rate rises. Pass treated=..., or leave them at their defaults."
            raise InvalidParameterError(msg)
        return None
    value = float(lift) if is_number(lift) else np.nan
    if not (np.isfinite(value) and 0.0 <= value <= _PARAMETER_MAX):
        msg = f"The 'lift' parameter of {_FUNC} must be a finite number >= 0 (0.5 raises the purchase rate by half). Got {lift!r}."
        raise InvalidParameterError(msg)
    if treatment_start is None:
        msg = f"The 'treatment_start' parameter of {_FUNC} is needed with 'treated': the day the treated customers' purchase rate rises. Pass a date such as '2024-06-01'."
        raise InvalidParameterError(msg)
    day = _day("treatment_start", treatment_start)
    if not first <= day <= last:
        msg = f"The 'treatment_start' parameter of {_FUNC} ({day}) must lie between start ({first}) and end ({last})."
        raise InvalidParameterError(msg)
    try:
        ids = np.asarray(treated)
        if ids.ndim != 1 or not (ids.dtype.kind in "iu" or ids.size == 0):
            raise TypeError
        position = ids.astype(np.int64) - id_start
    except (TypeError, ValueError, OverflowError) as e:
        msg = f"The 'treated' parameter of {_FUNC} must be a sequence of integer customer ids. Got {type(treated).__name__}."
        raise InvalidParameterError(msg) from e
    outside = (position < 0) | (position >= n)
    if outside.any():
        bad = int(ids[np.flatnonzero(outside)[0]])
        msg = f"The 'treated' parameter of {_FUNC} holds ids that are not simulated, e.g. {bad}: the ids run from {id_start} to {id_start + n - 1}."
        raise InvalidParameterError(msg)
    mask = np.zeros(n, dtype=np.bool_)
    mask[position] = True
    return _Campaign(mask, float((day - first).astype(np.int64)), value)


def _campaign_purchases(
    campaign: _Campaign, drawn: _Drawn, p: float, window: int, uniforms: _Uniforms
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Add the treated customers' extra purchases and drop those after their (earlier) dropout.

    The extra purchases are a Poisson process of rate ``lift * rate`` from the treatment start; merged with
    the customer's purchases without a campaign, the first ``allowed`` repeat purchases are kept.
    """
    n = len(drawn.rate)
    # From the treatment start, or from the first purchase for customers acquired later.
    begin = np.maximum(campaign.offset - drawn.acquired, 0.0)
    who = np.flatnonzero(campaign.treated & (begin < drawn.horizon) & (drawn.allowed > 0))
    extra_owner = np.empty(0, dtype=np.int64)
    extra_since = np.empty(0, dtype=np.float64)
    if len(who) and campaign.lift > 0.0:
        local, since = _repeat_purchases(
            drawn.rate[who] * campaign.lift,
            drawn.allowed[who],
            drawn.horizon[who] - begin[who],
            uniforms,
        )
        extra_owner = who[local]
        extra_since = begin[extra_owner] + since
    # Merge each treated customer's repeat purchases with the extra ones; keep the first `allowed`.
    mine = campaign.treated[drawn.owner]
    owner = np.concatenate([drawn.owner[mine], extra_owner])
    when = np.concatenate([drawn.since[mine], extra_since])
    extra = np.concatenate(
        [np.zeros(int(mine.sum()), np.bool_), np.ones(len(extra_owner), np.bool_)]
    )
    order = np.lexsort((when, owner))
    sizes = np.bincount(owner, minlength=n)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts[owner[order]]
    kept = rank < drawn.allowed[owner]
    kept_original = np.bincount(owner[kept & ~extra], minlength=n)
    # The rows without a campaign: a treated customer keeps the first purchase and `kept_original` of
    # the repeat purchases, in day order (rows of one customer on one day are alike until their amounts).
    by_customer = np.argsort(drawn.customer, kind="stable")
    row_sizes = np.bincount(drawn.customer, minlength=n)
    row_starts = np.concatenate(([0], np.cumsum(row_sizes)[:-1]))
    row_rank = np.empty(len(by_customer), dtype=np.int64)
    row_rank[by_customer] = np.arange(len(by_customer)) - row_starts[drawn.customer[by_customer]]
    keep_row = ~campaign.treated[drawn.customer] | (row_rank <= kept_original[drawn.customer])
    # The extra rows, sorted by (day, customer) before their amounts are drawn, as the other rows were.
    add = kept & extra
    add_owner = owner[add]
    add_day = np.floor(drawn.acquired[add_owner] + when[add]).astype(np.int64)
    np.minimum(add_day, window - 1, out=add_day)
    key = add_day * max(n, 1) + add_owner
    key.sort()
    add_day, add_owner = np.divmod(key, max(n, 1))
    with np.errstate(over="ignore"):
        add_amount = np.exp(uniforms.log_gamma(p, len(key)) - drawn.log_nu[add_owner])
    add_amount = np.clip(np.round(add_amount, 2), _AMOUNT_MIN, _AMOUNT_MAX)
    day = np.concatenate([drawn.day[keep_row], add_day])
    customer = np.concatenate([drawn.customer[keep_row], add_owner])
    amount = np.concatenate([drawn.amount[keep_row], add_amount])
    # Sorted by day, then customer; stable, so that the rows without a campaign keep their order.
    final = np.lexsort((customer, day))
    return day[final], customer[final], amount[final]


def example_transactions() -> pd.DataFrame:
    """Return the built-in example: 3,000 simulated customers over 2023-2024.

    A fixed draw of :func:`simulate_transactions` (default parameters, seed 20240101, customers acquired
    uniformly from 2023-01-01 to 2024-12-31) with two extra per-customer columns, drawn independently of
    behaviour: ``channel``, the customer's sign-up channel (``"web"``, ``"store"`` or ``"app"`` with shares
    50/30/20%), and ``manager``, the customer's account manager (one of ``"Avery"``, ``"Blake"``,
    ``"Casey"``, ``"Drew"``, ``"Emery"`` and ``"Finley"``, each with probability 1/6). They show that extra
    columns are ignored, and give something to split results by (``by="channel"``, ``by="manager"``). The
    table is the same on every machine and numpy version, and each call returns a new copy that can be
    modified freely.

    Returns
    -------
    pandas.DataFrame
        7,533 rows sorted by date then customer id, columns ``customer_id`` (int64, 1 to 3000), ``date``
        (datetime64[ns]), ``amount`` (float64), ``channel`` (str) and ``manager`` (str). A customer has the
        same channel and manager on all of their rows.

    See Also
    --------
    simulate_transactions : The generating process and its parameters.
    load_cdnow : Real transactions: the CDNOW data of the published model fits.

    Notes
    -----
    The manager is drawn from a random stream of its own (seed 20240102), not from the one that makes the
    transactions and channels, so that adding the column changed no other value of the table.

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.example_transactions()
    >>> tx.head()
       customer_id       date  amount channel manager
    0            1 2023-01-01   26.28     web   Emery
    1            2 2023-01-01   18.59     web  Finley
    2            3 2023-01-01    8.32   store  Finley
    3            4 2023-01-01   75.68     app   Emery
    4            5 2023-01-02   28.90     web   Emery
    >>> tx["date"].min(), tx["date"].max()
    (Timestamp('2023-01-01 00:00:00'), Timestamp('2024-12-31 00:00:00'))
    >>> tx.groupby("customer_id")["manager"].first().value_counts().sort_index().to_dict()
    {'Avery': 466, 'Blake': 508, 'Casey': 519, 'Drew': 504, 'Emery': 491, 'Finley': 512}
    """
    bit_generator = np.random.PCG64(_EXAMPLE_SEED)
    tx = simulate_transactions(3000, seed=np.random.Generator(bit_generator))
    # The channel is drawn after the transactions, from the same stream, so that it never changes them.
    u = 1.0 - _Uniforms(bit_generator).uniform(3000)
    codes = np.searchsorted(np.array(_EXAMPLE_CHANNEL_CUTS), u, side="right")
    channel = np.array(_EXAMPLE_CHANNELS, dtype=object)[codes]
    row_customer = tx["customer_id"].to_numpy() - 1
    tx["channel"] = pd.Series(channel[row_customer], index=tx.index, dtype="str")
    # 1 - U lies in [0, 1 - 2**-53], so 6 (1 - U) rounds to below 6 and its floor is one of 0 .. 5, each
    # with probability 1/6.
    v = 1.0 - _Uniforms(np.random.PCG64(_EXAMPLE_MANAGER_SEED)).uniform(3000)
    manager_codes = np.floor(v * len(_EXAMPLE_MANAGERS)).astype(np.int64)
    manager = np.array(_EXAMPLE_MANAGERS, dtype=object)[manager_codes]
    tx["manager"] = pd.Series(manager[row_customer], index=tx.index, dtype="str")
    return tx


# --- the published data sets --------------------------------------------------------------------------------


def _read_packaged(
    name: str, dtype: dict[str, type], *, index_col: str | None = None
) -> pd.DataFrame:
    """Read one csv file shipped in ``retention/data`` (gzip-compressed if its name ends in ``.gz``).

    Every call reads the file again, so callers get a frame of their own that they may modify.
    """
    resource = resources.files("retention") / "data" / name
    with resource.open("rb") as handle:
        return pd.read_csv(
            handle,
            compression="gzip" if name.endswith(".gz") else None,
            dtype=dtype,
            index_col=index_col,
        )


def load_cdnow(kind: Literal["sample", "master"] = "sample") -> pd.DataFrame:
    r"""Load the CDNOW transactions: the data of the published BG/NBD, Pareto/NBD and Gamma-Gamma fits.

    CDNOW was an online music store. The data are the purchases of the 23,570 customers who made their
    first purchase there in the first quarter of 1997, followed until 30 June 1998; the ``"sample"`` is the
    1/10 sample of these customers that Fader, Hardie & Lee (2005) and later papers analyse.

    Parameters
    ----------
    kind : {"sample", "master"}, default "sample"
        ``"sample"``: the 2,357 customers of the published analyses (6,919 rows). ``"master"``: the whole
        cohort of 23,570 customers (69,659 rows).

    Returns
    -------
    pandas.DataFrame
        One row per purchase record, sorted by customer then date, with columns ``customer_id`` (int64,
        1 to 2,357 or 23,570), ``date`` (datetime64[ns], the purchase day at midnight), ``cds`` (int64,
        number of CDs bought) and ``amount`` (float64, in US dollars). A customer can have several rows on
        one day. Each call returns a new frame, which may be modified freely.

    Raises
    ------
    InvalidParameterError
        If ``kind`` is not ``"sample"`` or ``"master"``.

    See Also
    --------
    rfm_summary : The per-customer summary that the models are fitted to.
    example_transactions : A simulated table, from the BG/NBD model with parameters close to the CDNOW fit.

    Notes
    -----
    Source: the versions of ``CDNOW_sample.txt`` and ``CDNOW_master.txt`` (made available by Bruce Hardie,
    http://www.brucehardie.com/datasets/) that are distributed with the ``lifetimes`` package, MIT licence
    (Copyright (c) 2015 Cameron Davidson-Pilon), with named columns and ISO dates. They are packaged as
    ``retention/data/cdnow_sample.csv.gz`` and ``cdnow_master.csv.gz``.

    The published analyses use the sample with a 39-week calibration period ending 1997-09-30; purchases of
    one day are one transaction and times are in weeks. That summary
    (``rfm_summary(tx, time_unit="W", calibration_end="1997-09-30", amount="amount")``) has 2,357
    customers with 2,457 repeat transactions, and it reproduces:

    - BG/NBD (Fader, Hardie & Lee 2005): $r$ = 0.243, $\alpha$ = 4.414, $a$ = 0.793, $b$ = 2.426,
      log-likelihood -9582.4;
    - Pareto/NBD (values as in Fader, Hardie & Lee 2005): $r$ = 0.553, $\alpha$ = 10.578, $s$ = 0.606,
      $\beta$ = 11.669, log-likelihood -9595.0;
    - Gamma-Gamma (Fader & Hardie 2013), on the 946 customers with repeat transactions in calibration and
      their mean repeat spend: $p$ = 6.25, $q$ = 3.74, $\gamma$ = 15.44, log-likelihood -4055.9.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your Customers" the Easy Way: An
       Alternative to the Pareto/NBD Model. Marketing Science, 24(2), 275-284.
    .. [2] Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
       http://www.brucehardie.com/notes/025/

    Examples
    --------
    >>> import retention as rt
    >>> tx = rt.load_cdnow()
    >>> tx.head(3)
       customer_id       date  cds  amount
    0            1 1997-01-01    2   29.33
    1            1 1997-01-18    2   29.73
    2            1 1997-08-02    1   14.96
    >>> tx.shape, tx["customer_id"].nunique()
    ((6919, 4), 2357)
    >>> summary = rt.rfm_summary(tx, time_unit="W", calibration_end="1997-09-30")
    >>> len(summary), int(summary["frequency"].sum())
    (2357, 2457)
    >>> model = rt.BetaGeo.fit(summary)
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(model.loglik, 1)
    -9582.4

    The whole cohort is ten times larger:

    >>> master = rt.load_cdnow("master")
    >>> master.shape, master["customer_id"].nunique()
    ((69659, 4), 23570)
    """
    _LOAD_CDNOW.check("kind", kind)
    tx = _read_packaged(
        f"cdnow_{kind}.csv.gz",
        dtype={"customer_id": np.int64, "date": str, "cds": np.int64, "amount": np.float64},
    )
    tx["date"] = pd.to_datetime(tx["date"], format="%Y-%m-%d").astype("datetime64[ns]")
    return tx


def load_donations() -> pd.DataFrame:
    r"""Load the repeat donations of the 1995 cohort: the data of the published BG/BB fit.

    The 11,104 people who first donated to a nonprofit organisation in 1995, and whether they donated again
    in each of the 6 following years (1996-2001), as repeat-transaction patterns: one row per combination
    of frequency and recency, with the number of donors who show it.

    Returns
    -------
    pandas.DataFrame
        22 rows, one per pattern, with int64 columns ``frequency`` (years with a repeat donation, 0 to 6),
        ``recency`` (the last such year, 1 to 6, or 0 for none), ``periods`` (the 6 opportunities) and
        ``weights`` (the number of donors with the pattern; 11,104 in all). Each call returns a new frame,
        which may be modified freely.

    See Also
    --------
    BetaGeoBetaBinom : The discrete-time model fitted to these data.

    Notes
    -----
    Source: the version of the donation data (made available by Bruce Hardie,
    http://www.brucehardie.com/datasets/) that is distributed with the ``lifetimes`` package, MIT licence
    (Copyright (c) 2015 Cameron Davidson-Pilon). It is packaged as ``retention/data/donations.csv``.

    Fitted with the pattern counts as weights, the BG/BB model reproduces the estimates of Fader, Hardie &
    Shang (2010): $\alpha$ = 1.204, $\beta$ = 0.750, $\gamma$ = 0.657, $\delta$ = 2.783, log-likelihood
    -33225.6.

    References
    ----------
    .. [1] Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-Base Analysis in a Discrete-Time
       Noncontractual Setting. Marketing Science, 29(6), 1086-1108.

    Examples
    --------
    >>> import retention as rt
    >>> donations = rt.load_donations()
    >>> donations.head(3)
       frequency  recency  periods  weights
    0          0        0        6     3464
    1          1        1        6     1091
    2          1        2        6      277
    >>> donations.shape, int(donations["weights"].sum())
    ((22, 4), 11104)
    >>> model = rt.BetaGeoBetaBinom.fit(
    ...     frequency=donations["frequency"],
    ...     recency=donations["recency"],
    ...     n_periods=donations["periods"],
    ...     weights=donations["weights"],
    ... )
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'alpha': 1.204, 'beta': 0.75, 'gamma': 0.657, 'delta': 2.783}
    >>> round(model.loglik, 1)
    -33225.6
    """
    return _read_packaged(
        "donations.csv",
        dtype={
            "frequency": np.int64,
            "recency": np.int64,
            "periods": np.int64,
            "weights": np.int64,
        },
    )


def load_sbg_survival() -> pd.DataFrame:
    r"""Load the survivor counts of two subscriber cohorts: the data of the published sBG fits.

    Of 1,000 customers who signed up in year 0, how many are still customers at the start of each of the
    years 0 to 12, for a cohort of "regular" and one of "high end" customers. Fader & Hardie (2007) fit the
    shifted-beta-geometric model to years 0-7 and project years 8-12.

    Returns
    -------
    pandas.DataFrame
        13 rows indexed by ``year`` (int64, 0 to 12), with int64 columns ``regular`` and ``high_end`` (the
        customers still active, 1,000 in year 0). Each call returns a new frame, which may be modified
        freely.

    See Also
    --------
    ShiftedBetaGeometric : The contractual model fitted to these data.

    Notes
    -----
    Source: Table 1 of Fader & Hardie (2007), transcribed; packaged as ``retention/data/sbg_survival.csv``.
    The numbers are published facts, given with their source.

    Fitted to years 0-7, the sBG model reproduces the paper's estimates: regular $\alpha$ = 0.704,
    $\beta$ = 1.182 (log-likelihood -1680.3); high end $\alpha$ = 0.668, $\beta$ = 3.806
    (log-likelihood -1611.2).

    References
    ----------
    .. [1] Fader, P. S., & Hardie, B. G. S. (2007). How to Project Customer Retention. Journal of
       Interactive Marketing, 21(1), 76-90.

    Examples
    --------
    >>> import retention as rt
    >>> survival = rt.load_sbg_survival()
    >>> survival.head(4)
          regular  high_end
    year
    0        1000      1000
    1         631       869
    2         468       743
    3         382       653
    >>> survival.shape
    (13, 2)
    >>> model = rt.ShiftedBetaGeometric.fit(survival.loc[0:7, "regular"])
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'alpha': 0.704, 'beta': 1.182}
    >>> round(model.loglik, 1)
    -1680.3
    """
    return _read_packaged(
        "sbg_survival.csv",
        index_col="year",
        dtype={"year": np.int64, "regular": np.int64, "high_end": np.int64},
    )
