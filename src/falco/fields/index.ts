// Field tables per event source.
import { genericTable } from "./generic.js";
import { jsonTable } from "./json.js";
import { k8sAuditTable } from "./k8saudit.js";
import { syscallTable } from "./syscall.js";
import { type FieldTable, mergeTables } from "./types.js";

export const K8S_AUDIT_SOURCE = "k8s_audit";
export const SYSCALL_SOURCE = "syscall";

const k8s = mergeTables(k8sAuditTable, jsonTable, genericTable);
const syscall = mergeTables(syscallTable, genericTable);
const pluginJson = mergeTables(jsonTable, genericTable);

/** The fields available to rules of `source` (json.* for any JSON plugin source). */
export function fieldTableFor(source: string): FieldTable {
  if (source === K8S_AUDIT_SOURCE) return k8s;
  if (source === SYSCALL_SOURCE) return syscall;
  return pluginJson;
}
