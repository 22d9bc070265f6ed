"""Excursions, and how a new evaluation is reconciled with the excursions already stored."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Evaluation

#: Kinds raised by readings (``evaluate``); their rule_key is the alarm rule's key for
#: single/cumulative and the kind name otherwise.
READING_KINDS = ("single", "cumulative", "mkt", "gap", "tilt", "battery")
#: Kinds raised by the passing of time (``evaluate_clock``); rule_key is the kind name.
CLOCK_KINDS = ("silent", "expired", "shelf_life_at_risk", "hold_time_at_risk", "hold_time_exhausted")

ExcursionKey = tuple[str, int]


@dataclass(frozen=True)
class Excursion:
    """One excursion of one logger (or, for clock kinds, of one shipment), in its latest form.

    Identity is ``key == (rule_key, started_at)``; the caller adds shipment and logger.
    All instants are µs since the epoch, UTC.

    - ``started_at``: first breaching reading (single, cumulative, tilt), the reading at which
      the limit was first passed (mkt, battery), the earlier reading of the gap (gap), the
      instant the condition began (clock kinds).
    - ``alarm_at``: when the rule fired: ``started_at + D`` for single and tilt, inside the hold
      of the crossing reading for cumulative, ``started_at + max_gap`` for gap.
    - ``ended_at``: ``None`` while open. Cumulative, mkt, battery, expired and
      hold_time_exhausted never close.
    - ``duration_min``: run length (single, tilt; to the last reading while open), breaching time
      so far (cumulative), gap length (gap), time to ``now`` or to the end (clock kinds),
      0 for the instantaneous mkt and battery.
    - ``peak_c``/``peak_at``: the extreme breaching value and the earliest reading at it. It is
      in °C for temperature rules and mkt (the MKT when it first exceeded the limit), in degrees
      for tilt and in percent for battery; ``None`` where no value applies (gap, clock kinds).
    - ``direction``, ``threshold_c``, ``after_min``, ``severity``: the rule that raised it, kept
      with it (RULES.md §3). ``threshold_c`` is °C for temperature rules and mkt, degrees for
      tilt, percent for battery; ``after_min`` is D, the gap limit or the tilt delay.
    - ``detected_at``: when the service first knew of it. The engine has no clock: it leaves
      this ``None``; ``merge_excursions(..., now=...)`` stamps new excursions and carries the
      stamp over on later forms. It is not part of the comparison for "changed".
    """

    kind: str
    rule_key: str
    started_at: int
    alarm_at: int
    ended_at: int | None
    duration_min: float
    peak_c: float | None
    peak_at: int | None
    direction: str | None
    threshold_c: float | None
    after_min: float | None
    severity: str
    detected_at: int | None = None

    @property
    def key(self) -> ExcursionKey:
        """``(rule_key, started_at)``: the excursion's identity within its shipment and logger."""
        return (self.rule_key, self.started_at)

    @property
    def is_open(self) -> bool:
        """Not ended (yet, or ever: cumulative, mkt, battery, expired, hold_time_exhausted)."""
        return self.ended_at is None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly data (instants as µs)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Excursion:
        """The inverse of ``as_dict``."""
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**values)

    def same_as(self, other: Excursion, rel: float = 1e-9) -> bool:
        """Equal in everything but ``detected_at``, figures within ``rel`` relative."""
        for f in fields(self):
            if f.name == "detected_at":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, float) and isinstance(b, float):
                if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-12):
                    return False
            elif a != b:
                return False
        return True


@dataclass(frozen=True)
class MergeResult:
    """How an evaluation's excursions relate to those already known.

    ``new``: keys not known before; ``changed``: known keys whose figures moved (ended, grew,
    new peak, ...); ``unchanged``: known and identical; ``withdrawn``: known reading-driven
    excursions the evaluation no longer finds (only for a full evaluation; the caller marks them
    superseded and never deletes them). ``new``, ``changed`` and ``unchanged`` hold the
    evaluation's form, with ``detected_at`` carried over from the known one (or stamped with
    ``now`` when new); ``withdrawn`` holds the known form.
    """

    new: tuple[Excursion, ...] = ()
    changed: tuple[Excursion, ...] = ()
    unchanged: tuple[Excursion, ...] = ()
    withdrawn: tuple[Excursion, ...] = ()

    @property
    def current(self) -> tuple[Excursion, ...]:
        """Everything the evaluation found: new, changed and unchanged."""
        return self.new + self.changed + self.unchanged


def merge_excursions(
    known: Mapping[ExcursionKey, Excursion],
    evaluation: Evaluation | Iterable[Excursion],
    *,
    full: bool,
    now: int | None = None,
) -> MergeResult:
    """Reconcile the excursions of one (shipment, logger) already stored with an evaluation.

    ``known`` maps ``(rule_key, started_at)`` to the stored, not superseded excursions.
    ``evaluation`` is an ``Evaluation`` (or any iterable of excursions, e.g. from
    ``evaluate_clock``). With ``full=True`` the evaluation covered the whole series from
    scratch, so a known reading-driven excursion it does not find has been withdrawn by late
    data; clock-driven ones are never withdrawn by it. With ``full=False`` (an incremental
    evaluation) nothing is withdrawn. ``now`` (µs), if given, becomes ``detected_at`` of new
    excursions. Pure: ``known`` is not modified.
    """
    found = evaluation.excursions if hasattr(evaluation, "excursions") else tuple(evaluation)
    new: list[Excursion] = []
    changed: list[Excursion] = []
    unchanged: list[Excursion] = []
    seen: set[ExcursionKey] = set()
    for excursion in found:
        key = excursion.key
        seen.add(key)
        before = known.get(key)
        if before is None:
            new.append(replace(excursion, detected_at=now) if now is not None else excursion)
            continue
        carried = replace(excursion, detected_at=before.detected_at)
        (unchanged if carried.same_as(before) else changed).append(carried)
    withdrawn: tuple[Excursion, ...] = ()
    if full:
        withdrawn = tuple(
            excursion
            for key, excursion in known.items()
            if key not in seen and excursion.kind in READING_KINDS
        )
    return MergeResult(tuple(new), tuple(changed), tuple(unchanged), withdrawn)
