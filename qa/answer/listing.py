"""A question whose answer spans articles ("Which actors have died?", "Which companies were fined, and
why?"): what it asks for, read from its form, and whether a sentence answers it.

The question names a class (actors, companies, candidates) and a predicate (died, were fined, stood down).
The search reads the question and, beside it, its core ("actors died"), which finds the articles that
state the predicate however the rest of the question is worded. A sentence answers when it states the
predicate (a form of its word or a near-synonym: "died", "dead", "death") of an instance of the class: the
class word (or a synonym: "actress", "firm") stands before the predicate ("Irish actor Dan O'Herlihy ...
has died"), or the headline names both, or a name is the sentence's subject with no class word anywhere
in it. A sentence whose class word comes well after the predicate names another person in it ("Charles,
who died in 2004, ... while actor Jamie Foxx performed"): it answers another question and is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..ingest.documents import split_sentences
from ..index.records import Passage
from ..search.ranking import SearchResult
from .answerability import _LIST_RE, _NOT_NAMES, asks_for_list
from .verification import _LIGHT_VERBS, _same_word, _words_of

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
_AUXILIARIES = frozenset("have has had were was are is been be being do does did will would can could may might "
                         "should shall not also recently ever already still".split())
_ARTICLES = frozenset("a an the their its his her any some".split())
# Words that end the predicate: prepositions and conjunctions ("fined by regulators", "died after").
_ENDS = frozenset("by after before for in to of at from over with without into on about against during since "
                  "under because while as than so who whom which that what when where why how".split())
_PARTICLES = frozenset("down out up off away back".split())  # "stood down": the verb carries the meaning
_MAX_PREDICATE = 5  # predicate words read after the class noun
CORE_SYNONYMS = 3  # near-synonyms of the predicate its search adds

# Near-synonyms of the predicates news lists ask about most: a sentence stating any word of a group states
# the predicate worded by another ("found dead" for "have died", "quit" for "stood down").
_PREDICATE_GROUPS = tuple(frozenset(g.split()) for g in (
    "die died dies dying dead death deaths killed",
    "down quit quits quitting resign resigned resigns resigning resignation withdraw withdrew withdrawn",
    "fine fined fines fining penalty penalties penalised penalized",
    "defect defected defects defecting defection defector defectors",
    "sack sacked sacking fire fired dismiss dismissed",
    "ban banned bans banning suspend suspended suspension",
    "cut cuts cutting axe axed axing shed shedding",
    "accuse accused accusing allegation allegations alleged charged",
    "nominate nominated nominee nominees nomination nominations shortlisted",
    "arrest arrested arrests jail jailed sentenced convicted",
    "injure injured injury injuries ruled",
))
# Words naming the same class as a question's class noun ("actress" for "actors").
_CLASS_GROUPS = tuple(frozenset(g.split()) for g in (
    "actor actors actress actresses",
    "company companies firm firms group groups corporation corporations conglomerate giant giants business "
    "businesses carrier operator maker makers retailer retailers bank banks subsidiary",
    "candidate candidates",
    "politician politicians mp mps minister ministers peer peers councillor councillors mep meps",
    "athlete athletes sprinter sprinters runner runners",
    "executive executives boss bosses director directors chief",
    "country countries nation nations",
    "film films movie movies",
    "console consoles machine machines",
    "singer singers musician musicians star",
))


@dataclass(frozen=True)
class ListQuestion:
    """What a list question asks for: its class (the noun's forms and synonyms; empty for "Who have ...?")
    and its predicate words."""

    noun: str
    classes: frozenset[str]
    predicate: tuple[str, ...]

    @property
    def core(self) -> str:
        """The class and predicate as a search ("actors died dead death killed"), with up to
        CORE_SYNONYMS near-synonyms of the predicate: what every answering article states, in its words."""
        words = [self.noun, *(w for w in self.predicate if w != "or")]
        return " ".join([*words, *self.synonyms]).strip()

    @property
    def known(self) -> bool:
        """The predicate is one whose near-synonyms are known (_PREDICATE_GROUPS): a sentence not using
        its word may state it, and one using none of the group's words does not."""
        return any(_group_of(verb, particle) for verb, particle in _alternatives(self))

    @property
    def synonyms(self) -> list[str]:
        """Near-synonyms of the predicate's first word that are not forms of it, one per stem."""
        verb, particle = _alternatives(self)[0] if self.predicate else ("", "")
        out: list[str] = []
        for w in sorted(_group_of(verb, particle)):
            if w not in _PARTICLES and not _form_of(w, verb) and not any(_form_of(w, o) for o in out):
                out.append(w)
        return out[:CORE_SYNONYMS]


def _singular(noun: str) -> str:
    if noun.endswith("ies") and len(noun) > 4:
        return noun[:-3] + "y"
    if noun.endswith(("sses", "ches", "shes", "xes")):
        return noun[:-2]
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def list_question(question: str) -> ListQuestion | None:
    """The class and predicate of a question asking for a list, or None for any other question."""
    if not asks_for_list(question):
        return None
    m = _LIST_RE.search(question)
    noun = (m.group("noun") or "").lower() if m else ""
    end = m.end() if m else 0
    # "Which next-generation games consoles ...": the class is the noun phrase's last noun
    while noun and (more := re.match(r" ([a-z-]{3,}s)\b", question[end:])) and more.group(1) not in _AUXILIARIES:
        noun, end = more.group(1), end + more.end()
    # joined classes: "athletes and civil servants", "chief executives and company directors"
    joined = []
    if m and m.group("noun") and (before := _JOINED_BEFORE_RE.search(question[m.start():m.start("noun")])):
        joined.append(before.group(1).lower())
    if noun and (after := _JOINED_AFTER_RE.match(question[end:])) and after.group(1) not in _AUXILIARIES:
        joined.append(after.group(1))
        end += after.end()
    forms = {noun, _singular(noun)} - {""}
    for other in joined:
        forms |= {other, _singular(other)}
    classes = set(forms)
    for group in _CLASS_GROUPS:
        if forms & group:
            classes |= group
    predicate: list[str] = []
    for token in _WORD_RE.findall(question[end:]):
        low = token.lower().strip("'")
        if low in _ENDS and predicate:
            if low != "of":
                break
            continue  # "accused of doping or missed tests": the alternative after "or" is read too
        if (token[0].isupper() or low in _AUXILIARIES or low in _ARTICLES or low in _ENDS or low == "and"
                or low in forms or low == "else" or (low == "or" and not predicate)):
            continue
        predicate.append(low)
        if len(predicate) == _MAX_PREDICATE:
            break
    return ListQuestion(noun, frozenset(classes), tuple(predicate))


_PLURAL = r"[a-z-]{3,}(?:ies|[^su'\s]s)"
_JOINED_BEFORE_RE = re.compile(rf"\b({_PLURAL})\s+(?:and|or)\s+(?:[a-z-]+\s+){{0,2}}$", re.IGNORECASE)
_JOINED_AFTER_RE = re.compile(rf"\s+(?:and|or)\s+(?:[a-z-]+\s+){{0,2}}?({_PLURAL})\b")


def _form_of(a: str, b: str) -> bool:
    """`a` and `b` are forms of one word ("cut" / "cutting", "fined" / "fines")."""
    if _same_word(a, b):
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short) and long_[len(short):] in (
        "s", "es", "d", "ed", "ing", short[-1] + "ing", short[-1] + "ed")


def _same_form(a: str, b: str) -> bool:
    """`a` and `b` are forms of one word or near-synonyms ("died" / "dead")."""
    return _form_of(a, b) or any(a in g and b in g for g in _PREDICATE_GROUPS)


def _group_of(verb: str, particle: str) -> frozenset[str]:
    """The near-synonyms of a predicate ("stood down": quit, resign, ...), or none."""
    for group in _PREDICATE_GROUPS:
        if (particle and particle in group) or (not particle and any(_form_of(w, verb) for w in group)):
            return group
    return frozenset()


def _alternatives(lq: ListQuestion) -> list[tuple[str, str]]:
    """The predicate's words that say something, each with the particle that must follow it ("stood",
    "down"): the first one, and a verb after "or" ("accused of doping or missed tests"). Light verbs
    ("made", "considered") say too little on their own."""
    words = list(lq.predicate)
    out = []
    for i, w in enumerate(words):
        if w in _LIGHT_VERBS or w in _PARTICLES or w == "or":
            continue
        if not out or (w.endswith("ed") and i > 0 and words[i - 1] == "or"):
            out.append((w, words[i + 1] if i + 1 < len(words) and words[i + 1] in _PARTICLES else ""))
    return out or [(w, "") for w in words[:1]]


def predicate_at(lq: ListQuestion, words: list[str], tokens: list[str] | None = None) -> int | None:
    """Where in `words` (lowercased) the question's predicate is stated first, or None: a form of its
    word ("cutting" of "cutting jobs"), with its particle when it has one ("stood down", not "stood
    still"), or a near-synonym ("quit"). Given the `tokens` as written, a capitalised word inside the
    sentence is part of a name or title ("The Life & Death of Peter Sellers"), not the predicate."""
    for i, w in enumerate(words):
        if tokens is not None and i > 0 and tokens[i][:1].isupper():
            continue
        for verb, particle in _alternatives(lq):
            if particle and w != particle and any(w in g and particle in g for g in _PREDICATE_GROUPS):
                return i
            if _same_form(w, verb) and (not particle or words[i + 1: i + 2] == [particle]):
                return i
    return None


_AFTER = 3  # a class word this near after the predicate still names its subject ("the death of actor X")


def class_at(lq: ListQuestion, tokens: list[str], at: int) -> str:
    """Whether the words name an instance of the class as the predicate's subject: "class" (a class word
    before the predicate, or just after it), "after" (only well after it: "accused of anti-Semitism over
    a poster", or a person's class word about something else), "other" (only well after it, before a
    name: "... while actor Jamie Foxx performed" names someone else), "none" (no class word)."""
    words = [t.lower() for t in tokens]
    places = [i for i, w in enumerate(words) if w in lq.classes]
    if not places:
        return "none"
    if any(i <= at + _AFTER for i in places):
        return "class"
    return "other" if all(tokens[i + 1: i + 2] and tokens[i + 1][0].isupper() for i in places) else "after"


_FUNCTION = frozenset("the a an and but or of to in on at for with by from as so yet while when".split())
_HEDGES = frozenset("not no never could may might would if unless whether".split())
_HEDGE_BEFORE = 6  # "could face a fine", "was not fined": a hedge this near before the predicate


def _capitalised_inside(word: str, text: str) -> bool:
    """`word` stands capitalised in `text` somewhere other than a sentence's or line's start: a name."""
    for m in re.finditer(rf"\b{re.escape(word)}\b", text):
        before = text[: m.start()].rstrip(" ")
        if before and before[-1] not in ".!?\n\"'":
            return True
    return False


def _subject_name(tokens: list[str], at: int, context: str, any_role: bool = False) -> bool:
    """A name is the subject: a capitalised word before the predicate (the sentence's first word only
    when the headline or paragraph capitalises it elsewhere too: "Oracle has announced"), with no other
    role word just before it ("Record producer Terry Melcher" names a producer, not an actor), unless
    `any_role` (a "who" question asks for anyone)."""
    for i, t in enumerate(tokens[:at]):
        if not t[0].isupper() or t.lower() in _FUNCTION:
            continue
        if i == 0 and not _capitalised_inside(t, context):
            continue
        before = tokens[i - 1].lower() if i > 0 else ""
        return any_role or not before or not tokens[i - 1][0].islower() or before in _FUNCTION
    return False


def answers_list(lq: ListQuestion, sentence: str, title: str = "", paragraph: str = "") -> str:
    """How the sentence states the predicate of an instance of the asked class (TIERS): "class" (a class
    word before the predicate, or the headline naming both), "name" (no class word in the sentence, a
    name as its subject), "after" (a class word only well after the predicate), or "" (it does not: no
    predicate, a hedge before it, "could face a fine", or a class word that names someone else)."""
    if not lq.predicate:
        return "class"
    tokens = _WORD_RE.findall(sentence)
    words = [t.lower() for t in tokens]
    at = predicate_at(lq, words, tokens)
    if at is None or any(w in _HEDGES for w in words[max(0, at - _HEDGE_BEFORE):at]):
        return ""
    context = f"{title}\n{paragraph}"
    if not lq.classes:  # "Who have ...?": a person named before what they did
        return "name" if _subject_name(tokens, at, context, any_role=True) else ""
    found = class_at(lq, tokens, at)
    if found in ("class", "other"):
        return "class" if found == "class" else ""
    head = _WORD_RE.findall(title)
    head_at = predicate_at(lq, [t.lower() for t in head])
    if head_at is not None and class_at(lq, head, head_at) == "class":
        return "class"
    if found == "after":
        return "after"
    return "name" if _subject_name(tokens, at, context) else ""


TIERS = ("class", "name", "after")  # how surely a line names an instance of the class, surest first


def mentions_predicate(lq: ListQuestion, text: str) -> bool:
    """The text holds a form of the predicate (a quick test before sentences are ranked)."""
    return predicate_at(lq, [w.lower() for w in _WORD_RE.findall(text)]) is not None


LIST_MIN_ARTICLES = 2  # the predicate test applies when at least this many articles pass it


def stating_predicate(lq: ListQuestion, result: SearchResult, keep: int | None = None) -> SearchResult:
    """The passages whose text or headline states the question's predicate, when those reach at least
    LIST_MIN_ARTICLES articles and the predicate's near-synonyms are known; otherwise all of them (a
    predicate the articles word otherwise: "preparing" for consoles named in articles about their launch). `keep`: a passage kept anyway
    (the one whose support decided not to abstain, so the answerers decide alike)."""
    if not lq.known:
        return result
    kept = [p for p in result.passages if p.id == keep or mentions_predicate(lq, f"{p.title or ''}. {p.text}")]
    if len({p.article_id for p in kept if p.id != keep}) < LIST_MIN_ARTICLES:
        return result
    return replace(result, passages=kept, evidence={p.id: result.evidence[p.id] for p in kept if p.id in result.evidence})


LIST_SUPPORT_FLOOR = 0.3  # the support a list question's passage needs to be read: they all state its predicate


def list_reading(question: str, result: SearchResult) -> dict:
    """How rank_sentences reads a list question's passages (its keyword arguments; none for another
    question): at a lower support floor, since the passages were narrowed to those stating the predicate
    (stating_predicate) and one matching the question's other words less well still answers; and, when
    sentences of at least LIST_MIN_ARTICLES articles state the predicate of the class (answers_list), only
    those are ranked (a list
    reads dozens of passages: embedding every sentence would take seconds)."""
    lq = list_question(question)
    if lq is None or (lq.predicate and not lq.known):
        return {}
    if not lq.predicate:
        return {"floor": LIST_SUPPORT_FLOOR}
    def states(sentence: str, passage: Passage) -> bool:
        return bool(answers_list(lq, sentence, passage.title or "", passage.text))

    stating = {p.article_id for p in result.passages if any(states(s, p) for s in split_sentences(p.text))}
    if len(stating) < LIST_MIN_ARTICLES:
        return {"floor": LIST_SUPPORT_FLOOR}
    return {"floor": LIST_SUPPORT_FLOOR, "only": states}


_COUNTS = frozenset("the a an two three four five six several both some many".split())
_SUBJECT_ENDS = _ENDS | _AUXILIARIES


def describes_instance(sentence: str) -> bool:
    """The sentence's subject describes the instance without naming it ("The top civil servant at the
    centre of the visa affair has been knighted", "The two most senior executives at X have resigned"):
    news names it in the next sentence, which a list line then needs."""
    tokens = _WORD_RE.findall(sentence)
    if not tokens or tokens[0].lower() not in _COUNTS:
        return False
    for t in tokens[1:]:
        if t.lower() in _SUBJECT_ENDS:
            return True
        if t[0].isupper():
            return False
    return False


def names_instance(sentence: str, asked_names: frozenset[str]) -> bool:
    """The sentence names something the question does not: a capitalised word inside it (not its first
    word) that is none of the question's names nor a weekday, month or other word that names nothing."""
    words = re.findall(r"(?<=[\s(\"“‘'’-])[A-Z][\w-]*", sentence.strip())
    return any(_words_of(w) - asked_names - _NOT_NAMES - {"i"} for w in words)


def names_someone(sentence: str) -> bool:
    """A name in the sentence: two capitalised words in a row ("Sir John Gieve", "Franklin Raines")."""
    return re.search(r"\b[A-Z][\w'’-]+\s+[A-Z][\w'’-]+", sentence) is not None
