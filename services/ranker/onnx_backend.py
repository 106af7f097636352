"""The embedding model under ONNX Runtime: exported from the packaged model on this machine (nothing is
downloaded), optionally quantized to int8, cached on disk and reused.

`python -m services.ranker.onnx_backend DIR` exports both files ahead of time (the ranker image does it
at build time); otherwise the first ranker to start exports them into EMBEDDING_ONNX_DIR.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_dir() -> Path:
    return Path(os.environ.get("EMBEDDING_ONNX_DIR") or Path.home() / ".cache" / "screener" / "onnx")


def fingerprint(model_path: Path) -> str:
    """Changes whenever the model's files change, so a stale export is never used."""
    digest = hashlib.sha256()
    for file in sorted(p for p in model_path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(model_path)}:{file.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def export(model: Any, model_path: Path, directory: Path, *, int8: bool) -> Path:
    """The ONNX file for `model` (a SentenceTransformer), exported once and kept in `directory`."""
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{model_path.name}-{fingerprint(model_path)}"
    target = directory / f"{stem}{'.int8' if int8 else ''}.onnx"
    if target.exists():
        return target
    plain = directory / f"{stem}.onnx"
    if not plain.exists():
        bert = model[0].auto_model.eval()

        class Encoder(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.bert(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                ).last_hidden_state

        sample = model.tokenizer(["a resume", "a longer line of a resume"], padding=True, return_tensors="pt")
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".onnx", delete=False) as tmp:
            partial = Path(tmp.name)
        torch.onnx.export(
            Encoder(),
            tuple(sample[name] for name in INPUTS),
            str(partial),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
        partial.chmod(0o644)
        os.replace(partial, plain)  # atomic: a concurrent ranker sees the whole file or none
        log.info("exported the embedding model to %s", plain)
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with tempfile.NamedTemporaryFile(dir=directory, suffix=".onnx", delete=False) as tmp:
            partial = Path(tmp.name)
        quantize_dynamic(str(plain), str(partial), weight_type=QuantType.QInt8)
        partial.chmod(0o644)
        os.replace(partial, target)
        log.info("quantized the embedding model to int8: %s", target)
    return target


class OnnxEncoder:
    """Mean-pooled, unit-length sentence embeddings from the exported encoder, as sentence-transformers
    computes them (same tokenizer, truncation and pooling)."""

    def __init__(
        self, model: Any, model_path: Path, *, int8: bool, threads: int, directory: Path | None = None
    ):
        import onnxruntime

        path = export(model, model_path, directory or default_dir(), int8=int8)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = model.tokenizer
        self.max_length = int(getattr(model, "max_seq_length", 256) or 256)

    def encode(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
        )
        feeds = {name: encoded[name].astype(np.int64) for name in INPUTS}
        hidden = self.session.run(None, feeds)[0]
        mask = encoded["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(
            np.float32
        )


def main(argv: list[str]) -> int:
    from sentence_transformers import SentenceTransformer

    from services.ranker.model import packaged_model_path

    directory = Path(argv[0]) if argv else default_dir()
    model_path = packaged_model_path()
    model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    for int8 in (False, True):
        print(export(model, model_path, directory, int8=int8))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
