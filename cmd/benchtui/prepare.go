package main

import (
	"context"
	"fmt"
	"io"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/synth"
)

// prepareDataset runs prepare_dataset.py's equivalent; --tokenizer names a preset or a GGUF
// file whose vocabulary size and EOS id shape the generated tokens.
func prepareDataset(args []string, stdout, stderr io.Writer) int {
	return dataset.PrepareDataset(args, stdout, stderr, vocabOf)
}

// vocabOf loads only the vocabulary of a preset or GGUF file.
func vocabOf(spec string) (int, int32, error) {
	m, err := synth.ParseModel(spec)
	if err != nil {
		return 0, 0, err
	}
	if !m.IsFile() {
		// A preset's vocabulary is known without writing its weights.
		p, _ := synth.LookupPreset(m.Preset)
		return p.Vocab, synth.EOSTokenID, nil
	}
	b, err := llamacpp.Open(context.Background(), llamacpp.Options{ModelPath: m.Path, VocabOnly: true}, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("tokenizer %s: %w", spec, err)
	}
	defer b.Close()
	info := b.Info()
	return info.NVocab, info.EOS, nil
}
