package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/deliverymarket/delivery/internal/mysql"
)

// Privilege is a table privilege a function's MySQL user may hold.
type Privilege string

// The only privileges a function user is ever granted: the functions read
// and write rows, and never change the schema (migrate does, as the master
// user).
const (
	Select Privilege = "SELECT"
	Insert Privilege = "INSERT"
	Update Privilege = "UPDATE"
	Delete Privilege = "DELETE"
)

var (
	read      = []Privilege{Select}
	readWrite = []Privilege{Select, Insert, Update, Delete}
)

// FunctionGrants is, for each function that connects to MySQL, the tables
// it reads or writes and how: the one place that says what a function's
// database user may do. Every statement a function runs needs its line
// here (a SELECT ... FOR UPDATE needs UPDATE besides SELECT), and a new
// table needs a line for each function that touches it, or that function
// is refused with error 1142 on AWS (TestFunctionUsersRunTheirFlows runs
// each function's handlers as its own user, so a missing grant fails it).
// A table listed here but not created yet is skipped until a migration
// creates it. The function names are those of lambdas/ and the backend's
// DB_USERS. migrate has no line: it signs in as the master user, and is
// the only one that writes the delivery area (delivery_areas).
var FunctionGrants = map[string]map[string][]Privilege{
	// The public catalog and the delivery area: reads only. The
	// companies' rows also say where and when each shop works.
	"listproducts": {
		"products":       read,
		"companies":      read,
		"product_words":  read,
		"delivery_areas": read,
	},
	// Quotes price a cart from the catalog, check its shops' hours and the
	// delivery area, and write nothing.
	"priceorder": {
		"products":       read,
		"companies":      read,
		"delivery_areas": read,
	},
	// A company's products: the product, its search words, the company's
	// count of active products (its row is locked while it moves).
	"updateproduct": {
		"products":      {Select, Insert, Update},
		"product_words": {Select, Insert, Delete},
		"companies":     {Select, Update},
	},
	// Checkout (the shops' hours and the delivery area are checked before
	// the order's transaction), the shopper's view and cancel, the
	// notification sweep and the re-offers; the limits on placing orders.
	"placeorder": {
		"orders":            {Select, Insert, Update},
		"order_items":       {Select, Insert},
		"order_parts":       {Select, Insert, Update},
		"order_history":     {Select, Insert},
		"order_idempotency": {Select, Insert, Delete},
		"order_phone_locks": {Select, Insert, Update},
		"products":          read,
		"companies":         read,
		"carriers":          read,
		"rate_limits":       readWrite,
		"delivery_areas":    read,
		// Dispatch reads the on-shift carriers nearest a pickup and
		// whether push reaches them, and forgets a subscription the push
		// service said is gone; the sweep forgets ended shifts.
		"carrier_shifts":             {Select, Delete},
		"carrier_push_subscriptions": {Select, Delete},
		// Each order's offers: its broadcast as it is placed, each wave's
		// offers and what became of them.
		"order_offers": {Select, Insert, Update},
	},
	// Carriers' and companies' order routes, the company profile (its
	// location, hours, preparation time and pause are columns of the
	// company's row); the limits on claims and releases (the carrier's row
	// is locked while it claims, and counts its releases).
	"fulfilment": {
		"orders":        {Select, Update},
		"order_items":   read,
		"order_parts":   {Select, Update},
		"order_history": {Select, Insert},
		"companies":     {Select, Update},
		"carriers":      {Select, Update},
		"rate_limits":   readWrite,
		// The carriers' shifts and positions, and their phones' push
		// subscriptions.
		"carrier_shifts":             readWrite,
		"carrier_push_subscriptions": readWrite,
		// Who was offered an order may see and claim it; a claim is
		// recorded on the claimer's offer.
		"order_offers": {Select, Update},
	},
	// Sign-in codes and the limits on asking for and checking them;
	// sign-out and the phone change move a principal's tokens_valid_from,
	// and the phone change sets the company's phone.
	"signin": {
		"sign_in_codes": readWrite,
		"companies":     {Select, Update},
		"carriers":      {Select, Update},
		"rate_limits":   readWrite,
	},
	// Checks that a token's company or carrier still exists and may act.
	"authorizer": {
		"companies": read,
		"carriers":  read,
	},
	// Sets a product's photo once it is processed, with its company's row
	// locked as every product write does (MySQL 8 wants UPDATE besides
	// SELECT for a SELECT ... FOR UPDATE; no statement updates companies).
	"imageprocessor": {
		"products":  {Select, Update},
		"companies": {Select, Update},
	},
}

// userName is what a MySQL account name may be here: short, and safe in
// an error message or a log line.
var userName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ParseUsers reads DB_USERS: a JSON object from each function name to the
// ARN of the secret that holds its user's {"username","password"}. Every
// name must be a function of FunctionGrants.
func ParseUsers(s string) (map[string]string, error) {
	var users map[string]string
	if err := json.Unmarshal([]byte(s), &users); err != nil {
		return nil, fmt.Errorf("config: DB_USERS is not a JSON object of function names to secret ARNs: %w", err)
	}
	for fn, arn := range users {
		if _, ok := FunctionGrants[fn]; !ok {
			return nil, fmt.Errorf("config: DB_USERS names %q, which has no grants in admin.FunctionGrants", fn)
		}
		if strings.TrimSpace(arn) == "" {
			return nil, fmt.Errorf("config: DB_USERS gives %q no secret", fn)
		}
	}
	return users, nil
}

// UsersFromEnv reads DB_USERS through getenv and returns each function's
// credentials, read from its secret by secret (on first use). Without
// DB_USERS there are none: a stack where every function signs in as one
// user (the Lambda smoke tests'); the backend always sets it, and its
// Terraform test checks that it does.
func UsersFromEnv(getenv func(string) string, secret func(arn string) mysql.CredentialSource) (map[string]mysql.CredentialSource, error) {
	raw := getenv("DB_USERS")
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	arns, err := ParseUsers(raw)
	if err != nil {
		return nil, err
	}
	users := make(map[string]mysql.CredentialSource, len(arns))
	for fn, arn := range arns {
		users[fn] = secret(arn)
	}
	return users, nil
}

// UserReport says which function users migrate created or updated, by
// function; it never holds a password.
type UserReport struct {
	Users map[string]string `json:"users"` // function -> MySQL user
}

// EnsureUsers creates each function's MySQL user, or sets its password to
// the one in its secret, and makes its table privileges exactly those of
// FunctionGrants on the database db is connected to: what the table
// grants and is missing is granted, what the user holds and the table no
// longer grants is revoked. It is idempotent, and never logs or returns a
// password. db must be the master user's.
func EnsureUsers(ctx context.Context, db *sqlx.DB, users map[string]mysql.CredentialSource) (UserReport, error) {
	report := UserReport{Users: map[string]string{}}
	var database string
	if err := db.GetContext(ctx, &database, `SELECT DATABASE()`); err != nil {
		return report, fmt.Errorf("function users: current database: %w", err)
	}
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, database); err != nil {
		return report, fmt.Errorf("function users: tables: %w", err)
	}
	for _, fn := range slices.Sorted(maps.Keys(users)) {
		grants, ok := FunctionGrants[fn]
		if !ok {
			return report, fmt.Errorf("function users: %q has no grants in admin.FunctionGrants", fn)
		}
		creds, err := users[fn].Credentials(ctx)
		if err != nil {
			return report, fmt.Errorf("function users: %s: credentials: %w", fn, err)
		}
		if !userName.MatchString(creds.Username) {
			return report, fmt.Errorf("function users: %s: its secret's username is not 1 to 32 lowercase letters, digits or underscores", fn)
		}
		if creds.Password == "" {
			return report, fmt.Errorf("function users: %s: its secret has no password", fn)
		}
		if err := ensureUser(ctx, db, creds); err != nil {
			return report, fmt.Errorf("function users: %s (%s): %w", fn, creds.Username, err)
		}
		if err := syncGrants(ctx, db, database, tables, creds.Username, grants); err != nil {
			return report, fmt.Errorf("function users: %s (%s): %w", fn, creds.Username, err)
		}
		report.Users[fn] = creds.Username
	}
	return report, nil
}

// The password is a parameter: the driver escapes it into the statement
// (mysql.Open interpolates), since CREATE USER cannot be prepared. ALTER
// USER runs every time because the stored hash cannot be compared with the
// secret: a password the secret changed reaches MySQL on the next migrate.
const (
	createUser = `CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`
	alterUser  = `ALTER USER ?@'%' IDENTIFIED BY ?`
	heldGrants = `SELECT TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES
WHERE GRANTEE = ? AND TABLE_SCHEMA = ?`
)

func ensureUser(ctx context.Context, db *sqlx.DB, creds mysql.Credentials) error {
	// Errors are wrapped without the statement, whose text would hold the
	// password once interpolated; MySQL's own messages name the account only.
	if _, err := db.ExecContext(ctx, createUser, creds.Username, creds.Password); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	if _, err := db.ExecContext(ctx, alterUser, creds.Username, creds.Password); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

func syncGrants(ctx context.Context, db *sqlx.DB, database string, tables []string, user string, grants map[string][]Privilege) error {
	var held []struct {
		Table     string `db:"TABLE_NAME"`
		Privilege string `db:"PRIVILEGE_TYPE"`
	}
	if err := db.SelectContext(ctx, &held, heldGrants, "'"+user+"'@'%'", database); err != nil {
		return fmt.Errorf("read grants: %w", err)
	}
	account := "'" + user + "'@'%'"
	for _, table := range tables {
		want := grants[table]
		var revoke []string
		for _, h := range held {
			if h.Table == table && !slices.Contains(want, Privilege(h.Privilege)) {
				revoke = append(revoke, h.Privilege)
			}
		}
		on := mysql.QuoteIdent(database) + "." + mysql.QuoteIdent(table)
		if len(revoke) > 0 {
			if _, err := db.ExecContext(ctx, "REVOKE "+strings.Join(revoke, ", ")+" ON "+on+" FROM "+account); err != nil {
				return fmt.Errorf("revoke on %s: %w", table, err)
			}
		}
		if len(want) > 0 {
			privs := make([]string, len(want))
			for i, p := range want {
				privs[i] = string(p)
			}
			if _, err := db.ExecContext(ctx, "GRANT "+strings.Join(privs, ", ")+" ON "+on+" TO "+account); err != nil {
				return fmt.Errorf("grant on %s: %w", table, err)
			}
		}
	}
	return nil
}
