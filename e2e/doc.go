// Package e2e holds the storefront's end-to-end tests: the pages in site/
// driven in headless Chromium (Debian's chromium package, through
// github.com/chromedp/chromedp) against the local runner's stack, the very
// handlers the Lambdas run, on a fresh database of the test's own.
//
// The tests skip, with a message, where no Chromium is installed. Set
// DELIVERY_SCREENSHOTS to a folder to keep the phone and desktop
// screenshots; otherwise they go to a temporary folder that the test logs.
package e2e
