package market

import (
	"testing"
	"time"
)

func TestAccessRefusal(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 500_000_000, time.UTC)
	tests := []struct {
		name   string
		kind   PrincipalKind
		access Access
		issued time.Time
		want   bool // refused
	}{
		{"enabled, every token counts", PrincipalCompany, Access{Enabled: true}, at, false},
		{"disabled company", PrincipalCompany, Access{Enabled: false}, at, true},
		{"suspended carrier", PrincipalCarrier, Access{Enabled: false}, at, true},
		{"issued a millisecond before the cutoff", PrincipalCompany, Access{Enabled: true, TokensValidFrom: at.UnixMilli() + 1}, at, true},
		{"issued at the cutoff", PrincipalCarrier, Access{Enabled: true, TokensValidFrom: at.UnixMilli()}, at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.access.Refusal(tt.kind, 7, tt.issued) != ""; got != tt.want {
				t.Errorf("Refusal(%+v, %v) refuses = %v, want %v", tt.access, tt.issued, got, tt.want)
			}
		})
	}
}

func TestRevocationCutoff(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 500_400_000, time.UTC)
	tests := []struct {
		name string
		used time.Time
		want time.Time
	}{
		{"no token asked", time.Time{}, now.Truncate(time.Millisecond)},
		{"the token asking is older", now.Add(-time.Hour), now.Truncate(time.Millisecond)},
		// A clock ahead minted it: it must be refused all the same.
		{"the token asking is from a clock ahead", now.Add(2 * time.Millisecond), now.Truncate(time.Millisecond).Add(3 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RevocationCutoff(now, tt.used)
			if !got.Equal(tt.want) {
				t.Errorf("RevocationCutoff(%v, %v) = %v, want %v", now, tt.used, got, tt.want)
			}
			if !tt.used.IsZero() && (Access{Enabled: true, TokensValidFrom: got.UnixMilli()}).Refusal(PrincipalCompany, 1, tt.used) == "" {
				t.Errorf("the token that asked, issued %v, survives its own revocation", tt.used)
			}
		})
	}
}
