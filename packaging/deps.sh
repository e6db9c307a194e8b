#!/bin/sh
# Installs the Debian packages telltale's build, tests and benchmarks need,
# skipping those already present. Run by `make deps`, `make run` and `make test`.
set -eu

BUILD="make dpkg-dev clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev libcjson-dev libmicrohttpd-dev libcurl4-openssl-dev pkg-config gcc libc6-dev"
TEST="nginx wrk redis-server redis-tools postgresql postgresql-contrib jq iproute2 procps valgrind util-linux nftables python3-jsonschema tzdata rsyslog man-db lz4 zstd xz-utils binutils curl debian-archive-keyring prometheus prometheus-alertmanager python3-prometheus-client"
BENCH="bpftrace"

missing=""
for p in $BUILD $TEST $BENCH; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Package scripts must not start the servers: the tests start their own.
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e $policy ]; then
	printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy && created=1
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -n "$created" ] && rm -f $policy
exit 0
