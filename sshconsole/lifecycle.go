package sshconsole

import (
	"context"
	"errors"
	"fmt"
	"net"

	charmssh "charm.land/ssh"
)

// Serve serves on ln until ctx ends (then shuts down gracefully) or
// Shutdown is called. It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.addr.Store(ln.Addr())
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.broadcast(bctx)
	go s.watchKeys(bctx)
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
		err = s.Shutdown(sctx)
		cancel()
		if serr := <-errc; err == nil && !errors.Is(serr, charmssh.ErrServerClosed) {
			err = serr
		}
	}
	if errors.Is(err, charmssh.ErrServerClosed) {
		err = nil
	}
	return err
}

// ListenAndServe listens on Config.Listen and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("serve.ssh_listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Shutdown stops listening, ends every open session with a message, and
// waits for the connections to close; when ctx ends first the rest are
// cut.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Shutdown(ctx) }()
	for _, l := range s.openSessions() {
		l.end("the server is shutting down")
	}
	err := <-errc
	if err != nil {
		_ = s.srv.Close()
	}
	return err
}

// Addr is the address listened on, nil before Serve.
func (s *Server) Addr() net.Addr {
	a, _ := s.addr.Load().(net.Addr)
	return a
}

// HostKeyFingerprint is the host key's SHA256 fingerprint, for users to
// check on their first connection.
func (s *Server) HostKeyFingerprint() string { return Fingerprint(s.signer.PublicKey()) }

func (s *Server) openSessions() []*liveSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*liveSession, 0, len(s.sessions))
	for l := range s.sessions {
		out = append(out, l)
	}
	return out
}

// register adds a session to the broadcast; false once shutting down.
func (s *Server) register(l *liveSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions[l] = struct{}{}
	return true
}

func (s *Server) unregister(l *liveSession) {
	s.mu.Lock()
	delete(s.sessions, l)
	s.mu.Unlock()
}
