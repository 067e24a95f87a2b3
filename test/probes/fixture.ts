import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { ParseError } from "../../src/probes/types.js";

const DIR = fileURLToPath(new URL("../fixtures/probes/", import.meta.url));

/** A captured output under test/fixtures/probes/<probe>/<name>.txt. */
export function fixture(probe: string, name: string): string {
  return readFileSync(`${DIR}${probe}/${name}.txt`, "utf8");
}

/** The first half of an output, as a cut SSH channel or a size limit would leave it. */
export function half(text: string): string {
  return text.slice(0, Math.floor(text.length / 2));
}

/** Asserts a ParseError (not a TypeError or anything else) whose message names the probe. */
export function expectParseError(fn: () => unknown, probe: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ParseError);
  expect((caught as ParseError).probe).toBe(probe);
  expect((caught as ParseError).message).toMatch(new RegExp(`^${probe}: `));
}

export const GARBAGE = "Segmentation fault\n\u0000\u0001 garbage {[ not json";
