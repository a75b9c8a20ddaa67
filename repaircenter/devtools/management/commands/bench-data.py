"""`repaircenter bench-data --orders N`: fill an empty database with N orders for benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from repaircenter.devtools.benchdata import STATE_SHARES, generate
from repaircenter.devtools.benchdata.parts import add_catalogue


class Command(BaseCommand):
    help = (
        "Fill a database that has no orders yet with N orders in realistic proportions "
        f"({', '.join(f'{s} {w:.1%}' for s, w in STATE_SHARES.items())}), with customers, "
        "events, estimates, payments, documents and messages; COPY on PostgreSQL. "
        "For benchmarks only: never on a center's real database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=0, help="how many orders")
        parser.add_argument("--parts", type=int, default=0,
                            help="parts in the catalogue, with the flagship's stock of each; "
                                 "alone (no --orders) into a database that has its orders")
        parser.add_argument("--centers", type=int, default=1,
                            help="centers of the chain taking the orders in turn (default 1)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, orders, centers, parts, seed, **options):
        if orders < 1 and parts < 1:
            raise CommandError("--orders or --parts must be at least 1")
        if orders < 0 or parts < 0:
            raise CommandError("--orders and --parts cannot be negative")
        if not 1 <= centers <= 26 * 26:
            raise CommandError("--centers must be between 1 and 676")
        written = {}
        try:
            if orders:
                written = generate(orders, centers=centers, seed=seed, log=self.stdout.write)
            if parts:
                written["stock.Part"] = add_catalogue(parts, seed=seed, log=self.stdout.write)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for label, count in sorted(written.items()):
            self.stdout.write(f"  {label:<28} {count:>10}")
