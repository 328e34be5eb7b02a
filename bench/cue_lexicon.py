"""Derive qa/search/cue_words.txt: the heads of the attribution cues PolNeAR's annotators marked on train.

PolNeAR's attributions carry the cue that ties a source to its content ("said", "mocked", "reserved his
most eloquent passion for", "don't like"). The head of a cue is its first word that is not a function
word, an auxiliary or an adverb ("has also said" -> "said", "was still tussling with" -> "tussling").
Heads seen at least `--min-count` times on train make the lexicon: words only, lowercased, as written
(no lemmatising: "said", "says" and "saying" are listed apart, so matching needs no stemmer). The
speaker ranker (qa.search.speakers) uses it to tell a paragraph where the name takes a stance from one that
merely names it.

    .venv/bin/python bench/cue_lexicon.py                  # print what would be written
    .venv/bin/python bench/cue_lexicon.py --write          # and write qa/search/cue_words.txt
    .venv/bin/python bench/cue_lexicon.py --attribution    # which heads to add as attribution cues

`--attribution` adds every lexicon head that qa.ingest.attribution does not list to its cue pattern at once, and
prints those whose new (paragraph, speaker) pairs are right (as bench/speakers.py counts precision) at
least 85% of the time on train, at least 5 times: the source of qa.ingest.attribution._LEARNED_CUES.

Train only; never dev. The data stays in ../shared/bench-data.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import _common  # noqa: E402,F401 - first: puts the repository on sys.path

from bench.speakers import DEFAULT_DATA  # noqa: E402

LEXICON_FILE = Path(__file__).resolve().parents[1] / "qa" / "search" / "cue_words.txt"
# Words that are never a cue's head: auxiliaries, pronouns, determiners, prepositions, particles.
SKIP = set("""has have had is was are were be been being am do does did will would could can should may might must
shall not to a an the of on in for about with as at by from into against over under up out off down back
his her their its it he she they we i you him them us our my your this that these those who which what
and or but so yet nor also just still even then now later first last once again already never always only
too very much more most no all some both one two there here s t re ve ll d m""".split())
WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def cue_head(cue: str) -> str | None:
    """The first content word of a cue, lowercased: "has repeatedly said" -> "said"; None for ":"."""
    for word in WORD_RE.findall(cue.lower().replace("’", "'")):
        if word not in SKIP and not word.endswith("ly"):
            return word
    return None


def harvest(path: Path) -> Counter:
    heads: Counter = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        head = cue_head(json.loads(line).get("cue") or "")
        if head:
            heads[head] += 1
    return heads


def attribution_cues(data: Path, words: list[str], min_count: int = 5, min_precision: float = 0.85) -> list[str]:
    """The `words` that, added as attribution cues, make mostly right new speaker-paragraph pairs on train."""
    from bench.speakers import PRONOUNS, _words, load_articles
    from qa.ingest import attribution

    articles = load_articles(data / "articles_train.jsonl")
    gold: dict[tuple[str, int], list[str]] = {}
    for line in (data / "attributions_train.jsonl").read_text(encoding="utf-8").splitlines():
        a = json.loads(line)
        for pid in a["gold_paragraph_ids"]:
            gold.setdefault((a["article_id"], pid + 1), []).append(a.get("source") or "")

    def pairs() -> dict[tuple[str, int, str], tuple[set[str], bool]]:
        out: dict[tuple[str, int, str], tuple[set[str], bool]] = {}
        for article in articles:
            result = attribution.attribute(article)
            by_name = {s.name: s for s in result.speakers}
            for st in result.statements:
                sp = by_name[st.speaker]
                key = (article.id, article.paragraphs[st.position].number, st.speaker)
                described = _words(" ".join((sp.name, *sp.aliases, *sp.descriptors)))
                sources = gold.get(key[:2], [])
                right = any(_words(src) & described for src in sources) or (st.reference == "pronoun" and any(
                    _words(src) and _words(src) <= PRONOUNS for src in sources))
                cues, ok = out.get(key, (set(), False))
                out[key] = (cues | {st.cue}, ok or right)
        return out

    before = pairs()
    known = attribution._CUE_WORDS + attribution._STANCE_CUES + attribution._LEARNED_CUES
    new = [w for w in words if w not in known and "'" not in w and w != "according"]
    saved = attribution._CUE_RE
    attribution._CUE_RE = re.compile(saved.pattern.replace("(?P<cue>", "(?P<cue>%s|" % "|".join(new), 1))
    try:
        after = pairs()
    finally:
        attribution._CUE_RE = saved
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, (cues, ok) in after.items():
        if key not in before:
            for cue in cues & set(new):
                tally[cue][0] += ok
                tally[cue][1] += 1
    return sorted(w for w, (right, n) in tally.items() if n >= min_count and right / n >= min_precision)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the polnear folder")
    parser.add_argument("--min-count", type=int, default=5, help="keep heads seen at least this often")
    parser.add_argument("--write", action="store_true", help=f"write {LEXICON_FILE.name}")
    parser.add_argument("--attribution", action="store_true", help="select heads to add as attribution cues")
    args = parser.parse_args()
    path = args.data / "attributions_train.jsonl"
    if not path.exists():
        print(f"PolNeAR data not found at {args.data}; skipping")
        return 0
    heads = harvest(path)
    words = sorted(w for w, n in heads.items() if n >= args.min_count)
    print(f"{len(heads)} distinct cue heads on train, {len(words)} seen at least {args.min_count} times")
    print(" ".join(words))
    if args.write:
        header = (f"# Attribution cue heads seen at least {args.min_count} times in PolNeAR train's annotations.\n"
                  f"# Derived by bench/cue_lexicon.py; one word a line.\n")
        LEXICON_FILE.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
        print(f"wrote {LEXICON_FILE}")
    if args.attribution:
        print("as attribution cues (not yet listed in qa.ingest.attribution):",
              " ".join(attribution_cues(args.data, words)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
