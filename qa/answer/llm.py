"""LLM answers: the pipeline that prompts a backend with the evidence, then verifies every sentence of
what comes back; and the choice of backend (backends.py).

The model only drafts; what reaches the user is the verified draft: citations checked and
renumbered, quotes checked verbatim, unsupported sentences removed. When the evidence is weak the
model is never called; when the model fails the caller falls back to the extractive answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..config import Settings
from ..ingest.documents import split_sentences, strip_control
from ..errors import LLMError, QAError
from ..search.retriever import SearchResult
from ..index.records import Passage
from .backends import Backend, TokenFn
from .citations import Answer, Citation, neutralise_markers
from .injection import data_sentences
from .verification import SentenceCheck, source_holds_terms, verify_answer
from .answerability import asked, asks_for_list, asks_means
from .evidence import (Candidate, abstention, abstention_holding, abstention_never_quoted, abstention_off_topic,
                       abstention_unnamed_speaker, never_quoted, neighbour_candidates, off_topic, quoted_candidates, rank_sentences, should_abstain,
                       speaker_sentence, statement_evidence, topic_ranking, unanswered, undisclosed, unnamed_speaker,
                       with_ledes)
from .extractive import (answer_extractively, answer_list, answer_who_said, lacks_asked_kind, own_reason,
                         quoted_sentences, with_follow_ups, with_next_answering)
from .listing import list_reading
from .local_backend import LocalBackend
from .local_model import find_local_model
from .openai_backend import OpenAIBackend
from .prompts import (build_choice_messages, build_messages, choice_grammar, choice_items, needs_context,
                      parse_choice, select_evidence)

_DONT_KNOW_RE = re.compile(
    r"^\W*(i (do not|don't) know|the passages (do not|don't)|(there is )?no information|not (mentioned|stated))",
    re.IGNORECASE,
)
# The model's "I don't know" is trusted when the best passage supports the question less than this
# (retriever.Evidence.support); above it the passages' own sentences are shown instead.
DONT_KNOW_TRUSTED_BELOW = 0.6


def answer_with_llm(
    question: str, result: SearchResult, backend: Backend, embedder, on_token: TokenFn | None = None,
) -> Answer:
    """With a backend that takes a grammar (the local model): the sentences it chooses among the best
    ones, quoted (`_answer_by_choice`); a speaker's statements, a list and a "why?" are quoted without it.
    Otherwise: draft with the LLM from the evidence sentences, verify every sentence, and return the verified
    answer. For "what did X say?" every retrieved statement of X goes to the model, and any it leaves
    out is added, quoted. When the checked draft keeps nothing (every sentence unsupported, stitched,
    empty or off the question) or the model finds no answer in evidence the retriever rates well, the
    answer is the extractive one, marked `"fallback"` in its JSON."""
    required = [p for p in result.passages if p.id in result.statements]
    meta = {"model": backend.model}
    if (who := unnamed_speaker(question, result)) is not None:
        return abstention_unnamed_speaker(question, result, who, backend.name, extra={**meta, "verification": []})
    if (who := never_quoted(result)) is not None:
        return abstention_never_quoted(question, result, who, backend.name, extra={**meta, "verification": []})
    if not required and should_abstain(result):
        return abstention(question, result, backend.name, extra={**meta, "verification": []})
    ranked: list[Candidate] = []  # the ranking the answer's coverage reads; a who-said answer has its own
    topical: list[Candidate] = []
    extra = None
    if required and off_topic(result, embedder):
        return abstention_off_topic(question, result, backend.name, extra={**meta, "verification": []})
    if required and _chooses(backend):
        # every statement of the speaker is quoted either way; the writing model was right on as many who-said
        # questions as the quotes alone (14 of 22 on the archive questions), seconds later
        answer = answer_who_said(question, result, embedder)
        return replace(answer, notice=f"The {backend.name} LLM is not asked what a speaker said: their statements "
                       "are quoted as the articles word them.", extra={**answer.extra, **meta, "fallback": {
            "from": backend.name, "reason": "a speaker's statements are quoted"}, "verification": []})
    if required:
        topical = topic_ranking(question, result, embedder)
        extra = speaker_sentence(result, topical)
        passages, excerpts = statement_evidence(result, extra, topical)
        required = list(zip(passages, excerpts))
    else:
        ranked = rank_sentences(question, result, embedder, **list_reading(question, result))
        if not asks_for_list(question):
            ranked = with_ledes(question, result, embedder, ranked)  # the figure a story's lede states
        neighbours = neighbour_candidates(question, result, ranked)
        if unanswered(ranked) or (not asks_for_list(question) and lacks_asked_kind(ranked + neighbours, question)
                                  and own_reason(ranked + neighbours, question) is None):
            # decided before any model runs: the passages lack what was asked (for "why?" a reason, a person's
            # own account of their act being one, as in the extractive answer; for "who?" a person)
            return abstention_holding(question, result, ranked, backend.name, extra={**meta, "verification": []})
        if (kept_back := undisclosed(question, ranked)) is not None:
            return abstention_holding(question, result, ranked, backend.name, kept_back,
                                      extra={**meta, "verification": []})
        if asks_for_list(question):
            # one line per answering article, quoted: a small model names one or two of them
            answer = answer_list(question, result, ranked)
            return replace(answer, extra={**meta, "fallback": {"from": backend.name, "reason": "a list across "
                                                                 "articles is quoted from each article"},
                                          "verification": []})
        quoted = ranked  # the ranking the extractive answer reads: it adds follow-up sentences itself
        ranked = with_follow_ups(question, result, ranked)  # the sentence after a lede that names the answer
        if _chooses(backend) and (why := _quoted_without_choosing(question, result)) is not None:
            answer = answer_extractively(question, result, embedder, ranked=quoted)
            return replace(answer, notice=None, extra={**answer.extra, **meta, "fallback": {
                "from": backend.name, "reason": why}, "verification": []})
        if _chooses(backend):
            return _answer_by_choice(question, result, ranked, backend, embedder, on_token, meta, quoted,
                                     neighbours)
        passages, excerpts = select_evidence(question, result, embedder, ranked)
        if not passages:
            return abstention(question, result, backend.name, extra={**meta, "verification": []})
    draft = strip_control(backend.complete(build_messages(question, passages, excerpts), on_token))
    if not draft.strip():
        raise LLMError("the LLM returned an empty answer")
    meta["draft"] = draft
    if _DONT_KNOW_RE.match(draft.strip()):
        if required:
            return abstention(question, result, backend.name, extra={**meta, "verification": []})
        if result.best_support < DONT_KNOW_TRUSTED_BELOW:
            return abstention_holding(question, result, ranked, backend.name, extra={**meta, "verification": []})
        return _extractive_instead(question, result, embedder, backend, "the LLM found no answer in the "
                                   "evidence, which the retriever rates well", meta, [], ranked or topical)
    text, citations, checks = verify_answer(draft, passages, embedder, question, excerpts)
    text, citations, checks = _cover(question, required, extra, ranked, citations, checks)
    if not text:
        return _extractive_instead(question, result, embedder, backend, "no sentence of the LLM's answer held "
                                   "up against its sources", meta, checks, ranked or topical)
    removed = sum(c.action == "removed" for c in checks)
    warning = f"{removed} sentence(s) of the LLM's draft were removed as unsupported by the passages" if removed else None
    notice = f"Written by the {backend.name} LLM ({backend.model}); every sentence checked against its source."
    return Answer(question, text, False, backend.name, citations, result.passages, warning=warning, notice=notice,
                  extra={**meta, "verification": [c.as_json() for c in checks]})


def _quoted_without_choosing(question: str, result: SearchResult) -> str | None:
    """Why a question is quoted without a choosing model (the `"fallback"` reason), or None when the model
    chooses. "Why?": its choice was right in 4 of 10 (tune half of the archive questions; it chose a sentence
    restating the question), quoting every sentence that gives a reason in 8. "What did X say?" with no
    statement credited to a speaker of that name ("the Virgin Radio DJ"): the extractive ranking puts the
    sentence naming X as the one speaking first; the model, not told who speaks, chose a sentence about the
    topic. "How did X do it?": the steps span sentences; the model's choice was right on none of the 3 tune
    questions that ask it, quoting the best-ranked sentences on 2."""
    if asked(question).kind == "reason":
        return "the sentences giving a reason are quoted"
    if result.speaker is not None and result.speaker.question.mode == "said":
        return "a speaker's statements are quoted"
    if asks_means(question):
        return "the sentences saying how are quoted"
    return None


def _chooses(backend: Backend) -> bool:
    """The backend can restrict its reply to a grammar (llama.cpp's GBNF): it chooses among numbered
    sentences instead of writing an answer."""
    return bool(getattr(backend, "supports_grammar", False))


CHOICE_TOKENS = 6  # "0", or up to two one-digit numbers and a comma


def _answer_by_choice(question: str, result: SearchResult, ranked: list[Candidate], backend: Backend, embedder,
                      on_token: TokenFn | None, meta: dict, quoted: list[Candidate],
                      neighbours: list[Candidate]) -> Answer:
    """The model picks which of the best-ranked sentences answer (or none), constrained by a grammar to
    their numbers; the answer quotes the picked ones verbatim, then the extractive answer's other sentences,
    each cited and verified. A small model
    judges better than it writes, a few tokens are written instead of a sentence, and it cannot state
    anything its sources do not. No pick is an abstention when the evidence agrees (`_no_answer_agreed`);
    otherwise the extractive answer is shown."""
    # first the sentences the extractive answer quotes (from `quoted`, its ranking), in its order
    extractive = quoted_sentences(question, result, embedder, quoted, neighbours=neighbours)
    items = choice_items(extractive, ranked)
    if not items:
        return abstention(question, result, backend.name, extra={**meta, "verification": []})
    messages = build_choice_messages(question, [text for _, text in items])
    reply = strip_control(backend.complete(messages, None, CHOICE_TOKENS, grammar=choice_grammar(len(items))))
    picks = parse_choice(reply, len(items))
    meta = {**meta, "draft": reply, "choices": [text for _, text in items], "chosen": [i + 1 for i in picks]}
    if not picks:
        if _no_answer_agreed(question, result, ranked, neighbours):
            return abstention_holding(question, result, ranked, backend.name, extra={**meta, "verification": []})
        return _extractive_instead(question, result, embedder, backend, "the LLM chose no sentence, but the "
                                   "evidence states what was asked", meta, [], ranked)
    # quoted as the extractive answer would: the sentence itself, with the one before it only when it points
    # back to it ("He said ..."); one shown beside it because it reads better after it is not the answer
    chosen = [(c, text if needs_context(c.sentence) else c.sentence) for c, text in (items[i] for i in picks)]
    # a chosen lede that does not give the asked kind ("... sued by his ex-girlfriend") is followed, as in the
    # extractive answer, by the next sentence of its article that does ("The woman, Robin Mantooth, ...")
    picked = [c for c, _ in chosen]
    follow = [c for c in with_next_answering(picked, ranked, question) if not _quoted_in(c, chosen)]
    chosen += [(c, c.sentence) for c in follow]
    if follow:
        meta = {**meta, "followed_by": [c.sentence for c in follow]}
    # the model orders, it does not cut: the extractive answer's other sentences follow the chosen ones, the one
    # stating the asked kind (a name, a figure, a date) among them (on the SQuAD sample the model's first sentence
    # held the reference in 98 of 150 answers against the extractive order's 86, but its one or two picks left
    # out the reference the extractive answer's 2nd or 3rd sentence held in 18)
    shown = {id(c): text for c, text in items}
    rest = []
    for c in extractive:
        if not _quoted_in(c, chosen + rest):
            rest.append((c, shown.get(id(c), c.sentence) if needs_context(c.sentence) else c.sentence))
    chosen += rest
    if rest:
        meta = {**meta, "also_quoted": [c.sentence for c, _ in rest]}
    passages = list({c.passage.id: c.passage for c, _ in chosen}.values())
    number = {p.id: n for n, p in enumerate(passages, 1)}
    excerpts = [_read_in_context(p, [c for c, _ in chosen if c.passage.id == p.id], result) for p in passages]
    draft = " ".join(f"{text} [{number[c.passage.id]}]" for c, text in chosen)
    text, citations, checks = verify_answer(draft, passages, embedder, question, excerpts)
    if not text:
        return _extractive_instead(question, result, embedder, backend, "no sentence the LLM chose held up "
                                   "against the question", meta, checks, ranked)
    if on_token:
        on_token(text)
    removed = sum(c.action == "removed" for c in checks)
    warning = f"{removed} sentence(s) were removed as not answering the question" if removed else None
    notice = (f"The {backend.name} LLM ({backend.model}) chose the sentences that lead; the others the extractive "
              "answer quotes follow. All are quoted as the articles word them.")
    return Answer(question, text, False, backend.name, citations, result.passages, warning=warning, notice=notice,
                  extra={**meta, "verification": [c.as_json() for c in checks]})


def _read_in_context(passage: Passage, quoted: list[Candidate], result: SearchResult) -> str:
    """What verification reads a passage's quoted sentences in: each with the sentence before it, in the
    paragraph's order. "The negotiations will have to be concluded by midnight on Monday" is about the deal
    for Ferguson only through the sentence before it, as the model was shown it. A paragraph's first sentence
    goes on from the last of the paragraph before, when it was read: "In front of a delirious home crowd, the
    18-year-old battled past Alyona Bondarenko" after the lede naming Sania Mirza and the Hyderabad Open."""
    clean = [s for _, s in data_sentences(passage.text)]
    read = sorted({k for c in quoted for k in (c.index - 1, c.index) if 0 <= k < len(clean) and clean[k]})
    text = " ".join(clean[k] for k in read)
    text = " ".join([text, *(c.sentence for c in quoted if c.sentence not in text)]).strip()
    if any(c.index == 0 for c in quoted) and (before := _passage_before(passage, result)) is not None:
        last = [s for _, s in data_sentences(before.text) if s][-1:]
        text = " ".join([*last, text])
    return text


def _passage_before(passage: Passage, result: SearchResult) -> Passage | None:
    """The passage just before `passage` in its article (the part before, or the last part of the paragraph
    before) among those retrieved or read as their context."""
    known = {(p.article_id, p.paragraph, p.part): p for p in (*result.passages, *result.context)}
    if passage.part > 0:
        return known.get((passage.article_id, passage.paragraph, passage.part - 1))
    earlier = [p for (a, n, _), p in known.items() if a == passage.article_id and n == passage.paragraph - 1]
    return max(earlier, key=lambda p: p.part, default=None)


def _quoted_in(candidate: Candidate, quoted: list[tuple[Candidate, str]]) -> bool:
    """Whether a sentence is already among those quoted (the rankings hold their own copies of a sentence)."""
    return any(candidate.passage.id == c.passage.id and candidate.sentence in text for c, text in quoted)


def _no_answer_agreed(question: str, result: SearchResult, ranked: list[Candidate],
                      neighbours: list[Candidate] = ()) -> bool:
    """The evidence agrees with a model that found no answer: the best passage supports the question
    only middlingly, or no sentence states the kind of answer asked for (a number, an amount, a date, a
    name) about the question's subject. A question asking for no such kind ("What position did Newton
    play?") gives the evidence nothing to check the model against: there only the support agrees. A
    person's own account of the asked act is its reason with no cue (extractive.own_reason), as the
    extractive answer reads it."""
    if result.best_support < DONT_KNOW_TRUSTED_BELOW:
        return True
    if own_reason([*ranked, *neighbours], question) is not None:
        return False
    return asked(question).typed and not any(c.gives and c.answers for c in quoted_candidates(ranked))


def _extractive_instead(question: str, result: SearchResult, embedder, backend: Backend, reason: str,
                        meta: dict, checks: list[SentenceCheck], ranked: list[Candidate]) -> Answer:
    """The extractive answer in place of an LLM draft that was weaker, saying so in its JSON (from the
    sentences already ranked for the draft, when there are)."""
    answer = answer_extractively(question, result, embedder, ranked=ranked or None)
    notice = (f"The {backend.name} LLM's answer did not hold up ({reason}); "
              "showing the articles' own sentences instead.")
    return replace(answer, notice=notice,
                   extra={**answer.extra, **meta, "fallback": {"from": backend.name, "reason": reason},
                          "verification": [c.as_json() for c in checks]})


def _with_quotes(citations: list[Citation], checks: list[SentenceCheck],
                 quotes: list[tuple[str, Passage]]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """The answer with each (sentence, passage) appended verbatim and cited (a passage already cited keeps
    its number), marked "added" in the verification."""
    citations, checks = list(citations), list(checks)
    numbers = {c.passage.id: c.n for c in citations}
    for sentence, p in quotes:
        if p.id not in numbers:
            numbers[p.id] = len(citations) + 1
            citations.append(Citation(numbers[p.id], p, p.text))
        checks.append(SentenceCheck(neutralise_markers(sentence), [numbers[p.id]], True, 1.0, None, "added"))
    return _text_of(checks), citations, checks


COVERED_SENTENCES = 2
# A runner-up scoring this share of the best sentence is as likely the answer, as far as the ranking can
# tell; chosen on 150 SQuAD questions outside the benchmark sample (0.97-0.85 all gained the same one).
TIED_SHARE = 0.95


def _cover(question: str, required: list[tuple[Passage, str]], extra: tuple[Candidate, str] | None,
           ranked: list[Candidate], citations: list[Citation], checks: list[SentenceCheck]
           ) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """The one pass after verification that completes the answer from the evidence, appending verbatim
    and cited what the draft left out:
    - each statement of the asked-about speaker (each excerpt of `required`) the draft did not cite;
    - the sentence naming the speaker that answers the topic better than their statements
      (evidence.speaker_sentence), when no sentence of the answer rests on it;
    - when no kept sentence rests on the sentence the ranking puts first, that sentence and the next one
      the extractive answer would quote that none rests on (the model read the evidence otherwise than
      the ranking, and a small model is more often wrong there); when the draft rests on the best one but
      a runner-up scores nearly as well (TIED_SHARE), the runner-up;
    and cites each kept sentence to every other paragraph whose answering sentence would verify it."""
    cited = {c.passage.id for c in citations}
    kept = [c.sentence for c in checks if c.action in ("kept", "cited")]
    quotes = [(excerpt, p) for p, excerpt in required if p.id not in cited]
    # a statement's paragraph cited for another of its sentences ("Jones repeated her innocence") still
    # leaves the statement's quote out: its quoted sentences follow, verbatim
    quotes += [(" ".join(left), p) for p, excerpt in required if p.id in cited
               and (left := [s for s in split_sentences(excerpt) if _unquoted(s, kept)])]
    if not kept and not quotes:
        return _text_of(checks), citations, checks
    if extra:
        candidate, sentence = extra
        shown = [c.sentence for c in checks if c.action != "removed"] + [q for q, _ in quotes]
        if not any(candidate.sentence in s or source_holds_terms(s, question, [candidate.sentence]) for s in shown):
            quotes.append((sentence, candidate.passage))
    if ranked:
        _, citations, checks = _corroborate(question, ranked, citations, checks)
        quotes += [(c.sentence, c.passage) for c in _passed_over(question, ranked, kept)]
    return _with_quotes(citations, checks, quotes)


_QUOTE_RE = re.compile(r"[“\"]([^”\"]{8,})")


def _unquoted(sentence: str, kept: list[str]) -> bool:
    """Whether `sentence` quotes words (in quotation marks) of which no kept sentence holds half."""
    quoted = {w for q in _QUOTE_RE.findall(sentence) for w in re.findall(r"[^\W_]{3,}", q.lower())}
    if not quoted:
        return False
    return not any(len(quoted & set(re.findall(r"[^\W_]{3,}", k.lower()))) * 2 >= len(quoted) for k in kept)


def _passed_over(question: str, ranked: list[Candidate], kept: list[str]) -> list[Candidate]:
    """The best-ranked sentences no kept sentence rests on, when none rests on the best (see `_cover`)."""
    shown = _all_sentences(ranked)
    if any(_rests_on(sentence, question, ranked[0], shown) for sentence in kept):
        tied = ranked[1:2] if len(ranked) > 1 and ranked[1].score >= ranked[0].score * TIED_SHARE else []
        if tied and not any(_rests_on(sentence, question, tied[0], shown) for sentence in kept):
            return tied
        return []
    return [c for c in quoted_candidates(ranked)
            if not any(_rests_on(sentence, question, c, shown) for sentence in kept)][:COVERED_SENTENCES]


def _corroborate(question: str, ranked: list[Candidate], citations: list[Citation],
                 checks: list[SentenceCheck]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Cite, beside the draft's own citation, each other paragraph whose sentence the ranking rates among
    the answers (as the extractive answer would quote it) and would verify the kept sentence (its names,
    numbers and answer words): the same fact stated in two paragraphs or articles is cited to both."""
    answering, shown = quoted_candidates(ranked), _all_sentences(ranked)
    citations, numbers, out = list(citations), {c.passage.id: c.n for c in citations}, []
    for check in checks:
        if check.action in ("kept", "cited"):
            cited = {p for p, n in numbers.items() if n in check.citations}
            more = []
            for c in answering:
                if c.passage.id in cited or not _rests_on(check.sentence, question, c, shown):
                    continue
                if c.passage.id not in numbers:
                    numbers[c.passage.id] = len(citations) + 1
                    citations.append(Citation(numbers[c.passage.id], c.passage, c.passage.text))
                cited.add(c.passage.id)
                more.append(numbers[c.passage.id])
            check = replace(check, citations=check.citations + more)
        out.append(check)
    return _text_of(out), citations, out


def _all_sentences(ranked: list[Candidate]) -> str:
    return " ".join(c.sentence for c in ranked)


def _rests_on(sentence: str, question: str, candidate: Candidate, shown: str) -> bool:
    """The sentence's answer terms are in the candidate sentence, none of them taken from another
    sentence of `shown` (every ranked sentence, joined). The dates verification added ("Tuesday
    (2024-11-05)") are the source's own words resolved, not words of the answer."""
    sentence = _DATE_LABEL_RE.sub("", sentence)
    return source_holds_terms(sentence, question, [candidate.sentence], shown=shown)


_DATE_LABEL_RE = re.compile(r" \(\d{4}-\d{2}(?:-\d{2})?(?:/\d{4}-\d{2}-\d{2})?\)")


def _text_of(checks: list[SentenceCheck]) -> str:
    """The answer's text: each sentence not removed, followed by its citation markers."""
    return " ".join(c.sentence + " " + "".join(f"[{n}]" for n in c.citations) for c in checks if c.action != "removed")


NO_LLM = ("none", "off", "extractive")


def choose_backend(settings: Settings) -> Backend | None:
    """flag > env > config decided `settings.llm`; `auto` = a configured server, else None
    (extractive). The local model answers only when asked for (`local`): on the archive questions its
    choice was right less often than the extractive answer on every split (bench/README.md), and it
    costs seconds a question."""
    choice = (settings.llm or "auto").lower()
    if choice in NO_LLM:
        return None
    if choice in ("openai", "http", "server") or (choice == "auto" and settings.base_url):
        if not settings.base_url:
            raise QAError("--llm openai needs --base-url (or QA_BASE_URL), e.g. http://localhost:11434/v1")
        return OpenAIBackend(settings.base_url, settings.llm_model, timeout=settings.llm_timeout)
    if choice == "auto":
        return None
    if choice == "local":
        path = find_local_model(settings.llm_model)
        if path is None:
            raise QAError("no local LLM is installed; run `qa model setup` (or ./setup.sh), or pass a "
                          ".gguf path with --llm-model")
        return LocalBackend(path, threads=settings.llm_threads)
    raise QAError(f"unknown LLM backend {settings.llm!r}; use auto, local, openai or none")
