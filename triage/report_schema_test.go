package triage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/triagectl/triage/triage"
)

// schema is the subset of JSON Schema that report.schema.json uses.
type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 json.RawMessage    `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	Enum                 []any              `json:"enum"`
	Const                json.RawMessage    `json:"const"`
	Minimum, Maximum     *float64
	MinLength            *int               `json:"minLength"`
	Format               string             `json:"format"`
	OneOf                []*schema          `json:"oneOf"`
	Defs                 map[string]*schema `json:"$defs"`
}

// loadSchema reads the current version's schema; loadSchemaFile another.
func loadSchema(t *testing.T) *schema { return loadSchemaFile(t, "report.schema.json") }

func loadSchemaFile(t *testing.T, name string) *schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// validator checks an instance against the schema. Strict also refuses a
// field the schema does not declare: the schema stays open to readers, as
// fields are added within a version, but a field the engine adds must be
// documented here first.
type validator struct {
	root   *schema
	strict bool
	errs   []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) resolve(s *schema) *schema {
	for s.Ref != "" {
		s = v.root.Defs[strings.TrimPrefix(s.Ref, "#/$defs/")]
	}
	return s
}

func typeOf(x any) string {
	switch n := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := n.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func (v *validator) check(s *schema, x any, path string) {
	s = v.resolve(s)
	if len(s.OneOf) > 0 {
		matched := 0
		for _, alt := range s.OneOf {
			sub := &validator{root: v.root, strict: v.strict}
			sub.check(alt, x, path)
			if len(sub.errs) == 0 {
				matched++
			}
		}
		if matched != 1 {
			v.fail(path, "matches %d of oneOf's %d schemas, want 1", matched, len(s.OneOf))
		}
		return
	}
	if len(s.Type) > 0 {
		var types []string
		if json.Unmarshal(s.Type, &types) != nil {
			var one string
			if err := json.Unmarshal(s.Type, &one); err != nil {
				v.fail(path, "schema type %s: %v", s.Type, err)
				return
			}
			types = []string{one}
		}
		got := typeOf(x)
		if !slices.Contains(types, got) && (got != "integer" || !slices.Contains(types, "number")) {
			v.fail(path, "is %s, want %v", got, types)
			return
		}
	}
	if len(s.Const) > 0 {
		var want any
		d := json.NewDecoder(bytes.NewReader(s.Const))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			v.fail(path, "schema const %s: %v", s.Const, err)
			return
		}
		if fmt.Sprint(want) != fmt.Sprint(x) {
			v.fail(path, "is %v, want %v", x, want)
		}
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(x) }) {
		v.fail(path, "is %v, want one of %v", x, s.Enum)
	}
	switch val := x.(type) {
	case json.Number:
		f, _ := val.Float64()
		if s.Minimum != nil && f < *s.Minimum {
			v.fail(path, "%v is below %v", f, *s.Minimum)
		}
		if s.Maximum != nil && f > *s.Maximum {
			v.fail(path, "%v is above %v", f, *s.Maximum)
		}
	case string:
		if s.MinLength != nil && len([]rune(val)) < *s.MinLength {
			v.fail(path, "%q is shorter than %d", val, *s.MinLength)
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, val); err != nil {
				v.fail(path, "%q is not an RFC 3339 date-time", val)
			}
		}
	case []any:
		if s.Items != nil {
			for i, e := range val {
				v.check(s.Items, e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := val[r]; !ok {
				v.fail(path, "lacks required %q", r)
			}
		}
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch p, ok := s.Properties[k]; {
			case ok:
				v.check(p, val[k], path+"."+k)
			case s.AdditionalProperties != nil:
				v.check(s.AdditionalProperties, val[k], path+"."+k)
			case v.strict && s.Properties != nil:
				v.fail(path, "field %q is not in the schema", k)
			}
		}
	}
}

func validate(t *testing.T, s *schema, doc []byte) []string {
	t.Helper()
	var x any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		t.Fatal(err)
	}
	v := &validator{root: s, strict: true}
	v.check(s, x, "$")
	return v.errs
}

func marshal(t *testing.T, r *triage.Report) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every report the engine writes matches report.schema.json (version 2):
// a full one from live backends, one with failed sources, known-empty
// sections, and one where nothing was configured. The version 1 report
// recorded by an older triage matches the version 1 schema it was written
// to.
func TestReportMatchesSchema(t *testing.T) {
	s := loadSchema(t)
	recorded, err := os.ReadFile(filepath.Join("testdata", "report", "db-region.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range validate(t, loadSchemaFile(t, "report-v1.schema.json"), recorded) {
		t.Errorf("db-region as recorded (version 1): %s", e)
	}
	docs := map[string][]byte{"db-region read from version 1": marshal(t, loadReport(t, "db-region.json"))}
	for _, c := range reportCases(t) {
		docs[c.name] = marshal(t, c.r)
	}
	alert := triage.Alert{Name: "HighErrorRate", Labels: map[string]string{"service": "checkout"}, StartsAt: time.Now().Add(-time.Minute)}
	r, err := triage.NewInvestigation(triage.Sources{}, triage.Options{}, triage.REDQueries{}).Run(context.Background(), alert, nil)
	if r == nil {
		t.Fatal(err)
	}
	docs["nothing configured"] = marshal(t, r)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			for _, e := range validate(t, s, doc) {
				t.Error(e)
			}
		})
	}
}

// The validator refuses what the schema forbids, so a passing report
// means something.
func TestSchemaRejects(t *testing.T) {
	s := loadSchema(t)
	good := marshal(t, loadReport(t, "db-region.json"))
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	first := func(m map[string]any, key string) map[string]any { return m[key].([]any)[0].(map[string]any) }
	cases := map[string]struct {
		doc  []byte
		says string
	}{
		"no version":         {edit(func(m map[string]any) { delete(m, "version") }), `lacks required "version"`},
		"version 3":          {edit(func(m map[string]any) { m["version"] = 3 }), "want 2"},
		"empty string":       {edit(func(m map[string]any) { first(m, "sources")["error"] = "" }), "shorter than 1"},
		"camelCase":          {edit(func(m map[string]any) { m["alert"].(map[string]any)["startsAt"] = "2026-01-01T00:00:00Z" }), `"startsAt" is not in the schema`},
		"unknown state":      {edit(func(m map[string]any) { first(m, "sources")["state"] = "meh" }), "want one of"},
		"services object":    {edit(func(m map[string]any) { m["services"] = map[string]any{} }), "is object"},
		"share over 1":       {edit(func(m map[string]any) { first(m, "differences")["failing_share"] = 1.5 }), "above 1"},
		"bad time":           {edit(func(m map[string]any) { m["window"].(map[string]any)["start"] = "yesterday" }), "RFC 3339"},
		"float count":        {edit(func(m map[string]any) { first(m, "log_patterns")["count"] = 1.5 }), "want [integer]"},
		"undeclared field":   {edit(func(m map[string]any) { first(m, "users")["email"] = "x@y" }), `"email" is not in the schema`},
		"empty list unknown": {edit(func(m map[string]any) { m["impact"] = []any{} }), "is array"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			errs := validate(t, s, c.doc)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, c.says) }) {
				t.Errorf("errors %q, want one saying %q", errs, c.says)
			}
		})
	}
}
