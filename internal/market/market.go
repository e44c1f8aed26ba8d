// Package market holds the marketplace's domain: products, companies, quotes
// and the rules for money and for what a valid request is. It knows nothing
// of AWS, HTTP or SQL; the adapters around it (internal/apigw,
// internal/mysql) translate to and from it.
package market
