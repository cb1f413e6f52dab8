"""Reference side of `segmo bench classifier`: the official SegAnyMo classifier in PyTorch.

Builds the released `traj_oa_depth` (random weights, eval mode), feeds random tracks of each
requested size and prints one line per size: `N T median_ms`. Same thread count as ours.

    python torch_classifier.py SEGANYMO_DIR THREADS REPS N:T [N:T ...]
"""

import sys
import time

import numpy as np
import torch


def main():
    seganymo, threads, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sizes = [tuple(int(v) for v in s.split(":")) for s in sys.argv[4:]]
    sys.path.insert(0, seganymo)
    from core.network.traj_oa_depth import traj_oa_depth

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = traj_oa_depth(extra_info=True, oanet=False, enable_pos_embed=True, load_dino=True,
                          dino_later=True, dino_woatt=True, time_att=True, tracks=True, depth=True)
    model.eval()
    rng = np.random.default_rng(0)
    for n, t in sizes:
        f = lambda *s: torch.from_numpy(rng.uniform(-1, 1, size=s).astype(np.float32))
        mask = (torch.rand(1, 1, n, t) < 0.2).float()
        mask[..., 0] = 0.0
        batch = {"traj": f(1, 2, n, t), "mask": mask, "depth": f(1, 1, 32, 32, t).abs(),
                 "visib_value": f(1, 1, n, t).abs(), "confi_value": f(1, 1, n, t).abs(),
                 "dino": f(1, 768, n, 1)}
        times = []
        with torch.no_grad():
            for i in range(reps + 1):
                start = time.perf_counter()
                model(batch)
                if i > 0:
                    times.append((time.perf_counter() - start) * 1e3)
        print(n, t, float(np.median(times)), flush=True)


if __name__ == "__main__":
    main()
