package sshui

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/room"
)

// wroteBuffer keeps what is written, and signals each write.
type wroteBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (w *wroteBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

func (w *wroteBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A frame that fails to compose ends the screen, and the terminal is still
// given back: the connection works, only the drawing failed.
func TestAFailedFrameStillGivesTheTerminalBack(t *testing.T) {
	var fail atomic.Bool
	out := &wroteBuffer{wrote: make(chan struct{}, 1)}
	m := newModel(modelConfig{
		Member: &fakeSelf{meID, "carol"},
		Held: func() int {
			if fail.Load() {
				panic("the frame failed")
			}
			return 0
		},
		Width: 80, Height: 24,
	})
	failed := make(chan any, 1)
	l := newLive(m, out, func(r any) { failed <- r })
	l.start()
	select {
	case <-out.wrote: // the first frame
	case <-time.After(10 * time.Second):
		t.Fatal("no first frame")
	}
	fail.Store(true)
	l.deliver([]room.Message{chat(1, "alice", 1, "hi")})
	select {
	case <-failed:
	case <-time.After(10 * time.Second):
		t.Fatal("the failed frame was not reported")
	}
	l.stop()
	if got := out.String(); !strings.HasSuffix(got, leaveModes) {
		t.Errorf("after the failed frame the terminal is not given back; the output ends %q", got[max(0, len(got)-80):])
	}
}
