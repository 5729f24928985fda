# lipsweep — two commands do everything on a fresh Debian machine:
#   make sweep   install what is missing, build in release mode, run sweeps/default.yaml
#   make test    the same set-up, then the whole test suite (release mode: the numeric
#                tests train and cluster for real, which debug builds do 10–50× slower)
SWIFT ?= swift
RESULTS ?= results
SPEC ?= sweeps/default.yaml
BIN = .build/release/lipsweep

.PHONY: all deps torch python-deps build test sweep bench clean

comma := ,
space := $(subst ,, )

all: build

# Debian packages the build links against, python3 for the tests' scripted worker, and, as
# root, slurm-wlm + munge for the SLURM tests' single-node cluster (scripts/slurm-local.sh)
# and chromium for rendering the HTML report headless (Tests/scripts/report-in-chromium.sh),
# python3-pip for the Optuna packages below.
# Installed when missing and running as root; otherwise a clear message says what to install
# (without root the SLURM and Chromium tests are skipped with that reason).
DEB_PACKAGES = libopenblas-dev libsqlite3-dev libssl-dev python3
ROOT_DEB_PACKAGES = slurm-wlm munge chromium python3-pip
# The Optuna versions docs/optuna.md was verified against; the Optuna tests load lipsweep's
# journals with them (pip, as root, when missing; without them those tests are skipped).
PYTHON ?= python3
PIP_PACKAGES = optuna==5.0.0 optuna-dashboard==0.21.0
deps:
	@missing=""; \
	wanted="$(DEB_PACKAGES)"; [ "$$(id -u)" = "0" ] && wanted="$$wanted $(ROOT_DEB_PACKAGES)"; \
	for p in $$wanted; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || { echo "deps: apt-get install$$missing failed" >&2; exit 1; }; \
	  else \
	    echo "deps: missing Debian packages:$$missing — run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi; \
	pipmissing=""; \
	for spec in $(PIP_PACKAGES); do \
	  [ "$$($(PYTHON) -c "import importlib.metadata as m; print(m.version('$${spec%%==*}'))" 2>/dev/null)" = "$${spec##*==}" ] || pipmissing="$$pipmissing $$spec"; \
	done; \
	if [ -n "$$pipmissing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "deps: pip installing$$pipmissing"; \
	    $(PYTHON) -m pip install -q $$pipmissing 2>/dev/null || $(PYTHON) -m pip install -q --break-system-packages $$pipmissing \
	      || { echo "deps: pip install$$pipmissing failed" >&2; exit 1; }; \
	  else \
	    echo "deps: the Optuna tests will be skipped; to run them: $(PYTHON) -m pip install$$pipmissing" >&2; \
	  fi; \
	fi; \
	command -v $(SWIFT) >/dev/null || { echo "deps: swift not found on PATH (Swift 6.2 or newer is needed)" >&2; exit 1; }
	@$(MAKE) --no-print-directory torch
	@$(MAKE) --no-print-directory python-deps

# PyTorch (CPU) and numpy for the ResNet twin's tests and bench (scripts/twin_resnet.py) and for
# the test of examples/torch_dcgan.py under a sweep; as root when missing. A CPU wheel in pip's configured find-links directory installs first without
# an index (seconds, no CUDA libraries); then pip resolves what is still missing (torch's own
# dependencies, or torch itself from the package index when no local wheel exists). Without
# root the twin's tests are skipped with that reason.
torch:
	@python3 -c "import torch, numpy" 2>/dev/null && exit 0; \
	if [ "$$(id -u)" != "0" ]; then \
	  echo "deps: PyTorch is missing (the ResNet twin's tests will be skipped) — run: python3 -m pip install torch numpy" >&2; exit 0; \
	fi; \
	echo "deps: installing torch (CPU) and numpy"; \
	python3 -m pip install -q --no-index --no-deps torch >/dev/null 2>&1; \
	python3 -m pip install -q torch numpy || { echo "deps: pip install torch numpy failed" >&2; exit 1; }

# numpy and scipy for $(PYTHON) (the python3 the tests run): the physics distances' reference
# implementation (Tests/scripts/physics_distances.py); numpy also for the worker kit's tests
# (python/lipsweep_worker, used from the repository through PYTHONPATH). As root: Debian's packages when that
# python3 is Debian's, else pip. Otherwise a note; the test then skips, saying why.
PYTHON_MODULES = numpy scipy.optimize scipy.stats
python-deps:
	@$(PYTHON) -c "import $(subst $(space),$(comma),$(PYTHON_MODULES))" 2>/dev/null && exit 0; \
	if [ "$$(id -u)" != "0" ]; then \
	  echo "deps: $(PYTHON) lacks numpy/scipy (the reference test of the physics distances will be skipped) — run: sudo apt-get install -y python3-numpy python3-scipy, or $(PYTHON) -m pip install numpy scipy" >&2; exit 0; \
	fi; \
	echo "deps: installing numpy and scipy for $$(command -v $(PYTHON))"; \
	if [ "$$(readlink -f "$$(command -v $(PYTHON))")" = "$$(readlink -f /usr/bin/python3)" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy python3-scipy >/dev/null; \
	else \
	  $(PYTHON) -m pip install -q numpy scipy 2>/dev/null || $(PYTHON) -m pip install -q --break-system-packages numpy scipy; \
	fi; \
	$(PYTHON) -c "import $(subst $(space),$(comma),$(PYTHON_MODULES))" || { echo "deps: could not install numpy and scipy for $(PYTHON)" >&2; exit 1; }

# Only the product `make sweep` runs: lipsweep-bench's own sources take ~20 s more (measured
# 2026-12-03: 21.5 s wall on 2 cores once the shared modules are built); `make bench` builds it.
build: deps
	$(SWIFT) build -c release --product lipsweep

# Every child a test starts has its own deadline; this one bounds the whole run, so that a
# hang is a failed `make test` in minutes instead of a CI job killed after its budget.
TEST_TIMEOUT ?= 40m
# OpenBLAS picks its kernels when it loads; where it falls back to generic ones on a CPU with
# better (Tensor's BLASCore), lipsweep and lipsweep-bench restart themselves with
# OPENBLAS_CORETYPE set. The test runner loads OpenBLAS too: it gets the same value, which the
# built binary prints (the rule lives in Swift only), so in-process tests and CLI runs use the
# same kernels. A user's own OPENBLAS_CORETYPE passes through unchanged.
# The test runner starts OpenBLAS at one thread: its suites run in parallel in one process and
# OpenBLAS's thread count is process-wide, so at its default (one per core) a suite that saves
# and restores it could change it under a bit-exact test beside it (resume, pinned DCGAN).
test: deps
	$(SWIFT) build -c release --build-tests
	@core=$$($(BIN) openblas-coretype) || { echo "make test: $(BIN) openblas-coretype failed" >&2; exit 1; }; \
	if [ -n "$$core" ]; then export OPENBLAS_CORETYPE=$$core; echo "make test: OPENBLAS_CORETYPE=$$core"; fi; \
	OPENBLAS_NUM_THREADS=1 timeout --kill-after=30s $(TEST_TIMEOUT) $(SWIFT) test -c release --skip-build; status=$$?; \
	if [ $$status -eq 124 ] || [ $$status -eq 137 ]; then echo "make test: the suite did not finish within $(TEST_TIMEOUT)" >&2; fi; exit $$status

bench: deps
	$(SWIFT) build -c release --product lipsweep-bench
	.build/release/lipsweep-bench

# Runs (or continues) the sweep, then writes the CSV exports and the HTML report even when
# some trials failed, and says where they are.
sweep: build
	@status=0; $(BIN) run $(SPEC) --results $(RESULTS) || status=$$?; \
	name=$$(sed -n 's/^name: *//p' $(SPEC) | head -1); name=$${name:-$$(basename $(SPEC) .yaml)}; \
	if [ -f $(RESULTS)/lipsweep.db ] && [ $$status -ne 2 ]; then \
	  echo "CSV exports:"; \
	  for kind in qg prd-vs-l epochs; do $(BIN) export $$kind --sweep "$$name" --results $(RESULTS) | sed 's/^/  /'; done; \
	  echo "HTML report:"; $(BIN) report --sweep "$$name" --results $(RESULTS) --output $(RESULTS)/report.html | sed 's/^/  /'; \
	fi; exit $$status

clean:
	rm -rf .build
