import { Route, Routes } from "react-router-dom";
import { Layout } from "./components/Layout";
import { CandidatePage } from "./pages/Candidate";
import { CompliancePage } from "./pages/Compliance";
import { JobEditorPage } from "./pages/JobEditor";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/Jobs";
import { KeysPage } from "./pages/Keys";
import { LoginPage, ResetPage, SignupPage } from "./pages/Auth";
import { NotFoundPage } from "./pages/NotFound";
import { SessionProvider } from "./session";

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/signup" element={<SignupPage />} />
        <Route path="/reset" element={<ResetPage />} />
        <Route element={<Layout />}>
          <Route index element={<JobsPage />} />
          <Route path="/jobs/new" element={<JobEditorPage />} />
          <Route path="/jobs/:jobId" element={<JobPage />} />
          <Route path="/jobs/:jobId/edit" element={<JobEditorPage />} />
          <Route path="/resumes/:resumeId" element={<CandidatePage />} />
          <Route path="/keys" element={<KeysPage />} />
          <Route path="/compliance" element={<CompliancePage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
