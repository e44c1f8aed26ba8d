package market

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// SignInPhoneChange is the kind of the codes that prove a company's phone
// change: one to the current sign-in phone, one to the new number, each
// bound to the company that asked (SignInCode.SubjectID). They share the
// sign-in codes' table, hashing, attempts and per-phone bound, and are
// never accepted as sign-in codes, nor sign-in codes as these.
const SignInPhoneChange SignInKind = "phone"

// PhoneChangeCodeSent is the one answer to a request for phone-change
// codes, whatever the new number is: the answer must not tell whether it
// is another company's sign-in phone.
var PhoneChangeCodeSent = fmt.Sprintf("A 6-digit code is on its way to your current sign-in phone and one to the new number. They are valid for %d minutes.", int(SignInCodeTTL/time.Minute))

// phoneChangeCurrentSMS asks the current sign-in phone to approve: it says
// what the code does, so that an owner who did not ask knows their token
// is in someone else's hands, and nothing of the new number.
func phoneChangeCurrentSMS(code string) string {
	return fmt.Sprintf("Delivery marketplace: %s is the code to change your shop's sign-in phone. If you did not ask, do not share it and sign out.", code)
}

// phoneChangeNewSMS proves the new number.
func phoneChangeNewSMS(code string) string {
	return fmt.Sprintf("Delivery marketplace: %s is the code to make this number a shop's sign-in phone. It expires in %d minutes.", code, int(SignInCodeTTL/time.Minute))
}

// PhoneChangedSMS is the notice to the old number once the phone has
// changed: that it changed, and nothing else (neither the new number nor
// the shop's name).
const PhoneChangedSMS = "Delivery marketplace: the sign-in phone of your shop was changed, and every session signed out. If it was not you, contact the marketplace."

// PhoneChangeRequest is the body of POST /api/company/phone/code.
type PhoneChangeRequest struct {
	Phone *string `json:"phone"`
	// Client is the address the request came from (market.ClientKey).
	Client string `json:"-"`
}

// PhoneChangeConfirm is the body of POST /api/company/phone.
type PhoneChangeConfirm struct {
	Phone       *string `json:"phone"`
	CurrentCode *string `json:"currentCode"`
	NewCode     *string `json:"newCode"`
	// Client is the address the request came from (market.ClientKey).
	Client string `json:"-"`
}

// PhoneStore changes companies' sign-in phones.
type PhoneStore interface {
	// Profile returns the company's profile, or CodeNotFound.
	Profile(ctx context.Context, company int64) (CompanyProfile, error)
	// ChangePhone sets the company's sign-in phone to phone if it is still
	// old ("" for none; any old when anyOld), and revokes its tokens
	// issued before from, in one statement. CodeConflict with
	// PhoneUnavailable's message if another company has phone,
	// CodePreconditionFailed if the phone is no longer old, CodeNotFound
	// if there is no such company.
	ChangePhone(ctx context.Context, company int64, old, phone string, anyOld bool, from time.Time) (CompanyProfile, error)
}

// PhoneUnavailable is the answer to a phone change whose codes were both
// proven but whose number is another company's sign-in phone: only the
// person who holds that phone can get this far.
const PhoneUnavailable = "this number cannot be used as a sign-in phone; choose another"

// PhoneChange changes a company's sign-in phone, only with a code sent to
// the current phone and one sent to the new number: a stolen token alone
// cannot move the account to another phone, and the number proven is one
// its owner holds.
type PhoneChange struct {
	Codes    SignInStore
	Phones   PhoneStore
	Sessions Sessions
	Texts    TextSender
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log is told when an SMS could not be sent; slog.Default() when nil.
	Log *slog.Logger
	// Limits and Limiter bound the codes asked for and tried, in the same
	// budgets as sign-in's (an SMS is an SMS, a guess a guess).
	Limits  Limits
	Limiter *RateLimiter
}

func (p PhoneChange) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p PhoneChange) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// RequestCodes sends a code to the company's current sign-in phone (if it
// has one) and one to the new number, each within the sign-in bound of
// SignInMaxCodes per phone per SignInWindow, and answers nil whether or
// not the new number is another company's and whether or not a code went
// out. The token that asks must still be valid (issuedAt, Sessions.Check).
// CodeInvalid for a malformed phone or the company's own; CodeThrottled
// when the client, or everyone, asked for too many codes.
func (p PhoneChange) RequestCodes(ctx context.Context, company int64, issuedAt time.Time, req PhoneChangeRequest) error {
	phone, err := requiredPhone(req.Phone)
	if err != nil {
		return err
	}
	if p.Texts == nil {
		return errors.New("phone change: no text sender configured")
	}
	if err := p.Sessions.Check(ctx, PrincipalCompany, company, issuedAt); err != nil {
		return err
	}
	current, err := p.Phones.Profile(ctx, company)
	if err != nil {
		return err
	}
	if phone == current.Phone {
		return FieldError("phone", "this is already your sign-in phone")
	}
	if err := p.Limiter.Allow(ctx, signInCodesKind, ClientKey(req.Client), p.Limits.SignInCodesPerClient,
		"too many codes asked for from this address"); err != nil {
		return err
	}
	if err := p.Limiter.Allow(ctx, signInTotalKind, "", p.Limits.SignInCodesTotal,
		"too many codes asked for just now"); err != nil {
		return err
	}
	if current.Phone != "" {
		if err := p.send(ctx, company, current.Phone, phoneChangeCurrentSMS); err != nil {
			return err
		}
	}
	return p.send(ctx, company, phone, phoneChangeNewSMS)
}

// send stores a code for company and phone and texts it, unless the phone
// got SignInMaxCodes codes of the kind within the window: then, as for
// sign-in, nothing is sent and the answer does not change, and the codes
// it got are still live.
func (p PhoneChange) send(ctx context.Context, company int64, phone string, text func(code string) string) error {
	now := p.now()
	code, salt, hash, err := newSignInCode()
	if err != nil {
		return err
	}
	c := SignInCode{Kind: SignInPhoneChange, Phone: phone, SubjectID: &company, Salt: &salt, Hash: &hash,
		CreatedAt: now, ExpiresAt: now.Add(SignInCodeTTL)}
	id, others, err := p.Codes.AddCode(ctx, c, now.Add(-SignInWindow))
	if err != nil {
		return err
	}
	if len(others) >= SignInMaxCodes {
		return p.Codes.RemoveCode(ctx, id)
	}
	if err := p.Texts.SendText(ctx, phone, text(code)); err != nil {
		p.logger().ErrorContext(ctx, "phone change: code not sent", "error", strings.ReplaceAll(err.Error(), phone, "<phone>"))
	}
	return nil
}

// Confirm changes the company's sign-in phone to req.Phone once both codes
// are proven: the one sent to the current phone (none is asked of a
// company that has no phone yet) and the one sent to the new number, each
// a live phone-change code of this company, each attempt counted. Every
// token of the company issued until now is then revoked, the old number is
// told, and Confirm returns the profile and the cutoff from which the
// company's tokens count (the fresh token is issued from it).
// CodeUnauthorized for a wrong, expired or used code, or a token no longer
// valid; CodeConflict (PhoneUnavailable) for a number that is another
// company's, said only once both codes are proven; CodeInvalid for a
// malformed body; CodeThrottled when the client tried too many codes.
func (p PhoneChange) Confirm(ctx context.Context, company int64, issuedAt time.Time, req PhoneChangeConfirm) (CompanyProfile, time.Time, error) {
	phone, err := requiredPhone(req.Phone)
	if err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	newCode, err := requiredCode("newCode", req.NewCode)
	if err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	if err := p.Sessions.Check(ctx, PrincipalCompany, company, issuedAt); err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	current, err := p.Phones.Profile(ctx, company)
	if err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	if phone == current.Phone {
		return CompanyProfile{}, time.Time{}, FieldError("phone", "this is already your sign-in phone")
	}
	var currentCode string
	if current.Phone != "" {
		if currentCode, err = requiredCode("currentCode", req.CurrentCode); err != nil {
			return CompanyProfile{}, time.Time{}, err
		}
	}
	if err := p.Limiter.Allow(ctx, signInChecksKind, ClientKey(req.Client), p.Limits.SignInChecksPerClient,
		"too many codes tried from this address"); err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	now := p.now()
	// Both are tried, so that a wrong code costs an attempt on each phone
	// whichever of the two it was.
	var proofs []int64
	okCurrent := true
	if current.Phone != "" {
		id, ok, err := p.prove(ctx, company, current.Phone, currentCode, now)
		if err != nil {
			return CompanyProfile{}, time.Time{}, err
		}
		okCurrent = ok
		proofs = append(proofs, id)
	}
	idNew, okNew, err := p.prove(ctx, company, phone, newCode, now)
	if err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	proofs = append(proofs, idNew)
	if !okCurrent || !okNew {
		return CompanyProfile{}, time.Time{}, wrongPhoneCodes(okCurrent, okNew)
	}
	for _, id := range proofs {
		used, err := p.Codes.UseCode(ctx, id, now)
		if err != nil {
			return CompanyProfile{}, time.Time{}, err
		}
		if !used {
			return CompanyProfile{}, time.Time{}, wrongPhoneCodes(false, false)
		}
	}
	cutoff := RevocationCutoff(now, issuedAt)
	profile, err := p.Phones.ChangePhone(ctx, company, current.Phone, phone, false, cutoff)
	if err != nil {
		return CompanyProfile{}, time.Time{}, err
	}
	if current.Phone != "" {
		if err := p.Texts.SendText(ctx, current.Phone, PhoneChangedSMS); err != nil {
			p.logger().ErrorContext(ctx, "phone change: notice to the old phone not sent", "companyId", company,
				"error", strings.ReplaceAll(err.Error(), current.Phone, "<phone>"))
		}
	}
	return profile, cutoff, nil
}

// prove returns the company's live phone-change code of phone that code
// matches, counting an attempt on each it is tried against.
func (p PhoneChange) prove(ctx context.Context, company int64, phone, code string, now time.Time) (int64, bool, error) {
	live, err := p.Codes.LiveCodes(ctx, SignInPhoneChange, phone, now, SignInMaxCodes)
	if err != nil {
		return 0, false, err
	}
	for _, c := range live {
		if c.SubjectID == nil || *c.SubjectID != company || c.Hash == nil || c.Salt == nil {
			continue
		}
		counted, err := p.Codes.CountAttempt(ctx, c.ID, SignInMaxAttempts, now)
		if err != nil {
			return 0, false, err
		}
		if counted && codeMatches(code, *c.Salt, *c.Hash) {
			return c.ID, true, nil
		}
	}
	return 0, false, nil
}

// wrongPhoneCodes says which code failed: both phones are the company's
// own concern, so naming one tells nothing of anyone else.
func wrongPhoneCodes(currentOK, newOK bool) error {
	var which []string
	if !currentOK {
		which = append(which, "currentCode")
	}
	if !newOK {
		which = append(which, "newCode")
	}
	return &Error{
		Code:    CodeUnauthorized,
		Message: "a code is wrong, expired or used up; ask for new codes",
		Details: map[string][]string{"fields": which},
	}
}

func requiredCode(field string, code *string) (string, error) {
	if code == nil {
		return "", FieldError(field, "%s is required", field)
	}
	c := strings.TrimSpace(*code)
	if !isCode(c) {
		return "", FieldError(field, "%s must be the %d digits sent by SMS", field, signInCodeDigits)
	}
	return c, nil
}

// SetCompanyPhone is the operator's change of a company's sign-in phone,
// for a company that lost its old one: no code is asked, every token of
// the company is revoked, and the old number, if any, is told (texts may
// be nil where no SMS can be sent). CodeConflict (PhoneUnavailable) if
// another company has phone.
func SetCompanyPhone(ctx context.Context, phones PhoneStore, texts TextSender, company int64, phone string, now time.Time) (CompanyProfile, error) {
	phone, err := NormalizePhoneField("phone", phone)
	if err != nil {
		return CompanyProfile{}, err
	}
	current, err := phones.Profile(ctx, company)
	if err != nil {
		return CompanyProfile{}, err
	}
	profile, err := phones.ChangePhone(ctx, company, "", phone, true, OperatorCutoff(now))
	if err != nil {
		return CompanyProfile{}, err
	}
	if texts != nil && current.Phone != "" && current.Phone != phone {
		if err := texts.SendText(ctx, current.Phone, PhoneChangedSMS); err != nil {
			return profile, fmt.Errorf("phone changed, but the notice to the old phone was not sent: %s",
				strings.ReplaceAll(err.Error(), current.Phone, "<phone>"))
		}
	}
	return profile, nil
}
