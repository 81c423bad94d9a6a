#!/usr/bin/env python3
"""Plots a run's learning curves (loss and accuracy per epoch) from its metrics.csv.

    /usr/bin/python3 tools/plot_metrics.py runs/<name> [runs/<other> ...] [-o curves.png]

Several run directories are drawn on the same axes, labelled by directory name. Needs Debian's
python3-matplotlib (run with /usr/bin/python3: the python3 on PATH may be another install).
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
    sys.exit("tools/plot_metrics.py needs matplotlib: apt-get install python3-matplotlib, "
             "then run it with /usr/bin/python3")


def read_metrics(run_dir: pathlib.Path):
    path = run_dir / "metrics.csv"
    if not path.is_file():
        sys.exit(f"{path} does not exist: pass a run directory written by 'rethink fit'")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path} has no rows yet: the run has not finished an epoch")
    return {key: [float(r[key]) for r in rows] for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=pathlib.Path, help="run directories")
    parser.add_argument("-o", "--output", type=pathlib.Path,
                        help="PNG to write (default: <first run>/plots/curves.png)")
    args = parser.parse_args()

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for run in args.runs:
        m = read_metrics(run)
        ax_loss.plot(m["step"], m["train_loss"], label=run.name)
        ax_acc.plot(m["step"], [100 * a for a in m["full_train_acc"]], label=f"{run.name} train")
        ax_acc.plot(m["step"], [100 * a for a in m["test_acc"]], "--", label=f"{run.name} test")
    ax_loss.set(xlabel="step", ylabel="training loss (running, per epoch)", yscale="log")
    ax_acc.set(xlabel="step", ylabel="accuracy (%)", ylim=(0, 101))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()

    output = args.output or args.runs[0] / "plots" / "curves.png"
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=120)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
