"""What both answerers build on: the abstention rule, the question's best sentences, and the
asked-about speaker's statements.

Whether qa answers at all is decided here, by one rule for every answerer (`should_abstain`,
calibrated on SQuAD), and said one way (`abstention`). The best sentences (`rank_sentences`) are what
the extractive answerer quotes and what the LLM is shown; for "what did X say?" both quote X's
statements (`statement_evidence`).
"""

from __future__ import annotations

from collections.abc import Callable

import re
from dataclasses import dataclass, replace

from ..ingest.dates import DateMention, asks_when
from ..ingest.documents import split_sentences
from ..ingest.embeddings import Embedder
from ..search.ranking import query_terms
from ..search.retriever import SearchResult
from ..search.speaker_search import TOPIC_COSINE
from ..search.speakers import SpeakerMatch, parse_speaker_question, reports_view
from ..index.records import Passage
from .answerability import _WHEN_WORDS, Asked, about_subject, answers, asked, what_is_missing
from .citations import Answer, number_citations
from .injection import data_sentences

# Support = (cosine + rarity-weighted term coverage) / 2 of the best passage. Calibrated on SQuAD
# questions against their own article versus another article (bench/retrieval.py --abstention).
ABSTAIN_BELOW = 0.45
ABSTAIN_UNHEARD_BELOW = 0.55


def should_abstain(result: SearchResult) -> bool:
    """Weak evidence, or middling evidence that lacks a word of the question found nowhere in the
    index ("population" of Pyongyang in an article that never gives one)."""
    if not result.passages or not result.evidence:
        return True
    best = max(result.evidence.values(), key=lambda e: e.support)
    return best.support < ABSTAIN_BELOW or (bool(best.unheard) and best.support < ABSTAIN_UNHEARD_BELOW)


def abstention_text(result: SearchResult) -> str:
    """Say plainly that the articles don't answer, naming the question words nothing mentions."""
    best = max(result.evidence.values(), key=lambda e: e.support, default=None)
    # Only words that none of the closest passages mention: naming one that another passage has is false.
    missing = [t for t in (best.missing if best else ()) if t and all(t in e.missing for e in result.evidence.values())]
    if missing and len(missing) < len(result.terms):
        words = ", ".join(f'"{t}"' for t in missing[:3])
        return f"The indexed articles don't say. The closest passages don't mention {words}."
    return "The indexed articles don't say; nothing in them answers this question."


def abstention(question: str, result: SearchResult, backend: str, **fields) -> Answer:
    """The answer that says the articles don't answer the question (`fields`: notice, extra)."""
    return Answer(question, abstention_text(result), True, backend, [], result.passages, **fields)


# Weights of rank_sentences, fitted on 400 SQuAD questions of the first 24 articles that are not in
# bench/answer_quality.py's fixed sample (the answer sentence first: 0.794 -> 0.804; within the three
# the extractive answer shows: 0.882 -> 0.914).
TERMS_WEIGHT = 0.5
WHEN_BONUS = 0.2  # a "when" question prefers sentences that state a date
# A sentence that gives what a question asks for (a name for "who", an amount for "how much", a reason's
# cue for "why": answerability.answers) is preferred by as much.
KIND_BONUS = 0.2


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def _term_overlap(terms: tuple[str, ...], sentence: str) -> float:
    if not terms:
        return 0.0
    words = _words(sentence)
    hits = sum(any(w.startswith(t[: max(4, len(t) - 2)]) for w in words) for t in terms)
    return hits / len(terms)


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored as an answer to the question."""

    passage: Passage
    index: int  # the sentence's position in its passage
    sentence: str
    dates: list[DateMention]
    score: float
    # The sentence matches the question only together with the one before it ("It became known as the
    # German Te Deum." after the sentence naming the hymn): show that one with it.
    needs_previous: bool = False
    # The sentence (after the one before it) gives the kind of answer asked for about the question's
    # subject (answerability.answers).
    answers: bool = True
    gives: bool = False  # ... and states the asked kind itself (a name, a number, a date, a reason's cue)


def rank_sentences(question: str, result: SearchResult, embedder: Embedder, floor: float | None = None,
                   only: Callable[[str, Passage], bool] | None = None) -> list[Candidate]:
    """The sentences of the well-supported passages, best answer first: the cosine with the question
    of the sentence, or of the sentence read after the one before it when that is higher (an answer
    often follows the sentence that restates the question, and opens with "It" or "He"); plus the
    share of the question's terms the sentence holds, plus a bonus for a date when it asks "when".
    Sentences that speak to the answering model (injection.is_instruction) are never candidates.
    `floor`: the support a passage needs to be read (by default ABSTAIN_BELOW, or 60% of the best);
    `only`: the sentences worth ranking (the others are still read as the sentence before one)."""
    usable = usable_passages(result, floor)
    lead_ins = _lead_ins(result)
    namers, ledes, articles = _ledes_namers(result), _article_ledes(result), _article_texts(result)
    # a reason's paragraph may leave the subject to the one before ("Umaga will meet O'Driscoll in the Rugby
    # Aid match" then "... the value of the cause easily won him over")
    befores = _paragraphs_before(result) if asked(question).kind == "reason" else {}
    candidates = []
    for p in usable:
        clean = [c for _, c in data_sentences(p.text)]
        previous = ""
        for i, (sentence, dates) in enumerate(sentences_with_dates(p)):
            evidence = clean[i] if i < len(clean) else sentence
            if evidence and (only is None or only(evidence, p)):
                candidates.append((p, i, evidence, dates, previous))
            previous = evidence
    if not candidates:
        return []
    query = embedder.encode_query(question)
    cosines = embedder.encode([s for _, _, s, _, _ in candidates]) @ query
    paired = [(k, f"{before} {s}") for k, (_, _, s, _, before) in enumerate(candidates) if before]
    in_context = dict(zip((k for k, _ in paired), embedder.encode([t for _, t in paired]) @ query)) if paired else {}
    when, kind = asks_when(question), asked(question)
    scored = []
    for k, (p, i, s, dates, before) in enumerate(candidates):
        alone, read_after = float(cosines[k]), float(in_context.get(k, -1.0))
        # a lede that describes its subject ("A US defence company has agreed to pay $28.5m") is read with
        # the sentence after it that names it ("The Titan corporation was accused ...") as its headline is
        title = f"{p.title or ''} {namers[p.id]}" if i == 0 and p.id in namers and _DESCRIBED_SUBJECT_RE.match(s) \
            else p.title or ""
        around = f"{befores[p.id].text} {p.text}" if p.id in befores else p.text
        may_answer, gives = answers(kind, s, before or "", around, title, dates,
                                    lead_in=lead_ins.get(p.id, "") if i == 0 else "", lede=_lede_of(p, ledes),
                                    article=articles.get(p.article_id, "") if p.paragraph == 1 else "")
        bonus = (WHEN_BONUS if when and dates else 0.0) if kind.kind == "date" else (
            KIND_BONUS if kind.typed and gives else 0.0)
        scored.append(Candidate(p, i, s, dates, max(alone, read_after) + TERMS_WEIGHT * _term_overlap(result.terms, s)
                                + bonus, needs_previous=read_after > alone, answers=may_answer,
                                gives=gives and kind.typed))
    return sorted(scored, key=lambda c: -c.score)


def usable_passages(result: SearchResult, floor: float | None = None) -> list[Passage]:
    """The passages whose sentences are ranked: those with at least `floor` support (by default 60% of the
    best, and at least ABSTAIN_BELOW)."""
    floor = max(ABSTAIN_BELOW, result.best_support * 0.6) if floor is None else floor
    return [p for p in result.passages if p.id in result.evidence and result.evidence[p.id].support >= floor]


def _lead_ins(result: SearchResult) -> dict[int, str]:
    """For each passage, the last sentence of the paragraph just before it in its article, when that one
    was retrieved or read as context: what a paragraph opening "2.4 billion were fired off in December"
    counts."""
    return {pid: sentences[-1] for pid, before in _paragraphs_before(result).items()
            if (sentences := split_sentences(before.text))}


# A lede whose subject is described, not named: "A US defence and telecommunications company has agreed ...",
# "A blind student has developed ...": a noun of an organisation or a person (a doer's ending: student,
# researcher, inventor, scientist, musician) before the verb.
_DESCRIBED_SUBJECT_RE = re.compile(r"^\W*(?:A|An)\s+(?:[\w'’-]+\s+){0,6}?(?:company|firm|group|bank|maker|"
                                   r"retailer|carrier|airline|giant|club|side|team|band|star|man|woman|player|"
                                   r"singer|actor|actress|politician|MP|minister|network|boy|girl|couple|family)\b|"
                                   r"^\W*(?:A|An)\s+(?:[\w'’-]+\s+){0,6}?[a-z]{3,}(?:er|or|ist|ent|ant|ian)\s+"
                                   r"(?:has|have|had|is|was|were|are|will|would|could|can|may|says|said|who|[a-z]+ed)\b")


def _ledes_namers(result: SearchResult) -> dict[int, str]:
    """For each article's first paragraph, the first sentence of the paragraph after it, when that one was
    retrieved or read as context: the sentence that names what the lede describes."""
    known = {(p.article_id, p.paragraph): p for p in (*result.passages, *result.context) if p.part == 0}
    out = {}
    for (article, paragraph), p in known.items():
        after = known.get((article, paragraph + 1))
        if paragraph == 1 and after is not None and (sentences := split_sentences(after.text)):
            out[p.id] = sentences[0]
    return out


def _article_ledes(result: SearchResult) -> dict[str, str]:
    """Each article's first paragraph, when it was retrieved or read as context: the lede names the story's
    subject as its headline does ("Scarlets and USA Eagles forward Dave Hodges has ended his playing career"),
    and the later paragraphs often leave it to them ("The 36-year-old, who has 54 caps, ...")."""
    return {p.article_id: p.text for p in (*result.passages, *result.context) if p.paragraph == 1 and p.part == 0}


def _article_texts(result: SearchResult) -> dict[str, str]:
    """Each article's paragraphs that were retrieved or read as context, as one text: where the details that
    place a story ("announced on GMTV") may be named away from the sentence giving its figure."""
    texts: dict[str, dict[int, str]] = {}
    for p in (*result.passages, *result.context):
        texts.setdefault(p.article_id, {})[p.id] = p.text
    return {article: " ".join(parts.values()) for article, parts in texts.items()}


def _lede_of(passage: Passage, ledes: dict[str, str]) -> str:
    """The lede of a later paragraph's article (_article_ledes); "" for the lede itself."""
    return ledes.get(passage.article_id, "") if passage.paragraph != 1 else ""


def _paragraphs_before(result: SearchResult) -> dict[int, Passage]:
    """For each passage, the paragraph (or part) just before it in its article, when that one was
    retrieved or read as context."""
    known = {(p.article_id, p.paragraph, p.part): p for p in (*result.passages, *result.context)}
    out = {}
    for (article, paragraph, part), p in known.items():
        before = known.get((article, paragraph, part - 1)) if part > 0 else None
        if before is None:
            before = max((q for (a, n, _), q in known.items() if a == article and n == paragraph - 1),
                         key=lambda q: q.part, default=None)
        if before is not None:
            out[p.id] = before
    return out


def neighbour_candidates(question: str, result: SearchResult, ranked: list[Candidate]) -> list[Candidate]:
    """The sentences of the paragraphs read only as context (`SearchResult.context`) and of retrieved
    passages too weakly supported to be ranked, each marked whether it gives the asked kind (scored 0):
    what may follow a chosen sentence that does not ("... is being sued by his ex-girlfriend" then "The
    woman, Robin Mantooth, said ...")."""
    ranked_ids = {c.passage.id for c in ranked}
    kind, lead_ins, befores = asked(question), _lead_ins(result), _paragraphs_before(result)
    namers, ledes, articles = _ledes_namers(result), _article_ledes(result), _article_texts(result)
    out = []
    for p in (*[q for q in result.passages if q.id not in ranked_ids], *result.context):
        clean = [c for _, c in data_sentences(p.text)]
        previous = ""
        for i, (sentence, dates) in enumerate(sentences_with_dates(p)):
            evidence = clean[i] if i < len(clean) else sentence
            if evidence:
                # the subject may be named in the paragraph before ("Mick Mars ... is being sued", then
                # "The woman, Robin Mantooth, said Mars promised ...")
                around = f"{befores[p.id].text} {p.text}" if p.id in befores else p.text
                # a lede describing its subject is read with the sentence naming it, as in rank_sentences
                title = f"{p.title or ''} {namers[p.id]}" if i == 0 and p.id in namers \
                    and _DESCRIBED_SUBJECT_RE.match(evidence) else p.title or ""
                may_answer, gives = answers(kind, evidence, previous or "", around, title, dates,
                                            lead_in=lead_ins.get(p.id, "") if i == 0 else "",
                                            lede=_lede_of(p, ledes),
                                            article=articles.get(p.article_id, "") if p.paragraph == 1 else "")
                out.append(Candidate(p, i, evidence, dates, 0.0, answers=may_answer, gives=gives and kind.typed))
            previous = evidence
    return out


def with_ledes(question: str, result: SearchResult, embedder: Embedder, ranked: list[Candidate]) -> list[Candidate]:
    """`ranked`, and when none of its sentences answers, the sentences of the paragraphs read as context
    (Retriever.with_context: first paragraphs, and those next to the best passages) ranked beside them: a
    story's figure is often in its lede ("The gap between US exports and imports hit ... $671.7bn") or the
    paragraph after the retrieved one, which the search may miss when it words the measure otherwise than
    the question. Such a paragraph is read with the support of its article's best passage."""
    if not unanswered(ranked):
        return ranked
    best: dict[str, float] = {}
    for p in result.passages:
        if p.id in result.evidence:
            best[p.article_id] = max(best.get(p.article_id, 0.0), result.evidence[p.id].support)
    # the ledes first; then the paragraphs next to the best passages, read as context too ("There would be
    # 385 MSCPs" in the paragraph after the one describing the proposed chamber)
    ledes = [p for p in result.context if p.paragraph == 1 and p.article_id in best]
    ledes += [p for p in result.context if p.paragraph != 1 and p.article_id in best]
    # and the retrieved paragraphs too weakly supported to be ranked, of an article that is ranked ("The
    # 36-year-old, who has 54 caps, ..." after the lede naming him)
    ranked_ids = {c.passage.id for c in ranked}
    ranked_articles = {c.passage.article_id for c in ranked}
    ledes += [p for p in result.passages if p.id not in ranked_ids and p.article_id in ranked_articles
              and p.id in result.evidence]
    if not ledes:
        return ranked
    support = {p.id: max((result.evidence[q.id] for q in result.passages if q.article_id == p.article_id
                          and q.id in result.evidence), key=lambda e: e.support) for p in ledes}
    # the retrieved passages as context: the sentence before a paragraph's first one names what it counts
    read = replace(result, passages=ledes, evidence=support, context=result.passages)
    found = [c for c in rank_sentences(question, read, embedder) if c.answers]
    return sorted(found + ranked, key=lambda c: -c.score) if found else ranked


def unanswered(ranked: list[Candidate]) -> bool:
    """No sentence of the passages gives what the question asks about its subject (a net profit of
    another company, an Xbox sentence with no price): the passages are near the question but do not
    answer it."""
    return bool(ranked) and not any(c.answers for c in ranked)


# A sentence saying a deal's figure was kept back: "Financial details of the deal ... were not disclosed",
# "signed for an undisclosed fee", "declined to say how much it paid".
_UNDISCLOSED_RE = re.compile(
    r"\bundisclosed\s+(?:[\w-]+\s+)?(?:fee|sum|amount|price|damages|settlement|offer|figure|payment|compensation)s?\b"
    r"|\b(?:details|terms|price|fee|sum|amount|figure|value|cost)s?\b[^.]{0,80}?\b(?:were|was|have|has|had)\s+(?:not|never)\s+"
    r"(?:been\s+)?(?:disclosed|revealed|made public|released)\b"
    r"|\b(?:did not|didn't|would not|wouldn't|declined to|refused to)\s+(?:disclose|reveal|say)\s+(?:how much|the "
    r"(?:price|fee|cost|amount|value|terms)|(?:any\s+)?financial details)", re.IGNORECASE)


# A sentence saying who did it was kept back: "to another overseas company, although it didn't say who",
# "an unnamed buyer".
_UNNAMED_RE = re.compile(
    r"\b(?:did not|didn't|didn’t|does not|doesn't|doesn’t|would not|wouldn't|wouldn’t|declined to|refused to)\s+"
    r"(?:say|name|identify|disclose|reveal)\s+(?:who|which)\b"
    r"|\b(?:unnamed|undisclosed)\s+(?:buyer|bidder|investor|company|firm|partner|group|client|party|club)\b", re.IGNORECASE)


UNNAMED_SHARED_WORDS = 2


def undisclosed(question: str, ranked: list[Candidate]) -> Candidate | None:
    """For "how much?": the sentence of the best passage's article saying the figure was not disclosed. Any
    other amount that article gives is then of something else (what the seller paid for four hotels last year
    under what the buyer paid for the Savoy), or a guess. For "who?" / "which company?": the best sentence,
    when it says the name was not given."""
    if not ranked:
        return None
    if asked(question).kind in ("person", "name"):
        # of the asked deal: the sentence shares two of the question's words besides its names ("10%",
        # "overseas company" of "Which overseas company will buy 10% of Changyu ...?")
        words = set(query_terms(question)) - asked(question).names
        article = ranked[0].passage.article_id
        return next((c for c in ranked if c.passage.article_id == article and _UNNAMED_RE.search(c.sentence)
                     and len(words & set(query_terms(c.sentence))) >= UNNAMED_SHARED_WORDS), None)
    if asked(question).kind != "amount":
        return None
    article = ranked[0].passage.article_id
    return next((c for c in ranked if c.passage.article_id == article and _UNDISCLOSED_RE.search(c.sentence)), None)


HELD_SENTENCES = 2  # what the passages do hold, quoted under an abstention


def abstention_holding(question: str, result: SearchResult, ranked: list[Candidate], backend: str,
                       first: Candidate | None = None, **fields) -> Answer:
    """The abstention for passages that are near the question but do not answer it: says what is
    missing, then quotes, cited, the best sentences about the question's subject, so the reader sees what
    the articles do say; `first` (the sentence saying the figure was not disclosed) before them."""
    kind: Asked = asked(question)
    subject = Asked("thing", kind.names, frozenset(), question)  # what the question is about, any kind
    held = quoted_candidates([c for c in ranked if about_subject(subject, c.sentence, c.passage.text,
                                                                 c.passage.title or "")], HELD_SENTENCES)
    if first is not None:
        held = [first, *[c for c in held if c.sentence != first.sentence]][:HELD_SENTENCES]
    text, citations = number_citations([(c.sentence, c.passage) for c in held])
    lead = f"The indexed articles don't {what_is_missing(kind)}."
    if held:
        lead += " What they do say:" + ("\n" if "\n" in text else " ") + text
    return Answer(question, lead, True, backend, citations, result.passages, **fields)


def sentences_with_dates(passage: Passage) -> list[tuple[str, list[DateMention]]]:
    """The passage's sentences, each with the resolved dates it mentions."""
    out, cursor = [], 0
    for sentence in split_sentences(passage.text):
        at = passage.text.find(sentence, cursor)
        at = cursor if at < 0 else at
        cursor = at + len(sentence)
        out.append((sentence, [d for d in passage.dates if at <= d.start < cursor]))
    return out


def _statement_sentences(paragraph: str, statement: str) -> str:
    """The paragraph's whole sentences that hold a statement (a quote is cut from "“...,” he said"):
    verbatim, so the citation quotes the article exactly."""
    begin = paragraph.find(statement)
    if begin < 0:
        return statement
    end = begin + len(statement)
    pieces, cursor = [], 0
    for sentence in split_sentences(paragraph):
        at = paragraph.find(sentence, cursor)
        at = cursor if at < 0 else at
        cursor = at + len(sentence)
        if at < end and cursor > begin:
            pieces.append((at, cursor))
    if not pieces:
        return statement
    return paragraph[pieces[0][0] : pieces[-1][1]]


def statement_quote(result: SearchResult, passage: Passage) -> str:
    """The sentences of `passage` that hold the asked-about speaker's statement (a direct quote
    preferred), verbatim."""
    statements = result.statements[passage.id]
    if result.speaker is not None and result.speaker.question.topic and len(statements) > 1:
        # on a topic, every statement of the paragraph: the one on the topic may be any of them ("said her
        # award was ...". Of Hepburn, she said: "The longevity ...")
        spans = [_statement_sentences(passage.text, st.text) for st in statements]
        found = sorted((passage.text.find(s), s) for s in spans if passage.text.find(s) >= 0)
        runs: list[tuple[int, int]] = []  # the statements that follow one another, not one credited far off
        for at, s in found:
            if runs and at - runs[-1][1] <= _STATEMENT_GAP:
                runs[-1] = (runs[-1][0], max(runs[-1][1], at + len(s)))
            else:
                runs.append((at, at + len(s)))
        if runs:
            # of statements apart, the first quoting the speaker's words, as below, before a report of them
            # ("Javier Solana ... says phone-tap evidence works ...", two sentences on "Mr Solana told ...: '...
            # it would be naive not to do it'")
            start, end = next((run for run in runs if re.search(r"[“\"]", passage.text[run[0]:run[1]])), runs[0])
            return _continued_quote(passage.text, passage.text[start:end])
    chosen = next((st for st in statements if st.text.lstrip()[:1] in "“\"'"), statements[0])
    return _continued_quote(passage.text, _statement_sentences(passage.text, chosen.text))


def _continued_quote(paragraph: str, quote: str) -> str:
    """The quote with the sentences after it in the paragraph that go on quoting ("I'm obviously for equal
    prize money. "Women's tennis is exciting. ..."): each opens with a quotation mark and credits no one
    new, so it is the same speaker's words. After a closed quote that ends its sentence, the speaker named
    before it (X said: "..." "..."), the sentences that are wholly a quotation, credited to no one, go on
    too: news quotes a speaker's next words so."""
    start = paragraph.find(quote)
    opened = _quote_open(quote)
    if start < 0:
        return quote
    end = start + len(quote)
    if not (opened or _ENDS_WITH_QUOTE_RE.search(quote)):
        # a reported statement goes on in the speaker's words, credited to "he" or to what they are ("He told
        # film-makers not to ignore releasing films straight to DVD. "It's a huge market," the 47-year-old
        # director said. "It's not something that should be looked upon as a stepchild.")
        following = split_sentences(paragraph[end:])
        if not following or not (_CREDITS_SAME_RE.search(following[0]) or (
                # or a quote crediting no one ("Harel said he would move abroad. "I'm 30 now and ...")
                following[0].lstrip()[:1] in "“\"" and not _CREDITS_NAMED_RE.search(following[0]))):
            return quote
        end = paragraph.find(following[0], end) + len(following[0])
    opened = _quote_open(paragraph[start:end])
    for sentence in split_sentences(paragraph[end:]):
        if _CREDITS_OTHER_RE.search(sentence) or not (
                (opened and (_quote_open(paragraph[start:end]) or sentence.lstrip()[:1] in "“\""))
                or _WHOLLY_QUOTED_RE.match(sentence.strip())):
            break
        end = paragraph.find(sentence, end) + len(sentence)
    return paragraph[start:end]


_ENDS_WITH_QUOTE_RE = re.compile(r"[”\"]\W*$")
_WHOLLY_QUOTED_RE = re.compile(r"[“\"][^“”\"]+[”\"]\W*$")  # a sentence that is all quotation


_STATEMENT_GAP = 40  # characters between two statements quoted as one passage of speech


def _quote_open(text: str) -> bool:
    """The text's last quotation mark opens a quotation (news style leaves a quote running across
    sentences: "I'm for equal prize money. "Women's tennis is exciting.)."""
    marks = [(k, ch) for k, ch in enumerate(text) if ch in "“”\""]
    if not marks:
        return False
    k, ch = marks[-1]
    if ch != '"':
        return ch == "“"
    return k + 1 < len(text) and text[k + 1].isalnum()


_CREDITS_SAME_RE = re.compile(r"^\s*[“\"][^“”\"]+[”\"],?\s+(?:he|she|the\s+(?:[\w'’-]+\s+){0,3}?[a-z][\w-]*)\s+"
                              r"(?:said|says|added|adds|told)\b")
_CREDITS_NAMED_RE = re.compile(r"[”\"],?\s+(?:(?:said|says|added|adds|told)\s+[A-Z]|(?:[A-Z][\w'’.-]*\s+){1,3}"
                               r"(?:said|says|added|adds|told)\b)")
_CREDITS_OTHER_RE = re.compile(r"[”\"],?\s+(?:said|says|added|adds|told)\s+[A-Z]")


EXTRACTIVE_SHARE = 0.6  # a sentence is quoted when it scores at least this share of the best one
EXTRACTIVE_SENTENCES = 3  # and is among the best this many


def quoted_candidates(ranked: list[Candidate], max_sentences: int = EXTRACTIVE_SENTENCES) -> list[Candidate]:
    """The ranked sentences the extractive answer quotes: among the best `max_sentences`, those scoring
    at least EXTRACTIVE_SHARE of the best."""
    return [c for c in ranked[:max_sentences] if c.score >= ranked[0].score * EXTRACTIVE_SHARE] if ranked else []


def topic_ranking(question: str, result: SearchResult, embedder: Embedder) -> list[Candidate]:
    """The sentence ranking a who-said question on a topic reads (`speaker_sentence`); none without a
    topic, where the speaker's statements alone answer."""
    return rank_sentences(question, result, embedder) if result.speaker and result.speaker.question.topic else []


_OPENS_WITH_PRONOUN_RE = re.compile(r"^\W*(?:he|she|his|her|they|their)\b", re.IGNORECASE)


def speaker_sentence(result: SearchResult, ranked: list[Candidate]) -> tuple[Candidate, str] | None:
    """For "what did X say about T?": the sentence among those the extractive answer would quote
    (`quoted_candidates`) that names X (or opens with "He" / "She" after one that does) and outranks
    every sentence of X's found statements: its candidate, and its text with the sentence before it when
    needed; None when a statement ranks first. A view reported without a quote ("Tesla theorized that
    ...", "Luther also points out that ...") answers as well as a statement, and the attribution finder
    does not take every such verb."""
    match = result.speaker
    if match is None or not match.question.topic or not match.forms:
        return None
    forms = [re.compile(rf"(?<![\w-]){re.escape(form)}(?![\w-])") for form in match.forms]
    quotes = {p.id: statement_quote(result, p) for p in result.passages if p.id in result.statements}
    sentences = {(c.passage.id, c.index): c.sentence for c in ranked}
    for c in quoted_candidates(ranked):
        if c.sentence in quotes.get(c.passage.id, ""):
            return None  # a statement of X ranks first
        before = sentences.get((c.passage.id, c.index - 1), "")
        # X's view, never narrative about X ("X was attacked in a park")
        if any(f.search(c.sentence) for f in forms) and (reports_view(c.sentence, list(match.forms))
                                                          or _VIEW_RE.search(c.sentence)):
            return c, c.sentence
        if (_OPENS_WITH_PRONOUN_RE.match(c.sentence) and any(f.search(before) for f in forms)
                and (reports_view(c.sentence, _PRONOUNS) or _VIEW_RE.search(c.sentence))):
            return c, f"{before} {c.sentence}"
    return None


_PRONOUNS = ["He", "She", "he", "she", "They", "they"]
# A view held, said in nouns: "His opinion stemmed from the belief that ...", "Luther's theology challenged ..."
_VIEW_NOUNS = r"(?:opinion|view|belief|theory|theology|philosophy|position|stance|argument|thinking|idea|conviction)s?"
_VIEW_RE = re.compile(rf"\b(?:[Hh]is|[Hh]er|[Tt]heir|[A-Z][\w'’-]*['’]s?)\s+(?:[a-z]+\s+)?{_VIEW_NOUNS}\b"
                      rf"|\b{_VIEW_NOUNS}\s+that\b")


_SUFFIXES = ("ings", "ing", "ed", "ers", "er", "ships", "ship", "ments", "ment", "ies", "es", "s")


def _same_stem(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(short) >= 3


def _stem(word: str) -> str:
    """The word without one common ending (of at least three letters left): censors and censorship, mugged and
    mugging, pigs and pig read alike."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def off_topic(result: SearchResult, embedder: Embedder | None = None) -> bool:
    """A who-said question on a topic whose speaker is quoted, but in no statement touching the topic
    ("What did X say about T?" where the articles quote X on other things only). With `embedder`, each
    statement is read on its own: a paragraph that touches T beside X's statement on something else
    (`speaker_search` reads whole paragraphs) does not make that statement X's word on T."""
    match = result.speaker
    if match is None or not match.question.topic or not result.statements:
        return False
    if not match.on_topic:
        return not (_calls_topic_person(result, _speaker_spans(result))
                    or (embedder is not None and _headed_on_topic(result, embedder)))
    return embedder is not None and not _statements_on_topic(result, embedder)


def _statements_on_topic(result: SearchResult, embedder: Embedder) -> bool:
    """Whether a statement of the speaker (its sentences, `statement_quote`) or a sentence reporting their
    view (`reports_view`) among the passages holds a word of the topic or is close to it in meaning."""
    match = result.speaker
    assert match is not None
    spans = _speaker_spans(result)
    if not spans:
        return False
    # a word saying when ("the four-year deal with Red Bull") is no word of what the topic is about
    affiliation = _affiliation(match)
    topic = {_stem(t) for t in _aspect_terms(match.question.topic, affiliation)
             if len(t) > 2 and t not in _WHEN_WORDS}
    said = {_stem(w) for s in spans for w in _words(_without_affiliation(s, match.forms)) if len(w) > 2}
    if any(_same_stem(a, b) for a in topic for b in said):
        return True  # "Censors hate publicity" for censorship, "a pig" for pigs, "the mugging" for mugged
    if _calls_topic_person(result, spans):
        return True  # "likely to sue the comedian" on the decision not to charge (comedian) Bill Cosby
    for p in result.passages:  # "It allows us to tell the story ..." after "The more cameras using Piero ..."
        quote = statement_quote(result, p) if p.id in result.statements else ""
        if _REFERS_BACK_RE.match(quote) and (head := p.text[: max(p.text.find(quote), 0)]):
            if any(_same_stem(a, _stem(w)) for a in topic for w in _words(head) if len(w) > 2):
                return True
    topic_text = _unaffiliated(match.question.topic, affiliation)
    cosines = embedder.encode([_unaffiliated(s, affiliation) for s in spans]) @ embedder.encode_query(topic_text)
    return bool(max(cosines) >= TOPIC_COSINE) or _headed_on_topic(result, embedder)


def _aspect_terms(topic: str, affiliation: frozenset[str] = frozenset()) -> list[str]:
    """The topic's words that say which aspect of a story is asked about: without whose it is (a possessor:
    "Tindall's foot injury": foot, injury), the speaker's own firm or party (`affiliation`: "the lawsuits
    accusing Wal-Mart" asked of "Wal-Mart president Lee Scott") and words any story of its kind has ("the
    party's plan to scrap tuition fees": scrap, tuition, fees), when any are left. Quoted on Tindall's contract,
    his agent said nothing of the injury; "the Piero system" is about Piero; "Inbev's results" about Inbev."""
    terms = query_terms(topic)
    # the whole name before "'s" ("British Library's wireless service": british, library)
    owners = {w.lower() for m in re.finditer(r"\b((?:[A-Z][\w-]*\s+)*[\w-]+)['’]s?(?=\s)", topic)
              for w in m.group(1).split()}
    aspect = [t for t in terms if t not in owners and t not in affiliation and t not in _STORY_WORDS]
    # one word left is too little to know a statement by ("Inbev's results": an analyst speaks of its profit)
    return aspect if len(aspect) >= _ASPECT_WORDS else [t for t in terms if t not in _STORY_WORDS] or terms


_ASPECT_WORDS = 2


def _affiliation(match: SpeakerMatch) -> frozenset[str]:
    """The words the question describes its speaker with beside their name ("wal" and "mart" of "Wal-Mart
    president Lee Scott", "broadband" of "BT's broadband managing director Duncan Ingram"): the firm, party or
    post a speaker names whatever they speak of."""
    own = {w.lower() for form in match.forms for w in query_terms(form)}
    return frozenset(w for w in query_terms(match.question.phrase) if w not in own)


def _unaffiliated(text: str, affiliation: frozenset[str]) -> str:
    """The text without the speaker's affiliation (`_affiliation`), so that a statement and the topic are
    compared on what they say, not on the firm every sentence of its story names ("Wal-Mart is good for
    consumers" is not on the lawsuits accusing Wal-Mart)."""
    if not affiliation:
        return text
    return re.sub(r"[^\W_]+", lambda m: "" if m.group(0).lower() in affiliation else m.group(0), text)


# Words of any story of a kind: who and what it is about in general, not the aspect asked.
_STORY_WORDS = frozenset("party parties plan plans company companies firm firms group government deal club team "
                         "country people year years time issue issues news report reports claim claims comment "
                         "comments statement announcement future role".split())


def _without_affiliation(span: str, forms: tuple[str, ...]) -> str:
    """The statement without the names of whom its speaker speaks for, written beside their name ("said
    Electrolux chief executive Hans Straberg", "Lynne Brindley, chief executive of the British Library"):
    a speaker names their firm, party or club whatever they speak of, so it puts no statement on a topic."""
    for form in forms:
        for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", span):
            before = re.search(r"(?:[A-Z][\w&'’.-]*\s+)+(?:[a-z-]+\s+){0,3}$", span[: m.start()])
            after = re.match(r",\s+(?:the\s+)?(?:[a-z-]+\s+){1,4}(?:of|at|for)\s+(?:the\s+)?(?:[A-Z][\w&'’.-]*\s*)+",
                             span[m.end():])
            if before:
                span = span[: before.start()] + " " * (m.start() - before.start()) + span[m.start():]
            if after:
                span = span[: m.end()] + " " * after.end() + span[m.end() + after.end():]
    return span


def _headed_on_topic(result: SearchResult, embedder: Embedder) -> bool:
    """A statement of the speaker worded otherwise than the topic is on it read under its article's headline:
    "Today's no change decision is correct" under "Bank holds interest rate at 4.75%" is on the Bank holding
    rates; "we are all very happy to return to Old Trafford" under "Ferguson fears Milan cutting edge" is not
    on a striker's injury."""
    assert result.speaker is not None
    affiliation = _affiliation(result.speaker)
    headed = [_unaffiliated(f"{p.title}. {quote}", affiliation) for p in result.passages
              if p.id in result.statements and p.title and (quote := statement_quote(result, p))]
    if not headed:
        return False
    cosines = embedder.encode(headed) @ embedder.encode_query(_unaffiliated(result.speaker.question.topic, affiliation))
    return bool(max(cosines) >= HEADLINE_TOPIC_COSINE)


# A statement read under its headline touches the topic at this cosine (MiniLM): measured on the archive's tune
# who-said questions, on-topic statements worded otherwise scored 0.56-0.65, statements on a nearby subject
# (a speaker quoted on something else in an article about the topic) 0.06-0.49.
HEADLINE_TOPIC_COSINE = 0.55


# A person's name as a who-said question gives it: capitalised words, the first a first name or a title.
_PERSON_NAME_RE = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Dr|Sir|Lord|Lady|Dame|Prof)\.?\s+)?[A-Z][a-z][\w'’-]*"
                             r"(?:\s+(?:de|van|von|da|al|le|la|[A-Z]\.?))*(?:\s+[A-Z][\w'’-]*[a-z])+$")


def unnamed_speaker(question: str, result: SearchResult) -> str | None:
    """For "What did <full name> say ...?": the name, when no passage read (retrieved, or its context) names
    that person by surname and none of their statements was found. The articles then hold the topic, and
    maybe someone else of the same band or firm ("Iron Maiden's Bruce Dickinson" for "Iron Maiden's Steve
    Harris"), but nothing the person asked about said: quoting the nearest sentences would credit another's
    words to them."""
    if result.statements or result.speaker is not None:
        return None
    sq = parse_speaker_question(question)
    if sq is None or sq.mode != "said" or not _PERSON_NAME_RE.match(sq.phrase):
        return None
    surname = sq.phrase.split()[-1].lower()
    if any(surname in _words(p.text) or surname in _words(p.title or "") for p in (*result.passages, *result.context)):
        return None
    return sq.phrase


def abstention_unnamed_speaker(question: str, result: SearchResult, who: str, backend: str, **fields) -> Answer:
    """The abstention for a who-said question whose speaker no passage names."""
    return Answer(question, f"The indexed articles don't quote {who}: no passage close to the question names "
                  f"{who.split()[-1]}.", True, backend, [], result.passages, **fields)


def never_quoted(result: SearchResult) -> str | None:
    """For "What did <name> say ...?" (a person's full name, or a name of capitalised words: a band, a
    body): the name, when the index credits no statement to anyone of that name in any article
    (`SpeakerMatch.speakers` is empty: the name is only mentioned). The passages then hold the story
    ("Mateja Kezman ... was hit by a coin", "suing ... Wal-Mart over a CD by rock group Evanescence") in others' words:
    quoted under the question, they would read as the named one's own."""
    match = result.speaker
    if match is None or result.statements or match.speakers or match.parts or match.question.mode != "said":
        return None
    return next((form for form in match.forms if _PERSON_NAME_RE.match(form) or (
        _PROPER_NAME_RE.fullmatch(form) and not _surname_of_someone(form, result))), None)


def _surname_of_someone(form: str, result: SearchResult) -> bool:
    """A one-name form the passages write after a first name ("John Dalton" for "What did Dalton think ...?"):
    a person's surname, whose views the articles may report in narrative ("Dalton's hypothesis assumed ...")
    credited to no quote; only a full name asked for is declined that way."""
    pattern = re.compile(rf"\b[A-Z][a-z][\w'’-]*\s+{re.escape(form)}\b")
    return any(pattern.search(p.text) for p in (*result.passages, *result.context))


# A name of capitalised words ("Evanescence", "Franz Ferdinand"), as a who-said question gives it.
_PROPER_NAME_RE = re.compile(r"[A-Z][\w'’&.-]+(?:\s+[A-Z][\w'’&.-]+)*")


def abstention_never_quoted(question: str, result: SearchResult, who: str, backend: str, **fields) -> Answer:
    """The abstention for a who-said question on a person the articles name but never quote: says so, then
    quotes, cited, the first sentences naming them, so the reader sees what the articles do say of them."""
    surname = who.split()[-1]
    held = [(sentence, p) for p in result.passages for sentence in split_sentences(p.text)
            if surname.lower() in _words(sentence)][:HELD_SENTENCES]
    lead = f"The indexed articles mention {who} but don't quote them."
    text, citations = number_citations(held)
    if text:
        lead += f" What they say of {surname}: {text}"
    return Answer(question, lead, True, backend, citations, result.passages, **fields)


# Lowercase words before a name that are no description of the person ("said Bill Cosby", "and Bill Cosby").
_NOT_ROLES = frozenset("said says told and or but with by for from to of in on at as that the a an about "
                       "against between like than when while whom who which says added".split())


_NOT_IN_NAMES = frozenset("we i you he she it they us me my our your the a an of and or to in on at for with shall "
                           "will can do does is are was be".split())
# Kinds of work, which describe a title, not a person ("the film Shall We Dance").
_WORKS = frozenset("film films movie comedy drama thriller album song single book novel show series play musical "
                   "opera game sitcom documentary".split())


# A statement opening with a pronoun speaks of what the sentences before it in its paragraph name.
_REFERS_BACK_RE = re.compile(r"^\W*(?:it|its|this|these|they|their|that)\b", re.IGNORECASE)


def _speaker_spans(result: SearchResult) -> list[str]:
    """The speaker's statements among the passages (their sentences, `statement_quote`) and the sentences
    reporting their view (`reports_view`): by any name in the articles the speaker is found in, by the full
    name in others."""
    match = result.speaker
    assert match is not None
    spans = [statement_quote(result, p) for p in result.passages if p.id in result.statements]
    forms = list(match.forms)
    # a view reported of the surname alone in an article no matched speaker is from is someone else's ("Ms
    # Sanders said ..." of a charity, under a question about Peter Sanders of an airport campaign)
    articles = {s.article_id for s in match.speakers}
    full = [f for f in forms if len(f.split()) > 1]
    for p in result.passages:
        named = forms if not articles or p.article_id in articles else full
        if named:
            spans += [s for s in split_sentences(p.text) if reports_view(s, named)]
    return [s for s in spans if s]


def _calls_topic_person(result: SearchResult, spans: list[str]) -> bool:
    """A statement calls a person the topic names by the description an article read gives them: "likely to
    sue the comedian" where the article writes "US comedian Bill Cosby"."""
    assert result.speaker is not None
    roles = _roles_of_topic_people(result.speaker.question.topic, result)
    return any(re.search(rf"\bthe {re.escape(role)}\b", s.lower()) for role in roles for s in spans)


def _roles_of_topic_people(topic: str, result: SearchResult) -> set[str]:
    """The descriptions the articles read give a person the topic names: "comedian" where an article writes
    "US comedian Bill Cosby". A statement calling that person "the comedian" is on the topic."""
    # a title ("Shall We Dance", "the film Shall We Dance") is no person: a name of pronouns or function words
    people = [m.group(0) for m in re.finditer(r"\b[A-Z][a-z][\w'’-]*(?:\s+[A-Z][\w'’-]*[a-z])+", topic)
              if not {w.lower() for w in m.group(0).split()} & _NOT_IN_NAMES]
    roles: set[str] = set()
    for p in (*result.passages, *result.context):
        for person in people:
            for m in re.finditer(rf"\b([a-z][a-z-]{{2,}})\s+{re.escape(person)}\b", p.text):
                if m.group(1) not in _NOT_ROLES and m.group(1) not in _WORKS:
                    roles.add(m.group(1))
    return roles


def abstention_off_topic(question: str, result: SearchResult, backend: str, **fields) -> Answer:
    """The abstention for a speaker quoted only on other topics: says so, then quotes, cited, the first of
    their statements, so the reader sees what the articles do quote."""
    match = result.speaker
    passages, quotes = statement_evidence(result)
    text, citations = number_citations(list(zip(quotes, passages))[:HELD_SENTENCES])
    who = match.speakers[0].name if match and match.speakers else (match.question.phrase if match else "")
    lead = f"The indexed articles don't quote {who} on {match.question.topic if match else 'this'}."
    if text:
        lead += " What they do quote:" + ("\n" if "\n" in text else " ") + text
    return Answer(question, lead, True, backend, citations, result.passages, **fields)


def statement_evidence(result: SearchResult, extra: tuple[Candidate, str] | None = None,
                       ranked: list[Candidate] | None = None) -> tuple[list[Passage], list[str]]:
    """For "what did X say?": the retrieved passages that hold a statement of X, in article order, and
    for each the sentences that hold it (`statement_quote`); with `extra` (`speaker_sentence`), also the
    sentence naming X that answers the question's topic better than every statement, first in its
    passage's excerpt. With `ranked` (`topic_ranking`, on a topic), the statements on the topic come first:
    each by the best ranked sentence inside it, those the ranking rates none of last, in article order."""
    home, extra = (extra[0].passage, extra[1]) if extra else (None, "")
    chosen = [p for p in result.passages if p.id in result.statements or (home is not None and p.id == home.id)]
    ordered = sorted(chosen, key=lambda p: (p.date or "", p.article_id, p.paragraph, p.part))
    excerpts = []
    for p in ordered:
        quote = statement_quote(result, p) if p.id in result.statements else ""
        if home is not None and p.id == home.id and extra not in quote:
            quote = f"{extra} {quote}".strip()
        excerpts.append(quote)
    if ranked:
        scores = [max((c.score for c in ranked if c.passage.id == p.id and c.sentence in quote), default=-1.0)
                  for p, quote in zip(ordered, excerpts)]
        order = sorted(range(len(ordered)), key=lambda i: -scores[i])  # stable: article order breaks ties
        ordered, excerpts = [ordered[i] for i in order], [excerpts[i] for i in order]
    return ordered, excerpts
