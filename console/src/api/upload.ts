// Uploading many files: grouped into requests of a bounded size (the gateway's per-minute upload limit
// counts requests), each sent with XMLHttpRequest for its upload progress, which is shared out to the
// files in the order the multipart body carries them.
import type { Api } from "./client";
import { ApiError, errorFrom } from "./client";
import type { UploadItemOut, UploadResponse } from "./types";

export interface FileProgress {
  file: File;
  path: string; // the file's path inside a dropped folder, or its name
  sent: number; // bytes
  outcome: UploadItemOut | null;
  refused: string | null;
}

export const MAX_FILES_PER_REQUEST = 25;
export const MAX_BYTES_PER_REQUEST = 20 * 1024 * 1024;

export function groups<T extends { file: File }>(items: T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length && (current.length >= MAX_FILES_PER_REQUEST || bytes + item.file.size > MAX_BYTES_PER_REQUEST)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.file.size;
  }
  if (current.length) out.push(current);
  return out;
}

/** How many bytes of each file have gone, given the bytes of the whole body sent so far. */
export function shareOut(sizes: number[], loaded: number, total: number): number[] {
  const payload = sizes.reduce((a, b) => a + b, 0);
  // The multipart framing is spread evenly: what is sent of the body is that share of the files.
  let left = total > 0 ? Math.round((loaded / total) * payload) : 0;
  return sizes.map((size) => {
    const sent = Math.min(size, left);
    left -= sent;
    return sent;
  });
}

function send(
  url: string,
  token: string | null,
  form: FormData,
  onProgress: (loaded: number, total: number) => void,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onload = () => {
      const headers = new Headers();
      const retry = xhr.getResponseHeader("Retry-After");
      if (retry) headers.set("Retry-After", retry);
      headers.set("Content-Type", xhr.getResponseHeader("Content-Type") ?? "application/json");
      resolve(new Response(xhr.responseText, { status: xhr.status, headers }));
    };
    xhr.onerror = () => reject(new ApiError(0, "network", "the upload could not reach the server"));
    xhr.send(form);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function uploadGroup(
  api: Api,
  jobId: string,
  items: FileProgress[],
  onChange: () => void,
): Promise<void> {
  const url = `/api/jobs/${jobId}/resumes`;
  for (let attempt = 0; ; attempt++) {
    const form = new FormData();
    items.forEach((item) => form.append("files", item.file, item.path));
    const sizes = items.map((i) => i.file.size);
    const response = await send(url, await api.token(), form, (loaded, total) => {
      shareOut(sizes, loaded, total).forEach((sent, i) => (items[i].sent = sent));
      onChange();
    });
    if (response.status === 401 && attempt === 0 && (await api.renew())) continue;
    if (response.status === 429 && attempt < 5) {
      const error = await errorFrom(response);
      await sleep((error.retryAfter ?? 5) * 1000);
      continue;
    }
    if (response.ok) {
      const body = (await response.json()) as UploadResponse;
      body.items.forEach((outcome, i) => {
        if (!items[i]) return;
        items[i].outcome = outcome;
        items[i].refused = outcome.error ? (outcome.error.message ?? outcome.error.code ?? "refused") : null;
        items[i].sent = items[i].file.size;
      });
    } else {
      const error = await errorFrom(response);
      const details = Array.isArray(error.details) ? (error.details as { message?: string }[]) : [];
      items.forEach((item, i) => {
        item.refused = details[i]?.message ?? error.message;
      });
    }
    onChange();
    return;
  }
}

/** Every file in a drop, folders walked to the bottom, each with its path in the folder. */
export async function filesFromDrop(items: DataTransferItemList): Promise<{ file: File; path: string }[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(items)) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  const out: { file: File; path: string }[] = loose.map((file) => ({ file, path: file.name }));
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  return out;
}
