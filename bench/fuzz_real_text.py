"""Real news text, and mutations of it, through attribution, dates and the loaders.

A fuzzer that only mutates random strings misses what real web articles hold: headlines with a colon
("Explained: the links between ..."), lists, tables, bylines, photo captions, transcripts, non-Latin
scripts. This one takes every paragraph of ../shared/bench-data (BBC News, PolNeAR, SQuAD contexts),
applies such mutations, and feeds the results to

- attribution (`qa.ingest.attribution.attribute` on a small article of the paragraphs): must not raise, and
  every statement must point into its paragraph and name a speaker with a letter in it;
- dates (`qa.ingest.dates.find_dates`, resolved against a publication date or none): must not raise, and every
  mention must lie inside the text with first <= last, both real days;
- the loaders (`qa.ingest.loaders.load_file` on .txt, .md, .html and .jsonl files): may refuse a file only with
  LoadError, and give clean numbered paragraphs otherwise.

Without bench-data it uses a few built-in lines written like news. `tests/test_real_text_fuzz.py` runs a
bounded, seeded sample; the full run:

    .venv/bin/python bench/fuzz_real_text.py [--limit N] [--seed S] [--html-every K] [--part I/N]

prints how many inputs each stage took and what failed (nothing, when all is well; exit 1 otherwise).
"""

from __future__ import annotations

import os
import argparse
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa.ingest.attribution import attribute  # noqa: E402
from qa.ingest.dates import find_dates  # noqa: E402
from qa.ingest.documents import parse_text, strip_control  # noqa: E402
from qa.errors import LoadError  # noqa: E402
from qa.ingest.loaders import load_file  # noqa: E402

# The shared benchmark data beside the checkout (or beside the folder of worktrees), or $QA_BENCH_DATA.
_REPO = Path(__file__).resolve().parents[1]
BENCH_DATA = next((p for p in (Path(os.environ.get("QA_BENCH_DATA", "/nonexistent")), _REPO.parent / "shared" / "bench-data",
                               _REPO.parents[1] / "shared" / "bench-data") if p.is_dir()),
                  _REPO.parent / "shared" / "bench-data")

# Used when bench-data is absent: lines in the shapes real news text has.
BUILT_IN = [
    "Explained: the links between Bill Gates and Jeffrey Epstein",
    "SEOUL, Nov 7 (Reuters) - North Korean leader Kim Jong Un said on Thursday that his country would "
    "expand its nuclear arsenal, state media reported.",
    "“We would’ve had a nuclear war with millions of people killed,” Trump told Fox News last month.",
    "Kim could see an upside in reaching out to Trump, said Bruce Klingner, a former CIA analyst now with "
    "the Heritage Foundation.",
    "The Bank of England raised interest rates to 4.75% on 2 August 2004, the fifth rise since November.",
    "Home Secretary Charles Clarke said the measures would be reviewed next year.",
    "PENCE: Well, I think the American people deserve to know.",
    "According to officials familiar with the talks, the deal could be signed as soon as Tuesday.",
    "The panda, flown in from Chengdu in 2019, died on Sunday, the zoo said in a statement.",
    "Photo: Firefighters battle a blaze in Athens on July 23. (AP Photo/Petros Giannakouris)",
    "By Josh Smith and Hyonhee Shin",
    "Mr Blair told the Commons on Wednesday: “There is no question of a U-turn.”",
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
    "Shares in the firm fell 3% in early trading in New York on Monday, a day after the results.",
]

NAMES = ["Bill Gates", "Jeffrey Epstein", "Theresa May", "Ramon Pacheco Pardo", "Kim Jong Un", "O'Neill",
         "Jean-Luc Mélenchon", "Xi Jinping", "Narendra Modi", "Dr. Anthony Fauci", "SMITH", "Mr"]
SCRIPTS = ["Президент заявил, что переговоры продолжатся во вторник.", "قال المتحدث إن المحادثات ستستأنف غدا.",
           "首相は月曜日に記者会見を行った。", "प्रधानमंत्री ने सोमवार को कहा कि बातचीत जारी रहेगी।",
           "Ο υπουργός δήλωσε ότι οι συνομιλίες θα συνεχιστούν.", "대변인은 화요일에 회담이 재개될 것이라고 말했다.",
           "השר אמר כי השיחות יימשכו ביום שלישי."]
LABELS = ["Explained", "Watch", "Said", "Analysis", "Live", "Updated", "Breaking", "Continued", "Added", "Q",
          "Photo", "Opinion", "Exclusive", "Factbox", "Timeline", "Why it matters", "SYSTEM", "Noted"]
PUNCTUATION = ["...", "…", " — ", " -- ", "!!", "?!", ";", ":", " ' ", " \" ", "“", "”", "‘", "’", "(", ")",
               "[", "]", "*", "|", "•", "·", "/", "\\", "–", ","]


def _words(text: str) -> list[str]:
    return text.split() or ["news"]


# --- mutations: the shapes web articles have --------------------------------------------------------
Mutation = Callable[[str, random.Random], str]


def _headline_colon(text: str, rng: random.Random) -> str:
    return f"{rng.choice(LABELS)}: {text[:120]}"


def _list(text: str, rng: random.Random) -> str:
    marker = rng.choice(["- ", "* ", "• ", "1. ", "2) ", "— "])
    return "\n".join(marker + s.strip() for s in text.split(". ") if s.strip())


def _table(text: str, rng: random.Random) -> str:
    words = _words(text)
    rows = [" | ".join(words[i : i + 3]) for i in range(0, min(len(words), 18), 3)]
    return "\n".join(["| " + r + " |" for r in rows] + ["|---|---|---|"])


def _byline(text: str, rng: random.Random) -> str:
    return f"By {rng.choice(NAMES)}{rng.choice(['', ' and ' + rng.choice(NAMES), ', Reuters'])}\n\n{text}"


def _caption(text: str, rng: random.Random) -> str:
    return f"{rng.choice(['Photo', 'Image', 'Caption', 'Credit'])}: {text[:90]} ({rng.choice(['AP', 'Getty Images', 'Reuters'])})"


def _transcript(text: str, rng: random.Random) -> str:
    name = rng.choice(NAMES + LABELS)
    return f"{name.upper() if rng.random() < 0.5 else name}: {text}"


def _script(text: str, rng: random.Random) -> str:
    other = rng.choice(SCRIPTS)
    return rng.choice([other, f"{text} {other}", f"{other} {text}", f"“{other}”, said {rng.choice(NAMES)}."])


def _punctuation(text: str, rng: random.Random) -> str:
    words = _words(text)
    return "".join(w + (rng.choice(PUNCTUATION) if rng.random() < 0.3 else " ") for w in words)


def _lone_name(text: str, rng: random.Random) -> str:
    return rng.choice([rng.choice(NAMES), rng.choice(NAMES) + ":", rng.choice(NAMES) + " said", "said",
                       "Said:", "he said.", "'s", ":", "—", rng.choice(NAMES) + ", said"])


def _empty_quotes(text: str, rng: random.Random) -> str:
    quote = rng.choice(['""', "“”", "‘’", "''", '" "', "“ ”"])
    return rng.choice([f"{quote} said {rng.choice(NAMES)}.", f"{rng.choice(NAMES)} said {quote}",
                       f"{text} {quote}", f"“{text}", f"{text}”"])


def _cut(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    a = rng.randrange(len(text))
    b = rng.randrange(a, len(text) + 1)
    return text[a:b]


def _shout(text: str, rng: random.Random) -> str:
    return text.upper()


def _dates(text: str, rng: random.Random) -> str:
    day = rng.choice(["on Feb. 29", "last Tuesday", "on 31 September", "next month", "in 1999", "on 2024-02-30",
                      "on Monday, Jan. 1, 10000", "in the 1990s", "this week", "on 0 March 2020", "in May",
                      "on Dec 32", "yesterday", "in 2024-13", "Q3 2024", "in the year 0"])
    words = _words(text)
    at = rng.randrange(len(words) + 1)
    return " ".join(words[:at] + day.split() + words[at:])


MUTATIONS: dict[str, Mutation] = {
    "as is": lambda text, rng: text, "headline colon": _headline_colon, "list": _list, "table": _table,
    "byline": _byline, "caption": _caption, "transcript": _transcript, "non-Latin": _script,
    "punctuation": _punctuation, "lone name": _lone_name, "empty quotes": _empty_quotes, "cut": _cut,
    "upper case": _shout, "dates": _dates,
}


# --- the corpus --------------------------------------------------------------------------------------


def _bbc(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("*/*.txt")):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        yield from (block.strip() for block in text.split("\n\n") if block.strip())


def _polnear(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("articles_*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record.get("title"):
                    yield record["title"]
                yield from (p["text"] for p in record.get("paragraphs", ()) if p.get("text", "").strip())


def _squad(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            yield from (p["context"] for p in article["paragraphs"])


def corpus(data: Path = BENCH_DATA) -> tuple[list[str], str]:
    """Every paragraph of the bench data, and where it came from; the built-in lines without it."""
    paragraphs: list[str] = []
    sources = []
    for name, read in (("bbc_news", _bbc), ("polnear", _polnear), ("squad", _squad)):
        if (data / name).is_dir():
            before = len(paragraphs)
            paragraphs.extend(read(data / name))
            sources.append(f"{name} {len(paragraphs) - before:,}")
    if not paragraphs:
        return list(BUILT_IN), f"built-in lines {len(BUILT_IN)} (no {data})"
    return paragraphs, ", ".join(sources)


# --- the stages --------------------------------------------------------------------------------------


@dataclass
class Findings:
    inputs: Counter = field(default_factory=Counter)  # stage -> inputs given
    failures: dict = field(default_factory=dict)  # (stage, kind) -> [count, first example, traceback]

    def fail(self, stage: str, kind: str, example: str, trace: str = "") -> None:
        entry = self.failures.setdefault((stage, kind), [0, example[:300], trace])
        entry[0] += 1

    @property
    def failed(self) -> int:
        return sum(entry[0] for entry in self.failures.values())


def _publication(rng: random.Random) -> str | None:
    if rng.random() < 0.2:
        return None
    return date.fromordinal(rng.randrange(date(1990, 1, 1).toordinal(), date(2030, 12, 31).toordinal())).isoformat()


def check_attribution(texts: list[str], found: Findings, published: str | None) -> None:
    found.inputs["attribution"] += 1
    body = "\n\n".join(texts)
    try:
        article = parse_text(body, article_id="fuzz", date=published)
        result = attribute(article)
    except Exception as exc:  # noqa: BLE001 - every crash is a finding
        found.fail("attribution", type(exc).__name__, body, traceback.format_exc(limit=-3))
        return
    for s in result.statements:
        text = article.paragraphs[s.position].text if 0 <= s.position < len(article.paragraphs) else None
        if text is None or not 0 <= s.start <= s.end <= len(text):
            found.fail("attribution", "statement outside its paragraph", body)
        if not any(c.isalpha() for c in s.speaker):
            found.fail("attribution", "speaker with no letter", body + f"  -> {s.speaker!r}")


def check_dates(text: str, found: Findings, published: str | None) -> None:
    found.inputs["dates"] += 1
    try:
        mentions = find_dates(text, published)
    except Exception as exc:  # noqa: BLE001
        found.fail("dates", type(exc).__name__, f"{published}: {text}", traceback.format_exc(limit=-3))
        return
    for m in mentions:
        try:
            ok = 0 <= m.start < m.end <= len(text) and date.fromisoformat(m.first) <= date.fromisoformat(m.last)
        except ValueError:
            ok = False
        if not ok:
            found.fail("dates", "mention out of range or not a real day", f"{published}: {text} -> {m}")


def _html(title: str, texts: list[str]) -> str:
    from html import escape

    body = "".join(f"<p>{escape(t)}</p>" for t in texts)
    return f"<html><head><title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>{body}" \
           f"</article></body></html>"


def check_loaders(texts: list[str], found: Findings, folder: Path, rng: random.Random, html: bool) -> None:
    title = texts[0][:100]
    files = {
        "txt": "\n\n".join(texts).encode(rng.choice(["utf-8", "utf-8", "utf-8-sig"]), errors="replace"),
        "md": ("# " + title + "\n\n" + "\n\n".join(texts)).encode(),
        "jsonl": (json.dumps({"id": "a", "title": title, "text": texts + [rng.choice([1, None, ["x"], {}])],
                              "date": _publication(rng)}) + "\n"
                  + json.dumps({"id": "b", "text": "\n".join(texts)}, ensure_ascii=False) + "\n").encode(),
    }
    if rng.random() < 0.3:  # a few Latin-1 bytes in a UTF-8 file
        files["txt"] += "\n\nCafé naïve déjà.".encode("latin-1")
    if html:
        files["html"] = _html(title, texts).encode()
    for suffix, data in files.items():
        found.inputs[f"loader .{suffix}"] += 1
        path = folder / f"fuzz.{suffix}"
        path.write_bytes(data)
        try:
            loaded = load_file(path, "fuzz")
        except LoadError:
            continue
        except Exception as exc:  # noqa: BLE001
            found.fail(f"loader .{suffix}", type(exc).__name__, data.decode("utf-8", "replace"),
                       traceback.format_exc(limit=-3))
            continue
        for article in loaded.articles:
            for p in article.paragraphs:
                if not p.text.strip() or strip_control(p.text) != p.text or p.number < 1:
                    found.fail(f"loader .{suffix}", "unclean paragraph", repr(p.text))


def run(paragraphs: list[str], *, seed: int = 29, limit: int | None = None, html_every: int = 20,
        loader_every: int = 1, deadline: float | None = None) -> Findings:
    """Every paragraph (or `limit` of them, picked by `seed`) under one mutation each, then in small
    articles of neighbouring paragraphs; HTML (trafilatura, slow) for one article in `html_every`."""
    rng = random.Random(seed)
    order = list(range(len(paragraphs)))
    if limit is not None and limit < len(order):
        order = sorted(rng.sample(order, limit))
    found = Findings()
    names = list(MUTATIONS)
    with tempfile.TemporaryDirectory(prefix="qa-fuzz-") as tmp:
        folder = Path(tmp)
        for n, i in enumerate(order):
            if deadline is not None and time.monotonic() > deadline:
                break
            mutation = names[n % len(names)] if n < len(names) else rng.choice(names)
            text = MUTATIONS[mutation](paragraphs[i], rng)
            neighbours = [MUTATIONS[rng.choice(names)](paragraphs[j], rng)
                          for j in range(i + 1, min(i + 1 + rng.randrange(4), len(paragraphs)))]
            published = _publication(rng)
            found.inputs[f"mutation {mutation}"] += 1
            check_dates(text, found, published)
            check_attribution([text, *neighbours], found, published)
            if n % loader_every == 0:
                check_loaders([t for t in [text, *neighbours] if t.strip()] or ["Empty."], found, folder, rng,
                              html=n % html_every == 0)
    return found


def report(found: Findings, source: str, elapsed: float) -> str:
    lines = [f"real-text fuzz: {source}; {elapsed:.0f} s"]
    stages = {k: v for k, v in found.inputs.items() if not k.startswith("mutation ")}
    mutations = {k.removeprefix("mutation "): v for k, v in found.inputs.items() if k.startswith("mutation ")}
    lines.append("inputs per stage: " + ", ".join(f"{k} {v:,}" for k, v in sorted(stages.items())))
    lines.append("paragraphs per mutation: " + ", ".join(f"{k} {v:,}" for k, v in sorted(mutations.items())))
    lines.append(f"failures: {found.failed}")
    for (stage, kind), (count, example, trace) in sorted(found.failures.items()):
        lines.append(f"  {stage}: {kind} x{count}; first: {example!r}")
        if trace:
            lines.append("    " + trace.strip().replace("\n", "\n    "))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=BENCH_DATA)
    parser.add_argument("--limit", type=int, default=None, help="paragraphs to take (default: all)")
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--html-every", type=int, default=20, help="an HTML file for one sample in K")
    parser.add_argument("--part", default="0/1", help="I/N: every N-th paragraph from the I-th, for N processes")
    args = parser.parse_args()
    paragraphs, source = corpus(args.data)
    i, n = (int(x) for x in args.part.split("/"))
    if n > 1:
        paragraphs, source = paragraphs[i::n], f"{source}, part {i}/{n}"
    started = time.monotonic()
    found = run(paragraphs, seed=args.seed, limit=args.limit, html_every=args.html_every)
    print(report(found, source, time.monotonic() - started))
    return 1 if found.failed else 0


if __name__ == "__main__":
    sys.exit(main())
