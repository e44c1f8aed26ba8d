package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/market"
)

// translate turns a driver error into a market error where one fits and
// wraps it with op otherwise. An unreachable or overloaded database becomes
// CodeUnavailable (a 503 the client may retry); everything else stays
// internal and is never shown to clients.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var me *market.Error
	if errors.As(err, &me) {
		return err
	}
	if isUnavailable(err) {
		return &market.Error{
			Code:    market.CodeUnavailable,
			Message: "the database is unavailable; try again shortly",
			Err:     fmt.Errorf("%s: %w", op, err),
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isUnavailable(err error) bool {
	var netErr net.Error
	var me *mysqldrv.MySQLError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysqldrv.ErrInvalidConn),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return true
	case errors.Is(err, sql.ErrTxDone):
		// The stores use a transaction once and commit it last, so a
		// transaction found done is one database/sql rolled back when the
		// request's deadline (apigw.RequestTimeout) passed during it: a
		// commit then reports ErrTxDone rather than the deadline.
		return true
	case errors.As(err, &me):
		switch me.Number {
		case errAccessDenied, errTooManyConnections, errServerShutdown, errLockWaitTimeout, errDeadlock, errProxyBorrowTimeout:
			return true
		}
	}
	return false
}

func isDuplicate(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && me.Number == errDuplicateEntry
}
