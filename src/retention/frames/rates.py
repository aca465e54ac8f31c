"""Period retention and purchase statistics (placeholder: being written)."""


def _todo(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise NotImplementedError


period_retention = repeat_purchase_rate = purchase_frequency = _todo
average_order_value = time_to_second_purchase = _todo
