"""What a shipment is evaluated against: alarm rules and the profile's optional settings.

RULES.md §3. Plain frozen data, validated on construction so the engine never meets a rule it
cannot evaluate.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cached_property

RULE_KINDS = ("single", "cumulative")
DIRECTIONS = ("above", "below")
SEVERITIES = ("warning", "critical")

#: R in J/(mol·K), as RULES.md §4 spells it (ΔH = 83.144 kJ/mol gives ΔH/R = 10 000 K).
GAS_CONSTANT_J_MOL_K = 8.3144
DEFAULT_ACTIVATION_ENERGY_KJ_MOL = 83.144

US_PER_MIN = 60_000_000


def minutes_to_us(minutes: float) -> int:
    """A duration in minutes as whole microseconds (rounded half to even), the engine's unit."""
    return int(round(minutes * US_PER_MIN))


def _finite(name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


@dataclass(frozen=True)
class AlarmRule:
    """One alarm rule of a profile version.

    ``key`` is stable within the version and becomes ``Excursion.rule_key``. A reading breaches
    when its temperature is strictly beyond ``threshold_c`` in ``direction`` (the bound itself is
    in range). ``after_min`` (D) may be 0 or fractional; it is used to the microsecond.
    """

    key: str
    kind: str
    direction: str
    threshold_c: float
    after_min: float
    severity: str

    def __post_init__(self) -> None:
        # 8 and 8.0 are one threshold: normalise, so equality and the profile digest agree.
        for name in ("threshold_c", "after_min"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.key:
            raise ValueError("an alarm rule needs a key")
        if self.kind not in RULE_KINDS:
            raise ValueError(f"rule {self.key}: kind must be one of {RULE_KINDS}, got {self.kind!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(
                f"rule {self.key}: direction must be one of {DIRECTIONS}, got {self.direction!r}"
            )
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"rule {self.key}: severity must be one of {SEVERITIES}, got {self.severity!r}"
            )
        _finite(f"rule {self.key}: threshold_c", self.threshold_c)
        _finite(f"rule {self.key}: after_min", self.after_min)
        if self.after_min < 0:
            raise ValueError(f"rule {self.key}: after_min must not be negative")

    @property
    def after_us(self) -> int:
        """D in whole microseconds."""
        return minutes_to_us(self.after_min)

    def breaches(self, temperature_c: float) -> bool:
        """Whether one reading breaches this rule (strictly beyond the threshold)."""
        if self.direction == "above":
            return temperature_c > self.threshold_c
        return temperature_c < self.threshold_c


@dataclass(frozen=True)
class Profile:
    """The engine's view of one profile version (RULES.md §3, §4, §5).

    ``min_c``/``max_c`` are the labelled range used for time out of range. Every optional setting
    switches its rule off when ``None``. ``tilt_after_min`` is read as 0 when ``max_tilt_deg`` is
    set without it.
    """

    min_c: float
    max_c: float
    rules: tuple[AlarmRule, ...] = ()
    activation_energy_kj_mol: float = DEFAULT_ACTIVATION_ENERGY_KJ_MOL
    mkt_max_c: float | None = None
    max_gap_min: float | None = None
    max_tilt_deg: float | None = None
    tilt_after_min: float | None = None
    min_battery_pct: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rules, tuple):
            object.__setattr__(self, "rules", tuple(self.rules))
        for name in (
            "min_c", "max_c", "activation_energy_kj_mol", "mkt_max_c", "max_gap_min",
            "max_tilt_deg", "tilt_after_min", "min_battery_pct",
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))
            _finite(name, getattr(self, name))
        if self.min_c > self.max_c:
            raise ValueError("min_c must not be above max_c")
        if self.activation_energy_kj_mol <= 0:
            raise ValueError("activation_energy_kj_mol must be positive")
        for name in ("max_gap_min", "tilt_after_min"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        keys = [rule.key for rule in self.rules]
        if len(set(keys)) != len(keys):
            raise ValueError("alarm rule keys must be unique within a profile")
        reserved = {"mkt", "gap", "tilt", "battery", "silent", "expired", "shelf_life_at_risk",
                    "hold_time_at_risk", "hold_time_exhausted"}
        clash = reserved.intersection(keys)
        if clash:
            raise ValueError(f"alarm rule keys may not reuse the kind names {sorted(clash)}")

    @property
    def k_kelvin(self) -> float:
        """ΔH/R in kelvin, the constant of the MKT formula."""
        return self.activation_energy_kj_mol * 1000.0 / GAS_CONSTANT_J_MOL_K

    @cached_property
    def digest(self) -> str:
        """A short fingerprint of everything that shapes an evaluation; a state remembers it so
        it is never continued under another profile."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]
