// Package sshconsole serves the console over SSH for `triage serve`: one program
// per session, public-key auth against an authorized_keys file, and open
// sessions updated live as the daemon's pre-warmed investigations finish.
package sshconsole

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	charmssh "charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	"charm.land/wish/v2/logging"
	wrecover "charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/triagectl/triage/internal/config"
	"github.com/triagectl/triage/serve"
	"github.com/triagectl/triage/themes"
	"github.com/triagectl/triage/tui"
	"github.com/triagectl/triage/tui/console"
)

// Config is the listener's settings (the config file's serve section).
type Config struct {
	// Listen is the address, ":2222" by default.
	Listen string
	// HostKey is the ed25519 host key's path; it is created on first start.
	HostKey string
	// AuthorizedKeys lists the public keys allowed in; it is read again
	// whenever it changes.
	AuthorizedKeys string
	// Theme is the configured theme; a session's NO_COLOR forces mono.
	Theme string
	// MaxSessions caps the open sessions (default 32); one more is turned
	// away with a message.
	MaxSessions int
	// IdleTimeout closes a session without input for that long (default
	// 30m); negative disables it.
	IdleTimeout time.Duration
	// Startups limit the connections not yet authenticated (default
	// DefaultStartups).
	Startups Startups
	// HandshakeTimeout bounds the SSH handshake (default 10s).
	HandshakeTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown when ListenAndServe's
	// context ends (default 5s).
	ShutdownTimeout time.Duration
}

// FromConfig takes the listener's settings from the config file, which
// validation has checked.
func FromConfig(c config.Config) Config {
	s := c.Serve
	cfg := Config{Listen: s.SSHListen, HostKey: s.SSHHostKey, AuthorizedKeys: s.AuthorizedKeys, Theme: c.Theme,
		MaxSessions: s.SSHMaxSessions, IdleTimeout: s.SSHIdleTimeout}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = -1 // the file's 0 is never
	}
	if ms, err := config.ParseMaxStartups(s.SSHMaxStartups); err == nil {
		cfg.Startups = Startups{Start: ms.Start, Rate: ms.Rate, Full: ms.Full, PerSource: s.SSHPerSourceMaxStartups}
	}
	return cfg
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = ":2222"
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 32
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.Startups.Start <= 0 {
		c.Startups = DefaultStartups
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 5 * time.Second
	}
	return c
}

// Deps are what the sessions run on.
type Deps struct {
	// Store is the daemon's incidents (a *serve.Service).
	Store Store
	// Console is every session's console: data sources, Alertmanager,
	// Grafana, keys. Theme is chosen per session.
	Console console.Options
	// AlertsFor, when set, gives each session its own Alertmanager access,
	// so a silence names who posted it (author is the SSH user and key).
	AlertsFor func(author string) tui.AlertSource
	// Metrics, when set, count the sessions.
	Metrics serve.SSHMetrics
	// Log receives connections, rejections and panics; nothing is logged
	// when nil.
	Log *slog.Logger
}

// Server is the SSH side of `triage serve`.
type Server struct {
	cfg    Config
	deps   Deps
	store  Store
	log    *slog.Logger
	srv    *charmssh.Server
	signer gossh.Signer
	keys   *authorizedKeys
	gate   *startupGate

	mu       sync.Mutex
	sessions map[*liveSession]struct{}
	slots    int // sessions past the cap check, running or starting
	closing  bool
	conns    atomic.Int64

	addr atomic.Value // net.Addr, once listening
}

// New checks the settings, loads (or creates) the host key and reads the
// authorized keys; it does not listen yet.
func New(cfg Config, d Deps) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("ssh: no incident store")
	}
	cfg = cfg.withDefaults()
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := themes.Select(cfg.Theme, nil); err != nil {
		return nil, fmt.Errorf("theme: %w", err)
	}
	if _, err := console.NewCommon(context.Background(), d.Console); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	signer, err := HostKey(cfg.HostKey)
	if err != nil {
		return nil, err
	}
	keys, err := newAuthorizedKeys(cfg.AuthorizedKeys, log)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: d, store: d.Store, log: log, signer: signer, keys: keys,
		gate: newStartupGate(cfg.Startups), sessions: map[*liveSession]struct{}{}}
	srv, err := wish.NewServer(
		// The key goes first: without one wish writes a key of its own.
		func(srv *charmssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithAddress(cfg.Listen),
		wish.WithVersion("triage"),
		// Public keys only: with no password or keyboard-interactive
		// handler the server offers no other method.
		wish.WithPublicKeyAuth(func(_ charmssh.Context, k charmssh.PublicKey) bool { return s.keys.Allowed(k) }),
		// The last listed runs first: auth, then activeterm, then
		// logging, then recover around the session cap and the program.
		wish.WithMiddleware(
			wrecover.MiddlewareWithLogger(printfLogger{log, slog.LevelError}, s.programMiddleware(), s.capMiddleware()),
			logging.MiddlewareWithLogger(printfLogger{log, slog.LevelInfo}),
			activeterm.Middleware(),
			s.authMiddleware(),
		),
		s.connLimits,
	)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// startupKey holds a connection's *startup in its context.
type startupKey struct{}

// connLimits bounds what a connection may hold before it is a session:
// the handshake's time, the connections not yet authenticated (Startups),
// and how many connections may be open at once.
func (s *Server) connLimits(srv *charmssh.Server) error {
	srv.HandshakeTimeout = s.cfg.HandshakeTimeout
	if s.cfg.IdleTimeout > 0 {
		// Sessions close themselves on idle input; this catches a
		// connection that never opens one.
		srv.IdleTimeout = s.cfg.IdleTimeout + time.Minute
	}
	// The unauthenticated are held to Startups; this bounds the rest.
	maxConns := int64(s.cfg.Startups.Full + 2*s.cfg.MaxSessions + 16)
	srv.ConnCallback = func(ctx charmssh.Context, c net.Conn) net.Conn {
		if s.conns.Add(1) > maxConns {
			s.conns.Add(-1)
			s.count("rejected")
			return nil
		}
		st, refused := s.gate.admit(c)
		if st == nil {
			s.conns.Add(-1)
			s.count("rejected")
			s.log.Debug("ssh connection refused", "remote", c.RemoteAddr().String(), "limit", refused,
				"unauthenticated", s.gate.unauthenticated())
			return nil
		}
		ctx.SetValue(startupKey{}, st)
		return &startupConn{Conn: c, s: st}
	}
	// A successful authentication ends the startup; the log callback is
	// the one that sees it after the signature is checked, never for a
	// key merely offered.
	srv.ServerConfigCallback = func(ctx charmssh.Context) *gossh.ServerConfig {
		return &gossh.ServerConfig{AuthLogCallback: func(_ gossh.ConnMetadata, _ string, err error) {
			if st, ok := ctx.Value(startupKey{}).(*startup); ok && err == nil {
				st.done()
			}
		}}
	}
	srv.ConnectionCloseCallback = func(net.Conn) { s.conns.Add(-1) }
	srv.ConnectionFailedCallback = func(c net.Conn, err error) {
		var authErr *gossh.ServerAuthError
		if errors.As(err, &authErr) {
			s.count("auth_failed")
			s.log.Info("ssh auth failed", "remote", c.RemoteAddr().String())
			return
		}
		s.count("error")
		s.log.Debug("ssh handshake failed", "remote", c.RemoteAddr().String(), "error", err)
	}
	return nil
}

// authMiddleware checks the key again when the session starts: a key
// removed from authorized_keys since the handshake gets nothing.
func (s *Server) authMiddleware() wish.Middleware {
	return func(next charmssh.Handler) charmssh.Handler {
		return func(sess charmssh.Session) {
			if !s.keys.Allowed(sess.PublicKey()) {
				s.count("auth_failed")
				s.log.Info("ssh session refused: key not authorized", "remote", sess.RemoteAddr().String(), "user", sess.User())
				fail(sess, "Permission denied: this key is not in the authorized keys")
				return
			}
			next(sess)
		}
	}
}

// capMiddleware turns a session away when MaxSessions are open.
func (s *Server) capMiddleware() wish.Middleware {
	return func(next charmssh.Handler) charmssh.Handler {
		return func(sess charmssh.Session) {
			s.mu.Lock()
			full, closing := s.slots >= s.cfg.MaxSessions, s.closing
			if !full && !closing {
				s.slots++
			}
			s.mu.Unlock()
			switch {
			case closing:
				fail(sess, "the server is shutting down")
				return
			case full:
				s.count("rejected")
				s.log.Warn("ssh session refused: session limit reached", "limit", s.cfg.MaxSessions, "remote", sess.RemoteAddr().String())
				fail(sess, fmt.Sprintf("too many open sessions (the limit is %d); try again later", s.cfg.MaxSessions))
				return
			}
			if g := s.deps.Metrics.Sessions; g != nil {
				g.Inc()
				defer g.Dec()
			}
			defer func() {
				s.mu.Lock()
				s.slots--
				s.mu.Unlock()
			}()
			s.count("ok")
			next(sess)
		}
	}
}

// fail tells the client why on stderr and ends the session with status 1.
func fail(sess charmssh.Session, msg string) {
	_, _ = fmt.Fprintf(sess.Stderr(), "triage: %s\r\n", msg)
	_ = sess.Exit(1)
}

func (s *Server) count(result string) {
	if c := s.deps.Metrics.SessionsTotal; c != nil {
		c.WithLabelValues(result).Inc()
	}
}

// printfLogger feeds wish's Printf logging into slog.
type printfLogger struct {
	l     *slog.Logger
	level slog.Level
}

func (p printfLogger) Printf(format string, v ...any) {
	p.l.Log(context.Background(), p.level, strings.TrimSpace(fmt.Sprintf(format, v...)))
}
