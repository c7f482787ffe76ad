// Package tui is benchtui's interactive dashboard: one root Bubble Tea model that owns
// layout, focus, keys and routing. It reads the engine's events through a Runner and never
// drives the backend itself; the panels it draws live in package panel and have no Update
// method, so every message goes through the root. Every figure it shows comes from package
// report (figures.go is where it takes them).
//
// The root is split by concern: model.go (the model, its messages, Update's dispatch and
// the frame clock), live.go (a running benchmark's events), feed.go (a run's saved data,
// at any point of its time, into the panels), replay.go (a saved run and its time cursor),
// baseline.go (the pinned run), requests.go (the requests view), keys.go and control.go
// (the key map, why a key does nothing now, what each key does), trend.go (latency over
// time), sweep.go, export.go, view.go (themes and drawing), layout.go (where each panel
// goes) and runs.go (the session's runs).
//
// # Layout
//
// layout(width, height, opts) is a pure function with named breakpoints (compactWidth,
// wideWidth, shortHeight, tinyHeight, tallCompactHeight, tallHeight) that returns a
// panel.Rect per visible panel; layoutMaximized gives one panel the body. renderFrame renders
// the visible panels and panel.Compose joins them into a frame of exactly height lines, none
// wider than width. The result strip is on screen at every size.
//
// # Frames
//
// Bubble Tea calls View after every message and its renderer parses and diffs the whole
// frame whenever it changed. The model draws only on its frame clock (10 a second) or a key
// press, and View returns the cached frame otherwise.
//
// The package exports only what the commands use: Run, Options, Runner, Target, Settings
// and ReadReplay.
package tui
