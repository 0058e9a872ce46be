package jaeger

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagectl/triage/internal/testenv"
	"github.com/triagectl/triage/sources"
)

// TestRecordFixtures refreshes testdata/ from the test bed's Jaeger loaded
// with the simulator's incident, through the client itself, so that every
// recorded request is exactly what the client sends:
//
//	export $(bash scripts/backends.sh jaeger)
//	JAEGER_RECORD=1 go test -run TestRecordFixtures ./sources/jaeger
//
// then review the diff of testdata/ and run the package's tests, whose
// expectations (ids, counts, the window) come from the recordings.
func TestRecordFixtures(t *testing.T) {
	if os.Getenv("JAEGER_RECORD") == "" {
		t.Skip("JAEGER_RECORD not set: recording is done by hand")
	}
	b := testenv.Jaeger(t)
	inc := testenv.Incident(t)
	truth := inc.Truth
	ctx := context.Background()
	one := 0
	cfg := b.Config()
	cfg.Retries = &one
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var last *sources.Exchange
	c.HTTP().OnExchange = func(ex sources.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		last = &ex
	}
	var manifest []string
	// record runs one call and keeps its last exchange under file.
	record := func(file string, call func() error) {
		t.Helper()
		mu.Lock()
		last = nil
		mu.Unlock()
		err := call()
		mu.Lock()
		ex := last
		mu.Unlock()
		if ex == nil || ex.Err != nil {
			t.Fatalf("%s: no answer (%v)", file, err)
		}
		if err := os.WriteFile(filepath.Join("testdata", file), ex.Body, 0o644); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(ex.URL)
		if err != nil {
			t.Fatal(err)
		}
		ct := ex.Header.Get("Content-Type")
		if ct == "" {
			ct = "-"
		}
		manifest = append(manifest, fmt.Sprintf("%s\t%d\t%s\tGET %s", file, ex.Status, ct, u.RequestURI()))
	}
	start, end := truth.Start.Add(-time.Minute), inc.Now.Add(time.Minute)
	user := truth.Users[0]
	ignore := func(_ any, err error) error { return err }

	record("ui_index.html", func() error { return ignore(c.BuildInfo(ctx)) })
	record("api_services.json", func() error { return c.AuthCheck(ctx) })
	record("services.json", func() error { return ignore(c.Services(ctx)) })
	record("operations_caller.json", func() error { return ignore(c.Operations(ctx, truth.CulpritCaller, "")) })
	record("operations_unknown.json", func() error { return ignore(c.Operations(ctx, "no-such-service", "")) })
	record("trace_failing.json", func() error { return ignore(c.Trace(ctx, user.TraceIDs[0])) })
	record("trace_notfound.json", func() error { return ignore(c.Trace(ctx, "0badc0ffee0000000000000000000001")) })
	// Two traces deep: the same request is the error search's scan.
	record("search_v3.json", func() error {
		return ignore(c.Search(ctx, Query{Service: truth.CulpritCaller, Start: start, End: end, Limit: 2}))
	})
	record("search_v3_none.json", func() error {
		return ignore(c.Search(ctx, Query{Service: "no-such-service", Start: start, End: end, Limit: 2}))
	})
	record("search_v3_too_deep.json", func() error {
		return ignore(c.Search(ctx, Query{Service: truth.CulpritCaller, Start: start, End: end, Limit: 1 << 30}))
	})
	record("search_ui_user.json", func() error {
		return ignore(c.Search(ctx, Query{Service: truth.EntryService, Attributes: map[string]string{"enduser.id": user.ID},
			Start: start, End: end, Limit: 2}))
	})
	// error=true through the UI API: Jaeger v2.12's in-memory store finds
	// nothing. Recorded with a user so that the client's scan that follows
	// is search_ui_user.json's request.
	record("search_ui_error_tag.json", func() error {
		_, err := c.searchUI(ctx, "search", Query{Service: truth.EntryService, Attributes: map[string]string{"enduser.id": user.ID},
			Start: start, End: end, Limit: 2}, 2, true)
		return err
	})
	record("search_ui_error_caller.json", func() error {
		_, err := c.searchUI(ctx, "search", Query{Service: truth.CulpritCaller, Start: start, End: end, Limit: 2}, 2, true)
		return err
	})
	record("search_ui_no_service.json", func() error {
		// The client refuses a search without a service before asking; ask
		// the UI API directly to record Jaeger's answer.
		_, err := c.get(ctx, "search", "/api/traces", url.Values{"limit": {"1"}})
		return err
	})
	record("dependencies.json", func() error {
		return ignore(c.Dependencies(ctx, end, end.Sub(start)))
	})
	if err := os.WriteFile(filepath.Join("testdata", "MANIFEST.tsv"), []byte(strings.Join(manifest, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d answers of jaeger %s at %s", len(manifest), b.Version, b.URL)
}
