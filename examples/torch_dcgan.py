#!/usr/bin/env python3
"""lipsweep's `dcgan` preset in PyTorch, as a lipsweep worker (README, "Your own trainer").

Run by a sweep whose spec says `executor: {worker: [python3, torch_dcgan.py]}` (examples/torch.yaml);
lipsweep scores every epoch itself. CUDA when torch.cuda.is_available(), else CPU.

The networks are the PyTorch twin's (shared/bench/torch_twin.py, the layer graph of
Sources/GAN/Networks/Generator.swift and Discriminator.swift; docs/science.md §4), the training loop the
embedded trainer's (Sources/GAN/Training/GANTrainer.swift, docs/science.md §5):
- data: x = log(1 + E) of the training events, conditions standardised with the training
  set's statistics, the regressor's targets the raw events' asymmetries (all from trial.data());
- every full batch of the shuffled training set is one D step: adversarial loss on the real
  batch and on B fakes made from the batch's own conditions, plus alpha_reg · MSE of D's
  regressor on the real batch, plus the regularizer's term; after every d_steps D steps (counted
  over the whole run) one G step on fresh noise with the same conditions;
- losses bce | hinge | ls | wasserstein; regularizers none (no SN), sn, alpha-k, l2, linf,
  hinge (SN plus D's trainable scales k1..k3 with their penalty), lecam (SN plus the LeCam term);
- Adam(lr, betas (0, 0.99)) for both networks (lr_g for G when given);
- a step loss that is not finite or beyond divergence_threshold ends the trial as diverged;
- each epoch: L = Π|k_i|·Π σ(W̄_l) over conv1–5 and FC1–3 (W̄ the spectrally normalised
  weight), the empirical max ‖∂D/∂x‖ on B real and B generated events, then one generated event
  per held-out condition (E = max(exp(x) − 1, 0), cells below dataset.threshold set to 0, as
  the embedded sampler), which lipsweep scores.
Random streams are PyTorch's own (seeded from training.seed), so the numbers are not the
embedded trainer's, but the model, objective and schedule are.
"""
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

try:
    from lipsweep_worker import Trial
except ImportError:  # not pip-installed: the kit next to this example in the lipsweep repository
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))
    from lipsweep_worker import Trial

PRESETS = {
    "tiny": dict(d_z=32, width=16, d_widths=[8, 16, 32, 32, 32], fc=[64, 32]),
    "small": dict(d_z=64, width=32, d_widths=[16, 32, 64, 64, 64], fc=[128, 64]),
    "paper": dict(d_z=256, width=64, d_widths=[32, 64, 128, 128, 128], fc=[256, 128]),
}
SLOPE = 0.2
MAX_LOG_ENERGY = 30.0  # G's output is clamped here before the inverse (Sources/GAN/Training/EventSampler.swift)
# Which of k1, k2, k3 each regularizer trains (Sources/GAN/Training/Regularizer.swift).
TRAINABLE_SCALES = {"none": (0, 0, 0), "sn": (0, 0, 0), "lecam": (0, 0, 0), "alpha-k": (0, 0, 1),
                    "l2": (1, 1, 1), "linf": (1, 1, 1), "hinge": (1, 1, 1)}
DEFAULTS = {"margin": 2.0, "alpha": 1.0, "lambda": 0.3}


class G(nn.Module):
    """[z, c] → Linear 256 → LReLU → Linear C·64 → LReLU → C×8×8 → up×2 → Conv3 → LReLU → up×2 →
    Conv3 → LReLU → Conv3 (no padding): 1×30×30, linear output in log(1 + E) space."""

    def __init__(s, d_z, width, **_):
        super().__init__()
        s.C = width
        s.fc1 = nn.Linear(d_z + 5, 256)
        s.fc2 = nn.Linear(256, width * 64)
        s.c1 = nn.Conv2d(width, width, 3, padding=1)
        s.c2 = nn.Conv2d(width, width // 2, 3, padding=1)
        s.c3 = nn.Conv2d(width // 2, 1, 3)

    def forward(s, z, c):
        h = F.leaky_relu(s.fc1(torch.cat([z, c], 1)), SLOPE)
        h = F.leaky_relu(s.fc2(h), SLOPE).view(-1, s.C, 8, 8)
        h = F.leaky_relu(s.c1(F.interpolate(h, scale_factor=2)), SLOPE)
        h = F.leaky_relu(s.c2(F.interpolate(h, scale_factor=2)), SLOPE)
        return s.c3(h)


class D(nn.Module):
    """conv1 s1, conv2 s2, conv3 s2 → h3; regressor r = FC(LReLU(conv s2 (h3))) predicts the
    asymmetries; conv4 s2, conv5 s1 → h5; D = k3·FC3(LReLU(k2·FC2(LReLU(k1·FC1([h5, r, c])))))."""

    def __init__(s, d_widths, fc, sn, **_):
        super().__init__()
        w1, w2, w3, w4, w5 = d_widths
        wrap = spectral_norm if sn else (lambda m: m)
        s.c1 = wrap(nn.Conv2d(1, w1, 3, 1, 1))
        s.c2 = wrap(nn.Conv2d(w1, w2, 3, 2, 1))
        s.c3 = wrap(nn.Conv2d(w2, w3, 3, 2, 1))
        s.c4 = wrap(nn.Conv2d(w3, w4, 3, 2, 1))
        s.c5 = wrap(nn.Conv2d(w4, w5, 3, 1, 1))
        s.rc = wrap(nn.Conv2d(w3, w2, 3, 2, 1))
        s.rf = wrap(nn.Linear(w2 * 16, 2))
        s.f1 = wrap(nn.Linear(w5 * 16 + 2 + 5, fc[0]))
        s.f2 = wrap(nn.Linear(fc[0], fc[1]))
        s.f3 = wrap(nn.Linear(fc[1], 1))
        s.k = nn.Parameter(torch.ones(3))

    def forward(s, x, c):
        a = lambda t: F.leaky_relu(t, SLOPE)
        h = a(s.c3(a(s.c2(a(s.c1(x))))))
        r = s.rf(a(s.rc(h)).flatten(1))
        h = a(s.c5(a(s.c4(h)))).flatten(1)
        h = a(s.f1(torch.cat([h, r, c], 1)) * s.k[0])
        h = a(s.f2(h) * s.k[1])
        return s.f3(h) * s.k[2], r

    def main_path(s):
        return [s.c1, s.c2, s.c3, s.c4, s.c5, s.f1, s.f2, s.f3]


def adversarial(loss, real, fake):
    """D's loss on raw scores (Sources/GAN/Training/AdversarialLoss.swift)."""
    if loss == "bce":
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if loss == "ls":
        return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
    return fake.mean() - real.mean()  # wasserstein


def generator_loss(loss, fake):
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    if loss == "ls":
        return 0.5 * ((fake - 1) ** 2).mean()
    return -fake.mean()  # hinge, wasserstein


def scale_term(kind, k, alpha, margin):
    """The regularizer's loss in D's scales k (docs/science.md §5.1)."""
    product = k.abs().prod()
    if kind == "alpha-k":
        return alpha * k[2]
    if kind == "l2":
        return alpha * (k ** 2).sum()
    if kind == "linf":
        return alpha * product
    if kind == "hinge":
        return alpha * F.relu(product - margin)
    return k.sum() * 0


class DCGANTrainer:
    def __init__(self, cfg, train, device, threads):
        self.device = device
        t = cfg["training"]
        self.t = t
        self.kind = t.get("regularizer", "sn")
        self.alpha = t.get("alpha", DEFAULTS["alpha"])
        self.margin = t.get("margin", DEFAULTS["margin"])
        self.lam = t.get("lambda", DEFAULTS["lambda"])
        self.loss = t.get("loss", "hinge")
        self.batch = int(t["batch"])
        self.d_steps = int(t.get("d_steps", 3))
        self.alpha_reg = float(t.get("alpha_reg", 1.0))
        self.threshold = float(t.get("divergence_threshold") or 1e8)
        sizes = dict(PRESETS[cfg["model"]["preset"]])
        sizes.update({key: cfg["model"][key] for key in ("d_z", "width", "d_widths", "fc") if cfg["model"].get(key) is not None})
        self.d_z = sizes["d_z"]
        torch.manual_seed(int(t["seed"]))
        self.g = G(**sizes).to(device)
        self.d = D(sn=self.kind != "none", **sizes).to(device)
        self.d.k.requires_grad_(any(TRAINABLE_SCALES[self.kind]))
        self.k_mask = torch.tensor(TRAINABLE_SCALES[self.kind], dtype=torch.float32, device=device)
        lr = float(t["lr"])
        self.opt_d = torch.optim.Adam([p for p in self.d.parameters() if p.requires_grad], lr, betas=(0.0, 0.99), eps=1e-8)
        self.opt_g = torch.optim.Adam(self.g.parameters(), float(t.get("lr_g") or lr), betas=(0.0, 0.99), eps=1e-8)
        self.x = torch.from_numpy(np.log1p(np.maximum(train.energy, 0))).unsqueeze(1).to(device)
        self.c = torch.from_numpy(train.conditions).to(device)
        self.asym = torch.from_numpy(train.asymmetries).to(device)
        self.random = torch.Generator().manual_seed(int(t["seed"]) * 7919 + 1)
        self.step = 0
        self.lecam = [None, None]  # EMAs of D's mean output on real and fake batches

    def state(self):
        cpu = lambda sd: {k: v.detach().cpu() if torch.is_tensor(v) else v for k, v in sd.items()}
        return {"g": cpu(self.g.state_dict()), "d": cpu(self.d.state_dict()), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "random": self.random.get_state(), "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                "step": self.step, "lecam": list(self.lecam)}

    def load(self, s):
        self.g.load_state_dict(s["g"])
        self.d.load_state_dict(s["d"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.random.set_state(s["random"])
        torch.set_rng_state(s["torch"])
        if s["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(s["cuda"])
        self.step, self.lecam = s["step"], list(s["lecam"])

    def noise(self, n):
        return torch.randn(n, self.d_z, generator=self.random).to(self.device)

    def check(self, loss, what):
        value = float(loss)
        if not math.isfinite(value):
            raise Diverged(f"non-finite {what} loss ({value}) at step {self.step}", self.step)
        if abs(value) > self.threshold:
            raise Diverged(f"{what} loss {value:.3g} beyond divergence_threshold {self.threshold:.3g} at step {self.step}",
                           self.step)
        return value

    def train_epoch(self):
        b, n = self.batch, self.x.shape[0]
        order = torch.randperm(n, generator=self.random).to(self.device)
        d_sum = reg_sum = g_sum = 0.0
        g_steps = 0
        self.g.train()
        self.d.train()
        for i in range(n // b):
            idx = order[i * b:(i + 1) * b]
            x, c, asym = self.x[idx], self.c[idx], self.asym[idx]
            with torch.no_grad():
                fake = self.g(self.noise(b), c)
            real_score, r = self.d(x, c)
            fake_score, _ = self.d(fake, c)
            loss = adversarial(self.loss, real_score, fake_score) + self.alpha_reg * F.mse_loss(r, asym)
            reg = scale_term(self.kind, self.d.k, self.alpha, self.margin)
            if self.kind == "lecam":
                decay = 0.99
                means = (real_score.mean().item(), fake_score.mean().item())
                self.lecam = [m if e is None else decay * e + (1 - decay) * m for e, m in zip(self.lecam, means)]
                reg = reg + self.lam * (((real_score - self.lecam[1]) ** 2).mean() + ((fake_score - self.lecam[0]) ** 2).mean())
            self.opt_d.zero_grad(set_to_none=True)
            (loss + reg).backward()
            if self.d.k.grad is not None:
                self.d.k.grad *= self.k_mask  # alpha-k trains k3 only
            self.step += 1
            d_sum += self.check(loss + reg, "discriminator") - float(reg)
            reg_sum += float(reg)
            self.opt_d.step()
            if self.step % self.d_steps == 0:
                fake_score, _ = self.d(self.g(self.noise(b), c), c)
                g_loss = generator_loss(self.loss, fake_score)
                self.opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                g_sum += self.check(g_loss, "generator")
                g_steps += 1
                self.opt_g.step()
        batches = n // b
        return d_sum / batches, g_sum / max(g_steps, 1), reg_sum / batches

    def lipschitz(self, generator):
        """(L, empirical max ‖∂D/∂x‖, k) with D in evaluation mode (SN vectors unchanged)."""
        self.d.eval()
        self.g.eval()
        with torch.no_grad():
            bound = float(self.d.k.abs().prod())
            for m in self.d.main_path():
                w = m.weight
                bound *= float(torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2))
            b = self.batch
            fake = self.g(torch.randn(b, self.d_z, generator=generator).to(self.device), self.c[:b])
        x = torch.cat([self.x[:b], fake]).requires_grad_(True)
        score, _ = self.d(x, torch.cat([self.c[:b], self.c[:b]]))
        (grad,) = torch.autograd.grad(score.sum(), x)
        empirical = float(grad.flatten(1).norm(dim=1).max())
        return bound, empirical, [float(v) for v in self.d.k.detach().cpu()]

    def generate(self, conditions, threshold, generator):
        """One event per condition, in GeV, as the embedded sampler maps G's output back."""
        self.g.eval()
        out = []
        with torch.no_grad():
            for start in range(0, conditions.shape[0], 1024):
                c = conditions[start:start + 1024]
                x = self.g(torch.randn(c.shape[0], self.d_z, generator=generator).to(self.device), c)
                x = torch.nan_to_num(x, nan=0.0).clamp(max=MAX_LOG_ENERGY)
                e = torch.expm1(x).clamp(min=0)
                e[e < threshold] = 0
                out.append(e.squeeze(1).cpu())
        return torch.cat(out).numpy().astype(np.float32)


class Diverged(Exception):
    def __init__(self, what, step):
        super().__init__(what)
        self.step = step


def main():
    trial = Trial()
    cfg = trial.config
    if cfg["model"].get("arch", "dcgan") != "dcgan":
        print(f"torch_dcgan.py: model.arch {cfg['model']['arch']} is not the DCGAN; use the embedded trainer for it",
              file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(trial.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"torch_dcgan.py: training on {device}", file=sys.stderr)
    train, test = trial.data()
    trainer = DCGANTrainer(cfg, train, device, trial.threads)
    state = trial.restore()
    if state is not None:
        trainer.load(state)
    test_conditions = torch.from_numpy(test.conditions).to(device)
    threshold = float(cfg["dataset"].get("threshold", 0.01))
    for epoch in range(trial.next_epoch, cfg["training"]["epochs"] + 1):
        start = time.perf_counter()
        try:
            d_loss, g_loss, reg_loss = trainer.train_epoch()
        except Diverged as e:
            trial.diverged(str(e), step=e.step)
            return
        seconds = time.perf_counter() - start
        generator = torch.Generator().manual_seed(int(cfg["training"]["seed"]) * 1_000_003 + epoch)
        bound, empirical, k = trainer.lipschitz(generator)
        generated = trainer.generate(test_conditions, threshold, generator)
        print(f"torch_dcgan.py: epoch {epoch}: D {d_loss:.4f} G {g_loss:.4f} L {bound:.3g} ({seconds:.1f} s)", file=sys.stderr)
        trial.epoch(epoch, generated=generated, d_loss=d_loss, g_loss=g_loss, reg_loss=reg_loss, lipschitz_bound=bound,
                    lipschitz_empirical=empirical, k=k, checkpoint=trainer.state())
    trial.end()


if __name__ == "__main__":
    main()
