"""Readability of extracted sentences: what a picked sentence needs to be read on its own.

A sentence that cannot be read without the one before it (it opens with a pronoun, "But",
"However", or a quoted "he said") is kept only together with that sentence
(``summarize.select``'s ``antecedents`` hook), and never when that sentence is not in the
pool. When an opening "But" or "However," is all that ties a sentence to the one before,
the connective goes instead, and an opening "He"/"She" is replaced by the person the
sentence before names (``as_read``). Fragments (bullets, headings, stray quote marks) and
unattributed quotations are recognised here for the ranker to discount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from .models import Sentence
from .sentences import ends_like_sentence, is_sentence

__all__ = ["antecedents", "as_read", "is_fragment", "is_unattributed_quote"]

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


def is_fragment(text: str) -> bool:
    """Not a sentence a reader can take on its own: too short, or no closing punctuation
    (list items, headings, text cut off by a bad split)."""
    return not is_sentence(text) or not ends_like_sentence(text)


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
