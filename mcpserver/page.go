package mcpserver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/triagectl/triage/internal/safe"
)

// answer is one tool's whole answer before paging: a head repeated on every
// page (what the answer is about, and the state of the sources behind it)
// and a body of lines cut into pages at line boundaries. Every external
// string enters through the helpers that sanitise it.
type answer struct {
	head     []string
	body     []string
	sections []string // the section of each body line
	section  string
	// failed makes the answer a tool error: its source failed, so what it
	// would say is unknown.
	failed bool
}

// title starts a section of the body.
func (a *answer) title(name, format string, args ...any) {
	a.section = name
	a.line(format, args...)
}

// line adds a body line; format and args are Triage's own words, or
// strings already cleaned with clean.
func (a *answer) line(format string, args ...any) {
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	a.body = append(a.body, s)
	a.sections = append(a.sections, a.section)
}

// top adds a head line.
func (a *answer) top(format string, args ...any) {
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	a.head = append(a.head, cutBytes(s, maxHeadLine))
}

// maxHeadLine bounds a head line: the head is on every page.
const maxHeadLine = 300

// clean makes an external string safe on one line (no escape sequence,
// control or bidi override reaches the assistant, and no value forges a
// line) and cuts it to n runes, marking the cut.
func clean(s string, n int) string { return safe.Truncate(safe.Line(s), n) }

// footerRoom is what a page keeps free for its footer: the page count, the
// sections of the pages after it and the cursor.
const footerRoom = 480

// page is one page of an answer: its text and the cursor of the next.
type page struct {
	text   string
	next   string
	index  int
	pages  int
	cutOne bool // a line longer than a page was cut
}

// paginate cuts the answer into pages of at most max bytes of text. Lines
// longer than a page holds are cut, saying how much.
func (a *answer) paginate(max int) [][2]int {
	budget := a.budget(max)
	var out [][2]int
	start, used := 0, 0
	for i, l := range a.body {
		n := min(len(l), budget) + 1
		if i > start && used+n > budget {
			out = append(out, [2]int{start, i})
			start, used = i, 0
		}
		used += n
	}
	return append(out, [2]int{start, len(a.body)})
}

// budget is the body's share of a page.
func (a *answer) budget(maxBytes int) int {
	head := 0
	for _, h := range a.head {
		head += len(h) + 1
	}
	return max(maxBytes-head-footerRoom-1, 256)
}

// render is page i of the answer; key names the tool call, for the cursor.
func (a *answer) render(max, i int, key string) (page, error) {
	ranges := a.paginate(max)
	if i < 0 || i >= len(ranges) {
		return page{}, fmt.Errorf("cursor: page %d of an answer of %d pages", i+1, len(ranges))
	}
	budget := a.budget(max)
	var b strings.Builder
	for _, h := range a.head {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	p := page{index: i, pages: len(ranges)}
	r := ranges[i]
	for _, l := range a.body[r[0]:r[1]] {
		if len(l) > budget {
			l = cutBytes(l, budget-40) + fmt.Sprintf(" …[%d bytes cut]", len(l)-(budget-40))
			p.cutOne = true
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if len(ranges) > 1 {
		if i+1 < len(ranges) {
			p.next = encodeCursor(key, a.digest(), i+1)
			fmt.Fprintf(&b, "— page %d of %d. Left for the next pages: %s. To read on, call again with the same arguments and cursor %q.\n",
				i+1, len(ranges), a.rest(ranges[i+1][0]), p.next)
		} else {
			fmt.Fprintf(&b, "— page %d of %d, the last.\n", i+1, len(ranges))
		}
	}
	p.text = safe.Text(b.String())
	if len(p.text) > max {
		// Sanitising only grows text that was not cleaned line by line;
		// the bound holds whatever slipped through.
		p.text = cutBytes(p.text, max-20) + "\n…[cut to the bound]\n"
	}
	return p, nil
}

// rest names the sections from body line k on, and their line count.
func (a *answer) rest(k int) string {
	var names []string
	counts := map[string]int{}
	for _, s := range a.sections[k:] {
		if s == "" {
			s = "more lines"
		}
		if counts[s] == 0 {
			names = append(names, s)
		}
		counts[s]++
	}
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" ("+strconv.Itoa(counts[n])+" lines)")
	}
	return cutBytes(strings.Join(parts, ", "), 240)
}

// digest identifies the answer's text, so a cursor from another answer is
// refused rather than read on a different text.
func (a *answer) digest() uint64 {
	h := fnv.New64a()
	for _, l := range a.head {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	for _, l := range a.body {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// A cursor names the call it pages (a digest of the tool and its
// arguments), the answer's text and the page.
func encodeCursor(key string, digest uint64, page int) string {
	raw := fmt.Sprintf("%x.%x.%d", keyDigest(key), digest, page)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errCursor = errors.New("cursor: not a cursor of this call: give the same arguments as the call that returned it, or leave the cursor out to start over")

func decodeCursor(cursor, key string) (digest uint64, page int, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, 0, errCursor
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 {
		return 0, 0, errCursor
	}
	k, err1 := strconv.ParseUint(parts[0], 16, 64)
	d, err2 := strconv.ParseUint(parts[1], 16, 64)
	p, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || p < 0 || k != keyDigest(key) {
		return 0, 0, errCursor
	}
	return d, p, nil
}

func keyDigest(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}
