// The console's one way to the gateway: the public REST API with the signed-in recruiter's bearer
// token, refreshed before it runs out and once more on a 401; when the session cannot be renewed the
// console is told (onExpired) and returns to the login page, keeping where the recruiter was.
import type { TokenResponse } from "./types";

export interface Session {
  access: string;
  refresh: string;
  expiresAt: number; // epoch milliseconds
  email: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details?: unknown, retryAfter?: number | null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter ?? null;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  json?: unknown;
  query?: Query;
  body?: BodyInit;
  signal?: AbortSignal;
  accept?: string;
  anonymous?: boolean; // sign-up and sign-in routes: no token, no refresh
}

const STORAGE_KEY = "screener.session";
// Renew the access token when it has less than this left.
const RENEW_MS = 30_000;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`.trim();
  let details: unknown;
  try {
    const body = await response.json();
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = body.error.details;
    }
  } catch {
    // not JSON: the status says it
  }
  const retry = Number(response.headers.get("Retry-After"));
  return new ApiError(response.status, code, message, details, Number.isFinite(retry) && retry > 0 ? retry : null);
}

export class Api {
  onExpired: (() => void) | null = null;
  onChange: ((session: Session | null) => void) | null = null;
  private renewing: Promise<boolean> | null = null;

  constructor(
    private readonly base = "",
    private readonly storage: Storage = window.localStorage,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
    private readonly now: () => number = Date.now,
  ) {}

  get session(): Session | null {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Session;
    } catch {
      return null;
    }
  }

  startSession(tokens: TokenResponse, email: string): void {
    this.save({
      access: tokens.access_token,
      refresh: tokens.refresh_token,
      expiresAt: this.now() + tokens.expires_in * 1000,
      email,
    });
  }

  private save(session: Session | null): void {
    if (session) this.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    else this.storage.removeItem(STORAGE_KEY);
    this.onChange?.(session);
  }

  async logout(): Promise<void> {
    const session = this.session;
    this.save(null);
    if (session) {
      await this.fetcher(`${this.base}/api/auth/logout`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.access}` },
        body: JSON.stringify({ refresh_token: session.refresh }),
      }).catch(() => undefined);
    }
  }

  /** Renew the tokens once, however many requests ask at the same time. */
  renew(): Promise<boolean> {
    if (!this.renewing) {
      this.renewing = this.doRenew().finally(() => {
        this.renewing = null;
      });
    }
    return this.renewing;
  }

  private async doRenew(): Promise<boolean> {
    const session = this.session;
    if (!session) return false;
    const response = await this.fetcher(`${this.base}/api/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh }),
    }).catch(() => null);
    if (response?.ok) {
      this.startSession((await response.json()) as TokenResponse, session.email);
      return true;
    }
    if (response && (response.status === 401 || response.status === 400 || response.status === 422)) {
      this.expire();
    }
    return false;
  }

  private expire(): void {
    // Told first, so the console leaves for the login page (keeping the address) before it sees the
    // session gone.
    this.onExpired?.();
    if (this.session) this.save(null);
  }

  /** The bearer token to send now, renewed first when it is about to run out. */
  async token(): Promise<string | null> {
    let session = this.session;
    if (session && session.expiresAt - this.now() < RENEW_MS) {
      await this.renew();
      session = this.session;
    }
    return session?.access ?? null;
  }

  /** A request with the recruiter's token; a 401 renews the session once and tries again. */
  async fetch(path: string, init: RequestInit = {}, anonymous = false): Promise<Response> {
    const attempt = async () => {
      const headers = new Headers(init.headers);
      if (!anonymous) {
        const token = await this.token();
        if (token) headers.set("Authorization", `Bearer ${token}`);
      }
      return this.fetcher(`${this.base}${path}`, { ...init, headers });
    };
    let response = await attempt();
    if (response.status === 401 && !anonymous) {
      // Renewed and tried once more; a renewal that is refused has already ended the session.
      if (this.session && (await this.renew())) response = await attempt();
      if (response.status === 401 && this.session) this.expire();
    }
    return response;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
    let body = options.body;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    const response = await this.fetch(
      withQuery(path, options.query),
      { method, headers, body, signal: options.signal },
      options.anonymous,
    );
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, { query, signal });
  }

  post<T>(path: string, json?: unknown): Promise<T> {
    return this.request<T>("POST", path, { json });
  }

  patch<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { json });
  }

  delete(path: string): Promise<void> {
    return this.request<void>("DELETE", path);
  }

  /** A file the API answers (an export, an original, a page image), as a Blob. */
  async blob(path: string, query?: Query): Promise<{ blob: Blob; response: Response }> {
    const response = await this.fetch(withQuery(path, query), { headers: { Accept: "*/*" } });
    if (!response.ok) throw await errorFrom(response);
    return { blob: await response.blob(), response };
  }
}

export const api = new Api();

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (Array.isArray(error.details) && error.details.length) {
      const parts = error.details
        .map((d: { loc?: string; msg?: string; message?: string; filename?: string }) =>
          [d.loc ?? d.filename, d.msg ?? d.message].filter(Boolean).join(": "),
        )
        .filter(Boolean);
      if (parts.length) return `${error.message} (${parts.join("; ")})`;
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
