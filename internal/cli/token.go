package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/deliverymarket/delivery/internal/auth"
)

// CompanyTokenTTL is a company token's lifetime unless -ttl says
// otherwise; a carrier token's is auth.SessionTTL, as one from SMS
// sign-in.
const CompanyTokenTTL = 24 * time.Hour

// TokenFlags are the flags of a command that mints a token: whom it speaks
// for (-company or -carrier) and for how long (-ttl).
type TokenFlags struct {
	flags            *flag.FlagSet
	company, carrier *int64
	ttl              *time.Duration
}

// AddTokenFlags defines -company, -carrier and -ttl in flags.
func AddTokenFlags(flags *flag.FlagSet) *TokenFlags {
	return &TokenFlags{
		flags:   flags,
		company: flags.Int64("company", 0, "id of the company the token speaks for (this or -carrier)"),
		carrier: flags.Int64("carrier", 0, "id of the carrier the token speaks for (this or -company)"),
		ttl:     flags.Duration("ttl", 0, fmt.Sprintf("how long the token is valid (default %s for a company, %s for a carrier)", CompanyTokenTTL, auth.SessionTTL)),
	}
}

// Mint mints the token the parsed flags ask for with keyring; a usage
// error unless they name exactly one company or carrier.
func (t *TokenFlags) Mint(keyring auth.Keyring) (string, error) {
	set := map[string]bool{}
	t.flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["company"] == set["carrier"]:
		return "", Usagef("name exactly one of -company ID and -carrier ID")
	case set["company"] && *t.company < 1:
		return "", Usagef("-company must name a company id, e.g. -company 1")
	case set["carrier"] && *t.carrier < 1:
		return "", Usagef("-carrier must name a carrier id, e.g. -carrier 1")
	}
	ttl := *t.ttl
	if set["carrier"] {
		if ttl == 0 {
			ttl = auth.SessionTTL
		}
		return keyring.MintCarrier(*t.carrier, ttl)
	}
	if ttl == 0 {
		ttl = CompanyTokenTTL
	}
	return keyring.Mint(*t.company, auth.DefaultScopes, ttl)
}
