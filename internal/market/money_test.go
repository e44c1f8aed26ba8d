package market_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/deliverymarket/delivery/internal/market"
)

func TestMoneyMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "one decimal gets two", in: "4.5", want: `"4.50"`},
		{name: "zero", in: "0", want: `"0.00"`},
		{name: "a million", in: "1000000", want: `"1000000.00"`},
		{name: "already two decimals", in: "0.10", want: `"0.10"`},
		{name: "largest price", in: "9999999999.99", want: `"9999999999.99"`},
		{name: "negative", in: "-3.1", want: `"-3.10"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(market.MustMoney(tt.in))
			if err != nil {
				t.Fatalf("json.Marshal(%s) error = %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal(%s) = %s, want %s", tt.in, got, tt.want)
			}
			// Inside a struct, by value and by pointer, the same.
			m := market.MustMoney(tt.in)
			got, err = json.Marshal(struct {
				V market.Money  `json:"v"`
				P *market.Money `json:"p"`
			}{m, &m})
			if want := `{"v":` + tt.want + `,"p":` + tt.want + `}`; err != nil || string(got) != want {
				t.Errorf("json.Marshal(struct with %s) = %s, %v, want %s", tt.in, got, err, want)
			}
		})
	}
}

func TestMoneyUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // decimal value; "" means an error is expected
		wantErr bool
	}{
		{name: "string", in: `"4.50"`, want: "4.5"},
		{name: "number", in: `4.5`, want: "4.5"},
		{name: "integer", in: `7`, want: "7"},
		{name: "string dime", in: `"0.10"`, want: "0.1"},
		{name: "beyond float64 precision", in: `12345678901234567.89`, want: "12345678901234567.89"},
		{name: "surrounding space", in: ` 4.50 `, want: "4.5"},
		{name: "exponent number", in: `1e3`, wantErr: true},
		{name: "exponent string", in: `"1e3"`, wantErr: true},
		{name: "upper-case exponent", in: `"1E3"`, wantErr: true},
		{name: "letters", in: `"abc"`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "empty string", in: `""`, wantErr: true},
		{name: "boolean", in: `true`, wantErr: true},
		{name: "array", in: `[4.5]`, wantErr: true},
		{name: "broken string", in: `"4.5`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m market.Money
			err := m.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("UnmarshalJSON(%s) = %s, want an error", tt.in, m)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalJSON(%s) error = %v", tt.in, err)
			}
			if want := decimal.RequireFromString(tt.want); !m.Equal(want) {
				t.Errorf("UnmarshalJSON(%s) = %s, want %s", tt.in, m.Decimal, want)
			}
		})
	}
}

// encoding/json calls UnmarshalJSON for a null field too; a price that is
// null must not silently become zero.
func TestMoneyNullFieldRefused(t *testing.T) {
	var v struct {
		Price market.Money `json:"price"`
	}
	if err := json.Unmarshal([]byte(`{"price": null}`), &v); err == nil {
		t.Errorf("json.Unmarshal(price null) = %s, want an error", v.Price)
	}
	if err := json.Unmarshal([]byte(`{"price": "12.30"}`), &v); err != nil || v.Price.String() != "12.30" {
		t.Errorf("json.Unmarshal(price \"12.30\") = %s, %v, want 12.30", v.Price, err)
	}
}

func TestMoneyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "cents", in: "0.01"},
		{name: "dime", in: "0.10"},
		{name: "large", in: "9999999999.99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(market.MustMoney(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var back market.Money
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("json.Unmarshal(%s) error = %v", b, err)
			}
			if back.String() != tt.in {
				t.Errorf("round trip of %s = %s, want %s", tt.in, back, tt.in)
			}
		})
	}
}

// Money's String says "exactly two decimals"; fmt must agree, or log lines
// and messages built with %s or %v show "9.9" for a price of 9.90.
// decimal.Decimal implements fmt.Formatter, which fmt prefers over
// Stringer, so Money needs a Format method of its own.
func TestMoneyFormat(t *testing.T) {
	m := market.MustMoney("9.9")
	tests := []struct {
		name   string
		format string
		want   string
	}{
		{name: "String", format: "", want: "9.90"},
		{name: "%s", format: "%s", want: "9.90"},
		{name: "%v", format: "%v", want: "9.90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.String()
			if tt.format != "" {
				got = fmt.Sprintf(tt.format, m)
			}
			if got != tt.want {
				t.Errorf("Sprintf(%q, Money(9.9)) = %q, want %q", tt.format, got, tt.want)
			}
		})
	}
}
