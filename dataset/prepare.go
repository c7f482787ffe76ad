package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/internal/fsutil"
)

// DefaultVocabSize is the vocabulary prepare-dataset draws token ids from when no
// tokenizer is given.
const DefaultVocabSize = 32000

// Exit codes of PrepareDataset.
const (
	exitOK    = 0
	exitIO    = 1 // the output could not be written
	exitUsage = 2 // bad flags or values
)

// flagKind is the type of a prepare-dataset flag's value.
type flagKind int

const (
	kindString flagKind = iota
	kindInt
	kindBool
	kindIntPair // --rand-task-id MIN MAX: two separate arguments, as click's nargs=2
)

type flagSpec struct {
	name    string // canonical spelling, with dashes
	aliases []string
	kind    flagKind
	arg     string // value placeholder for the usage text
	usage   string
}

var rootFlags = []flagSpec{
	{name: "tokenizer", aliases: []string{"model"}, kind: kindString, arg: "NAME", usage: "tokenizer (model) whose vocabulary size and EOS id to use"},
	{name: "vocab-size", kind: kindInt, arg: "N", usage: fmt.Sprintf("vocabulary size when no --tokenizer is given (default %d)", DefaultVocabSize)},
	{name: "eos-id", kind: kindInt, arg: "ID", usage: "EOS id to keep out of prompts when no --tokenizer is given (default -1: none)"},
	{name: "stdout", kind: kindBool, usage: "write to standard output (the default without --output)"},
	{name: "output", kind: kindString, arg: "FILE", usage: "write to FILE"},
	{name: "format", kind: kindString, arg: "jsonl|document", usage: "output format (default jsonl)"},
	{name: "random-seed", kind: kindInt, arg: "N", usage: "random seed (default 420)"},
	{name: "task-id", kind: kindInt, arg: "ID", usage: "LoRA task id of every request (default -1: none)"},
	{name: "rand-task-id", kind: kindIntPair, arg: "MIN MAX", usage: "random LoRA task id in [MIN, MAX] per request"},
	{name: "lora-dir", kind: kindString, arg: "DIR", usage: "add lora_request {lora_name: lora_<id>, lora_path: DIR/<id>} to each request"},
	{name: "correlated-lengths", kind: kindBool, usage: "draw input and output lengths from one seed, as trtllm-bench does (ISL and OSL move together)"},
	{name: "help", aliases: []string{"h"}, kind: kindBool, usage: "show this help"},
}

var normFlags = []flagSpec{
	{name: "num-requests", kind: kindInt, arg: "N", usage: "number of requests"},
	{name: "input-mean", kind: kindInt, arg: "N", usage: "mean input length"},
	{name: "input-stdev", kind: kindInt, arg: "N", usage: "input length standard deviation"},
	{name: "output-mean", kind: kindInt, arg: "N", usage: "mean output length"},
	{name: "output-stdev", kind: kindInt, arg: "N", usage: "output length standard deviation"},
	{name: "help", aliases: []string{"h"}, kind: kindBool, usage: "show this help"},
}

var unifFlags = []flagSpec{
	{name: "num-requests", kind: kindInt, arg: "N", usage: "number of requests"},
	{name: "input-min", kind: kindInt, arg: "N", usage: "minimum input length (inclusive)"},
	{name: "input-max", kind: kindInt, arg: "N", usage: "maximum input length (inclusive)"},
	{name: "output-min", kind: kindInt, arg: "N", usage: "minimum output length (inclusive)"},
	{name: "output-max", kind: kindInt, arg: "N", usage: "maximum output length (inclusive)"},
	{name: "help", aliases: []string{"h"}, kind: kindBool, usage: "show this help"},
}

// flagValues holds parsed flags by canonical name. Ints and pairs are parsed already.
type flagValues struct {
	str  map[string]string
	num  map[string]int64
	pair map[string][2]int64
	set  map[string]bool
}

func (v *flagValues) has(name string) bool { return v.set[name] }

// lookupFlag finds a flag by any spelling: "--num_requests", "--num-requests" and
// "-num-requests" all name num-requests.
func lookupFlag(specs []flagSpec, name string) *flagSpec {
	name = strings.ReplaceAll(name, "_", "-")
	for i := range specs {
		if specs[i].name == name {
			return &specs[i]
		}
		for _, a := range specs[i].aliases {
			if a == name {
				return &specs[i]
			}
		}
	}
	return nil
}

// parseFlags parses flags from args until the first argument that is not a flag, which it
// returns with the rest. level names the command for messages; other lists the flags of the
// other level, to say where a misplaced flag belongs.
func parseFlags(args []string, specs []flagSpec, level string, other func(string) string) (*flagValues, []string, error) {
	v := &flagValues{str: map[string]string{}, num: map[string]int64{}, pair: map[string][2]int64{}, set: map[string]bool{}}
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return v, args[1:], nil
		}
		if len(a) < 2 || a[0] != '-' {
			return v, args, nil
		}
		args = args[1:]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		spec := lookupFlag(specs, name)
		if spec == nil {
			if hint := other(name); hint != "" {
				return nil, nil, errors.New(hint)
			}
			return nil, nil, fmt.Errorf("%s: unknown flag %s", level, a)
		}
		flag := "--" + spec.name
		v.set[spec.name] = true
		switch spec.kind {
		case kindBool:
			if !hasValue {
				value = "true"
			}
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s takes no value or true/false, got %q", level, flag, value)
			}
			if b {
				v.str[spec.name] = "true"
			} else {
				delete(v.str, spec.name)
				delete(v.set, spec.name)
			}
			continue
		case kindIntPair:
			if hasValue || len(args) < 2 {
				return nil, nil, fmt.Errorf("%s: %s takes two values: %s MIN MAX", level, flag, flag)
			}
			lo, err1 := strconv.ParseInt(args[0], 10, 64)
			hi, err2 := strconv.ParseInt(args[1], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, nil, fmt.Errorf("%s: %s takes two integers, got %q %q", level, flag, args[0], args[1])
			}
			v.pair[spec.name] = [2]int64{lo, hi}
			args = args[2:]
			continue
		}
		if !hasValue {
			if len(args) == 0 {
				return nil, nil, fmt.Errorf("%s: %s needs a value", level, flag)
			}
			value, args = args[0], args[1:]
		}
		if spec.kind == kindInt {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s takes an integer, got %q", level, flag, value)
			}
			v.num[spec.name] = n
		}
		v.str[spec.name] = value
	}
	return v, nil, nil
}

// PrepareDataset implements the prepare-dataset command, prepare_dataset.py's root options
// and its token-norm-dist and token-unif-dist subcommands:
//
//	prepare-dataset [--tokenizer T | --vocab-size N] [--stdout | --output F] [--random-seed 420]
//	    [--task-id ID | --rand-task-id MIN MAX] [--lora-dir DIR] [--correlated-lengths]
//	    [--format jsonl|document] token-norm-dist|token-unif-dist SUBCOMMAND-OPTIONS
//
// Every flag is accepted with dashes or underscores (--num-requests, --num_requests). vocab
// is called only when --tokenizer is given and returns its vocabulary size and EOS id.
// Without --output the set goes to stdout. It returns 0 on success, 2 for bad usage or input
// (with one line on stderr) and 1 when the output cannot be written.
func PrepareDataset(args []string, stdout, stderr io.Writer, vocab func(tokenizer string) (vocabSize int, eos int32, err error)) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "prepare-dataset: %v\n", err)
		return code
	}
	usage := func(err error) int {
		fmt.Fprintf(stderr, "prepare-dataset: %v (see prepare-dataset --help)\n", err)
		return exitUsage
	}

	root, rest, err := parseFlags(args, rootFlags, "prepare-dataset", func(name string) string {
		var subs []string
		canonical := ""
		for _, sc := range []struct {
			name  string
			specs []flagSpec
		}{{WorkloadNormal, normFlags}, {WorkloadUniform, unifFlags}} {
			if s := lookupFlag(sc.specs, name); s != nil && s.name != "help" {
				subs, canonical = append(subs, sc.name), s.name
			}
		}
		if len(subs) == 0 {
			return ""
		}
		return fmt.Sprintf("--%s is an option of the subcommand: put it after %s", canonical, strings.Join(subs, " or "))
	})
	if err != nil {
		return usage(err)
	}
	if root.has("help") {
		printPrepareUsage(stdout)
		return exitOK
	}
	if len(rest) == 0 {
		return usage(errors.New("missing subcommand: token-norm-dist or token-unif-dist"))
	}
	sub := strings.ReplaceAll(rest[0], "_", "-")
	var subSpecs []flagSpec
	switch sub {
	case WorkloadNormal:
		subSpecs = normFlags
	case WorkloadUniform:
		subSpecs = unifFlags
	default:
		return usage(fmt.Errorf("unknown subcommand %q: use token-norm-dist or token-unif-dist", rest[0]))
	}
	sf, extra, err := parseFlags(rest[1:], subSpecs, sub, func(name string) string {
		if s := lookupFlag(rootFlags, name); s != nil && s.name != "help" {
			return fmt.Sprintf("--%s is a root option: put it before %s", s.name, sub)
		}
		return ""
	})
	if err != nil {
		return usage(err)
	}
	if sf.has("help") {
		printSubUsage(stdout, sub, subSpecs)
		return exitOK
	}
	if len(extra) > 0 {
		return usage(fmt.Errorf("%s: unexpected argument %q", sub, extra[0]))
	}
	for _, s := range subSpecs {
		if s.name != "help" && !sf.has(s.name) {
			return usage(fmt.Errorf("%s: --%s is required", sub, s.name))
		}
	}

	// Root options.
	format := FormatJSONL
	if root.has("format") {
		format = root.str["format"]
		if format != FormatJSONL && format != FormatDocument {
			return usage(fmt.Errorf("--format %q: use jsonl or document", format))
		}
	}
	if root.has("stdout") && root.has("output") {
		return usage(errors.New("--stdout and --output are exclusive"))
	}
	if root.has("output") && root.str["output"] == "" {
		return usage(errors.New("--output needs a file name"))
	}
	if root.has("output") {
		// Checked and resolved before anything is generated: not the tokenizer's file,
		// and a folder that can take it (created, as prepare_dataset.py does).
		out := root.str["output"]
		if err := os.MkdirAll(filepath.Dir(out), 0o777); err != nil {
			return fail(exitUsage, fmt.Errorf("--output %s: cannot create its folder: %v", out, errors.Unwrap(err)))
		}
		plan, err := fsutil.PlanOutputs([]fsutil.Input{{Flag: "tokenizer", Path: root.str["tokenizer"]}},
			[]fsutil.Output{{Flag: "output", Path: out}})
		if err != nil {
			return fail(exitUsage, err)
		}
		root.str["output"] = plan.Path("output")
	}
	g := GenerateOptions{
		VocabSize: DefaultVocabSize,
		EOS:       -1,
		Seed:      420,
		LoRADir:   root.str["lora-dir"],
	}
	if root.has("random-seed") {
		g.Seed = uint64(root.num["random-seed"])
	}
	if tok := root.str["tokenizer"]; tok != "" {
		if root.has("vocab-size") || root.has("eos-id") {
			return usage(errors.New("--vocab-size and --eos-id are for use without --tokenizer, which gives both"))
		}
		if vocab == nil {
			return usage(fmt.Errorf("--tokenizer %s: no tokenizer support in this build; use --vocab-size", tok))
		}
		n, eos, err := vocab(tok)
		if err != nil {
			return fail(exitUsage, fmt.Errorf("tokenizer %s: %w", tok, err))
		}
		g.VocabSize, g.EOS = n, eos
	} else {
		if root.has("vocab-size") {
			n := root.num["vocab-size"]
			if n < 1 || n > 1<<31-1 {
				return usage(fmt.Errorf("--vocab-size %d is out of range", n))
			}
			g.VocabSize = int(n)
		}
		if root.has("eos-id") {
			e := root.num["eos-id"]
			if e < -1 || e >= int64(g.VocabSize) {
				return usage(fmt.Errorf("--eos-id %d is outside the vocabulary [0, %d) (use -1 for none)", e, g.VocabSize))
			}
			g.EOS = int32(e)
		}
	}
	switch {
	case root.has("rand-task-id"):
		p := root.pair["rand-task-id"]
		g.TaskIDs, g.TaskIDMin, g.TaskIDMax = RandomTaskID, p[0], p[1]
		if p[0] > p[1] {
			return usage(fmt.Errorf("--rand-task-id %d %d: MIN is above MAX", p[0], p[1]))
		}
	case root.has("task-id") && root.num["task-id"] != -1:
		g.TaskIDs, g.TaskID = FixedTaskID, root.num["task-id"]
	}
	if g.TaskIDs != NoTaskID && g.LoRADir == "" {
		// prepare_dataset.py warns and carries on without adapters; so do we.
		fmt.Fprintln(stderr, "prepare-dataset: warning: task ids select LoRA adapters and need --lora-dir; ignoring them")
		g.TaskIDs = NoTaskID
	}
	if g.LoRADir != "" && g.TaskIDs == NoTaskID {
		return usage(errors.New("--lora-dir needs --task-id or --rand-task-id to pick each request's adapter"))
	}
	g.CorrelatedLengths = root.has("correlated-lengths")

	// Subcommand options.
	n := sf.num["num-requests"]
	if n < 1 || n > 1<<31-1 {
		return usage(fmt.Errorf("%s: --num-requests %d: it must be at least 1", sub, n))
	}
	g.NumRequests = int(n)
	ints := make(map[string]int, len(subSpecs))
	for _, s := range subSpecs {
		v := sf.num[s.name]
		if v < -(1<<31) || v > 1<<31-1 {
			return usage(fmt.Errorf("%s: --%s %d is out of range", sub, s.name, v))
		}
		ints[s.name] = int(v)
	}
	var reqs []Request
	var meta Metadata
	if sub == WorkloadNormal {
		reqs, meta, err = GenerateNormal(NormalOptions{GenerateOptions: g,
			InputMean: ints["input-mean"], InputStdev: ints["input-stdev"],
			OutputMean: ints["output-mean"], OutputStdev: ints["output-stdev"]})
	} else {
		reqs, meta, err = GenerateUniform(UniformOptions{GenerateOptions: g,
			InputMin: ints["input-min"], InputMax: ints["input-max"],
			OutputMin: ints["output-min"], OutputMax: ints["output-max"]})
	}
	if err != nil {
		return usage(err)
	}
	if format == FormatDocument {
		// In the document form task_id is the LoRA task id, -1 for none, as
		// prepare_dataset.py writes it; the request's index is implicit in its position.
		for i := range reqs {
			reqs[i].TaskID = -1
			if reqs[i].LoRA != nil {
				reqs[i].TaskID = reqs[i].LoRA.IntID
			}
		}
	}

	write := func(w io.Writer) error {
		if format == FormatDocument {
			return WriteDocument(w, meta, reqs)
		}
		return WriteJSONL(w, reqs)
	}
	if !root.has("output") {
		err := write(stdout)
		if err == nil && format == FormatDocument {
			_, err = io.WriteString(stdout, "\n") // end the line on a terminal
		}
		if err != nil {
			return fail(exitIO, err)
		}
		return exitOK
	}
	if err := fsutil.WriteFile(root.str["output"], write); err != nil {
		return fail(exitIO, err)
	}
	return exitOK
}

func printFlags(w io.Writer, specs []flagSpec) {
	for _, s := range specs {
		name := "--" + s.name
		for _, a := range s.aliases {
			if len(a) == 1 {
				name = "-" + a + ", " + name
			} else {
				name += ", --" + a
			}
		}
		if s.arg != "" {
			name += " " + s.arg
		}
		fmt.Fprintf(w, "  %-34s %s\n", name, s.usage)
	}
}

func printPrepareUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: prepare-dataset [options] token-norm-dist|token-unif-dist [subcommand options]

Generates a synthetic request set in trtllm-bench's formats. Flags may be spelled with
dashes or underscores (--num-requests, --num_requests).

Options:
`)
	printFlags(w, rootFlags)
	fmt.Fprint(w, "\ntoken-norm-dist options (lengths max(1, ceil(normal(mean, stdev)))):\n")
	printFlags(w, normFlags[:len(normFlags)-1])
	fmt.Fprint(w, "\ntoken-unif-dist options (lengths uniform, inclusive):\n")
	printFlags(w, unifFlags[:len(unifFlags)-1])
}

func printSubUsage(w io.Writer, sub string, specs []flagSpec) {
	fmt.Fprintf(w, "Usage: prepare-dataset [options] %s [options]\n\nOptions:\n", sub)
	printFlags(w, specs)
}
