"""Runs the PyTorch twin (../shared/bench/torch_twin.py, or TWIN=path) and reports both wall-clock
and process-CPU-time samples/s of the timed epoch: on a shared machine the CPU-time figure
(samples per CPU-second per thread) is the one less disturbed by other processes.
Usage: python3 scripts/twin_cpu.py PRESET N_TRAIN THREADS
"""
import importlib.util, os, sys, time

path = os.environ.get("TWIN", os.path.join(os.path.dirname(__file__), "../../shared/bench/torch_twin.py"))
spec = importlib.util.spec_from_file_location("torch_twin", path)
twin = importlib.util.module_from_spec(spec); spec.loader.exec_module(twin)
preset, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
twin.run(preset, min(n, 4 * twin.PRESETS[preset]["batch"]), threads)  # warm-up
cpu0, wall0 = time.process_time(), time.perf_counter()
wall_rate = twin.run(preset, n, threads)
cpu = time.process_time() - cpu0
samples = (n // twin.PRESETS[preset]["batch"]) * twin.PRESETS[preset]["batch"]
print(f"twin {preset} threads={threads} samples/s={wall_rate:.0f} "
      f"samples per CPU-second/thread={samples / (cpu / threads):.0f}")
