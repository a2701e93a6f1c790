#!/usr/bin/env python3
"""Dev-only benchmark: HD95 of two overlapping 512x512x150 ellipsoid masks, spacing (0.8, 0.8, 2.5): medpy 0.5.2's
hd95 against VolSAM's in the same run (both timed in-process, file reading excluded).
Usage: VENV/bin/python tools/bench/metrics_hd95.py [--runs 3]   (needs numpy, nibabel, medpy; run `make build` first)"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import nibabel as nib
import numpy as np
from medpy.metric import binary


def ellipsoid(shape, center, radii):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grid, center, radii)) <= 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--volsam", default=".build/release/volsam")
    args = parser.parse_args()
    shape, spacing = (512, 512, 150), (0.8, 0.8, 2.5)
    a = ellipsoid(shape, (256, 250, 75), (180, 150, 55))
    b = ellipsoid(shape, (266, 258, 78), (172, 158, 50))
    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, n) for n in ("a.nii.gz", "b.nii.gz")]
        for path, mask in zip(paths, (a, b)):
            nib.save(nib.Nifti1Image(mask.astype(np.uint8), np.diag(list(spacing) + [1.0])), path)
        start = time.perf_counter()
        reference = binary.hd95(a, b, voxelspacing=spacing)
        medpy_seconds = time.perf_counter() - start
        out = subprocess.run([args.volsam, "bench", "metrics", paths[0], paths[1], "--runs", str(args.runs), "--json"],
                             check=True, capture_output=True, text=True).stdout
        volsam = json.loads(out)
    print(f"medpy hd95: {reference:.6f} mm in {medpy_seconds:.2f} s")
    print(f"VolSAM hd95: {volsam['hd95']:.6f} mm, median {volsam['median_s']:.3f} s (best {volsam['best_s']:.3f} s)")
    print(f"speed-up medpy / VolSAM (median): {medpy_seconds / volsam['median_s']:.1f}x; "
          f"difference {abs(volsam['hd95'] - reference):.2e} mm")


if __name__ == "__main__":
    main()
