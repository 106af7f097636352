import { useCallback, useRef, useState } from "react";
import { Link, useLocation, useParams } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type { BatchOut, JobOut } from "../api/types";
import { BatchProgress } from "../components/BatchProgress";
import { Notice } from "../components/Layout";
import { RankedTable } from "../components/RankedTable";
import { UploadPanel } from "../components/UploadPanel";
import { formatWhen, saveBlob, useLoad, useTitle } from "../hooks";

export function JobPage() {
  const { jobId = "" } = useParams();
  const location = useLocation();
  const rescoring = (location.state as { rescoring?: string | null } | null)?.rescoring ?? null;
  const job = useLoad((signal) => api.get<JobOut>(`/api/jobs/${jobId}`, undefined, signal), [jobId]);
  const [batchId, setBatchId] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [finished, setFinished] = useState<string | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const lastRefresh = useRef(0);
  useTitle(job.data?.title ?? "Job");

  const following = batchId ?? job.data?.running_batch_id ?? rescoring ?? null;
  const isRescore = following !== null && following === rescoring && !batchId;

  // Rows fill in as they are ranked: the table is read again at most once a second while a batch runs.
  const onProgress = useCallback(() => {
    const now = Date.now();
    if (now - lastRefresh.current > 1000) {
      lastRefresh.current = now;
      setRefreshKey((k) => k + 1);
    }
  }, []);
  const onDone = useCallback(
    (batch: BatchOut) => {
      setFinished(`${batch.completed} ranked and ${batch.failed} failed of ${batch.total}.`);
      setBatchId(null);
      setRefreshKey((k) => k + 1);
      void job.reload();
    },
    [job],
  );

  async function change(fields: { closed?: boolean; legal_hold?: boolean }) {
    setError(null);
    try {
      await api.patch(`/api/jobs/${jobId}`, fields);
      await job.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  async function start() {
    setError(null);
    setFinished(null);
    try {
      const batch = await api.post<BatchOut>("/api/batches", { job_id: jobId });
      setBatchId(batch.id);
      setWaiting(0);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  if (job.error && !job.data) return <Notice kind="error">{job.error}</Notice>;
  if (!job.data) return <p className="muted">Loading…</p>;
  const j = job.data;
  return (
    <section>
      <p className="crumbs">
        <Link to="/">Jobs</Link>
      </p>
      <div className="page-head">
        <h1>
          {j.title}
          {j.closed_at && <span className="tag">closed</span>}
          {j.legal_hold && <span className="tag">legal hold</span>}
        </h1>
        <div className="buttons">
          <Link className="button secondary" to={`/jobs/${j.id}/edit`}>
            Edit job
          </Link>
          <button
            type="button"
            className="secondary"
            onClick={async () =>
              saveBlob((await api.blob(`/api/jobs/${j.id}/notice`, { format: "text" })).blob, `notice-${j.id}.txt`)
            }
          >
            Notice to candidates
          </button>
          <button type="button" className="secondary" onClick={() => void change({ closed: !j.closed_at })}>
            {j.closed_at ? "Reopen job" : "Close job"}
          </button>
          <button type="button" className="secondary" onClick={() => void change({ legal_hold: !j.legal_hold })}>
            {j.legal_hold ? "Lift legal hold" : "Legal hold"}
          </button>
        </div>
      </div>
      {j.closed_at && (
        <Notice>
          Closed {formatWhen(j.closed_at)}.{" "}
          {j.legal_hold
            ? "On legal hold: its resumes are kept until the hold is lifted."
            : "Its resumes are erased once the account's retention period has passed (Records and audits)."}
        </Notice>
      )}
      <dl className="counters">
        <div>
          <dt>Resumes</dt>
          <dd>{j.total_resumes}</dd>
        </div>
        <div>
          <dt>Ranked</dt>
          <dd>{j.completed_resumes}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>{j.failed_resumes}</dd>
        </div>
        <div>
          <dt>Shortlisted</dt>
          <dd>{j.shortlisted_resumes ?? 0}</dd>
        </div>
        <div>
          <dt>Last update</dt>
          <dd className="small">{formatWhen(j.last_updated_at)}</dd>
        </div>
      </dl>
      {j.blind_screening && (
        <Notice>Blind screening: names and contact details are hidden. Open a candidate to reveal one, on purpose.</Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {finished && <Notice kind="ok">The batch finished: {finished}</Notice>}
      {following && (
        <BatchProgress
          key={following}
          batchId={following}
          label={isRescore ? "Re-scoring after your edit" : "Screening"}
          onProgress={onProgress}
          onDone={onDone}
        />
      )}
      <details className="panel" open={j.total_resumes === 0 || waiting > 0}>
        <summary>Add resumes</summary>
        <UploadPanel
          jobId={j.id}
          onUploaded={(accepted) => {
            setWaiting((w) => w + accepted);
            void job.reload();
          }}
        />
        <div className="buttons">
          <button type="button" className="primary" onClick={() => void start()} disabled={following !== null}>
            {waiting > 0 ? `Start screening (${waiting} new)` : "Start screening"}
          </button>
          <span className="hint">Ranks every resume of the job that has not been screened yet.</span>
        </div>
      </details>
      <h2>Ranked candidates</h2>
      <RankedTable job={j} refreshKey={refreshKey} />
    </section>
  );
}
