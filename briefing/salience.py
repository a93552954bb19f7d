"""Our key-sentence ranker ("briefing") and the readability rule it is picked with.

Centrality is the centroid method (Radev et al., MEAD): a sentence is central when it
shares vocabulary with the rest of its story, measured as its mean cosine similarity
to the other sentences of its own article. Summed over a sentence's neighbours this is
the degree of a cosine graph, but computed against the article's centroid it costs one
pass over the term matrix, so a pool of thousands of sentences stays linear in size.
The vocabulary is the sentence's content words plus the words that attribute it ("said",
"says", "according"): news is told as who said what, so within an article a sentence
that reports a statement shares the story's most constant word with its neighbours.
A pool holds many articles, so each sentence also gets its support across the pool
(mean cosine to the other articles' sentences, attribution words left out as they are
no topic: how much of the section's news it speaks to) and a lead prior (news puts the
gist first). A sentence that is a fragment (a bullet, a heading, a stray quote mark) is
ranked last; an unattributed quotation is discounted, as a reader cannot tell whose
words they are.

Readability acts at selection time: a sentence that cannot be read without the one
before it (it opens with a pronoun, "But", "However", or a quoted "he said") is kept
only together with that sentence (``summarize.select``'s ``antecedents`` hook), and is
never kept when that sentence is not in the pool. When an opening "But" or "However,"
is all that ties a sentence to the one before, the connective goes instead (``as_read``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import sparse

from . import nlp
from .models import Sentence
from .sentences import is_sentence

__all__ = ["NAME", "Weights", "antecedents", "as_read", "salience_scores"]

NAME = "briefing"

#: Words a sentence cannot open with unless the sentence before it is there too: pronouns
#: that point back, and connectives that answer something said before.
DEPENDENT_OPENERS = frozenset({
    "he", "she", "it", "they", "his", "her", "its", "their", "him", "them",
    "this", "that", "these", "those",
    "but", "however", "and", "yet", "so", "still", "instead", "moreover", "furthermore",
    "nevertheless", "nonetheless", "therefore", "thus", "hence", "besides", "otherwise",
    # news is not written in the first person: a sentence opening so is somebody's words,
    # a quotation carried on from an earlier sentence that named the speaker
    "i", "we", "you", "my", "our", "me", "us",
})
#: Stop words (sumy's list) that attribute a statement: they count as content words for
#: centrality within an article, not for support across the pool (every story has them).
ATTRIBUTION_WORDS = frozenset({"say", "says", "said", "saying", "tell", "according"})
#: Connectives that only link to what came before and can go without changing what the
#: sentence says: "But ministers insisted ..." reads on its own as "Ministers insisted ...".
_DROPPABLE_CONNECTIVE = re.compile(
    r"^(?:but|however|and|moreover|furthermore|nevertheless|nonetheless)\b,?\s+(?=\w)", re.IGNORECASE
)
#: "This year", "That week": demonstratives of time point nowhere.
_TIME_DEMONSTRATIVE = re.compile(
    r"^\W*(?:this|that|these|those)\s+(?:year|week|month|morning|afternoon|evening|weekend|"
    r"time|spring|summer|autumn|winter|term|season|decade|century)\b",
    re.IGNORECASE,
)
#: A whole quotation, or an unclosed one running to the sentence's end (pysbd cuts long
#: quotations into sentences, so an opening mark may be closed only in the next one).
_QUOTED = re.compile(r"[\"“][^\"”]*(?:[\"”]|$)")
#: A quotation mark then a space cannot open a quotation: it closes one from the sentence
#: before, left at the start of this one when the splitter cut after its full stop.
_STRAY_CLOSING_QUOTE = re.compile(r"^[\"”]\s+(?=\S)")
_TERMINAL = re.compile(r"[.!?…][\"”’')\]]*$")
_FIRST_WORD = re.compile(r"[^\W_]+")

# Who "he" or "she" is: the person the sentence before names, as news names them.
_MALE_TITLES = frozenset({"Mr", "Lord", "Sir", "Prince", "King"})
_FEMALE_TITLES = frozenset({"Ms", "Mrs", "Miss", "Lady", "Baroness", "Dame", "Queen", "Princess"})
_OTHER_TITLES = frozenset({
    "Dr", "Prof", "Professor", "Gen", "General", "Col", "Capt", "Rev", "Sen", "Senator", "President", "Judge",
    "Chancellor", "Minister", "Premier", "Governor", "Secretary", "Mayor", "Ambassador", "Commissioner",
})
_TITLES = _MALE_TITLES | _FEMALE_TITLES | _OTHER_TITLES
#: Capitalised words that are not people: sentence openers, days and months, institutions,
#: party labels ("Lib Dem spokesman Mark Oaten": the person is the last name, not the first).
_NOT_NAMES = frozenset({
    "The", "A", "An", "In", "On", "At", "As", "After", "Before", "When", "While", "But", "However",
    "And", "It", "He", "She", "They", "We", "I", "This", "That", "There", "These", "Those",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
    "February", "March", "September", "October", "November", "December", "Party", "Government",
    "Ministry", "Department", "Office", "Council", "Committee", "Commission", "Union", "Court",
    "Police", "Parliament", "Assembly", "Executive", "Cabinet", "Treasury", "Trust", "Association",
    "Society", "Institute", "Foundation", "Group", "Agency", "Service", "Board", "Authority",
    "Bank", "Campaign", "Federation", "Congress", "Senate", "House", "Street", "News", "Radio",
    "Labour", "Conservative", "Conservatives", "Tory", "Tories", "Liberal", "Democrat", "Democrats",
    "Democratic", "Republican", "Republicans", "Lib", "Dem", "Dems", "Green", "Socialist", "Shadow",
    "Chief", "First", "Former",
})
#: Nouns naming a role a person holds: "the Tory leader", "the prime minister's spokesman".
_ROLE = (
    r"(?:leader|chancellor|minister|secretary|spokesman|spokeswoman|spokesperson|president|premier|chairman|"
    r"chairwoman|chair|chief|director|mayor|governor|ambassador|envoy|commissioner|commander|candidate|"
    r"senator|speaker|official|judge|peer|MP|MEP)"
)
_CAPITALISED = r"[A-Z](?=[\w'’-]*[a-z])(?:[\w-]|['’](?!s\b))*\b(?!['’]s\b)"
_NAME = (
    rf"(?:(?P<title>{'|'.join(sorted(_TITLES, key=len, reverse=True))})\.?\s+)?"
    rf"(?P<name>{_CAPITALISED}(?:\s+(?:(?:de|van|von|al|bin|da|du|le|of)\s+)?{_CAPITALISED}){{0,2}})"
)
_ATTRIBUTING = (
    r"(?:said|says|told|tells|added|adds|argued|argues|insisted|insists|warned|warns|stressed|claimed|claims|"
    r"admitted|denied|explained|suggested|suggests|wrote|writes|announced)"
)
#: What follows a subject: a lower-case word that is no conjunction, preposition or role
#: ("Home Affairs spokesman Mark Oaten": "Home Affairs" is no subject).
_PREDICATE = rf"\s+(?!(?:and|or|of|to|for|in|on|at|{_ROLE})\b)[a-z]"
_APPOSITION = r",[^,\"“”]{2,120},"
#: What may come before a sentence's subject: a connective, or a phrase set off by a comma
#: ("Speaking in Cardiff, Mr Jones said ...").
_OPENING_PHRASE = re.compile(
    r"^\W*(?:(?:But|And|However|Meanwhile|Earlier|Later|Now|Yet|Separately|Also)\b,?\s+)?"
    r"(?:(?:In|On|At|During|After|Before|Speaking|Turning|Asked|Writing|Responding|Addressing|Launching|Last|"
    r"Since|While|When|Following|Despite|As)\b[^,\"“”]{0,80},\s+)?"
)
#: A name followed by what it does: "Mr Howard acknowledged ...", "Lisa Power, head of
#: policy at the trust said ...".
_NAME_THEN_PREDICATE = re.compile(
    rf"(?<![\w'’]){_NAME}(?:(?:{_APPOSITION})?{_PREDICATE}|,\s[^,\"“”]{{2,120}}?\s{_ATTRIBUTING}\b)"
)
_ROLE_SUBJECT = re.compile(rf"(?P<role>[Tt]he\s+(?:[\w'’-]+\s+){{0,3}}?{_ROLE})(?:{_APPOSITION})?{_PREDICATE}")
#: Whom a sentence quotes: '"...," Mr Smith said.', '..., said Ms Jones.'
_SPEAKER_BEFORE = re.compile(rf"(?<![\w'’]){_NAME}(?:{_APPOSITION})?\s+(?:has\s+|had\s+|also\s+)?{_ATTRIBUTING}\b")
_SPEAKER_AFTER = re.compile(rf"\b{_ATTRIBUTING}\s+{_NAME}\s*(?:[.,;:]|$)")
#: Words that end a subject: once one is passed, a later name is not the sentence's subject.
_CLAUSE_WORDS = frozenset({
    "said", "says", "has", "have", "had", "is", "was", "were", "are", "will", "would", "told", "and",
})
_ARTICLES = frozenset({"the", "a", "an"})
_SUBJECT_PRONOUNS = frozenset({"he", "she"})
#: How far back a run of "He ..." sentences is followed to the one that names him.
_PRONOUN_CHAIN = 3


@dataclass(frozen=True)
class Weights:
    """How the signals combine; chosen on the development half of the BBC data (README).
    The lead prior is the largest of the weights that tie there (0.05 to 0.2): a briefing
    picks a few sentences from many stories, and a story's gist is in its first lines."""

    support: float = 0.2  # weight of support across the pool, against centrality in the article
    lead: float = 0.2  # a sentence at position p gains a share lead / (1 + p) of its score
    unattributed_quote: float = 0.2  # share of its score an unattributed quotation loses


WEIGHTS = Weights()


def salience_scores(sentences: Sequence[Sentence], weights: Weights = WEIGHTS) -> list[float]:
    """The ``briefing`` score of every sentence of a pool, in input order."""
    if not sentences:
        return []
    counts, attribution = term_matrix(sentences)
    units = unit_rows(counts)
    articles = article_numbers(sentences)
    centrality = relative_to_article_mean(
        mean_similarity_within(units, articles, article_centroids(units, articles)), articles
    )
    topical = unit_rows(without_columns(counts, attribution))
    support = relative_to_mean(mean_similarity_across(topical, articles, article_centroids(topical, articles)))
    lead = np.array([1.0 / (1 + s.index) for s in sentences])
    quoted = np.array([is_unattributed_quote(s.text) for s in sentences], dtype=float)
    scores = (
        (centrality + weights.support * support)
        * (1 + weights.lead * lead)
        * (1 - weights.unattributed_quote * quoted)
    )
    fragment = np.array([is_fragment(s.text) for s in sentences])
    # below every real sentence (those score 0 or more), still in their own order
    scores[fragment] = scores[fragment] / (1 + scores.max()) - 2
    return scores.tolist()


@lru_cache(maxsize=nlp.TOKEN_CACHE_SIZE)
def topical_stems(text: str) -> tuple[tuple[str, int], ...]:
    """Stems of the words that carry a sentence's topic or attribute it, with their counts:
    other stop words go, and so do numbers ("2007", "£1,400" seldom recur as the same
    token; sumy's own tokenizer drops them too). Remembered, as wire copy repeats across
    outlets."""
    stop = content_stop_words()
    lowered = (word.lower() for word in nlp.words(text) if word[0].isalpha())
    return tuple(Counter(nlp.stem_word(word) for word in lowered if word not in stop).items())


@lru_cache(maxsize=1)
def content_stop_words() -> frozenset[str]:
    return nlp.stop_words() - ATTRIBUTION_WORDS


@lru_cache(maxsize=1)
def attribution_stems() -> frozenset[str]:
    return frozenset(nlp.stem_word(word) for word in ATTRIBUTION_WORDS)


def term_matrix(sentences: Sequence[Sentence]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Counts of every sentence's topical stems, one row per sentence, and which columns
    are attribution stems."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    counts: list[int] = []
    for row, sentence in enumerate(sentences):
        for stem, count in topical_stems(sentence.text):
            rows.append(row)
            columns.append(vocabulary.setdefault(stem, len(vocabulary)))
            counts.append(count)
    shape = (len(sentences), max(len(vocabulary), 1))
    attribution = np.zeros(shape[1], dtype=bool)
    attribution[[column for stem, column in vocabulary.items() if stem in attribution_stems()]] = True
    return sparse.csr_matrix((np.array(counts, dtype=float), (rows, columns)), shape=shape), attribution


def without_columns(matrix: sparse.csr_matrix, dropped: np.ndarray) -> sparse.csr_matrix:
    return sparse.csr_matrix(matrix @ sparse.diags((~dropped).astype(float)))


def unit_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to length 1, so dot products are cosines; empty rows stay empty."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


def article_numbers(sentences: Sequence[Sentence]) -> np.ndarray:
    """A small integer per article, in order of first appearance."""
    numbers: dict[str, int] = {}
    return np.array([numbers.setdefault(s.article_id, len(numbers)) for s in sentences])


def article_centroids(units: sparse.csr_matrix, articles: np.ndarray) -> sparse.csr_matrix:
    """One row per article: the sum of its sentences' unit vectors."""
    membership = sparse.csr_matrix((np.ones(len(articles)), (articles, np.arange(len(articles)))))
    return sparse.csr_matrix(membership @ units)


def dot_with_own_centroid(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Each sentence's dot product with its article's centroid, read term by term off
    the sentence's own non-zero entries (no pool-sized dense product)."""
    entries = units.tocoo()
    matching = np.asarray(centroids[articles[entries.row], entries.col]).ravel()
    return np.bincount(entries.row, weights=entries.data * matching, minlength=units.shape[0])


def mean_similarity_within(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Mean cosine of each sentence to the other sentences of its article: its dot
    product with the article's centroid, less its own (1, or 0 for an empty row)."""
    own = np.asarray(units.multiply(units).sum(axis=1)).ravel()
    others = np.bincount(articles)[articles] - 1
    return (dot_with_own_centroid(units, articles, centroids) - own) / np.maximum(others, 1)


def mean_similarity_across(units: sparse.csr_matrix, articles: np.ndarray, centroids: sparse.csr_matrix) -> np.ndarray:
    """Mean cosine of each sentence to the sentences of every other article in the pool
    (zero when the pool is one article)."""
    pool_centroid = np.asarray(centroids.sum(axis=0)).ravel()
    toward_pool = units @ pool_centroid
    toward_own = dot_with_own_centroid(units, articles, centroids)
    others = len(articles) - np.bincount(articles)[articles]
    return np.where(others > 0, (toward_pool - toward_own) / np.maximum(others, 1), 0.0)


def relative_to_article_mean(values: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """Values over their article's mean: how central a sentence is for its story, on a
    scale that lets a 3-sentence brief and a 40-sentence feature share one pool."""
    totals = np.bincount(articles, weights=values)
    means = totals / np.bincount(articles)
    means[means <= 0] = 1.0
    return values / means[articles]


def relative_to_mean(values: np.ndarray) -> np.ndarray:
    mean = values.mean()
    return values / mean if mean > 0 else values


def is_fragment(text: str) -> bool:
    """Not a sentence a reader can take on its own: too short, or no closing punctuation
    (list items, headings, text cut off by a bad split)."""
    return not is_sentence(text) or not _TERMINAL.search(text.strip())


def without_stray_quote(text: str) -> str:
    return _STRAY_CLOSING_QUOTE.sub("", text)


def unquoted(text: str) -> str:
    return _QUOTED.sub(" ", without_stray_quote(text))


def first_word(text: str) -> str:
    """The first run of letters or digits as written ("" if none): enough to tell an
    opening pronoun, and cheap, as it runs on every sentence of the pool."""
    match = _FIRST_WORD.search(text)
    return match.group() if match else ""


def points_back(word: str) -> bool:
    """A pronoun or connective that answers the sentence before; a word in capitals is an
    acronym ("US officials say ..."), not the pronoun "us"."""
    return word.lower() in DEPENDENT_OPENERS and not (len(word) > 1 and word.isupper())


def is_unattributed_quote(text: str) -> bool:
    """All quotation, no speaker: the words are someone's, but whose is elsewhere."""
    return bool(_QUOTED.search(text)) and not first_word(unquoted(text))


def leans_on_previous(text: str) -> bool:
    """Whether the sentence cannot be read without the one before it.

    Outside its quotations, it opens with a pronoun or a connective ("He said: ...",
    '"...," she added', "But ..."); a sentence that is all quotation is judged by the
    quotation's own first word ('"We will ..."': who are "we"?).
    """
    outside = unquoted(text)
    if not first_word(outside):
        outside = without_stray_quote(text)
    return points_back(first_word(outside)) and not _TIME_DEMONSTRATIVE.match(outside)


def without_connective(text: str) -> str | None:
    """The sentence without its opening "But"/"However," when it then stands on its own,
    else None: the connective is the only thing tying it to the sentence before."""
    match = _DROPPABLE_CONNECTIVE.match(text)
    if not match:
        return None
    rest = text[match.end():]
    rest = rest[0].upper() + rest[1:]
    return None if leans_on_previous(rest) else rest


def needs_previous(text: str) -> bool:
    return leans_on_previous(text) and without_connective(text) is None


Positions = dict[tuple[str, int], Sentence]


def by_position(sentences: Sequence[Sentence]) -> Positions:
    return {(s.article_id, s.index): s for s in sentences}


def standing_alone(sentence: Sentence, pool: Positions) -> str | None:
    """The sentence as it reads without the one before it: unchanged when it does not
    lean on it, without its opening connective, or with its opening "he"/"she" replaced
    by the person the sentences before name; None when none of these works."""
    text = without_stray_quote(sentence.text)
    if not leans_on_previous(text):
        return text
    dropped = without_connective(text)
    if dropped is not None:
        return dropped
    connective = _DROPPABLE_CONNECTIVE.match(text)
    rest = text[connective.end():] if connective else text
    pronoun = opening_pronoun(rest)
    if pronoun is None:
        return None
    person = person_meant(sentence, pronoun.group().lower(), pool)
    if person is None:
        return None
    named = rest[: pronoun.start()] + (person[0].upper() + person[1:] if pronoun.start() == 0 else person)
    named += rest[pronoun.end():]
    named = named[0].upper() + named[1:]
    return None if needs_previous(named) else named


def opening_pronoun(text: str) -> re.Match[str] | None:
    """The opening "he" or "she" outside quotations ("He said ...", '"...," she added').."""
    word = first_word_outside_quotes(text)
    return word if word is not None and word.group().lower() in _SUBJECT_PRONOUNS else None


def first_word_outside_quotes(text: str) -> re.Match[str] | None:
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    return next(
        (w for w in _FIRST_WORD.finditer(text) if not any(start <= w.start() < end for start, end in quoted)), None
    )


def person_meant(sentence: Sentence, pronoun: str, pool: Positions) -> str | None:
    """Whom an opening "he"/"she" means: the person the sentence before is about, walking
    back over sentences that are all quotation or open with the same pronoun; None when
    that sentence names nobody, or a title of the other sex."""
    previous = pool.get((sentence.article_id, sentence.index - 1))
    for _ in range(_PRONOUN_CHAIN):
        if previous is None:
            return None
        text = without_stray_quote(previous.text)
        opening = first_word_outside_quotes(text)
        if opening is None or opening.group().lower() == pronoun:
            previous = pool.get((previous.article_id, previous.index - 1))
            continue
        if opening.group().lower() in _SUBJECT_PRONOUNS:
            return None
        person = person_named(text)
        if person is None or (person[1] is not None and person[1] != pronoun):
            return None
        return person[0]
    return None


def person_named(text: str) -> tuple[str, str | None] | None:
    """The person a sentence is about, as the reader should meet them ("Mr Howard", "Lisa
    Power", "the Tory leader"), and "he"/"she" when a title says which: its subject when
    that is a name or a role, else the person it quotes."""
    start = _OPENING_PHRASE.match(text).end()  # type: ignore[union-attr]  # every part is optional
    for match in _NAME_THEN_PREDICATE.finditer(text, start):
        before = text[start : match.start()].split()
        if len(before) > 5 or _CLAUSE_WORDS & {word.lower() for word in before}:
            break
        if _ARTICLES & {word.lower() for word in before} and not re.fullmatch(_ROLE, before[-1].rstrip(",")):
            continue  # "the outgoing European Commissioner": a title, not a name
        if is_name(match):
            return called(match)
    role = _ROLE_SUBJECT.match(text, start)
    if role:
        return "t" + role.group("role")[1:], None  # "the Tory leader"; capitalised where it opens
    for pattern in (_SPEAKER_BEFORE, _SPEAKER_AFTER):
        speaker = next((m for m in pattern.finditer(text) if is_name(m)), None)
        if speaker:
            return called(speaker)
    return None


def is_name(match: re.Match[str]) -> bool:
    """A title and a name, or two or three capitalised words none of which is an
    institution or an opener, and which do not end in a title ("Home Secretary")."""
    words = [w for w in match.group("name").split() if w != "of"]
    if any(w in _NOT_NAMES for w in words) or words[-1] in _TITLES:
        return False
    return bool(match.group("title")) or len(words) >= 2


def called(match: re.Match[str]) -> tuple[str, str | None]:
    """"Mr Howard" (or "Mr. Howard") with his title as written; "Alistair Darling", not
    "Secretary Alistair Darling"."""
    title, name = match.group("title"), match.group("name")
    keep_title = title and (len(name.split()) == 1 or title in _MALE_TITLES | _FEMALE_TITLES)
    sex = "he" if title in _MALE_TITLES else "she" if title in _FEMALE_TITLES else None
    return match.string[match.start("title" if keep_title else "name") : match.end("name")], sex


def antecedents(sentences: Sequence[Sentence]) -> list[int | None]:
    """For ``summarize.select``: for each sentence, the pool index of the sentence before
    it in its article when it cannot be read without that one (-1 when that sentence is
    not in the pool, so it can never be picked), None when it stands on its own (maybe
    once ``as_read`` drops its connective or names whom its "he" means)."""
    where = {(s.article_id, s.index): i for i, s in enumerate(sentences)}
    pool = by_position(sentences)
    return [
        where.get((s.article_id, s.index - 1), -1)
        if needs_previous(s.text) and standing_alone(s, pool) is None
        else None
        for s in sentences
    ]


def as_read(sentences: Sequence[Sentence], picks: Iterable[int]) -> list[Sentence]:
    """The picked sentences as the reader gets them: one whose previous sentence was not
    picked loses its opening connective, which would otherwise answer nothing, or has
    its opening "he"/"she" replaced by the name it stands for; no sentence starts with
    the closing quotation mark of the sentence before."""
    chosen = sorted(picks)
    present = {(sentences[i].article_id, sentences[i].index) for i in chosen}
    pool = by_position(sentences)
    readable: list[Sentence] = []
    for i in chosen:
        sentence = sentences[i]
        text = without_stray_quote(sentence.text)
        if (sentence.article_id, sentence.index - 1) not in present:
            text = standing_alone(sentence, pool) or text
        readable.append(sentence if text == sentence.text else replace(sentence, text=text))
    return readable
