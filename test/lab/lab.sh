#!/usr/bin/env bash
# darkscope lab (issue 7): real scanners and real DDoS backscatter in network
# namespaces, captured by a passive darknet sensor. Design of the earlier lab
# (../shared/data/lab/*.truth.json): namespaces dlab-*, same addresses, same
# zmap/masscan/nmap/hping3 command lines, same sensor BPF.
#
#   usage: lab.sh OUTDIR      (root; a few minutes)
#   writes OUTDIR/telescope.pcap (sensor), OUTDIR/lab.json (what ran), logs.
#   exit 0: everything ran; 77: namespaces cannot be created here; else failed.
#
# Topology (veth pairs, nothing linked to the host namespace, no default route):
#
#   dlab-scanner  eth0 198.51.100.10-13/24 ─ r-scan 198.51.100.1 (MAC fixed)
#   dlab-attacker eth0 192.0.2.66/30       ─ r-att  192.0.2.65       dlab-router
#   dlab-victim   eth0 203.0.113.80/24     ─ r-vic  203.0.113.1      (forwarding,
#   dlab-darknet  eth0 10.66.0.2/30        ─ r-dark 10.66.0.1         rp_filter off)
#
# The router routes 100.64.0.0/22 to dlab-darknet, which forwards nothing and owns
# none of those addresses: the kernel drops them silently after tcpdump saw them.
set -uo pipefail

OUT=${1:?usage: lab.sh OUTDIR}
DARKNET=100.64.0.0/22
BPF="ip and dst net $DARKNET"
ROUTER_MAC=02:00:00:00:10:01
SCANNER_MAC=02:00:00:00:10:0a
VICTIM=203.0.113.80
NSS=(dlab-scanner dlab-attacker dlab-victim dlab-darknet dlab-router)
# Every address the lab uses: the host-namespace capture must see none of them.
HOST_BPF="net $DARKNET or net 198.51.100.0/24 or net 192.0.2.64/30 or net 203.0.113.0/24 or net 10.66.0.0/30"

say() { echo "lab: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
# sleep that lets the traps run at once (bash defers traps until a foreground child ends)
nap() { sleep "$1" & wait $!; }
now() { date +%s.%N; }

# ---- can we? ------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then echo "lab: cannot create network namespaces: not root" >&2; exit 77; fi
if ! ip netns add dlab-probe 2>/dev/null; then
  echo "lab: cannot create network namespaces: ip netns add failed (no CAP_SYS_ADMIN?)" >&2; exit 77
fi
ip netns del dlab-probe

mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
LOG="$OUT/logs"
mkdir -p "$LOG"

# ---- cleanup: on every exit, also on failure and on signals ------------------------
PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  local ns
  for ns in "${NSS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
  done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for ns in "${NSS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  wait 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
# If whoever started us dies (an interrupted test), stop too: the trap cleans up.
PARENT=$PPID
( while kill -0 "$PARENT" 2>/dev/null; do sleep 1; done; kill -TERM $$ 2>/dev/null ) &
PIDS+=($!)

# A previous run killed with SIGKILL may have left namespaces: remove them.
for ns in "${NSS[@]}"; do
  if [ -e "/run/netns/$ns" ]; then
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns"
  fi
done

# ---- tools ------------------------------------------------------------------------
need=()
for t in zmap masscan nmap hping3 tcpdump; do command -v "$t" >/dev/null || need+=("$t"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${need[@]}" >"$LOG/apt.log" 2>&1; then
    { apt-get update -q && apt-get install -y -q "${need[@]}"; } >>"$LOG/apt.log" 2>&1 || die "apt-get install ${need[*]} (see $LOG/apt.log)"
  fi
fi
NODE=$(command -v node) || die "node not found"

# ---- isolation proof: the host namespace must see none of the lab's packets -------
tcpdump -i any -n -U -Z root -w "$OUT/host.pcap" "$HOST_BPF" 2>"$LOG/host-tcpdump.log" &
HOST_TCPDUMP=$!
PIDS+=($HOST_TCPDUMP)

# ---- topology ---------------------------------------------------------------------
T_START=$(now)
for ns in "${NSS[@]}"; do
  ip netns add "$ns" || die "ip netns add $ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
set -e
# each veth is created directly inside its two namespaces: nothing in the host's
ip link add eth0 netns dlab-scanner address $SCANNER_MAC type veth peer name r-scan netns dlab-router address $ROUTER_MAC
ip link add eth0 netns dlab-attacker type veth peer name r-att netns dlab-router
ip link add eth0 netns dlab-victim type veth peer name r-vic netns dlab-router
ip link add eth0 netns dlab-darknet type veth peer name r-dark netns dlab-router

R="ip netns exec dlab-router"
$R sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n dlab-router addr add 198.51.100.1/24 dev r-scan
ip -n dlab-router addr add 192.0.2.65/30 dev r-att
ip -n dlab-router addr add 203.0.113.1/24 dev r-vic
ip -n dlab-router addr add 10.66.0.1/30 dev r-dark
for i in r-scan r-att r-vic r-dark; do
  $R sysctl -qw net.ipv4.conf.$i.rp_filter=0 # spoofed 100.64.x.y arrive on r-att
  ip -n dlab-router link set $i up
done
ip -n dlab-router route add $DARKNET via 10.66.0.2 dev r-dark

for a in 10 11 12 13; do ip -n dlab-scanner addr add 198.51.100.$a/24 dev eth0; done
ip -n dlab-scanner link set eth0 up
ip -n dlab-scanner route add $DARKNET via 198.51.100.1

ip -n dlab-attacker addr add 192.0.2.66/30 dev eth0
ip -n dlab-attacker link set eth0 up
ip -n dlab-attacker route add $VICTIM/32 via 192.0.2.65

ip -n dlab-victim addr add $VICTIM/24 dev eth0
ip -n dlab-victim link set eth0 up
ip -n dlab-victim route add $DARKNET via 203.0.113.1
# every ICMP error a real answer (not rate-limited); SYN-ACK retransmissions as in the truth files
ip netns exec dlab-victim sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.tcp_synack_retries=2

# the sensor: an address for ARP only, forwarding off, no darknet address
ip netns exec dlab-darknet sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.forwarding=0
ip -n dlab-darknet addr add 10.66.0.2/30 dev eth0
ip -n dlab-darknet link set eth0 up
set +e

# ---- the victim's server and the sensor -------------------------------------------
ip netns exec dlab-victim "$NODE" -e '
const net = require("node:net");
let n = 0;
for (const p of [80, 8080]) net.createServer((s) => s.destroy()).listen(p, "0.0.0.0", 511, () => { if (++n === 2) console.log("listening"); });
' >"$LOG/victim.log" 2>&1 &
PIDS+=($!)
ip netns exec dlab-darknet tcpdump -i eth0 -n -U -Z root -B 8192 -w "$OUT/telescope.pcap" "$BPF" 2>"$LOG/sensor-tcpdump.log" &
SENSOR=$!
PIDS+=($SENSOR)
for _ in $(seq 100); do
  grep -q listening "$LOG/victim.log" && grep -q 'listening on' "$LOG/sensor-tcpdump.log" && grep -q 'listening on' "$LOG/host-tcpdump.log" && break
  nap 0.1
done
grep -q listening "$LOG/victim.log" || die "victim server did not start: $(cat "$LOG/victim.log")"
grep -q 'listening on' "$LOG/sensor-tcpdump.log" || die "sensor tcpdump did not start: $(cat "$LOG/sensor-tcpdump.log")"
grep -q 'listening on' "$LOG/host-tcpdump.log" || die "host tcpdump did not start: $(cat "$LOG/host-tcpdump.log")"

# ---- what ran, for lab.json ---------------------------------------------------------
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
SCANS=()
FLOODS=()

# ---- scans (the truth files' command lines; one after the other, each bounded) ------
: >"$OUT/empty-blocklist" # zmap's default blocklist holds 100.64.0.0/10
S="ip netns exec dlab-scanner"
FAILED=()
# run_scan TOOL SOURCE PORTS TARGETS LIMIT OKCODES CMD...
run_scan() {
  local tool=$1 src=$2 ports=$3 targets=$4 limit=$5 ok=$6 name=$7; shift 7
  local t0 t1 rc
  t0=$(now)
  (cd "$LOG" && exec timeout -k 3 "$limit" "$@") >"$LOG/$name.log" 2>&1 &
  wait $!
  rc=$?
  t1=$(now)
  case " $ok " in *" $rc "*) ;; *) FAILED+=("$name exit $rc"); say "$name exited $rc (see $LOG/$name.log)" ;; esac
  SCANS+=("{\"name\":$(jstr "$name"),\"tool\":$(jstr "$tool"),\"source\":$(jstr "$src"),\"ports\":[$ports],\"targets\":$(jstr "$targets"),\"command\":$(jstr "$*"),\"exit\":$rc,\"start\":$t0,\"end\":$t1}")
}

# ---- floods: spoofed darknet sources against the victim; the victim's kernel answers
# into the darknet. Each lasts > 60 s at 2 packets/s (4 sources, one every 2 s each):
# corsaro3's 25 packets / 60 s / 30 per window. With 4 spoofed sources a flood's
# backscatter reaches < 10 darknet addresses, so the Merit scan model makes no event of it.
FLOOD_COUNT=33 # one packet every 2 s per source: 64 s
declare -A FLOOD_PIDS
# start_flood KIND PROTO PORT HPING-ARGS SOURCES...
start_flood() {
  local kind=$1 proto=$2 port=$3 args=$4; shift 4
  local t0 s pids=() srcs=() cmd
  t0=$(now)
  for s in "$@"; do
    cmd="hping3 -I eth0 -a $s $args -c $FLOOD_COUNT -i 2 $VICTIM"
    # shellcheck disable=SC2086
    timeout -k 3 100 ip netns exec dlab-attacker $cmd >>"$LOG/flood-$kind.log" 2>&1 &
    pids+=($!)
    srcs+=("$(jstr "$s")")
    nap 0.5 # spread the sources over the 2-s period
  done
  FLOOD_PIDS[$kind]="${pids[*]}"
  FLOODS+=("{\"kind\":$(jstr "$kind"),\"proto\":$proto,\"port\":$port,\"victim\":$(jstr "$VICTIM"),\"spoofedSources\":[$(IFS=,; echo "${srcs[*]}")],\"packetsPerSource\":$FLOOD_COUNT,\"intervalSec\":2,\"command\":$(jstr "for s in $*; do ip netns exec dlab-attacker hping3 -I eth0 -a \$s $args -c $FLOOD_COUNT -i 2 $VICTIM & done"),\"start\":$t0,\"end\":END_$kind}")
}
# wait_flood KIND: hping3 exits 1 when nothing answers it (the answers go to the darknet)
wait_flood() {
  local kind=$1 p rc t1
  for p in ${FLOOD_PIDS[$kind]}; do
    wait "$p"; rc=$?
    [ $rc -le 1 ] || { FAILED+=("flood $kind exit $rc"); say "flood $kind: hping3 exited $rc"; }
  done
  t1=$(now)
  local i
  for i in "${!FLOODS[@]}"; do FLOODS[$i]=${FLOODS[$i]/END_$kind/$t1}; done
}

say "floods: SYN :443 (closed), UDP :9 (closed), ICMP echo; scans meanwhile"
start_flood syn-closed-port 6 443 "-S -p 443" 100.64.0.21 100.64.1.22 100.64.2.23 100.64.3.24
start_flood udp 17 9 "--udp -p 9" 100.64.0.31 100.64.1.32 100.64.2.33 100.64.3.34
start_flood icmp-echo 1 0 "--icmp" 100.64.0.41 100.64.1.42 100.64.2.43 100.64.3.44

run_scan zmap 198.51.100.10 23 100.64.0.0/22 30 0 zmap_tcp_syn \
  $S zmap -i eth0 -G $ROUTER_MAC -S 198.51.100.10 -M tcp_synscan -p 23 -n 1024 -r 2000 -c 2 -e 20240601 \
  -b "$OUT/empty-blocklist" -m "$LOG/zmap_tcp_syn.meta.json" -o "$LOG/zmap_tcp_syn.results.csv" 100.64.0.0/22
run_scan zmap 198.51.100.10 "" 100.64.3.0/24 30 0 zmap_icmp_echo \
  $S zmap -i eth0 -G $ROUTER_MAC -S 198.51.100.10 -M icmp_echoscan -n 256 -r 1000 -c 1 -e 7 \
  -b "$OUT/empty-blocklist" -m "$LOG/zmap_icmp_echo.meta.json" -o "$LOG/zmap_icmp_echo.results.csv" 100.64.3.0/24
# masscan 1.3.2 does not exit when nothing answers: timeout ends it (124) after --wait
run_scan masscan 198.51.100.11 80,443 100.64.0.0/22 12 "0 124" masscan_tcp_syn \
  $S masscan 100.64.0.0/22 -p80,443 --rate 2000 --wait 2 --seed 1337 --adapter eth0 --adapter-ip 198.51.100.11 \
  --adapter-mac $SCANNER_MAC --router-mac $ROUTER_MAC -oL "$LOG/masscan_tcp_syn.results.txt"
run_scan nmap 198.51.100.12 22,23,80,443,3389 100.64.1.0/26 40 0 nmap_syn \
  $S nmap -sS -Pn -n -e eth0 -S 198.51.100.12 -p 22,23,80,443,3389 --max-retries 0 -T4 --min-rate 400 \
  --max-rtt-timeout 200ms --host-timeout 20s -oX "$LOG/nmap_syn.xml" 100.64.1.0/26
# hping3 exits 1 when nothing answers (a darknet never does)
run_scan hping3 198.51.100.13 445 100.64.2.0/24 20 "0 1" hping3_rand_dest_syn \
  $S hping3 -I eth0 -a 198.51.100.13 -S -p 445 --rand-dest -c 200 -i u5000 100.64.2.x

wait_flood syn-closed-port
wait_flood udp
wait_flood icmp-echo

# A vector is per victim and protocol, and ends only after a whole 60-s interval
# without packets (so 60-120 s of silence): the open-port SYN flood starts > 120 s
# after the closed-port one to be an attack of its own.
say "gap of 125 s between the two TCP floods"
nap 125
say "flood: SYN :80 (open)"
start_flood syn-open-port 6 80 "-S -p 80" 100.64.0.11 100.64.1.12 100.64.2.13 100.64.3.14
wait_flood syn-open-port
nap 5 # the victim's last SYN-ACK retransmissions (1 s and 3 s after the SYN)

# ---- stop the captures --------------------------------------------------------------
kill -INT $SENSOR; wait $SENSOR
kill -INT $HOST_TCPDUMP; wait $HOST_TCPDUMP
T_END=$(now)

count() { tcpdump -r "$1" -n ${2:+"$2"} 2>/dev/null | wc -l; }
TOTAL=$(count "$OUT/telescope.pcap")
HOST_PACKETS=$(count "$OUT/host.pcap")
say "sensor captured $TOTAL packets; host namespace $HOST_PACKETS"
declare -A SEEN
for a in 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.13 $VICTIM; do
  SEEN[$a]=$(count "$OUT/telescope.pcap" "src host $a")
  [ "${SEEN[$a]}" -gt 0 ] || FAILED+=("no packets from $a at the sensor")
done
[ "$HOST_PACKETS" -eq 0 ] || FAILED+=("$HOST_PACKETS lab packets in the host namespace")

{
  echo "{"
  echo "\"darknet\":$(jstr "$DARKNET"),"
  echo "\"pcap\":\"telescope.pcap\","
  echo "\"sensor\":{\"namespace\":\"dlab-darknet\",\"interface\":\"eth0\",\"bpf\":$(jstr "$BPF")},"
  echo "\"router\":{\"namespace\":\"dlab-router\",\"scannerSideMac\":\"$ROUTER_MAC\"},"
  echo "\"victim\":{\"address\":\"$VICTIM\",\"namespace\":\"dlab-victim\",\"listen\":[80,8080]},"
  echo "\"attacker\":{\"address\":\"192.0.2.66\",\"namespace\":\"dlab-attacker\"},"
  echo "\"scans\":[$(IFS=,; echo "${SCANS[*]}")],"
  echo "\"floods\":[$(IFS=,; echo "${FLOODS[*]}")],"
  echo "\"packetsBySource\":{$(for a in "${!SEEN[@]}"; do printf '"%s":%s,' "$a" "${SEEN[$a]}"; done)\"total\":$TOTAL},"
  echo "\"hostNamespacePackets\":$HOST_PACKETS,"
  echo "\"failed\":[$(for f in "${FAILED[@]}"; do printf '%s,' "$(jstr "$f")"; done | sed 's/,$//')],"
  echo "\"start\":$T_START,\"end\":$T_END"
  echo "}"
} >"$OUT/lab.json"

if [ ${#FAILED[@]} -gt 0 ]; then die "$(IFS=';'; echo "${FAILED[*]}")"; fi
say "done in $(awk "BEGIN{printf \"%.0f\", $T_END - $T_START}") s: $OUT/telescope.pcap, $OUT/lab.json"
exit 0
