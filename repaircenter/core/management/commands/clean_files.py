from django.core.management.base import BaseCommand

from repaircenter.core.files import sweep_orphans


class Command(BaseCommand):
    help = ("Delete the stored files (PDFs, photos, signatures) that no row names and that are "
            "older than REPAIRCENTER_ORPHAN_GRACE_MINUTES; the worker does it once a day.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say what would go")
        parser.add_argument("--grace-minutes", type=int, default=None,
                            help="keep files younger than this (default: the setting)")

    def handle(self, *args, dry_run=False, grace_minutes=None, **options):
        grace = None if grace_minutes is None else grace_minutes * 60
        result = sweep_orphans(grace=grace, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"Files looked at: {result.looked_at}; without a row, {verb}: "
                          f"{result.deleted}; without a row but too young to tell: "
                          f"{result.too_young}")
