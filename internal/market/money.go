package market

import (
	"bytes"
	"encoding/json"
	"fmt"

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

// MarshalJSON renders m as a JSON string with exactly two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return json.Marshal(m.StringFixed(2)) }

// UnmarshalJSON accepts a JSON string ("4.50") or a JSON number (4.5) and
// parses the literal text as a decimal, so that no float rounding happens.
// Range and precision rules are checked by the callers that know them.
func (m *Money) UnmarshalJSON(b []byte) error {
	text := bytes.TrimSpace(b)
	if len(text) > 0 && text[0] == '"' {
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return fmt.Errorf("money: %w", err)
		}
		text = []byte(s)
	}
	if bytes.ContainsAny(text, "eE") {
		// decimal accepts exponents; prices are written plainly.
		return fmt.Errorf("money: %q is not a plain decimal amount", text)
	}
	d, err := decimal.NewFromString(string(text))
	if err != nil {
		return fmt.Errorf("money: %q is not a decimal amount", text)
	}
	m.Decimal = d
	return nil
}
