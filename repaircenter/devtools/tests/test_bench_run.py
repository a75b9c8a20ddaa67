"""bench/run.py's machinery on a tiny generated database: every case measured next to its raw
query (which must find the same rows), and the table written. The benchmark itself is not run
here: it needs a large database and minutes."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_case_is_measured_against_its_raw_query(tmp_path):
    """The run as README gives it, on a tiny generated SQLite database of its own (the test
    database is left alone: the generator and the raw driver want a database to themselves)."""
    database = tmp_path / "tiny.sqlite3"
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(DATABASE_URL=f"sqlite:///{database}", REPAIRCENTER_DATA=str(tmp_path / "data"),
               PYTHONPATH=str(ROOT))

    def run(*args):
        subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True,
                       capture_output=True, text=True)

    run("-m", "repaircenter", "migrate", "-v", "0")
    run("-m", "repaircenter", "bench-data", "--orders", "60", "--centers", "3")
    figures, table = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    run(str(ROOT / "bench" / "run.py"), "--target", f"SQLite tiny=sqlite:///{database}",
        "--repetitions", "2", "--sweep-repetitions", "1", "--load-seconds", "0",
        "--results", str(figures), "--markdown", str(table))

    results = json.loads(figures.read_text())["targets"]["SQLite tiny"]
    names = set(results["cases"])
    assert {"B0 floor: empty staff search page", "B1 search: phone", "B1 search: serial number",
            "B1 search: IMEI", "B1 search: order number", "B1 search: name", "B2 staff order page",
            "B3 customer's order page", "B5 deadline sweep"} <= names
    assert {f"B4 queue: {slug}" for slug in ("to-diagnose", "awaiting-decision", "in-repair",
                                              "ready", "disposal")} <= names
    # A chain: the flagship's own queues and search, next to the raw queries of its rows.
    assert {f"B7 center queue: {slug}" for slug in ("to-diagnose", "ready")} <= names
    assert "B7 center search: phone" in names
    assert results["centers"] == 3
    assert (results["cases"]["B7 center queue: ready"]["rows"]
            < results["cases"]["B4 queue: ready"]["rows"])
    for name, case in results["cases"].items():
        assert case["django"]["median_ms"] > 0 and case["raw"]["median_ms"] > 0, name
        # The floor reads nothing once the user's row is kept (accounts/backends.py).
        assert case["queries"] >= (0 if name.startswith("B0") else 1), name
    assert results["cases"]["B1 search: order number"]["rows"] == 1
    assert results["cases"]["B2 staff order page"]["events"] >= 10
    assert results["load_targets"]["static"] == "/livez"
    text = table.read_text()
    assert "| B2 staff order page |" in text and "SQLite tiny" in text
    assert "| B7 center queue: ready |" in text and "growth ≤ 1.3" not in text  # one size
    assert "| B0 floor: empty staff search page |" in text and "reference, no target | — |" in text


def test_help_explains_the_options():
    shown = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--help"],
                           capture_output=True, text=True, check=True).stdout
    for option in ("--target", "--rounds", "--repetitions", "--sweep-repetitions", "--load-seconds",
                   "--sms", "--results", "--markdown"):
        assert option in shown


def test_the_table_judges_a_centers_growth_only_on_pages_alike():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from report import tables
    finally:
        sys.path.remove(str(ROOT / "bench"))

    def case(ms, rows):
        return {"django": {"median_ms": ms, "p95_ms": ms}, "raw": {"median_ms": 1, "p95_ms": 1},
                "ratio": ms, "queries": 5, "rows": rows}

    def target(orders, ready_ms, disposal_ms, disposal_rows):
        return {"orders": orders, "cases": {
            "B7 center queue: ready": case(ready_ms, 150 * orders // 10_000),
            "B7 center queue: disposal": case(disposal_ms, disposal_rows)}}

    text = tables({"targets": {"PG 10k": target(10_000, 40, 20, 12),
                               "PG 1M": target(1_000_000, 56, 45, 1500)}})
    ready = next(line for line in text.splitlines() if "center queue: ready" in line)
    disposal = next(line for line in text.splitlines() if "center queue: disposal" in line)
    assert "| 1.40 |" in ready and "growth ≤ 1.3 | **missed** |" in ready
    assert "2.25 (12 vs 100 rows shown)" in disposal and disposal.endswith("| — |")


def bench_module(name):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_rounds_give_each_figure_the_median_of_the_rounds():
    """--rounds: a case's Django and raw medians are the medians of the rounds' (a slow round
    moves nothing), its ratio the median of the rounds' ratios, its repetitions all of them; a
    page's requests a second under load the median of the rounds', its share of /livez's the
    median of each round's share; the first round's moment."""
    merged = bench_module("run").merged

    def one_round(django, raw, order_rps, static_rps, at):
        return {"orders": 10_000, "measured_at": at, "loadavg": [1, 1, 1, 1, 1, 1],
                "cases": {"B0 floor": {"django": {"median_ms": django, "p95_ms": 2 * django,
                                                  "n": 20},
                                       "raw": {"median_ms": raw, "p95_ms": raw, "n": 20},
                                       "ratio": django / raw, "queries": 1}},
                "load": {"static": {"requests_per_second": static_rps, "non_2xx": 0},
                         "order": {"requests_per_second": order_rps, "non_2xx": 0}}}

    # The second round ran on a slow machine: its page and its query both slow.
    rounds = [one_round(2.0, 0.2, 150, 2000, "first"), one_round(9.0, 0.6, 40, 1000, "second"),
              one_round(2.2, 0.4, 160, 2500, "third")]
    both = merged(rounds)
    floor = both["cases"]["B0 floor"]
    assert floor["django"] == {"median_ms": 2.2, "p95_ms": 4.4, "n": 60,
                               "by_round": [2.0, 9.0, 2.2]}
    assert floor["raw"]["median_ms"] == 0.4
    # The rounds' ratios are 10, 15 and 5.5: their median, not 2.2 / 0.4 (two rounds' figures).
    assert floor["ratio"] == 2.0 / 0.2
    assert floor["queries"] == 1
    assert both["load"]["order"]["requests_per_second"] == 150
    # Shares 0.075, 0.04, 0.064: their median, not 150 / 2000.
    assert both["load"]["order"]["per_static"] == 160 / 2500
    assert "per_static" not in both["load"]["static"]
    assert (both["rounds"], both["measured_at"]) == (3, "first")
    assert merged(rounds[:1]) == rounds[0]  # one round: as measured


def test_a_pages_share_of_livez_is_the_rounds_median_share():
    """The report judges a page's share of /livez's requests a second by the rounds' median
    share where it has one (bench/run.py merged), else by the one round's figures."""
    share = bench_module("report")._share
    one = {"static": {"requests_per_second": 2000}, "order": {"requests_per_second": 150}}
    assert share(one, "order") == 150 / 2000
    rounds = {"static": {"requests_per_second": 2000},
              "order": {"requests_per_second": 150, "per_static": 0.064}}
    assert share(rounds, "order") == 0.064


def test_a_searchs_growth_is_not_judged_when_it_finds_more():
    """A search finding more orders at the larger size grows with what it shows: its growth is
    shown with the counts, not judged; a search finding as many is judged."""
    tables = bench_module("report").tables

    def case(ms, rows):
        return {"django": {"median_ms": ms, "p95_ms": ms}, "raw": {"median_ms": 1, "p95_ms": 1},
                "ratio": ms, "queries": 2, "rows": rows}

    text = tables({"targets": {
        "PG 10k": {"orders": 10_000, "cases": {"B1 search: name": case(3, 6),
                                               "B1 search: phone": case(3, 4)}},
        "PG 1M": {"orders": 1_000_000, "cases": {"B1 search: name": case(6, 9),
                                                 "B1 search: phone": case(6, 4)}}}})
    name = next(line for line in text.splitlines() if "search: name" in line)
    phone = next(line for line in text.splitlines() if "search: phone" in line)
    assert "2.00 (6 vs 9 rows shown)" in name and "growth ≤" not in name
    assert "| 2.00 |" in phone and "**missed**" in phone


def test_a_growth_over_rounds_is_the_median_of_each_rounds():
    """Over rounds, a case's growth is the median of each round's (the two sizes measured one
    after the other in it), not the larger size's median over the smaller's, taken from
    rounds minutes apart; for one round, its medians'."""
    growth = bench_module("report")._growth
    # Round 2 of the small size and round 3 of the large one ran on a slow machine.
    small = {"median_ms": 2.0, "by_round": [2.0, 4.0, 1.9]}
    large = {"median_ms": 2.2, "by_round": [2.2, 4.2, 4.0]}
    assert growth([small, large]) == 2.2 / 2.0  # growths 1.1, 1.05, 2.1: their median
    assert growth([{"median_ms": 2.0}, {"median_ms": 3.0}]) == 1.5
    assert growth([small]) is None
