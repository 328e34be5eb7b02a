"""Untrusted text on its way out to a chat client, a program or a model: no Markdown image or link,
no HTML tag a client would render (an image is fetched the moment it is shown, so a reply could
carry data to any host), and no invisible or control character (documents.strip_control)."""

from __future__ import annotations

import re

# Markup a chat client renders: an image it fetches as soon as it shows the text (so a reply can
# carry data to any host), a link dressed as something else. Shown as its text, the address dropped.
_HTML_TAG_RE = re.compile(r"<!--.*?(?:-->|$)|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>", re.DOTALL)
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto|data|javascript|file):[^<>\s]*)>", re.IGNORECASE)
_LINK_TEXT = r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
_MD_LINK_RE = re.compile(r"!?" + _LINK_TEXT + r"\(\s*<?[^()\s]*(?:\([^()\s]*\)[^()\s]*)*>?"
                         r"(?:\s+[\"'(][^\"')]*[\"')])?\s*\)|!" + _LINK_TEXT + r"\[[^\[\]]*\]")
_MD_DEFINITION_RE = re.compile(r"^ {0,3}\[[^\[\]]+\]:\s*\S+.*$", re.MULTILINE)
# The chat-template tokens of the common model families (ChatML `<|im_start|>`, Llama `[INST]` and
# `<<SYS>>`, Gemma `<start_of_turn>`, DeepSeek's full-width `<｜...｜>`): never news text, and a model
# reading them in a tool result or a prompt may take what follows for a turn of its own.
PROMPT_TOKEN_RE = re.compile(
    r"[<＜]\s*[|｜][^|｜<>＜＞\n]{1,40}[|｜]\s*[>＞]|\[/?(?:INST|SYS|SYSTEM|USER|ASSISTANT)\]|<</?SYS>>"
    r"|</?(?:s|start_of_turn|end_of_turn|im_start|im_end|eos|bos|system|user|assistant)>", re.IGNORECASE)


def neutralise_markup(text: str) -> str:
    """Text with no Markdown image or link and no HTML tag left for a chat client to render or fetch:
    `![alt](url)` and `[text](url)` become their text, tags and link definitions are dropped,
    `<https://...>` becomes the bare address. Article text and answers pass through this before a
    chat reply, a search result or an MCP tool's text."""
    if not any(mark in text for mark in ("<", "](", "][", "]:")):
        return text
    previous = None
    while previous != text:  # a link inside a link's text, a tag split by a tag
        previous = text
        text = _AUTOLINK_RE.sub(r"\1", text)
        text = _MD_LINK_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
        text = _HTML_TAG_RE.sub("", text)
        text = _MD_DEFINITION_RE.sub("", text)
    return text


def neutral_text(text: str) -> str:
    """`text` as it may leave a server: no control or invisible characters, no markup to render, no
    chat-template token."""
    from .documents import strip_control

    return neutralise_markup(PROMPT_TOKEN_RE.sub(" ", strip_control(text)))


def neutral_json(value):
    """Every string in a JSON-like value (dicts, lists) passed through `neutral_text`: what `qa serve`
    and `qa mcp` send, whatever an article slipped into a title, a paragraph or an answer."""
    if isinstance(value, str):
        return neutral_text(value)
    if isinstance(value, dict):
        return {k: neutral_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [neutral_json(v) for v in value]
    return value
