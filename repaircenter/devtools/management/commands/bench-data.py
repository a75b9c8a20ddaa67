"""`repaircenter bench-data --orders N`: fill an empty database with N orders for benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from repaircenter.devtools.benchdata import STATE_SHARES, generate


class Command(BaseCommand):
    help = (
        "Fill a database that has no orders yet with N orders in realistic proportions "
        f"({', '.join(f'{s} {w:.1%}' for s, w in STATE_SHARES.items())}), with customers, "
        "events, estimates, payments, documents and messages; COPY on PostgreSQL. "
        "For benchmarks only: never on a center's real database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, required=True, help="how many orders")
        parser.add_argument("--centers", type=int, default=1,
                            help="centers of the chain taking the orders in turn (default 1)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, orders, centers, seed, **options):
        if orders < 1:
            raise CommandError("--orders must be at least 1")
        if not 1 <= centers <= 26 * 26:
            raise CommandError("--centers must be between 1 and 676")
        try:
            written = generate(orders, centers=centers, seed=seed, log=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for label, count in sorted(written.items()):
            self.stdout.write(f"  {label:<28} {count:>10}")
