// Package cli is the command-line frame of this repository's programs
// (cmd/local, cmd/deployment): subcommands by name, each parsing its own
// flags with the standard flag package, and exit statuses that tell a
// command line that was not understood (2, after saying why and printing
// the usage) from a command that failed (1).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Command is one subcommand of a program.
type Command struct {
	Name    string
	Summary string // one line, for the program's usage
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// ErrUsage is what a command line that was not understood ends in, once
// what was wrong and the usage are printed.
var ErrUsage = errors.New("command line not understood")

// usageError is a command line that was not understood, with why.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// Usagef returns an error that says why a command line was not
// understood; the program prints it and exits 2.
func Usagef(format string, a ...any) error {
	return usageError(fmt.Sprintf(format, a...))
}

// Lookup returns the command called name.
func Lookup(commands []Command, name string) (Command, bool) {
	i := slices.IndexFunc(commands, func(c Command) bool { return c.Name == name })
	if i < 0 {
		return Command{}, false
	}
	return commands[i], true
}

// Names lists the commands' names, as "seed, token, carrier".
func Names(commands []Command) string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// PrintCommands prints a line per command: its name and its summary.
func PrintCommands(w io.Writer, commands []Command) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.Summary)
	}
	tw.Flush()
}

// Parse parses args with flags, whose output is the program's stderr and
// whose error handling is flag.ContinueOnError: -h prints the usage and
// returns flag.ErrHelp; a flag it refuses, or an argument left after the
// flags, is printed with the usage and returns ErrUsage.
func Parse(flags *flag.FlagSet, args []string) error {
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return ErrUsage
	}
	if flags.NArg() > 0 {
		return Refuse(flags.Output(), flags.Usage, "unexpected argument %q", flags.Arg(0))
	}
	return nil
}

// Refuse prints why a command line is refused, then usage, and returns
// ErrUsage.
func Refuse(w io.Writer, usage func(), format string, a ...any) error {
	fmt.Fprintf(w, format+"\n", a...)
	usage()
	return ErrUsage
}

// ExitCode is the status a program exits with after err: 0 for none or
// for -h, 2 for a command line that was not understood and 1 for any
// other error. It prints err on stderr after the program's name, unless it
// is ErrUsage itself, whose reason is printed already.
func ExitCode(program string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != ErrUsage {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
	}
	if errors.Is(err, ErrUsage) {
		return 2
	}
	return 1
}
