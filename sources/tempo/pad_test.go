package tempo

import (
	"fmt"
	"strings"
	"testing"
)

// padTraceQL leaves no word but a quoted string across a multiple of 1,024
// bytes, changes nothing but the spaces between words, and leaves a short
// expression as it is.
func TestPadTraceQL(t *testing.T) {
	sel := "select(span:name, span:parentID, resource.service.name, span.db.query.text, resource.k8s.deployment.name)"
	for n := 1; n < 120; n++ {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf(`trace:id = "%032x"`, i*7919)
		}
		q := `{ ` + strings.Join(ids, " || ") + ` && span.note = "a  b \" c" } | ` + sel
		got := padTraceQL(q)
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(q), " ") {
			t.Fatalf("%d ids: more than spaces changed", n)
		}
		if !strings.Contains(got, `"a  b \" c"`) {
			t.Fatalf("%d ids: a quoted string changed", n)
		}
		for i := 0; i < len(got); {
			if got[i] == ' ' {
				i++
				continue
			}
			j, in := i, false
			for j < len(got) && (in || got[j] != ' ') {
				switch {
				case in && got[j] == '\\':
					j++
				case got[j] == '"':
					in = !in
				}
				j++
			}
			if w := got[i:j]; !strings.HasPrefix(w, `"`) && i/1024 != (j-1)/1024 {
				t.Fatalf("%d ids: %q runs across byte %d", n, w, (i/1024+1)*1024)
			}
			i = j
		}
	}
	if short := `{ status = error } | select(span:name)`; padTraceQL(short) != short {
		t.Error("a short expression was padded")
	}
}
