package admin_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
)

const carriersTopic = "arn:aws:sns:eu-west-1:123456789012:delivery-carriers"

func TestMigrateHandler(t *testing.T) {
	db := dbtest.MustOpenDB(t)
	srv := snstest.New(t)
	migrate := admin.Migrate(app.Deps{DB: db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))},
		snssms.Topic{Client: srv.Client(), ARN: carriersTopic}.Sync, nil)
	ctx := context.Background()

	resp, err := migrate(ctx, admin.MigrateRequest{Action: "migrate"})
	if err != nil || resp.Version < 2 {
		t.Fatalf("migrate = %+v, %v; want the latest version", resp, err)
	}
	again, err := migrate(ctx, admin.MigrateRequest{Action: "migrate"})
	if err != nil || again.Version != resp.Version {
		t.Errorf("migrate again = %+v, %v; want %d (re-runnable)", again, err, resp.Version)
	}

	ids := make([]int64, 6)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := migrate(ctx, admin.MigrateRequest{Action: "ensure-company", Name: "  First Company "})
			if err != nil {
				t.Errorf("ensure-company = %v", err)
			}
			ids[i] = r.CompanyID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id < 1 || id != ids[0] {
			t.Fatalf("concurrent ensure-company ids = %v, want one id", ids)
		}
	}
	var n int
	if err := db.Get(&n, `SELECT COUNT(*) FROM companies WHERE name = 'First Company'`); err != nil || n != 1 {
		t.Errorf("companies named First Company = %d (%v), want 1", n, err)
	}

	for _, req := range []admin.MigrateRequest{{Action: "drop"}, {Action: "ensure-company"}, {}} {
		if _, err := migrate(ctx, req); err == nil {
			t.Errorf("migrate(%+v) = nil error, want one", req)
		}
	}
}

// smsPhones returns the phones subscribed to the carriers' topic by SMS.
func smsPhones(srv *snstest.Server) []string {
	var phones []string
	for _, s := range srv.Subscriptions(carriersTopic) {
		if s.Protocol == "sms" {
			phones = append(phones, s.Endpoint)
		}
	}
	slices.Sort(phones)
	return phones
}

// TestMigrateCarriers: the operator's carrier actions change the carriers
// table, and the topic's SMS subscriptions follow it, as does every plain
// migrate (each deploy); no phone reaches the logs.
func TestMigrateCarriers(t *testing.T) {
	db := dbtest.MustOpenDB(t)
	srv := snstest.New(t)
	srv.Add(carriersTopic, "sms", "+351919999999") // a phone from before carriers were records
	var logs strings.Builder
	migrate := admin.Migrate(app.Deps{DB: db, Logger: slog.New(slog.NewJSONHandler(&logs, nil))},
		snssms.Topic{Client: srv.Client(), ARN: carriersTopic}.Sync, nil)
	ctx := context.Background()
	call := func(req admin.MigrateRequest) admin.MigrateResponse {
		t.Helper()
		resp, err := migrate(ctx, req)
		if err != nil {
			t.Fatalf("%+v = %v", req, err)
		}
		return resp
	}

	resp := call(admin.MigrateRequest{Action: "migrate"})
	if s := resp.Subscriptions; s == nil || *s != (notify.SyncReport{Unsubscribed: 1}) || len(smsPhones(srv)) != 0 {
		t.Errorf("migrate: subscriptions %+v, topic %v, want the stale phone unsubscribed", s, smsPhones(srv))
	}

	rui := call(admin.MigrateRequest{Action: "carrier-add", Name: " Rui Costa ", Phone: "+351 910 000 001"})
	if c := rui.Carrier; c == nil || c.ID < 1 || c.Name != "Rui Costa" || c.Phone != "+351910000001" || !c.Active || rui.Subscriptions.Subscribed != 1 {
		t.Errorf("carrier-add = %+v (subscriptions %+v), want Rui, active, subscribed", c, rui.Subscriptions)
	}
	call(admin.MigrateRequest{Action: "carrier-add", Name: "Marta Lima", Phone: "+351910000002"})
	if got := smsPhones(srv); !slices.Equal(got, []string{"+351910000001", "+351910000002"}) {
		t.Errorf("topic after two adds = %v", got)
	}
	if same := call(admin.MigrateRequest{Action: "carrier-add", Name: "Rui Costa", Phone: "+351910000001"}); same.Carrier.ID != rui.Carrier.ID || same.Subscriptions.Subscribed != 0 {
		t.Errorf("carrier-add again = %+v, want the same carrier, nothing subscribed", same)
	}

	list := call(admin.MigrateRequest{Action: "carrier-list"})
	if len(list.Carriers) != 2 || list.Carriers[0].Phone != "+351910000001" || list.Carriers[1].Name != "Marta Lima" {
		t.Errorf("carrier-list = %+v, want both with their phones", list.Carriers)
	}

	removed := call(admin.MigrateRequest{Action: "carrier-remove", Phone: "+351910000001"})
	if removed.Carrier.Active || removed.Subscriptions.Unsubscribed != 1 || !slices.Equal(smsPhones(srv), []string{"+351910000002"}) {
		t.Errorf("carrier-remove = %+v, topic %v, want Rui inactive and unsubscribed", removed, smsPhones(srv))
	}
	if h := removed.Handover; h == nil || h.Released != 0 || len(h.StillHeld) != 0 {
		t.Errorf("carrier-remove handover = %+v, want nothing to release", h)
	}
	back := call(admin.MigrateRequest{Action: "carrier-add", Name: "Rui Costa", Phone: "+351910000001"})
	if back.Carrier.ID != rui.Carrier.ID || !back.Carrier.Active || len(smsPhones(srv)) != 2 {
		t.Errorf("carrier-add of a removed carrier = %+v, want it back under its id", back.Carrier)
	}

	// A subscription lost by hand comes back with the next deploy.
	for _, s := range srv.Subscriptions(carriersTopic) {
		if s.Endpoint == "+351910000002" {
			if _, err := srv.Client().Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: &s.ARN}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := call(admin.MigrateRequest{Action: "migrate"}); r.Subscriptions.Subscribed != 1 || len(smsPhones(srv)) != 2 {
		t.Errorf("migrate = %+v, want the lost subscription back", r.Subscriptions)
	}

	for _, req := range []admin.MigrateRequest{
		{Action: "carrier-add", Name: "Someone Else", Phone: "+351910000001"},
		{Action: "carrier-add", Name: "No Phone"},
		{Action: "carrier-add", Name: "", Phone: "+351910000003"},
		{Action: "carrier-add", Name: "Local Number", Phone: "910000003"},
		{Action: "carrier-remove", Phone: "+351910000009"},
		{Action: "carrier-remove"},
	} {
		if _, err := migrate(ctx, req); err == nil {
			t.Errorf("%+v = nil error, want one", req)
		}
	}
	if got := smsPhones(srv); len(got) != 2 {
		t.Errorf("topic after refused requests = %v, want unchanged", got)
	}
	if strings.Contains(logs.String(), "910000001") || strings.Contains(logs.String(), "910000002") {
		t.Errorf("logs hold a phone number: %s", logs.String())
	}
}
