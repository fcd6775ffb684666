package compliance_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/compliance"
)

func TestMergeCSP(t *testing.T) {
	const pub = "https://badge.example.gov.vn/base"
	const O = "https://badge.example.gov.vn"
	tests := []struct {
		name, policy string
		form         compliance.Form
		want         string // "" with err set: an error containing err
		err          string
	}{
		{"img-src kept, origin added", "default-src 'self'; img-src 'self' data:", compliance.FormImage, "default-src 'self'; img-src 'self' data: " + O, ""},
		{"script needs script-src and img-src", "default-src 'self'", compliance.FormScript, "default-src 'self'; script-src 'self' " + O + "; img-src 'self' " + O, ""},
		{"none dropped", "default-src 'none'; script-src 'self'", compliance.FormImage, "default-src 'none'; script-src 'self'; img-src " + O, ""},
		{"script-src present", "script-src 'self' 'unsafe-inline'; img-src 'self'", compliance.FormScript, "script-src 'self' 'unsafe-inline' " + O + "; img-src 'self' " + O, ""},
		{"no policy", "", compliance.FormScript, "", ""},
		{"already allowed", "img-src *; script-src https:", compliance.FormScript, "img-src *; script-src https:", ""},
		{"origin already there", "img-src 'self' " + O, compliance.FormImage, "img-src 'self' " + O, ""},
		{"frame-src", "frame-src 'self' *.youtube.com", compliance.FormFrame, "frame-src 'self' *.youtube.com " + O, ""},
		{"child-src governs frames", "child-src 'self'", compliance.FormFrame, "child-src 'self'; frame-src 'self' " + O, ""},
		{"frames under default-src", "default-src 'self'; img-src *", compliance.FormFrame, "default-src 'self'; img-src *; frame-src 'self' " + O, ""},
		{"image form leaves scripts alone", "script-src 'self'; img-src 'self'", compliance.FormImage, "script-src 'self'; img-src 'self' " + O, ""},
		{"repeated directive dropped", "IMG-SRC 'self'; img-src https://x.example", compliance.FormImage, "img-src 'self' " + O, ""},
		{"script-src-elem governs", "script-src-elem 'self'; script-src 'none'", compliance.FormScript, "script-src-elem 'self' " + O + "; script-src 'none'", ""},
		{"other directives kept", "default-src https:; upgrade-insecure-requests; report-uri /csp; frame-ancestors 'self'", compliance.FormImage,
			"default-src https:; upgrade-insecure-requests; report-uri /csp; frame-ancestors 'self'", ""},
		{"two policies", "img-src 'self', default-src 'self'", compliance.FormImage, "img-src 'self' " + O + ", default-src 'self'; img-src 'self' " + O, ""},
		{"empty directive", "img-src; script-src 'self'", compliance.FormImage, "img-src " + O + "; script-src 'self'", ""},
		{"host on another port", "img-src badge.example.gov.vn:8443", compliance.FormImage, "img-src badge.example.gov.vn:8443 " + O, ""},
		{"strict-dynamic", "script-src 'nonce-x' 'strict-dynamic'; img-src *", compliance.FormScript, "", "strict-dynamic"},
		{"strict-dynamic, image form", "script-src 'nonce-x' 'strict-dynamic'; img-src 'self'", compliance.FormImage, "script-src 'nonce-x' 'strict-dynamic'; img-src 'self' " + O, ""},
		{"sandbox", "sandbox allow-forms; img-src *", compliance.FormScript, "", "sandbox"},
		{"sandbox, image form", "sandbox allow-forms", compliance.FormImage, "sandbox allow-forms", ""},
		{"bad form", "img-src 'self'", compliance.Form("banner"), "", "snippet"},
		{"too long", "img-src " + strings.Repeat("a", compliance.MaxPolicyLen), compliance.FormImage, "", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compliance.MergeCSP(tt.policy, pub, tt.form)
			if tt.err != "" {
				var ae *apperr.Error
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
					t.Errorf("MergeCSP(%q, %s) = %q, %v; want an Invalid error with %q", tt.policy, tt.form, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("MergeCSP(%q, %s) =\n %q, %v\nwant\n %q", tt.policy, tt.form, got, err, tt.want)
			}
			// Merging again changes nothing.
			if again, err := compliance.MergeCSP(got, pub, tt.form); err != nil || again != got {
				t.Errorf("MergeCSP of the merged policy = %q, %v; want it unchanged", again, err)
			}
		})
	}
	for _, bad := range []string{"", "badge.example.gov.vn", "ftp://x", "https://user@x"} {
		if _, err := compliance.MergeCSP("img-src 'self'", bad, compliance.FormImage); err == nil {
			t.Errorf("MergeCSP with public URL %q succeeded", bad)
		}
	}
}

func TestParseForm(t *testing.T) {
	for in, want := range map[string]compliance.Form{"script": compliance.FormScript, "IMG": compliance.FormImage, "image": compliance.FormImage, "iframe": compliance.FormFrame, " reserved ": compliance.FormScript} {
		if got, err := compliance.ParseForm(in); err != nil || got != want {
			t.Errorf("ParseForm(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := compliance.ParseForm("banner"); err == nil {
		t.Error("ParseForm(banner) succeeded")
	}
}

func TestAdviseCSP(t *testing.T) {
	const pub = "https://badge.example.gov.vn"
	nv := "script-src 'self' *.zalo.me 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: *.google.com; frame-src 'self' *.youtube.com; base-uri 'self'"
	t.Run("nukeviet script", func(t *testing.T) {
		a, err := compliance.AdviseCSP(nv, pub, compliance.FormScript, compliance.NukeViet)
		if err != nil {
			t.Fatal(err)
		}
		if a.Fix != pub || strings.Contains(a.Fix, "src") {
			t.Errorf("Fix = %q, want only our origin, one source per line", a.Fix)
		}
		if len(a.Boxes) != 2 || a.Boxes[0].Directive != "script-src" || a.Boxes[1].Directive != "img-src" || a.Boxes[0].New ||
			!reflect.DeepEqual(a.Boxes[1].Lines, []string{"*.google.com", pub}) || !reflect.DeepEqual(a.Boxes[1].Tick, []string{"self", "data"}) {
			t.Errorf("Boxes = %+v", a.Boxes)
		}
		if !strings.Contains(a.Where, "Thiết lập tiêu đề HTTP → Thiết lập CSP") || !strings.Contains(a.Where, "script-src and of img-src") {
			t.Errorf("Where = %q", a.Where)
		}
		if !strings.Contains(a.Header, "img-src 'self' data: *.google.com "+pub) {
			t.Errorf("Header = %q", a.Header)
		}
	})
	t.Run("nukeviet new box", func(t *testing.T) {
		a, err := compliance.AdviseCSP("default-src 'self' data: cdn.example", pub, compliance.FormImage, compliance.NukeViet)
		if err != nil {
			t.Fatal(err)
		}
		if a.Fix != "cdn.example\n"+pub || len(a.Boxes) != 1 || !a.Boxes[0].New || !reflect.DeepEqual(a.Boxes[0].Tick, []string{"self", "data"}) ||
			!strings.Contains(a.Where, "tick self, data") {
			t.Errorf("advice = %+v", a)
		}
	})
	t.Run("nukeviet iframe", func(t *testing.T) {
		a, err := compliance.AdviseCSP(nv, pub, compliance.FormFrame, compliance.NukeViet)
		if err != nil || a.Fix != pub || !strings.Contains(a.Where, "Tên miền tin cậy") || !strings.Contains(a.Where, "badge.example.gov.vn") {
			t.Errorf("advice = %+v, %v", a, err)
		}
		a, err = compliance.AdviseCSP("", pub, compliance.FormFrame, compliance.NukeViet)
		if err != nil || a.Fix != "" || !strings.Contains(a.Where, "Nothing to change") || !strings.Contains(a.Where, "Tên miền tin cậy") {
			t.Errorf("advice without a policy = %+v, %v", a, err)
		}
	})
	for cms, where := range map[compliance.CMS]string{compliance.WordPress: ".htaccess", compliance.Joomla: "System - HTTP Headers", compliance.CMSUnknown: "nginx"} {
		t.Run(string(cms)+" header", func(t *testing.T) {
			a, err := compliance.AdviseCSP("default-src 'self'", pub, compliance.FormImage, cms)
			if err != nil || a.Fix != "default-src 'self'; img-src 'self' "+pub || a.Fix != a.Header || !strings.Contains(a.Where, where) {
				t.Errorf("advice = %+v, %v", a, err)
			}
		})
	}
	if compliance.ParseCMS(" NukeViet") != compliance.NukeViet || compliance.ParseCMS("drupal") != compliance.CMSUnknown {
		t.Error("ParseCMS")
	}
}

// The checker tells the CMS from the page and gives its fix in its terms.
func TestCheckerCMS(t *testing.T) {
	o := newBadgeOrigin(t, map[string]string{"bnv": "https://zalo.me/1111"})
	img := o.snippet("img", "bnv")
	pages := map[string]http.HandlerFunc{
		"nukeviet":  headPage("img-src 'self' data:", `<meta name="generator" content="NukeViet v4.5">`, img),
		"wordpress": headPage("default-src 'self'", `<link rel="stylesheet" href="/wp-content/themes/x/style.css">`, img),
		"joomla":    headPage("img-src 'self'", `<meta name="generator" content="Joomla! - Open Source Content Management">`, img),
		"nv-empty":  headPage("", `<meta name="generator" content="NukeViet v4.5">`, ""),
	}
	var agencies []compliance.Agency
	for name, h := range pages {
		agencies = append(agencies, compliance.Agency{ID: int64(len(agencies) + 1), Name: name, Homepage: portal(t, h)})
	}
	c := &compliance.Checker{PublicURL: o.URL, Timeout: 5 * time.Second, AllowPrivate: true}
	for _, r := range c.Check(context.Background(), agencies, []string{"bnv"}) {
		t.Run(r.Agency, func(t *testing.T) {
			t.Logf("%s %s: %s | %q | %q", r.CMS, r.Status, r.Reason, r.Fix, r.FixWhere)
			switch r.Agency {
			case "nukeviet":
				if r.CMS != compliance.NukeViet || r.Status != compliance.Blocked || r.Fix != o.URL || len(r.Boxes) != 1 || !strings.Contains(r.FixWhere, "Thiết lập CSP") {
					t.Errorf("%+v", r)
				}
			case "wordpress":
				if r.CMS != compliance.WordPress || r.Status != compliance.Blocked || r.Fix != "default-src 'self'; img-src 'self' "+o.URL || !strings.Contains(r.FixWhere, "WordPress") {
					t.Errorf("%+v", r)
				}
			case "joomla":
				if r.CMS != compliance.Joomla || r.Fix != "img-src 'self' "+o.URL || !strings.Contains(r.FixWhere, "Joomla") {
					t.Errorf("%+v", r)
				}
			case "nv-empty":
				if r.CMS != compliance.NukeViet || r.Status != compliance.Missing || !strings.Contains(r.FixWhere, "paste the image snippet") {
					t.Errorf("%+v", r)
				}
			}
		})
	}
}

func TestAllShown(t *testing.T) {
	ok := compliance.Result{Status: compliance.Embedded}
	if !compliance.AllShown(nil) || !compliance.AllShown([]compliance.Result{ok, ok}) {
		t.Error("AllShown of embedded results = false")
	}
	for _, st := range compliance.Statuses {
		if st == compliance.Embedded {
			continue
		}
		if compliance.AllShown([]compliance.Result{ok, {Status: st}}) {
			t.Errorf("AllShown with a %s result = true", st)
		}
	}
}
