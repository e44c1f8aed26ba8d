package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/market"
)

// AccessStore keeps whether companies and carriers may act and from when
// their tokens count (market.Access).
type AccessStore struct {
	db sqlx.ExtContext
}

var _ market.AccessStore = (*AccessStore)(nil)

// NewAccessStore returns a store over db, a pool or a transaction.
func NewAccessStore(db sqlx.ExtContext) *AccessStore { return &AccessStore{db: db} }

// The statements of each kind of principal. Revocations take the greater
// cutoff in the statement itself, so concurrent ones never move it back.
type accessQueries struct {
	access, revoke, enable, disable string
}

var accessByKind = map[market.PrincipalKind]accessQueries{
	market.PrincipalCompany: {
		access: `SELECT NOT disabled AS enabled, tokens_valid_from FROM companies WHERE id = ?`,
		revoke: `UPDATE companies SET tokens_valid_from = GREATEST(tokens_valid_from, ?), updated_at = UTC_TIMESTAMP(6) WHERE id = ?`,
		enable: `UPDATE companies SET disabled = FALSE, updated_at = UTC_TIMESTAMP(6) WHERE id = ?`,
		disable: `UPDATE companies SET disabled = TRUE, tokens_valid_from = GREATEST(tokens_valid_from, ?), updated_at = UTC_TIMESTAMP(6)
WHERE id = ?`,
	},
	market.PrincipalCarrier: {
		access: `SELECT active AS enabled, tokens_valid_from FROM carriers WHERE id = ?`,
		revoke: `UPDATE carriers SET tokens_valid_from = GREATEST(tokens_valid_from, ?), updated_at = UTC_TIMESTAMP(6) WHERE id = ?`,
		enable: `UPDATE carriers SET active = TRUE, updated_at = UTC_TIMESTAMP(6) WHERE id = ?`,
		disable: `UPDATE carriers SET active = FALSE, tokens_valid_from = GREATEST(tokens_valid_from, ?), updated_at = UTC_TIMESTAMP(6)
WHERE id = ?`,
	},
}

func queriesFor(kind market.PrincipalKind) (accessQueries, error) {
	q, ok := accessByKind[kind]
	if !ok {
		return accessQueries{}, fmt.Errorf("access: unknown principal kind %q", kind)
	}
	return q, nil
}

// Access returns the principal's access.
func (s *AccessStore) Access(ctx context.Context, kind market.PrincipalKind, id int64) (market.Access, error) {
	q, err := queriesFor(kind)
	if err != nil {
		return market.Access{}, err
	}
	var a market.Access
	err = sqlx.GetContext(ctx, s.db, &a, q.access, id)
	if errors.Is(err, sql.ErrNoRows) {
		return market.Access{}, market.Errorf(market.CodeNotFound, "no such %s", kind)
	}
	return a, translate("access", err)
}

// RevokeTokens refuses the principal's tokens issued before from.
func (s *AccessStore) RevokeTokens(ctx context.Context, kind market.PrincipalKind, id int64, from time.Time) error {
	q, err := queriesFor(kind)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, q.revoke, from.UnixMilli(), id); err != nil {
		return translate("revoke tokens", err)
	}
	// An update that changes nothing affects no row on MySQL: whether the
	// principal exists is read back.
	_, err = s.Access(ctx, kind, id)
	return err
}

// SetEnabled enables or disables the principal, revoking its tokens issued
// before from when disabling.
func (s *AccessStore) SetEnabled(ctx context.Context, kind market.PrincipalKind, id int64, enabled bool, from time.Time) error {
	q, err := queriesFor(kind)
	if err != nil {
		return err
	}
	if enabled {
		_, err = s.db.ExecContext(ctx, q.enable, id)
	} else {
		_, err = s.db.ExecContext(ctx, q.disable, from.UnixMilli(), id)
	}
	if err != nil {
		return translate("set enabled", err)
	}
	_, err = s.Access(ctx, kind, id)
	return err
}

// CompanyAccess returns the company's access, for the authorizer.
func (s *CompanyStore) CompanyAccess(ctx context.Context, id int64) (market.Access, error) {
	return NewAccessStore(s.db).Access(ctx, market.PrincipalCompany, id)
}

// CarrierAccess returns the carrier's access, for the authorizer.
func (s *CarrierStore) CarrierAccess(ctx context.Context, id int64) (market.Access, error) {
	return NewAccessStore(s.db).Access(ctx, market.PrincipalCarrier, id)
}

// CompanyID returns the id of the company called name, or CodeNotFound:
// how the operator names a company on AWS, as ensure-company creates it.
func (s *CompanyStore) CompanyID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, s.db, &id, companyByName, name)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, market.Errorf(market.CodeNotFound, "no company called %q", name)
	}
	return id, translate("company by name", err)
}
