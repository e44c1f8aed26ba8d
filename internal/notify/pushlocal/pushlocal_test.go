package pushlocal_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/notify/pushlocal"
)

// The stand-in answers as a push service: a push without VAPID is
// refused, one not aes128gcm is malformed; and GET /_local/push lists
// every push by host, never by endpoint.
func TestService(t *testing.T) {
	svc := pushlocal.New()
	client := svc.Client()
	post := func(headers map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "https://updates.push.services.mozilla.com/wpush/v2/secret-token", strings.NewReader("body"))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	signed := map[string]string{"Content-Encoding": "aes128gcm", "TTL": "120", "Authorization": "vapid t=a.b.c, k=BKey"}
	unsigned := map[string]string{"Content-Encoding": "aes128gcm", "TTL": "120"}
	plain := map[string]string{"TTL": "120", "Authorization": "vapid t=a.b.c, k=BKey"}
	for _, tt := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"signed", signed, http.StatusCreated},
		{"unsigned", unsigned, http.StatusForbidden},
		{"not encrypted", plain, http.StatusBadRequest},
	} {
		if got := post(tt.headers); got != tt.want {
			t.Errorf("%s push = %d, want %d", tt.name, got, tt.want)
		}
	}

	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_local/push", nil))
	var list struct {
		Pushes []map[string]any `json:"pushes"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Pushes) != 3 {
		t.Fatalf("GET /_local/push = %s (%v), want 3 pushes", rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "secret-token") || list.Pushes[0]["host"] != "updates.push.services.mozilla.com" {
		t.Errorf("GET /_local/push = %s, want hosts and no endpoint", rec.Body)
	}
	if len(svc.Bodies("https://updates.push.services.mozilla.com/wpush/v2/secret-token")) != 1 {
		t.Errorf("Bodies = %d, want the one accepted push", len(svc.Bodies("https://updates.push.services.mozilla.com/wpush/v2/secret-token")))
	}
	rec = httptest.NewRecorder()
	svc.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_local/push", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /_local/push = %d, want 405", rec.Code)
	}
}
