package market

import (
	"context"
	"encoding/json"
)

// Limits of the people records.
const (
	MaxCarrierName    = 100
	MaxCompanyAddress = 300
)

// Carrier is a person who claims and delivers orders. The phone is where
// they receive the order SMS and their sign-in codes; it is shown to
// nobody through the API.
type Carrier struct {
	ID     int64  `db:"id" json:"id"`
	Name   string `db:"name" json:"name"`
	Phone  string `db:"phone" json:"-"`
	Active bool   `db:"active" json:"-"`
}

// NewCarrier validates an operator's new carrier: a name of 1..100
// characters (what shoppers see once the carrier accepts their order) and
// an E.164 phone.
func NewCarrier(name, phone string) (Carrier, error) {
	name, err := cleanText("name", name, 1, MaxCarrierName)
	if err != nil {
		return Carrier{}, err
	}
	if phone, err = NormalizePhoneField("phone", phone); err != nil {
		return Carrier{}, err
	}
	return Carrier{Name: name, Phone: phone, Active: true}, nil
}

// CarrierStore keeps the carrier records.
type CarrierStore interface {
	// AddCarrier stores a new active carrier; CodeConflict if a carrier
	// with that phone exists (active or not).
	AddCarrier(ctx context.Context, c Carrier) (Carrier, error)
	// SetCarrierActive activates or deactivates the carrier with phone;
	// CodeNotFound if there is none.
	SetCarrierActive(ctx context.Context, phone string, active bool) (Carrier, error)
	// Carriers lists every carrier, in id order.
	Carriers(ctx context.Context) ([]Carrier, error)
	// CarrierByPhone returns the carrier with phone, or CodeNotFound.
	CarrierByPhone(ctx context.Context, phone string) (Carrier, error)
	// CarrierByID returns the carrier with id, or CodeNotFound.
	CarrierByID(ctx context.Context, id int64) (Carrier, error)
}

// CompanyProfile is a company's pickup details, as the company reads and
// changes them. Carriers see the address and phone only with the delivery
// details of an order they hold.
type CompanyProfile struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Version int64  `json:"version"`
	// Location is where carriers pick orders up, nil until the company
	// sets it; the rest is when and how fast it prepares orders.
	Location     *Location    `json:"location"`
	PrepMinutes  int          `json:"prepMinutes"`
	OpeningHours OpeningHours `json:"openingHours"`
	Paused       bool         `json:"paused"`
	// Timezone is the marketplace's, in which the hours are read; the
	// handler fills it in.
	Timezone string `json:"timezone"`
}

// ProfileInput is the body of PUT /api/company/profile. The name is the
// shop's identity in orders and is not changed here, nor is the phone,
// which is where the shop signs in: it changes only with codes sent to
// both numbers (PhoneChange); a phone here must be the current one.
// Location, prepMinutes, openingHours and paused are kept as they are when
// the body leaves them out; a location of null removes it, openingHours of
// null opens the shop at every hour.
type ProfileInput struct {
	Address      *string         `json:"address"`
	Phone        *string         `json:"phone"`
	Version      *int64          `json:"version"`
	Location     json.RawMessage `json:"location"`
	PrepMinutes  *int            `json:"prepMinutes"`
	OpeningHours json.RawMessage `json:"openingHours"`
	Paused       *bool           `json:"paused"`
}

// ProfileDraft is a validated ProfileInput. A nil pointer keeps what is
// stored.
type ProfileDraft struct {
	Address string
	// Phone is the phone the body named, "" if none: never stored, only
	// checked against the current one (PhoneRefusal).
	Phone string
	// SetLocation says Location replaces the stored one (nil removes it).
	SetLocation  bool
	Location     *Location
	PrepMinutes  *int
	OpeningHours *OpeningHours
	Paused       *bool
}

// Validate checks the pickup details: an address of 1..300 characters,
// required, and an E.164 phone if one is given.
func (in ProfileInput) Validate() (ProfileDraft, error) {
	if in.Address == nil {
		return ProfileDraft{}, FieldError("address", "address is required")
	}
	address, err := cleanText("address", *in.Address, 1, MaxCompanyAddress)
	if err != nil {
		return ProfileDraft{}, err
	}
	d := ProfileDraft{Address: address, PrepMinutes: in.PrepMinutes, Paused: in.Paused}
	if in.Phone != nil {
		if d.Phone, err = NormalizePhoneField("phone", *in.Phone); err != nil {
			return ProfileDraft{}, err
		}
	}
	if in.Location != nil {
		d.SetLocation = true
		if string(in.Location) != "null" {
			var l Location
			if err := json.Unmarshal(in.Location, &l); err != nil {
				return ProfileDraft{}, FieldError("location", `location must be {"lat": 38.7105, "lng": -9.1365} or null`)
			}
			if l, err = ValidLocation("location", l); err != nil {
				return ProfileDraft{}, err
			}
			d.Location = &l
		}
	}
	if p := in.PrepMinutes; p != nil && (*p < MinPrepMinutes || *p > MaxPrepMinutes) {
		return ProfileDraft{}, FieldError("prepMinutes", "prepMinutes must be a whole number of minutes from %d to %d", MinPrepMinutes, MaxPrepMinutes)
	}
	switch {
	case string(in.OpeningHours) == "null":
		// No hours: open at every hour, as before any were set.
		always := AlwaysOpen()
		d.OpeningHours = &always
	case in.OpeningHours != nil:
		h, err := ParseOpeningHours("openingHours", in.OpeningHours)
		if err != nil {
			return ProfileDraft{}, err
		}
		d.OpeningHours = &h
	}
	return d, nil
}

// PhoneRefusal returns the CodeInvalid error of a profile edit whose phone
// is not the company's current sign-in phone, or nil: a token alone must
// not move the account to another phone.
func (d ProfileDraft) PhoneRefusal(current CompanyProfile) error {
	if d.Phone == "" || d.Phone == current.Phone {
		return nil
	}
	return &Error{
		Code: CodeInvalid,
		Message: "the sign-in phone changes only with codes sent to the current phone and to the new one: " +
			"POST /api/company/phone/code, then POST /api/company/phone",
		Details: map[string]string{"field": "phone"},
	}
}

// ProfileStore keeps the companies' pickup details.
type ProfileStore interface {
	// Profile returns the company's profile, or CodeNotFound.
	Profile(ctx context.Context, company int64) (CompanyProfile, error)
	// ReplaceProfile stores d's address if the profile is still at
	// version and d names no other phone than the current one;
	// CodePreconditionFailed if the version is stale, CodeInvalid
	// (ProfileDraft.PhoneRefusal) if the phone differs.
	ReplaceProfile(ctx context.Context, company, version int64, d ProfileDraft) (CompanyProfile, error)
	// CompanyByPhone returns the id of the company whose phone it is, or
	// CodeNotFound.
	CompanyByPhone(ctx context.Context, phone string) (int64, error)
}
