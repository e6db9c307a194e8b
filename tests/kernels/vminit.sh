#!/bin/sh
# /init of the VM tests/kernels/vmboot.sh boots (busybox sh, as PID 1): mounts
# what the agent reads, brings up lo, runs the agent once as it chooses and
# once per program set forced with TELLTALE_HOOKS (-v: a refusal comes with
# the verifier's log), each for DURATION seconds under loopback
# request/response traffic from vmecho, then the kernel test binaries. What
# it learns goes to the second serial port, /dev/ttyS1: "@@" lines, the
# kernel tests' output as it comes, and each run's stdout and stderr gzipped
# in base64 between "@@file NAME" and "@@end". The host reads it all there.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
# shellcheck source=/dev/null
. /etc/vmboot.conf

exec 3>/dev/ttyS1
say() { echo "$*" >&3; }
send() { # NAME FILE
	say "@@file $1"
	gzip -c "$2" | base64 >&3
	say "@@end"
}
say "@@boot $(cut -d' ' -f1 /proc/uptime) $(uname -r)"

# The server runs in its own cgroup, /vmecho, which the agent must name.
mkdir -p /sys/fs/cgroup/vmecho
# NAME HOOKS [ARGS]: the agent with TELLTALE_HOOKS=HOOKS ("-": unset), the
# server up before it starts (so its port is seeded), requests made from
# the moment the programs are attached until the agent exits.
agent() {
	name=$1 hooks=$2
	shift 2
	sh -c 'echo $$ >/sys/fs/cgroup/vmecho/cgroup.procs && exec vmecho serve "$0"' "$PORT" &
	srv=$!
	if [ "$hooks" = - ]; then
		timeout "$AGENT_TIMEOUT" telltale --duration "$DURATION" "$@" \
			>/tmp/"$name".out 2>/tmp/"$name".err &
	else
		TELLTALE_HOOKS=$hooks timeout "$AGENT_TIMEOUT" telltale --duration "$DURATION" "$@" \
			>/tmp/"$name".out 2>/tmp/"$name".err &
	fi
	pid=$!
	: >/tmp/"$name".traffic
	while kill -0 $pid 2>/dev/null; do
		if grep -q '^telltale: attached' /tmp/"$name".err; then
			vmecho ask "$PORT" 20 >>/tmp/"$name".traffic 2>&1
			sleep 0.1
		else
			sleep 0.2
		fi
	done
	wait $pid
	rc=$?
	kill $srv
	wait $srv 2>/dev/null
	say "@@run $name $hooks $rc $(cut -d' ' -f1 /proc/uptime)"
	send "$name.out" /tmp/"$name".out
	send "$name.err" /tmp/"$name".err
	send "$name.traffic" /tmp/"$name".traffic
}

agent chosen -
for set in $SETS; do
	agent "$set" "$set" -v
done

# Their stdout is a tty here, so it is line-buffered and keeps its order
# with their CHECK failures on stderr.
for t in /bin/ktest_*; do
	[ -x "$t" ] || continue
	say "@@ktest $(basename "$t")"
	timeout "$KTEST_TIMEOUT" "$t" >&3 2>&3
	say "@@ktest-rc $(basename "$t") $? $(cut -d' ' -f1 /proc/uptime)"
done
say "@@done"
exec 3>&-
sync
poweroff -f
