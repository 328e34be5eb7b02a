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
from ..documents import strip_control
from ..errors import LLMError, QAError
from ..retriever import SearchResult
from ..records import Passage
from .backends import Backend, TokenFn
from .citations import Answer, Citation, SentenceCheck, neutralise_markers, source_holds_terms, verify_answer
from .evidence import (Candidate, abstention, quoted_candidates, rank_sentences, should_abstain, speaker_sentence,
                       statement_evidence, topic_ranking)
from .extractive import answer_extractively
from .local_backend import LocalBackend
from .local_model import find_local_model
from .openai_backend import OpenAIBackend
from .prompts import build_messages, select_evidence

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
    """Draft with the LLM from the evidence sentences, verify every sentence, and return the verified
    answer. For "what did X say?" every retrieved statement of X goes to the model, and any it leaves
    out is added, quoted. When the checked draft keeps nothing (every sentence unsupported, stitched,
    empty or off the question) or the model finds no answer in evidence the retriever rates well, the
    answer is the extractive one, marked `"fallback"` in its JSON."""
    required = [p for p in result.passages if p.id in result.statements]
    meta = {"model": backend.model}
    if not required and should_abstain(result):
        return abstention(question, result, backend.name, extra={**meta, "verification": []})
    ranked: list[Candidate] = []  # the ranking the answer's coverage reads; a who-said answer has its own
    topical: list[Candidate] = []
    extra = None
    if required:
        topical = topic_ranking(question, result, embedder)
        extra = speaker_sentence(result, topical)
        passages, excerpts = statement_evidence(result, extra)
        required = list(zip(passages, excerpts))
    else:
        ranked = rank_sentences(question, result, embedder)
        passages, excerpts = select_evidence(question, result, embedder, ranked)
        if not passages:
            return abstention(question, result, backend.name, extra={**meta, "verification": []})
    draft = strip_control(backend.complete(build_messages(question, passages, excerpts), on_token))
    if not draft.strip():
        raise LLMError("the LLM returned an empty answer")
    meta["draft"] = draft
    if _DONT_KNOW_RE.match(draft.strip()):
        if required or result.best_support < DONT_KNOW_TRUSTED_BELOW:
            return abstention(question, result, backend.name, extra={**meta, "verification": []})
        return _extractive_instead(question, result, embedder, backend, "the LLM found no answer in the "
                                   "evidence, which the retriever rates well", meta, [], ranked or topical)
    text, citations, checks = verify_answer(draft, passages, embedder, question, excerpts)
    text, citations, checks = _cover_statements(required, citations, checks)
    if text and extra:
        text, citations, checks = _cover_speaker_sentence(question, extra, citations, checks)
    if text:
        text, citations, checks = _corroborate(question, ranked, citations, checks)
        text, citations, checks = _cover_best_evidence(question, ranked, citations, checks)
    if not text:
        return _extractive_instead(question, result, embedder, backend, "no sentence of the LLM's answer held "
                                   "up against its sources", meta, checks, ranked or topical)
    removed = sum(c.action == "removed" for c in checks)
    warning = f"{removed} sentence(s) of the LLM's draft were removed as unsupported by the passages" if removed else None
    notice = f"Written by the {backend.name} LLM ({backend.model}); every sentence checked against its source."
    return Answer(question, text, False, backend.name, citations, result.passages, warning=warning, notice=notice,
                  extra={**meta, "verification": [c.as_json() for c in checks]})


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


def _cover_statements(required: list[tuple[Passage, str]], citations: list[Citation],
                      checks: list[SentenceCheck]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Append, quoted verbatim, each statement of the asked-about speaker (each excerpt of `required`)
    the draft did not cite."""
    cited = {c.passage.id for c in citations}
    return _with_quotes(citations, checks, [(excerpt, p) for p, excerpt in required if p.id not in cited])


def _cover_speaker_sentence(question: str, extra: tuple[Candidate, str], citations: list[Citation],
                            checks: list[SentenceCheck]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """Append, quoted verbatim, the sentence naming the speaker that answers the topic better than their
    statements (evidence.speaker_sentence), when no sentence of the answer rests on it."""
    candidate, sentence = extra
    shown = [c.sentence for c in checks if c.action != "removed"]
    if any(candidate.sentence in s or source_holds_terms(s, question, [candidate.sentence]) for s in shown):
        return _text_of(checks), citations, checks
    return _with_quotes(citations, checks, [(sentence, candidate.passage)])


COVERED_SENTENCES = 2
# A runner-up scoring this share of the best sentence is as likely the answer, as far as the ranking can
# tell; chosen on 150 SQuAD questions outside the benchmark sample (0.97-0.85 all gained the same one).
TIED_SHARE = 0.95


def _cover_best_evidence(question: str, ranked: list[Candidate], citations: list[Citation],
                         checks: list[SentenceCheck]) -> tuple[str, list[Citation], list[SentenceCheck]]:
    """When no kept sentence of the draft rests on the sentence the ranking puts first, the model read
    the evidence otherwise than the ranking did, and a small model is more often wrong there than the
    ranking: append that sentence and the next one the extractive answer would quote that no kept
    sentence rests on either, verbatim and cited, so the reader sees what the model passed over. When
    the draft rests on the best sentence but a runner-up scores nearly as well (TIED_SHARE), the
    ranking cannot tell which one answers: the runner-up is appended."""
    kept = [c.sentence for c in checks if c.action in ("kept", "cited")]
    if not ranked:
        return _text_of(checks), citations, checks
    shown = _all_sentences(ranked)
    if any(_rests_on(sentence, question, ranked[0], shown) for sentence in kept):
        tied = ranked[1:2] if len(ranked) > 1 and ranked[1].score >= ranked[0].score * TIED_SHARE else []
        if tied and not any(_rests_on(sentence, question, tied[0], shown) for sentence in kept):
            return _with_quotes(citations, checks, [(tied[0].sentence, tied[0].passage)])
        return _text_of(checks), citations, checks
    passed_over = [c for c in quoted_candidates(ranked)
                   if not any(_rests_on(sentence, question, c, shown) for sentence in kept)]
    passed_over = passed_over[:COVERED_SENTENCES]
    return _with_quotes(citations, checks, [(c.sentence, c.passage) for c in passed_over])


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
    sentence of `shown` (every ranked sentence, joined)."""
    return source_holds_terms(sentence, question, [candidate.sentence], shown=shown)


def _text_of(checks: list[SentenceCheck]) -> str:
    """The answer's text: each sentence not removed, followed by its citation markers."""
    return " ".join(c.sentence + " " + "".join(f"[{n}]" for n in c.citations) for c in checks if c.action != "removed")


NO_LLM = ("none", "off", "extractive")


def choose_backend(settings: Settings) -> Backend | None:
    """flag > env > config decided `settings.llm`; `auto` = a configured server, else the local
    model if installed, else None (extractive)."""
    choice = (settings.llm or "auto").lower()
    if choice in NO_LLM:
        return None
    if choice in ("openai", "http", "server") or (choice == "auto" and settings.base_url):
        if not settings.base_url:
            raise QAError("--llm openai needs --base-url (or QA_BASE_URL), e.g. http://localhost:11434/v1")
        return OpenAIBackend(settings.base_url, settings.llm_model, timeout=settings.llm_timeout)
    if choice in ("local", "auto"):
        path = find_local_model(settings.llm_model if choice == "local" else None)
        if path is None:
            if choice == "auto":
                return None
            raise QAError("no local LLM is installed; run `qa model setup` (or ./setup.sh), or pass a "
                          ".gguf path with --llm-model")
        try:
            return LocalBackend(path, threads=settings.llm_threads)
        except LLMError:
            if choice == "auto":
                return None
            raise
    raise QAError(f"unknown LLM backend {settings.llm!r}; use auto, local, openai or none")
