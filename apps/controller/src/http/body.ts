import { NetloomError } from "@netloom/model";

/**
 * How deep a JSON body may nest. The deepest intent object (a rule inside a group inside the
 * file) sits about 8 levels down; 64 leaves room for any honest client and none for a
 * document built to exhaust the stack of a recursive validator.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a JSON text, scanned without parsing (strings and escapes skipped), so a
 * hostile body is refused before any recursive code sees it. Stops counting past `limit`.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return deepest;
}

/** The error for a body nested deeper than MAX_JSON_DEPTH: INVALID, 400, says what and where. */
export function tooDeep(where: string): NetloomError {
  return NetloomError.invalid([
    { path: "", message: `${where} nests deeper than ${MAX_JSON_DEPTH} levels` },
  ]);
}

/** Parses a JSON text after checking its depth; INVALID (naming `where`) when it is not JSON. */
export function parseBoundedJson(text: string, where: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw tooDeep(where);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? `: ${error.message}` : "";
    throw NetloomError.invalid([{ path: "", message: `${where} is not JSON${reason}` }]);
  }
}
