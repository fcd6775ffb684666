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

// Require returns a Forbidden error unless the caller has at least role r,
// and, when the caller must enroll a second factor first, until they have.
func (c Caller) Require(r Role) error {
	if c.MustEnroll {
		return apperr.Forbiddenf("set up a second factor first (your account page), as this server requires for admins")
	}
	if !c.Role.Allows(r) {
		return apperr.Forbiddenf("this needs the %s role; you are %s", r, orNone(c.Role))
	}
	return nil
}

// requireInPerson is Require(Admin) for managing other accounts: an API
// token of an account with a second factor may not, since it cannot prove
// that factor, and an account it made or raised could then approve what
// the token itself may not (see RequireFresh).
func (c Caller) requireInPerson() error {
	if err := c.Require(Admin); err != nil {
		return err
	}
	if c.TokenWithoutFactor() {
		return apperr.Forbiddenf("this account has a second factor, which an API token cannot prove: manage accounts in the console")
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
	// TwoPerson makes creating an admin account, and raising any role,
	// wait for a second admin's approval.
	TwoPerson bool
	// RequireTOTP makes admins enroll a second factor before they may do
	// anything, and use it at every sign-in.
	RequireTOTP bool
	Log         *slog.Logger
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

// hashWait bounds how long a sign-in waits for a password check to start;
// past it the server is too busy, and says so, rather than queue forever.
const hashWait = 5 * time.Second

// checkPassword runs CheckPassword under the hashing limit: at most
// HashConcurrency hashes at once, so a burst of sign-ins queues instead of
// holding 64 MiB each. Waiting honours ctx, and gives up after hashWait.
func (s *Service) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, apperr.Unavailablef(ctx.Err(), "the server is busy checking passwords; try again shortly")
	case <-t.C:
		return false, &apperr.Error{Kind: apperr.Unavailable, Msg: "the server is busy checking passwords; try again shortly", RetryAfter: hashWait}
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

// SignIn checks name, password and, for an account with a second factor,
// code (an authenticator code or a recovery code), from the client address
// addr, and starts a session. It returns the session's secret (the cookie
// value) and the session. Attempts are limited per address and failures
// per account; an unknown name costs the same time as a wrong password.
func (s *Service) SignIn(ctx context.Context, name, password, code, addr string) (string, Session, error) {
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
	if a.TOTPEnabled {
		if code == "" {
			return "", Session{}, errCode
		}
		if _, err := s.store.UpdateAccount(ctx, a.Name, "account.second_factor", s.now(), func(x *Account) error {
			if !useSecondFactor(x, code, s.cfg.Now()) {
				return errCode
			}
			return nil
		}, Caller{Principal: Principal{Account: a.Name, Role: a.Role}, IP: addr}.Actor()); err != nil {
			s.cfg.Log.Info("sign-in failed: second factor", "account", name, "ip", addr)
			return "", Session{}, err
		}
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
	a, err := s.store.Account(ctx, ss.Account)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Account: ss.Account, Role: ss.Role, Via: "session", CSRF: ss.CSRF, TOTP: a.TOTPEnabled,
		MustEnroll: s.cfg.RequireTOTP && a.Role.Allows(Admin) && !a.TOTPEnabled}, nil
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
	return Principal{Account: t.Account, Role: role, Via: "token:" + id, TOTP: owner.TOTPEnabled}, nil
}

// Me returns the caller's own account, without its secrets.
func (s *Service) Me(ctx context.Context, by Caller) (Account, error) {
	a, err := s.store.Account(ctx, by.Account)
	if err != nil {
		return Account{}, err
	}
	a.PasswordHash, a.TOTPSecret, a.Recovery = "", "", make([]string, len(a.Recovery))
	return a, nil
}

// Accounts lists every account; admins only.
func (s *Service) Accounts(ctx context.Context, by Caller) ([]Account, error) {
	if err := by.Require(Admin); err != nil {
		return nil, err
	}
	return s.store.Accounts(ctx)
}

// CreateAccount adds an account; admins (and operators) only. Under the
// two-person rule a new editor or admin account is created disabled, with
// its role waiting for a second admin's approval (PendingRole), so one
// admin cannot make a second account to propose or approve their own
// changes.
func (s *Service) CreateAccount(ctx context.Context, name, role, password string, by Caller) (Account, error) {
	if err := by.requireInPerson(); err != nil {
		return Account{}, err
	}
	a, err := NewAccount(name, role, password, s.now())
	if err != nil {
		return Account{}, err
	}
	if a.Role.rank() > Viewer.rank() && s.cfg.TwoPerson && !by.Operator() {
		// An editor proposes changes that one admin then approves: an
		// admin who could make one at once would be both people.
		a.Disabled, a.PendingCreate, a.PendingRole, a.PendingBy = true, true, a.Role, by.Account
		a.Role = Viewer
	}
	if err := s.store.CreateAccount(ctx, a, by.Actor()); err != nil {
		return Account{}, err
	}
	return a, nil
}

// SetRole changes account name's role; admins only. Lowering a role
// applies at once; under the two-person rule raising one waits for a
// second admin (ApprovePending).
func (s *Service) SetRole(ctx context.Context, name, role string, by Caller) (Account, error) {
	if err := by.requireInPerson(); err != nil {
		return Account{}, err
	}
	r, err := ParseRole(role)
	if err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, name, "account.role", s.now(), func(a *Account) error {
		if a.PendingCreate {
			return apperr.Conflictf("account %q waits for a second admin's approval", name)
		}
		if a.Role == r && a.PendingRole == "" {
			return apperr.Conflictf("account %q is %s already", name, r)
		}
		if r.rank() > a.Role.rank() && s.cfg.TwoPerson && !by.Operator() {
			a.PendingRole, a.PendingBy = r, by.Account // a raise waits
			return nil
		}
		a.Role, a.PendingRole, a.PendingBy = r, "", ""
		return nil
	}, by.Actor())
}

// ApprovePending carries out the change waiting on account name (a new
// admin account, a raised role); an admin other than the one who asked.
func (s *Service) ApprovePending(ctx context.Context, name string, by Caller) (Account, error) {
	if err := by.Require(Admin); err != nil {
		return Account{}, err
	}
	if err := by.RequireFresh(); err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, name, "account.approve", s.now(), func(a *Account) error {
		switch {
		case a.PendingRole == "":
			return apperr.Conflictf("nothing waits for approval on account %q", name)
		case a.PendingBy == by.Account:
			return apperr.Forbiddenf("you asked for this change; another admin must approve it")
		case a.Name == by.Account:
			return apperr.Forbiddenf("another admin must approve a change to your own account")
		}
		if a.PendingCreate {
			a.Disabled = false // a new admin account, disabled until now
		}
		a.Role, a.PendingRole, a.PendingBy, a.PendingCreate = a.PendingRole, "", "", false
		return nil
	}, by.Actor())
}

// RejectPending drops the change waiting on account name: an admin, or
// the one who asked for it.
func (s *Service) RejectPending(ctx context.Context, name string, by Caller) (Account, error) {
	if err := by.Require(Admin); err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, name, "account.reject", s.now(), func(a *Account) error {
		if a.PendingRole == "" {
			return apperr.Conflictf("nothing waits for approval on account %q", name)
		}
		// A refused new account stays, disabled, so its name and history
		// are kept; it can be enabled later as what it was made (a viewer).
		a.PendingRole, a.PendingBy, a.PendingCreate = "", "", false
		return nil
	}, by.Actor())
}

// SetDisabled disables (or enables) account name; admins only, and not
// their own account. A disabled account's sessions and tokens stop
// working at once.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool, by Caller) (Account, error) {
	if err := by.Require(Admin); err != nil {
		return Account{}, err
	}
	if name == by.Account {
		return Account{}, apperr.Forbiddenf("you cannot disable or enable your own account; ask another admin")
	}
	if !disabled {
		// Disabling stays open to a token, for incident response;
		// giving an account back its powers needs the person.
		if err := by.requireInPerson(); err != nil {
			return Account{}, err
		}
	}
	action := "account.enable"
	if disabled {
		action = "account.disable"
	}
	return s.store.UpdateAccount(ctx, name, action, s.now(), func(a *Account) error {
		if a.Disabled == disabled {
			return apperr.Conflictf("account %q is %s already", name, map[bool]string{true: "disabled", false: "enabled"}[disabled])
		}
		if !disabled && a.PendingCreate {
			return apperr.Conflictf("account %q waits for a second admin's approval; approve it instead", name)
		}
		a.Disabled = disabled
		return nil
	}, by.Actor())
}

// SetPassword sets account name's password and returns the account as it
// now is (with its role held, see below). An account changes its own
// password with its current one (current); an admin resets another's
// without, and under the two-person rule that account's role above viewer
// then waits for a second admin's approval (ApprovePending). Every other
// session of the account ends.
func (s *Service) SetPassword(ctx context.Context, name, password, current, keepSession string, by Caller) (Account, error) {
	own := name == by.Account
	if own {
		if err := by.Require(Viewer); err != nil && !by.MustEnroll {
			return Account{}, err
		}
	} else if err := by.requireInPerson(); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return Account{}, err
	}
	if own && !by.Operator() {
		a, err := s.store.Account(ctx, name)
		if err != nil {
			return Account{}, err
		}
		ok, err := s.checkPassword(ctx, a.PasswordHash, current)
		if err != nil {
			return Account{}, err
		}
		if !ok {
			return Account{}, apperr.Invalidf("the current password is wrong")
		}
	}
	a, err := s.store.UpdateAccount(ctx, name, "account.password", s.now(), func(a *Account) error {
		a.PasswordHash = hash
		if own || !s.cfg.TwoPerson || by.Operator() {
			return nil
		}
		// Under the two-person rule an admin who sets another's password
		// can sign in as them: the account's role above viewer is held
		// until a second admin approves it, as a raise would be, so one
		// admin cannot propose as one account and approve as another.
		if a.PendingRole != "" {
			return apperr.Conflictf("account %q has a change waiting for approval: approve or reject it first", name)
		}
		if a.Role.rank() > Viewer.rank() {
			a.PendingRole, a.PendingBy, a.Role = a.Role, by.Account, Viewer
		}
		return nil
	}, by.Actor())
	if err != nil {
		return Account{}, err
	}
	except := ""
	if own && keepSession != "" {
		except = HashSecret(keepSession)
	}
	if _, _, err = s.store.EndSessions(ctx, name, except, false, s.now(), by.Actor()); err != nil {
		return Account{}, err
	}
	return a, nil
}

// EndSessions signs account name out everywhere and revokes its tokens:
// for a lost laptop or a leaked token. Its own account, or an admin.
func (s *Service) EndSessions(ctx context.Context, name string, by Caller) (sessions, tokens int, err error) {
	if name != by.Account {
		if err := by.Require(Admin); err != nil {
			return 0, 0, err
		}
	}
	if _, err := s.store.Account(ctx, name); err != nil {
		return 0, 0, err
	}
	return s.store.EndSessions(ctx, name, "", true, s.now(), by.Actor())
}

// BeginTOTP starts enrolling a second factor for the caller's own account:
// it stores a new secret, not yet in force, and returns it with its
// otpauth:// URL for the QR code.
func (s *Service) BeginTOTP(ctx context.Context, by Caller) (secret, url string, err error) {
	if by.Account == "" || by.Operator() {
		return "", "", apperr.Forbiddenf("sign in to set up your second factor")
	}
	secret, url, err = NewTOTP(by.Account)
	if err != nil {
		return "", "", err
	}
	_, err = s.store.UpdateAccount(ctx, by.Account, "account.totp_begin", s.now(), func(a *Account) error {
		if a.TOTPEnabled {
			return apperr.Conflictf("a second factor is set up already; remove it first")
		}
		a.TOTPSecret = secret
		return nil
	}, by.Actor())
	return secret, url, err
}

// PendingTOTP returns the otpauth:// URL of the caller's enrollment in
// progress, for its QR code.
func (s *Service) PendingTOTP(ctx context.Context, by Caller) (string, error) {
	a, err := s.store.Account(ctx, by.Account)
	if err != nil {
		return "", err
	}
	if a.TOTPEnabled || a.TOTPSecret == "" {
		return "", apperr.NotFoundf("no second factor is being set up")
	}
	return TOTPURL(a.Name, a.TOTPSecret), nil
}

// ConfirmTOTP puts the caller's enrolled secret in force once they prove
// it with a code, and returns recovery codes, shown only this once.
func (s *Service) ConfirmTOTP(ctx context.Context, code string, by Caller) ([]string, error) {
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	_, err = s.store.UpdateAccount(ctx, by.Account, "account.totp_enable", s.now(), func(a *Account) error {
		if a.TOTPEnabled || a.TOTPSecret == "" {
			return apperr.Conflictf("no second factor is being set up")
		}
		step, ok := checkTOTP(a.TOTPSecret, code, s.cfg.Now(), a.TOTPStep)
		if !ok {
			return apperr.Invalidf("that code does not match: check the clock of the phone and try the next code")
		}
		a.TOTPEnabled, a.TOTPStep, a.Recovery = true, step, hashes
		return nil
	}, by.Actor())
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// ResetTOTP removes account name's second factor, for a lost phone: an
// admin (or an operator) for another account; a person for their own,
// with a current code.
func (s *Service) ResetTOTP(ctx context.Context, name, code string, by Caller) error {
	own := name == by.Account && !by.Operator()
	if !own {
		if err := by.requireInPerson(); err != nil {
			return err
		}
	} else if err := s.codeAttempt(name); err != nil {
		return err
	}
	_, err := s.store.UpdateAccount(ctx, name, "account.totp_reset", s.now(), func(a *Account) error {
		if !a.TOTPEnabled && a.TOTPSecret == "" {
			return apperr.Conflictf("account %q has no second factor", name)
		}
		if own && a.TOTPEnabled && !useSecondFactor(a, code, s.cfg.Now()) {
			return errCode
		}
		a.TOTPSecret, a.TOTPEnabled, a.TOTPStep, a.Recovery = "", false, 0, nil
		return nil
	}, by.Actor())
	if own && err == nil {
		s.account.Reset(codeKey(name))
	}
	return err
}

// StepUp checks code, a current authenticator code of the caller's, and
// returns the caller marked Fresh: what approving or applying a change in
// the console asks for (Caller.RequireFresh). No code, or a caller without
// a second factor, returns the caller as it is.
func (s *Service) StepUp(ctx context.Context, code string, by Caller) (Caller, error) {
	if code == "" || !by.TOTP {
		return by, nil
	}
	if err := s.codeAttempt(by.Account); err != nil {
		return by, err
	}
	_, err := s.store.UpdateAccount(ctx, by.Account, "account.second_factor", s.now(), func(a *Account) error {
		if !useSecondFactor(a, code, s.cfg.Now()) {
			return errCode
		}
		return nil
	}, by.Actor())
	if err != nil {
		return by, err
	}
	s.account.Reset(codeKey(by.Account))
	by.Fresh = true
	return by, nil
}

// codeAttempt counts an attempt at account name's second factor outside
// sign-in (which counts its own), before the code is checked, so that
// concurrent guesses cannot all slip under the limit: a stolen session
// cannot try the million codes. A right code clears the count.
func (s *Service) codeAttempt(name string) error {
	key := codeKey(name)
	if ok, wait := s.account.Allow(key); !ok {
		return apperr.TooManyf(wait, "too many wrong codes; try again in %s", roundUp(wait))
	}
	s.account.Fail(key)
	return nil
}

func codeKey(name string) string { return "code:" + name }

// Tokens lists every API token (never their secrets); admins only.
func (s *Service) Tokens(ctx context.Context, by Caller) ([]Token, error) {
	if err := by.Require(Admin); err != nil {
		return nil, err
	}
	return s.store.Tokens(ctx)
}

// CreateToken makes an API token named name with role for account (the
// caller's own when empty) and returns it with its secret, shown once. A
// token acts as its owner, so people mint tokens for their own account
// only, never above their role: an admin who could mint one for another
// admin could approve their own changes. Operators at the command line
// mint for anyone.
func (s *Service) CreateToken(ctx context.Context, name, role, account string, by Caller) (Token, string, error) {
	if err := by.Require(Viewer); err != nil {
		return Token{}, "", err
	}
	if account == "" {
		account = by.Account
	}
	if account != by.Account && !by.Operator() {
		return Token{}, "", apperr.Forbiddenf("a token acts as its owner: make tokens for your own account only (%s signs in to make theirs)", account)
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

// RevokeToken revokes token id: its owner, or an admin.
func (s *Service) RevokeToken(ctx context.Context, id string, by Caller) error {
	if err := by.Require(Viewer); err != nil {
		return err
	}
	if !by.Role.Allows(Admin) {
		t, err := s.store.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if t.Account != by.Account {
			return apperr.Forbiddenf("only an admin may revoke another account's token")
		}
	}
	return s.store.RevokeToken(ctx, id, s.now(), by.Actor())
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " s"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " min"
}
