package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{defaultAddr, true},
		{"127.0.0.1:0", true},
		{"127.1.2.3:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{exposedAddr, false},
		{":0", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.0.2.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := isLoopback(context.Background(), tt.addr)
			if err != nil || got != tt.want {
				t.Errorf("isLoopback(%q) = %v, %v; want %v", tt.addr, got, err, tt.want)
			}
		})
	}
}

// A runner on loopback serves the SMS outbox; an exposed one serves it
// only with -sms-outbox, and without it prints the sign-in codes on its
// own console, which it says at start.
func TestRunExposure(t *testing.T) {
	code := regexp.MustCompile(`SMS to \+\S+: .*\b\d{6}\b`)
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStart  string
		// wantCode says the code is printed on the console.
		wantCode bool
	}{
		{name: "loopback", wantStatus: http.StatusOK, wantStart: "/_local/sms (carriers' SMS are also printed here)"},
		{name: "exposed", args: []string{"-expose"}, wantStatus: http.StatusNotFound, wantStart: "not served (-expose without -sms-outbox)", wantCode: true},
		{name: "exposed with the outbox", args: []string{"-expose", "-sms-outbox"}, wantStatus: http.StatusOK, wantStart: "open to anyone who can reach this runner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			base, stdout, _, stop := runRunner(t, tt.args...)
			if !strings.Contains(stdout.String(), tt.wantStart) {
				t.Errorf("stdout at start = %q, want it to say %q", stdout.String(), tt.wantStart)
			}
			phone := demo.Carriers[0].Phone
			if status, _, body := call(t, http.MethodPost, base+"/api/carrier/session/code", "application/json", `{"phone":"`+phone+`"}`); status != http.StatusAccepted {
				t.Fatalf("POST session/code = %d %s, want 202", status, body)
			}
			status, _, body := call(t, http.MethodGet, base+"/_local/sms", "", "")
			if status != tt.wantStatus {
				t.Errorf("GET /_local/sms = %d, want %d", status, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK && strings.Contains(string(body), phone) {
				t.Errorf("GET /_local/sms shows the SMS: %s", body)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if printed := code.MatchString(stdout.String()); printed != tt.wantCode {
				t.Errorf("code printed on stdout %v, want %v; stdout:\n%s", printed, tt.wantCode, stdout.String())
			}
		})
	}
}

// What the runner writes, its request log and its console, names an
// order by its reference, never by its id, the shopper's only key.
func TestRunLogsHoldNoOrderID(t *testing.T) {
	isolate(t)
	t.Setenv("LOG_LEVEL", "debug")
	base, stdout, stderr, stop := runRunner(t)
	status, _, body := call(t, http.MethodPost, base+"/api/orders", "application/json",
		`{"items":[{"productId":1,"quantity":1}],"customer":{"name":"Ana","phone":"+5511987654321","address":"Rua Augusta 100","location":{"lat":38.7105,"lng":-9.1365}}}`,
		"Idempotency-Key", "6b7c1c9e-2b0a-4c55-9d1e-7a3b2c1d0e9f")
	var order struct {
		OrderID string `json:"orderId"`
	}
	if err := json.Unmarshal(body, &order); err != nil || status != http.StatusCreated {
		t.Fatalf("POST /api/orders = %d %s: %v", status, body, err)
	}
	call(t, http.MethodGet, base+"/api/orders/"+order.OrderID, "", "")
	call(t, http.MethodGet, base+"/api/orders/"+order.OrderID+"/nothing", "", "")
	// With no carrier on shift, the order's first wave is its broadcast,
	// run by the runner's timer just after the order is placed: the
	// cancel waits for it, or there would be no SMS to print.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, _, sms := call(t, http.MethodGet, base+"/_local/sms", "", ""); strings.Contains(string(sms), order.OrderID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no carriers' SMS 30s after the order was placed")
		}
	}
	call(t, http.MethodPost, base+"/api/orders/"+order.OrderID+"/cancel", "application/json", "")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		if strings.Contains(out, order.OrderID) {
			t.Errorf("%s holds the order id:\n%s", name, out)
		}
	}
	if ref := market.OrderReference(order.OrderID); !strings.Contains(stdout.String(), ref) {
		t.Errorf("stdout does not name the order by its reference %s:\n%s", ref, stdout.String())
	}
}
