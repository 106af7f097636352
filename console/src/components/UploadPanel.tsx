import { useRef, useState, type DragEvent } from "react";
import { api, messageOf } from "../api/client";
import { filesFromDrop, groups, uploadGroup, type FileProgress } from "../api/upload";

const ACCEPT = ".pdf,.docx,.png,.jpg,.jpeg";

/** The file a duplicate repeats, when it came in the same upload. */
export function originalOf(duplicate: FileProgress, items: FileProgress[]): string | null {
  const id = duplicate.outcome?.id;
  const first = items.find((i) => i !== duplicate && i.outcome?.id === id && !i.outcome?.duplicate);
  return id && first ? first.path : null;
}

/** Drop files or whole folders (or choose them); each file shows its progress and what became of it. */
export function UploadPanel({ jobId, onUploaded }: { jobId: string; onUploaded: (accepted: number) => void }) {
  const [items, setItems] = useState<FileProgress[]>([]);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);

  async function upload(chosen: { file: File; path: string }[]) {
    if (!chosen.length) return;
    const batch: FileProgress[] = chosen.map(({ file, path }) => ({ file, path, sent: 0, outcome: null, refused: null }));
    setItems((old) => [...batch, ...old]);
    setBusy(true);
    setError(null);
    const redraw = () => setItems((old) => [...old]);
    try {
      const queue = groups(batch);
      // Two requests at a time: the files stream in while the gateway stores the previous ones.
      const workers = [0, 1].map(async () => {
        for (let group = queue.shift(); group; group = queue.shift()) await uploadGroup(api, jobId, group, redraw);
      });
      await Promise.all(workers);
      onUploaded(batch.filter((i) => i.outcome && !i.refused && !i.outcome.duplicate).length);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    await upload(await filesFromDrop(e.dataTransfer.items));
  };

  const fromInput = (input: HTMLInputElement | null) => {
    const chosen = Array.from(input?.files ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    if (input) input.value = "";
    void upload(chosen);
  };

  const accepted = items.filter((i) => i.outcome && !i.refused && !i.outcome.duplicate).length;
  const duplicates = items.filter((i) => i.outcome?.duplicate).length;
  const refused = items.filter((i) => i.refused).length;
  return (
    <div className="upload">
      <div
        className={`dropzone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => void onDrop(e)}
        data-testid="dropzone"
      >
        <p>
          <strong>Drop resumes or whole folders here</strong>
          <br />
          <span className="muted">PDF, DOCX, PNG or JPEG, up to 10 MB each</span>
        </p>
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => files.current?.click()}>
            Choose files
          </button>
          <button type="button" className="secondary" onClick={() => folder.current?.click()}>
            Choose a folder
          </button>
        </div>
        <input
          ref={files}
          type="file"
          multiple
          accept={ACCEPT}
          className="sr-only"
          aria-label="Resume files"
          tabIndex={-1}
          data-testid="file-input"
          onChange={(e) => fromInput(e.currentTarget)}
        />
        <input
          ref={folder}
          type="file"
          multiple
          className="sr-only"
          aria-label="A folder of resumes"
          tabIndex={-1}
          data-testid="folder-input"
          {...{ webkitdirectory: "" }}
          onChange={(e) => fromInput(e.currentTarget)}
        />
      </div>
      {error && <p className="notice error" role="alert">{error}</p>}
      {items.length > 0 && (
        <>
          <p className="upload-summary" role="status">
            {busy ? "Uploading… " : ""}
            {accepted} added, {duplicates} already in this job, {refused} refused
          </p>
          <ul className="files" aria-label="Uploaded files">
            {items.map((item, i) => (
              <li key={`${item.path}-${i}`} className={item.refused ? "refused" : item.outcome?.duplicate ? "duplicate" : ""}>
                <span className="name">{item.path}</span>
                {item.refused ? (
                  <span className="why">refused: {item.refused}</span>
                ) : item.outcome?.duplicate ? (
                  <span className="why">duplicate of {originalOf(item, items) ?? "a file already in this job"}</span>
                ) : item.outcome ? (
                  <span className="why">added</span>
                ) : (
                  <progress max={Math.max(item.file.size, 1)} value={item.sent} aria-label={`${item.path} upload`} />
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
