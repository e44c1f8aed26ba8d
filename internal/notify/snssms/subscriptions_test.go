package snssms_test

import (
	"context"
	"slices"
	"testing"

	"github.com/deliverymarket/delivery/internal/notify"
	"github.com/deliverymarket/delivery/internal/notify/snssms"
	"github.com/deliverymarket/delivery/internal/notify/snstest"
)

// TestSyncSubscriptions runs the real SDK against an SNS stand-in that
// pages its list two by two: missing phones are subscribed, stale and
// doubled ones unsubscribed, other protocols and topics left alone, and a
// second run changes nothing.
func TestSyncSubscriptions(t *testing.T) {
	const topic = "arn:aws:sns:eu-west-1:123456789012:delivery-carriers"
	const other = "arn:aws:sns:eu-west-1:123456789012:other"
	srv := snstest.New(t)
	srv.Add(topic, "sms", "+351910000001")
	stale := srv.Add(topic, "sms", "+351919999999")
	email := srv.Add(topic, "email", "ops@example.com")
	doubled := srv.Add(topic, "sms", "+351910000001")
	foreign := srv.Add(other, "sms", "+351918888888")
	active := []string{"+351910000001", "+351910000002", "+351910000003"}

	ctx := context.Background()
	report, err := snssms.SyncSubscriptions(ctx, srv.Client(), topic, active)
	if err != nil {
		t.Fatalf("SyncSubscriptions = %v", err)
	}
	if want := (notify.SyncReport{Active: 3, Subscribed: 2, Unsubscribed: 2}); report != want {
		t.Errorf("SyncSubscriptions = %+v, want %+v", report, want)
	}
	var phones []string
	for _, s := range srv.Subscriptions(topic) {
		if s.ARN == stale.ARN || s.ARN == doubled.ARN {
			t.Errorf("subscription %+v kept, want it gone", s)
		}
		if s.Protocol == "sms" {
			phones = append(phones, s.Endpoint)
		}
	}
	slices.Sort(phones)
	if !slices.Equal(phones, active) {
		t.Errorf("SMS subscriptions = %v, want %v", phones, active)
	}
	if subs := srv.Subscriptions(topic); !slices.Contains(subs, email) {
		t.Errorf("subscriptions = %+v, want the e-mail one kept", subs)
	}
	if subs := srv.Subscriptions(other); len(subs) != 1 || subs[0] != foreign {
		t.Errorf("other topic = %+v, want it untouched", subs)
	}
	lists := 0
	for _, form := range srv.Requests() {
		if form.Get("Action") == "ListSubscriptionsByTopic" {
			lists++
		}
		if form.Get("Action") == "Subscribe" && (form.Get("Protocol") != "sms" || form.Get("TopicArn") != topic || form.Get("ReturnSubscriptionArn") != "true") {
			t.Errorf("Subscribe request = %v, want protocol sms on the topic", form)
		}
	}
	if lists != 2 {
		t.Errorf("ListSubscriptionsByTopic calls = %d, want 2 (4 subscriptions, 2 a page)", lists)
	}

	again, err := snssms.SyncSubscriptions(ctx, srv.Client(), topic, active)
	if want := (notify.SyncReport{Active: 3}); err != nil || again != want {
		t.Errorf("SyncSubscriptions again = %+v, %v, want %+v", again, err, want)
	}
	none, err := snssms.SyncSubscriptions(ctx, srv.Client(), topic, nil)
	if want := (notify.SyncReport{Unsubscribed: 3}); err != nil || none != want {
		t.Errorf("SyncSubscriptions(no carriers) = %+v, %v, want %+v", none, err, want)
	}
}
