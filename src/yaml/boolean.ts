/**
 * The one reading of a YAML boolean, shared by the config (file and environment), the rules
 * files, their JSON Schema and the Falco rules loader. YAML 1.1 words are accepted because
 * Go's yaml.v3 and Falco's yaml-cpp both accept them when the target is a boolean.
 */

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

const TRUE = new Set<string>(YAML_TRUE_WORDS);
const FALSE = new Set<string>(YAML_FALSE_WORDS);

/** A YAML boolean word (surrounding spaces ignored), or undefined when the text is not one. */
export function yamlBooleanWord(text: string): boolean | undefined {
  const w = text.trim();
  if (TRUE.has(w)) return true;
  if (FALSE.has(w)) return false;
  return undefined;
}
