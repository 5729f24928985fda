#!/usr/bin/env python3
"""scikit-learn twin of lipsweep-bench's metrics section (for speed comparison only; not run
by tests). One PRD score = 3 MiniBatchKMeans clusterings (batch 1024, k-means++, n_init=1,
labels of all points) of the union of 5,000 real + 5,000 generated points, the two cluster
histograms, the 1,001-angle PRD curve averaged over runs, and its trapezoidal AUC.
Shapes: RAW (900 log(1+E) cells of Gaussian-profile showers) and Physical (54-dim Gaussian
mixture, standardised with the real sample's statistics), k = 100 and 400.

Run single-threaded, as the Swift figures are:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python3 scripts/metrics_bench_sklearn.py
"""
import time

import numpy as np
from sklearn.cluster import MiniBatchKMeans


def showers(count, seed):
    rng = np.random.default_rng(seed)
    energy = np.exp(rng.uniform(np.log(2), np.log(100), count))
    cx, cy = rng.uniform(13, 17, count), rng.uniform(13, 17, count)
    width = 0.7 + 0.1 * np.log(energy)
    j = np.arange(30) + 0.5
    dx = j[None, None, :] - cx[:, None, None]
    dy = j[None, :, None] - cy[:, None, None]
    w2 = (2 * width * width)[:, None, None]
    cells = energy[:, None, None] / (np.pi * w2) * np.exp(-(dx * dx + dy * dy) / w2)
    cells[cells < 0.01] = 0
    return np.log1p(cells).reshape(count, 900).astype(np.float32)


def mixture(count, dim, seed):
    centres = np.random.default_rng(999).normal(0, 3, (20, dim))
    rng = np.random.default_rng(seed)
    return (centres[rng.integers(0, 20, count)] + rng.normal(size=(count, dim))).astype(np.float32)


def prd_auc(real, generated, k, runs=3, seed=1):
    eps = 1e-10
    slopes = np.tan(np.linspace(eps, np.pi / 2 - eps, 1001))
    union = np.concatenate([real, generated])
    precisions, recalls, steps = [], [], []
    for run in range(runs):
        km = MiniBatchKMeans(n_clusters=k, batch_size=1024, n_init=1, random_state=seed * 100 + run)
        labels = km.fit(union).labels_
        steps.append(km.n_steps_)
        ref = np.bincount(labels[: len(real)], minlength=k) / len(real)
        ev = np.bincount(labels[len(real):], minlength=k) / len(generated)
        p = np.minimum(slopes[:, None] * ref[None, :], ev[None, :]).sum(axis=1)
        precisions.append(np.clip(p, 0, 1))
        recalls.append(np.clip(p / slopes, 0, 1))
    p, r = np.mean(precisions, axis=0), np.mean(recalls, axis=0)
    return float(np.sum((p[1:] - p[:-1]) * (r[1:] + r[:-1]) / 2)), steps


def main():
    print("scikit-learn: PRD = MiniBatchKMeans (batch 1024) x3 runs on 5000 + 5000 points, 1 thread")
    raw = (showers(5000, 1), showers(5000, 2))
    real, gen = mixture(5000, 54, 1), mixture(5000, 54, 2)
    mean, sd = real.mean(axis=0), real.std(axis=0)
    sd[sd == 0] = 1
    phys = ((real - mean) / sd, (gen - mean) / sd)
    for k in (100, 400):
        for name, (a, b) in (("RAW PRD     ", raw), ("Physical PRD", phys)):
            prd_auc(a, b, k, seed=0)  # warm-up
            start, start_cpu = time.perf_counter(), time.process_time()
            auc, steps = prd_auc(a, b, k)
            seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            print(f"  {name} {a.shape[1]:4d} dims, k = {k:3d}: {seconds:6.3f} s wall, {cpu:6.3f} s CPU"
                  f"  (AUC {auc:.3f}, steps per run {steps})")


if __name__ == "__main__":
    main()
