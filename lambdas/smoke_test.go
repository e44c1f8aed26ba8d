// Package lambdas_test runs the real bootstrap of every function under
// lambdas/ as Lambda would: built as setup.sh builds it (for this machine),
// started as a process of its own under a stand-in of the Lambda Runtime
// API, with the AWS SDK pointed at stand-ins of Secrets Manager, SNS,
// Lambda and S3 through the AWS_ENDPOINT_URL_* variables, against MariaDB. It
// checks that each function answers a realistic event, that a missing or
// malformed setting fails the start through the Runtime API's init error
// call, and that a Secrets Manager outage at a cold start is a 503, not a
// crash loop.
package lambdas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/lambdatest"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
)

// root is the repository, from this package.
const root = ".."

// timeout bounds one invocation; a function that hangs fails the test
// instead of the test binary.
const timeout = 30 * time.Second

// built holds the bootstraps, built once per test binary: every test here
// shares them.
var built struct {
	once  sync.Once
	paths map[string]string
	err   error
	dir   string
}

// bootstraps builds every lambdas/* function for this machine's GOOS and
// GOARCH with setup.sh's flags, once.
func bootstraps(t *testing.T) map[string]string {
	t.Helper()
	built.once.Do(func() {
		names, err := lambdatest.FunctionNames(root)
		if err != nil {
			built.err = err
			return
		}
		// Not t.TempDir: the binaries outlive the first test that asks.
		if built.dir, err = os.MkdirTemp("", "delivery-smoke-"); err != nil {
			built.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		built.paths, built.err = lambdatest.BuildBootstraps(ctx, root, built.dir, runtime.GOOS, runtime.GOARCH, names...)
	})
	if built.err != nil {
		t.Fatalf("build the bootstraps: %v", built.err)
	}
	return built.paths
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// needMariaDB skips a test that runs the functions against a database.
func needMariaDB(t *testing.T) {
	t.Helper()
	if os.Getenv(dbtest.EnvDSN) == "" {
		t.Skipf("the Lambda smoke tests run the built functions against MariaDB: set %s (CI does), e.g. %s='root@tcp(127.0.0.1:3306)/'", dbtest.EnvDSN, dbtest.EnvDSN)
	}
}

// newStack returns the stand-ins and a fresh, migrated and seeded database
// of the test's own.
func newStack(t *testing.T) *lambdatest.Stack {
	t.Helper()
	s, err := lambdatest.NewStack(context.Background(), dbtest.NewDSN(t))
	if err != nil {
		t.Fatalf("stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the stack: %v", err)
		}
	})
	return s
}

// start runs function name as a fresh process with env (its environment
// against s by default) and stops it when the test ends, showing its
// output if the test failed.
func start(t *testing.T, name string, env []string) *lambdatest.Process {
	t.Helper()
	f, ok := lambdatest.LookupFunction(name)
	if !ok {
		t.Fatalf("no function %q in lambdatest.Functions", name)
	}
	p, err := lambdatest.NewProcess(bootstraps(t)[name], name, f.MemoryMB, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

func stackEnv(t *testing.T, s *lambdatest.Stack, name string) []string {
	t.Helper()
	env, err := s.Env(name)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// call invokes p with event and returns its answer, failing the test on a
// function error unless wantError.
func call(t *testing.T, p *lambdatest.Process, event []byte) lambdatest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := p.Call(ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v: %s", err, res.Payload)
	}
	return res
}

// apiResponse is an API Gateway proxy response as the function posted it.
type apiResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// callAPI invokes p with the API request r and checks the status; it
// returns the response with its body decoded into body (if not nil).
func callAPI(t *testing.T, p *lambdatest.Process, r lambdatest.Request, wantStatus int, body any) apiResponse {
	t.Helper()
	event, err := lambdatest.APIEvent(root, r)
	if err != nil {
		t.Fatal(err)
	}
	return checkAPI(t, call(t, p, event), r.Method+" "+r.Path, wantStatus, body)
}

func checkAPI(t *testing.T, res lambdatest.Result, what string, wantStatus int, body any) apiResponse {
	t.Helper()
	if res.Error {
		t.Fatalf("%s: function error %s", what, res.Payload)
	}
	var resp apiResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("%s: response %s: %v", what, res.Payload, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s = %d %s, want %d", what, resp.StatusCode, resp.Body, wantStatus)
	}
	if body != nil {
		if err := json.Unmarshal([]byte(resp.Body), body); err != nil {
			t.Fatalf("%s: body %q: %v", what, resp.Body, err)
		}
	}
	return resp
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(root + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// smokeCase is how one or more functions are checked: the names of those
// it covers (a case may chain functions, as placeorder hands orders to
// notifycarrier) and the check.
type smokeCase struct {
	name      string
	functions []string
	run       func(t *testing.T, s *lambdatest.Stack)
}

var smokeCases = []smokeCase{
	{"listproducts", []string{"listproducts"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "listproducts", stackEnv(t, s, "listproducts"))
		var page struct {
			Products []struct {
				ID       int64  `json:"id"`
				Name     string `json:"name"`
				Price    string `json:"price"`
				Currency string `json:"currency"`
			} `json:"products"`
			NextCursor *string `json:"nextCursor"`
		}
		callAPI(t, p, lambdatest.Request{Method: "GET", Path: "/api/products", Resource: "/api/products", Query: map[string]string{"limit": "5"}}, http.StatusOK, &page)
		if len(page.Products) != 5 || page.NextCursor == nil {
			t.Fatalf("page = %d products, next cursor %v; want 5 of the demo catalog and a next page", len(page.Products), page.NextCursor)
		}
		for _, pr := range page.Products {
			if pr.ID == 0 || pr.Name == "" || !regexp.MustCompile(`^\d+\.\d\d$`).MatchString(pr.Price) || pr.Currency != "USD" {
				t.Errorf("product = %+v, want an id, a name and a USD price with two decimals", pr)
			}
		}
	}},
	{"priceorder", []string{"priceorder"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "priceorder", stackEnv(t, s, "priceorder"))
		var quote struct {
			Currency  string `json:"currency"`
			ItemCount int    `json:"itemCount"`
			Lines     []struct {
				ProductID int64  `json:"productId"`
				LineTotal string `json:"lineTotal"`
			} `json:"lines"`
			Total string `json:"total"`
		}
		checkAPI(t, call(t, p, readFile(t, "internal/apigw/testdata/quote.json")), "POST /api/orders/quote", http.StatusOK, &quote)
		if quote.Currency != "USD" || len(quote.Lines) == 0 || quote.ItemCount == 0 || quote.Total == "" {
			t.Errorf("quote = %+v, want USD lines, an item count and a total", quote)
		}
	}},
	{"updateproduct", []string{"updateproduct"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "updateproduct", stackEnv(t, s, "updateproduct"))
		var list struct {
			Products []struct {
				ID        int64 `json:"id"`
				CompanyID int64 `json:"companyId"`
			} `json:"products"`
		}
		callAPI(t, p, lambdatest.Request{Method: "GET", Path: "/api/company/products", Resource: "/api/company/products", Authorizer: lambdatest.CompanyContext(1)}, http.StatusOK, &list)
		if len(list.Products) == 0 {
			t.Fatal("company 1 lists no products; the demo gives it some")
		}
		for _, pr := range list.Products {
			if pr.CompanyID != 1 {
				t.Errorf("company 1 sees product %d of company %d", pr.ID, pr.CompanyID)
			}
		}
		// Without the authorizer's context the route is refused, not served.
		callAPI(t, p, lambdatest.Request{Method: "GET", Path: "/api/company/products", Resource: "/api/company/products"}, http.StatusUnauthorized, nil)
	}},
	{"fulfilment", []string{"fulfilment"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "fulfilment", stackEnv(t, s, "fulfilment"))
		var orders map[string]json.RawMessage
		callAPI(t, p, lambdatest.Request{Method: "GET", Path: "/api/carrier/orders", Resource: "/api/carrier/orders",
			Query: map[string]string{"view": "available"}, Authorizer: lambdatest.CarrierContext(1)}, http.StatusOK, &orders)
		if _, ok := orders["orders"]; !ok {
			t.Errorf("carrier orders = %v, want an orders list", orders)
		}
	}},
	{"signin", []string{"signin"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "signin", stackEnv(t, s, "signin"))
		phone := lambdatest.DemoCompanyPhone
		callAPI(t, p, lambdatest.Request{Method: "POST", Path: "/api/company/session/code", Resource: "/api/company/session/code",
			Body: `{"phone":"` + phone + `"}`}, http.StatusAccepted, nil)
		// The code went out by SMS, through the SNS stand-in.
		var code string
		for _, req := range s.SNS.Requests() {
			if req.Get("Action") == "Publish" && req.Get("PhoneNumber") == phone {
				code = regexp.MustCompile(`\b\d{6}\b`).FindString(req.Get("Message"))
			}
		}
		if code == "" {
			t.Fatalf("no SMS with a code to %s; SNS saw %v", phone, s.SNS.Requests())
		}
		var session struct {
			Token   string `json:"token"`
			Company struct {
				ID int64 `json:"id"`
			} `json:"company"`
		}
		callAPI(t, p, lambdatest.Request{Method: "POST", Path: "/api/company/session", Resource: "/api/company/session",
			Body: `{"phone":"` + phone + `","code":"` + code + `"}`}, http.StatusOK, &session)
		claims, err := s.Keyring.Verify(session.Token)
		if err != nil || session.Company.ID != 1 || claims.Subject != "1" {
			t.Errorf("session = company %d, token of %q (%v); want company 1 and a token of its own", session.Company.ID, claims.Subject, err)
		}
	}},
	{"authorizer", []string{"authorizer"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "authorizer", stackEnv(t, s, "authorizer"))
		token, err := s.CompanyToken(1)
		if err != nil {
			t.Fatal(err)
		}
		event, err := lambdatest.AuthorizerEvent(root, token)
		if err != nil {
			t.Fatal(err)
		}
		res := call(t, p, event)
		var policy struct {
			PrincipalID    string `json:"principalId"`
			PolicyDocument struct {
				Statement []struct {
					Effect   string
					Resource []string
				}
			} `json:"policyDocument"`
		}
		if res.Error || json.Unmarshal(res.Payload, &policy) != nil {
			t.Fatalf("a company token: %s, want a policy", res.Payload)
		}
		// The event asks for PUT /api/products/42, a company route: an
		// Allow statement must cover it and no Deny statement.
		var asked struct{ MethodArn string }
		if err := json.Unmarshal(event, &asked); err != nil {
			t.Fatal(err)
		}
		effects := map[string]bool{}
		for _, st := range policy.PolicyDocument.Statement {
			for _, resource := range st.Resource {
				if arnMatches(resource, asked.MethodArn) {
					effects[st.Effect] = true
				}
			}
		}
		if !effects["Allow"] || effects["Deny"] || policy.PrincipalID != "company/1" {
			t.Errorf("a company token: %s; want company/1 allowed %s", res.Payload, asked.MethodArn)
		}

		// A valid carrier token on that company route: a policy whose Deny
		// covers it (API Gateway answers 403).
		carrierToken, err := s.Keyring.MintCarrier(1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		event, err = lambdatest.AuthorizerEvent(root, carrierToken)
		if err != nil {
			t.Fatal(err)
		}
		res = call(t, p, event)
		policy.PolicyDocument.Statement = nil
		if res.Error || json.Unmarshal(res.Payload, &policy) != nil {
			t.Fatalf("a carrier token: %s, want a policy", res.Payload)
		}
		clear(effects)
		for _, st := range policy.PolicyDocument.Statement {
			for _, resource := range st.Resource {
				if arnMatches(resource, asked.MethodArn) {
					effects[st.Effect] = true
				}
			}
		}
		if !effects["Deny"] || effects["Allow"] || policy.PrincipalID != "carrier/1" {
			t.Errorf("a carrier token on a company route: %s; want carrier/1 denied %s", res.Payload, asked.MethodArn)
		}

		// A TOKEN authorizer refuses a bad token with the error
		// "Unauthorized", which API Gateway turns into a 401.
		bad := map[string]string{"garbage": "not-a-token", "another key": signedElsewhere(t)}
		for name, tok := range bad {
			event, err := lambdatest.AuthorizerEvent(root, tok)
			if err != nil {
				t.Fatal(err)
			}
			res := call(t, p, event)
			var doc struct{ ErrorMessage string }
			if !res.Error || json.Unmarshal(res.Payload, &doc) != nil || doc.ErrorMessage != "Unauthorized" {
				t.Errorf("%s token: %s (error %v), want the error Unauthorized", name, res.Payload, res.Error)
			}
		}
	}},
	{"placeorder then notifycarrier", []string{"placeorder", "notifycarrier"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "placeorder", stackEnv(t, s, "placeorder"))
		event := strings.ReplaceAll(string(readFile(t, "internal/notify/testdata/place-order.json")), "REPLACED-BY-TEST", uuid.NewString())
		var order struct {
			ID     string `json:"orderId"`
			Status string `json:"status"`
			Total  string `json:"total"`
		}
		checkAPI(t, call(t, p, []byte(event)), "POST /api/orders", http.StatusCreated, &order)
		if order.ID == "" || order.Total == "" {
			t.Fatalf("order = %+v, want an id and a total", order)
		}
		// The hand-off reached Lambda Invoke, asynchronously, to notifycarrier.
		invokes := s.AWS.Invokes()
		if len(invokes) != 1 || invokes[0].InvocationType != "Event" || !strings.Contains(lambdatest.NotifyARN, invokes[0].Function) {
			t.Fatalf("Lambda invokes = %+v, want one Event invocation of notifycarrier", invokes)
		}
		var handoff map[string]any
		if err := json.Unmarshal(invokes[0].Payload, &handoff); err != nil || !strings.Contains(string(invokes[0].Payload), order.ID) {
			t.Fatalf("hand-off %s (%v), want a JSON event of order %s", invokes[0].Payload, err, order.ID)
		}

		// The scheduled sweep answers its report.
		sweep := call(t, p, []byte(`{"action":"sweep"}`))
		var report map[string]json.Number
		if sweep.Error || json.Unmarshal(sweep.Payload, &report) != nil {
			t.Fatalf("sweep = %s, want a report", sweep.Payload)
		}
		for _, key := range []string{"due", "handedOff", "gaveUp", "offeredAgain", "keysPruned"} {
			if _, ok := report[key]; !ok {
				t.Errorf("sweep report %s lacks %q", sweep.Payload, key)
			}
		}

		// notifycarrier publishes the order's SMS, with its claim link.
		n := start(t, "notifycarrier", stackEnv(t, s, "notifycarrier"))
		if res := call(t, n, invokes[0].Payload); res.Error {
			t.Fatalf("notifycarrier: %s", res.Payload)
		}
		var sms []string
		for _, req := range s.SNS.Requests() {
			if req.Get("Action") == "Publish" && req.Get("TopicArn") == lambdatest.TopicARN {
				sms = append(sms, req.Get("Message"))
			}
		}
		if len(sms) != 1 || !strings.Contains(sms[0], lambdatest.SiteURL+"/") {
			t.Fatalf("SMS to the carriers' topic = %q, want one with a link to %s", sms, lambdatest.SiteURL)
		}
		for _, private := range []string{"912", "Ring twice", "Ana Silva"} {
			if strings.Contains(sms[0], private) {
				t.Errorf("SMS %q carries the customer's %q", sms[0], private)
			}
		}
	}},
	{"imageprocessor", []string{"imageprocessor"}, func(t *testing.T, s *lambdatest.Stack) {
		// Product 5, company 1's, is no other case's.
		const company, product = 1, 5
		id := strconv.Itoa(product)
		photo, err := lambdatest.Photo(1600, 1200)
		if err != nil {
			t.Fatal(err)
		}

		// updateproduct signs the form with its role's credentials, and the
		// S3 stand-in accepts the browser's POST of it.
		u := start(t, "updateproduct", stackEnv(t, s, "updateproduct"))
		var form market.UploadForm
		callAPI(t, u, lambdatest.Request{Method: "POST", Path: "/api/products/" + id + "/image-uploads", Resource: "/api/products/{id}/image-uploads",
			PathParameters: map[string]string{"id": id}, Body: `{"contentType":"image/jpeg","size":` + strconv.Itoa(len(photo)) + `}`,
			Authorizer: lambdatest.CompanyContext(company)}, http.StatusCreated, &form)
		key := form.Fields["key"]
		if form.URL != s.S3URL+"/"+lambdatest.UploadsBucket || !strings.HasPrefix(key, "uploads/1/5/") {
			t.Fatalf("form = %s for %s, want a POST to %s/%s under uploads/1/5/", form.URL, key, s.S3URL, lambdatest.UploadsBucket)
		}
		if status, body := postForm(t, form, photo); status != http.StatusNoContent {
			t.Fatalf("the browser's POST = %d %s, want 204", status, body)
		}

		// S3's event of that upload starts imageprocessor.
		event, err := lambdatest.PhotoEvent(root, key)
		if err != nil {
			t.Fatal(err)
		}
		p := start(t, "imageprocessor", stackEnv(t, s, "imageprocessor"))
		if res := call(t, p, event); res.Error || string(res.Payload) != "null" {
			t.Fatalf("imageprocessor = %s (error %v), want null", res.Payload, res.Error)
		}
		if _, err := s.S3.Object(lambdatest.UploadsBucket, key); !errors.Is(err, locals3.ErrNoSuchKey) {
			t.Errorf("the upload after processing: %v, want it deleted", err)
		}

		// The product has its photo, as the company's console reads it.
		var got struct {
			Version int64 `json:"version"`
			Image   *struct {
				URL320, URL960 string
				Width, Height  int
			} `json:"image"`
			ImageError json.RawMessage `json:"imageError"`
		}
		callAPI(t, u, lambdatest.Request{Method: "GET", Path: "/api/company/products/" + id, Resource: "/api/company/products/{id}",
			PathParameters: map[string]string{"id": id}, Authorizer: lambdatest.CompanyContext(company)}, http.StatusOK, &got)
		if got.Image == nil || got.Image.Width != 960 || got.Image.Height != 720 || got.Version < 2 || string(got.ImageError) != "null" {
			t.Fatalf("product %d = %+v, want a 960 × 720 photo, a new version and no refusal", product, got)
		}
		for _, url := range []string{got.Image.URL320, got.Image.URL960} {
			obj, err := s.S3.Object(lambdatest.ImagesBucket, strings.TrimPrefix(url, "/"))
			if err != nil || obj.Metadata["Content-Type"] != "image/jpeg" || !strings.Contains(obj.Metadata["Cache-Control"], "immutable") {
				t.Errorf("%s in the images bucket: %v (%v), want an immutable JPEG", url, obj.Metadata, err)
			}
		}

		// S3 delivers an event at least once: the same one again is done.
		if res := call(t, p, event); res.Error {
			t.Fatalf("the same event again: %s", res.Payload)
		}
	}},
	{"migrate", []string{"migrate"}, func(t *testing.T, s *lambdatest.Stack) {
		p := start(t, "migrate", stackEnv(t, s, "migrate"))
		res := call(t, p, []byte(`{"action":"migrate"}`))
		var out struct {
			Version       int64           `json:"version"`
			Subscriptions json.RawMessage `json:"subscriptions"`
		}
		if res.Error || json.Unmarshal(res.Payload, &out) != nil {
			t.Fatalf("migrate = %s, want a version", res.Payload)
		}
		if out.Version == 0 || out.Version != s.SchemaVersion || out.Subscriptions == nil {
			t.Errorf("migrate = %s, want version %d and the carriers' subscriptions", res.Payload, s.SchemaVersion)
		}
	}},
}

// postForm sends form as the console does: its fields, then the file.
func postForm(t *testing.T, form market.UploadForm, file []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, value := range form.Fields {
		if err := mw.WriteField(name, value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	resp, err := http.Post(form.URL, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatalf("POST %s: %v", form.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// arnMatches says whether an execute-api policy resource, where * matches
// anything, covers arn.
func arnMatches(resource, arn string) bool {
	parts := strings.Split(resource, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(arn)
}

// signedElsewhere is a well-formed company token signed with a key the
// functions do not know.
func signedElsewhere(t *testing.T) string {
	t.Helper()
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other := auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: lambdatest.JWTIssuer, Audience: lambdatest.JWTAudience}
	token, err := other.Mint(1, []string{"products:read", "products:write"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestEveryFunctionHasASmokeCase fails when a lambdas/* folder has no
// smoke case, so that a new function cannot be forgotten here.
func TestEveryFunctionHasASmokeCase(t *testing.T) {
	names, err := lambdatest.FunctionNames(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := lambdatest.CheckFunctions(root); err != nil {
		t.Error(err)
	}
	for _, name := range names {
		if !slices.ContainsFunc(smokeCases, func(c smokeCase) bool { return slices.Contains(c.functions, name) }) {
			t.Errorf("lambdas/%s has no smoke case in lambdas/smoke_test.go: add one", name)
		}
		if !slices.ContainsFunc(misconfigurations, func(m misconfiguration) bool { return m.function == name }) {
			t.Errorf("lambdas/%s has no misconfiguration case in lambdas/smoke_test.go: add one", name)
		}
	}
}

func TestFunctionsAnswer(t *testing.T) {
	needMariaDB(t)
	bootstraps(t)
	s := newStack(t)
	for _, c := range smokeCases {
		t.Run(c.name, func(t *testing.T) {
			// Each case has processes of its own and reads only what its
			// own requests caused on the stand-ins.
			t.Parallel()
			c.run(t, s)
		})
	}
}

// misconfiguration is one function started with a setting missing or
// malformed: unset removes it, otherwise it is set to value.
type misconfiguration struct {
	function, setting, value string
	unset                    bool
}

var misconfigurations = []misconfiguration{
	{function: "listproducts", setting: "DB_HOST", unset: true},
	{function: "listproducts", setting: "DB_PORT", value: "abc"},
	{function: "listproducts", setting: "CURRENCY", value: "dollars"},
	{function: "priceorder", setting: "DB_NAME", unset: true},
	{function: "priceorder", setting: "LOG_LEVEL", value: "LOUD"},
	{function: "updateproduct", setting: "DB_SECRET_ARN", unset: true},
	{function: "placeorder", setting: "NOTIFY_FUNCTION_NAME", unset: true},
	{function: "placeorder", setting: "DB_PORT", value: "70000"},
	{function: "placeorder", setting: "DISPATCH_QUEUE_URL", unset: true},
	{function: "placeorder", setting: "DISPATCH_WAVE_SIZE", value: "0"},
	{function: "fulfilment", setting: "DISPATCH_QUEUE_URL", unset: true},
	{function: "fulfilment", setting: "DISPATCH_MODE", value: "nearest"},
	{function: "notifycarrier", setting: "SMS_TOPIC_ARN", unset: true},
	{function: "notifycarrier", setting: "SMS_TOPIC_ARN", value: "delivery-prod-carrier-sms"},
	{function: "notifycarrier", setting: "SITE_URL", value: "not a url"},
	{function: "notifycarrier", setting: "SITE_URL", unset: true},
	{function: "authorizer", setting: "JWT_PUBLIC_KEY_SECRET_ARN", unset: true},
	{function: "authorizer", setting: "JWT_ISSUER", unset: true},
	{function: "signin", setting: "JWT_PRIVATE_KEY_SECRET_ARN", unset: true},
	{function: "signin", setting: "JWT_AUDIENCE", unset: true},
	{function: "fulfilment", setting: "CURRENCY", value: "EURO"},
	{function: "fulfilment", setting: "DB_HOST", unset: true},
	{function: "migrate", setting: "SMS_TOPIC_ARN", unset: true},
	{function: "migrate", setting: "DB_PORT", value: "abc"},
	{function: "imageprocessor", setting: "UPLOADS_BUCKET", unset: true},
	{function: "imageprocessor", setting: "IMAGES_BUCKET", unset: true},
	{function: "imageprocessor", setting: "IMAGES_BUCKET", value: "s3://delivery-prod-images"},
	{function: "imageprocessor", setting: "DB_SECRET_ARN", unset: true},
	{function: "updateproduct", setting: "UPLOADS_BUCKET", value: "Delivery_Uploads"},
}

// configure returns env with m applied (later entries win over earlier
// ones in a process's environment; removing is filtering).
func (m misconfiguration) configure(env []string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, m.setting+"=") })
	if !m.unset {
		env = append(env, m.setting+"="+m.value)
	}
	return env
}

func (m misconfiguration) String() string {
	if m.unset {
		return m.function + "/no " + m.setting
	}
	return m.function + "/" + m.setting + "=" + m.value
}

// TestMisconfiguredFunctionsFailToStart: with a setting missing or
// malformed, each function reports it through the Runtime API's init
// error call, logs a line naming it and exits non-zero, without ever
// asking for an invocation. The functions fail before they connect to
// anything, so this needs no database.
func TestMisconfiguredFunctionsFailToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every function: not with -short")
	}
	bootstraps(t)
	// A stack's environment without the stack: nothing is reached.
	offline := &lambdatest.Stack{
		AWS: lambdatest.StartAWS(nil), SNS: snstest.New(t), DBName: "delivery", DBHost: "127.0.0.1", DBPort: "1",
	}
	defer offline.AWS.Close()
	for _, m := range misconfigurations {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			p := start(t, m.function, m.configure(stackEnv(t, offline, m.function)))
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			exit := p.Wait(ctx)
			var exitErr interface{ ExitCode() int }
			if !errors.As(exit, &exitErr) || exitErr.ExitCode() == 0 {
				t.Fatalf("exit = %v, want a non-zero exit status", exit)
			}
			res, ok := p.InitError()
			if !ok {
				t.Fatal("no init error reported to the Runtime API")
			}
			var doc struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal(res.Payload, &doc); err != nil {
				t.Fatalf("init error body %s: %v", res.Payload, err)
			}
			if !strings.Contains(doc.ErrorMessage, m.setting) || doc.ErrorType != app.InitErrorType || res.ErrorType != app.InitErrorType {
				t.Errorf("init error = %s (Lambda-Runtime-Function-Error-Type %q), want a message naming %s and the type %s",
					res.Payload, res.ErrorType, m.setting, app.InitErrorType)
			}
			if !p.FirstPoll().IsZero() {
				t.Error("the function asked for an invocation half-configured")
			}
			if !logNames(p.Output(), m.setting) {
				t.Errorf("no error log line names %s:\n%s", m.setting, p.Output())
			}
		})
	}
}

// logNames says whether output holds a JSON error line naming setting.
func logNames(output, setting string) bool {
	for _, line := range strings.Split(output, "\n") {
		var entry struct{ Level, Error string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level == "ERROR" && strings.Contains(entry.Error, setting) {
			return true
		}
	}
	return false
}

// TestSecretsManagerDownAtColdStart: a function whose database secret
// cannot be fetched at its cold start still starts (init needs no secret),
// answers a 503 service_unavailable with Retry-After in a few seconds and
// logs it, keeps serving, and answers normally once Secrets Manager is
// back, in the same process.
func TestSecretsManagerDownAtColdStart(t *testing.T) {
	needMariaDB(t)
	bootstraps(t)
	s := newStack(t)
	// The Secrets Manager client bounds its attempts (internal/app): an
	// outage must show well inside the Lambda and API Gateway timeouts.
	const within = 5 * time.Second
	catalog := lambdatest.Request{Method: "GET", Path: "/api/products", Resource: "/api/products", Query: map[string]string{"limit": "2"}}
	for _, fault := range []struct {
		name  string
		fault lambdatest.SecretsFault
	}{
		{"errors", lambdatest.SecretsError},
		{"hangs", lambdatest.SecretsHang},
	} {
		t.Run(fault.name, func(t *testing.T) {
			s.AWS.SetSecretsFault(fault.fault)
			defer s.AWS.SetSecretsFault(lambdatest.SecretsOK)
			p := start(t, "listproducts", stackEnv(t, s, "listproducts"))

			for i := range 2 { // twice: the process keeps serving through the outage
				began := time.Now()
				var body struct {
					Error struct{ Code string } `json:"error"`
				}
				resp := callAPI(t, p, catalog, http.StatusServiceUnavailable, &body)
				if took := time.Since(began); took > within {
					t.Errorf("request %d: the 503 took %v, want within %v", i, took, within)
				}
				if body.Error.Code != "service_unavailable" || resp.Headers["Retry-After"] == "" {
					t.Errorf("request %d: %+v, want service_unavailable with Retry-After", i, resp)
				}
			}
			if !strings.Contains(p.Output(), `"code":"service_unavailable"`) {
				t.Errorf("no log line of the outage:\n%s", p.Output())
			}

			s.AWS.SetSecretsFault(lambdatest.SecretsOK)
			// The same process (a Call fails if it exited) now serves.
			callAPI(t, p, catalog, http.StatusOK, nil)
		})
	}
}
