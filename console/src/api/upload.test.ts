import { describe, expect, it } from "vitest";
import { groups, MAX_FILES_PER_REQUEST, shareOut } from "./upload";

const file = (size: number) => ({ file: new File([new Uint8Array(size)], "a.pdf") });

describe("upload grouping", () => {
  it("bounds each request by file count and bytes", () => {
    const many = Array.from({ length: MAX_FILES_PER_REQUEST * 2 + 3 }, () => file(10));
    expect(groups(many).map((g) => g.length)).toEqual([MAX_FILES_PER_REQUEST, MAX_FILES_PER_REQUEST, 3]);
    const big = [file(15 * 1024 * 1024), file(15 * 1024 * 1024), file(1)];
    expect(groups(big).map((g) => g.length)).toEqual([1, 2]);
  });

  it("shares the body's progress out to the files in order", () => {
    expect(shareOut([100, 100, 100], 0, 400)).toEqual([0, 0, 0]);
    expect(shareOut([100, 100, 100], 200, 400)).toEqual([100, 50, 0]);
    expect(shareOut([100, 100, 100], 400, 400)).toEqual([100, 100, 100]);
  });
});
