// Command coldstart measures each Lambda's cold start on this machine: it
// builds every lambdas/* bootstrap the way setup.sh does (for this
// machine's architecture), starts it as a fresh process under a local
// stand-in of the Lambda Runtime API (internal/lambdatest), with Secrets
// Manager, Lambda, SNS and S3 stand-ins and MariaDB behind it, sends it one
// realistic event and times process start → first poll (init) and process
// start → first response posted. It repeats that -n times per function and
// prints the median and spread; what starting costs the process itself,
// which other work on the machine moves less than it moves the timings:
// the CPU time of a start that stops at its configuration and the bytes
// its package initialisation allocates (GODEBUG=inittrace=1, the same on
// every run); and the size of each function's zip as setup.sh builds it
// (linux/arm64). The load average before and after says how much else the
// machine was doing.
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

	"github.com/google/uuid"

	"github.com/deliverymarket/delivery/internal/lambdatest"
)

// The aims.
const (
	aimColdStart = 50 * time.Millisecond
	aimZipBytes  = 5 << 20
)

// event returns the event a function is measured with, against s.
type event func(s *stack) ([]byte, error)

// events are each function's, in lambdatest.Functions' order: notifycarrier
// is measured with the event placeorder handed off.
var events = map[string]event{
	"listproducts":  apiEvent(lambdatest.Request{Method: "GET", Path: "/api/products", Resource: "/api/products", Query: map[string]string{"limit": "20"}}),
	"priceorder":    fileEvent("internal/apigw/testdata/quote.json", nil),
	"updateproduct": apiEvent(lambdatest.Request{Method: "GET", Path: "/api/company/products", Resource: "/api/company/products", Authorizer: lambdatest.CompanyContext(1)}),
	"placeorder": fileEvent("internal/notify/testdata/place-order.json", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("REPLACED-BY-TEST"), []byte(uuid.NewString()))
	}),
	"notifycarrier": notifyEvent,
	"authorizer":    authorizerEvent,
	"signin": apiEvent(lambdatest.Request{Method: "POST", Path: "/api/company/session", Resource: "/api/company/session",
		Body: `{"phone":"` + lambdatest.DemoCompanyPhone + `","code":"000000"}`}),
	"fulfilment": apiEvent(lambdatest.Request{Method: "GET", Path: "/api/carrier/orders", Resource: "/api/carrier/orders",
		Query: map[string]string{"view": "available"}, Authorizer: lambdatest.CarrierContext(1)}),
	"migrate":        func(*stack) ([]byte, error) { return []byte(`{"action":"migrate"}`), nil },
	"imageprocessor": photoEvent,
}

// stack is what the functions run against, shared by every run.
type stack struct {
	*lambdatest.Stack
	token       string // a company token for the authorizer
	lastHandoff []byte // the last event placeorder handed to notifycarrier
	photo       []byte // what imageprocessor is measured with, made once
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
	initBytes      int64         // allocated by package initialisation
	initCPU        time.Duration // user and system time of a start that stops at its configuration
	status         string        // of the last response: HTTP status, allow/deny, error
	failed         bool
	binaryBytes    int64
}

func run(ctx context.Context, n int, only, dsn, out string, verbose bool) error {
	selected := lambdatest.Functions
	if only != "" {
		names := strings.Split(only, ",")
		selected = slices.DeleteFunc(slices.Clone(lambdatest.Functions), func(f lambdatest.Function) bool { return !slices.Contains(names, f.Name) })
		if len(selected) != len(names) {
			return fmt.Errorf("-functions %q: unknown name among them", only)
		}
		// notifycarrier's event comes from placeorder's hand-off.
		if slices.Contains(names, "notifycarrier") && !slices.Contains(names, "placeorder") {
			f, _ := lambdatest.LookupFunction("placeorder")
			selected = slices.Insert(selected, 0, f)
		}
	}
	if err := checkFunctionList(); err != nil {
		return err
	}
	ls, err := lambdatest.NewStack(ctx, dsn)
	if err != nil {
		return err
	}
	defer ls.Close()
	token, err := ls.CompanyToken(1)
	if err != nil {
		return err
	}
	s := &stack{Stack: ls, token: token}
	names := make([]string, len(selected))
	for i, f := range selected {
		names[i] = f.Name
	}
	native, err := lambdatest.BuildBootstraps(ctx, ".", filepath.Join(out, runtime.GOARCH), "linux", runtime.GOARCH, names...)
	if err != nil {
		return err
	}
	arm64, err := lambdatest.BuildBootstraps(ctx, ".", filepath.Join(out, "arm64"), "linux", "arm64", names...)
	if err != nil {
		return err
	}

	reprozip := filepath.Join(out, "reprozip")
	if err := goBuild(ctx, reprozip, "./tools/reprozip"); err != nil {
		return err
	}
	ca := filepath.Join("build", "rds-ca-bundle.pem")
	_, caErr := os.Stat(ca)
	fmt.Printf("go %s, %s/%s, %d CPUs; %d cold starts per function; database %s; load average %s\n",
		strings.TrimPrefix(runtime.Version(), "go"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), n, s.DBName, loadAverage())

	var results []measurement
	for _, f := range selected {
		m := measurement{name: f.Name, memory: f.MemoryMB}
		if fi, err := os.Stat(native[f.Name]); err == nil {
			m.binaryBytes = fi.Size()
		}
		if m.zipBytes, err = zipSize(ctx, reprozip, arm64[f.Name], caErr == nil && f.Name != "notifycarrier", ca); err != nil {
			return err
		}
		if m.initBytes, m.initCPU, err = initCost(ctx, native[f.Name]); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		// One unmeasured start first: it pages the fresh binary in, which
		// Lambda's own image cache does before a real cold start.
		runs := n + 1
		for i := range runs {
			initD, respD, warmD, status, err := coldStart(ctx, s, f, native[f.Name], verbose)
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
	err = report(results, caErr == nil)
	fmt.Printf("load average after: %s\n", loadAverage())
	return err
}

// loadAverage is the machine's 1, 5 and 15 minute load average, or "?"
// where /proc/loadavg is not.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// initRuns is how many starts initCost takes the median CPU time of.
const initRuns = 11

// initCost starts binary with an empty environment and no Runtime API, so
// that it stops at its configuration once every package is initialised:
// initRuns times for the median CPU time (user and system) of such a start,
// and once more under GODEBUG=inittrace=1 for the bytes the initialisation
// allocated.
func initCost(ctx context.Context, binary string) (allocated int64, cpu time.Duration, err error) {
	var cpus []time.Duration
	for range initRuns {
		cmd := exec.CommandContext(ctx, binary)
		cmd.Env = []string{}
		_ = cmd.Run() // it fails to start, as meant
		if cmd.ProcessState == nil {
			return 0, 0, fmt.Errorf("start %s", binary)
		}
		cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	allocated, err = initAllocs(ctx, binary)
	return allocated, median(cpus), err
}

// initAllocs returns the bytes binary's package initialisation allocates.
func initAllocs(ctx context.Context, binary string) (int64, error) {
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run() // it fails to start, as meant
	var total int64
	traced := false
	// init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
	for _, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("inittrace line %q: %w", line, err)
		}
		total, traced = total+n, true
	}
	if !traced {
		return 0, fmt.Errorf("no GODEBUG=inittrace=1 output (%v): %.200s", runErr, stderr.String())
	}
	return total, nil
}

// checkFunctionList makes sure every lambdas/* folder is measured, so a
// new function cannot be forgotten here.
func checkFunctionList() error {
	if err := lambdatest.CheckFunctions("."); err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	names, err := lambdatest.FunctionNames(".")
	if err != nil {
		return err
	}
	for _, name := range names {
		if events[name] == nil {
			return fmt.Errorf("lambdas/%s has no event in tools/coldstart: add one", name)
		}
	}
	return nil
}

// coldStart starts one fresh process of f and times its first invocation,
// then a second one (warm: what most invocations cost).
func coldStart(ctx context.Context, s *stack, f lambdatest.Function, binary string, verbose bool) (initD, respD, warmD time.Duration, status string, err error) {
	event, err := events[f.Name](s)
	if err != nil {
		return 0, 0, 0, "", err
	}
	env, err := s.Env(f.Name)
	if err != nil {
		return 0, 0, 0, "", err
	}
	p, err := lambdatest.NewProcess(binary, f.Name, f.MemoryMB, env)
	if err != nil {
		return 0, 0, 0, "", err
	}
	defer func() {
		p.Stop()
		if verbose || err != nil {
			fmt.Fprintf(os.Stderr, "--- %s output:\n%s", f.Name, p.Output())
		}
	}()

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
		res, err := p.Call(invokeCtx, event)
		done <- invoked{res, err}
	}()
	if err := p.Start(); err != nil {
		return 0, 0, 0, "", err
	}
	got := <-done
	if got.err != nil {
		return 0, 0, 0, "", fmt.Errorf("%s: %w: %s", f.Name, got.err, got.res.Payload)
	}
	status, bad := describe(f.Name, got.res)
	if bad {
		return 0, 0, 0, "", fmt.Errorf("%s answered %s: %s", f.Name, status, got.res.Payload)
	}
	if f.Name == "placeorder" {
		if inv := s.AWS.Invokes(); len(inv) > 0 {
			s.lastHandoff = inv[len(inv)-1].Payload
		}
	}

	if event, err = events[f.Name](s); err != nil {
		return 0, 0, 0, "", err
	}
	warmStart := time.Now()
	warm, err := p.Call(invokeCtx, event)
	if err != nil {
		return 0, 0, 0, "", fmt.Errorf("%s, second invocation: %w", f.Name, err)
	}
	if wStatus, bad := describe(f.Name, warm); bad {
		return 0, 0, 0, "", fmt.Errorf("%s, second invocation, answered %s: %s", f.Name, wStatus, warm.Payload)
	}
	return p.FirstPoll().Sub(p.Started), got.res.At.Sub(p.Started), warm.At.Sub(warmStart), status, nil
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

func fileEvent(path string, edit func([]byte) []byte) event {
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

func apiEvent(r lambdatest.Request) event {
	return func(*stack) ([]byte, error) { return lambdatest.APIEvent(".", r) }
}

func authorizerEvent(s *stack) ([]byte, error) { return lambdatest.AuthorizerEvent(".", s.token) }

// photoWidth and photoHeight are the size of the photo imageprocessor is
// measured with: a 2 MP JPEG, well inside the 5 MB an upload may be.
const photoWidth, photoHeight = 1600, 1200

// photoEvent puts a fresh upload for product 1 of company 1 (the function
// deletes each one it processes) and returns the S3 event of it.
func photoEvent(s *stack) ([]byte, error) {
	if s.photo == nil {
		photo, err := lambdatest.Photo(photoWidth, photoHeight)
		if err != nil {
			return nil, err
		}
		s.photo = photo
	}
	event, _, err := s.PhotoUpload(".", 1, 1, s.photo)
	return event, err
}

func notifyEvent(s *stack) ([]byte, error) {
	if len(s.lastHandoff) == 0 {
		return nil, errors.New("no order event: placeorder handed none off")
	}
	return s.lastHandoff, nil
}

// --- building -----------------------------------------------------------------------------

// goBuild builds the tool pkg for this machine.
func goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// zipSize zips the linux/arm64 bootstrap as setup.sh does (with the RDS
// CA bundle for database functions when build/ has it, by reprozip) and
// returns the zip's size.
func zipSize(ctx context.Context, reprozip, bootstrap string, withCA bool, ca string) (int64, error) {
	dir := filepath.Dir(bootstrap)
	if withCA {
		b, err := os.ReadFile(ca)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, "rds-ca-bundle.pem"), b, 0o644); err != nil {
			return 0, err
		}
	}
	zip := dir + ".zip"
	cmd := exec.CommandContext(ctx, reprozip, "-o", zip, dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("reprozip %s: %w", filepath.Base(dir), err)
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
	fmt.Fprintln(tw, "function\tMB\truns\tinit p50\tfirst answer p50\tmin\tmax\twarm p50\tanswer\tinit CPU\tinit allocs\tzip (arm64)\tbinary\t")
	var failed, missed []string
	for _, m := range results {
		if m.failed {
			failed = append(failed, m.name)
			fmt.Fprintf(tw, "%s\t%d\t%d\t-\t-\t-\t-\t-\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.memory, 0, "FAILED", ms(m.initCPU), mb(m.initBytes), mb(m.zipBytes), mb(m.binaryBytes))
			continue
		}
		p50 := median(m.response)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.name, m.memory, len(m.response),
			ms(median(m.init)), ms(p50), ms(slices.Min(m.response)), ms(slices.Max(m.response)), ms(median(m.warm)),
			m.status, ms(m.initCPU), mb(m.initBytes), mb(m.zipBytes), mb(m.binaryBytes))
		// The aim is on what starting cold adds to an answer: for the API
		// functions that is nearly all of it, but imageprocessor's answer is
		// mostly decoding and encoding a photo, which a warm call pays too.
		if added := p50 - median(m.warm); added > aimColdStart {
			missed = append(missed, fmt.Sprintf("%s cold start adds %s to an answer > %s", m.name, ms(added), aimColdStart))
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
