package main

import (
	"context"
	"io"

	"github.com/deliverymarket/delivery/internal/awssecrets"
)

// vapidKeyCommand makes sure a deployment has its Web Push (VAPID) key
// pair:
//
//	go run ./cmd/deployment vapid-key -private-secret ARN -public-secret ARN [-rotate]
//
// setup.sh runs it after Terraform created the two empty secrets. The
// first run generates a P-256 pair and stores the private key in one
// secret (read by notifycarrier, which signs each push with it) and the
// public key in the other (read by the fulfilment function, which hands
// it to the carrier page to subscribe with); later runs change nothing
// unless -rotate is given. It prints what it did on stdout.
func vapidKeyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return keyPairCommand{
		name:       "vapid-key",
		rotateHelp: "replace an existing key pair; every phone's push subscription stops working until the carrier subscribes again",
		ensure:     awssecrets.EnsureVAPIDKeys,
		created:    "created a new VAPID key pair; after a rotation, restart notifycarrier and fulfilment (setup.sh does) and carriers subscribe again",
		exists:     "the VAPID key pair exists; nothing changed",
	}.run(ctx, args, stdout, stderr)
}
