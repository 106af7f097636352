import { useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";
import { api } from "../api/client";
import { useSession } from "../session";

export function Layout() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    // A new page: focus moves to its content, as a screen reader user expects after a link.
    main.current?.focus();
  }, [location.pathname]);

  if (!session) return null;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Screener, jobs">
          <img src="/assets/favicon.svg" alt="" width="24" height="24" /> Screener
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Jobs
          </NavLink>
          <NavLink to="/keys">API keys</NavLink>
          <NavLink to="/compliance">Records and audits</NavLink>
          <a href="/docs">API docs</a>
        </nav>
        <div className="who">
          <span className="muted">{session.email}</span>
          <button
            type="button"
            className="link"
            onClick={async () => {
              await api.logout();
              navigate("/login");
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

export function Notice({ kind = "info", children }: { kind?: "info" | "error" | "ok"; children: React.ReactNode }) {
  return (
    <div className={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
