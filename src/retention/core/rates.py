"""Retention, churn and repeat-purchase formulas (placeholder: being written)."""


def retention_rate(*args, **kwargs):  # type: ignore[no-untyped-def]  # noqa: D103
    raise NotImplementedError
