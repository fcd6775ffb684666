package badge

import "strings"

// phrase is a run of syllables a line never breaks inside. A type word
// (Sở, huyện, Ủy ban nhân dân, …) also holds on to the name after it.
type phrase struct {
	words    []string // lower case
	typeWord bool
}

// phraseList is the built-in list: the names and compounds that come back
// in every agency's title and caption. It is short on purpose; a campaign
// that needs another can join syllables with a no-break space (U+00A0).
// Both tone-mark placements of "Ủy/Uỷ" are listed, since both are in use.
var phraseList = []struct {
	text     string
	typeWord bool
}{
	// Agency and unit types, kept with the name that follows.
	{"Ủy ban nhân dân", true}, {"Uỷ ban nhân dân", true}, {"Hội đồng nhân dân", true},
	{"UBND", true}, {"HĐND", true}, {"Bộ", true}, {"Sở", true}, {"Cục", true},
	{"Chi cục", true}, {"Tổng cục", true}, {"Ban", true}, {"Viện", true},
	{"Phòng", true}, {"Trung tâm", true}, {"Văn phòng", true}, {"Trường", true},
	{"Bệnh viện", true}, {"Công an", true}, {"Bảo hiểm xã hội", true},
	{"tỉnh", true}, {"thành phố", true}, {"huyện", true}, {"quận", true},
	{"thị xã", true}, {"thị trấn", true}, {"xã", true}, {"phường", true},
	{"thôn", true}, {"ấp", true}, {"khu phố", true}, {"Đảng ủy", true}, {"Đảng uỷ", true},
	// Names and compounds of the notice itself.
	{"Bộ Nội vụ", false}, {"Bộ phận Một cửa", false}, {"Một cửa", false},
	{"Zalo OA", false}, {"mã QR", false}, {"theo dõi", false}, {"ứng dụng", false},
	{"hành chính công", false}, {"dịch vụ công", false}, {"nhân dân", false},
	{"Nội vụ", false}, {"Tư pháp", false}, {"Tài chính", false}, {"Giáo dục", false},
	{"Đào tạo", false}, {"Y tế", false}, {"Xây dựng", false}, {"Giao thông", false},
	{"vận tải", false}, {"Công thương", false}, {"Nông nghiệp", false}, {"Phát triển", false},
	{"nông thôn", false}, {"Tài nguyên", false}, {"Môi trường", false}, {"Văn hóa", false},
	{"Văn hoá", false}, {"Thể thao", false}, {"Du lịch", false}, {"Khoa học", false},
	{"Công nghệ", false}, {"Thông tin", false}, {"Truyền thông", false}, {"Lao động", false},
	{"Thương binh", false}, {"Xã hội", false}, {"Kế hoạch", false}, {"Đầu tư", false},
	{"Ngoại vụ", false}, {"Thanh tra", false}, {"Dân tộc", false}, {"Tôn giáo", false},
	{"Phục vụ", false}, {"Quân sự", false}, {"Chỉ huy", false}, {"Thi đua", false},
	{"Khen thưởng", false}, {"Trung ương", false}, {"Văn thư", false}, {"Lưu trữ", false},
	{"Đa khoa", false}, {"Trung học", false}, {"phổ thông", false}, {"chuyển đổi số", false},
	{"Cổng thông tin điện tử", false}, {"khu vực", false}, {"Hưng Yên", false}, {"Hà Nội", false},
}

var phrases = func() []phrase {
	out := make([]phrase, len(phraseList))
	for i, p := range phraseList {
		out[i] = phrase{words: strings.Fields(strings.ToLower(p.text)), typeWord: p.typeWord}
	}
	return out
}()

// functionWords begin a new phrase: a line may well start with one, and
// should not end with one.
var functionWords = map[string]bool{
	"và": true, "để": true, "của": true, "theo": true, "tại": true, "cho": true,
	"với": true, "trên": true, "thuộc": true, "hoặc": true, "trong": true,
	"từ": true, "đến": true, "về": true, "qua": true, "bằng": true, "hay": true,
	"các": true, "những": true, "là": true, "khi": true,
}
