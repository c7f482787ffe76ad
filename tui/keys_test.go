package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The help lists every key in every state; those that do nothing now are greyed, with the
// reason.
func TestHelpListsEveryKeyWithReasons(t *testing.T) {
	m := newModel(Options{Replay: fakeExport(t, Settings{Batch: 4, ISL: 8, OSL: 6, Requests: 16}), ReplayName: "x.json", Theme: "mono"})
	total := 0
	for _, col := range m.keys.fullHelp() {
		total += len(col)
	}
	listed := 0
	why := map[string]string{}
	for _, g := range m.help.Groups {
		for _, k := range g.Keys {
			listed++
			if k.Disabled {
				why[k.Key] = k.Why
			}
		}
	}
	if listed != total {
		t.Errorf("help lists %d keys, the key map has %d", listed, total)
	}
	for key, want := range map[string]string{"r": "a replay runs nothing", "b/B": "a replay runs nothing", "o": "in the requests view", "p": "a replay has no live run"} {
		if !strings.Contains(why[key], want) {
			t.Errorf("key %s: reason %q, want it to say %q", key, why[key], want)
		}
	}
	if _, off := why["←"]; off {
		t.Error("← is greyed in a replay with records")
	}
	m.view = viewHelp
	screen := ansi.Strip(m.render(160, 48))
	if !strings.Contains(screen, "(a replay runs nothing)") {
		t.Errorf("the help screen does not say why r does nothing:\n%s", screen)
	}
	// A disabled key pressed says why in the status line.
	m.view = viewDashboard
	d := &driver{t: t, m: m}
	d.key("r")
	if !strings.Contains(m.status, "a replay runs nothing") {
		t.Errorf("status after r in a replay: %q", m.status)
	}
}
