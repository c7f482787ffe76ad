package tui

import (
	"context"
	"io"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/benchtui/benchtui/engine"
)

// liveFrames are the frames of a live run at w x h, one per engine snapshot, as the
// dashboard draws them.
func liveFrames(t testing.TB, w, h int) []string {
	t.Helper()
	s := Settings{Batch: 16, ISL: 128, OSL: 128, Requests: 400, Concurrency: -1}
	m := newModel(Options{Runner: &fakeRunner{}, Settings: s, Theme: "nvidia"})
	m.Update(loadedMsg{target: Target{Model: "tiny", DType: "f16", Device: "CPU"}})
	m.startRunWith(s)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	x := fakeExport(t, s)
	ev := engine.NewEvents(context.Background())
	defer ev.Close()
	var frames []string
	fed := 0
	for i, snap := range x.Snapshots {
		snap.Finished = nil
		for fed < snap.Completed && fed < len(x.Requests) {
			snap.Finished = append(snap.Finished, x.Requests[fed])
			fed++
		}
		m.Update(snapshotMsg{run: 1, snap: snap, ok: true, src: ev})
		if i%5 == 0 {
			m.refreshLatency(m.latAt.Add(latencyEvery), true)
		}
		m.header.Spinner = spinnerFrames[i%len(spinnerFrames)]
		m.dirty = true
		frames = append(frames, m.View().Content)
	}
	return frames
}

// BenchmarkScreenDraw writes the frames of a live run at 200x60 to a 256-colour terminal
// one after another: the lines that changed, downsampled (what each frame costs beyond
// drawing it).
func BenchmarkScreenDraw(b *testing.B) {
	frames := liveFrames(b, 200, 60)
	s := newTestScreen(io.Discard, 200, 60, colorprofile.ANSI256)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		_ = s.draw(frames[i%len(frames)], 200, 60)
		i++
	}
}
