"""Edition benchmark: N generated articles → PDF, with wall time and peak memory per stage.

    .venv/bin/python bench/edition.py                 # 100, 500, 2,000 and 5,000 articles
    .venv/bin/python bench/edition.py --sizes 500     # one size
    .venv/bin/python bench/edition.py --quick         # 30 articles, a smoke run for CI

Targets: 500 articles in at most 10 s and 1 GiB; cost per article about flat from 500
to 5,000 (the row "vs 500 articles" compares each size's CPU per article with the 500's).

Articles are invented news from templates (realistic length, 12-24 sentences in
paragraphs, abbreviations and quotes that exercise the sentence splitter), a mix of
diplomacy, military, domestic and other stories, with names drawn from a large made-up
world so the vocabulary grows with the edition as real news does; a quarter of the
stories are carried again by one to three other outlets (wire copy, lightly edited).
Every size runs in a fresh process, so caches and memory peaks do not carry over; the
peak of a stage (its "peak MiB" row) is the process's resident-set high-water mark during
that stage (reset through /proc/self/clear_refs before each stage, where Linux allows it;
the segmentation workers' own memory is in "peak MiB (children)"). Each cell
gives wall and CPU seconds (CPU including the segmentation workers): on a shared
machine wall time also counts other people's work, so the load average is printed too
and linearity is judged on CPU time per article.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 500, 2000, 5000)
QUICK_SIZES = (30,)
EDITION = date(2026, 11, 25)
WINDOW_START = datetime(2026, 11, 24, 6, 30, tzinfo=timezone.utc)
SECTION_SHARES = {"diplomacy": 0.3, "military": 0.25, "domestic": 0.3, "other": 0.15}
REPEATED_SHARE = 0.25
KIB = 1024

SYLLABLES = "ka ri mo sel van dor tes lin bra os tav mer gal on ve ru ska pel dan hal mir zo ter ul".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
TITLES = ["Mr.", "Ms.", "Dr.", "Gen.", "Col.", "Prof."]

TEMPLATES = {
    "diplomacy": [
        "{country} Foreign Minister {person} met {person2}, her {country2} counterpart, in {city} on {weekday} to discuss {dtopic}.",
        "The two delegations agreed to resume talks on {dtopic} in {month}, the {country} foreign ministry said in a statement.",
        "{country2} recalled its ambassador from {city} after {number} of its diplomats were expelled over {dtopic}.",
        "{title} {last}, the envoy of the {org}, said sanctions on {country2} would stay until the {number} detained {demonym} sailors were freed.",
        'Speaking after the summit, {person} said: "We have agreed in principle on {dtopic}, but the details will take weeks."',
        "Mediators from {country3} proposed a {number}-day truce and an exchange of prisoners, according to two diplomats briefed on the talks.",
        "The {org} Security Board will vote on a resolution on {dtopic} at 10 a.m. on {weekday}, its spokesman said.",
        "{country} signed a trade accord with {country3} worth {money}, the largest since the two states restored relations in {year}.",
        "Negotiators from {country} and {country2} failed to agree on {dtopic} after {number} hours of talks in {city}.",
        "The foreign ministers of the {org} called on both sides to respect the ceasefire and to open corridors for aid.",
    ],
    "military": [
        "{country} troops shelled positions near {city} overnight, killing {number} soldiers, the defence ministry in {capital} said.",
        "{title} {last}, the commander of the {ordinal} Brigade, said drones had struck an ammunition depot {number} km behind the front line.",
        "The army deployed {number} additional soldiers and {number2} armoured vehicles along the border with {country2}.",
        "Air-defence units shot down {number} drones over {city} on {weekday} night, according to the {demonym} air force.",
        "The defence budget for {year} includes {money} for artillery shells, frigates and {mtopic}.",
        "{country}'s navy began a {number}-day exercise in the {sea} Sea with {number2} warships and two submarines.",
        "Rebel fighters seized the garrison town of {city} after a week of fighting, a military spokesman confirmed.",
        'Defence Minister {person} said: "Our forces will hold the line at {city} whatever it costs."',
        "An airstrike on a convoy near {city} destroyed {number} trucks carrying {mtopic}, the general staff said.",
        "Military service will be extended to {number} months from {month}, the chief of the general staff announced.",
    ],
    "domestic": [
        "{country}'s parliament approved the {dtopic2} bill by {number} votes to {number2} after a debate that lasted {hours} hours.",
        "Opposition leader {person} accused the government of cutting spending on schools and rural hospitals to pay for {dtopic2}.",
        "Thousands of teachers marched through {city} on {weekday}, and the main union called a one-day strike for {month} {day}.",
        "The constitutional court in {capital} struck down parts of the {dtopic2} law, saying they breached the right to a fair trial.",
        "Polls give the {party} Party {percent}% ahead of the election in {month}, {number} points more than in {year}.",
        "Floods forced {number} people from their homes in the province of {province}, and the government released {money} in emergency aid.",
        "Finance Minister {person} said inflation had fallen to {decimal}% and that pensions would rise by {decimal2}% in {month}.",
        "Police in {city} arrested {number} people after protests against the {dtopic2} reform turned violent on {weekday}.",
        "The health ministry said waiting lists in {province} hospitals had grown by {percent}% since {year}.",
        "{person}, the mayor of {city}, resigned on {weekday} after an inquiry into a {money} housing contract.",
    ],
    "other": [
        "{company} shares rose {decimal}% in {capital} trading after the group reported profits of {money} for the quarter.",
        "{city} FC beat {city2} {score} on {weekday} and moved to within {number} points of the top of the league.",
        "The film festival in {city} opened with a new work by the director {person}, which drew {number} people on its first night.",
        "Scientists at the University of {city} said a new telescope had found {number} comets beyond the orbit of the ninth planet.",
        "{company} will open a factory near {city} that will employ {number} people, the company said.",
        "The national orchestra will tour {number} cities in {month}, playing works by {person} and {person2}.",
    ],
}
GENERIC = [
    "{person}, a spokesman for the {org}, said the matter would be reviewed by {month}.",
    "The statement gave no further details.",
    "Officials in {capital} declined to comment on the reports on {weekday}.",
    "The {demonym} government has faced growing criticism over its handling of {dtopic2} since {year}.",
    "Analysts in {city} said the decision could cost the governing coalition votes in {month}.",
    "{title} {last} told reporters at 9 a.m. that talks with the unions would continue.",
]
TOPICS = {
    "dtopic": ["the disputed border", "prisoner exchanges", "the grain corridor", "visa rules", "fishing rights",
               "the ceasefire line", "energy sanctions", "the return of refugees", "river water rights"],
    "dtopic2": ["pension", "budget", "education", "housing", "media", "judicial", "tax", "policing", "health care"],
    "mtopic": ["air-defence missiles", "fuel", "ammunition", "spare parts", "drones", "radar systems"],
}


class World:
    """Invented names, many enough that the vocabulary keeps growing with the edition."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.countries = [self.name(2, 3) + "a" for _ in range(40)]
        self.cities = [self.name(2, 3) for _ in range(400)]
        self.first = [self.name(2, 2) for _ in range(300)]
        self.last = [self.name(2, 3) for _ in range(900)]
        self.orgs = ["Concord of Nations", "Northern Compact", "Kell Sea Council", "Southern Union", "Eastern Alliance"]
        self.companies = [self.name(2, 3) + suffix for suffix in (" Aerospace", " Energy", " Bank", " Motors") for _ in range(25)]
        self.parties = ["Liberal Centre", "Green Left", "Farmers'", "National", "Social Democratic", "Workers'"]

    def name(self, low: int, high: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(low, high))).capitalize()

    def fill(self, template: str, story: dict[str, str]) -> str:
        rng = self.rng
        values = {
            **story,
            "person2": f"{rng.choice(self.first)} {rng.choice(self.last)}",
            "country3": rng.choice(self.countries),
            "city2": rng.choice(self.cities),
            "province": rng.choice(self.cities) + "ia",
            "company": rng.choice(self.companies),
            "title": rng.choice(TITLES),
            "last": rng.choice(self.last),
            "weekday": rng.choice(WEEKDAYS),
            "month": rng.choice(MONTHS),
            "day": str(rng.randint(1, 28)),
            "year": str(rng.randint(1991, 2025)),
            "number": str(rng.randint(2, 900)),
            "number2": str(rng.randint(2, 400)),
            "hours": str(rng.randint(3, 19)),
            "percent": str(rng.randint(2, 60)),
            "decimal": f"{rng.uniform(0.1, 9.9):.1f}",
            "decimal2": f"{rng.uniform(0.1, 9.9):.1f}",
            "money": f"{rng.uniform(1, 900):.1f} million marks",
            "ordinal": rng.choice(["1st", "3rd", "7th", "12th", "21st"]),
            "score": f"{rng.randint(0, 4)}-{rng.randint(0, 4)}",
            "sea": rng.choice(["Kell", "Amber", "Grey", "Ormen"]),
            **{slot: rng.choice(options) for slot, options in TOPICS.items()},
        }
        return template.format(**values)

    def story(self) -> dict[str, str]:
        rng = self.rng
        country, country2 = rng.sample(self.countries, 2)
        return {
            "country": country,
            "country2": country2,
            "demonym": country[:-1] + "n",
            "capital": rng.choice(self.cities),
            "city": rng.choice(self.cities),
            "person": f"{rng.choice(self.first)} {rng.choice(self.last)}",
            "org": rng.choice(self.orgs),
            "party": rng.choice(self.parties),
        }


def generate_articles(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` articles as front matter and paragraphs; repeated stories included."""
    rng = random.Random(seed)
    world = World(rng)
    articles: list[dict[str, Any]] = []
    while len(articles) < count:
        section = rng.choices(list(SECTION_SHARES), weights=list(SECTION_SHARES.values()))[0]
        story = world.story()
        paragraphs = story_paragraphs(world, section, story)
        title = f"{story['country']}: {world.fill(rng.choice(TEMPLATES[section]), story).split(',')[0][:90]}"
        outlets = 1 + (rng.randint(1, 3) if rng.random() < REPEATED_SHARE else 0)
        for copy in range(min(outlets, count - len(articles))):
            text = paragraphs if copy == 0 else wire_copy(world, paragraphs, story)
            articles.append(article_record(len(articles), title, text, rng))
    return articles


def story_paragraphs(world: World, section: str, story: dict[str, str]) -> list[str]:
    rng = world.rng
    own, others = TEMPLATES[section], [t for s, ts in TEMPLATES.items() if s != section for t in ts] + GENERIC
    sentences = [world.fill(rng.choice(own if rng.random() < 0.7 else others), story) for _ in range(rng.randint(12, 24))]
    paragraphs, start = [], 0
    while start < len(sentences):
        size = 1 if start == 0 else rng.randint(1, 4)
        paragraphs.append(" ".join(sentences[start : start + size]))
        start += size
    return paragraphs


def wire_copy(world: World, paragraphs: list[str], story: dict[str, str]) -> list[str]:
    """Another outlet's version: its own opening sentence, the rest as filed, maybe cut short."""
    opening = world.fill(world.rng.choice(GENERIC), story)
    kept = paragraphs[1 : len(paragraphs) - world.rng.randint(0, 2)]
    return [opening, *kept]


def article_record(number: int, title: str, paragraphs: list[str], rng: random.Random) -> dict[str, Any]:
    outlet = f"Outlet {number % 37}"
    published = WINDOW_START + timedelta(minutes=rng.randint(0, 23 * 60))
    return {
        "file": f"{number:05d}.txt",
        "text": (
            f"---\ntitle: {title}\nsource: {outlet}\nurl: https://outlet{number % 37}.example/{number}\n"
            f"published: {published.isoformat()}\n---\n" + "\n\n".join(paragraphs) + "\n"
        ),
    }


def long_report(count: int, seed: int) -> list[str]:
    """``count`` invented news sentences of one long report: a new story with names never
    seen before every 16 sentences, so the vocabulary grows with the length, as a long
    live report's does (bench/rank.py ranks it as one article)."""
    world = World(random.Random(seed))
    templates = [t for section in TEMPLATES.values() for t in section] + GENERIC
    story: dict[str, str] = {}
    sentences = []
    for i in range(count):
        if i % 16 == 0:
            fresh = {slot: world.name(2, 4) for slot in ("country", "country2", "capital", "city")}
            story = {**world.story(), **fresh, "person": f"{world.name(2, 3)} {world.name(2, 4)}"}
        sentences.append(world.fill(world.rng.choice(templates), story))
    return sentences


def write_articles(folder: Path, count: int, seed: int) -> int:
    words = 0
    for article in generate_articles(count, seed):
        (folder / article["file"]).write_text(article["text"], encoding="utf-8")
        words += len(article["text"].split())
    return words


# --- the measured child process -------------------------------------------------------


def peak_rss_kib() -> int:
    """This process's resident-set high-water mark (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux: peaks then only grow, and the whole run's peak is still right


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the segmentation workers):
    on a shared machine, wall time also counts other people's work."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(folder: Path, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    from briefing import pipeline
    from briefing.config import load_config

    imported = time.perf_counter() - started
    stages: list[dict[str, Any]] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        reset_peak_rss()
        began, cpu = time.perf_counter(), cpu_seconds()
        yield
        stages.append({"stage": name, "seconds": time.perf_counter() - began,
                       "cpu_seconds": cpu_seconds() - cpu, "peak_kib": peak_rss_kib()})

    config = load_config(None, env={})
    warnings: list[str] = []
    began, cpu = time.perf_counter(), cpu_seconds()
    edition = pipeline.build_edition(config, sorted(folder.iterdir()), EDITION, out, ["pdf"],
                                     warn=warnings.append, stage=stage)
    return {
        "import_seconds": imported,
        "build_seconds": time.perf_counter() - began,
        "build_cpu_seconds": cpu_seconds() - cpu,
        "stages": stages,
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "warnings": len(warnings),
        "picked": sum(len(s.sentences) for s in edition.briefing.sections),
        "sentences": edition.briefing.sentence_count,
        "pdf_bytes": sum(p.stat().st_size for p in edition.paths),
    }


# --- the driver -----------------------------------------------------------------------


def measure(count: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="briefing-bench-") as tmp:
        folder, out = Path(tmp, "in"), Path(tmp, "out")
        folder.mkdir()
        words = write_articles(folder, count, seed)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), str(out)],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )
        wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{count} articles: the build failed:\n{child.stderr}")
    result = json.loads(child.stdout)
    return {"articles": count, "words": words, "wall_seconds": wall, "load": (load_before, os.getloadavg()[0]), **result}


def report(results: Sequence[dict[str, Any]]) -> str:
    """Stages down, sizes across; each cell is wall / CPU seconds (CPU includes workers)."""
    base = next((r for r in results if r["articles"] == 500), results[0])
    cpu_per_base = base["build_cpu_seconds"] / base["articles"]
    width = 15
    lines = [f"{'articles':<22}" + "".join(f"{r['articles']:>{width},}" for r in results)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:<22}" + "".join(f"{c:>{width}}" for c in cells))

    row("sentences", [f"{r['sentences']:,}" for r in results])
    stages = [s["stage"] for s in results[0]["stages"]]
    for i, stage in enumerate(stages):
        row(f"  {stage} s", [f"{r['stages'][i]['seconds']:.2f} / {r['stages'][i]['cpu_seconds']:.2f}" for r in results])
    for i, stage in enumerate(stages):
        row(f"  {stage} peak MiB", [f"{r['stages'][i]['peak_kib'] / KIB:.0f}" for r in results])
    row("build s (wall / cpu)", [f"{r['build_seconds']:.2f} / {r['build_cpu_seconds']:.2f}" for r in results])
    row("process s (wall)", [f"{r['wall_seconds']:.2f}" for r in results])
    row("peak MiB (children)", [f"{r['peak_kib'] / KIB:.0f} ({r['children_peak_kib'] / KIB:.0f})" for r in results])
    row("busiest stage MiB", [f"{max(s['peak_kib'] for s in r['stages']) / KIB:.0f}" for r in results])
    row("cpu ms / article", [f"{r['build_cpu_seconds'] / r['articles'] * 1000:.1f}" for r in results])
    row("  vs 500 articles", [f"{r['build_cpu_seconds'] / r['articles'] / cpu_per_base:.2f}×" for r in results])
    row("load average", [f"{r['load'][0]:.1f}–{r['load'][1]:.1f}" for r in results])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 articles, for CI")
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], help="comma-separated article counts")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(run_one(*args.child)))
        return 0
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    results = []
    for count in sizes:
        results.append(measure(count, args.seed))
        print(f"  {count:,} articles: {results[-1]['build_seconds']:.1f} s", file=sys.stderr, flush=True)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
