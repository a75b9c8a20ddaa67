"""The tables of BENCHMARKS.md, from the figures bench/run.py gathered (bench-results.json).

Only the part between the two markers is rewritten; the notes around it are kept.
"""

from __future__ import annotations

import statistics
from pathlib import Path

START, END = "<!-- results: written by bench/run.py -->", "<!-- /results -->"
TARGETS = {  # case prefix: (what the target says, the largest ratio to raw allowed)
    "B0": ("reference, no target", None),
    "B1": ("≤ 6× raw", 6), "B2": ("≤ 5× raw", 5), "B3": ("≤ 5× raw", 5), "B4": ("≤ 6× raw", 6),
    "B5": ("≤ 1.5× raw", 1.5), "B7": ("the chain's size does not show", None),
    "B8": ("measured, no target", None),
}
GROWTH_LIMIT = 1.5
QUEUE_PAGE = 100  # rows on a queue's page (orders.selectors.QUEUE_PAGE_SIZE)
# A center's lists read that center's rows alone: the chain's size must not show (issue 14).
GROWTH_LIMITS = {"B7": 1.3}


def _ms(figure: dict) -> str:
    return f"{figure['median_ms']:.1f} ({figure['p95_ms']:.1f})"


def _kinds(targets: dict) -> dict[str, list[tuple[str, dict]]]:
    """Targets by database kind ('SQLite 10k' → 'SQLite'), smallest first."""
    kinds: dict[str, list[tuple[str, dict]]] = {}
    for label, results in targets.items():
        kind = label.rsplit(" ", 1)[0]
        kinds.setdefault(kind, []).append((label, results))
    for entries in kinds.values():
        entries.sort(key=lambda entry: entry[1]["orders"])
    return kinds


def _rows_shown(name: str, entries: list[tuple[str, dict]]) -> list[int]:
    """The rows a queue's first page (it holds 100) or a search's results show at each size:
    where they differ, a case's growth is its content's."""
    if " queue: " in name:
        most = QUEUE_PAGE
    elif " search: " in name:
        most = None  # the search's own limit is in its count
    else:
        return []
    return [min(results["cases"][name].get("rows", 0), most or 10**9) for _label, results
            in entries if name in results["cases"]]


def _vacuumed(results: dict) -> str:
    vacuumed = ("; vacuumed first, the server having no autovacuum (bench/run.py)"
                if results.get("vacuumed") else "")
    rounds = results.get("rounds", 1)
    return vacuumed + (f"; {rounds} rounds, each figure the "
                       f"median of the rounds', each ratio and growth the median of each "
                       f"round's (the first round's moment and load average)"
                       if rounds > 1 else "")


def _growth(django: list[dict]) -> float | None:
    """A case's growth: its Django median at the largest size over the smallest's; over
    rounds, the median of each round's (the sizes were measured one after the other in each
    round, minutes from the other rounds: bench/run.py merged keeps each round's median)."""
    if len(django) < 2 or not django[0]["median_ms"]:
        return None
    small, large = django[0].get("by_round"), django[-1].get("by_round")
    if small and large and len(small) == len(large) and all(small):
        return statistics.median(b / a for a, b in zip(small, large, strict=True))
    return django[-1]["median_ms"] / django[0]["median_ms"]


def _share(load: dict, page: str) -> float:
    """A page's requests a second over /livez's: over rounds, the median of each round's
    (bench/run.py merged); for one round, as measured."""
    if "per_static" in load[page]:
        return load[page]["per_static"]
    static = load["static"]["requests_per_second"]
    return load[page]["requests_per_second"] / static if static else 0


def _load(results: dict, after: bool = False) -> str:
    """The machine's load average (1, 5, 15 minutes) before a target's run, or after it."""
    figures = results.get("loadavg", [])
    return "/".join(str(x) for x in (figures[3:] if after else figures[:3]))


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def tables(everything: dict) -> str:
    out = [START, ""]
    out.append(f"Machine: {everything.get('machine', '?')}.")
    out.append("")
    out.append("Times are milliseconds, median (95th percentile), Django next to the raw query "
               "run through the driver in the same process, repetitions interleaved. "
               "`×raw` is the ratio of the medians (over rounds, the median of each round's "
               "ratio); `growth` the largest size's median over the smallest's (over rounds, "
               "the median of each round's).")
    for kind, entries in _kinds(everything.get("targets", {})).items():
        out += ["", f"### {kind}", ""]
        for label, results in entries:
            out.append(f"- {label}: {results['orders']:,} orders, measured "
                       f"{results.get('measured_at', '?')}, load average "
                       f"{_load(results)} before and {_load(results, after=True)} after"
                       f"{_vacuumed(results)}.")
        out.append("")
        header = ["case"]
        for label, _results in entries:
            header += [f"{label} Django", f"{label} raw", "×raw"]
        header += ["growth", "queries", "target", "verdict"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        cases = entries[-1][1]["cases"]
        for name in cases:
            row = [name]
            ratios, django = [], []
            for _label, results in entries:
                figures = results["cases"].get(name)
                if figures is None:
                    row += ["", "", ""]
                    continue
                row += [_ms(figures["django"]), _ms(figures["raw"]), f"{figures['ratio']:.1f}"]
                ratios.append(figures["ratio"])
                django.append(figures["django"])
            growth = _growth(django)
            shown = _rows_shown(name, entries)
            comparable = not (growth and shown and len(set(shown)) > 1)
            if not comparable:
                # A queue's page that the smaller database cannot fill shows fewer rows: its
                # growth is the page's content, not the database's size, and is not judged.
                row.append(f"{growth:.2f} ({' vs '.join(map(str, shown))} rows shown)")
                growth = None
            else:
                row.append(f"{growth:.2f}" if growth else "")
            figures = cases[name]
            extra = f"{figures['queries']}"
            if name.startswith("B5"):
                counts = ", ".join(str(r["cases"][name]["queries"]) for _, r in entries
                                   if name in r["cases"])
                extra = (f"{counts} statements by size; {figures['orders_changed']} orders, "
                         f"{figures['reminders']} reminders")
            row.append(extra)
            target, limit = TARGETS[name[:2]]
            if limit is None and (name[:2] not in GROWTH_LIMITS or not comparable):
                out.append("| " + " | ".join([*row, target, "—"]) + " |")
                continue
            ok = limit is None or all(ratio <= limit for ratio in ratios)
            if not name.startswith("B5") and growth is not None:
                limit = GROWTH_LIMITS.get(name[:2], GROWTH_LIMIT)
                target += f", growth ≤ {limit}"
                ok = ok and growth <= limit
            row += [target, _verdict(ok)]
            out.append("| " + " | ".join(row) + " |")
        loads = [(label, r["load"]) for label, r in entries if r.get("load")]
        if loads:
            out += ["", "Load test (gunicorn, 2 workers, production settings; wrk 2 threads, "
                    "8 connections):", ""]
            out.append("| database | /livez req/s | order page req/s | customer page req/s | "
                       "order page / static | target ≥ 0.33 |")
            out.append("|---|---|---|---|---|---|")
            for label, load in loads:
                static = load["static"]["requests_per_second"]
                order = load["order"]["requests_per_second"]
                customer = load["customer"]["requests_per_second"]
                share = _share(load, "order")
                out.append(f"| {label} | {static:.0f} | {order:.0f} | {customer:.0f} | "
                           f"{share:.2f} | {_verdict(share >= 1 / 3)} |")
    sms = everything.get("sms", {})
    if sms:
        out += ["", "### B6: the worker sending SMS to the loopback provider", "",
                "| database | messages | bare loop msg/s | worker msg/s | worker / bare | "
                "target ≥ 0.5 |", "|---|---|---|---|---|---|"]
        for label, figures in sms.items():
            out.append(f"| {label} | {figures['messages']} | {figures['bare_loop_per_second']} | "
                       f"{figures['worker_per_second']} | {figures['ratio']:.2f} | "
                       f"{_verdict(figures['ratio'] >= 0.5)} |")
    out += ["", END]
    return "\n".join(out)


def write_markdown(everything: dict, path: Path) -> None:
    generated = tables(everything)
    if path.exists() and START in path.read_text():
        text = path.read_text()
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1] if END in rest else ""
        path.write_text(before + generated + after)
    else:
        path.write_text("# Benchmarks\n\n" + generated + "\n")


# --- issue 19: the pages before and after, in one run of each on the same databases ---------

FASTER_START, FASTER_END = "<!-- faster: written by bench/report.py --faster -->", \
    "<!-- /faster -->"
FASTER_TARGETS = {  # case prefix: the largest ratio to raw allowed (issue 19)
    "B1": 5, "B2": 4, "B3": 4, "B4": 3,
}
FASTER_GROWTH = 1.3
LOAD_TARGETS = {"order": 0.08, "customer": 0.12}  # the page's req/s over /livez's


def faster(before: dict, after: dict, before_label: str, after_label: str) -> str:
    """The before and after columns of every case at each size, the targets of issue 19 and
    their verdicts."""
    out = [FASTER_START, ""]
    for kind, entries in _kinds(after.get("targets", {})).items():
        old_entries = dict(_kinds(before.get("targets", {})).get(kind, []))
        for label, results in entries:
            old = old_entries.get(label, {})
            out.append(f"- {label}: {after_label} measured {results.get('measured_at', '?')} "
                       f"(load average {_load(results)} before, {_load(results, after=True)} "
                       f"after{_vacuumed(results)}); {before_label} measured "
                       f"{old.get('measured_at', '?')} (load average {_load(old)} before"
                       f"{_vacuumed(old)}).")
        out.append("")
        header = ["case"]
        for label, _results in entries:
            header += [f"{label} before ms (×raw)", f"{label} after ms (raw)", "after ×raw"]
        header += ["growth after", "queries before → after", "target", "verdict"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for name in entries[-1][1]["cases"]:
            prefix = name[:2]
            if prefix not in (*FASTER_TARGETS, "B0"):
                continue
            row, ratios, django, queries = [name], [], [], ""
            for label, results in entries:
                figures = results["cases"].get(name)
                old = old_entries.get(label, {}).get("cases", {}).get(name)
                row.append(f"{old['django']['median_ms']:.1f} ({old['ratio']:.1f}×)" if old else "")
                if figures is None:
                    row += ["", ""]
                    continue
                row += [f"{figures['django']['median_ms']:.1f} "
                        f"({figures['raw']['median_ms']:.1f})", f"{figures['ratio']:.1f}"]
                ratios.append(figures["ratio"])
                django.append(figures["django"])
                queries = f"{old['queries'] if old else '?'} → {figures['queries']}"
            growth = _growth(django)
            shown = _rows_shown(name, entries)
            comparable = not (growth and shown and len(set(shown)) > 1)
            row.append((f"{growth:.2f}" if comparable else
                        f"{growth:.2f} ({' vs '.join(map(str, shown))} rows)") if growth else "")
            row.append(queries)
            if prefix == "B0":
                halves = []
                for label, results in entries:
                    old = old_entries.get(label, {}).get("cases", {}).get(name)
                    if old:
                        halves.append(results["cases"][name]["django"]["median_ms"]
                                      <= old["django"]["median_ms"] / 2)
                row += ["≤ half of before's floor", _verdict(bool(halves) and all(halves))]
            else:
                limit = FASTER_TARGETS[prefix]
                ok = all(r <= limit for r in ratios) and (
                    not comparable or growth is None or growth <= FASTER_GROWTH)
                row += [f"≤ {limit}× raw, growth ≤ {FASTER_GROWTH}", _verdict(ok)]
            out.append("| " + " | ".join(row) + " |")
        loads = [(label, r.get("load"), old_entries.get(label, {}).get("load"))
                 for label, r in entries if r.get("load")]
        if loads:
            out += ["", "Load test (gunicorn, 2 workers, production settings; wrk 2 threads, "
                    "8 connections), each page's req/s over /livez's:", ""]
            out.append("| database | /livez req/s before → after | order page before → after "
                       "| customer page before → after | order / livez (≥ 0.08) "
                       "| customer / livez (≥ 0.12) |")
            out.append("|---|---|---|---|---|---|")
            for label, load, old in loads:
                def rps(figures, name):
                    return figures[name]["requests_per_second"] if figures else 0
                static = rps(load, "static")
                cells = [label, f"{rps(old, 'static'):.0f} → {static:.0f}"]
                for name in ("order", "customer"):
                    cells.append(f"{rps(old, name):.0f} → {rps(load, name):.0f}")
                for name, limit in LOAD_TARGETS.items():
                    share = _share(load, name)
                    cells.append(f"{share:.3f} {_verdict(share >= limit)}")
                out.append("| " + " | ".join(cells) + " |")
    out += ["", FASTER_END]
    return "\n".join(out)


def write_faster(before: dict, after: dict, path: Path, before_label: str,
                 after_label: str) -> None:
    generated = faster(before, after, before_label, after_label)
    text = path.read_text()
    if FASTER_START in text:
        head, rest = text.split(FASTER_START, 1)
        text = head + generated + rest.split(FASTER_END, 1)[1]
    else:
        text += "\n" + generated + "\n"
    path.write_text(text)


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Issue 19's table: before and after.")
    parser.add_argument("--before", required=True, help="bench/run.py's results, before")
    parser.add_argument("--after", required=True, help="bench/run.py's results, after")
    parser.add_argument("--before-label", default="before")
    parser.add_argument("--after-label", default="after")
    parser.add_argument("--markdown", default="BENCHMARKS.md")
    arguments = parser.parse_args()
    write_faster(json.loads(Path(arguments.before).read_text()),
                 json.loads(Path(arguments.after).read_text()), Path(arguments.markdown),
                 arguments.before_label, arguments.after_label)
