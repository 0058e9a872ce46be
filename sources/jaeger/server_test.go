package jaeger

import (
	"bufio"
	"encoding/json"
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

// recording is one line of testdata/MANIFEST.tsv: a real Jaeger v2.12
// answer and the request that produced it.
type recording struct {
	File, ContentType, Path string
	Status                  int
	Query                   url.Values
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
		u, err := url.Parse(strings.TrimPrefix(cols[3], "GET "))
		if err != nil {
			t.Fatal(err)
		}
		ct := cols[2]
		if ct == "-" {
			ct = ""
		}
		out = append(out, recording{File: cols[0], Status: status, ContentType: ct, Path: u.Path, Query: u.Query()})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// recorded returns the recording of a file.
func recorded(t testing.TB, file string) recording {
	t.Helper()
	for _, r := range loadManifest(t) {
		if r.File == file {
			return r
		}
	}
	t.Fatalf("%s is not in the manifest", file)
	return recording{}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return sourcestest.Fixture(t, name)
}

// window is the search window of the recordings; caller and user are the
// service and the user they were searched for, failingID the trace fetched.
type window struct {
	start, end time.Time
	caller     string
	entry      string
	user       string
	failingID  string
	depsEnd    time.Time
	depsLength time.Duration
}

func recWindow(t testing.TB) window {
	t.Helper()
	var w window
	v3 := recorded(t, "search_v3.json").Query
	var err error
	if w.start, err = time.Parse(time.RFC3339Nano, v3.Get("query.start_time_min")); err != nil {
		t.Fatal(err)
	}
	if w.end, err = time.Parse(time.RFC3339Nano, v3.Get("query.start_time_max")); err != nil {
		t.Fatal(err)
	}
	w.caller = v3.Get("query.service_name")
	ui := recorded(t, "search_ui_user.json").Query
	w.entry = ui.Get("service")
	var tags map[string]string
	if err := json.Unmarshal([]byte(ui.Get("tags")), &tags); err != nil {
		t.Fatal(err)
	}
	w.user = tags["enduser.id"]
	w.failingID = strings.TrimPrefix(recorded(t, "trace_failing.json").Path, "/api/v3/traces/")
	deps := recorded(t, "dependencies.json").Query
	endMs, _ := strconv.ParseInt(deps.Get("endTs"), 10, 64)
	lookMs, _ := strconv.ParseInt(deps.Get("lookback"), 10, 64)
	w.depsEnd, w.depsLength = time.UnixMilli(endMs), time.Duration(lookMs)*time.Millisecond
	return w
}

// replay serves the recordings with their recorded status and content
// type, matching path and query. Anything else gets what Jaeger's query
// service answers an unknown path: its UI page, with a 200.
type replay struct {
	t      testing.TB
	recs   []recording
	prefix string

	mu       sync.Mutex
	requests []*http.Request
}

func (rp *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rp.mu.Lock()
	rp.requests = append(rp.requests, r.Clone(r.Context()))
	rp.mu.Unlock()
	p := r.URL.Path
	if rp.prefix != "" {
		if !strings.HasPrefix(p, rp.prefix+"/") && p != rp.prefix {
			http.NotFound(w, r)
			return
		}
		p = "/" + strings.TrimLeft(strings.TrimPrefix(p, rp.prefix), "/")
	}
	q := r.URL.Query()
	if len(q) == 0 {
		q = url.Values{}
	}
	for _, rec := range rp.recs {
		want := rec.Query
		if len(want) == 0 {
			want = url.Values{}
		}
		if rec.Path == p && reflect.DeepEqual(want, q) {
			if rec.ContentType != "" {
				w.Header().Set("Content-Type", rec.ContentType)
			}
			w.WriteHeader(rec.Status)
			_, _ = w.Write(fixture(rp.t, rec.File))
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(fixture(rp.t, "ui_index.html"))
}

func (rp *replay) paths() []string {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var out []string
	for _, r := range rp.requests {
		out = append(out, r.URL.RequestURI())
	}
	return out
}

// newReplay starts a loopback server replaying the recordings and a client
// aimed at it, without retries.
func newReplay(t testing.TB, opts Options, adjust func(*replay)) (*Client, *replay) {
	t.Helper()
	rp := &replay{t: t, recs: loadManifest(t)}
	if adjust != nil {
		adjust(rp)
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	zero := 0
	c, err := NewWithOptions(sources.Config{URL: srv.URL + rp.prefix, Timeout: 5 * time.Second, Retries: &zero}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rp
}
