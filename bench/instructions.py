"""The instructions one request costs the web process, counted by valgrind's callgrind: the same
count run after run, whatever else the machine is doing, where times on a busy machine move by
a tenth. What PostgreSQL does is not counted (another process), nor the time spent waiting.

    python bench/instructions.py --database postgres://postgres@127.0.0.1:5432/bench --case B2
    python bench/instructions.py --database … --case "/staff/search/?q=" --requests 200

The cases are profile_page.py's (B2, B3, or a path, asked as the bench manager with all
centers chosen). This script runs itself under callgrind twice, once making no request after
the warm-up and once making `--requests` of them, and prints the difference per request. Each
run takes a minute or two: Python under callgrind is some fifty times slower.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from profile_page import case_arguments, client_and_path  # beside this script

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = case_arguments(__doc__)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child is not None:
        make_requests(arguments.database, arguments.case, arguments.child)
        return
    counts = [counted(arguments, requests) for requests in (0, arguments.requests)]
    each = (counts[1] - counts[0]) / arguments.requests
    print(f"{arguments.case}: {each / 1000:,.0f} thousand instructions a request "
          f"({arguments.requests} requests)")


def counted(arguments, requests: int) -> int:
    """The instructions of a run making `requests` requests after the warm-up."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
               __file__, "--database", arguments.database, "--case", arguments.case,
               "--child", str(requests)]
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def make_requests(database: str, case: str, requests: int) -> None:
    client, path = client_and_path(database, case)
    for _ in range(30 + requests):  # the warm-up, then the requests counted
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")


if __name__ == "__main__":
    main()
