"""Instructions planted in articles: sentences that address the answering model instead of the reader.

Articles are data. A sentence that claims to be a system or assistant turn, tells the model to ignore
its instructions, to answer with some word, or to reveal its prompt is no evidence for anything: it is
never shown to the model as evidence, never quoted as an answer, and an answer sentence whose words come
only from such a sentence is removed by verification (citations.verify_answer).
"""

from __future__ import annotations

import re

from ..documents import split_sentences

_ROLE = r"(?:system|assistant|user|developer|human|ai|bot|model|admin(?:istrator)?|operator)"
_INSTRUCTION_RES = [
    # a forged chat turn or instruction block: "SYSTEM: ...", "[assistant] ...", "New instructions: ..."
    re.compile(rf"^\W*{_ROLE}(?:\s+(?:message|prompt|note|override|instructions?|turn))?\s*(?::|\]|>|-{{1,2}}>)",
               re.IGNORECASE),
    re.compile(r"^\W*(?:new|updated|hidden|important|special)?\s*(?:instructions?|directive|command|answer)\s*:",
               re.IGNORECASE),
    re.compile(r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|prompts?|rules|"
               r"guidelines|directions|directives|context|passages?)\b", re.IGNORECASE),
    re.compile(r"\b(?:system prompt|system message|your (?:instructions|rules|prompt|guidelines)|"
               r"previous instructions|prior instructions|language model|AI (?:assistant|model)|chatbot|"
               r"as an AI)\b", re.IGNORECASE),
    re.compile(r"\b(?:when|if|whenever)\s+(?:you are|you're|anyone|someone|the user|a user|users?)?\s*"
               r"(?:is |are )?asked\b", re.IGNORECASE),
    re.compile(r"\byou (?:must|should|will|are to|have to|need to) (?:now |always |only )?"
               r"(?:answer|reply|respond|say|output|print|write|ignore|tell|state|reveal|repeat|claim|cite)\b",
               re.IGNORECASE),
    re.compile(r"\b(?:answer|reply|respond|say|output|print)\s+(?:only\s+)?(?:with\s+)?(?:the\s+)?"
               r"(?:word|phrase|text|string|token)\b", re.IGNORECASE),
    re.compile(r"\b(?:reveal|print|repeat|show|output|leak)\b.{0,30}\b(?:prompt|instructions)\b", re.IGNORECASE),
    # forged passage markup or chat-template tokens
    re.compile(r"</?\s*passage\b|<\|[^|<>\s]{1,40}\|>|\[/?INST\]|<</?SYS>>", re.IGNORECASE),
]


def is_instruction(sentence: str) -> bool:
    """Does this sentence speak to the answering model (an injected instruction) rather than report?"""
    return any(r.search(sentence) for r in _INSTRUCTION_RES)


def data_sentences(text: str) -> list[tuple[str, bool]]:
    """The sentences of a paragraph (as documents.split_sentences gives them), each with whether it is an
    injected instruction. A forged turn ("SYSTEM: ...") taints the rest of its paragraph."""
    out: list[tuple[str, bool]] = []
    tainted = False
    for sentence in split_sentences(text):
        flagged = is_instruction(sentence)
        tainted = tainted or (flagged and bool(_INSTRUCTION_RES[0].search(sentence)))
        out.append((sentence, flagged or tainted))
    return out


def instruction_free(text: str) -> str:
    """The paragraph without its injected instructions: what may count as evidence."""
    return " ".join(s for s, flagged in data_sentences(text) if not flagged)
