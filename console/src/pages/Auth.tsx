import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { api } from "../api/client";
import type { TokenResponse } from "../api/types";
import { Notice } from "../components/Layout";
import { useAction, useTitle } from "../hooks";
import { returnPath } from "../session";

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  useTitle(title);
  return (
    <main id="main" className="auth">
      <div className="card">
        <p className="brand">
          <img src="/assets/favicon.svg" alt="" width="28" height="28" /> Screener
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const tokens = await api.request<TokenResponse>("POST", "/api/auth/login", {
        json: { email, password },
        anonymous: true,
      });
      api.startSession(tokens, email.trim().toLowerCase());
      navigate(returnPath(params.get("next")), { replace: true });
    });
  };

  return (
    <AuthFrame title="Sign in">
      {params.get("expired") && (
        <Notice>Your session has ended. Sign in again to go on where you were.</Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <form onSubmit={submit} className="stack">
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        New here? <Link to="/signup">Create an account</Link> · <Link to="/reset">Forgot your password?</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupPage() {
  const navigate = useNavigate();
  const [step, setStep] = useState<"details" | "code">("details");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [info, setInfo] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  const signup = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const answer = await api.request<{ email: string; message: string }>("POST", "/api/auth/signup", {
        json: { name, email, password },
        anonymous: true,
      });
      setEmail(answer.email);
      setInfo(`We sent a code to ${answer.email}. It is valid for a few minutes.`);
      setStep("code");
    });
  };

  const verify = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const tokens = await api.request<TokenResponse>("POST", "/api/auth/verify", {
        json: { email, code: code.trim() },
        anonymous: true,
      });
      api.startSession(tokens, email);
      navigate("/", { replace: true });
    });
  };

  const resend = () =>
    run(async () => {
      await api.request("POST", "/api/auth/resend", { json: { email }, anonymous: true });
      setInfo(`A new code is on its way to ${email}.`);
    });

  return (
    <AuthFrame title={step === "details" ? "Create your account" : "Enter the code we emailed you"}>
      {error && <Notice kind="error">{error}</Notice>}
      {info && <Notice>{info}</Notice>}
      {step === "details" ? (
        <form onSubmit={signup} className="stack">
          <label>
            Your name
            <input autoComplete="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Work email
            <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="new-password"
              required
              aria-describedby="password-help"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <p id="password-help" className="hint">
            A long passphrase is best; common or guessable passwords are refused.
          </p>
          <button type="submit" className="primary" disabled={busy}>
            Send me a code
          </button>
        </form>
      ) : (
        <form onSubmit={verify} className="stack">
          <label>
            Code
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              required
              minLength={4}
              maxLength={12}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Verify and sign in
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => void resend()}>
            Send a new code
          </button>
        </form>
      )}
      <p>
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </AuthFrame>
  );
}

export function ResetPage() {
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      if (!sent) {
        await api.request("POST", "/api/auth/password/forgot", { json: { email }, anonymous: true });
        setSent(true);
      } else {
        await api.request("POST", "/api/auth/password/reset", {
          json: { email, code: code.trim(), new_password: password },
          anonymous: true,
        });
        navigate("/login", { replace: true });
      }
    });
  };

  return (
    <AuthFrame title="Reset your password">
      {error && <Notice kind="error">{error}</Notice>}
      {sent && <Notice>If an account uses {email}, a code is on its way to it.</Notice>}
      <form onSubmit={submit} className="stack">
        <label>
          Email
          <input type="email" autoComplete="email" required value={email} readOnly={sent} onChange={(e) => setEmail(e.target.value)} />
        </label>
        {sent && (
          <>
            <label>
              Code
              <input autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
            </label>
            <label>
              New password
              <input
                type="password"
                autoComplete="new-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {sent ? "Set the new password" : "Email me a code"}
        </button>
      </form>
      <p>
        <Link to="/login">Back to sign in</Link>
      </p>
    </AuthFrame>
  );
}
