import { useEffect, useState, type KeyboardEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type { JobOut, ResumePage, ResumeRow } from "../api/types";
import { saveBlob, useLoad } from "../hooks";

export const PAGE_SIZE = 50;
const FILTERS = ["passed", "min_score", "skill", "decision", "q", "sort"] as const;

export function decisionText(decision: string | null | undefined): string {
  return { shortlist: "Shortlisted", hold: "On hold", reject: "Rejected" }[decision ?? ""] ?? "Not decided";
}

export function candidateLabel(row: { candidate_name?: string | null; rank?: number | null }, blind: boolean): string {
  if (row.candidate_name) return row.candidate_name;
  if (blind) return row.rank ? `Candidate #${row.rank} (masked)` : "Masked candidate";
  return "Name not found";
}

/** Focus the next or previous candidate link of the table with the arrow keys. */
export function moveFocus(e: KeyboardEvent<HTMLElement>): void {
  const keys: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, j: 1, k: -1 };
  if (!(e.key in keys) && e.key !== "Home" && e.key !== "End") return;
  const links = Array.from(e.currentTarget.querySelectorAll<HTMLAnchorElement>("a.candidate"));
  if (!links.length) return;
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  let next = e.key === "Home" ? 0 : e.key === "End" ? links.length - 1 : at + keys[e.key];
  if (at === -1 && e.key in keys) next = 0;
  next = Math.max(0, Math.min(links.length - 1, next));
  e.preventDefault();
  links[next].focus();
}

export function RankedTable({ job, refreshKey }: { job: JobOut; refreshKey: number }) {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page") ?? 1) || 1);
  const filters = Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const [exportError, setExportError] = useState<string | null>(null);
  const query = { ...filters, page, page_size: PAGE_SIZE };
  const key = JSON.stringify(query);
  const rows = useLoad(
    (signal) => api.get<ResumePage>(`/api/jobs/${job.id}/resumes`, JSON.parse(key), signal),
    [job.id, key],
  );
  const { reload } = rows;
  useEffect(() => {
    if (refreshKey) void reload();
  }, [refreshKey, reload]);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete("page");
    setParams(next, { replace: true });
  };
  const goTo = (n: number) => {
    const next = new URLSearchParams(params);
    next.set("page", String(n));
    setParams(next);
  };

  async function exportAs(format: "csv" | "json") {
    setExportError(null);
    try {
      const { blob } = await api.blob(`/api/jobs/${job.id}/export`, { ...filters, format });
      saveBlob(blob, `${job.title.replace(/[^\w.-]+/g, "_")}-ranked.${format}`);
    } catch (e) {
      setExportError(messageOf(e));
    }
  }

  const total = rows.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <div className="ranked">
      <form className="filters" role="search" aria-label="Filter the candidates" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={filters.q} maxLength={100} onChange={(e) => setFilter("q", e.target.value)} placeholder={job.blind_screening ? "file or skill" : "name, file or skill"} />
        </label>
        <label>
          Screen
          <select aria-label="Screen" value={filters.passed} onChange={(e) => setFilter("passed", e.target.value)}>
            <option value="">All</option>
            <option value="true">Passed</option>
            <option value="false">Failed</option>
          </select>
        </label>
        <label>
          Minimum score
          <input type="number" min={0} max={100} value={filters.min_score} onChange={(e) => setFilter("min_score", e.target.value)} />
        </label>
        <label>
          Skill
          <input value={filters.skill} maxLength={100} onChange={(e) => setFilter("skill", e.target.value)} />
        </label>
        <label>
          Decision
          <select aria-label="Decision" value={filters.decision} onChange={(e) => setFilter("decision", e.target.value)}>
            <option value="">Any</option>
            <option value="shortlist">Shortlisted</option>
            <option value="hold">On hold</option>
            <option value="reject">Rejected</option>
            <option value="none">Not decided</option>
          </select>
        </label>
        <label>
          Order
          <select aria-label="Order" value={filters.sort || "rank"} onChange={(e) => setFilter("sort", e.target.value === "rank" ? "" : e.target.value)}>
            <option value="rank">Rank (passing first)</option>
            <option value="score">Score</option>
            <option value="name">Name</option>
            <option value="uploaded">Uploaded</option>
          </select>
        </label>
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => void exportAs("csv")}>
            Export CSV
          </button>
          <button type="button" className="secondary" onClick={() => void exportAs("json")}>
            Export JSON
          </button>
        </div>
      </form>
      {exportError && <p className="notice error" role="alert">{exportError}</p>}
      {rows.error && <p className="notice error" role="alert">{rows.error}</p>}
      <p className="muted" role="status" aria-live="polite">
        {rows.data ? `${total} candidate${total === 1 ? "" : "s"}${total > PAGE_SIZE ? `, page ${page} of ${pages}` : ""}` : "Loading…"}
        {rows.data && total > 0 && " · ↑ ↓ move between candidates, Enter opens one"}
      </p>
      <div className="table-wrap">
        <table className="candidates" aria-busy={rows.loading}>
          <caption className="sr-only">Candidates ranked for {job.title}</caption>
          <thead>
            <tr>
              <th scope="col" className="num">Rank</th>
              <th scope="col" className="num">Score</th>
              <th scope="col">Screen</th>
              <th scope="col">Candidate</th>
              <th scope="col">Matched skills</th>
              <th scope="col">Missing skills</th>
              <th scope="col">Why</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody onKeyDown={moveFocus}>
            {rows.data?.items.map((row) => <Row key={row.id} row={row} blind={job.blind_screening} />)}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="secondary" disabled={page <= 1} onClick={() => goTo(page - 1)}>
            Previous
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" className="secondary" disabled={page >= pages} onClick={() => goTo(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

function Row({ row, blind }: { row: ResumeRow; blind: boolean }) {
  const ranked = row.final_score !== null && row.final_score !== undefined;
  return (
    <tr data-resume={row.id} className={row.passed === false ? "failed" : undefined}>
      <td className="num">{row.rank ?? "–"}</td>
      <td className="num score">{ranked ? row.final_score!.toFixed(1) : "–"}</td>
      <td>
        {row.passed === true ? (
          <span className="badge pass">Passed</span>
        ) : row.passed === false ? (
          <span className="badge fail">Failed</span>
        ) : (
          <span className="badge">{row.status}</span>
        )}
      </td>
      <th scope="row">
        <Link className="candidate" to={`/resumes/${row.id}`}>
          {candidateLabel(row, blind)}
        </Link>
        <div className="muted small">{row.filename}</div>
        {(row.other_files?.length ?? 0) > 0 && (
          <div className="muted small">also sent as {row.other_files!.map((f) => f.filename).join(", ")}</div>
        )}
      </th>
      <td>{row.matched_skills?.join(", ")}</td>
      <td>{row.missing_skills?.join(", ")}</td>
      <td className="why">
        {row.failure_reason ? `Could not be read: ${row.failure_reason}` : row.summary}
        {(row.reasons?.length ?? 0) > 0 && (
          <ul className="plain small">
            {row.reasons!.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <span className={`decision ${row.decision ?? "none"}`}>{decisionText(row.decision)}</span>
      </td>
    </tr>
  );
}
