vcl 4.1;

# Varnish (6.6 or later; tested with Debian's 7.1) in front of oabadge.
#
# The origin marks every badge, iframe page, public campaign JSON and
# redirect with
#
#   Cache-Control: public, max-age=60, s-maxage=86400, stale-while-revalidate=60, stale-if-error=86400
#   Surrogate-Key: oabadge campaign-<slug>
#
# and, when a change alters a campaign's bytes, sends this cache
#
#   PURGE / HTTP/1.1            (or BAN, as configured with --purge)
#   Surrogate-Key: campaign-<slug>
#
# so Varnish keeps badges for s-maxage (a day) and drops a campaign's
# objects the moment it changes. The key "oabadge" is on every object:
# purging it empties the cache of everything the origin marked.
#
# What this file does, in order:
#   - PURGE and BAN from the purgers ACL only (403 otherwise); the key is
#     checked against a strict pattern (400 otherwise) before it is put in a
#     ban expression, so nobody can smuggle a regular expression in;
#   - the console, the admin API, metrics and health checks are never
#     cached; methods other than GET and HEAD go straight to the origin;
#   - badge queries are reduced to the parameters that choose a variant,
#     so cache busters do not multiply objects;
#   - one copy of a badge per referring origin (portal), so every portal
#     still reaches the origin's counts once a day;
#   - brotli, gzip and identity are cached apart (the origin compresses once
#     and varies on Accept-Encoding; Varnish alone would only know gzip);
#   - the TTL is s-maxage (Varnish's default); grace serves stale objects
#     for stale-while-revalidate while the origin is healthy and for
#     stale-if-error while it is not;
#   - Age and Date are reset on purged objects before they reach browsers
#     (see vcl_deliver), and Surrogate-Key / Cache-Tag are removed.
#
# Check it with: varnishd -C -f deploy/varnish/oabadge.vcl
# (the backend host names must resolve where it is compiled).

import std;
import directors;

# The origins. These are the compose recipe's two replicas
# (deploy/compose/compose.yaml); on one host, keep one backend with
# .host = "127.0.0.1" and the port of --addr.
probe oabadge_ready {
	.url = "/readyz";
	.interval = 2s;
	.timeout = 1s;
	.window = 5;
	.threshold = 3;
	.initial = 3; # healthy from the start: the first probes need not pass first
}

backend oabadge_1 {
	.host = "oabadge-1";
	.port = "8080";
	.connect_timeout = 2s;
	.first_byte_timeout = 30s; # a PNG at 1024 px or a poster takes a moment
	.between_bytes_timeout = 10s;
	.probe = oabadge_ready;
}

backend oabadge_2 {
	.host = "oabadge-2";
	.port = "8080";
	.connect_timeout = 2s;
	.first_byte_timeout = 30s;
	.between_bytes_timeout = 10s;
	.probe = oabadge_ready;
}

# Who may purge: this host, and the origins' addresses. The compose recipe
# gives its replicas these two fixed addresses; elsewhere put the addresses
# (or the subnet) the oabadge replicas send their purges from here, and
# nothing wider: anyone listed can empty the cache.
acl purgers {
	"127.0.0.1";
	"::1";
	"172.28.0.11"; # oabadge-1 in deploy/compose/compose.yaml
	"172.28.0.12"; # oabadge-2
}

sub vcl_init {
	new origin = directors.round_robin();
	origin.add_backend(oabadge_1);
	origin.add_backend(oabadge_2);
}

sub vcl_recv {
	set req.backend_hint = origin.backend();

	if (req.method == "PURGE" || req.method == "BAN") {
		if (client.ip !~ purgers) {
			return (synth(403, "Forbidden"));
		}
		# One key, in the shape the origin makes them ("oabadge",
		# "campaign-<slug>"): nothing a regular expression could use.
		if (req.http.Surrogate-Key !~ "^[a-z0-9][a-z0-9-]{0,80}$") {
			return (synth(400, "Surrogate-Key must be one key of a-z, 0-9 and -"));
		}
		# A whole word of the object's space-separated keys. Bans on obj.*
		# only are tested by the ban lurker in the background, so they do
		# not pile up.
		if (std.ban("obj.http.Surrogate-Key ~ (^|\s)" + req.http.Surrogate-Key + "(\s|$)")) {
			return (synth(200, "Purged"));
		}
		return (synth(500, "Ban failed: " + std.ban_error()));
	}

	if (req.method != "GET" && req.method != "HEAD") {
		if (req.method ~ "^(POST|PUT|PATCH|DELETE|OPTIONS)$") {
			return (pass);
		}
		return (synth(405, "Method Not Allowed"));
	}

	# Signed-in pages, the admin API, metrics and health checks: always
	# from the origin, never stored.
	if (req.url ~ "^/(admin|api/v1/admin|metrics|healthz|readyz)(/|\?|$)") {
		return (pass);
	}

	# The public paths set no cookie and read none; a console session
	# cookie the browser sends along must not make every badge a pass.
	if (req.url ~ "^/(b|e|go|s|embed|emblems|api/v1/campaigns)(/|\.js|\?|$)") {
		unset req.http.Cookie;
	}

	# A badge is chosen by size, theme, layout and dpr; the origin ignores
	# any other parameter (cache busters, tracking), so they are dropped
	# here and the rest sorted: one object per variant.
	if (req.url ~ "^/b/[^?&]*\?") {
		set req.url = regsuball(req.url, "(?<=[?&])(?!(?:size|theme|layout|dpr)(?:=|&|$))[^&]*(?:&|$)", "");
		set req.url = regsub(req.url, "[?&]+$", "");
		set req.url = std.querysort(req.url);
	}

	# Content coding, decided here and kept in the hash: Varnish itself
	# rewrites Accept-Encoding to "gzip" or nothing, which would lose
	# brotli. The origin serves exactly one coding per value.
	if (req.http.Accept-Encoding ~ "(?i)(^|,)\s*br\s*(;\s*q=(1|0?\.0*[1-9]\d*)\s*)?(,|$)") {
		set req.http.X-Oabadge-Coding = "br";
	} elsif (req.http.Accept-Encoding ~ "(?i)(^|,)\s*(x-)?gzip\s*(;\s*q=(1|0?\.0*[1-9]\d*)\s*)?(,|$)") {
		set req.http.X-Oabadge-Coding = "gzip";
	} else {
		unset req.http.X-Oabadge-Coding;
	}

	# Serve an expired object while it is fetched again for as long as
	# stale-while-revalidate (60 s, the origin's default) when the origin
	# is up, and for the object's whole grace (stale-if-error) when no
	# origin answers its health probe.
	if (std.healthy(req.backend_hint)) {
		set req.grace = 60s;
	}

	if (req.http.Authorization) {
		return (pass);
	}
	return (hash);
}

sub vcl_hash {
	hash_data(req.url);
	if (req.http.host) {
		hash_data(req.http.host);
	} else {
		hash_data(server.ip);
	}
	hash_data(req.http.X-Oabadge-Coding);
	# One copy of a badge per portal that shows it (the referring origin,
	# which is all browsers send across sites by default): each portal
	# reaches the origin at least once per s-maxage, so the compliance
	# report still names every portal, while its visitors after the first
	# are answered here.
	if (req.url ~ "^/b/" && req.http.Referer) {
		hash_data(std.tolower(regsub(req.http.Referer, "^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*).*$", "\1")));
	}
	return (lookup);
}

sub vcl_backend_fetch {
	# Put back the coding Varnish replaced with its own "gzip".
	if (bereq.http.X-Oabadge-Coding) {
		set bereq.http.Accept-Encoding = bereq.http.X-Oabadge-Coding;
	} else {
		unset bereq.http.Accept-Encoding;
	}
	unset bereq.http.X-Oabadge-Coding;
}

sub vcl_backend_response {
	# Never store what sets a cookie, or what the origin says not to.
	if (beresp.http.Set-Cookie || beresp.http.Cache-Control ~ "(?i)(private|no-store)") {
		set beresp.uncacheable = true;
		set beresp.ttl = 120s;
		return (deliver);
	}
	# A failed background refresh keeps the stale object.
	if (beresp.status >= 500 && bereq.is_bgfetch) {
		return (abandon);
	}
	# beresp.ttl is already s-maxage (or max-age). Grace: as long as the
	# origin allows serving stale on error (vcl_recv shortens it to
	# stale-while-revalidate while the origin is healthy).
	if (beresp.http.Cache-Control ~ "(?i)stale-if-error=\d+") {
		set beresp.grace = std.duration(regsub(beresp.http.Cache-Control, "(?i)^.*stale-if-error=(\d+).*$", "\1") + "s", 10s);
	} elsif (beresp.http.Cache-Control ~ "(?i)stale-while-revalidate=\d+") {
		set beresp.grace = std.duration(regsub(beresp.http.Cache-Control, "(?i)^.*stale-while-revalidate=(\d+).*$", "\1") + "s", 10s);
	}
	return (deliver);
}

sub vcl_deliver {
	# The origin's max-age (60 s) is what browsers and the portals' own
	# caches keep a badge for, counted from the response they receive: an
	# object stored here for hours would arrive with Age and Date saying so,
	# and a browser would find it stale at once and ask again on every page
	# view. Objects carrying Surrogate-Key are purged the moment they
	# change, so what is delivered is as current as the origin's own
	# answer: it leaves with Age 0 and today's Date, and browsers keep it
	# the full max-age. (If purges stopped arriving, a browser could hold a
	# badge up to s-maxage plus max-age; the origin counts failed purges in
	# /metrics.)
	if (resp.http.Surrogate-Key) {
		set resp.http.Age = "0";
		set resp.http.Date = now;
	}
	if (obj.hits > 0) {
		set resp.http.X-Cache = "hit";
	} else {
		set resp.http.X-Cache = "miss";
	}
	unset resp.http.Surrogate-Key;
	unset resp.http.Cache-Tag;
	unset resp.http.Via;
	return (deliver);
}

sub vcl_synth {
	set resp.http.Content-Type = "text/plain; charset=utf-8";
	set resp.http.Cache-Control = "no-store";
	set resp.body = resp.reason + {"
"};
	return (deliver);
}

sub vcl_backend_error {
	set beresp.http.Content-Type = "text/plain; charset=utf-8";
	set beresp.http.Cache-Control = "no-store";
	set beresp.http.Retry-After = "5";
	set beresp.body = "Service Unavailable" + {"
"};
	return (deliver);
}
