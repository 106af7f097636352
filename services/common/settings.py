"""Settings shared by every service; each service extends `ServiceSettings` with its own fields."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service process reads from the environment."""

    # An empty variable means "not set": manifests leave optional settings empty (OPENAI_BASE_URL: ""),
    # and each must then take its default, never the empty string.
    model_config = SettingsConfigDict(
        env_file=None, extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    dev_mode: bool = Field(default=False, alias="SCREENER_DEV_MODE")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_json: bool = Field(default=False, alias="LOG_JSON")
    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    grpc_host: str = Field(default="127.0.0.1", alias="GRPC_HOST")
    grpc_port: int = Field(default=50051, alias="GRPC_PORT")
    shutdown_grace_seconds: float = Field(default=10.0, alias="SHUTDOWN_GRACE_SECONDS")
    # How many messages one worker process handles at once.
    worker_concurrency: int = Field(default=2, alias="WORKER_CONCURRENCY")
    # JetStream delivery: redeliver after ack_wait unless the worker heartbeats; give up after max_deliver.
    ack_wait_seconds: float = Field(default=30.0, alias="NATS_ACK_WAIT_SECONDS")
    max_deliver: int = Field(default=5, alias="NATS_MAX_DELIVER")
    stream_replicas: int = Field(default=1, alias="NATS_STREAM_REPLICAS")
    worker_name: str = Field(default="", alias="WORKER_NAME")
    metrics_port: int = Field(
        default=0, ge=0, alias="METRICS_PORT", description="Prometheus /metrics; 0 = off"
    )
    metrics_host: str = Field(default="0.0.0.0", alias="METRICS_HOST")
