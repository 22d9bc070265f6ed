"""The five real Berlinger exports in shared/data/berlinger (see its README)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from shipments.ingest import ParsedReading, parse

from .conftest import BERLINGER

QTAG_02 = "QTag-CLm-doc-LR_RCPJ00010_02"
QTAG_03 = "QTag-CLm-doc-LR_RCPJ00010_03"
FRIDGE_2 = "FridgeTag-2_"
FRIDGE_2L = "FridgeTag-2L_"
FRIDGE_UL = "FridgeTag-UL_"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def mkt_c(temperatures: list[float], activation_kj_mol: float) -> float:
    """USP <1079.2> mean kinetic temperature over equal intervals."""
    k = activation_kj_mol * 1000 / 8.3144
    mean = sum(math.exp(-k / (t + 273.15)) for t in temperatures) / len(temperatures)
    return k / -math.log(mean) - 273.15


@pytest.mark.parametrize(
    ("name", "rows", "skipped", "readings", "out_of_limits", "serial"),
    [
        (QTAG_02, 124, 0, 124, 79, "RCPJ00010"),
        (QTAG_03, 424, 0, 424, 424, "RCPJ00010"),
        (FRIDGE_2, 0, 0, 0, 0, "130400191544"),
        (FRIDGE_2L, 10653, 0, 10653, 5994, "130500109088"),
        (FRIDGE_UL, 841, 6, 835, 835, "100800001215"),
    ],
)
def test_real_file_counts_serial_and_no_errors(berlinger, name, rows, skipped, readings, out_of_limits, serial):
    parsed = berlinger(name)
    result = parsed.result
    assert result.format == "berlinger"
    assert (result.rows, result.skipped, len(parsed.readings), parsed.errors) == (rows, skipped, readings, [])
    assert result.metadata["serial"] == serial
    assert result.metadata["out_of_limits_rows"] == out_of_limits
    assert result.metadata["signature_present"] is True
    assert {r.logger_serial for r in parsed.readings} <= {serial}
    json.dumps(result.metadata)  # stored as JSON by the upload


@pytest.mark.parametrize(
    ("name", "first_local", "first_c", "last_local", "last_c"),
    [
        (QTAG_02, (2022, 11, 8, 4, 49), 4.4, (2022, 11, 9, 1, 19), 24.1),
        (QTAG_03, (2023, 4, 17, 15, 23), 12.7, (2023, 4, 20, 13, 53), 10.6),
        (FRIDGE_2L, (2022, 5, 2, 4, 44), 26.3, (2022, 6, 8, 10, 11), 5.7),
        (FRIDGE_UL, (2023, 4, 17, 16, 21), -9.6, (2023, 4, 20, 13, 51), -16.6),
    ],
)
def test_zone_zero_reads_times_in_the_given_zone(berlinger, name, first_local, first_c, last_local, last_c):
    in_utc = berlinger(name)
    assert in_utc.result.timezone == "UTC"
    assert (in_utc.readings[0].recorded_at, in_utc.readings[0].temperature_c) == (utc(*first_local), first_c)
    assert (in_utc.readings[-1].recorded_at, in_utc.readings[-1].temperature_c) == (utc(*last_local), last_c)

    zurich = berlinger(name, default_tz="Europe/Zurich")
    assert zurich.result.timezone == "Europe/Zurich"
    assert "Zone: 0.00" in zurich.result.metadata["timezone_reason"]
    assert "Europe/Zurich" in zurich.result.metadata["timezone_reason"]
    # Europe/Zurich is UTC+1 in November, UTC+2 from April to June
    shift = 1 if first_local[1] == 11 else 2
    assert zurich.readings[0].recorded_at.hour == (first_local[3] - shift) % 24
    assert [r.recorded_at for r in zurich.readings] == sorted(r.recorded_at for r in zurich.readings)
    assert all(r.recorded_at.tzinfo is UTC for r in zurich.readings)


def test_reading_lines_point_at_the_file_lines(berlinger):
    parsed = berlinger(QTAG_02)
    # Data: is line 70, its column line 71, the first row line 72
    assert parsed.readings[0].line == 72
    assert parsed.readings[-1].line == 195


def test_qtag_alarm_configuration_in_our_words(berlinger):
    config = berlinger(QTAG_02).result.metadata["alarm_config"]
    assert config == [
        {"alarm": "1", "device_type": 2, "enabled": True, "kind": "single", "direction": "above",
         "threshold_c": 8.0, "delay_min": 30},
        {"alarm": "2", "device_type": 4, "enabled": True, "kind": "cumulative", "direction": "above",
         "threshold_c": 8.0, "delay_min": 60},
        {"alarm": "3", "device_type": 0, "enabled": False, "kind": None, "direction": None,
         "threshold_c": None, "delay_min": None},
        {"alarm": "4", "device_type": 3, "enabled": True, "kind": "cumulative", "direction": "below",
         "threshold_c": 2.0, "delay_min": 60},
        {"alarm": "5", "device_type": 1, "enabled": True, "kind": "single", "direction": "below",
         "threshold_c": 2.0, "delay_min": 30},
    ]


def test_qtag_alarm_results_keep_every_episode(berlinger):
    results = berlinger(QTAG_02).result.metadata["alarm_results"]
    assert [(r["alarm"], r["started_at"], r["duration_min"]) for r in results] == [
        ("1", "2022-11-08T21:50:00+00:00", 219),
        ("2", "2022-11-08T21:50:00+00:00", 219),
        ("4", "2022-11-08T05:51:00+00:00", 598),
        ("5", "2022-11-08T12:16:00+00:00", 145),
        ("5", "2022-11-08T14:52:00+00:00", 32),
        ("5", "2022-11-08T15:39:00+00:00", 31),
    ]
    first = results[0]
    assert first == {
        "alarm": "1", "kind": "single", "direction": "above", "threshold_c": 8.0,
        "started_at": "2022-11-08T21:50:00+00:00", "alarm_at": "2022-11-08T22:20:00+00:00",
        "ended_at": None, "duration_min": 219, "peak_c": 24.5, "peak_at": "2022-11-09T01:28:00+00:00",
    }
    assert results[3]["ended_at"] == "2022-11-08T14:41:00+00:00"
    assert results[3]["peak_c"] == 0.9


def test_qtag_raw_header_is_kept_nested_with_repeated_episodes_as_a_list(berlinger):
    header = berlinger(QTAG_02).result.metadata["header"]
    assert header["Device"] == "Q-tag CLm doc LR"
    assert header["Conf"]["Alarm"]["1"] == {"Type": "2", "T AL": "8.0", "t AL": "30"}
    assert header["Conf"]["User String 1"] == ""
    assert header["Conf"]["Test Res"] == "1"
    assert header["Conf"]["Test TS"] == "2022-09-27 10:17"
    assert header["Res"]["Alarm"]["1"]["TS E"] == ""
    assert [e["t A"] for e in header["Res"]["Alarm"]["5"]] == ["145", "32", "31"]
    assert header["Marker"] == {"columns": ["Number", "T", "yyyy-MM-dd hh:mm"], "rows": []}
    assert header["Cert"]["Issuer"] == "Qtag AG"
    assert header["Sig"].startswith("719c4f6b")


def test_qtag_03_alarm_results_and_empty_alarms(berlinger):
    metadata = berlinger(QTAG_03).result.metadata
    assert [(r["alarm"], r["duration_min"], r["ended_at"]) for r in metadata["alarm_results"]] == [
        ("1", 4226, None),
        ("2", 4226, None),
    ]
    assert metadata["header"]["Res"]["Alarm"]["4"] == ""
    assert metadata["summary"]["min_c"] == 9.7
    assert metadata["summary"]["max_c"] == 12.7
    assert metadata["summary"]["run_number"] == 3


@pytest.mark.parametrize(("name", "mkt"), [(QTAG_02, 10.5), (QTAG_03, 10.4)])
def test_mkt_line_captured_and_agrees_with_the_logged_rows(berlinger, name, mkt):
    parsed = berlinger(name)
    line = parsed.result.metadata["mkt"]
    assert line == {"line": f"MKT: {mkt}", "mkt_c": mkt, "activation_energy_kj_mol": 83.0}
    computed = mkt_c([r.temperature_c for r in parsed.readings], line["activation_energy_kj_mol"])
    # the device truncates to 0.1 °C
    assert math.floor(computed * 10) / 10 == mkt


def test_fridge_tag_2_without_data_section_is_valid_with_zero_readings(berlinger):
    parsed = berlinger(FRIDGE_2)
    metadata = parsed.result.metadata
    assert parsed.items == []
    assert metadata["data_section"] is False
    assert any("no Data: section" in note for note in metadata["notes"])
    assert metadata["alarm_config"] == [
        {"alarm": "0", "kind": None, "direction": "below", "threshold_c": -0.5, "delay_min": 60, "enabled": True},
        {"alarm": "1", "kind": None, "direction": "above", "threshold_c": 8.0, "delay_min": 600, "enabled": True},
    ]
    hist = metadata["hist"]
    assert hist["activated_at_local"] == "2023-04-17 16:43"
    assert hist["report_created_at_local"] == "2023-04-20 15:14"
    assert [d["date"] for d in hist["days"]] == ["2023-04-20", "2023-04-19", "2023-04-18", "2023-04-17"]
    assert [d["alarms"][1]["accumulated_min"] for d in hist["days"]] == [0, 0, 2, 8]
    assert hist["days"][3] == {
        "day": 4, "date": "2023-04-17", "min_c": 2.3, "min_time": "20:11", "max_c": 20.8,
        "max_time": "19:41", "mean_c": 4.4, "events": 16,
        "alarms": [
            {"alarm": "0", "direction": "below", "accumulated_min": 0, "alarm_time": None, "alarm_count": None},
            {"alarm": "1", "direction": "above", "accumulated_min": 8, "alarm_time": None, "alarm_count": None},
        ],
    }
    assert metadata["header"]["Hist"]["1"]["Ext Sensor timeout"] == {"t AccST": "21", "TS ST": "15:04"}


def test_fridge_tag_2l_history_and_data(berlinger):
    metadata = berlinger(FRIDGE_2L).result.metadata
    days = metadata["hist"]["days"]
    assert len(days) == 38
    assert days[1]["date"] == "2022-06-07"
    assert days[1]["alarms"][1] == {
        "alarm": "1", "direction": "above", "accumulated_min": 312, "alarm_time": "14:55", "alarm_count": 0,
    }
    assert metadata["logging_interval_min"] == 5
    assert metadata["alarm_config"][0]["threshold_c"] == 2.0


def test_fridge_tag_ul_skips_and_counts_no_value_rows(berlinger):
    parsed = berlinger(FRIDGE_UL)
    assert parsed.result.metadata["skipped_reasons"] == {"no value (--.-)": 6}
    # the first three and the last three rows are --.-: readings start on line 102
    assert parsed.readings[0].line == 102
    assert all(isinstance(r, ParsedReading) and r.temperature_c > -60 for r in parsed.readings)
    assert parsed.result.metadata["alarm_config"][1]["threshold_c"] == -60.0
    assert parsed.result.metadata["hist"]["days"][1]["alarms"][1]["accumulated_min"] == 1440


def test_counts_are_filled_as_items_are_consumed(berlinger):
    path = next(BERLINGER.glob(f"{FRIDGE_UL}*.txt"))
    with path.open("rb") as stream:
        result, items = parse(stream)
        assert (result.rows, result.skipped) == (0, 0)
        assert result.timezone == "UTC"  # known before the first row
        first = next(items)
        assert (first.line, result.rows, result.skipped) == (102, 4, 3)
        list(items)
        assert (result.rows, result.skipped) == (841, 6)
