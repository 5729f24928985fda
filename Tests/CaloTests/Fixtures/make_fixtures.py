"""Writes the .npz fixtures of the Calo tests with NumPy itself (numpy 2.x).

Run from this directory: python3 make_fixtures.py
Values are exact in float32 so the Swift tests can recompute them:
  EnergyDeposit[e, i, j] = 0.5 * (e*900 + i*30 + j)
  ParticleMomentum[e]    = (e + 1, -(e + 1) / 2, 10 * (e + 1))
  ParticlePoint[e]       = (0.25 * e, -0.125 * e)        (a third column z = 99 in lhcb_float64)
"""
import io
import numpy as np

N = 4


def arrays(n=N, dtype=np.float32):
    e = np.arange(n, dtype=np.float64)
    energy = (0.5 * np.arange(n * 900)).reshape(n, 30, 30).astype(dtype)
    momentum = np.stack([e + 1, -(e + 1) / 2, 10 * (e + 1)], axis=1).astype(dtype)
    point = np.stack([0.25 * e, -0.125 * e], axis=1).astype(dtype)
    return energy, momentum, point


energy, momentum, point = arrays()

# Good files: float32 stored (np.savez) with an extra key; float64 deflated with N×3 points.
np.savez("numpy_float32.npz", EnergyDeposit=energy, ParticleMomentum=momentum, ParticlePoint=point,
         Comment=np.array([1, 2, 3], dtype=np.int64))
e64, m64, p64 = arrays(dtype=np.float64)
p3 = np.concatenate([p64, np.full((N, 1), 99.0)], axis=1)
np.savez_compressed("lhcb_float64.npz", EnergyDeposit=e64, ParticleMomentum=m64, ParticlePoint=p3)

# Bad files, one problem each.
np.savez("bad_missing_key.npz", EnergyDeposit=energy, ParticleMomentum=momentum)
np.savez("bad_shape_28.npz", EnergyDeposit=np.zeros((N, 28, 28), np.float32), ParticleMomentum=momentum,
         ParticlePoint=point)
np.savez("bad_dtype_int32.npz", EnergyDeposit=energy.astype(np.int32), ParticleMomentum=momentum,
         ParticlePoint=point)
np.savez("bad_big_endian.npz", EnergyDeposit=energy.astype(">f4"), ParticleMomentum=momentum,
         ParticlePoint=point)
np.savez("bad_fortran_order.npz", EnergyDeposit=np.asfortranarray(energy), ParticleMomentum=momentum,
         ParticlePoint=point)
np.savez("bad_event_counts.npz", EnergyDeposit=energy, ParticleMomentum=momentum[:3], ParticlePoint=point)

with open("numpy_float32.npz", "rb") as f:
    whole = f.read()
with open("bad_truncated.npz", "wb") as f:
    f.write(whole[: len(whole) // 2])
with open("bad_not_zip.npz", "w") as f:
    f.write("EnergyDeposit,ParticleMomentum,ParticlePoint\n1,2,3\n")
