"""The section classifier: crafted sentences per section and per SECTIONS.md tie-break rule,
user-configured taxonomies, context inheritance in mixed articles, and its evidence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from briefing.classify import OTHER, classify, sentence_scores, states_named, tokenize
from briefing.config import SectionDef, default_sections, merge_sections
from briefing.errors import ConfigError
from briefing.models import Article, Sentence

DEFAULT = default_sections()


def article_of(*paragraphs: tuple[str, ...], title: str = "", hint: str | None = None) -> tuple[Article, list[Sentence]]:
    """An article whose paragraphs are given as tuples of sentences."""
    sentences = [Sentence("a1", 0, p, text) for p, para in enumerate(paragraphs) for text in para]
    sentences = [replace(s, index=i) for i, s in enumerate(sentences)]
    article = Article("a1", title, tuple(" ".join(p) for p in paragraphs), section_hint=hint)
    return article, sentences


def section_of(text: str, sections=DEFAULT) -> str:
    article, sentences = article_of((text,))
    return classify(article, sentences, sections)[0].section


CRAFTED = [
    # diplomacy: talks, summits, treaties, sanctions, envoys, recognition, UN decisions
    ("The foreign ministers of Chile and Peru met in Lima for talks on their maritime border.", "diplomacy"),
    ("Leaders of the southern African bloc opened a two-day summit on trade and security.", "diplomacy"),
    ("Canberra and Jakarta signed a treaty on fishing rights in the Timor Sea.", "diplomacy"),
    ("The European Union extended its sanctions on Minsk for another six months.", "diplomacy"),
    ("Norway's envoy shuttled between the two delegations throughout the night.", "diplomacy"),
    ("The Security Council adopted a resolution condemning the seizure of the embassy.", "diplomacy"),
    # military: fighting, strikes, bombings, casualties, deployments, weapons
    ("Rebels ambushed an army convoy in the hills, killing twelve soldiers.", "military"),
    ("Warplanes carried out air strikes on militant positions near the border overnight.", "military"),
    ("A car bomb exploded outside a checkpoint, wounding at least 20 people.", "military"),
    ("The defence ministry said two battalions would be deployed to the eastern front line.", "military"),
    ("Artillery shelling of the port city continued for a third day.", "military"),
    ("The navy test-fired a new cruise missile from a submarine.", "military"),
    # domestic: elections, parliament, courts, police, protests, policy, disasters
    ("Voters in the province go to the polls on Sunday to elect a new regional assembly.", "domestic"),
    ("Parliament passed a bill raising the state pension age to 66.", "domestic"),
    ("Police arrested three men after a jewellery shop robbery in the city centre.", "domestic"),
    ("Thousands of teachers went on strike over pay and school funding.", "domestic"),
    ("The supreme court struck down the new election law as unconstitutional.", "domestic"),
    ("Rescue workers searched for survivors after floods swept through the valley.", "domestic"),
    # other: business, sport, science, culture, vague
    ("Shares in the chipmaker jumped 9 percent after quarterly profits beat forecasts.", OTHER),
    ("The striker scored twice as United beat City 3-1 in the league.", OTHER),
    ("Astronomers have found water vapour on a planet orbiting a nearby star.", OTHER),
    ("The film won three awards at the festival, including best actor.", OTHER),
    ("It was not clear when that would happen.", OTHER),
    # the weather report is other; what the state does about the storm is domestic
    ("The storm made landfall near the port as a Category 3 hurricane with sustained winds of 195 km/h,"
     " the National Hurricane Center said.", OTHER),
    ("The National Weather Service said the tornado warnings would stay in place until midnight.", OTHER),
    ("Officials ordered 200,000 residents to evacuate as the hurricane, with sustained winds of 190 km/h,"
     " neared the coast.", "domestic"),
]

TIE_BREAKS = [
    # 1. reported violence is military even when diplomats are quoted about it
    ("Diplomats said the shelling had killed dozens of civilians in the besieged town.", "military"),
    # 2. interaction between governments is diplomacy even when its topic is troops or war
    ("Moscow rejected proposals to deploy European forces in Ukraine.", "diplomacy"),
    ("The two sides agreed to a ceasefire after talks with Egyptian mediators.", "diplomacy"),
    ("Washington imposed sanctions on the generals who led the coup.", "diplomacy"),
    # 3. a government acting on its own citizens is domestic, even on military matters
    ("The government eased travel restrictions on men of military age.", "domestic"),
    ("Parliament approved a law making military service compulsory for women.", "domestic"),
    # a coup is a change of who governs (home politics); its armed acts are military
    ("The president said on television that the country was facing an attempted coup.", "domestic"),
    ("The coup leaders named a former finance minister as interim prime minister.", "domestic"),
    ("Soldiers loyal to the coup leaders stormed the presidential palace and exchanged fire with the guard.",
     "military"),
    # 4. commentary takes the label of what it comments on
    ("Analysts said the new sanctions were unlikely to change Tehran's nuclear calculations.", "diplomacy"),
    ("Analysts say the offensive has stalled as the rebels dig in.", "military"),
    # ordinary crime is domestic, organised armed violence military
    ("Police said the man had been stabbed during a burglary at his home.", "domestic"),
    ("Gunmen from the separatist group attacked a police post, killing four officers.", "military"),
    # the main clause decides; a closing "after ..." clause is its background
    ("Delegations of the two warring parties arrived in Jeddah for direct talks, after weeks of clashes"
     " and air strikes in the capital that have killed hundreds and wounded thousands.", "diplomacy"),
    ("Troops opened fire on protesters after the talks collapsed.", "military"),
    # ... and a pattern there ("missile strikes") counts no more than a term would
    ("The two governments agreed to reopen their embassies, after missile strikes on the port in March.",
     "diplomacy"),
    # an "after" inside an opening background clause does not make the main clause background
    ("Days after the army shelled the town after dawn, the envoys met for talks.", "diplomacy"),
    # where a statement was made is not what it is about
    ("Mr Okafor told lawmakers the accord with Accra was signed in April.", "diplomacy"),
    ("The prime minister told parliament the pension age would rise to 67.", "domestic"),
    # a deal to end fighting is made between the sides, whatever its subject
    ("The president signed a truce with the leader of the main rebel movement in Doha on Tuesday.", "diplomacy"),
    ("Seoul lodged a strong protest with Pyongyang over the missile launch.", "diplomacy"),
    ("The war cabinet is discussing the hostage release deal while waiting for the militants' reply.", "diplomacy"),
    ("Both factions said they would study the ceasefire proposal put forward by Qatar.", "diplomacy"),
    # a quake "struck", an outbreak counted by the state: no armed force in either
    ("It was shortly after 8am on Saturday when the quake struck.", "domestic"),
    ("The disease control centre reported 152 deaths from Lassa fever this year.", "domestic"),
    # a prize jury is not a court
    ("The literary prize jury asked if they could split the award between two novels.", OTHER),
]


@pytest.mark.parametrize(("text", "expected"), CRAFTED)
def test_crafted_sentence_lands_in_its_section(text: str, expected: str) -> None:
    assert section_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), TIE_BREAKS)
def test_tie_break_rules(text: str, expected: str) -> None:
    assert section_of(text) == expected


def test_one_placement_per_sentence_in_order_with_bounded_score() -> None:
    article, sentences = article_of(tuple(text for text, _ in CRAFTED[:6]), tuple(text for text, _ in CRAFTED[6:12]))
    placements = classify(article, sentences, DEFAULT)
    assert [p.sentence for p in placements] == sentences
    assert all(0.0 <= p.score <= 1.0 for p in placements)
    assert classify(article, [], DEFAULT) == []


def test_evidence_names_the_matched_terms_and_their_section() -> None:
    placement = classify(*article_of(("Rebels ambushed an army convoy, killing twelve soldiers.",)), DEFAULT)[0]
    assert placement.section == "military"
    assert "term:ambush(military)" in placement.evidence
    assert all(len(e) < 300 for e in placement.evidence)


def test_vague_sentence_alone_is_other_and_says_so() -> None:
    placement = classify(*article_of(("He said the decision was final.",)), DEFAULT)[0]
    assert (placement.section, placement.evidence[0]) == (OTHER, "vague")


def test_terms_match_on_stems() -> None:
    assert tokenize("negotiations") == tokenize("negotiation")
    assert sentence_scores("The negotiators resumed work.", DEFAULT)["diplomacy"] > 0
    assert tokenize("U.N. forces") == tokenize("UN forces")


def test_frame_governs_only_its_own_clause() -> None:
    """'before the summit opened, X fired a missile': the summit does not govern the missile."""
    assert section_of("Hours before the summit opened, the North fired a ballistic missile into the sea.") == "military"


def test_states_are_found_by_name_demonym_and_capital() -> None:
    assert states_named("Israeli jets struck Beirut as Washington urged restraint.") == ["Israel", "Lebanon", "United States"]
    assert states_named("WASHINGTON - Nothing here names a state in title case.") == []
    assert states_named("Belfast is in Northern Ireland, Dublin in Ireland.") == ["United Kingdom", "Ireland"]


# --- relations between states (SECTIONS.md rule 2 without a frame word) ------------------------

RELATIONS = [
    # a state as the subject of an interaction verb reaching another: its topic does not decide
    ("Colombia asked Venezuela to hand over a rebel leader it said was hiding in Caracas.", "diplomacy"),
    ("The Japanese government protested to Beijing after a Chinese survey ship entered its waters.", "diplomacy"),
    ("Russian officials accused the West of meddling in the presidential election.", "diplomacy"),
    ("The United States and Russia signed an agreement to tighten controls on shoulder-fired missiles.", "diplomacy"),
    ("The Pope received the Iraqi prime minister at the Vatican.", "diplomacy"),
    # two states without one acting on the other: the event decides
    ("Israeli troops shot dead two Palestinian gunmen near the border fence.", "military"),
    ("Brazil beat Argentina 3-1 in a World Cup qualifier.", OTHER),
    ("Spanish voters went to the polls three days after train bombings in Madrid.", "domestic"),
]


@pytest.mark.parametrize(("text", "expected"), RELATIONS)
def test_a_state_acting_on_another_is_diplomacy_whatever_the_topic(text: str, expected: str) -> None:
    assert section_of(text) == expected


def test_relation_evidence_names_the_actor_and_governs_its_clause() -> None:
    placement = classify(*article_of(("Colombia asked Venezuela to hand over a rebel leader.",)), DEFAULT)[0]
    assert placement.evidence[0].startswith("relation:Colombia asked")
    assert "term:rebel(military)" in placement.evidence  # still shown, at a reduced weight
    scores = sentence_scores("Colombia asked Venezuela to hand over a rebel leader.", DEFAULT)
    assert scores["military"] < sentence_scores("Police caught a rebel leader.", DEFAULT)["military"]


def test_a_dateline_names_no_actor() -> None:
    """'NAIROBI, Kenya --' says where the reporter was: Somalia alone acts here."""
    text = "NAIROBI, Kenya -- Somalia's parliament passed a motion of no-confidence in the cabinet."
    assert section_of(text) == "domestic"
    assert not any(e.startswith(("states:", "relation:")) for e in classify(*article_of((text,)), DEFAULT)[0].evidence)


def test_a_verb_must_reach_another_actor() -> None:
    """The Pentagon and the US are one actor: no relation, the attack decides."""
    text = "The Pentagon told reporters US troops had repelled an attack on their base."
    assert section_of(text) == "military"
    assert not any(e.startswith("relation:") for e in classify(*article_of((text,)), DEFAULT)[0].evidence)


def test_a_frame_with_another_sections_subject_governs_nothing() -> None:
    assert section_of("The Supreme Court agreed to hear a challenge to the detention of terror suspects.") == "domestic"


def test_relations_do_not_depend_on_a_removed_states_weight() -> None:
    no_states = merge_sections(DEFAULT, [{"id": "diplomacy", "states": 0}])
    scores = sentence_scores("Colombia asked Venezuela to hand over a rebel leader.", no_states)
    assert scores["diplomacy"] == 0 and scores["military"] > 0


# --- context --------------------------------------------------------------------------


MIXED = (
    (
        "Russian drones and missiles struck the capital overnight, killing at least six people.",
        "Rescue workers were still searching the rubble on Tuesday morning.",
    ),
    (
        "Later the foreign minister flew to Brussels for talks with EU counterparts on new sanctions.",
        "He told reporters that he expected an answer within days.",
    ),
    (
        "At home, parliament voted to extend martial law for another 90 days.",
        "He said the decision was final.",
        "Opposition lawmakers criticised the vote.",
    ),
)


def test_weak_sentences_inherit_from_strongly_placed_neighbours() -> None:
    placements = classify(*article_of(*MIXED), DEFAULT)
    assert [p.section for p in placements] == [
        "military", "military", "diplomacy", "diplomacy", "domestic", "domestic", "domestic",
    ]
    told, final = placements[3], placements[5]
    assert told.evidence[0] == "context:previous-sentence"
    assert {"context:previous-sentence", "context:next-sentence"} <= set(final.evidence)
    assert final.score < placements[4].score


def test_a_sentence_that_turns_to_a_new_subject_belongs_with_what_follows() -> None:
    shift = "Meanwhile, tensions remain high."
    placements = classify(*article_of((
        "Parliament passed the budget after a long debate.",
        shift,
        "Artillery shelled the border town overnight, killing three soldiers.",
    )), DEFAULT)
    assert [p.section for p in placements] == ["domestic", "military", "military"]
    assert placements[1].evidence[0] == "context:next-sentence"
    plain = classify(*article_of((
        "Parliament passed the budget after a long debate.",
        "Tensions remain high.",
        "Artillery shelled the border town overnight, killing three soldiers.",
    )), DEFAULT)
    assert plain[1].section == "domestic"  # without the turn, the sentence before leads


def test_the_same_weak_sentence_follows_its_own_article() -> None:
    weak = "It was the third such incident this month."
    war = classify(*article_of(("Shelling killed four soldiers near the front line.", weak)), DEFAULT)
    sport = classify(*article_of(("The striker scored twice as the champions won the cup final.", weak)), DEFAULT)
    alone = classify(*article_of((weak,)), DEFAULT)
    assert [war[1].section, sport[1].section, alone[0].section] == ["military", OTHER, OTHER]


def test_an_article_about_one_event_carries_its_weakly_worded_sentences() -> None:
    """Real reports tell an event over many sentences that name it only once. A sentence
    with a fair lean of its own ("troops were flown in" leans military) follows the story
    it is part of when that story is told strongly around it: soldiers sent to clear the
    roads after an earthquake are the state handling a disaster (SECTIONS.md)."""
    troops = "Troops were flown in to clear roads blocked by the collapsed buildings."
    quake = classify(*article_of(
        ("A powerful earthquake shook Sichuan province on Saturday, flattening villages.",),
        (troops,),
        ("Rescue workers and emergency services searched the rubble as aftershocks continued.",),
    ), DEFAULT)
    assert [p.section for p in quake] == ["domestic", "domestic", "domestic"]
    assert "context:article" in quake[1].evidence
    assert classify(*article_of((troops,)), DEFAULT)[0].section == "military"  # alone, it is troops


def test_title_and_source_hint_steer_vague_sentences() -> None:
    vague = ("Officials said more details would follow.",)
    assert classify(*article_of(vague, title="Cabinet approves pension reform bill"), DEFAULT)[0].section == "domestic"
    placed = classify(*article_of(vague, hint="military"), DEFAULT)[0]
    assert placed.section == "military"
    assert "context:article" in placed.evidence


def test_context_does_not_override_a_strong_sentence() -> None:
    placements = classify(*article_of(
        ("Shelling killed four soldiers near the front line.",
         "The central bank raised interest rates as shares fell on the stock exchange.")), DEFAULT)
    assert placements[1].section == OTHER


# --- user-configured taxonomies ---------------------------------------------------------


def test_user_added_section_claims_its_terms_even_from_other() -> None:
    sections = merge_sections(DEFAULT, [{
        "id": "economy", "title": "Economy",
        "terms": {"inflation": 2, "interest rates": 3, "central bank": 3, "shares": 2, "stock market": 3},
    }])
    text = "The central bank raised interest rates to curb inflation."
    assert section_of(text) == OTHER
    assert section_of(text, sections) == "economy"
    placement = classify(*article_of((text,)), sections)[0]
    assert "term:central bank(economy)" in placement.evidence
    assert section_of("Rebels shelled the town overnight.", sections) == "military"


def test_removed_section_is_never_returned() -> None:
    sections = merge_sections(DEFAULT, [{"id": "military", "remove": True}])
    ids = {p.section for text, _ in CRAFTED + TIE_BREAKS for p in classify(*article_of((text,)), sections)}
    assert "military" not in ids
    assert ids <= {"diplomacy", "domestic", OTHER}


def test_renamed_titles_and_edited_terms_take_effect() -> None:
    renamed = merge_sections(DEFAULT, [{"id": "domestic", "title": "Home News"}])
    assert section_of("Parliament passed the budget bill.", renamed) == "domestic"
    extra = merge_sections(DEFAULT, [{"id": "diplomacy", "extra_terms": {"handshake diplomacy": 5}}])
    scores = sentence_scores("A round of handshake diplomacy followed.", extra)
    assert scores["diplomacy"] >= 5


def test_taxonomy_with_entirely_new_sections() -> None:
    sections = (
        SectionDef("sport", "Sport", terms={"goal": 2, "match": 2, "league": 2}),
        SectionDef("weather", "Weather", terms={"rain": 2, "forecast": 2}, patterns={r"\b\d+C\b": 1}),
    )
    assert section_of("A late goal won the match.", sections) == "sport"
    assert section_of("Heavy rain and 30C highs are forecast.", sections) == "weather"
    assert section_of("Troops shelled the town.", sections) == OTHER


def test_a_user_section_named_other_extends_the_builtin_other_lexicon() -> None:
    sections = merge_sections(DEFAULT, [{"id": "other", "terms": {"horoscope": 5}}])
    assert sentence_scores("Your horoscope for the week.", sections)[OTHER] >= 5


def test_bad_weights_and_patterns_are_config_errors_naming_the_section() -> None:
    with pytest.raises(ConfigError, match="economy"):
        classify(*article_of(("x y z w",)), (SectionDef("economy", "Economy", terms={"gdp": "lots"}),))
    with pytest.raises(ConfigError, match="invalid pattern"):
        classify(*article_of(("x y z w",)), (SectionDef("economy", "Economy", patterns={"(": 1}),))


def test_tables_are_cached_per_section_set() -> None:
    from briefing.classify import lexicon_for

    assert lexicon_for(DEFAULT) is lexicon_for(default_sections())
    assert lexicon_for(DEFAULT) is not lexicon_for(DEFAULT[:2])
