package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/admin"
	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/market"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// suspendCarrier suspends or resumes a carrier of db: suspended, it gets no
// order SMS, cannot sign in, its tokens are refused and the orders it had
// accepted go back to the others.
func suspendCarrier(ctx context.Context, stdout io.Writer, db *sqlx.DB, id int64, suspended bool) error {
	if id < 1 {
		return cli.Usagef("carrier: needs -id, a carrier's id (carrier list shows them)\n%s", carrierUsage)
	}
	c, handover, err := admin.SetCarrierSuspended(ctx, mysql.NewAccessStore(db), mysql.NewCarrierStore(db),
		market.Fulfilment{Store: mysql.NewFulfilmentStore(db)}, id, suspended, time.Now())
	if err != nil {
		return fmt.Errorf("carrier: %w", err)
	}
	if !suspended {
		_, err = fmt.Fprintf(stdout, "Carrier %d, %s: active again. They sign in anew; tokens from before the suspension stay refused.\n", c.ID, c.Name)
		return err
	}
	fmt.Fprintf(stdout, "Carrier %d, %s: suspended (no order SMS, no sign-in, tokens refused).\n", c.ID, c.Name)
	fmt.Fprintf(stdout, "  %d accepted order(s) released to the other carriers.\n", handover.Released)
	if len(handover.StillHeld) > 0 {
		fmt.Fprintf(stdout, "  Picked up and not delivered, still with them: %s. Settle these with the carrier.\n", strings.Join(handover.StillHeld, ", "))
	}
	return nil
}
