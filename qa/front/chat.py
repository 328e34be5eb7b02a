"""`qa chat`: a conversation with the articles. Follow-ups are rewritten into standalone questions
(by rules that carry the previous speaker, subject and topic, and by the LLM for what they leave open) before retrieval,
and every answer keeps its citations.

`Conversation` holds the state and never prints; `run_repl` is the terminal front end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..answer import Answer
from ..config import chat_history_path
from ..errors import LLMError, QAError
from ..search.speakers import parse_speaker_question

_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|so|also|what about|how about|then)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|that|this|it|those|these|there|then)\b",
                      re.IGNORECASE)
_BARE_FOLLOW_UP = re.compile(r"^\s*(?:(?:and|but)\s+(?:what|how)\s+about|what about|how about|and)\s+"
                             r"(?P<who>[^?]+?)\s*\??\s*$", re.IGNORECASE)
_REWRITE_MAX_CHARS = 300
# "it", "its", "the company": the thing the previous question was about (its first name, when it names one)
_THING = re.compile(
    r"\b(?:its|it|the (?:company|firm|club|team|side|group|band|film|movie|show|party|government|bank|"
    r"country|brand|chain|retailer|carmaker|browser|chip|processor|network|firm's|company's|club's|team's))\b",
    re.IGNORECASE)
_PERSON = re.compile(r"\b(?:he|she|him|his|her|they|them|their)\b", re.IGNORECASE)
# Names in a question: capitalised words in a row (an inner "of"/"the"/"de" kept), never the question's first word
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|du|von|van)\s+)?[A-Z0-9][\w’'.-]*)*")
_NOT_NAMES = frozenset(
    "I Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December Mr Mrs Ms Dr".split())


@dataclass
class Turn:
    question: str  # as typed
    standalone: str  # what was searched
    answer: Answer


@dataclass
class Conversation:
    """The chat's memory: past turns, the speaker being discussed, and settings the user changed."""

    bot: object  # qa.api.QA
    k: int = 5
    json_output: bool = False
    turns: list[Turn] = field(default_factory=list)
    speaker: str | None = None  # the person the conversation is about, as last named
    speaker_topic: str = ""  # what they were asked about
    subject: str = ""  # the last question that could stand on its own, for "when was that?"
    as_of: str | None = None  # the day "this week" and "recently" are read from (`/as-of`); None = today

    def reset(self) -> None:
        self.turns.clear()
        self.speaker, self.speaker_topic, self.subject = None, "", ""

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def looks_like_follow_up(self, question: str) -> bool:
        if not self.turns:
            return False
        return bool(_FOLLOW_UP_START.match(question) or _PRONOUN.search(question) or _THING.search(question)
                    or len(question.split()) <= 3)

    def standalone(self, question: str) -> str:
        """The follow-up as a question that can be searched on its own. The rules come first: when
        they resolve it (a speaker named or carried over, "he" or "his" standing for the speaker under
        discussion) no LLM call is spent on it; the LLM rewrites only what they leave ambiguous."""
        question = question.strip()
        if not self.looks_like_follow_up(question):
            return question
        rewritten, resolved = self._rewrite_with_rules(question)
        if resolved:
            return rewritten
        backend = self.bot.backend
        if backend is not None:
            try:
                by_llm = self._rewrite_with_llm(question, backend)
                if by_llm:
                    return by_llm
            except LLMError:
                pass  # the rules' question is still usable
        return rewritten

    def _rewrite_with_llm(self, question: str, backend) -> str | None:
        from ..answer.prompts import load_prompt

        history = "\n".join(
            f"User: {t.standalone}\nAssistant: {_first_sentences(t.answer.text)}" for t in self.turns[-3:]
        )
        prompt = load_prompt("rewrite").format(history=history, question=question)
        text = backend.complete([{"role": "user", "content": prompt}], None, max_tokens=60)
        text = re.sub(r"\[\d+\]", "", text.strip().splitlines()[0] if text.strip() else "").strip(" \"'")
        text = re.sub(r"^(?:standalone question|question|rewritten)\s*:\s*", "", text, flags=re.IGNORECASE)
        if not text or len(text) > _REWRITE_MAX_CHARS or text.lower().startswith(("i ", "sorry")):
            return None
        return text

    def _rewrite_with_rules(self, question: str) -> tuple[str, bool]:
        """Without an LLM: "and Pardo?" asks the previous question of Pardo ("what about Iran?", Iran being
        no one quoted, asks the speaker under discussion about Iran); "he"/"his" become the speaker under
        discussion; "it", "its", "the company" become the name the previous question asked about, and
        "and Mercedes?" asks it of Mercedes when that name was its subject; "what did X say about it?"
        takes the previous question's names as its topic; any other "he", "her", "they" brings those names
        along as context; a question too bare to search carries the previous one as context.
        Also says whether the rules resolved it: True when the question names its speaker, or every
        pronoun in it stood for the speaker under discussion."""
        previous = self.subject
        text = re.sub(r"^\s*(?:and|but|so|also|then)\s*,?\s+", "", question, flags=re.IGNORECASE)
        own = parse_speaker_question(text)
        if own and not _PRONOUN.fullmatch(own.phrase):  # "and what did Pardo say?" stands on its own
            if own.topic and _PRONOUN.fullmatch(own.topic) and previous and not self.speaker:
                # "what did Blair say about it?": it is what the previous question asked about
                about = " ".join(_names(previous)) or " ".join(_content_words(previous))
                text = text[: len(text) - len(text.lstrip())] + re.sub(
                    rf"\b{re.escape(own.topic)}\b(?=[\s?.!]*$)", about, text.strip(), flags=re.IGNORECASE)
                return text[:1].upper() + text[1:], False
            names = _names(previous) if previous and not self.speaker else []
            if names and _PERSON.search(own.phrase) and not _names(own.phrase):
                # "what did her agent say?": whose agent is for the previous question's names to tell
                return f"{text[:1].upper() + text[1:].rstrip(' ?')} — {', '.join(names)}?", False
            return text[:1].upper() + text[1:], True
        bare = _BARE_FOLLOW_UP.match(question)
        if bare and not _PRONOUN.search(bare.group("who")) and len(bare.group("who").split()) <= 8:
            who = bare.group("who")
            if self.speaker and len(who.split()) <= 5:
                if not who[:1].isupper() or self._quoted(who) is False:
                    # "what about Iran?" while Blair's words are discussed: what Blair said about Iran
                    return f"What did {self.speaker} say about {who}?", True
                topic = f" about {self.speaker_topic}" if self.speaker_topic else ""
                return f"What did {who} say{topic}?", True
            names = _names(previous)
            if names and _NAME.fullmatch(who) and who.split()[0] not in _NOT_NAMES and re.search(
                    rf"\b(?:did|does|do|has|have|had|is|are|was|were|will|would|can|could)\s+{re.escape(names[0])}\b",
                    previous):
                # "and Mercedes?" after "how many cars did DaimlerChrysler sell?": the same question of Mercedes
                return _replace_name(previous, names[0], who), False
            return f"{previous.rstrip('?')} — {who}?", False
        resolved = False
        if self.speaker:
            replaced = re.sub(r"\b(?:his|her)\b(?=\s+\w)", f"{self.speaker}'s", text, flags=re.IGNORECASE)
            replaced = re.sub(r"\b(?:he|she|him)\b", self.speaker, replaced, flags=re.IGNORECASE)
            resolved = replaced != text and not _PRONOUN.search(replaced)
            text = replaced
        from ..search.ranking import query_terms

        if len(query_terms(text)) < 2 and previous:  # "when was that?", "why?"
            return f"{text.rstrip('?')} — {previous}", False
        names = _names(previous) if previous else []
        if names and not _names(text) and _THING.search(text):
            # "how much did its revenues rise?" after a question about Nike: "its" is Nike's
            text = _THING.sub(lambda m: f"{names[0]}'s" if m.group(0).lower().endswith(("its", "'s")) else names[0],
                              text, count=1)
        elif names and _PERSON.search(text) and not (self.speaker and resolved):
            # "who did he replace?", "what did their coach say?": the person is someone the previous
            # question named, or its answer; the names give the search its context
            text = f"{text.rstrip(' ?')} — {', '.join(names)}?"
        return text[:1].upper() + text[1:], resolved

    def _quoted(self, name: str) -> bool | None:
        """Is `name` someone the articles quote? None when the answerer cannot tell (no index behind it)."""
        try:
            records = self.bot.speakers(name=name)
        except (AttributeError, QAError):
            return None
        word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
        return any(word.search(n) for r in records for n in (r.name, *r.aliases))

    def ask(self, question: str, on_token: Callable[[str], None] | None = None,
            standalone: str | None = None) -> Turn:
        """Answer a turn: rewrite it (unless `standalone` is given), retrieve, answer, remember."""
        standalone = standalone or self.standalone(question)
        answer = self.bot.ask(standalone, self.k, on_token=on_token, **({"as_of": self.as_of} if self.as_of else {}))
        from ..search.ranking import query_terms

        asked = parse_speaker_question(standalone)
        if asked:
            self.speaker, self.speaker_topic = asked.phrase, asked.topic
        if " — " not in standalone and len(query_terms(standalone)) >= 1:
            self.subject = standalone
        turn = Turn(question, standalone, answer)
        self.turns.append(turn)
        return turn


def _names(question: str) -> list[str]:
    """The names a question holds ("Nike", "Lord Callaghan", "Rugby World Cup Sevens"), in order, without
    its first word (a capitalised "How" or "Which") and without days, months and titles alone."""
    words = question.strip().split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    names = []
    for match in _NAME.finditer(rest):
        name = re.sub(r"(?:'s|’s|')$", "", match.group(0)).rstrip(".")
        if name and name not in _NOT_NAMES and name not in names:
            names.append(name)
    return names[:3]


def _content_words(question: str) -> list[str]:
    from ..search.ranking import query_terms

    return query_terms(question.split(" — ")[0])


def _replace_name(question: str, old: str, new: str) -> str:
    """The previous question asked of `new` instead of `old`, the name it asked about (its subject)."""
    return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, question, count=1)


def _first_sentences(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s*\[\d+\]", "", text)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


# --- the terminal front end ---------------------------------------------------------------------------

SLASH_HELP = [
    ("/help", "this list"),
    ("/sources", "the last answer's passages in full"),
    ("/open N", "passage N of the last answer with the paragraphs around it"),
    ("/speakers", "who is quoted in the indexed articles"),
    ("/articles", "the indexed articles"),
    ("/k N", "how many passages to retrieve (now {k})"),
    ("/llm NAME", "switch answerer: auto, local, openai, none"),
    ("/as-of DATE", "read \"this week\", \"recently\" from DATE (YYYY-MM-DD; `/as-of today` resets)"),
    ("/json", "toggle JSON output (now {json})"),
    ("/reset", "forget the conversation"),
    ("/quit", "leave (or Ctrl-D)"),
]


def run_repl(conversation: Conversation, console, err_console, interactive: bool, read_line=None) -> None:
    """Read questions and slash commands until /quit or end of input. On a terminal: line editing,
    persistent history, tab completion, Alt-Enter for a new line, Ctrl-C cancels the current answer.
    With JSON output every line written to stdout is one JSON object, slash commands' included."""
    from .render import print_answer

    shown_notices: set[str | None] = set()
    if interactive:
        read_line = read_line or _prompt_reader()
        console.print("[bold]qa chat[/] — ask about the indexed articles. /help for commands, Ctrl-D to leave.")
        # Load the LLM before the first prompt (loading holds the GIL, which would freeze typing);
        # it then prefills the shared prompt start in the background while the question is typed.
        _loading(conversation, err_console)
    while True:
        try:
            line = read_line()
        except KeyboardInterrupt:
            if not interactive:
                raise  # piped: Ctrl-C stops the whole run (exit 130)
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        if line is None:
            break
        line = line.strip()
        if not line:
            continue
        if line.startswith("/"):
            try:
                if _slash(conversation, line, console, err_console) == "quit":
                    break
            except QAError as exc:
                _error(conversation, console, err_console, str(exc))
            continue
        try:
            turn = _answer(conversation, line, console, interactive)
        except KeyboardInterrupt:
            if not interactive:
                raise  # piped: Ctrl-C stops the whole run (exit 130), as in any other pipeline
            err_console.print("[yellow]cancelled[/]")
            continue
        except QAError as exc:
            _error(conversation, console, err_console, str(exc))
            continue
        if conversation.json_output:
            payload = turn.answer.as_json()
            payload["standalone_question"] = turn.standalone
            _print_json(console, payload)
        else:
            answer = turn.answer
            if answer.notice and answer.notice in shown_notices:
                from dataclasses import replace

                answer = replace(answer, notice=None)  # "no LLM configured" once per session is enough
            shown_notices.add(answer.notice)
            try:
                print_answer(console, answer, err_console)
                console.print()
            except KeyboardInterrupt:
                if not interactive:
                    raise
                # Ctrl-C while the answer is shown (a quoted answer comes at once) cuts the output short,
                # as while it is worked out: the session goes on
                err_console.print("[yellow]cancelled[/]")


def _loading(conversation: Conversation, err_console) -> None:
    """Load the LLM with a "Loading the LLM..." line on the terminal, erased before the first prompt.

    Not rich's spinner: loading holds the GIL, so its refresh thread cannot run, and the line it
    left behind ran into the prompt."""
    try:
        if not hasattr(conversation.bot.backend, "warm"):
            return  # nothing to load: no LLM, or a server
    except QAError:
        return  # the first question reports it
    stream = err_console.file
    shown = err_console.is_terminal
    if shown:
        stream.write("Loading the LLM...")
        stream.flush()
    try:
        conversation.bot.preload_llm()
    finally:
        if shown:
            stream.write("\r\x1b[2K")  # back to the line's start and erase it
            stream.flush()


def _print_json(console, payload: dict) -> None:
    from .render import json_text

    console.print(json_text(payload), markup=False, highlight=False, soft_wrap=True)


def _error(conversation: Conversation, console, err_console, message: str) -> None:
    """An error: one line on stderr; with JSON output also {"error": ...} on stdout, so a program reading
    the answers sees which question failed."""
    from .render import safe

    err_console.print(f"[red]error:[/] {safe(message)}", markup=True)
    if conversation.json_output:
        _print_json(console, {"error": message})


def _answer(conversation: Conversation, line: str, console, interactive: bool) -> Turn:
    from rich.text import Text

    from .render import safe, streamed_draft

    standalone = conversation.standalone(line)
    if standalone != line and not conversation.json_output:  # JSON carries it as standalone_question
        console.print(Text(f"→ {safe(standalone)}", style="dim"))
    if not interactive or conversation.json_output:
        return conversation.ask(line, standalone=standalone)
    with streamed_draft(console) as on_token:
        return conversation.ask(line, on_token, standalone=standalone)


def _backend_json(backend) -> dict:
    return {"backend": backend.name if backend else "extractive", "model": backend.model if backend else None}


def _slash(conversation: Conversation, line: str, console, err_console=None) -> str | None:
    from rich.text import Text

    from .render import print_articles, print_search, print_speakers, safe, source_line

    command, _, arg = line.partition(" ")
    arg = arg.strip()
    command = command.lower()
    last = conversation.last
    as_json = conversation.json_output
    if command in ("/quit", "/exit", "/q"):
        return "quit"
    if command == "/help":
        if as_json:
            _print_json(console, {"command": "help", "commands": [
                {"command": name, "description": text.format(k=conversation.k, json="on")}
                for name, text in SLASH_HELP]})
            return None
        for name, text in SLASH_HELP:
            console.print(Text(f"{name:12} ", style="bold").append(
                text.format(k=conversation.k, json="on" if conversation.json_output else "off")))
    elif command == "/sources":
        if not last:
            raise QAError("no answer yet; ask a question first")
        from ..search.retriever import SearchResult

        result = SearchResult(last.standalone, last.answer.passages)
        if as_json:
            _print_json(console, {"command": "sources", **result.as_json()})
        else:
            print_search(console, result)
    elif command == "/open":
        if not last:
            raise QAError("no answer yet; ask a question first")
        if not arg.isdigit() or not 1 <= int(arg) <= len(last.answer.passages):
            raise QAError(f"/open takes a passage number from 1 to {len(last.answer.passages)} (see /sources)")
        passage = last.answer.passages[int(arg) - 1]
        around = [p for p in conversation.bot.paragraphs(passage.article_id)
                  if abs(p.paragraph - passage.paragraph) <= 1]
        if not around:
            raise QAError(f"passage {arg} is no longer in the index: its article {passage.article_id!r} was "
                          f"removed since the answer; ask again for passages that are")
        if as_json:
            _print_json(console, {"command": "open", "passage": passage.as_json(int(arg)),
                                  "paragraphs": [{"paragraph": p.paragraph, "text": p.text} for p in around]})
            return None
        console.print(Text(source_line(passage), style="bold cyan"))
        for p in around:
            style = "" if p.id == passage.id else "dim"
            console.print(Text(f"¶{p.paragraph}  {safe(p.text)}", style=style))
    elif command == "/speakers":
        speakers = conversation.bot.speakers(ranked=False)
        if as_json:
            from ..index.reports import SpeakerListing

            _print_json(console, {"command": "speakers", **SpeakerListing(tuple(speakers)).as_json(counts=False)})
        else:
            print_speakers(console, speakers)
    elif command == "/articles":
        articles = conversation.bot.articles()
        if as_json:
            from ..index.reports import ArticleListing

            _print_json(console, {"command": "articles", **ArticleListing(tuple(articles)).as_json()})
        else:
            print_articles(console, articles)
    elif command == "/k":
        if not arg.isdigit() or not 1 <= int(arg) <= 100:
            raise QAError("/k takes a number from 1 to 100")
        conversation.k = int(arg)
        if as_json:
            _print_json(console, {"command": "k", "k": conversation.k})
        else:
            console.print(f"k = {conversation.k}")
    elif command == "/llm":
        if arg:
            conversation.bot.set_llm(arg)  # refused (QAError) when unusable: the answerer stays as it was
            if err_console is not None and getattr(conversation.bot.backend, "warm", None):
                _loading(conversation, err_console)
        backend = conversation.bot.backend
        if as_json:
            _print_json(console, {"command": "llm", **_backend_json(backend)})
        else:
            console.print(f"answering with: {backend.name + ' (' + backend.model + ')' if backend else 'extractive'}")
    elif command == "/as-of":
        if arg:
            from ..search.timeframe import parse_as_of

            day = None if arg.lower() == "today" else parse_as_of(arg).isoformat()  # DateError: said, nothing changes
            conversation.as_of = day
        if as_json:
            _print_json(console, {"command": "as-of", "as_of": conversation.as_of})
        else:
            console.print(f"as of {conversation.as_of or 'today'}")
    elif command == "/json":
        conversation.json_output = not conversation.json_output
        if as_json:  # the confirmation in the format the command was given in
            _print_json(console, {"command": "json", "json": conversation.json_output})
        else:
            console.print("JSON output on")
    elif command == "/reset":
        conversation.reset()
        if as_json:
            _print_json(console, {"command": "reset"})
        else:
            console.print("Conversation forgotten.")
    else:
        raise QAError(f"unknown command {command}; /help lists them")
    return None


def _prompt_reader():
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    path = chat_history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event) -> None:  # Alt-Enter: a new line inside the question
        event.current_buffer.insert_text("\n")

    session = PromptSession(
        history=FileHistory(str(path)),
        completer=WordCompleter([name.split()[0] for name, _ in SLASH_HELP], sentence=True),
        key_bindings=bindings,
        complete_while_typing=False,
    )
    return lambda: session.prompt("qa> ")
