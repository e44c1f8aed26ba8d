// Package site embeds the static storefront so that the local runner serves
// it from any working directory. In AWS the same files are uploaded to S3
// (without this Go file) and served by CloudFront.
package site

import "embed"

// Files are the storefront's files.
//
//go:embed *.html *.js *.css
var Files embed.FS
