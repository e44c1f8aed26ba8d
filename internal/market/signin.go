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
	// SignInMaxCodes codes at most are sent to one phone (of one kind)
	// within SignInWindow: that bounds what anyone can make a number
	// receive, and the guesses anyone can make at its codes. A request
	// over it is answered as one that sent a code, and sends nothing.
	SignInMaxCodes = 3
	SignInWindow   = 15 * time.Minute
	// SignInCodeTTL is how long a code can be used. It is the window, so
	// that whenever a phone may get no new code, the codes it got within
	// the window are still live: a stranger who asks for codes for
	// someone's phone only sends its owner codes they can use.
	SignInCodeTTL = SignInWindow
	// SignInMaxAttempts is how many guesses a code allows, right or wrong;
	// after them the code is dead. A guess is tried against every live
	// code of the phone and counts against each it is tried against.
	SignInMaxAttempts = 5
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
// phone belongs to anyone and whether or not a code was sent: the answer
// must not tell.
var SignInCodeSent = fmt.Sprintf("If this number belongs to an active account, a 6-digit code is on its way. It is valid for %d minutes.", int(SignInCodeTTL/time.Minute))

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
	// LiveCodes returns up to limit unused codes of kind and phone that
	// expire after now, oldest first; none is not an error.
	LiveCodes(ctx context.Context, kind SignInKind, phone string, now time.Time, limit int) ([]SignInCode, error)
	// CountAttempt counts one attempt on the code with id if it is unused,
	// expires after now and has had fewer than max; false (and nothing
	// changed) if not. Concurrent calls never count more than max.
	CountAttempt(ctx context.Context, id int64, max int, now time.Time) (bool, error)
	// UseCode marks the code with id used if it is unused and expires
	// after now; false (and nothing changed) if not. Of concurrent calls at
	// most one wins.
	UseCode(ctx context.Context, id int64, now time.Time) (bool, error)
}

// CodeRequest is the body of POST /api/{carrier,company}/session/code,
// and the client it came from.
type CodeRequest struct {
	Phone *string `json:"phone"`
	// Client is the address the request came from, never read from the
	// body: the per-client limits key on it (ClientKey).
	Client string `json:"-"`
}

// SessionRequest is the body of POST /api/{carrier,company}/session, and
// the client it came from.
type SessionRequest struct {
	Phone *string `json:"phone"`
	Code  *string `json:"code"`
	// Client is the address the request came from, as in CodeRequest.
	Client string `json:"-"`
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
	// waits for the SMS to be handed to SNS and an unknown one (or one
	// over SignInMaxCodes) does not, so without a floor the answer's
	// timing would tell which phones belong to someone.
	MinAnswer time.Duration
	// Limits holds the per-client and total bounds on code requests and
	// checks (SignInCodesPerClient, SignInCodesTotal,
	// SignInChecksPerClient), counted by Limiter; a nil Limiter counts
	// nothing.
	Limits  Limits
	Limiter *RateLimiter
}

// The rate-limit kinds of sign-in. Carriers and companies share them, so
// that one client gets one budget whichever kind it asks for.
const (
	signInCodesKind  = "signin-codes"
	signInTotalKind  = "signin-codes-total"
	signInChecksKind = "signin-checks"
)

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
// account of s.Kind and got fewer than SignInMaxCodes within SignInWindow,
// and answers nil whether or not it does. CodeThrottled (with RetryAfter)
// when req.Client asked for too many codes, or everyone together did:
// those speak of the client and of everyone, never of the phone.
// CodeInvalid for a malformed phone.
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
	// The client's bound first, so that one client's flood is refused
	// before it spends what everyone shares.
	if err := s.Limiter.Allow(ctx, signInCodesKind, ClientKey(req.Client), s.Limits.SignInCodesPerClient,
		"too many sign-in codes asked for from this address"); err != nil {
		return err
	}
	if err := s.Limiter.Allow(ctx, signInTotalKind, "", s.Limits.SignInCodesTotal,
		"too many sign-in codes asked for just now"); err != nil {
		return err
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
		// Nothing is sent, and the answer is that of a sent code: a
		// refusal would tell that someone asked for this phone, and the
		// codes sent within the window are still live for its owner. A
		// request that sent nothing does not count against the next
		// window.
		return s.Store.RemoveCode(ctx, id)
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

// Redeem checks a code against every live code of the phone, each with
// its own attempts, and returns who it signs in: the owner can use any
// code their phone got, one a stranger's request caused included. Every
// attempt counts, right or wrong, against each code it is tried against;
// a code signs in once, and a sign-in retires the phone's other codes.
// Every failure is the same CodeUnauthorized, whether the phone is
// unknown or the code wrong, expired, used or out of attempts;
// CodeThrottled (with RetryAfter) when req.Client tried too many codes,
// over every phone; CodeInvalid for a malformed phone or code.
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
	if err := s.Limiter.Allow(ctx, signInChecksKind, ClientKey(req.Client), s.Limits.SignInChecksPerClient,
		"too many sign-in codes tried from this address"); err != nil {
		return SignInSubject{}, err
	}
	now := s.now()
	// No more than SignInMaxCodes, the oldest: a request over the bound
	// holds a code of its own for the moment until it removes it, and a
	// code never sent must not be one more to guess at.
	live, err := s.Store.LiveCodes(ctx, s.Kind, phone, now, SignInMaxCodes)
	if err != nil {
		return SignInSubject{}, err
	}
	var c *SignInCode
	for i := range live {
		// The attempt is counted before the code is compared, so that
		// concurrent guesses get SignInMaxAttempts comparisons per code
		// in all.
		counted, err := s.Store.CountAttempt(ctx, live[i].ID, SignInMaxAttempts, now)
		if err != nil {
			return SignInSubject{}, err
		}
		k := live[i]
		if counted && k.SubjectID != nil && k.Hash != nil && k.Salt != nil && codeMatches(code, *k.Salt, *k.Hash) {
			c = &live[i]
			break
		}
	}
	if c == nil {
		return SignInSubject{}, errWrongCode
	}
	used, err := s.Store.UseCode(ctx, c.ID, now)
	if err != nil {
		return SignInSubject{}, err
	}
	if !used {
		return SignInSubject{}, errWrongCode
	}
	// The owner is in: the phone's other codes would serve only a
	// guesser now.
	for _, other := range live {
		if other.ID == c.ID {
			continue
		}
		if _, err := s.Store.UseCode(ctx, other.ID, now); err != nil {
			s.logger().WarnContext(ctx, "sign-in: other codes not retired", "kind", string(s.Kind), "error", err)
			break
		}
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
