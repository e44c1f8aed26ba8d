// Package lambdaenv starts a database function on AWS: it reads the
// settings they all share from the environment, loads the AWS
// configuration, and builds the Secrets Manager client, the database pool
// whose credentials come from it and, with JWT_PUBLIC_KEY_SECRET_ARN, the
// authorizer's keyring. It builds no other AWS client: a function that
// calls S3, SNS or Lambda builds that client from Function.AWS in its
// main.go (internal/s3store, internal/notify/snssms,
// internal/notify/lambdainvoke), so that each binary links and
// initialises only the clients it calls. The local runner assembles the
// same handlers without it (internal/localrun).
package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/app"
	"github.com/deliverymarket/delivery/internal/auth"
	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/lambdainit"
	"github.com/deliverymarket/delivery/internal/mysql"
)

// Env is the configuration a database function reads from its
// environment.
type Env struct {
	app.APIEnv
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
}

// ReadEnv reads and validates the environment through getenv.
func ReadEnv(getenv func(string) string) (Env, error) {
	apiEnv, err := app.ReadAPIEnv(getenv)
	if err != nil {
		return Env{}, err
	}
	e := Env{
		APIEnv:      apiEnv,
		DBHost:      getenv("DB_HOST"),
		DBPort:      getenv("DB_PORT"),
		DBName:      getenv("DB_NAME"),
		DBSecretARN: getenv("DB_SECRET_ARN"),
		DBTLSCAFile: getenv("DB_TLS_CA_FILE"),

		JWTPublicKeySecretARN: getenv("JWT_PUBLIC_KEY_SECRET_ARN"),
		JWTIssuer:             getenv("JWT_ISSUER"),
		JWTAudience:           getenv("JWT_AUDIENCE"),
	}
	if e.DBPort == "" {
		e.DBPort = "3306"
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
	return e, nil
}

// Function is what a database function starts from.
type Function struct {
	// Deps hold the database, the currency, the allowed origins, the
	// logger and, with JWT_PUBLIC_KEY_SECRET_ARN, the keyring; the
	// function adds the rest.
	Deps app.Deps
	// AWS is the configuration the function's own clients are built from.
	AWS     aws.Config
	secrets *secretsmanager.Client
}

// Load reads the environment and builds what every database function
// needs: the credentials come from Secrets Manager (fetched on first
// connection and cached), the pool is sized for one container. Nothing is
// called: a function starts even while Secrets Manager or the database is
// down, and answers 503 until they are back.
func Load(ctx context.Context) (*Function, error) {
	env, err := ReadEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("config: aws: %w", err)
	}
	secrets := awssecrets.NewClient(awsCfg)
	db, err := mysql.Open(mysql.Settings{
		Addr:        net.JoinHostPort(env.DBHost, env.DBPort),
		Database:    env.DBName,
		Credentials: awssecrets.NewDBCredentials(secrets, env.DBSecretARN),
		TLSCAFile:   env.DBTLSCAFile,
	})
	if err != nil {
		// Only the CA bundle can fail here.
		return nil, fmt.Errorf("config: DB_TLS_CA_FILE: %w", err)
	}
	logger := lambdainit.Logger(env.LogLevel)
	slog.SetDefault(logger)
	f := &Function{
		Deps: app.Deps{DB: db, Currency: env.Currency, AllowedOrigins: env.AllowedOrigins, Logger: logger,
			OriginVerifySHA256: env.OriginVerifySHA256, Limits: env.Limits, Delivery: env.Delivery, Dispatch: env.Dispatch},
		AWS:     awsCfg,
		secrets: secrets,
	}
	if env.JWTPublicKeySecretARN != "" {
		f.Deps.Keyring = awssecrets.PublicKeyring(awssecrets.NewSecret(secrets, env.JWTPublicKeySecretARN), env.JWTIssuer, env.JWTAudience)
	}
	return f, nil
}

// Signer returns what the signin function mints tokens with: the private
// key in the secret JWT_PRIVATE_KEY_SECRET_ARN names (through getenv),
// read on first use and kept for the container's life, with JWT_ISSUER and
// JWT_AUDIENCE.
func (f *Function) Signer(getenv func(string) string) (apigw.Signer, error) {
	signing, err := app.ReadSigningEnv(getenv)
	if err != nil {
		return nil, err
	}
	secret := awssecrets.NewSecret(f.secrets, signing.PrivateKeySecretARN)
	return app.CachedSigner(func(ctx context.Context) (auth.Keyring, error) {
		return awssecrets.SigningKeyring(ctx, secret, signing.Issuer, signing.Audience)
	}), nil
}

// VAPIDPublicKey returns what the push-subscription routes hand the
// carrier page to subscribe with: the VAPID public key in the secret
// VAPID_PUBLIC_KEY_SECRET_ARN names (through getenv), read on first use
// and kept for the container's life (until then, or while the secret is
// still empty, the routes answer 503). nil without the variable: push is
// off.
func (f *Function) VAPIDPublicKey(getenv func(string) string) func(context.Context) (string, error) {
	arn := strings.TrimSpace(getenv("VAPID_PUBLIC_KEY_SECRET_ARN"))
	if arn == "" {
		return nil
	}
	secret := awssecrets.NewSecret(f.secrets, arn)
	return func(ctx context.Context) (string, error) {
		key, err := secret.Value(ctx)
		return strings.TrimSpace(key), err
	}
}
