import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type {
  Analysis,
  AnalysisAccepted,
  Decision,
  DecisionHistory,
  DecisionOut,
  ExperienceEntry,
  JobOut,
  Parsed,
  Ranking,
  ResumeDetail,
  YearMonth,
} from "../api/types";
import { Notice } from "../components/Layout";
import { candidateLabel, decisionText } from "../components/RankedTable";
import { ScoreChart } from "../components/ScoreChart";
import { formatWhen, saveBlob, useLoad, useTitle } from "../hooks";

const PREVIEWABLE = ["application/pdf", "image/png", "image/jpeg"];
const FLAG_TEXT: Record<string, string> = {
  invisible_color: "Text in the page's background colour (hidden from readers), removed before scoring",
  tiny_text: "Text too small to read, removed before scoring",
  outside_page: "Text placed outside the page, removed before scoring",
  invisible_text: "Invisible text, removed before scoring",
  prompt_injection: "Instructions addressed to an AI screener, ignored",
};

export function when(date?: YearMonth, current?: boolean): string {
  if (current) return "now";
  if (!date?.year) return "?";
  return date.month ? `${date.year}-${String(date.month).padStart(2, "0")}` : String(date.year);
}

/** The lines of the resume's text that hold any of the evidence, by line number. */
export function evidenceLines(text: string, evidence: string[]): Set<number> {
  const wanted = evidence.map((e) => e.trim().toLowerCase()).filter((e) => e.length >= 2);
  const hits = new Set<number>();
  text.split("\n").forEach((line, i) => {
    const lower = line.toLowerCase();
    if (wanted.some((e) => lower.includes(e) || (e.length > 20 && e.includes(lower.trim()) && lower.trim().length > 20))) {
      hits.add(i);
    }
  });
  return hits;
}

export function CandidatePage() {
  const { resumeId = "" } = useParams();
  const [reveal, setReveal] = useState(false);
  const detail = useLoad(
    (signal) => api.get<ResumeDetail>(`/api/resumes/${resumeId}`, reveal ? { reveal: true } : undefined, signal),
    [resumeId, reveal],
  );
  const d = detail.data;
  const job = useLoad(
    (signal) => (d ? api.get<JobOut>(`/api/jobs/${d.job_id}`, undefined, signal) : Promise.resolve(null)),
    [d?.job_id],
  );
  const ranking = (d?.ranking ?? {}) as Ranking;
  const parsed = (d?.parsed ?? {}) as Parsed;
  const blind = job.data?.blind_screening ?? false;
  useTitle(d ? candidateLabel({ candidate_name: d.candidate_name, rank: d.rank }, blind) : "Candidate");

  const evidence = useMemo(
    () => [...(ranking.skill_matches ?? []).map((m) => m.evidence ?? ""), ...(ranking.evidence ?? [])].filter(Boolean),
    [ranking],
  );

  if (detail.error && !d) return <Notice kind="error">{detail.error}</Notice>;
  if (!d) return <p className="muted">Loading…</p>;
  const score = d.final_score ?? null;
  return (
    <article className="candidate-page">
      <p className="crumbs">
        <Link to="/">Jobs</Link> / <Link to={`/jobs/${d.job_id}`}>{job.data?.title ?? "Job"}</Link>
      </p>
      <header className="page-head">
        <div>
          <h1>{candidateLabel({ candidate_name: d.candidate_name, rank: d.rank }, blind || d.redacted)}</h1>
          <p className="muted">
            {d.filename} · uploaded {formatWhen(d.created_at)}
            {d.rank ? ` · rank ${d.rank}` : ""}
          </p>
        </div>
        <div className="headline-score">
          {score !== null && (
            <p className="big-score" aria-label={`Score ${score.toFixed(1)} out of 100`}>
              {score.toFixed(1)}
            </p>
          )}
          {d.passed === true && <span className="badge pass">Passed the screen</span>}
          {d.passed === false && <span className="badge fail">Failed a knock-out rule</span>}
          <span className={`decision ${d.decision ?? "none"}`}>{decisionText(d.decision)}</span>
        </div>
      </header>
      {d.redacted && (
        <Notice>
          Personal details are hidden (blind screening).{" "}
          <button
            type="button"
            className="secondary"
            onClick={() => {
              if (window.confirm("Reveal this candidate's name and contact details? Do so only when you need them.")) {
                setReveal(true);
              }
            }}
          >
            Reveal candidate
          </button>
        </Notice>
      )}
      {d.status === "failed" && d.failure && (
        <Notice kind="error">This resume could not be processed: {d.failure.message ?? d.failure.code}</Notice>
      )}
      {(ranking.summary || d.explanation) && <p className="summary">{ranking.summary ?? d.explanation}</p>}
      <div className="columns">
        <div className="main-column">
          {ranking.terms && score !== null && (
            <section aria-labelledby="breakdown">
              <h2 id="breakdown">How the score is made</h2>
              <ScoreChart terms={ranking.terms} score={score} />
            </section>
          )}
          <Rules ranking={ranking} />
          <Skills ranking={ranking} />
          <Experience entries={parsed.experience ?? []} ranking={ranking} parsed={parsed} />
          <Education parsed={parsed} />
          <ResumeText text={parsed.full_text ?? ""} evidence={evidence} />
          <OriginalFile detail={d} />
        </div>
        <aside className="side-column">
          <DecisionPanel resumeId={d.id} onDecided={() => void detail.reload()} />
          <AnalysisPanel detail={d} onChange={() => void detail.reload()} />
          <Quality detail={d} />
        </aside>
      </div>
    </article>
  );
}

function Rules({ ranking }: { ranking: Ranking }) {
  if (!ranking.rules?.length) return null;
  return (
    <section aria-labelledby="rules">
      <h2 id="rules">Knock-out rules</h2>
      <ul className="rules">
        {ranking.rules.map((r) => (
          <li key={r.rule} className={r.passed ? "pass" : "fail"}>
            <span className={`badge ${r.passed ? "pass" : "fail"}`}>{r.passed ? "Met" : "Not met"}</span>{" "}
            <strong>{r.rule.replace(/_/g, " ")}</strong> ({r.severity}): {r.detail}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Skills({ ranking }: { ranking: Ranking }) {
  const matches = ranking.skill_matches ?? [];
  if (!matches.length) return null;
  const group = (required: boolean) => matches.filter((m) => Boolean(m.required) === required);
  const table = (rows: typeof matches, title: string) =>
    rows.length > 0 && (
      <table className="skills">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Skill</th>
            <th scope="col">Found</th>
            <th scope="col">Where</th>
            <th scope="col">The resume's words</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.skill} className={m.matched ? "pass" : "fail"}>
              <th scope="row">{m.skill}</th>
              <td>{m.matched ? (m.how === "semantic" ? "related wording" : "yes") : "missing"}</td>
              <td>{m.matched ? m.where : ""}</td>
              <td>{m.matched && m.evidence ? <q>{m.evidence}</q> : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  return (
    <section aria-labelledby="skills">
      <h2 id="skills">Skills</h2>
      {table(group(true), "Required")}
      {table(group(false), "Preferred")}
    </section>
  );
}

function Experience({ entries, ranking, parsed }: { entries: ExperienceEntry[]; ranking: Ranking; parsed: Parsed }) {
  if (!entries.length) return null;
  const relevance = (i: number) => ranking.items?.find((item) => item.kind === "experience" && (item.index ?? 0) === i);
  return (
    <section aria-labelledby="experience">
      <h2 id="experience">Experience</h2>
      {parsed.total_years_experience !== undefined && (
        <p className="muted">
          {parsed.total_years_experience.toFixed(1)} years in all
          {parsed.years_source === "stated" ? " (as the candidate states it: no dated entries)" : ""}
        </p>
      )}
      <ol className="timeline">
        {entries.map((e, i) => {
          const r = relevance(i);
          return (
            <li key={i}>
              <p className="when">
                {when(e.start)} – {when(e.end, e.current)}
                {e.duration_months ? ` · ${Math.round(e.duration_months / 1.2) / 10} years` : ""}
              </p>
              <p>
                <strong>{e.title || "Role"}</strong>
                {e.company ? `, ${e.company}` : ""}
                {e.location ? ` · ${e.location}` : ""}
              </p>
              {r && (
                <p className="relevance">
                  <label>
                    Relevance to this job: {Math.round(r.score ?? 0)}%
                    <meter min={0} max={100} value={r.score ?? 0} />
                  </label>
                </p>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function Education({ parsed }: { parsed: Parsed }) {
  if (!parsed.education?.length && !parsed.certifications?.length) return null;
  return (
    <section aria-labelledby="education">
      <h2 id="education">Education</h2>
      <ul className="plain">
        {parsed.education?.map((e, i) => (
          <li key={i}>
            <strong>{[e.degree, e.field].filter(Boolean).join(", ") || "Education"}</strong>
            {e.institution ? `, ${e.institution}` : ""} {e.end?.year ? `(${when(e.end)})` : ""}
          </li>
        ))}
        {parsed.certifications?.map((c) => (
          <li key={c}>Certification: {c}</li>
        ))}
      </ul>
    </section>
  );
}

function ResumeText({ text, evidence }: { text: string; evidence: string[] }) {
  const hits = useMemo(() => evidenceLines(text, evidence), [text, evidence]);
  if (!text) return null;
  return (
    <section aria-labelledby="text">
      <h2 id="text">The resume's text</h2>
      <p className="hint">Highlighted: the lines the score's evidence comes from ({hits.size}).</p>
      <div className="resume-text" tabIndex={0} aria-label="The resume's text, evidence highlighted">
        {text.split("\n").map((line, i) =>
          hits.has(i) ? (
            <mark key={i} className="line">
              {line || " "}
            </mark>
          ) : (
            <span key={i} className="line">
              {line || " "}
            </span>
          ),
        )}
      </div>
    </section>
  );
}

function OriginalFile({ detail }: { detail: ResumeDetail }) {
  const [page, setPage] = useState(1);
  const [pages, setPages] = useState(1);
  const [image, setImage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canPreview = PREVIEWABLE.includes(detail.content_type);

  useEffect(() => {
    if (!canPreview) return;
    let url: string | null = null;
    let live = true;
    api
      .blob(`/api/resumes/${detail.id}/preview`, { page })
      .then(({ blob, response }) => {
        if (!live) return;
        url = URL.createObjectURL(blob);
        setImage(url);
        setPages(Number(response.headers.get("X-Page-Count") ?? 1));
      })
      .catch((e) => live && setError(messageOf(e)));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [detail.id, page, canPreview]);

  const download = async () => {
    try {
      const { blob } = await api.blob(`/api/resumes/${detail.id}/file`);
      saveBlob(blob, detail.filename);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  return (
    <section aria-labelledby="original">
      <h2 id="original">The original file</h2>
      <div className="buttons">
        <button type="button" className="secondary" onClick={() => void download()}>
          Download {detail.filename}
        </button>
        {canPreview && pages > 1 && (
          <nav aria-label="Pages of the file" className="pager">
            <button type="button" className="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              Previous page
            </button>
            <span>
              Page {page} of {pages}
            </span>
            <button type="button" className="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
              Next page
            </button>
          </nav>
        )}
      </div>
      {error && <p className="notice error">{error}</p>}
      {canPreview ? (
        image && <img className="page-image" src={image} alt={`Page ${page} of ${detail.filename}, as uploaded`} />
      ) : (
        <p className="muted">Word documents are not shown here; download the file to open it.</p>
      )}
      <p className="hint">Shown as a picture of each page: nothing in an uploaded file can run in your browser.</p>
    </section>
  );
}

function DecisionPanel({ resumeId, onDecided }: { resumeId: string; onDecided: () => void }) {
  const history = useLoad(
    (signal) => api.get<DecisionHistory>(`/api/resumes/${resumeId}/decisions`, undefined, signal),
    [resumeId],
  );
  // The decision being written is kept until it is saved, so a session that ends meanwhile loses nothing.
  const draftKey = `screener.decision.${resumeId}`;
  const kept = JSON.parse(sessionStorage.getItem(draftKey) ?? "{}") as { choice?: Decision; note?: string };
  const [choice, setChoice] = useState<Decision | "">(kept.choice ?? "");
  const [note, setNote] = useState(kept.note ?? "");
  useEffect(() => {
    if (choice || note) sessionStorage.setItem(draftKey, JSON.stringify({ choice, note }));
    else sessionStorage.removeItem(draftKey);
  }, [choice, note, draftKey]);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  async function decide(e: FormEvent) {
    e.preventDefault();
    if (!choice) return;
    setError(null);
    try {
      const out = await api.post<DecisionOut>(`/api/resumes/${resumeId}/decision`, { decision: choice, note });
      setSaved(`${decisionText(out.decision)}: saved.`);
      setNote("");
      setChoice("");
      await history.reload();
      onDecided();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section className="panel" aria-labelledby="decide">
      <h2 id="decide">Your decision</h2>
      <p className="hint">Screener ranks; a person decides. Every decision is kept with its note.</p>
      <form onSubmit={decide} className="stack">
        <fieldset className="choices">
          <legend className="sr-only">Decision</legend>
          {(["shortlist", "hold", "reject"] as Decision[]).map((value) => (
            <label key={value} className="check">
              <input type="radio" name="decision" value={value} checked={choice === value} onChange={() => setChoice(value)} />
              {decisionText(value).replace("Not decided", "")}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="decision-note">Note</label>
          <textarea id="decision-note" rows={3} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={!choice}>
          Save decision
        </button>
      </form>
      {error && <p className="notice error" role="alert">{error}</p>}
      {saved && <p className="notice ok" role="status">{saved}</p>}
      {history.data && history.data.items.length > 0 && (
        <>
          <h3>History</h3>
          <ol className="history">
            {history.data.items.map((h) => (
              <li key={h.id}>
                <strong>{decisionText(h.decision)}</strong> by {h.decided_by}, {formatWhen(h.created_at)}
                {h.note && <blockquote>{h.note}</blockquote>}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

function AnalysisPanel({ detail, onChange }: { detail: ResumeDetail; onChange: () => void }) {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = detail.analysis_status;
  const analysis = (detail.analysis ?? null) as Analysis | null;

  useEffect(() => {
    if (status !== "pending") return;
    const timer = setInterval(onChange, 2000);
    return () => clearInterval(timer);
  }, [status, onChange]);

  async function request() {
    setError(null);
    try {
      const accepted = await api.post<AnalysisAccepted>(`/api/resumes/${detail.id}/analysis`);
      setMessage(
        accepted.message ||
          (accepted.analysis_kind === "rule_based"
            ? "Requested: no language model is configured, so the rule-based analysis will write it."
            : "Requested."),
      );
      onChange();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  const cost = analysis ? (analysis.tokens_in ?? 0) + (analysis.tokens_out ?? 0) : 0;
  return (
    <section className="panel" aria-labelledby="analysis">
      <h2 id="analysis">Analysis</h2>
      {!analysis && status !== "pending" && (
        <>
          <p className="hint">A written assessment of this candidate for this job, on request.</p>
          <button type="button" className="secondary" onClick={() => void request()} disabled={detail.status !== "completed"}>
            Analyze this candidate
          </button>
        </>
      )}
      {status === "pending" && <p role="status">Analysis in progress…</p>}
      {status === "failed" && !analysis && <p className="notice error">The analysis failed; you can ask again.</p>}
      {message && <p className="muted" role="status">{message}</p>}
      {error && <p className="notice error" role="alert">{error}</p>}
      {analysis && (
        <div className="analysis">
          <p className="muted">
            {detail.analysis_label}.{" "}
            {analysis.offline
              ? "It cost nothing."
              : analysis.cached
                ? "From the cache: it cost nothing."
                : `It used ${cost.toLocaleString()} tokens (${analysis.tokens_in ?? 0} in, ${analysis.tokens_out ?? 0} out).`}
          </p>
          {analysis.summary && <p>{analysis.summary}</p>}
          {(
            [
              ["Strengths", analysis.strengths],
              ["Gaps", analysis.gaps],
              ["Risks", analysis.risks],
              ["Questions to ask", analysis.interview_questions],
            ] as const
          ).map(
            ([title, list]) =>
              list &&
              list.length > 0 && (
                <div key={title}>
                  <h3>{title}</h3>
                  <ul>
                    {list.map((item) => (
                      <li key={item}>{item}</li>
                    ))}
                  </ul>
                </div>
              ),
          )}
        </div>
      )}
    </section>
  );
}

function Quality({ detail }: { detail: ResumeDetail }) {
  const quality = detail.quality as { grade?: string; issues?: string[] } | null;
  const flags = (detail.flags ?? []) as { kind?: string; page?: number; text?: string }[];
  return (
    <section className="panel" aria-labelledby="quality">
      <h2 id="quality">How well it was read</h2>
      {quality?.grade && (
        <p>
          Parse quality: <strong>{quality.grade}</strong>
        </p>
      )}
      {quality?.issues && quality.issues.length > 0 && (
        <ul className="plain small">
          {quality.issues.map((i) => (
            <li key={i}>{i.replace(/_/g, " ")}</li>
          ))}
        </ul>
      )}
      {flags.length > 0 && (
        <>
          <h3>Flags</h3>
          <ul className="plain small flags">
            {flags.map((f, i) => (
              <li key={i}>
                {FLAG_TEXT[f.kind ?? ""] ?? f.kind}
                {f.page ? ` (page ${f.page})` : ""}
                {f.text ? (
                  <>
                    : <q>{f.text.slice(0, 160)}</q>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      )}
      {detail.withheld && (
        <>
          <h3>Not used for the score</h3>
          <p className="small">
            The resume states {detail.withheld.categories.join(", ") || "nothing of that kind"}
            {detail.withheld.photo ? " and carries a photo" : ""}. {detail.withheld.note}
          </p>
        </>
      )}
      {!quality?.grade && !flags.length && !detail.withheld && <p className="muted">Nothing to report.</p>}
    </section>
  );
}
