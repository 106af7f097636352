"""Turning clean resume text into a structured ParsedResume: sections, contact, entries, skills."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources

import phonenumbers
import yaml

from screener.v1 import resume_pb2
from services.common import protected
from services.common.patterns import EMAIL_RE, PHONE_RE, URL_RE
from services.common.skills import SkillTaxonomy, normalize_text
from services.extractor.ocr_contacts import recover_email, recover_phone


def _load_sections() -> dict[str, dict[str, tuple[str, ...]]]:
    """The section headings shipped with the package (services/common/data/sections.yaml)."""
    text = resources.files("services.common").joinpath("data/sections.yaml").read_text(encoding="utf-8")
    return {
        language: {name: tuple(aliases) for name, aliases in sections.items()}
        for language, sections in yaml.safe_load(text).items()
    }


_SECTIONS = _load_sections()
SECTION_ALIASES = _SECTIONS["english"]
SPANISH_SECTION_ALIASES = _SECTIONS["spanish"]
_HEADING_TO_SECTION = {alias: name for name, aliases in SECTION_ALIASES.items() for alias in aliases}
_SPANISH_HEADINGS = {alias: name for name, aliases in SPANISH_SECTION_ALIASES.items() for alias in aliases}
_HEADING_TO_SECTION.update(_SPANISH_HEADINGS)

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MONTHS.update({"ene": 1, "abr": 4, "ago": 8, "dic": 12, "set": 9})
_MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary|rero)?|mar(?:ch|zo)?|apr(?:il)?|abr(?:il)?|may(?:o)?|jun(?:e|io)?|"
    r"jul(?:y|io)?|aug(?:ust)?|ago(?:sto)?|sept?(?:ember|iembre)?|setiembre|oct(?:ober|ubre)?|"
    r"nov(?:ember|iembre)?|dec(?:ember)?|dic(?:iembre)?|ene(?:ro)?)\.?"
)
_POINT = (
    rf"(?:{_MONTH_WORD}\s*(?:,|de|del)?\s*\d{{4}}|\d{{1,2}}\s*[/.]\s*\d{{4}}"
    r"|\d{4}[./-](?:0?[1-9]|1[0-2])(?!\d)|\d{4})"
)
_PRESENT = r"present|current|now|today|date|actualidad|presente|actual|hoy"
DATE_RANGE_RE = re.compile(
    rf"(?P<start>{_POINT})[\s.'’,]*(?:-|–|—|to|until|through|a|al|hasta)[\s.'’,]*(?P<end>{_POINT}|{_PRESENT})(?![a-z])",
    re.I,
)
DEGREE_RE = re.compile(
    r"\b(ph\.?d|doctor(?:ate)?|master'?s?|m\.?s\.?c?|m\.?b\.?a|m\.?a\.?|m\.?eng|bachelor'?s?|b\.?s\.?c?|b\.?a\.?|"
    r"b\.?eng|b\.?tech|m\.?tech|associate'?s?|a\.?a\.?s?|diploma|high school|ged|certificate)\b",
    re.I,
)
INSTITUTION_RE = re.compile(r"\b(university|college|institute|school|academy|polytechnic)\b", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[•●▪◦■□◆►▸\-*–·o]|\d+[.)])\s+")


@dataclass
class Section:
    name: str
    heading: str
    lines: list[str]


def _heading_name(line: str) -> str | None:
    candidate = normalize_text(line).strip(" :-|•").replace("&", "and") if len(line) <= 48 else ""
    if not candidate or len(candidate.split()) > 5:
        return None
    known = _HEADING_TO_SECTION.get(candidate) or _HEADING_TO_SECTION.get(candidate.replace(" and ", " & "))
    if known is None and _QUALIFIED_EXPERIENCE.fullmatch(line.strip(" :-|•")):
        return "experience"  # "Visual Merchandise Experience", "RELEVANT EXPERIENCE"
    return known


# A heading naming a kind of experience: two to four capitalized words ending in "Experience".
_QUALIFIED_EXPERIENCE = re.compile(r"(?:[A-Z][\w&/-]*\s+){1,3}(?:Experience|EXPERIENCE)")


def split_sections(text: str) -> tuple[list[str], list[Section]]:
    """Header lines (before any heading) and the detected sections, in document order.

    A heading is a short line whose words name a known section, whatever its case; a line such as
    "Skills: Python, SQL" starts the section and keeps its tail as the first line.
    """
    header: list[str] = []
    sections: list[Section] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        name = _heading_name(line)
        tail, heading = "", line
        if name is None:
            # A heading that shares its line with content: "Skills: Python, SQL", "EXPERIENCE — ...".
            parts = re.split(r"\s*(?::|\s[|—–-]\s|\s{2,})\s*", line, maxsplit=1)
            if len(parts) == 2:
                name = _heading_name(parts[0])
                tail, heading = (parts[1], parts[0]) if name else ("", line)
        if name is not None:
            sections.append(Section(name=name, heading=heading, lines=[tail.strip()] if tail.strip() else []))
        elif sections:
            sections[-1].lines.append(line)
        else:
            header.append(line)
    return header, sections


def _to_year_month(text: str, as_of: date) -> tuple[resume_pb2.YearMonth, bool]:
    """Parse one side of a date range; returns (value, is_current). "Present" is the month of as_of."""
    lowered = text.lower().strip()
    if lowered in {"present", "current", "now", "today", "date", "actualidad", "presente", "actual", "hoy"}:
        return resume_pb2.YearMonth(year=as_of.year, month=as_of.month), True
    year_match = re.search(r"\d{4}", lowered)
    year = int(year_match.group()) if year_match else 0
    month = 0
    numeric = re.match(r"(\d{1,2})\s*[/.]", lowered)
    iso = re.fullmatch(r"\d{4}[./-](\d{1,2})", lowered)
    if iso:
        month = int(iso.group(1))
    elif numeric:
        month = int(numeric.group(1)) if 1 <= int(numeric.group(1)) <= 12 else 0
    else:
        word = re.match(r"[a-z]+", lowered)
        if word:
            month = _MONTHS.get(word.group()[:3], 0)
    return resume_pb2.YearMonth(year=year, month=month), False


def _months_between(start: resume_pb2.YearMonth, end: resume_pb2.YearMonth) -> int:
    start_month = start.month or 1
    end_month = end.month or (12 if end.year != start.year or not start.month else start_month)
    return max(0, (end.year - start.year) * 12 + (end_month - start_month) + 1)


def merged_months(ranges: list[tuple[resume_pb2.YearMonth, resume_pb2.YearMonth]]) -> int:
    """Total months covered by the ranges, overlaps counted once."""
    spans = sorted(
        (s.year * 12 + (s.month or 1) - 1, e.year * 12 + (e.month or 12) - 1)
        for s, e in ranges
        if s.year and e.year and (e.year, e.month or 12) >= (s.year, s.month or 1)
    )
    total, current_start, current_end = 0, None, None
    for start, end in spans:
        if current_end is None or start > current_end + 1:
            if current_end is not None and current_start is not None:
                total += current_end - current_start + 1
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None and current_start is not None:
        total += current_end - current_start + 1
    return total


def _normalize_phone(raw: str) -> str:
    try:
        region = None if raw.strip().startswith("+") else "US"
        number = phonenumbers.parse(re.sub(r"[^\d+()]", " ", raw), region)
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    return re.sub(r"\s+", " ", raw).strip()


def _link_kind(url: str) -> str:
    lowered = url.lower()
    if "linkedin." in lowered:
        return "linkedin"
    if "github." in lowered or "gitlab." in lowered:
        return "github"
    return "portfolio"


_NOT_NAME_WORDS = {
    # Role words of job titles that are not also common surnames (a title line is not a name).
    *[
        "rep",
        "sales",
        "cashier",
        "worker",
        "operator",
        "aide",
        "therapist",
        "pharmacist",
        "physician",
        "counselor",
        "planner",
        "buyer",
        "merchandiser",
        "writer",
        "editor",
        "producer",
        "scientist",
        "researcher",
        "professor",
        "auditor",
        "bookkeeper",
        "underwriter",
        "adjuster",
        "paralegal",
        "secretary",
        "receptionist",
        "dispatcher",
        "inspector",
        "electrician",
        "plumber",
        "welder",
        "machinist",
        "attendant",
        "bartender",
        "agronomist",
        "strategist",
        "recruiter",
        "generalist",
        "president",
        "founder",
        "ceo",
        "cfo",
        "cto",
        "vp",
        "chief",
        "principal",
        "volunteer",
        "student",
        "apprentice",
        "trainee",
        "tutor",
        "educator",
        "caregiver",
        "technologist",
        "hygienist",
        "patient",
        "customer",
        "service",
        "accounts",
        "financial",
        "business",
        "project",
        "program",
        "product",
        "quality",
        "hr",
        "human",
        "resources",
        "information",
        "systems",
        "network",
        "digital",
        "office",
        "legal",
        "construction",
        "maintenance",
        "warehouse",
        "logistics",
        "retail",
        "store",
        "team",
        "member",
        "crew",
        "support",
        "operations",
        "marketing",
        "administrative",
        "clinical",
        "medical",
        "registered",
        "certified",
        "licensed",
        "entry",
        "level",
        "access",
        "care",
    ],
    "engineer",
    "manager",
    "specialist",
    "accountant",
    "teacher",
    "director",
    "intern",
    "analyst",
    "developer",
    "assistant",
    "consultant",
    "officer",
    "chef",
    "designer",
    "coordinator",
    "representative",
    "technician",
    "administrator",
    "supervisor",
    "associate",
    "executive",
    "nurse",
    "advocate",
    "attorney",
    "instructor",
    "agent",
    "co-op",
    "clerk",
    "driver",
    "mechanic",
    "cook",
    "trainer",
    "architect",
    "lead",
    "senior",
    "junior",
    "owner",
    "resume",
    "curriculum",
    "vitae",
    "cv",
    "overview",
    "summary",
    "profile",
    "objective",
    "career",
    "professional",
    "experience",
    "skills",
    "contact",
    "information",
    "personal",
    "details",
    "education",
    "highlights",
}


def _looks_like_name(line: str, taxonomy: SkillTaxonomy) -> bool:
    if EMAIL_RE.search(line) or any(ch.isdigit() for ch in line) or "http" in line.lower():
        return False
    if {w.lower().strip(".,:") for w in line.split()} & _NOT_NAME_WORDS:
        return False
    words = [w for w in re.split(r"\s+", line.strip()) if w]
    if len({w.lower() for w in words}) < len(words):
        return False  # "Concierge Concierge": a title written twice, not a name
    # Two to four words; one word only in a script without letter case (李伟, a Chinese name).
    caseless = bool(words) and all(_caseless(w) for w in words)
    if not (2 <= len(words) <= 4 or (len(words) == 1 and caseless and 2 <= len(words[0]) <= 6)):
        return False
    if _heading_name(line) is not None or line.rstrip().endswith((".", ",", ":")):
        return False
    # Every word a name word in any script ("Ana de la Cruz" allows short particles), none of them a skill.
    particles = {"de", "la", "del", "van", "von", "da", "di", "le", "bin", "al", "ibn", "dos", "das"}
    if not all(_name_word(w) or w in particles for w in words):
        return False
    # A skill line is not a name; but one skill-like word in a longer name (Nguyễn Thị Lan) is a name,
    # and ambiguous skills (Ruby, Julia) are not counted.
    hits = taxonomy.find(line)
    return not (len(hits) >= 2 or (hits and len(words) <= 2))


def _caseless(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and not any(c.isupper() or c.islower() for c in letters)


def _name_word(word: str) -> bool:
    """A word of a person's name: letters of any script (with ' . - inside), capitalized where the
    script has letter case (Ørsted, Nguyễn, Дмитрий), as is in scripts that have none (محمد, 李伟)."""
    letters = re.sub(r"['’.-]", "", word)
    if not letters or not all(c.isalpha() for c in letters):
        return False
    return _caseless(word) or word[0].isupper()


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if c.isalnum() or c.isspace())


def _name_evidence(candidate: str, email_local: str, body: str) -> tuple[int, bool]:
    """How far a name-shaped header line looks like the person rather than their job title: how many of
    its words the email address holds (folded local part), and whether the body (folded) repeats the
    line, as it repeats a title in the experience section and never a name."""
    folded = _folded(candidate)
    named = sum(1 for w in folded.split() if len(w) >= 2 and w in email_local)
    return named, bool(folded) and folded in body


def collapse_letter_spacing(line: str) -> str:
    """ "J O H N   S M I T H" -> "JOHN SMITH": single characters apart by one space, words by wider gaps."""
    stripped = line.strip()
    if re.fullmatch(r"(?:\S ){2,}\S(?:\s{2,}(?:\S ){1,}\S)*", stripped):
        return " ".join(part.replace(" ", "") for part in re.split(r"\s{2,}", stripped))
    return line


def extract_contact(header: list[str], text: str, taxonomy: SkillTaxonomy) -> resume_pb2.Contact:
    contact = resume_pb2.Contact()
    email = EMAIL_RE.search(text)
    top_lines = header[:8] + text.splitlines()[:15]
    if email:
        contact.email = email.group()
    else:
        # OCR's usual misreadings of an address, repaired where the line has its shape.
        contact.email = recover_email(top_lines + text.splitlines()[-10:])
    for line in top_lines:
        phone = PHONE_RE.search(line)
        if phone and sum(ch.isdigit() for ch in phone.group()) >= 10:
            contact.phone = _normalize_phone(phone.group())
            break
    if not contact.phone:
        misread = recover_phone(top_lines)
        if misread:
            contact.phone = _normalize_phone(misread)
    top = header[:6] + text.splitlines()[:6]
    # A first and a last name stacked on two lines (sidebar layouts) are one name.
    top = [
        f"{line} {top[i + 1]}"
        if i + 1 < len(top)
        and re.fullmatch(r"[A-ZÀ-Þ][\w'-]+", line)
        and re.fullmatch(r"[A-ZÀ-Þ][\w'-]+", top[i + 1])
        else line
        for i, line in enumerate(top)
    ]
    # A name stands at the top of a resume (its first two lines) or is named by the email address; a
    # name-shaped line further down is a title, a heading or a skill ("Core Qualifications"). A line the
    # body repeats (a job title heading the resume and again its latest role) is not a name unless the
    # email names it. The email's words count for a line, a repeat in the body against it; ties go to the
    # earlier line.
    email_local = _folded(re.sub(r"[._-]", " ", contact.email.partition("@")[0]))
    body = _folded("\n".join(text.splitlines()[len(header) :]))
    scored = []
    for position, candidate in enumerate(collapse_letter_spacing(line) for line in top):
        if not _looks_like_name(candidate, taxonomy):
            continue
        named, repeated = _name_evidence(candidate, email_local, body)
        if (position < 2 or named) and (named or not repeated):
            scored.append((2 * named - 2 * repeated, -position, candidate))
    if scored:
        best = max(scored)[2]
        contact.name = " ".join(w.capitalize() if w.isupper() else w for w in best.split())
    seen: set[str] = set()
    for match in URL_RE.finditer(text):
        url = match.group().rstrip(".")
        if "@" in text[max(0, match.start() - 1) : match.start() + 1] or url.lower() in seen:
            continue
        if email and url in email.group():
            continue
        seen.add(url.lower())
        contact.links.add(kind=_link_kind(url), url=url)
    for line in header[:8]:
        # A place stands on a contact line (with the email, phone or | separators) or on a short line of
        # its own; "MS Word, MS Excel" in a skills line is not one.
        if not (EMAIL_RE.search(line) or PHONE_RE.search(line) or "|" in line or len(line) <= 40):
            continue
        location = re.search(r"\b([A-Z][a-zA-Z .]+,\s*(?:[A-Z]{2}|[A-Z][a-z]+))\b", line)
        if location and not EMAIL_RE.search(location.group()):
            contact.location = location.group(1).strip()
            break
    return contact


def _strip_bullet(line: str) -> tuple[str, bool]:
    match = _BULLET_RE.match(line)
    return (line[match.end() :].strip(), True) if match else (line.strip(), False)


def _join_split_ranges(lines: list[str]) -> list[str]:
    """Rejoin a date range broken over lines ("June 2022 –" ... "Present"), as margin columns print them."""
    out = list(lines)
    # "January 2011" / "to" / "Current": a range printed one part per line.
    point_alone = re.compile(rf"^\s*{_POINT}\s*$", re.I)
    connector_alone = re.compile(r"^\s*(?:-|–|—|to|until|through|a|al|hasta)\s*$", re.I)
    for i in range(len(out) - 2):
        if point_alone.match(out[i]) and connector_alone.match(out[i + 1]):
            out[i], out[i + 1] = f"{out[i].strip()} -", ""
    out = [line for line in out if line]
    open_range = re.compile(rf"^\s*(?P<start>{_POINT})\s*[-–—]\s*(?=\s{{2}}|$)", re.I)
    closing = re.compile(rf"^\s*(?P<end>{_POINT}|{_PRESENT})(?=\s{{2}}|\s*$)", re.I)
    for i, line in enumerate(out):
        opened = open_range.match(line)
        if not opened:
            continue
        for j in range(i + 1, min(i + 10, len(out))):
            closed = closing.match(out[j])
            if closed:
                out[i] = f"{opened.group('start')} - {closed.group('end')}{line[opened.end() :]}"
                out[j] = out[j][closed.end() :].strip()
                break
            if j > i + 1 and out[j].strip() and open_range.match(out[j]):
                break
    return [line for line in out if line]


def _title_like(line: str) -> bool:
    """A job title or company line, as opposed to a wrapped sentence of an entry's description."""
    text, bullet = _strip_bullet(line)
    if bullet or not text or len(text) > 80 or text.rstrip().endswith((".", ";")) or text[0].islower():
        return False
    words = [w for w in re.findall(r"[A-Za-zÀ-ÿ][\w'&/-]*", text) if len(w) > 3]
    capitalized = sum(1 for w in words if w[0].isupper())
    return len(text.split()) <= 12 and (not words or capitalized >= 0.5 * len(words))


# The end of a place: a state or province code, a country, or a way of working.
_PLACE_END = re.compile(
    r"(?:[A-Z]{2}|USA|U\.S\.A?\.?|UK|United States|United Kingdom|Canada|Spain|España|Mexico|México|"
    r"Germany|France|India|Australia|Remote|Hybrid|On-site|Remoto)",
)
_WORKPLACES = {"remote", "hybrid", "on-site", "onsite", "remoto"}
# Words that make a heading piece a job title (a company or department name has none of them).
_ROLE_TEXT = (
    "engineer manager specialist accountant teacher director intern analyst developer assistant "
    "consultant officer chef designer coordinator representative rep technician administrator "
    "supervisor associate executive nurse advocate attorney instructor agent clerk driver mechanic "
    "cook trainer architect lead cashier worker operator aide therapist pharmacist physician "
    "counselor planner buyer merchandiser writer editor producer scientist researcher professor "
    "auditor bookkeeper underwriter adjuster paralegal secretary receptionist dispatcher inspector "
    "electrician plumber welder machinist attendant bartender agronomist strategist recruiter "
    "generalist president founder ceo cfo cto vp chief volunteer apprentice trainee tutor educator "
    "caregiver technologist hygienist head owner principal senior junior ingeniero ingeniera "
    "desarrollador desarrolladora gerente analista contador contadora enfermero enfermera profesor "
    "profesora director directora asistente consultor consultora"
)
_ROLE_WORDS = frozenset(_ROLE_TEXT.split())
# What anonymised resumes and templates write in place of an employer and a place.
_PLACEHOLDER = re.compile(r"\b(Company Name|City\s*,\s*State)\b")


def _peel_place(piece: str) -> tuple[list[str], str]:
    """A heading piece split at its commas, with a trailing place ("Seattle, WA") taken off."""
    tokens = [t.strip() for t in piece.split(",") if t.strip()]
    if tokens and tokens[-1].lower() in _WORKPLACES:
        return tokens[:-1], tokens[-1]
    if len(tokens) >= 2 and _PLACE_END.fullmatch(tokens[-1]) and len(tokens[-2].split()) <= 3:
        return tokens[:-2], f"{tokens[-2]}, {tokens[-1]}"
    return tokens, ""


def _is_role(piece: str) -> bool:
    words = {w.lower().strip(".,") for w in re.findall(r"[\w.'-]+", piece)}
    return bool(words & _ROLE_WORDS)


def _head_parts(head_lines: list[str]) -> list[str]:
    """Title, company and place from an entry's heading lines, in any order and with any separator
    (pipes, dashes, "at", "@", tabs, commas): the place is recognized by its shape, the title by its role
    word (engineer, manager, nurse...), the company is what is left."""
    pieces: list[str] = []
    place = ""
    for line in head_lines:
        for raw in re.split(r"\s{2,}|\t|\s[|–—•·-]\s|\s+@\s+|\s+at\s+|\s*\|\s*", line):
            for part in _PLACEHOLDER.split(raw):
                part = part.strip(" .|-–—•·()")
                if not part or re.fullmatch(r"[\W\d]*", part):
                    continue
                if _PLACEHOLDER.fullmatch(part) and part != "Company Name":
                    place = place or "City, State"
                    continue
                rest, found = _peel_place(part)
                place = place or found
                pieces.extend(p.strip(" .()") for p in rest if p.strip(" .()"))
    if not pieces:
        return [place] if place else []
    named = [p for p in pieces if p != "Company Name"]  # a placeholder is a company, never a title
    title = next((p for p in named if _is_role(p)), named[0] if named else "")
    others = [p for p in pieces if p is not title]
    company = others[0] if others else ""
    if not place and len(others) > 1:
        place = others[1]
    parts = [title, company, place]
    while parts and not parts[-1]:
        parts.pop()
    return parts


def _incomplete(head_lines: list[str]) -> bool:
    """A heading still missing a title and a company of its own ("Company Name - City, State" names a
    company and a place, and its title stands on another line)."""
    parts = _head_parts(head_lines)
    return len(parts) < 2 or not parts[0] or not parts[1]


def _entry_bounds(
    lines: list[str], anchors: list[int], n: int, match: re.Match[str], date_first: bool
) -> tuple[list[str], int, int, int]:
    """Where the n-th entry's heading and body lie: its heading lines, where the entry starts, and the
    first line and the end of its body."""
    anchor = anchors[n]
    previous_end = anchors[n - 1] + 1 if n else 0
    next_anchor = anchors[n + 1] if n + 1 < len(anchors) else len(lines)
    own_line = lines[anchor][: match.start()] + "  " + lines[anchor][match.end() :]
    if date_first:
        body_start = min(anchor + 2, next_anchor)
        return [own_line, *lines[anchor + 1 : body_start]], anchor, body_start, next_anchor
    head_start = anchor
    # A line that already names title and company (a table row) needs nothing from above.
    while (
        _incomplete([own_line])
        and head_start > previous_end
        and anchor - head_start < 2
        and _title_like(lines[head_start - 1])
    ):
        head_start -= 1
    head_lines = [*lines[head_start:anchor], own_line]
    body_start = anchor + 1
    # The title, or the company, may follow the date line.
    while (
        _incomplete(head_lines)
        and body_start < next_anchor
        and body_start - anchor <= 2
        and len(lines[body_start]) <= 90
        and _title_like(lines[body_start])
    ):
        head_lines.append(lines[body_start])
        body_start += 1
    body_end = next_anchor
    if n + 1 < len(anchors):
        # Leave the next entry's title lines to it.
        k = next_anchor
        while k > body_start and next_anchor - k < 2 and _title_like(lines[k - 1]):
            k -= 1
        body_end = k
    return head_lines, head_start, body_start, body_end


def parse_experience(lines: list[str], as_of: date) -> list[resume_pb2.ExperienceEntry]:
    """Split an experience section into entries, each anchored on its date range.

    Two styles are recognized: title lines just above (or on) the date line, and a date line
    standing alone before its title line (dates in a margin column). A current role ("Present")
    ends in the month of as_of.
    """
    lines = _join_split_ranges(lines)
    anchors = [i for i, line in enumerate(lines) if DATE_RANGE_RE.search(line)]
    if not anchors:
        return []

    def date_only(index: int) -> bool:
        match = DATE_RANGE_RE.search(lines[index])
        assert match is not None
        return not re.sub(r"[\W\d_]", "", lines[index][: match.start()] + lines[index][match.end() :])

    date_first = (
        sum(
            1
            for i in anchors
            if date_only(i)
            and i + 1 < len(lines)
            and not _strip_bullet(lines[i + 1])[1]
            and (i == 0 or i - 1 in anchors or _strip_bullet(lines[i - 1])[1] or len(lines[i - 1]) > 90)
        )
        > len(anchors) / 2
    )
    entries: list[resume_pb2.ExperienceEntry] = []
    for n, anchor in enumerate(anchors):
        match = DATE_RANGE_RE.search(lines[anchor])
        assert match is not None
        head_lines, head_start, body_start, body_end = _entry_bounds(lines, anchors, n, match, date_first)
        start, _ = _to_year_month(match.group("start"), as_of)
        end, current = _to_year_month(match.group("end"), as_of)
        if start.year and end.year and (start.year, start.month or 1) > (end.year, end.month or 12):
            # A range written backwards is read forwards; a current role starting later ends at its start.
            start, end = (start, start) if current else (end, start)
        parts = _head_parts(head_lines)
        entry = resume_pb2.ExperienceEntry(start=start, end=end, current=current)
        if parts:
            entry.title = parts[0]
        if len(parts) > 1:
            entry.company = parts[1]
        if len(parts) > 2:
            entry.location = parts[2]
        for line in lines[body_start:body_end]:
            bullet, _ = _strip_bullet(line)
            if bullet:
                entry.bullets.append(bullet)
        entry.duration_months = _months_between(start, end) if start.year and end.year else 0
        entry.text = "\n".join(lines[head_start:body_end])
        entries.append(entry)
    return entries


def parse_education(lines: list[str]) -> list[resume_pb2.EducationEntry]:
    entries: list[resume_pb2.EducationEntry] = []
    current: resume_pb2.EducationEntry | None = None
    for line in lines:
        degree = DEGREE_RE.search(line)
        institution = INSTITUTION_RE.search(line)
        if (degree and (current is None or current.degree)) or (
            institution and (current is None or current.institution)
        ):
            current = resume_pb2.EducationEntry()
            entries.append(current)
        if current is None:
            continue
        current.text = (current.text + "\n" + line).strip()
        if degree and not current.degree:
            current.degree = line.strip()
            field = re.search(r"\b(?:in|of)\s+([A-Z][\w &/]+)", line[degree.end() :])
            if field:
                current.field = field.group(1).strip(" ,")
        if institution and not current.institution:
            current.institution = line.strip()
        years = re.findall(r"\b(19[5-9]\d|20[0-4]\d)\b", line)
        if years:
            current.end.year = int(years[-1])
            if len(years) > 1:
                current.start.year = int(years[0])
    return entries


def parse_projects(lines: list[str], taxonomy: SkillTaxonomy) -> list[resume_pb2.Project]:
    projects: list[resume_pb2.Project] = []
    for line in lines:
        text, bullet = _strip_bullet(line)
        title_like = not bullet and len(text) <= 80 and not text.endswith(".")
        if title_like or not projects:
            name, _, rest = text.partition(":") if ":" in text[:60] else (text, "", "")
            if " - " in name and not rest:
                name, _, rest = name.partition(" - ")
            projects.append(resume_pb2.Project(name=name.strip(), description=rest.strip()))
        else:
            projects[-1].description = (projects[-1].description + " " + text).strip()
    for project in projects:
        blob = f"{project.name} {project.description}"
        project.technologies.extend(hit.name for hit in taxonomy.find(blob, include_ambiguous=True))
        project.links.extend(m.group() for m in URL_RE.finditer(blob))
    return projects


def extract_skills(
    sections: list[Section], text: str, taxonomy: SkillTaxonomy
) -> list[resume_pb2.SkillMention]:
    """Skills named in a skills section (ambiguous names allowed there) and anywhere in the text."""
    mentions: dict[str, resume_pb2.SkillMention] = {}
    for section in sections:
        if section.name != "skills":
            continue
        for line in section.lines:
            for item in re.split(r"[,;|•●▪/]|\s{2,}|\band\b", _strip_bullet(line)[0]):
                item = item.strip(" .:-")
                if not item or len(item) > 40:
                    continue
                skill = taxonomy.canonical(item)
                if skill is not None:
                    mentions.setdefault(
                        skill.name,
                        resume_pb2.SkillMention(
                            name=skill.name, raw=item, family=skill.family, in_taxonomy=True
                        ),
                    )
                else:
                    for hit in taxonomy.find(item, include_ambiguous=True):
                        mentions.setdefault(
                            hit.name,
                            resume_pb2.SkillMention(
                                name=hit.name, raw=hit.raw, family=hit.family, in_taxonomy=True
                            ),
                        )
                    if not taxonomy.find(item, include_ambiguous=True) and len(item.split()) <= 4:
                        key = item.lower()
                        mentions.setdefault(
                            key, resume_pb2.SkillMention(name=item, raw=item, in_taxonomy=False)
                        )
    for hit in taxonomy.find(text):
        mentions.setdefault(
            hit.name, resume_pb2.SkillMention(name=hit.name, raw=hit.raw, family=hit.family, in_taxonomy=True)
        )
    return list(mentions.values())


def heading_language(sections: list[Section]) -> str:
    spanish = sum(1 for s in sections if normalize_text(s.heading).strip(" :-|•") in _SPANISH_HEADINGS)
    return "es" if spanish > len(sections) / 2 else "en"


def structure_resume(text: str, taxonomy: SkillTaxonomy, as_of: date) -> resume_pb2.ParsedResume:
    """Build the ParsedResume for a resume's clean text; as_of is the date "Present" stands for."""
    header, sections = split_sections(text)
    parsed = resume_pb2.ParsedResume(full_text=text, language=heading_language(sections))
    parsed.contact.CopyFrom(extract_contact(header, text, taxonomy))
    by_name: dict[str, list[str]] = {}
    for section in sections:
        by_name.setdefault(section.name, []).extend(section.lines)
    for name, lines in by_name.items():
        parsed.sections[name] = "\n".join(lines)
    headline_candidates = [
        line
        for line in header[:6]
        if line != parsed.contact.name
        and not EMAIL_RE.search(line)
        and not PHONE_RE.search(line)
        and not URL_RE.search(line)
        and 3 <= len(line) <= 80
        and line != parsed.contact.location
        and not protected.find(line)  # "Date of birth: ..." is not what the candidate does
    ]
    if headline_candidates:
        parsed.headline = headline_candidates[0]
    parsed.summary = " ".join(by_name.get("summary", []))[:2000]
    parsed.experience.extend(parse_experience(by_name.get("experience", []), as_of))
    parsed.education.extend(parse_education(by_name.get("education", [])))
    parsed.projects.extend(parse_projects(by_name.get("projects", []), taxonomy))
    # A name is not a skill (Nguyễn Thị Lan names no network): the name line is not searched for skills.
    named = parsed.contact.name.strip()
    skill_text = "\n".join(line for line in text.splitlines() if not named or line.strip() != named)
    parsed.skills.extend(extract_skills(sections, skill_text, taxonomy))
    parsed.certifications.extend(_strip_bullet(line)[0] for line in by_name.get("certifications", []) if line)
    parsed.languages.extend(
        item.strip()
        for line in by_name.get("languages", [])
        for item in re.split(r"[,;|]", line)
        if item.strip()
    )
    ranges = [(e.start, e.end) for e in parsed.experience]
    parsed.total_years_experience = round(merged_months(ranges) / 12.0, 1)
    if parsed.total_years_experience:
        parsed.years_source = "dates"
    elif stated := stated_years(parsed.summary or text[:3000]):
        parsed.total_years_experience, parsed.years_source = stated, "stated"
    return parsed


# "10 years of Information Technology experience", "over 8 years' experience", "15+ years of experience".
_STATED_YEARS = re.compile(
    r"(?<![\d.])(\d{1,2}(?:\.\d)?)\+?\s*(?:years?|yrs?)['’]?\s+(?:of\s+)?(?:[\w&/,-]+\s+){0,5}?experience\b"
    r"|(?<![\d.])(\d{1,2})\+?\s*años\s+de\s+experiencia\b",
    re.I,
)


def stated_years(text: str) -> float:
    """The largest number of years of experience the candidate states, for a resume without dated
    entries; 0 when none is stated (or the number is implausible)."""
    found = [float(a or b) for a, b in _STATED_YEARS.findall(text)]
    found = [years for years in found if 0 < years <= 50]
    return max(found, default=0.0)
