/**
 * Turns what a person typed into a safe FTS5 query. Only letters, digits and a few joiners
 * survive; every term is quoted, so no user text is ever read as FTS5 syntax (NEAR, column
 * filters, *, ^, parentheses). The trigram tokenizer cannot match terms under 3 characters:
 * those are returned apart so the caller can fall back to LIKE.
 */
export interface SearchTerms {
  /** Quoted terms of 3 or more characters. */
  fts: string[];
  /** All terms as typed (for LIKE). */
  all: string[];
}

const TERM = /[\p{L}\p{N}_.:-]+/gu;

export function searchTerms(query: string): SearchTerms {
  const all = [
    ...new Set(
      (query.slice(0, 500).normalize("NFKC").toLowerCase().match(TERM) ?? [])
        .map((t) => t.replace(/^[.:-]+|[.:-]+$/g, ""))
        .filter((t) => t.length > 0)
        .map((t) => t.slice(0, 64)),
    ),
  ].slice(0, 16);
  const fts = all.filter((t) => [...t].length >= 3).map((t) => `"${t.replace(/"/g, '""')}"`);
  return { fts, all };
}

/** LIKE pattern for a term, with %, _ and the escape character escaped. */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
