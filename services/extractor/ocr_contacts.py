"""Emails and phone numbers as OCR misreads them, put back together and checked against their shape.

Tesseract reads the words around a contact line well and the contact itself badly: spaces around "@" and
dots, "@" read as a copyright or registered sign or as "(a)", commas for dots, the letter O for a zero
and l or I for a one in a number, a zero for the letter o in a domain ending. A line is repaired only
where it has the shape of an address or a number, and what comes out must be a valid address (or a
number with 10 to 15 digits) or it is not used.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from services.common.patterns import EMAIL_RE, PHONE_RE

_AT = re.compile(r"\s*(?:@|©|®|\(a\)|\(at\)|\[at\])\s*", re.I)
_DOT_SPACING = re.compile(r"\s*([.,])\s*(?=[A-Za-z0-9])")
_TLD_DIGITS = str.maketrans({"0": "o", "1": "l"})
_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
)


def recover_email(lines: list[str]) -> str:
    """The first valid address in lines that look like a misread one, or ''."""
    for line in lines:
        if not _AT.search(line):
            continue
        for piece in re.split(r"\s*[|•·]\s*|\s{3,}", line):
            if not _AT.search(piece):
                continue
            candidate = _AT.sub("@", piece.strip(), count=1)
            raw_local, _, raw_domain = candidate.partition("@")
            local = (re.sub(r"\s*\.\s*", ".", raw_local.strip()).split() or [""])[-1]
            domain = (_DOT_SPACING.sub(".", raw_domain.strip()).split() or [""])[0]
            name, _, tld = domain.rpartition(".")
            if name and tld:
                domain = f"{name}.{tld.translate(_TLD_DIGITS)}"
            found = EMAIL_RE.search(f"{local}@{domain}")
            if not found:
                continue
            try:
                return validate_email(found.group(), check_deliverability=False).normalized
            except EmailNotValidError:
                continue
    return ""


def recover_phone(lines: list[str]) -> str:
    """A phone number in lines where OCR put letters for digits, or ''."""
    for line in lines:
        for token in re.findall(r"\+?[\dOoDlI|SB()\-. ]{10,22}", line):
            if sum(c.isdigit() for c in token) < 7:
                continue  # mostly letters: a word, not a misread number
            repaired = token.translate(_DIGIT_LOOKALIKES)
            phone = PHONE_RE.search(repaired)
            if phone and 10 <= sum(c.isdigit() for c in phone.group()) <= 15:
                return phone.group().strip()
    return ""
