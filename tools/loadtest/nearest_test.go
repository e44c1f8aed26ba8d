package main

import (
	"testing"
	"time"
)

func TestNearestLatency(t *testing.T) {
	took := make([]time.Duration, 0, 200)
	for i := 200; i >= 1; i-- {
		took = append(took, time.Duration(i)*time.Millisecond)
	}
	got := nearestLatency(6, took)
	want := nearestReport{N: 6, P50: 101 * time.Millisecond, P99: 199 * time.Millisecond, Max: 200 * time.Millisecond}
	if got != want {
		t.Errorf("nearestLatency = %+v, want %+v", got, want)
	}
}
