package auth

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/oabadge/oabadge/internal/apperr"
	"github.com/oabadge/oabadge/internal/audit"
)

// Caller is who asks a service for something: the authenticated principal
// and where the request came from, for the audit trail.
type Caller struct {
	Principal
	IP, UserAgent string
}

// Actor returns the caller as the audit trail records it.
func (c Caller) Actor() audit.Actor { return c.Principal.Actor(c.IP, c.UserAgent) }

// Require returns a Forbidden error unless the caller has at least role r.
func (c Caller) Require(r Role) error {
	if !c.Role.Allows(r) {
		return apperr.Forbiddenf("this needs the %s role; you are %s", r, orNone(c.Role))
	}
	return nil
}

func orNone(r Role) string {
	if r == "" {
		return "not signed in"
	}
	return string(r)
}

// Operator is a person at the command line, with direct access to the
// database: the bootstrap path (the first admin account is made this way),
// so it acts as an admin.
func Operator(name, version string) Caller {
	if name == "" {
		name = "cli"
	} else {
		name = "cli:" + name
	}
	return Caller{Principal: Principal{Account: name, Role: Admin, Via: "cli"}, UserAgent: "oabadge " + version}
}

// Sign-in limits. Every attempt counts against the client address, before
// any password is hashed, so a flood costs one map entry per attempt, not
// 64 MiB; failures also count against the account name.
const (
	LoginPerAccount = 5
	LoginPerAddress = 20
	LoginWindow     = 15 * time.Minute
	SessionTTL      = 8 * time.Hour
)

// Config is what a Service needs besides its store.
type Config struct {
	// HashConcurrency bounds the password hashes computed at once (each
	// holds 64 MiB for about 50 ms); 0 means the number of processors.
	HashConcurrency int
	// SessionTTL is how long a console session lasts; 0 means SessionTTL.
	SessionTTL time.Duration
	Log        *slog.Logger
	// Now is the clock; tests fix it.
	Now func() time.Time
}

// Service owns accounts, API tokens, sessions and sign-in: every rule about
// who may sign in, as what, and who may manage whom lives here, for the
// console, the API and the command line alike.
type Service struct {
	store   Store
	cfg     Config
	account *Limiter // failed sign-ins per account name
	address *Limiter // sign-in attempts per client address
	hashing chan struct{}

	dummyOnce sync.Once
	dummy     string // checked for unknown names, so timing tells nothing
}

// NewService returns a Service over st.
func NewService(st Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = SessionTTL
	}
	if cfg.HashConcurrency <= 0 {
		cfg.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	return &Service{
		store:   st,
		cfg:     cfg,
		account: NewLimiter(LoginPerAccount, LoginWindow, cfg.Now),
		address: NewLimiter(LoginPerAddress, LoginWindow, cfg.Now),
		hashing: make(chan struct{}, cfg.HashConcurrency),
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// checkPassword runs CheckPassword under the hashing limit: at most
// HashConcurrency hashes at once, so a burst of sign-ins queues instead of
// holding 64 MiB each. Waiting honours ctx.
func (s *Service) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, apperr.Unavailablef(ctx.Err(), "the server is busy checking passwords; try again shortly")
	}
	defer func() { <-s.hashing }()
	return CheckPassword(hash, pw), nil
}

func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, err := HashPassword("not the password of any account")
		if err == nil {
			s.dummy = h
		}
	})
	return s.dummy
}

// SignIn checks name and password from the client address addr and starts a
// session. It returns the session's secret (the cookie value) and the
// session. Attempts are limited per address and failures per account; an
// unknown name costs the same time as a wrong password.
func (s *Service) SignIn(ctx context.Context, name, password, addr string) (string, Session, error) {
	accountKey, addrKey := "account:"+name, "addr:"+addr
	for _, l := range []struct {
		lim *Limiter
		key string
	}{{s.account, accountKey}, {s.address, addrKey}} {
		if ok, wait := l.lim.Allow(l.key); !ok {
			return "", Session{}, apperr.TooManyf(wait, "too many sign-ins; try again in %s", roundUp(wait))
		}
	}
	// Count before hashing: concurrent attempts cannot all slip under the
	// limit while the first ones are still being checked.
	s.address.Fail(addrKey)
	s.account.Fail(accountKey)
	a, err := s.store.Account(ctx, name)
	if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return "", Session{}, err
	}
	hash := a.PasswordHash
	if hash == "" {
		hash = s.dummyHash()
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil {
		return "", Session{}, err
	}
	if !ok || a.Name == "" || a.Disabled {
		s.cfg.Log.Info("sign-in failed", "account", name, "ip", addr)
		return "", Session{}, apperr.Unauthorizedf("wrong account name or password")
	}
	s.account.Reset(accountKey)
	secret, err := RandomString(32)
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := RandomString(32)
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	ss := Session{IDHash: HashSecret(secret), Account: a.Name, Role: a.Role, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return "", Session{}, err
	}
	s.cfg.Log.Info("signed in", "account", a.Name, "ip", addr)
	return secret, ss, nil
}

// SignOut ends the session whose secret is given. Ending a session that
// does not exist is not an error.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, HashSecret(secret))
}

// Session returns the live session whose secret is given, as a principal
// with its CSRF token. An unknown or expired session is Unauthorized.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, apperr.Unauthorizedf("sign in, or send an API token as Authorization: Bearer TOKEN")
	}
	ss, err := s.store.SessionByHash(ctx, HashSecret(secret), s.now())
	if err != nil {
		return Principal{}, err
	}
	return Principal{Account: ss.Account, Role: ss.Role, Via: "session", CSRF: ss.CSRF}, nil
}

// Token returns the principal an API token acts as: its owner, with the
// token's role, never above the owner's current role. A malformed,
// unknown, revoked or disabled-owner token is Unauthorized, all alike.
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	bad := apperr.Unauthorizedf("the API token is not valid (revoked, or mistyped)")
	id, err := ParseToken(secret)
	if err != nil {
		return Principal{}, bad
	}
	t, err := s.store.TokenByID(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return Principal{}, bad
	}
	if err != nil {
		return Principal{}, err
	}
	if t.RevokedAt != nil || !SameHash(t.SecretHash, HashSecret(secret)) {
		return Principal{}, bad
	}
	owner, err := s.store.Account(ctx, t.Account)
	if err != nil || owner.Disabled {
		return Principal{}, bad
	}
	role := t.Role
	if !owner.Role.Allows(role) { // a token never outranks its owner, even after a demotion
		role = owner.Role
	}
	// Best effort and rare: a read-only database must not block reads, and
	// the stamp is written at most once a minute per token.
	if t.LastUsedAt == nil || s.now().Sub(*t.LastUsedAt) >= time.Minute {
		_ = s.store.TouchToken(ctx, id, s.now())
	}
	return Principal{Account: t.Account, Role: role, Via: "token:" + id}, nil
}

// Accounts lists every account; admins only.
func (s *Service) Accounts(ctx context.Context, by Caller) ([]Account, error) {
	if err := by.Require(Admin); err != nil {
		return nil, err
	}
	return s.store.Accounts(ctx)
}

// CreateAccount adds an account; admins (and operators) only.
func (s *Service) CreateAccount(ctx context.Context, name, role, password string, by Caller) (Account, error) {
	if err := by.Require(Admin); err != nil {
		return Account{}, err
	}
	a, err := NewAccount(name, role, password, s.now())
	if err != nil {
		return Account{}, err
	}
	if err := s.store.CreateAccount(ctx, a, by.Actor()); err != nil {
		return Account{}, err
	}
	return a, nil
}

// Tokens lists every API token (never their secrets); admins only.
func (s *Service) Tokens(ctx context.Context, by Caller) ([]Token, error) {
	if err := by.Require(Admin); err != nil {
		return nil, err
	}
	return s.store.Tokens(ctx)
}

// CreateToken makes an API token named name with role for account (the
// caller's own when empty) and returns it with its secret, shown once.
func (s *Service) CreateToken(ctx context.Context, name, role, account string, by Caller) (Token, string, error) {
	if err := by.Require(Admin); err != nil {
		return Token{}, "", err
	}
	if account == "" {
		account = by.Account
	}
	owner, err := s.store.Account(ctx, account)
	if err != nil {
		return Token{}, "", err
	}
	if name == "" {
		name = "token-" + s.now().Format("20060102-150405")
	}
	t, secret, err := NewAPIToken(name, role, owner, s.now())
	if err != nil {
		return Token{}, "", err
	}
	if err := s.store.CreateToken(ctx, t, by.Actor()); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// RevokeToken revokes token id; admins only.
func (s *Service) RevokeToken(ctx context.Context, id string, by Caller) error {
	if err := by.Require(Admin); err != nil {
		return err
	}
	return s.store.RevokeToken(ctx, id, s.now(), by.Actor())
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " s"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " min"
}
