package compliance

import (
	"net/url"
	"strings"
)

// CMS is a content management system whose settings the advice names.
type CMS string

// The CMSs the checker recognises; CMSUnknown gets advice for the web
// server's own configuration.
const (
	CMSUnknown CMS = ""
	NukeViet   CMS = "nukeviet"
	WordPress  CMS = "wordpress"
	Joomla     CMS = "joomla"
)

// ParseCMS reads a CMS name as a webmaster picks it; anything else is
// CMSUnknown.
func ParseCMS(s string) CMS {
	switch c := CMS(strings.ToLower(strings.TrimSpace(s))); c {
	case NukeViet, WordPress, Joomla:
		return c
	}
	return CMSUnknown
}

// cmsFromGenerator reads a <meta name="generator"> value. Only the name
// is kept, never the version or anything else the page wrote there.
func cmsFromGenerator(content string) CMS {
	g := strings.ToLower(content)
	switch {
	case strings.Contains(g, "nukeviet"):
		return NukeViet
	case strings.Contains(g, "wordpress"):
		return WordPress
	case strings.Contains(g, "joomla"):
		return Joomla
	}
	return CMSUnknown
}

// cmsFromPath recognises a CMS by the paths its pages load assets from,
// for themes that drop the generator tag.
func cmsFromPath(u *url.URL) CMS {
	if u == nil {
		return CMSUnknown
	}
	p := strings.ToLower(u.Path)
	switch {
	case strings.Contains(p, "/wp-content/") || strings.Contains(p, "/wp-includes/"):
		return WordPress
	case strings.HasPrefix(p, "/media/jui/") || strings.HasPrefix(p, "/media/system/js/") || strings.HasPrefix(p, "/media/templates/site/"):
		return Joomla
	case strings.Contains(p, "/themes/") && strings.Contains(p, "nukeviet"), strings.HasSuffix(p, "/assets/js/global.js") && strings.Contains(p, "/assets/"):
		return NukeViet
	}
	return CMSUnknown
}

// NukeVietBox is what to put in one of NukeViet's CSP boxes (Cấu hình →
// Thiết lập tiêu đề HTTP → Thiết lập CSP): NukeViet shows one box per
// directive, with ticks for the keywords and one host per line, and no
// directive names.
type NukeVietBox struct {
	// Directive names the box.
	Directive string `json:"directive"`
	// New is true when the box is empty today: tick Tick and enter all of
	// Lines. Otherwise add the lines of Lines the box lacks (our origin).
	New bool `json:"new,omitempty"`
	// Tick lists the keyword options to tick, as NukeViet labels them
	// (self, data, unsafe-inline, unsafe-eval, all, …).
	Tick []string `json:"tick,omitempty"`
	// Lines are the host lines, one source per line.
	Lines []string `json:"lines"`
	// Add is the line to add to a box that exists: our origin.
	Add string `json:"add"`
}

// nukeVietTicks maps keyword sources to NukeViet's tick options.
var nukeVietTicks = map[string]string{
	"'self'": "self", "*": "all", "'none'": "none", "data:": "data",
	"'unsafe-inline'": "unsafe-inline", "'unsafe-eval'": "unsafe-eval",
}

// NukeVietBoxes turns the changes of MergeCSPChanges into NukeViet boxes.
func NukeVietBoxes(changes []CSPChange) []NukeVietBox {
	var out []NukeVietBox
	for _, c := range changes {
		b := NukeVietBox{Directive: c.Directive, New: c.New, Add: c.Added}
		for _, s := range c.Sources {
			if t, ok := nukeVietTicks[strings.ToLower(s)]; ok {
				b.Tick = append(b.Tick, t)
			} else {
				b.Lines = append(b.Lines, s)
			}
		}
		out = append(out, b)
	}
	return out
}

// Advice is a paste-ready change of a portal's policy for one snippet,
// in the terms of the portal's CMS.
type Advice struct {
	Form Form `json:"form"`
	CMS  CMS  `json:"cms,omitempty"`
	// Header is the whole merged Content-Security-Policy value; "" when
	// the portal sends no policy, or its policy already lets the badge in.
	Header string `json:"header"`
	// Changes are the directives changed.
	Changes []CSPChange `json:"changes,omitempty"`
	// Boxes are NukeViet's boxes to edit (NukeViet only).
	Boxes []NukeVietBox `json:"nukeviet_boxes,omitempty"`
	// Fix is what to paste: for NukeViet the box lines, one source per line
	// and no directive names; for the others the whole header value.
	Fix string `json:"fix"`
	// Where says where to paste it, in the CMS's own menus.
	Where string `json:"where"`
}

// AdviseCSP returns the change a portal running cms must make to policy
// (the value it sends now, "" for none) so that the form's badge shows,
// and where to make it. Errors are MergeCSP's.
func AdviseCSP(policy, publicURL string, form Form, cms CMS) (Advice, error) {
	merged, changes, err := MergeCSPChanges(policy, publicURL, form)
	if err != nil {
		return Advice{}, err
	}
	pub, _ := parsePublicURL(publicURL)
	a := Advice{Form: form, CMS: cms, Changes: changes}
	if len(changes) > 0 {
		a.Header = merged
	}
	a.Fix, a.Where = a.Header, whereHeader(cms)
	if cms == NukeViet {
		a.Boxes = NukeVietBoxes(changes)
		a.Fix, a.Where = nukeVietFix(a.Boxes, form, pub.Host)
	}
	if len(changes) == 0 {
		a.Fix = ""
		a.Where = "Nothing to change: the policy lets the " + string(form) + " snippet's badge in."
		if cms == NukeViet && form == FormFrame {
			a.Where += " " + nukeVietTrusted(pub.Host)
		}
	}
	return a, nil
}

// nukeVietFix is the lines to paste into NukeViet's boxes and where: one
// source per line, no directive names. When every box gets the same
// lines (the usual case: our origin added to boxes that exist) they are
// given once.
func nukeVietFix(boxes []NukeVietBox, form Form, host string) (string, string) {
	var names, fresh []string
	same := true
	for i, b := range boxes {
		names = append(names, b.Directive)
		if b.New {
			fresh = append(fresh, b.Directive)
		}
		if i > 0 && strings.Join(boxLines(b), "\n") != strings.Join(boxLines(boxes[0]), "\n") {
			same = false
		}
	}
	var fix string
	if same && len(boxes) > 0 {
		fix = strings.Join(boxLines(boxes[0]), "\n")
	} else {
		var parts []string
		for _, b := range boxes {
			parts = append(parts, strings.Join(boxLines(b), "\n"))
		}
		fix = strings.Join(parts, "\n\n")
	}
	where := "NukeViet: Cấu hình → Thiết lập tiêu đề HTTP → Thiết lập CSP. "
	switch {
	case len(fresh) == 0:
		where += "In the box of " + strings.Join(names, " and of ") + ", add the line below as a new line (one source per line, no directive name), then save."
	case same:
		where += "In the box of " + strings.Join(names, " and of ") + ", enter the lines below (one source per line, no directive name)" + tickNote(boxes) + ", then save."
	default:
		where += "Enter the line groups below, in order, in the boxes of " + strings.Join(names, ", ") + " (one source per line, no directive name)" + tickNote(boxes) + ", then save."
	}
	where += " If CSP is off there (the default), NukeViet sends no policy and this is not the cause."
	if form == FormFrame {
		where += " " + nukeVietTrusted(host)
	}
	return fix, where
}

// boxLines is what goes into a box's text: all its host lines when the box
// is new, else the one line to add.
func boxLines(b NukeVietBox) []string {
	if b.New {
		return b.Lines
	}
	return []string{b.Add}
}

func tickNote(boxes []NukeVietBox) string {
	var notes []string
	for _, b := range boxes {
		if b.New && len(b.Tick) > 0 {
			notes = append(notes, "for "+b.Directive+" tick "+strings.Join(b.Tick, ", "))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ") + " (as default-src has them)"
}

func nukeVietTrusted(host string) string {
	return "NukeViet also removes an iframe whose host is not trusted when the block is saved: list " + host + " in Cấu hình → Thiết lập an ninh → Tên miền tin cậy first."
}

// whereHeader says where a header-based CMS sets the policy.
func whereHeader(cms CMS) string {
	switch cms {
	case WordPress:
		return "WordPress has no CSP setting of its own: the header comes from the web server or a security plugin. " +
			"Replace the whole Content-Security-Policy value with the one above where it is set now: " +
			"in the plugin's CSP field (such as HTTP Headers), or on Apache in .htaccess as Header always set Content-Security-Policy \"…\", " +
			"or on nginx as add_header Content-Security-Policy \"…\" always;."
	case Joomla:
		return "Joomla: System → Plugins → System - HTTP Headers, tab Content Security Policy: " +
			"set each changed directive's value as in the policy above (or, when the header is set by the web server, " +
			"replace it in .htaccess or the nginx configuration with the value above)."
	}
	return "Replace the whole Content-Security-Policy header value with the one above where the site sets it: " +
		"Apache .htaccess or virtual host (Header always set Content-Security-Policy \"…\"), nginx (add_header Content-Security-Policy \"…\" always;), " +
		"IIS web.config (customHeaders), or the CMS's security settings."
}
