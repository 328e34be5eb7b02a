"""Fit the speaker ranker's weights (qa/search/speaker_weights.json) on PolNeAR's train split.

For every `who_said` question of the split, searched within its own article, the retriever's
candidates for the speaker (paragraphs attributed to them or naming them) with their
`qa.search.speakers.speaker_features`; label: the paragraph is in the question's gold set. A logistic
regression on the differences between a question's gold and non-gold candidates (pairwise: what the
ranking needs; scikit-learn here only, the library scores with the weights alone) gives the weights.
Then speaker-aware R@1 and full recall (as bench/speakers.py counts them) with the old and the new
weights, on the same index.

    .venv/bin/python bench/speaker_ranker.py --embed-cache /tmp/polnear-train.npz          # fit, compare
    .venv/bin/python bench/speaker_ranker.py --embed-cache /tmp/polnear-train.npz --write  # and save
    .venv/bin/python bench/speaker_ranker.py --embed-cache /tmp/polnear-train.npz --folds 5  # held-out check

Fit on train only; dev is for bench/speakers.py's report. Not a test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from bench.speakers import DEFAULT_DATA, CachedEmbedder, load_articles, speaker_candidates  # noqa: E402
from qa import QA  # noqa: E402
from qa.search import speakers  # noqa: E402

WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "qa" / "search" / "speaker_weights.json"


def candidate_rows(bot: QA, questions: list[dict], numbers_out: list[int] | None = None
                   ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(question id, features, gold?) for every speaker candidate of every question (and each candidate's
    paragraph number appended to `numbers_out`)."""
    qids, rows, labels = [], [], []
    for q in questions:
        allowed = bot.store.filtered_ids([q["article_id"]], None, None)
        _, found = speaker_candidates(bot, q["question"], q["article_id"], allowed)
        if found is None:
            continue
        features, passages = found
        numbers = {pid: p.paragraph for pid, p in passages.items()}
        gold = {pid + 1 for pid in q["gold_paragraph_ids"]}
        for pid, f in features.items():
            qids.append(q["qid"])
            rows.append([f[name] for name in speakers.FEATURES])
            labels.append(numbers.get(pid) in gold)
            if numbers_out is not None:
                numbers_out.append(numbers.get(pid))
    return qids, np.array(rows), np.array(labels)


def fit_pairwise(qids: list[str], x: np.ndarray, y: np.ndarray, C: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    diffs, weights = pairs(qids, x, y)
    model = LogisticRegression(C=C, fit_intercept=False, max_iter=2000).fit(
        np.vstack([diffs, -diffs]), np.r_[np.ones(len(diffs)), np.zeros(len(diffs))],
        sample_weight=np.r_[weights, weights])
    return model.coef_[0]


def offline_scores(qids: list[str], x: np.ndarray, numbers: list[int], gold: dict[str, set[int]],
                   w: np.ndarray, only: set[str]) -> tuple[float, float]:
    """R@1 and full recall of the candidates alone ranked by `w` (no article-order block, no hybrid
    fill), over the questions in `only`; a question without candidates counts as missed."""
    ranked: dict[str, list[tuple[float, int]]] = {}
    for i, qid in enumerate(qids):
        if qid in only:
            ranked.setdefault(qid, []).append((-float(x[i] @ w), numbers[i]))
    r1 = full = 0
    for qid, items in ranked.items():
        found: list[int] = []
        for _, number in sorted(items, key=lambda t: t[0]):  # stable: hybrid rank breaks ties
            if number not in found:
                found.append(number)
        found = found[: len(gold[qid]) + 2]
        r1 += found[0] in gold[qid]
        full += gold[qid] <= set(found)
    return r1 / len(only), full / len(only)


def cross_validate(qids: list[str], x: np.ndarray, y: np.ndarray, numbers: list[int], gold: dict[str, set[int]],
                   folds: int, C: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(in-sample, held-out) offline R@1 / full recall, folds by question."""
    order = np.random.default_rng(0).permutation(sorted(gold))
    held_r1 = held_full = 0.0
    for f in range(folds):
        test = set(order[f::folds].tolist())
        train = np.array([q not in test for q in qids])
        w = fit_pairwise([q for q, t in zip(qids, train) if t], x[train], y[train], C)
        r1, full = offline_scores(qids, x, numbers, gold, w, test)
        held_r1 += r1 * len(test)
        held_full += full * len(test)
    in_sample = offline_scores(qids, x, numbers, gold, fit_pairwise(qids, x, y, C), set(gold))
    return in_sample, (held_r1 / len(gold), held_full / len(gold))


def pairs(qids: list[str], x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feature differences (gold minus other) of every gold / non-gold candidate pair of a question,
    each question weighing 1 in all: R@1 and full recall count questions, not candidates."""
    groups: dict[str, list[int]] = {}
    for i, qid in enumerate(qids):
        groups.setdefault(qid, []).append(i)
    diffs, weights = [], []
    for rows in groups.values():
        gold = [i for i in rows if y[i]]
        other = [i for i in rows if not y[i]]
        for i in gold:
            for j in other:
                diffs.append(x[i] - x[j])
                weights.append(1.0 / (len(gold) * len(other)))
    return np.array(diffs), np.array(weights)


def speaker_aware(bot: QA, questions: list[dict]) -> tuple[float, float]:
    """R@1 and full recall (all gold within the top |gold| + 2) of Retriever.search."""
    r1 = full = 0
    for q in questions:
        gold = {pid + 1 for pid in q["gold_paragraph_ids"]}
        depth = len(gold) + 2
        found: list[int] = []
        for p in bot.retriever.search(q["question"], depth, article=q["article_id"]).passages:
            if p.paragraph not in found:  # parts of one paragraph count once
                found.append(p.paragraph)
        r1 += bool(found) and found[0] in gold
        full += gold <= set(found[:depth])
    return r1 / len(questions), full / len(questions)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the polnear folder")
    parser.add_argument("--split", default="train", choices=["train"])
    parser.add_argument("--articles", type=int, default=None, help="only the first N articles")
    parser.add_argument("--embed-cache", type=Path, default=None, help="see bench/speakers.py")
    parser.add_argument("--C", type=float, default=10.0, help="inverse L2 regularisation strength")
    parser.add_argument("--fit", default="pairwise", choices=["pairwise", "pointwise"],
                        help="pairwise: gold against non-gold candidates of one question; pointwise: each alone")
    parser.add_argument("--dump", type=Path, default=None, help="save the candidates' features and labels (.npz)")
    parser.add_argument("--compare", action="store_true", help="also measure the current weights")
    parser.add_argument("--write", action="store_true", help=f"save the weights to {WEIGHTS_FILE.name}")
    parser.add_argument("--folds", type=int, default=0, help="also report N-fold cross-validation (offline)")
    args = parser.parse_args()
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("this script fits the weights with scikit-learn: .venv/bin/pip install scikit-learn")
        return 1

    articles_file = args.data / f"articles_{args.split}.jsonl"
    if not articles_file.exists():
        print(f"PolNeAR data not found at {args.data}; skipping")
        return 0
    articles = load_articles(articles_file)[: args.articles]
    kept = {a.id for a in articles}
    questions = [q for q in map(json.loads, (args.data / f"who_said_{args.split}.jsonl").read_text().splitlines())
                 if q["article_id"] in kept]
    with tempfile.TemporaryDirectory() as tmp, QA(Path(tmp) / "index", create=True) as bot:
        if args.embed_cache:
            bot._embedder = CachedEmbedder(args.embed_cache)
        bot.add_articles(articles)
        numbers: list[int] = []
        qids, x, y = candidate_rows(bot, questions, numbers)
        if args.folds:
            gold = {q["qid"]: {pid + 1 for pid in q["gold_paragraph_ids"]} for q in questions}
            (in_r1, in_full), (out_r1, out_full) = cross_validate(qids, x, y, numbers, gold, args.folds, args.C)
            print(f"{args.folds}-fold cross-validation (the candidates alone, offline): R@1 / full recall "
                  f"in sample {in_r1:.3f} / {in_full:.3f}, held out {out_r1:.3f} / {out_full:.3f}")
        if args.dump:
            np.savez(args.dump, qids=np.array(qids), x=x, y=y, features=np.array(speakers.FEATURES))
        reached = {qid: n for qid, n in zip(*np.unique(np.array(qids)[y], return_counts=True))}
        whole = sum(reached.get(q["qid"], 0) == len(q["gold_paragraph_ids"]) for q in questions)
        print(f"{len(questions)} questions, {len(y)} candidates, {y.mean():.3f} gold; a gold paragraph among the "
              f"candidates for {len(reached) / len(questions):.3f} of the questions, all of them for "
              f"{whole / len(questions):.3f}")
        if args.fit == "pairwise":
            diffs, weights = pairs(qids, x, y)
            model = LogisticRegression(C=args.C, fit_intercept=False, max_iter=2000).fit(
                np.vstack([diffs, -diffs]), np.r_[np.ones(len(diffs)), np.zeros(len(diffs))],
                sample_weight=np.r_[weights, weights])
            bias = 0.0
        else:
            model = LogisticRegression(C=args.C, max_iter=2000).fit(x, y)
            bias = float(model.intercept_[0])
        fitted = {"bias": round(bias, 4),
                  "weights": {name: round(float(w), 4) for name, w in zip(speakers.FEATURES, model.coef_[0])}}
        old = dict(speakers._WEIGHTS)
        before = speaker_aware(bot, questions) if args.compare else (float("nan"), float("nan"))
        speakers._WEIGHTS = {"bias": fitted["bias"], **fitted["weights"]}
        after = speaker_aware(bot, questions)
        speakers._WEIGHTS = old
        if args.embed_cache:
            bot.embedder.save()
    print(json.dumps(fitted, indent=1))
    print(f"{args.fit}, C={args.C}: speaker-aware R@1 / full recall: current weights {before[0]:.3f} / {before[1]:.3f}, "
          f"fitted {after[0]:.3f} / {after[1]:.3f}")
    if args.write:
        fitted["fitted_on"] = f"PolNeAR {args.split}: {len(questions)} questions, {len(y)} candidates"
        fitted["script"] = "bench/speaker_ranker.py"
        WEIGHTS_FILE.write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
