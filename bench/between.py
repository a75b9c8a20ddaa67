"""A queue page's time with the benchmark's raw queue query run between its requests, or not,
and that query run on another database: to tell what a million orders add to the page from what
the query between requests leaves behind (PostgreSQL's buffers and the processor's caches cold).

    python bench/between.py --database postgres://postgres@127.0.0.1:5432/bench10k \\
        --queue to-diagnose --raw-database postgres://postgres@127.0.0.1:5432/bench

It prints the median time of `--requests` requests of the queue's first page (asked as the bench
manager with all centers chosen, as profile_page.py asks), alone, then each after the raw
query of bench/run.py's B4 (the count and the rows) on `--raw-database` (by default the page's
own), and that query's own median.
"""

from __future__ import annotations

import argparse
import statistics
import time

from profile_page import client_and_path  # beside this script
from run import queue_raw_sql  # bench/run.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a database filled by bench-data")
    parser.add_argument("--queue", default="to-diagnose")
    parser.add_argument("--raw-database", help="where the raw query runs (the page's own)")
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args()

    client, path = client_and_path(arguments.database, f"/staff/queues/{arguments.queue}/")
    import psycopg

    from repaircenter.orders.selectors import QUEUES

    raw_database = arguments.raw_database or arguments.database
    raw = raw_queue_query(psycopg.connect(raw_database.replace("postgres://", "postgresql://"),
                                          autocommit=True), QUEUES[arguments.queue])
    page_name, raw_name = arguments.database.rsplit("/", 1)[-1], raw_database.rsplit("/", 1)[-1]

    def page():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")

    for between in (None, raw):
        for _ in range(5):
            page()
            raw()
        pages, raws = [], []
        for _ in range(arguments.requests):
            if between is not None:
                raws.append(timed(between))
            pages.append(timed(page))
        where = "alone" if between is None else (
            f"each after the raw query on {raw_name} ({statistics.median(raws) * 1000:.2f} ms)")
        print(f"{path} on {page_name}: {statistics.median(pages) * 1000:.2f} ms a request, "
              f"{where}")


def raw_queue_query(connection, queue):
    """bench/run.py's raw B4 query of `queue`: its count, then its first hundred rows."""
    count_sql, rows_sql = queue_raw_sql(queue)
    statuses = list(queue.statuses)

    def query():
        with connection.cursor() as cursor:
            cursor.execute(count_sql, statuses)
            cursor.fetchall()
            cursor.execute(rows_sql, statuses)
            cursor.fetchall()

    return query


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
