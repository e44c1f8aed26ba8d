package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localgw"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify"
)

func TestParseUsers(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool
	}{
		{"two functions", `{"listproducts":"arn:aws:secretsmanager:eu-west-1:1:secret:a","signin":"arn:b"}`, true},
		{"none", `{}`, true},
		{"unknown function", `{"migrate":"arn:a"}`, false},
		{"empty arn", `{"listproducts":" "}`, false},
		{"not an object", `["listproducts"]`, false},
		{"not JSON", `listproducts=arn`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.ParseUsers(tt.in)
			if (err == nil) != tt.valid {
				t.Errorf("ParseUsers(%s) = %v, want valid %v", tt.in, err, tt.valid)
			}
		})
	}
	if users, err := admin.UsersFromEnv(func(string) string { return "" }, nil); err != nil || len(users) != 0 {
		t.Errorf("UsersFromEnv without DB_USERS = %v, %v; want none", users, err)
	}
	if _, err := admin.UsersFromEnv(func(string) string { return `{"migrate":"arn:a"}` }, nil); err == nil {
		t.Error("UsersFromEnv with a function that has no grants = nil error, want one")
	}
}

// Every table of the schema is named in the grant table, so that a
// migration adding a table cannot leave every function without access to
// it unnoticed; and every table the grant table names exists, so that a
// misspelt name is not silently skipped.
func TestFunctionGrantsCoverTheSchema(t *testing.T) {
	db := dbtest.MustOpenDB(t)
	var tables []string
	if err := db.Select(&tables, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`); err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for fn, grants := range admin.FunctionGrants {
		for table, privs := range grants {
			named[table] = true
			if !slices.Contains(privs, admin.Select) {
				t.Errorf("FunctionGrants[%s][%s] = %v: every statement that writes also reads (WHERE), so SELECT is needed", fn, table, privs)
			}
			if !slices.Contains(tables, table) {
				t.Errorf("FunctionGrants[%s] names %s, which no migration creates", fn, table)
			}
		}
	}
	for _, table := range tables {
		if strings.HasPrefix(table, "goose_") {
			continue
		}
		if !named[table] {
			t.Errorf("table %s is in no function's grants: add it to admin.FunctionGrants for the functions that use it", table)
		}
	}
	for _, fn := range []string{"listproducts", "priceorder", "updateproduct", "placeorder", "fulfilment", "signin", "authorizer", "imageprocessor"} {
		if _, ok := admin.FunctionGrants[fn]; !ok {
			t.Errorf("FunctionGrants has no line for %s", fn)
		}
	}
}

// needsServer skips a test on the embedded engine, which has no users,
// passwords or privileges.
func needsServer(t *testing.T) {
	t.Helper()
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skipf("needs MySQL or MariaDB (the embedded engine has no users or privileges): set %s, for example root@tcp(127.0.0.1:3306)/", dbtest.EnvDSN)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// functionUsers returns credentials for every function of FunctionGrants,
// under names of this test's own (users are server-wide, and tests run in
// parallel), and drops the users when the test ends.
func functionUsers(t *testing.T, dsn string) map[string]mysql.Credentials {
	t.Helper()
	prefix := "t" + randomHex(t, 4) + "_"
	users := map[string]mysql.Credentials{}
	for fn := range admin.FunctionGrants {
		users[fn] = mysql.Credentials{Username: prefix + fn, Password: randomHex(t, 16)}
	}
	t.Cleanup(func() {
		for _, c := range users {
			if err := mysql.ExecOnServer(context.Background(), dsn, "DROP USER IF EXISTS '"+c.Username+"'@'%'"); err != nil {
				t.Errorf("drop user %s: %v", c.Username, err)
			}
		}
	})
	return users
}

func sources(users map[string]mysql.Credentials) map[string]mysql.CredentialSource {
	s := map[string]mysql.CredentialSource{}
	for fn, c := range users {
		s[fn] = mysql.StaticCredentials(c)
	}
	return s
}

// openAs opens a pool on dsn's database as c.
func openAs(t *testing.T, dsn string, c mysql.Credentials) *sqlx.DB {
	t.Helper()
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = c.Username, c.Password
	db, err := mysql.OpenDSN(cfg.FormatDSN(), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mysqlErrorNumber(err error) uint16 {
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestEnsureUsers(t *testing.T) {
	needsServer(t)
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	root, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	users := functionUsers(t, dsn)

	first, err := admin.EnsureUsers(ctx, root, sources(users))
	if err != nil {
		t.Fatalf("EnsureUsers = %v", err)
	}
	if len(first.Users) != len(admin.FunctionGrants) || first.Users["listproducts"] != users["listproducts"].Username {
		t.Errorf("EnsureUsers report = %v, want every function's user", first.Users)
	}
	grantsOf := func(user string) []string {
		var rows []string
		if err := root.Select(&rows, `SELECT CONCAT(TABLE_NAME, ':', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES
			WHERE GRANTEE = ? ORDER BY 1`, "'"+user+"'@'%'"); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	before := grantsOf(users["placeorder"].Username)
	if _, err := admin.EnsureUsers(ctx, root, sources(users)); err != nil {
		t.Fatalf("EnsureUsers again = %v, want it idempotent", err)
	}
	if after := grantsOf(users["placeorder"].Username); !slices.Equal(before, after) {
		t.Errorf("grants after a second run = %v, want %v", after, before)
	}

	lp := openAs(t, dsn, users["listproducts"])
	var n int
	if err := lp.Get(&n, `SELECT COUNT(*) FROM products`); err != nil {
		t.Errorf("listproducts' user reading the catalog: %v", err)
	}
	for _, stmt := range []string{
		`INSERT INTO companies (name) VALUES ('Intruder')`,
		`UPDATE products SET price = 0`,
		`DELETE FROM products`,
		`INSERT INTO orders (id) VALUES ('x')`,
		`SELECT COUNT(*) FROM orders`,
	} {
		if _, err := lp.Exec(stmt); mysqlErrorNumber(err) != 1142 {
			t.Errorf("listproducts' user: %s = %v, want error 1142 (command denied)", stmt, err)
		}
	}

	// A privilege the table no longer gives is taken back; a new password
	// reaches MySQL, and the old one stops working.
	if _, err := root.Exec("GRANT DELETE ON " + mysql.QuoteIdent(dbName(t, dsn)) + ".products TO '" + users["listproducts"].Username + "'@'%'"); err != nil {
		t.Fatal(err)
	}
	oldCreds := users["listproducts"]
	users["listproducts"] = mysql.Credentials{Username: oldCreds.Username, Password: randomHex(t, 16)}
	var logs bytes.Buffer
	report, err := admin.EnsureUsers(ctx, root, sources(users))
	if err != nil {
		t.Fatalf("EnsureUsers after a change = %v", err)
	}
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("function users ensured", "users", report.Users)
	if got := grantsOf(oldCreds.Username); slices.Contains(got, "products:DELETE") {
		t.Errorf("listproducts' grants = %v: DELETE on products was not revoked", got)
	}
	if err := openAs(t, dsn, users["listproducts"]).Ping(); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if err := openAs(t, dsn, oldCreds).Ping(); mysqlErrorNumber(err) != 1045 && !strings.Contains(strings.ToLower(errString(err)), "access denied") {
		t.Errorf("the old password: %v, want access denied", err)
	}
	out, _ := json.Marshal(report)
	for _, c := range users {
		if strings.Contains(string(out), c.Password) || strings.Contains(logs.String(), c.Password) {
			t.Fatalf("a password is in the report or its log line: %s", out)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.DBName
}

// The migrate action creates the users and never logs a password, even
// when it fails.
func TestMigrateCreatesFunctionUsers(t *testing.T) {
	needsServer(t)
	dsn := dbtest.NewDSN(t)
	root, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	users := functionUsers(t, dsn)
	var logs bytes.Buffer
	noSync := func(context.Context, []string) (notify.SyncReport, error) { return notify.SyncReport{}, nil }
	migrate := admin.Migrate(app.Deps{DB: root, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, noSync, sources(users))
	resp, err := migrate(context.Background(), admin.MigrateRequest{Action: "migrate"})
	if err != nil {
		t.Fatalf("migrate = %v", err)
	}
	if resp.Users["signin"] != users["signin"].Username {
		t.Errorf("migrate's users = %v", resp.Users)
	}
	bad := sources(users)
	bad["signin"] = mysql.StaticCredentials{Username: "Bad-Name", Password: "hunter2-" + randomHex(t, 8)}
	if _, err := admin.Migrate(app.Deps{DB: root, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, noSync, bad)(context.Background(), admin.MigrateRequest{Action: "migrate"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("migrate with a bad user name = %v, want an error without the password", err)
	}
	for _, c := range users {
		if strings.Contains(logs.String(), c.Password) {
			t.Fatal("a password is in migrate's log")
		}
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Fatal("a password is in migrate's log")
	}
}

// texts keeps the SMS the functions send.
type texts struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (s *texts) SendText(_ context.Context, phone, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sent == nil {
		s.sent = map[string][]string{}
	}
	s.sent[phone] = append(s.sent[phone], text)
	return nil
}

func (s *texts) last(phone string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.sent[phone]; len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

type noInvoker struct{}

func (noInvoker) Invoke(context.Context, notify.OrderEvent) error { return nil }

type reply struct {
	status int
	body   map[string]any
	raw    string
}

// TestFunctionUsersRunTheirFlows runs every function's handlers with a
// pool of its own, signed in as its own user with the grants of
// FunctionGrants, behind the local API Gateway: a catalog read, a quote,
// orders placed, tracked, cancelled by the shopper and by a shop, claimed,
// readied, picked up and delivered, a product created and changed, a
// photo set, a carrier signed in, and the notification sweep. A statement
// a function's grants do not allow fails it with error 1142, so a missing
// grant fails this test.
func TestFunctionUsersRunTheirFlows(t *testing.T) {
	needsServer(t)
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	root, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := demo.SeedIfEmpty(ctx, root); err != nil {
		t.Fatal(err)
	}
	const carrierPhone = "+351919999911"
	carrier, err := mysql.NewCarrierStore(root).AddCarrier(ctx, market.Carrier{Name: "Grant Tester", Phone: carrierPhone})
	if err != nil {
		t.Fatal(err)
	}
	users := functionUsers(t, dsn)
	if _, err := admin.EnsureUsers(ctx, root, sources(users)); err != nil {
		t.Fatal(err)
	}

	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring := auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "test", Audience: "test-api"}
	keys := func(context.Context) (auth.Keyring, error) { return keyring, nil }
	sms := &texts{}
	// The functions' errors are logged: show them when the test fails.
	var logs bytes.Buffer
	var logsMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logsMu}, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("functions' logs:\n%s", logs.String())
		}
	})
	deps := func(fn string) app.Deps {
		return app.Deps{DB: openAs(t, dsn, users[fn]), Currency: "USD", Logger: logger, Keyring: keys, Signer: keys, Texts: sms}
	}
	placeDeps := deps("placeorder")
	dispatcher := notify.NewDispatcher(mysql.NewOrderStore(placeDeps.DB), noInvoker{}, logger)
	placeDeps.Notifier = dispatcher
	handlers := map[string]localgw.Handler{
		"listproducts":  app.ListProducts(deps("listproducts")).Handle,
		"priceorder":    app.PriceOrder(deps("priceorder")).Handle,
		"updateproduct": app.UpdateProduct(deps("updateproduct")).Handle,
		"placeorder":    app.PlaceOrder(placeDeps).Handle,
		"fulfilment":    app.Fulfilment(deps("fulfilment")).Handle,
		"signin":        app.SignIn(deps("signin")).Handle,
	}
	authorizer, err := app.Authorizer(deps("authorizer"))
	if err != nil {
		t.Fatal(err)
	}
	routes, err := api.Routes()
	if err != nil {
		t.Fatal(err)
	}
	gw, err := localgw.New(routes, handlers, authorizer.Handle)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()

	do := func(method, path, token string, headers map[string]string, body string) reply {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
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
		r := reply{status: resp.StatusCode, raw: string(raw)}
		_ = json.Unmarshal(raw, &r.body)
		return r
	}
	expect := func(what string, r reply, status int) reply {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s = %d %s, want %d", what, r.status, r.raw, status)
		}
		return r
	}
	companyToken := func(company int64) string {
		token, err := keyring.Mint(company, auth.DefaultScopes, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	carrierToken, err := keyring.MintCarrier(carrier.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	orderBody := `{"items":[{"productId":1,"quantity":2},{"productId":9,"quantity":1}],
	  "customer":{"name":"Ana Silva","phone":"+351912345678","address":"Rua Augusta 10, Lisboa"}}`
	placeOrder := func() string {
		t.Helper()
		r := expect("place an order", do(http.MethodPost, "/api/orders", "", map[string]string{"Idempotency-Key": "grants-" + randomHex(t, 8)}, orderBody), http.StatusCreated)
		return r.body["orderId"].(string)
	}
	deliveryID := func(reference string) string {
		t.Helper()
		r := expect("available orders", do(http.MethodGet, "/api/carrier/orders?view=available&limit=100", carrierToken, nil, ""), 200)
		for _, o := range r.body["orders"].([]any) {
			if o := o.(map[string]any); o["reference"] == reference {
				return o["deliveryId"].(string)
			}
		}
		t.Fatalf("order %s is not available to carriers: %s", reference, r.raw)
		return ""
	}

	// listproducts, priceorder
	expect("the catalog", do(http.MethodGet, "/api/products?limit=5", "", nil, ""), 200)
	expect("a search", do(http.MethodGet, "/api/products?q=bread&limit=5", "", nil, ""), 200)
	expect("the companies", do(http.MethodGet, "/api/companies", "", nil, ""), 200)
	expect("a quote", do(http.MethodPost, "/api/orders/quote", "", nil, `{"items":[{"productId":1,"quantity":2}]}`), 200)

	// placeorder, fulfilment, authorizer: the whole delivery.
	orderID := placeOrder()
	placed := expect("track the order", do(http.MethodGet, "/api/orders/"+orderID, "", nil, ""), 200)
	id := deliveryID(placed.body["reference"].(string))
	expect("claim", do(http.MethodPost, "/api/carrier/orders/"+id+"/claim", carrierToken, nil, ""), 200)
	expect("the carrier's order", do(http.MethodGet, "/api/carrier/orders/"+id, carrierToken, nil, ""), 200)
	for _, company := range []int64{1, 2} {
		expect("the company's orders", do(http.MethodGet, "/api/company/orders", companyToken(company), nil, ""), 200)
		expect("ready", do(http.MethodPost, "/api/company/orders/"+id+"/ready", companyToken(company), nil, ""), 200)
	}
	expect("pickup", do(http.MethodPost, "/api/carrier/orders/"+id+"/pickup", carrierToken, nil, ""), 200)
	expect("deliver", do(http.MethodPost, "/api/carrier/orders/"+id+"/deliver", carrierToken, nil, ""), 200)
	if r := expect("track the delivered order", do(http.MethodGet, "/api/orders/"+orderID, "", nil, ""), 200); r.body["status"] != "delivered" {
		t.Errorf("order status = %v, want delivered", r.body["status"])
	}

	// A claim released, a shop's cancel (which texts the carrier), a
	// shopper's cancel.
	second := placeOrder()
	secondID := deliveryID(expect("track", do(http.MethodGet, "/api/orders/"+second, "", nil, ""), 200).body["reference"].(string))
	expect("claim", do(http.MethodPost, "/api/carrier/orders/"+secondID+"/claim", carrierToken, nil, ""), 200)
	expect("release", do(http.MethodPost, "/api/carrier/orders/"+secondID+"/release", carrierToken, nil, ""), 200)
	expect("claim again", do(http.MethodPost, "/api/carrier/orders/"+secondID+"/claim", carrierToken, nil, ""), 200)
	expect("a shop cancels", do(http.MethodPost, "/api/company/orders/"+secondID+"/cancel", companyToken(1), nil, `{"reason":"Out of flour"}`), 200)
	expect("the shopper cancels", do(http.MethodPost, "/api/orders/"+placeOrder()+"/cancel", "", nil, ""), 200)
	expect("the company's profile", do(http.MethodGet, "/api/company/profile", companyToken(1), nil, ""), 200)

	// A carrier's shift, started, located and ended; dispatch, as
	// placeorder's user, looks for the carriers nearest a pickup, and the
	// sweep forgets ended shifts.
	expect("start a shift", do(http.MethodPost, "/api/carrier/shift", carrierToken, nil, `{"onShift":true}`), 200)
	expect("send a position", do(http.MethodPost, "/api/carrier/location", carrierToken, nil, `{"lat":38.7105,"lng":-9.1365,"accuracy":12}`), 200)
	expect("the shift", do(http.MethodGet, "/api/carrier/shift", carrierToken, nil, ""), 200)
	shifts := mysql.NewShiftStore(placeDeps.DB)
	if near, err := shifts.NearestOnShift(ctx, market.Location{Lat: 38.71, Lng: -9.14}, 10, 6, time.Now()); err != nil || len(near) != 1 {
		t.Errorf("NearestOnShift as placeorder's user = %v, %v, want the carrier", near, err)
	}
	if _, err := shifts.EndExpired(ctx, time.Now().Add(market.ShiftMaxLength), 10); err != nil {
		t.Errorf("EndExpired as placeorder's user: %v", err)
	}
	expect("end the shift", do(http.MethodPost, "/api/carrier/shift", carrierToken, nil, `{"onShift":false}`), 200)

	// The sweep: hand-offs and re-offers, as placeorder's schedule runs it.
	dispatcher.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if _, err := dispatcher.Sweep(ctx); err != nil {
		t.Errorf("the sweep as placeorder's user: %v", err)
	}

	// updateproduct: a product created, changed, its photo removed,
	// archived.
	token := companyToken(1)
	created := expect("create a product", do(http.MethodPost, "/api/company/products", token, nil, `{"name":"Rye loaf","description":"Dark and dense.","price":"5.40"}`), http.StatusCreated)
	productID := strconv.FormatFloat(created.body["id"].(float64), 'f', 0, 64)
	expect("list the company's products", do(http.MethodGet, "/api/company/products", token, nil, ""), 200)
	expect("change the product", do(http.MethodPut, "/api/products/"+productID, token, map[string]string{"If-Match": `"1"`}, `{"name":"Rye loaf","description":"Darker.","price":"5.60"}`), 200)

	// imageprocessor sets the photo; updateproduct removes it.
	pid, _ := strconv.ParseInt(productID, 10, 64)
	img := market.StoredImage{Key320: strings.Repeat("a", 64), Key960: strings.Repeat("b", 64), Width: 960, Height: 720}
	if _, err := mysql.NewProductStore(openAs(t, dsn, users["imageprocessor"])).SetImage(ctx, 1, pid, img); err != nil {
		t.Errorf("SetImage as imageprocessor's user: %v", err)
	}
	current := expect("the product", do(http.MethodGet, "/api/company/products/"+productID, token, nil, ""), 200)
	version := strconv.FormatFloat(current.body["version"].(float64), 'f', 0, 64)
	expect("remove the photo", do(http.MethodDelete, "/api/products/"+productID+"/image", token, map[string]string{"If-Match": `"` + version + `"`}, ""), 200)
	current = expect("the product", do(http.MethodGet, "/api/company/products/"+productID, token, nil, ""), 200)
	version = strconv.FormatFloat(current.body["version"].(float64), 'f', 0, 64)
	expect("archive the product", do(http.MethodDelete, "/api/products/"+productID, token, map[string]string{"If-Match": `"` + version + `"`}, ""), 200)

	// signin: a code asked for and used.
	expect("ask for a code", do(http.MethodPost, "/api/carrier/session/code", "", nil, `{"phone":"`+carrierPhone+`"}`), 202)
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sms.last(carrierPhone))
	if code == "" {
		t.Fatalf("no sign-in code was texted: %q", sms.last(carrierPhone))
	}
	expect("sign in", do(http.MethodPost, "/api/carrier/session", "", nil, `{"phone":"`+carrierPhone+`","code":"`+code+`"}`), 200)

	logsMu.Lock()
	defer logsMu.Unlock()
	if strings.Contains(logs.String(), "1142") || strings.Contains(logs.String(), "command denied") {
		t.Errorf("a function was refused a statement:\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
