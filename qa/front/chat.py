"""`qa chat`: a conversation with the articles. Follow-ups are rewritten into standalone questions
(by rules that carry the previous speaker, subject and topic and give a pronoun the name of its kind from the
last questions and answers, and by the LLM for what they leave open) before retrieval,
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
from ..ingest.mentions import NAME_PHRASE_RE, name_kind, name_phrases
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
# A question that asks for a name: its answer brings the person or thing a follow-up's "he" or "it" may be
_ASKS_NAME = re.compile(r"^\s*(?:who|whom|which|what\s+(?:company|firm|group|band|club|team|film|country|network|"
                        r"charity|player|person))\b", re.IGNORECASE)
# A question asking for its object: the name after the auxiliary is its subject ("which firm did Microsoft buy?")
_ASKS_OBJECT = re.compile(r"^\s*(?i:who|whom|which|what)(?:\s+[\w-]+){0,3}?\s+(?i:did|does|do|has|have|had|will|"
                          r"would|can|could|is|are|was|were)\s+(?:the\s+)?[A-Z]")
# What each kind of pronoun stands for, in tiers (the first mention of the first tier wins): "he" a person;
# "it", "the company" a firm or a thing the name does not tell, else a place; "they" the same (a team may be
# named by its country); "there" a place
_PRONOUN_KINDS = {"person": (("person",),), "thing": (("org", ""), ("place",)), "group": (("org", ""), ("place",)),
                  "place": (("place",),)}
_HE = re.compile(r"\b(?:he|him|his)\b", re.IGNORECASE)
_SHE = re.compile(r"\b(?:she|her|hers)\b", re.IGNORECASE)
_THEY = re.compile(r"\b(?:they|them|their)\b", re.IGNORECASE)
_DO_IT = re.compile(r"\b(?:do|does|did|done|doing)\s+it\s*(?:[?.!,]|$)", re.IGNORECASE)  # not "did it say"
_EVENT_IT = re.compile(r"\bit\s+(?:happen|occur|take|took|start|began|begin|end|finish)|"
                       r"\b(?:was|is|will\s+be)\s+it\s*(?:[?.!]|$)|\bit\s+(?:was|is)\s*(?:[?.!]|$)", re.IGNORECASE)
_THERE = re.compile(r"\bthere\b(?=\s*[?.!,]|\s*$)", re.IGNORECASE)
# "her" before these is the object ("earned her the award", "gave her a role"), elsewhere the possessive
_OBJECT_NEXT = re.compile(r"\s*(?:$|[?.!,;]|(?:the|a|an|to|in|on|at|for|with|from|of|and|or|about|into|as|if|"
                          r"when|after|before|over|back|up|down|out|off|away)\b)", re.IGNORECASE)
# The heading a multi-article answer gives each line ("Reuters, 2024-11-07: ", "Title, undated: ")
_ANSWER_HEADING = re.compile(r"^[^\n:]{1,200}?, (?:undated|\d{4}-\d{2}-\d{2})(?: \(also [^)]*\))?: ", re.MULTILINE)


@dataclass(frozen=True)
class Mention:
    """A name the last turn brought up, as an antecedent for a follow-up's pronoun: what it names
    (person, org, place, or "" when unknown), "he"/"she" when the articles tell, and whether the
    answer, not the question, brought it."""

    name: str
    kind: str
    gender: str = ""
    from_answer: bool = False


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
                    or len(question.split()) <= 3 or _definite_only(question))

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
        discussion; otherwise each pronoun takes the name of its kind from the last turns' questions and
        answers (`mentions`, `_resolve_pronouns`: "how old is he?" after "which prop was added?" is the
        person the answer named); "and Mercedes?" asks the previous question of Mercedes when that name was
        its subject; "what did X say about it?" takes the previous question's names as its topic; a pronoun
        with no name of its kind, or a question naming nothing but "the report", brings the previous names
        along as context; a question too bare to search carries the previous one as context.
        Also says whether the rules resolved it: True when the question names its speaker, or every
        pronoun in it was replaced by a name."""
        previous = self.subject
        text = re.sub(r"^\s*(?:and|but|so|also|then)\s*,?\s+", "", question, flags=re.IGNORECASE)
        # "what else did she say?": what she said, the same search
        text = re.sub(r"^(\s*what)\s+else\s+(?=(?:did|does|do|has|have|had|will|would|could)\b)", r"\1 ", text,
                      flags=re.IGNORECASE)
        own = parse_speaker_question(text)
        if own and not _PRONOUN.fullmatch(own.phrase):  # "and what did Pardo say?" stands on its own
            if own.topic and _PRONOUN.fullmatch(own.topic) and previous and not self.speaker:
                # "what did Blair say about it?": it is what the previous question asked about
                about = " ".join(_names(previous)) or " ".join(_content_words(previous))
                text = text[: len(text) - len(text.lstrip())] + re.sub(
                    rf"\b{re.escape(own.topic)}\b(?=[\s?.!]*$)", about, text.strip(), flags=re.IGNORECASE)
                return text[:1].upper() + text[1:], False
            if not self.speaker and _PERSON.search(own.phrase) and not _names(own.phrase):
                # "what did her agent say?": whose agent the last turns tell, by kind and gender
                replaced, by_name = self._resolve_pronouns(text)
                if by_name:
                    return replaced[:1].upper() + replaced[1:], not _PRONOUN.search(replaced)
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
            if names and NAME_PHRASE_RE.fullmatch(who) and name_phrases(who, skip_first_word=False) == [who] and re.search(
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

        text, by_name = self._resolve_pronouns(text)
        if by_name:
            # "how old is he?" after "which prop was added?": he is the person the answer named
            resolved = resolved or not _PRONOUN.search(text)
            return text[:1].upper() + text[1:], resolved
        if len(query_terms(text)) < 2 and previous:  # "when was that?", "why?"
            return f"{text.rstrip('?')} — {previous}", False
        names = _names(previous) if previous else []
        if names and (_PERSON.search(text) or _THING.search(text) or _definite_only(text)) and not (
                self.speaker and resolved):
            # "what did their coach say?", "which single is it outselling?" with no name of the pronoun's
            # kind before, "who wrote the report?" naming nothing: the previous question's names give the
            # search its context
            text = f"{text.rstrip(' ?')} — {', '.join(names)}?"
        return text[:1].upper() + text[1:], resolved

    def mentions(self) -> list[Mention]:
        """The names the conversation brought up, most likely antecedent first: the last question's names,
        then its answer's; but when the question asked for a name ("which prop was added?", "who designed
        it?"), the answer's first, unless the question's name was already an earlier turn's topic (asked or
        answered). Then
        the names of the two turns before ("what did her agent say?" two turns after the singer was named)."""
        out: list[Mention] = []
        for back in range(1, min(3, len(self.turns)) + 1):
            for m in self._turn_mentions(len(self.turns) - back):
                if not any(_same_name(m.name, o.name) for o in out):
                    out.append(m)
        return out

    def _turn_mentions(self, at: int) -> list[Mention]:
        turn = self.turns[at]
        question = turn.standalone.split(" — ")[0]
        answer = _answer_text(turn.answer)
        texts = [answer] + [p.text for p in turn.answer.passages[: self.k]] + self._cited_article(turn.answer)
        asked = [self._mention(n, [question, *texts], texts) for n in name_phrases(question)]
        given = [self._mention(n, texts, texts, True)
                 for n in name_phrases(answer, skip_first_word=False, evidence="\n".join(texts[1:]))
                 if not any(_same_name(n, m.name) for m in asked)][:4]
        if not _ASKS_NAME.match(question):
            # "how much profit did Nike make?": a person the answer quotes may be "he" next; a firm or place
            # it mentions in passing is no "it"
            return asked + [m for m in given if m.kind == "person"]
        if _ASKS_OBJECT.match(question):
            # "which firm did Microsoft buy?", "who is Aguilera to marry?": the question's name is its subject
            # and stays the topic; the answer's name comes next (and for a pronoun of another kind)
            return asked + given
        earlier = " ".join(f"{t.standalone} {_answer_text(t.answer)}" for t in self.turns[:at])
        topic = [m for m in asked if re.search(rf"(?<![\w-]){re.escape(m.name)}(?![\w-])", earlier)]
        return topic + given + [m for m in asked if m not in topic]

    def _cited_article(self, answer: Answer) -> list[str]:
        """The paragraphs of the article the answer cites first: where "he" or "she" tells a person's
        gender when the cited sentence does not."""
        if not answer.citations:
            return []
        try:
            return [p.text for p in self.bot.paragraphs(answer.citations[0].passage.article_id)]
        except (AttributeError, QAError):
            return []

    @staticmethod
    def _mention(name: str, contexts: list[str], texts: list[str], from_answer: bool = False) -> Mention:
        kind = next((k for k in (name_kind(name, c, guess=False) for c in contexts if name in c) if k), "")
        gender = _gender(name, texts) if kind in ("person", "") and not name.isupper() else ""
        if not kind and gender and " " not in name:
            kind = "person"  # "Juninho ... he": a pronoun after the name tells
        return Mention(name, kind, gender if kind == "person" else "", from_answer)

    def _resolve_pronouns(self, text: str) -> tuple[str, bool]:
        """Each pronoun replaced by the last turn's name of its kind (see `mentions`): "he"/"she" by a
        person of that gender (or whose gender the articles don't tell), "it"/"the company" by a firm or
        thing (a place last) when the question names nothing itself, "they"/"their" by a firm, team or
        band, "there" by a place. An "it" that happened, began or was ("where did it happen?", "when was
        it?") is an event, and "do it" an act: no name. Whether any was replaced."""
        mentions = self.mentions()
        if not mentions:
            return text, False
        changed = False
        for pattern, kind, gender in ((_HE, "person", "he"), (_SHE, "person", "she"), (_THEY, "group", ""),
                                      (_THING, "thing", ""), (_THERE, "place", "")):
            own = name_phrases(text)
            if kind == "thing" and (_DO_IT.search(text) or _EVENT_IT.search(text)):
                continue  # "why did they do it?", "where did it happen?": an act or an event, no name
            if not pattern.search(text) or (kind in ("thing", "group") and own):
                continue
            if kind == "group" and self.speaker:
                continue  # "what did they agree on?" while someone's words are discussed: left to the LLM
            chosen = _antecedent(mentions, kind, gender)
            if chosen is None or any(_same_name(chosen.name, n) for n in own):
                continue
            if kind == "thing":
                text = pattern.sub(lambda m, name=chosen.name: f"{name}'s" if m.group(0).lower().endswith(
                    ("its", "'s")) else name, text, count=1)
            elif kind == "place":
                text = pattern.sub(f"in {chosen.name}", text)
            else:
                text = _substitute(text, pattern, chosen.name)
            changed = True
        return text, changed

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
    """The names a question holds ("Nike", "Callaghan", "Rugby World Cup Sevens"), in order (the shared
    finder of qa.ingest.mentions, the question's first word skipped), the first three."""
    return name_phrases(question.split(" — ")[0])[:3]


def _definite_only(question: str) -> bool:
    """A question that names nothing but speaks of "the report", "the deal": one already talked about."""
    return not name_phrases(question) and bool(re.search(r"\bthe\s+[a-z]", question, re.IGNORECASE))


def _antecedent(mentions: list[Mention], kind: str, gender: str = "") -> Mention | None:
    """The first mention of a kind the pronoun can stand for (`_PRONOUN_KINDS`, best tier first); for
    "he"/"she" one the articles give that gender first, and never one they give the other."""
    for wanted in _PRONOUN_KINDS[kind]:
        fitting = [m for m in mentions if m.kind in wanted and not (gender and m.gender and m.gender != gender)]
        if fitting:  # a person the articles call "she" before one they say nothing of
            return next((m for m in fitting if gender and m.gender == gender), fitting[0])
    return None


def _answer_text(answer: Answer) -> str:
    """The answer's own sentences: no citation markers, no article headings, nothing when it abstained."""
    if answer.abstained:
        return ""
    return _ANSWER_HEADING.sub("", re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", answer.text))


def _gender(name: str, texts: list[str]) -> str:
    """"he" or "she" for a person, from the title before the surname ("Mr", "Mrs") or the first
    pronoun after a mention of it in the same or the next sentence; "" when the texts don't tell."""
    last = re.escape(name.split()[-1])
    votes = {"he": 0, "she": 0}
    for text in texts:
        for m in re.finditer(rf"\b(Mr|Sir|Lord|Mrs|Ms|Miss|Lady|Dame)\.?\s+(?:[A-Z][\w'-]+\s+)?{last}\b", text):
            votes["he" if m.group(1) in ("Mr", "Sir", "Lord") else "she"] += 2
        sentences = re.split(r"(?<=[.!?\"”])\s+", text)
        for i, sentence in enumerate(sentences):
            at = re.search(rf"\b{last}\b", sentence)
            if not at:
                continue
            window = sentence[at.end():] + " " + (sentences[i + 1] if i + 1 < len(sentences) else "")
            pronoun = re.search(r"\b(?:he|him|his|she|her|hers)\b", window, re.IGNORECASE)
            if pronoun:
                votes["he" if pronoun.group(0).lower() in ("he", "him", "his") else "she"] += 1
    if votes["he"] == votes["she"]:
        return ""
    return "he" if votes["he"] > votes["she"] else "she"


def _same_name(a: str, b: str) -> bool:
    """"Callaghan" and "Lord Callaghan", "Beattie" and "James Beattie": one names the other."""
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return wa <= wb or wb <= wa


def _substitute(text: str, pattern: re.Pattern, name: str) -> str:
    """Every pronoun `pattern` matches in `text` replaced by `name`: "his"/"its"/"their" and a possessive
    "her" by "name's", the others by the name."""
    def replace(m: re.Match) -> str:
        word = m.group(0).lower()
        possessive = word in ("his", "its", "their") or (
            word == "her" and not _OBJECT_NEXT.match(text, m.end()))
        return f"{name}'s" if possessive else name
    return pattern.sub(replace, text)


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
