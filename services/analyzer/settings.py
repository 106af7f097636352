"""Analyzer settings."""

from pydantic import Field

from services.common.settings import ServiceSettings


class AnalyzerSettings(ServiceSettings):
    grpc_port: int = Field(default=50053, alias="GRPC_PORT")
    openai_base_url: str = Field(default="", alias="OPENAI_BASE_URL")
    openai_api_key: str = Field(default="", alias="OPENAI_API_KEY")
    model: str = Field(default="gpt-4o-mini", alias="ANALYZER_MODEL")
    request_timeout_seconds: float = Field(default=60.0, alias="ANALYZER_TIMEOUT_SECONDS")
    max_retries: int = Field(default=3, alias="ANALYZER_MAX_RETRIES")
