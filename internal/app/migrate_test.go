package app_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/dbtest"
)

func TestMigrateHandler(t *testing.T) {
	db := dbtest.MustOpenDB(t)
	migrate := app.Migrate(app.Deps{DB: db, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	ctx := context.Background()

	resp, err := migrate(ctx, app.MigrateRequest{Action: "migrate"})
	if err != nil || resp.Version < 2 {
		t.Fatalf("migrate = %+v, %v; want the latest version", resp, err)
	}
	again, err := migrate(ctx, app.MigrateRequest{Action: "migrate"})
	if err != nil || again.Version != resp.Version {
		t.Errorf("migrate again = %+v, %v; want %d (re-runnable)", again, err, resp.Version)
	}

	ids := make([]int64, 6)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := migrate(ctx, app.MigrateRequest{Action: "ensure-company", Name: "  First Company "})
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

	for _, req := range []app.MigrateRequest{{Action: "drop"}, {Action: "ensure-company"}, {}} {
		if _, err := migrate(ctx, req); err == nil {
			t.Errorf("migrate(%+v) = nil error, want one", req)
		}
	}
}
