"""KPIs (placeholder: being written)."""


def kpis(*args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: D103
    raise NotImplementedError
