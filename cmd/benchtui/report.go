package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/benchtui/benchtui/engine"
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

// check refuses outputs that would replace an input or cannot be written, before anything
// slow starts. Only the report command may write the page to stdout: the others print
// their own results there.
func (o *pageOutputs) check(inputs []string, stdoutOK bool) error {
	if o.HTML == "-" && !stdoutOK {
		return badInput("--html -: this command prints its results on stdout; give a file name for the page")
	}
	if o.HTML != "" && o.HTML != "-" {
		if err := notAnInput("--html", o.HTML, inputs); err != nil {
			return err
		}
		if err := canWrite("--html", o.HTML); err != nil {
			return err
		}
	}
	if o.SVG != "" {
		if st, err := os.Stat(o.SVG); err == nil && !st.IsDir() {
			return badInput("--svg %s is a file: give a folder for the charts", o.SVG)
		}
		if err := os.MkdirAll(o.SVG, 0o755); err != nil {
			return badInput("--svg %s: %v", o.SVG, errors.Unwrap(err))
		}
	}
	return nil
}

// notAnInput refuses an output path that is one of the input files.
func notAnInput(flag, out string, inputs []string) error {
	ost, err := os.Stat(out)
	if err != nil {
		return nil
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(ost, ist) {
			return badInput("%s %s is an input file: give another name for the report", flag, out)
		}
	}
	return nil
}

// canWrite checks that a file can be created in out's folder.
func canWrite(flag, out string) error {
	probe, err := os.CreateTemp(filepath.Dir(out), ".benchtui-probe-*")
	if err != nil {
		return badInput("%s %s: cannot write there: %v", flag, out, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// write builds the page of srcs and writes what was asked for. rescue keeps a page that
// cannot be written where asked (a run's results must not be lost); the report command
// only reads files that remain, so it reports the error instead.
func (o *pageOutputs) write(srcs []*htmlreport.Source, inputs []string, rescue, quiet bool, stdout, stderr io.Writer) error {
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
	case o.HTML != "":
		if err := notAnInput("--html", o.HTML, inputs); err != nil {
			return err
		}
		if rescue {
			errs = append(errs, writeOrRescue("HTML report", o.HTML, page.WriteHTML, quiet, stderr))
		} else if err := engine.WriteFileAtomic(o.HTML, page.WriteHTML); err != nil {
			errs = append(errs, fmt.Errorf("HTML report: %w", err))
		} else if !quiet {
			fmt.Fprintf(stderr, "benchtui: HTML report written to %s\n", o.HTML)
		}
	}
	if o.SVG != "" {
		paths, err := page.WriteSVG(o.SVG, func(path string, content []byte) error {
			if err := notAnInput("--svg", path, inputs); err != nil {
				return err
			}
			return engine.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(content); return err })
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
	if err := out.check(files, true); err != nil {
		return err
	}
	var srcs []*htmlreport.Source
	for _, path := range files {
		s, err := htmlreport.Load(path)
		if err != nil {
			return usageError{err}
		}
		srcs = append(srcs, s)
	}
	return out.write(srcs, files, false, quiet, stdout, stderr)
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
