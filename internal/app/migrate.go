package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/migrations"
)

// MigrateRequest is the payload setup.sh invokes the migrate Lambda with.
type MigrateRequest struct {
	// Action is "migrate" (apply pending migrations) or "ensure-company"
	// (create the company called Name unless it exists).
	Action string `json:"action"`
	Name   string `json:"name,omitempty"`
}

// MigrateResponse is the migrate Lambda's answer.
type MigrateResponse struct {
	Version   int64 `json:"version,omitempty"`
	CompanyID int64 `json:"companyId,omitempty"`
}

// Migrate is the handler of the migrate Lambda, the only way a deployment
// changes its schema: it runs the same embedded migrations as the local
// runner and the tests. An error fails the invocation, which setup.sh
// treats as a failed deploy.
func Migrate(d Deps) func(context.Context, MigrateRequest) (MigrateResponse, error) {
	return func(ctx context.Context, req MigrateRequest) (MigrateResponse, error) {
		switch req.Action {
		case "migrate":
			version, err := migrations.Up(ctx, d.DB.DB)
			if err != nil {
				return MigrateResponse{}, err
			}
			d.Logger.InfoContext(ctx, "migrated", "version", version)
			return MigrateResponse{Version: version}, nil
		case "ensure-company":
			name := strings.TrimSpace(req.Name)
			if name == "" || utf8.RuneCountInString(name) > 120 {
				return MigrateResponse{}, fmt.Errorf("ensure-company: name must be 1 to 120 characters")
			}
			id, err := mysql.NewCompanyStore(d.DB).Ensure(ctx, name)
			if err != nil {
				return MigrateResponse{}, err
			}
			d.Logger.InfoContext(ctx, "company ensured", "companyId", id, "name", name)
			return MigrateResponse{CompanyID: id}, nil
		}
		return MigrateResponse{}, fmt.Errorf("unknown action %q: want migrate or ensure-company", req.Action)
	}
}
