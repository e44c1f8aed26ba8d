package app_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/auth"
)

// The fulfilment test's own carriers, apart from any the demo seeds.
const (
	carrierPhoneA = "+351919999901"
	carrierPhoneB = "+351919999902"
	customerPhone = "+351912345678"
)

type fulfilmentAPI struct {
	*companyAPI
	carrierA, carrierB string // tokens
}

func newFulfilmentAPI(t *testing.T) *fulfilmentAPI {
	t.Helper()
	c := newCompanyAPI(t)
	f := &fulfilmentAPI{companyAPI: c}
	for i, phone := range []string{carrierPhoneA, carrierPhoneB} {
		res, err := c.db.Exec(`INSERT INTO carriers (name, phone) VALUES (?, ?)`, "Test Carrier "+strconv.Itoa(i+1), phone)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		token, err := c.keyring.MintCarrier(id, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.carrierA = token
		} else {
			f.carrierB = token
		}
	}
	return f
}

// placeOrder orders products of companies A and B and returns the order id.
func (f *fulfilmentAPI) placeOrder(t *testing.T) string {
	t.Helper()
	body := `{"items":[{"productId":1,"quantity":2},{"productId":9,"quantity":1}],
	  "customer":{"name":"Ana Silva","phone":"` + customerPhone + `","address":"Rua Augusta 10, Lisboa","note":"Ring twice"}}`
	r := f.do(t, http.MethodPost, "/api/orders", "", map[string]string{"Idempotency-Key": "fulfil-" + strconv.FormatInt(time.Now().UnixNano(), 36)}, body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s", r.status, r.rawBody)
	}
	return r.body["orderId"].(string)
}

// deliveryID finds the order in the carriers' available list.
func (f *fulfilmentAPI) deliveryID(t *testing.T, reference string) string {
	t.Helper()
	r := f.do(t, http.MethodGet, "/api/carrier/orders?view=available&limit=100", f.carrierA, nil, "")
	for _, o := range r.body["orders"].([]any) {
		if o := o.(map[string]any); o["reference"] == reference {
			return o["deliveryId"].(string)
		}
	}
	t.Fatalf("order %s not available to carriers: %s", reference, r.rawBody)
	return ""
}

// expectStatus checks a reply's status and, for errors, its code.
func expectStatus(t *testing.T, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.errorCode() != code) {
		t.Fatalf("%s = %d %s, want %d %s", what, r.status, r.rawBody, status, code)
	}
}

// noPersonalData fails if a body that is not the assigned carrier's shows
// anything the customer typed but the delivery area.
func noPersonalData(t *testing.T, what string, r reply) {
	t.Helper()
	for _, secret := range []string{customerPhone, "Ana Silva", "Rua Augusta", "Ring twice", carrierPhoneA, carrierPhoneB} {
		if strings.Contains(r.rawBody, secret) {
			t.Errorf("%s shows %q: %s", what, secret, r.rawBody)
		}
	}
}

// The whole loop over HTTP, through the local gateway and its authorizer:
// what each actor may see at each step, and that nothing else leaks.
func TestFulfilmentOverHTTP(t *testing.T) {
	f := newFulfilmentAPI(t)
	orderID := f.placeOrder(t)
	placed := f.do(t, http.MethodGet, "/api/orders/"+orderID, "", nil, "")
	reference := placed.body["reference"].(string)
	if placed.body["cancellable"] != true {
		t.Errorf("a placed order is not cancellable: %s", placed.rawBody)
	}
	id := f.deliveryID(t, reference)
	if strings.Contains(id, orderID) || id == orderID {
		t.Fatal("carriers are shown the shopper's order id")
	}

	list := f.do(t, http.MethodGet, "/api/carrier/orders?view=available", f.carrierA, nil, "")
	noPersonalData(t, "the available list", list)
	preview := f.do(t, http.MethodGet, "/api/carrier/orders/"+id, f.carrierA, nil, "")
	expectStatus(t, "GET an available order", preview, 200, "")
	noPersonalData(t, "an order before it is claimed", preview)
	if strings.Contains(preview.rawBody, orderID) {
		t.Error("the carrier view shows the shopper's order id")
	}

	claimed := f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/claim", f.carrierA, nil, "")
	expectStatus(t, "claim", claimed, 200, "")
	if !strings.Contains(claimed.rawBody, customerPhone) || !strings.Contains(claimed.rawBody, "Ring twice") {
		t.Errorf("the claim does not show the delivery details: %s", claimed.rawBody)
	}
	again := f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/claim", f.carrierA, nil, "")
	expectStatus(t, "the same carrier claiming again", again, 200, "")
	taken := f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/claim", f.carrierB, nil, "")
	expectStatus(t, "another carrier's claim", taken, 409, "conflict")
	if taken.body["error"].(map[string]any)["details"].(map[string]any)["status"] != "accepted" {
		t.Errorf("conflict details = %s", taken.rawBody)
	}
	noPersonalData(t, "the losing claim", taken)
	for _, path := range []string{"", "/pickup", "/deliver", "/release"} {
		method := http.MethodPost
		if path == "" {
			method = http.MethodGet
		}
		r := f.do(t, method, "/api/carrier/orders/"+id+path, f.carrierB, nil, "")
		expectStatus(t, method+" "+path+" by another carrier", r, 404, "not_found")
	}
	mine := f.do(t, http.MethodGet, "/api/carrier/orders?view=mine", f.carrierA, nil, "")
	noPersonalData(t, "the mine list", mine)

	early := f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/pickup", f.carrierA, nil, "")
	expectStatus(t, "pickup before the shops are ready", early, 409, "conflict")

	for _, company := range []int64{companyA, companyB} {
		token := f.token(t, company)
		orders := f.do(t, http.MethodGet, "/api/company/orders", token, nil, "")
		expectStatus(t, "company orders", orders, 200, "")
		noPersonalData(t, "the company's orders", orders)
		if !strings.Contains(orders.rawBody, id) || strings.Contains(orders.rawBody, orderID) {
			t.Errorf("company %d's orders: %s", company, orders.rawBody)
		}
		ready := f.do(t, http.MethodPost, "/api/company/orders/"+id+"/ready", token, nil, "")
		expectStatus(t, "ready", ready, 200, "")
		if ready.body["partState"] != "ready" || len(ready.body["lines"].([]any)) != 1 {
			t.Errorf("ready = %s; want this company's one line, ready", ready.rawBody)
		}
	}
	expectStatus(t, "pickup", f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/pickup", f.carrierA, nil, ""), 200, "")
	late := f.do(t, http.MethodPost, "/api/company/orders/"+id+"/cancel", f.token(t, companyA), nil, `{"reason":"Too late"}`)
	expectStatus(t, "company cancel after pickup", late, 409, "conflict")
	delivered := f.do(t, http.MethodPost, "/api/carrier/orders/"+id+"/deliver", f.carrierA, nil, "")
	expectStatus(t, "deliver", delivered, 200, "")
	if delivered.body["status"] != "delivered" || delivered.body["details"] == nil {
		t.Errorf("delivered = %s; want details still shown right after delivery", delivered.rawBody)
	}

	tracked := f.do(t, http.MethodGet, "/api/orders/"+orderID, "", nil, "")
	noPersonalData(t, "the shopper's tracking view", tracked)
	var steps []string
	for _, e := range tracked.body["timeline"].([]any) {
		e := e.(map[string]any)
		steps = append(steps, e["step"].(string))
		if e["step"] == "accepted" && e["carrierName"] != "Test Carrier 1" {
			t.Errorf("accepted step = %v, want the carrier's display name", e)
		}
	}
	if got := strings.Join(steps, ","); got != "placed,accepted,ready,ready,picked_up,delivered" {
		t.Errorf("timeline = %s", got)
	}
	if tracked.body["status"] != "delivered" || tracked.body["cancellable"] != false {
		t.Errorf("tracked = %s", tracked.rawBody)
	}
	expectStatus(t, "shopper cancel after delivery", f.do(t, http.MethodPost, "/api/orders/"+orderID+"/cancel", "", nil, ""), 409, "conflict")
}

func TestShopperCancelOverHTTP(t *testing.T) {
	f := newFulfilmentAPI(t)
	orderID := f.placeOrder(t)
	r := f.do(t, http.MethodPost, "/api/orders/"+orderID+"/cancel", "", nil, "")
	expectStatus(t, "cancel", r, 200, "")
	if r.body["status"] != "cancelled" || r.body["cancellable"] != false {
		t.Errorf("cancel = %s", r.rawBody)
	}
	list := f.do(t, http.MethodGet, "/api/carrier/orders?view=available", f.carrierA, nil, "")
	if strings.Contains(list.rawBody, r.body["reference"].(string)) {
		t.Error("a cancelled order is still offered to carriers")
	}
}

// Bad input on every new route: a clear 4xx JSON error, and nothing
// changes (the order stays placed, the profile at version 1).
func TestFulfilmentBadInput(t *testing.T) {
	f := newFulfilmentAPI(t)
	orderID := f.placeOrder(t)
	reference := f.do(t, http.MethodGet, "/api/orders/"+orderID, "", nil, "").body["reference"].(string)
	id := f.deliveryID(t, reference)
	company := f.token(t, companyA)
	readOnly := f.token(t, companyA, auth.ScopeProductsRead)
	tests := []struct {
		name, method, path, token, body string
		headers                         map[string]string
		status                          int
		code                            string
	}{
		{"unknown view", "GET", "/api/carrier/orders?view=all", f.carrierA, "", nil, 400, "invalid_request"},
		{"limit 0", "GET", "/api/carrier/orders?limit=0", f.carrierA, "", nil, 400, "invalid_request"},
		{"limit 101", "GET", "/api/company/orders?limit=101", company, "", nil, 400, "invalid_request"},
		{"forged cursor", "GET", "/api/carrier/orders?cursor=" + orderID, f.carrierA, "", nil, 400, "invalid_request"},
		{"unknown status", "GET", "/api/company/orders?status=lost", company, "", nil, 400, "invalid_request"},
		{"junk delivery id", "POST", "/api/carrier/orders/../claim", f.carrierA, "", nil, 404, ""},
		{"order id as delivery id", "POST", "/api/carrier/orders/" + orderID + "/claim", f.carrierA, "", nil, 404, "not_found"},
		{"unknown delivery id", "GET", "/api/carrier/orders/" + strings.Repeat("0", 20), f.carrierA, "", nil, 404, "not_found"},
		{"a body on claim", "POST", "/api/carrier/orders/" + id + "/claim", f.carrierA, `{"carrierId":2}`, nil, 400, "invalid_request"},
		{"a body on ready", "POST", "/api/company/orders/" + id + "/ready", company, `{"state":"ready"}`, nil, 400, "invalid_request"},
		{"cancel without reason", "POST", "/api/company/orders/" + id + "/cancel", company, `{}`, nil, 400, "invalid_request"},
		{"cancel with blank reason", "POST", "/api/company/orders/" + id + "/cancel", company, `{"reason":"  "}`, nil, 400, "invalid_request"},
		{"cancel with a long reason", "POST", "/api/company/orders/" + id + "/cancel", company, `{"reason":"` + strings.Repeat("x", 201) + `"}`, nil, 400, "invalid_request"},
		{"cancel with a number", "POST", "/api/company/orders/" + id + "/cancel", company, `{"reason":5}`, nil, 400, "invalid_request"},
		{"cancel with an unknown field", "POST", "/api/company/orders/" + id + "/cancel", company, `{"reason":"x","status":"delivered"}`, nil, 400, "invalid_request"},
		{"cancel with broken JSON", "POST", "/api/company/orders/" + id + "/cancel", company, `{"reason":`, nil, 400, "invalid_request"},
		{"profile without version", "PUT", "/api/company/profile", company, `{"address":"Rua 1","phone":"+351210000001"}`, nil, 428, "version_required"},
		{"profile with a bad phone", "PUT", "/api/company/profile", company, `{"address":"Rua 1","phone":"12"}`, map[string]string{"If-Match": `"1"`}, 400, "invalid_request"},
		{"profile without address", "PUT", "/api/company/profile", company, `{"phone":"+351210000001"}`, map[string]string{"If-Match": `"1"`}, 400, "invalid_request"},
		{"profile naming the company", "PUT", "/api/company/profile", company, `{"id":2,"address":"Rua 1","phone":"+351210000001"}`, map[string]string{"If-Match": `"1"`}, 400, "invalid_request"},
		{"stale profile", "PUT", "/api/company/profile", company, `{"address":"Rua 1","phone":"+351210000001"}`, map[string]string{"If-Match": `"7"`}, 412, "version_mismatch"},
		{"orders without the scope", "GET", "/api/company/orders", readOnly, "", nil, 403, ""},
		{"company token on a carrier route", "GET", "/api/carrier/orders", company, "", nil, 403, ""},
		{"carrier token on a company route", "GET", "/api/company/orders", f.carrierA, "", nil, 403, ""},
		{"carrier route without a token", "GET", "/api/carrier/orders", "", "", nil, 401, "unauthorized"},
		{"shopper cancel with a body", "POST", "/api/orders/" + orderID + "/cancel", "", `{"reason":"x"}`, nil, 400, "invalid_request"},
		{"shopper cancel of junk", "POST", "/api/orders/nope/cancel", "", "", nil, 404, "not_found"},
		{"shopper cancel by delivery id", "POST", "/api/orders/" + id + "/cancel", "", "", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.method, tt.path, tt.token, tt.headers, tt.body)
			if r.status != tt.status || (tt.code != "" && r.errorCode() != tt.code) {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, r.status, r.rawBody, tt.status, tt.code)
			}
			if r.status >= 500 {
				t.Errorf("a 5xx for bad input: %s", r.rawBody)
			}
		})
	}
	after := f.do(t, http.MethodGet, "/api/orders/"+orderID, "", nil, "")
	if after.body["status"] != "placed" || len(after.body["timeline"].([]any)) != 1 {
		t.Errorf("bad input changed the order: %s", after.rawBody)
	}
	profile := f.do(t, http.MethodGet, "/api/company/profile", company, nil, "")
	if profile.body["version"] != float64(1) || profile.header.Get("ETag") != `"1"` {
		t.Errorf("bad input changed the profile: %s", profile.rawBody)
	}
}
