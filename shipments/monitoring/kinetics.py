"""Mean kinetic temperature (RULES.md §4)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .profile import DEFAULT_ACTIVATION_ENERGY_KJ_MOL, GAS_CONSTANT_J_MOL_K

KELVIN = 273.15
# Absolute zero itself is a valid (if faulty) reading; its exp(-K/T) term is 0, the limit, and
# clamping T keeps the division finite instead of raising or warning.
MIN_KELVIN = 1e-300


def kelvin(temperature_c: float) -> float:
    """``temperature_c`` in kelvin, clamped just above absolute zero."""
    return max(temperature_c + KELVIN, MIN_KELVIN)


def mkt(
    temps_c: Sequence[float] | npt.NDArray[np.float64],
    t_us: Sequence[int] | npt.NDArray[np.int64] | None = None,
    activation_energy_kj_mol: float = DEFAULT_ACTIVATION_ENERGY_KJ_MOL,
) -> float:
    """The time-weighted mean kinetic temperature of a series, in °C.

    ``MKT = (ΔH/R) / -ln(Σ w_i·exp(-(ΔH/R)/T_i) / Σ w_i) - 273.15`` with ``T_i`` in kelvin,
    ``w_i = t_{i+1} - t_i`` and the last reading weighted as the one before it, so equal
    intervals give the USP <1079.2> form exactly. ``t_us`` (µs, strictly increasing) may be
    ``None`` for equal intervals. One reading gives its own temperature; an empty series raises
    ``ValueError``. The exponent is shifted by its maximum, so LN2 temperatures neither underflow
    nor lose precision.
    """
    temps = np.asarray(temps_c, dtype=np.float64)
    n = temps.shape[0]
    if n == 0:
        raise ValueError("the MKT of no readings is undefined")
    if n == 1:
        return float(temps[0])
    if t_us is None:
        weights = np.ones(n)
    else:
        times = np.asarray(t_us, dtype=np.int64)
        if times.shape != (n,):
            raise ValueError("t_us and temps_c differ in length")
        held = np.diff(times)
        if bool(np.any(held <= 0)):
            raise ValueError("t_us must be strictly increasing")
        weights = np.empty(n)
        weights[:-1] = held
        weights[-1] = held[-1]
    k = activation_energy_kj_mol * 1000.0 / GAS_CONSTANT_J_MOL_K
    exponent = -k / np.maximum(temps + KELVIN, MIN_KELVIN)
    shift = float(exponent.max())
    mean = float((weights * np.exp(exponent - shift)).sum()) / float(weights.sum())
    return mkt_from_mean(k, shift, mean)


def mkt_from_mean(k_kelvin: float, shift: float, mean: float) -> float:
    """The MKT (°C) from the weighted mean of ``exp(-k/T - shift)``."""
    if mean <= 0.0:  # every term underflowed: readings at absolute zero
        return -KELVIN
    return k_kelvin / -(shift + math.log(mean)) - KELVIN
