package llamacpp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// An options file is benchtui's TOML (keys named as its flags: threads = 8) or trtllm-bench's
// YAML (extra_llm_api_options: max_batch_size: 256, kv_cache_config: ...). Both are read into
// the same list of keys with their lines, so that one table applies them, one way.

// entry is one key of an options file.
type entry struct {
	key  string // dotted: kv_cache_config.dtype
	line int
	// value is nil, bool, int64, float64, string or []any; sub holds a mapping's keys.
	value any
	sub   []entry
	isMap bool
}

// LoadOptionsFile reads an options file: benchtui's TOML or trtllm-bench's YAML, told apart
// by its content (a .yaml file holding TOML is read as TOML). Keys with a llama.cpp
// equivalent are applied; trtllm-bench's keys without one are listed in Ignored. An unknown
// key is an error naming the file and line when it is a near miss of a known key (a typo),
// and in a TOML file, which is benchtui's own format; in a YAML file it is listed in Ignored,
// since trtllm-bench's schema grows with every TensorRT-LLM release.
func LoadOptionsFile(path string) (*OptionsFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	o := &OptionsFile{Path: path, Format: SniffFormat(data, path)}
	var entries []entry
	if o.Format == "yaml" {
		entries, err = parseYAML(data)
	} else {
		entries, err = parseTOML(data)
	}
	if err != nil {
		return nil, fileError(path, 0, err)
	}
	for _, e := range entries {
		if err := o.apply(e); err != nil {
			return nil, fileError(path, e.line, err)
		}
	}
	return o, nil
}

// lineError is a problem on one line of the file, deeper than the top-level key it is under.
type lineError struct {
	line int
	err  error
}

func (e lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e lineError) Unwrap() error { return e.err }

// yamlLine finds the line in yaml.v3's messages ("yaml: line 3: did not find ...").
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// fileError says "config FILE line N: what", the line being the innermost one known.
func fileError(path string, line int, err error) error {
	var le lineError
	if errors.As(err, &le) {
		line, err = le.line, le.err
	}
	if line == 0 {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return fmt.Errorf("config %s line %d: %w", path, line, err)
}

var (
	tomlTable = regexp.MustCompile(`^\[\[?\s*[A-Za-z0-9_."' -]+\]\]?\s*(#.*)?$`)
	tomlKey   = regexp.MustCompile(`^[A-Za-z0-9_."'-]+(\s*\.\s*[A-Za-z0-9_"'-]+)*\s*=`)
	yamlKey   = regexp.MustCompile(`^[A-Za-z0-9_."'-]+\s*:(\s|$)`)
)

// SniffFormat tells TOML from YAML by the first line that is neither blank nor a comment:
// "key = value" and "[table]" are TOML; "key: value", "---", "{" and "- " are YAML. A file
// whose content says neither goes by its extension, then TOML.
func SniffFormat(data []byte, path string) string {
	for _, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
			continue
		case tomlTable.MatchString(l) || tomlKey.MatchString(l):
			return "toml"
		case yamlKey.MatchString(l) || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "{") || strings.HasPrefix(l, "- "):
			return "yaml"
		}
		break
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return "yaml"
	}
	return "toml"
}

func parseYAML(data []byte) ([]entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[1])
			return nil, lineError{n, errors.New(m[2])}
		}
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty, or only comments
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, lineError{root.Line, errors.New("the file must be a mapping of keys (key: value)")}
	}
	return yamlMapping(root, "")
}

func yamlMapping(n *yaml.Node, prefix string) ([]entry, error) {
	var out []entry
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		// yaml.v3 checks duplicate keys only when it decodes into maps and structs.
		if first, dup := seen[k.Value]; dup {
			return nil, lineError{k.Line, fmt.Errorf("%s%s is already set on line %d", prefix, k.Value, first)}
		}
		seen[k.Value] = k.Line
		for v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		e := entry{key: prefix + k.Value, line: k.Line}
		switch v.Kind {
		case yaml.MappingNode:
			sub, err := yamlMapping(v, e.key+".")
			if err != nil {
				return nil, err
			}
			e.sub, e.isMap = sub, true
		default:
			var x any
			if err := v.Decode(&x); err != nil {
				return nil, lineError{v.Line, fmt.Errorf("%s: %w", e.key, err)}
			}
			e.value = normalize(x)
		}
		out = append(out, e)
	}
	return out, nil
}

func parseTOML(data []byte) ([]entry, error) {
	var m map[string]any
	md, err := toml.Decode(string(data), &m)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, lineError{perr.Position.Line, errors.New(perr.Message)}
		}
		return nil, err
	}
	lines := tomlKeyLines(data)
	var build func(prefix []string, m map[string]any) []entry
	build = func(prefix []string, m map[string]any) []entry {
		var out []entry
		for _, k := range md.Keys() {
			if len(k) != len(prefix)+1 || !slices.Equal(k[:len(prefix)], prefix) {
				continue
			}
			name := strings.Join(k, ".")
			e := entry{key: name, line: lines.line(k)}
			if sub, ok := m[k[len(prefix)]].(map[string]any); ok {
				e.sub, e.isMap = build(k, sub), true
			} else {
				e.value = normalize(m[k[len(prefix)]])
			}
			out = append(out, e)
		}
		return out
	}
	return build(nil, m), nil
}

// keyLines maps TOML key paths to the line that sets them. BurntSushi/toml keeps no key
// positions, so the lines come from a scan of "[table]" headers and "key =" lines.
type keyLines map[string]int

func tomlKeyLines(data []byte) keyLines {
	out := keyLines{}
	table := ""
	for i, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if tomlTable.MatchString(l) {
			table = cleanKey(strings.Trim(strings.SplitN(l, "#", 2)[0], "[] \t"))
			if _, ok := out[table]; !ok {
				out[table] = i + 1
			}
			continue
		}
		if k, _, ok := strings.Cut(l, "="); ok && tomlKey.MatchString(l) {
			key := cleanKey(k)
			if table != "" {
				key = table + "." + key
			}
			if _, ok := out[key]; !ok {
				out[key] = i + 1
			}
		}
	}
	return out
}

func cleanKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// line finds a key's line, or its table's (an inline table's keys share its line).
func (kl keyLines) line(k toml.Key) int {
	for n := len(k); n > 0; n-- {
		if l, ok := kl[strings.Join(k[:n], ".")]; ok {
			return l
		}
	}
	return 0
}

// normalize turns decoded numbers into int64 and float64, lists into []any.
func normalize(x any) any {
	switch v := x.(type) {
	case int:
		return int64(v)
	case uint64:
		return int64(v)
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = normalize(v[i])
		}
		return out
	case []map[string]any:
		return fmt.Sprint(v)
	}
	return x
}
