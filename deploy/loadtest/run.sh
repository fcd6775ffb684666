#!/usr/bin/env bash
# Load test: oabadge beside nginx serving the same bytes with the same
# headers, on the same pinned CPU, in alternating short rounds; the one way
# oabadge's performance is quoted.
#
#   deploy/loadtest/run.sh                        # the defaults below, about 3.5 minutes
#   ROUNDS=5 DURATION=10s deploy/loadtest/run.sh  # longer, steadier
#   VARNISH=1 deploy/loadtest/run.sh              # then Varnish in front: origin vs client requests
#   VARNISH=only deploy/loadtest/run.sh           # only that
#   FAST_PATH=0 deploy/loadtest/run.sh            # oabadge with --fast-path=false (all through net/http)
#
# oabadge (production defaults: access log to a file, metrics, counting)
# and nginx (1 worker, access log to a file) both run on CPU $SERVER_CPU,
# wrk on CPU $CLIENT_CPU, so neither server steals the other's or the load
# generator's processor, and they are measured in turns: oabadge, nginx,
# oabadge, nginx… each scenario ROUNDS times after a warm-up. The table
# gives the median of the rounds and the ratios oabadge/nginx (requests/s:
# higher is better for oabadge; p99: lower is).
#
# Scenarios: svg (Accept-Encoding: gzip, as browsers send), png, 304
# (If-None-Match with the ETag), mix (12 variants in turn), embed.js (gzip),
# go (the 302 to the campaign's target; nginx: "return 302"). Every request
# carries a portal's Referer, so oabadge counts it as an impression.
#
# Needs curl, taskset, nginx and wrk (and varnishd for VARNISH); as root on
# Debian it installs the missing ones (nginx-light, wrk, varnish). It builds
# oabadge from this tree. Everything listens on 127.0.0.1 and is stopped on
# exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The toolchain go.mod names (machines start with GOTOOLCHAIN=local).
export GOTOOLCHAIN=go1.27.3

ROUNDS="${ROUNDS:-3}"         # measured turns per scenario and server
DURATION="${DURATION:-5s}"    # per turn
WARMUP="${WARMUP:-1s}"        # per scenario and server, before the turns
CONNS="${CONNS:-64}"          # open connections
THREADS="${THREADS:-1}"       # wrk threads (one per client CPU)
SERVER_CPU="${SERVER_CPU:-0}" # oabadge, nginx and varnishd
CLIENT_CPU="${CLIENT_CPU:-1}" # wrk
APP_PORT="${APP_PORT:-19080}"
NGINX_PORT="${NGINX_PORT:-19081}"
VARNISH_PORT="${VARNISH_PORT:-19082}"
VARNISH="${VARNISH:-0}"       # 1: also measure through Varnish; only: just that
FAST_PATH="${FAST_PATH:-1}"   # 0: oabadge serves every request through net/http
REFERER="${REFERER:-https://portal.example.gov.vn/}"
SVG="${SVG:-/b/bnv.svg?size=192}"
PNG="${PNG:-/b/bnv.png?size=256}"

need() { # command package
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || { echo "load test: $1 is missing (apt-get install $2)" >&2; exit 1; }
}
bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }
need curl curl
need taskset util-linux
need wrk wrk
[ "$VARNISH" = only ] || need nginx nginx-light
[ "$VARNISH" = 0 ] || need varnishd varnish
if [ "$(nproc)" -lt 2 ]; then echo "load test: needs 2 CPUs (server and client apart)" >&2; exit 1; fi

work="$(mktemp -d)"
chmod 755 "$work" # nginx workers run as another user when started by root
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
free() { # port: refuse to measure whatever already listens there
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || { echo "load test: 127.0.0.1:$1 is in use (set ${2}_PORT)" >&2; exit 1; }
}
wait_for() { # url
	for _ in $(seq 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return; sleep 0.05; done
	echo "load test: $1 does not answer" >&2; exit 1
}

free "$APP_PORT" APP
[ "$VARNISH" = only ] || free "$NGINX_PORT" NGINX
[ "$VARNISH" = 0 ] || free "$VARNISH_PORT" VARNISH

echo "building oabadge" >&2
CGO_ENABLED=0 go build -trimpath -o "$work/oabadge" ./cmd/oabadge
# Production defaults: access log on (to a file), metrics and counting on.
# Pinned to one CPU, Go sizes GOMAXPROCS to it.
taskset -c "$SERVER_CPU" "$work/oabadge" serve --addr "127.0.0.1:$APP_PORT" --db "sqlite:$work/oabadge.db" \
	--log-format json --access-log=true --fast-path="$([ "$FAST_PATH" = 0 ] && echo false || echo true)" >"$work/oabadge.out" 2>"$work/oabadge.log" &
pids+=($!)
app="http://127.0.0.1:$APP_PORT"
wait_for "$app/readyz"
curl -fsS -o /dev/null "$app/b/bnv.svg" || { echo "load test: no demo campaign bnv on a fresh database" >&2; exit 1; }

# wrk arguments for each scenario, oabadge's and nginx's paths.
AE=(-H "Accept-Encoding: gzip")
REF=(-H "Referer: $REFERER")

# nginx serves, for each scenario, the bytes oabadge sent with every header
# oabadge sent (but Date, Content-Length and Connection, which nginx makes),
# and answers If-None-Match with the same ETag by 304.
locations=""
copy() { # name oabadge-path [curl args]: the bytes in www/name, a location block
	local name="$1" path="$2"
	shift 2
	mkdir -p "$work/www"
	curl -fsS -D "$work/h-$name" -o "$work/www/$name" "$@" -H "Referer: $REFERER" "$app$path"
	local ctype="" etag="" block=""
	while IFS= read -r line; do
		line="${line%$'\r'}"
		case "$line" in HTTP/* | "") continue ;; esac
		local k="${line%%:*}" v="${line#*: }"
		case "${k,,}" in
		date | content-length | connection | keep-alive | transfer-encoding) continue ;;
		content-type) ctype="$v"; continue ;;
		etag) etag="$v" ;;
		esac
		if [[ "$v" == *'"'* ]]; then block+="		add_header $k '$v' always;"$'\n'; else block+="		add_header $k \"$v\" always;"$'\n'; fi
	done <"$work/h-$name"
	locations+="	location = /n/$name {"$'\n'"		default_type \"$ctype\";"$'\n'"$block"
	[ -n "$etag" ] && locations+="		if (\$http_if_none_match = '$etag') { return 304; }"$'\n'
	locations+="		alias $work/www/$name;"$'\n'"	}"$'\n'
	echo "$etag" >"$work/etag-$name"
}

if [ "$VARNISH" != only ]; then
	need nginx nginx-light
	copy svg "$SVG" "${AE[@]}"
	copy png "$PNG"
	copy embed "/embed.js" "${AE[@]}"
	# Twelve variants: six SVG (gzip) and six PNG, as portals ask for them.
	mix_app="" mix_ngx=""
	n=0
	for q in "size=128" "size=192&theme=dark" "size=256&layout=qr" "size=384&layout=card&theme=mono" "size=512" "size=1024" \
		"size=128&dpr=2" "size=192&theme=dark" "size=256&layout=qr" "size=384&layout=card" "size=512&theme=mono" "size=192&dpr=2"; do
		n=$((n + 1))
		f=svg
		[ "$n" -gt 6 ] && f=png
		copy "mix$n" "/b/bnv.$f?$q" "${AE[@]}"
		mix_app+="\"/b/bnv.$f?$q\","
		mix_ngx+="\"/n/mix$n\","
	done
	go_headers=""
	curl -fsS -D "$work/h-go" -o /dev/null "$app/go/bnv"
	while IFS= read -r line; do
		line="${line%$'\r'}"
		k="${line%%:*}" v="${line#*: }"
		case "${k,,}" in cache-control | referrer-policy | x-content-type-options) go_headers+="		add_header $k \"$v\" always;"$'\n' ;; esac
	done <"$work/h-go"
	target="$(awk 'tolower($1)=="location:"{print $2}' "$work/h-go" | tr -d '\r')"
	for s in app ngx; do
		v="mix_$s"
		printf 'paths = {%s}\ni = 0\nrequest = function()\n  i = i %% #paths + 1\n  return wrk.format(nil, paths[i])\nend\n' "${!v}" >"$work/mix-$s.lua"
	done

	mkdir -p "$work/nginx-tmp"
	chmod -R a+rX "$work/www"
	cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
	access_log $work/nginx-access.log;
	keepalive_requests 1000000;
	server_tokens off;
	etag off;
	open_file_cache max=64;
	client_body_temp_path $work/nginx-tmp;
	proxy_temp_path $work/nginx-tmp;
	fastcgi_temp_path $work/nginx-tmp;
	uwsgi_temp_path $work/nginx-tmp;
	scgi_temp_path $work/nginx-tmp;
	server {
		listen 127.0.0.1:$NGINX_PORT;
$locations
		location = /go/bnv {
$go_headers			return 302 $target;
		}
	}
}
NGINX
	nginx="$(bin nginx)"
	"$nginx" -c "$work/nginx.conf" -t -q
	taskset -c "$SERVER_CPU" "$nginx" -c "$work/nginx.conf" &
	pids+=($!)
	ngx="http://127.0.0.1:$NGINX_PORT"
	wait_for "$ngx/n/png"
	cmp -s <(curl -fsS "${AE[@]}" "$app$SVG") <(curl -fsS "${AE[@]}" "$ngx/n/svg") ||
		{ echo "load test: nginx and oabadge serve different bytes" >&2; exit 1; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $(cat "$work/etag-svg")" "${AE[@]}" "$ngx/n/svg")" = 304 ] ||
		{ echo "load test: nginx does not answer If-None-Match with 304" >&2; exit 1; }
fi

# to_ms converts wrk's latency ("850.00us", "1.23ms", "2.01s") to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /m$/) n*=60000; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

# run duration url [wrk args...]: prints "requests/s p50 p99 errors requests".
run() {
	local d="$1" url="$2"
	shift 2
	local out
	out="$(taskset -c "$CLIENT_CPU" wrk -t"$THREADS" -c"$CONNS" -d"$d" --latency "$@" "$url")"
	echo "$out" >>"$work/wrk.txt"
	printf '%s %s %s %s %s\n' "$(awk '/^Requests\/sec:/{print $2}' <<<"$out")" \
		"$(to_ms "$(awk '$1=="50%"{print $2}' <<<"$out")")" "$(to_ms "$(awk '$1=="99%"{print $2}' <<<"$out")")" \
		"$(awk '/Non-2xx|Socket errors/{n++} END{print n+0}' <<<"$out")" "$(awk '/ requests in /{print $1}' <<<"$out")"
}

# scenario name: sets the wrk arguments of both servers.
scenario() {
	case "$1" in
	svg) a=("$app$SVG" "${AE[@]}") g=("$ngx/n/svg" "${AE[@]}") ;;
	png) a=("$app$PNG") g=("$ngx/n/png") ;;
	304) a=("$app$SVG" "${AE[@]}" -H "If-None-Match: $(cat "$work/etag-svg")") g=("$ngx/n/svg" "${AE[@]}" -H "If-None-Match: $(cat "$work/etag-svg")") ;;
	mix) a=("$app/" "${AE[@]}" -s "$work/mix-app.lua") g=("$ngx/" "${AE[@]}" -s "$work/mix-ngx.lua") ;;
	embed.js) a=("$app/embed.js" "${AE[@]}") g=("$ngx/n/embed" "${AE[@]}") ;;
	go) a=("$app/go/bnv") g=("$ngx/go/bnv") ;;
	esac
}

# median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

scenarios=(svg png 304 mix embed.js go)
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo +)"
cpu="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"

if [ "$VARNISH" != only ]; then
	echo "oabadge $commit, $cpu; servers on CPU $SERVER_CPU, wrk -t$THREADS -c$CONNS on CPU $CLIENT_CPU;" \
		"$ROUNDS × $DURATION per scenario and server after $WARMUP warm-up; median of the rounds" >&2
	for s in "${scenarios[@]}"; do
		scenario "$s"
		run "$WARMUP" "${a[@]}" -H "Referer: $REFERER" >/dev/null
		run "$WARMUP" "${g[@]}" >/dev/null
	done
	for r in $(seq "$ROUNDS"); do
		for s in "${scenarios[@]}"; do
			scenario "$s"
			echo "$s oabadge $r $(run "$DURATION" "${a[@]}" -H "Referer: $REFERER")" | tee -a "$work/results" >&2
			echo "$s nginx $r $(run "$DURATION" "${g[@]}" -H "Referer: $REFERER")" | tee -a "$work/results" >&2
		done
	done
	m() { awk -v s="$1" -v v="$2" -v c="$3" '$1==s && $2==v { print $c }' "$work/results" | median; }
	echo
	echo "| scenario | oabadge req/s | nginx req/s | ratio | oabadge p50 ms | nginx p50 ms | oabadge p99 ms | nginx p99 ms | p99 ratio |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for s in "${scenarios[@]}"; do
		ar="$(m "$s" oabadge 4)" gr="$(m "$s" nginx 4)"
		a50="$(m "$s" oabadge 5)" g50="$(m "$s" nginx 5)"
		a99="$(m "$s" oabadge 6)" g99="$(m "$s" nginx 6)"
		errs="$(awk -v s="$s" '$1==s { n += $7 } END { print n + 0 }' "$work/results")"
		awk -v s="$s" -v ar="$ar" -v gr="$gr" -v a50="$a50" -v g50="$g50" -v a99="$a99" -v g99="$g99" -v e="$errs" 'BEGIN {
			printf "| %s%s | %.0f | %.0f | %.2f | %.3f | %.3f | %.3f | %.3f | %.2f |\n", s, (e > 0 ? " (errors: see wrk)" : ""),
				ar, gr, ar / gr, a50, g50, a99, g99, (g99 > 0 ? a99 / g99 : 0) }'
	done
	echo
	echo "oabadge $commit; $cpu; oabadge and nginx (1 worker) on CPU $SERVER_CPU, wrk -t$THREADS -c$CONNS on CPU $CLIENT_CPU;" \
		"median of $ROUNDS alternating ${DURATION} rounds; access log, metrics and counting on; fast path $([ "$FAST_PATH" = 0 ] && echo off || echo on)."
fi

if [ "$VARNISH" != 0 ]; then
	# Varnish with deploy/varnish/oabadge.vcl in front of the same process,
	# on the same CPU: what clients get, and what reaches the origin.
	sed -e 's/\.host = "oabadge-[12]";/.host = "127.0.0.1";/' -e "s/\\.port = \"8080\";/.port = \"$APP_PORT\";/" \
		deploy/varnish/oabadge.vcl >"$work/oabadge.vcl"
	taskset -c "$SERVER_CPU" "$(bin varnishd)" -F -j none -n "$work/varnish" -a "127.0.0.1:$VARNISH_PORT" -f "$work/oabadge.vcl" \
		-s malloc,128m -T none -p thread_pools=1 >"$work/varnish.log" 2>&1 &
	pids+=($!)
	vc="http://127.0.0.1:$VARNISH_PORT"
	wait_for "$vc/readyz"
	badge_requests() { curl -fsS "$app/metrics" | awk '/^oabadge_http_requests_total\{/ && /route="\/b\/:file"/ { n += $NF } END { printf "%d", n }'; }
	mix_v=""
	for q in "size=128" "size=192&theme=dark" "size=256&layout=qr" "size=384&layout=card&theme=mono" "size=512" "size=1024"; do
		mix_v+="\"/b/bnv.svg?$q\",\"/b/bnv.png?$q\",\"/b/bnv.svg?$q&v=$RANDOM\","
	done
	printf 'paths = {%s}\ni = 0\nrequest = function()\n  i = i %% #paths + 1\n  return wrk.format(nil, paths[i])\nend\n' "$mix_v" >"$work/mix-varnish.lua"
	echo
	echo "| through Varnish, from cold | client requests | client req/s | client p99 ms | origin requests | origin/client |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for s in svg mix; do
		if [ "$s" = svg ]; then args=("$vc$SVG" "${AE[@]}"); else args=("$vc/" "${AE[@]}" -s "$work/mix-varnish.lua"); fi
		before="$(badge_requests)"
		read -r rps _ p99 _ total < <(run "$DURATION" "${args[@]}" -H "Referer: $REFERER")
		after="$(badge_requests)"
		awk -v s="$s" -v r="$rps" -v p="$p99" -v d="$((after - before))" -v n="$total" 'BEGIN {
			printf "| %s | %d | %.0f | %.3f | %d | %.2g |\n", s, n, r, p, d, d / n }'
	done
	echo
	echo "$("$(bin varnishd)" -V 2>&1 | head -1 | sed "s/.*(\(varnish-[^ ]*\).*/\1/") and oabadge on CPU $SERVER_CPU, wrk -t$THREADS -c$CONNS on CPU $CLIENT_CPU, $DURATION each" \
		"from an empty cache; origin requests: oabadge_http_requests_total{route=\"/b/:file\"}; mix: 18 URLs (12 variants, 6 with a cache buster)."
fi
