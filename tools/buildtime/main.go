// Command buildtime says where a build's time went, from the action graph
// `go build -debug-actiongraph` writes: the wall time from the first action
// to the last, the time of the compile actions by module (std for the
// standard library) and the slowest packages. The modules come from
// `go list -deps` of the packages that were built.
//
//	GOCACHE=$(mktemp -d) go build -debug-actiongraph=/tmp/ag.json -o /dev/null ./cmd/local
//	go run ./tools/buildtime /tmp/ag.json ./cmd/local
//
// The actions of a 2-core machine overlap two by two, so their sum is
// about twice the wall time of the build.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// action is what this reads of one action of the graph.
type action struct {
	Mode      string
	Package   string
	TimeStart time.Time
	TimeDone  time.Time
}

func main() {
	top := flag.Int("top", 15, "how many modules and packages to list")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./tools/buildtime [-top N] ACTIONGRAPH.json PACKAGE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Args()[1:], *top); err != nil {
		fmt.Fprintln(os.Stderr, "buildtime:", err)
		os.Exit(1)
	}
}

func run(graph string, packages []string, top int) error {
	b, err := os.ReadFile(graph)
	if err != nil {
		return err
	}
	var actions []action
	if err := json.Unmarshal(b, &actions); err != nil {
		return fmt.Errorf("%s: %w", graph, err)
	}
	modules, err := modulesOf(packages)
	if err != nil {
		return err
	}
	var first, last time.Time
	var total time.Duration
	byModule := map[string]time.Duration{}
	var compiles []action
	for _, a := range actions {
		if a.TimeStart.IsZero() || a.TimeDone.IsZero() {
			continue // cached, or nothing to do
		}
		if first.IsZero() || a.TimeStart.Before(first) {
			first = a.TimeStart
		}
		if a.TimeDone.After(last) {
			last = a.TimeDone
		}
		if a.Mode != "build" {
			continue
		}
		d := a.TimeDone.Sub(a.TimeStart)
		total += d
		byModule[cmp.Or(modules[a.Package], a.Package)] += d
		compiles = append(compiles, a)
	}
	fmt.Printf("wall %s from the first action to the last; compile actions %s over %d packages\n",
		last.Sub(first).Round(100*time.Millisecond), total.Round(100*time.Millisecond), len(compiles))

	type row struct {
		name string
		d    time.Duration
	}
	var rows []row
	for m, d := range byModule {
		rows = append(rows, row{m, d})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.d, a.d) })
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\nmodule\tcompile\tshare\t")
	for _, r := range rows[:min(top, len(rows))] {
		fmt.Fprintf(tw, "%s\t%.1f s\t%.0f %%\t\n", r.name, r.d.Seconds(), 100*r.d.Seconds()/total.Seconds())
	}
	slices.SortFunc(compiles, func(a, b action) int { return cmp.Compare(b.TimeDone.Sub(b.TimeStart), a.TimeDone.Sub(a.TimeStart)) })
	fmt.Fprintln(tw, "\npackage\tcompile\t\t")
	for _, a := range compiles[:min(top, len(compiles))] {
		fmt.Fprintf(tw, "%s\t%.1f s\t\t\n", a.Package, a.TimeDone.Sub(a.TimeStart).Seconds())
	}
	return tw.Flush()
}

// modulesOf maps every package the packages depend on to its module
// ("std" for the standard library).
func modulesOf(packages []string) (map[string]string, error) {
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{else}}std{{end}}"}, packages...)
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	modules := map[string]string{}
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if pkg, module, ok := strings.Cut(sc.Text(), " "); ok {
			modules[pkg] = module
		}
	}
	return modules, nil
}
