import logging

from django.apps import AppConfig

log = logging.getLogger("repaircenter.worker")


class OrdersConfig(AppConfig):
    name = "repaircenter.orders"
    label = "orders"

    def ready(self):
        from repaircenter.core.files import register_area
        from repaircenter.core.worker import register_round

        from .sweep import run_sweep

        def sweep(stop) -> int:
            swept = run_sweep()
            if swept:
                log.info("worker: deadline sweep: %s", swept)
            return 0  # its messages are counted when they are sent

        register_round("deadline sweep", sweep, position=10, every_setting="SWEEP_INTERVAL")

        from .state_counts import fold_state_counts

        def fold_counts(stop) -> int:
            fold_state_counts()
            return 0  # housekeeping: the worker is idle all the same

        register_round("fold state counts", fold_counts, position=12,
                       every_setting="SWEEP_INTERVAL")

        # The equipment photos (photos/<order id>/) and the signatures drawn on the pad
        # (signatures/<order id>/): which names rows hold, for the orphan sweep (core/files.py).
        register_area("photos", _photos_held)
        register_area("signatures", _signatures_held)

        # Orders the sweep returns unrepaired give back the parts reserved for them.
        from .events import on_orders_changed
        from .workflow.parts import release_for_changed_orders

        on_orders_changed(release_for_changed_orders)

        # The centers each app server keeps for the staff's pages (orders/workplace.py).
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from repaircenter.centers.models import Center

        from .workplace import forget_centers

        post_save.connect(forget_centers, sender=Center, dispatch_uid="workplace-center-saved")
        post_delete.connect(forget_centers, sender=Center, dispatch_uid="workplace-center-gone")
        m2m_changed.connect(forget_centers, sender=Center.staff.through,
                            dispatch_uid="workplace-staff-changed")


def _order_id(folder: str) -> int | None:
    tail = folder.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _photos_held(folder: str, names: list[str]) -> set[str]:
    from .models import EquipmentPhoto

    photos = EquipmentPhoto.objects.filter(image__in=names)
    order_id = _order_id(folder)
    if order_id is not None:
        photos = photos.filter(order_id=order_id)  # the order's index, not the whole table
    return set(photos.values_list("image", flat=True))


def _signatures_held(folder: str, names: list[str]) -> set[str]:
    from .models import OrderEvent

    order_id = _order_id(folder)
    if order_id is None:
        return set()
    held = OrderEvent.objects.filter(order_id=order_id).values_list(
        "evidence__signature_file", flat=True)
    return {name for name in held if name} & set(names)
