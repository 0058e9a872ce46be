package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is the HTTP client every source uses. It applies the source's
// timeout, headers and credentials, caps response bodies, and retries
// 429s, 5xx and connection failures with backoff. It never logs.
type Client struct {
	Name string
	cfg  Config
	base *url.URL
	hc   *http.Client

	// OnExchange, when set, sees every completed attempt: the raw request
	// and response, for recording bundles and debug logs.
	OnExchange func(Exchange)
}

// Exchange is one HTTP attempt, as sent and as answered.
type Exchange struct {
	Source   string
	Op       string
	Method   string
	URL      string
	Request  []byte
	Status   int
	Header   http.Header
	Body     []byte
	Started  time.Time
	Duration time.Duration
	Err      error
}

// Request describes one call relative to the source's base URL.
type Request struct {
	Op          string // names the call in errors: "query_range", "trace"
	Method      string // GET when empty
	Path        string // joined to the base URL's path
	Query       url.Values
	Header      http.Header
	Body        []byte
	ContentType string
}

// Response is a fully read, size-capped response.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Latency  time.Duration // from the first attempt to the final answer
	Attempts int
}

// NewClient builds the client for one source. The config's zero fields get
// the package defaults.
func NewClient(name string, cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	raw := strings.TrimSpace(cfg.URL)
	if raw == "" {
		return nil, fmt.Errorf("%s: url is empty", name)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: url %q: %w", name, raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: url %q: scheme must be http or https", name, raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: url %q: no host", name, raw)
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(cfg.Timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   min(cfg.Timeout, 10*time.Second),
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ForceAttemptHTTP2:     true,
	}
	return &Client{
		Name: name,
		cfg:  cfg,
		base: u,
		hc: &http.Client{
			Transport: tr,
			// Redirects keep the credentials only on the same host.
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("too many redirects")
				}
				if req.URL.Host != via[0].URL.Host {
					req.Header.Del("Authorization")
				}
				return nil
			},
		},
	}, nil
}

// Config returns the effective config, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// BaseURL returns the parsed base URL.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// URL resolves a path and query against the base URL.
func (c *Client) URL(path string, q url.Values) *url.URL {
	u := c.BaseURL()
	u.Path = strings.TrimRight(u.Path, "/") + "/" + strings.TrimLeft(path, "/")
	u.RawPath = ""
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	} else {
		u.RawQuery = ""
	}
	return u
}

// Do performs r. On a 2xx it returns the response. On any other status it
// returns the response and an *Error built from it; on a transport failure
// it returns only the *Error.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u := c.URL(r.Path, r.Query)
	build := func(ctx context.Context) (*http.Request, error) {
		var body io.Reader
		if r.Body != nil {
			body = bytes.NewReader(r.Body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
		if err != nil {
			return nil, err
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		if r.ContentType != "" {
			req.Header.Set("Content-Type", r.ContentType)
		}
		return req, nil
	}
	resp, err := c.execute(ctx, r.Op, r.Body, build)
	if err != nil {
		return nil, err
	}
	if resp.Status/100 != 2 {
		return resp, HTTPError(c.Name, r.Op, resp.Status, resp.Header.Get("Content-Type"), resp.Body)
	}
	return resp, nil
}

// DoHTTP performs a prepared request, for adapters such as client_golang's
// api.Client. Non-2xx statuses are not errors here: the caller decodes them.
func (c *Client) DoHTTP(ctx context.Context, op string, req *http.Request) (*http.Response, []byte, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, nil, &Error{Source: c.Name, Op: op, Kind: KindBadRequest, Msg: err.Error(), Err: err}
		}
		reqBody = b
	}
	build := func(ctx context.Context) (*http.Request, error) {
		r := req.Clone(ctx)
		if reqBody != nil {
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
			r.ContentLength = int64(len(reqBody))
		}
		return r, nil
	}
	resp, err := c.execute(ctx, op, reqBody, build)
	if err != nil {
		return nil, nil, err
	}
	return &http.Response{StatusCode: resp.Status, Status: fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status)),
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)),
		Request: req}, resp.Body, nil
}

// execute runs the attempts: the per-source timeout bounds all of them.
func (c *Client) execute(parent context.Context, op string, reqBody []byte, build func(context.Context) (*http.Request, error)) (*Response, error) {
	if err := c.cfg.CheckHeaders(); err != nil {
		// Sending it would fail the same way every time, and is not a
		// network problem: the config must change.
		return nil, &Error{Source: c.Name, Op: op, Kind: KindConfig, Msg: OneLine(err.Error(), 200), Err: err}
	}
	ctx, cancel := context.WithTimeout(parent, c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	retries := c.cfg.RetryCount()
	var lastErr error
	for attempt := 0; ; attempt++ {
		req, err := build(ctx)
		if err != nil {
			return nil, &Error{Source: c.Name, Op: op, Kind: KindBadRequest, Msg: OneLine(err.Error(), 200), Err: err}
		}
		if err := c.cfg.authorize(req); err != nil {
			return nil, &Error{Source: c.Name, Op: op, Kind: KindAuth, Msg: OneLine(err.Error(), 200), Err: err}
		}
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", "triage")
		}
		resp, status, err := c.attempt(op, req, reqBody)
		if err == nil {
			resp.Latency = time.Since(start)
			resp.Attempts = attempt + 1
			if !retryStatus(status) || attempt >= retries {
				return resp, nil
			}
			if werr := c.wait(ctx, attempt, retryAfter(resp.Header)); werr != nil {
				return resp, nil // out of time: the last answer stands
			}
			continue
		}
		var se *Error
		if errors.As(err, &se) {
			return nil, se // too large: final
		}
		timeout := time.Duration(0)
		if parent.Err() == nil && ctx.Err() != nil {
			timeout = c.cfg.Timeout
		}
		lastErr = TransportError(c.Name, op, timeout, err)
		if KindOf(lastErr) != KindUnreachable || attempt >= retries || ctx.Err() != nil {
			return nil, lastErr
		}
		if werr := c.wait(ctx, attempt, 0); werr != nil {
			return nil, lastErr
		}
	}
}

func (c *Client) attempt(op string, req *http.Request, reqBody []byte) (*Response, int, error) {
	t0 := time.Now()
	ex := Exchange{Source: c.Name, Op: op, Method: req.Method, URL: req.URL.String(), Request: reqBody, Started: t0}
	defer func() {
		if c.OnExchange != nil {
			ex.Duration = time.Since(t0)
			c.OnExchange(ex)
		}
	}()
	hr, err := c.hc.Do(req)
	if err != nil {
		ex.Err = err
		return nil, 0, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, c.cfg.MaxBodyBytes+1))
	ex.Status, ex.Header = hr.StatusCode, hr.Header
	if err != nil {
		ex.Err = err
		if req.Context().Err() != nil {
			return nil, 0, err // the deadline cut the body: a timeout
		}
		// The server was reached and answered; its body stopped short.
		return nil, 0, TruncatedError(c.Name, op, hr.StatusCode, int64(len(body)), hr.ContentLength, body, err)
	}
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		ex.Err = errors.New("body over cap")
		return nil, 0, &Error{Source: c.Name, Op: op, Kind: KindTooLarge, Status: hr.StatusCode,
			Msg:  fmt.Sprintf("response body exceeds the %s cap", FormatBytes(c.cfg.MaxBodyBytes)),
			Body: Truncate(string(body[:min(len(body), MaxErrorBody+1)]), MaxErrorBody)}
	}
	ex.Body = body
	return &Response{Status: hr.StatusCode, Header: hr.Header, Body: body}, hr.StatusCode, nil
}

func retryStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusBadGateway ||
		status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout ||
		status == http.StatusInternalServerError
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// wait sleeps before the next attempt: exponential backoff with jitter,
// or the server's Retry-After, capped, and cut short by ctx.
func (c *Client) wait(ctx context.Context, attempt int, hint time.Duration) error {
	d := c.cfg.RetryBackoff << attempt
	d = d/2 + rand.N(d/2+1)
	if hint > d {
		d = hint
	}
	d = min(d, 5*time.Second)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// FormatBytes renders a byte count as "64 MiB".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
