#!/usr/bin/python3
"""PyTorch reference for bench/train_step_bench: one SGD training step of the paper's MLPs.

The same step as rethink's trainer, on the same models and batch, at a given thread count:
forward, softmax cross-entropy, read the loss, zero the gradients, backward, SGD update
(lr 0.01, momentum 0.9, no weight decay), on a fixed random batch of 128 already in memory.

    /usr/bin/python3 bench/torch_mlp.py --threads 2 [--repeats 5] [--min-time 1] [--json]

Debian's python3-torch (1.13) belongs to /usr/bin/python3; it uses one thread unless told
otherwise, so the thread count is always set and printed. Text goes to stdout; with --json,
stdout holds JSON lines instead (one "context" record, then one record per model) and the text
goes to stderr. bench/compare_mlp runs this script and train_step_bench side by side.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

BATCH = 128
LR = 0.01
MOMENTUM = 0.9
CLASSES = 10

# name in rethink's zoo, layer widths, one image's shape, hidden widths
MODELS = [
    ("mlp1x512", "784-512-10", (1, 28, 28), [512]),
    ("mlp3x512", "2352-512x3-10", (3, 28, 28), [512, 512, 512]),
]


def build_mlp(in_features, hidden, classes):
    layers = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, classes))
    model = nn.Sequential(*layers)
    # rethink's initialization (Glorot uniform weights, zero biases): it costs nothing in the
    # step, but makes the two losses comparable.
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


class Step:
    """One model, its optimizer and its fixed batch."""

    def __init__(self, image_shape, hidden, zero_grad_mode, seed):
        gen = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        features = image_shape[0] * image_shape[1] * image_shape[2]
        self.model = build_mlp(features, hidden, CLASSES)
        self.model.train()
        self.params = sum(p.numel() for p in self.model.parameters())
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.set_to_none = zero_grad_mode == "none"
        self.images = torch.randn((BATCH,) + tuple(image_shape), generator=gen)
        self.labels = torch.randint(0, CLASSES, (BATCH,), generator=gen)

    def __call__(self):
        logits = self.model(self.images)
        loss = F.cross_entropy(logits, self.labels)
        value = loss.item()  # rethink's trainer reads the loss every step
        self.opt.zero_grad(set_to_none=self.set_to_none)
        loss.backward()
        self.opt.step()
        return value

    def phases(self, steps):
        """Mean milliseconds per phase over `steps` steps (timers between the phases)."""
        total = {"fwd_ms": 0.0, "loss_ms": 0.0, "zero_ms": 0.0, "bwd_ms": 0.0, "upd_ms": 0.0}
        clock = time.perf_counter
        for _ in range(steps):
            t0 = clock()
            logits = self.model(self.images)
            t1 = clock()
            loss = F.cross_entropy(logits, self.labels)
            loss.item()
            t2 = clock()
            self.opt.zero_grad(set_to_none=self.set_to_none)
            t3 = clock()
            loss.backward()
            t4 = clock()
            self.opt.step()
            t5 = clock()
            for key, a, b in (("fwd_ms", t0, t1), ("loss_ms", t1, t2), ("zero_ms", t2, t3),
                              ("bwd_ms", t3, t4), ("upd_ms", t4, t5)):
                total[key] += (b - a) * 1000.0
        return {k: v / steps for k, v in total.items()}


def timed_run(step, min_time):
    """Runs whole steps until `min_time` seconds have passed; returns (steps, seconds)."""
    clock = time.perf_counter
    start = clock()
    steps = 0
    while True:
        step()
        steps += 1
        elapsed = clock() - start
        if elapsed >= min_time:
            return steps, elapsed


def blas_libraries():
    """The BLAS shared objects this process has loaded (PyTorch finds one at run time)."""
    found = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "blas" in os.path.basename(path) and path not in found:
                    found.append(os.path.realpath(path))
    except OSError:
        pass
    return sorted(set(found))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads (torch.set_num_threads); 0: every core (default)")
    parser.add_argument("--models", default=",".join(m[0] for m in MODELS),
                        help="comma-separated subset of: %(default)s")
    parser.add_argument("--warmup", type=float, default=0.5,
                        help="seconds of untimed steps per model (default %(default)s)")
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds per timed run (whole steps; default %(default)s)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs per model; the median is reported (default %(default)s)")
    parser.add_argument("--zero-grad", choices=["zero", "none"], default="zero",
                        help="optimizer.zero_grad(set_to_none=...): 'zero' fills the gradients "
                             "with zeros as rethink does and is PyTorch 1.13's default; 'none' "
                             "drops them (PyTorch 2's default)")
    parser.add_argument("--phases", action="store_true",
                        help="also time each phase of the step (forward, loss, zero_grad, "
                             "backward, update)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true",
                        help="JSON lines on stdout, the text on stderr")
    args = parser.parse_args()

    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    text = sys.stderr if args.json else sys.stdout
    wanted = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in [entry[0] for entry in MODELS]]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}: choose from "
                     f"{', '.join(m[0] for m in MODELS)}")
    if args.repeats < 1 or args.min_time <= 0:
        parser.error("--repeats must be at least 1 and --min-time positive")

    context = {
        "record": "context",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "batch": BATCH,
        "zero_grad": args.zero_grad,
        "load_average": list(os.getloadavg()),
    }
    context["blas"] = blas_libraries()
    if args.json:
        print(json.dumps(context), flush=True)
    print(f"PyTorch {context['torch']}, threads {context['threads']} "
          f"(interop {context['interop_threads']}), {context['cpu']}, batch {BATCH}, "
          f"zero_grad {args.zero_grad}, BLAS {', '.join(context['blas']) or 'unknown'}",
          file=text, flush=True)

    for name, shape, image_shape, hidden in MODELS:
        if name not in wanted:
            continue
        step = Step(image_shape, hidden, args.zero_grad, args.seed)
        first_loss = step()
        timed_run(step, args.warmup)
        runs = []
        for _ in range(args.repeats):
            steps, seconds = timed_run(step, args.min_time)
            runs.append({"steps": steps, "seconds": seconds,
                         "steps_per_s": steps / seconds,
                         "images_per_s": steps * BATCH / seconds})
        last_loss = step()
        record = {
            "record": "model",
            "model": name,
            "shape": shape,
            "params": step.params,
            "threads": torch.get_num_threads(),
            "batch": BATCH,
            "repeats": args.repeats,
            "median_steps_per_s": statistics.median(r["steps_per_s"] for r in runs),
            "median_images_per_s": statistics.median(r["images_per_s"] for r in runs),
            "median_ms_per_step": 1000.0 / statistics.median(r["steps_per_s"] for r in runs),
            "runs": runs,
            "first_loss": first_loss,
            "last_loss": last_loss,
        }
        if args.phases:
            record["phases"] = step.phases(max(10, runs[0]["steps"] // 2))
        if args.json:
            print(json.dumps(record), flush=True)
        spread = ", ".join(f"{r['images_per_s']:.0f}" for r in runs)
        print(f"{name} {shape} ({step.params} parameters): "
              f"{record['median_ms_per_step']:.3f} ms/step, "
              f"{record['median_steps_per_s']:.1f} steps/s, "
              f"{record['median_images_per_s']:.0f} images/s (median of {args.repeats}: {spread}); "
              f"loss {first_loss:.4f} -> {last_loss:.4f}", file=text, flush=True)
        if args.phases:
            print("  phases (ms/step): " +
                  ", ".join(f"{k} {v:.3f}" for k, v in record["phases"].items()),
                  file=text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
