"""OpenCV's DIS optical flow (PRESET_MEDIUM) on clips that `segmo bench tracks` wrote: the
reference column of that benchmark. Run by the benchmark itself, in a venv it creates
(opencv-python-headless, numpy); not part of the product.

usage: opencv_dis.py DIR THREADS REPS
DIR/cases.txt lists case folders; each holds gray.npy (T, H, W) uint8. Writes fw.npy and
bw.npy, float32 (T-1, H, W, 2) (pixel (x, y) of frame t moves by (u, v)), and time.txt:
the median ms of one forward `calc` over all pairs (REPS passes, the first discarded as
warm-up when REPS > 1), then the median ms of a forward+backward pair.
"""
import os
import sys
import time

import cv2
import numpy as np


def main():
    root, threads, reps = sys.argv[1], int(sys.argv[2]), max(1, int(sys.argv[3]))
    cv2.setNumThreads(threads)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    with open(os.path.join(root, "cases.txt")) as f:
        cases = [line.strip() for line in f if line.strip()]
    for case in cases:
        d = os.path.join(root, case)
        g = np.load(os.path.join(d, "gray.npy"))
        fw, bw, t_fw, t_pair = [], [], [], []
        for rep in range(reps):
            fw, bw = [], []
            for t in range(len(g) - 1):
                s = time.perf_counter()
                f = dis.calc(g[t], g[t + 1], None)
                m = time.perf_counter()
                b = dis.calc(g[t + 1], g[t], None)
                e = time.perf_counter()
                if rep > 0 or reps == 1:
                    t_fw.append((m - s) * 1e3)
                    t_pair.append((e - s) * 1e3)
                fw.append(f)
                bw.append(b)
        np.save(os.path.join(d, "fw.npy"), np.stack(fw).astype(np.float32))
        np.save(os.path.join(d, "bw.npy"), np.stack(bw).astype(np.float32))
        with open(os.path.join(d, "time.txt"), "w") as f:
            f.write(f"{np.median(t_fw):.4f} {np.median(t_pair):.4f}\n")


if __name__ == "__main__":
    main()
