#!/usr/bin/env python3
"""Formats `ringhost simulate --scenarios FILE --json` (one JSON object per cell, on
stdin; tests/bench/pacing-grid.toml, pacing-drift.toml) as the Markdown tables of
docs/benchmarks.md: a column per axis of the grid, then per pacer
pacer, occupancy and the FTC abandon rate (mean over seeds, and the worst seed), the
best baseline that kept every seed within 3%, and whether Ringhost's predictive pacer
beat it while keeping every seed within 3%."""

import json
import sys

LIMIT = 0.03
BASELINE_NAMES = {
    "progressive": "progressive",
    "vicidial-adapt-hard": "VICIdial hard",
    "vicidial-adapt-tapered": "VICIdial tapered",
    "vicidial-adapt-average": "VICIdial average",
}


def label(name):
    if name.startswith("ratio:"):
        return f"best ratio ({name[6:]})"
    if name.startswith("vicidial-adapt-hard:"):
        return "VICIdial hard, tuned"
    return BASELINE_NAMES.get(name, name)


def shown(result):
    occupancy = result["occupancy"]["mean"] * 100
    ftc = result["abandon"]["ftc"]
    return f"{occupancy:.1f}% / {ftc['mean'] * 100:.2f}% ({ftc['max'] * 100:.2f}%)"


# The grid's axes as the tables name and show them; any other axis by its own name.
AXES = {
    "agents": ("agents", str),
    "answer_rate": ("live", lambda v: f"{v * 100:.0f}%"),
    "talk_mean_s": ("talk", lambda v: f"{v} s"),
    "list_contacts": ("list used up by", lambda v: f"{v:,} dials" if v else "never"),
    "quick_share": ("quick refusals", lambda v: f"{v * 100:.0f}%"),
}


def axis(name):
    return AXES.get(name, (name, str))


def main():
    cells = [json.loads(line) for line in sys.stdin if line.strip()]
    pacers = [r["pacer"] for r in cells[0]["results"]]
    names = [k for k, _ in cells[0]["cell"]]
    heads = [label(p) if not p.startswith("ratio:") else "best fixed ratio" for p in pacers]
    print("| " + " | ".join(axis(n)[0] for n in names) + " | " + " | ".join(heads)
          + " | predictive beats every baseline within 3% |")
    print("|" + "---:|" * len(names) + "---|" * len(pacers) + "---|")
    met = 0
    for cell in cells:
        axes = dict((k, v) for k, v in cell["cell"])
        results = cell["results"]
        ours = next(r for r in results if r["pacer"] == "predictive")
        within = lambda r: r["abandon"]["ftc"]["max"] <= LIMIT
        baselines = [r for r in results if r["pacer"] != "predictive" and within(r)]
        best = max((r["occupancy"]["mean"] for r in baselines), default=0.0)
        beats = within(ours) and ours["occupancy"]["mean"] > best
        met += beats
        row = [axis(n)[1](axes[n]) for n in names]
        for r in results:
            text = shown(r)
            if r["pacer"].startswith("ratio:"):
                text += f" at {r['pacer'][6:]}"
            row.append(text)
        row.append("yes" if beats else "**no**")
        print("| " + " | ".join(row) + " |")
    print()
    print(f"{met} of {len(cells)} cells: predictive within 3% on every seed and above every baseline that is.")


if __name__ == "__main__":
    main()
