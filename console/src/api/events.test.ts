import { describe, expect, it } from "vitest";
import { parseEvents } from "./events";

describe("parseEvents", () => {
  it("reads complete events and keeps a partial one for later", () => {
    const text = 'event: progress\ndata: {"completed":1}\n\n: a comment\n\nevent: done\ndata: {"comp';
    const { events, rest } = parseEvents(text);
    expect(events).toEqual([{ event: "progress", data: '{"completed":1}' }]);
    expect(rest).toBe('event: done\ndata: {"comp');
    const more = parseEvents(rest + 'leted":2}\n\n');
    expect(more.events).toEqual([{ event: "done", data: '{"completed":2}' }]);
    expect(more.rest).toBe("");
  });

  it("joins data lines and takes CRLF line ends", () => {
    const { events } = parseEvents("data: a\r\ndata: b\r\n\r\n");
    expect(events).toEqual([{ event: "message", data: "a\nb" }]);
  });
});
