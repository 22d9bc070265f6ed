"""Shared helpers for the logger-file reader tests: no database, no Django."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shipments.ingest import ParsedReading, ParseResult, RowError, parse

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
# The real Berlinger exports every checkout has beside the project (shared/README.md).
BERLINGER = HERE.parents[2].parent / "shared" / "data" / "berlinger"


@dataclass
class Parsed:
    result: ParseResult
    items: list = field(default_factory=list)

    @property
    def readings(self) -> list[ParsedReading]:
        return [i for i in self.items if isinstance(i, ParsedReading)]

    @property
    def errors(self) -> list[RowError]:
        return [i for i in self.items if isinstance(i, RowError)]

    @property
    def error_lines(self) -> list[int]:
        return [e.line for e in self.errors]


def read_bytes(data: bytes, **kwargs) -> Parsed:
    result, items = parse(io.BytesIO(data), **kwargs)
    return Parsed(result, list(items))


def read_file(path: Path, **kwargs) -> Parsed:
    kwargs.setdefault("filename", path.name)
    with path.open("rb") as stream:
        result, items = parse(stream, **kwargs)
        return Parsed(result, list(items))


@pytest.fixture
def corpus():
    def load(name: str, **kwargs) -> Parsed:
        return read_file(CORPUS / name, **kwargs)

    return load


@pytest.fixture
def berlinger():
    def load(name: str, **kwargs) -> Parsed:
        matches = sorted(BERLINGER.glob(f"{name}*.txt"))
        assert len(matches) == 1, f"expected one Berlinger file starting {name!r} in {BERLINGER}"
        return read_file(matches[0], **kwargs)

    return load
