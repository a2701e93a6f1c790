#!/usr/bin/env python3
"""Dev-only: PyTorch's gradients of S-SAM's singular-value tuning on LiteMedSAM's mask decoder, the golden numbers
the Swift plain decoder's backward pass is checked against (Tests/SAMTests/Fixtures/svd_gradients). Inputs as in
dump_lora_gradients.py (formula embedding, a real box prompt, the disc target, the trainer's BCE + 0.8 Dice loss on
the published weights). Every attention's q_proj and v_proj becomes W = U diag(ReLU(scale S + shift)) V^T from the
SVD of its weight (in float64), with scale[i] = 1 + 0.05 sin(0.37 (i + 1) + n) and shift[i] = 0.002 cos(0.53 (i + 1)
+ n) for the n-th layer; every layer norm of the decoder trains. Writes meta.json (loss, tensors in order with
their sizes) and gradients.f32.gz (the tensors' gradients in that order).

Usage: VENV/bin/python tools/reference/dump_svd_gradients.py [--out Tests/SAMTests/Fixtures/svd_gradients]
"""
import argparse
import numpy as np
import torch

from dump_lora_gradients import BOX, LAYERS, decoder_loss, frozen_net, write_golden


class TunedLinear(torch.nn.Module):
    def __init__(self, base, index):
        super().__init__()
        u, s, vh = torch.linalg.svd(base.weight.detach().double(), full_matrices=False)
        self.u, self.s, self.vh, self.bias = u.float(), s.float(), vh.float(), base.bias
        i = np.arange(s.numel(), dtype=np.float64)
        self.scale = torch.tensor((1 + 0.05 * np.sin(0.37 * (i + 1) + index)).astype(np.float32), requires_grad=True)
        self.shift = torch.tensor((0.002 * np.cos(0.53 * (i + 1) + index)).astype(np.float32), requires_grad=True)

    def forward(self, x):
        weight = (self.u * torch.relu(self.scale * self.s + self.shift)) @ self.vh
        return x @ weight.T + self.bias


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/SAMTests/Fixtures/svd_gradients")
    args = parser.parse_args()
    net = frozen_net()
    modules = dict(net.named_modules())
    tensors = []  # (name, tensor)
    for index, (layer, projection) in enumerate((l, p) for l in LAYERS for p in ("q_proj", "v_proj")):
        tuned = TunedLinear(getattr(modules[layer], projection), index)
        setattr(modules[layer], projection, tuned)
        tensors += [(f"{layer}.{projection}.svd_scale", tuned.scale), (f"{layer}.{projection}.svd_shift", tuned.shift)]
    for name, module in net.mask_decoder.named_modules():
        if "norm" in name or name == "output_upscaling.1":
            for kind in ("weight", "bias"):
                parameter = getattr(module, kind)
                parameter.requires_grad_(True)
                tensors.append((f"mask_decoder.{name}.{kind}", parameter))
    loss = decoder_loss(net)[0]
    loss.backward()
    write_golden(args.out, [t.grad.numpy() for _, t in tensors],
                 {"loss": loss.item(), "box": BOX, "tensors": [{"name": n, "count": t.numel()} for n, t in tensors]})
    print("loss", loss.item(), "tensors", len(tensors), "largest gradient", max(float(t.grad.abs().max()) for _, t in tensors))


if __name__ == "__main__":
    main()
