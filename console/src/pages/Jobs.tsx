import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, messageOf } from "../api/client";
import type { JobCreate, JobList, JobOut } from "../api/types";
import { Notice } from "../components/Layout";
import { formatWhen, useLoad, useTitle } from "../hooks";

/** The fields of a job that make a new one like it (the duplicate action). */
export function draftOf(job: JobOut, title = job.title): JobCreate {
  const weights = Object.fromEntries(Object.entries(job.weights ?? {}).filter(([, v]) => v !== null));
  const rules = Object.fromEntries(Object.entries(job.rules ?? {}).filter(([, v]) => v));
  return {
    title,
    description: job.description,
    required_skills: job.required_skills,
    preferred_skills: job.preferred_skills,
    min_years_experience: job.min_years_experience,
    blind_screening: job.blind_screening,
    weights,
    rules: rules as JobCreate["rules"],
    required_education: job.required_education as JobCreate["required_education"],
    token_budget: job.token_budget ?? null,
    auto_analyze_top_k: job.auto_analyze_top_k,
    candidate_notice: job.candidate_notice ?? "",
  };
}

export function JobsPage() {
  useTitle("Jobs");
  const navigate = useNavigate();
  const jobs = useLoad((signal) => api.get<JobList>("/api/jobs", undefined, signal), []);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const running = jobs.data?.items.some((j) => j.running_batch_id) ?? false;

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void jobs.reload(), 3000);
    return () => clearInterval(timer);
  }, [running, jobs]);

  async function duplicate(job: JobOut) {
    setError(null);
    try {
      const copy = await api.post<JobOut>("/api/jobs", draftOf(job, `${job.title} (copy)`.slice(0, 300)));
      navigate(`/jobs/${copy.id}/edit`);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  async function remove(job: JobOut) {
    const count = job.total_resumes;
    const sure = window.confirm(
      `Delete “${job.title}”? ${count} resume${count === 1 ? "" : "s"}, their scores and decisions are deleted with it.`,
    );
    if (!sure) return;
    setError(null);
    try {
      await api.delete(`/api/jobs/${job.id}`);
      setMessage(`“${job.title}” was deleted.`);
      await jobs.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  }

  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
        <Link className="button primary" to="/jobs/new">
          New job
        </Link>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {message && <Notice kind="ok">{message}</Notice>}
      {jobs.error && <Notice kind="error">{jobs.error}</Notice>}
      {jobs.data && jobs.data.items.length === 0 && (
        <div className="empty">
          <h2>No jobs yet</h2>
          <p>Create a job, drop its resumes in, and Screener ranks them with the reasons for every score.</p>
          <Link className="button primary" to="/jobs/new">
            Create your first job
          </Link>
        </div>
      )}
      {jobs.data && jobs.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="jobs">
            <caption className="sr-only">Your jobs with their resumes and progress</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col" className="num">
                  Resumes
                </th>
                <th scope="col" className="num">
                  Ranked
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
                <th scope="col" className="num">
                  Shortlisted
                </th>
                <th scope="col">Progress</th>
                <th scope="col">Last update</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((job) => {
                const done = job.completed_resumes + job.failed_resumes;
                return (
                  <tr key={job.id} data-job={job.id}>
                    <th scope="row">
                      <Link to={`/jobs/${job.id}`}>{job.title}</Link>
                      {job.blind_screening && <span className="tag">blind</span>}
                    </th>
                    <td className="num">{job.total_resumes}</td>
                    <td className="num">{job.completed_resumes}</td>
                    <td className="num">{job.failed_resumes}</td>
                    <td className="num">{job.shortlisted_resumes ?? 0}</td>
                    <td>
                      {job.running_batch_id ? (
                        <progress
                          max={Math.max(job.total_resumes, 1)}
                          value={done}
                          aria-label={`${job.title}: ${done} of ${job.total_resumes} processed`}
                        />
                      ) : job.total_resumes ? (
                        <span className="muted">{done === job.total_resumes ? "all processed" : `${done} processed`}</span>
                      ) : (
                        <span className="muted">no resumes</span>
                      )}
                    </td>
                    <td>{formatWhen(job.last_updated_at)}</td>
                    <td className="actions">
                      <Link to={`/jobs/${job.id}/edit`} aria-label={`Edit ${job.title}`}>
                        Edit
                      </Link>
                      <button type="button" className="link" onClick={() => void duplicate(job)} aria-label={`Duplicate ${job.title}`}>
                        Duplicate
                      </button>
                      <button type="button" className="link danger" onClick={() => void remove(job)} aria-label={`Delete ${job.title}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
