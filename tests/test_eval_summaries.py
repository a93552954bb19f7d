"""The ROUGE harness (issue 6): budgets and scores on a tiny data set written in code,
reading quirks (Latin-1, missing references), the deterministic split, the
``briefing eval summaries`` command, and our ranker's measured quality on held-out BBC
articles from ../shared, with a floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing import salience
from briefing.cli import main
from briefing.errors import ConfigError, InputError
from briefing.evaluation.summaries import (
    LEAD,
    SUMY_WORDS,
    SumyWordRuleTokenizer,
    algorithm_names,
    evaluate,
    evaluate_splits,
    load_cases,
    read_article,
    reference_budget,
    split_of,
    system_summary,
)

ROOT = Path(__file__).resolve().parent.parent
BBC = ROOT.parent / "shared" / "eval" / "bbc-politics-dev"

BUDGET_ARTICLE = (
    "Budget passes after long night\n\n"
    "Parliament approved the budget after a night of debate. Ministers said the vote was close.\n\n"
    "The opposition called the budget unfair. Teachers and nurses will get a pay rise.\n"
    "- Schools: more money\n"
)
#: The lead two sentences, run together as the data set writes them: Lead-k is perfect.
BUDGET_REFERENCE = "Parliament approved the budget after a night of debate.Ministers said the vote was close."
FLOOD_ARTICLE = (
    "Floods close roads\n\n"
    "Heavy rain flooded the valley on Sunday. Roads were closed for hours.\n\n"
    "Emergency crews rescued twelve people from their cars. The river peaked at noon.\n"
)
#: Two of the article's sentences, out of order, and one that is not in the article at all.
FLOOD_REFERENCE = "The river peaked at noon.Residents were angry.Roads were closed for hours."


def write_dataset(root: Path, items: dict[str, tuple[str, str | None]]) -> tuple[Path, Path]:
    articles, summaries = root / "articles", root / "summaries"
    articles.mkdir()
    summaries.mkdir()
    for name, (text, reference) in items.items():
        (articles / f"{name}.txt").write_text(text, "utf-8")
        if reference is not None:
            (summaries / f"{name}.txt").write_text(reference, "utf-8")
    return articles, summaries


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    return write_dataset(tmp_path, {"001": (BUDGET_ARTICLE, BUDGET_REFERENCE), "002": (FLOOD_ARTICLE, FLOOD_REFERENCE)})


def test_budget_is_the_number_of_article_sentences_found_verbatim(dataset: tuple[Path, Path]) -> None:
    cases = {c.article.id: c for c in load_cases(*dataset)}
    assert cases["001"].budget == 2
    assert cases["002"].budget == 2
    assert cases["001"].article.title == "Budget passes after long night"
    # the title is not a sentence of the pool; a bullet line is a paragraph of its own
    assert [s.text for s in cases["001"].sentences][-1] == "- Schools: more money"
    assert [s.paragraph for s in cases["001"].sentences] == [0, 0, 1, 1, 2]
    assert reference_budget(cases["002"].sentences, "nothing in common") == 0


def test_a_perfect_system_scores_100_and_a_wrong_one_less(dataset: tuple[Path, Path]) -> None:
    cases = [c for c in load_cases(*dataset) if c.article.id == "001"]
    lead = evaluate(cases, LEAD)
    assert (lead.rouge1, lead.rouge2, lead.rougeL) == pytest.approx((100.0, 100.0, 100.0))
    assert lead.articles == 1 and lead.sentences == 5
    flood = [c for c in load_cases(*dataset) if c.article.id == "002"]
    assert evaluate(flood, LEAD).rouge2 < 50


def test_latin1_files_are_read_and_unusable_articles_are_reported(tmp_path: Path) -> None:
    articles, summaries = write_dataset(tmp_path, {
        "003": (FLOOD_ARTICLE, None),  # no reference
        "004": (BUDGET_ARTICLE, "Nothing of the article is here."),
    })
    (articles / "005.txt").write_bytes("Fees\n\nThe fee rose to £9,000 this year.\n".encode("latin-1"))
    (summaries / "005.txt").write_bytes("The fee rose to £9,000 this year.".encode("latin-1"))
    warnings: list[str] = []
    cases = load_cases(articles, summaries, warn=warnings.append)
    assert [c.article.id for c in cases] == ["005"]
    assert cases[0].sentences[0].text == "The fee rose to £9,000 this year."
    assert len(warnings) == 2
    assert "003.txt: no reference extract" in warnings[0]
    assert "shares no sentence with" in warnings[1] and "004.txt" in warnings[1]


def test_an_article_without_text_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("Only a title\n\n", "utf-8")
    with pytest.raises(InputError, match="empty.txt: no text after the title"):
        read_article(path)


def test_the_split_is_deterministic_and_halves_the_articles() -> None:
    ids = [f"{n:03d}" for n in range(1, 401)]
    halves = [split_of(i) for i in ids]
    assert halves == [split_of(i) for i in ids]
    assert set(halves) == {"dev", "heldout"}
    assert 150 < halves.count("dev") < 250


def test_tables_for_each_half_and_overall(dataset: tuple[Path, Path]) -> None:
    cases = load_cases(*dataset)
    tables = evaluate_splits(cases, [LEAD, salience.NAME], "all")
    assert list(tables) == ["dev", "heldout", "all"]
    assert [s.algorithm for s in tables["all"]] == [LEAD, salience.NAME]
    halves = {split_of(c.article.id) for c in cases}
    assert sum(tables[h][0].articles for h in ("dev", "heldout")) == 2 == tables["all"][0].articles
    assert all(tables[h][0].articles == 0 for h in {"dev", "heldout"} - halves)


def test_algorithm_names_are_checked() -> None:
    assert algorithm_names("briefing, lead, reduction+sumy-words") == ["briefing", "lead", "reduction+sumy-words"]
    every = algorithm_names(None)
    assert "briefing" in every and every.index(LEAD) < every.index("reduction" + SUMY_WORDS)
    assert "textrank" + SUMY_WORDS in every and "briefing" + SUMY_WORDS not in every
    with pytest.raises(ConfigError, match="unknown algorithm.*nope"):
        algorithm_names("briefing,nope")


#: Sentence 0 is the reference. Reduction links 1 and 2 by their three numbers when
#: numbers are words (the project's tokenizer) and so picks 1; with sumy's word rule only
#: "turnout" links anything, 0 and 1 tie, and the first wins.
TURNOUT_ARTICLE = "Turnout\n\nTurnout fell.\nTurnout rose in 2001 2005 2010.\nPolls in 2001 2005 2010 misled.\n"


def test_sumy_algorithms_also_run_with_sumys_own_word_rule(tmp_path: Path) -> None:
    assert SumyWordRuleTokenizer().to_words("Mr O'Brien paid £1,400 in 2007 for co-operation.") == (
        "Mr", "O'Brien", "paid", "in", "for", "co-operation",
    )
    (case,) = load_cases(*write_dataset(tmp_path, {"001": (TURNOUT_ARTICLE, "Turnout fell.")}))
    assert case.budget == 1
    assert [s.index for s in system_summary(case, "reduction")] == [1]
    assert [s.index for s in system_summary(case, "reduction" + SUMY_WORDS)] == [0]
    assert evaluate([case], "reduction" + SUMY_WORDS).rouge2 == pytest.approx(100.0)


def test_the_command_prints_tables_and_writes_json(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "rouge.json"
    result = CliRunner().invoke(main, [
        "eval", "summaries", str(dataset[0]), str(dataset[1]), "--algorithms", "lead,briefing", "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "ROUGE-2" in result.output and "briefing" in result.output
    written = json.loads(out.read_text("utf-8"))
    assert set(written) == {"dev", "heldout", "all"}
    overall = {row["algorithm"]: row for row in written["all"]}
    assert overall["lead"]["articles"] == 2
    assert overall["lead"]["rouge2"] == pytest.approx(evaluate(load_cases(*dataset), LEAD).rouge2)


def test_the_command_refuses_unknown_algorithms_and_empty_folders(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["eval", "summaries", str(dataset[0]), str(dataset[1]), "--algorithms", "nope"])
    assert bad.exit_code == 2 and "unknown algorithm(s) nope" in bad.output
    (tmp_path / "none").mkdir()
    empty = runner.invoke(main, ["eval", "summaries", str(tmp_path / "none"), str(dataset[1])])
    assert empty.exit_code == 3 and "no article with a usable reference" in empty.output


@pytest.mark.skipif(not BBC.is_dir(), reason="../shared evaluation data is not present")
def test_our_ranker_on_held_out_bbc_articles() -> None:
    """All 200 articles (about 15 s), readability rule on. Measured ROUGE-2 on the held-out
    half: 75.53 for ours, 73.08 for sumy's best (Reduction) with sumy's word rule, 71.72 for
    Reduction with the project's tokenizer, 67.66 for TextRank; on the development half
    76.62 for ours and 72.30 for Reduction with sumy's word rule. Each floor is under what
    was measured: two points for our score, less for our lead over the others; the lead
    over sumy's best is held at issue 6's target, 2 points."""
    tables = evaluate_splits(
        load_cases(BBC / "articles", BBC / "summaries", "all"),
        [salience.NAME, "reduction", "reduction" + SUMY_WORDS, "textrank"],
    )
    dev, heldout = ({s.algorithm: s for s in tables[half]} for half in ("dev", "heldout"))
    assert dev[salience.NAME].articles == heldout[salience.NAME].articles == 100
    ours, reduction, sumy_words, textrank = (
        heldout[name].rouge2 for name in (salience.NAME, "reduction", "reduction" + SUMY_WORDS, "textrank")
    )
    assert ours >= 73.5
    assert ours >= reduction + 3.0
    assert ours >= sumy_words + 2.0
    assert ours >= textrank + 6.0
    assert dev[salience.NAME].rouge2 >= 74.5
    assert dev[salience.NAME].rouge2 >= dev["reduction" + SUMY_WORDS].rouge2 + 3.0
