"""Reference side of `segmo bench dino`: DINOv2 ViT-B/14 in PyTorch and in ONNX Runtime (CPU).

transformers' Dinov2Model with the hub configuration (518x518 positions, random weights: the
time does not depend on them), eval mode, its default attention (SDPA). For stride 7 the patch convolution's stride is set
to 7 and positions are resized to the resulting token grid with SegAnyMo's rule (its
ViTExtractor: bicubic, scale factor (grid + 0.1) / 37). ONNX: the same module exported with
torch.onnx (one file per input size), run by onnxruntime's CPU provider.

Prints one line: `median_ms peak_bytes`, where peak_bytes is the process's peak resident
memory minus its resident memory before the model was built (weights + activations + the
engine's working memory).

    python torch_dino.py torch|onnx THREADS REPS HEIGHT WIDTH STRIDE

`segmo bench dino` runs it as a server instead, so that its forward passes alternate with
segmo's one by one and both see the same machine (a shared machine's speed drifts by tens of
percent over minutes): after one warm-up pass it prints `ready`, then answers each `run` line
on stdin with one pass's milliseconds and `peak` with peak_bytes.

    python torch_dino.py serve torch|onnx THREADS HEIGHT WIDTH STRIDE

For the browser bench (`www/test/bench_dino.mjs`): the same model's weights as transformers'
`model.safetensors` (which segmo loads) and its ONNX export (one file, for onnxruntime-web):

    python torch_dino.py export OUTDIR HEIGHT WIDTH STRIDE
"""

import math
import os
import sys
import tempfile
import time
import types

import torch


def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def build(stride):
    from transformers import Dinov2Config, Dinov2Model

    # Attention as transformers runs it by default (torch's scaled_dot_product_attention, fused
    # on the CPU); SEGMO_TORCH_ATTN=eager picks the matmul-softmax-matmul instead.
    attn = os.environ.get("SEGMO_TORCH_ATTN", "sdpa")
    model = Dinov2Model(Dinov2Config(image_size=518, attn_implementation=attn)).eval()
    if stride != 14:
        emb = model.embeddings
        emb.patch_embeddings.projection.stride = (stride, stride)

        def interpolate(self, embeddings, height, width):
            pos = self.position_embeddings
            n = pos.shape[1] - 1
            side = int(math.sqrt(n))
            rows, cols = 1 + (height - 14) // stride, 1 + (width - 14) // stride
            grid = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
            grid = torch.nn.functional.interpolate(grid, scale_factor=((rows + 0.1) / side, (cols + 0.1) / side),
                                                   mode="bicubic", align_corners=False, recompute_scale_factor=False)
            return torch.cat((pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)), dim=1)

        emb.interpolate_pos_encoding = types.MethodType(interpolate, emb)
    return model


def timed(run, reps):
    times = []
    for i in range(reps + 1):
        start = time.perf_counter()
        run()
        if i > 0:
            times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def export(out, h, w, stride):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = build(stride)
    os.makedirs(out, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "model.safetensors"))
    x = torch.randn(1, 3, h, w)
    with torch.no_grad():
        torch.onnx.export(model, (x,), os.path.join(out, "dinov2.onnx"), input_names=["pixel_values"],
                          output_names=["last_hidden_state"], opset_version=18, dynamo=True, external_data=False)
    print(out)


def forward_pass(engine, threads, h, w, stride):
    """A function running one forward pass of `engine` on a fixed input."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(stride)
    x = torch.randn(1, 3, h, w)
    if engine == "torch":
        def run():
            with torch.no_grad():
                model(pixel_values=x)
        return run
    import onnxruntime as ort

    path = os.path.join(tempfile.mkdtemp(), "dinov2.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (x,), path, input_names=["pixel_values"], output_names=["last_hidden_state"],
                          opset_version=18, dynamo=True, external_data=True)
    del model
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    feed = {"pixel_values": x.numpy()}
    return lambda: session.run(None, feed)


def serve(engine, threads, h, w, stride):
    import contextlib

    before = rss("VmRSS")
    # stdout carries the answers only (the ONNX export prints its progress).
    with contextlib.redirect_stdout(sys.stderr):
        run = forward_pass(engine, threads, h, w, stride)
        run()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "run":
            start = time.perf_counter()
            run()
            print(f"{(time.perf_counter() - start) * 1e3:.3f}", flush=True)
        elif line.strip() == "peak":
            print(max(0, rss("VmHWM") - before), flush=True)


def main():
    if sys.argv[1] == "export":
        export(sys.argv[2], *map(int, sys.argv[3:6]))
        return
    if sys.argv[1] == "serve":
        serve(sys.argv[2], *map(int, sys.argv[3:]))
        return
    engine, threads, reps, h, w, stride = sys.argv[1], *map(int, sys.argv[2:])
    before = rss("VmRSS")
    ms = timed(forward_pass(engine, threads, h, w, stride), reps)
    print(f"{ms:.1f} {max(0, rss('VmHWM') - before)}")


if __name__ == "__main__":
    main()
