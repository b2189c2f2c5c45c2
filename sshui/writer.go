package sshui

import (
	"io"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
)

// deadlineWriter bounds each write to the session: an SSH channel has no
// deadlines, and a client that stops reading would block its writer for
// good once the channel's window is full. Past WriteTimeout the connection
// is closed, which fails the write.
func (s *Server) deadlineWriter(sess ssh.Session, slow func()) io.Writer {
	gc, _ := sess.Context().Value(connKey{}).(*guardedConn)
	return &timedWriter{w: sess, timeout: s.opts.WriteTimeout, expire: func() {
		s.log.Info("write timed out; connection dropped", "addr", sess.RemoteAddr().String())
		slow()
		if gc != nil {
			gc.Close()
		}
	}}
}

type timedWriter struct {
	w       io.Writer
	timeout time.Duration
	expire  func()

	mu    sync.Mutex
	timer *time.Timer // one for all writes: a timer each cost 5% of a busy server's CPU
}

func (t *timedWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer == nil {
		t.timer = time.AfterFunc(t.timeout, t.expire)
	} else {
		t.timer.Reset(t.timeout)
	}
	defer t.timer.Stop()
	return t.w.Write(p)
}
