"""Cohort tables and survival curves (placeholder: being written)."""


def _todo(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError


cohort_table = retention_curve = survival_curve = survival_at = median_lifetime = _todo
