package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/static"
)

var (
	indexTmpl = template.Must(template.ParseFS(static.FS, "index.html"))
	frameTmpl = template.Must(template.ParseFS(static.FS, "frame.html"))
)

// pageText is the webmaster page's wording in one language.
type pageText struct {
	Lang, Other, OtherName                    string
	Heading, Lead, Empty                      string
	Campaign, Layout, Size, Theme, Apply      string
	Preview, Target, Version, Download, Print string
	Posters, Bleed                            string
	AgencyLine, Paper, MakePoster             string
	Snippets, Copy, Copied                    string
	ScriptTitle, ScriptHelp                   string
	ReservedTitle, ReservedHelp               string
	ImgTitle, ImgHelp, FrameTitle, FrameHelp  string
	CSPHeading, CSPLead                       string
	LayoutNames, ThemeNames                   map[string]string
	CMS                                       []cmsNote
}

type cmsNote struct{ Name, Note string }

// texts holds the page's wording; Vietnamese is the default.
var texts = map[string]pageText{
	"vi": {
		Lang: "vi", Other: "en", OtherName: "English",
		Heading:  "Gắn mã QR Zalo OA lên cổng thông tin",
		Lead:     "Chọn chiến dịch, kiểu và kích thước, rồi dán một trong các đoạn mã dưới đây vào trang chủ. Khi quản trị viên đổi đường dẫn Zalo OA, mã QR trên mọi trang sẽ tự cập nhật.",
		Empty:    "Chưa có chiến dịch nào.",
		Campaign: "Chiến dịch", Layout: "Kiểu", Size: "Chiều rộng", Theme: "Màu", Apply: "Áp dụng",
		Preview: "Xem trước", Target: "Đích", Version: "phiên bản", Download: "Tải ảnh", Print: "để in",
		Posters: "Áp phích PDF cho Bộ phận Một cửa", Bleed: "có lề xén cho nhà in",
		AgencyLine: "Tên cơ quan in trên áp phích", Paper: "Khổ giấy", MakePoster: "Tạo áp phích",
		Snippets: "Đoạn mã để dán", Copy: "Sao chép", Copied: "Đã sao chép",
		ScriptTitle:   "1. Mã nhúng (khuyên dùng)",
		ScriptHelp:    "Dán vào nơi muốn hiện mã QR. Tập lệnh được ghim bằng mã toàn vẹn (SRI), chạy trong Shadow DOM nên không ảnh hưởng giao diện trang; trình duyệt không chạy JavaScript sẽ hiện ảnh thay thế.",
		ReservedTitle: "2. Mã nhúng giữ sẵn chỗ",
		ReservedHelp:  "Như trên, nhưng khung giữ sẵn đúng kích thước nên trang không xê dịch chút nào. Dùng khi trình soạn thảo của CMS giữ nguyên thuộc tính style.",
		ImgTitle:      "3. Chỉ HTML, không JavaScript",
		ImgHelp:       "Cho ô HTML không cho phép tập lệnh: một liên kết quanh một ảnh.",
		FrameTitle:    "4. Khung iframe",
		FrameHelp:     "Cho CMS chỉ cho nhúng iframe. Khung được cô lập (sandbox): chỉ được mở liên kết ở thẻ mới.",
		CSPHeading:    "Chính sách bảo mật nội dung (CSP)",
		CSPLead:       "Nếu cổng thông tin gửi tiêu đề Content-Security-Policy, thêm nguồn của máy chủ này vào các chỉ thị tương ứng (img-src cho ảnh, script-src cho mã nhúng, frame-src cho iframe), giữ nguyên các nguồn đang có:",
		LayoutNames:   map[string]string{"badge": "Mã QR kèm chú thích", "qr": "Chỉ mã QR", "card": "Thẻ ngang (từ 256 px)"},
		ThemeNames:    map[string]string{"light": "Sáng", "dark": "Tối", "mono": "Đen trắng (in ấn)", "auto": "Theo máy người xem (chỉ mã nhúng)"},
		CMS: []cmsNote{
			{"NukeViet", "CSP của NukeViet 4.x được cấu hình trong phần quản trị, mục cấu hình bảo mật (thiết lập CSP); thêm nguồn trên vào các chỉ thị img-src, script-src, frame-src. Dán đoạn mã vào một khối (block) HTML ở trang chủ."},
			{"WordPress", "WordPress không tự đặt CSP; nếu máy chủ web hoặc một plugin bảo mật đặt tiêu đề này, thêm nguồn trên ở đó. Dán đoạn mã vào khối “HTML tùy chỉnh” (Custom HTML) của widget hoặc trình soạn thảo."},
			{"Joomla", "Joomla 4 và 5: Hệ thống → Plugin → “System - HTTP Headers”, thẻ Content Security Policy, thêm nguồn trên vào các chỉ thị tương ứng. Dán đoạn mã vào một module “Custom” ở chế độ soạn thảo mã."},
		},
	},
	"en": {
		Lang: "en", Other: "vi", OtherName: "Tiếng Việt",
		Heading:  "Put the Zalo OA QR badge on your portal",
		Lead:     "Choose a campaign, layout and size, then paste one of the snippets below into the homepage. When an admin changes the Zalo OA link, the QR code on every portal follows.",
		Empty:    "No campaigns yet.",
		Campaign: "Campaign", Layout: "Layout", Size: "Width", Theme: "Theme", Apply: "Apply",
		Preview: "Preview", Target: "Target", Version: "version", Download: "Download", Print: "for print",
		Posters: "PDF posters for one-stop desks", Bleed: "with bleed for print shops",
		AgencyLine: "Agency line printed on the poster", Paper: "Paper", MakePoster: "Make the poster",
		Snippets: "Snippets to paste", Copy: "Copy", Copied: "Copied",
		ScriptTitle:   "1. Script (recommended)",
		ScriptHelp:    "Paste it where the badge should appear. The script is pinned with Subresource Integrity and renders in a Shadow DOM, so it cannot disturb the page; browsers without JavaScript show the fallback image.",
		ReservedTitle: "2. Script with reserved space",
		ReservedHelp:  "As above, but the box is reserved by the markup itself, so the page does not move at all. Use it when the CMS editor keeps style attributes.",
		ImgTitle:      "3. HTML only, no JavaScript",
		ImgHelp:       "For HTML boxes that allow no scripts: a link around an image.",
		FrameTitle:    "4. Iframe",
		FrameHelp:     "For CMSs that only allow iframes. The frame is sandboxed: all it may do is open the link in a new tab.",
		CSPHeading:    "Content Security Policy",
		CSPLead:       "If the portal sends a Content-Security-Policy header, add this server's origin to the matching directives (img-src for the image, script-src for the script, frame-src for the iframe), keeping the sources already there:",
		LayoutNames:   map[string]string{"badge": "Code with caption", "qr": "Code only", "card": "Wide card (256 px and up)"},
		ThemeNames:    map[string]string{"light": "Light", "dark": "Dark", "mono": "Black and white (print)", "auto": "Follow the visitor (script only)"},
		CMS: []cmsNote{
			{"NukeViet", "NukeViet 4.x configures its CSP in the admin area, under the security settings (CSP settings); add the origin above to img-src, script-src and frame-src. Paste the snippet into an HTML block on the homepage."},
			{"WordPress", "WordPress sets no CSP itself; if the web server or a security plugin sends one, add the origin there. Paste the snippet into a Custom HTML block or widget."},
			{"Joomla", "Joomla 4 and 5: System → Plugins → “System - HTTP Headers”, Content Security Policy tab; add the origin to the matching directives. Paste the snippet into a Custom module in code view."},
		},
	},
}

type option struct {
	Value, Label string
	Selected     bool
}

type snippetView struct {
	ID, Title, Help, Code string
}

type downloads struct{ SVG, PNG, PNG2x, Print string }

// pageQuery is what the webmaster page was asked for.
type pageQuery struct {
	lang, slug, theme string
	v                 badge.Variant
}

// parsePageQuery reads the page's controls. Unknown values are refused; a
// card narrower than it can be is widened, since the controls change one
// value at a time and the page must not fail between two changes.
func parsePageQuery(q url.Values) (pageQuery, string) {
	p := pageQuery{lang: q.Get("lang"), slug: q.Get("c"), theme: "light", v: badge.DefaultVariant(badge.SVG)}
	if _, ok := texts[p.lang]; !ok {
		p.lang = "vi"
	}
	var ok bool
	if s := q.Get("size"); s != "" {
		if p.v.Size, ok = badge.ParseSize(s); !ok {
			return p, msgSize
		}
	}
	if s := q.Get("layout"); s != "" {
		if p.v.Layout, ok = badge.ParseLayout(s); !ok {
			return p, msgLayout
		}
	}
	if s := q.Get("theme"); s != "" {
		if _, ok := badge.ParseTheme(s); !ok && s != "auto" {
			return p, msgTheme + ", auto"
		}
		p.theme = s
	}
	if p.v.Layout == badge.LayoutCard && p.v.Size < badge.MinCardSize {
		p.v.Size = badge.MinCardSize
	}
	return p, ""
}

// index serves the webmaster page: pick a campaign, layout, size and theme,
// see the badge, copy a snippet and the CSP lines the portal needs.
func (s *Server) index(c echo.Context) error {
	p, msg := parsePageQuery(c.QueryParams())
	if msg != "" {
		return apperr.BadRequestf("%s", msg)
	}
	t := texts[p.lang]
	list := s.campaigns.List()
	data := struct {
		T            pageText
		Campaigns    []campaign.Campaign
		Sel          campaign.Campaign
		Layouts      []option
		Sizes        []option
		Themes       []option
		Link         string
		ImageURL     string
		Width        int
		Height       int
		Downloads    downloads
		Snippets     []snippetView
		CSP          string
		OtherLangURL string
	}{T: t, Campaigns: list}

	other := c.QueryParams()
	other.Set("lang", t.Other)
	data.OtherLangURL = "/?" + other.Encode()
	if len(list) > 0 {
		data.Sel = list[0]
		if p.slug != "" {
			sel, err := s.campaigns.Served(c.Request().Context(), p.slug)
			if err != nil {
				return err
			}
			data.Sel = sel
		}
		for _, l := range []badge.Layout{badge.LayoutBadge, badge.LayoutQR, badge.LayoutCard} {
			data.Layouts = append(data.Layouts, option{l.String(), t.LayoutNames[l.String()], l == p.v.Layout})
		}
		for _, size := range badge.Sizes {
			if p.v.Layout == badge.LayoutCard && size < badge.MinCardSize || size == badge.PrintSize {
				continue
			}
			data.Sizes = append(data.Sizes, option{strconv.Itoa(size), strconv.Itoa(size) + " px", size == p.v.Size})
		}
		for _, th := range []string{"light", "dark", "mono", "auto"} {
			data.Themes = append(data.Themes, option{th, t.ThemeNames[th], th == p.theme})
		}
		sn := snippet{base: s.cfg.PublicURL, slug: data.Sel.Slug, label: data.Sel.Caption, v: p.v, theme: p.theme}
		data.Link = sn.link()
		data.ImageURL = sn.imageURL()
		data.Width, data.Height = p.v.Dimensions()
		img := s.cfg.PublicURL + "/b/" + data.Sel.Slug
		data.Downloads = downloads{
			SVG:   sn.imageURL(),
			PNG:   img + ".png?size=" + strconv.Itoa(p.v.Size) + "&layout=" + p.v.Layout.String() + "&theme=" + pngTheme(p.theme),
			PNG2x: img + ".png?size=" + strconv.Itoa(p.v.Size) + "&layout=" + p.v.Layout.String() + "&theme=" + pngTheme(p.theme) + "&dpr=2",
			Print: img + ".png?size=" + strconv.Itoa(badge.PrintSize) + "&layout=" + p.v.Layout.String() + "&theme=mono",
		}
		data.Snippets = []snippetView{
			{"snippet-script", t.ScriptTitle, t.ScriptHelp, sn.script(s.embed)},
			{"snippet-reserved", t.ReservedTitle, t.ReservedHelp, sn.reserved(s.embed)},
			{"snippet-img", t.ImgTitle, t.ImgHelp, sn.img()},
			{"snippet-iframe", t.FrameTitle, t.FrameHelp, sn.iframe()},
		}
		data.CSP = joinLines(cspLines(s.cfg.PublicURL))
	}
	var b bytes.Buffer
	if err := indexTmpl.Execute(&b, data); err != nil {
		return err
	}
	setPageHeaders(c)
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

func pngTheme(theme string) string {
	if theme == "auto" {
		return "light"
	}
	return theme
}

func setPageHeaders(c echo.Context) {
	h := c.Response().Header()
	h["Content-Security-Policy"] = valPageCSP
	h["X-Frame-Options"] = valFrameDeny
	h["Referrer-Policy"] = valRefPolicy
	h["Cache-Control"] = valNoCache
}

// frame serves GET /e/{slug}: the badge alone in a transparent page with
// no scrollbars, for portals that can only embed an iframe. It has no
// script and works in a sandboxed frame; its CSP names this server's
// origin rather than 'self', which a sandboxed (opaque) origin would not match.
func (s *Server) frame(c echo.Context) error {
	x, err := s.campaigns.Served(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	v, err := variantOf(c.Request().URL.RawQuery, badge.SVG, x.Theme, x.Layout)
	if err != nil {
		return err
	}
	sn := snippet{base: s.cfg.PublicURL, slug: x.Slug, label: x.Caption, v: v, theme: v.Theme.String()}
	w, h := v.Dimensions()
	var b bytes.Buffer
	if err := frameTmpl.Execute(&b, struct {
		Base, Label, Link, ImageURL string
		Width, Height               int
	}{s.cfg.PublicURL, x.Caption, sn.link(), sn.imageURL(), w, h}); err != nil {
		return err
	}
	if c.Request().Method == http.MethodGet {
		s.count(c, compliance.Frame, x.Slug)
	}
	hdr := c.Response().Header()
	hdr["Content-Security-Policy"] = s.frameCSP
	hdr["Cache-Control"] = valNoCache
	hdr["Referrer-Policy"] = valRefPolicy
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// staticFile serves the page assets: stylesheets and the page script. The
// embed script is served by its own routes, with the public URL written in.
func (s *Server) staticFile(c echo.Context) error {
	name := c.Param("*")
	var ctype string
	switch name {
	case "style.css", "frame.css", "admin.css":
		ctype = "text/css; charset=utf-8"
	case "page.js":
		ctype = valJSType[0]
	default:
		return apperr.NotFoundf("not found")
	}
	b, err := static.FS.ReadFile(name)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Cache-Control"] = []string{"public, max-age=3600"}
	h["Cross-Origin-Resource-Policy"] = valCORP
	return c.Blob(http.StatusOK, ctype, b)
}
