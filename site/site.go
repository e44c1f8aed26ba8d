// Package site embeds the static storefront so that the local runner serves
// it from any working directory. In AWS the same files are uploaded to S3
// (without this Go file) and served by CloudFront.
package site

import "embed"

// ContentSecurityPolicy is the policy of every page: everything from the
// site's own origin only (scripts, styles, the API, photos), nothing
// inline. The storefront and the carrier page also carry it in a meta tag;
// the console gets it from the server alone (the local runner here,
// CloudFront on AWS, whose policy also lets it post photos to S3).
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"

// Files are the storefront's files.
//
//go:embed *.html *.js *.css *.svg
var Files embed.FS
