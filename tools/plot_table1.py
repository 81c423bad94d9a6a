#!/usr/bin/env python3
"""Draws the test accuracy of every Table 1 run with its best-so-far band (the paper's Figure 2:
what early stopping could have had) from the runs that `rethink table1` wrote.

    /usr/bin/python3 tools/plot_table1.py runs/table1

Writes plots/table1.png. Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import csv
import pathlib
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("tools/plot_table1.py needs matplotlib: apt-get install python3-matplotlib, "
             "then run it with /usr/bin/python3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=pathlib.Path, help="the output directory of rethink table1")
    args = parser.parse_args()
    runs = sorted(p.parent for p in (args.dir / "runs").glob("*/*/seed-*/metrics.csv"))
    if not runs:
        sys.exit(f"{args.dir}/runs holds no runs with a metrics.csv")
    models = sorted({r.parent.parent.name for r in runs})
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        for run in (r for r in runs if r.parent.parent.name == model):
            with (run / "metrics.csv").open(newline="") as f:
                rows = list(csv.DictReader(f))
            if not rows:
                continue
            steps = [float(r["step"]) / 1000 for r in rows]
            test = [100 * float(r["test_acc"]) for r in rows]
            best = [100 * float(r["best_test_acc"]) for r in rows]
            label = f"{run.parent.name} {run.name}"
            line, = ax.plot(steps, test, label=label)
            ax.fill_between(steps, test, best, color=line.get_color(), alpha=0.2)
        ax.set(xlabel="thousands of steps", ylabel="test accuracy (%)", title=model,
               ylim=(0, 100))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small")
    out = args.dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / "table1.png", dpi=120)
    print(f"wrote {out / 'table1.png'}")


if __name__ == "__main__":
    main()
