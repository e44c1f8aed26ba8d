package main

import (
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/lambdatest"
)

// The tool's own logic only; running it needs MariaDB and builds.

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"odd", []time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		{"even", []time.Duration{4 * ms, 1 * ms, 2 * ms, 100 * ms}, 3 * ms},
		{"one", []time.Duration{7 * ms}, 7 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name, function, payload string
		isError                 bool
		want                    string
		wantBad                 bool
	}{
		{"API 200", "listproducts", `{"statusCode":200,"body":"{}"}`, false, "200", false},
		{"API 401 is an answer", "signin", `{"statusCode":401}`, false, "401", false},
		{"API 503 is broken", "listproducts", `{"statusCode":503}`, false, "503", true},
		{"function error", "migrate", `{"errorMessage":"x"}`, true, "function error ", true},
		{"authorizer policy", "authorizer", `{"principalId":"company:1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow"}]}}`, false, "Allow", false},
		{"other payload", "migrate", `{"version":8}`, false, "ok", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := describe(tt.function, lambdatest.Result{Payload: []byte(tt.payload), Error: tt.isError})
			if got != tt.want || bad != tt.wantBad {
				t.Errorf("describe = %q, %v; want %q, %v", got, bad, tt.want, tt.wantBad)
			}
		})
	}
}

func TestEveryFunctionHasAnEvent(t *testing.T) {
	t.Chdir("../..")
	if err := checkFunctionList(); err != nil {
		t.Error(err)
	}
}
