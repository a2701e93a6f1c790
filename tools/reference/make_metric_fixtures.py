#!/usr/bin/env python3
"""Dev-only: metric fixtures from medpy 0.5.2 (the reference VolSAM's metrics must match to 1e-6 relative).

Usage: python tools/reference/make_metric_fixtures.py Tests/MetricsTests/Fixtures [../shared/data]
Needs numpy, scipy, nibabel, medpy==0.5.2. Writes small generated label-map pairs (*.nii.gz) and expected.json with
medpy's dc, jc, hd95, hd, assd, asd for each label, plus values medpy lacks computed from medpy's own surface
distances: the two directed 95th percentiles (MONAI's HD95 is their max) and NSD at 1 mm. For pairs derived from
../shared/data only the numbers are stored; the test derives the same masks from the shared files.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
from medpy.metric import binary
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure


def surface_distances(a, b, spacing):
    """medpy's private __surface_distances, restated (same calls) for the values medpy does not expose."""
    footprint = generate_binary_structure(a.ndim, 1)
    a_border = a ^ binary_erosion(a, structure=footprint, iterations=1)
    b_border = b ^ binary_erosion(b, structure=footprint, iterations=1)
    return distance_transform_edt(~b_border, sampling=spacing)[a_border]


def label_metrics(pred, gt, spacing, label):
    p, g = pred == label, gt == label
    entry = {"label": int(label), "pred_voxels": int(p.sum()), "gt_voxels": int(g.sum()),
             "dice": binary.dc(p, g), "iou": binary.jc(p, g)}
    if p.any() and g.any():
        ab, ba = surface_distances(p, g, spacing), surface_distances(g, p, spacing)
        pooled = np.hstack((ab, ba))
        entry.update({
            "hd95": binary.hd95(p, g, voxelspacing=spacing), "hd": binary.hd(p, g, voxelspacing=spacing),
            "assd": binary.assd(p, g, voxelspacing=spacing), "asd": binary.asd(p, g, voxelspacing=spacing),
            "hd95_monai": max(np.percentile(ab, 95), np.percentile(ba, 95)),
            "nsd_1mm": float((pooled <= 1.0).sum()) / len(pooled),
            "hd95_voxels": binary.hd95(p, g),
        })
    return entry


def blob(shape, center, radii, rng, noise=0.15):
    grid = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    d = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, center, radii))
    return d < 1 + noise * rng.standard_normal(shape)


def generated(rng):
    shape = (40, 36, 24)
    gt = np.zeros(shape, np.uint8)
    pred = np.zeros(shape, np.uint8)
    gt[blob(shape, (18, 17, 11), (10, 8, 6), rng)] = 1
    pred[blob(shape, (19, 16, 12), (9, 9, 5), rng)] = 1
    gt[blob(shape, (30, 8, 8), (5, 4, 3), rng)] = 2
    pred[blob(shape, (29, 9, 8), (5, 5, 4), rng)] = 2
    gt[0:6, 0:5, 18:24] = 3  # touches three array borders
    pred[0:5, 0:6, 19:24] = 3
    pred[35, 30, 20] = 4  # single voxels
    gt[33, 31, 18] = 4
    gt[10, 30, 2] = 5  # label 5 only in the reference
    yield "blobs_aniso", pred, gt, (0.8, 1.1, 2.5)
    a = np.zeros((30, 30, 20), np.uint8)
    b = np.zeros((30, 30, 20), np.uint8)
    a[5:15, 6:16, 4:12] = 1
    b[8:18, 6:16, 5:13] = 1  # shifted cube
    yield "shifted_cube", a, b, (0.7, 0.7, 3.0)
    noisy_gt = (rng.random((24, 22, 18)) < 0.2).astype(np.uint8)
    noisy_pred = (rng.random((24, 22, 18)) < 0.2).astype(np.uint8)
    yield "random_sparse", noisy_pred, noisy_gt, (1.3, 0.9, 2.0)


def shared_pairs(shared):
    brats = os.path.join(shared, "brats2015/brats_2013_pat0005_1")
    if os.path.isdir(brats):
        flair = nib.load(os.path.join(brats, "Flair_subtrMeanDivStd.nii.gz"))
        gt = (np.asanyarray(nib.load(os.path.join(brats, "OTMultiClass.nii.gz")).dataobj) > 0).astype(np.uint8)
        pred = (np.asanyarray(flair.dataobj) > np.float32(1.5)).astype(np.uint8)
        yield "brats2015_pat0005_flair_gt1.5_vs_whole_tumour", pred, gt, flair.header.get_zooms()[:3]
    ts = os.path.join(shared, "totalsegmentator/example_seg.nii.gz")
    if os.path.exists(ts):
        seg = nib.load(ts)
        data = np.asanyarray(seg.dataobj)
        gt = (data == 5).astype(np.uint8)
        pred = np.roll(gt, 2, axis=0)
        yield "totalseg_liver_rolled2_axis0", pred, gt, seg.header.get_zooms()[:3]


def main(folder, shared):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(4)
    expected = {}
    for name, pred, gt, spacing in generated(rng):
        affine = np.diag(list(spacing) + [1.0])
        nib.save(nib.Nifti1Image(pred.astype(np.uint8), affine), os.path.join(folder, f"{name}_pred.nii.gz"))
        nib.save(nib.Nifti1Image(gt.astype(np.uint8), affine), os.path.join(folder, f"{name}_gt.nii.gz"))
        labels = sorted((set(np.unique(pred).tolist()) | set(np.unique(gt).tolist())) - {0})
        expected[name] = {"spacing": list(map(float, spacing)), "shared": False,
                          "labels": [label_metrics(pred, gt, np.asarray(spacing, float), l) for l in labels]}
    for name, pred, gt, spacing in shared_pairs(shared):
        expected[name] = {"spacing": list(map(float, spacing)), "shared": True,
                          "labels": [label_metrics(pred, gt, np.asarray(spacing, float), 1)]}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print(f"wrote {len(expected)} cases to {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/MetricsTests/Fixtures",
         sys.argv[2] if len(sys.argv) > 2 else "../shared/data")
