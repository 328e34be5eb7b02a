"""The ONNX encoder that serves queries must give torch's vectors, and the query path must not need torch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from qa.documents import load_file
from qa.embeddings import EXPORT_MIN_COSINE, Embedder

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
    from qa.embeddings import onnx_export

    out = cli("model")
    assert out.exit_code == 0
    assert f"ONNX export (checked against torch) at {onnx_export()}" in out.output
