"""Readability of extracted sentences: what a picked sentence needs to be read on its own.

A sentence that cannot be read without the one before it (it opens with a pronoun, "But",
"However", or a quoted "he said") is kept only together with that sentence
(``summarize.select``'s ``antecedents`` hook), and never when that sentence is not in the
pool. When an opening "But" or "However," is all that ties a sentence to the one before,
the connective goes instead, and an opening "He"/"She" is replaced by the person the
sentence before names (``as_read``): its subject, or the one person it names when the
article's titles say that person is a "he" (or a "she"). Fragments (bullets, headings,
stray quote marks) and unattributed quotations are recognised here for the ranker to
discount. Quotations are found as news writes them: a quotation carried over several
sentences opens each with a mark and closes only the last.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from . import nlp
from .models import Sentence
from .sentences import ends_like_sentence, is_sentence

__all__ = ["antecedents", "as_read", "is_fragment", "is_unattributed_quote", "unattributed_quotes"]

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
#: Openings that look as if they point back but do not: demonstratives of time ("This
#: year", "That week"), "So far", and "it" as the empty subject of a report or judgement
#: ("It is thought that ...", "It is believed more than 270 hunts ...", "It is vital to
#: act", "It emerged that ..."). "It is thought to be ..." and "It is likely to ..." stay
#: dependent: there "it" is a thing the sentence before named.
_POINTS_NOWHERE = re.compile(
    r"^\W*(?:"
    r"(?:this|that|these|those)\s+(?:year|week|month|morning|afternoon|evening|weekend|"
    r"time|spring|summer|autumn|winter|term|season|decade|century)\b"
    r"|so\s+far\b"
    r"|it\s+(?:is|was|has\s+been|had\s+been|will\s+be|would\s+be)\s+(?:(?:not|now|also|widely|still|"
    r"generally|increasingly|already)\s+)*(?:"
    r"(?:believed|thought|understood|reported|estimated|feared|claimed|alleged|known|said|rumoured|hoped|"
    r"expected|announced|agreed|decided|confirmed|revealed|suggested|likely|unlikely)\b(?!\s+(?:to|by)\b)"
    r"|(?:clear|unclear|vital|important|necessary|essential|possible|impossible|time|true|wrong|right)\b)"
    r"|it\s+(?:seems|seemed|appears|appeared)\s+(?:\w+\s+){0,3}?that\b"
    r"|it\s+(?:(?:then|later|also|now|has|had)\s+)?(?:emerged|emerges)\b"
    r")",
    re.IGNORECASE,
)
#: A quotation mark that opens a quotation: “, or " at the start or after a space or bracket
#: and before a word. Any other " closes one. News carries a quotation over several
#: sentences by opening each with a mark and closing only the last ('... went wrong. "We
#: will ...," she said.'), so a mark that opens inside a quotation continues it.
_OPENING_QUOTE = re.compile(r"“|(?:^|(?<=[\s(\[]))\"(?=[^\s\"”])")
_QUOTE_MARK = re.compile(r"[\"“”]")
#: A quotation mark then a space cannot open a quotation: it closes one from the sentence
#: before, left at the start of this one when the splitter cut after its full stop.
_STRAY_CLOSING_QUOTE = re.compile(r"^[\"”]\s+(?=\S)")
#: How a quotation ends, to be closed again after a comma: '."', '".', '"' or '.'.
_QUOTATION_END = re.compile(r"(?:\.?[\"”]+|[\"”]*\.)$")
#: A full stop inside a quotation within the quotation: '... their own art forms.\''.
_INNER_STOP = re.compile(r"\.(['’])$")
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
_ROLE_NOUNS = (
    "leader", "chancellor", "minister", "secretary", "spokesman", "spokeswoman", "spokesperson", "president",
    "premier", "chairman", "chairwoman", "chair", "chief", "director", "mayor", "governor", "ambassador", "envoy",
    "commissioner", "commander", "candidate", "senator", "speaker", "official", "judge", "peer",
)
_ROLE = rf"(?:{'|'.join(_ROLE_NOUNS)}|MP|MEP)"
#: The same, also capitalised as a title is after "the": "the outgoing European Commissioner".
_ROLE_ANY_CASE = rf"(?:{'|'.join(f'[{n[0].upper()}{n[0]}]{n[1:]}' for n in _ROLE_NOUNS)}|MP|MEP)"
_CAPITALISED = r"[A-Z](?=[\w'’-]*[a-z])(?:[\w-]|['’](?!s\b))*\b(?!['’]s\b)"
_TITLE = rf"(?:{'|'.join(sorted(_TITLES, key=len, reverse=True))})"
#: A name, maybe after a title; a title ends the name before it ("on Wednesday Mr Straw
#: said": the name is "Mr Straw", not "Wednesday Mr Straw").
_NAME = (
    rf"(?:(?P<title>{_TITLE})\.?\s+)?"
    rf"(?P<name>{_CAPITALISED}(?:\s+(?:(?:de|van|von|al|bin|da|du|le|of)\s+)?(?!{_TITLE}\b){_CAPITALISED}){{0,2}})"
)
_ATTRIBUTING = (
    r"(?:said|says|told|tells|added|adds|argued|argues|insisted|insists|warned|warns|stressed|claimed|claims|"
    r"admitted|denied|explained|suggested|suggests|wrote|writes|announced|continued|continues|declared|replied|"
    r"replies|responded|acknowledged|conceded|urged|urges|predicted|revealed|confirmed|noted|commented|maintained|"
    r"maintains)"
)
#: What follows a subject: a lower-case word that is no conjunction, preposition or role,
#: nor a noun for a person before their name ("Home Affairs spokesman Mark Oaten", "North
#: Devon landowner Giles Bradshaw": "Home Affairs" and "North Devon" are no subjects).
_PREDICATE = rf"\s+(?!(?:and|or|of|to|for|in|on|at|{_ROLE})\b)(?![a-z]+(?:er|or|ist|ian)\s+[A-Z])[a-z]"
_APPOSITION = r",[^,\"“”]{2,120},"
#: What may come before a sentence's subject: a connective, or a phrase set off by a comma
#: ("Speaking in Cardiff, Mr Jones said ...").
_OPENING_PHRASE = re.compile(
    r"^\W*(?:(?:But|And|However|Meanwhile|Earlier|Later|Now|Yet|Separately|Also)\b,?\s+)?"
    r"(?:(?:In|On|At|During|After|Before|Speaking|Turning|Asked|Writing|Responding|Addressing|Launching|Last|"
    r"Since|While|When|Following|Despite|As)\b[^,\"“”]{0,80},\s+)?"
)
#: A name followed by what it does: "Mr Howard acknowledged ...", "Lisa Power, head of
#: policy at the trust said ...", "Simon Hart of the Countryside Alliance has questioned ...".
_NAME_THEN_PREDICATE = re.compile(
    rf"(?<![\w'’]){_NAME}(?:\s+(?:of|from|at)\s+the(?:\s+{_CAPITALISED}){{1,4}})?"
    rf"(?:(?:{_APPOSITION})?{_PREDICATE}|,\s[^,\"“”]{{2,120}}?\s{_ATTRIBUTING}\b)"
)
#: A role as the subject: "The Tory leader said ...", "The Scottish National Party's
#: parliamentary leader argued ...", "A spokesman for the Home Office defended ...", "the
#: outgoing European Commissioner said ...".
_ROLE_SUBJECT = re.compile(
    rf"(?P<role>(?:[Tt]he|[Aa])\s+(?:[\w'’-]+\s+){{0,4}}?{_ROLE_ANY_CASE}"
    rf"(?:\s+(?:for|of|at)\s+(?:the\s+)?{_CAPITALISED}(?:\s+{_CAPITALISED}){{0,3}})?)(?P<apposition>{_APPOSITION})?"
    rf"{_PREDICATE}"
)
#: A name that is all of an apposition: "The Scottish National Party's Holyrood leader, Nicola Sturgeon, ...".
_NAME_APPOSITION = re.compile(rf",\s*{_NAME}\s*,$")
#: Whom a sentence quotes: '"...," Mr Smith said.', '..., said Ms Jones.'
_SPEAKER_BEFORE = re.compile(rf"(?<![\w'’]){_NAME}(?:{_APPOSITION})?\s+(?:has\s+|had\s+|also\s+)?{_ATTRIBUTING}\b")
_SPEAKER_AFTER = re.compile(rf"\b{_ATTRIBUTING}\s+{_NAME}\s*(?:[.,;:]|$)")
#: A name with a title that gives its sex, anywhere in a sentence ("Ms Hewitt", "Lord Roberts of Conwy").
_TITLED_NAME = re.compile(
    rf"(?<![\w'’])(?P<title>{'|'.join(sorted(_MALE_TITLES | _FEMALE_TITLES, key=len, reverse=True))})\.?\s+"
    rf"(?P<name>{_CAPITALISED}(?:\s+(?:of\s+)?{_CAPITALISED}){{0,2}})"
)
_TITLED_OR_FULL_NAME = re.compile(rf"(?<![\w'’]){_NAME}")
#: Words for a person who is not named: before a name, they may be whom "he" means.
_PERSON_NOUN = re.compile(
    rf"\b(?:{_ROLE}|man|woman|men|women|boy|girl|father|mother|son|daughter|wife|husband|brother|sister|"
    r"friend|ally|aide|adviser|lawyer|solicitor|partner|colleague|member|campaigner|activist|victim)s?\b"
)
#: A pronoun that reports the sentence: "..., he said.", '"...," she added'.
_PRONOUN_SPEAKER = re.compile(rf"[,;:][\"”]?\s+(?P<pronoun>he|she)\s+(?:also\s+)?{_ATTRIBUTING}\b")
#: A role that is quoted: '"...," said the spokesman.', '"...," the Tory leader said.'
_ROLE_SPEAKER = re.compile(
    rf"(?:\b{_ATTRIBUTING}\s+(?P<role>the\s+(?:[\w'’-]+\s+){{0,3}}?{_ROLE})\s*(?:[.,;:]|$)"
    rf"|[,\"”]\s+(?P<role2>the\s+(?:[\w'’-]+\s+){{0,3}}?{_ROLE})\s+{_ATTRIBUTING}\b)"
)
#: Words that end a subject: once one is passed, a later name is not the sentence's subject.
_CLAUSE_WORDS = frozenset({
    "said", "says", "has", "have", "had", "is", "was", "were", "are", "will", "would", "told", "and",
})
_ARTICLES = frozenset({"the", "a", "an"})
_SUBJECT_PRONOUNS = frozenset({"he", "she"})
_THING_PRONOUNS = frozenset({"it", "they"})
_EITHER_SEX = re.compile(r"(?:he|she)\s+or\s+(?:he|she)\b", re.IGNORECASE)
#: Words that end a noun phrase that is a sentence's subject: auxiliaries, modals, verbs of
#: saying and common past tenses (no tagger: a phrase ends at the first word that is one).
_VERB = (
    r"(?:is|are|was|were|has|have|had|will|would|can|could|should|may|might|must|does|do|did|"
    r"say|says|said|wants|want|believes|believe|expects|expect|thinks|think|plans|hopes|hope|includes|call|calls|"
    r"urge|urges|argue|argues|warn|warns|claim|claims|insist|insists|fear|fears|accept|accepts|reject|rejects|"
    r"support|supports|oppose|opposes|demand|demands|propose|proposes|agree|agrees|need|needs|face|faces|"
    r"found|made|took|gave|came|went|saw|told|held|met|won|lost|led|left|set|put|began|became|brought|"
    r"thought|chose|wrote|spoke|rose|fell|grew|knew|paid|sent|spent|built|kept|meant|heard|got|stood|"
    rf"[a-z]+ed|{_ATTRIBUTING})"
)
#: A noun phrase as the subject, then its verb: "The Road Safety Bill, which ..., would
#: allow ...", "Opponents say ...", "Experts studying the seas off Scotland have ...".
_NOUN_SUBJECT = re.compile(
    rf"(?P<phrase>(?:(?:The|the|A|a|An|an)\s+)?(?:[\w'’-]+\s+){{0,7}}?[\w'’-]+)(?:{_APPOSITION})?"
    rf"(?:\s+(?:also|now|still|already|then|have\s+long|has\s+long))?\s+{_VERB}\b"
)
#: The body quoted: '"...," the MPs said.', '..., the report warned.'
_BODY_SPEAKER = re.compile(
    rf"(?:[,:;][\"”]?|[\"”])\s+(?P<phrase>(?:[\w'’-]+\s+){{0,4}}?[\w'’-]+)\s+(?:has\s+|have\s+|also\s+)?"
    rf"{_ATTRIBUTING}\b"
)
#: A passive verb after the subject: "The decision was ratified ..." (what "it" means next is unclear).
_PASSIVE = re.compile(
    r"(?:,[^,]*,)?\s+(?:is|are|was|were|be|been|being|has\s+been|have\s+been|had\s+been|will\s+be|would\s+be)"
    r"\s+(?:[a-z]+ed|made|held|given|taken|seen|known|found|built|set|put|brought|told|won|lost|paid|sent|spent|kept|"
    r"led|left|met|shown|done|chosen|written|said)\b"
)
#: "It" as the event itself: "It was the first time ...", "It comes after ...", "It could take years".
_EVENT_IT = re.compile(
    r"^\W*it\s+(?:(?:is|was|will\s+be|would\s+be|'s)\s+(?:not\s+)?(?:the\s+|a\s+|an\s+)?(?:only\s+)?"
    r"(?:first|second|third|fourth|fifth|latest|last|only|next|\d+(?:st|nd|rd|th))\b"
    r"|(?:(?:could|would|will|may|might|can)\s+)?(?:comes?|came|follows?|followed|means?|meant|marks?|marked|takes?|"
    r"took|happened|happens)\b)",
    re.IGNORECASE,
)
#: First words of a noun phrase that itself points back ("This plan", "Their opponents").
_POINTING_DETERMINERS = frozenset({
    "this", "that", "these", "those", "its", "their", "his", "her", "such", "another", "other", "others",
    "it", "they", "he", "she", "we", "i", "you",
})
#: A plural head noun: "-s" but not "-ss", "-us", "-is" or a possessive; a few without "-s".
_PLURAL_NOUN = re.compile(r"[\w'’-]*[^sui'’]s|people|police|men|women|children", re.IGNORECASE)
#: What follows a noun phrase's head: "The plight [of the infected women]", "Experts [studying the seas]".
_PREPOSITION_TAIL = re.compile(r"\s+(?:of|for|in|from|at|on|with|to|by|over|against|under|[a-z]+ing)\s.*$")
#: A time at the end of a subject, which the sentence after may not share: "... John Redwood on Thursday".
_TIME_AFTER_PHRASE = re.compile(
    r"\s+(?:(?:on|last|this|earlier)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|week|month|"
    r"year|night)|yesterday)$"
)
#: How far back a run of "He ..." (or "It ...", or quotation) sentences is followed to the
#: one that names whom (or what) it is about.
_PRONOUN_CHAIN = 3


def is_fragment(text: str) -> bool:
    """Not a sentence a reader can take on its own: too short, or no closing punctuation
    (list items, headings, text cut off by a bad split)."""
    return not is_sentence(text) or not ends_like_sentence(text)


def without_stray_quote(text: str) -> str:
    return _STRAY_CLOSING_QUOTE.sub("", text)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Where the quotations are, marks included: each from an opening mark to the next
    closing one, or to the end when it is never closed (pysbd cuts long quotations into
    sentences, so an opening mark may be closed only in the next one)."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for mark in _QUOTE_MARK.finditer(text):
        opening = _OPENING_QUOTE.match(text, mark.start()) is not None
        if start is None and opening:
            start = mark.start()
        elif start is not None and not opening:
            spans.append((start, mark.end()))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def unquoted(text: str) -> str:
    text = without_stray_quote(text)
    kept, end = [], 0
    for start, stop in quoted_spans(text):
        kept.append(text[end:start])
        end = stop
    return " ".join([*kept, text[end:]])


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
    return bool(quoted_spans(text)) and not first_word(unquoted(text))


def leans_on_previous(text: str) -> bool:
    """Whether the sentence cannot be read without the one before it.

    Outside its quotations, it opens with a pronoun or a connective ("He said: ...",
    '"...," she added', "But ..."); a sentence that is all quotation is judged by the
    quotation's own first word ('"We will ..."': who are "we"?).
    """
    outside = unquoted(text)
    if not first_word(outside):
        outside = without_stray_quote(text)
    return points_back(first_word(outside)) and not _POINTS_NOWHERE.match(outside)


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


class Positions:
    """The pool's sentences by article and position, and what each article says of its
    people: whether the title it gives a surname is a man's or a woman's ("Ms Hewitt"),
    read once per article when first asked."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self._at = {(s.article_id, s.index): s for s in sentences}
        self._texts: dict[str, list[str]] = defaultdict(list)
        for sentence in sentences:
            self._texts[sentence.article_id].append(sentence.text)
        self._sexes: dict[str, dict[str, str | None]] = {}

    def get(self, position: tuple[str, int]) -> Sentence | None:
        return self._at.get(position)

    def sexes(self, article_id: str) -> dict[str, str | None]:
        """Each titled name's words to "he" or "she"; None for a word the article gives
        both ("Mr and Mrs Howard")."""
        if article_id not in self._sexes:
            found: dict[str, str | None] = {}
            for text in self._texts[article_id]:
                for match in _TITLED_NAME.finditer(text):
                    sex = called(match)[1]
                    for word in match.group("name").split():
                        if word != "of" and sex is not None:
                            found[word] = sex if found.get(word, sex) == sex else None
            self._sexes[article_id] = found
        return self._sexes[article_id]


def by_position(sentences: Sequence[Sentence]) -> Positions:
    return Positions(sentences)


def standing_alone(sentence: Sentence, pool: Positions) -> str | None:
    """The sentence as it reads without the one before it: unchanged when it does not
    lean on it, without its opening connective, with its opening "he"/"she" replaced by
    the person the sentences before name or its "it"/"they" by the thing they are about,
    and a quotation with its speaker; None when none of these works."""
    text = without_stray_quote(sentence.text)
    if is_unattributed_quote(text):
        speaker = quotation_speaker(sentence, pool)
        if speaker is not None:
            return attributed(text, speaker)
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
    word = pronoun.group().lower()
    meant = person_meant(sentence, word, pool) if word in _SUBJECT_PRONOUNS else thing_meant(sentence, rest, pool)
    if meant is None:
        return None
    named = rest[: pronoun.start()] + (meant[0].upper() + meant[1:] if pronoun.start() == 0 else meant)
    named += rest[pronoun.end():]
    named = named[0].upper() + named[1:]
    return None if needs_previous(named) else named


def quotation_speaker(sentence: Sentence, pool: Positions) -> str | None:
    """Whose words a sentence that is all quotation carries on: the speaker of the
    quotation in the sentence before, walking back over sentences that are all quotation
    too (news names a speaker once and lets the quotation run); None when the sentence
    before quotes nobody, or whom it quotes cannot be named."""
    previous = pool.get((sentence.article_id, sentence.index - 1))
    for _ in range(_PRONOUN_CHAIN):
        if previous is None:
            return None
        text = without_stray_quote(previous.text)
        if not quoted_spans(text):
            return None
        if is_unattributed_quote(text):
            previous = pool.get((previous.article_id, previous.index - 1))
            continue
        speaker = _PRONOUN_SPEAKER.search(text)
        pronoun = pronoun_subject(text) or (speaker.group("pronoun").lower() if speaker else None)
        if pronoun is not None:
            return person_meant(previous, pronoun, pool)
        person = person_named(text)
        return person[0] if person is not None else None
    return None


def attributed(text: str, speaker: str) -> str:
    """A quotation with its speaker: '"We will not give up," Mr Smith said.'"""
    closing = "”" if text.lstrip().startswith("“") else '"'
    body = _QUOTATION_END.sub("", text.rstrip())  # '... will rise."' -> '... will rise'
    if _INNER_STOP.search(body):
        body = _INNER_STOP.sub(r",\1", body)
    elif body[-1:] not in "?!,'’":
        body += ","
    return f"{body}{closing} {speaker} said."


def opening_pronoun(text: str) -> re.Match[str] | None:
    """The opening "he", "she", "it" or "they" outside quotations ("He said ...",
    '"...," she added', "They say ...")."""
    word = first_word_outside_quotes(text)
    if word is None or word.group().lower() not in _SUBJECT_PRONOUNS | _THING_PRONOUNS:
        return None
    return None if _EITHER_SEX.match(text, word.start()) else word  # "He or she is always an MP": anyone


def thing_meant(sentence: Sentence, text: str, pool: Positions) -> str | None:
    """What an opening "it" or "they" means: the body the sentence before quotes, when
    it quotes one ('..., the TUC has said.', '"...," the MPs said.'), else its subject when
    that is a noun phrase of the same number that is no person ("The Road Safety Bill,
    which ..., would allow ..." for "It also includes ..."; "Opponents say ..." for "They
    said ..."), walking back over sentences with the same opening pronoun. None when "it"
    is the event itself ("It was the first time ...", "It comes after ..."), when the
    sentence before quotes a person or a pronoun, or its subject is passive or unclear."""
    pronoun = first_word_outside_quotes(text).group().lower()  # type: ignore[union-attr]  # opening_pronoun found it
    if pronoun == "it" and _EVENT_IT.match(text):
        return None
    previous = pool.get((sentence.article_id, sentence.index - 1))
    for _ in range(_PRONOUN_CHAIN):
        if previous is None:
            return None
        before = without_stray_quote(previous.text)
        start = _OPENING_PHRASE.match(before).end()  # type: ignore[union-attr]  # every part is optional
        opening = first_word_outside_quotes(before[start:])
        speaker = _BODY_SPEAKER.search(before)
        said_by = speaker.group("phrase").lower() if speaker else None
        if said_by == pronoun or (opening is not None and opening.start() == 0 and opening.group().lower() == pronoun):
            previous = pool.get((previous.article_id, previous.index - 1))
            continue
        subject = speaker or _NOUN_SUBJECT.match(before, start)
        if subject is None or (not speaker and _PASSIVE.match(before, subject.end("phrase"))):
            return None
        phrase = _TIME_AFTER_PHRASE.sub("", subject.group("phrase"))
        return phrase if is_thing(phrase, plural=pronoun == "they") else None
    return None


def is_thing(phrase: str, plural: bool) -> bool:
    """Whether a noun phrase can be what "it" (or "they") stands for: it names no
    person for "it", does not itself point back ("This plan"), its head noun is a
    content word and agrees in number ("Opponents", "the Tories", "BBC and ITV" are
    plural; "The Road Safety Bill" is not)."""
    words = phrase.split()
    first, last = words[0].lower(), words[-1].lower()
    if first in _POINTING_DETERMINERS or (words[0].islower() and first.endswith("ing")) or not words[0][0].isalnum():
        return False  # "This plan", "adding that ...", a quotation
    if first not in _ARTICLES and first in nlp.stop_words():
        return False  # "Even without changes the commission": no noun phrase
    head = _PREPOSITION_TAIL.sub("", phrase).split()[-1]
    if head.lower() in nlp.stop_words() or last in nlp.stop_words():
        return False  # "The question to be (asked)": cut at a participle, not a verb
    is_plural = bool(re.search(r"\band\b", phrase)) or bool(_PLURAL_NOUN.fullmatch(head))
    if plural:
        return is_plural
    return not is_plural and not speaks_of_person(phrase)


def first_word_outside_quotes(text: str) -> re.Match[str] | None:
    quoted = quoted_spans(text)
    return next(
        (w for w in _FIRST_WORD.finditer(text) if not any(start <= w.start() < end for start, end in quoted)), None
    )


def person_meant(sentence: Sentence, pronoun: str, pool: Positions) -> str | None:
    """Whom an opening "he"/"she" means: the person the sentence before is about, walking
    back over sentences that are all quotation or whose subject or speaker is the same
    pronoun ("However, he ...", "..., he added.") or that name nobody but speak of "he"
    too, or name nobody at all (an aside: "There are still concerns ..."); else the one
    person that sentence names, when the article's titles say that person is a "he" (or
    a "she"). None when that sentence names several people, someone of the other sex, or
    someone it does not name (a role or a "she" but no "he")."""
    sexes = pool.sexes(sentence.article_id)
    previous = pool.get((sentence.article_id, sentence.index - 1))
    for _ in range(_PRONOUN_CHAIN):
        if previous is None:
            return None
        text = without_stray_quote(previous.text)
        subject = pronoun_subject(text)
        speaker = _PRONOUN_SPEAKER.search(text)
        person = person_named(text) if subject is None else None
        if person is None and speaker and subject is None:
            subject = speaker.group("pronoun").lower()
        if subject == pronoun or first_word_outside_quotes(text) is None:
            previous = pool.get((previous.article_id, previous.index - 1))
            continue
        if subject is not None:
            return None
        if person is not None:
            return person[0] if sex_of(person, sexes) in (pronoun, UNKNOWN) else None
        person = only_person(text, sexes)
        if person is not None:
            return person[0] if sex_of(person, sexes) == pronoun else None
        outside = unquoted(text)
        pronouns = {word.lower() for word in _FIRST_WORD.findall(outside)} & _SUBJECT_PRONOUNS
        if pronouns != {pronoun} and (pronouns or speaks_of_person(outside)):
            return None
        previous = pool.get((previous.article_id, previous.index - 1))  # an aside, or speaks of "him" too
    return None


def speaks_of_person(text: str) -> bool:
    """Whether the text names a person or a role: a phrase that does is no "it", and a
    sentence that does not, outside its quotations, is an aside "he" reaches back over."""
    return bool(_PERSON_NOUN.search(text)) or bool(names_in(text))


def names_in(text: str) -> list[re.Match[str]]:
    return [match for match in _TITLED_OR_FULL_NAME.finditer(text) if is_name(match)]


#: The sex of a person the article gives no title.
UNKNOWN = "unknown"


def sex_of(person: tuple[str, str | None], sexes: dict[str, str | None]) -> str | None:
    """"he" or "she" from the person's own title, else from the title the article gives
    their surname elsewhere; None when the article gives it both, ``UNKNOWN`` when none."""
    if person[1] is not None:
        return person[1]
    words = [word for word in person[0].split() if word[0].isupper()]
    return sexes.get(words[-1], UNKNOWN) if words else UNKNOWN


def only_person(text: str, sexes: dict[str, str | None]) -> tuple[str, str | None] | None:
    """The one person a sentence names outside its quotations, whatever their place in it
    ("The programme also heard from Lord Roberts of Conwy, ..."): a title and a name or
    two capitalised words, none an institution; a lone word the article titles elsewhere
    counts too. None when there are none or several."""
    outside = unquoted(text)
    named = names_in(outside)
    in_names = {word for match in named for word in match.group("name").split()}
    people = {match.group("name").split()[-1] for match in named}
    people |= {word for word in _FIRST_WORD.findall(outside) if word in sexes} - in_names
    if len(people) != 1 or not named or _PERSON_NOUN.search(outside, 0, named[0].start()):
        return None  # "the Pakistani president met Prime Minister Tony Blair": he is the president
    return called(named[0])


def pronoun_subject(text: str) -> str | None:
    """"he" or "she" when that is the sentence's subject, after any opening phrase
    ("In education, he encountered ..."), else None."""
    start = _OPENING_PHRASE.match(text).end()  # type: ignore[union-attr]  # every part is optional
    word = first_word_outside_quotes(text[start:])
    pronoun = word.group().lower() if word else None
    return pronoun if pronoun in _SUBJECT_PRONOUNS else None


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
            continue  # "the outgoing European Commissioner": a role, not a name
        if is_name(match):
            return called(match)
    role = _ROLE_SUBJECT.match(text, start)
    if role:
        named = _NAME_APPOSITION.fullmatch(role.group("apposition") or "")
        if named and is_name(named):
            return called(named)  # "Nicola Sturgeon", not "the Scottish National Party's Holyrood leader"
        return role.group("role")[0].lower() + role.group("role")[1:], None  # capitalised where it opens
    for pattern in (_SPEAKER_BEFORE, _SPEAKER_AFTER):
        speaker = next((m for m in pattern.finditer(text) if is_name(m)), None)
        if speaker:
            return called(speaker)
    role = _ROLE_SPEAKER.search(text)
    return (role.group("role") or role.group("role2"), None) if role else None


def is_name(match: re.Match[str]) -> bool:
    """A title and a name, or two or three capitalised words none of which is an
    institution or an opener, and which do not end in a title ("Home Secretary")."""
    words = [w for w in match.group("name").split() if w != "of"]
    if any(w in _NOT_NAMES for w in words) or words[-1] in _TITLES:
        return False
    return bool(match.group("title")) or len(words) >= 2


def called(match: re.Match[str]) -> tuple[str, str | None]:
    """"Mr Howard" (or "Mr. Howard") with his title as written, and "President Musharraf
    of Pakistan"; "Alistair Darling", not "Secretary Alistair Darling"; "Laura Brownlees",
    not "Laura Brownlees of Save" (only a title makes "of" part of a name: "Lord Roberts of
    Conwy")."""
    title, name = match.group("title"), match.group("name")
    if not title and " of " in name:
        return name.split(" of ")[0], None
    keep_title = title and (len(name.split(" of ")[0].split()) == 1 or title in _MALE_TITLES | _FEMALE_TITLES)
    sex = "he" if title in _MALE_TITLES else "she" if title in _FEMALE_TITLES else None
    return match.string[match.start("title" if keep_title else "name") : match.end("name")], sex


def unattributed_quotes(sentences: Sequence[Sentence]) -> list[bool]:
    """For the ranker: which sentences are quotations whose speaker the reader cannot be
    told, as no sentence before them in the pool names one (``quotation_speaker``)."""
    pool = by_position(sentences)
    return [
        is_unattributed_quote(s.text) and quotation_speaker(s, pool) is None
        for s in sentences
    ]


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
