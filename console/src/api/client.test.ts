import { describe, expect, it, vi } from "vitest";
import { Api, ApiError, messageOf, withQuery } from "./client";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function tokens(access: string, refresh: string, expiresIn = 900) {
  return { access_token: access, refresh_token: refresh, token_type: "bearer", expires_in: expiresIn };
}

describe("Api", () => {
  it("sends the bearer token and reads the JSON answer", async () => {
    const fetcher = vi.fn(async () => json(200, { items: [] }));
    const api = new Api("", localStorage, fetcher);
    api.startSession(tokens("a1", "r1"), "r@example.com");
    expect(await api.get("/api/jobs")).toEqual({ items: [] });
    const [url, init] = fetcher.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/jobs");
    expect(new Headers(init.headers).get("Authorization")).toBe("Bearer a1");
  });

  it("renews once on a 401 and tries again with the new token", async () => {
    const seen: string[] = [];
    const fetcher = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url) === "/api/auth/refresh") return json(200, tokens("a2", "r2"));
      const auth = new Headers(init?.headers).get("Authorization") ?? "";
      seen.push(auth);
      return auth === "Bearer a2" ? json(200, { ok: true }) : json(401, { error: { code: "unauthorized", message: "expired" } });
    });
    const api = new Api("", localStorage, fetcher);
    api.startSession(tokens("a1", "r1"), "r@example.com");
    expect(await api.get("/api/jobs")).toEqual({ ok: true });
    expect(seen).toEqual(["Bearer a1", "Bearer a2"]);
    expect(api.session?.refresh).toBe("r2");
  });

  it("renews before the token runs out, once for requests made together", async () => {
    let now = 1_000_000;
    let refreshes = 0;
    const fetcher = vi.fn(async (url: string | URL | Request) => {
      if (String(url) === "/api/auth/refresh") {
        refreshes += 1;
        return json(200, tokens(`a${refreshes + 1}`, `r${refreshes + 1}`));
      }
      return json(200, {});
    });
    const api = new Api("", localStorage, fetcher, () => now);
    api.startSession(tokens("a1", "r1", 60), "r@example.com");
    now += 45_000; // 15 s left: under the renewal margin
    await Promise.all([api.get("/a"), api.get("/b"), api.get("/c")]);
    expect(refreshes).toBe(1);
    expect(api.session?.access).toBe("a2");
  });

  it("ends the session and says so when the refresh token is refused", async () => {
    const fetcher = vi.fn(async (url: string | URL | Request) =>
      String(url) === "/api/auth/refresh"
        ? json(401, { error: { code: "unauthorized", message: "refresh token revoked" } })
        : json(401, { error: { code: "unauthorized", message: "expired" } }),
    );
    const api = new Api("", localStorage, fetcher);
    const expired = vi.fn();
    api.onExpired = expired;
    api.startSession(tokens("a1", "r1"), "r@example.com");
    await expect(api.get("/api/jobs")).rejects.toBeInstanceOf(ApiError);
    expect(expired).toHaveBeenCalled();
    expect(api.session).toBeNull();
  });

  it("turns the API's error body into a message with its details", async () => {
    const fetcher = vi.fn(async () =>
      json(422, { error: { code: "invalid_input", message: "the request is not valid", details: [{ loc: "body.title", msg: "too short" }] } }),
    );
    const api = new Api("", localStorage, fetcher);
    api.startSession(tokens("a1", "r1"), "r@example.com");
    const error = (await api.post("/api/jobs", {}).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(messageOf(error)).toBe("the request is not valid (body.title: too short)");
  });

  it("leaves empty filters out of the query", () => {
    expect(withQuery("/x", { a: "1", b: "", c: undefined, d: null, e: false })).toBe("/x?a=1&e=false");
    expect(withQuery("/x", {})).toBe("/x");
  });
});
