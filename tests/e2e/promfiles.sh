#!/bin/bash
# packaging/prometheus/ as Prometheus, Alertmanager and Grafana take it: the
# rules pass promtool check rules and their unit tests (promtool test rules),
# the scrape config passes promtool check config, the Alertmanager routes
# amtool check-config, and the Grafana dashboard parses as a Grafana 9+
# dashboard whose every panel queries Prometheus. (That every metric they
# query is exported is checked against a live agent in prometheus.sh.)
. "$(dirname "$0")/lib.sh"
for c in promtool amtool jq; do
	command -v $c >/dev/null || skip "$c is not installed (make deps installs it)"
done
PKG="$(cd "$(dirname "$0")/../.." && pwd)/packaging/prometheus"
cp "$PKG"/* "$WORK/"
cd "$WORK" || fail "no $WORK"

promtool check rules telltale.rules.yml || fail "promtool check rules"
promtool test rules telltale.rules.test.yml || fail "promtool test rules"
promtool check config prometheus.yml || fail "promtool check config"
amtool check-config alertmanager.yml || fail "amtool check-config"

D=grafana-dashboard.json
jq -e '.schemaVersion >= 36 and (.panels | length) >= 6 and (.__inputs[0].pluginId == "prometheus")' $D >/dev/null ||
	fail "$D is not a Grafana 9+ dashboard with a Prometheus input"
jq -e 'all(.panels[]; (.type == "timeseries" or .type == "stat") and (.targets | length) > 0
	and all(.targets[]; (.expr | length) > 0 and .datasource.type == "prometheus"))' $D >/dev/null ||
	fail "a panel of $D has no Prometheus query"
jq -e '[.panels[].gridPos | select(.w > 24)] | length == 0' $D >/dev/null || fail "a panel is wider than the grid"
for t in "Requests" "Latency" "connections" "Alerts"; do
	jq -e --arg t "$t" 'any(.panels[]; .title | test($t; "i"))' $D >/dev/null || fail "$D has no $t panel"
done
# Every query is valid PromQL: promtool parses it as a rule (Grafana's
# $variables replaced the way Grafana would).
jq -r '.panels[].targets[].expr' $D | sed -e 's/\$__rate_interval/5m/g' -e 's/\$[a-z]*/.*/g' |
	awk '{ printf "      - record: dashboard:q%d\n        expr: %s\n", NR, $0 }' >"$WORK/q.body"
{ echo "groups:"; echo "  - name: dashboard"; echo "    rules:"; cat "$WORK/q.body"; } >"$WORK/dash.rules.yml"
promtool check rules "$WORK/dash.rules.yml" || fail "a dashboard query is not valid PromQL"
echo "ok: rules, their tests, scrape config, routes and dashboard"
