// Command coldstart measures each Lambda's cold start on this machine: it
// builds every lambdas/* bootstrap the way setup.sh does (for this
// machine's architecture), starts it as a fresh process under a local
// stand-in of the Lambda Runtime API (internal/lambdatest), with Secrets
// Manager, Lambda and SNS stand-ins and MariaDB behind it, sends it one
// realistic event and times process start → first poll (init) and process
// start → first response posted. It repeats that -n times per function and
// prints the median and spread, and the size of each function's zip as
// setup.sh builds it (linux/arm64).
//
//	go run ./tools/coldstart -n 20
//	go run ./tools/coldstart -functions listproducts,authorizer -n 50
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/google/uuid"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/lambdatest"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
	"github.com/deliverymarket/delivery/migrations"
)

// The aims.
const (
	aimColdStart = 50 * time.Millisecond
	aimZipBytes  = 5 << 20
)

const (
	dbSecretARN      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-coldstart-AbCdEf"
	publicKeyARN     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery/jwt-public-key-AbCdEf"
	privateKeyARN    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery/jwt-signing-key-AbCdEf"
	topicARN         = "arn:aws:sns:eu-west-1:123456789012:delivery-prod-carrier-sms"
	notifyARN        = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-notifycarrier"
	jwtIssuer        = "delivery-coldstart"
	jwtAudience      = "delivery-api-coldstart"
	demoCompanyPhone = "+351210000001"
	functionUser     = "delivery_coldstart"
)

// function is one Lambda: its memory size (terraform/usecases/backend),
// its own environment and the event it is measured with.
type function struct {
	name   string
	memory int
	env    func(s *stack) []string
	event  func(s *stack) ([]byte, error)
}

var functions = []function{
	{"listproducts", 256, apiEnv, apiEvent("GET", "/api/products", "/api/products", map[string]string{"limit": "20"}, "", nil)},
	{"priceorder", 256, apiEnv, fileEvent("internal/apigw/testdata/quote.json", nil)},
	{"updateproduct", 256, apiEnv, apiEvent("GET", "/api/company/products", "/api/company/products", nil, "", companyContext)},
	{"placeorder", 256, func(s *stack) []string { return append(apiEnv(s), "NOTIFY_FUNCTION_NAME="+notifyARN) },
		fileEvent("internal/notify/testdata/place-order.json", func(b []byte) []byte {
			return bytes.ReplaceAll(b, []byte("REPLACED-BY-TEST"), []byte(uuid.NewString()))
		})},
	// After placeorder: its event is the one placeorder handed off.
	{"notifycarrier", 128, func(s *stack) []string {
		return []string{"SMS_TOPIC_ARN=" + topicARN, "SITE_URL=https://shop.example.com", "LOG_LEVEL=INFO"}
	}, notifyEvent},
	{"authorizer", 256, func(s *stack) []string {
		return append(dbEnv(s), "JWT_PUBLIC_KEY_SECRET_ARN="+publicKeyARN, "JWT_ISSUER="+jwtIssuer, "JWT_AUDIENCE="+jwtAudience)
	}, authorizerEvent},
	{"signin", 256, func(s *stack) []string {
		return append(apiEnv(s), "JWT_PRIVATE_KEY_SECRET_ARN="+privateKeyARN, "JWT_ISSUER="+jwtIssuer, "JWT_AUDIENCE="+jwtAudience)
	}, apiEvent("POST", "/api/company/session", "/api/company/session", nil, `{"phone":"`+demoCompanyPhone+`","code":"000000"}`, nil)},
	{"fulfilment", 256, apiEnv, apiEvent("GET", "/api/carrier/orders", "/api/carrier/orders", map[string]string{"view": "available"}, "", carrierContext)},
	{"migrate", 256, func(s *stack) []string { return append(dbEnv(s), "SMS_TOPIC_ARN="+topicARN) },
		func(*stack) ([]byte, error) { return []byte(`{"action":"migrate"}`), nil }},
}

// stack is what the functions run against, shared by every run.
type stack struct {
	aws         *lambdatest.AWS
	sns         *snstest.Server
	dbName      string
	dbHost      string
	dbPort      string
	token       string // a company token for the authorizer
	lastHandoff []byte // the last event placeorder handed to notifycarrier
}

func dbEnv(s *stack) []string {
	return []string{
		"DB_HOST=" + s.dbHost, "DB_PORT=" + s.dbPort, "DB_NAME=" + s.dbName,
		"DB_SECRET_ARN=" + dbSecretARN, "LOG_LEVEL=INFO",
	}
}

func apiEnv(s *stack) []string {
	return append(dbEnv(s), "CURRENCY=USD", "CORS_ALLOWED_ORIGINS=https://shop.example.com")
}

func main() {
	n := flag.Int("n", 10, "cold starts per function, each a fresh process")
	only := flag.String("functions", "", "comma-separated functions (default: every lambdas/* folder)")
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/delivery_coldstart", "the MariaDB/MySQL database the functions use (created, migrated and seeded with the demo)")
	out := flag.String("out", filepath.Join(os.TempDir(), "delivery-coldstart"), "where to build the binaries and zips")
	verbose := flag.Bool("v", false, "print each function's output")
	flag.Parse()
	if err := run(context.Background(), *n, *only, *dsn, *out, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// measurement is one function's figures.
type measurement struct {
	name           string
	memory         int
	init, response []time.Duration
	warm           []time.Duration // a second invocation of the same process
	zipBytes       int64
	status         string // of the last response: HTTP status, allow/deny, error
	failed         bool
	binaryBytes    int64
}

func run(ctx context.Context, n int, only, dsn, out string, verbose bool) error {
	selected := functions
	if only != "" {
		names := strings.Split(only, ",")
		selected = slices.DeleteFunc(slices.Clone(functions), func(f function) bool { return !slices.Contains(names, f.name) })
		if len(selected) != len(names) {
			return fmt.Errorf("-functions %q: unknown name among them", only)
		}
		// notifycarrier's event comes from placeorder's hand-off.
		if slices.Contains(names, "notifycarrier") && !slices.Contains(names, "placeorder") {
			i := slices.IndexFunc(functions, func(f function) bool { return f.name == "placeorder" })
			selected = slices.Insert(selected, 0, functions[i])
		}
	}
	if err := checkFunctionList(); err != nil {
		return err
	}
	s, cleanup, err := newStack(ctx, dsn)
	if err != nil {
		return err
	}
	defer cleanup()

	reprozip := filepath.Join(out, "reprozip")
	if err := goBuild(ctx, runtime.GOARCH, reprozip, "./tools/reprozip", false); err != nil {
		return err
	}
	ca := filepath.Join("build", "rds-ca-bundle.pem")
	_, caErr := os.Stat(ca)
	fmt.Printf("go %s, %s/%s, %d CPUs; %d cold starts per function; database %s\n",
		strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), n, s.dbName)

	var results []measurement
	for _, f := range selected {
		m := measurement{name: f.name, memory: f.memory}
		native := filepath.Join(out, runtime.GOARCH, f.name, "bootstrap")
		if err := goBuild(ctx, runtime.GOARCH, native, "./lambdas/"+f.name, true); err != nil {
			return err
		}
		if fi, err := os.Stat(native); err == nil {
			m.binaryBytes = fi.Size()
		}
		if m.zipBytes, err = zipSize(ctx, reprozip, out, f.name, caErr == nil && f.name != "notifycarrier", ca); err != nil {
			return err
		}
		// One unmeasured start first: it pages the fresh binary in, which
		// Lambda's own image cache does before a real cold start.
		runs := n + 1
		for i := range runs {
			initD, respD, warmD, status, err := coldStart(ctx, s, f, native, verbose)
			if err != nil {
				m.failed, m.status = true, err.Error()
				break
			}
			m.status = status
			if i > 0 {
				m.init = append(m.init, initD)
				m.response = append(m.response, respD)
				m.warm = append(m.warm, warmD)
			}
		}
		results = append(results, m)
	}
	return report(results, caErr == nil)
}

// checkFunctionList makes sure every lambdas/* folder is measured, so a
// new function cannot be forgotten here.
func checkFunctionList() error {
	dirs, err := os.ReadDir("lambdas")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	for _, d := range dirs {
		if d.IsDir() && !slices.ContainsFunc(functions, func(f function) bool { return f.name == d.Name() }) {
			return fmt.Errorf("lambdas/%s has no event in tools/coldstart: add one", d.Name())
		}
	}
	return nil
}

// newStack prepares the database and starts the AWS stand-ins.
func newStack(ctx context.Context, dsn string) (*stack, func(), error) {
	cfg, err := parseDSN(dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := mysql.CreateDatabase(ctx, dsn); err != nil {
		return nil, nil, err
	}
	db, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		return nil, nil, err
	}
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		return nil, nil, err
	}

	key, err := auth.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	privatePEM, err := auth.EncodePrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	publicPEM, err := auth.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	keyring := auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: jwtIssuer, Audience: jwtAudience}
	token, err := keyring.Mint(1, []string{"products:read", "products:write"}, time.Hour)
	if err != nil {
		return nil, nil, err
	}
	// RDS-managed secrets always hold a password, and the functions refuse
	// one without: the functions sign in as a user of their own, with a
	// password, as on AWS (the DSN's user only prepares the database).
	password := uuid.NewString()
	for _, host := range []string{"%", "localhost", "127.0.0.1"} {
		user := "'" + functionUser + "'@'" + host + "'"
		for _, stmt := range []string{
			"CREATE USER IF NOT EXISTS " + user,
			"ALTER USER " + user + " IDENTIFIED BY '" + password + "'",
			"GRANT ALL PRIVILEGES ON " + mysql.QuoteIdent(cfg.dbName) + ".* TO " + user,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return nil, nil, fmt.Errorf("function user: %w", err)
			}
		}
	}
	secret, _ := json.Marshal(map[string]string{"username": functionUser, "password": password})
	s := &stack{
		aws: lambdatest.StartAWS(map[string]string{
			dbSecretARN: string(secret), publicKeyARN: string(publicPEM), privateKeyARN: string(privatePEM),
		}),
		sns:    snstest.Start(),
		dbName: cfg.dbName, dbHost: cfg.host, dbPort: cfg.port,
		token: token,
	}
	return s, func() { s.aws.Close(); s.sns.Close() }, nil
}

// coldStart starts one fresh process of f and times its first invocation,
// then a second one (warm: what most invocations cost).
func coldStart(ctx context.Context, s *stack, f function, binary string, verbose bool) (initD, respD, warmD time.Duration, status string, err error) {
	event, err := f.event(s)
	if err != nil {
		return 0, 0, 0, "", err
	}
	rt, err := lambdatest.Start()
	if err != nil {
		return 0, 0, 0, "", err
	}
	defer rt.Close()
	rt.FunctionARN = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-" + f.name

	cmd := exec.CommandContext(ctx, binary)
	cmd.Dir = filepath.Dir(binary) // /var/task
	cmd.Env = append(lambdatest.Env(rt.Addr(), "delivery-prod-"+f.name, f.memory),
		"LAMBDA_TASK_ROOT="+cmd.Dir,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+s.aws.URL,
		"AWS_ENDPOINT_URL_LAMBDA="+s.aws.URL,
		"AWS_ENDPOINT_URL_SNS="+s.sns.URL,
	)
	cmd.Env = append(cmd.Env, f.env(s)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output

	invokeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The invocation is queued before the process starts, as Lambda has
	// the event before it starts a cold environment.
	type invoked struct {
		res lambdatest.Result
		err error
	}
	done := make(chan invoked, 1)
	go func() {
		res, err := rt.Invoke(invokeCtx, event)
		done <- invoked{res, err}
	}()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, "", err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
		if verbose || err != nil {
			fmt.Fprintf(os.Stderr, "--- %s output:\n%s", f.name, output.String())
		}
	}()

	var got invoked
	select {
	case got = <-done:
	case exitErr := <-exited:
		exited <- exitErr // for the deferred wait
		return 0, 0, 0, "", fmt.Errorf("%s exited before answering: %v", f.name, exitErr)
	}
	if got.err != nil {
		return 0, 0, 0, "", fmt.Errorf("%s: %w: %s", f.name, got.err, got.res.Payload)
	}
	status, bad := describe(f.name, got.res)
	if bad {
		return 0, 0, 0, "", fmt.Errorf("%s answered %s: %s", f.name, status, got.res.Payload)
	}
	if f.name == "placeorder" {
		if inv := s.aws.Invokes(); len(inv) > 0 {
			s.lastHandoff = inv[len(inv)-1].Payload
		}
	}

	if event, err = f.event(s); err != nil {
		return 0, 0, 0, "", err
	}
	warmStart := time.Now()
	warm, err := rt.Invoke(invokeCtx, event)
	if err != nil {
		return 0, 0, 0, "", fmt.Errorf("%s, second invocation: %w", f.name, err)
	}
	if wStatus, bad := describe(f.name, warm); bad {
		return 0, 0, 0, "", fmt.Errorf("%s, second invocation, answered %s: %s", f.name, wStatus, warm.Payload)
	}
	return rt.FirstPoll().Sub(started), got.res.At.Sub(started), warm.At.Sub(warmStart), status, nil
}

// describe names a response for the report and says whether it shows the
// function broken (a function error or a 5xx), as opposed to a refusal the
// event asked for.
func describe(name string, res lambdatest.Result) (string, bool) {
	if res.Error {
		return "function error " + res.ErrorType, true
	}
	var api struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(res.Payload, &api) == nil && api.StatusCode != 0 {
		return strconv.Itoa(api.StatusCode), api.StatusCode >= 500
	}
	var policy struct {
		PolicyDocument struct{ Statement []struct{ Effect string } }
	}
	if name == "authorizer" && json.Unmarshal(res.Payload, &policy) == nil && len(policy.PolicyDocument.Statement) > 0 {
		return policy.PolicyDocument.Statement[0].Effect, false
	}
	return "ok", false
}

// --- events -------------------------------------------------------------------------------

// baseEvent is a real API Gateway event of the storefront's catalog, the
// template of the others.
const baseEvent = "internal/app/testdata/list-products.json"

func fileEvent(path string, edit func([]byte) []byte) func(*stack) ([]byte, error) {
	return func(*stack) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if edit != nil {
			b = edit(b)
		}
		return b, nil
	}
}

func apiEvent(method, path, resource string, query map[string]string, body string, authorizer func(*stack) map[string]any) func(*stack) ([]byte, error) {
	return func(s *stack) ([]byte, error) {
		raw, err := os.ReadFile(baseEvent)
		if err != nil {
			return nil, err
		}
		var e events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, err
		}
		e.HTTPMethod, e.Path, e.Resource = method, path, resource
		e.RequestContext.HTTPMethod, e.RequestContext.ResourcePath, e.RequestContext.Path = method, resource, "/prod"+path
		e.QueryStringParameters, e.MultiValueQueryStringParameters = query, nil
		for k, v := range query {
			if e.MultiValueQueryStringParameters == nil {
				e.MultiValueQueryStringParameters = map[string][]string{}
			}
			e.MultiValueQueryStringParameters[k] = []string{v}
		}
		e.Body = body
		if body != "" {
			e.Headers["Content-Type"] = "application/json"
			e.MultiValueHeaders["Content-Type"] = []string{"application/json"}
		}
		if authorizer != nil {
			e.RequestContext.Authorizer = authorizer(s)
		}
		return json.Marshal(e)
	}
}

func companyContext(*stack) map[string]any {
	return map[string]any{
		apigw.ContextCompanyID: "1", apigw.ContextScopes: "products:read products:write",
		apigw.ContextExpiresAt: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "principalId": "company:1",
	}
}

func carrierContext(*stack) map[string]any {
	return map[string]any{
		apigw.ContextCarrierID: "1", apigw.ContextScopes: "deliveries",
		apigw.ContextExpiresAt: strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "principalId": "carrier:1",
	}
}

func authorizerEvent(s *stack) ([]byte, error) {
	b, err := os.ReadFile("internal/apigw/testdata/authorizer-token.json")
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("REPLACED_BY_TEST"), []byte(s.token)), nil
}

func notifyEvent(s *stack) ([]byte, error) {
	if len(s.lastHandoff) == 0 {
		return nil, errors.New("no order event: placeorder handed none off")
	}
	return s.lastHandoff, nil
}

// --- building -----------------------------------------------------------------------------

// goBuild builds pkg for linux/arch; lambda with setup.sh's flags.
func goBuild(ctx context.Context, arch, out, pkg string, lambda bool) error {
	args := []string{"build", "-o", out}
	if lambda {
		args = append(args, "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+arch)
	if lambda {
		cmd.Env = append(cmd.Env, "GOOS=linux")
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// zipSize builds name's zip as setup.sh does (linux/arm64 bootstrap, the
// RDS CA bundle for database functions when build/ has it, reprozip).
func zipSize(ctx context.Context, reprozip, out, name string, withCA bool, ca string) (int64, error) {
	dir := filepath.Join(out, "arm64", name)
	if err := os.RemoveAll(dir); err != nil {
		return 0, err
	}
	if err := goBuild(ctx, "arm64", filepath.Join(dir, "bootstrap"), "./lambdas/"+name, true); err != nil {
		return 0, err
	}
	if withCA {
		b, err := os.ReadFile(ca)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, "rds-ca-bundle.pem"), b, 0o644); err != nil {
			return 0, err
		}
	}
	zip := filepath.Join(out, "arm64", name+".zip")
	cmd := exec.CommandContext(ctx, reprozip, "-o", zip, dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("reprozip %s: %w", name, err)
	}
	fi, err := os.Stat(zip)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// --- report -------------------------------------------------------------------------------

func report(results []measurement, caBundle bool) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tMB\truns\tinit p50\tfirst answer p50\tmin\tmax\twarm p50\tanswer\tzip (arm64)\tbinary\t")
	var failed, missed []string
	for _, m := range results {
		if m.failed {
			failed = append(failed, m.name)
			fmt.Fprintf(tw, "%s\t%d\t%d\t-\t-\t-\t-\t-\t%s\t%s\t%s\t\n", m.name, m.memory, 0, "FAILED", mb(m.zipBytes), mb(m.binaryBytes))
			continue
		}
		p50 := median(m.response)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.memory, len(m.response),
			ms(median(m.init)), ms(p50), ms(slices.Min(m.response)), ms(slices.Max(m.response)), ms(median(m.warm)),
			m.status, mb(m.zipBytes), mb(m.binaryBytes))
		if p50 > aimColdStart {
			missed = append(missed, fmt.Sprintf("%s cold start %s > %s", m.name, ms(p50), aimColdStart))
		}
		if m.zipBytes > aimZipBytes {
			missed = append(missed, fmt.Sprintf("%s zip %s > 5 MB", m.name, mb(m.zipBytes)))
		}
	}
	_ = tw.Flush()
	if !caBundle {
		fmt.Println("(no build/rds-ca-bundle.pem: zips without the RDS CA bundle, which ./setup.sh deploy adds to database functions)")
	}
	for _, m := range missed {
		fmt.Println("MISS", m)
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/(1<<20)) }

// dsnParts are the parts of a DSN the functions' environment and secret
// carry.
type dsnParts struct{ user, password, host, port, dbName string }

func parseDSN(dsn string) (dsnParts, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return dsnParts{}, err
	}
	host, port, ok := strings.Cut(cfg.Addr, ":")
	if !ok {
		port = "3306"
	}
	if cfg.DBName == "" {
		return dsnParts{}, errors.New("-dsn must name a database")
	}
	return dsnParts{user: cfg.User, password: cfg.Passwd, host: host, port: port, dbName: cfg.DBName}, nil
}
