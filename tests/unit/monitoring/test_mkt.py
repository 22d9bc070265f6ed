"""Mean kinetic temperature (RULES.md §4), on worked examples and on real Berlinger exports."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipments.monitoring import Profile, Series, evaluate, mkt, to_us

from . import oracle

REPO = Path(__file__).resolve().parents[3]
BERLINGER = REPO / "../shared/data/berlinger"
MIN = 60_000_000


def test_mkt_of_the_usp_example_is_6_2503():
    temps = [2, 2, 5, 8, 8, 8, 8]
    assert round(mkt(temps), 4) == 6.2503
    times = [i * 10 * MIN for i in range(7)]
    assert round(mkt(temps, times), 4) == 6.2503
    stats = evaluate(Profile(min_c=2, max_c=8), Series.from_lists(times, temps)).stats
    assert stats.mkt_c is not None and round(stats.mkt_c, 4) == 6.2503


@settings(max_examples=50, deadline=None)
@given(st.sampled_from([-196.0, -150.0, -80.0, 0.0, 5.0, 25.0, 40.0]) | st.floats(-200, 60),
       st.integers(min_value=1, max_value=50))
def test_mkt_of_a_constant_series_is_that_constant(value, n):
    times = [i * 7 * MIN for i in range(n)]
    assert math.isclose(mkt([value] * n, times), value, rel_tol=1e-9, abs_tol=1e-9)
    stats = evaluate(Profile(min_c=2, max_c=8), Series.from_lists(times, [value] * n)).stats
    assert stats.mkt_c is not None
    assert math.isclose(stats.mkt_c, value, rel_tol=1e-9, abs_tol=1e-9)


def test_mkt_weights_each_reading_by_its_hold_and_the_last_as_the_one_before():
    times = [0, 10 * MIN, 40 * MIN, 45 * MIN]
    temps = [5.0, 20.0, 5.0, 30.0]
    k = 83.144e3 / 8.3144
    weights = [10, 30, 5, 5]
    mean = sum(w * math.exp(-k / (x + 273.15)) for w, x in zip(weights, temps, strict=True)) / 50
    assert math.isclose(mkt(temps, times), k / -math.log(mean) - 273.15, rel_tol=1e-12)


def test_mkt_of_one_reading_is_its_temperature():
    assert mkt([-190.5]) == -190.5


def test_mkt_of_no_reading_is_undefined():
    with pytest.raises(ValueError):
        mkt([])


def test_mkt_at_ln2_temperatures_keeps_its_precision():
    # exp(-K/T) near 77 K is about 1e-57, and 1e-136 with ΔH = 200 kJ/mol: shifted, not lost.
    temps = [-196.0, -195.0, -190.0, -150.0]
    times = [0, MIN, 2 * MIN, 3 * MIN]
    for energy in (83.144, 200.0):
        assert math.isclose(
            mkt(temps, times, energy),
            oracle.mean_kinetic_temperature(energy * 1000 / 8.3144, times, temps),
            rel_tol=1e-12,
        )


def test_a_reading_at_absolute_zero_weighs_nothing_in_mkt():
    # exp(-K/T) vanishes as T -> 0 K: half the weight adds nothing, so the mean of the terms
    # is half the 5 °C one; 0 K alone is 0 K.
    k = 83.144e3 / 8.3144
    value = mkt([-273.15, 5.0], [0, MIN])
    assert math.isclose(value, k / (k / 278.15 + math.log(2)) - 273.15, rel_tol=1e-12)
    assert mkt([-273.15, -273.15], [0, MIN]) == -273.15
    stats = evaluate(Profile(min_c=2, max_c=8), Series.from_lists([0, MIN], [-273.15, 5.0])).stats
    assert stats.mkt_c is not None and math.isclose(stats.mkt_c, value, rel_tol=1e-12)


def _berlinger_data(path: Path) -> tuple[list[int], list[float], float, float]:
    """The ``Data:`` rows (``\\tyyyy-MM-dd hh:mm\\tT\\t[x]``, CRLF) and the header's MKT lines.
    Zone is 0.00 in these files: the times are read as UTC."""
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    header = {}
    for line in lines:
        key, sep, value = line.strip().partition(": ")
        if sep and key in ("MKT", "MKT Energy"):
            header[key] = float(value)
    start = lines.index("Data:") + 2  # skip the column header
    times, temps = [], []
    for line in lines[start:]:
        fields = line.split("\t")
        if len(fields) < 3 or not fields[1][:1].isdigit():
            break
        stamp = datetime.strptime(fields[1], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        times.append(to_us(stamp))
        temps.append(float(fields[2]))
    return times, temps, header["MKT Energy"], header["MKT"]


@pytest.mark.parametrize("name", [
    "QTag-CLm-doc-LR_RCPJ00010_02_202211090128.txt",
    "QTag-CLm-doc-LR_RCPJ00010_03_202304201359.txt",
])
def test_mkt_matches_the_berlinger_device_after_truncation(name):
    if not BERLINGER.is_dir():
        pytest.skip(f"the shared Berlinger samples are not at {BERLINGER}")
    times, temps, energy, device_mkt = _berlinger_data(BERLINGER / name)
    assert len(times) > 100
    value = mkt(temps, times, energy)
    assert math.trunc(value * 10) / 10 == device_mkt  # the device truncates to 0.1 °C
    stats = evaluate(Profile(min_c=2, max_c=8, activation_energy_kj_mol=energy),
                     Series.from_lists(times, temps)).stats
    assert stats.mkt_c is not None and math.isclose(stats.mkt_c, value, rel_tol=1e-12)
