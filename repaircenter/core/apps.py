from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "repaircenter.core"
    label = "core"

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy checks
        from .files import orphan_round
        from .moments import read_moments_fast
        from .ratelimit import forget_expired_counts
        from .worker import register_round

        def forget_counts(stop) -> int:
            forget_expired_counts()
            return 0  # housekeeping: the worker is idle all the same

        read_moments_fast()
        register_round("forget rate counts", forget_counts, position=11,
                       every_setting="SWEEP_INTERVAL")
        # Files that no row names (core/files.py): asked with each sweep, done once a day (by
        # default) by one worker of the deployment.
        register_round("orphan files", orphan_round, position=60,
                       every_setting="SWEEP_INTERVAL")
