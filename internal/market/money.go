package market

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/shopspring/decimal"
)

// Money is an exact amount in the marketplace currency. It is a
// decimal.Decimal that renders in JSON as a string with exactly two decimals
// ("4.50"), so that no client ever parses money as a binary float.
// It scans from and writes to DECIMAL columns exactly (the MySQL driver
// returns DECIMAL as text).
type Money struct{ decimal.Decimal }

// NewMoney returns d as Money.
func NewMoney(d decimal.Decimal) Money { return Money{d} }

// MustMoney parses s or panics; for constants and tests.
func MustMoney(s string) Money { return Money{decimal.RequireFromString(s)} }

// String renders m with exactly two decimals.
func (m Money) String() string { return m.StringFixed(2) }

// Format makes %s and %v render two decimals too (Decimal's own Format,
// promoted otherwise, would print "9.9"); other verbs are Decimal's.
func (m Money) Format(f fmt.State, verb rune) {
	switch verb {
	case 's', 'v':
		_, _ = io.WriteString(f, m.StringFixed(2))
	case 'q':
		_, _ = io.WriteString(f, strconv.Quote(m.StringFixed(2)))
	default:
		m.Decimal.Format(f, verb)
	}
}

// MarshalJSON renders m as a JSON string with exactly two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return json.Marshal(m.StringFixed(2)) }

// errNotAnAmount does not quote the input: it reaches clients as it is.
var errNotAnAmount = &Error{Code: CodeInvalid, Message: `an amount must be a plain decimal number or string, such as "4.50"`}

// UnmarshalJSON accepts a JSON string ("4.50") or a JSON number (4.5) and
// parses the literal text as a decimal, so that no float rounding happens.
// Range and precision rules are checked by the callers that know them.
func (m *Money) UnmarshalJSON(b []byte) error {
	text := bytes.TrimSpace(b)
	if len(text) > 0 && text[0] == '"' {
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return errNotAnAmount
		}
		text = []byte(s)
	}
	d, err := decimal.NewFromString(string(text))
	// decimal accepts exponents; amounts are written plainly.
	if err != nil || bytes.ContainsAny(text, "eE") {
		return errNotAnAmount
	}
	m.Decimal = d
	return nil
}
