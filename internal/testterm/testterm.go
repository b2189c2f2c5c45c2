// Package testterm is the tests' terminal: an emulator (x/vt) that the
// server's bytes are written to, and that answers the server's questions
// as a terminal does.
package testterm

import (
	"io"
	"testing"

	"github.com/charmbracelet/x/vt"
)

// New is an emulator of cols × rows whose answers to the server's
// questions (whether it has margins) go to answer, or nowhere: unread,
// they would block its Write. The answers stop with the test.
func New(t testing.TB, cols, rows int, answer io.Writer) *vt.Emulator {
	em := vt.NewEmulator(cols, rows)
	if answer == nil {
		answer = io.Discard
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(answer, em)
	}()
	t.Cleanup(func() {
		// Not em.Close: x/vt v0.1.0 sets its closed flag unguarded,
		// racing with Read. Closing the pipe ends the copy all the same.
		_ = em.InputPipe().(io.Closer).Close()
		<-done
	})
	return em
}
