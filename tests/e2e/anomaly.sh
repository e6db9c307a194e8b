#!/bin/bash
# The load-aware latency model, live: a delay server on 127.0.0.1 under a
# fixed request rate from loadgen, the agent at its default detection settings,
# twice at once: on the program set the kernel chooses, and on a second set
# whose data path differs (ANOMALY_SECOND_SET, default the syscall set 6.1
# runs; empty for one agent). Each agent is held to every check below.
#  1. Steady load through the model's warm-up: no anomaly alert.
#  2. Three times: the server becomes 4x slower at the same load -> a firing
#     anomaly alert for server:PORT within 5 intervals; back to normal -> a
#     resolved line for the same id.
#  3. The healthy server under twice the load -> no anomaly alert.
# Prints the interval of detection of each episode; about 2.5 minutes.
# ANOMALY_EPISODES, ANOMALY_DOUBLE and ANOMALY_WARMUP shorten steps 2 and 3
# and the warm-up. (The second set ran as a test of its own, shorter, until
# 2026-12-07: 65 s of make test; beside the first it costs nothing.)
. "$(dirname "$0")/lib.sh"
need jq ss python3 chrt
TOOLS=$(dirname "$TT_BIN")/tools
for t in delay_server loadgen; do
	[ -x "$TOOLS/$t" ] || skip "$TOOLS/$t is not built (make $TOOLS/$t)"
done

PORT=$(free_port)
NORMAL_US=1000
SLOW_US=4000
# 400 req/s on 4 connections: one request per connection every 10 ms, so even
# the slow 4 ms answer leaves the schedule intact (loadgen counts late sends).
RATE=400
CONNS=4
WARMUP=${ANOMALY_WARMUP:-60}	# model warm-up, samples (docs/alerts.md, model defaults)
DETECT_MAX=5	# issue 3: an anomaly alert within 5 intervals of the slowdown
SLOW_HOLD=8	# intervals the server stays slow
# An anomaly resolves after clear_n = 5 good intervals in a row; the first
# interval after the switch back still holds slow answers, so it resolves in
# interval 6 on a quiet host (measured: 6 every time). A single disturbed
# interval restarts the count: with other tests loading both CPUs, one stall
# of a few ms (softirq work runs at normal priority) was seen to delay it by
# 5 more. The bound allows one such restart. (The slowdown fires critical, so
# it clears at the bound itself, not half of it: p99s up to about 30 % over
# the warm-up's (6 scales at the model's 5 % floor), seen in 6 of 13
# intervals on a noisy host, no longer restart it.)
# (Flap damping would multiply clear_n by 5; the episodes are spaced so the
# flap count, +1 per firing and -1 % per interval, stays under its 2.5 limit.)
RESOLVE_MAX=12
# A host can stay disturbed after the slowdown ends: CI once saw the p99 of a
# 1 ms server at 2.0, 2.9 and 2.2 ms in three of the first five intervals
# after recovery, against at most 1.3 ms in warm-up here. The agent is right
# to call that slow. The witness is the agent's own value of the alert's
# metric against the highest the warm-up saw (the model's judgement is what
# is under test): the bound counts from the last interval above it. A host
# disturbed for NOISY_MAX intervals after recovery fails: the test cannot
# judge there.
NOISY_MAX=40
GAP=10		# healthy intervals between episodes
EPISODES=${ANOMALY_EPISODES:-3}
DOUBLE=${ANOMALY_DOUBLE:-25}	# intervals at twice the load
SECOND_SET=${ANOMALY_SECOND_SET-tp_btf+syscalls+probe_read}

# Defaults only: an /etc/telltale/telltale.json must not change the detectors.
# ANOMALY_WARMUP shortens the model's warm-up, the one setting changed.
if [ "$WARMUP" = 60 ]; then
	echo '{}' >"$WORK/defaults.json"
else
	echo "{\"model\": {\"warmup\": $WARMUP}}" >"$WORK/defaults.json"
fi
# ANOMALY_KEEP=FILE keeps the agent's lines, e.g. for `telltale replay FILE`.
[ -n "${ANOMALY_KEEP:-}" ] && on_exit "cp '$WORK/agent.0.jsonl' '$ANOMALY_KEEP'"

# The other tests of the suite may run beside this one and load both CPUs; at
# normal priority their load alone moves this server's p99 by milliseconds,
# which the model rightly calls a slowdown. Real-time priority keeps the
# server's and the client's latency the knob's, so each phase tests one thing.
RT="chrt -f 10"

$RT "$TOOLS/delay_server" "$PORT" $NORMAL_US $SLOW_US 2>"$WORK/server.err" &
SERVER_PID=$!
on_exit "kill $SERVER_PID; wait $SERVER_PID"
wait_port "$PORT"

TT_SETS="default $SECOND_SET" start_agents -c "$WORK/defaults.json"
# The agents by the names of their files: agent.0 on the kernel's set,
# agent.1 on SECOND_SET. The checks below read agent $A.
AGENTS=()
for i in "${!AGENT_SETS[@]}"; do
	AGENTS+=("agent.$i")
done
A=agent.0
set_of() {
	local s=${AGENT_SETS[${1#agent.}]}
	[ "$s" = default ] && echo "the kernel's set" || echo "$s"
}
$RT "$TOOLS/loadgen" "$PORT" $RATE $CONNS 0 >"$WORK/load1.json" &
LOAD1_PID=$!
on_exit "kill $LOAD1_PID; wait $LOAD1_PID"

# jq over the complete lines agent $A has printed so far (the last line may
# be half written); $p is the server's port, t turns a ts into epoch seconds.
q() {
	local prog=$1
	shift
	jq -nR --argjson p "$PORT" "$@" '
		def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000;
		def mine: .service.role == "server" and .service.port == $p;
		[inputs | fromjson? // empty] as $all | '"$prog" "$WORK/$A.jsonl"
}
now() { date +%s.%N; }
# Each poll runs jq over the whole file (30 ms of CPU at its end). Polled 5
# times a second around each slowdown and its recovery, that was 15-19 % of
# the host's CPU, a load the model's cpu feature had never seen in warm-up
# (3 %), so the test moved the very feature it holds steady. Once a second,
# in every phase, is about 3 % throughout.
POLL=1
# Intervals (host lines) whose end lies in (from, to]: 1 is the interval the
# event at `from` happened in.
intervals() { q '[$all[] | select(.type == "host" and (.ts | t) > $a and (.ts | t) <= $b)] | length' \
	--argjson a "$1" --argjson b "$2"; }
anomalies_since() {
	q '[$all[] | select(.type == "alert" and .kind == "anomaly" and mine and (.ts | t) > $a)]' \
		--argjson a "$1"
}
# Highest value of a latency field (mean, p99) over the warm-up's full
# intervals: what "back to normal" may look like on this host.
warmup_max() {
	q '[$all[] | select(.type == "metrics" and mine and .requests > 0 and (.ts | t) <= $b)
	    | .latency_us[$f]] | .[3:] | max' --arg f "$1" --argjson b "$2"
}
# The last interval since $1 whose field $2 was above $3, 0 when none; 1 is
# the interval holding the switch back, partial, not counted. (An interval's
# metrics lines come before its host line.)
last_disturbed() {
	q '[$all[] | select(.type == "host" or (.type == "metrics" and mine)) | select((.ts | t) > $a)]
	   | reduce .[] as $l ({k: 0, d: 0};
		if $l.type == "host" then .k += 1
		elif .k >= 1 and $l.latency_us[$f] > $max then .d = .k + 1 else . end) | .d' \
		--argjson a "$1" --arg f "$2" --argjson max "$3"
}
server_lines() { q '[$all[] | select(.type == "metrics" and mine and .requests > 0)] | length'; }
mean_rps() {
	q '[$all[] | select(.type == "metrics" and mine and (.ts | t) > $a and (.ts | t) <= $b) | .rps]
	   | if length == 0 then 0 else add / length | floor end' --argjson a "$1" --argjson b "$2"
}
# What the agent saw since $1, one line per interval: for a failure's log.
trace_since() {
	q '$all[] | select((.ts | t) > $a) |
	   if .type == "host" then "\(.ts[11:23]) host cpu \(.cpu_pct)"
	   elif .type == "metrics" and mine then "  server rps \(.rps) mean \(.latency_us.mean) p99 \(.latency_us.p99)"
	   elif .type == "alert" and mine then "  alert \(.metric) \(.state) \(.value) expected \(.expected) z \(.details.model.residual_z)"
	   else empty end' -r --argjson a "$1"
}
wait_intervals() {
	local n=$1 from
	from=$(q '[$all[] | select(.type == "host")] | length')
	while [ "$(q '[$all[] | select(.type == "host")] | length')" -lt $((from + n)) ]; do
		agents_alive
		sleep $POLL
	done
}
# Every agent must still run: one that exits fails the test at once.
agents_alive() {
	local i
	for i in "${!AGENT_PIDS[@]}"; do
		kill -0 "${AGENT_PIDS[$i]}" 2>/dev/null || fail "agent.$i ($(set_of agent.$i)) exited"
	done
}
epoch() { jq -rn --arg s "$1" '(($s[0:19] + "Z") | fromdateiso8601) + ($s[20:23] | tonumber) / 1000'; }

# 1. Warm-up. A margin of 3 samples: the service's first interval is partial.
echo "warm-up: $RATE req/s on $CONNS connections, ${NORMAL_US} us answers; agents on: $(for A in "${AGENTS[@]}"; do printf '%s; ' "$(set_of $A)"; done)"
deadline=$((SECONDS + WARMUP + 30))
declare -A ENVELOPE=()
for A in "${AGENTS[@]}"; do
	while [ "$(server_lines)" -lt $((WARMUP + 3)) ]; do
		[ $SECONDS -lt $deadline ] || fail "$A printed $(server_lines) lines for server:$PORT in $((WARMUP + 30)) s"
		agents_alive
		sleep $POLL
	done
done
wend=$(now)
for A in "${AGENTS[@]}"; do
	n=$(anomalies_since 0 | jq length)
	[ "$n" = 0 ] || fail "$A: anomaly alert under steady load: $(anomalies_since 0 | jq -c '.[0]')"
	echo "$A: $(server_lines) intervals of steady load, no anomaly alert"
	ENVELOPE[$A:mean]=$(warmup_max mean "$wend")
	ENVELOPE[$A:p99]=$(warmup_max p99 "$wend")
	echo "$A: warm-up's highest: mean ${ENVELOPE[$A:mean]} us, p99 ${ENVELOPE[$A:p99]} us"
done

# The first anomaly firing in agent $A since $1, "" when none yet; fails
# once more than DETECT_MAX intervals have passed without one.
first_firing() {
	local firing k
	firing=$(anomalies_since "$1" | jq -c 'map(select(.state == "firing")) | .[0] // empty')
	[ -n "$firing" ] && { echo "$firing"; return; }
	k=$(intervals "$1" "$(now)")
	[ "$k" -le $((DETECT_MAX + 1)) ] ||
		fail "episode $ep: $A: no anomaly alert for server:$PORT within $DETECT_MAX intervals of the slowdown; alerts: $(q '[$all[] | select(.type == "alert")]' -c)"
}

# Every anomaly agent $A fired since $1 resolves once the server is back at
# $2: within RESOLVE_MAX intervals of the last one the host kept disturbed.
check_resolved() {
	local sw=$1 back=$2 ids i metric f res k d rk
	ids=$(anomalies_since "$sw" | jq -r '.[] | select(.state == "firing") | .id' | awk '!seen[$0]++')
	for i in $ids; do
		metric=$(anomalies_since "$sw" | jq -r --arg id "$i" 'map(select(.id == $id)) | .[0].metric')
		f=${metric#latency_}
		f=${f%_us}
		[ -n "${ENVELOPE[$A:$f]:-}" ] || fail "episode $ep: $A: alert on $metric, expected a latency mean or p99"
		while :; do
			res=$(anomalies_since "$back" | jq -c --arg id "$i" 'map(select(.id == $id and .state == "resolved")) | .[0] // empty')
			[ -n "$res" ] && break
			k=$(intervals "$back" "$(now)")
			d=$(last_disturbed "$back" "$f" "${ENVELOPE[$A:$f]}")
			[ "$k" -le $((NOISY_MAX + 1)) ] ||
				{ trace_since "$sw"; fail "episode $ep: $A: alert $i not resolved; the host was still disturbed in interval $d after recovery ($metric above the warm-up's ${ENVELOPE[$A:$f]}), too noisy to judge"; }
			[ "$k" -le $((d + RESOLVE_MAX + 1)) ] ||
				{ trace_since "$sw"; fail "episode $ep: $A: alert $i not resolved within $RESOLVE_MAX intervals of recovery (last interval above the warm-up's $metric: $d)"; }
			agents_alive
			sleep $POLL
		done
		rk=$(intervals "$back" "$(epoch "$(jq -r .ts <<<"$res")")")
		d=$(last_disturbed "$back" "$f" "${ENVELOPE[$A:$f]}")
		echo "episode $ep: $A: $metric ($i) resolved in interval $rk after recovery (last interval above the warm-up's: $d)"
		[ "$rk" -le $((d + RESOLVE_MAX)) ] || fail "episode $ep: $A: resolved in interval $rk, more than $RESOLVE_MAX after $d"
	done
}

# 2. Slow at the same load. The slowdown is held SLOW_HOLD intervals of the
# first agent's from the slowdown.
declare -A detected=()
for ep in $(seq $EPISODES); do
	sw=$(now)
	kill -USR1 $SERVER_PID
	declare -A firing=()
	while :; do
		pending=0
		for A in "${AGENTS[@]}"; do
			if [ -z "${firing[$A]:-}" ]; then
				# A failure's message comes out of the substitution.
				out=$(first_firing "$sw") || { echo "$out"; exit 1; }
				firing[$A]=$out
			fi
			[ -n "${firing[$A]}" ] || pending=1
		done
		[ $pending = 0 ] && break
		agents_alive
		sleep $POLL
	done
	for A in "${AGENTS[@]}"; do
		at=$(epoch "$(jq -r .ts <<<"${firing[$A]}")")
		k=$(intervals "$sw" "$at")
		detected[$A]+="$k "
		echo "episode $ep: $A: $(jq -r '"\(.metric) \(.severity) value \(.value) expected \(.expected) z \(.details.model.residual_z), id \(.id)"' <<<"${firing[$A]}")"
		echo "episode $ep: $A: anomaly firing in interval $k after the slowdown ($(jq -rn "$at - $sw | . * 10 | floor / 10") s)"
		[ "$k" -le $DETECT_MAX ] || fail "episode $ep: $A: detected in interval $k, more than $DETECT_MAX after the slowdown"
	done
	A=agent.0
	wait_intervals $((SLOW_HOLD - $(intervals "$sw" "$(now)")))
	back=$(now)
	kill -USR2 $SERVER_PID
	for A in "${AGENTS[@]}"; do
		check_resolved "$sw" "$back"
		# Same load: the agent's rate while slow is loadgen's (+-5 %:
		# interval boundaries split requests unevenly).
		r=$(mean_rps "$sw" "$back")
		[ "$r" -ge $((RATE * 95 / 100)) ] && [ "$r" -le $((RATE * 105 / 100)) ] ||
			fail "episode $ep: $A: server rps $r while slow, expected $RATE (load must not change)"
	done
	A=agent.0
	[ $ep -lt $EPISODES ] && wait_intervals $GAP
done
for A in "${AGENTS[@]}"; do
	echo "$A: detection intervals: ${detected[$A]}(bound $DETECT_MAX)"
done

# 3. Busy, not slow: a second loadgen doubles the load on the healthy server.
A=agent.0
wait_intervals 5
dbl=$(now)
$RT "$TOOLS/loadgen" "$PORT" $RATE $CONNS 0 >"$WORK/load2.json" &
LOAD2_PID=$!
on_exit "kill $LOAD2_PID; wait $LOAD2_PID"
wait_intervals $DOUBLE
end=$(now)
agents_alive
for A in "${AGENTS[@]}"; do
	anomalies_since "$dbl" >"$WORK/$A.dbl_alerts.json"
	# The first interval is partial; later ones carry both loadgens.
	r=$(mean_rps "$(jq -n "$dbl + 2")" "$end")
	[ "$r" -ge $((RATE * 2 * 95 / 100)) ] && [ "$r" -le $((RATE * 2 * 105 / 100)) ] ||
		fail "$A: server rps $r under double load, expected $((RATE * 2))"
	echo "$A: $DOUBLE intervals at $r req/s (2x)"
done

kill -INT $LOAD2_PID $LOAD1_PID
wait $LOAD2_PID $LOAD1_PID
for f in load1 load2; do
	echo "$f: $(cat "$WORK/$f.json")"
	# The rate is asserted on the agent's rps above. A send more than 1 ms
	# behind its slot is counted late: if the schedule itself could not be
	# kept (answers slower than the 10 ms period) nearly every send is. A
	# host stall makes the sends after it late until the client catches up,
	# about 7 a connection for a 70 ms stall: seen 6 in 62,000 on a quiet
	# host, and on CI 331 of load2's 10,096 (3.3 %, both clients at once,
	# up to 70 ms) in a run whose checks all held; on a noisier host (the
	# warm-up's p99 at 14 ms, not 2) 1,136 of load2's 10,492 (10.8 %, stalls
	# up to 74 ms), every check of both agents holding. Stalls only make the
	# load burstier, which makes an alert more likely, not less. A quarter
	# tells the two apart.
	[ "$(jq '.late * 4 <= .completed' "$WORK/$f.json")" = true ] ||
		fail "$f fell behind its schedule (more than a quarter of its sends late)"
	[ "$(jq .errors "$WORK/$f.json")" = 0 ] || fail "$f had connection errors"
done
# Busy is not slow: no alert under double load, except a tail (p90, p99)
# the second client itself saw, at least as slow (within the histogram
# bucket's 6.25 %): queueing at 2x on two cores can be real, and then the
# agent is right to say so. The mean and the median must not move.
for A in "${AGENTS[@]}"; do
	jq -c --argjson max "$(jq .max_us "$WORK/load2.json")" '.[] |
		select((.metric == "latency_p99_us" or .metric == "latency_p90_us") and .value <= $max * 1.07 | not)' \
		"$WORK/$A.dbl_alerts.json" >"$WORK/$A.dbl_bad.json"
	[ -s "$WORK/$A.dbl_bad.json" ] && fail "$A: anomaly alert under double load on the healthy server: $(head -1 "$WORK/$A.dbl_bad.json")"
	jq -r --arg a "$A" '.[] | "note: \($a): \(.metric) \(.severity) at \(.value) us under 2x load; the second client saw up to its max"' \
		"$WORK/$A.dbl_alerts.json"
	echo "ok: $A: no anomaly alert at 2x load the clients do not bear out"
done
# Each must exit 0 with every line valid against the schemas, seq counting
# up per stream.
stop_agents
for A in "${AGENTS[@]}"; do
	echo "ok: $A: every line valid ($(wc -l <"$WORK/$A.jsonl") lines)"
	echo "ok: $A ($(set_of $A)): detection in intervals ${detected[$A]}resolved every time, no unfounded alert at 2x load"
done
