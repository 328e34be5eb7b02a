"""`qa mcp` driven by the MCP SDK's own client over stdio: a real `qa mcp` process, the sample
article's index, extractive answers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from tests.conftest import REPO

pytest.importorskip("mcp")


def session(index: Path, tmp_path: Path, work):
    """Start `qa mcp --index INDEX`, initialise a client session, run `await work(session)`."""
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_CONFIG=str(tmp_path / "no-config.toml"), QA_LLM="none")
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa", "mcp", "--index", str(index)],
                                   env=env, cwd=REPO)

    async def run():
        with open(tmp_path / "mcp-stderr.log", "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as client:
                    await client.initialize()
                    return await work(client)

    return anyio.run(run)


def test_tools_ask_who_said_and_errors(sample_index, tmp_path):
    async def work(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        asked = await client.call_tool("ask", {"question": "What did Klingner say?"})
        said = await client.call_tool("who_said", {"speaker": "Klingner"})
        found = await client.call_tool("search_articles", {"question": "What did Klingner say?", "k": 3})
        listed = await client.call_tool("list_articles", {})
        nobody = await client.call_tool("who_said", {"speaker": "Nobody Atall"})
        bad_date = await client.call_tool("search_articles", {"question": "Kim", "since": "soon"})
        # a year or a month, as `qa search --since` takes it
        dated = [await client.call_tool("search_articles", {"question": "What did Klingner say?", "k": 3, **dates})
                 for dates in ({"since": "2024"}, {"since": "2024-11", "until": "2024"}, {"until": "2023"})]
        return tools, asked, said, found, listed, nobody, bad_date, dated

    tools, asked, said, found, listed, nobody, bad_date, dated = session(sample_index, tmp_path, work)
    assert set(tools) == {"search_articles", "ask", "who_said", "list_articles", "list_speakers"}
    assert all(len(t.description) > 80 for t in tools.values())  # they tell an assistant when to use them
    assert tools["search_articles"].input_schema["required"] == ["question"]

    assert not asked.is_error
    answer = asked.structured_content
    paragraphs = {c["paragraph"] for c in answer["citations"]}
    assert paragraphs and paragraphs <= {22, 23, 24} and not answer["abstained"]
    text = asked.content[0].text
    for c in answer["citations"]:
        assert f"[{c['n']}] {c['citation']}" in text  # the readable sources list, with citation lines

    assert not said.is_error
    match, = said.structured_content["matches"]
    assert match["name"] == "Bruce Klingner"
    assert [p["paragraph"] for p in match["paragraphs"]] == [22, 23, 24]
    for p in match["paragraphs"]:
        assert p["citation"].endswith(f"¶{p['paragraph']}") and p["citation"] in said.content[0].text
        assert p["statements"] and all(s["text"] in p["text"] for s in p["statements"])

    assert [p["paragraph"] for p in found.structured_content["passages"]] == [22, 23, 24]
    assert "Reuters" in found.content[0].text and "¶23" in found.content[0].text
    assert listed.structured_content["articles"][0]["id"] == "reuters-2024-11-07-trump-kim"

    # qa's errors come back as tool errors holding exactly its one-line message
    assert nobody.is_error and "is quoted" in nobody.content[0].text
    assert bad_date.is_error and bad_date.content[0].text == "'soon' is not a date; use YYYY-MM-DD, YYYY-MM or YYYY"
    assert not any(d.is_error for d in dated), [d.content[0].text for d in dated]
    from qa.api import QA

    with QA(sample_index) as bot:  # what the Python API (and `qa search --since`) finds with the same dates
        expected = [[p.paragraph for p in bot.search("What did Klingner say?", 3, **dates).passages]
                    for dates in ({"since": "2024"}, {"since": "2024-11", "until": "2024"}, {"until": "2023"})]
    assert [[p["paragraph"] for p in d.structured_content["passages"]] for d in dated] == expected
    assert expected[0] == [22, 23, 24] and expected[2] != expected[0]




def test_missing_index_is_a_clean_tool_error(tmp_path):
    async def work(client):
        tools = (await client.list_tools()).tools  # the server starts without an index
        return tools, await client.call_tool("search_articles", {"question": "What did Klingner say?"})

    tools, result = session(tmp_path / "no-index", tmp_path, work)
    assert len(tools) == 5
    assert result.is_error
    message = result.content[0].text
    assert message.startswith(f"no index at {tmp_path / 'no-index'}") and "qa index" in message
    assert "\n" not in message and "Traceback" not in message
