from django.core.management.base import BaseCommand, CommandError

from repaircenter.devtools.demo import database_is_empty, load_demo_data


class Command(BaseCommand):
    help = "Load demo staff, customers and orders in every state into an empty database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true",
            help="load only into a database with no users and no orders, and otherwise do "
                 "nothing (what `repaircenter serve` asks for) instead of failing",
        )

    def handle(self, *args, if_empty, **options):
        if not database_is_empty():
            if if_empty:
                return
            raise CommandError("The database already has users or orders; demo data not loaded.")
        accounts = load_demo_data()
        self.stdout.write("")
        self.stdout.write("Demo data loaded. Staff accounts (passwords are shown only now):")
        for username, roles, password in accounts:
            self.stdout.write(f"  {username:<14} {password:<20} {', '.join(roles)}")
        self.stdout.write("")
