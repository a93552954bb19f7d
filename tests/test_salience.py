"""Our ranker ("briefing") and its readability rule: exact picks on tiny documents built
in code, multi-article pools, the ``antecedents`` hook of ``summarize.select``, and the
text the reader finally gets."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from briefing import readability, salience, summarize
from briefing.models import Sentence
from briefing.readability import antecedents, as_read, is_fragment, leans_on_previous, without_connective
from briefing.salience import Weights, salience_scores
from briefing.summarize import select


def article(article_id: str, *texts: str) -> list[Sentence]:
    return [Sentence(article_id, i, 0, text) for i, text in enumerate(texts)]


CEASEFIRE = article(
    "a",
    "Velmora and Ostravia agreed a ceasefire along the border.",  # shares most with the rest
    "The ceasefire along the border holds, Velmora and Ostravia said.",
    "Border talks on the ceasefire resume in January.",
    "Football fans celebrated a cup victory downtown.",  # off topic
)


def test_the_most_central_sentence_comes_first_and_the_off_topic_one_last() -> None:
    scores = salience_scores(CEASEFIRE)
    assert select(CEASEFIRE, scores, 1, None) == [0]
    assert select(CEASEFIRE, scores, 3, None) == [0, 1, 2]
    assert min(scores) == scores[3] == 0.0


def test_the_lead_prior_breaks_a_tie_between_equally_central_sentences() -> None:
    twins = article("t", "Rail workers began a strike over pay.", "Rail workers began a strike over pay.")
    first, second = salience_scores(twins)
    assert first > second
    assert salience_scores(twins, Weights(lead=0.0)) == pytest.approx([first / (1 + salience.WEIGHTS.lead)] * 2)


def test_scores_depend_on_each_sentence_not_on_pool_order() -> None:
    pool = CEASEFIRE + article("b", "Hospital budget plans were approved.", "Hospital budget plans were rejected.")
    shuffled = pool[:]
    random.Random(7).shuffle(shuffled)
    by_sentence = dict(zip(pool, salience_scores(pool)))
    assert dict(zip(shuffled, salience_scores(shuffled))) == pytest.approx(by_sentence)


def test_position_is_read_per_article_so_two_copies_of_a_story_score_alike() -> None:
    copy = [replace(s, article_id="copy") for s in CEASEFIRE]
    scores = salience_scores(CEASEFIRE + copy)
    assert scores[:4] == pytest.approx(scores[4:])


@pytest.mark.parametrize(("support", "picks"), [(0.2, [2, 3]), (0.0, [0, 1])])
def test_support_from_other_articles_lifts_the_story_they_share(support: float, picks: list[int]) -> None:
    """Article a has two equally tight pairs; article b backs only the ceasefire pair."""
    pool = article(
        "a",
        "Hospital budget plans approved.",
        "Hospital budget plans rejected.",
        "Ceasefire border talks resumed.",
        "Ceasefire border talks stalled.",
    ) + article("b", "Ceasefire border monitors arrived.")
    scores = salience_scores(pool, Weights(support=support))
    assert select(pool, scores, 2, None) == picks


def test_a_sentence_that_reports_what_was_said_outranks_the_same_words_unattributed() -> None:
    """Sentences 0 and 1 have the same content words, so without attribution words (and
    without the lead prior) they would tie; "said" ties 1 to the article's other reported
    statement."""
    pool = article(
        "a",
        "Later, officials approved the housing plan.",
        "Officials said they approved the housing plan.",
        "Ministers said the budget would rise.",
        "The council approved the housing plan.",
    )
    scores = salience_scores(pool, Weights(lead=0.0))
    assert scores[1] > scores[0]
    assert select(pool, scores, 1, None) == [1]


def test_attribution_words_are_no_topic_across_the_pool() -> None:
    """Article a's two sentences are equally central (each is the other's only neighbour);
    article b shares nothing with a but "said", which earns sentence 1 no support."""
    pool = article(
        "a",
        "Hospital budget plans were approved by the minister.",
        "Hospital budget plans were approved, the minister said.",
    ) + article("b", "Farmers said prices fell.")
    first, second, _ = salience_scores(pool, Weights(lead=0.0))
    assert first == pytest.approx(second)


def test_fragments_rank_after_every_sentence_and_keep_their_order() -> None:
    pool = article(
        "a",
        "- A ban on smoking in enclosed public places",  # the most central text, but a list item
        "Ministers announced a ban on smoking in enclosed public places.",
        "Main points:",
        "The ban on smoking starts in the spring.",
        "Football fans celebrated a late winner.",  # a real sentence sharing nothing: score 0
    )
    scores = salience_scores(pool)
    assert [is_fragment(s.text) for s in pool] == [True, False, True, False, False]
    assert scores[4] == 0.0 and max(scores[0], scores[2]) < 0.0
    assert scores[0] > scores[2]
    assert select(pool, scores, 3, None) == [1, 3, 4]


def test_an_unattributed_quotation_loses_to_the_same_words_with_a_speaker() -> None:
    pool = article(
        "a",
        "The minister defended the new rail timetable on Monday.",
        '"The new rail timetable will cut delays," the minister said.',
        '"The new rail timetable will cut delays."',
    )
    scores = salience_scores(pool)
    assert scores[2] < scores[1]


@pytest.mark.parametrize(("text", "leans"), [
    ("He said the talks would resume.", True),
    ('"It was a mistake," she said.', True),
    ('" He added that nothing had changed.', True),  # a stray closing quote from the sentence before
    ('"We will not give up."', True),
    ("It was the third such attack this week.", True),
    ("That came after a week of protests.", True),
    ("However, he insisted the plan was sound.", True),
    ("But ministers disagreed.", True),
    ("This year the budget rose by 3%.", False),
    ('The minister said: "We will not give up."', False),
    ('"We will not give up," said Mr Smith.', False),
    ('"The talks have failed."', False),  # no speaker, but nothing points back: a discount, not a rule
    ("Ministers met in Arlen on Tuesday.", False),
    ("US officials say they are not satisfied.", False),  # an acronym, not the pronoun "us"
    ("Us? We were never asked.", True),
])
def test_sentences_that_lean_on_the_one_before(text: str, leans: bool) -> None:
    assert leans_on_previous(text) is leans


def test_a_connective_goes_only_when_the_rest_stands_alone() -> None:
    assert without_connective("But ministers disagreed.") == "Ministers disagreed."
    assert without_connective("However, the plan was dropped.") == "The plan was dropped."
    assert without_connective("However, he insisted the plan was sound.") is None
    assert without_connective("Ministers disagreed.") is None


def test_antecedents_point_to_the_previous_sentence_in_the_pool_or_nowhere() -> None:
    pool = article("a", "Mr Smith resigned on Friday.", "It came as a surprise.", "But the party was relieved.")
    pool += [Sentence("b", 5, 1, "She said nothing.")]  # its previous sentence is not in the pool
    assert antecedents(pool) == [None, 0, None, -1]


@pytest.mark.parametrize(("previous", "text", "alone"), [
    ("Mr Howard acknowledged the concerns.", "He said research must go on.", "Mr Howard said research must go on."),
    ("Lib Dem spokesman Mark Oaten criticised the plan.", "He said it was flawed.", "Mark Oaten said it was flawed."),
    ("Lisa Power, head of policy at the Terrence Higgins Trust said the rule was wrong.",
     '"It is prejudice," she said.', '"It is prejudice," Lisa Power said.'),
    ("The Tory leader said it was a hard choice.", "He had decided to back the plans.",
     "The Tory leader had decided to back the plans."),
    ("The opposition leader promised more money.", '"We are ready," he said.',
     '"We are ready," the opposition leader said.'),
    ("Mr. Maddox pledged to cut taxes.", "But he said nothing about costs.", "Mr. Maddox said nothing about costs."),
    ('"Taxes will fall," said Ms Essex.', "She said councils agreed.", "Ms Essex said councils agreed."),
    ("Ms Hewitt announced the plan.", "He said it was costly.", None),  # a title of the other sex
    ("Consumer borrowing rose in January.", "He said rates would rise.", None),  # nobody named
    ("The outgoing European Commissioner spoke.", "He said reform was needed.", None),  # a title, not a name
    ("Mr Blair met Ms Jowell.", "It was their first meeting.", None),  # only "he" and "she" are named
])
def test_an_opening_he_or_she_is_named_after_the_person_the_sentence_before_is_about(
    previous: str, text: str, alone: str | None
) -> None:
    pool = article("a", previous, text)
    assert readability.standing_alone(pool[1], readability.by_position(pool)) == alone


def test_a_run_of_he_sentences_and_quotations_is_followed_back_to_the_name() -> None:
    pool = article(
        "a",
        "Mr Blair spoke in Gateshead on Sunday.",
        "He said the election would be a fight.",
        '"It is a fight for the future of our country."',
        "He warned his supporters against complacency.",
        "She said nothing.",  # the run is his: "she" is nobody named
    )
    by = readability.by_position(pool)
    assert readability.standing_alone(pool[3], by) == "Mr Blair warned his supporters against complacency."
    assert readability.standing_alone(pool[4], by) is None


def test_a_named_he_sentence_needs_no_antecedent_and_is_named_only_when_read_alone() -> None:
    pool = article("a", "Mr Smith resigned on Friday.", "He said he was tired.")
    assert antecedents(pool) == [None, None]
    assert [s.text for s in as_read(pool, [1])] == ["Mr Smith said he was tired."]
    assert as_read(pool, [0, 1]) == pool


SCORES = [0.9, 0.2, 0.8, 0.7]
LINKS: list[int | None] = [None, None, 1, None]  # sentence 2 cannot be read without sentence 1


@pytest.mark.parametrize(("count", "picks"), [(1, [0]), (2, [0, 3]), (3, [0, 1, 3]), (4, [0, 1, 2, 3])])
def test_select_keeps_a_dependent_sentence_only_with_its_antecedent(count: int, picks: list[int]) -> None:
    """Sentence 2 is second best alone but brings a weak antecedent: as a pair it is worth
    (0.8 + 0.2) / 2, less than sentence 3, and never goes in without sentence 1."""
    pool = article("a", "w", "x", "y", "z")
    assert select(pool, SCORES, count, None, LINKS) == picks
    assert select(pool, SCORES, 2, None) == [0, 2]  # without the hook: best first


def test_select_brings_the_antecedent_of_a_strong_sentence() -> None:
    pool = article("a", "w", "x", "y", "z")
    assert select(pool, [0.9, 0.6, 1.0, 0.1], 3, None, [None, None, 1, None]) == [0, 1, 2]


def test_select_never_keeps_a_sentence_whose_antecedent_is_outside_the_pool() -> None:
    pool = article("a", "w", "x", "y")
    assert select(pool, [0.1, 0.2, 0.9], 2, None, [None, None, -1]) == [0, 1]


def test_select_checks_a_whole_chain_for_repeats() -> None:
    pool = article(
        "a",
        "Rail workers began a national strike over pay on Monday.",
        "Rail workers began a national strike over pay on Monday.",
        "It was the first in thirty years.",
    )
    assert select(pool, [0.9, 0.5, 0.8], 2, 0.6, [None, None, 1]) == [0]


DANGLING = article(
    "a",
    "The city council met on Tuesday.",
    "Officials presented a plan for a congestion charge in the city centre.",
    "He said a congestion charge on city centre traffic would pay for new buses.",
    "Drivers will pay a congestion charge to bring traffic into the city centre.",
    "Football fans celebrated a late winner.",
    "But shop owners fear a congestion charge will keep city centre shoppers away.",
)


def test_a_dangling_pronoun_sentence_is_not_picked_alone() -> None:
    scores = salience_scores(DANGLING)
    assert max(range(len(DANGLING)), key=scores.__getitem__) == 2  # the best sentence is "He said ..."
    assert select(DANGLING, scores, 2, None) == [2, 3]  # best first would leave "He" unexplained
    links = antecedents(DANGLING)
    assert select(DANGLING, scores, 1, None, links) == [3]
    assert select(DANGLING, scores, 2, None, links) == [1, 3]  # the pair is worth less than 3 alone
    assert select(DANGLING, scores, 3, None, links) == [1, 2, 3]


def test_summarize_with_our_ranker_gives_readable_text() -> None:
    picked = summarize.summarize(DANGLING, 4, salience.NAME, None)
    assert [s.index for s in picked] == [1, 2, 3, 5]
    assert picked[-1].text == "Shop owners fear a congestion charge will keep city centre shoppers away."
    assert picked[:3] == DANGLING[1:4]


def test_as_read_drops_a_connective_only_when_the_previous_sentence_is_missing() -> None:
    pool = article("a", "Fares rose by 5%.", "But passengers kept travelling.", '" Officials were pleased.')
    assert [s.text for s in as_read(pool, [1])] == ["Passengers kept travelling."]
    assert [s.text for s in as_read(pool, [0, 1])] == ["Fares rose by 5%.", "But passengers kept travelling."]
    assert [s.text for s in as_read(pool, [2])] == ["Officials were pleased."]
    assert as_read(pool, [0])[0] is pool[0]


def test_sumy_algorithms_keep_their_own_picks() -> None:
    """The readability rule is ours: lexrank's picks are still exactly best-first."""
    scores = summarize.scorer("lexrank")(DANGLING)
    expected = [DANGLING[i] for i in select(DANGLING, scores, 2, None)]
    assert summarize.summarize(DANGLING, 2, "lexrank", None) == expected


def test_empty_pool() -> None:
    assert salience_scores([]) == []
    assert summarize.summarize([], 3, salience.NAME) == []


def test_one_long_article_is_read_off_a_sorted_centroid() -> None:
    """Each sentence's dot product with its article's centroid is read entry by entry;
    scipy finds an entry by binary search only in a row whose indices are sorted, and
    otherwise scans the row, which for one long article is its whole vocabulary (a
    16,000-sentence article took 7 s instead of 0.2 s; bench/rank.py measures it)."""
    rng = random.Random(5)
    words = [f"word{i}" for i in range(3000)]
    pool = article("long", *(" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(400)))
    counts, _ = salience.term_matrix(pool)
    units = salience.unit_rows(counts)
    articles = salience.article_numbers(pool)
    centroids = salience.article_centroids(units, articles)
    assert centroids.has_sorted_indices
    dense = (units.toarray() * centroids.toarray()[articles]).sum(axis=1)
    assert salience.dot_with_own_centroid(units, articles, centroids) == pytest.approx(dense)
