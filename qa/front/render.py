"""Terminal rendering of passages, answers, article and speaker lists and the index's reports (rich),
safe for untrusted text.

Article text is always passed as rich `Text`, never as markup, and control characters are
stripped, so an article cannot restyle or take over the terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from typing import TYPE_CHECKING

from ..answer import Answer
from ..ingest.documents import strip_control
from ..jsonout import json_text  # noqa: F401 - where the CLI has always imported it from
from ..search.retriever import SearchResult
from ..index.records import ArticleSummary, Passage, SpeakerRecord
from ..index.reports import IndexHealth

if TYPE_CHECKING:  # indexing code loads only when indexing
    from ..index.indexer import IndexReport


def safe(text: str | None) -> str:
    return strip_control(text or "")


def article_text(text: str | None) -> str:
    """Article text as shown: safe, and its own "[3]" written "(3)", so the only bracketed numbers on
    screen are qa's citations (as in answers)."""
    from ..answer.citations import neutralise_markers

    return neutralise_markers(safe(text))


@contextlib.contextmanager
def streamed_draft(console: Console) -> Iterator[Callable[[str], None]]:
    """Yield an `on_token` that shows the LLM's draft, dimmed, as it is written; the draft is erased
    on exit so the verified answer can be printed in its place."""
    from rich.live import Live

    draft = Text(style="dim")
    with Live(draft, console=console, transient=True, refresh_per_second=12) as live:
        def on_token(piece: str) -> None:
            draft.append(safe(piece))
            live.update(draft)

        yield on_token


def source_line(p: Passage) -> str:
    """`Reuters · "Headline ..." · 2024-11-07 · ¶22`, the way every citation is written."""
    return safe(p.citation)


def _print_copies(console: Console, p: Passage, indent: str) -> None:
    """The other outlets that carried the same wire paragraph, one line each."""
    for copy in p.also_in:
        console.print(Text(f"{indent}also in: {safe(copy.citation)}", style="dim cyan"))


def print_search(console: Console, result: SearchResult) -> None:
    time = getattr(result, "time", None)  # the span a question's time words name (docs/news.md)
    if time:
        console.print(Text(f"Time asked about: {time['label']}, as of {time['as_of']}.", style="dim"))
        if time.get("articles_in_range") == 0:
            console.print(f"The index holds no article from {time['label']}, nor one mentioning a day of it; "
                          f"the newest article is from {time.get('newest') or 'no day (none is dated)'}.")
            return
    if not result.passages:
        console.print("No passages found.")
        return
    for rank, p in enumerate(result.passages, 1):
        header = Text(f"{rank}. ", style="bold")
        header.append(source_line(p), style="bold cyan")
        header.append(f"  score {p.score:.4f}", style="dim")
        if p.speakers:
            header.append(f"  speaker: {safe(', '.join(p.speakers))}", style="magenta")
        console.print(header)
        _print_copies(console, p, "   ")
        console.print(Text(article_text(p.text)), style=None)
        console.print(Text(f"   article: {safe(p.article_id)}", style="dim"))
        console.print()


def print_answer(console: Console, answer: Answer, err_console: Console | None = None) -> None:
    style = "yellow" if answer.abstained else None
    console.print(Text(safe(answer.text), style=style or ""))
    if answer.citations:
        console.print()
        console.print(Text("Sources:", style="bold"))
        for c in answer.citations:
            line = Text(f"[{c.n}] ", style="bold")
            line.append(source_line(c.passage), style="cyan")
            console.print(line)
            _print_copies(console, c.passage, "    ")
            console.print(Text(f'    "{article_text(c.quote)}"', style="dim"))
    notes = [n for n in (answer.warning, answer.notice) if n]
    for note in notes:
        (err_console or console).print(Text(note, style="yellow" if note == answer.warning else "dim"))


def _print_table(console: Console, columns: tuple[str, ...], rows: list[tuple[str, ...]], noun: str) -> None:
    """A table on a terminal; piped, one tab-separated line per row (a header line first), never wrapped,
    so `qa list | grep` and `cut -f1` see whole ids."""
    if not console.is_terminal:
        for row in (columns, *rows):  # written as is: rich would expand the tabs into spaces
            console.file.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) + "\n")
        return
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(Text(f"{len(rows)} {noun}(s)", style="dim"))


def print_articles(console: Console, articles: list[ArticleSummary]) -> None:
    if not articles:
        console.print("The index is empty. Add articles with `qa index PATH...`.")
        return
    rows = [(safe(a.id), safe(a.title), safe(a.source or ""), a.date or "", str(a.paragraphs)) for a in articles]
    _print_table(console, ("id", "title", "source", "date", "¶"), rows, "article")


def print_speakers(console: Console, speakers: list[SpeakerRecord], name: str | None = None,
                   min_statements: int = 1) -> None:
    """The speakers as a table; none found is said in terms of the filters that found none."""
    if not speakers and (name or min_statements > 1):
        console.print("No quoted speaker matches" + (f" {name!r}" if name else "") +
                      (f" with at least {min_statements} statement(s)" if min_statements > 1 else "") + ".")
        return
    if not speakers:
        console.print("No quoted speakers found. Index articles with `qa index PATH...`.")
        return
    rows = []
    for s in speakers:
        others = {a.lower(): a for a in reversed((*s.aliases, *s.descriptors)) if a.lower() != s.name.lower()}
        rows.append((safe(s.article_id), safe(s.name), safe("; ".join(reversed(others.values()))),
                     str(len(s.paragraphs)), ", ".join(f"¶{n}" for n in s.paragraphs)))
    _print_table(console, ("article", "speaker", "also called", "¶ count", "paragraphs"), rows, "speaker")


def print_index_report(console: Console, report: IndexReport) -> None:
    if report.reattributed:
        console.print(f"Speakers re-derived for the {report.reattributed} article(s) already indexed "
                      "(the attribution rules of this qa differ from those that built the index).")
    console.print(
        f"Indexed {report.articles} article(s), {report.paragraphs} paragraph(s) embedded; "
        f"{report.unchanged} file(s) unchanged, {report.skipped} skipped. "
        f"Index: {report.index} ({report.total_articles} articles)."
    )


def print_health(console: Console, health: IndexHealth) -> None:
    """The healthy line of `qa check` (problems are an error, said by the command line)."""
    if health.ok:
        console.print(f"Index {health.index} is healthy: {health.articles} article(s), {health.paragraphs} "
                      f"paragraph(s), generation {health.generation}.")


def print_models(console: Console) -> None:
    """`qa model`: the local LLM and the embedding model, and whether each is set up."""
    from ..answer.runtime import runtime_info
    from ..answer.local_model import DEFAULT_GGUF, default_model_path, parts_installed
    from ..ingest.embeddings import DEFAULT_MODEL, INT8_FILE, onnx_export

    path = default_model_path()
    console.print(f"Local LLM: {DEFAULT_GGUF}")
    if path.is_file():
        console.print(f"  installed at {path} ({path.stat().st_size / 2**20:.0f} MB)")
        console.print(f"  runtime: {runtime_info()}")
    elif parts_installed():
        console.print("  packaged parts installed; `qa model setup` assembles them (done automatically on first use)")
    else:
        console.print("  not installed: run ./setup.sh, or `qa model setup --from-hub` with a network")
    export = onnx_export()
    console.print(f"Embedding model: {DEFAULT_MODEL}")
    console.print(f"  ONNX export (checked against torch) at {export}" if export else
                  "  not exported to ONNX yet: `qa model setup` does it (or the first `qa index`)")
    if export and (export / INT8_FILE).is_file():
        console.print(f"  documents are embedded with its int8 copy, {INT8_FILE} (QA_EMBED_INT8=0: fp32)")
