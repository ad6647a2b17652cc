/** Every actionner, by `category:name`. Adding one: a folder plus one line here. */
import type { Actionner } from "../plugins/types.js";
import awsLambda from "./aws/lambda/index.js";
import calicoNetworkPolicy from "./calico/networkpolicy/index.js";
import ciliumNetworkPolicy from "./cilium/networkpolicy/index.js";
import gcpFunction from "./gcp/function/index.js";
import annotation from "./kubernetes/annotation/index.js";
import cordon from "./kubernetes/cordon/index.js";
import k8sDelete from "./kubernetes/delete/index.js";
import download from "./kubernetes/download/index.js";
import drain from "./kubernetes/drain/index.js";
import exec from "./kubernetes/exec/index.js";
import label from "./kubernetes/label/index.js";
import log from "./kubernetes/log/index.js";
import networkPolicy from "./kubernetes/networkpolicy/index.js";
import quarantine from "./kubernetes/quarantine/index.js";
import script from "./kubernetes/script/index.js";
import sysdig from "./kubernetes/sysdig/index.js";
import tcpdump from "./kubernetes/tcpdump/index.js";
import terminate from "./kubernetes/terminate/index.js";

export const actionners: Actionner[] = [
  terminate,
  label,
  annotation,
  cordon,
  k8sDelete,
  exec,
  script,
  log,
  download,
  tcpdump,
  sysdig,
  networkPolicy,
  drain,
  quarantine,
  calicoNetworkPolicy,
  ciliumNetworkPolicy,
  awsLambda,
  gcpFunction,
];

export function actionnerName(a: Actionner): string {
  return `${a.info.category}:${a.info.name}`;
}

export function findActionner(fullName: string): Actionner | undefined {
  return actionners.find((a) => actionnerName(a) === fullName);
}
