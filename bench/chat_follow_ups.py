"""Follow-up questions in `qa chat` on the whole BBC archive: once a follow-up ("how old is he?", "and
Mercedes?", "why?") is rewritten into a standalone question, is its answer right and cited?

The conversations (bench/chat_follow_ups.json) were written from reading bench-data/bbc_news: a first question,
then one or two follow-ups as a journalist types them. Each conversation goes through
`qa.front.chat.Conversation`, the code `qa chat` runs (rules first, the LLM for what they leave unresolved
when the answerer has one), over one index of all 2,225 articles with no article filter. Every turn is scored
as bench/archive_answers.py scores a fact question (its helpers, imported): right = every expected phrase group
in the answer and a gold article cited; partly = some group present (or all, but no gold article cited);
wrong = none; abstained = the answerer said the articles don't say (always wrong here: every turn has an
answer in the archive). "Gold retrieved" = a passage of the gold article among those the answer was given,
whatever the answer made of it: it shows whether the rewrite found the article. First questions are reported
apart; they show what the follow-ups start from.

    .venv/bin/python bench/chat_follow_ups.py --index INDEX --llm none --split tune
    .venv/bin/python bench/chat_follow_ups.py --index DIR --llm none,local --dump /tmp/chat.jsonl

Every follow-up's rewrite is printed (`→ standalone`) with its verdict. Splits: tune (develop on it) and test
(measure only). The data stays in ../shared/bench-data (outside the repo); exits 0 when the index is absent.
Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive_answers import BBC, article_id, cited_articles, rate, score  # noqa: E402  (bench/ is on the path)

from qa import QA  # noqa: E402
from qa.front.chat import Conversation  # noqa: E402

CONVERSATIONS = Path(__file__).with_name("chat_follow_ups.json")
SPLITS = ("tune", "test")


def load_conversations(path: Path = CONVERSATIONS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["conversations"]


def run_conversation(conv: dict, bot: QA, answerer: str, k: int, texts: dict[str, str]) -> list[dict]:
    """Ask every turn of one conversation through a fresh `Conversation`; one scored row per turn."""
    chat = Conversation(bot, k=k)
    rows = []
    for n, t in enumerate(conv["turns"]):
        started = time.perf_counter()
        turn = chat.ask(t["question"])
        seconds = time.perf_counter() - started
        q = {"kind": "fact", "expected": t["expected"], "gold": t["gold"]}
        scored = score(q, turn.answer, BBC, texts)
        gold = {article_id(a) for a in t["gold"]}
        rows.append({
            "id": conv["id"], "turn": n, "follow_up": n > 0, "category": conv["category"], "split": conv["split"],
            "answerer": answerer, "question": t["question"], "standalone": turn.standalone,
            "seconds": round(seconds, 2), **scored, "abstained": turn.answer.abstained,
            "gold_retrieved": any(p.article_id in gold for p in turn.answer.passages),
            "answer": turn.answer.text, "cited_articles": sorted(cited_articles(turn.answer)),
            "expected": t["expected"], "gold": t["gold"],
        })
    return rows


def table(rows: list[dict]) -> list[str]:
    lines = ["| answerer | split | turns | right | partly | wrong | wrongly abstained | gold retrieved | median s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for a in dict.fromkeys(r["answerer"] for r in rows):
        for split in (*SPLITS, "all"):
            for label, follow_up in (("follow-ups", True), ("first questions", False)):
                sel = [r for r in rows if r["answerer"] == a and r["follow_up"] == follow_up
                       and (split == "all" or r["split"] == split)]
                if not sel or (split == "all" and len({r["split"] for r in sel}) < 2):
                    continue
                count = lambda v: sum(r["verdict"] == v for r in sel)  # noqa: E731
                lines.append(
                    f"| {'extractive' if a == 'none' else a} | {split} | {label} | {rate(count('right'), len(sel))} | "
                    f"{rate(count('partly'), len(sel))} | {rate(count('wrong'), len(sel))} | "
                    f"{rate(count('abstained'), len(sel))} | {rate(sum(r['gold_retrieved'] for r in sel), len(sel))} | "
                    f"{statistics.median(r['seconds'] for r in sel):.1f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of the whole BBC News set")
    parser.add_argument("--llm", default="none", help="answerers, comma-separated: none (extractive), local, openai, auto")
    parser.add_argument("--split", default="tune", choices=(*SPLITS, "all"))
    parser.add_argument("-k", type=int, default=5, help="passages per answer (qa chat's default is 5)")
    parser.add_argument("--ids", default="", help="only these conversation ids, comma-separated")
    parser.add_argument("--show", action="store_true", help="print every answer, not only the rewrites")
    parser.add_argument("--dump", type=Path, help="write one JSON line per turn and answerer")
    args = parser.parse_args()
    if not (args.index / "meta.json").exists() and not any(args.index.glob("*")):
        print(f"no index at {args.index}; build one with `qa index {BBC} --index {args.index}`")
        return 0
    conversations = [c for c in load_conversations() if args.split == "all" or c["split"] == args.split]
    if args.ids:
        wanted = set(args.ids.split(","))
        conversations = [c for c in conversations if c["id"] in wanted]
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    rows: list[dict] = []
    texts: dict[str, str] = {}
    for answerer in [a.strip() for a in args.llm.split(",") if a.strip()]:
        with QA(args.index, llm=answerer) as bot:
            if answerer != "none":
                bot.preload_llm()
            for conv in conversations:
                for r in run_conversation(conv, bot, answerer, args.k, texts):
                    rows.append(r)
                    if dump:
                        dump.write(json.dumps(r, ensure_ascii=False) + "\n")
                        dump.flush()
                    mark = {"right": "ok   ", "partly": "PART ", "wrong": "WRONG", "abstained": "ABST "}[r["verdict"]]
                    if r["follow_up"]:
                        print(f"{mark} [{answerer}] {r['id']}.{r['turn']} {r['question']}\n"
                              f"      → {r['standalone']}" + ("" if r["gold_retrieved"] else "   (gold not retrieved)"), flush=True)
                    elif args.show:
                        print(f"{mark} [{answerer}] {r['id']}.0 {r['question']}")
                    if args.show:
                        print(f"      -> {r['answer'][:300]!r}")
    if dump:
        dump.close()
    print()
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
