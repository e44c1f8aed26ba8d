package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/dbtest"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/localrun"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Load without loss: 200 distinct orders, each sent 5 times at once with
// the same Idempotency-Key, while companies change their prices and
// shoppers ask for quotes. Exactly 200 orders and 200 carrier SMS come out
// of it, no request answers 5xx, and every stored order adds up at the
// prices it stored, each a price its product really had. Bounded: a fixed
// number of orders and price changes, and a deadline that ends the test
// if anything hangs.
func TestLoadWithoutLoss(t *testing.T) {
	requireMariaDB(t)
	const (
		orders       = 200
		copies       = 5  // concurrent sends of each order, one key
		orderWorkers = 3  // orders in flight at once, each with its copies
		priceChanges = 60 // per company
		products     = 24 // the demo catalog: company c has 8(c-1)+1 .. 8c
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	dsn := dbtest.NewDSN(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The production pool, sized for the test's concurrency as the many
	// Lambda containers of a real burst would be: each request finds a
	// connection, as each container does.
	db, err := mysql.Open(mysql.Settings{
		Addr: cfg.Addr, Database: cfg.DBName,
		Credentials:  mysql.StaticCredentials{Username: cfg.User, Password: cfg.Passwd},
		MaxOpenConns: orderWorkers*copies + 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		t.Fatal(err)
	}
	keyring := newKeyring(t)
	// Errors are logged into the test's output: a 5xx comes with its cause.
	logger := slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	m, err := localrun.New(localrun.Config{DB: db, Currency: "USD", Logger: logger, Keyring: keyring})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler)
	defer srv.Close()
	client := &http.Client{Timeout: 15 * time.Second}
	r := &faultRig{url: srv.URL, client: client}

	// Every price each product has had, to check the orders against.
	var pricesMu sync.Mutex
	prices := map[int64]map[string]bool{}
	var initial []struct {
		ID    int64  `db:"id"`
		Price string `db:"price"`
	}
	if err := db.SelectContext(ctx, &initial, `SELECT id, price FROM products`); err != nil {
		t.Fatal(err)
	}
	for _, p := range initial {
		prices[p.ID] = map[string]bool{p.Price: true}
	}

	var failMu sync.Mutex
	fivexx := map[string]int{}
	check := func(what string, got reply) {
		if got.status >= 500 || got.status == 0 {
			failMu.Lock()
			if fivexx[what] == 0 {
				t.Errorf("%s = %d %s", what, got.status, got.rawBody)
			}
			fivexx[what]++
			failMu.Unlock()
		}
	}

	var changed, quotes atomic.Int64
	start := time.Now()
	ordersDone := make(chan struct{})
	var background sync.WaitGroup
	// One price changer per company, with the company's own token.
	for company := int64(1); company <= 3; company++ {
		token, err := keyring.Mint(company, auth.DefaultScopes, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		background.Add(1)
		go func() {
			defer background.Done()
			versions := map[int64]int64{}
			for i := 0; i < priceChanges && ctx.Err() == nil; i++ {
				id := 8*(company-1) + 1 + int64(i%8)
				if versions[id] == 0 {
					versions[id] = 1
				}
				price := fmt.Sprintf("%d.%02d", 1+rand.IntN(20), rand.IntN(100))
				// Recorded before the change can be seen, so that an order
				// priced by it finds it in the set.
				pricesMu.Lock()
				prices[id][price] = true
				pricesMu.Unlock()
				got, _ := r.do(t, call{method: "PUT", path: "/api/products/" + strconv.FormatInt(id, 10), token: token,
					body: `{"name":"Product ` + strconv.FormatInt(id, 10) + `","price":"` + price + `","version":` + strconv.FormatInt(versions[id], 10) + `}`})
				check("PUT /api/products/{id}", got)
				if got.status == http.StatusOK {
					changed.Add(1)
					versions[id] = int64(got.body["version"].(float64))
				}
			}
		}()
	}
	// Two shoppers asking for quotes until the orders are in.
	for range 2 {
		background.Add(1)
		go func() {
			defer background.Done()
			for i := 0; ctx.Err() == nil; i++ {
				select {
				case <-ordersDone:
					return
				default:
				}
				got, _ := r.do(t, call{method: "POST", path: "/api/orders/quote",
					body: fmt.Sprintf(`{"items":[{"productId":%d,"quantity":2},{"productId":%d,"quantity":1}]}`, 1+i%products, 1+(i+7)%products)})
				check("POST /api/orders/quote", got)
				quotes.Add(1)
				// A shopper's pace, so that the quotes share the
				// machine with the orders rather than crowd them out.
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	// The orders: each sent copies times at once with one key.
	type placed struct {
		ids      map[string]int
		replayed int
	}
	results := make([]placed, orders)
	next := make(chan int)
	var workers sync.WaitGroup
	for range orderWorkers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range next {
				body := fmt.Sprintf(`{"items":[{"productId":%d,"quantity":%d},{"productId":%d,"quantity":1}],
				  "customer":{"name":"Load %d","phone":"+351912345678","address":"Rua Augusta %d, Lisboa"}}`,
					1+i%products, 1+i%3, 1+(i*7+3)%products, i, i)
				key := newKey("load-" + strconv.Itoa(i))
				var mu sync.Mutex
				res := placed{ids: map[string]int{}}
				var same sync.WaitGroup
				ready := make(chan struct{}) // the copies leave together
				for range copies {
					same.Add(1)
					go func() {
						defer same.Done()
						<-ready
						got, _ := r.do(t, call{method: "POST", path: "/api/orders", body: body, headers: map[string]string{"Idempotency-Key": key}})
						check("POST /api/orders", got)
						mu.Lock()
						defer mu.Unlock()
						if got.status == http.StatusCreated {
							res.ids[got.body["orderId"].(string)]++
							if got.header.Get("Idempotent-Replayed") == "true" {
								res.replayed++
							}
						} else if got.status < 500 {
							t.Errorf("order %d: POST /api/orders = %d %s", i, got.status, got.rawBody)
						}
					}()
				}
				close(ready)
				same.Wait()
				results[i] = res
			}
		}()
	}
	for i := range orders {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	workers.Wait()
	close(ordersDone)
	background.Wait()
	m.Wait() // every in-process hand-off, and its SMS, has finished
	t.Logf("%d orders × %d sends, %d price changes, %d quotes: %v", orders, copies, changed.Load(), quotes.Load(), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("the load did not finish before its deadline")
	}
	if changed.Load() != 3*priceChanges {
		t.Errorf("%d price changes went through, want all %d", changed.Load(), 3*priceChanges)
	}

	for i, res := range results {
		if len(res.ids) != 1 || res.replayed != copies-1 {
			t.Errorf("order %d: answered with orders %v, %d replayed; want one order, %d replays", i, res.ids, res.replayed, copies-1)
		}
	}
	if n := countOrders(t, db); n != orders {
		t.Errorf("%d orders stored, want %d", n, orders)
	}
	sms := map[string]int{}
	for _, msg := range m.Outbox.Messages() {
		if msg.TopicARN != "" {
			sms[msg.OrderID]++
		}
	}
	if len(sms) != orders {
		t.Errorf("carrier SMS for %d orders, want %d", len(sms), orders)
	}
	for id, n := range sms {
		if n != 1 {
			t.Errorf("order %s: %d carrier SMS, want 1", id, n)
		}
	}
	checkWholeOrders(t, db)
	var badLines int
	if err := db.GetContext(ctx, &badLines, `SELECT COUNT(*) FROM order_items WHERE line_total <> unit_price * quantity`); err != nil {
		t.Fatal(err)
	}
	if badLines != 0 {
		t.Errorf("%d lines whose total is not unit price × quantity", badLines)
	}
	var lines []struct {
		ProductID int64  `db:"product_id"`
		UnitPrice string `db:"unit_price"`
	}
	if err := db.SelectContext(ctx, &lines, `SELECT product_id, unit_price FROM order_items`); err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !prices[l.ProductID][l.UnitPrice] {
			t.Errorf("a line of product %d at %s, a price it never had", l.ProductID, l.UnitPrice)
		}
	}
}

// tWriter writes log lines into the test's output.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
