// Command migrate is the Lambda setup.sh invokes to apply the embedded
// goose migrations inside the VPC, and to create a first company. Its logic
// lives in internal/app (migrate.go) and migrations/.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/deliverymarket/delivery/internal/app"
)

func main() {
	deps, err := app.FromEnv(context.Background())
	if err != nil {
		slog.Error("migrate: configure", "error", err)
		os.Exit(1)
	}
	lambda.Start(app.Migrate(deps))
}
