package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// FlagKeys maps command-line flags to config keys. Flags win over the
// environment, which wins over the file.
var FlagKeys = map[string]string{
	"prometheus-url":   "sources.prometheus.url",
	"loki-url":         "sources.loki.url",
	"tempo-url":        "sources.tempo.url",
	"jaeger-url":       "sources.jaeger.url",
	"alertmanager-url": "sources.alertmanager.url",
	"theme":            "theme",
	"lookback":         "triage.lookback",
	"trace-sample":     "triage.trace_sample",
	"debug-file":       "log.file",
}

// EnvPrefix prefixes every environment variable: sources.loki.url is
// TRIAGE_SOURCES_LOKI_URL.
const EnvPrefix = "TRIAGE"

// Loaded is the effective config and where it came from.
type Loaded struct {
	Config
	File string // the file read, "" when none
}

// DefaultPath is $XDG_CONFIG_HOME/triage/config.yaml.
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "triage", "config.yaml")
}

// Load builds the config: defaults, then the file (explicit path, or the
// default path if it exists), then TRIAGE_* variables, then the flags of fs
// named in FlagKeys that were set. The result is validated.
func Load(path string, flags *pflag.FlagSet) (*Loaded, error) {
	v := viper.New()
	def := Default()
	keys := Keys()
	for _, k := range keys {
		if val, ok := lookup(def, k); ok {
			v.SetDefault(k, val)
		} else {
			v.SetDefault(k, nil)
		}
	}
	explicit := path != ""
	if !explicit {
		path = DefaultPath()
	}
	file := ""
	v.SetConfigType("yaml")
	if b, err := os.ReadFile(path); err == nil {
		if err := v.ReadConfig(strings.NewReader(string(b))); err != nil {
			return nil, fmt.Errorf("config file %s: %s", path, strings.TrimSpace(err.Error()))
		}
		file = path
	} else if explicit || !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var p problems
	unknownKeys(&p, v, file, keys)
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	if flags != nil {
		for name, key := range FlagKeys {
			if f := flags.Lookup(name); f != nil && f.Changed {
				v.Set(key, f.Value.String())
			}
		}
	}
	checkTypes(&p, v, keys)
	if len(p) > 0 {
		return nil, p.err()
	}
	cfg := def
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("config: %s", strings.TrimSpace(err.Error()))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Loaded{Config: cfg, File: file}, nil
}

// unknownKeys rejects keys in the file that Triage does not know: a typo
// must not silently fall back to a default.
func unknownKeys(p *problems, v *viper.Viper, file string, keys []string) {
	if file == "" {
		return
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
	}
	var bad []string
	for _, k := range v.AllKeys() {
		if known[k] || underMap(k, keys) {
			continue
		}
		bad = append(bad, k)
	}
	sort.Strings(bad)
	for _, k := range bad {
		p.add(k, fmt.Sprint(v.Get(k)), "a known key (see `triage config`)")
	}
}

// underMap reports whether k lies inside a free-form map key such as
// sources.prometheus.headers.X-Scope-OrgID.
func underMap(k string, keys []string) bool {
	for _, m := range mapKeys() {
		if strings.HasPrefix(k, m+".") {
			return true
		}
	}
	return false
}

// Keys lists every leaf key of Config, dotted, in order.
func Keys() []string {
	var out []string
	walk(reflect.TypeOf(Config{}), "", func(key string, _ reflect.Type) { out = append(out, key) })
	sort.Strings(out)
	return out
}

func mapKeys() []string {
	var out []string
	walk(reflect.TypeOf(Config{}), "", func(key string, t reflect.Type) {
		if t.Kind() == reflect.Map {
			out = append(out, key)
		}
	})
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func walk(t reflect.Type, prefix string, leaf func(string, reflect.Type)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != durationType {
			walk(ft, key, leaf)
			continue
		}
		leaf(key, ft)
	}
}

// lookup reads the value at a dotted key from a Config, for defaults.
func lookup(c Config, key string) (any, bool) {
	v := reflect.ValueOf(c)
	for _, part := range strings.Split(key, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, false
			}
			v = v.Elem()
		}
		found := false
		for i := range v.NumField() {
			if strings.Split(v.Type().Field(i).Tag.Get("mapstructure"), ",")[0] == part {
				v = v.Field(i)
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	if v.IsZero() {
		return nil, false
	}
	return v.Interface(), true
}

// checkTypes converts every set value to its field's type first, so that a
// bad value is reported by key, value and expectation rather than by the
// decoder's internals.
func checkTypes(p *problems, v *viper.Viper, keys []string) {
	types := map[string]reflect.Type{}
	walk(reflect.TypeOf(Config{}), "", func(key string, t reflect.Type) { types[key] = t })
	for _, k := range keys {
		raw := v.Get(k)
		if raw == nil {
			continue
		}
		t := types[k]
		s := fmt.Sprint(raw)
		switch {
		case t == durationType:
			switch x := raw.(type) {
			case time.Duration:
			case int, int64:
			case string:
				if _, err := time.ParseDuration(strings.TrimSpace(x)); err != nil {
					p.add(k, s, "a duration such as 10s, 1m30s or 1h")
				}
			default:
				p.add(k, s, "a duration such as 10s, 1m30s or 1h")
			}
		case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
			switch x := raw.(type) {
			case int, int64, uint64:
			case float64:
				if x != float64(int64(x)) {
					p.add(k, s, "a whole number")
				}
			case string:
				if _, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err != nil {
					p.add(k, s, "a whole number")
				}
			default:
				p.add(k, s, "a whole number")
			}
		case t.Kind() == reflect.Bool:
			switch x := raw.(type) {
			case bool:
			case string:
				if _, err := strconv.ParseBool(strings.TrimSpace(x)); err != nil {
					p.add(k, s, "true or false")
				}
			default:
				p.add(k, s, "true or false")
			}
		case t.Kind() == reflect.String:
			switch raw.(type) {
			case map[string]any, []any:
				p.add(k, s, "a string")
			}
		case t.Kind() == reflect.Slice:
			switch raw.(type) {
			case []any, []string, string:
			default:
				p.add(k, s, "a list of strings")
			}
		case t.Kind() == reflect.Map:
			switch raw.(type) {
			case map[string]any, map[string]string:
			default:
				p.add(k, s, "a map of names to strings")
			}
		}
	}
}
