package apigw_test

import (
	"net/http"
	"testing"

	"github.com/deliverymarket/delivery/internal/apigw"
	"github.com/deliverymarket/delivery/internal/market"
)

func TestThrottledAnswersRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"with the seconds", &market.Error{Code: market.CodeThrottled, Message: "slow down", Details: market.RetryAfter{Seconds: 720}}, "720"},
		{"without", market.Errorf(market.CodeThrottled, "slow down"), "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := apigw.ErrorResponse(tt.err)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] != tt.want {
				t.Errorf("ErrorResponse = %d, Retry-After %q; want 429, %s", resp.StatusCode, resp.Headers["Retry-After"], tt.want)
			}
			if e := errorOf(t, resp); e.Code != market.CodeThrottled {
				t.Errorf("code = %s, want throttled", e.Code)
			}
		})
	}
}
