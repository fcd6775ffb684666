package server

// pageText is the webmaster page's wording in one language.
type pageText struct {
	Lang, Other, OtherName                    string
	Heading, Description, Lead, Empty         string
	CMSLegend, Campaign, Layout, Size, Theme  string
	Align, Apply                              string
	Preview, Target, Version, Download, Print string
	Posters, Bleed, Tent, Stickers, PrintForm string
	AgencyLine, Paper, MakePoster             string
	Snippets, SnippetsLead, Recommended       string
	StepsLabel, Copy, Copied                  string
	CSPHeading, CSPLead, CSPNeeds             string
	CSPPolicy, CSPForm, CSPMerge, CSPMerged   string
	NoPolicy, FollowHeading, Follow           string
	LayoutNames, ThemeNames, AlignNames       map[string]string
	CMSNames                                  map[string]string
	Forms                                     map[string]formText
	// Steps are the exact steps in a CMS's own menus, by "cms/form" and
	// "cms/csp". {ORIGIN} and {HOST} stand for this server's.
	Steps map[string][]string
}

type formText struct{ Title, Help string }

// cmsGuide is what the page offers a CMS: the snippet forms, the one that
// survives it first.
type cmsGuide struct{ order []string }

var cmsOrder = []string{"nukeviet", "wordpress", "joomla", "other"}

var cmsGuides = map[string]cmsGuide{
	// NukeViet removes every <script> from HTML blocks and articles and
	// unwraps <noscript>: the image link is what survives.
	"nukeviet":  {[]string{formImg, formFrame, formScript}},
	"wordpress": {[]string{formScript, formImg, formFrame}},
	"joomla":    {[]string{formScript, formImg, formFrame}},
	"other":     {[]string{formScript, formImg, formFrame}},
}

// texts holds the page's wording; Vietnamese is the default.
var texts = map[string]pageText{
	"vi": {
		Lang: "vi", Other: "en", OtherName: "English",
		Heading:     "Gắn mã QR Zalo OA lên cổng thông tin",
		Description: "Lấy đoạn mã gắn mã QR Zalo OA của cơ quan lên cổng thông tin điện tử (NukeViet, WordPress, Joomla), kèm hướng dẫn CSP và áp phích in cho Bộ phận Một cửa.",
		Lead:        "Chọn CMS của cổng thông tin, chiến dịch, kiểu và kích thước, rồi dán đoạn mã đầu tiên vào trang chủ. Khi quản trị viên đổi đường dẫn Zalo OA, mã QR trên mọi trang sẽ tự cập nhật.",
		Empty:       "Chưa có chiến dịch nào.",
		CMSLegend:   "Cổng thông tin dùng CMS nào?",
		Campaign:    "Chiến dịch", Layout: "Kiểu", Size: "Chiều rộng", Theme: "Màu", Align: "Căn lề", Apply: "Áp dụng",
		Preview: "Xem trước", Target: "Đích", Version: "phiên bản", Download: "Tải ảnh", Print: "để in",
		Posters: "Áp phích PDF cho Bộ phận Một cửa", Bleed: "có lề xén cho nhà in",
		Tent: "Thẻ gập để bàn (A4)", Stickers: "Tờ 24 nhãn dán (A4)", PrintForm: "Loại",
		AgencyLine: "Tên cơ quan in trên áp phích", Paper: "Khổ giấy", MakePoster: "Tạo áp phích",
		Snippets: "Đoạn mã để dán", SnippetsLead: "Theo thứ tự phù hợp với", Recommended: "Nên dùng",
		StepsLabel: "Các bước", Copy: "Sao chép", Copied: "Đã sao chép",
		CSPHeading: "Chính sách bảo mật nội dung (CSP)",
		CSPLead:    "Chỉ cần khi cổng thông tin gửi Content-Security-Policy. Mỗi dạng đoạn mã cần mở cho {ORIGIN} đúng các chỉ thị sau, giữ nguyên các nguồn đang có:",
		CSPNeeds:   "Các chỉ thị cần",
		CSPPolicy:  "Dán chính sách hiện tại của cổng (giá trị tiêu đề Content-Security-Policy)",
		CSPForm:    "Cho đoạn mã", CSPMerge: "Ghép chính sách", CSPMerged: "Chính sách sau khi ghép, để dán nguyên",
		NoPolicy:      "Chính sách trống không chặn gì: không cần thêm.",
		FollowHeading: "Khi quản trị viên đổi đường dẫn",
		Follow:        "Khách mới thấy mã mới ngay; khách quay lại thấy trong vòng {N} phút (thời gian trình duyệt giữ ảnh mã QR). Đoạn mã đã dán không cần sửa.",
		LayoutNames:   map[string]string{"badge": "Mã QR kèm chú thích", "qr": "Chỉ mã QR", "card": "Thẻ ngang"},
		ThemeNames:    map[string]string{"light": "Sáng", "dark": "Tối", "mono": "Đen trắng (in ấn)", "auto": "Theo máy người xem (chỉ mã nhúng)"},
		AlignNames:    map[string]string{"": "Theo trang", "start": "Trái", "center": "Giữa", "end": "Phải"},
		CMSNames:      map[string]string{"nukeviet": "NukeViet", "wordpress": "WordPress", "joomla": "Joomla", "other": "CMS khác, tự viết HTML"},
		Forms: map[string]formText{
			formScript: {"Ảnh kèm mã nhúng", "Một liên kết quanh ảnh đã đặt sẵn kích thước, và tập lệnh (ghim bằng SRI) nâng cấp chính nó tại chỗ: theo chế độ tối của người xem, nút bấm trên điện thoại, không bị CSS của trang ảnh hưởng. Trang không xê dịch; không có JavaScript thì vẫn là ảnh."},
			formImg:    {"Chỉ HTML: liên kết và ảnh", "Không có tập lệnh: dán được ở mọi ô HTML, mọi vai trò người dùng."},
			formFrame:  {"Khung iframe", "Cho CMS chỉ cho nhúng iframe. Khung được cô lập (sandbox): chỉ được mở liên kết ở thẻ mới."},
		},
		Steps: map[string][]string{
			"nukeviet/img": {
				"Quản trị → Giao diện → Quản lý block → Thêm block; chọn block HTML (global.html) và vị trí, ví dụ cột phải trang chủ.",
				"Trong trình soạn thảo của block, bấm “Mã HTML” (Source), dán đoạn mã, rồi Lưu.",
			},
			"nukeviet/iframe": {
				"Cấu hình → Thiết lập an ninh → Tên miền tin cậy: thêm {HOST}, nếu không NukeViet bỏ iframe.",
				"Dán vào block HTML như đoạn mã 1 (bấm “Mã HTML”).",
				"CKEditor viết lại thuộc tính sandbox của iframe: lưu xong, mở lại “Mã HTML” và sửa cho đúng sandbox=\"allow-popups allow-popups-to-escape-sandbox\".",
			},
			"nukeviet/script": {
				"NukeViet xóa mọi thẻ <script> trong block HTML và bài viết (và bỏ lớp <noscript>): ở đó chỉ phần ảnh còn lại. Chỉ dùng khi sửa thẳng tệp giao diện (theme).",
			},
			"nukeviet/csp": {
				"CSP của NukeViet ở Cấu hình → Thiết lập tiêu đề HTTP → Thiết lập CSP, mặc định tắt; đang tắt thì không cần làm gì.",
				"Nếu đã bật: mỗi chỉ thị là một ô, mỗi nguồn một dòng, không ghi tên chỉ thị. Thêm một dòng {ORIGIN} vào ô img-src.",
				"Với iframe: thêm dòng {ORIGIN} vào ô frame-src.",
			},
			"wordpress/script": {
				"Chỉ người có quyền unfiltered_html dán được <script> và <iframe>: Quản trị viên và Biên tập viên trên trang đơn, Super Admin trên mạng nhiều trang; khi wp-config.php đặt DISALLOW_UNFILTERED_HTML thì không ai có.",
				"Khối “HTML tùy chỉnh” (Custom HTML) trong trình soạn thảo, hoặc Giao diện → Widget → “HTML tùy chỉnh”: dán đoạn mã, Cập nhật.",
				"Tác giả, Cộng tác viên (và mọi người khi có DISALLOW_UNFILTERED_HTML) bị WordPress lặng lẽ bỏ <script>, <noscript> và <iframe>: dùng đoạn mã 2.",
			},
			"wordpress/img": {
				"Dùng được với mọi vai trò: WordPress giữ liên kết và ảnh. Khối “HTML tùy chỉnh” hoặc widget “HTML tùy chỉnh”.",
				"Với giao diện khối (block theme), khung <div> của đoạn mã giữ mã QR trong cột nội dung; chọn Căn lề ở trên nếu muốn.",
			},
			"wordpress/iframe": {
				"Như đoạn mã 1: chỉ người có quyền unfiltered_html dán được <iframe>.",
			},
			"wordpress/csp": {
				"WordPress không tự gửi CSP. Nếu máy chủ web hoặc plugin bảo mật gửi, sửa ở đó: ghép chính sách bên dưới rồi dán nguyên.",
			},
			"joomla/script": {
				"Nội dung → Mô-đun site → Mới → “Custom”; bấm “Bật/tắt trình soạn thảo” (Toggle Editor), dán đoạn mã, chọn vị trí, Lưu.",
				"Joomla lọc <script> và <iframe> theo Hệ thống → Cấu hình chung → Bộ lọc văn bản; nhóm Super Users mặc định “Không lọc”. Nhóm khác: dùng đoạn mã 2.",
			},
			"joomla/img":    {"Như trên, trong một mô-đun “Custom”; mọi nhóm người dùng đều dán được."},
			"joomla/iframe": {"Như đoạn mã 1: <iframe> bị lọc trừ khi nhóm của bạn “Không lọc”."},
			"joomla/csp": {
				"Hệ thống → Plugin → “System - HTTP Headers”, thẻ Content Security Policy: thêm {ORIGIN} vào từng chỉ thị cần, hoặc ghép chính sách bên dưới.",
			},
			"other/script": {"Dán vào nơi muốn hiện mã QR, trong HTML của trang (không qua trình soạn thảo WYSIWYG)."},
			"other/img":    {"Dán vào bất kỳ ô HTML nào."},
			"other/iframe": {"Dán vào nơi chỉ cho phép iframe."},
			"other/csp":    {"Ghép chính sách bên dưới và đặt kết quả làm tiêu đề Content-Security-Policy của máy chủ web."},
		},
	},
	"en": {
		Lang: "en", Other: "vi", OtherName: "Tiếng Việt",
		Heading:     "Put the Zalo OA QR badge on your portal",
		Description: "Get the snippet that puts your agency's Zalo OA QR badge on your portal (NukeViet, WordPress, Joomla), with CSP steps and print posters for one-stop desks.",
		Lead:        "Choose your portal's CMS, a campaign, layout and size, then paste the first snippet into the homepage. When an admin changes the Zalo OA link, the QR code on every portal follows.",
		Empty:       "No campaigns yet.",
		CMSLegend:   "Which CMS does the portal run?",
		Campaign:    "Campaign", Layout: "Layout", Size: "Width", Theme: "Theme", Align: "Alignment", Apply: "Apply",
		Preview: "Preview", Target: "Target", Version: "version", Download: "Download", Print: "for print",
		Posters: "PDF posters for one-stop desks", Bleed: "with bleed for print shops",
		Tent: "Folded desk card (A4)", Stickers: "Sheet of 24 stickers (A4)", PrintForm: "Form",
		AgencyLine: "Agency line printed on the poster", Paper: "Paper", MakePoster: "Make the poster",
		Snippets: "Snippets to paste", SnippetsLead: "In the order that suits", Recommended: "Recommended",
		StepsLabel: "Steps", Copy: "Copy", Copied: "Copied",
		CSPHeading: "Content Security Policy",
		CSPLead:    "Only needed when the portal sends a Content-Security-Policy. Each form of the snippet needs exactly these directives opened to {ORIGIN}, keeping the sources already there:",
		CSPNeeds:   "Directives needed",
		CSPPolicy:  "Paste the portal's current policy (the Content-Security-Policy header's value)",
		CSPForm:    "For the snippet", CSPMerge: "Merge the policy", CSPMerged: "The merged policy, to paste whole",
		NoPolicy:      "An empty policy blocks nothing: nothing to add.",
		FollowHeading: "When an admin changes the link",
		Follow:        "New visitors see the new code at once; returning visitors within {N} minutes (how long browsers keep the badge image). Pasted snippets need no change.",
		LayoutNames:   map[string]string{"badge": "Code with caption", "qr": "Code only", "card": "Wide card"},
		ThemeNames:    map[string]string{"light": "Light", "dark": "Dark", "mono": "Black and white (print)", "auto": "Follow the visitor (script only)"},
		AlignNames:    map[string]string{"": "As the page does", "start": "Start", "center": "Centre", "end": "End"},
		CMSNames:      map[string]string{"nukeviet": "NukeViet", "wordpress": "WordPress", "joomla": "Joomla", "other": "Another CMS, or hand-written HTML"},
		Forms: map[string]formText{
			formScript: {"Image with the script", "A link around an image of known size, and a script (pinned with SRI) that upgrades it in place: the visitor's dark mode, a tap button on phones, immune to the page's CSS. Nothing on the page moves; without JavaScript it stays the image."},
			formImg:    {"HTML only: link and image", "No script: survives every HTML box and every user role."},
			formFrame:  {"Iframe", "For CMSs that only allow iframes. The frame is sandboxed: all it may do is open the link in a new tab."},
		},
		Steps: map[string][]string{
			"nukeviet/img": {
				"Admin → Giao diện (Themes) → Quản lý block (Blocks) → Thêm block (Add block); pick the HTML block (global.html) and a place, such as the homepage's right column.",
				"In the block's editor press “Mã HTML” (Source), paste the snippet, and save.",
			},
			"nukeviet/iframe": {
				"Cấu hình → Thiết lập an ninh → Tên miền tin cậy (trusted domains): add {HOST}, or NukeViet drops the iframe.",
				"Paste it into an HTML block as for snippet 1 (press “Mã HTML”).",
				"CKEditor rewrites an iframe's sandbox attribute: after saving, open “Mã HTML” again and set sandbox=\"allow-popups allow-popups-to-escape-sandbox\" back.",
			},
			"nukeviet/script": {
				"NukeViet removes every <script> from HTML blocks and articles (and unwraps <noscript>): there only the image stays. Use it only when editing the theme's files directly.",
			},
			"nukeviet/csp": {
				"NukeViet's CSP is under Cấu hình → Thiết lập tiêu đề HTTP → Thiết lập CSP, off by default; while it is off there is nothing to do.",
				"If it is on: one box per directive, one source per line, no directive names. Add one line {ORIGIN} to the img-src box.",
				"For the iframe: add the line {ORIGIN} to the frame-src box.",
			},
			"wordpress/script": {
				"Only users with unfiltered_html may paste <script> and <iframe>: Administrators and Editors on a single site, Super Admins on a multisite network; with DISALLOW_UNFILTERED_HTML in wp-config.php, nobody.",
				"A Custom HTML block in the editor, or Appearance → Widgets → Custom HTML: paste, then Update.",
				"Authors and Contributors (and everyone under DISALLOW_UNFILTERED_HTML) silently lose <script>, <noscript> and <iframe>: use snippet 2.",
			},
			"wordpress/img": {
				"Works for every role: WordPress keeps the link and the image. A Custom HTML block or widget.",
				"In block themes the snippet's <div> keeps the badge in the content column; pick an alignment above if you like.",
			},
			"wordpress/iframe": {"As for snippet 1: only users with unfiltered_html may paste an <iframe>."},
			"wordpress/csp": {
				"WordPress sends no CSP itself. If the web server or a security plugin does, change it there: merge the policy below and paste it whole.",
			},
			"joomla/script": {
				"Content → Site Modules → New → “Custom”; press Toggle Editor, paste, choose a position, Save.",
				"Joomla filters <script> and <iframe> by System → Global Configuration → Text Filters; Super Users default to “No Filtering”. Other groups: use snippet 2.",
			},
			"joomla/img":    {"As above, in a “Custom” module; every user group may paste it."},
			"joomla/iframe": {"As for snippet 1: <iframe> is filtered unless your group has “No Filtering”."},
			"joomla/csp": {
				"System → Plugins → “System - HTTP Headers”, Content Security Policy tab: add {ORIGIN} to each directive needed, or merge the policy below.",
			},
			"other/script": {"Paste it where the badge should appear, in the page's HTML (not through a WYSIWYG editor)."},
			"other/img":    {"Paste it into any HTML box."},
			"other/iframe": {"Paste it where only iframes are allowed."},
			"other/csp":    {"Merge the policy below and send the result as the web server's Content-Security-Policy header."},
		},
	},
}
