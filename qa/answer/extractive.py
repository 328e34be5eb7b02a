"""The answer when no LLM is configured: the passages' own most relevant sentences, each cited.

Nothing is paraphrased, so nothing can be wrong beyond picking the wrong sentence; when the best
evidence is weak the answerer abstains (evidence.should_abstain) rather than quoting something beside
the point.
"""

from __future__ import annotations

from ..dates import DateMention, asks_when
from ..embeddings import Embedder
from ..records import Passage
from ..retriever import SearchResult
from .citations import Answer, number_citations
from .evidence import (EXTRACTIVE_SENTENCES, Candidate, abstention, quoted_candidates, rank_sentences, should_abstain,
                       speaker_sentence, statement_evidence, topic_ranking)
from .injection import instruction_free

NO_LLM_NOTICE = (
    "No LLM is configured, so this answer quotes the articles' own sentences. "
    "To have an LLM write answers, pass --llm (or set QA_LLM); see `qa ask --help`."
)




def answer_extractively(
    question: str, result: SearchResult, embedder: Embedder, max_sentences: int = EXTRACTIVE_SENTENCES,
    ranked: list[Candidate] | None = None,
) -> Answer:
    """Pick the best sentences of the retrieved passages and cite each one. `ranked`: rank_sentences'
    result, when the caller has it (the LLM's answer falling back to this one)."""
    if result.statements:
        return answer_who_said(question, result, embedder, ranked)
    if should_abstain(result):
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    ranked = rank_sentences(question, result, embedder) if ranked is None else ranked
    if not ranked:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    chosen = quoted_candidates(ranked, max_sentences)
    rank = {p.id: r for r, p in enumerate(result.passages)}
    chosen.sort(key=lambda c: (rank[c.passage.id], c.index))
    when = asks_when(question)
    pieces = _evidence_only([(f"{date_prefix(c.dates)}: {c.sentence}" if when and c.dates else c.sentence, c.passage)
                             for c in chosen])
    if not pieces:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    text, citations = number_citations(pieces)
    return Answer(question, text, False, "extractive", citations, result.passages, notice=NO_LLM_NOTICE)


def _evidence_only(pieces: list[tuple[str, Passage]]) -> list[tuple[str, Passage]]:
    """The answer's pieces without what an article planted for a model (injection.instruction_free):
    whatever path chose a sentence (ranking, a speaker's statement), an injected block is never quoted."""
    kept = [(instruction_free(text), passage) for text, passage in pieces]
    return [(text, passage) for text, passage in kept if text]


def date_prefix(dates: list[DateMention]) -> str:
    """`Tuesday (2024-11-05)`: the words of the article, then the date they mean, day-precise ones first."""
    ordered = sorted(dates, key=lambda d: d.granularity != "day")[:2]
    prefix = ", ".join(f"{d.phrase} ({d.label})" for d in ordered)
    return prefix[:1].upper() + prefix[1:]


def answer_who_said(question: str, result: SearchResult, embedder: Embedder,
                    ranked: list[Candidate] | None = None) -> Answer:
    """For "what did X say?": each of X's statements among the passages, one per paragraph (the
    sentences holding its quote, or the attributing sentence), in article order, each cited; on a topic,
    with the sentence naming X that answers it better than every statement (evidence.speaker_sentence).
    `ranked`: topic_ranking's result, when the caller has it."""
    ranked = topic_ranking(question, result, embedder) if ranked is None else ranked
    passages, quotes = statement_evidence(result, speaker_sentence(result, ranked))
    pieces = _evidence_only(list(zip(quotes, passages)))
    if not pieces:
        return abstention(question, result, "extractive", notice=NO_LLM_NOTICE)
    text, citations = number_citations(pieces)
    return Answer(question, text, False, "extractive", citations, result.passages, notice=NO_LLM_NOTICE)
