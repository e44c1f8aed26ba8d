package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/mysql"
	"github.com/deliverymarket/delivery/internal/s3store"
)

// DefaultCurrency is the marketplace currency unless CURRENCY says otherwise.
const DefaultCurrency = "USD"

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// APIEnv is the configuration every API function reads, on AWS and locally.
type APIEnv struct {
	Currency       string   // CURRENCY, default USD
	AllowedOrigins []string // CORS_ALLOWED_ORIGINS, comma-separated
	LogLevel       slog.Level
}

// ReadAPIEnv reads and validates the API configuration through getenv.
func ReadAPIEnv(getenv func(string) string) (APIEnv, error) {
	e := APIEnv{
		Currency:       orDefault(getenv("CURRENCY"), DefaultCurrency),
		AllowedOrigins: splitList(getenv("CORS_ALLOWED_ORIGINS")),
	}
	if !currencyCode.MatchString(e.Currency) {
		return APIEnv{}, fmt.Errorf("config: CURRENCY %q is not an ISO 4217 code", e.Currency)
	}
	if err := e.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "INFO"))); err != nil {
		return APIEnv{}, fmt.Errorf("config: LOG_LEVEL: %w", err)
	}
	return e, nil
}

// Env is the configuration a database Lambda reads from its environment.
type Env struct {
	APIEnv
	DBHost      string // DB_HOST
	DBPort      string // DB_PORT, default 3306
	DBName      string // DB_NAME
	DBSecretARN string // DB_SECRET_ARN: RDS-managed {"username","password"}
	DBTLSCAFile string // DB_TLS_CA_FILE: RDS CA bundle; TLS when set
	// The company-token public key (the authorizer's):
	// JWT_PUBLIC_KEY_SECRET_ARN names a Secrets Manager secret whose
	// string is the ES256 public key in PEM. The private key lives in
	// another secret the authorizer cannot read.
	JWTPublicKeySecretARN string // JWT_PUBLIC_KEY_SECRET_ARN
	JWTIssuer             string // JWT_ISSUER
	JWTAudience           string // JWT_AUDIENCE
	// The photo buckets (issue 12): updateproduct presigns uploads into
	// UPLOADS_BUCKET; imageprocessor reads them there and writes the
	// processed photos to IMAGES_BUCKET.
	UploadsBucket string // UPLOADS_BUCKET
	ImagesBucket  string // IMAGES_BUCKET
}

// ReadEnv reads and validates the environment through getenv.
func ReadEnv(getenv func(string) string) (Env, error) {
	apiEnv, err := ReadAPIEnv(getenv)
	if err != nil {
		return Env{}, err
	}
	e := Env{
		APIEnv:      apiEnv,
		DBHost:      getenv("DB_HOST"),
		DBPort:      orDefault(getenv("DB_PORT"), "3306"),
		DBName:      getenv("DB_NAME"),
		DBSecretARN: getenv("DB_SECRET_ARN"),
		DBTLSCAFile: getenv("DB_TLS_CA_FILE"),

		JWTPublicKeySecretARN: getenv("JWT_PUBLIC_KEY_SECRET_ARN"),
		JWTIssuer:             getenv("JWT_ISSUER"),
		JWTAudience:           getenv("JWT_AUDIENCE"),

		UploadsBucket: strings.TrimSpace(getenv("UPLOADS_BUCKET")),
		ImagesBucket:  strings.TrimSpace(getenv("IMAGES_BUCKET")),
	}
	var missing []string
	for name, v := range map[string]string{"DB_HOST": e.DBHost, "DB_NAME": e.DBName, "DB_SECRET_ARN": e.DBSecretARN} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if port, err := strconv.Atoi(e.DBPort); err != nil || port < 1 || port > 65535 {
		return Env{}, fmt.Errorf("config: DB_PORT %q is not a port number", e.DBPort)
	}
	if e.JWTPublicKeySecretARN != "" && (e.JWTIssuer == "" || e.JWTAudience == "") {
		missing = append(missing, "JWT_ISSUER and JWT_AUDIENCE (with JWT_PUBLIC_KEY_SECRET_ARN)")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return Env{}, fmt.Errorf("config: missing %s", strings.Join(missing, ", "))
	}
	for _, b := range []struct{ setting, name string }{{"UPLOADS_BUCKET", e.UploadsBucket}, {"IMAGES_BUCKET", e.ImagesBucket}} {
		if b.name == "" {
			continue
		}
		if err := s3store.CheckBucketName(b.name); err != nil {
			return Env{}, fmt.Errorf("config: %s: %w", b.setting, err)
		}
	}
	return e, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Logger returns the JSON logger every Lambda writes with.
func Logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// FromEnv builds the dependencies of a database Lambda from its
// environment: the credentials come from Secrets Manager (fetched on first
// connection and cached), the pool is sized for one container.
func FromEnv(ctx context.Context) (Deps, error) {
	env, err := ReadEnv(os.Getenv)
	if err != nil {
		return Deps{}, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return Deps{}, fmt.Errorf("config: aws: %w", err)
	}
	secrets := NewSecretsClient(awsCfg)
	db, err := mysql.Open(mysql.Settings{
		Addr:        net.JoinHostPort(env.DBHost, env.DBPort),
		Database:    env.DBName,
		Credentials: awssecrets.NewDBCredentials(secrets, env.DBSecretARN),
		TLSCAFile:   env.DBTLSCAFile,
	})
	if err != nil {
		// Only the CA bundle can fail here.
		return Deps{}, fmt.Errorf("config: DB_TLS_CA_FILE: %w", err)
	}
	logger := Logger(env.LogLevel)
	slog.SetDefault(logger)
	deps := Deps{DB: db, Currency: env.Currency, AllowedOrigins: env.AllowedOrigins, Logger: logger}
	if env.JWTPublicKeySecretARN != "" {
		deps.Keyring = PublicKeyring(awssecrets.NewSecret(secrets, env.JWTPublicKeySecretARN), env.JWTIssuer, env.JWTAudience)
	}
	if err := photoDeps(&deps, env, awsCfg); err != nil {
		return Deps{}, err
	}
	return deps, nil
}

// photoDeps gives deps the photo buckets env names: the upload signer
// with UPLOADS_BUCKET, the object store with both buckets.
func photoDeps(deps *Deps, env Env, awsCfg aws.Config) error {
	if env.UploadsBucket == "" {
		return nil
	}
	client := NewS3Client(awsCfg)
	signer, err := s3store.NewSigner(client, env.UploadsBucket)
	if err != nil {
		return fmt.Errorf("config: UPLOADS_BUCKET: %w", err)
	}
	deps.Uploads = signer
	if env.ImagesBucket == "" {
		return nil
	}
	objects, err := s3store.NewObjects(client, env.UploadsBucket, env.ImagesBucket)
	if err != nil {
		return fmt.Errorf("config: UPLOADS_BUCKET, IMAGES_BUCKET: %w", err)
	}
	deps.Objects = objects
	return nil
}

// The S3 client's bounds. Signing an upload calls nothing; the image
// processor's calls (reading an upload of at most 5 MB, writing two photos
// of tens of KB, deleting the upload) take tens of milliseconds in the
// region through the VPC's gateway endpoint. An attempt that hangs is cut
// at 10 s and tried once more, so that a stuck call ends the invocation in
// error, which S3's asynchronous invocation retries, rather than holding
// it to the function's 30 s timeout with nothing learned.
const (
	s3AttemptTimeout = 10 * time.Second
	s3MaxAttempts    = 2
	s3MaxBackoff     = 250 * time.Millisecond
)

// NewS3Client returns the S3 client of the functions, with the bounds
// above. When AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) points it at a
// stand-in, it addresses buckets by path, as stand-ins serve them; on AWS
// it uses the virtual-hosted addresses S3 prefers.
func NewS3Client(awsCfg aws.Config) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = s3MaxAttempts
			so.MaxBackoff = s3MaxBackoff
		})
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(s3AttemptTimeout)
		o.UsePathStyle = o.BaseEndpoint != nil
	})
}

// The Secrets Manager client's bounds. Its secrets are fetched on a
// request's path (the first connection of a cold start, the first token
// check or sign-in), and Secrets Manager answers in milliseconds: when it
// does not, the request must still answer a 503 in a few seconds rather than
// wait out the SDK's defaults (three attempts, backoffs of up to 20 s, and
// no limit on an attempt that hangs) into the Lambda and API Gateway
// timeouts. Worst case: two attempts and one backoff, under 4 s.
const (
	secretsAttemptTimeout = 1500 * time.Millisecond
	secretsMaxAttempts    = 2
	secretsMaxBackoff     = 250 * time.Millisecond
)

// NewSecretsClient returns the Secrets Manager client of the functions,
// with the bounds above.
func NewSecretsClient(awsCfg aws.Config) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = secretsMaxAttempts
			so.MaxBackoff = secretsMaxBackoff
		})
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(secretsAttemptTimeout)
	})
}

// PublicKeyring returns the verify-only keyring whose public key is the
// PEM string of a Secrets Manager secret, fetched on first use and cached
// for the container's life (after a key rotation, setup.sh updates the
// authorizer's configuration, which starts fresh containers).
func PublicKeyring(secret *awssecrets.Secret, issuer, audience string) func(context.Context) (auth.Keyring, error) {
	return func(ctx context.Context) (auth.Keyring, error) {
		pem, err := secret.Value(ctx)
		if err != nil {
			return auth.Keyring{}, err
		}
		public, err := auth.ParsePublicKey([]byte(pem))
		if err != nil {
			return auth.Keyring{}, err
		}
		return auth.Keyring{Public: public, Issuer: issuer, Audience: audience}, nil
	}
}

// SigningKeyring returns the keyring that mints with the private key held
// as PEM in a Secrets Manager secret (what `setup.sh token` uses).
func SigningKeyring(ctx context.Context, secret *awssecrets.Secret, issuer, audience string) (auth.Keyring, error) {
	pem, err := secret.Value(ctx)
	if err != nil {
		return auth.Keyring{}, err
	}
	private, err := auth.ParsePrivateKey([]byte(pem))
	if err != nil {
		return auth.Keyring{}, err
	}
	return auth.Keyring{Private: private, Public: &private.PublicKey, Issuer: issuer, Audience: audience}, nil
}

// ReadNotifyFunction reads NOTIFY_FUNCTION_NAME, the name or ARN of the
// notifycarrier function that placeorder hands orders to.
func ReadNotifyFunction(getenv func(string) string) (string, error) {
	name := strings.TrimSpace(getenv("NOTIFY_FUNCTION_NAME"))
	if name == "" {
		return "", errors.New("config: missing NOTIFY_FUNCTION_NAME")
	}
	return name, nil
}

// ReadSMSTopic reads SMS_TOPIC_ARN, the carriers' SNS topic that
// notifycarrier publishes to.
func ReadSMSTopic(getenv func(string) string) (string, error) {
	arn := strings.TrimSpace(getenv("SMS_TOPIC_ARN"))
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":sns:") {
		return "", fmt.Errorf("config: SMS_TOPIC_ARN %q is not an SNS topic ARN", arn)
	}
	return arn, nil
}
