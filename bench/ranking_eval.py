"""Ranking quality on real resumes, through the ranker's own code path, with baselines beside it.

    python -m bench.ranking_eval [--data ../shared/data]

1. ../shared/data/ranking: 192 anonymised resumes, one job per category (jobs.yaml); a resume is
   relevant to a job when its category matches. Every job ranks all 192; NDCG@10, P@10 and MAP are
   averaged over the 24 jobs, for the ranker and for three baselines computed in the same run:
   TF-IDF cosine, MiniLM on the first 256 word pieces, MiniLM over 150-word chunks (max and mean).
2. ../shared/data/vacancy-resume-matching (Vanetik and Kogan, 2023, GPL-3.0): 5 job postings and
   two annotators' orderings of them for CVs 1-30; Spearman correlation between the ranker's
   ordering of the 5 postings and each annotator's, averaged.
Also prints the ranker's time per resume-job pair.

The ranker's figures are in the ranked order the product shows (a candidate failing a knock-out rule
below every one who passes), in-sample (the shipped weights were chosen looking at these resumes), by raw
score, and cross-validated: weights chosen on 12 categories' jobs by a grid search (steps of 0.1) and
measured on the other 12, both ways, the halves alternating in alphabetical order.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from screener.v1 import resume_pb2
from services.common.skills import load_taxonomy
from services.extractor.fingerprint import extractor_version
from services.extractor.isolated import parse_document
from services.extractor.reading import DocumentReader
from services.extractor.structure import structure_resume
from services.ranker.embedding import Embedder
from services.ranker.scoring import Scorer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CACHE = Path(__file__).resolve().parents[1] / ".screener" / "cache" / "ranking-parsed"
# "Present" in the resumes means this month, so the figures do not drift with the calendar.
AS_OF = date(2026, 11, 1)


def cache_key(content: bytes, version: str, as_of: date = AS_OF) -> str:
    """A parse is reused only for the same file, extractor code and reference date."""
    return hashlib.sha256(b"|".join([content, version.encode(), as_of.isoformat().encode()])).hexdigest()


def ndcg_at(ranked: list[bool], k: int, relevant_total: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, rel in enumerate(ranked[:k]) if rel)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, relevant_total)))
    return dcg / ideal if ideal else 0.0


def average_precision(ranked: list[bool], relevant_total: int) -> float:
    hits, total = 0, 0.0
    for i, rel in enumerate(ranked):
        if rel:
            hits += 1
            total += hits / (i + 1)
    return total / relevant_total if relevant_total else 0.0


def metrics(scores: dict[str, np.ndarray], ids: list[str], categories: dict[str, str]) -> dict[str, float]:
    """scores: job key -> one score per resume id (same order as ids)."""
    ndcg, p10, ap = [], [], []
    for job_key, values in scores.items():
        order = sorted(range(len(ids)), key=lambda i: (-values[i], ids[i]))
        ranked = [categories[ids[i]] == job_key for i in order]
        relevant = sum(ranked)
        ndcg.append(ndcg_at(ranked, 10, relevant))
        p10.append(sum(ranked[:10]) / 10)
        ap.append(average_precision(ranked, relevant))
    return {"NDCG@10": float(np.mean(ndcg)), "P@10": float(np.mean(p10)), "MAP": float(np.mean(ap))}


def load_parsed(data: Path) -> tuple[list[str], dict[str, str], dict[str, resume_pb2.ParsedResume]]:
    reader = DocumentReader()
    taxonomy = load_taxonomy()
    version = extractor_version()
    CACHE.mkdir(parents=True, exist_ok=True)
    ids, categories, parsed = [], {}, {}
    with open(data / "ranking" / "labels.csv") as handle:
        for row in csv.DictReader(handle):
            content = (data / "ranking" / row["path"]).read_bytes()
            cached = CACHE / f"{cache_key(content, version)}.pb"
            if cached.exists():
                resume = resume_pb2.ParsedResume.FromString(cached.read_bytes())
            else:
                resume = parse_document(reader, taxonomy, content, as_of=AS_OF)
                cached.write_bytes(resume.SerializeToString())
            ids.append(row["id"])
            categories[row["id"]] = row["category"]
            parsed[row["id"]] = resume
    reader.close()
    return ids, categories, parsed


def job_specs(data: Path) -> dict[str, resume_pb2.JobSpec]:
    jobs = yaml.safe_load((data / "ranking" / "jobs.yaml").read_text())
    return {
        key: resume_pb2.JobSpec(
            job_id=key,
            title=job["title"],
            description=job["description"],
            required_skills=job.get("required_skills", []),
            preferred_skills=job.get("preferred_skills", []),
            min_years_experience=float(job.get("min_years", 0)),
        )
        for key, job in jobs.items()
    }


def baselines(
    embedder: Embedder,
    ids: list[str],
    parsed: dict[str, resume_pb2.ParsedResume],
    jobs: dict[str, resume_pb2.JobSpec],
) -> dict[str, dict[str, np.ndarray]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [parsed[i].full_text for i in ids]
    job_texts = {k: f"{j.title}\n{j.description}\n{', '.join(j.required_skills)}" for k, j in jobs.items()}
    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit(texts + list(job_texts.values()))
    resume_matrix = tfidf.transform(texts)
    model = embedder.model
    first = model.encode(texts, batch_size=16, normalize_embeddings=True)
    chunk_vectors = []
    for text in texts:
        words = text.split()
        chunks = [" ".join(words[s : s + 150]) for s in range(0, len(words), 150)] or [" "]
        chunk_vectors.append(model.encode(chunks, batch_size=16, normalize_embeddings=True))
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for key, text in job_texts.items():
        out["TF-IDF cosine"][key] = (resume_matrix @ tfidf.transform([text]).T).toarray().ravel()
        job_vector = model.encode([text], normalize_embeddings=True)[0]
        out["MiniLM first 256 tokens"][key] = first @ job_vector
        out["MiniLM 150-word chunks, max"][key] = np.array(
            [float((c @ job_vector).max()) for c in chunk_vectors]
        )
        out["MiniLM 150-word chunks, mean"][key] = np.array(
            [float((c @ job_vector).mean()) for c in chunk_vectors]
        )
    return out


def vacancy_spearman(data: Path, scorer: Scorer) -> tuple[float, int]:
    from scipy.stats import spearmanr

    folder = data / "vacancy-resume-matching"
    # The annotation array lists vacancy numbers (rows of 5_vacancies.csv, from 1) best first.
    vacancies: dict[int, resume_pb2.JobSpec] = {}
    with open(folder / "5_vacancies.csv") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            vacancies[number] = resume_pb2.JobSpec(
                job_id=row["id"], title=row["job_title"], description=row["job_description"]
            )
    cvs = {}
    with open(folder / "cv_texts.csv") as handle:
        for row in csv.DictReader(handle):
            cvs[row["cv_id"]] = structure_resume(row["text"], load_taxonomy(), AS_OF)
    orderings: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    with open(folder / "annotations_long.csv") as handle:
        for row in csv.DictReader(handle):
            if row["is_valid_permutation"] == "True":
                orderings[(row["cv_id"], row["annotator"])][int(row["value"])] = int(row["array_index"])
    correlations = []
    for (cv_id, _), ranks in orderings.items():
        if cv_id not in cvs or len(ranks) < 5:
            continue
        ids = sorted(ranks)
        ours = [-scorer.rank(vacancies[v], cvs[cv_id]).final_score for v in ids]
        rho = spearmanr(ours, [ranks[v] for v in ids]).statistic
        if not math.isnan(rho):
            correlations.append(rho)
    return float(np.mean(correlations)), len(correlations)


COMPONENTS = ("semantic", "lexical", "skills", "experience", "title")


def component_arrays(
    results: dict[str, list[resume_pb2.RankResult]],
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per job: the components (resumes x 5), the soft-rule multipliers, who passed, which components the
    job uses (a job without skills does not score them)."""
    arrays = {}
    for key, values in results.items():
        components = np.array([[getattr(r.components, name) for name in COMPONENTS] for r in values])
        penalty = np.array([r.components.soft_penalty for r in values])
        passed = np.array([r.passed for r in values], dtype=bool)
        used = np.array([getattr(values[0].weights, name) > 0 for name in COMPONENTS], dtype=float)
        arrays[key] = (components, penalty, passed, used)
    return arrays


def reweighted(arrays: dict, weights: dict[str, float]) -> dict[str, np.ndarray]:
    """The ranked order every job would have with other weights, from the components already computed:
    the score with those weights, failed knock-outs below passes (as the ranked table orders them)."""
    vector = np.array([weights[name] for name in COMPONENTS])
    scores = {}
    for key, (components, penalty, passed, used) in arrays.items():
        w = vector * used
        score = 100 * penalty * (components @ w) / (w.sum() or 1.0)
        scores[key] = score + 1000.0 * passed
    return scores


def weight_grid(step: float = 0.1) -> list[dict[str, float]]:
    """Every way to split 1 among the five components in steps of `step`."""
    units = round(1 / step)
    grid = []

    def split(left: int, names: tuple[str, ...], chosen: dict[str, float]) -> None:
        if len(names) == 1:
            grid.append({**chosen, names[0]: left * step})
            return
        for part in range(left + 1):
            split(left - part, names[1:], {**chosen, names[0]: part * step})

    split(units, COMPONENTS, {})
    return grid


def cross_validated(
    results: dict[str, list[resume_pb2.RankResult]], ids: list[str], categories: dict[str, str]
) -> tuple[dict[str, float], list[tuple[list[str], dict[str, float]]]]:
    """Weights chosen on half of the categories (by NDCG@10 of their jobs), measured on the other half's
    jobs, both ways; the halves alternate in alphabetical order. Returns the held-out metrics averaged
    over all 24 jobs, and each fold's chosen weights."""
    arrays = component_arrays(results)
    keys = sorted(results)
    halves = [keys[0::2], keys[1::2]]
    grid = weight_grid()
    held_out: dict[str, list[float]] = defaultdict(list)
    folds = []
    for train, test in (halves, halves[::-1]):
        train_arrays = {k: arrays[k] for k in train}
        best = max(grid, key=lambda w: metrics(reweighted(train_arrays, w), ids, categories)["NDCG@10"])
        folds.append((test, best))
        measured = metrics(reweighted({k: arrays[k] for k in test}, best), ids, categories)
        for name, value in measured.items():
            held_out[name].append(value)
    return {name: float(np.mean(values)) for name, values in held_out.items()}, folds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    data = Path(args.data)
    ids, categories, parsed = load_parsed(data)
    jobs = job_specs(data)
    embedder = Embedder(threads=2)
    scorer = Scorer(embedder, load_taxonomy())
    started = time.perf_counter()
    results = {key: [scorer.rank(job, parsed[i]) for i in ids] for key, job in jobs.items()}
    elapsed = time.perf_counter() - started
    # The ranked order the product shows: candidates failing a knock-out below those who pass.
    scores = {
        key: np.array([r.final_score + (1000.0 if r.passed else 0.0) for r in values])
        for key, values in results.items()
    }
    raw = {key: np.array([r.final_score for r in values]) for key, values in results.items()}
    held_out, folds = cross_validated(results, ids, categories)
    rows = {
        "Screener ranker (in-sample)": metrics(scores, ids, categories),
        "  by raw score": metrics(raw, ids, categories),
        "  cross-validated (12/12 categories)": held_out,
    }
    for component in ("semantic", "lexical", "skills", "experience", "title"):
        alone = {k: np.array([getattr(r.components, component) for r in v]) for k, v in results.items()}
        rows[f"  {component} component alone"] = metrics(alone, ids, categories)
    if not args.no_baselines:
        for name, values in baselines(embedder, ids, parsed, jobs).items():
            rows[name] = metrics(values, ids, categories)
    print(f"{'method':<32} {'NDCG@10':>8} {'P@10':>6} {'MAP':>6}")
    for name, row in rows.items():
        print(f"{name:<32} {row['NDCG@10']:8.3f} {row['P@10']:6.3f} {row['MAP']:6.3f}")
    for test, weights in folds:
        print(
            "  weights chosen without "
            + ", ".join(test[:3])
            + f", ... ({len(test)}): "
            + ", ".join(f"{name} {value:.1f}" for name, value in weights.items())
        )
    pairs = len(ids) * len(jobs)
    print(
        f"\nranker: {pairs} resume-job pairs in {elapsed:.1f} s ({1000 * elapsed / pairs:.1f} ms per pair, "
        f"{embedder.computed} texts embedded, {embedder.cache_hits} from cache)"
    )
    rho, count = vacancy_spearman(data, scorer)
    print(f"vacancy-resume-matching: mean Spearman with annotators {rho:.3f} over {count} CV orderings")


if __name__ == "__main__":
    main()
