package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/benchtui/benchtui/internal/fsutil"
	htmlreport "github.com/benchtui/benchtui/report/html"
)

// pageOutputs are the --html and --svg flags that every command writing a report page takes.
type pageOutputs struct {
	HTML  string
	SVG   string
	Title string
}

func (o *pageOutputs) register(fs *flagSet) {
	fs.String(&o.HTML, "html", "", "write a self-contained HTML report here")
	fs.String(&o.SVG, "svg", "", "write the report's charts as SVG files into this folder")
}

func (o *pageOutputs) any() bool { return o.HTML != "" || o.SVG != "" }

// checkStdout refuses --html - where the command prints its own results on stdout: only
// the report command may write the page there.
func (o *pageOutputs) checkStdout(stdoutOK bool) error {
	if o.HTML == "-" && !stdoutOK {
		return badInput("--html -: this command prints its results on stdout; give a file name for the page")
	}
	return nil
}

// outputs are the page's outputs for the command's fsutil.PlanOutputs, which checks them
// against its inputs and each other before anything runs.
func (o *pageOutputs) outputs() []fsutil.Output {
	var out []fsutil.Output
	if o.HTML != "-" {
		out = append(out, fsutil.Output{Flag: "html", Path: o.HTML})
	}
	return append(out, fsutil.Output{Flag: "svg", Path: o.SVG, Dir: true})
}

// positionalInputs are the files a command reads from its arguments.
func positionalInputs(files []string) []fsutil.Input {
	in := make([]fsutil.Input, len(files))
	for i, f := range files {
		in[i] = fsutil.Input{Path: f}
	}
	return in
}

// write builds the page of srcs and writes what was asked for, where plan resolved it. rescue
// keeps a page that cannot be written where asked (a run's results must not be lost); the
// report command only reads files that remain, so it reports the error instead.
func (o *pageOutputs) write(srcs []*htmlreport.Source, inputs []fsutil.Input, plan *fsutil.Plan, rescue, quiet bool, stdout, stderr io.Writer) error {
	if !o.any() {
		return nil
	}
	page, err := htmlreport.Build(srcs, htmlreport.Options{Title: o.Title, Version: version})
	if err != nil {
		return usageError{err}
	}
	var errs []error
	switch {
	case o.HTML == "-":
		errs = append(errs, page.WriteHTML(stdout))
	case o.HTML != "" && rescue:
		errs = append(errs, writeOrRescue("HTML report", o.HTML, plan.Path("html"), page.WriteHTML, quiet, stderr))
	case o.HTML != "":
		if err := fsutil.WriteFile(plan.Path("html"), page.WriteHTML); err != nil {
			errs = append(errs, fmt.Errorf("HTML report %s: %w", o.HTML, err))
		} else if !quiet {
			fmt.Fprintf(stderr, "benchtui: HTML report written to %s\n", o.HTML)
		}
	}
	if o.SVG != "" {
		paths, err := page.WriteSVG(plan.Path("svg"), func(path string, content []byte) error {
			// The folder was planned; each file in it is checked too, since the folder may
			// hold an input.
			if _, err := fsutil.PlanOutputs(inputs, []fsutil.Output{{Flag: "svg", Path: path}}); err != nil {
				return err
			}
			return fsutil.WriteFile(path, func(w io.Writer) error { _, err := w.Write(content); return err })
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("SVG charts: %w", err))
		}
		if !quiet && len(paths) > 0 {
			fmt.Fprintf(stderr, "benchtui: %d SVG charts written to %s\n", len(paths), o.SVG)
		}
	}
	return errors.Join(errs...)
}

// runReport writes the HTML report (and SVG charts) of exports, reports or a sweep.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report")
	var out pageOutputs
	var quiet bool
	out.register(fs)
	fs.String(&out.Title, "title", "", "the page's title (default: from the input)")
	fs.Lookup("html").Usage = "write a self-contained HTML report here (- for stdout)"
	fs.Bool(&quiet, "quiet", false, "no lines on stderr")
	for _, a := range args {
		if isHelp(a) {
			fmt.Fprint(stdout, `Usage: benchtui report FILE.json... --html OUT.html [--svg DIR]

One file: a run (a dashboard export, a --report_json report or a trtllm-bench report) or a
sweep's sweep.json. Several files: a comparison of runs, with changes against the first.

`)
			fs.usage(stdout)
			return errHelpShown
		}
	}
	files, flags := splitArgs(args, fs)
	if err := fs.parse(flags); err != nil {
		return usageError{err}
	}
	if len(files) == 0 {
		return badInput("report takes one file or more: benchtui report FILE.json... --html OUT.html")
	}
	if !out.any() {
		return badInput("report: give --html OUT.html (or --svg DIR) for what to write")
	}
	inputs := positionalInputs(files)
	plan, err := fsutil.PlanOutputs(inputs, out.outputs())
	if err != nil {
		return usageError{err}
	}
	var srcs []*htmlreport.Source
	for _, path := range files {
		s, err := htmlreport.Load(path)
		if err != nil {
			return usageError{err}
		}
		srcs = append(srcs, s)
	}
	return out.write(srcs, inputs, plan, false, quiet, stdout, stderr)
}

// splitArgs separates positional arguments from flags (and their values), which may come in
// any order: "a.json --html x.html b.json".
func splitArgs(args []string, fs *flagSet) (positional, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return positional, flags
}
