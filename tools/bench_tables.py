#!/usr/bin/python3
"""Turns the benchmarks' JSON (Google Benchmark's --benchmark_out) into docs/BENCHMARKS.md's
markdown tables.

    build/bench/ops_bench --benchmark_out=ops.json --benchmark_out_format=json
    build/bench/train_step_bench --phases --benchmark_out=steps.json --benchmark_out_format=json
    /usr/bin/python3 tools/bench_tables.py ops.json steps.json [--commit abc1234]

Each file is recognized by its rows: ops_bench's ({fwd,bwd}/<device>/<op>/<shape>[/<reference>],
update/..., the loss) give one table per device (forward and backward side by side: time, rate,
fraction of the measured roofline, and the reference's time over ours) and a table of the
update and loss rows; train_step_bench's (train_step/<device>/<model>/<input>) give a table of
images/s and the phases. With --benchmark_repetitions the median aggregate is used. Needs only
the standard library.
"""

import argparse
import json
import sys

GEMM_OPS = ("conv2d", "linear")


def load(path):
    with open(path) as f:
        report = json.load(f)
    rows = report.get("benchmarks", [])
    medians = [r for r in rows if r.get("run_type") == "aggregate"
               and r.get("aggregate_name") == "median"]
    chosen = medians or [r for r in rows if r.get("run_type", "iteration") == "iteration"]
    out = {}
    for r in chosen:
        name = r.get("run_name", r["name"])
        for suffix in ("/manual_time", "/real_time"):
            if name.endswith(suffix):
                name = name[:-len(suffix)]
        out[name] = r
    return report.get("context", {}), out


def ms(row):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[row["time_unit"]]
    return row["real_time"] * scale


def fmt_ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def context_line(context, path):
    keys = ["date", "host_name", "num_cpus", "rethink_threads", "batch", "openblas",
            "cpu_peak_fp32_GFLOP/s", "cpu_bandwidth_GB/s", "gpu", "cuda_peak_fp32_GFLOP/s",
            "cuda_peak_tf32_GFLOP/s", "cuda_bandwidth_GB/s", "cuda", "omp_wait_policy",
            "load_avg"]
    parts = [f"{k} {context[k]}" for k in keys if k in context]
    return f"`{path}`: " + "; ".join(parts)


def ops_tables(rows, context, commit):
    lines = []
    devices = sorted({n.split("/")[1] for n in rows if n.startswith(("fwd/", "bwd/"))})
    for device in devices:
        peak = context.get(f"{device}_peak_fp32_GFLOP/s", "?")
        bandwidth = context.get(f"{device}_bandwidth_GB/s", "?")
        reference = "cuDNN (conv2d, batch_norm), cuBLAS (linear)" if device == "cuda" else \
            "OpenBLAS's GEMMs alone (linear, conv2d)"
        lines.append(f"#### Ops on {device} ({commit}): roofline = peak {peak} GFLOP/s, "
                     f"{bandwidth} GB/s; reference: {reference}")
        lines.append("")
        lines.append("| op | shape | fwd ms | fwd rate | fwd roofline | fwd vs ref | bwd ms | "
                     "bwd rate | bwd roofline | bwd vs ref | layers |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        seen = []
        for name in rows:
            parts = name.split("/")
            if parts[0] not in ("fwd", "bwd") or parts[1] != device:
                continue
            if parts[-1] in ("openblas_gemm", "cublas_gemm", "cudnn"):
                continue
            key = "/".join(parts[2:])
            if key in seen or parts[2] == "softmax_cross_entropy":
                continue
            seen.append(key)
        for key in seen:
            op = key.split("/")[0]
            cells = []
            label = ""
            for p in ("fwd", "bwd"):
                row = rows.get(f"{p}/{device}/{key}")
                if row is None:
                    cells += ["-"] * 4
                    continue
                label = row.get("label", label)
                rate = (f"{row['GFLOP/s']:.1f} GFLOP/s" if op in GEMM_OPS
                        else f"{row['GB/s']:.1f} GB/s")
                roof = f"{row['roofline']:.2f}" if "roofline" in row else "-"
                vs = f"{row['vs_ref']:.2f}" if "vs_ref" in row else "-"
                cells += [fmt_ms(ms(row)), rate, roof, vs]
            shape = key.split("/", 1)[1].replace("->", " &rarr; ")
            layers = label if len(label) < 60 else label[:57] + "..."
            lines.append(f"| {op} | {shape} | " + " | ".join(cells) + f" | {layers} |")
        lines.append("")
        extra = [n for n in rows if n.split("/")[1] == device and
                 (n.startswith("update/") or "/softmax_cross_entropy/" in n)]
        if extra:
            lines.append("| row | ms | GB/s | roofline | what |")
            lines.append("| --- | --- | --- | --- | --- |")
            for n in extra:
                row = rows[n]
                roof = f"{row['roofline']:.2f}" if "roofline" in row else "-"
                lines.append(f"| {n} | {fmt_ms(ms(row))} | {row['GB/s']:.1f} | {roof} | "
                             f"{row.get('label', '')} |")
            lines.append("")
    return lines


def step_table(rows, commit):
    lines = [f"#### Training steps ({commit})", "",
             "| device | model | input | ms/step | images/s | data ms | forward ms | backward ms | "
             "update ms | launches/step |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in rows.items():
        parts = name.split("/")
        if parts[0] != "train_step":
            continue
        phases = [f"{row[k]:.2f}" if k in row else "-"
                  for k in ("data_ms", "forward_ms", "backward_ms", "update_ms")]
        lines.append(f"| {parts[1]} | {parts[2]} | {parts[3]} | {fmt_ms(ms(row))} | "
                     f"{row['images/s']:.0f} | " + " | ".join(phases) +
                     f" | {row.get('launches', 0):.0f} |")
    lines.append("")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("--commit", default="commit ?", help="printed in the table headings")
    args = parser.parse_args()
    for path in args.files:
        try:
            context, rows = load(path)
        except (OSError, ValueError, KeyError) as e:
            sys.exit(f"bench_tables: {path}: {e}")
        print(context_line(context, path))
        print()
        if any(n.startswith("train_step/") for n in rows):
            print("\n".join(step_table(rows, args.commit)))
        if any(n.startswith(("fwd/", "bwd/", "update/")) for n in rows):
            print("\n".join(ops_tables(rows, context, args.commit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
