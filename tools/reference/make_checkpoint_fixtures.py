#!/usr/bin/env python3
"""Dev-only: small PyTorch checkpoints (and a safetensors file) exercising what VolSAM's checkpoint reader must handle:
dtypes, non-contiguous views, storage offsets, shared storages, parameters, a {"model": ...} wrapper, and a file
that names a global outside the allow-list. Usage: VENV/bin/python tools/reference/make_checkpoint_fixtures.py
Tests/TensorTests/Fixtures   (needs torch)."""
import collections
import json
import os
import struct
import sys

import torch


class NotAllowed:
    """Pickled by reference as __main__.NotAllowed: the reader must refuse it."""


def main(folder):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    state = collections.OrderedDict()
    state["contiguous"] = torch.randn(2, 3, 4)
    state["transposed"] = base.t()  # strides (1, 6)
    state["offset_slice"] = base[1:3, 2:5]  # storage offset 8, shares base's storage
    state["shared_base"] = base
    state["float64"] = torch.randn(5, dtype=torch.float64)
    state["float16"] = torch.randn(3, 2).half()
    state["bfloat16"] = torch.randn(4).bfloat16()
    state["int64_scalar"] = torch.tensor(7)
    state["parameter"] = torch.nn.Parameter(torch.randn(3))
    torch.save(state, os.path.join(folder, "mixed.pth"))
    torch.save({"model": state, "epoch": 3}, os.path.join(folder, "wrapped.pth"))
    torch.save({"weight": torch.zeros(2), "evil": NotAllowed()}, os.path.join(folder, "not_allowed.pth"))

    expected = {name: {"shape": list(t.shape), "values": t.detach().double().flatten().tolist()}
                for name, t in state.items()}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)

    # safetensors written by hand (the format is an 8-byte header length, a JSON header, raw little-endian data).
    tensors = {"a": torch.randn(2, 3), "b": torch.arange(5, dtype=torch.int64), "c": torch.randn(4).half()}
    names = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    with open(os.path.join(folder, "small.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    with open(os.path.join(folder, "small_safetensors.json"), "w") as f:
        json.dump({n: {"shape": list(t.shape), "values": t.double().flatten().tolist()} for n, t in tensors.items()},
                  f, indent=1, sort_keys=True)
    print("wrote checkpoint fixtures to", folder)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/TensorTests/Fixtures")
