"""Analyzer settings."""

from pydantic import Field

from services.common.settings import ServiceSettings


class AnalyzerSettings(ServiceSettings):
    grpc_port: int = Field(default=50053, alias="GRPC_PORT")
    openai_base_url: str = Field(default="", alias="OPENAI_BASE_URL")
    openai_api_key: str = Field(default="", alias="OPENAI_API_KEY")
    model: str = Field(default="gpt-4o-mini", alias="ANALYZER_MODEL")
    request_timeout_seconds: float = Field(default=60.0, alias="ANALYZER_TIMEOUT_SECONDS")
    attempts: int = Field(default=4, alias="ANALYZER_ATTEMPTS")
    batch_size: int = Field(default=4, alias="ANALYZER_BATCH_SIZE")
    context_tokens: int = Field(default=16_000, alias="ANALYZER_CONTEXT_TOKENS")
    breaker_threshold: int = Field(default=5, alias="ANALYZER_BREAKER_THRESHOLD")
    breaker_reset_seconds: float = Field(default=30.0, alias="ANALYZER_BREAKER_RESET_SECONDS")
    # The gateway's internal port (the analysis cache) and the service credential it asks for.
    gateway_internal_addr: str = Field(default="127.0.0.1:50055", alias="GATEWAY_INTERNAL_ADDR")
    internal_api_token: str = Field(default="", alias="INTERNAL_API_TOKEN")
    # For the screener_llm_cost_usd metric: the provider's list price, US dollars per million tokens.
    price_in_per_mtok: float = Field(default=0.15, ge=0, alias="ANALYZER_PRICE_IN_PER_MTOK")
    price_out_per_mtok: float = Field(default=0.60, ge=0, alias="ANALYZER_PRICE_OUT_PER_MTOK")
