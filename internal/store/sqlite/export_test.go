package sqlite

import "context"

// PragmaForTest reads one pragma on a pooled connection.
func (s *Store) PragmaForTest(name string, dst any) error {
	return s.db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(dst)
}
