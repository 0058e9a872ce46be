package output

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/triagectl/triage/internal/safe"
)

// Table is what a list command prints for a person: a header and rows of
// cells. Every cell is made safe for a terminal as it is written.
type Table struct {
	Header []string
	Rows   [][]string
	// Note follows the table, e.g. what it leaves out.
	Note string
}

// Write writes the table as aligned text, a markdown table, or, for
// Slack, aligned text in a code block.
func (t Table) Write(w io.Writer, f Format) error {
	switch f {
	case Markdown:
		return t.markdown(w)
	case Slack:
		var b strings.Builder
		if err := t.text(&b); err != nil {
			return err
		}
		s := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "```", "'''").Replace(b.String())
		_, err := fmt.Fprintf(w, "```\n%s```\n", s)
		return err
	}
	return t.text(w)
}

func (t Table) text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = textCell(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t.Note != "" {
		_, err := fmt.Fprintln(w, safe.Line(t.Note))
		return err
	}
	return nil
}

func textCell(c string) string {
	if c == "" {
		return "-"
	}
	return strings.ReplaceAll(safe.Line(c), "\t", " ")
}

func (t Table) markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("|")
	for _, h := range t.Header {
		b.WriteString(" " + mdCell(h) + " |")
	}
	b.WriteString("\n|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	}
	if t.Note != "" {
		b.WriteString("\n_" + mdCell(t.Note) + "_\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell is a cell as markdown text: safe, and every character markdown
// could read as markup escaped.
func mdCell(c string) string {
	if c == "" {
		return "—"
	}
	var b strings.Builder
	for _, r := range safe.Line(c) {
		if strings.ContainsRune("\\`*_[]<>|~&$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
