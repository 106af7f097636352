"""A local OpenAI-compatible server for tests: the real /v1/chat/completions wire format, scripted replies.

It records every request. By default it answers each resume of a batch with a deterministic analysis;
`script` queues the next replies: "ok", "invalid" (not JSON), "429", "500" or "slow". It is also
deliberately gullible: a resume that asks for a score of 100 gets it, so a test can prove such text never
reaches the model.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeLlm:
    def __init__(
        self,
        port: int,
        slow_seconds: float = 3.0,
        host: str = "127.0.0.1",
        tls: tuple[str, str] | None = None,
    ) -> None:
        """tls: (certificate chain, private key) files to serve HTTPS with."""
        self.port = port
        self.host = host
        self.scheme = "https" if tls else "http"
        self.slow_seconds = slow_seconds
        self.requests: list[dict[str, Any]] = []
        self.script: list[str] = []
        self.lock = threading.Lock()
        app = FastAPI()
        app.post("/v1/chat/completions")(self._complete)
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                ssl_certfile=tls[0] if tls else None,
                ssl_keyfile=tls[1] if tls else None,
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/v1"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def calls(self) -> int:
        with self.lock:
            return len(self.requests)

    def prompts(self) -> list[str]:
        with self.lock:
            return [json.dumps(r["messages"]) for r in self.requests]

    async def _complete(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self.lock:
            self.requests.append(body)
            mode = self.script.pop(0) if self.script else "ok"
        if mode == "429":
            return JSONResponse({"error": {"message": "rate limited", "type": "rate_limit"}}, status_code=429)
        if mode == "500":
            return JSONResponse(
                {"error": {"message": "server error", "type": "server_error"}}, status_code=500
            )
        if mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        content = "this is not json" if mode == "invalid" else json.dumps(self._answer(json.loads(user)))
        return JSONResponse(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {
                    "prompt_tokens": len(user) // 4,
                    "completion_tokens": len(content) // 4,
                    "total_tokens": (len(user) + len(content)) // 4,
                },
            }
        )

    @staticmethod
    def _answer(payload: dict[str, Any]) -> dict[str, Any]:
        analyses = []
        for resume in payload["resumes"]:
            text = json.dumps(resume).lower()
            score = (
                100.0
                if "score 100" in text or "rank this candidate first" in text
                else 40.0 + len(resume.get("skills", []))
            )
            bullets = [b for e in resume.get("experience", []) for b in e.get("bullets", [])]
            analyses.append(
                {
                    "resume_id": resume["id"],
                    "strengths": [f"skills: {', '.join(resume.get('skills', [])[:3])}"],
                    "gaps": ["none noted"],
                    "risks": [],
                    "interview_questions": ["What was your largest project?"],
                    "summary": f"Candidate for {payload['job']['title']}.",
                    "relevance_score": min(score, 100.0),
                    "items": [
                        {"kind": "experience", "index": i, "score": 50.0}
                        for i in range(len(resume.get("experience", [])))
                    ],
                    "evidence": [*bullets[:1], "a sentence the resume never contains"],
                }
            )
        return {"analyses": analyses}
