#!/usr/bin/python3
"""rethink's model zoo in PyTorch: the same five models under the same parameter names, so that
a rethink weights file (docs/CHECKPOINTS.md) loads with load_state_dict(strict=True), and a
model trained here saves a file that rethink loads.

    import torch_models as tm                       # with tools/ on sys.path
    model, meta = tm.from_weights("run/weights.safetensors")   # builds the model the file names
    logits = model(images_nhwc.permute(0, 3, 1, 2))            # PyTorch's NCHW

    model = tm.build("inception", input_shape=(3, 28, 28), classes=10)
    tm.load_weights(model, "run/weights.safetensors")          # strict: every name and shape
    tm.save_weights(model, "mine.safetensors", model_name="inception", input_shape=(3, 28, 28))

    /usr/bin/python3 tools/torch_models.py [--input C,H,W] [--classes K]   # the zoo, counted
    /usr/bin/python3 tools/torch_models.py --weights FILE                  # load FILE, report

Needs Debian's python3-torch (run with /usr/bin/python3; there is no Debian package for the
`safetensors` module, so the format is read and written here: an 8-byte little-endian header
length, a JSON header, then the raw little-endian tensor bytes).

The models take NCHW images, as PyTorch's layers do; rethink's conventions are spelled out
rather than left to PyTorch's defaults (README "Conventions"):
- rethink runs NHWC: feed x.permute(0, 3, 1, 2). Its flatten is in (h, w, c) order, so the
  models here flatten with x.permute(0, 2, 3, 1).flatten(1).
- conv weights are OIHW in the file (PyTorch's Conv2d.weight), Linear weights (out, in).
- padding "same" is TensorFlow's: ceil(in / stride) outputs, the odd padded row and column at
  the bottom and right (F.pad before a conv with padding 0; PyTorch's padding=1 is symmetric
  and shifts the stride-2 grid). Max-pool padding is -inf: it never wins.
- batch norm is TF-slim's: beta only (`bias`), epsilon 1e-3, moving averages with decay 0.999
  (PyTorch momentum 0.001) kept with TensorFlow's bias correction: running_mean and running_var
  hold the CORRECTED statistics (variance unbiased) after num_batches_tracked updates (int32),
  which is what rethink saves and what eval mode normalizes with.
- LRN is tf.nn.lrn(depth_radius 4, bias 1, alpha 0.001 / 9, beta 0.75), i.e.
  LocalResponseNorm(size 9, alpha 0.001, beta 0.75, k 1).
- initialization mirrors rethink's distributions (Glorot-uniform with TensorFlow's fans, zero
  biases; AlexNet's truncated normals), not its draws: rethink's weights come from its files.
"""

import argparse
import json
import math
import struct
import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

WEIGHTS_FORMAT = "rethink-weights"
WEIGHTS_FORMAT_VERSION = 1

# --- safetensors ---------------------------------------------------------------------------

_DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "I32": torch.int32,
    "I64": torch.int64,
    "U8": torch.uint8,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: tensor}, {metadata key: string}) of a safetensors file."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than its 8-byte header length)")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(data[8 : 8 + length])
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + length :]
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has dtype {entry['dtype']}, not one of {sorted(_DTYPES)}")
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} (float32/64, int32/64, uint8; any device) and string metadata."""
    header = {"__metadata__": {k: str(v) for k, v in (metadata or {}).items()}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _NAMES:
            raise TypeError(f"{name}: cannot store dtype {t.dtype}")
        blob = t.numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    tmp.replace(path)


# --- layers --------------------------------------------------------------------------------


def tf_same_pads(in_size, kernel, stride):
    """TensorFlow SAME along one axis: (before, after), the odd element after."""
    out = -(-in_size // stride)
    total = max((out - 1) * stride + kernel - in_size, 0)
    return total // 2, total - total // 2


def _pads(x, kernel, stride, padding):
    """F.pad's (left, right, top, bottom) for NCHW x: "same", "valid" or (top, bottom, left, right)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        top, bottom = tf_same_pads(x.shape[2], kernel, stride)
        left, right = tf_same_pads(x.shape[3], kernel, stride)
        return (left, right, top, bottom)
    top, bottom, left, right = padding
    return (left, right, top, bottom)


def _check_fits(module, x, kernel, pads):
    h = x.shape[2] + pads[2] + pads[3]
    w = x.shape[3] + pads[0] + pads[1]
    if h < kernel or w < kernel:
        raise ValueError(
            f"{type(module).__name__}: its {kernel}x{kernel} window does not fit the "
            f"{x.shape[2]}x{x.shape[3]} images that reach it: the model needs larger input images"
        )


class Conv2d(nn.Conv2d):
    """nn.Conv2d (weight OIHW, optional bias) with TensorFlow's SAME, VALID or explicit
    (top, bottom, left, right) zero padding. Glorot-uniform weights, zero bias."""

    def __init__(self, in_channels, out_channels, kernel, stride=1, padding="same", bias=True):
        self.tf_padding = padding
        super().__init__(in_channels, out_channels, kernel, stride=stride, padding=0, bias=bias)

    def reset_parameters(self):
        nn.init.xavier_uniform_(self.weight)  # fans k*k*in and k*k*out, as TensorFlow's
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x):
        pads = _pads(x, self.kernel_size[0], self.stride[0], self.tf_padding)
        _check_fits(self, x, self.kernel_size[0], pads)
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride)


class MaxPool2d(nn.Module):
    """Max pooling with TensorFlow's SAME padding (padded positions never win) or VALID."""

    def __init__(self, kernel, stride, padding="same"):
        super().__init__()
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x):
        pads = _pads(x, self.kernel, self.stride, self.padding)
        _check_fits(self, x, self.kernel, pads)
        return F.max_pool2d(F.pad(x, pads, value=-math.inf), self.kernel, self.stride)


class AvgPool2d(nn.Module):
    """Average pooling, VALID (the small Inception's 7x7 mean pool; SAME is not needed here)."""

    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x):
        _check_fits(self, x, self.kernel, (0, 0, 0, 0))
        return F.avg_pool2d(x, self.kernel, self.stride)


class FlattenHWC(nn.Module):
    """rethink's flatten of NHWC activations, in (h, w, c) order, for NCHW x."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class BatchNorm2d(nn.Module):
    """TF-slim's batch norm with rethink's bias-corrected moving averages.

    Training normalizes with the batch mean and biased variance, and folds them into
    TensorFlow's accumulators, acc = decay * acc + (1 - decay) * batch (variance unbiased),
    acc starting at 0. The buffers hold the CORRECTED statistics acc / (1 - decay^t) after
    t = num_batches_tracked updates, so the accumulators are running * (1 - decay^t) and a
    loaded file continues exactly. Eval normalizes with the buffers (mean 0, variance 1 before
    any update). affine: "beta" (TF-slim's default and the paper's: parameter `bias`), "none",
    or "gamma_beta" (`weight` and `bias`)."""

    def __init__(self, channels, affine="beta", eps=1e-3, decay=0.999):
        super().__init__()
        if affine not in ("none", "beta", "gamma_beta"):
            raise ValueError(f"BatchNorm2d affine {affine!r}: one of none, beta, gamma_beta")
        self.channels, self.affine, self.eps, self.decay = channels, affine, eps, decay
        self.weight = nn.Parameter(torch.ones(channels)) if affine == "gamma_beta" else None
        self.bias = nn.Parameter(torch.zeros(channels)) if affine != "none" else None
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.int32))

    def forward(self, x):
        dims = (0, 2, 3) if x.dim() == 4 else (0,)
        shape = (1, -1, 1, 1) if x.dim() == 4 else (1, -1)
        if self.training:
            mean = x.mean(dims)
            var = x.var(dims, unbiased=False)
            self._update(mean.detach(), var.detach(), x.numel() // self.channels)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + self.eps)
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y

    @torch.no_grad()
    def _update(self, mean, biased_var, count):
        t = int(self.num_batches_tracked)
        d = self.decay
        old_weight = 1 - d**t  # 0 before the first update: the accumulators start at 0
        acc_mean = self.running_mean.double() * old_weight
        acc_var = self.running_var.double() * old_weight
        acc_mean = d * acc_mean + (1 - d) * mean.double()
        acc_var = d * acc_var + (1 - d) * biased_var.double() * count / (count - 1)
        new_weight = 1 - d ** (t + 1)
        self.running_mean.copy_(acc_mean / new_weight)
        self.running_var.copy_(acc_var / new_weight)
        self.num_batches_tracked += 1


def _lrn(depth_radius=4, bias=1.0, alpha=0.001 / 9.0, beta=0.75):
    """tf.nn.lrn as PyTorch's LocalResponseNorm (which divides alpha by the window size)."""
    size = 2 * depth_radius + 1
    return nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=bias)


def _trunc_normal_(t, std):
    """tf.random.truncated_normal: values beyond 2 standard deviations drawn again."""
    nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


# --- the zoo -------------------------------------------------------------------------------


class ConvModule(nn.Module):
    """conv (no bias) -> bn -> relu, or conv (bias) -> relu without batch norm; SAME."""

    def __init__(self, in_channels, out_channels, kernel, stride, batch_norm):
        super().__init__()
        self.conv = Conv2d(in_channels, out_channels, kernel, stride, "same", bias=not batch_norm)
        self.bn = BatchNorm2d(out_channels) if batch_norm else None
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.relu(x)


class InceptionModule(nn.Module):
    def __init__(self, in_channels, ch1, ch3, batch_norm):
        super().__init__()
        self.branch1x1 = ConvModule(in_channels, ch1, 1, 1, batch_norm)
        self.branch3x3 = ConvModule(in_channels, ch3, 3, 1, batch_norm)
        self.out_channels = ch1 + ch3

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch3x3(x)], dim=1)


class DownsampleModule(nn.Module):
    def __init__(self, in_channels, ch3, batch_norm):
        super().__init__()
        self.branch3x3 = ConvModule(in_channels, ch3, 3, 2, batch_norm)
        self.pool = MaxPool2d(3, 2, "same")
        self.out_channels = ch3 + in_channels

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.pool(x)], dim=1)


def _after_two_halvings(size):
    return ((size + 1) // 2 + 1) // 2


class Inception(nn.Module):
    """The paper's small Inception (appendix Fig. 3), models/zoo/inception.h."""

    POOL = 7

    def __init__(self, in_channels=3, height=28, width=28, classes=10, batch_norm=True, dropout=0.0):
        super().__init__()
        layers = [ConvModule(in_channels, 96, 3, 1, batch_norm)]
        channels = 96
        for kind, *widths in [("i", 32, 32), ("i", 32, 48), ("d", 80), ("i", 112, 48), ("i", 96, 64),
                              ("i", 80, 80), ("i", 48, 96), ("d", 96), ("i", 176, 160), ("i", 176, 160)]:
            m = InceptionModule(channels, *widths, batch_norm) if kind == "i" else DownsampleModule(channels, *widths, batch_norm)
            layers.append(m)
            channels = m.out_channels
        self.features = nn.Sequential(*layers)
        self.pool = AvgPool2d(self.POOL, 1)
        self.flatten = FlattenHWC()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        positions = max(_after_two_halvings(height) - self.POOL + 1, 1) * max(_after_two_halvings(width) - self.POOL + 1, 1)
        self.classifier = nn.Linear(channels * positions, classes)
        nn.init.xavier_uniform_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        x = self.flatten(self.pool(self.features(x)))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.classifier(x)


class AlexNet(nn.Module):
    """The paper's small AlexNet (the TF CIFAR-10 tutorial's model), models/zoo/alexnet.h."""

    def __init__(self, in_channels=3, height=28, width=28, classes=10, dropout=0.0):
        super().__init__()
        layers, channels = [], in_channels
        for bias in (0.0, 0.1):
            conv = Conv2d(channels, 64, 5, 1, "same")
            _trunc_normal_(conv.weight, 5e-2)
            nn.init.constant_(conv.bias, bias)
            layers += [conv, nn.ReLU(), MaxPool2d(3, 2, "same"), _lrn()]
            channels = 64
        self.features = nn.Sequential(*layers)
        self.flatten = FlattenHWC()
        hidden, width_in = [], 64 * ((((height + 1) // 2) + 1) // 2) * ((((width + 1) // 2) + 1) // 2)
        for units in (384, 192):
            fc = nn.Linear(width_in, units)
            _trunc_normal_(fc.weight, 0.04)
            nn.init.constant_(fc.bias, 0.1)
            hidden += [fc, nn.ReLU()]
            width_in = units
        self.hidden = nn.Sequential(*hidden)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.classifier = nn.Linear(width_in, classes)
        _trunc_normal_(self.classifier.weight, 1.0 / 192.0)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x):
        x = self.hidden(self.flatten(self.features(x)))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.classifier(x)


class Mlp(nn.Module):
    """Flatten in (h, w, c) order, hidden Linear + ReLU layers, a linear classifier."""

    def __init__(self, in_channels=3, height=28, width=28, classes=10, hidden=(512,), dropout=0.0):
        super().__init__()
        self.flatten = FlattenHWC()
        layers, width_in = [], in_channels * height * width
        for units in hidden:
            layers += [nn.Linear(width_in, units), nn.ReLU()]
            width_in = units
        self.hidden = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.classifier = nn.Linear(width_in, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.hidden(self.flatten(x))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.classifier(x)


# name: builder(C, H, W, classes, dropout), in rethink's registry order
MODELS = {
    "inception": lambda c, h, w, k, p: Inception(c, h, w, k, batch_norm=True, dropout=p),
    "inception-nobn": lambda c, h, w, k, p: Inception(c, h, w, k, batch_norm=False, dropout=p),
    "alexnet": lambda c, h, w, k, p: AlexNet(c, h, w, k, dropout=p),
    "mlp1x512": lambda c, h, w, k, p: Mlp(c, h, w, k, hidden=(512,), dropout=p),
    "mlp3x512": lambda c, h, w, k, p: Mlp(c, h, w, k, hidden=(512, 512, 512), dropout=p),
}


def build(name, input_shape=(3, 28, 28), classes=10, dropout=0.0):
    """The zoo model `name` for images of input_shape (C, H, W)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}")
    c, h, w = input_shape
    return MODELS[name](c, h, w, classes, dropout)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def load_weights(model, path):
    """Loads a rethink weights file into `model` strictly (every name, shape; nothing extra);
    returns the file's metadata."""
    tensors, meta = read_safetensors(path)
    version = meta.get("format_version")
    if version is not None and not 1 <= int(version) <= WEIGHTS_FORMAT_VERSION:
        raise ValueError(f"{path}: weights format_version {version} is newer than this script reads ({WEIGHTS_FORMAT_VERSION})")
    model.load_state_dict(tensors, strict=True)
    return meta


def from_weights(path, dropout=0.0):
    """Builds the model a rethink weights file names (metadata model, input, classes) and
    loads the file into it; returns (model, metadata)."""
    _, meta = read_safetensors(path)
    missing = [k for k in ("model", "input", "classes") if k not in meta]
    if missing:
        raise ValueError(f"{path}: metadata lacks {', '.join(missing)}: use build() and load_weights()")
    shape = tuple(int(v) for v in meta["input"].split(","))
    model = build(meta["model"], shape, int(meta["classes"]), dropout)
    load_weights(model, path)
    return model, meta


def save_weights(model, path, model_name, input_shape, classes=None, extra_metadata=None):
    """Writes `model` as a rethink weights file (float32, rethink's metadata) that
    `rethink` and load_weights() read."""
    state = model.state_dict()
    tensors = {k: (v.float() if v.is_floating_point() else v.to(torch.int32)) for k, v in state.items()}
    if classes is None:
        classes = model.classifier.out_features
    meta = {
        "format": WEIGHTS_FORMAT,
        "format_version": str(WEIGHTS_FORMAT_VERSION),
        "layout": "PyTorch names and layouts (written by tools/torch_models.py)",
        "model": model_name,
        "input": ",".join(str(v) for v in input_shape),
        "classes": str(classes),
    }
    meta.update(extra_metadata or {})
    write_safetensors(path, tensors, meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default="3,28,28", help="image shape C,H,W (default 3,28,28)")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--weights", help="a rethink weights file to load into the model it names")
    args = parser.parse_args()
    if args.weights:
        model, meta = from_weights(args.weights)
        print(f"{args.weights}: {meta['model']} (input {meta['input']}, {meta['classes']} classes), "
              f"{parameter_count(model):,} parameters and {len(model.state_dict())} tensors loaded strictly")
        return
    try:
        shape = tuple(int(v) for v in args.input.split(","))
        assert len(shape) == 3 and min(shape) > 0
    except (ValueError, AssertionError):
        parser.error(f"--input {args.input!r}: use C,H,W with positive numbers")
    print(f"{'model':<16}{'parameters':>12}")
    for name in MODELS:
        print(f"{name:<16}{parameter_count(build(name, shape, args.classes)):>12,}")


if __name__ == "__main__":
    sys.exit(main())
