from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


def next_number(name: str) -> int:
    """The next number of the sequence `name`.

    Called inside the transaction that uses the number: the UPDATE locks the row until the
    transaction ends, so two transactions never get the same number, and a rollback gives it back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must be called inside a transaction")
    for _ in range(2):
        if Sequence.objects.filter(name=name).update(last=F("last") + 1):
            return Sequence.objects.values_list("last", flat=True).get(name=name)
        try:
            with transaction.atomic():
                Sequence.objects.create(name=name, last=0)
        except IntegrityError:
            pass  # another transaction created it first
    raise RuntimeError(f"sequence {name} could not be advanced")
