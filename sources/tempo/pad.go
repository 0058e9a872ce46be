package tempo

import "strings"

// lexerBuffer is the stretch Tempo 3.1's TraceQL lexer reads at a time: a
// word (an attribute name, an intrinsic, an operator) that runs across
// the end of one fails to parse ("parse error at line 1, col 1025:
// syntax error: unexpected $end"), while a quoted string may.
const lexerBuffer = 1024

// padTraceQL moves each word of q that would run across a multiple of
// lexerBuffer bytes to start on it instead, with spaces before it, so a
// long expression parses as it reads. Quoted strings are kept as they
// are, spaces and escapes within included; the meaning is unchanged.
func padTraceQL(q string) string {
	if len(q) <= lexerBuffer {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/lexerBuffer*64)
	for i := 0; i < len(q); {
		if q[i] == ' ' {
			b.WriteByte(' ')
			i++
			continue
		}
		j, quoted, inQuote := i, q[i] == '"', false
		for j < len(q) && (inQuote || q[j] != ' ') {
			switch {
			case inQuote && q[j] == '\\':
				j++
			case q[j] == '"':
				inQuote = !inQuote
			}
			j++
		}
		j = min(j, len(q))
		start := b.Len()
		if next := (start/lexerBuffer + 1) * lexerBuffer; !quoted && start+(j-i) > next && j-i < lexerBuffer {
			b.WriteString(strings.Repeat(" ", next-start))
		}
		b.WriteString(q[i:j])
		i = j
	}
	return b.String()
}
