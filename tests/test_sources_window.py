"""The edition window: its bounds, what falls inside, undated articles and the first-seen record."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.config import WindowConfig
from briefing.errors import ConfigError
from briefing.models import Article
from briefing.window import FirstSeen, Window, edition_window, in_window, keep_in_window, parse_moment

UTC = timezone.utc
EDITION = date(2026, 11, 25)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def article(name: str, published: datetime | None) -> Article:
    return Article(id=name, title=name, paragraphs=("Some text.",), published=published, origin=f"{name}.txt")


def test_default_window_is_the_24_hours_before_six_utc() -> None:
    window = edition_window(WindowConfig(), EDITION)
    assert window == Window(at("2026-11-24T06:00+00:00"), at("2026-11-25T06:00+00:00"))
    assert window.end.tzinfo is not None


def test_window_follows_the_configured_zone_and_cutoff() -> None:
    window = edition_window(WindowConfig(timezone="Europe/Berlin", cutoff_hour=7), EDITION)
    assert window.end == datetime(2026, 11, 25, 7, tzinfo=ZoneInfo("Europe/Berlin"))
    assert window.end.astimezone(UTC) == at("2026-11-25T06:00+00:00")


def test_hours_since_and_until_override() -> None:
    config = WindowConfig()
    assert edition_window(config, EDITION, hours=6).start == at("2026-11-25T00:00+00:00")
    until = parse_moment("2026-11-25T12:00", config)  # no zone: the window's zone
    assert edition_window(config, EDITION, until=until, hours=2) == Window(at("2026-11-25T10:00+00:00"), until)
    since = parse_moment("2026-11-20T00:00+01:00", config)
    assert edition_window(config, EDITION, since=since).start == since


@pytest.mark.parametrize(
    "config, options, message",
    [
        (WindowConfig(), {"since": at("2026-11-26T00:00+00:00")}, "edition window is empty"),
        (WindowConfig(timezone="Mars/Olympus"), {}, "unknown time zone"),
        (WindowConfig(undated="maybe"), {}, "window.undated"),
        (WindowConfig(cutoff_hour=24), {}, "window.cutoff_hour"),
    ],
)
def test_bad_windows_are_configuration_errors(config: WindowConfig, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        edition_window(config, EDITION, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"until": at("0001-01-01T03:00+00:00")},  # 24 hours before it is no datetime
        {"since": at("0001-01-01T00:00+05:00")},  # year 0 in UTC
        {"until": at("9999-12-31T23:00-05:00")},  # year 10000 in UTC
        {"hours": 1e12},
        {"hours": float("nan")},
    ],
)
def test_a_window_datetime_cannot_hold_is_a_configuration_error(options: dict) -> None:
    with pytest.raises(ConfigError, match="edition window is out of range"):
        edition_window(WindowConfig(), EDITION, **options)


def test_extreme_dates_compare_with_the_window_without_overflow() -> None:
    """A whole day at the end of the calendar has no following day: in_window never adds one."""
    late = Window(at("9999-12-01T00:00+00:00"), at("9999-12-31T12:00+00:00"))
    assert in_window(at("9999-12-31T00:00+00:00"), late)
    assert not in_window(at("9999-11-30T00:00+00:00"), late)
    assert not in_window(at("0001-01-01T00:00+00:00"), edition_window(WindowConfig(), EDITION))
    assert not in_window(at("9999-12-31T23:59:59-05:00"), edition_window(WindowConfig(), EDITION))


def test_bad_moment_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="not an ISO 8601"):
        parse_moment("yesterday", WindowConfig())


def test_window_is_half_open_and_zone_aware() -> None:
    window = edition_window(WindowConfig(), EDITION)
    assert in_window(at("2026-11-24T06:00+00:00"), window)
    assert not in_window(at("2026-11-25T06:00+00:00"), window)
    assert in_window(at("2026-11-25T06:30+01:00"), window)  # 05:30 UTC
    assert not in_window(at("2026-11-24T06:30+01:00"), window)  # 05:30 UTC the day before


def test_midnight_utc_is_read_as_a_whole_day() -> None:
    window = edition_window(WindowConfig(), EDITION)
    assert in_window(at("2026-11-24T00:00+00:00"), window)  # the 24th overlaps the window
    assert not in_window(at("2026-11-23T00:00+00:00"), window)
    assert not in_window(at("2026-11-24T00:00+01:00"), window)  # a real time, 23:00 UTC on the 23rd


def test_files_outside_the_window_are_dropped_with_an_info_line() -> None:
    window = edition_window(WindowConfig(), EDITION)
    lines: list[str] = []
    articles = [article("old", at("2026-11-19T16:40+02:00")), article("fresh", at("2026-11-24T14:05+00:00")),
                article("undated", None)]
    kept = keep_in_window(articles, window, "keep", lines.append)
    assert [a.id for a in kept] == ["fresh", "undated"]
    assert lines == [f"old.txt: published 2026-11-19T16:40:00+02:00, outside the edition window {window}; dropped"]
    assert [a.id for a in keep_in_window(articles, window, "drop", lines.append)] == ["fresh"]
    assert lines[-1].startswith("undated.txt: no publication date; dropped")


def test_undated_items_belong_to_the_window_they_were_first_seen_in(tmp_path: Path) -> None:
    day_one = edition_window(WindowConfig(), EDITION)
    day_two = edition_window(WindowConfig(), EDITION + timedelta(days=1))
    seen = FirstSeen.load(tmp_path)
    assert seen.is_new("https://a.example/1")
    assert seen.keeps_undated("https://a.example/1", day_one)
    assert seen.keeps_undated("https://a.example/1", day_one)  # a re-run of the same edition
    seen.forget_old(day_one.end)
    again = FirstSeen.load(tmp_path)
    assert not again.is_new("https://a.example/1")
    assert not again.keeps_undated("https://a.example/1", day_two)
    assert again.keeps_undated("https://a.example/2", day_two)


def test_first_seen_record_forgets_old_entries_and_survives_damage(tmp_path: Path) -> None:
    window = edition_window(WindowConfig(), EDITION)
    seen = FirstSeen.load(tmp_path)
    seen.see("old", window)
    seen.forget_old(window.end + timedelta(days=90))
    assert FirstSeen.load(tmp_path).is_new("old")
    (tmp_path / "first-seen.json").write_text("[oops", "utf-8")
    assert FirstSeen.load(tmp_path).records == {}


def test_a_recorded_moment_without_zone_is_utc(tmp_path: Path) -> None:
    window = edition_window(WindowConfig(), EDITION)
    (tmp_path / "first-seen.json").write_text('{"old": "2026-11-01T00:00:00"}', "utf-8")
    seen = FirstSeen.load(tmp_path)
    assert seen.records["old"] == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert not seen.keeps_undated("old", window)
    seen.forget_old(window.end)


BERLIN = WindowConfig(timezone="Europe/Berlin")


@pytest.mark.parametrize("day, hours_long", [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_hours_are_real_hours_across_a_dst_changeover(day: date, hours_long: int) -> None:
    """Europe/Berlin moves its clocks on these nights: --hours 5 is still five hours, while the
    default day-long window runs cutoff to cutoff (23 or 25 hours), meeting the edition before."""
    window = edition_window(BERLIN, day, hours=5)
    assert window.end.astimezone(UTC) - window.start.astimezone(UTC) == timedelta(hours=5)
    assert window.start.tzinfo == ZoneInfo("Europe/Berlin")
    daily = edition_window(BERLIN, day)
    assert daily.end.astimezone(UTC) - daily.start.astimezone(UTC) == timedelta(hours=hours_long)
    assert daily.start == edition_window(BERLIN, day - timedelta(days=1)).end
    half = edition_window(WindowConfig(timezone="Europe/Berlin", hours=12), day)  # not whole days: real hours
    assert half.end.astimezone(UTC) - half.start.astimezone(UTC) == timedelta(hours=12)
