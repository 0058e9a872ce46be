package alertmanager

import (
	"net/url"
	"strconv"
	"strings"
)

// ExprFromGeneratorURL returns the PromQL expression in a Prometheus
// generatorURL, "…/graph?g0.expr=<QueryEscaped expr>&g0.tab=1", decoded.
// It reports false for URLs that carry none, such as Grafana's rule pages.
// When a URL holds several panels (g0, g1, …) the lowest-numbered wins.
func ExprFromGeneratorURL(u string) (expr string, ok bool) {
	raw := u
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[i+1:]
	} else {
		return "", false
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	best, bestIdx := "", -1
	// Pairs are walked by hand: url.ParseQuery drops every pair after the
	// first bad escape, and a stray "%" in another panel must not lose g0.
	for pair := range strings.SplitSeq(raw, "&") {
		key, val, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(key)
		if err != nil {
			continue
		}
		// URLs copied out of HTML mail keep their "&amp;" separators.
		idx, isExpr := panelExprIndex(strings.TrimPrefix(key, "amp;"))
		if !isExpr || (bestIdx >= 0 && idx >= bestIdx) {
			continue
		}
		v, err := url.QueryUnescape(val)
		if err != nil {
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			best, bestIdx = v, idx
		}
	}
	return best, bestIdx >= 0
}

// panelExprIndex parses "g<N>.expr" and returns N.
func panelExprIndex(key string) (int, bool) {
	rest, ok := strings.CutPrefix(key, "g")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, ".expr")
	if !ok || num == "" || len(num) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || num[0] == '+' || num[0] == '-' {
		return 0, false
	}
	return n, true
}
