package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/faultproxy"
	"github.com/deliverymarket/delivery/internal/lambdatest"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/lambdainvoke"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
)

// unavailableWithin is the requirement: while the database is
// unreachable, a request answers 503 within 2 s instead of hanging to the
// Lambda timeout. It bounds the deadline-driven answer from above, with
// the margin apigw.RequestTimeout leaves.
const unavailableWithin = 2 * time.Second

// requireMariaDB skips tests that break real connections: the embedded
// engine shares one in-process connection and has no transactions to cut.
func requireMariaDB(t *testing.T) {
	t.Helper()
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skip("fault injection runs on MariaDB: set " + dbtest.EnvDSN + " (for example root@tcp(127.0.0.1:3306)/)")
	}
}

// faultRig is the whole marketplace on a pool opened as the Lambdas open
// theirs (mysql.Open with mysql.Settings and a credential source, so the
// production timeouts are what is tested), reaching MariaDB through a
// fault proxy.
type faultRig struct {
	proxy   *faultproxy.Proxy
	direct  *sqlx.DB // straight to MariaDB: setup and checks, never faulted
	db      *sqlx.DB // the production pool, through the proxy
	dbName  string
	market  *localrun.Marketplace
	url     string
	keyring auth.Keyring
	client  *http.Client
}

type rigOptions struct {
	maxOpenConns int                    // the pool's cap; mysql.LambdaPool when zero
	credentials  mysql.CredentialSource // the DSN's user when nil
}

// newFaultDB opens a fresh seeded database directly and through a fault
// proxy.
func newFaultDB(t *testing.T, opts rigOptions) *faultRig {
	t.Helper()
	requireMariaDB(t)
	dsn := dbtest.NewDSN(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := mysql.OpenDSN(dsn, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close() })
	if _, err := demo.SeedIfEmpty(context.Background(), direct); err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.Start(cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	creds := opts.credentials
	if creds == nil {
		creds = mysql.StaticCredentials{Username: cfg.User, Password: cfg.Passwd}
	}
	db, err := mysql.Open(mysql.Settings{Addr: proxy.Addr(), Database: cfg.DBName, Credentials: creds, MaxOpenConns: opts.maxOpenConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &faultRig{proxy: proxy, direct: direct, db: db, dbName: cfg.DBName}
}

// newFaultRig is newFaultDB with the whole marketplace served over HTTP
// on the production pool.
func newFaultRig(t *testing.T, opts rigOptions) *faultRig {
	t.Helper()
	r := newFaultDB(t, opts)
	r.keyring = newKeyring(t)
	m, err := localrun.New(localrun.Config{DB: r.db, Currency: "USD", Logger: slog.New(slog.DiscardHandler), Keyring: r.keyring})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler)
	t.Cleanup(m.Wait)
	t.Cleanup(srv.Close)
	r.market, r.url = m, srv.URL
	// Far above the bound under test, so that a hang shows as a failed
	// assertion rather than a stuck test.
	r.client = &http.Client{Timeout: 15 * time.Second}
	return r
}

// call is one HTTP request to the rig.
type call struct {
	method, path, token, body string
	headers                   map[string]string
}

// do sends c and returns the reply and how long it took; a transport
// error (the client's own timeout) is a reply with status 0.
func (r *faultRig) do(t *testing.T, c call) (reply, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(c.method, r.url+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		return reply{rawBody: err.Error()}, time.Since(start)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	out := reply{status: resp.StatusCode, header: resp.Header, rawBody: string(raw)}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out, elapsed
}

var keySeq atomic.Int64

// newKey is an Idempotency-Key no other request of this process uses.
func newKey(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(keySeq.Add(1), 10)
}

// pushSubscriptionBody is a phone's push subscription, as the browser's
// PushSubscription.toJSON() gives it (the RFC 8291 example's keys).
const pushSubscriptionBody = `{"endpoint":"https://fcm.googleapis.com/fcm/send/fault","expirationTime":null,` +
	`"keys":{"p256dh":"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}`

const orderBody = `{"items":[{"productId":1,"quantity":2},{"productId":9,"quantity":1}],
  "customer":{"name":"Ana Silva","phone":"+351912345678","address":"Rua Augusta 10, Lisboa"}}`

func (r *faultRig) placeOrder(t *testing.T) (orderID, deliveryID string) {
	t.Helper()
	got, _ := r.do(t, call{method: "POST", path: "/api/orders", body: orderBody, headers: map[string]string{"Idempotency-Key": newKey("setup")}})
	if got.status != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s", got.status, got.rawBody)
	}
	orderID = got.body["orderId"].(string)
	if err := r.direct.Get(&deliveryID, `SELECT delivery_id FROM orders WHERE id = ?`, orderID); err != nil {
		t.Fatal(err)
	}
	return orderID, deliveryID
}

// everyRoute returns one request for each route of api/routes.json that
// gets as far as the database: valid input, a token with the scopes
// needed. A route added to the table without a request here fails the
// test, so no database route escapes it.
func (r *faultRig) everyRoute(t *testing.T, companyToken, carrierToken string) map[string]call {
	t.Helper()
	orderID, deliveryID := r.placeOrder(t)
	cancelID, _ := r.placeOrder(t)
	order := "/api/orders/" + orderID
	carrier := "/api/carrier/orders/" + deliveryID
	shop := "/api/company/orders/" + deliveryID
	ifMatch := map[string]string{"If-Match": `"1"`}
	calls := map[string]call{
		"GET /api/products":                             {path: "/api/products?limit=5"},
		"GET /api/companies":                            {path: "/api/companies"},
		"GET /api/area":                                 {path: "/api/area"},
		"POST /api/orders/quote":                        {path: "/api/orders/quote", body: `{"items":[{"productId":1,"quantity":3}]}`},
		"GET /api/company/products":                     {path: "/api/company/products", token: companyToken},
		"GET /api/company/products/{id}":                {path: "/api/company/products/1", token: companyToken},
		"POST /api/company/products":                    {path: "/api/company/products", token: companyToken, body: `{"name":"Fault loaf","price":"3.00"}`},
		"PUT /api/products/{id}":                        {path: "/api/products/2", token: companyToken, headers: ifMatch, body: `{"name":"Pão de queijo (6)","price":"4.30"}`},
		"DELETE /api/products/{id}":                     {path: "/api/products/8", token: companyToken, headers: ifMatch},
		"POST /api/products/{id}/image-uploads":         {path: "/api/products/3/image-uploads", token: companyToken, body: `{"contentType":"image/jpeg","size":1000}`},
		"DELETE /api/products/{id}/image":               {path: "/api/products/4/image", token: companyToken, headers: ifMatch},
		"POST /api/orders":                              {path: "/api/orders", body: orderBody},
		"GET /api/orders/{orderId}":                     {path: order},
		"POST /api/orders/{orderId}/cancel":             {path: "/api/orders/" + cancelID + "/cancel"},
		"POST /api/carrier/session/code":                {path: "/api/carrier/session/code", body: `{"phone":"` + demo.Carriers[0].Phone + `"}`},
		"POST /api/carrier/session":                     {path: "/api/carrier/session", body: `{"phone":"` + demo.Carriers[0].Phone + `","code":"123456"}`},
		"POST /api/company/session/code":                {path: "/api/company/session/code", body: `{"phone":"+351210000001"}`},
		"POST /api/company/session":                     {path: "/api/company/session", body: `{"phone":"+351210000001","code":"123456"}`},
		"DELETE /api/carrier/session":                   {path: "/api/carrier/session", token: carrierToken},
		"DELETE /api/company/session":                   {path: "/api/company/session", token: companyToken},
		"POST /api/company/phone/code":                  {path: "/api/company/phone/code", token: companyToken, body: `{"phone":"+351939999010"}`},
		"POST /api/company/phone":                       {path: "/api/company/phone", token: companyToken, body: `{"phone":"+351939999010","currentCode":"123456","newCode":"123456"}`},
		"GET /api/carrier/orders":                       {path: "/api/carrier/orders?view=available", token: carrierToken},
		"GET /api/carrier/orders/{deliveryId}":          {path: carrier, token: carrierToken},
		"POST /api/carrier/orders/{deliveryId}/claim":   {path: carrier + "/claim", token: carrierToken},
		"POST /api/carrier/orders/{deliveryId}/pickup":  {path: carrier + "/pickup", token: carrierToken},
		"POST /api/carrier/orders/{deliveryId}/deliver": {path: carrier + "/deliver", token: carrierToken},
		"POST /api/carrier/orders/{deliveryId}/release": {path: carrier + "/release", token: carrierToken},
		"GET /api/carrier/shift":                        {path: "/api/carrier/shift", token: carrierToken},
		"POST /api/carrier/shift":                       {path: "/api/carrier/shift", token: carrierToken, body: `{"onShift":true}`},
		"POST /api/carrier/location":                    {path: "/api/carrier/location", token: carrierToken, body: `{"lat":38.7105,"lng":-9.1365,"accuracy":12}`},
		"GET /api/carrier/push-subscription":            {path: "/api/carrier/push-subscription", token: carrierToken},
		"POST /api/carrier/push-subscription":           {path: "/api/carrier/push-subscription", token: carrierToken, body: pushSubscriptionBody},
		"DELETE /api/carrier/push-subscription":         {path: "/api/carrier/push-subscription", token: carrierToken},
		"GET /api/company/profile":                      {path: "/api/company/profile", token: companyToken},
		"PUT /api/company/profile":                      {path: "/api/company/profile", token: companyToken, body: `{"address":"Rua do Sol 14, 1200-001 Lisboa","phone":"+351210000001","version":1}`},
		"GET /api/company/orders":                       {path: "/api/company/orders", token: companyToken},
		"POST /api/company/orders/{deliveryId}/ready":   {path: shop + "/ready", token: companyToken},
		"POST /api/company/orders/{deliveryId}/cancel":  {path: shop + "/cancel", token: companyToken, body: `{"reason":"Out of flour"}`},
	}
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, route := range routes.Routes {
		key := route.Method + " " + route.Path
		c, ok := calls[key]
		if !ok {
			t.Fatalf("route %s has no request in everyRoute: add one that reaches the database", key)
		}
		c.method = route.Method
		calls[key] = c
	}
	if len(calls) != len(routes.Routes) {
		t.Fatalf("everyRoute has %d requests for %d routes", len(calls), len(routes.Routes))
	}
	return calls
}

// withFreshKey gives a POST /api/orders a new Idempotency-Key.
func withFreshKey(c call) call {
	if c.method == http.MethodPost && c.path == "/api/orders" {
		c.headers = map[string]string{"Idempotency-Key": newKey("route")}
	}
	return c
}

func expectUnavailable(t *testing.T, what string, got reply, took time.Duration) {
	t.Helper()
	if got.status != http.StatusServiceUnavailable || got.errorCode() != "service_unavailable" || got.header.Get("Retry-After") == "" {
		t.Errorf("%s = %d %s (Retry-After %q), want 503 service_unavailable with Retry-After", what, got.status, got.rawBody, got.header.Get("Retry-After"))
	}
	if took > unavailableWithin {
		t.Errorf("%s took %v, want at most %v", what, took.Round(time.Millisecond), unavailableWithin)
	}
}

// While the database is unreachable every database route answers 503 with
// Retry-After within 2 s, and the same process, on the same pool, recovers
// by itself when the database is back.
func TestDatabaseUnreachable(t *testing.T) {
	modes := []struct {
		name string
		mode faultproxy.Mode
	}{
		{"refused", faultproxy.Refuse},
		{"black hole", faultproxy.Blackhole},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := newFaultRig(t, rigOptions{})
			carrierID := int64(1)
			if err := r.direct.Get(&carrierID, `SELECT id FROM carriers ORDER BY id LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			carrierToken, err := r.keyring.MintCarrier(carrierID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			companyToken, err := r.keyring.Mint(1, auth.DefaultScopes, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			calls := r.everyRoute(t, companyToken, carrierToken)
			// Healthy first: the pool holds live connections and the
			// gateway has cached the tokens' policies, so the fault hits
			// the functions' own database work.
			for key, c := range calls {
				if got, _ := r.do(t, withFreshKey(c)); got.status >= 500 || got.status == 0 {
					t.Fatalf("%s before the fault = %d %s", key, got.status, got.rawBody)
				}
			}

			if err := r.proxy.SetMode(m.mode); err != nil {
				t.Fatal(err)
			}
			// A token the gateway has not seen goes to the authorizer,
			// whose own database lookup fails the same way.
			fresh, err := r.keyring.Mint(1, auth.DefaultScopes, 2*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			calls["uncached token: GET /api/company/products"] = call{method: "GET", path: "/api/company/products", token: fresh}
			// All at once, as a burst of traffic would arrive: requests
			// queued for the pool's two stuck connections are bounded too.
			var wg sync.WaitGroup
			for key, c := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, took := r.do(t, withFreshKey(c))
					expectUnavailable(t, key, got, took)
				}()
			}
			wg.Wait()
			delete(calls, "uncached token: GET /api/company/products")

			if err := r.proxy.SetMode(faultproxy.Pass); err != nil {
				t.Fatal(err)
			}
			for key, c := range calls {
				got, took := r.do(t, withFreshKey(c))
				if got.status >= 500 || got.status == 0 || took > unavailableWithin {
					t.Errorf("%s after the database came back = %d %s in %v, want an answer that is not 5xx", key, got.status, got.rawBody, took)
				}
			}
			if got, _ := r.do(t, call{method: "GET", path: "/api/products?limit=2"}); got.status != http.StatusOK {
				t.Errorf("GET /api/products after recovery = %d %s", got.status, got.rawBody)
			}
		})
	}
}

// isSetup says whether a statement is one the driver sends on a new
// connection (its session settings), not one of a request's.
func isSetup(query string) bool {
	return strings.HasPrefix(query, "SET ") || strings.HasPrefix(query, "SELECT @@")
}

// placeEvent is the API Gateway event of POST /api/orders with key.
func placeEvent(key string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodPost, Resource: "/api/orders", Path: "/api/orders",
		Headers: map[string]string{"Content-Type": "application/json", "Idempotency-Key": key},
		Body:    orderBody,
	}
}

// checkWholeOrders fails for any trace of a partly stored order: an order
// without lines, parts, history or key, a key without its order, or
// totals that do not add up.
func checkWholeOrders(t *testing.T, db *sqlx.DB) {
	t.Helper()
	checks := []struct{ what, query string }{
		{"orders without lines", `SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)`},
		{"orders without parts", `SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_parts p WHERE p.order_id = o.id)`},
		{"orders without history", `SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_history h WHERE h.order_id = o.id)`},
		{"orders without an idempotency key", `SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_idempotency k WHERE k.order_id = o.id)`},
		{"idempotency keys without an order", `SELECT COUNT(*) FROM order_idempotency k WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = k.order_id)`},
		{"lines without their order", `SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id)`},
		{"orders whose total or item count is not their lines'", `SELECT COUNT(*) FROM orders o
		    JOIN (SELECT order_id, SUM(line_total) AS total, SUM(quantity) AS items FROM order_items GROUP BY order_id) l ON l.order_id = o.id
		    WHERE l.total <> o.total OR l.items <> o.item_count`},
	}
	for _, c := range checks {
		var n int
		if err := db.Get(&n, c.query); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
}

func countOrders(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM orders`); err != nil {
		t.Fatal(err)
	}
	return n
}

// A connection cut in the middle of placing an order leaves the whole
// order or nothing, and a retry with the same Idempotency-Key then
// succeeds exactly once. The proxy cuts on each statement of the order's
// transaction in turn, before the server sees it and after the server ran
// it (its answer lost): COMMIT included, where the order is stored but
// the client cannot know.
func TestConnectionCutWhilePlacingAnOrder(t *testing.T) {
	r := newFaultDB(t, rigOptions{})
	// Without a notifier: the hand-off would run statements of its own,
	// concurrently, and make the statement count a race.
	fn := app.PlaceOrder(app.Deps{DB: r.db, Currency: "USD", Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()

	var mu sync.Mutex
	var statements []string
	r.proxy.OnQuery(func(q string) faultproxy.Action {
		if !isSetup(q) {
			mu.Lock()
			statements = append(statements, q)
			mu.Unlock()
		}
		return faultproxy.Forward
	})
	if resp, _ := fn.Handle(ctx, placeEvent(newKey("record"))); resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s", resp.StatusCode, resp.Body)
	}
	r.proxy.OnQuery(nil)
	if len(statements) < 6 || !strings.HasPrefix(statements[len(statements)-1], "COMMIT") {
		t.Fatalf("placing an order ran %q; want a transaction ending in COMMIT", statements)
	}

	actions := []struct {
		name   string
		action faultproxy.Action
	}{{"before", faultproxy.CutBefore}, {"after", faultproxy.CutAfter}}
	for i, statement := range statements {
		for _, a := range actions {
			name := a.name + " " + strconv.Itoa(i+1) + " " + strings.Fields(statement)[0]
			t.Run(name, func(t *testing.T) {
				before := countOrders(t, r.direct)
				var seen int
				var cutOn string
				r.proxy.OnQuery(func(q string) faultproxy.Action {
					mu.Lock()
					defer mu.Unlock()
					if isSetup(q) {
						return faultproxy.Forward
					}
					seen++
					if seen == i+1 {
						cutOn = q
						return a.action
					}
					return faultproxy.Forward
				})
				key := newKey("cut")
				first, _ := fn.Handle(ctx, placeEvent(key))
				r.proxy.OnQuery(nil)
				mu.Lock()
				if !strings.HasPrefix(cutOn, strings.Fields(statement)[0]) {
					t.Errorf("cut on %.40q, want statement %d, %.40q", cutOn, i+1, statement)
				}
				mu.Unlock()
				if first.StatusCode != http.StatusCreated && first.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("POST /api/orders cut %s = %d %s, want 201 or 503", name, first.StatusCode, first.Body)
				}
				checkWholeOrders(t, r.direct)
				stored := countOrders(t, r.direct) - before
				if stored > 1 || (stored == 1) != (first.StatusCode == http.StatusCreated || cutOn == "COMMIT" && a.action == faultproxy.CutAfter) {
					t.Errorf("cut %s: answered %d with %d orders stored", name, first.StatusCode, stored)
				}
				t.Logf("cut %s: answered %d, %d order stored", name, first.StatusCode, stored)

				retry, _ := fn.Handle(ctx, placeEvent(key))
				if retry.StatusCode != http.StatusCreated {
					t.Fatalf("retry with the same key = %d %s, want 201", retry.StatusCode, retry.Body)
				}
				if got := countOrders(t, r.direct); got != before+1 {
					t.Errorf("orders after the cut and a retry: %d more, want exactly 1", got-before)
				}
				// Once more: the key now answers with its one order.
				again, _ := fn.Handle(ctx, placeEvent(key))
				if again.StatusCode != http.StatusCreated || again.Headers["Idempotent-Replayed"] != "true" || orderIDOf(t, again) != orderIDOf(t, retry) {
					t.Errorf("second retry = %d %v %s, want the same order replayed", again.StatusCode, again.Headers, again.Body)
				}
				if first.StatusCode == http.StatusCreated && orderIDOf(t, first) != orderIDOf(t, retry) {
					t.Errorf("the retry answered order %s, the first attempt %s", orderIDOf(t, retry), orderIDOf(t, first))
				}
				checkWholeOrders(t, r.direct)
			})
		}
	}
}

func orderIDOf(t *testing.T, resp events.APIGatewayProxyResponse) string {
	t.Helper()
	var body struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.OrderID == "" {
		t.Fatalf("no orderId in %s", resp.Body)
	}
	return body.OrderID
}

// rotatingSecret stands in for Secrets Manager behind the real
// awssecrets code: one secret, whose value a rotation replaces.
type rotatingSecret struct {
	mu      sync.Mutex
	value   string
	fetches int
}

func (s *rotatingSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	return &secretsmanager.GetSecretValueOutput{ARN: in.SecretId, SecretString: &s.value}, nil
}

func (s *rotatingSecret) set(user, password string) {
	v, _ := json.Marshal(mysql.Credentials{Username: user, Password: password})
	s.mu.Lock()
	s.value = string(v)
	s.mu.Unlock()
}

func (s *rotatingSecret) fetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// A credential rotation during traffic: the database user's password
// changes, the secret follows, and every live connection is cut (as a
// proxy or a failover would), so that each container's pool reconnects
// with the password it cached, is refused (1045), fetches the secret
// again and goes on. Each client is a container of its own (its pool, its
// credential cache) sending catalog reads, quotes and orders; none sees
// a request fail more than once.
func TestCredentialRotationDuringTraffic(t *testing.T) {
	r := newFaultDB(t, rigOptions{})
	user := "rot_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for _, stmt := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'before-rotation'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `" + r.dbName + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := r.direct.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { r.direct.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	secret := &rotatingSecret{}
	secret.set(user, "before-rotation")

	const clients = 6
	type stats struct{ requests, afterRotation, failed, failedTwice int }
	results := make([]stats, clients)
	var rotated atomic.Bool
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for c := range clients {
		db, err := mysql.Open(mysql.Settings{
			Addr: r.proxy.Addr(), Database: r.dbName,
			Credentials: awssecrets.NewDBCredentials(secret, "arn:aws:secretsmanager:local:000000000000:secret:db"),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		deps := app.Deps{DB: db, Currency: "USD", Logger: slog.New(slog.DiscardHandler)}
		list, quote, place := app.ListProducts(deps), app.PriceOrder(deps), app.PlaceOrder(deps)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &results[c]
			for i := 0; ctx.Err() == nil; i++ {
				var send func() events.APIGatewayProxyResponse
				switch i % 3 {
				case 0:
					e := events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/api/products", Path: "/api/products",
						QueryStringParameters: map[string]string{"limit": "5"}}
					send = func() events.APIGatewayProxyResponse { resp, _ := list.Handle(ctx, e); return resp }
				case 1:
					e := events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/api/orders/quote", Path: "/api/orders/quote",
						Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"items":[{"productId":3,"quantity":2}]}`}
					send = func() events.APIGatewayProxyResponse { resp, _ := quote.Handle(ctx, e); return resp }
				default:
					e := placeEvent(newKey("rotation"))
					send = func() events.APIGatewayProxyResponse { resp, _ := place.Handle(ctx, e); return resp }
				}
				s.requests++
				if rotated.Load() {
					s.afterRotation++
				}
				if resp := send(); resp.StatusCode < 300 {
					continue
				}
				s.failed++
				if resp := send(); resp.StatusCode >= 300 && ctx.Err() == nil {
					s.failedTwice++
					t.Errorf("client %d: a request failed twice, the second time with %d %s", c, resp.StatusCode, resp.Body)
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond)
	fetchedBefore := secret.fetched()
	if _, err := r.direct.Exec("ALTER USER '" + user + "'@'%' IDENTIFIED BY 'after-rotation'"); err != nil {
		t.Fatal(err)
	}
	secret.set(user, "after-rotation")
	r.proxy.CutAll()
	rotated.Store(true)
	time.Sleep(700 * time.Millisecond)
	stop()
	wg.Wait()

	for c, s := range results {
		t.Logf("client %d: %d requests (%d after the rotation), %d failed once, %d failed twice", c, s.requests, s.afterRotation, s.failed, s.failedTwice)
		if s.afterRotation == 0 {
			t.Errorf("client %d sent no request after the rotation", c)
		}
	}
	if refetched := secret.fetched() - fetchedBefore; refetched < clients {
		t.Errorf("the secret was fetched %d times after the rotation, want each of the %d containers to fetch it again", refetched, clients)
	}
	checkWholeOrders(t, r.direct)
}

// switchable fronts an AWS stand-in with a switch that makes every call
// fail as the service does when it is down (500 and the service's own
// error), and counts the calls.
type switchable struct {
	*httptest.Server
	failing atomic.Bool
	calls   atomic.Int64
}

func newSwitchable(t *testing.T, next http.Handler, fail func(w http.ResponseWriter)) *switchable {
	t.Helper()
	s := &switchable{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if s.failing.Load() {
			fail(w)
			return
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// testClock is the dispatcher's clock, moved by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type notificationBody struct {
	Notification struct {
		Status        string     `json:"status"`
		Attempts      int        `json:"attempts"`
		LastError     *string    `json:"lastError"`
		NextAttemptAt *time.Time `json:"nextAttemptAt"`
	} `json:"notification"`
}

func getNotification(t *testing.T, fn *apigw.Function, orderID string) notificationBody {
	t.Helper()
	resp, _ := fn.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Resource: "/api/orders/{orderId}", Path: "/api/orders/" + orderID,
		PathParameters: map[string]string{"orderId": orderID},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/orders/%s = %d %s", orderID, resp.StatusCode, resp.Body)
	}
	var b notificationBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// expectFailed checks that the order shows its failed notification: the
// status, the reason from the fixed vocabulary and the retry's time.
func expectFailed(t *testing.T, got notificationBody, attempts int, reason string, retryAt time.Time) {
	t.Helper()
	n := got.Notification
	if n.Status != "failed" || n.Attempts != attempts || n.LastError == nil || *n.LastError != reason ||
		n.NextAttemptAt == nil || n.NextAttemptAt.Sub(retryAt).Abs() > time.Second {
		t.Errorf("notification = %+v (lastError %v, nextAttemptAt %v), want failed after %d attempts, %q, retry at %v",
			n, deref(n.LastError), n.NextAttemptAt, attempts, reason, retryAt)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// SNS and Lambda Invoke failing, through the real SDK clients against
// stand-ins that fail: the order is kept (201), the failure shows on
// GET /api/orders/{id} with its reason and next attempt, the sweep
// (driven by the dispatcher's clock) retries on schedule, and once the
// service is back the sweep delivers.
func TestNotificationServicesFailing(t *testing.T) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	awsCreds := credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")

	t.Run("Lambda Invoke", func(t *testing.T) {
		r := newFaultDB(t, rigOptions{})
		aws := lambdatest.StartAWS(nil)
		t.Cleanup(aws.Close)
		standIn := newSwitchable(t, aws.Config.Handler, func(w http.ResponseWriter) {
			w.Header().Set("X-Amzn-ErrorType", "ServiceException")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"__type":"ServiceException","message":"Lambda is unavailable"}`)
		})
		standIn.failing.Store(true)
		// The client as FromEnv builds it: the SDK's default retries.
		client := lambda.New(lambda.Options{BaseEndpoint: &standIn.URL, Region: "eu-west-1", Credentials: awsCreds})
		dispatcher := notify.NewDispatcher(mysql.NewOrderStore(r.db), lambdainvoke.Invoker{Client: client, Function: "notifycarrier"}, logger)
		clock := &testClock{now: time.Now().UTC()}
		dispatcher.SetClock(clock.Now)
		fn := app.PlaceOrder(app.Deps{DB: r.db, Currency: "USD", Logger: logger, Notifier: dispatcher})

		placed, _ := fn.Handle(ctx, placeEvent(newKey("invoke")))
		if placed.StatusCode != http.StatusCreated {
			t.Fatalf("POST /api/orders with Lambda down = %d %s, want 201", placed.StatusCode, placed.Body)
		}
		id := orderIDOf(t, placed)
		expectFailed(t, getNotification(t, fn, id), 1, notify.ReasonHandOff, clock.Now().Add(time.Minute))

		clock.Add(30 * time.Second)
		if rep, err := dispatcher.Sweep(ctx); err != nil || rep.Due != 0 {
			t.Errorf("sweep before the retry is due = %+v, %v; want nothing due", rep, err)
		}
		clock.Add(31 * time.Second)
		if rep, err := dispatcher.Sweep(ctx); err != nil || rep.HandedOff != 1 {
			t.Errorf("sweep when due = %+v, %v; want one retry", rep, err)
		}
		expectFailed(t, getNotification(t, fn, id), 2, notify.ReasonHandOff, clock.Now().Add(2*time.Minute))

		standIn.failing.Store(false)
		clock.Add(2 * time.Minute)
		if rep, err := dispatcher.Sweep(ctx); err != nil || rep.HandedOff != 1 {
			t.Errorf("sweep with Lambda back = %+v, %v; want one hand-off", rep, err)
		}
		if got := getNotification(t, fn, id).Notification; got.Status != "handed_off" || got.Attempts != 3 {
			t.Errorf("notification with Lambda back = %+v, want handed_off after 3 attempts", got)
		}
		invokes := aws.Invokes()
		if len(invokes) != 1 || invokes[0].InvocationType != "Event" || !strings.Contains(string(invokes[0].Payload), id) {
			t.Errorf("invocations reaching Lambda = %+v, want one Event for order %s", invokes, id)
		}
	})

	t.Run("SNS", func(t *testing.T) {
		r := newFaultDB(t, rigOptions{})
		sns := snstest.New(t)
		standIn := newSwitchable(t, sns.Config.Handler, func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>SNS is unavailable</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		})
		standIn.failing.Store(true)
		// One attempt: the SDK's own retries are not under test here.
		client := awssns.New(awssns.Options{BaseEndpoint: &standIn.URL, Region: "eu-west-1", Credentials: awsCreds, RetryMaxAttempts: 1})
		// notifycarrier run in-process, as the local runner does, with the
		// real SNS client; its outcome comes back as Lambda's destination
		// record.
		dispatcher, invoker, err := notify.NewLocal(mysql.NewOrderStore(r.db), snssms.Publisher{Client: client, Log: logger}, nil, localrun.DefaultSiteURL, logger)
		if err != nil {
			t.Fatal(err)
		}
		clock := &testClock{now: time.Now().UTC()}
		dispatcher.SetClock(clock.Now)
		fn := app.PlaceOrder(app.Deps{DB: r.db, Currency: "USD", Logger: logger, Notifier: dispatcher})

		placed, _ := fn.Handle(ctx, placeEvent(newKey("sns")))
		if placed.StatusCode != http.StatusCreated {
			t.Fatalf("POST /api/orders with SNS down = %d %s, want 201", placed.StatusCode, placed.Body)
		}
		id := orderIDOf(t, placed)
		invoker.Wait()
		expectFailed(t, getNotification(t, fn, id), 1, notify.ReasonDelivery, clock.Now().Add(time.Minute))

		clock.Add(time.Minute + time.Second)
		if rep, err := dispatcher.Sweep(ctx); err != nil || rep.HandedOff != 1 {
			t.Errorf("sweep when due = %+v, %v; want one retry", rep, err)
		}
		invoker.Wait()
		expectFailed(t, getNotification(t, fn, id), 2, notify.ReasonDelivery, clock.Now().Add(2*time.Minute))

		standIn.failing.Store(false)
		clock.Add(2*time.Minute + time.Second)
		if rep, err := dispatcher.Sweep(ctx); err != nil || rep.HandedOff != 1 {
			t.Errorf("sweep with SNS back = %+v, %v; want one retry", rep, err)
		}
		invoker.Wait()
		if got := getNotification(t, fn, id).Notification; got.Status != "notified" || got.Attempts != 3 || got.LastError != nil || got.NextAttemptAt != nil {
			t.Errorf("notification with SNS back = %+v, want notified after 3 attempts", got)
		}
		var published []string
		for _, req := range sns.Requests() {
			if req.Get("Action") == "Publish" {
				published = append(published, req.Get("Message"))
			}
		}
		if len(published) != 1 {
			t.Errorf("SMS published = %q, want exactly one", published)
		}
	})
}

// A slow database (latency on every packet) makes requests run into their
// deadline at every point of their work, transactions included: each
// still answers within 2 s, with its result or a 503, never a 500.
func TestSlowDatabase(t *testing.T) {
	for _, latency := range []time.Duration{150 * time.Millisecond, 350 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			// A connection for each request, as each Lambda container has
			// its own: the latency, not a queue for the pool, is what the
			// deadline meets.
			r := newFaultRig(t, rigOptions{maxOpenConns: 40})
			carrierID := int64(1)
			if err := r.direct.Get(&carrierID, `SELECT id FROM carriers ORDER BY id LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			carrierToken, err := r.keyring.MintCarrier(carrierID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			companyToken, err := r.keyring.Mint(1, auth.DefaultScopes, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			calls := r.everyRoute(t, companyToken, carrierToken)
			// The gateway caches the tokens' policies, as API Gateway does
			// for five minutes: under test is each function's own bound.
			// (An uncached token adds the authorizer's, which is its own
			// Lambda with the same bound.)
			for _, c := range []call{{method: "GET", path: "/api/company/products", token: companyToken}, {method: "GET", path: "/api/carrier/orders", token: carrierToken}} {
				if got, _ := r.do(t, c); got.status != http.StatusOK {
					t.Fatalf("GET %s = %d %s", c.path, got.status, got.rawBody)
				}
			}
			r.proxy.SetLatency(latency)
			var wg sync.WaitGroup
			var answered, unavailable atomic.Int64
			for key, c := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, took := r.do(t, withFreshKey(c))
					switch {
					case got.status == http.StatusServiceUnavailable:
						expectUnavailable(t, key, got, took)
						unavailable.Add(1)
					case got.status >= 500 || got.status == 0:
						t.Errorf("%s with %v latency = %d %s, want its answer or 503", key, latency, got.status, got.rawBody)
					case took > unavailableWithin:
						t.Errorf("%s with %v latency took %v, want at most %v", key, latency, took, unavailableWithin)
					default:
						answered.Add(1)
					}
				}()
			}
			wg.Wait()
			t.Logf("%v latency: %d routes answered, %d answered 503", latency, answered.Load(), unavailable.Load())
			r.proxy.SetLatency(0)
			checkWholeOrders(t, r.direct)
		})
	}
}
