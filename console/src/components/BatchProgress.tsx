import { useEffect, useRef, useState } from "react";
import { api, messageOf } from "../api/client";
import { followEvents } from "../api/events";
import type { BatchOut } from "../api/types";
import { formatDuration } from "../hooks";

interface Sample {
  at: number;
  processed: number;
}

/** Resumes per second since the first sample, and the seconds the rest should take at that rate. */
export function pace(samples: Sample[], total: number): { rate: number | null; left: number | null } {
  if (samples.length < 2) return { rate: null, left: null };
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = (last.at - first.at) / 1000;
  if (seconds <= 0 || last.processed <= first.processed) return { rate: null, left: null };
  const rate = (last.processed - first.processed) / seconds;
  return { rate, left: (total - last.processed) / rate };
}

/** A batch followed live through the gateway's server-sent events. */
export function BatchProgress({
  batchId,
  label,
  onProgress,
  onDone,
}: {
  batchId: string;
  label: string;
  onProgress: (batch: BatchOut) => void;
  onDone: (batch: BatchOut) => void;
}) {
  const [batch, setBatch] = useState<BatchOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  const samples = useRef<Sample[]>([]);
  const handlers = useRef({ onProgress, onDone });
  handlers.current = { onProgress, onDone };

  useEffect(() => {
    const controller = new AbortController();
    samples.current = [];
    let finished = false;
    const follow = async () => {
      // The stream ends after the gateway's limit on one stream; follow again until the batch is done.
      while (!finished && !controller.signal.aborted) {
        await followEvents(
          api,
          `/api/batches/${batchId}/events`,
          (event) => {
            const state = JSON.parse(event.data) as BatchOut;
            samples.current.push({ at: Date.now(), processed: state.completed + state.failed });
            setBatch(state);
            if (event.event === "done") {
              finished = true;
              handlers.current.onDone(state);
            } else handlers.current.onProgress(state);
          },
          controller.signal,
        );
      }
    };
    follow().catch((e) => {
      if (!controller.signal.aborted) setError(messageOf(e));
    });
    return () => controller.abort();
  }, [batchId]);

  if (error) return <p className="notice error">Progress is not available: {error}</p>;
  if (!batch) return <p className="muted">Connecting to the batch…</p>;
  const processed = batch.completed + batch.failed;
  const { rate, left } = pace(samples.current, batch.total);
  const done = batch.status === "done";
  return (
    <div className="batch" data-testid="batch-progress">
      <div className="batch-head">
        <strong>{label}</strong>
        <span>{done ? "finished" : batch.stalled ? "stalled: no resume has finished for a while" : "running"}</span>
      </div>
      <progress max={Math.max(batch.total, 1)} value={processed} aria-label={`${label}: ${processed} of ${batch.total}`} />
      <p className="batch-figures" aria-live="polite">
        <span>
          {batch.completed} ranked, {batch.failed} failed, {batch.total - processed} to go
        </span>
        {!done && rate !== null && <span>{rate.toFixed(1)} resumes/s</span>}
        {!done && left !== null && <span>about {formatDuration(left)} left</span>}
      </p>
    </div>
  );
}
