package faultproxy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/faultproxy"
)

// echoServer answers every byte it reads with the same byte and records
// what it received.
type echoServer struct {
	net.Listener
	mu       sync.Mutex
	received bytes.Buffer
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{Listener: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					e.mu.Lock()
					e.received.Write(buf[:n])
					e.mu.Unlock()
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return e
}

func (e *echoServer) got() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return bytes.Clone(e.received.Bytes())
}

func startProxy(t *testing.T, upstream string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads as many bytes back within d.
func roundTrip(c net.Conn, msg []byte, d time.Duration) ([]byte, error) {
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(d))
	got := make([]byte, len(msg))
	_, err := io.ReadFull(c, got)
	return got, err
}

// frame is a MySQL packet that is not a command (sequence 1): the proxy
// reads the client's side packet by packet.
func frame(payload string) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 1}, payload...)
}

// query is a MySQL COM_QUERY packet: length, sequence 0, 0x03, the text.
func query(text string) []byte {
	n := 1 + len(text)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0, 0x03}, text...)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestPassForwards(t *testing.T) {
	p := startProxy(t, startEcho(t).Addr().String())
	c := dial(t, p.Addr())
	got, err := roundTrip(c, frame("hello"), time.Second)
	if err != nil || !bytes.Equal(got, frame("hello")) {
		t.Fatalf("round trip = %q, %v; want hello", got, err)
	}
}

func TestRefuseThenRecover(t *testing.T) {
	p := startProxy(t, startEcho(t).Addr().String())
	live := dial(t, p.Addr())
	if _, err := roundTrip(live, frame("a"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.SetMode(faultproxy.Refuse); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(live, frame("b"), time.Second); err == nil || isTimeout(err) {
		t.Errorf("live connection while refusing: err = %v, want it cut", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial while refusing: err = %v, want connection refused", err)
	}
	if err := p.SetMode(faultproxy.Pass); err != nil {
		t.Fatal(err)
	}
	if got, err := roundTrip(dial(t, p.Addr()), frame("c"), time.Second); err != nil || !bytes.Equal(got, frame("c")) {
		t.Errorf("after recovery: round trip = %q, %v", got, err)
	}
	if p.Cuts() != 1 {
		t.Errorf("Cuts() = %d, want 1", p.Cuts())
	}
}

func TestBlackholeStallsThenCuts(t *testing.T) {
	p := startProxy(t, startEcho(t).Addr().String())
	live := dial(t, p.Addr())
	if _, err := roundTrip(live, frame("a"), time.Second); err != nil {
		t.Fatal(err)
	}
	p.SetMode(faultproxy.Blackhole)
	if _, err := roundTrip(live, frame("b"), 200*time.Millisecond); !isTimeout(err) {
		t.Errorf("live connection in a black hole: err = %v, want a timeout", err)
	}
	fresh := dial(t, p.Addr()) // accepted, never answered
	if _, err := roundTrip(fresh, frame("c"), 200*time.Millisecond); !isTimeout(err) {
		t.Errorf("new connection in a black hole: err = %v, want a timeout", err)
	}
	p.SetMode(faultproxy.Pass)
	for _, c := range []net.Conn{live, fresh} {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 8)); err == nil || isTimeout(err) {
			t.Errorf("stalled connection after the black hole: err = %v, want it cut", err)
		}
	}
	if got, err := roundTrip(dial(t, p.Addr()), frame("d"), time.Second); err != nil || !bytes.Equal(got, frame("d")) {
		t.Errorf("after the black hole: round trip = %q, %v", got, err)
	}
}

func TestLatency(t *testing.T) {
	p := startProxy(t, startEcho(t).Addr().String())
	p.SetLatency(100 * time.Millisecond)
	c := dial(t, p.Addr())
	start := time.Now()
	if _, err := roundTrip(c, frame("x"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	// One delay on the way there, one on the way back.
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("round trip with 100 ms latency each way took %v", d)
	}
}

func TestCutOnQuery(t *testing.T) {
	tests := []struct {
		name         string
		action       faultproxy.Action
		serverGetsIt bool
	}{
		{"before: the server never sees it", faultproxy.CutBefore, false},
		{"after: the server runs it, its answer is lost", faultproxy.CutAfter, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			echo := startEcho(t)
			p := startProxy(t, echo.Addr().String())
			var mu sync.Mutex
			var seen []string
			p.OnQuery(func(q string) faultproxy.Action {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, q)
				if q == "COMMIT" {
					return tt.action
				}
				return faultproxy.Forward
			})
			c := dial(t, p.Addr())
			if _, err := roundTrip(c, query("SELECT 1"), time.Second); err != nil {
				t.Fatalf("forwarded statement: %v", err)
			}
			// Not a command (sequence 1): never shown to the hook.
			if _, err := roundTrip(c, []byte{1, 0, 0, 1, 0x03}, time.Second); err != nil {
				t.Fatalf("other packet: %v", err)
			}
			if _, err := roundTrip(c, query("COMMIT"), time.Second); err == nil || isTimeout(err) {
				t.Errorf("cut statement: err = %v, want the connection cut", err)
			}
			time.Sleep(50 * time.Millisecond)
			if got := bytes.Contains(echo.got(), []byte("COMMIT")); got != tt.serverGetsIt {
				t.Errorf("server received COMMIT = %v, want %v", got, tt.serverGetsIt)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 2 || seen[0] != "SELECT 1" || seen[1] != "COMMIT" {
				t.Errorf("hook saw %q, want [SELECT 1 COMMIT]", seen)
			}
		})
	}
}
