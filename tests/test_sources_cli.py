"""`briefing build` with feeds, end to end through the real CLI against a server on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result
from http_server import LocalServer

from briefing.cli import main

WIRE = [
    "The leaders of Velmora and Ostravia signed a ceasefire agreement in Valdor on Tuesday after nine hours of talks.",
    "The agreement commits both governments to withdraw heavy artillery from the border and halt hostilities from Dec. 1.",
    "Velmora's Defence Ministry said troops would begin pulling back tanks and artillery from the Sava front on Thursday.",
    "Foreign ministers of both countries will meet again in Valdor within 30 days to negotiate a peace treaty.",
]


def page(title: str, site: str, published: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{title} | {site}</title><meta property='og:site_name' content='{site}'>"
            f"<meta property='article:published_time' content='{published}'></head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>")


def rss(title: str, link: str, item_title: str, date: str = "Tue, 24 Nov 2026 18:00:00 +0000") -> str:
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><item><title>{item_title}</title>"
            f"<link>{link}</link><pubDate>{date}</pubDate><description>Summary.</description></item></channel></rss>")


def build(tmp_path: Path, *args: str) -> Result:
    env = {"BRIEFING_CONFIG": "", "BRIEFING_DATA_DIR": str(tmp_path / "data")}
    return CliRunner().invoke(main, ["build", "--out", str(tmp_path / "out"), "--formats", "txt", *args],
                              env=env, catch_exceptions=False)


def outlet(server: LocalServer, name: str, slug: str, *paragraphs: str, etag: str | None = None) -> str:
    link = server.add(f"/{slug}/story.html", page("Ceasefire signed in Valdor", name, "2026-11-24T18:00:00+00:00",
                                                    *paragraphs), etag=etag)
    return server.add(f"/{slug}/feed.xml", rss(name, link, "Ceasefire signed in Valdor"), etag=etag,
                      content_type="application/rss+xml")


def key_sentence_lines(text: str) -> list[str]:
    """Numbered key sentences of the text briefing, each joined onto one line."""
    sections = text.split("\nSOURCES\n")[0].split("-" * 78, 1)[1]  # after the first section rule
    return [" ".join(m.split()) for m in re.findall(r"^ +\d+\. (.*?)(?=^ +\d+\. |^\S|\Z)", sections, re.M | re.S)]


def test_two_outlets_one_story_each_sentence_once_citing_both(server: LocalServer, tmp_path: Path) -> None:
    feed_a = outlet(server, "Harrowgate Herald", "a", "VALDOR — " + WIRE[0], *WIRE[1:], "Critics in Lisk called it a surrender.")
    feed_b = outlet(server, "Meridian Press", "b", *WIRE[:3], "Hours earlier, shelling hit the border town of Drevno.")
    result = build(tmp_path, "--source", feed_a, "--source", feed_b, "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    lines = key_sentence_lines(text)
    assert len({line for line in lines}) == len(lines)
    shared = [w for w in WIRE[:3] if any(line.startswith(w) for line in lines)]
    for line in lines:  # a sentence both carried cites both; one only A carried cites A, and B as also reporting
        if any(line.startswith(w) for w in WIRE[:3]):
            assert line.endswith(" [1][2]"), line
        else:
            assert re.search(r" \[(\d)\] \(also \[(?!\1)\d\]\)$", line), line
    assert any("(also" in line for line in lines)
    flat = " ".join(text.split())
    assert shared and all(flat.count(w) == 1 for w in shared)
    sources = text.split("SOURCES")[1]
    assert "Harrowgate Herald" in sources and "Meridian Press" in sources
    assert f"source {feed_a}: 1 seen, 1 in window, 1 used" in result.stderr
    assert f"source {feed_b}: 1 seen, 1 in window, 1 used" in result.stderr
    assert "SOURCE HEALTH" in text


def test_rerun_of_the_same_edition_downloads_nothing(server: LocalServer, tmp_path: Path) -> None:
    feed = outlet(server, "Meridian Press", "m", *WIRE, etag='"v1"')
    assert build(tmp_path, "--source", feed, "--date", "2026-11-25").exit_code == 0
    assert build(tmp_path, "--source", feed, "--date", "2026-11-25").exit_code == 0
    assert server.not_modified == {"/m/feed.xml": 1, "/m/story.html": 1}
    assert server.hits == {"/m/feed.xml": 2, "/m/story.html": 2}


def test_failing_source_is_reported_and_the_edition_goes_on(server: LocalServer, tmp_path: Path) -> None:
    good = outlet(server, "Meridian Press", "m", *WIRE)
    missing = server.url("/gone/feed.xml")
    result = build(tmp_path, "--source", good, "--source", missing, "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    # the name is the address: it is not said twice
    assert f"warning: source {missing}: HTTP 404 Not Found\n" in result.stderr
    assert f"source {missing}: 0 seen, 0 in window, 0 used; 1 error: HTTP 404 Not Found\n" in result.stderr
    text = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    assert "HTTP 404 Not Found" in text.split("SOURCE HEALTH")[1]


def test_nothing_usable_from_any_source_exits_3_and_still_reports_each_source(server: LocalServer, tmp_path: Path) -> None:
    missing, old = server.url("/none.xml"), server.add("/old.xml", rss("Old", server.url("/x.html"), "Old news",
                                                                          "Thu, 19 Nov 2026 16:40:00 +0000"))
    result = build(tmp_path, "--source", missing, "--source", old, "--date", "2026-11-25")
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[-3:] == [
        f"source {missing}: 0 seen, 0 in window, 0 used; 1 error: HTTP 404 Not Found",
        f"source {old}: 1 seen, 0 in window, 0 used",
        "error: no usable articles inside the edition window 2026-11-24T06:00+00:00 – 2026-11-25T06:00+00:00; "
        "nothing to brief",
    ]


def test_configured_sources_and_new_since_yesterday(server: LocalServer, tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    feed = server.add("/feed.xml", "")
    config.write_text(
        f'[[sources]]\nname = "Meridian World"\nurl = "{feed}"\nsection = "military"\nlimit = 5\n\n'
        f'[[sources]]\nname = "Switched off"\nurl = "{server.url("/off.xml")}"\nenabled = false\n', "utf-8")
    day_one = server.add("/day1.html", page("Ceasefire signed", "Meridian", "2026-11-24T18:00:00+00:00", *WIRE))
    server.add("/feed.xml", rss("Meridian", day_one, "Ceasefire signed"))
    assert build(tmp_path, "--config", str(config), "--date", "2026-11-25").exit_code == 0
    archive = json.loads((tmp_path / "out" / "briefing-2026-11-25.json").read_text("utf-8"))
    printed = [k["text"] for s in archive["sections"] for k in s["sentences"]]
    assert printed and server.hits["/off.xml"] == 0
    assert archive["health"][0]["name"] == "Meridian World" and archive["health"][0]["used"] == 1

    development = "Velmora's army said on Wednesday that the first tank battalion had left the Sava front under the ceasefire."
    day_two = server.add("/day2.html", page("Troops pull back", "Meridian", "2026-11-25T18:00:00+00:00",
                                            printed[0], development))
    server.add("/feed.xml", rss("Meridian", day_two, "Troops pull back", "Wed, 25 Nov 2026 18:00:00 +0000"))
    result = build(tmp_path, "--config", str(config), "--date", "2026-11-26")
    assert result.exit_code == 0, result.output
    lines = key_sentence_lines((tmp_path / "out" / "briefing-2026-11-26.txt").read_text("utf-8"))
    assert not any(printed[0] in line for line in lines)  # printed yesterday: not repeated
    assert any(line.startswith(f"[NEW] {development}") for line in lines)


def test_sample_build_drops_the_old_sample_with_an_info_line(tmp_path: Path) -> None:
    result = build(tmp_path, "-v")
    assert result.exit_code == 0, result.output
    assert re.search(r"2026-11-19-brannock-tarvania-border-post\.md: published 2026-11-19T16:40:00\+02:00, "
                     r"outside the edition window .*; dropped", result.stderr)
    text = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8")
    assert "Brannock vows response" not in text and "Covers:" in text
    assert not (tmp_path / "data").exists()  # no sources, so nothing recorded


def test_window_options(server: LocalServer, tmp_path: Path) -> None:
    feed = outlet(server, "Meridian Press", "m", *WIRE)  # published 2026-11-24 18:00 UTC
    outside = build(tmp_path, "--source", feed, "--date", "2026-11-25", "--hours", "6")
    assert outside.exit_code == 3
    inside = build(tmp_path, "--source", feed, "--since", "2026-11-24T17:00", "--until", "2026-11-24T19:00+00:00")
    assert inside.exit_code == 0, inside.output
    assert build(tmp_path, "--since", "soon").exit_code == 2


def test_bad_window_option_names_itself(tmp_path: Path) -> None:
    result = build(tmp_path, "--since", "garbage")
    assert result.exit_code == 2
    assert "--since: not an ISO 8601 date or date-time: 'garbage'" in result.stderr


STORY = [*WIRE, "Observers from Kestrel said the first convoy of monitors would leave Valdor on Friday morning.",
         "Kestrel's foreign minister said the agreement was the best chance for peace in a decade."]
FLOODS = ["Selvana declared a state of emergency after the River Ormen burst its banks in three provinces.",
          "More than 38,000 people left their homes and the main railway line to the south was cut."]
DEVELOPMENTS = ["Velmora's army said on Wednesday that the first tank battalion had left the Sava front.",
                "Ostravia's parliament will vote on the ceasefire agreement on Monday, its speaker told reporters."]


def test_a_republished_story_is_not_repeated_and_a_follow_up_shows_only_what_is_new(
    server: LocalServer, tmp_path: Path
) -> None:
    """Day 1 prints one sentence of the story; day 2 the same article comes back unchanged with
    a new date (it is left out, not printed as all new); day 3 a follow-up reuses its paragraphs
    and adds two (only those two are printed, marked new)."""
    def serve(day: str, *stories: tuple[str, list[str]]) -> None:
        items = []
        for slug, paragraphs in stories:
            link = server.add(f"/{slug}.html", page(slug, "Meridian", f"{day}T18:00:00+00:00", *paragraphs))
            items.append(f"<item><title>{slug}</title><link>{link}</link><pubDate>{day}T18:00:00Z</pubDate></item>")
        server.add("/feed.xml", f"<rss version='2.0'><channel><title>Meridian</title>{''.join(items)}</channel></rss>",
                   content_type="application/rss+xml")

    def edition(day: str) -> list[str]:
        result = build(tmp_path, "--source", server.url("/feed.xml"), "--date", day, "--sentences", "1")
        assert result.exit_code == 0, result.output
        return key_sentence_lines((tmp_path / "out" / f"briefing-{day}.txt").read_text("utf-8"))

    serve("2026-11-24", ("ceasefire", STORY))
    assert any(line.startswith(tuple(STORY)) for line in edition("2026-11-25"))
    serve("2026-11-25", ("ceasefire", STORY), ("floods", FLOODS))
    day_two = edition("2026-11-26")
    assert day_two and all(line.startswith(tuple(FLOODS)) for line in day_two), day_two
    serve("2026-11-26", ("follow-up", [DEVELOPMENTS[0], *STORY[:3], DEVELOPMENTS[1], *STORY[3:]]))
    day_three = edition("2026-11-27")
    assert day_three and all(line.startswith(tuple(f"[NEW] {d}" for d in DEVELOPMENTS)) for line in day_three), day_three


def test_a_bad_source_or_http_value_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text('[http]\nconcurrency = 0\n', "utf-8")
    result = build(tmp_path, "--config", str(config), "--source", "feed.xml")
    assert result.exit_code == 2 and "error: http.concurrency: expected 1 or more, not 0" in result.stderr
    config.write_text('[[sources]]\nurl = "feed.xml"\n', "utf-8")
    result = build(tmp_path, "--config", str(config))
    assert result.exit_code == 2 and "error: sources[0]: missing required key(s) name" in result.stderr
    assert "__init__" not in result.stderr


def test_a_feed_whose_pages_all_fail_gets_a_few_lines_not_one_per_page(server: LocalServer, tmp_path: Path) -> None:
    """60 item pages answer 404: three warnings and a pointer to -v, one grouped health line,
    and a short box, instead of 60 of each."""
    items = "".join(f"<item><title>Item {i}</title><link>{server.url(f'/gone/{i}.html')}</link>"
                    f"<pubDate>Tue, 24 Nov 2026 18:00:00 +0000</pubDate><description>{WIRE[i % 4]}</description></item>"
                    for i in range(60))
    feed = server.add("/flaky.xml", f"<rss version='2.0'><channel><title>Flaky</title>{items}</channel></rss>",
                      content_type="application/rss+xml")
    result = build(tmp_path, "--source", feed, "--date", "2026-11-25")
    assert result.exit_code == 0, result.output
    assert sum(1 for h in server.hits if h.startswith("/gone/")) == 60
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 4 and warnings[-1].endswith("more errors; counted in its health line, each listed with -v")
    cause = "HTTP 404 Not Found; using the feed's summary instead"
    pages = ", ".join(server.url(f"/gone/{i}.html") for i in range(3))
    assert f"source {feed}: 60 seen, 60 in window, " in result.stderr
    assert f"; 60 errors: 60 × {cause}: {pages} and 57 more\n" in result.stderr
    box = (tmp_path / "out" / "briefing-2026-11-25.txt").read_text("utf-8").split("SOURCE HEALTH")[1]
    assert len(box) < 800 and "and 57 more" in " ".join(box.split())
    verbose = build(tmp_path, "--source", feed, "--date", "2026-11-25", "-v")
    assert all(f"{server.url(f'/gone/{i}.html')}: {cause}" in verbose.stderr for i in range(60))  # none is lost
