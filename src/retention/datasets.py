"""Simulators and the example data (placeholder: being written)."""


def _todo(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError


simulate_transactions = example_transactions = _todo
