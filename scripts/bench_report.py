#!/usr/bin/env python3
"""Collects the figures of one scripts/bench.sh run, checks them against the
targets, prints the table and writes the results file.

    bench_report.py WORK_DIR OUT_FILE SMOKE(0|1)
"""
import datetime
import json
import os
import platform
import subprocess
import sys

work, out, smoke = sys.argv[1], sys.argv[2], sys.argv[3] == "1"


def load(name):
    with open(os.path.join(work, f"{name}.json")) as f:
        return json.load(f)


gate, point, big, grant, audit, tui = (load(n) for n in ("gate", "point", "big", "grant", "audit", "tui"))
levels = {lvl["clients"]: lvl for lvl in point["levels"]}
one, many = levels[min(levels)], levels[max(levels)]
writers = {lvl["writers"]: lvl for lvl in audit["levels"]}


def ratio(a, b):
    return round(a / b, 3) if b else None


rows = []  # (figure, value, baseline, ratio, target, met)


def row(figure, value, baseline="", r=None, target="", met=None):
    rows.append({"figure": figure, "value": value, "baseline": baseline,
                 "ratio": r, "target": target, "met": met})


if "ratio" in gate:
    row("gate: median per check", f"{gate['check_us']} µs", f"bare parse {gate['bare_parse_us']} µs",
        gate["ratio"], "≤ 1.5×", gate["ratio"] <= 1.5)
    row("gate: checks per second, one core", f"{gate['checks_per_second_one_core']:,}")
else:
    row("gate", "smoke: criterion ran each benchmark once")

r = ratio(one["broker"]["p50_ms"], one["direct"]["p50_ms"])
row(f"point query p50, {one['clients']} client", f"{one['broker']['p50_ms']} ms",
    f"direct {one['direct']['p50_ms']} ms", r, "≤ 2×", r is not None and r <= 2)
row(f"point query p99, {one['clients']} client", f"{one['broker']['p99_ms']} ms",
    f"direct {one['direct']['p99_ms']} ms", ratio(one["broker"]["p99_ms"], one["direct"]["p99_ms"]))
r = ratio(many["broker"]["per_second"], many["direct"]["per_second"])
row(f"point query throughput, {many['clients']} clients", f"{many['broker']['per_second']:,.0f}/s",
    f"direct {many['direct']['per_second']:,.0f}/s", r, "≥ 0.5×", r is not None and r >= 0.5)
row(f"point query p50/p99, {many['clients']} clients",
    f"{many['broker']['p50_ms']}/{many['broker']['p99_ms']} ms",
    f"direct {many['direct']['p50_ms']}/{many['direct']['p99_ms']} ms")

row(f"big result: {big['rows']:,} rows streamed", f"{big['broker_seconds']} s",
    f"mariadb --batch {big['mariadb_batch_seconds']} s", big["ratio"], "≤ 1.5×", big["ratio"] <= 1.5)
peak = big["broker_peak_rss_mib"]
row("big result: broker peak RSS", f"{peak} MiB", f"before {big['broker_rss_before_mib']} MiB",
    None, "≤ 64 MiB", peak is not None and peak <= 64)

g = grant["broker"]
row(f"grant: approve → first query (p50/p99, n={grant['n']})", f"{g['p50_ms']}/{g['p99_ms']} ms",
    f"Vault + connect {grant['direct']['p50_ms']}/{grant['direct']['p99_ms']} ms",
    ratio(g["p50_ms"], grant["direct"]["p50_ms"]), "p50 ≤ 50 ms", g["p50_ms"] <= 50)

for n in sorted(writers):
    w = writers[n]
    met = w["group_commit_per_second"] >= 5000 if n >= 32 else None
    row(f"audit: durable appends, {n} writer{'s' if n > 1 else ''}", f"{w['group_commit_per_second']:,.0f}/s",
        f"txn each {w['one_txn_each_per_second']:,.0f}/s",
        ratio(w["group_commit_per_second"], w["one_txn_each_per_second"]),
        "≥ 5,000/s" if n >= 32 else "", met)

row(f"TUI: one frame, {tui['rows']:,} rows", f"{tui['frame_ms']} ms", f"100 rows {tui['frame_ms_100_rows']} ms",
    tui["ratio"], "≤ 5 ms", tui["frame_ms"] <= 5)
row(f"TUI: RSS holding {tui['rows']:,} rows", f"{tui['peak_rss_mib']} MiB", f"before {tui['rss_mib_before']} MiB")


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None


cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), None)
results = {
    "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "commit": sh("git", "rev-parse", "--short", "HEAD"),
    "smoke": smoke,
    "machine": {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
                "mariadb": sh("mariadb", "--version")},
    "figures": rows,
    "raw": {"gate": gate, "point": point, "big": big, "grant": grant, "audit": audit, "tui": tui},
}
with open(out, "w") as f:
    json.dump(results, f, indent=2, ensure_ascii=False)

widths = (44, 16, 30, 8, 12)
head = ("figure", "value", "baseline (same run)", "ratio", "target")
print()
print("  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  met")
print("-" * (sum(widths) + 2 * len(widths) + 3))
for r in rows:
    cells = (r["figure"], r["value"], r["baseline"], f"{r['ratio']}×" if r["ratio"] is not None else "", r["target"])
    met = {True: "yes", False: "NO", None: ""}[r["met"]]
    print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + "  " + met)
missed = [r["figure"] for r in rows if r["met"] is False]
note = " (smoke run: small sizes, debug builds — the figures mean nothing)" if smoke else ""
print(f"\nwritten to {out}{note}")
if missed and not smoke:
    print("targets missed: " + "; ".join(missed))
