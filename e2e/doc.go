// Package e2e holds the site's end-to-end tests: the storefront, the
// company console and the carrier page in site/ driven in headless
// Chromium (Debian's chromium package, through
// github.com/chromedp/chromedp) against the local runner's stack, the very
// handlers the Lambdas run, on a fresh database of the test's own.
// TestFulfilment walks an order from the shopper through the shops and a
// carrier to its delivery, in three tabs at once.
//
// The tests skip, with a message, where no Chromium is installed. Set
// DELIVERY_SCREENSHOTS to a folder to keep the phone and desktop
// screenshots; otherwise they go to a temporary folder that the test logs.
package e2e
