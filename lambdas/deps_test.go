package lambdas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/deliverymarket/delivery"

// Packages a function may link only if it calls what they are for.
var (
	// standIns are the local runner's stand-ins, the test kits and the
	// libraries only they use: no function links any of them.
	standIns = []string{
		module + "/cmd", module + "/internal/localrun", module + "/internal/localgw", module + "/internal/locals3",
		module + "/internal/embeddb", module + "/internal/demo", module + "/internal/lambdatest", module + "/internal/dbtest",
		module + "/internal/faultproxy", module + "/internal/notify/snstest", module + "/internal/notify/pushlocal", module + "/internal/cli",
		"github.com/johannesboyne/gofakes3", "github.com/dolthub/go-mysql-server", "go.etcd.io/bbolt",
		"testing", "net/http/httptest",
	}
	s3Client     = []string{"github.com/aws/aws-sdk-go-v2/service/s3", module + "/internal/s3store"}
	lambdaClient = []string{"github.com/aws/aws-sdk-go-v2/service/lambda", module + "/internal/notify/lambdainvoke"}
	snsClient    = []string{"github.com/aws/aws-sdk-go-v2/service/sns", module + "/internal/notify/snssms"}
	// sqsClient times the waves of offers: placeorder runs them, and
	// fulfilment restarts them when a carrier releases an order.
	sqsClient = []string{"github.com/aws/aws-sdk-go-v2/service/sqs", module + "/internal/notify/sqstimer"}
	// routeClient measures delivery routes: only the functions that quote
	// a delivery (priceorder, placeorder) call Amazon Location.
	routeClient = []string{"github.com/aws/aws-sdk-go-v2/service/location", module + "/internal/awsroute"}
	// pushClient sends Web Push: notifycarrier alone.
	pushClient = []string{"github.com/SherClockHolmes/webpush-go", module + "/internal/notify/webpush"}
	// database is what a function in the VPC reaches its database with.
	// Secrets Manager is not in it: notifycarrier reads its VAPID key
	// there.
	database = []string{
		module + "/internal/awssecrets", module + "/internal/lambdaenv",
		module + "/internal/mysql", "github.com/go-sql-driver/mysql", "github.com/jmoiron/sqlx", module + "/internal/app",
	}
	schema = []string{module + "/internal/admin", module + "/migrations", "github.com/pressly/goose"}
)

// forbidden lists, per function, what it must not link besides the
// stand-ins: the clients of the AWS services it does not call.
var forbidden = map[string][][]string{
	"listproducts":   {s3Client, lambdaClient, snsClient, sqsClient, routeClient, schema, pushClient},
	"priceorder":     {s3Client, lambdaClient, snsClient, sqsClient, schema, pushClient},
	"updateproduct":  {lambdaClient, snsClient, sqsClient, routeClient, schema, pushClient},
	"placeorder":     {s3Client, snsClient, schema, pushClient},
	"notifycarrier":  {s3Client, lambdaClient, sqsClient, routeClient, database, schema},
	"authorizer":     {s3Client, lambdaClient, snsClient, sqsClient, routeClient, schema, pushClient},
	"signin":         {s3Client, lambdaClient, sqsClient, routeClient, schema, pushClient},
	"fulfilment":     {s3Client, lambdaClient, routeClient, schema, pushClient},
	"migrate":        {s3Client, lambdaClient, sqsClient, routeClient, pushClient},
	"imageprocessor": {lambdaClient, snsClient, sqsClient, routeClient, schema, pushClient},
}

// TestFunctionsLinkOnlyWhatTheyUse reads each function's dependencies as
// setup.sh builds it (linux/arm64, no cgo, lambda.norpc) and fails on a
// package it must not link: each binary links and initialises only the
// AWS clients it calls, and never a local stand-in or a test kit.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); e.IsDir() && err == nil && forbidden[e.Name()] == nil {
			t.Errorf("lambdas/%s has no entry in forbidden: add one", e.Name())
		}
	}

	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", "-tags", "lambda.norpc", "./...")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[strings.TrimPrefix(p.ImportPath, module+"/lambdas/")] = p.Deps
	}
	for function, groups := range forbidden {
		t.Run(function, func(t *testing.T) {
			linked, ok := deps[function]
			if !ok {
				t.Fatalf("go list knows no lambdas/%s", function)
			}
			for _, group := range append(groups, standIns) {
				for _, banned := range group {
					for _, p := range linked {
						if p == banned || strings.HasPrefix(p, banned+"/") {
							t.Errorf("lambdas/%s links %s", function, p)
						}
					}
				}
			}
		})
	}
}
