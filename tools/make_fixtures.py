#!/usr/bin/python3
"""Writes the PyTorch reference fixtures the C++ tests compare the CPU ops against.

    /usr/bin/python3 tools/make_fixtures.py            # every op
    /usr/bin/python3 tools/make_fixtures.py conv2d lrn # some

Needs Debian's python3-torch (CPU); `models` also needs the C++ writer of its inputs (cmake
--build --preset cpu --target model_fixture_inputs) and takes minutes. Each module
tools/fixtures/<op>.py defines generate(fx); its cases land in tests/data/fixtures/<op>.safetensors, which are committed: CI reads them
and needs no PyTorch. The references are computed in float64 from float32 inputs, with the
TensorFlow conventions (SAME padding side, LRN's alpha, beta-only batch norm, ...) spelled
out in code rather than left to PyTorch's defaults.
"""

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.common import FIXTURE_DIR, FixtureFile  # noqa: E402


def available():
    here = Path(__file__).resolve().parent / "fixtures"
    return sorted(p.stem for p in here.glob("*.py") if p.stem not in ("__init__", "common"))


def main():
    ops = available()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ops", nargs="*", metavar="OP", help=f"ops to write (default: all of {', '.join(ops)})")
    args = parser.parse_args()
    unknown = sorted(set(args.ops) - set(ops))
    if unknown:
        parser.error(f"unknown op(s) {', '.join(unknown)}; known: {', '.join(ops)}")
    for op in args.ops or ops:
        fx = FixtureFile(op)
        importlib.import_module(f"fixtures.{op}").generate(fx)
        path = fx.save()
        print(f"{path.relative_to(FIXTURE_DIR.parents[2])}: {len(fx)} cases, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
