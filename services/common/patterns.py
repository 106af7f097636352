"""Regular expressions for personal details, shared by extraction and redaction."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|io|dev|me|org|net|co|app|ai|es|uk|de)"
    r"(?:/[^\s,;|)]*)?",
    re.I,
)
PHONE_RE = re.compile(
    r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s.:-]{1,2})?\d{3,4}[\s.:-]{0,2}\d{3,4}"
)
STREET_RE = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|"
    r"Place|Pl|Calle|Avenida)\b\.?(?:,?\s*(?:Apt|Suite|Unit|#)\s*\w+)?"
)
BIRTH_RE = re.compile(
    r"\b(?:date of birth|birth ?date|born(?: on)?|d\.?o\.?b\.?|fecha de nacimiento)\s*[:\-]?\s*"
    r"[\w ,./-]{4,24}?\d{2,4}\b",
    re.I,
)
# Gendered words and labels. Honorifics only as titles before a name ("Ms. Lee", not "MS Office");
# "man" is left alone ("man-hours").
GENDER_RE = re.compile(
    r"\b(?:he|she|him|her|his|hers|himself|herself|male|female|woman|gender\s*:\s*\w+|"
    r"marital status\s*:\s*\w+|sexo\s*:\s*\w+)\b\.?|(?-i:\b(?:Mr|Mrs|Ms|Miss)\b\.?(?=\s+[A-Z]))",
    re.I,
)
