#!/usr/bin/python3
"""Checks bench/compare's table on a tiny model (ctest compare_table, label unit).

    /usr/bin/python3 tests/bench/compare_test.py --build BUILD_DIR

1. The real thing: train_step_bench and torch_reference.py on mlp1x512 over 8x8x1 images (38,410
   parameters), one thread, two short rounds. The printed row must hold the model, input,
   device, thread count and parameter count asked for; its ratio must be the ratio of its two
   printed medians, and the --save JSON must hold the same numbers, both children's thread
   counts, and one per-round ratio per round. Exit 77 (ctest: skipped) when /usr/bin/python3
   has no PyTorch.
2. A stand-in "PyTorch" (a script given as --python) that reports one parameter too many:
   compare must refuse (status 1) and say that the two sides do not train the same model. This
   half needs no PyTorch.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(ROOT, "bench", "compare")
SKIP = 77

FAKE_TORCH = """#!/bin/sh
echo '{"record": "context", "torch": "fake", "threads": 1}'
echo '{"record": "model", "model": "mlp1x512", "variant": "eager", "input": "8x8x1", "params": 38411, "median_images_per_s": 1000.0, "median_ms_per_step": 128.0}'
"""


def fail(message):
    print(f"compare_test: FAILED: {message}")
    sys.exit(1)


def compare(build, extra, python=None):
    cmd = [sys.executable, COMPARE, "--build", build, "--models", "mlp1x512", "--inputs",
           "8x8x1", "--threads", "1", "--rounds", "2", "--min-time", "0.05"] + extra
    if python:
        cmd += ["--python", python]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def check_real_table(build, tmp):
    saved = os.path.join(tmp, "compare.json")
    rc, out, err = compare(build, ["--save", saved])
    if rc != 0:
        fail(f"compare exited {rc}:\n{out}\n{err}")
    rows = [line for line in out.splitlines() if line.startswith("mlp1x512 ")]
    if len(rows) != 1:
        fail(f"expected one mlp1x512 row in the table, found {len(rows)}:\n{out}")
    fields = rows[0].split()
    # model input device threads params ours ms PyTorch ms ratio per-round (range) quiet
    if fields[:5] != ["mlp1x512", "8x8x1", "cpu", "1", "38410"]:
        fail(f"the row names {fields[:5]}, not mlp1x512 8x8x1 cpu 1 38410: {rows[0]}")
    ours, theirs, ratio = float(fields[5]), float(fields[7]), float(fields[9])
    if abs(ratio - ours / theirs) > 1e-3 * max(1.0, ratio):
        fail(f"the ratio {ratio} is not ours / PyTorch = {ours} / {theirs}: {rows[0]}")
    if not re.fullmatch(r"\d+\.\d\d \(\d+\.\d\d-\d+\.\d\d\)", " ".join(fields[10:12])):
        fail(f"no per-round ratio 'median (min-max)' in {rows[0]}")
    with open(saved) as f:
        report = json.load(f)
    (row,) = report["rows"]
    if row["params"] != 38410 or row["threads"] != 1 or row["device"] != "cpu":
        fail(f"the saved row is {row}")
    if abs(row["ours"]["images_per_s"] - ours) > 0.05 + 1e-6 * ours or \
            abs(row["torch"]["images_per_s"] - theirs) > 0.05 + 1e-6 * theirs:
        fail(f"the saved medians {row['ours']}, {row['torch']} differ from the table's")
    if len(report["runs"]) != 2 or [r["order"][0] for r in report["runs"]] != ["ours", "pytorch"]:
        fail("expected two rounds, ours first in the first and PyTorch first in the second")
    if report["contexts"]["ours"]["rethink_threads"] != "1" or \
            report["contexts"]["pytorch"]["threads"] != 1:
        fail(f"the children's thread counts: {report['contexts']}")
    per_round = [r["ours"]["mlp1x512/8x8x1"]["images_per_s"] /
                 r["pytorch"]["mlp1x512/8x8x1"]["images_per_s"] for r in report["runs"]]
    low, high = row["paired_range"]
    if abs(low - min(per_round)) > 1e-9 or abs(high - max(per_round)) > 1e-9:
        fail(f"the per-round range {row['paired_range']} is not that of {per_round}")
    print(f"table ok: {rows[0]}")


def check_mismatch_refused(build, tmp):
    fake = os.path.join(tmp, "fake-python")
    with open(fake, "w") as f:
        f.write(FAKE_TORCH)
    os.chmod(fake, 0o755)
    rc, out, err = compare(build, [], python=fake)
    if rc != 1 or "do not train the same model" not in err:
        fail(f"a parameter count mismatch was not refused (exit {rc}):\n{out}\n{err}")
    print("parameter mismatch refused: " + err.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, help="the build tree with bench/train_step_bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        check_mismatch_refused(args.build, tmp)
        has_torch = subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                                   stderr=subprocess.DEVNULL).returncode == 0
        if not has_torch:
            print("compare_test: /usr/bin/python3 has no PyTorch (apt-get install python3-torch):"
                  " the table check is skipped")
            return SKIP
        check_real_table(args.build, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
