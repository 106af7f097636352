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
    scores = {key: np.array([r.final_score for r in values]) for key, values in results.items()}
    rows = {"Screener ranker": metrics(scores, ids, categories)}
    for component in ("semantic", "lexical", "skills", "experience", "title"):
        alone = {k: np.array([getattr(r.components, component) for r in v]) for k, v in results.items()}
        rows[f"  {component} component alone"] = metrics(alone, ids, categories)
    if not args.no_baselines:
        for name, values in baselines(embedder, ids, parsed, jobs).items():
            rows[name] = metrics(values, ids, categories)
    print(f"{'method':<32} {'NDCG@10':>8} {'P@10':>6} {'MAP':>6}")
    for name, row in rows.items():
        print(f"{name:<32} {row['NDCG@10']:8.3f} {row['P@10']:6.3f} {row['MAP']:6.3f}")
    pairs = len(ids) * len(jobs)
    print(
        f"\nranker: {pairs} resume-job pairs in {elapsed:.1f} s ({1000 * elapsed / pairs:.1f} ms per pair, "
        f"{embedder.computed} texts embedded, {embedder.cache_hits} from cache)"
    )
    rho, count = vacancy_spearman(data, scorer)
    print(f"vacancy-resume-matching: mean Spearman with annotators {rho:.3f} over {count} CV orderings")


if __name__ == "__main__":
    main()
