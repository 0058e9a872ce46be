// Package output writes what the commands print in the format -o names,
// as kubectl and amtool do: text for a person, JSON and YAML for scripts,
// markdown for tickets and Slack's mrkdwn for a channel. JSON and YAML are
// safe to print on a terminal without changing a value: a rune a terminal
// would act on or hide is written as its escape.
package output

import (
	"fmt"
	"strings"
)

// Format is an output format, the value of -o.
type Format string

// The formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	YAML     Format = "yaml"
	Markdown Format = "markdown"
	Slack    Format = "slack"
)

// All are the formats a report is written in, the default first.
var All = []Format{Text, JSON, YAML, Markdown, Slack}

// Parse reads value as one of the formats a command offers; the error
// names them.
func Parse(value string, offered ...Format) (Format, error) {
	v := Format(strings.ToLower(strings.TrimSpace(value)))
	for _, f := range offered {
		if v == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("-o %q: expected %s", value, Names(offered))
}

// Names lists formats for a message: "text, json or yaml".
func Names(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Help is the -o flag's help for a command offering fs.
func Help(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return "output format: " + strings.Join(names, "|")
}
