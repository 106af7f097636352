"""Text that tries to steer a screening model: found, removed from what is scored, and reported."""

from __future__ import annotations

import re

_INJECTION_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|any|other)\b.{0,30}"
    r"\b(instructions?|prompts?|rules?|directions?|guidelines?)\b",
    r"\b(rank|rate|score|place|put|list)\b.{0,30}\b(this|the|me|my)\b.{0,20}\b(candidate|resume|cv|applicant)?"
    r".{0,20}\b(first|top|highest|number one|#1|1st|100)\b",
    r"\b(you are|act as|pretend to be|you're)\b.{0,20}\b(an? )?(ai|assistant|language model|llm|chatgpt|gpt|"
    r"recruiter bot|screening (system|model))\b",
    r"\bsystem prompt\b",
    r"\b(hire|select|shortlist|recommend)\b.{0,15}\b(this|me)\b.{0,20}\b(candidate|applicant|immediately|now)\b",
    r"\b(note|message|instruction)s? (to|for) (the )?(ai|llm|model|screening (system|tool)|ats)\b",
    r"\bthis (candidate|applicant) is (the )?(perfect|ideal|best|most qualified)\b",
    r"\b(new|updated) instructions?\s*:",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _INJECTION_PATTERNS), re.I)


def split_injections(text: str) -> tuple[str, list[str]]:
    """The text without lines addressed to a model, and those lines."""
    kept: list[str] = []
    found: list[str] = []
    for line in text.splitlines():
        if _INJECTION.search(line):
            found.append(line.strip())
        else:
            kept.append(line)
    return "\n".join(kept), found
