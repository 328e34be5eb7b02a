"""The `qa` command's options and arguments: the flags several commands share, the checks on their
values (a bad one is a usage error, exit 2, found before anything loads), and the questions of
`--questions FILE`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from ..config import K_MAX
from ..errors import QAError


class FilePath(click.Path):
    """click.Path that refuses a NUL byte with a usage error: click's own check (os.stat) raises on it."""

    def convert(self, value, param, ctx):
        if "\x00" in str(value):
            self.fail("a file name cannot contain a NUL byte.", param, ctx)
        return super().convert(value, param, ctx)


def index_option(f: Callable) -> Callable:
    return click.option("--index", "index_dir", metavar="DIR", default=None,
                        help="Index folder (default ./index, or QA_INDEX, or the config file).")(f)


def model_option(f: Callable) -> Callable:
    return click.option("--model", default=None, metavar="NAME_OR_PATH",
                        help="Embedding model: a sentence-transformers folder or hub name "
                             "(default: the index's own model, else the built-in all-MiniLM-L6-v2).")(f)


def _check_llm(ctx, param, value):
    """A misspelt backend is a usage error (exit 2), found before anything is loaded."""
    if value is not None and value.lower() not in ("auto", "local", "openai", "none"):
        raise click.BadParameter(f"unknown LLM backend {value!r}; use auto, local, openai or none")
    return value


def llm_options(f: Callable) -> Callable:
    for decorator in reversed([
        click.option("--llm", default=None, metavar="BACKEND", callback=_check_llm,
                     help="auto (default: a configured server, else extractive), "
                          "local, openai, or none. Env QA_LLM; the local LLM's threads: QA_LLM_THREADS."),
        click.option("--base-url", default=None, metavar="URL",
                     help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama). Env QA_BASE_URL. "
                          "The API key is read from QA_API_KEY or OPENAI_API_KEY only."),
        click.option("--llm-model", default=None, metavar="NAME_OR_PATH",
                     help="The server's model name, or a .gguf path for --llm local. Env QA_LLM_MODEL."),
    ]):
        f = decorator(f)
    return f


def clean_text(ctx, param, value):
    """Text arguments (not paths) without control characters or lone surrogates, which bytes that are
    not UTF-8 on the command line become, and which SQLite and the embedder cannot take."""
    from ..ingest.documents import strip_control

    if isinstance(value, tuple):
        return tuple(strip_control(v) for v in value)
    return strip_control(value) if isinstance(value, str) else value


def date_option(name: str, help_text: str) -> Callable:
    """A date checked once, here, as a real calendar date. --since and --until also take a year or a
    month (its first day for --since, its last for --until); --date, a publication date, needs a day."""

    def convert(ctx, param, value):
        if value is None:
            return None
        from ..ingest.dates import DateError, calendar_date, date_bound

        if name == "--as-of":
            from ..search.timeframe import parse_as_of

            try:
                return parse_as_of(value).isoformat()
            except DateError as exc:
                raise click.BadParameter(str(exc)) from exc
        if name == "--date":
            iso = calendar_date(value)
            if iso is None:
                raise click.BadParameter(f"{value!r} is not a real calendar day; use YYYY-MM-DD")
            return iso
        try:
            return date_bound(value, end=name == "--until")
        except DateError as exc:
            raise click.BadParameter(str(exc)) from exc

    return click.option(name, default=None, metavar="DATE", callback=convert, help=help_text)


def query_options(f: Callable) -> Callable:
    for decorator in reversed([
        click.argument("question", required=False, callback=clean_text),
        click.option("-k", "k", type=click.IntRange(1, K_MAX), default=None, help="How many passages (default 5)."),
        click.option("--article", default=None, metavar="ID|TITLE", callback=clean_text,
                     help="Only this article: its id or part of its title."),
        date_option("--since", "Only articles published on or after DATE, and paragraphs of others that "
                                "mention a date from DATE on."),
        date_option("--until", "Only articles published on or before DATE, and paragraphs of others that "
                                "mention a date up to DATE."),
        date_option("--as-of", "The day the question is asked on (default today): \"this week\", \"recently\" "
                                "are read from it, and articles published after it are left out."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON (schema in the README)."),
        click.option("--questions", type=FilePath(dir_okay=False, path_type=Path), default=None,
                     help="Read questions from FILE (one a line, or JSONL with \"q\"); print one JSON line each."),
        index_option,
        model_option,
    ]):
        f = decorator(f)
    return f


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not I/N (e.g. 0/4)") from None
    if not 0 <= i < n:
        raise click.BadParameter(f"{value!r}: I must be at least 0 and less than N")
    return i, n


def read_questions(question: str | None, questions_file: Path | None, defaults: dict) -> Iterator[dict]:
    """Yield question records: from the argument, or from a file of lines / JSONL (not both: a question
    beside --questions would be silently left out)."""
    if questions_file is not None and question is not None:
        raise click.UsageError("give a QUESTION or --questions FILE, not both")
    if questions_file is None:
        if not question or not question.strip():
            raise click.UsageError("give a QUESTION, or --questions FILE")
        yield {"q": question, **defaults}
        return
    try:
        # Lines end at "\n" only: str.splitlines would also split at U+0085 or U+2028 inside a question,
        # and read_text (universal newlines) at a lone "\r".
        lines = questions_file.read_bytes().decode("utf-8").split("\n")
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
            if not isinstance(record, dict) or not isinstance(record.get("q"), str) or not record["q"].strip():
                yield {"error": f"{questions_file}:{lineno}: expected an object with a non-empty \"q\" string"}
                continue
            problem, fields = _question_fields(record, defaults)
            if problem:
                yield {"error": f"{questions_file}:{lineno}: {problem}", "question": record["q"]}
                continue
            yield fields
        else:
            yield {"q": line, **defaults}


def _question_fields(record: dict, defaults: dict) -> tuple[str | None, dict]:
    """A JSONL question's own options over the command line's, each checked for its type: a problem
    (said in words) or the fields to run it with."""
    from ..ingest.dates import DateError, date_range

    from ..ingest.documents import strip_control

    fields = dict(defaults, q=strip_control(record["q"]))

    def given(key: str):  # null is the same as leaving the field out: the command line's value
        return defaults[key] if record.get(key) is None else record[key]

    k = given("k")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= K_MAX):
        return f'"k" must be a whole number from 1 to {K_MAX}, not {json.dumps(k)}', fields
    fields["k"] = k
    article = given("article")
    if article is not None and not (isinstance(article, str) and article.strip()):
        return f'"article" must be an article id or part of a title (a string), not {json.dumps(article)}', fields
    fields["article"] = strip_control(article) if article is not None else None
    for key in ("since", "until"):
        value = given(key)
        if value is not None and not isinstance(value, str):
            return f'"{key}" must be a date string (YYYY-MM-DD, YYYY-MM or YYYY), not {json.dumps(value)}', fields
        fields[key] = value
    try:
        fields["since"], fields["until"] = date_range(fields["since"], fields["until"])
    except DateError as exc:
        return str(exc), fields
    return _time_fields(record, fields, given)


def _time_fields(record: dict, fields: dict, given: Callable) -> tuple[str | None, dict]:
    """A JSONL question's "as_of" (a day), "all" or "timeline" (true/false) and "page" (1 or more)."""
    from ..ingest.dates import DateError
    from ..search.timeframe import parse_as_of

    as_of = given("as_of") if "as_of" in fields else record.get("as_of")
    if as_of is not None:
        if not isinstance(as_of, str):
            return f'"as_of" must be a date string (YYYY-MM-DD), not {json.dumps(as_of)}', fields
        try:
            fields["as_of"] = parse_as_of(as_of).isoformat()
        except DateError as exc:
            return str(exc), fields
    for key in ("all", "timeline"):
        if key in record and record[key] is not None:
            if not isinstance(record[key], bool):
                return f'"{key}" must be true or false, not {json.dumps(record[key])}', fields
            fields["timeline"] = record[key]
    page = record.get("page")
    if page is not None:
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            return f'"page" must be a whole number from 1 on, not {json.dumps(page)}', fields
        fields["page"] = page
    return None, fields
