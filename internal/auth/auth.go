// Package auth holds oabadge's accounts, roles, password hashing, API
// tokens, sessions and the login limiter. It knows nothing of HTTP or of
// any database; stores implement its Store interface.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
)

// Role is what an account or token may do. Roles are ordered: each can do
// everything the ones before it can.
type Role string

// The roles.
const (
	// Viewer reads campaigns, history, reports and the audit log.
	Viewer Role = "viewer"
	// Editor also creates and edits campaigns and proposes rotations.
	Editor Role = "editor"
	// Admin also approves rotations and manages accounts and tokens.
	Admin Role = "admin"
)

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Editor, Admin:
		return r, nil
	}
	return "", apperr.Invalidf("role %q: use viewer, editor or admin", s)
}

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Editor:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Allows reports whether r includes want.
func (r Role) Allows(want Role) bool { return r.rank() >= want.rank() && want.rank() > 0 }

// Account is a person who signs in to the console or owns tokens.
type Account struct {
	ID           int64
	Name         string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	Disabled     bool
	// TOTPSecret is the base32 secret of the account's authenticator app;
	// while TOTPEnabled is false it is an enrollment not yet confirmed.
	TOTPSecret  string
	TOTPEnabled bool
	// TOTPStep is the last time step whose code was accepted, so a code
	// cannot be used twice.
	TOTPStep int64
	// Recovery holds the SHA-256 hashes of the unused recovery codes.
	Recovery []string
	// PendingRole, when set, is a role that waits for a second admin's
	// approval (PendingBy asked for it): a new admin account, disabled
	// until then, or a raise of an existing account's role.
	PendingRole Role
	PendingBy   string
	// PendingCreate says the account itself waits for that approval.
	PendingCreate bool
}

// Token is an API token: a named, revocable secret with its own role,
// no higher than its owner's. Only a hash of the secret is stored.
type Token struct {
	ID         string
	Name       string
	Account    string
	Role       Role
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Session is a signed-in console session. Only a hash of its id is stored.
type Session struct {
	IDHash    string
	Account   string
	Role      Role
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Principal is who a request acts as, after authentication.
type Principal struct {
	Account string
	Role    Role
	Via     string // "session", "token:ID", "cli" or "system"
	CSRF    string // the session's CSRF token; empty for tokens
	// TOTP says the account has a second factor enrolled; Fresh, that
	// this request proved it with a current code (see Service.StepUp).
	TOTP, Fresh bool
	// MustEnroll says the account must enroll a second factor before it
	// may do anything (an admin under --require-2fa).
	MustEnroll bool
}

// Operator reports whether p is an operator at the command line or the
// system itself (the scheduler, the demo), who act with the database in
// hand: no rule of the services could stop them, so none is pretended.
func (p Principal) Operator() bool { return p.Via == "cli" || p.Via == "system" }

// Actor returns p as an audit actor seen from ip with user agent ua.
// A change made with an API token records the token beside the role
// ("editor via token:1a2b3c4d5e6f"): the actor is always the person who
// owns it, since tokens are minted for one's own account only.
func (p Principal) Actor(ip, ua string) audit.Actor {
	role := string(p.Role)
	if strings.HasPrefix(p.Via, "token:") {
		role += " via " + p.Via
	}
	return audit.Actor{Name: p.Account, Role: role, IP: ip, UserAgent: ua}
}

// Store keeps accounts, tokens and sessions. Changes to accounts and tokens
// are audited in the same transaction.
type Store interface {
	CreateAccount(ctx context.Context, a Account, by audit.Actor) error
	Account(ctx context.Context, name string) (Account, error)
	Accounts(ctx context.Context) ([]Account, error)
	// UpdateAccount reads account name, lets change modify it (an error
	// from change aborts, writing nothing), and stores every field but
	// its id, name and creation time, audited as action.
	UpdateAccount(ctx context.Context, name, action string, at time.Time, change func(*Account) error, by audit.Actor) (Account, error)
	// EndSessions deletes every session of account name but the one whose
	// hash is except, and revokes every token of it when tokens is set,
	// audited in one entry. It returns how many of each it ended.
	EndSessions(ctx context.Context, name, except string, tokens bool, at time.Time, by audit.Actor) (sessions, revoked int, err error)
	CreateToken(ctx context.Context, t Token, by audit.Actor) error
	TokenByID(ctx context.Context, id string) (Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time, by audit.Actor) error
	TouchToken(ctx context.Context, id string, at time.Time) error
	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, idHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, idHash string) error
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// CheckName reports whether s can name an account or a token.
func CheckName(s string) error {
	if !nameRE.MatchString(s) {
		return apperr.Invalidf("name %q: use 1 to 63 lower-case letters, digits, dots, hyphens and underscores", s)
	}
	return nil
}

// MinPassword is the shortest password accepted.
const MinPassword = 12

// argon2id parameters, per RFC 9106's second recommended option (64 MiB,
// 3 passes): memory-hard, so a stolen database does not give up passwords
// to GPU guessing, and still about 50 ms per login on one core.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash of pw with a random salt.
func HashPassword(pw string) (string, error) {
	if len([]rune(pw)) < MinPassword {
		return "", apperr.Invalidf("password is shorter than %d characters", MinPassword)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash, in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<22 || t > 16 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// TokenPrefix starts every API token, so leaked tokens are easy to find.
const TokenPrefix = "oab_"

// NewToken returns a new token's id, the secret to show once, and the hash
// to store. The secret is 256 random bits, so a fast hash suffices.
func NewToken() (id, secret, hash string, err error) {
	b := make([]byte, 6+32)
	if _, err := rand.Read(b); err != nil {
		return "", "", "", err
	}
	id = hex.EncodeToString(b[:6])
	secret = TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(b[6:])
	return id, secret, HashSecret(secret), nil
}

// ParseToken returns the id inside a token string.
func ParseToken(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 12 {
		return "", errors.New("malformed token")
	}
	return id, nil
}

// HashSecret hashes a high-entropy secret (a token or session id) for storage.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// SameHash compares two stored hashes in constant time.
func SameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// RandomString returns n random bytes, base64url-encoded.
func RandomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewAccount checks name, role and password and returns the account to
// store, with the password hashed.
func NewAccount(name, role, password string, now time.Time) (Account, error) {
	if err := CheckName(name); err != nil {
		return Account{}, err
	}
	r, err := ParseRole(role)
	if err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	return Account{Name: name, Role: r, PasswordHash: hash, CreatedAt: now}, nil
}

// NewAPIToken returns a token named name for owner with role (no higher
// than the owner's), and the secret to show once.
func NewAPIToken(name, role string, owner Account, now time.Time) (Token, string, error) {
	if err := CheckName(name); err != nil {
		return Token{}, "", err
	}
	r, err := ParseRole(role)
	if err != nil {
		return Token{}, "", err
	}
	if !owner.Role.Allows(r) {
		return Token{}, "", apperr.Invalidf("account %q is %s; its tokens cannot be %s", owner.Name, owner.Role, r)
	}
	id, secret, hash, err := NewToken()
	if err != nil {
		return Token{}, "", err
	}
	return Token{ID: id, Name: name, Account: owner.Name, Role: r, SecretHash: hash, CreatedAt: now}, secret, nil
}
