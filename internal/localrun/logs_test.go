package localrun_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/market"
)

func TestWithoutOrderIDs(t *testing.T) {
	id, err := market.NewOrderID(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ref := market.OrderReference(id)
	tests := []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{name: "orderId attribute", log: func(l *slog.Logger) { l.Info("handed off", "orderId", id) }, want: `"orderRef":"` + ref + `"`},
		{name: "path", log: func(l *slog.Logger) { l.Info("request", "path", "/api/orders/"+id+"/cancel") }, want: `"/api/orders/order-ref:` + ref + `/cancel"`},
		{name: "message", log: func(l *slog.Logger) { l.Info("order " + id + " gone") }, want: `"order order-ref:` + ref + ` gone"`},
		{name: "error", log: func(l *slog.Logger) { l.Error("failed", "error", errors.New("publish sms for order "+id)) }, want: `order-ref:` + ref},
		{name: "group", log: func(l *slog.Logger) { l.Info("x", slog.Group("event", "orderId", id)) }, want: `"event":{"orderRef":"` + ref + `"}`},
		{name: "logger attributes", log: func(l *slog.Logger) { l.With("orderId", id).Info("x") }, want: `"orderRef":"` + ref + `"`},
		{name: "not an id", log: func(l *slog.Logger) { l.Info("x", "key", "uploads/1/2/abc", "orderId", "junk") }, want: `"key":"uploads/1/2/abc","orderId":"junk"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			tt.log(slog.New(localrun.WithoutOrderIDs(slog.NewJSONHandler(&out, nil))))
			if strings.Contains(out.String(), id) || !strings.Contains(out.String(), tt.want) {
				t.Errorf("log = %s, want %s and no order id", out.String(), tt.want)
			}
		})
	}
}
