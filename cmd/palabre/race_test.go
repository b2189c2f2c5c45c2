//go:build race

package main

// raceEnabled: the race detector slows SQLite (Go translated from C) far
// more than the rest, so a test of the writer's timing knows it.
const raceEnabled = true
