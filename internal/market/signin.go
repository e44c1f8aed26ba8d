package market

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
)

// SignInKind is who signs in by SMS code: a carrier or a company.
type SignInKind string

// The kinds of SMS sign-in. Each has its own codes and limits, so a phone
// that is both a carrier's and a company's signs in to each separately.
const (
	SignInCarrier SignInKind = "carrier"
	SignInCompany SignInKind = "company"
)

// The rules of SMS sign-in.
const (
	// SignInCodeTTL is how long a code can be used.
	SignInCodeTTL = 10 * time.Minute
	// SignInMaxAttempts is how many guesses a code allows, right or wrong;
	// after them the code is dead.
	SignInMaxAttempts = 5
	// SignInMaxCodes codes may be requested for one phone (of one kind)
	// within SignInWindow; more are throttled.
	SignInMaxCodes = 3
	SignInWindow   = 15 * time.Minute
	// SignInRetention is how long a code's row is kept: far past its
	// expiry and the throttle window, short enough that requests for
	// numbers nobody has cannot pile up.
	SignInRetention = 24 * time.Hour
	// signInPruneBatch rows at most are forgotten per request: more than
	// the one it adds, so the table stays bounded without a sweep.
	signInPruneBatch = 10

	signInCodeDigits = 6
	signInSaltBytes  = 16
)

// SignInCodeSent is the one answer to a code request, whether or not the
// phone belongs to anyone: the answer must not tell.
const SignInCodeSent = "If this number belongs to an active account, a 6-digit code is on its way. It is valid for 10 minutes."

// SignInCodeSMS is the text that carries a code: the code and nothing
// else about the person, in GSM-7 so that it is one plain SMS.
func SignInCodeSMS(code string) string {
	return fmt.Sprintf("Your Delivery marketplace sign-in code is %s. It expires in %d minutes.", code, int(SignInCodeTTL/time.Minute))
}

// errWrongCode is every failed sign-in alike: the answer does not say
// whether the phone belongs to anyone, nor which check failed.
var errWrongCode = Errorf(CodeUnauthorized, "the code is wrong, expired or used up; request a new one")

// RetryAfter is the Details of a CodeThrottled error.
type RetryAfter struct {
	Seconds int `json:"retryAfterSeconds"`
}

// SignInSubject is the carrier or company a code signs in.
type SignInSubject struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// SignInCode is one code request as stored. For a phone that belongs to
// nobody it is stored too, without subject, hash or salt, so that the
// request limit counts it the same.
type SignInCode struct {
	ID        int64      `db:"id"`
	Kind      SignInKind `db:"kind"`
	Phone     string     `db:"phone"`
	SubjectID *int64     `db:"subject_id"`
	Hash      *string    `db:"code_hash"` // hex HMAC-SHA256 of the code, keyed with Salt
	Salt      *string    `db:"salt"`      // hex, random per code
	Attempts  int        `db:"attempts"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
}

// SignInStore keeps the codes and finds who a phone belongs to.
type SignInStore interface {
	// SignInSubject returns the active carrier (kind carrier) or the
	// company (kind company) whose phone it is, or CodeNotFound.
	SignInSubject(ctx context.Context, kind SignInKind, phone string) (SignInSubject, error)
	// AddCode stores c and returns its id and the creation times of the
	// other codes of its kind and phone created after since, oldest first.
	AddCode(ctx context.Context, c SignInCode, since time.Time) (int64, []time.Time, error)
	// RemoveCode deletes the code with id.
	RemoveCode(ctx context.Context, id int64) error
	// PruneCodes deletes up to limit codes created before before, oldest
	// first.
	PruneCodes(ctx context.Context, before time.Time, limit int) error
	// NewestCode returns the newest unused code of kind and phone that
	// expires after now, or CodeNotFound.
	NewestCode(ctx context.Context, kind SignInKind, phone string, now time.Time) (SignInCode, error)
	// CountAttempt counts one attempt on the code with id if it is unused,
	// expires after now and has had fewer than max; false (and nothing
	// changed) if not. Concurrent calls never count more than max.
	CountAttempt(ctx context.Context, id int64, max int, now time.Time) (bool, error)
	// UseCode marks the code with id used if it is unused and expires
	// after now; false (and nothing changed) if not. Of concurrent calls at
	// most one wins.
	UseCode(ctx context.Context, id int64, now time.Time) (bool, error)
}

// CodeRequest is the body of POST /api/{carrier,company}/session/code.
type CodeRequest struct {
	Phone *string `json:"phone"`
}

// SessionRequest is the body of POST /api/{carrier,company}/session.
type SessionRequest struct {
	Phone *string `json:"phone"`
	Code  *string `json:"code"`
}

// SignIn is SMS sign-in for one kind: it sends codes and redeems them.
type SignIn struct {
	Kind  SignInKind
	Store SignInStore
	Texts TextSender
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log is told when a code could not be sent; slog.Default() when nil.
	Log *slog.Logger
	// MinAnswer is how long a code request takes at least. A known phone
	// waits for the SMS to be handed to SNS and an unknown one does not,
	// so without a floor the answer's timing would tell which phones
	// belong to someone.
	MinAnswer time.Duration
}

// SignInMinAnswer is the floor the deployed functions use: well above the
// time SNS takes to accept an SMS.
const SignInMinAnswer = 400 * time.Millisecond

func (s SignIn) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s SignIn) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RequestCode sends a new code to the phone if it belongs to an active
// account of s.Kind, and answers the same whether or not it does: nil, or
// CodeThrottled (with RetryAfter) once SignInMaxCodes codes were requested
// for the phone within SignInWindow, or CodeInvalid for a malformed phone.
func (s SignIn) RequestCode(ctx context.Context, req CodeRequest) error {
	phone, err := requiredPhone(req.Phone)
	if err != nil {
		return err
	}
	if s.Texts == nil {
		return errors.New("sign-in: no text sender configured")
	}
	if s.MinAnswer > 0 {
		floor := time.NewTimer(s.MinAnswer)
		defer func() {
			select {
			case <-floor.C:
			case <-ctx.Done():
				floor.Stop()
			}
		}()
	}
	subject, err := s.Store.SignInSubject(ctx, s.Kind, phone)
	known := err == nil
	if err != nil && ErrorCode(err) != CodeNotFound {
		return err
	}
	now := s.now()
	// Housekeeping: a failure here (a deadlock, say) must not refuse the
	// person asking; the next request prunes instead.
	if err := s.Store.PruneCodes(ctx, now.Add(-SignInRetention), signInPruneBatch); err != nil {
		s.logger().WarnContext(ctx, "sign-in: old codes not pruned", "error", err)
	}
	c := SignInCode{Kind: s.Kind, Phone: phone, CreatedAt: now, ExpiresAt: now.Add(SignInCodeTTL)}
	var code string
	if known {
		var salt, hash string
		if code, salt, hash, err = newSignInCode(); err != nil {
			return err
		}
		c.SubjectID, c.Salt, c.Hash = &subject.ID, &salt, &hash
	}
	// Storing first and counting after, rather than the reverse, lets no
	// two concurrent requests both pass as the third: each sees the other.
	id, others, err := s.Store.AddCode(ctx, c, now.Add(-SignInWindow))
	if err != nil {
		return err
	}
	if len(others) >= SignInMaxCodes {
		// A refused request does not count against the next window.
		if err := s.Store.RemoveCode(ctx, id); err != nil {
			return err
		}
		return throttled(others[0], now)
	}
	if !known {
		return nil
	}
	if err := s.Texts.SendText(ctx, phone, SignInCodeSMS(code)); err != nil {
		// Answered like any other request, or a failing SMS would tell
		// which phones are known; the person asks again.
		s.logger().ErrorContext(ctx, "sign-in: code not sent", "kind", string(s.Kind),
			"error", strings.ReplaceAll(err.Error(), phone, "<phone>"))
	}
	return nil
}

// throttled is the answer to a request over the limit: when the oldest
// request in the window leaves it, one more is allowed.
func throttled(oldest, now time.Time) error {
	wait := oldest.Add(SignInWindow).Sub(now)
	seconds := int((wait + time.Second - 1) / time.Second)
	if seconds < 1 {
		seconds = 1
	}
	return &Error{
		Code:    CodeThrottled,
		Message: fmt.Sprintf("at most %d codes per %d minutes for one number; try again in %d seconds", SignInMaxCodes, int(SignInWindow/time.Minute), seconds),
		Details: RetryAfter{Seconds: seconds},
	}
}

// Redeem checks a code against the newest live code of the phone and
// returns who it signs in. Every attempt counts, right or wrong; a code
// signs in once. Every failure is the same CodeUnauthorized, whether the
// phone is unknown or the code wrong, expired, used or out of attempts;
// CodeInvalid for a malformed phone or code.
func (s SignIn) Redeem(ctx context.Context, req SessionRequest) (SignInSubject, error) {
	phone, err := requiredPhone(req.Phone)
	if err != nil {
		return SignInSubject{}, err
	}
	if req.Code == nil {
		return SignInSubject{}, FieldError("code", "code is required")
	}
	code := strings.TrimSpace(*req.Code)
	if !isCode(code) {
		return SignInSubject{}, FieldError("code", "code must be the %d digits sent by SMS", signInCodeDigits)
	}
	now := s.now()
	c, err := s.Store.NewestCode(ctx, s.Kind, phone, now)
	if ErrorCode(err) == CodeNotFound {
		return SignInSubject{}, errWrongCode
	}
	if err != nil {
		return SignInSubject{}, err
	}
	// The attempt is counted before the code is compared, so that
	// concurrent guesses get SignInMaxAttempts comparisons in all.
	counted, err := s.Store.CountAttempt(ctx, c.ID, SignInMaxAttempts, now)
	if err != nil {
		return SignInSubject{}, err
	}
	if !counted || c.SubjectID == nil || c.Hash == nil || c.Salt == nil || !codeMatches(code, *c.Salt, *c.Hash) {
		return SignInSubject{}, errWrongCode
	}
	used, err := s.Store.UseCode(ctx, c.ID, now)
	if err != nil {
		return SignInSubject{}, err
	}
	if !used {
		return SignInSubject{}, errWrongCode
	}
	// The phone must still be the same account's: a carrier removed, or a
	// company that changed its phone, since the code was sent is refused.
	subject, err := s.Store.SignInSubject(ctx, s.Kind, phone)
	if ErrorCode(err) == CodeNotFound || err == nil && subject.ID != *c.SubjectID {
		return SignInSubject{}, errWrongCode
	}
	return subject, err
}

func requiredPhone(phone *string) (string, error) {
	if phone == nil {
		return "", FieldError("phone", "phone is required")
	}
	return NormalizePhoneField("phone", *phone)
}

func isCode(s string) bool {
	if len(s) != signInCodeDigits {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newSignInCode returns a random code, a random salt and the code's hash
// under that salt: only the salt and the hash are stored.
func newSignInCode() (code, salt, hash string, err error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", "", "", fmt.Errorf("sign-in code: %w", err)
	}
	saltBytes := make([]byte, signInSaltBytes)
	if _, err := rand.Read(saltBytes); err != nil {
		return "", "", "", fmt.Errorf("sign-in salt: %w", err)
	}
	code = fmt.Sprintf("%0*d", signInCodeDigits, n.Int64())
	return code, hex.EncodeToString(saltBytes), codeHash(code, saltBytes), nil
}

func codeHash(code string, salt []byte) string {
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(code))
	return hex.EncodeToString(mac.Sum(nil))
}

// codeMatches compares in constant time, so that timing tells nothing of
// how close a guess was.
func codeMatches(code, salt, hash string) bool {
	saltBytes, err := hex.DecodeString(salt)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(codeHash(code, saltBytes)), []byte(hash)) == 1
}
