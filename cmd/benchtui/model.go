package main

import (
	"fmt"
	"io"

	"github.com/benchtui/benchtui/session"
	"github.com/benchtui/benchtui/synth"
)

// modelLine says what a model named by a Hugging Face id, a folder or a config.json resolved
// to: which synthetic shape, and that its weights are synthetic. It is "" for a preset named
// by its own name, and for a GGUF file.
func modelLine(m synth.Model) string {
	if m.IsFile() || m.Name == "" {
		return ""
	}
	p, err := m.Architecture()
	if err != nil {
		return ""
	}
	dtype := m.DType
	if dtype == "" {
		dtype = synth.DefaultDType
	}
	shape := fmt.Sprintf("%s, %d layers, hidden %d, %d/%d heads, FFN %d, vocab %d, %s params",
		p.Arch, p.Layers, p.Hidden, p.Heads, p.KVHeads, p.FFN, p.Vocab, session.HumanCount(p.ParamCount()))
	if p.Experts > 0 {
		shape += fmt.Sprintf(", %d experts (%d per token)", p.Experts, p.ExpertsUsed)
	}
	if m.Shape != nil {
		return fmt.Sprintf("%s: the architecture of %s (%s), synthetic %s weights (model %s)", m.Name, m.Config, shape, dtype, m.Preset)
	}
	from := "the published shapes of"
	if m.Config != "" {
		from = "the shapes of " + m.Config + ", which are those of"
	}
	return fmt.Sprintf("%s: preset %s, %s that model (%s), synthetic %s weights", m.Name, m.Preset, from, shape, dtype)
}

// sayModel prints modelLine on w when there is one.
func sayModel(w io.Writer, m synth.Model) {
	if l := modelLine(m); l != "" {
		fmt.Fprintln(w, "benchtui: "+l)
	}
}

// targetName is the model as the dashboard's header and exports name it: the name given,
// and the preset it stands for when that differs.
func targetName(m synth.Model) string {
	if m.IsFile() || m.Name == "" || m.Name == m.Preset {
		return m.DisplayName()
	}
	return m.Name + " (" + m.Preset + ")"
}
