/**
 * The one reading of a YAML boolean, shared by the config (file and environment), the rules
 * files, their JSON Schema and the Falco rules loader. YAML 1.1 words are accepted because
 * Go's yaml.v3 and Falco's yaml-cpp both accept them when the target is a boolean.
 *
 * Each reader names the words it accepts as a {@link BooleanWords}; its JSON Schema pattern
 * comes from the same words, so a schema accepts exactly what the reader does.
 */
import { anyCasePattern, escapeRegExp } from "../validation/json-pattern.js";

/** Spellings read as true, as written in YAML 1.1 (lower, Title and UPPER case). */
export const YAML_TRUE_WORDS = [
  "true",
  "True",
  "TRUE",
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "ON",
  "y",
  "Y",
] as const;
/** Spellings read as false. */
export const YAML_FALSE_WORDS = [
  "false",
  "False",
  "FALSE",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF",
  "n",
  "N",
] as const;

/** The words a reader takes for true and false; surrounding spaces are always ignored. */
export class BooleanWords {
  private readonly yes: ReadonlySet<string>;
  private readonly no: ReadonlySet<string>;

  /**
   * @param anyCase also accept every other letter case of the words (`tRuE`), not only the
   *   spellings listed.
   */
  constructor(
    trueWords: readonly string[],
    falseWords: readonly string[],
    readonly anyCase = false,
  ) {
    const fold = (w: string) => (anyCase ? w.toLowerCase() : w);
    this.yes = new Set(trueWords.map(fold));
    this.no = new Set(falseWords.map(fold));
  }

  /** The boolean the text spells, or undefined when it is not one of the words. */
  read(text: string): boolean | undefined {
    const w = this.anyCase ? text.trim().toLowerCase() : text.trim();
    if (this.yes.has(w)) return true;
    if (this.no.has(w)) return false;
    return undefined;
  }

  /**
   * A JSON Schema `pattern` matching exactly the texts {@link read} accepts (JSON Schema
   * patterns have no flags, so any case is spelt `[Tt][Rr][Uu][Ee]`).
   */
  pattern(): string {
    return `^\\s*(?:${this.alternatives()})\\s*$`;
  }

  /** The words alone, as alternatives (`true|false|...`), to build a wider pattern. */
  alternatives(): string {
    const spell = (w: string) => (this.anyCase ? anyCasePattern(w) : escapeRegExp(w));
    return [...this.yes, ...this.no].map(spell).join("|");
  }
}

/** YAML 1.1's words, in the spellings listed above: what Falco's rules loader accepts. */
export const YAML_BOOLEANS = new BooleanWords(YAML_TRUE_WORDS, YAML_FALSE_WORDS);

/** A YAML boolean word (surrounding spaces ignored), or undefined when the text is not one. */
export function yamlBooleanWord(text: string): boolean | undefined {
  return YAML_BOOLEANS.read(text);
}
