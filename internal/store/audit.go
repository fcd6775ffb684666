package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
)

// CampaignState is what the audit trail records of a campaign, the same
// in every store so their entries compare.
func CampaignState(c campaign.Campaign) map[string]any {
	return map[string]any{"title": c.Title, "caption": c.Caption, "target": c.Target, "version": c.Version,
		"qr_mode": c.QRMode, "oa_ids": c.OAIDs, "theme": c.Theme, "layout": c.Layout, "disabled": c.Disabled,
		"emblem": c.Emblem, "emblem_in_code": c.EmblemInCode}
}

// EmblemState is what the audit trail records of an uploaded emblem: its
// id, size and the SHA-256 of its bytes, not the bytes.
func EmblemState(b campaign.EmblemBlob) map[string]any {
	sum := sha256.Sum256(b.PNG)
	return map[string]any{"id": b.ID, "bytes": len(b.PNG), "sha256": hex.EncodeToString(sum[:])}
}

// AccountState is what the audit trail records of an account: never a
// secret (password hash, second-factor secret, recovery codes).
func AccountState(a auth.Account) map[string]any {
	v := map[string]any{"role": a.Role, "disabled": a.Disabled, "second_factor": a.TOTPEnabled}
	if a.TOTPEnabled {
		v["recovery_codes_left"] = len(a.Recovery)
	}
	if a.PendingRole != "" {
		v["pending_role"], v["pending_by"] = a.PendingRole, a.PendingBy
	}
	return v
}

// ProposalState is what the audit trail records of a proposal.
func ProposalState(p campaign.Proposal) map[string]any {
	v := map[string]any{"id": p.ID, "target": p.Target, "kind": p.Kind, "base_version": p.BaseVersion, "status": p.Status}
	if !p.Fields.Empty() {
		v["fields"] = p.Fields
	}
	if p.RunAt != nil {
		v["run_at"] = p.RunAt.UTC()
	}
	if p.Reason != "" {
		v["reason"] = p.Reason
	}
	return v
}

// FieldsColumn is how a proposal's fields are stored: JSON.
func FieldsColumn(u campaign.Update) (string, error) {
	b, err := json.Marshal(u)
	return string(b), err
}

// ParseFields reads a FieldsColumn value.
func ParseFields(s string) (campaign.Update, error) {
	var u campaign.Update
	if s == "" {
		return u, nil
	}
	err := json.Unmarshal([]byte(s), &u)
	return u, err
}

// resultDetails are the parts of a check's result kept as JSON.
type resultDetails struct {
	FixWhere   string                   `json:"fix_where,omitempty"`
	Boxes      []compliance.NukeVietBox `json:"boxes,omitempty"`
	Findings   []compliance.Finding     `json:"findings,omitempty"`
	CMS        compliance.CMS           `json:"cms,omitempty"`
	Rendered   bool                     `json:"rendered,omitempty"`
	Screenshot string                   `json:"screenshot,omitempty"`
}

// DetailsColumn is how the details of a check's verdict are stored: JSON.
func DetailsColumn(r compliance.Result) string {
	b, _ := json.Marshal(resultDetails{r.FixWhere, r.Boxes, r.Findings, r.CMS, r.Rendered, r.Screenshot})
	return string(b)
}

// ParseDetails reads a DetailsColumn value into r.
func ParseDetails(s string, r *compliance.Result) error {
	var d resultDetails
	if s != "" {
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return err
		}
	}
	r.FixWhere, r.Boxes, r.Findings, r.CMS, r.Rendered, r.Screenshot = d.FixWhere, d.Boxes, d.Findings, d.CMS, d.Rendered, d.Screenshot
	return nil
}

// FormsColumn is how a check's embed forms are stored: comma-separated.
func FormsColumn(fs []compliance.Form) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// ParseForms reads a FormsColumn value.
func ParseForms(s string) []compliance.Form {
	if s == "" {
		return nil
	}
	var out []compliance.Form
	for _, f := range strings.Split(s, ",") {
		out = append(out, compliance.Form(f))
	}
	return out
}
