package lambdainit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/lambdatest"
)

func TestFailed(t *testing.T) {
	tests := []struct {
		name       string
		underAPI   bool
		wantReport bool
	}{
		{"under the Runtime API", true, true},
		{"outside Lambda", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := lambdatest.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			api := ""
			if tt.underAPI {
				api = rt.Addr()
			}
			var out bytes.Buffer
			initFailed(&out, api, "listproducts", errors.New("config: missing DB_HOST"))

			if log := out.String(); !strings.Contains(log, "DB_HOST") || !strings.Contains(log, `"level":"ERROR"`) {
				t.Errorf("log = %q, want an error line naming DB_HOST", log)
			}
			res, reported := rt.InitError()
			if reported != tt.wantReport {
				t.Fatalf("init error reported = %v, want %v", reported, tt.wantReport)
			}
			if !reported {
				return
			}
			var doc struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal(res.Payload, &doc); err != nil {
				t.Fatalf("init error body %s: %v", res.Payload, err)
			}
			if doc.ErrorMessage != "listproducts: config: missing DB_HOST" || doc.ErrorType != ErrorType || res.ErrorType != ErrorType {
				t.Errorf("init error = %+v (header %q), want the message and type %q", doc, res.ErrorType, ErrorType)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if _, err := rt.Invoke(ctx, []byte(`{}`)); !errors.Is(err, lambdatest.ErrInit) {
				t.Errorf("Invoke after the init error = %v, want ErrInit", err)
			}
		})
	}
}
