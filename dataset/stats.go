package dataset

// Stats describes a request set: trtllm-bench's report "dataset" section. DatasetPath is
// the caller's to set; it is omitted when empty so that a report writer can add it.
type Stats struct {
	ISL               Distribution `json:"isl_stats"`
	OSL               Distribution `json:"osl_stats"`
	SeqLen            Distribution `json:"seq_len_stats"`
	NumRequests       int          `json:"num_requests"`
	DatasetPath       string       `json:"dataset_path,omitempty"`
	MaxISL            int          `json:"max_isl"`
	MaxOSL            int          `json:"max_osl"`
	MaxSequenceLength int          `json:"max_sequence_length"`
	// The averages are truncated to integers, as trtllm-bench's int(average) does; the
	// exact ones are in the Distributions.
	AvgISL            int `json:"avg_isl"`
	AvgOSL            int `json:"avg_osl"`
	AvgSequenceLength int `json:"avg_sequence_length"`
}

// ComputeStats computes the statistics of reqs. The input length is len(InputIDs), so
// text-only prompts count as 0 until TokenizePrompts has run.
func ComputeStats(reqs []Request) Stats {
	isl := make([]float64, len(reqs))
	osl := make([]float64, len(reqs))
	seq := make([]float64, len(reqs))
	for i := range reqs {
		isl[i] = float64(len(reqs[i].InputIDs))
		osl[i] = float64(reqs[i].OutputTokens)
		seq[i] = isl[i] + osl[i]
	}
	s := Stats{
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
