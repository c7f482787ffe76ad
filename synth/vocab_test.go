package synth

import (
	"fmt"
	"strings"
	"testing"
)

func TestVocab(t *testing.T) {
	for _, size := range []int{MinVocabSize, MinVocabSize + 1, 2048, 32000, 128256, 152064} {
		v, err := buildVocab(size)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.tokens) != size || len(v.scores) != size || len(v.types) != size {
			t.Fatalf("size %d: got %d tokens, %d scores, %d types", size, len(v.tokens), len(v.scores), len(v.types))
		}
		seen := make(map[string]int, size)
		for i, tok := range v.tokens {
			if j, dup := seen[tok]; dup {
				t.Fatalf("size %d: token %q at %d and %d", size, tok, j, i)
			}
			seen[tok] = i
			if tok == "" {
				t.Fatalf("size %d: empty token at %d", size, i)
			}
		}
		if v.tokens[UnknownTokenID] != "<unk>" || v.tokens[BOSTokenID] != "<s>" || v.tokens[EOSTokenID] != "</s>" {
			t.Errorf("special tokens %q", v.tokens[:3])
		}
		if v.types[UnknownTokenID] != tokenTypeUnknown || v.types[BOSTokenID] != tokenTypeControl || v.types[EOSTokenID] != tokenTypeControl {
			t.Errorf("special token types %v", v.types[:3])
		}
		for b := range 256 {
			if id := 3 + b; v.tokens[id] != fmt.Sprintf("<0x%02X>", b) || v.types[id] != tokenTypeByte {
				t.Fatalf("byte token %d = %q type %d", b, v.tokens[id], v.types[id])
			}
		}
		for i := MinVocabSize; i < size; i++ {
			if v.types[i] != tokenTypeNormal {
				t.Fatalf("token %d type %d", i, v.types[i])
			}
			if i > MinVocabSize && v.scores[i] >= v.scores[i-1] {
				t.Fatalf("score %d (%v) not below score %d (%v)", i, v.scores[i], i-1, v.scores[i-1])
			}
			// Every longer piece can be built by the SPM bigram merge: it is a shorter
			// piece plus one character.
			if tok := v.tokens[i]; len([]rune(tok)) > 1 {
				r := []rune(tok)
				if _, ok := seen[string(r[:len(r)-1])]; !ok {
					t.Fatalf("piece %q has no prefix piece", tok)
				}
			}
		}
	}
	v, _ := buildVocab(2048)
	if v.tokens[MinVocabSize] != spmSpace || !strings.HasPrefix(v.tokens[MinVocabSize+1+len(singleChars)], spmSpace+"a") {
		t.Errorf("unexpected pieces %q", v.tokens[MinVocabSize:MinVocabSize+3])
	}
	if _, err := buildVocab(MinVocabSize - 1); err == nil {
		t.Error("buildVocab accepted a vocabulary without room for the byte tokens")
	}
}
