"""One client for any OpenAI-compatible endpoint: timeouts, retries with backoff and jitter, a breaker."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from openai import APIConnectionError, APIStatusError, APITimeoutError, AsyncOpenAI, RateLimitError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from services.common.errors import Unavailable
from services.common.metrics import LLM_CALLS, LLM_COST, LLM_TOKENS

log = logging.getLogger(__name__)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, RateLimitError | APITimeoutError | APIConnectionError):
        return True
    return isinstance(exc, APIStatusError) and exc.status_code >= 500


class CircuitBreaker:
    """After `threshold` failed calls in a row, refuse calls for `reset_seconds`, then let one through."""

    def __init__(self, threshold: int = 5, reset_seconds: float = 30.0) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def open(self) -> bool:
        if self.opened_at is None:
            return False
        # Past the pause the breaker is half-open: the next call decides.
        return time.monotonic() - self.opened_at < self.reset_seconds

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


# The provider's own address, used whenever no other is configured (unset or empty).
DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass
class Completion:
    content: str
    tokens_in: int
    tokens_out: int


class LlmClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout: float = 60.0,
        attempts: int = 4,
        breaker: CircuitBreaker | None = None,
        price_per_mtok: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        self.model = model
        self.price_per_mtok = price_per_mtok  # US dollars per million tokens in and out, for the cost metric
        # Never None: the client would read OPENAI_BASE_URL itself and take an empty value as the address.
        self.client = AsyncOpenAI(
            base_url=base_url or DEFAULT_BASE_URL, api_key=api_key, timeout=timeout, max_retries=0
        )
        self.attempts = attempts
        self.breaker = breaker or CircuitBreaker()
        self.calls = 0
        self.supports_schema = True

    async def complete(self, messages: list[dict[str, Any]], schema: dict[str, Any]) -> Completion:
        """A JSON chat completion: retried on 429, 5xx and timeouts; refused while the breaker is open."""
        if self.breaker.open:
            raise Unavailable(
                "the language model is failing; calls are paused for a while", code="llm_unavailable"
            )
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_retryable),
                wait=wait_random_exponential(multiplier=0.5, max=20),
                stop=stop_after_attempt(self.attempts),
                reraise=True,
            ):
                with attempt:
                    response = await self._create(messages, schema)
        except Exception as exc:
            self.breaker.failure()
            LLM_CALLS.labels(self.model, "failed").inc()
            raise Unavailable(f"the language model call failed: {exc}", code="llm_unavailable") from exc
        self.breaker.success()
        usage = response.usage
        completion = Completion(
            content=response.choices[0].message.content or "",
            tokens_in=usage.prompt_tokens if usage else 0,
            tokens_out=usage.completion_tokens if usage else 0,
        )
        LLM_CALLS.labels(self.model, "ok").inc()
        LLM_TOKENS.labels(self.model, "in").inc(completion.tokens_in)
        LLM_TOKENS.labels(self.model, "out").inc(completion.tokens_out)
        price_in, price_out = self.price_per_mtok
        LLM_COST.labels(self.model).inc(
            (completion.tokens_in * price_in + completion.tokens_out * price_out) / 1e6
        )
        return completion

    async def _create(self, messages: list[dict[str, Any]], schema: dict[str, Any]) -> Any:
        self.calls += 1
        if self.supports_schema:
            try:
                return await self.client.chat.completions.create(  # type: ignore[call-overload]
                    model=self.model,
                    messages=messages,
                    temperature=0,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": "analysis", "schema": schema},
                    },
                )
            except APIStatusError as exc:
                if exc.status_code not in (400, 422):
                    raise
                # A server without structured output: ask for JSON in the prompt and validate it ourselves.
                log.info("the model server refused response_format; falling back to validated JSON")
                self.supports_schema = False
        return await self.client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=0,
        )
