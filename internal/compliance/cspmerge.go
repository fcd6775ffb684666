package compliance

import (
	"net/url"
	"strings"

	"github.com/oabadge/oabadge/internal/apperr"
)

// MaxPolicyLen bounds a policy given to MergeCSP; real policies are a few
// hundred bytes, and a header that long is refused by most servers anyway.
const MaxPolicyLen = 16 << 10

// ParseForm reads a snippet name as webmasters and the command line give
// it: "script" (also "reserved", the script with a reserved box), "img" or
// "image", "iframe" or "frame".
func ParseForm(s string) (Form, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "script", "reserved", "js":
		return FormScript, nil
	case "img", "image":
		return FormImage, nil
	case "iframe", "frame":
		return FormFrame, nil
	}
	return "", apperr.Invalidf("snippet %q: use script, img or iframe", s)
}

// needs lists, per form, the kinds of loads a visitor's browser makes for
// the badge: the script form loads the script, which then loads the image.
var needs = map[Form][]Form{
	FormScript: {FormScript, FormImage},
	FormImage:  {FormImage},
	FormFrame:  {FormFrame},
}

// CSPChange is one directive MergeCSP changed.
type CSPChange struct {
	// Directive is the directive's name, such as img-src.
	Directive string `json:"directive"`
	// New is true when the policy did not have the directive: it is made
	// from the sources of the one that governed before (default-src or
	// child-src), so nothing else the page loads changes.
	New bool `json:"new,omitempty"`
	// Sources is the directive's whole source list after the change.
	Sources []string `json:"sources"`
	// Added is the source added: this server's origin.
	Added string `json:"added"`
}

// MergeCSP returns the whole Content-Security-Policy value a portal should
// send so that the chosen snippet's badge loads, given the value it sends
// now (several policies may be joined by commas). Every existing directive
// is kept as it is, 'self' included; the origin of publicURL is added to
// exactly the directives the snippet needs (script-src and img-src for the
// script, img-src for the image, frame-src for the iframe), and a needed
// directive the policy lacks is made from the one that governed in its
// place, so nothing else changes. No directive appears twice. An empty
// policy needs nothing: the result is then "".
//
// It fails (apperr Invalid) on a bad URL or form, a policy longer than
// MaxPolicyLen, and where no added source can help: a script-src with
// 'strict-dynamic', which ignores host sources, or a sandbox without
// allow-scripts.
func MergeCSP(policy string, publicURL string, form Form) (string, error) {
	merged, _, err := MergeCSPChanges(policy, publicURL, form)
	return merged, err
}

// MergeCSPChanges is MergeCSP that also says which directives it changed,
// for advice in a CMS's own terms (NukeViet's one box per directive).
func MergeCSPChanges(policy string, publicURL string, form Form) (string, []CSPChange, error) {
	pub, err := parsePublicURL(publicURL)
	if err != nil {
		return "", nil, err
	}
	if _, ok := needs[form]; !ok {
		return "", nil, apperr.Invalidf("snippet %q: use script, img or iframe", form)
	}
	if len(policy) > MaxPolicyLen {
		return "", nil, apperr.Invalidf("the policy is %d bytes long; at most %d are read", len(policy), MaxPolicyLen)
	}
	var out []string
	var changes []CSPChange
	for _, one := range strings.Split(policy, ",") {
		ds := parseDirectives(one)
		if len(ds) == 0 {
			continue
		}
		ds, ch, err := mergeOne(ds, pub, form)
		if err != nil {
			return "", nil, err
		}
		changes = append(changes, ch...)
		out = append(out, formatDirectives(ds))
	}
	return strings.Join(out, ", "), changes, nil
}

// parsePublicURL checks this server's public URL, whose origin is what a
// source expression names.
func parsePublicURL(publicURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(publicURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, apperr.Invalidf("public URL %q: want http(s)://host[:port]", publicURL)
	}
	return u, nil
}

// badgeTargets are the URLs a snippet of pub loads, per kind of load, as
// a policy sees them (paths matter only to path-restricted sources).
func badgeTargets(pub *url.URL, slug string) map[Form]*url.URL {
	return map[Form]*url.URL{
		FormScript: under(pub, "/embed.js"),
		FormImage:  under(pub, "/b/"+slug+".svg"),
		FormFrame:  under(pub, "/e/"+slug),
	}
}

// under returns the URL of path p under pub (url.JoinPath drops the
// leading slash when pub has no path).
func under(pub *url.URL, p string) *url.URL {
	u := *pub
	u.Path, u.RawPath, u.RawQuery, u.Fragment = strings.TrimSuffix(pub.Path, "/")+p, "", "", ""
	return &u
}

// mergeOne adds pub's origin to the directives of one policy that form
// needs and that do not allow it yet.
func mergeOne(ds []directive, pub *url.URL, form Form) ([]directive, []CSPChange, error) {
	origin := pub.Scheme + "://" + pub.Host
	p := Policy{}
	for _, d := range ds {
		p[d.Name] = d.Sources
	}
	// A page elsewhere: 'self' never stands for this server here.
	page := &url.URL{Scheme: pub.Scheme, Host: "portal.invalid"}
	targets := badgeTargets(pub, "x")
	var changes []CSPChange
	for _, load := range needs[form] {
		d, blocked := p.blocks(load, targets[load], page, element{})
		if !blocked {
			continue
		}
		if d == "sandbox" {
			return nil, nil, apperr.Invalidf("the policy's sandbox directive has no allow-scripts, so no script runs on the page: use the image snippet")
		}
		_, srcs, _ := p.directive(load)
		if load == FormScript && hasKeyword(srcs, "'strict-dynamic'") {
			return nil, nil, apperr.Invalidf("script-src has 'strict-dynamic', which ignores host sources, so no source added there lets the script run: use the image snippet, or give the script tag the page's nonce")
		}
		name, isNew := d, false
		if d == "default-src" || (load == FormFrame && d == "child-src") {
			// Make the specific directive from the governing one's sources,
			// so the change reaches only the badge's kind of load.
			name, isNew = fallbacks[load][0], true
			if load == FormScript {
				name = "script-src"
			}
		}
		var next []string
		for _, s := range srcs {
			if !strings.EqualFold(s, "'none'") {
				next = append(next, s)
			}
		}
		next = append(next, origin)
		if isNew {
			ds = append(ds, directive{name, next})
		} else {
			for i := range ds {
				if ds[i].Name == name {
					ds[i].Sources = next
				}
			}
		}
		p[name] = next
		changes = append(changes, CSPChange{Directive: name, New: isNew, Sources: next, Added: origin})
	}
	return ds, changes, nil
}

func formatDirectives(ds []directive) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strings.TrimSpace(d.Name + " " + strings.Join(d.Sources, " "))
	}
	return strings.Join(parts, "; ")
}
