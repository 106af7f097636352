import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type {
  AccountUsage,
  AuditPage,
  BiasAudit,
  BiasGroup,
  CounterfactualAudit,
  DemographicsUploaded,
  JobList,
  RetentionOut,
} from "../api/types";
import { Notice } from "../components/Layout";
import { formatWhen, saveBlob, useAction, useLoad, useTitle } from "../hooks";

const PAGE_SIZE = 50;
const DIMENSIONS: Record<string, string> = {
  sex: "Sex",
  race_ethnicity: "Race/ethnicity",
  sex_and_race_ethnicity: "Sex and race/ethnicity",
};

const percent = (value: number | null | undefined) => (value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`);
const ratio = (value: number | null | undefined) => (value === null || value === undefined ? "–" : value.toFixed(2));

/** The audit trail, bias audits, the counterfactual audit and retention: the records a team keeps. */
export function CompliancePage() {
  useTitle("Records and audits");
  return (
    <section>
      <h1>Records and audits</h1>
      <p>
        What was done with Screener and by whom, whether it treats groups of candidates alike, and how long it keeps
        their data. <a href="/docs">The API</a> gives the same; docs/compliance.md explains each figure.
      </p>
      <BiasAuditPanel />
      <AuditTrail />
      <RetentionPanel />
      <UsagePanel />
    </section>
  );
}

function AuditTrail() {
  const [params, setParams] = useSearchParams();
  const action = params.get("action") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? 1) || 1);
  const trail = useLoad(
    (signal) => api.get<AuditPage>("/api/audit", { action, page, page_size: PAGE_SIZE }, signal),
    [action, page],
  );
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== "page") next.delete("page");
    setParams(next, { replace: true });
  };
  const pages = Math.max(1, Math.ceil((trail.data?.total ?? 0) / PAGE_SIZE));
  return (
    <section aria-labelledby="trail" className="panel">
      <h2 id="trail">Audit trail</h2>
      <p className="hint">
        Every act that matters, oldest first, each entry chained to the one before by its hash (check the chain with
        <code> screener audit verify</code>).
      </p>
      <div className="inline-form">
        <label>
          Action
          <select aria-label="Action" value={action} onChange={(e) => set("action", e.target.value)}>
            <option value="">All</option>
            {["auth", "job", "batch", "resume", "decision", "export", "analysis", "key", "candidate", "bias_audit", "retention"].map(
              (kind) => (
                <option key={kind} value={kind}>
                  {kind.replace("_", " ")}
                </option>
              ),
            )}
          </select>
        </label>
        <button
          type="button"
          className="secondary"
          onClick={async () => saveBlob((await api.blob("/api/audit/export", { action, format: "csv" })).blob, "audit.csv")}
        >
          Export CSV
        </button>
      </div>
      {trail.error && <Notice kind="error">{trail.error}</Notice>}
      <div className="table-wrap">
        <table className="audit">
          <caption className="sr-only">Audit trail entries</caption>
          <thead>
            <tr>
              <th scope="col" className="num">#</th>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">By</th>
              <th scope="col">From</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {trail.data?.items.map((e) => (
              <tr key={e.seq}>
                <td className="num">{e.seq}</td>
                <td>{formatWhen(e.at)}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  {e.object_type === "resume" ? (
                    <Link to={`/resumes/${e.object_id}`}>resume {e.object_id.slice(0, 8)}</Link>
                  ) : e.object_type === "job" ? (
                    <Link to={`/jobs/${e.object_id}`}>job {e.object_id.slice(0, 8)}</Link>
                  ) : (
                    `${e.object_type} ${e.object_id.slice(0, 8)}`
                  )}
                </td>
                <td>{e.actor_id ? (e.api_key_id ? "you, with an API key" : "you") : "the system"}</td>
                <td>{e.client}</td>
                <td className="small details">{JSON.stringify(e.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav className="pager" aria-label="Pages of the trail">
          <button type="button" className="secondary" disabled={page <= 1} onClick={() => set("page", String(page - 1))}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" className="secondary" disabled={page >= pages} onClick={() => set("page", String(page + 1))}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

function RateBar({ value, label }: { value: number; label: string }) {
  return (
    <svg viewBox="0 0 100 10" width="120" height="12" role="img" aria-label={label} className="rate-bar">
      <rect x="0" y="0" width="100" height="10" fill="#eef1f5" />
      <rect x="0" y="0" width={Math.max(0, Math.min(100, value * 100))} height="10" fill="#0b57d0" />
    </svg>
  );
}

function GroupRow({ group }: { group: BiasGroup }) {
  const flagged = new Set(group.below_four_fifths);
  const cell = (rate: number, impact: number | null | undefined, name: string) => (
    <td className={flagged.has(name) ? "flag" : undefined}>
      <RateBar value={rate} label={`${name} rate ${percent(rate)}`} /> {percent(rate)} · ratio {ratio(impact)}
      {flagged.has(name) && <strong> under 4/5</strong>}
    </td>
  );
  return (
    <tr data-category={group.category}>
      <th scope="row">
        {group.category.replace(/_/g, " ")}
        {group.small && <span className="tag">under 2%</span>}
      </th>
      <td className="num">{group.candidates}</td>
      {cell(group.selection_rate, group.selection_impact_ratio, "selection")}
      {cell(group.shortlist_rate, group.shortlist_impact_ratio, "shortlist")}
      {cell(group.scoring_rate, group.scoring_impact_ratio, "scoring")}
    </tr>
  );
}

function BiasAuditPanel() {
  const jobs = useLoad((signal) => api.get<JobList>("/api/jobs", undefined, signal), []);
  const [jobId, setJobId] = useState("");
  const [report, setReport] = useState<BiasAudit | null>(null);
  const [uploaded, setUploaded] = useState<DemographicsUploaded | null>(null);
  const [counterfactual, setCounterfactual] = useState<CounterfactualAudit | null>(null);
  const { busy, error, run } = useAction();
  const audit = () => run(async () => setReport(await api.get<BiasAudit>(`/api/jobs/${jobId}/bias-audit`)));
  const upload = (file: File | undefined) =>
    file &&
    run(async () => {
      const form = new FormData();
      form.append("file", file, file.name);
      setUploaded(await api.request<DemographicsUploaded>("POST", `/api/jobs/${jobId}/demographics`, { body: form }));
      setReport(await api.get<BiasAudit>(`/api/jobs/${jobId}/bias-audit`));
    });

  return (
    <section aria-labelledby="bias" className="panel">
      <h2 id="bias">Bias audit</h2>
      <p className="hint">
        Selection, shortlist and scoring rates with impact ratios for each sex, race/ethnicity and their intersections,
        from the demographic data candidates chose to give (Local Law 144's method). The data is never used to rank.
      </p>
      <form
        className="inline-form"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void audit();
        }}
      >
        <label>
          Job
          <select aria-label="Job" value={jobId} onChange={(e) => setJobId(e.target.value)} required>
            <option value="">Choose a job</option>
            {jobs.data?.items.map((job) => (
              <option key={job.id} value={job.id}>
                {job.title}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={!jobId || busy}>
          Run the audit
        </button>
        <label>
          Demographic data (CSV)
          <input type="file" accept=".csv,text/csv" disabled={!jobId || busy} onChange={(e) => void upload(e.target.files?.[0])} />
        </label>
        <button
          type="button"
          className="secondary"
          disabled={!jobId || busy}
          onClick={() =>
            void run(async () =>
              setCounterfactual(
                await api.post<CounterfactualAudit>(`/api/jobs/${jobId}/counterfactual-audit`, { resumes: 10 }),
              ),
            )
          }
        >
          Counterfactual audit
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {uploaded && (
        <Notice kind={uploaded.errors.length || uploaded.unmatched.length ? "info" : "ok"}>
          {uploaded.matched} candidates' data stored; {uploaded.unmatched.length} rows named no resume of the job;{" "}
          {uploaded.errors.length} rows could not be read
          {uploaded.errors.length > 0 && ` (line ${uploaded.errors.map((e) => e.line).join(", ")})`}.
        </Notice>
      )}
      {counterfactual && (
        <div className="counterfactual" role="status">
          <h3>Counterfactual audit</h3>
          <p>
            {counterfactual.resumes} resumes scored again under other names and with a protected attribute written in,
            nothing stored. Largest change: {counterfactual.changes.name?.largest ?? 0} points by name,{" "}
            {counterfactual.changes.attribute?.largest ?? 0} by attribute (means {counterfactual.changes.name?.mean ?? 0}{" "}
            and {counterfactual.changes.attribute?.mean ?? 0}).
          </p>
        </div>
      )}
      {report && (
        <div className="bias-report" data-testid="bias-report">
          <p>
            {report.candidates} candidates audited; median score {report.median_score ?? "–"}.{" "}
            <button
              type="button"
              className="link"
              onClick={async () =>
                saveBlob((await api.blob(`/api/jobs/${jobId}/bias-audit`, { format: "csv" })).blob, "bias-audit.csv")
              }
            >
              Download CSV
            </button>
          </p>
          {report.dimensions.map((dimension) => (
            <div className="table-wrap" key={dimension.dimension}>
              <table className="bias">
                <caption>
                  {DIMENSIONS[dimension.dimension]} ({dimension.unknown} without data)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Category</th>
                    <th scope="col" className="num">Candidates</th>
                    <th scope="col">Selection (passed)</th>
                    <th scope="col">Shortlisted</th>
                    <th scope="col">Scoring above the median</th>
                  </tr>
                </thead>
                <tbody>
                  {dimension.groups.map((group) => (
                    <GroupRow key={group.category} group={group} />
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

function RetentionPanel() {
  const retention = useLoad((signal) => api.get<RetentionOut>("/api/account/retention", undefined, signal), []);
  const [days, setDays] = useState("");
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.request("PUT", "/api/account/retention", { json: { retention_days: days === "" ? null : Number(days) } });
      await retention.reload();
      setDays("");
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="retention" className="panel">
      <h2 id="retention">Retention</h2>
      {retention.data && (
        <p>
          A closed job keeps its resumes for <strong>{retention.data.retention_days} days</strong>
          {retention.data.custom ? " (set for this account)" : " (the default)"}, then they are erased, unless the job is
          on legal hold.
        </p>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <form className="inline-form" onSubmit={save}>
        <label>
          Days (empty: the default of {retention.data?.default_days ?? "–"})
          <input type="number" min={0} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <button type="submit" className="secondary">
          Save
        </button>
      </form>
    </section>
  );
}

function UsagePanel() {
  const usage = useLoad((signal) => api.get<AccountUsage>("/api/account/usage", undefined, signal), []);
  if (!usage.data) return null;
  const rows: [string, { used: number; limit: number }][] = [
    ["Resumes stored", usage.data.resumes],
    ["Storage (bytes)", usage.data.storage_bytes],
    ["Batches started in the last hour", usage.data.batches_last_hour],
    ["Analysis tokens", usage.data.analysis_tokens],
  ];
  return (
    <section aria-labelledby="usage" className="panel">
      <h2 id="usage">Usage and quotas</h2>
      <table className="usage">
        <caption className="sr-only">What this account uses of each quota</caption>
        <thead>
          <tr>
            <th scope="col">Quota</th>
            <th scope="col" className="num">Used</th>
            <th scope="col" className="num">Limit</th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, { used, limit }]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{used.toLocaleString()}</td>
              <td className="num">{limit.toLocaleString()}</td>
              <td>
                <RateBar value={limit ? used / limit : 0} label={`${name}: ${percent(limit ? used / limit : 0)} used`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
