package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the audit key's length in bytes.
const KeySize = 32

// Key is the secret the audit trail is sealed with. It lives in a file
// outside the database, readable by its owner only; every replica and the
// command line use the same one. Its String and GoString show only its
// id, so it cannot leak into a log.
type Key struct {
	b   [KeySize]byte
	set bool
}

// NewKey returns a random key.
func NewKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k.b[:]); err != nil {
		return Key{}, fmt.Errorf("audit key: %w", err)
	}
	k.set = true
	return k, nil
}

// IsZero reports whether k is unset.
func (k Key) IsZero() bool { return !k.set }

// ID names k without revealing it: 16 hex digits derived from it, written
// into the trail's seal entry so a wrong key is named as such.
func (k Key) ID() string {
	if !k.set {
		return "(none)"
	}
	h := hmac.New(sha256.New, k.b[:])
	h.Write([]byte("oabadge audit key id"))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (k Key) String() string   { return "audit key " + k.ID() }
func (k Key) GoString() string { return "audit.Key{" + k.ID() + "}" }

// ParseKey reads a key file's content: 64 hex digits, with or without a
// line end.
func ParseKey(b []byte) (Key, error) {
	s := strings.TrimSpace(string(b))
	var k Key
	if len(s) != 2*KeySize {
		return Key{}, fmt.Errorf("want %d hex digits, found %d characters", 2*KeySize, len(s))
	}
	if _, err := hex.Decode(k.b[:], []byte(s)); err != nil {
		return Key{}, fmt.Errorf("want %d hex digits: %v", 2*KeySize, err)
	}
	k.set = true
	return k, nil
}

// LoadKey reads the key file at path. It refuses a file that its group or
// other users may read or write: the key is what keeps a database writer
// from forging the trail.
func LoadKey(path string) (Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("audit key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Key{}, fmt.Errorf("audit key file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("audit key file %s has mode %04o: other users could read or change it; run `chmod 600 %s` (as its owner)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("audit key file: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return Key{}, fmt.Errorf("audit key file %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKey reads the key file at path or, when there is none,
// creates it with a random key, mode 0600 (and its directory, 0750). Two
// processes starting at once end up with the same key: the file appears
// whole or not at all. created reports whether this call made it.
func LoadOrCreateKey(path string) (k Key, created bool, err error) {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		k, err := LoadKey(path)
		return k, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Key{}, false, fmt.Errorf("audit key file: %w", err)
	}
	k, err = NewKey()
	if err != nil {
		return Key{}, false, err
	}
	tmp, err := writeTemp(dir, k)
	if err != nil {
		return Key{}, false, fmt.Errorf("audit key file: %w", err)
	}
	defer os.Remove(tmp)
	// A hard link fails when path exists: another process won the race,
	// and its key is the one to use.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			k, err := LoadKey(path)
			return k, false, err
		}
		return Key{}, false, fmt.Errorf("audit key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return k, true, nil
}

// WriteKeyFile writes k to a new file at path, mode 0600; it refuses to
// replace an existing file.
func WriteKeyFile(path string, k Key) error {
	if k.IsZero() {
		return errors.New("audit key file: no key to write")
	}
	tmp, err := writeTemp(filepath.Dir(path), k)
	if err != nil {
		return fmt.Errorf("audit key file: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("audit key file: %w", err)
	}
	return nil
}

// writeTemp writes k to a new temporary file in dir, 0600, synced, and
// returns its name.
func writeTemp(dir string, k Key) (string, error) {
	f, err := os.CreateTemp(dir, ".audit-key-*")
	if err != nil {
		return "", err
	}
	// CreateTemp makes the file 0600 whatever the umask; say it anyway.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(hex.EncodeToString(k.b[:]) + "\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
