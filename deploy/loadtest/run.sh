#!/usr/bin/env bash
# Load test: oabadge serving a cached badge beside nginx serving the same
# bytes as a static file, both on 127.0.0.1, driven by wrk in turns in the
# same run. Prints requests/s and p99 for each and their ratio.
#
#   deploy/loadtest/run.sh                 # defaults below
#   DURATION=20s CONNS=128 ROUNDS=3 deploy/loadtest/run.sh
#
# Needs nginx and wrk (Debian: apt-get install nginx-light wrk); it installs
# them when run as root and they are missing. Everything it starts listens
# on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The toolchain go.mod names (machines start with GOTOOLCHAIN=local).
export GOTOOLCHAIN=go1.27.3

DURATION="${DURATION:-10s}"   # per run
CONNS="${CONNS:-64}"          # open connections
THREADS="${THREADS:-2}"       # wrk threads
ROUNDS="${ROUNDS:-2}"         # oabadge/nginx turns
APP_PORT="${APP_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
ACCESS_LOG="${ACCESS_LOG:-true}" # production default; both servers log to a file
BADGE_PATH="${BADGE_PATH:-/b/bnv.svg}"
BADGE_QUERY="${BADGE_QUERY:-size=192&theme=light&layout=badge}"

need() {
	command -v "$1" >/dev/null 2>&1 && return
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "load test: $1 is missing (apt-get install $2)" >&2; exit 1; }
}
need wrk wrk
need nginx nginx-light
NGINX="$(command -v nginx)"

work="$(mktemp -d)"
chmod 755 "$work" # nginx workers run as another user when started by root
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building oabadge"
CGO_ENABLED=0 go build -trimpath -o "$work/oabadge" ./cmd/oabadge

"$work/oabadge" serve --addr "127.0.0.1:$APP_PORT" --db "sqlite:$work/oabadge.db" \
	--log-format json --access-log="$ACCESS_LOG" >"$work/oabadge.out" 2>"$work/oabadge.log" &
pids+=($!)
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$APP_PORT/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
url_app="http://127.0.0.1:$APP_PORT$BADGE_PATH?$BADGE_QUERY"

# The same bytes, and the same response headers, as static files for nginx:
# the main badge, a PNG, a mix of variants, the embed script; and the same
# redirect as nginx's own "return 302".
mkdir -p "$work/www$(dirname "$BADGE_PATH")" "$work/www/mix" "$work/www/p"
curl -fsS -D "$work/headers" -o "$work/www$BADGE_PATH" "$url_app"
curl -fsS -o "$work/www/p/bnv.png" "http://127.0.0.1:$APP_PORT/b/bnv.png?size=256"
curl -fsS -o "$work/www/embed.js" "http://127.0.0.1:$APP_PORT/embed.js"
target="$(curl -fsS -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$APP_PORT/go/bnv")"
variants=""
n=0
for f in svg png; do
	for q in "size=128" "size=192&theme=dark" "size=256&layout=qr" "size=384&layout=card&theme=mono" "size=512" "size=192&dpr=2"; do
		[ "$f" = svg ] && [ "$q" = "size=192&dpr=2" ] && q="size=1024"
		n=$((n + 1))
		curl -fsS -o "$work/www/mix/$n.$f" "http://127.0.0.1:$APP_PORT/b/bnv.$f?$q"
		variants="$variants $n.$f|/b/bnv.$f?$q"
	done
done
lua_paths() { # prefix-for-nginx or "" for oabadge
	printf 'paths = {'
	for v in $variants; do
		if [ -n "$1" ]; then printf '"/mix/%s",' "${v%%|*}"; else printf '"%s",' "${v#*|}"; fi
	done
	printf '}\ni = 0\nrequest = function()\n  i = i %% #paths + 1\n  return wrk.format("GET", paths[i])\nend\n'
}
lua_paths "" >"$work/mix-app.lua"
lua_paths nginx >"$work/mix-nginx.lua"
chmod -R a+rX "$work/www"
cc="$(awk 'tolower($1)=="cache-control:"{ $1=""; sub(/^ /,""); sub(/\r$/,""); print }' "$work/headers")"
csp="$(awk 'tolower($1)=="content-security-policy:"{ $1=""; sub(/^ /,""); sub(/\r$/,""); print }' "$work/headers")"
if [ "$ACCESS_LOG" = true ]; then nginx_log="access_log $work/nginx-access.log;"; else nginx_log="access_log off;"; fi
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
	types { image/svg+xml svg; image/png png; text/javascript js; }
	$nginx_log
	keepalive_requests 1000000;
	client_body_temp_path $work/nginx-tmp;
	proxy_temp_path $work/nginx-tmp;
	fastcgi_temp_path $work/nginx-tmp;
	uwsgi_temp_path $work/nginx-tmp;
	scgi_temp_path $work/nginx-tmp;
	open_file_cache max=64;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $work/www;
		add_header Cache-Control "$cc" always;
		add_header X-Content-Type-Options nosniff always;
		add_header Content-Security-Policy "$csp" always;
		add_header Cross-Origin-Resource-Policy cross-origin always;
		add_header Access-Control-Allow-Origin * always;
		location = /go/bnv { return 302 $target; }
	}
}
NGINX
mkdir -p "$work/nginx-tmp"
"$NGINX" -c "$work/nginx.conf" -t -q
"$NGINX" -c "$work/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do
	curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT$BADGE_PATH" 2>/dev/null && break
	sleep 0.1
done
url_nginx="http://127.0.0.1:$NGINX_PORT$BADGE_PATH?$BADGE_QUERY"
cmp -s <(curl -fsS "$url_app") <(curl -fsS "$url_nginx") || { echo "nginx and oabadge serve different bytes" >&2; exit 1; }
etag_app="$(curl -fsS -D - -o /dev/null "$url_app" | awk 'tolower($1)=="etag:"{print $2}' | tr -d '\r')"
etag_nginx="$(curl -fsS -D - -o /dev/null "$url_nginx" | awk 'tolower($1)=="etag:"{print $2}' | tr -d '\r')"

# to_ms converts wrk's latency ("850.00us", "1.23ms", "2.01s") to milliseconds.
to_ms() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

bench() { # scenario server url [wrk args...]
	local scenario="$1" server="$2" url="$3"
	shift 3
	local out
	out="$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url")"
	echo "$out" >>"$work/wrk.txt"
	local rps p50 p99 errs
	rps="$(awk '/^Requests\/sec:/{print $2}' <<<"$out")"
	p50="$(to_ms "$(awk '$1=="50%"{print $2}' <<<"$out")")"
	p99="$(to_ms "$(awk '$1=="99%"{print $2}' <<<"$out")")"
	errs="$(awk '/Non-2xx|Socket errors/{print}' <<<"$out" | tr '\n' ' ')"
	printf '%-10s %-8s %12s %10s %10s  %s\n' "$scenario" "$server" "$rps" "$p50" "$p99" "$errs"
	echo "$scenario $server $rps $p99" >>"$work/results"
}

echo "wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS round(s), access log $ACCESS_LOG, $(nproc) cores"
echo "GET $BADGE_PATH?$BADGE_QUERY ($(wc -c <"$work/www$BADGE_PATH") bytes) and the other scenarios below"
printf '%-10s %-8s %12s %10s %10s\n' scenario server "requests/s" "p50 ms" "p99 ms"
app="http://127.0.0.1:$APP_PORT" ngx="http://127.0.0.1:$NGINX_PORT"
for r in $(seq "$ROUNDS"); do
	bench svg oabadge "$url_app"
	bench svg nginx "$url_nginx"
	bench png oabadge "$app/b/bnv.png?size=256"
	bench png nginx "$ngx/p/bnv.png"
	bench 304 oabadge "$url_app" -H "If-None-Match: $etag_app"
	bench 304 nginx "$url_nginx" -H "If-None-Match: $etag_nginx"
	bench mix oabadge "$app/" -s "$work/mix-app.lua"
	bench mix nginx "$ngx/" -s "$work/mix-nginx.lua"
	bench embed.js oabadge "$app/embed.js"
	bench embed.js nginx "$ngx/embed.js"
	bench go oabadge "$app/go/bnv"
	bench go nginx "$ngx/go/bnv"
done

awk '
	{ k = $1; rps[k, $2] += $3; n[k, $2]++; if ($4 > p99[k, $2]) p99[k, $2] = $4; seen[k] = 1; order[++m] = k }
	END {
		printf "\n%-10s %14s %14s %7s %12s %12s %7s\n", "scenario", "oabadge req/s", "nginx req/s", "ratio", "oabadge p99", "nginx p99", "ratio"
		for (i = 1; i <= m; i++) {
			k = order[i]
			if (done[k]++) continue
			a = rps[k, "oabadge"] / n[k, "oabadge"]; g = rps[k, "nginx"] / n[k, "nginx"]
			printf "%-10s %14.0f %14.0f %7.2f %12.3f %12.3f %7.2f\n", k, a, g, a / g, p99[k, "oabadge"], p99[k, "nginx"], p99[k, "oabadge"] / p99[k, "nginx"]
		}
	}' "$work/results"
