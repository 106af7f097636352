"""The same person in several files of one job: one candidate, ranked once.

Two resumes of a job are the same candidate when they give the same email address or the same phone
number (after normalization), or when their texts are near-identical: a MinHash signature (datasketch)
of the text's word 3-grams estimates their Jaccard similarity, and 0.8 or more is the same resume (a
PDF, its scan and a photo of it read the same words but for OCR slips). Locality-sensitive hashing keeps
the search to likely pairs: the 128 hash values in 16 bands of 8, one hash per band, stored with the
resume; two resumes that share a band are compared in full.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from screener.contract.schemas import canonical_email

PERMUTATIONS = 128
BANDS = 16
ROWS = PERMUTATIONS // BANDS
SAME_TEXT = 0.8
SEED = 1


@dataclass(frozen=True)
class Identity:
    email_key: str | None
    phone_key: str | None
    signature: bytes | None
    bands: list[int]


def _signature(text: str) -> np.ndarray | None:
    words = re.findall(r"[a-z0-9]+", text.lower())
    shingles = {" ".join(words[i : i + 3]) for i in range(max(0, len(words) - 2))}
    if len(shingles) < 20:
        return None  # too little text to tell one resume from another
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED)
    minhash.update_batch([s.encode() for s in sorted(shingles)])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def _band_hash(values: np.ndarray, band: int) -> int:
    digest = hashlib.blake2b(values.astype("<u8").tobytes() + bytes([band]), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def identity_of(parsed: dict) -> Identity:
    """What a parsed resume (as stored) says about whose it is."""
    contact = parsed.get("contact") or {}
    email = contact.get("email") or ""
    try:
        email_key = canonical_email(email) if email else None
    except ValueError:
        email_key = None
    digits = re.sub(r"\D", "", contact.get("phone") or "")
    phone_key = digits[-10:] if len(digits) >= 9 else None
    values = _signature(parsed.get("full_text") or "")
    if values is None:
        return Identity(email_key, phone_key, None, [])
    bands = [_band_hash(values[b * ROWS : (b + 1) * ROWS], b) for b in range(BANDS)]
    return Identity(email_key, phone_key, values.astype("<u8").tobytes(), bands)


def similarity(first: bytes | None, second: bytes | None) -> float:
    """The estimated Jaccard similarity of two texts from their signatures."""
    if not first or not second:
        return 0.0
    a, b = np.frombuffer(first, dtype="<u8"), np.frombuffer(second, dtype="<u8")
    return float(np.mean(a == b))
