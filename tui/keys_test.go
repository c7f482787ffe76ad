package tui

import (
	"slices"
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/benchtui/benchtui/tui/panel"
)

func TestHelpFromBindings(t *testing.T) {
	quit := key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))
	off := key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel"), key.WithDisabled())
	silent := key.NewBinding(key.WithKeys("z"))
	g := helpGroupFrom("App", quit, off, silent)
	if g.Title != "App" || !slices.Equal(g.Keys, []panel.HelpKey{{Key: "q", Desc: "quit"}}) {
		t.Errorf("helpGroupFrom = %+v", g)
	}
	if got := helpKeysFrom(quit); len(got) != 1 {
		t.Errorf("helpKeysFrom = %v", got)
	}
}
