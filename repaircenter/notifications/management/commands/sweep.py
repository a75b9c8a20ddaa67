from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from repaircenter.notifications.outbox import write_all_pending
from repaircenter.orders.sweep import run_sweep


class Command(BaseCommand):
    help = _(
        "Run the deadline sweep once: lapsed decisions, reminders, storage periods that ran out. "
        "The worker runs it every few minutes by itself."
    )

    def handle(self, *args, **options):
        result = run_sweep()
        written = write_all_pending()
        self.stdout.write(
            _("Decisions lapsed: %(lapsed)s. Decision reminders: %(decision)s. Storage "
              "reminders: %(storage)s. Due for disposal: %(due)s. Messages written: "
              "%(written)s.")
            % {"lapsed": result.lapsed, "decision": result.decision_reminders,
               "storage": result.storage_reminders, "due": result.disposal_due,
               "written": written}
        )
