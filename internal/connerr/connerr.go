// Package connerr says why a connection ended, from the error its read or
// write returned, in the room's words: the log and the room then tell a
// student who closed the laptop ("connection reset") from one whose client
// stopped reading ("too slow").
package connerr

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"palabre/room"
)

// Read is the reason to leave for an error from reading a member's connection.
func Read(err error) room.Reason {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return room.ReasonClosed
	case reset(err):
		return room.ReasonReset
	}
	return room.ReasonLost
}

// Write is the reason to leave for an error from writing to a member's
// connection: a write that timed out met a member that does not read.
func Write(err error) room.Reason {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return room.ReasonTooSlow
	case reset(err):
		return room.ReasonReset
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return room.ReasonClosed
	}
	return room.ReasonLost
}

func reset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}
