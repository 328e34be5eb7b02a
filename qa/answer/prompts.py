"""What the LLM is shown: the passages and sentences chosen as evidence, and the prompt they are
written into (templates in `prompts/`), as data the articles cannot break out of."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..ingest.documents import strip_control
from ..errors import QAError
from ..search.retriever import SearchResult
from ..index.records import Passage
from .citations import neutralise_markers
from .evidence import ABSTAIN_BELOW, Candidate, rank_sentences

def prompt_dir() -> Path:
    """`prompts/` ships inside the wheel as qa/prompts; in a checkout it is the top-level folder."""
    packaged = Path(__file__).resolve().parents[1] / "prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "prompts"


@lru_cache(maxsize=8)
def load_prompt(name: str) -> str:
    """The template `prompts/NAME.txt`, read once."""
    try:
        return (prompt_dir() / f"{name}.txt").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise QAError(f"prompt template {name}.txt is missing from {prompt_dir()}; reinstall qa") from exc


_TAG_RE = re.compile(r"</?\s*passage\b[^>]*>?", re.IGNORECASE)
# Chat-template control tokens (ChatML <|im_start|>, Llama [INST] / <<SYS>>, <s>): a server that parses
# special tokens in message text would otherwise let an article open a real system turn.
_SPECIAL_TOKEN_RE = re.compile(r"<\|[^|<>\s]{1,40}\|>|\[/?INST\]|<</?SYS>>|</?s>", re.IGNORECASE)


def _as_data(text: str) -> str:
    """Passages are delimited by tags; an article must not be able to close or forge one, open a chat
    turn, or show citation markers of its own."""
    text = _SPECIAL_TOKEN_RE.sub("", _TAG_RE.sub("", strip_control(text)))
    return neutralise_markers(text).replace("{", "(").replace("}", ")")


def _attr(text: str) -> str:
    """A header attribute's value: data, and unable to close its quotes."""
    return _as_data(text).replace('"', "'")


def build_messages(question: str, passages: list[Passage], excerpts: list[str] | None = None) -> list[dict]:
    """The answer prompt: the shared start (warm_messages), then each passage's header and the text the
    model may use (`excerpts[i]`, the evidence sentences of passage i; else the whole paragraph), then
    the question."""
    template = load_prompt("passage")
    texts = excerpts if excerpts is not None else [p.text for p in passages]
    blocks = [template.format(n=n, origin=_origin_attr(p, text), text=_as_data(text))
              for n, (p, text) in enumerate(zip(passages, texts), 1)]
    user = load_prompt("answer_user").format(passages="\n".join(blocks), question=_as_data(question))
    return [{"role": "system", "content": load_prompt("answer_system")}, {"role": "user", "content": user}]


def _origin_attr(passage: Passage, text: str) -> str:
    """` from="..."`, or nothing when the article names no outlet or date (every token is prefill time)."""
    if not (passage.source or passage.date or passage.speakers or passage.also_in):
        return ""
    return f' from="{_attr(_origin(passage, text))}"'


def _origin(passage: Passage, text: str | None = None) -> str:
    """Where a passage comes from, in few tokens (prefill time is the wait): "Reuters, 2024-11-07,
    quoting Bruce Klingner; also published by AP 2024-11-08; Tuesday = 2024-11-05". No paragraph
    number (the model cites by [n]), no date that only restates itself ("2018 = 2018") and none the
    shown `text` does not mention."""
    parts = [passage.source or "unknown outlet", passage.date or "undated"]
    if passage.speakers:
        parts.append("quoting " + " and ".join(passage.speakers))
    origin = ", ".join(parts)
    if passage.also_in:
        origin += "; also published by " + ", ".join(f"{c.source or c.title} {c.date or 'undated'}"
                                                     for c in passage.also_in)
    dates = [f"{d.phrase} = {d.label}" for d in passage.dates
             if d.phrase != d.label and (text is None or d.phrase in text)]
    if dates:
        origin += "; " + ", ".join(dates)
    return origin


def warm_messages() -> list[dict]:
    """The start every answer prompt shares: prefilled once, then reused from the KV cache."""
    return [{"role": "system", "content": load_prompt("answer_system")},
            {"role": "user", "content": load_prompt("answer_user").split("{passages}")[0].rstrip()}]


MAX_PROMPT_PASSAGES = 3
# About 250 tokens of passages: prefill runs at ~64 tokens/s on 2 cores and dominates the wait
# (the system prompt is prefilled once per process and reused from the KV cache).
MAX_PROMPT_CHARS = 1000


def select_passages(result: SearchResult, required: list[Passage] = ()) -> list[Passage]:
    """The passages worth the model's time: those with real support, best first, within a budget.
    Passages in `required` (e.g. every statement of the asked-about speaker) always go in."""
    best = result.best_support
    floor = max(ABSTAIN_BELOW, best * 0.75)
    chosen = list(required)
    for p in result.passages:
        evidence = result.evidence.get(p.id)
        if p in chosen or evidence is None or evidence.support < floor:
            continue
        if len(chosen) >= MAX_PROMPT_PASSAGES or (chosen and sum(len(c.text) for c in chosen) + len(p.text)
                                                  > MAX_PROMPT_CHARS):
            break
        chosen.append(p)
    return chosen


# Evidence shown to the model: its best sentences, not whole paragraphs. About 100 tokens, so the prompt
# beyond the cached start stays near 120 tokens with the question (prefill is the wait on a laptop).
EXCERPT_CHARS = 460
MAX_EXCERPT_SENTENCES = 4
_NEEDS_CONTEXT_RE = re.compile(r"^\W*(?:he|she|it|they|this|these|those|that|his|her|its|their|as a (?:result|"
                               r"consequence)|consequently|therefore|thus|hence|the (?:company|"
                               r"group|firm|move|deal|plan|city|country|government|team|club|band|film|show|"
                               r"minister|president|party|court|report|study|law|bill))\b", re.IGNORECASE)


def needs_context(sentence: str) -> bool:
    """The sentence opens with a word that points back ("He said ...", "The company ..."): it is shown, and
    quoted, after the sentence before it."""
    return bool(_NEEDS_CONTEXT_RE.match(sentence))


def select_evidence(question: str, result: SearchResult, embedder,
                    ranked: list[Candidate] | None = None) -> tuple[list[Passage], list[str]]:
    """The sentences that carry the evidence, grouped by passage (best passage first, sentences in
    article order): the top-ranked sentences (evidence.rank_sentences) within EXCERPT_CHARS, each
    with the sentence before it when it opens with a pronoun ("He said ...") or matches the question
    only after it (Candidate.needs_previous), and room is left.
    Injected instructions are never among them. `ranked`: rank_sentences' result, when the caller has it."""
    ranked = rank_sentences(question, result, embedder) if ranked is None else ranked
    if not ranked:
        return [], []
    picked: dict[int, set[int]] = {}
    by_id = {c.passage.id: c.passage for c in ranked}
    sentences = {}
    for c in ranked:
        sentences.setdefault(c.passage.id, {})[c.index] = c.sentence
    used, count = 0, 0
    for c in ranked:
        if count >= MAX_EXCERPT_SENTENCES or c.score < ranked[0].score * 0.5:
            break
        if count and used + len(c.sentence) > EXCERPT_CHARS:
            continue
        picked.setdefault(c.passage.id, set()).add(c.index)
        used, count = used + len(c.sentence), count + 1
        before = sentences[c.passage.id].get(c.index - 1)
        if (before and (c.needs_previous or _NEEDS_CONTEXT_RE.match(c.sentence)) and c.index - 1 not in picked[c.passage.id]
                and used + len(before) <= EXCERPT_CHARS):
            picked[c.passage.id].add(c.index - 1)
            used += len(before)
    rank = {p.id: r for r, p in enumerate(result.passages)}
    passages = sorted((by_id[pid] for pid in picked), key=lambda p: rank.get(p.id, len(rank)))
    excerpts = []
    for p in passages:
        indices = sorted(picked[p.id])
        pieces = [sentences[p.id][indices[0]]]
        for prev, i in zip(indices, indices[1:]):
            pieces.append(("" if i == prev + 1 else "... ") + sentences[p.id][i])
        excerpts.append(" ".join(pieces))
    return passages, excerpts


# The choice prompt: the model picks which numbered sentences answer (grammar-constrained to their
# numbers, or 0 for none), and qa quotes them verbatim. A few tokens written, and no claim it could invent.
# At most 9 sentences (one digit each); about 115 tokens beyond the cached start (prefill is the wait).
# 3: on the archive questions' tune half a 4th sentence was shown once in 21 choices and never chosen
# (13 tokens of prefill saved there, every choice the same).
MAX_CHOICES = 3
CHOICE_CHARS = 520
MAX_PICKS = 2


def choice_items(preferred: list[Candidate], ranked: list[Candidate], max_items: int = MAX_CHOICES,
                 max_chars: int = CHOICE_CHARS) -> list[tuple[Candidate, str]]:
    """The sentences the model chooses among, in this order: `preferred` (the sentences the extractive
    answer would quote, in its order), then the best-ranked others that may answer
    (evidence.Candidate.answers) scoring at least half the best, within `max_chars` (the first always);
    each as quoted, with the sentence before it when it opens with "he", "it", "the company" or matches
    the question only after it."""
    answering = [c for c in ranked if c.answers] or ranked
    top = answering[0].score if answering else 0.0
    before = {(c.passage.id, c.index): c.sentence for c in ranked}
    items: list[tuple[Candidate, str]] = []
    used, seen = 0, set()
    for c in list(preferred) + [c for c in answering if c.score >= top * 0.5]:
        if len(items) >= max_items:
            break
        previous = before.get((c.passage.id, c.index - 1))
        text = c.sentence
        # the sentence before is shown once: a sentence following one already shown is shown alone (shown
        # with it, it would hold that one and be dropped as a repeat)
        if previous and (c.needs_previous or _NEEDS_CONTEXT_RE.match(c.sentence)) and not any(
                previous in t for t in seen):
            text = f"{previous} {c.sentence}"
        if text in seen or any(text in t or t in text for t in seen) or (items and used + len(text) > max_chars):
            continue
        items.append((c, text))
        seen.add(text)
        used += len(text)
    return items


def build_choice_messages(question: str, texts: list[str]) -> list[dict]:
    """The choice prompt: the shared start (choice_warm_messages), the question, then each sentence
    numbered. The question comes first: a small model then reads the sentences for it (measured on the
    archive questions' tune half: the first pick answered in 17 of 20 against 13 with the question last)."""
    lines = [f"[{n}] " + _as_data(text).replace("\n", " ") for n, text in enumerate(texts, 1)]
    user = load_prompt("choose_user").format(sentences="\n".join(lines), question=_as_data(question))
    return [{"role": "system", "content": load_prompt("choose_system")}, {"role": "user", "content": user}]


def choice_warm_messages() -> list[dict]:
    """The start every choice prompt shares: prefilled once, then reused from the KV cache."""
    user = load_prompt("choose_user")
    return [{"role": "system", "content": load_prompt("choose_system")},
            {"role": "user", "content": user[: user.index("{")].rstrip()}]


def choice_grammar(count: int, max_picks: int = MAX_PICKS) -> str:
    """llama.cpp GBNF admitting only "0" (none answers) or 1..max_picks of the numbers 1..count, comma-separated."""
    if not 1 <= count <= 9:
        raise ValueError("the choice grammar numbers 1 to 9 sentences")
    number = " | ".join(f'"{n}"' for n in range(1, count + 1))
    more = ' ("," n)?' * (max_picks - 1)
    return f'root ::= "0" | n{more}\nn ::= {number}\n'


def parse_choice(reply: str, count: int) -> list[int]:
    """The 0-based indices a choice reply names, in its order, each once; [] for "0" or nothing usable
    (a server that ignores the grammar may write more: numbers outside 1..count are ignored)."""
    picks: list[int] = []
    for token in re.findall(r"\d+", reply):
        n = int(token)
        if 1 <= n <= count and n - 1 not in picks:
            picks.append(n - 1)
    return picks[:MAX_PICKS]
