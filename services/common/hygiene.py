"""Text that tries to steer a screening model: found, removed from what is scored, and reported."""

from __future__ import annotations

import re

_INJECTION_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|any|other)\b.{0,30}"
    r"\b(instructions?|prompts?|rules?|directions?|guidelines?|requirements?)\b",
    r"\b(rank|rate|score|place|put|list|mark)\s+(this|the|me|my)\s+"
    r"(candidate|resume|cv|applicant|profile|application|person)?\s*(as\s+)?"
    r"(first|top|highest|number one|#1|1st|100|above (all|every|the) others)\b",
    r"\b(give|assign|award)\s+(this|the|me|my)?\s*(candidate|resume|cv|applicant)?\s*(a\s+)?"
    r"(perfect|maximum|max|full|top|highest)\s+(score|rating|marks)\b",
    r"\b(you are|act as|pretend to be|you're)\b.{0,20}\b(an? )?(ai|assistant|language model|llm|chatgpt|gpt|"
    r"recruiter bot|screening (system|model))\b",
    r"\bsystem prompt\b",
    r"\b(hire|select|shortlist|recommend)\s+(this|me)\b.{0,20}\b(candidate|applicant|immediately|now)\b",
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
