"""The ONNX Runtime paths of the embedder: exported from the packaged model, cached, faithful."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.ranker.embedding import Embedder

TEXTS = [
    "Senior backend engineer building Python microservices on PostgreSQL and Kubernetes. " * 6,
    "Python",
    "Led a team of five engineers on a payments platform",
    "Ingeniera de datos con experiencia en Spark y Airflow",
]


def test_onnx_gives_the_models_vectors_and_int8_stays_close(tmp_path: Path) -> None:
    reference = Embedder(threads=1, backend="torch").embed(TEXTS)
    onnx = Embedder(threads=1, backend="onnx", onnx_dir=tmp_path)
    assert onnx.model_name == "all-MiniLM-L6-v2"
    assert np.abs(onnx.embed(TEXTS) - reference).max() < 1e-4
    exported = sorted(tmp_path.glob("*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns

    int8 = Embedder(threads=1, backend="onnx-int8", onnx_dir=tmp_path)
    # Never mixed with stored full-precision vectors: it carries its own model name.
    assert int8.model_name == "all-MiniLM-L6-v2-int8"
    vectors = int8.embed(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert float((vectors * reference).sum(axis=1).min()) > 0.9
    # The full-precision export was reused, not made again.
    assert exported[0].stat().st_mtime_ns == stamp and len(list(tmp_path.glob("*.onnx"))) == 2


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND"):
        Embedder(backend="tensorrt")
