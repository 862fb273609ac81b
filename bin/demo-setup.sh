# Sourced by bin/failback-demo and bench/wan-protect (not a command): with $here, $bin and $run
# set, a throw-away PKI, the simulated host hv-01 with web-01 (~1 GiB), a controller on the
# local-directory cloud and its agent, and cli()/sim() for the operator CLI. Optional: a
# function before_agent, called once the controller's $port is known, which may point $target
# (the address the agent dials) elsewhere and add to $pids, and agent_args, extra words for
# `failback-agent run`, FAILBACK_DEMO_FILL_MIB, web-01's MiB of data (1000), and
# FAILBACK_DEMO_REPLICATION_INTERVAL, the controller's cycle period (PT1H), and
# FAILBACK_DEMO_CERT_LIFETIME: when set, the controller signs with the CA (--ca-dir) for that
# long and the agent enrolls with a one-time token instead of using an issued certificate, so
# it renews by itself at two thirds of that life, FAILBACK_DEMO_CLOUD_ARGS, words for the
# controller in place of its local-directory cloud with the simulation (e.g. `--cloud kvm ...`),
# and FAILBACK_DEMO_GUEST_MEMORY_MIB, web-01's memory with one processor (a guest that boots).
# Leaves $vm set.
rm -rf "$run"
mkdir -p "$run"
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
step() { printf '\n== %s\n' "$*"; }
quiet() { "$@" >"$run/last.log" 2>&1 || { cat "$run/last.log" >&2; exit 1; }; }

step "PKI: a CA, then a key and certificate each for the controller, the agent and an operator"
pki="$here/certs/bin/failback-pki"
quiet "$pki" init-ca --dir "$run/pki/ca" --trust-domain failback.demo
quiet "$pki" issue --ca-dir "$run/pki/ca" --role controller --dns localhost --ip 127.0.0.1 \
  --out-dir "$run/pki/controller"
quiet "$pki" issue --ca-dir "$run/pki/ca" --role agent --name hv-01 --out-dir "$run/pki/agent"
quiet "$pki" issue --ca-dir "$run/pki/ca" --role operator --name demo \
  --out-dir "$run/pki/operator"
# The simulated cloud's guests are driven with a certificate of their own role.
quiet "$pki" issue --ca-dir "$run/pki/ca" --role simulator --name guests \
  --out-dir "$run/pki/simulator"
echo "CA, controller (localhost), agent hv-01, operator demo and simulator guests certificates in $run/pki"

step "Simulated Hyper-V host hv-01: web-01 with ${FAILBACK_DEMO_FILL_MIB:-1000} MiB of data" \
  "on a VHDX disk"
"$bin/failback-agent" seed-demo-host --dir "$run/hosts/hv-01" --host-name hv-01 \
  --fill-mib "${FAILBACK_DEMO_FILL_MIB:-1000}" \
  --guest-memory-mib "${FAILBACK_DEMO_GUEST_MEMORY_MIB:-0}"

cloud_said="local-directory cloud, simulation on"
[ -z "${FAILBACK_DEMO_CLOUD_ARGS:-}" ] || cloud_said="$(echo $FAILBACK_DEMO_CLOUD_ARGS \
  | cut -d' ' -f1-2) cloud"
step "Controller (mutual TLS on 127.0.0.1, $cloud_said) and agent"
"$bin/failback-controller" --listen "${FAILBACK_DEMO_LISTEN:-127.0.0.1:0}" \
  --port-file "$run/controller.port" \
  --state-dir "$run/controller" --cert "$run/pki/controller/controller.pem" \
  --key "$run/pki/controller/controller.key" --ca "$run/pki/ca/ca.pem" \
  --heartbeat-interval PT2S --heartbeat-timeout PT7S \
  --replication-interval "${FAILBACK_DEMO_REPLICATION_INTERVAL:-PT1H}" \
  ${FAILBACK_DEMO_CLOUD_ARGS:---simulation} \
  --metrics-address "${FAILBACK_DEMO_METRICS:-127.0.0.1:0}" \
  ${FAILBACK_DEMO_CERT_LIFETIME:+--ca-dir "$run/pki/ca"} \
  ${FAILBACK_DEMO_CERT_LIFETIME:+--cert-lifetime "$FAILBACK_DEMO_CERT_LIFETIME"} \
  >"$run/controller.log" 2>&1 &
pids="$pids $!"
i=0
while [ ! -s "$run/controller.port" ]; do
  i=$((i + 1))
  [ $i -le 300 ] || { echo "controller did not start; see $run/controller.log" >&2; exit 1; }
  sleep 0.1
done
port=$(cat "$run/controller.port")
cat >"$run/cli.properties" <<PROPS
controller=localhost:$port
ca=$run/pki/ca/ca.pem
cert=$run/pki/operator/demo.pem
key=$run/pki/operator/demo.key
PROPS
cli() { "$bin/failback" --config "$run/cli.properties" "$@"; }
sim() { cli --cert "$run/pki/simulator/guests.pem" --key "$run/pki/simulator/guests.key" "$@"; }
# The address the agent dials: the controller, or what the caller puts in front of it.
target="localhost:$port"
if command -v before_agent >/dev/null 2>&1; then before_agent; fi
agent_cert="$run/pki/agent/hv-01.pem"
agent_key="$run/pki/agent/hv-01.key"
if [ -n "${FAILBACK_DEMO_CERT_LIFETIME:-}" ]; then
  token=$(cli enroll-token hv-01 --ttl PT10M | head -n 1)
  quiet "$bin/failback-agent" enroll --controller "$target" --token "$token" \
    --ca "$run/pki/ca/ca.pem" --out "$run/pki/enrolled"
  agent_cert="$run/pki/enrolled/agent.pem"
  agent_key="$run/pki/enrolled/agent.key"
  echo "hv-01 enrolled with a one-time token: a certificate for $FAILBACK_DEMO_CERT_LIFETIME"
fi
# shellcheck disable=SC2086 # agent_args is a list of words
"$bin/failback-agent" run ${agent_args:-} --controller "$target" --host-dir "$run/hosts/hv-01" \
  --cert "$agent_cert" --key "$agent_key" \
  --ca "$run/pki/ca/ca.pem" >"$run/agent.log" 2>&1 &
pids="$pids $!"
i=0
until cli hosts 2>/dev/null | grep -q ONLINE; do
  i=$((i + 1))
  [ $i -le 60 ] || { echo "agent did not register; see $run/agent.log" >&2; exit 1; }
  sleep 0.5
done
cli hosts
vm=$(cli vms | awk '$2 == "web-01" { print $1 }')
echo "web-01 is VM $vm"
