package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Mistyped commands and flags name the near one, as kubectl and git do.
// Cobra suggests commands only for the root, and only when the root takes
// no Args of its own; flags it never suggests.

// suggestDistance is how many edits apart a suggestion may be.
const suggestDistance = 2

// withSuggestions installs the helpers on every command of the tree.
func withSuggestions(root *cobra.Command) {
	root.SuggestionsMinimumDistance = suggestDistance
	root.SetFlagErrorFunc(flagError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SuggestionsMinimumDistance = suggestDistance
		if c.HasSubCommands() {
			c.Args = subcommandArgs
			if !c.Runnable() {
				// Cobra checks the arguments of runnable commands only;
				// alone, such a command prints its help.
				c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// subcommandArgs refuses an argument that is not a subcommand, naming the
// near ones.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(": did you mean %q?", strings.Join(s, `" or "`))
	} else {
		msg += fmt.Sprintf(" (run '%s --help' for the commands)", cmd.CommandPath())
	}
	return fmt.Errorf("%s", msg)
}

// noArgs refuses arguments to a command that takes none; a word that is
// one of its flags without the dashes is named as the flag.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%s takes no argument, got %q", cmd.CommandPath(), args[0])
	if f := nearFlag(cmd, args[0]); f != "" {
		msg += fmt.Sprintf(": did you mean %s?", f)
	}
	return fmt.Errorf("%s", msg)
}

// flagError adds the near flag to pflag's unknown-flag errors.
func flagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	if f := nearFlag(cmd, name); f != "" {
		return fmt.Errorf("unknown flag --%s for %q: did you mean %s?", name, cmd.CommandPath(), f)
	}
	return fmt.Errorf("unknown flag --%s for %q (run '%s --help' for its flags)", name, cmd.CommandPath(), cmd.CommandPath())
}

// replacedBy names, on a deprecated flag, the flag to use instead: a
// mistyped old name is pointed at the new one.
const replacedBy = "triage_replaced_by"

// deprecate marks an old flag name, still accepted, and the flag that
// replaces it.
func deprecate(cmd *cobra.Command, old, instead, msg string) {
	_ = cmd.Flags().MarkDeprecated(old, msg)
	_ = cmd.Flags().SetAnnotation(old, replacedBy, []string{instead})
}

// nearFlag is the flag of cmd nearest to name ("--format"), "" when none is
// within suggestDistance edits or starts with it. A deprecated flag is
// suggested by the name that replaces it; other hidden ones never.
func nearFlag(cmd *cobra.Command, name string) string {
	name = strings.ToLower(strings.TrimLeft(name, "-"))
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	best, bestD := "", suggestDistance+1
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		// pflag hides a deprecated flag too.
		suggest := f.Name
		if r := f.Annotations[replacedBy]; len(r) == 1 {
			suggest = r[0]
		} else if f.Hidden || f.Deprecated != "" {
			return
		}
		d := editDistance(name, f.Name)
		if len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			d = min(d, 1)
		}
		if d < bestD || (d == bestD && "--"+suggest < best) {
			best, bestD = "--"+suggest, d
		}
	})
	return best
}

// editDistance is the edit distance between a and b, a swap of two
// neighbouring letters counting as one edit ("fromat" is one from
// "format").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
