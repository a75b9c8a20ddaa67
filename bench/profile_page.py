"""Where a page's time goes: cProfile over repeated requests of the benchmark's B2 (the staff
order page of the order with the longest history) and B3 (its customer's page), or any path.

    python bench/profile_page.py --database postgres://postgres@127.0.0.1:5432/bench10k --case B2
    python bench/profile_page.py --database … --case B3 --requests 200 --top 40 --sort tottime

It prints the time per request, the queries per request, and the top functions. The same
database bench/run.py measures (filled by `repaircenter bench-data`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = case_arguments(__doc__)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative",
                        help="pstats sort key (cumulative, tottime)")
    parser.add_argument("--output", help="also write the printed profile to this file")
    arguments = parser.parse_args()

    client, path = client_and_path(arguments.database, arguments.case)
    from django.db import connection

    from repaircenter.orders.models import Order

    orders = Order.objects.count()

    def request():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")

    for _ in range(5):
        request()
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *rest: (statements.append(sql),
                                                               execute(sql, *rest))[1]):
        request()
    started = time.perf_counter()
    for _ in range(arguments.requests):
        request()
    plain = (time.perf_counter() - started) / arguments.requests * 1000

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(arguments.requests):
        request()
    profile.disable()
    out = io.StringIO()
    out.write(f"{path}: {plain:.2f} ms a request without the profiler, "
              f"{len(statements)} queries, {orders:,} orders\n")
    stats = pstats.Stats(profile, stream=out)
    out.write(shares(stats, arguments.requests) + "\n")
    stats.strip_dirs().sort_stats(arguments.sort).print_stats(arguments.top)
    print(out.getvalue())
    if arguments.output:
        Path(arguments.output).write_text(out.getvalue())


def case_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments that name a database and a case, shared with instructions.py."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a database filled by bench-data")
    parser.add_argument("--case", default="B2",
                        help="B2, B3, or a path such as /staff/queues/ready/")
    parser.add_argument("--requests", type=int, default=100)
    return parser


def client_and_path(database: str, case: str):
    """Django set up on `database`, and the test client and path that ask for `case`: B2 (the
    staff order page of the order with the longest history), B3 (its customer's page), or a
    path asked by the bench manager with all centers chosen."""
    sys.path.insert(0, str(ROOT / "bench"))
    from run import heaviest_order, server_client, setup_django  # bench/run.py

    setup_django(database)

    from repaircenter.accounts.models import User
    from repaircenter.centers.models import Center
    from repaircenter.orders.models import Order

    client = server_client()
    client.force_login(User.objects.get(username="bench-manager"))
    client.get("/staff/")
    if Center.objects.count() > 1:
        client.post("/staff/center/", {"center": "all"})
    if case not in ("B2", "B3"):
        return client, case
    heavy = heaviest_order(Order.objects.count())
    if case == "B2":
        return client, f"/staff/orders/{heavy.number}/"
    return server_client(), f"/o/{heavy.link_token}/"


# Where a request's time goes, by the functions that stand for each part (cumulative time under
# the profiler, per request): the template engines, the ORM building SQL, the driver waiting for
# the database.
PARTS = {
    "templates (Django's engine)": ("django/template/base.py", "render"),
    "templates (Jinja)": ("jinja2/environment.py", "render"),
    "SQL built by the ORM": ("django/db/models/sql/compiler.py", "as_sql"),
    "waiting for the database": ("psycopg/connection.py", "wait"),
    "rows made into objects": ("django/db/models/base.py", "from_db"),
}


def shares(stats: pstats.Stats, requests: int) -> str:
    total = max(ct for (_f, _l, name), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                if name == "request")
    lines = [f"under the profiler: {total / requests * 1000:.1f} ms a request"]
    for part, (file, function) in PARTS.items():
        # The outermost call only: a nested render is inside its caller's time.
        spent = max((ct for (f, _l, name), (_cc, _nc, _tt, ct, _c) in stats.stats.items()
                     if f.endswith(file) and name == function), default=0)
        lines.append(f"  {part:<30} {spent / requests * 1000:6.1f} ms ({spent / total:4.0%})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
