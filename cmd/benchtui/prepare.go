package main

import (
	"context"
	"fmt"
	"io"

	"github.com/benchtui/benchtui/dataset"
	"github.com/benchtui/benchtui/engine/llamacpp"
	"github.com/benchtui/benchtui/synth"
)

// prepareDataset runs prepare_dataset.py's equivalent; --tokenizer names a preset, a Hugging
// Face id, a model folder or config.json, or a GGUF file, whose vocabulary size and EOS id
// shape the generated tokens.
func prepareDataset(args []string, stdout, stderr io.Writer) int {
	return dataset.PrepareDataset(args, stdout, stderr, func(spec string) (int, int32, error) {
		return vocabOf(spec, stderr)
	})
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
			fmt.Fprintf(stderr, "prepare-dataset: tokenizer %s: the synthetic vocabulary of model %s (%d tokens, EOS id %d), the one benchtui benchmarks under that name\n",
				m.Name, m.Preset, p.Vocab, synth.EOSTokenID)
		}
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
