package session

import (
	"context"
	"testing"
)

// A KV cache sized from free memory holds no more cells than max_batch_size sequences of
// max_seq_len can fill (on the CPU a fraction of free host memory is most of the machine); a
// later run of the same shape that needs more measures free memory again, and one that needs
// less keeps the cache it has.
func TestKVFromFreeMemoryIsCapped(t *testing.T) {
	for _, mode := range []struct {
		name      string
		inProcess bool
	}{{"child process", false}, {"in process", true}} {
		t.Run(mode.name, func(t *testing.T) {
			o, env := tinyOptions(t, mode.inProcess)
			bo := o.Backend
			bo.KVCacheFreeMemFraction, bo.KVUnified = 0.5, nil
			bo, err := NormalizeBackend(bo)
			if err != nil {
				t.Fatal(err)
			}
			o.Backend = bo
			s, err := Open(context.Background(), o, env, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, c := range []struct{ seqLen, want int }{{64, 4 * 64}, {128, 4 * 128}, {64, 4 * 128}} {
				sp := spec(4, 8, 16, 8)
				sp.Engine.MaxSeqLen, sp.KVFreeMemFraction = c.seqLen, 0.5
				r, err := s.Run(context.Background(), sp, nil)
				if err := runErr(r, err); err != nil {
					t.Fatalf("max_seq_len %d: %v", c.seqLen, err)
				}
				if r.Config.KVCapacity != c.want {
					t.Errorf("max_seq_len %d: %d KV cells, want %d", c.seqLen, r.Config.KVCapacity, c.want)
				}
			}
		})
	}
}
