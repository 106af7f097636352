// The signed-in recruiter, for every page: who it is, and what happens when the session ends (the
// login page, with the address they were at kept so they come back to it).
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { api, type Session } from "./api/client";

const SessionContext = createContext<Session | null>(null);

export const RETURN_KEY = "screener.returnTo";

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(api.session);
  const navigate = useNavigate();
  const location = useLocation();

  useEffect(() => {
    api.onChange = setSession;
    api.onExpired = () => {
      const here = window.location.pathname + window.location.search;
      if (here.startsWith("/login")) return;
      sessionStorage.setItem(RETURN_KEY, here);
      navigate(`/login?expired=1&next=${encodeURIComponent(here)}`, { replace: true });
    };
    return () => {
      api.onChange = null;
      api.onExpired = null;
    };
  }, [navigate]);

  useEffect(() => {
    // Another tab signed out or in: follow it.
    const onStorage = () => setSession(api.session);
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, []);

  useEffect(() => {
    // The address bar, not the router's state: a navigation to the login page that is under way (an
    // expired session's) has already changed it.
    const { pathname, search } = window.location;
    const open = ["/login", "/signup", "/reset"].some((p) => pathname.startsWith(p));
    if (!session && !open) navigate(`/login?next=${encodeURIComponent(pathname + search)}`, { replace: true });
  }, [session, location, navigate]);

  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session | null {
  return useContext(SessionContext);
}

/** Where to go after signing in: the page the recruiter was on, when it is one of ours. */
export function returnPath(next: string | null): string {
  const target = next ?? sessionStorage.getItem(RETURN_KEY) ?? "/";
  sessionStorage.removeItem(RETURN_KEY);
  return target.startsWith("/") && !target.startsWith("//") && !target.startsWith("/login") ? target : "/";
}
