#!/usr/bin/env python3
"""Dev-only benchmark: VolSAM's read + normalize of a 512x512x200 int16 .nii.gz against nibabel's load + get_fdata
on the same file, in the same run. Usage: VENV/bin/python tools/bench/volume_io.py [--runs 5]
Needs numpy + nibabel; builds nothing (run `make build` first)."""
import argparse
import json
import os
import subprocess
import tempfile
import time

import nibabel as nib
import numpy as np


def make_ct(path):
    rng = np.random.default_rng(0)
    x, y = np.meshgrid(np.linspace(-1, 1, 512), np.linspace(-1, 1, 512), indexing="ij")
    body = (x / 0.85) ** 2 + (y / 0.65) ** 2 < 1
    organ = ((x + 0.3) / 0.35) ** 2 + (y / 0.3) ** 2 < 1
    slice_ = np.where(body, 40.0, -1000.0) + np.where(organ, 60.0, 0.0)
    vol = np.repeat(slice_[:, :, None], 200, axis=2)
    vol += rng.normal(0, 12, size=vol.shape)
    img = nib.Nifti1Image(np.round(vol).astype(np.int16), np.diag([0.8, 0.8, 2.5, 1.0]))
    nib.save(img, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--volsam", default=".build/release/volsam")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ct_512x512x200.nii.gz")
        make_ct(path)
        print(f"file: {path} ({os.path.getsize(path) / 1e6:.1f} MB compressed)")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            data = nib.load(path).get_fdata()
            times.append(time.perf_counter() - start)
        nibabel_median = sorted(times)[len(times) // 2]
        out = subprocess.run([args.volsam, "bench", "io", path, "--runs", str(args.runs), "--json"],
                             check=True, capture_output=True, text=True).stdout
        volsam = json.loads(out)
        print(f"nibabel load + get_fdata: median {nibabel_median:.3f} s (best {min(times):.3f} s)")
        print(f"VolSAM read + LPS layout + CT normalization: median {volsam['median_s']:.3f} s (best {volsam['best_s']:.3f} s)")
        print(f"ratio VolSAM / nibabel (median): {volsam['median_s'] / nibabel_median:.2f}")


if __name__ == "__main__":
    main()
