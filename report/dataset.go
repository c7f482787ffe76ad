package report

import "github.com/benchtui/benchtui/dataset"

// Dataset describes a request set: trtllm-bench's report "dataset" section, with its keys in
// its order, plus benchtui's count of skipped lines. It is the same type whether a report
// was built here or read from a file (benchtui's or trtllm-bench's).
type Dataset struct {
	ISL         Distribution `json:"isl_stats"`
	OSL         Distribution `json:"osl_stats"`
	SeqLen      Distribution `json:"seq_len_stats"`
	NumRequests int          `json:"num_requests"`
	// DatasetPath is the file the requests came from; empty (and left out) for a
	// generated set.
	DatasetPath       string `json:"dataset_path,omitempty"`
	MaxISL            int    `json:"max_isl"`
	MaxOSL            int    `json:"max_osl"`
	MaxSequenceLength int    `json:"max_sequence_length"`
	// The averages are truncated to integers, as trtllm-bench's int(average) does; the
	// exact ones are in the Distributions.
	AvgISL            int `json:"avg_isl"`
	AvgOSL            int `json:"avg_osl"`
	AvgSequenceLength int `json:"avg_sequence_length"`
	// SkippedLines counts the malformed dataset lines that --skip_bad_lines left out.
	SkippedLines int `json:"skipped_lines,omitempty"`
}

// DatasetStats computes the statistics of reqs. The input length is len(InputIDs), so
// text-only prompts count as 0 until dataset.TokenizePrompts has run.
func DatasetStats(reqs []dataset.Request) Dataset {
	isl := make([]float64, len(reqs))
	osl := make([]float64, len(reqs))
	seq := make([]float64, len(reqs))
	for i := range reqs {
		isl[i] = float64(len(reqs[i].InputIDs))
		osl[i] = float64(reqs[i].OutputTokens)
		seq[i] = isl[i] + osl[i]
	}
	s := Dataset{
		ISL:         Summarize(isl),
		OSL:         Summarize(osl),
		SeqLen:      Summarize(seq),
		NumRequests: len(reqs),
	}
	s.MaxISL = int(s.ISL.Maximum)
	s.MaxOSL = int(s.OSL.Maximum)
	s.MaxSequenceLength = int(s.SeqLen.Maximum)
	s.AvgISL = int(s.ISL.Average)
	s.AvgOSL = int(s.OSL.Average)
	s.AvgSequenceLength = int(s.SeqLen.Average)
	return s
}
