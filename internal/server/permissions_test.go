package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
)

// frontEnd drives one action as one account, through the API or the
// console, and reports whether it was carried out or refused as forbidden.
type frontEnd interface {
	name() string
	// do performs the action and returns "ok", "forbidden" or a
	// description of anything else that happened.
	do(t *testing.T, f *adminFixture, who string, a action) string
}

// action is one thing a person can ask for, in both front-ends' terms.
type action struct {
	method, apiPath string
	apiBody         any
	apiHeader       []string
	consolePath     string
	form            url.Values
	file            string // a CSV upload for the console's import form
}

// session signs who in (as a browser would, from its own address) and
// returns the cookie and the CSRF token.
func (f *adminFixture) session(t *testing.T, who string) (*http.Cookie, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"name": who, "password": password})
	r := httptest.NewRequest("POST", "/api/v1/admin/login", bytes.NewReader(b))
	r.RemoteAddr = "198.51.100." + strconv.Itoa(len(who)) + ":999"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var out map[string]any
	json.NewDecoder(w.Result().Body).Decode(&out)
	if w.Code != 200 {
		t.Fatalf("signing %s in = %d %v", who, w.Code, out)
	}
	return w.Result().Cookies()[0], out["csrf"].(string)
}

type api struct{}

func (api) name() string { return "api" }

func (api) do(t *testing.T, f *adminFixture, who string, a action) string {
	code, body, _ := f.call(t, who, a.method, a.apiPath, a.apiBody, a.apiHeader...)
	switch {
	case code == 403:
		return "forbidden"
	case code < 300:
		return "ok"
	}
	return "status " + strconv.Itoa(code) + ": " + toJSON(body)
}

type console struct{}

func (console) name() string { return "console" }

func (console) do(t *testing.T, f *adminFixture, who string, a action) string {
	ck, csrf := f.session(t, who)
	var r *http.Request
	switch {
	case a.form == nil && a.file == "":
		r = httptest.NewRequest("GET", a.consolePath, nil)
	case a.file != "":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("csrf", csrf)
		fw, _ := mw.CreateFormFile("file", "register.csv")
		fw.Write([]byte(a.file))
		mw.Close()
		r = httptest.NewRequest("POST", a.consolePath, &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
	default:
		form := url.Values{"csrf": {csrf}}
		for k, v := range a.form {
			form[k] = v
		}
		r = httptest.NewRequest("POST", a.consolePath, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.RemoteAddr = "192.0.2.10:1234"
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	switch {
	case w.Code == 403:
		return "forbidden"
	case w.Code == http.StatusSeeOther:
		loc, _ := url.Parse(w.Header().Get("Location"))
		if msg := loc.Query().Get("err"); msg != "" {
			if strings.Contains(msg, "needs the") || strings.Contains(msg, "only an admin") || strings.Contains(msg, "another admin must") || strings.Contains(msg, "own account only") {
				return "forbidden"
			}
			return "refused: " + msg
		}
		return "ok"
	case w.Code < 300:
		return "ok"
	}
	return "status " + strconv.Itoa(w.Code) + ": " + w.Body.String()
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestPermissionsAreTheSameInBothFrontEnds lists every permission rule and
// drives each through the API and the console: a rule lives in the
// services once, so the two cannot disagree.
func TestPermissionsAreTheSameInBothFrontEnds(t *testing.T) {
	rotate := func(target string) action {
		return action{method: "PUT", apiPath: "/api/v1/admin/campaigns/bnv/target", apiBody: map[string]string{"target": target}, apiHeader: []string{"If-Match", `"1"`},
			consolePath: "/admin/c/bnv/rotate", form: url.Values{"target": {target}, "version": {"1"}}}
	}
	propose := func(t *testing.T, f *adminFixture, who string) int64 {
		_, prop, err := f.svc.RequestRotation(context.Background(), campaign.Request{Slug: "bnv", Target: "https://zalo.me/4444", Expect: 1},
			callerNamed(f, who))
		if err != nil || prop == nil {
			t.Fatalf("%s proposing: %v %v", who, prop, err)
		}
		return prop.ID
	}
	approve := func(id int64) action {
		p := strconv.FormatInt(id, 10)
		return action{method: "POST", apiPath: "/api/v1/admin/proposals/" + p + "/approve", consolePath: "/admin/proposals/" + p + "/approve", form: url.Values{}}
	}
	reject := func(id int64) action {
		p := strconv.FormatInt(id, 10)
		return action{method: "POST", apiPath: "/api/v1/admin/proposals/" + p + "/reject", consolePath: "/admin/proposals/" + p + "/reject", form: url.Values{}}
	}
	version := func(f *adminFixture) int64 { c, _ := f.svc.Get(context.Background(), "bnv"); return c.Version }
	status := func(f *adminFixture, id int64) string {
		p, _ := f.svc.Proposal(context.Background(), id)
		return p.Status
	}
	const csv = "name,kind,homepage\nSở Nội vụ,department,https://sonoivu.example/\n"

	rules := []struct {
		name      string
		twoPerson bool
		who       string
		setup     func(t *testing.T, f *adminFixture) action
		want      string
		after     func(t *testing.T, f *adminFixture)
	}{
		{name: "a viewer cannot propose a rotation", who: "vi", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action { return rotate("https://zalo.me/2") },
			after: func(t *testing.T, f *adminFixture) {
				if ps, _ := f.svc.Open(context.Background(), ""); len(ps) != 0 || version(f) != 1 {
					t.Errorf("a refused rotation left %d proposals, version %d", len(ps), version(f))
				}
			}},
		{name: "an editor's rotation waits for approval", who: "ed", want: "ok",
			setup: func(*testing.T, *adminFixture) action { return rotate("https://zalo.me/2") },
			after: func(t *testing.T, f *adminFixture) {
				if ps, _ := f.svc.Open(context.Background(), ""); len(ps) != 1 || version(f) != 1 {
					t.Errorf("after an editor's rotation: %d proposals, version %d; want 1 and 1", len(ps), version(f))
				}
			}},
		{name: "an admin's rotation applies at once", who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action { return rotate("https://zalo.me/2") },
			after: func(t *testing.T, f *adminFixture) {
				if version(f) != 2 {
					t.Errorf("after an admin's rotation: version %d, want 2", version(f))
				}
			}},
		{name: "under two-person an admin's rotation waits", twoPerson: true, who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action { return rotate("https://zalo.me/2") },
			after: func(t *testing.T, f *adminFixture) {
				if version(f) != 1 {
					t.Errorf("under two-person an admin's rotation applied: version %d", version(f))
				}
			}},
		{name: "an editor cannot approve", who: "ed", want: "forbidden",
			setup: func(t *testing.T, f *adminFixture) action { return approve(propose(t, f, "other-editor")) }},
		{name: "an admin cannot approve their own proposal", twoPerson: true, who: "alice", want: "forbidden",
			setup: func(t *testing.T, f *adminFixture) action { return approve(propose(t, f, "alice")) },
			after: func(t *testing.T, f *adminFixture) {
				if version(f) != 1 {
					t.Errorf("self-approval applied: version %d", version(f))
				}
			}},
		{name: "another admin approves", twoPerson: true, who: "bob", want: "ok",
			setup: func(t *testing.T, f *adminFixture) action { return approve(propose(t, f, "alice")) },
			after: func(t *testing.T, f *adminFixture) {
				if version(f) != 2 {
					t.Errorf("after bob's approval: version %d, want 2", version(f))
				}
			}},
		{name: "an editor cannot reject another's proposal", who: "ed", want: "forbidden",
			setup: func(t *testing.T, f *adminFixture) action { return reject(propose(t, f, "other-editor")) }},
		{name: "an editor withdraws their own proposal", who: "ed", want: "ok",
			setup: func(t *testing.T, f *adminFixture) action {
				id := propose(t, f, "ed")
				t.Cleanup(func() {
					if st := status(f, id); st != campaign.Cancelled {
						t.Errorf("the proposal is %s, want cancelled", st)
					}
				})
				return reject(id)
			}},
		{name: "an admin rejects another's proposal", who: "alice", want: "ok",
			setup: func(t *testing.T, f *adminFixture) action {
				id := propose(t, f, "ed")
				t.Cleanup(func() {
					if st := status(f, id); st != campaign.Rejected {
						t.Errorf("the proposal is %s, want rejected", st)
					}
				})
				return reject(id)
			}},
		{name: "a viewer cannot preview", who: "vi", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/campaigns/bnv/preview", apiBody: map[string]string{"target": "https://zalo.me/9"},
					consolePath: "/admin/c/bnv/preview", form: url.Values{"target": {"https://zalo.me/9"}, "version": {"1"}}}
			}},
		{name: "an editor cannot list accounts", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "GET", apiPath: "/api/v1/admin/accounts", consolePath: "/admin/accounts"}
			}},
		{name: "an editor cannot add an account", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts", apiBody: map[string]string{"name": "mallory", "role": "admin", "password": password},
					consolePath: "/admin/accounts", form: url.Values{"name": {"mallory"}, "role": {"admin"}, "password": {password}}}
			},
			after: func(t *testing.T, f *adminFixture) {
				if _, err := f.st.Account(context.Background(), "mallory"); err == nil {
					t.Error("a refused account was created")
				}
			}},
		{name: "an admin adds an account", who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts", apiBody: map[string]string{"name": "carol", "role": "editor", "password": password},
					consolePath: "/admin/accounts", form: url.Values{"name": {"carol"}, "role": {"editor"}, "password": {password}}}
			}},
		{name: "an editor makes a token for themselves", who: "ed", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/tokens", apiBody: map[string]string{"name": "x", "role": "editor"},
					consolePath: "/admin/tokens", form: url.Values{"name": {"x"}, "role": {"editor"}}}
			}},
		{name: "an admin cannot make a token for another admin", who: "alice", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/tokens", apiBody: map[string]string{"name": "x", "role": "admin", "account": "bob"},
					consolePath: "/admin/tokens", form: url.Values{"name": {"x"}, "role": {"admin"}, "account": {"bob"}}}
			}},
		{name: "under two-person a new admin account waits", twoPerson: true, who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts", apiBody: map[string]string{"name": "sock", "role": "admin", "password": password},
					consolePath: "/admin/accounts", form: url.Values{"name": {"sock"}, "role": {"admin"}, "password": {password}}}
			},
			after: func(t *testing.T, f *adminFixture) {
				a, err := f.st.Account(context.Background(), "sock")
				if err != nil || !a.Disabled || a.Role != auth.Viewer || a.PendingRole != auth.Admin {
					t.Errorf("a new admin under two-person = %+v, %v; want disabled, a viewer waiting to become admin", a, err)
				}
			}},
		{name: "under two-person an admin cannot approve the admin they made", twoPerson: true, who: "alice", want: "forbidden",
			setup: func(t *testing.T, f *adminFixture) action {
				if _, err := f.app.Auth.CreateAccount(context.Background(), "sock", "admin", password, callerNamed(f, "alice")); err != nil {
					t.Fatal(err)
				}
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/sock/approve", consolePath: "/admin/accounts/sock/approve", form: url.Values{}}
			},
			after: func(t *testing.T, f *adminFixture) {
				if a, _ := f.st.Account(context.Background(), "sock"); !a.Disabled || a.Role == auth.Admin {
					t.Errorf("self-approved sock puppet: %+v", a)
				}
			}},
		{name: "under two-person a raise to admin waits", twoPerson: true, who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/ed/role", apiBody: map[string]string{"role": "admin"},
					consolePath: "/admin/accounts/ed/role", form: url.Values{"role": {"admin"}}}
			},
			after: func(t *testing.T, f *adminFixture) {
				if a, _ := f.st.Account(context.Background(), "ed"); a.Role != auth.Editor || a.PendingRole != auth.Admin {
					t.Errorf("a raise under two-person = %+v, want still an editor, admin pending", a)
				}
			}},
		{name: "an editor cannot disable an account", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/vi/disable", consolePath: "/admin/accounts/vi/disable", form: url.Values{}}
			}},
		{name: "an admin disables an account", who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/ed/disable", consolePath: "/admin/accounts/ed/disable", form: url.Values{}}
			},
			after: func(t *testing.T, f *adminFixture) {
				if code, _, _ := f.call(t, "ed", "GET", "/api/v1/admin/campaigns", nil); code != 401 {
					t.Errorf("a disabled account's token = %d, want 401", code)
				}
			}},
		{name: "an editor cannot reset another's password", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/alice/password", apiBody: map[string]string{"password": "a-new-long-password"},
					consolePath: "/admin/accounts/alice/password", form: url.Values{"password": {"a-new-long-password"}}}
			}},
		{name: "an editor cannot end another's sessions", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/accounts/alice/end-sessions", consolePath: "/admin/accounts/alice/end-sessions", form: url.Values{}}
			}},
		{name: "a viewer cannot import the register", who: "vi", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/agencies", consolePath: "/admin/agencies", file: csv}
			}},
		{name: "an editor cannot tell the shared caches to drop everything", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/caches/purge", consolePath: "/admin/caches/purge", form: url.Values{}}
			}},
		{name: "an admin tells the shared caches again", who: "alice", want: "ok",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/caches/purge", consolePath: "/admin/caches/purge", form: url.Values{}}
			}},
		{name: "an editor cannot start a check", who: "ed", want: "forbidden",
			setup: func(*testing.T, *adminFixture) action {
				return action{method: "POST", apiPath: "/api/v1/admin/checks", consolePath: "/admin/checks", form: url.Values{}}
			}},
	}
	for _, rule := range rules {
		for _, fe := range []frontEnd{api{}, console{}} {
			t.Run(rule.name+"/"+fe.name(), func(t *testing.T) {
				f := newAdminFixture(t, rule.twoPerson)
				a := rule.setup(t, f)
				if a.file != "" && fe.name() == "api" {
					code, body := f.csvImport(t, rule.who, a.file)
					got := "ok"
					if code == 403 {
						got = "forbidden"
					} else if code >= 300 {
						got = "status " + strconv.Itoa(code) + ": " + toJSON(body)
					}
					if got != rule.want {
						t.Fatalf("%s as %s: %s, want %s", a.apiPath, rule.who, got, rule.want)
					}
				} else if got := fe.do(t, f, rule.who, a); got != rule.want {
					t.Fatalf("%s as %s: %s, want %s", a.apiPath, rule.who, got, rule.want)
				}
				if rule.after != nil {
					rule.after(t, f)
				}
			})
		}
	}
}

// callerNamed is the caller the fixture's account who is (any other name
// is an editor), for setting up state through the services.
func callerNamed(f *adminFixture, who string) auth.Caller {
	role := map[string]auth.Role{"alice": auth.Admin, "bob": auth.Admin, "ed": auth.Editor, "vi": auth.Viewer}[who]
	if role == "" {
		role = auth.Editor
	}
	return auth.Caller{Principal: auth.Principal{Account: who, Role: role}, IP: "192.0.2.20"}
}
