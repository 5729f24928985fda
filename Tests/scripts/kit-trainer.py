#!/usr/bin/env python3
"""A scripted "trainer" written against the worker kit (python/lipsweep_worker), for the tests
of `executor.worker`: numpy only, deterministic. Its "generator" is the held-out events
themselves, blurred by a factor its state carries from epoch to epoch (so a resume that lost
the state would score differently), so lipsweep scores events near the real ones.

Environment knobs (tests only):
  KIT_EPOCH_SECONDS  sleep per epoch (default 0)
  KIT_RAISE_AT       raise ValueError at this epoch (a script that fails)
  KIT_BAD            shape | dtype | order | tensor: misuse the kit at epoch 2
  KIT_KEEP           save each epoch's generated events as generated-E.npz in the checkpoint dir
  KIT_DIE_IN_SCORE   die (os._exit(9), as a node that goes down) while lipsweep scores this
                     epoch, once per trial (a marker file in the checkpoint dir says it did)
"""
import os
import time

import numpy as np

from lipsweep_worker import Trial

trial = Trial()
die_at = os.environ.get("KIT_DIE_IN_SCORE")
marker = os.path.join(trial.checkpoint_dir, "died-in-score")
if die_at and not os.path.exists(marker):
    run_lipsweep = trial._lipsweep

    def dying_lipsweep(args):
        if args[0] == "score" and args[args.index("--epoch") + 1] == die_at:
            open(marker, "w").close()
            os._exit(9)
        return run_lipsweep(args)

    trial._lipsweep = dying_lipsweep
cfg = trial.config
train, test = trial.data()
assert train.energy.shape == (cfg["dataset"]["train"], 30, 30) and train.asymmetries.shape == (len(train), 2)
state = trial.restore() or {"blur": 0.5}
bad = os.environ.get("KIT_BAD", "")
seed = cfg["training"]["seed"]
for epoch in range(trial.next_epoch, cfg["training"]["epochs"] + 1):
    time.sleep(float(os.environ.get("KIT_EPOCH_SECONDS", "0")))
    if str(epoch) == os.environ.get("KIT_RAISE_AT"):
        raise ValueError(f"scripted failure at epoch {epoch}")
    state = {"blur": state["blur"] * 0.8}
    rng = np.random.default_rng(1000 * seed + epoch)
    noise = rng.random(test.energy.shape, dtype=np.float32)
    generated = (test.energy * (1 - state["blur"]) + state["blur"] * noise * test.energy.mean()).astype(np.float32)
    if os.environ.get("KIT_KEEP"):
        np.savez(os.path.join(trial.checkpoint_dir, f"generated-{epoch}.npz"), EnergyDeposit=generated,
                 ParticleMomentum=test.momentum, ParticlePoint=test.point)
    number = epoch
    if epoch == 2 and bad == "shape":
        generated = generated[1:]
    elif epoch == 2 and bad == "dtype":
        generated = generated.astype(np.float64)
    elif epoch == 2 and bad == "order":
        number = 3
    print(f"kit-trainer: epoch {epoch}")  # goes to the log, not into the protocol
    trial.epoch(number, generated=generated, d_loss=1.0 / epoch, g_loss=0.5 + 0.01 * epoch, lipschitz_bound=1.1 + 0.01 * seed,
                k=[1.0, 1.0, 1.1], checkpoint=state)
trial.end()
