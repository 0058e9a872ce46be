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
	// FromEnv are the keys the environment set (and no flag overrode),
	// with the variable that set each.
	FromEnv []EnvName
}

// EnvName is an environment variable and the config key it sets.
type EnvName struct {
	Key string
	Env string
}

// ConfigEnv names the config file when --config does not.
const ConfigEnv = "TRIAGE_CONFIG"

// OtherToolsEnv are the variables the backends' own command-line tools
// read (logcli's LOKI_*), or that their users commonly set
// (PROMETHEUS_URL, ALERTMANAGER_URL: promtool and amtool read none; amtool
// takes its URL from its own config file). Each sets its key above the
// config file and below Triage's own TRIAGE_* variable, which wins.
// LOKI_TLS_SKIP_VERIFY is left out on purpose: skipping verification
// stays an explicit opt-in in Triage's own config. LOKI_ORG_ID sets Loki's
// X-Scope-OrgID header (see lokiOrgID).
var OtherToolsEnv = []EnvName{
	{"sources.prometheus.url", "PROMETHEUS_URL"},
	{"sources.loki.url", "LOKI_ADDR"},
	{"sources.loki.basic_auth.username", "LOKI_USERNAME"},
	{"sources.loki.basic_auth.password", "LOKI_PASSWORD"},
	{"sources.loki.bearer_token", "LOKI_BEARER_TOKEN"},
	{"sources.loki.bearer_token_file", "LOKI_BEARER_TOKEN_FILE"},
	{"sources.loki.tls.ca_file", "LOKI_CA_CERT_PATH"},
	{"sources.loki.tls.cert_file", "LOKI_CLIENT_CERT_PATH"},
	{"sources.loki.tls.key_file", "LOKI_CLIENT_KEY_PATH"},
	{"sources.alertmanager.url", "ALERTMANAGER_URL"},
}

// lokiOrgID is logcli's tenant variable; it sets Loki's X-Scope-OrgID
// header unless TRIAGE_SOURCES_LOKI_HEADERS is set.
const lokiOrgID = "LOKI_ORG_ID"

// envName is Triage's own variable for a key: sources.loki.url is
// TRIAGE_SOURCES_LOKI_URL.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
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
	explicit, from := path != "", ""
	if !explicit {
		if path = os.Getenv(ConfigEnv); path != "" {
			explicit, from = true, " (from "+ConfigEnv+")"
		} else {
			path = DefaultPath()
		}
	}
	file := ""
	v.SetConfigType("yaml")
	if b, err := os.ReadFile(path); err == nil {
		if err := v.ReadConfig(strings.NewReader(string(b))); err != nil {
			return nil, fmt.Errorf("config file %s%s: %s", path, from, strings.TrimSpace(err.Error()))
		}
		file = path
	} else if explicit || !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file%s: %w", from, err)
	}
	var p problems
	unknownKeys(&p, v, file, keys)
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	for _, e := range OtherToolsEnv {
		// Bound by name, a key reads the names in order: Triage's own first.
		_ = v.BindEnv(e.Key, envName(e.Key), e.Env)
	}
	byFlag := map[string]bool{}
	if flags != nil {
		for name, key := range FlagKeys {
			if f := flags.Lookup(name); f != nil && f.Changed {
				v.Set(key, f.Value.String())
				byFlag[key] = true
			}
		}
	}
	fromEnv := envOrigins(keys, byFlag)
	checkTypes(&p, v, keys)
	if len(p) > 0 {
		return nil, withOrigins(p.err(), fromEnv)
	}
	cfg := def
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("config: %s", strings.TrimSpace(err.Error()))
	}
	if org := os.Getenv(lokiOrgID); org != "" && os.Getenv(envName("sources.loki.headers")) == "" {
		h := map[string]string{}
		for k, val := range cfg.Sources.Loki.Headers {
			if !strings.EqualFold(k, "X-Scope-OrgID") {
				h[k] = val
			}
		}
		h["X-Scope-OrgID"] = org
		cfg.Sources.Loki.Headers = h
		fromEnv = append(fromEnv, EnvName{"sources.loki.headers.X-Scope-OrgID", lokiOrgID})
	}
	if err := cfg.Validate(); err != nil {
		return nil, withOrigins(err, fromEnv)
	}
	return &Loaded{Config: cfg, File: file, FromEnv: fromEnv}, nil
}

// envOrigins are the keys an environment variable sets, with the variable
// that wins for each; a key a flag set is left out.
func envOrigins(keys []string, byFlag map[string]bool) []EnvName {
	other := map[string]string{}
	for _, e := range OtherToolsEnv {
		other[e.Key] = e.Env
	}
	var out []EnvName
	for _, k := range keys {
		if byFlag[k] {
			continue
		}
		if os.Getenv(envName(k)) != "" {
			out = append(out, EnvName{k, envName(k)})
		} else if e, ok := other[k]; ok && os.Getenv(e) != "" {
			out = append(out, EnvName{k, e})
		}
	}
	return out
}

// withOrigins names, in each problem with a key the environment set, the
// variable that set it: a value nobody wrote in the file is otherwise
// hard to find.
func withOrigins(err error, fromEnv []EnvName) error {
	if err == nil || len(fromEnv) == 0 {
		return err
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) {
			continue
		}
		for _, o := range fromEnv {
			if ce.Key == o.Key || strings.HasPrefix(ce.Key, o.Key+".") || strings.HasPrefix(o.Key, ce.Key+".") {
				ce.From = o.Env
			}
		}
	}
	return errors.Join(errs...)
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
