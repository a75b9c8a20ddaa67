"""The tables of BENCHMARKS.md, from the figures bench/run.py gathered (bench-results.json).

Only the part between the two markers is rewritten; the notes around it are kept.
"""

from __future__ import annotations

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


def _queue_rows(name: str, entries: list[tuple[str, dict]]) -> list[int]:
    """The rows a queue's first page shows at each size (a page holds 100)."""
    if " queue: " not in name:
        return []
    return [min(results["cases"][name].get("rows", 0), QUEUE_PAGE) for _label, results
            in entries if name in results["cases"]]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def tables(everything: dict) -> str:
    out = [START, ""]
    out.append(f"Machine: {everything.get('machine', '?')}.")
    out.append("")
    out.append("Times are milliseconds, median (95th percentile), Django next to the raw query "
               "run through the driver in the same process, repetitions interleaved. "
               "`×raw` is the ratio of the medians; `growth` the largest size's median over "
               "the smallest's.")
    for kind, entries in _kinds(everything.get("targets", {})).items():
        out += ["", f"### {kind}", ""]
        for label, results in entries:
            load = results.get("loadavg", [])
            out.append(f"- {label}: {results['orders']:,} orders, measured "
                       f"{results.get('measured_at', '?')}, load average "
                       f"{'/'.join(str(x) for x in load[:3])} before and "
                       f"{'/'.join(str(x) for x in load[3:])} after.")
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
            ratios, medians = [], []
            for _label, results in entries:
                figures = results["cases"].get(name)
                if figures is None:
                    row += ["", "", ""]
                    continue
                row += [_ms(figures["django"]), _ms(figures["raw"]), f"{figures['ratio']:.1f}"]
                ratios.append(figures["ratio"])
                medians.append(figures["django"]["median_ms"])
            growth = medians[-1] / medians[0] if len(medians) > 1 and medians[0] else None
            shown = _queue_rows(name, entries)
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
                share = order / static if static else 0
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
