"""Sentence embeddings from a model on disk (never fetched at run time), with an in-process cache."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from services.common.metrics import EMBEDDINGS
from services.ranker.model import packaged_model_path
from services.ranker.onnx_backend import OnnxEncoder

log = logging.getLogger(__name__)


# torch: the model as sentence-transformers runs it; onnx: the same model under ONNX Runtime (same
# vectors to 1e-6, faster on CPU); onnx-int8: its int8 quantization (faster still, vectors close).
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = "onnx"
BUCKET_RATIO = 1.3
BUCKET_SIZE = 32


class Embedder:
    """Loads the model once per process and embeds texts into unit vectors."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        threads: int = 1,
        cache_size: int = 20000,
        backend: str | None = None,
        onnx_dir: str | Path | None = None,
    ) -> None:
        self.backend = backend or os.environ.get("EMBEDDING_BACKEND") or DEFAULT_BACKEND
        if self.backend not in BACKENDS:
            raise ValueError(f"EMBEDDING_BACKEND is one of {', '.join(BACKENDS)}, not {self.backend!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        path = Path(model_path) if model_path else packaged_model_path()
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"no sentence-transformers model in {path}")
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._onnx: OnnxEncoder | None = None
        if self.backend != "torch":
            self._onnx = OnnxEncoder(
                self.model,
                path,
                int8=self.backend == "onnx-int8",
                threads=threads,
                directory=Path(onnx_dir) if onnx_dir else None,
            )
        # int8 vectors differ slightly from the model's: they are never mixed with stored full-precision ones.
        base_name = path.name if model_path else "all-MiniLM-L6-v2"
        self.model_name = f"{base_name}-int8" if self.backend == "onnx-int8" else base_name
        dimension = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 384)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.computed = 0
        self.cache_hits = 0
        self.reused = 0

    def embed(self, texts: list[str], known: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Unit-length embeddings, one row per text.

        A text is embedded at most once per process (cache by content hash), and not at all when
        `known` (stored embeddings, by the same hash) already has it. Values are rounded to 5
        decimals so scores do not depend on how texts happened to be batched together.
        """
        keys = [text_hash(text) for text in texts]
        result: list[np.ndarray | None] = []
        missing: dict[str, str] = {}
        with self._lock:
            for key, text in zip(keys, texts, strict=True):
                vector = known.get(key) if known else None
                if vector is not None:
                    self.reused += 1
                    EMBEDDINGS.labels("reused").inc()
                else:
                    vector = self._cache.get(key)
                    if vector is not None:
                        self._cache.move_to_end(key)
                        self.cache_hits += 1
                        EMBEDDINGS.labels("cache_hit").inc()
                    elif key not in missing:
                        missing[key] = text
                result.append(vector)
        fresh: dict[str, np.ndarray] = {}
        if missing:
            vectors = np.round(self._encode(list(missing.values())), 5)
            fresh = dict(zip(missing, vectors, strict=True))
            with self._lock:
                self.computed += len(missing)
                EMBEDDINGS.labels("computed").inc(len(missing))
                for key, vector in fresh.items():
                    self._cache[key] = vector
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        rows = [fresh[key] if vector is None else vector for key, vector in zip(keys, result, strict=True)]
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([np.asarray(v, dtype=np.float32) for v in rows])

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode in batches of texts of about the same token length.

        A batch is padded to its longest text, and a resume mixes 256-token passages with 3-token
        skill phrases: one batch of everything spends most of its time on padding. Batches whose
        longest text is at most BUCKET_RATIO times their shortest cut the time per resume about
        six-fold on CPU, with the same vectors to 1e-6.
        """
        limit = int(getattr(self.model, "max_seq_length", 256) or 256)
        lengths = [
            len(ids)
            for ids in self.model.tokenizer(
                texts, add_special_tokens=True, truncation=True, max_length=limit
            )["input_ids"]
        ]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batch: list[int] = []

        def flush() -> None:
            if batch:
                chunk = [texts[i] for i in batch]
                if self._onnx is not None:
                    out[batch] = self._onnx.encode(chunk)
                else:
                    out[batch] = self.model.encode(
                        chunk, batch_size=len(chunk), normalize_embeddings=True, convert_to_numpy=True
                    ).astype(np.float32)
                batch.clear()

        for index in order:
            if batch and (lengths[index] > lengths[batch[0]] * BUCKET_RATIO + 4 or len(batch) >= BUCKET_SIZE):
                flush()
            batch.append(index)
        flush()
        return out


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
