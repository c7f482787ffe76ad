package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// flagSet wraps flag.FlagSet so that every flag answers to trtllm-bench's underscore spelling
// and to the dash spelling (--max_batch_size and --max-batch-size), and remembers which flags
// the user set (so that a config file fills only the rest).
type flagSet struct {
	*flag.FlagSet
	names   map[string]string // any spelling -> canonical (underscore) name
	aliases map[string][]string
	kinds   map[string]string // canonical name -> what its value is, for messages
	order   []string
}

func newFlagSet(name string) *flagSet {
	fs := &flagSet{
		FlagSet: flag.NewFlagSet(name, flag.ContinueOnError),
		names:   map[string]string{},
		aliases: map[string][]string{},
		kinds:   map[string]string{},
	}
	fs.SetOutput(io.Discard)
	return fs
}

func (fs *flagSet) spellings(name string, aliases []string) []string {
	all := []string{name}
	if d := strings.ReplaceAll(name, "_", "-"); d != name {
		all = append(all, d)
	}
	for _, a := range aliases {
		all = append(all, a)
		if d := strings.ReplaceAll(a, "_", "-"); d != a {
			all = append(all, d)
		}
	}
	fs.order = append(fs.order, name)
	fs.aliases[name] = aliases
	for _, s := range all {
		fs.names[s] = name
	}
	return all
}

func (fs *flagSet) Int(p *int, name string, def int, usage string, aliases ...string) {
	*p = def
	fs.kinds[name] = "an integer"
	for _, s := range fs.spellings(name, aliases) {
		fs.IntVar(p, s, def, usage)
	}
}

func (fs *flagSet) Uint64(p *uint64, name string, def uint64, usage string, aliases ...string) {
	*p = def
	fs.kinds[name] = "an integer of 0 or more"
	for _, s := range fs.spellings(name, aliases) {
		fs.Uint64Var(p, s, def, usage)
	}
}

func (fs *flagSet) Float(p *float64, name string, def float64, usage string, aliases ...string) {
	*p = def
	fs.kinds[name] = "a number"
	for _, s := range fs.spellings(name, aliases) {
		fs.Float64Var(p, s, def, usage)
	}
}

func (fs *flagSet) String(p *string, name string, def string, usage string, aliases ...string) {
	*p = def
	for _, s := range fs.spellings(name, aliases) {
		fs.StringVar(p, s, def, usage)
	}
}

func (fs *flagSet) Bool(p *bool, name string, def bool, usage string, aliases ...string) {
	*p = def
	fs.kinds[name] = "no value or true/false"
	for _, s := range fs.spellings(name, aliases) {
		fs.BoolVar(p, s, def, usage)
	}
}

// Value registers a flag of any type; kind says what its value is ("two integers").
func (fs *flagSet) Value(v flag.Value, name, kind, usage string, aliases ...string) {
	fs.kinds[name] = kind
	for _, s := range fs.spellings(name, aliases) {
		fs.Var(v, s, usage)
	}
}

// setFlags returns the canonical names of the flags given on the command line.
func (fs *flagSet) setFlags() map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[fs.names[f.Name]] = true })
	return set
}

// parse parses args; errors come back as one line naming the flag.
func (fs *flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		return fs.explain(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (flags start with --)", fs.Name(), fs.Arg(0))
	}
	return nil
}

// unknownFlag is the name of the flag in a "not defined" error of the flag package.
func unknownFlag(err error) (string, bool) {
	return strings.CutPrefix(err.Error(), "flag provided but not defined: -")
}

// explain rewrites the flag package's errors as one line that says what the flag takes.
func (fs *flagSet) explain(err error) error {
	msg := err.Error()
	if name, ok := unknownFlag(err); ok {
		return fmt.Errorf("%s: unknown flag --%s (see benchtui %s --help)", fs.Name(), name, fs.Name())
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("%s: --%s needs a value", fs.Name(), fs.names[name])
	}
	// invalid value "x" for flag -name: parse error; invalid boolean value "x" for -name: ...
	if i := strings.Index(msg, " for flag -"); i > 0 || strings.HasPrefix(msg, "invalid boolean value ") {
		value, rest, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(msg, "invalid boolean value "), "invalid value "), " for ")
		name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(rest, "flag "), "-"), ":")
		canonical := fs.names[name]
		if _, why, ok := strings.Cut(rest, ": "); ok && why != "parse error" && !strings.HasPrefix(why, "strconv.") {
			return fmt.Errorf("%s: --%s %s", fs.Name(), canonical, why) // a flag.Value's own words
		}
		return fmt.Errorf("%s: --%s takes %s, got %s", fs.Name(), canonical, fs.kinds[canonical], value)
	}
	return fmt.Errorf("%s: %s", fs.Name(), msg)
}

// usage writes the flags once each, in the underscore spelling, with their aliases.
func (fs *flagSet) usage(w io.Writer) {
	names := append([]string(nil), fs.order...)
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		head := "  --" + n
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
			head += " " + typeName(f)
		}
		for _, a := range fs.aliases[n] {
			head += ", --" + a
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n        %s%s\n", head, f.Usage, def)
	}
	fmt.Fprintln(w, "  Dash spellings (--max-batch-size) work too.")
}

func typeName(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	if name == "" {
		return "value"
	}
	return name
}
