#!/usr/bin/python3
"""PyTorch reference for bench/train_step_bench: one SGD training step of every zoo model.

The same step as rethink's trainer (experiments/trainer.cpp) and bench/train_step_bench.cpp,
on the same models (tools/torch_models.py), data shapes, batch and optimizer:

  data      gather the batch from a uint8 data set held in memory (on --device) by the epoch's
            random order, scale by 1/255, center-crop to 28x28, per-image whitening
  forward   logits, softmax cross-entropy, read the loss (loss.item())
  backward  zero the gradients, backward, the gradient's L2 norm (read, as the trainer does)
  update    SGD (momentum 0.9, no weight decay; lr 0.1 for inception*, 0.01 otherwise) and
            the batch's correct predictions (read)

    /usr/bin/python3 bench/torch_reference.py --threads 2 [--models mlp1x512,alexnet]
        [--inputs 32x32x3,28x28x1] [--device cpu|cuda] [--repeats 5] [--min-time 1]
        [--compile] [--phases] [--bn native|faithful] [--check] [--json]

--inputs lists the STORED image sizes (HxWxC); batches are their center 28x28 crop, as
`rethink fit` makes them: 32x32x3 (CIFAR-10) gives 28x28x3 batches, 28x28x1 (Fashion-MNIST)
28x28x1. The models take NCHW, PyTorch's layout, so the data set is held NCHW.

--bn native (the default) runs PyTorch's own fused layers where they compute the same thing
as tools/torch_models.py: F.batch_norm with a beta-only affine (the same parameters; PyTorch's
running averages without TensorFlow's bias correction, which costs nothing per element either
way), and the convolution's or pooling's own padding where TensorFlow's SAME padding is
symmetric (F.pad stays where it is not). That is what a PyTorch user would write, and the
fastest honest reference. --bn faithful runs tools/torch_models.py exactly as it is. --check
verifies on one batch that both give the same logits.

Debian's python3-torch (1.13) belongs to /usr/bin/python3; it uses one thread unless told
otherwise, so the thread count is always set (torch.set_num_threads) and printed. torch.compile
needs PyTorch 2: --compile adds compiled rows where it exists and says it skipped them where it
does not. Text goes to stdout; with --json stdout holds JSON lines instead (one "context"
record, then one "model" record per model and input, or a "skipped" record) and the text goes to
stderr. bench/compare runs this script and train_step_bench side by side.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import torch_models as tm  # noqa: E402

BATCH = 128
MOMENTUM = 0.9
CLASSES = 10
CROP = 28  # datasets/batch_loader.h's kCropSize: the paper's center crop
IMAGES = 4096  # images in the data set: larger than the caches, as a real one is
MODELS = list(tm.MODELS)  # rethink's registry order
DEFAULT_INPUTS = "32x32x3,28x28x1"


def learning_rate(model):
    """The paper's initial rate, as rethink's default_lr (experiments/fit_options.cpp)."""
    return 0.1 if model.startswith("inception") else 0.01


def parse_input(text):
    """'32x32x3' -> (H, W, C), the stored image size."""
    try:
        h, w, c = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--inputs {text!r}: give HxWxC, e.g. 32x32x3") from None
    if min(h, w, c) < 1:
        raise ValueError(f"--inputs {text!r}: sizes must be positive")
    return h, w, c


def batch_size_of(stored):
    """The batch image (H, W, C) of a stored one: its center CROP x CROP, if larger."""
    h, w, c = stored
    return min(h, CROP), min(w, CROP), c


def shape_name(hwc):
    return "x".join(str(v) for v in hwc)


# --- PyTorch's own layers where they compute the same thing ---------------------------------


class NativeBatchNorm(torch.nn.Module):
    """TF-slim's batch norm (beta only, epsilon 1e-3, decay 0.999) as one F.batch_norm call."""

    def __init__(self, faithful):
        super().__init__()
        self.eps, self.momentum = faithful.eps, 1 - faithful.decay
        self.weight = faithful.weight  # None for the paper's beta-only batch norm
        self.bias = faithful.bias
        self.register_buffer("running_mean", torch.zeros(faithful.channels))
        self.register_buffer("running_var", torch.ones(faithful.channels))

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)


def nativize(model, example):
    """Swaps tools/torch_models.py's batch norm for NativeBatchNorm and lets convolutions and
    max pools pad themselves where TF SAME padding is symmetric at the size that reaches them
    (found by one forward of `example`)."""
    pads, hooks = {}, []
    for m in model.modules():
        if isinstance(m, (tm.Conv2d, tm.MaxPool2d)):
            def remember(mod, inputs):
                kernel = mod.kernel_size[0] if isinstance(mod, tm.Conv2d) else mod.kernel
                stride = mod.stride[0] if isinstance(mod, tm.Conv2d) else mod.stride
                padding = mod.tf_padding if isinstance(mod, tm.Conv2d) else mod.padding
                pads[mod] = tm._pads(inputs[0], kernel, stride, padding)
            hooks.append(m.register_forward_pre_hook(remember))
    with torch.no_grad():
        model.eval()
        model(example)
        model.train()
    for h in hooks:
        h.remove()
    for m, (left, right, top, bottom) in pads.items():
        if left != right or top != bottom:
            continue  # asymmetric: keep F.pad
        if isinstance(m, tm.Conv2d):
            m.padding = (top, left)
            m.forward = lambda x, m=m: F.conv2d(x, m.weight, m.bias, m.stride, m.padding)
        elif top <= m.kernel // 2 and left <= m.kernel // 2:
            m.forward = lambda x, m=m, p=(top, left): F.max_pool2d(x, m.kernel, m.stride, p)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, tm.BatchNorm2d):
                setattr(parent, name, NativeBatchNorm(child))
    return model


def build_model(name, batch_hwc, bn, device, seed):
    torch.manual_seed(seed)
    h, w, c = batch_hwc
    model = tm.build(name, (c, h, w), CLASSES)
    if bn == "native":
        nativize(model, torch.zeros(2, c, h, w))
    return model.to(device).train()


# --- the step ---------------------------------------------------------------------------------


class Step:
    """One model, its optimizer and its data set, stepping as rethink's trainer does."""

    def __init__(self, name, stored, args, device):
        self.device = device
        self.stored = stored
        self.batch_hwc = batch_size_of(stored)
        gen = torch.Generator().manual_seed(args.seed)
        h, w, c = stored
        # Uniform random bytes: the values do not change the work; NCHW, PyTorch's layout.
        self.images = torch.randint(0, 256, (IMAGES, c, h, w), dtype=torch.uint8,
                                    generator=gen).to(device)
        self.labels = torch.randint(0, CLASSES, (IMAGES,), generator=gen).to(device)
        self.top = (h - self.batch_hwc[0]) // 2
        self.left = (w - self.batch_hwc[1]) // 2
        self.model = build_model(name, self.batch_hwc, args.bn, device, args.seed)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.param_count = sum(p.numel() for p in self.params)
        self.opt = torch.optim.SGD(self.params, lr=learning_rate(name), momentum=MOMENTUM)
        self.forward = self.model
        self.epoch = 0
        self.position = IMAGES  # start a new epoch at the first batch
        self.order = None
        self.gen = gen

    def compile(self):
        self.forward = torch.compile(self.model)

    def next_batch(self):
        if self.position + BATCH > IMAGES:  # a new epoch; the partial batch is dropped
            self.order = torch.randperm(IMAGES, generator=self.gen).to(self.device)
            self.position = 0
            self.epoch += 1
        index = self.order[self.position:self.position + BATCH]
        self.position += BATCH
        bh, bw, _ = self.batch_hwc
        x = self.images[index][:, :, self.top:self.top + bh, self.left:self.left + bw]
        x = x.float().mul_(1.0 / 255.0)
        # tf.image.per_image_standardization: (x - mean) / max(std, 1 / sqrt(pixels)).
        n = x[0].numel()
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False).clamp_(min=1.0 / math.sqrt(n))
        return (x - mean) / std, self.labels[index]

    def __call__(self, clock=None):
        """One step; with `clock` (a list), appends the time after each phase."""
        x, y = self.next_batch()
        if clock is not None:
            clock.append(self.now())
        logits = self.forward(x)
        loss = F.cross_entropy(logits, y)
        value = loss.item()  # the trainer reads the loss every step
        if clock is not None:
            clock.append(self.now())
        self.opt.zero_grad(set_to_none=False)  # rethink zeroes its gradients; 1.13's default
        loss.backward()
        norms = torch.stack([torch.linalg.vector_norm(p.grad) for p in self.params])
        grad_norm = torch.linalg.vector_norm(norms).item()
        if clock is not None:
            clock.append(self.now())
        self.opt.step()
        correct = (logits.detach().argmax(dim=1) == y).sum().item()
        if clock is not None:
            clock.append(self.now())
        if not math.isfinite(value) or not math.isfinite(grad_norm):
            raise RuntimeError(f"the loss ({value}) or the gradient norm ({grad_norm}) is not "
                               "finite")
        return value, correct

    def now(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def phases(self, steps):
        """Mean milliseconds per phase over `steps` steps (synchronized on a GPU)."""
        total = [0.0] * 4
        for _ in range(steps):
            clock = [self.now()]
            self(clock)
            for i in range(4):
                total[i] += (clock[i + 1] - clock[i]) * 1000.0
        return dict(zip(("data_ms", "forward_ms", "backward_ms", "update_ms"),
                        (t / steps for t in total)))


def timed_run(step, min_time, min_steps):
    """Whole steps until `min_time` seconds and `min_steps` steps; returns (steps, seconds)."""
    start = step.now()
    steps = 0
    while True:
        step()
        steps += 1
        elapsed = step.now() - start
        if elapsed >= min_time and steps >= min_steps:
            return steps, elapsed


def check_native(name, stored, seed):
    """The native layers give the faithful model's logits (same weights, training mode)."""
    h, w, c = batch_size_of(stored)
    faithful = build_model(name, (h, w, c), "faithful", torch.device("cpu"), seed)
    native = build_model(name, (h, w, c), "native", torch.device("cpu"), seed)
    native.load_state_dict({k: v for k, v in faithful.state_dict().items()
                            if k in native.state_dict()}, strict=False)
    x = torch.randn(8, c, h, w, generator=torch.Generator().manual_seed(seed))
    a, b = faithful(x), native(x)
    return float((a - b).abs().max()), float(a.abs().max())


# --- reporting ----------------------------------------------------------------------------------


def blas_libraries():
    """The BLAS shared objects this process has loaded (PyTorch finds one at run time)."""
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                path = parts[-1] if len(parts) >= 6 else ""
                if "blas" in os.path.basename(path):
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


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
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated subset of: %(default)s")
    parser.add_argument("--inputs", default=DEFAULT_INPUTS,
                        help="stored image sizes HxWxC, comma-separated; batches are their "
                             "center 28x28 crop (default %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=0.5,
                        help="seconds of untimed steps per model (default %(default)s)")
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds per timed run (whole steps; default %(default)s)")
    parser.add_argument("--min-steps", type=int, default=3,
                        help="steps per timed run at least (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs per model; the median is reported (default %(default)s)")
    parser.add_argument("--bn", choices=["native", "faithful"], default="native",
                        help="native: PyTorch's fused batch norm and built-in padding where "
                             "they compute the same (default); faithful: tools/torch_models.py "
                             "as it is")
    parser.add_argument("--compile", action="store_true",
                        help="also time torch.compile'd models (PyTorch 2; skipped, saying so, "
                             "where it is missing)")
    parser.add_argument("--phases", action="store_true",
                        help="also time each phase of the step (data, forward, backward, update)")
    parser.add_argument("--check", action="store_true",
                        help="first check that --bn native gives the faithful model's logits")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true",
                        help="JSON lines on stdout, the text on stderr")
    args = parser.parse_args()

    text = sys.stderr if args.json else sys.stdout

    def emit(record):
        if args.json:
            print(json.dumps(record), flush=True)

    wanted = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in MODELS]
    if unknown or not wanted:
        parser.error(f"--models: unknown {', '.join(unknown) or '(none given)'}; choose from "
                     f"{', '.join(MODELS)}")
    try:
        inputs = [parse_input(t.strip()) for t in args.inputs.split(",") if t.strip()]
    except ValueError as e:
        parser.error(str(e))
    if not inputs:
        parser.error("--inputs: give at least one HxWxC")
    if args.repeats < 1 or args.min_time <= 0 or args.min_steps < 1:
        parser.error("--repeats and --min-steps must be at least 1, --min-time positive")

    threads = args.threads if args.threads > 0 else (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    device_ok, why = True, ""
    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            device_ok, why = False, "torch.cuda.is_available() is False"
    elif args.device != "cpu":
        parser.error(f"--device {args.device!r}: cpu or cuda")
    device = torch.device(args.device) if device_ok else None
    compile_ok = hasattr(torch, "compile")

    context = {
        "record": "context",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(not set)"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "device": args.device,
        "device_name": (torch.cuda.get_device_name(device) if device_ok and device.type == "cuda"
                        else cpu_model()),
        "batch": BATCH,
        "bn": args.bn,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": blas_libraries(),
        "compile": "available" if compile_ok else
                   f"not available in PyTorch {torch.__version__} (needs 2.0 or newer)",
        "load_average": list(os.getloadavg()),
    }
    emit(context)
    print(f"PyTorch {context['torch']}, threads {context['threads']} (interop "
          f"{context['interop_threads']}, OMP_WAIT_POLICY {context['omp_wait_policy']}), "
          f"{context['device_name']}, batch {BATCH}, bn {args.bn}, BLAS "
          f"{', '.join(context['blas']) or 'unknown'}", file=text, flush=True)
    if not device_ok:
        emit({"record": "skipped", "device": args.device, "reason": why})
        print(f"--device {args.device}: skipped ({why})", file=text, flush=True)
        return 0
    if args.compile and not compile_ok:
        print(f"torch.compile: skipped ({context['compile']})", file=text, flush=True)

    if args.check:
        for name in wanted:
            for stored in inputs:
                diff, scale = check_native(name, stored, args.seed)
                ok = diff <= 1e-4 * max(1.0, scale)
                print(f"check {name} {shape_name(batch_size_of(stored))}: native vs faithful "
                      f"logits differ by {diff:.2e} (max |logit| {scale:.2f}): "
                      f"{'ok' if ok else 'MISMATCH'}", file=text, flush=True)
                if not ok:
                    return 1

    variants = ["eager"] + (["compiled"] if args.compile and compile_ok else [])
    for name in wanted:
        for stored in inputs:
            for variant in variants:
                step = Step(name, stored, args, device)
                if variant == "compiled":
                    step.compile()
                first_loss, _ = step()
                warm_start = time.perf_counter()
                while time.perf_counter() - warm_start < args.warmup:
                    step()
                runs = []
                for _ in range(args.repeats):
                    steps, seconds = timed_run(step, args.min_time, args.min_steps)
                    runs.append({"steps": steps, "seconds": seconds,
                                 "images_per_s": steps * BATCH / seconds})
                last_loss, _ = step()
                median = statistics.median(r["images_per_s"] for r in runs)
                record = {
                    "record": "model", "model": name, "variant": variant,
                    "device": args.device, "input": shape_name(batch_size_of(stored)),
                    "stored": shape_name(stored), "params": step.param_count,
                    "threads": torch.get_num_threads(), "batch": BATCH,
                    "lr": learning_rate(name), "repeats": args.repeats,
                    "median_images_per_s": median, "median_ms_per_step": 1000.0 * BATCH / median,
                    "runs": runs, "first_loss": first_loss, "last_loss": last_loss,
                }
                if args.phases:
                    record["phases"] = step.phases(max(3, runs[0]["steps"] // 2))
                emit(record)
                spread = ", ".join(f"{r['images_per_s']:.0f}" for r in runs)
                print(f"{name} {record['input']} ({variant}, {step.param_count} parameters): "
                      f"{record['median_ms_per_step']:.2f} ms/step, {median:.0f} images/s "
                      f"(median of {args.repeats}: {spread}); loss {first_loss:.4f} -> "
                      f"{last_loss:.4f}", file=text, flush=True)
                if args.phases:
                    print("  phases (ms/step): " + ", ".join(
                        f"{k[:-3]} {v:.3f}" for k, v in record["phases"].items()),
                        file=text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
