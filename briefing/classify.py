"""Section classifier: every sentence of an article filed under a configured section or "other".

A learned model alone memorises the topics of its training sentences and falls on other
sources (trained on a few hundred, to about two thirds), so the decision rests on linguistic
knowledge that carries across sources and years and stays explainable, with a model trained on
thousands of our own sentences as one cue among the others:

1. **Own evidence.** Each section's weighted terms (matched on Snowball stems, longest
   phrase first) and case-sensitive patterns are summed per section. A built-in "other"
   lexicon (business, sport, science, culture, weather) competes as one more class.
2. **Main event.** A *frame* term ("proposals to", "a law on") hands most of the weight of
   other sections' terms later in its clause to its own section, so talks about troops stay
   diplomacy and a law on military service stays domestic, as the SECTIONS.md tie-break
   rules ask; the terms and patterns of an opening background clause ("Hours before the
   summit opened, ...") count half, those of a closing one ("..., after a drone strike killed
   seven") 0.3.
3. **States.** A section may count the distinct states a sentence names (gazetteer of names,
   demonyms and capitals, and bodies such as the UN or the EU): relations between states are
   diplomacy's business. When a state *acts on* another (its government or a leader named,
   or the state itself as the subject of "urged", "asked", "protested to", ...), that clause
   is a relation: it counts for the section whatever its topic, and it governs the clause
   like a frame, so "Colombia asked Venezuela to hand over a rebel leader" is diplomacy.
4. **Learned cue.** A logistic regression on stems and stem pairs, trained on sentences
   labelled for this project (``section_model.py``), adds ``weight × P(section)`` for every
   section it knows ("other" at half, as the rules already file the vague): it catches the
   main events that no term names ("Ankara summoned Stockholm's envoy") and keeps weather
   and research out of the sections.
5. **Context.** A sentence with little evidence of its own leans on its neighbours (the
   previous one most, as "He said ..." points back) and on the article's overall mix, its
   title and its source's section hint; with none of these it is "other".

The stemmed lookup tables are built once per section set and cached.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import chain, islice
from importlib import resources
from typing import Any

from . import nlp
from .config import SectionDef
from .errors import ConfigError
from .models import Article, Placement, Sentence
from .section_model import Learned

__all__ = ["OTHER", "classify", "sentence_scores"]

OTHER = "other"
LEXICON_DIR = "lexicon"
OTHER_LEXICON = "other.toml"
STATES_LEXICON = "states.toml"

#: Share of its weight that another section's term keeps after a frame term; the rest goes
#: to the frame's section.
FRAME_DISCOUNT = 0.4
#: Another section's evidence before a frame, in its clause, that makes it that section's
#: subject acting ("The Supreme Court agreed to hear ..."), so the frame governs nothing.
FRAME_SUBJECT = 2.0
#: Weight kept by terms in an opening background clause.
BACKGROUND = 0.5
#: Evidence a sentence needs to be placed at all (own plus context).
PLACED = 0.8
#: Own evidence at which context is no longer consulted; below it context counts in proportion.
SELF_SUFFICIENT = 6.0
#: How much of a neighbour's evidence (capped) a weak sentence borrows, by offset.
NEIGHBOURS = {-1: 1.2, 1: 0.8}
#: A sentence that turns to a new subject ("Meanwhile, tensions remain high.") belongs with
#: what follows it, not with what it turns away from.
TOPIC_SHIFT = re.compile(
    r"^\W*(?:meanwhile|elsewhere|separately|in other news|on another front|in a separate development)\b",
    re.IGNORECASE,
)
SHIFTED_NEIGHBOURS = {-1: 0.2, 1: 1.6}
NEIGHBOUR_CAP = 3.0
#: A neighbour across a paragraph break is a weaker guide.
PARAGRAPH_BREAK = 0.5
#: Weight of the article's section mix (a share vector) and of the source's section hint.
ARTICLE_WEIGHT = 3.0
TITLE_WEIGHT = 1.0
HINT_WEIGHT = 1.0
#: Evidence strings kept per placement.
MAX_EVIDENCE = 8
#: The model's probability below which its cue for a class is not shown as evidence.
MODEL_SHOWN = 0.25
#: Share of its weight the model's cue for "other" keeps. The model says "other" mostly for
#: a sentence without section words, which the rules already treat as vague (``PLACED``);
#: counted in full it outvoted a section's term and the context ("Cash-for-work programs
#: saw a clearing of debris" in a typhoon report: other 0.88): on two real pools of 1,240
#: sentences, accuracy 0.790 -> 0.812 with the model's weight 3 -> 2 (README, Quality).
MODEL_OTHER_SHARE = 0.5

_HYPHENS = re.compile(r"[-\u2010-\u2015]")
#: Words that open a background clause when they start a sentence ("After the talks, ...").
SUBORDINATORS = ("after", "before", "despite", "while", "as", "when", "since", "although", "though",
                 "following", "amid", "until", "during")
#: Words that open a closing background clause: "The African Union suspended Gabon after army
#: officers seized power" reports a suspension, told with its cause (SECTIONS.md: the main
#: verb decides). Counted from the fourth token of the main clause on, so it has begun.
TRAILING_SUBORDINATORS = ("after", "amid", "despite", "following")
MAIN_CLAUSE_START = 3
#: Weight kept by terms in a closing background clause: less than in an opening one, as a
#: closing clause often lists a war's toll at length ("clashes ... that have killed hundreds
#: and wounded thousands") after a main clause that reports the talks.
TRAILING_BACKGROUND = 0.3
_CLAUSE_BREAK = re.compile(r"[,;:]\s|[()\u2014]|\s[-\u2013]\s")
CLAUSE = "|"
_DATELINE = re.compile(r"\s*(?:[A-Z][A-Za-z.'/ -]{0,30}[A-Z]|[A-Z][a-z]+)(?:,[^-\u2013\u2014:()]{1,40}?)?\s*(?:\([A-Za-z]+\))?\s*(?:--?|:|\u2013|\u2014)\s")
#: Most states one sentence can add evidence for (a list of ten countries is not ten times the cue).
MAX_EXTRA_STATES = 3
#: A relation between named states (one acting on another) weighs this many times a section's
#: weight per extra state.
RELATION = 2.0
#: Words a relation's verb may stand after its actor ("The United States on Friday welcomed"),
#: and that may open a clause before a bare acting role ("In Tokyo, the Japanese government").
RELATION_GAP = 3
#: Words after the verb within which the other actor must be named ("handed over two
#: suspected militants to the United States").
RELATION_REACH = 7
#: A bare acting role ("Iraqi Prime Minister Iyad Allawi is to address ...") is this much of a
#: relation, and governs nothing: the role may be a mere victim or guest.
ROLE_ONLY = 0.5
#: Relations looked at per sentence, and the characters around an actor looked at for its partner.
MAX_RELATIONS = 4
WINDOW = 200


@dataclass(frozen=True)
class Cue:
    """One matched term or pattern: which class it supports, how much, and how to show it."""

    label: int
    weight: float
    evidence: str


@dataclass(frozen=True)
class Lexicon:
    """The lookup tables of one section set; the last class is always "other"."""

    ids: tuple[str, ...]
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], tuple[Cue, ...]], ...]]
    frames: Mapping[str, tuple[tuple[tuple[str, ...], int, str], ...]]
    patterns: tuple[tuple[re.Pattern[str], Cue], ...]
    states: tuple[tuple[int, float], ...]  # (class, weight per extra state) for classes that count states

    @property
    def other(self) -> int:
        return len(self.ids) - 1


@dataclass(frozen=True)
class Evidence:
    """A sentence's own score per class and the cues that produced it."""

    scores: tuple[float, ...]
    cues: tuple[Cue, ...]

    @property
    def strength(self) -> float:
        return max(self.scores)


def classify(article: Article, sentences: Sequence[Sentence], sections: Sequence[SectionDef],
             learned: Learned | None = None) -> list[Placement]:
    """One placement per sentence, in order, each with its score and the evidence that
    decided; ``learned`` adds the model's cue (None: terms and rules only)."""
    lexicon = lexicon_for(sections)
    own = [sentence_evidence(lexicon, s.text, learned) for s in sentences]
    totals = article_totals(lexicon, article, own, learned)
    return [place(lexicon, sentences, own, totals, i) for i in range(len(sentences))]


def sentence_scores(text: str, sections: Sequence[SectionDef], learned: Learned | None = None) -> dict[str, float]:
    """A sentence's own evidence per class, without context (for tools and tests)."""
    lexicon = lexicon_for(sections)
    return dict(zip(lexicon.ids, sentence_evidence(lexicon, text, learned).scores))


# --- context -------------------------------------------------------------------------


def article_totals(lexicon: Lexicon, article: Article, own: Sequence[Evidence],
                   learned: Learned | None = None) -> list[float]:
    """What the article as a whole is about: its sentences' shares, its title and its source's hint."""
    total = [0.0] * len(lexicon.ids)
    for evidence in own:
        _add(total, share(evidence), 1.0)
    if article.title:
        _add(total, share(sentence_evidence(lexicon, article.title, learned)), TITLE_WEIGHT)
    if article.section_hint in lexicon.ids:
        total[lexicon.ids.index(article.section_hint)] += HINT_WEIGHT
    return total


def share(evidence: Evidence) -> list[float]:
    """A sentence's evidence as a vector that sums to its (capped) strength, 0 when it has none."""
    mass = sum(evidence.scores)
    if not mass:
        return [0.0] * len(evidence.scores)
    scale = min(evidence.strength, NEIGHBOUR_CAP) / mass
    return [v * scale for v in evidence.scores]


def context_votes(sentences: Sequence[Sentence], own: Sequence[Evidence], totals: Sequence[float],
                  i: int) -> dict[str, list[float]]:
    """The context a sentence may lean on, by source: its neighbours and the rest of the article."""
    votes: dict[str, list[float]] = {}
    neighbours = SHIFTED_NEIGHBOURS if TOPIC_SHIFT.match(sentences[i].text) else NEIGHBOURS
    for offset, weight in neighbours.items():
        j = i + offset
        if 0 <= j < len(sentences):
            if sentences[j].paragraph != sentences[i].paragraph:
                weight *= PARAGRAPH_BREAK
            name = "previous-sentence" if offset < 0 else "next-sentence"
            votes[name] = [weight * v for v in share(own[j])]
    # the article's mix without this sentence, so its own evidence is not counted twice
    rest = [max(0.0, t - m) for t, m in zip(totals, share(own[i]))]
    mass = sum(rest)
    if mass > 1e-9:
        votes["article"] = [ARTICLE_WEIGHT * v / mass for v in rest]
    return votes


def place(lexicon: Lexicon, sentences: Sequence[Sentence], own: Sequence[Evidence],
          totals: Sequence[float], i: int) -> Placement:
    """Own evidence plus context in proportion to how little the sentence says itself."""
    evidence = own[i]
    reliance = max(0.0, 1.0 - evidence.strength / SELF_SUFFICIENT)
    votes = context_votes(sentences, own, totals, i) if reliance else {}
    combined = list(evidence.scores)
    for vote in votes.values():
        _add(combined, vote, reliance)
    best = _argmax(combined)
    if combined[best] < PLACED:
        # confidence that there is nothing to place: 1.0 for no evidence at all
        score = 1.0 - 0.5 * combined[best] / PLACED
        cues = explain(evidence, lexicon.other, ())
        return Placement(sentences[i], OTHER, round(score, 4), ("vague", *cues)[:MAX_EVIDENCE])
    decided_by_context = _argmax(evidence.scores) != best or evidence.scores[best] < PLACED
    rules = tuple(
        f"context:{name}" for name, vote in sorted(votes.items(), key=lambda kv: -kv[1][best])
        if vote[best] * reliance >= 0.2
    ) if decided_by_context else ()
    score = combined[best] / (sum(combined) + 1.0)
    return Placement(sentences[i], lexicon.ids[best], round(score, 4), explain(evidence, best, rules))


def _argmax(values: Sequence[float]) -> int:
    """Index of the largest value; ties go to the earlier (configured) section."""
    return max(range(len(values)), key=lambda k: (values[k], -k))


def explain(evidence: Evidence, best: int, rules: tuple[str, ...]) -> tuple[str, ...]:
    """The cues for the chosen class first (strongest first), then the rules, then competing cues."""
    ordered = sorted((c for c in evidence.cues if c.weight > 0), key=lambda c: (c.label != best, -c.weight))
    mine = [c.evidence for c in ordered if c.label == best and c.evidence]
    rest = [c.evidence for c in ordered if c.label != best and c.evidence]
    return tuple(dict.fromkeys([*mine, *rules, *rest]))[:MAX_EVIDENCE]


def _add(target: list[float], vote: Sequence[float], weight: float) -> None:
    for k, v in enumerate(vote):
        target[k] += weight * v


# --- own evidence --------------------------------------------------------------------


def sentence_evidence(lexicon: Lexicon, text: str, learned: Learned | None = None) -> Evidence:
    """Every cue the sentence holds (terms, patterns, states, the model's), summed per class."""
    tokens = tokenize(text)
    relations = relation_spans(lexicon, text, tokens)
    share = clause_shares(tokens)
    cues = [*term_cues(lexicon, tokens, share, relations), *pattern_cues(lexicon, text, share), *state_cues(lexicon, text),
            *relation_cues(lexicon, relations), *model_cues(lexicon, text, learned)]
    scores = [0.0] * len(lexicon.ids)
    for cue in cues:
        scores[cue.label] += cue.weight
    return Evidence(tuple(scores), tuple(cues))


def term_cues(lexicon: Lexicon, tokens: Sequence[str], share: Callable[[int], float],
              relations: Sequence[Span] = ()) -> list[Cue]:
    """Matched terms, at their ``share`` in a background clause (``clause_shares``); another
    class's terms later in a frame's clause (or inside a relation's span) keep only part of
    their weight and give the rest to the frame's class."""
    matches = match_terms(lexicon, tokens)
    covered = {p: {c.label for c in cues} for start, length, cues in matches for p in range(start, start + length)}
    # a frame word inside another section's phrase ("foreign policy") governs nothing, nor
    # one whose clause already has another section's subject ("The Supreme Court agreed to")
    frames = [Span(start + 1, _clause_end(tokens, start), label, f"frame:{name}") for start, label, name in match_frames(lexicon, tokens)
              if label in covered.get(start, {label}) and not _other_subject(matches, tokens, start, label)]
    frames.extend(span for span in relations if span.strength == 1.0)
    found: list[Cue] = []
    for start, _, cues in matches:
        for cue in cues:
            cue = replace(cue, weight=cue.weight * share(start))
            frame = next(((f.label, f.name) for f in frames if f.start <= start < f.end and f.label != cue.label), None)
            if frame is None:
                found.append(cue)
                continue
            kept = cue.weight * FRAME_DISCOUNT
            found.append(replace(cue, weight=kept))
            found.append(Cue(frame[0], cue.weight - kept, f"{frame[1]}({lexicon.ids[frame[0]]})"))
    return found


def _other_subject(matches: Sequence[tuple[int, int, tuple[Cue, ...]]], tokens: Sequence[str], frame: int,
                   label: int) -> bool:
    """Whether the frame's clause, before the frame, holds a decisive term of another class."""
    opening = max((i + 1 for i in range(frame) if tokens[i] == CLAUSE), default=0)
    before: dict[int, float] = {}
    for start, _, cues in matches:
        if opening <= start < frame:
            for cue in cues:
                before[cue.label] = before.get(cue.label, 0.0) + cue.weight
    return any(weight >= FRAME_SUBJECT for other, weight in before.items() if other != label)


def clause_shares(tokens: Sequence[str]) -> Callable[[int], float]:
    """The share of its weight a cue starting at a token keeps: ``BACKGROUND`` in an opening
    background clause, ``TRAILING_BACKGROUND`` in a closing one, all of it in the main clause."""
    background = _fronted_clause_end(tokens)
    trailing = _trailing_clause_start(tokens, background)
    return lambda start: BACKGROUND if start < background else TRAILING_BACKGROUND if start >= trailing else 1.0


def pattern_cues(lexicon: Lexicon, text: str, share: Callable[[int], float]) -> list[Cue]:
    """Matched patterns, discounted in a background clause as terms are (``share`` of the
    token a match starts at): "... after a drone strike killed seven" tells why the main
    event happened, not what it was."""
    found = []
    for pattern, cue in lexicon.patterns:
        match = pattern.search(text)
        if match:
            found.append(replace(cue, weight=cue.weight * share(len(tokenize(text[:match.start()])))))
    return found


def state_cues(lexicon: Lexicon, text: str) -> list[Cue]:
    """Evidence for each class that counts states, per distinct state named beyond the first
    (a wire dateline, "NAIROBI, Kenya -", says where the reporter was, not who acted)."""
    named = [s for s in states_named(text[_dateline_end(text):]) if s not in _bodies()] if lexicon.states else []
    extra = min(len(named) - 1, MAX_EXTRA_STATES)
    if extra < 1:
        return []
    return [Cue(label, extra * weight, f"states:{'+'.join(named)}({lexicon.ids[label]})")
            for label, weight in lexicon.states]


def states_named(text: str) -> list[str]:
    """The distinct states (and international bodies) a sentence names, in order of first mention."""
    aliases, pattern = _gazetteer()
    return list(dict.fromkeys(aliases[m.group(1)] for m in pattern.finditer(text)))


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) whose other sections' terms count mostly for ``label``."""

    start: int
    end: int
    label: int
    name: str
    strength: float = 1.0  # a relation's share of the full relation cue; frames have 1.0


def relation_spans(lexicon: Lexicon, text: str, tokens: Sequence[str]) -> list[Span]:
    """Where a named state acts on another: from the actor (or from the verb, when the acted-on
    is a foreign role: "met Israeli Prime Minister ...") to the end of the verb's clause, or
    only the actor and its verb for a reporting verb. A bare acting role ("Iraqi prime
    minister") is a weaker relation that governs nothing. Empty unless the sentence names two
    actors and a section counts states."""
    skip = _dateline_end(text)
    if not lexicon.states or len(states_named(text[skip:])) < 2:
        return []
    acting, acted_on, speech = _relation_patterns()
    others = set(states_named(text[skip:]))
    found = chain(((m, _acting_kind(m)) for m in acting.finditer(text, skip)),
                  ((m, "verb") for m in acted_on.finditer(text, skip) if others - {_actor(m)}))
    spans: list[Span] = []
    # a bounded number of relations, each looking at a bounded window, keeps it linear
    for match, kind in islice(((m, k) for m, k in found if k is not None), MAX_RELATIONS):
        start = len(tokenize(text[:match.start()]))
        end = len(tokenize(text[:match.end()]))
        if kind == "verb" and match.group("verb").lower() not in speech:
            end = max(end, _clause_end(tokens, start + 1))
        name = " ".join(match.group(0).split()[-4:])
        strength = 1.0 if kind == "verb" else ROLE_ONLY
        spans.extend(Span(start, end, label, f"relation:{name}", strength) for label, _ in lexicon.states)
    return spans


def _dateline_end(text: str) -> int:
    """Where a wire story's dateline ("NAIROBI, Kenya -- ", "JERUSALEM (Reuters) - ") ends; 0 without one."""
    match = _DATELINE.match(text)
    return match.end() if match else 0


def _actor(match: re.Match[str]) -> str:
    return _gazetteer()[0][match.group("actor")]


def _acting_kind(match: re.Match[str]) -> str | None:
    """"verb" when an actor's verb reaches another actor (its object, or a partner in a joint
    subject: "India and Pakistan agreed"), "role" for an acting role that is its clause's
    subject ("The Japanese government ..."), else None."""
    text, actor = match.string, _actor(match)
    window = slice(max(0, match.start() - WINDOW), match.end() + WINDOW)
    before, after = text[window.start:match.start()], text[match.end():window.stop]
    if match.group("verb"):
        ahead = _words_in_clause(after, RELATION_REACH)
        behind = " ".join(before.split()[-3:]) + " " + match.group(0)
        if _other_actor(ahead, actor) or (" and " in f" {behind} " and _other_actor(behind, actor)):
            return "verb"
    if match.group("role") and len(_CLAUSE_BREAK.split(before)[-1].split()) <= RELATION_GAP:
        return "role"
    return None


def _words_in_clause(text: str, count: int) -> str:
    """The first ``count`` words of ``text`` that come before its first clause break."""
    brk = _CLAUSE_BREAK.search(text)
    return " ".join((text[:brk.start()] if brk else text).split()[:count])


def _other_actor(text: str, actor: str) -> bool:
    aliases, pattern = _gazetteer()
    return any(aliases[m.group(1)] != actor for m in pattern.finditer(text))


def relation_cues(lexicon: Lexicon, spans: Sequence[Span]) -> list[Cue]:
    """The sentence's strongest relation, as evidence for each class that counts states."""
    best = {span.label: span for span in sorted(spans, key=lambda s: s.strength)}
    return [Cue(label, RELATION * weight * best[label].strength, f"{best[label].name}({lexicon.ids[label]})")
            for label, weight in lexicon.states if label in best]


def model_cues(lexicon: Lexicon, text: str, learned: Learned | None) -> list[Cue]:
    """``weight × P(section)`` for every configured section the model was trained on (for
    "other", ``MODEL_OTHER_SHARE`` of that), shown with the stems that pushed towards it
    ("model:envoy,summon(diplomacy 0.91)")."""
    if learned is None or not learned.weight:
        return []
    probabilities = learned.model.probabilities(text)
    cues = []
    for label, sid in enumerate(lexicon.ids):
        p = probabilities.get(sid)
        if p is not None:
            weight = learned.weight * (MODEL_OTHER_SHARE if label == lexicon.other else 1.0)
            cues.append(Cue(label, weight * p, model_evidence(learned, text, sid, p)))
    return cues


def model_evidence(learned: Learned, text: str, sid: str, p: float) -> str:
    """How the model leaned, for ``classify --json``: nothing for a class it gives little
    chance, the stems that pushed hardest for a class it favours."""
    if p < MODEL_SHOWN:
        return ""
    why = ",".join(learned.model.strongest(text, sid)) if p >= 0.5 else ""
    return f"model:{why}({sid} {p:.2f})" if why else f"model({sid} {p:.2f})"


def tokenize(text: str) -> list[str]:
    """Lower-cased stems of every word, hyphenated words split, acronyms undotted ("U.N." is
    "un"), stop words kept (phrases need them), and a CLAUSE mark where a clause ends, so
    that neither a phrase nor a frame reaches across a comma."""
    tokens: list[str] = []
    for clause in _CLAUSE_BREAK.split(text):
        if tokens and tokens[-1] != CLAUSE:
            tokens.append(CLAUSE)
        tokens.extend(_stem(part.replace(".", "")) for word in nlp.words(clause)
                      for part in _HYPHENS.split(word.lower()) if part.strip("."))
    return tokens


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return nlp.stemmer().stem(word)


def match_terms(lexicon: Lexicon, tokens: Sequence[str]) -> list[tuple[int, int, tuple[Cue, ...]]]:
    """Non-overlapping phrase matches, scanning left to right and taking the longest at each place."""
    found: list[tuple[int, int, tuple[Cue, ...]]] = []
    i = 0
    while i < len(tokens):
        for stems, cues in lexicon.phrases.get(tokens[i], ()):
            if tuple(tokens[i:i + len(stems)]) == stems:
                found.append((i, len(stems), cues))
                i += len(stems)
                break
        else:
            i += 1
    return found


def _fronted_clause_end(tokens: Sequence[str]) -> int:
    """End of an opening subordinate clause ("Hours before the summit opened, ..."), which
    news writing uses for background, not for the main event; 0 when there is none."""
    end = _clause_end(tokens, 0)
    if end < len(tokens) and any(t in _stem_set(SUBORDINATORS) for t in tokens[:min(end, 3)]):
        return end
    return 0


def _trailing_clause_start(tokens: Sequence[str], main_clause: int = 0) -> int:
    """Start of a closing background clause ("..., after three weeks of clashes that killed
    hundreds"): the cause or setting of the main event, not the event; ``len(tokens)`` when
    there is none. Looked for only once the main clause, which begins at ``main_clause``
    (after any opening background clause), has begun: a second "after" inside an opening
    clause ("Hours after the talks ended after midnight, ...") closes nothing."""
    stems = _stem_set(TRAILING_SUBORDINATORS)
    first = main_clause + MAIN_CLAUSE_START
    return next((i for i in range(first, len(tokens)) if tokens[i] in stems), len(tokens))


@lru_cache(maxsize=2)
def _stem_set(words: tuple[str, ...]) -> frozenset[str]:
    """The stems of one of the module's word lists, made once per list."""
    return frozenset(map(_stem, words))


def _clause_end(tokens: Sequence[str], start: int) -> int:
    """Where the clause holding ``start`` ends: a frame governs only its own clause."""
    return next((i for i in range(start, len(tokens)) if tokens[i] == CLAUSE), len(tokens))


def match_frames(lexicon: Lexicon, tokens: Sequence[str]) -> list[tuple[int, int, str]]:
    return [
        (i, label, name)
        for i, token in enumerate(tokens)
        for stems, label, name in lexicon.frames.get(token, ())
        if tuple(tokens[i:i + len(stems)]) == stems
    ]


# --- tables --------------------------------------------------------------------------


def lexicon_for(sections: Sequence[SectionDef]) -> Lexicon:
    """The cached tables for this section set (built once per distinct set of definitions)."""
    return _build_lexicon(tuple(Spec.of(s) for s in sections))


@dataclass(frozen=True)
class Spec:
    """A section definition in hashable form, the cache key of its tables."""

    id: str
    terms: tuple[tuple[str, Any], ...] = ()
    patterns: tuple[tuple[str, Any], ...] = ()
    frames: tuple[str, ...] = ()
    states: float = 0.0

    @classmethod
    def of(cls, section: SectionDef) -> Spec:
        return cls(section.id, tuple(section.terms.items()), tuple(section.patterns.items()),
                   tuple(section.frames), section.states)

    def extended(self, other: Spec) -> Spec:
        return Spec(self.id, (*self.terms, *other.terms), (*self.patterns, *other.patterns),
                    (*self.frames, *other.frames), other.states or self.states)


@lru_cache(maxsize=16)
def _build_lexicon(specs: tuple[Spec, ...]) -> Lexicon:
    """Configured sections in order, then "other" (the built-in lexicon extended by any user
    section with id "other"); "other" terms that a configured section claims are left to it."""
    configured = [s for s in specs if s.id != OTHER]
    other = _builtin_other()
    for spec in specs:
        if spec.id == OTHER:
            other = other.extended(spec)
    claimed = {_stems(term) for spec in configured for term, _ in spec.terms}
    other = replace(other, terms=tuple((t, w) for t, w in other.terms if _stems(t) not in claimed))
    entries = [*configured, other]
    phrases: dict[tuple[str, ...], list[Cue]] = {}
    frames: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
    patterns: list[tuple[re.Pattern[str], Cue]] = []
    for label, spec in enumerate(entries):
        # forms with one stem are one term; the last listed wins, as a user's extra_terms should
        by_stems = {_stems(term): (term, weight) for term, weight in spec.terms}
        for stems, (term, weight) in by_stems.items():
            if stems:
                phrases.setdefault(stems, []).append(Cue(label, _weight(spec.id, term, weight), f"term:{term}({spec.id})"))
        for name in spec.frames:
            stems = _stems(name)
            if stems:
                frames.setdefault(stems[0], []).append((stems, label, name))
        for regex, weight in spec.patterns:
            cue = Cue(label, _weight(spec.id, regex, weight), f"pattern:{regex}({spec.id})")
            patterns.append((_compile(spec.id, regex), cue))
    by_first: dict[str, list[tuple[tuple[str, ...], tuple[Cue, ...]]]] = {}
    for stems, cues in phrases.items():
        by_first.setdefault(stems[0], []).append((stems, tuple(cues)))
    return Lexicon(
        ids=tuple(spec.id for spec in entries),
        phrases={k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in by_first.items()},
        frames={k: tuple(v) for k, v in frames.items()},
        patterns=tuple(patterns),
        states=tuple((label, _weight(spec.id, "states", spec.states)) for label, spec in enumerate(entries) if spec.states),
    )


def _stems(term: str) -> tuple[str, ...]:
    return tuple(tokenize(term))


def _weight(sid: str, term: str, weight: Any) -> float:
    try:
        return float(weight)
    except (TypeError, ValueError):
        raise ConfigError(f"section {sid!r}: weight of {term!r} must be a number, not {weight!r}") from None


def _compile(sid: str, regex: str) -> re.Pattern[str]:
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ConfigError(f"section {sid!r}: invalid pattern {regex!r} ({exc})") from None


def _read_lexicon(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("briefing").joinpath(LEXICON_DIR, name).read_text("utf-8"))


@lru_cache(maxsize=1)
def _builtin_other() -> Spec:
    data = _read_lexicon(OTHER_LEXICON)
    return Spec(OTHER, tuple(data.get("terms", {}).items()), tuple(data.get("patterns", {}).items()),
                tuple(data.get("frames", ())))


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, str], re.Pattern[str]]:
    """Every name of every state and body mapped to it, and one pattern that finds them all."""
    data = _read_lexicon(STATES_LEXICON)
    aliases = {name: state for table in ("states", "bodies") for state, names in data[table].items()
               for name in (state, *names)}
    return aliases, re.compile(rf"(?<![\w-])({_alternatives(aliases)})(?!\w)")


def _alternatives(phrases: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first, any run of spaces matching a space."""
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))


@lru_cache(maxsize=1)
def _bodies() -> frozenset[str]:
    """International bodies: actors in relations, but not states to count ("the UN in Iraq")."""
    return frozenset(_read_lexicon(STATES_LEXICON)["bodies"])


@lru_cache(maxsize=1)
def _relation_patterns() -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str]]:
    """The pattern of a state acting (a named actor, optionally a role, then an interaction
    verb within a few words; or a named actor and a role), of a verb acting on a foreign
    role ("received the Iraqi prime minister"), and the reporting verbs."""
    data = _read_lexicon(STATES_LEXICON)["relations"]
    aliases, _ = _gazetteer()
    actor = rf"(?<![\w-])(?P<actor>{_alternatives(aliases)})(?:'s|\u2019s)?"
    role = rf"(?P<role>(?i:{_alternatives(data['roles'])}))\b"
    verb = rf"(?P<verb>(?i:{_alternatives(data['verbs'])}))\b"
    gap = rf"(?:\s+[\w.'\u2019-]+){{0,{RELATION_GAP}}}?"
    acting = re.compile(rf"{actor}(?:(?:\s+[\w.-]+){{0,2}}?\s+{role})?(?:{gap}\s+{verb})?")
    acted_on = re.compile(rf"(?<![\w-]){verb}\s+(?:the\s+)?{actor}(?:\s+[\w.-]+){{0,2}}?\s+{role}")
    return acting, acted_on, frozenset(v.lower() for v in data["speech"])
