import type { ScoreTerm } from "../api/types";

export const TERM_NAMES: Record<string, string> = {
  title: "Title fit",
  experience: "Experience",
  semantic: "Meaning",
  lexical: "Words",
  skills: "Skills",
  soft_rules: "Soft rules failed",
};

const COLORS: Record<string, string> = {
  title: "#0b57d0",
  experience: "#146c2e",
  semantic: "#8e24aa",
  lexical: "#b3261e",
  skills: "#8a5a00",
};

/** The sum of the terms' points, to one decimal: what the score is made of. */
export function sumOf(terms: ScoreTerm[]): number {
  return Math.round(terms.reduce((total, t) => total + (t.contribution ?? 0) * 10, 0)) / 10;
}

/** The score as a bar of its parts, each part's width its points, and the same as a table. */
export function ScoreChart({ terms, score }: { terms: ScoreTerm[]; score: number }) {
  const positive = terms.filter((t) => (t.contribution ?? 0) > 0);
  const penalty = terms.filter((t) => (t.contribution ?? 0) < 0);
  let x = 0;
  const total = sumOf(terms);
  return (
    <figure className="score-chart">
      <svg viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-labelledby="chart-caption" className="bar">
        <rect x="0" y="0" width="100" height="8" fill="#eef1f5" />
        {positive.map((t) => {
          const width = t.contribution ?? 0;
          const bar = <rect key={t.name} x={x} y="0" width={width} height="8" fill={COLORS[t.name] ?? "#555"} />;
          x += width;
          return bar;
        })}
        {penalty.map((t) => {
          const width = -(t.contribution ?? 0);
          x -= width;
          return <rect key={t.name} x={x} y="0" width={width} height="8" fill="url(#hatch)" stroke="#b3261e" strokeWidth="0.3" />;
        })}
        <defs>
          <pattern id="hatch" width="2" height="2" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="1" height="2" fill="#b3261e" />
          </pattern>
        </defs>
      </svg>
      <figcaption id="chart-caption" className="sr-only">
        The score of {score.toFixed(1)} out of 100 as the sum of its parts, listed in the table below.
      </figcaption>
      <table className="terms">
        <thead>
          <tr>
            <th scope="col">Part</th>
            <th scope="col" className="num">Weight</th>
            <th scope="col" className="num">Value</th>
            <th scope="col" className="num">Points</th>
          </tr>
        </thead>
        <tbody>
          {terms.map((t) => (
            <tr key={t.name} data-term={t.name}>
              <th scope="row">
                <span className="swatch" data-color={t.name} aria-hidden="true" />
                {TERM_NAMES[t.name] ?? t.name}
              </th>
              <td className="num">{t.name === "soft_rules" ? "" : (t.weight ?? 0).toFixed(2)}</td>
              <td className="num">
                {t.name === "soft_rules" ? `× ${(t.value ?? 1).toFixed(2)}` : `${Math.round((t.value ?? 0) * 100)}%`}
              </td>
              <td className="num points">{(t.contribution ?? 0).toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Score</th>
            <td />
            <td />
            <td className="num points" data-testid="terms-total">
              {total.toFixed(1)}
            </td>
          </tr>
        </tfoot>
      </table>
      <p className="hint">
        Each part's points are its weight × its value × 100; the points add up to the score
        {total.toFixed(1) === score.toFixed(1) ? "" : ` (${score.toFixed(1)} as stored)`}.
      </p>
    </figure>
  );
}
