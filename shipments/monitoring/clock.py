"""Rules that fire with the passing of time, not with readings (RULES.md §5).

``evaluate_clock`` is a pure function of a few facts about a shipment, the excursions of these
kinds it already has open, and ``now``; it costs a handful of comparisons, so the minute sweep
can run it for every active shipment. All instants are µs since the epoch (``to_us`` converts an
aware datetime); ``now`` may be either.

Choices where RULES.md is silent:

- Deadlines are reached at their instant: ``expired`` from ``now >= product_expires_at``,
  ``hold_time_exhausted`` from ``now >= charged_at + hold_time_h``; at-risk from
  ``ETA + margin >= deadline``. ``silent`` needs ``now - last_reading_at > max_gap_min``, the same
  strict "more than" as the gap rule.
- ``silent`` starts at ``last_reading_at + max_gap_min`` (so a repeated sweep finds the same
  excursion) and ends at ``now`` when a later reading is known or the shipment is no longer in
  transit: the silence is over when the service hears from the logger again.
- ``expired`` and ``hold_time_exhausted`` start at the deadline and never end; they are raised
  only if delivery did not come first. Their duration runs to ``now`` (or to delivery).
- At-risk excursions start at the ``now`` of the sweep that first sees the risk (pass the open
  ones back in to keep their identity) and end when the risk is gone: at the deadline itself
  (the expired/exhausted excursion takes over), at delivery, or at ``now`` if the ETA improved.
- An open excursion passed in whose condition no longer holds for another reason (a corrected
  expiry date, say) ends at ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .excursions import CLOCK_KINDS, Excursion
from .profile import US_PER_MIN, minutes_to_us
from .series import Instant, to_us

US_PER_HOUR = 60 * US_PER_MIN


@dataclass(frozen=True)
class ClockFacts:
    """What the time rules know about one shipment (and, for silence, one product logger).

    Instants are µs since the epoch; ``None`` switches the rule that needs the value off:
    - ``last_reading_at`` with ``max_gap_min``: silence of a product logger (only while
      ``in_transit``). Pass the latest ``recorded_at`` of the logger in its window, or the start
      of the window before any reading; ``None`` to skip silence (e.g. when evaluating only the
      shipment-wide rules).
    - ``product_expires_at``: ``expired``; with ``eta`` and ``shelf_life_margin_h`` also
      ``shelf_life_at_risk``.
    - ``charged_at`` and ``hold_time_h``: ``hold_time_exhausted``; with ``eta`` and
      ``hold_time_margin_h`` also ``hold_time_at_risk``.
    - ``delivered_at``: deadlines passed after delivery raise nothing.
    """

    in_transit: bool = False
    delivered_at: int | None = None
    last_reading_at: int | None = None
    max_gap_min: float | None = None
    product_expires_at: int | None = None
    eta: int | None = None
    shelf_life_margin_h: float | None = None
    charged_at: int | None = None
    hold_time_h: float | None = None
    hold_time_margin_h: float | None = None

    @property
    def dry_out_at(self) -> int | None:
        """``charged_at + hold_time_h``, when the dewar runs dry."""
        if self.charged_at is None or self.hold_time_h is None:
            return None
        return self.charged_at + int(round(self.hold_time_h * US_PER_HOUR))


def evaluate_clock(
    facts: ClockFacts, now: Instant, open_excursions: Iterable[Excursion] = ()
) -> tuple[Excursion, ...]:
    """The time-driven excursions of a shipment at ``now``.

    ``open_excursions``: the clock-kind excursions stored as open for this shipment (and
    logger); others are ignored. Returns every clock excursion open at ``now`` (new or
    continuing, in its latest form) and every one passed in that ends now, ordered by
    ``(started_at, rule_key)``; reconcile with ``merge_excursions(known, result, full=False)``.
    Severities: ``silent``, ``shelf_life_at_risk``, ``hold_time_at_risk`` warning; ``expired``,
    ``hold_time_exhausted`` critical.
    """
    now_us = to_us(now)
    previous = {ex.kind: ex for ex in open_excursions if ex.kind in CLOCK_KINDS and ex.is_open}
    current: dict[str, Excursion] = {}

    # Silent logger.
    if facts.max_gap_min is not None and facts.last_reading_at is not None and facts.in_transit:
        gap_us = minutes_to_us(facts.max_gap_min)
        started_at = facts.last_reading_at + gap_us
        if now_us - facts.last_reading_at > gap_us:
            current["silent"] = _open("silent", started_at, now_us, "warning",
                                      after_min=facts.max_gap_min)

    # Deadlines: shelf life and LN2 hold time.
    for deadline, margin_h, reached, at_risk in (
        (facts.product_expires_at, facts.shelf_life_margin_h, "expired", "shelf_life_at_risk"),
        (facts.dry_out_at, facts.hold_time_margin_h, "hold_time_exhausted", "hold_time_at_risk"),
    ):
        if deadline is None:
            continue
        delivered_first = facts.delivered_at is not None and facts.delivered_at <= deadline
        if now_us >= deadline and not delivered_first:
            end = now_us if facts.delivered_at is None else min(now_us, facts.delivered_at)
            current[reached] = _open(reached, deadline, end, "critical")
        if (
            margin_h is not None
            and facts.eta is not None
            and facts.delivered_at is None
            and now_us < deadline
            and facts.eta + int(round(margin_h * US_PER_HOUR)) >= deadline
        ):
            before = previous.get(at_risk)
            started_at = before.started_at if before is not None else now_us
            current[at_risk] = _open(at_risk, started_at, now_us, "warning")
        elif at_risk in previous:
            before = previous[at_risk]
            if now_us >= deadline:
                end = deadline
            elif facts.delivered_at is not None:
                end = facts.delivered_at
            else:
                end = now_us
            current[f"{at_risk}/ended"] = _ended(before, end)

    # Open ones passed in that are not found again have ended.
    found = {ex.key for ex in current.values()}
    for kind, before in previous.items():
        if before.key not in found:
            current[f"{kind}/ended"] = _ended(before, now_us)
    return tuple(sorted(current.values(), key=lambda ex: (ex.started_at, ex.rule_key)))


def _open(kind: str, started_at: int, until: int, severity: str,
          after_min: float | None = None) -> Excursion:
    return Excursion(
        kind=kind, rule_key=kind, started_at=started_at, alarm_at=started_at, ended_at=None,
        duration_min=max(0, until - started_at) / US_PER_MIN, peak_c=None, peak_at=None,
        direction=None, threshold_c=None, after_min=after_min, severity=severity,
    )


def _ended(before: Excursion, ended_at: int) -> Excursion:
    ended_at = max(ended_at, before.started_at)
    return replace(before, ended_at=ended_at,
                   duration_min=(ended_at - before.started_at) / US_PER_MIN)
