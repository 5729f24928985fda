"""PyTorch twin of lipsweep's ResNet family (model.arch: resnet; docs/science.md §4.1), written
from the spec as literally as possible (upsampling before the shortcut's 1x1 convolution,
pooling after it), so that the Swift implementation's reorderings are checked against it.

Usage:
  python3 scripts/twin_resnet.py shapes PRESET
      JSON on stdout: per-module output shape (per sample) and parameter count of G and D, and
      the totals ({"g": [[name, shape, params], ...], "d": [...], "g_total": N, "d_total": N}).
  python3 scripts/twin_resnet.py forward IN.npz OUT.npz
      IN holds the sizes (`config` = [d_z, C, w1..w5, f1, f2]), every weight and buffer under its
      state_dict name prefixed `g.` / `d.` (D's weights as used, i.e. already divided by sigma
      under SN, so D is built without SN here) and the inputs z (n, d_z), c (n, 5), x (n, 1, 30, 30).
      OUT gets g_eval (G in evaluation mode: running statistics), then g_train (training mode:
      batch statistics), g_running (every BN's running mean and variance after that training
      forward, in module order), d_score, d_regression (D(x, c)).
  python3 scripts/twin_resnet.py bench PRESET N_TRAIN THREADS
      Training samples/s under the protocol of shared/bench/torch_twin.py (synthetic data, preset
      batch, hinge loss, d_steps 3, hinge regularizer m = 8, alpha = 1, Adam lr 1e-4 betas (0, 0.99),
      one warm-up run on 4 batches); prints wall-clock samples/s and samples per CPU-second/thread.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

PRESETS = {
    "tiny": dict(dz=32, C=16, w=(8, 16, 32, 32, 32), f=(64, 32), batch=64),
    "small": dict(dz=64, C=32, w=(16, 32, 64, 64, 64), f=(128, 64), batch=256),
    "paper": dict(dz=256, C=64, w=(32, 64, 128, 128, 128), f=(256, 128), batch=256),
}
SLOPE = 0.2


class CBN(nn.Module):
    """Batch norm without affine, then (1 + W_gamma c) * xhat + W_beta c; W_gamma, W_beta start at 0."""

    def __init__(s, C, k=5):
        super().__init__()
        s.bn = nn.BatchNorm2d(C, affine=False)  # eps 1e-5, momentum 0.1
        s.gamma = nn.Linear(k, C, bias=False)
        s.beta = nn.Linear(k, C, bias=False)
        nn.init.zeros_(s.gamma.weight)
        nn.init.zeros_(s.beta.weight)

    def forward(s, x, c):
        return (1 + s.gamma(c))[:, :, None, None] * s.bn(x) + s.beta(c)[:, :, None, None]


class UpBlock(nn.Module):
    """CBN -> ReLU -> nearest x2 -> Conv3x3 -> CBN -> ReLU -> Conv3x3, plus nearest x2 -> Conv1x1."""

    def __init__(s, cin, cout):
        super().__init__()
        s.cbn1 = CBN(cin)
        s.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        s.cbn2 = CBN(cout)
        s.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        s.sc = nn.Conv2d(cin, cout, 1)

    def forward(s, x, c):
        h = s.c1(F.interpolate(F.relu(s.cbn1(x, c)), scale_factor=2))
        h = s.c2(F.relu(s.cbn2(h, c)))
        return h + s.sc(F.interpolate(x, scale_factor=2))


class G(nn.Module):
    def __init__(s, dz, C, **_):
        super().__init__()
        s.C = C
        s.fc = nn.Linear(dz + 5, C * 64)
        s.b1 = UpBlock(C, C)
        s.b2 = UpBlock(C, C // 2)
        s.bn = nn.BatchNorm2d(C // 2, affine=False)
        s.c = nn.Conv2d(C // 2, 1, 3)

    def forward(s, z, c):
        h = s.fc(torch.cat([z, c], 1)).view(-1, s.C, 8, 8)
        h = s.b2(s.b1(h, c), c)
        return s.c(F.relu(s.bn(h)))  # linear output in log(1+E) space


def maybe_sn(module, sn):
    return spectral_norm(module) if sn else module


class DownBlock(nn.Module):
    """Residual: Conv3x3 -> LReLU -> Conv3x3 [-> AvgPool2] on a; shortcut: Conv1x1 [-> AvgPool2] on x."""

    def __init__(s, cin, cout, down, sn):
        super().__init__()
        s.c1 = maybe_sn(nn.Conv2d(cin, cout, 3, padding=1), sn)
        s.c2 = maybe_sn(nn.Conv2d(cout, cout, 3, padding=1), sn)
        s.sc = maybe_sn(nn.Conv2d(cin, cout, 1), sn)
        s.down = down

    def forward(s, a, x):
        h = s.c2(F.leaky_relu(s.c1(a), SLOPE))
        sc = s.sc(x)
        if s.down:
            h, sc = F.avg_pool2d(h, 2), F.avg_pool2d(sc, 2)
        return h + sc


class D(nn.Module):
    def __init__(s, w, f, sn=True, **_):
        super().__init__()
        w1, w2, w3, w4 = w[:4]
        s.b1 = DownBlock(1, w1, True, sn)     # 30 -> 15
        s.b2 = DownBlock(w1, w2, True, sn)    # 15 -> 7
        s.b3 = DownBlock(w2, w3, True, sn)    # 7 -> 3
        s.b4 = DownBlock(w3, w4, False, sn)   # 3 x 3
        s.rc = maybe_sn(nn.Conv2d(w2, w2, 3, 2, 1), sn)  # 7 -> 4
        s.rf = maybe_sn(nn.Linear(w2 * 16, 2), sn)
        s.f1 = maybe_sn(nn.Linear(w4 + 2 + 5, f[0]), sn)
        s.f2 = maybe_sn(nn.Linear(f[0], f[1]), sn)
        s.f3 = maybe_sn(nn.Linear(f[1], 1), sn)
        s.k = nn.Parameter(torch.ones(3))

    def forward(s, x, c):
        a = lambda t: F.leaky_relu(t, SLOPE)
        h1 = s.b1(x, x)
        h2 = s.b2(a(h1), h1)
        r = s.rf(a(s.rc(a(h2))).flatten(1))
        h3 = s.b3(a(h2), h2)
        h4 = s.b4(a(h3), h3)
        pooled = a(h4).sum((2, 3))
        h = a(s.f1(torch.cat([pooled, r, c], 1)) * s.k[0])
        h = a(s.f2(h) * s.k[1])
        return s.f3(h) * s.k[2], r


G_MODULES = ["fc"] + [f"{b}.{m}" for b in ("b1", "b2") for m in ("cbn1", "c1", "cbn2", "c2", "sc")] + ["bn", "c"]
D_MODULES = [f"{b}.{m}" for b in ("b1", "b2", "b3", "b4") for m in ("c1", "c2", "sc")] + ["rc", "rf", "f1", "f2", "f3"]


def summaries(model, names, run):
    """(name, output shape per sample, parameter count) of each named module, in `names` order."""
    modules = dict(model.named_modules())
    shapes = {}

    def record(name):
        def hook(module, inputs, output):
            shapes.setdefault(name, list(output.shape[1:]))
        return hook

    hooks = [modules[n].register_forward_hook(record(n)) for n in names]
    with torch.no_grad():
        run()
    for h in hooks:
        h.remove()
    return [[n, shapes[n], sum(p.numel() for p in modules[n].parameters())] for n in names]


def shapes(preset):
    p = PRESETS[preset]
    g, d = G(**p), D(**p)
    n = 2
    z, c = torch.randn(n, p["dz"]), torch.randn(n, 5)
    gs = summaries(g, G_MODULES, lambda: g(z, c))
    ds = summaries(d, D_MODULES, lambda: d(torch.randn(n, 1, 30, 30), c)) + [["k", [3], 3]]
    print(json.dumps({"g": gs, "d": ds, "g_total": sum(q.numel() for q in g.parameters()),
                      "d_total": sum(q.numel() for q in d.parameters())}))


def load(model, arrays, prefix):
    state = {k[len(prefix):]: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in arrays.items()
             if k.startswith(prefix)}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"twin_resnet: weights missing {missing}, unexpected {unexpected}")


def forward(inp, out):
    arrays = dict(np.load(inp))
    dz, C, w1, w2, w3, w4, w5, f1, f2 = [int(v) for v in arrays["config"]]
    sizes = dict(dz=dz, C=C, w=(w1, w2, w3, w4, w5), f=(f1, f2))
    g, d = G(**sizes), D(sn=False, **sizes)
    load(g, arrays, "g.")
    load(d, arrays, "d.")
    z, c, x = (torch.from_numpy(arrays[k].astype(np.float32)) for k in ("z", "c", "x"))
    with torch.no_grad():
        g.eval()
        g_eval = g(z, c)
        g.train()
        g_train = g(z, c)
        running = [t.numpy().ravel() for name, t in g.named_buffers()
                   if name.endswith("running_mean") or name.endswith("running_var")]
        score, regression = d(x, c)
    np.savez(out, g_eval=g_eval.numpy(), g_train=g_train.numpy(), g_running=np.concatenate(running),
             d_score=score.numpy(), d_regression=regression.numpy())


def bench_run(preset, n, threads, epochs=1):
    """torch_twin.run with the ResNet G and D."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p = PRESETS[preset]
    B = p["batch"]
    g, d = G(**p), D(**p)
    og = torch.optim.Adam(g.parameters(), 1e-4, betas=(0.0, 0.99))
    od = torch.optim.Adam(d.parameters(), 1e-4, betas=(0.0, 0.99))
    X, Cn, A = torch.rand(n, 1, 30, 30), torch.randn(n, 5), torch.randn(n, 2)
    m, alpha = 8.0, 1.0
    t0 = time.perf_counter()
    steps = 0
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(n // B):
            idx = perm[i * B:(i + 1) * B]
            x, c, asym = X[idx], Cn[idx], A[idx]
            z = torch.randn(B, p["dz"])
            with torch.no_grad():
                fake = g(z, c)
            dr, r = d(x, c)
            df, _ = d(fake, c)
            loss = F.relu(1 - dr).mean() + F.relu(1 + df).mean() + F.mse_loss(r, asym)
            loss = loss + alpha * F.relu(d.k.abs().prod() - m)
            od.zero_grad()
            loss.backward()
            od.step()
            steps += 1
            if steps % 3 == 0:
                z = torch.randn(B, p["dz"])
                df, _ = d(g(z, c), c)
                gl = -df.mean()
                og.zero_grad()
                gl.backward()
                og.step()
    return (n // B) * B * epochs / (time.perf_counter() - t0)


def bench(preset, n, threads):
    batch = PRESETS[preset]["batch"]
    bench_run(preset, min(n, 4 * batch), threads)  # warm-up
    cpu0 = time.process_time()
    rate = bench_run(preset, n, threads)
    cpu = time.process_time() - cpu0
    samples = (n // batch) * batch
    print(f"twin resnet {preset} threads={threads} samples/s={rate:.1f} "
          f"samples per CPU-second/thread={samples / (cpu / threads):.1f}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "shapes" and len(sys.argv) == 3:
        shapes(sys.argv[2])
    elif command == "forward" and len(sys.argv) == 4:
        forward(sys.argv[2], sys.argv[3])
    elif command == "bench" and len(sys.argv) == 5:
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
