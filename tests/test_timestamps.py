"""Record timestamps: ISO 8601 UTC to the microsecond, right across second boundaries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chatcli.session import records
from chatcli.session.records import utc_now


def test_a_timestamp_is_iso_utc_to_the_microsecond_and_now() -> None:
    stamp = utc_now()

    parsed = datetime.fromisoformat(stamp)
    assert stamp.endswith("Z") and len(stamp) == len("2025-01-31T12:00:00.123456Z")
    assert abs(parsed - datetime.now(UTC)) < timedelta(seconds=1)


@pytest.mark.parametrize(
    "nanos",
    [
        1_738_324_799_999_999_999,  # 2025-01-31T11:59:59.999999
        1_738_324_800_000_000_000,  # the next second
        1_738_324_800_000_001_999,
        1_740_787_199_500_000_000,  # the end of February
        1_740_787_200_000_000_000,
    ],
)
def test_each_second_is_formatted_afresh(monkeypatch: pytest.MonkeyPatch, nanos: int) -> None:
    monkeypatch.setattr(time, "time_ns", lambda: nanos - 1_000_000_000)
    utc_now()  # the second before is the one remembered
    monkeypatch.setattr(time, "time_ns", lambda: nanos)

    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=nanos // 1000)
    assert utc_now() == expected.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert records._second[0] == nanos // 1_000_000_000


def test_the_age_of_year_one_east_of_utc_is_its_date() -> None:
    """`sessions checkpoints` on a line dated 0001-01-01T00:00:00+01:00 (fuzzing found it):
    moving it to UTC leaves the calendar, so its own date is shown, never an OverflowError."""
    from datetime import UTC, datetime

    from chatcli.session.times import age

    assert age("0001-01-01T00:00:00+01:00", datetime.now(UTC)).endswith("01-01")
