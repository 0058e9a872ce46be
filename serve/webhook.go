package serve

import (
	"compress/gzip"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/sources/adapter"
	"github.com/triagectl/triage/sources/alertmanager"
	"github.com/triagectl/triage/triage"
)

// WebhookResponse is the body of a 200 from POST /alerts.
type WebhookResponse struct {
	Status    string   `json:"status"`
	Created   []string `json:"created"` // incidents opened
	Resolved  []string `json:"resolved"`
	New       int      `json:"new"` // alerts stored for the first time
	Duplicate int      `json:"duplicate"`
	Orphan    int      `json:"orphan"`
	Watchdog  int      `json:"watchdog"`
}

// Webhook is the receiver, POST /alerts. An alert is stored durably before
// the 200; a 5xx makes Alertmanager retry, and a retry is a no-op for what
// was stored.
func (s *Service) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		code := s.receive(w, r)
		s.m.webhookRequests.WithLabelValues(strconv.Itoa(code)).Inc()
		s.m.webhookDuration.Observe(time.Since(t0).Seconds())
	})
}

func fail(w http.ResponseWriter, code int, msg string) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
	return code
}

func (s *Service) receive(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(w, http.StatusMethodNotAllowed, "POST an Alertmanager or Grafana webhook payload")
	}
	if !s.authorized(r) {
		return unauthorized(w)
	}
	body, code, msg := readBody(w, r)
	if code != 0 {
		return fail(w, code, msg)
	}
	wh, err := alertmanager.ParseWebhook(body)
	if err != nil {
		return fail(w, http.StatusBadRequest, err.Error())
	}
	now := s.now()
	in, beat := s.convert(wh, now)
	if wh.TruncatedAlerts > 0 {
		s.m.webhookTruncated.Add(float64(wh.TruncatedAlerts))
		s.log.Warn("webhook truncated", "group", wh.GroupKey, "truncated", wh.TruncatedAlerts)
	}
	res, err := s.store.Ingest(r.Context(), in, beat, now)
	if err != nil {
		s.storeFailed("ingest", err)
		return fail(w, http.StatusServiceUnavailable, "store: "+err.Error())
	}
	s.afterIngest(res, beat, now)
	out := WebhookResponse{Status: "ok", Created: []string{}, Resolved: res.Resolved, New: res.New,
		Duplicate: res.Duplicate, Orphan: res.Orphans, Watchdog: len(wh.Alerts) - len(in)}
	if out.Resolved == nil {
		out.Resolved = []string{}
	}
	for _, c := range res.Created {
		out.Created = append(out.Created, c.ID)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
	return http.StatusOK
}

// readBody reads the payload within MaxBodyBytes, decompressing gzip
// (Grafana and proxies send it) within the same cap on the decompressed
// size, so a small gzip bomb is refused like a large body. It returns the
// status and message of a refusal, or code 0.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, code int, msg string) {
	const over = "payload over 1 MiB"
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" && enc != "x-gzip" {
		w.Header().Set("Accept-Encoding", "gzip")
		return nil, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported: send the payload as is or gzip'd", clip(enc))
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, over
	}
	var in io.Reader = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	gzipped := enc == "gzip" || enc == "x-gzip"
	if gzipped {
		zr, err := gzip.NewReader(in)
		if err != nil {
			code, msg := readFailure(err, "gzip: ")
			return nil, code, msg
		}
		defer zr.Close()
		in = zr
	}
	body, err := io.ReadAll(io.LimitReader(in, MaxBodyBytes+1))
	if err != nil {
		code, msg := readFailure(err, "reading body: ")
		if gzipped && code == http.StatusBadRequest {
			msg = "gzip: " + err.Error()
		}
		return nil, code, msg
	}
	if len(body) > MaxBodyBytes {
		return nil, http.StatusRequestEntityTooLarge, over + " once decompressed"
	}
	return body, 0, ""
}

// readFailure answers a body that could not be read: 413 when it ran past
// the cap, 400 otherwise.
func readFailure(err error, prefix string) (int, string) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, "payload over 1 MiB"
	}
	return http.StatusBadRequest, prefix + err.Error()
}

// clip keeps a sender's value from flooding an answer.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func unauthorized(w http.ResponseWriter) int {
	w.Header().Set("WWW-Authenticate", `Bearer realm="triage", Basic realm="triage"`)
	return fail(w, http.StatusUnauthorized, "unauthorized")
}

// RequireAuth serves h only to requests that carry the webhook's
// credentials, so that other endpoints of the listener (the MCP server)
// take the same token or basic auth; with neither configured every request
// passes, as on the webhook.
func (s *Service) RequireAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			unauthorized(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorized accepts the bearer token or the basic auth, whichever is
// configured; with neither the receiver is open. Secrets are compared
// through their digests in constant time, so neither content nor length
// leaks through timing.
func (s *Service) authorized(r *http.Request) bool {
	if s.cfg.Token == "" && s.cfg.BasicUser == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	if s.cfg.Token != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") && equal(strings.TrimSpace(tok), s.cfg.Token) {
			return true
		}
	}
	if s.cfg.BasicUser != "" {
		u, p, ok := r.BasicAuth()
		// Both halves are always compared, so timing does not tell which
		// one was wrong.
		userOK, passOK := equal(u, s.cfg.BasicUser), equal(p, s.cfg.BasicPassword)
		if ok && userOK && passOK {
			return true
		}
	}
	return false
}

// equal compares in constant time.
func equal(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// convert turns the payload into store input and picks out the Watchdog.
func (s *Service) convert(wh *alertmanager.Webhook, now time.Time) ([]store.AlertIn, time.Time) {
	groupKey := wh.GroupKey
	if groupKey == "" {
		groupKey = wh.ReceiverName() + ":" + labelString(wh.GroupLabels)
	}
	var (
		in   []store.AlertIn
		beat time.Time
	)
	for _, a := range wh.Alerts {
		if s.cfg.Watchdog.matches(a.Labels) {
			if a.Firing() {
				beat = now
			}
			s.m.webhookAlerts.WithLabelValues("watchdog").Inc()
			continue
		}
		ta := adapter.AlertFromWebhookAlert(a)
		if ta.Fingerprint == "" {
			ta.Fingerprint = fingerprint(a.Labels)
		}
		in = append(in, store.AlertIn{Alert: ta, Firing: a.Firing(), EndsAt: a.EndsAt, GroupKey: groupKey,
			Scope: triage.ResolveScope(ta, s.cfg.ServiceLabels).Service, Receiver: wh.ReceiverName()})
	}
	return in, beat
}

// afterIngest counts, tells subscribers, and starts the pre-warms of new
// incidents.
func (s *Service) afterIngest(res store.IngestResult, beat, now time.Time) {
	for outcome, n := range map[string]int{"new": res.New, "duplicate": res.Duplicate, "resolved": res.Resolves, "orphan": res.Orphans, "reopened": res.Reopened} {
		if n > 0 {
			s.m.webhookAlerts.WithLabelValues(outcome).Add(float64(n))
		}
	}
	s.m.incidentsCreated.Add(float64(len(res.Created)))
	s.m.incidentsResolved.Add(float64(len(res.Resolved)))
	s.m.incidents.WithLabelValues(store.StatusFiring).Add(float64(len(res.Created) - len(res.Resolved)))
	s.m.incidents.WithLabelValues(store.StatusResolved).Add(float64(len(res.Resolved)))
	for _, r := range res.Created {
		s.events.publish(Event{Kind: EventIncidentNew, IncidentID: r.ID, At: now})
	}
	for _, id := range res.Updated {
		s.events.publish(Event{Kind: EventIncidentUpdated, IncidentID: id, At: now})
	}
	for _, id := range res.Resolved {
		s.events.publish(Event{Kind: EventIncidentResolved, IncidentID: id, At: now})
	}
	s.pool.enqueueFirst(res.Created...)
	if !beat.IsZero() {
		s.noteBeat(beat)
	}
}

// fingerprint identifies an alert by its labels when the sender gave no
// fingerprint.
func fingerprint(labels map[string]string) string {
	h := sha256.Sum256([]byte(labelString(labels)))
	return hex.EncodeToString(h[:8])
}

func labelString(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}
