package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestTranslate(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	passThrough := &market.Error{Code: market.CodeNotFound, Message: "no such product"}
	tests := []struct {
		name     string
		err      error
		wantCode market.Code // CodeInternal: wrapped with op, not shown to clients
	}{
		{name: "connection refused", err: refused, wantCode: market.CodeUnavailable},
		{name: "bad connection", err: driver.ErrBadConn, wantCode: market.CodeUnavailable},
		{name: "invalid connection", err: mysqldrv.ErrInvalidConn, wantCode: market.CodeUnavailable},
		{name: "deadline", err: fmt.Errorf("query: %w", context.DeadlineExceeded), wantCode: market.CodeUnavailable},
		{name: "transaction rolled back at the deadline", err: fmt.Errorf("commit: %w", sql.ErrTxDone), wantCode: market.CodeUnavailable},
		{name: "access denied", err: &mysqldrv.MySQLError{Number: 1045, Message: "Access denied for user 'app'"}, wantCode: market.CodeUnavailable},
		{name: "too many connections", err: &mysqldrv.MySQLError{Number: 1040, Message: "Too many connections"}, wantCode: market.CodeUnavailable},
		{name: "RDS Proxy borrow timeout", err: &mysqldrv.MySQLError{Number: 9501, Message: "Timed-out waiting to acquire database connection"}, wantCode: market.CodeUnavailable},
		{name: "server shutdown", err: &mysqldrv.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, wantCode: market.CodeUnavailable},
		{name: "lock wait timeout", err: &mysqldrv.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}, wantCode: market.CodeUnavailable},
		{name: "deadlock", err: &mysqldrv.MySQLError{Number: 1213, Message: "Deadlock found"}, wantCode: market.CodeUnavailable},
		{name: "syntax error", err: &mysqldrv.MySQLError{Number: 1064, Message: "You have an error in your SQL syntax"}, wantCode: market.CodeInternal},
		{name: "duplicate", err: &mysqldrv.MySQLError{Number: 1062, Message: "Duplicate entry"}, wantCode: market.CodeInternal},
		{name: "no rows", err: sql.ErrNoRows, wantCode: market.CodeInternal},
		{name: "market error passes through", err: passThrough, wantCode: market.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := translate("list products", tt.err)
			if code := market.ErrorCode(got); code != tt.wantCode {
				t.Fatalf("translate(%v) = %v (code %q), want code %q", tt.err, got, code, tt.wantCode)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("translate(%v) = %v, which does not wrap the cause", tt.err, got)
			}
			switch {
			case tt.err == error(passThrough):
				if got != tt.err {
					t.Errorf("translate(market error) = %v, want it unchanged", got)
				}
			case !strings.Contains(got.Error(), "list products: "):
				t.Errorf("translate(%v) = %q, want the operation in the text", tt.err, got)
			}
			if tt.wantCode == market.CodeUnavailable {
				var me *market.Error
				errors.As(got, &me)
				if strings.Contains(me.Message, "Access denied") || strings.Contains(me.Message, "dial") {
					t.Errorf("client message %q carries driver text", me.Message)
				}
			}
		})
	}
	if err := translate("op", nil); err != nil {
		t.Errorf("translate(nil) = %v, want nil", err)
	}
}

func TestIsDuplicate(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "1062", err: &mysqldrv.MySQLError{Number: 1062}, want: true},
		{name: "wrapped 1062", err: fmt.Errorf("insert company: %w", &mysqldrv.MySQLError{Number: 1062}), want: true},
		{name: "other number", err: &mysqldrv.MySQLError{Number: 1452}, want: false},
		{name: "not a MySQL error", err: errors.New("Duplicate entry"), want: false},
		{name: "nil", err: nil, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isDuplicate(tt.err); got != tt.want {
				t.Errorf("isDuplicate(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestQuoteIdent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "delivery", want: "`delivery`"},
		{name: "backquote", in: "a`b", want: "`a``b`"},
		{name: "injection attempt", in: "x`; DROP DATABASE y; --", want: "`x``; DROP DATABASE y; --`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := QuoteIdent(tt.in); got != tt.want {
				t.Errorf("QuoteIdent(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
