"""The API key: read from the environment only, sent to the server, and never written or printed:
not in output (plain or JSON, answers or errors), not in logs at DEBUG, not in any file under the
home, config, data or index folders. A key in the config file is refused, without echoing it."""

from __future__ import annotations

import logging
import secrets

from .conftest import SAMPLE
from .fake_llm_server import FakeLLMServer


def test_api_key_is_used_but_never_written_or_printed(cli, tmp_path, monkeypatch, caplog):
    key = f"sk-qa-{secrets.token_hex(16)}"
    monkeypatch.setenv("QA_API_KEY", key)
    home = tmp_path / "home"
    for name, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(home / sub))
    config = home / ".config" / "qa" / "config.toml"
    config.parent.mkdir(parents=True)
    monkeypatch.setenv("QA_CONFIG", str(config))
    monkeypatch.delenv("QA_LLM")  # the config file chooses the backend
    caplog.set_level(logging.DEBUG)  # every library's logging, as talkative as it gets
    index = home / "index"
    question = "What did Klingner say?"
    with FakeLLMServer("ok") as server, FakeLLMServer("http500") as broken:
        config.write_text(f'llm = "openai"\nbase_url = "{server.url}"\nllm_model = "fake-model"\n')
        settings = config.read_text()
        outputs = [
            cli("index", SAMPLE, "--index", index, "--json"),
            cli("ask", question, "--index", index, "--json"),
            cli("ask", question, "--index", index),
            cli("chat", "--index", index, "--json", input=f"{question}\nAnd what did Pardo say?\n"),
            cli("chat", "--index", index, input=f"{question}\n/llm\n/sources\n"),
            cli("ask", question, "--index", index, "--base-url", broken.url, "--json"),  # an HTTP error
            cli("ask", question, "--index", index, "--base-url", "http://127.0.0.1:9/v1"),  # refused
            cli("search", question, "--index", index, "--json"),
            cli("list", "--index", index),
            cli("check", "--index", index),
        ]
        sent = [{k.lower(): v for k, v in h.items()}.get("authorization") for h in server.headers + broken.headers]
    assert sent and all(value == f"Bearer {key}" for value in sent)  # the key was really in use
    assert any("LLM failed" in out.output for out in outputs)  # and the error paths ran
    for out in outputs:
        assert out.exit_code == 0, out.output
        assert key not in out.output and key[-12:] not in out.output
    assert caplog.records and key not in caplog.text and key[-12:] not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "qa.sqlite3" for p in files)
    for path in files:
        data = path.read_bytes()
        assert key.encode() not in data and key[-12:].encode() not in data, path
    assert config.read_text() == settings  # qa never writes its config file


def test_openai_api_key_is_the_fallback(cli, sample_index, monkeypatch):
    key = f"sk-openai-{secrets.token_hex(16)}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with FakeLLMServer("ok") as server:
        out = cli("ask", "What did Klingner say?", "--index", sample_index, "--llm", "openai", "--base-url",
                  server.url, "--llm-model", "fake-model", "--json")
        assert {k.lower(): v for k, v in server.headers[0].items()}["authorization"] == f"Bearer {key}"
    assert out.exit_code == 0 and '"backend": "openai"' in out.output and key not in out.output


def test_api_key_in_the_config_file_is_refused(cli, sample_index, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('llm = "openai"\napi_key = "sk-in-a-file-0123456789"\n')
    monkeypatch.setenv("QA_CONFIG", str(config))
    out = cli("search", "What did Klingner say?", "--index", sample_index)
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "api_key is not read from files" in out.output and "QA_API_KEY or OPENAI_API_KEY" in out.output
    assert "sk-in-a-file" not in out.output
