/** The rules subsystem: load, validate, match, print. */
export { expandRulesPaths } from "../files/rules-paths.js";
export {
  formatProblem,
  type LoadResult,
  loadRules,
  loadRulesFromSources,
  type RulesSource,
} from "./load.js";
export { matchingRules, matchRule } from "./match.js";
export { printRules } from "./print.js";
export { priorityNumber } from "./schema.js";
export type * from "./types.js";
export { type RuleRegistry, validateRules } from "./validate.js";
