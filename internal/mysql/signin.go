package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// SignInStore keeps the SMS sign-in codes.
type SignInStore struct {
	db sqlx.ExtContext
}

var _ market.SignInStore = (*SignInStore)(nil)

// NewSignInStore returns a store over db, a pool or a transaction.
func NewSignInStore(db sqlx.ExtContext) *SignInStore { return &SignInStore{db: db} }

const (
	signInCarrier = `SELECT id, name FROM carriers WHERE phone = ? AND active`
	signInCompany = `SELECT id, name FROM companies WHERE phone = ?`
)

// SignInSubject returns the active carrier or the company whose phone it is.
func (s *SignInStore) SignInSubject(ctx context.Context, kind market.SignInKind, phone string) (market.SignInSubject, error) {
	query := signInCompany
	if kind == market.SignInCarrier {
		query = signInCarrier
	}
	var subject market.SignInSubject
	err := sqlx.GetContext(ctx, s.db, &subject, query, phone)
	if errors.Is(err, sql.ErrNoRows) {
		return market.SignInSubject{}, market.Errorf(market.CodeNotFound, "no such %s", kind)
	}
	return subject, translate("sign-in subject", err)
}

const (
	insertSignInCode = `INSERT INTO sign_in_codes (kind, phone, subject_id, code_hash, salt, attempts, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, 0, ?, ?)`
	otherSignInCodes = `SELECT created_at FROM sign_in_codes
		WHERE kind = ? AND phone = ? AND created_at > ? AND id <> ?
		ORDER BY created_at, id`
	deleteSignInCode = `DELETE FROM sign_in_codes WHERE id = ?`
	// Pruning first reads which rows to forget, without locks, and then
	// deletes those rows by primary key: a DELETE ... ORDER BY created_at
	// LIMIT takes next-key locks on the created_at index up to the newest
	// rows, where concurrent requests insert, and deadlocked with them.
	oldSignInCodes    = `SELECT id FROM sign_in_codes WHERE created_at < ? ORDER BY created_at LIMIT ?`
	deleteSignInCodes = `DELETE FROM sign_in_codes WHERE id IN (?)`
)

// PruneCodes forgets codes past their retention, oldest first.
func (s *SignInStore) PruneCodes(ctx context.Context, before time.Time, limit int) error {
	var ids []int64
	if err := sqlx.SelectContext(ctx, s.db, &ids, oldSignInCodes, before.UTC(), limit); err != nil {
		return translate("old sign-in codes", err)
	}
	if len(ids) == 0 {
		return nil
	}
	query, args, err := sqlx.In(deleteSignInCodes, ids)
	if err != nil {
		return translate("prune sign-in codes", err)
	}
	_, err = s.db.ExecContext(ctx, query, args...)
	return translate("prune sign-in codes", err)
}

// AddCode stores c and returns its id and the creation times of the other
// codes of its kind and phone created after since. Each statement commits
// on its own, so that concurrent requests see each other's codes.
func (s *SignInStore) AddCode(ctx context.Context, c market.SignInCode, since time.Time) (int64, []time.Time, error) {
	res, err := s.db.ExecContext(ctx, insertSignInCode, string(c.Kind), c.Phone, c.SubjectID, c.Hash, c.Salt, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		return 0, nil, translate("insert sign-in code", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, nil, translate("insert sign-in code", err)
	}
	others := []time.Time{}
	err = sqlx.SelectContext(ctx, s.db, &others, otherSignInCodes, string(c.Kind), c.Phone, since.UTC(), id)
	return id, others, translate("other sign-in codes", err)
}

// RemoveCode deletes the code with id.
func (s *SignInStore) RemoveCode(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, deleteSignInCode, id)
	return translate("delete sign-in code", err)
}

const newestSignInCode = `SELECT id, kind, phone, subject_id, code_hash, salt, attempts, created_at, expires_at
	FROM sign_in_codes
	WHERE kind = ? AND phone = ? AND expires_at > ? AND used_at IS NULL
	ORDER BY created_at DESC, id DESC LIMIT 1`

// NewestCode returns the newest unused code of kind and phone that expires
// after now.
func (s *SignInStore) NewestCode(ctx context.Context, kind market.SignInKind, phone string, now time.Time) (market.SignInCode, error) {
	var c market.SignInCode
	err := sqlx.GetContext(ctx, s.db, &c, newestSignInCode, string(kind), phone, now.UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return market.SignInCode{}, market.Errorf(market.CodeNotFound, "no live sign-in code")
	}
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return c, translate("newest sign-in code", err)
}

const liveSignInCodes = `SELECT id, kind, phone, subject_id, code_hash, salt, attempts, created_at, expires_at
	FROM sign_in_codes
	WHERE kind = ? AND phone = ? AND expires_at > ? AND used_at IS NULL
	ORDER BY created_at, id LIMIT ?`

// LiveCodes returns up to limit unused codes of kind and phone that expire
// after now, oldest first.
func (s *SignInStore) LiveCodes(ctx context.Context, kind market.SignInKind, phone string, now time.Time, limit int) ([]market.SignInCode, error) {
	codes := []market.SignInCode{}
	if err := sqlx.SelectContext(ctx, s.db, &codes, liveSignInCodes, string(kind), phone, now.UTC(), limit); err != nil {
		return nil, translate("live sign-in codes", err)
	}
	for i := range codes {
		codes[i].CreatedAt, codes[i].ExpiresAt = codes[i].CreatedAt.UTC(), codes[i].ExpiresAt.UTC()
	}
	return codes, nil
}

// Both updates hold their condition in the WHERE clause, so the database
// decides each race: of concurrent attempts only max find attempts < max,
// and of concurrent uses only one finds used_at NULL.
const (
	countSignInAttempt = `UPDATE sign_in_codes SET attempts = attempts + 1
		WHERE id = ? AND attempts < ? AND used_at IS NULL AND expires_at > ?`
	useSignInCode = `UPDATE sign_in_codes SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND expires_at > ?`
)

// CountAttempt counts one attempt on the code with id if it allows one more.
func (s *SignInStore) CountAttempt(ctx context.Context, id int64, max int, now time.Time) (bool, error) {
	n, err := s.exec(ctx, countSignInAttempt, id, max, now.UTC())
	return n == 1, translate("count sign-in attempt", err)
}

// UseCode marks the code with id used, once.
func (s *SignInStore) UseCode(ctx context.Context, id int64, now time.Time) (bool, error) {
	n, err := s.exec(ctx, useSignInCode, now.UTC(), id, now.UTC())
	return n == 1, translate("use sign-in code", err)
}

func (s *SignInStore) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
