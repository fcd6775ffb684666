package server

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/badge"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/chart"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/purge"
	"github.com/oabadge/oabadge/static"
)

// vietnam is the console's time zone: Indochina Time has no daylight
// saving, so a fixed zone needs no time zone database.
var vietnam = time.FixedZone("UTC+7", 7*3600)

var adminTmpl = template.Must(template.New("admin.html").Funcs(template.FuncMap{
	"join": strings.Join,
	"idList": func(ids *[]string) string {
		if ids == nil || len(*ids) == 0 {
			return "—"
		}
		return strings.Join(*ids, ", ")
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"themes":  func() []string { return []string{"light", "dark", "mono"} },
	"layouts": func() []string { return []string{"badge", "qr", "card"} },
	"fmtTime": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.In(vietnam).Format("2006-01-02 15:04:05")
		case *time.Time:
			if v != nil {
				return v.In(vietnam).Format("2006-01-02 15:04:05")
			}
		}
		return ""
	},
}).ParseFS(static.FS, "admin.html"))

// consoleText is the console's wording in one language.
type consoleText struct {
	Lang, Other, OtherName                                        string
	SignIn, SignOut, Name, Password, Campaigns, Approvals, Audit  string
	Accounts, Tokens, Campaign, Caption, Target, Version, QRMode  string
	Pinned, Rotate, NewTarget, ScheduleAt, Preview, Pending       string
	History, Kind, By, Approver, When, RollBack, Now, After       string
	ConfirmHelp, Confirm, Cancel, From, Status, Approve, Reject   string
	NoPending, NoCampaigns, Action, Subject, Since, Until, Filter string
	Before, TokenCreated, TokenOnce, Role, AddAccount, Account    string
	LastUsed, Revoked, Revoke, CreateToken                        string
	Applied, Proposed, Done                                       string
	Report, Of, AgenciesCompliant, KindLabel, Any, Register       string
	Agency, LastSeen2, Impr, Clicks, Checked, Unchecked           string
	NoAgencies, Unmatched, Site, ImportCSV, Import, CheckNow      string
	Homepage, Parent, Contact, Checks, Reason, FixToSend          string
	NeverChecked, Imported, CheckStarted                          string
	Posters, Poster, PlacementScans, Placement, Scans             string
	MyAccount, MustEnroll, SecondFactor, Code, CodeHelp           string
	ChangePassword, CurrentPassword, NewPassword, NewPassword2    string
	TOTPOn, TOTPOff, TOTPSetUp, TOTPScan, TOTPKey, TOTPConfirm    string
	TOTPRemove, RecoveryHelp, RecoveryLeft, Disable, Enable       string
	ResetPassword, EndSessions, Reset2FA, SetRole, PendingChanges string
	Disabled, AwaitsApproval, Actions, Continue                   string
	NewCampaign, CampaignTitle, Create, EditCampaign, Theme       string
	Layout, SaveChanges, EnableCampaign, DisableCampaign          string
	CheckInBrowser, InBrowser, Screenshot                         string
	Progress, Day, Compliant, NotCompliant, NotChecked, Agencies  string
	ByKind, Total, FollowUp, FollowUpHelp, FollowUpOf, DaysLabel  string
	ChartCompliant, ChartImpr, ChartClicks, Numbers, DaysN, Pages string
	// CompliantDesc and CountDesc describe the charts: days, first and
	// last day, then the values (see historyCharts).
	CompliantDesc, CountDesc string
	// ShortDay is how the charts' axis writes a day (a time layout).
	ShortDay                                                 string
	Emblem, EmblemFile, EmblemInCode, RemoveEmblem, NoEmblem string
	ProposedEmblem                                           string
	// FollowN says how fast portals follow a change; {N} is minutes.
	FollowN string
	// Caches heads the shared caches' state; CacheFailed warns that one
	// was not told of a change ({E} is the endpoint, {W} the error).
	Caches, CachesHelp, CacheEndpoint, CacheLastOK, CacheQueued string
	CacheFailures, CacheNever, CacheFailed, CacheAgain          string
	// CountedBehindCache says what impressions count behind a shared cache.
	CountedBehindCache string
}

var consoleTexts = map[string]consoleText{
	"vi": {
		Lang: "vi", Other: "en", OtherName: "English",
		SignIn: "Đăng nhập", SignOut: "Đăng xuất", Name: "Tên", Password: "Mật khẩu", Campaigns: "Chiến dịch",
		Approvals: "Chờ duyệt", Audit: "Nhật ký", Accounts: "Tài khoản", Tokens: "Mã API", Campaign: "Chiến dịch",
		Caption: "Chú thích", Target: "Đích", Version: "Phiên bản", QRMode: "Mã QR chứa", Pinned: "OA được phép",
		Rotate: "Đổi đích", NewTarget: "Đường dẫn Zalo OA mới", ScheduleAt: "Hẹn giờ (UTC+7)", Preview: "Xem trước",
		Pending: "Đề xuất đang chờ", History: "Lịch sử", Kind: "Loại", By: "Người thực hiện", Approver: "Người duyệt",
		When: "Thời điểm (UTC+7)", RollBack: "Quay lại bản này", Now: "Hiện tại", After: "Sau khi đổi",
		ConfirmHelp: "Kiểm tra mã QR mới bằng ứng dụng Zalo trước khi xác nhận: mọi cổng thông tin sẽ hiển thị mã này.",
		Confirm:     "Xác nhận đổi", Cancel: "Huỷ", From: "từ", Status: "Trạng thái", Approve: "Duyệt", Reject: "Từ chối",
		NoPending: "Không có đề xuất nào đang chờ.", NoCampaigns: "Chưa có chiến dịch nào.", Action: "Hành động",
		Subject: "Đối tượng", Since: "Từ ngày", Until: "Đến ngày", Filter: "Lọc", Before: "Trước", TokenCreated: "Đã tạo mã API",
		TokenOnce: "Sao chép mã này ngay: nó chỉ hiện một lần.", Role: "Vai trò", AddAccount: "Thêm tài khoản",
		Account: "Tài khoản", LastUsed: "Dùng lần cuối", Revoked: "Đã thu hồi", Revoke: "Thu hồi", CreateToken: "Tạo mã API",
		Applied: "Đã đổi đích: mọi huy hiệu đã cập nhật.", Proposed: "Đã gửi đề xuất; cần một quản trị viên khác duyệt hoặc chờ đến giờ hẹn.",
		Done:   "Đã xong.",
		Report: "Tuân thủ", Of: "trên", AgenciesCompliant: "cơ quan, đơn vị đã gắn mã", KindLabel: "Loại cơ quan", Any: "Tất cả",
		Register: "Danh sách cơ quan", Agency: "Cơ quan, đơn vị", LastSeen2: "Thấy lần cuối", Impr: "Lượt hiển thị", Clicks: "Lượt bấm",
		Checked: "Kiểm tra lúc (UTC+7)", Unchecked: "chưa kiểm tra", NoAgencies: "Chưa có cơ quan nào: nhập danh sách CSV.",
		Unmatched: "Trang web chưa có trong danh sách", Site: "Trang web", ImportCSV: "Nhập danh sách (CSV: name,kind,homepage)",
		Import: "Nhập", CheckNow: "Kiểm tra ngay", Homepage: "Trang chủ", Parent: "Trực thuộc", Contact: "Liên hệ",
		Checks: "Các lần kiểm tra", Reason: "Lý do", FixToSend: "Cách khắc phục (gửi cho quản trị trang)", NeverChecked: "Chưa kiểm tra lần nào.",
		Imported: "Đã nhập danh sách.", CheckStarted: "Đã bắt đầu kiểm tra; tải lại trang sau ít phút.",
		Posters: "Áp phích PDF", Poster: "Áp phích A5", PlacementScans: "Lượt quét mã in theo vị trí", Placement: "Mã vị trí", Scans: "Lượt quét",
		MyAccount: "Tài khoản của tôi", MustEnroll: "Máy chủ này yêu cầu quản trị viên bật xác thực hai lớp: hãy thiết lập ngay bên dưới.",
		SecondFactor: "Xác thực hai lớp", Code: "Mã xác thực", CodeHelp: "6 chữ số trong ứng dụng xác thực (hoặc một mã khôi phục)",
		ChangePassword: "Đổi mật khẩu", CurrentPassword: "Mật khẩu hiện tại", NewPassword: "Mật khẩu mới", NewPassword2: "Nhập lại mật khẩu mới",
		TOTPOn: "Đang bật", TOTPOff: "Chưa bật", TOTPSetUp: "Thiết lập", TOTPScan: "Quét mã này bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…), rồi nhập mã 6 chữ số nó hiện ra.",
		TOTPKey: "Hoặc nhập khóa này", TOTPConfirm: "Xác nhận", TOTPRemove: "Tắt xác thực hai lớp",
		RecoveryHelp: "Cất các mã khôi phục này ở nơi an toàn: mỗi mã dùng được một lần khi mất điện thoại. Chúng chỉ hiện một lần.",
		RecoveryLeft: "mã khôi phục còn lại", Disable: "Khóa", Enable: "Mở khóa", ResetPassword: "Đặt lại mật khẩu", EndSessions: "Đăng xuất mọi nơi, thu hồi mã API",
		Reset2FA: "Gỡ xác thực hai lớp", SetRole: "Đổi vai trò", PendingChanges: "Thay đổi tài khoản chờ duyệt", Disabled: "đã khóa",
		AwaitsApproval: "chờ quản trị viên khác duyệt", Actions: "Thao tác", Continue: "Tiếp tục",
		NewCampaign: "Chiến dịch mới", CampaignTitle: "Tiêu đề", Create: "Tạo", EditCampaign: "Sửa chiến dịch", Theme: "Màu", Layout: "Kiểu",
		SaveChanges: "Lưu thay đổi", EnableCampaign: "Hiển thị lại chiến dịch", DisableCampaign: "Ngừng hiển thị chiến dịch",
		CheckInBrowser: "Kiểm tra bằng trình duyệt (chụp và quét mã)", InBrowser: "đã xem bằng trình duyệt", Screenshot: "Ảnh chụp mã trên trang",
		Progress: "Tiến độ", Day: "Ngày", Compliant: "Đạt", NotCompliant: "Chưa đạt", NotChecked: "Chưa kiểm tra", Agencies: "Số cơ quan",
		ByKind: "Theo loại cơ quan", Total: "Tổng", FollowUp: "Danh sách cần nhắc", FollowUpOf: "Danh sách cần nhắc:",
		FollowUpHelp: "Các cơ quan, đơn vị chưa đạt, kèm trang chủ, đầu mối liên hệ, lý do và cách khắc phục: để gửi công văn đôn đốc.",
		DaysLabel:    "Số ngày", ChartCompliant: "Số cơ quan, đơn vị đạt theo ngày", ChartImpr: "Lượt hiển thị mỗi ngày",
		ChartClicks: "Lượt bấm và lượt quét mỗi ngày", Numbers: "Số liệu từng ngày", DaysN: "%d ngày", Pages: "Các trang của danh sách",
		CompliantDesc: "%d ngày, từ %s đến %s: từ %d lên %d trên %d cơ quan, đơn vị; cao nhất %d.",
		CountDesc:     "%d ngày, từ %s đến %s: tổng %d, cao nhất %d một ngày, hôm nay %d.",
		ShortDay:      "2/1",
		Emblem:        "Biểu trưng", EmblemFile: "Tải biểu trưng mới (PNG hoặc SVG, tối đa 512 KiB)", EmblemInCode: "Đặt biểu trưng vào giữa mã QR",
		RemoveEmblem: "Bỏ biểu trưng", NoEmblem: "Chưa có biểu trưng.", ProposedEmblem: "Biểu trưng trong đề xuất",
		FollowN: "Sau khi đổi: khách mới thấy mã mới ngay; khách quay lại thấy trong vòng {N} phút (thời gian trình duyệt giữ ảnh). Mã đã in ở chế độ chuyển hướng cũng theo ngay.",
		Caches:  "Bộ đệm dùng chung", CachesHelp: "Mỗi thay đổi được báo cho các bộ đệm này để chúng bỏ ảnh cũ ngay.",
		CacheEndpoint: "Địa chỉ", CacheLastOK: "Lần báo thành công gần nhất", CacheQueued: "Đang chờ gửi",
		CacheFailures: "Lần thất bại", CacheNever: "chưa có",
		CacheFailed:        "Chưa báo được cho bộ đệm {E}: {W}. Bộ đệm này có thể vẫn phát ảnh cũ đến hết thời hạn lưu; hãy kiểm tra nó rồi bấm “Báo lại” ở trang Chiến dịch.",
		CacheAgain:         "Báo lại cho mọi bộ đệm",
		CountedBehindCache: "Phần lớn lượt tải ảnh mã do bộ đệm dùng chung trả lời, nên số lượt hiển thị ở đây chỉ tính các lượt đến được máy chủ này (lượt bấm và lượt quét vẫn đủ). Mỗi cổng vẫn được ghi nhận ít nhất mỗi ngày một lần, vì bộ đệm giữ bản riêng cho từng trang gắn mã; kết quả kiểm tra trang chủ cho biết ai đang gắn mã.",
	},
	"en": {
		Lang: "en", Other: "vi", OtherName: "Tiếng Việt",
		SignIn: "Sign in", SignOut: "Sign out", Name: "Name", Password: "Password", Campaigns: "Campaigns",
		Approvals: "Approvals", Audit: "Audit log", Accounts: "Accounts", Tokens: "API tokens", Campaign: "Campaign",
		Caption: "Caption", Target: "Target", Version: "Version", QRMode: "QR encodes", Pinned: "Pinned OA ids",
		Rotate: "Change the target", NewTarget: "New Zalo OA link", ScheduleAt: "Schedule (UTC+7)", Preview: "Preview",
		Pending: "Pending proposals", History: "History", Kind: "Kind", By: "By", Approver: "Approver",
		When: "When (UTC+7)", RollBack: "Roll back to this", Now: "Now", After: "After the change",
		ConfirmHelp: "Scan the new code with the Zalo app before confirming: every portal will show it.",
		Confirm:     "Confirm the change", Cancel: "Cancel", From: "from", Status: "Status", Approve: "Approve", Reject: "Reject",
		NoPending: "Nothing waits for approval.", NoCampaigns: "No campaigns yet.", Action: "Action",
		Subject: "Subject", Since: "Since", Until: "Until", Filter: "Filter", Before: "Before", TokenCreated: "API token created",
		TokenOnce: "Copy it now: it is shown only once.", Role: "Role", AddAccount: "Add account",
		Account: "Account", LastUsed: "Last used", Revoked: "Revoked", Revoke: "Revoke", CreateToken: "Create token",
		Applied: "Target changed: every badge follows.", Proposed: "Proposed; it waits for another admin's approval or for its time.",
		Done:   "Done.",
		Report: "Compliance", Of: "of", AgenciesCompliant: "agencies show the badge", KindLabel: "Kind", Any: "Any",
		Register: "Register", Agency: "Agency", LastSeen2: "Last seen", Impr: "Impressions", Clicks: "Clicks",
		Checked: "Checked (UTC+7)", Unchecked: "not checked", NoAgencies: "No agencies yet: import a CSV register.",
		Unmatched: "Sites not in the register", Site: "Site", ImportCSV: "Import a register (CSV: name,kind,homepage)",
		Import: "Import", CheckNow: "Check now", Homepage: "Homepage", Parent: "Parent", Contact: "Contact",
		Checks: "Checks", Reason: "Reason", FixToSend: "Fix to send to the webmaster", NeverChecked: "Never checked.",
		Imported: "Register imported.", CheckStarted: "The check started; reload in a few minutes.",
		Posters: "PDF posters", Poster: "A5 poster", PlacementScans: "Scans of printed codes by placement", Placement: "Placement", Scans: "Scans",
		MyAccount: "My account", MustEnroll: "This server requires admins to use a second factor: set it up below.",
		SecondFactor: "Second factor", Code: "Code", CodeHelp: "the 6 digits of your authenticator app (or a recovery code)",
		ChangePassword: "Change password", CurrentPassword: "Current password", NewPassword: "New password", NewPassword2: "New password again",
		TOTPOn: "On", TOTPOff: "Off", TOTPSetUp: "Set up", TOTPScan: "Scan this code with an authenticator app (Google Authenticator, Microsoft Authenticator…), then enter the 6-digit code it shows.",
		TOTPKey: "Or enter this key", TOTPConfirm: "Confirm", TOTPRemove: "Turn the second factor off",
		RecoveryHelp: "Keep these recovery codes somewhere safe: each works once if the phone is lost. They are shown only this once.",
		RecoveryLeft: "recovery codes left", Disable: "Disable", Enable: "Enable", ResetPassword: "Reset password", EndSessions: "Sign out everywhere, revoke API tokens",
		Reset2FA: "Remove second factor", SetRole: "Change role", PendingChanges: "Account changes awaiting approval", Disabled: "disabled",
		AwaitsApproval: "awaits another admin's approval", Actions: "Actions", Continue: "Continue",
		NewCampaign: "New campaign", CampaignTitle: "Title", Create: "Create", EditCampaign: "Edit the campaign", Theme: "Theme", Layout: "Layout",
		SaveChanges: "Save changes", EnableCampaign: "Serve the campaign again", DisableCampaign: "Stop serving the campaign",
		CheckInBrowser: "Check in a browser (screenshot and scan)", InBrowser: "seen in a browser", Screenshot: "Screenshot of the badge on the page",
		Progress: "Progress", Day: "Day", Compliant: "Compliant", NotCompliant: "Not compliant", NotChecked: "Not checked", Agencies: "Agencies",
		ByKind: "By kind", Total: "Total", FollowUp: "Follow-up list", FollowUpOf: "Follow-up list:",
		FollowUpHelp: "The agencies not compliant yet, with homepage, contact, reason and the fix to send: for the follow-up dispatch.",
		DaysLabel:    "Days", ChartCompliant: "Compliant agencies per day", ChartImpr: "Impressions per day",
		ChartClicks: "Clicks and scans per day", Numbers: "The numbers, day by day", DaysN: "%d days", Pages: "Pages of the list",
		CompliantDesc: "%d days, %s to %s: from %d to %d of %d agencies; at most %d.",
		CountDesc:     "%d days, %s to %s: %d in all, at most %d a day, %d today.",
		ShortDay:      "Jan 2",
		Emblem:        "Emblem", EmblemFile: "Upload a new emblem (PNG or SVG, at most 512 KiB)", EmblemInCode: "Put the emblem in the centre of the QR code",
		RemoveEmblem: "Remove the emblem", NoEmblem: "No emblem yet.", ProposedEmblem: "Emblem in a proposal",
		FollowN: "After the change: new visitors see the new code at once; returning visitors within {N} minutes (how long browsers keep the image). Printed codes in redirect mode follow at once too.",
		Caches:  "Shared caches", CachesHelp: "Every change is sent to these caches so they drop the old images at once.",
		CacheEndpoint: "Endpoint", CacheLastOK: "Last told", CacheQueued: "Waiting",
		CacheFailures: "Failures", CacheNever: "never",
		CacheFailed:        "The shared cache {E} was not told of a change: {W}. It may serve the old image until its lifetime ends; check it, then use “Tell them again” on the Campaigns page.",
		CacheAgain:         "Tell them again",
		CountedBehindCache: "A shared cache answers most badge image requests, so impressions here count only those that reached this server (clicks and scans are all counted). Each portal is still seen at least once a day, since the cache keeps a copy per site that shows the badge; the homepage checks say who shows it.",
	},
}

const langCookie = "oabadge_lang"

// consoleLang picks the console's language: ?lang= (remembered in a
// cookie), else the cookie, else Vietnamese.
func (s *Server) consoleLang(c echo.Context) consoleText {
	if l := c.QueryParam("lang"); l != "" {
		if t, ok := consoleTexts[l]; ok {
			c.SetCookie(&http.Cookie{Name: langCookie, Value: l, Path: "/admin", SameSite: http.SameSiteStrictMode, HttpOnly: true,
				Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), MaxAge: 365 * 24 * 3600})
			return t
		}
	}
	if ck, err := c.Cookie(langCookie); err == nil {
		if t, ok := consoleTexts[ck.Value]; ok {
			return t
		}
	}
	return consoleTexts["vi"]
}

// consoleData is what every console page gets.
type consoleData struct {
	T       consoleText
	Title   string
	Who     auth.Principal
	IsAdmin bool
	CanEdit bool
	Pending int
	Error   string
	Notice  string

	Campaigns     []campaign.Campaign
	Campaign      campaign.Campaign
	History       []campaign.Revision
	Proposals     []campaign.Proposal
	Entries       []audit.Entry
	Filter        audit.Filter
	Since         string
	Until         string
	Query         template.URL // the page's filters as a query string (url.Values.Encode), for its CSV link
	Accounts      []auth.Account
	Tokens        []auth.Token
	NewToken      string
	Next          string
	Report        compliance.Report
	Progress      compliance.History
	Charts        []chartView // the report's charts
	DayOptions    []option
	FollowUpQuery template.URL // the follow-up list's query: campaign and kind
	Rows          []compliance.Row
	Page          pageInfo
	PrevPage      string // the report's previous and next pages' URLs, or ""
	NextPage      string
	Agency        compliance.Agency
	Results       []compliance.Result
	KindOptions   []option
	StatusOptions []option
	KindNames     map[compliance.Kind]string
	StatusNames   map[string]string
	Target        string
	Version       int64
	At            string
	PreviewURL    string
	Me            auth.Account
	TOTPSecret    string
	RecoveryCodes []string
	Caches        []purge.Status // the shared caches told of changes
	BehindCache   bool           // a shared cache answers most badge requests
}

func (s *Server) consoleRoutes() {
	s.handle(http.MethodGet, "/admin/login", s.consoleLoginPage)
	s.handle(http.MethodPost, "/admin/login", s.consoleLogin)
	s.handle(http.MethodPost, "/admin/logout", s.console(s.consoleLogout))
	s.handle(http.MethodGet, "/admin", s.console(s.consoleCampaigns))
	s.handle(http.MethodGet, "/admin/c/:slug", s.console(s.consoleCampaign))
	s.handle(http.MethodPost, "/admin/c/:slug/preview", s.console(s.limited(s.costly, "previews", s.consolePreview)))
	s.handle(http.MethodGet, "/admin/c/:slug/preview.svg", s.console(s.limited(s.costly, "previews", s.consolePreviewImage)))
	s.handle(http.MethodPost, "/admin/c/:slug/rotate", s.console(s.consoleRotate))
	s.handle(http.MethodPost, "/admin/caches/purge", s.console(s.consolePurgeCaches))
	s.handle(http.MethodPost, "/admin/c/:slug/rollback", s.console(s.consoleRollback))
	s.handle(http.MethodPost, "/admin/campaigns", s.console(s.consoleCreate))
	s.handle(http.MethodPost, "/admin/c/:slug/edit", withForm(s.console(s.consoleEdit)))
	s.handle(http.MethodGet, "/admin/emblems/:file", s.console(s.storedEmblem))
	s.handle(http.MethodPost, "/admin/c/:slug/disable", s.console(s.consoleSetDisabled(true)))
	s.handle(http.MethodPost, "/admin/c/:slug/enable", s.console(s.consoleSetDisabled(false)))
	s.handle(http.MethodGet, "/admin/approvals", s.console(s.consoleApprovals))
	s.handle(http.MethodPost, "/admin/proposals/:id/approve", s.console(s.consoleApprove))
	s.handle(http.MethodPost, "/admin/proposals/:id/reject", s.console(s.consoleReject))
	s.handle(http.MethodGet, "/admin/audit", s.console(s.consoleAudit))
	s.handle(http.MethodGet, "/admin/report", s.console(s.consoleReport))
	s.handle(http.MethodGet, "/admin/agencies/:id", s.console(s.consoleAgency))
	s.handle(http.MethodPost, "/admin/agencies", s.console(s.consoleImport))
	s.handle(http.MethodPost, "/admin/checks", s.console(s.consoleCheck))
	s.handle(http.MethodPost, "/admin/agencies/:id/check", s.console(s.consoleCheckAgency))
	s.handle(http.MethodGet, "/admin/screenshots/:name", s.console(s.consoleScreenshot))
	s.handle(http.MethodGet, "/admin/accounts", s.console(s.consoleAccounts))
	s.handle(http.MethodPost, "/admin/accounts", s.console(s.consoleAddAccount))
	s.handle(http.MethodPost, "/admin/tokens", s.console(s.consoleCreateToken))
	s.handle(http.MethodPost, "/admin/tokens/:id/revoke", s.console(s.consoleRevokeToken))
}

// withForm parses a form that may carry a file before h reads it (and
// before the sign-in check reads its CSRF field), so a body over the
// route's limit is answered 413, not taken for a form without a token.
func withForm(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := c.Request().ParseMultipartForm(maxEmblemForm)
		switch {
		case err == nil, errors.Is(err, http.ErrNotMultipart):
		case apperr.KindOf(err) == apperr.TooLarge:
			return err
		default:
			return apperr.BadRequestf("the form cannot be read: %v", err)
		}
		return h(c)
	}
}

// console wraps a page handler: a visitor who is not signed in is sent to
// the sign-in page; an error the handler returns (a role the caller lacks,
// a campaign that does not exist) is shown as a page with its status.
// Pages are gzipped for clients that accept it.
func (s *Server) console(h echo.HandlerFunc) echo.HandlerFunc {
	return s.gzipped(func(c echo.Context) error {
		who, err := s.authenticate(c)
		if apperr.KindOf(err) == apperr.Unauthorized && c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if err == nil && who.MustEnroll && !enrollmentPath(c.Path()) && c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/admin/account")
		}
		if err == nil {
			c.Set(callerKey, who)
			err = h(c)
		}
		if err == nil || apperr.KindOf(err) == apperr.Internal || c.Response().Committed {
			return err
		}
		code, msg, _ := describe(err)
		if d := apperr.RetryAfterOf(err); d > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		}
		d := s.consoleBase(c, "oabadge")
		d.Error = msg
		return s.render(c, code, "campaigns", d)
	})
}

func (s *Server) consoleBase(c echo.Context, title string) consoleData {
	who := caller(c)
	d := consoleData{T: s.consoleLang(c), Title: title, Who: who.Principal, IsAdmin: who.Role.Allows(auth.Admin), CanEdit: who.Role.Allows(auth.Editor)}
	if who.Account != "" {
		if ps, err := s.campaigns.Open(c.Request().Context(), ""); err == nil {
			d.Pending = len(ps)
		}
	}
	switch q := c.QueryParam("ok"); q {
	case "applied":
		d.Notice = d.T.Applied
	case "proposed":
		d.Notice = d.T.Proposed
	case "done":
		d.Notice = d.T.Done
	case "imported":
		d.Notice = d.T.Imported
	case "checking":
		d.Notice = d.T.CheckStarted
	}
	if e := c.QueryParam("err"); e != "" {
		if r := []rune(e); len(r) > 300 {
			e = string(r[:300])
		}
		d.Error = e
	}
	if who.Account != "" && d.Error == "" {
		// A shared cache that was not told of a change serves the old
		// badge: every signed-in page says so until one succeeds.
		for _, st := range s.purge.Status() {
			if st.LastError != "" {
				d.Error = strings.NewReplacer("{E}", st.Endpoint, "{W}", st.LastError).Replace(d.T.CacheFailed)
				break
			}
		}
	}
	return d
}

func (s *Server) render(c echo.Context, code int, name string, d consoleData) error {
	var b bytes.Buffer
	if err := adminTmpl.ExecuteTemplate(&b, name, d); err != nil {
		return err
	}
	setPageHeaders(c)
	c.Response().Header()["Cache-Control"] = valNoStore
	return c.HTMLBlob(code, b.Bytes())
}

// back redirects to path with an outcome the page shows: ok=… or err=….
// A failure that is not the caller's (internal) is returned instead.
func back(c echo.Context, path string, err error, ok string) error {
	q := url.Values{}
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			return err
		}
		q.Set("err", apperr.Message(err))
	} else {
		q.Set("ok", ok)
	}
	return c.Redirect(http.StatusSeeOther, path+"?"+q.Encode())
}

func (s *Server) consoleLoginPage(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.SignIn
	d.Next = safeNext(c.QueryParam("next"))
	return s.render(c, http.StatusOK, "login", d)
}

// safeNext keeps the after-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	return next
}

func (s *Server) consoleLogin(c echo.Context) error {
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	secret, ss, err := s.auth.SignIn(c.Request().Context(), c.FormValue("name"), c.FormValue("password"), c.FormValue("code"), c.RealIP())
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			return err
		}
		code, msg, _ := describe(err)
		if d := apperr.RetryAfterOf(err); d > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(d.Seconds())+1))
		}
		d := s.consoleBase(c, "")
		d.Title, d.Error, d.Next = d.T.SignIn, msg, safeNext(c.FormValue("next"))
		return s.render(c, code, "login", d)
	}
	s.setSessionCookie(c, secret, ss.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

func (s *Server) consoleLogout(c echo.Context) error {
	_ = s.auth.SignOut(c.Request().Context(), sessionSecret(c))
	s.setSessionCookie(c, "", time.Time{})
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// consolePurgeCaches tells every shared cache again to drop every
// campaign's responses.
func (s *Server) consolePurgeCaches(c echo.Context) error {
	return back(c, "/admin", s.campaigns.InvalidateCaches(c.Request().Context(), caller(c)), "done")
}

func (s *Server) consoleCampaigns(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.Campaigns
	var err error
	if d.Campaigns, err = s.campaigns.All(c.Request().Context()); err != nil {
		return err
	}
	if d.Who.Account != "" {
		d.Caches = s.purge.Status()
	}
	return s.render(c, http.StatusOK, "campaigns", d)
}

func (s *Server) consoleCampaign(c echo.Context) error {
	ctx := c.Request().Context()
	x, err := s.campaigns.Get(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	d := s.consoleBase(c, x.Title)
	d.Campaign = x
	if d.History, err = s.campaigns.History(ctx, x.Slug); err != nil {
		return err
	}
	if d.Proposals, err = s.campaigns.Open(ctx, x.Slug); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "campaign", d)
}

// formTime reads a datetime-local value in Vietnam time; "" is none.
func formTime(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, vietnam)
	if err != nil {
		return nil, apperr.BadRequestf("the schedule must be a date and time")
	}
	return &t, nil
}

func formVersion(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.FormValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, apperr.BadRequestf("the form lost the campaign's version: reload the page")
	}
	return n, nil
}

// consolePreview shows the badge as it would be with the new target,
// beside the current one, with a button to confirm.
func (s *Server) consolePreview(c echo.Context) error {
	slug := c.Param("slug")
	version, err := formVersion(c, "version")
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	if _, err := formTime(c.FormValue("at")); err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	x, target, err := s.campaigns.CheckRotation(c.Request().Context(), slug, c.FormValue("target"), caller(c))
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	d := s.consoleBase(c, x.Title)
	d.Campaign, d.Target, d.Version, d.At = x, target, version, c.FormValue("at")
	d.PreviewURL = "/admin/c/" + slug + "/preview.svg?" + url.Values{"target": {target}}.Encode()
	d.Notice = strings.ReplaceAll(d.T.FollowN, "{N}", strconv.Itoa(s.followMinutes()))
	return s.render(c, http.StatusOK, "preview", d)
}

func (s *Server) consolePreviewImage(c echo.Context) error {
	body, _, err := s.campaigns.Preview(c.Request().Context(), c.Param("slug"), c.QueryParam("target"), func(theme, layout string) (badge.Variant, error) {
		return badge.DefaultVariant(badge.SVG), nil
	}, caller(c))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Content-Security-Policy"] = valImageCSP
	h["Cache-Control"] = valNoStore
	return c.Blob(http.StatusOK, valSVGType[0], body)
}

func (s *Server) consoleRotate(c echo.Context) error {
	slug := c.Param("slug")
	version, err := formVersion(c, "version")
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	at, err := formTime(c.FormValue("at"))
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	who, err := s.fresh(c)
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	_, prop, err := s.campaigns.RequestRotation(c.Request().Context(),
		campaign.Request{Slug: slug, Target: c.FormValue("target"), Expect: version, RunAt: at}, who)
	return s.consoleRotated(c, slug, prop, err)
}

func (s *Server) consoleRollback(c echo.Context) error {
	slug := c.Param("slug")
	version, err := formVersion(c, "version")
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	to, err := formVersion(c, "to")
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	who, err := s.fresh(c)
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	_, prop, err := s.campaigns.Rollback(c.Request().Context(), slug, to, version, nil, who)
	return s.consoleRotated(c, slug, prop, err)
}

// formIDs reads a list of OA ids typed with commas or spaces.
func formIDs(v string) []string {
	return append([]string{}, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' })...)
}

func (s *Server) consoleCreate(c echo.Context) error {
	who, err := s.fresh(c)
	if err != nil {
		return back(c, "/admin", err, "")
	}
	x := campaign.Campaign{Slug: c.FormValue("slug"), Title: c.FormValue("title"), Caption: c.FormValue("caption"),
		Target: c.FormValue("target"), OAIDs: formIDs(c.FormValue("oa_ids"))}
	_, prop, err := s.campaigns.Create(c.Request().Context(), x, who)
	switch {
	case err != nil:
		return back(c, "/admin", err, "")
	case prop != nil:
		return back(c, "/admin", nil, "proposed")
	}
	return back(c, "/admin/c/"+x.Slug, nil, "done")
}

func (s *Server) consoleEdit(c echo.Context) error {
	slug := c.Param("slug")
	version, err := formVersion(c, "version")
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	who, err := s.fresh(c)
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	title, caption, theme, layout := c.FormValue("title"), c.FormValue("caption"), c.FormValue("theme"), c.FormValue("layout")
	mode, ids := campaign.QRMode(c.FormValue("qr_mode")), formIDs(c.FormValue("oa_ids"))
	u := campaign.Update{Title: &title, Caption: &caption, QRMode: &mode, OAIDs: &ids, Theme: &theme, Layout: &layout}
	if c.FormValue("emblem_form") != "" { // the form has the emblem's fields
		inCode := c.FormValue("emblem_in_code") != ""
		u.EmblemInCode = &inCode
		if c.FormValue("remove_emblem") != "" {
			none := ""
			u.Emblem = &none
		}
	}
	file, err := formEmblem(c)
	if err != nil {
		return back(c, "/admin/c/"+slug, err, "")
	}
	if file != nil && u.Emblem != nil {
		return back(c, "/admin/c/"+slug, apperr.BadRequestf("choose a new emblem or remove it, not both"), "")
	}
	if file != nil {
		if err := s.costly.allow(c.RealIP(), "emblem uploads"); err != nil {
			return back(c, "/admin/c/"+slug, err, "")
		}
	}
	_, prop, err := s.campaigns.UpdateWithEmblem(c.Request().Context(), slug, u, file, version, who)
	return s.consoleRotated(c, slug, prop, err)
}

// formEmblem reads the emblem file of the campaign form, or nil when none
// was chosen.
func formEmblem(c echo.Context) ([]byte, error) {
	fh, err := c.FormFile("emblem")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0 && fh.Filename == "") {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.BadRequestf("the emblem file cannot be read: %v", err)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte more than allowed, so badge.NewEmblem can say it is too large.
	return io.ReadAll(io.LimitReader(f, badge.MaxEmblemBytes+1))
}

func (s *Server) consoleSetDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		slug := c.Param("slug")
		version, err := formVersion(c, "version")
		if err != nil {
			return back(c, "/admin/c/"+slug, err, "")
		}
		who, err := s.fresh(c)
		if err != nil {
			return back(c, "/admin/c/"+slug, err, "")
		}
		_, prop, err := s.campaigns.SetDisabled(c.Request().Context(), slug, disabled, version, who)
		return s.consoleRotated(c, slug, prop, err)
	}
}

func (s *Server) consoleRotated(c echo.Context, slug string, prop *campaign.Proposal, err error) error {
	switch {
	case err != nil:
		return back(c, "/admin/c/"+slug, err, "")
	case prop != nil:
		return back(c, "/admin/c/"+slug, nil, "proposed")
	}
	return back(c, "/admin/c/"+slug, nil, "applied")
}

func (s *Server) consoleApprovals(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.Approvals
	var err error
	if d.Proposals, err = s.campaigns.Open(c.Request().Context(), ""); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "approvals", d)
}

func (s *Server) consoleApprove(c echo.Context) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	who, err := s.fresh(c)
	if err != nil {
		return back(c, "/admin/approvals", err, "")
	}
	p, err := s.campaigns.Approve(c.Request().Context(), id, who)
	if err != nil {
		return back(c, "/admin/approvals", err, "")
	}
	if p.Status == campaign.Applied {
		return back(c, "/admin/c/"+p.Slug, nil, "applied")
	}
	return back(c, "/admin/approvals", nil, "done")
}

func (s *Server) consoleReject(c echo.Context) error {
	id, err := proposalID(c)
	if err != nil {
		return err
	}
	_, err = s.campaigns.Reject(c.Request().Context(), id, c.FormValue("reason"), caller(c))
	return back(c, "/admin/approvals", err, "done")
}

// consoleAuditLimit is how many entries the audit page shows at most.
const consoleAuditLimit = 500

func (s *Server) consoleAudit(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.Audit
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = consoleAuditLimit
	}
	if !f.Until.IsZero() && len(c.QueryParam("until")) == 10 {
		f.Until = f.Until.AddDate(0, 0, 1) // a date means the whole day
	}
	if d.Entries, err = s.audit.AuditEntries(c.Request().Context(), f); err != nil {
		return err
	}
	d.Filter, d.Since, d.Until = f, c.QueryParam("since"), c.QueryParam("until")
	q := c.QueryParams()
	q.Del("lang")
	d.Query = template.URL(q.Encode())
	return s.render(c, http.StatusOK, "audit", d)
}

func (s *Server) consoleAccounts(c echo.Context) error {
	d := s.consoleBase(c, "")
	d.Title = d.T.Accounts
	if err := s.accountsPage(c, &d); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "accounts", d)
}

// accountsPage fills the accounts page's lists.
func (s *Server) accountsPage(c echo.Context, d *consoleData) error {
	ctx := c.Request().Context()
	var err error
	if d.Accounts, err = s.auth.Accounts(ctx, caller(c)); err != nil {
		return err
	}
	d.Tokens, err = s.auth.Tokens(ctx, caller(c))
	return err
}

func (s *Server) consoleAddAccount(c echo.Context) error {
	_, err := s.auth.CreateAccount(c.Request().Context(), c.FormValue("name"), c.FormValue("role"), c.FormValue("password"), caller(c))
	return back(c, "/admin/accounts", err, "done")
}

// consoleCreateToken shows the new token once, on the page that answers
// the form; it is never stored or shown again.
func (s *Server) consoleCreateToken(c echo.Context) error {
	_, secret, err := s.auth.CreateToken(c.Request().Context(), c.FormValue("name"), c.FormValue("role"), c.FormValue("account"), caller(c))
	if err != nil {
		if caller(c).Role.Allows(auth.Admin) {
			return back(c, "/admin/accounts", err, "")
		}
		return back(c, "/admin/account", err, "")
	}
	d := s.consoleBase(c, "")
	d.Title, d.NewToken = d.T.Accounts, secret
	if !d.IsAdmin {
		d.Title = d.T.MyAccount
		if d.Me, err = s.auth.Me(c.Request().Context(), caller(c)); err != nil {
			return err
		}
		return s.render(c, http.StatusCreated, "account", d)
	}
	if err := s.accountsPage(c, &d); err != nil {
		return err
	}
	return s.render(c, http.StatusCreated, "accounts", d)
}

func (s *Server) consoleRevokeToken(c echo.Context) error {
	err := s.auth.RevokeToken(c.Request().Context(), c.Param("id"), caller(c))
	return back(c, "/admin/accounts", err, "done")
}

var statusNames = map[string]map[string]string{
	"vi": {compliance.Embedded: "đã gắn", compliance.Missing: "chưa gắn", compliance.Blocked: "bị CSP chặn",
		compliance.Broken: "gắn nhưng hỏng", compliance.Refused: "địa chỉ không công khai",
		compliance.Unreachable: "không truy cập được", compliance.HTTPError: "lỗi HTTP",
		"compliant": "đạt", "noncompliant": "chưa đạt", "unchecked": "chưa kiểm tra"},
	"en": {compliance.Embedded: "embedded", compliance.Missing: "missing", compliance.Blocked: "blocked by CSP",
		compliance.Broken: "embedded but broken", compliance.Refused: "not a public address",
		compliance.Unreachable: "unreachable", compliance.HTTPError: "HTTP error",
		"compliant": "compliant", "noncompliant": "not compliant", "unchecked": "not checked"},
}

func (s *Server) complianceBase(c echo.Context, title string) consoleData {
	d := s.consoleBase(c, title)
	d.KindNames, d.StatusNames = compliance.KindLabels[d.T.Lang], statusNames[d.T.Lang]
	return d
}

func (s *Server) consoleReport(c echo.Context) error {
	d := s.complianceBase(c, "")
	d.Title = d.T.Report
	d.BehindCache = s.purge.Enabled()
	f := reportFilter(c)
	page, err := pageParams(c)
	if err != nil {
		return err
	}
	hf, err := historyFilter(c)
	if err != nil {
		return err
	}
	if d.Report, d.Rows, err = s.compliance.Report(c.Request().Context(), f); err != nil {
		return err
	}
	hf.Campaign = d.Report.Campaign
	if d.Progress, err = s.compliance.History(c.Request().Context(), hf); err != nil {
		return err
	}
	if d.Charts, err = historyCharts(d.T, d.Progress); err != nil {
		return err
	}
	for _, n := range []int{7, compliance.DefaultHistoryDays, 90} {
		d.DayOptions = append(d.DayOptions, option{strconv.Itoa(n), fmt.Sprintf(d.T.DaysN, n), n == len(d.Progress.Days)})
	}
	fq := url.Values{"campaign": {d.Report.Campaign}}
	if f.Kind != "" {
		fq.Set("kind", string(f.Kind))
	}
	d.FollowUpQuery = template.URL(fq.Encode())
	d.Rows, d.Page = paginate(d.Rows, page)
	d.Campaigns = s.campaigns.List()
	for _, k := range compliance.Kinds {
		d.KindOptions = append(d.KindOptions, option{string(k), d.KindNames[k], k == f.Kind})
	}
	for _, st := range compliance.ReportStatuses {
		d.StatusOptions = append(d.StatusOptions, option{st, d.StatusNames[st], st == f.Status})
	}
	q := c.QueryParams()
	q.Del("lang")
	q.Del("ok")
	q.Del("err")
	q.Del("page")
	d.Query = template.URL(q.Encode())
	link := func(n int) string {
		q.Set("page", strconv.Itoa(n))
		return "/admin/report?" + q.Encode()
	}
	if d.Page.Page > 1 {
		d.PrevPage = link(min(d.Page.Page, d.Page.Pages+1) - 1)
	}
	if d.Page.Page < d.Page.Pages {
		d.NextPage = link(d.Page.Page + 1)
	}
	return s.render(c, http.StatusOK, "report", d)
}

func (s *Server) consoleAgency(c echo.Context) error {
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	a, rs, err := s.compliance.Agency(c.Request().Context(), id, agencyChecks)
	if err != nil {
		return err
	}
	d := s.complianceBase(c, a.Name)
	d.Agency, d.Results = a, rs
	return s.render(c, http.StatusOK, "agency", d)
}

func (s *Server) consoleImport(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return back(c, "/admin/report", apperr.BadRequestf("choose a CSV file to import"), "")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = s.compliance.Import(c.Request().Context(), f, caller(c))
	return back(c, "/admin/report", err, "imported")
}

// consoleCheckAgency checks one agency now, in Chromium when asked.
func (s *Server) consoleCheckAgency(c echo.Context) error {
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	path := "/admin/agencies/" + c.Param("id")
	_, err = s.compliance.CheckAgency(c.Request().Context(), id, c.FormValue("render") != "", caller(c))
	return back(c, path, err, "done")
}

// consoleScreenshot serves a render check's screenshot to the console.
func (s *Server) consoleScreenshot(c echo.Context) error {
	p, err := s.compliance.Screenshot(c.Param("name"))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h["Cache-Control"] = valNoStore
	h["Content-Security-Policy"] = valImageCSP
	return c.File(p)
}

func (s *Server) consoleCheck(c echo.Context) error {
	return back(c, "/admin/report", s.compliance.StartCheck(caller(c)), "checking")
}

// Chart colours: each has at least 3:1 contrast against the console's
// cards in the light theme (#fff) and the dark one (#111827).
const (
	colorCompliant   = "#1f8a4c" // 4.4:1 and 4.1:1
	colorImpressions = "#2b7bd6" // 4.3:1 and 4.2:1
	colorClicks      = "#d9480f" // 4.3:1 and 4.1:1
)

// historyCharts draws the report's charts from h, in t's language: the
// compliant agencies per day (on a scale up to the register's size), and
// the impressions and the clicks per day.
func historyCharts(t consoleText, h compliance.History) ([]chartView, error) {
	n := len(h.Days)
	if n == 0 {
		return nil, nil
	}
	labels, short := make([]string, n), make([]string, n)
	compliant, impr, clicks := make([]int64, n), make([]int64, n), make([]int64, n)
	var maxC, maxI, maxK, sumI, sumK int64
	for i, d := range h.Days {
		labels[i] = d.Day
		short[i] = d.Day
		if day, err := time.Parse("2006-01-02", d.Day); err == nil {
			short[i] = day.Format(t.ShortDay)
		}
		compliant[i], impr[i], clicks[i] = int64(d.Compliant), d.Impressions, d.Clicks
		maxC, maxI, maxK = max(maxC, compliant[i]), max(maxI, impr[i]), max(maxK, clicks[i])
		sumI, sumK = sumI+impr[i], sumK+clicks[i]
	}
	first, last := h.Days[0].Day, h.Days[n-1].Day
	charts := []chart.Chart{
		{ID: "chart-compliant", Title: t.ChartCompliant, Kind: chart.Line, Color: colorCompliant, Values: compliant, Max: int64(h.Agencies),
			Desc: fmt.Sprintf(t.CompliantDesc, n, first, last, compliant[0], compliant[n-1], h.Agencies, maxC)},
		{ID: "chart-impressions", Title: t.ChartImpr, Kind: chart.Bars, Color: colorImpressions, Values: impr,
			Desc: fmt.Sprintf(t.CountDesc, n, first, last, sumI, maxI, impr[n-1])},
		{ID: "chart-clicks", Title: t.ChartClicks, Kind: chart.Bars, Color: colorClicks, Values: clicks,
			Desc: fmt.Sprintf(t.CountDesc, n, first, last, sumK, maxK, clicks[n-1])},
	}
	out := make([]chartView, len(charts))
	for i, c := range charts {
		c.Labels, c.Short = labels, short
		svg, err := c.SVG()
		if err != nil {
			return nil, err
		}
		out[i] = chartView{Title: c.Title, Desc: c.Desc, SVG: template.HTML(svg)} // drawn by package chart, which escapes every text
	}
	return out, nil
}

// chartView is one chart of a console page: its caption, shown to the
// eye (the SVG carries the same title and description for assistive
// technology), and the inline SVG.
type chartView struct {
	Title, Desc string
	SVG         template.HTML
}
