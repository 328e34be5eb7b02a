"""Near-duplicate (wire-copy) paragraphs and articles in the BBC News and PolNeAR corpora.

Runs the index's own detection (qa.ingest.wire: fingerprint, best_copy, through wire.CopyFinder, the same
rules `qa index` applies) over every searchable paragraph, in corpus order, and counts:

- paragraphs that copy a paragraph of another article (near-duplicates), of which exact copies
  (identical normalised text), and the clusters they form;
- articles that are copies: at least half of their fingerprinted paragraphs copy one other article.

PolNeAR's `wire` field names the agency an article came from (AP, Reuters, UPI, AFP; None/NA for the
outlet's own): for the copied article pairs found, the table says how many have an agency in that
field, and how many of those agree (the same agency on both sides, or one side its copy). The datelines
the loader reads ("(AP) —") are compared with the field as well.

With `--embeddings N` it also embeds the paragraphs of the first N BBC articles and lists, for comparison,
the pairs of paragraphs from different articles whose cosine is >= 0.97 (FAISS) against the lexical pairs.

    .venv/bin/python bench/duplicates.py [--embeddings 400] [DATA]

The data stays in ../shared/bench-data (outside the repo); exits 0 when it is absent. Not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from qa.ingest.documents import parse_text  # noqa: E402
from qa.ingest.loaders import find_files, load_file  # noqa: E402
from qa.ingest.wire import CopyFinder, normalise  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/bench-data"
AGENCIES = {"ap": "AP", "reuters": "Reuters", "upi": "UPI", "afp": "AFP"}


def bbc_articles(folder: Path) -> list[tuple[str, list[str], dict]]:
    files, _ = find_files([folder])
    out = []
    for source in files:
        if source.path.name.lower() == "readme.txt":
            continue
        for article in load_file(source.path, source.article_id).articles:
            out.append((article.id, [p.text for p in article.paragraphs if p.searchable], {}))
    return out


def polnear_articles(folder: Path) -> list[tuple[str, list[str], dict]]:
    out = []
    for split in ("train", "dev"):
        for line in (folder / f"articles_{split}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            # Through the loader, so datelines and boilerplate are read as when indexing.
            text = "\n\n".join(p["text"] for p in record["paragraphs"][1:])  # pid 0 repeats the title
            article = parse_text(text, article_id=record["article_id"], title=record["title"])
            wire = AGENCIES.get(str(record.get("wire")).lower())
            out.append((article.id, [p.text for p in article.paragraphs if p.searchable],
                        {"wire": wire, "dateline": article.metadata.get("wire"), "publisher": record["publisher"]}))
    return out


def detect(articles: list[tuple[str, list[str], dict]]) -> dict:
    finder = CopyFinder()
    cluster: dict[tuple, tuple] = {}
    fingerprinted: Counter = Counter()
    copies = exact = 0
    norm: dict[tuple, str] = {}
    started = time.perf_counter()
    for article_id, paragraphs, _ in articles:
        for number, text in enumerate(paragraphs, 1):
            key = (article_id, number)
            match = finder.add(key, article_id, text)
            if key in finder:
                fingerprinted[article_id] += 1
            cluster[key] = cluster[match] if match is not None else key
            if match is not None:
                copies += 1
                norm.setdefault(match, " ".join(normalise(paragraphs[match[1] - 1] if match[0] == article_id
                                                         else _text(articles, match))))
                exact += " ".join(normalise(text)) == norm[match]
    seconds = time.perf_counter() - started
    members: dict[tuple, set] = defaultdict(set)
    for key, c in cluster.items():
        members[c].add(key)
    clusters = [m for m in members.values() if len(m) > 1]
    # Article pairs: how many of A's paragraphs share a cluster with B's.
    shared: Counter = Counter()
    for m in clusters:
        articles_in = {a for a, _ in m}
        for a in articles_in:
            for b in articles_in:
                if a != b:
                    shared[(a, b)] += sum(1 for x, _ in m if x == a)
    copied_pairs = {tuple(sorted((a, b))) for (a, b), n in shared.items() if n * 2 >= max(fingerprinted[a], 1)}
    return {"articles": len(articles), "paragraphs": sum(len(p) for _, p, _ in articles),
            "fingerprinted": sum(fingerprinted.values()), "copies": copies, "exact": exact,
            "clusters": len(clusters), "pairs": copied_pairs,
            "copied_articles": len({a for pair in copied_pairs for a in pair}), "seconds": seconds,
            "cluster": cluster}


_TEXTS: dict[int, dict] = {}


def _text(articles, key) -> str:
    index = _TEXTS.setdefault(id(articles), {a: p for a, p, _ in articles})
    return index[key[0]][key[1] - 1]


def wire_agreement(articles, found: dict) -> dict:
    meta = {a: m for a, _, m in articles}
    pairs = found["pairs"]
    with_field = [p for p in pairs if meta[p[0]]["wire"] or meta[p[1]]["wire"]]
    same = [p for p in with_field if meta[p[0]]["wire"] == meta[p[1]]["wire"]]
    copied = {a for p in pairs for a in p}
    agency_articles = [a for a, m in meta.items() if m["wire"]]
    dateline_known = [a for a, m in meta.items() if m["dateline"]]
    return {
        "pairs": len(pairs), "pairs_with_wire_field": len(with_field), "pairs_same_agency": len(same),
        "publishers_of_pairs": Counter(" + ".join(sorted((meta[a]["publisher"], meta[b]["publisher"])))
                                       for a, b in pairs).most_common(5),
        "agency_articles": len(agency_articles),
        "agency_articles_with_copy": sum(a in copied for a in agency_articles),
        "datelines": len(dateline_known),
        "datelines_agree": sum(meta[a]["dateline"] == meta[a]["wire"] for a in dateline_known),
        "agency_field_with_dateline": sum(bool(meta[a]["dateline"]) for a in agency_articles),
    }


def compare_embeddings(articles, found: dict, limit: int) -> dict:
    import faiss
    import numpy as np

    from qa.ingest.embeddings import Embedder

    subset = articles[:limit]
    keys = [(a, n) for a, paragraphs, _ in subset for n in range(1, len(paragraphs) + 1)]
    texts = [_text(articles, k) for k in keys]
    started = time.perf_counter()
    vectors = np.asarray(Embedder().encode(texts), dtype="float32")
    embed_seconds = time.perf_counter() - started
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    scores, ids = index.search(vectors, 5)
    dense = set()
    for i, (row_scores, row_ids) in enumerate(zip(scores, ids)):
        for s, j in zip(row_scores, row_ids):
            if j > i and s >= 0.97 and keys[j][0] != keys[i][0]:
                dense.add((keys[i], keys[j]))
    cluster = found["cluster"]
    lexical = set()
    by_cluster = defaultdict(list)
    for k in keys:
        by_cluster[cluster[k]].append(k)
    for members in by_cluster.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if members[x][0] != members[y][0]:
                    lexical.add(tuple(sorted((members[x], members[y]))))
    dense = {tuple(sorted(p)) for p in dense}
    return {"paragraphs": len(keys), "embed_seconds": embed_seconds, "dense_pairs": len(dense),
            "lexical_pairs": len(lexical), "both": len(dense & lexical), "dense_only": sorted(dense - lexical)[:5],
            "lexical_only": sorted(lexical - dense)[:5], "n_dense_only": len(dense - lexical),
            "n_lexical_only": len(lexical - dense)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--embeddings", type=int, default=0, metavar="N",
                        help="also compare with embedding neighbours (cosine >= 0.97) on the first N BBC articles")
    args = parser.parse_args()
    bbc, polnear = args.data / "bbc_news", args.data / "polnear"
    if not bbc.is_dir() and not polnear.is_dir():
        print(f"no benchmark data at {args.data}; skipped")
        return 0
    rows, extra = [], []
    for name, folder, loader in (("BBC News", bbc, bbc_articles), ("PolNeAR train+dev", polnear, polnear_articles)):
        if not folder.is_dir():
            print(f"{folder} is absent; {name} skipped")
            continue
        articles = loader(folder)
        found = detect(articles)
        rows.append((name, found))
        if loader is polnear_articles:
            extra.append(("PolNeAR", wire_agreement(articles, found)))
        if loader is bbc_articles and args.embeddings:
            extra.append(("BBC embeddings vs lexical", compare_embeddings(articles, found, args.embeddings)))
        if loader is bbc_articles:
            extra.append(("BBC copied pairs (first 8)", sorted(found["pairs"])[:8]))
    print("| corpus | articles | paragraphs (fingerprinted) | copied paragraphs (exact) | clusters | "
          "copied articles (pairs) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, f in rows:
        print(f"| {name} | {f['articles']:,} | {f['paragraphs']:,} ({f['fingerprinted']:,}) | "
              f"{f['copies']:,} ({f['exact']:,}) | {f['clusters']:,} | {f['copied_articles']:,} "
              f"({len(f['pairs']):,}) | {f['seconds']:.1f} |")
    for title, data in extra:
        print(f"\n{title}: {json.dumps(data, default=str)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
