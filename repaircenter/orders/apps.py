import logging

from django.apps import AppConfig

log = logging.getLogger("repaircenter.worker")


class OrdersConfig(AppConfig):
    name = "repaircenter.orders"
    label = "orders"

    def ready(self):
        from repaircenter.core.worker import register_round

        from .sweep import run_sweep

        def sweep(stop) -> int:
            swept = run_sweep()
            if swept:
                log.info("worker: deadline sweep: %s", swept)
            return 0  # its messages are counted when they are sent

        register_round("deadline sweep", sweep, position=10, every_setting="SWEEP_INTERVAL")
