package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/deliverymarket/delivery/internal/market"
)

// The tool's own logic only: no server, no timing.

func TestCountPacerStopsAtLimit(t *testing.T) {
	p := countPacer{Pacer: vegeta.ConstantPacer{}, limit: 3}
	for hits := range uint64(5) {
		_, stop := p.Pace(time.Second, hits)
		if want := hits >= 3; stop != want {
			t.Errorf("Pace(hits=%d) stop = %v, want %v", hits, stop, want)
		}
	}
}

func TestScenarioList(t *testing.T) {
	tests := []struct {
		name      string
		info      catalogInfo
		o         options
		wantAfter int64
		wantShop  string
	}{
		{"a million products", catalogInfo{companyID: 7, lastID: 1_000_000}, options{pageLimit: 20}, 900_000, "companyId=7"},
		{"a thousand", catalogInfo{companyID: 2, lastID: 1000}, options{pageLimit: 20}, 900, "companyId=2"},
		{"flags win", catalogInfo{companyID: 2, lastID: 1000}, options{pageLimit: 20, deepAfter: 5, companyID: 9}, 5, "companyId=9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.word, tt.o.pair, tt.o.prefix, tt.o.rare, tt.o.absent = "fresh bread", "a b", "to", "r", "zz%"
			byName := map[string]scenario{}
			for _, s := range scenarioList(tt.info, tt.o) {
				byName[s.name] = s
			}
			if got, want := byName["deep-page"].path, "cursor="+market.EncodeCursor(tt.wantAfter); !strings.HasSuffix(got, want) {
				t.Errorf("deep-page = %s, want it to end with %s", got, want)
			}
			for _, name := range []string{"shop", "search-shop"} {
				if !strings.Contains(byName[name].path, tt.wantShop) {
					t.Errorf("%s = %s, want %s", name, byName[name].path, tt.wantShop)
				}
			}
			if got := byName["search-common"].path; !strings.Contains(got, "q=fresh+bread") {
				t.Errorf("search-common = %s, want the word query-escaped", got)
			}
			if got := byName["search-none"].path; !strings.Contains(got, "q=zz%25") {
				t.Errorf("search-none = %s, want the word query-escaped", got)
			}
		})
	}
}

func TestReportVerdicts(t *testing.T) {
	ok := map[string]int{"200": 10}
	tests := []struct {
		name       string
		r          report
		wantFailed bool
		wantMissed int
	}{
		{"fast and clean", report{Mode: "latency", Requests: 10, Codes: ok, P50: time.Millisecond, P99: 5 * time.Millisecond}, false, 0},
		{"slow is not a failure", report{Mode: "latency", Requests: 10, Codes: ok, P50: 20 * time.Millisecond, P99: time.Second}, false, 2},
		{"a 500", report{Mode: "latency", Requests: 10, Codes: map[string]int{"200": 9, "500": 1}}, true, 0},
		{"a 304 is not 2xx", report{Mode: "latency", Requests: 10, Codes: map[string]int{"304": 10}}, true, 0},
		{"a transport error", report{Mode: "latency", Requests: 10, Codes: map[string]int{"0": 1, "200": 9}, Errors: []string{"connection refused"}}, true, 0},
		{"no requests", report{Mode: "latency"}, true, 0},
		{"slow list", report{Mode: "throughput", Requests: 10, Codes: ok, Throughput: 2000}, false, 1},
		{"fast list", report{Mode: "throughput", Requests: 10, Codes: ok, Throughput: 5000}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.failed(); got != tt.wantFailed {
				t.Errorf("failed() = %v, want %v", got, tt.wantFailed)
			}
			if got := tt.r.missedTargets(); len(got) != tt.wantMissed {
				t.Errorf("missedTargets() = %q, want %d misses", got, tt.wantMissed)
			}
		})
	}
}

func TestLastID(t *testing.T) {
	for _, last := range []int64{1, 24, 1000, 1024, 1025, 999_983, 1_000_000} {
		t.Run(strconv.FormatInt(last, 10), func(t *testing.T) {
			probes := 0
			got, err := lastID(func(after int64) (bool, error) {
				probes++
				return after < last, nil
			})
			if err != nil || got != last {
				t.Errorf("lastID = %d, %v; want %d", got, err, last)
			}
			if probes > 45 {
				t.Errorf("%d probes, want at most 45", probes)
			}
		})
	}
}
