#!/usr/bin/env python3
"""A scripted worker that follows docs/worker-protocol.md exactly, for testing the scheduler
without the trainer: `fake-worker.py train --config F --checkpoint-dir D --threads T [--resume]`.

Its numbers are deterministic functions of the trial config and the epoch, so a resumed or
retried trial prints exactly what an uninterrupted one prints.

Environment knobs (tests only):
  FAKE_EPOCH_SECONDS   sleep per epoch (default 0.05)
  FAKE_CRASH_AT_EPOCH  SIGKILL itself in the middle of this epoch, once per trial (a marker
                       file in the checkpoint directory remembers it crashed)
  FAKE_ALWAYS_CRASH    SIGKILL itself at epoch 1 every time (a trial that can never finish)
  FAKE_DIVERGE_LR      trials with lr >= this end as diverged after epoch 2
  FAKE_DIVERGE_SEED    ... but only those with this seed (default: any seed)
  FAKE_OLD_WORKER      behave as a worker of protocol 3: no physics distances in the epoch lines
                       and no histograms line (their columns stay NULL)
  FAKE_TURN            a number s: Physical PRD rises by 0.001·ln(T/lr) per epoch, with the turning
                       learning rate T = s·2/L (L the trial's scripted Lipschitz bound below), so QG
                       is positive exactly when lr < T: for seed 1, T = s·1.818 for sn and s·1.818/m
                       for hinge with margin m (the boundary search's known answer)
  FAKE_SEED_OFFSETS    with FAKE_TURN, comma-separated numbers z_1, z_2, …: every seed turns at
                       seed 1's T, and seed s's rate is ln(T/lr) + z_s (0 past the list), the
                       same offset at every lr (a seed's noise, common to every point as the
                       replicated search pairs them)
  FAKE_DIP_LR          with FAKE_TURN, trials at this lr (within 1e-6) get rate −1 whatever the
                       seed: a point that does not converge below the turn (non-monotone)
  FAKE_DIP_MARGIN      ... but only those with this margin (default: any)
  FAKE_DISAGREE        a learning rate T: over epochs 1..4 Physical PRD zigzags (0.1, 1, −1, 0.2
                       in units of 0.01 about 0.5, then flat) so that the endpoints QG (eq. 11) is
                       positive and the least-squares slope negative for lr < T, and the reverse
                       (the zigzag negated) for lr ≥ T: the two qg.estimator choices disagree
  FAKE_IID_SEED        any value: Physical PRD = 0.25 + 0.5·u + 0.02·(v − 0.5)·epoch with u, v
                       i.i.d. uniform per trial (drawn from the trial config and this value), so
                       each trial's rank at a rung is independent of its configuration and arrival
                       (pruning bias tests), and QG varies from seed to seed around 0
"""
import hashlib, json, math, os, signal, sys, time


def main():
    args = sys.argv[1:]
    if not args or args[0] != "train":
        print("usage: fake-worker.py train --config F --checkpoint-dir D --threads T [--resume]", file=sys.stderr)
        return 2
    opts, i = {}, 1
    while i < len(args):
        if args[i] == "--resume":
            opts["resume"] = True; i += 1
        else:
            opts[args[i].lstrip("-")] = args[i + 1]; i += 2
    with open(opts["config"]) as f:
        config = json.load(f)
    t = config["training"]
    epochs, qg_epochs = t["epochs"], config["qg"]["epochs"]
    lr, seed, margin = t["lr"], t["seed"], t.get("margin")
    ckpt_dir = opts["checkpoint-dir"]
    ckpt = os.path.join(ckpt_dir, "checkpoint.json")
    sleep = float(os.environ.get("FAKE_EPOCH_SECONDS", "0.05"))
    crash_at = int(os.environ.get("FAKE_CRASH_AT_EPOCH", "0"))
    diverge_lr = float(os.environ.get("FAKE_DIVERGE_LR", "1e9"))
    diverge_seed = int(os.environ.get("FAKE_DIVERGE_SEED", str(seed)))

    done = []
    if opts.get("resume") and os.path.exists(ckpt):
        with open(ckpt) as f:
            done = json.load(f)["lines"]
        for line in done:
            emit(dict(line, replayed=True))
    print(f"fake worker: {len(done)} epochs in checkpoint", file=sys.stderr)

    # Seed 1 gives L = 1.1 (sn) or 1.1·m (hinge); later seeds a larger L, so lr ≤ 2/L varies.
    bound = round(((margin * 1.1) if margin else 1.1) * (1 + 0.5 * (seed - 1)), 10)
    for epoch in range(len(done) + 1, epochs + 1):
        time.sleep(sleep / 2)
        if os.environ.get("FAKE_ALWAYS_CRASH") or (epoch == crash_at and not os.path.exists(os.path.join(ckpt_dir, "crashed"))):
            open(os.path.join(ckpt_dir, "crashed"), "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(sleep / 2)
        if lr >= diverge_lr and seed == diverge_seed and epoch == 3:
            emit({"type": "end", "state": "diverged", "epochs": 2, "qg": None, "qg_slope": None, "l_30": None,
                  "two_over_l_30": None, "lr_within_bound": None, "two_over_m": (2 / margin) if margin else None,
                  "error": "non-finite D loss", "diverged_at_step": 2 * 100 + 7})
            return 0
        if os.environ.get("FAKE_DISAGREE"):
            sign = 1 if lr < float(os.environ["FAKE_DISAGREE"]) else -1
            zigzag = [0.1, 1.0, -1.0, 0.2]
            prd = round(0.5 + sign * 0.01 * zigzag[min(epoch, 4) - 1], 10)
        elif os.environ.get("FAKE_IID_SEED"):
            digest = hashlib.sha256((json.dumps(config, sort_keys=True) + os.environ["FAKE_IID_SEED"]).encode()).hexdigest()
            level, trend = int(digest[:12], 16) / float(16 ** 12), int(digest[12:24], 16) / float(16 ** 12)
            prd = round(0.25 + 0.5 * level + 0.02 * (trend - 0.5) * epoch, 10)
        elif os.environ.get("FAKE_TURN"):
            offsets = [float(z) for z in os.environ.get("FAKE_SEED_OFFSETS", "").split(",") if z.strip()]
            # With offsets every seed shares seed 1's turn, and z_s is its only difference.
            turn = float(os.environ["FAKE_TURN"]) * 2 / (round((margin or 1) * 1.1, 10) if offsets else bound)
            rate = math.log(turn / lr) + (offsets[seed - 1] if 0 < seed <= len(offsets) else 0.0)
            dip_lr, dip_margin = os.environ.get("FAKE_DIP_LR"), os.environ.get("FAKE_DIP_MARGIN")
            if dip_lr and abs(lr / float(dip_lr) - 1) < 1e-6 and (dip_margin is None or margin == float(dip_margin)):
                rate = -1.0
            prd = round(0.5 + 0.001 * epoch * rate, 10)
        else:
            prd = round((seed % 7) * 0.01 + epoch * (lr * 10 + 0.001 * (seed - 1)) + (0.002 * epoch * epoch if margin else 0), 10)
        line = {"type": "epoch", "epoch": epoch, "d_loss": round(1.0 / (epoch + seed), 10), "g_loss": round(0.5 + 0.01 * epoch, 10),
                "reg_loss": 0.0, "raw_prd": round(min(0.9, 0.3 + 0.05 * epoch), 10), "phys_prd": prd,
                "lipschitz_bound": bound, "lipschitz_empirical": round(bound / 2, 10), "k": [1.0, 1.0, bound],
                "k_product": bound, "train_seconds": round(0.1 * epoch, 10), "eval_seconds": 0.01, "replayed": False}
        if not os.environ.get("FAKE_OLD_WORKER"):
            line.update(distances(epoch, lr, seed, margin))
        done.append(line)
        tmp = ckpt + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"lines": done}, f)
        os.replace(tmp, ckpt)
        emit(line)
    # Its nice value, for the test that `nice lipsweep run` reaches the workers.
    print(f"fake worker: nice {os.nice(0)}", file=sys.stderr)
    complete = epochs >= qg_epochs
    if not os.environ.get("FAKE_OLD_WORKER"):
        emit(histograms(epochs, seed))
    emit({"type": "end", "state": "completed", "epochs": epochs, "qg": None, "qg_slope": None, "l_30": bound if complete else None,
          "two_over_l_30": (2 / bound) if complete else None, "lr_within_bound": (lr <= 2 / bound) if complete else None,
          "two_over_m": (2 / margin) if margin else None, "error": None, "diverged_at_step": None})
    return 0


def distances(epoch, lr, seed, margin):
    """Physics distances that fall with the epoch, faster for a larger lr, and differ by seed
    and margin, so QG on them (the mean per-epoch decrease) differs between groups."""
    fpd = round(0.05 * seed + (1 + (margin or 0)) / (1 + 20 * lr * epoch), 10)
    kpd = round(fpd / 40 + 0.0001 * (epoch % 2), 10)
    return {"fpd": fpd, "fpd_err": round(fpd / 50, 10), "kpd": kpd, "kpd_err": round(kpd / 10, 10),
            "kid": round(kpd * 0.8, 10), "w1_asym_along": round(fpd / 10, 10), "w1_asym_across": round(fpd / 11, 10),
            "w1_width_along": round(fpd / 12, 10), "w1_width_across": round(fpd / 13, 10), "w1_sparsity": round(fpd / 14, 10)}


def histograms(epoch, seed):
    """The Appendix C line of docs/worker-protocol.md: four features on 4 shared bins each and a
    3-point sparsity curve, scripted (counts of 100 real and 100 generated events)."""
    def feature(shift):
        return {"edges": [0.0, 0.25, 0.5, 0.75, 1.0], "real": [10, 40, 40, 10], "generated": [10 + shift, 40, 40 - shift, 10]}
    return {"type": "histograms", "epoch": epoch, "real_events": 100, "generated_events": 100,
            "asym_along": feature(seed), "asym_across": feature(2 * seed), "width_along": feature(3), "width_across": feature(4),
            "sparsity": {"alpha": [1e-4, 1e-3, 1e-2], "real": [0.5, 0.3, 0.1], "generated": [0.45, 0.28, 0.12]}}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
