package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
	"github.com/oabadge/oabadge/internal/campaign"
	"github.com/oabadge/oabadge/internal/compliance"
	"github.com/oabadge/oabadge/internal/store"
)

// Dump implements store.Store, in one repeatable-read snapshot.
func (s *Store) Dump(ctx context.Context) (*store.Dump, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, classify(err)
	}
	defer tx.Rollback(ctx)
	d := &store.Dump{}
	each := func(q string, fn func(pgx.Row) error) error {
		rows, err := tx.Query(ctx, q)
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
			return each("SELECT id, png, created_at FROM emblems ORDER BY id", func(r pgx.Row) error {
				var b campaign.EmblemBlob
				err := r.Scan(&b.ID, &b.PNG, &b.CreatedAt)
				b.CreatedAt = utc(b.CreatedAt)
				d.Emblems = append(d.Emblems, b)
				return err
			})
		},
		func() error {
			return each("SELECT "+campaignColumns+" FROM campaigns ORDER BY id", func(r pgx.Row) error {
				c, err := scanCampaign(r)
				d.Campaigns = append(d.Campaigns, c)
				return err
			})
		},
		func() error {
			return each(`SELECT c.slug, t.version, t.target, t.kind, t.actor, t.approver, t.created_at
				FROM targets t JOIN campaigns c ON c.id = t.campaign_id ORDER BY c.id, t.version`, func(r pgx.Row) error {
				var t store.Target
				err := r.Scan(&t.Slug, &t.Version, &t.Target, &t.Kind, &t.Actor, &t.Approver, &t.CreatedAt)
				t.CreatedAt = utc(t.CreatedAt)
				d.Targets = append(d.Targets, t)
				return err
			})
		},
		func() error {
			return each("SELECT "+proposalColumns+" FROM proposals ORDER BY id", func(r pgx.Row) error {
				p, err := scanProposal(r)
				d.Proposals = append(d.Proposals, p)
				return err
			})
		},
		func() error {
			return each("SELECT "+accountColumns+" FROM accounts ORDER BY id", func(r pgx.Row) error {
				a, err := scanAccount(r)
				d.Accounts = append(d.Accounts, a)
				return err
			})
		},
		func() error {
			return each("SELECT "+tokenColumns+" FROM tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.created_at", func(r pgx.Row) error {
				t, err := scanToken(r)
				d.Tokens = append(d.Tokens, t)
				return err
			})
		},
		func() error {
			return each("SELECT "+auditColumns+" FROM audit ORDER BY seq", func(r pgx.Row) error {
				e, err := scanAudit(r)
				d.Audit = append(d.Audit, e)
				return err
			})
		},
		func() error {
			return tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&d.AuditHead.Seq, &d.AuditHead.Hash)
		},
		func() error {
			return each("SELECT "+agencyColumns+" FROM agencies ORDER BY id", func(r pgx.Row) error {
				a, err := scanAgency(r)
				d.Agencies = append(d.Agencies, a)
				return err
			})
		},
		func() error {
			return each("SELECT campaign, site, day, event, n FROM counts ORDER BY day, campaign, site, event", func(r pgx.Row) error {
				var c compliance.Count
				var ev string
				err := r.Scan(&c.Campaign, &c.Site, &c.Day, &ev, &c.N)
				c.Event, _ = compliance.ParseEvent(ev)
				d.Counts = append(d.Counts, c)
				return err
			})
		},
		func() error {
			return each("SELECT "+resultColumns+" FROM checks k JOIN agencies a ON a.id = k.agency_id ORDER BY k.id", func(r pgx.Row) error {
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
	return s.tx(ctx, func(tx pgx.Tx) error {
		var n int64
		// A new store's trail holds its seal entry only: that is empty.
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM campaigns) + (SELECT count(*) FROM accounts) + (SELECT count(*) FROM audit WHERE action <> $1)
			+ (SELECT count(*) FROM agencies) + (SELECT count(*) FROM counts) + (SELECT count(*) FROM emblems)`, audit.SealAction).Scan(&n); err != nil {
			return err
		}
		if n > 0 && !replace {
			return apperr.Conflictf("the target store is not empty (%d rows); pass --force to replace its content", n)
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE audit DISABLE TRIGGER audit_no_change;
			TRUNCATE checks, counts, agencies, sessions, tokens, accounts, proposals, targets, campaigns, emblems, audit RESTART IDENTITY CASCADE;
			ALTER TABLE audit ENABLE TRIGGER audit_no_change`); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, e := range d.Emblems {
			b.Queue("INSERT INTO emblems (id, png, created_at) VALUES ($1, $2, $3)", e.ID, e.PNG, e.CreatedAt)
		}
		for _, c := range d.Campaigns {
			b.Queue("INSERT INTO campaigns ("+campaignColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
				campaignValues(c)...)
		}
		for _, t := range d.Targets {
			b.Queue(`INSERT INTO targets (campaign_id, version, target, actor, created_at, kind, approver)
				SELECT id, $1, $2, $3, $4, $5, $6 FROM campaigns WHERE slug = $7`, t.Version, t.Target, t.Actor, t.CreatedAt, t.Kind, t.Approver, t.Slug)
		}
		for _, p := range d.Proposals {
			change, err := store.FieldsColumn(p.Fields)
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO proposals (id, slug, target, kind, change, base_version, proposer, proposer_role, run_at, status, approver, reason, created_at, decided_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
				p.ID, p.Slug, p.Target, p.Kind, change, p.BaseVersion, p.Proposer, p.ProposerRole, p.RunAt, p.Status, p.Approver, p.Reason, p.CreatedAt, p.DecidedAt)
		}
		for _, a := range d.Accounts {
			b.Queue("INSERT INTO accounts ("+accountColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
				append([]any{a.ID, a.Name}, accountValues(a)...)...)
		}
		for _, t := range d.Tokens {
			b.Queue(`INSERT INTO tokens (id, name, account_id, role, secret_hash, created_at, revoked_at, last_used_at)
				SELECT $1, $2, id, $3, $4, $5, $6, $7 FROM accounts WHERE name = $8`,
				t.ID, t.Name, string(t.Role), t.SecretHash, t.CreatedAt, t.RevokedAt, t.LastUsedAt, t.Account)
		}
		for _, e := range d.Audit {
			b.Queue(insertAudit, auditArgs(e)...)
		}
		b.Queue("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", d.AuditHead.Seq, d.AuditHead.Hash)
		for _, a := range d.Agencies {
			b.Queue(`INSERT INTO agencies (id, key, name, kind, homepage, host, parent, contact, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				a.ID, compliance.Key(a.Name), a.Name, string(a.Kind), a.Homepage, a.Host(), a.Parent, a.Contact, a.CreatedAt, a.UpdatedAt)
		}
		for _, c := range d.Counts {
			b.Queue("INSERT INTO counts (campaign, site, day, event, n) VALUES ($1, $2, $3, $4, $5)", c.Campaign, c.Site, c.Day, c.Event.String(), c.N)
		}
		for _, r := range d.Checks {
			b.Queue(`INSERT INTO checks (agency_id, campaign, status, reason, fix, forms, final_url, http_status, checked_at, details)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, r.AgencyID, r.Campaign, r.Status, r.Reason, r.Fix, store.FormsColumn(r.Forms), r.FinalURL, r.HTTP, r.CheckedAt, store.DetailsColumn(r))
		}
		for _, sc := range d.EmbedScripts {
			b.Queue("INSERT INTO embed_scripts (name, body, integrity, first_offered) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
				sc.Name, sc.Body, sc.Integrity, sc.FirstOffered)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		// Serial columns continue after the copied ids.
		for _, t := range []string{"campaigns", "proposals", "accounts", "agencies", "checks"} {
			if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), coalesce((SELECT max(id) FROM "+t+"), 0) + 1, false)"); err != nil {
				return err
			}
		}
		return notify(ctx, tx, "*")
	})
}
