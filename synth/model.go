package synth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Model names the model to benchmark: either an existing GGUF file (Path) or a synthetic
// model with a weight type, whose shape is a preset's or a config.json's.
type Model struct {
	// Path is set for a user-supplied GGUF file; Preset and DType are then empty.
	Path string
	// Preset is the preset's name (see Presets); for a shape read from a config.json that
	// is no preset's, the name given to that shape (Shape.Name).
	Preset string
	// DType is the weight type of the synthetic model; empty means DefaultDType.
	DType DType
	// Name is the model as it was named when that was not the preset's own name: a Hugging
	// Face id ("meta-llama/Llama-3.1-8B") or a model folder or config.json.
	Name string `json:",omitempty"`
	// Config is the config.json the shape was read from, when it was.
	Config string `json:",omitempty"`
	// Shape is the architecture read from Config when it is no preset's; nil otherwise.
	Shape *Preset `json:",omitempty"`
}

// dtype is m.DType, defaulted.
func (m Model) dtype() DType {
	if m.DType == "" {
		return DefaultDType
	}
	return m.DType
}

// IsFile reports whether the model is a user-supplied file rather than a synthetic one.
func (m Model) IsFile() bool { return m.Path != "" }

// Architecture returns the shape of a synthetic model: its preset's, or the one read from
// its config.json.
func (m Model) Architecture() (Preset, error) {
	if m.Shape != nil {
		return *m.Shape, nil
	}
	p, ok := LookupPreset(m.Preset)
	if !ok {
		return Preset{}, fmt.Errorf("synth: unknown model preset %q (known presets: %s)", m.Preset, strings.Join(Presets(), ", "))
	}
	return p, nil
}

// DisplayName is the model as the user named it: the Hugging Face id or folder when one was
// given, else the preset's name, or the file's path.
func (m Model) DisplayName() string {
	switch {
	case m.IsFile():
		return m.Path
	case m.Name != "":
		return m.Name
	}
	return m.Preset
}

// String gives the synthetic model as preset:dtype (the file's path for a GGUF file).
func (m Model) String() string {
	if m.IsFile() {
		return m.Path
	}
	return m.Preset + ":" + string(m.dtype())
}

// FileName is the cache file name of a synthetic model with the given seed. A shape read
// from a config.json is named by the file's content, so the name keys the cache on it.
func (m Model) FileName(seed uint64) string {
	return fmt.Sprintf("%s-%s-seed%d.gguf", m.Preset, m.dtype(), seed)
}

// ParseModel parses a model argument, an optional ":dtype" after it (f16 by default):
//   - an existing folder with a config.json (a Hugging Face model folder), or a .json
//     file: a synthetic model of that config's shapes;
//   - a .gguf file, or any other existing file or path: that file;
//   - a preset name (any case), e.g. "llama-3.1-8b:q4_0";
//   - a Hugging Face model id whose shapes a preset has, e.g. "meta-llama/Llama-3.1-8B"
//     (any case, with or without -Instruct).
func ParseModel(s string) (Model, error) {
	if strings.TrimSpace(s) == "" {
		return Model{}, errors.New("synth: empty model (give a preset, a Hugging Face id, a model folder or a .gguf file; see benchtui models)")
	}
	name, dt, hasDT := s, "", false
	if _, err := os.Stat(s); err != nil {
		if i := strings.LastIndexByte(s, ':'); i > 0 {
			name, dt, hasDT = s[:i], s[i+1:], true
		}
	}
	m, err := resolveModel(name)
	if err != nil {
		return Model{}, err
	}
	if hasDT {
		if m.IsFile() {
			return Model{}, fmt.Errorf("synth: model %q: a GGUF file has its own weight types; drop :%s", s, dt)
		}
		d, err := ParseDType(dt)
		if err != nil {
			return Model{}, fmt.Errorf("synth: model %q: unknown dtype %q (known: %s)", s, dt, joinDTypes())
		}
		m.DType = d
	}
	return m, nil
}

func resolveModel(name string) (Model, error) {
	cfg, err := configPath(name)
	if err != nil {
		return Model{}, err
	}
	if cfg != "" {
		return loadConfig(cfg, name)
	}
	if st, err := os.Stat(name); err == nil && !st.IsDir() || strings.HasSuffix(strings.ToLower(name), ".gguf") {
		return Model{Path: name}, nil
	}
	if p, ok := LookupPreset(name); ok {
		return Model{Preset: p.Name, DType: DefaultDType}, nil
	}
	if p, ok := PresetForHFID(name); ok {
		return Model{Preset: p, DType: DefaultDType, Name: name}, nil
	}
	if looksLikeHFID(name) {
		return Model{}, fmt.Errorf("synth: model %q is no file or folder here, and no Hugging Face id benchtui has the shapes of "+
			"(benchtui models lists them); for another model give its folder or config.json, or a .gguf file", name)
	}
	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		// A path: Check says that it does not exist.
		return Model{Path: name}, nil
	}
	return Model{}, fmt.Errorf("synth: unknown model %q (presets: %s; or a Hugging Face id, a model folder, a config.json or a .gguf file)",
		name, strings.Join(Presets(), ", "))
}
