package lambdatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/demo"
	"github.com/deliverymarket/delivery/internal/locals3"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
	"github.com/deliverymarket/delivery/migrations"
)

// The names a Stack's functions are configured with, as on AWS.
const (
	DBSecretARN   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-lambdatest-AbCdEf"
	PublicKeyARN  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery/jwt-public-key-AbCdEf"
	PrivateKeyARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:delivery/jwt-signing-key-AbCdEf"
	TopicARN      = "arn:aws:sns:eu-west-1:123456789012:delivery-prod-carrier-sms"
	NotifyARN     = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-notifycarrier"
	// WaveQueueURL is the wave timers' queue. No order of this stack has
	// a location, so every order is broadcast when placed and no wave is
	// ever timed: the functions only need the queue to start.
	WaveQueueURL     = "https://sqs.eu-west-1.amazonaws.com/123456789012/delivery-prod-wave-timers"
	SiteURL          = "https://shop.example.com"
	JWTIssuer        = "delivery-lambdatest"
	JWTAudience      = "delivery-api-lambdatest"
	DemoCompanyPhone = "+351210000001" // demo.Companies[0], company 1
	// The photo buckets, as named in
	// lambdas/imageprocessor/testdata/s3-object-created.json.
	UploadsBucket = "delivery-prod-uploads"
	ImagesBucket  = "delivery-prod-images"
)

// Function is one lambdas/* function as terraform/usecases/backend
// deploys it: its memory size and its own environment.
type Function struct {
	Name     string
	MemoryMB int
	env      func(s *Stack) []string
}

// Functions are every function, in an order where each one's event can
// come from those before (notifycarrier's from placeorder's hand-off).
var Functions = []Function{
	{"listproducts", 256, apiEnv},
	{"priceorder", 256, apiEnv},
	{"updateproduct", 256, func(s *Stack) []string { return append(apiEnv(s), "UPLOADS_BUCKET="+UploadsBucket) }},
	// Every cold start places one more order from the same client and
	// phone: the order limits would refuse them past their bounds, which
	// this stack measures nothing of.
	{"placeorder", 256, func(s *Stack) []string {
		return append(apiEnv(s), "NOTIFY_FUNCTION_NAME="+NotifyARN, "DISPATCH_QUEUE_URL="+WaveQueueURL,
			"LIMIT_ORDERS_PER_CLIENT=off", "LIMIT_ORDERS_TOTAL=off", "LIMIT_OPEN_ORDERS_PER_PHONE=0")
	}},
	{"notifycarrier", 128, func(*Stack) []string {
		return []string{"SMS_TOPIC_ARN=" + TopicARN, "SITE_URL=" + SiteURL, "LOG_LEVEL=INFO"}
	}},
	{"authorizer", 256, func(s *Stack) []string {
		return append(dbEnv(s), "JWT_PUBLIC_KEY_SECRET_ARN="+PublicKeyARN, "JWT_ISSUER="+JWTIssuer, "JWT_AUDIENCE="+JWTAudience)
	}},
	{"signin", 256, func(s *Stack) []string {
		// Its cold starts each check a code from the same client, which
		// the per-client bound would refuse past it.
		return append(apiEnv(s), "JWT_PRIVATE_KEY_SECRET_ARN="+PrivateKeyARN, "JWT_ISSUER="+JWTIssuer, "JWT_AUDIENCE="+JWTAudience,
			"LIMIT_SIGNIN_CHECKS_PER_CLIENT=off")
	}},
	{"fulfilment", 256, func(s *Stack) []string { return append(apiEnv(s), "DISPATCH_QUEUE_URL="+WaveQueueURL) }},
	{"migrate", 256, func(s *Stack) []string { return append(dbEnv(s), "SMS_TOPIC_ARN="+TopicARN) }},
	{"imageprocessor", 1536, func(s *Stack) []string {
		return append(dbEnv(s), "UPLOADS_BUCKET="+UploadsBucket, "IMAGES_BUCKET="+ImagesBucket)
	}},
}

// LookupFunction returns the function called name.
func LookupFunction(name string) (Function, bool) {
	i := slices.IndexFunc(Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return Functions[i], true
}

// CheckFunctions makes sure every lambdas/* folder under root is in
// Functions, so that a new function cannot be forgotten by the tools and
// tests that run them all.
func CheckFunctions(root string) error {
	names, err := FunctionNames(root)
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, ok := LookupFunction(name); !ok {
			return fmt.Errorf("lambdas/%s is not in lambdatest.Functions: add its memory size and environment", name)
		}
	}
	return nil
}

func dbEnv(s *Stack) []string {
	return []string{
		"DB_HOST=" + s.DBHost, "DB_PORT=" + s.DBPort, "DB_NAME=" + s.DBName,
		"DB_SECRET_ARN=" + DBSecretARN, "LOG_LEVEL=INFO",
	}
}

func apiEnv(s *Stack) []string {
	return append(dbEnv(s), "CURRENCY=USD", "CORS_ALLOWED_ORIGINS="+SiteURL)
}

// Stack is what the functions run against: a MariaDB database migrated and
// seeded with the demo, a database user of the functions' own whose
// password is in the Secrets Manager stand-in (RDS-managed secrets always
// hold a password, and the functions refuse one without), the signing keys
// there too, and the Lambda, SNS and S3 stand-ins.
type Stack struct {
	AWS *AWS
	SNS *snstest.Server
	// S3 is the S3 stand-in with the photo buckets, served at S3URL; it
	// accepts POST policies signed with the functions' credentials. A
	// Stack without it points the functions at an address where nothing
	// listens.
	S3    *locals3.Server
	S3URL string
	s3srv *httptest.Server

	DBName, DBHost, DBPort string
	// Keyring signs company and carrier tokens the authorizer accepts.
	Keyring auth.Keyring
	// SchemaVersion is the version the embedded migrations reach: what an
	// up-to-date database is at.
	SchemaVersion int64

	adminDSN, user string
}

// NewStack creates (if need be), migrates and seeds the database of dsn,
// whose user may create users and grant, and starts the stand-ins. Close
// stops them and drops the functions' user.
func NewStack(ctx context.Context, dsn string) (*Stack, error) {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.DBName == "" {
		return nil, errors.New("lambdatest: the DSN must name a database")
	}
	host, port, ok := strings.Cut(cfg.Addr, ":")
	if !ok {
		port = "3306"
	}
	if err := mysql.CreateDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	db, err := mysql.OpenDSN(dsn, 2)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	version, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return nil, err
	}
	if _, err := demo.SeedIfEmpty(ctx, db); err != nil {
		return nil, err
	}

	key, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	privatePEM, err := auth.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	publicPEM, err := auth.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}

	// A user per stack, so that stacks on one server (parallel tests, the
	// coldstart tool) never change each other's password.
	user, password := "delivery_fn_"+randomHex(4), randomHex(16)
	for _, h := range []string{"%", "localhost", "127.0.0.1"} {
		account := "'" + user + "'@'" + h + "'"
		for _, stmt := range []string{
			"CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY '" + password + "'",
			"GRANT ALL PRIVILEGES ON " + mysql.QuoteIdent(cfg.DBName) + ".* TO " + account,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return nil, fmt.Errorf("lambdatest: function user: %w", err)
			}
		}
	}
	secret, _ := json.Marshal(map[string]string{"username": user, "password": password})
	s3, err := locals3.New(locals3.Config{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, SessionToken: SessionToken, Region: Region})
	if err != nil {
		return nil, err
	}
	if err := s3.CreateBuckets(UploadsBucket, ImagesBucket); err != nil {
		return nil, err
	}
	s3srv := httptest.NewServer(s3)
	return &Stack{
		AWS: StartAWS(map[string]string{
			DBSecretARN: string(secret), PublicKeyARN: string(publicPEM), PrivateKeyARN: string(privatePEM),
		}),
		SNS:           snstest.Start(),
		S3:            s3,
		S3URL:         s3srv.URL,
		s3srv:         s3srv,
		DBName:        cfg.DBName,
		DBHost:        host,
		DBPort:        port,
		Keyring:       auth.Keyring{Private: key, Public: &key.PublicKey, Issuer: JWTIssuer, Audience: JWTAudience},
		SchemaVersion: version,
		adminDSN:      dsn, user: user,
	}, nil
}

// Env is the environment of the function called name against s: its own
// settings, and the AWS endpoints pointed at the stand-ins through the
// variables the SDK reads.
func (s *Stack) Env(name string) ([]string, error) {
	f, ok := LookupFunction(name)
	if !ok {
		return nil, fmt.Errorf("lambdatest: no function %q", name)
	}
	s3URL := s.S3URL
	if s3URL == "" {
		s3URL = "http://127.0.0.1:1"
	}
	return append([]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + s.AWS.URL,
		"AWS_ENDPOINT_URL_LAMBDA=" + s.AWS.URL,
		"AWS_ENDPOINT_URL_SNS=" + s.SNS.URL,
		"AWS_ENDPOINT_URL_S3=" + s3URL,
	}, f.env(s)...), nil
}

// CompanyToken returns a company token for company id, valid for an hour.
func (s *Stack) CompanyToken(id int64) (string, error) {
	return s.Keyring.Mint(id, []string{"products:read", "products:write"}, time.Hour)
}

// Close stops the stand-ins and drops the functions' user.
func (s *Stack) Close() error {
	s.AWS.Close()
	s.SNS.Close()
	if s.s3srv != nil {
		s.s3srv.Close()
	}
	var errs []error
	for _, h := range []string{"%", "localhost", "127.0.0.1"} {
		errs = append(errs, mysql.ExecOnServer(context.Background(), s.adminDSN, "DROP USER IF EXISTS '"+s.user+"'@'"+h+"'"))
	}
	return errors.Join(errs...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
