import { useEffect, useId, useState, type KeyboardEvent } from "react";
import { api } from "../api/client";
import type { SkillSuggestions } from "../api/types";

/** A list of skills typed one at a time, with suggestions from the skill taxonomy. */
export function SkillsInput({
  label,
  value,
  onChange,
  hint,
}: {
  label: string;
  value: string[];
  onChange: (skills: string[]) => void;
  hint?: string;
}) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const [suggestions, setSuggestions] = useState<string[]>([]);

  useEffect(() => {
    const text = typed.trim();
    if (!text) {
      setSuggestions([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<SkillSuggestions>("/api/skills", { q: text, limit: 8 }, controller.signal)
        .then((found) => setSuggestions(found.items.map((s) => s.name)))
        .catch(() => undefined);
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [typed]);

  const add = (skill: string) => {
    const clean = skill.trim().replace(/,$/, "");
    if (clean && !value.some((s) => s.toLowerCase() === clean.toLowerCase())) onChange([...value, clean]);
    setTyped("");
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      add(typed);
    } else if (e.key === "Backspace" && !typed && value.length) {
      onChange(value.slice(0, -1));
    }
  };

  return (
    <div className="field">
      <label htmlFor={`${id}-input`}>{label}</label>
      <ul className="chips" aria-label={`${label} chosen`}>
        {value.map((skill) => (
          <li key={skill} className="chip">
            {skill}
            <button
              type="button"
              aria-label={`Remove ${skill}`}
              onClick={() => onChange(value.filter((s) => s !== skill))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={`${id}-input`}
        list={`${id}-list`}
        value={typed}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => {
          const text = e.target.value;
          // Picking a suggestion from the list fills the whole name in: add it at once.
          if (suggestions.includes(text)) add(text);
          else setTyped(text);
        }}
        onKeyDown={onKey}
        onBlur={() => typed.trim() && add(typed)}
        placeholder="Type a skill, then Enter"
      />
      <datalist id={`${id}-list`}>
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}
