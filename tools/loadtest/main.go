// Command loadtest runs the catalog scenarios of issue 10 against a running
// marketplace (go run ./cmd/local -dsn ...) and prints, per scenario, the
// requests, success ratio, throughput and latency percentiles.
//
//	go run ./tools/loadtest -url http://127.0.0.1:8080
//	go run ./tools/loadtest -scenario search-none,companies -requests 500
//	go run ./tools/loadtest -mode throughput -workers 32 -duration 10s
//	go run ./tools/loadtest -nearest -dsn 'root@tcp(127.0.0.1:3306)/' -carriers 10000
//
// Two modes: latency runs each scenario as one client sending its requests
// back to back (the targets are stated for one client, and a single client
// measures the server's latency rather than its queueing); throughput runs
// the unfiltered list from -workers connections at -rate (0: as fast as the
// server answers) for -duration. The HTTP work is vegeta's (attacker,
// metrics); this file only chooses the targets and prints the report.
//
// It exits 1 when any scenario got an error or a non-2xx answer, and with
// -check also when a scenario misses the targets (off by default:
// the machines it runs on are shared and noisy).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
)

// The targets, for -check.
const (
	targetP50        = 10 * time.Millisecond
	targetP99        = 50 * time.Millisecond
	targetThroughput = 3000 // requests/s, list, 32 connections
)

type options struct {
	baseURL    string
	mode       string
	scenarios  []string
	requests   uint64
	warmup     uint64
	workers    uint64
	rate       int
	duration   time.Duration
	timeout    time.Duration
	check      bool
	word       string
	pair       string
	prefix     string
	rare       string
	absent     string
	companyID  int64
	deepAfter  int64
	pageLimit  int
	jsonOutput bool
}

func main() {
	var o options
	var scenarios string
	flag.StringVar(&o.baseURL, "url", "http://127.0.0.1:8080", "base URL of the running marketplace")
	flag.StringVar(&o.mode, "mode", "both", "latency, throughput or both")
	flag.StringVar(&scenarios, "scenario", "", "comma-separated scenario names (default: all); see -list")
	flag.Uint64Var(&o.requests, "requests", 300, "latency mode: requests per scenario, sent one after the other")
	flag.Uint64Var(&o.warmup, "warmup", 20, "latency mode: unreported requests sent first per scenario")
	flag.Uint64Var(&o.workers, "workers", 32, "throughput mode: connections")
	flag.IntVar(&o.rate, "rate", 0, "throughput mode: requests per second (0: as fast as answered)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "throughput mode: how long")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.BoolVar(&o.check, "check", false, "also fail when a scenario misses the issue's targets (p50 ≤ 10 ms, p99 ≤ 50 ms, list ≥ 3,000 req/s)")
	// The seed's own words (internal/demo/catalog.go), so that the tool
	// and the catalog cannot drift apart.
	flag.StringVar(&o.word, "word", demo.SearchCommon, "a word many products have")
	flag.StringVar(&o.pair, "pair", demo.SearchCommonPair, "two words that occur together")
	flag.StringVar(&o.prefix, "prefix", demo.SearchPrefix, "a word prefix")
	flag.StringVar(&o.rare, "rare", demo.SearchRare, "a word one product in ten thousand has")
	flag.StringVar(&o.absent, "absent", demo.SearchAbsent, "a word no product has")
	flag.Int64Var(&o.companyID, "company", 0, "the shop filter's company id (0: the one with the most products)")
	flag.Int64Var(&o.deepAfter, "after", 0, "the deep page's cursor position (0: 90% of the catalog, id 900,000 at a million)")
	flag.IntVar(&o.pageLimit, "limit", market.DefaultPageSize, "page size of the list scenarios")
	flag.BoolVar(&o.jsonOutput, "json", false, "print the reports as JSON lines instead of a table")
	list := flag.Bool("list", false, "list the scenarios and exit")
	var near nearestOptions
	nearest := flag.Bool("nearest", false, "time dispatch's nearest on-shift carriers against -dsn instead (see nearest.go)")
	flag.StringVar(&near.dsn, "dsn", "", "-nearest: the MySQL or MariaDB server, as root@tcp(127.0.0.1:3306)/; a database of its own is created and dropped")
	flag.IntVar(&near.carriers, "carriers", 10_000, "-nearest: carriers on shift")
	flag.IntVar(&near.requests, "searches", 2000, "-nearest: searches per candidate count")
	flag.Float64Var(&near.radiusKm, "radius", 10, "-nearest: the search radius in km")
	counts := flag.String("n", "6,9,12,15", "-nearest: comma-separated candidate counts")
	flag.Parse()
	if *nearest {
		for _, c := range strings.Split(*counts, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(c))
			if err != nil {
				fmt.Fprintln(os.Stderr, "loadtest: -n:", err)
				os.Exit(2)
			}
			near.counts = append(near.counts, n)
		}
		code, err := runNearest(context.Background(), near, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(code)
	}
	if scenarios != "" {
		o.scenarios = strings.Split(scenarios, ",")
	}
	if *list {
		for _, s := range scenarioList(catalogInfo{companyID: 1, products: 1_000_000, lastID: 1_000_000}, o) {
			fmt.Printf("%-14s %s\n", s.name, s.path)
		}
		fmt.Printf("%-14s %s\n", throughputName, "the list, -workers connections, -rate, -duration")
		return
	}
	code, err := run(context.Background(), o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
	}
	os.Exit(code)
}

// scenario is one request the tool repeats.
type scenario struct {
	name string
	path string // with its query
	// check, if set, validates the one probe answer before the run, so
	// that a scenario that silently measures the wrong thing (a "common"
	// word that matches nothing after the seed changed) fails loudly.
	check func(products int) error
}

const throughputName = "throughput"

// catalogInfo is what the tool learns about the catalog before the run.
type catalogInfo struct {
	companyID int64 // the company with the most active products
	products  int64 // active products, from the companies' counts (at most market.MaxCatalogCompanies companies)
	lastID    int64 // the largest active product id
	companies int   // in the companies list
}

func scenarioList(info catalogInfo, o options) []scenario {
	limit := "limit=" + strconv.Itoa(o.pageLimit)
	after := o.deepAfter
	if after == 0 {
		after = info.lastID * 9 / 10
	}
	company := o.companyID
	if company == 0 {
		company = info.companyID
	}
	companyQ := "companyId=" + strconv.FormatInt(company, 10)
	some := func(products int) error {
		if products == 0 {
			return errors.New("the page is empty; expected products")
		}
		return nil
	}
	none := func(products int) error {
		if products != 0 {
			return fmt.Errorf("the page has %d products; expected none", products)
		}
		return nil
	}
	q := func(s string) string { return "q=" + url.QueryEscape(s) }
	return []scenario{
		{"first-page", "/api/products?" + limit, some},
		{"deep-page", "/api/products?" + limit + "&cursor=" + market.EncodeCursor(after), nil},
		{"shop", "/api/products?" + limit + "&" + companyQ, some},
		{"companies", "/api/companies", nil},
		{"search-common", "/api/products?" + limit + "&" + q(o.word), some},
		{"search-pair", "/api/products?" + limit + "&" + q(o.pair), some},
		{"search-rare", "/api/products?" + limit + "&" + q(o.rare), nil},
		{"search-none", "/api/products?" + limit + "&" + q(o.absent), none},
		{"search-prefix", "/api/products?" + limit + "&" + q(o.prefix), some},
		{"search-shop", "/api/products?" + limit + "&" + q(o.word) + "&" + companyQ, nil},
	}
}

// report is one scenario's outcome.
type report struct {
	Scenario   string         `json:"scenario"`
	Mode       string         `json:"mode"`
	Requests   uint64         `json:"requests"`
	Success    float64        `json:"success"`
	Throughput float64        `json:"throughput"`
	P50        time.Duration  `json:"p50"`
	P99        time.Duration  `json:"p99"`
	Max        time.Duration  `json:"max"`
	Codes      map[string]int `json:"statusCodes"`
	Errors     []string       `json:"errors,omitempty"`
	Missed     []string       `json:"missed,omitempty"`
}

// failed reports whether the scenario got an error or a non-2xx answer.
func (r report) failed() bool {
	if len(r.Errors) > 0 || r.Requests == 0 {
		return true
	}
	for code := range r.Codes {
		if !strings.HasPrefix(code, "2") {
			return true
		}
	}
	return false
}

// missedTargets lists the targets the report misses.
func (r report) missedTargets() []string {
	var missed []string
	if r.Mode == "latency" {
		if r.P50 > targetP50 {
			missed = append(missed, fmt.Sprintf("p50 %s > %s", round(r.P50), targetP50))
		}
		if r.P99 > targetP99 {
			missed = append(missed, fmt.Sprintf("p99 %s > %s", round(r.P99), targetP99))
		}
	} else if r.Throughput < targetThroughput {
		missed = append(missed, fmt.Sprintf("%.0f req/s < %d", r.Throughput, targetThroughput))
	}
	return missed
}

func run(ctx context.Context, o options, out io.Writer) (int, error) {
	if o.mode != "latency" && o.mode != "throughput" && o.mode != "both" {
		return 2, fmt.Errorf("-mode %q: want latency, throughput or both", o.mode)
	}
	base := strings.TrimRight(o.baseURL, "/")
	client := &http.Client{Timeout: o.timeout}
	info, err := discover(ctx, client, base)
	if err != nil {
		return 2, err
	}
	all := scenarioList(info, o)
	wanted := func(name string) bool { return len(o.scenarios) == 0 || slices.Contains(o.scenarios, name) }
	for _, name := range o.scenarios {
		if name != throughputName && !slices.ContainsFunc(all, func(s scenario) bool { return s.name == name }) {
			return 2, fmt.Errorf("unknown scenario %q (see -list)", name)
		}
	}
	fmt.Fprintf(out, "catalog at %s: last product id %d; %d products in the %d-company list; shop filter companyId=%d\n",
		base, info.lastID, info.products, info.companies, info.companyID)

	var reports []report
	if o.mode != "throughput" {
		for _, s := range all {
			if !wanted(s.name) {
				continue
			}
			if err := probe(ctx, client, base, s); err != nil {
				return 1, fmt.Errorf("scenario %s (%s): %w", s.name, s.path, err)
			}
			// Warm up unmeasured: the first requests of a scenario pay for
			// cold pages and connection setup, which a p99 of a few hundred
			// requests would otherwise report as the server's latency.
			attack(base+s.path, 1, 0, o.warmup, 0, o.timeout)
			m := attack(base+s.path, 1, 0, o.requests, 0, o.timeout)
			reports = append(reports, newReport(s.name, "latency", m))
		}
	}
	if o.mode != "latency" && wanted(throughputName) {
		m := attack(base+"/api/products?limit="+strconv.Itoa(o.pageLimit), o.workers, o.rate, 0, o.duration, o.timeout)
		reports = append(reports, newReport(throughputName, "throughput", m))
	}

	code := 0
	for i := range reports {
		r := &reports[i]
		if o.check {
			r.Missed = r.missedTargets()
		}
		if r.failed() || len(r.Missed) > 0 {
			code = 1
		}
	}
	if o.jsonOutput {
		enc := json.NewEncoder(out)
		for _, r := range reports {
			if err := enc.Encode(r); err != nil {
				return 2, err
			}
		}
	} else {
		printTable(out, reports)
	}
	return code, nil
}

// attack runs one vegeta attack on url: workers connections, rate
// requests/s (0: each connection sends its next request as soon as the
// previous one is answered), stopping after count requests (0: no limit)
// or after duration (0: no limit).
func attack(u string, workers uint64, rate int, count uint64, duration, timeout time.Duration) *vegeta.Metrics {
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: u})
	attacker := vegeta.NewAttacker(
		vegeta.Workers(workers), vegeta.MaxWorkers(workers),
		vegeta.Connections(int(workers)), vegeta.MaxConnections(int(workers)),
		vegeta.KeepAlive(true), vegeta.Timeout(timeout), vegeta.MaxBody(1<<20),
	)
	var pacer vegeta.Pacer = vegeta.ConstantPacer{Freq: rate, Per: time.Second}
	if count > 0 {
		pacer = countPacer{Pacer: pacer, limit: count}
	}
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, pacer, duration, "loadtest") {
		m.Add(res)
	}
	m.Close()
	return &m
}

// countPacer stops an attack after limit requests, so that a latency run
// has the same number of samples on a fast and a slow scenario.
type countPacer struct {
	vegeta.Pacer
	limit uint64
}

func (p countPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.limit {
		return 0, true
	}
	return p.Pacer.Pace(elapsed, hits)
}

func newReport(name, mode string, m *vegeta.Metrics) report {
	return report{
		Scenario: name, Mode: mode, Requests: m.Requests, Success: m.Success, Throughput: m.Throughput,
		P50: m.Latencies.P50, P99: m.Latencies.P99, Max: m.Latencies.Max,
		Codes: m.StatusCodes, Errors: m.Errors,
	}
}

func printTable(out io.Writer, reports []report) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tmode\trequests\tsuccess\treq/s\tp50\tp99\tmax\t")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f%%\t%.0f\t%s\t%s\t%s\t\n",
			r.Scenario, r.Mode, r.Requests, 100*r.Success, r.Throughput, round(r.P50), round(r.P99), round(r.Max))
	}
	_ = tw.Flush()
	for _, r := range reports {
		if r.failed() {
			fmt.Fprintf(out, "FAIL %s: status codes %v, errors %q\n", r.Scenario, r.Codes, r.Errors)
		}
		for _, m := range r.Missed {
			fmt.Fprintf(out, "MISS %s: %s\n", r.Scenario, m)
		}
	}
}

// round keeps three significant figures of a latency, enough to compare.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// discover reads GET /api/companies for the largest shop, and finds the
// last product id from the catalog's pages.
func discover(ctx context.Context, client *http.Client, base string) (catalogInfo, error) {
	var body struct {
		Companies []market.CatalogCompany `json:"companies"`
	}
	if _, err := getJSON(ctx, client, base+"/api/companies", &body); err != nil {
		return catalogInfo{}, fmt.Errorf("is the marketplace running at %s? %w", base, err)
	}
	var info catalogInfo
	var most int64 = -1
	for _, c := range body.Companies {
		info.products += c.ProductCount
		if c.ProductCount > most {
			most, info.companyID = c.ProductCount, c.ID
		}
	}
	if info.companyID == 0 {
		return catalogInfo{}, errors.New("the catalog is empty: seed it first (go run ./cmd/local seed)")
	}
	info.companies = len(body.Companies)
	var err error
	info.lastID, err = lastID(func(after int64) (bool, error) {
		var page struct {
			Products []json.RawMessage `json:"products"`
		}
		_, err := getJSON(ctx, client, base+"/api/products?limit=1&cursor="+market.EncodeCursor(after), &page)
		return len(page.Products) > 0, err
	})
	return info, err
}

// lastID finds the largest id after which the catalog still has a product,
// given a page probe: the companies' counts cannot tell it (ids have gaps,
// and the list stops at market.MaxCatalogCompanies companies), and a
// bisection over pages of one product takes some 40 requests at a million.
func lastID(productsAfter func(after int64) (bool, error)) (int64, error) {
	lo, hi := int64(0), int64(1024) // productsAfter(lo), and not productsAfter(hi) once found
	for {
		more, err := productsAfter(hi)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		more, err := productsAfter(mid)
		if err != nil {
			return 0, err
		}
		if more {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// probe sends a scenario's request once and checks its answer.
func probe(ctx context.Context, client *http.Client, base string, s scenario) error {
	var body struct {
		Products []json.RawMessage `json:"products"`
	}
	if _, err := getJSON(ctx, client, base+s.path, &body); err != nil {
		return err
	}
	if s.check != nil {
		return s.check(len(body.Products))
	}
	return nil
}

func getJSON(ctx context.Context, client *http.Client, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
}
