package connerr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"palabre/room"
)

func TestReasons(t *testing.T) {
	opErr := func(e error) error { return &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", e)} }
	for _, tc := range []struct {
		err         error
		read, write room.Reason
	}{
		{io.EOF, room.ReasonClosed, room.ReasonClosed},
		{net.ErrClosed, room.ReasonClosed, room.ReasonClosed},
		{opErr(syscall.ECONNRESET), room.ReasonReset, room.ReasonReset},
		{opErr(syscall.EPIPE), room.ReasonReset, room.ReasonReset},
		{fmt.Errorf("ssh: %w", opErr(syscall.ECONNRESET)), room.ReasonReset, room.ReasonReset},
		{&net.OpError{Op: "write", Err: os.ErrDeadlineExceeded}, room.ReasonLost, room.ReasonTooSlow},
		{opErr(syscall.EHOSTUNREACH), room.ReasonLost, room.ReasonLost},
		{errors.New("something else"), room.ReasonLost, room.ReasonLost},
	} {
		if got := Read(tc.err); got != tc.read {
			t.Errorf("Read(%v) = %v, want %v", tc.err, got, tc.read)
		}
		if got := Write(tc.err); got != tc.write {
			t.Errorf("Write(%v) = %v, want %v", tc.err, got, tc.write)
		}
	}
}
