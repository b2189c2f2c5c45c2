//go:build unix

package bench

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// selfCPU is the user and system time this process has used.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// raiseNoFile lifts the soft limit on open files to the hard one when the
// members need more than it allows (Go raises it at start on most systems
// already), and says so when even the hard limit is too low.
func raiseNoFile(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown: let the connections tell
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max > lim.Cur {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	if lim.Cur < need {
		return fmt.Errorf("the members need about %d open files, the limit is %d (ulimit -n)", need, lim.Cur)
	}
	return nil
}

// smallReadBuffer is a net.Dialer's Control: a 4 kB receive buffer, set
// before the connection opens, so that the window it offers stays small.
func smallReadBuffer(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
	})
	return errors.Join(err, serr)
}
