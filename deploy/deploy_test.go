// Package deploy holds deployment recipes; this test checks them: the
// Kubernetes manifests and the compose file against the fields they must
// have, the nginx configurations with nginx -t, and the Varnish VCL with
// varnishd itself (varnish_test.go).
package deploy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	d := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var m map[string]any
		err := d.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
}

// dig follows keys (and list indexes given as ints) into a decoded YAML value.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestKubernetes(t *testing.T) {
	kinds := map[string]map[string]any{}
	for _, f := range []string{"k8s/oabadge.yaml", "k8s/secret.example.yaml"} {
		for _, d := range docs(t, f) {
			kind, _ := d["kind"].(string)
			if d["apiVersion"] == nil || kind == "" || dig(d, "metadata", "name") == nil {
				t.Errorf("%s: a document without apiVersion, kind or metadata.name: %v", f, d)
			}
			kinds[kind] = d
		}
	}
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret"} {
		if kinds[k] == nil {
			t.Errorf("no %s", k)
		}
	}
	dep := kinds["Deployment"]
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	if dig(c, "readinessProbe", "httpGet", "path") != "/readyz" || dig(c, "livenessProbe", "httpGet", "path") != "/healthz" {
		t.Error("the Deployment lacks /readyz and /healthz probes")
	}
	if dig(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true || dig(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("the pod must run as non-root with a read-only root file system")
	}
	labels := dig(dep, "spec", "template", "metadata", "labels", "app")
	for _, sel := range []any{
		dig(dep, "spec", "selector", "matchLabels", "app"), dig(kinds["Service"], "spec", "selector", "app"),
		dig(kinds["PodDisruptionBudget"], "spec", "selector", "matchLabels", "app"),
	} {
		if sel != labels {
			t.Errorf("a selector %v does not match the pod label %v", sel, labels)
		}
	}
	if dig(kinds["HorizontalPodAutoscaler"], "spec", "scaleTargetRef", "name") != dig(dep, "metadata", "name") {
		t.Error("the autoscaler does not target the Deployment")
	}
	secretPath := ""
	for _, e := range dig(c, "env").([]any) {
		if dig(e, "name") == "OABADGE_DB_FILE" {
			secretPath, _ = dig(e, "value").(string)
		}
	}
	if !strings.HasPrefix(secretPath, dig(c, "volumeMounts", 0, "mountPath").(string)) || dig(kinds["Secret"], "stringData", "db-dsn") == nil {
		t.Error("the DSN does not come from the Secret through OABADGE_DB_FILE")
	}
}

func TestCompose(t *testing.T) {
	c := docs(t, "compose/compose.yaml")[0]
	for _, s := range []string{"db", "oabadge-1", "oabadge-2", "nginx"} {
		if dig(c, "services", s) == nil {
			t.Errorf("compose has no service %s", s)
		}
	}
	for _, s := range []string{"oabadge-1", "oabadge-2"} {
		if dig(c, "services", s, "environment", "OABADGE_DB_FILE") != "/run/secrets/db-dsn" {
			t.Errorf("%s does not read its DSN from the secret", s)
		}
	}
	if dig(c, "services", "oabadge-2", "environment", "OABADGE_DEMO") != "false" {
		t.Error("both replicas would create the demo campaign")
	}
	if b, _ := os.ReadFile("compose/db-dsn.txt.example"); !strings.HasPrefix(string(b), "postgres://") {
		t.Error("no DSN example for the compose secret")
	}

	// Varnish caches and is purged by the replicas; its VCL names them as
	// backends and lets exactly their addresses purge.
	vs := dig(c, "services", "varnish")
	if img, _ := dig(vs, "image").(string); !strings.HasPrefix(img, "varnish:") {
		t.Errorf("the varnish service runs %q, want the official varnish image", img)
	}
	mounted := false
	for _, v := range asList(dig(vs, "volumes")) {
		mounted = mounted || v == "../varnish/oabadge.vcl:/etc/varnish/default.vcl:ro"
	}
	if !mounted {
		t.Error("the varnish service does not mount deploy/varnish/oabadge.vcl as its default.vcl")
	}
	vcl, err := os.ReadFile(vclFile)
	if err != nil {
		t.Fatal(err)
	}
	acl := string(vcl)
	if i := strings.Index(acl, "acl purgers {"); i >= 0 {
		acl = acl[i:]
		acl = acl[:strings.Index(acl, "}")]
	} else {
		t.Fatalf("%s has no acl purgers", vclFile)
	}
	for _, s := range []string{"oabadge-1", "oabadge-2"} {
		if p, _ := dig(c, "services", s, "environment", "OABADGE_PURGE").(string); p != "PURGE http://varnish/" {
			t.Errorf("%s purges %q, want PURGE http://varnish/", s, p)
		}
		ip, _ := dig(c, "services", s, "networks", "default", "ipv4_address").(string)
		if ip == "" || !strings.Contains(acl, `"`+ip+`";`) {
			t.Errorf("%s has address %q, which the VCL's purgers ACL does not list", s, ip)
		}
		if !strings.Contains(string(vcl), `.host = "`+s+`";`) {
			t.Errorf("the VCL has no backend for %s", s)
		}
		if dig(c, "services", s, "environment", "OABADGE_ADDR") != ":8080" {
			t.Errorf("%s does not listen on :8080, the VCL backends' port", s)
		}
	}
	if b, _ := os.ReadFile("compose/nginx.conf"); !strings.Contains(string(b), "server varnish:80;") || strings.Contains(string(b), "proxy_cache ") {
		t.Error("compose nginx must pass everything to Varnish and cache nothing itself (nobody purges it)")
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestNginx checks both nginx configurations with nginx -t, each wrapped
// in the http block it is included in, with a throwaway certificate and
// the compose host names pointed at 127.0.0.1.
func TestNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err == nil {
			nginx = "/usr/sbin/nginx"
		} else if os.Getenv("OABADGE_REQUIRE_NGINX") == "1" {
			t.Fatal("nginx is required (OABADGE_REQUIRE_NGINX=1) but not found")
		} else {
			t.Skip("no nginx: install Debian's nginx-light (as .ci/run does) to check the configurations")
		}
	}
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	for _, f := range []string{"nginx/oabadge.conf", "compose/nginx.conf"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		conf := strings.NewReplacer(
			"/etc/ssl/badge.example.gov.vn/fullchain.pem", cert,
			"/etc/ssl/badge.example.gov.vn/privkey.pem", key,
			"/var/cache/nginx/oabadge", filepath.Join(dir, "cache"),
			"oabadge-1:8080", "127.0.0.1:18081", "oabadge-2:8080", "127.0.0.1:18082", "varnish:80", "127.0.0.1:18083",
			"listen 443 ssl http2;", "listen 127.0.0.1:18443 ssl http2;", "listen 80;", "listen 127.0.0.1:18080;",
		).Replace(string(b))
		main := filepath.Join(dir, strings.ReplaceAll(f, "/", "-"))
		wrapped := "pid " + filepath.Join(dir, "nginx.pid") + ";\nerror_log " + filepath.Join(dir, "error.log") + ";\nevents {}\nhttp {\n" +
			"client_body_temp_path " + dir + "/b; proxy_temp_path " + dir + "/p; fastcgi_temp_path " + dir + "/f; uwsgi_temp_path " + dir + "/u; scgi_temp_path " + dir + "/s;\n" +
			"access_log off;\n" + conf + "\n}\n"
		if err := os.WriteFile(main, []byte(wrapped), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(nginx, "-t", "-q", "-c", main, "-p", dir).CombinedOutput(); err != nil {
			t.Errorf("nginx -t on %s: %v\n%s", f, err, out)
		}
	}
}

func selfSigned(t *testing.T, dir string) (string, string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "badge.example.gov.vn"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"badge.example.gov.vn"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}
