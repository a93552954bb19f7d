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
    # an empty "it" of a report or judgement, and "so far", point nowhere
    ("It is thought that half a million children skip school each day.", False),
    ("It is believed more than 270 hunts went out on Saturday.", False),
    ("It was not known whether the men had received letters.", False),
    ('"It is vital that we start now to plan for future years."', False),
    ("It then emerged that the firm had a client which opposes the plan.", False),
    ("So far the US has refused to sign the treaty.", False),
    ("It is thought to be the largest protest in years.", True),  # "it": something named before
    ("It is likely to pass next week.", True),
    ("It was the first time the power had been used.", True),
    # a quotation carried over two sentences is one quotation: the mark opening the second
    # continues it, it does not close the first
    ('"Health rates are lamentable. "They all make us unhealthy.', False),
    ('"We do not want that. "Very often the quality suffers.', True),
    ('"The rules are blurred. "You can hunt a rat, but not a mouse," he said.', True),
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
    ("The outgoing European Commissioner spoke.", "He said reform was needed.",
     "The outgoing European Commissioner said reform was needed."),  # a role, capitalised as a title
    ("Home Affairs spokesman Mark Oaten spoke.", "He said reform was needed.", "Mark Oaten said reform was needed."),
    ("The Speaker chairs debates.", "He or she is always an MP.", None),  # anyone, not the one named
    ("Mr Blair met Ms Jowell.", "It was their first meeting.", None),  # only "he" and "she" are named
    # a title ends the name before it, so the subject of the second clause is found
    ("Britain was cautious, but on Wednesday Mr Straw said he wanted it to end.", "He said the ban would go.",
     "Mr Straw said the ban would go."),
    ('"Hope is no strategy," Prof Etzioni continues.', "He names Russia as the main concern.",
     "Prof Etzioni names Russia as the main concern."),
    # roles: "a ... for the X", and up to four words before the role
    ("But a spokesman for the Home Office defended the proposals.", "He said the law was clear.",
     "A spokesman for the Home Office said the law was clear."),
    ("The Scottish National Party's parliamentary leader argued the law was clear.", "She said ministers knew.",
     "The Scottish National Party's parliamentary leader said ministers knew."),
    # a role with the person's name beside it: the name
    ("The Scottish Green Party's health spokeswoman, Eleanor Scott, welcomed the ban.", "She said it was overdue.",
     "Eleanor Scott said it was overdue."),
    # not the subject, but the one person the sentence names, with a title that agrees
    ("The programme also heard from Lord Roberts of Conwy, who was a minister at the time.",
     "He denied any improper role.", "Lord Roberts of Conwy denied any improper role."),
    ("That was a rate of progress Ms Abbott described as painful.", '"It has not worked," she said.',
     '"It has not worked," Ms Abbott said.'),
    ("Mr Blair met Ms Jowell.", "She said nothing.", None),  # two people
    ("On Monday the Pakistani president met Prime Minister Tony Blair.", "He is due in Manchester.", None),
    ("The vote was questioned by the former president, Dafydd Wigley.", "He accepted the result.", None),
    ("The report was read by Dr Fox.", "He said it was wrong.", None),  # whether Dr Fox is a "he" is not said
    ("But Simon Hart of the Countryside Alliance has questioned the plan.", "He said it was unclear.",
     "Simon Hart said it was unclear."),
    ("North Devon landowner Giles Bradshaw was put in touch with the group.", "He had asked about his dogs.",
     "Giles Bradshaw had asked about his dogs."),  # "North Devon" is no subject: a noun for him follows
    ("Veils are backward, President Musharraf of Pakistan has said.", "He was speaking to the BBC.",
     "President Musharraf of Pakistan was speaking to the BBC."),
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


def last_read_alone(*texts: str) -> str | None:
    """How the last of an article's sentences reads without the one before it."""
    pool = article("a", *texts)
    return readability.standing_alone(pool[-1], readability.by_position(pool))


@pytest.mark.parametrize(("texts", "alone"), [
    (("Mr Smith arrived.", "However, he said nothing.", "In the end, he left.", "He was tired."), "Mr Smith was tired."),
    (("Mr Smith arrived.", "The plan was wrong, he said.", "He was tired."), "Mr Smith was tired."),
    (("Mr Smith arrived.", "The plan was wrong, she said.", "He was tired."), None),
    (("Mr Lewis wants an inquiry.", "As well as a limit on quangos he also wants a cap.", "He listed the worst."),
     "Mr Lewis listed the worst."),  # names nobody but speaks of "him"
    (("Mr Lewis wants an inquiry.", "As well as a limit on quangos she also wants a cap.", "He listed the worst."),
     None),
    # back over a sentence that names nobody and speaks of no one: an aside between the
    # name and "he" ("There are still concerns ...") does not change whom "he" means
    (("Prime Minister Tony Blair is expected to announce new measures.",
      "There are still concerns that some areas are not using the powers.", "He is expected to say more."),
     "Tony Blair is expected to say more."),
    # not back over one that names a person or a role, or speaks of another pronoun
    (("Mr Blair will speak.", "Critics include Ann Widdecombe.", "He is expected to say more."), None),
    (("Mr Blair will speak.", "The minister faced questions.", "He is expected to say more."),
     "The minister is expected to say more."),
    (("Mr Blair will speak.", "Critics of the minister are many.", "He is expected to say more."), None),
    (("Mr Blair will speak.", "There are concerns she raised.", "He is expected to say more."), None),
])
def test_the_run_back_to_the_name_passes_sentences_whose_subject_or_speaker_is_the_same_pronoun(
    texts: tuple[str, ...], alone: str | None
) -> None:
    assert last_read_alone(*texts) == alone


@pytest.mark.parametrize(("texts", "alone"), [
    # the article titles her elsewhere: "Patricia Hewitt" is a "she", not whom "he" means
    (("Ms Hewitt spoke on Monday.", "Patricia Hewitt announced the plan.", "He said it was costly."), None),
    (("Ms Hewitt spoke on Monday.", "Patricia Hewitt announced the plan.", "She said it was costly."),
     "Patricia Hewitt said it was costly."),
    # an article with a Mr and a Mrs Howard does not say which "Michael Howard" is
    (("Mr Howard and Mrs Howard arrived.", "Michael Howard spoke first.", "She said it was costly."), None),
    # a title in the article lets the one person a sentence names be whom "he" means
    (("Dr Fox is a Tory.", "Mr Fox wrote to ministers.", "The report was read by Dr Fox.", "He said it was wrong."),
     "Dr Fox said it was wrong."),
])
def test_the_article_says_whether_a_name_is_a_he_or_a_she(texts: tuple[str, ...], alone: str | None) -> None:
    assert last_read_alone(*texts) == alone


@pytest.mark.parametrize(("texts", "alone"), [
    (("Opponents say the runway cannot be paid for.", "They said this is illegal."), "Opponents said this is illegal."),
    (("But the Tories insisted they would hold ministers to account.", "They said Labour must explain the cost."),
     "The Tories said Labour must explain the cost."),
    (("The Road Safety Bill, which gets its second reading on Tuesday, would allow roadside tests.",
      "It also includes plans for speeding fines."), "The Road Safety Bill also includes plans for speeding fines."),
    (("The Duchy of Cornwall is a large estate.", "It was set up in 1337.", "It covers the cost of the prince's life."),
     "The Duchy of Cornwall covers the cost of the prince's life."),  # back over a sentence opening with "it"
    # the body the sentence before quotes comes first: it is whom "it" or "they" means
    (("The government should change the law, the TUC has said.", "It said 1,500 workers lost their jobs."),
     "The TUC said 1,500 workers lost their jobs."),
    (("Courts should be a last resort, MPs said.", "But they rejected equal access."), "MPs rejected equal access."),
    (("The MPs also call for tougher sentences.", "They say drink should count against offenders."),
     "The MPs say drink should count against offenders."),
    # none of these: a person quoted, a passive subject, the event itself, a number that
    # does not agree, a determiner that points back, no noun phrase
    (("Mr Bush's re-election came at a crucial time, Mr Blair said.", "It had to be brought together."), None),
    (("The important thing was action, he said.", "It would become easier to assess the cost."), None),
    (("The much trailed decision was ratified by the committee.", "It will be a blow to the town."), None),
    (("The government is using the Royal Prerogative.", "It is only the 13th time the power has been used."), None),
    (("The deal was signed on Monday.", "It comes after months of talks."), None),
    (("The Bill proposes control orders.", "They would replace current powers."), None),
    (("Ministers launched a plan.", "It was welcomed."), None),
    (("This plan was launched on Monday.", "It was welcomed by councils."), None),
    (("Even without changes the commission urges parties to act.", "It also suggests more funding."), None),
    (("Mr Howard launched the plan.", "It was welcomed by councils."), None),  # "it" is never a person
])
def test_an_opening_it_or_they_is_named_after_the_thing_the_sentence_before_is_about(
    texts: tuple[str, ...], alone: str | None
) -> None:
    assert last_read_alone(*texts) == alone


@pytest.mark.parametrize(("texts", "alone"), [
    # the speaker of the quotation it carries on, back over sentences that are all quotation
    (('Ms Hewitt said: "We have doubled maternity pay.', '"We will go further."'),
     '"We will go further," Ms Hewitt said.'),
    (('"The code works," he said of Mr Straw\'s plan.', '"We intend to strengthen it.'),
     None),  # "he" is nobody: no sentence before names him
    (("Mr Straw spoke in Beijing.", '"The code works," he said.', '"We intend to strengthen it.'),
     '"We intend to strengthen it," Mr Straw said.'),
    (('"Rates will rise," said the spokesman.', '"We are ready."', '“Are we ready for this?”'),
     '“Are we ready for this?” the spokesman said.'),
    (('Mr MacDonald said: "The system is unfair.', '"It is giving Britain a bad name".'),
     '"It is giving Britain a bad name," Mr MacDonald said.'),
    (('Ms James said: "Artists need a voice.', '"The quote I gave was: \'Artists reflect a truth.\'"'),
     '"The quote I gave was: \'Artists reflect a truth,\'" Ms James said.'),
    (("Mr Smith resigned on Friday.", '"It was a mistake."'), None),  # the sentence before quotes nobody
])
def test_a_sentence_that_is_all_quotation_is_given_its_speaker(texts: tuple[str, ...], alone: str | None) -> None:
    assert last_read_alone(*texts) == alone


def test_only_a_quotation_whose_speaker_cannot_be_told_is_discounted() -> None:
    """The same words, all quotation: after a sentence that quotes Mr Smith they are his
    and read alone as '"...," Mr Smith said.'; after one that quotes nobody they are
    nobody's, lose a share of their score and read as they are."""
    quoting = article("q", 'Mr Smith said: "Rail fares will rise.', '"Rail fares will rise by 5% next year."')
    narrating = article("n", "Mr Smith spoke on Monday about rail fares.", '"Rail fares will rise by 5% next year."')
    assert readability.unattributed_quotes(quoting) == [False, False]
    assert readability.unattributed_quotes(narrating) == [False, True]
    assert [s.text for s in as_read(quoting, [1])] == ['"Rail fares will rise by 5% next year," Mr Smith said.']
    assert [s.text for s in as_read(narrating, [1])] == ['"Rail fares will rise by 5% next year."']
    assert as_read(quoting, [0, 1]) == quoting  # read with its speaker, it is left as written


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
