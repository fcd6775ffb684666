package sqlite

import (
	"context"
	"database/sql"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store"
)

var _ store.Store = (*Store)(nil)

// Dump implements store.Store, reading everything in one transaction.
func (s *Store) Dump(ctx context.Context) (*store.Dump, error) {
	d := &store.Dump{}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, classify(err)
	}
	defer tx.Rollback()
	each := func(q string, fn func(scanner) error) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	steps := []func() error{
		func() error {
			return each("SELECT id, png, created_at FROM emblems ORDER BY id", func(r scanner) error {
				var b campaign.EmblemBlob
				var at string
				if err := r.Scan(&b.ID, &b.PNG, &at); err != nil {
					return err
				}
				var err error
				b.CreatedAt, err = parseTime(at)
				d.Emblems = append(d.Emblems, b)
				return err
			})
		},
		func() error {
			return each("SELECT "+campaignColumns+" FROM campaigns ORDER BY id", func(r scanner) error {
				c, err := scanCampaign(r)
				d.Campaigns = append(d.Campaigns, c)
				return err
			})
		},
		func() error {
			return each(`SELECT c.slug, t.version, t.target, t.kind, t.actor, t.approver, t.created_at
				FROM targets t JOIN campaigns c ON c.id = t.campaign_id ORDER BY c.id, t.version`, func(r scanner) error {
				var t store.Target
				var at string
				if err := r.Scan(&t.Slug, &t.Version, &t.Target, &t.Kind, &t.Actor, &t.Approver, &at); err != nil {
					return err
				}
				var err error
				t.CreatedAt, err = parseTime(at)
				d.Targets = append(d.Targets, t)
				return err
			})
		},
		func() error {
			return each("SELECT "+proposalColumns+" FROM proposals ORDER BY id", func(r scanner) error {
				p, err := scanProposal(r)
				d.Proposals = append(d.Proposals, p)
				return err
			})
		},
		func() error {
			return each("SELECT "+accountColumns+" FROM accounts ORDER BY id", func(r scanner) error {
				a, err := scanAccount(r)
				d.Accounts = append(d.Accounts, a)
				return err
			})
		},
		func() error {
			return each("SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.created_at", func(r scanner) error {
				t, err := scanToken(r)
				d.Tokens = append(d.Tokens, t)
				return err
			})
		},
		func() error {
			return each("SELECT "+auditColumns+" FROM audit ORDER BY seq", func(r scanner) error {
				e, err := scanAudit(r)
				d.Audit = append(d.Audit, e)
				return err
			})
		},
		func() error {
			return tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&d.AuditHead.Seq, &d.AuditHead.Hash)
		},
		func() error {
			return each("SELECT "+agencyColumns+" FROM agencies ORDER BY id", func(r scanner) error {
				a, err := scanAgency(r)
				d.Agencies = append(d.Agencies, a)
				return err
			})
		},
		func() error {
			return each("SELECT campaign, site, day, event, n FROM counts ORDER BY day, campaign, site, event", func(r scanner) error {
				var c compliance.Count
				var ev string
				if err := r.Scan(&c.Campaign, &c.Site, &c.Day, &ev, &c.N); err != nil {
					return err
				}
				c.Event, _ = compliance.ParseEvent(ev)
				d.Counts = append(d.Counts, c)
				return nil
			})
		},
		func() error {
			return each("SELECT "+resultColumns+" FROM checks k JOIN agencies a ON a.id = k.agency_id ORDER BY k.id", func(r scanner) error {
				x, err := scanResult(r)
				d.Checks = append(d.Checks, x)
				return err
			})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, classify(err)
		}
	}
	scripts, err := s.EmbedScripts(ctx)
	d.EmbedScripts = scripts
	return d, err
}

// Load implements store.Store.
func (s *Store) Load(ctx context.Context, d *store.Dump, replace bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		tables := []string{"checks", "counts", "agencies", "sessions", "tokens", "accounts", "proposals", "targets", "campaigns", "emblems"}
		var n, audits int
		for _, t := range tables {
			var c int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&c); err != nil {
				return err
			}
			n += c
		}
		// A new store's trail holds its seal entry only: that is empty.
		var sealOnly bool
		if err := tx.QueryRowContext(ctx, "SELECT count(*), coalesce(min(action = ?), 1) FROM audit", audit.SealAction).Scan(&audits, &sealOnly); err != nil {
			return err
		}
		if !sealOnly {
			n += audits
		}
		if n > 0 && !replace {
			return apperr.Conflictf("the target store is not empty (%d rows); pass --force to replace its content", n)
		}
		if n+audits > 0 {
			for _, stmt := range []string{"DROP TRIGGER IF EXISTS audit_no_delete"} {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			for _, t := range append(tables, "audit") {
				if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"); err != nil {
				return err
			}
		}
		for _, b := range d.Emblems {
			if _, err := tx.ExecContext(ctx, "INSERT INTO emblems (id, png, created_at) VALUES (?, ?, ?)", b.ID, b.PNG, formatTime(b.CreatedAt)); err != nil {
				return err
			}
		}
		for _, c := range d.Campaigns {
			if _, err := tx.ExecContext(ctx, "INSERT INTO campaigns ("+campaignColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				campaignValues(c)...); err != nil {
				return err
			}
		}
		for _, t := range d.Targets {
			if _, err := tx.ExecContext(ctx, `INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
				SELECT id, ?, ?, ?, ?, ?, ? FROM campaigns WHERE slug = ?`, t.Version, t.Target, t.Actor, formatTime(t.CreatedAt), t.Kind, t.Approver, t.Slug); err != nil {
				return err
			}
		}
		for _, p := range d.Proposals {
			change, err := store.FieldsColumn(p.Fields)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO proposals (id, slug, target, kind, change, base_version, proposer, proposer_role, run_at, status, approver, reason, created_at, decided_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.Slug, p.Target, p.Kind, change, p.BaseVersion, p.Proposer, p.ProposerRole, nullTime(p.RunAt), p.Status, p.Approver, p.Reason, formatTime(p.CreatedAt), nullTime(p.DecidedAt)); err != nil {
				return err
			}
		}
		for _, a := range d.Accounts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO accounts ("+accountColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				append([]any{a.ID, a.Name}, accountValues(a)...)...); err != nil {
				return err
			}
		}
		for _, t := range d.Tokens {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, name, account_id, role, secret_hash, created_at, revoked_at, last_used_at)
				SELECT ?, ?, id, ?, ?, ?, ?, ? FROM accounts WHERE name = ?`,
				t.ID, t.Name, string(t.Role), t.SecretHash, formatTime(t.CreatedAt), nullTime(t.RevokedAt), nullTime(t.LastUsedAt), t.Account); err != nil {
				return err
			}
		}
		for _, e := range d.Audit {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", d.AuditHead.Seq, d.AuditHead.Hash); err != nil {
			return err
		}
		for _, a := range d.Agencies {
			if _, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, key, name, kind, homepage, host, parent, contact, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.ID, compliance.Key(a.Name), a.Name, string(a.Kind), a.Homepage, a.Host(), a.Parent, a.Contact, formatTime(a.CreatedAt), formatTime(a.UpdatedAt)); err != nil {
				return err
			}
		}
		for _, c := range d.Counts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO counts (campaign, site, day, event, n) VALUES (?, ?, ?, ?, ?)", c.Campaign, c.Site, c.Day, c.Event.String(), c.N); err != nil {
				return err
			}
		}
		for _, r := range d.Checks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO checks (agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at, details)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.AgencyID, r.Campaign, r.Status, r.Reason, r.Fix, store.FormsColumn(r.Forms), r.FinalURL, r.HTTP, formatTime(r.CheckedAt), store.DetailsColumn(r)); err != nil {
				return err
			}
		}
		for _, sc := range d.EmbedScripts {
			if _, err := tx.ExecContext(ctx, "INSERT INTO embed_scripts (name, body, integrity, first_offered) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
				sc.Name, sc.Body, sc.Integrity, formatTime(sc.FirstOffered)); err != nil {
				return err
			}
		}
		return changed(ctx, tx, "*")
	})
}
