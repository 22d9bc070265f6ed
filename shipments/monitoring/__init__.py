"""The monitoring engine: RULES.md §2-§5 as pure functions over plain data.

Imports nothing from Django or the project; time ("now") is always an argument. Instants are
integer microseconds since the Unix epoch, UTC (``to_us``/``from_us`` convert aware datetimes).

- ``evaluate(profile, readings, state)``: the reading-driven rules, incrementally.
- ``merge_excursions(known, evaluation, full=...)``: what to insert, update and supersede.
- ``evaluate_clock(facts, now, open_excursions)``: silence, shelf life, hold time.
- ``estimate_eta``, ``nearest``, ``within_geofence``, ``distance_km``: geodesy.
- ``mkt(temps_c, t_us, activation_energy_kj_mol)``: the §4 formula.
"""

from .clock import ClockFacts, evaluate_clock
from .engine import (
    MKT_TOLERANCE_C,
    Evaluation,
    LateReadingError,
    RuleState,
    RunState,
    State,
    Stats,
    evaluate,
)
from .excursions import (
    CLOCK_KINDS,
    READING_KINDS,
    Excursion,
    ExcursionKey,
    MergeResult,
    merge_excursions,
)
from .geography import Point, distance_km, estimate_eta, nearest, within_geofence
from .kinetics import mkt
from .profile import AlarmRule, Profile, minutes_to_us
from .series import Series, from_us, to_us

__all__ = [
    "CLOCK_KINDS",
    "MKT_TOLERANCE_C",
    "READING_KINDS",
    "AlarmRule",
    "ClockFacts",
    "Evaluation",
    "Excursion",
    "ExcursionKey",
    "LateReadingError",
    "MergeResult",
    "Point",
    "Profile",
    "RuleState",
    "RunState",
    "Series",
    "State",
    "Stats",
    "distance_km",
    "estimate_eta",
    "evaluate",
    "evaluate_clock",
    "from_us",
    "merge_excursions",
    "minutes_to_us",
    "mkt",
    "nearest",
    "to_us",
    "within_geofence",
]
