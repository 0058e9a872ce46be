package loki_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/triagectl/triage/sources"
	"github.com/triagectl/triage/sources/loki"
	"github.com/triagectl/triage/sources/sourcestest"
)

func TestHeadersAndCredentialsReachServer(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	tokFile := filepath.Join(dir, "tok")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cfg     sources.Config
		header  string
		want    string
		tenant  string
		wantTen string
	}{
		{"basic auth from file", sources.Config{BasicAuth: &sources.BasicAuth{Username: "u", PasswordFile: pwFile}},
			"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:s3cret")), "", ""},
		{"bearer token from file", sources.Config{BearerTokenFile: tokFile},
			"Authorization", "Bearer tok-123", "", ""},
		{"tenant header", sources.Config{Headers: map[string]string{"X-Scope-OrgID": "team-a|team-b"}},
			"X-Scope-OrgID", "team-a|team-b", "", ""},
	}
	calls := []struct {
		name string
		run  func(*loki.Client) error
		file string
	}{
		{"query_range", func(c *loki.Client) error {
			_, err := c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`})
			return err
		}, "query_range_streams_categorized.json"},
		{"patterns", func(c *loki.Client) error {
			_, err := c.Patterns(context.Background(), `{env="sim"}`, t0, t1, 0)
			return err
		}, "patterns.json"},
		{"labels", func(c *loki.Client) error { return c.AuthCheck(context.Background()) }, "labels.json"},
	}
	for _, tc := range cases {
		for _, call := range calls {
			t.Run(tc.name+"/"+call.name, func(t *testing.T) {
				c, rec := serveBody(t, 200, jsonType, fixture(t, call.file), tc.cfg)
				if err := call.run(c); err != nil {
					t.Fatal(err)
				}
				if got := rec.last(t).Header.Get(tc.header); got != tc.want {
					t.Fatalf("%s = %q, want %q", tc.header, got, tc.want)
				}
			})
		}
	}
}

// compact re-encodes a recorded answer without its statistics and with at
// most keep elements in each list, so that it fits the fault table's 1 KiB
// body cap while keeping the server's shape.
func compact(t *testing.T, file string, keep int) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(fixture(t, file), &v); err != nil {
		t.Fatal(err)
	}
	var trim func(any) any
	trim = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "stats")
			for k, e := range x {
				x[k] = trim(e)
			}
		case []any:
			if len(x) > keep {
				x = x[:keep]
			}
			for i, e := range x {
				x[i] = trim(e)
			}
			return x
		}
		return v
	}
	b, err := json.Marshal(trim(v))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) >= sourcestest.CapBytes {
		t.Fatalf("compact %s is %d bytes, over the fault table's cap", file, len(b))
	}
	return string(b)
}

func TestFaultsQueryRange(t *testing.T) {
	ok := compact(t, "query_range_streams_categorized.json", 3)
	if _, err := loki.DecodeQueryResult([]byte(ok)); err != nil {
		t.Fatalf("compact answer does not decode: %v", err)
	}
	for _, f := range sourcestest.Faults(ok) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := loki.New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.QueryRange(context.Background(), loki.QueryRangeRequest{Query: `{env="sim"}`})
			sourcestest.Check(t, f, err)
		})
	}
}

func TestFaultsPatterns(t *testing.T) {
	ok := compact(t, "patterns.json", 3)
	if _, err := loki.DecodePatterns([]byte(ok)); err != nil {
		t.Fatalf("compact answer does not decode: %v", err)
	}
	for _, f := range sourcestest.Faults(ok) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := loki.New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Patterns(context.Background(), `{env="sim"}`, t0, t1, time.Minute)
			sourcestest.Check(t, f, err)
			if got, want := loki.IsPatternsDisabled(err), f.Status == 404; got != want {
				t.Fatalf("IsPatternsDisabled = %v, want %v", got, want)
			}
		})
	}
}

func TestFaultsProbes(t *testing.T) {
	ok := string(fixture(t, "buildinfo.json"))
	for _, f := range sourcestest.Faults(ok) {
		t.Run(f.Name, func(t *testing.T) {
			c, err := loki.New(sourcestest.Serve(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.BuildInfo(context.Background())
			sourcestest.Check(t, f, err)
		})
	}
}
