// Package tui is benchtui's interactive dashboard: one root Bubble Tea model (Model) that
// owns layout, focus, keys and routing. It reads the engine's events through a Runner and
// never drives the backend itself; the panels it draws live in package panel and have no
// Update method, so every message goes through the root.
//
// The root is split by concern: model.go (the model and its messages, Update's dispatch),
// live.go (a running benchmark's events), replay.go (a saved run), keys.go (the key map and
// what each key does), sweep.go (batch-size sweeps), export.go (writing exports), view.go
// (themes and drawing), layout.go (where each panel goes) and runs.go (the session's runs).
//
// # Layout
//
// layout(width, height) is a pure function with named breakpoints (compactWidth,
// wideWidth, shortHeight, tinyHeight) that returns a panel.Rect per visible panel;
// layoutMaximized gives one panel the whole body. renderFrame renders the visible panels
// and panel.Compose joins them into a frame of exactly height lines, none wider than width.
//
// The package exports only what the commands use: Options, New, Model, Runner, Target and
// Settings.
package tui
