from django.core.management.base import BaseCommand, CommandError

from repaircenter.core.demo import database_is_empty, load_demo_data


class Command(BaseCommand):
    help = "Load demo staff, customers and orders in every state into an empty database."

    def handle(self, *args, **options):
        if not database_is_empty():
            raise CommandError("The database already has users or orders; demo data not loaded.")
        self.stdout.write("Staff accounts (passwords are shown only now):")
        for username, roles, password in load_demo_data():
            self.stdout.write(f"  {username:<14} {password:<20} {', '.join(roles)}")
