"""The way the persistence layer drives the engine, without a database: readings arrive in
batches in any order and with repetitions; the store keeps the first value for each instant;
a batch entirely later than the state is evaluated incrementally, anything else re-evaluates the
whole series from scratch and supersedes what it no longer finds."""

from __future__ import annotations

from shipments.monitoring import (
    Excursion,
    ExcursionKey,
    LateReadingError,
    Profile,
    Series,
    State,
    Stats,
    evaluate,
    merge_excursions,
)

from .oracle import Reading


def series_of(rows: list[Reading]) -> Series:
    """Rows in any order, repeated instants dropped (first wins)."""
    return Series.from_unsorted(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


class Driver:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.stored: dict[int, Reading] = {}
        self.state: State | None = None
        self.known: dict[ExcursionKey, Excursion] = {}
        self.superseded: list[Excursion] = []
        self.stats: Stats | None = None
        self.full_evaluations = 0

    def receive(self, batch: list[Reading], now: int = 0) -> None:
        fresh = []
        for row in batch:
            if row[0] not in self.stored:  # first stored value wins; a repeat is a duplicate
                self.stored[row[0]] = row
                fresh.append(row)
        if not fresh:
            return
        try:
            evaluation = evaluate(self.profile, series_of(fresh), self.state)
            full = False
        except LateReadingError:
            evaluation = evaluate(self.profile, series_of(list(self.stored.values())))
            full = True
            self.full_evaluations += 1
        merged = merge_excursions(self.known, evaluation, full=full, now=now)
        for gone in merged.withdrawn:
            self.superseded.append(self.known.pop(gone.key))
        for excursion in merged.new + merged.changed:
            self.known[excursion.key] = excursion
        self.state = evaluation.state
        self.stats = evaluation.stats
