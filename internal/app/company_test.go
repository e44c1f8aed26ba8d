package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
)

// companyAPI is the whole API behind the local gateway, authorizer
// included, on a fresh seeded database.
type companyAPI struct {
	url     string
	db      *sqlx.DB
	keyring auth.Keyring
}

func newCompanyAPI(t *testing.T) *companyAPI {
	t.Helper()
	db := dbtest.MustOpenDB(t)
	if _, err := demo.SeedIfEmpty(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	market, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: keyring})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(market.Handler)
	t.Cleanup(market.Wait)
	t.Cleanup(srv.Close)
	return &companyAPI{url: srv.URL, db: db, keyring: keyring}
}

// newKeyring returns a fresh key pair with the tests' issuer and audience.
func newKeyring(t *testing.T) auth.Keyring {
	t.Helper()
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "test", Audience: "test-api"}
}

func (c *companyAPI) token(t *testing.T, company int64, scopes ...string) string {
	t.Helper()
	if scopes == nil {
		scopes = auth.DefaultScopes
	}
	token, err := c.keyring.Mint(company, scopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

type reply struct {
	status  int
	header  http.Header
	body    map[string]any
	rawBody string
}

func (r reply) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (c *companyAPI) do(t *testing.T, method, path, token string, headers map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, c.url+path, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, rawBody: string(raw)}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return r
}

type productRow struct {
	Name    string `db:"name"`
	Price   string `db:"price"`
	Active  bool   `db:"active"`
	Version int64  `db:"version"`
	// Photo is the photo's 320 px key, "" without one.
	Photo string `db:"photo"`
}

func (c *companyAPI) row(t *testing.T, id int64) productRow {
	t.Helper()
	var r productRow
	if err := c.db.Get(&r, `SELECT name, price, active, version, COALESCE(image_320, '') AS photo FROM products WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return r
}

// The demo seed gives company 1 products 1-8 and company 2 products 9-16.
const (
	companyA, companyB   = 1, 2
	productOfA, versionA = 1, 1
)

func TestAnotherCompanysProductIsNotFoundAndUntouched(t *testing.T) {
	c := newCompanyAPI(t)
	before := c.row(t, productOfA)
	tokenB := c.token(t, companyB)
	tests := []struct {
		name, method, sub, body string // sub: the path below the product's
	}{
		{"replace", http.MethodPut, "", `{"name":"Hijacked","price":"0.01","version":1}`},
		{"archive", http.MethodDelete, "", ""},
		{"remove the photo", http.MethodDelete, "/image", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(t, tt.method, "/api/products/"+strconv.Itoa(productOfA)+tt.sub, tokenB, map[string]string{"If-Match": `"1"`}, tt.body)
			if r.status != http.StatusNotFound || r.errorCode() != "not_found" {
				t.Errorf("%s of company A's product with B's token = %d %s, want 404 not_found", tt.method, r.status, r.rawBody)
			}
			if after := c.row(t, productOfA); after != before {
				t.Errorf("row changed: %+v -> %+v", before, after)
			}
		})
	}
	t.Run("read", func(t *testing.T) {
		r := c.do(t, http.MethodGet, "/api/company/products/"+strconv.Itoa(productOfA), tokenB, nil, "")
		if r.status != http.StatusNotFound || r.errorCode() != "not_found" {
			t.Errorf("GET of company A's product with B's token = %d %s, want 404 not_found", r.status, r.rawBody)
		}
	})
	t.Run("company listing shows only own products", func(t *testing.T) {
		r := c.do(t, http.MethodGet, "/api/company/products?limit=100", tokenB, nil, "")
		products, _ := r.body["products"].([]any)
		if r.status != http.StatusOK || len(products) != 8 {
			t.Fatalf("GET /api/company/products = %d with %d products, want 200 with 8", r.status, len(products))
		}
		for _, p := range products {
			if id := p.(map[string]any)["companyId"]; id != float64(companyB) {
				t.Errorf("listing for B shows a product of company %v", id)
			}
		}
	})
}

func TestGatewayRefusesTokens(t *testing.T) {
	c := newCompanyAPI(t)
	expired, err := c.keyring.Mint(companyA, auth.DefaultScopes, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	foreign := newKeyring(t)
	forged, err := foreign.Mint(companyA, auth.DefaultScopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		header     string
		method     string
		path, body string
		wantStatus int
		wantCode   string
	}{
		{"no token", "", http.MethodGet, "/api/company/products", "", 401, "unauthorized"},
		{"the word allow", "allow", http.MethodGet, "/api/company/products", "", 401, "unauthorized"},
		{"expired", "Bearer " + expired, http.MethodGet, "/api/company/products", "", 401, "unauthorized"},
		{"another key", "Bearer " + forged, http.MethodGet, "/api/company/products", "", 401, "unauthorized"},
		{"unknown company", "Bearer " + c.token(t, 999), http.MethodGet, "/api/company/products", "", 401, "unauthorized"},
		{"read-only token writing", "Bearer " + c.token(t, companyA, auth.ScopeProductsRead), http.MethodPost, "/api/company/products", `{"name":"x","price":"1.00"}`, 403, "forbidden"},
		{"no scopes reading", "Bearer " + c.token(t, companyA, "other:scope"), http.MethodGet, "/api/company/products", "", 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.header != "" {
				headers["Authorization"] = tt.header
			}
			r := c.do(t, tt.method, tt.path, "", headers, tt.body)
			if r.status != tt.wantStatus || r.errorCode() != tt.wantCode {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, r.status, r.rawBody, tt.wantStatus, tt.wantCode)
			}
		})
	}
	t.Run("a cached read-only policy still refuses writes", func(t *testing.T) {
		token := c.token(t, companyA, auth.ScopeProductsRead)
		if r := c.do(t, http.MethodGet, "/api/company/products", token, nil, ""); r.status != http.StatusOK {
			t.Fatalf("read = %d, want 200", r.status)
		}
		r := c.do(t, http.MethodPut, "/api/products/1", token, map[string]string{"If-Match": "1"}, `{"name":"x","price":"1.00"}`)
		if r.status != http.StatusForbidden {
			t.Errorf("write after a cached read = %d, want 403", r.status)
		}
	})
}

func TestConcurrentUpdatesWithOneVersion(t *testing.T) {
	c := newCompanyAPI(t)
	token := c.token(t, companyA)
	const writers = 8
	statuses := make([]int, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := `{"name":"Writer ` + strconv.Itoa(i) + `","price":"5.00"}`
			statuses[i] = c.do(t, http.MethodPut, "/api/products/1", token, map[string]string{"If-Match": `"1"`}, body).status
		}()
	}
	close(start)
	wg.Wait()
	won, stale := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusPreconditionFailed:
			stale++
		}
	}
	if won != 1 || stale != writers-1 {
		t.Errorf("statuses = %v, want exactly one 200 and %d 412", statuses, writers-1)
	}
	if v := c.row(t, productOfA).Version; v != versionA+1 {
		t.Errorf("version after the race = %d, want %d", v, versionA+1)
	}
}

func TestPriceChangeIsVisibleToCatalogAndQuote(t *testing.T) {
	c := newCompanyAPI(t)
	token := c.token(t, companyA)
	r := c.do(t, http.MethodPut, "/api/products/1", token, map[string]string{"If-Match": `"1"`},
		`{"name":"Sourdough loaf","description":"Naturally leavened.","price":12.34}`)
	if r.status != http.StatusOK || r.body["price"] != "12.34" || r.body["version"] != float64(2) || r.header.Get("ETag") != `"2"` {
		t.Fatalf("PUT = %d %s (ETag %s), want 200 with price 12.34, version 2", r.status, r.rawBody, r.header.Get("ETag"))
	}
	list := c.do(t, http.MethodGet, "/api/products?limit=1", "", nil, "")
	first := list.body["products"].([]any)[0].(map[string]any)
	if first["price"] != "12.34" {
		t.Errorf("catalog price after the change = %v, want 12.34", first["price"])
	}
	quote := c.do(t, http.MethodPost, "/api/orders/quote", "", nil, `{"items":[{"productId":1,"quantity":3}]}`)
	if quote.body["total"] != "37.02" {
		t.Errorf("quote total after the change = %v, want 37.02", quote.body["total"])
	}
}

func TestCompanyProductLifecycle(t *testing.T) {
	c := newCompanyAPI(t)
	token := c.token(t, companyB)
	created := c.do(t, http.MethodPost, "/api/company/products", token, nil, `{"name":"  Kale  ","description":"Curly.","price":"2.50"}`)
	if created.status != http.StatusCreated || created.body["name"] != "Kale" || created.body["companyId"] != float64(companyB) || created.body["version"] != float64(1) {
		t.Fatalf("POST = %d %s", created.status, created.rawBody)
	}
	id := int64(created.body["id"].(float64))
	if loc := created.header.Get("Location"); loc != "/api/company/products/"+strconv.FormatInt(id, 10) {
		t.Errorf("Location = %q", loc)
	}
	path := "/api/products/" + strconv.FormatInt(id, 10)

	if r := c.do(t, http.MethodPut, path, token, nil, `{"name":"Kale","price":"2.60"}`); r.status != http.StatusPreconditionRequired || r.errorCode() != "version_required" {
		t.Errorf("PUT without a version = %d %s, want 428 version_required", r.status, r.rawBody)
	}
	if r := c.do(t, http.MethodPut, path, token, nil, `{"name":"Kale","price":"2.60","version":1}`); r.status != http.StatusOK || r.body["version"] != float64(2) {
		t.Errorf("PUT with version in the body = %d %s, want 200 version 2", r.status, r.rawBody)
	}
	if r := c.do(t, http.MethodDelete, path, token, map[string]string{"If-Match": `"1"`}, ""); r.status != http.StatusPreconditionFailed {
		t.Errorf("DELETE with a stale If-Match = %d, want 412", r.status)
	}
	archived := c.do(t, http.MethodDelete, path, token, map[string]string{"If-Match": `"2"`}, "")
	if archived.status != http.StatusOK || archived.body["active"] != false || archived.body["version"] != float64(3) {
		t.Fatalf("DELETE = %d %s, want 200 inactive version 3", archived.status, archived.rawBody)
	}
	if row := c.row(t, id); row.Active {
		t.Error("archived product is still active")
	}
	got := c.do(t, http.MethodGet, "/api/company/products/"+strconv.FormatInt(id, 10), token, nil, "")
	if got.status != http.StatusOK || got.body["active"] != false || got.body["version"] != float64(3) || got.header.Get("ETag") != `"3"` {
		t.Errorf("GET own archived product = %d %s (ETag %s), want 200 inactive version 3", got.status, got.rawBody, got.header.Get("ETag"))
	}
	quote := c.do(t, http.MethodPost, "/api/orders/quote", "", nil, `{"items":[{"productId":`+strconv.FormatInt(id, 10)+`,"quantity":1}]}`)
	if quote.status != http.StatusUnprocessableEntity {
		t.Errorf("quote of an archived product = %d, want 422", quote.status)
	}
}

func TestProductWritesRefuseBadInput(t *testing.T) {
	c := newCompanyAPI(t)
	token := c.token(t, companyA)
	before := c.row(t, productOfA)
	long := string(bytes.Repeat([]byte("a"), 121))
	tests := []struct {
		name, body, wantField string
	}{
		{"companyId in the body", `{"name":"x","price":"1.00","companyId":2}`, "companyId"},
		{"id in the body", `{"name":"x","price":"1.00","id":5}`, "id"},
		{"unknown field", `{"name":"x","price":"1.00","featured":true}`, "featured"},
		{"blank name", `{"name":"   ","price":"1.00"}`, "name"},
		{"name too long", `{"name":"` + long + `","price":"1.00"}`, "name"},
		{"control character in name", `{"name":"a\u0007b","price":"1.00"}`, "name"},
		{"zero price", `{"name":"x","price":"0"}`, "price"},
		{"negative price", `{"name":"x","price":-1}`, "price"},
		{"price over a million", `{"name":"x","price":"1000000.01"}`, "price"},
		{"three decimals", `{"name":"x","price":"1.005"}`, "price"},
		{"exponent", `{"name":"x","price":1e2}`, ""},
		{"price as a word", `{"name":"x","price":"cheap"}`, ""},
		{"no price", `{"name":"x"}`, "price"},
		{"active not a bool", `{"name":"x","price":"1.00","active":"yes"}`, "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(t, http.MethodPut, "/api/products/1", token, map[string]string{"If-Match": `"1"`}, tt.body)
			if r.status != http.StatusBadRequest || r.errorCode() != "invalid_request" {
				t.Fatalf("PUT %s = %d %s, want 400 invalid_request", tt.body, r.status, r.rawBody)
			}
			if tt.wantField != "" {
				details, _ := r.body["error"].(map[string]any)["details"].(map[string]any)
				if details["field"] != tt.wantField {
					t.Errorf("details = %v, want field %s", details, tt.wantField)
				}
			}
		})
	}
	if after := c.row(t, productOfA); after != before {
		t.Errorf("refused writes changed the row: %+v -> %+v", before, after)
	}
}
