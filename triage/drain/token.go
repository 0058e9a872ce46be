package drain

import "strings"

// Placeholder stands for the variable parts of a log pattern. It is the one
// Loki's /patterns uses, so mined and server patterns read alike.
const Placeholder = "<_>"

// Token kinds. Weak variables (numbers, durations, short ids) group lines
// as if they were placeholders, but a pattern keeps their text while every
// line agrees on it, so "status=502" survives in a pattern of 502s. Strong
// variables (trace ids, uuids, addresses, timestamps) are never shown.
const (
	kindLiteral uint8 = iota
	kindWeak
	kindStrong
)

// drainToken is one whitespace-separated word of a line. Its mask, the word
// with its variable part replaced by Placeholder, is
// raw[:cs]+Placeholder+raw[ce:], or path when several parts of a path
// vary; masks are compared in place, as building them for every word of
// every line would dominate the cost.
type drainToken struct {
	raw    string
	off    int // where raw starts in the line
	keyEnd int // length of a leading "key=" or "\"key\":" with any opening punctuation; 0 without
	cs, ce int
	path   string
	kind   uint8
	glued  bool // no whitespace before the next token
}

func (t *drainToken) key() string { return t.raw[:t.keyEnd] }

// maskIs reports whether the token's mask is s.
func (t *drainToken) maskIs(s string) bool {
	switch {
	case t.kind == kindLiteral:
		return t.raw == s
	case t.path != "":
		return t.path == s
	}
	n := len(Placeholder)
	return len(s) == len(t.raw)-(t.ce-t.cs)+n && s[:t.cs] == t.raw[:t.cs] &&
		s[t.cs:t.cs+n] == Placeholder && s[t.cs+n:] == t.raw[t.ce:]
}

// appendMask appends the token's mask to b.
func (t *drainToken) appendMask(b []byte) []byte {
	switch {
	case t.kind == kindLiteral:
		return append(b, t.raw...)
	case t.path != "":
		return append(b, t.path...)
	}
	b = append(b, t.raw[:t.cs]...)
	b = append(b, Placeholder...)
	return append(b, t.raw[t.ce:]...)
}

// maxLineBytes bounds the part of a line that is mined; the rest is one
// placeholder, so a pattern never holds more of a line than this.
const maxLineBytes = 8 << 10

// tokenizeLine splits line on ASCII whitespace, and a JSON object also
// between its fields, into at most maxTokens tokens; the rest of an
// over-long line becomes one strong variable, so cost and memory stay
// bounded whatever the line.
func tokenizeLine(line string, maxTokens int, buf []drainToken) []drainToken {
	buf = buf[:0]
	s := line[:min(len(line), maxLineBytes)]
	cut := len(s) < len(line)
	rest := func(at int) drainToken { return drainToken{off: at, kind: kindStrong} }
	i := 0
	for i < len(s) && isLineSpace(s[i]) {
		i++
	}
	json := i < len(s) && s[i] == '{'
	for {
		for i < len(s) && isLineSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		if len(buf) == maxTokens-1 {
			tail := strings.TrimRight(s[i:], " \t\n\r\v\f")
			if cut || strings.ContainsAny(tail, " \t\n\r\v\f") || (json && strings.Contains(tail, `,"`)) {
				return append(buf, rest(i))
			}
		}
		j, glued := i, false
		for j < len(s) && !isLineSpace(s[j]) {
			j++
			if json && s[j-1] == ',' && j < len(s) && s[j] == '"' {
				glued = true
				break
			}
		}
		t := makeToken(s[i:j])
		t.off, t.glued = i, glued
		buf = append(buf, t)
		i = j
	}
	if cut {
		if n := len(buf); n > 0 && buf[n-1].off+len(buf[n-1].raw) == len(s) {
			buf[n-1].glued = true
		}
		buf = append(buf, rest(len(s)))
	}
	return buf
}

func isLineSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isOpen and isClose are the punctuation around a word's core.
func isOpen(c byte) bool {
	switch c {
	case '(', '[', '{', '<', '"', '\'', '*':
		return true
	}
	return false
}

func isClose(c byte) bool {
	switch c {
	case ')', ']', '}', '>', '"', '\'', ',', ';', ':', '.', '!', '?', '%':
		return true
	}
	return false
}

func hasDigitByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigitByte(s[i]) {
			return true
		}
	}
	return false
}

func makeToken(raw string) drainToken {
	t := drainToken{raw: raw}
	lead := 0
	for lead < len(raw) && isOpen(raw[lead]) {
		lead++
	}
	k, sep := keyLen(raw[lead:])
	if k > 0 {
		t.keyEnd = lead + k + sep
	}
	val := raw[t.keyEnd:]
	if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] && !isMessageKey(raw[lead:lead+k]) {
		t.kind = max(kindWeak, classifyWord(val[1:len(val)-1]))
		t.cs, t.ce = t.keyEnd+1, len(raw)-1
		return t
	}
	cs := t.keyEnd
	if cs == 0 {
		cs = lead
	}
	for cs < len(raw) && isOpen(raw[cs]) {
		cs++
	}
	ce := len(raw)
	for ce > cs && isClose(raw[ce-1]) {
		ce--
	}
	core := raw[cs:ce]
	if k := classifyWord(core); k != kindLiteral {
		t.kind = k
		t.cs, t.ce = cs, ce
		return t
	}
	if strings.IndexByte(core, '/') >= 0 && hasDigitByte(core) {
		if m, k := maskPath(raw, cs, ce); k != kindLiteral {
			t.kind, t.path = k, m
		}
	}
	return t
}

// keyLen finds a logfmt key (key=) or a JSON one (key":, its opening quote
// already skipped) at the start of s: the key's length and the separator's.
func keyLen(s string) (int, int) {
	if s == "" || (!isLetterByte(s[0]) && s[0] != '_') {
		return 0, 0
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			return i, 1
		case c == '"' && i+1 < len(s) && s[i+1] == ':':
			return i, 2
		case isLetterByte(c) || isDigitByte(c) || c == '_' || c == '.' || c == '-':
		default:
			return 0, 0
		}
	}
	return 0, 0
}

// isMessageKey: these keys hold free text, so a quoted value there is the
// message, not a variable.
func isMessageKey(k string) bool {
	switch lowerASCII(k) {
	case "msg", "message", "err", "error", "reason", "event", "exception":
		return true
	}
	return false
}

// lowerASCII lower-cases a short word without allocating; longer words
// come back as "", which no caller's list holds.
func lowerASCII(s string) string {
	var buf [16]byte
	if len(s) > len(buf) {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(s)])
}

// maskPath masks the variable segments of the path raw[cs:ce], so that
// /users/123 and /users/456 group together; it returns the whole word's
// mask, or "" when no segment varies.
func maskPath(raw string, cs, ce int) (string, uint8) {
	kind := kindLiteral
	var b []byte
	start := cs
	for i := cs; i <= ce; i++ {
		if i < ce && raw[i] != '/' {
			continue
		}
		seg := raw[start:i]
		if k := classifyWord(seg); k != kindLiteral {
			if b == nil {
				b = append(make([]byte, 0, len(raw)+8), raw[:start]...)
			}
			kind = max(kind, k)
			b = append(b, Placeholder...)
		} else if b != nil {
			b = append(b, seg...)
		}
		if i < ce && b != nil {
			b = append(b, '/')
		}
		start = i + 1
	}
	if b == nil {
		return "", kindLiteral
	}
	return string(append(b, raw[ce:]...)), kind
}

// classify says whether a word, stripped of punctuation, is a variable.
// Every variable class holds a digit, which makes the common case cheap.
func classifyWord(s string) uint8 {
	digits, letters, hexLetters, seps, dashes := 0, 0, 0, 0, 0
	idChars := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigitByte(c):
			digits++
		case isLetterByte(c):
			letters++
			if (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
				hexLetters++
			}
		case c == '_':
		case c == '-':
			dashes++
		case c == ':' || c == '.' || c == '/' || c == ',' || c == '+':
			seps++
			idChars = false
		default:
			idChars = false
		}
	}
	switch {
	case digits == 0:
		return kindLiteral
	case isUUID(s):
		return kindStrong
	case letters == 0:
		// Numbers, counts, "123#0"; dates, times and IP addresses have
		// several separators, long numbers are epochs or ids.
		if digits >= 10 || (seps+dashes >= 2 && digits >= 4) {
			return kindStrong
		}
		return kindWeak
	case isHexID(s, digits, letters, hexLetters):
		return kindStrong
	case isTimestamp(s):
		return kindStrong
	case isQuantity(s):
		return kindWeak
	case isPrefixedID(s):
		return kindWeak
	case idChars && len(s) >= 16 && digits >= 4 && digits*5 >= len(s):
		// Pod names, ULIDs, base64 tokens.
		return kindStrong
	}
	return kindLiteral
}

func isDigitByte(c byte) bool  { return c >= '0' && c <= '9' }
func isLetterByte(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isHexByte(c byte) bool {
	return isDigitByte(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHexByte(s[i]) {
			return false
		}
	}
	return true
}

// isHexID: trace and span ids, hashes, and 0x-prefixed numbers.
func isHexID(s string, digits, letters, hexLetters int) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for i := 2; i < len(s); i++ {
			if !isHexByte(s[i]) {
				return false
			}
		}
		return true
	}
	return len(s) >= 8 && letters == hexLetters && digits+letters == len(s)
}

// isTimestamp: RFC 3339 and similar, "2024-04-16T15:10:43.5Z".
func isTimestamp(s string) bool {
	return len(s) >= 10 && isDigitByte(s[0]) && isDigitByte(s[1]) && isDigitByte(s[2]) && isDigitByte(s[3]) &&
		(s[4] == '-' || s[4] == '/') && isDigitByte(s[5])
}

// isQuantity: "2000ms", "1.5s", "1h2m3s", "512KiB".
func isQuantity(s string) bool {
	i := 0
	for i < len(s) {
		start := i
		for i < len(s) && (isDigitByte(s[i]) || (s[i] == '.' && i > start)) {
			i++
		}
		if i == start {
			return false
		}
		u := i
		for i < len(s) && (isLetterByte(s[i]) || s[i] >= 0x80) {
			i++
		}
		if u == i {
			return i == len(s)
		}
		if !isQuantityUnit(s[u:i]) {
			return false
		}
	}
	return true
}

// isQuantityUnit: the units a number may carry, durations, sizes and rates.
func isQuantityUnit(u string) bool {
	switch lowerASCII(u) {
	case "ns", "us", "µs", "ms", "s", "m", "h", "d", "w",
		"b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib", "k", "g", "x", "rps", "qps":
		return true
	}
	return false
}

// isPrefixedID: "u-10001", "SKU-48213", "order_991".
func isPrefixedID(s string) bool {
	i := 0
	for i < len(s) && i < 12 && isLetterByte(s[i]) {
		i++
	}
	if i == 0 || i >= len(s)-3 || (s[i] != '-' && s[i] != '_' && s[i] != '#' && s[i] != ':') {
		return false
	}
	for j := i + 1; j < len(s); j++ {
		if !isDigitByte(s[j]) {
			return false
		}
	}
	return true
}
