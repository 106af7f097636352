import { useState, type FormEvent } from "react";
import { api, messageOf } from "../api/client";
import type { ApiKeyCreated, ApiKeyList, ApiKeyOut } from "../api/types";
import { Notice } from "../components/Layout";
import { formatWhen, useLoad, useTitle } from "../hooks";

export function KeysPage() {
  useTitle("API keys");
  const keys = useLoad((signal) => api.get<ApiKeyList>("/api/keys", undefined, signal), []);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api.post<ApiKeyCreated>("/api/keys", { name }));
      setCopied(false);
      setName("");
      await keys.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function revoke(key: ApiKeyOut) {
    if (!window.confirm(`Revoke “${key.name}”? Anything using it stops working at once.`)) return;
    try {
      await api.delete(`/api/keys/${key.id}`);
      await keys.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section>
      <h1>API keys</h1>
      <p>
        Keys let a platform team's services use the REST and gRPC APIs as you. A key is shown once, when it is made;
        keep it in your secret store.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {created && (
        <div className="notice ok" role="status">
          <p>
            The key “{created.name}”, shown this once:
          </p>
          <p>
            <code className="secret" data-testid="new-key">
              {created.key}
            </code>{" "}
            <button
              type="button"
              className="secondary"
              onClick={() => void navigator.clipboard?.writeText(created.key).then(() => setCopied(true))}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </p>
        </div>
      )}
      <form onSubmit={create} className="inline-form">
        <label>
          Name of the new key
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ats-sync" />
        </label>
        <button type="submit" className="primary">
          Create key
        </button>
      </form>
      {keys.data && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name}</th>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{formatWhen(key.created_at)}</td>
                  <td>{key.last_used_at ? formatWhen(key.last_used_at) : "never"}</td>
                  <td>{key.revoked_at ? `revoked ${formatWhen(key.revoked_at)}` : "active"}</td>
                  <td>
                    {!key.revoked_at && (
                      <button type="button" className="link danger" onClick={() => void revoke(key)} aria-label={`Revoke ${key.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
              {keys.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No keys yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
