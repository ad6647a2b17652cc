#!/usr/bin/env bash
# Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on
# 127.0.0.1 with free ports, installs the Calico/Cilium CRDs and creates kwok nodes.
#   scripts/k8s/up.sh BIN_DIR RUN_DIR
# Writes RUN_DIR/kubeconfig and RUN_DIR/*.pid, prints `export FALCO_TALON_TEST_KUBECONFIG=...`.
# Requests of users in the group `talon-audited` (tests sign their own client certificates with
# RUN_DIR/ca.key, O=talon-audited) are written to the API server's audit log RUN_DIR/audit.log:
# Metadata level, one line per request at RequestReceived, so the lines follow the order the
# requests arrive. Nothing else is audited, so the other suites' traffic costs nothing.
# Stop with scripts/k8s/down.sh RUN_DIR (also done here when start-up fails).
set -euo pipefail
BIN=$(readlink -f "$1")
RUN=$(mkdir -p "$2" && readlink -f "$2")
NODES=${K8S_TEST_NODES:-2}
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
log() { echo "[k8s-up] $*" >&2; }
fail() {
  log "$*"
  for f in etcd apiserver kcm scheduler kwok; do
    [ -f "$RUN/$f.log" ] && { log "--- tail $f.log"; tail -n 15 "$RUN/$f.log" >&2; }
  done
  bash "$HERE/down.sh" "$RUN" || true
  exit 1
}
trap 'fail "interrupted"' INT TERM
START=$(date +%s)
mkdir -p "$RUN/rootfs"
cd "$RUN"

# Six free loopback ports, chosen by the kernel.
read -r PE PP PA PK PC PS < <(node -e '
const net = require("node:net");
(async () => {
  const servers = [];
  for (let i = 0; i < 6; i++) {
    servers.push(await new Promise((res) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => res(s)); }));
  }
  console.log(servers.map((s) => s.address().port).join(" "));
  for (const s of servers) s.close();
})();')

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout api.key -out api.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >san.ext
openssl x509 -req -in api.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out api.crt 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
TOKEN=$(openssl rand -hex 32)
echo "$TOKEN,admin,admin,system:masters" >tokens.csv
chmod 600 tokens.csv ca.key api.key sa.key
cat >kubeconfig <<KC
apiVersion: v1
kind: Config
clusters: [{name: talon-test, cluster: {server: "https://127.0.0.1:$PA", certificate-authority: "$RUN/ca.crt"}}]
users: [{name: admin, user: {token: "$TOKEN"}}]
contexts: [{name: talon-test, context: {cluster: talon-test, user: admin}}]
current-context: talon-test
KC
cat >audit-policy.yaml <<AP
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [ResponseStarted, ResponseComplete, Panic]
rules:
  - level: Metadata
    userGroups: [talon-audited]
  - level: None
AP
export KUBECONFIG="$RUN/kubeconfig"

"$BIN/etcd" --name t --data-dir "$RUN/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$PE" --advertise-client-urls "http://127.0.0.1:$PE" \
  --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
  --initial-cluster "t=http://127.0.0.1:$PP" --listen-metrics-urls "" >etcd.log 2>&1 &
echo $! >etcd.pid

"$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$PE" --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port="$PA" --cert-dir="$RUN" \
  --tls-cert-file=api.crt --tls-private-key-file=api.key --client-ca-file=ca.crt \
  --token-auth-file=tokens.csv --authorization-mode=RBAC --allow-privileged=true \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file=sa.pub \
  --service-account-signing-key-file=sa.key --service-cluster-ip-range=10.96.0.0/16 \
  --kubelet-preferred-address-types=InternalIP,Hostname --endpoint-reconciler-type=none \
  --audit-policy-file=audit-policy.yaml --audit-log-path="$RUN/audit.log" --audit-log-mode=blocking \
  >apiserver.log 2>&1 &
echo $! >apiserver.pid

ready=""
for _ in $(seq 240); do
  kill -0 "$(cat apiserver.pid)" 2>/dev/null || fail "kube-apiserver exited"
  if curl -sf --max-time 2 --cacert ca.crt -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$PA/readyz" >/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "$ready" ] || fail "kube-apiserver not ready after 120s"
log "kube-apiserver ready on 127.0.0.1:$PA after $(($(date +%s) - START))s"

"$BIN/kube-controller-manager" --kubeconfig=kubeconfig --leader-elect=false \
  --bind-address=127.0.0.1 --secure-port="$PC" \
  --service-account-private-key-file=sa.key --root-ca-file=ca.crt \
  --controllers='*' >kcm.log 2>&1 &
echo $! >kcm.pid
"$BIN/kube-scheduler" --kubeconfig=kubeconfig --leader-elect=false \
  --bind-address=127.0.0.1 --secure-port="$PS" >scheduler.log 2>&1 &
echo $! >scheduler.pid

# kwok plays the kubelet for every node; exec runs local commands in rootfs, logs come from a file.
{
  for f in "$BIN"/stages/*.yaml; do
    cat "$f"
    echo '---'
  done
  cat <<KW
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata: {name: all}
spec: {execs: [{local: {workDir: "$RUN/rootfs"}}]}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: all}
spec: {logs: [{logsFile: "$RUN/container.log"}]}
KW
} >kwok.yaml
# CRI log format, which kwok parses.
printf '%s stdout F line one from the fake container\n%s stdout F line two from the fake container\n' \
  2026-01-01T00:00:00.000000000Z 2026-01-01T00:00:01.000000000Z >container.log
"$BIN/kwok" --kubeconfig=kubeconfig --config=kwok.yaml --manage-all-nodes=true \
  --node-ip=127.0.0.1 --node-name=localhost --node-port="$PK" --server-address="127.0.0.1:$PK" \
  >kwok.log 2>&1 &
echo $! >kwok.pid

kubectl apply -f "$BIN/crds/" >/dev/null || fail "CRD install failed"
for i in $(seq 0 $((NODES - 1))); do
  cat <<ND
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux}
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
spec: {}
---
ND
done | kubectl apply -f - >/dev/null || fail "node creation failed"
kubectl wait --for=condition=Established --timeout=60s crd --all >/dev/null || fail "CRDs not established"
kubectl wait --for=condition=Ready --timeout=60s node --all >/dev/null || fail "kwok nodes not Ready"
for _ in $(seq 120); do
  kubectl -n default get serviceaccount default >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl -n default get serviceaccount default >/dev/null 2>&1 || fail "no default ServiceAccount (kube-controller-manager down?)"
echo "$PA" >apiserver.port
trap - INT TERM
log "cluster up in $(($(date +%s) - START))s (run dir $RUN)"
echo "export FALCO_TALON_TEST_KUBECONFIG=$RUN/kubeconfig"
