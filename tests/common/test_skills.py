"""The shared skill taxonomy."""

from __future__ import annotations

import pytest

from services.common.skills import SkillTaxonomy, load_taxonomy


def test_aliases_map_to_canonical_names() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.canonical_name("k8s") == "Kubernetes"
    assert taxonomy.canonical_name("JS") == "JavaScript"
    assert taxonomy.canonical_name("Postgres") == "PostgreSQL"
    assert taxonomy.canonical_name("Microsoft Excel") == "Excel"
    assert taxonomy.canonical_name("Underwater Basket Weaving") == "Underwater Basket Weaving"


def test_find_respects_word_edges_and_ambiguous_words() -> None:
    taxonomy = load_taxonomy()
    found = [h.name for h in taxonomy.find("Wrote C++ and C# services; ready to go; JavaScript, not Java.")]
    assert found == ["C++", "C#", "JavaScript", "Java"]
    assert "Go" not in found
    assert "Go" in [h.name for h in taxonomy.find("Go, Rust", include_ambiguous=True)]


def test_a_form_naming_two_skills_is_refused() -> None:
    with pytest.raises(ValueError, match="names both"):
        SkillTaxonomy.from_mapping({"families": {"a": {"One": ["x"], "Two": ["x"]}}})
