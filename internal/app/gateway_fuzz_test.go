package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/deliverymarket/delivery/api"
	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/market"
)

// fuzzWorld is one fresh set of fakes and the functions built on them.
type fuzzWorld struct {
	functions map[string]*apigw.Function
	texts     *fuzzTexts
}

// newFuzzWorld builds every API function's endpoints as app builds them
// (app.Functions), but on the in-memory stores: the app constructors take
// a *sqlx.DB, and a database per fuzz iteration would be far too slow.
// TestFuzzGatewayServesAppRoutes keeps the two route for route the same.
func newFuzzWorld(signer apigw.Signer, logger *slog.Logger) fuzzWorld {
	products := newFuzzProducts()
	// One product with a photo, so that every answer that shows a product
	// or a line shows one too.
	withPhoto := products.products[1]
	withPhoto.Image = market.StoredImage{Key320: strings.Repeat("a", 64), Key960: strings.Repeat("b", 64), Width: 960, Height: 720}.Public()
	products.products[1] = withPhoto
	fulfilmentStore := &fuzzFulfilment{orders: map[string]*fuzzLifecycle{
		market.DeliveryID(fuzzOrderID):    {orderID: fuzzOrderID, status: market.OrderPlaced},
		market.DeliveryID(fuzzAcceptedID): {orderID: fuzzAcceptedID, status: market.OrderAccepted, carrier: fuzzCarrierID, ready: true},
		market.DeliveryID(fuzzPickedUpID): {orderID: fuzzPickedUpID, status: market.OrderPickedUp, carrier: fuzzCarrierID, ready: true},
	}}
	placed := market.Order{ID: fuzzOrderID, Reference: market.OrderReference(fuzzOrderID), Status: market.OrderPlaced,
		Lines: []market.OrderLine{{ProductID: 1, CompanyID: fuzzCompanyID, CompanyName: "Padaria Sol", Name: "Sourdough loaf",
			UnitPrice: market.MustMoney("6.50"), Quantity: 2, LineTotal: market.MustMoney("13.00")}},
		ItemCount: 2, Total: market.MustMoney("13.00"), Currency: fuzzOrderCurrency,
		CreatedAt: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	orders := &fuzzOrders{products: products, orders: map[string]market.Order{fuzzOrderID: placed}, keys: map[string][2]string{}, world: fulfilmentStore}
	profiles := &fuzzProfiles{profiles: map[int64]market.CompanyProfile{
		fuzzCompanyID:    {ID: fuzzCompanyID, Name: "Padaria Sol", Address: "Rua do Forno 1, Lisboa", Phone: fuzzCompanyPhone, Version: fuzzProfileVer},
		fuzzOtherCompany: {ID: fuzzOtherCompany, Name: "Green Basket", Address: "Rua Verde 2, Porto", Phone: "+351912000003", Version: fuzzProfileVer},
	}}
	texts := &fuzzTexts{}
	signIns := &fuzzSignIns{}
	cfg := apigw.Config{AllowedOrigins: []string{"https://shop.example.com"}, Logger: logger}
	service := market.Fulfilment{Store: fulfilmentStore, Texts: texts, Log: logger}
	pricer := market.Pricer{Products: products, Currency: fuzzOrderCurrency}
	companyProducts := apigw.CompanyProducts{Store: products, Currency: fuzzOrderCurrency}
	photos := apigw.ProductPhotos{Store: products, Products: products, Signer: fuzzSigner{}, Currency: fuzzOrderCurrency}
	updateProduct := companyProducts.Endpoints()
	maps.Copy(updateProduct, photos.Endpoints())
	f := apigw.Fulfilment{Service: service, Profiles: profiles}
	fulfilment := f.Endpoints()
	maps.Copy(fulfilment, apigw.CarrierShift{Shifts: market.Shifts{Store: newFuzzShifts()}}.Endpoints())
	maps.Copy(fulfilment, apigw.CarrierPush{Push: market.PushSubscriptions{Store: newFuzzPush(), PublicKey: fuzzVAPIDKey}}.Endpoints())
	// MinAnswer stays 0: the deployed floor would make each sign-in
	// iteration take 400 ms.
	carriers := market.SignIn{Kind: market.SignInCarrier, Store: signIns, Texts: texts, Log: logger}
	companies := market.SignIn{Kind: market.SignInCompany, Store: signIns, Texts: texts, Log: logger}
	return fuzzWorld{texts: texts, functions: map[string]*apigw.Function{
		"listproducts": apigw.NewFunction("listproducts", cfg, map[string]apigw.Endpoint{
			"GET /api/products":  apigw.ListProducts(products, fuzzOrderCurrency),
			"GET /api/companies": apigw.ListCompanies(products, time.UTC, time.Now),
			"GET /api/area":      apigw.Area(noArea{}, market.DefaultDeliveryRules(), fuzzOrderCurrency),
		}),
		"priceorder": apigw.NewFunction("priceorder", cfg, map[string]apigw.Endpoint{
			"POST /api/orders/quote": apigw.Quote(pricer),
		}),
		"updateproduct": apigw.NewFunction("updateproduct", cfg, updateProduct),
		"placeorder": apigw.NewFunction("placeorder", cfg, map[string]apigw.Endpoint{
			"POST /api/orders":                  apigw.PlaceOrder(market.Checkout{Orders: orders, Currency: fuzzOrderCurrency}),
			"GET /api/orders/{orderId}":         apigw.GetOrder(orders),
			"POST /api/orders/{orderId}/cancel": apigw.CancelOrder(service, orders),
		}),
		"fulfilment": apigw.NewFunction("fulfilment", cfg, fulfilment),
		"signin": apigw.NewFunction("signin", cfg, withSessions(map[string]apigw.Endpoint{
			"POST /api/carrier/session/code": apigw.SessionCode(carriers),
			"POST /api/carrier/session":      apigw.CarrierSession(carriers, signer),
			"POST /api/company/session/code": apigw.SessionCode(companies),
			"POST /api/company/session":      apigw.CompanySession(companies, signer),
		}, signIns, profiles, texts, signer)),
	}}
}

// TestFuzzGatewayServesAppRoutes keeps FuzzGateway honest: its functions
// serve exactly the routes of app.Functions, so a route added to the app
// is fuzzed too (or this test says why not).
func TestFuzzGatewayServesAppRoutes(t *testing.T) {
	for _, id := range []string{fuzzOrderID, fuzzAcceptedID, fuzzPickedUpID} {
		if !market.ValidOrderID(id) {
			t.Fatalf("%q is not an order id", id)
		}
	}
	appFunctions := app.Functions(app.Deps{Currency: "USD"}) // no query runs: a nil pool is enough
	fake := newFuzzWorld(nil, nil).functions
	if len(appFunctions) != len(fake) {
		t.Fatalf("app.Functions has %d functions, FuzzGateway %d", len(appFunctions), len(fake))
	}
	for name, fn := range appFunctions {
		got, ok := fake[name]
		if !ok {
			t.Fatalf("FuzzGateway lacks function %s", name)
		}
		if !slices.Equal(fn.Routes(), got.Routes()) {
			t.Errorf("function %s serves %v in app, %v in FuzzGateway", name, fn.Routes(), got.Routes())
		}
	}
}

// fuzzPrincipals are the authorizer contexts an event can carry, as the
// authorizer sets them (strings) or as a misconfigured or hostile
// deployment might (none, other types, expired, garbage).
var fuzzPrincipals = []map[string]any{
	nil,
	{apigw.ContextCompanyID: "1", apigw.ContextScopes: strings.Join(auth.DefaultScopes, " "), apigw.ContextExpiresAt: "4102444800"},
	{apigw.ContextCompanyID: "2", apigw.ContextExpiresAt: "4102444800"},
	{apigw.ContextCarrierID: "1", apigw.ContextScopes: auth.ScopeDeliveries, apigw.ContextExpiresAt: "4102444800"},
	{apigw.ContextCarrierID: "2"},
	{apigw.ContextCompanyID: "1", apigw.ContextExpiresAt: "1"},
	{apigw.ContextCompanyID: float64(1), apigw.ContextCarrierID: 1.5},
	{apigw.ContextCompanyID: "-1", apigw.ContextCarrierID: "9223372036854775808", apigw.ContextExpiresAt: "soon"},
	{apigw.ContextCompanyID: strconv.Itoa(fuzzUnknownParty), apigw.ContextCarrierID: strconv.Itoa(fuzzUnknownParty)},
}

// fuzzStatuses are the statuses an answer may have when every store works.
var fuzzStatuses = []int{
	http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent, http.StatusNotModified,
	http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
	http.StatusMethodNotAllowed, http.StatusConflict, http.StatusPreconditionFailed,
	http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity,
	http.StatusPreconditionRequired, http.StatusTooManyRequests,
}

// FuzzGateway hands any API Gateway event to the function of any route:
// the route (from the routes table) and the function that gets it, the
// method, the path parameter, query parameters, headers, the body and its
// base64 flag, and the authorizer context. Whatever it is, the answer is
// well formed: a known status, never a 500 (the stores never fail here,
// so a 500 is a bug in the code under test: a panic, an unmapped error);
// JSON with a Content-Type, or no body for 204 and 304; an error in the
// API's error shape with the status its code maps to.
func FuzzGateway(f *testing.F) {
	table, err := api.Routes()
	if err != nil {
		f.Fatal(err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	signer := func(context.Context) (auth.Keyring, error) {
		return auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: "delivery-fuzz", Audience: "delivery-fuzz-api"}, nil
	}
	for _, s := range fuzzGatewaySeeds(table) {
		f.Add(s.route, s.function, s.method, s.param, s.query, s.headers, s.body, s.base64, s.principal)
	}
	functionNames := slices.Sorted(func(yield func(string) bool) {
		for _, r := range table.Routes {
			if !yield(r.Function) {
				return
			}
		}
	})
	functionNames = slices.Compact(functionNames)
	var logs fuzzLogSink
	logger := slog.New(&logs)

	f.Fuzz(func(t *testing.T, route, function uint8, method, param, query, headers, body string, base64 bool, principal uint8) {
		r := table.Routes[int(route)%len(table.Routes)]
		name := r.Function
		if function != 0 {
			name = functionNames[int(function)%len(functionNames)]
		}
		if method == "" {
			method = r.Method
		}
		event := fuzzEvent(r.Path, method, param, query, headers, body, base64, fuzzPrincipals[int(principal)%len(fuzzPrincipals)])
		world := newFuzzWorld(signer, logger)
		logs.errors = nil
		resp, err := world.functions[name].Handle(context.Background(), event)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		checkFuzzResponse(t, event, resp)
		if len(logs.errors) > 0 {
			t.Fatalf("%s %s logged errors: %q", event.HTTPMethod, event.Resource, logs.errors)
		}
		for _, text := range world.texts.sent {
			if n, ok := market.GSM7Length(text); !ok || n > market.MaxSMSLength {
				t.Fatalf("%s %s sent the SMS %q: not one GSM-7 message", event.HTTPMethod, event.Resource, text)
			}
		}
	})
}

// fuzzEvent builds the event API Gateway would send for the request.
func fuzzEvent(resource, method, param, query, headers, body string, base64 bool, principal map[string]any) events.APIGatewayProxyRequest {
	e := events.APIGatewayProxyRequest{
		Resource: resource, HTTPMethod: method, Body: body, IsBase64Encoded: base64,
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "fuzz", Authorizer: principal},
	}
	path := resource
	if i := strings.IndexByte(resource, '{'); i >= 0 {
		j := strings.IndexByte(resource, '}')
		e.PathParameters = map[string]string{resource[i+1 : j]: param}
		path = resource[:i] + param + resource[j+1:]
	}
	e.Path = path
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if e.QueryStringParameters == nil {
			e.QueryStringParameters, e.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		}
		e.QueryStringParameters[k] = v
		e.MultiValueQueryStringParameters[k] = append(e.MultiValueQueryStringParameters[k], v)
	}
	for _, line := range strings.Split(headers, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if e.Headers == nil {
			e.Headers, e.MultiValueHeaders = map[string]string{}, map[string][]string{}
		}
		v = strings.TrimSpace(v)
		e.Headers[k] = v
		e.MultiValueHeaders[k] = append(e.MultiValueHeaders[k], v)
	}
	return e
}

// checkFuzzResponse fails unless resp is a well-formed answer to event.
func checkFuzzResponse(t *testing.T, event events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) {
	t.Helper()
	what := event.HTTPMethod + " " + event.Path
	if !slices.Contains(fuzzStatuses, resp.StatusCode) {
		t.Fatalf("%s answered %d: %s", what, resp.StatusCode, resp.Body)
	}
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		if resp.Body != "" {
			t.Fatalf("%s answered %d with a body: %s", what, resp.StatusCode, resp.Body)
		}
		return
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s answered %d with Content-Type %q", what, resp.StatusCode, ct)
	}
	if resp.Headers["Cache-Control"] == "" {
		t.Fatalf("%s answered %d without Cache-Control", what, resp.StatusCode)
	}
	if resp.IsBase64Encoded || !json.Valid([]byte(resp.Body)) || resp.Body == "" {
		t.Fatalf("%s answered %d with a body that is not JSON: %q", what, resp.StatusCode, resp.Body)
	}
	if resp.StatusCode < 400 {
		return
	}
	var body struct {
		Error *struct {
			Code    market.Code `json:"code"`
			Message string      `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error == nil || body.Error.Message == "" {
		t.Fatalf("%s answered %d not in the error shape: %s", what, resp.StatusCode, resp.Body)
	}
	if apigw.Status(body.Error.Code) != resp.StatusCode {
		t.Fatalf("%s answered %d with code %q, which maps to %d", what, resp.StatusCode, body.Error.Code, apigw.Status(body.Error.Code))
	}
	if resp.StatusCode == http.StatusTooManyRequests && resp.Headers["Retry-After"] == "" {
		t.Fatalf("%s answered 429 without Retry-After", what)
	}
}

// fuzzLogSink collects the error records a function logs: the functions
// log every 500 (and nothing else) at error level.
type fuzzLogSink struct {
	errors []string
}

func (s *fuzzLogSink) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (s *fuzzLogSink) Handle(_ context.Context, r slog.Record) error {
	s.errors = append(s.errors, r.Message)
	return nil
}
func (s *fuzzLogSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *fuzzLogSink) WithGroup(string) slog.Handler      { return s }

type fuzzGatewaySeed struct {
	route, function                     uint8
	method, param, query, headers, body string
	base64                              bool
	principal                           uint8
}

// fuzzGatewaySeeds are a realistic request to every route, as the
// storefront, the console and the carriers' page send them.
func fuzzGatewaySeeds(table api.Table) []fuzzGatewaySeed {
	delivery := market.DeliveryID(fuzzOrderID)
	jsonHeaders := "Content-Type: application/json\nOrigin: https://shop.example.com"
	var seeds []fuzzGatewaySeed
	for i, r := range table.Routes {
		s := fuzzGatewaySeed{route: uint8(i), method: r.Method, headers: jsonHeaders}
		switch {
		case strings.HasPrefix(r.Path, "/api/carrier/orders"):
			s.param, s.principal = delivery, 3
		case r.Path == "/api/carrier/shift" || r.Path == "/api/carrier/location" || r.Path == "/api/carrier/push-subscription":
			s.principal = 3
		case strings.HasPrefix(r.Path, "/api/company/orders"):
			s.param, s.principal = delivery, 1
		case strings.Contains(r.Path, "{orderId}"):
			s.param = fuzzOrderID
		case strings.Contains(r.Path, "{id}"):
			s.param, s.principal = "1", 1
		case strings.HasPrefix(r.Path, "/api/company/"):
			s.principal = 1
		}
		switch r.Method + " " + r.Path {
		case "GET /api/products":
			s.query = "limit=2&q=loaf&companyId=1"
		case "POST /api/orders/quote":
			s.body = `{"items":[{"productId":1,"quantity":3},{"productId":2,"quantity":1}]}`
		case "POST /api/orders":
			s.headers += "\nIdempotency-Key: 7f1c0e7a-9b2d-4c6e-8a01-5f1c0e7a9b2d"
			s.body = `{"items":[{"productId":1,"quantity":2}],"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100, Lisboa"}}`
		case "POST /api/company/products":
			s.body = `{"name":"Rye loaf","price":"5.10"}`
		case "PUT /api/products/{id}":
			s.headers += "\nIf-Match: \"1\""
			s.body = `{"name":"Sourdough loaf","price":"6.90","active":true}`
		case "POST /api/products/{id}/image-uploads":
			s.body = `{"contentType":"image/jpeg","size":348211}`
		case "DELETE /api/products/{id}/image":
			s.headers += "\nIf-Match: \"1\""
		case "PUT /api/company/profile":
			s.body = `{"address":"Rua do Forno 3, Lisboa","phone":"+351 912 000 002","version":1}`
		case "POST /api/company/orders/{deliveryId}/cancel":
			s.body = `{"reason":"Out of flour"}`
		case "POST /api/carrier/orders/{deliveryId}/pickup", "POST /api/carrier/orders/{deliveryId}/release":
			s.param = market.DeliveryID(fuzzAcceptedID)
		case "POST /api/carrier/orders/{deliveryId}/deliver":
			s.param = market.DeliveryID(fuzzPickedUpID)
		case "POST /api/carrier/shift":
			s.body = `{"onShift":true}`
		case "POST /api/carrier/location":
			s.body = `{"lat":38.7105,"lng":-9.1365,"accuracy":14.5}`
		case "POST /api/carrier/push-subscription":
			s.body = fuzzPushSubscription
		case "GET /api/carrier/orders", "GET /api/company/orders":
			s.query = "limit=1"
		case "POST /api/carrier/session/code":
			s.body = `{"phone":"` + fuzzCarrierPhone + `"}`
		case "POST /api/company/session/code":
			s.body = `{"phone":"` + fuzzCompanyPhone + `"}`
		case "POST /api/carrier/session":
			s.body = `{"phone":"` + fuzzCarrierPhone + `","code":"` + fuzzSignInCode + `"}`
		case "POST /api/company/session":
			s.body = `{"phone":"` + fuzzCompanyPhone + `","code":"` + fuzzSignInCode + `"}`
		}
		seeds = append(seeds, s)
	}
	return append(seeds,
		fuzzGatewaySeed{method: "OPTIONS", headers: "Origin: https://shop.example.com\nAccess-Control-Request-Method: GET"},
		fuzzGatewaySeed{route: 1, function: 3, method: "GET"},
		fuzzGatewaySeed{route: 2, method: "PATCH", body: "{}", headers: jsonHeaders},
		fuzzGatewaySeed{route: 2, body: "eyJpdGVtcyI6W119", base64: true, headers: jsonHeaders},
		fuzzGatewaySeed{route: 2, body: "not base64!", base64: true},
		fuzzGatewaySeed{route: 2, body: `{"items":[]}`, headers: "Content-Type: text/plain"},
		fuzzGatewaySeed{route: 0, query: "cursor=cDE6Mg&limit=0", headers: `If-None-Match: W/"x", *`},
	)
}

// fuzzSigner presigns nothing: it answers a form that names the key, as
// the S3 signer would, so that the upload route runs to its end.
type fuzzSigner struct{}

func (fuzzSigner) SignUpload(_ context.Context, key market.UploadKey, contentType string) (market.UploadForm, error) {
	return market.UploadForm{
		URL: "https://uploads.example.com/", Fields: map[string]string{"key": key.String(), "Content-Type": contentType},
		ExpiresAt: time.Date(2026, 11, 30, 12, 5, 0, 0, time.UTC), UploadID: key.UploadID, MaxBytes: market.MaxUploadBytes,
	}, nil
}

// The photo writes of fuzzProducts (the rest of it is in
// fakes_fuzz_test.go), with the codes market.ImageStore documents.

func (s *fuzzProducts) SetImage(ctx context.Context, company, id int64, img market.StoredImage) (market.Product, error) {
	p, err := s.CompanyProduct(ctx, company, id)
	if err != nil {
		return market.Product{}, err
	}
	p.Image, p.ImageError, p.Version = img.Public(), nil, p.Version+1
	s.products[id] = p
	return p, nil
}

func (s *fuzzProducts) RecordImageError(ctx context.Context, company, id int64, e market.ImageError) error {
	p, err := s.CompanyProduct(ctx, company, id)
	if err != nil {
		return err
	}
	p.ImageError = &e
	s.products[id] = p
	return nil
}

func (s *fuzzProducts) RemoveImage(ctx context.Context, company, id, version int64) (market.Product, error) {
	p, err := s.CompanyProduct(ctx, company, id)
	if err != nil {
		return market.Product{}, err
	}
	if p.Version != version {
		return market.Product{}, market.Errorf(market.CodePreconditionFailed, "product %d is at version %d", id, p.Version)
	}
	if p.Image != nil {
		p.Version++
	}
	p.Image, p.ImageError = nil, nil
	s.products[id] = p
	return p, nil
}

// noArea is a marketplace without a delivery area.
type noArea struct{}

func (noArea) ServiceArea(context.Context) (*market.ServiceArea, error) { return nil, nil }
