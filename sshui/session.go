package sshui

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/charmbracelet/ssh"

	"palabre/room"
)

// session is the SSH door's handler: it turns one session into a room
// member, runs the chat screen (or the line protocol without a terminal),
// and removes the member when the session ends, however it ends.
func (s *Server) session(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		sess.Context().SetValue(startedKey{}, true)
		// Read once, before guardedRequests lets a window change through.
		pty, winCh, isPty := sess.Pty()
		ptyRead(sess)
		defer next(sess)
		defer s.hangUp(sess)
		// `ssh host tp1` enters room tp1. scp, git, `ssh host ls`: the
		// server runs no command, and the session is no member (no join,
		// no name bound).
		asked := roomOf(sess.RawCommand())
		if asked.refused {
			s.log.Debug("command refused", "user", room.Clip(sess.User(), 64), "addr", sess.RemoteAddr().String(),
				"command", room.Clip(sess.RawCommand(), 64))
			fmt.Fprintf(sess.Stderr(), "%s\r\n", s.refusal(asked, sess.LocalAddr()))
			_ = sess.Exit(1)
			return
		}
		// A terminal that can draw nothing but lines (TERM=dumb: an
		// editor's shell, a screen reader's) gets the line protocol.
		screen := isPty && pty.Term != "dumb"
		s.log.Debug("session", "user", room.Clip(sess.User(), 64), "client", room.Clip(sess.Context().ClientVersion(), 64),
			"addr", sess.RemoteAddr().String(), "pty", isPty, "term", room.Clip(pty.Term, 32))
		// A room never shown has unread messages past this number; taken
		// before joining, so that none said meanwhile is missed.
		start := s.opts.Hub.Seq()
		m, history, err := s.opts.Hub.Join(room.JoinRequest{
			Name: cleanName(sess.User()),
			Door: room.DoorSSH,
			Addr: sess.RemoteAddr().String(),
			Key:  keyOf(sess),
			Echo: screen, // the screen shows your own words; the line protocol does not
			Room: asked.room,
		})
		if err != nil {
			fmt.Fprintf(sess.Stderr(), "%s\r\n", s.opts.Lang.RefusalOf(err))
			_ = sess.Exit(1)
			return
		}
		reason := room.ReasonError // what a panic leaves it at
		defer func() { s.opts.Hub.Leave(m, reason) }()

		done := make(chan struct{})
		defer close(done)
		// A client the server gives up on has lost its connection, as the
		// others read it: its own side may still think it is open.
		lost := func() { s.opts.Hub.Leave(m, room.ReasonLost) }
		// A write that does not end in time met a client that stopped
		// reading: too slow, as on the TCP door.
		out := s.deadlineWriter(sess, func() { s.opts.Hub.Leave(m, room.ReasonTooSlow) })
		if screen {
			reason = s.screen(sess, pty, out, winCh, m, history, start, done, lost)
		} else {
			if isPty {
				// Window changes are taken, and have nothing to lay out: the
				// SSH library's request loop waits on each until it is.
				go func() {
					for range winCh {
					}
				}()
			}
			go s.keepAlive(sess.Context(), done, lost)
			reason = s.lines(sess, out, m, history, isPty)
		}
	}
}

// refusal is the one line a session whose command is refused reads: why
// the word is no room's name, or that the server runs no commands.
func (s *Server) refusal(asked roomCommand, local net.Addr) string {
	if asked.problem != room.NameOK {
		return room.Sanitize(s.opts.Lang.Describe(room.Message{Kind: room.KindError, Err: room.ErrRoomName, Problem: asked.problem, Text: asked.word}))
	}
	return noCommand(s.opts.Lang, local)
}

// noCommand is the one line a session that asked for a command reads.
func noCommand(lang room.Lang, local net.Addr) string {
	port := "2222"
	if a, ok := local.(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
	}
	if lang == room.LangFR {
		return "palabre est un salon de discussion : connectez-vous avec ssh -p " + port + " <hôte>, sans commande."
	}
	return "palabre is a chat: connect with ssh -p " + port + " <host>, without a command."
}

// hangUpGrace is how long a connection is kept after the server is done
// with it, for what was written last to reach the client.
const hangUpGrace = 2 * time.Second

// hangUp ends the connection shortly after its one session: a client that
// keeps an idle connection open would otherwise hold the server's shutdown.
// The grace lets the exit status reach the client first.
func (s *Server) hangUp(sess ssh.Session) {
	_ = sess.Exit(0)
	if gc, ok := sess.Context().Value(connKey{}).(*guardedConn); ok {
		gc.after(hangUpGrace, func() { gc.Close() })
	}
}

// farewell tells, below the chat screen that has just closed, why the
// server ended the session, when the member did not ask to leave: the
// alternate screen took the last frame with it. parting is the kick or ban
// the screen received, if any: who put the member out, why, until when.
func (s *Server) farewell(w io.Writer, m *room.Member, parting room.Message) {
	select {
	case <-m.Done():
	default:
		return
	}
	lang := s.opts.Lang
	line := ""
	switch r := m.Reason(); r {
	case room.ReasonShutdown:
		line = lang.Describe(room.Message{Kind: room.KindShutdown})
	case room.ReasonKicked, room.ReasonBanned:
		if parting.Kind != 0 {
			line = lang.Describe(parting)
			break
		}
		fallthrough
	case room.ReasonTooSlow, room.ReasonTooLong, room.ReasonError, room.ReasonLost:
		line = lang.Describe(room.Message{Kind: room.KindLeave, From: m.Name(), Reason: r})
	}
	if line != "" {
		fmt.Fprintf(w, "*** %s\r\n", room.Sanitize(line))
	}
}
