#!/usr/bin/env python3
"""An independent reference for lipsweep's physics distances (docs/metrics.md, "Physics
distances"), written from the definitions with numpy and scipy only — it shares no code with
the Swift implementation and does not call jetnet.

  physics_distances.py distances REAL.npz GENERATED.npz… [--z-off 7] [--seed 0]
      prints one JSON line per generated file: {"fpd": [value, error], "kpd": [value, error],
      "kid": [value, error], "w1": {"asym_along": …, "asym_across": …, "width_along": …,
      "width_across": …, "sparsity": …}, "events": [N_real, N_generated]}
  physics_distances.py transform IN.npz OUT.npz (--shift CELLS | --smear SIGMA) [--seed 0]
      writes IN's events with every shower moved CELLS cells along +x (cells pushed off the
      edge lost), or with every cell energy multiplied by exp(SIGMA·N(0, 1)).

Definitions (Kansal et al. 2023; jetnet's fpd/kpd; Bińkowski et al. 2018 for KID):
- features: the 54 physics features of docs/science.md §3, computed here from the events;
- FPD, KPD and KID see both samples divided per feature by the real sample's max |value|
  (1 where that is 0); W1 is in the features' own units;
- FPD: sizes (1 / linspace(1/n_min, 1/n_max, 10)).astype(int32), n_max = the smaller sample,
  n_min = int(0.4·n_max); 20 draws per size with replacement; Fréchet distance of the two
  Gaussian fits (np.cov); the per-size means fitted by scipy.optimize.curve_fit with
  intercept and slope bounded below by 0; intercept ± its standard error.
  Tr((Σ₁Σ₂)^½) is taken as Σ √λ(S₁Σ₂S₁) with S₁ = Σ₁^½ from numpy.linalg.eigh (exact for the
  singular covariances of constant or duplicated features, where scipy's sqrtm is not);
- KPD/KID: 10 draws of min(5000, N) events with replacement, unbiased MMD² with kernel
  (x·y/d + 1)^4 / ^3 formed from the explicit subsample matrices; median ± half of
  scipy.stats.iqr(rng=(16.275, 83.725));
- W1: scipy.stats.wasserstein_distance per feature.
"""
import json
import sys

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import iqr, wasserstein_distance

CELLS = 30


def load(path):
    with np.load(path) as f:
        energy = np.asarray(f["EnergyDeposit"], dtype=np.float64).reshape(-1, CELLS, CELLS)
        momentum = np.asarray(f["ParticleMomentum"], dtype=np.float64).reshape(-1, 3)
        point = np.asarray(f["ParticlePoint"], dtype=np.float64).reshape(-1, 2)
    return energy, momentum, point


def features(energy, momentum, point, z_off):
    """N×54: asymmetry along/across, width along/across, sparsity at 50 levels."""
    n = len(energy)
    px, py, pz = momentum[:, 0], momentum[:, 1], momentum[:, 2]
    slope = np.where(pz > 0, z_off / np.where(pz > 0, pz, 1), 0.0)
    cx, cy = point[:, 0] + slope * px, point[:, 1] + slope * py
    norm = np.hypot(px, py)
    ux = np.where(norm > 0, px / np.where(norm > 0, norm, 1), 1.0)
    uy = np.where(norm > 0, py / np.where(norm > 0, norm, 1), 0.0)
    centres = -14.5 + np.arange(CELLS)
    dx = centres[None, None, :] - cx[:, None, None]   # columns are x
    dy = centres[None, :, None] - cy[:, None, None]   # rows are y
    su = dx * ux[:, None, None] + dy * uy[:, None, None]
    sv = -dx * uy[:, None, None] + dy * ux[:, None, None]
    total = energy.sum(axis=(1, 2))
    out = np.zeros((n, 54))
    ok = total > 0
    e, t = energy[ok], total[ok]
    for k, s in enumerate((su[ok], sv[ok])):
        positive = (e * (s > 0)).sum(axis=(1, 2))
        out[ok, k] = (2 * positive - t) / t
        mean = (e * s).sum(axis=(1, 2)) / t
        out[ok, 2 + k] = np.sqrt(np.maximum(0, (e * s * s).sum(axis=(1, 2)) / t - mean * mean))
    alpha = np.logspace(-5, 0, 50)
    flat = e.reshape(len(e), -1)
    out[ok, 4:] = (flat[:, None, :] >= alpha[None, :, None] * t[:, None, None]).sum(axis=2) / (CELLS * CELLS)
    return out


def normalise(x, y):
    maxes = np.max(np.abs(x), axis=0)
    maxes[maxes == 0] = 1
    return x / maxes, y / maxes


def psd_sqrt(s):
    values, vectors = np.linalg.eigh(s)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet(mu1, s1, mu2, s2):
    root = psd_sqrt(s1)
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh(root @ s2 @ root), 0, None)).sum()
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_root


def fpd(x, y, seed, points=10, batches=20):
    n_max = min(len(x), len(y))
    n_min = max(2, int(0.4 * n_max))
    sizes = (1 / np.linspace(1 / n_min, 1 / n_max, points)).astype(np.int32)
    rng = np.random.default_rng(seed)
    means = []
    for n in sizes:
        values = []
        for _ in range(batches):
            a, b = x[rng.choice(len(x), size=n)], y[rng.choice(len(y), size=n)]
            values.append(frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)))
        means.append(np.mean(values))
    params, cov = curve_fit(lambda t, a, b: a + b * t, 1 / sizes, means, bounds=([0, 0], [np.inf, np.inf]))
    return float(params[0]), float(np.sqrt(cov[0, 0]))


def kernel_distances(x, y, seed, batches=10, batch_size=5000):
    """(KPD, KID) as (median, half the 16.275–83.725 % range) over the draws."""
    d = x.shape[1]
    m = min(batch_size, len(x), len(y))
    results = {3: [], 4: []}
    for i in range(batches):
        rng = np.random.default_rng(seed + 1000 * i)
        a, b = x[rng.choice(len(x), size=m)], y[rng.choice(len(y), size=m)]
        gram = {"xx": a @ a.T / d + 1, "yy": b @ b.T / d + 1, "xy": a @ b.T / d + 1}
        for p in (3, 4):
            kxx, kyy, kxy = gram["xx"] ** p, gram["yy"] ** p, gram["xy"] ** p
            results[p].append((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                              - 2 * kxy.mean())
    summary = {p: (float(np.median(v)), float(iqr(v, rng=(16.275, 83.725)) / 2)) for p, v in results.items()}
    return summary[4], summary[3]


def distances(real, generated_path, z_off, seed):
    generated = features(*load(generated_path), z_off)
    x, y = normalise(real, generated)
    kpd, kid = kernel_distances(x, y, seed)
    w1 = [wasserstein_distance(real[:, j], generated[:, j]) for j in range(54)]
    names = ["asym_along", "asym_across", "width_along", "width_across"]
    return {"fpd": fpd(x, y, seed), "kpd": kpd, "kid": kid,
            "w1": dict(zip(names, w1[:4]), sparsity=float(np.mean(w1[4:]))),
            "events": [len(real), len(generated)]}


def transform(source, target, shift, smear, seed):
    energy, momentum, point = load(source)
    out = np.zeros_like(energy)
    if shift is not None:
        out[:, :, shift:] = energy[:, :, :CELLS - shift]
    else:
        out = energy * np.exp(smear * np.random.default_rng(seed).standard_normal(energy.shape))
    np.savez(target, EnergyDeposit=out.astype(np.float32), ParticleMomentum=momentum.astype(np.float32),
             ParticlePoint=point.astype(np.float32))


def option(args, name, default=None, kind=float):
    return kind(args[args.index(name) + 1]) if name in args else default


def main(args):
    if len(args) >= 3 and args[0] == "distances":
        z_off, seed = option(args, "--z-off", 7.0), option(args, "--seed", 0, int)
        files = [a for i, a in enumerate(args[1:], 1) if not a.startswith("--") and not args[i - 1].startswith("--")]
        real = features(*load(files[0]), z_off)
        for path in files[1:]:
            print(json.dumps(distances(real, path, z_off, seed)), flush=True)
        return 0
    if len(args) >= 4 and args[0] == "transform" and ("--shift" in args) != ("--smear" in args):
        transform(args[1], args[2], option(args, "--shift", None, int), option(args, "--smear"), option(args, "--seed", 0, int))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
