"""Speaker-aware retrieval: recognise "what did X say?" questions and find X among the index's speakers.

X may be a full name, a surname, or a descriptor the article gave ("the former CIA analyst"); the
retriever then puts X's paragraphs first (qa.search.speaker_search), so all of a speaker's statements come back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..ingest.attribution import mask_quotes, speech_verb
from ..ingest.names import TITLE_WORDS
from ..index.records import SpeakerRecord

_VERBS = r"""say|said|saying|says|claim|claimed|warn|warned|tell|told|think|thought|argue|argued|believe|believed|
mean|meant|predict|predicted|suggest|suggested|add|added|write|wrote|written|announce|announced|report|reported|note|
noted|state|stated|comment|commented|reveal|revealed|recall|recalled|explain|explained|propose|proposed|promise|
promised|pledge|pledged|describe|described|allege|alleged|insist|insisted|admit|admitted|deny|denied|feel|felt|
tweet|tweeted|testify|testified|ask|asked|urge|urged|want|wanted|mention|mentioned|stress|stressed|acknowledge|
acknowledged|expect|expected|call|called|reply|replied|respond|responded|react|reacted|confirm|confirmed"""
_VERBS = _VERBS.replace("\n", "")
_AUX = r"(?:did|does|do|has|have|had|was|is|were|will|would|could|can)"
# what did Blair do for the Guildford Four families (acts, reported with the person as subject, answer it as
# much as statements do); only with what it was done for or about, since "What does Hewitt do?" asks for a job
_DID = re.compile(rf"^(?:and |so |but )?what {_AUX} (?P<who>.+?) (?:(?:just|actually|also|ever|really|previously|"
                  rf"publicly|recently) )*(?:do|done)(?P<rest> (?:for|to|about|with|on|over|against) .+)$")
# X's comments (on ...); "What attribute of humans interfered with nature in Tesla's opinion?" asks about a
# topic in X's view (_TOPIC_BEFORE_NAME)
_VIEWS = re.compile(r"^(?:what (?:were|are|was|is) )?(?P<who>.+?)['’]s? (?:comments?|remarks?|views?|statements?|"
                    r"quotes?|position|take|opinion|words|response|reaction)\b(?P<rest>.*)$")
_TOPIC_BEFORE_NAME = re.compile(r"^(?P<topic>.+?),? (?:in|by|for|from|to) (?P<who>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3})$")
# according to Pardo, ...
_ACCORDING_TO = re.compile(r"^(?P<pre>.*?)\baccording to (?P<who>[^,?.;]+?)(?:[,?.;]|$)(?P<rest>.*)$")
# A question asking for a figure, a time, a place or a name: "By how much could costs rise, according to the
# report?" asks that, with a source; it is no "what did the report say?".
_TYPED_QUESTION_RE = re.compile(r"^(?:and |so |but )?(?:by )?(?:how (?:much|many|long|far|big|often|old)|when|where|which|"
                                r"who|whom|whose|in (?:which|what)|what (?:share|proportion|percentage|fraction|"
                                r"number|amount|price|rate|year|date|time|day|age|sum|figure)s?)\b")
_PATTERNS = [
    _DID,
    # what did Klingner say (about ...); what has the former official said; what does Pardo think of ...
    re.compile(rf"^(?:and |so |but )?(?:what|how|why) {_AUX} (?P<who>.+?) (?:(?:have|has|had|been|just|actually|"
               rf"also|ever|really|previously|publicly|recently) )*(?:{_VERBS})\b(?P<rest>.*)$"),
    # what Klingner said about ...; everything Pardo told reporters
    re.compile(rf"^(?:show me |list |tell me |give me )?(?:what|everything|anything|all) (?P<who>.+?) "
               rf"(?:has |have |had )?(?:{_VERBS})\b(?P<rest>.*)$"),
    # did Klingner say anything about ...
    re.compile(rf"^(?:did|does|has|have) (?P<who>.+?) (?:{_VERBS})\b(?P<rest>.*)$"),
    _ACCORDING_TO,
    # what was said by X; quotes from X; X's comments on ...
    re.compile(r"^(?:what (?:was|has been|is being) said by|(?:quotes?|statements?|comments?|remarks?) (?:from|by))"
               r" (?P<who>[^,?.;]+?)(?:[,?.;]|$| about | on | regarding )(?P<rest>.*)$"),
    _VIEWS,
]
_NOT_SPEAKERS = {"you", "i", "we", "he", "she", "they", "it", "this", "that", "people", "anyone", "someone",
                 "everyone", "the article", "the articles", "the story", "this article", "the text", "the news"}
_GENERIC = {"the", "a", "an", "this", "that", "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen",
            "president", "senator", "governor", "secretary", "minister", "u.s", "us"}
_WORD_RE = re.compile(r"[\w.'’\-]+")
_MAX_QUESTION_CHARS = 500
# A full name takes the speakers known only by its surname when it is quoted in this many times as many
# articles as any other full name with that surname.
DOMINANCE = 3


@dataclass(frozen=True)
class SpeakerQuestion:
    """A question about what someone said: who (as written) and the topic it asks about, if any.

    `mode` "said": the speaker's statements are the answer ("What did X say about Y?"); "boost": the question
    asks how or why ("How did X react to Y?", "Why does X think ...?"), which the speaker's statements may
    answer or not, so their paragraphs only rank higher and nothing is filtered; "did": what the speaker did
    about something ("What did X do for Y?"), ranked as "said" is, over the paragraphs quoting or naming them."""

    phrase: str
    topic: str = ""
    mode: str = "said"


@dataclass(frozen=True)
class SpeakerMatch:
    question: SpeakerQuestion
    speakers: tuple[SpeakerRecord, ...]  # the indexed speakers the question names (may be none)
    forms: tuple[str, ...] = ()  # names to look for in text when the speaker is mentioned, not quoted
    ambiguous: tuple[str, ...] = ()  # different people the name fits ("Charles Kennedy", "Edward Kennedy")
    on_topic: bool = True  # False when the speaker's statements do not touch the question's topic
    parts: tuple[SpeakerMatch, ...] = ()  # one match per person for "What did X and Y say?"

    def as_json(self) -> dict:
        out = {
            "asked_about": self.question.phrase,
            "topic": self.question.topic or None,
            "speakers": [{"name": s.name, "article_id": s.article_id, "paragraphs": list(s.paragraphs)}
                         for s in self.speakers],
        }
        if self.ambiguous:
            out["ambiguous"] = list(self.ambiguous)
        if self.question.topic and not self.on_topic:
            out["on_topic"] = False
        return out


_NAME = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,3}"
# A question that is only names: "Klingner and Pardo", "Blair, Brown and Prescott".
_NAMES_ONLY = re.compile(rf"^{_NAME}(?:(?:, | and | & |, and ){_NAME})+$")


# "According to the article(s) / story / report(s), ...": words about the archive, not the question.
_ARCHIVE_LEAD_RE = re.compile(r"^(?:according to|in|from) (?:the |these |this )?(?:indexed )?"
                              r"(?:articles?|stor(?:y|ies)|reports?|archive|coverage|passages?)(?: in the \w+)?,\s*",
                              re.IGNORECASE)


_DESCRIBED_NAME_RE = re.compile(r"^(?:(?:[a-z][\w-]*|(?:[A-Z][\w&-]*\s+){0,3}[A-Z][\w&-]*['’]s)\s+)+"
                                r"(?=[A-Z][\w.'’-]*\s+[A-Z])")


_NAME_OF_FIRM_RE = re.compile(r"^([A-Z][a-z][\w'’-]*(?:\s+[A-Z][\w'’-]*[a-z])+)\s+(?:of|at|from)\s+(?:the\s+)?[A-Z]")
# "John Beaumont, chief executive of the UK e-University": a name, then a description set off by a comma.
_NAME_APPOSITIVE_RE = re.compile(r"^((?:[A-Z][\w.'’-]*\s+)+[A-Z][\w'’-]*[a-z]),\s+(?:the\s+|a\s+|an\s+)?[a-z]")
# ... and a description before a comma, the name after it
_DESCRIPTION_APPOSITIVE_RE = re.compile(r"^[^,]*\b[a-z][\w'’-]*\b[^,]*,\s+((?:[A-Z][\w.'’-]*\s+)+[A-Z][\w'’-]*[a-z])$")
# Last words of a name that make it a firm or a body, not a person ("Royal Bank of ...", "University of ...").
_FIRM_WORDS = frozenset("bank group university college council institute society association union party "
                        "board committee commission department ministry office court house church league "
                        "federation club company corporation trust fund agency school academy".split())


# After a verb that is also a noun (_NOUN_VERBS: "What did the report say ...?"), more words of the speaker,
# then "say" / "tell" / "think", with no comma between
_LATER_SAY_RE = re.compile(r"(?P<more>(?:\s+[\w.'’&-]+){0,6}?)\s+(?:(?:have|has|had|just|actually|also|ever|really|"
                           r"previously|publicly|recently)\s+)*(?:say|said|says|tell|told|think|thought)\b(?P<rest>.*)$")
# verbs of _VERBS that are also nouns of a speaker's description ("report author", "the report"), and words
# that start a clause of their own ("Josel claimed that Luther said"), so no part of one
_NOUN_VERBS = frozenset("report note comment call claim pledge promise reply tweet state statement".split())
_CLAUSE_WORDS = frozenset("that he she they it we i you who which would will could should might may can".split())


def parse_speaker_question(question: str) -> SpeakerQuestion | None:
    """Recognise "what did X say (about T)?"-style questions, and a list of names ("Klingner and Pardo",
    mode "names": who-said only when each names a speaker); None for anything else."""
    if len(question) > _MAX_QUESTION_CHARS:
        return None  # no who-said question is this long; the patterns would take quadratic time on it
    text = _ARCHIVE_LEAD_RE.sub("", re.sub(r"\s+", " ", question.strip())).rstrip("?!. ")
    if _NAMES_ONLY.match(text):
        return SpeakerQuestion(text, "", "names")
    lowered = text.lower()
    for pattern in _PATTERNS:
        m = pattern.match(lowered)
        if not m:
            continue
        start, end = m.span("who")
        verb = lowered[m.end("who"):m.start("rest")].split()[-1:] if "rest" in m.re.groupindex else []
        if pattern is not _DID and verb and verb[0] in _NOUN_VERBS and (
                later := _LATER_SAY_RE.match(lowered, m.start("rest"))) and not _CLAUSE_WORDS & set(later.group("more").split()):
            # "What did the report say ...?", "What did Pew Internet report author Mary Madden say ...?": a
            # verb that is also a noun belongs to the speaker when "say" follows
            end, m = later.end("more"), later
        who = text[start:end].strip(" ,;:\"'“”")
        who = re.sub(r"['’]s$", "", who)
        # "economist Marie-Pierre Ripert", "Gartner's Brian Gammage": the name, not its description
        # but "the founder of Shepherds Purse" names a role, its owner after the preposition (relation_of)
        if not re.search(r"\b(?:of|for|at|to)\s+(?:the\s+)?$", (described := _DESCRIBED_NAME_RE.match(who)) and described.group(0) or ""):
            who = _DESCRIBED_NAME_RE.sub("", who)
        # "Grant Wilson of Mellon Bank": the person, not the firm they speak for ("Royal Bank of Scotland" is one)
        if (affiliated := _NAME_OF_FIRM_RE.match(who)) and affiliated.group(1).split()[-1].lower() not in _FIRM_WORDS:
            who = affiliated.group(1)
        if appositive := _NAME_APPOSITIVE_RE.match(who):
            who = appositive.group(1)
        elif named := _DESCRIPTION_APPOSITIVE_RE.match(who):
            who = named.group(1)  # "the chairman of the Environmental Audit Committee, Peter Ainsworth"
        if (not who or who.lower() in _NOT_SPEAKERS or len(who.split()) > 10
                or re.match(rf"{_AUX}\b", who)):
            continue
        rest = text[m.start("rest") : m.end("rest")] if m.group("rest") else ""
        if pattern is _VIEWS and (before := _TOPIC_BEFORE_NAME.match(who)):
            who, rest = before.group("who"), before.group("topic")
        if m.groupdict().get("pre"):
            rest = f"{text[m.start('pre') : m.end('pre')]} {rest}"
        topic = re.sub(r"^\s*(?:anything |something )?(?:about|on|regarding|concerning|of|to \w+ about|to|that)\b",
                       "", rest.strip(" ,;:")).strip(" ,;:?")
        if pattern is _DID and re.search(rf"\b(?:{_VERBS})\b", who.lower()):
            continue  # "What did Blair say he would do for ...?" asks what he said
        if pattern is _DID:
            return SpeakerQuestion(who, re.sub(r"^(?:for|with|over|against)\s+", "", topic), "did")
        asks = lowered if pattern is not _ACCORDING_TO or m.group("pre").strip(" ,") else lowered[m.end("who"):].strip(" ,;")
        typed = pattern is _ACCORDING_TO and _TYPED_QUESTION_RE.match(asks)
        mode = "boost" if typed or re.match(r"(?:and |so |but )?(?:how|why)\b", lowered) else "said"
        return SpeakerQuestion(who, topic, mode)
    return None


def _norm_words(text: str) -> list[str]:
    words = []
    for w in _WORD_RE.findall(text.lower()):
        w = re.sub(r"['’]s$", "", w.strip(".'’-"))
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]  # officials ~ official
        if w:
            words.append(w)
    return words


def match_score(phrase: str, speaker: SpeakerRecord) -> int:
    """3: a name of the speaker; 2: a fuller name with the speaker's surname; 1: the speaker's descriptor."""
    asked = [w for w in _norm_words(phrase) if w not in _GENERIC]
    if not asked:
        return 0
    asked_set = set(asked)
    best = 0
    for alias in (speaker.name, *speaker.aliases):
        words = [w for w in _norm_words(alias) if w not in _GENERIC]
        if not words:
            continue
        if speaker.kind in ("person", "organisation"):
            if asked == words or (asked_set <= set(words) and asked[-1] == words[-1]):
                best = max(best, 3)
            elif set(words) <= asked_set and asked[-1] == words[-1] and not _other_first_name(asked, speaker):
                best = max(best, 2)
        elif asked_set == set(words):
            best = max(best, 3)
    if best:
        return best
    if (speaker.kind == "person" and all(w[:1].isupper() for w in phrase.split() if w.lower() not in _GENERIC)
            and phrase.split()[-1].lower().strip(".") not in TITLE_WORDS):
        # "What did Clinton say?" is not about "Harold Varmus, ... under President Bill Clinton"; but
        # "the Virgin Radio DJ" is a description, its head a title
        return 0
    texts = (speaker.name, *speaker.aliases, *speaker.descriptors)
    described = set(_norm_words(" ".join(texts)))
    possessors = {w for t in texts for p in _POSSESSOR_RE.findall(f"{t} ") for w in _norm_words(p)}
    if asked_set <= possessors:
        return 0  # "Juninho's agent" is not Juninho
    if all(any(_same_word(w, d) for d in described) for w in asked_set):
        return 1
    return 0


def _other_first_name(asked: list[str], speaker: SpeakerRecord) -> bool:
    """Whether the speaker's own full name gives another first name than the asked full name: "Nick Davies"
    (known also as "Davies") is someone else than the "Quentin Davies" asked about."""
    if len(asked) < 2 or speaker.kind != "person":
        return False
    own = [w for w in _norm_words(speaker.name) if w not in _GENERIC]
    return len(own) > 1 and own[-1] == asked[-1] and not set(own) <= set(asked) and not set(asked) <= set(own)


def full_name(phrase: str) -> bool:
    """Whether a who-said question names its person in full (a first name and a surname, capitalised)."""
    words = [w for w in phrase.split() if w.lower().strip(".") not in _GENERIC]
    return len(words) > 1 and all(w[:1].isupper() for w in words)


_DEMONYM_ENDINGS = {"n", "an", "ian", "ese", "ish", "i"}


def _same_word(a: str, b: str) -> bool:
    """Equal, or a place and its people's adjective: "the South Korean official" is "a senior official in
    South Korea's presidential office"."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and long[len(short):] in _DEMONYM_ENDINGS


def resolve_speakers(phrase: str, speakers: list[SpeakerRecord]) -> tuple[SpeakerRecord, ...]:
    """The speakers `phrase` names: all of those with the best match, or none. A full name also takes the
    speakers known only by its surname ("Kennedy", from "Mr Kennedy said" in an article that never gives
    his first name) unless the speakers hold another person of that surname ("Edward Kennedy"): then those
    are kept apart, as it cannot be told whose they are."""
    scored = [(match_score(phrase, s), s) for s in speakers]
    top = max((score for score, _ in scored), default=0)
    if top == 0:
        return ()
    chosen = [s for score, s in scored if score == top]
    if top == 3 and _norm_words(phrase)[:1] == ["the"] and all(s.kind not in ("person", "organisation") for s in chosen):
        # "the Lib Dem leader": the unnamed sources called that, and the people it describes elsewhere
        chosen += [s for score, s in scored if score == 1 and s.kind == "person"]
    if top == 3:
        asked = [w for w in _norm_words(phrase) if w not in _GENERIC]
        if len(asked) > 1 and _dominant(asked, chosen, speakers):
            chosen += [s for score, s in scored if score == 2 and s.kind == "person"
                       and [w for w in _norm_words(s.name) if w not in _GENERIC] == asked[-1:]]
    return tuple(sorted(chosen, key=lambda s: s.id))


# A speaker named by a role and whose it is: "C-Murder's lawyer", "the founder of Laura Ashley", "a spokesman
# for the BPI". The owner is a name; the role, lowercase words.
_RELATION_RES = (
    re.compile(r"^(?:the\s+)?(?P<owner>[A-Z][\w.&' -]*?)(?:['’]s|(?<=s)['’])\s+(?P<role>[a-z][a-z -]*)$"),
    re.compile(r"^(?:the\s+|a\s+|an\s+)?(?P<role>[a-z][a-z -]*?)\s+(?:of|for|at|to)\s+(?:the\s+)?(?P<owner>[A-Z].*)$"),
)


def relation_of(phrase: str) -> tuple[str, str] | None:
    """(owner, role head) of a speaker named by role and relation ("C-Murder's lawyer": ("C-Murder",
    "lawyer")), or None."""
    for pattern in _RELATION_RES:
        m = pattern.match(phrase.strip())
        if m:
            role = _norm_words(m.group("role"))
            if role:
                return m.group("owner").strip(), role[-1]
    return None


_POSSESSOR_RE = re.compile(r"\b([A-Z][\w.-]*)['’]s?\s")


def holds_role(speaker: SpeakerRecord, owner: str, role: str, texts: list[str]) -> bool:
    """Whether the speaker is the owner's `role`: a descriptor or alias with the role word, not another
    named person's ("Mr Kashyap's lawyer" is not the lawyer of the film's accused), or the role written
    just before their name in a text naming the owner ("Arsenal vice-chairman David Dein")."""
    if speaker.kind != "person":
        return False
    owner_words = set(_norm_words(owner))
    if owner_words & set(_norm_words(speaker.name)):
        return False  # the owner themselves
    for described in (*speaker.descriptors, *speaker.aliases):
        if role in _norm_words(described):
            possessors = {w for p in _POSSESSOR_RE.findall(described) for w in _norm_words(p)} - _GENERIC
            if possessors:
                return bool(possessors & owner_words)
            if not _names_other_owner(described.split(), owner_words):
                return True  # "Age Concern director general" is not the BCC's
    names = "|".join(re.escape(n) for n in dict.fromkeys((speaker.name, *speaker.aliases)) if n)
    # "Arsenal vice-chairman David Dein", "Chief constable Mr Hayman"; or in apposition after the name:
    # "David Frost, Director General of the British Chambers of Commerce"
    # (not "director general of Age Concern": the role of a body, not before a person's name)
    before = re.compile(rf"\b{re.escape(role)}\b(?!\s+(?:of|at|for|to)\b)[^.,;:“”\"]{{0,40}}?\b(?:{names})\b",
                        re.IGNORECASE)
    after = re.compile(rf"\b(?:{names}),\s+(?:the\s+|an?\s+)?(?P<pre>(?:[\w-]+\s+){{0,3}}?){re.escape(role)}\b"
                       rf"(?:\s+(?:of|at|for)\s+(?:the\s+)?(?P<body>(?-i:[A-Z][\w'’&-]*)(?:\s+(?-i:[A-Z][\w'’&-]*))*))?",
                       re.IGNORECASE)
    for t in texts:
        if owner in t:
            # "director general of Age Helpers Dunmore" is another body's, though it shares a word with the owner,
            # as "Brent Bozell, PTC president" is
            if before.search(t) or any((not m.group("body") or set(_norm_words(m.group("body"))) <= owner_words)
                                       and not _names_other_owner(m.group("pre").split(), owner_words)
                                       for m in after.finditer(t)):
                return True
            continue
        # a paragraph not naming the owner: the role stands alone ("Chief constable Mr Hayman"), not another's
        # ("Chelsea chief executive Peter Kenyon")
        for m in before.finditer(t):
            sentence_start = max(t.rfind(". ", 0, m.start()) + 2, 0)
            if not _names_other_owner(t[sentence_start:m.start()].split()[-3:], owner_words, opening=True):
                return True
    return False


def _names_other_owner(words: list[str], owner_words: set[str], opening: bool = False) -> bool:
    """Whether the words before a role ("Age Concern director", "Chelsea chief") hold a capitalised name that
    is no word of the owner's (nor its initials): the role is someone else's. With `opening`, the words are
    the last before the role in its sentence, whose first word is capitalised anyway."""
    initials = "".join(w[:1] for w in owner_words)
    for k, w in enumerate(words):
        low = _norm_words(w)
        if opening and k == 0 and low and low[0] in _OPENERS:
            continue
        if w[:1].isupper() and low and low[0] not in owner_words and low[0] not in _GENERIC \
                and low[0] not in TITLE_WORDS and low[0] != initials:
            return True
    return False


_OPENERS = frozenset("however but and also meanwhile yesterday earlier later".split())


# Words that make a title another post than the one it names: the shadow chancellor is not the chancellor.
_OTHER_POST = frozenset("shadow former ex deputy vice assistant junior acting lord interim".split())


def titled_plainly(speaker: SpeakerRecord, phrase: str) -> bool:
    """Whether a person's descriptor gives them the title `phrase` asks for ("the chancellor", "the prime
    minister") and nothing that makes it another post or someone else's ("shadow chancellor", "German
    Chancellor", "Former Tory chancellor"): its words are the title's and words of the phrase."""
    if speaker.kind != "person":
        return False
    asked = [w for w in _norm_words(phrase) if w not in _GENERIC]
    if not asked or asked[-1] not in TITLE_WORDS:
        return False
    for described in speaker.descriptors:
        words = _norm_words(described)
        if words and words[-1] == asked[-1] and set(asked) <= set(words) \
                and not set(words) & _OTHER_POST and set(words) <= set(asked) | TITLE_WORDS | _GENERIC:
            return True
    return False


def _person_words(speaker: SpeakerRecord) -> list[str]:
    return [w for w in _norm_words(speaker.name) if w not in _GENERIC]


def _dominant(asked: list[str], chosen: list[SpeakerRecord], speakers: list[SpeakerRecord]) -> bool:
    """Whether the asked person is the one the corpus means by their bare surname: no other full name with
    that surname, or the asked one quoted in at least `DOMINANCE` times as many articles as any other
    ("Charles Kennedy" in many, "Helena Kennedy" in one)."""
    others: dict[str, int] = {}
    for s in speakers:
        words = _person_words(s)
        if (s.kind == "person" and len(words) > 1 and words[-1] == asked[-1]
                and not set(words) <= set(asked) and not set(asked) <= set(words)):
            others[s.name.lower()] = others.get(s.name.lower(), 0) + 1
    return not others or len({s.article_id for s in chosen}) >= DOMINANCE * max(others.values())


def ambiguous_names(speakers: tuple[SpeakerRecord, ...]) -> tuple[str, ...]:
    """The different people `speakers` (one phrase's matches) hold, by full name, when more than one shares
    a surname ("Kennedy" naming both "Charles Kennedy" and "Edward Kennedy"); empty when they are one."""
    full = sorted({s.name for s in speakers if s.kind == "person" and len(_person_words(s)) > 1})
    by_surname: dict[str, list[str]] = {}
    for name in full:
        by_surname.setdefault(_norm_words(name)[-1], []).append(name)
    clashes = [names for names in by_surname.values() if len(names) > 1]
    # one full name containing another ("Charles Kennedy", "Charles P. Kennedy") is one person
    return tuple(n for names in clashes for n in names
                 if not any(n != m and set(_norm_words(n)) < set(_norm_words(m)) for m in names))


def list_speakers(speakers: list[SpeakerRecord], name: str | None = None, min_statements: int = 1
                  ) -> list[SpeakerRecord]:
    """The speakers `name` names (all when None; by `resolve_speakers`, so "Kennedy", "Mr Kennedy" and
    "Charles Kennedy" find him in every article), quoted in at least `min_statements` paragraphs, the most
    quoted first."""
    if name:
        found = [s for phrase in split_names(name) for s in resolve_speakers(phrase, speakers)]
        if not found:  # a part of a name or descriptor: "Hewitt" finds "Patricia Hewitt", "leader" the leaders
            needle = name.lower().strip()
            found = [s for s in speakers if any(needle in text.lower() for text in (s.name, *s.aliases, *s.descriptors))]
        speakers = list(dict.fromkeys(found))
    kept = [s for s in speakers if len(s.paragraphs) >= min_statements]
    return sorted(kept, key=lambda s: (-len(s.paragraphs), s.name.lower(), s.article_id))


def split_names(phrase: str) -> list[str]:
    """ "Klingner and Pardo", "Blair, Brown and Prescott" -> each name; [phrase] when it names one."""
    parts = [p.strip() for p in re.split(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)", phrase) if p.strip()]
    return parts if len(parts) > 1 else [phrase]


# --- speakers the attributor did not record as speaking -------------------------------------------
# PolNeAR-style "who said what" counts any stance a source takes ("Christie attacked Rubio", "Valastro
# praised ...", "Trump's campaign has not commented"). When a name stands as the subject of a clause the
# paragraph is about what that source did or said; when it follows a preposition it is only mentioned.

_PREPOSITIONS = set("""to with for about against of by from on in at into over under than like as toward towards
between among behind via versus vs after before during without upon""".split())
_NOT_VERBS = _PREPOSITIONS | set("""and or but nor who whom whose which that the a an this these those its his her
their our era presidency tower foundation rally name family fans
university college school county city state era years year""".split())
_SOURCE_NOUNS = set("""campaign team camp spokesman spokeswoman spokesperson aides aide adviser advisers office
statement administration lawyers lawyer attorney attorneys representatives representative allies staff
website account tweet tweets letter report remarks comments confidants supporters message allies surrogates
backers officials people camp manager chairman director aides associates""".split())
# A time between a name and its verb: "Ryan on Thursday declared", "Clinton last week said".
_WHEN = (r"(?:on|last|this|late|early|earlier|later)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
         r"week|month|year|night|morning|afternoon|evening)(?:\s+(?:night|morning|afternoon|evening))?,?")
_TITLE = r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|President|Senator|Governor|Secretary)\.?"
_ADVERBS = set("""also has have had is was were will would could did does do later then again recently previously
now not never just even still quickly repeatedly publicly further often already once reportedly himself
herself itself themselves first last""".split())


# Verbs of stance: a subject doing one of these is voicing a view even without a quote.
_STANCE_VERBS = set("""attacked attacks attack blasted blasts slammed slams criticized criticizes criticised accused
accuses praised praises urged urges called calls argued argues defended defends vowed vows promised promises
pledged pledges responded responds insisted insists dismissed dismisses rejected rejects endorsed endorses
supported supports wants wanted hopes hoped believes believed warned warns claimed claims denied denies
announced announces proposed proposes demanded demands questioned questions suggested suggests described
describes touted touts pushed pushes backed backs opposed opposes condemned condemns welcomed welcomes
admitted admits acknowledged acknowledges agreed agrees declined declines refused refuses asked asks
released releases issued issues sent wrote writes tweeted tweets posted posts reported reports told tells
said says added adds noted notes explained explains stated states thinks thought expects expected feels
felt sees saw sought seeks pointed points offered offers assured assures expressed expresses delivered delivers
cited cites blamed blames concluded concludes repeated repeats mentioned mentions revealed reveals mocked mocks
denounced denounces railed rails pressed presses spoke speaks talked talks joked jokes lamented laments ripped
rips lashed lashes hit hits scoffed scoffs predicted predicts recalled recalls signaled signalled signals
countered counters conceded concedes replied replies answered answers declared declares""".split())
# Who speaks for a source: "Trump spokeswoman Hope Hicks", "Clinton's lawyers", "the Quinnipiac poll found".
_SPOKESPEOPLE = set("""spokesman spokeswoman spokesperson spokespeople attorney attorneys lawyer lawyers aides aide
adviser advisers allies press poll polls survey newspaper""".split())


# A person's name ending a phrase that describes them first: "Glastonbury organiser Michael Eavis".
_TRAILING_NAME_RE = re.compile(r"(?<=[a-z] )[A-Z][a-z][\w'’-]*(?:\s+[A-Z][\w'’-]*[a-z])+$")
# ... but not a body the phrase places the person in: "the president of the Parents Television Council"
_BEFORE_NON_PERSON = frozenset("of the at for from in on with by".split())


def name_forms(phrase: str, speakers: tuple[SpeakerRecord, ...]) -> list[str]:
    """The names to look for in text: the phrase as asked (when it is a name) and the matched speakers'
    names and surnames."""
    forms: list[str] = []
    words = phrase.split()
    while words and words[0].lower().strip(".") in _GENERIC:  # "President Obama" -> "Obama"
        words = words[1:]  # (only leading ones: "CBS This Morning" stays whole, not "CBS Morning")
    if words and all(w[:1].isupper() or not w[:1].isalpha() for w in words):
        forms.append(" ".join(words))
    elif (trailing := _TRAILING_NAME_RE.search(phrase)) and phrase[: trailing.start()].split()[-1] not in _BEFORE_NON_PERSON:
        forms.append(trailing.group(0))  # "FA chief executive Brian Barwick" -> "Brian Barwick"
    for s in speakers:
        if s.kind in ("person", "organisation"):
            for alias in (s.name, *s.aliases):
                if alias and alias[:1].isupper() and len(alias.split()) <= 4:
                    forms.append(alias)
            if s.kind == "person":
                forms.append(s.name.split()[-1])
    out: list[str] = []
    for form in forms:
        form = re.sub(r"^.*['’]s\s+", "", form).strip()  # "Media Research Center's Bozell" -> "Bozell"
        if form and form.lower() not in (f.lower() for f in out) and form.lower() not in _GENERIC:
            out.append(form)
    return out


def stance(text: str, forms: list[str]) -> bool:
    """Whether a form is the subject of a verb of saying or stance ("Christie attacked ...") or names
    who speaks for the source ("Christie's spokesman", "the Quinnipiac poll")."""
    for form in forms:
        # a parenthesis, a time or a short aside between the name and its verb: "Trump, in particular, has
        # sharply criticized ..."; adverbs in -ly do not count as the verb
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?P<owner>['’]s?)?(?![\w-])(?:\s*\([^)]{{1,40}}\))?"
                             rf"(?:\s+{_WHEN})?(?:,[^,.;“”\"]{{1,40}},)?(?P<next>(?:\s+[a-z]+){{1,3}})", text):
            following = [w for w in m.group("next").split() if w not in _ADVERBS and not w.endswith("ly")]
            if following and (following[0] in _SPOKESPEOPLE or following[0] in _STANCE_VERBS and not m.group("owner")
                              or following[0] in _SIDES and following[1:2] and following[1] in _SPOKESPEOPLE):
                return True  # ... "Clinton campaign spokesman Brian Fallon"
    return False


_BE = {"is", "was", "were", "are", "been", "being", "be"}
_AUXILIARIES = {"has", "have", "had", "will", "would", "could", "can", "may", "might", "should", "did", "does", "do",
                "also", "later", "then", "again", "now", "not", "never", "still", "once", "previously", "repeatedly"}


def reports_view(sentence: str, forms: list[str]) -> bool:
    """Whether the sentence reports a view of the person a form names, with them as the subject: a verb of
    saying or stance ("Davies, 60, said the mugging ...", "X criticised ..."; `attribution.speech_verb`) or any
    verb with a "that" clause ("Tesla theorized that ..."), in the active voice. Narrative about them ("Quentin
    Davies, the MP, was attacked", "Eminem has denied Elvis his fourth number one") reports none."""
    masked = mask_quotes(sentence)
    for form in forms:
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w'’-])(?:\s*\([^)]{{1,40}}\))?(?:\s+{_WHEN})?"
                             rf"(?:,[^,.;“”\"]{{1,60}},)?(?P<next>(?:\s+[a-z]+){{1,4}})(?P<rest>[^.;]*)", masked):
            if not masked[m.start()].isupper():
                continue
            before = masked[: m.start()].split()
            if before and before[-1].lower().strip("“\"(,") in _PREPOSITIONS:
                continue
            words = m.group("next").split()
            while words and (words[0] in _AUXILIARIES or words[0].endswith("ly")):
                words = words[1:]
            if not words or words[0] in _BE:
                continue  # "was attacked": done to them
            verb, after = words[0], " ".join(words[1:]) + m.group("rest")
            if speech_verb(verb, " " + after) or verb in _STANCE_VERBS and verb not in ("denied", "denies") or after.startswith("that "):
                return True
    return False


# "the Clinton campaign spokesman", "the Trump team lawyer": the side between the name and who speaks for it
_SIDES = {"campaign", "camp", "team", "office", "administration", "family", "party"}
_SPEAKS_FOR = "|".join(sorted(_SPOKESPEOPLE - {"poll", "polls", "survey", "newspaper", "press"}))


def speaks_for(text: str, speaker: str, forms: list[str]) -> bool:
    """Whether `speaker`, quoted in `text`, speaks for a form's bearer: "Mr Blair's official spokesman", or a
    name after such a title ("Clinton campaign spokesman Brian Fallon said"). Their words are on that side's
    behalf, not someone else's about it (news corpora such as PolNeAR credit them to the side)."""
    words = speaker.lower().split()
    for form in forms:
        name = rf"(?<![\w-]){re.escape(form)}(?![\w-])"
        if re.search(name, speaker) and any(w.strip("’'s") in _SPOKESPEOPLE or w in _SPOKESPEOPLE for w in words):
            return True
        if speaker[:1].isupper() and re.search(
                rf"{name}(?:['’]s?)?\s+(?:[a-z]+\s+){{0,2}}?(?:{_SPEAKS_FOR})\s+(?:[A-Z][\w.'’-]*\s+){{0,3}}?"
                rf"{re.escape(speaker.split()[-1])}(?![\w-])", text):
            return True
    return False


def mentions(text: str, forms: list[str]) -> tuple[bool, bool]:
    """(mentioned, as subject): whether any form occurs capitalised in `text`, and whether one stands as
    the subject of a clause ("Christie unleashed ...", "Trump's campaign said ...")."""
    mentioned = subject = False
    words = text.split()
    headline = len(words) <= 25 and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)
    for form in forms:
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text, re.IGNORECASE):
            if not text[m.start()].isupper():
                continue
            mentioned = True
            if headline:  # "Trump Stands Tall On Proposal ...": a headline's names are its subjects
                return True, True
            before = text[: m.start()].split()
            previous = before[-1].lower().strip("“\"(") if before else ""
            if previous in _PREPOSITIONS:
                continue
            after = text[m.end() :]
            possessive = re.match(r"['’]s?\s+(?:[\w-]+\s+){0,2}?([a-z]+)", after)
            if possessive:
                if possessive.group(1) in _SOURCE_NOUNS:
                    return True, True
                continue
            if re.match(r"\s+(?:[a-z]+\s+)?([a-z]+)", after) and re.match(r"\s+(?:[a-z]+\s+)?([a-z]+)",
                                                                     after).group(1) in _SOURCE_NOUNS:
                return True, True  # "the Trump campaign said", "Clinton aides say"
            # skip a parenthesis, a time or an appositive: "Christie (R-N.J.) said", "Christie on Monday said",
            # "Christie, the governor, said"
            following = re.match(rf"\s*(?:\([^)]{{1,40}}\)\s*)?(?:{_WHEN}\s+)?(?:,[^,.;“”\"]{{1,100}},\s*)?"
                                 rf"((?:[a-z’']+\s+){{0,3}})", after)
            tail = (following.group(1) if following else "").split()
            tail = [w for w in tail if w not in _ADVERBS]
            if tail and tail[0] not in _NOT_VERBS and re.fullmatch(r"[a-z]+", tail[0]):
                subject = True
                return True, True
    return mentioned, subject


# How the speaker is reached in the paragraph (exactly one of these), then what else it shows.
REACH = ("by_name", "by_descriptor", "voiced", "subject", "mention", "continuation_only", "descriptor_only",
         "pronoun_only")
FEATURES = (*REACH, "leads", "quote", "others_quoted", "uncredited_quote", "after_own", "first", "intro", "hybrid",
            "names", "short", "opens_with_name", "named_in_quote", "cue_after")


def _load_cue_words() -> frozenset[str]:
    lines = (Path(__file__).with_name("cue_words.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# Heads of the cues PolNeAR's annotators marked on train ("said", "mocked", "declined", "don't"; derived by
# bench/cue_lexicon.py): broader than the verbs of saying, as the gold "who said what" is.
CUE_WORDS = _load_cue_words()
_CUE_TOKEN_RE = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
_CLAUSE_END_RE = re.compile(r"[“”\"]|[.!?;](?:\s|$)")


def cue_after(text: str, forms: list[str], window: int = 4) -> bool:
    """Whether a cue word (`CUE_WORDS`) is among the `window` words after a name outside quotes, before
    a quote mark or the sentence's end ("Trump has long argued", "Cruz's campaign declined"): the name
    then likely takes a stance, not just appears."""
    masked = mask_quotes(text)
    for form in forms:
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", masked):
            after = m.end() + (2 if masked[m.end() : m.end() + 2] in ("'s", "’s") else 0)  # "Cruz's campaign"
            clause = _CLAUSE_END_RE.split(masked[after:], maxsplit=1)[0]  # not the cue of "“...,” Dobbs said"
            following = _CUE_TOKEN_RE.findall(clause)[:window]
            if any(w.lower().replace("’", "'") in CUE_WORDS for w in following):
                return True
    return False


def _reach(references: set[str], named: str | None) -> str:
    if references & {"name", "short name"}:
        return "by_name"
    if "descriptor" in references and named:
        return "by_descriptor"
    if named:
        return named
    if "continuation" in references:
        return "continuation_only"
    return "descriptor_only" if "descriptor" in references else "pronoun_only"


def speaker_features(text: str, forms: list[str], references: set[str], named: str | None,
                     others_quoted: bool, after_own: bool = False, first: bool = False,
                     hybrid_rank: int | None = None) -> dict[str, float]:
    """What the ranker knows of one candidate paragraph for a speaker (all in [0, 1]): how it reaches
    the speaker (`REACH`, from the attributor's `Statement.reference`s and how `mentions` finds the name:
    "voiced", "subject" or "mention"); a sentence starting with the name, or the paragraph; quote marks,
    someone else quoted, a quote nobody is credited with; the name only inside a quote (someone talks
    about the speaker); following a paragraph attributed to the speaker by name; the first paragraph (a
    headline or lead); ending with a colon ("Cruz continued:": the words are in the next paragraph);
    how often the name occurs (up to 3); fewer than 20 words; the hybrid rank as 1 / (1 + rank); a cue
    word just after the name (`cue_after`)."""
    leads = any(re.search(rf"(?:^|[.!?]\s+|[“\"]\s*)(?:{_TITLE}\s+)?{re.escape(form)}(?![\w-])", text)
                for form in forms)
    quote = bool(re.search(r"[“\"]", text))
    features = dict.fromkeys(REACH, 0.0)
    features[_reach(references, named)] = 1.0
    features.update({
        "leads": float(leads),
        "quote": float(quote),
        "others_quoted": float(others_quoted),
        "uncredited_quote": float(quote and not others_quoted),
        "after_own": float(after_own),
        "first": float(first),
        "intro": float(text.rstrip().endswith(":")),
        "hybrid": 0.0 if hybrid_rank is None else 1.0 / (1.0 + hybrid_rank),
        "names": min(_name_count(text, forms), 3) / 3,
        "short": float(len(text.split()) < 20),
        "opens_with_name": float(any(re.match(rf"(?:{_TITLE}\s+)?{re.escape(f)}(?![\w-])", text) for f in forms)),
        "named_in_quote": float(bool(forms) and _in_text(text, forms) and not _in_text(mask_quotes(text), forms)),
        "cue_after": float(cue_after(text, forms)),
    })
    return features


def _name_count(text: str, forms: list[str]) -> int:
    """How often the name occurs, each occurrence once: "Nick Merrill" is one, not also a "Merrill"."""
    if not forms:
        return 0
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return len(re.findall(rf"(?<![\w-])(?:{alternatives})(?![\w-])", text))


def _in_text(text: str, forms: list[str]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text) for f in forms)


def _load_weights() -> dict[str, float]:
    data = json.loads((Path(__file__).with_name("speaker_weights.json")).read_text(encoding="utf-8"))
    return {"bias": data["bias"], **data["weights"]}


_WEIGHTS = _load_weights()


def speaker_score(features: dict[str, float]) -> float:
    """The learned log-odds that the paragraph holds the speaker's statements as PolNeAR's annotators
    mark them (logistic regression on the train split, `bench/speaker_ranker.py`; weights in
    speaker_weights.json). Higher ranks first."""
    return _WEIGHTS["bias"] + sum(_WEIGHTS.get(name, 0.0) * value for name, value in features.items())
