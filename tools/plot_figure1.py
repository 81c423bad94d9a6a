#!/usr/bin/env python3
"""Draws Figure 1's panels from the CSVs that `rethink figure1` writes.

    /usr/bin/python3 tools/plot_figure1.py runs/figure1

Reads figure1a_curves.csv, figure1b.csv, figure1b_grad_norm.csv and figure1c.csv (those that
exist) and writes plots/figure1a.png, plots/figure1b.png and plots/figure1c.png beside them.
Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import collections
import csv
import math
import pathlib
import statistics
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("tools/plot_figure1.py needs matplotlib: apt-get install python3-matplotlib, "
             "then run it with /usr/bin/python3")

TITLES = {"true-labels": "true labels", "random-labels": "random labels",
          "shuffled-pixels": "shuffled pixels", "random-pixels": "random pixels",
          "gaussian": "Gaussian"}


def read(path: pathlib.Path):
    if not path.is_file():
        return None
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def number(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def panel_a(out: pathlib.Path, rows) -> pathlib.Path:
    # Mean over seeds of the running training loss at each evaluation, per condition.
    curves = collections.defaultdict(lambda: collections.defaultdict(list))
    model = rows[0]["model"]
    for r in rows:
        curves[r["condition"]][int(float(r["step"]))].append(number(r["train_loss"]))
    fig, ax = plt.subplots(figsize=(6, 4.2))
    # Curves can coincide (an MLP does not care about a fixed pixel shuffle): vary the dashes.
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1))]
    for i, (condition, by_step) in enumerate(curves.items()):
        steps = sorted(by_step)
        ax.plot([s / 1000 for s in steps], [statistics.mean(by_step[s]) for s in steps],
                linestyle=styles[i % len(styles)], label=TITLES.get(condition, condition))
    ax.set(xlabel="thousands of steps", ylabel="average training loss",
           title=f"(a) learning curves, {model}")
    ax.grid(alpha=0.3)
    ax.legend()
    path = out / "figure1a.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def panel_b(out: pathlib.Path, rows, norms) -> pathlib.Path:
    fig, (ax, ax_norm) = plt.subplots(1, 2, figsize=(11, 4.2))
    by_model = collections.defaultdict(list)
    for r in rows:
        by_model[r["model"]].append(r)
    for model, rs in by_model.items():
        ps = [number(r["p"]) for r in rs]
        for column, style, what in (("relative_steps", "-o", "steps"),
                                    ("relative_seconds", "--s", "seconds")):
            mean = [number(r[f"{column}_mean"]) for r in rs]
            std = [number(r[f"{column}_std"]) for r in rs]
            ax.errorbar(ps, mean, yerr=[0 if math.isnan(s) else s for s in std], fmt=style,
                        capsize=3, label=f"{model} ({what})")
    ax.set(xlabel="label corruption p", ylabel="time to fit relative to p = 0",
           title="(b) relative convergence time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if norms:
        curves = collections.defaultdict(lambda: collections.defaultdict(list))
        for r in norms:
            curves[(r["model"], r["p"])][int(float(r["epoch"]))].append(number(r["grad_norm"]))
        for (model, p), by_epoch in curves.items():
            epochs = sorted(by_epoch)
            ax_norm.plot(epochs, [statistics.mean(by_epoch[e]) for e in epochs],
                         label=f"{model} p = {p}")
        ax_norm.set(xlabel="epoch", ylabel="mean gradient norm", yscale="log",
                    title="gradient norm per epoch")
        ax_norm.grid(alpha=0.3)
        ax_norm.legend(fontsize="small")
    path = out / "figure1b.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def panel_c(out: pathlib.Path, rows) -> pathlib.Path:
    fig, ax = plt.subplots(figsize=(6, 4.2))
    by_model = collections.defaultdict(list)
    for r in rows:
        by_model[r["model"]].append(r)
    for model, rs in by_model.items():
        ps = [number(r["p"]) for r in rs]
        mean = [100 * number(r["test_error_mean"]) for r in rs]
        std = [0 if math.isnan(number(r["test_error_std"])) else 100 * number(r["test_error_std"])
               for r in rs]
        line = ax.errorbar(ps, mean, yerr=std, fmt="-o", capsize=3, label=f"{model} (ours)")
        paper = [(p, 100 * number(r["paper_test_error"])) for p, r in zip(ps, rs)
                 if r["paper_test_error"]]
        if paper:
            ax.plot(*zip(*paper), "x", markersize=10, color=line[0].get_color(),
                    label=f"{model} (paper, CIFAR-10)")
    ax.set(xlabel="label corruption p", ylabel="test error (%)", ylim=(0, 100),
           title="(c) test error at convergence")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    path = out / "figure1c.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=pathlib.Path, help="the output directory of rethink figure1")
    args = parser.parse_args()
    out = args.dir / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    a = read(args.dir / "figure1a_curves.csv")
    if a:
        written.append(panel_a(out, a))
    b = read(args.dir / "figure1b.csv")
    if b:
        written.append(panel_b(out, b, read(args.dir / "figure1b_grad_norm.csv")))
    c = read(args.dir / "figure1c.csv")
    if c:
        written.append(panel_c(out, c))
    if not written:
        sys.exit(f"{args.dir} holds none of figure1a_curves.csv, figure1b.csv, figure1c.csv")
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
