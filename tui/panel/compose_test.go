package panel

import (
	"strings"
	"testing"
)

func TestComposeClipsAndPads(t *testing.T) {
	parts := []Placed{
		{Rect{0, 0, 3, 2}, "abcdef\nxy"},
		{Rect{5, 1, 10, 5}, "0123456789"},
		{Rect{2, 0, 4, 1}, "overlap"}, // starts inside the first part: skipped
		{Rect{20, 0, 2, 2}, "out of frame"},
	}
	got := Compose(8, 3, parts)
	want := "abc     \nxy   012\n        "
	if got != want {
		t.Errorf("Compose =\n%q\nwant\n%q", got, want)
	}
	if Compose(0, 5, parts) != "" || Compose(5, 0, parts) != "" {
		t.Error("Compose of an empty frame must be empty")
	}
	lines := strings.Split(Compose(4, 2, nil), "\n")
	if len(lines) != 2 || lines[0] != "    " {
		t.Errorf("empty Compose = %q", lines)
	}
}
