"""`qa chat`: a conversation with the articles. Follow-ups are rewritten into standalone questions
(by the LLM, or by carrying the previous speaker and topic when there is none) before retrieval,
and every answer keeps its citations.

`Conversation` holds the state and never prints; `run_repl` is the terminal front end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .answer import Answer
from .errors import LLMError, QAError
from .speakers import parse_speaker_question

_FOLLOW_UP_START = re.compile(r"^\s*(?:and|but|so|also|what about|how about|then)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|that|this|it|those|these|there|then)\b",
                      re.IGNORECASE)
_BARE_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about)\s+(?P<who>[^?]+?)\s*\??\s*$", re.IGNORECASE)
_REWRITE_MAX_CHARS = 300


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

    def reset(self) -> None:
        self.turns.clear()
        self.speaker, self.speaker_topic, self.subject = None, "", ""

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def looks_like_follow_up(self, question: str) -> bool:
        if not self.turns:
            return False
        return bool(_FOLLOW_UP_START.match(question) or _PRONOUN.search(question) or len(question.split()) <= 3)

    def standalone(self, question: str) -> str:
        """The follow-up as a question that can be searched on its own."""
        question = question.strip()
        if not self.looks_like_follow_up(question):
            return question
        backend = self.bot.backend
        if backend is not None:
            try:
                rewritten = self._rewrite_with_llm(question, backend)
                if rewritten:
                    return rewritten
            except LLMError:
                pass  # the rules below still give a usable question
        return self._rewrite_with_rules(question)

    def _rewrite_with_llm(self, question: str, backend) -> str | None:
        from .answer.llm import load_prompt

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

    def _rewrite_with_rules(self, question: str) -> str:
        """Without an LLM: "and Pardo?" asks the previous question of Pardo; "he"/"his" become the
        speaker under discussion; a question too bare to search carries the previous one as context."""
        previous = self.subject
        text = re.sub(r"^\s*(?:and|but|so|also|then)\s*,?\s+", "", question, flags=re.IGNORECASE)
        own = parse_speaker_question(text)
        if own and not _PRONOUN.fullmatch(own.phrase):  # "and what did Pardo say?" stands on its own
            return text[:1].upper() + text[1:]
        bare = _BARE_FOLLOW_UP.match(question)
        if bare and not _PRONOUN.search(bare.group("who")) and len(bare.group("who").split()) <= 5:
            who = bare.group("who")
            if self.speaker:
                topic = f" about {self.speaker_topic}" if self.speaker_topic else ""
                return f"What did {who} say{topic}?"
            return f"{previous.rstrip('?')} — {who}?"
        if self.speaker:
            text = re.sub(r"\b(?:his|her)\b(?=\s+\w)", f"{self.speaker}'s", text, flags=re.IGNORECASE)
            text = re.sub(r"\b(?:he|she|him)\b", self.speaker, text, flags=re.IGNORECASE)
        from .retriever import query_terms

        if len(query_terms(text)) < 2 and previous:  # "when was that?", "why?"
            return f"{text.rstrip('?')} — {previous}"
        return text[:1].upper() + text[1:]

    def ask(self, question: str, on_token: Callable[[str], None] | None = None,
            standalone: str | None = None) -> Turn:
        """Answer a turn: rewrite it (unless `standalone` is given), retrieve, answer, remember."""
        standalone = standalone or self.standalone(question)
        answer = self.bot.ask(standalone, self.k, on_token=on_token)
        from .retriever import query_terms

        asked = parse_speaker_question(standalone)
        if asked:
            self.speaker, self.speaker_topic = asked.phrase, asked.topic
        if " — " not in standalone and len(query_terms(standalone)) >= 1:
            self.subject = standalone
        turn = Turn(question, standalone, answer)
        self.turns.append(turn)
        return turn


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
    ("/json", "toggle JSON output (now {json})"),
    ("/reset", "forget the conversation"),
    ("/quit", "leave (or Ctrl-D)"),
]


def history_path() -> Path:
    import os

    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "qa" / "chat_history"


def run_repl(conversation: Conversation, console, err_console, interactive: bool, read_line=None) -> None:
    """Read questions and slash commands until /quit or end of input. On a terminal: line editing,
    persistent history, tab completion, Alt-Enter for a new line, Ctrl-C cancels the current answer."""
    from .render import print_answer, safe

    shown_notices: set[str | None] = set()
    if interactive:
        read_line = read_line or _prompt_reader()
        console.print("[bold]qa chat[/] — ask about the indexed articles. /help for commands, Ctrl-D to leave.")
        # Load the LLM before the first prompt (loading holds the GIL, which would freeze typing);
        # it then prefills the shared prompt start in the background while the question is typed.
        with err_console.status("Loading the LLM..."):
            conversation.bot.preload_llm()
    while True:
        try:
            line = read_line()
        except KeyboardInterrupt:
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
                if _slash(conversation, line, console) == "quit":
                    break
            except QAError as exc:
                err_console.print(f"[red]error:[/] {safe(str(exc))}", markup=True)
            continue
        try:
            turn = _answer(conversation, line, console, interactive)
        except KeyboardInterrupt:
            err_console.print("[yellow]cancelled[/]")
            continue
        except QAError as exc:
            err_console.print(f"[red]error:[/] {safe(str(exc))}", markup=True)
            continue
        if conversation.json_output:
            payload = turn.answer.as_json()
            payload["standalone_question"] = turn.standalone
            from .render import json_text

            console.print(json_text(payload), markup=False, highlight=False, soft_wrap=True)
        else:
            answer = turn.answer
            if answer.notice and answer.notice in shown_notices:
                from dataclasses import replace

                answer = replace(answer, notice=None)  # "no LLM configured" once per session is enough
            shown_notices.add(answer.notice)
            print_answer(console, answer, err_console)
            console.print()


def _answer(conversation: Conversation, line: str, console, interactive: bool) -> Turn:
    from rich.text import Text

    from .render import safe, streamed_draft

    standalone = conversation.standalone(line)
    if standalone != line:
        console.print(Text(f"→ {safe(standalone)}", style="dim"))
    if not interactive or conversation.json_output:
        return conversation.ask(line, standalone=standalone)
    with streamed_draft(console) as on_token:
        return conversation.ask(line, on_token, standalone=standalone)


def _slash(conversation: Conversation, line: str, console) -> str | None:
    from rich.text import Text

    from .render import print_articles, print_search, print_speakers, safe, source_line

    command, _, arg = line.partition(" ")
    arg = arg.strip()
    command = command.lower()
    last = conversation.last
    if command in ("/quit", "/exit", "/q"):
        return "quit"
    if command == "/help":
        for name, text in SLASH_HELP:
            console.print(Text(f"{name:12} ", style="bold").append(
                text.format(k=conversation.k, json="on" if conversation.json_output else "off")))
    elif command == "/sources":
        if not last:
            raise QAError("no answer yet; ask a question first")
        from .retriever import SearchResult

        print_search(console, SearchResult(last.standalone, last.answer.passages))
    elif command == "/open":
        if not last:
            raise QAError("no answer yet; ask a question first")
        if not arg.isdigit() or not 1 <= int(arg) <= len(last.answer.passages):
            raise QAError(f"/open takes a passage number from 1 to {len(last.answer.passages)} (see /sources)")
        passage = last.answer.passages[int(arg) - 1]
        around = [p for p in conversation.bot.store.article_passages(passage.article_id)
                  if abs(p.paragraph - passage.paragraph) <= 1]
        console.print(Text(source_line(passage), style="bold cyan"))
        for p in around:
            style = "" if p.id == passage.id else "dim"
            console.print(Text(f"¶{p.paragraph}  {safe(p.text)}", style=style))
    elif command == "/speakers":
        print_speakers(console, conversation.bot.store.speakers(None))
    elif command == "/articles":
        print_articles(console, conversation.bot.articles())
    elif command == "/k":
        if not arg.isdigit() or not 1 <= int(arg) <= 100:
            raise QAError("/k takes a number from 1 to 100")
        conversation.k = int(arg)
        console.print(f"k = {conversation.k}")
    elif command == "/llm":
        if not arg:
            backend = conversation.bot.backend
            console.print(f"answering with: {backend.name + ' (' + backend.model + ')' if backend else 'extractive'}")
        else:
            conversation.bot.set_llm(arg)
            backend = conversation.bot.backend
            console.print(f"answering with: {backend.name if backend else 'extractive'}")
    elif command == "/json":
        conversation.json_output = not conversation.json_output
        console.print(f"JSON output {'on' if conversation.json_output else 'off'}")
    elif command == "/reset":
        conversation.reset()
        console.print("Conversation forgotten.")
    else:
        raise QAError(f"unknown command {command}; /help lists them")
    return None


def _prompt_reader():
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    path = history_path()
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
