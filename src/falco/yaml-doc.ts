// Parses a rules file's YAML the way Falco's YAML library (yaml-cpp) reads it: duplicate keys are
// allowed (the first one counts), aliases stand for their anchored node, and a syntax error is
// placed where yaml-cpp places it, although the message is this library's.
import { type Document, LineCounter, type Node, parseAllDocuments, visit } from "yaml";

export interface ParsedYaml {
  docs: Document.Parsed[];
  lc: LineCounter;
  /** the first syntax error: message and 0-based offset */
  error?: { message: string; offset: number };
}

export function parseRulesYaml(content: string): ParsedYaml {
  const lc = new LineCounter();
  const parsed = parseAllDocuments(content, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const docs = Array.isArray(parsed) ? parsed : [parsed as unknown as Document.Parsed];
  // the whole file is parsed before any item is read
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err)
      return {
        docs,
        lc,
        error: { message: err.message, offset: errorOffset(content, err.code, err.pos[0]) },
      };
  }
  for (const doc of docs) {
    const error = resolveAliases(doc);
    if (error) return { docs, lc, error };
  }
  return { docs, lc };
}

/** Replaces each alias by its anchored node; an unknown or self-containing anchor is an error. */
function resolveAliases(doc: Document.Parsed): ParsedYaml["error"] {
  let error: ParsedYaml["error"];
  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (!target || path.includes(target as never)) {
        error = {
          message: `Unresolved alias (the anchor must be set before the alias): ${alias.source}`,
          offset: alias.range?.[0] ?? 0,
        };
        return visit.BREAK;
      }
      return target as Node;
    },
  });
  return error;
}

/**
 * Where yaml-cpp reports the same error: at the `:` of a mapping that may not be there, at the
 * first character of a line a sequence cannot continue with, at a tab used for indentation.
 */
function errorOffset(content: string, code: string, offset: number): number {
  const lineStart = content.lastIndexOf("\n", offset - 1) + 1;
  const indent = /^[ \t]*/.exec(content.slice(lineStart))![0];
  if (indent.includes("\t") && offset <= lineStart + indent.length + 1)
    return lineStart + indent.indexOf("\t");
  const nonBlank = (from: number) => {
    const m = /[^ \t\r\n]/g;
    m.lastIndex = from;
    return m.exec(content)?.index ?? from;
  };
  if (code === "BLOCK_AS_IMPLICIT_KEY") {
    const colon = /:(?=[ \t\r\n]|$)/g;
    colon.lastIndex = offset;
    return colon.exec(content)?.index ?? nonBlank(offset);
  }
  if (code === "MISSING_CHAR" && content[offset] !== undefined && /[ \t]/.test(content[offset]!))
    return nonBlank(offset);
  return offset;
}
