package loki

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/triagectl/triage/sources"
)

// The bodies Loki answers a refused query with. They are plain text, so the
// checks below match on them.
const (
	msgMaxEntries = "max entries limit per query exceeded"
	msgMaxSeries  = "maximum number of series"
	msgParse      = "parse error"
)

// IsParseError reports whether Loki rejected the LogQL itself.
func IsParseError(err error) bool { return badRequestSays(err, msgParse) }

// IsMaxEntries reports whether the query asked for more lines than the
// server's max_entries_limit_per_query allows.
func IsMaxEntries(err error) bool { return badRequestSays(err, msgMaxEntries) }

// IsMaxSeries reports whether a metric query produced more series than the
// server's max_query_series allows.
func IsMaxSeries(err error) bool { return badRequestSays(err, msgMaxSeries) }

var maxEntriesRE = regexp.MustCompile(`\((\d+) > (\d+)\)`)

// MaxEntriesLimit returns the server's line limit named in a max-entries
// error, or 0 when err is not one or does not say.
func MaxEntriesLimit(err error) int {
	if !IsMaxEntries(err) {
		return 0
	}
	se, _ := sources.AsError(err)
	if m := maxEntriesRE.FindStringSubmatch(se.Body + " " + se.Msg); m != nil {
		n, _ := strconv.Atoi(m[2])
		return n
	}
	return 0
}

// IsPatternsDisabled reports whether /patterns is unavailable on the
// server: a Loki without the pattern ingester answers 404 with an empty
// body, one too old for the endpoint 404 "page not found", and some
// gateways say so in words.
func IsPatternsDisabled(err error) bool {
	se, ok := sources.AsError(err)
	if !ok || se.Op != "patterns" {
		return false
	}
	if se.Status == http.StatusNotFound {
		return true
	}
	text := strings.ToLower(se.Msg + " " + se.Body)
	return strings.Contains(text, "pattern") &&
		(strings.Contains(text, "disabled") || strings.Contains(text, "not enabled"))
}

func badRequestSays(err error, phrase string) bool {
	se, ok := sources.AsError(err)
	if !ok || se.Kind != sources.KindBadRequest {
		return false
	}
	return strings.Contains(strings.ToLower(se.Msg), phrase) || strings.Contains(strings.ToLower(se.Body), phrase)
}
