package apigw

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/deliverymarket/delivery/internal/market"
)

// bodyKind is one write route's request type: how to decode a body into
// it, validate it as its endpoint does, and write a valid value back as
// JSON.
type bodyKind struct {
	name string
	// check decodes body with DecodeStrict and validates it as the
	// endpoint does; canonical is the validated value written as the JSON
	// a client could send for it, or nil when either step refused it.
	check func(body []byte) (decodeErr, validateErr error, canonical []byte)
}

// bodyKinds are the request bodies of every write route.
var bodyKinds = []bodyKind{
	{"order", func(body []byte) (error, error, []byte) {
		var req market.OrderRequest
		if err := DecodeStrict(body, &req); err != nil {
			return err, nil, nil
		}
		norm, err := req.Normalize()
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(norm)
	}},
	{"quote", func(body []byte) (error, error, []byte) {
		var req market.QuoteRequest
		if err := DecodeStrict(body, &req); err != nil {
			return err, nil, nil
		}
		items, err := market.NormalizeItems(req.Items)
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(market.QuoteRequest{Items: items})
	}},
	{"product", func(body []byte) (error, error, []byte) {
		var in market.ProductInput
		if err := DecodeStrict(body, &in); err != nil {
			return err, nil, nil
		}
		d, err := in.Validate()
		if err != nil {
			return nil, err, nil
		}
		fields := map[string]any{"name": d.Name, "description": d.Description, "price": d.Price, "active": d.Active}
		if in.Version != nil {
			fields["version"] = *in.Version
		}
		return nil, nil, mustJSON(fields)
	}},
	{"profile", func(body []byte) (error, error, []byte) {
		var in market.ProfileInput
		if err := DecodeStrict(body, &in); err != nil {
			return err, nil, nil
		}
		d, err := in.Validate()
		if err != nil {
			return nil, err, nil
		}
		canonical := market.ProfileInput{Address: &d.Address, Version: in.Version}
		if d.Phone != "" {
			canonical.Phone = &d.Phone
		}
		return nil, nil, mustJSON(canonical)
	}},
	{"cancel", func(body []byte) (error, error, []byte) {
		var req cancelRequest
		if err := DecodeStrict(body, &req); err != nil {
			return err, nil, nil
		}
		if req.Reason == nil {
			return nil, market.FieldError("reason", "reason is required"), nil
		}
		reason, err := market.ValidateCancelReason(*req.Reason)
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(cancelRequest{Reason: &reason})
	}},
	{"code", func(body []byte) (error, error, []byte) {
		var req market.CodeRequest
		if err := DecodeStrict(body, &req); err != nil {
			return err, nil, nil
		}
		if req.Phone == nil {
			return nil, market.FieldError("phone", "phone is required"), nil
		}
		phone, err := market.NormalizePhoneField("phone", *req.Phone)
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(market.CodeRequest{Phone: &phone})
	}},
	{"session", func(body []byte) (error, error, []byte) {
		var req market.SessionRequest
		if err := DecodeStrict(body, &req); err != nil {
			return err, nil, nil
		}
		if req.Phone == nil || req.Code == nil {
			return nil, market.FieldError("phone", "phone and code are required"), nil
		}
		phone, err := market.NormalizePhoneField("phone", *req.Phone)
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(market.SessionRequest{Phone: &phone, Code: req.Code})
	}},
	{"upload", func(body []byte) (error, error, []byte) {
		// Decoding and validating are one step here, as the endpoint
		// takes them: an empty body already names contentType.
		req, err := decodeUploadRequest(body)
		if err != nil {
			return nil, err, nil
		}
		return nil, nil, mustJSON(req)
	}},
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecodeStrict feeds the body of every write route (an order, a quote,
// a product to create or replace, a profile, a company's cancellation, a
// sign-in code request, a session request and a photo upload request) to
// DecodeStrict into its
// request type: it never panics; a refusal is a *market.Error with
// CodeInvalid, never internal; and a body that decodes and validates
// writes back as JSON that decodes and validates to the same value.
func FuzzDecodeStrict(f *testing.F) {
	for kind, bodies := range [][]string{
		{`{"items":[{"productId":1,"quantity":2}],"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100"}}`},
		{`{"items":[{"productId":1,"quantity":3},{"productId":2,"quantity":1},{"productId":1,"quantity":1}]}`},
		{`{"name":"Sourdough loaf","description":"Naturally leavened.","price":"6.50"}`, `{"name":"x","price":4.5,"version":3,"active":false}`},
		{`{"address":"Rua do Forno 1, Lisboa","phone":"+351 912 345 678","version":1}`},
		{`{"reason":"Out of flour"}`},
		{`{"phone":"+351912345678"}`},
		{`{"phone":"+351912345678","code":"123456"}`},
		{`{"contentType":"image/jpeg","size":348211}`, `{"contentType":"IMAGE/PNG"}`, `{"contentType":"image/webp","size":5242881}`, ``},
	} {
		for _, body := range bodies {
			f.Add(uint8(kind), []byte(body))
		}
	}
	f.Add(uint8(0), []byte(`{"items":[],"customer":{}} {}`))
	f.Add(uint8(2), []byte(`{"name":"x","price":"1e3","companyId":null}`))
	f.Add(uint8(3), []byte(`[1,2]`))
	f.Add(uint8(1), []byte(`{"items":[{"productId":"1","quantity":1.5}]}`))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		k := bodyKinds[int(kind)%len(bodyKinds)]
		decodeErr, validateErr, canonical := k.check(body)
		for _, err := range []error{decodeErr, validateErr} {
			if err == nil {
				continue
			}
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.CodeInvalid {
				t.Fatalf("%s body %q: error %v (%T, code %q), want a *market.Error with code %q",
					k.name, body, err, err, market.ErrorCode(err), market.CodeInvalid)
			}
			if me.Message == "" {
				t.Fatalf("%s body %q: error without a message", k.name, body)
			}
			if d, ok := me.Details.(map[string]string); me.Details != nil && (!ok || d["field"] == "") {
				t.Fatalf("%s body %q: details %#v, want details.field", k.name, body, me.Details)
			}
			if resp := ErrorResponse(err); resp.StatusCode != 400 || !json.Valid([]byte(resp.Body)) {
				t.Fatalf("%s body %q: answered %d %s", k.name, body, resp.StatusCode, resp.Body)
			}
		}
		if canonical == nil {
			return
		}
		decodeErr, validateErr, again := k.check(canonical)
		if decodeErr != nil || validateErr != nil {
			t.Fatalf("%s body %q is valid, but its canonical form %s is not: %v, %v", k.name, body, canonical, decodeErr, validateErr)
		}
		if string(again) != string(canonical) {
			t.Fatalf("%s body %q validates to %s, but that validates to %s", k.name, body, canonical, again)
		}
	})
}

// TestDecodeStrictUnknownFieldNames pins what FuzzDecodeStrict found: an
// unknown field is named as sent, and one with an empty name is refused
// without naming a field "".
func TestDecodeStrictUnknownFieldNames(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantField string // "" for no details
	}{
		{"plain", `{"reason":"x","coupon":1}`, "coupon"},
		{"quote in the name", `{"reason":"x","a\"b":1}`, `a"b`},
		{"empty name", `{"":""}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req cancelRequest
			err := DecodeStrict([]byte(tt.body), &req)
			var me *market.Error
			if !errors.As(err, &me) || me.Code != market.CodeInvalid {
				t.Fatalf("DecodeStrict(%s) = %v, want %s", tt.body, err, market.CodeInvalid)
			}
			var got string
			if d, ok := me.Details.(map[string]string); ok {
				got = d["field"]
			} else if me.Details != nil {
				t.Fatalf("DecodeStrict(%s) details = %#v", tt.body, me.Details)
			}
			if got != tt.wantField {
				t.Errorf("DecodeStrict(%s) names field %q, want %q", tt.body, got, tt.wantField)
			}
		})
	}
}
