package app_test

import (
	"context"
	"maps"
	"time"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

// withSessions adds the signin function's sign-out and phone-change
// routes to endpoints, over the fuzz world's fakes.
func withSessions(endpoints map[string]apigw.Endpoint, codes market.SignInStore, profiles *fuzzProfiles, texts market.TextSender, signer apigw.Signer) map[string]apigw.Endpoint {
	sessions := market.Sessions{Store: fuzzAccess{profiles: profiles}}
	s := apigw.Sessions{
		Sessions: sessions,
		Phones:   market.PhoneChange{Codes: codes, Phones: profiles, Sessions: sessions, Texts: texts},
		Signer:   signer,
	}
	maps.Copy(endpoints, s.Endpoints())
	return endpoints
}

// fuzzAccess knows the fuzz world's companies and carriers 1 and 2, all
// enabled, with every token counting.
type fuzzAccess struct {
	profiles *fuzzProfiles
}

func (a fuzzAccess) Access(ctx context.Context, kind market.PrincipalKind, id int64) (market.Access, error) {
	if kind == market.PrincipalCompany {
		if _, err := a.profiles.Profile(ctx, id); err != nil {
			return market.Access{}, err
		}
	} else if id != 1 && id != 2 {
		return market.Access{}, market.Errorf(market.CodeNotFound, "no such carrier")
	}
	return market.Access{Enabled: true}, nil
}

func (a fuzzAccess) RevokeTokens(ctx context.Context, kind market.PrincipalKind, id int64, _ time.Time) error {
	_, err := a.Access(ctx, kind, id)
	return err
}

func (a fuzzAccess) SetEnabled(ctx context.Context, kind market.PrincipalKind, id int64, _ bool, _ time.Time) error {
	_, err := a.Access(ctx, kind, id)
	return err
}

// ChangePhone changes a company's phone as the store does: a phone
// another company has is CodeConflict, a phone that moved meanwhile
// CodePreconditionFailed.
func (s *fuzzProfiles) ChangePhone(ctx context.Context, company int64, old, phone string, anyOld bool, _ time.Time) (market.CompanyProfile, error) {
	p, err := s.Profile(ctx, company)
	if err != nil {
		return p, err
	}
	for id, other := range s.profiles {
		if id != company && other.Phone == phone {
			return market.CompanyProfile{}, market.Errorf(market.CodeConflict, market.PhoneUnavailable)
		}
	}
	if !anyOld && p.Phone != old {
		return market.CompanyProfile{}, market.Errorf(market.CodePreconditionFailed, "the phone moved")
	}
	p.Phone, p.Version = phone, p.Version+1
	s.profiles[company] = p
	return p, nil
}
