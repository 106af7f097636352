"""The skill taxonomy: one curated data file, one matcher, used by the extractor and the ranker."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

_EDGE = r"[a-z0-9+#]"


def normalize_text(text: str) -> str:
    """Lower-case, fold Unicode compatibility forms and collapse whitespace, for matching."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Skill:
    name: str
    family: str
    aliases: tuple[str, ...]
    ambiguous: bool


@dataclass(frozen=True)
class SkillHit:
    name: str
    family: str
    raw: str


class SkillTaxonomy:
    """Maps surface forms ("k8s", "React.js", "Microsoft Excel") to canonical skills."""

    def __init__(self, version: int, skills: list[Skill]) -> None:
        self.version = version
        self.skills = {skill.name: skill for skill in skills}
        self._by_form: dict[str, Skill] = {}
        for skill in skills:
            for form in (skill.name, *skill.aliases):
                key = normalize_text(form)
                other = self._by_form.get(key)
                if other is not None and other.name != skill.name:
                    raise ValueError(f"taxonomy form {form!r} names both {other.name} and {skill.name}")
                self._by_form[key] = skill
        forms = sorted(self._by_form, key=len, reverse=True)
        self._pattern = re.compile(
            rf"(?<!{_EDGE})(" + "|".join(re.escape(form) for form in forms) + rf")(?!{_EDGE})"
        )

    @classmethod
    def from_mapping(cls, data: dict) -> SkillTaxonomy:
        ambiguous = set(data.get("ambiguous", []))
        skills = [
            Skill(name=name, family=family, aliases=tuple(aliases or ()), ambiguous=name in ambiguous)
            for family, entries in data["families"].items()
            for name, aliases in entries.items()
        ]
        return cls(int(data.get("version", 1)), skills)

    def canonical(self, mention: str) -> Skill | None:
        """The skill a whole mention names exactly (after normalization), if any."""
        text = normalize_text(mention).strip(" .,;:()[]")
        skill = self._by_form.get(text)
        if skill is None and text.endswith("s"):
            skill = self._by_form.get(text[:-1])
        return skill

    def suggest(self, typed: str, limit: int = 10) -> list[Skill]:
        """Skills for what someone has typed so far: those whose name or an alias starts with it first,
        then those that contain it, each once, shortest name first."""
        text = normalize_text(typed)
        if not text:
            return []
        starts: dict[str, Skill] = {}
        contains: dict[str, Skill] = {}
        for form, skill in self._by_form.items():
            if form.startswith(text):
                starts.setdefault(skill.name, skill)
            elif text in form:
                contains.setdefault(skill.name, skill)
        by_length = lambda s: (len(s.name), s.name)  # noqa: E731
        ordered = sorted(starts.values(), key=by_length)
        ordered += sorted((s for name, s in contains.items() if name not in starts), key=by_length)
        return ordered[:limit]

    def find(self, text: str, *, include_ambiguous: bool = False) -> list[SkillHit]:
        """Every distinct skill mentioned in free text, in order of first mention."""
        seen: dict[str, SkillHit] = {}
        for match in self._pattern.finditer(normalize_text(text)):
            skill = self._by_form[match.group(1)]
            if skill.ambiguous and not include_ambiguous:
                continue
            if skill.name not in seen:
                seen[skill.name] = SkillHit(skill.name, skill.family, match.group(1))
        return list(seen.values())

    def canonical_name(self, mention: str) -> str:
        """The canonical name for a mention, or the cleaned mention itself when it is not in the taxonomy."""
        skill = self.canonical(mention)
        return skill.name if skill else re.sub(r"\s+", " ", mention).strip(" .,;:")


@lru_cache(maxsize=1)
def load_taxonomy() -> SkillTaxonomy:
    """The taxonomy shipped with the package (services/common/data/skills.yaml)."""
    text = resources.files("services.common").joinpath("data/skills.yaml").read_text(encoding="utf-8")
    return SkillTaxonomy.from_mapping(yaml.safe_load(text))
