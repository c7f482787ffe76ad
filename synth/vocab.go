package synth

import (
	"fmt"
	"strings"
)

// Every preset gets a SentencePiece-style ("llama") vocabulary, whatever tokenizer the real
// model uses: it needs no merges table, and with the 256 byte-fallback tokens any text
// tokenizes. The ids of the special tokens are Llama 2's.
const (
	UnknownTokenID = 0 // <unk>
	BOSTokenID     = 1 // <s>
	EOSTokenID     = 2 // </s>

	// MinVocabSize is the smallest vocabulary: the three special tokens and the 256 byte
	// tokens.
	MinVocabSize = 3 + 256
)

// Token types (enum llama_token_type; TokenType in gguf-py/gguf/constants.py).
const (
	tokenTypeNormal  int32 = 1
	tokenTypeUnknown int32 = 2
	tokenTypeControl int32 = 3
	tokenTypeByte    int32 = 6
)

// spmSpace is SentencePiece's word-boundary marker (U+2581), which llama.cpp's SPM tokenizer
// substitutes for spaces (and prefixes to the text) before matching pieces.
const spmSpace = "\u2581"

// vocab is the tokenizer.ggml.{tokens,scores,token_type} arrays.
type vocab struct {
	tokens []string
	scores []float32
	types  []int32
}

// singleChars are the one-character pieces after "▁", so that ordinary English text (and
// digits and punctuation) rarely needs the byte fallback.
const singleChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"-()[]{}<>/\\@#$%&*_+=~|`^"

// buildVocab makes a vocabulary of exactly size tokens: <unk>, <s>, </s>, the byte tokens
// <0x00>..<0xFF>, then normal pieces: "▁", single characters, "▁" and each lowercase letter,
// then every lowercase letter string of length 2, 3, ... both with and without the "▁"
// prefix, until the vocabulary is full. Every piece's prefixes come before it, which is what
// the SPM bigram merge needs to build long pieces; scores decrease with the id, so earlier
// (shorter) pieces merge first, as in a real SentencePiece model.
func buildVocab(size int) (*vocab, error) {
	if size < MinVocabSize {
		return nil, fmt.Errorf("synth: vocabulary size %d is below the minimum %d", size, MinVocabSize)
	}
	v := &vocab{
		tokens: make([]string, 0, size),
		scores: make([]float32, 0, size),
		types:  make([]int32, 0, size),
	}
	add := func(tok string, score float32, typ int32) {
		v.tokens = append(v.tokens, tok)
		v.scores = append(v.scores, score)
		v.types = append(v.types, typ)
	}
	add("<unk>", 0, tokenTypeUnknown)
	add("<s>", 0, tokenTypeControl)
	add("</s>", 0, tokenTypeControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokenTypeByte)
	}

	piece := 0
	addPiece := func(tok string) bool {
		if len(v.tokens) == size {
			return false
		}
		piece++
		add(tok, -float32(piece), tokenTypeNormal)
		return true
	}
	if !addPiece(spmSpace) {
		return v, nil
	}
	for _, c := range singleChars {
		if !addPiece(string(c)) {
			return v, nil
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		if !addPiece(spmSpace + string(c)) {
			return v, nil
		}
	}
	// Lowercase strings of length n in lexicographic order, as base-26 counters.
	var sb strings.Builder
	for n := 2; ; n++ {
		digits := make([]byte, n)
		for {
			sb.Reset()
			for _, d := range digits {
				sb.WriteByte('a' + d)
			}
			w := sb.String()
			if !addPiece(spmSpace+w) || !addPiece(w) {
				return v, nil
			}
			i := n - 1
			for i >= 0 && digits[i] == 25 {
				digits[i] = 0
				i--
			}
			if i < 0 {
				break
			}
			digits[i]++
		}
	}
}
