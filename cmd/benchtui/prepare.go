package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/synth"
)

// defaultVocabSize is the vocabulary prepare-dataset draws token ids from when no tokenizer is
// given.
const defaultVocabSize = 32000

// prepareFlags are prepare_dataset.py's root options.
type prepareFlags struct {
	Tokenizer  string
	VocabSize  int
	EOSID      int
	Stdout     bool
	Output     string
	Format     string
	Seed       uint64
	TaskID     int
	RandTaskID idPair
	LoRADir    string
	Correlated bool
}

// idPair is --rand-task-id MIN MAX, two arguments as click's nargs=2 takes them; the command
// line is rewritten to --rand_task_id=MIN,MAX before parsing (see joinPairs).
type idPair struct {
	set      bool
	min, max int64
}

func (p *idPair) String() string { return "" }

func (p *idPair) Set(v string) error {
	a, b, ok := strings.Cut(v, ",")
	if !ok || strings.Contains(v, " ") {
		return errors.New("takes two values: --rand-task-id MIN MAX")
	}
	lo, err1 := strconv.ParseInt(a, 10, 64)
	hi, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("takes two integers, got %q %q", a, b)
	}
	p.set, p.min, p.max = true, lo, hi
	return nil
}

func newPrepareFlags() (*flagSet, *prepareFlags) {
	f := &prepareFlags{}
	fs := newFlagSet("prepare-dataset")
	fs.String(&f.Tokenizer, "tokenizer", "", "tokenizer (model: a preset, a Hugging Face id, a model folder or config.json, or a GGUF file) whose vocabulary size and EOS id to use", "model")
	fs.Int(&f.VocabSize, "vocab_size", defaultVocabSize, "vocabulary size when no --tokenizer is given")
	fs.Int(&f.EOSID, "eos_id", -1, "EOS id to keep out of prompts when no --tokenizer is given (-1: none)")
	fs.Bool(&f.Stdout, "stdout", false, "write to standard output (the default without --output)")
	fs.String(&f.Output, "output", "", "write to this file (its folders are created)")
	fs.String(&f.Format, "format", dataset.FormatJSONL, "output format: jsonl or document")
	fs.Uint64(&f.Seed, "random_seed", 420, "random seed")
	fs.Int(&f.TaskID, "task_id", -1, "LoRA task id of every request (-1: none)")
	fs.Value(&f.RandTaskID, "rand_task_id", "two integers, MIN MAX", "random LoRA task id in [MIN, MAX] per request: --rand-task-id MIN MAX")
	fs.String(&f.LoRADir, "lora_dir", "", "add lora_request {lora_name: lora_<id>, lora_path: DIR/<id>} to each request")
	fs.Bool(&f.Correlated, "correlated_lengths", false, "draw input and output lengths from one seed, as trtllm-bench does (ISL and OSL move together)")
	return fs, f
}

// The subcommands' options, all required.
var prepareSubs = map[string][]struct{ name, usage string }{
	dataset.WorkloadNormal: {
		{"num_requests", "number of requests"}, {"input_mean", "mean input length"}, {"input_stdev", "input length standard deviation"},
		{"output_mean", "mean output length"}, {"output_stdev", "output length standard deviation"},
	},
	dataset.WorkloadUniform: {
		{"num_requests", "number of requests"}, {"input_min", "minimum input length (inclusive)"}, {"input_max", "maximum input length (inclusive)"},
		{"output_min", "minimum output length (inclusive)"}, {"output_max", "maximum output length (inclusive)"},
	},
}

func newSubFlags(sub string) (*flagSet, map[string]*int) {
	fs := newFlagSet("prepare-dataset " + sub)
	vals := map[string]*int{}
	for _, o := range prepareSubs[sub] {
		v := new(int)
		fs.Int(v, o.name, 0, o.usage)
		vals[o.name] = v
	}
	return fs, vals
}

// joinPairs rewrites --rand-task-id MIN MAX as --rand_task_id=MIN,MAX, which the flag package
// can parse; --rand-task-id=... stays as it is and is refused (it takes two arguments).
func joinPairs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		name := strings.ReplaceAll(strings.TrimLeft(args[i], "-"), "-", "_")
		if strings.HasPrefix(args[i], "-") && name == "rand_task_id" && i+2 < len(args) {
			out = append(out, "--rand_task_id="+args[i+1]+","+args[i+2])
			i += 2
			continue
		}
		if strings.HasPrefix(args[i], "-") && strings.HasPrefix(name, "rand_task_id=") {
			out = append(out, "--rand_task_id="+strings.ReplaceAll(strings.TrimPrefix(name, "rand_task_id="), ",", " "))
			continue
		}
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		out = append(out, args[i])
	}
	return out
}

// runPrepareDataset is prepare_dataset.py's equivalent:
//
//	prepare-dataset [--tokenizer T | --vocab-size N] [--stdout | --output F] [--random-seed 420]
//	    [--task-id ID | --rand-task-id MIN MAX] [--lora-dir DIR] [--correlated-lengths]
//	    [--format jsonl|document] token-norm-dist|token-unif-dist SUBCOMMAND-OPTIONS
//
// --tokenizer names a preset, a Hugging Face id, a model folder or config.json, or a GGUF
// file, whose vocabulary size and EOS id shape the generated tokens. Without --output the set
// goes to stdout.
func runPrepareDataset(args []string, stdout, stderr io.Writer) error {
	fs, f := newPrepareFlags()
	args = joinPairs(args)
	bad := func(format string, a ...any) error {
		return badInput("prepare-dataset: "+format+" (see benchtui prepare-dataset --help)", a...)
	}
	if err := fs.FlagSet.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printPrepareUsage(stdout, fs)
			return errHelpShown
		}
		if name, ok := unknownFlag(err); ok {
			if subs := subsOf(name); len(subs) > 0 {
				return bad("--%s is an option of the subcommand: put it after %s", strings.ReplaceAll(name, "_", "-"), strings.Join(subs, " or "))
			}
		}
		return usageError{prefixed(fs.explain(err))}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return bad("missing subcommand: %s or %s", dataset.WorkloadNormal, dataset.WorkloadUniform)
	}
	sub := strings.ReplaceAll(rest[0], "_", "-")
	if _, ok := prepareSubs[sub]; !ok {
		return bad("unknown subcommand %q: use %s or %s", rest[0], dataset.WorkloadNormal, dataset.WorkloadUniform)
	}
	sfs, vals := newSubFlags(sub)
	if err := sfs.FlagSet.Parse(rest[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: benchtui prepare-dataset [options] %s [options]\n\nOptions:\n", sub)
			sfs.usage(stdout)
			return errHelpShown
		}
		if name, ok := unknownFlag(err); ok && fs.Lookup(name) != nil {
			return bad("--%s is a root option: put it before %s", strings.ReplaceAll(fs.names[name], "_", "-"), sub)
		}
		return usageError{prefixed(sfs.explain(err))}
	}
	if sfs.NArg() > 0 {
		return bad("%s: unexpected argument %q", sub, sfs.Arg(0))
	}
	set := sfs.setFlags()
	for _, o := range prepareSubs[sub] {
		if !set[o.name] {
			return bad("%s: --%s is required", sub, strings.ReplaceAll(o.name, "_", "-"))
		}
	}
	root := fs.setFlags()
	g, err := prepareOptions(f, root, stderr)
	if err != nil {
		return err
	}
	if root["output"] {
		// Checked and resolved before anything is generated: not the tokenizer's file, and
		// a folder that can take it (created, as prepare_dataset.py does).
		if err := os.MkdirAll(filepath.Dir(f.Output), 0o777); err != nil {
			return badInput("prepare-dataset: --output %s: cannot create its folder: %v", f.Output, pathless(err))
		}
		plan, err := fsutil.PlanOutputs([]fsutil.Input{{Flag: "tokenizer", Path: f.Tokenizer}},
			[]fsutil.Output{{Flag: "output", Path: f.Output}})
		if err != nil {
			return usageError{fmt.Errorf("prepare-dataset: %w", err)}
		}
		f.Output = plan.Path("output")
	}
	n := *vals["num_requests"]
	if n < 1 || n > 1<<31-1 {
		return bad("%s: --num-requests %d: it must be at least 1", sub, n)
	}
	g.NumRequests = n
	var reqs []dataset.Request
	var meta dataset.Metadata
	if sub == dataset.WorkloadNormal {
		reqs, meta, err = dataset.GenerateNormal(dataset.NormalOptions{GenerateOptions: g,
			InputMean: *vals["input_mean"], InputStdev: *vals["input_stdev"],
			OutputMean: *vals["output_mean"], OutputStdev: *vals["output_stdev"]})
	} else {
		reqs, meta, err = dataset.GenerateUniform(dataset.UniformOptions{GenerateOptions: g,
			InputMin: *vals["input_min"], InputMax: *vals["input_max"],
			OutputMin: *vals["output_min"], OutputMax: *vals["output_max"]})
	}
	if err != nil {
		return bad("%v", err)
	}
	if f.Format == dataset.FormatDocument {
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
		if f.Format == dataset.FormatDocument {
			return dataset.WriteDocument(w, meta, reqs)
		}
		return dataset.WriteJSONL(w, reqs)
	}
	if !root["output"] {
		err := write(stdout)
		if err == nil && f.Format == dataset.FormatDocument {
			_, err = io.WriteString(stdout, "\n") // end the line on a terminal
		}
		return err
	}
	return fsutil.WriteFile(f.Output, write)
}

// prepareOptions checks the root options and turns them into the generator's.
func prepareOptions(f *prepareFlags, set map[string]bool, stderr io.Writer) (dataset.GenerateOptions, error) {
	bad := func(format string, a ...any) (dataset.GenerateOptions, error) {
		return dataset.GenerateOptions{}, badInput("prepare-dataset: "+format, a...)
	}
	switch {
	case f.Format != dataset.FormatJSONL && f.Format != dataset.FormatDocument:
		return bad("--format %q: use jsonl or document", f.Format)
	case f.Stdout && set["output"]:
		return bad("--stdout and --output are exclusive")
	case set["output"] && f.Output == "":
		return bad("--output needs a file name")
	}
	g := dataset.GenerateOptions{VocabSize: defaultVocabSize, EOS: -1, Seed: f.Seed, LoRADir: f.LoRADir,
		CorrelatedLengths: f.Correlated}
	if f.Tokenizer != "" {
		if set["vocab_size"] || set["eos_id"] {
			return bad("--vocab-size and --eos-id are for use without --tokenizer, which gives both")
		}
		n, eos, err := vocabOf(f.Tokenizer, stderr)
		if err != nil {
			return bad("--tokenizer %s: %v", f.Tokenizer, err)
		}
		g.VocabSize, g.EOS = n, eos
	} else {
		if f.VocabSize < 1 || f.VocabSize > 1<<31-1 {
			return bad("--vocab-size %d is out of range: give a vocabulary size of 1 or more", f.VocabSize)
		}
		g.VocabSize = f.VocabSize
		if f.EOSID < -1 || f.EOSID >= g.VocabSize {
			return bad("--eos-id %d is outside the vocabulary [0, %d) (use -1 for none)", f.EOSID, g.VocabSize)
		}
		g.EOS = int32(f.EOSID)
	}
	switch p := f.RandTaskID; {
	case p.set && p.min > p.max:
		return bad("--rand-task-id %d %d: MIN is above MAX", p.min, p.max)
	case p.set:
		g.TaskIDs, g.TaskIDMin, g.TaskIDMax = dataset.RandomTaskID, p.min, p.max
	case f.TaskID != -1:
		g.TaskIDs, g.TaskID = dataset.FixedTaskID, int64(f.TaskID)
	}
	if g.TaskIDs != dataset.NoTaskID && g.LoRADir == "" {
		// prepare_dataset.py warns and carries on without adapters; so does this.
		fmt.Fprintln(stderr, "benchtui: prepare-dataset: warning: task ids select LoRA adapters and need --lora-dir; ignoring them")
		g.TaskIDs = dataset.NoTaskID
	}
	if g.LoRADir != "" && g.TaskIDs == dataset.NoTaskID {
		return bad("--lora-dir needs --task-id or --rand-task-id to pick each request's adapter")
	}
	return g, nil
}

// prefixed makes an error of the flag package's start with "prepare-dataset: ", as the
// command's other errors do.
func prefixed(err error) error {
	if strings.HasPrefix(err.Error(), "prepare-dataset") {
		return err
	}
	return fmt.Errorf("prepare-dataset: %w", err)
}

// subsOf lists the subcommands that have an option of this name.
func subsOf(name string) []string {
	var subs []string
	name = strings.ReplaceAll(name, "-", "_")
	for _, sub := range []string{dataset.WorkloadNormal, dataset.WorkloadUniform} {
		for _, o := range prepareSubs[sub] {
			if o.name == name {
				subs = append(subs, sub)
			}
		}
	}
	return subs
}

func printPrepareUsage(w io.Writer, fs *flagSet) {
	fmt.Fprint(w, `Usage: benchtui prepare-dataset [options] token-norm-dist|token-unif-dist [subcommand options]

Generates a synthetic request set in trtllm-bench's formats, as prepare_dataset.py does.

Options:
`)
	fs.usage(w)
	for _, sub := range []string{dataset.WorkloadNormal, dataset.WorkloadUniform} {
		sfs, _ := newSubFlags(sub)
		fmt.Fprintf(w, "\n%s options (all required):\n", sub)
		sfs.usage(w)
	}
}

// vocabOf loads only the vocabulary of a model. For a synthetic one it is known without
// writing anything: the vocabulary of the model's shape, with benchtui's special tokens, the
// one the synthetic model benchmarked under the same name has. It says so on stderr when the
// name was a Hugging Face id, a folder or a config.json.
func vocabOf(spec string, stderr io.Writer) (int, int32, error) {
	m, err := synth.ParseModel(spec)
	if err != nil {
		return 0, 0, err
	}
	if !m.IsFile() {
		p, err := m.Architecture()
		if err != nil {
			return 0, 0, err
		}
		if m.Name != "" {
			fmt.Fprintf(stderr, "benchtui: prepare-dataset: tokenizer %s: the synthetic vocabulary of model %s (%d tokens, EOS id %d), the one benchtui benchmarks under that name\n",
				m.Name, m.Preset, p.Vocab, synth.EOSTokenID)
		}
		return p.Vocab, synth.EOSTokenID, nil
	}
	b, err := llamacpp.Open(context.Background(), llamacpp.Options{ModelPath: m.Path, VocabOnly: true}, nil)
	if err != nil {
		return 0, 0, err
	}
	defer b.Close()
	info := b.Info()
	return info.NVocab, info.EOS, nil
}
