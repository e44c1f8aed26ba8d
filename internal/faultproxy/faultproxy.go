// Package faultproxy is a TCP proxy for tests that breaks the connection
// between a client and a MySQL server on demand: it refuses new
// connections, cuts the live ones, black-holes traffic (accepts, then
// never answers), adds latency, and cuts a connection when a chosen SQL
// statement passes through it. It runs in the test process, so a test
// needs nothing but the server it proxies to.
//
// Statements are recognised on the MySQL wire protocol without TLS: a
// client command is a packet with sequence number 0, and COM_QUERY (0x03)
// carries the statement's text, which the driver's parameter
// interpolation has completed.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is what the proxy does with connections.
type Mode int

const (
	// Pass forwards traffic both ways.
	Pass Mode = iota
	// Refuse stops listening, so that connecting fails with "connection
	// refused", and cuts the live connections: the server is down.
	Refuse
	// Blackhole accepts new connections and forwards nothing on any
	// connection, new or live: the server or the network hangs.
	Blackhole
)

// Action is what OnQuery's hook decides for one statement.
type Action int

const (
	// Forward lets the statement through.
	Forward Action = iota
	// CutBefore cuts the connection instead of forwarding the statement:
	// the server never sees it.
	CutBefore
	// CutAfter forwards the statement and cuts the connection when the
	// server answers, without delivering the answer: the server ran it,
	// the client cannot know whether it did.
	CutAfter
)

const comQuery = 0x03

// Proxy forwards connections from its own loopback address to an
// upstream address, with the faults it is told to inject.
type Proxy struct {
	upstream string
	addr     string

	mu       sync.Mutex
	listener net.Listener // nil while refusing
	mode     Mode
	latency  time.Duration
	onQuery  func(query string) Action
	conns    map[*link]struct{}
	cuts     int
	stalled  chan struct{} // closed when a Blackhole ends
	closed   bool
	wg       sync.WaitGroup
}

// Start listens on a free loopback port and proxies to upstream
// ("host:port") until Close.
func Start(upstream string) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{upstream: upstream, addr: l.Addr().String(), listener: l, conns: map[*link]struct{}{}, stalled: make(chan struct{})}
	p.wg.Add(1)
	go p.accept(l)
	return p, nil
}

// Addr is the address clients connect to; it stays the same when the
// proxy stops refusing.
func (p *Proxy) Addr() string { return p.addr }

// Close stops listening and cuts every connection.
func (p *Proxy) Close() error {
	p.SetMode(Refuse) // stops listening, cuts live connections
	p.mu.Lock()
	p.closed = true
	close(p.stalled) // nothing waits on a closed proxy
	p.stalled = make(chan struct{})
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// SetMode switches the proxy's behaviour. Refuse cuts every live
// connection; leaving Blackhole cuts the connections that were stalled,
// since their client has given up on them and the bytes they held back
// belong to statements it no longer waits for.
// It returns an error only when the proxy cannot listen on its address
// again after refusing.
func (p *Proxy) SetMode(m Mode) error {
	p.mu.Lock()
	prev := p.mode
	if p.closed || prev == m {
		p.mu.Unlock()
		return nil
	}
	p.mode = m
	if prev == Blackhole {
		close(p.stalled)
		p.stalled = make(chan struct{})
	}
	var err error
	switch {
	case m == Refuse:
		_ = p.listener.Close()
		p.listener = nil
	case prev == Refuse:
		var l net.Listener
		if l, err = net.Listen("tcp", p.addr); err == nil {
			p.listener = l
			p.wg.Add(1)
			go p.accept(l)
		}
	}
	p.mu.Unlock()
	if m == Refuse || prev == Blackhole {
		p.CutAll()
	}
	return err
}

// SetLatency delays every chunk of data forwarded, in either direction.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// OnQuery calls hook with the text of every statement a client sends (in
// the order the proxy reads them, whatever the connection) and does what
// it answers; nil removes the hook.
func (p *Proxy) OnQuery(hook func(query string) Action) {
	p.mu.Lock()
	p.onQuery = hook
	p.mu.Unlock()
}

// CutAll closes every live connection, both ways, at once.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	conns := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		conns = append(conns, l)
	}
	p.mu.Unlock()
	for _, l := range conns {
		p.cut(l, true)
	}
}

// Cuts counts the connections the proxy has cut (not those the client or
// the server closed).
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Conns counts the live connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

type link struct {
	client, server net.Conn // server is nil until dialled
	done           bool     // cut or closed
	// cutOnReply says the statement just forwarded was marked CutAfter:
	// the server's answer to it is not delivered, the link is cut.
	cutOnReply atomic.Bool
}

// cut closes both ends of l; fault says the proxy chose to, rather than
// following a close by the client or the server.
func (p *Proxy) cut(l *link, fault bool) {
	p.mu.Lock()
	if l.done {
		p.mu.Unlock()
		return
	}
	l.done = true
	delete(p.conns, l)
	if fault {
		p.cuts++
	}
	ends := []net.Conn{l.client, l.server}
	p.mu.Unlock()
	for _, c := range ends {
		if c == nil {
			continue
		}
		// A reset rather than a FIN, as when a peer or a middlebox
		// drops the connection.
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

func (p *Proxy) accept(l net.Listener) {
	defer p.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	l := &link{client: client}
	p.mu.Lock()
	p.conns[l] = struct{}{}
	p.mu.Unlock()
	// A black-holed connection waits, unanswered, before it even reaches
	// the server.
	if !p.wait() {
		p.cut(l, true)
		return
	}
	server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		p.cut(l, false)
		return
	}
	p.mu.Lock()
	cutWhileDialling := l.done
	if !cutWhileDialling {
		l.server = server
	}
	p.mu.Unlock()
	if cutWhileDialling {
		_ = server.Close()
		return
	}
	faults := make(chan bool, 2)
	go func() { faults <- p.copy(l, server, client, true) }()
	go func() { faults <- p.copy(l, client, server, false) }()
	p.cut(l, <-faults)
	<-faults
}

// wait holds a connection's traffic while the proxy black-holes; it
// reports false when the connection should be cut instead.
func (p *Proxy) wait() bool {
	p.mu.Lock()
	mode, stalled, closed := p.mode, p.stalled, p.closed
	p.mu.Unlock()
	if closed || mode == Refuse {
		return false
	}
	if mode != Blackhole {
		return true
	}
	<-stalled
	return false
}

// copy forwards src to dst until either end closes or a fault ends it,
// which it reports; from the client it reads whole MySQL packets so that
// statements can be seen and acted on.
func (p *Proxy) copy(l *link, dst, src net.Conn, fromClient bool) (fault bool) {
	buf := make([]byte, 32<<10)
	for {
		var chunk []byte
		var action Action
		if fromClient {
			packet, err := readPacket(src)
			if err != nil {
				return false
			}
			chunk, action = packet, p.inspect(packet)
		} else {
			n, err := src.Read(buf)
			if err != nil {
				return false
			}
			chunk = buf[:n]
			if l.cutOnReply.Load() {
				return true
			}
		}
		if !p.wait() {
			return true
		}
		p.mu.Lock()
		latency := p.latency
		p.mu.Unlock()
		if latency > 0 {
			time.Sleep(latency)
		}
		if action == CutBefore {
			return true
		}
		// Marked before it is written: the server may answer before Write
		// returns, and the answer must find the mark.
		if action == CutAfter {
			l.cutOnReply.Store(true)
		}
		if _, err := dst.Write(chunk); err != nil {
			return false
		}
	}
}

func (p *Proxy) inspect(packet []byte) Action {
	// header: 3 bytes length, 1 byte sequence; a command starts a
	// sequence at 0.
	if len(packet) < 5 || packet[3] != 0 || packet[4] != comQuery {
		return Forward
	}
	p.mu.Lock()
	hook := p.onQuery
	p.mu.Unlock()
	if hook == nil {
		return Forward
	}
	return hook(string(packet[5:]))
}

// readPacket reads one MySQL packet, header included.
func readPacket(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := int(header[0]) | int(header[1])<<8 | int(header[2])<<16
	packet := make([]byte, 4+n)
	copy(packet, header[:])
	if _, err := io.ReadFull(r, packet[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return packet, nil
}
