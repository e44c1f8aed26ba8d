package awssecrets_test

import (
	"context"
	"testing"

	"github.com/deliverymarket/delivery/internal/awssecrets"
	"github.com/deliverymarket/delivery/internal/notify/webpush"
)

const (
	vapidPrivate = "arn:aws:secretsmanager:us-east-1:123456789012:secret:delivery-prod-vapid-private-key-AbCdEf"
	vapidPublic  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:delivery-prod-vapid-public-key-GhIjKl"
)

// The VAPID pair is made once, repaired from the private key, replaced
// only on rotate, and in the form the push sender signs with.
func TestEnsureVAPIDKeys(t *testing.T) {
	store := &secretStore{values: map[string]string{}}
	client := storeClient(t, store)
	ctx := context.Background()

	created, err := awssecrets.EnsureVAPIDKeys(ctx, client, vapidPrivate, vapidPublic, false)
	if err != nil || !created {
		t.Fatalf("EnsureVAPIDKeys on empty secrets = %v, %v; want a new pair", created, err)
	}
	private := store.value(vapidPrivate)
	public, err := webpush.PublicKey(private)
	if err != nil || store.value(vapidPublic) != public || len(public) != 87 {
		t.Fatalf("public secret %q, want %q, the private key's (%v)", store.value(vapidPublic), public, err)
	}
	if _, err := webpush.NewSender(private, "mailto:ops@shop.example", nil); err != nil {
		t.Errorf("the push sender refuses the private key: %v", err)
	}

	t.Run("a second run changes nothing", func(t *testing.T) {
		created, err := awssecrets.EnsureVAPIDKeys(ctx, client, vapidPrivate, vapidPublic, false)
		if err != nil || created || store.value(vapidPrivate) != private {
			t.Errorf("EnsureVAPIDKeys again = %v, %v; want no change", created, err)
		}
	})
	t.Run("a lost public key is restored from the private key", func(t *testing.T) {
		store.mu.Lock()
		store.values[vapidPublic] = "stale"
		store.mu.Unlock()
		if _, err := awssecrets.EnsureVAPIDKeys(ctx, client, vapidPrivate, vapidPublic, false); err != nil {
			t.Fatal(err)
		}
		if store.value(vapidPublic) != public {
			t.Errorf("public key after repair = %q, want %q", store.value(vapidPublic), public)
		}
	})
	t.Run("rotate makes a new pair", func(t *testing.T) {
		created, err := awssecrets.EnsureVAPIDKeys(ctx, client, vapidPrivate, vapidPublic, true)
		if err != nil || !created || store.value(vapidPrivate) == private || store.value(vapidPublic) == public {
			t.Errorf("EnsureVAPIDKeys(rotate) = %v, %v; want a new pair", created, err)
		}
	})
	t.Run("a private secret that is not a key is an error", func(t *testing.T) {
		store.mu.Lock()
		store.values[vapidPrivate] = "-----BEGIN EC PRIVATE KEY-----"
		store.mu.Unlock()
		if _, err := awssecrets.EnsureVAPIDKeys(ctx, client, vapidPrivate, vapidPublic, false); err == nil {
			t.Error("EnsureVAPIDKeys over a broken private secret = nil; want an error")
		}
	})
}
