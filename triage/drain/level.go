package drain

import "strings"

// The other normalised log levels (LevelError and LevelWarn are mined).
const (
	LevelInfo  = "info"
	LevelDebug = "debug"
)

// NormalizeLevel maps the spellings of a level to error, warn, info or
// debug, and anything else, "unknown" included, to "". Fatal, critical and
// their kin count as errors.
func NormalizeLevel(s string) string {
	switch lowerASCII(s) {
	case "error", "err", "eror", "fatal", "crit", "critical", "panic", "dpanic",
		"emerg", "emergency", "alert", "severe":
		return LevelError
	case "warn", "warning":
		return LevelWarn
	case "info", "information", "informational", "notice":
		return LevelInfo
	case "debug", "dbug", "trace", "fine":
		return LevelDebug
	}
	return ""
}

// LevelOf is a line's normalised level: the one the source gave, else a
// level field in the text, else a bare level word among its first words.
func LevelOf(given, text string) string {
	if lv := NormalizeLevel(given); lv != "" {
		return lv
	}
	return LevelInText(text)
}

// levelScan bounds how far into a line the level is looked for.
const levelScan = 512

// LevelInText reads a level from a line's text alone: a level field, or a
// bare level word among its first words; "" when it names none.
func LevelInText(line string) string {
	head := line[:min(len(line), levelScan)]
	for _, f := range [...]string{"level=", "lvl=", "severity=", `"level":`, `"lvl":`, `"severity":`} {
		for from := 0; from < len(head); {
			i := strings.Index(head[from:], f)
			if i < 0 {
				break
			}
			i += from
			from = i + len(f)
			if i > 0 && head[i-1] != ' ' && head[i-1] != '{' && head[i-1] != ',' && head[i-1] != '\t' {
				continue
			}
			v := strings.TrimLeft(head[from:], ` "`)
			end := 0
			for end < len(v) && v[end] != ' ' && v[end] != '"' && v[end] != ',' && v[end] != '}' && v[end] != '\t' {
				end++
			}
			if lv := NormalizeLevel(v[:end]); lv != "" {
				return lv
			}
		}
	}
	// Bare words: "ERROR", "[error]", "<warn>", "E0412" (glog), within the
	// first words, colour codes aside.
	words := 0
	for i := 0; i < len(head) && words < 6; {
		for i < len(head) && isLineSpace(head[i]) {
			i++
		}
		j := i
		for j < len(head) && !isLineSpace(head[j]) {
			j++
		}
		if j > i {
			words++
			if lv := bareLevel(head[i:j]); lv != "" {
				return lv
			}
		}
		i = j
	}
	return ""
}

func bareLevel(w string) string {
	if strings.IndexByte(w, 0x1b) >= 0 {
		w = stripANSI(w)
	}
	trimmed := strings.Trim(w, "[]<>():|")
	bracketed := len(trimmed) < len(w) && (w[0] == '[' || w[0] == '<')
	w = trimmed
	if len(w) == 5 && (w[0] == 'E' || w[0] == 'W' || w[0] == 'F') && isDigitByte(w[1]) && isDigitByte(w[2]) && isDigitByte(w[3]) && isDigitByte(w[4]) {
		if w[0] == 'W' {
			return LevelWarn
		}
		return LevelError
	}
	// Lower-case words are too often prose ("error while …") to trust
	// unless bracketed by the format; upper case and title case are levels.
	if w == "" || (!bracketed && (w[0] < 'A' || w[0] > 'Z')) {
		return ""
	}
	return NormalizeLevel(w)
}

// stripANSI drops terminal escape sequences (ESC [ … final byte).
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '[' {
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
		}
	}
	return b.String()
}
