package tempo

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/sourcestest"
)

// recording is one line of testdata/MANIFEST.tsv: a real Tempo 3.1 answer
// and the request that produced it.
type recording struct {
	File, ContentType, Path, Accept string
	Status                          int
	Query                           url.Values
}

func loadManifest(t testing.TB) []recording {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []recording
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("manifest line %q: want 4 columns", sc.Text())
		}
		status, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatal(err)
		}
		// "GET /api/search?q=… (Accept: application/json)"
		req, accept, _ := strings.Cut(strings.TrimPrefix(cols[3], "GET "), " (Accept: ")
		u, err := url.Parse(req)
		if err != nil {
			t.Fatal(err)
		}
		ct := cols[2]
		if ct == "-" {
			ct = ""
		}
		out = append(out, recording{File: cols[0], Status: status, ContentType: ct, Path: u.Path,
			Query: u.Query(), Accept: strings.TrimSuffix(accept, ")")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sourcestest.Fixture(t, name)
}

// replay serves the recordings with their recorded status and content
// type, matching path, query and Accept (any Accept when none matches
// exactly). Unmatched requests get Tempo's router 404.
type replay struct {
	t      testing.TB
	recs   []recording
	prefix string
	// ignoreAccept answers as a server that only speaks JSON would.
	ignoreAccept bool
	// drop hides paths, as an older Tempo without them would.
	drop []string

	mu       sync.Mutex
	requests []*http.Request
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp.mu.Lock()
	rp.requests = append(rp.requests, r.Clone(r.Context()))
	rp.mu.Unlock()
	p := r.URL.Path
	if rp.prefix != "" && p != "/ready" {
		if !strings.HasPrefix(p, rp.prefix+"/") {
			http.NotFound(w, r)
			return
		}
		p = strings.TrimPrefix(p, rp.prefix)
	}
	for _, d := range rp.drop {
		if strings.HasPrefix(p, d) {
			http.NotFound(w, r)
			return
		}
	}
	accept := r.Header.Get("Accept")
	if rp.ignoreAccept {
		accept = "application/json"
	}
	var match *recording
	for i := range rp.recs {
		rec := &rp.recs[i]
		if rec.Path != p || !reflect.DeepEqual(rec.Query, normQuery(r.URL.Query())) {
			continue
		}
		if rec.Accept == accept {
			match = rec
			break
		}
		if match == nil {
			match = rec
		}
	}
	if match == nil {
		http.NotFound(w, r)
		return
	}
	if match.ContentType != "" {
		w.Header().Set("Content-Type", match.ContentType)
	}
	w.WriteHeader(match.Status)
	_, _ = w.Write(fixture(rp.t, match.File))
}

func normQuery(q url.Values) url.Values {
	if len(q) == 0 {
		return url.Values{}
	}
	return q
}

func (rp *replay) count() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return len(rp.requests)
}

func (rp *replay) last() *http.Request {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.requests) == 0 {
		return nil
	}
	return rp.requests[len(rp.requests)-1]
}

// newReplay starts a loopback server replaying the recordings and a client
// aimed at it.
func newReplay(t testing.TB, opts Options, adjust func(*replay)) (*Client, *replay) {
	t.Helper()
	recs := loadManifest(t)
	for i := range recs {
		if len(recs[i].Query) == 0 {
			recs[i].Query = url.Values{}
		}
	}
	rp := &replay{t: t, recs: recs}
	if adjust != nil {
		adjust(rp)
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	zero := 0
	c, err := NewWithOptions(sources.Config{URL: srv.URL, Timeout: 5 * time.Second, Retries: &zero}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rp
}

// The recordings' window: start=1795565304 end=1795566204.
var (
	recStart = time.Unix(1795565304, 0)
	recEnd   = time.Unix(1795566204, 0)
)
