#!/usr/bin/python3
"""Writes the bad-input corpus: one folder per case, each a complete tiny data set in one of
rethink's --data layouts with exactly one thing wrong, and cases.json, which says for every case
the --data kind, the file the error message must name and a phrase it must contain.

tests/datasets/bad_input_corpus_test.cpp loads every case through load_dataset and
tests/experiments/bad_input_test.cpp runs every case through `rethink fit`; both fail when a
folder here has no entry in cases.json. Run from anywhere: /usr/bin/python3 make_corpus.py
(python3-pil only for the JPEG cases)."""

import gzip
import io
import json
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {}


def write(case, rel, data):
    path = os.path.join(HERE, case, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def idx(dims, values, type_code=0x08):
    header = bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + bytes(values)


def idx_case(name, file, says, replace=None, drop=None):
    files = {
        "train-images-idx3-ubyte": idx([3, 4, 4], [(i * 7) % 256 for i in range(48)]),
        "train-labels-idx1-ubyte": idx([3], [0, 1, 2]),
        "t10k-images-idx3-ubyte": idx([2, 4, 4], [(i * 5) % 256 for i in range(32)]),
        "t10k-labels-idx1-ubyte": idx([2], [1, 0]),
    }
    for k, v in (replace or {}).items():
        files.pop(k.removesuffix(".gz"), None)
        files[k] = v
    if drop:
        files.pop(drop)
    for rel, data in files.items():
        write(name, rel, data)
    CASES[name] = {"data": "idx", "file": file, "says": says}


def cifar_record(label, seed):
    return bytes([label]) + bytes((seed * 31 + i) % 256 for i in range(3072))


def cifar_case(name, file, says, replace=None, drop=None):
    files = {f"data_batch_{b}.bin": cifar_record(b - 1, b) for b in range(1, 6)}
    files["test_batch.bin"] = cifar_record(9, 9)
    files.update(replace or {})
    if drop:
        files.pop(drop)
    for rel, data in files.items():
        write(name, rel, data)
    CASES[name] = {"data": "cifar10", "file": file, "says": says}


def png(width, height, seed=0):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + bytes((seed + x * 3 + y * 11) % 256 for x in range(width * 3))
                   for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width, height):
    from PIL import Image  # python3-pil
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 40) % 256, (y * 60) % 256, 128) for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def folder_case(name, file, says, replace=None, drop=()):
    files = {f"{split}/{c}/{i}.png": png(4, 4, seed=i * 17 + ord(c))
             for split in ("train", "test") for c in "ab" for i in (range(2) if split == "train" else range(1))}
    files.update(replace or {})
    for rel in drop:
        files = {k: v for k, v in files.items() if not k.startswith(rel)}
    for rel, data in files.items():
        write(name, rel, data)
    CASES[name] = {"data": "imagefolder", "file": file, "says": says}


def main():
    for entry in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, entry)):
            shutil.rmtree(os.path.join(HERE, entry))

    good_images = idx([3, 4, 4], [(i * 7) % 256 for i in range(48)])
    idx_case("idx-truncated-images", "train-images-idx3-ubyte", "truncated IDX file",
             replace={"train-images-idx3-ubyte": good_images[:-9]})
    idx_case("idx-extra-bytes", "t10k-images-idx3-ubyte", "extra bytes",
             replace={"t10k-images-idx3-ubyte": idx([2, 4, 4], range(32)) + b"\0\0\0"})
    idx_case("idx-wrong-magic", "train-labels-idx1-ubyte", "not an IDX file",
             replace={"train-labels-idx1-ubyte": b"PK\x03\x04" + bytes(3)})
    idx_case("idx-float-elements", "train-images-idx3-ubyte", "not supported",
             replace={"train-images-idx3-ubyte": idx([3, 4, 4], bytes(48 * 4), type_code=0x0D)})
    idx_case("idx-count-mismatch", "t10k-labels-idx1-ubyte", "do not belong together",
             replace={"t10k-labels-idx1-ubyte": idx([3], [1, 0, 1])})
    idx_case("idx-label-out-of-range", "t10k-labels-idx1-ubyte", "outside 0..2",
             replace={"t10k-labels-idx1-ubyte": idx([2], [1, 7])})
    idx_case("idx-labels-as-images", "train-images-idx3-ubyte", "is it a labels file",
             replace={"train-images-idx3-ubyte": idx([3], [0, 1, 2])})
    idx_case("idx-empty-file", "train-labels-idx1-ubyte", "empty",
             replace={"train-labels-idx1-ubyte": b""})
    idx_case("idx-missing-file", "t10k-images-idx3-ubyte", "missing", drop="t10k-images-idx3-ubyte")
    idx_case("idx-truncated-gzip", "train-images-idx3-ubyte.gz", "gzip stream is truncated",
             replace={"train-images-idx3-ubyte.gz": gzip.compress(good_images, mtime=0)[:-12]})
    corrupt = bytearray(gzip.compress(good_images, mtime=0))
    corrupt[12:16] = b"\xff\xff\xff\xff"
    idx_case("idx-corrupt-gzip", "train-images-idx3-ubyte.gz", "corrupt gzip data",
             replace={"train-images-idx3-ubyte.gz": bytes(corrupt)})
    idx_case("idx-garbage-after-gzip", "train-labels-idx1-ubyte.gz", "garbage follow",
             replace={"train-labels-idx1-ubyte.gz":
                      gzip.compress(idx([3], [0, 1, 2]), mtime=0) + b"not gzip"})
    # 4 * 2^31 * 2 * 2^30 = 2^64: a product that wraps around to 0, the bytes that follow.
    idx_case("idx-overflowing-dims", "train-images-idx3-ubyte", "more data than any file",
             replace={"train-images-idx3-ubyte": idx([4, 1 << 31, 2, 1 << 30], [])})
    idx_case("idx-no-images", "train-images-idx3-ubyte", "holds no images",
             replace={"train-images-idx3-ubyte": idx([0, 4, 4], []),
                      "train-labels-idx1-ubyte": idx([0], [])})
    idx_case("idx-zero-width", "t10k-images-idx3-ubyte", "are empty",
             replace={"t10k-images-idx3-ubyte": idx([2, 4, 0], [])})

    cifar_case("cifar10-truncated-record", "data_batch_3.bin", "not a whole number",
               replace={"data_batch_3.bin": cifar_record(2, 3) + cifar_record(1, 4)[:1000]})
    cifar_case("cifar10-label-out-of-range", "test_batch.bin", "outside 0..9",
               replace={"test_batch.bin": cifar_record(3, 9) + cifar_record(12, 10)})
    cifar_case("cifar10-empty-batch", "data_batch_2.bin", "empty",
               replace={"data_batch_2.bin": b""})
    cifar_case("cifar10-missing-batch", "data_batch_5.bin", "missing", drop="data_batch_5.bin")

    good_jpeg = jpeg(4, 4)
    folder_case("imagefolder-undecodable-jpg", "1.jpg", "cannot decode this JPEG",
                replace={"train/b/1.jpg": b"\xff\xd8\xff\xe0" + bytes(range(60))})
    folder_case("imagefolder-truncated-jpg", "0.jpg", "cannot decode this JPEG",
                replace={"test/a/0.jpg": good_jpeg[: len(good_jpeg) // 2]})
    folder_case("imagefolder-truncated-png", "1.png", "cannot decode this PNG",
                replace={"train/a/1.png": png(4, 4)[:60]})
    folder_case("imagefolder-not-an-image", "notes.png", "neither a JPEG nor a PNG",
                replace={"train/a/notes.png": b"these are not pixels\n"})
    folder_case("imagefolder-size-mismatch", "big.png", "5x6 pixels",
                replace={"train/b/big.png": png(6, 5)})
    folder_case("imagefolder-empty-class", "b", "holds no .jpg",
                replace={"test/b/README.txt": b"no images here\n"}, drop=("test/b/0.png",))
    folder_case("imagefolder-no-test", "test", "missing", drop=("test/",))
    folder_case("imagefolder-unknown-test-class", "zebra", "has no folder under train",
                replace={"test/zebra/0.png": png(4, 4)})
    folder_case("imagefolder-one-class", "train", "at least two", drop=("train/b/", "test/b/"))
    folder_case("imagefolder-empty-image", "1.png", "the image file is empty",
                replace={"train/b/1.png": b""})
    folder_case("imagefolder-unsupported-format", "2.bmp", "not .bmp",
                replace={"train/b/2.bmp": b"BM" + bytes(60)})

    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
