package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/market"
)

func carrierCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(context.Background(), append([]string{"carrier"}, args...), &stdout, &stderr, nil)
	return stdout.String(), err
}

func TestCarrierCommand(t *testing.T) {
	t.Setenv("DELIVERY_DSN", "")
	dsn := dbtest.NewDSN(t)

	out, err := carrierCLI(t, "add", "-name", "Ana Rocha", "-phone", "+351 910 000 007", "-dsn", dsn)
	if err != nil || !strings.Contains(out, "Ana Rocha, +351910000007: active") {
		t.Fatalf("carrier add = %q, %v", out, err)
	}
	t.Setenv("DELIVERY_DSN", dsn) // the flag's default
	if out, err := carrierCLI(t, "add", "-name", "Ana Rocha", "-phone", "+351910000007"); err != nil || !strings.Contains(out, "active") {
		t.Errorf("carrier add again = %q, %v, want it unchanged", out, err)
	}
	if _, err := carrierCLI(t, "add", "-name", "Bruno Dias", "-phone", "+351910000008"); err != nil {
		t.Fatal(err)
	}
	out, err = carrierCLI(t, "remove", "-phone", "+351910000007")
	if err != nil || !strings.Contains(out, "removed") {
		t.Errorf("carrier remove = %q, %v", out, err)
	}
	out, err = carrierCLI(t, "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "Ana Rocha") || !strings.HasSuffix(lines[1], "removed") ||
		!strings.Contains(lines[2], "+351910000008") || !strings.HasSuffix(lines[2], "active") {
		t.Errorf("carrier list = %q, want Ana removed and Bruno active", out)
	}

	for _, args := range [][]string{
		{},
		{"fire"},
		{"add", "-name", "No Phone"},
		{"add", "-name", "Bruno Else", "-phone", "+351910000008"},
		{"add", "-name", "Local", "-phone", "910000009"},
		{"remove", "-phone", "+351910000099"},
		{"list", "extra"},
	} {
		if out, err := carrierCLI(t, args...); err == nil {
			t.Errorf("carrier %q = %q, nil error, want one", args, out)
		}
	}
	t.Setenv("DELIVERY_DSN", "")
	if _, err := carrierCLI(t, "list"); err == nil || !strings.Contains(err.Error(), "-dsn") {
		t.Errorf("carrier list without a database = %v, want it to ask for -dsn", err)
	}
}

// TestRunnerCarriers: the runner prints the demo carriers with how to
// sign in, and the carriers' SMS link to the runner's own address.
func TestRunnerCarriers(t *testing.T) {
	base, stdout, _, stop := startRunner(t)
	for _, c := range demo.Carriers {
		if !strings.Contains(stdout.String(), c.Name+"  "+c.Phone) {
			t.Errorf("stdout = %q, want carrier %s with the phone", stdout, c.Name)
		}
	}
	if !strings.Contains(stdout.String(), base+"/_local/sms") || !strings.Contains(stdout.String(), base+"/carrier.html") {
		t.Errorf("stdout = %q, want where to sign in and where the codes appear", stdout)
	}

	body := `{"items":[{"productId":1,"quantity":1}],"customer":{"name":"Ana","phone":"+351912345678","address":"Rua Augusta 10, Lisboa","location":{"lat":38.7105,"lng":-9.1365}}}`
	status, _, resp := call(t, "POST", base+"/api/orders", "application/json", body, "Idempotency-Key", "runner-carriers-1")
	if status != 201 {
		t.Fatalf("POST /api/orders = %d %s", status, resp)
	}
	var order struct {
		ID string `json:"orderId"`
	}
	if err := json.Unmarshal(resp, &order); err != nil {
		t.Fatal(err)
	}
	link := base + "/carrier.html#d=" + market.DeliveryID(order.ID)
	var sms string
	for deadline := time.Now().Add(20 * time.Second); sms == "" && time.Now().Before(deadline); {
		_, _, b := call(t, "GET", base+"/_local/sms", "", "")
		var outbox struct {
			Messages []struct {
				Message string `json:"message"`
				OrderID string `json:"orderId"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(b, &outbox); err != nil {
			t.Fatal(err)
		}
		for _, m := range outbox.Messages {
			if m.OrderID == order.ID {
				sms = m.Message
			}
		}
		if sms == "" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !strings.HasSuffix(sms, "\n"+link) {
		t.Errorf("SMS = %q, want it to end with %s", sms, link)
	}
	if err := stop(); err != nil {
		t.Errorf("run after shutdown = %v", err)
	}
}
