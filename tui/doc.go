// Package tui is benchtui's interactive dashboard: one root Bubble Tea model owning layout,
// focus and routing, with panels as plain structs that render to strings. It reads the
// engine's events and never drives the backend itself.
package tui
