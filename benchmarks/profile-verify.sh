#!/usr/bin/env bash
# Where the ledger audit's CPU time goes: runs VerifyLoop (the audit of a ledger, many times in one
# JVM) under async-profiler's CPU sampler and sums the samples by thread and by kind of work.
#
#   benchmarks/profile-verify.sh [LEDGER_DIR] [AUDITS]
#
# LEDGER_DIR defaults to /tmp/fedtel-audit-ledger; when it does not exist, the 1 000 000-entry
# benchmark ledger is written there first. AUDITS defaults to 200. Needs the benchmarks jar
# (mvn -B -q -o -pl benchmarks -am install -Dmaven.test.skip=true) and fetches async-profiler 3.0
# (tools.profiler:async-profiler, Apache 2.0) from Maven Central into the local repository. The
# samples include the warm-up audits and the JIT compiler, which is listed on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/fedtel-audit-ledger}
audits=${2:-200}
interval_us=500
jar=benchmarks/target/benchmarks.jar
if [[ ! -f $jar ]]; then
  echo "no $jar: build it with mvn -B -q -o -pl benchmarks -am install -Dmaven.test.skip=true" >&2
  exit 2
fi
profiler_jar=$HOME/.m2/repository/tools/profiler/async-profiler/3.0/async-profiler-3.0.jar
if [[ ! -f $profiler_jar ]]; then
  mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:3.0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unzip -q -o "$profiler_jar" linux-x64/libasyncProfiler.so -d "$work"
java --add-modules jdk.incubator.vector -agentpath:"$work/linux-x64/libasyncProfiler.so=start,event=cpu,interval=${interval_us}us,threads,collapsed,file=$work/samples.txt" \
  -cp "$jar" org.fedtel.benchmarks.ledger.VerifyLoop "$dir" "$audits"

# One line per stack: "[thread tid=N];frame;...;frame COUNT". The first pattern that matches a stack
# names its kind of work.
awk -v audits="$audits" -v interval="$interval_us" '
function kind(s) {
  if (s ~ /CompileBroker|^\[C[12] Compiler/) return "JIT compiler"
  if (s ~ /^\[(GC|G1)/) return "garbage collector"
  if (s ~ /org\/bouncycastle/) return "Ed25519 (checkpoint signatures)"
  if (s ~ /ChunkedScan\$Reader\.fill;/) return "reading the file (pread, kernel copy)"
  if (s ~ /ChunkedScan\$Reader/) return "walking records, handing chunks over"
  if (s ~ /ChunkedScan\$Headers\.(read|link)/) return "reading entry headers (while hashing)"
  if (s ~ /CRC32C/) return "CRC32C of each record"
  if (s ~ /LaneSha256/) return "SHA-256 in vector lanes (LaneSha256)"
  if (s ~ /sha256_implCompress/) return "SHA-256 compression (SHA-NI stub)"
  if (s ~ /MessageDigest|DigestBase/) return "MessageDigest padding, finalization, reset"
  if (s ~ /ChunkedScan\$Chunk/) return "chunk hashing loop (own code)"
  if (s ~ /LedgerAudit/) return "checks in entry order (LedgerAudit)"
  return "other (pipeline, waits, JVM)"
}
{
  n = $NF; stack = $0; sub(/ [0-9]+$/, "", stack)
  thread = stack; sub(/;.*/, "", thread)
  t = thread ~ /ledger-hash/ ? "hash" : (thread ~ /^\[(main|DestroyJavaVM)/ ? "main" : "rest")
  k = kind(stack)
  by[k, t] += n; total[k] += n; threads[t] += n; all += n
}
END {
  ms = interval / 1000 / audits
  printf "\n%d samples every %d µs over %d audits; CPU ms per audit (share of all samples)\n", all, interval, audits
  printf "%-44s %12s %12s %12s\n", "work", "checking", "hashing", "all threads"
  for (k in total) order[k] = total[k]
  while (length(order) > 0) {
    best = ""; for (k in order) if (best == "" || order[k] > order[best]) best = k
    printf "%-44s %12.1f %12.1f %7.1f (%4.1f%%)\n", best, by[best, "main"] * ms, by[best, "hash"] * ms, total[best] * ms, 100 * total[best] / all
    delete order[best]
  }
  printf "%-44s %12.1f %12.1f %7.1f\n", "total", threads["main"] * ms, threads["hash"] * ms, all * ms
}' "$work/samples.txt"
