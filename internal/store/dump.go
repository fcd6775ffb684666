package store

import (
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/auth"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/embedscript"
)

// Dump is a whole store's content, row for row, with the ids and hashes
// kept, so the audit chain verifies after a copy.
type Dump struct {
	Emblems   []campaign.EmblemBlob
	Campaigns []campaign.Campaign
	Targets   []Target
	Proposals []campaign.Proposal
	Accounts  []auth.Account
	Tokens    []auth.Token
	Audit     []audit.Entry
	AuditHead struct {
		Seq  int64
		Hash string
	}
	Agencies []compliance.Agency
	Counts   []compliance.Count
	Checks   []compliance.Result
	// EmbedScripts are every embed script ever offered: a pinned
	// /embed/{name} URL must keep answering after a move to another store.
	EmbedScripts []embedscript.Script
}

// Target is one row of a campaign's target history.
type Target struct {
	Slug string
	campaign.Revision
}

// Sizes returns the row count of every table, to compare two stores.
func (d *Dump) Sizes() map[string]int {
	return map[string]int{
		"emblems": len(d.Emblems), "campaigns": len(d.Campaigns), "targets": len(d.Targets), "proposals": len(d.Proposals),
		"accounts": len(d.Accounts), "tokens": len(d.Tokens), "audit": len(d.Audit),
		"agencies": len(d.Agencies), "counts": len(d.Counts), "checks": len(d.Checks),
	}
}
