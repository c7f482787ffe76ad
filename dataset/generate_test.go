package dataset

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func lengths(reqs []Request) (isl, osl []float64) {
	for _, r := range reqs {
		isl = append(isl, float64(len(r.InputIDs)))
		osl = append(osl, float64(r.OutputTokens))
	}
	return isl, osl
}

func meanStdev(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)))
}

func correlation(a, b []float64) float64 {
	ma, sa := meanStdev(a)
	mb, sb := meanStdev(b)
	var c float64
	for i := range a {
		c += (a[i] - ma) * (b[i] - mb)
	}
	return c / float64(len(a)) / (sa * sb)
}

func normal(t *testing.T, o NormalOptions) ([]Request, Metadata) {
	t.Helper()
	reqs, meta, err := GenerateNormal(o)
	if err != nil {
		t.Fatal(err)
	}
	return reqs, meta
}

func TestGenerateNormalDistribution(t *testing.T) {
	reqs, meta := normal(t, NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 20000, VocabSize: 32000, EOS: -1, Seed: 420},
		InputMean:       512, InputStdev: 64, OutputMean: 128, OutputStdev: 16,
	})
	isl, osl := lengths(reqs)
	// ceil adds half a token on average.
	for _, c := range []struct {
		name        string
		v           []float64
		mean, stdev float64
	}{{"input", isl, 512.5, 64}, {"output", osl, 128.5, 16}} {
		m, s := meanStdev(c.v)
		if math.Abs(m-c.mean) > 4*c.stdev/math.Sqrt(float64(len(c.v))) {
			t.Errorf("%s mean %.2f, want %.1f", c.name, m, c.mean)
		}
		if math.Abs(s-c.stdev) > 0.05*c.stdev {
			t.Errorf("%s stdev %.2f, want %.1f", c.name, s, c.stdev)
		}
	}
	if r := correlation(isl, osl); math.Abs(r) > 0.05 {
		t.Errorf("independent lengths have correlation %.3f", r)
	}
	if meta.MaxInputLen != int(slicesMax(isl)) || meta.MaxOutputLen != int(slicesMax(osl)) || meta.NumRequests != 20000 || meta.VocabSize != 32000 {
		t.Errorf("metadata %+v", meta)
	}
	if want := "workload_type:token-norm-dist__input_mean:512__input_stdev:64__output_mean:128__output_stdev:16__num_requests:20000__tokenize_vocabsize:32000__max_input_len:"; !strings.HasPrefix(meta.WorkloadName, want) {
		t.Errorf("workload name %q", meta.WorkloadName)
	}
	for i, r := range reqs {
		if r.TaskID != int64(i) || r.LoRA != nil || r.Line != 0 {
			t.Fatalf("request %d: task %d lora %v line %d", i, r.TaskID, r.LoRA, r.Line)
		}
	}
}

func slicesMax(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func TestGenerateNormalClampsToOne(t *testing.T) {
	reqs, _ := normal(t, NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 2000, VocabSize: 100, EOS: -1, Seed: 1},
		InputMean:       1, InputStdev: 5, OutputMean: -10, OutputStdev: 0,
	})
	for _, r := range reqs {
		if len(r.InputIDs) < 1 || r.OutputTokens != 1 {
			t.Fatalf("lengths %d/%d", len(r.InputIDs), r.OutputTokens)
		}
	}
	// stdev 0 gives exactly the mean.
	reqs, _ = normal(t, NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 10, VocabSize: 100, EOS: -1},
		InputMean:       128, OutputMean: 64,
	})
	for _, r := range reqs {
		if len(r.InputIDs) != 128 || r.OutputTokens != 64 {
			t.Fatalf("lengths %d/%d", len(r.InputIDs), r.OutputTokens)
		}
	}
}

func TestGenerateCorrelatedLengths(t *testing.T) {
	base := NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 5000, VocabSize: 1000, EOS: -1, Seed: 420, CorrelatedLengths: true},
		InputMean:       256, InputStdev: 32, OutputMean: 256, OutputStdev: 32,
	}
	reqs, _ := normal(t, base)
	for i, r := range reqs {
		if len(r.InputIDs) != r.OutputTokens {
			t.Fatalf("request %d: ISL %d != OSL %d with correlated draws", i, len(r.InputIDs), r.OutputTokens)
		}
	}
	// Different parameters: still perfectly rank-correlated, as in trtllm-bench.
	o := base
	o.OutputMean, o.OutputStdev = 100, 10
	isl, osl := lengths(first(normal(t, o)))
	if r := correlation(isl, osl); r < 0.99 {
		t.Errorf("correlated draws have correlation %.3f", r)
	}
	// Independent draws with equal parameters rarely agree.
	o = base
	o.CorrelatedLengths = false
	equal := 0
	for _, r := range first(normal(t, o)) {
		if len(r.InputIDs) == r.OutputTokens {
			equal++
		}
	}
	if equal > 5000/20 {
		t.Errorf("%d of 5000 independent draws have ISL == OSL", equal)
	}

	// Uniform: the same seed gives the same draws for equal ranges.
	u, _, err := GenerateUniform(UniformOptions{
		GenerateOptions: GenerateOptions{NumRequests: 1000, VocabSize: 1000, EOS: -1, Seed: 3, CorrelatedLengths: true},
		InputMin:        10, InputMax: 500, OutputMin: 10, OutputMax: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range u {
		if len(r.InputIDs) != r.OutputTokens {
			t.Fatal("correlated uniform draws differ")
		}
	}
}

func first(reqs []Request, _ Metadata) []Request { return reqs }

func TestGenerateUniform(t *testing.T) {
	reqs, meta, err := GenerateUniform(UniformOptions{
		GenerateOptions: GenerateOptions{NumRequests: 20000, VocabSize: 32000, EOS: -1, Seed: 9},
		InputMin:        3, InputMax: 12, OutputMin: 100, OutputMax: 200,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	isl, osl := lengths(reqs)
	for i := range reqs {
		in, out := int(isl[i]), int(osl[i])
		if in < 3 || in > 12 || out < 100 || out > 200 {
			t.Fatalf("lengths %d/%d out of range", in, out)
		}
		seen[in]++
	}
	if len(seen) != 10 {
		t.Errorf("input lengths seen: %v, want all of 3..12", seen)
	}
	if m, _ := meanStdev(osl); math.Abs(m-150) > 1.5 {
		t.Errorf("output mean %.2f, want 150", m)
	}
	if meta.WorkloadType != WorkloadUniform || meta.InputMin != 3 || meta.OutputMax != 200 || meta.MaxInputLen > 12 {
		t.Errorf("metadata %+v", meta)
	}
}

func TestGenerateTokens(t *testing.T) {
	for _, eos := range []int32{0, 2, 3} {
		reqs, _ := normal(t, NormalOptions{
			GenerateOptions: GenerateOptions{NumRequests: 200, VocabSize: 4, EOS: eos, Seed: 5},
			InputMean:       100, OutputMean: 1,
		})
		counts := make([]int, 4)
		for _, r := range reqs {
			for _, id := range r.InputIDs {
				if id < 0 || id >= 4 {
					t.Fatalf("token %d outside the vocabulary", id)
				}
				counts[id]++
			}
		}
		if counts[eos] != 0 {
			t.Errorf("EOS %d appears %d times", eos, counts[eos])
		}
		// EOS draws went to (eos+1) % vocab, which therefore has about twice the others.
		repl := (eos + 1) % 4
		other := (eos + 2) % 4
		if ratio := float64(counts[repl]) / float64(counts[other]); ratio < 1.8 || ratio > 2.2 {
			t.Errorf("eos %d: replacement count ratio %.2f (counts %v)", eos, ratio, counts)
		}
	}
	// Without EOS the tokens are uniform over a large vocabulary.
	reqs, _ := normal(t, NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 1000, VocabSize: 128000, EOS: -1, Seed: 5},
		InputMean:       128,
	})
	var ids []float64
	for _, r := range reqs {
		for _, id := range r.InputIDs {
			ids = append(ids, float64(id))
		}
	}
	if m, _ := meanStdev(ids); math.Abs(m-64000) > 500 {
		t.Errorf("token mean %.0f, want about 64000", m)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	o := NormalOptions{
		GenerateOptions: GenerateOptions{NumRequests: 100, VocabSize: 32000, EOS: 2, Seed: 420,
			TaskIDs: RandomTaskID, TaskIDMin: 0, TaskIDMax: 9, LoRADir: "loras"},
		InputMean: 64, InputStdev: 16, OutputMean: 32, OutputStdev: 8,
	}
	a, ma := normal(t, o)
	b, mb := normal(t, o)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(ma, mb) {
		t.Error("the same options gave different sets")
	}
	o.Seed = 421
	c, _ := normal(t, o)
	if reflect.DeepEqual(a, c) {
		t.Error("a different seed gave the same set")
	}
	// Changing the output distribution leaves the prompts alone (separate streams).
	o.Seed = 420
	o.OutputMean = 500
	d, _ := normal(t, o)
	for i := range a {
		if !reflect.DeepEqual(a[i].InputIDs, d[i].InputIDs) {
			t.Fatal("output parameters changed the prompts")
		}
	}
}

func TestGenerateTaskIDsAndLoRA(t *testing.T) {
	gen := func(g GenerateOptions) ([]Request, error) {
		g.NumRequests, g.VocabSize, g.EOS = 500, 100, -1
		reqs, _, err := GenerateUniform(UniformOptions{GenerateOptions: g, InputMin: 1, InputMax: 2, OutputMin: 1, OutputMax: 2})
		return reqs, err
	}
	reqs, err := gen(GenerateOptions{TaskIDs: FixedTaskID, TaskID: 7, LoRADir: "/loras"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		want := &LoRARequest{Name: "lora_7", IntID: 7, Path: "/loras/7"}
		if r.TaskID != int64(i) || !reflect.DeepEqual(r.LoRA, want) {
			t.Fatalf("request %d: task %d lora %+v", i, r.TaskID, r.LoRA)
		}
	}
	reqs, err = gen(GenerateOptions{TaskIDs: RandomTaskID, TaskIDMin: -1, TaskIDMax: 2, LoRADir: "loras/"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, r := range reqs {
		if r.LoRA == nil {
			seen[-1]++ // -1 means no adapter
			continue
		}
		id := r.LoRA.IntID
		if id < 0 || id > 2 || r.LoRA.Path != "loras/"+itoa(id) || r.LoRA.Name != "lora_"+itoa(id) {
			t.Fatalf("lora %+v", r.LoRA)
		}
		seen[id]++
	}
	if len(seen) != 4 {
		t.Errorf("random task ids seen: %v", seen)
	}
	// Task ids without a LoRA directory select nothing.
	reqs, err = gen(GenerateOptions{TaskIDs: FixedTaskID, TaskID: 3})
	if err != nil || reqs[0].LoRA != nil {
		t.Errorf("task id without lora dir: %v, %+v", err, reqs[0].LoRA)
	}
	// The full int64 range does not overflow.
	if _, err := gen(GenerateOptions{TaskIDs: RandomTaskID, TaskIDMin: math.MinInt64, TaskIDMax: math.MaxInt64, LoRADir: "d"}); err != nil {
		t.Error(err)
	}
	for _, g := range []GenerateOptions{
		{LoRADir: "/loras"},
		{TaskIDs: RandomTaskID, TaskIDMin: 3, TaskIDMax: 2},
	} {
		if _, err := gen(g); err == nil {
			t.Errorf("%+v: no error", g)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestGenerateRejectsBadOptions(t *testing.T) {
	ok := GenerateOptions{NumRequests: 1, VocabSize: 10, EOS: -1}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"zero requests", first2(GenerateNormal(NormalOptions{GenerateOptions: GenerateOptions{VocabSize: 10}}))},
		{"zero vocab", first2(GenerateNormal(NormalOptions{GenerateOptions: GenerateOptions{NumRequests: 1}}))},
		{"one-token vocab that is EOS", first2(GenerateNormal(NormalOptions{GenerateOptions: GenerateOptions{NumRequests: 1, VocabSize: 1, EOS: 0}}))},
		{"negative stdev", first2(GenerateNormal(NormalOptions{GenerateOptions: ok, InputStdev: -1}))},
		{"uniform min 0", first2(GenerateUniform(UniformOptions{GenerateOptions: ok, InputMin: 0, InputMax: 3, OutputMin: 1, OutputMax: 1}))},
		{"uniform min above max", first2(GenerateUniform(UniformOptions{GenerateOptions: ok, InputMin: 1, InputMax: 1, OutputMin: 5, OutputMax: 4}))},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func first2(_ []Request, _ Metadata, err error) error { return err }
