import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type { JobCreate, JobOut, JobPreview } from "../api/types";
import { Notice } from "../components/Layout";
import { SkillsInput } from "../components/SkillsInput";
import { useTitle } from "../hooks";
import { draftOf } from "./Jobs";

export const WEIGHTS = [
  ["title", "Title fit", "how close the candidate's roles are to this job's"],
  ["experience", "Experience", "years and relevance of past roles"],
  ["semantic", "Meaning", "how closely the resume's content matches the description"],
  ["lexical", "Words", "the job's key terms found in the resume"],
  ["skills", "Skills", "required and preferred skills found"],
] as const;
const RULES = [
  ["required_skills", "Required skills rule"],
  ["min_years", "Minimum years rule"],
  ["education", "Education rule"],
] as const;
const EDUCATION = [
  ["", "Not required (or read from the description)"],
  ["high_school", "High school"],
  ["associate", "Associate degree"],
  ["bachelor", "Bachelor's degree"],
  ["master", "Master's degree"],
  ["doctorate", "Doctorate"],
] as const;

const EMPTY: JobCreate = {
  title: "",
  description: "",
  required_skills: [],
  preferred_skills: [],
  min_years_experience: 0,
  blind_screening: false,
  weights: {},
  rules: {},
  required_education: "",
  token_budget: null,
  auto_analyze_top_k: 0,
  candidate_notice: "",
};

const draftKey = (jobId: string | undefined) => `screener.draft.${jobId ?? "new"}`;

function storedDraft(jobId: string | undefined): JobCreate | null {
  const raw = sessionStorage.getItem(draftKey(jobId));
  try {
    return raw ? (JSON.parse(raw) as JobCreate) : null;
  } catch {
    return null;
  }
}

export function JobEditorPage() {
  const { jobId } = useParams();
  const navigate = useNavigate();
  const [job, setJob] = useState<JobOut | null>(null);
  const [draft, setDraft] = useState<JobCreate>(() => storedDraft(jobId) ?? EMPTY);
  const [restored, setRestored] = useState(() => storedDraft(jobId) !== null);
  const [preview, setPreview] = useState<JobPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useTitle(jobId ? `Edit ${job?.title ?? "job"}` : "New job");

  useEffect(() => {
    if (!jobId) return;
    api
      .get<JobOut>(`/api/jobs/${jobId}`)
      .then((found) => {
        setJob(found);
        if (!storedDraft(jobId)) setDraft(draftOf(found));
      })
      .catch((e) => setError(messageOf(e)));
  }, [jobId]);

  // Kept while editing, so a session that ends mid-edit loses nothing.
  useEffect(() => {
    const pristine = JSON.stringify(draft) === JSON.stringify(job ? draftOf(job) : EMPTY);
    if (pristine) sessionStorage.removeItem(draftKey(jobId));
    else sessionStorage.setItem(draftKey(jobId), JSON.stringify(draft));
  }, [draft, job, jobId]);

  const body = useMemo(() => ({ ...draft, title: draft.title.trim() || "Untitled job" }), [draft]);
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .request<JobPreview>("POST", "/api/jobs/preview", { json: body, signal: controller.signal })
        .then((p) => {
          setPreview(p);
          setPreviewError(null);
        })
        .catch((e) => {
          if (!controller.signal.aborted) setPreviewError(messageOf(e));
        });
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [body]);

  const set = <K extends keyof JobCreate>(key: K, value: JobCreate[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const processed = job ? job.completed_resumes : 0;

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (jobId) {
        const saved = await api.patch<JobOut>(`/api/jobs/${jobId}`, draft);
        sessionStorage.removeItem(draftKey(jobId));
        navigate(`/jobs/${saved.id}`, { state: { rescoring: saved.rescore_batch_id ?? null } });
      } else {
        const saved = await api.post<JobOut>("/api/jobs", draft);
        sessionStorage.removeItem(draftKey(jobId));
        navigate(`/jobs/${saved.id}`);
      }
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const ruleExplanation = (rule: string) => preview?.rules.find((r) => r.rule === rule);

  return (
    <section>
      <p className="crumbs">
        <Link to="/">Jobs</Link> {job && <>/ <Link to={`/jobs/${job.id}`}>{job.title}</Link></>}
      </p>
      <h1>{jobId ? "Edit job" : "New job"}</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {restored && (
        <Notice>
          Your unsaved changes were kept.{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              setDraft(job ? draftOf(job) : EMPTY);
              setRestored(false);
            }}
          >
            Discard them
          </button>
        </Notice>
      )}
      {processed > 0 && (
        <Notice>
          This job has {processed} ranked resume{processed === 1 ? "" : "s"}. Saving a change to what scores them
          re-scores every one from what is stored (nothing is read again); you will see it happen on the job's page.
        </Notice>
      )}
      <div className="editor">
        <form onSubmit={save} className="stack" aria-label="Job">
          <label>
            Title
            <input required maxLength={300} value={draft.title} onChange={(e) => set("title", e.target.value)} />
          </label>
          <div className="field">
            <label htmlFor="job-description">Description</label>
            <textarea
              id="job-description"
              rows={8}
              maxLength={50000}
              value={draft.description ?? ""}
              onChange={(e) => set("description", e.target.value)}
              aria-describedby="description-hint"
            />
          </div>
          <p id="description-hint" className="hint">
            Paste the posting: skills, years and education it states are read from it (see the preview).
          </p>
          <SkillsInput
            label="Required skills"
            value={draft.required_skills ?? []}
            onChange={(v) => set("required_skills", v)}
          />
          <SkillsInput
            label="Preferred skills"
            value={draft.preferred_skills ?? []}
            onChange={(v) => set("preferred_skills", v)}
          />
          <div className="row">
            <label>
              Minimum years of experience
              <input
                type="number"
                min={0}
                max={60}
                step={0.5}
                value={draft.min_years_experience ?? 0}
                onChange={(e) => set("min_years_experience", Number(e.target.value))}
              />
            </label>
            <label>
              Education required
              <select
                aria-label="Education required"
                value={draft.required_education ?? ""}
                onChange={(e) => set("required_education", e.target.value as JobCreate["required_education"])}
              >
                {EDUCATION.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset>
            <legend>Weights (0 to 10; empty keeps the default)</legend>
            <div className="weights">
              {WEIGHTS.map(([key, name, what]) => (
                <div key={key} className="field">
                  <label htmlFor={`weight-${key}-input`}>{name}</label>
                  <input
                    id={`weight-${key}-input`}
                    type="number"
                    min={0}
                    max={10}
                    step={0.05}
                    value={draft.weights?.[key] ?? ""}
                    placeholder={preview ? String(preview.weights[key] ?? "") : ""}
                    aria-describedby={`weight-${key}`}
                    onChange={(e) =>
                      set("weights", {
                        ...draft.weights,
                        [key]: e.target.value === "" ? null : Number(e.target.value),
                      })
                    }
                  />
                  <span id={`weight-${key}`} className="hint">
                    {what}
                  </span>
                </div>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Knock-out rules</legend>
            {RULES.map(([key, name]) => {
              const inForce = ruleExplanation(key);
              return (
                <div key={key} className="rule">
                  <label>
                    {name}
                    <select
                      aria-label={name}
                      value={draft.rules?.[key] ?? ""}
                      aria-describedby={`rule-${key}`}
                      onChange={(e) =>
                        set("rules", {
                          ...draft.rules,
                          [key]: e.target.value === "" ? null : (e.target.value as "hard" | "soft" | "off"),
                        })
                      }
                    >
                      <option value="">Default{inForce ? ` (${inForce.severity})` : ""}</option>
                      <option value="hard">Hard: a candidate who fails it ranks below all who pass</option>
                      <option value="soft">Soft: failing it costs 10% of the score</option>
                      <option value="off">Off</option>
                    </select>
                  </label>
                  <p id={`rule-${key}`} className="hint">
                    {inForce?.explanation ?? ""}
                  </p>
                </div>
              );
            })}
          </fieldset>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.blind_screening ?? false}
              onChange={(e) => set("blind_screening", e.target.checked)}
            />
            Blind screening: hide names and contact details in the table; revealing one is a deliberate act
          </label>
          <div className="row">
            <label>
              LLM budget (tokens; empty: no limit of the job's own)
              <input
                type="number"
                min={0}
                value={draft.token_budget ?? ""}
                onChange={(e) => set("token_budget", e.target.value === "" ? null : Number(e.target.value))}
              />
            </label>
            <label>
              Analyze the top K after each batch
              <input
                type="number"
                min={0}
                max={500}
                value={draft.auto_analyze_top_k ?? 0}
                onChange={(e) => set("auto_analyze_top_k", Number(e.target.value))}
              />
            </label>
          </div>
          <div className="field">
            <label htmlFor="job-notice">Notice to candidates</label>
            <textarea
              id="job-notice"
              rows={4}
              maxLength={10000}
              value={draft.candidate_notice ?? ""}
              aria-describedby="notice-hint"
              onChange={(e) => set("candidate_notice", e.target.value)}
            />
            <p id="notice-hint" className="hint">
              What you publish to candidates about this screening. Empty: Screener writes one from the job (what is
              assessed, what is never used, that a person decides, how to ask for another process); see it with
              GET /api/jobs/&#123;id&#125;/notice.
            </p>
          </div>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy}>
              {jobId ? "Save changes" : "Create job"}
            </button>
            <Link to={jobId ? `/jobs/${jobId}` : "/"} className="button secondary">
              Cancel
            </Link>
          </div>
        </form>
        <aside className="preview" aria-labelledby="preview-title" aria-live="polite">
          <h2 id="preview-title">What Screener will read from this job</h2>
          {previewError && <Notice kind="error">{previewError}</Notice>}
          {preview && <PreviewPanel preview={preview} />}
        </aside>
      </div>
    </section>
  );
}

function PreviewPanel({ preview }: { preview: JobPreview }) {
  const derived = new Set(preview.derived);
  const from = (field: string) => (derived.has(field) ? <span className="tag">from the description</span> : null);
  return (
    <dl className="facts">
      <dt>Required skills {from("skills")}</dt>
      <dd>{preview.required_skills.join(", ") || "none"}</dd>
      <dt>Preferred skills</dt>
      <dd>{preview.preferred_skills.join(", ") || "none"}</dd>
      <dt>Minimum years {from("min_years")}</dt>
      <dd>{preview.min_years}</dd>
      <dt>Seniority</dt>
      <dd>{preview.seniority || "not stated"}</dd>
      <dt>Education {from("education")}</dt>
      <dd>{preview.education || "none required"}</dd>
      <dt>Weights (they sum to 1)</dt>
      <dd>
        <ul className="plain">
          {WEIGHTS.map(([key, name]) => (
            <li key={key}>
              {name}: {(preview.weights[key] ?? 0).toFixed(2)}
            </li>
          ))}
        </ul>
      </dd>
      <dt>Rules in force</dt>
      <dd>
        <ul className="plain">
          {preview.rules.map((r) => (
            <li key={r.rule}>
              <strong>{r.severity}</strong> · {r.explanation}
            </li>
          ))}
        </ul>
      </dd>
    </dl>
  );
}
