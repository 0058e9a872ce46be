package serve

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/serve/store"
	"github.com/triagectl/triage/triage"
)

// A report stored by an older daemon (report JSON version 1) still opens:
// the incident comes back with its report read into today's model, and a
// report stored today is version 2.
func TestStoredVersion1ReportLoads(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("..", "triage", "testdata", "report", "db-region.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(v1), `"version": 1`) && !strings.Contains(string(v1), `"version":1`) {
		t.Fatal("the fixture is not a version 1 report")
	}
	path := filepath.Join(t.TempDir(), "incidents.db")
	st, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	res, err := st.Ingest(context.Background(), []store.AlertIn{{Alert: triage.Alert{Name: "HighErrorRate", Fingerprint: "fp1",
		StartsAt: now.Add(-time.Minute), Labels: map[string]string{"alertname": "HighErrorRate", "service": "storefront"}},
		Firing: true, GroupKey: "g", Scope: "storefront", Receiver: "triage"}}, time.Time{}, now)
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	id := res.Created[0].ID
	if err := st.PutResults(context.Background(), []store.Result{{ID: id, State: store.PrewarmReady, Report: v1}}, now); err != nil {
		t.Fatal(err)
	}
	st.Close()

	s, err := New(context.Background(), Config{StorePath: path}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inc := incident(t, s, id)
	r := inc.Report
	if r == nil || r.Alert.Name != "HighErrorRate" || r.Alert.StartsAt.IsZero() || len(r.Services) == 0 || r.Services[0].Name != "ledger-db" {
		t.Fatalf("stored version 1 report read as %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"version":2`) || !strings.Contains(string(out), `"starts_at"`) {
		t.Errorf("written again as %.200s…", out)
	}
}
