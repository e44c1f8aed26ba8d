// Package embeddb runs an in-memory MySQL-compatible server
// (go-mysql-server) inside this process, listening on a loopback port, so
// that the local runner and the tests reach it through the same MySQL
// driver, wire protocol and SQL as a real MySQL. Its data lives only as long
// as the process.
package embeddb

import (
	"fmt"
	"io"
	"net"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/sirupsen/logrus"
)

// PoolSize is how many connections a pool on this engine may open: one.
// go-mysql-server's memory tables do not isolate sessions from each other:
// a session can keep reading a table as it last saw it, and a session that
// commits writes back whole tables, so writes made through another session
// can be lost. Through a single session every statement sees every earlier
// one, which is what the local runner and the tests need; concurrent
// requests simply queue for the connection.
const PoolSize = 1

// Server is a running embedded database server.
type Server struct {
	srv  *server.Server
	addr string
	done chan struct{}
}

// Start listens on a free loopback port and serves until Close.
func Start() (*Server, error) {
	// go-mysql-server logs every connection through logrus; the runner
	// has its own logs.
	logrus.SetOutput(io.Discard)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embeddb: listen: %w", err)
	}
	// Native primary-key indexes are what foreign keys and keyset
	// pagination need, as on MySQL.
	provider := memory.NewDBProviderWithOpts(memory.NativeIndexProvider(true)).(*memory.DbProvider)
	engine := sqle.NewDefault(provider)
	cfg := server.Config{Protocol: "tcp", Address: listener.Addr().String(), Listener: listener}
	srv, err := server.NewServer(cfg, engine, sql.NewContext, memory.NewSessionBuilder(provider), nil)
	if err != nil {
		listener.Close()
		return nil, fmt.Errorf("embeddb: %w", err)
	}
	s := &Server{srv: srv, addr: listener.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = srv.Start() // returns when the listener closes
	}()
	return s, nil
}

// DSN returns a go-sql-driver DSN for database on this server.
func (s *Server) DSN(database string) string {
	cfg := mysqldrv.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = s.addr
	cfg.DBName = database
	return cfg.FormatDSN()
}

// Close stops the server and drops all its data.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
