"""Story grouping, sentence repeats across stories, and what is new since the previous edition."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from briefing.archive import archive_path, save_briefing
from briefing.models import Article, Briefing, KeySentence, SectionDigest, Sentence
from briefing.sentences import split_articles
from briefing.stories import Previous, find_stories, near_duplicate_groups, previous_edition, shingles

WIRE = [
    "The leaders of Velmora and Ostravia agreed on Tuesday to a framework for a ceasefire along their disputed border.",
    "The text commits both governments to a halt in hostilities from midnight on Dec. 1 and to talks within 30 days.",
    "Velmora's Defence Ministry said 14 shells landed in residential streets of Drevno, killing two civilians.",
    "Kestrel Foreign Minister Ilse Brandvold said monitors would be invited to observe the truce next week.",
]
QUOTE = "We will not accept any agreement that leaves our farmers without water for the summer harvest, the minister said."


def article(aid: str, *paragraphs: str, source: str = "") -> Article:
    return Article(id=aid, title=aid, paragraphs=paragraphs, source=source or aid)


def test_two_outlets_carrying_one_story_are_grouped_unrelated_ones_not() -> None:
    a = article("a", "VALDOR (MPA) — " + WIRE[0], *WIRE[1:])
    b = article("b", "Our correspondent in Valdor reports on the summit.", *WIRE[:3], "Critics in Lisk called it a surrender.")
    c = article("c", "Selvana declared a state of emergency after the River Ormen burst its banks in three provinces.",
                "More than 38,000 people left their homes and the main railway line to the south was cut.")
    stories = find_stories([a, b, c], split_articles([a, b, c]))
    assert stories.carriers == {"a": ("a", "b"), "b": ("a", "b")}
    # each shared wire sentence is kept in a and cites both; a's own sentence is not listed
    assert stories.sentence_carriers == {("a", 0): ("a", "b"), ("a", 1): ("a", "b"), ("a", 2): ("a", "b")}


def test_equal_titles_alone_do_not_make_a_story() -> None:
    a = Article(id="a", title="Ceasefire agreed", paragraphs=("Velmora and Ostravia signed a ceasefire in Valdor on Tuesday.",))
    b = Article(id="b", title="Ceasefire agreed", paragraphs=("Rebels in Corvane agreed to stop fighting around the Tamsin dam.",))
    assert find_stories([a, b], split_articles([a, b])).carriers == {}


def test_a_repeated_sentence_is_kept_once_across_stories() -> None:
    a = article("a", "Farmers in Esk blocked the highway for a third day over water rights.", QUOTE,
                "Police in riot gear cleared one lane on Tuesday evening but the tractors returned overnight.",
                "The regional governor promised a meeting with the farmers' union before the weekend.")
    b = article("b", "The Tamsin dam talks stalled again on Wednesday in Mirenne.", QUOTE.replace("summer", "coming summer"),
                "Engineers from Aurelbach said the reservoir was already a third below its usual level for November.",
                "The Concord of Nations mediator left for Valdor without setting a date for the next round.")
    by_article = split_articles([a, b])
    stories = find_stories([a, b], by_article)
    assert stories.carriers == {}  # two stories that share one quote
    assert stories.repeats == {("b", 1)}
    pools = stories.without_repeats({"domestic": [*by_article["a"], *by_article["b"]]})
    assert [s.text for s in pools["domestic"]].count(QUOTE) == 1 and len(pools["domestic"]) == 7


def test_previously_printed_sentences_drop_and_the_rest_of_their_story_is_new() -> None:
    follow_up = article("f", WIRE[2], "Monitors from the Concord of Nations arrived in Drevno on Wednesday morning.")
    other = article("o", "Selvana declared a state of emergency after the River Ormen burst its banks.")
    by_article = split_articles([follow_up, other])
    stories = find_stories([follow_up, other], by_article, previous=Previous(printed=(WIRE[2],)))
    assert stories.repeats == {("f", 0)}
    assert stories.new == {("f", 1)}
    picks = {"military": [by_article["f"][1]], "domestic": [by_article["o"][0]]}
    briefing = Briefing(
        title="T", edition=date(2026, 11, 26), generated_at=datetime(2026, 11, 26, tzinfo=timezone.utc),
        sections=(SectionDigest("military", "Military", (KeySentence(by_article["f"][1].text, (1,)),)),
                  SectionDigest("domestic", "Domestic", (KeySentence(by_article["o"][0].text, (2,)),))),
        sources=(), article_count=2, sentence_count=3,
    )
    marked = stories.mark_new(briefing, picks)
    assert [[k.new for k in s.sentences] for s in marked.sections] == [[True], [False]]


def test_near_duplicate_groups_chain_and_skip_empty_sets() -> None:
    base = shingles(" ".join(WIRE))
    edited = shingles(" ".join(WIRE).replace("Tuesday", "Monday"))
    groups = near_duplicate_groups([base, frozenset(), shingles(QUOTE), edited, frozenset()], 0.5, (64, 2))
    assert groups == [[0, 3]]


def test_many_distinct_articles_form_no_stories() -> None:
    words = [f"w{i}" for i in range(5000)]
    sets = [frozenset(f"{words[(i * 7 + k) % 5000]} {words[(i * 13 + k) % 5000]}" for k in range(40)) for i in range(400)]
    assert near_duplicate_groups(sets, 0.2, (64, 2)) == []


def test_previous_edition_is_the_latest_archive_before_this_one(tmp_path: Path) -> None:
    def edition(day: date, text: str) -> None:
        briefing = Briefing(title="T", edition=day, generated_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                            sections=(SectionDigest("d", "D", (KeySentence(text, (1,)),)),), sources=(),
                            article_count=1, sentence_count=1)
        save_briefing(briefing, archive_path(tmp_path, day))

    edition(date(2026, 11, 23), "Two days ago.")
    edition(date(2026, 11, 24), "Yesterday.")
    edition(date(2026, 11, 25), "Today, an earlier run.")
    (tmp_path / "briefing-notes.json").write_text("{}", "utf-8")
    assert previous_edition(tmp_path, date(2026, 11, 25), print) == Previous(printed=("Yesterday.",))
    assert previous_edition(tmp_path, date(2026, 11, 23), print) == Previous()
    archive_path(tmp_path, date(2026, 11, 24)).write_text("{broken", "utf-8")
    warnings: list[str] = []
    assert previous_edition(tmp_path, date(2026, 11, 25), warnings.append) == Previous()
    assert "not a readable briefing archive" in warnings[0]
    archive_path(tmp_path, date(2026, 11, 24)).write_text("[]", "utf-8")
    assert previous_edition(tmp_path, date(2026, 11, 25), warnings.append) == Previous()
    assert "not a readable briefing archive" in warnings[1]


STORY = [*WIRE, "Observers from Kestrel said the first convoy of monitors would leave Valdor on Friday morning.",
         "He said it was so."]
FOLLOW_UP = ["Velmora's army said on Wednesday that the first tank battalion had left the Sava front under the ceasefire.",
             "Ostravia's parliament will vote on the framework on Monday, its speaker told reporters in Valdor."]


def yesterday(*articles: Article, printed: tuple[str, ...] = (WIRE[0],)) -> Previous:
    """What yesterday's edition keeps of ``articles`` (one of their sentences printed)."""
    fingerprints = find_stories(list(articles), split_articles(list(articles))).fingerprints
    return Previous(printed, fingerprints)


def test_a_republished_unchanged_article_is_not_repeated() -> None:
    before = yesterday(article("old", *STORY))
    again = article("again", *(p.replace("Tuesday", "Tuesday,") for p in STORY))  # a new address, punctuation touched up
    by_article = split_articles([again])
    stories = find_stories([again], by_article, before)
    assert stories.repeats == {(s.article_id, s.index) for s in by_article["again"]}
    assert stories.new == frozenset()
    assert stories.without_repeats({"military": by_article["again"]}) == {"military": []}


def test_a_follow_up_reusing_old_paragraphs_marks_only_its_new_sentences() -> None:
    before = yesterday(article("old", *STORY))
    follow_up = article("f", FOLLOW_UP[0], *STORY[1:4], FOLLOW_UP[1], "He said it was so.")
    other = article("o", "Selvana declared a state of emergency after the River Ormen burst its banks.")
    by_article = split_articles([follow_up, other])
    stories = find_stories([follow_up, other], by_article, before)
    texts = {(s.article_id, s.index): s.text for s in by_article["f"] + by_article["o"]}
    assert {texts[k] for k in stories.new} == set(FOLLOW_UP)
    assert {texts[k] for k in stories.repeats} == {*STORY[1:4], "He said it was so."}
    assert ("o", 0) not in stories.new | stories.repeats  # another story: neither old nor a development


def test_a_short_sentence_alone_never_makes_a_story_returning() -> None:
    before = yesterday(article("old", "He said it was so.", "Farmers in Esk blocked the highway for a third day."))
    fresh = article("n", "The Tamsin dam talks stalled again on Wednesday in Mirenne.", "He said it was so.")
    stories = find_stories([fresh], split_articles([fresh]), before)
    assert stories.repeats == frozenset() and stories.new == frozenset()


def test_fingerprints_reach_the_next_edition_through_the_archive(tmp_path: Path) -> None:
    articles = [article("a", *STORY), article("b", *FOLLOW_UP)]
    found = find_stories(articles, split_articles(articles))
    assert len(found.fingerprints) == len(STORY) + len(FOLLOW_UP)
    briefing = found.remembered(Briefing(
        title="T", edition=date(2026, 11, 24), generated_at=datetime(2026, 11, 24, tzinfo=timezone.utc),
        sections=(SectionDigest("d", "D", (KeySentence(WIRE[0], (1,)),)),), sources=(), article_count=2,
        sentence_count=8))
    path = save_briefing(briefing, archive_path(tmp_path, date(2026, 11, 24)))
    assert len(briefing.sentence_fingerprints) == 8 * len(found.fingerprints)  # 8 characters a sentence
    assert previous_edition(tmp_path, date(2026, 11, 25), print) == Previous((WIRE[0],), found.fingerprints)

    data = json.loads(path.read_text("utf-8"))
    data["sentence_fingerprints"] = "not base64!"
    path.write_text(json.dumps(data), "utf-8")
    warnings: list[str] = []
    assert previous_edition(tmp_path, date(2026, 11, 25), warnings.append) == Previous((WIRE[0],))
    assert "damaged sentence_fingerprints" in warnings[0]
    del data["sentence_fingerprints"]  # an archive from before fingerprints: its printed sentences only
    path.write_text(json.dumps(data), "utf-8")
    assert previous_edition(tmp_path, date(2026, 11, 25), warnings.append) == Previous((WIRE[0],))
    assert len(warnings) == 1


def test_a_sentence_cites_each_outlet_that_carried_it_once_and_the_rest_of_its_story_as_also() -> None:
    from briefing.compose import compose
    from briefing.config import load_config

    a = Article(id="a", title="A", paragraphs=("x",), source="Herald")
    b = Article(id="b", title="B", paragraphs=("x",), source="Meridian")
    b2 = Article(id="b2", title="B2", paragraphs=("x",), source="Meridian")  # the same outlet twice: "also" once
    c = Article(id="c", title="C", paragraphs=("x",), source="Ledger")
    c2 = Article(id="c2", title="C2", paragraphs=("x",), source="Ledger")  # carried twice by one outlet: cited once
    sentence = Sentence("a", 0, 0, "Only the Herald and the Ledger printed this sentence.")
    config = load_config(None, env={})
    briefing = compose(config, date(2026, 11, 25), datetime(2026, 11, 25, tzinfo=timezone.utc),
                       {x.id: x for x in (a, b, b2, c, c2)}, {"military": [sentence]},
                       carriers={("a", 0): ("a", "c", "c2")}, stories={"a": ("a", "b", "b2", "c", "c2")})
    [key] = [k for s in briefing.sections for k in s.sentences]
    assert (key.citations, key.also) == ((1, 2), (3,))
    assert [ref.article_id for ref in briefing.sources] == ["a", "c", "b"]


def test_a_sentence_a_thousand_outlets_repeat_names_five_and_counts_the_rest(tmp_path: Path) -> None:
    """A stock line carried by 1,200 articles of 400 outlets names five outlets, not 400,
    and only those five reach the sources list; the rest are counted in every format."""
    from briefing.archive import load_briefing, save_briefing
    from briefing.compose import MAX_NAMED, compose
    from briefing.config import load_config
    from briefing.render import render_text

    articles = {f"a{i}": Article(id=f"a{i}", title=f"T{i}", paragraphs=("x",), source=f"Outlet {i % 400}")
                for i in range(1200)}
    carried = tuple(articles)[:900]  # 300 outlets printed the line, the other 100 only its story
    sentence = Sentence("a0", 0, 0, "The statement gave no further details.")
    config = load_config(None, env={})
    briefing = compose(config, date(2026, 11, 25), datetime(2026, 11, 25, tzinfo=timezone.utc), articles,
                       {"domestic": [sentence]}, carriers={("a0", 0): carried}, stories={"a0": tuple(articles)})
    [key] = [k for s in briefing.sections for k in s.sentences]
    assert MAX_NAMED == 5 and key.citations == (1, 2, 3, 4, 5) and key.also == ()
    assert key.more == 395 and len(briefing.sources) == 5
    assert load_briefing(save_briefing(briefing, tmp_path / "b.json")).sections == briefing.sections
    assert "details. [1][2][3][4][5] (and 395 more outlets)" in " ".join(render_text(briefing, config.render).split())


def test_a_stock_line_in_five_different_stories_is_boilerplate_but_wire_copy_is_not() -> None:
    stock = "The statement gave no further details about the matter."
    stories = [
        ("Floods cut the railway to the south of the province.", "Rivers rose two metres overnight near Arlen.",
         "Engineers expect the line to stay closed until March."),
        ("The central bank raised its main rate again.", "Mortgage lenders warned of higher repayments.",
         "Inflation has stayed above the target for eleven months."),
        ("Striking dockers blocked the harbour road for a third day.", "Their union wants a pay rise of nine percent.",
         "Ferry companies diverted sailings to a northern port."),
        ("A court jailed the former mayor of Dorsk for fraud.", "Judges found he had taken bribes from builders.",
         "His lawyers said they would appeal the sentence."),
        ("The league postponed the weekend's football fixtures.", "Pitches across the north were frozen solid.",
         "Clubs will play the games in midweek next month."),
        ("Farmers marched on the capital over grain prices.", "Tractors queued along the ring road for hours.",
         "The agriculture minister agreed to meet their leaders."),
    ]
    articles = [Article(id=f"s{i}", title=f"S{i}", paragraphs=(*story, stock), source=f"Outlet {i}")
                for i, story in enumerate(stories)]
    found = find_stories(articles, split_articles(articles))
    assert found.carriers == {}  # six different stories
    assert {(f"s{i}", 3) for i in range(6)} <= found.repeats  # every copy of the stock line goes
    assert not {(f"s{i}", j) for i in range(6) for j in range(3)} & found.repeats
    few = articles[:4]  # four stories sharing a line: still reported, once
    found = find_stories(few, split_articles(few))
    assert ("s0", 3) not in found.repeats and found.sentence_carriers[("s0", 3)] == ("s0", "s1", "s2", "s3")
    wire = [Article(id=f"w{i}", title="W", paragraphs=(WIRE[0], WIRE[1], stock), source=f"Outlet {i}") for i in range(8)]
    found = find_stories(wire, split_articles(wire))  # one story in eight outlets: wire copy, kept once
    assert len(set(found.carriers.values())) == 1
    assert ("w0", 2) not in found.repeats and len(found.sentence_carriers[("w0", 2)]) == 8
