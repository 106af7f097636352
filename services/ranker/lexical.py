"""Lexical match of the job's words in the resume, with background IDF.

IDF needs document frequencies; a single resume has none, and frequencies from whichever
resumes a job happens to hold would make a score depend on its neighbours. The IDF here comes
from general English word frequencies (the wordfreq package, offline), so a score depends only
on the job and the resume: rare, specific words ("ledger", "irrigation") count, common ones
("team", "work") barely do.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from services.common.skills import normalize_text

STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "as",
        "at",
        "by",
        "from",
        "is",
        "are",
        "be",
        "been",
        "being",
        "we",
        "you",
        "our",
        "your",
        "will",
        "this",
        "that",
        "it",
        "its",
        "who",
        "what",
        "how",
        "their",
        "they",
        "them",
        "us",
        "has",
        "have",
        "had",
        "was",
        "were",
        "can",
        "may",
        "must",
        "should",
        "would",
        "about",
        "into",
        "over",
        "such",
        "other",
        "more",
        "most",
        "some",
        "any",
        "all",
        "each",
        "both",
        "than",
        "then",
        "also",
        "not",
        "no",
        "nor",
        "per",
        "via",
        "within",
        "across",
        "including",
        "include",
        "includes",
        "using",
        "use",
        "used",
        "based",
        "new",
        "strong",
        "ability",
        "able",
        "work",
        "working",
        "works",
        "team",
        "teams",
        "role",
        "job",
        "candidate",
        "candidates",
        "experience",
        "experienced",
        "years",
        "year",
        "plus",
        "etc",
        "ensure",
        "ensuring",
        "provide",
        "providing",
        "support",
        "supporting",
        "responsible",
        "responsibilities",
        "duties",
        "skill",
        "skills",
        "knowledge",
        "well",
        "good",
        "excellent",
        "great",
        "help",
        "helps",
        "including",
        "other",
        "others",
    ]
)

_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ers",
    "er",
    "es",
    "ed",
    "ly",
    "s",
)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light suffix stripper: enough for "reconciliations" to meet "reconcile", "accounts" "account"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e") if len(word) > 5 else word


@lru_cache(maxsize=4096)
def terms(text: str) -> tuple[str, ...]:
    """Stemmed content words of a text (cached: the same resume is scored against many jobs)."""
    words = re.findall(r"[a-z][a-z0-9+#]*", normalize_text(text))
    return tuple(stem(w) for w in words if w not in STOPWORDS and len(w) > 1)


@lru_cache(maxsize=200_000)
def idf(term: str) -> float:
    from wordfreq import zipf_frequency

    # Zipf 7+ is "the"; unseen words (product names, jargon) get the highest weight.
    return max(0.3, 7.5 - zipf_frequency(term, "en"))


# Words nearly every resume uses: they say nothing about which job a resume fits.
RESUME_VOCABULARY = set(
    [
        "managed",
        "manage",
        "management",
        "customer",
        "customers",
        "service",
        "services",
        "company",
        "companies",
        "city",
        "state",
        "name",
        "professional",
        "summary",
        "experience",
        "responsible",
        "including",
        "daily",
        "staff",
        "team",
        "members",
        "ensure",
        "provided",
        "assisted",
        "assist",
        "worked",
        "position",
        "office",
        "communication",
        "organized",
        "organization",
        "maintained",
        "maintain",
        "accurate",
        "records",
        "excellent",
        "strong",
        "detail",
        "oriented",
        "ability",
        "highlights",
        "accomplishments",
        "education",
        "training",
        "certification",
        "department",
        "clients",
        "client",
        "various",
        "duties",
        "reports",
        "report",
        "developed",
        "develop",
        "operations",
        "procedures",
        "policies",
        "supported",
        "process",
        "processes",
        "quality",
        "business",
        "program",
        "programs",
        "project",
        "projects",
        "time",
        "high",
        "school",
    ]
)


class LexicalScorer:
    """How much of the job's specific vocabulary the resume uses, 0..1.

    TF-IDF cosine with sublinear term frequency (1 + log tf saturates repeated words, as BM25 does)
    and background IDF, over stemmed words minus generic resume vocabulary. Measured against BM25
    with the same IDF on the ranking evaluation, this form ranked better (see bench/ranking_eval.py).
    """

    def __init__(self, job_text: str, title: str = "") -> None:
        counts = Counter(t for t in terms(job_text) if t not in _GENERIC)
        for term in terms(title):
            if term not in _GENERIC:
                counts[term] += 1
        self.weights = {term: (1 + math.log(count)) * idf(term) for term, count in counts.items()}
        self.norm = math.sqrt(sum(w * w for w in self.weights.values())) or 1.0

    def score(self, resume_text: str) -> float:
        counts = Counter(t for t in terms(resume_text) if t not in _GENERIC)
        if not counts:
            return 0.0
        vector = {term: (1 + math.log(count)) * idf(term) for term, count in counts.items()}
        dot = sum(weight * vector.get(term, 0.0) for term, weight in self.weights.items())
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return min(1.0, dot / (self.norm * norm) / 0.25)  # cosines above 0.25 are already a very close match

    def matched_terms(self, text: str) -> set[str]:
        return set(terms(text)) & set(self.weights)


_GENERIC = {stem(word) for word in RESUME_VOCABULARY}
