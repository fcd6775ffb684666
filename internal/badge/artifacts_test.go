package badge_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oabadge/oabadge/internal/badge"
)

// artifacts returns the directory to write pictures for people to look at
// ($OABADGE_ARTIFACTS/sub), or skips when it is not set.
func artifacts(t *testing.T, sub string) string {
	t.Helper()
	root := os.Getenv("OABADGE_ARTIFACTS")
	if root == "" {
		t.Skip("OABADGE_ARTIFACTS is not set: no pictures to write")
	}
	dir := filepath.Join(root, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testEmblem(t testing.TB) *badge.Emblem {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "emblem.svg"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := badge.NewEmblem(b)
	if err != nil {
		t.Fatalf("NewEmblem(testdata/emblem.svg): %v", err)
	}
	return e
}

// TestArtifacts writes every layout at every size and theme, with and
// without an emblem, as PNG and SVG, and has Chromium screenshot the SVGs
// when it is installed, so a person can look at them all.
func TestArtifacts(t *testing.T) {
	dir := artifacts(t, "badge")
	contents := map[string]badge.Content{
		"plain":  demo,
		"emblem": {Code: demo.Code, Title: demo.Title, Caption: demo.Caption, Emblem: testEmblem(t), EmblemInCode: true},
		"long": {Code: demo.Code, Title: "Trung tâm Phục vụ hành chính công tỉnh Hưng Yên",
			Caption: "Quét mã QR để theo dõi Zalo OA và nhận thông báo về hồ sơ của bạn"},
	}
	var svgs []string
	for name, c := range contents {
		for _, v := range badge.Variants() {
			if v.Density != 1 || v.Size == badge.PrintSize || (v.Theme != badge.ThemeLight && name != "plain") {
				continue
			}
			b, err := badge.Render(c, v)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%d.%s", name, v.Layout, v.Theme, v.Size, v.Format))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if v.Format == badge.SVG {
				svgs = append(svgs, path)
			}
		}
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Log("no chromium: SVGs written, not screenshot")
		return
	}
	// One page with every SVG, screenshot once with the machine's fonts and
	// once with none of them: text drawn as paths must look the same.
	sort.Strings(svgs)
	var page strings.Builder
	page.WriteString(`<!doctype html><body style="margin:0;background:#888">`)
	for _, p := range svgs {
		fmt.Fprintf(&page, `<img src="%s" style="margin:4px;vertical-align:top">`, filepath.Base(p))
	}
	html := filepath.Join(dir, "all-svg.html")
	if err := os.WriteFile(html, []byte(page.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	noFonts := filepath.Join(t.TempDir(), "fonts.conf")
	os.WriteFile(noFonts, []byte(`<?xml version="1.0"?><fontconfig><cachedir>`+t.TempDir()+`</cachedir></fontconfig>`), 0o644)
	with, without := filepath.Join(dir, "all-svg.chromium.png"), filepath.Join(dir, "all-svg.chromium-nofonts.png")
	screenshot(t, chromium, html, 1800, 5200, with, nil)
	screenshot(t, chromium, html, 1800, 5200, without, []string{"FONTCONFIG_FILE=" + noFonts})
	a, _ := os.ReadFile(with)
	b, _ := os.ReadFile(without)
	if !bytes.Equal(a, b) {
		t.Errorf("Chromium draws the SVGs differently without the machine's fonts: compare %s and %s", with, without)
	}
}

// screenshot has headless Chromium draw a page at w×h CSS pixels.
func screenshot(t *testing.T, chromium, page string, w, h int, out string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--force-device-scale-factor=1", "--allow-file-access-from-files",
		fmt.Sprintf("--window-size=%d,%d", w, h), "--screenshot="+out, "file://"+page)
	cmd.Env = append(os.Environ(), env...)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot of %s: %v\n%s", page, err, o)
	}
}
