"""The ONNX encoder that serves queries must give torch's vectors, and the query path must not need torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from qa.ingest.loaders import load_file
from qa.ingest.embeddings import EXPORT_MIN_COSINE, INT8_MIN_COSINE, Embedder, _OnnxEncoder, onnx_export

from .conftest import SAMPLE


def test_onnx_encoder_reproduces_torch(embedder):
    assert embedder.backend == "onnx"
    torch_embedder = Embedder(backend="torch")
    texts = [p.text for p in load_file(SAMPLE, "sample").articles[0].paragraphs] + [
        "What did Klingner say?", "", "   ", "ÆØÅ ß 北朝鮮 🙂", "word " * 2000]
    onnx_vectors, torch_vectors = embedder.encode(texts), torch_embedder.encode(texts)
    assert onnx_vectors.shape == torch_vectors.shape == (len(texts), 384)
    cosines = (onnx_vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= EXPORT_MIN_COSINE
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_batching_does_not_change_vectors(embedder):
    texts = [p.text for p in load_file(SAMPLE, "sample").articles[0].paragraphs]
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode_query(t) for t in texts])
    assert (together * alone).sum(axis=1).min() >= 0.99999


def test_documents_are_embedded_with_the_int8_copy(embedder):
    """Indexing uses the quantized copy: close to the exact vectors, not equal to them, and each
    paragraph's exact (query-side) vector still finds its own int8 vector first."""
    assert embedder.document_backend == "onnx-int8"
    texts = [p.text for p in load_file(SAMPLE, "sample").articles[0].paragraphs]
    exact, int8 = embedder.encode(texts), embedder.encode_documents(texts)
    cosines = (exact * int8).sum(axis=1)
    assert cosines.min() >= INT8_MIN_COSINE and cosines.mean() >= 0.985
    assert cosines.max() < 0.99999  # really the quantized model, not the fp32 one again
    assert list((exact @ int8.T).argmax(axis=1)) == list(range(len(texts)))


def test_int8_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("QA_EMBED_INT8", "0")
    embedder = Embedder()
    assert embedder.document_backend == "onnx"
    text = ["The ministry said the talks would resume next week."]
    assert (embedder.encode(text) * embedder.encode_documents(text)).sum() >= 0.99999


def test_parallel_batches_keep_each_text_in_its_row():
    """Batches embedded on several threads at once land in the rows of their own texts."""
    folder = onnx_export()
    meta = json.loads((folder / "meta.json").read_text())
    texts = [p.text for p in load_file(SAMPLE, "sample").articles[0].paragraphs] * 2 + ["short", "a b"]
    serial = _OnnxEncoder(folder, meta).encode(texts, 4)
    parallel = _OnnxEncoder(folder, meta, workers=3).encode(texts, 4)
    assert (serial * parallel).sum(axis=1).min() >= 0.99999


def test_search_and_ask_never_import_torch(sample_index):
    script = (
        "import sys\n"
        "from qa.api import QA\n"
        f"bot = QA({str(sample_index)!r})\n"
        "hits = bot.search('What did Klingner say?', 3).passages\n"
        "answer = bot.ask('Who did North Korea sign a mutual defence treaty with?')\n"
        "print(len(hits), len(answer.citations), 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=os.environ | {"QA_LLM": "none"})
    assert run.returncode == 0, run.stderr
    hits, citations, torch_loaded, st_loaded = run.stdout.split()
    assert (hits, torch_loaded, st_loaded) == ("3", "False", "False")
    assert int(citations) >= 1


def test_qa_model_reports_the_onnx_export(cli, embedder):
    out = cli("model")
    assert out.exit_code == 0
    assert f"ONNX export (checked against torch) at {onnx_export()}" in out.output
    assert "int8 copy, model-int8.onnx" in out.output
