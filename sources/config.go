package sources

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBodyBytes = 64 << 20
	DefaultRetries      = 2
	DefaultRetryBackoff = 200 * time.Millisecond
)

// Config says how to reach one backend. It is decoded from the "sources.<name>"
// section of the config file.
type Config struct {
	URL             string            `mapstructure:"url" json:"url" yaml:"url"`
	Timeout         time.Duration     `mapstructure:"timeout" json:"timeout" yaml:"timeout"`
	Headers         map[string]string `mapstructure:"headers" json:"headers,omitempty" yaml:"headers,omitempty"`
	BasicAuth       *BasicAuth        `mapstructure:"basic_auth" json:"basic_auth,omitempty" yaml:"basic_auth,omitempty"`
	BearerToken     string            `mapstructure:"bearer_token" json:"bearer_token,omitempty" yaml:"bearer_token,omitempty"`
	BearerTokenFile string            `mapstructure:"bearer_token_file" json:"bearer_token_file,omitempty" yaml:"bearer_token_file,omitempty"`
	TLS             TLSConfig         `mapstructure:"tls" json:"tls,omitzero" yaml:"tls,omitempty"`
	MaxBodyBytes    int64             `mapstructure:"max_body_bytes" json:"max_body_bytes" yaml:"max_body_bytes"`
	Retries         *int              `mapstructure:"retries" json:"retries,omitempty" yaml:"retries,omitempty"`
	RetryBackoff    time.Duration     `mapstructure:"retry_backoff" json:"retry_backoff" yaml:"retry_backoff"`
}

// BasicAuth is HTTP basic auth; the password may come from a file so that
// secrets stay out of the config.
type BasicAuth struct {
	Username     string `mapstructure:"username" json:"username" yaml:"username"`
	Password     string `mapstructure:"password" json:"password,omitempty" yaml:"password,omitempty"`
	PasswordFile string `mapstructure:"password_file" json:"password_file,omitempty" yaml:"password_file,omitempty"`
}

// TLSConfig configures the client side of TLS. Skipping verification is an
// explicit opt-in.
type TLSConfig struct {
	CAFile             string `mapstructure:"ca_file" json:"ca_file,omitempty" yaml:"ca_file,omitempty"`
	CertFile           string `mapstructure:"cert_file" json:"cert_file,omitempty" yaml:"cert_file,omitempty"`
	KeyFile            string `mapstructure:"key_file" json:"key_file,omitempty" yaml:"key_file,omitempty"`
	ServerName         string `mapstructure:"server_name" json:"server_name,omitempty" yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `mapstructure:"insecure_skip_verify" json:"insecure_skip_verify,omitempty" yaml:"insecure_skip_verify,omitempty"`
}

// Configured reports whether the source has a URL at all.
func (c Config) Configured() bool { return strings.TrimSpace(c.URL) != "" }

// WithDefaults fills the zero fields with the package defaults.
func (c Config) WithDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Retries == nil {
		r := DefaultRetries
		c.Retries = &r
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	return c
}

// RetryCount is the number of retries after the first attempt.
func (c Config) RetryCount() int {
	if c.Retries == nil {
		return DefaultRetries
	}
	return max(*c.Retries, 0)
}

// Redacted returns a copy with every secret replaced, for printing.
func (c Config) Redacted() Config {
	const mask = "<redacted>"
	if c.BearerToken != "" {
		c.BearerToken = mask
	}
	if c.BasicAuth != nil {
		ba := *c.BasicAuth
		if ba.Password != "" {
			ba.Password = mask
		}
		c.BasicAuth = &ba
	}
	if len(c.Headers) > 0 {
		h := make(map[string]string, len(c.Headers))
		for k, v := range c.Headers {
			if sensitiveHeader(k) {
				v = mask
			}
			h[k] = v
		}
		c.Headers = h
	}
	return c
}

func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	return n == "authorization" || strings.Contains(n, "token") || strings.Contains(n, "secret") ||
		strings.Contains(n, "api-key") || strings.Contains(n, "apikey") || strings.Contains(n, "cookie")
}

// CheckHeaders reports the first configured header whose name or value
// HTTP cannot carry (a line break in a value would end the header early),
// naming it; nil when all are valid.
func (c Config) CheckHeaders() error {
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := CheckHeader(k, c.Headers[k]); err != nil {
			return err
		}
	}
	return nil
}

// CheckHeader says what is wrong with one header, or nil.
func CheckHeader(name, value string) error {
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("header name %q is not a valid HTTP header name (letters, digits and !#$%%&'*+-.^_`|~, no spaces)", name)
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return fmt.Errorf("header %s: the value holds a control character such as a line break, which HTTP header values cannot carry", name)
	}
	return nil
}

// tlsConfig builds the crypto/tls config, reading the files once.
func (c Config) tlsConfig() (*tls.Config, error) {
	t := c.TLS
	if t == (TLSConfig{}) {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // explicit opt-in
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %q: no PEM certificates found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("tls: cert_file and key_file must be set together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// authorize sets the configured headers and credentials on req. Secret
// files are read on every request so that rotated secrets take effect.
func (c Config) authorize(req *http.Request) error {
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if c.BasicAuth != nil && c.BasicAuth.Username != "" {
		pw := c.BasicAuth.Password
		if c.BasicAuth.PasswordFile != "" {
			b, err := readSecret(c.BasicAuth.PasswordFile)
			if err != nil {
				return fmt.Errorf("basic_auth.password_file: %w", err)
			}
			pw = b
		}
		req.SetBasicAuth(c.BasicAuth.Username, pw)
	}
	tok := c.BearerToken
	if c.BearerTokenFile != "" {
		b, err := readSecret(c.BearerTokenFile)
		if err != nil {
			return fmt.Errorf("bearer_token_file: %w", err)
		}
		tok = b
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
