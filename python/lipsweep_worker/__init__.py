"""lipsweep_worker: your own GAN trainer as a lipsweep worker (docs/worker-protocol.md).

lipsweep's scheduler runs your script as

    SCRIPT train --config TRIAL.json --checkpoint-dir DIR --threads T [--resume]

and reads JSON lines from its stdout. This kit speaks that protocol for you: it reads the
trial config, hands you the trial's events (`lipsweep data`: the embedded trainer's exact
events and split), has lipsweep score the events your generator makes each epoch (`lipsweep
score`: RAW and Physical PRD, FPD, KPD, KID and W1, exactly as lipsweep scores its own
trainer, with the epoch's seed), saves your checkpoint durably, prints the epoch lines,
replays them on --resume, and ends the trial.

    from lipsweep_worker import Trial
    trial = Trial()
    train, test = trial.data()
    state = trial.restore()
    for epoch in range(trial.next_epoch, trial.config["training"]["epochs"] + 1):
        ...
        trial.epoch(epoch, generated=energy, d_loss=..., g_loss=..., checkpoint=state)
    trial.end()

Only numpy is needed. The `lipsweep` binary is found through LIPSWEEP_BIN (the scheduler sets
it for every worker), else on PATH.
"""
import errno
import hashlib
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import time

import numpy as np

__all__ = ["Trial", "EventSet", "TrialError"]
__version__ = "0.1.0"

#: Environment variable naming the lipsweep binary (set by the scheduler for every worker).
BINARY_VARIABLE = "LIPSWEEP_BIN"
#: The checkpoint's journal in --checkpoint-dir: the epoch lines, the last histograms, the
#: name and SHA-256 of the state file, and the epoch still being scored (if any).
CHECKPOINT_FILE = "checkpoint.lipsweep-worker"
#: The script's state after epoch E (the object passed as `checkpoint=`), one file per epoch so
#: that the journal always names a complete one.
STATE_FILE = "state-{epoch}.lipsweep-worker"
#: Epoch E's generated events, kept until lipsweep has scored them.
PENDING_FILE = "pending-{epoch}.npz"
#: The trial's events (`lipsweep data`), in --checkpoint-dir; removed when the trial ends.
DATA_DIRECTORY = "lipsweep-data"
_MAGIC = b"lipsweep-worker checkpoint 2\n"
_STATE_MAGIC = b"lipsweep-worker state 1\n"
#: ENOSPC's number: the exit status that tells the scheduler the disk is full (no retry helps).
_OUT_OF_SPACE_STATUS = 28
_DISTANCES = ("fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_asym_across", "w1_width_along",
              "w1_width_across", "w1_sparsity")


class TrialError(Exception):
    """A mistake in how the script uses the kit (an epoch out of order, `generated` of the wrong
    shape or dtype, …) or a failure of lipsweep's data or scoring: the worker prints this one
    message on stderr and exits 1, so the trial fails naming the problem."""


class _OutOfSpace(Exception):
    def __init__(self, path):
        super().__init__(f"no space left on device writing {path}; free space and run again")


class EventSet:
    """Events of one part of the trial (train or test), all float32 numpy arrays:
    `energy` (N,30,30) GeV, `momentum` (N,3), `point` (N,2), `conditions` (N,5) = (px, py, pz,
    x0, y0) standardised with the training set's mean and sd (what the embedded G and D take),
    and for the training set `asymmetries` (N,2), the regressor's targets (else None)."""

    def __init__(self, arrays):
        self.energy = arrays["EnergyDeposit"]
        self.momentum = arrays["ParticleMomentum"]
        self.point = arrays["ParticlePoint"]
        self.conditions = arrays["Conditions"]
        self.asymmetries = arrays.get("Asymmetries")

    def __len__(self):
        return int(self.energy.shape[0])


class Trial:
    """One trial, from the command line the scheduler gives to the `end` line."""

    def __init__(self, argv=None):
        args = sys.argv[1:] if argv is None else list(argv)
        options = _parse_arguments(args)
        self.config_path = options["config"]
        self.checkpoint_dir = options["checkpoint-dir"]
        self.threads = int(options["threads"])
        self.resume = options["resume"]
        _install_exception_hook()
        self._out = _claim_stdout()
        self.config = self._read_config()
        training = self.config["training"]
        self.epochs = int(training["epochs"])
        self.seed = int(training["seed"])
        self._eval_every = int(self.config.get("evaluation", {}).get("eval_every", 1))
        self._lines = []
        self._histograms = None
        self._state = pickle.dumps(None)
        self._state_file = None
        self._pending = None
        self._data = None
        self._ended = False
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        if self.resume:
            self._resume()
        #: The first epoch still to train: 1, or the one after the checkpoint's on --resume.
        self.next_epoch = len(self._lines) + 1
        self._clock = time.perf_counter()

    # -- the API ---------------------------------------------------------------------------

    def data(self):
        """(train, test) EventSets: the trial's events and split, exactly the embedded trainer's.
        Written by `lipsweep data` once per trial into --checkpoint-dir, read from there after."""
        if self._data is None:
            directory = os.path.join(self.checkpoint_dir, DATA_DIRECTORY)
            files = [os.path.join(directory, name) for name in ("train.npz", "test.npz")]
            if not all(os.path.exists(f) for f in files):
                self._lipsweep(["data", "--config", self.config_path, "--output", directory, "--threads", str(self.threads)])
            parts = []
            for f in files:
                with np.load(f) as npz:
                    parts.append(EventSet({key: npz[key] for key in npz.files}))
            self._data = tuple(parts)
            self._clock = time.perf_counter()
        return self._data

    def restore(self):
        """The object last passed as `checkpoint=` to `epoch`, from the checkpoint (on --resume),
        or None when the trial starts afresh."""
        state = pickle.loads(self._state)
        self._clock = time.perf_counter()
        return state

    def epoch(self, epoch, generated=None, d_loss=None, g_loss=None, reg_loss=None, lipschitz_bound=None,
              lipschitz_empirical=None, k=None, checkpoint=None):
        """Reports epoch `epoch` (1, 2, … in order, each once). `generated`: one event per held-out
        event, for `test.conditions`, in test's order, shape (len(test),30,30), float32, GeV; it
        may be omitted on epochs that are not evaluated (evaluation.eval_every > 1).
        First `checkpoint` (any picklable object) and `generated` are saved durably, so the
        epoch's training is never lost, even when scoring fails or the node goes down while it
        scores; then lipsweep scores `generated` against the held-out events with the trial's
        `evaluation:` settings and this epoch's seed; the scored line joins the checkpoint, and
        only then is it printed. A resume after a crash while scoring scores the saved events
        (the same numbers: the epoch fixes the seed) instead of training the epoch again.
        The other numbers are optional (null when omitted)."""
        if self._ended:
            raise TrialError(f"trial.epoch({epoch!r}) after the trial ended (trial.end() or trial.diverged())")
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
            raise TrialError(f"trial.epoch({epoch!r}): the epoch must be a whole number (1, 2, …)")
        epoch = int(epoch)
        if epoch != self.next_epoch:
            raise TrialError(f"trial.epoch({epoch}): epoch out of order, expected epoch {self.next_epoch}; report epochs "
                             f"1…{self.epochs} in order, each once (after a resume the first is trial.next_epoch)")
        if epoch > self.epochs:
            raise TrialError(f"trial.epoch({epoch}): the trial has {self.epochs} epochs (training.epochs); "
                             "loop up to trial.config['training']['epochs']")
        train_seconds = time.perf_counter() - self._clock
        numbers = {name: _number(name, value, epoch) for name, value in
                   (("d_loss", d_loss), ("g_loss", g_loss), ("reg_loss", reg_loss), ("lipschitz_bound", lipschitz_bound),
                    ("lipschitz_empirical", lipschitz_empirical))}
        scales = None if k is None else [_number("k", value, epoch) for value in _sequence(k, epoch)]
        if generated is not None:
            generated = self._checked_generated(generated, epoch)
        evaluated = epoch % self._eval_every == 0
        if evaluated and generated is None:
            raise TrialError(f"trial.epoch({epoch}): generated= is missing; every evaluated epoch needs the events "
                             f"your generator made for test.conditions, shape ({len(self.data()[1])}, 30, 30), float32")
        line = {"type": "epoch", "epoch": epoch, "d_loss": numbers["d_loss"], "g_loss": numbers["g_loss"],
                "reg_loss": numbers["reg_loss"], "raw_prd": None, "phys_prd": None}
        line.update({name: None for name in _DISTANCES})
        line.update({"lipschitz_bound": numbers["lipschitz_bound"], "lipschitz_empirical": numbers["lipschitz_empirical"],
                     "k_product": None if scales is None or None in scales else math.prod(abs(v) for v in scales),
                     "train_seconds": train_seconds, "eval_seconds": None, "k": scales, "replayed": False})
        # 1. The checkpoint, durably, before anything can fail: the events to score, the state,
        #    then the journal naming both (each file complete before the one that names it).
        pending = None
        if evaluated:
            pending = {"line": line, "events": PENDING_FILE.format(epoch=epoch)}
            self._write_events(os.path.join(self.checkpoint_dir, pending["events"]), generated)
        else:
            self._lines.append(line)
        self._state = pickle.dumps(checkpoint, protocol=pickle.HIGHEST_PROTOCOL)
        self._state_file = STATE_FILE.format(epoch=epoch)
        _write_sealed(os.path.join(self.checkpoint_dir, self._state_file), _STATE_MAGIC, self._state)
        self._pending = pending
        self._save()
        self._remove_stale_files()
        # 2. The scores, into the checkpoint, then the line.
        if pending is None:
            self._emit(line)
        else:
            self._score_pending()
        self.next_epoch = epoch + 1
        self._clock = time.perf_counter()

    def end(self):
        """The trial completed: the histograms line of the last epoch's events, then `end`."""
        if self._ended:
            raise TrialError("the trial has ended already (trial.end() or trial.diverged() was called before)")
        done = len(self._lines)
        if done < self.epochs:
            raise TrialError(f"trial.end() after {done} of {self.epochs} epochs: report every epoch with trial.epoch(…), "
                             "or end the trial with trial.diverged('why')")
        if self._histograms is not None and json.loads(self._histograms).get("epoch") == done:
            self._emit_text(self._histograms)
        self._finish("completed", None, None)

    def diverged(self, why, step=None):
        """The trial diverged (e.g. a non-finite loss): ends it as `diverged`; the epochs reported
        so far stay valid. `step`: where it happened (optional)."""
        if self._ended:
            raise TrialError("the trial has ended already (trial.end() or trial.diverged() was called before)")
        self._finish("diverged", f"diverged: {why}", None if step is None else int(step))

    # -- internals -------------------------------------------------------------------------

    def _finish(self, state, error, step):
        self._emit({"type": "end", "state": state, "epochs": len(self._lines), "qg": None, "qg_slope": None, "l_30": None,
                    "two_over_l_30": None, "lr_within_bound": None, "two_over_m": None, "error": error,
                    "diverged_at_step": step})
        self._ended = True
        # The events are the trial's only large files; a rerun of an ended trial writes them again.
        shutil.rmtree(os.path.join(self.checkpoint_dir, DATA_DIRECTORY), ignore_errors=True)

    def _read_config(self):
        try:
            with open(self.config_path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            _usage(f"--config {self.config_path}: cannot read it ({e.strerror})")
        try:
            config = json.loads(text)
        except ValueError:
            # YAML (a config written by hand): lipsweep reads, checks and resolves it.
            config = json.loads(self._lipsweep(["train", "--config", self.config_path, "--print-config"]))
        if not isinstance(config, dict) or "training" not in config:
            _usage(f"--config {self.config_path}: not a trial config (docs/worker-protocol.md, 'The trial config')")
        return config

    def _checked_generated(self, generated, epoch):
        """`generated` as the scorer needs it, or a TrialError naming what is wrong."""
        if not isinstance(generated, np.ndarray):
            if hasattr(generated, "detach"):
                raise TrialError(f"trial.epoch({epoch}): generated is a torch tensor; pass a numpy array: "
                                 "generated.detach().cpu().numpy()")
            raise TrialError(f"trial.epoch({epoch}): generated is a {type(generated).__name__}; "
                             "pass a numpy array of shape (len(test), 30, 30), dtype float32")
        n = len(self.data()[1])
        if generated.dtype != np.float32:
            raise TrialError(f"trial.epoch({epoch}): generated has dtype {generated.dtype}, expected float32 "
                             "(energies in GeV); convert it with generated.astype(numpy.float32)")
        if generated.shape != (n, 30, 30):
            raise TrialError(f"trial.epoch({epoch}): generated has shape {tuple(generated.shape)}, expected ({n}, 30, 30): "
                             "one event per held-out event, for test.conditions, in test's order")
        finite = np.isfinite(generated.reshape(n, -1)).all(axis=1)
        if not finite.all():
            bad = int(np.argmin(finite))
            raise TrialError(f"trial.epoch({epoch}): generated event {bad} holds a non-finite energy; "
                             "a generator that makes NaN or inf has diverged: end the trial with trial.diverged('why')")
        return generated

    def _write_events(self, path, generated):
        """`generated` with the held-out conditions as an .npz lipsweep can score, written
        durably (temporary file, fsync, rename, fsync of the directory)."""
        test = self.data()[1]
        _write_durably(path, lambda f: np.savez(f, EnergyDeposit=generated, ParticleMomentum=test.momentum,
                                                ParticlePoint=test.point))

    def _score_pending(self):
        """Scores the pending epoch's saved events with `lipsweep score`, adds the scored line
        to the checkpoint (durably), removes the events and prints the line."""
        line, events = dict(self._pending["line"]), os.path.join(self.checkpoint_dir, self._pending["events"])
        epoch = line["epoch"]
        start = time.perf_counter()
        out = self._lipsweep(["score", "--config", self.config_path, "--data",
                              os.path.join(self.checkpoint_dir, DATA_DIRECTORY), "--generated", events,
                              "--epoch", str(epoch), "--threads", str(self.threads), "--histograms"])
        score, histograms = None, None
        for text in out.splitlines():
            kind = json.loads(text).get("type") if text.startswith("{") else None
            if kind == "score":
                score = json.loads(text)
            elif kind == "histograms":
                histograms = text
        if score is None:
            raise TrialError(f"lipsweep score printed no score line for epoch {epoch}: {out[-300:]!r}")
        line.update({"raw_prd": score.get("raw_prd"), "phys_prd": score.get("phys_prd")})
        line.update({name: score.get(name) for name in _DISTANCES})
        line["eval_seconds"] = time.perf_counter() - start
        self._lines.append(line)
        if histograms is not None:
            self._histograms = histograms
        self._pending = None
        self._save()
        _remove(events)
        self._emit(line)

    def _remove_stale_files(self):
        """State files and pending events the journal no longer names (an earlier epoch's)."""
        keep = {self._state_file, None if self._pending is None else self._pending["events"]}
        for name in os.listdir(self.checkpoint_dir):
            if name not in keep and (name.startswith("state-") and name.endswith(".lipsweep-worker")
                                     or name.startswith("pending-") and name.endswith(".npz")):
                _remove(os.path.join(self.checkpoint_dir, name))

    def _lipsweep(self, args):
        """Runs `lipsweep ARGS`; its stdout, or a TrialError with its message."""
        binary = os.environ.get(BINARY_VARIABLE) or shutil.which("lipsweep")
        if not binary:
            raise TrialError(f"cannot find the lipsweep binary: a sweep's scheduler sets {BINARY_VARIABLE} for its workers; "
                             f"outside a sweep put lipsweep on PATH or set {BINARY_VARIABLE}")
        done = subprocess.run([binary] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        if done.returncode != 0:
            message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
            if done.returncode == _OUT_OF_SPACE_STATUS or "no space left on device" in done.stderr.lower():
                sys.stderr.write(f"lipsweep_worker: {message}\n")
                sys.stderr.flush()
                os._exit(_OUT_OF_SPACE_STATUS)
            raise TrialError(f"`lipsweep {args[0]}` failed: {message}")
        return done.stdout

    def _resume(self):
        """Loads the checkpoint and replays its epoch lines; scores an epoch whose events were
        saved but not yet scored; an unusable checkpoint is set aside."""
        path = os.path.join(self.checkpoint_dir, CHECKPOINT_FILE)
        if not os.path.exists(path):
            _progress("no checkpoint yet: starting the trial afresh")
            return
        try:
            saved = pickle.loads(_read_sealed(path, _MAGIC))
            if saved.get("config") != self.config:
                raise ValueError("was written for another trial config")
            state = _read_sealed(os.path.join(self.checkpoint_dir, saved["state_file"]), _STATE_MAGIC)
            if hashlib.sha256(state).digest() != saved["state_sha"]:
                raise ValueError(f"names {saved['state_file']}, which is not the state it was written with")
            pending = saved["pending"]
            if pending is not None and not os.path.exists(os.path.join(self.checkpoint_dir, pending["events"])):
                raise ValueError(f"names {pending['events']} to score, which is missing")
        except Exception as e:  # any unusable checkpoint: set aside, start afresh (as lipsweep's own trainer)
            aside = f"{path}.unusable-{int(time.time())}-{os.getpid()}"
            os.replace(path, aside)
            _progress(f"{path} {e}: set aside as {aside}; starting the trial afresh")
            return
        self._lines, self._histograms, self._state = saved["lines"], saved["histograms"], state
        self._state_file, self._pending = saved["state_file"], pending
        for line in self._lines:
            self._emit(dict(line, replayed=True))
        _progress(f"resumed after epoch {len(self._lines)} ({len(self._lines)} epoch lines replayed)")
        if pending is not None:
            _progress(f"epoch {pending['line']['epoch']} was trained and saved but not scored: scoring its saved events")
            self._score_pending()

    def _save(self):
        """The journal (config, scored epoch lines, last histograms, the state file's name and
        SHA-256, the epoch being scored), sealed with its own SHA-256 and written durably."""
        _write_sealed(os.path.join(self.checkpoint_dir, CHECKPOINT_FILE), _MAGIC, pickle.dumps(
            {"config": self.config, "lines": self._lines, "histograms": self._histograms, "state_file": self._state_file,
             "state_sha": hashlib.sha256(self._state).digest(), "pending": self._pending}, protocol=pickle.HIGHEST_PROTOCOL))

    def _emit(self, obj):
        self._emit_text(json.dumps(_json_safe(obj)))

    def _emit_text(self, text):
        """One protocol line on the real stdout, in one write(2) where the OS allows."""
        data = (text + "\n").encode()
        while data:
            data = data[os.write(self._out, data):]


def _write_durably(path, write):
    """Calls write(file) on a temporary file next to `path`, then fsync, rename over `path` and
    fsync of the directory: `path` is the old file or the whole new one, never part of one.
    A full disk raises _OutOfSpace (the worker then exits 28, see _install_exception_hook)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as e:
        _remove(tmp)
        if e.errno == errno.ENOSPC:
            raise _OutOfSpace(path) from None
        raise


def _write_sealed(path, magic, payload):
    """`magic`, the payload's SHA-256, the payload: durably (a reader can tell a cut-short file)."""
    _write_durably(path, lambda f: f.write(magic + hashlib.sha256(payload).digest() + payload))


def _read_sealed(path, magic):
    """The payload of a file `_write_sealed` wrote, or ValueError saying what is wrong with it."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror})") from None
    if not blob.startswith(magic):
        raise ValueError("is not a lipsweep-worker checkpoint of this version (empty or of another format)")
    digest, payload = blob[len(magic):len(magic) + 32], blob[len(magic) + 32:]
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError("fails its checksum (cut short or damaged)")
    return payload


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _parse_arguments(args):
    if not args or args[0] != "train":
        _usage("expected `train --config F --checkpoint-dir D --threads T [--resume]` (lipsweep's worker command)")
    options = {"resume": False, "threads": "1"}
    i = 1
    while i < len(args):
        word = args[i]
        if word == "--resume":
            options["resume"] = True
            i += 1
        elif word in ("--config", "--checkpoint-dir", "--threads") and i + 1 < len(args):
            options[word[2:]] = args[i + 1]
            i += 2
        else:
            _usage(f"unexpected argument {word!r}")
    for name in ("config", "checkpoint-dir"):
        if name not in options:
            _usage(f"--{name} is missing")
    if not options["threads"].isdigit() or int(options["threads"]) < 1:
        _usage(f"--threads {options['threads']}: give a whole number ≥ 1")
    return options


def _usage(problem):
    """A command line or config the worker cannot use: exit 2, which the scheduler does not retry."""
    sys.stderr.write(f"lipsweep_worker: {problem}\n")
    sys.stderr.flush()
    sys.exit(2)


def _number(name, value, epoch):
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TrialError(f"trial.epoch({epoch}): {name}={value!r} is not a number") from None
    return x if math.isfinite(x) else None


def _sequence(values, epoch):
    try:
        return list(values)
    except TypeError:
        raise TrialError(f"trial.epoch({epoch}): k={values!r} must be a list of numbers, e.g. [k1, k2, k3]") from None


def _json_safe(obj):
    """Non-finite floats as null (JSON has no NaN)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {key: _json_safe(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(value) for value in obj]
    return obj


def _progress(text):
    sys.stderr.write(f"lipsweep_worker: {text}\n")
    sys.stderr.flush()


def _claim_stdout():
    """The protocol owns stdout: keep a private copy of it for the lines and point file
    descriptor 1 at stderr, so the script's prints (and a library's C-level output) go to the
    trial's log instead of corrupting the protocol."""
    sys.stdout.flush()
    out = os.dup(1)
    os.set_inheritable(out, False)
    os.dup2(2, 1)
    return out


_hook_installed = False


def _install_exception_hook():
    """A TrialError ends the worker with its one message (exit 1); a full disk with status 28
    and the line the scheduler recognises; any other exception with Python's traceback (its last
    line, the error, is what `lipsweep status` shows)."""
    global _hook_installed
    if _hook_installed:
        return
    previous = sys.excepthook

    def hook(kind, error, traceback):
        if isinstance(error, TrialError):
            sys.stderr.write(f"lipsweep_worker: {error}\n")
            sys.stderr.flush()
            return
        full = isinstance(error, _OutOfSpace) or (isinstance(error, OSError) and error.errno == errno.ENOSPC)
        previous(kind, error, traceback)
        if full:
            if isinstance(error, _OutOfSpace):
                sys.stderr.write(f"lipsweep_worker: {error}\n")
            sys.stderr.flush()
            os._exit(_OUT_OF_SPACE_STATUS)

    sys.excepthook = hook
    _hook_installed = True
