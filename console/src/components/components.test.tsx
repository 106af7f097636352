import { fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { describe, expect, it } from "vitest";
import { evidenceLines, when } from "../pages/Candidate";
import { draftOf } from "../pages/Jobs";
import { pace } from "./BatchProgress";
import { candidateLabel, moveFocus } from "./RankedTable";
import { ScoreChart, sumOf } from "./ScoreChart";

const terms = [
  { name: "title", weight: 0.5, value: 0.8, contribution: 40.0 },
  { name: "experience", weight: 0.2, value: 0.9, contribution: 18.0 },
  { name: "semantic", weight: 0.15, value: 0.6, contribution: 9.0 },
  { name: "lexical", weight: 0.1, value: 0.3, contribution: 3.0 },
  { name: "skills", weight: 0.05, value: 1.0, contribution: 5.0 },
  { name: "soft_rules", weight: 0, value: 0.9, contribution: -7.5 },
];

describe("ScoreChart", () => {
  it("lists every part and a total that is their sum", () => {
    render(<ScoreChart terms={terms} score={67.5} />);
    const rows = screen.getAllByRole("row");
    expect(rows).toHaveLength(terms.length + 2);
    expect(within(rows[1]).getByText("Title fit")).toBeTruthy();
    expect(screen.getByTestId("terms-total").textContent).toBe("67.5");
    expect(screen.queryByText(/as stored/)).toBeNull();
    expect(screen.getByRole("img").getAttribute("aria-labelledby")).toBe("chart-caption");
  });

  it("says so when the stored score differs from the parts", () => {
    render(<ScoreChart terms={terms} score={70} />);
    expect(screen.getByText(/70.0 as stored/)).toBeTruthy();
  });

  it("adds tenths without floating-point drift", () => {
    expect(sumOf([{ name: "a", contribution: 0.1 }, { name: "b", contribution: 0.2 }])).toBe(0.3);
  });
});

describe("the ranked table's helpers", () => {
  it("masks a blind candidate by rank and never shows an empty name", () => {
    expect(candidateLabel({ candidate_name: null, rank: 3 }, true)).toBe("Candidate #3 (masked)");
    expect(candidateLabel({ candidate_name: "Ada Lovelace", rank: 1 }, false)).toBe("Ada Lovelace");
    expect(candidateLabel({ candidate_name: null, rank: 1 }, false)).toBe("Name not found");
  });

  it("moves focus between candidates with the arrow keys", () => {
    render(
      <MemoryRouter>
        <table>
          <tbody onKeyDown={moveFocus} data-testid="body">
            {["a", "b", "c"].map((id) => (
              <tr key={id}>
                <td>
                  <a className="candidate" href={`/resumes/${id}`}>
                    {id}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </MemoryRouter>,
    );
    const body = screen.getByTestId("body");
    const [a, b, c] = screen.getAllByRole("link");
    a.focus();
    fireEvent.keyDown(body, { key: "ArrowDown" });
    expect(document.activeElement).toBe(b);
    fireEvent.keyDown(body, { key: "End" });
    expect(document.activeElement).toBe(c);
    fireEvent.keyDown(body, { key: "ArrowDown" });
    expect(document.activeElement).toBe(c);
    fireEvent.keyDown(body, { key: "ArrowUp" });
    expect(document.activeElement).toBe(b);
  });
});

describe("the candidate page's helpers", () => {
  it("highlights the lines the evidence comes from", () => {
    const text = "Jane Roe\nSenior engineer, Acme\nBuilt services in Python and Go\nEducation";
    expect([...evidenceLines(text, ["Python", "services in python"])]).toEqual([2]);
    expect(evidenceLines(text, [""]).size).toBe(0);
  });

  it("writes partial dates plainly", () => {
    expect(when({ year: 2021, month: 3 })).toBe("2021-03");
    expect(when({ year: 2021 })).toBe("2021");
    expect(when(undefined, true)).toBe("now");
  });

  it("estimates the rate and time left from progress samples", () => {
    expect(pace([{ at: 0, processed: 0 }], 10)).toEqual({ rate: null, left: null });
    expect(pace([{ at: 0, processed: 0 }, { at: 2000, processed: 4 }], 10)).toEqual({ rate: 2, left: 3 });
  });
});

describe("duplicating a job", () => {
  it("keeps every setting and drops what the server owns", () => {
    const draft = draftOf(
      {
        id: "j1",
        title: "Data engineer",
        description: "Spark",
        required_skills: ["Python"],
        preferred_skills: ["Go"],
        min_years_experience: 3,
        blind_screening: true,
        weights: { title: 0.5 },
        rules: { min_years: "soft" },
        required_education: "bachelor",
        tokens_used: 10,
        token_budget: 1000,
        auto_analyze_top_k: 5,
        total_resumes: 4,
        completed_resumes: 4,
        failed_resumes: 0,
        shortlisted_resumes: 1,
        running_batch_id: null,
        closed_at: null,
        legal_hold: false,
        candidate_notice: "",
        last_updated_at: "2026-01-01T00:00:00Z",
        created_at: "2026-01-01T00:00:00Z",
      },
      "Data engineer (copy)",
    );
    expect(draft).toEqual({
      title: "Data engineer (copy)",
      description: "Spark",
      required_skills: ["Python"],
      preferred_skills: ["Go"],
      min_years_experience: 3,
      blind_screening: true,
      weights: { title: 0.5 },
      rules: { min_years: "soft" },
      required_education: "bachelor",
      token_budget: 1000,
      auto_analyze_top_k: 5,
      candidate_notice: "",
    });
  });
});
