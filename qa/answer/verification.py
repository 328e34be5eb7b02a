"""Verification of an LLM's draft: every sentence is checked against the sentences it cites, and kept,
re-cited, rewritten to its source's words or removed (`verify_answer`).

A sentence is kept only when what it claims is stated by one sentence the model was shown: its names,
numbers and answer words, and the subject and predicate the question gives it (a sentence about
"mobile phones" cited to a paragraph about PCs is removed however many words it shares).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.dates import asks_when
from ..ingest.documents import split_sentences
from ..index.records import Passage
from .citations import MARKER_RE, Citation, neutralise_markers
from .injection import data_sentences

_PLACEHOLDER_RE = re.compile(r"\[(?:n|N|\?|citation|source|passage)\]")  # a small model copying the instructions


_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]{12,}?)[\"“”]")  # double-quoted spans long enough to be quotes
_WORD_RE = re.compile(r"[^\W_]+")
_SUPPORT_COSINE = 0.55  # sentence-to-paragraph cosine that counts as support on its own
_SUPPORT_OVERLAP = 0.6  # share of the sentence's content words found in the paragraph
_FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been it its this that these "
    "those he she they his her their him them i we you said says say told according also has have had "
    "would could will may might not no do does did than then there which who whom what when where why how "
    "about into after before over under more most some any such".split()
)


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    citations: list[int]  # final numbers, after renumbering
    supported: bool
    support: float  # best of cosine and word overlap against the cited paragraph(s)
    quotes_verbatim: bool | None  # None when the sentence quotes nothing
    action: str  # kept | cited (a citation was added) | removed | added (a statement or best-ranked sentence the draft left out)
    reason: str | None = None  # why a sentence was removed

    def as_json(self) -> dict:
        out = {
            "sentence": self.sentence,
            "citations": self.citations,
            "supported": self.supported,
            "support": round(self.support, 3),
            "quotes_verbatim": self.quotes_verbatim,
            "action": self.action,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


def normalise_for_quote(text: str) -> str:
    """Curly quotes to straight, runs of whitespace to one space: the only liberties a quote may take."""
    table = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
    return re.sub(r"\s+", " ", neutralise_markers(text).translate(table)).strip()


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD_RE.findall(text.lower()) if w not in _FUNCTION_WORDS and len(w) > 2}


def word_overlap(sentence: str, paragraph: str) -> float:
    words = _content_words(sentence)
    if not words:
        return 1.0
    para = _content_words(paragraph)
    # a crude stem match: "dispatched" finds "dispatching"
    hit = sum(1 for w in words if w in para or any(p.startswith(w[:5]) for p in para if len(w) > 5))
    return hit / len(words)


def _support_text(p: Passage) -> str:
    """The paragraph plus what a sentence may add from its header: "Reuters reported on 2024-11-07
    that ...", "on Tuesday (2024-11-05)"."""
    extra = [p.source or "", p.date or "", "reported reports reporting"]
    extra += [d.label for d in p.dates] + [c.source or "" for c in p.also_in] + [c.date or "" for c in p.also_in]
    return p.text + " " + " ".join(extra)


def _whole_quotes(sentences: list[str]) -> list[str]:
    """Rejoin sentences split inside a quotation, so a quote of several sentences is checked verbatim
    as a whole (split up, each piece would only be checked for support, and an altered word could pass)."""
    out: list[str] = []
    for sentence in sentences:
        if out and _quote_open(out[-1]):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def _quote_open(text: str) -> bool:
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


_LEADING_MARKERS_RE = re.compile(r"^(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")


def _markers_with_their_sentence(sentences: list[str]) -> list[str]:
    """Models often write "... Pardo said. [2] Trump may ...": a marker after the full stop cites the
    sentence before it, not the one the split leaves it in front of."""
    out: list[str] = []
    for sentence in sentences:
        leading = _LEADING_MARKERS_RE.match(sentence)
        if leading and out:
            out[-1] = f"{out[-1]} {leading.group(0).strip()}"
            sentence = sentence[leading.end():].strip()
        if sentence:
            out.append(sentence)
    return out


def _without_markers(sentence: str) -> str:
    """A draft sentence without its markers, tidied where they stood: "Trump, [1]." -> "Trump.",
    "the passage [1] says" -> "the passage says"."""
    text = re.sub(r"\s{2,}", " ", MARKER_RE.sub("", sentence)).replace(" .", ".").strip()
    return re.sub(r"\s*[,;:]+(?=[.!?][\"'”’)]*$)", "", text)


_SAYS = r"(?:said|says|told|tells|added|adds|noted|notes|argued|argues|warned|warns|explained|stated)"
_NAME = r"(?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w'’-]*"
_LEAD_ATTRIBUTION_RE = re.compile(rf"^(?P<who>{_NAME})\s+{_SAYS}(?:\s+that)?\s+(?P<rest>.+)$")


def _without_repeated_attribution(sentence: str) -> str:
    """A small model prefixes a sentence it copies with its speaker: "Bruce Klingner said Kim could see an
    upside ..., said Bruce Klingner, a former CIA analyst ..." says who twice; the copy alone remains."""
    m = _LEAD_ATTRIBUTION_RE.match(sentence)
    if not m:
        return sentence
    surname, rest = re.escape(m.group("who").split()[-1]), m.group("rest")
    if re.search(rf"\b{_SAYS}\s+(?:{_NAME}\s+)?{surname}\b|\b{surname}\s+{_SAYS}\b", rest):
        return rest[:1].upper() + rest[1:]
    return sentence


_PASSAGE_TALK_RE = re.compile(
    r"^(?:(?:The|These|Both|Both of the) (?:passage|excerpt)s?(?:\s+(?:from|and|above|provided|given|both|also|together))*\s+"
    r"(?:state|states|say|says|mention|mentions|note|notes|indicate|indicates|show|shows|report|reports|"
    r"explain|explains)\s+that|According to (?:the|both) (?:passage|excerpt)s?(?:\s+(?:and|above|provided))*\s*,)\s+"
    r"(?P<rest>.+)$")


def _without_passage_talk(sentence: str) -> str:
    """ "The passages [1] and [2] both state that Trump and Kim met ..." reads, once its markers are out,
    "The passages and both state that ..."; the reader wants what they say, cited: "Trump and Kim met ..."."""
    m = _PASSAGE_TALK_RE.match(sentence)
    return m.group("rest")[:1].upper() + m.group("rest")[1:] if m else sentence


# The model talking about its answer or its instructions instead of the articles.
_ANSWER_TALK_RE = re.compile(
    r"^(?:this|that|these|which|the above|my answer|the answer above|the (?:excerpt|passage|sentence)s? (?:above|provided))"
    r"\b.{0,80}\b(?:answers?|answering|question|excerpts?|passages?|information provided|response)\b"
    r"|\b(?:system prompt|my instructions|these instructions|these rules|my rules|the rules (?:say|state)|"
    r"I (?:cannot|can't|can not|am unable to|won't) (?:reveal|share|disclose|answer|provide)|as an AI|"
    r"I'm sorry|I am sorry|language model)\b",
    re.IGNORECASE)
# Words a sentence may use without finding them in its source: the frame of an answer, not its facts.
_FRAME_WORDS = frozenset(
    "according article articles story report reported reports reporting stated states state known called "
    "named excerpt excerpts passage passages mentioned mentions question answer answers following "
    "because due reason reasons also however therefore thus include includes including".split())
_ANSWER_WORD_SHARE = 0.75  # of a sentence's own answer words (not in the question) that its sentence must hold
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve dozen dozens hundred "
                          "hundreds thousand thousands million millions billion billions half percent once twice "
                          "thrice many several few numerous multiple times all none no".split())
# Spelled-out numbers are numbers: "forced four fumbles" needs "four" in the sentence, like "4".
# A rank is a number too: "the third most abundant" is not "the most abundant".
_ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
                      "twentieth hundredth".split())
_COUNT_WORDS = frozenset("two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                         "hundred thousand million billion twice thrice".split())
# A "why" answer gives a reason; "The FCC decided that Fresno would only have UHF stations" does not.
_REASON_RE = re.compile(r"\b(?:because|due to|owing to|since|so that|so as|in order|as a result|result of|reason|"
                        r"caused|causes|cause|thanks to|for|to (?!the\b|a\b|an\b)[a-z]+|after|as|led to|leads to)\b",
                        re.IGNORECASE)
_WHEN_WORDS = frozenset("january february march april may june july august september october november december "
                        "monday tuesday wednesday thursday friday saturday sunday century centuries year years "
                        "decade decades today yesterday tomorrow week weeks month months spring summer autumn "
                        "fall winter morning evening night ago bc ad".split())
_WH_RE = re.compile(r"^\W*(who|whom|whose|when|where|how (?:many|much|long|old|far|tall|big|large))\b", re.IGNORECASE)


_IRREGULAR = dict(pair.split(":") for pair in (
    "paid:pay bought:buy sold:sell won:win met:meet held:hold made:make took:take taken:take gave:give given:give "
    "found:find led:lead began:begin begun:begin went:go gone:go said:say told:tell left:leave lost:lose kept:keep "
    "built:build sent:send spent:spend grew:grow grown:grow became:become knew:know known:know chose:choose "
    "chosen:choose wrote:write written:write ran:run fell:fall fallen:fall rose:rise risen:rise brought:bring "
    "thought:think caught:catch taught:teach fought:fight sought:seek struck:strike drew:draw drawn:draw flew:fly "
    "saw:see seen:see came:come got:get stood:stand felt:feel meant:mean heard:hear paid:pay laid:lay "
    "born:bear bore:bear wore:wear worn:wear broke:break broken:break spoke:speak spoken:speak ate:eat eaten:eat "
    "drove:drive driven:drive rode:ride ridden:ride sang:sing sung:sing won:win shut:shut set:set put:put").split())


# A verb and a particle written as one noun ("takeover", "walkout", "breakdown") name something else.
_PARTICLE_ENDINGS = frozenset("over overs off offs out outs up ups down downs away back backs".split())


def _same_word(a: str, b: str) -> bool:
    """A crude stem match: "dispatched" / "dispatching", "meet" / "meetings", "paid" / "pay"."""
    a, b = _IRREGULAR.get(a, a), _IRREGULAR.get(b, b)
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if long_.startswith(short) and long_[len(short):] in _PARTICLE_ENDINGS:
        return False  # "takeover" is no form of "take", nor "shutdown" of "shut"
    if len(short) >= 4 and long_.startswith(short):
        return True
    if len(short) >= 5 and long_.startswith(short[:-1]):
        # the last letter dropped only where an ending replaces it: "price" / "pricing", "apply" / "applied";
        # "party" is no form of "partner"
        following = long_[len(short) - 1]
        if (short[-1] == "e" and following in "aeiou") or (short[-1] == "y" and following == "i"):
            return True
    return len(a) > 5 and len(b) > 4 and b.startswith(a[:5])


def _stem_in(word: str, words: set[str]) -> bool:
    """`word` or a form of it is in `words`."""
    return word in words or any(_same_word(word, w) for w in words)


_UNITS = (("bn", "billion"), ("m", "million"), ("tn", "trillion"), ("k", "thousand"))
_UNIT_RE = re.compile(r"(\d)\s*(bn|tn|m|k)\b", re.IGNORECASE)


def _spelled_units(text: str) -> str:
    """ "$9.3bn" and "$9.3 billion" are the same number: news abbreviates, models spell out."""
    return _UNIT_RE.sub(lambda m: f"{m.group(1)} {dict(_UNITS)[m.group(2).lower()]}", text)


def key_terms(sentence: str, question: str = "") -> tuple[set[str], set[str]]:
    """(names and numbers, other answer words) of a sentence that its source must hold: the words the
    question did not already give. Lowercased."""
    # every word of the question, short numbers included ("15-1" gives no count to "How many teams ...")
    question, sentence = _spelled_units(question), _spelled_units(sentence)
    asked = _content_words(question) | {w for w in _WORD_RE.findall(question.lower()) if any(c.isdigit() for c in w)}
    tokens = _WORD_RE.findall(sentence)
    strict, loose = set(), set()
    for i, token in enumerate(tokens):
        low = token.lower()
        if low in _FUNCTION_WORDS or low in _FRAME_WORDS or _stem_in(low, asked):
            continue
        if any(ch.isdigit() for ch in token) or low in _COUNT_WORDS or low in _ORDINALS or (i > 0 and token[:1].isupper()):
            strict.add(low)
        elif len(low) > 2:
            loose.add(low)
    return strict, loose


def _gives_what_was_asked(sentence: str, question: str) -> bool:
    """A who / where / when / how-many question wants a name, a place, a date or a count; an answer with
    none ("was based in the capital city") says nothing, however true."""
    if re.match(r"^\W*why\b", question, re.IGNORECASE):
        return bool(_REASON_RE.search(sentence))
    m = _WH_RE.match(question)
    if not m:
        # "What did Luther write as an outline?" - "Luther wrote as an outline in 1526": a thing is asked,
        # and a year is all the answer adds
        new = set().union(*key_terms(sentence, question))
        asks_time = bool(_content_words(question) & (_WHEN_WORDS | {"date", "time", "period", "era", "age"}))
        return asks_time or not new or not all(_YEAR_RE.fullmatch(w) or w in _WHEN_WORDS for w in new)
    strict, loose = key_terms(sentence, question)
    kind = m.group(1).lower()
    if kind.startswith("how"):
        # how many / much / far / old / tall / big ... asks for a number; how long may get a span ("a decade")
        measures = _NUMBER_WORDS | _ORDINALS | (_WHEN_WORDS if kind.endswith("long") else frozenset())
        return any(any(c.isdigit() for c in w) for w in strict) or bool((strict | loose) & measures)
    if kind == "when":
        return any(any(c.isdigit() for c in w) for w in strict) or bool((strict | loose) & _WHEN_WORDS)
    return bool(strict) or len(loose) >= 2  # a who / where answer names someone or somewhere


def _words_of(text: str) -> set[str]:
    return {w.lower() for w in _WORD_RE.findall(_spelled_units(text))}


def source_holds_terms(sentence: str, question: str, evidence: list[str], header: str = "", title: str = "",
                       shown: str = "") -> bool:
    """The sentence's names and numbers are all in one evidence sentence (with the passage header: outlet,
    date, resolved dates; and the article's title), and so are most of its other answer words. A sentence
    stitched from two sentences of a paragraph into a claim neither makes fails. An answer word the
    source sentence lacks may be the model's own wording, unless another sentence of the evidence (or of
    `shown`, the rest of what the model saw) holds it: then it was taken from there."""
    strict, loose = key_terms(sentence, question)
    # a number the question gave and the sentence repeats ("in Super Bowl 50") must be in the same source
    # sentence as the answer: "forced four fumbles" from a sentence about the season is no answer for it
    echoed = {w for w in _numbers(sentence) if w in _numbers(question)}
    if not strict and not loose:
        return True
    extra, titled = _words_of(header), _words_of(title)
    elsewhere = _words_of(" ".join([*evidence, shown]))
    for source in evidence:
        words = _words_of(source) | extra
        # the title ("Super Bowl 50") may name what the answer names, but does not place a repeated number
        if not all(_stem_in(w, words) for w in echoed) or not all(_stem_in(w, words | titled) for w in strict):
            continue
        misses = [w for w in loose if not _stem_in(w, words)]
        # one word of a few may be the model's own ("met" for "held meetings"); names and numbers may not,
        # nor a word of another sentence ("contracted cholera" is no cause of the father's illness)
        if len(misses) <= max(1 if len(loose) >= 2 else 0, int((1 - _ANSWER_WORD_SHARE) * len(loose))) and not any(
                _stem_in(w, elsewhere) for w in misses):
            return True
    return False


def source_on_topic(sentence: str, question: str, evidence: list[str]) -> bool:
    """A source sentence holding the sentence's answer terms shares a word with the question, or the
    sentence before it does: "faith alone makes someone just" holds the words of "God's expression of
    eternal will is faith alone" but says nothing of God's will."""
    asked = _content_words(question)
    if not asked or not any(key_terms(sentence, question)):
        return True
    for k, source in enumerate(evidence):
        if source_holds_terms(sentence, question, [source]):
            context = _content_words(" ".join(evidence[max(k - 1, 0): k + 1]))
            if any(_stem_in(w, context) for w in asked):
                return True
    return False


_SUPERLATIVES = ("largest biggest highest lowest oldest youngest longest shortest smallest greatest richest poorest "
                 "busiest deadliest fastest strongest tallest heaviest wealthiest earliest best worst").split()
_ORDINAL_ALTERNATIVES = "|".join(sorted(_ORDINALS))
_RANKED_RE = re.compile(rf"\b({_ORDINAL_ALTERNATIVES})[- ]((?:most|least) \w+|{'|'.join(_SUPERLATIVES)})\b",
                        re.IGNORECASE)


def drops_rank(sentence: str, question: str, evidence: list[str]) -> bool:
    """The sentence says "the most common" where its source sentence says "the second most common"."""
    low = sentence.lower()
    for source in evidence:
        if not source_holds_terms(sentence, question, [source]):
            continue
        for m in _RANKED_RE.finditer(source):
            superlative = m.group(2).lower()
            if re.search(rf"\b{re.escape(superlative)}\b", low) and not re.search(
                    rf"\b(?:{_ORDINAL_ALTERNATIVES})[- ]{re.escape(superlative)}\b", low):
                return True
    return False


def names_in_passage(sentence: str, question: str, evidence: list[str], header: str = "", title: str = "") -> bool:
    """A name the question gives and the sentence repeats is in the cited passage (or its header, with
    the speakers it is credited to, or title): "90% of the world's electric production" is no answer
    for "in the United States", nor "CBS broadcast Super Bowl 50 in the U.S." for "in Spanish"."""
    named = _names(question) & _words_of(sentence)
    words = _words_of(" ".join([*evidence, header, title]))
    return all(_stem_in(w, words) for w in named)


_ITEM = r"[A-Z0-9][\w.'’&-]*(?: (?:of |the |de )?[A-Z0-9][\w.'’&-]*)*"
_LIST_RE = re.compile(rf"{_ITEM}(?:, {_ITEM})+,? (?:and|or) {_ITEM}|{_ITEM}(?:, {_ITEM}){{2,}}")


def names_peers_only(sentence: str, question: str, evidence: list[str]) -> bool:
    """Every name the sentence adds is listed with a name of the question in one list of its source:
    "20th Century Fox, Paramount Pictures and Universal paid for trailers" for "What Lionsgate trailer
    was shown?", from "20th Century Fox, Lionsgate, Paramount Pictures and Universal paid for trailers",
    names the ones like it, not what was asked."""
    asked = _names(question)
    strict, _ = key_terms(sentence, question)
    new = {w for w in strict if not w.isdigit()}
    if not asked or not new:
        return False
    for source in evidence:
        for m in _LIST_RE.finditer(source):
            listed = _words_of(m.group())
            if asked & listed and all(_stem_in(w, listed) for w in new):
                return True
    return False


def _names(text: str) -> set[str]:
    """The capitalised words of a text after its first word, lowercased: the names a question gives."""
    tokens = _WORD_RE.findall(text)
    return {t.lower() for t in tokens[1:] if t[:1].isupper() and t.lower() not in _FUNCTION_WORDS}


_PART_MIN_WORDS = 6  # a shorter sentence is the model's own short answer, whatever its words
_PART_MIN_CONTENT = 4  # a part that is not word for word: this many content words, all from one source sentence


def _whole_sentence(sentence: str, question: str, sources: list[str]) -> str | None:
    """The source sentence the sentence copies a part of (word for word, or all its content words),
    when the part left out holds words of the question the copy lacks: the model cut what the question
    asks about ("About 15 kilometres from Warsaw, the river's environment changes ...")."""
    words = [w.lower() for w in _WORD_RE.findall(sentence)]
    if len(words) < _PART_MIN_WORDS:
        return None
    content = _content_words(sentence)
    asked = _content_words(question) - set(words)
    for source in sources:
        have = [w.lower() for w in _WORD_RE.findall(source)]
        if any(
                have[k: k + len(words)] == words and asked & set(have[:k] + have[k + len(words):])
                for k in range(len(have) - len(words) + 1)):
            return neutralise_markers(source).strip()
        theirs = _content_words(source)
        if len(content) >= _PART_MIN_CONTENT and all(_stem_in(w, theirs) for w in content) and any(
                _stem_in(w, theirs) and not _stem_in(w, content) for w in asked):
            return neutralise_markers(source).strip()
    return None


# Words that make a number an estimate or a bound; an answer that drops them states more than its source.
_QUALIFIER_RE = re.compile(
    r"\b(an estimated|estimated|about|around|approximately|roughly|nearly|almost|more than|over|less than|"
    r"fewer than|under|up to|at least|at most|some|as many as|as much as|as few as|close to)\s+$", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"[$£€]?\d(?:[\d,.]*\d)?")


def restore_qualifiers(sentence: str, sources: list[str]) -> str:
    """The sentence with the qualifier its source gives a number put back: "paid $200,000" where every
    source sentence holding "$200,000" says "an estimated $200,000" becomes "paid an estimated $200,000"."""
    for m in reversed(list(_AMOUNT_RE.finditer(sentence))):
        if _QUALIFIER_RE.search(sentence[: m.start()]):
            continue
        given = {(q.group(1).lower() if (q := _QUALIFIER_RE.search(source[: n.start()])) else None)
                 for source in sources
                 for n in re.finditer(rf"(?<![\w.,]){re.escape(m.group())}(?![\w])", source)}
        if len(given) == 1 and None not in given:
            qualifier = given.pop()
            qualifier = qualifier.capitalize() if not sentence[: m.start()].strip() else qualifier
            sentence = f"{sentence[: m.start()]}{qualifier} {sentence[m.start():]}"
    return sentence


_OF_NAME_RE = re.compile(r"\b([Tt]he) ([a-z]+) of ((?:[A-Z][\w-]*)(?: [A-Z][\w-]*){0,3})\b")


def restore_possessives(sentence: str, sources: list[str]) -> str:
    """The sentence with "the army of Napoleon" written as its source writes it, "Napoleon's army": the
    answer keeps the article's own words for what it names."""
    def own_words(m: re.Match) -> str:
        thing, name = m.group(2), m.group(3)
        for source in sources:
            if found := re.search(rf"\b{re.escape(name)}['’]s {re.escape(thing)}\b", source):
                return found.group()
        return m.group()

    return _OF_NAME_RE.sub(own_words, sentence)


def _numbers(text: str) -> set[str]:
    """The numbers of a text, digits and spelled-out counts, lowercased."""
    return {w for w in _words_of(text) if any(c.isdigit() for c in w) or w in _COUNT_WORDS}


_YEAR_RE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")


def answers_another_year(sentence: str, question: str) -> bool:
    """The question asks about a year and the sentence names other years only ("Where did Tesla begin
    working in 1884?" - "... in 1882"): true to its source, but about something else."""
    asked, given = set(_YEAR_RE.findall(question)), set(_YEAR_RE.findall(sentence))
    return bool(asked and given and not asked & given)


# Words of a question that refer to the archive or to asking, not to what is asked about.
_ASKING_WORDS = frozenset("article articles story stories report reports passage passages archive news according "
                          "piece coverage text which what who whom whose why how when where".split())
# Verbs that carry no claim of their own ("comes from", "made up of", "get"): a source says them otherwise.
_LIGHT_VERBS = frozenset("come comes came coming get gets got getting make makes made making take takes took taken "
                         "give gives gave given go goes went gone become becomes became happen happens happened "
                         "use uses used using know known called name named include includes including think "
                         "consider considered mean means meant".split())


def unstated_subject(sentence: str, question: str, paragraph: str, title: str = "") -> set[str]:
    """The words of the question the sentence repeats (what it says its claim is about, or what that did)
    that the cited paragraph and its title never state: "The viruses have attacked mobile phones" cited to a
    paragraph about hijacked PCs claims "mobile" and "phones" the source does not, however many of its
    other words the source holds."""
    # units spelled out in all three, as in `_words_of`: "the 400m title" holds the "400m" asked about
    asked = {w for w in _content_words(_spelled_units(question)) if w not in _ASKING_WORDS and w not in _LIGHT_VERBS
             and not w.isdigit()}
    said = _content_words(_spelled_units(sentence))
    stated = _words_of(f"{paragraph} {title}")
    return {w for w in asked if w in said and not _stem_in(w, stated)}


def with_dates(sentence: str, passages: list[Passage]) -> str:
    """The sentence with the date its words mean after them, as the source's date mentions resolve them:
    "on Tuesday" -> "on Tuesday (2024-11-05)", so a when-answer states its date whoever wrote it."""
    for p in passages:
        for d in sorted(p.dates, key=lambda d: d.granularity != "day"):
            phrase, label = d.phrase, d.label
            if label in sentence or phrase == label or not phrase:
                continue
            # "last week" in any case; "May" the month, not "may" the verb
            flags = 0 if phrase[:1].isupper() else re.IGNORECASE
            m = re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])(?!\s*\()", sentence, flags)
            if m:
                sentence = f"{sentence[: m.end()]} ({label}){sentence[m.end():]}"
    return sentence


def _header_text(p: Passage) -> str:
    return " ".join([p.source or "", p.date or "", p.byline or ""]
                    + [d.label for d in p.dates] + [c.source or "" for c in p.also_in]
                    + [c.date or "" for c in p.also_in])


def evidence_sentences(text: str) -> list[str]:
    """The sentences of evidence text that may support an answer: injected instructions are no evidence."""
    return [clean for _, clean in data_sentences(text) if clean]


def verify_answer(draft: str, passages: list[Passage], embedder, question: str = "",
                  excerpts: list[str] | None = None) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Check every sentence of `draft` against `passages` (numbered 1.. as in the prompt): drop markers
    that point nowhere, cite uncited sentences where a passage supports them, remove sentences nothing
    supports, whose quotes are not verbatim, whose names, numbers and answer words are not in one
    sentence of what the model was shown (`excerpts`, else the paragraphs; injected instructions never
    count), that restate `question` or talk about the answer instead of giving it, that repeat a name
    of the question the passage lacks, rest on a sentence not about the question or drop its rank; show
    a sentence copied in part as its whole source sentence, keep a number's qualifier, and renumber
    citations by first use."""
    draft = _PLACEHOLDER_RE.sub("", re.sub(r"\s+", " ", draft)).strip()
    sentences = [s for s in _markers_with_their_sentence(_whole_quotes(split_sentences(draft)))
                 if MARKER_RE.sub("", s).strip()]
    if not sentences:
        return "", [], []
    bare = [_without_repeated_attribution(_without_passage_talk(_without_markers(s))) for s in sentences]
    sentence_vectors = embedder.encode(bare)
    passage_vectors = embedder.encode([p.text for p in passages]) if passages else None
    shown = excerpts if excerpts is not None and len(excerpts) == len(passages) else [p.text for p in passages]
    evidence = [evidence_sentences(text) for text in shown]
    # the whole paragraphs' evidence: a quote may come from any sentence, a name from anywhere in it
    paragraphs = [evidence_sentences(p.text) for p in passages]
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    kept_text: list[str] = []
    checks: list[SentenceCheck] = []
    for i, sentence in enumerate(sentences):
        cited = []
        for group in MARKER_RE.findall(sentence):
            for n in (int(x) for x in group.split(",")):
                if 1 <= n <= len(passages) and n - 1 not in cited:
                    cited.append(n - 1)
        cosines = [float(sentence_vectors[i] @ passage_vectors[j]) for j in range(len(passages))]
        overlaps = [word_overlap(bare[i], _support_text(p)) for p in passages]
        scores = [max(c, o) for c, o in zip(cosines, overlaps)]
        action = "kept"
        if not cited and scores:
            cited = [max(range(len(scores)), key=scores.__getitem__)]
            action = "cited"
        support = max((scores[j] for j in cited), default=0.0)
        # "Klingner said." has nothing to support; otherwise one cited paragraph must carry it.
        supported = len(_content_words(bare[i])) >= 2 and any(
            overlaps[j] >= _SUPPORT_OVERLAP or cosines[j] >= _SUPPORT_COSINE for j in cited)
        sources = [s for j in cited for s in evidence[j]]
        bare[i] = _whole_sentence(bare[i], question, sources) or bare[i]
        quotes = _QUOTE_RE.findall(bare[i])
        verbatim = None
        if quotes:
            # quoting an instruction planted in the article is following it: only evidence counts
            cited_text = " ".join(normalise_for_quote(" ".join(paragraphs[j])) for j in cited)
            verbatim = all(normalise_for_quote(q).strip(" ,.") in cited_text for q in quotes)
        reason = None
        if _ANSWER_TALK_RE.search(bare[i]):
            reason = "talks about the answer or the instructions, not the articles"
        elif not supported:
            reason = "not supported by the cited passage"
        elif verbatim is False:
            reason = "a quote is not verbatim"
        elif question and not (key_terms(bare[i], question)[0] or key_terms(bare[i], question)[1]):
            reason = "restates the question"
        elif not any(source_holds_terms(_QUOTE_RE.sub(" ", bare[i]) if verbatim else bare[i], question,
                                        evidence[j], _header_text(passages[j]), passages[j].title or "")
                       for j in cited):
            # a verbatim quote is the article's own words, however many sentences it spans
            reason = "its names, numbers or key words are not in one sentence of the cited passage"
        elif not any(names_in_passage(bare[i], question, paragraphs[j],
                                      " ".join([_header_text(passages[j]), *passages[j].speakers]), passages[j].title or "")
                     for j in cited):
            reason = "repeats a name of the question that the cited passage does not give"
        elif question and all(unstated_subject(bare[i], question, passages[j].text, passages[j].title or "")
                              for j in cited):
            reason = "claims what the question asks about, which the cited passage does not state"
        elif question and not _gives_what_was_asked(bare[i], question):
            reason = "does not give the name, date or number asked for"
        elif answers_another_year(bare[i], question):
            reason = "is about another year than the question"
        elif question and not verbatim and not any(source_on_topic(bare[i], question, evidence[j]) for j in cited):
            reason = "its source sentence is not about what the question asks"
        elif question and any(names_peers_only(bare[i], question, evidence[j]) for j in cited):
            reason = "names the ones listed with what the question asks about, not its answer"
        elif any(drops_rank(bare[i], question, evidence[j]) for j in cited):
            reason = "leaves out the rank its source gives (\"second most common\")"
        if reason:
            checks.append(SentenceCheck(bare[i], [], supported, support, verbatim, "removed", reason))
            continue
        stated = restore_possessives(restore_qualifiers(bare[i], sources), sources)
        if question and asks_when(question):
            stated = with_dates(stated, [passages[j] for j in cited])
        final = []
        for j in cited:
            p = passages[j]
            if p.id not in numbers:
                numbers[p.id] = len(numbers) + 1
                citations.append(Citation(numbers[p.id], p, p.text))
            final.append(numbers[p.id])
        kept_text.append(stated + " " + "".join(f"[{n}]" for n in final))
        checks.append(SentenceCheck(stated, final, True, support, verbatim, action))
    return " ".join(kept_text), citations, checks
