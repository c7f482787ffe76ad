package dataset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Workload types, as in the document form's metadata.
const (
	WorkloadNormal  = "token-norm-dist"
	WorkloadUniform = "token-unif-dist"
)

// Metadata is the document form's "metadata" object. Which of the distribution fields
// apply depends on WorkloadType: mean and stdev for token-norm-dist, min and max for
// token-unif-dist.
type Metadata struct {
	WorkloadType string `json:"workload_type"`
	InputMean    int    `json:"input_mean"`
	InputStdev   int    `json:"input_stdev"`
	OutputMean   int    `json:"output_mean"`
	OutputStdev  int    `json:"output_stdev"`
	InputMin     int    `json:"input_min"`
	InputMax     int    `json:"input_max"`
	OutputMin    int    `json:"output_min"`
	OutputMax    int    `json:"output_max"`
	NumRequests  int    `json:"num_requests"`
	VocabSize    int    `json:"tokenize_vocabsize"`
	MaxInputLen  int    `json:"max_input_len"`
	MaxOutputLen int    `json:"max_output_len"`
	// WorkloadName is what prepare_dataset.py derives from the other fields
	// ("workload_type:token-norm-dist__input_mean:128__..."); Name computes it when empty.
	WorkloadName string `json:"workload_name"`
}

// metaField is one metadata entry, in prepare_dataset.py's order.
type metaField struct {
	key string
	str string // for workload_type
	num int
	isS bool
}

// fields lists the metadata entries that prepare_dataset.py writes for the workload type,
// in its order, without workload_name.
func (m *Metadata) fields() []metaField {
	f := []metaField{{key: "workload_type", str: m.WorkloadType, isS: true}}
	switch m.WorkloadType {
	case WorkloadNormal:
		f = append(f,
			metaField{key: "input_mean", num: m.InputMean},
			metaField{key: "input_stdev", num: m.InputStdev},
			metaField{key: "output_mean", num: m.OutputMean},
			metaField{key: "output_stdev", num: m.OutputStdev})
	case WorkloadUniform:
		f = append(f,
			metaField{key: "input_min", num: m.InputMin},
			metaField{key: "input_max", num: m.InputMax},
			metaField{key: "output_min", num: m.OutputMin},
			metaField{key: "output_max", num: m.OutputMax})
	}
	return append(f,
		metaField{key: "num_requests", num: m.NumRequests},
		metaField{key: "tokenize_vocabsize", num: m.VocabSize},
		metaField{key: "max_input_len", num: m.MaxInputLen},
		metaField{key: "max_output_len", num: m.MaxOutputLen})
}

// Name is WorkloadName, or when that is empty the name prepare_dataset.py gives the
// workload: its metadata entries as key:value joined by "__".
func (m *Metadata) Name() string {
	if m.WorkloadName != "" {
		return m.WorkloadName
	}
	var b strings.Builder
	for i, f := range m.fields() {
		if i > 0 {
			b.WriteString("__")
		}
		b.WriteString(f.key)
		b.WriteByte(':')
		if f.isS {
			b.WriteString(f.str)
		} else {
			b.WriteString(strconv.Itoa(f.num))
		}
	}
	return b.String()
}

// TaskIDMode says which LoRA task id each generated request gets.
type TaskIDMode int

const (
	// NoTaskID gives requests no LoRA task id (prepare_dataset.py's default --task-id -1).
	NoTaskID TaskIDMode = iota
	// FixedTaskID gives every request GenerateOptions.TaskID (--task-id).
	FixedTaskID
	// RandomTaskID draws each request's id uniformly from [TaskIDMin, TaskIDMax]
	// (--rand-task-id MIN MAX).
	RandomTaskID
)

// GenerateOptions are the settings common to the generators.
//
// As in prepare_dataset.py, a request's task_id is always its 0-based index (the JSON Lines
// convention); the task ids chosen by TaskIDs select LoRA adapters. They appear in the
// request's lora_request when LoRADir is set, as {"lora_name": "lora_<id>", "lora_int_id": <id>,
// "lora_path": "<LoRADir>/<id>"}, except for id -1, which means no adapter.
type GenerateOptions struct {
	// NumRequests is how many requests to generate (at least 1).
	NumRequests int
	// VocabSize bounds the token ids: they are drawn uniformly from [0, VocabSize).
	VocabSize int
	// EOS is the end-of-sequence id, never emitted inside a prompt: each draw of it becomes
	// (EOS+1) % VocabSize. Negative means there is none. Note that the zero value treats
	// token 0 as EOS.
	EOS int32
	// Seed makes generation reproducible (prepare_dataset.py's --random-seed, 420 there).
	Seed uint64
	// TaskIDs, TaskID, TaskIDMin and TaskIDMax choose the LoRA task ids.
	TaskIDs              TaskIDMode
	TaskID               int64
	TaskIDMin, TaskIDMax int64
	// LoRADir, when set, adds a lora_request to each request; it needs TaskIDs.
	LoRADir string
	// CorrelatedLengths reproduces prepare_dataset.py, which seeds the input and the output
	// length draws identically, so that with equal parameters every request has ISL == OSL
	// and in general a long prompt always gets a long output. By default the two are drawn
	// independently.
	CorrelatedLengths bool
}

// NormalOptions configure GenerateNormal (token-norm-dist). Lengths are
// max(1, ceil(normal(mean, stdev))).
type NormalOptions struct {
	GenerateOptions
	InputMean, InputStdev   int
	OutputMean, OutputStdev int
}

// UniformOptions configure GenerateUniform (token-unif-dist). Lengths are uniform over the
// inclusive ranges.
type UniformOptions struct {
	GenerateOptions
	InputMin, InputMax   int
	OutputMin, OutputMax int
}

// PCG stream numbers: each kind of draw has its own stream so that, for example, changing
// the output lengths does not change the prompts' tokens.
const (
	streamInputLen uint64 = iota + 1
	streamOutputLen
	streamTokens
	streamTaskIDs
)

// maxGeneratedLen bounds a drawn length so that an absurd mean cannot ask for more memory
// than any machine has; it is far beyond any model's context.
const maxGeneratedLen = 1 << 24

// GenerateNormal generates a token-norm-dist request set and its metadata.
func GenerateNormal(opts NormalOptions) ([]Request, Metadata, error) {
	g := opts.GenerateOptions
	if err := g.check(); err != nil {
		return nil, Metadata{}, err
	}
	if opts.InputStdev < 0 || opts.OutputStdev < 0 {
		return nil, Metadata{}, errors.New("token-norm-dist: standard deviations must not be negative")
	}
	draw := func(mean, stdev int) func(*rand.Rand) int {
		return func(r *rand.Rand) int {
			x := math.Ceil(float64(mean) + float64(stdev)*r.NormFloat64())
			return int(max(1, min(x, maxGeneratedLen)))
		}
	}
	in, out := g.lengths(draw(opts.InputMean, opts.InputStdev), draw(opts.OutputMean, opts.OutputStdev))
	meta := Metadata{
		WorkloadType: WorkloadNormal,
		InputMean:    opts.InputMean, InputStdev: opts.InputStdev,
		OutputMean: opts.OutputMean, OutputStdev: opts.OutputStdev,
	}
	return g.finish(in, out, meta)
}

// GenerateUniform generates a token-unif-dist request set and its metadata.
func GenerateUniform(opts UniformOptions) ([]Request, Metadata, error) {
	g := opts.GenerateOptions
	if err := g.check(); err != nil {
		return nil, Metadata{}, err
	}
	for _, r := range []struct {
		name     string
		min, max int
	}{{"input", opts.InputMin, opts.InputMax}, {"output", opts.OutputMin, opts.OutputMax}} {
		switch {
		case r.min < 1:
			return nil, Metadata{}, fmt.Errorf("token-unif-dist: %s minimum is %d: lengths must be at least 1", r.name, r.min)
		case r.min > r.max:
			return nil, Metadata{}, fmt.Errorf("token-unif-dist: %s minimum %d is above the maximum %d", r.name, r.min, r.max)
		case r.max > maxGeneratedLen:
			return nil, Metadata{}, fmt.Errorf("token-unif-dist: %s maximum %d is above the limit of %d", r.name, r.max, maxGeneratedLen)
		}
	}
	draw := func(lo, hi int) func(*rand.Rand) int {
		return func(r *rand.Rand) int { return lo + r.IntN(hi-lo+1) }
	}
	in, out := g.lengths(draw(opts.InputMin, opts.InputMax), draw(opts.OutputMin, opts.OutputMax))
	meta := Metadata{
		WorkloadType: WorkloadUniform,
		InputMin:     opts.InputMin, InputMax: opts.InputMax,
		OutputMin: opts.OutputMin, OutputMax: opts.OutputMax,
	}
	return g.finish(in, out, meta)
}

func (g *GenerateOptions) check() error {
	switch {
	case g.NumRequests < 1:
		return fmt.Errorf("the number of requests is %d: it must be at least 1", g.NumRequests)
	case g.VocabSize < 1 || g.VocabSize > math.MaxInt32:
		return fmt.Errorf("vocabulary size %d is out of range", g.VocabSize)
	case g.VocabSize == 1 && g.EOS == 0:
		return errors.New("a vocabulary of one token that is EOS cannot make a prompt without EOS")
	case g.TaskIDs == RandomTaskID && g.TaskIDMin > g.TaskIDMax:
		return fmt.Errorf("random task id range [%d, %d] is empty", g.TaskIDMin, g.TaskIDMax)
	case g.TaskIDs < NoTaskID || g.TaskIDs > RandomTaskID:
		return fmt.Errorf("unknown task id mode %d", g.TaskIDs)
	case g.LoRADir != "" && g.TaskIDs == NoTaskID:
		// prepare_dataset.py silently ignores --lora-dir here; say so instead.
		return errors.New("a LoRA directory needs task ids (--task-id or --rand-task-id) to pick each request's adapter")
	}
	return nil
}

func (g *GenerateOptions) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.Seed, stream))
}

// lengths draws all input lengths, then all output lengths. With CorrelatedLengths both
// come from identically seeded generators, which is what prepare_dataset.py does.
func (g *GenerateOptions) lengths(in, out func(*rand.Rand) int) ([]int, []int) {
	isl := make([]int, g.NumRequests)
	osl := make([]int, g.NumRequests)
	r := g.rng(streamInputLen)
	for i := range isl {
		isl[i] = in(r)
	}
	if g.CorrelatedLengths {
		r = g.rng(streamInputLen)
	} else {
		r = g.rng(streamOutputLen)
	}
	for i := range osl {
		osl[i] = out(r)
	}
	return isl, osl
}

// finish draws the tokens and task ids and assembles the requests and metadata.
func (g *GenerateOptions) finish(isl, osl []int, meta Metadata) ([]Request, Metadata, error) {
	total := 0
	for _, n := range isl {
		total += n
	}
	// One array holds every prompt; each request gets a capped window of it.
	all := make([]int32, total)
	r := g.rng(streamTokens)
	vocab := uint32(g.VocabSize)
	eos := g.EOS
	replaceEOS := eos >= 0 && int(eos) < g.VocabSize
	repl := int32((int64(eos) + 1) % int64(g.VocabSize))
	for i := range all {
		t := int32(r.Uint32N(vocab))
		if replaceEOS && t == eos {
			t = repl
		}
		all[i] = t
	}

	reqs := make([]Request, g.NumRequests)
	tr := g.rng(streamTaskIDs)
	off := 0
	for i := range reqs {
		n := isl[i]
		reqs[i] = Request{
			TaskID:       int64(i),
			InputIDs:     all[off : off+n : off+n],
			OutputTokens: osl[i],
		}
		off += n
		if g.LoRADir == "" {
			continue
		}
		var id int64
		switch g.TaskIDs {
		case FixedTaskID:
			id = g.TaskID
		case RandomTaskID:
			id = randomInRange(tr, g.TaskIDMin, g.TaskIDMax)
		}
		if id != -1 { // -1 means no adapter, as in prepare_dataset.py
			reqs[i].LoRA = loraFor(g.LoRADir, id)
		}
	}

	meta.NumRequests = g.NumRequests
	meta.VocabSize = g.VocabSize
	meta.MaxInputLen = maxOf(isl)
	meta.MaxOutputLen = maxOf(osl)
	meta.WorkloadName = meta.Name()
	return reqs, meta, nil
}

// loraFor builds prepare_dataset.py's lora_request for a task id. The path is joined as
// Python's os.path.join does (no cleaning), so that the bytes match.
func loraFor(dir string, id int64) *LoRARequest {
	s := strconv.FormatInt(id, 10)
	path := dir + "/" + s
	if strings.HasSuffix(dir, "/") {
		path = dir + s
	}
	return &LoRARequest{Name: "lora_" + s, IntID: id, Path: path}
}

// randomInRange draws uniformly from [lo, hi], lo <= hi, over the whole int64 range: the
// span is computed in unsigned arithmetic so that it cannot overflow.
func randomInRange(r *rand.Rand, lo, hi int64) int64 {
	span := uint64(hi) - uint64(lo)
	if span == math.MaxUint64 {
		return int64(r.Uint64())
	}
	return int64(uint64(lo) + r.Uint64N(span+1))
}

func maxOf(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
