"""Blind screening: personal details masked before a resume reaches the ranker or the analyzer."""

from __future__ import annotations

import re
from collections.abc import Callable

from screener.v1 import resume_pb2
from services.common import protected
from services.common.patterns import BIRTH_RE, EMAIL_RE, GENDER_RE, PHONE_RE, STREET_RE, URL_RE


def _masker(parsed: resume_pb2.ParsedResume) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    # Each part of the name, in any case when it is long enough to be unmistakable; a short part (Lan,
    # Wei, Li) only as written, so an acronym such as LAN stays.
    name_parts = [p for p in re.split(r"\s+", parsed.contact.name) if len(p) >= 2]
    name = (
        re.compile(
            r"\b(?:"
            + "|".join(f"(?i:{re.escape(p)})" if len(p) >= 4 else re.escape(p) for p in name_parts)
            + r")\b"
        )
        if name_parts
        else None
    )
    location = re.compile(re.escape(parsed.contact.location), re.I) if parsed.contact.location else None
    return name, location


def _known_contacts(parsed: resume_pb2.ParsedResume) -> list[tuple[str, str]]:
    """The resume's own contact values, masked word for word whatever shape they have (an address with
    characters the general patterns do not expect is still the candidate's)."""
    contact = parsed.contact
    known = [(contact.email, "[email]"), (contact.phone, "[phone]")]
    known += [(link.url, "[link]") for link in contact.links]
    return [(value, mask) for value, mask in known if len(value.strip()) >= 3]


# A link that leads to a person's page: a scheme, www., or a path after the domain (github.com/ana).
_PERSONAL_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/[^\s,;|)]+", re.I)


def mask_text(text: str, parsed: resume_pb2.ParsedResume, *, every_domain: bool = True) -> str:
    """The text with the person's details masked. every_domain=False keeps bare domain names
    ("Salesforce.com", a product) and masks only links that lead somewhere (and the resume's own)."""
    name, location = _masker(parsed)
    for value, mask in _known_contacts(parsed):
        text = re.sub(re.escape(value.strip()), mask, text, flags=re.I)
    text = EMAIL_RE.sub("[email]", text)
    text = (URL_RE if every_domain else _PERSONAL_LINK).sub("[link]", text)
    text = BIRTH_RE.sub("[date of birth]", text)
    text = STREET_RE.sub("[address]", text)
    text = PHONE_RE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)
    if name is not None:
        text = name.sub("[name]", text)
    if location is not None:
        text = location.sub("[location]", text)
    return GENDER_RE.sub("[gender]", text)


def _rewritten(parsed: resume_pb2.ParsedResume, rewrite: Callable[[str], str]) -> resume_pb2.ParsedResume:
    """A copy without contact details or project links, every text of the resume passed through rewrite
    (a bullet it leaves empty is dropped)."""
    copy = resume_pb2.ParsedResume()
    copy.CopyFrom(parsed)
    copy.ClearField("contact")
    copy.full_text = rewrite(parsed.full_text)
    copy.headline = rewrite(parsed.headline)
    copy.summary = rewrite(parsed.summary)
    for key, value in parsed.sections.items():
        copy.sections[key] = rewrite(value)
    for entry in copy.experience:
        entry.text = rewrite(entry.text)
        entry.bullets[:] = [b for b in (rewrite(b) for b in entry.bullets) if b]
    for project in copy.projects:
        project.description = rewrite(project.description)
        del project.links[:]
    return copy


def redact(parsed: resume_pb2.ParsedResume) -> resume_pb2.ParsedResume:
    """A copy with name, contact details, address, links, birth date and gender words masked."""
    fields = []
    contact = parsed.contact
    for field, present in (
        ("name", contact.name),
        ("email", contact.email),
        ("phone", contact.phone),
        ("location", contact.location),
        ("links", len(contact.links)),
    ):
        if present:
            fields.append(field)
    if BIRTH_RE.search(parsed.full_text):
        fields.append("date_of_birth")
    if GENDER_RE.search(parsed.full_text):
        fields.append("gender")
    if parsed.stats.has_photo:
        fields.append("photo")  # pictures never reach the ranker or the analyzer; recorded for the recruiter
    masked = _rewritten(parsed, lambda text: mask_text(text, parsed))
    for flag in masked.flags:
        flag.text = mask_text(flag.text, parsed)
    masked.redaction.CopyFrom(resume_pb2.RedactionInfo(applied=True, fields=fields))
    return masked


_MASKS = re.compile(r"\[(?:name|email|phone|link|address|location|date of birth|gender)\]")


def _without_person(text: str, parsed: resume_pb2.ParsedResume) -> str:
    """A text with the person taken out: masked details removed, protected statements withheld, and the
    lines that held nothing else gone."""
    kept = []
    for line in protected.withhold(mask_text(text, parsed, every_domain=False)).splitlines():
        if _MASKS.search(line):
            line = _MASKS.sub("", line)
            line = re.sub(r"\s{2,}", " ", line).strip()
            if not re.search(r"\w{2,}", line):
                continue
            line = line.strip(" ,;|•·-–")
        kept.append(line)
    return "\n".join(kept)


def scoring_view(parsed: resume_pb2.ParsedResume) -> resume_pb2.ParsedResume:
    """What the ranker and the analyzer read, in every job: the resume without who the person is.

    The name, contact details, address, links, and every statement of a protected attribute (date of
    birth and age, gender and pronouns, family status, pregnancy, nationality, religion, ethnicity,
    disability, veteran status) are removed rather than masked, and a line that held only them is gone,
    so the text is the same whatever the name is and wherever it stood."""
    view = _rewritten(parsed, lambda text: _without_person(text, parsed))
    for education in view.education:
        education.text = _without_person(education.text, parsed)
    del view.flags[:]
    return view
