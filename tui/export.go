package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/benchtui/benchtui/internal/fsutil"
	"github.com/benchtui/benchtui/report"
)

func (m *model) exportCmd(r *run) tea.Cmd {
	x := r.export
	path := exportName(m.opts.ExportDir, m.target.Model, r, time.Now())
	id := r.id
	m.status = "exporting…"
	return func() tea.Msg {
		p, err := writeExport(path, x)
		return exportedMsg{run: id, path: p, err: err}
	}
}

// note says how an export went: where it is, and why not where asked when it was rescued
// elsewhere.
func (msg exportedMsg) note() string {
	switch {
	case msg.err == nil:
		return "exported " + msg.path
	case msg.path != "":
		return "could not export there (" + oneLine(msg.err.Error()) + "); exported " + msg.path
	}
	return "export failed: " + oneLine(msg.err.Error())
}

func (m *model) markSaved(id int, path string) {
	for _, r := range m.runs {
		if r.id == id {
			r.saved = path
		}
	}
}

// exportName picks a file name in dir that does not exist yet for the run.
func exportName(dir, model string, r *run, now time.Time) string {
	model = strings.Map(func(c rune) rune {
		if c == '/' || c == ' ' || c == ':' {
			return '-'
		}
		return c
	}, filepath.Base(model))
	return filepath.Join(dir, fmt.Sprintf("benchtui-%s-run%d-%s.json", model, r.id, now.Format("20060102-150405")))
}

// writeExport writes x to a new file named after path, adding -2, -3... when that name is
// taken: an export never replaces a file. When path's folder cannot take it (gone, full, not
// writable), the export goes to the temporary folder instead: the returned error says why,
// and the path where it went.
func writeExport(path string, x *report.Export) (string, error) {
	p, err := writeNew(path, x)
	if err == nil {
		return p, nil
	}
	if rescued, rerr := writeNew(filepath.Join(os.TempDir(), filepath.Base(path)), x); rerr == nil {
		return rescued, err
	}
	return "", err
}

func writeNew(path string, x *report.Export) (string, error) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 1; i < 100; i++ {
		p := path
		if i > 1 {
			p = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		err := fsutil.WriteNew(p, x.WriteJSON)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("export %s: too many files with this name", path)
}
